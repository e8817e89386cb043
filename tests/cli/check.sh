#!/bin/sh
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
expect_text "good file: nothing on stderr" "" "$(cat "$tmp/err")"

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
expect_text "bad file: two errors" 2 "$(grep -c "^$tmp/bad.conf:" "$tmp/err")"
expect_text "bad file: nothing on stdout" "" "$(cat "$tmp/out")"

capture "$STACKSHIM" check -c "$tmp/absent.conf"
expect_status "missing file" 1
expect_match "missing file: named" "$tmp/absent.conf" "$tmp/err"

# Without -c, check reads what the shim would: STACKSHIM_CONF here.
capture env STACKSHIM_CONF="$tmp/good.conf" "$STACKSHIM" check
expect_status "STACKSHIM_CONF, good" 0
expect_line "STACKSHIM_CONF, good: ok" "$tmp/good.conf: ok" "$tmp/out"
capture env STACKSHIM_CONF="$tmp/bad.conf" "$STACKSHIM" check
expect_status "STACKSHIM_CONF, bad" 1
expect_text "STACKSHIM_CONF, bad: two errors" 2 \
	"$(grep -c "^$tmp/bad.conf:[24]:" "$tmp/err")"

capture "$STACKSHIM" check --stack ipv6
expect_status "check takes no policy option" 2
capture "$STACKSHIM" check extra
expect_status "check takes no operand" 2

finish
