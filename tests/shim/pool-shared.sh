#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/shim/pool-shared.sh - one peer-pool per host (SPEC §3 peer-pool;
# shim/pool.c, shim/poolfile.c): a native IPv6 peer of an upgraded socket
# has the same stand-in IPv4 address in every process under the same
# pool, and two peers never share one.
#
# Everything runs under the real launcher, in a mount and network
# namespace of the test's own (lo with 2001:db8:: addresses, a /run of its
# own, so the host's /run/stackshim is never touched): separate processes,
# a fork()ed child and restarts agree; 8 processes giving 200 peers at
# once agree and lose none; a holder of the pool's lock killed by SIGKILL
# does not block the next process; and a pool file or directory that is
# foreign-owned, writable by others, a symbolic link or corrupt is refused
# the documented way (every IPv6 peer ENOBUFS, one line on stderr, one in
# the log), and comes back once put right; another user has a pool of its
# own in $XDG_RUNTIME_DIR, and none without it.
#
# pool-probe (tests/shim/pool-probe.c) prints one line per peer ADDR:
#   ADDR peer=A.B.C.D port=same stable=yes errno=kept reach=yes
# pool-hold (tests/shim/pool-hold.c) holds or tries the pool's lock.
#
# Needs top_builddir and top_srcdir, a C compiler, root (to give files
# to another uid) and namespaces; exits 77 without them.

set -u

: "${top_srcdir:?top_srcdir must be set}"
# shellcheck source=tests/shim/lib.sh
. "$top_srcdir/tests/shim/lib.sh"

if [ "$(id -u)" -ne 0 ]; then
	echo "SKIP: needs root, to give the pool's file to another uid"
	exit 77
fi
build_probe "$tmp/pool-hold" pool-hold.c
build_probe "$tmp/pool-probe" pool-probe.c
: >"$tmp/hosts"
echo "hosts: files" >"$tmp/nsswitch.conf"
ns_init 240
: >"$tmp/empty.conf"

cat >"$tmp/inner.sh" <<'EOF'
# Run in the namespace: each part's output under a "== NAME" line.
tmp=$1 stackshim=$2
probe=$tmp/pool-probe hold=$tmp/pool-hold
mount -t tmpfs -o mode=0755 stackshim-run /run || exit 99
dir=/run/stackshim file=$dir/pool-198.18.0.0-15 small=$dir/pool-192.0.2.0-24
for n in 10 11 12 13 14; do
	ip -6 addr add "2001:db8::$n/128" dev lo nodad || exit 99
done
for n in $(seq 1 200); do
	echo "addr add 2001:db8::1:$n/128 dev lo nodad"
done | ip -6 -batch - || exit 99
run() { "$stackshim" -c "$tmp/empty.conf" --stack ipv6 -- "$probe" "$@"; }

echo "== processes"
run 2001:db8::10
run 2001:db8::10
run 2001:db8::11
run 2001:db8::11 2001:db8::10
echo "== local-address"
# 198.18.0.1 now stands for 2001:db8::10 (above): as a local-address it
# binds that IPv6 address.  A bare server on [::1] says whom it saw.
/usr/bin/python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET6)
s.bind(("::1", 0)); s.listen()
print(s.getsockname()[1], flush=True)
c, peer = s.accept()
print(peer[0])' >"$tmp/la.out" &
server=$!
for _ in $(seq 1 200); do
	[ -s "$tmp/la.out" ] && break
	sleep 0.05
done
"$stackshim" -c "$tmp/empty.conf" --stack ipv6 --local-address 198.18.0.1 \
	-- /usr/bin/python3 -c '
import socket, sys
socket.create_connection(("::1", int(sys.argv[1])), timeout=10)' \
	"$(head -n 1 "$tmp/la.out")" 2>&1 | tail -n 1
wait "$server"
sed -n 2p "$tmp/la.out"
echo "== files"
stat -c '%U %a %F' "$dir" "$file"
echo "== forked"
run --forked 2001:db8::12
echo "== concurrent"
for p in $(seq 1 8); do
	# Each process its own order: a rotation of the 200 peers.
	seq 1 200 | awk -v p="$p" '{ a[NR] = $1 }
		END { for (i = 0; i < NR; i++)
			print "2001:db8::1:" a[(i + 25 * p) % NR + 1] }' |
		xargs "$stackshim" -c "$tmp/empty.conf" --stack ipv6 -- \
			"$probe" >"$tmp/concurrent.$p" 2>&1 &
