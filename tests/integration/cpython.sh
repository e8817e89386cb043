#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/integration/cpython.sh - transparency: CPython's own socket tests
# give the same results under `stackshim --stack dual --` as without it.
#
# Debian's python3 (/usr/bin/python3, not a pyenv-style wrapper) runs
# `-m test -v test_socket` twice in this test's network namespace (only lo),
# bare and under the launcher; each run's verbose output is reduced to one
# "TEST<TAB>RESULT" line per test (files/unittest_results.py: ok, FAIL,
# ERROR, expected-failure, unexpected-success, "skipped REASON"), and the two
# lists must be identical: every test whose result differs, or that only
# one run reports, is printed.  So that the comparison cannot pass
# vacuously, the bare run must have passed more than MIN_OK tests, and the
# second run must have had the library loaded (the wrapper below checks
# /proc/self/maps in the process that runs the tests).
#
# Left out (-i), each for a reason:
#   *VSOCK*   the AF_VSOCK tests wait for a vsock peer that this sandbox (and
#             a CI VM) lacks; they hang until the per-test timeout.
# The hosts file: test_socket's HOST is "localhost", and the suite treats it
# as an IPv4 name (an AF_INET server bound to localhost, a client that
# create_connection()s to localhost).  lib.sh's hosts file gives localhost
# both 127.0.0.1 and ::1; on a dual stack a name of both families resolves
# to IPv6 only (SPEC §1, dual/none/both = prefer = ipv6): by design, the
# client then only tries ::1, and BasicTCPTest2 waits in accept() for a
# client that gave up.  So this test's hosts file says what the suite
# assumes: localhost is 127.0.0.1, ::1 is ip6-localhost.
# Nothing else needed leaving out: three bare runs, and a bare run with both
# cores busy, gave identical lists (712 tests, 608 ok, 104 skipped for want
# of SCTP, CAN, RDS, TIPC, Bluetooth, AF_ALG, ... in the kernel).
#
# One run takes about 30 s on 2 cores; the script is given 30 minutes.

ITEST_TIMEOUT=1800
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/integration/lib.sh"
itest_init "$@"

files=$top_srcdir/tests/integration/files
PY=/usr/bin/python3
MIN_OK=300
RUN_TIMEOUT=$(limit 400)	# seconds for one run of the suite
TEST_TIMEOUT=120	# regrtest's own limit for one test file (it dumps the
			# tracebacks and exits when a test hangs)

if [ ! -x "$PY" ] ||
	! "$PY" -c 'import importlib.util, sys
sys.exit(importlib.util.find_spec("test.test_socket") is None)'; then
	itest_error "$PY or its test.test_socket is missing (Debian: libpython3.*-testsuite; see .ci/packages-test)"
fi

printf '127.0.0.1\tlocalhost\n::1\tip6-localhost ip6-loopback\n' \
	>"$tmp/hosts.cpython"
mount --bind "$tmp/hosts.cpython" /etc/hosts ||
	itest_error "bind $tmp/hosts.cpython to /etc/hosts"

# The wrapper that runs regrtest: says first whether the library is mapped
# into this very process.
cat >"$tmp/runtests.py" <<'EOF'
import sys
with open("/proc/self/maps") as f:
    loaded = "libstackshim" in f.read()
print("stackshim-loaded=%s" % ("yes" if loaded else "no"), flush=True)
from test.libregrtest import main
main()
EOF

# run_suite NAME [LAUNCHER-ARGS... --]: the suite, bare or under the
# launcher; output in $tmp/NAME.txt, results in $tmp/NAME.res, exit status
# in $run_status.
run_suite()
{
	local name=$1 start
	shift
	mkdir -p "$tmp/$name.cwd"
	start=$SECONDS
	(cd "$tmp/$name.cwd" && TMPDIR=$tmp/$name.cwd \
		timeout -k 5 "$RUN_TIMEOUT" "$@" "$PY" "$tmp/runtests.py" \
		-v --timeout "$TEST_TIMEOUT" -i '*VSOCK*' test_socket) \
		>"$tmp/$name.txt" 2>&1 </dev/null
	run_status=$?
	echo "# $name: exit $run_status$(status_note "$run_status") in $((SECONDS - start)) s"
	"$PY" "$files/unittest_results.py" "$tmp/$name.txt" >"$tmp/$name.res" ||
		itest_error "cannot parse $tmp/$name.txt"
}

# summary NAME: "N tests: N ok, N skipped, ..." of a result list.
summary()
{
	cut -f2 "$tmp/$1.res" | sed 's/^skipped.*/skipped/' | sort | uniq -c |
		awk '{ printf "%s%s %s", sep, $1, $2; sep = ", " } END { print "" }'
}

run_suite bare
bare_status=$run_status
run_suite shim "$STACKSHIM" --stack dual --
shim_status=$run_status

echo "# bare: $(wc -l <"$tmp/bare.res") tests: $(summary bare)"
echo "# shim: $(wc -l <"$tmp/shim.res") tests: $(summary shim)"

# --- the bare run is a real one ----------------------------------------------------
n_ok=$(grep -c "	ok$" "$tmp/bare.res")
if [ "$n_ok" -gt "$MIN_OK" ]; then
	pass "bare: $n_ok tests passed (more than $MIN_OK)"
else
	fail "bare: more than $MIN_OK tests passed" "got: $n_ok" \
		"$(tail -n 20 "$tmp/bare.txt")"
fi
expect "bare: the suite ran without the library" "stackshim-loaded=no" \
	"$(grep -m1 '^stackshim-loaded=' "$tmp/bare.txt")"
expect "under the shim: the library is loaded in the test process" \
	"stackshim-loaded=yes" "$(grep -m1 '^stackshim-loaded=' "$tmp/shim.txt")"

# --- the same results ----------------------------------------------------------------
expect "regrtest exit status: under the shim as bare" "$bare_status" \
	"$shim_status"
diffs=$(join -t "	" -a1 -a2 -e "(not run)" -o 0,1.2,2.2 \
	"$tmp/bare.res" "$tmp/shim.res" 2>/dev/null |
	awk -F '\t' '$2 != $3 { printf "%s\n    bare: %s\n    shim: %s\n", $1, $2, $3 }')
# A safety net: whatever join makes of the lists, they must be equal.
if [ -z "$diffs" ] && ! cmp -s "$tmp/bare.res" "$tmp/shim.res"; then
	diffs=$(diff "$tmp/bare.res" "$tmp/shim.res")
fi
if [ -z "$diffs" ]; then
	pass "stackshim --stack dual -- python3 -m test test_socket: every one of $(wc -l <"$tmp/shim.res") results as bare"
else
	n=$(printf '%s\n' "$diffs" | grep -vc '^    ')
	fail "stackshim --stack dual -- python3 -m test test_socket: $n results differ from bare (the first 30 here)" \
		"$(printf '%s\n' "$diffs" | head -n 90)"
	# What failed under the shim: the tracebacks, and the end of the
	# output (regrtest's dump of every thread when a test hung).
	awk '/^(FAIL|ERROR): /, /^-{20,}$/' "$tmp/shim.txt" | head -n 150 |
		sed 's/^/    shim| /'
	echo "    the end of the run under the shim:"
	tail -n 60 "$tmp/shim.txt" | sed 's/^/    shim| /'
fi

finish
