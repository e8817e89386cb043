# bench/local.mk - the benchmarks (make bench); included by Makefile.am.
