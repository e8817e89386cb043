#!/bin/sh
# SPDX-License-Identifier: MIT
# run.sh - "stackshim [options] -- CMD": the environment the child gets,
# and the commands the launcher refuses.
#
# The launcher never writes to stdout in run mode, so whatever a test finds
# there came from the child.

. "$(dirname "$0")/lib.sh"

lib=$(cd "$top_builddir" && pwd -P)/shim/.libs/libstackshim.so
# A sanitizer build's launcher puts the sanitizer's runtime first of all
# (SANITIZER_PRELOAD, empty otherwise): "the library" is that, then it.
lib=${SANITIZER_PRELOAD:+$SANITIZER_PRELOAD:}$lib
print_preload='printf %s "$LD_PRELOAD"'

capture env -u LD_PRELOAD "$STACKSHIM" --stack ipv6 -- sh -c "$print_preload"
expect_status "LD_PRELOAD unset" 0
expect "LD_PRELOAD unset: the library alone" "$lib" "$(cat "$tmp/out")"

capture env LD_PRELOAD= "$STACKSHIM" -- sh -c "$print_preload"
expect "LD_PRELOAD empty: the library alone" "$lib" "$(cat "$tmp/out")"

# ld.so warns on stderr that it cannot find the old entry, and goes on.
capture env LD_PRELOAD="$tmp/old.so" "$STACKSHIM" -- sh -c "$print_preload"
expect_status "LD_PRELOAD set" 0
expect "LD_PRELOAD set: the library first, the old value kept" \
	"$lib:$tmp/old.so" "$(cat "$tmp/out")"

# Without "--", the first word that is not an option or subcommand is CMD.
capture env -u LD_PRELOAD "$STACKSHIM" --stack ipv6 sh -c "$print_preload"
expect "no --: the library" "$lib" "$(cat "$tmp/out")"

# Every option becomes the variable the shim reads; -c's path made absolute.
printf 'stack = dual\n' >"$tmp/run.conf"
conf=$(cd "$tmp" && pwd -P)/run.conf
capture sh -c 'cd "$1" && shift && exec "$@"' sh "$tmp" \
	"$STACKSHIM" -c run.conf --stack ipv6 --prefer=ipv4 --mapped no \
	--local-address 2001:db8::2 --translate-prefix 64:ff9b::/96 \
	--peer-pool 198.18.0.0/15 --audit --log stderr -- env
expect_status "every option" 0
for var in "STACKSHIM_CONF=$conf" STACKSHIM_STACK=ipv6 \
	STACKSHIM_PREFER=ipv4 STACKSHIM_MAPPED=no \
	STACKSHIM_LOCAL_ADDRESS=2001:db8::2 \
	STACKSHIM_TRANSLATE_PREFIX=64:ff9b::/96 \
	STACKSHIM_PEER_POOL=198.18.0.0/15 STACKSHIM_ENFORCE=no \
	STACKSHIM_LOG=stderr; do
	expect_line "every option: $var" "$var" "$tmp/out"
done

# --log's relative path is made absolute as -c's is, against the
# launcher's directory: the child logs there wherever it goes first.  (An
# IPv6 literal on an IPv4 stack: one decision, fail-host, logged; getent
# exits 2, not found.)  The words stay words.
mkdir "$tmp/here" "$tmp/elsewhere"
here=$(cd "$tmp/here" && pwd -P)
for given in rel.log ./rel.log; do
	rm -f "$here/rel.log"
	capture sh -c 'cd "$1" && shift && exec "$@"' sh "$tmp/here" \
		"$STACKSHIM" --stack ipv4 --log "$given" -- \
		sh -c 'cd "$1" && echo "$STACKSHIM_LOG" && getent ahosts ::1' \
		sh "$tmp/elsewhere"
	expect_status "--log $given: accepted, getent's status" 2
	expect "--log $given: STACKSHIM_LOG is the launcher's directory's" \
		"$here/rel.log" "$(cat "$tmp/out")"
	if [ -f "$here/rel.log" ]; then
		expect_match "--log $given: the decision logged there" \
			'call=getaddrinfo name=::1 .*outcome=fail-host' \
			"$here/rel.log"
	else
		fail "--log $given: a log in the launcher's directory" \
			"$(show_output)"
	fi
	expect "--log $given: nothing in the child's directory" "" \
		"$(ls "$tmp/elsewhere")"
