#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/shim/addresses.sh - an upgraded socket is invisible to its AF_INET
# program (issue 4, items 1, 4 and 5): every address handed back is a
# sockaddr_in, cut to the caller's length as the kernel cuts it; its
# options read as a real AF_INET socket's; UDP works both ways; a
# non-blocking connect keeps its semantics under epoll and poll.
#
# The probe (tests/shim/addresses.c) runs each of its commands twice:
# without the library, on real AF_INET sockets, and under STACKSHIM_STACK=
# ipv6, where the same sockets are AF_INET6 underneath.  Both runs must
# print the same lines (returns, errnos, lengths, bytes written), but for
# the "kernel:" lines, which must show the upgrade did happen.  Then what
# the shimmed run printed is checked against what an AF_INET program must
# see.  Everything is on loopback, with listeners the probe makes itself.
#
# Needs top_builddir and top_srcdir (absolute, as make check exports them)
# and a C compiler (${CC:-cc}); exits 77 (skip) without one, 99 when the
# library is not built, 1 after reporting every mismatch.  KEEP=1 leaves
# the scratch directory behind.

set -u

: "${top_srcdir:?top_srcdir must be set}"
# shellcheck source=tests/shim/lib.sh
. "$top_srcdir/tests/shim/lib.sh"

# shellcheck disable=SC2317 # run by the EXIT trap
cleanup()
{
	[ -n "${KEEP:-}" ] || rm -rf "$tmp"
}
# This replaces lib.sh's EXIT trap, and removes $tmp as that one did.
trap cleanup EXIT

build_probe "$tmp/addresses" addresses.c
empty=$tmp/empty.conf
: >"$empty"

# Options whose value differs between two runs without the library: a
# connected socket's IP option 52 (per connection); only its value is
# masked.
vary='s/^\(.*-\(connected\|accepted\) get 0\/52 .* bytes=\).*/\1VARIES/'

# run CMD - run the probe's CMD bare and shimmed into $tmp/CMD.{bare,shim},
# and compare them but for the "kernel:" lines.
run()
{
	timeout "$(limit 120)" "$probe" "$1" >"$tmp/$1.bare" 2>&1
	env LD_PRELOAD="$preload" STACKSHIM_CONF="$empty" STACKSHIM_STACK=ipv6 \
		timeout "$(limit 120)" "$probe" "$1" >"$tmp/$1.shim" 2>&1
	for side in bare shim; do
		grep -v '^kernel:' "$tmp/$1.$side" | sed "$vary" \
			>"$tmp/$1.$side.cmp"
	done
}

# compare CMD [KNOWN] - the bare and shimmed lines of CMD are the same,
# but for the lines matching the extended regex KNOWN (checked apart).
compare()
{
	local n

	grep -Ev "${2:-^$}" "$tmp/$1.bare.cmp" >"$tmp/$1.a"
	grep -Ev "${2:-^$}" "$tmp/$1.shim.cmp" >"$tmp/$1.b"
	n=$(wc -l <"$tmp/$1.a")
	if [ "$n" -gt 0 ] && cmp -s "$tmp/$1.a" "$tmp/$1.b"; then
		pass "$1: $n lines the same bare and upgraded"
	else
		fail "$1: bare and upgraded the same" \
			"expected: the bare lines (<)" \
			"got:      the upgraded lines (>)"
		diff "$tmp/$1.a" "$tmp/$1.b" | head -40
	fi
}

# line CMD SIDE REGEX - the lines of $tmp/CMD.SIDE matching REGEX, joined.
line()
{
	grep -E "$3" "$tmp/$1.$2" | tr '\n' ' ' | sed 's/ $//'
}

# kernel CMD WANT - every "kernel:" line of the shimmed run names WANT.
kernel()
{
	local lines

	lines=$(grep '^kernel:' "$tmp/$1.shim")
	if [ -n "$lines" ] && ! grep -v "$2\$" <<<"$lines" | grep -q .; then
		pass "$1: the kernel's sockets are $2 ($(wc -l <<<"$lines"))"
	else
		fail "$1: the kernel's sockets are $2" "expected: $2" \
			"got:      $lines"
	fi
}

in4='0200PPPP7f0000010000000000000000'

# --- names: addrlen cases, accept, accept4, recv*, getnameinfo ------------------
run names
compare names
kernel names AF_INET6
expect "accept: a sockaddr_in 127.0.0.1, full length" \
	"accept len=100 rc=ok addrlen=16 bytes=$in4" \
	"$(line names shim '^accept len=100 ')"
