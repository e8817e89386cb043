#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/shim/resolve.sh - the name-resolution hooks (getaddrinfo,
# gethostbyname*, getnameinfo) against SPEC §1's table and §2's getaddrinfo
# and gethostbyname* rows, and getaddrinfo()'s lists freed by libc's
# freeaddrinfo().
#
# Every probe runs in a mount and network namespace of its own, whose
# /etc/hosts and /etc/nsswitch.conf ("hosts: files") are the test's, whose
# only interface is loopback, and whose extra addresses (192.0.2.254 and
# 2001:db8::fe on lo, as the host mode says) are what AI_ADDRCONFIG sees:
# no query ever leaves the machine.  Only names under .stackshim.test are
# resolved.
#
# The cases are the generated cross product of SPEC §1's table below, the
# lines of tests/shim/resolve-cases.txt, bad input checked bare and shimmed,
# lists freed under valgrind, and an IPv4-only client reaching an IPv6-only
# name through its peer-pool address (SPEC §3 peer-pool) end to end.
#
# Needs top_builddir and top_srcdir (absolute, as make check exports them),
# a C compiler (${CC:-cc}), unshare and ip, and valgrind for the freeing
# checks; exits 77 (skip) when the namespaces cannot be made, 99 when the
# library or the probe cannot be built, 1 after reporting every mismatch as
# expected vs got.

set -u

: "${top_srcdir:?top_srcdir must be set}"
# shellcheck source=tests/shim/lib.sh
. "$top_srcdir/tests/shim/lib.sh"

if ! ${CC:-cc} -Wall -Wextra -o "$tmp/probe" \
	"$top_srcdir/tests/shim/resolve-probe.c"; then
	echo "ERROR: cannot build the probe"
	exit 99
fi

printf '%s\n' "127.0.0.1 localhost" "::1 localhost" \
	"192.0.2.1 v4.stackshim.test v4alias.stackshim.test" \
	"2001:db8::1 v6.stackshim.test" \
	"2001:db8::4 v6b.stackshim.test v6balias.stackshim.test" \
	"2001:db8::5 v6two.stackshim.test" "2001:db8::6 v6two.stackshim.test" \
	"2001:db8::6 v6six.stackshim.test" \
	"192.0.2.2 both.stackshim.test" "2001:db8::2 both.stackshim.test" \
	"192.0.2.8 8.stackshim.test" "192.0.2.9 9.stackshim.test" \
	"192.0.2.12 cafe.stackshim.test" >"$tmp/hosts"
printf 'hosts: files\n' >"$tmp/nsswitch.conf"
: >"$tmp/empty.conf"
printf 'stack = ipv5\n' >"$tmp/broken.conf"
printf 'deny = 9.stackshim.test\ndeny = cafe.stackshim.test\n' >"$tmp/deny.conf"

# As root the namespaces need nothing more; otherwise a user namespace
# gives the rights to make them.
unshare=(unshare --mount --net)
[ "$(id -u)" -eq 0 ] || unshare+=(--user --map-root-user)

# in_ns MODE CMD... - CMD in a fresh namespace whose host has, besides
# loopback, the addresses MODE names (v4, v6, dual; peer: 2001:db8::1, the
# address of v6.stackshim.test, for a server of the test's own), and a
# /run of its own: the peer-pool is one per host (shim/poolfile.c), and
# the expected pool addresses are those a fresh pool gives, in call order.
in_ns()
{
	local mode=$1

	shift
	"${unshare[@]}" /bin/bash -c '
		set -e
		mount --bind "$0/hosts" /etc/hosts
		mount --bind "$0/nsswitch.conf" /etc/nsswitch.conf
		mount -t tmpfs -o mode=0755 stackshim-run /run
		ip link set lo up
		case $1 in v4|dual) ip addr add 192.0.2.254/32 dev lo ;; esac
		case $1 in v6|dual) ip addr add 2001:db8::fe/128 dev lo nodad ;; esac
		case $1 in peer) ip addr add 2001:db8::1/128 dev lo nodad ;; esac
		shift
		exec "$@"' "$tmp" "$mode" "$@"
}

if ! got=$(in_ns dual getent ahostsv4 v4.stackshim.test 2>&1) ||
	[ -z "$got" ]; then
	echo "SKIP: cannot make a mount and network namespace: $got"
	exit 77
