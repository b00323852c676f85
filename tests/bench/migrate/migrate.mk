# tests/bench/migrate/migrate.mk - the end-to-end migration benchmark
# (root; real pods, QEMU guests): every forwarding case, figures, a plot.
#
#   make bench-migrate         3 alternated runs of a 1 GiB guest with a
#                              1 GiB disk per case, then with --parallel 4;
#                              table and plot in build/bench-migrate/
#   make bench-migrate-smoke   one small migration per case: the harness works
#
# BENCH_MIGRATE_ARGS passes options (see tests/bench/migrate/run-bench-migrate),
# e.g. BENCH_MIGRATE_ARGS="--runs 5 --parallel 4".

BENCH_MIGRATE := tests/bench/migrate/run-bench-migrate
BENCH_MIGRATE_ARGS ?=
# The binaries under test and nothing else: the pods' relays and the driver.
BENCH_MIGRATE_DEPS = $(filter %/migsock-relay %/migsock-migrate,$(BINS))

.PHONY: bench-migrate bench-migrate-smoke
bench-migrate: $(BENCH_MIGRATE_DEPS)
	MIGSOCK_BIN=$(abspath $(BUILDDIR)/bin) $(BENCH_MIGRATE) \
		--out $(abspath $(BUILDDIR))/bench-migrate $(BENCH_MIGRATE_ARGS)

bench-migrate-smoke: $(BENCH_MIGRATE_DEPS)
	MIGSOCK_BIN=$(abspath $(BUILDDIR)/bin) $(BENCH_MIGRATE) --smoke \
		--out $(abspath $(BUILDDIR))/bench-migrate-smoke $(BENCH_MIGRATE_ARGS)
