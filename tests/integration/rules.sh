#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/integration/rules.sh - allow, deny and map rules (SPEC §3) applied
# to real programs, curl and python3 (files/rules_client.py), under the
# launcher, against files/rules_server.py listening on 0.0.0.0 and :: at
# port P and at 7999, 8000, 8050, 8080, 8081, 8099, 8100 and 9000 (TCP),
# 8000 and 9000 (UDP).  Issue 5, item 8:
#
#   cidr    deny 127.0.0.0/8 + allow 127.0.0.2: the longest prefix wins,
#           127.0.0.1 is refused (curl exit 7, python3 PermissionError
#           errno 13), 127.0.0.2 is not; deny ::1/128 and deny
#           2001:db8:1::/48 + allow 2001:db8:1::2/128 likewise
#   ports   deny 127.0.0.1 8000-8099 tcp: 7999 and 8100 pass, 8000 and
#           8099 are refused; deny 127.0.0.1 9000 udp refuses sendto
#           (EACCES) but not a TCP connect to 9000, and the tcp rule no
#           datagram to 8000
#   names   deny NAME: curl exit 6, getaddrinfo EAI_NONAME, and
#           nc.traditional's gethostbyname() finds no host; only that
#           name (not a.NAME); the refused name gave the process no
#           address, so its address reached otherwise later (another
#           name, a literal) follows the address rules; deny *.NAME:
#           a.NAME but not NAME itself; a
#           name rule with a port leaves resolution alone and refuses the
#           connect to the address it produced at that port only, and the
#           same address as a literal follows the address rules only; a
#           name rule beats an address rule for the addresses it produced
#   map     map 127.0.0.0/8 on a dual stack: an AF_INET client's connect
#           reaches the kernel (strace) as AF_INET6 ::ffff:127.0.0.1 while
#           the program sees AF_INET and getpeername ('127.0.0.1', P); with
#           translate-prefix 2001:db8:64::/96 and map 192.0.2.0/24 the
#           connection goes through a NAT64 (tayga, in a namespace of its
#           own) to an IPv4-only server in another, reached from a
#           namespace with no IPv4 route at all
#   log     each refusal's line names the rule (rule=FILE:LINE, the right
#           line) and error=EACCES / EAI_NONAME; allowed connections that
#           nothing changed have no line; log = stderr (--log stderr) too
#   big     100,000 rules: the right decisions on a sample (a default, an
#           exact rule deep in the file, a port range, a CIDR and the
#           allow inside it, a name, IPv6, UDP)

ITEST_TOOLS="curl nc.traditional tayga"
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/integration/lib.sh"
ITEST_HOSTS_EXTRA='127.0.0.1	blocked.stackshim.test
127.0.0.1	a.blocked.stackshim.test
127.0.0.3	web.stackshim.test
127.0.0.4	ok.stackshim.test
127.0.0.1	deep.stackshim.test'
itest_init "$@"

# shellcheck source=files/rules_lib.sh
. "$top_srcdir/tests/integration/files/rules_lib.sh"

ip -6 addr add 2001:db8:1::1/128 dev lo nodad || itest_error "address on lo"
ip -6 addr add 2001:db8:1::2/128 dev lo nodad || itest_error "address on lo"

P=$(free_port "")
specs=()
for port in "$P" 7999 8000 8050 8080 8081 8099 8100 9000; do
	specs+=("tcp:0.0.0.0:$port" "tcp:[::]:$port")
done
start_server srv "" "${specs[@]}" udp:0.0.0.0:8000 udp:0.0.0.0:9000
echo "server: TCP 0.0.0.0 and :: at $P 7999 8000 8050 8080 8081 8099 8100 9000; UDP 0.0.0.0 at 8000 9000"

# --- the harness: without the shim everything gets through ------------------
expect_curl "bare" 0 "" 127.0.0.1 "$P"
expect_curl "bare" 0 "" ::1 "$P"
run_py "" tcp 127.0.0.1 8000 tcp 2001:db8:1::1 "$P" udp 127.0.0.1 9000 \
	tcp blocked.stackshim.test "$P"
expect_step "bare python3: TCP 127.0.0.1:8000" 1 result=connected
expect_step "bare python3: TCP [2001:db8:1::1]:$P" 2 result=connected
expect_step "bare python3: UDP 127.0.0.1:9000" 3 result=connected
expect_step "bare python3: blocked.stackshim.test resolves" 4 \
	gai=inet/127.0.0.1 result=connected

