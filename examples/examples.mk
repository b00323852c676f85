# examples/examples.mk - install the example scripts and Kubernetes
# manifests under $(DATADIR)/examples (the image's DaemonSet runs the
# installed bridge-loop from there).
EXAMPLE_SCRIPTS := $(wildcard examples/*.sh)
EXAMPLE_K8S := $(wildcard examples/k8s/README.md examples/k8s/validate.mjs examples/k8s/*/*.yaml)
EXAMPLE_K8S_BIN := examples/k8s/daemonset-bridge/bridge-loop
EXAMPLE_DIRS := $(sort $(dir $(EXAMPLE_K8S) $(EXAMPLE_K8S_BIN)))

.PHONY: install-examples uninstall-examples
install-examples:
	install -d $(DESTDIR)$(DATADIR)/examples $(patsubst %,$(DESTDIR)$(DATADIR)/%,$(EXAMPLE_DIRS))
	$(if $(EXAMPLE_SCRIPTS),install -m 0755 $(EXAMPLE_SCRIPTS) $(DESTDIR)$(DATADIR)/examples/)
	$(foreach f,$(EXAMPLE_K8S),install -m 0644 $(f) $(DESTDIR)$(DATADIR)/$(f) &&) true
	install -m 0755 $(EXAMPLE_K8S_BIN) $(DESTDIR)$(DATADIR)/$(EXAMPLE_K8S_BIN)

# After the systemd examples, which share $(DATADIR)/examples.
uninstall-examples: uninstall-systemd
	rm -f $(patsubst %,$(DESTDIR)$(DATADIR)/%,$(EXAMPLE_SCRIPTS) $(EXAMPLE_K8S) $(EXAMPLE_K8S_BIN))
	-rmdir $(sort $(patsubst %/,$(DESTDIR)$(DATADIR)/%,$(EXAMPLE_DIRS))) 2>/dev/null
	-rmdir $(DESTDIR)$(DATADIR)/examples/k8s $(DESTDIR)$(DATADIR)/examples 2>/dev/null

INSTALL_EXTRA += install-examples
UNINSTALL_EXTRA += uninstall-examples
