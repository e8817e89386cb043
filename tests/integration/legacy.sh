#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/integration/legacy.sh - an unmodified IPv4-only program on an IPv6-only
# stack (SPEC: "Unmodified legacy binaries").
#
# nc.traditional knows only AF_INET sockets and gethostbyname().  Under
# `stackshim --stack ipv6` its socket must really be AF_INET6 (strace shows
# socket(AF_INET6, ...) and a connect to sin6_addr ::ffff:127.0.0.1; the
# listener finds the client's socket in /proc/net/tcp6 at a mapped address),
# and data must flow both ways with a 127.0.0.1 listener, by literal and by
# name.  Under `--stack ipv6 --mapped no`, a real IPv6-only host: 127.0.0.1
# is still reached, over a plain AF_INET socket (SPEC §2, ipv4-loopback);
# another IPv4 host (192.0.2.1 on the namespace's lo, a listener of its own
# there, by literal and by name) must fail cleanly: a non-zero exit of its
# own (no signal, no hang), and no connection reaching the listener.  The
# same program without the shim is the control: AF_INET in strace, not in
# /proc/net/tcp6.

ITEST_TOOLS="nc.traditional strace"
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/integration/lib.sh"
ITEST_HOSTS_EXTRA='127.0.0.1	v4.stackshim.test
192.0.2.1	far.stackshim.test'
itest_init "$@"

write_programs
start_listener legacy "" 127.0.0.1
P=$listen_port
ip addr add 192.0.2.1/32 dev lo || itest_error "add 192.0.2.1 to lo"
start_listener_at legacyfar "" "$P" 192.0.2.1
echo "listeners on 127.0.0.1:$P and 192.0.2.1:$P"

