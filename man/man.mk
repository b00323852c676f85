# man/man.mk - man pages and --help texts from one scdoc source each.
#
#   man/migsock-NAME.1.scd  -> build/man/migsock-NAME.1 (scdoc)
#                           -> build/gen/help-NAME.h    (man/scd2help)
#   man/migsock-layout.5.scd -> build/man/migsock-layout.5
#
# Each command's main.c includes "help-NAME.h" and prints MIGSOCK_HELP, so
# --help and the man page cannot drift apart (tests/bats/man.bats checks).
# @DATADIR@ in a source becomes $(DATADIR), as the binaries see it.

GEN_DIR := build/gen
MAN_DIR := build/man
MAN_SRCS := $(wildcard man/*.scd)
MAN_PAGES := $(patsubst man/%.scd,$(MAN_DIR)/%,$(MAN_SRCS))
HELP_CMDS := $(patsubst man/migsock-%.1.scd,%,$(wildcard man/migsock-*.1.scd))
HELP_HDRS := $(foreach c,$(HELP_CMDS),$(GEN_DIR)/help-$(c).h)

ALL_CFLAGS += -I$(GEN_DIR)

.PHONY: man
man: $(MAN_PAGES)
all: $(MAN_PAGES)

# Regenerate when DATADIR changes (make PREFIX=/usr after a plain make).
$(GEN_DIR)/datadir: FORCE
	@mkdir -p $(@D)
	@echo '$(DATADIR)' | cmp -s - $@ || echo '$(DATADIR)' >$@
$(GEN_DIR)/version: FORCE
	@mkdir -p $(@D)
	@echo '$(VERSION)' | cmp -s - $@ || echo '$(VERSION)' >$@
.PHONY: FORCE
FORCE:

$(GEN_DIR)/help-%.h: man/migsock-%.1.scd man/scd2help $(GEN_DIR)/datadir
	@mkdir -p $(@D)
	man/scd2help --datadir '$(DATADIR)' --header MIGSOCK_HELP $< >$@.tmp && mv $@.tmp $@

$(MAN_DIR)/%: man/%.scd $(GEN_DIR)/datadir
	@mkdir -p $(@D)
	sed 's|@DATADIR@|$(DATADIR)|g' $< | scdoc >$@.tmp && mv $@.tmp $@

# Objects embed DATADIR and VERSION (-DMIGSOCK_DATADIR, -DMIGSOCK_VERSION):
# rebuild them when either changes.
$(LIB_OBJS) $(foreach c,$(CMDS),$(call cmd_objs,$(c))): $(GEN_DIR)/datadir $(GEN_DIR)/version

# A command's main.c includes its help header: build it first.
$(foreach c,$(HELP_CMDS),$(eval $(BUILDDIR)/obj/$(c)/main.o: $(GEN_DIR)/help-$(c).h))

# Installed as section 1 and 5 pages.
.PHONY: install-man uninstall-man
install-man: $(MAN_PAGES)
	install -d $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5
	$(foreach p,$(filter %.1,$(MAN_PAGES)),install -m 0644 $(p) $(DESTDIR)$(MANDIR)/man1/ &&) true
	$(foreach p,$(filter %.5,$(MAN_PAGES)),install -m 0644 $(p) $(DESTDIR)$(MANDIR)/man5/ &&) true

uninstall-man:
	rm -f $(foreach p,$(filter %.1,$(MAN_PAGES)),$(DESTDIR)$(MANDIR)/man1/$(notdir $(p))) \
		$(foreach p,$(filter %.5,$(MAN_PAGES)),$(DESTDIR)$(MANDIR)/man5/$(notdir $(p)))
	-rmdir $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 2>/dev/null

INSTALL_EXTRA += install-man
UNINSTALL_EXTRA += uninstall-man
