#!/bin/bash
# SPDX-License-Identifier: MIT
# run.sh - the driver of "make bench":
#	bench/run.sh BENCH_NET BENCH_RULES LIBSTACKSHIM OUTPUT [LAUNCHER]
#
# Runs the workloads of bench/net.c bare, under stackshim and under the
# peer shims (proxychains4, torsocks, tnat64: Debian's packages), prints a
# table of medians and ratios, and writes it to OUTPUT (BENCHMARKS.md) with
# a description of the machine, the instructions per call callgrind counts,
# the memory the shim adds, the rule engine's table (BENCH_RULES), and
# bench/analysis.md, the profile of each target that is not met.
#
# Every timed variant of a benchmark is run once per round, in the same
# order, for BENCH_ROUNDS rounds (A B C A B C ...), so that a change in the
# machine's load falls on all of them alike; a ratio is the median of the
# rounds' own ratios (paired()).  Each run is a process of its own in a network
# namespace of its own (fresh port tables: no TIME_WAIT carried over), with
# /etc/hosts and /etc/nsswitch.conf of this script's, so that nothing is
# ever sent or resolved outside loopback or the namespaces made here.
# Before it is timed, each variant is run once under strace and must make
# the system calls it is meant to (a shim that passed nothing through, or
# upgraded nothing, would otherwise be timed as a fast one).
#
# Policy at scale (issue 20): the same workloads and more (a process that
# makes no network call, curl, python3, the private and shared memory, the
# instructions of a decision by prefix lengths in use) under configs of
# 100,000 and 1,000,000 rules; with "LAUNCHER compile" (LAUNCHER, else
# BENCH_LAUNCHER, else the stackshim beside the library's build tree), the
# same configs compiled into an index too, side by side.
#
# BENCH_SCALE=N divides every count by N (a quick look; tests/bench.sh),
# the 1,000,000-rule config's and the decision configs' included.
# Must run as root (namespaces).  Only prints and writes: it asserts nothing
# about time, but exits non-zero when a workload fails or does not do what
# it is meant to.
set -u
export LC_ALL=C

# --- inside a run's namespace --------------------------------------------
# run.sh --in-ns TMP NET VAR=VALUE... PROGRAM ARG...: PID 1 of private
# mount, network and PID namespaces, with the hosts file and nsswitch.conf
# of TMP and loopback up.  Starts NET's server (bench_net serve, no
# preload) on [::]:5001, then runs the program; the server dies with the
# namespace.
# wide_ports: in this network namespace, the whole port range and the
# reuse of TIME_WAIT ports for connects, so that 20,000 connections a run
# never make the kernel search a crowded port range (which costs AF_INET
# and AF_INET6 sockets differently, and grows through the run).
wide_ports()
{
	echo "1024 65535" >/proc/sys/net/ipv4/ip_local_port_range &&
		echo 1 >/proc/sys/net/ipv4/tcp_tw_reuse
}

if [ "${1:-}" = --in-ns ]; then
	t=$2 server=$3
	shift 3
	# /proc of this PID namespace: bench_net share reads its children's.
	mount --make-rprivate / && mount -t proc proc /proc &&
		mount --bind "$t/hosts" /etc/hosts &&
		mount --bind "$t/nsswitch.conf" /etc/nsswitch.conf &&
		ip link set lo up && wide_ports || exit 99
	"$server" serve :: 5001 >"$t/serve.$$" &
	"$server" http :: 5002 >"$t/http.$$" &
	for i in $(seq 100); do
		grep -q ready "$t/serve.$$" 2>/dev/null &&
			grep -q ready "$t/http.$$" 2>/dev/null && break
		sleep 0.02
	done
	rm -f "$t/serve.$$" "$t/http.$$"
	env "$@"
	exit
fi

