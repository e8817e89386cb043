#!/bin/bash
# SPDX-License-Identifier: MIT
# bench.sh - make bench's driver (bench/run.sh) runs end to end, at 1/100
# of its counts and one round, and writes every table of BENCHMARKS.md;
# and it refuses to time a shim that does not do what its variant is meant
# to (a library that upgrades nothing).  Asserts no timing: only that the
# benchmark works and measures what it says.  The policy-at-scale tables
# (issue 20) come with their compiled variants, through a stand-in
# launcher whose "compile" only records how it was called: the plumbing
# of the compiled rows, whatever the library can do yet.
. "$top_srcdir/tests/shim/lib.sh"

if [ "$(id -u)" != 0 ] || ! unshare -n true 2>/dev/null; then
	echo "SKIP: needs root and network namespaces"
	exit 77
fi
# A sanitizer build's library needs its runtime preloaded first, which the
# benchmark does not do: its numbers would mean nothing anyway.
if [ -n "${SANITIZERS:-}" ]; then
	echo "SKIP: a sanitizer build"
	exit 77
fi
net=$top_builddir/bench/bench_net
rules=$top_builddir/bench/bench_rules
for p in "$net" "$rules"; do
	[ -x "$p" ] || { echo "ERROR: $p is not built"; exit 99; }
done

run()	# LIBRARY OUTPUT LAUNCHER
{
	BENCH_SCALE=100 BENCH_ROUNDS=1 bash "$top_srcdir/bench/run.sh" \
		"$net" "$rules" "$1" "$2" "$3" >"$tmp/log" 2>&1
}

# The stand-in launcher: "compile --help" and "compile -c FILE" succeed,
# and each call is logged with its cache directory.
printf '#!/bin/sh\n[ "$1" = compile ] || exit 1\necho "cache=$STACKSHIM_CACHE_DIR $*" >>"%s"\n' \
	"$tmp/compiles" >"$tmp/launcher"
chmod +x "$tmp/launcher"

if run "$lib" "$tmp/B.md" "$tmp/launcher"; then
	pass "bench/run.sh exits 0"
else
	fail "bench/run.sh" "expected: exit 0" \
		"got:      exit $?: $(tail -5 "$tmp/log")"
fi

