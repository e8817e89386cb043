#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/shim/sockets.sh - the socket side of SPEC §2, seen from real
# programs run with the library preloaded for them alone: the upgrade of
# AF_INET sockets, bind, connect, sendto and sendmsg outcomes, the
# local-address and its port range, the translate prefix, and errno parity
# with libc for every call the policy has no say in.
#
# Needs top_builddir and top_srcdir (absolute, as make check exports them),
# a C compiler (${CC:-cc}) and python3; exits 77 (skip) without them, 99
# when the library is not built, 1 after reporting every mismatch as
# expected vs got.  The parts that need a private network namespace (root,
# unshare, ip, strace) are skipped with a message without them.  Every
# address used is on loopback, or inside such a namespace.  KEEP=1 leaves
# the scratch directory behind, to look at.

set -u

: "${top_srcdir:?top_srcdir must be set}"
# shellcheck source=tests/shim/lib.sh
. "$top_srcdir/tests/shim/lib.sh"

src=$top_srcdir/tests/shim

need_python
if ! command -v "${CC:-cc}" >/dev/null; then
	echo "SKIP: no C compiler (${CC:-cc})"
	exit 77
fi

pids=()
# shellcheck disable=SC2317 # run by the EXIT trap
cleanup()
{
	local pid

	for pid in "${pids[@]}"; do
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	[ -n "${KEEP:-}" ] || rm -rf "$tmp"
}
# This replaces lib.sh's EXIT trap, and removes $tmp as that one did.
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

probe=$tmp/sockprobe
if ! ${CC:-cc} -std=gnu11 -Wall -Wextra -o "$probe" "$src/sockprobe.c" \
	"$src/sockparity.c"; then
	echo "ERROR: the probe does not compile"
	exit 99
fi

empty=$tmp/empty.conf
: >"$empty"
printf 'stack = ipv5\n' >"$tmp/broken.conf"

# expect_match WHAT REGEX GOT - GOT matches the extended regex REGEX whole;
# BASH_REMATCH holds its groups after.
expect_match()
{
	if [[ $3 =~ ^$2$ ]]; then
		pass "$1"
	else
		fail "$1" "expected: a match for /$2/" "got:      $3"
	fi
}

# shimmed [VAR=VALUE...] CMD [ARG...] - CMD with the library preloaded and
# an empty config file under the settings given.
shimmed()
{
	env LD_PRELOAD="$preload" STACKSHIM_CONF="$empty" "$@"
}

# listener NAME tcp|udp ADDR [PORT] - start a probe listener without the
# library, its reports in $tmp/NAME.out; sets $port to the port it bound.
listener()
{
	local name=$1 _

	shift
	"$probe" listen "$@" >"$tmp/$name.out" 2>&1 &
	pids+=($!)
	for _ in $(seq 50); do
		port=$(sed -n 's/^port=//p' "$tmp/$name.out")
		[ -n "$port" ] && return 0
		sleep 0.1
	done
	echo "ERROR: listener $name did not start: $(cat "$tmp/$name.out")"
	exit 99
}

# reports NAME - set $rep to what listener NAME reported since the last
# call, on one line.
declare -A seen
reports()
{
	local all

	sleep 0.2
	all=$(sed 1d "$tmp/$1.out" | grep .)
	rep=$(printf '%s\n' "$all" | tail -n "+$((${seen[$1]:-0} + 1))" |
		grep . | tr '\n' ' ' | sed 's/ $//')
	seen[$1]=$(printf '%s\n' "$all" | grep -c .)
}

# free_ports N - the first of N consecutive TCP ports free on 127.0.0.1,
# below the kernel's ephemeral range so that no connection takes them.
free_ports()
{
	"$python" - "$1" <<'EOF'
import random, socket, sys
n = int(sys.argv[1])
for _ in range(200):
    base = random.randrange(20000, 32000 - n)
    socks = [socket.socket() for _ in range(n)]
    try:
        for i, s in enumerate(socks):
            s.bind(("127.0.0.1", base + i))
    except OSError:
        continue
    finally:
        for s in socks:
            s.close()
    print(base)
    sys.exit(0)
sys.exit(1)
EOF
}