# legacy_nc TAG HOST [POLICY-OPTION...]: nc.traditional sends TAG to HOST:P
# (under the launcher when options are given) and prints the answer.
legacy_nc()
{
	local tag=$1 host=$2
	shift 2
	printf '%s\n' "$tag" >"$tmp/in"
	capture_in=$tmp/in
	if [ $# -eq 0 ]; then
		capture nc.traditional -w 5 "$host" "$P"
	else
		capture "$STACKSHIM" "$@" -- nc.traditional -w 5 "$host" "$P"
	fi
	capture_in=
}

# legacy_nc_strace TAG HOST [POLICY-OPTION...]: the same under
# strace -f -e trace=socket,connect; the AF_INET* calls in $tmp/strace.
legacy_nc_strace()
{
	local tag=$1 host=$2
	shift 2
	printf '%s\n' "$tag" >"$tmp/in"
	capture_in=$tmp/in
	if [ $# -eq 0 ]; then
		capture strace -f -qq -yy -e trace=socket,connect -o "$tmp/strace.all" \
			nc.traditional -w 5 "$host" "$P"
	else
		capture strace -f -qq -yy -e trace=socket,connect -o "$tmp/strace.all" \
			"$STACKSHIM" "$@" -- nc.traditional -w 5 "$host" "$P"
	fi
	capture_in=
	grep -E 'AF_INET' "$tmp/strace.all" >"$tmp/strace"
}

# check_flow WHAT TAG TCP6: the listener got TAG from 127.0.0.1, the program
# printed the listener's answer, and the client socket was (TCP6=1) or was
# not (0) an AF_INET6 one.
check_flow()
{
	local what=$1 tag=$2 tcp6=$3 seen want
	want="listener=127.0.0.1 peer=127.0.0.1 tcp6=$tcp6 line=$tag"
	seen=$(server_saw legacy "$tag")
	if [ "$status" -eq 0 ] && [ "$seen" == "$want" ] &&
		grep -qxF -e "$want" "$tmp/out"; then
		pass "$what: data flowed (tcp6=$tcp6)"
	else
		fail "$what" \
			"expected: exit 0, listener log and program output '$want'" \
			"got:      exit $status$(status_note "$status"), listener log '$seen'" \
			"$(show_output)"
	fi
}

# check_refused WHAT TAG [LOG]: a clean failure, and nothing reached the
# listener whose log is LOG (legacy, the 127.0.0.1 one, by default).
check_refused()
{
	local what=$1 tag=$2 seen
	seen=$(server_saw "${3:-legacy}" "$tag")
	if [ "$status" -ne 0 ] && [ "$status" -lt 124 ] && [ -z "$seen" ]; then
		pass "$what: fails cleanly (exit $status), no connection"
	else
		fail "$what" \
			"expected: a clean failure (exit 1..123), nothing in the listener log" \
			"got:      exit $status$(status_note "$status"), listener log '$seen'" \
			"$(show_output)"
	fi
}

# --- control: without the shim, an AF_INET program ---------------------------------
legacy_nc_strace legacy-plain 127.0.0.1
check_flow "nc.traditional 127.0.0.1 (no shim)" legacy-plain 0
expect_grep "nc.traditional (no shim): socket(AF_INET, SOCK_STREAM)" \
	'socket\(AF_INET, SOCK_STREAM' "$tmp/strace"
expect_grep "nc.traditional (no shim): connect to AF_INET 127.0.0.1" \
	'connect\([0-9]+<TCP[^>]*>, \{sa_family=AF_INET, .*"127\.0\.0\.1"' "$tmp/strace"

# --- --stack ipv6: the AF_INET socket is an AF_INET6 one underneath -----------
for host in 127.0.0.1 v4.stackshim.test; do
	legacy_nc "legacy-v6-$host" "$host" --stack ipv6
	check_flow "stackshim --stack ipv6 -- nc.traditional $host" \
		"legacy-v6-$host" 1

	legacy_nc_strace "legacy-v6-strace-$host" "$host" --stack ipv6
	check_flow "stackshim --stack ipv6 -- nc.traditional $host, under strace" \
		"legacy-v6-strace-$host" 1
	expect_grep "nc.traditional $host under --stack ipv6: socket(AF_INET6, SOCK_STREAM)" \
		'socket\(AF_INET6, SOCK_STREAM[^)]*\) = [0-9]+' "$tmp/strace"
	expect_grep "nc.traditional $host under --stack ipv6: connect to sin6_addr ::ffff:127.0.0.1" \
		'connect\([0-9]+<TCP[^>]*>, \{sa_family=AF_INET6, .*"::ffff:127\.0\.0\.1"' \
		"$tmp/strace"
	expect_no_grep "nc.traditional $host under --stack ipv6: no AF_INET connect" \
		'connect\([0-9]+<TCP[^>]*>, \{sa_family=AF_INET,' "$tmp/strace"
done

# --- --stack ipv6 --mapped no: loopback reached, other IPv4 refused ------------
# A real IPv6-only host keeps 127.0.0.0/8: the AF_INET socket is a plain
# one (not upgraded: tcp6=0) and reaches the listener.
for host in 127.0.0.1 v4.stackshim.test; do
	legacy_nc "legacy-nomap-$host" "$host" --stack ipv6 --mapped no
	check_flow "stackshim --stack ipv6 --mapped no -- nc.traditional $host" \
		"legacy-nomap-$host" 0
done
# 192.0.2.1 is no loopback: no IPv4 route on an IPv6-only host.
for host in 192.0.2.1 far.stackshim.test; do
	legacy_nc "legacy-nomap-$host" "$host" --stack ipv6 --mapped no
	check_refused "stackshim --stack ipv6 --mapped no -- nc.traditional $host" \
		"legacy-nomap-$host" legacyfar
	legacy_nc_strace "legacy-nomap-strace-$host" "$host" --stack ipv6 --mapped no
	check_refused "the same under strace" "legacy-nomap-strace-$host" legacyfar
	expect_no_grep "nc.traditional $host under --mapped no: no connect() succeeded" \
		'connect\([0-9]+<TCP[^>]*>, \{sa_family=AF_INET6?,.*\) = 0' "$tmp/strace"
done
# The control: bare, 192.0.2.1 is reached.
legacy_nc legacy-far-plain 192.0.2.1
expect "nc.traditional 192.0.2.1 (no shim) reaches its listener" \
	"listener=192.0.2.1 peer=192.0.2.1 tcp6=0 line=legacy-far-plain" \
	"$(server_saw legacyfar legacy-far-plain)"

finish
