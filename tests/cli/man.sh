#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/cli/man.sh - the man pages, doc/stackshim.1 and doc/stackshim.conf.5:
#   - groff reads them without a warning (-ww), and so does man(1)
#     (--warnings) where man-db is installed;
#   - their version is the launcher's (stackshim --version);
#   - they say what the README and the launcher say: every option and
#     command "stackshim --help" lists is in stackshim(1), every key of the
#     README's config table in stackshim.conf(5) as an entry of KEYS, and
#     every STACKSHIM_* variable of the README's "Where the policy comes
#     from" in both.
# The pages are read as man renders them (groff -man -Tascii, no
# overstriking), so that a name hyphenated or split across lines fails.
#
# Needs top_srcdir and top_builddir (absolute, as make check exports
# them); exits 77 (skip) without groff, 1 after reporting every mismatch.

set -u

# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/lib.sh"

if ! command -v groff >/dev/null; then
	echo "SKIP: no groff"
	exit 77
fi

man1=$top_srcdir/doc/stackshim.1
man5=$top_srcdir/doc/stackshim.conf.5
readme=$top_srcdir/README

# render PAGE: the page as plain text, one space between words.
render()
{
	groff -man -Tascii -P-cbou "$1" 2>/dev/null | tr -s ' '
}

for page in "$man1" "$man5"; do
	name=${page##*/}
	expect "$name: groff -ww warnings" "" \
		"$(groff -ww -z -man "$page" 2>&1)"
	if command -v man >/dev/null && man --help 2>&1 | grep -q -- --warnings
	then
		expect "$name: man --warnings" "" \
			"$(MANWIDTH=80 man --warnings -l "$page" 2>&1 >/dev/null)"
	fi
	version=$("$STACKSHIM" --version | sed -n 's/^stackshim //p')
	expect "$name: .TH names the launcher's version" "stackshim $version" \
		"$(sed -n 's/^\.TH [^"]*"[^"]*" "\([^"]*\)".*/\1/p' "$page")"
done

text1=$(render "$man1")
text5=$(render "$man5")

# has_entry WHAT TEXT NAME...: TEXT has a line that starts with each NAME
# (an entry's tag: "--stack ipv4|dual|ipv6", "table", "allow, deny, map =
# ..."), reported as "WHAT NAME".
has_entry()
{
	local what=$1 text=$2 name

	shift 2
	for name; do
		if printf '%s\n' "$text" |
			grep -qE "^ ?([a-z0-9-]+, )*$name( |,|$)"; then
			pass "$what $name"
		else
			fail "$what $name"
		fi
	done
}

# --- stackshim(1): the launcher's own options and commands ------------------
capture "$STACKSHIM" --help
out=$(cat "$tmp/out")
expect "--help: exit status" 0 "$status"
options=$(printf '%s\n' "$out" | grep -oE '(^|[ [,])--?[a-z][a-z0-9-]*' |
	sed 's/^[ [,]//' | sort -u)
[ -n "$options" ] || fail "--help lists options" "got: $out"
# shellcheck disable=SC2086 # one option a word
has_entry "stackshim(1) has an entry for" "$text1" $options
commands=$(printf '%s\n' "$out" | sed -n '/^Subcommands:/,/^$/p' |
	sed -n 's/^  \([a-z][a-z]*\) .*/\1/p')
[ -n "$commands" ] || fail "--help lists subcommands" "got: $out"
# shellcheck disable=SC2086 # one command a word
has_entry "stackshim(1) has an entry for the command" "$text1" $commands

# --- stackshim.conf(5): the README's key table --------------------------------
keys=$(sed -n '/^  key  *values  *default$/,/^$/p' "$readme" |
	sed -n '3,$s/^  \([a-z][a-z0-9/-]*\) .*/\1/p' | tr '/' ' ')
[ -n "$keys" ] || fail "the README has a key table"
keys_text=$(printf '%s\n' "$text5" | sed -n '/^KEYS$/,/^[A-Z][A-Z ]*$/p')
# shellcheck disable=SC2086 # one key a word
has_entry "stackshim.conf(5) KEYS has an entry for" "$keys_text" $keys

# --- both: the environment the README names -----------------------------------
vars=$(sed -n '/^Where the policy comes from/,/^  4\./p' "$readme" |
	grep -oE 'STACKSHIM_[A-Z_]+' | sort -u)
[ -n "$vars" ] || fail "the README names the STACKSHIM_* variables"
for var in $vars; do
	for page in 1 5; do
		text=$text1
		[ "$page" = 5 ] && text=$text5
		if printf '%s\n' "$text" | grep -qw "$var"; then
			pass "section $page page names $var"
		else
			fail "section $page page names $var"
		fi
	done
done

finish
