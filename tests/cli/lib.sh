# SPDX-License-Identifier: MIT
# lib.sh - helpers shared by the launcher's tests; sourced, never run.
#
# The test harness exports top_srcdir and top_builddir as absolute paths;
# run by hand from the source tree, both default to it.  Each test gets a
# scratch directory, $tmp, removed when it exits; nothing is ever written
# under $top_srcdir, which make distcheck makes read-only.

if [ -z "${top_srcdir:-}" ]; then
	top_srcdir=$(cd "$(dirname "$0")/../.." && pwd) || exit 99
fi
: "${top_builddir:=$top_srcdir}"
STACKSHIM=$top_builddir/stackshim
# pass, fail, expect, finish and the counts $passes, $failures.
# shellcheck source=SCRIPTDIR/../lib.sh
. "$top_srcdir/tests/lib.sh"

if [ ! -x "$STACKSHIM" ]; then
	echo "$STACKSHIM: not built" >&2
	exit 99
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/stackshim-test.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM

# The tests must not depend on the STACKSHIM_* variables of whoever runs
# them, nor on this machine's /etc/stackshim.conf: start from an empty file.
for var in CONF STACK PREFER MAPPED LOCAL_ADDRESS TRANSLATE_PREFIX \
	PEER_POOL ENFORCE LOG; do
	unset "STACKSHIM_$var"
done
: >"$tmp/empty.conf"
STACKSHIM_CONF=$tmp/empty.conf
export STACKSHIM_CONF
# Compiled policies go into $tmp, never into this host's caches.
STACKSHIM_CACHE_DIR=$tmp/cache
export STACKSHIM_CACHE_DIR

# capture CMD...: run CMD with its stdout in $tmp/out, its stderr in
# $tmp/err and its exit status in $status.
capture()
{
	"$@" >"$tmp/out" 2>"$tmp/err"
	status=$?
}

# show_output: the last captured command's output, to explain a failure.
show_output()
{
	sed 's/^/stdout: /' "$tmp/out"
	sed 's/^/stderr: /' "$tmp/err"
}

# expect_status WHAT EXPECTED: the last captured command exited EXPECTED.
expect_status()
{
	if [ "$status" -eq "$2" ]; then
		pass "$1: exit $2"
	else
		fail "$1" "expected exit $2" "got exit $status" "$(show_output)"
	fi
}

# expect_line WHAT LINE FILE: FILE holds LINE as a whole line.
expect_line()
{
	if grep -Fqx -e "$2" "$3"; then
		pass "$1"
	else
		fail "$1" "expected a line: '$2'" "got:" "$(sed 's/^/  /' "$3")"
	fi
}

# expect_match WHAT REGEX FILE: a line of FILE matches the basic REGEX.
expect_match()
{
	if grep -q -e "$2" "$3"; then
		pass "$1"
	else
		fail "$1" "expected a line matching: '$2'" "got:" \
			"$(sed 's/^/  /' "$3")"
	fi
}

# expect_files WHAT EXPECTED GOT: two files have the same text.
expect_files()
{
	if cmp -s "$2" "$3"; then
		pass "$1"
	else
		fail "$1" "expected (-) vs got (+):" \
			"$(diff -u "$2" "$3" | sed 's/^/  /')"
	fi
}

# names_init: prepare in_ns, which runs a command where /etc/hosts is
# $tmp/hosts (the test writes it) and /etc/nsswitch.conf says "hosts: files",
# in a private mount namespace, so that every name comes from the test's own
# file and none is ever asked of DNS.  Returns 1, the reason in $tmp/why,
# when no such namespace can be made here.
names_init()
{
	printf 'hosts: files\n' >"$tmp/nsswitch.conf"
	[ -e "$tmp/hosts" ] || : >"$tmp/hosts"
	for try in "unshare --mount" "unshare --user --map-root-user --mount"
	do
		if [ -e /etc/hosts ] && [ -e /etc/nsswitch.conf ] &&
		   unshare=$try && in_ns true 2>"$tmp/why"; then
			return 0
		fi
	done
	unshare=
	return 1
}

# in_ns CMD...: run CMD where /etc/hosts and /etc/nsswitch.conf are ours.
in_ns()
{
	$unshare sh -c 'mount --bind "$1/hosts" /etc/hosts &&
		mount --bind "$1/nsswitch.conf" /etc/nsswitch.conf &&
		shift && exec "$@"' sh "$tmp" "$@"
}

# skip_names: say why names cannot be tested here, and end the test: skipped
# when nothing has failed so far (exit 77), else failed.
skip_names()
{
	echo "SKIP: names: cannot bind-mount /etc/hosts in a mount namespace:" \
		"$(cat "$tmp/why" 2>/dev/null)"
	[ "$failures" -eq 0 ] && exit 77
	finish
}
