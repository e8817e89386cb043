#!/bin/sh
# SPDX-License-Identifier: MIT
# fuzz/run.sh SECONDS - build the libFuzzer targets (make fuzz) and run each
# for SECONDS (test.sh: FUZZ_SECONDS, 60 by default).
#
# Run it from a configured build directory (test.sh runs it from the source
# tree it configured).  Each target starts from a scratch copy of its seed
# corpus, fuzz/corpus/<target>/ of the source tree, which is never written.
# Prints one line per target: runs, coverage (cov), features (ft), corpus
# size.  Exits 1 when any target finds anything (a crash, an ASan, UBSan or
# LeakSanitizer error, a broken invariant, a timeout, running out of
# memory), printing the reproducer's path and the stack; the scratch
# directory is then kept.  Exits 2 for bad usage or when nothing could be
# built.
#
# Environment: FUZZ_TARGETS (default "config values sockaddr getaddrinfo
# index compiled"), FUZZ_TIMEOUT (seconds one input may take, default
# 10), FUZZ_KEEP=1 to keep the scratch directory (and the corpus grown
# there) even when clean, MAKE.
set -u

secs=${1:-}
case $secs in
'' | *[!0-9]*)
	echo "usage: fuzz/run.sh SECONDS" >&2
	exit 2
	;;
esac
srcdir=$(cd "$(dirname "$0")/.." && pwd)
if [ ! -f Makefile ]; then
	echo "fuzz/run.sh: run it from a configured build directory" >&2
	exit 2
fi
${MAKE:-make} fuzz || {
	echo "fuzz/run.sh: make fuzz failed" >&2
	exit 2
}

targets=${FUZZ_TARGETS:-"config values sockaddr getaddrinfo index compiled"}
scratch=$(mktemp -d "${TMPDIR:-/tmp}/stackshim-fuzz.XXXXXX") || exit 2
status=0

# The value after "NAME: " in the last status line of a log.
last_field() {
	sed -n "s/.* $1: \([^ ]*\).*/\1/p" "$2" | tail -n 1
}

for t in $targets; do
	bin=$(pwd)/fuzz/fuzz-$t
	work=$scratch/$t
	mkdir -p "$work/corpus" "$work/artifacts"
	if [ -d "$srcdir/fuzz/corpus/$t" ]; then
		cp "$srcdir/fuzz/corpus/$t/." "$work/corpus/" -R
		chmod -R u+w "$work/corpus"
	fi
	seeds=$(ls "$work/corpus" | wc -l)
	"$bin" -max_total_time="$secs" -timeout="${FUZZ_TIMEOUT:-10}" \
		-rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$work/artifacts/" \
		"$work/corpus" >"$work/log" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log")
	echo "fuzz-$t: runs=${runs:-?} cov=$(last_field cov "$work/log")" \
		"ft=$(last_field ft "$work/log")" \
		"corpus=$(last_field corp "$work/log") (from $seeds seeds)" \
		"exit=$rc"
	found=$(ls "$work/artifacts" | grep -E '^(crash|leak|timeout|oom)-')
	if [ "$rc" != 0 ] || [ -n "$found" ]; then
		status=1
		echo "FAIL: fuzz-$t found something; log: $work/log"
		for a in $found; do
			echo "  reproducer: $work/artifacts/$a"
			echo "  reproduce with: $bin $work/artifacts/$a"
		done
		# The report: from the first error line to its summary.
		awk '/==[0-9]+==ERROR|runtime error|invariant failed|ALARM|out-of-memory|deadly signal/ { on = 1 }
		     on && n < 80 { print "  | " $0; n++ }
		     on && /^SUMMARY/ { exit }' "$work/log"
	fi
done

if [ "$status" = 0 ] && [ -z "${FUZZ_KEEP:-}" ]; then
	rm -rf "$scratch"
else
	echo "fuzz/run.sh: scratch directory kept: $scratch"
fi
exit "$status"
