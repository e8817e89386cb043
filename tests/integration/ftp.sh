#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/integration/ftp.sh - lftp and tnftp against vsftpd under --stack
# ipv6 (issue 16, deliver 5: what the shim shows, the program can use).
#
# lftp binds its data sockets to the control connection's local address,
# as getsockname() shows it: in passive mode before it connects to the
# server's PASV address, in active mode before it listens for the server's
# PORT connection.  Under --stack ipv6 that address is an IPv4 one the
# shim showed (the connection went out mapped), and the bind must work.
# vsftpd (bare, standalone, anonymous) listens on 127.0.0.1 and on
# 192.0.2.1, an address added to lo in the test's own namespace: the
# second is outside 127.0.0.0/8, so only the shown-address rule lets
# the bind through.  Then vsftpd itself under the shim, listening on
# 0.0.0.0, with a bare lftp: vsftpd binds its data sockets to the
# control connection's local address too.  Each file must arrive whole.

ITEST_TOOLS="vsftpd lftp tnftp"
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/integration/lib.sh"
itest_init "$@"

SHIM=("$STACKSHIM" --stack ipv6 --)
ip addr add 192.0.2.1/32 dev lo || itest_error "192.0.2.1 on lo"
# An IPv6 address that is no loopback one, as an IPv6 host has: lftp asks
# with AI_ADDRCONFIG, and the shim answers IPv4 literals as ::ffff:a.b.c.d.
ip -6 addr add 2001:db8::1/128 dev lo nodad || itest_error "2001:db8::1 on lo"

mkdir -p "$tmp/pub" "$tmp/empty"
chmod 755 "$tmp/pub" "$tmp/empty"
head -c 200000 /dev/urandom >"$tmp/pub/data.bin"
chmod 644 "$tmp/pub/data.bin"

# start_vsftpd ADDR [LAUNCHER...]: vsftpd at ADDR (0.0.0.0: listen_address
# left out) on a free port; sets $port.
start_vsftpd()
{
	local addr=$1 i
	shift
	for i in 1 2 3; do
		port=$(free_port "")
		cat >"$tmp/vsftpd-$addr.conf" <<EOF
listen=YES
listen_ipv6=NO
$([ "$addr" = 0.0.0.0 ] || echo "listen_address=$addr")
listen_port=$port
background=NO
anonymous_enable=YES
no_anon_password=YES
anon_root=$tmp/pub
local_enable=NO
write_enable=NO
ftp_username=ftp
nopriv_user=nobody
secure_chroot_dir=$tmp/empty
connect_from_port_20=NO
seccomp_sandbox=NO
isolate=NO
isolate_network=NO
xferlog_enable=NO
vsftpd_log_file=$tmp/vsftpd-$addr.log
EOF
		background "" "$@" vsftpd "$tmp/vsftpd-$addr.conf"
		# ss shows an upgraded 0.0.0.0, [::] dual-stack, as *.
		wait_for_port "${addr/#0.0.0.0/*}" "$port" && return 0
		kill "$bg_pid" 2>/dev/null
	done
	itest_error "vsftpd on $addr did not start"
}

# expect_whole: the last capture ($what) exited 0 with $out the whole file.
expect_whole()
{
	if [ "$status" -eq 0 ] && cmp -s "$tmp/pub/data.bin" "$out"; then
		pass "$what: the file arrived whole"
	else
		fail "$what: the file arrives whole" "exit $status" \
			"$(show_output)"
	fi
}

for addr in 127.0.0.1 192.0.2.1; do
	start_vsftpd "$addr"
	for mode in on off; do
		what="--stack ipv6: lftp from vsftpd at $addr (passive-mode $mode)"
		out=$tmp/got-$addr-$mode.bin
		capture "${SHIM[@]}" lftp -c "set net:max-retries 1; set net:timeout 5; set ftp:passive-mode $mode; open -u anonymous,x ftp://$addr:$port; get data.bin -o $out"
		expect_whole
	done
	# tnftp binds its active-mode data socket to the control
	# connection's local address, as getsockname() shows it.
	for mode in -A -p; do
		what="--stack ipv6: tnftp $mode from vsftpd at $addr"
		out=$tmp/tnftp-$addr$mode.bin
		capture "${SHIM[@]}" tnftp -n $mode -q 10 -o "$out" \
			"ftp://anonymous:x@$addr:$port/data.bin"
		expect_whole
	done
done

# The server under the shim: vsftpd listens on 0.0.0.0 (upgraded), and
# binds each data socket, passive or active, to the control connection's
# local address as getsockname() shows it, 192.0.2.1.  lftp runs bare.
# Not in a sanitizer build: vsftpd's session process limits its address
# space (RLIMIT_AS), where the sanitizer runtime's shadow memory does not
# fit ("500 OOPS: mmap", seen under strace), whatever the shim does.
if [ -n "${SANITIZERS:-}" ]; then
	echo "SKIP: vsftpd under the shim in a sanitizer build ($SANITIZERS)"
	finish
fi
start_vsftpd 0.0.0.0 "${SHIM[@]}"
for mode in on off; do
	what="--stack ipv6: vsftpd (0.0.0.0) to a bare lftp at 192.0.2.1 (passive-mode $mode)"
	out=$tmp/srv-got-$mode.bin
	capture lftp -c "set net:max-retries 1; set net:timeout 5; set ftp:passive-mode $mode; open -u anonymous,x ftp://192.0.2.1:$port; get data.bin -o $out"
	expect_whole
done

finish
