#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/integration/cpython-stacks.sh - CPython's own networking suites
# under each emulated stack, against a real host of that stack.
#
# Hosts (network namespaces of this test; nothing leaves them):
#   dual    this namespace: lo (127.0.0.1, ::1) and e0 with 192.0.2.1/24 and
#           2001:db8::1/64
#   v4only  lo (127.0.0.1) and e0 with 192.0.2.1/24, IPv6 disabled
#   v6only  lo (127.0.0.1 kept, as on every real IPv6-only Linux host, and
#           ::1) and e0 with 2001:db8::1/64
# Comparisons, each the same suites (SUITES below, Debian's python3):
#   stackshim --stack dual                 on dual  vs bare on dual
#   stackshim --stack ipv6                 on dual  vs bare on dual
#   stackshim --stack ipv6 --mapped no     on dual  vs bare on v6only
#   stackshim --stack ipv4                 on dual  vs bare on v4only
# Each run's verbose output is reduced to "TEST<TAB>RESULT" lines
# (files/unittest_results.py); every test whose result differs must be
# listed, with its reason, in files/cpython-differences.txt, and nothing
# else may differ.  A listed difference that no longer shows is reported
# (not failed), so that the list can be kept short.  So that no comparison
# passes vacuously, every bare run must pass more than MIN_OK tests and
# every shim run must have the library loaded in the test process.
#
# Left out (-i), as in cpython.sh: the AF_VSOCK tests, which wait for a
# vsock peer this sandbox lacks.  The sanitizer builds leave this test out
# (exit 77): it runs the suites seven times, and cpython.sh keeps
# test_socket's comparison there.

ITEST_TIMEOUT=3000
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/integration/lib.sh"
if [ -n "${SANITIZERS:-}" ]; then
	echo "SKIP: the sanitizer builds run cpython.sh instead"
	exit 77
fi
itest_init "$@"

files=$top_srcdir/tests/integration/files
PY=/usr/bin/python3
MIN_OK=1000
RUN_TIMEOUT=$(limit 1200)	# seconds for one run of the suites
TEST_TIMEOUT=300	# regrtest's own limit for one test file
RECHECKS=3	# reruns of a test whose result differs without a reason
SUITES='test_socket test_asyncio.test_events test_asyncio.test_sock_lowlevel
test_asyncio.test_streams test_asyncio.test_base_events test_ssl test_ftplib
test_smtplib test_httplib test_urllib2_localnet'

"$PY" -c 'import importlib.util, sys
sys.exit(importlib.util.find_spec("test.test_socket") is None)' ||
	itest_error "$PY or its test suite is missing (Debian: libpython3.*-testsuite)"

# The suites' HOST is "localhost", an IPv4 name to them (cpython.sh says
# why); ::1 is ip6-localhost.
printf '127.0.0.1\tlocalhost\n::1\tip6-localhost ip6-loopback\n' \
	>"$tmp/hosts.cpython"
mount --bind "$tmp/hosts.cpython" /etc/hosts ||
	itest_error "bind $tmp/hosts.cpython to /etc/hosts"

V4=v4only$ITEST_ID
V6=v6only$ITEST_ID
# host NETNS ADDR...: an e0 (a veth whose peer stays down) with ADDRs.
host()
{
	local ns=$1 addr
	shift
	in_netns "$ns" ip link add e0 type veth peer name e1 ||
		itest_error "veth in ${ns:-this namespace}"
	in_netns "$ns" ip link set e0 up || itest_error "e0 up"
	in_netns "$ns" ip link set e1 up || itest_error "e1 up"
	for addr in "$@"; do
		in_netns "$ns" ip addr add "$addr" dev e0 nodad 2>/dev/null ||
			in_netns "$ns" ip addr add "$addr" dev e0 ||
			itest_error "$addr in ${ns:-this namespace}"
	done
}
host "" 192.0.2.1/24 2001:db8::1/64
netns_add "$V4"
ipv6_off "$V4"
host "$V4" 192.0.2.1/24
netns_add "$V6"
host "$V6" 2001:db8::1/64
expect "$V6: IPv4 on lo only" "lo 127.0.0.1/8" \
	"$(ip -n "$V6" -4 -o addr show | awk '{print $2, $4}')"

