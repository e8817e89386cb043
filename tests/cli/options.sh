#!/bin/sh
# SPDX-License-Identifier: MIT
# options.sh - how the launcher reads its command line: the spellings of
# each option, where options stop, and the usage error for each mistake.
#
# cli/options.c hands the words to getopt_long(), which on its own would
# take "--sta" for --stack and "-hx" for -h -x; the launcher takes exactly
# the names it lists.  Each row: the exit status, stderr's first line ("-"
# for none), a basic regex a line of stdout must match ("-" for none), and
# the arguments (shell words).  No row starts a program but echo.

. "$(dirname "$0")/lib.sh"

while IFS='|' read -r want err out args; do
	[ -n "$want" ] || continue
	eval "set -- $args"
	capture "$STACKSHIM" "$@"
	expect_status "$args" "$want"
	if [ "$err" = - ]; then
		expect "$args: nothing on stderr" "" "$(cat "$tmp/err")"
	else
		expect "$args: stderr" "$err" "$(head -n 1 "$tmp/err")"
	fi
	[ "$out" = - ] || expect_match "$args: stdout" "$out" "$tmp/out"
done <<'EOF'
0|-|stack: ipv6)$|--stack ipv6 table
0|-|stack: ipv6)$|--stack=ipv6 table
0|-|stack: ipv6)$|table --stack ipv6
0|-|stack: ipv6)$|table --stack=ipv6
0|-|stack: ipv4)$|--stack ipv6 table --stack ipv4
0|-| mapped=no |table --mapped=no
0|-|^/dev/null: ok$|-c /dev/null check
0|-|^/dev/null: ok$|-c/dev/null check
0|-|^/dev/null: ok$|check -c /dev/null
0|-|^connection: port=80 proto=udp$|explain --port 80 192.0.2.1 --proto=udp
0|-|^connection: port=443 proto=tcp$|explain 192.0.2.1 ::1 --port=443 --proto TCP
0|-|^connection: port=80 proto=any$|explain --port 0000080 192.0.2.1
0|-|^a --stack x$|--stack ipv6 echo a --stack x
0|-|^--stack$|--stack ipv6 -- echo --stack
0|-|^-$|-- echo -
0|-|^Usage: stackshim|--help --bogus
0|-|^Usage: stackshim|-h
0|-|^stackshim |--version
1|stackshim: --stack:1:1: bad value '--' (expected ipv4, dual or ipv6)|-|--stack -- table
2|stackshim: unknown option '--sta'|-|--sta ipv6 table
2|stackshim: unknown option '--sta'|-|table --sta
2|stackshim: unknown option '--stac=ipv6'|-|--stac=ipv6 table
2|stackshim: unknown option '--p'|-|--p x table
2|stackshim: unknown option '--h'|-|--h
2|stackshim: unknown option '--hel=x'|-|--hel=x
2|stackshim: unknown option '-x'|-|-x
2|stackshim: unknown option '-xyz'|-|-xyz table
2|stackshim: unknown option '--bogus=1'|-|--bogus=1 table
2|stackshim: unknown option '--bogus'|-|--bogus --help
2|stackshim: unknown option '--=x'|-|--=x
2|stackshim: option -h takes no value|-|-hx
2|stackshim: option --help takes no value|-|--help=x
2|stackshim: option --audit takes no value|-|--audit= table
2|stackshim: option --stack needs a value|-|table --stack
2|stackshim: option -c needs a value|-|check -c
2|stackshim: option --port needs a value|-|explain 192.0.2.1 --port
2|stackshim: option --port does not apply here|-|table --port 80
2|stackshim: option --stack does not apply here|-|check --stack ipv6
2|stackshim: extra operand 'table'|-|table table
2|stackshim: extra operand 'x'|-|table -- x
2|stackshim: extra operand 'x'|-|explain 192.0.2.1 ::1 x
2|stackshim: missing operand|-|explain
2|stackshim: no command to run|-|--stack ipv6 --
EOF

finish
