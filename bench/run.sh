#!/bin/bash
# run.sh - the driver of "make bench":
#	bench/run.sh BENCH_NET BENCH_RULES LIBSTACKSHIM OUTPUT
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
# BENCH_SCALE=N divides every count by N (a quick look; tests/bench.sh).
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
	mount --make-rprivate / &&
		mount --bind "$t/hosts" /etc/hosts &&
		mount --bind "$t/nsswitch.conf" /etc/nsswitch.conf &&
		ip link set lo up && wide_ports || exit 99
	"$server" serve :: 5001 >"$t/serve.$$" &
	for i in $(seq 100); do
		grep -q ready "$t/serve.$$" 2>/dev/null && break
		sleep 0.02
	done
	rm -f "$t/serve.$$"
	env "$@"
	exit
fi

net=${1:?usage: run.sh BENCH_NET BENCH_RULES LIBSTACKSHIM OUTPUT}
rules=${2:?}
lib=${3:?}
out=${4:?}
here=$(cd "$(dirname "$0")" && pwd)
rounds=${BENCH_ROUNDS:-21}
scale=${BENCH_SCALE:-1}
case $net in /*) ;; *) net=$PWD/$net ;; esac
case $rules in /*) ;; *) rules=$PWD/$rules ;; esac
case $lib in /*) ;; *) lib=$PWD/$lib ;; esac

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

# --- the environment of the runs -------------------------------------------
printf '127.0.0.1\tlocalhost\n::1\tlocalhost\n127.0.0.1\tbench-host\n::1\tbench-host\n' >"$tmp/hosts"
printf 'hosts: files\n' >"$tmp/nsswitch.conf"
: >"$tmp/empty.conf"
# The rule configs: 10 or 100,000 rules of ten kinds (as bench/rules.c
# writes them), the first of which allows loopback, so that every connect
# of the decision benchmark is decided by a rule.
write_rules()
{
	awk -v n="$1" 'BEGIN {
		split("allow deny map", act, " ")
		print "allow = 127.0.0.0/8"
		for (i = 1; i < n; i++) {
			a = act[i % 3 + 1]; j = int(i / 10); k = i % 10
			if (k == 0) printf "%s = 10.%d.%d.0/24\n", a, int(j / 256), j % 256
			else if (k == 1) printf "%s = 11.%d.%d.%d\n", a, int(j / 65536), int(j / 256) % 256, j % 256
			else if (k == 2) printf "%s = %d.%d.0.0/16\n", a, 12 + int(j / 256), j % 256
			else if (k == 3) printf "%s = 172.%d.%d.%d/28 1000-1999 tcp\n", a, 16 + int(j / 4096) % 16, int(j / 16) % 256, (j % 16) * 16
			else if (k == 4) printf "%s = 2001:db8:%x::/48\n", a, j
			else if (k == 5) printf "%s = 2001:db9:0:%x::/64\n", a, j
			else if (k == 6) printf "%s = 2001:dba::%x\n", a, j
			else if (k == 7) printf "%s = h%d.bench.test\n", a, j
			else if (k == 8) printf "%s = *.d%d.bench.test\n", a, j
			else printf "%s = p%d.bench.test 443 tcp\n", a, j
		}
	}' >"$2"
}
write_rules 10 "$tmp/rules10.conf"
write_rules 100000 "$tmp/rules100k.conf"
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
env[stackshim]="LD_PRELOAD=$lib STACKSHIM_CONF=$tmp/empty.conf"
for s in ipv4 dual ipv6; do
	env[stackshim-$s]="${env[stackshim]} STACKSHIM_STACK=$s"
done
env[stackshim-10]="LD_PRELOAD=$lib STACKSHIM_CONF=$tmp/rules10.conf"
env[stackshim-100k]="LD_PRELOAD=$lib STACKSHIM_CONF=$tmp/rules100k.conf"
[ -n "$pc_lib" ] &&
	env[proxychains4]="LD_PRELOAD=$pc_lib PROXYCHAINS_CONF_FILE=$tmp/proxychains.conf PROXYCHAINS_QUIET_MODE=1"
[ -n "$ts_lib" ] &&
	env[torsocks]="LD_PRELOAD=$ts_lib TORSOCKS_CONF_FILE=$tmp/torsocks.conf"
[ -n "$tn_lib" ] &&
	env[tnat64]="LD_PRELOAD=$tn_lib TNAT64_CONF_FILE=$tmp/tnat64.conf"

# process start: the preload is bench_net spawn's argument, for the
# children only; the config reaches them through the environment.
env[conf-default]="STACKSHIM_CONF=$tmp/empty.conf"
env[conf-100k]="STACKSHIM_CONF=$tmp/rules100k.conf"

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
	echo "first bare run bare first"
	echo "first stackshim run stackshim first"
	echo "first stackshim-100k run stackshim-100k first"
	echo "decide stackshim-10 run stackshim-10 connect 127.0.0.1 5001 $N_DECIDE"
	echo "decide stackshim-100k run stackshim-100k connect 127.0.0.1 5001 $N_DECIDE"
} >"$spec"

# The counts of each group, for the time of one operation.
declare -A ops=([connect]=$N_CONNECT [veth]=$N_CONNECT [udp]=$N_UDP
		[gai-numeric]=$N_GAI [gai-name]=$N_GAI [spawn]=$N_SPAWN
		[first]=1 [decide]=$N_DECIDE)

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
declare -A fewer_rounds=([gai-name]=3)
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
)
declare -A about=(
	[bare]="no preload"
	[stackshim]="stackshim, default policy (pass-through)"
	[stackshim-ipv4]="stackshim, stack = ipv4"
	[stackshim-dual]="stackshim, stack = dual"
	[stackshim-ipv6]="stackshim, stack = ipv6 (AF_INET client upgraded to ::ffff:a.b.c.d)"
	[stackshim-10]="stackshim, 10 rules"
	[stackshim-100k]="stackshim, 100,000 rules"
	[empty-library]="a preload library with nothing in it (the loader's own cost of a preload)"
	[kernel-as-upgraded]="no preload, the program itself on AF_INET6 to ::ffff:a.b.c.d (the kernel's cost of an upgraded socket)"
	[proxychains4]="proxychains4, loopback excluded (localnet)"
	[torsocks]="torsocks, AllowOutboundLocalhost"
	[tnat64]="tnat64, nat64_prefix = ::ffff:0:0"
)

pretty() { awk -v t="$1" 'BEGIN { if (t == "") print "-"; else if (t >= 1e9) printf "%.3f s", t / 1e9; else if (t >= 1e6) printf "%.2f ms", t / 1e6; else if (t >= 1e3) printf "%.2f µs", t / 1e3; else printf "%.0f ns", t }'; }

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
	targets
	if [ -f "$here/analysis.md" ]; then
		echo
		cat "$here/analysis.md"
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
}

report >"$tmp/report" || die "cannot write the report"
cp "$tmp/report" "$out"
sed -n '/^## Time/,$p' "$tmp/report" | sed '/^## The rule engine/,/^## Targets/{/^## Targets/!d}'
echo
echo "written to $out"