cat >"$tmp/runtests.py" <<'PYEOF'
import sys
with open("/proc/self/maps") as f:
    loaded = "libstackshim" in f.read()
print("stackshim-loaded=%s" % ("yes" if loaded else "no"), flush=True)
from test.libregrtest import main
main()
PYEOF

# suites NAME NETNS [LAUNCHER-ARGS... --] -- REGRTEST-ARGS...: regrtest in
# NETNS ("": here), bare or under the launcher; its output in $tmp/NAME.txt,
# its results in $tmp/NAME.res.
suites()
{
	local name=$1 ns=$2 cmd=()
	shift 2
	while [ "$1" != -- ] || [ "${2:-}" = -- ]; do
		cmd+=("$1")
		shift
	done
	shift
	mkdir -p "$tmp/$name.cwd"
	(cd "$tmp/$name.cwd" && TMPDIR=$tmp/$name.cwd \
		timeout -k 5 "$RUN_TIMEOUT" \
		${ns:+ip netns exec "$ns"} "${cmd[@]}" "$PY" "$tmp/runtests.py" \
		-v --timeout "$TEST_TIMEOUT" -i '*VSOCK*' "$@") \
		>"$tmp/$name.txt" 2>&1 </dev/null
	SUITES_STATUS=$?
	"$PY" "$files/unittest_results.py" "$tmp/$name.txt" >"$tmp/$name.res" ||
		itest_error "cannot parse $tmp/$name.txt"
}

# run NAME NETNS [LAUNCHER-ARGS... --]: all of SUITES, as suites() does;
# how, kept for recheck().
declare -A RUN_NS RUN_CMD
run()
{
	local name=$1 ns=$2 start
	shift 2
	# shellcheck disable=SC2034 # read in recheck()'s eval
	RUN_NS[$name]=$ns
	RUN_CMD[$name]=
	[ $# -eq 0 ] || RUN_CMD[$name]=$(printf '%q ' "$@")
	start=$SECONDS
	# shellcheck disable=SC2086 # SUITES is a list of words
	suites "$name" "$ns" "$@" -- $SUITES
	echo "# $name: exit $SUITES_STATUS$(status_note "$SUITES_STATUS") in $((SECONDS - start)) s"
	echo "#   $(wc -l <"$tmp/$name.res") results:" \
		"$(cut -f2 "$tmp/$name.res" | sed 's/^skipped.*/skipped/' |
			sort | uniq -c | tr -s ' \n' ' ')"
}

# differ REAL-RES SHIM-RES LABEL: the "TEST<TAB>REAL<TAB>SHIM" lines where
# the two differ, and files/cpython-differences.txt gives LABEL no reason.
differ()
{
	awk -F '\t' -v l="$3" '$1 == l { print $2 }' \
		"$files/cpython-differences.txt" >"$tmp/listed"
	join -t "	" -a1 -a2 -e "(not run)" -o 0,1.2,2.2 "$1" "$2" |
		awk -F '\t' '$2 != $3' | grep -Ev -f "$tmp/listed" -e '^$'
}

