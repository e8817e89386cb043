#!/bin/bash
# bench.sh - make bench's driver (bench/run.sh) runs end to end, at 1/100
# of its counts and one round, and writes every table of BENCHMARKS.md;
# and it refuses to time a shim that does not do what its variant is meant
# to (a library that upgrades nothing).  Asserts no timing: only that the
# benchmark works and measures what it says.
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

run()	# LIBRARY OUTPUT
{
	BENCH_SCALE=100 BENCH_ROUNDS=1 bash "$top_srcdir/bench/run.sh" \
		"$net" "$rules" "$1" "$2" >"$tmp/log" 2>&1
}

if run "$lib" "$tmp/B.md"; then
	pass "bench/run.sh exits 0"
else
	fail "bench/run.sh" "expected: exit 0" \
		"got:      exit $?: $(tail -5 "$tmp/log")"
fi

# Every group's table, with a time in each of its rows.
for heading in 'TCP connect()+close() over loopback' \
	'across a veth pair' 'UDP sendto()+recvfrom()' \
	'getaddrinfo("127.0.0.1"' 'getaddrinfo("bench-host"' \
	'process start' 'the first network call' 'decision cost'; do
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
if run "$tmp/nothing.so" "$tmp/nothing.md"; then
	fail "a library that upgrades nothing" "expected: refused" \
		"got:      timed"
elif grep -q 'stackshim-ipv6: no call like' "$tmp/log"; then
	pass "a library that upgrades nothing is refused"
else
	fail "a library that upgrades nothing" \
		"expected: refused by the strace check" \
		"got:      $(tail -3 "$tmp/log")"
fi
[ -e "$tmp/nothing.md" ] && fail "no output for a refused run" \
	"expected: none" \
	"got:      written"

finish
