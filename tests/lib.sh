# SPDX-License-Identifier: MIT
# shellcheck shell=sh
# tests/lib.sh - how every shell test reports; sourced by tests/shim/lib.sh,
# tests/cli/lib.sh and tests/integration/lib.sh (which add what is their
# own: namespaces, probes, itest_init...), never run, never by a test itself.
#
# One convention for all of them, so that a log reads the same whichever
# kind of test wrote it:
#   pass WHAT                  "ok: WHAT"
#   fail WHAT [DETAIL...]      "FAIL: WHAT", then each line of each
#                              non-empty DETAIL indented by four spaces
#   expect WHAT EXPECTED GOT   pass when GOT is EXPECTED exactly, else fail
#                              with "expected: EXPECTED" and "got: GOT"
#   finish                     "P passed, F failed"; exit 1 when anything
#                              failed, else 0
#   give_up WHY                "ERROR: WHY", then the counts as finish says
#                              them; exit 99: the test's own setup is
#                              broken, so what it tests was not tested
# Everything goes to stdout, which the harness logs.  $failures and $passes
# count the calls; a test may read them (and add to $failures) but a check
# made in a subshell (a pipeline's loop, $(...)) is lost with it.  Safe
# under set -u.

failures=0
passes=0

# pass WHAT - one expectation held.
pass()
{
	printf 'ok: %s\n' "$1"
	passes=$((passes + 1))
}

# fail WHAT [DETAIL...] - one expectation failed; each DETAIL explains it
# (empty ones, such as an output that was empty, are left out).
fail()
{
	printf 'FAIL: %s\n' "$1"
	shift
	# No variable of its own (POSIX sh has no local), none of the
	# caller's overwritten.
	while [ "$#" -gt 0 ]; do
		[ -n "$1" ] && printf '%s\n' "$1" | sed 's/^/    /'
		shift
	done
	failures=$((failures + 1))
}

# expect WHAT EXPECTED GOT - GOT is EXPECTED exactly.
expect()
{
	if [ "$2" = "$3" ]; then
		pass "$1"
	else
		fail "$1" "expected: $2" "got:      $3"
	fi
}

# counts - the one spelling of how many expectations held and failed.
counts()
{
	echo "$passes passed, $failures failed"
}

# finish - say how many expectations held and failed; exit 1 when any
# failed, else 0.
finish()
{
	counts
	if [ "$failures" -ne 0 ]; then
		exit 1
	fi
	exit 0
}

# give_up WHY - the test cannot go on (what it builds on does not work):
# say why and how many expectations held and failed until then; exit 99,
# a hard error to automake, not a failure of what the test is about.
give_up()
{
	echo "ERROR: $1"
	counts
	exit 99
}

# Time limits.  Every limit a test puts on a command (timeout(1), a wait
# for a server) is a guard against a hang, never a measure: a correct run
# on a loaded two-core machine finishes far inside it.  TEST_TIME_SCALE
# (a whole number, default 1) multiplies every one, for a slower machine;
# a sanitizer build (SANITIZERS set by make check) multiplies them by 3
# more.  limit SECONDS prints SECONDS scaled.
case ${TEST_TIME_SCALE:=1} in
'' | *[!0-9]* | 0)
	echo "TEST_TIME_SCALE must be a whole number >= 1" >&2
	exit 99
	;;
esac
[ -z "${SANITIZERS:-}" ] || TEST_TIME_SCALE=$((TEST_TIME_SCALE * 3))
limit()
{
	echo $(($1 * TEST_TIME_SCALE))
}
