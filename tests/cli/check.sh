#!/bin/sh
# SPDX-License-Identifier: MIT
# check.sh - "stackshim check" validates a config file and lists every error.

. "$(dirname "$0")/lib.sh"

cat >"$tmp/good.conf" <<EOF2
# A policy for every program, and one section.
stack = ipv6
prefer = ipv4
mapped = yes

[program curl]
stack = dual
EOF2
capture "$STACKSHIM" check -c "$tmp/good.conf"
expect_status "good file" 0
expect_line "good file: ok" "$tmp/good.conf: ok" "$tmp/out"
expect "good file: nothing on stderr" "" "$(cat "$tmp/err")"

# Two bad lines, 2 and 4: both must be reported, not only the first.
cat >"$tmp/bad.conf" <<EOF2
# Two mistakes.
stack = ipv5
prefer = ipv6
colour = blue
EOF2
capture "$STACKSHIM" check -c "$tmp/bad.conf"
expect_status "bad file" 1
expect_match "bad file: line 2 reported" \
	"^$tmp/bad.conf:2:[0-9][0-9]*: ." "$tmp/err"
expect_match "bad file: line 4 reported" \
	"^$tmp/bad.conf:4:[0-9][0-9]*: ." "$tmp/err"
expect "bad file: two errors" 2 "$(grep -c "^$tmp/bad.conf:" "$tmp/err")"
expect "bad file: nothing on stdout" "" "$(cat "$tmp/out")"

capture "$STACKSHIM" check -c "$tmp/absent.conf"
expect_status "missing file" 1
expect_match "missing file: named" "$tmp/absent.conf" "$tmp/err"

# Without -c, check reads what the shim would: STACKSHIM_CONF here.
capture env STACKSHIM_CONF="$tmp/good.conf" "$STACKSHIM" check
expect_status "STACKSHIM_CONF, good" 0
expect_line "STACKSHIM_CONF, good: ok" "$tmp/good.conf: ok" "$tmp/out"
capture env STACKSHIM_CONF="$tmp/bad.conf" "$STACKSHIM" check
expect_status "STACKSHIM_CONF, bad" 1
expect "STACKSHIM_CONF, bad: two errors" 2 \
	"$(grep -c "^$tmp/bad.conf:[24]:" "$tmp/err")"

# --- map rules over non-global IPv4 under the well-known prefix ----------
# RFC 6052 section 3.1 forbids 64:ff9b::/96 to carry non-global addresses;
# a map rule is obeyed, so check warns, and the exit status stays 0.

# wkp NAME LINE...: a file $tmp/NAME.conf, an ipv6 stack under the
# well-known prefix, then LINE... (its line 3 onwards).
wkp()
{
	name=$1
	shift
	printf '%s\n' "stack = ipv6" "translate-prefix = 64:ff9b::/96" "$@" \
		>"$tmp/$name.conf"
}

# expect_quiet WHAT FILE: check passes FILE with nothing on stderr.
expect_quiet()
{
	capture "$STACKSHIM" check -c "$2"
	expect_status "$1" 0
	expect_line "$1: ok" "$2: ok" "$tmp/out"
	expect "$1: no warning" "" "$(cat "$tmp/err")"
}

not_global='is not global (RFC 6052 section 3.1)'
wkp private "map = 10.1.0.0/16"
capture "$STACKSHIM" check -c "$tmp/private.conf"
expect_status "map inside 10/8" 0
expect_line "map inside 10/8: ok" "$tmp/private.conf: ok" "$tmp/out"
expect_line "map inside 10/8: warned" \
	"$tmp/private.conf:3: warning: map 10.1.0.0/16: translated into the well-known prefix 64:ff9b::/96, though 10.0.0.0/8 (RFC 1918) $not_global" \
	"$tmp/err"
expect "map inside 10/8: one line" 1 "$(wc -l <"$tmp/err")"

wkp everything "allow = 192.0.2.0/24" "map = 0.0.0.0/0 tcp"
capture "$STACKSHIM" check -c "$tmp/everything.conf"
expect_status "map 0/0" 0
expect "map 0/0: one line" 1 "$(wc -l <"$tmp/err")"
for range in "0.0.0.0/8 (this network)" "10.0.0.0/8 (RFC 1918)" \
	"100.64.0.0/10 (shared address space, RFC 6598)" \
	"192.168.0.0/16 (RFC 1918)" "203.0.113.0/24 (TEST-NET-3)" \
	"240.0.0.0/4 (reserved, and the broadcast)"; do
	expect_match "map 0/0: lists $range" \
		"^$tmp/everything.conf:4: warning: map 0.0.0.0/0 tcp: .* $range[, ]" \
		"$tmp/err"
done
expect_match "map 0/0: plural" "are not global (RFC 6052 section 3.1)$" \
	"$tmp/err"
# ipv4-loopback = yes keeps 127/8 out of the prefix: not said to be.
expect "map 0/0: loopback is not translated" "" \
	"$(grep -F "127.0.0.0/8" "$tmp/err")"