done
capture sh -c 'cd "$1" && shift && exec "$@"' sh "$tmp/here" \
	"$STACKSHIM" --log syslog -- sh -c 'echo "$STACKSHIM_LOG"'
expect "--log syslog: a word, not a file" syslog "$(cat "$tmp/out")"

# No option, no variable: the child inherits only what was there.
capture "$STACKSHIM" -- env
expect_status "no option" 0
expect "no option: no STACKSHIM_STACK" "" \
	"$(grep '^STACKSHIM_STACK=' "$tmp/out")"
capture "$STACKSHIM" --stack=ipv4 --stack ipv6 -- env
expect_line "the last --stack wins" STACKSHIM_STACK=ipv6 "$tmp/out"

# The child's exit status is the launcher's; its stdout is the child's.
capture "$STACKSHIM" -- sh -c 'exit 3'
expect_status "the child's status" 3
capture "$STACKSHIM" -- true
expect "true: nothing on stdout" "" "$(cat "$tmp/out")"

# Set-user-ID, set-group-ID: ld.so would ignore LD_PRELOAD; refused.
cp /bin/true "$tmp/suid-true" && chmod 4755 "$tmp/suid-true"
capture "$STACKSHIM" -- "$tmp/suid-true"
expect_status "set-user-ID program" 126
expect_match "set-user-ID program: says why" "LD_PRELOAD" "$tmp/err"
capture env PATH="$tmp:$PATH" "$STACKSHIM" -- suid-true
expect_status "set-user-ID program found along PATH" 126
cp /bin/true "$tmp/sgid-true" && chmod 2755 "$tmp/sgid-true"
capture "$STACKSHIM" -- "$tmp/sgid-true"
expect_status "set-group-ID program" 126
cp /bin/true "$tmp/cap-true"
if command -v setcap >/dev/null 2>&1 &&
   setcap cap_net_raw+ep "$tmp/cap-true" 2>/dev/null; then
	capture "$STACKSHIM" -- "$tmp/cap-true"
	expect_status "program with file capabilities" 126
else
	echo "note: setcap unavailable here; file capabilities not tested"
fi

capture "$STACKSHIM" -- no-such-command-stackshim-test
expect_status "missing command" 127
expect_line "missing command: says so" \
	"stackshim: no-such-command-stackshim-test: No such file or directory" \
	"$tmp/err"
expect "missing command: nothing on stdout" "" "$(cat "$tmp/out")"
printf 'not a program\n' >"$tmp/plain" && chmod 644 "$tmp/plain"
capture "$STACKSHIM" -- "$tmp/plain"
expect_status "file that is not executable" 126

# Bad options and values are refused before anything runs.
capture "$STACKSHIM" --stack ipv5 -- touch "$tmp/ran"
expect_status "--stack ipv5" 1
expect_match "--stack ipv5: names the option" "--stack" "$tmp/err"
printf 'stack = ipv5\n' >"$tmp/bad.conf"
capture "$STACKSHIM" -c "$tmp/bad.conf" -- touch "$tmp/ran"
expect_status "bad config file" 1
expect_match "bad config file: file:line" "^stackshim: $tmp/bad.conf:1:" \
	"$tmp/err"
capture "$STACKSHIM" --bogus -- touch "$tmp/ran"
expect_status "unknown option" 2
capture "$STACKSHIM" --stack
expect_status "missing value" 2
capture "$STACKSHIM" --stack ipv6 --
expect_status "no command" 2
capture "$STACKSHIM"
expect_status "nothing at all" 2
capture "$STACKSHIM" --program foo -- true
expect_status "--program does not apply to run" 2
expect "nothing ran" "" "$(ls "$tmp/ran" 2>/dev/null)"

finish
