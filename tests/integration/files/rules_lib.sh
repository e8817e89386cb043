# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# shellcheck disable=SC2034,SC2154 # used by the tests that source it; set by lib.sh
# tests/integration/files/rules_lib.sh - helpers of rules.sh, sections.sh
# and audit.sh, sourced after itest_init (tests/integration/lib.sh), never
# run.  Servers are rules_server.py, the python3 client rules_client.py;
# the main server is called srv (its log: $tmp/srv.log).
#
# CONF, where a helper takes one, says how a program is started:
#   ""          bare, no library
#   FILE        "$STACKSHIM" -c FILE --
#   env:FILE    STACKSHIM_CONF=FILE "$STACKSHIM" --

files=$top_srcdir/tests/integration/files
# The name the log gives the interpreter: /proc/self/exe's base name.
PYPROG=$(basename "$(readlink -f "$PYTHON")")

# What rules_client.py says of a connect refused with EACCES, and of a
# name getaddrinfo did not find.
EACCES=(result=error stage=connect exc=PermissionError errno=13 err=EACCES)
NONAME=(result=error stage=gai exc=gaierror err=EAI_NONAME)

seq=0

# start_server NAME NETNS SPEC...: rules_server.py in NETNS ("" = this
# one); its log is $tmp/NAME.log.
start_server()
{
	local name=$1 ns=$2
	shift 2
	: >"$tmp/$name.log"
	rm -f "$tmp/$name.ready"
	background "$ns" "$PYTHON" "$files/rules_server.py" "$tmp/$name.log" \
		"$tmp/$name.ready" "$@"
	wait_for_file "$tmp/$name.ready" 10 ||
		itest_error "server $name ($*) did not start"
}

# conf NAME LINE...: $tmp/NAME.conf, one LINE per line (line N is the Nth
# argument); sets $conf.
conf()
{
	conf=$tmp/$1.conf
	shift
	printf '%s\n' "$@" >"$conf"
}

# launch CONF: the words that start a program so, in the array $launcher;
# under strace -f -e trace=connect ($tmp/strace) when $TRACE is set.
launch()
{
	case $1 in
	"") launcher=() ;;
	env:*) launcher=(env "STACKSHIM_CONF=${1#env:}" "$STACKSHIM" --) ;;
	*) launcher=("$STACKSHIM" -c "$1" --) ;;
	esac
	if [ -n "${TRACE:-}" ]; then
		launcher=(strace -f -qq -yy -e trace=connect -o "$tmp/strace"
			"${launcher[@]}")
	fi
}

# has_words LINE WORD...: LINE has each WORD as a whole space-separated word.
has_words()
{
	local line=" $1 " w
	shift
	for w in "$@"; do
		[[ $line == *" $w "* ]] || return 1
	done
}

# hostport HOST PORT: HOST:PORT, or [HOST]:PORT for an IPv6 literal.
hostport()
{
	case $1 in
	*:*) echo "[$1]:$2" ;;
	*) echo "$1:$2" ;;
	esac
}

# run_http TOOL CONF HOST PORT: TOOL (curl or wget) gets http://HOST:PORT/TAG;
# sets $tag and $status, output in $tmp/out and $tmp/err.
run_http()
{
	local tool=$1 url
	seq=$((seq + 1))
	tag=h$seq
	url="http://$(hostport "$3" "$4")/$tag"
	launch "$2"
	case $tool in
	curl) capture "${launcher[@]}" curl -q -sS --max-time 5 "$url" ;;
	wget) capture "${launcher[@]}" wget --no-config -q -O - -T 5 -t 1 "$url" ;;
	esac
}

# served_tag: the server's line for the HTTP request of $tag, from
# $SERVER_LOG (default: $tmp/srv.log).
served_tag()
{
	grep -F -e "line=GET /$tag HTTP" "${SERVER_LOG:-$tmp/srv.log}" |
		head -n 1
}

