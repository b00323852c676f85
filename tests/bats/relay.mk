# tests/bats/relay.mk - the test peers tests/bats/relay*.bats drive the
# relay with (servers and clients that check what crossed it). Built per
# build variant, next to the binaries under test: $(BUILDDIR)/helpers/.

RELAY_HELPER := $(BUILDDIR)/helpers/relay-helper

$(RELAY_HELPER): tests/bats/relay-helper.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $<

.PHONY: relay-helper
relay-helper: $(RELAY_HELPER)
bats: $(RELAY_HELPER)
