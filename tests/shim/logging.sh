#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/shim/logging.sh - the decision log (SPEC §3 log; issue 5) end to
# end: logging-probe (tests/shim/logging-probe.c) makes calls with the
# library preloaded, and each decision's line is checked.  pool.sh checks
# the peer-pool lines, the mode of a new file, escaping of the program's
# name, /dev/full and a log file the program took over; this test checks
# the rest:
#
#   one line per refused or changed decision, for each call kind: socket
#   refused (EAFNOSUPPORT) and upgraded; connect refused as fail-host
#   (ENETUNREACH), fail-local (EADDRNOTAVAIL) and by a deny rule (EACCES,
#   rule=FILE:LINE); connect mapped (translated=); getaddrinfo refused by
#   a name rule (name=, error=EAI_NONAME) and gethostbyname likewise;
#   sendto on an upgraded socket (translated=); and no line at all for
#   calls that nothing changed (a dual stack's plain connects, a lookup)
#
#   the fields in the documented order (time pid program call family dest
#   name local stack cell outcome rule translated error reason dropped
#   audit), each once; a name holding a space, control characters, a
#   quote, a backslash and bytes outside ASCII written as \xNN
#
#   log-format = json: the same runs again, each line a JSON object with
#   the text line's fields in its order and its values unescaped (bytes
#   that are not UTF-8 as \udcNN), pid and dropped numbers, audit true
#
#   log = syslog: a datagram at /dev/log (a socket of this test's own,
#   bind-mounted there inside a private mount namespace) with <13>
#   (user.notice), a time and the tag stackshim[PID]; without /dev/log,
#   one line on stderr says so, however many lines are dropped
#
#   a failed upgrade (RLIMIT_NOFILE) logs its error, not reason=upgraded;
#   a bind's cell has no host (ipv6/-/ipv4)
#
#   the log outlives the program: after closefrom(3), a close loop,
#   Python's os.closerange(3, ...), and a raw close that gives the log's
#   number to a file of the program's (which gets nothing of the
#   library's), the next line is in the log; vfork() children closing
#   every descriptor leave the parent with one log descriptor, not one
#   more per child
#
#   a log file is created mode 0600 even under umask 000, opened with
#   O_APPEND and O_CLOEXEC (/proc/PID/fdinfo of the running program; a
#   program it execs does not have it); on a full filesystem (a tiny tmpfs)
#   lines are dropped without changing any call's result or errno, and the
#   first line that fits again says dropped=N
#
# Everything runs inside private mount and network namespaces (only lo,
# a hosts file of the test's own, "hosts: files"), so nothing is looked up
# or sent anywhere else: root, unshare and ip are needed, else exit 77
# (skip).  Needs top_builddir and top_srcdir (absolute, as make check
# exports them) and a C compiler (${CC:-cc}); 99 when the library is not
# built, 1 after reporting every mismatch as expected vs got.

set -u

: "${top_srcdir:?top_srcdir must be set}"
# shellcheck source=tests/shim/lib.sh
. "$top_srcdir/tests/shim/lib.sh"

if [ -z "${_LOGGING_INNER:-}" ]; then
	if [ "$(id -u)" -ne 0 ] || ! command -v ip >/dev/null ||
		! unshare --mount --net true 2>/dev/null; then
		echo "SKIP: needs root, unshare and ip (private mount and network namespaces)"
		exit 77
	fi
	need_python
	build_probe "$tmp/logging-probe" logging-probe.c
	# A guard against a hang: the test takes under 20 s on a loaded
	# machine, a few times that in a sanitizer build.
	seconds=$(limit 600)
	_LOGGING_INNER=$tmp timeout -s KILL "$seconds" \
		unshare --mount --net --fork bash "$0" "$@"
	rc=$?
	[ "$rc" -eq 137 ] && echo "FAIL: $0 did not finish within $seconds s"
	exit "$rc"
fi

# --- inside the namespaces: the outer copy's scratch directory ------------------
rmdir "$tmp"
tmp=$_LOGGING_INNER
trap - EXIT
need_python
probe=$tmp/logging-probe

