# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# tests/integration/lib.sh - helpers shared by the integration tests; sourced
# by tests/integration/*.sh, never run.
#
# Each integration test runs real programs (python3, curl, wget, socat, nc)
# under the real launcher and library, against servers of its own, inside
# namespaces of its own:
#
#   itest_init "$@"   (first thing a test does) checks what the test needs,
#                     makes a scratch directory and re-runs the test script
#                     under `unshare --mount --net --pid --fork`, bounded by
#                     a timeout; the outer copy removes the scratch directory
#                     whatever happens to the inner one and exits with its
#                     status.  The inner copy returns from itest_init inside
#                     a private mount, network and PID namespace: lo is up,
#                     /etc/hosts is $tmp/hosts (localhost and the test's
#                     ITEST_HOSTS_EXTRA, names under .stackshim.test only),
#                     /etc/nsswitch.conf says "hosts: files", /run is
#                     a private tmpfs (no nscd, room for `ip netns`), and
#                     when the script ends, for any reason, the PID namespace
#                     takes every process it started with it.
#
# Network safety: the only interfaces a test sees are its namespaces' lo and
# the veth links it creates itself, addressed from 192.0.2.0/24,
# 198.51.100.0/24 and 2001:db8::/32; nothing can leave the machine, and no
# name is ever looked up anywhere but in the test's own hosts file.
#
# Exit statuses: 0 pass, 1 an expectation failed (each one printed as
# expected vs got), 77 skip (not root, or namespaces cannot be made here),
# 99 hard error (the build or a required tool is missing, setup failed).

set -u

if [ -z "${top_srcdir:-}" ]; then
	top_srcdir=$(cd "$(dirname "$0")/../.." && pwd) || exit 99
fi
: "${top_builddir:=$top_srcdir}"
STACKSHIM=$top_builddir/stackshim
SHIMLIB=$top_builddir/shim/.libs/libstackshim.so

# pass, fail, expect, finish, limit and the counts $passes, $failures.
# shellcheck source=SCRIPTDIR/../lib.sh
. "$top_srcdir/tests/lib.sh"

# Every client and server command gets a timeout; the whole script gets
# ITEST_TIMEOUT seconds (set it before itest_init to change it).  Both are
# guards against a hang, never a measure: a correct run on a machine whose
# two cores are shared by a dozen busy processes must finish well inside
# them (cells.sh, one of the longest, takes 90 s unloaded).  Both scale
# with TEST_TIME_SCALE, and by 3 in a sanitizer build (tests/lib.sh's
# limit), where every program runs several times slower, with the
# sanitizer's runtime preloaded in each and a leak check at each exit.
ITEST_TIMEOUT=$(limit "${ITEST_TIMEOUT:-1200}")
CLIENT_TIMEOUT=$(limit 60)

# in_cidr ADDR CIDR: ADDR is an IPv4 address inside CIDR.
in_cidr()
{
	"$PYTHON" -c 'import ipaddress, sys
try:
    ok = ipaddress.IPv4Address(sys.argv[1]) in ipaddress.IPv4Network(sys.argv[2])
except ValueError:
    ok = False
sys.exit(0 if ok else 1)' "$1" "$2"
}

# --- setup ---------------------------------------------------------------------

# itest_need_tools CMD...: each CMD must be installed (CI installs them all
# from .ci/packages-test); a missing one is a hard error, not a skip.
itest_need_tools()
{
	local cmd missing=
	for cmd in "$@"; do
		command -v "$cmd" >/dev/null 2>&1 || missing="$missing $cmd"
	done
	if [ -n "$missing" ]; then
		echo "ERROR: required tools missing:$missing (see .ci/packages-test)"
		exit 99
	fi
}

