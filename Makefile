# migsock - build, test, demo, benchmark, install.
#
#   make            build the binaries into build/bin
#   make demo       (root) a real live migration between two container pods
#   make check      (root on a fresh Debian 12: installs what it needs) all tests
#   make bench      relay throughput/latency table (figures, not assertions)
#   make install    PREFIX=/usr/local DESTDIR=
#
# Each area may add rules in its own fragment (container/container.mk,
# selinux/selinux.mk, tests/*/NAME.mk); they are included at the end.

PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
DATADIR ?= $(PREFIX)/share/migsock
MANDIR  ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
DESTDIR ?=
# The version every binary prints (--version); one string for all.
VERSION ?= 0.1

# Build variant: `make` builds into build/, `make asan` re-runs make with
# BUILDDIR=build/asan SANITIZE=1 (ASan + UBSan, no FORTIFY: they clash).
BUILDDIR ?= build
SANITIZE ?=

CC ?= gcc
PKGS := libseccomp libselinux libcap
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS))
PKG_LIBS   = $(shell pkg-config --libs $(PKGS))
VIRT_CFLAGS = $(shell pkg-config --cflags libvirt)
VIRT_LIBS   = $(shell pkg-config --libs libvirt)

WARN := -Wall -Wextra -Werror -Wformat=2 -Wshadow -Wpointer-arith \
	-Wstrict-prototypes -Wmissing-prototypes -Wvla -Wundef -Wcast-align
HARDEN := -fstack-protector-strong -fstack-clash-protection -fPIE \
	-fno-strict-overflow
ifeq ($(SANITIZE),1)
OPT := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
	-fno-sanitize-recover=all
SAN_LDFLAGS := -fsanitize=address,undefined
else
OPT := -O2 -g -D_FORTIFY_SOURCE=2
SAN_LDFLAGS :=
endif

ALL_CFLAGS = -std=gnu11 -D_GNU_SOURCE $(OPT) $(WARN) $(HARDEN) \
	-DMIGSOCK_DATADIR='"$(DATADIR)"' \
	-DMIGSOCK_VERSION='"$(VERSION)"' -Isrc/lib $(PKG_CFLAGS) $(CFLAGS)
ALL_LDFLAGS = -pie -Wl,-z,relro,-z,now -Wl,--as-needed $(SAN_LDFLAGS) $(LDFLAGS)

# One directory per binary under src/ (main.c + its own modules), and the
# shared library in src/lib. migsock-migrate is the only libvirt user.
CMDS := relay bind probe migrate
LIB_SRCS := $(wildcard src/lib/*.c)
LIB_OBJS := $(LIB_SRCS:src/%.c=$(BUILDDIR)/obj/%.o)
LIBA := $(BUILDDIR)/libmigsock.a
cmd_srcs = $(wildcard src/$(1)/*.c)
cmd_objs = $(patsubst src/%.c,$(BUILDDIR)/obj/%.o,$(call cmd_srcs,$(1)))
# Modules of the commands without their main(), for the unit tests.
MOD_OBJS = $(filter-out %/main.o,$(foreach c,$(CMDS),$(call cmd_objs,$(c))))
MODA := $(BUILDDIR)/libmigsock-cmds.a
BINS := $(foreach c,$(CMDS),$(if $(call cmd_srcs,$(c)),$(BUILDDIR)/bin/migsock-$(c)))

.PHONY: all asan deps check check-run unit bats e2e demo bench install \
	uninstall clean shellcheck
.DEFAULT_GOAL := all

all: $(BINS)

$(BUILDDIR)/obj/%.o: src/%.c $(wildcard src/lib/*.h) $(wildcard src/*/*.h)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(if $(filter src/migrate/%,$<),$(VIRT_CFLAGS)) -c -o $@ $<

$(LIBA): $(LIB_OBJS)
	@mkdir -p $(@D)
	rm -f $@ && $(AR) rcs $@ $^

$(MODA): $(MOD_OBJS)
	@mkdir -p $(@D)
	rm -f $@ && $(AR) rcs $@ $^

.SECONDEXPANSION:
$(BUILDDIR)/bin/migsock-%: $$(call cmd_objs,$$*) $(LIBA)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $(call cmd_objs,$*) \
		$(LIBA) $(PKG_LIBS) \
		$(if $(filter migrate,$*),$(VIRT_LIBS))

asan:
	$(MAKE) BUILDDIR=build/asan SANITIZE=1 all unit-bins

# --- tests ------------------------------------------------------------------
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILDDIR)/tests/%)