done
wait
cat "$tmp"/concurrent.*
echo "== killed"
"$hold" "$file" >"$tmp/held" &
holder=$!
for _ in $(seq 1 200); do
	[ -s "$tmp/held" ] && break
	sleep 0.05
done
cat "$tmp/held"
"$hold" --try "$file"
# Braced, so that the shell's word of the job's death goes nowhere (and
# the check leaves out any that still gets through).
{
	kill -9 "$holder"
	wait "$holder"
} 2>/dev/null
"$hold" --try "$file"
run 2001:db8::13
run 2001:db8::14
run 2001:db8::13 2001:db8::10
echo "== refused"
# A pool of its own, so that the default one is left whole.
small()
{
	"$stackshim" -c "$tmp/empty.conf" --stack ipv6 --peer-pool 192.0.2.0/24 \
		-- "$probe" "$@"
}
refused()
{
	echo "-- $1"
	"$stackshim" -c "$tmp/empty.conf" --stack ipv6 --peer-pool 192.0.2.0/24 \
		--log "$tmp/refused.log" -- "$probe" 2001:db8::10 2001:db8::11 \
		2>"$tmp/refused.err"
	cat "$tmp/refused.err"
	grep -c 'reason=peer-pool-unavailable' "$tmp/refused.log"
	rm -f "$tmp/refused.log"
}
small 2001:db8::11
cp "$small" "$tmp/small.copy"
chmod 666 "$small"; refused "file 0666"; chmod 600 "$small"
chmod 620 "$small"; refused "file 0620"; chmod 600 "$small"
chown 1000 "$small"; refused "file of uid 1000"; chown 0 "$small"
printf '\0\0\0\0' | dd of="$small" conv=notrunc bs=1 count=4 2>/dev/null
refused "bad magic"; cat "$tmp/small.copy" >"$small"
printf '\3' | dd of="$small" conv=notrunc bs=1 seek=4 2>/dev/null
refused "version 3"; cat "$tmp/small.copy" >"$small"
printf '\27' | dd of="$small" conv=notrunc bs=1 seek=16 2>/dev/null
refused "length 23"; cat "$tmp/small.copy" >"$small"
truncate -s 4096 "$small"; refused "short"; cat "$tmp/small.copy" >"$small"
mv "$small" "$small.real"; ln -s "$small.real" "$small"
refused "symbolic link"; rm "$small"; mv "$small.real" "$small"
chmod 777 "$dir"; refused "directory 0777"; chmod 755 "$dir"
chown 1000 "$dir"; refused "directory of uid 1000"; chown 0 "$dir"
echo "-- put right"
small 2001:db8::11
echo "== nobody"
# Another user: a pool of its own, in $XDG_RUNTIME_DIR, or none without.
mkdir -m 0755 /run/bin && cp "$probe" /run/bin/ || exit 99
mkdir -m 0700 /run/xdg && chown 65534 /run/xdg || exit 99
as_nobody()
{
	setpriv --reuid=65534 --regid=65534 --clear-groups "$@" \
		"$stackshim" -c /dev/null --stack ipv6 -- /run/bin/pool-probe \
		2001:db8::11 2>&1
}
as_nobody env -u XDG_RUNTIME_DIR
as_nobody env XDG_RUNTIME_DIR=/run/xdg
stat -c '%u %a' /run/xdg/stackshim /run/xdg/stackshim/pool-198.18.0.0-15
exit 0
EOF

in_ns bash "$tmp/inner.sh" "$tmp" "$top_builddir/stackshim" \
	>"$tmp/out" 2>&1
status=$?
if [ $status -ne 0 ]; then
	fail "the namespace's run" "expected: exit 0" \
		"got:      exit $status: $(tail -n 5 "$tmp/out")"
	finish
fi
part()
{
	sed -n "/^== $1\$/,/^==/p" "$tmp/out" | sed '1d;/^==/d'
}

