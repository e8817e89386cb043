#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/integration/duallisten.sh - servers that listen on both 0.0.0.0:P
# and [::]:P, under --stack ipv6 (issue 16, deliver 4).
#
# An upgraded 0.0.0.0:P is [::]:P dual-stack for a legacy server; a server
# that opens [::]:P itself must get it, and its 0.0.0.0:P must take IPv4
# only, as bare (shim/dual.c, shim/narrow.c).  Clients run bare.
#
#   nginx    `listen P; listen [::]:P;` (Debian's default), and the reverse
#            order: starts; curl over 127.0.0.1 and ::1 both served; the
#            access log says 127.0.0.1 and ::1 (the IPv6 client reached
#            nginx's own IPv6 socket, not the peer-pool); the listener's
#            backlog kept (ss Send-Q); a second nginx on P fails as a bare
#            second nginx does (exit status, "Address already in use")
#   python   a server binding 0.0.0.0:P and [::]:P (IPV6_V6ONLY) with
#            SO_REUSEADDR in each order, TCP bound all before listening
#            (asyncio's way) and UDP: each client reaches the socket of its
#            own family; a legacy AF_INET-only 0.0.0.0:P server still takes
#            a ::1 client, seen from the peer-pool
#   keep     the AF_INET listener that gives [::]:P back keeps its fd,
#            options, O_NONBLOCK, inheritability and 0.0.0.0:P, as bare
#   errno    binds of 0.0.0.0:P and [::]:P (IPV6_V6ONLY on and off) in
#            this process, beside another process's listener or none:
#            every result and getsockname() as bare (EADDRINUSE where bare
#            says so: a second instance, a dual-stack [::]:P)

ITEST_TOOLS="nginx curl ss"
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/integration/lib.sh"
itest_init "$@"

DEFAULT_POOL=198.18.0.0/15
declare -A got
SHIM=("$STACKSHIM" --stack ipv6 --)
mkdir -p "$tmp/www"
echo "nginx-ok" >"$tmp/www/ok.txt"

# nginx_conf NAME PORT LISTEN...: $tmp/NAME/nginx.conf with one `listen`
# line per LISTEN (PORT or [::]:PORT), everything under $tmp/NAME.
nginx_conf()
{
	local d=$tmp/$1 port=$2 l listens=
	shift 2
	for l in "$@"; do
		listens="$listens		listen ${l//PORT/$port} backlog=77;
"
	done
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
	log_format peers '\$remote_addr \$server_addr \$request_uri \$status';
	access_log $d/access.log peers;
	client_body_temp_path $d/body;
	proxy_temp_path $d/proxy;
	fastcgi_temp_path $d/fastcgi;
	uwsgi_temp_path $d/uwsgi;
	scgi_temp_path $d/scgi;
	server {
$listens		root $tmp/www;
	}
}
EOF
}

# listening ADDR:PORT: ss shows a TCP listener there.
# shellcheck disable=SC2317 # run by wait_until
listening()
{
	ss -Hltn 2>/dev/null | awk '{ print $4 }' | grep -qxF -e "$1"
}

# start_nginx NAME PORT LAUNCHER... @@ LISTEN...: nginx in the foreground
# (background job); sets $server_pid.  Returns 1 when it did not listen on
# [::]:PORT.
start_nginx()
{
	local name=$1 port=$2 launcher=()
	shift 2
	while [ "$1" != "@@" ]; do
		launcher+=("$1")
		shift
	done
	shift
	nginx_conf "$name" "$port" "$@"
	background "" "${launcher[@]}" nginx -e "$tmp/$name/error.log" \
		-p "$tmp/$name" -c "$tmp/$name/nginx.conf"
	server_pid=$bg_pid
	wait_until "$server_pid" listening "[::]:$port"
}

