#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/shim/pool-reuse.sh - a full peer-pool takes back an idle address
# (issue 17 item 18; policy/pool.c, policy_pool_assign_at()): a flood of
# IPv6 peers must not shut out every later one until the pool's file goes.
#
# Under the real launcher, in a mount and network namespace of the test's
# own (lo with 2001:db8::10-13, a /run of its own), with a pool of two
# addresses (--peer-pool 192.0.2.0/30):
#   1. ::10 and ::11 get 192.0.2.1 and .2; ::12 is refused (ENOBUFS):
#      the pool is full and both are fresh;
#   2. ::10's entry is aged past the idle time (its last-use stamp in the
#      pool's file moved 700 s back: the test cannot wait 10 minutes),
#      then ::12 gets 192.0.2.1, logged reason=peer-pool-reused; ::11,
#      in use, keeps .2; ::10 has lost its address and is refused;
#   3. a lookup refreshes: ::11 is looked up after both entries are aged,
#      and ::13 then takes ::12's address, not ::11's.
# The pool's clock is CLOCK_BOOTTIME in seconds (+1): a stamp can only be
# moved back as far as the boot, so on a machine up for less than 700 s
# parts 2 and 3 are skipped, with a message.
#
# pool-probe (tests/shim/pool-probe.c) prints one line per peer ADDR:
#   ADDR peer=A.B.C.D port=same stable=yes errno=kept reach=yes
#   ADDR peer=ENOBUFS stable=yes errno=ENOBUFS
#
# Needs root, namespaces and a C compiler; exits 77 without them.

set -u

: "${top_srcdir:?top_srcdir must be set}"
# shellcheck source=tests/shim/lib.sh
. "$top_srcdir/tests/shim/lib.sh"

if [ "$(id -u)" -ne 0 ]; then
	echo "SKIP: needs root, for a /run of its own"
	exit 77
fi
build_probe "$tmp/pool-probe" pool-probe.c
: >"$tmp/hosts"
echo "hosts: files" >"$tmp/nsswitch.conf"
ns_init 120
: >"$tmp/empty.conf"

cat >"$tmp/inner.sh" <<'EOF'
tmp=$1 stackshim=$2
mount -t tmpfs -o mode=0755 stackshim-run /run || exit 99
file=/run/stackshim/pool-192.0.2.0-30
for n in 10 11 12 13; do
	ip -6 addr add "2001:db8::$n/128" dev lo nodad || exit 99
done
run()
{
	"$stackshim" -c "$tmp/empty.conf" --stack ipv6 \
		--peer-pool 192.0.2.0/30 --log "$tmp/log" -- "$tmp/pool-probe" "$@"
}
# age N...: entries N (0 for 192.0.2.1) last used 700 s ago.  The layout
# is policy/pool-layout.h's: entries from 4096, 24 bytes each, the
# last-use word at 4 in each; the clock, seconds since boot plus one.
age()
{
	/usr/bin/python3 - "$file" "$@" <<'PY'
import struct, sys
now = int(float(open("/proc/uptime").read().split()[0])) + 1
with open(sys.argv[1], "r+b") as f:
    for n in sys.argv[2:]:
        f.seek(4096 + 24 * int(n) + 4)
        f.write(struct.pack("=I", now - 700))
PY
}
echo "== full"
run 2001:db8::10 2001:db8::11 2001:db8::12
up=$(cut -d. -f1 /proc/uptime)
if [ "$up" -lt 710 ]; then
	echo "== skip $up"
	exit 0
fi
echo "== reused"
age 0
run 2001:db8::12 2001:db8::11 2001:db8::10
echo "== refreshed"
age 0 1
run 2001:db8::11
run 2001:db8::13 2001:db8::11 2001:db8::12
EOF
in_ns /bin/bash "$tmp/inner.sh" "$tmp" "$top_builddir/stackshim" \
	>"$tmp/out" 2>&1
rc=$?
expect "the namespace's run" 0 "$rc"

part() { sed -n "/^== $1\$/,/^==/p" "$tmp/out" | sed '1d;/^==/d'; }
ok() { echo "2001:db8::$1 peer=$2 port=same stable=yes errno=kept reach=yes"; }
no() { echo "2001:db8::$1 peer=ENOBUFS stable=yes errno=ENOBUFS"; }

expect "full: two peers given, the third refused" \
	"$(ok 10 192.0.2.1; ok 11 192.0.2.2; no 12)" "$(part full)"
if grep -q '^== skip' "$tmp/out"; then
	echo "SKIP (parts 2 and 3): up for $(sed -n 's/^== skip //p' "$tmp/out") s, less than the 700 s a stamp is moved back"
	finish
fi
expect "reused: the idle address given again, the one in use kept" \
	"$(ok 12 192.0.2.1; ok 11 192.0.2.2; no 10)" "$(part reused)"
expect "reused: logged as such" 1 \
	"$(grep -c ' dest=2001:db8::12 .* translated=192\.0\.2\.1 reason=peer-pool-reused$' "$tmp/log")"
expect "reused: each reuse logged once" 2 "$(grep -c 'reason=peer-pool-reused$' "$tmp/log")"
expect "refreshed: the address looked up is kept, the idle one taken" \
	"$(ok 11 192.0.2.2; ok 13 192.0.2.1; ok 11 192.0.2.2; no 12)" \
	"$(part refreshed)"
finish
