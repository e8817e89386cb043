#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/shim/init.sh - the library's initialisation and its socket() hook,
# seen from real programs run with LD_PRELOAD set for them alone.
#
# Needs top_builddir and top_srcdir (absolute, as make check exports them)
# and python3; exits 77 (skip) without python3, 99 when the library is not
# built, 1 after reporting every mismatch as expected vs got.

set -u

: "${top_srcdir:?top_srcdir must be set}"
# shellcheck source=tests/shim/lib.sh
. "$top_srcdir/tests/shim/lib.sh"

map=$top_srcdir/shim/shim.map
need_python

# shimmed [VAR=VALUE...] CMD [ARG...] - CMD with the library preloaded.
shimmed()
{
	env LD_PRELOAD="$preload" "$@"
}

# The probe opens one socket per argument, FAMILY[+TYPE_FLAG...], and prints
# FAMILY=ok or FAMILY=ERRNO for each, on one line.
cat >"$tmp/probe.py" <<'EOF'
import socket, sys
out = []
for arg in sys.argv[1:]:
    names = arg.split("+")
    kind = socket.SOCK_DGRAM
    for flag in names[1:]:
        kind |= getattr(socket, flag)
    try:
        socket.socket(getattr(socket, names[0]), kind).close()
        out.append(names[0] + "=ok")
    except OSError as e:
        out.append("%s=%d" % (names[0], e.errno))
print(" ".join(out))
EOF

empty=$tmp/empty.conf
: >"$empty"
printf 'stack = ipv4\n' >"$tmp/ipv4.conf"
printf 'stack = ipv5\n' >"$tmp/broken.conf"
# Sections are chosen by the executable's own name (python3.11, say, not the
# python3 it was started as) and by its full path.
exe=$(readlink -f "$python")
printf '[program %s]\nstack = ipv4\n' "${exe##*/}" >"$tmp/name.conf"
printf '[program %s]\nstack = ipv4\n' "$exe" >"$tmp/path.conf"
printf '[program no-such-program]\nstack = ipv4\n' >"$tmp/other.conf"
families=(AF_INET AF_INET6 AF_UNIX AF_NETLINK)

