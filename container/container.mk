# container/container.mk - the test pods (container/pods), the test guest
# (tests/guest) and the demo. Included by the top Makefile.
#
#   make guest         build the test guest into build/guest (the e2e tests
#                      and the demo also build it on demand)
#   make demo-shared   the demo in the shared-directory topology

.PHONY: guest demo-shared
guest:
	tests/guest/build $(abspath build/guest)

demo-shared: deps
	$(MAKE) all
	DEMO_TOPOLOGY=shared container/demo
