#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/integration/servers.sh - legacy IPv4-only servers under --stack ipv6.
#
# Two servers that know only AF_INET: nc.traditional -l, and
# files/tcp_server4.py (socket(AF_INET), bind 0.0.0.0, accept; prints what
# accept, getpeername, getsockname and SO_DOMAIN say).  Clients run bare
# (files/tcp_client.py, IPv4 or IPv6 by the literal).  Issue 4 item 2:
#
#   bare      the AF_INET server takes the 127.0.0.1 client; the ::1 client
#             is refused (nothing listens on IPv6): the contrast
#   ipv6      the server listens on [::] with IPV6_V6ONLY=0 and takes both;
#             the 127.0.0.1 client is a sockaddr_in 127.0.0.1 at its own
#             port; the ::1 client a sockaddr_in from the peer-pool
#             (198.18.0.0/15 by default), the same address on a second
#             connection from ::1, another one for another IPv6 peer
#             (2001:db8::2, added to lo here); getpeername says what accept
#             said; getsockname and SO_DOMAIN are AF_INET too; the log
#             (--log FILE) names the IPv6 peer with its pool address
#   pool      --peer-pool CIDR, or STACKSHIM_PEER_POOL, moves the pool
#   bind      bind(127.0.0.1) on an ipv6 stack works, as on a real
#             IPv6-only host (SPEC §2, ipv4-loopback); with
#             --ipv4-loopback no it is the table's fail-local, EADDRNOTAVAIL
#             (bare it binds)

ITEST_TOOLS="nc.traditional"
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/integration/lib.sh"
itest_init "$@"

files=$top_srcdir/tests/integration/files
DEFAULT_POOL=198.18.0.0/15

# Another IPv6 peer in this namespace (documentation prefix, on lo).
ip -6 addr add 2001:db8::1/128 dev lo nodad || itest_error "address on lo"
ip -6 addr add 2001:db8::2/128 dev lo nodad || itest_error "address on lo"

# start_server4 NAME ADDR COUNT [LAUNCHER...]: tcp_server4.py on ADDR at a
# free port, bare or under LAUNCHER ("$STACKSHIM" OPTION... --); output in
# $tmp/NAME.out; sets $server_pid and $port.
start_server4()
{
	local name=$1 addr=$2 count=$3 i
	shift 3
	rm -f "$tmp/$name.ready"
	for i in 1 2 3; do
		port=$(free_port "")
		# shellcheck disable=SC2016 # expanded by that sh
		background "" sh -c 'exec "$@" >"$0" 2>&1' "$tmp/$name.out" \
			"$@" "$PYTHON" "$files/tcp_server4.py" \
			"$tmp/$name.ready" "$addr" "$port" "$count"
		server_pid=$bg_pid
		wait_for_file "$tmp/$name.ready" 10 && return 0
		kill "$server_pid" 2>/dev/null
	done
	itest_error "server $name did not start: $(cat "$tmp/$name.out")"
}

