#!/bin/bash
# SPDX-License-Identifier: MIT
# systemwide.sh - the README's "System-wide use", as it says:
#
#   /etc/ld.so.preload: every dynamic program loads the library, with no
#   variable set, and follows /etc/stackshim.conf; a broken system config
#   takes the network (only) from every program, says why on stderr, and
#   STACKSHIM_CONF or fixing the file gives it back;
#
#   a chroot: the library and /etc/stackshim.conf are the chroot's own;
#   "stackshim status", from outside, shows the chrooted process's policy
#   and paths as it sees them;
#
#   conf/legacyd.service passes "systemd-analyze verify" (with its
#   programs' paths made this build's), and the daemon it describes,
#   started as its ExecStart says, runs under the policy.
#
# All of it inside a chroot built in this test's private mount namespace
# (/usr bound read-only, an /etc of its own): the host's /etc/ld.so.preload
# and /etc/stackshim.conf are never touched.  No packet is sent: socket()
# and a listener on the namespace's loopback only.

# shellcheck source-path=SCRIPTDIR source=lib.sh
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/integration/lib.sh"
if [ -n "${SANITIZERS:-}" ]; then
	echo "SKIP: a sanitizer build: its runtime must be loaded first by every program of the chroot"
	exit 77
fi
ITEST_TOOLS="chroot"
itest_init "$@"

root=$tmp/root
mkdir -p "$root/usr" "$root/etc" "$root/proc" "$root/dev" "$root/tmp"
mount --bind /usr "$root/usr" && mount -o remount,bind,ro "$root/usr" ||
	itest_error "bind /usr into the chroot"
for l in bin sbin lib lib32 lib64 libx32; do
	if [ -L "/$l" ]; then
		cp -P "/$l" "$root/$l"
	elif [ -d "/$l" ]; then
		mkdir -p "$root/$l"
		mount --bind "/$l" "$root/$l" || itest_error "bind /$l"
	fi
done
mount -t proc proc "$root/proc" || itest_error "mount /proc in the chroot"
: >"$root/dev/null"
mount --bind /dev/null "$root/dev/null" || itest_error "bind /dev/null"
# The library at the path it has here, from the build tree.
libdir=$(dirname "$SHIMLIB")
mkdir -p "$root$libdir"
mount --bind "$libdir" "$root$libdir" || itest_error "bind $libdir"
cp /etc/ld.so.cache "$root/etc/" 2>/dev/null
cp "$tmp/hosts" "$root/etc/hosts"
echo 'hosts: files' >"$root/etc/nsswitch.conf"

# family: what an AF_INET6 and an AF_INET socket() give this process.
probe='import socket
for fam in (socket.AF_INET6, socket.AF_INET):
    try:
        socket.socket(fam).close()
        print(fam.name, "ok")
    except OSError as e:
        print(fam.name, __import__("errno").errorcode[e.errno])'

# Debian's interpreter, which the chroot has under /usr.
py=/usr/bin/python3
[ -x "$py" ] || itest_error "$py is missing"

# in_root CMD...: CMD in the chroot with an empty environment but PATH (no
# LD_PRELOAD, no STACKSHIM_*): what the system config says is all there is.
in_root()
{
	capture chroot "$root" env -i PATH=/usr/bin:/bin "$@"
}

# families WHAT V6 V4 [VAR=VALUE...]: the probe in the chroot (with the
# variables) gets V6 from an AF_INET6 socket() and V4 from an AF_INET one;
# its stderr is left in $tmp/err.
families()
{
	local what=$1 v6=$2 v4=$3
	shift 3
	in_root "$@" "$py" -c "$probe"
	expect "$what" "AF_INET6 $v6
AF_INET $v4" "$(cat "$tmp/out")"
}

# --- /etc/ld.so.preload -------------------------------------------------------
printf 'stack = ipv4\n' >"$root/etc/stackshim.conf"
families "no /etc/ld.so.preload: the host's stack" ok ok
echo "$SHIMLIB" >"$root/etc/ld.so.preload"
families "/etc/ld.so.preload, stack = ipv4: AF_INET6 refused, no variable set" \
	EAFNOSUPPORT ok