# itest_init "$@": see the top of this file.  Before calling it a test may
# set ITEST_TOOLS (extra commands it needs) and ITEST_HOSTS_EXTRA (lines to
# add to the hosts file).
itest_init()
{
	if [ -n "${_STACKSHIM_ITEST_TMP:-}" ]; then
		_itest_inside
		return
	fi

	if [ ! -x "$STACKSHIM" ] || [ ! -f "$SHIMLIB" ]; then
		echo "ERROR: $STACKSHIM or $SHIMLIB is not built"
		exit 99
	fi
	if [ "$(id -u)" -ne 0 ]; then
		echo "SKIP: needs root (network namespaces, bind-mounted /etc/hosts)"
		exit 77
	fi
	# shellcheck disable=SC2086 # a list of words on purpose
	itest_need_tools unshare ip timeout mount python3 ss strace \
		${ITEST_TOOLS:-}
	if ! unshare --mount --net --pid --fork --kill-child --mount-proc \
		sh -c 'mount --make-rprivate / && ip link set lo up' \
		>/dev/null 2>&1; then
		echo "SKIP: cannot create mount+network+PID namespaces here"
		exit 77
	fi

	local tmp rc child
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/stackshim-itest.XXXXXX") || exit 99
	chmod 755 "$tmp"
	# In the new PID namespace, timeout is PID 1: when it ends (the script
	# finished, or ran out of time and was killed), the kernel kills every
	# process left in the namespace.  unshare --kill-child kills it when
	# unshare itself is killed: this shell does that, by PID, when it is
	# told to stop.  (unshare --fork blocks SIGTERM, so SIGKILL it is.)
	trap 'kill -KILL "$child" 2>/dev/null; wait "$child"; rm -rf "$tmp"; exit 1' HUP INT TERM
	_STACKSHIM_ITEST_TMP=$tmp _STACKSHIM_ITEST_ID=$$ \
		unshare --mount --net --pid --fork --kill-child --mount-proc \
		timeout -s KILL "$ITEST_TIMEOUT" bash "$0" "$@" &
	child=$!
	wait "$child"
	rc=$?
	rm -rf "$tmp"
	if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
		echo "FAIL: $0 did not finish within ${ITEST_TIMEOUT}s (exit $rc)"
		exit 1
	fi
	exit "$rc"
}

# The real interpreter: a pyenv-style wrapper script would itself run under
# the library and start the interpreter with LD_PRELOAD inherited, which
# works, but the tests mean to preload into python itself.
_itest_python()
{
	PYTHON=$(python3 -c 'import sys; print(sys.executable)' 2>/dev/null)
	if [ -z "$PYTHON" ] || [ ! -x "$PYTHON" ]; then
		echo "ERROR: cannot find the python3 interpreter"
		exit 99
	fi
}

_itest_inside()
{
	tmp=$_STACKSHIM_ITEST_TMP
	# $$ is 1 in the new PID namespace: names take the outer shell's PID.
	# shellcheck disable=SC2034 # for the tests that source this file
	ITEST_ID=$_STACKSHIM_ITEST_ID
	unset _STACKSHIM_ITEST_TMP _STACKSHIM_ITEST_ID
	NETNS_LIST=
	BG_PIDS=
	trap 'itest_cleanup' EXIT
	trap 'exit 1' HUP INT TERM

	_itest_python

	# Nothing of the caller's environment may steer the programs: no
	# preload, no STACKSHIM_* policy, no /etc/stackshim.conf, no proxy,
	# no ~/.curlrc or ~/.wgetrc.
	unset LD_PRELOAD
	local var
	for var in $(compgen -e); do
		case $var in
		STACKSHIM_* | *_proxy | *_PROXY) unset "$var" ;;
		esac
	done
	: >"$tmp/empty.conf"
	export STACKSHIM_CONF=$tmp/empty.conf
	# Compiled policies go into $tmp, never into this host's caches.
	export STACKSHIM_CACHE_DIR=$tmp/cache
	export no_proxy='*' NO_PROXY='*'
	mkdir -p "$tmp/home"
	export HOME=$tmp/home
	export LC_ALL=C

	mount --make-rprivate / || itest_error "mount --make-rprivate /"
	mount -t tmpfs -o mode=755 stackshim-itest /run ||
		itest_error "mount a private /run"

	{
		printf '127.0.0.1\tlocalhost\n'
		printf '::1\tlocalhost\n'
		printf '%s\n' "${ITEST_HOSTS_EXTRA:-}"
	} >"$tmp/hosts"
	sed 's/^[[:space:]]*hosts:.*/hosts: files/' /etc/nsswitch.conf \
		>"$tmp/nsswitch.conf" 2>/dev/null
	grep -q '^hosts: files$' "$tmp/nsswitch.conf" ||
		echo 'hosts: files' >>"$tmp/nsswitch.conf"
	mount --bind "$tmp/hosts" /etc/hosts || itest_error "bind /etc/hosts"
	mount --bind "$tmp/nsswitch.conf" /etc/nsswitch.conf ||
		itest_error "bind /etc/nsswitch.conf"
	# Address sorting by the defaults of RFC 6724, not a local gai.conf.
	if [ -f /etc/gai.conf ]; then
		: >"$tmp/gai.conf"
		mount --bind "$tmp/gai.conf" /etc/gai.conf
	fi
	# No name server at all (hosts: files already keeps glibc off DNS;
	# this is for any program with a resolver of its own).
	if [ -f /etc/resolv.conf ] && [ ! -L /etc/resolv.conf ]; then
		printf 'options attempts:1 timeout:1\n' >"$tmp/resolv.conf"
		mount --bind "$tmp/resolv.conf" /etc/resolv.conf
	fi
	ip link set lo up || itest_error "ip link set lo up"

	# A sanitizer build: LeakSanitizer checks for leaks at exit by
	# stopping the world with ptrace, which a process that strace traces
	# cannot do (it dies with a fatal error).  So strace (found along PATH,
	# as the tests call it) runs its children with leak checking off; every
	# other sanitizer check stays on in them, and the tests' untraced runs
	# are leak-checked as usual.
	if [ -n "${SANITIZERS:-}" ]; then
		mkdir -p "$tmp/sanitizer-bin" || itest_error "mkdir"
		# shellcheck disable=SC2016 # expanded by that script
		printf '#!/bin/sh\nASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0" exec %s "$@"\n' \
			"$(command -v strace)" >"$tmp/sanitizer-bin/strace"
		chmod 755 "$tmp/sanitizer-bin/strace"
		PATH=$tmp/sanitizer-bin:$PATH
	fi
}