# --- cidr ------------------------------------------------------------------------
conf a "# rules.sh: CIDR rules, the longest prefix wins" \
	"stack = dual" \
	"log = $tmp/a.log" \
	"deny = 127.0.0.0/8" \
	"allow = 127.0.0.2" \
	"deny = ::1/128" \
	"deny = 2001:db8:1::/48" \
	"allow = 2001:db8:1::2/128"
A=$conf
expect_curl "deny 127.0.0.0/8" 7 "$A" 127.0.0.1 "$P"
expect_curl "deny 127.0.0.0/8, allow 127.0.0.2" 0 "$A" 127.0.0.2 "$P"
expect_curl "deny ::1/128" 7 "$A" ::1 "$P"
expect_curl "deny 2001:db8:1::/48" 7 "$A" 2001:db8:1::1 "$P"
expect_curl "deny 2001:db8:1::/48, allow 2001:db8:1::2/128" 0 "$A" \
	2001:db8:1::2 "$P"
run_py "$A" tcp 127.0.0.1 "$P" tcp 127.0.0.2 "$P" tcp ::1 "$P" \
	tcp 2001:db8:1::1 "$P" tcp 2001:db8:1::2 "$P"
expect_step "deny 127.0.0.0/8: python3 to 127.0.0.1: PermissionError EACCES" \
	1 "${EACCES[@]}"
expect_step "allow 127.0.0.2 (longest prefix): python3 to 127.0.0.2" 2 \
	result=connected "srv_to=127.0.0.2:$P"
expect_step "deny ::1/128: python3 to ::1: PermissionError EACCES" 3 "${EACCES[@]}"
expect_step "deny 2001:db8:1::/48: python3 to 2001:db8:1::1: EACCES" 4 "${EACCES[@]}"
expect_step "allow 2001:db8:1::2/128: python3 to 2001:db8:1::2" 5 \
	result=connected "srv_to=[2001:db8:1::2]:$P"

# --- log: the rule that decided, by line ------------------------------------------
expect_log "log: curl's refusal names deny 127.0.0.0/8 ($A:4)" "$tmp/a.log" \
	program=curl call=connect family=inet "dest=127.0.0.1:$P" \
	outcome=deny "rule=$A:4" error=EACCES
expect_log "log: python3's refusal of 127.0.0.1 names $A:4" "$tmp/a.log" \
	"program=$PYPROG" call=connect family=inet "dest=127.0.0.1:$P" \
	outcome=deny "rule=$A:4" error=EACCES
expect_log "log: python3's refusal of ::1 names deny ::1/128 ($A:6)" \
	"$tmp/a.log" "program=$PYPROG" call=connect family=inet6 \
	"dest=[::1]:$P" outcome=deny "rule=$A:6" error=EACCES
expect_log "log: python3's refusal of 2001:db8:1::1 names $A:7" \
	"$tmp/a.log" "program=$PYPROG" call=connect \
	"dest=[2001:db8:1::1]:$P" outcome=deny "rule=$A:7" error=EACCES
expect_no_log "log: no line for 127.0.0.2 (allowed, nothing changed)" \
	"$tmp/a.log" "dest=127.0.0.2:$P"
expect_no_log "log: no line for 2001:db8:1::2 (allowed, nothing changed)" \
	"$tmp/a.log" "dest=[2001:db8:1::2]:$P"
seq=$((seq + 1))
capture "$STACKSHIM" -c "$A" --log stderr -- "$PYTHON" \
	"$files/rules_client.py" --tag "p$seq" tcp 127.0.0.1 "$P"
expect_step "--log stderr: python3's own output as before" 1 "${EACCES[@]}"
expect_log "--log stderr: the line names $A:4" "$tmp/err" \
	"program=$PYPROG" call=connect "dest=127.0.0.1:$P" outcome=deny \
	"rule=$A:4" error=EACCES

# --- ports and protocols ---------------------------------------------------------
conf b "# rules.sh: port ranges and protocols" \
	"stack = dual" \
	"log = $tmp/b.log" \
	"deny = 127.0.0.1 8000-8099 tcp" \
	"deny = 127.0.0.1 9000 udp"