mount --make-rprivate / || exit 99
ip link set lo up || exit 99
# A name with a control character, DEL, a quote, a backslash and UTF-8
# (no space: a hosts file cannot hold one).
weird=$'ctl\001\177"q\\\303\251.blocked.test'
printf '%s\n' $'127.0.0.1\tlocalhost' $'::1\tlocalhost' \
	$'127.0.0.1\tblocked.test' $'127.0.0.1\tv4only.test' \
	$'127.0.0.1\t'"$weird" >"$tmp/hosts"
echo 'hosts: files' >"$tmp/nsswitch.conf"
mount --bind "$tmp/hosts" /etc/hosts || exit 99
mount --bind "$tmp/nsswitch.conf" /etc/nsswitch.conf || exit 99

time_re='[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z'
KEYS=(time pid program call family dest name local stack cell outcome rule
	translated error reason dropped audit)

# run NAME CONF-LINE... -- OP...: the probe with $tmp/NAME.conf (line 1:
# log = $tmp/NAME.log; the CONF-LINEs from line 2 on), its output in
# $tmp/NAME.out, its pid in $pid.
run()
{
	local name=$1 c
	shift
	c=$tmp/$name.conf
	echo "log = $tmp/$name.log" >"$c"
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		echo "$1" >>"$c"
		shift
	done
	shift
	printf '%s\0' "$@" >"$tmp/$name.ops"
	rerun "$name"
}

# rerun NAME: run NAME's probe again, with its config as it is now.
rerun()
{
	local ops
	mapfile -d '' ops <"$tmp/$1.ops"
	rm -f "$tmp/$1.log"
	(exec env LD_PRELOAD="$preload" STACKSHIM_CONF="$tmp/$1.conf" \
		"$probe" "${ops[@]}" >"$tmp/$1.out" 2>"$tmp/$1.err") &
	pid=$!
	wait "$pid"
}

# head_re: the fields every line starts with, for the last run.
head_re()
{
	printf 'time=%s pid=%s program=logging-probe' "$time_re" "$pid"
}

# port NAME: the listener's port of run NAME.
port()
{
	sed -n 's/^op=listen ret=0 port=//p' "$tmp/$1.out"
}

# lines NAME: how many lines the log of run NAME has.
lines()
{
	if [ -f "$tmp/$1.log" ]; then
		wc -l <"$tmp/$1.log"
	else
		echo 0
	fi
}

# expect_out WHAT NAME TEXT: the probe's output of run NAME is TEXT.
expect_out()
{
	expect "$1: the calls' results" "$3" "$(cat "$tmp/$2.out")"
}

# expect_line WHAT NAME REGEX: run NAME logged exactly one line matching
# the extended REGEX whole.
expect_line()
{
	local got
	got=$(grep -c -E -e "^$3\$" "$tmp/$2.log" 2>/dev/null)
	got=${got:-0}
	if [ "$got" -eq 1 ]; then
		pass "$1"
	else
		fail "$1" "expected: one line matching /^$3\$/" \
			"got:      $got such lines; the log: $(cat "$tmp/$2.log" 2>/dev/null)"
	fi
}

