#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/integration/nginx.sh - event-loop servers from Debian's packages,
# with their IPv4-only listen configuration, under --stack ipv6.
#
# Issue 4 item 6: "an event-loop server from Debian's packages (redis-server
# or nginx) run under --stack ipv6 with its IPv4-only listen configuration,
# serving concurrent clients over both families".  Clients (curl,
# redis-cli) run bare.
#
#   nginx   `listen PORT;` (0.0.0.0:PORT, IPv4 only; `listen 127.0.0.1:PORT`
#           would be the table's fail-local on an ipv6 stack), a master and
#           one worker (fork), epoll, in the foreground:
#             bare:  curl -4 http://127.0.0.1:PORT/ answers; curl -6
#                    http://[::1]:PORT/ is refused (exit 7)
#             shim:  C clients of each family at once: every body right
#                    (a static file, and /peer, which answers nginx's
#                    $remote_addr), the IPv4 ones seen as 127.0.0.1, the
#                    IPv6 ones as one peer-pool address (one worker: one
#                    pool), and access_log says the same, no IPv6 address
#   redis   `bind 0.0.0.0`: bare, redis-cli -h ::1 is refused; under the
#           shim, redis-cli to 127.0.0.1 and to ::1 both PONG, and
#           CLIENT INFO shows addr=127.0.0.1:... and addr=POOL:...

ITEST_TOOLS="nginx curl redis-server redis-cli"
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/integration/lib.sh"
itest_init "$@"

DEFAULT_POOL=198.18.0.0/15
C=6
SHIM=("$STACKSHIM" --stack ipv6 --)

# --- nginx ----------------------------------------------------------------------
mkdir -p "$tmp/www"
echo "nginx-ok" >"$tmp/www/ok.txt"

# nginx_conf NAME PORT: $tmp/NAME/nginx.conf, everything under $tmp/NAME.
nginx_conf()
{
	local d=$tmp/$1
	mkdir -p "$d"
	cat >"$d/nginx.conf" <<EOF
daemon off;
master_process on;
worker_processes 1;
user root;
pid $d/nginx.pid;
error_log $d/error.log info;
events {
	worker_connections 256;
}
http {
	default_type text/plain;
	log_format peers '\$remote_addr \$request_uri \$status';
	access_log $d/access.log peers;
	client_body_temp_path $d/body;
	proxy_temp_path $d/proxy;
	fastcgi_temp_path $d/fastcgi;
	uwsgi_temp_path $d/uwsgi;
	scgi_temp_path $d/scgi;
	server {
		listen $2;
		root $tmp/www;
		location = /peer {
			return 200 "peer=\$remote_addr\n";
		}
	}
}
EOF
}

# listening_any PORT: a TCP listener on the wildcard at PORT.
# shellcheck disable=SC2317 # run by wait_until
listening_any()
{
	ss -Hltn 2>/dev/null | awk '{ print $4 }' |
		grep -qE "^(0\.0\.0\.0|\*|\[::\]):$1\$"
}

# redis_pong PORT: redis-server at 127.0.0.1:PORT answers PING.
# shellcheck disable=SC2317 # run by wait_until
redis_pong()
{
	timeout "$(limit 2)" redis-cli -h 127.0.0.1 -p "$1" ping 2>/dev/null | grep -qx PONG
}

# start_nginx NAME [LAUNCHER-ARGS... --]: nginx on a free port, in the
# foreground (background job); sets $port and $server_pid.
start_nginx()
{
	local name=$1 i
	shift
	for i in 1 2 3; do
		port=$(free_port "")
		nginx_conf "$name" "$port"
		background "" "$@" nginx -e "$tmp/$name/error.log" \
			-p "$tmp/$name" -c "$tmp/$name/nginx.conf"
		server_pid=$bg_pid
		wait_until "$server_pid" listening_any "$port" && return 0
		kill "$server_pid" 2>/dev/null
		wait "$server_pid" 2>/dev/null
	done
	itest_error "nginx did not start: $(cat "$tmp/$name/error.log")"
}

