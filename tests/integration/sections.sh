#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/integration/sections.sh - one config file, [program GLOB] sections
# (SPEC §3), four different real programs under it, each with its own
# policy.  files/rules_server.py listens on 0.0.0.0 and :: at port P;
# both.stackshim.test is 127.0.0.1 and ::1.  The file:
#
#   global             stack = dual, prefer = ipv4, deny = 127.0.0.3,
#                      ipv4-loopback = no (loopback stands for IPv4 hosts
#                      here, as the strict table sees them)
#   [program curl]     stack = ipv4
#   [program python3*] stack = ipv6, deny = 127.0.0.2
#   [program DIR/wg?t] (DIR: where wget really is; a glob with '/' matches
#                      the full path) stack = ipv6, mapped = no
#   [program bin/curl] deny = 127.0.0.5 (a '/' glob that is not the full
#                      path: matches nothing)
#
#   program      both.stackshim.test  ::1   127.0.0.1       .2      .3    .5
#   curl         IPv4                 fails IPv4            passes  fails passes
#   python3      IPv6 (only ::1)      IPv6  map (AF_INET6)  EACCES  EACCES
#   wget         IPv6                 -     fails           -       -
#   nc.openbsd   IPv4 (prefer)        IPv6  IPv4            passes  fails
#   (no section)
#
# curl and nc.openbsd find the file through STACKSHIM_CONF, python3 and
# wget through the launcher's -c.  The decision log says which program
# was on which stack and which line refused it.

ITEST_TOOLS="curl wget nc.openbsd"
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/integration/lib.sh"
ITEST_HOSTS_EXTRA='127.0.0.1	both.stackshim.test
::1	both.stackshim.test'
itest_init "$@"

# shellcheck source=files/rules_lib.sh
. "$top_srcdir/tests/integration/files/rules_lib.sh"

P=$(free_port "")
start_server srv "" "tcp:0.0.0.0:$P" "tcp:[::]:$P"
echo "server: TCP 0.0.0.0 and :: at $P"

WGET=$(readlink -f "$(command -v wget)")
conf s "# sections.sh: every program its own policy" \
	"stack = dual" \
	"prefer = ipv4" \
	"log = $tmp/s.log" \
	"deny = 127.0.0.3" \
	"ipv4-loopback = no" \
	"" \
	"[program curl]" \
	"stack = ipv4" \
	"" \
	"[program python3*]" \
	"stack = ipv6" \
	"deny = 127.0.0.2" \
	"" \
	"[program $(dirname "$WGET")/wg?t]" \
	"stack = ipv6" \
	"mapped = no" \
	"" \
	"[program bin/curl]" \
	"deny = 127.0.0.5"
S=$conf
echo "config $S:"
sed 's/^/  | /' "$S"

# run_nc CONF HOST: nc.openbsd sends a tag to HOST:P and prints the answer;
# sets $tag and $status.
run_nc()
{
	seq=$((seq + 1))
	tag=n$seq
	printf '%s\n' "$tag" >"$tmp/nc.in"
	launch "$1"
	capture_in=$tmp/nc.in capture "${launcher[@]}" nc.openbsd -N -w 5 \
		"$2" "$P"
}

# expect_nc WHAT CONF HOST ADDR [WORD...]: nc.openbsd reached the server at
# ADDR, the server's line having each WORD too; ADDR "fail": a clean
# failure, nothing reached the server.
expect_nc()
{
	local what="$1: nc.openbsd $3" to srv
	run_nc "$2" "$3"
	shift 3
	srv=$(grep -E -e "line=$tag\$" "$tmp/srv.log" | head -n 1)
	if [ "$1" = fail ]; then
		if [ "$status" -ne 0 ] && [ "$status" -lt 124 ] && [ -z "$srv" ]; then
			pass "$what: fails cleanly (exit $status), nothing reached the server"
		else
			fail "$what" "expected: a clean failure, nothing at the server" \
				"got:      exit $status$(status_note "$status"), server: '${srv:-nothing}'" \
				"$(show_output | head -n 5)"
		fi
		return
	fi
	to=$(hostport "$1" "$P")
	shift
	if [ "$status" -eq 0 ] && has_words "$srv" "to=$to" "$@" &&
		grep -qF -e "line=$tag" "$tmp/out"; then
		pass "$what: served at $to${*:+ ($*)}"
	else
		fail "$what" "expected: exit 0, the server's answer, to=$to $*" \
			"got:      exit $status$(status_note "$status"), server: '${srv:-nothing}'" \
			"$(show_output | head -n 5)"
	fi
}

