#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/shim/fdlife.sh - an upgraded socket's state through its fd's life
# (issue 4, item 3): copies made by dup, dup2, dup3 and fcntl F_DUPFD /
# F_DUPFD_CLOEXEC (fcntl and fcntl64), closes by close, close_range (a huge
# range, CLOSE_RANGE_CLOEXEC, CLOSE_RANGE_UNSHARE), closefrom and fclose of
# an fdopen()ed socket, each followed by the number's reuse; fork (and 200
# forks while four threads make, copy and close sockets); exec into a new
# image that inherits the sockets and the policy; and sockets received by
# SCM_RIGHTS onto numbers that held upgraded sockets.
#
# tests/shim/fdlife.c runs each case once without the library and once
# with it under an ipv6 stack (an empty config file, STACKSHIM_STACK=ipv6).
# Each line it prints is checked.  The two runs are alike except where the
# library must differ: an AF_INET socket is AF_INET6 in the kernel under
# the library ("k=AF_INET6 n=AF_INET/16"), really AF_INET without it
# ("k=AF_INET n=AF_INET/16").  A number that held an upgraded socket and is
# reused by a socket the library did not make (a raw system call,
# socketpair(), SCM_RIGHTS) must show that socket as the kernel has it.
# Every connect goes to a listener the probe made on 127.0.0.1 or ::1.
#
# Needs top_builddir and top_srcdir (absolute, as make check exports them)
# and a C compiler (${CC:-cc}); exits 77 (skip) without one, 99 when the
# library is not built, 1 after reporting every mismatch as expected vs
# got.  KEEP=1 leaves the scratch directory behind, to look at.

set -u

: "${top_srcdir:?top_srcdir must be set}"
# shellcheck source=tests/shim/lib.sh
. "$top_srcdir/tests/shim/lib.sh"

if [ -n "${KEEP:-}" ]; then
	trap 'echo "kept $tmp"' EXIT
fi

build_probe "$tmp/fdlife" fdlife.c

empty=$tmp/empty.conf
: >"$empty"

# exported NAME - whether the library interposes NAME.
exported()
{
	nm -D --defined-only "$lib" | awk '{ sub(/@.*/, "", $NF); print $NF }' |
		grep -qx "$1"
}

# What each case prints under the library.  Without it, the same but for
# the kernel family of the program's AF_INET sockets (see bare() below).
declare -A want
want[dup]="dup: rc=0 reused=1
dup copy: k=AF_INET6 n=AF_INET/16 c=0
dup original: k=AF_INET6 n=AF_INET/16 c=-
dup original after the copy's close: k=AF_INET6 n=AF_INET/16 c=-
dup bad fd: rc=EBADF
dup -1: rc=EBADF"

# dup2 and dup3 print the same, but for dup3's O_CLOEXEC and its refusal
# of a copy onto itself.
dup23()
{
	printf '%s\n' "$1 onto native: rc=0 same=1 cloexec=$2" \
		"$1 copy: k=AF_INET6 n=AF_INET/16 c=0" \
		"$1 onto itself: rc=$3" \
		"$1 original: k=AF_INET6 n=AF_INET/16 c=-" \
		"$1 of a closed fd: rc=EBADF" \
		"$1 failed, target kept: k=AF_INET6 n=AF_INET/16 c=-" \
		"$1 native onto upgraded: rc=fd" \
		"$1 native copy: k=AF_INET6 n=AF_INET6/28 c=0"
}
want[dup2]=$(dup23 dup2 0 fd)
want[dup3]=$(dup23 dup3 1 EINVAL)

want[fcntl]=$(
	for cmd in F_DUPFD F_DUPFD_CLOEXEC "fcntl64 F_DUPFD" \
		"fcntl64 F_DUPFD_CLOEXEC"; do
		cloexec=0
		[[ $cmd == *CLOEXEC ]] && cloexec=1
		printf '%s\n' "$cmd: rc=0 reused=1 cloexec=$cloexec" \
			"$cmd copy: k=AF_INET6 n=AF_INET/16 c=0" \
			"$cmd original: k=AF_INET6 n=AF_INET/16 c=-"
	done
	printf '%s\n' "F_DUPFD 300: rc=0 above=1" \
		"F_DUPFD 300 copy: k=AF_INET6 n=AF_INET/16 c=0" \
		"F_DUPFD bad fd: rc=EBADF" \
		"F_DUPFD -1: rc=EINVAL" \
		"F_SETFL O_NONBLOCK: rc=0 nonblock=1" \
		"fcntl F_OFD_GETLK: rc=0 type=F_WRLCK pid=-1" \
		"fcntl64 F_OFD_GETLK: rc=0 type=F_WRLCK pid=-1"
)

want[close]="close: before: k=AF_INET6 n=AF_INET/16 c=-
close then raw AF_INET6: reused=1
close reused by raw AF_INET6: k=AF_INET6 n=AF_INET6/28 c=0
close then socketpair: reused=1
close reused by AF_UNIX: k=AF_UNIX n=AF_UNIX/2 c=-"

