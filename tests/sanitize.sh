#!/bin/sh
# SPDX-License-Identifier: MIT
# tests/sanitize.sh LIST [TEST...] - build stackshim with -fsanitize=LIST and
# run make check under it (every test, or only the TESTs named, as paths
# like tests/shim/stress.sh).  LIST is what configure's --enable-sanitizers
# takes: address,undefined (ASan and UBSan), thread (TSan), ...
#
# Run it from the top of a configured tree (in-tree or VPATH build dir):
#   sh tests/sanitize.sh address,undefined
#   sh tests/sanitize.sh thread tests/shim/stress.sh
# A configured source tree cannot host a second (VPATH) build, so the
# sanitizer build is made in a `make distdir` copy, _sanitize/LIST/tree in
# the build dir (LIST with '-' for ','; make clean removes _sanitize).  A
# later run refreshes that copy in place and rebuilds only what changed;
# `rm -rf _sanitize` starts afresh.  From an unconfigured source tree (an
# unpacked tarball) the build is a VPATH build in _sanitize/LIST/tree.
#
# In the sanitizer build every test runs under tests/sanitizer-log.sh (the
# harness's LOG_COMPILER), which fails it when any process it started wrote a
# sanitizer report; see there.
#
# Prints one line "sanitize LIST: N passed, F failed, S skipped" and, when
# anything failed, test-suite.log.  Exits 0 when all passed (or skipped),
# else non-zero.
set -u

if [ $# -lt 1 ] || [ -z "$1" ]; then
	echo "usage: sh tests/sanitize.sh LIST [TEST...]  (LIST: address,undefined or thread)" >&2
	exit 2
fi
list=$1
shift
case $list in
*[!a-z,]* | ,* | *, | *,,*)
	echo "sanitize: bad sanitizer list '$list'" >&2
	exit 2 ;;
esac
tests="$*"

srcdir=$(cd "$(dirname "$0")/.." && pwd) || exit 99
if [ -f ./config.status ] && [ -f ./Makefile ]; then
	top=$(pwd)
elif [ -f "$srcdir/config.status" ] && [ -f "$srcdir/Makefile" ]; then
	top=$srcdir
else
	top=
fi
jobs=$(nproc 2>/dev/null || echo 2)
# The directory is named after LIST with '-' for ',': a sanitizer's options
# (log_path) cannot hold a comma.
work=${top:-$(pwd)}/_sanitize/$(echo "$list" | tr , -)
tree=$work/tree
log=$work/build.log
mkdir -p "$work" || exit 99
: >"$log"

say() { echo "sanitize $list: $*"; }

# die WHAT: a step before make check failed; show the end of its output.
die()
{
	say "$1 failed; the last lines of $log:"
	tail -n 40 "$log"
	say "0 passed, 1 failed, 0 skipped"
	exit 1
}

configure_tree()
{
	say "configure --enable-sanitizers=$list in $tree"
	(cd "$tree" && "$1" --enable-sanitizers="$list") >>"$log" 2>&1 ||
		die "configure"
}

if [ -n "$top" ]; then
	# A fresh distdir copy, then into the build tree with the files'
	# own times (cp -p), so that make rebuilds only what changed.
	rm -rf "$work/dist"
	say "make distdir"
	make -C "$top" distdir distdir="$work/dist" >>"$log" 2>&1 ||
		die "make distdir"
	if [ -f "$tree/config.status" ] &&
	   cmp -s "$work/dist/configure" "$tree/configure"; then
		cp -pR "$work/dist/." "$tree/" || exit 99
		rm -rf "$work/dist"
	else
		rm -rf "$tree"
		mv "$work/dist" "$tree" || exit 99
		configure_tree ./configure
	fi
else
	if [ ! -f "$tree/config.status" ]; then
		rm -rf "$tree"
		mkdir -p "$tree" || exit 99
		configure_tree "$srcdir/configure"
	fi
fi

say "make"
make -C "$tree" -j"$jobs" >>"$log" 2>&1 || die "make"

say "make check${tests:+ TESTS=\"$tests\"}"
rm -f "$tree/test-suite.log"
status=0
if [ -n "$tests" ]; then
	make -C "$tree" -j"$jobs" check TESTS="$tests" || status=$?
else
	make -C "$tree" -j"$jobs" check || status=$?
fi

suite=$tree/test-suite.log
if [ ! -f "$suite" ]; then
	say "make check left no test-suite.log (exit $status)"
	say "0 passed, 1 failed, 0 skipped"
	exit 1
fi
pass=$(sed -n 's/^# PASS: *//p' "$suite")
fail=$(sed -n 's/^# FAIL: *//p' "$suite")
xpass=$(sed -n 's/^# XPASS: *//p' "$suite")
error=$(sed -n 's/^# ERROR: *//p' "$suite")
skip=$(sed -n 's/^# SKIP: *//p' "$suite")
failed=$((${fail:-0} + ${xpass:-0} + ${error:-0}))
[ "$status" -ne 0 ] && [ "$failed" -eq 0 ] && failed=1
[ "$status" -eq 0 ] || cat "$suite"
say "${pass:-0} passed, $failed failed, ${skip:-0} skipped"
[ "$status" -eq 0 ] && [ "$failed" -eq 0 ]
