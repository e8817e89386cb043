#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/integration/memcheck.sh - valgrind's memcheck over the legacy client
# and server runs (issue 6: "no error and no leak attributed to the shim").
#
# nc.traditional knows only AF_INET and gethostbyname().  Each run is
#   valgrind --trace-children=yes [stackshim --stack ipv6 --] nc.traditional
# so that memcheck follows the launcher into the program, with the library
# preloaded under it:
#   - control: nc.traditional as a client, no shim;
#   - client: under --stack ipv6 (its socket upgraded to AF_INET6), to a
#     127.0.0.1 listener by literal and by a hosts-file name: the line it
#     sends reaches the listener, the listener's answer comes back, and the
#     listener finds the client's socket in /proc/net/tcp6;
#   - server: `nc.traditional -l` under --stack ipv6, bound by literal and
#     by a hosts-file name: its listening socket is [::ffff:127.0.0.1] in
#     the kernel, a client's line reaches it, its own line reaches the
#     client, and nc -v names the peer as [127.0.0.1] (accept() and the
#     reverse lookup are given an AF_INET address).
# Every run must exit 0, with memcheck's log (one per run, every process's
# records prefixed by its PID) showing
#   - no memory error at all (invalid read or write, uninitialised value,
#     bad free, a fatal signal ...): valgrind's own exit status
#     (--error-exitcode) and the error lines of the log;
#   - no leak (definite, indirect or possible) with a frame in
#     libstackshim.so, the launcher or our sources; leaks of nc.traditional
#     itself are not ours and only counted;
#   - no file descriptor left open at exit that the program did not inherit
#     and that is not a socket (--track-fds): the shim opens its config and
#     hosts files and must close them.
# Suppressions (tests/memcheck.supp) are only for what is not ours, each
# with its reason.
#
# Skipped (77) in a sanitizer build: valgrind cannot run ASan's or TSan's
# runtime, and ASan itself checks those builds.

ITEST_TOOLS="nc.traditional valgrind"
# Under valgrind every process is some 20 times slower.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/integration/lib.sh"
if [ -n "${SANITIZERS:-}" ]; then
	echo "SKIP: a sanitizer build ($SANITIZERS): valgrind cannot run it"
	exit 77
fi
ITEST_HOSTS_EXTRA='127.0.0.1	v4.stackshim.test'
itest_init "$@"
CLIENT_TIMEOUT=300

supp=$top_srcdir/tests/memcheck.supp
# A frame of ours in a valgrind stack: the library, the launcher, or one of
# our source files (--fullpath-after= shows them as full paths).
ours='libstackshim[.]so|/stackshim[)]|/(shim|policy|cli)/[A-Za-z0-9_-]+[.][ch]:[0-9]'

write_programs
start_listener memcheck "" 127.0.0.1
P=$listen_port
echo "listener on 127.0.0.1:$P"

# vg LOG: the valgrind command line, logging to fd 9 (opened on LOG by the
# caller): one log for the launcher and the program it execs, which keep
# one PID, and any child.
vg()
{
	vg_cmd=(valgrind --tool=memcheck --trace-children=yes --log-fd=9
		--error-exitcode=42 --leak-check=full
		--show-leak-kinds=definite,indirect,possible
		--errors-for-leak-kinds=none --track-fds=yes --num-callers=40
		--fullpath-after= --suppressions="$supp")
}
vg