$(BUILDDIR)/tests/%: tests/unit/%.c tests/unit/check.h $(LIBA) $(MODA)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(VIRT_CFLAGS) -Itests/unit $(ALL_LDFLAGS) -o $@ $< \
		$(MODA) $(LIBA) \
		$(PKG_LIBS) $(VIRT_LIBS)

.PHONY: unit-bins
unit-bins: $(UNIT_BINS)

unit: all unit-bins
	@set -e; for t in $(UNIT_BINS); do echo "== $$t"; $$t; done

# Integration tests (bats). tests/bats: real processes and sockets, no VMs.
# tests/e2e: real libvirtd + QEMU pods and guests (root). MIGSOCK_BIN picks
# the build under test.
BATS ?= bats
bats: all
	MIGSOCK_BIN=$(abspath $(BUILDDIR)/bin) $(BATS) --print-output-on-failure tests/bats

e2e: all
	MIGSOCK_BIN=$(abspath $(BUILDDIR)/bin) $(BATS) --print-output-on-failure tests/e2e

# Everything a fresh machine needs, on Debian 12 (see README: why each).
DEB_PACKAGES := make gcc pkg-config libc6-dev \
	libseccomp-dev libselinux1-dev libcap-dev libvirt-dev \
	libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients \
	qemu-system-x86 qemu-utils runc tini busybox-static linux-image-amd64 \
	socat bats jq shellcheck scdoc clang libclang-rt-14-dev valgrind \
	selinux-policy-dev selinux-policy-default checkpolicy semodule-utils \
	procps iproute2 util-linux kmod cpio gzip buildah debootstrap
deps:
	@missing=$$(for p in $(DEB_PACKAGES); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; done); \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" != 0 ]; then \
		echo "make deps: missing Debian packages:" $$missing; \
		echo "make deps: run as root (or: sudo apt-get install $$missing)"; exit 1; fi; \
	echo "make deps: installing" $$missing; \
	apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
		--no-install-recommends $$missing

CHECK_EXTRA ?=
check: deps
	$(MAKE) check-run

# Unit tests under both builds; integration tests under the sanitizer build
# (every relay/bind/probe/migrate process in them runs with ASan+UBSan), the
# quick ones under the normal build too; then what the fragments add.
check-run: all asan shellcheck
	$(MAKE) unit
	$(MAKE) BUILDDIR=build/asan SANITIZE=1 unit
	$(MAKE) bats
	$(MAKE) BUILDDIR=build/asan SANITIZE=1 bats e2e
	$(if $(CHECK_EXTRA),$(MAKE) $(CHECK_EXTRA))

SHELL_SCRIPTS = $(sort $(shell grep -rlIE '^#!.*(ba)?sh' .ci container examples sockets tests selinux man systemd 2>/dev/null) \
	$(wildcard sockets/*.sh completion/*.bash tests/*/*.bats tests/*/*.bash))
shellcheck:
	shellcheck -x $(SHELL_SCRIPTS)

demo: deps
	$(MAKE) all
	container/demo

# --- install ----------------------------------------------------------------
INSTALL_EXTRA ?=
UNINSTALL_EXTRA ?=
# $$ (second expansion): the fragments, included last, append to these.
install: all install-layout $$(INSTALL_EXTRA)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(BASHCOMPDIR)
	install -m 0755 $(BINS) $(DESTDIR)$(BINDIR)/
	$(foreach c,$(CMDS),install -m 0644 completion/migsock.bash $(DESTDIR)$(BASHCOMPDIR)/migsock-$(c) && ) true

# The layout and its shell reader, which learns where it is installed
# (DATADIR, not DESTDIR: where it will be found at run time). No build
# needed: the Dockerfile and tests/bats/install.bats use it on its own.
.PHONY: install-layout
install-layout:
	install -d $(DESTDIR)$(DATADIR)
	install -m 0644 sockets/migration.layout $(DESTDIR)$(DATADIR)/
	sed 's|^_LAYOUT_DATADIR=.*|_LAYOUT_DATADIR=$(DATADIR)|' sockets/layout.sh >$(DESTDIR)$(DATADIR)/layout.sh
	chmod 0644 $(DESTDIR)$(DATADIR)/layout.sh

uninstall: $$(UNINSTALL_EXTRA)
	rm -f $(foreach c,$(CMDS),$(DESTDIR)$(BINDIR)/migsock-$(c))
	rm -f $(DESTDIR)$(DATADIR)/migration.layout $(DESTDIR)$(DATADIR)/layout.sh
	rm -f $(foreach c,$(CMDS),$(DESTDIR)$(BASHCOMPDIR)/migsock-$(c))
	-rmdir $(DESTDIR)$(DATADIR)

clean:
	rm -rf build

-include $(wildcard */*.mk tests/*/*.mk tests/*/*/*.mk)
