#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/shim/stress.sh - thread and fork stress (issue 6, deliverable 3):
# stress-probe (tests/shim/stress-probe.c) runs with the library preloaded
# under "stack = ipv6" (mapped yes: AF_INET sockets are AF_INET6
# underneath), a log file, and name rules that cover every name it
# resolves, so that the name memory (shim/names.c), the peer-pool
# (shim/pool.c), their lock (shim/lock.c), the fd table (shim/fdstate.c)
# and the log writer (shim/log.c) are all shared by busy threads.
#
# 1. threads: 32 threads x 2,000 connects (64,000) through upgraded
#    sockets to the probe's listener, each socket first given another
#    number in one of five ways (none, dup, fcntl F_DUPFD, dup2 over a
#    pipe the library has learnt is no socket, dup3), while 4 threads
#    call getaddrinfo(), gethostbyname_r(), gethostbyname2_r() and
#    gethostbyname() (a peer-pool answer) on the hosts file's names
#    and 2 threads make, copy and close descriptors of other kinds (a raw
#    AF_INET6 socket made behind the hooks' back, AF_UNIX pairs, AF_INET6
#    and upgraded AF_INET datagram sockets).  Checked: no error at all
#    (each socket AF_INET at 127.0.0.1 to getsockname and getpeername, on
#    the right ports, AF_INET6 in the kernel; every accepted peer AF_INET
#    at the port its client says it has; every answer the expected one, a
#    peer-pool address the same each time; every other descriptor of its
#    own family), connects = accepted = upgraded = 64,000, 12,800 of each
#    way of copying, as many descriptors open after as before, and the
#    log: exactly one line per decision of each kind, in the format,
#    nothing torn or merged.
# 2. forks: 1,000 fork()+exec() cycles of "stress-probe child" from two
#    threads (half under STACKSHIM_STACK=ipv4) and 500 fork()s without
#    exec() whose child at once resolves (name memory, peer-pool: the
#    parent's pool addresses again) and connects (names_lookup, the log),
#    while 4 threads connect and 2 hold the library's lock as often as
#    they can (getpeername() of an upgraded socket's native IPv6 peer,
#    [::1], which asks the peer-pool under the lock), so that a fork()
#    that no pthread_atfork() handler guards would leave a child the lock
#    held for good.  Checked: all 1,000 exec'd children report
#    the policy of their stack held (ipv6: AF_INET upgraded, connects;
#    ipv4: AF_INET6 refused with EAFNOSUPPORT, AF_INET not upgraded), all
#    500 forked children succeed, no child hangs (each waited for at most
#    STRESS_WAIT seconds), accepted = connects, the pool address of [::1]
#    the same in every call, no descriptor left, and the log as in 1.
#
# A run that does not finish is a hang: the stacks of its threads are
# printed (gdb, when installed) before it is killed, and the test fails.
# No check depends on timing.  Under TSan (configure
# --enable-sanitizers=thread), the probe and its children must leave no
# report (TSAN_OPTIONS log_path, halt_on_error); the counts are the same
# there (the whole test takes about 40 s on 2 cores; 11 s bare).  gcc 12's
# TSan runs here with ASLR on, no setarch needed (vm.mmap_rnd_bits 28).
#
# Everything runs inside private mount and network namespaces (only lo,
# a hosts file of the test's own, "hosts: files"): root, unshare and ip
# are needed, else exit 77 (skip).  Needs top_builddir and top_srcdir
# (absolute, as make check exports them) and a C compiler (${CC:-cc}); 99
# when the library is not built, 1 after reporting every mismatch.

set -u

: "${top_srcdir:?top_srcdir must be set}"
# shellcheck source=tests/shim/lib.sh
. "$top_srcdir/tests/shim/lib.sh"

# The whole test's limit, and each probe run's (a hang is reported at
# RUN_LIMIT, with stacks, before LIMIT ends everything).
LIMIT=900
RUN_LIMIT=300

ns_reexec stress-probe.c "$LIMIT" "$@"

CONNECTORS=32 PER=2000 RESOLVERS=4 CHURNERS=2
EXECS=1000 FORKS=500 FORK_CONNECTORS=4

