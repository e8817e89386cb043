#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/integration/audit.sh - audit mode (SPEC §3, enforce = no; the
# launcher's --audit): nothing is changed or refused, every decision that
# would have changed or refused a call is logged with audit=yes.
#
# The policy: stack = ipv4 (AF_INET6 sockets would be EAFNOSUPPORT, ::1
# unreachable, names filtered to their IPv4 answers), deny = 127.0.0.1
# (EACCES at connect and sendto), deny = blocked.stackshim.test (EAI_NONAME).
# curl and python3 (files/rules_client.py) talk to files/rules_server.py on
# 0.0.0.0 and :: at port P (TCP) and 0.0.0.0:9000 (UDP).
#
#   enforce = no   every connection and datagram arrives (the programs'
#                  output and the server's log show it); the log has
#                  call=connect ... outcome=deny rule=FILE:4 error=EACCES,
#                  call=sendto likewise, call=socket family=inet6
#                  error=EAFNOSUPPORT, call=getaddrinfo
#                  name=blocked.stackshim.test rule=FILE:5 error=EAI_NONAME,
#                  each with audit=yes, and no line without it
#   --audit        the same from a file without enforce = no
#   enforce = yes  (that file, no --audit) the same calls fail, and the
#                  log has the same lines, none with audit=

ITEST_TOOLS="curl"
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/integration/lib.sh"
ITEST_HOSTS_EXTRA='127.0.0.1	both.stackshim.test
::1	both.stackshim.test
127.0.0.1	blocked.stackshim.test'
itest_init "$@"

# shellcheck source=files/rules_lib.sh
. "$top_srcdir/tests/integration/files/rules_lib.sh"

P=$(free_port "")
start_server srv "" "tcp:0.0.0.0:$P" "tcp:[::]:$P" udp:0.0.0.0:9000
echo "server: TCP 0.0.0.0 and :: at $P, UDP 0.0.0.0:9000"

conf audit "# audit.sh: what would be refused" \
	"stack = ipv4" \
	"log = $tmp/audit.log" \
	"deny = 127.0.0.1" \
	"deny = blocked.stackshim.test" \
	"enforce = no"
AU=$conf
conf enforce "# audit.sh: the same, enforced" \
	"stack = ipv4" \
	"log = $tmp/enforce.log" \
	"deny = 127.0.0.1" \
	"deny = blocked.stackshim.test"
EN=$conf

# expect_all_audit WHAT FILE: FILE has lines, each with audit=yes.
expect_all_audit()
{
	local others lines=0
	others=$(grep -v -w -e 'audit=yes' "$2" 2>/dev/null)
	[ -f "$2" ] && lines=$(wc -l <"$2")
	if [ "$lines" -gt 0 ] && [ -z "$others" ]; then
		pass "$1: every line ($lines) has audit=yes"
	else
		fail "$1: every line has audit=yes" \
			"expected: a log, every line with audit=yes" \
			"got:      $lines lines; without audit=yes:" \
			"$(printf '%s\n' "$others" | sed 's/^/  | /' | head -n 10)"
	fi
}

# The literal 127.0.0.1 before any name: once blocked.stackshim.test has
# given this process 127.0.0.1 (in audit mode), its name rule decides
# that address.
STEPS=(tcp 127.0.0.1 "$P" udp 127.0.0.1 9000 tcp ::1 "$P"
	tcp blocked.stackshim.test "$P" tcp both.stackshim.test "$P")
BOTH=gai=inet6/::1,inet/127.0.0.1

# --- bare: what the programs do without the library --------------------------------
run_py "" "${STEPS[@]}"
expect_step "bare python3: both.stackshim.test has both answers" 5 "$BOTH"

# --- enforce = no --------------------------------------------------------------------
expect_curl "enforce = no, deny = 127.0.0.1" 0 "$AU" 127.0.0.1 "$P"
expect_curl "enforce = no, stack = ipv4" 0 "$AU" ::1 "$P"
run_py "$AU" "${STEPS[@]}"
expect_step "enforce = no: python3 to the denied 127.0.0.1 connects, data back" \
	1 result=connected "srv_to=127.0.0.1:$P"
expect_step "enforce = no: python3's AF_INET6 socket on stack ipv4, to ::1" 3 \
	result=connected family=inet6 "srv_to=[::1]:$P"
expect_step "enforce = no: python3 resolves the denied name" 4 \
	gai=inet/127.0.0.1 result=connected
expect_step "enforce = no: both.stackshim.test keeps its IPv6 answer" 5 \
	"$BOTH" result=connected "srv_to=[::1]:$P"
expect_step "enforce = no: a datagram to the denied 127.0.0.1 is answered" 2 \
	result=connected
L=$tmp/audit.log
expect_log "enforce = no: log: curl's connect would be denied by $AU:4" "$L" \
	program=curl call=connect family=inet "dest=127.0.0.1:$P" stack=ipv4 \
	outcome=deny "rule=$AU:4" error=EACCES audit=yes
expect_log "enforce = no: log: python3's connect would be denied by $AU:4" \
	"$L" "program=$PYPROG" call=connect family=inet "dest=127.0.0.1:$P" \
	stack=ipv4 outcome=deny "rule=$AU:4" error=EACCES audit=yes
