#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/shim/sweep.sh - issue 17's standing check: every address-taking
# call (connect, bind, sendto, sendmsg, sendmmsg; accept, accept4,
# getsockname, getpeername, recvfrom, recvmsg) with every address length
# 0..1000 and a few past (65535, 2^31-1, 2^31), addresses of AF_INET,
# AF_INET6, AF_UNSPEC, AF_UNIX and an unknown family, on AF_INET and
# AF_INET6 TCP and UDP sockets (tests/shim/sweep-probe.c).  Its output
# without the library is the reference; under the launcher it must be the
# same, byte for byte:
#   - dual, no rules: nothing is changed;
#   - ipv6: AF_INET sockets are upgraded (AF_INET6 underneath) and must
#     answer as the AF_INET sockets they were asked as;
#   - each again with a rule that fits nothing, so that the general path
#     (route_decide()) decides, not shim/fast.c's table.
# One probe process per configuration and direction; in a network
# namespace of its own, to loopback only.

set -u

: "${top_srcdir:?top_srcdir must be set}"
# shellcheck source=tests/shim/lib.sh
. "$top_srcdir/tests/shim/lib.sh"

build_probe "$tmp/sweep-probe" sweep-probe.c
: >"$tmp/hosts"
printf 'hosts: files\n' >"$tmp/nsswitch.conf"
: >"$tmp/empty.conf"
printf 'deny = 203.0.113.1\n' >"$tmp/rule.conf"
ns_init 300

# sweep DIRECTION [short] [LAUNCHER-ARGS...] - the probe's output, bare without
# launcher arguments.  127.0.0.1 is reached on every stack
# (ipv4-loopback), as the reference reaches it.
sweep()
{
	local dir=$1
	shift
	local arg=
	[ "${1:-}" != short ] || { arg=short; shift; }
	if [ $# -eq 0 ]; then
		in_ns "$probe" "$dir" $arg
	else
		in_ns env STACKSHIM_IPV4_LOOPBACK=yes \
			"$top_builddir/stackshim" "$@" -- "$probe" "$dir" $arg
	fi
}

# ASan's sendmsg interceptor reads the whole msg_namelen the program
# gives (2^31 bytes), where the kernel reads 128: those names are left out
# of a sanitizer build's sweep.
in=in
case ${SANITIZERS:-} in *address*) in="in short" ;; esac

for dir in "$in" out; do
	# shellcheck disable=SC2086 # "in short" is two words
	sweep $dir >"$tmp/bare-$dir" || fail "bare $dir sweep ran" \
		"expected: 0" \
		"got:      $?"
	lines=$(wc -l <"$tmp/bare-$dir")
	[ "$lines" -gt 10000 ] || fail "bare $dir sweep: lines" \
		"expected: >10000" \
		"got:      $lines"
	for stack in dual ipv6; do
		for conf in empty rule; do
			what="$stack, $conf config, $dir"
			# shellcheck disable=SC2086
			sweep $dir --stack "$stack" -c "$tmp/$conf.conf" \
				>"$tmp/got" 2>"$tmp/err" ||
				fail "$what: ran" "expected: 0" \
					"got:      $? $(head -3 "$tmp/err")"
			if cmp -s "$tmp/bare-$dir" "$tmp/got"; then
				pass "$what: $lines cases as bare"
			else
				fail "$what: as bare" \
					"expected: no difference" \
					"got:      $(diff "$tmp/bare-$dir" "$tmp/got" |
						grep -c '^>') differences"
				diff "$tmp/bare-$dir" "$tmp/got" | head -20
			fi
		done
	done
done

finish
