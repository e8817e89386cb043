#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/shim/failclosed.sh - a configuration that cannot be read or parsed
# makes the library fail closed (SPEC §3): one line on stderr naming
# FILE:LINE:COLUMN, then every interposed network call refused (EACCES;
# resolution EAI_FAIL, gethostbyname* NO_RECOVERY), AF_UNIX untouched.
#
# The configurations are the lines of tests/shim/failclosed-cases.txt (one
# per error the parser can give, bad STACKSHIM_* variables, files that
# cannot be read) and every error case of tests/cases (check_config's).
# For each, failclosed-probe (tests/shim/failclosed-probe.c) runs with the
# library preloaded and tries socket(), connect, bind and the sends on
# sockets made behind the hooks' back, getaddrinfo, gethostbyname*,
# getnameinfo and AF_UNIX sockets; its stdout must be the refusals and
# nothing else, its stderr exactly the library's one line; and
# "stackshim check" must exit 1 with that same FILE:LINE:COLUMN and text
# as its first error.  The probe, bare and under a good config, shows
# first that every one of those calls works when nothing is wrong.  Last,
# python3 is refused a TCP socket with PermissionError.
#
# Every probe runs in a private mount and network namespace: loopback only,
# its own /etc/hosts and "hosts: files", so nothing can leave the machine
# even if a call got through.
#
# Needs top_builddir and top_srcdir (absolute, as make check exports them),
# a C compiler (${CC:-cc}), python3, unshare and ip; exits 77 (skip)
# without them or when the namespaces cannot be made, 99 when the library
# or the probe cannot be built, 1 after reporting every mismatch as
# expected vs got.  The unreadable-file case needs root (it reads as uid
# 65534) and is skipped with a message without it.  KEEP=1 leaves the
# scratch directory behind.

set -u

: "${top_srcdir:?top_srcdir must be set}"
# shellcheck source=tests/shim/lib.sh
. "$top_srcdir/tests/shim/lib.sh"

need_python
[ -z "${KEEP:-}" ] || trap 'echo "kept $tmp"' EXIT

# Everything a process of uid 65534 runs or reads is in $pub, which anyone
# may read; so is the way to it.
pub=$tmp/pub
mkdir "$pub" || exit 99
chmod 755 "$tmp" "$pub"
build_probe "$pub/failclosed-probe" failclosed-probe.c
cp "$lib" "$pub/libstackshim.so" && cp "$top_builddir/stackshim" "$pub/" ||
	exit 99
lib=$pub/libstackshim.so
preload=${SANITIZER_PRELOAD:+$SANITIZER_PRELOAD:}$lib
stackshim=$pub/stackshim

printf '%s\n' "127.0.0.1 localhost" "::1 localhost" >"$tmp/hosts"
printf 'hosts: files\n' >"$tmp/nsswitch.conf"
empty=$pub/empty.conf
: >"$empty"
chmod 644 "$empty"

ns_init 60

# What the probe's "all" prints when nothing is refused (lo up, nothing
# listening on port 9), and when the library has failed closed.
open_out="socket(inet)=ok
socket(inet6)=ok
connect(inet,udp)=ok
connect(inet,tcp)=ECONNREFUSED
bind(inet)=ok
sendto(inet)=ok
sendmsg(inet)=ok
sendmmsg(inet)=ok
connect(inet6,udp)=ok
connect(inet6,tcp)=ECONNREFUSED
bind(inet6)=ok
sendto(inet6)=ok
sendmsg(inet6)=ok
sendmmsg(inet6)=ok
getaddrinfo(localhost)=ok
getaddrinfo(127.0.0.1)=ok
getaddrinfo(::1)=ok
getaddrinfo(NULL,passive)=ok
gethostbyname(localhost)=ok
gethostbyname2(localhost,inet6)=ok
gethostbyname_r(localhost)=ok
gethostbyname2_r(localhost,inet)=ok
getnameinfo(127.0.0.1)=ok
socketpair(unix)=ok
unix(dgram)=ok"
closed_out="socket(inet)=EACCES
socket(inet6)=EACCES
connect(inet,udp)=EACCES
connect(inet,tcp)=EACCES
bind(inet)=EACCES
sendto(inet)=EACCES
sendmsg(inet)=EACCES
sendmmsg(inet)=EACCES
connect(inet6,udp)=EACCES
connect(inet6,tcp)=EACCES
bind(inet6)=EACCES
sendto(inet6)=EACCES
sendmsg(inet6)=EACCES
sendmmsg(inet6)=EACCES
getaddrinfo(localhost)=EAI_FAIL
getaddrinfo(127.0.0.1)=EAI_FAIL
getaddrinfo(::1)=EAI_FAIL
getaddrinfo(NULL,passive)=EAI_FAIL
gethostbyname(localhost)=NULL h_errno=NO_RECOVERY
gethostbyname2(localhost,inet6)=NULL h_errno=NO_RECOVERY
gethostbyname_r(localhost)=EACCES result=NULL h_errno=NO_RECOVERY
gethostbyname2_r(localhost,inet)=EACCES result=NULL h_errno=NO_RECOVERY
getnameinfo(127.0.0.1)=EAI_FAIL
socketpair(unix)=ok
unix(dgram)=ok"
suffix='; network calls will be refused'

