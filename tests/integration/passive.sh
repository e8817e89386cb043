#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/integration/passive.sh - servers that listen where
# getaddrinfo(NULL, AI_PASSIVE) says, 0.0.0.0:P and [::]:P, under --stack
# ipv6 (issue 16, deliver 4): sshd, rsync --daemon, mosquitto.
#
# Debian's sshd_config names no ListenAddress: sshd listens on 0.0.0.0:P
# and [::]:P (its own IPV6_V6ONLY socket).  Bare, ssh over 127.0.0.1 and
# over ::1 both log in; under the shim they must too, and SSH_CONNECTION
# must name ::1 for the IPv6 client (it reached sshd's own IPv6 socket,
# not the upgraded one through the peer-pool).  The config is Debian's
# file with only the port, a host key, the pid file and a key of the
# test's own changed; /run/sshd is made in the test's private /run.
# rsync --daemon and mosquitto, with no address in their configs: their
# clients over 127.0.0.1 and ::1 both served.

ITEST_TOOLS="ssh ssh-keygen rsync mosquitto"
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/integration/lib.sh"
itest_init "$@"

SSHD=/usr/sbin/sshd
if [ ! -x "$SSHD" ] || [ ! -r /etc/ssh/sshd_config ]; then
	itest_error "no $SSHD or /etc/ssh/sshd_config"
fi
mkdir -p /run/sshd
chmod 755 /run/sshd
ssh-keygen -q -t ed25519 -N '' -f "$tmp/hostkey" || itest_error "host key"
ssh-keygen -q -t ed25519 -N '' -f "$tmp/id" || itest_error "client key"
cp "$tmp/id.pub" "$tmp/authorized_keys"
chmod 600 "$tmp/authorized_keys"

# wait_both PID PORT: until TCP listeners are on 0.0.0.0:PORT (or its
# upgraded stand-in, [::ffff:0.0.0.0]:PORT, IPv4 only) and on [::]:PORT,
# while PID lives.
wait_both()
{
	wait_until "$1" both_listening "$2"
}

# shellcheck disable=SC2317 # run by wait_until
both_listening()
{
	local l
	l=$(ss -Hltn 2>/dev/null | awk '{ print $4 }')
	grep -qxE -e "(0\.0\.0\.0|\[::ffff:0\.0\.0\.0\]):$1" <<<"$l" &&
		grep -qxF -e "[::]:$1" <<<"$l"
}

# v4_listening PORT: a TCP listener on 0.0.0.0:PORT or its upgraded
# stand-in ([::ffff:0.0.0.0]:PORT, or dual-stack [::]:PORT, which ss shows
# as *:PORT).
# shellcheck disable=SC2317 # run by wait_until
v4_listening()
{
	ss -Hltn 2>/dev/null | awk '{ print $4 }' |
		grep -qxE -e "(0\.0\.0\.0|\[::ffff:0\.0\.0\.0\]|\*):$1"
}

# start_sshd NAME [LAUNCHER...]: sshd -D -e on a free port, with
# $sshd_extra (config lines) before Debian's file, until $sshd_ready PORT
# (both listeners by default); sets $port and $server_pid; its output in
# $tmp/NAME.log.
sshd_extra=
sshd_ready=both_listening
start_sshd()
{
	local name=$1 i
	shift
	for i in 1 2 3; do
		port=$(free_port "")
		{
			printf 'Port %s\nHostKey %s\nPidFile %s\n' "$port" \
				"$tmp/hostkey" "$tmp/$name.pid"
			printf 'AuthorizedKeysFile %s\nStrictModes no\n' \
				"$tmp/authorized_keys"
			[ -n "$sshd_extra" ] && printf '%s\n' "$sshd_extra"
			cat /etc/ssh/sshd_config
		} >"$tmp/$name.conf"
		# shellcheck disable=SC2016 # expanded by that sh
		background "" sh -c 'exec "$@" >"$0" 2>&1' "$tmp/$name.log" \
			"$@" "$SSHD" -D -e -f "$tmp/$name.conf"
		server_pid=$bg_pid
		wait_until "$server_pid" "$sshd_ready" "$port" && return 0
		kill "$server_pid" 2>/dev/null
		wait "$server_pid" 2>/dev/null
	done
	fail "sshd ($name) listens on 0.0.0.0:P and [::]:P" \
		"$(sed 's/^/  | /' "$tmp/$name.log" | tail -n 5)"
	return 1
}

