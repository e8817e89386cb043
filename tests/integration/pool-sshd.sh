#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/integration/pool-sshd.sh - one peer pool per host, seen through
# sshd (issue 16, bug 5: every per-connection process numbered its IPv6
# peers from 198.18.0.1, so two clients looked alike and a from= option
# let both in).
#
# sshd runs under `stackshim --stack ipv6` with Debian's default config
# and AddressFamily inet: a legacy IPv4-only sshd, whose one listener on
# 0.0.0.0 the shim upgrades, so that IPv6 clients reach it and are shown
# as peer-pool addresses.  (With both families, IPv6 clients come in on
# sshd's own IPv6 socket with their real addresses: nothing to pool.)
# Clients run bare, bound to 2001:db8::10 and 2001:db8::11 on lo, and ask
# for $SSH_CLIENT, the address sshd's connection process saw:
#   - two clients, two different pool addresses, each the same on every
#     connection and after sshd is restarted;
#   - an authorized_keys line with from="the first one's address" admits
#     the first client and refuses the second;
#   - a 127.0.0.1 client is seen as 127.0.0.1.

ITEST_TOOLS="ssh ssh-keygen"
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/integration/lib.sh"
# sshd's pre-authentication child runs in a seccomp sandbox that kills
# the sanitizer runtime's own system calls (SIGSYS): no login can work in
# a sanitizer build, whatever the shim does.
if [ -n "${SANITIZERS:-}" ]; then
	echo "SKIP: a sanitizer build ($SANITIZERS): sshd's sandbox kills its runtime"
	exit 77
fi
itest_init "$@"

SSHD=/usr/sbin/sshd
if [ ! -x "$SSHD" ]; then
	echo "SKIP: no $SSHD (openssh-server)"
	exit 77
fi

for a in 2001:db8::1 2001:db8::10 2001:db8::11; do
	ip -6 addr add "$a/128" dev lo nodad || itest_error "ip addr add $a"
done
mkdir -p -m 0755 /run/sshd
port=$(free_port)
ssh-keygen -q -t ed25519 -N '' -f "$tmp/hostkey" &&
	ssh-keygen -q -t ed25519 -N '' -f "$tmp/id_a" &&
	ssh-keygen -q -t ed25519 -N '' -f "$tmp/id_b" ||
	itest_error "ssh-keygen"
cp "$tmp/id_b.pub" "$tmp/authorized_keys"
chmod 600 "$tmp/authorized_keys"
{
	cat /etc/ssh/sshd_config
	cat <<EOF
Port $port
AddressFamily inet
HostKey $tmp/hostkey
PidFile $tmp/sshd.pid
AuthorizedKeysFile $tmp/authorized_keys
StrictModes no
LogLevel VERBOSE
EOF
} >"$tmp/sshd_config"

# start_sshd: sshd in the foreground under the shim, until it listens.
start_sshd()
{
	background "" "$STACKSHIM" --stack ipv6 -- "$SSHD" -D -e \
		-f "$tmp/sshd_config" 2>>"$tmp/sshd.log"
	sshd_pid=$bg_pid
	wait_for_port '*' "$port" || itest_error "sshd does not listen: $(tail -n 5 "$tmp/sshd.log")"
}

# client KEY SOURCE DEST: $SSH_CLIENT's address as sshd saw the client,
# or "refused" when it was not let in.
client()
{
	capture ssh -F none -o BatchMode=yes -o StrictHostKeyChecking=no \
		-o UserKnownHostsFile=/dev/null -o LogLevel=ERROR \
		-i "$tmp/$1" -b "$2" -p "$port" "root@$3" 'echo $SSH_CLIENT'
	if [ "$status" -eq 0 ]; then
		awk '{ print $1 }' "$tmp/out"
	else
		echo refused
	fi
}

start_sshd
a=$(client id_b 2001:db8::10 2001:db8::1)
b=$(client id_b 2001:db8::11 2001:db8::1)
if in_cidr "$a" 198.18.0.0/15 && in_cidr "$b" 198.18.0.0/15; then
	pass "two IPv6 clients are seen as pool addresses ($a, $b)"
else
	fail "two IPv6 clients are seen as pool addresses" \
		"got: $a and $b" "$(tail -n 20 "$tmp/sshd.log")"
fi
if [ "$a" != "$b" ]; then
	pass "... different ones"
else
	fail "two IPv6 clients have different addresses" "both: $a"
fi
expect "a third and fourth connection: the same addresses" "$a $b" \
	"$(client id_b 2001:db8::10 2001:db8::1) $(client id_b 2001:db8::11 2001:db8::1)"
expect "an IPv4 client is 127.0.0.1" 127.0.0.1 \
	"$(client id_b 127.0.0.1 127.0.0.1)"

kill "$sshd_pid"
wait "$sshd_pid" 2>/dev/null
start_sshd
expect "sshd restarted: the same addresses" "$b $a" \
	"$(client id_b 2001:db8::11 2001:db8::1) $(client id_b 2001:db8::10 2001:db8::1)"

echo "from=\"$a\" $(cat "$tmp/id_a.pub")" >>"$tmp/authorized_keys"
expect "from=\"$a\": the first client is let in" "$a" \
	"$(client id_a 2001:db8::10 2001:db8::1)"
expect "from=\"$a\": the second client is refused" refused \
	"$(client id_a 2001:db8::11 2001:db8::1)"
expect_grep "... and sshd says why" \
	"not from a permitted host \(host=$b, ip=$b, required=$a\)" \
	"$tmp/sshd.log"

finish
