# selinux/selinux.mk - the migsock policy module and the enforcing test guest.
#
#   make selinux         build $(BUILDDIR)/selinux/migsock.pp
#   make selinux-guest   what tests/e2e/selinux.bats boots: the reference
#                        policy + migsock.pp + the test-only module compiled
#                        into one policy (in a private store copy, never
#                        loaded on this host), and the guest's probe program
#   make install         also installs migsock.pp to
#                        $(DESTDIR)$(SELINUX_PKGDIR)/migsock.pp
#
# Load the installed module with:  semodule -i $(SELINUX_PKGDIR)/migsock.pp
# then label the binaries and the shared directory: restorecon -R
# $(BINDIR)/migsock-relay $(BINDIR)/migsock-bind /run/migsock

SELINUX_DEVEL ?= /usr/share/selinux/devel
SELINUX_NAME ?= default
# Debian and Fedora install policy packages in share/selinux/packages.
SELINUX_PKGDIR ?= $(PREFIX)/share/selinux/packages
SEL_DIR := $(BUILDDIR)/selinux
SEL_SRCS := selinux/migsock.te selinux/migsock.fc selinux/migsock.if
SEL_TEST_SRCS := selinux/test/migsock_test.te

# The reference policy (Debian's) has no svirt_socket_t; Fedora's does, and
# a second declaration would not load there.
SEL_BUILDOPT := $(if $(shell grep -rqw svirt_socket_t \
	$(SELINUX_DEVEL)/include 2>/dev/null && echo y),,migsock_declare_svirt_socket)

.PHONY: selinux selinux-guest selinux-install selinux-uninstall

selinux: $(SEL_DIR)/migsock.pp

# The devel Makefile builds every .te in its working directory, so each
# module gets a directory of its own.
$(SEL_DIR)/migsock.pp: $(SEL_SRCS)
	@test -f $(SELINUX_DEVEL)/Makefile || { echo "make selinux: $(SELINUX_DEVEL)/Makefile is missing: install selinux-policy-dev"; exit 1; }
	@mkdir -p $(@D)/src
	cp $(SEL_SRCS) $(@D)/src/
	$(MAKE) -C $(@D)/src -f $(SELINUX_DEVEL)/Makefile \
		CUSTOM_BUILDOPT="$(SEL_BUILDOPT)" migsock.pp
	mv $(@D)/src/migsock.pp $@

$(SEL_DIR)/test/migsock_test.pp: $(SEL_TEST_SRCS)
	@mkdir -p $(@D)/src
	cp $(SEL_TEST_SRCS) $(@D)/src/
	$(MAKE) -C $(@D)/src -f $(SELINUX_DEVEL)/Makefile migsock_test.pp
	mv $(@D)/src/migsock_test.pp $@

# The guest's /etc/selinux: a copy of this host's module store with both
# modules added, compiled by semodule under that private root. -n: never
# load it (there is no policy on this host and none may be loaded).
SEL_GUEST := $(SEL_DIR)/guest
$(SEL_GUEST)/stamp: $(SEL_DIR)/migsock.pp $(SEL_DIR)/test/migsock_test.pp
	rm -rf $(SEL_GUEST) && mkdir -p $(SEL_GUEST)/var/lib/selinux $(SEL_GUEST)/etc
	cp -a /var/lib/selinux/$(SELINUX_NAME) $(SEL_GUEST)/var/lib/selinux/
	cp -a /etc/selinux $(SEL_GUEST)/etc/
	semodule -n -p $(abspath $(SEL_GUEST)) -s $(SELINUX_NAME) \
		-i $(SEL_DIR)/migsock.pp $(SEL_DIR)/test/migsock_test.pp
	semodule -p $(abspath $(SEL_GUEST)) -s $(SELINUX_NAME) -l | grep -qx migsock
	touch $@

SOCKCHECK := $(BUILDDIR)/tests/selinux/sockcheck
$(SOCKCHECK): tests/selinux/sockcheck.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(PKG_LIBS)

# Without the reference policy's development files (selinux-policy-dev) or
# its store (selinux-policy-default) there is nothing to boot:
# tests/e2e/selinux.bats then skips and says so.
SEL_GUEST_READY := $(shell test -f $(SELINUX_DEVEL)/Makefile && \
	test -d /var/lib/selinux/$(SELINUX_NAME) && echo y)
ifeq ($(SEL_GUEST_READY),y)
selinux-guest: $(SEL_GUEST)/stamp $(SOCKCHECK)
else
selinux-guest:
	@echo "make selinux-guest: skipped: install selinux-policy-dev and selinux-policy-default"
endif

# The enforcing-guest test in tests/e2e needs the guest's policy.
e2e: selinux-guest

ifneq ($(wildcard $(SELINUX_DEVEL)/Makefile),)
selinux-install: $(SEL_DIR)/migsock.pp
	install -d $(DESTDIR)$(SELINUX_PKGDIR)
	install -m 0644 $< $(DESTDIR)$(SELINUX_PKGDIR)/migsock.pp
else
selinux-install:
	@echo "make install: SELinux module not built: install selinux-policy-dev"
endif

selinux-uninstall:
	rm -f $(DESTDIR)$(SELINUX_PKGDIR)/migsock.pp

INSTALL_EXTRA += selinux-install
UNINSTALL_EXTRA += selinux-uninstall
