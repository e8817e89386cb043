#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/shim/dest.sh - issue 17, items 1, 2 and 4: ways around a deny rule
# that judge one destination and hand the kernel another (dest-probe.c).
#   - a sendmsg()/sendmmsg() msg_namelen past 128, which the kernel cuts
#     to 128 and sends, is judged as cut;
#   - the address is read once: a thread flipping the program's buffer
#     between an allowed and a denied address gets nothing to the denied;
#   - a descriptor number given to a socket, behind the library
#     (shim_sys(SYS_dup3), shim/sys.h) or by libc's dup2, dup3,
#     fcntl(F_DUPFD), from a pipe, or from an AF_INET socket, is policed;
#   - an AF_INET6 raw socket's sin6_family 0 is taken as AF_INET6, as the
#     kernel takes it;
#   - item 3: routing headers and source routes (options and control
#     messages) and headers the program writes are refused (EACCES) under
#     a policy that refuses destinations, and left to the kernel under one
#     that refuses none: then everything answers as without the library.
# Everything runs in a network namespace of its own (ns_init).

set -u

: "${top_srcdir:?top_srcdir must be set}"
# shellcheck source=tests/shim/lib.sh
. "$top_srcdir/tests/shim/lib.sh"

build_probe "$tmp/dest-probe" dest-probe.c
: >"$tmp/hosts"
printf 'hosts: files\n' >"$tmp/nsswitch.conf"
ns_init 60

# run RULE MODE... - the probe under `deny = RULE`, in the namespace.
run()
{
	printf 'deny = %s\n' "$1" >"$tmp/conf"
	shift
	in_ns env LD_PRELOAD="$preload" STACKSHIM_CONF="$tmp/conf" \
		"$probe" "$@" 2>&1
}

denied="sendmsg: rc=-1 errno=EACCES got=0
sendmmsg: rc=-1 errno=EACCES got=0"
for len in 16 128 129 1000 65535; do
	expect "msg_namelen $len: judged as the kernel cuts it" "$denied" \
		"$(run 127.0.0.2 namelen "$len")"
done
# An ipv6 stack without mapped addresses has no IPv4: an AF_INET6 UDP
# socket's AF_INET name of any length is refused (fail-host).
printf 'stack = ipv6\nmapped = no\n' >"$tmp/v6.conf"
for len in 16 129 1000; do
	expect "ipv6 mapped=no, AF_INET name, msg_namelen $len: refused" \
		"sendmsg: rc=-1 errno=ENETUNREACH got=0
sendmmsg: rc=-1 errno=ENETUNREACH got=0" \
		"$(in_ns env LD_PRELOAD="$preload" STACKSHIM_CONF="$tmp/v6.conf" \
			"$probe" namelen6 "$len" 2>&1)"
done
expect "a flipped buffer: nothing reaches the denied address" \
	"flip: sent=some got=0" "$(run 127.0.0.2 flip)"
for how in raw dup2 dup3 fdupfd; do
	expect "a pipe's number given to a socket ($how)" \
		"pipe: rc=-1 errno=ENOTSOCK got=0
swapped: rc=-1 errno=EACCES got=0" "$(run 127.0.0.2 swap-pipe $how)"
done
expect "an AF_INET number swapped for an AF_INET6 socket" \
	"swapped: rc=-1 errno=EACCES got=0" "$(run 127.0.0.2 swap-family)"
got=$(run ::1 raw6)
case $got in
"raw6: skip "*) echo "SKIP (raw6): $got" ;;
*) expect "raw AF_INET6, sin6_family 0" "raw6: rc=-1 errno=EACCES got=0" \
	"$got"
	expect "raw AF_INET6, sin6_family 0, another address denied: sent" \
		"raw6: rc=9 errno=0 got=1" "$(run 127.0.0.2 raw6)" ;;
esac

# The options and control messages that name destinations of their own.
bare=$(in_ns "$probe" indirect 2>&1)
case $bare in
*"raw: skip"*) echo "SKIP (raw sockets): $bare" ;;
esac
expect "indirect destinations under a deny rule" \
	"$(printf '%s\n' "$bare" | sed -E '/removed|record-route|HDRINCL off/!s/rc=[-0-9]+ errno=[A-Z0-9]+/rc=-1 errno=EACCES/')" \
	"$(run 127.0.0.2 indirect)"
printf '' >"$tmp/empty.conf"
expect "indirect destinations under a policy refusing none: as bare" \
	"$bare" "$(in_ns env LD_PRELOAD="$preload" \
		STACKSHIM_CONF="$tmp/empty.conf" STACKSHIM_STACK=dual \
		"$probe" indirect 2>&1)"
printf 'deny = 127.0.0.2\nlog = %s\n' "$tmp/log" >"$tmp/conf"
in_ns env LD_PRELOAD="$preload" STACKSHIM_CONF="$tmp/conf" \
	"$probe" indirect >/dev/null 2>&1
expect "each refusal logged with the option refused" "$(printf '%s\n' "$bare" |
	grep -cvE 'removed|record-route|HDRINCL off')" \
	"$(grep -cE 'error=EACCES reason=(IPV6_RTHDR|IPV6_2292RTHDR|IP_OPTIONS|IP_RETOPTS|IP_HDRINCL|IPV6_HDRINCL|hdrincl)' "$tmp/log")"
# Audit mode: everything as bare, each would-be refusal logged.
printf 'enforce = no\ndeny = 127.0.0.2\nlog = %s\n' "$tmp/audit.log" \
	>"$tmp/conf"
expect "indirect destinations in audit mode: as bare" "$bare" \
	"$(in_ns env LD_PRELOAD="$preload" STACKSHIM_CONF="$tmp/conf" \
		"$probe" indirect 2>&1)"
expect "audit mode: each would-be refusal logged" "$(printf '%s\n' "$bare" |
	grep -cvE 'removed|record-route|HDRINCL off')" \
	"$(grep -cE 'error=EACCES reason=[A-Z_0-9a-z]+ audit=yes$' "$tmp/audit.log")"

finish
