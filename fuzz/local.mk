# fuzz/local.mk - the libFuzzer targets (make fuzz); included by Makefile.am.
EXTRA_DIST += fuzz/run.sh

.PHONY: fuzz
fuzz:
	@echo "fuzz: not written yet"
