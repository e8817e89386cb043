#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/integration/emulation.sh - the shim's emulated single-stack hosts
# against real ones: the same client, the same destinations, the same
# outcome class.
#
#   dual    this test's private namespace: e0 192.0.2.1/24 + 2001:db8::1/64,
#           listeners on 192.0.2.1:P, [2001:db8::1]:P and 127.0.0.1:P
#   v4only  namespace, IPv6 disabled (disable_ipv6 sysctls): e0 192.0.2.1/24, listeners on
#           192.0.2.1:P and 127.0.0.1:P
#   v6only  namespace, no IPv4 address but loopback (lo keeps 127.0.0.1, as
#           on every real IPv6-only Linux host): e0 2001:db8::1/64,
#           listeners on [2001:db8::1]:P and 127.0.0.1:P
#   names   v4.stackshim.test A 192.0.2.1, v6.stackshim.test AAAA
#           2001:db8::1, both.stackshim.test both
#
# (a) `stackshim --stack ipv4` in dual      vs (b) no shim in v4only
# (a) `stackshim --stack ipv6 --mapped no`  vs (b) no shim in v6only
#
# The client is client.py (lib.sh): getaddrinfo with AI_ADDRCONFIG, as
# programs that care about the host's stacks ask, then socket + connect; and,
# for literals, socket(literal's family) + connect with no resolution.  The
# classes compared: connected-v4 / connected-v6 (which listener), refused,
# unreachable (ENETUNREACH, EHOSTUNREACH, EADDRNOTAVAIL, EAFNOSUPPORT: the
# family cannot be used), name-not-found (EAI_NONAME, EAI_ADDRFAMILY,
# EAI_NODATA).  The real host's class is first checked against what an
# IPv4-only (IPv6-only) host gives, so that a broken namespace cannot make
# the comparison pass vacuously.

# shellcheck source-path=SCRIPTDIR source=lib.sh
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/integration/lib.sh"
ITEST_HOSTS_EXTRA='192.0.2.1	v4.stackshim.test
2001:db8::1	v6.stackshim.test
192.0.2.1	both.stackshim.test
2001:db8::1	both.stackshim.test'
itest_init "$@"

V4=v4only$ITEST_ID
V6=v6only$ITEST_ID
write_programs

# The dual-stack host: this namespace.
veth e0 "" e1 ""
ip addr add 192.0.2.1/24 dev e0 || itest_error "address e0"
ip addr add 2001:db8::1/64 dev e0 nodad || itest_error "address e0 v6"
start_listener dual "" 192.0.2.1 2001:db8::1 127.0.0.1
P=$listen_port

# The real IPv4-only host.
netns_add "$V4"
ip -n "$V4" link add e0 type veth peer name e1 || itest_error "veth in $V4"
for dev in e0 e1; do
	ip -n "$V4" link set "$dev" up || itest_error "$dev up in $V4"
done
ipv6_off "$V4"
ip -n "$V4" addr add 192.0.2.1/24 dev e0 || itest_error "address e0 in $V4"
start_listener_at v4only "$V4" "$P" 192.0.2.1 127.0.0.1

# The real IPv6-only host.
netns_add "$V6"
ip -n "$V6" link add e0 type veth peer name e1 || itest_error "veth in $V6"
for dev in e0 e1; do
	ip -n "$V6" link set "$dev" up || itest_error "$dev up in $V6"
done
ip -n "$V6" addr add 2001:db8::1/64 dev e0 nodad ||
	itest_error "address e0 in $V6"
start_listener_at v6only "$V6" "$P" 2001:db8::1 127.0.0.1

expect "$V4 has no IPv6 address" "" "$(ip -n "$V4" -6 -o addr show)"
expect "$V6 has no IPv4 address but loopback" "lo 127.0.0.1/8" \
	"$(ip -n "$V6" -4 -o addr show | awk '{print $2, $4}')"
echo "listeners: dual 192.0.2.1:$P [2001:db8::1]:$P 127.0.0.1:$P;" \
	"$V4 192.0.2.1:$P 127.0.0.1:$P; $V6 [2001:db8::1]:$P 127.0.0.1:$P"