# vg_check WHAT LOG: the memcheck verdict on one run's log.
vg_check()
{
	local what=$1 log=$2 counts errors mine foreign fds
	counts=$(awk -v ours="$ours" '
		function endleak() {
			if (inleak) { if (mine) nmine++; else nforeign++ }
			inleak = 0
		}
		function endfd() {
			if (infd && !inherited && !socket) nfd++
			infd = 0
		}
		{ sub(/^==[0-9]+== ?/, "") }
		/^$/ { endleak(); endfd(); next }
		/ are (definitely|indirectly|possibly) lost in loss record / {
			endleak(); endfd(); inleak = 1; mine = 0; next
		}
		/^Open (file descriptor|AF_[A-Z0-9]+ socket|.*socket) [0-9]+/ {
			endleak(); endfd(); infd = 1; inherited = 0
			socket = ($0 !~ /^Open file descriptor/)
			next
		}
		infd && /<inherited from parent>/ { inherited = 1; next }
		inleak && /^ +(at|by) 0x/ { if ($0 ~ ours) mine = 1; next }
		/^(Invalid |Mismatched free|Conditional jump|Use of uninitialised|Syscall param|Source and destination overlap|Argument .* of function|Jump to the invalid|Process terminating)/ {
			nerr++
		}
		/^ERROR SUMMARY: [0-9]+ errors/ { if ($3 + 0 > nsum) nsum = $3 + 0 }
		END {
			endleak(); endfd()
			print (nerr > nsum ? nerr : nsum) + 0, nmine + 0, nforeign + 0, nfd + 0
		}' "$log")
	read -r errors mine foreign fds <<<"$counts"
	if [ "$errors" -eq 0 ] && [ "$mine" -eq 0 ] && [ "$fds" -eq 0 ] &&
		grep -q 'ERROR SUMMARY' "$log"; then
		pass "$what: memcheck: no error, no leak of ours, no stray fd ($foreign leak record(s) of the program's own)"
	else
		fail "$what: memcheck" \
			"expected: 0 errors, 0 leaks with a frame of ours, 0 stray fds (and an ERROR SUMMARY)" \
			"got:      $errors error(s), $mine leak(s) of ours, $fds stray fd(s); the log:" \
			"$(sed 's/^/  | /' "$log")"
	fi
}

# client TAG HOST [POLICY-OPTION...]: nc.traditional under valgrind (and the
# launcher when options are given) sends TAG to HOST:P; its log in
# $tmp/TAG.vg.
client()
{
	local tag=$1 host=$2
	shift 2
	printf '%s\n' "$tag" >"$tmp/in"
	capture_in=$tmp/in
	if [ $# -eq 0 ]; then
		capture "${vg_cmd[@]}" nc.traditional -w 5 "$host" "$P" \
			9>"$tmp/$tag.vg"
	else
		capture "${vg_cmd[@]}" "$STACKSHIM" "$@" -- \
			nc.traditional -w 5 "$host" "$P" 9>"$tmp/$tag.vg"
	fi
	capture_in=
}

# check_flow WHAT TAG TCP6: as in legacy.sh: exit 0, the listener got TAG
# from 127.0.0.1 over an AF_INET6 (TCP6=1) or AF_INET (0) client socket,
# and the program printed the listener's answer.
check_flow()
{
	local what=$1 tag=$2 tcp6=$3 seen want
	want="listener=127.0.0.1 peer=127.0.0.1 tcp6=$tcp6 line=$tag"
	seen=$(server_saw memcheck "$tag")
	if [ "$status" -eq 0 ] && [ "$seen" == "$want" ] &&
		grep -qxF -e "$want" "$tmp/out"; then
		pass "$what: data flowed both ways (tcp6=$tcp6)"
	else
		fail "$what" \
			"expected: exit 0, listener log and program output '$want'" \
			"got:      exit $status$(status_note "$status"), listener log '$seen'" \
			"$(show_output)"
	fi
}

# --- control: no shim ------------------------------------------------------------
client memcheck-plain 127.0.0.1
check_flow "valgrind nc.traditional 127.0.0.1 (no shim)" memcheck-plain 0
vg_check "nc.traditional 127.0.0.1 (no shim)" "$tmp/memcheck-plain.vg"

# --- client, --stack ipv6 ------------------------------------------------------------
for host in 127.0.0.1 v4.stackshim.test; do
	client "memcheck-client-$host" "$host" --stack ipv6
	check_flow "valgrind stackshim --stack ipv6 -- nc.traditional $host" \
		"memcheck-client-$host" 1
	vg_check "client nc.traditional $host under --stack ipv6" \
		"$tmp/memcheck-client-$host.vg"
done

# --- server, --stack ipv6 ------------------------------------------------------------
# peer.py HOST PORT TAG: connects (retrying while the server starts under
# valgrind), sends TAG, prints the server's first line.
cat >"$tmp/peer.py" <<'EOF'
import socket, sys, time
host, port, tag = sys.argv[1], int(sys.argv[2]), sys.argv[3]
deadline = time.monotonic() + 50
while True:
    try:
        s = socket.create_connection((host, port), timeout=5)
        break
    except OSError:
        if time.monotonic() > deadline:
            raise
        time.sleep(0.2)
s.sendall((tag + "\n").encode())
data = b""
while b"\n" not in data:
    chunk = s.recv(4096)
    if not chunk:
        break
    data += chunk
print(data.decode("utf-8", "replace").split("\n")[0])
s.close()
EOF

# server TAG PEER-HOST: nc.traditional -v -l -p S (a wildcard bind) under
# valgrind and --stack ipv6; the peer connects to PEER-HOST:S (bare python,
# resolving by the hosts file), and lines go both ways.
server()
{
	local tag=$1 peer=$2 srv i
	S=$(free_port)
	[ -n "$S" ] || itest_error "no free port"
	printf '%s\n' "from-$tag" >"$tmp/$tag.in"
	# -q 2: quit 2 s after the end of stdin, once the peer's line is in.
	# (Not lib.sh's background: an asynchronous command without a
	# redirection of its own gets /dev/null as stdin.)
	timeout -k 2 "$ITEST_TIMEOUT" "${vg_cmd[@]}" "$STACKSHIM" --stack ipv6 -- \
		nc.traditional -v -l -p "$S" -q 2 \
		<"$tmp/$tag.in" >"$tmp/$tag.out" 2>"$tmp/$tag.err" 9>"$tmp/$tag.vg" &
	srv=$!
	BG_PIDS="$BG_PIDS $srv"
	# Its listening socket, once it is there: AF_INET6 with IPV6_V6ONLY
	# off at [::] (ss shows "*:PORT"; a bare AF_INET one is "0.0.0.0:PORT").
	for ((i = 0; i < 600; i++)); do
		ss -Hltn | awk -v p=":$S" '$4 ~ p"$" { f = 1 } END { exit !f }' &&
			break
		kill -0 "$srv" 2>/dev/null || break
		sleep 0.1
	done
	expect "server nc.traditional -l under --stack ipv6 ($tag): listening socket in the kernel" \
		"*:$S" "$(ss -Hltn | awk -v p=":$S" '$4 ~ p"$" { print $4 }')"
	capture "$PYTHON" "$tmp/peer.py" "$peer" "$S" "to-$tag"
	expect "server ($tag): its line reached the peer" "from-$tag" \
		"$(cat "$tmp/out")"
	# The server exits after its stdin and the connection end.
	for ((i = 0; i < 600; i++)); do
		kill -0 "$srv" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$srv" 2>/dev/null; then
		fail "server ($tag): exits after the connection" \
			"expected: exit within 60 s" "got:      still running"
		kill "$srv"
	fi
	wait "$srv"
	expect "server ($tag): exit status" 0 "$?"
	expect "server ($tag): the peer's line reached it" "to-$tag" \
		"$(cat "$tmp/$tag.out")"
	# The peer as accept() gave it, reverse-resolved from the hosts file.
	expect_grep "server ($tag): nc -v names the peer localhost [127.0.0.1]" \
		'^connect to \[127\.0\.0\.1\] from localhost \[127\.0\.0\.1\] [0-9]+' \
		"$tmp/$tag.err"
	vg_check "server nc.traditional -l under --stack ipv6 ($tag)" "$tmp/$tag.vg"
}

server memcheck-server-literal 127.0.0.1
server memcheck-server-name v4.stackshim.test

# A server binding 127.0.0.1, by literal or by name, on an IPv6-only stack
# without IPv4 loopback (--ipv4-loopback no; with it, 127.0.0.1 binds as on
# a real IPv6-only host): the table's fail-local (stack ipv6, local ipv4),
# bind() refused with EADDRNOTAVAIL; nc gives up cleanly, and memcheck sees
# that path too.
for bind in 127.0.0.1 v4.stackshim.test; do
	tag=memcheck-bind-$bind
	S=$(free_port)
	capture "${vg_cmd[@]}" "$STACKSHIM" --stack ipv6 --ipv4-loopback no -- \
		nc.traditional -l -p "$S" -s "$bind" 9>"$tmp/$tag.vg"
	expect_clean_failure "server nc.traditional -l -s $bind under --stack ipv6"
	expect_grep "server -s $bind: bind() refused with EADDRNOTAVAIL" \
		'Cannot assign requested address' "$tmp/err"
	vg_check "server nc.traditional -l -s $bind under --stack ipv6" \
		"$tmp/$tag.vg"
done

finish
