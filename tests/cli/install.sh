#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/cli/install.sh - the launcher as installed (SPEC §4: "The launcher
# runs uninstalled from the build tree ... and installed; it prepends the
# library to any existing LD_PRELOAD").
#
# Configures a build of its own in a scratch directory, with
# --prefix=$tmp/prefix, runs make and make install, removes that build
# tree, and checks the installed launcher alone:
#   - $prefix/lib/stackshim/libstackshim.so is installed, and so are the
#     man pages stackshim(1) and stackshim.conf(5), the README and the
#     example configs, and the bash completion under
#     $prefix/share/bash-completion/completions (configure's default);
#   - "stackshim --version" exits 0 and names the configured version;
#   - in run mode LD_PRELOAD is the installed library, then any previous
#     value ("LIB:OLD"), never a build tree's library;
#   - the policy applies: under --stack ipv4, python3's AF_INET6 socket
#     fails with errno 97 (EAFNOSUPPORT) where plain python3 gets one
#     (skipped without python3 or without IPv6 on this host);
#   - "stackshim table" prints 36 cells;
#   - make uninstall (of a second, staged install) leaves no file and
#     none of the package's own directories.
#
# The source tree is used as it is when it is not configured itself (make
# distcheck); a tree configured in place cannot host a VPATH build, so its
# distribution files are copied out first with "make distdir".  Nothing is
# written under $top_srcdir or $top_builddir.
#
# Needs top_builddir and top_srcdir (absolute, as make check exports them);
# exits 77 (skip) when $top_srcdir has no configure script, 99 when the
# build or install fails (its log is shown), 1 after reporting every
# mismatch as expected vs got.

set -u

: "${top_builddir:?top_builddir must be set}"
: "${top_srcdir:?top_srcdir must be set}"

if [ ! -x "$top_srcdir/configure" ]; then
	echo "SKIP: $top_srcdir/configure does not exist (run autoreconf -fi)"
	exit 77
fi

# The nested builds are builds of their own: nothing of an enclosing
# make (jobserver, command-line variables, DESTDIR) may leak into them.
unset MAKEFLAGS MFLAGS MAKELEVEL MAKEOVERRIDES GNUMAKEFLAGS DESTDIR
unset LD_PRELOAD
# A clean STACKSHIM_* environment, $tmp, fail/expect/finish.
. "$top_srcdir/tests/cli/lib.sh"

prefix=$tmp/prefix
installed_lib=$prefix/lib/stackshim/libstackshim.so
launcher=$prefix/bin/stackshim
log=$tmp/build.log

# step WHAT CMD... - run one build step with its output in the log; on
# failure show the log and give up.
step()
{
	local what=$1

	shift
	echo "+ $*" >>"$log"
	if ! "$@" >>"$log" 2>&1; then
		echo "ERROR: $what failed; its log:"
		sed 's/^/    /' "$log"
		exit 99
	fi
}

# run CMD... - stdout in $out, stderr in $tmp/err, exit status in $status.
run()
{
	out=$(timeout "$(limit 30)" "$@" 2>"$tmp/err")
	status=$?
}

# show - the last run's stderr, after a failure.
show()
{
	sed 's/^/    stderr: /' "$tmp/err"
}

# --- build and install -----------------------------------------------------------

start=$SECONDS
srcdir=$top_srcdir
if [ -f "$top_srcdir/config.status" ]; then
	srcdir=$tmp/src
	step "make distdir" make -C "$top_builddir" distdir distdir="$srcdir"
fi
mkdir "$tmp/build" || exit 99
# CONFIG_SITE=/dev/null: no site file may move libdir (to lib64, say).
(
	cd "$tmp/build" &&
	step configure env CONFIG_SITE=/dev/null \
		"$srcdir/configure" --prefix="$prefix" -q \
		${SANITIZERS:+--enable-sanitizers="$SANITIZERS"} &&
	step make make -j2 &&
	step "make install" make install &&
	step "make install (staged)" make install DESTDIR="$tmp/staged" &&
	step "make uninstall (staged)" make uninstall DESTDIR="$tmp/staged"
) || exit $?
# make uninstall leaves no file, and none of the package's own directories.
left=$(cd "$tmp/staged" && find . -type f -o -type l -o -type d \
	-name stackshim | sort)
expect "make uninstall leaves no file and no directory of its own" "" "$left"
version=$(sed -n 's/^#define PACKAGE_VERSION "\(.*\)"$/\1/p' \
	"$tmp/build/config.h")
