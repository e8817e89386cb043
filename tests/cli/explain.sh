#!/bin/sh
# SPDX-License-Identifier: MIT
# explain.sh - "stackshim explain HOST [LOCAL]" names the cell and outcome.
#
# Literals need nothing; names come from a hosts file of the test's own,
# bind-mounted over /etc/hosts (with an nsswitch.conf that reads only files)
# in a private mount namespace.  The documentation addresses used here are
# only ever resolved: nothing is sent to them.

. "$(dirname "$0")/lib.sh"

# explain WHAT EXPECTED_CELL EXPECTED_OUTCOME ARG...: one explanation.
explain()
{
	what=$1
	cell=$2
	outcome=$3
	shift 3
	capture "$STACKSHIM" explain "$@"
	expect_status "$what" 0
	expect_line "$what: cell" "cell: $cell" "$tmp/out"
	expect_line "$what: outcome" "outcome: $outcome" "$tmp/out"
}

explain "IPv4 literal" "stack=dual host=ipv4 local=none" ipv4 192.0.2.1
expect_line "IPv4 literal: host line" "host: 192.0.2.1 ipv4 (192.0.2.1)" \
	"$tmp/out"
expect_line "IPv4 literal: local line" "local: none" "$tmp/out"
expect_line "IPv4 literal: stack line" "stack: dual (prefer ipv6, mapped yes)" \
	"$tmp/out"
explain "IPv6 literal" "stack=dual host=ipv6 local=none" ipv6 2001:db8::1
explain "IPv4-mapped literal" "stack=dual host=ipv4 local=none" ipv4 \
	::ffff:192.0.2.1
explain "IPv4 literal, ipv6 stack" "stack=ipv6 host=ipv4 local=none" map \
	--stack ipv6 192.0.2.1
expect_line "IPv4 literal, ipv6 stack: translated" \
	"translated: 192.0.2.1 -> ::ffff:192.0.2.1" "$tmp/out"
explain "IPv6 literal, ipv4 stack" "stack=ipv4 host=ipv6 local=none" \
	fail-host --stack ipv4 2001:db8::1

# A local address.
explain "IPv6 local" "stack=dual host=ipv4 local=ipv6" map \
	192.0.2.1 2001:db8::2
expect_line "IPv6 local: translated" \
	"translated: 192.0.2.1 -> ::ffff:192.0.2.1" "$tmp/out"
explain "IPv6 local, NAT64 prefix" "stack=dual host=ipv4 local=ipv6" map \
	--translate-prefix 2001:db8:64::/96 192.0.2.1 2001:db8::2
expect_line "IPv6 local, NAT64 prefix: translated" \
	"translated: 192.0.2.1 -> 2001:db8:64::c000:201" "$tmp/out"
explain "mapped literal, NAT64 prefix" "stack=ipv6 host=ipv4 local=none" map \
	--stack ipv6 --translate-prefix=2001:db8:64::/96 ::ffff:192.0.2.1
expect_line "mapped literal, NAT64 prefix: translated" \
	"translated: 192.0.2.1 -> 2001:db8:64::c000:201" "$tmp/out"
# The well-known prefix carries global addresses only (RFC 6052 §3.1).
explain "well-known prefix, a global address" "stack=ipv6 host=ipv4 local=none" \
	map --stack ipv6 --translate-prefix 64:ff9b::/96 11.0.0.2
expect_line "well-known prefix, a global address: translated" \
	"translated: 11.0.0.2 -> 64:ff9b::b00:2" "$tmp/out"
explain "well-known prefix, 10.1.2.3" "stack=ipv6 host=ipv4 local=none" \
	fail-host --stack ipv6 --translate-prefix 64:ff9b::/96 10.1.2.3
expect_line "well-known prefix, 10.1.2.3: says why" \
	"not translated: 10.1.2.3 is not a global address, which the well-known prefix may not carry (RFC 6052 section 3.1; a map rule would)" \
	"$tmp/out"
printf 'translate-prefix = 64:ff9b::/96\nmap = 10.0.0.0/8\n' >"$tmp/wkp.conf"
explain "well-known prefix, 10.1.2.3 in a map rule" \
	"stack=dual host=ipv4 local=none" map -c "$tmp/wkp.conf" 10.1.2.3
expect_line "well-known prefix, 10.1.2.3 in a map rule: translated" \
	"translated: 10.1.2.3 -> 64:ff9b::a01:203" "$tmp/out"
