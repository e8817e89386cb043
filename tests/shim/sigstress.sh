#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/shim/sigstress.sh - signal handlers that call the library's
# async-signal-safe hooks where a hook must not reach into what the
# interrupted code holds (issue 17, items 7, 8 and 9, and its standing
# "signal-handler stress"): sigstress-probe (tests/shim/sigstress-probe.c)
# under "stack = ipv6" and "deny = 127.0.0.2".  Its handlers (SIGALRM
# every 200 us, SIGIO per datagram) call socket, bind, getsockname,
# connect, sendto, dup2, close, recvfrom on an upgraded socket that new
# IPv6 peers send to (each a new peer-pool address), accept4 and
# getpeername of new IPv6 clients, while the main thread
#   1. malloc: is in malloc(), realloc() and free() (3 runs): a hook that
#      allocated, or took a lock the thread holds, corrupts the heap or
#      deadlocks;
#   2. init: makes its first hooked call, the library's initialisation,
#      slow with a 200,000-rule config (2 runs);
#   3. logopen: makes the first logged call of a process whose log is a
#      file (40 runs, each opening the log once), the handlers logging too
#      (the library initialised before, by a call that logs nothing): a
#      once-flag or lock around the log's opening deadlocks;
#   4. fork: (no handler) makes children with _Fork(), which runs no
#      pthread_atfork() handler, while 4 threads resolve a ruled name and
#      connect to it, taking the library's lock (shim/lock.c); each child
#      connects once, taking that lock.
# Passes when no run crashes (exit 0, nothing on stderr), none deadlocks
# (each is ended at RUN_LIMIT s, far beyond the seconds it runs), no child
# hangs, and nothing passes un-policed: every AF_INET socket upgraded, every
# denied call refused with EACCES, every peer shown AF_INET (a pool
# address for IPv6 peers).  The handlers must have done their work (new
# pool addresses, accepted clients), so that the test cannot pass idle;
# a storm lasts its seconds and on, up to 31 times as long, until they
# have.  No check depends on timing.
#
# Under TSan (tests/sanitize.sh thread tests/shim/sigstress.sh), which
# reports a signal-unsafe call made in a signal handler, every run must
# leave no report; the fork case is left out there (TSan's runtime does
# not support _Fork()), and so is the init case until item 6 is in.
#
# Handlers on the initialising thread are policed by issue 17 item 6
# (shim/init.c: every signal waits from before pthread_once() claims the
# initialisation until the policy is loaded): the init runs' un-policed
# calls made before initialisation ends must be none.  INIT_POLICED=no
# would report them instead of failing.
#
# Runs in private mount and network namespaces (lo, 2001:db8::1/64 and a
# local route for 2001:db8::/64, its own hosts file): needs root, unshare
# and ip, else exit 77 (skip).  Needs top_builddir and top_srcdir and a C
# compiler (${CC:-cc}); 1 after reporting every mismatch.

set -u

: "${top_srcdir:?top_srcdir must be set}"
# shellcheck source=tests/shim/lib.sh
. "$top_srcdir/tests/shim/lib.sh"

INIT_POLICED=yes
LIMIT=900
RUN_LIMIT=300

ns_reexec sigstress-probe.c "$LIMIT" "$@"

mount --make-rprivate / || exit 99
ip link set lo up || exit 99
ip -6 addr add 2001:db8::1/64 dev lo || exit 99
# Any address of 2001:db8::/64 is local, and may be bound: the feeder's
# ever new sources.
ip -6 route add local 2001:db8::/64 dev lo || exit 99
echo 1 >/proc/sys/net/ipv6/ip_nonlocal_bind || exit 99
printf '%s\n' $'127.0.0.1\tlocalhost' $'127.0.0.1\truled.stackshim.test' \
	>"$tmp/hosts"
echo 'hosts: files' >"$tmp/nsswitch.conf"
mount --bind "$tmp/hosts" /etc/hosts || exit 99
mount --bind "$tmp/nsswitch.conf" /etc/nsswitch.conf || exit 99

conf=$tmp/sig.conf
printf '%s\n' 'stack = ipv6' 'deny = 127.0.0.2' \
	'allow = ruled.stackshim.test' >"$conf"
big=$tmp/big.conf
# 200,000 rules of a documentation network: a slow initialisation.
{
	cat "$conf"
	awk 'BEGIN { for (i = 0; i < 200000; i++)
		printf "deny = 203.0.%d.%d %d udp\n", int(i / 256) % 256, i % 256, 1 + i % 60000 }'
} >"$big"
log=$tmp/sig.log
logconf=$tmp/log.conf
printf '%s\n' 'stack = ipv6' 'deny = 127.0.0.2' "log = $log" >"$logconf"
gdb=$(command -v gdb 2>/dev/null)

