#!/bin/sh
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
