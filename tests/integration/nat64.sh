#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/integration/nat64.sh - a legacy IPv4 program on an IPv6-only host
# behind NAT64 and DNS64 (issue 18), with the prefix given by hand.
#
# Three namespaces, none with a way out:
#   this one   the client: IPv6-only (2001:db8:6::2 on n0, and lo with
#              127.0.0.1 and ::1, as every real IPv6-only Linux host has),
#              its resolver the DNS64 below (hosts: files dns)
#   nat        tayga as the NAT64 (its pool 198.51.100.128/25), and unbound
#              as the DNS64 at 2001:db8:6::1, authoritative for
#              stackshim.test and ipv4only.arpa and nothing else
#   v4         the IPv4-only server, 192.0.2.2 and 11.0.0.2, TCP and UDP
#              (a translator refuses to put a non-global IPv4 address such as
#              192.0.2.2 behind the well-known prefix 64:ff9b::/96, RFC 6052
#              §3.1: the runs with that prefix reach 11.0.0.2, a global
#              address that exists only inside these namespaces)
# For every prefix length of RFC 6052 (32, 40, 48, 56, 64, 96: the
# well-known 64:ff9b::/96 among them), tayga and unbound are started with
# that prefix, and each program runs under --stack ipv6 --translate-prefix
# PREFIX:
#   python3    AF_INET to the literal (TCP, UDP) and to its A-only name
#              (v4only.stackshim.test, global.stackshim.test), which must
#              reach the server through the NAT64 (the server sees a pool
#              address), where bare it gets ENETUNREACH
#   python3    AF_UNSPEC to the name: DNS64's synthesized AAAA
#   perl       IO::Socket::INET to the name; nc.traditional to the literal
#   curl       to the name (DNS64, as bare)
# and a local service on 127.0.0.1 is reached over loopback, never through
# the translator.
#
# Network safety: every address named is inside these namespaces; unbound
# refuses every name outside its two zones and has no route out.

ITEST_TOOLS="tayga unbound nc.traditional perl curl"
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/integration/lib.sh"
itest_init "$@"

files=$top_srcdir/tests/integration/files
# shellcheck source=files/rules_lib.sh
. "$files/rules_lib.sh"

# shellcheck source=files/dns64_lib.sh
. "$files/dns64_lib.sh"
nat64_scene

run_py "" tcp 192.0.2.2 "$N"
expect_step "bare python3 to 192.0.2.2 (no IPv4 route here)" 1 \
	result=error stage=connect err=ENETUNREACH

