#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/shim/names-oom.sh - a ruled name's resolution out of memory (issue
# 17, items 10 and 12): with `deny = NAME 7`, every allocation that
# getaddrinfo() and gethostbyname() make for NAME is failed in turn
# (tests/shim/names-oom.c); each call must then fail, or hand out
# addresses that the rule still follows (connect to port 7: EACCES), and
# never end the process (uthash's default on a failed allocation is
# exit(-1)).  Before the fix, a failed allocation in shim/names.c left
# the address unremembered and its connect went through (ECONNREFUSED
# from the namespace's loopback), and the table's first allocation failed
# exited the program.
#
# In a build with AddressSanitizer or ThreadSanitizer, its runtime's
# malloc() comes before the probe's in the lookup order: nothing is
# failed, and the test is skipped.

set -u

: "${top_srcdir:?top_srcdir must be set}"
# shellcheck source=tests/shim/lib.sh
. "$top_srcdir/tests/shim/lib.sh"

case ${SANITIZERS:-} in
*address* | *thread* | *memory*)
	echo "SKIP: the sanitizer's allocator comes before the probe's failing one"
	exit 77
	;;
esac

build_probe "$tmp/probe" names-oom.c
printf '%s\n' "127.0.0.1 localhost" "127.0.0.2 ruled.stackshim.test" \
	"127.0.0.3 warm.stackshim.test" >"$tmp/hosts"
printf 'hosts: files\n' >"$tmp/nsswitch.conf"
printf 'deny = ruled.stackshim.test 7\n' >"$tmp/policy.conf"
ns_init 300

for call in gai ghbn; do
	out=$(in_ns env LD_PRELOAD="$preload" STACKSHIM_CONF="$tmp/policy.conf" \
		"$probe" "$call" warm.stackshim.test ruled.stackshim.test 7 2>&1)
	done_line=$(grep '^done ' <<<"$out")
	n=${done_line#done }
	echo "$call: ${n:-no} allocations reached"
	# Without an injected failure, the address is handed out and denied.
	if ! grep -q "^1 injected" <<<"$out" || [ -z "$done_line" ]; then
		fail "$call: the probe ran every allocation" \
			"expected: done N" \
			"got:      $out"
		continue
	fi
	bad=$(grep -v -E '^done |^[0-9]+ injected (gai|ghbn)=(EAI_MEMORY|EAI_AGAIN|EAI_SYSTEM|EAI_NONAME|NETDB_INTERNAL|NO_RECOVERY|TRY_AGAIN|HOST_NOT_FOUND)$|^[0-9]+ injected (gai|ghbn)=0( connect=EACCES)+$' <<<"$out")
	expect "$call: every failed allocation fails the call or stays denied" \
		"" "$bad"
	# Some failures are the library's own: the call's EAI_MEMORY (or
	# NETDB_INTERNAL with ENOMEM).
	expect "$call: some allocations were the library's" yes \
		"$(grep -q -E 'gai=EAI_MEMORY|ghbn=NETDB_INTERNAL' <<<"$out" && echo yes)"
done

# A second ruled name with the same address (the table has its entry),
# both names denied at port 7: every failed allocation while resolving the
# second must leave the address ruled (pre-connect to port 7: EACCES),
# whichever name it is then remembered from.  Before, a failed strdup()
# for the new name took the old entry out with it.
printf '%s\n' "127.0.0.1 localhost" "127.0.0.2 ruled.stackshim.test" \
	"127.0.0.2 other.stackshim.test" "127.0.0.3 warm.stackshim.test" \
	>"$tmp/hosts"
printf 'deny = ruled.stackshim.test 7\ndeny = other.stackshim.test 7\n' \
	>"$tmp/policy.conf"
for call in gai ghbn; do
	out=$(in_ns env LD_PRELOAD="$preload" STACKSHIM_CONF="$tmp/policy.conf" \
		"$probe" "$call" warm.stackshim.test other.stackshim.test 7 \
		ruled.stackshim.test 2>&1)
	if ! grep -q "^1 injected" <<<"$out" || ! grep -q '^done ' <<<"$out"; then
		fail "$call, second name: the probe ran every allocation" \
			"expected: done N" "got:      $out"
		continue
	fi
	bad=$(grep -v -E '^done |^[0-9]+ injected (gai|ghbn)=0( connect=EACCES)+$|^[0-9]+ injected (gai|ghbn)=[A-Z_]+ pre-connect=EACCES$' <<<"$out")
	expect "$call, second name: the address stays ruled" \
		"" "$bad"
done

finish