# itest_cleanup: stop what the test started, delete its namespaces.  The PID
# and mount namespaces would take them anyway; this keeps things orderly.
itest_cleanup()
{
	local pid ns
	for pid in $BG_PIDS; do
		kill "$pid" 2>/dev/null
	done
	for ns in $NETNS_LIST; do
		ip netns del "$ns" 2>/dev/null
	done
}

# itest_error MESSAGE: the test could not be set up; a hard error.
itest_error()
{
	echo "ERROR: $*"
	exit 99
}

# --- expectations ----------------------------------------------------------------

# expect_status WHAT EXPECTED: the last `capture` exited EXPECTED.
expect_status()
{
	if [ "$status" -eq "$2" ]; then
		pass "$1: exit $2"
	else
		fail "$1" "expected: exit $2" "got:      exit $status" \
			"$(show_output)"
	fi
}

# expect_clean_failure WHAT: the last `capture` exited non-zero on its own:
# not by a signal, not by the timeout.
expect_clean_failure()
{
	if [ "$status" -ne 0 ] && [ "$status" -lt 124 ]; then
		pass "$1: fails cleanly (exit $status)"
	else
		fail "$1" "expected: a clean failure (exit 1..123)" \
			"got:      exit $status$(status_note "$status")" \
			"$(show_output)"
	fi
}

# status_note STATUS: what an exit status means when it is not a plain one.
status_note()
{
	case $1 in
	124) echo " (timed out)" ;;
	12[5-7]) echo " (could not run)" ;;
	1[3-9][0-9] | 2[0-9][0-9])
		echo " (killed by signal $(kill -l $(($1 - 128)) 2>/dev/null))" ;;
	esac
}

# expect_grep WHAT REGEX FILE: a line of FILE matches the extended REGEX.
expect_grep()
{
	if grep -Eq -e "$2" "$3" 2>/dev/null; then
		pass "$1"
	else
		fail "$1" "expected a line matching: $2" "got:" \
			"$(sed 's/^/  | /' "$3" 2>/dev/null | head -n 20)"
	fi
}

# expect_no_grep WHAT REGEX FILE: no line of FILE matches.
expect_no_grep()
{
	if ! grep -Eq -e "$2" "$3" 2>/dev/null; then
		pass "$1"
	else
		fail "$1" "expected no line matching: $2" "got:" \
			"$(grep -E -e "$2" "$3" | sed 's/^/  | /')"
	fi
}

# --- running things --------------------------------------------------------------

# capture CMD...: run CMD (a program, not a shell function; bounded by
# CLIENT_TIMEOUT) with stdin from
# /dev/null unless $capture_in names a file; stdout in $tmp/out, stderr in
# $tmp/err, the exit status in $status.
capture()
{
	timeout -k 2 "$CLIENT_TIMEOUT" "$@" <"${capture_in:-/dev/null}" \
		>"$tmp/out" 2>"$tmp/err"
	status=$?
}

# show_output: the last captured command's output, to explain a failure.
show_output()
{
	sed 's/^/  stdout| /' "$tmp/out"
	sed 's/^/  stderr| /' "$tmp/err"
}