# run NAME CONF MODE SECONDS: the probe, its output in $tmp/NAME.out and
# .err, its status in $rc; a run not ended after RUN_LIMIT s is a
# deadlock: FAIL, with its threads' stacks.
run()
{
	local name=$1 conf=$2 ticks=0 state= pid
	shift 2
	rm -f "$tmp"/tsan.*
	env LD_PRELOAD="$preload" STACKSHIM_CONF="$conf" \
		STACKSHIM_IPV4_LOOPBACK=yes \
		TSAN_OPTIONS="${TSAN_OPTIONS:+$TSAN_OPTIONS }halt_on_error=1 exitcode=66 log_path=$tmp/tsan" \
		"$probe" "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" &
	pid=$!
	while read -r _ _ state _ 2>/dev/null <"/proc/$pid/stat" &&
		[ "$state" != Z ]; do
		if [ "$ticks" -ge $((RUN_LIMIT * 10)) ]; then
			fail "$name: the probe ends" \
				"expected: within $RUN_LIMIT s" \
				"got:      still running: a deadlock (stacks below)"
			[ -z "$gdb" ] || env -u LD_PRELOAD "$gdb" -batch -p "$pid" \
				-ex 'thread apply all bt' 2>&1 | grep -E '^(#|Thread)'
			kill -KILL "$pid"
			break
		fi
		sleep 0.1
		ticks=$((ticks + 1))
	done
	wait "$pid"
	rc=$?
}

val()
{
	sed -n "s|^$2=||p" "$tmp/$1.out"
}

# positive WHAT NAME KEY: run NAME's KEY is more than 0.
positive()
{
	local got
	got=$(val "$2" "$3")
	if [ "${got:-0}" -gt 0 ]; then
		pass "$1 ($3=$got)"
	else
		fail "$1" "expected: $3 > 0" "got:      ${got:-nothing}"
	fi
}

# clean NAME: run NAME exited 0, said nothing on stderr, left no TSan
# report, and let nothing pass un-policed.
clean()
{
	expect "$1: the probe's exit status" 0 "$rc"
	expect "$1: the probe's stderr" "" "$(head -c 4000 "$tmp/$1.err")"
	expect "$1: TSan reports" "" "$(cat "$tmp"/tsan.* 2>/dev/null | head -c 20000)"
	expect "$1: un-policed calls in handlers" 0 "$(val "$1" unpoliced)"
	positive "$1: the handlers ran" "$1" signals
}

# 1. The main thread in the allocator.
for i in 1 2 3; do
	run "malloc$i" "$conf" malloc 3
	clean "malloc$i"
	expect "malloc$i: un-policed calls before init ended" 0 \
		"$(val "malloc$i" unpoliced_init)"
	positive "malloc$i: IPv6 peers given pool addresses in handlers" \
		"malloc$i" pooled
	positive "malloc$i: IPv6 clients accepted in handlers" "malloc$i" accepted
done

# 2. The main thread initialising the library.  Under TSan, whose
# runtime delivers a signal at the end of the next intercepted call, a
# handler's hook meets the initialisation in progress on its own thread
# every time, and item 6 is not yet there to keep it from loading the
# policy (calloc) in the handler or waiting on shim/init.c's once-flag.
init_runs="1 2"
case ,${SANITIZERS:-}, in
*,thread,*)
	if [ "$INIT_POLICED" != yes ]; then
		echo "skipped under TSan until issue 17 item 6 (shim/init.c): init"
		init_runs=
	fi ;;
esac
for i in $init_runs; do
	run "init$i" "$big" init 2
	clean "init$i"
	got=$(val "init$i" unpoliced_init)
	if [ "$INIT_POLICED" = yes ]; then
		expect "init$i: un-policed calls before init ended" 0 "$got"
	else
		echo "known (issue 17 item 6, shim/init.c): init$i: $got calls passed un-policed in handlers before the initialisation ended"
	fi
done

# 3. The log's first opening.
for i in $(seq 40); do
	rm -f "$log"
	run "logopen$i" "$logconf" logopen 0.1
	clean "logopen$i"
	expect "logopen$i: un-policed calls before init ended" 0 \
		"$(val "logopen$i" unpoliced_init)"
	# One line per event, none torn or merged into another.
	bad=$(grep -c -v -E '^time=[^ ]+ pid=[0-9]+ program=sigstress-probe call=[a-z0-9]+ ([a-z_]+=[^ ]+ ?)+$' "$log")
	expect "logopen$i: every log line whole" 0 "$bad"
	bad=$(grep -c 'time=.*time=' "$log")
	expect "logopen$i: no line merged with another" 0 "$bad"
	[ -s "$log" ] || fail "logopen$i: the log has lines" "expected: lines" \
		"got:      none"
done

# 4. _Fork() while the library's lock is busy.
case ,${SANITIZERS:-}, in
*,thread,*)
	echo "skipped under TSan: fork (its runtime does not support _Fork())" ;;
*)
	run fork "$conf" fork 10
	expect "fork: the probe's exit status" 0 "$rc"
	expect "fork: the probe's stderr" "" "$(head -c 4000 "$tmp/fork.err")"
	expect "fork: children of _Fork() that hung in connect()" 0 \
		"$(val fork hangs)"
	positive "fork: children made" fork forks ;;
esac

finish