stop_nginx()
{
	kill -QUIT "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}

# second_nginx NAME PORT LAUNCHER... @@ LISTEN...: a second nginx on PORT,
# run to its end; "exit STATUS: MESSAGE" of its emerg line in $second.
second_nginx()
{
	local name=$1 port=$2 launcher=()
	shift 2
	while [ "$1" != "@@" ]; do
		launcher+=("$1")
		shift
	done
	shift
	nginx_conf "$name" "$port" "$@"
	capture "${launcher[@]}" nginx -e "$tmp/$name/error.log" \
		-p "$tmp/$name" -c "$tmp/$name/nginx.conf"
	second="exit $status: $(grep -o 'bind() to [^ ]* failed ([0-9]*: [A-Za-z ]*)' \
		"$tmp/$name/error.log" | head -n 1 | sed 's/to [^ ]* //')"
}

# check_both NAME PORT WHAT: curl over 127.0.0.1 and ::1; the access log
# names each client by its own address.
check_both()
{
	local name=$1 port=$2 what=$3 host
	for host in 127.0.0.1 '[::1]'; do
		capture curl -q -sS --max-time 10 -g "http://$host:$port/ok.txt"
		expect "$what: curl $host:$port" "0 nginx-ok" \
			"$status $(cat "$tmp/out")"
	done
	expect_grep "$what: access_log: the IPv4 client as 127.0.0.1" \
		'^127\.0\.0\.1 127\.0\.0\.1 /ok\.txt 200$' "$tmp/$name/access.log"
	expect_grep "$what: access_log: the IPv6 client as ::1, on nginx's IPv6 socket" \
		'^::1 ::1 /ok\.txt 200$' "$tmp/$name/access.log"
	backlogs=$(ss -Hltn "sport = :$port" | awk '{ print $4, $3 }' | sort | tr '\n' ' ')
	# The IPv4 one is an AF_INET6 socket at ::ffff:0.0.0.0, IPv4 only.
	expect "$what: both listeners' backlog kept (ss: address, Send-Q)" \
		"[::]:$port 77 [::ffff:0.0.0.0]:$port 77 " "$backlogs"
}

for order in v4first v6first; do
	if [ $order = v4first ]; then
		listens=(PORT '[::]:PORT')
	else
		listens=('[::]:PORT' PORT)
	fi
	what="--stack ipv6: nginx listen ${listens[*]//PORT/P}"
	port=$(free_port "")
	# The reference: a bare nginx with the same config, and a second one.
	if ! start_nginx bare-$order "$port" @@ "${listens[@]}"; then
		itest_error "bare nginx did not start: $(cat "$tmp/bare-$order/error.log")"
	fi
	second_nginx bare2-$order "$port" @@ "${listens[@]}"
	bare_second=$second
	stop_nginx "$server_pid"
	if start_nginx shim-$order "$port" "${SHIM[@]}" @@ "${listens[@]}"; then
		pass "$what: starts"
		check_both shim-$order "$port" "$what"
		second_nginx shim2-$order "$port" "${SHIM[@]}" @@ "${listens[@]}"
		expect "$what: a second nginx on P fails as bare ($bare_second)" \
			"$bare_second" "$second"
		stop_nginx "$server_pid"
	else
		fail "$what: starts" "$(sed 's/^/  | /' "$tmp/shim-$order/error.log" | tail -n 5)"
		stop_nginx "$server_pid"
	fi
done

# --- python ------------------------------------------------------------------------
# both.py PORT ORDER TYPE: binds 0.0.0.0:PORT and [::]:PORT (IPV6_V6ONLY=1),
# SO_REUSEADDR on both, in ORDER (v4first|v6first), TCP listening only once
# both are bound; then, for a 127.0.0.1 and a ::1 client (made by itself,
# through the same library), prints "CLIENT -> LISTENER" for the socket that
# took it.
cat >"$tmp/both.py" <<'EOF'
import select, socket, sys
port, order, kind = int(sys.argv[1]), sys.argv[2], sys.argv[3]
typ = socket.SOCK_STREAM if kind == "tcp" else socket.SOCK_DGRAM
fams = [(socket.AF_INET, "0.0.0.0"), (socket.AF_INET6, "::")]
if order == "v6first":
    fams.reverse()
socks = {}
for fam, addr in fams:
    s = socket.socket(fam, typ)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if fam == socket.AF_INET6:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    s.bind((addr, port))
    socks[s] = addr
if typ == socket.SOCK_STREAM:
    for s in socks:
        s.listen(8)
for client in ("127.0.0.1", "::1"):
    fam = socket.AF_INET6 if ":" in client else socket.AF_INET
    c = socket.socket(fam, typ)
    if typ == socket.SOCK_STREAM:
        c.connect((client, port))
    else:
        c.sendto(b"x", (client, port))
    r, _, _ = select.select(list(socks), [], [], 5)
    for s in r:
        if typ == socket.SOCK_STREAM:
            s.accept()
        else:
            s.recvfrom(16)
        print(client, "->", socks[s])
    if not r:
        print(client, "-> nothing")
EOF
for kind in tcp udp; do
	for order in v4first v6first; do
		port=$(free_port "")
		capture "${SHIM[@]}" "$PYTHON" "$tmp/both.py" "$port" $order $kind
		expect "--stack ipv6: python $kind 0.0.0.0:P and [::]:P ($order): each client on its own family's socket" \
			"127.0.0.1 -> 0.0.0.0|::1 -> ::" "$(tr '\n' '|' <"$tmp/out" | sed 's/|$//')$(cat "$tmp/err")"
	done
done

# The legacy server: AF_INET 0.0.0.0:P alone still takes IPv6 clients.
cat >"$tmp/legacy.py" <<'EOF'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", int(sys.argv[1])))
s.listen(8)
c = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
c.connect(("::1", int(sys.argv[1])))
n, peer = s.accept()
print(peer[0], n.family == socket.AF_INET)
EOF
port=$(free_port "")
capture "${SHIM[@]}" "$PYTHON" "$tmp/legacy.py" "$port"
read -r peer isv4 <"$tmp/out"
if [ "$isv4" == True ] && in_cidr "$peer" "$DEFAULT_POOL"; then
	pass "--stack ipv6: legacy AF_INET 0.0.0.0:P server takes a ::1 client as $peer (peer-pool)"
else
	fail "--stack ipv6: legacy AF_INET 0.0.0.0:P server takes a ::1 client from the peer-pool" \
		"$(show_output)"
fi

# --- what narrowing keeps -------------------------------------------------------------
# keep.py PORT: an AF_INET listener on 0.0.0.0:PORT with options set, non-
# blocking and inheritable, then its own IPv6 [::]:PORT: the AF_INET one's
# descriptor, options, flags, backlog and address after, one per line;
# then the same with a blocking, close-on-exec listener bound to port 0.
cat >"$tmp/keep.py" <<'EOF'
import fcntl, os, socket, struct, sys
port = int(sys.argv[1])
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
fd = s.fileno()
opts = [(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1),
        (socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1),
        (socket.SOL_SOCKET, socket.SO_RCVBUF, 65536),
        (socket.IPPROTO_TCP, socket.TCP_NODELAY, 1),
        (socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 77),
        (socket.IPPROTO_IP, socket.IP_TOS, 0x20)]
for level, name, value in opts:
    s.setsockopt(level, name, value)
s.setblocking(False)
os.set_inheritable(fd, True)
s.bind(("0.0.0.0", port))
s.listen(33)
before = [s.getsockopt(l, n) for l, n, _ in opts]
six = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
six.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
six.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
six.bind(("::", port))
six.listen(8)
after = [s.getsockopt(l, n) for l, n, _ in opts]
print("fd", s.fileno() == fd)
print("options", before == after, after)
print("nonblocking", fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_NONBLOCK != 0)
print("inheritable", os.get_inheritable(fd))
print("listening", s.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN))
print("name", s.getsockname()[0], s.getsockname()[1] == port)
c = socket.create_connection(("127.0.0.1", port))
import select
select.select([s], [], [], 5)
n, peer = s.accept()
print("accepted", peer[0])
# A second pair at the port the kernel picks for the AF_INET one (bound to
# port 0), left close-on-exec.
t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
t.bind(("0.0.0.0", 0))
t.listen(5)
t6 = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
t6.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
t6.bind(("::", t.getsockname()[1]))
print("close-on-exec kept", not os.get_inheritable(t.fileno()),
      fcntl.fcntl(t.fileno(), fcntl.F_GETFL) & os.O_NONBLOCK == 0)
