# tests/soak/soak.mk - the relay load soak and its valgrind run (issue 7).
#
#   make soak        the long soak (3 min, 64 streams + 10,000 short
#                    connections) and a 60 s valgrind run of the relay
#   make soak-check  the ~30 s variant plus a short valgrind run; part of
#                    `make check` through CHECK_EXTRA
# Figures are printed; the pass criteria are byte-exact data, no descriptor
# or memory growth (RSS within 128 KiB over 10,000 connections: a leak of
# 14 bytes per connection shows), no valgrind error (tests/soak/soak.sh).

SOAKLOAD := $(BUILDDIR)/soak/soakload

$(SOAKLOAD): tests/soak/soakload.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -pthread -o $@ $<

.PHONY: soak soak-check soak-bins
soak-bins: $(SOAKLOAD)

SOAK_ENV = MIGSOCK_BIN=$(abspath $(BUILDDIR)/bin) SOAKLOAD=$(abspath $(SOAKLOAD))

soak: all $(SOAKLOAD)
	$(SOAK_ENV) tests/soak/soak.sh --seconds 180 --streams 64 --short 10000
	$(SOAK_ENV) tests/soak/soak.sh --valgrind --seconds 60 --streams 16 --short 2000

soak-check: all $(SOAKLOAD)
	$(SOAK_ENV) tests/summary/record "soak: 64 streams + 10,000 short connections, 30 s" \
		tests/soak/soak.sh --seconds 30 --streams 64 --short 10000
	$(SOAK_ENV) tests/summary/record "soak: the relay under valgrind, 8 s" \
		tests/soak/soak.sh --valgrind --seconds 8 --streams 4 --short 300

CHECK_EXTRA += soak-check
