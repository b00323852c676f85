# tests/bench/bench.mk - the relay benchmark (`make bench`) and its smoke
# test in `make check` (the tool works and checks bytes; no speed asserted).

MSBENCH := $(BUILDDIR)/bench/msbench
# Only what the benchmark runs: the tool and, once it exists, the relay.
BENCH_DEPS = $(MSBENCH) $(filter %/migsock-relay,$(BINS))
BENCH_ENV = MSBENCH=$(abspath $(MSBENCH)) MIGSOCK_BIN=$(abspath $(BUILDDIR)/bin)

MSBENCH_SRCS := tests/bench/msbench.c tests/bench/report.c tests/bench/watch.c

$(MSBENCH): $(MSBENCH_SRCS) tests/bench/msbench.h $(LIBA) $(wildcard src/lib/*.h)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Itests/bench -pthread $(ALL_LDFLAGS) -o $@ \
		$(MSBENCH_SRCS) $(LIBA) $(PKG_LIBS) -pthread

.PHONY: bench-tool bench-smoke bench-smoke-run bench-pipeline
bench-tool: $(MSBENCH)

bench: $(BENCH_DEPS)
	$(BENCH_ENV) tests/bench/run-bench

# The smoke test runs the sanitizer build of the tool.
bench-smoke:
	$(MAKE) BUILDDIR=build/asan SANITIZE=1 bench-smoke-run

# Not built from here: the relay case runs if `make check` built the relay
# already, so a relay that does not compile fails its own targets, not this.
bench-smoke-run: $(MSBENCH)
	$(BENCH_ENV) $(BATS) --print-output-on-failure tests/bench/smoke.bats

# The whole results pipeline, small (root; about 8 minutes; not in check).
bench-pipeline: all $(MSBENCH)
	$(BENCH_ENV) $(BATS) --print-output-on-failure tests/bench/pipeline.bats

CHECK_EXTRA += bench-smoke