# expect_pool WHAT: the v4 server's last peer is one of tayga's pool.
expect_pool()
{
	local peer
	peer=$(tail -n 1 "$tmp/v4srv.log" | grep -o 'peer=[^ ]*')
	peer=${peer#peer=}
	if in_cidr "${peer:-none}" 198.51.100.128/25; then
		pass "$1: the IPv4-only server saw a NAT64 pool address ($peer)"
	else
		fail "$1: the server's peer" \
			"expected: an address in tayga's pool 198.51.100.128/25" \
			"got:      '${peer:-none}'"
	fi
}

# One prefix of each RFC 6052 length, the server's address and name, and
# where that address lands under the prefix.
prefixes=(
	"fd64:6400::/32 192.0.2.2 v4only fd64:6400:c000:202::"
	"fd64:6400:100::/40 192.0.2.2 v4only fd64:6400:1c0:2:2::"
	"fd64:6400:200::/48 192.0.2.2 v4only fd64:6400:200:c000:2:200::"
	"fd64:6400:0:100::/56 192.0.2.2 v4only fd64:6400:0:1c0:0:202::"
	"fd64:6400:0:1::/64 192.0.2.2 v4only fd64:6400:0:1:c0:2:200:0"
	"64:ff9b::/96 11.0.0.2 global 64:ff9b::b00:2"
)
for entry in "${prefixes[@]}"; do
	read -r P S NAME A <<<"$entry"
	NAME=$NAME.stackshim.test
	nat64_start "$P" "$A"

	conf "p${P//[:\/]/_}" "# nat64.sh: $P by hand" "stack = ipv6" \
		"translate-prefix = $P"
	what="--stack ipv6 --translate-prefix $P"

	TRACE=1 run_py "$conf" tcp "$S" "$N"
	expect_step "$what: python3 AF_INET to $S connects" 1 \
		result=connected family=inet "peer=$S" peerlen=2
	expect "$what: the kernel saw connect" "AF_INET6/$A" \
		"$(kernel_connects "$N")"
	expect_pool "$what: python3 TCP"
	run_py "$conf" udp "$S" "$N"
	expect_step "$what: python3 AF_INET UDP to $S answers" 1 \
		result=connected family=inet "peer=$S"
	expect_pool "$what: python3 UDP"
	run_py "$conf" tcp4 "$NAME" "$N"
	expect_step "$what: python3 AF_INET to the A-only name $NAME connects" 1 \
		result=connected family=inet "peer=$S"
	run_py "$conf" tcp "$NAME" "$N"
	expect_step "$what: python3 AF_UNSPEC to $NAME (DNS64) connects" 1 \
		result=connected family=inet6
	launch "$conf"
	capture "${launcher[@]}" perl -MIO::Socket::INET -e '
		my $s = IO::Socket::INET->new(PeerAddr => $ARGV[0],
			PeerPort => $ARGV[1], Proto => "tcp", Timeout => 10)
			or die "connect: $@\n";
		print $s "perl\n"; print scalar <$s>;' "$NAME" "$N"
	expect_status "$what: perl IO::Socket::INET to $NAME" 0
	expect_pool "$what: perl"
	capture_in=<(echo nc) capture "${launcher[@]}" nc.traditional -q 2 -w 10 \
		"$S" "$N"
	expect_grep "$what: nc.traditional to $S gets its line back" \
		'^proto=tcp' "$tmp/out"
	capture "${launcher[@]}" curl -sS -m 10 -o /dev/null -w '%{http_code}' \
		"http://$NAME:$N/"
	expect "$what: curl to $NAME (DNS64)" 200 "$(cat "$tmp/out")"
	run_py "$conf" tcp 127.0.0.1 "$L"
	expect_step "$what: python3 to a local service at 127.0.0.1 (loopback, not the NAT64)" \
		1 result=connected family=inet peer=127.0.0.1

	# The same prefix, found (RFC 7050).
	conf "a${P//[:\/]/_}" "# nat64.sh: auto" "stack = ipv6" \
		"translate-prefix = auto" "log = $tmp/auto.log"
	what="--stack ipv6 --translate-prefix auto (the DNS64's $P)"
	: >"$tmp/auto.log"
	TRACE=1 run_py "$conf" tcp "$S" "$N" udp "$S" "$N" tcp4 "$NAME" "$N" \
		tcp 127.0.0.1 "$L"
	expect_step "$what: python3 AF_INET to $S connects" 1 \
		result=connected family=inet "peer=$S" peerlen=2
	expect "$what: the kernel saw connect" "AF_INET6/$A" \
		"$(kernel_connects "$N")"
	expect_step "$what: python3 AF_INET UDP to $S answers" 2 \
		result=connected family=inet "peer=$S"
	expect_step "$what: python3 AF_INET to $NAME connects" 3 \
		result=connected family=inet "peer=$S"
	expect_step "$what: python3 to 127.0.0.1 over loopback" 4 \
		result=connected family=inet peer=127.0.0.1
	expect_log "$what: the log says what was found and where from" \
		"$tmp/auto.log" call=discover name=ipv4only.arpa \
		"translated=${P%/*}" "reason=rfc7050-ipv4only.arpa-/${P#*/}"
	[ "$(grep -c call=discover "$tmp/auto.log")" = 1 ] ||
		fail "$what: one discovery per process" "$(cat "$tmp/auto.log")"
	capture "$STACKSHIM" explain --stack ipv6 --translate-prefix auto "$S"
	expect_grep "$what: explain says what was found" \
		"^translate-prefix: auto: ${P//./\\.} \\(from ipv4only.arpa" "$tmp/out"
	expect_grep "$what: explain maps $S to $A" \
		"^translated: ${S//./\\.} -> $A\$" "$tmp/out"
done

# --- the well-known prefix carries global addresses only (RFC 6052 §3.1) ----------
# The loop ended on 64:ff9b::/96.  A private address is the table's
# fail-host, never sent to the translator; a map rule names it back in.
conf wkp "# nat64.sh: the well-known prefix" "stack = ipv6" \
	"translate-prefix = 64:ff9b::/96" "log = $tmp/wkp.log"
TRACE=1 run_py "$conf" tcp 10.1.2.3 "$N"
expect_step "64:ff9b::/96: python3 AF_INET to 10.1.2.3 is fail-host" 1 \
	result=error stage=connect err=ENETUNREACH
expect "64:ff9b::/96: nothing reached the kernel for 10.1.2.3" "" \
	"$(kernel_connects "$N")"
expect_log "64:ff9b::/96: the log says fail-host for 10.1.2.3" "$tmp/wkp.log" \
	call=connect "dest=10.1.2.3:$N" outcome=fail-host error=ENETUNREACH
conf wkpmap "# nat64.sh: the well-known prefix, a map rule" "stack = ipv6" \
	"translate-prefix = 64:ff9b::/96" "map = 10.0.0.0/8"
TRACE=1 run_py "$conf" tcp 10.1.2.3 "$N"
expect "64:ff9b::/96, map = 10.0.0.0/8: the kernel was asked for 64:ff9b::a01:203" \
	AF_INET6/64:ff9b::a01:203 "$(kernel_connects "$N")"

# --- translate-prefix = auto where no prefix can be found ---------------------------
# expect_no_prefix WHAT: with auto, python3 AF_INET to 11.0.0.2 is the
# table's fail-host, loopback still works, and the log says why.
expect_no_prefix()
{
	conf none "# nat64.sh: auto, nothing to find" "stack = ipv6" \
		"translate-prefix = auto" "log = $tmp/none.log"
	: >"$tmp/none.log"
	run_py "$conf" tcp 11.0.0.2 "$N" tcp 127.0.0.1 "$L"
	expect_step "$1: python3 AF_INET to 11.0.0.2 is fail-host" 1 \
		result=error stage=connect err=ENETUNREACH
	expect_step "$1: python3 to 127.0.0.1 over loopback" 2 \
		result=connected family=inet peer=127.0.0.1
	expect_log "$1: the log says none was found" "$tmp/none.log" \
		call=discover name=ipv4only.arpa reason=rfc7050-no-nat64-prefix
	capture "$STACKSHIM" explain --stack ipv6 --translate-prefix auto \
		11.0.0.2
	expect_grep "$1: explain says none was found" \
		'^translate-prefix: auto: no NAT64 prefix' "$tmp/out"
	expect_grep "$1: explain says fail-host" '^outcome: fail-host$' \
		"$tmp/out"
}
dns64_restart iterator
expect_no_prefix "auto, a resolver that is no DNS64"
# A DNS64 whose ipv4only.arpa has a real AAAA record: nothing synthesized.
printf '@\tIN AAAA\t2001:db8:6::99\n' >>"$tmp/dns/ipv4only.arpa.zone"
dns64_restart iterator
expect_no_prefix "auto, ipv4only.arpa with a real AAAA"

finish
