#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/shim/pool.sh - the peer-pool (SPEC §2 and §3, RFC 6535's address
# mapper) end to end, and the decision log that records its mappings.
#
# pool-probe (tests/shim/pool-probe.c) runs with the library preloaded
# under an ipv6 stack: its upgraded AF_INET sockets are connected to
# native IPv6 addresses behind the hooks' back, and getpeername() must
# show each peer as a sockaddr_in from the pool, the same for the same
# peer, and a connect() to that address must reach the real peer.  The
# log lines of those mappings are checked field by field, and so is that
# a log that cannot be written changes nothing the program sees.
#
# Needs top_builddir and top_srcdir (absolute, as make check exports them)
# and a C compiler (${CC:-cc}); exits 77 (skip) without one, 99 when the
# library is not built, 1 after reporting every mismatch as expected vs
# got.  The parts that need more IPv6 addresses than ::1, and the syslog
# part, run in private namespaces (root, unshare, ip), and are skipped
# with a message without them.  Every address used is on loopback, or
# inside such a namespace.  KEEP=1 leaves the scratch directory behind.

set -u

: "${top_srcdir:?top_srcdir must be set}"
# shellcheck source=tests/shim/lib.sh
. "$top_srcdir/tests/shim/lib.sh"

[ -z "${KEEP:-}" ] || trap 'echo "kept $tmp"' EXIT

build_probe "$tmp/pool-probe" pool-probe.c

empty=$tmp/empty.conf
: >"$empty"

# shimmed [VAR=VALUE...] CMD [ARG...] - CMD with the library preloaded,
# an empty config file and an ipv6 stack, under the settings given.
shimmed()
{
	env LD_PRELOAD="$preload" STACKSHIM_CONF="$empty" STACKSHIM_STACK=ipv6 "$@"
}

# expect_match WHAT REGEX GOT - GOT matches the extended regex REGEX whole.
expect_match()
{
	if [[ $3 =~ ^$2$ ]]; then
		pass "$1"
	else
		fail "$1" "expected: a match for /$2/" "got:      $3"
	fi
}

# The pool's files (shim/poolfile.c): the test's own, as lib.sh arranges.  A mapping lives as long as its file, and the process that gives
# an address is the one that logs it: forget removes the files, so that
# the next process starts a pool afresh.
if [ "$(id -u)" -eq 0 ]; then
	pool_dir=/run/stackshim
else
	pool_dir=$XDG_RUNTIME_DIR/stackshim
fi
forget() { rm -f "$pool_dir"/pool-*; }

# ok ADDR POOLADDR - the probe's line for a peer shown as POOLADDR.
ok()
{
	echo "$1 peer=$2 port=same stable=yes errno=kept reach=yes"
}

time_re='[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z'

# log_re PID PROGRAM DEST SHOWN - a peer-pool line, every field.
log_re()
{
	printf 'time=%s pid=%s program=%s family=inet dest=%s stack=ipv6 translated=%s reason=peer-pool' \
		"$time_re" "$1" "$2" "$3" "$4"
}

# --- ::1, the one native IPv6 peer outside a namespace -----------------------
want="$(ok ::1 198.18.0.1)
$(ok ::1 198.18.0.1)"
got=$(shimmed "$probe" ::1 ::1)
expect "::1 is 198.18.0.1, the default pool's first host, for good" \
	"$want" "$got"

got=$(shimmed STACKSHIM_PEER_POOL=192.0.2.64/26 "$probe" ::1)
expect "peer-pool 192.0.2.64/26: its first host" "$(ok ::1 192.0.2.65)" \
	"$got"

got=$(env LD_PRELOAD="$preload" STACKSHIM_CONF="$empty" STACKSHIM_STACK=dual \
	"$probe" ::1 2>&1)
expect "dual stack: no socket is upgraded, so no peer is mapped" \
	"pool-probe: raw connect: Address family not supported by protocol" \
	"$got"

