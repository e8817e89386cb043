#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/shim/indexfail.sh - a rule index that cannot be built fails the
# library closed (issue 17, item 13): out of memory while indexing the
# rules (policy_index_failed(), checked by shim/init.c after the
# selection), the one stderr line says so, and every network call is
# refused as failclosed.sh expects of any config that cannot be used:
# connect and the sends EACCES, every resolution EAI_FAIL (a connect by
# name never gets an address), gethostbyname* NO_RECOVERY; AF_UNIX
# untouched.  tests/check_match_oom.c holds the policy's side (every
# lookup deny, every name ruled).
#
# noalign.so (tests/shim/noalign.c) makes aligned_alloc() fail, and only
# it: the library's one is the index's table of slots.  A config without
# rules builds no index and must work under it (the control: the preload
# alone refuses nothing), and the same config with rules must fail closed.
#
# Runs the real launcher in a private mount and network namespace:
# loopback only, names from the test's own hosts file.  Needs
# top_builddir and top_srcdir, a C compiler, unshare and ip; exits 77
# (skip) without them and under a sanitizer build, 99 when something
# cannot be built.

set -u

: "${top_srcdir:?top_srcdir must be set}"
# shellcheck source=tests/shim/lib.sh
. "$top_srcdir/tests/shim/lib.sh"

if [ -n "${SANITIZER_PRELOAD:-}" ]; then
	echo "SKIP: a sanitizer's allocator comes first, ahead of noalign.so"
	exit 77
fi
build_probe "$tmp/probe" failclosed-probe.c
# shellcheck disable=SC2086
${CC:-cc} -shared -fPIC -std=gnu11 -Wall -Wextra -o "$tmp/noalign.so" \
	"$top_srcdir/tests/shim/noalign.c" || exit 99
printf '%s\n' "127.0.0.1 localhost" "::1 localhost" >"$tmp/hosts"
printf 'hosts: files\n' >"$tmp/nsswitch.conf"
printf 'stack = dual\n' >"$tmp/plain.conf"
printf '%s\n' "stack = dual" "deny = localhost 9" "deny = 192.0.2.0/24" \
	>"$tmp/rules.conf"
ns_init 60

checks=(connect4tcp connect6tcp sendto4 sendto6 gai gai4 gai6 ghbn ghbn2
	gni unix)
closed="connect(inet,tcp)=EACCES
connect(inet6,tcp)=EACCES
sendto(inet)=EACCES
sendto(inet6)=EACCES
getaddrinfo(localhost)=EAI_FAIL
getaddrinfo(127.0.0.1)=EAI_FAIL
getaddrinfo(::1)=EAI_FAIL
gethostbyname(localhost)=NULL h_errno=NO_RECOVERY
gethostbyname2(localhost,inet6)=NULL h_errno=NO_RECOVERY
getnameinfo(127.0.0.1)=EAI_FAIL
unix(dgram)=ok"
# The same, with nothing refused (nothing listens on port 9).
open="connect(inet,tcp)=ECONNREFUSED
connect(inet6,tcp)=ECONNREFUSED
sendto(inet)=ok
sendto(inet6)=ok
getaddrinfo(localhost)=ok
getaddrinfo(127.0.0.1)=ok
getaddrinfo(::1)=ok
gethostbyname(localhost)=ok
gethostbyname2(localhost,inet6)=ok
getnameinfo(127.0.0.1)=ok
unix(dgram)=ok"

# run CONF - the probe under the launcher with CONF, aligned_alloc() failing.
run()
{
	in_ns env LD_PRELOAD="$tmp/noalign.so" \
		"$top_builddir/stackshim" -c "$1" -- "$probe" "${checks[@]}" \
		>"$tmp/out" 2>"$tmp/err"
}

run "$tmp/plain.conf"
expect "no rules, no index: every call works" "$open" "$(cat "$tmp/out")"
expect "no rules: nothing on stderr" "" "$(cat "$tmp/err")"

run "$tmp/rules.conf"
expect "rules not indexed: every network call refused" "$closed" \
	"$(cat "$tmp/out")"
expect "rules not indexed: the one line on stderr" \
	"stackshim: out of memory (indexing the rules); network calls will be refused" \
	"$(cat "$tmp/err")"

# The launcher's own check and explain fail the same way: a policy whose
# rules cannot be indexed is neither "ok" nor explained.
for cmd in "check -c $tmp/rules.conf" "explain -c $tmp/rules.conf 127.0.0.1"; do
	# shellcheck disable=SC2086 # cmd is words
	in_ns env LD_PRELOAD="$tmp/noalign.so" "$top_builddir/stackshim" \
		$cmd >"$tmp/out" 2>"$tmp/err"
	expect "stackshim ${cmd%% *}, rules not indexed: exit 1" 1 "$?"
	expect "stackshim ${cmd%% *}, rules not indexed: said" \
		"stackshim: out of memory (indexing the rules)" \
		"$(cat "$tmp/err")"
done

finish
