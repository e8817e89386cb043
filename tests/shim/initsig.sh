#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/shim/initsig.sh - a signal handler on the thread that initialises
# the library (issue 17, item 6).  Parsing a large config takes a while;
# a SIGALRM handler firing every millisecond on that thread used to make
# AF_INET6 sockets un-policed under --stack ipv4 (367 of 367 with 300,000
# rules).  Initialisation now runs with signals blocked: the handler runs
# after it, under the policy, so none of its sockets is made.
#
# The probe (initsig-probe.c) sends nothing; it runs in a private mount
# and network namespace all the same.  Needs top_builddir and top_srcdir,
# a C compiler, awk, unshare and ip; exits 77 (skip) without them, 99 when
# something cannot be built, 1 after reporting a mismatch.

set -u

: "${top_srcdir:?top_srcdir must be set}"
# shellcheck source=tests/shim/lib.sh
. "$top_srcdir/tests/shim/lib.sh"

build_probe "$tmp/initsig-probe" initsig-probe.c
printf '%s\n' "127.0.0.1 localhost" "::1 localhost" >"$tmp/hosts"
printf 'hosts: files\n' >"$tmp/nsswitch.conf"
ns_init 120

# 300,000 rules (8 MB): parsing and indexing them spans many timer ticks.
awk 'BEGIN { for (i = 0; i < 300000; i++)
	printf "deny = 198.51.%d.%d %d\n", int(i / 256) % 256, i % 256,
		1000 + i % 50000 }' >"$tmp/big.conf" || exit 99

# This test is about parsing: the launcher would compile the config (run
# mode compiles one of 1000 rules or more) and the shim map it, in far
# less than a tick, and no handler would run during initialisation.  A
# cache directory others may write is one run mode never writes into.
mkdir -m 0777 "$tmp/opencache" && chmod 0777 "$tmp/opencache" || exit 99
export STACKSHIM_CACHE_DIR=$tmp/opencache

for run in 1 2 3; do
	got=$(in_ns "$top_builddir/stackshim" -c "$tmp/big.conf" \
		--stack ipv4 -- "$probe" 2>&1)
	expect "run $run: the handler's AF_INET6 sockets are all refused" \
		"handler ok=0 refused=some
after=EAFNOSUPPORT" "$got"
done

finish
