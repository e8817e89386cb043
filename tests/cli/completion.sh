#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/cli/completion.sh - the bash completion, completion/stackshim,
# sourced in bash and asked as bash asks it (COMP_WORDS, COMP_CWORD), the
# answer read from COMPREPLY:
#   - it cannot drift from the launcher: every option "stackshim --help"
#     lists (found as tests/cli/man.sh finds them) is offered after "-",
#     every command of its "Subcommands:" at the first word, and every
#     "--opt a|b|c" of it completes to exactly a, b, c;
#   - values: --stack, --prefer, --mapped, --proto their words, "--opt="
#     as bash splits it, --log its words and files, -c and -o files,
#     --program commands, explain's operands host names (from a HOSTFILE of
#     the test's own);
#   - the command: after "--", or at the first word that is not an option
#     (an option's value skipped) nor a command, commands; after it, files,
#     or that command's own completion where bash-completion is installed
#     (its part skipped, saying so, where it is not).

set -u

# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/lib.sh"

script=$top_srcdir/completion/stackshim
[ -f "$script" ] || { fail "completion/stackshim exists"; finish; }
# shellcheck source=completion/stackshim
. "$script" || give_up "cannot source $script"

# comp WORD...: complete the last WORD after "stackshim WORD..." (the
# launcher of the build tree as the first word); the answer in $reply,
# sorted, one a line.
comp()
{
	COMP_WORDS=("$STACKSHIM" "$@")
	COMP_CWORD=$#
	COMP_LINE="${COMP_WORDS[*]}"
	COMP_POINT=${#COMP_LINE}
	COMPREPLY=()
	_stackshim
	reply=$(printf '%s\n' "${COMPREPLY[@]}" | sed '/^$/d' | sort -u)
}

# expect_reply WHAT WANT WORD...: the answer is exactly WANT's words.
expect_reply()
{
	local what=$1 want=$2

	shift 2
	comp "$@"
	# shellcheck disable=SC2086 # one word a line
	expect "$what" "$(printf '%s\n' $want | sort -u)" "$reply"
}

# expect_offered WHAT WANT WORD...: the answer holds each of WANT's words.
expect_offered()
{
	local what=$1 want=$2 word missing=

	shift 2
	comp "$@"
	for word in $want; do
		printf '%s\n' "$reply" | grep -qxF -e "$word" ||
			missing="$missing $word"
	done
	if [ -z "$missing" ]; then
		pass "$what"
	else
		fail "$what" "missing:$missing" "got: $(tr '\n' ' ' <<<"$reply")"
	fi
}

# --- drift: what --help lists ------------------------------------------------
capture "$STACKSHIM" --help
expect_status "--help" 0
help=$(cat "$tmp/out")
options=$(printf '%s\n' "$help" | grep -oE '(^|[ [,])--?[a-z][a-z0-9-]*' |
	sed 's/^[ [,]//' | sort -u)
[ "$(wc -w <<<"$options")" -ge 15 ] ||
	give_up "found too few options in --help: $(tr '\n' ' ' <<<"$options")"
expect_offered "after -: every option --help lists" "$options" -
for opt in $options; do
	expect_offered "$opt completes to itself" "$opt" "$opt"
done
commands=$(printf '%s\n' "$help" | sed -n '/^Subcommands:/,/^$/p' |
	sed -n 's/^  \([a-z][a-z]*\) .*/\1/p')
[ -n "$commands" ] || give_up "found no commands in --help"
expect_offered "first word: every command --help lists" "$commands" ''
lists=$(printf '%s\n' "$help" |
	grep -oE -- '--[a-z][a-z0-9-]* [a-z0-9]+(\|[a-z0-9]+)+' | sort -u)
[ -n "$lists" ] || give_up "found no value lists in --help"
while read -r opt values; do
	expect_reply "$opt: the values --help lists ($values)" \
		"${values//|/ }" "$opt" ''
done <<<"$lists"

# --- values ------------------------------------------------------------------
expect_reply "--stack" "ipv4 dual ipv6" --stack ''
expect_reply "--stack i" "ipv4 ipv6" --stack i
expect_reply "--stack=i (bash splits at =)" "ipv4 ipv6" --stack = i
expect_reply "--stack= (bash splits at =)" "ipv4 dual ipv6" --stack =
expect_reply "--prefer" "ipv4 ipv6" --prefer ''
expect_reply "--mapped" "yes no" --mapped ''
expect_reply "--fallback" "yes no" table --fallback ''
expect_reply "--proto" "tcp udp" explain --proto ''
expect_reply "--port: nothing to offer" "" explain --port ''
expect_offered "--audit takes no value: the next word is a command" \
	"compile" --audit comp

mkdir "$tmp/dir" && : >"$tmp/dir/run.conf" && : >"$tmp/dir/rel.log" ||
	give_up "cannot make $tmp/dir"
cd "$tmp/dir" || give_up "cannot cd $tmp/dir"
expect_reply "--log: its words and the files here" \
	"off stderr syslog rel.log run.conf" --log ''
expect_reply "--log s: its words" "stderr syslog" --log s
expect_reply "--log re: a file" "rel.log" --log re
expect_reply "-c: files" "run.conf" -c ru
expect_reply "-o: files" "rel.log" compile -o re

mkdir "$tmp/bin" && printf '#!/bin/sh\n' >"$tmp/bin/stackshim-test-cmd" &&
	chmod 755 "$tmp/bin/stackshim-test-cmd" || give_up "cannot make a command"
PATH=$tmp/bin:$PATH
expect_reply "--program: commands" "stackshim-test-cmd" \
	table --program stackshim-test-c
printf '192.0.2.1 stackshim-test-host\n' >"$tmp/hosts"
HOSTFILE=$tmp/hosts
expect_reply "explain HOST: host names" "stackshim-test-host" \
	explain --port 80 stackshim-test-h
expect_reply "table takes no operand" "" table stackshim-test-h

# --- the command -------------------------------------------------------------
expect_reply "first word: commands and subcommands" \
	"stackshim-test-cmd" stackshim-test-c
expect_reply "first word: a subcommand" "explain" expl
expect_reply "after --: commands" "stackshim-test-cmd" -- stackshim-test-c
expect_reply "after options and their values: commands" \
	"stackshim-test-cmd" --stack ipv4 --log stderr stackshim-test-c
expect_reply "after --: not the launcher's options" "" --stack ipv4 -- --sta
expect_reply "after the command: its arguments, files here" "run.conf" \
	--stack ipv4 -- stackshim-test-cmd ru
expect_reply "after the command without --: files here" "run.conf" \
	--stack ipv4 stackshim-test-cmd ru

# With bash-completion, the command's own completion: ls's long options.
bc=/usr/share/bash-completion/bash_completion
if [ -f "$bc" ]; then
	got=$(bash -c '. "$1" && . "$2" && COMP_WORDS=("$3" --stack ipv4 -- ls --almost-al) &&
		COMP_CWORD=5 && COMP_LINE="${COMP_WORDS[*]}" &&
		COMP_POINT=${#COMP_LINE} && _stackshim &&
		printf "%s\n" "${COMPREPLY[@]}"' sh "$bc" "$script" "$STACKSHIM")
	expect "with bash-completion: ls's own options after --" \
		"--almost-all" "$got"
else
	echo "note: no $bc; the command's own completion is not tested"
fi

finish