# Every group's table, with a time in each of its rows.
for heading in 'TCP connect()+close() over loopback' \
	'across a veth pair' 'UDP sendto()+recvfrom()' \
	'getaddrinfo("127.0.0.1"' 'getaddrinfo("bench-host"' \
	'process start' 'the first network call' 'decision cost' \
	'a process that makes no network call' 'curl, one request'; do
	rows=$(awk -v h="$heading" '
		/^##/ { on = /^### / && index($0, h) > 0; next }
		on && /^\| [a-z]/ && !/^\| variant/ { print }' "$tmp/B.md")
	n=$(printf '%s\n' "$rows" | grep -c '^|')
	bad=$(printf '%s\n' "$rows" | awk -F'|' '$3 !~ /[0-9]/ || $5 !~ /[0-9]/')
	if [ "$n" -ge 2 ] && [ -z "$bad" ]; then
		pass "table \"$heading\": $n rows with times"
	else
		fail "table \"$heading\"" \
			"expected: 2 or more rows, each with a time" \
			"got:      $n rows; bad: $bad"
	fi
done

# The instruction counts of the shim's own calls.
for row in '| connect: connect | stackshim |' \
	'| connect: connect | stackshim-ipv6 |' \
	'| udp: sendto | stackshim-ipv6 |' \
	'| gai-numeric: getaddrinfo | stackshim-dual |'; do
	if command -v valgrind >/dev/null && ! grep -qF -- "$row" "$tmp/B.md"; then
		fail "instructions row" "expected: $row" \
			"got:      $(grep '^| [a-z-]*: ' "$tmp/B.md")"
	else
		pass "instructions row $row"
	fi
done

# The rule engine's instructions per lookup, for each number of rules.
if command -v valgrind >/dev/null; then
	row=$(grep -A4 '^Instructions per lookup' "$tmp/B.md" | grep '^addr hit ')
	n=$(printf '%s\n' "$row" | grep -oE '[0-9]+ \([0-9.]+x\)' | wc -l)
	expect "rule engine instructions, addr hit, 4 sizes" 4 "$n"
fi

# The scale tables: a row for each variant, compiled ones included, each
# with its numbers.
scale_rows()	# HEADING: the rows of the scale table under HEADING
{
	awk -v h="$1" '/^#/ { on = /^### / && index($0, h) > 0; next }
		on && /^\| [a-z]/ && !/^\| variant/ { print }' "$tmp/B.md"
}
for heading in 'A process that makes no network call' \
	'The first network call, curl and python3' \
	'Memory shared between'; do
	rows=$(scale_rows "$heading")
	names=$(printf '%s\n' "$rows" | awk -F'|' '{ gsub(/ /, "", $2); printf "%s ", $2 }')
	bad=$(printf '%s\n' "$rows" | awk -F'|' '$3 !~ /[0-9]/ || $4 !~ /[0-9]/ || $5 !~ /[0-9]/')
	expect "scale table \"$heading\": variants" \
		"bare stackshim stackshim-100k stackshim-1m stackshim-100k-compiled stackshim-1m-compiled " \
		"$names"
	expect "scale table \"$heading\": rows without numbers" "" "$bad"
done
if command -v valgrind >/dev/null; then
	rows=$(scale_rows 'Instructions per decision')
	n=$(printf '%s\n' "$rows" | awk -F'|' '$4 ~ /^ [0-9]+ $/' | wc -l)
	expect "decision rows: no rules, miss and hit by 1 and many lengths, compiled" 9 "$n"
	n=$(scale_rows 'The first network call' | awk -F'|' '$6 ~ /[0-9]×/' | wc -l)
	expect "python3 instruction ratios" 6 "$n"
fi
# Each rule config compiled into the cache the compiled variants use.
for c in rules100k rules1m miss-1 hit-1 miss-many hit-many; do
	n=$(grep -c "^cache=.*/cache compile -c .*/$c\.conf\$" "$tmp/compiles" 2>/dev/null)
	expect "compiled $c" yes "$([ "${n:-0}" -ge 1 ] && echo yes || echo "$n")"
done
row=$(grep '^| stackshim compile of' "$tmp/B.md")
expect "compile target measured" yes \
	"$(printf '%s\n' "$row" | grep -qE '\| [0-9.]+ s \|' && echo yes || echo "$row")"

# Every target judged.
n=$(sed -n '/^## Targets/,/^## /p' "$tmp/B.md" | grep -cE '\| (met|missed) \|$')
expect "targets judged" yes "$([ "$n" -ge 10 ] && echo yes || echo "$n")"
mem=$(grep -c '^| stackshim.* KiB (+' "$tmp/B.md")
expect "memory rows" 2 "$mem"

# A library that interposes nothing must be refused, not timed: the
# stack = ipv6 variant would otherwise pass for a very fast upgrade.
printf 'int stackshim_bench_nothing;\n' >"$tmp/nothing.c"
${CC:-cc} -shared -fPIC -o "$tmp/nothing.so" "$tmp/nothing.c" ||
	{ echo "ERROR: cannot build a library"; exit 99; }
# (and a launcher that cannot compile: the compiled rows left out, saying
# why.)
if run "$tmp/nothing.so" "$tmp/nothing.md" /bin/false; then
	fail "a library that upgrades nothing" "expected: refused" \
		"got:      timed"
elif grep -q 'stackshim-ipv6: no call like' "$tmp/log"; then
	pass "a library that upgrades nothing is refused"
else
	fail "a library that upgrades nothing" \
		"expected: refused by the strace check" \
		"got:      $(tail -3 "$tmp/log")"
fi
if grep -q '^no compiled variants: ".*" does not exit 0' "$tmp/log"; then
	pass "no compiled variants without stackshim compile, saying why"
else
	fail "without stackshim compile" "expected: a line saying why" \
		"got:      $(head -3 "$tmp/log")"
fi
[ -e "$tmp/nothing.md" ] && fail "no output for a refused run" \
	"expected: none" \
	"got:      written"

finish