B=$conf
expect_curl "deny 127.0.0.1 8000-8099 tcp" 0 "$B" 127.0.0.1 7999
expect_curl "deny 127.0.0.1 8000-8099 tcp" 7 "$B" 127.0.0.1 8000
expect_curl "deny 127.0.0.1 8000-8099 tcp" 7 "$B" 127.0.0.1 8099
expect_curl "deny 127.0.0.1 8000-8099 tcp" 0 "$B" 127.0.0.1 8100
expect_curl "deny 127.0.0.1 8000-8099 tcp, another address" 0 "$B" \
	127.0.0.2 8000
run_py "$B" tcp 127.0.0.1 7999 tcp 127.0.0.1 8000 tcp 127.0.0.1 8099 \
	tcp 127.0.0.1 8100 udp 127.0.0.1 9000 udp 127.0.0.1 8000 \
	tcp 127.0.0.1 9000
expect_step "8000-8099 tcp: python3 to 7999" 1 result=connected \
	"srv_to=127.0.0.1:7999"
expect_step "8000-8099 tcp: python3 to 8000: EACCES" 2 "${EACCES[@]}"
expect_step "8000-8099 tcp: python3 to 8099: EACCES" 3 "${EACCES[@]}"
expect_step "8000-8099 tcp: python3 to 8100" 4 result=connected \
	"srv_to=127.0.0.1:8100"
expect_step "deny 127.0.0.1 9000 udp: python3's sendto: PermissionError EACCES" \
	5 result=error stage=sendto exc=PermissionError errno=13 err=EACCES
expect_step "a tcp rule does not touch UDP: a datagram to 127.0.0.1:8000" 6 \
	result=connected
expect_step "a udp rule does not touch TCP: a connect to 127.0.0.1:9000" 7 \
	result=connected "srv_to=127.0.0.1:9000"
expect_log "log: the refusal at 8000 names $B:4" "$tmp/b.log" call=connect \
	"dest=127.0.0.1:8000" outcome=deny "rule=$B:4" error=EACCES
expect_log "log: the refused sendto names $B:5" "$tmp/b.log" call=sendto \
	family=inet "dest=127.0.0.1:9000" outcome=deny "rule=$B:5" error=EACCES
expect_no_log "log: nothing for 7999 (no rule fits)" "$tmp/b.log" \
	"dest=127.0.0.1:7999"

# --- names -----------------------------------------------------------------------
conf c "# rules.sh: name rules" \
	"stack = dual" \
	"log = $tmp/c.log" \
	"deny = blocked.stackshim.test" \
	"deny = web.stackshim.test 8080" \
	"deny = 127.0.0.4" \
	"allow = ok.stackshim.test"
C=$conf
expect_curl "deny = blocked.stackshim.test" 6 "$C" blocked.stackshim.test "$P"
expect_curl "deny = blocked.stackshim.test does not cover a subdomain" 0 \
	"$C" a.blocked.stackshim.test "$P" 127.0.0.1
run_py "$C" tcp blocked.stackshim.test "$P" tcp a.blocked.stackshim.test "$P"
expect_step "deny = blocked.stackshim.test: python3 getaddrinfo: gaierror EAI_NONAME" \
	1 "${NONAME[@]}"
# The denied name gave this process no address: its 127.0.0.1 reached by
# another name, or as a literal, follows the address rules (none here).
expect_step "deny = blocked.stackshim.test: then python3 to a.blocked.stackshim.test (127.0.0.1 too)" \
	2 gai=inet/127.0.0.1 result=connected
run_py "$C" tcp blocked.stackshim.test "$P" tcp 127.0.0.1 "$P"
expect_step "deny = blocked.stackshim.test: then python3 to the literal 127.0.0.1" \
	2 gai=raw result=connected
capture "$STACKSHIM" -c "$C" -- nc.traditional -v -w 3 \
	blocked.stackshim.test "$P"
if [ "$status" -ne 0 ] && [ "$status" -lt 124 ] &&
	grep -q "forward host lookup failed" "$tmp/err"; then
	pass "deny = blocked.stackshim.test: nc.traditional's gethostbyname() finds no host"
else
	fail "deny = blocked.stackshim.test: nc.traditional (gethostbyname)" \
		"expected: a clean failure, 'forward host lookup failed'" \
		"got:      exit $status$(status_note "$status")" "$(show_output)"
fi
expect_log "log: getaddrinfo of the denied name names $C:4" "$tmp/c.log" \
	call=getaddrinfo name=blocked.stackshim.test "rule=$C:4" \
	error=EAI_NONAME