# --- which sockets each policy refuses ---------------------------------------
# settings (passed to env) | expected probe output for ${families[*]}
policy_cases=(
	"STACKSHIM_CONF=$empty|AF_INET=ok AF_INET6=ok AF_UNIX=ok AF_NETLINK=ok"
	"STACKSHIM_CONF=$empty STACKSHIM_STACK=dual|AF_INET=ok AF_INET6=ok AF_UNIX=ok AF_NETLINK=ok"
	"STACKSHIM_CONF=$empty STACKSHIM_STACK=ipv4|AF_INET=ok AF_INET6=97 AF_UNIX=ok AF_NETLINK=ok"
	"STACKSHIM_CONF=$tmp/ipv4.conf|AF_INET=ok AF_INET6=97 AF_UNIX=ok AF_NETLINK=ok"
	"STACKSHIM_CONF=$tmp/name.conf|AF_INET=ok AF_INET6=97 AF_UNIX=ok AF_NETLINK=ok"
	"STACKSHIM_CONF=$tmp/path.conf|AF_INET=ok AF_INET6=97 AF_UNIX=ok AF_NETLINK=ok"
	"STACKSHIM_CONF=$tmp/other.conf|AF_INET=ok AF_INET6=ok AF_UNIX=ok AF_NETLINK=ok"
	"STACKSHIM_CONF=$empty STACKSHIM_STACK=ipv6|AF_INET=ok AF_INET6=ok AF_UNIX=ok AF_NETLINK=ok"
	"STACKSHIM_CONF=$empty STACKSHIM_STACK=ipv6 STACKSHIM_MAPPED=no|AF_INET=97 AF_INET6=ok AF_UNIX=ok AF_NETLINK=ok"
	"STACKSHIM_CONF=$empty STACKSHIM_STACK=ipv6 STACKSHIM_MAPPED=no STACKSHIM_IPV4_LOOPBACK=yes|AF_INET=ok AF_INET6=ok AF_UNIX=ok AF_NETLINK=ok"
	"STACKSHIM_CONF=$empty STACKSHIM_STACK=ipv4 STACKSHIM_ENFORCE=no|AF_INET=ok AF_INET6=ok AF_UNIX=ok AF_NETLINK=ok"
	"STACKSHIM_CONF=$empty STACKSHIM_STACK=ipv6 STACKSHIM_MAPPED=no STACKSHIM_ENFORCE=no|AF_INET=ok AF_INET6=ok AF_UNIX=ok AF_NETLINK=ok"
)
for case in "${policy_cases[@]}"; do
	settings=${case%%|*}
	want=${case#*|}
	# shellcheck disable=SC2086 # settings are words on purpose
	got=$(shimmed $settings "$python" "$tmp/probe.py" "${families[@]}" \
		2>"$tmp/err")
	label=${settings//"$tmp/"/}
	expect "sockets under $label" "$want" "$got"
	expect "stderr under $label" "" "$(cat "$tmp/err")"
done

# SOCK_NONBLOCK and SOCK_CLOEXEC ride in type and change nothing.
got=$(shimmed STACKSHIM_CONF="$empty" STACKSHIM_STACK=ipv4 "$python" \
	"$tmp/probe.py" AF_INET6+SOCK_NONBLOCK+SOCK_CLOEXEC \
	AF_INET+SOCK_NONBLOCK+SOCK_CLOEXEC 2>&1)
expect "type flags under ipv4" "AF_INET6=97 AF_INET=ok" "$got"

# The probe's output is its own: the same with the library as without it.
want=$("$python" "$tmp/probe.py" "${families[@]}")
got=$(shimmed STACKSHIM_CONF="$empty" "$python" "$tmp/probe.py" "${families[@]}")
expect "probe stdout with and without the library" "$want" "$got"

# --- failing closed ----------------------------------------------------------
# check_report WHAT FILE LINE - stderr in $tmp/err is exactly one line
# "stackshim: FILE:LINE:COLUMN: message; network calls will be refused".
check_report()
{
	local what=$1 prefix="stackshim: $2:$3:" lines rest
	local tail='; network calls will be refused'

	lines=$(wc -l <"$tmp/err")
	rest=$(head -n 1 "$tmp/err")
	if [ "$lines" -ne 1 ] || [ "${rest#"$prefix"}" == "$rest" ] ||
		! [[ ${rest#"$prefix"} =~ ^[0-9]+:\ .+"$tail"$ ]]; then
		fail "$what" \
			"expected: one line: ${prefix}COLUMN: MESSAGE$tail" \
			"got:      $(cat "$tmp/err")"
	else
		pass "$what"
	fi
}

broken=$tmp/broken.conf
got=$(shimmed STACKSHIM_CONF="$broken" "$python" "$tmp/probe.py" \
	AF_INET AF_INET6 AF_UNIX AF_INET AF_INET6 AF_NETLINK 2>"$tmp/err")
expect "sockets under a broken config" \
	"AF_INET=13 AF_INET6=13 AF_UNIX=ok AF_INET=13 AF_INET6=13 AF_NETLINK=ok" \
	"$got"
check_report "one report for a broken config" "$broken" 1

# Audit mode cannot be known from a config that did not load.
got=$(shimmed STACKSHIM_CONF="$broken" STACKSHIM_ENFORCE=no "$python" \
	"$tmp/probe.py" AF_INET 2>"$tmp/err")
expect "sockets under a broken config and enforce=no" "AF_INET=13" "$got"
check_report "one report for a broken config and enforce=no" \
	"$broken" 1

got=$(shimmed STACKSHIM_CONF=/nonexistent "$python" "$tmp/probe.py" \
	AF_INET AF_INET6 AF_UNIX 2>"$tmp/err")
expect "sockets under a missing config" "AF_INET=13 AF_INET6=13 AF_UNIX=ok" \
	"$got"
# A file that cannot be opened is an error about the file as a whole, at
# line 0 (policy_error_format()).
check_report "one report for a missing config" /nonexistent 0

# The policy is parsed, and a broken one reported, when a program first
# needs it: ls, which makes no network call, says nothing of it.
want=$(ls -a "$tmp")
got=$(shimmed STACKSHIM_CONF="$broken" ls -a "$tmp" 2>"$tmp/err")
expect "ls stdout under a broken config" "$want" "$got"
expect "ls stderr under a broken config" "" "$(cat "$tmp/err")"

# A program that does network is told at its first network call, on
# stderr, never into its stdout.
cat >"$tmp/late.py" <<'EOF'
import socket, sys
print("before")
sys.stdout.flush()
try:
    socket.socket(socket.AF_INET, socket.SOCK_DGRAM).close()
    print("AF_INET=ok")
except OSError as e:
    print("AF_INET=%d" % e.errno)
EOF
got=$(shimmed STACKSHIM_CONF="$broken" "$python" "$tmp/late.py" \
	2>"$tmp/err")
expect "stdout of a networking program under a broken config" \
	"before AF_INET=13" "$(echo $got)"
check_report "stderr of a networking program under a broken config" \
	"$broken" 1

# --- the policy is the one the process started with --------------------------
# The config file and the STACKSHIM_* variables are read as the library is
# loaded: a program that removes the file, unsets or changes the variables
# before its first network call still gets the policy it started with.
cat >"$tmp/changed.py" <<'EOF'
import os, socket, sys
os.unlink(sys.argv[1])
os.unsetenv("STACKSHIM_CONF")
os.putenv("STACKSHIM_STACK", sys.argv[2])
try:
    socket.socket(socket.AF_INET6, socket.SOCK_DGRAM).close()
    print("AF_INET6=ok")
except OSError as e:
    print("AF_INET6=%d" % e.errno)
EOF
cp "$tmp/ipv4.conf" "$tmp/gone.conf"
got=$(shimmed STACKSHIM_CONF="$tmp/gone.conf" "$python" "$tmp/changed.py" \
	"$tmp/gone.conf" dual 2>"$tmp/err")
expect "config file removed before the first socket" "AF_INET6=97" "$got"
expect "stderr, config file removed before the first socket" "" \
	"$(cat "$tmp/err")"
: >"$tmp/gone.conf"
got=$(shimmed STACKSHIM_CONF="$tmp/gone.conf" STACKSHIM_STACK=ipv4 \
	"$python" "$tmp/changed.py" "$tmp/gone.conf" ipv6 2>"$tmp/err")
expect "STACKSHIM_STACK changed before the first socket" "AF_INET6=97" "$got"
expect "stderr, STACKSHIM_STACK changed before the first socket" "" \
	"$(cat "$tmp/err")"

# --- programs that never touch sockets ---------------------------------------
for cmd in true "ls -a $tmp"; do
	# shellcheck disable=SC2086 # cmd is words on purpose
	want=$($cmd 2>&1)
	# shellcheck disable=SC2086
	got=$(shimmed STACKSHIM_CONF="$empty" $cmd 2>"$tmp/err")
	status=$?
	expect "${cmd%% *} exit status" 0 "$status"
	expect "${cmd%% *} stdout" "$want" "$got"
	expect "${cmd%% *} stderr" "" "$(cat "$tmp/err")"
done

# --- exports -----------------------------------------------------------------
# The dynamic symbol table holds the version script's global names and
# nothing else: none of policy/ and none of the shim's internals.
# syscall() is exported only where shim/sys.h has the instruction
# (SHIM_RAW_SYSCALL), as the compiler at hand sees it.
raw=$(printf 'SHIM_RAW_SYSCALL\n' |
	${CC:-cc} -E -P -include "$top_srcdir/shim/sys.h" - 2>/dev/null |
	tail -n 1)
want=$(sed -n '/global:/,/local:/p' "$map" | grep -o '[A-Za-z_][A-Za-z0-9_]*;' |
	tr -d ';' | { if [ "$raw" = 0 ]; then grep -vx syscall; else cat; fi; } |
	sort | tr '\n' ' ')
got=$(nm -D --defined-only "$lib" | awk '{ sub(/@.*/, "", $NF); print $NF }' |
	sort | tr '\n' ' ')
expect "exported symbols" "$want" "$got"
if [ -z "$want" ]; then
	fail "global names in $map" "expected: at least socket" "got:      none"
fi

finish
