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
failures=0

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

# fail WHAT LINE...: report one failed expectation, one detail per line.
fail()
{
	printf 'FAIL: %s\n' "$1" >&2
	shift
	for line in "$@"; do
		printf '    %s\n' "$line" >&2
	done
	failures=$((failures + 1))
}

pass()
{
	printf 'ok: %s\n' "$1"
}

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
	sed 's/^/    stdout: /' "$tmp/out" >&2
	sed 's/^/    stderr: /' "$tmp/err" >&2
}

# expect_status WHAT EXPECTED: the last captured command exited EXPECTED.
expect_status()
{
	if [ "$status" -eq "$2" ]; then
		pass "$1: exit $2"
	else
		fail "$1" "expected exit $2" "got exit $status"
		show_output
	fi
}

# expect_text WHAT EXPECTED GOT
expect_text()
{
	if [ "$2" = "$3" ]; then
		pass "$1"
	else
		fail "$1" "expected: '$2'" "got:      '$3'"
	fi
}

# expect_line WHAT LINE FILE: FILE holds LINE as a whole line.
expect_line()
{
	if grep -Fqx -e "$2" "$3"; then
		pass "$1"
	else
		fail "$1" "expected a line: '$2'" "got:"
		sed 's/^/      /' "$3" >&2
	fi
}

# expect_match WHAT REGEX FILE: a line of FILE matches the basic REGEX.
expect_match()
{
	if grep -q -e "$2" "$3"; then
		pass "$1"
	else
		fail "$1" "expected a line matching: '$2'" "got:"
		sed 's/^/      /' "$3" >&2
	fi
}

# expect_files WHAT EXPECTED GOT: two files have the same text.
expect_files()
{
	if cmp -s "$2" "$3"; then
		pass "$1"
	else
		fail "$1" "expected (-) vs got (+):"
		diff -u "$2" "$3" | sed 's/^/      /' >&2
	fi
}

# finish: exit 0 when every expectation held, else 1.
finish()
{
	if [ "$failures" -ne 0 ]; then
		echo "$failures failure(s)" >&2
		exit 1
	fi
	exit 0
}
