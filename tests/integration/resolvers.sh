#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/integration/resolvers.sh - real programs through the name
# resolution the shim gives them (SPEC §2, getaddrinfo row; issue 16).
#
#   fallback  a server only on 127.0.0.1:P, localhost resolving to ::1 and
#             127.0.0.1 (and lo.stackshim.test for curl, which resolves
#             localhost itself): under the default policy (stack = dual)
#             curl and python3's socket.create_connection(("localhost", P))
#             connect
#             over IPv4 after ::1 is refused, as on a real dual-stack host;
#             so under --stack ipv6 (localhost with ipv4-loopback); with
#             --fallback no they get ::1 alone and fail cleanly
#   passive   under --stack ipv6, `php -S 0.0.0.0:P` and python3's
#             http.server --bind 0.0.0.0 (php asks without AI_PASSIVE, python
#             with it: the wildcard is a bind address either way) serve
#             a 127.0.0.1 client and a ::1 client, as bare they serve the
#             127.0.0.1 one; getaddrinfo(None, P, AI_PASSIVE) gives 0.0.0.0
#             and ::, getaddrinfo("0.0.0.0", P, AI_PASSIVE) 0.0.0.0, never
#             ::ffff:0.0.0.0

ITEST_TOOLS="curl php"
ITEST_TIMEOUT=200
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/integration/lib.sh"
# curl knows localhost itself (127.0.0.1 and ::1, no getaddrinfo): it is
# given a name of the hosts file with the same two addresses.
ITEST_HOSTS_EXTRA='127.0.0.1	lo.stackshim.test
::1	lo.stackshim.test'
itest_init "$@"

mkdir -p "$tmp/www"
echo "stackshim-ok" >"$tmp/www/ok.txt"

# --- fallback --------------------------------------------------------------------
H=$(free_port "")
# shellcheck disable=SC2016 # expanded by that sh
background "" sh -c 'exec "$@" >/dev/null 2>&1' sh "$PYTHON" -m http.server \
	--bind 127.0.0.1 --directory "$tmp/www" "$H"
wait_for_port 127.0.0.1 "$H" || itest_error "the 127.0.0.1 HTTP server did not start"

connect_py='import socket, sys
s = socket.create_connection(("localhost", int(sys.argv[1])), timeout=5)
print("connected", s.getpeername()[0])'

# fallback_case WHAT WANT LAUNCHER-ARGS...: curl and python3 to localhost:H
# under the launcher (no args: bare); WANT ok (both reach 127.0.0.1) or
# fail (both fail cleanly).
fallback_case()
{
	local what=$1 want=$2 run=()
	shift 2
	[ $# -gt 0 ] && run=("$STACKSHIM" "$@" --)
	capture "${run[@]}" curl -q -sS --max-time 5 \
		"http://lo.stackshim.test:$H/ok.txt"
	if [ "$want" = ok ]; then
		expect "$what: curl http://lo.stackshim.test:$H/" \
			"0 stackshim-ok" "$status $(cat "$tmp/out")"
	else
		expect_clean_failure "$what: curl http://lo.stackshim.test:$H/"
	fi
	capture "${run[@]}" "$PYTHON" -c "$connect_py" "$H"
	if [ "$want" = ok ]; then
		expect "$what: python3 create_connection(localhost)" \
			"0 connected 127.0.0.1" "$status $(cat "$tmp/out")"
	else
		expect_clean_failure "$what: python3 create_connection(localhost)"
	fi
}

fallback_case "bare" ok
fallback_case "default policy (dual)" ok --stack dual
fallback_case "--stack ipv6 (ipv4-loopback)" ok --stack ipv6
fallback_case "--stack ipv6 --mapped no" ok --stack ipv6 --mapped no
fallback_case "--fallback no" fail --stack dual --fallback no
fallback_case "--stack ipv6 --ipv4-loopback no" fail --stack ipv6 --ipv4-loopback no

# --- passive ---------------------------------------------------------------------
gai_py='import socket, sys
host = None if sys.argv[1] == "-" else sys.argv[1]
for fam, _, _, _, addr in socket.getaddrinfo(host, 80, 0, socket.SOCK_STREAM,
                                            0, socket.AI_PASSIVE):
    print(fam.name, addr[0])'
for stack in ipv6 "ipv6 --mapped no" dual; do
	# shellcheck disable=SC2086 # the options are words on purpose
	capture "$STACKSHIM" --stack $stack -- "$PYTHON" -c "$gai_py" -
	expect "--stack $stack: getaddrinfo(None, AI_PASSIVE)" \
		"0 AF_INET 0.0.0.0 AF_INET6 ::" "$status $(tr '\n' ' ' <"$tmp/out" | sed 's/ $//')"
	# shellcheck disable=SC2086
	capture "$STACKSHIM" --stack $stack -- "$PYTHON" -c "$gai_py" 0.0.0.0
	expect "--stack $stack: getaddrinfo(0.0.0.0, AI_PASSIVE)" \
		"0 AF_INET 0.0.0.0" "$status $(tr '\n' ' ' <"$tmp/out" | sed 's/ $//')"
done

# serve_case WHAT PORT WANT6 CMD...: CMD (a server on 0.0.0.0:PORT) in the
# background; a bare curl over 127.0.0.1 must get the page, one over ::1
# must get it (WANT6 ok) or be refused (refused).
serve_case()
{
	local what=$1 port=$2 want6=$3 pid
	shift 3
	# shellcheck disable=SC2016 # expanded by that sh
	background "" sh -c 'exec "$@" >/dev/null 2>&1' sh "$@"
	pid=$bg_pid
	# Listening once a 127.0.0.1 client gets an answer.
	if ! wait_until "$pid" curl -q -s -o /dev/null --max-time 1 \
		"http://127.0.0.1:$port/ok.txt"; then
		fail "$what: nothing answers on 127.0.0.1:$port"
		kill "$pid" 2>/dev/null
		return
	fi
	capture curl -q -sS --max-time 5 "http://127.0.0.1:$port/ok.txt"
	expect "$what: a 127.0.0.1 client" "0 stackshim-ok" \
		"$status $(cat "$tmp/out")"
	capture curl -q -sS --max-time 5 -g "http://[::1]:$port/ok.txt"
	if [ "$want6" = ok ]; then
		expect "$what: a ::1 client" "0 stackshim-ok" \
			"$status $(cat "$tmp/out")"
	else
		expect "$what: a ::1 client is refused (curl exit 7)" 7 "$status"
	fi
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
}

P=$(free_port "")
# php -n: no php.ini, so no extension is loaded; opcache's RTLD_DEEPBIND
# dlopen() is refused by the sanitizer runtime of a sanitizer build.
serve_case "bare php -S 0.0.0.0:$P" "$P" refused \
	php -n -S "0.0.0.0:$P" -t "$tmp/www"
P=$(free_port "")
serve_case "--stack ipv6: php -S 0.0.0.0:$P" "$P" ok \
	"$STACKSHIM" --stack ipv6 -- php -n -S "0.0.0.0:$P" -t "$tmp/www"
P=$(free_port "")
serve_case "--stack ipv6: python3 http.server --bind 0.0.0.0 $P" "$P" ok \
	"$STACKSHIM" --stack ipv6 -- "$PYTHON" -m http.server --bind 0.0.0.0 \
	--directory "$tmp/www" "$P"

finish
