# SPDX-License-Identifier: MIT
# bench/local.mk - the benchmarks (make bench); included by Makefile.am.
#
# The benchmark programs are built by "make bench", and by "make check" for
# tests/shim/bench.sh (which runs the driver at 1/100 scale); never
# installed, never run as tests themselves.

check_PROGRAMS += bench/bench_rules bench/bench_net
bench_bench_rules_SOURCES = bench/rules.c
bench_bench_rules_LDADD = policy/libpolicy.la
bench_bench_net_SOURCES = bench/net.c
EXTRA_DIST += bench/run.sh bench/analysis.md

.PHONY: bench
bench: bench/bench_rules$(EXEEXT) bench/bench_net$(EXEEXT) shim/libstackshim.la \
		stackshim$(EXEEXT)
	STACKSHIM_VERSION=$(PACKAGE_VERSION) bash $(srcdir)/bench/run.sh \
		bench/bench_net$(EXEEXT) bench/bench_rules$(EXEEXT) \
		shim/.libs/libstackshim.so $(srcdir)/BENCHMARKS.md \
		./stackshim$(EXEEXT)
