#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/shim/gai-async.sh - glibc's asynchronous lookups under the shim
# (issue 17, item 5): getaddrinfo_a()'s requests pass the same policy as
# getaddrinfo(), and its notifications (SIGEV_SIGNAL with SI_ASYNCNL,
# SIGEV_THREAD), gai_error(), gai_suspend() (a timeout and a signal
# handler included) and gai_cancel() behave as glibc's, NULL entries too (tests/shim/gai-async-probe.c).  Before
# shim/getaddrinfo_a.c, glibc answered the requests inside libc: a denied
# name resolved and an ipv4 stack was handed ::1 and IPv6-only names.
#
# The namespace's resolver is files then DNS, its nameserver a UDP sink
# on 127.0.0.1:53 that never answers (socat), so a name not in the hosts
# file is still in progress for seconds (the resolver's timeout, 5 s).
# The sink writes what it gets to queries, which the probe watches to
# know a lookup has started: nothing here waits on the clock alone.

set -u

: "${top_srcdir:?top_srcdir must be set}"
# shellcheck source=tests/shim/lib.sh
. "$top_srcdir/tests/shim/lib.sh"

command -v socat >/dev/null || { echo "SKIP: socat is not installed"; exit 77; }
build_probe "$tmp/probe" gai-async-probe.c
printf '%s\n' "127.0.0.1 localhost" "::1 localhost" \
	"192.0.2.1 v4.stackshim.test" "2001:db8::1 v6.stackshim.test" \
	"192.0.2.9 denied.stackshim.test" >"$tmp/hosts"
printf 'hosts: files dns\n' >"$tmp/nsswitch.conf"
printf 'nameserver 127.0.0.1\noptions timeout:5 attempts:1\n' >"$tmp/resolv.conf"
printf 'deny = denied.stackshim.test\n' >"$tmp/deny.conf"
: >"$tmp/empty.conf"
ns_init 600

# run ENV... - the probe's calls, under env ENV, in a namespace whose DNS
# never answers.
calls=(
	wait/denied.stackshim.test,-,v4.stackshim.test,v6.stackshim.test,::1
	signal/v4.stackshim.test,::1,denied.stackshim.test
	thread/v6.stackshim.test,denied.stackshim.test
	suspend/v4.stackshim.test,denied.stackshim.test
	slow/slow.stackshim.test
	intr/-,slow2.stackshim.test
)
run()
{
	# shellcheck disable=SC2016 # expanded by the inner shell
	in_ns /bin/bash -c '
		mount --bind "$0/resolv.conf" /etc/resolv.conf || exit 99
		export GAI_PROBE_QUERIES=$0/queries
		: >"$GAI_PROBE_QUERIES"
		socat -u UDP4-RECV:53,bind=127.0.0.1 "OPEN:$GAI_PROBE_QUERIES,append" &
		sink=$!
		until ss -Hlun "sport = :53" | grep -q .; do sleep 0.05; done
		shift
		"$@"
		kill $sink' "$tmp" - env "$@" "$probe" "${calls[@]}" 2>&1
}

bare="wait: rc=0 denied.stackshim.test=192.0.2.9 v4.stackshim.test=192.0.2.1 v6.stackshim.test=2001:db8::1 ::1=::1
signal: rc=0 code=SI_ASYNCNL value=42 pid=self v4.stackshim.test=192.0.2.1 ::1=::1 denied.stackshim.test=192.0.2.9
thread: rc=0 value=7 v6.stackshim.test=2001:db8::1 denied.stackshim.test=192.0.2.9
suspend: rc=0 suspend-done=EAI_ALLDONE cancel-done=EAI_ALLDONE v4.stackshim.test=192.0.2.1 denied.stackshim.test=192.0.2.9
slow: rc=0 short-suspend=EAI_AGAIN cancel-running=EAI_NOTCANCELED suspend-done=EAI_ALLDONE cancel-done=EAI_ALLDONE slow.stackshim.test=EAI_AGAIN
intr: rc=0 suspend-signalled=EAI_INTR suspend-done=EAI_ALLDONE cancel-done=EAI_ALLDONE slow2.stackshim.test=EAI_AGAIN"
# glibc 2.36's gai_suspend() times out with EAI_SYSTEM (its futex wait's
# EAGAIN is not translated); the shim's gives EAI_AGAIN, as documented.
# Under TSan, glibc's own helper threads (made inside libc, unseen by its
# runtime) crash the probe: the bare run is left out there.
# glibc's own getaddrinfo_a() also crashes now and then: about 1 run in
# 150 of this probe dies by SIGSEGV in a helper thread, in __gai_notify()
# (resolv/gai_notify.c:117, a waitlist already freed; sourceware bug
# 20874 reports the like).  That is the reference, not the shim, so a
# bare run that crashed is run again, up to five times; the shim's runs,
# which replace that code, get no such second chance.
if [[ "${SANITIZERS:-}" != *thread* ]]; then
	for _ in 1 2 3 4 5; do
		got=$(run)
		[[ "$got" == *"Segmentation fault"* ]] || break
	done
	expect "bare: glibc's own" "$bare" \
		"${got//short-suspend=EAI_SYSTEM/short-suspend=EAI_AGAIN}"
fi
expect "no rules, dual: as bare" "$bare" \
	"$(run LD_PRELOAD="$preload" STACKSHIM_CONF="$tmp/empty.conf")"
expect "deny = denied.stackshim.test" "${bare//=192.0.2.9/=EAI_NONAME}" \
	"$(run LD_PRELOAD="$preload" STACKSHIM_CONF="$tmp/deny.conf")"
ipv4=${bare//=2001:db8::1/=EAI_NONAME}
expect "stack = ipv4: no IPv6 answer" "${ipv4//::1=::1/::1=EAI_ADDRFAMILY}" \
	"$(run LD_PRELOAD="$preload" STACKSHIM_CONF="$tmp/empty.conf" \
		STACKSHIM_STACK=ipv4)"

# The same under the launcher, the deny rule from its -c file.
expect "the launcher, --stack ipv4 -c deny.conf" \
	"$(sed 's/=192.0.2.9/=EAI_NONAME/g' <<<"${ipv4//::1=::1/::1=EAI_ADDRFAMILY}")" \
	"$(run "$top_builddir/stackshim" --stack ipv4 -c "$tmp/deny.conf" --)"

# The decision is logged as getaddrinfo()'s.
log=$(run LD_PRELOAD="$preload" STACKSHIM_CONF="$tmp/deny.conf" \
	STACKSHIM_LOG=stderr | grep -c 'call=getaddrinfo .*denied.stackshim.test')
expect "each denied request logged" 4 "$log"

finish
