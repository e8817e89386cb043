#!/bin/sh
# conf.sh - every example config in conf/ passes "stackshim check".

. "$(dirname "$0")/lib.sh"

found=0
for conf in "$top_srcdir"/conf/*.conf; do
	[ -e "$conf" ] || continue
	found=$((found + 1))
	capture "$STACKSHIM" check -c "$conf"
	expect_status "check -c $conf" 0
	expect_line "$conf: ok" "$conf: ok" "$tmp/out"
done
[ "$found" -gt 0 ] || fail "no example configs" \
	"expected files $top_srcdir/conf/*.conf" "got none"

finish
