#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/shim/ifaddrs.sh - getifaddrs() lists the interfaces of the emulated
# host (issue 16, deliver 10), compared with real hosts of each stack.
#
# Each host is a network namespace of its own, with lo (127.0.0.1, ::1)
# and a veth pair (fixed hardware addresses, no link-local address made),
# veth0 holding 192.0.2.1/24 and 2001:db8::1/64:
#
#   dual     as above
#   ipv4     IPv6 disabled (net.ipv6.conf.{all,default}.disable_ipv6=1)
#            before anything is set up: no ::1, no 2001:db8::1
#   ipv6     no 192.0.2.1; lo keeps 127.0.0.1, as on real IPv6-only hosts
#   ipv6-nolo  ipv6 without lo's 127.0.0.1 either
#
# The probe (tests/shim/ifaddrs-probe.c) prints (family, address,
# interface) for every entry; run under the launcher in the dual host it
# must print what it prints bare in the host of the emulated stack:
# --stack ipv4 / ipv4, --stack ipv6 / ipv6, --stack ipv6 --ipv4-loopback
# no / ipv6-nolo, --stack dual / dual.  Audit mode lists what bare does
# and logs the same lines, audit=yes; a policy that failed closed lists
# the links only.  Node's os.networkInterfaces() (when node is installed)
# is compared the same way.  The log's lines for the left-out addresses;
# and, under valgrind, that the edited lists are freed by freeifaddrs()
# without a leak or a bad free, with a stand-in libc (ifaddrs-fake.c)
# whose list starts with an entry the hook drops, or holds nothing else.
#
# Needs root, unshare and ip (else 77), a C compiler; valgrind and node
# where installed.

set -u

: "${top_srcdir:?top_srcdir must be set}"
# shellcheck source=tests/shim/lib.sh
. "$top_srcdir/tests/shim/lib.sh"
# Real hosts are the truth here: IPv4 loopback is on every stack.
unset STACKSHIM_IPV4_LOOPBACK

if [ "$(id -u)" -ne 0 ] || ! command -v ip >/dev/null ||
	! unshare --net true 2>/dev/null; then
	echo "SKIP: needs root, unshare and ip (network namespaces)"
	exit 77
fi
build_probe "$tmp/ifaddrs-probe" ifaddrs-probe.c
fake=$tmp/ifaddrs-fake.so
# shellcheck disable=SC2086 # SANITIZER_CFLAGS is a list of flags
${CC:-cc} -std=gnu11 -Wall -Wextra -shared -fPIC ${SANITIZER_CFLAGS:-} \
	-o "$fake" "$top_srcdir/tests/shim/ifaddrs-fake.c" || exit 99
launcher=$top_builddir/stackshim

# host KIND CMD... - CMD in a new network namespace set up as host KIND.
cat >"$tmp/host.sh" <<'EOF'
kind=$1
shift
set -e
if [ "$kind" = ipv4 ]; then
	sysctl -qw net.ipv6.conf.all.disable_ipv6=1
	sysctl -qw net.ipv6.conf.default.disable_ipv6=1
fi
ip link set lo up
ip link add veth0 address 02:00:00:00:00:01 type veth peer name veth1 \
	address 02:00:00:00:00:02
for i in veth0 veth1; do
	[ "$kind" = ipv4 ] || ip link set "$i" addrgenmode none
	ip link set "$i" up
done
[ "$kind" = ipv6 ] || [ "$kind" = ipv6-nolo ] ||
	ip addr add 192.0.2.1/24 dev veth0
[ "$kind" = ipv4 ] || ip -6 addr add 2001:db8::1/64 dev veth0 nodad
[ "$kind" != ipv6-nolo ] || ip addr del 127.0.0.1/8 dev lo
set +e
exec "$@"
EOF
host()
{
	timeout "$(limit 60)" unshare --net bash "$tmp/host.sh" "$@"
}

# listing KIND CMD... - the probe's (or CMD's) lines in host KIND, sorted.
listing()
{
	host "$@" 2>"$tmp/err" | LC_ALL=C sort
}

probe=$tmp/ifaddrs-probe
printf 'stack = ipv5\n' >"$tmp/broken.conf"
: >"$tmp/empty.conf"
export STACKSHIM_CONF=$tmp/empty.conf

bare_dual=$(listing dual "$probe")
if ! grep -q '^inet6 2001:db8::1 veth0$' <<<"$bare_dual" ||
	! grep -q '^inet 192.0.2.1 veth0$' <<<"$bare_dual"; then
	echo "ERROR: the dual host is not set up: $bare_dual $(cat "$tmp/err")"
	exit 99
fi

