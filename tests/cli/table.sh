#!/bin/sh
# SPDX-License-Identifier: MIT
# table.sh - "stackshim table" prints the 36 cells of SPEC §1 under a policy.
#
# The expected tables come from tests/table.txt, one row per stack and
# local address with the outcomes for hosts ipv4, ipv6 and both, exactly as
# SPEC §1 lays them out; expand() turns a row into the program's three lines.

# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"

# cells PREFER MAPPED: tests/table.txt's rows, SPEC §1, under that policy:
# "prefer" is PREFER's outcome, "map" fail-host when MAPPED is no.
cells()
{
	awk -v prefer="$1" -v mapped="$2" '/^#/ || NF == 0 { next }
	{
		for (i = 3; i <= 5; i++) {
			if ($i == "prefer")
				$i = prefer
			if ($i == "map" && mapped == "no")
				$i = "fail-host"
		}
		print
	}' "$top_srcdir/tests/table.txt"
}

default=$(cells ipv6 yes)
prefer_ipv4=$(cells ipv4 yes)
mapped_no=$(cells ipv6 no)
prefer_ipv4_mapped_no=$(cells ipv4 no)
expect "tests/table.txt: 12 rows of 5 fields" 12 \
	"$(printf '%s\n' "$default" | awk 'NF == 5' | wc -l | tr -d ' ')"

# expand ROWS: "stack local o4 o6 ob" rows as "stack host local outcome".
expand()
{
	printf '%s\n' "$1" | awk 'NF == 5 {
		print $1, "ipv4", $2, $3
		print $1, "ipv6", $2, $4
		print $1, "both", $2, $5
	}'
}

# check_table WHAT EXPECTED_ROWS CMD...: the cells that CMD prints.
check_table()
{
	what=$1
	expand "$2" >"$tmp/expected"
	shift 2
	capture "$@"
	expect_status "$what" 0
	grep -v '^#' "$tmp/out" >"$tmp/cells"
	expect_files "$what: cells" "$tmp/expected" "$tmp/cells"
	expect "$what: 36 cells" 36 "$(wc -l <"$tmp/cells" | tr -d ' ')"
	expect "$what: 4 fields each" "" \
		"$(awk 'NF != 4 || $0 != $1 " " $2 " " $3 " " $4' "$tmp/cells")"
}

check_table "defaults" "$default" "$STACKSHIM" table
comment="# stackshim table: prefer=ipv6 mapped=yes (this policy's stack:"
expect_line "defaults: policy comment" "$comment dual)" "$tmp/out"
expect_line "defaults: column comment" "# stack host local outcome" "$tmp/out"
check_table "--prefer ipv4" "$prefer_ipv4" "$STACKSHIM" table --prefer ipv4
check_table "--mapped no" "$mapped_no" "$STACKSHIM" table --mapped no
check_table "--prefer ipv4 --mapped no" "$prefer_ipv4_mapped_no" \
	"$STACKSHIM" table --prefer ipv4 --mapped no
check_table "--prefer=ipv4 --mapped=no" "$prefer_ipv4_mapped_no" \
	"$STACKSHIM" table --prefer=ipv4 --mapped=no
check_table "options before the subcommand" "$mapped_no" \
	"$STACKSHIM" --mapped no table

# A config file, given by -c, is read as the shim would read it.
printf '# test config\nprefer = ipv4\n' >"$tmp/prefer.conf"
check_table "-c FILE (prefer = ipv4)" "$prefer_ipv4" \
	"$STACKSHIM" table -c "$tmp/prefer.conf"
check_table "STACKSHIM_CONF (prefer = ipv4)" "$prefer_ipv4" \
	env STACKSHIM_CONF="$tmp/prefer.conf" "$STACKSHIM" table
check_table "STACKSHIM_PREFER=ipv4" "$prefer_ipv4" \
	env STACKSHIM_PREFER=ipv4 "$STACKSHIM" table
check_table "an option over STACKSHIM_PREFER" "$default" \
	env STACKSHIM_PREFER=ipv4 "$STACKSHIM" table --prefer ipv6
check_table "an option over the file" "$default" \
	"$STACKSHIM" table -c "$tmp/prefer.conf" --prefer ipv6

# The stack does not change the cells, only the comment naming it.
check_table "--stack=ipv6" "$default" "$STACKSHIM" table --stack=ipv6
expect_line "--stack=ipv6: policy comment" "$comment ipv6)" "$tmp/out"

# ipv4-loopback (SPEC §2, "Real hosts"): the cells 127.0.0.0/8 changes,
# as comments, asked of the engine; none with ipv4-loopback = no.
capture "$STACKSHIM" table --mapped no
loop=$(grep -E '^# (ipv4|dual|ipv6) ' "$tmp/out")
expect "ipv4-loopback: the cells it changes" "# ipv6 ipv4-loopback none ipv4
# ipv6 ipv4-loopback ipv4-loopback ipv4
# ipv6 ipv6 ipv4-loopback fail-host
# ipv6 both-loopback ipv4-loopback ipv4
# ipv6 ipv4-loopback both-loopback ipv4" "$loop"
capture "$STACKSHIM" table --ipv4-loopback no
expect "ipv4-loopback no: no loopback cells" "" \
	"$(grep -c -- '-loopback' "$tmp/out" | grep -v '^0$')"

capture "$STACKSHIM" table --bogus
expect_status "unknown option" 2
expect_match "unknown option: named" "--bogus" "$tmp/err"
capture "$STACKSHIM" table --stack
expect_status "missing value" 2
capture "$STACKSHIM" table extra
expect_status "extra operand" 2
capture "$STACKSHIM" table --stack ipv5
expect_status "--stack ipv5" 1
expect_match "--stack ipv5: names the option" "--stack" "$tmp/err"
expect "--stack ipv5: nothing on stdout" "" "$(cat "$tmp/out")"
capture "$STACKSHIM" table -c "$tmp/absent.conf"
expect_status "-c missing file" 1

finish
