#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/integration/cells.sh - the 36 cells of the selection table (SPEC §1),
# each one observed at the API (SPEC §2) by a real client program run under
# the launcher, against real listeners.
#
# One private network namespace; lo carries 192.0.2.1, ::1, 2001:db8::1 and
# 2001:db8::5; three listeners share one port: 192.0.2.1:P, [::1]:P and
# [2001:db8::1]:P (the IPv6 ones IPV6_V6ONLY), each answering with which
# listener it is, the peer it saw and whether the client's socket is an
# AF_INET6 one at a mapped address (/proc/net/tcp6).
#
# Hosts, by kind (SPEC §1):
#   ipv4  192.0.2.1, v4.stackshim.test (A 192.0.2.1), ::ffff:192.0.2.1
#   ipv6  ::1, v6.stackshim.test (AAAA 2001:db8::1), v6lo.stackshim.test
#         (AAAA ::1: glibc's files backend answers an AF_INET query for such
#         a name with 192.0.2.1, which must not make it an IPv4 host)
#   both  both.stackshim.test (192.0.2.1 and 2001:db8::1)
# Local addresses (--local-address), by kind, in two sets:
#   set A (the plain ones)   ipv4 192.0.2.1  ipv6 ::1          both both.stackshim.test
#   set B (seen in the peer) ipv4 192.0.2.5  ipv6 2001:db8::5  both lcl.stackshim.test
#         (set B's addresses differ from what the kernel would pick, so the
#         peer each listener sees proves the shim bound the local address)
# Clients (tests/integration/lib.sh, client.py):
#   gai   getaddrinfo(AF_UNSPEC) + socket + connect, as create_connection
#   raw   socket(family of the literal) + connect, as a legacy program
#
# The expected outcomes are SPEC §1's table transcribed below, never what
# `stackshim table` says; prefer = ipv4 and mapped = no runs apply SPEC §1's
# two stated substitutions to that transcription.

# shellcheck source-path=SCRIPTDIR source=lib.sh
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/integration/lib.sh"

ITEST_HOSTS_EXTRA='192.0.2.1	v4.stackshim.test
2001:db8::1	v6.stackshim.test
::1	v6lo.stackshim.test
192.0.2.1	both.stackshim.test
2001:db8::1	both.stackshim.test
192.0.2.5	lcl.stackshim.test
2001:db8::5	lcl.stackshim.test'
itest_init "$@"

# --- SPEC §1, the 36 cells: tests/table.txt --------------------------------------
# stack local  host=ipv4  host=ipv6  host=both; "prefer" and "map" are
# resolved by run_table for the policy it runs.
TABLE=$(grep -v '^#' "$top_srcdir/tests/table.txt") ||
	itest_error "read $top_srcdir/tests/table.txt"

ip addr add 192.0.2.1/32 dev lo || itest_error "add 192.0.2.1"
ip addr add 192.0.2.5/32 dev lo || itest_error "add 192.0.2.5"
ip addr add 2001:db8::1/128 dev lo nodad || itest_error "add 2001:db8::1"
ip addr add 2001:db8::5/128 dev lo nodad || itest_error "add 2001:db8::5"
write_programs
start_listener cells "" 192.0.2.1 ::1 2001:db8::1
P=$listen_port
echo "listeners on 192.0.2.1:$P [::1]:$P [2001:db8::1]:$P"

seq=0
# run_client MODE HOST [POLICY-OPTION...]: client.py under the launcher
# (no options at all: without it); sets $line (its output), $tag.
run_client()
{
	local mode=$1 host=$2
	shift 2
	seq=$((seq + 1))
	tag=c$seq
	if [ $# -eq 0 ]; then
		capture "$PYTHON" "$tmp/client.py" "$mode" "$host" "$P" "$tag"
	else
		capture "$STACKSHIM" "$@" -- \
			"$PYTHON" "$tmp/client.py" "$mode" "$host" "$P" "$tag"
	fi
	line=$(head -n 1 "$tmp/out")
}

# want NAME EXPECTED: one expectation on the current run's output; the
# mismatches are gathered in $bad.
want()
{
	local got
	got=$(field "$1" "$line")
	if [ "$got" != "$2" ]; then
		bad+=("$1: expected '$2', got '$got'")
	fi
}

# want_one_of NAME VALUE...
want_one_of()
{
	local got v name=$1
	shift
	got=$(field "$name" "$line")
	for v in "$@"; do
		[ "$got" == "$v" ] && return
	done
	bad+=("$name: expected one of '$*', got '$got'")
}

# want_gai FAMILY/ADDR[,FAMILY/ADDR]: the getaddrinfo results are those
# addresses, the first one first (a repeat is glibc's, not the shim's:
# compare as a set).  The second is a dual stack's fallback (SPEC §2).
want_gai()
{
	local got want
	got=$(field gai "$line" | tr ',' '\n' | sort -u | paste -sd, -)
	want=$(tr ',' '\n' <<<"$1" | sort -u | paste -sd, -)
	if [ "$got" != "$want" ] ||
		[ "$(field gai "$line" | cut -d, -f1)" != "${1%%,*}" ]; then
		bad+=("getaddrinfo results: expected '$1', got '$(field gai "$line")'")
	fi
}

# report WHAT: pass or fail the current run on $bad.  The client writes
# nothing on stderr, nor may the shim with logging off (the default).
report()
{
	if [ -s "$tmp/err" ]; then
		bad+=("stderr: expected nothing, got:"
			"$(sed 's/^/stderr| /' "$tmp/err" | head -n 5)")
	fi
	if [ ${#bad[@]} -eq 0 ]; then
		pass "$1"
		return
	fi
	fail "$1" "${bad[@]}" "client said: $line" \
		"(exit $status$(status_note "$status"))"
}

# --- the harness itself: every host reachable without the shim ------------------
for host in 192.0.2.1 v4.stackshim.test ::ffff:192.0.2.1 ::1 \
	v6.stackshim.test v6lo.stackshim.test both.stackshim.test; do
	for mode in gai raw; do
		case $mode:$host in raw:*[a-z]*) continue ;; esac
		run_client "$mode" "$host"
		bad=()
		want result connected
		case $host in
		192.0.2.1 | v4.* | ::ffff:*) want srv_listener 192.0.2.1 ;;
		::1 | v6lo.*) want srv_listener ::1 ;;
		v6.*) want srv_listener 2001:db8::1 ;;
		esac
		report "without the shim: $mode client reaches $host"
	done