EOF
port=$(free_port "")
capture "$PYTHON" "$tmp/keep.py" "$port"
bare_keep=$(cat "$tmp/out" "$tmp/err")
port=$(free_port "")
capture "${SHIM[@]}" "$PYTHON" "$tmp/keep.py" "$port"
expect "--stack ipv6: the narrowed AF_INET listener keeps its fd, options, O_NONBLOCK, inheritability, listening, 0.0.0.0:P, as bare" \
	"$bare_keep" "$(cat "$tmp/out" "$tmp/err")"

# --- errno parity --------------------------------------------------------------------
# steps.py PORT STEP...: each STEP is FAMILY:V6ONLY (4:-, 6:1, 6:0) for a
# TCP socket with SO_REUSEADDR bound to the wildcard at PORT and listening;
# prints each step's result (ok or the errno name) and, last, the first
# socket's address as getsockname() gives it.  Run bare and under the shim,
# beside a bare holder of the port (hold.py FAMILY:V6ONLY PORT) or none.
cat >"$tmp/steps.py" <<'EOF'
import errno, socket, sys
port, out, socks = int(sys.argv[1]), [], []
for step in sys.argv[2:]:
    fam, v6only = step.split(":")
    s = socket.socket(socket.AF_INET6 if fam == "6" else socket.AF_INET)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if fam == "6":
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, int(v6only))
    try:
        s.bind(("::" if fam == "6" else "0.0.0.0", port))
        s.listen(4)
        out.append("ok")
        socks.append(s)
    except OSError as e:
        out.append(errno.errorcode[e.errno])