mount --make-rprivate / || exit 99
ip link set lo up || exit 99
# More ephemeral ports than the 28,232 of the default: a port comes back
# less often while the listener's side of its last connection is still in
# TIME_WAIT.  (This network namespace's own setting.)
echo "1024 65535" >/proc/sys/net/ipv4/ip_local_port_range || exit 99
printf '%s\n' $'127.0.0.1\tlocalhost' $'127.0.0.1\tconn.stackshim.test' \
	$'127.0.1.1\ta.v4.stackshim.test' $'127.0.1.2\tb.v4.stackshim.test' \
	$'fd00:5::1\ta.v6.stackshim.test' $'fd00:5::2\tb.v6.stackshim.test' \
	$'127.0.3.1\tblocked.stackshim.test' >"$tmp/hosts"
echo 'hosts: files' >"$tmp/nsswitch.conf"
mount --bind "$tmp/hosts" /etc/hosts || exit 99
mount --bind "$tmp/nsswitch.conf" /etc/nsswitch.conf || exit 99

conf=$tmp/stress.conf
log=$tmp/stress.log
printf '%s\n' 'stack = ipv6' "log = $log" 'allow = conn.stackshim.test' \
	'allow = *.v4.stackshim.test' 'allow = *.v6.stackshim.test' \
	'deny = blocked.stackshim.test' >"$conf"
# The rule= of each line: "FILE:LINE", FILE as a regex.
rule=$(printf '%s' "$conf" | sed 's/[].[*^$\\/]/\\&/g')
gdb=$(command -v gdb 2>/dev/null)

# run NAME ARG...: the probe, its output in $tmp/NAME.out and .err, its
# status in $rc and its pid in $pid; a run that has not ended after
# RUN_LIMIT seconds is a hang: FAIL, with its threads' stacks.
run()
{
	local name=$1 ticks=0 state=
	shift
	rm -f "$log" "$tmp"/tsan.*
	env LD_PRELOAD="$preload" STACKSHIM_CONF="$conf" \
		STRESS_GDB="$gdb" STRESS_WAIT=60 \
		TSAN_OPTIONS="${TSAN_OPTIONS:+$TSAN_OPTIONS }halt_on_error=1 exitcode=66 second_deadlock_stack=1 log_path=$tmp/tsan" \
		"$probe" "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" &
	pid=$!
	# kill -0 would say yes to the zombie of a probe that has ended.
	while read -r _ _ state _ 2>/dev/null <"/proc/$pid/stat" &&
		[ "$state" != Z ]; do
		if [ "$ticks" -ge $((RUN_LIMIT * 10)) ]; then
			fail "$name: the probe ends" \
				"expected: within $RUN_LIMIT s" \
				"got:      still running: a hang (stacks below)"
			if [ -n "$gdb" ]; then
				env -u LD_PRELOAD "$gdb" -batch -p "$pid" \
					-ex 'thread apply all bt' 2>&1
			else
				echo "(no gdb: no stacks)"
			fi
			kill -KILL "$pid"
			break
		fi
		sleep 0.1
		ticks=$((ticks + 1))
	done
	wait "$pid"
	rc=$?
}

# val NAME KEY: the probe's KEY= count of run NAME.
val()
{
	sed -n "s|^$2=||p" "$tmp/$1.out"
}

# expect_val WHAT NAME KEY EXPECTED
expect_val()
{
	expect "$1" "$4" "$(val "$2" "$3")"
}

# expect_clean NAME: run NAME exited 0, said nothing on stderr, and left
# no TSan report.
expect_clean()
{
	local reports
	expect "$1: the probe's exit status" 0 "$rc"
	expect "$1: the probe's stderr" "" "$(head -c 4000 "$tmp/$1.err")"
	reports=$(cat "$tmp"/tsan.* 2>/dev/null | head -c 20000)
	expect "$1: TSan reports" "" "$reports"
}

time_re='[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z'