# --- nothing wrong: every call works ------------------------------------------
in_ns "$probe" all >"$tmp/out" 2>"$tmp/err"
expect "bare: every call of the probe works" "$open_out" "$(cat "$tmp/out")"
expect "bare: nothing on stderr" "" "$(cat "$tmp/err")"
in_ns env LD_PRELOAD="$preload" STACKSHIM_CONF="$empty" "$probe" all preloaded \
	>"$tmp/out" 2>"$tmp/err"
expect "a good (empty) config: every call works, the library loaded" \
	"$open_out
preloaded=yes" "$(cat "$tmp/out")"
expect "a good config: nothing on stderr" "" "$(cat "$tmp/err")"

# --- the cases ---------------------------------------------------------------

# expand TEXT - TEXT with each {N*C} replaced by N times C.
expand()
{
	local s=$1 rep

	while [[ $s =~ \{([0-9]+)\*(.)\} ]]; do
		printf -v rep '%*s' "${BASH_REMATCH[1]}" ''
		rep=${rep// /"${BASH_REMATCH[2]}"}
		s=${s/"${BASH_REMATCH[0]}"/"$rep"}
	done
	printf '%s' "$s"
}

# make_file KIND PATH - the unreadable file of KIND at PATH.
make_file()
{
	case $1 in
	missing) ;;
	dir) mkdir "$2" ;;
	unreadable)
		printf 'stack = ipv6\n' >"$2"
		chmod 000 "$2"
		;;
	toobig) truncate -s $((64 * 1024 * 1024 + 1)) "$2" ;;
	atlimit | pastlimit)
		# 64 MiB exactly (a byte more): blank lines, then a bad line.
		{
			head -c $((64 * 1024 * 1024 - 13)) /dev/zero | tr '\0' '\n'
			printf 'stack = ipv5\n'
			[ "$1" = atlimit ] || printf '\n'
		} >"$2"
		;;
	loop) ln -s "$(basename "$2")" "$2" ;;
	fifo) mkfifo "$2" ;;
	*) return 1 ;;
	esac
}

n=0