expect "accept4 15 bytes: cut, the full length reported" \
	"accept4 len=15 rc=ok addrlen=16 bytes=${in4%00}" \
	"$(line names shim '^accept4 len=15 ')"
expect "accept4 kept SOCK_CLOEXEC" "accept4 cloexec=1" \
	"$(line names shim '^accept4 cloexec=1')"
expect "getnameinfo of accepted peers" \
	"getnameinfo rc=0 host=127.0.0.1 getnameinfo rc=0 host=127.0.0.1" \
	"$(line names shim '^getnameinfo')"
expect "SO_PEERNAME 16 bytes" \
	"accepted SO_PEERNAME len=16 rc=ok addrlen=16 bytes=$in4" \
	"$(line names shim '^accepted SO_PEERNAME len=16 ')"
expect "recvfrom 4 bytes: sin_family and port, length 16" \
	"recvfrom bytes=5 recvfrom len=4 rc=ok addrlen=16 bytes=0200PPPP" \
	"$(line names shim '^recvfrom bytes=5 recvfrom len=4 ')"
expect "recvmsg: the sender, MSG_TRUNC and the control length" \
	"recvmsg bytes=4 flags=0x20 controllen=32 recvmsg len=100 rc=ok addrlen=16 bytes=$in4" \
	"$(line names shim '^recvmsg .* len=100 ')"
expect "recvmmsg of 3 and of 40 (more than the shim's stack copies)" \
	"recvmmsg vlen=3 rc=ok recvmmsg vlen=40 rc=ok 43" \
	"$(line names shim '^recvmmsg vlen') $(grep -c '^recvmmsg\[' \
		"$tmp/names.shim")"
got=$(grep -E '^recvmmsg\[[0-9]+\] msg_len=[23] .* len=16 rc=ok addrlen=16 bytes='"$in4" \
	"$tmp/names.shim" | wc -l)
expect "recvmmsg: every message with a 16-byte name got 127.0.0.1" 9 "$got"

# --- sockopts: the parity table --------------------------------------------------
# IP_XFRM_POLICY (17) is compiled by the kernel for the socket's real
# family (xfrm_user_policy() checks sk_family): on an upgraded socket it is
# EOPNOTSUPP whatever it is given.  A difference left, checked apart.
run sockopts
compare sockopts ' set 0/17 '
kernel sockopts AF_INET6
expect "IP_XFRM_POLICY: the difference left" \
	"tcp set 0/17 rc=EINVAL udp set 0/17 rc=EINVAL | tcp set 0/17 rc=EOPNOTSUPP udp set 0/17 rc=EOPNOTSUPP" \
	"$(line sockopts bare ' set 0/17 ') | $(line sockopts shim ' set 0/17 ')"
expect "SO_DOMAIN reads AF_INET" \
	"tcp SO_DOMAIN: get 1/39 len=64 rc=ok outlen=4 bytes=02000000" \
	"$(line sockopts shim '^tcp SO_DOMAIN: .* len=64 ')"
expect "IP_MULTICAST_ALL reads 1, on accepted sockets too" \
	"udp get 0/49 len=64 rc=ok outlen=4 bytes=01000000 tcp-accepted get 0/49 len=64 rc=ok outlen=4 bytes=01000000" \
	"$(grep -m1 '^udp get 0/49 len=64 ' "$tmp/sockopts.shim") $(line sockopts shim '^tcp-accepted get 0/49 len=64 ')"
expect "IPPROTO_IPV6 IPV6_V6ONLY: get and set refused as on AF_INET" \
	"udp get 41/26 len=64 rc=EOPNOTSUPP outlen=64 bytes= udp set 41/26 rc=ENOPROTOOPT udp get 41/26 len=64 rc=EOPNOTSUPP outlen=64 bytes=" \
	"$(line sockopts shim '^udp (get|set) 41/26 ')"
expect "IP_TOS set and read back" \
	"udp set 0/1 rc=ok udp get 0/1 len=64 rc=ok outlen=4 bytes=01000000" \
	"$(grep -A1 '^udp set 0/1 ' "$tmp/sockopts.shim" | tr '\n' ' ' |
		sed 's/ $//')"

# --- udp: echo both ways, IP_TOS and IP_TTL applied, sendmmsg -----------------------
run udp
compare udp
kernel udp 'AF_INET6 client AF_INET6'
expect "UDP: the server saw 127.0.0.1 and answered it" \
	"client got: data=pong namelen=16 bytes=$in4 host=127.0.0.1" \
	"$(line udp shim '^client got: ')"
