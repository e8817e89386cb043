# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# tests/shim/lib.sh - setup shared by the library's tests; sourced by
# tests/shim/*.sh (as . "$top_srcdir/tests/shim/lib.sh"), never run.
#
# Needs top_builddir and top_srcdir (absolute, as make check exports them).
# On being sourced it
#   - sets $lib to the built library, and exits 99 when it is not built;
#   - unsets LD_PRELOAD and every STACKSHIM_* variable: only the children
#     get the library, and only the settings each test gives, but for
#     STACKSHIM_IPV4_LOOPBACK=no: these tests reach their own servers on
#     127.0.0.0/8 and mean the table as it stands there (SPEC §3,
#     ipv4-loopback); a test of loopback itself sets it to yes;
#   - makes the scratch directory $tmp (stackshim-NAME.XXXXXX under
#     ${TMPDIR:-/tmp}, NAME the test's), removed by an EXIT trap.  A test
#     that must do more on exit replaces that trap with its own, which
#     removes $tmp too;
#   - sources tests/lib.sh: pass, fail, expect, finish;
#   - keeps the library's peer-pool files (shim/poolfile.c) the test's own:
#     as root, the test is run again in a mount namespace with a /run of
#     its own (an empty tmpfs), so that the host's /run/stackshim is never
#     touched; XDG_RUNTIME_DIR is $tmp (the first one a test made), for
#     anyone else.

: "${top_builddir:?top_builddir must be set}"
: "${top_srcdir:?top_srcdir must be set}"

lib=$top_builddir/shim/.libs/libstackshim.so
if [ ! -f "$lib" ]; then
	echo "ERROR: $lib is not built"
	exit 99
fi

# preload: the value of LD_PRELOAD that loads the library.  In a sanitizer
# build (configure --enable-sanitizers) the sanitizer's runtime must come
# first, so LD_PRELOAD="$preload", never "$lib" alone.
preload=${SANITIZER_PRELOAD:+$SANITIZER_PRELOAD:}$lib

if [ "$(id -u)" -eq 0 ] && [ -z "${SHIM_TEST_OWN_RUN:-}" ] &&
	unshare --mount true 2>/dev/null; then
	export SHIM_TEST_OWN_RUN=1
	# shellcheck disable=SC2016 # expanded by the inner shell
	exec unshare --mount /bin/bash -c \
		'mount -t tmpfs -o mode=0755 stackshim-run /run && exec "$@"' \
		bash /bin/bash "$0" "$@"
fi

unset LD_PRELOAD
for var in $(compgen -e); do
	case $var in STACKSHIM_*) unset "$var" ;; esac
done
export STACKSHIM_IPV4_LOOPBACK=no

tmp=$(mktemp -d "${TMPDIR:-/tmp}/stackshim-$(basename "$0" .sh).XXXXXX") ||
	exit 99
trap 'rm -rf "$tmp"' EXIT
# Compiled policies (the launcher compiles a big config by itself) go
# into $tmp, never into this host's /var/cache/stackshim or ~/.cache.
export STACKSHIM_CACHE_DIR=$tmp/cache
# A test that runs itself again (in namespaces) keeps the first $tmp.
if [ -z "${SHIM_TEST_XDG:-}" ]; then
	export SHIM_TEST_XDG=1 XDG_RUNTIME_DIR=$tmp
fi

# pass, fail, expect, finish and the counts $passes, $failures.
# shellcheck source=SCRIPTDIR/../lib.sh
. "$top_srcdir/tests/lib.sh"

# need_python - set $python to the real interpreter behind python3, or
# exit 77 (skip) without one.  A pyenv or similar shim script would run
# under the library too; the real interpreter is what the tests mean to
# preload into.
need_python()
{
	python=$(python3 -c 'import sys; print(sys.executable)' 2>/dev/null)
	if [ -z "$python" ]; then
		echo "SKIP: python3 is not available"
		exit 77
	fi
}

# build_probe OUT SRC - compile tests/shim/SRC into OUT (-std=gnu11 -Wall
# -Wextra -pthread, and $SANITIZER_CFLAGS in a sanitizer build) and set
# $probe to it; exit 77 (skip) without a C compiler, 99 when it does not
# compile.
build_probe()
{
	if ! command -v "${CC:-cc}" >/dev/null; then
		echo "SKIP: no C compiler (${CC:-cc})"
		exit 77
	fi
	probe=$1
	# shellcheck disable=SC2086 # SANITIZER_CFLAGS is a list of flags
	if ! ${CC:-cc} -std=gnu11 -Wall -Wextra -pthread ${SANITIZER_CFLAGS:-} -o "$probe" \
		"$top_srcdir/tests/shim/$2"; then
		echo "ERROR: the probe does not compile"
		exit 99
	fi
}

# ns_reexec PROBE.c LIMIT [ARG...] - run this script again, whole, inside
# private mount and network namespaces, for at most LIMIT seconds (scaled:
# tests/lib.sh's limit), and
# exit with its status; PROBE.c is built first into $tmp.  Returns only
# inside, where it takes over the outer copy's $tmp and sets $probe.
# Outside, exits 77 (skip) without root, unshare and ip.
ns_reexec()
{
	local src=$1 seconds rc
	seconds=$(limit "$2")
	shift 2
	if [ -n "${_NS_REEXEC_TMP:-}" ]; then
		rmdir "$tmp"
		tmp=$_NS_REEXEC_TMP
		unset _NS_REEXEC_TMP
		trap - EXIT
		probe=$tmp/${src%.c}
		return 0
	fi
	if [ "$(id -u)" -ne 0 ] || ! command -v ip >/dev/null ||
		! unshare --mount --net true 2>/dev/null; then
		echo "SKIP: needs root, unshare and ip (private mount and network namespaces)"
		exit 77
	fi
	build_probe "$tmp/${src%.c}" "$src"
	_NS_REEXEC_TMP=$tmp timeout -s KILL "$seconds" \
		unshare --mount --net --fork bash "$0" "$@"
	rc=$?
	[ "$rc" -eq 137 ] && echo "FAIL: $0 did not finish within $seconds s"
	exit "$rc"
}

# ns_init SECONDS - make in_ns ready, or exit 77 (skip) when no mount and
# network namespace can be made (no ip, no unshare, no privilege).
# in_ns CMD... then runs CMD in a fresh mount and network namespace: lo up,
# $tmp/hosts and $tmp/nsswitch.conf (the test writes them) over /etc's,
# nothing else; for at most SECONDS (scaled: tests/lib.sh's limit).
ns_init()
{
	local got
	ns_timeout=$(limit "$1")
	ns_unshare=(unshare --mount --net)
	[ "$(id -u)" -eq 0 ] || ns_unshare+=(--user --map-root-user)
	if ! command -v ip >/dev/null || ! got=$(in_ns true 2>&1); then
		echo "SKIP: cannot make a mount and network namespace: ${got:-no ip}"
		exit 77
	fi
}

in_ns()
{
	# shellcheck disable=SC2016 # expanded by the inner shell
	timeout "$ns_timeout" "${ns_unshare[@]}" /bin/bash -c '
		mount --bind "$0/hosts" /etc/hosts &&
		mount --bind "$0/nsswitch.conf" /etc/nsswitch.conf &&
		ip link set lo up || exit 99
		exec "$@"' "$tmp" "$@"
}