# login HOST: ssh as root with the test's key; prints SSH_CONNECTION.
# shellcheck disable=SC2016 # expanded by the remote shell
login()
{
	capture ssh -n -o BatchMode=yes -o StrictHostKeyChecking=no \
		-o UserKnownHostsFile=/dev/null -o IdentitiesOnly=yes \
		-o ConnectTimeout=5 -i "$tmp/id" -p "$port" "root@$1" \
		'echo "$SSH_CONNECTION"'
}

# sshd asks getaddrinfo(NULL, AI_PASSIVE) for its listeners: under
# --stack ipv6 that answers 0.0.0.0 as well as :: (passive addresses are
# binds, SPEC §2), so that sshd opens both, the case this test is about.
# The same for rsync and mosquitto.
modes="bare shim"
# sshd's pre-authentication child runs in a seccomp sandbox that kills
# the sanitizer runtime's own system calls (SIGSYS): in a sanitizer build
# sshd runs bare only (rsync and mosquitto below run under the shim).
sshd_modes=$modes
[ -n "${SANITIZERS:-}" ] && sshd_modes=bare
# shellcheck disable=SC2016 # python, not shell
capture "$STACKSHIM" --stack ipv6 -- "$PYTHON" -c '
import socket
a = socket.getaddrinfo(None, 1, 0, socket.SOCK_STREAM, 0, socket.AI_PASSIVE)
print(" ".join(sorted(i[4][0] for i in a)))'
expect "--stack ipv6: getaddrinfo(NULL, AI_PASSIVE) as a real host" \
	"0.0.0.0 ::" "$(cat "$tmp/out")"

for mode in $sshd_modes; do
	if [ "$mode" = bare ]; then
		launcher=()
		what="bare sshd (Debian's config)"
	else
		launcher=("$STACKSHIM" --stack ipv6 --)
		what="--stack ipv6: sshd (Debian's config)"
	fi
	start_sshd "$mode" "${launcher[@]}" || continue
	pass "$what: listens on 0.0.0.0:P and [::]:P"
	for host in 127.0.0.1 ::1; do
		login "$host"
		got=$(awk '{ print $1, $3 }' "$tmp/out")
		expect "$what: ssh root@$host logs in; SSH_CONNECTION names client and server" \
			"0 $host $host" "$status $got"
	done
	kill "$server_pid" 2>/dev/null
	wait "$server_pid" 2>/dev/null
done

# --- ListenAddress 0.0.0.0: getaddrinfo("0.0.0.0", AI_PASSIVE) ------------------------
# Before passive addresses were binds, the shim answered ::ffff:0.0.0.0
# and sshd failed to bind it ("Invalid argument").  Now it serves IPv4 as
# bare does; a ::1 client, refused bare, reaches the legacy listener
# through the peer-pool under the shim (its [::]:P is dual-stack, no IPv6
# socket of sshd's wanting the port), shown as a pool address.
sshd_extra='ListenAddress 0.0.0.0'
sshd_ready=v4_listening
for mode in $sshd_modes; do
	if [ "$mode" = bare ]; then
		launcher=()
		what="bare sshd, ListenAddress 0.0.0.0"
	else
		launcher=("$STACKSHIM" --stack ipv6 --)
		what="--stack ipv6: sshd, ListenAddress 0.0.0.0"
	fi
	start_sshd "$mode-listen4" "${launcher[@]}" || continue
	login 127.0.0.1
	expect "$what: ssh root@127.0.0.1 logs in" "0 127.0.0.1" \
		"$status $(awk '{ print $1 }' "$tmp/out")"
	login ::1
	if [ "$mode" = bare ]; then
		expect "$what: ssh root@::1 is refused (exit 255)" 255 \
			"$status"
	else
		expect "$what: ssh root@::1 logs in, shown from the pool" \
			"0 198.18." "$status $(awk '{ print substr($1, 1, 7) }' "$tmp/out")"
	fi
	kill "$server_pid" 2>/dev/null
	wait "$server_pid" 2>/dev/null