# expect_order WHAT NAME: every line of run NAME's log has its keys in the
# documented order, each once, and no other keys; and the log has lines.
expect_order()
{
	local line word key i last bad=
	while IFS= read -r line; do
		last=-1
		for word in $line; do
			key=${word%%=*}
			for ((i = 0; i < ${#KEYS[@]}; i++)); do
				[ "${KEYS[i]}" = "$key" ] && break
			done
			if [ "$i" -le "$last" ] || [ "$word" = "$key" ]; then
				bad="$bad${bad:+ / }$line"
				break
			fi
			last=$i
		done
	done < <(cat "$tmp/$2.log" 2>/dev/null)
	if [ "$(lines "$2")" -gt 0 ] && [ -z "$bad" ]; then
		pass "$1: every line's fields in the documented order"
	else
		fail "$1: fields in the order ${KEYS[*]}, each once" \
			"expected: lines of key=value in that order" \
			"got:      ${bad:-no log lines}"
	fi
}

# --- one line per refused or changed decision, for each call kind ----------------
run sock4 "stack = ipv4" -- socket inet6 tcp
expect_out "stack = ipv4, socket(AF_INET6)" sock4 "op=socket ret=-1 errno=EAFNOSUPPORT"
expect_line "stack = ipv4, socket(AF_INET6): the refusal" sock4 \
	"$(head_re) call=socket family=inet6 stack=ipv4 error=EAFNOSUPPORT"
expect "stack = ipv4, socket(AF_INET6): one line" 1 "$(lines sock4)"
expect_order "socket refused" sock4

run upgrade "stack = ipv6" -- socket inet tcp
expect_out "stack = ipv6, socket(AF_INET)" upgrade "op=socket ret=0 errno=kept"
expect_line "stack = ipv6, socket(AF_INET): the upgrade" upgrade \
	"$(head_re) call=socket family=inet stack=ipv6 reason=upgraded"
expect "stack = ipv6, socket(AF_INET): one line" 1 "$(lines upgrade)"
expect_order "socket upgraded" upgrade

# An upgrade whose socket() fails is not one: its error, no "upgraded".
# RLIMIT_NOFILE at 4 with 0-3 taken (the first socket is 3; the log's
# descriptor is past them).
run nofile "stack = ipv6" -- socket inet tcp nofile 4 socket inet tcp
expect_out "stack = ipv6, socket(AF_INET) past RLIMIT_NOFILE" nofile \
	"op=socket ret=0 errno=kept
op=nofile
op=socket ret=-1 errno=EMFILE"
expect_line "a failed upgrade: its error, reason=upgrade-failed" nofile \
	"$(head_re) call=socket family=inet stack=ipv6 error=EMFILE reason=upgrade-failed"
expect "a failed upgrade: only the first socket logged as upgraded" 1 \
	"$(grep -c ' reason=upgraded$' "$tmp/nofile.log")"
expect_order "socket upgrade failed" nofile

# A bind decides no host: its cell is STACK/-/LOCAL.
run bind4 "stack = ipv6" -- socket inet tcp bind 192.0.2.1 0
expect_out "stack = ipv6, bind(192.0.2.1)" bind4 "op=socket ret=0 errno=kept
op=bind ret=-1 errno=EADDRNOTAVAIL"
expect_line "stack = ipv6, bind(192.0.2.1): fail-local, no host in the cell" \
	bind4 "$(head_re) call=bind family=inet local=192\.0\.2\.1 stack=ipv6 cell=ipv6/-/ipv4 outcome=fail-local error=EADDRNOTAVAIL"
expect_order "bind fail-local" bind4

# --- the log outlives the program closing its descriptors ------------------------
# A logged call, every descriptor from 3 closed, another logged call: both
# lines are in the file.
for how in closefrom closeloop; do
	run "$how" "stack = ipv6" -- socket inet tcp "$how" socket inet tcp
	expect_out "$how" "$how" "op=socket ret=0 errno=kept
op=$how
op=socket ret=0 errno=kept"
	expect "$how: the upgrades before and after, both logged" 2 \
		"$(grep -c -E "^$(head_re) call=socket family=inet stack=ipv6 reason=upgraded\$" \
			"$tmp/$how.log")"
done
c=$tmp/closerange.conf
printf 'log = %s\nstack = ipv6\n' "$tmp/closerange.log" >"$c"
env LD_PRELOAD="$preload" STACKSHIM_CONF="$c" "$python" -c '
import os, socket
socket.socket(socket.AF_INET).close()
os.closerange(3, 1 << 20)
socket.socket(socket.AF_INET).close()
print("done")' >"$tmp/closerange.out" 2>&1
expect "python os.closerange(3, ...): the calls" "done" "$(cat "$tmp/closerange.out")"
expect "python os.closerange(3, ...): the upgrades before and after, both logged" \
	2 "$(grep -c ' call=socket family=inet stack=ipv6 reason=upgraded$' \
		"$tmp/closerange.log")"
# A vfork() child that closes everything before exec closes the log in its
# own descriptor table, yet tells the parent's memory: the parent takes
# its descriptor back, and opens no second one per child.
run vfork "stack = ipv6" -- socket inet tcp vforkclose socket inet tcp \
	vforkclose socket inet tcp count "$tmp/vfork.log"
expect_out "vfork() children closing every descriptor" vfork \
	"op=socket ret=0 errno=kept
op=vforkclose
op=socket ret=0 errno=kept
op=vforkclose
op=socket ret=0 errno=kept
op=count 1"
expect "vfork() children closing every descriptor: all three upgrades logged" \
	3 "$(grep -c ' reason=upgraded$' "$tmp/vfork.log")"
# The log's descriptor closed and its number given to the program's own
# file by system calls no hook sees: nothing of the library's goes there.
run rawtake "stack = ipv6" -- socket inet tcp \
	rawtake "$tmp/rawtake.log" "$tmp/rawtake.mine" socket inet tcp
expect_out "a raw close" rawtake "op=socket ret=0 errno=kept
op=rawtake ret=0
op=socket ret=0 errno=kept"
expect "a raw close: nothing in the program's file at the log's number" "" \
	"$(cat "$tmp/rawtake.mine")"
expect "a raw close: the log opened anew, both upgrades logged" 2 \
	"$(grep -c ' reason=upgraded$' "$tmp/rawtake.log")"

run failhost "stack = ipv6" "mapped = no" -- listen socket inet6 tcp \
	connect ::ffff:127.0.0.1 P
P=$(port failhost)
expect_out "stack = ipv6, mapped = no, connect(::ffff:127.0.0.1)" failhost \
	"op=listen ret=0 port=$P
op=socket ret=0 errno=kept
op=connect ret=-1 errno=ENETUNREACH"
expect_line "mapped = no: connect(::ffff:127.0.0.1) refused as fail-host" \
	failhost "$(head_re) call=connect family=inet6 dest=\[::ffff:127\.0\.0\.1\]:$P stack=ipv6 cell=ipv6/ipv4/none outcome=fail-host error=ENETUNREACH"
expect "mapped = no: one line" 1 "$(lines failhost)"
expect_order "connect fail-host" failhost

run faillocal "stack = ipv6" "local-address = 127.0.0.1" -- listen \
	socket inet6 tcp connect ::1 P
P=$(port faillocal)
expect_out "stack = ipv6, local-address = 127.0.0.1, connect(::1)" faillocal \
	"op=listen ret=0 port=$P
op=socket ret=0 errno=kept
op=connect ret=-1 errno=EADDRNOTAVAIL"
expect_line "local-address = 127.0.0.1: connect(::1) refused as fail-local" \
	faillocal "$(head_re) call=connect family=inet6 dest=\[::1\]:$P (local=127\.0\.0\.1 )?stack=ipv6 cell=ipv6/ipv6/ipv4 outcome=fail-local error=EADDRNOTAVAIL"
expect "local-address = 127.0.0.1: one line" 1 "$(lines faillocal)"
expect_order "connect fail-local" faillocal

run deny "deny = 127.0.0.1" -- listen socket inet tcp connect 127.0.0.1 P
P=$(port deny)
expect_out "deny = 127.0.0.1, connect(127.0.0.1)" deny \
	"op=listen ret=0 port=$P
op=socket ret=0 errno=kept
op=connect ret=-1 errno=EACCES"
expect_line "deny = 127.0.0.1: the refusal names line 2" deny \
	"$(head_re) call=connect family=inet dest=127\.0\.0\.1:$P stack=dual cell=dual/ipv4/none outcome=deny rule=$tmp/deny\.conf:2 error=EACCES"
expect "deny = 127.0.0.1: one line" 1 "$(lines deny)"
expect_order "connect denied" deny

run map "stack = ipv6" -- listen socket inet tcp connect 127.0.0.1 P
P=$(port map)
expect_out "stack = ipv6, AF_INET connect(127.0.0.1)" map \
	"op=listen ret=0 port=$P
op=socket ret=0 errno=kept
op=connect ret=0 errno=kept"
expect_line "stack = ipv6: the mapped connect, translated" map \
	"$(head_re) call=connect family=inet dest=127\.0\.0\.1:$P stack=ipv6 cell=ipv6/ipv4/none outcome=map translated=\[::ffff:127\.0\.0\.1\]:$P( reason=upgraded)?"
expect "stack = ipv6, AF_INET connect: two lines (socket, connect)" 2 \
	"$(lines map)"
expect_order "connect mapped" map

run maprule "map = 127.0.0.2" -- listen socket inet tcp connect 127.0.0.2 P
P=$(port maprule)
expect_line "map = 127.0.0.2 on a dual stack: the connect names the rule" \
	maprule "$(head_re) call=connect family=inet dest=127\.0\.0\.2:$P stack=dual cell=dual/ipv4/none outcome=map rule=$tmp/maprule\.conf:2 translated=\[::ffff:127\.0\.0\.2\]:$P( reason=upgraded)?"
expect_order "connect mapped by a rule" maprule

run sendto "stack = ipv6" -- socket inet udp sendto 127.0.0.1 9
expect_out "stack = ipv6, AF_INET sendto(127.0.0.1)" sendto \
	"op=socket ret=0 errno=kept
op=sendto ret=1 errno=kept"
expect_line "stack = ipv6: sendto on the upgraded socket, translated" sendto \
	"$(head_re) call=sendto family=inet dest=127\.0\.0\.1:9 stack=ipv6 cell=ipv6/ipv4/none outcome=map translated=\[::ffff:127\.0\.0\.1\]:9( reason=upgraded)?"
expect "stack = ipv6, AF_INET sendto: two lines (socket, sendto)" 2 \
	"$(lines sendto)"
expect_order "sendto upgraded" sendto

run gai "deny = blocked.test" "deny = *.gone.test" -- gai blocked.test \
	ghbn blocked.test gai "a b.gone.test"
expect_out "deny = blocked.test" gai "op=gai ret=EAI_NONAME
op=ghbn ret=HOST_NOT_FOUND
op=gai ret=EAI_NONAME"
expect_line "deny = blocked.test: getaddrinfo refused, the name and the rule" \
	gai "$(head_re) call=getaddrinfo name=blocked\.test stack=dual( cell=[^ ]+)?( outcome=deny)? rule=$tmp/gai\.conf:2 error=EAI_NONAME"
expect_line "deny = blocked.test: gethostbyname refused, the name and the rule" \
	gai "$(head_re) call=gethostbyname( family=inet)? name=blocked\.test stack=dual( cell=[^ ]+)?( outcome=deny)? rule=$tmp/gai\.conf:2 error=HOST_NOT_FOUND"
expect_line "deny = *.gone.test: a denied name that would not resolve anyway is refused with a line too (its space as \\x20)" \
	gai "$(head_re) call=getaddrinfo name=a\\\\x20b\.gone\.test stack=dual( cell=[^ ]+)?( outcome=deny)? rule=$tmp/gai\.conf:3 error=EAI_NONAME"
expect "deny = blocked.test, *.gone.test: three lines" 3 "$(lines gai)"
expect_order "resolution refused" gai

# Nothing changed: no line at all.
run none "stack = dual" -- listen socket inet tcp connect 127.0.0.1 P \
	socket inet6 tcp connect ::1 P socket inet udp sendto 127.0.0.1 9 \
	gai v4only.test
P=$(port none)
expect_out "stack = dual, plain calls" none "op=listen ret=0 port=$P
op=socket ret=0 errno=kept
op=connect ret=0 errno=kept
op=socket ret=0 errno=kept
op=connect ret=0 errno=kept
op=socket ret=0 errno=kept
op=sendto ret=1 errno=kept
op=gai ret=0"
expect "stack = dual: nothing changed, no line" "" \
	"$(cat "$tmp/none.log" 2>/dev/null)"

# --- escaping ------------------------------------------------------------------
run escape "deny = *.blocked.test" -- gai "$weird"
expect_out "deny = *.blocked.test, a strange name" escape "op=gai ret=EAI_NONAME"
expect "a strange name: one line" 1 "$(lines escape)"
got=$(grep -c -F -e ' name=ctl\x01\x7f\x22q\x5c\xc3\xa9.blocked.test ' \
	"$tmp/escape.log" 2>/dev/null)
expect "a strange name: control bytes, DEL, quote, backslash, UTF-8 as \\xNN" \
	1 "${got:-0}"
expect_order "a strange name" escape

# --- log-format = json ------------------------------------------------------------
# The runs above again, as JSON: each line one object with the text line's
# fields in its order, the values unescaped (a byte that is not UTF-8 as
# surrogateescape's \udcNN), pid and dropped numbers, audit true.
run audit "stack = ipv4" "enforce = no" -- socket inet6 tcp
notutf8=$'bad\377\300.blocked.test'
run escape2 "deny = *.blocked.test" -- gai "$weird" gai "$notutf8"
json_check()
{
	"$python" - "$1" "$2" <<'PY'
import json, re, sys
def text_fields(line):
    out = []
    for word in line.split(" "):
        key, value = word.split("=", 1)
        raw = re.sub(rb"\\x([0-9a-f]{2})",
                     lambda m: bytes([int(m.group(1), 16)]), value.encode())
        out.append((key, raw.decode("utf-8", "surrogateescape")))
    return out
def typed(key, value):
    if key in ("pid", "dropped"):
        return str(value) if type(value) is int else None
    if key == "audit":
        return "yes" if value is True else None
    return value if type(value) is str else None
text = open(sys.argv[1], encoding="ascii").read().splitlines()
raw = open(sys.argv[2], "rb").read().decode("utf-8").splitlines()
if len(text) != len(raw) or not text:
    sys.exit(f"{len(text)} text lines, {len(raw)} JSON lines")
for t, j in zip(text, raw):
    obj = json.loads(j, object_pairs_hook=list)
    want = [(k, v) for k, v in text_fields(t) if k not in ("time", "pid")]
    got = [(k, typed(k, v)) for k, v in obj if k not in ("time", "pid")]
    keys = [k for k, _ in obj]
    if keys[:2] != ["time", "pid"] or type(obj[1][1]) is not int:
        sys.exit(f"time, pid (a number) first: {j}")
    if got != want:
        sys.exit(f"text {want}\n json {got}")
PY
}
for r in sock4 upgrade bind4 nofile sendto gai audit escape2; do
	mv "$tmp/$r.log" "$tmp/$r.text"
	mv "$tmp/$r.out" "$tmp/$r.text.out"
	# The same file, so that rule= names the same FILE:LINE.
	echo "log-format = json" >>"$tmp/$r.conf"
	rerun "$r"
	expect "log-format = json, $r: the calls as ever" \
		"$(cat "$tmp/$r.text.out")" "$(cat "$tmp/$r.out")"
	if why=$(json_check "$tmp/$r.text" "$tmp/$r.log" 2>&1); then
		pass "log-format = json, $r: the text line's fields, as JSON"
	else
		fail "log-format = json, $r: the text line's fields, as JSON" \
			"expected: the fields of $(cat "$tmp/$r.text")" \
			"got:      $(cat "$tmp/$r.log" 2>/dev/null) ($why)"
	fi
done
expect "log-format = json: a byte that is not UTF-8 as \\udcNN" 1 \
	"$(grep -c -F -e '"name":"bad\udcff\udcc0.blocked.test"' \
		"$tmp/escape2.log")"

# --- the log file: mode, flags, not inherited ---------------------------------------
rm -f "$tmp/go"
c=$tmp/flags.conf
printf 'log = %s\nstack = ipv4\n' "$tmp/flags.log" >"$c"
(umask 000 && exec env LD_PRELOAD="$preload" STACKSHIM_CONF="$c" "$probe" \
	socket inet6 tcp wait "$tmp/go" exec fds "$tmp/flags.log" \
	>"$tmp/flags.out" 2>&1) &
pid=$!
for ((i = 0; i < 200; i++)); do
	grep -q '^op=wait' "$tmp/flags.out" 2>/dev/null && break
	sleep 0.05
done
flags=
for fd in /proc/"$pid"/fd/*; do
	if [ "$(readlink "$fd")" = "$tmp/flags.log" ]; then
		flags=$(sed -n 's/^flags:[[:space:]]*//p' \
			"/proc/$pid/fdinfo/${fd##*/}")
	fi
done
touch "$tmp/go"
wait "$pid"
expect "umask 000: a new log file is still mode 0600" 600 \
	"$(stat -c %a "$tmp/flags.log" 2>/dev/null)"
if [ -n "$flags" ] && (((8#$flags & 8#2000) && (8#$flags & 8#2000000))); then
	pass "the log file is open with O_APPEND and O_CLOEXEC (flags $flags)"
else
	fail "the log file's flags (/proc/PID/fdinfo)" \
		"expected: O_APPEND (02000) and O_CLOEXEC (02000000)" \
		"got:      ${flags:-no descriptor of the process is the log file}"
fi
expect "a program the logging process execs does not inherit the log file" \
	"op=fds inherited=no" "$(grep '^op=fds' "$tmp/flags.out")"

# --- a full filesystem ------------------------------------------------------------
# The same calls on a log that can be written say how many lines they log.
before=(listen socket inet tcp connect 127.0.0.1 9 socket inet tcp
	connect 127.0.0.2 P)
after=(socket inet tcp connect 127.0.0.2 P)
run counted "stack = ipv6" "deny = 127.0.0.1" -- "${before[@]}"
n=$(lines counted)
run counted2 "stack = ipv6" "deny = 127.0.0.1" -- listen "${after[@]}"
m=$(lines counted2)
mkdir -p "$tmp/full"
mount -t tmpfs -o size=64k,mode=700 stackshim-full "$tmp/full" || exit 99
: >"$tmp/full/shim.log"
chmod 600 "$tmp/full/shim.log"
dd if=/dev/zero of="$tmp/full/filler" bs=4096 2>/dev/null
if echo x >>"$tmp/full/probe" 2>/dev/null && [ -s "$tmp/full/probe" ]; then
	echo "ERROR: $tmp/full is not full"
	exit 99
fi
rm -f "$tmp/go"
c=$tmp/full.conf
printf 'log = %s\nstack = ipv6\ndeny = 127.0.0.1\n' "$tmp/full/shim.log" >"$c"
(exec env LD_PRELOAD="$preload" STACKSHIM_CONF="$c" "$probe" "${before[@]}" \
	wait "$tmp/go" "${after[@]}" >"$tmp/full.out" 2>&1) &
pid=$!
for ((i = 0; i < 200; i++)); do
	grep -q '^op=wait' "$tmp/full.out" 2>/dev/null && break
	sleep 0.05
done
full_lines=$(wc -l <"$tmp/full/shim.log")
rm -f "$tmp/full/filler"
touch "$tmp/go"
wait "$pid"
P=$(sed -n 's/^op=listen ret=0 port=//p' "$tmp/full.out")
expect "a full filesystem: the calls' results and errno as ever" \
	"op=listen ret=0 port=$P
op=socket ret=0 errno=kept
op=connect ret=-1 errno=EACCES
op=socket ret=0 errno=kept
op=connect ret=0 errno=kept
op=wait
op=socket ret=0 errno=kept
op=connect ret=0 errno=kept" "$(cat "$tmp/full.out")"
expect "a full filesystem: nothing written while full" 0 "$full_lines"
if [ "$n" -ge 2 ] && [ "$m" -ge 1 ]; then
	pass "the same calls log $n lines, and $m after the wait"
else
	fail "the same calls on a writable log" \
		"expected: at least 2 lines (a deny, a map), and 1 after" \
			"got:      $n, $m"
fi
expect "a full filesystem: once there is room, the lines after the wait" \
	"$m" "$(wc -l <"$tmp/full/shim.log")"
if head -n 1 "$tmp/full/shim.log" | grep -qE -e " dropped=$n( audit=[^ ]+)?\$"; then
	pass "the first line that fits says dropped=$n"
else
	fail "the first line that fits says dropped=$n" \
		"expected: ... dropped=$n" \
		"got:      $(head -n 1 "$tmp/full/shim.log")"
fi
umount "$tmp/full"

# --- log = syslog ------------------------------------------------------------------
# /dev is a tmpfs of this mount namespace from here on, with null, zero,
# full, random and urandom bound back from the real one, and at /dev/log a
# datagram socket of the test's own.
mkdir -p "$tmp/realdev"
mount --bind /dev "$tmp/realdev" || exit 99
mount -t tmpfs -o mode=755,size=64k stackshim-dev /dev || exit 99
for d in null zero full random urandom; do
	: >"/dev/$d"
	mount --bind "$tmp/realdev/$d" "/dev/$d" || exit 99
done
# No /dev/log: the calls as ever, said once on stderr, however many lines.
c=$tmp/nolog.conf
printf 'log = syslog\nstack = ipv4\n' >"$c"
(exec env LD_PRELOAD="$preload" STACKSHIM_CONF="$c" "$probe" \
	socket inet6 tcp socket inet6 udp >"$tmp/nolog.out" \
	2>"$tmp/nolog.err") &
wait $!
expect "no /dev/log: the calls as ever" "op=socket ret=-1 errno=EAFNOSUPPORT
op=socket ret=-1 errno=EAFNOSUPPORT" "$(cat "$tmp/nolog.out")"
expect "no /dev/log: said once on stderr" \
	"stackshim: log = syslog: /dev/log: ENOENT; lines are dropped while it cannot be reached" \
	"$(cat "$tmp/nolog.err")"

# shellcheck disable=SC2016 # python, not shell
timeout "$(limit 120)" "$python" -c '
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
open(sys.argv[2] + ".ready", "w").close()
s.settimeout(int(sys.argv[3]))
with open(sys.argv[2], "wb") as f:
    try:
        f.write(s.recv(65536) + b"\n")
    except socket.timeout:
        pass
' "$tmp/log.sock" "$tmp/syslog.out" "$(limit 60)" &
listener=$!
for ((i = 0; i < 200; i++)); do
	[ -e "$tmp/syslog.out.ready" ] && break
	sleep 0.05
done
: >/dev/log
mount --bind "$tmp/log.sock" /dev/log || exit 99
c=$tmp/syslog.conf
printf 'log = syslog\nstack = ipv4\n' >"$c"
(exec env LD_PRELOAD="$preload" STACKSHIM_CONF="$c" "$probe" socket inet6 tcp \
	>"$tmp/syslog.probe" 2>&1) &
pid=$!
wait "$pid"
wait "$listener"
expect "log = syslog: the call as ever" "op=socket ret=-1 errno=EAFNOSUPPORT" \
	"$(cat "$tmp/syslog.probe")"
got=$(cat "$tmp/syslog.out" 2>/dev/null)
re="^<13>(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [ 1-3][0-9] [0-2][0-9]:[0-5][0-9]:[0-6][0-9] stackshim\[$pid\]: $(head_re) call=socket family=inet6 stack=ipv4 error=EAFNOSUPPORT\$"
if [[ $got =~ $re ]]; then
	pass "log = syslog: one datagram at /dev/log, <13> (user.notice), a time, stackshim[PID]"
else
	fail "log = syslog: a datagram at /dev/log" \
		"expected: <13>Mmm dd hh:mm:ss stackshim[$pid]: time=... call=socket family=inet6 stack=ipv4 error=EAFNOSUPPORT" \
		"got:      ${got:-nothing}"
fi

finish