# wait_for_file FILE [SECONDS]: until FILE is non-empty.
wait_for_file()
{
	local i limit=$((${2:-10} * 20))
	for ((i = 0; i < limit; i++)); do
		[ -s "$1" ] && return 0
		sleep 0.05
	done
	return 1
}

# wait_until PID CMD...: until CMD succeeds (0), for up to 10 s while the
# process PID lives; 1 when it died or time ran out.
wait_until()
{
	local i pid=$1
	shift
	for ((i = 0; i < 200; i++)); do
		"$@" && return 0
		kill -0 "$pid" 2>/dev/null || return 1
		sleep 0.05
	done
	return 1
}

# wait_for_port ADDR PORT [NETNS]: until a TCP listener is there.
wait_for_port()
{
	local i pat
	case $1 in
	*:*) pat="[$1]:$2" ;;
	*) pat="$1:$2" ;;
	esac
	for ((i = 0; i < 200; i++)); do
		if in_netns "${3:-}" ss -Hltn 2>/dev/null | awk '{ print $4 }' |
			grep -qxF -e "$pat"; then
			return 0
		fi
		sleep 0.05
	done
	return 1
}

# in_netns NS CMD...: CMD in network namespace NS ("" = this one).
in_netns()
{
	local ns=$1
	shift
	if [ -n "$ns" ]; then
		ip netns exec "$ns" "$@"
	else
		"$@"
	fi
}

# background NETNS CMD...: start CMD (a program, not a shell function) in
# the background in NETNS ("" = this one), bounded by the script's own
# timeout, and remember it for the cleanup.  Sets $bg_pid.
background()
{
	local ns=$1
	shift
	if [ -n "$ns" ]; then
		set -- ip netns exec "$ns" "$@"
	fi
	timeout -k 2 "$ITEST_TIMEOUT" "$@" &
	bg_pid=$!
	BG_PIDS="$BG_PIDS $bg_pid"
}

# free_port [NETNS]: a TCP port free on both 127.0.0.1 and ::1 (whichever of
# them exist) in NETNS, printed.
free_port()
{
	in_netns "${1:-}" "$PYTHON" - <<'EOF'
import socket
for _ in range(100):
    s = socket.socket(socket.AF_INET6)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    try:
        s.bind(("::", 0))
    except OSError:
        s.close()
        s = socket.socket(socket.AF_INET)
        s.bind(("0.0.0.0", 0))
    port = s.getsockname()[1]
    s.close()
    if 20000 <= port < 60000:
        print(port)
        break
EOF
}

# --- namespaces and links ------------------------------------------------------

# netns_add NAME: a network namespace (under the private /run, so nothing
# outside sees it) with lo up.  Tests name theirs with $ITEST_ID, the PID of
# the test outside its namespaces.
netns_add()
{
	ip netns add "$1" || itest_error "ip netns add $1"
	NETNS_LIST="$NETNS_LIST $1"
	ip -n "$1" link set lo up || itest_error "lo up in $1"
}

# veth NAME_A NS_A NAME_B NS_B: a veth pair, each end up in its namespace
# ("" = this one).
veth()
{
	ip link add "$1" type veth peer name "$3" || itest_error "veth $1/$3"
	if [ -n "$2" ]; then
		ip link set "$1" netns "$2" || itest_error "move $1 to $2"
	fi
	if [ -n "$4" ]; then
		ip link set "$3" netns "$4" || itest_error "move $3 to $4"
	fi
	in_netns "$2" ip link set "$1" up || itest_error "$1 up"
	in_netns "$4" ip link set "$3" up || itest_error "$3 up"
}

