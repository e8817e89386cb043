#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/integration/programs.sh - everyday programs under each stack.
#
# In a private network namespace: two `python3 -m http.server`s sharing one
# port H, one bound to 127.0.0.1 and one to ::1 (each one's log says which
# client address it saw), and listen.py (lib.sh) on 127.0.0.1:T and [::1]:T
# for raw TCP clients.  curl and wget fetch over HTTP; python3 (client.py:
# getaddrinfo + connect), socat and nc.openbsd talk raw TCP.  Each program
# runs under --stack ipv4, dual, ipv6 and ipv6 with --mapped no, to the
# literals 127.0.0.1 and ::1 (and, for curl and python3, to the name
# both.stackshim.test: 127.0.0.1 and ::1), and must give SPEC §1's answer:
#
#   policy           127.0.0.1            ::1            both.stackshim.test
#   ipv4             ipv4                 fails          ipv4
#   dual             ipv4                 ipv6           ipv6 (prefer)
#   ipv6             map                  ipv6           ipv6
#   ipv6, mapped=no  ipv4 (loopback)      ipv6           ipv6
#
#   ipv4  the 127.0.0.1 server got the request and saw the client as
#         127.0.0.1; the program's connect() reached the kernel (strace) as
#         AF_INET 127.0.0.1
#   ipv6  the ::1 server, client ::1; the kernel saw AF_INET6 ::1
#   map   the 127.0.0.1 server, client 127.0.0.1; the kernel saw AF_INET6
#         ::ffff:127.0.0.1 (whatever the program itself asked for)
#   fails a non-zero exit of the program's own (no signal, no timeout), and
#         no request at either server

ITEST_TOOLS="curl wget socat nc.openbsd strace"
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/integration/lib.sh"
ITEST_HOSTS_EXTRA='127.0.0.1	both.stackshim.test
::1	both.stackshim.test'
itest_init "$@"

write_programs
mkdir -p "$tmp/www"
echo "stackshim-ok" >"$tmp/www/ok.txt"

# The HTTP servers: one port for both, found free in this namespace.
for _ in 1 2 3 4 5; do
	H=$(free_port "")
	: >"$tmp/http4.log"
	: >"$tmp/http6.log"
	# Each server's log (its stderr) is where it says whom it served.
	# shellcheck disable=SC2016 # expanded by that sh
	background "" sh -c 'exec "$0" -m http.server --bind 127.0.0.1 --directory "$1" "$2" >/dev/null 2>"$3"' \
		"$PYTHON" "$tmp/www" "$H" "$tmp/http4.log"
	http4_pid=$bg_pid
	# shellcheck disable=SC2016
	background "" sh -c 'exec "$0" -m http.server --bind ::1 --directory "$1" "$2" >/dev/null 2>"$3"' \
		"$PYTHON" "$tmp/www" "$H" "$tmp/http6.log"
	http6_pid=$bg_pid
	if wait_for_port 127.0.0.1 "$H" && wait_for_port ::1 "$H"; then
		break
	fi
	kill "$http4_pid" "$http6_pid" 2>/dev/null
	H=
done
[ -n "$H" ] || itest_error "the HTTP servers did not start"
start_listener tcp "" 127.0.0.1 ::1
T=$listen_port
echo "HTTP: 127.0.0.1:$H [::1]:$H; TCP: 127.0.0.1:$T [::1]:$T"

seq=0
# url HOST PORT TAG
url()
{
	case $1 in
	*:*) echo "http://[$1]:$2/ok.txt?tag=$3" ;;
	*) echo "http://$1:$2/ok.txt?tag=$3" ;;
	esac
}

# run_tool TOOL HOST POLICY-OPTION...: TOOL to HOST under the launcher, under
# strace -f -e trace=connect ($tmp/strace); sets $tag and $status, output in
# $tmp/out and $tmp/err.
run_tool()
{
	local tool=$1 host=$2 target
	shift 2
	set -- strace -f -qq -yy -e trace=connect -o "$tmp/strace" "$STACKSHIM" "$@"
	seq=$((seq + 1))
	tag=p$seq
	capture_in=
	case $host in *:*) target="[$host]" ;; *) target=$host ;; esac
	case $tool in
	curl)
		capture "$@" -- curl -q -sS --max-time 5 \
			"$(url "$host" "$H" "$tag")" ;;
	wget)
		capture "$@" -- wget --no-config -q -O - -T 5 -t 1 \
			"$(url "$host" "$H" "$tag")" ;;
	python3)
		capture "$@" -- "$PYTHON" "$tmp/client.py" gai \
			"$host" "$T" "$tag" ;;
	socat)
		printf '%s\n' "$tag" >"$tmp/in"
		capture_in=$tmp/in
		capture "$@" -- socat -T 5 -t 2 - \
			"TCP:$target:$T" ;;
	nc.openbsd)
		printf '%s\n' "$tag" >"$tmp/in"
		capture_in=$tmp/in
		capture "$@" -- nc.openbsd -N -w 5 "$host" "$T" ;;
	esac
	capture_in=
}