done
if [ "$failures" -ne 0 ]; then
	give_up "the listeners or the hosts file do not work; no point going on"
fi

# --- the cells -----------------------------------------------------------------------

# local_address SET KIND: the --local-address value (empty for none).
local_address()
{
	case $1:$2 in
	*:none) echo "" ;;
	A:ipv4) echo 192.0.2.1 ;;
	A:ipv6) echo ::1 ;;
	A:both) echo both.stackshim.test ;;
	B:ipv4) echo 192.0.2.5 ;;
	B:ipv6) echo 2001:db8::5 ;;
	B:both) echo lcl.stackshim.test ;;
	esac
}

# local_member SET KIND FAMILY: the local address of FAMILY (4 or 6) the shim
# binds for local KIND, empty when it binds none.
local_member()
{
	case $1:$2:$3 in
	*:none:*) echo "" ;;
	A:ipv4:4 | A:both:4) echo 192.0.2.1 ;;
	A:ipv6:6) echo ::1 ;;
	A:both:6) echo 2001:db8::1 ;;
	B:ipv4:4 | B:both:4) echo 192.0.2.5 ;;
	B:ipv6:6 | B:both:6) echo 2001:db8::5 ;;
	esac
}

# check_cell LABEL STACK MAPPED LOCALSET LOCALKIND HOSTKIND HOST MODE
#   OUTCOME POLICY-OPTION...: run one client and hold it to OUTCOME.
check_cell()
{
	local label=$1 stack=$2 mapped=$3 set=$4 lkind=$5 hkind=$6 host=$7
	local mode=$8 outcome=$9 literal=no fam l4 l6 v6dst refused=no fb4 fb6
	shift 9
	case $host in *[a-z]*.stackshim.test) ;; *) literal=yes ;; esac
	case $host in *:*) fam=6 ;; *) fam=4 ;; esac
	case $host in ::1 | v6lo.*) v6dst=::1 ;; *) v6dst=2001:db8::1 ;; esac
	l4=$(local_member "$set" "$lkind" 4)
	l6=$(local_member "$set" "$lkind" 6)
	# SPEC §2, fallback: a dual stack that reaches both families of a
	# name answers the other one's addresses after the outcome's.
	fb4="" fb6=""
	if [ "$stack:$hkind" = dual:both ] &&
		{ [ "$lkind" = none ] || [ "$lkind" = both ]; }; then
		fb4=,AF_INET6/2001:db8::1 fb6=,AF_INET/192.0.2.1
	fi
	# SPEC §2, socket: the stack that refuses a family outright (an
	# ipv6 stack with mapped = no has AF_INET sockets, as real
	# IPv6-only hosts do, which reach only loopback).
	if [ "$mode" = raw ]; then
		case $stack:$mapped:$fam in
		ipv4:*:6) refused=yes ;;
		esac
	fi

	run_client "$mode" "$host" "$@"
	bad=()
	case $outcome in
	ipv4)
		want result connected
		want srv_listener 192.0.2.1
		want srv_peer "${l4:-192.0.2.1}"
		if [ "$mode" = raw ] || [ "$host" != ::ffff:192.0.2.1 ]; then
			want family AF_INET
			want peer 192.0.2.1
			want peerlen 2
		fi
		if [ "$mode" = gai ] && [ "$host" != ::ffff:192.0.2.1 ]; then
			want_gai "AF_INET/192.0.2.1$fb4"
		fi
		# SPEC §2: only an ipv6 stack, or a dual one with an IPv6
		# local address, upgrades AF_INET sockets; here the client's
		# AF_INET socket must stay one.
		if [ "$host" != ::ffff:192.0.2.1 ] &&
			{ [ "$lkind" = none ] || [ "$lkind" = ipv4 ]; }; then
			want srv_tcp6 0
		fi
		;;
	ipv6)
		want result connected
		want srv_listener "$v6dst"
		want srv_peer "${l6:-$v6dst}"
		want family AF_INET6
		want peer "$v6dst"
		[ "$mode" = gai ] && want_gai "AF_INET6/$v6dst$fb6"
		;;
	map)
		want result connected
		want srv_listener 192.0.2.1
		# SPEC §2: a mapped connection leaves through the IPv4 stack;
		# the policy's IPv6 local address is not bound for it; the IPv4
		# member of a local name may be.
		if [ "$lkind" = both ]; then
			want_one_of srv_peer 192.0.2.1 "$l4"
		else
			want srv_peer 192.0.2.1
		fi
		# An AF_INET6 socket underneath, in either client.
		want srv_tcp6 1
		if [ "$mode" = gai ]; then
			want_gai AF_INET6/::ffff:192.0.2.1
			want family AF_INET6
			want peer ::ffff:192.0.2.1
		else
			# The legacy program's upgraded socket: everything
			# handed back is a sockaddr_in.
			want family AF_INET
			want peer 192.0.2.1
			want peerlen 2
			want locallen 2
		fi
		;;
	fail-host)
		want result error
		if [ "$mode" = gai ]; then
			want stage gai
			if [ "$literal" = yes ]; then
				want err EAI_ADDRFAMILY
			else
				want err EAI_NONAME
			fi
		elif [ "$refused" = yes ]; then
			want stage socket
			want err EAFNOSUPPORT
		else
			want stage connect
			want err ENETUNREACH
		fi
		;;
	fail-local)
		want result error
		if [ "$mode" = gai ]; then
			# EAI_SYSTEM with errno EADDRNOTAVAIL.
			want stage gai
			want err EADDRNOTAVAIL
		elif [ "$refused" = yes ]; then
			want stage socket
			want err EAFNOSUPPORT
		else
			want stage connect
			want err EADDRNOTAVAIL
		fi
		;;
	esac
	if [ "$outcome" != ipv4 ] && [ "$outcome" != ipv6 ] &&
		[ "$outcome" != map ]; then
		# No connection may have reached any listener.
		if [ -n "$(server_saw cells "$tag")" ]; then
			bad+=("a listener got the connection: $(server_saw cells "$tag")")
		fi
	fi
	report "$label stack=$stack local=$lkind${l4:+ $l4}${l6:+ $l6} host=$hkind $host $mode: $outcome"
}