# class LINE: the outcome class of one client.py output line.
class()
{
	local result err listener
	result=$(field result "$1")
	err=$(field err "$1")
	listener=$(field srv_listener "$1")
	case $result:$err:$listener in
	connected:*:*:*) echo connected-v6 ;;
	connected:*:*.*) echo connected-v4 ;;
	error:ECONNREFUSED:*) echo refused ;;
	error:ENETUNREACH:* | error:EHOSTUNREACH:* | error:EADDRNOTAVAIL:* | \
		error:EAFNOSUPPORT:*)
		echo unreachable ;;
	error:EAI_NONAME:* | error:EAI_ADDRFAMILY:* | error:EAI_NODATA:*)
		echo name-not-found ;;
	*) echo "other(${1:-no output})" ;;
	esac
}

seq=0
# outcome NETNS MODE HOST PORT [POLICY-OPTION...]: the class of one client
# run, in $cls; its output line in $line.
outcome()
{
	local ns=$1 mode=$2 host=$3 port=$4 flags=
	shift 4
	seq=$((seq + 1))
	[ "$mode" = gai ] && flags=--addrconfig
	if [ -n "$ns" ]; then
		capture ip netns exec "$ns" "$PYTHON" "$tmp/client.py" $flags \
			"$mode" "$host" "$port" "e$seq"
	else
		capture "$STACKSHIM" "$@" -- "$PYTHON" "$tmp/client.py" $flags \
			"$mode" "$host" "$port" "e$seq"
	fi
	line=$(head -n 1 "$tmp/out")
	cls=$(class "$line")
}

# compare LABEL REALNS REAL-CLASS MODE HOST PORT POLICY-OPTION...: the real
# host gives REAL-CLASS, and the shim on the dual-stack host the same.
compare()
{
	local label=$1 ns=$2 want=$3 mode=$4 host=$5 port=$6 real_line real
	shift 6
	outcome "$ns" "$mode" "$host" "$port"
	real=$cls real_line=$line
	if [ "$real" != "$want" ]; then
		fail "$label: $mode $host:$port on the real host ($ns)" \
			"expected: $want" "got:      $real ($real_line)" \
			"$(show_output)"
	fi
	outcome "" "$mode" "$host" "$port" "$@"
	if [ "$cls" == "$real" ]; then
		pass "$label: $mode $host:$port: $cls, emulated and real"
	else
		fail "$label: $mode $host:$port: emulated vs real" \
			"real ($ns, no shim):     $real ($real_line)" \
			"emulated (stackshim $*): $cls ($line)" \
			"$(sed 's/^/  stderr| /' "$tmp/err" | head -n 5)"
	fi
}

C=9 # a closed port: nothing listens there in any of the namespaces

# mode host port | real IPv4-only class | real IPv6-only class
cases='
gai v4.stackshim.test   P  connected-v4   name-not-found
gai v6.stackshim.test   P  name-not-found connected-v6
gai both.stackshim.test P  connected-v4   connected-v6
gai 192.0.2.1           P  connected-v4   name-not-found
gai 2001:db8::1         P  name-not-found connected-v6
raw 192.0.2.1           P  connected-v4   unreachable
raw 2001:db8::1         P  unreachable    connected-v6
gai v4.stackshim.test   C  refused        name-not-found
gai v6.stackshim.test   C  name-not-found refused
gai both.stackshim.test C  refused        refused
raw 192.0.2.1           C  refused        unreachable
raw 2001:db8::1         C  unreachable    refused
raw 127.0.0.1           P  connected-v4   connected-v4
raw 127.0.0.1           C  refused        refused
'
while read -r mode host port want4 want6; do
	[ -n "$mode" ] || continue
	case $port in P) port=$P ;; C) port=$C ;; esac
	compare "IPv4-only" "$V4" "$want4" "$mode" "$host" "$port" --stack ipv4
	compare "IPv6-only" "$V6" "$want6" "$mode" "$host" "$port" \
		--stack ipv6 --mapped no
done <<<"$cases"

finish
