#!/bin/sh
# SPDX-License-Identifier: MIT
# conf.sh - every example config in conf/ passes "stackshim check", and every
# "explain" example in its comments gives the answer written under it:
#
#   #   explain [OPTION...] HOST
#   #     rule: deny conf/NAME.conf:LINE
#   #     outcome: deny
#
# (conf/NAME.conf stands for the file's path; each "key: value" line under
# the command must be a line of its output).  Examples use literal
# addresses only: nothing is resolved.

. "$(dirname "$0")/lib.sh"

tab=$(printf '\t')

# examples FILE: "N<TAB>cmd<TAB>ARGS" for each example, then
# "N<TAB>want<TAB>LINE" for each line expected of it.
examples()
{
	awk -v OFS='\t' '
		/^#   explain / {
			n++
			sub(/^#   explain /, "")
			print n, "cmd", $0
			next
		}
		n && /^#     [a-z]+: / {
			sub(/^#     /, "")
			print n, "want", $0
		}' "$1"
}

found=0
for conf in "$top_srcdir"/conf/*.conf; do
	[ -e "$conf" ] || continue
	found=$((found + 1))
	capture "$STACKSHIM" check -c "$conf"
	expect_status "check -c $conf" 0
	expect_line "$conf: ok" "$conf: ok" "$tmp/out"
	expect "$conf: no warning" "" "$(cat "$tmp/err")"

	base=conf/${conf##*/}
	examples "$conf" >"$tmp/examples"
	expect "$base: every explain example read" \
		"$(grep -c '^#   explain ' "$conf")" \
		"$(grep -c "${tab}cmd${tab}" "$tmp/examples")"
	while IFS=$tab read -r n kind text; do
		if [ "$kind" = cmd ]; then
			what="$base: explain $text"
			# shellcheck disable=SC2086 # text is a list of words
			capture "$STACKSHIM" explain -c "$conf" $text
			expect_status "$what" 0
			continue
		fi
		case $text in
		*"$base"*) want=${text%%"$base"*}$conf${text#*"$base"} ;;
		*) want=$text ;;
		esac
		expect_line "$what: $text" "$want" "$tmp/out"
	done <"$tmp/examples"
done
[ "$found" -gt 0 ] || fail "no example configs" \
	"expected files $top_srcdir/conf/*.conf" "got none"

finish
