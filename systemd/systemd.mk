# systemd/systemd.mk - install the relay's socket-activated template units.
# @BINDIR@ in the service becomes the installed binary's directory.
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
SYSTEMD_UNITS := migsock-relay@.socket migsock-relay@.service

.PHONY: install-systemd uninstall-systemd
install-systemd:
	install -d $(DESTDIR)$(SYSTEMDUNITDIR) $(DESTDIR)$(DATADIR)/examples/systemd
	sed 's|@BINDIR@|$(BINDIR)|g' systemd/migsock-relay@.service >$(DESTDIR)$(SYSTEMDUNITDIR)/migsock-relay@.service
	chmod 0644 $(DESTDIR)$(SYSTEMDUNITDIR)/migsock-relay@.service
	install -m 0644 systemd/migsock-relay@.socket $(DESTDIR)$(SYSTEMDUNITDIR)/
	install -m 0644 systemd/relay.conf.example $(DESTDIR)$(DATADIR)/examples/systemd/

uninstall-systemd:
	rm -f $(foreach u,$(SYSTEMD_UNITS),$(DESTDIR)$(SYSTEMDUNITDIR)/$(u)) \
		$(DESTDIR)$(DATADIR)/examples/systemd/relay.conf.example
	-rmdir $(DESTDIR)$(DATADIR)/examples/systemd 2>/dev/null
	-rmdir -p $(DESTDIR)$(SYSTEMDUNITDIR) 2>/dev/null

INSTALL_EXTRA += install-systemd
UNINSTALL_EXTRA += uninstall-systemd