print(" ".join(out), socks[0].getsockname()[:2] if socks else "-")
EOF
cat >"$tmp/hold.py" <<'EOF'
import socket, sys, time
fam, v6only = sys.argv[1].split(":")
s = socket.socket(socket.AF_INET6 if fam == "6" else socket.AF_INET)
if fam == "6":
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, int(v6only))
s.bind(("::" if fam == "6" else "0.0.0.0", int(sys.argv[2])))
s.listen(4)
open(sys.argv[3], "w").write("ready\n")
time.sleep(60)
EOF
# HOLDER|STEPS: another process's listener (- for none), this one's binds.
for row in "-|4:- 6:1" "-|6:1 4:-" "-|4:- 4:-" "-|4:- 6:0" "-|6:0 4:-" \
	"4:-|4:-" "6:1|4:-" "6:0|4:-" "4:-|6:1" "6:1|6:1 4:-"; do
	holder=${row%%|*}
	read -r -a steps <<<"${row#*|}"
	for mode in bare shim; do
		port=$(free_port "")
		hold_pid=
		if [ "$holder" != - ]; then
			rm -f "$tmp/hold.ready"
			background "" "$PYTHON" "$tmp/hold.py" "$holder" "$port" \
				"$tmp/hold.ready"
			hold_pid=$bg_pid
			wait_for_file "$tmp/hold.ready" 10 ||
				itest_error "hold.py $holder did not start"
		fi
		if [ "$mode" = bare ]; then
			capture "$PYTHON" "$tmp/steps.py" "$port" "${steps[@]}"
		else
			capture "${SHIM[@]}" "$PYTHON" "$tmp/steps.py" "$port" \
				"${steps[@]}"
		fi
		got[$mode]="$(sed "s/$port/P/g" "$tmp/out")$(cat "$tmp/err")"
		if [ -n "$hold_pid" ]; then
			kill "$hold_pid" 2>/dev/null
			wait "$hold_pid" 2>/dev/null
		fi
	done
	[ "$holder" = - ] && holder=nothing
	expect "--stack ipv6: held by $holder, binds ${steps[*]}: as bare (${got[bare]})" \
		"${got[bare]}" "${got[shim]}"
done

finish