# A name rule with a port: resolution is the table's, the connect to the
# address it gave is refused at that port only.
expect_curl "deny = web.stackshim.test 8080" 7 "$C" web.stackshim.test 8080
expect_curl "deny = web.stackshim.test 8080" 0 "$C" web.stackshim.test 8081 \
	127.0.0.3
expect_curl "deny = web.stackshim.test 8080: the literal 127.0.0.3" 0 \
	"$C" 127.0.0.3 8080
run_py "$C" tcp web.stackshim.test 8080 tcp web.stackshim.test 8081
expect_step "deny = web.stackshim.test 8080: python3 resolves it, connect EACCES" \
	1 gai=inet/127.0.0.3 "${EACCES[@]}"
expect_step "deny = web.stackshim.test 8080: python3 to :8081" 2 \
	result=connected "srv_to=127.0.0.3:8081"
run_py "$C" tcp 127.0.0.3 8080
expect_step "deny = web.stackshim.test 8080: python3 to the literal 127.0.0.3:8080" \
	1 gai=raw result=connected "srv_to=127.0.0.3:8080"
expect_log "log: the refusal at web.stackshim.test:8080 names $C:5" \
	"$tmp/c.log" call=connect "dest=127.0.0.3:8080" outcome=deny \
	"rule=$C:5" error=EACCES

# A name rule beats the address rules for the addresses it produced.
expect_curl "allow = ok.stackshim.test over deny = 127.0.0.4" 0 "$C" \
	ok.stackshim.test "$P" 127.0.0.4
expect_curl "deny = 127.0.0.4: the literal" 7 "$C" 127.0.0.4 "$P"
run_py "$C" tcp ok.stackshim.test "$P"
expect_step "allow = ok.stackshim.test over deny = 127.0.0.4: python3" 1 \
	gai=inet/127.0.0.4 result=connected "srv_to=127.0.0.4:$P"
run_py "$C" tcp 127.0.0.4 "$P"
expect_step "deny = 127.0.0.4: python3 to the literal" 1 gai=raw "${EACCES[@]}"
expect_log "log: the literal 127.0.0.4's refusal names $C:6" "$tmp/c.log" \
	call=connect "dest=127.0.0.4:$P" outcome=deny "rule=$C:6" error=EACCES

conf c2 "# rules.sh: a domain rule" \
	"log = $tmp/c2.log" \
	"deny = *.blocked.stackshim.test"
C2=$conf
expect_curl "deny = *.blocked.stackshim.test" 6 "$C2" \
	a.blocked.stackshim.test "$P"
expect_curl "deny = *.blocked.stackshim.test: not the domain itself" 0 \
	"$C2" blocked.stackshim.test "$P" 127.0.0.1
run_py "$C2" tcp blocked.stackshim.test "$P" tcp a.blocked.stackshim.test "$P"
expect_step "deny = *.blocked.stackshim.test: python3 blocked.stackshim.test" \
	1 gai=inet/127.0.0.1 result=connected
expect_step "deny = *.blocked.stackshim.test: python3 a.blocked.stackshim.test: EAI_NONAME" \
	2 "${NONAME[@]}"
expect_log "log: the denied subdomain names $C2:3" "$tmp/c2.log" \
	call=getaddrinfo name=a.blocked.stackshim.test "rule=$C2:3" \
	error=EAI_NONAME

# --- map: AF_INET sockets upgraded, the kernel given ::ffff:a.b.c.d ---------------
# Loopback is never mapped while ipv4-loopback is on (a map rule leaves it
# to the table): this section means the rule itself.
conf d "# rules.sh: map" \
	"stack = dual" \
	"log = $tmp/d.log" \
	"map = 127.0.0.0/8" \
	"ipv4-loopback = no"
D=$conf
conf d0 "# rules.sh: the same without the map rule" "stack = dual"
D0=$conf
TRACE=1 run_py "$D0" tcp 127.0.0.1 "$P"
expect_step "dual, no map rule: python3 to 127.0.0.1" 1 result=connected \
	srv_tcp6=0
expect "dual, no map rule: the kernel saw connect" AF_INET/127.0.0.1 \
	"$(kernel_connects "$P")"
TRACE=1 run_py "$D" tcp 127.0.0.1 "$P"
expect_step "map 127.0.0.0/8: python3 AF_INET to 127.0.0.1 connects, sees AF_INET and ('127.0.0.1', $P)" \
	1 gai=raw result=connected family=inet so_domain=inet peer=127.0.0.1 \
	peerlen=2 "srv_to=127.0.0.1:$P" srv_tcp6=1