# ipv6_off [NETNS]: make NETNS an IPv4-only host: IPv6 disabled (the
# net.ipv6.conf.*.disable_ipv6 sysctls, written through /proc/sys, which
# needs no procps) on every interface now and later.
ipv6_off()
{
	local ns=${1:-}
	# shellcheck disable=SC2016 # expanded by that sh
	in_netns "$ns" sh -c '
		set -e
		echo 1 >/proc/sys/net/ipv6/conf/default/disable_ipv6
		echo 1 >/proc/sys/net/ipv6/conf/all/disable_ipv6
		for f in /proc/sys/net/ipv6/conf/*/disable_ipv6; do
			echo 1 >"$f"
		done' || itest_error "disable IPv6 in ${ns:-this namespace}"
	if [ -n "$(in_netns "$ns" ip -6 -o addr show)" ]; then
		itest_error "IPv6 addresses left in ${ns:-this namespace}: $(in_netns "$ns" ip -6 -o addr show)"
	fi
}

# --- the test programs -----------------------------------------------------------

# write_programs: $tmp/listen.py (the servers) and $tmp/client.py (the
# client whose every step is reported).
write_programs()
{
	# listen.py LOG READY PORT ADDR...: TCP listeners on every ADDR at one
	# port (PORT 0: the first free port that all ADDRs can share), IPv6
	# ones with IPV6_V6ONLY=1, so that each listener only ever sees its own
	# family.  Writes the port to READY once all listen.  Each connection:
	# read one line (a tag, or an HTTP request line), log
	#   listener=ADDR peer=ADDR tcp6=0|1 line=LINE
	# to LOG and send the same text back (as an HTTP response for an HTTP
	# request).  tcp6=1 when the connecting socket, if it lives in this
	# network namespace, is in /proc/net/tcp6 at an IPv4-mapped address: an
	# AF_INET6 socket underneath, whatever the client program believes.
	cat >"$tmp/listen.py" <<'EOF'
import os, select, socket, sys, threading

log_path, ready_path, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
addrs = sys.argv[4:]
lock = threading.Lock()

def open_all(port):
    socks = []
    try:
        for a in addrs:
            fam = socket.AF_INET6 if ":" in a else socket.AF_INET
            s = socket.socket(fam, socket.SOCK_STREAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if fam == socket.AF_INET6:
                s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            s.bind((a, port))
            s.listen(64)
            socks.append(s)
            port = s.getsockname()[1]
    except OSError:
        for s in socks:
            s.close()
        raise
    return socks, port

socks = None
for attempt in range(50):
    try:
        socks, port = open_all(port)
        break
    except OSError:
        if port != 0 and attempt == 0:
            raise
        port = 0
if socks is None:
    sys.exit("listen.py: cannot find a port for all of " + " ".join(addrs))

def in_tcp6(peer_port):
    # An established AF_INET6 socket at an IPv4-mapped local address whose
    # port is the peer's: the client end of this connection.
    try:
        with open("/proc/net/tcp6") as f:
            next(f)
            for line in f:
                fields = line.split()
                addr, lport = fields[1].rsplit(":", 1)
                if (int(lport, 16) == peer_port and fields[3] == "01" and
                        addr[:24] == "0000000000000000FFFF0000"):
                    return 1
    except OSError:
        pass
    return 0

def serve(conn, listener):
    try:
        conn.settimeout(5)
        peer = conn.getpeername()
        tcp6 = in_tcp6(peer[1])
        data = b""
        while b"\n" not in data and len(data) < 4096:
            chunk = conn.recv(4096)
            if not chunk:
                break
            data += chunk
        line = data.split(b"\n", 1)[0].decode("utf-8", "replace").strip()
        text = "listener=%s peer=%s tcp6=%d line=%s" % (listener, peer[0],
                                                       tcp6, line)
        with lock:
            with open(log_path, "a") as f:
                f.write(text + "\n")
        if line.startswith(("GET ", "HEAD ")):
            while b"\r\n\r\n" not in data and len(data) < 65536:
                chunk = conn.recv(4096)
                if not chunk:
                    break
                data += chunk
            body = (text + "\n").encode()
            conn.sendall(b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n"
                         b"Content-Length: %d\r\nConnection: close\r\n\r\n"
                         % len(body) + body)
        else:
            conn.sendall((text + "\n").encode())
    except OSError as e:
        with lock:
            with open(log_path, "a") as f:
                f.write("listener=%s error=%s\n" % (listener, e))
    finally:
        conn.close()

with open(ready_path + ".tmp", "w") as f:
    f.write("%d\n" % port)
os.rename(ready_path + ".tmp", ready_path)
names = {s.fileno(): a for s, a in zip(socks, addrs)}
while True:
    ready, _, _ = select.select(socks, [], [])
    for s in ready:
        try:
            conn, _ = s.accept()
        except OSError:
            continue
        threading.Thread(target=serve, args=(conn, names[s.fileno()]),
                         daemon=True).start()
EOF

	# client.py [--addrconfig] MODE HOST PORT TAG
	#   MODE gai: getaddrinfo(HOST, PORT, AF_UNSPEC, SOCK_STREAM) and then,
	#     like socket.create_connection, socket() + connect() on each result
	#     in turn until one connects;
	#   MODE raw: no resolution: socket() of the literal HOST's own family
	#     and connect() to it, as a legacy program does.
	# Sends TAG and a newline, reads the server's one-line answer.  Prints
	# one line of key=value words:
	#   gai=FAMILY/ADDR,... (or "raw")
	#   result=connected family=F peer=ADDR peerlen=N local=ADDR localen=N
	#     srv_listener=ADDR srv_peer=ADDR srv_tcp6=N
	#   result=error stage=gai|socket|connect|io err=EAI_*|E*
	# The exit status is 0 when connected, 1 otherwise.
	cat >"$tmp/client.py" <<'EOF'
import errno, socket, sys

args = sys.argv[1:]
flags = 0
if args[0] == "--addrconfig":
    flags = socket.AI_ADDRCONFIG
    args = args[1:]
mode, host, port, tag = args[0], args[1], int(args[2]), args[3]
eai = {}
for n in dir(socket):
    if n.startswith("EAI_"):
        eai.setdefault(getattr(socket, n), n)

def famname(f):
    return {socket.AF_INET: "AF_INET", socket.AF_INET6: "AF_INET6"}.get(
        f, str(int(f)))

def errname(e):
    if isinstance(e, socket.gaierror) and e.errno in eai:
        return eai[e.errno]
    if isinstance(e, socket.timeout):
        return "TIMEOUT"
    return errno.errorcode.get(e.errno, str(e.errno))

def done(words, ok):
    print(" ".join(words))
    sys.exit(0 if ok else 1)

words = []
if mode == "gai":
    try:
        infos = socket.getaddrinfo(host, port, socket.AF_UNSPEC,
                                   socket.SOCK_STREAM, 0, flags)
    except OSError as e:
        # EAI_SYSTEM arrives as OSError carrying errno.
        done(["gai=-", "result=error", "stage=gai", "err=" + errname(e)],
             False)
    words.append("gai=" + ",".join("%s/%s" % (famname(i[0]), i[4][0])
                                   for i in infos))
    targets = [(i[0], i[4]) for i in infos]
else:
    words.append("gai=raw")
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    targets = [(fam, (host, port))]

last = None
for fam, addr in targets:
    try:
        s = socket.socket(fam, socket.SOCK_STREAM)
    except OSError as e:
        last = ("socket", e)
        continue
    s.settimeout(5)
    try:
        s.connect(addr)
    except OSError as e:
        last = ("connect", e)
        s.close()
        continue
    try:
        peer = s.getpeername()
        local = s.getsockname()
        words += ["result=connected", "family=" + famname(s.family),
                  "peer=%s" % peer[0], "peerlen=%d" % len(peer),
                  "local=%s" % local[0], "locallen=%d" % len(local)]
        s.sendall((tag + "\n").encode())
        data = b""
        while b"\n" not in data:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
        for w in data.decode("utf-8", "replace").split("\n")[0].split():
            if w.startswith(("listener=", "peer=", "tcp6=")):
                words.append("srv_" + w)
        done(words, True)
    except OSError as e:
        done(words + ["result=error", "stage=io", "err=" + errname(e)],
             False)
stage, e = last
done(words + ["result=error", "stage=" + stage, "err=" + errname(e)], False)
EOF
}

# field NAME LINE: the value of NAME=... in a client.py output line.
field()
{
	local word
	for word in $2; do
		case $word in
		"$1="*) printf '%s\n' "${word#*=}"; return ;;
		esac
	done
}

# start_listener NAME NETNS ADDR...: listen.py on ADDR... in NETNS ("" =
# this one) at a port shared by all; sets $listen_port, logs to
# $tmp/NAME.log.
start_listener()
{
	local name=$1 ns=$2
	shift 2
	start_listener_at "$name" "$ns" 0 "$@"
}

# start_listener_at NAME NETNS PORT ADDR...: the same at PORT.
start_listener_at()
{
	local name=$1 ns=$2 port=$3
	shift 3
	: >"$tmp/$name.log"
	rm -f "$tmp/$name.ready"
	background "$ns" "$PYTHON" "$tmp/listen.py" "$tmp/$name.log" \
		"$tmp/$name.ready" "$port" "$@"
	wait_for_file "$tmp/$name.ready" 10 ||
		itest_error "listener $name on $* did not start"
	# shellcheck disable=SC2034 # for the tests that source this file
	listen_port=$(cat "$tmp/$name.ready")
}

# server_saw LOGNAME TAG: the log line of the connection that sent TAG.
server_saw()
{
	grep -F -e "line=$2" "$tmp/$1.log" | head -n 1
}
