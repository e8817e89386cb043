#!/bin/sh
# SPDX-License-Identifier: MIT
# status.sh - "stackshim status": the processes under the shim, each with
# its program, its policy and where each setting came from, read from
# /proc; --json; PIDs named on the command line.
#
# The subjects are sleep(1) processes this test starts, under the launcher
# and without it; other processes under the shim (another test's) may be
# listed too, so the checks look only at these PIDs.

. "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null || {
	echo "python3 not found: skipped" >&2
	exit 77
}
pids=
cleanup()
{
	# shellcheck disable=SC2086 # a list of PIDs
	[ -z "$pids" ] || kill $pids 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

conf=$tmp/status.conf
cat >"$conf" <<'EOF'
stack = dual
deny = 192.0.2.0/24
[program sleep]
prefer = ipv4
allow = 198.51.100.7
[program renamed]
mapped = no
EOF
touch -d '2000-01-01' "$conf"

# start VAR CMD...: CMD in the background, its PID in VAR once it has
# exec'd CMD's last word's program (its /proc/PID/exe is no shell).
start()
{
	var=$1
	shift
	"$@" &
	eval "$var=\$!"
	pids="$pids $!"
}
start under "$STACKSHIM" -c "$conf" --stack ipv4 -- sleep 1000
start bare sleep 1000
start renamed "$STACKSHIM" -c "$conf" -- bash -c 'exec -a renamed sleep 1000'
# Each is ready when its maps hold the program it runs.
for pid in $under $bare $renamed; do
	i=0
	while [ "$(readlink "/proc/$pid/exe")" != "$(readlink -f \
		"$(command -v sleep)")" ] && [ $i -lt 600 ]; do
		sleep 0.05
		i=$((i + 1))
	done
done

capture "$STACKSHIM" status "$under"
expect_status "status PID" 0
expect_match "status PID: the process and its program" \
	"^$under sleep (/.*/sleep, started as sleep)\$" "$tmp/out"
expect_line "status PID: the config file" "  config: $conf" "$tmp/out"
expect_line "status PID: --stack, through STACKSHIM_STACK" \
	"  stack = ipv4 # STACKSHIM_STACK" "$tmp/out"
expect_line "status PID: [program sleep]'s prefer, at its line" \
	"  prefer = ipv4 # $conf:4" "$tmp/out"
expect_line "status PID: a default" "  mapped = yes # default" "$tmp/out"
expect_line "status PID: the rules for it" \
	"  rules: 2 (allow 1, deny 1, map 0)" "$tmp/out"

capture "$STACKSHIM" status "$bare"
expect_status "status PID not under the shim" 1
expect_line "status PID not under the shim: says so" \
	"stackshim: $bare: not under the shim" "$tmp/err"

# Every process: ours among them, the bare one not.
capture "$STACKSHIM" status
expect_status "status" 0
expect_match "status: lists the process under the shim" \
	"^$under sleep " "$tmp/out"
if grep -q "^$bare " "$tmp/out"; then
	fail "status: not the process without the shim" "expected no $bare" \
		"got: $(grep "^$bare " "$tmp/out")"
else
	pass "status: not the process without the shim"
fi

# [program] sections by argv[0], as the shim matched them.
capture "$STACKSHIM" status "$renamed"
expect_match "status: started as renamed" \
	"^$renamed sleep (/.*/sleep, started as renamed)\$" "$tmp/out"
expect_line "status: [program renamed] by argv[0]" \
	"  mapped = no # $conf:7" "$tmp/out"

# --json: the same, as a JSON array.
capture "$STACKSHIM" status --json "$under" "$renamed"
expect_status "status --json" 0
python3 - "$tmp/out" "$under" "$renamed" "$conf" >"$tmp/json.check" 2>&1 <<'PY'
import json, sys
procs = json.load(open(sys.argv[1]))
under, renamed, conf = int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
assert [p["pid"] for p in procs] == [under, renamed], procs
p = procs[0]
assert p["program"] == "sleep" and p["argv0"] == "sleep", p
assert p["config"] == conf and p["config_changed"] is False, p
s = p["settings"]
assert s["stack"] == {"value": "ipv4", "from": "STACKSHIM_STACK"}, s
assert s["prefer"] == {"value": "ipv4", "from": conf + ":4"}, s
assert s["local-address"] == {"value": None, "from": "default"}, s
assert p["rules"] == {"count": 2, "allow": 1, "deny": 1, "map": 0}, p
assert procs[1]["settings"]["mapped"]["value"] == "no", procs[1]
PY
if [ -s "$tmp/json.check" ]; then
	fail "status --json: the fields" "$(cat "$tmp/json.check")" \
		"$(cat "$tmp/out")"
else
	pass "status --json: the fields"
fi

# A config changed since the process started: it may run the old one.
touch "$conf"
capture "$STACKSHIM" status "$under"
expect_line "status: a config changed since the start" \
	"  config: $conf (changed since the process started)" "$tmp/out"

capture "$STACKSHIM" status 12abc
expect_status "status: not a PID" 2
capture "$STACKSHIM" status -c "$conf"
expect_status "status -c: does not apply" 2

finish
