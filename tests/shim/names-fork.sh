#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/shim/names-fork.sh - a child of _Fork() made while another thread
# of its parent is changing the name memory (shim/names.c) still finds
# every address it knew, without crashing or hanging (issue 17, rest of
# item 9): _Fork() runs no atfork handler, so the child takes over the
# lock from a thread it does not have (shim/lock.c) and finds the table
# as that thread left it.  tests/shim/names-fork-probe.c says how.
#
#   busy   4 threads resolve a name of 300 addresses again and again, the
#          main thread makes children for 15 s; each child connects to
#          every address, port 9, which "deny = *.fork.test 9" refuses.
#          Before the fix an address whose name was being replaced (the
#          old one freed first) was let through in some children: wrong=3
#          of 230, 1 of 463, 27 of 460, 0 of 190 (a race: not every run).
#   stall  names-stall.so (tests/shim/names-stall.c) stops the thread
#          that grows the table inside uthash's bucket expansion; the
#          one child made then must refuse every address of a name
#          resolved before, and after resolving another name, its own
#          and the first's.  Before the fix the child's lookups walked
#          half-moved buckets: the first name's addresses let through
#          (child=11), every run.
#   vm     the same stop, then a child that shares the parent's memory
#          (clone(CLONE_VM | CLONE_VFORK): vfork(), posix_spawn()) checks
#          the first name's addresses: the lock's holder is alive, so it
#          must wait for it (seen waiting, all signals blocked) and then
#          refuse them all.  Before the fix it took the lock over from
#          the live thread, as from a dead one, and let them through
#          (child=1).
#
# Runs in a private mount and network namespace: loopback only, names
# from the test's own hosts file.  Needs top_builddir and top_srcdir, a C
# compiler, unshare and ip; exits 77 (skip) without them and in sanitizer
# builds (whose allocator comes before names-stall.so, and whose TSan
# runtime does not support _Fork()), 99 when something cannot be built.

set -u

: "${top_srcdir:?top_srcdir must be set}"
# shellcheck source=tests/shim/lib.sh
. "$top_srcdir/tests/shim/lib.sh"

if [ -n "${SANITIZER_PRELOAD:-}" ]; then
	echo "SKIP: a sanitizer's allocator and _Fork() (see above)"
	exit 77
fi
build_probe "$tmp/probe" names-fork-probe.c
# shellcheck disable=SC2086
${CC:-cc} -shared -fPIC -std=gnu11 -Wall -Wextra -o "$tmp/names-stall.so" \
	"$top_srcdir/tests/shim/names-stall.c" || exit 99

# hosts NAME NET COUNT - COUNT lines "NET.X.Y NAME".
hosts()
{
	local i
	for ((i = 0; i < $3; i++)); do
		echo "$2.$((i / 250)).$((i % 250 + 1)) $1"
	done
}
{
	echo "127.0.0.1 localhost"
	hosts busy.fork.test 127.1 300
	hosts known.fork.test 127.2 100
	hosts later.fork.test 127.3 50
	hosts many.fork.test 127.4 2000
} >"$tmp/hosts"
printf 'hosts: files\n' >"$tmp/nsswitch.conf"
printf 'deny = *.fork.test 9\n' >"$tmp/policy.conf"
ns_init 120

# val FILE KEY - the value of KEY= in FILE.
val()
{
	sed -n "s/^$2=//p" "$1"
}

in_ns env LD_PRELOAD="$preload" STACKSHIM_CONF="$tmp/policy.conf" \
	"$probe" busy busy.fork.test 15 >"$tmp/busy" 2>"$tmp/busy.err"
expect "busy: the probe's exit status" 0 "$?"
expect "busy: the probe's stderr" "" "$(head -c 4000 "$tmp/busy.err")"
expect "busy: the name's addresses" 300 "$(val "$tmp/busy" addresses)"
expect "busy: children that let an address through" 0 "$(val "$tmp/busy" wrong)"
expect "busy: children that crashed" 0 "$(val "$tmp/busy" crashed)"
expect "busy: children that hung" 0 "$(val "$tmp/busy" hangs)"
forks=$(val "$tmp/busy" forks)
[ "${forks:-0}" -gt 0 ] || fail "busy: children made" "expected: some" \
	"got:      ${forks:-none}"

in_ns env LD_PRELOAD="$preload:$tmp/names-stall.so" \
	STACKSHIM_CONF="$tmp/policy.conf" "$probe" stall known.fork.test \
	later.fork.test many.fork.test >"$tmp/stall" 2>"$tmp/stall.err"
expect "stall: the probe's exit status" 0 "$?"
expect "stall: the probe's stderr" "" "$(head -c 4000 "$tmp/stall.err")"
expect "stall: the growing thread stopped inside the expansion" 1 \
	"$(val "$tmp/stall" stalled)"
expect "stall: the child refused every address it knew (0)" 0 \
	"$(val "$tmp/stall" child)"

in_ns env LD_PRELOAD="$preload:$tmp/names-stall.so" \
	STACKSHIM_CONF="$tmp/policy.conf" "$probe" vm known.fork.test \
	many.fork.test >"$tmp/vm" 2>"$tmp/vm.err"
expect "vm: the probe's exit status" 0 "$?"
expect "vm: the probe's stderr" "" "$(head -c 4000 "$tmp/vm.err")"
expect "vm: the growing thread stopped inside the expansion" 1 \
	"$(val "$tmp/vm" stalled)"
expect "vm: the child waited for the live holder" 1 "$(val "$tmp/vm" waited)"
expect "vm: the child refused every address it knew (0)" 0 \
	"$(val "$tmp/vm" child)"

finish
