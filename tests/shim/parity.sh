#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/shim/parity.sh - errno parity with libc (SPEC §2, last paragraph):
# every call with bad input that the policy has no say in gives, under the
# library, exactly what it gives without it: return value, errno, EAI_*
# code (and errno for EAI_SYSTEM), h_errno, and what it writes back.
#
# The rows are the lines of tests/shim/parity-cases.txt, run by
# tests/shim/parity-probe.c (one child per row, so that a crash or a hang
# is one row's result).  The probe runs once without the library, then
# under it with an empty config file in each stack below.  A row is
# compared in every stack but those its exclusions name (the policy changes
# that call there on purpose; the reasons are the cases file's @exclude
# lines).  One PASS or FAIL line per row and stack; a FAIL shows both
# results.  Last, the run must have compared every row of the file in at
# least one stack, and at least MIN_ROWS rows.
#
# Every probe runs in a private mount and network namespace: loopback only,
# the test's own /etc/hosts and "hosts: files", so that no name is looked up
# anywhere else and no packet can leave.
#
# Needs top_builddir and top_srcdir (absolute, as make check exports them),
# a C compiler (${CC:-cc}), unshare and ip; exits 77 (skip) without them or
# when the namespaces cannot be made, 99 when the library or the probe
# cannot be built or a row is malformed, 1 after reporting every mismatch.
# KEEP=1 leaves the scratch directory behind.  ROWS="NAME..." runs only
# those rows.

set -u

: "${top_srcdir:?top_srcdir must be set}"
# shellcheck source=tests/shim/lib.sh
. "$top_srcdir/tests/shim/lib.sh"

MIN_ROWS=300
cases=$top_srcdir/tests/shim/parity-cases.txt
[ -z "${KEEP:-}" ] || trap 'echo "kept $tmp"' EXIT

# The stacks: NAME and the settings of the library under it.
stacks=(ipv4 dual dual-nomap dual-local6 ipv6 ipv6-nomap)
declare -A settings=(
	[ipv4]="STACKSHIM_STACK=ipv4"
	[dual]="STACKSHIM_STACK=dual"
	[dual-nomap]="STACKSHIM_STACK=dual STACKSHIM_MAPPED=no"
	[dual-local6]="STACKSHIM_STACK=dual STACKSHIM_LOCAL_ADDRESS=::1"
	[ipv6]="STACKSHIM_STACK=ipv6"
	[ipv6-nomap]="STACKSHIM_STACK=ipv6 STACKSHIM_MAPPED=no"
)

build_probe "$tmp/parity-probe" parity-probe.c

printf '%s\n' "127.0.0.1 localhost" "::1 localhost" \
	"192.0.2.1 v4.parity.test" >"$tmp/hosts"
{
	grep -v '^[[:space:]]*hosts:' /etc/nsswitch.conf 2>/dev/null
	echo 'hosts: files'
} >"$tmp/nsswitch.conf"
: >"$tmp/empty.conf"

ns_init 300

# --- the table: exclusions -------------------------------------------------------
declare -A excl_stacks excl_why row_excl
rows=()
while IFS= read -r line; do
	case $line in
	'@exclude '*)
		read -r _ key list why <<<"$line"
		list=${list%:}
		excl_stacks[$key]=" ${list//,/ } "
		excl_why[$key]=$why
		;;
	'#'* | '') ;;
	*)
		read -r name _ <<<"$line"
		if [ -n "${row_excl[$name]+set}" ]; then
			echo "ERROR: row $name given twice"
			exit 99
		fi
		row_excl[$name]=
		[[ $line == *' | '* ]] && row_excl[$name]=${line#* | }
		rows+=("$name")
		;;
	esac
done <"$cases"
for name in "${rows[@]}"; do
	for key in ${row_excl[$name]}; do
		if [ -z "${excl_stacks[$key]+set}" ]; then
			echo "ERROR: row $name: no @exclude line for '$key'"
			exit 99
		fi
	done
done

# In an ASan build (configure --enable-sanitizers), the rows that give the
# call an invalid addrlen pointer are not run at all: ASan's interceptors of
# getsockname(), getpeername() and accept() read *addrlen before libc is
# reached and crash there (SEGV in __interceptor_getsockname ..., bare and
# under the library alike), where the kernel says EFAULT.  Their reports are
# of the test's own making, and there is nothing left to compare.  Nor does
# a stack run the rows it excludes (they are not compared there): the "ptr"
# ones crash the library there, the known limit their @exclude line states,
# which ASan would report.
run_rows=
asan=
case ,${SANITIZERS:-}, in
*,address,*)
	asan=yes
	asan_rows=" getsockname.tcp4.lenbad getsockname.tcp4.lenunmapped getpeername.conn4.lenbad accept.listen4.lenbad "
	kept=()
	for name in "${rows[@]}"; do
		if [[ $asan_rows == *" $name "* ]]; then
			echo "SKIP: $name: an invalid addrlen pointer crashes ASan's own interceptor"
		else
			kept+=("$name")
		fi
	done
	rows=("${kept[@]}")
	run_rows=${rows[*]}
	;;