fi

# settings_env SETTINGS - env's arguments for a case's settings: "bare"
# (no library), or words KEY=VALUE for STACKSHIM_KEY ('-' as '_') and
# conf=NAME for $tmp/NAME.conf instead of $tmp/empty.conf.
settings_env()
{
	local word key conf=$tmp/empty.conf out=()

	for word in $1; do
		case $word in
		bare)
			echo env
			return
			;;
		conf=*) conf=$tmp/${word#conf=}.conf ;;
		*)
			key=${word%%=*}
			key=${key^^}
			out+=("STACKSHIM_${key//-/_}=${word#*=}")
			;;
		esac
	done
	echo "env LD_PRELOAD=$preload STACKSHIM_CONF=$conf ${out[*]}"
}

# Cases queue up while their host mode and settings stay the same, and run
# as one probe.
q_key=""
q_calls=()
q_wants=()

flush()
{
	local mode=${q_key%%;*} settings=${q_key#*;} i
	local -a gots

	[ ${#q_calls[@]} -eq 0 ] && return
	# shellcheck disable=SC2046 # settings_env prints words on purpose
	mapfile -t gots < <(in_ns "$mode" $(settings_env "$settings") \
		"$tmp/probe" "${q_calls[@]}" 2>/dev/null)
	for i in "${!q_calls[@]}"; do
		expect "[$mode; $settings] ${q_calls[$i]}" \
			"${q_wants[$i]}" \
			"${gots[$i]-<no output>}"
	done
	q_calls=()
	q_wants=()
}

# case_add MODE SETTINGS CALL EXPECTED - queue a case.
case_add()
{
	if [ "$1;$2" != "$q_key" ]; then
		flush
		q_key="$1;$2"
	fi
	q_calls+=("$3")
	q_wants+=("$4")
}

# trim S - S without leading and trailing blanks.
trim()
{
	local s=$1

	s=${s#"${s%%[![:space:]]*}"}
	printf '%s' "${s%"${s##*[![:space:]]}"}"
}

# cases - case_add for each "MODE | SETTINGS | CALL | EXPECTED" line on
# stdin; blank lines and lines starting with # are skipped.
cases()
{
	local mode settings call want

	while IFS='|' read -r mode settings call want; do
		mode=$(trim "$mode")
		{ [ -z "$mode" ] || [ "${mode:0:1}" == "#" ]; } && continue
		case_add "$mode" "$(trim "$settings")" "$(trim "$call")" \
			"$(trim "$want")"
	done
	flush
}

# --- the selection table through getaddrinfo ---------------------------------
# SPEC §1's cells (tests/table.txt): stack, local, then the outcome for an
# ipv4, an ipv6 and a both host; "prefer" stands for the preferred family's
# outcome, "map" for fail-host when mapped = no.
mapfile -t cells < <(grep -v -e '^#' -e '^$' "$top_srcdir/tests/table.txt")
# Each local class as a local-address: none, literals, a name with both.
declare -A local_of=([none]="" [ipv4]=192.0.2.254 [ipv6]=2001:db8::fe
	[both]=both.stackshim.test)
# Destinations: node, kind, host class, its IPv4 and IPv6 answers.
dests=(
	"v4.stackshim.test name ipv4 192.0.2.1 -"
	"v6.stackshim.test name ipv6 - 2001:db8::1"
	"both.stackshim.test name both 192.0.2.2 2001:db8::2"
	"192.0.2.3 literal ipv4 192.0.2.3 -"
	"2001:db8::3 literal ipv6 - 2001:db8::3"
	"::ffff:192.0.2.4 mapped ipv4 192.0.2.4 -"
)
# Policies: stack, prefer, mapped.
policies=("ipv4 ipv6 yes" "dual ipv6 yes" "dual ipv4 yes" "ipv6 ipv6 yes"
	"ipv6 ipv6 no")

# gai_expect OUTCOME KIND V4 V6 STACK - what getaddrinfo(AF_UNSPEC,
# SOCK_STREAM, port 80) gives a destination with that outcome (SPEC §2);
# ipv4+ipv6 and ipv6+ipv4: the first with the other as its fallback.  KIND
# is name, literal or mapped (an IPv4-mapped literal, which stays libc's
# AF_INET6 answer where the stack has AF_INET6 sockets).
gai_expect()
{
	case $1 in
	ipv4)
		if [ "$2" == mapped ] && [ "$5" != ipv4 ]; then
			echo "0 inet6 ::ffff:$3 80 stream"
		else
			echo "0 inet $3 80 stream"
		fi
		;;
	ipv6) echo "0 inet6 $4 80 stream" ;;
	map) echo "0 inet6 ::ffff:$3 80 stream" ;;
	ipv4+ipv6) echo "0 inet $3 80 stream inet6 $4 80 stream" ;;
	ipv6+ipv4) echo "0 inet6 $4 80 stream inet $3 80 stream" ;;
	fail-local) echo "EAI_SYSTEM:EADDRNOTAVAIL" ;;
	*) [ "$2" == name ] && echo EAI_NONAME || echo EAI_ADDRFAMILY ;;
	esac
}