net=${1:?usage: run.sh BENCH_NET BENCH_RULES LIBSTACKSHIM OUTPUT}
rules=${2:?}
lib=${3:?}
out=${4:?}
launcher=${5:-${BENCH_LAUNCHER:-$(dirname "$(dirname "$(dirname "$lib")")")/stackshim}}
here=$(cd "$(dirname "$0")" && pwd)
rounds=${BENCH_ROUNDS:-21}
scale=${BENCH_SCALE:-1}
case $net in /*) ;; *) net=$PWD/$net ;; esac
case $rules in /*) ;; *) rules=$PWD/$rules ;; esac
case $lib in /*) ;; *) lib=$PWD/$lib ;; esac
case $launcher in /*) ;; *) launcher=$PWD/$launcher ;; esac

die() { echo "bench: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "must run as root (network namespaces)"
for t in unshare ip strace awk; do
	command -v $t >/dev/null || die "$t is not installed"
done
[ -x "$net" ] && [ -x "$rules" ] && [ -f "$lib" ] ||
	die "build first: $net, $rules, $lib"
ulimit -n 20000 2>/dev/null || die "cannot raise the fd limit to 20000"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/stackshim-bench.XXXXXX") || exit 99
netns=ssbench-$$
cleanup()
{
	[ -n "${srv:-}" ] && kill "$srv" 2>/dev/null
	ip netns del "$netns-a" 2>/dev/null
	ip netns del "$netns-b" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

n() { echo $(( $1 / scale > 0 ? $1 / scale : 1 )); }
N_CONNECT=$(n 20000)
N_UDP=$(n 200000)
N_GAI=$(n 200000)
N_SPAWN=$(n 500)
N_DECIDE=$(n 20000)
N_SOCKETS=$(n 10000)
N_IR=$(n 2000)
N_START=$(n 40)
N_CURL=$(n 5)
N_SHARE=8
N_1M=$(n 1000000)
N_LEN=$(n 100000)

# --- the environment of the runs -------------------------------------------
printf '127.0.0.1\tlocalhost\n::1\tlocalhost\n127.0.0.1\tbench-host\n::1\tbench-host\n' >"$tmp/hosts"
printf 'hosts: files\n' >"$tmp/nsswitch.conf"
: >"$tmp/empty.conf"
# The rule configs: 10 to 1,000,000 rules of ten kinds (as bench/rules.c
# writes them), the first of which allows loopback, so that every connect
# of the decision benchmark is decided by a rule.  Past 65,536 rules of a
# kind (j), a kind moves to a range of its own (q = j / 65536), or, for
# the /16s, of which there are too few, to /17 to /19 (p): below that the
# text is the same as before, so the 100,000-rule config is unchanged.
write_rules()
{
	awk -v n="$1" 'BEGIN {
		split("allow deny map", act, " ")
		print "allow = 127.0.0.0/8"
		for (i = 1; i < n; i++) {
			a = act[i % 3 + 1]; j = int(i / 10); k = i % 10
			q = int(j / 65536); g = j % 65536; p = int(j / 25600)
			if (k == 0) printf "%s = %d.%d.%d.0/24\n", a, 10 + 110 * q, int(g / 256), g % 256
			else if (k == 1) printf "%s = 11.%d.%d.%d\n", a, int(j / 65536), int(j / 256) % 256, j % 256
			else if (k == 2) printf "%s = %d.%d.%d.0/%d\n", a, 12 + int(j / 256) % 100, j % 256, p ? 256 / 2 ^ p : 0, 16 + p
			else if (k == 3 && !q) printf "%s = 172.%d.%d.%d/28 1000-1999 tcp\n", a, 16 + int(j / 4096) % 16, int(j / 16) % 256, (j % 16) * 16
			else if (k == 3) printf "%s = 100.%d.%d.%d/28 1000-1999 tcp\n", a, 64 + int(g / 4096), int(g / 16) % 256, (g % 16) * 16
			else if (k == 4) printf "%s = 2001:%x:%x::/48\n", a, 3512 + 3 * q, g
			else if (k == 5) printf "%s = 2001:%x:0:%x::/64\n", a, 3513 + 3 * q, g
			else if (k == 6) printf "%s = 2001:%x::%x\n", a, 3514 + 3 * q, g
			else if (k == 7) printf "%s = h%d.bench.test\n", a, j
			else if (k == 8) printf "%s = *.d%d.bench.test\n", a, j
			else printf "%s = p%d.bench.test 443 tcp\n", a, j
		}
	}' >"$2"
}
# write_lengths N FILE [HIT]: N address rules, half IPv4 and half IPv6,
# taking every prefix length in turn (/0 to /32, /0 to /128: the /0s only
# for port 9, so that they decide nothing here) under 128.0.0.0/1 and
# 8000::/1, never loopback's; where a length has no room left, a host of
# 192.0.0.0/2 or c000::/2.  With HIT, the first rule allows 127.0.0.0/8
# (/8 in use already).  write_lengths ... 1: one length, /24, and
# 127.0.0.0/24 allowed.
write_lengths()
{
	awk -v n="$1" -v hit="${3:-}" -v one="${4:-}" '
		function v4(i,   L, k, v) {
			L = i % 33; k = int(i / 33)
			if (L == 0 && k == 0) return "0.0.0.0/0 9 tcp"
			if (L == 0 || k >= 2 ^ (L - 2)) { v = 2 ^ 31 + 2 ^ 30 + i; L = 32 }
			else v = 2 ^ 31 + k * 2 ^ (32 - L)
			return sprintf("%d.%d.%d.%d/%d", int(v / 16777216), int(v / 65536) % 256, int(v / 256) % 256, v % 256, L)
		}
		function v6(i,   L, k, s, kk, t, nib, out, g) {
			L = i % 129; k = int(i / 129)
			if (L == 0 && k == 0) return "::/0 9 tcp"
			if (L == 0 || k >= 2 ^ (L - 2))
				return sprintf("c000::%x:%x", int(i / 65536), i % 65536)
			for (t = 1; t <= 32; t++) nib[t] = 0
			nib[1] = 8; s = 128 - L; kk = k * 2 ^ (s % 4)
			for (t = 0; kk > 0; t++) { nib[32 - int(s / 4) - t] += kk % 16; kk = int(kk / 16) }
			out = ""
			for (g = 0; g < 8; g++)
				out = out (g ? ":" : "") sprintf("%x%x%x%x", nib[4 * g + 1], nib[4 * g + 2], nib[4 * g + 3], nib[4 * g + 4])
			return out "/" L
		}
		BEGIN {
			split("deny allow", act, " ")
			if (hit) print (one ? "allow = 127.0.0.0/24" : "allow = 127.0.0.0/8")
			for (i = hit ? 1 : 0; i < n; i++)
				if (one) printf "%s = %d.%d.%d.0/24\n", act[i % 2 + 1], 10 + int(i / 65536), int(i / 256) % 256, i % 256
				else printf "%s = %s\n", act[int(i / 2) % 2 + 1], i % 2 ? v6(int(i / 2)) : v4(int(i / 2))
		}' >"$2"
}
write_rules 10 "$tmp/rules10.conf"
write_rules 100000 "$tmp/rules100k.conf"
write_rules "$N_1M" "$tmp/rules1m.conf"
# The decision configs: N_LEN rules, a miss or a hit, 1 or 33/129 lengths.
write_lengths "$N_LEN" "$tmp/miss-1.conf" "" 1
write_lengths "$N_LEN" "$tmp/hit-1.conf" 1 1
write_lengths "$N_LEN" "$tmp/miss-many.conf"
write_lengths "$N_LEN" "$tmp/hit-many.conf" 1
# Peers: loopback excluded from proxying (proxychains4), allowed
# (torsocks): what is measured is the cost of their interposition.
printf 'strict_chain\nquiet_mode\nlocalnet 127.0.0.0/255.0.0.0\n[ProxyList]\nsocks5 127.0.0.1 9\n' >"$tmp/proxychains.conf"
printf 'AllowOutboundLocalhost 1\n' >"$tmp/torsocks.conf"
printf 'nat64_prefix = ::ffff:0:0\n' >"$tmp/tnat64.conf"
# A preload library with nothing in it: what the loader charges any
# preload library at process start, whatever it does.
printf 'int bench_nothing;\n' >"$tmp/nothing.c"
${CC:-cc} -shared -fPIC -O2 -o "$tmp/nothing.so" "$tmp/nothing.c" ||
	die "cannot build an empty library with ${CC:-cc}"

peer_lib()	# PACKAGE FILE-PATTERN
{
	dpkg -L "$1" 2>/dev/null | grep -m1 "$2"
}
pc_lib=$(peer_lib libproxychains4 '/libproxychains\.so\.4$')
ts_lib=$(peer_lib torsocks '/libtorsocks\.so$')
tn_lib=$(peer_lib tnat64 '/libtnat64\.so$')

# The variants: a name and the environment it runs in ("-": none).
declare -A env
env[bare]=-
# The text variants get an empty cache directory, so that they measure
# the text path whatever the library can do; the compiled ones (below) the
# cache their configs were compiled into.
mkdir "$tmp/nocache" "$tmp/cache" || exit 99
shimenv()	# CONF [CACHE]
{
	echo "LD_PRELOAD=$lib STACKSHIM_CONF=$1 STACKSHIM_CACHE_DIR=${2:-$tmp/nocache}"
}
env[stackshim]=$(shimenv "$tmp/empty.conf")
for s in ipv4 dual ipv6; do
	env[stackshim-$s]="${env[stackshim]} STACKSHIM_STACK=$s"
done
env[stackshim-10]=$(shimenv "$tmp/rules10.conf")
env[stackshim-100k]=$(shimenv "$tmp/rules100k.conf")
env[stackshim-1m]=$(shimenv "$tmp/rules1m.conf")
for c in miss-1 hit-1 miss-many hit-many; do
	env[$c]=$(shimenv "$tmp/$c.conf")
done
[ -n "$pc_lib" ] &&
	env[proxychains4]="LD_PRELOAD=$pc_lib PROXYCHAINS_CONF_FILE=$tmp/proxychains.conf PROXYCHAINS_QUIET_MODE=1"
[ -n "$ts_lib" ] &&
	env[torsocks]="LD_PRELOAD=$ts_lib TORSOCKS_CONF_FILE=$tmp/torsocks.conf"
[ -n "$tn_lib" ] &&
	env[tnat64]="LD_PRELOAD=$tn_lib TNAT64_CONF_FILE=$tmp/tnat64.conf"

# process start: the preload is bench_net spawn's argument, for the
# children only; the config reaches them through the environment.
env[conf-default]="STACKSHIM_CONF=$tmp/empty.conf STACKSHIM_CACHE_DIR=$tmp/nocache"
env[conf-100k]="STACKSHIM_CONF=$tmp/rules100k.conf STACKSHIM_CACHE_DIR=$tmp/nocache"

# --- the compiled policy (issue 20), where the launcher has it ---------------
# compile_all: each rule config compiled into $tmp/cache, and a variant
# NAME-compiled of each; "CONF MS" of each compile in $tmp/compile (the
# 1,000,000-rule config's three times).  Nothing is assumed of the index
# but that the library finds it through STACKSHIM_CACHE_DIR.
compile_ms()	# CONF: the milliseconds "compile -c CONF" took
{
	local t0 t1
	t0=$(date +%s%N)
	STACKSHIM_CACHE_DIR=$tmp/cache "$launcher" compile -c "$1" \
		>/dev/null 2>"$tmp/err" ||
		die "compile -c $1: $(tail -3 "$tmp/err")"
	t1=$(date +%s%N)
	echo $(((t1 - t0) / 1000000))
}

compile_all()
{
	local v c ms
	: >"$tmp/compile"
	for v in stackshim-100k:rules100k stackshim-1m:rules1m stackshim-1m:rules1m \
		 stackshim-1m:rules1m miss-1:miss-1 hit-1:hit-1 \
		 miss-many:miss-many hit-many:hit-many; do
		c=$tmp/${v#*:}.conf
		ms=$(compile_ms "$c") || exit 1
		echo "${v#*:} $ms" >>"$tmp/compile"
		env[${v%%:*}-compiled]=$(shimenv "$c" "$tmp/cache")
	done
}

compiled=
if [ -x "$launcher" ] && "$launcher" compile --help >/dev/null 2>&1; then
	echo "compiling the rule configs ($launcher compile)"
	compile_all
	compiled=yes
	nocompile=
else
	nocompile="no compiled variants: \"$launcher compile --help\" does not exit 0 (no stackshim compile in this build)"
	echo "$nocompile"
fi

# The variants of the scale tables, one a line; the compiled ones only
# where the launcher can compile.
sv=(bare)
sv+=(stackshim)
sv+=(stackshim-100k)
sv+=(stackshim-1m)
[ -n "$compiled" ] && sv+=(stackshim-100k-compiled)
[ -n "$compiled" ] && sv+=(stackshim-1m-compiled)
# The decision variants: no rules, a miss and a hit under 1 and many
# prefix lengths.
dv=(stackshim)
dv+=(miss-1)
dv+=(hit-1)
dv+=(miss-many)
dv+=(hit-many)
[ -n "$compiled" ] && dv+=(miss-1-compiled)
[ -n "$compiled" ] && dv+=(hit-1-compiled)
[ -n "$compiled" ] && dv+=(miss-many-compiled)
[ -n "$compiled" ] && dv+=(hit-many-compiled)
# preload VARIANT: the library a spawn of VARIANT preloads ('' bare).
preload() { [ "$1" = bare ] && echo "''" || echo "$lib"; }

# --- running ---------------------------------------------------------------
varenv()	# VARIANT: its environment words
{
	[ "${env[$1]}" = - ] || echo "${env[$1]}"
}

# run VARIANT COMMAND...: COMMAND in a network namespace of its own.
run()
{
	local v=$1
	shift
	# shellcheck disable=SC2046
	unshare -m -n -p -f "$BASH" "$here/run.sh" --in-ns "$tmp" "$net" \
		$(varenv "$v") "$@"
}

# veth_up: $netns-a (10.233.0.1) and $netns-b (10.233.0.2) on a veth pair,
# and bench_net serve listening on 10.233.0.2:5001 in $netns-b.
veth_up()
{
	local i
	ip netns add "$netns-a" && ip netns add "$netns-b" &&
	ip link add ssb0 netns "$netns-a" type veth peer name ssb1 \
		netns "$netns-b" &&
	ip -n "$netns-a" addr add 10.233.0.1/30 dev ssb0 &&
	ip -n "$netns-b" addr add 10.233.0.2/30 dev ssb1 &&
	ip -n "$netns-a" link set lo up && ip -n "$netns-b" link set lo up &&
	ip netns exec "$netns-a" bash -c "$(declare -f wide_ports); wide_ports" &&
	ip -n "$netns-a" link set ssb0 up &&
	ip -n "$netns-b" link set ssb1 up || return 1
	# The last pair's server said ready in this file too: gone first,
	# so that only this one's word is waited for.
	rm -f "$tmp/serve"
	ip netns exec "$netns-b" "$net" serve 0.0.0.0 5001 >"$tmp/serve" &
	srv=$!
	for i in $(seq 100); do
		grep -q ready "$tmp/serve" 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}

veth_down()
{
	kill "$srv" 2>/dev/null
	wait "$srv" 2>/dev/null
	srv=
	ip netns del "$netns-a"
	ip netns del "$netns-b"
}

# vrun VARIANT COMMAND...: COMMAND in $netns-a of a pair made for it.
vrun()
{
	local v=$1 rc
	shift
	veth_up || die "cannot set up the veth pair"
	# shellcheck disable=SC2046
	ip netns exec "$netns-a" env $(varenv "$v") "$@"
	rc=$?
	veth_down
	return $rc
}

# --- what is timed ----------------------------------------------------------
# One line a variant: GROUP LABEL RUNNER ENV ARG... (bench_net's).  The
# first line of a group is what the others are compared with.
spec=$tmp/spec
lo="connect 127.0.0.1 5001 $N_CONNECT"
ve="connect 10.233.0.2 5001 $N_CONNECT"
{
	echo "connect bare run bare $lo"
	echo "connect stackshim run stackshim $lo"
	echo "connect stackshim-ipv6 run stackshim-ipv6 $lo"
	echo "connect kernel-as-upgraded run bare connect ::ffff:127.0.0.1 5001 $N_CONNECT"
	[ -n "$pc_lib" ] && echo "connect proxychains4 run proxychains4 $lo"
	[ -n "$ts_lib" ] && echo "connect torsocks run torsocks $lo"
	echo "veth bare vrun bare $ve"
	echo "veth stackshim-ipv6 vrun stackshim-ipv6 $ve"
	echo "veth kernel-as-upgraded vrun bare connect ::ffff:10.233.0.2 5001 $N_CONNECT"
	[ -n "$tn_lib" ] && echo "veth tnat64 vrun tnat64 $ve"
	echo "udp bare run bare udp 127.0.0.1 $N_UDP"
	echo "udp stackshim run stackshim udp 127.0.0.1 $N_UDP"
	echo "udp stackshim-ipv6 run stackshim-ipv6 udp 127.0.0.1 $N_UDP"
	echo "udp kernel-as-upgraded run bare udp ::ffff:127.0.0.1 $N_UDP"
	for what in numeric:127.0.0.1 name:bench-host; do
		echo "gai-${what%%:*} bare run bare gai ${what#*:} $N_GAI"
		for s in ipv4 dual ipv6; do
			echo "gai-${what%%:*} stackshim-$s run stackshim-$s gai ${what#*:} $N_GAI"
		done
	done
	echo "spawn bare run bare spawn $N_SPAWN '' /bin/true"
	echo "spawn empty-library run bare spawn $N_SPAWN $tmp/nothing.so /bin/true"
	echo "spawn stackshim run conf-default spawn $N_SPAWN $lib /bin/true"
	echo "spawn stackshim-100k run conf-100k spawn $N_SPAWN $lib /bin/true"
	for v in "${sv[@]}"; do
		echo "start $v run $v spawn $N_START $(preload "$v") /bin/true"
	done
	for v in "${sv[@]}"; do
		echo "first $v run $v first"
	done
	if command -v curl >/dev/null; then
		for v in "${sv[@]}"; do
			echo "curl $v run $v spawn $N_CURL $(preload "$v") $(command -v curl) -fsS -o /dev/null --noproxy '*' http://bench-host:5002/"
		done
	fi
	echo "decide stackshim-10 run stackshim-10 connect 127.0.0.1 5001 $N_DECIDE"
	echo "decide stackshim-100k run stackshim-100k connect 127.0.0.1 5001 $N_DECIDE"
} >"$spec"

# The counts of each group, for the time of one operation.
declare -A ops=([connect]=$N_CONNECT [veth]=$N_CONNECT [udp]=$N_UDP
		[gai-numeric]=$N_GAI [gai-name]=$N_GAI [spawn]=$N_SPAWN
		[first]=1 [decide]=$N_DECIDE [start]=$N_START [curl]=$N_CURL)

# runspec LINE-WORDS [TOOL...]: run a spec line's variant, TOOL... before
# bench_net (strace, valgrind).
runspec()
{
	local group=$1 label=$2 runner=$3 v=$4
	shift 4
	local -a args
	eval "args=($*)"
	$runner "$v" "${tool[@]}" "$net" "${args[@]}"
}

# --- checking that each variant does what it is meant to --------------------
# The socket(), connect() and sendto() calls of one short run of a variant,
# under strace, must match: a shim that upgraded nothing, or a peer that
# refused the connection, would otherwise be timed as a fast one.
declare -A expect=(
	[connect:stackshim]='connect\(.*inet_addr\("127\.0\.0\.1"\)'
	[connect:stackshim-ipv6]='connect\(.*"::ffff:127\.0\.0\.1"'
	[connect:kernel-as-upgraded]='connect\(.*"::ffff:127\.0\.0\.1"'
	[connect:proxychains4]='connect\(.*inet_addr\("127\.0\.0\.1"\).* = 0$'
	[connect:torsocks]='connect\(.*inet_addr\("127\.0\.0\.1"\).* = 0$'
	[veth:stackshim-ipv6]='connect\(.*"::ffff:10\.233\.0\.2"'
	[veth:tnat64]='connect\(.*"::ffff:10\.233\.0\.2"'
	[udp:kernel-as-upgraded]='sendto\(.*"::ffff:127\.0\.0\.1"'
	[udp:stackshim-ipv6]='sendto\(.*"::ffff:127\.0\.0\.1"'
	[decide:stackshim-10]='connect\(.*127\.0\.0\.1.* = 0$'
	[decide:stackshim-100k]='connect\(.*127\.0\.0\.1.* = 0$'
)
verify()
{
	local line=$1 key
	set -- $line
	key=$1:$2
	[ -n "${expect[$key]:-}" ] || return 0
	# A short run: the count (the last word) made 2.
	line="${line% *} 2"
	tool=(strace -f -qq -e trace=socket,connect,sendto -o "$tmp/strace")
	runspec $line </dev/null >/dev/null 2>"$tmp/err" ||
		die "$key: failed: $(cat "$tmp/err")"
	tool=()
	grep -Eq -- "${expect[$key]}" "$tmp/strace" ||
		die "$key: no call like /${expect[$key]}/ in:
$(head -20 "$tmp/strace")"
}

tool=()
echo "checking each variant under strace"
while read -r line; do
	verify "$line"
done <"$spec"

# tnat64 0.06 on loopback: what it does there, recorded as it is.
tnat64_loopback="not installed"
if [ -n "$tn_lib" ]; then
	tnat64_loopback=$(run tnat64 "$net" connect 127.0.0.1 5001 2 2>&1 >/dev/null |
			  head -1)
	[ -n "$tnat64_loopback" ] || tnat64_loopback="works"
fi

# --- the timed rounds ----------------------------------------------------------
: >"$tmp/times"
# The hosts-file getaddrinfo group, whose runs last seconds each, gets a
# third of the rounds.
# So do the scale groups' process starts, each of which, under the
# 1,000,000-rule text config, takes tens of milliseconds (start) or about
# a second (curl).
declare -A fewer_rounds=([gai-name]=3 [start]=3 [curl]=3)
for group in $(awk '{ print $1 }' "$spec" | uniq); do
	n=$(((rounds + ${fewer_rounds[$group]:-1} - 1) / ${fewer_rounds[$group]:-1}))
	echo "timing $group: $n rounds of $(grep -c "^$group " "$spec") variants"
	for r in $(seq "$n"); do
		grep "^$group " "$spec" | while read -r line; do
			t=$(runspec $line </dev/null) ||
				die "$group: $line: failed"
			set -- $line
			echo "$1 $2 $t $r" >>"$tmp/times"
		done || exit 1
	done
done

# --- instructions per call ------------------------------------------------------
# callgrind over the loop of a variant (bench_loop_*, whose callees are the
# calls timed): inclusive Ir of each call it makes, by callee name, divided
# by the number of calls.  Appends "GROUP LABEL CALL IR" to $tmp/ir.
# The awk function name() of both readings of callgrind's files: a
# function's name from "(12) connect", which defines id 12, or "(12)".
cg_names='
	function name(s,   id, rest) {
		if (match(s, /^\([0-9]+\)/)) {
			id = substr(s, 2, RLENGTH - 2)
			rest = substr(s, RLENGTH + 2)
			if (rest != "") names[id] = rest
			return names[id]
		}
		return s
	}'
callgrind_calls()
{
	awk -v key="$1" "$cg_names"'
		/^fn=/ { fn = name(substr($0, 4)); next }
		/^cfn=/ { callee = name(substr($0, 5)); next }
		/^calls=/ { split(substr($0, 7), c, " "); n = c[1]; pending = 1; next }
		pending && /^[0-9+*-]/ {
			pending = 0
			if (fn ~ /^bench_loop_/) { ir[callee] += $2; calls[callee] += n }
			next
		}
		END { for (f in ir) if (calls[f]) printf "%s %s %.0f\n", key, f, ir[f] / calls[f] }
	' "$2"
}

: >"$tmp/ir"
irspec()
{
	local n=$N_IR
	grep -E "^(connect (bare|stackshim|stackshim-ipv6|proxychains4|torsocks)|udp (bare|stackshim-ipv6)|gai-numeric|gai-name) " "$spec" |
		sed "s/ [0-9]*\$/ $n/"
	# tnat64 fails on loopback: counted across the veth pair.
	[ -n "$tn_lib" ] && echo "connect tnat64 vrun tnat64 connect 10.233.0.2 5001 $n"
	echo "connect bare-veth vrun bare connect 10.233.0.2 5001 $n"
}
if command -v valgrind >/dev/null; then
	echo "counting instructions (callgrind)"
	irspec >"$tmp/irspec"
	while read -r line; do
		set -- $line
		loop=$1
		case $loop in gai-*) loop=gai ;; esac
		tool=(valgrind --tool=callgrind --callgrind-out-file="$tmp/cg.out"
		      --collect-atstart=no --toggle-collect="bench_loop_$loop")
		runspec $line </dev/null >/dev/null 2>"$tmp/err" ||
			die "callgrind: $line: $(tail -5 "$tmp/err")"
		callgrind_calls "$1 $2" "$tmp/cg.out" >>"$tmp/ir"
	done <"$tmp/irspec"
	tool=()
fi

# --- memory ----------------------------------------------------------------------
: >"$tmp/mem"
echo "measuring memory"
for r in 1 2 3; do
	for v in bare stackshim stackshim-100k; do
		echo "$v $(run "$v" "$net" mem "$N_SOCKETS" </dev/null)" >>"$tmp/mem" ||
			die "mem: $v failed"
	done
done

# --- policy at scale: instructions and memory -------------------------------------
# Per decision: socket()+connect()+close() of bench_net decide's loop (the
# policy loaded and the first connect made before it), "decide VARIANT
# CALL IR" in $tmp/dir.  Per process: python3 -c 'import socket;
# socket.socket()', the whole process's Ir (python3's own children not
# followed), "VARIANT IR" in $tmp/py.
: >"$tmp/py"
: >"$tmp/dir"
if command -v valgrind >/dev/null; then
	echo "counting instructions of the scale variants (callgrind)"
	for v in "${dv[@]}"; do
		run "$v" valgrind --tool=callgrind --callgrind-out-file="$tmp/cg.out" \
			--collect-atstart=no --toggle-collect=bench_loop_connect \
			"$net" decide 127.0.0.1 5001 "$N_IR" </dev/null >/dev/null 2>"$tmp/err" ||
			die "callgrind: decide $v: $(tail -5 "$tmp/err")"
		callgrind_calls "decide $v" "$tmp/cg.out" >>"$tmp/dir"
	done
	# The interpreter itself, not a wrapper script (pyenv's) that
	# execs it, which --trace-children=no would leave uncounted.
	py=/usr/bin/python3
	[ -x "$py" ] || py=$(command -v python3)
	if [ -n "$py" ]; then
		for v in "${sv[@]}"; do
			run "$v" valgrind --tool=callgrind --trace-children=no \
				--callgrind-out-file="$tmp/cg.py" "$py" -c \
				'import socket; socket.socket()' </dev/null >/dev/null 2>"$tmp/err" ||
				die "callgrind: python3 $v: $(tail -5 "$tmp/err")"
			m=$(awk '/^(summary|totals):/ { print $2; exit }' "$tmp/cg.py")
			[ -n "$m" ] || die "callgrind: python3 $v: no total in $tmp/cg.py"
			echo "$v $m" >>"$tmp/py"
		done
	fi
fi

# Private memory: "VARIANT ANON0 ANON1" (bench_net private), 3 runs each;
# shared: "VARIANT RSS PSS ANON", the sums over N_SHARE processes holding
# the policy loaded (bench_net share), one run each.
: >"$tmp/private"
: >"$tmp/share"
echo "measuring the scale variants' memory"
for r in 1 2 3; do
	for v in "${sv[@]}"; do
		m=$(run "$v" "$net" private </dev/null) || die "private: $v failed"
		echo "$v $m" >>"$tmp/private"
	done
done
for v in "${sv[@]}"; do
	m=$(run "$v" "$net" share "$N_SHARE" </dev/null) || die "share: $v failed"
	echo "$v $m" >>"$tmp/share"
done

# --- the rule engine --------------------------------------------------------------
echo "the rule engine (bench_rules)"
"$rules" >"$tmp/rules" 2>&1 || die "bench_rules failed: $(cat "$tmp/rules")"
# Instructions per lookup: the mean of N_IR lookups of each sort in
# bench_rules' bench_loop_SORT functions, by number of rules, and in () over
# the 10-rule config's: a lookup whose cost grew with the number of rules
# would show there plainly, whatever the machine's load.
if command -v valgrind >/dev/null; then
	sizes="10 1000 10000 100000"
	for size in $sizes; do
		valgrind --tool=callgrind --callgrind-out-file="$tmp/cg.rules" \
			--collect-atstart=no --toggle-collect='bench_loop_*' \
			"$rules" --lookups "$size" "$N_IR" >"$tmp/err" 2>&1 ||
			die "bench_rules --lookups $size: $(tail -5 "$tmp/err")"
		# "SIZE SORT IR": a loop's inclusive Ir, from its own cost
		# lines and its calls' (the format callgrind_calls reads).
		awk -v size="$size" "$cg_names"'
			/^fn=/ { fn = name(substr($0, 4)); next }
			/^cfn=/ { name(substr($0, 5)); next }
			/^calls=/ { pending = 1; next }
			/^[0-9+*-]/ {
				if (fn ~ /^bench_loop_/) ir[fn] += $2
				pending = 0
			}
			END { for (f in ir) { sub(/^bench_loop_/, "", f); print size, f, ir["bench_loop_" f] } }
		' "$tmp/cg.rules" >>"$tmp/rules.ir"
	done
	{
		echo
		echo "Instructions per lookup (callgrind Ir, the mean of $N_IR lookups), and"
		echo "in () over the 10-rule config's:"
		echo
		awk -v count="$N_IR" -v sizes="$sizes" '
			{ ir[$1, $2] = $3 / count }
			END {
				ns = split(sizes, n, " ")
				split("addr_hit addr_hot addr_miss name_hit name_hot name_miss", sort, " ")
				split("addr hit|addr hit, 16|addr miss|name hit|name hit, 16|name miss", label, "|")
				printf "%-14s", "rules"
				for (i = 1; i <= ns; i++) printf " %15s", n[i]
				printf "\n"
				for (s = 1; s <= 6; s++) {
					printf "%-14s", label[s]
					for (i = 1; i <= ns; i++) {
						v = ir[n[i], sort[s]]; b = ir[n[1], sort[s]]
						printf " %7.0f (%4.2fx)", v, b ? v / b : 0
					}
					printf "\n"
				}
			}' "$tmp/rules.ir"
	} >>"$tmp/rules"
fi

# --- the report ---------------------------------------------------------------------
# Medians: "GROUP LABEL MEDIAN-NS".
awk '{ print $1, $2, $3 }' "$tmp/times" | sort -k1,1 -k2,2 -k3,3n |
	awk '{ k = $1 " " $2; v[k, ++n[k]] = $3; if (!(k in seen)) { seen[k]; order[++m] = k } }
	     END { for (i = 1; i <= m; i++) { k = order[i]; c = n[k]
		   med = c % 2 ? v[k, (c + 1) / 2] : (v[k, c / 2] + v[k, c / 2 + 1]) / 2
		   print k, med } }' >"$tmp/medians"

median() { awk -v g="$1" -v l="$2" '$1 == g && $2 == l { print $3 }' "$tmp/medians"; }

# paired GROUP A B: the median, over the rounds, of A's time over B's in
# the same round.  Both ran seconds apart, so a spell in which the machine
# is slower or faster (this VM has them, lasting seconds) weighs on both
# alike; two medians taken apart could each come from another spell.
paired()
{
	awk -v g="$1" -v a="$2" -v b="$3" '
		$1 == g && $2 == a { ta[$4] = $3 }
		$1 == g && $2 == b { tb[$4] = $3 }
		END { for (r in ta) if ((r in tb) && tb[r] > 0) print ta[r] / tb[r] }' \
		"$tmp/times" | sort -g |
		awk '{ v[++n] = $1 }
		     END { if (!n) print "-"
			   else printf "%.3f", n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2 }'
}
irof() { awk -v g="$1" -v l="$2" -v c="$3" '$1 == g && $2 == l && $3 == c { print $4 }' "$tmp/ir"; }

declare -A title=(
	[connect]="TCP connect()+close() over loopback, $N_CONNECT connections a run"
	[veth]="TCP connect()+close() across a veth pair between two namespaces, $N_CONNECT connections a run"
	[udp]="UDP sendto()+recvfrom() of $N_UDP datagrams over loopback"
	[gai-numeric]="getaddrinfo(\"127.0.0.1\", \"80\") and freeaddrinfo(), $N_GAI calls"
	[gai-name]="getaddrinfo(\"bench-host\", \"80\") from the hosts file and freeaddrinfo(), $N_GAI calls"
	[spawn]="process start: fork(), exec /bin/true, wait, $N_SPAWN times"
	[first]="the first network call of a process, socket(AF_INET) (the lazy load of the policy)"
	[decide]="decision cost: connect()+close() over loopback, $N_DECIDE connections, decided by a rule among 10 or 100,000"
	[start]="a process that makes no network call: fork(), exec /bin/true, wait, $N_START times"
	[curl]="curl, one request to an HTTP server on loopback (bench-host, from the run's hosts file): fork(), exec, wait, $N_CURL times"
)
declare -A about=(
	[bare]="no preload"
	[stackshim]="stackshim, default policy (pass-through)"
	[stackshim-ipv4]="stackshim, stack = ipv4"
	[stackshim-dual]="stackshim, stack = dual"
	[stackshim-ipv6]="stackshim, stack = ipv6 (AF_INET client upgraded to ::ffff:a.b.c.d)"
	[stackshim-10]="stackshim, 10 rules"
	[stackshim-100k]="stackshim, 100,000 rules"
	[stackshim-1m]="stackshim, $N_1M rules"
	[stackshim-100k-compiled]="stackshim, 100,000 rules, compiled"
	[stackshim-1m-compiled]="stackshim, $N_1M rules, compiled"
	[miss-1]="$N_LEN rules, all /24, none fits 127.0.0.1"
	[hit-1]="$N_LEN rules, all /24, 127.0.0.0/24 allowed"
	[miss-many]="$N_LEN rules, /0-/32 and /0-/128 (33 and 129 lengths), none fits"
	[hit-many]="$N_LEN rules, 33 and 129 lengths, 127.0.0.0/8 allowed"
	[empty-library]="a preload library with nothing in it (the loader's own cost of a preload)"
	[kernel-as-upgraded]="no preload, the program itself on AF_INET6 to ::ffff:a.b.c.d (the kernel's cost of an upgraded socket)"
	[proxychains4]="proxychains4, loopback excluded (localnet)"
	[torsocks]="torsocks, AllowOutboundLocalhost"
	[tnat64]="tnat64, nat64_prefix = ::ffff:0:0"
)

for c in miss-1 hit-1 miss-many hit-many; do
	about[$c-compiled]="${about[$c]}, compiled"
done

pretty() { awk -v t="$1" 'BEGIN { if (t == "") print "-"; else if (t >= 1e9) printf "%.3f s", t / 1e9; else if (t >= 1e6) printf "%.2f ms", t / 1e6; else if (t >= 1e3) printf "%.2f µs", t / 1e3; else printf "%.0f ns", t }'; }

# scale_targets: issue 20's, each on the compiled variant where there is
# one, else on the text variant.
scale_targets()
{
	local m v c lim
	m=$(best stackshim-1m)
	target "no network call, $N_1M rules: the policy costs < 0.1 ms at start ($m, over the default policy)" "$(startcost "$m")" 0.1 " ms"
	target "no network call, $N_1M rules: the policy costs ≤ 64 KiB private at start ($m, over the default policy)" "$(over "$(colmed "$tmp/private" "$m" 2)" "$(colmed "$tmp/private" stackshim 2)")" 64 " KiB"
	target "first network call, $N_1M rules, < 1 ms ($m)" "$(awk -v t="$(median first "$m")" 'BEGIN { if (t != "") printf "%.3f", t / 1e6; else print "-" }')" 1 " ms"
	target "first network call, $N_1M rules, < 1 MiB private after it ($m, over bare)" "$(over "$(colmed "$tmp/private" "$m" 3)" "$(colmed "$tmp/private" bare 3)")" 1024 " KiB"
	for c in miss-1 miss-many hit-1 hit-many; do
		v=$(best "$c")
		lim=300
		[ "${c%%-*}" = miss ] && lim=100
		target "a ${c%%-*} ≤ +$lim Ir over no rules, ${about[$c]} ($v)" \
			"$(over "$(decir "$v")" "$(decir stackshim)")" "$lim" " Ir"
	done
	for c in stackshim-100k stackshim-1m; do
		v=$(best "$c")
		target "curl one request ≤ 1.05× bare, ${about[$c]#stackshim, } ($v)" "$(paired curl "$v" bare)" 1.05 ×
	done
	target "stackshim compile of $N_1M rules < 2 s" "$(awk -v t="$(compile_med rules1m)" 'BEGIN { if (t != "") printf "%.3f", t / 1000; else print "-" }')" 2 " s"
}

report()
{
	local g first l med
	echo "# stackshim benchmarks"
	echo
	echo "Written by \`make bench\` (bench/run.sh) on $(date -u '+%Y-%m-%d %H:%M UTC')."
	echo "Each run is one process in a network namespace of its own; the variants of"
	echo "a benchmark run in turn, round after round ($rounds rounds; a third of them"
	echo "for the hosts-file getaddrinfo, whose runs last seconds).  A run's time is"
	echo "the median of its rounds; a ratio is the median of the rounds' own ratios,"
	echo "each round's run over the first row's run of the same round, so that a spell"
	echo "in which this VM runs slower weighs on both alike.  Times are the program's own loop,"
	echo "never the start of the process or the load of a shim (except where that is"
	echo "what is measured).  Counts divided by $scale."
	echo
	echo "## Machine"
	echo
	echo "- CPU: $(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores; $(lscpu 2>/dev/null | sed -n 's/^Hypervisor vendor: *//p' | sed 's/^/hypervisor: /')"
	echo "- memory: $(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)"
	echo "- kernel: $(uname -sr); Debian $(cat /etc/debian_version 2>/dev/null); $(ldd --version 2>/dev/null | head -1)"
	echo "- compiler: $(${CC:-cc} --version 2>/dev/null | head -1)"
	echo "- stackshim: $(git -C "$here/.." describe --always --dirty 2>/dev/null || echo "$STACKSHIM_VERSION")"
	echo "- peers: $(dpkg-query -W -f '${Package} ${Version}; ' proxychains4 torsocks tnat64 2>/dev/null)"
	echo "- load while measuring: $(cut -d' ' -f1-3 /proc/loadavg)"
	echo
	echo "## Time"
	for g in $(awk '{ print $1 }' "$spec" | uniq); do
		echo
		echo "### ${title[$g]}"
		echo
		first=$(awk -v g="$g" '$1 == g { print $2; exit }' "$spec")
		echo "| variant | median of a run | per operation | × $first |"
		echo "|---|---:|---:|---:|"
		for l in $(awk -v g="$g" '$1 == g { print $2 }' "$spec"); do
			med=$(median "$g" "$l")
			echo "| $l: ${about[$l]} | $(pretty "$med") | $(pretty "$(awk -v t="$med" -v n="${ops[$g]}" 'BEGIN { print t / n }')") | $(paired "$g" "$l" "$first") |"
		done
		[ "$g" = connect ] && { echo; echo "tnat64 on loopback: $tnat64_loopback"; }
	done
	echo
	echo "## Instructions per call (callgrind Ir, inclusive; $N_IR calls)"
	echo
	echo "Added = the call's instructions under the preload less libc's own"
	echo "(the kernel's work is not counted).  tnat64 is counted across the veth"
	echo "pair, beside the bare run there, since it cannot connect over loopback."
	echo
	echo "| call | variant | Ir per call | added |"
	echo "|---|---|---:|---:|"
	awk '{ print }' "$tmp/ir" | sort | while read -r g l c ir; do
		local b=bare
		[ "$l" = tnat64 ] && b=bare-veth
		[ "$l" = bare ] || [ "$l" = bare-veth ] && continue
		case $c in socket|connect|close|sendto|recvfrom|getaddrinfo|freeaddrinfo) ;; *) continue ;; esac
		echo "| $g: $c | $l | $ir | $(( ir - $(irof "$g" "$b" "$c") )) |"
	done
	echo
	echo "## Memory (VmRSS, medians of 3 runs)"
	echo
	echo "| variant | at start | after the first socket() | per socket, $N_SOCKETS more |"
	echo "|---|---:|---:|---:|"
	awk -v n="$N_SOCKETS" '
		{ k = $1; a[k, ++c[k]] = $2; b[k, c[k]] = $3; d[k, c[k]] = $4 - $3 }
		function med(arr, k,   i, j, t, x) {
			for (i = 1; i <= c[k]; i++) x[i] = arr[k, i]
			for (i = 1; i <= c[k]; i++) for (j = i + 1; j <= c[k]; j++)
				if (x[j] < x[i]) { t = x[i]; x[i] = x[j]; x[j] = t }
			return x[int((c[k] + 1) / 2)]
		}
		END {
			split("bare stackshim stackshim-100k", vs, " ")
			for (i = 1; i <= 3; i++) {
				v = vs[i]
				if (v == "bare")
					printf "| %s | %d KiB | %d KiB | %.1f bytes |\n", v, med(a, v), med(b, v), med(d, v) * 1024 / n
				else
					printf "| %s | %d KiB (+%d) | %d KiB (+%d) | %+.1f bytes |\n", v, med(a, v), med(a, v) - med(a, "bare"), med(b, v), med(b, v) - med(b, "bare"), (med(d, v) - med(d, "bare")) * 1024 / n
			}
		}' "$tmp/mem"
	echo
	echo "## The rule engine (bench/bench_rules)"
	echo
	echo '```'
	cat "$tmp/rules"
	echo '```'
	echo
	scale_report
	echo
	targets
	if [ -f "$here/analysis.md" ]; then
		echo
		cat "$here/analysis.md"
	fi
}