expect "UDP: IP_TTL 42 and IP_TOS 0x28 as the receiver's cmsgs" \
	"server got: data=tos namelen=16 bytes=$in4 host=127.0.0.1 cmsg=0/2:0x2a cmsg=0/1:0x28" \
	"$(line udp shim '^server got: ')"
expect "UDP connected, both ways" \
	"server got connected: data=c2s namelen=16 bytes=$in4 host=127.0.0.1 cmsg=0/2:0x2a cmsg=0/1:0x28 client got connected: data=s2c namelen=16 bytes=$in4 host=127.0.0.1" \
	"$(line udp shim 'got connected: ')"
expect "sendmmsg: the first sent, the refused one ends the call" \
	"sendmmsg rc=1 0 msg_len=3,777,777 sendmmsg from 1 rc=-1 EAFNOSUPPORT sendmmsg from 2 rc=1 0 msg_len=3" \
	"$(line udp shim '^sendmmsg (rc|from)')"
expect "sendmmsg: what the receiver got" \
	"sendmmsg got: data=mm0 namelen=16 bytes=$in4 host=127.0.0.1 sendmmsg got: data=mm2 namelen=16 bytes=$in4 host=127.0.0.1" \
	"$(line udp shim '^sendmmsg got')"

# --- nbconnect: EINPROGRESS, then writable, then SO_ERROR -----------------------------
run nbconnect
compare nbconnect
kernel nbconnect AF_INET6
expect "non-blocking connect, epoll" \
	"open epoll connect=EINPROGRESS epoll=1 out=1 err=0 so_error=0 nonblock=1" \
	"$(line nbconnect shim '^open epoll')"
expect "non-blocking connect to a closed port, poll" \
	"closed poll connect=EINPROGRESS poll=1 out=1 so_error=ECONNREFUSED nonblock=1" \
	"$(line nbconnect shim '^closed poll')"
if command -v strace >/dev/null; then
	env LD_PRELOAD="$preload" STACKSHIM_CONF="$empty" STACKSHIM_STACK=ipv6 \
		strace -f -qq -e trace=connect -o "$tmp/strace" \
		timeout "$(limit 60)" "$probe" nbconnect >/dev/null
	expect "strace: one connect() per program connect(), none retried" 4 \
		"$(grep -c 'connect(' "$tmp/strace")"
else
	echo "SKIP: strace is not available; retries unseen"
fi

# --- stale: an accepted socket on a number with an old socket's state ----------------
run stale
compare stale
expect "accept on an AF_INET6 and an AF_UNIX listener forgets the old state" \
	"inet6 accept same-number=1 domain=10 name=10,::1 unix accept same-number=1 domain=1" \
	"$(line stale shim .)"

# --- foreign: AF_UNIX sockets cost the library no question -----------------
# The library learns what an fd it did not see made is by asking the kernel
# (getsockopt SO_DOMAIN, SO_TYPE); a socket it saw made by socket() or
# socketpair() as another family, or one learnt so once, is remembered:
# 200 sends and recvmsg() calls on a socketpair and on a connected AF_UNIX
# pair ask the kernel exactly what the program asks bare.
if command -v strace >/dev/null; then
	need_python
	cat >"$tmp/foreign.py" <<'EOF'
import os, socket
a, b = socket.socketpair()
path = os.path.join(os.environ["tmp"], "foreign.sock")
lis = socket.socket(socket.AF_UNIX)
lis.bind(path)
lis.listen()
c = socket.socket(socket.AF_UNIX)
c.connect(path)
d, _ = lis.accept()
for _ in range(200):
    for x, y in ((a, b), (c, d)):
        x.sendmsg([b"x"])
        y.recvmsg(1)
EOF
	for how in bare shim; do
		rm -f "$tmp/foreign.sock"
		pre=(env tmp="$tmp")
		[ $how == shim ] && pre+=(LD_PRELOAD="$preload" \
			STACKSHIM_CONF="$empty" STACKSHIM_STACK=ipv6)
		"${pre[@]}" strace -f -qq -e trace=getsockopt \
			-o "$tmp/strace.$how" "$python" "$tmp/foreign.py"
	done
	expect "AF_UNIX: the library asks the kernel nothing of its own" \
		"$(grep -c getsockopt "$tmp/strace.bare")" \
		"$(grep -c getsockopt "$tmp/strace.shim")"
else
	echo "SKIP: strace is not available; questions to the kernel unseen"
fi

finish