v4='127\.0\.0\.1'
num='[0-9]+'
v6client='AF_INET6 v6only=0'

# client_re DOMAIN FLAG PORT - what "sockprobe client" prints for a
# blocking client that reached 127.0.0.1:PORT; its source port is group 1.
client_re()
{
	printf 'domain=%s nonblock=%s cloexec=%s connect=0 sockname=AF_INET,%s,(%s) peername=AF_INET,%s,%s' \
		"$1" "$2" "$2" "$v4" "$num" "$v4" "$3"
}

listener tcp tcp 127.0.0.1
tcp=$port
listener udp udp 127.0.0.1
udp=$port

# --- (a) an ipv6 stack: an AF_INET client is AF_INET6 underneath ------------
# The listener is bound to 127.0.0.1 only: the client reaches it through
# the kernel's IPv4-mapped path.  Its kernel domain is read by a system call
# the library cannot see; its names are shown to it as AF_INET.
got=$(shimmed STACKSHIM_STACK=ipv6 "$probe" client 127.0.0.1 "$tcp")
expect_match "ipv6 stack: an upgraded AF_INET client" \
	"$(client_re "$v6client" 0 "$tcp")" "$got"
sport=${BASH_REMATCH[1]:-none}
reports tcp
expect "listener saw it as 127.0.0.1" "peer=AF_INET,127.0.0.1,$sport" "$rep"