# reused NAME - the three low numbers and the high one (beyond the first
# 4096 fds) a close gave back, each taken by a raw AF_INET6 socket.
reused()
{
	local i

	for i in 0 1 2; do
		echo "$1 reused $i: same=1"
	done
	for i in 0 1 2 high; do
		echo "$1 reused $i: k=AF_INET6 n=AF_INET6/28 c=0"
	done
}
want[close_range]=$(
	echo "close_range CLOEXEC: rc=0"
	for i in 0 1 2; do
		echo "close_range CLOEXEC kept $i: cloexec=1"
		echo "close_range CLOEXEC kept $i: k=AF_INET6 n=AF_INET/16 c=-"
	done
	printf '%s\n' "close_range reversed: rc=EINVAL" \
		"close_range bad flag: rc=EINVAL" \
		"close_range refused, kept: k=AF_INET6 n=AF_INET/16 c=-" \
		"close_range to ~0U: rc=0"
	reused close_range
	echo "close_range UNSHARE: rc=0"
	reused "close_range UNSHARE"
	printf '%s\n' "close_range a+1..a+1: rc=0" \
		"close_range below, kept: k=AF_INET6 n=AF_INET/16 c=-" \
		"close_range above, kept: k=AF_INET6 n=AF_INET/16 c=-"
)
want[closefrom]=$(reused closefrom)

want[fclose]="fdopen stream: k=AF_INET6 n=AF_INET/16 c=0
fclose: rc=0
fclose then raw AF_INET6: reused=1
fclose reused by raw AF_INET6: k=AF_INET6 n=AF_INET6/28 c=0
fclose of a memory stream: rc=0"

want[fork]="fork: before: k=AF_INET6 n=AF_INET/16 c=-
fork child: inherited: k=AF_INET6 n=AF_INET/16 c=0
fork child: new: k=AF_INET6 n=AF_INET/16 c=0
fork child: status=0
fork parent: after: k=AF_INET6 n=AF_INET/16 c=-
fork parent: new: k=AF_INET6 n=AF_INET/16 c=0"

want[forkstorm]="forkstorm: forks=200 ok=200 thread-errors=0"

# The inherited sockets are known by their mark in the new image; a new
# AF_INET socket there is upgraded too, as the policy carried on.
want[exec]="exec: listener before: k=AF_INET6 n=AF_INET/16 c=-
exec: connected before: k=AF_INET6 n=AF_INET/16 c=0
exec: listener inherited: k=AF_INET6 n=AF_INET/16 c=-
exec: connected inherited: k=AF_INET6 n=AF_INET/16 c=-
exec: connected peer: AF_INET/16
exec: new to inherited listener: k=AF_INET6 n=AF_INET/16 c=0
exec: accepted: k=AF_INET6 n=AF_INET/16 c=-"

# Received onto numbers that held upgraded sockets: each is what the kernel
# says it is: a plain AF_INET6 socket, and one bearing the upgrade mark (an
# upgraded socket from another process under the library: a prefork
# server's accepted connection, say), which is AF_INET to the program.
want[scm]="scm sendmsg: rc=1
scm received 0: reused=1 cloexec=1
scm received native: k=AF_INET6 n=AF_INET6/28 c=0
scm received 1: reused=1 cloexec=1
scm received marked: k=AF_INET6 n=AF_INET/16 c=0"

# bare TEXT - what a case prints without the library: the program's
# AF_INET sockets are AF_INET in the kernel too, and a socket received
# with the upgrade mark is the plain AF_INET6 socket libc sees.
bare()
{
	printf '%s\n' "$1" |
		sed '/^scm received marked:/s|n=AF_INET/16|n=AF_INET6/28|
			/^scm received marked:/!s|k=AF_INET6 n=AF_INET/16|k=AF_INET n=AF_INET/16|'
}

# check CASE MODE WANT [VAR=VALUE...] - run the probe's CASE, with the
# library and the settings given when MODE is "shim", and expect WANT's
# lines one by one, and no others.
check()
{
	local case=$1 mode=$2 text=$3 out i
	local -a wants gots
	shift 3

	out=$tmp/$case.$mode
	if [ "$mode" == shim ]; then
		timeout "$(limit 120)" env LD_PRELOAD="$preload" STACKSHIM_CONF="$empty" "$@" \
			"$probe" "$case" >"$out" 2>"$out.err"
	else
		timeout "$(limit 120)" "$probe" "$case" >"$out" 2>"$out.err"
	fi
	mapfile -t wants <<<"$text"
	mapfile -t gots <"$out"
	for i in "${!wants[@]}"; do
		expect "$mode: ${wants[i]}" "${wants[i]}" "${gots[i]:-(nothing)}"
	done
	expect "$mode: $case prints ${#wants[@]} lines" "${#wants[@]}" \
		"${#gots[@]}"
	if [ -s "$out.err" ]; then
		echo "($case, $mode, stderr: $(tr '\n' ' ' <"$out.err"))"
	fi
}

for case in dup dup2 dup3 fcntl close close_range closefrom fclose fork \
	forkstorm exec scm; do
	check "$case" bare "$(bare "${want[$case]}")"
	if [ "$case" == scm ] && ! exported recvmsg; then
		echo "SKIP: recvmsg is not interposed yet (shim/recv.c):" \
			"SCM_RIGHTS unchecked with the library"
		continue
	fi
	check "$case" shim "${want[$case]}" STACKSHIM_STACK=ipv6
done

finish