expect "map 127.0.0.0/8: python3's connect reached the kernel as" \
	AF_INET6/::ffff:127.0.0.1 "$(kernel_connects "$P")"
TRACE=1 expect_curl "map 127.0.0.0/8, from an AF_INET6 socket" 0 "$D" \
	127.0.0.1 "$P" 127.0.0.1 tcp6=1
expect "map 127.0.0.0/8: curl's connect reached the kernel as" \
	AF_INET6/::ffff:127.0.0.1 "$(kernel_connects "$P")"
expect_log "log: the mapped connect names $D:4 and the translated address" \
	"$tmp/d.log" call=connect family=inet "dest=127.0.0.1:$P" outcome=map \
	"rule=$D:4" "translated=[::ffff:127.0.0.1]:$P"

# --- map through NAT64 ---------------------------------------------------------------
# This namespace: n0 2001:db8:6::2/64, 2001:db8:64::/96 routed to the NAT64
# namespace, and no IPv4 but lo.  NAT64 namespace: n1 2001:db8:6::1/64;
# tayga (prefix 2001:db8:64::/96, IPv6 clients from 198.51.100.128/25);
# v0 192.0.2.1/24.  Server namespace, IPv4 only: v1 192.0.2.2/24.
nat64_topology
ip route add 2001:db8:64::/96 via 2001:db8:6::1 || itest_error "route to NAT64"
ip -n "$NAT" route add 2001:db8:64::/96 dev nat64 || itest_error "route prefix"
tayga_conf 2001:db8:64::/96 >"$tmp/tayga.conf"
background "$NAT" tayga -c "$tmp/tayga.conf" --nodetach
N=$(free_port "$V4")
start_server v4srv "$V4" "tcp:192.0.2.2:$N"

run_py "" tcp 192.0.2.2 "$N"
expect_step "NAT64: bare python3 to 192.0.2.2 (no IPv4 route here)" 1 \
	result=error stage=connect err=ENETUNREACH
# tayga needs a moment: the first test connection through it is the bare
# AF_INET6 one, waited for.
# shellcheck disable=SC2317 # run by wait_until
nat64_up()
{
	timeout "$(limit 3)" "$PYTHON" "$files/rules_client.py" tcp 2001:db8:64::c000:202 "$N" \
		>/dev/null 2>&1
}
wait_until "$bg_pid" nat64_up ||
	itest_error "no path through NAT64 to [2001:db8:64::c000:202]:$N"
conf n "# rules.sh: map through NAT64" \
	"stack = dual" \
	"translate-prefix = 2001:db8:64::/96" \
	"log = $tmp/n.log" \
	"map = 192.0.2.0/24"
NC=$conf
conf n0 "# rules.sh: the prefix, no map rule" \
	"stack = dual" \
	"translate-prefix = 2001:db8:64::/96"
run_py "$conf" tcp 192.0.2.2 "$N"
expect_step "NAT64 prefix, no map rule: python3 to 192.0.2.2 (the table's ipv4)" \
	1 result=error stage=connect err=ENETUNREACH
TRACE=1 run_py "$NC" tcp 192.0.2.2 "$N"
expect_step "map 192.0.2.0/24 via NAT64: python3 AF_INET to 192.0.2.2 connects, sees ('192.0.2.2', $N)" \
	1 gai=raw result=connected family=inet so_domain=inet peer=192.0.2.2 \
	peerlen=2 "srv_to=192.0.2.2:$N"
line=$(grep -E '^step=1 ' "$tmp/out")
srvpeer=$(field srv_peer "$line")
if in_cidr "${srvpeer:-none}" 198.51.100.128/25; then
	pass "map via NAT64: the IPv4-only server saw a NAT64 pool address ($srvpeer)"
else
	fail "map via NAT64: the server's peer" \
		"expected: an address in tayga's pool 198.51.100.128/25" \
		"got:      '${srvpeer:-none}'"
fi
expect "map via NAT64: the kernel saw connect" \
	AF_INET6/2001:db8:64::c000:202 "$(kernel_connects "$N")"
SERVER_LOG=$tmp/v4srv.log expect_curl "map via NAT64" 0 "$NC" 192.0.2.2 "$N"
expect_log "log: the NAT64 connect names $NC:5 and the translated address" \
	"$tmp/n.log" call=connect family=inet "dest=192.0.2.2:$N" outcome=map \
	"rule=$NC:5" "translated=[2001:db8:64::c000:202]:$N"

