#!/bin/sh
# SPDX-License-Identifier: MIT
# tests/sanitizer-log.sh TEST [ARG...] - run one test of a sanitizer build
# (configure --enable-sanitizers; the harness's LOG_COMPILER there, see
# Makefile.am) and fail it when any process it started wrote a report.
#
# A sanitizer report does not always reach the test: a server's exit status
# is ignored, a child's stderr goes to /dev/null, a program the test expects
# to fail fails anyway.  So every process the test starts (the variables
# below are inherited, across the launcher, exec, fork and namespaces) logs
# its reports to a file of its own, TEST.reports/san.EXE.PID beside the
# test's log, and once the test has ended this script reads them all:
#   - any ASan, UBSan or TSan error, or anything else a sanitizer wrote, fails
#     the test (exit 1), whatever its own status, and is printed here;
#   - a leak report is ours when a frame of an allocation stack is in
#     libstackshim.so or in our own sources (shim/, policy/, cli/, tests/):
#     ours fails the test.  Leaks of other programs run under the ASan
#     runtime (python3, curl, nginx, sh...) are theirs: ignored, and counted.
#
# The options: errors abort the process (abort_on_error=1), so that a test
# sees them as a crash too; a leak report alone does not change a process's
# exit status (exitcode=0 applies to leak reports only once abort_on_error
# is set), since most foreign programs leak at exit and the tests check their
# exit statuses.  LeakSanitizer cannot run in a process that is ptrace'd:
# see strace below.
set -u

: "${top_builddir:?top_builddir must be set (make check exports it)}"
if [ $# -lt 1 ]; then
	echo "usage: sanitizer-log.sh TEST [ARG...]" >&2
	exit 99
fi

case $1 in
*/tests/*) name=tests/${1##*/tests/} ;;
./*) name=${1#./} ;;
*) name=$1 ;;
esac
dir=$top_builddir/$name.reports
rm -rf "$dir"
mkdir -p "$dir" && chmod 1777 "$dir" || exit 99  # processes of any uid report here

common="log_path=$dir/san:log_exe_name=1:abort_on_error=1:exitcode=0"
common="$common:handle_abort=1:print_summary=1"
ASAN_OPTIONS="$common:detect_stack_use_after_return=1:check_initialization_order=1:strict_init_order=1"
UBSAN_OPTIONS="$common:print_stacktrace=1"
LSAN_OPTIONS="$common"
# TSan: no leaks to ignore, so its own exit status (66) on any report.
TSAN_OPTIONS="log_path=$dir/san:log_exe_name=1:halt_on_error=0:exitcode=66:second_deadlock_stack=1"
export ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS TSAN_OPTIONS
# Check's per-test timeouts (4 s by default), ten times longer: each test
# runs in a forked child, and forking a process with ASan's shadow memory is
# slow (check_config, 192 cases: 1 s bare, 40 s under ASan).
CK_TIMEOUT_MULTIPLIER=${CK_TIMEOUT_MULTIPLIER:-10}
export CK_TIMEOUT_MULTIPLIER

# A preloaded ASan runtime initialises itself lazily, at the first call of
# the process into one of its interceptors.  In curl and wget (GnuTLS) that
# is a malloc() in p11-kit's constructor, inside newlocale() with glibc's
# locale lock held, and the process deadlocks there (`LD_PRELOAD=libasan.so
# curl --version` hangs, shim or not; a program linked with libp11-kit
# hangs the same way, and not when built with -fsanitize=address).  With
# P11_KIT_DEBUG set, empty (no debug output), p11-kit's constructor first
# reads it with strcmp(), and ASan initialises there, outside the lock.
P11_KIT_DEBUG=
export P11_KIT_DEBUG

# LeakSanitizer checks for leaks at exit by stopping the world with ptrace,
# which a process that strace traces cannot do: it dies with a fatal error
# instead.  So strace, found along PATH as the tests call it, runs its
# children with leak checking off; every other sanitizer check stays on in
# them, and the programs' untraced runs are leak-checked as usual.
real_strace=$(command -v strace 2>/dev/null)
if [ -n "$real_strace" ]; then
	mkdir -p "$dir/bin" || exit 99
	# shellcheck disable=SC2016 # expanded by that script
	printf '#!/bin/sh\nASAN_OPTIONS="$ASAN_OPTIONS:detect_leaks=0" LSAN_OPTIONS="$LSAN_OPTIONS:detect_leaks=0" exec %s "$@"\n' \
		"$real_strace" >"$dir/bin/strace" && chmod 755 "$dir/bin/strace" ||
		exit 99
	PATH=$dir/bin:$PATH
	export PATH
fi

"$@"
status=$?

# A frame of ours: the library, the launcher, or a file of our sources.
ours='libstackshim[.]so|/stackshim[ )+]|(^|[ (/])(shim|policy|cli|tests(/shim)?)/[A-Za-z0-9_.-]+[.]c:[0-9]'

bad=0
foreign=0
foreign_progs=
for f in "$dir"/san.*; do
	[ -f "$f" ] || continue
	prog=${f##*/san.}
	prog=${prog%.*}
	# verdict: "foreign N" when the file is nothing but leak reports none
	# of which has a frame of ours (N of them), else "ours".
	verdict=$(awk -v ours="$ours" '
		/^[ \t]*$/ { inblock = 0; next }
		/^(Direct|Indirect) leak of / { inblock = 1; n++; next }
		inblock && /^ +#[0-9]+ / { if ($0 ~ ours) mine = 1; next }
		/ERROR: LeakSanitizer: detected memory leaks/ { leakhdr = 1; next }
		/^=+$/ { next }
		/^SUMMARY: AddressSanitizer: [0-9]+ byte\(s\) leaked/ { next }
		/^SUMMARY: LeakSanitizer: [0-9]+ byte\(s\) leaked/ { next }
		/^-+$/ || /^Suppressions used:/ || /^ *count +bytes +template/ { next }
		{ other = 1 }
		END {
			if (other || mine || !leakhdr || !n) print "ours"
			else print "foreign " n
		}' "$f")
	case $verdict in
	foreign*)
		foreign=$((foreign + 1))
		case " $foreign_progs " in
		*" $prog "*) ;;
		*) foreign_progs="$foreign_progs $prog" ;;
		esac ;;
	*)
		bad=$((bad + 1))
		echo "SANITIZER REPORT: ${f#"$top_builddir"/}:"
		sed 's/^/  | /' "$f"
		# gcc's libubsan, beside ASan, writes only its summary line to
		# the log; its message and stack go to that process's stderr.
		if ! grep -qv '^SUMMARY: UndefinedBehaviorSanitizer' "$f"; then
			echo "  (UBSan: the message and stack went to that process's stderr)"
		fi ;;
	esac
done

if [ "$foreign" -ne 0 ]; then
	echo "sanitizer: ignored $foreign leak report(s) of other programs" \
		"(no frame of ours):$foreign_progs"
fi
if [ "$bad" -ne 0 ]; then
	echo "FAIL: $bad sanitizer report(s) above (test's own exit status $status)"
	exit 1
fi
echo "sanitizer: no report of ours"
exit "$status"
