# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# shellcheck disable=SC2034,SC2154 # used by the tests that source it; set by lib.sh
# tests/integration/files/dns64_lib.sh - the DNS64 and NAT64 of nat64.sh
# and dns64.sh, sourced after rules_lib.sh, never run itself.
#
#   nat64_scene       nat64_topology, dns64_setup and the servers: N the
#                     IPv4-only server's port (TCP on every address, UDP
#                     on 192.0.2.2 and 11.0.0.2), L a local service's
#                     (TCP on 127.0.0.1 and ::1)
#   dns64_setup       the v4 server's second address 11.0.0.2 (a global
#                     one, for the well-known prefix), the zones, and this
#                     namespace's resolver: the DNS64 (hosts: files dns)
#   nat64_start P A   tayga and unbound (dns64 module) with the prefix P,
#                     routes to P, waiting until the DNS64 answers and a
#                     bare connection to [A]:$N gets through tayga
#   dns64_restart M   unbound again with modules M ("iterator": a resolver
#                     that is no DNS64), the prefix left as it was
#   dns_queries       how many AAAA questions for ipv4only.arpa unbound
#                     has logged so far (log-queries)
#
# The DNS64 is unbound at 2001:db8:6::1 in $NAT, authoritative for
# stackshim.test (v4only: 192.0.2.2, global: 11.0.0.2, A records only)
# and ipv4only.arpa, refusing every other name, with no route out.

nat64_scene()
{
	nat64_topology
	dns64_setup
	N=$(free_port "$V4")
	start_server v4srv "$V4" "tcp:0.0.0.0:$N" "udp:192.0.2.2:$N" \
		"udp:11.0.0.2:$N"
	L=$(free_port "")
	start_server local "" "tcp:127.0.0.1:$L" "tcp:[::1]:$L"
}

dns64_setup()
{
	ip -n "$NAT" addr add 11.0.0.1/24 dev v0 || itest_error "address v0"
	ip -n "$V4" addr add 11.0.0.2/24 dev v1 || itest_error "address v1"
	mkdir -p "$tmp/dns"
	cat >"$tmp/dns/stackshim.test.zone" <<'EOF'
$ORIGIN stackshim.test.
$TTL 60
@	IN SOA	ns hostmaster 1 60 60 60 60
@	IN NS	ns
ns	IN AAAA	2001:db8:6::1
v4only	IN A	192.0.2.2
global	IN A	11.0.0.2
EOF
	cat >"$tmp/dns/ipv4only.arpa.zone" <<'EOF'
$ORIGIN ipv4only.arpa.
$TTL 60
@	IN SOA	ns hostmaster 1 60 60 60 60
@	IN NS	ns
ns	IN AAAA	2001:db8:6::1
@	IN A	192.0.0.170
@	IN A	192.0.0.171
EOF
	printf 'nameserver 2001:db8:6::1\noptions attempts:2 timeout:2\n' \
		>"$tmp/resolv.dns64"
	mount --bind "$tmp/resolv.dns64" /etc/resolv.conf ||
		itest_error "bind /etc/resolv.conf"
	sed 's/^hosts:.*/hosts: files dns/' /etc/nsswitch.conf \
		>"$tmp/nsswitch.dns64"
	mount --bind "$tmp/nsswitch.dns64" /etc/nsswitch.conf ||
		itest_error "bind /etc/nsswitch.conf"
	unbound_pid=
	tayga_pid=
	nat64_route=
}

# unbound_conf PREFIX [MODULES]: the DNS64's config for PREFIX (MODULES
# "iterator": a resolver that is no DNS64).  Every question is logged
# (dns_queries).
unbound_conf()
{
	cat <<EOF
server:
	interface: 2001:db8:6::1
	port: 53
	do-ip4: no
	do-daemonize: no
	username: ""
	chroot: ""
	directory: "$tmp/dns"
	pidfile: ""
	use-syslog: no
	logfile: "$tmp/dns/unbound.log"
	log-queries: yes
	access-control: ::/0 allow
	module-config: "${2:-dns64 iterator}"
	dns64-prefix: $1
	local-zone: "." refuse
	local-zone: "stackshim.test." transparent
	local-zone: "ipv4only.arpa." transparent
auth-zone:
	name: "stackshim.test."
	zonefile: "$tmp/dns/stackshim.test.zone"
	for-upstream: yes
	for-downstream: no
	fallback-enabled: no
auth-zone:
	name: "ipv4only.arpa."
	zonefile: "$tmp/dns/ipv4only.arpa.zone"
	for-upstream: yes
	for-downstream: no
	fallback-enabled: no
remote-control:
	control-enable: no
EOF
}

# dns_up: the DNS64 answers.
# shellcheck disable=SC2317 # run by wait_until
dns_up()
{
	"$PYTHON" -c 'import socket; socket.getaddrinfo("ipv4only.arpa", 1, socket.AF_INET6)' \
		>/dev/null 2>&1
}

# dns_any: the resolver answers (an A record).
# shellcheck disable=SC2317 # run by wait_until
dns_any()
{
	"$PYTHON" -c 'import socket; socket.getaddrinfo("ipv4only.arpa", 1, socket.AF_INET)' \
		>/dev/null 2>&1
}

# nat64_up ADDR: a bare AF_INET6 connection through tayga gets to the v4
# server's port $N.
# shellcheck disable=SC2317 # run by wait_until
nat64_up()
{
	timeout "$(limit 3)" "$PYTHON" "$files/rules_client.py" tcp "$1" "$N" \
		>/dev/null 2>&1
}

# unbound_start PREFIX [MODULES]: unbound (stopped first if running).
unbound_start()
{
	if [ -n "$unbound_pid" ]; then
		kill "$unbound_pid" 2>/dev/null
		wait "$unbound_pid" 2>/dev/null
	fi
	unbound_conf "$@" >"$tmp/dns/unbound.conf"
	background "$NAT" unbound -c "$tmp/dns/unbound.conf"
	unbound_pid=$bg_pid
	dns64_prefix=$1
}

# nat64_start PREFIX ADDR: see the top of this file.
nat64_start()
{
	if [ -n "$tayga_pid" ]; then
		kill "$tayga_pid" 2>/dev/null
		wait "$tayga_pid" 2>/dev/null
	fi
	ip -n "$NAT" route flush dev nat64 proto static 2>/dev/null
	ip -n "$NAT" route add 198.51.100.128/25 dev nat64 2>/dev/null
	ip -n "$NAT" route add "$1" dev nat64 || itest_error "route $1 in $NAT"
	[ -n "$nat64_route" ] && ip route del "$nat64_route"
	ip route add "$1" via 2001:db8:6::1 || itest_error "route $1"
	nat64_route=$1
	tayga_conf "$1" >"$tmp/tayga.conf"
	background "$NAT" tayga -c "$tmp/tayga.conf" --nodetach
	tayga_pid=$bg_pid
	unbound_start "$1"
	wait_until "$unbound_pid" dns_up ||
		itest_error "the DNS64 did not answer (prefix $1)"
	wait_until "$tayga_pid" nat64_up "$2" ||
		itest_error "no path through NAT64 to [$2]:$N"
}

# dns64_restart MODULES: see the top of this file.
dns64_restart()
{
	unbound_start "$dns64_prefix" "$1"
	wait_until "$unbound_pid" dns_any ||
		itest_error "the resolver did not answer ($1)"
}

# dns_queries: see the top of this file.
dns_queries()
{
	grep -c 'ipv4only\.arpa\. AAAA IN' "$tmp/dns/unbound.log" 2>/dev/null
}