# --- policy at scale: the report ------------------------------------------------------
# colmed FILE VARIANT COLUMN: the median of a variant's column in FILE.
colmed()
{
	awk -v v="$2" -v c="$3" '$1 == v { print $c }' "$1" | sort -n |
		awk '{ x[++n] = $1 } END { if (n) print x[int((n + 1) / 2)] }'
}
# over A B: A - B, or "-" where either is missing.
over() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "") print "-"; else print a - b }'; }
# startcost VARIANT: ms a process start costs over the default policy's.
startcost()
{
	awk -v a="$(median start "$1")" -v b="$(median start stackshim)" -v n="$N_START" \
		'BEGIN { if (a == "" || b == "") print "-"; else printf "%.3f", (a - b) / n / 1e6 }'
}
# decir VARIANT: socket()+connect()+close() Ir of one decision.
decir()
{
	awk -v k="$1" '$1 == "decide" && $2 == k && ($3 == "socket" || $3 == "connect" || $3 == "close") { s += $4; n++ }
		END { if (n == 3) print s }' "$tmp/dir"
}
pyof() { awk -v v="$1" '$1 == v { print $2 }' "$tmp/py"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b == 0) print "-"; else printf "%.3f", a / b }'; }
# best NAME: the compiled variant of NAME where there is one.
best() { if [ -n "$compiled" ]; then echo "$1-compiled"; else echo "$1"; fi; }
compile_med() { [ -n "$compiled" ] && colmed "$tmp/compile" "$1" 2; }

