#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/integration/seed.sh - the seed's scenario (seeds/000_*.txt): an IPv6
# client on a dual-stack host reaches a server on an IPv4-only host through
# the server's IPv4-mapped address; the kernel sends IPv4, and the server sees
# an IPv4 peer.
#
#   client host: this test's private namespace, dual-stack:
#                cl0 192.0.2.1/24 and 2001:db8:1::1/64
#   server host: namespace srv<PID>, IPv6 disabled (sysctls), sv0 192.0.2.2/24,
#                a TCP listener on 192.0.2.2:P that reports the peer it saw
#   names:       srv.stackshim.test, an A record only (192.0.2.2)
#
# Without the shim, IPv6-only clients (nc.openbsd -6, socat TCP6:, curl -6)
# reach [::ffff:192.0.2.2]:P, but cannot resolve srv.stackshim.test (it has no
# AAAA record).  Under `stackshim --stack ipv6` the same clients, given the
# name, get ::ffff:192.0.2.2 from getaddrinfo (SPEC §2, map) and connect; under
# `--stack ipv6 --mapped no` they fail (fail-host).  The server always sees
# 192.0.2.1.

ITEST_TOOLS="nc.openbsd socat curl strace"
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/integration/lib.sh"
ITEST_HOSTS_EXTRA='192.0.2.2	srv.stackshim.test'
itest_init "$@"

SRV=srv$ITEST_ID
netns_add "$SRV"
veth cl0 "" sv0 "$SRV"
ipv6_off "$SRV"
ip -n "$SRV" addr add 192.0.2.2/24 dev sv0 || itest_error "address sv0"
ip addr add 192.0.2.1/24 dev cl0 || itest_error "address cl0"
ip addr add 2001:db8:1::1/64 dev cl0 nodad || itest_error "address cl0 v6"

write_programs
start_listener srv "$SRV" 192.0.2.2
P=$listen_port
echo "server: [$SRV] 192.0.2.2:$P; client: 192.0.2.1, 2001:db8:1::1"

# --- the two hosts are what the scenario says -------------------------------------
expect "server host: IPv6 disabled" "1 1" \
	"$(ip netns exec "$SRV" cat /proc/sys/net/ipv6/conf/all/disable_ipv6 \
		/proc/sys/net/ipv6/conf/sv0/disable_ipv6 | paste -sd' ' -)"
expect "server host: no IPv6 address" "" \
	"$(ip -n "$SRV" -6 -o addr show)"
expect "client host: IPv6 enabled" "0" \
	"$(cat /proc/sys/net/ipv6/conf/cl0/disable_ipv6)"

# check_reached WHAT TAG: the client output ($tmp/out) and the server's log
# both show the connection that sent TAG, from the IPv4 peer 192.0.2.1.
check_reached()
{
	local what=$1 tag=$2 seen
	seen=$(server_saw srv "$tag")
	if [ "$status" -eq 0 ] &&
		[ "$seen" == "listener=192.0.2.2 peer=192.0.2.1 tcp6=0 line=$tag" ] &&
		grep -qF -e "peer=192.0.2.1 tcp6=0 line=$tag" "$tmp/out"; then
		pass "$what: the server saw the IPv4 peer 192.0.2.1"
	else
		fail "$what" \
			"expected: exit 0, server log 'listener=192.0.2.2 peer=192.0.2.1 tcp6=0 line=$tag'" \
			"got:      exit $status$(status_note "$status"), server log '$seen'" \
			"$(show_output)"
	fi
}

# check_not_reached WHAT TAG: the client failed on its own, and no
# connection reached the server.
check_not_reached()
{
	local what=$1 tag=$2 seen
	seen=$(server_saw srv "$tag")
	if [ "$status" -ne 0 ] && [ "$status" -lt 124 ] && [ -z "$seen" ]; then
		pass "$what: fails cleanly (exit $status), server saw nothing"
	else
		fail "$what" \
			"expected: a clean failure (exit 1..123), nothing in the server log" \
			"got:      exit $status$(status_note "$status"), server log '$seen'" \
			"$(show_output)"
	fi
}

# input TAG: $capture_in holds the line TAG.
input()
{
	printf '%s\n' "$1" >"$tmp/in"
	capture_in=$tmp/in
}

# The IPv6-only clients; CLIENT ARGS... TARGET: how each names the target.
nc6()
{
	input "$1"
	capture nc.openbsd -6 -N -w 5 "$2" "$P"
}
socat6()
{
	input "$1"
	capture socat -T 5 -t 2 - "TCP6:$2:$P"
}
curl6()
{
	capture_in=
	capture curl -q -sS -6 --max-time 5 "http://$2:$P/$1"
}
shim_nc6()
{
	local tag=$1 target=$2
	shift 2
	input "$tag"
	capture "$STACKSHIM" "$@" -- nc.openbsd -6 -N -w 5 "$target" "$P"
}

# --- without the shim: the kernel's own IPv4-mapped path -------------------------
nc6 seed-nc-literal ::ffff:192.0.2.2
check_reached "nc.openbsd -6 ::ffff:192.0.2.2 (no shim)" seed-nc-literal
socat6 seed-socat-literal '[::ffff:192.0.2.2]'
check_reached "socat TCP6:[::ffff:192.0.2.2] (no shim)" seed-socat-literal
curl6 seed-curl-literal '[::ffff:192.0.2.2]'
check_reached "curl -6 http://[::ffff:192.0.2.2] (no shim)" "GET /seed-curl-literal HTTP/1.1"

