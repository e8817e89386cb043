#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/integration/loopback.sh - IPv4 loopback exists on every stack (SPEC
# §2, "Real hosts, where the table is silent"; the ipv4-loopback key).
#
# Every real IPv6-only Linux host has 127.0.0.1: AF_INET sockets exist
# there, bind to 127.0.0.0/8 and reach it, and no IPv4 client from
# elsewhere reaches its listeners (it has no other IPv4 address).  So:
#   1. an AF_INET server on 127.0.0.1 and its client in one python3
#      process, under --stack ipv6 with mapped yes and no, and with a NAT64
#      translate-prefix, through which loopback is never sent (strace);
#   2. the table as it stands with --ipv4-loopback no: the bind fails
#      (fail-local), and with mapped = no there is no AF_INET socket;
#   3. inbound, under --stack ipv6 --mapped no: listeners of both families
#      hear 127.0.0.1 and ::1 but not an IPv4 client at 192.0.2.1 (an
#      address on this namespace's lo), which they do hear with mapped
#      addresses (the map column reaches IPv4 both ways) and bare.
# Everything runs in the test's private namespaces.

# shellcheck source-path=SCRIPTDIR source=lib.sh
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/integration/lib.sh"
itest_need_tools strace
itest_init "$@"

probe=$top_srcdir/tests/integration/files/loopback.py
ip addr add 192.0.2.1/32 dev lo || itest_error "add 192.0.2.1"

# --- 1. a server on 127.0.0.1 and its client ----------------------------------------
while read -r label opts; do
	[ -n "$label" ] || continue
	# shellcheck disable=SC2086 # options are words on purpose
	capture "$STACKSHIM" $opts -- "$PYTHON" "$probe" serve 127.0.0.1
	expect "$label: AF_INET server and client on 127.0.0.1" \
		"bind=ok listen=ok connect=ok peer=127.0.0.1 local=127.0.0.1" \
		"$(cat "$tmp/out")$(sed 's/^/ stderr: /' "$tmp/err")"
done <<'CASES'
ipv6                --stack ipv6
ipv6,mapped-no      --stack ipv6 --mapped no
ipv6,nat64          --stack ipv6 --translate-prefix 64:ff9b::/96
ipv6,nat64,no-map   --stack ipv6 --mapped no --translate-prefix 64:ff9b::/96
ipv6,nsp            --stack ipv6 --translate-prefix 2001:db8:64::/96
ipv6,nsp-32         --stack ipv6 --translate-prefix 2001:db8::/32
ipv4                --stack ipv4
dual                --stack dual
CASES

# Loopback is never sent through the translate-prefix (RFC 6052 §3.1):
# the well-known one, which the shim judges address by address, and
# network-specific ones, which it translates from a cache (shim/fast.c).
for prefix in 64:ff9b::/96 2001:db8:64::/96 2001:db8::/32; do
	capture strace -f -o "$tmp/strace" -e trace=connect \
		"$STACKSHIM" --stack ipv6 --translate-prefix "$prefix" -- \
		"$PYTHON" "$probe" serve 127.0.0.2
	expect_grep "$prefix: the connect goes to ::ffff:127.0.0.2" \
		'connect\(.*"::ffff:127\.0\.0\.2".*= 0' "$tmp/strace"
	expect_no_grep "$prefix: nothing goes through the prefix" \
		"${prefix%%::*}:" "$tmp/strace"
done

# --- 2. the table as it stands: --ipv4-loopback no ----------------------------------
capture "$STACKSHIM" --stack ipv6 --ipv4-loopback no -- \
	"$PYTHON" "$probe" serve 127.0.0.1
expect "ipv4-loopback no: the bind is fail-local" "bind=EADDRNOTAVAIL" \
	"$(cat "$tmp/out")"
capture "$STACKSHIM" --stack ipv6 --mapped no --ipv4-loopback no -- \
	"$PYTHON" -c 'import socket; socket.socket()'
expect_grep "ipv4-loopback no, mapped no: no AF_INET socket" \
	'Errno 97' "$tmp/err"

# --- 3. inbound: which IPv4 clients reach a listener ----------------------------------
# heard FAMILY WANT POLICY-OPTION...: a listener of FAMILY under the options
# (none: bare) is knocked at, TCP and UDP, from 127.0.0.1, ::1 (family 6
# only) and 192.0.2.1; WANT is which IPv4 peers it hears: yes (all), no
# (loopback only) or none.
seq=0
heard()
{
	local family=$1 want=$2 label src peer line pid
	shift 2
	seq=$((seq + 1))
	label="family $family listener under ${*:-no shim}"
	[ $# -gt 0 ] && set -- "$STACKSHIM" "$@" --
	timeout -k 2 "$ITEST_TIMEOUT" "$@" "$PYTHON" "$probe" listen \
		"$family" "$tmp/ready$seq" >"$tmp/heard$seq" 2>&1 &
	pid=$!
	wait_for_file "$tmp/ready$seq" 10 || itest_error "$label: no listener"
	for src in 127.0.0.1 ::1 192.0.2.1; do
		[ "$family:$src" = 4:::1 ] && continue
		capture "$PYTHON" "$probe" knock "$src" "$src" \
			"$(cat "$tmp/ready$seq")"
		echo "$label: knock from $src: $(cat "$tmp/out" "$tmp/err")"
	done
	: >"$tmp/ready$seq.stop"
	wait "$pid"
	for line in 'tcp 127.0.0.1' 'udp 127.0.0.1' 'tcp ::1' 'udp ::1' \
		'tcp 192.0.2.1' 'udp 192.0.2.1'; do
		peer=${line#* }
		case $family:$peer in
		4:::1) continue ;;
		6:*.*) line="${line% *} ::ffff:$peer" ;;
		esac
		if { [ "$want" = no ] && [ "$peer" = 192.0.2.1 ]; } ||
			{ [ "$want" = none ] && [ "$peer" != ::1 ]; }; then
			expect_no_grep "$label: not reached by $line" \
				"^$line\$" "$tmp/heard$seq"
		else
			expect_grep "$label: reached by $line" "^$line\$" \
				"$tmp/heard$seq"
		fi
	done
}

heard 4 yes
heard 6 yes
heard 4 yes --stack ipv6
heard 6 yes --stack ipv6
heard 4 no --stack ipv6 --mapped no
heard 6 no --stack ipv6 --mapped no
# The table as it stands: no IPv4 peer at all, loopback included.
heard 6 none --stack ipv6 --mapped no --ipv4-loopback no

finish