# With ipv4-loopback = no, 127/8 is an address like any other: a map
# rule sends it through the prefix, and is warned about.
wkp loopback "ipv4-loopback = no" "map = 127.0.0.0/8"
capture "$STACKSHIM" check -c "$tmp/loopback.conf"
expect_match "ipv4-loopback = no: loopback is" \
	"^$tmp/loopback.conf:4: warning: map 127.0.0.0/8: .* 127.0.0.0/8 (loopback) is" \
	"$tmp/err"
# With yes (the default), never: a map rule leaves the host's own
# loopback alone (policy_own_loopback()), so there is nothing to say.
wkp ownloop "map = 127.0.0.0/8"
capture "$STACKSHIM" check -c "$tmp/ownloop.conf"
expect_status "ipv4-loopback = yes, map 127/8: exit 0" 0
expect "ipv4-loopback = yes, map 127/8: not translated" "" \
	"$(grep -F "127.0.0.0/8" "$tmp/err")"

wkp global "map = 1.2.3.0/24"
expect_quiet "a global /24" "$tmp/global.conf"

printf '%s\n' "stack = ipv6" "translate-prefix = 2001:db8:64::/64" \
	"map = 10.1.0.0/16" >"$tmp/nsp.conf"
expect_quiet "map inside 10/8 under a /64 prefix" "$tmp/nsp.conf"
wkp unmapped "mapped = no" "map = 10.1.0.0/16"
expect_quiet "mapped = no translates nothing" "$tmp/unmapped.conf"
wkp named "map = legacy.example" "map = *.corp.example 443"
expect_quiet "name rules cannot be judged" "$tmp/named.conf"

printf '%s\n' "stack = ipv6" "translate-prefix = auto" "map = 10.1.0.0/16" \
	"map = 1.2.3.0/24" "map = 192.168.7.0/24 22" >"$tmp/auto.conf"
capture "$STACKSHIM" check -c "$tmp/auto.conf"
expect_status "auto" 0
expect_line "auto: one conditional note" \
	"$tmp/auto.conf:3: warning: translate-prefix = auto: if the prefix found is the well-known 64:ff9b::/96, the map rules of lines 3, 5 translate addresses that are not global (RFC 6052 section 3.1)" \
	"$tmp/err"
expect "auto: said once" 1 "$(wc -l <"$tmp/err")"

# Sections: each judged with its own effective prefix and the global rules.
printf '%s\n' "stack = ipv6" "map = 10.1.0.0/16" "" "[program curl]" \
	"map = 172.16.1.0/24" "" "[program legacy]" \
	"translate-prefix = 64:ff9b::/96" "map = 192.168.1.0/24" \
	"[program auto*]" "translate-prefix = auto" "map = 169.254.0.0/16" \
	>"$tmp/sections.conf"
capture "$STACKSHIM" check -c "$tmp/sections.conf"
expect_status "sections" 0
expect_match "sections: a global rule under a section's prefix" \
	"^$tmp/sections.conf:2: warning: map 10.1.0.0/16 (for \[program legacy\]): .* 10.0.0.0/8 (RFC 1918) is" \
	"$tmp/err"
expect_match "sections: the section's own rule" \
	"^$tmp/sections.conf:9: warning: map 192.168.1.0/24 (for \[program legacy\]): " \
	"$tmp/err"
expect_line "sections: auto's rule, once" \
	"$tmp/sections.conf:12: warning: translate-prefix = auto: if the prefix found is the well-known 64:ff9b::/96, the map rule of line 12 translates addresses that are not global (RFC 6052 section 3.1)" \
	"$tmp/err"
expect "sections: curl's rule is not under the prefix" "" \
	"$(grep "sections.conf:5:" "$tmp/err")"
expect "sections: three lines" 3 "$(wc -l <"$tmp/err")"

# The effective prefix: STACKSHIM_TRANSLATE_PREFIX over the file's.
printf '%s\n' "stack = ipv6" "map = 10.1.0.0/16" >"$tmp/env.conf"
capture env STACKSHIM_CONF="$tmp/env.conf" \
	STACKSHIM_TRANSLATE_PREFIX=64:ff9b::/96 "$STACKSHIM" check
expect_status "prefix from the environment" 0
expect_match "prefix from the environment: warned" \
	"^$tmp/env.conf:2: warning: map 10.1.0.0/16: " "$tmp/err"
capture env STACKSHIM_CONF="$tmp/env.conf" "$STACKSHIM" check
expect "default prefix: no warning" "" "$(cat "$tmp/err")"

# A file with errors gives its errors only, and exit 1 as before.
wkp broken "map = 10.1.0.0/16" "colour = blue"
capture "$STACKSHIM" check -c "$tmp/broken.conf"
expect_status "errors and a map rule" 1
expect "errors and a map rule: the error only" 1 "$(wc -l <"$tmp/err")"
expect_match "errors and a map rule: the error" "^$tmp/broken.conf:4:" \
	"$tmp/err"

capture "$STACKSHIM" check --stack ipv6
expect_status "check takes no policy option" 2
capture "$STACKSHIM" check extra
expect_status "check takes no operand" 2

finish