# strace_inet FILE: keep the AF_INET/AF_INET6 calls of an strace log (not
# glibc's AF_UNIX attempts at nscd).
strace_inet()
{
	grep -E 'AF_INET' "$1" >"$1.inet"
}

# It is an IPv6 client: an AF_INET6 socket connected to the mapped address.
input seed-strace-literal
capture strace -f -qq -yy -e trace=socket,connect -o "$tmp/strace-literal" \
	nc.openbsd -6 -N -w 5 ::ffff:192.0.2.2 "$P"
strace_inet "$tmp/strace-literal"
check_reached "nc.openbsd -6 ::ffff:192.0.2.2 under strace (no shim)" \
	seed-strace-literal
expect_grep "nc.openbsd -6 (no shim) opens an AF_INET6 socket" \
	'socket\(AF_INET6, SOCK_STREAM' "$tmp/strace-literal.inet"
expect_grep "nc.openbsd -6 (no shim) connects to ::ffff:192.0.2.2" \
	'connect\([0-9]+<TCP[^>]*>, \{sa_family=AF_INET6, .*"::ffff:192\.0\.2\.2"' \
	"$tmp/strace-literal.inet"

# Control: the name has no AAAA record, so without the shim an IPv6-only
# client cannot resolve it (this is what the shim changes).
nc6 seed-nc-name-noshim srv.stackshim.test
check_not_reached "nc.openbsd -6 srv.stackshim.test (no shim, control)" \
	seed-nc-name-noshim

# --- under the shim, --stack ipv6: getaddrinfo maps the A record --------------
cat >"$tmp/gai.py" <<'EOF'
import socket, sys
out = []
for fam in (socket.AF_INET6, socket.AF_UNSPEC):
    try:
        r = socket.getaddrinfo(sys.argv[1], int(sys.argv[2]), fam,
                               socket.SOCK_STREAM)
        out.append(",".join(sorted(set("%s/%s" % (i[0].name, i[4][0])
                                       for i in r))))
    except OSError as e:
        out.append("error:%s" % e)
print(" ".join(out))
EOF
capture_in=
capture "$STACKSHIM" --stack ipv6 -- "$PYTHON" "$tmp/gai.py" srv.stackshim.test "$P"
expect "getaddrinfo(srv.stackshim.test, AF_INET6 / AF_UNSPEC) under --stack ipv6" \
	"AF_INET6/::ffff:192.0.2.2 AF_INET6/::ffff:192.0.2.2" "$(cat "$tmp/out")"

shim_nc6 seed-nc-name srv.stackshim.test --stack ipv6
check_reached "stackshim --stack ipv6 -- nc.openbsd -6 srv.stackshim.test" \
	seed-nc-name

input seed-strace-name
capture strace -f -qq -yy -e trace=socket,connect -o "$tmp/strace-name" \
	"$STACKSHIM" --stack ipv6 -- nc.openbsd -6 -N -w 5 srv.stackshim.test "$P"
strace_inet "$tmp/strace-name"
check_reached "the same under strace" seed-strace-name
expect_grep "nc.openbsd -6 srv.stackshim.test under the shim opens an AF_INET6 socket" \
	'socket\(AF_INET6, SOCK_STREAM' "$tmp/strace-name.inet"
expect_grep "nc.openbsd -6 srv.stackshim.test under the shim connects to ::ffff:192.0.2.2" \
	'connect\([0-9]+<TCP[^>]*>, \{sa_family=AF_INET6, .*"::ffff:192\.0\.2\.2"' \
	"$tmp/strace-name.inet"

input seed-socat-name
capture "$STACKSHIM" --stack ipv6 -- socat -T 5 -t 2 - "TCP6:srv.stackshim.test:$P"
check_reached "stackshim --stack ipv6 -- socat TCP6:srv.stackshim.test" \
	seed-socat-name

capture_in=
capture "$STACKSHIM" --stack ipv6 -- curl -q -sS -6 --max-time 5 \
	"http://srv.stackshim.test:$P/seed-curl-name"
check_reached "stackshim --stack ipv6 -- curl -6 http://srv.stackshim.test" \
	"GET /seed-curl-name HTTP/1.1"

# A program that asks AF_UNSPEC gets the mapped address too, and its socket
# is an AF_INET6 one connected to it.
capture_in=
capture "$STACKSHIM" --stack ipv6 -- "$PYTHON" "$tmp/client.py" gai \
	srv.stackshim.test "$P" seed-python-name
line=$(head -n 1 "$tmp/out")
expect "python getaddrinfo(AF_UNSPEC)+connect under --stack ipv6" \
	"gai=AF_INET6/::ffff:192.0.2.2 family=AF_INET6 peer=::ffff:192.0.2.2 srv_peer=192.0.2.1" \
	"gai=$(field gai "$line") family=$(field family "$line") peer=$(field peer "$line") srv_peer=$(field srv_peer "$line")"

# The seed's own setting: a dual-stack host, an IPv6 local address, an IPv4
# host: map (SPEC §1, dual/ipv6/ipv4); the mapped connection leaves through
# the IPv4 stack, so the server still sees 192.0.2.1 (SPEC §2).
shim_nc6 seed-nc-dual srv.stackshim.test --stack dual --local-address 2001:db8:1::1
check_reached "stackshim --stack dual --local-address 2001:db8:1::1 -- nc.openbsd -6 srv.stackshim.test" \
	seed-nc-dual

# --- mapped = no: the IPv4-only name fails to resolve ---------------------------
shim_nc6 seed-nc-nomap srv.stackshim.test --stack ipv6 --mapped no
check_not_reached "stackshim --stack ipv6 --mapped no -- nc.openbsd -6 srv.stackshim.test" \
	seed-nc-nomap

finish
