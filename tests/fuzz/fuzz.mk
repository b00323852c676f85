# tests/fuzz/fuzz.mk - libFuzzer harnesses (clang) for the parsers that read
# untrusted text: the socket layout (layout_parse) and SELinux contexts
# (label_check_syntax). Each harness checks the parser's promises, not only
# that it does not crash.
#
#   make fuzz-short   ~30 s per harness (part of make check)
#   make fuzz         FUZZ_SECS (default 600) per harness
#
# Seeds live in tests/fuzz/corpus/NAME (read only); what the fuzzer finds
# goes to build/fuzz/corpus-NAME, crashes to build/fuzz/NAME-crash-*.

FUZZ_CC ?= clang
FUZZ_DIR := build/fuzz
FUZZ_SHORT_SECS ?= 30
FUZZ_SECS ?= 600
FUZZ_NAMES := layout label
FUZZ_BINS := $(FUZZ_NAMES:%=$(FUZZ_DIR)/fuzz_%)
FUZZ_LIB_SRCS := src/lib/layout.c src/lib/label.c src/lib/log.c
FUZZ_CFLAGS := -std=gnu11 -D_GNU_SOURCE -g -O1 -fno-omit-frame-pointer \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	-Wall -Wextra -Werror -Isrc/lib $(shell pkg-config --cflags libselinux)

$(FUZZ_DIR)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_LIB_SRCS) $(wildcard src/lib/*.h)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $< $(FUZZ_LIB_SRCS) \
		$(shell pkg-config --libs libselinux)

# fuzz_run NAME SECONDS
fuzz_run = mkdir -p $(FUZZ_DIR)/corpus-$(1) && \
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