done
sshd_extra=
sshd_ready=both_listening

# --- rsync --daemon and mosquitto ----------------------------------------------------
# Both listen where getaddrinfo(NULL, AI_PASSIVE) says, 0.0.0.0 and [::]
# (IPV6_V6ONLY), when their config names no address; bare, and before
# this was fixed under the shim, both died (EADDRINUSE on [::]:P).
mkdir -p "$tmp/pub"
echo data >"$tmp/pub/file"
cat >"$tmp/mqtt.py" <<'EOF'
import socket, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=5)
# MQTT 3.1.1 CONNECT, clean session, keep-alive 60, empty client id.
s.sendall(bytes([0x10, 12, 0, 4]) + b"MQTT" + bytes([4, 2, 0, 60, 0, 0]))
print("connack" if s.recv(4)[:1] == b"\x20" else "no connack")
EOF

# start_daemon NAME LAUNCHER... @@ PROGRAM ARGS...: PROGRAM (its config
# written by the caller with $port in it) in the background until it
# listens on both wildcards at $port; its output in $tmp/NAME.log.
start_daemon()
{
	local name=$1 launcher=()
	shift
	while [ "$1" != "@@" ]; do
		launcher+=("$1")
		shift
	done
	shift
	# shellcheck disable=SC2016 # expanded by that sh
	background "" sh -c 'exec "$@" >"$0" 2>&1' "$tmp/$name.log" \
		"${launcher[@]}" "$@"
	server_pid=$bg_pid
	wait_both "$server_pid" "$port"
}

for mode in $modes; do
	if [ "$mode" = bare ]; then
		launcher=()
		what=bare
	else
		launcher=("$STACKSHIM" --stack ipv6 --)
		what="--stack ipv6:"
	fi
	port=$(free_port "")
	printf 'port = %s\npid file = %s\nuse chroot = no\n[pub]\npath = %s\nread only = yes\n' \
		"$port" "$tmp/rsyncd-$mode.pid" "$tmp/pub" >"$tmp/rsyncd-$mode.conf"
	if start_daemon "rsyncd-$mode" "${launcher[@]}" @@ rsync --daemon \
		--no-detach --config="$tmp/rsyncd-$mode.conf"; then
		for host in 127.0.0.1 '[::1]'; do
			capture rsync "rsync://$host:$port/pub/"
			expect_grep "$what rsync --daemon (no address): rsync://$host lists the module" \
				' file$' "$tmp/out"
		done
	else
		fail "$what rsync --daemon listens on 0.0.0.0:P and [::]:P" \
			"$(sed 's/^/  | /' "$tmp/rsyncd-$mode.log" | tail -n 5)"
	fi
	kill "$server_pid" 2>/dev/null
	wait "$server_pid" 2>/dev/null

	port=$(free_port "")
	printf 'listener %s\nallow_anonymous true\n' "$port" \
		>"$tmp/mosquitto-$mode.conf"
	if start_daemon "mosquitto-$mode" "${launcher[@]}" @@ mosquitto \
		-c "$tmp/mosquitto-$mode.conf"; then
		for host in 127.0.0.1 ::1; do
			capture "$PYTHON" "$tmp/mqtt.py" "$host" "$port"
			expect "$what mosquitto (listener P): an MQTT client over $host" \
				"0 connack" "$status $(cat "$tmp/out")"
		done
	else
		fail "$what mosquitto listens on 0.0.0.0:P and [::]:P" \
			"$(sed 's/^/  | /' "$tmp/mosquitto-$mode.log" | tail -n 5)"
	fi
	kill "$server_pid" 2>/dev/null
	wait "$server_pid" 2>/dev/null
done

finish
