#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/integration/dns64.sh - names behind DNS64, AI_ADDRCONFIG through
# NAT64, and translate-prefix = auto found lazily (issue 18, items 1, 3, 4).
#
# The topology of nat64.sh (files/rules_lib.sh nat64_topology,
# files/dns64_lib.sh): this namespace the IPv6-only client, tayga and
# unbound's dns64 module in $NAT, the IPv4-only server in $V4.  N is an
# A-only name (A record S); the DNS64 synthesizes its AAAA P::S.  For the
# well-known 64:ff9b::/96 (S = 11.0.0.2, a global address) and a /64
# (S = 192.0.2.2), each under --stack ipv6 with translate-prefix P by hand
# and auto:
#   E1  getaddrinfo(N, AF_INET) is exactly [S], no peer-pool stand-in,
#       with and without AI_ADDRCONFIG
#   E2  getaddrinfo(N, AF_INET6) is exactly [P::S], with and without it
#   E3  getaddrinfo(N, AF_UNSPEC) is [P::S], once, with and without it
#   E4  gethostbyname(N) (python, perl) is S; gethostbyname2(N, AF_INET6)
#       is P::S
#   E5  an AF_INET TCP socket connected to (N, port) gets through the
#       NAT64 and getpeername() says (S, port); an AF_INET UDP socket's
#       recvfrom() source is (S, port)
#   E6  dual-stack clients reach the server by name: node net.connect
#       (AI_ADDRCONFIG), curl, telnet, python create_connection; and the
#       legacy perl IO::Socket::INET (name), nc.traditional (literal, TCP
#       and UDP)
# Then, with auto:
#   E7  discovery is lazy: true, sh -c :, python3 with only an AF_UNIX
#       socket, and (item 1) one with only an AF_INET socket or connecting
#       to ::1 log no call=discover line and ask unbound nothing; a client
#       connecting to an IPv4 literal logs one, before its connect line;
#       8 threads connecting at once log one and all connect
#   E8  127.0.0.1 and ::ffff:127.0.0.1 stay on loopback
#   a resolver that is no DNS64: the literal is fail-host (ENETUNREACH
#       at connect, README "translate-prefix"), one discover line says none
#       was found, getaddrinfo(N, AF_INET) is fail-host too (EAI_NONAME); no
#       resolver at all: the same, and loopback still works
# Each expectation is one expect_* line: change the words there.
#
# Network safety: every address named is inside these namespaces; names
# come only from unbound's two zones, which refuses every other name and
# has no route out.

ITEST_TOOLS="tayga unbound perl curl node telnet nc.traditional"
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/integration/lib.sh"
itest_init "$@"

files=$top_srcdir/tests/integration/files
# shellcheck source=files/rules_lib.sh
. "$files/rules_lib.sh"
# shellcheck source=files/dns64_lib.sh
. "$files/dns64_lib.sh"
nat64_scene

# run_probe CONF STEP...: dns64_probe.py (STEP: KIND HOST PORT); its lines
# in $tmp/out.
run_probe()
{
	launch "$1"
	shift
	seq=$((seq + 1))
	tag=d$seq
	capture "${launcher[@]}" "$PYTHON" "$files/dns64_probe.py" \
		--tag "$tag" "$@"
}

# expect_srv_pool WHAT N: step N's server saw a peer in tayga's pool.
expect_srv_pool()
{
	local peer
	peer=$(grep -E -e "^step=$2 " "$tmp/out" | grep -o 'srv_peer=[^ ]*')
	peer=${peer#srv_peer=}
	if in_cidr "${peer:-none}" 198.51.100.128/25; then
		pass "$1: the server saw a NAT64 pool address ($peer)"
	else
		fail "$1: the server's peer" \
			"expected: an address in tayga's pool 198.51.100.128/25" \
			"got:      '${peer:-none}'"
	fi
}

# expect_served WHAT LINE: the v4 server got LINE (a log line ending in
# line=LINE).
expect_served()
{
	if awk -v w=" line=$2" 'substr($0, length($0) - length(w) + 1) == w {
		found = 1 } END { exit !found }' "$tmp/v4srv.log"; then
		pass "$1: the server got '$2'"
	else
		fail "$1" "expected the server to get: $2" \
			"got:      $(tail -n 3 "$tmp/v4srv.log")" \
			"$(show_output | head -n 8)"
	fi
}

