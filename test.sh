#!/bin/sh
# SPDX-License-Identifier: MIT
# Build stackshim and run its whole test suite, in this order:
#   1. make check;
#   2. make check again, everything built with ASan and UBSan
#      (tests/sanitize.sh address,undefined, in _sanitize/);
#   3. the thread stress built with TSan (tests/sanitize.sh thread);
#   4. every fuzz target for FUZZ_SECONDS each (default 60; fuzz/run.sh);
#   5. make distcheck.
# Run from anywhere; exits non-zero when anything fails.
set -eu
cd "$(dirname "$0")"
jobs=$(nproc 2>/dev/null || echo 2)

[ -x configure ] || autoreconf -fi
[ -f Makefile ] || ./configure
make -j"$jobs"

status=0
make -j"$jobs" check || status=$?
if [ -f test-suite.log ]; then
	pass=$(sed -n 's/^# PASS: *//p' test-suite.log)
	fail=$(sed -n 's/^# FAIL: *//p' test-suite.log)
	error=$(sed -n 's/^# ERROR: *//p' test-suite.log)
	skip=$(sed -n 's/^# SKIP: *//p' test-suite.log)
	[ "$status" = 0 ] || cat test-suite.log
	echo "check: ${pass:-0} passed, $(( ${fail:-0} + ${error:-0} )) failed, ${skip:-0} skipped"
fi
[ "$status" = 0 ] || exit "$status"

sh tests/sanitize.sh address,undefined
sh tests/sanitize.sh thread tests/shim/stress.sh tests/shim/sigstress.sh
sh fuzz/run.sh "${FUZZ_SECONDS:-60}"

make -j"$jobs" distcheck