# Loopback is the host's own: from an IPv6 local address it is never put
# behind a NAT64 prefix, a site one or the well-known one, by the table
# or by a map rule (as a real host: ENETUNREACH).
explain "loopback from an IPv6 local, site prefix" \
	"stack=ipv6 host=ipv4 local=ipv6" fail-host --stack ipv6 \
	--translate-prefix 2001:db8:64::/96 127.0.0.1 2001:db8::1
expect_line "loopback from an IPv6 local, site prefix: says why" \
	"not translated: 127.0.0.1 is the host's own loopback, never sent through a NAT64 prefix" \
	"$tmp/out"
printf 'stack = ipv6\ntranslate-prefix = 64:ff9b::/96\nmap = 127.0.0.0/8\n' \
	>"$tmp/loop.conf"
explain "loopback from an IPv6 local, map rule" \
	"stack=ipv6 host=ipv4 local=ipv6" fail-host -c "$tmp/loop.conf" \
	127.0.0.1 2001:db8::1
expect "loopback from an IPv6 local, map rule: nothing translated" "" \
	"$(grep '^translated:' "$tmp/out")"
explain "IPv6 local, mapped no" "stack=dual host=ipv4 local=ipv6" fail-host \
	--mapped no 192.0.2.1 2001:db8::2
expect "IPv6 local, mapped no: nothing translated" "" \
	"$(grep '^translated:' "$tmp/out")"
explain "IPv4 local, ipv6 stack" "stack=ipv6 host=ipv6 local=ipv4" \
	fail-local --stack ipv6 2001:db8::1 192.0.2.2
explain "IPv6 local, ipv4 stack" "stack=ipv4 host=ipv4 local=ipv6" \
	fail-local --stack ipv4 192.0.2.1 2001:db8::2

# A wildcard local address counts as none.
explain "0.0.0.0 local, ipv6 stack" "stack=ipv6 host=ipv4 local=none" map \
	--stack ipv6 192.0.2.1 0.0.0.0
expect_line "0.0.0.0 local: local line" "local: 0.0.0.0 none (wildcard)" \
	"$tmp/out"
explain ":: local, ipv4 stack" "stack=ipv4 host=ipv4 local=none" ipv4 \
	--stack ipv4 192.0.2.1 ::

# Without LOCAL, the policy's local-address applies.
explain "--local-address" "stack=dual host=ipv4 local=ipv6" map \
	--local-address 2001:db8::2 192.0.2.1
explain "--local-address with ports" "stack=dual host=ipv4 local=ipv6" map \
	--local-address '2001:db8::2(1000,2000)' 192.0.2.1
explain "--local-address of ports only" "stack=dual host=ipv4 local=none" \
	ipv4 --local-address '(1000,2000)' 192.0.2.1
printf 'stack = ipv6\nlocal-address = 192.0.2.2\n' >"$tmp/local.conf"
explain "local-address from -c" "stack=ipv6 host=ipv6 local=ipv4" \
	fail-local -c "$tmp/local.conf" 2001:db8::1

capture "$STACKSHIM" explain
expect_status "no HOST" 2

# ipv4-loopback: explain says when 127.0.0.0/8 decides, and what.
loopline="loopback: 127.0.0.0/8 is usable on every stack (ipv4-loopback = yes): decided as with IPv4 in the stack"
capture "$STACKSHIM" explain --stack ipv6 --mapped no 127.0.0.1
expect_line "loopback host, ipv6 stack: said" "$loopline" "$tmp/out"
expect_line "loopback host, ipv6 stack: outcome" "outcome: ipv4" "$tmp/out"
capture "$STACKSHIM" explain --stack ipv6 192.0.2.1 127.0.0.1
expect_line "other host, loopback local: fail-local" "outcome: fail-local" \
	"$tmp/out"
expect "other host, loopback local: no loopback line" "" \
	"$(grep '^loopback:' "$tmp/out")"
capture "$STACKSHIM" explain --stack ipv6 --ipv4-loopback no 127.0.0.1
expect_line "ipv4-loopback no: the table's map" "outcome: map" "$tmp/out"
expect "ipv4-loopback no: no loopback line" "" \
	"$(grep '^loopback:' "$tmp/out")"
capture "$STACKSHIM" explain 192.0.2.1 192.0.2.2 192.0.2.3
expect_status "three operands" 2
capture "$STACKSHIM" explain --prefer ipv5 192.0.2.1
expect_status "--prefer ipv5" 1
expect_match "--prefer ipv5: names the option" "--prefer" "$tmp/err"

# Without rules: "rule: none", and the question asked.
capture "$STACKSHIM" explain 192.0.2.1
expect_line "no rules: rule line" "rule: none" "$tmp/out"
expect_line "no rules: connection line" "connection: port=none proto=any" \
	"$tmp/out"
