#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/integration/eventloop.sh - event loops and non-blocking sockets of a
# legacy AF_INET program under --stack ipv6.
#
# Issue 4 item 5: a non-blocking connect keeps its semantics (EINPROGRESS,
# then SO_ERROR), and sockets registered with epoll/poll/select keep working.
#
#   refused   files/nb_connect.py to a closed port of 127.0.0.1: with select,
#             poll and epoll, connect_ex() is EINPROGRESS, the socket becomes
#             writable and SO_ERROR is ECONNREFUSED, under the shim exactly
#             as bare
#   served    files/aio_server4.py (asyncio, AF_INET only, on 0.0.0.0) under
#             the shim, and at the same time N clients of
#             files/aio_clients.py (asyncio, each a non-blocking connect:
#             EINPROGRESS, writable, SO_ERROR 0) to 127.0.0.1 under the shim
#             and N bare ones to ::1: every client served; the server saw
#             the IPv4 ones as sockaddr_in 127.0.0.1 and the IPv6 ones as one
#             sockaddr_in from the peer-pool; the shim's clients see a
#             sockaddr_in peer 127.0.0.1
#   bare      the same server bare refuses the ::1 clients (ECONNREFUSED by
#             SO_ERROR), so the test can tell

# shellcheck source-path=SCRIPTDIR source=lib.sh
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/integration/lib.sh"
itest_init "$@"

files=$top_srcdir/tests/integration/files
DEFAULT_POOL=198.18.0.0/15
N=25
SHIM=("$STACKSHIM" --stack ipv6 --)

# start_server NAME COUNT [LAUNCHER-ARGS... --]: aio_server4.py at a free
# port; output in $tmp/NAME.out; sets $port and $server_pid.
start_server()
{
	local name=$1 count=$2 i
	shift 2
	for i in 1 2 3; do
		port=$(free_port "")
		rm -f "$tmp/$name.ready"
		# shellcheck disable=SC2016 # expanded by that sh
		background "" sh -c 'exec "$@" >"$0" 2>&1' "$tmp/$name.out" \
			"$@" "$PYTHON" "$files/aio_server4.py" "$tmp/$name.ready" \
			"$port" "$count"
		server_pid=$bg_pid
		wait_for_file "$tmp/$name.ready" 10 && return 0
		kill "$server_pid" 2>/dev/null
	done
	itest_error "aio_server4.py did not start: $(cat "$tmp/$name.out")"
}

# clients NAME HOST N [LAUNCHER-ARGS... --]: aio_clients.py in the
# background; output in $tmp/NAME.out; sets $clients_pid.
clients()
{
	local name=$1 host=$2 n=$3
	shift 3
	# shellcheck disable=SC2016 # expanded by that sh
	background "" sh -c 'exec "$@" >"$0" 2>&1' "$tmp/$name.out" \
		"$@" "$PYTHON" "$files/aio_clients.py" "$host" "$port" "$n" "$name"
	clients_pid=$bg_pid
}

# wait_pid PID: until PID has ended (bounded by the script's timeout).
wait_pid()
{
	wait "$1" 2>/dev/null
}

# --- a non-blocking connect to a closed port -----------------------------------
closed=$(free_port "")
want=$(printf 'wait=%s connect_ex=EINPROGRESS writable=1 so_error=ECONNREFUSED\n' \
	select poll epoll)
capture "$PYTHON" "$files/nb_connect.py" 127.0.0.1 "$closed"
expect "bare: non-blocking connect to a closed port (select, poll, epoll)" \
	"$want" "$(cat "$tmp/out" "$tmp/err")"
capture "${SHIM[@]}" "$PYTHON" "$files/nb_connect.py" 127.0.0.1 "$closed"
expect "--stack ipv6: non-blocking connect to a closed port (select, poll, epoll)" \
	"$want" "$(cat "$tmp/out" "$tmp/err")"