# What the kernel was asked, as a person reading strace sees it.
if command -v strace >/dev/null; then
	shimmed STACKSHIM_STACK=ipv6 strace -f -qq -e trace=connect \
		-o "$tmp/strace.a" "$probe" client 127.0.0.1 "$tcp" >/dev/null
	expect "strace: the kernel connects to the mapped address" \
		'inet_pton(AF_INET6, "::ffff:127.0.0.1"' \
		"$(grep -o 'inet_pton(AF_INET6, "[^"]*"' "$tmp/strace.a")"
	reports tcp
else
	echo "SKIP: strace is not available; the kernel's connect() unseen"
fi

# Audit mode changes nothing: a real AF_INET socket.
got=$(shimmed STACKSHIM_STACK=ipv6 STACKSHIM_ENFORCE=no "$probe" client \
	127.0.0.1 "$tcp")
expect_match "ipv6 stack, enforce = no: a plain AF_INET client" \
	"$(client_re AF_INET 0 "$tcp")" "$got"
reports tcp

# A dual stack upgrades AF_INET sockets when its local-address is IPv6.
# The IPv4 target is reached through ::ffff:127.0.0.1, which leaves by the
# IPv4 stack: the IPv6 local-address is not bound for it (SPEC §2).
got=$(shimmed STACKSHIM_STACK=dual STACKSHIM_LOCAL_ADDRESS=::1 "$probe" \
	client 127.0.0.1 "$tcp")
expect_match "dual stack, local-address ::1: upgraded, ::1 not bound" \
	"$(client_re "$v6client" 0 "$tcp")" "$got"
sport=${BASH_REMATCH[1]:-none}
reports tcp
expect "listener saw it from 127.0.0.1" "peer=AF_INET,127.0.0.1,$sport" "$rep"

# --- (c) type flags and a non-blocking connect -------------------------------
got=$(shimmed STACKSHIM_STACK=ipv6 "$probe" client 127.0.0.1 "$tcp" nonblock)
expect_match "ipv6 stack: SOCK_NONBLOCK|SOCK_CLOEXEC kept, EINPROGRESS" \
	"domain=$v6client nonblock=1 cloexec=1 connect=EINPROGRESS poll=1 so_error=0 sockname=AF_INET,$v4,$num peername=AF_INET,$v4,$tcp" \
	"$got"
reports tcp

# --- (d) upgraded UDP ----------------------------------------------------------
got=$(shimmed STACKSHIM_STACK=ipv6 "$probe" udp 127.0.0.1 "$udp" hello)
expect_match "ipv6 stack: upgraded UDP sendto" \
	"domain=AF_INET6 sendto=sent sockname=AF_INET,0\.0\.0\.0,($num) peername=ENOTCONN" \
	"$got"
sport=${BASH_REMATCH[1]:-none}
reports udp
expect "UDP receiver got it from 127.0.0.1" \
	"dgram=AF_INET,127.0.0.1,$sport,hello" "$rep"

# --- (e) fail-host and fail-local ---------------------------------------------
got=$(shimmed STACKSHIM_STACK=dual STACKSHIM_LOCAL_ADDRESS=127.0.0.1 "$probe" \
	client6 ::1 "$tcp")
expect "dual, local 127.0.0.1: AF_INET6 connect to ::1 (fail-host)" \
	"connect=ENETUNREACH" "$got"
got=$(shimmed STACKSHIM_STACK=ipv6 "$probe" bind 127.0.0.1 0)
expect "ipv6 stack: bind 127.0.0.1 (fail-local)" \
	"bind=EADDRNOTAVAIL sockname=AF_INET,0.0.0.0,0 peername=ENOTCONN" "$got"
got=$(shimmed STACKSHIM_STACK=ipv6 "$probe" bind 0.0.0.0 0)
expect_match "ipv6 stack: bind 0.0.0.0 is [::], shown as 0.0.0.0" \
	"bind=0 sockname=AF_INET,0\.0\.0\.0,[1-9][0-9]* peername=ENOTCONN" "$got"
got=$(shimmed STACKSHIM_STACK=ipv4 STACKSHIM_LOCAL_ADDRESS=::1 "$probe" \
	client 127.0.0.1 "$tcp")
expect_match "ipv4 stack, local ::1: connect 127.0.0.1 (fail-local)" \
	"domain=AF_INET nonblock=0 cloexec=0 connect=EADDRNOTAVAIL .*" "$got"
reports tcp
expect "nothing reached the listener" "" "$rep"

# A socket the shim did not see created (inherited across exec()): refused
# when the library failed closed; on an ipv6 stack a plain AF_INET socket
# has no way to the mapped target; an AF_INET6 one handed a sockaddr_in is
# what it is, unless it carries the upgrade mark (IPV6_FLOWINFO_SEND, see
# shim/shim.h): then it is an upgraded one, AF_INET to the program.
inherit()
{
	"$python" - "$@" <<'EOF'
import os, socket, sys
family, _, mark = sys.argv[1].partition("+")
s = socket.socket(getattr(socket, family), socket.SOCK_STREAM)
if s.family == socket.AF_INET6:
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.setsockopt(socket.IPPROTO_IPV6, 33, int(mark == "mark"))
os.set_inheritable(s.fileno(), True)
os.execvp("env", ["env", "LD_PRELOAD=" + os.environ["preload"]] + sys.argv[2:] +
          [os.environ["probe"], "fdconnect", str(s.fileno()), "127.0.0.1",
           os.environ["tcp"]])
EOF
}
export preload probe tcp
got=$(inherit AF_INET STACKSHIM_CONF="$tmp/broken.conf" 2>/dev/null)
expect "failed closed: inherited AF_INET connect" "connect=EACCES" "$got"
got=$(inherit AF_INET STACKSHIM_CONF="$empty" STACKSHIM_STACK=ipv6)
expect "ipv6 stack: inherited plain AF_INET connect" "connect=ENETUNREACH" \
	"$got"
got=$(inherit AF_INET6 STACKSHIM_CONF="$empty" STACKSHIM_STACK=ipv6)
expect "ipv6 stack: inherited AF_INET6 given a sockaddr_in" "connect=EINVAL" \
	"$got"
got=$(inherit AF_INET6+mark STACKSHIM_CONF="$empty" STACKSHIM_STACK=ipv6)
expect "ipv6 stack: inherited marked AF_INET6 given a sockaddr_in" \
	"connect=0" "$got"
got=$(inherit AF_INET6+mark STACKSHIM_CONF="$empty" STACKSHIM_STACK=dual)
expect "dual stack: inherited marked AF_INET6 given a sockaddr_in" \
	"connect=0" "$got"
reports tcp

# --- (f) the local-address and its port range --------------------------------
# Four ports B..B+3, B+2 held by another program: connects take B, B+1,
# skip B+2 (EADDRINUSE), take B+3, and then the range is exhausted.
if base=$(free_ports 4); then
	listener hold tcp 127.0.0.1 $((base + 2))
	got=$(shimmed STACKSHIM_LOCAL_ADDRESS="127.0.0.1($base,$((base + 3)))" \
		"$probe" multi 127.0.0.1 "$tcp" 5)
	want="AF_INET,127.0.0.1,$base AF_INET,127.0.0.1,$((base + 1))"
	want+=" AF_INET,127.0.0.1,$((base + 3)) EADDRINUSE EADDRINUSE"
	expect "local-address 127.0.0.1($base,$((base + 3))): round robin" \
		"$want" "$got"
	want="peer=AF_INET,127.0.0.1,$base peer=AF_INET,127.0.0.1,$((base + 1))"
	want+=" peer=AF_INET,127.0.0.1,$((base + 3))"
	reports tcp
	expect "listener saw those source ports" "$want" "$rep"
else
	fail "free_ports 4" "expected: four free ports" "got:      none found"
fi

# A datagram socket is bound before its first sendto; an IPv6
# local-address's port range still applies to a mapped destination.
if base=$(free_ports 2); then
	got=$(shimmed STACKSHIM_LOCAL_ADDRESS="127.0.0.1($base)" "$probe" udp \
		127.0.0.1 "$udp" one)
	expect "local-address 127.0.0.1($base): UDP source" \
		"domain=AF_INET sendto=sent sockname=AF_INET,127.0.0.1,$base peername=ENOTCONN" \
		"$got"
	got=$(shimmed STACKSHIM_STACK=dual \
		STACKSHIM_LOCAL_ADDRESS="::1($((base + 1)))" "$probe" udp \
		127.0.0.1 "$udp" two)
	expect "local-address ::1($((base + 1))): mapped UDP, port only" \
		"domain=AF_INET6 sendto=sent sockname=AF_INET,0.0.0.0,$((base + 1)) peername=ENOTCONN" \
		"$got"
	reports udp
	expect "UDP receiver saw both sources" \
		"dgram=AF_INET,127.0.0.1,$base,one dgram=AF_INET,127.0.0.1,$((base + 1)),two" \
		"$rep"
else
	fail "free_ports 2" "expected: two free ports" "got:      none found"
fi

# --- (h) errno parity, and close() ---------------------------------------------
"$probe" parity >"$tmp/parity.bare"
for settings in "STACKSHIM_STACK=ipv6" "STACKSHIM_STACK=dual" \
	"STACKSHIM_STACK=ipv4" "STACKSHIM_STACK=dual STACKSHIM_LOCAL_ADDRESS=::1" \
	"STACKSHIM_STACK=ipv6 STACKSHIM_ENFORCE=no"; do
	# shellcheck disable=SC2086 # settings are words on purpose
	shimmed $settings "$probe" parity >"$tmp/parity.shim"
	if cmp -s "$tmp/parity.bare" "$tmp/parity.shim"; then
		pass "errno parity under $settings ($(wc -l <"$tmp/parity.bare") calls)"
	else
		fail "errno parity under $settings" \
			"expected: the bare run's lines (<)" \
			"got:      the shimmed run's lines (>)"
		diff "$tmp/parity.bare" "$tmp/parity.shim"
	fi
done

# An upgraded socket's fd number, reused by an accepted AF_INET6 socket
# that the shim did not see created, shows that socket's own address.
got=$(shimmed STACKSHIM_STACK=ipv6 "$probe" reuse)
expect_match "ipv6 stack: a reused fd number carries no old flags" \
	"connect=0 reused=1 sockname=AF_INET6,::ffff:$v4,$num" "$got"

# --- (b) and (g): a private network namespace with only lo --------------------
if [ "$(id -u)" -ne 0 ] || ! command -v ip >/dev/null ||
	! command -v strace >/dev/null || ! unshare -n true 2>/dev/null; then
	echo "SKIP: needs root, unshare, ip and strace: IPV6_V6ONLY under" \
		"bindv6only=1 and the translate prefix are untested"
else
	cat >"$tmp/netns.sh" <<'EOF'
# Run by "unshare -n": brings lo up, and lists what it saw as "KEY: value".
probe=$1 preload=$2 empty=$3 tmp=$4
ip link set lo up
sysctl -qw net.ipv6.bindv6only=1
listen() # NAME ADDR: start a listener, set $port
{
	"$probe" listen tcp "$2" >"$tmp/$1.out" &
	pids="${pids:-} $!"
	for i in $(seq 50); do
		port=$(sed -n 's/^port=//p' "$tmp/$1.out")
		[ -n "$port" ] && return
		sleep 0.1
	done
}
trap 'kill $pids' EXIT
run() { env LD_PRELOAD="$preload" STACKSHIM_CONF="$empty" "$@"; }
listen ns4 127.0.0.1
echo "bindv6only: $(sysctl -n net.ipv6.bindv6only)"
echo "port: $port"
echo "b: $(run STACKSHIM_STACK=ipv6 "$probe" client 127.0.0.1 "$port")"
# 2001:db8:64::/96 has no route here (a network-specific prefix:
# the well-known one may not carry 127.0.0.1, RFC 6052 §3.1): the connect fails at once.
run STACKSHIM_STACK=ipv6 STACKSHIM_TRANSLATE_PREFIX=2001:db8:64::/96 \
	strace -f -qq -e trace=connect -o "$tmp/strace.g" \
	"$probe" client 127.0.0.1 "$port" nonblock >"$tmp/g.out"
echo "g: $(cut -d' ' -f1-5 "$tmp/g.out")"
echo "g-strace: $(grep -o 'inet_pton(AF_INET6, .*' "$tmp/strace.g")"
# With the prefix's address on lo, a listener on [::] is reached there,
# and the program is shown the IPv4 address it embeds.
ip -6 addr add 2001:db8:64::7f00:1/128 dev lo nodad
# The address's local route is put in by the kernel's workqueue: wait for
# it, or a connect on a loaded machine can still meet ENETUNREACH.
for _ in $(seq 100); do
	ip -6 route show table local | grep -q '^local 2001:db8:64::7f00:1 ' && break
	sleep 0.1
done
sysctl -qw net.ipv6.bindv6only=0
listen ns6 ::
echo "port6: $port"
echo "g2: $(run STACKSHIM_STACK=ipv6 STACKSHIM_TRANSLATE_PREFIX=2001:db8:64::/96 \
	"$probe" client 127.0.0.1 "$port")"
sleep 0.2
echo "g2-peer: $(sed -n 's/^peer=//p' "$tmp/ns6.out")"
EOF
	timeout "$(limit 60)" unshare -n bash "$tmp/netns.sh" "$probe" "$preload" "$empty" \
		"$tmp" >"$tmp/netns.out" 2>&1
	line()
	{
		sed -n "s/^$1: //p" "$tmp/netns.out"
	}
	expect "namespace: net.ipv6.bindv6only" 1 "$(line bindv6only)"
	expect_match "bindv6only=1: the upgraded socket has IPV6_V6ONLY 0" \
		"$(client_re "$v6client" 0 "$(line port)")" "$(line b)"
	expect "translate prefix 2001:db8:64::/96: no route, no wait" \
		"domain=$v6client nonblock=1 cloexec=1 connect=ENETUNREACH" \
		"$(line g)"
	expect_match "strace: the kernel connects to 2001:db8:64::7f00:1" \
		'inet_pton\(AF_INET6, "2001:db8:64::7f00:1", &sin6_addr\).* = -1 ENETUNREACH .*' \
		"$(line g-strace)"
	expect_match "2001:db8:64::7f00:1 reached, shown to the program as 127.0.0.1" \
		"$(client_re "$v6client" 0 "$(line port6)")" "$(line g2)"
	sport=${BASH_REMATCH[1]:-none}
	expect "the listener saw 2001:db8:64::7f00:1" \
		"AF_INET6,2001:db8:64::7f00:1,$sport" "$(line g2-peer)"
fi

finish