# recheck LABEL REAL SHIM: of the unexplained differences in
# $tmp/unexplained, those that show again when only their tests run, real
# and shim once more, up to RECHECKS times; the rest were the suites' own
# races (a port that find_unused_port() freed and another thread took),
# and are noted.  A test's id names its suite (the id
# test.test_asyncio.test_events.C.m, the suite test_asyncio.test_events);
# one that a rerun does not report (a setUpClass) stays unexplained.
recheck()
{
	local label=$1 real=$2 shim=$3 try id suite args which
	for try in $(seq "$RECHECKS"); do
		args=()
		which=
		while IFS= read -r id; do
			id=${id#*(}
			id=${id%%)*}
			for suite in $SUITES; do
				case $id in "test.$suite".*)
					args+=(-m "$id")
					case " $which " in *" $suite "*) ;;
					*) which="$which $suite" ;;
					esac ;;
				esac
			done
		done <"$tmp/unexplained"
		[ ${#args[@]} -gt 0 ] || break
		eval "suites $real.re$try \"\${RUN_NS[$real]}\" ${RUN_CMD[$real]} -- \"\${args[@]}\" $which"
		eval "suites $shim.re$try \"\${RUN_NS[$shim]}\" ${RUN_CMD[$shim]} -- \"\${args[@]}\" $which"
		{
			differ "$tmp/$real.re$try.res" "$tmp/$shim.re$try.res" \
				"$label" | cut -f1 | grep -Fxf - "$tmp/unexplained"
			cut -f1 "$tmp/$real.re$try.res" |
				grep -Fxvf - "$tmp/unexplained"
		} | sort -u >"$tmp/still"
		grep -Fxvf "$tmp/still" "$tmp/unexplained" | sed 's/\t.*//' |
			sed "s/^/note: $label: differed once, not again (recheck $try): /"
		mv "$tmp/still" "$tmp/unexplained"
	done
	grep -q . "$tmp/unexplained" || return 0
	return 1
}

# bare NAME: the bare run NAME is a real one.
bare()
{
	local n_ok
	n_ok=$(grep -c "	ok$" "$tmp/$1.res")
	if [ "$n_ok" -gt "$MIN_OK" ]; then
		pass "$1: $n_ok tests passed (more than $MIN_OK)"
	else
		fail "$1: more than $MIN_OK tests passed" "got: $n_ok" \
			"$(tail -n 20 "$tmp/$1.txt")"
	fi
	expect "$1: without the library" "stackshim-loaded=no" \
		"$(grep -m1 '^stackshim-loaded=' "$tmp/$1.txt")"
}

# compare LABEL REAL SHIM: every difference between the two result lists
# is one files/cpython-differences.txt gives a reason for under LABEL, or
# one that recheck() does not see again.
compare()
{
	local label=$1 real=$2 shim=$3 diffs listed
	expect "$label: the library is loaded in the test process" \
		"stackshim-loaded=yes" \
		"$(grep -m1 '^stackshim-loaded=' "$tmp/$shim.txt")"
	diffs=$(join -t "	" -a1 -a2 -e "(not run)" -o 0,1.2,2.2 \
		"$tmp/$real.res" "$tmp/$shim.res" | awk -F '\t' '$2 != $3')
	differ "$tmp/$real.res" "$tmp/$shim.res" "$label" >"$tmp/unexplained.0"
	cut -f1 "$tmp/unexplained.0" >"$tmp/unexplained"
	if ! grep -q . "$tmp/unexplained" ||
		recheck "$label" "$real" "$shim"; then
		pass "$label: $(printf '%s\n' "$diffs" | grep -c .) results differ from $real, each for a listed reason or once only"
	else
		fail "$label: results that differ from $real without a listed reason" \
			"$(grep -Ff "$tmp/unexplained" "$tmp/unexplained.0" |
				head -n 60 |
				awk -F '\t' '{ printf "%s\n    %s: %s\n    shim: %s\n", $1, r, $2, $3 }' r="$real")"
		awk '/^(FAIL|ERROR): /, /^-{20,}$/' "$tmp/$shim.txt" |
			head -n 150 | sed "s/^/    $shim| /"
	fi
	while IFS= read -r listed; do
		[ -n "$listed" ] || continue
		printf '%s\n' "$diffs" | grep -Eq -e "$listed" ||
			echo "note: $label: listed but not seen: $listed"
	done <"$tmp/listed"
}

run dual "" ; bare dual
run v6only "$V6"; bare v6only
run v4only "$V4"; bare v4only
run shim-dual "" "$STACKSHIM" --stack dual --
compare "dual" dual shim-dual
run shim-ipv6 "" "$STACKSHIM" --stack ipv6 --
compare "ipv6" dual shim-ipv6
run shim-ipv6-nomap "" "$STACKSHIM" --stack ipv6 --mapped no --
compare "ipv6-mapped-no" v6only shim-ipv6-nomap
run shim-ipv4 "" "$STACKSHIM" --stack ipv4 --
compare "ipv4" v4only shim-ipv4

finish