# --- the log ------------------------------------------------------------------
# The lines of peer-pool mappings given.  The sockets the probe opens are
# upgraded and its connects to pool addresses led back: those are logged
# too, with a call= (tests/shim/logging.sh checks them).
pool_lines() { grep 'reason=peer-pool' "$@" | grep -v ' call='; }
log=$tmp/pool.log
forget
# exec: $! is then the probe's own pid.
(exec env LD_PRELOAD="$preload" STACKSHIM_CONF="$empty" STACKSHIM_STACK=ipv6 \
	STACKSHIM_LOG="$log" "$probe" ::1 ::1 >"$tmp/logged.out") &
pid=$!
wait $pid
expect "logging changes nothing the program sees" "$want" \
	"$(cat "$tmp/logged.out")"
expect "one line for one new mapping" 1 "$(pool_lines "$log" | wc -l)"
expect_match "the line: the real IPv6 address and its pool address" \
	"$(log_re $pid pool-probe ::1 198.18.0.1)" "$(pool_lines "$log")"
expect "a new log file is created mode 0600" 600 "$(stat -c %a "$log")"

chmod 644 "$log"
forget
(exec env LD_PRELOAD="$preload" STACKSHIM_CONF="$empty" STACKSHIM_STACK=ipv6 \
	STACKSHIM_LOG="$log" STACKSHIM_PEER_POOL=192.0.2.0/24 \
	"$probe" ::1 >/dev/null) &
pid=$!
wait $pid
expect "a second process appends its line" 2 "$(pool_lines "$log" | wc -l)"
expect_match "... with its own pid and pool address" \
	"$(log_re $pid pool-probe ::1 192.0.2.1)" \
	"$(pool_lines "$log" | tail -n 1)"
expect "an existing log file keeps its mode" 644 "$(stat -c %a "$log")"

forget
got=$(shimmed STACKSHIM_LOG=stderr "$probe" ::1 2>"$tmp/stderr")
expect "log = stderr: stdout is the program's alone" "$(ok ::1 198.18.0.1)" \
	"$got"
expect_match "log = stderr: the line" \
	"$(log_re '[0-9]+' pool-probe ::1 198.18.0.1)" \
	"$(pool_lines "$tmp/stderr")"

# fork() while another thread holds the pool busy: every child answers (the
# pthread_atfork handlers leave no lock held in a child).
got=$(shimmed "$probe" --fork 200 ::1 | grep forks=)
expect "200 forks under a busy pool: every child answered" \
	"forks=200 answered=200" "$got"

# A program whose name has a space, a control character, a backslash and
# a byte outside ASCII: each is written as \xNN, and the event stays one
# line.
weird="$tmp/pool probe"$'\001'$'\n''x\é'
cp "$probe" "$weird"
forget
got=$(shimmed STACKSHIM_LOG="$tmp/weird.log" "$weird" ::1)
expect "a strange program name: the program works" "$(ok ::1 198.18.0.1)" \
	"$got"
expect "a strange program name: still one line per event" \
	"$(grep -c '^time=' "$tmp/weird.log")" "$(wc -l <"$tmp/weird.log")"
expect_match "a strange program name: escaped" \
	"$(log_re '[0-9]+' 'pool\\x20probe\\x01\\x0ax\\x5c\\xc3\\xa9' ::1 \
		198.18.0.1)" "$(pool_lines "$tmp/weird.log")"

# A log that cannot be written: the line is dropped, nothing else changes
# (errno=kept: not even errno).
for dest in /dev/full "$tmp/no/such/dir/log"; do
	got=$(shimmed STACKSHIM_LOG="$dest" "$probe" ::1 ::1 2>&1)
	expect "log = $dest: dropped, the calls as without a log" "$want" \
		"$got"
done
got=$(shimmed STACKSHIM_LOG=stderr "$probe" ::1 2>/dev/full)
expect "log = stderr on /dev/full: the calls as without a log" \
	"$(ok ::1 198.18.0.1)" "$got"