: "${version:=(no PACKAGE_VERSION in config.h)}"
# In a sanitizer build (SANITIZERS), the installed one is built the same
# way, and its launcher puts the sanitizer's runtime first in LD_PRELOAD.
run_preload=${SANITIZER_PRELOAD:+$SANITIZER_PRELOAD:}$installed_lib
# The installed launcher must stand alone: no build tree to fall back on.
rm -rf "$tmp/build" "$tmp/src"
echo "info: configured, built and installed in $((SECONDS - start)) s"

if [ -f "$installed_lib" ]; then
	pass "the library is installed as \$prefix/lib/stackshim/libstackshim.so"
else
	fail "the library is installed" "expected: $installed_lib" \
		"got:      $(cd "$prefix" && find . -name 'libstackshim*' | tr '\n' ' ')"
fi
# The pages and the documents a user reads, where man(1) and the examples'
# comments look for them.
for f in share/man/man1/stackshim.1 share/man/man5/stackshim.conf.5 \
	share/doc/stackshim/README share/doc/stackshim/rules.conf \
	share/bash-completion/completions/stackshim; do
	if [ -f "$prefix/$f" ]; then
		pass "\$prefix/$f is installed"
	else
		fail "\$prefix/$f is installed" \
			"got: $(cd "$prefix" && find share -type f | tr '\n' ' ')"
	fi
done
if [ ! -x "$launcher" ]; then
	fail "the launcher is installed" "expected: $launcher" \
		"got:      $(cd "$prefix" && find . -type f | tr '\n' ' ')"
	finish
fi

# --- the installed launcher -----------------------------------------------------

run "$launcher" --version
expect "--version: exit status" 0 "$status"
case $out in
*"$version"*) pass "--version names version $version" ;;
*) fail "--version names the configured version" "expected: $version" "got:      $out" ;;
esac

# The child, not this shell, expands $LD_PRELOAD.
# shellcheck disable=SC2016
print_preload='printf %s "$LD_PRELOAD"'

run env -u LD_PRELOAD "$launcher" --stack ipv6 -- sh -c "$print_preload"
expect "run, LD_PRELOAD unset: exit status" 0 "$status"
expect "run, LD_PRELOAD unset: the installed library alone" \
	"$run_preload" "$out"
[ "$status" -eq 0 ] || show

# A harmless library of our own as the previous value: ld.so loads it
# without a word, and it is not the shim.
if ! ${CC:-cc} -shared -fPIC -o "$tmp/libold.so" -x c /dev/null \
	>"$tmp/cc.log" 2>&1; then
	echo "ERROR: cannot build a shared library with ${CC:-cc}:"
	cat "$tmp/cc.log"
	exit 99
fi
# (A sanitizer build's launcher is linked with ASan, which refuses to run
# with another library preloaded ahead of its runtime: that check is off for
# this one run, whose preloaded library is empty.)
run env ${SANITIZERS:+ASAN_OPTIONS="${ASAN_OPTIONS:-}:verify_asan_link_order=0"} \
	LD_PRELOAD="$tmp/libold.so" "$launcher" --stack ipv6 -- \
	sh -c "$print_preload"
expect "run, LD_PRELOAD set: exit status" 0 "$status"
expect "run, LD_PRELOAD set: the installed library, then the old value" \
	"$run_preload:$tmp/libold.so" "$out"
expect "run, LD_PRELOAD set: nothing on stderr" "" "$(cat "$tmp/err")"

# The policy really applies through the installed library.
python=$(python3 -c 'import sys; print(sys.executable)' 2>/dev/null)
if [ -z "$python" ]; then
	echo "skip: python3 is not available; the policy check is left out"
else
	probe='import socket
try:
    socket.socket(socket.AF_INET6).close()
    print("ok")
except OSError as e:
    print(e.errno)'
	run "$python" -c "$probe"
	if [ "$out" != ok ]; then
		echo "skip: plain python3 cannot open an AF_INET6 socket here" \
			"($out); the policy check is left out"
	else
		pass "plain python3 opens an AF_INET6 socket"
		run "$launcher" --stack ipv4 -- "$python" -c "$probe"
		expect "run --stack ipv4: python3's AF_INET6 socket fails with" \
			"97" "$out"
		[ "$out" == 97 ] || show
	fi
fi

run "$launcher" table
expect "table: exit status" 0 "$status"
expect "table: cells (lines not starting with #)" 36 \
	"$(printf '%s\n' "$out" | grep -vc '^#')"

echo "info: $((SECONDS - start)) s in all"
finish