# --- each stack against the real host of that stack -----------------------------
# OPTIONS|HOST: the launcher with OPTIONS in the dual host lists what the
# probe lists bare in HOST.
cases=(
	"--stack ipv4|ipv4"
	"--stack ipv6|ipv6"
	"--stack ipv6 --ipv4-loopback no|ipv6-nolo"
	"--stack ipv4 --ipv4-loopback no|ipv4"
	"--stack dual|dual"
	"--stack dual --ipv4-loopback no|dual"
	"--stack ipv4 --audit|dual"
	"--stack ipv6 --mapped no|ipv6"
)
for case in "${cases[@]}"; do
	opts=${case%|*}
	kind=${case#*|}
	want=$(listing "$kind" "$probe")
	# shellcheck disable=SC2086 # opts are words on purpose
	got=$(listing dual "$launcher" $opts -- "$probe")
	expect "getifaddrs under $opts: as on a real $kind host" "$want" "$got"
	expect "getifaddrs under $opts: stderr" "" "$(cat "$tmp/err")"
done

# A policy that failed closed: a host without inet addresses, links kept.
got=$(STACKSHIM_CONF=$tmp/broken.conf listing dual env LD_PRELOAD="$preload" \
	"$probe")
expect "getifaddrs after the policy failed closed: the links only" \
	"$(grep -v '^inet' <<<"$bare_dual")" "$got"

# --- the log ------------------------------------------------------------------
host dual "$launcher" --stack ipv4 --log "$tmp/v4.log" -- "$probe" >/dev/null
re='^time=[^ ]+ pid=[0-9]+ program=ifaddrs-probe call=getifaddrs'
expect "--stack ipv4 --log: one line per address left out" \
	"name=lo local=::1 stack=ipv4 cell=ipv4/-/ipv6 outcome=fail-local reason=filtered
name=veth0 local=2001:db8::1 stack=ipv4 cell=ipv4/-/ipv6 outcome=fail-local reason=filtered" \
	"$(grep -E "$re" "$tmp/v4.log" | sed -E "s/$re //" | LC_ALL=C sort)"
expect "--stack ipv4 --log: no other line" 2 "$(wc -l <"$tmp/v4.log")"
host dual "$launcher" --stack ipv6 --audit --log "$tmp/audit.log" -- \
	"$probe" >/dev/null
expect "--stack ipv6 --audit --log: what would be left out, audit=yes" \
	"name=veth0 local=192.0.2.1 stack=ipv6 cell=ipv6/-/ipv4 outcome=fail-local reason=filtered audit=yes" \
	"$(sed -E "s/$re //" "$tmp/audit.log")"

# --- node's os.networkInterfaces() -------------------------------------------------
# Not in a sanitizer build, where node would run with the sanitizer's
# runtime preloaded and its leak check at exit.
if command -v node >/dev/null && [ -z "${SANITIZERS:-}" ]; then
	# shellcheck disable=SC2016 # javascript, not shell
	js='const os = require("os");
for (const [name, list] of Object.entries(os.networkInterfaces()))
	for (const a of list)
		console.log(a.family, a.address, name, a.netmask, a.mac);'
	for case in "--stack ipv4|ipv4" "--stack ipv6|ipv6" "--stack dual|dual" \
		"--stack ipv6 --ipv4-loopback no|ipv6-nolo"; do
		opts=${case%|*}
		kind=${case#*|}
		want=$(listing "$kind" node -e "$js")
		# shellcheck disable=SC2086 # opts are words on purpose
		got=$(listing dual "$launcher" $opts -- node -e "$js")
		expect "node's os.networkInterfaces() under $opts: as on a real $kind host" \
			"$want" "$got"
	done
else
	echo "NOTE: no node, or a sanitizer build: os.networkInterfaces() is not checked"
fi

# --- freeifaddrs() of the edited lists, under valgrind -------------------------------
# In a sanitizer build valgrind cannot run: ASan checks the same runs.
vg=(valgrind -q --error-exitcode=9 --leak-check=full)
[ -z "${SANITIZERS:-}" ] || vg=()
if [ -n "${SANITIZERS:-}" ] || command -v valgrind >/dev/null; then
	for opts in "--stack ipv4" "--stack ipv6" "--stack ipv6 --ipv4-loopback no"; do
		# shellcheck disable=SC2086 # opts are words on purpose
		host dual "$launcher" $opts -- "${vg[@]}" "$probe" 3 \
			>/dev/null 2>"$tmp/vg"
		expect "valgrind status, the host's list under $opts" 0 "$?"
		expect "valgrind report, the host's list under $opts" "" \
			"$(cat "$tmp/vg")"
	done
	# The stand-in libc: its first entry dropped, then every entry.
	for case in "head|--stack ipv4|packet 02:00:00:00:00:00 fake0
inet 192.0.2.9 fake0" \
		"v6only|--stack ipv4|empty" \
		"head|--stack ipv6|inet6 2001:db8::9 fake0
packet 02:00:00:00:00:00 fake0
inet6 ::1 lo"; do
		list=${case%%|*}
		rest=${case#*|}
		opts=${rest%%|*}
		want=${rest#*|}
		got=$(env FAKE_IFADDRS="$list" STACKSHIM_CONF="$tmp/empty.conf" \
			STACKSHIM_STACK="${opts#--stack }" \
			LD_PRELOAD="$preload:$fake" "${vg[@]}" "$probe" 3 2>"$tmp/vg")
		status=$?
		expect "the $list list under $opts" "$want" "$got"
		expect "valgrind status, the $list list under $opts" 0 "$status"
		expect "valgrind report, the $list list under $opts" "" \
			"$(cat "$tmp/vg")"
	done
else
	echo "NOTE: valgrind is not installed: freeifaddrs() is not checked under it"
fi

finish
