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