# --- the harness: bare, every program reaches both servers -------------------
expect_curl "bare" 0 "" both.stackshim.test "$P" ::1
expect_curl "bare" 0 "" 127.0.0.3 "$P"
expect_nc "bare" "" both.stackshim.test ::1
run_py "" tcp both.stackshim.test "$P" tcp 127.0.0.2 "$P"
expect_step "bare python3: both.stackshim.test, IPv6 first" 1 \
	gai=inet6/::1,inet/127.0.0.1 result=connected "srv_to=[::1]:$P"
expect_step "bare python3: 127.0.0.2" 2 result=connected

# --- curl: [program curl], stack = ipv4 ----------------------------------------
expect_curl "[program curl] stack = ipv4" 0 "env:$S" both.stackshim.test \
	"$P" 127.0.0.1 tcp6=0
expect_curl "[program curl] stack = ipv4" fail "env:$S" ::1 "$P"
expect_curl "[program curl] stack = ipv4" 0 "env:$S" 127.0.0.1 "$P" \
	127.0.0.1 tcp6=0
expect_curl "[program curl]: python3's section rule deny = 127.0.0.2 is not curl's" \
	0 "env:$S" 127.0.0.2 "$P"
expect_curl "[program curl]: the global deny = 127.0.0.3" 7 "env:$S" \
	127.0.0.3 "$P"
expect_curl "[program bin/curl] is not curl's (a '/' glob matches the full path)" \
	0 "env:$S" 127.0.0.5 "$P"

# --- python3: [program python3*], stack = ipv6, its own deny rule ---------------
run_py "$S" tcp both.stackshim.test "$P" tcp ::1 "$P" tcp 127.0.0.1 "$P" \
	tcp 127.0.0.2 "$P" tcp 127.0.0.3 "$P"
expect_step "[program python3*] stack = ipv6: both.stackshim.test is ::1 only" \
	1 gai=inet6/::1 result=connected "srv_to=[::1]:$P"
expect_step "[program python3*] stack = ipv6: ::1" 2 result=connected \
	"srv_to=[::1]:$P"
expect_step "[program python3*] stack = ipv6: AF_INET to 127.0.0.1 is mapped (AF_INET6 underneath)" \
	3 result=connected family=inet peer=127.0.0.1 peerlen=2 \
	"srv_to=127.0.0.1:$P" srv_tcp6=1
expect_step "[program python3*] deny = 127.0.0.2: EACCES" 4 "${EACCES[@]}"
expect_step "[program python3*]: the global deny = 127.0.0.3 too: EACCES" 5 \
	"${EACCES[@]}"

# --- wget: [program DIR/wg?t], the full path -----------------------------------
expect_http "[program $(dirname "$WGET")/wg?t] stack = ipv6" wget 0 "$S" \
	both.stackshim.test "$P" ::1
expect_http "[program $(dirname "$WGET")/wg?t] mapped = no" wget fail "$S" \
	127.0.0.1 "$P"

# --- nc.openbsd: no section, the global settings ---------------------------------
expect_nc "no section: dual, prefer = ipv4" "env:$S" \
	both.stackshim.test 127.0.0.1 tcp6=0
expect_nc "no section: dual" "env:$S" ::1 ::1
expect_nc "no section: python3's deny = 127.0.0.2 is not nc's" "env:$S" \
	127.0.0.2 127.0.0.2
expect_nc "no section: the global deny = 127.0.0.3" "env:$S" 127.0.0.3 fail

# --- the log: each program's own stack, each refusal's own line ----------------------
L=$tmp/s.log
expect_log "log: curl on stack ipv4, refused by line 5" "$L" program=curl \
	call=connect "dest=127.0.0.3:$P" stack=ipv4 outcome=deny "rule=$S:5" \
	error=EACCES
expect_log "log: python3 on stack ipv6, refused by its section's line 12" \
	"$L" "program=$PYPROG" call=connect family=inet "dest=127.0.0.2:$P" \
	stack=ipv6 outcome=deny "rule=$S:13" error=EACCES
expect_log "log: python3 refused by the global line 5" "$L" \
	"program=$PYPROG" call=connect "dest=127.0.0.3:$P" stack=ipv6 \
	outcome=deny "rule=$S:5" error=EACCES
expect_log "log: nc.openbsd on stack dual, refused by line 5" "$L" \
	program=nc.openbsd call=connect "dest=127.0.0.3:$P" stack=dual \
	outcome=deny "rule=$S:5" error=EACCES
expect_no_log "log: no refusal of 127.0.0.2 but python3's" "$L" \
	"dest=127.0.0.2:$P" program=curl
expect_no_log "log: no refusal of 127.0.0.5 ([program bin/curl] matches nothing)" \
	"$L" "dest=127.0.0.5:$P"
expect_log "log: wget on stack ipv6 (mapped = no) refused IPv4" "$L" \
	program=wget stack=ipv6

finish