expect "no rules: no rules line" "" "$(grep '^rules:' "$tmp/out")"
capture "$STACKSHIM" explain --port 65535 --proto=udp 192.0.2.1
expect_status "--port 65535 --proto=udp" 0
expect_line "--port 65535 --proto=udp: connection line" \
	"connection: port=65535 proto=udp" "$tmp/out"
capture "$STACKSHIM" explain --port=1 --proto TCP 192.0.2.1
expect_line "--port=1 --proto TCP: connection line" \
	"connection: port=1 proto=tcp" "$tmp/out"

# --port and --proto: bad values are usage errors, and they belong to
# explain only.
for bad in 0 65536 99999999999 80x -1 ""; do
	capture "$STACKSHIM" explain --port "$bad" 192.0.2.1
	expect_status "--port '$bad'" 2
	expect_line "--port '$bad': says why" \
		"stackshim: --port: '$bad' is not a port (1 to 65535)" "$tmp/err"
done
for bad in sctp tcp6 ""; do
	capture "$STACKSHIM" explain --proto "$bad" 192.0.2.1
	expect_status "--proto '$bad'" 2
	expect_line "--proto '$bad': says why" \
		"stackshim: --proto: '$bad' is not a protocol (tcp or udp)" \
		"$tmp/err"
done
capture "$STACKSHIM" explain 192.0.2.1 --port
expect_status "--port without a value" 2
capture "$STACKSHIM" table --port 80
expect_status "table --port" 2
expect_line "table --port: does not apply" \
	"stackshim: option --port does not apply here" "$tmp/err"
capture "$STACKSHIM" --proto tcp -- true
expect_status "run --proto" 2

# Names, from this test's hosts file, in a mount namespace of its own.
cat >"$tmp/hosts" <<EOF
127.0.0.1 localhost
::1 localhost
192.0.2.10 v4.stackshim.test
2001:db8::10 v6.stackshim.test
192.0.2.20 both.stackshim.test
2001:db8::20 both.stackshim.test
::ffff:192.0.2.30 mapped.stackshim.test
EOF
names_init || skip_names

explain_ns()
{
	what=$1
	cell=$2
	outcome=$3
	shift 3
	capture in_ns "$STACKSHIM" explain "$@"
	expect_status "$what" 0
	expect_line "$what: cell" "cell: $cell" "$tmp/out"
	expect_line "$what: outcome" "outcome: $outcome" "$tmp/out"
}

explain_ns "IPv4 name" "stack=dual host=ipv4 local=none" ipv4 \
	v4.stackshim.test
expect_line "IPv4 name: host line" \
	"host: v4.stackshim.test ipv4 (192.0.2.10)" "$tmp/out"
explain_ns "IPv6 name" "stack=dual host=ipv6 local=none" ipv6 \
	v6.stackshim.test
explain_ns "name with both" "stack=dual host=both local=none" ipv6 \
	both.stackshim.test
expect_match "name with both: lists 192.0.2.20" \
	'^host: both.stackshim.test both (.*192\.0\.2\.20' "$tmp/out"
expect_match "name with both: lists 2001:db8::20" \
	'^host: both.stackshim.test both (.*2001:db8::20' "$tmp/out"
explain_ns "name with both, prefer ipv4" "stack=dual host=both local=none" \
	ipv4 --prefer ipv4 both.stackshim.test
explain_ns "name with both, ipv4 stack" "stack=ipv4 host=both local=none" \
	ipv4 --stack ipv4 both.stackshim.test
explain_ns "IPv4-mapped name" "stack=dual host=ipv4 local=none" ipv4 \
	mapped.stackshim.test
explain_ns "IPv4 name, ipv6 stack" "stack=ipv6 host=ipv4 local=none" map \
	--stack ipv6 v4.stackshim.test
expect_line "IPv4 name, ipv6 stack: translated" \
	"translated: 192.0.2.10 -> ::ffff:192.0.2.10" "$tmp/out"
explain_ns "local name with both" "stack=dual host=ipv6 local=both" ipv6 \
	v6.stackshim.test both.stackshim.test
explain_ns "local name, IPv6" "stack=ipv4 host=ipv4 local=ipv6" fail-local \
	--stack ipv4 192.0.2.1 v6.stackshim.test
explain_ns "local-address name" "stack=dual host=ipv4 local=ipv6" map \
	--local-address v6.stackshim.test v4.stackshim.test

capture in_ns "$STACKSHIM" explain nx.stackshim.test
expect_status "unknown name" 2
expect_match "unknown name: says which" '^stackshim: nx\.stackshim\.test: ' \
	"$tmp/err"

finish
