#!/bin/sh
# SPDX-License-Identifier: MIT
# tests/cli/quickstart.sh - the README's two commands and what CI runs:
#   - the quick start (the README's line with "apt-get update") installs
#     .ci/packages-build, the test command (its line ending in ./test.sh)
#     .ci/packages-test, and .ci/run installs the build list, then runs
#     the test command word for word (a line of its own);
#   - each list holds one package name a line, and no package is in both;
#   - their install steps run as written for root without sudo and for a
#     user with sudo: with a stub apt-get (and a stub sudo) alone on PATH,
#     apt-get is asked for update and for the list's packages, through
#     sudo exactly where there is one.  Nothing is installed.

. "$(dirname "$0")/lib.sh"

readme=$top_srcdir/README
run=$top_srcdir/.ci/run
build=$top_srcdir/.ci/packages-build
tests=$top_srcdir/.ci/packages-test
for f in "$readme" "$run" "$build" "$tests"; do
	[ -f "$f" ] || fail "$f exists"
done
[ "$failures" = 0 ] || finish

quick=$(grep '^    .*apt-get update' "$readme")
testcmd=$(grep '^    .*apt-get install.* ./test.sh$' "$readme" |
	sed 's/^    //')
expect "the README has one quick start line" 1 \
	"$(printf '%s\n' "$quick" | grep -c .)"
expect "the README has one test command" 1 \
	"$(printf '%s\n' "$testcmd" | grep -c .)"
case $quick in
*'$(cat .ci/packages-build)'*) pass "the quick start installs the build list" ;;
*) fail "the quick start installs the build list" "got: $quick" ;;
esac
case $testcmd in
*'$(cat .ci/packages-test)'*) pass "the test command installs the test list" ;;
*) fail "the test command installs the test list" "got: $testcmd" ;;
esac
expect_line ".ci/run runs the README's test command" "$testcmd" "$run"
install_at=$(grep -n 'apt-get install .*$(cat .ci/packages-build)' "$run" |
	cut -d: -f1)
test_at=$(grep -nxF -e "$testcmd" "$run" | cut -d: -f1)
if [ -n "$install_at" ] && [ -n "$test_at" ] &&
   [ "$install_at" -lt "$test_at" ]; then
	pass ".ci/run installs the build list before the test command"
else
	fail ".ci/run installs the build list before the test command" \
		"$(cat "$run")"
fi

for list in "$build" "$tests"; do
	expect "${list##*/}: one package name a line" "" \
		"$(grep -vxE '[a-z0-9][a-z0-9.+-]+' "$list")"
done
expect "no package in both lists" "" \
	"$(sort "$build" "$tests" | uniq -d)"

# try WHAT SUDO CMD: run CMD (its install steps only) from the top of the
# tree with stub apt-get, sudo when SUDO is yes, cat, and nothing else on
# PATH; each apt-get call logged as "[sudo] apt-get ARGS".
mkdir "$tmp/stubs" || exit 99
printf '#!/bin/sh\necho "${STUB_SUDO:+sudo }apt-get $*" >>"$STUB_LOG"\n' \
	>"$tmp/stubs/apt-get"
printf '#!/bin/sh\nSTUB_SUDO=1 exec "$@"\n' >"$tmp/stubs/sudo"
chmod 755 "$tmp/stubs/apt-get" "$tmp/stubs/sudo"
try()
{
	rm -rf "$tmp/path" && mkdir "$tmp/path" || exit 99
	ln -s "$tmp/stubs/apt-get" "$(command -v cat)" "$tmp/path/"
	[ "$2" = yes ] && ln -s "$tmp/stubs/sudo" "$tmp/path/"
	: >"$tmp/apt.log"
	(cd "$top_srcdir" && STUB_LOG=$tmp/apt.log PATH=$tmp/path \
		"$(command -v sh)" -c "$3") >"$tmp/out" 2>"$tmp/err"
	status=$?
	expect_status "$1" 0
}

quick_install=${quick%% && autoreconf*}
test_install=${testcmd%% && ./test.sh}
for sudo in no yes; do
	s=
	[ "$sudo" = yes ] && s='sudo '
	try "quick start, sudo: $sudo" "$sudo" "$quick_install"
	expect "quick start, sudo: $sudo: apt-get asked" \
		"${s}apt-get update
${s}apt-get install -y --no-install-recommends $(echo $(cat "$build"))" \
		"$(cat "$tmp/apt.log")"
	try "test command, sudo: $sudo" "$sudo" "$test_install"
	expect "test command, sudo: $sudo: apt-get asked" \
		"${s}apt-get install -y --no-install-recommends $(echo $(cat "$tests"))" \
		"$(cat "$tmp/apt.log")"
done

finish