# expect_discovers WHAT COUNT FILE: FILE has COUNT call=discover lines.
expect_discovers()
{
	expect "$1" "$2" "$(grep -c 'call=discover' "$3")"
}

# check_names WHAT CONF LOG [DISCOVERS]: E1 to E6 for $NAME, $S, $A; the
# probe's run logs DISCOVERS call=discover lines (auto: 1) when given.
check_names()
{
	local what=$1 c=$2 log=$3 discovers=${4:-}
	: >"$log"
	TRACE=1 run_probe "$c" gai4 "$NAME" "$N" gai4a "$NAME" "$N" \
		gai6 "$NAME" "$N" gai6a "$NAME" "$N" gai "$NAME" "$N" \
		gaia "$NAME" "$N" ghbn "$NAME" 0 ghbn6 "$NAME" 0 \
		tcp4 "$NAME" "$N" udp4 "$NAME" "$N" create "$NAME" "$N"
	expect_step "$what: E1 getaddrinfo($NAME, AF_INET) is $S" 1 \
		result=ok "addrs=$S"
	expect_step "$what: E1 getaddrinfo($NAME, AF_INET, AI_ADDRCONFIG) is $S" \
		2 result=ok "addrs=$S"
	expect_step "$what: E2 getaddrinfo($NAME, AF_INET6) is $A" 3 \
		result=ok "addrs=$A"
	expect_step "$what: E2 getaddrinfo($NAME, AF_INET6, AI_ADDRCONFIG) is $A" \
		4 result=ok "addrs=$A"
	expect_step "$what: E3 getaddrinfo($NAME, AF_UNSPEC) is $A, once" 5 \
		result=ok "addrs=$A"
	expect_step "$what: E3 getaddrinfo($NAME, AF_UNSPEC, AI_ADDRCONFIG) is $A, once" \
		6 result=ok "addrs=$A"
	expect_step "$what: E4 python gethostbyname_ex($NAME) is $S" 7 \
		result=ok "addrs=$S"
	expect_step "$what: E4 gethostbyname2($NAME, AF_INET6) is $A" 8 \
		result=ok "addrs=$A"
	expect_step "$what: E5 python AF_INET TCP to ($NAME, $N): peer ($S, $N)" \
		9 result=connected family=inet "peer=$S" "peerport=$N" peerlen=2
	expect_srv_pool "$what: E5 python AF_INET TCP" 9
	expect_step "$what: E5 python AF_INET UDP to ($NAME, $N): answer from ($S, $N)" \
		10 result=connected family=inet "peer=$S" "peerport=$N"
	expect_step "$what: E6 python create_connection(($NAME, $N))" 11 \
		result=connected
	expect "$what: the kernel connected to $A only" "AF_INET6/$A" \
		"$(kernel_connects "$N")"
	[ -n "$discovers" ] && expect_discovers "$what: one discover line" \
		"$discovers" "$log"

	launch "$c"
	capture "${launcher[@]}" perl -MSocket -e '
		my @h = gethostbyname($ARGV[0]) or die "gethostbyname: $?\n";
		print join(",", map { inet_ntoa($_) } @h[4 .. $#h]), "\n";' \
		"$NAME"
	expect "$what: E4 perl gethostbyname($NAME)" "$S" "$(cat "$tmp/out")"

	seq=$((seq + 1))
	capture "${launcher[@]}" node -e '
		const s = require("net").connect({host: process.argv[1],
			port: +process.argv[2]}, () => s.write(process.argv[3] + "\n"));
		s.setTimeout(10000, () => { console.log("timeout"); process.exit(1); });
		s.on("data", (d) => { process.stdout.write(d); s.end(); });
		s.on("error", (e) => { console.log("error=" + e.code); process.exit(1); });' \
		"$NAME" "$N" "node-$seq"
	expect_status "$what: E6 node net.connect($NAME)" 0
	expect_served "$what: E6 node net.connect($NAME)" "node-$seq"

	seq=$((seq + 1))
	capture "${launcher[@]}" curl -q -sS -m 10 -o /dev/null \
		-w '%{http_code}' "http://$NAME:$N/curl-$seq"
	expect "$what: E6 curl http://$NAME:$N/" 200 "$(cat "$tmp/out")"
	expect_served "$what: E6 curl" "GET /curl-$seq HTTP/1.1"

	seq=$((seq + 1))
	capture_in=<(printf 'telnet-%s\n' "$seq"; sleep 2) \
		capture "${launcher[@]}" telnet "$NAME" "$N"
	expect_served "$what: E6 telnet $NAME $N" "telnet-$seq"

	# The legacy clients of item 4 beside python3: perl by name, and
	# nc.traditional to the literal, TCP and UDP.
	seq=$((seq + 1))
	capture "${launcher[@]}" perl -MIO::Socket::INET -e '
		my $s = IO::Socket::INET->new(PeerAddr => $ARGV[0],
			PeerPort => $ARGV[1], Proto => "tcp", Timeout => 10)
			or die "connect: $@\n";
		print $s "$ARGV[2]\n"; print scalar <$s>;' "$NAME" "$N" "perl-$seq"
	expect_served "$what: perl IO::Socket::INET to $NAME" "perl-$seq"
	seq=$((seq + 1))
	capture_in=<(echo "nc-$seq") capture "${launcher[@]}" \
		nc.traditional -q 2 -w 10 "$S" "$N"
	expect_served "$what: nc.traditional to $S" "nc-$seq"
	seq=$((seq + 1))
	capture_in=<(echo "ncu-$seq"; sleep 1) capture "${launcher[@]}" \
		nc.traditional -u -q 1 -w 3 "$S" "$N"
	expect_served "$what: nc.traditional -u to $S" "ncu-$seq"
}

# One prefix, the server's address under it, its name, and that address
# inside the prefix.
prefixes=(
	"64:ff9b::/96 11.0.0.2 global 64:ff9b::b00:2"
	"fd64:6400:0:1::/64 192.0.2.2 v4only fd64:6400:0:1:c0:2:200:0"
)
for entry in "${prefixes[@]}"; do
	read -r P S NAME A <<<"$entry"
	NAME=$NAME.stackshim.test
	nat64_start "$P" "$A"
	id=${P//[:\/]/_}

	conf "p$id" "# dns64.sh: $P by hand" "stack = ipv6" \
		"translate-prefix = $P" "log = $tmp/hand.log"
	check_names "--translate-prefix $P" "$conf" "$tmp/hand.log"

	conf "a$id" "# dns64.sh: auto" "stack = ipv6" \
		"translate-prefix = auto" "log = $tmp/auto.log"
	check_names "--translate-prefix auto (the DNS64's $P)" "$conf" \
		"$tmp/auto.log" 1
done

# --- E7: the prefix is looked for at the first decision that needs it ----------------
# The loop ended on the /64: S 192.0.2.2.
conf lazy "# dns64.sh: auto, lazily" "stack = ipv6" \
	"translate-prefix = auto" "log = $tmp/lazy.log"
what="--translate-prefix auto"
# expect_no_discovery WHAT CMD...: CMD under the shim logs no discovery
# and asks unbound nothing.
expect_no_discovery()
{
	local q0 w=$1
	shift
	: >"$tmp/lazy.log"
	q0=$(dns_queries)
	launch "$conf"
	capture "${launcher[@]}" "$@"
	expect_status "$what: E7 $w" 0
	expect_discovers "$what: E7 $w logs no discover line" 0 "$tmp/lazy.log"
	expect "$what: E7 $w asks no ipv4only.arpa" "$q0" "$(dns_queries)"
}
expect_no_discovery true true
expect_no_discovery "sh -c :" sh -c :
expect_no_discovery "python3 with an AF_UNIX socket" "$PYTHON" \
	"$files/dns64_probe.py" unix - 0
# Network calls whose decisions need no prefix (item 1: "never on a hook
# that does not"): an AF_INET socket made (upgraded) and closed, and a
# connection to ::1.
expect_no_discovery "python3 with an AF_INET socket, unconnected" \
	"$PYTHON" "$files/dns64_probe.py" inet - 0
expect_no_discovery "python3 connecting to [::1]:$L" \
	"$PYTHON" "$files/dns64_probe.py" tcp ::1 "$L"

: >"$tmp/lazy.log"
q0=$(dns_queries)
run_probe "$conf" tcp4 "$S" "$N"
expect_step "$what: E7 python3 AF_INET to $S connects" 1 result=connected \
	"peer=$S"
expect_discovers "$what: E7 python3 to $S: one discover line" 1 "$tmp/lazy.log"
expect "$what: E7 python3 to $S: unbound was asked once" 1 \
	"$(($(dns_queries) - q0))"
expect "$what: E7 the discover line comes before the first connect line" \
	call=discover "$(grep -o -m 1 -E 'call=(discover|connect)' "$tmp/lazy.log")"

: >"$tmp/lazy.log"
q0=$(dns_queries)
run_probe "$conf" threads "$S" "$N"
expect_step "$what: E7 8 threads connect to $S at once" 1 \
	result=connected ok=8
expect_discovers "$what: E7 8 threads: one discover line" 1 "$tmp/lazy.log"
expect "$what: E7 8 threads: unbound was asked once" 1 \
	"$(($(dns_queries) - q0))"

# --- E8: loopback never goes through the prefix ---------------------------------------
TRACE=1 run_probe "$conf" tcp4 127.0.0.1 "$L" tcp ::ffff:127.0.0.1 "$L"
expect_step "$what: E8 python3 AF_INET to 127.0.0.1" 1 result=connected \
	peer=127.0.0.1
expect_step "$what: E8 python3 AF_INET6 to ::ffff:127.0.0.1" 2 \
	result=connected peer=::ffff:127.0.0.1
expect "$what: E8 the kernel connected to loopback only" \
	AF_INET6/::ffff:127.0.0.1 "$(kernel_connects "$L")"

# --- a resolver that is no DNS64 --------------------------------------------------------
dns64_restart iterator
what="--translate-prefix auto, no DNS64"
: >"$tmp/lazy.log"
run_probe "$conf" tcp4 "$S" "$N" gai4 "$NAME" "$N"
expect_step "$what: python3 AF_INET to $S is fail-host" 1 result=error \
	stage=connect err=ENETUNREACH
# No NAT64: the name's only host is fail-host, EAI_NONAME as under
# --mapped no on a real IPv6-only host (SPEC §2: fail-host for a name).
expect_step "$what: getaddrinfo($NAME, AF_INET) is fail-host" 2 \
	result=error stage=gai err=EAI_NONAME
expect_discovers "$what: one discover line" 1 "$tmp/lazy.log"
expect_log "$what: it says none was found" "$tmp/lazy.log" call=discover \
	name=ipv4only.arpa reason=rfc7050-no-nat64-prefix

# --- no resolver answering at all ------------------------------------------------------
kill "$unbound_pid" 2>/dev/null
wait "$unbound_pid" 2>/dev/null
unbound_pid=
what="--translate-prefix auto, no resolver"
: >"$tmp/lazy.log"
run_probe "$conf" tcp4 "$S" "$N" tcp4 127.0.0.1 "$L"
expect_step "$what: python3 AF_INET to $S is fail-host" 1 result=error \
	stage=connect err=ENETUNREACH
expect_step "$what: python3 AF_INET to 127.0.0.1 over loopback" 2 \
	result=connected peer=127.0.0.1
expect_discovers "$what: one discover line" 1 "$tmp/lazy.log"
expect_log "$what: it says none was found" "$tmp/lazy.log" call=discover \
	name=ipv4only.arpa reason=rfc7050-no-nat64-prefix

finish