# --- more IPv6 peers: a private network namespace ----------------------------
if [ "$(id -u)" -ne 0 ] || ! command -v ip >/dev/null ||
	! unshare -n true 2>/dev/null; then
	echo "SKIP: needs root, unshare and ip: exhaustion of the pool and" \
		"peers other than ::1 are untested"
	finish
fi

cat >"$tmp/netns.sh" <<'EOF'
# Run by "unshare -n": lo up with two more IPv6 addresses; then the runs,
# each output under a "== NAME" line.
preload=$1 empty=$2 probe=$3 tmp=$4 pool_dir=$5
ip link set lo up
ip -6 addr add 2001:db8::2/128 dev lo nodad
ip -6 addr add 2001:db8::3/128 dev lo nodad
run() { env LD_PRELOAD="$preload" STACKSHIM_CONF="$empty" STACKSHIM_STACK=ipv6 "$@"; }
echo "== exhaust"
run STACKSHIM_PEER_POOL=192.0.2.0/30 STACKSHIM_LOG="$tmp/ns.log" \
	"$probe" ::1 2001:db8::2 2001:db8::3 ::1 2001:db8::2 2001:db8::3
echo "== log"
cat "$tmp/ns.log"
echo "== steal"
rm -f "$pool_dir"/pool-*
run STACKSHIM_LOG="$tmp/stolen.log" "$probe" --steal "$tmp/mine" \
	::1 2001:db8::2 | grep stolen=
echo "== dropped"
rm -f "$pool_dir"/pool-*
run STACKSHIM_LOG=stderr "$probe" --full-first ::1 2001:db8::2 \
	2>&1 >/dev/null
EOF
timeout "$(limit 60)" unshare -n bash "$tmp/netns.sh" "$preload" "$empty" "$probe" "$tmp" "$pool_dir" \
	>"$tmp/netns.out" 2>&1
part()
{
	sed -n "/^== $1\$/,/^==/p" "$tmp/netns.out" | sed '1d;/^==/d'
}

want="$(ok ::1 192.0.2.1)
$(ok 2001:db8::2 192.0.2.2)
2001:db8::3 peer=ENOBUFS stable=yes errno=ENOBUFS
$(ok ::1 192.0.2.1)
$(ok 2001:db8::2 192.0.2.2)
2001:db8::3 peer=ENOBUFS stable=yes errno=ENOBUFS"
expect "a /30 pool: two peers, then ENOBUFS; the two keep theirs" "$want" \
	"$(part exhaust)"
got=$(part log | pool_lines)
expect "a /30 pool: one line per mapping given, none for ENOBUFS" 2 \
	"$(printf '%s\n' "$got" | grep -c .)"
expect_match "a /30 pool: the first mapping" \
	"$(log_re '[0-9]+' pool-probe ::1 192.0.2.1)" \
	"$(printf '%s\n' "$got" | sed -n 1p)"
expect_match "a /30 pool: the second mapping" \
	"$(log_re '[0-9]+' pool-probe 2001:db8::2 192.0.2.2)" \
	"$(printf '%s\n' "$got" | sed -n 2p)"
# The program closes the library's log file and opens one of its own at
# that number: the library must not write into the program's file.
expect "the program's file took the log's number" "stolen=yes" \
	"$(part steal)"
expect "nothing of the library's went into the program's file" "" \
	"$(cat "$tmp/mine")"
# The library opens its log anew (at another number) for the next line.
expect "the library's log has both mappings, the second after reopening" 2 \
	"$(pool_lines "$tmp/stolen.log" | grep -c .)"
# Every line of the first ADDR is lost (its socket upgrades and connects
# are logged too); the first line that gets through counts them.
expect_match "a line that could not be written is counted in the next" \
	'.* dropped=[1-9][0-9]*' "$(part dropped | sed -n 1p)"
expect_match "... and the mapping after it says so too" \
	"$(log_re '[0-9]+' pool-probe 2001:db8::2 198.18.0.2) dropped=[1-9][0-9]*" \
	"$(part dropped | pool_lines)"

finish