# ok ADDR POOLADDR - the probe's line for a peer shown as POOLADDR.
ok()
{
	echo "2001:db8::$1 peer=$2 port=same stable=yes errno=kept reach=yes"
}

expect "separate processes and restarts: the same peer, the same address" \
	"$(ok 10 198.18.0.1)
$(ok 10 198.18.0.1)
$(ok 11 198.18.0.2)
$(ok 11 198.18.0.2)
$(ok 10 198.18.0.1)" "$(part processes)"
expect "local-address = a pool address: the IPv6 peer it stands for is bound" \
	"2001:db8::10" "$(part local-address)"
expect "the pool's directory and file: root's, 0755 and 0600" \
	"root 755 directory
root 600 regular file" "$(part files)"
expect "a fork()ed child gives a new peer its address; the parent agrees" \
	"$(ok 12 198.18.0.3)
$(ok 12 198.18.0.3)" "$(part forked)"

# 8 processes x 200 peers: every line sound, every peer one address in
# all 8, no two peers one address, and the 200 given in a row (none lost).
part concurrent >"$tmp/concurrent"
expect "8 x 200 at once: 1600 sound lines" 1600 \
	"$(grep -c 'port=same stable=yes errno=kept reach=yes$' "$tmp/concurrent")"
expect "8 x 200 at once: each peer one address in every process" 200 \
	"$(awk '{ print $1, $2 }' "$tmp/concurrent" | sort -u | wc -l)"
expect "8 x 200 at once: no address given to two peers" "" \
	"$(awk '{ print $2, $1 }' "$tmp/concurrent" | sort -u |
		awk '{ print $1 }' | uniq -d)"
expect "8 x 200 at once: 198.18.0.4 to 198.18.0.203, none lost" \
	"peer=198.18.0.4 peer=198.18.0.203" \
	"$(awk '{ print $2 }' "$tmp/concurrent" | sort -t. -k4,4n -u |
		sed -n '1p;$p' | paste -sd' ')"

expect "a holder killed by SIGKILL: held, dead, and the next ones go on" \
	"held
busy
owner-dead
$(ok 13 198.18.0.204)
$(ok 14 198.18.0.205)
$(ok 13 198.18.0.204)
$(ok 10 198.18.0.1)" "$(part killed | grep -v ' Killed ')"

# refusal WHY - the lines of a refused pool: both peers ENOBUFS, one
# line on stderr saying WHY, one in the log.
refusal()
{
	echo "2001:db8::10 peer=ENOBUFS stable=yes errno=ENOBUFS
2001:db8::11 peer=ENOBUFS stable=yes errno=ENOBUFS
stackshim: peer-pool unavailable: $1; IPv6 peers of IPv4 sockets are refused
1"
}
part refused >"$tmp/refused"
refused_case() { sed -n "/^-- $1\$/,/^--/p" "$tmp/refused" | sed '1d;/^--/d'; }
f=/run/stackshim/pool-192.0.2.0-24
expect "before: the small pool's file is made" "$(ok 11 192.0.2.1)" \
	"$(sed -n 1p "$tmp/refused")"
while IFS='|' read -r what why; do
	expect "refused: $what" "$(refusal "$why")" "$(refused_case "$what")"
done <<EOF2
file 0666|$f: writable by group or others
file 0620|$f: writable by group or others
file of uid 1000|$f: owned by uid 1000, not by uid 0
bad magic|$f: not a pool file (bad magic number)
version 3|$f: a pool file of another version
length 23|$f: the file of another pool
short|$f: the file's size is wrong
symbolic link|$f: a symbolic link
directory 0777|/run/stackshim: writable by group or others
directory of uid 1000|/run/stackshim: owned by uid 1000, not by uid 0
EOF2
expect "put right: the mapping is still there" "$(ok 11 192.0.2.1)" \
	"$(refused_case "put right")"

expect "another user: no XDG_RUNTIME_DIR, no pool; then a pool of its own" \
	"stackshim: peer-pool unavailable: no directory: not root, and XDG_RUNTIME_DIR was not set as the program started; IPv6 peers of IPv4 sockets are refused
2001:db8::11 peer=ENOBUFS stable=yes errno=ENOBUFS
$(ok 11 198.18.0.1)
65534 700
65534 600" "$(part nobody)"

finish
