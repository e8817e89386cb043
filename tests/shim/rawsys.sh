#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/shim/rawsys.sh - a program's syscall() meets the policy as its libc
# calls do (issue 21, item 4; shim/syscall.c): under each stack, the probe
# (rawsys-probe.c) makes each socket call once through libc's wrapper and
# once through syscall(SYS_...), in one process, and both must answer
# alike: the family the stack lacks refused with the wrapper's errno, a
# connect and a sendto a deny rule refuses refused as the wrapper's are,
# an IPv4 connect on an ipv6 stack upgraded (the kernel holds an AF_INET6
# socket named ::ffff:127.0.0.1), accept(), accept4(), getpeername() and
# recvfrom() on upgraded sockets handing back the sockaddr_in the program
# asked for; the other routed calls too (bind, getsockname, sendmsg,
# sendmmsg, recvmsg, recvmmsg, setsockopt of a source route, socketpair,
# and dup, dup2, dup3, close_range, which answer alike by the socket's
# mark with or without the routing).  Numbers the shim does not route answer as libc's own
# syscall() answers them: getpid with errno untouched, ENOSYS for a number
# the kernel lacks, mmap's six arguments, fcntl's F_GETOWN of a process
# group.
#
# Loopback only: listeners on the wildcard reached at 127.0.0.1, and
# 127.0.0.3 port 9, which the deny rule refuses before anything is sent.
# Skipped (77) where the library does not interpose syscall() (shim/sys.h:
# SHIM_RAW_SYSCALL is 0 there).

set -u

: "${top_srcdir:?top_srcdir must be set}"
# shellcheck source=tests/shim/lib.sh
. "$top_srcdir/tests/shim/lib.sh"

build_probe "$tmp/rawsys-probe" rawsys-probe.c
if [ "$("$probe" arch)" = no ]; then
	echo "SKIP: the library does not interpose syscall() on $(uname -m)"
	exit 77
fi

printf 'deny = 127.0.0.3\n' >"$tmp/conf"

# What the wrapper answers (and so must syscall()) under every stack.
common='connect-denied -1 EACCES
sendto-denied -1 EACCES
sendmsg-denied -1 EACCES
sendmmsg-denied -1 EACCES
getsockname AF_INET/16/0.0.0.0
recvmsg AF_INET/16/127.0.0.1
recvmmsg AF_INET/16/127.0.0.1
setsockopt-lsrr -1 EACCES
dup AF_INET/16/0.0.0.0
dup3 AF_INET/16/0.0.0.0
close_range -1 EBADF
socketpair ok
getpid same/errno=EDOM
nosys -1 ENOSYS
negative -1 ENOSYS
mmap ok
close-badfd -1 EBADF'
# ... and under each, what makes the stacks differ.
connected='connect4 ok
accept AF_INET/16/127.0.0.1
accept4 AF_INET/16/127.0.0.1
getpeername AF_INET/16/127.0.0.1
accepted-so-domain AF_INET
recvfrom AF_INET/16/127.0.0.1'
want_ipv4="socket6-stream -1 EAFNOSUPPORT
socket6-dgram -1 EAFNOSUPPORT
socket4-stream ok/kernel=AF_INET
socket4-dgram ok/kernel=AF_INET
connect4-kernel-name AF_INET/16/127.0.0.1
bind-kernel-name AF_INET/16/0.0.0.0
$connected"
want_ipv6="socket6-stream ok/kernel=AF_INET6
socket6-dgram ok/kernel=AF_INET6
socket4-stream ok/kernel=AF_INET6
socket4-dgram ok/kernel=AF_INET6
connect4-kernel-name AF_INET6/28/::ffff:127.0.0.1
bind-kernel-name AF_INET6/28/::
$connected"
want_dual="socket6-stream ok/kernel=AF_INET6
socket6-dgram ok/kernel=AF_INET6
socket4-stream ok/kernel=AF_INET
socket4-dgram ok/kernel=AF_INET
connect4-kernel-name AF_INET/16/127.0.0.1
bind-kernel-name AF_INET/16/0.0.0.0
$connected"

for stack in ipv4 ipv6 dual; do
	env LD_PRELOAD="$preload" STACKSHIM_CONF="$tmp/conf" \
		STACKSHIM_STACK=$stack "$probe" >"$tmp/out" 2>"$tmp/err"
	expect "$stack: the probe ran" "0" "$?"
	expect "$stack: nothing on stderr" "" "$(cat "$tmp/err")"
	# Parity: every case, the wrapper's answer and syscall()'s alike.
	while read -r l; do
		if [[ $l =~ ^([^ ]+)\ wrapper=(.*)\ raw=(.*)$ ]]; then
			expect "$stack: ${BASH_REMATCH[1]}: syscall() answers as the wrapper" \
				"${BASH_REMATCH[2]}" "${BASH_REMATCH[3]}"
		else
			fail "$stack: a line the probe should not write" "$l"
		fi
	done <"$tmp/out"
	# Behaviour: what the wrapper (so syscall() too) must answer.
	case $stack in
	ipv4) want=$want_ipv4 ;;
	ipv6) want=$want_ipv6 ;;
	dual) want=$want_dual ;;
	esac
	while read -r name value; do
		expect "$stack: $name" "$name wrapper=$value raw=$value" \
			"$(grep "^$name " "$tmp/out")"
	done <<<"$want
$common"
	# Those, fcntl-getown (its value is the process group's) and dup2
	# (aarch64 has none).
	expect "$stack: every case reported" \
		"$(($(wc -l <<<"$want") + $(wc -l <<<"$common") + 2))" \
		"$(wc -l <"$tmp/out")"
done

finish