# --- 100,000 rules -------------------------------------------------------------------
# Generated: four kinds of rule in turn (an IPv4 address in 127.64.0.0/10,
# an IPv6 address in 2001:db8:ff::/64, an address in 127.128.0.0/9 with a
# port and tcp, a name under rules.stackshim.test), none of which fits the
# sample, and the sample's own rules at known lines.
big=$tmp/big.conf
"$PYTHON" - "$big" "$tmp/big.log" <<'EOF' || itest_error "generating $big"
import sys
path, log = sys.argv[1], sys.argv[2]
head = ["# rules.sh: 100,000 rules", "stack = dual", "log = " + log]
rules = []
for i in range(100000):
    k = i % 4
    if k == 0:
        rules.append("deny = 127.%d.%d.%d" % (64 + i // 65536 % 64,
                                              i // 256 % 256, i % 256))
    elif k == 1:
        rules.append("deny = 2001:db8:ff::%x:%x" % (i >> 16, i & 0xffff))
    elif k == 2:
        rules.append("deny = 127.%d.%d.%d %d tcp" % (128 + i // 65536 % 128,
                                                     i // 256 % 256, i % 256,
                                                     1024 + i % 60000))
    else:
        rules.append("allow = h%d.rules.stackshim.test" % i)
special = {
    20000: "deny = 127.0.0.8/29",
    50000: "deny = 127.0.0.7 8000-8099 tcp",
    75000: "allow = 127.0.0.9",
    98000: "deny = deep.stackshim.test",
    99990: "deny = 127.0.0.5",
}
for i, r in special.items():
    rules[i] = r
with open(path, "w") as f:
    f.write("\n".join(head + rules) + "\n")
EOF
# Line numbers: 3 lines of head, then rule i on line i + 4.
expect "the generated file has 100,003 lines" 100003 "$(wc -l <"$big")"
run_py "$big" tcp 127.0.0.1 "$P" tcp 127.0.0.5 "$P" tcp 127.0.0.6 "$P" \
	tcp 127.0.0.7 8050 tcp 127.0.0.7 8100 tcp 127.0.0.10 "$P" \
	tcp 127.0.0.9 "$P" tcp deep.stackshim.test "$P" tcp ::1 "$P" \
	udp 127.0.0.7 8000 tcp 2001:db8:1::1 "$P"
expect_step "100,000 rules: 127.0.0.1 (no rule: the table)" 1 result=connected
expect_step "100,000 rules: 127.0.0.5 (deny, line 99994): EACCES" 2 "${EACCES[@]}"
expect_step "100,000 rules: 127.0.0.6 (no rule)" 3 result=connected
expect_step "100,000 rules: 127.0.0.7:8050 (deny 8000-8099 tcp, line 50004): EACCES" \
	4 "${EACCES[@]}"
expect_step "100,000 rules: 127.0.0.7:8100 (outside the range)" 5 \
	result=connected
expect_step "100,000 rules: 127.0.0.10 (deny 127.0.0.8/29, line 20004): EACCES" \
	6 "${EACCES[@]}"
expect_step "100,000 rules: 127.0.0.9 (allow, line 75004, inside the /29)" 7 \
	result=connected
expect_step "100,000 rules: deep.stackshim.test (deny, line 98004): EAI_NONAME" \
	8 "${NONAME[@]}"
expect_step "100,000 rules: ::1 (no rule)" 9 result=connected
expect_step "100,000 rules: UDP to 127.0.0.7:8000 (the tcp range does not fit)" \
	10 result=connected
expect_step "100,000 rules: 2001:db8:1::1 (no rule)" 11 result=connected
expect_log "100,000 rules: the log names line 99994 for 127.0.0.5" \
	"$tmp/big.log" call=connect "dest=127.0.0.5:$P" outcome=deny \
	"rule=$big:99994" error=EACCES
expect_log "100,000 rules: the log names line 50004 for 127.0.0.7:8050" \
	"$tmp/big.log" call=connect "dest=127.0.0.7:8050" "rule=$big:50004" \
	error=EACCES
expect_curl "100,000 rules" 7 "$big" 127.0.0.5 "$P"
expect_curl "100,000 rules" 0 "$big" 127.0.0.6 "$P"

finish