# client HOST TAG [SOURCE]: tcp_client.py, bare; its line in $client_line,
# its local port in $client_port.
client()
{
	capture "$PYTHON" "$files/tcp_client.py" "$1" "$port" "$2" ${3:+"$3"}
	client_line=$(head -n 1 "$tmp/out")
	client_port=$(field local "$client_line")
	client_port=${client_port##*:}
}

# served NAME TAG: the server's line for TAG.
served()
{
	grep -F -e "tag=$2 " "$tmp/$1.out" | head -n 1
}

# wait_server: until the server has served its COUNT and exited.
wait_server()
{
	local i
	for ((i = 0; i < 100; i++)); do
		kill -0 "$server_pid" 2>/dev/null || return 0
		sleep 0.05
	done
	kill "$server_pid" 2>/dev/null
}

# expect_served WHAT NAME TAG: the client got its answer from the server.
expect_served()
{
	if [ "$status" -eq 0 ] && [ "$(field reply "$client_line")" == "served" ] &&
		grep -qF -e "reply=served $3" "$tmp/out"; then
		pass "$1: served"
	else
		fail "$1: served" "expected: exit 0, reply=served $3" \
			"got:      exit $status$(status_note "$status")" \
			"$(show_output)" "server:" "$(sed 's/^/  | /' "$tmp/$2.out")"
	fi
}

# expect_v4_peer WHAT LINE ADDR-OR-CIDR PORT: LINE (a server line) shows a
# sockaddr_in peer at ADDR (or inside CIDR) and PORT in accept and
# getpeername alike, an AF_INET socket (SO_DOMAIN) at local port $port.
expect_v4_peer()
{
	local what=$1 line=$2 want=$3 cport=$4 acc peer sock ok=1
	acc=$(field accept "$line")
	peer=$(field peername "$line")
	sock=$(field sockname "$line")
	case $want in
	*/*) in_cidr "${acc%:*}" "$want" || ok=0 ;;
	*) [ "${acc%:*}" == "$want" ] || ok=0 ;;
	esac
	[ "${acc##*:}" == "$cport" ] || ok=0
	[ "$(field acceptlen "$line")" == 2 ] || ok=0
	[ "$peer" == "$acc" ] || ok=0
	[ "${sock##*:}" == "$port" ] || ok=0
	[ "$(field domain "$line")" == 2 ] || ok=0
	if [ "$ok" -eq 1 ]; then
		pass "$what: sockaddr_in peer $acc, getpeername $peer, getsockname $sock, SO_DOMAIN AF_INET"
	else
		fail "$what" \
			"expected: accept=$want:$cport (a 2-field sockaddr_in) = getpeername, sockname=...:$port, domain=2 (AF_INET)" \
			"got:      ${line:-no line from the server}"
	fi
}

# expect_log_line WHAT FILE WORD...: a line of FILE has every WORD as a
# whole field (::1 is not part of 2001:db8::1, 198.18.0.1 not of 198.18.0.10).
expect_log_line()
{
	local what=$1 file=$2 w
	shift 2
	cp "$file" "$tmp/lines" 2>/dev/null || : >"$tmp/lines"
	for w in "$@"; do
		grep -wF -e "$w" "$tmp/lines" >"$tmp/lines.next"
		mv "$tmp/lines.next" "$tmp/lines"
	done
	if [ -n "$*" ] && [ -s "$tmp/lines" ]; then
		pass "$what"
	else
		fail "$what" "expected a line with each of: $*" "got:" \
			"$(sed 's/^/  | /' "$file" 2>/dev/null | head -n 20)"
	fi
}

# --- the selection table says: a specific IPv4 local address on ipv6 ---------------
got=$("$STACKSHIM" table --stack ipv6 | awk '$1 == "ipv6" && $3 == "ipv4" { print $4 }' | sort -u)
expect "stackshim table --stack ipv6: local ipv4 is fail-local for every host" \
	"fail-local" "$got"

# --- bare: the AF_INET server cannot take an IPv6 client ---------------------------
start_server4 bare 0.0.0.0 1
client ::1 b6
expect "bare AF_INET server on 0.0.0.0: a ::1 client is refused" \
	"1 error=ECONNREFUSED" "$status $client_line"
client 127.0.0.1 b4
expect_served "bare AF_INET server: the 127.0.0.1 client" bare b4
wait_server
expect_v4_peer "bare AF_INET server: the 127.0.0.1 client" \
	"$(served bare b4)" 127.0.0.1 "$client_port"

# --- under --stack ipv6: both families, IPv6 peers from the pool -------------------
start_server4 shim 0.0.0.0 5 "$STACKSHIM" --stack ipv6 --log "$tmp/shim.log" --
client 127.0.0.1 s4
expect_served "--stack ipv6: AF_INET server, 127.0.0.1 client" shim s4
expect_v4_peer "--stack ipv6: AF_INET server, 127.0.0.1 client" \
	"$(served shim s4)" 127.0.0.1 "$client_port"

client ::1 s6a
expect_served "--stack ipv6: AF_INET server, ::1 client" shim s6a
line=$(served shim s6a)
expect_v4_peer "--stack ipv6: AF_INET server, ::1 client (peer-pool $DEFAULT_POOL)" \
	"$line" "$DEFAULT_POOL" "$client_port"
pool6=$(field accept "$line")
pool6=${pool6%:*}
# The local address ::1 is an IPv6 address too: the same pool address.
sock=$(field sockname "$line")
expect "--stack ipv6: getsockname of the ::1 connection is ::1's pool address" \
	"$pool6:$port" "$sock"

client ::1 s6b
expect_served "--stack ipv6: a second ::1 client" shim s6b
line=$(served shim s6b)
expect_v4_peer "--stack ipv6: a second ::1 client" "$line" "$DEFAULT_POOL" \
	"$client_port"
got=$(field accept "$line")
got=${got%:*}
if in_cidr "$pool6" "$DEFAULT_POOL" && [ "$got" == "$pool6" ]; then
	pass "--stack ipv6: the second connection from ::1 has the same pool address ($got)"
else
	fail "--stack ipv6: the second connection from ::1 has the same pool address" \
		"expected: the first one's, in $DEFAULT_POOL: $pool6" "got:      $got"
fi

client 2001:db8::1 s6c 2001:db8::2
expect_served "--stack ipv6: client 2001:db8::2" shim s6c
line=$(served shim s6c)
expect_v4_peer "--stack ipv6: client 2001:db8::2" "$line" "$DEFAULT_POOL" \
	"$client_port"
other=$(field accept "$line")
other=${other%:*}
if in_cidr "$other" "$DEFAULT_POOL" && [ "$other" != "$pool6" ]; then
	pass "--stack ipv6: another IPv6 peer has another pool address ($other, ::1 has $pool6)"
else
	fail "--stack ipv6: another IPv6 peer has another pool address" \
		"expected: an address in $DEFAULT_POOL other than ::1's ($pool6)" \
		"got:      '$other'"
fi

client 127.0.0.1 s4b
expect_served "--stack ipv6: 127.0.0.1 again after the IPv6 clients" shim s4b
expect_v4_peer "--stack ipv6: 127.0.0.1 again after the IPv6 clients" \
	"$(served shim s4b)" 127.0.0.1 "$client_port"
wait_server

# The decision log names the real IPv6 peer and its pool address.
expect_log_line "--log: a peer-pool line for ::1 and $pool6" "$tmp/shim.log" \
	peer-pool ::1 "$pool6"
expect_log_line "--log: a peer-pool line for 2001:db8::2 and $other" \
	"$tmp/shim.log" peer-pool 2001:db8::2 "$other"

# --- another pool: the launcher's option, the environment ---------------------------
start_server4 pool 0.0.0.0 1 "$STACKSHIM" --stack ipv6 \
	--peer-pool 100.64.0.0/10 --
client ::1 p6
expect_served "--peer-pool 100.64.0.0/10: ::1 client" pool p6
wait_server
expect_v4_peer "--peer-pool 100.64.0.0/10: ::1 client" "$(served pool p6)" \
	100.64.0.0/10 "$client_port"

STACKSHIM_PEER_POOL=10.99.0.0/16 start_server4 envpool 0.0.0.0 1 \
	"$STACKSHIM" --stack ipv6 --
client ::1 e6
expect_served "STACKSHIM_PEER_POOL=10.99.0.0/16: ::1 client" envpool e6
wait_server
expect_v4_peer "STACKSHIM_PEER_POOL=10.99.0.0/16: ::1 client" \
	"$(served envpool e6)" 10.99.0.0/16 "$client_port"

# --- bind to 127.0.0.1: loopback, or fail-local without it -----------------------
port=$(free_port "")
capture "$STACKSHIM" --stack ipv6 -- "$PYTHON" "$files/tcp_server4.py" \
	"$tmp/bind.ready" 127.0.0.1 "$port" 0
expect "--stack ipv6: AF_INET bind(127.0.0.1) works (ipv4-loopback)" \
	"0" "$status"
capture "$STACKSHIM" --stack ipv6 --ipv4-loopback no -- "$PYTHON" \
	"$files/tcp_server4.py" "$tmp/bind.ready" 127.0.0.1 "$port" 0
expect "--stack ipv6 --ipv4-loopback no: AF_INET bind(127.0.0.1) is EADDRNOTAVAIL (fail-local)" \
	"1 bind error=EADDRNOTAVAIL" "$status $(head -n 1 "$tmp/out")"
capture "$PYTHON" "$files/tcp_server4.py" "$tmp/bind.ready" 127.0.0.1 "$port" 0
expect "bare: AF_INET bind(127.0.0.1) succeeds" "0" "$status"

# --- nc.traditional -l ------------------------------------------------------------
# run_nc NAME HOST [LAUNCHER-ARGS... --]: nc.traditional -v -n -l -p PORT,
# one connection from a bare client to HOST; its stderr in $tmp/NAME.err,
# its stdout (what the client sent) in $tmp/NAME.out.
run_nc()
{
	local name=$1 host=$2 i
	shift 2
	echo "nc-says-hello" >"$tmp/nc.in"
	for i in 1 2 3; do
		port=$(free_port "")
		: >"$tmp/$name.err"
		# shellcheck disable=SC2016 # expanded by that sh
		background "" sh -c 'i=$0 o=$1 e=$2; shift 2; exec "$@" <"$i" >"$o" 2>"$e"' \
			"$tmp/nc.in" "$tmp/$name.out" "$tmp/$name.err" \
			"$@" nc.traditional -v -n -l -p "$port"
		server_pid=$bg_pid
		wait_until "$server_pid" grep -q "listening on" "$tmp/$name.err" &&
			break
		kill "$server_pid" 2>/dev/null
	done
	client "$host" "$name"
	wait_server
}

run_nc ncbare6 ::1
expect "bare nc.traditional -l: a ::1 client is refused" \
	"1 error=ECONNREFUSED" "$status $client_line"
kill "$server_pid" 2>/dev/null

for host in 127.0.0.1 ::1; do
	run_nc nc "$host" "$STACKSHIM" --stack ipv6 --
	what="--stack ipv6: nc.traditional -l, $host client"
	expect "$what: the client got nc's data" \
		"0 nc-says-hello" "$status $(field reply "$client_line")"
	expect "$what: nc got the client's data" "nc" "$(cat "$tmp/nc.out")"
	l=$(grep '^connect to' "$tmp/nc.err")
	if [ "$host" = 127.0.0.1 ]; then
		want="connect to [127.0.0.1] from (UNKNOWN) [127.0.0.1] $client_port"
		expect "$what: nc -v says" "$want" "$l"
	else
		re='^connect to \[([0-9.]+)\] from \(UNKNOWN\) \[([0-9.]+)\] ([0-9]+)$'
		if [[ $l =~ $re ]] && in_cidr "${BASH_REMATCH[2]}" "$DEFAULT_POOL" &&
			[ "${BASH_REMATCH[1]}" == "${BASH_REMATCH[2]}" ] &&
			[ "${BASH_REMATCH[3]}" == "$client_port" ]; then
			pass "$what: nc -v says: $l"
		else
			fail "$what: nc -v says" \
				"expected: connect to [POOL] from (UNKNOWN) [POOL] $client_port (POOL in $DEFAULT_POOL, ::1's address both ends)" \
				"got:      $(cat "$tmp/nc.err")"
		fi
	fi
done

finish
