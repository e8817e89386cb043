#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/shim/mmsg.sh - sendmmsg() across destinations the rules treat
# differently (SPEC §3 allow/deny/map at the sends): every message goes
# where its own decision says, in order, each decided and logged once, and
# a refused message ends the call as a failing message does in the kernel
# (the ones before it sent and counted; alone, -1 with the rule's errno).
#
# The probe (mmsg-probe.c) sends from an AF_INET6 UDP socket to ::1 ('6')
# and to ::ffff:127.0.0.2 ('4') on loopback only; a map rule on 127.0.0.2
# rewrites the '4' messages (to the same ::ffff: address, through the
# shim's own buffer), so each change of letter ends a run of the hook.

set -u

: "${top_srcdir:?top_srcdir must be set}"
# shellcheck source=tests/shim/lib.sh
. "$top_srcdir/tests/shim/lib.sh"


build_probe "$tmp/mmsg-probe" mmsg-probe.c

# run CONFIG-TEXT PATTERN - the probe under a config, its log in $tmp/log.
run()
{
	printf '%b' "$1" >"$tmp/conf"
	: >"$tmp/log"
	env LD_PRELOAD="$preload" STACKSHIM_CONF="$tmp/conf" \
		STACKSHIM_LOG="$tmp/log" "$probe" "$2"
}

# indexes N - "0,1,...,N-1".
indexes() { seq -s, 0 $(($1 - 1)); }

# count LETTER PATTERN - how many times LETTER is in PATTERN.
count() { local s=${2//[^$1]/}; echo ${#s}; }

for pattern in 4646464646 44446666444466664444 6444444444444444444446 \
	4444444444444444444444444444444444 66664; do
	n=${#pattern}
	expect "map rule, $pattern: all sent, in order" \
		"sent=$n
got=$(indexes "$n")" "$(run 'map = 127.0.0.2\n' "$pattern")"
	expect "map rule, $pattern: one log line per mapped message" \
		"$(count 4 "$pattern")" \
		"$(grep -c 'call=sendmmsg .*outcome=map rule=' "$tmp/log")"
done

# A deny rule: the messages before the first refused one are sent and
# counted; a refused first message is -1 with EACCES; nothing after it
# goes out.
expect "deny rule, 66646: the three before it" "sent=3
got=0,1,2" "$(run 'deny = 127.0.0.2\n' 66646)"
expect "deny rule, 66646: the refusal logged once" 1 \
	"$(grep -c 'call=sendmmsg .*outcome=deny .*error=EACCES' "$tmp/log")"
expect "deny rule, 466: EACCES" "sent=-1 errno=EACCES
got=" "$(run 'deny = 127.0.0.2\n' 466)"
# The same with a port rule that does not fit: all go.
expect "deny rule on another port: all sent" "sent=5
got=0,1,2,3,4" "$(run 'deny = 127.0.0.2 1-1023 udp\n' 66646)"
expect "a tcp rule does not fit UDP: all sent" "sent=5
got=0,1,2,3,4" "$(run 'deny = 127.0.0.0/8 tcp\n' 44444)"
# Audit mode: everything goes, the would-be refusal logged.
expect "audit: all sent" "sent=5
got=0,1,2,3,4" "$(run 'enforce = no\ndeny = 127.0.0.2\n' 66646)"
expect "audit: the refusal logged as it would have been" 1 \
	"$(grep -c 'call=sendmmsg .*outcome=deny .*error=EACCES audit=yes$' \
		"$tmp/log")"

finish
