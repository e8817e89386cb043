# bench/local.mk - the benchmarks (make bench); included by Makefile.am.
#
# The benchmark programs are EXTRA_PROGRAMS: built by "make bench", and by
# "make check" for tests/shim/bench.sh only, never installed.

EXTRA_PROGRAMS = bench/bench_rules bench/bench_net
bench_bench_rules_SOURCES = bench/rules.c
bench_bench_rules_LDADD = policy/libpolicy.la
bench_bench_net_SOURCES = bench/net.c
EXTRA_DIST += bench/run.sh bench/analysis.md
CLEANFILES = $(EXTRA_PROGRAMS)
tests/shim/bench.log: bench/bench_net$(EXEEXT) bench/bench_rules$(EXEEXT)

.PHONY: bench
bench: bench/bench_rules$(EXEEXT) bench/bench_net$(EXEEXT) shim/libstackshim.la
	STACKSHIM_VERSION=$(PACKAGE_VERSION) bash $(srcdir)/bench/run.sh \
		bench/bench_net$(EXEEXT) bench/bench_rules$(EXEEXT) \
		shim/.libs/libstackshim.so $(srcdir)/BENCHMARKS.md
