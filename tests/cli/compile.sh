#!/bin/sh
# SPDX-License-Identifier: MIT
# compile.sh - "stackshim compile" writes the compiled policy where the
# shim looks for it; programs under the shim then decide as the text says,
# and a config edited after compiling is parsed again, with a log line
# saying why the compiled one was not used.  Loopback only.

. "$(dirname "$0")/lib.sh"

cache=$tmp/cache
STACKSHIM_CACHE_DIR=$cache
export STACKSHIM_CACHE_DIR

# deny 127.0.0.2, allow the rest: a connect there fails with EACCES
# (bash: "Permission denied"), elsewhere with ECONNREFUSED (nothing
# listens on port 9).
cat >"$tmp/p.conf" <<EOF2
log = stderr
deny = 127.0.0.2
[program nothing-runs-this]
deny = 127.0.0.3
EOF2

# try ADDR: the error bash's /dev/tcp gets connecting to ADDR:9.
try()
{
	"$STACKSHIM" -c "$tmp/p.conf" -- bash -c \
		"exec 3<>/dev/tcp/$1/9" 2>&1 |
		grep -o 'Permission denied\|Connection refused' | head -1
}

capture "$STACKSHIM" compile -c "$tmp/p.conf"
expect_status "compile" 0
index=$(cat "$tmp/out")
case $index in
"$cache"/*.policy) pass "compile: prints the index in the cache" ;;
*) fail "compile: prints the index in the cache" "$(show_output)" ;;
esac
if [ -f "$index" ]; then
	pass "compile: the index exists"
else
	fail "compile: the index exists" "$index"
fi
expect "compile: mode 0644" 644 "$(stat -c %a "$index" 2>/dev/null)"

expect "compiled: denied address" "Permission denied" "$(try 127.0.0.2)"
expect "compiled: section rule not applied" "Connection refused" \
	"$(try 127.0.0.3)"
expect "compiled: other address" "Connection refused" "$(try 127.0.0.4)"
"$STACKSHIM" -c "$tmp/p.conf" -- bash -c 'exec 3<>/dev/tcp/127.0.0.2/9' \
	>/dev/null 2>"$tmp/log"
if grep -q 'compiled-policy-unused' "$tmp/log"; then
	fail "compiled: no fallback line" "$(cat "$tmp/log")"
else
	pass "compiled: no fallback line"
fi

# Edited in place after compiling: the new text decides, and the log says
# once why the compiled policy was not used.
sleep 0.1
sed 's/^deny = 127.0.0.2$/deny = 127.0.0.4/' "$tmp/p.conf" >"$tmp/p.new"
cat "$tmp/p.new" >"$tmp/p.conf"
expect "edited: the new rule decides" "Permission denied" "$(try 127.0.0.4)"
expect "edited: the old rule is gone" "Connection refused" \
	"$(try 127.0.0.2)"
"$STACKSHIM" -c "$tmp/p.conf" -- bash -c 'exec 3<>/dev/tcp/127.0.0.4/9' \
	>/dev/null 2>"$tmp/log"
expect "edited: one fallback line" 1 \
	"$(grep -c 'call=load .*reason=compiled-policy-unused' "$tmp/log")"
expect_match "edited: says stale" 'error=stale' "$tmp/log"

# A config with an error is not compiled, and says where.
printf 'stack = ipv5\n' >"$tmp/bad.conf"
capture "$STACKSHIM" compile -c "$tmp/bad.conf"
expect_status "bad config" 1
expect_match "bad config: line named" "^stackshim: $tmp/bad.conf:1:" \
	"$tmp/err"
expect "bad config: nothing printed" "" "$(cat "$tmp/out")"

# -o writes where it is told.
capture "$STACKSHIM" compile -c "$tmp/p.conf" -o "$tmp/out.policy"
expect_status "compile -o" 0
expect "compile -o: printed" "$tmp/out.policy" "$(cat "$tmp/out")"
[ -s "$tmp/out.policy" ] && pass "compile -o: written" ||
	fail "compile -o: written"

# Run mode compiles a config of 1000 rules or more by itself, and leaves
# a smaller one alone.
auto=$tmp/auto
mkdir "$auto"
awk 'BEGIN { for (i = 0; i < 1000; i++)
	printf "deny = 127.%d.%d.0/24\n", 100 + int(i / 256), i % 256 }' >"$tmp/big.conf"
printf 'deny = 127.100.0.0/24\n' >"$tmp/small.conf"
STACKSHIM_CACHE_DIR=$auto "$STACKSHIM" -c "$tmp/small.conf" -- true
expect "run: a small config not compiled" "" "$(ls "$auto")"
STACKSHIM_CACHE_DIR=$auto "$STACKSHIM" -c "$tmp/big.conf" -- true
expect "run: a big config compiled" 1 "$(ls "$auto" | grep -c '\.policy$')"
# Used by the next run: its log says nothing of a fallback, and the rule
# from the compiled policy decides.
printf 'log = stderr\n' >>"$tmp/big.conf"
STACKSHIM_CACHE_DIR=$auto "$STACKSHIM" -c "$tmp/big.conf" -- true
STACKSHIM_CACHE_DIR=$auto "$STACKSHIM" -c "$tmp/big.conf" -- bash -c \
	'exec 3<>/dev/tcp/127.100.3.1/9' >/dev/null 2>"$tmp/log"
expect_match "run: the compiled rule decides" \
	"dest=127.100.3.1:9 .*outcome=deny rule=$tmp/big.conf:4 " "$tmp/log"
if grep -q 'compiled-policy-unused' "$tmp/log"; then
	fail "run: the compiled policy used" "$(cat "$tmp/log")"
else
	pass "run: the compiled policy used"
fi

# Run mode writes only where the shim would trust what it wrote: never
# into a cache directory others may write, or one another user owns, and
# never for a config of another user's.
rm -f "$auto"/*
chmod 0777 "$auto"
STACKSHIM_CACHE_DIR=$auto "$STACKSHIM" -c "$tmp/big.conf" -- true
expect "run: no compile into a directory others may write" "" "$(ls "$auto")"
chmod 0755 "$auto"
# A link planted where the index goes is replaced, never followed.
: >"$tmp/victim"
# shellcheck disable=SC2046 # two numbers
ln -s "$tmp/victim" "$auto/$(printf '%x-%x.policy' \
	$(stat -c '%d %i' "$tmp/big.conf"))"
if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1; then
	chown nobody "$auto"
	STACKSHIM_CACHE_DIR=$auto "$STACKSHIM" -c "$tmp/big.conf" -- true
	expect "run: no compile into another user's directory" 0 \
		"$(find "$auto" -name '*.policy' -type f | wc -l)"
	chown 0 "$auto"
	cp "$tmp/big.conf" "$tmp/theirs.conf"
	chown nobody "$tmp/theirs.conf"
	STACKSHIM_CACHE_DIR=$auto "$STACKSHIM" -c "$tmp/theirs.conf" -- true
	expect "run: no compile of another user's config" 0 \
		"$(find "$auto" -name '*.policy' -type f | wc -l)"
else
	echo "# skipped: other owners need root and a user nobody"
fi
STACKSHIM_CACHE_DIR=$auto "$STACKSHIM" -c "$tmp/big.conf" -- true
expect "run: a planted link is replaced" 1 \
	"$(find "$auto" -name '*.policy' -type f | wc -l)"
expect "run: a planted link's target untouched" "" "$(cat "$tmp/victim")"

# A cache the user may not write costs no compile at every run (a config
# of a million rules would take seconds each time): nothing is attempted.
if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1 &&
	command -v setpriv >/dev/null && command -v strace >/dev/null; then
	pub=$tmp/pub
	mkdir -m 0755 "$pub" "$pub/cache"
	chmod 0755 "$tmp"
	cp "$tmp/big.conf" "$pub/big.conf"
	chown nobody "$pub/big.conf"
	STACKSHIM_CACHE_DIR=$pub/cache strace -f -qq -e trace=open,openat \
		-o "$tmp/trace" setpriv --reuid=nobody --regid=nogroup \
		--clear-groups "$STACKSHIM" -c "$pub/big.conf" -- true
	expect "run: no compile tried into a cache not writable" 0 \
		"$(grep -c "$pub/cache/.*\.policy\." "$tmp/trace")"
else
	echo "# skipped: a cache not writable needs root, nobody, strace"
fi

# Without STACKSHIM_CACHE_DIR, a config root owns goes to the system
# cache: checked in a mount namespace of its own, never on this host's.
if [ "$(id -u)" = 0 ] && unshare -m true 2>/dev/null; then
	unset STACKSHIM_CACHE_DIR
	capture unshare -m sh -c 'mount -t tmpfs none /var/cache &&
		"$1" compile -c "$2" && ls /var/cache/stackshim' sh \
		"$STACKSHIM" "$tmp/p.conf"
	expect_status "system cache" 0
	expect_match "system cache: path" '^/var/cache/stackshim/.*\.policy$' \
		"$tmp/out"
else
	echo "# skipped: the system cache needs root and mount namespaces"
fi
finish
