#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/shim/resolve-sweep.sh - getaddrinfo() under a policy that changes
# nothing (dual stack, no rules, a host with both families) answers
# exactly as libc does, error codes and EAI_SYSTEM's errno included (SPEC
# §2: errno parity; issue 17, item 16): literals and hosts-file names of
# every shape (dotted forms, scopes empty, numeric, named and doubled,
# brackets, mapped, wildcards, aliases, case, a trailing dot, an unknown
# name that goes to a DNS server no packet reaches) x AF_UNSPEC, AF_INET,
# AF_INET6 x the hints flags, with tests/shim/resolve-probe.c, bare and
# shimmed in the same namespace, then shimmed again with a rule that fits
# none of them (the general path, not gai_lean()).
#
# Before the fix, "::1%lo", "fe80::1%" and "fe80::1%%lo" asked as AF_INET
# were EAI_NONAME where libc says EAI_ADDRFAMILY, and an IPv6-only name
# asked as AF_INET with DNS unreachable EAI_NONAME where libc says
# EAI_AGAIN (a temporary failure made permanent).

set -u

: "${top_srcdir:?top_srcdir must be set}"
# shellcheck source=tests/shim/lib.sh
. "$top_srcdir/tests/shim/lib.sh"

build_probe "$tmp/probe" resolve-probe.c
printf '%s\n' "127.0.0.1 localhost" "::1 localhost" \
	"192.0.2.1 v4.stackshim.test v4alias.stackshim.test" \
	"2001:db8::1 v6.stackshim.test" \
	"192.0.2.2 both.stackshim.test" "2001:db8::2 both.stackshim.test" \
	>"$tmp/hosts"
printf 'hosts: files dns\n' >"$tmp/nsswitch.conf"
# A nameserver no route leads to: every DNS question fails at once.
printf 'nameserver 198.51.100.53\noptions timeout:1 attempts:1\n' \
	>"$tmp/resolv.conf"
: >"$tmp/empty.conf"
printf 'deny = 198.51.100.254 7 udp\n' >"$tmp/general.conf"
ns_init 600

nodes=(
	127.0.0.1 127.1 0x7f.1 0177.0.0.1 2130706433 192.0.2.3 "192.0.2.3 "
	"192.0.2.3x" 0 0.0.0.0 :: ::1 ::ffff:192.0.2.4 ::ffff:127.0.0.1
	2001:db8::3 ::1%lo ::1%1 fe80::1%lo fe80::1%1 fe80::1% fe80::1%%lo
	fe80::1%nosuchif 2001:db8::3%lo "[::1]" 1::2::3 256.1.1.1 1.2.3.4.5
	::ffff:1.2.3 localhost LOCALHOST localhost. v4.stackshim.test
	v4alias.stackshim.test V6.STACKSHIM.TEST v6.stackshim.test
	both.stackshim.test both.stackshim.test. nosuch.stackshim.test -
)
flagsets=(0 numerichost v4mapped v4mapped,all all addrconfig
	addrconfig,v4mapped canonname passive numericserv)
calls=()
for node in "${nodes[@]}"; do
	for fam in unspec inet inet6; do
		for flags in "${flagsets[@]}"; do
			calls+=("gai/$node/80/$fam/stream/$flags")
		done
		calls+=("gai/$node/80/$fam/0/0")
	done
done

# shellcheck disable=SC2016 # expanded by the inner shell
runs=$(in_ns /bin/bash -c '
	mount --bind "$0/resolv.conf" /etc/resolv.conf &&
	ip addr add 192.0.2.254/32 dev lo &&
	ip addr add 2001:db8::fe/128 dev lo nodad || exit 99
	probe=$1 preload=$2
	shift 2
	"$probe" "$@"
	echo "--- shim"
	env LD_PRELOAD="$preload" STACKSHIM_CONF="$0/empty.conf" "$probe" "$@"
	echo "--- general"
	env LD_PRELOAD="$preload" STACKSHIM_CONF="$0/general.conf" "$probe" "$@"
	' "$tmp" "$probe" "$preload" "${calls[@]}" 2>&1)
# glibc's files backend answers a name that has a ::1 line (localhost),
# asked as AF_INET, with 127.0.0.1 once more for that line; the shim asks
# AF_UNSPEC and hands each address once.  Every answer is compared with
# its repeated entries left out (the entries' order kept).
dedup()
{
	awk '{
		out = $1; n = 0; delete seen
		for (i = 2; i <= NF; i++) {
			if ($i ~ /^canon=/) { out = out " " $i; continue }
			e = $i " " $(i + 1) " " $(i + 2) " " $(i + 3); i += 3
			if (!(e in seen)) { seen[e] = 1; out = out " " e }
		}
		print out
	}'
}
runs=$(dedup <<<"$runs")
mapfile -t bare < <(sed '/^--- shim/,$d' <<<"$runs")
mapfile -t shim < <(sed -n '/^--- shim/,/^--- general/p' <<<"$runs" | sed '1d;$d')
mapfile -t general < <(sed '1,/^--- general/d' <<<"$runs")
expect "one answer per call, bare" "${#calls[@]}" "${#bare[@]}"
n=0
for i in "${!calls[@]}"; do
	if [ "${bare[$i]-}" != "${shim[$i]-}" ]; then
		fail "${calls[$i]}: as bare" "expected: ${bare[$i]-}" \
			"got:      ${shim[$i]-}"
	elif [ "${bare[$i]-}" != "${general[$i]-}" ]; then
		fail "${calls[$i]}: as bare, general path" \
			"expected: ${bare[$i]-}" \
			"got:      ${general[$i]-}"
	else
		n=$((n + 1))
	fi
done
expect "calls answered as bare" "${#calls[@]}" "$n"
finish