# --- bare: the AF_INET asyncio server refuses ::1 ----------------------------------
start_server bare 1
clients b6 ::1 1
wait_pid "$clients_pid"
expect_grep "bare asyncio AF_INET server: a ::1 client is refused (SO_ERROR)" \
	'^client=0 connect_ex=EINPROGRESS so_error=ECONNREFUSED$' "$tmp/b6.out"
clients b4 127.0.0.1 1
wait_pid "$clients_pid"
expect_grep "bare asyncio AF_INET server: a 127.0.0.1 client is served" \
	'^ok=1$' "$tmp/b4.out"
wait_pid "$server_pid"

# --- under --stack ipv6: N clients of each family at once ---------------------------
start_server srv $((2 * N)) "${SHIM[@]}"
clients v4 127.0.0.1 "$N" "${SHIM[@]}"
v4_pid=$clients_pid
clients v6 ::1 "$N"
v6_pid=$clients_pid
wait_pid "$v4_pid"
wait_pid "$v6_pid"
wait_pid "$server_pid"

expect_grep "--stack ipv6: $N concurrent AF_INET clients to 127.0.0.1 all served" \
	"^ok=$N\$" "$tmp/v4.out"
expect_grep "--stack ipv6: $N concurrent bare clients to ::1 all served" \
	"^ok=$N\$" "$tmp/v6.out"
expect "--stack ipv6: the asyncio AF_INET server served them all" \
	"served=$((2 * N))" "$(grep '^served=' "$tmp/srv.out")"

# Each shim client: EINPROGRESS, then SO_ERROR 0, a sockaddr_in peer.
good=$(grep -cE "^client=[0-9]+ connect_ex=EINPROGRESS so_error=0 peer=127\.0\.0\.1:$port peerlen=2 reply=v4-[0-9]+_127\.0\.0\.1:[0-9]+\$" \
	"$tmp/v4.out")
expect "--stack ipv6: AF_INET clients: EINPROGRESS, SO_ERROR 0, peer sockaddr_in 127.0.0.1:$port, the server saw 127.0.0.1" \
	"$N" "$good"
[ "$good" -eq "$N" ] || sed 's/^/    v4| /' "$tmp/v4.out" | head -n 10
good=$(grep -cE "^client=[0-9]+ connect_ex=EINPROGRESS so_error=0 peer=::1:$port peerlen=4 reply=v6-[0-9]+_[0-9.]+:[0-9]+\$" \
	"$tmp/v6.out")
expect "--stack ipv6: bare ::1 clients: EINPROGRESS, SO_ERROR 0, answered with an IPv4 peer" \
	"$N" "$good"
[ "$good" -eq "$N" ] || sed 's/^/    v6| /' "$tmp/v6.out" | head -n 10

# The server's view: sockaddr_in for all; the ::1 ones one pool address.
n4=$(grep -cE "^tag=v4-[0-9]+ peer=127\.0\.0\.1:[0-9]+ peerlen=2\$" "$tmp/srv.out")
expect "--stack ipv6: the server saw every IPv4 client as sockaddr_in 127.0.0.1" \
	"$N" "$n4"
pools=$(sed -nE 's/^tag=v6-[0-9]+ peer=([0-9.]+):[0-9]+ peerlen=2$/\1/p' \
	"$tmp/srv.out" | sort | uniq -c | awk '{ print $1, $2 }')
if [ "$(echo "$pools" | wc -l)" -eq 1 ] && [ "${pools%% *}" == "$N" ] &&
	in_cidr "${pools#* }" "$DEFAULT_POOL"; then
	pass "--stack ipv6: the server saw every ::1 client as sockaddr_in ${pools#* } (peer-pool)"
else
	fail "--stack ipv6: the server saw every ::1 client as one sockaddr_in from $DEFAULT_POOL" \
		"expected: $N tag=v6-I peer=POOL:PORT peerlen=2, one POOL" \
		"got (count, address): ${pools:-none}" \
		"$(grep '^tag=v6' "$tmp/srv.out" | head -n 5 | sed 's/^/  | /')"
fi

finish