scale_report()
{
	local v
	echo "## Policy at scale (issue 20)"
	echo
	echo "The configs: 100,000 and $N_1M rules of bench/rules.c's ten kinds (the"
	echo "first allows 127.0.0.0/8); the decision configs $N_LEN rules each.  The"
	echo "text variants run with STACKSHIM_CACHE_DIR an empty directory (today's"
	echo "path, parse at the first network call); the compiled ones with the cache"
	echo "\`stackshim compile\` wrote."
	[ -n "$compiled" ] || { echo; echo "${nocompile}."; }
	echo
	echo "### A process that makes no network call"
	echo
	echo "Time: the start group's median run over its $N_START processes; memory:"
	echo "smaps_rollup's Anonymous (pages that only this process can hold; a file"
	echo "page that one process maps, such as an index's, is not in it) when main()"
	echo "begins, after the constructors, the median of 3 runs.  \"+\" = over the"
	echo "default policy (stackshim, no rules): what the policy costs."
	echo
	echo "| variant | per process | + | private memory at start | + |"
	echo "|---|---:|---:|---:|---:|"
	for v in "${sv[@]}"; do
		echo "| $v | $(pretty "$(awk -v t="$(median start "$v")" -v n="$N_START" 'BEGIN { if (t != "") print t / n }')") | $(startcost "$v") ms | $(colmed "$tmp/private" "$v" 2) KiB | $(over "$(colmed "$tmp/private" "$v" 2)" "$(colmed "$tmp/private" stackshim 2)") KiB |"
	done
	echo
	echo "### The first network call, curl and python3 (the issue's table)"
	echo
	echo "First call: socket(AF_INET), the median of $rounds processes.  Private"
	echo "memory after it: Anonymous after that socket() (median of 3), + over bare."
	echo "curl: the paired ratio of $N_CURL runs of one request.  python3 -c 'import"
	echo "socket; socket.socket()': the whole process's instructions (callgrind,"
	echo "--trace-children=no) over bare's."
	echo
	echo "| variant | first network call | private memory after it | curl, × bare | python3, Ir × bare |"
	echo "|---|---:|---:|---:|---:|"
	for v in "${sv[@]}"; do
		echo "| $v | $(pretty "$(median first "$v")") | +$(over "$(colmed "$tmp/private" "$v" 3)" "$(colmed "$tmp/private" bare 3)") KiB | $(paired curl "$v" bare)× | $(ratio "$(pyof "$v")" "$(pyof bare)")× |"
	done
	echo
	echo "### Instructions per decision, by prefix lengths in use"
	echo
	echo "socket()+connect()+close() to 127.0.0.1 (callgrind Ir, inclusive, the mean"
	echo "of $N_IR after the policy's load and a first connect), and + over the"
	echo "default policy (no rules)."
	echo
	echo "| variant | config | Ir per decision | + |"
	echo "|---|---|---:|---:|"
	for v in "${dv[@]}"; do
		echo "| $v | ${about[$v]} | $(decir "$v") | $(over "$(decir "$v")" "$(decir stackshim)") |"
	done
	echo
	echo "### Memory shared between $N_SHARE processes"
	echo
	echo "$N_SHARE processes of one variant, each after its first socket(), all"
	echo "alive: the sums of their smaps_rollup Rss, Pss (a shared page divided"
	echo "among those who map it) and Anonymous."
	echo
	echo "| variant | Σ Rss | Σ Pss | Σ Anonymous | Pss / Rss |"
	echo "|---|---:|---:|---:|---:|"
	for v in "${sv[@]}"; do
		awk -v v="$v" '$1 == v { printf "| %s | %d KiB | %d KiB | %d KiB | %.2f |\n", v, $2, $3, $4, $2 ? $3 / $2 : 0 }' "$tmp/share"
	done
	echo
	echo "### stackshim compile"
	echo
	if [ -n "$compiled" ]; then
		echo "| config | compile (ms) |"
		echo "|---|---:|"
		for v in rules100k rules1m miss-1 hit-1 miss-many hit-many; do
			echo "| $v | $(compile_med "$v") |"
		done
		echo
		echo "rules1m: the median of 3 compiles."
	else
		echo "${nocompile}."
	fi
}