in_root sh -c 'grep -q libstackshim /proc/self/maps && echo loaded'
expect "/etc/ld.so.preload: a shell loads the library too" loaded \
	"$(cat "$tmp/out")"

# A broken system config: programs run, their network calls fail, each
# says why once; STACKSHIM_CONF (not in a set-ID program) or fixing the
# file gives the network back.
printf 'stack = ipv5\n' >"$root/etc/stackshim.conf"
in_root sh -c 'echo runs'
expect "a broken system config: a program without network runs, silent" \
	"0 runs " "$status $(cat "$tmp/out") $(cat "$tmp/err")"
families "a broken system config: every IP socket refused" EACCES EACCES
expect "a broken system config: said once on stderr" \
	"stackshim: /etc/stackshim.conf:1:9: bad value 'ipv5' (expected ipv4, dual or ipv6); network calls will be refused" \
	"$(cat "$tmp/err")"
printf 'stack = ipv4\n' >"$root/etc/good.conf"
families "a broken system config: STACKSHIM_CONF for one command" \
	EAFNOSUPPORT ok STACKSHIM_CONF=/etc/good.conf
printf 'stack = ipv4\n' >"$root/etc/stackshim.conf"
families "the file fixed: its policy" EAFNOSUPPORT ok

# --- a chroot, seen from outside ------------------------------------------------
printf 'stack = ipv4\n[program sleep]\nprefer = ipv4\n' \
	>"$root/etc/stackshim.conf"
chroot "$root" env -i PATH=/usr/bin:/bin sleep 1000 &
sleeper=$!
BG_PIDS="$BG_PIDS $sleeper"
wait_until "$sleeper" grep -q libstackshim "/proc/$sleeper/maps" ||
	itest_error "the chrooted sleep did not start"
capture "$STACKSHIM" status "$sleeper"
expect_status "status of a chrooted process" 0
expect_grep "status: its executable as it sees it" \
	"^$sleeper sleep \\(/usr/bin/sleep, started as sleep\\)$" "$tmp/out"
expect_grep "status: its config, the chroot's" \
	"^  config: /etc/stackshim.conf\$" "$tmp/out"
expect_grep "status: the chroot's stack" \
	"^  stack = ipv4 # /etc/stackshim.conf:1\$" "$tmp/out"
expect_grep "status: [program sleep] of the chroot's file" \
	"^  prefer = ipv4 # /etc/stackshim.conf:3\$" "$tmp/out"
kill "$sleeper" 2>/dev/null

# --- conf/legacyd.service ----------------------------------------------------
if command -v systemd-analyze >/dev/null; then
	unit=$tmp/legacyd.service
	sed -e "s|/usr/bin/stackshim|$STACKSHIM|" \
		-e "s|/usr/local/bin/legacyd --listen 0.0.0.0:8080|$PYTHON -m http.server --bind 0.0.0.0 8080|" \
		"$top_srcdir/conf/legacyd.service" >"$unit"
	capture systemd-analyze verify "$unit"
	expect "conf/legacyd.service: systemd-analyze verify" "0" \
		"$status$(grep -v -e '^$' "$tmp/err" | sed 's/^/ /')"
	# Its ExecStart, as systemd would run it: the daemon is on the ipv6
	# stack, its 0.0.0.0 listener an upgraded [::] one (ss: *:PORT).
	exec_start=$(sed -n 's/^ExecStart=//p' "$unit")
	port=$(free_port "")
	exec_start=${exec_start/8080/$port}
	# shellcheck disable=SC2086 # ExecStart's words
	background "" $exec_start
	listening() { ss -Hltn "sport = :$port" | grep -q .; }
	wait_until "$bg_pid" listening ||
		itest_error "legacyd's ExecStart did not listen on $port"
	ss -Hltn "sport = :$port" >"$tmp/ss"
	expect_grep "conf/legacyd.service: its ExecStart listens on [::]" \
		"[[:space:]](\*|\[::\]):$port[[:space:]]" "$tmp/ss"
else
	echo "note: systemd-analyze not installed: conf/legacyd.service not checked"
fi

finish