esac

# excluded NAME STACK - the key of the row's exclusion for STACK, if any.
excluded()
{
	local key

	for key in ${row_excl[$1]}; do
		if [[ ${excl_stacks[$key]} == *" $2 "* ]]; then
			echo "$key"
			return 0
		fi
	done
	return 1
}

# --- run -------------------------------------------------------------------------
# run OUT [VAR=VALUE...] - the probe over the rows (all, or $ROWS), its
# lines in $tmp/OUT.
run()
{
	local out=$1 rc

	shift
	# shellcheck disable=SC2086 # ROWS is a list of names
	in_ns env "$@" "$tmp/parity-probe" "$cases" ${ROWS:-$run_rows} \
		>"$tmp/$out" 2>"$tmp/$out.err"
	rc=$?
	if [ "$rc" -ne 0 ]; then
		echo "ERROR: the probe ($out) exited $rc: $(cat "$tmp/$out" \
			"$tmp/$out.err" | tail -n 3)"
		exit 99
	fi
}

# result FILE NAME - the row's line in FILE, without its name.
declare -A results
load()
{
	local file=$1 line name

	while IFS= read -r line; do
		name=${line%% *}
		results[$file:$name]=${line#"$name"}
	done <"$tmp/$file"
}

# same NAME WANT GOT LABEL - the row's results of runs WANT and GOT agree.
same()
{
	local want=${results[$2:$1]-<no line>} got=${results[$3:$1]-<no line>}

	checked=$((checked + 1))
	if [ "$want" == "$got" ]; then
		pass "$1 [$4]:$got"
	else
		fail "$1 [$4]" "expected:$want" "got:     $got"
	fi
}

run bare
load bare
checked=0
declare -A compared
for stack in "${stacks[@]}"; do
	if [ -n "$asan" ]; then
		run_rows=
		for name in "${rows[@]}"; do
			excluded "$name" "$stack" >/dev/null ||
				run_rows+=" $name"
		done
	fi
	# shellcheck disable=SC2086 # settings are words on purpose
	run "$stack" LD_PRELOAD="$preload" STACKSHIM_CONF="$tmp/empty.conf" \
		${settings[$stack]}
	load "$stack"
	for name in ${ROWS:-"${rows[@]}"}; do
		if key=$(excluded "$name" "$stack"); then
			echo "SKIP: $name [$stack]: $key: ${excl_why[$key]}"
			continue
		fi
		compared[$name]=1
		same "$name" bare "$stack" "$stack"
	done
done

# --- AF_UNSPEC sends: the kernel's udp_sendmsg() sends to them as AF_INET,
# so the policy decides them as such, on a plain AF_INET socket (ipv4) and an
# upgraded one (ipv6): a deny rule for the destination refuses them.
if [ -z "${ROWS:-}" ]; then
	printf 'deny = 127.0.0.1\n' >"$tmp/deny.conf"
	unspec_rows=(sendto.udp4.unspec sendmsg.udp4.unspec sendmmsg.udp4.unspec)
	for stack in ipv4 ipv6; do
		ROWS="${unspec_rows[*]}" run "deny-$stack" LD_PRELOAD="$preload" \
			STACKSHIM_CONF="$tmp/deny.conf" STACKSHIM_STACK=$stack
		load "deny-$stack"
		for name in "${unspec_rows[@]}"; do
			got=${results[deny-$stack:$name]-<no line>}
			if [ "$got" == " rc=-1 errno=EACCES" ]; then
				pass "$name [$stack, deny = 127.0.0.1]:$got"
			else
				fail "$name [$stack, deny = 127.0.0.1]" \
					"expected:  rc=-1 errno=EACCES" \
					"got:      $got"
			fi
		done
	done
fi

# Every row is compared somewhere, and the table was read whole.
if [ -z "${ROWS:-}" ]; then
	for name in "${rows[@]}"; do
		[ -n "${compared[$name]:-}" ] ||
			fail "row $name compared in some stack" \
				"expected: compared" \
				"got:      excluded everywhere"
	done
	[ "${#rows[@]}" -ge "$MIN_ROWS" ] ||
		fail "the cases file was read whole" \
			"expected: $MIN_ROWS rows or more" \
			"got:      ${#rows[@]}"
fi
echo "rows: ${#rows[@]}, comparisons: $checked, failed: $failures"
finish