# target TEXT VALUE LIMIT UNIT: a row of the targets table.
target()
{
	local met=missed
	awk -v v="$2" -v l="$3" 'BEGIN { exit !(v != "-" && v != "" && v <= l) }' && met=met
	echo "| $1 | $2$4 | $met |"
}

targets()
{
	local s
	echo "## Targets"
	echo
	echo "| target | measured | |"
	echo "|---|---:|---|"
	target "pass-through connect ≤ 1.02× bare" "$(paired connect stackshim bare)" 1.02 ×
	for p in proxychains4 torsocks; do
		[ -n "$(irof connect "$p" connect)" ] || continue
		target "pass-through connect adds fewer instructions than $p ($(( $(irof connect "$p" connect) - $(irof connect bare connect) )))" \
			"$(( $(irof connect stackshim connect) - $(irof connect bare connect) ))" \
			"$(( $(irof connect "$p" connect) - $(irof connect bare connect) - 1 ))" " Ir"
	done
	target "upgraded connect ≤ 1.05× bare (loopback)" "$(paired connect stackshim-ipv6 bare)" 1.05 ×
	target "upgraded connect ≤ 1.05× bare (veth)" "$(paired veth stackshim-ipv6 bare)" 1.05 ×
	[ -n "$tn_lib" ] &&
		target "upgraded connect ≤ tnat64 (veth)" "$(paired veth stackshim-ipv6 tnat64)" 1.00 ×
	target "upgraded connect ≤ 1.05× the kernel's own upgraded path (loopback; the shim's share)" "$(paired connect stackshim-ipv6 kernel-as-upgraded)" 1.05 ×
	target "upgraded connect ≤ 1.05× the kernel's own upgraded path (veth; the shim's share)" "$(paired veth stackshim-ipv6 kernel-as-upgraded)" 1.05 ×
	target "UDP, upgraded, ≤ 1.03× bare" "$(paired udp stackshim-ipv6 bare)" 1.03 ×
	target "UDP, upgraded, ≤ 1.03× the kernel's own upgraded path (the shim's share)" "$(paired udp stackshim-ipv6 kernel-as-upgraded)" 1.03 ×
	for s in ipv4 dual ipv6; do
		target "numeric getaddrinfo ≤ 1.10× bare, stack = $s" "$(paired gai-numeric stackshim-$s bare)" 1.10 ×
	done
	target "process start ≤ 1.05× bare, default policy" "$(paired spawn stackshim bare)" 1.05 ×
	target "a 100,000-rule config loaded lazily (at the first network call) in under 50 ms" "$(awk -v t="$(median first stackshim-100k)" 'BEGIN { printf "%.1f", t / 1e6 }')" 50 " ms"
	target "process start ≤ 1.05× an empty preload library (the shim's own share)" "$(paired spawn stackshim empty-library)" 1.05 ×
	target "decision cost, 100,000 rules ≤ 1.2× 10 rules" "$(paired decide stackshim-100k stackshim-10)" 1.20 ×
	scale_targets
}

report >"$tmp/report" || die "cannot write the report"
cp "$tmp/report" "$out"
sed -n '/^## Time/,$p' "$tmp/report" | sed '/^## The rule engine/,/^## Targets/{/^## Targets/!d}'
echo
echo "written to $out"