table_cases()
{
	local policy stack prefer mapped cell cstack local o4 o6 oboth
	local settings dest node kind host v4 v6 outcome ncases=0

	for policy in "${policies[@]}"; do
		read -r stack prefer mapped <<<"$policy"
		for cell in "${cells[@]}"; do
			read -r cstack local o4 o6 oboth <<<"$cell"
			[ "$cstack" == "$stack" ] || continue
			settings="stack=$stack prefer=$prefer mapped=$mapped"
			[ -n "${local_of[$local]}" ] &&
				settings+=" local-address=${local_of[$local]}"
			for dest in "${dests[@]}"; do
				read -r node kind host v4 v6 <<<"$dest"
				case $host in
				ipv4) outcome=$o4 ;;
				ipv6) outcome=$o6 ;;
				*) outcome=$oboth ;;
				esac
				# A dual stack falls back to the other family.
				if [ "$outcome" == prefer ] && [ "$host" == both ]; then
					[ "$prefer" == ipv4 ] && outcome=ipv4+ipv6 ||
						outcome=ipv6+ipv4
				fi
				[ "$outcome" == prefer ] && outcome=$prefer
				[ "$outcome" == map ] && [ "$mapped" == no ] &&
					outcome=fail-host
				case_add dual "$settings" "gai/$node/80/unspec/stream/0" \
					"$(gai_expect "$outcome" "$kind" "$v4" "$v6" "$stack")"
				ncases=$((ncases + 1))
			done
		done
	done
	flush
	expect "table cases through getaddrinfo" 120 "$ncases"
}

table_cases
cases <"$top_srcdir/tests/shim/resolve-cases.txt"

# --- bad input: libc's own answer, bare and under every stack ------------------
bad_calls=(
	"gai/v4.stackshim.test/80/unspec/stream/0x4000|EAI_BADFLAGS"
	"gai/v4.stackshim.test/80/7/stream/0x4000|EAI_BADFLAGS"
	"gai/2001:db8::3/80/inet6/stream/addrconfig,0x4000|EAI_BADFLAGS"
	"gai/v4.stackshim.test/80/7/stream/0|EAI_FAMILY"
	"gai/v4.stackshim.test/80/unspec/77/0|EAI_SOCKTYPE"
	"gai/v4.stackshim.test/nosuch/unspec/stream/0|EAI_SERVICE"
	"gai/v6.stackshim.test/nosuch/inet/stream/0|EAI_SERVICE"
	"gai/v4.stackshim.test/http/unspec/stream/numericserv|EAI_NONAME"
	"gai/-/80/unspec/stream/canonname|EAI_BADFLAGS"
	"gai/-/-/unspec/stream/0|EAI_NONAME"
	"gai/nosuch.stackshim.test/80/unspec/stream/0|EAI_NONAME"
	"ghbn2/v4.stackshim.test/7|h_errno=HOST_NOT_FOUND errno=0"
)
for settings in bare "stack=ipv4" "stack=dual" "stack=ipv6 mapped=no"; do
	for call in "${bad_calls[@]}"; do
		case_add dual "$settings" "${call%%|*}" "${call#*|}"
	done
done
flush

