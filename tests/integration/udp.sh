#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/integration/udp.sh - legacy AF_INET UDP under --stack ipv6.
#
# Issue 4 item 4: UDP, connected and unconnected, both directions, through
# upgraded sockets.  Clients are files/udp_client.py (a socket of the
# literal's family; connected: connect/send/recv/getpeername; unconnected:
# sendto/recvfrom).
#
#   socat    `socat UDP4-RECVFROM:PORT,fork EXEC:cat` (an IPv4-only echo
#            server) under --stack ipv6:
#              - an AF_INET client under --stack ipv6, connected and
#                unconnected: its datagram comes back, from 127.0.0.1:PORT
#                as a sockaddr_in; socat -d -d says it received it from
#                AF=2 127.0.0.1 at the client's port;
#              - a bare IPv6 client from ::1: socat sees AF=2 and a peer-pool
#                address, and its reply reaches the client;
#            bare, the same socat never answers the ::1 client (refused).
#   python3  files/udp_server4.py (AF_INET; recvfrom+sendto and
#            recvmsg+sendmsg by turns) under --stack ipv6, bare clients from
#            ::1 and 127.0.0.1, connected and unconnected: recvfrom and
#            recvmsg give sockaddr_in (the same pool address for both ::1
#            datagrams, 127.0.0.1 at the client's port for the IPv4 ones),
#            and the reply sent to that address reaches the client; bare,
#            the same server never answers the ::1 client.

ITEST_TOOLS="socat"
# Each client waits 5 s for an answer that a broken shim never gives.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/integration/lib.sh"
itest_init "$@"

files=$top_srcdir/tests/integration/files
DEFAULT_POOL=198.18.0.0/15

# udp_port: a UDP port free on 0.0.0.0 and [::], printed.
udp_port()
{
	"$PYTHON" - <<'EOF'
import socket
for _ in range(100):
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.bind(("::", 0))
    port = s.getsockname()[1]
    s.close()
    if 20000 <= port < 60000:
        print(port)
        break
EOF
}

# wait_udp PORT: until a UDP socket is bound at PORT (any address).
wait_udp()
{
	local i
	for ((i = 0; i < 200; i++)); do
		ss -Hlun 2>/dev/null | awk '{ print $4 }' | grep -q ":$1\$" &&
			return 0
		sleep 0.05
	done
	return 1
}