# The line each resolver case logs, after "call=" (a case not listed logs
# none: libc's answer, unchanged, as getaddrinfo(AF_INET) and
# gethostbyname_r() of an IPv4 name under map give).  The labels are the
# probe's, CALL/[FAMILY/]NAME.
declare -A case_line=(
	[gai/unspec/a.v4.stackshim.test]="getaddrinfo name=a\.v4\.stackshim\.test stack=ipv6 cell=ipv6/ipv4/none outcome=map rule=$rule:4"
	[gai/inet6/a.v4.stackshim.test]="getaddrinfo family=inet6 name=a\.v4\.stackshim\.test stack=ipv6 cell=ipv6/ipv4/none outcome=map rule=$rule:4"
	[gai/inet/a.v6.stackshim.test]="getaddrinfo family=inet name=a\.v6\.stackshim\.test stack=ipv6 cell=ipv6/ipv6/none outcome=ipv6 rule=$rule:5 reason=peer-pool"
	[gai/inet/b.v6.stackshim.test]="getaddrinfo family=inet name=b\.v6\.stackshim\.test stack=ipv6 cell=ipv6/ipv6/none outcome=ipv6 rule=$rule:5 reason=peer-pool"
	[gai/unspec/blocked.stackshim.test]="getaddrinfo name=blocked\.stackshim\.test stack=ipv6 outcome=deny rule=$rule:6 error=EAI_NONAME"
	[ghbn/a.v6.stackshim.test]="gethostbyname_r family=inet name=a\.v6\.stackshim\.test stack=ipv6 cell=ipv6/ipv6/none outcome=ipv6 rule=$rule:5 reason=peer-pool"
	[ghbn/blocked.stackshim.test]="gethostbyname_r family=inet name=blocked\.stackshim\.test stack=ipv6 outcome=deny rule=$rule:6 error=HOST_NOT_FOUND"
	[ghbn2/inet6/a.v4.stackshim.test]="gethostbyname2_r family=inet6 name=a\.v4\.stackshim\.test stack=ipv6 cell=ipv6/ipv4/none outcome=map rule=$rule:4"
	[ghbn_static/b.v6.stackshim.test]="gethostbyname family=inet name=b\.v6\.stackshim\.test stack=ipv6 cell=ipv6/ipv6/none outcome=ipv6 rule=$rule:5 reason=peer-pool"
)

# expect_lines NAME WHAT COUNT REGEX: the log of run NAME has COUNT lines
# that are, whole, the head every line has and REGEX (after "program=...
# "); adds COUNT to $total.
expect_lines()
{
	local got
	got=$(grep -c -E -e "^time=$time_re pid=[0-9]+ program=stress-probe $4\$" "$log")
	expect "$1: log lines of $2" "$3" "$got"
	total=$((total + $3))
}

# check_log NAME: every line of run NAME's log is one of the expected
# kinds, as many of each as the probe's counts say, and nothing else.
check_log()
{
	local port label n ipv6_ok ipv4_ok fork_ok lockers
	port=$(val "$1" port)
	ipv6_ok=$(val "$1" exec_ipv6_ok)
	ipv4_ok=$(val "$1" exec_ipv4_ok)
	fork_ok=$(val "$1" fork_ok)
	lockers=$(val "$1" lockers)
	: "${ipv6_ok:=0}" "${ipv4_ok:=0}" "${fork_ok:=0}" "${lockers:=0}"
	total=0
	# The listener, each connection's socket (the probe's, an exec'd
	# ipv6 child's, a forked child's), each upgraded datagram socket,
	# each locker's.
	expect_lines "$1" "upgraded sockets" \
		$((1 + $(val "$1" upgraded) + $(val "$1" dgram4) + ipv6_ok + fork_ok + lockers)) \
		"call=socket family=inet stack=ipv6 reason=upgraded"
	# Connections to 127.0.0.1, the name's the probe resolved first (a
	# forked child remembers it too, an exec'd one does not).
	expect_lines "$1" "connects from conn.stackshim.test" \
		$(($(val "$1" connects) + fork_ok)) \
		"call=connect family=inet dest=127\.0\.0\.1:$port name=conn\.stackshim\.test stack=ipv6 cell=ipv6/ipv4/none outcome=map rule=$rule:3 translated=\[::ffff:127\.0\.0\.1\]:$port"
	expect_lines "$1" "connects of exec'd children" "$ipv6_ok" \
		"call=connect family=inet dest=127\.0\.0\.1:$port stack=ipv6 cell=ipv6/ipv4/none outcome=map translated=\[::ffff:127\.0\.0\.1\]:$port"
	expect_lines "$1" "AF_INET6 sockets refused under ipv4" "$ipv4_ok" \
		"call=socket family=inet6 stack=ipv4 error=EAFNOSUPPORT"
	# One peer-pool address given to each IPv6 name, once.
	expect_lines "$1" "fd00:5::1 given a pool address" 1 \
		"family=inet dest=fd00:5::1 stack=ipv6 translated=198\.1[89]\.[0-9]+\.[0-9]+ reason=peer-pool"
	expect_lines "$1" "fd00:5::2 given a pool address" 1 \
		"family=inet dest=fd00:5::2 stack=ipv6 translated=198\.1[89]\.[0-9]+\.[0-9]+ reason=peer-pool"
	# The lockers' peer (forks only).
	expect_lines "$1" "::1 given a pool address" $((lockers ? 1 : 0)) \
		"family=inet dest=::1 stack=ipv6 translated=198\.1[89]\.[0-9]+\.[0-9]+ reason=peer-pool"
	for label in $(printf '%s\n' "${!case_line[@]}" | sort); do
		n=$(val "$1" "$label")
		if [ -z "$n" ]; then
			fail "$1: the probe's count of $label" \
				"expected: a number" \
				"got:      none"
			continue
		fi
		expect_lines "$1" "$label" "$n" "call=${case_line[$label]}"
	done
	expect "$1: the log's lines, all of the kinds above" "$total" \
		"$(wc -l <"$log")"
}

