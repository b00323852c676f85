# tests/bench/migrate/migrate.mk - the end-to-end migration benchmark
# (root; real pods, QEMU guests): every forwarding case, figures, a plot;
# and the results folder of issue 12 (both benchmarks in one run).
#
#   make bench-migrate         3 alternated runs of a 1 GiB guest (768 MiB
#                              filled) with a 768 MiB disk per case (a b d)
#                              and scenario
#                              (one connection, --parallel 4, post-copy,
#                              contention); table and plot in
#                              build/bench-migrate/
#   make bench-migrate-smoke   one small migration per case and scenario:
#                              the harness works
#   make bench-results         make bench and make bench-migrate in one run
#                              (about 20 minutes on 2 CPUs), written to a new
#                              tests/bench/migrate/results-YYYY-MM-DD/ in
#                              place of the old one (tests/bench/run-results)
#
# BENCH_MIGRATE_ARGS passes options (see tests/bench/migrate/run-bench-migrate),
# e.g. BENCH_MIGRATE_ARGS="--runs 5 --scenarios parallel";
# BENCH_RESULTS_ARGS those of run-results, e.g. "--wait-quiet 180".

BENCH_MIGRATE := tests/bench/migrate/run-bench-migrate
BENCH_MIGRATE_ARGS ?=
BENCH_RESULTS_ARGS ?=
# The binaries under test and nothing else: the pods' relays, the driver,
# and the load tool (its memory watch and CPU hogs).
BENCH_MIGRATE_DEPS = $(filter %/migsock-relay %/migsock-migrate,$(BINS)) $(MSBENCH)
BENCH_MIGRATE_ENV = MIGSOCK_BIN=$(abspath $(BUILDDIR)/bin) MSBENCH=$(abspath $(MSBENCH))

.PHONY: bench-migrate bench-migrate-smoke bench-results
bench-migrate: $(BENCH_MIGRATE_DEPS)
	$(BENCH_MIGRATE_ENV) $(BENCH_MIGRATE) \
		--out $(abspath $(BUILDDIR))/bench-migrate $(BENCH_MIGRATE_ARGS)

bench-migrate-smoke: $(BENCH_MIGRATE_DEPS)
	$(BENCH_MIGRATE_ENV) $(BENCH_MIGRATE) --smoke \
		--out $(abspath $(BUILDDIR))/bench-migrate-smoke $(BENCH_MIGRATE_ARGS)

bench-results: $(BENCH_MIGRATE_DEPS) $(BENCH_DEPS)
	$(BENCH_MIGRATE_ENV) tests/bench/run-results $(BENCH_RESULTS_ARGS)