# client [LAUNCHER-ARGS... --] MODE HOST TAG: udp_client.py to HOST:$port;
# its line in $line, its local port in $client_port.
client()
{
	local pre=()
	while [ $# -gt 3 ]; do
		pre+=("$1")
		shift
	done
	capture "${pre[@]}" "$PYTHON" "$files/udp_client.py" "$1" "$2" "$port" "$3"
	line=$(head -n 1 "$tmp/out")
	client_port=$(field local "$line")
	client_port=${client_port##*:}
}

# expect_reply WHAT REPLY FROM: the client's line says it got REPLY from
# FROM (ADDR:PORT) as an address of FROMLEN fields.
expect_reply()
{
	local what=$1 reply=$2 from=$3 fromlen=$4
	if [ "$status" -eq 0 ] && [ "$(field reply "$line")" == "$reply" ] &&
		[ "$(field from "$line")" == "$from" ] &&
		[ "$(field fromlen "$line")" == "$fromlen" ]; then
		pass "$what: reply $reply from $from"
	else
		fail "$what" \
			"expected: exit 0, reply=$reply from=$from fromlen=$fromlen" \
			"got:      exit $status$(status_note "$status")" "$(show_output)"
	fi
}

# start_socat NAME [LAUNCHER-ARGS... --]: the echo server at a free port;
# its log (-d -d) in $tmp/NAME.log.
start_socat()
{
	local name=$1 i
	shift
	for i in 1 2 3; do
		port=$(udp_port)
		# shellcheck disable=SC2016 # expanded by that sh
		background "" sh -c 'exec "$@" 2>"$0"' "$tmp/$name.log" \
			"$@" socat -d -d -T 10 -t 5 "UDP4-RECVFROM:$port,fork" EXEC:cat
		server_pid=$bg_pid
		wait_udp "$port" && return 0
		kill "$server_pid" 2>/dev/null
	done
	itest_error "socat did not start: $(cat "$tmp/$name.log")"
}

# start_pyserver NAME COUNT [LAUNCHER-ARGS... --]: udp_server4.py on
# 0.0.0.0 at a free port; its output in $tmp/NAME.out.
start_pyserver()
{
	local name=$1 count=$2 i
	shift 2
	for i in 1 2 3; do
		port=$(udp_port)
		rm -f "$tmp/$name.ready"
		# shellcheck disable=SC2016 # expanded by that sh
		background "" sh -c 'exec "$@" >"$0" 2>&1' "$tmp/$name.out" \
			"$@" "$PYTHON" "$files/udp_server4.py" "$tmp/$name.ready" \
			0.0.0.0 "$port" "$count"
		server_pid=$bg_pid
		wait_for_file "$tmp/$name.ready" 10 && return 0
		kill "$server_pid" 2>/dev/null
	done
	itest_error "udp_server4.py did not start: $(cat "$tmp/$name.out")"
}

SHIM=("$STACKSHIM" --stack ipv6 --)

# --- socat: bare, the ::1 client gets no answer ---------------------------------
start_socat socatbare
client connected ::1 bare6
expect "bare socat UDP4-RECVFROM: a connected ::1 client gets no answer" \
	"1 ECONNREFUSED" "$status $(field error "$line")"
kill "$server_pid" 2>/dev/null

# --- socat under --stack ipv6 ---------------------------------------------------
start_socat socat "${SHIM[@]}"
for mode in connected unconnected; do
	what="--stack ipv6: socat UDP4-RECVFROM <-> AF_INET client ($mode) under --stack ipv6"
	client "${SHIM[@]}" "$mode" 127.0.0.1 "s4$mode"
	expect_reply "$what" "s4$mode" "127.0.0.1:$port" 2
	expect_grep "$what: socat received from AF=2 127.0.0.1:$client_port" \
		"receiving packet from AF=2 127\.0\.0\.1:$client_port\$" "$tmp/socat.log"
done
for mode in connected unconnected; do
	what="--stack ipv6: socat UDP4-RECVFROM <-> bare ::1 client ($mode)"
	client "$mode" ::1 "s6$mode"
	expect_reply "$what" "s6$mode" "::1:$port" 4
	got=$(grep -E "receiving packet from AF=[0-9]+ .*:$client_port\$" \
		"$tmp/socat.log" | head -n 1)
	re="receiving packet from AF=2 ([0-9.]+):$client_port\$"
	if [[ $got =~ $re ]] && in_cidr "${BASH_REMATCH[1]}" "$DEFAULT_POOL"; then
		pass "$what: socat received from AF=2 ${BASH_REMATCH[1]} (peer-pool)"
	else
		fail "$what: socat received from AF=2 and a $DEFAULT_POOL address" \
			"got: ${got:-no such line}" "$(sed 's/^/  | /' "$tmp/socat.log" | tail -n 20)"
	fi
done
kill "$server_pid" 2>/dev/null

# --- python3 AF_INET server: bare, the ::1 client gets no answer ---------------
start_pyserver pybare 1
client connected ::1 pb6
expect "bare AF_INET UDP server: a connected ::1 client gets no answer" \
	"1 ECONNREFUSED" "$status $(field error "$line")"
kill "$server_pid" 2>/dev/null

# --- python3 AF_INET server under --stack ipv6 ---------------------------------
# Datagram n is read by recvfrom (even n) or recvmsg (odd n).
start_pyserver py 4 "${SHIM[@]}"
n=0
pool6=
for c in "unconnected ::1" "connected ::1" "unconnected 127.0.0.1" \
	"connected 127.0.0.1"; do
	read -r mode host <<<"$c"
	call=recvfrom
	[ $((n % 2)) -eq 1 ] && call=recvmsg
	what="--stack ipv6: AF_INET UDP server ($call), bare $host client ($mode)"
	fromlen=2
	case $host in *:*) fromlen=4 ;; esac
	client "$mode" "$host" "t$n"
	expect_reply "$what: the reply reaches the client" "echo_t$n" \
		"$host:$port" "$fromlen"
	got=$(grep -F -e " data=t$n" "$tmp/py.out")
	from=$(field from "$got")
	ok=0
	if [ "$(field call "$got")" == "$call" ] &&
		[ "$(field fromlen "$got")" == 2 ] &&
		[ "${from##*:}" == "$client_port" ]; then
		case $host in
		::1)
			if in_cidr "${from%:*}" "$DEFAULT_POOL" &&
				{ [ -z "$pool6" ] || [ "$pool6" == "${from%:*}" ]; }; then
				ok=1
				pool6=${from%:*}
			fi
			;;
		*) [ "${from%:*}" == "$host" ] && ok=1 ;;
		esac
	fi
	if [ "$ok" -eq 1 ]; then
		pass "$what: $call gave sockaddr_in $from"
	else
		want="127.0.0.1"
		[ "$host" = ::1 ] && want="an address in $DEFAULT_POOL${pool6:+ (the first one: $pool6)}"
		fail "$what: $call gave a sockaddr_in" \
			"expected: call=$call from=$want:$client_port fromlen=2" \
			"got:      ${got:-no line}" "$(sed 's/^/  | /' "$tmp/py.out")"
	fi
	n=$((n + 1))
done
kill "$server_pid" 2>/dev/null

finish