expect_log "enforce = no: log: python3's sendto would be denied by $AU:4" \
	"$L" "program=$PYPROG" call=sendto family=inet "dest=127.0.0.1:9000" \
	outcome=deny "rule=$AU:4" error=EACCES audit=yes
expect_log "enforce = no: log: python3's AF_INET6 socket would be refused" \
	"$L" "program=$PYPROG" call=socket family=inet6 stack=ipv4 \
	error=EAFNOSUPPORT audit=yes
expect_log "enforce = no: log: curl's AF_INET6 socket would be refused" \
	"$L" program=curl call=socket family=inet6 stack=ipv4 \
	error=EAFNOSUPPORT audit=yes
expect_log "enforce = no: log: the denied name would not resolve ($AU:5)" \
	"$L" "program=$PYPROG" call=getaddrinfo name=blocked.stackshim.test \
	"rule=$AU:5" error=EAI_NONAME audit=yes
expect_log "enforce = no: log: both.stackshim.test's answers would be filtered" \
	"$L" "program=$PYPROG" call=getaddrinfo name=both.stackshim.test \
	stack=ipv4 audit=yes
expect_all_audit "enforce = no: log" "$L"

# --- the launcher's --audit -------------------------------------------------------------
launch_audit()
{
	capture "$STACKSHIM" -c "$EN" --audit --log "$tmp/flag.log" -- "$@"
}
seq=$((seq + 1))
tag=h$seq
launch_audit curl -q -sS --max-time 5 "http://127.0.0.1:$P/$tag"
expect "--audit, deny = 127.0.0.1: curl http://127.0.0.1:$P/ served" \
	"0 1" "$status $(served_tag | grep -c "to=127.0.0.1:$P")"
seq=$((seq + 1))
launch_audit "$PYTHON" "$files/rules_client.py" --tag "p$seq" "${STEPS[@]}"
expect_step "--audit: python3 to the denied 127.0.0.1" 1 result=connected
expect_step "--audit: python3's AF_INET6 socket to ::1" 3 result=connected \
	"srv_to=[::1]:$P"
expect_step "--audit: python3 resolves the denied name" 4 result=connected
L=$tmp/flag.log
expect_log "--audit: log: curl's connect would be denied by $EN:4" "$L" \
	program=curl call=connect "dest=127.0.0.1:$P" outcome=deny \
	"rule=$EN:4" error=EACCES audit=yes
expect_log "--audit: log: python3's AF_INET6 socket would be refused" "$L" \
	"program=$PYPROG" call=socket family=inet6 error=EAFNOSUPPORT audit=yes
expect_log "--audit: log: the denied name ($EN:5)" "$L" \
	call=getaddrinfo name=blocked.stackshim.test "rule=$EN:5" \
	error=EAI_NONAME audit=yes
expect_all_audit "--audit: log" "$L"

# --- enforce = yes: the same calls fail, the same lines without audit= ---------------------
expect_curl "enforce = yes, deny = 127.0.0.1" 7 "$EN" 127.0.0.1 "$P"
expect_curl "enforce = yes, stack = ipv4" fail "$EN" ::1 "$P"
run_py "$EN" "${STEPS[@]}"
expect_step "enforce = yes: python3 to 127.0.0.1: EACCES" 1 "${EACCES[@]}"
expect_step "enforce = yes: python3's AF_INET6 socket: EAFNOSUPPORT" 3 \
	result=error stage=socket errno=97 err=EAFNOSUPPORT
expect_step "enforce = yes: the denied name: EAI_NONAME" 4 "${NONAME[@]}"
expect_step "enforce = yes: both.stackshim.test is 127.0.0.1 only, and denied" \
	5 gai=inet/127.0.0.1 "${EACCES[@]}"
expect_step "enforce = yes: sendto 127.0.0.1: EACCES" 2 result=error \
	stage=sendto exc=PermissionError errno=13 err=EACCES
L=$tmp/enforce.log
expect_log "enforce = yes: log: curl's connect denied by $EN:4" "$L" \
	program=curl call=connect family=inet "dest=127.0.0.1:$P" stack=ipv4 \
	outcome=deny "rule=$EN:4" error=EACCES
expect_log "enforce = yes: log: python3's connect denied by $EN:4" "$L" \
	"program=$PYPROG" call=connect family=inet "dest=127.0.0.1:$P" \
	stack=ipv4 outcome=deny "rule=$EN:4" error=EACCES
expect_log "enforce = yes: log: python3's sendto denied by $EN:4" "$L" \
	"program=$PYPROG" call=sendto family=inet "dest=127.0.0.1:9000" \
	outcome=deny "rule=$EN:4" error=EACCES
expect_log "enforce = yes: log: python3's AF_INET6 socket refused" "$L" \
	"program=$PYPROG" call=socket family=inet6 stack=ipv4 error=EAFNOSUPPORT
expect_log "enforce = yes: log: the denied name ($EN:5)" "$L" \
	"program=$PYPROG" call=getaddrinfo name=blocked.stackshim.test \
	"rule=$EN:5" error=EAI_NONAME
if [ -s "$L" ] && ! grep -q -e 'audit=' "$L"; then
	pass "enforce = yes: log: no line has audit="
else
	fail "enforce = yes: log: no line has audit=" \
		"expected: a log without audit=" "got:" \
		"$(grep -e 'audit=' "$L" 2>/dev/null | sed 's/^/  | /' | head -n 10)"
fi

finish
