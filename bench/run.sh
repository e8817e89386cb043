#!/bin/sh
# run.sh - the driver of "make bench": bench/run.sh BENCH_RULES
#
# Prints bench_rules' timing table, then, when valgrind is installed, the
# instructions (callgrind's Ir) that one lookup of each sort takes with
# 10, 1,000, 10,000 and 100,000 rules: a count that does not depend on the
# machine's load, so a lookup cost that grew with the number of rules would
# show there plainly.  Only prints; it asserts nothing about time.

bench=${1:?usage: run.sh BENCH_RULES}
count=20000

echo "stackshim rule engine: load time and lookups, by number of rules"
echo
"$bench" || exit $?

if ! command -v valgrind >/dev/null 2>&1 ||
   ! command -v callgrind_annotate >/dev/null 2>&1; then
	echo
	echo "(valgrind not installed: no instruction counts)"
	exit 0
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/stackshim-bench.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT

echo
echo "Instructions per lookup (callgrind Ir, the mean of $count lookups of"
echo "each sort), and in () over the 10-rule config's:"
echo
sizes="10 1000 10000 100000"
for n in $sizes; do
	out=$tmp/callgrind.$n
	if ! valgrind --tool=callgrind --callgrind-out-file="$out" \
		--collect-atstart=no --toggle-collect='bench_loop_*' \
		"$bench" --lookups "$n" "$count" >"$tmp/log" 2>&1; then
		cat "$tmp/log" >&2
		exit 99
	fi
	# "SIZE SORT IR" per bench_loop_SORT function, Ir inclusive.
	callgrind_annotate --inclusive=yes --threshold=100 --auto=no \
		"$out" 2>/dev/null |
		sed -n 's/^ *\([0-9][0-9,]*\) (.*:bench_loop_\([a-z_]*\) .*/\2 \1/p' |
		tr -d , | sed "s/^/$n /" >>"$tmp/ir"
done
awk -v count="$count" -v sizes="$sizes" '
	{ ir[$1, $2] = $3 / count }
	END {
		ns = split(sizes, n, " ")
		split("addr_hit addr_hot addr_miss name_hit name_hot name_miss",
		      sort, " ")
		split("addr hit|addr hit, 16|addr miss|name hit|name hit, 16|" \
		      "name miss", label, "|")
		printf "%-14s", "rules"
		for (i = 1; i <= ns; i++)
			printf " %15s", n[i]
		printf "\n"
		for (s = 1; s <= 6; s++) {
			printf "%-14s", label[s]
			for (i = 1; i <= ns; i++) {
				v = ir[n[i], sort[s]]
				b = ir[n[1], sort[s]]
				printf " %7.0f (%4.2fx)", v, b ? v / b : 0
			}
			printf "\n"
		}
	}' "$tmp/ir"