# --- freeaddrinfo under valgrind -------------------------------------------------
# Lists the shim edited in place (literals, entries left out, the head's
# canonical name moved), rewrote into new entries (peer-pool, translated)
# and libc's own, each freed tail first, then head.
# In a sanitizer build valgrind cannot run (ASan's runtime and its shadow
# memory): the same runs go without it, and ASan checks them, leaks too
# (tests/sanitizer-log.sh fails the test on any report of ours).
vg=(valgrind -q --error-exitcode=9 --leak-check=full)
[ -z "${SANITIZERS:-}" ] || vg=()
if [ -n "${SANITIZERS:-}" ] || command -v valgrind >/dev/null; then
	for settings in "stack=ipv6" "stack=ipv4" "stack=dual enforce=no" \
		"stack=ipv6 translate-prefix=2001:db8:100::/40"; do
		# shellcheck disable=SC2046 # settings_env prints words on purpose
		got=$(in_ns dual $(settings_env "$settings") "${vg[@]}" "$tmp/probe" \
			free/v4.stackshim.test/unspec free/both.stackshim.test/unspec \
			free/192.0.2.3/inet free/v6.stackshim.test/unspec \
			free/192.0.2.3/unspec free/::ffff:192.0.2.4/inet \
			gai/both.stackshim.test/80/unspec/0/canonname \
			gai/-/80/unspec/0/passive ghbn2/v4.stackshim.test/inet6 \
			ghbn2r/v4.stackshim.test/inet6/1024 \
			free/v6.stackshim.test/inet ghbn/v6.stackshim.test \
			ghbn2r/v6.stackshim.test/inet/1024 2>"$tmp/vg")
		status=$?
		expect "valgrind status under $settings" 0 "$status"
		expect "valgrind report under $settings" "" "$(cat "$tmp/vg")"
		expect "lines under valgrind and $settings" 13 \
			"$(grep -c . <<<"$got")"
	done
else
	echo "NOTE: valgrind is not installed: freeaddrinfo is not checked under it"
fi

# --- end to end: an IPv4-only client reaches an IPv6-only name ----------------
# A bare AF_INET6 server listens on [2001:db8::1]:8080 and writes each
# client the address it came from.  The same AF_INET client, resolving
# v6.stackshim.test with gethostbyname() then getaddrinfo(AF_INET), finds
# nothing bare; under an ipv6 stack it gets the pool address, connects to
# it, sees it as its peer and as the name's, and the server sees the real
# IPv6 source.  CPython's socket module does the same when it is there.
client_py='import socket, sys
name, port = sys.argv[1], int(sys.argv[2])
a = socket.gethostbyname(name)
ex = socket.gethostbyname_ex(name)
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.connect((a, port))
peer = s.getpeername()
host = socket.getnameinfo(peer, socket.NI_NAMEREQD)[0]
saw = s.makefile().readline().strip()
print("resolved", a, "peer %s:%d" % peer, "name", host, "server-saw", saw,
      "ex", ex[0], *ex[2])'
python=$(python3 -c 'import sys; print(sys.executable)' 2>/dev/null)
nconn=2
[ -n "$python" ] && nconn=3
reached="resolved 198.18.0.1 peer 198.18.0.1:8080 name v6.stackshim.test server-saw 2001:db8::1"
want="listening
resolve h_errno=HOST_NOT_FOUND
resolve EAI_NONAME
$reached
$reached"
[ -n "$python" ] && want+="
$reached ex v6.stackshim.test 198.18.0.1"
# shellcheck disable=SC2016 # expanded by the inner shell
got=$(in_ns peer /bin/bash -c '
	probe=$0 python=$1 client_py=$2 nconn=$3
	shim=(env LD_PRELOAD="$4" STACKSHIM_CONF="$5" STACKSHIM_STACK=ipv6)
	"$probe" "serve6/2001:db8::1/8080/$nconn"
	"$probe" tcp/v6.stackshim.test/8080/ghbn tcp/v6.stackshim.test/8080/gai
	"${shim[@]}" "$probe" tcp/v6.stackshim.test/8080/ghbn \
		tcp/v6.stackshim.test/8080/gai
	[ -z "$python" ] ||
		"${shim[@]}" "$python" -c "$client_py" v6.stackshim.test 8080
	' "$tmp/probe" "$python" "$client_py" "$nconn" "$preload" "$tmp/empty.conf" \
	2>&1)
expect "an AF_INET client reaches [2001:db8::1] through the pool" "$want" \
	"$got"
[ -n "$python" ] ||
	echo "NOTE: python3 is not installed: its client is not run"

finish