# run_case NAME EXPECTED CONF [VAR=VALUE...] - the probe and "stackshim
# check" under config file CONF and the variables; EXPECTED is how the
# library's line starts after "stackshim: ".  $as is the command prefix
# that runs both (setpriv, for the unreadable file), empty otherwise.
run_case()
{
	local name=$1 want=$2 conf=$3 line what rc first
	local -a vars=("${@:4}")

	in_ns ${as:+$as} env LD_PRELOAD="$preload" STACKSHIM_CONF="$conf" \
		"${vars[@]}" "$probe" all >"$tmp/out" 2>"$tmp/err"
	expect "$name: every network call refused, nothing else on stdout" \
		"$closed_out" "$(cat "$tmp/out")"
	line=$(cat "$tmp/err")
	if [[ $line == *$'\n'* ]]; then
		fail "$name: exactly one line on stderr" \
			"expected: stackshim: $want...$suffix" "got:      $line"
	elif [[ $line != "stackshim: $want"*"$suffix" ]]; then
		fail "$name: the line on stderr" \
			"expected: stackshim: $want...$suffix" \
			"got:      $line"
	else
		pass "$name: one line on stderr: $line"
	fi
	what=${line#stackshim: }
	what=${what%"$suffix"}

	# check reads the file of -c; the variables only without it.
	if [ ${#vars[@]} -eq 0 ]; then
		${as:+$as} "$stackshim" check -c "$conf" >"$tmp/out" 2>"$tmp/err"
	else
		${as:+$as} env STACKSHIM_CONF="$conf" "${vars[@]}" \
			"$stackshim" check >"$tmp/out" 2>"$tmp/err"
	fi
	rc=$?
	expect "$name: stackshim check exits 1, nothing on stdout" "1 ''" \
		"$rc '$(cat "$tmp/out")'"
	first=$(head -n 1 "$tmp/err")
	expect "$name: stackshim check's first error is the library's" \
		"$what" "$first"
}

# one_case SOURCE EXPECTED - a line of the cases file.
one_case()
{
	local source=$1 want=$2 kind=${1%% *} arg=${1#* } conf
	local -a vars=()

	n=$((n + 1))
	conf=$pub/case$n.conf
	as=
	case $kind in
	conf) printf '%b\n' "$(expand "$arg")" >"$conf" ;;
	env)
		conf=$empty
		read -ra vars <<<"$arg"
		;;
	file)
		if [ "$arg" = unreadable ]; then
			if [ "$(id -u)" -ne 0 ]; then
				echo "SKIP: $source: needs root"
				return
			fi
			as="setpriv --reuid=65534 --regid=65534 --clear-groups"
		fi
		make_file "$arg" "$conf" || {
			echo "ERROR: bad case line: $source"
			exit 99
		}
		;;
	*)
		echo "ERROR: bad case line: $source"
		exit 99
		;;
	esac
	run_case "[$source]" "${want//@/$conf}" "$conf" "${vars[@]}"
	as=
}

while IFS= read -r line; do
	case $line in '#'* | '') continue ;; esac
	if [[ $line != *' | '* ]]; then
		echo "ERROR: bad case line: $line"
		exit 99
	fi
	one_case "${line%% | *}" "${line#* | }"
done <"$top_srcdir/tests/shim/failclosed-cases.txt"
[ "$n" -ge 90 ] || fail "the cases file was read whole" \
	"expected: 90 cases or more" \
	"got:      $n"

# Every error case of check_config fails closed too, at the place its
# expected file gives first.
cases=0
for dir in "$top_srcdir"/tests/cases/*/; do
	first=$(head -n 1 "$dir/expected")
	[[ $first =~ ^policy\.conf:[0-9]+:[0-9]+:\  ]] || continue
	cases=$((cases + 1))
	conf=$pub/$(basename "$dir").conf
	cp "$dir/policy.conf" "$conf"
	run_case "tests/cases/$(basename "$dir")" "$conf${first#policy.conf}" \
		"$conf"
done
[ "$cases" -ge 30 ] || fail "tests/cases: its error cases were found" \
	"expected: 30 or more" "got:      $cases"

# --- a real program -------------------------------------------------------------
py='import socket
try:
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(("127.0.0.1", 9))
    print("connected")
except OSError as e:
    print(type(e).__name__, e.errno)'
printf 'stack = ipv5\n' >"$pub/broken.conf"
got=$(in_ns "$python" -c "$py" 2>&1)
expect "python3, bare: a TCP connect to a closed port is refused by it" \
	"ConnectionRefusedError 111" "$got"
in_ns env LD_PRELOAD="$preload" STACKSHIM_CONF="$pub/broken.conf" \
	"$python" -c "$py" >"$tmp/out" 2>"$tmp/err"
expect "python3, broken config: PermissionError" "PermissionError 13" \
	"$(cat "$tmp/out")"
expect "python3, broken config: the library's one line on stderr" \
	"stackshim: $pub/broken.conf:1:9: bad value 'ipv5' (expected ipv4, dual or ipv6)$suffix" \
	"$(cat "$tmp/err")"

finish