# run_table LABEL PREFER MAPPED SETS [ROWS]: every cell under that policy,
# for the local-address sets named in SETS, in every row or in the rows
# named STACK:LOCAL in ROWS.
run_table()
{
	local label=$1 prefer=$2 mapped=$3 sets=$4 rows=${5:-}
	local stack lkind o4 o6 ob set hkind host mode outcome laddr opts
	while read -r stack lkind o4 o6 ob; do
		[ -n "$stack" ] || continue
		if [ -n "$rows" ] && [[ " $rows " != *" $stack:$lkind "* ]]; then
			continue
		fi
		for set in $sets; do
			[ "$lkind" = none ] && [ "$set" != A ] && continue
			laddr=$(local_address "$set" "$lkind")
			opts=(--stack "$stack" --prefer "$prefer" --mapped "$mapped")
			[ -n "$laddr" ] && opts+=(--local-address "$laddr")
			for host in 192.0.2.1 v4.stackshim.test ::ffff:192.0.2.1 \
				::1 v6.stackshim.test v6lo.stackshim.test \
				both.stackshim.test; do
				case $host in
				192.0.2.* | v4.* | ::ffff:*) hkind=ipv4 outcome=$o4 ;;
				::1 | v6.* | v6lo.*) hkind=ipv6 outcome=$o6 ;;
				both.*) hkind=both outcome=$ob ;;
				esac
				# SPEC §1: prefer decides the marked cells;
				# mapped = no turns every map cell into fail-host.
				[ "$outcome" = prefer ] && outcome=$prefer
				[ "$outcome" = map ] && [ "$mapped" = no ] &&
					outcome=fail-host
				for mode in gai raw; do
					case $mode:$host in
					raw:*[a-z]* | raw:::ffff:*) continue ;;
					esac
					check_cell "[$label]" "$stack" "$mapped" \
						"$set" "$lkind" "$hkind" "$host" \
						"$mode" "$outcome" "${opts[@]}"
				done
			done
		done
	done <<<"$TABLE"
}

run_table "defaults" ipv6 yes "A B"
# The rows each setting can change: prefer the dual rows with a prefer cell;
# mapped = no the rows with a map cell, and every ipv6 row, where it also
# refuses AF_INET sockets (SPEC §2).
run_table "prefer=ipv4" ipv4 yes "A" "dual:none dual:both"
run_table "mapped=no" ipv6 no "A" \
	"dual:ipv6 ipv6:none ipv6:ipv4 ipv6:ipv6 ipv6:both"

finish
