#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/shim/log-long.sh - a decision line for a very long name keeps every
# decision field (issue 17, item 17): the name is cut and marked with
# "..." and its length, never stack, cell, outcome, rule, error, audit.
# Before the fix a 4 KB name's line was cut at 2,048 bytes, the decision
# fields lost.  The event: an ipv4 stack refusing AF_INET6 with
# AI_ADDRCONFIG (tests/shim/resolve-probe.c); the name is too long for
# any resolver, whose answer is EAI_NONAME at once.

set -u

: "${top_srcdir:?top_srcdir must be set}"
# shellcheck source=tests/shim/lib.sh
. "$top_srcdir/tests/shim/lib.sh"

build_probe "$tmp/probe" resolve-probe.c
printf '127.0.0.1 localhost\n' >"$tmp/hosts"
printf 'hosts: files\n' >"$tmp/nsswitch.conf"
: >"$tmp/policy.conf"
ns_init 60

# A 4,000-byte name of 63-byte labels, one of them with a byte the log
# escapes (\x01), under stackshim.test.
label=$(printf 'a%.0s' {1..63})
name=$(printf '\001')
while [ ${#name} -lt 3980 ]; do name+="$label."; done
name+=stackshim.test
len=$(printf '%s' "$name" | wc -c)

for enforce in yes no; do
	got=$(in_ns env LD_PRELOAD="$preload" STACKSHIM_CONF="$tmp/policy.conf" \
		STACKSHIM_LOG=stderr STACKSHIM_ENFORCE=$enforce STACKSHIM_STACK=ipv4 \
		"$tmp/probe" "gai/$name/80/inet6/stream/addrconfig" 2>&1 >/dev/null)
	line=$(grep 'call=getaddrinfo' <<<"$got")
	tail=" stack=ipv4 error=EAI_NONAME reason=addrconfig"
	[ "$enforce" == no ] && tail+=" audit=yes"
	expect "enforce=$enforce: the decision fields end the line" "$tail" \
		"${line: -${#tail}}"
	expect "enforce=$enforce: the name cut and marked with its length" yes \
		"$(grep -q -E " name=\\\\x01a{63}\\.[a.]*\\.\\.\\.\\($len\\) stack=" \
			<<<"$line" && echo yes)"
	expect "enforce=$enforce: the line under 2,048 bytes" yes \
		"$([ "${#line}" -lt 2048 ] && echo yes)"
done

finish