# stop_nginx: the master quits on SIGQUIT after its workers.
stop_nginx()
{
	kill -QUIT "$server_pid" 2>/dev/null
	wait "$server_pid" 2>/dev/null
}

# fetch OUT URL CURL-ARGS...: curl (bare) in the background; body and exit
# status in OUT and OUT.rc.
fetch()
{
	local out=$1 url=$2
	shift 2
	(curl -q -sS --max-time 10 "$@" -o "$out" "$url" 2>"$out.err"
		echo $? >"$out.rc") &
	jobs_started+=("$!")
}

# wait_jobs: until every job in jobs_started has ended (each is bounded).
wait_jobs()
{
	[ ${#jobs_started[@]} -eq 0 ] || wait "${jobs_started[@]}"
	jobs_started=()
}
jobs_started=()

# bare: IPv4 only.
start_nginx nbare
capture curl -q -sS --max-time 10 "http://127.0.0.1:$port/ok.txt"
expect "bare nginx (listen $port): curl -4 127.0.0.1" "0 nginx-ok" \
	"$status $(cat "$tmp/out")"
capture curl -q -sS --max-time 10 -g "http://[::1]:$port/ok.txt"
expect "bare nginx (listen $port): curl -6 [::1] is refused (exit 7)" \
	"7" "$status"
stop_nginx

# under --stack ipv6: both families, at once.
start_nginx nshim "${SHIM[@]}"
mkdir -p "$tmp/fetch"
for ((i = 0; i < C; i++)); do
	fetch "$tmp/fetch/v4-ok-$i" "http://127.0.0.1:$port/ok.txt?c=$i" -4
	fetch "$tmp/fetch/v6-ok-$i" "http://[::1]:$port/ok.txt?c=$i" -6 -g
	fetch "$tmp/fetch/v4-peer-$i" "http://127.0.0.1:$port/peer?c=$i" -4
	fetch "$tmp/fetch/v6-peer-$i" "http://[::1]:$port/peer?c=$i" -6 -g
done
wait_jobs

for fam in v4 v6; do
	bad=
	for ((i = 0; i < C; i++)); do
		f=$tmp/fetch/$fam-ok-$i
		[ "$(cat "$f.rc" 2>/dev/null) $(cat "$f" 2>/dev/null)" == "0 nginx-ok" ] ||
			bad="$bad $i:rc=$(cat "$f.rc" 2>/dev/null),$(cat "$f" "$f.err" 2>/dev/null | tr '\n' ' ')"
	done
	if [ -z "$bad" ]; then
		pass "--stack ipv6: nginx served ok.txt to $C concurrent $fam clients"
	else
		fail "--stack ipv6: nginx serves ok.txt to $C concurrent $fam clients" \
			"failed:$bad"
	fi
done

# /peer: what nginx took the clients for.
peers4=$(cat "$tmp"/fetch/v4-peer-*[0-9] 2>/dev/null | sort | uniq -c | awk '{ print $1, $2 }')
expect "--stack ipv6: nginx's \$remote_addr of the $C IPv4 clients" \
	"$C peer=127.0.0.1" "$peers4"
peers6=$(cat "$tmp"/fetch/v6-peer-*[0-9] 2>/dev/null | sort | uniq -c | awk '{ print $1, $2 }')
pool6=${peers6#* peer=}
if [ "$(echo "$peers6" | wc -l)" -eq 1 ] && [ "${peers6%% *}" == "$C" ] &&
	in_cidr "$pool6" "$DEFAULT_POOL"; then
	pass "--stack ipv6: nginx's \$remote_addr of the $C IPv6 clients: $pool6 (peer-pool)"
else
	fail "--stack ipv6: nginx's \$remote_addr of the $C IPv6 clients" \
		"expected: $C times one address of $DEFAULT_POOL" \
		"got (count, body): $(echo "$peers6" | tr '\n' ' ')"
fi
stop_nginx

# The access log: every request, by the same addresses, nothing IPv6.
log=$tmp/nshim/access.log
n4=$(grep -cE "^127\.0\.0\.1 /(ok\.txt|peer)\?c=[0-9]+ 200\$" "$log")
expect "--stack ipv6: access_log: the IPv4 requests from 127.0.0.1" \
	"$((2 * C))" "$n4"
n6=$(grep -cE "^${pool6//./\\.} /(ok\.txt|peer)\?c=[0-9]+ 200\$" "$log")
expect "--stack ipv6: access_log: the IPv6 requests from $pool6" \
	"$((2 * C))" "$n6"
n=$(grep -c . "$log")
if [ "$n" -eq $((4 * C)) ] && ! grep -q '^[^ ]*:' "$log"; then
	pass "--stack ipv6: access_log: $n requests, no IPv6 address"
else
	fail "--stack ipv6: access_log: $((4 * C)) requests, no IPv6 address" \
		"got: $n lines" "$(grep '^[^ ]*:' "$log" | head -n 5 | sed 's/^/  | /')"
fi

# --- redis ------------------------------------------------------------------------

# start_redis NAME [LAUNCHER-ARGS... --]: redis-server with `bind 0.0.0.0`.
start_redis()
{
	local name=$1 i
	shift
	mkdir -p "$tmp/$name"
	for i in 1 2 3; do
		port=$(free_port "")
		cat >"$tmp/$name/redis.conf" <<EOF
bind 0.0.0.0
port $port
protected-mode no
daemonize no
save ""
appendonly no
dir $tmp/$name
logfile $tmp/$name/redis.log
EOF
		background "" "$@" redis-server "$tmp/$name/redis.conf"
		server_pid=$bg_pid
		wait_until "$server_pid" redis_pong "$port" && return 0
		kill "$server_pid" 2>/dev/null
		wait "$server_pid" 2>/dev/null
	done
	itest_error "redis-server did not start: $(cat "$tmp/$name/redis.log")"
}

stop_redis()
{
	kill "$server_pid" 2>/dev/null
	wait "$server_pid" 2>/dev/null
}

start_redis rbare
capture redis-cli -h ::1 -p "$port" ping
if grep -qi "refused" "$tmp/out" "$tmp/err"; then
	pass "bare redis-server (bind 0.0.0.0): redis-cli -h ::1 is refused"
else
	fail "bare redis-server (bind 0.0.0.0): redis-cli -h ::1 is refused" \
		"$(show_output)"
fi
stop_redis

start_redis rshim "${SHIM[@]}"
for host in 127.0.0.1 ::1; do
	capture redis-cli -h "$host" -p "$port" client info
	addr=$(tr ' ' '\n' <"$tmp/out" | sed -n 's/^addr=//p')
	addr=${addr%:*}
	case $host in
	::1)
		if in_cidr "$addr" "$DEFAULT_POOL"; then
			pass "--stack ipv6: redis-server: the ::1 client is addr=$addr (peer-pool)"
		else
			fail "--stack ipv6: redis-server: the ::1 client is an address of $DEFAULT_POOL" \
				"got: exit $status, addr=$addr" "$(show_output)"
		fi
		;;
	*)
		expect "--stack ipv6: redis-server: the 127.0.0.1 client" \
			"0 127.0.0.1" "$status $addr"
		;;
	esac
done
# A few of each family at once, each setting and reading its own key.
for ((i = 0; i < C; i++)); do
	for host in 127.0.0.1 ::1; do
		(out=$(timeout "$(limit 10)" redis-cli -h "$host" -p "$port" eval \
			"redis.call('set', KEYS[1], ARGV[1]); return redis.call('get', KEYS[1])" \
			1 "k-$host-$i" "v-$i" 2>&1)
			echo "$host $i $out" >"$tmp/rshim/c-${host//:/_}-$i") &
		jobs_started+=("$!")
	done
done
wait_jobs
got=$(cat "$tmp"/rshim/c-* | grep -cE '^(127\.0\.0\.1|::1) ([0-9]+) v-\2$')
expect "--stack ipv6: redis-server: $C concurrent clients of each family" \
	"$((2 * C))" "$got"
stop_redis

finish