# expect_http WHAT TOOL WANT CONF HOST PORT [ADDR [WORD...]]: TOOL's exit
# status is WANT ("fail": any clean failure, 1..123); when 0, the server
# answered this very request, at ADDR (default: HOST, a literal) and PORT,
# its line having each WORD too (tcp6=1...); else no request reached it.
expect_http()
{
	local what=$1 tool=$2 want=$3 c=$4 host=$5 port=$6 to srv
	shift 6
	run_http "$tool" "$c" "$host" "$port"
	srv=$(served_tag)
	what="$what: $tool http://$(hostport "$host" "$port")/"
	to=$(hostport "${1:-$host}" "$port")
	[ $# -gt 0 ] && shift
	if [ "$want" = 0 ]; then
		if [ "$status" -eq 0 ] && has_words "$srv" "to=$to" "$@" &&
			grep -qF -e "line=GET /$tag HTTP" "$tmp/out"; then
			pass "$what: exit 0, served at $to${*:+ ($*)}"
		else
			fail "$what" "expected: exit 0 and the server's answer, to=$to $*" \
				"got:      exit $status$(status_note "$status"), server: '${srv:-nothing}'" \
				"$(show_output | head -n 5)"
		fi
	elif [ -z "$srv" ] && { [ "$status" = "$want" ] || {
		[ "$want" = fail ] && [ "$status" -ne 0 ] && [ "$status" -lt 124 ]; }; }; then
		pass "$what: exit $status, nothing reached the server"
	else
		fail "$what" "expected: exit $want, no request at the server" \
			"got:      exit $status$(status_note "$status"), server: '${srv:-nothing}'" \
			"$(show_output | head -n 5)"
	fi
}

# expect_curl WHAT WANT CONF HOST PORT [ADDR [WORD...]]: expect_http with
# curl.
expect_curl()
{
	local what=$1
	shift
	expect_http "$what" curl "$@"
}

# run_py CONF STEP...: rules_client.py (STEP: KIND HOST PORT); its lines in
# $tmp/out.
run_py()
{
	launch "$1"
	shift
	seq=$((seq + 1))
	tag=p$seq
	capture "${launcher[@]}" "$PYTHON" "$files/rules_client.py" \
		--tag "$tag" "$@"
}

# expect_step WHAT N WORD...: step N of the last run_py has every WORD.
expect_step()
{
	local what=$1 n=$2 line
	shift 2
	line=$(grep -E -e "^step=$n " "$tmp/out")
	if has_words "$line" "$@"; then
		pass "$what"
	else
		fail "$what" "expected the words: $*" "got:      ${line:-no line}" \
			"$(show_output | head -n 12)"
	fi
}

# expect_log WHAT FILE WORD...: a line of FILE has every WORD.
expect_log()
{
	local what=$1 file=$2 l
	shift 2
	while IFS= read -r l; do
		if has_words "$l" "$@"; then
			pass "$what"
			return
		fi
	done < <(cat "$file" 2>/dev/null)
	fail "$what" "expected a line with each of: $*" "got:" \
		"$(sed 's/^/  | /' "$file" 2>/dev/null | head -n 20)"
}

# expect_no_log WHAT FILE WORD...: no line of FILE has every WORD.
expect_no_log()
{
	local what=$1 file=$2 l
	shift 2
	while IFS= read -r l; do
		if has_words "$l" "$@"; then
			fail "$what" "expected no line with each of: $*" \
				"got:      $l"
			return
		fi
	done < <(cat "$file" 2>/dev/null)
	pass "$what"
}

# kernel_connects PORT: the distinct FAMILY/ADDRESS pairs of the TCP
# connect() calls to PORT in $tmp/strace, comma-separated.
kernel_connects()
{
	sed -nE 's/.*connect\([0-9]+<TCP[^>]*>, \{sa_family=(AF_INET6?), sin6?_port=htons\('"$1"'\),.*"([^"]+)".*/\1\/\2/p' \
		"$tmp/strace" | sort -u | paste -sd, -
}

# --- NAT64 (rules.sh, nat64.sh) --------------------------------------------------------
# nat64_topology: this namespace n0 2001:db8:6::2/64, no IPv4 but lo; a
# NAT64 namespace $NAT, n1 2001:db8:6::1/64 and v0 192.0.2.1/24, with
# forwarding and tayga's tun device nat64 (198.51.100.2, 2001:db8:6::64,
# its pool 198.51.100.128/25 routed there); an IPv4-only server namespace
# $V4, v1 192.0.2.2/24.  The prefix's routes and tayga itself are the
# caller's (tayga_conf).
nat64_topology()
{
	NAT=nat$ITEST_ID
	V4=v4srv$ITEST_ID
	netns_add "$NAT"
	netns_add "$V4"
	veth n0 "" n1 "$NAT"
	veth v0 "$NAT" v1 "$V4"
	ipv6_off "$V4"
	ip addr add 2001:db8:6::2/64 dev n0 nodad || itest_error "address n0"
	ip -n "$NAT" addr add 2001:db8:6::1/64 dev n1 nodad ||
		itest_error "address n1"
	ip -n "$NAT" addr add 192.0.2.1/24 dev v0 || itest_error "address v0"
	ip -n "$V4" addr add 192.0.2.2/24 dev v1 || itest_error "address v1"
	ip -n "$V4" route add 198.51.100.0/24 via 192.0.2.1 ||
		itest_error "route in $V4"
	# shellcheck disable=SC2016
	ip netns exec "$NAT" sh -c 'echo 1 >/proc/sys/net/ipv4/ip_forward &&
		echo 1 >/proc/sys/net/ipv6/conf/all/forwarding' ||
		itest_error "forwarding in $NAT"
	mkdir -p "$tmp/tayga"
	tayga_conf 64:ff9b::/96 >"$tmp/tayga.conf"
	ip netns exec "$NAT" tayga -c "$tmp/tayga.conf" --mktun >/dev/null ||
		itest_error "tayga --mktun"
	ip -n "$NAT" link set nat64 up || itest_error "nat64 up"
	ip -n "$NAT" addr add 198.51.100.2 dev nat64 ||
		itest_error "address nat64"
	ip -n "$NAT" addr add 2001:db8:6::64 dev nat64 ||
		itest_error "address nat64"
	ip -n "$NAT" route add 198.51.100.128/25 dev nat64 ||
		itest_error "route pool"
}

# tayga_conf PREFIX: tayga's config for the NAT64 prefix PREFIX.
tayga_conf()
{
	printf '%s\n' "tun-device nat64" "ipv4-addr 198.51.100.1" \
		"ipv6-addr 2001:db8:6::64" "prefix $1" \
		"dynamic-pool 198.51.100.128/25" "data-dir $tmp/tayga"
}
