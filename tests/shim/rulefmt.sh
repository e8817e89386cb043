#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/shim/rulefmt.sh - the rule= field of the decision log, written by
# shim_rule_format() (shim/log.c) from inside the async-signal-safe hooks,
# takes no snprintf() (issue 17: vfprintf() reads the locale and may
# allocate), and says what it said before: FILE:LINE of every kind of
# rule (address, CIDR, port, port range, protocol, IPv6, map, allow, a
# name with a port, a name) as "%s:%u" gave it, cut as snprintf() cut it
# for a config path longer than the field's buffer.
#
# tests/shim/rulefmt-probe.c connects from inside a SIGUSR1 handler and
# counts the calls of snprintf() and its kin made meanwhile (it defines
# them, exported, ahead of libc's); it must count none.  Before the fix it
# counted one per logged rule (8 here).
#
# Runs in a private mount and network namespace: loopback only, names from
# the test's own hosts file.  Needs top_builddir and top_srcdir, a C
# compiler, unshare and ip; exits 77 (skip) without them, 99 when the
# probe cannot be built.

set -u

: "${top_srcdir:?top_srcdir must be set}"
# shellcheck source=tests/shim/lib.sh
. "$top_srcdir/tests/shim/lib.sh"

# build_probe, with -rdynamic: the library must bind to the probe's
# snprintf().
build_probe "$tmp/probe" rulefmt-probe.c
# shellcheck disable=SC2086 # SANITIZER_CFLAGS is a list of flags
${CC:-cc} -std=gnu11 -Wall -Wextra -pthread -rdynamic ${SANITIZER_CFLAGS:-} \
	-o "$probe" "$top_srcdir/tests/shim/rulefmt-probe.c" -ldl || exit 99
printf '%s\n' "127.0.0.1 localhost" "127.0.0.9 portname.test" \
	"127.0.0.10 blocked.test" >"$tmp/hosts"
printf 'hosts: files\n' >"$tmp/nsswitch.conf"
ns_init 60

rules='# every kind of rule, each deciding one call below
deny = 127.0.0.2
deny = 127.0.0.3 81 tcp
deny = 127.0.0.0/24 82-83
deny = ::1 84 udp
map = 192.0.2.1
allow = 127.0.0.5
deny = portname.test 85
deny = 2001:db8::/32 86
deny = blocked.test'
# Each call, and the line of the rule that decides it (- for none).
calls=(127.0.0.2/80/tcp:2 127.0.0.3/81/tcp:3 127.0.0.3/81/udp:-
	127.0.0.4/83/udp:4 ::1/84/udp:5 192.0.2.1/80/tcp:6 127.0.0.5/80/tcp:7
	portname.test/85/tcp:8 2001:db8::1/86/tcp:9 blocked.test/80/tcp:10)

# The rule fields of the log on stdin, one a line, "-" for a line of a
# call that has none.
rule_fields()
{
	grep -E 'call=connect .*outcome=|call=getaddrinfo .*rule=' |
		sed -E 's/.* rule=([^ ]*).*/\1/; t; s/.*/-/'
}

# check LABEL CONF - run every call under CONF; the rule fields must be
# "%s:%u" of CONF's path and the line, escaped as the log escapes, and
# cut at the 271 bytes of shim/sockaddr.c's buffer, as snprintf() cut them.
check()
{
	local label=$1 conf=$2 out want="" got call line text
	local args=()
	for call in "${calls[@]}"; do
		args+=("${call%:*}")
		line=${call##*:}
		if [ "$line" = - ]; then
			want+="-"$'\n'
			continue
		fi
		text="$conf:$line"
		text=${text:0:271}
		want+="${text// /\\x20}"$'\n'
	done
	out=$(in_ns env LD_PRELOAD="$preload" STACKSHIM_CONF="$conf" \
		STACKSHIM_LOG=stderr STACKSHIM_STACK=ipv6 "$probe" "${args[@]}" \
		2>"$tmp/log")
	got=$(rule_fields <"$tmp/log")
	expect "$label: rule= of each decision" "${want%$'\n'}" "$got"
	expect "$label: the denied calls refused" \
		"127.0.0.2/80/tcp EACCES|127.0.0.4/83/udp EACCES|portname.test/85/tcp EACCES|blocked.test/80/tcp unresolved" \
		"$(grep -E '^(127.0.0.2/|127.0.0.4/|portname|blocked)' <<<"$out" | paste -sd '|')"
	expect "$label: no snprintf() in the handler" "printf-in-handler=0" \
		"$(tail -n 1 <<<"$out")"
}

conf="$tmp/rule kinds.conf"
printf '%s\n' "$rules" >"$conf"
check "a path with a space" "$conf"

# A path of 320 bytes: longer than the 271 bytes the field takes.
long=$tmp/$(printf 'd%.0s' {1..150})/$(printf 'e%.0s' {1..150})
mkdir -p "$long" || exit 99
printf '%s\n' "$rules" >"$long/r.conf"
check "a path longer than the field" "$long/r.conf"

finish