# --- 1. threads ---------------------------------------------------------------

run threads threads "$CONNECTORS" "$PER" "$RESOLVERS" "$CHURNERS"
expect_clean threads
all=$((CONNECTORS * PER))
expect_val "threads: connections made and checked" threads connects "$all"
expect_val "threads: connections accepted and checked" threads accepted "$all"
expect_val "threads: sockets upgraded" threads upgraded "$all"
for k in 1 2 3 4; do
	expect_val "threads: sockets renumbered, way $k" threads "churn$k" $((all / 5))
done
for key in raw6 pairs dgram6 dgram4; do
	n=$(val threads $key)
	if [ "${n:-0}" -ge $((CHURNERS * 10)) ]; then
		pass "threads: $key made and checked ($n)"
	else
		fail "threads: $key made and checked" \
			"expected: >= $((CHURNERS * 10))" \
			"got:      ${n:-none}"
	fi
done
expect_val "threads: failed checks" threads failures 0
expect "threads: descriptors open after = before" "$(val threads fds_before)" \
	"$(val threads fds_after)"
check_log threads
expect "threads: log lines of another pid than the probe's" 0 \
	"$(grep -c -v "^time=[^ ]* pid=$pid " "$log")"

# --- 2. forks -----------------------------------------------------------------

# The pool is the host's (shim/poolfile.c): without its file, this run's
# processes give fd00:5::1 and fd00:5::2 their addresses, and log them,
# afresh.
rm -f /run/stackshim/pool-* "$XDG_RUNTIME_DIR"/stackshim/pool-*

run forks forks "$EXECS" "$FORKS" "$FORK_CONNECTORS"
expect_clean forks
expect_val "forks: exec'd children under ipv6 that reported" forks exec_ipv6_ok $((EXECS / 2))
expect_val "forks: exec'd children under ipv4 that reported" forks exec_ipv4_ok $((EXECS - EXECS / 2))
expect_val "forks: forked children that succeeded" forks fork_ok "$FORKS"
expect_val "forks: failed checks" forks failures 0
expect "forks: connections made = upgraded" "$(val forks upgraded)" "$(val forks connects)"
expect "forks: accepted = the probe's connects + its children's" \
	$(($(val forks connects) + $(val forks exec_ipv6_ok) + $(val forks fork_ok))) \
	"$(val forks accepted)"
n=$(val forks peer_asked)
if [ "${n:-0}" -ge 40 ]; then
	pass "forks: lockers' getpeername() of [::1] asked the pool ($n)"
else
	fail "forks: lockers' getpeername() of [::1] asked the pool" \
		"expected: >= 40" \
		"got:      ${n:-none}"
fi
expect "forks: descriptors open after = before" "$(val forks fds_before)" \
	"$(val forks fds_after)"
check_log forks

if [ "$failures" -ne 0 ]; then
	for f in threads forks; do
		echo "--- $f: the probe's output"
		cat "$tmp/$f.out" "$tmp/$f.err"
	done
fi
finish