# seen TOOL: "SERVER PEER" for the request that carried $tag: SERVER is
# ipv4 or ipv6 (which server got it), PEER the client address it saw;
# empty when no server got it; "several" when more than one did.
seen()
{
	local hits=() l
	case $1 in
	curl | wget)
		l=$(grep -F -e "tag=$tag " "$tmp/http4.log" | head -n 1)
		[ -n "$l" ] && hits+=("ipv4 ${l%% *}")
		l=$(grep -F -e "tag=$tag " "$tmp/http6.log" | head -n 1)
		[ -n "$l" ] && hits+=("ipv6 ${l%% *}")
		;;
	*)
		l=$(server_saw tcp "$tag")
		case $l in
		listener=127.0.0.1\ *) hits+=("ipv4 $(field peer "$l")") ;;
		listener=::1\ *) hits+=("ipv6 $(field peer "$l")") ;;
		esac
		;;
	esac
	if [ ${#hits[@]} -gt 1 ]; then
		echo several
	else
		echo "${hits[*]}"
	fi
}

# kernel_connects PORT: the distinct FAMILY/ADDRESS pairs of the connect()
# calls to PORT in $tmp/strace, comma-separated.
kernel_connects()
{
	sed -nE 's/.*connect\([0-9]+<TCP[^>]*>, \{sa_family=(AF_INET6?), sin6?_port=htons\('"$1"'\),.*"([^"]+)".*/\1\/\2/p' \
		"$tmp/strace" | sort -u | paste -sd, -
}

# check TOOL HOST WANT POLICY-OPTION...: WANT is ipv4, ipv6, map or fail
# (see the top of this file).
check()
{
	local tool=$1 host=$2 want=$3 got what port=$T server peer kernel
	shift 3
	what="stackshim $* -- $tool $host"
	case $tool in curl | wget) port=$H ;; esac
	run_tool "$tool" "$host" "$@"
	got=$(seen "$tool")
	case $want in
	ipv4) server=ipv4 peer=127.0.0.1 kernel=AF_INET/127.0.0.1 ;;
	ipv6) server=ipv6 peer=::1 kernel=AF_INET6/::1 ;;
	map) server=ipv4 peer=127.0.0.1 kernel=AF_INET6/::ffff:127.0.0.1 ;;
	esac
	case $want in
	fail)
		if [ "$status" -ne 0 ] && [ "$status" -lt 124 ] && [ -z "$got" ]; then
			pass "$what: fails cleanly (exit $status)"
		else
			fail "$what" \
				"expected: a clean failure (exit 1..123), no request at any server" \
				"got:      exit $status$(status_note "$status"), server/peer: '${got:-none}'" \
				"$(show_output | head -n 10)"
		fi
		;;
	*)
		local kgot
		kgot=$(kernel_connects "$port")
		if [ "$status" -eq 0 ] && [ "$got" == "$server $peer" ] &&
			[ "$kgot" == "$kernel" ]; then
			pass "$what: $want (the $server server saw $peer; connect $kernel)"
		else
			fail "$what" \
				"expected: exit 0, the $server server saw $peer, the kernel saw connect $kernel ($want)" \
				"got:      exit $status$(status_note "$status"), server/peer '${got:-none}', connect '${kgot:-none}'" \
				"$(show_output | head -n 10)"
		fi
		;;
	esac
}

# --- the harness: both servers answer without the shim ---------------------------
for host in 127.0.0.1 ::1; do
	seq=$((seq + 1))
	tag=p$seq
	capture curl -q -sS --max-time 5 "$(url "$host" "$H" "$tag")"
	want=ipv4
	[ "$host" = ::1 ] && want=ipv6
	expect "curl $host without the shim" "0 stackshim-ok $want $host" \
		"$status $(cat "$tmp/out") $(seen curl)"
done

# --- the matrix --------------------------------------------------------------------
#        policy (launcher options)       127.0.0.1 ::1  both.stackshim.test
matrix='
--stack=ipv4                             ipv4      fail  ipv4
--stack=dual                             ipv4      ipv6  ipv6
--stack=ipv6                             map       ipv6  ipv6
--stack=ipv6,--mapped=no                 ipv4      ipv6  ipv6
'
while read -r policy w4 w6 wboth; do
	[ -n "$policy" ] || continue
	IFS=, read -r -a opts <<<"$policy"
	for tool in curl wget python3 socat nc.openbsd; do
		check "$tool" 127.0.0.1 "$w4" "${opts[@]}"
		check "$tool" ::1 "$w6" "${opts[@]}"
	done
	# socat and nc pick among a name's addresses by rules of their own;
	# curl and python3 take getaddrinfo's order.
	for tool in curl python3; do
		check "$tool" both.stackshim.test "$wboth" "${opts[@]}"
	done
done <<<"$matrix"

# The body arrives intact through a mapped connection.
capture "$STACKSHIM" --stack ipv6 -- curl -q -sS --max-time 5 \
	"http://127.0.0.1:$H/ok.txt"
expect "stackshim --stack ipv6 -- curl http://127.0.0.1: the body" \
	"0 stackshim-ok" "$status $(cat "$tmp/out")"

finish
