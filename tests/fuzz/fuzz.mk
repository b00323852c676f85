# tests/fuzz/fuzz.mk - libFuzzer harnesses (clang) for every parser of
# untrusted text: the socket layout (layout_parse), SELinux contexts
# (label_check_syntax), socket activation's LISTEN_FDNAMES and numbers
# (src/lib/notify.c), the peer allow-lists (src/lib/peer.c) with the owner,
# mode and number parsers of every command line (src/lib/cli.c), and
# migsock-migrate's XML scanner (src/migrate/xmlscan.c). Each harness
# checks the parser's promises, not only that it does not crash.
#
#   make fuzz-short   FUZZ_SHORT_SECS (default 20) per harness (make check)
#   make fuzz         FUZZ_SECS (default 600) per harness
#
# Seeds live in tests/fuzz/corpus/NAME (read only); what the fuzzer finds
# goes to build/fuzz/corpus-NAME, crashes to build/fuzz/NAME-crash-*.

FUZZ_CC ?= clang
FUZZ_DIR := build/fuzz
FUZZ_SHORT_SECS ?= 20
FUZZ_SECS ?= 600
FUZZ_NAMES := layout label notify peer xmlscan
FUZZ_BINS := $(FUZZ_NAMES:%=$(FUZZ_DIR)/fuzz_%)
# What each harness links besides itself (fuzz_notify includes notify.c).
FUZZ_SRCS_layout := src/lib/layout.c src/lib/cli.c src/lib/label.c src/lib/log.c
FUZZ_SRCS_label := src/lib/label.c src/lib/log.c
FUZZ_SRCS_notify := src/lib/log.c
FUZZ_SRCS_peer := src/lib/peer.c src/lib/cli.c src/relay/opts.c src/lib/layout.c \
	src/lib/label.c src/lib/log.c
FUZZ_SRCS_xmlscan := src/migrate/xmlscan.c
FUZZ_CFLAGS := -std=gnu11 -D_GNU_SOURCE -g -O1 -fno-omit-frame-pointer \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	-Wall -Wextra -Werror -Isrc/lib $(shell pkg-config --cflags libselinux)

.SECONDEXPANSION:
$(FUZZ_DIR)/fuzz_%: tests/fuzz/fuzz_%.c $$(FUZZ_SRCS_$$*) $(wildcard src/lib/*.h src/lib/*.c src/relay/*.h src/migrate/*.h)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $< $(FUZZ_SRCS_$*) \
		$(shell pkg-config --libs libselinux) -lm

# fuzz_run NAME SECONDS: one harness, recorded as one test of make check's
# summary (tests/summary/record).
fuzz_run = mkdir -p $(FUZZ_DIR)/corpus-$(1) && \
	tests/summary/record "fuzz $(1) ($(2) s)" \
	$(FUZZ_DIR)/fuzz_$(1) -max_total_time=$(2) -print_final_stats=1 \
		-artifact_prefix=$(FUZZ_DIR)/$(1)-crash- \
		$(FUZZ_DIR)/corpus-$(1) tests/fuzz/corpus/$(1)

.PHONY: fuzz fuzz-short fuzz-bins
fuzz-bins: $(FUZZ_BINS)

fuzz-short: $(FUZZ_BINS)
	$(foreach n,$(FUZZ_NAMES),$(call fuzz_run,$(n),$(FUZZ_SHORT_SECS)) &&) true

fuzz: $(FUZZ_BINS)
	$(foreach n,$(FUZZ_NAMES),$(call fuzz_run,$(n),$(FUZZ_SECS)) &&) true

CHECK_EXTRA += fuzz-short
