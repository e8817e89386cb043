#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/shim/confread.sh - how the library reads its config file in every
# process's constructor (policy/source.c; issue 17, items 11, 14, 17):
#
#   - a config that is not a regular file (a terminal such as /dev/ptmx,
#     /dev/zero) is refused unopened, fail closed with "not a regular
#     file": /bin/true under it ends at once, and the launcher exits 1
#     with the same words instead of hanging; /dev/null is an empty config;
#   - a config rewritten in place while processes start is never taken
#     half-written: each start runs on the config's stack (ipv4) or fails
#     closed with "changed while being read", never on the default dual
#     stack an empty read would give; once the writer stops, ipv4;
#   - the fail-closed line shows an ESC in a path or a variable's value as
#     \x1b, never raw.
#
# The probe (confread-probe.c) makes one AF_INET6 socket and sends
# nothing; it runs in a private mount and network namespace all the same.
# Needs top_builddir and top_srcdir (absolute), a C compiler, unshare and
# ip; exits 77 (skip) without them, 99 when something cannot be built,
# 1 after reporting every mismatch.

set -u

: "${top_srcdir:?top_srcdir must be set}"
# shellcheck source=tests/shim/lib.sh
. "$top_srcdir/tests/shim/lib.sh"

build_probe "$tmp/confread-probe" confread-probe.c
printf '%s\n' "127.0.0.1 localhost" "::1 localhost" >"$tmp/hosts"
printf 'hosts: files\n' >"$tmp/nsswitch.conf"
ns_init 120

# run CONF - the probe under config CONF, stdout and stderr together.
run()
{
	in_ns env LD_PRELOAD="$preload" STACKSHIM_CONF="$1" "$probe" 2>&1
}

notreg="not a regular file (a config must be a regular file or /dev/null)"
closed="; network calls will be refused"

echo "== not a regular file"
for dev in /dev/ptmx /dev/zero; do
	got=$(in_ns timeout "$(limit 10)" env LD_PRELOAD="$preload" STACKSHIM_CONF=$dev \
		/bin/true 2>&1)
	expect "/bin/true under $dev ends at once (status, output)" \
		"0 " "$? $got"
	expect "$dev: the probe fails closed" \
		"stackshim: $dev:0:0: $notreg$closed
inet6=EACCES" "$(run $dev)"
	got=$(timeout "$(limit 10)" "$top_builddir/stackshim" -c $dev -- /bin/true 2>&1)
	expect "$dev: the launcher refuses it (status, first line)" \
		"1 stackshim: $dev:0:0: $notreg" "$? $(head -n 1 <<<"$got")"
done
expect "/dev/null is an empty config" "inet6=ok" "$(run /dev/null)"

echo "== rewritten in place"
conf=$tmp/inplace.conf
printf 'stack = ipv4\n' >"$conf"
# The writer truncates and writes the same file, as an editor or a
# shell's '>' does; it stops when $tmp/stop appears.
(
	while [ ! -e "$tmp/stop" ]; do
		printf 'stack = ipv4\n' >"$conf"
	done
) &
writer=$!
declare -A seen=()
for _ in $(seq 30); do
	out=$(run "$conf")
	seen[$out]=$((${seen[$out]:-0} + 1))
done
touch "$tmp/stop"
wait "$writer"
torn="stackshim: $conf:0:0: changed while being read (replace a config"
bad=0
for out in "${!seen[@]}"; do
	case $out in
	inet6=EAFNOSUPPORT) ;;
	"$torn"*"$closed"$'\n'inet6=EACCES) ;;
	*)
		fail "a start during the rewrites (${seen[$out]} of 30)" \
			"expected: inet6=EAFNOSUPPORT, or the refusal" \
				"got:      $out"
		bad=1
		;;
	esac
done
[ "$bad" -eq 1 ] || pass "30 starts during the rewrites: ipv4 or refused"
sleep 0.1 # the last write must be older than the quiet time (50 ms)
expect "once the writer stops, the config applies" "inet6=EAFNOSUPPORT" \
	"$(run "$conf")"

echo "== escaped"
esc=$tmp/$'esc\e[31mape'
got=$(run "$esc")
expect "an ESC in the path is shown as \\x1b" \
	"stackshim: $tmp/esc\\x1b[31mape:0:0: No such file or directory$closed
inet6=EACCES" "$got"
got=$(in_ns env LD_PRELOAD="$preload" STACKSHIM_CONF=/dev/null \
	STACKSHIM_STACK=$'ipv\e]0;x\a4' "$probe" 2>&1)
expect "an ESC and a BEL in a variable's value are shown as \\xNN" \
	"stackshim: STACKSHIM_STACK:1:1: bad value 'ipv\\x1b]0;x\\x074' (expected ipv4, dual or ipv6)$closed
inet6=EACCES" "$got"

finish
