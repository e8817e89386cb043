#!/bin/sh
# SPDX-License-Identifier: MIT
# rules.sh - "stackshim explain" names the allow/deny/map rule that decides a
# destination, and "table"/"explain --program" follow [program] sections.
#
# The rule lines come from the engine the shim uses (policy_match_addr(),
# policy_match_name()) and the outcome from policy_decide_rule(); this test
# checks them against answers worked out by hand for a small config, then
# against a brute-force model (every rule compared with every destination,
# in Python) for a generated config of 100,000 rules.
#
# Only literal addresses are given, and names come from a hosts file of the
# test's own in a private mount namespace (names_init, lib.sh): nothing is
# ever asked of DNS, and nothing is sent anywhere.

. "$(dirname "$0")/lib.sh"

conf=$tmp/rules.conf
cat >"$conf" <<'EOF'
# rules.sh: answers worked out by hand.
stack = dual
deny = 10.0.0.0/8
allow = 10.1.0.0/16
map = 10.1.2.0/24
deny = 10.1.2.3
allow = 10.1.2.0/24 1000-2000 tcp
deny = 10.1.2.0/24 udp 1500
map = 10.1.2.0/24
deny = 2001:db8::/32
allow = 2001:db8:1::/48 443 tcp
allow = exact.zone.stackshim.test
deny = *.zone.stackshim.test
map = *.sub.zone.stackshim.test
allow = web.zone.stackshim.test 443 tcp

[program a]
prefer = ipv4
deny = 192.0.2.0/24

[program b]
mapped = no
map = 192.0.2.0/25
allow = 192.0.2.7 tcp

[program c*]
deny = 198.51.100.1

[program /opt/stackshim-test/*]
deny = 198.51.100.2
EOF

# at TEXT: the line of $conf that is TEXT, as "$conf:N".
at()
{
	n=$(grep -n -F -x -e "$1" "$conf" | head -n 1 | cut -d: -f1)
	[ -n "$n" ] || { echo "rules.sh: no line '$1' in $conf" >&2; exit 99; }
	printf '%s:%s' "$conf" "$n"
}

# rule WHAT RULE OUTCOME ARG...: explain ARG... under $conf prints the one
# line "rule: RULE" and the one line "outcome: OUTCOME".
rule()
{
	what=$1
	want_rule=$2
	want_outcome=$3
	shift 3
	capture $ns "$STACKSHIM" explain -c "$conf" "$@"
	expect_status "$what" 0
	expect "$what: rule" "rule: $want_rule" \
		"$(grep '^rule: ' "$tmp/out")"
	expect "$what: outcome" "outcome: $want_outcome" \
		"$(grep '^outcome: ' "$tmp/out")"
}
ns=

# Longest prefix: /8, /16, /24, /32 nested; no rule outside them.
rule "only the /8" "deny $(at 'deny = 10.0.0.0/8')" deny 10.9.9.9
rule "the /16 over the /8" "allow $(at 'allow = 10.1.0.0/16')" ipv4 10.1.9.9
rule "the /24 over the /16, the earlier of two equal lines" \
	"map $(at 'map = 10.1.2.0/24')" map 10.1.2.9
expect_line "map: translated" "translated: 10.1.2.9 -> ::ffff:10.1.2.9" \
	"$tmp/out"
rule "the /32 over the /24" "deny $(at 'deny = 10.1.2.3')" deny 10.1.2.3
rule "no rule" none ipv4 11.0.0.1
expect_line "no rule: connection line" "connection: port=none proto=any" \
	"$tmp/out"

# Port range edges, LOW-1 LOW HIGH HIGH+1, tcp: a rule with a port beats one
# without at the same prefix, and fits only inside its range.
range="allow $(at 'allow = 10.1.2.0/24 1000-2000 tcp')"
portless="map $(at 'map = 10.1.2.0/24')"
rule "port 999 tcp" "$portless" map --port 999 --proto tcp 10.1.2.9
rule "port 1000 tcp" "$range" ipv4 --port 1000 --proto tcp 10.1.2.9
expect_line "port 1000 tcp: connection line" "connection: port=1000 proto=tcp" \
	"$tmp/out"
rule "port 2000 tcp" "$range" ipv4 --port 2000 --proto tcp 10.1.2.9
rule "port 2001 tcp" "$portless" map --port 2001 --proto tcp 10.1.2.9
# tcp vs udp, and no protocol: a rule with one fits only a connection that
# has it.
rule "port 1500 udp" "deny $(at 'deny = 10.1.2.0/24 udp 1500')" deny \
	--port 1500 --proto udp 10.1.2.9
rule "port 1500 tcp" "$range" ipv4 --port 1500 --proto tcp 10.1.2.9
rule "port 1000 udp" "$portless" map --port 1000 --proto udp 10.1.2.9
rule "port 1500, no protocol" "$portless" map --port 1500 10.1.2.9
rule "--proto=UDP, no port" "$portless" map --proto=UDP 10.1.2.9
# The longest prefix comes before the port: the /32 without a port wins.
rule "/32 without port over /24 with port" "deny $(at 'deny = 10.1.2.3')" \
	deny --port 1500 --proto tcp 10.1.2.3

# IPv6, an IPv4-mapped literal, an address inside a NAT64 translate-prefix.
v6range="allow $(at 'allow = 2001:db8:1::/48 443 tcp')"
v6deny="deny $(at 'deny = 2001:db8::/32')"
rule "IPv6 /48 port 443 tcp" "$v6range" ipv6 --port 443 --proto tcp \
	2001:db8:1::5
rule "IPv6 /48 port 444 tcp: the /32" "$v6deny" deny --port 444 \
	--proto tcp 2001:db8:1::5
rule "IPv6 /48 without port: the /32" "$v6deny" deny 2001:db8:1::5
rule "IPv6 outside" none ipv6 2001:db9::1
rule "::ffff:10.1.2.3 as 10.1.2.3" "deny $(at 'deny = 10.1.2.3')" deny \
	::ffff:10.1.2.3
rule "NAT64 address as the IPv4 it embeds" "deny $(at 'deny = 10.1.2.3')" \
	deny --translate-prefix 64:ff9b::/96 64:ff9b::a01:203
rule "NAT64 address outside the prefix in use" none ipv6 64:ff9b::a01:203

# map under each table: ipv4 stack or an IPv4 local address (no IPv6 to
# map over: fail-host), mapped = no (fail-host), an IPv6 local address
# (map), an IPv4 local address on an ipv6 stack (fail-local stays).
rule "map, ipv4 stack" "$portless" fail-host --stack ipv4 10.1.2.9
rule "map, mapped no" "$portless" fail-host --mapped no 10.1.2.9
rule "map, IPv4 local" "$portless" fail-host 10.1.2.9 10.1.2.1
rule "map, IPv6 local" "$portless" map 10.1.2.9 2001:db8::2
rule "map, IPv4 local, ipv6 stack" "$portless" fail-local --stack ipv6 \
	10.1.2.9 10.1.2.1
rule "deny, audit" "deny $(at 'deny = 10.1.2.3')" deny --audit 10.1.2.3
expect_match "deny, audit: says audit" '^enforce: no' "$tmp/out"

# [program] sections: their settings and rules, by glob and by full path.
rule "no program: 192.0.2.7" none ipv4 192.0.2.7
rule "program a: its deny" "deny $(at 'deny = 192.0.2.0/24')" deny \
	--program a 192.0.2.7
rule "program b: its map, mapped no" "map $(at 'map = 192.0.2.0/25')" \
	fail-host --program b 192.0.2.7
rule "program b: its tcp allow" "allow $(at 'allow = 192.0.2.7 tcp')" ipv4 \
	--program b --proto tcp 192.0.2.7
rule "program b: outside its /25" none ipv4 --program b 192.0.2.200
rule "program curl: [program c*]" "deny $(at 'deny = 198.51.100.1')" deny \
	--program curl 198.51.100.1
rule "program a: not [program c*]" none ipv4 --program a 198.51.100.1
rule "program by path: [program /opt/stackshim-test/*]" \
	"deny $(at 'deny = 198.51.100.2')" deny \
	--program /opt/stackshim-test/tool 198.51.100.2
rule "same base name elsewhere" none ipv4 --program /usr/bin/tool 198.51.100.2
capture "$STACKSHIM" explain -c "$conf" --program a 10.1.2.3
expect_line "program a: counts its rules with the global ones" \
	"rules: 14 for this program (allow 5, deny 6, map 3)" "$tmp/out"

# A section beats the top of the file, a STACKSHIM_* variable beats a
# section, an option beats a variable.
capture "$STACKSHIM" explain -c "$conf" --program a 192.0.2.7
expect_line "program a: its prefer" "stack: dual (prefer ipv4, mapped yes)" \
	"$tmp/out"
capture env STACKSHIM_PREFER=ipv6 "$STACKSHIM" explain -c "$conf" \
	--program a 192.0.2.7
expect_line "STACKSHIM_PREFER over program a" \
	"stack: dual (prefer ipv6, mapped yes)" "$tmp/out"
capture env STACKSHIM_PREFER=ipv6 "$STACKSHIM" explain -c "$conf" \
	--prefer ipv4 --program a 192.0.2.7
expect_line "--prefer over STACKSHIM_PREFER" \
	"stack: dual (prefer ipv4, mapped yes)" "$tmp/out"

# table --program: a's prefer = ipv4 and b's mapped = no change cells.
capture "$STACKSHIM" table -c "$conf" --program a
expect_status "table --program a" 0
cp "$tmp/out" "$tmp/table-a"
capture "$STACKSHIM" table -c "$conf" --program b
expect_status "table --program b" 0
cp "$tmp/out" "$tmp/table-b"
capture "$STACKSHIM" table -c "$conf"
cp "$tmp/out" "$tmp/table-none"
expect_line "table a: dual none both is ipv4" "dual both none ipv4" \
	"$tmp/table-a"
expect_line "table b: dual none both is ipv6" "dual both none ipv6" \
	"$tmp/table-b"
expect_line "table a: ipv6 none ipv4 is map" "ipv6 ipv4 none map" \
	"$tmp/table-a"
expect_line "table b: ipv6 none ipv4 is fail-host" \
	"ipv6 ipv4 none fail-host" "$tmp/table-b"
expect_line "no program: dual none both is ipv6" "dual both none ipv6" \
	"$tmp/table-none"
expect_line "no program: ipv6 none ipv4 is map" "ipv6 ipv4 none map" \
	"$tmp/table-none"
if cmp -s "$tmp/table-a" "$tmp/table-b"; then
	fail "table --program a and b differ" "expected different tables" \
		"got the same"
else
	pass "table --program a and b differ"
fi

# --- names ---------------------------------------------------------------------

cat >"$tmp/hosts" <<'EOF'
127.0.0.1 localhost
::1 localhost
10.1.2.3 exact.zone.stackshim.test
10.1.2.3 web.zone.stackshim.test
10.1.2.9 sub.zone.stackshim.test
10.1.2.9 deep.sub.zone.stackshim.test
192.0.2.11 zone.stackshim.test
10.1.2.9 mixed.stackshim.test
10.9.9.9 mixed.stackshim.test
2001:db8:1::5 mixed.stackshim.test
10.9.9.8 same.stackshim.test
10.9.9.9 same.stackshim.test
EOF
if names_init; then
	names=yes
	ns=in_ns
else
	names=
	echo "SKIP: names: cannot bind-mount /etc/hosts in a mount namespace:" \
		"$(cat "$tmp/why" 2>/dev/null)"
fi

if [ -n "$names" ]; then
	exact="allow $(at 'allow = exact.zone.stackshim.test')"
	zone="deny $(at 'deny = *.zone.stackshim.test')"
	sub="map $(at 'map = *.sub.zone.stackshim.test')"
	rule "exact name over *.domain, and over its address's /32" \
		"$exact" ipv4 exact.zone.stackshim.test
	rule "exact name, any case" "$exact" ipv4 EXACT.Zone.stackshim.test
	rule "*.domain covers a child" "$zone" deny sub.zone.stackshim.test
	rule "the nearer *.domain over the farther" "$sub" map \
		deep.sub.zone.stackshim.test
	expect_line "nearer domain: translated" \
		"translated: 10.1.2.9 -> ::ffff:10.1.2.9" "$tmp/out"
	rule "*.domain does not cover domain itself: its address decides" \
		none ipv4 zone.stackshim.test
	rule "exact name with a port, port fits" \
		"allow $(at 'allow = web.zone.stackshim.test 443 tcp')" ipv4 \
		--port 443 --proto tcp web.zone.stackshim.test
	rule "exact name with a port, other port: *.domain" "$zone" deny \
		--port 80 --proto tcp web.zone.stackshim.test
	rule "one rule for all of a name's addresses: one line" \
		"deny $(at 'deny = 10.0.0.0/8')" deny same.stackshim.test

	# A name no name rule covers, whose addresses get different rules:
	# one rule line and one outcome line per address.
	capture in_ns "$STACKSHIM" explain -c "$conf" mixed.stackshim.test
	expect_status "mixed" 0
	grep '^rule: ' "$tmp/out" | sort >"$tmp/got"
	sort >"$tmp/want" <<-EOF
	rule: 10.1.2.9 $portless
	rule: 10.9.9.9 deny $(at 'deny = 10.0.0.0/8')
	rule: 2001:db8:1::5 $v6deny
	EOF
	expect_files "mixed: a rule line per address" "$tmp/want" "$tmp/got"
	grep '^outcome: ' "$tmp/out" | sort >"$tmp/got"
	sort >"$tmp/want" <<-EOF
	outcome: 10.1.2.9 map
	outcome: 10.9.9.9 deny
	outcome: 2001:db8:1::5 deny
	EOF
	expect_files "mixed: an outcome line per address" "$tmp/want" \
		"$tmp/got"
	expect "mixed: translated only the mapped address" \
		"translated: 10.1.2.9 -> ::ffff:10.1.2.9" \
		"$(grep '^translated: ' "$tmp/out")"
	expect_line "mixed: the cell is the name's" \
		"cell: stack=dual host=both local=none" "$tmp/out"
	capture in_ns "$STACKSHIM" explain -c "$conf" --port 443 --proto tcp \
		mixed.stackshim.test
	expect_line "mixed, 443 tcp: IPv6 address allowed" \
		"outcome: 2001:db8:1::5 ipv6" "$tmp/out"
	expect_line "mixed, 443 tcp: IPv4 address allowed by its /24" \
		"rule: 10.1.2.9 $portless" "$tmp/out"
fi

# --- 100,000 rules -------------------------------------------------------------
#
# A generated config of 100,000 rules: nested IPv4 CIDRs (/8, /16, /24,
# /32), port and port-range rules with and without a protocol, IPv6 /32,
# /48, /64 and /128, exact names and *.domains, some rules repeated on the
# same prefix so that the earlier line must win.  The generator also picks
# about fifty destinations (hits at every prefix length, misses, port range
# edges, tcp vs udp, names) and works out each one's rule by comparing it
# with every rule, as SPEC §3 says, without any index.

big=$tmp/big.conf
python3 - "$big" "$tmp/big.cases" "$tmp/big.hosts" <<'EOF' || exit 99
import ipaddress
import random
import sys

conf_path, cases_path, hosts_path = sys.argv[1:4]
rnd = random.Random(20261122)
ACTIONS = ("allow", "deny", "map")
TOTAL = 100000
HEADER = ["# 100,000 rules, generated by tests/cli/rules.sh", "stack = dual"]
rules = []


def v4(a, b, c, d):
    return (a << 24) | (b << 16) | (c << 8) | d


def cidr(fam, net, plen, lo=0, hi=0, proto=None, action=None):
    width = 32 if fam == 4 else 128
    net &= ((1 << width) - 1) ^ ((1 << (width - plen)) - 1)
    rules.append(dict(kind="cidr", fam=fam, net=net, plen=plen, lo=lo,
                      hi=hi, proto=proto,
                      action=action or rnd.choice(ACTIONS)))
    return rules[-1]


def name(text, suffix=False, lo=0, hi=0, proto=None):
    rules.append(dict(kind="suffix" if suffix else "name", name=text,
                      lo=lo, hi=hi, proto=proto,
                      action=rnd.choice(ACTIONS)))
    return rules[-1]


# IPv4: one /8, /16s under half of it, /24s and /32s all over it.
cidr(4, v4(10, 0, 0, 0), 8)
for a in range(128):
    cidr(4, v4(10, a, 0, 0), 16)
for ab in rnd.sample(range(1 << 16), 30000):
    cidr(4, v4(10, 0, 0, 0) | ab << 8, 24)
for h in rnd.sample(range(1 << 24), 20000):
    cidr(4, v4(10, 0, 0, 0) | h, 32)
# Ports on 172.16.0.0/12: single ports and ranges, any, tcp or udp; every
# fourth prefix also has a rule without a port.
ported = []
twins = []
for i in range(12000):
    plen = rnd.choice((32, 32, 28))
    lo = rnd.randrange(2, 60000)
    hi = lo + rnd.choice((0, 0, 10, 100, 1000))
    net = v4(172, 16, 0, 0) | rnd.randrange(1 << 20)
    ported.append(cidr(4, net, plen, lo, hi,
                       rnd.choice((None, "tcp", "udp"))))
    if i % 4 == 0:
        twins.append((ported[-1], cidr(4, net, plen)))
# IPv6 under 2001:db8::/32.
cidr(6, int(ipaddress.IPv6Address("2001:db8::")), 32)
base6 = int(ipaddress.IPv6Address("2001:db8::"))
nets48 = rnd.sample(range(1, 1 << 16), 5000)
for x in nets48:
    cidr(6, base6 | x << 80, 48)
for i in range(5000):
    x = nets48[i] if i % 2 else rnd.randrange(1, 1 << 16)
    cidr(6, base6 | x << 80 | rnd.randrange(1 << 16) << 64, 64)
for i in range(4000):
    cidr(6, base6 | rnd.randrange(1 << 96), 128)
# Names: *.zJ for 800 zones, *.big for all of them, exact names.
name("big.stackshim.test", suffix=True)
for j in range(800):
    name("z%d.big.stackshim.test" % j, suffix=True)
for j in range(200):
    name("s.z%d.big.stackshim.test" % j, suffix=True)
for i in range(15000):
    n = "n%d.z%d.big.stackshim.test" % (i, i % 1000)
    if i % 15 == 0:
        name(n, lo=443, hi=443, proto="tcp")
    else:
        name(n)
# The same prefixes again, so that the earlier line decides.
repeated = []
for r in rnd.sample([r for r in rules if r["kind"] == "cidr"], 2000):
    rules.append(dict(r, action=rnd.choice(ACTIONS)))
    repeated.append(r)
while len(rules) < TOTAL:
    cidr(4, v4(10, 0, 0, 0) | rnd.randrange(1 << 24), 32)
assert len(rules) == TOTAL
rnd.shuffle(rules)


def rule_text(r):
    if r["kind"] == "cidr":
        cls = ipaddress.IPv4Address if r["fam"] == 4 else \
            ipaddress.IPv6Address
        width = 32 if r["fam"] == 4 else 128
        dest = str(cls(r["net"]))
        if r["plen"] != width or rnd.random() < 0.5:
            dest += "/%d" % r["plen"]
    else:
        dest = ("*." if r["kind"] == "suffix" else "") + r["name"]
    extra = []
    if r["lo"]:
        extra.append(str(r["lo"]) if r["lo"] == r["hi"]
                     else "%d-%d" % (r["lo"], r["hi"]))
    if r["proto"]:
        extra.append(r["proto"])
    rnd.shuffle(extra)
    return " ".join(["%s = %s" % (r["action"], dest)] + extra)


with open(conf_path, "w") as f:
    for line in HEADER:
        f.write(line + "\n")
    for i, r in enumerate(rules):
        r["line"] = len(HEADER) + 1 + i
        f.write(rule_text(r) + "\n")


# The model: every rule against the destination (SPEC §3).
def fits(r, port, proto):
    if r["lo"] and not (port and r["lo"] <= port <= r["hi"]):
        return False
    return r["proto"] is None or r["proto"] == proto


def best(cands, key):
    return max(cands, key=key) if cands else None


def addr_rule(addr, port, proto):
    ip = ipaddress.ip_address(addr)
    if ip.version == 6 and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    fam, a = ip.version, int(ip)
    width = 32 if fam == 4 else 128
    cands = [r for r in rules if r["kind"] == "cidr" and r["fam"] == fam
             and a >> (width - r["plen"]) == r["net"] >> (width - r["plen"])
             and fits(r, port, proto)]
    return best(cands, lambda r: (r["plen"], r["lo"] != 0, -r["line"]))


def name_rule(host, port, proto):
    key = lambda r: (r["lo"] != 0, -r["line"])
    r = best([r for r in rules if r["kind"] == "name" and
              r["name"] == host and fits(r, port, proto)], key)
    labels = host.split(".")
    for i in range(1, len(labels)):
        if r:
            break
        parent = ".".join(labels[i:])
        r = best([r for r in rules if r["kind"] == "suffix" and
                  r["name"] == parent and fits(r, port, proto)], key)
    return r


def outcome(r, fam):
    action = r["action"] if r else "none"
    if action == "deny":
        return "deny"
    if action == "map" and fam == 4:
        return "map"
    return "ipv4" if fam == 4 else "ipv6"


cases = []
hosts = []


def ip4(n):
    return str(ipaddress.IPv4Address(n))


def ip6(n):
    return str(ipaddress.IPv6Address(n))


def case(what, dest, port=0, proto=None, addr=None):
    if addr is not None:
        hosts.append("%s %s" % (addr, dest))
        r = name_rule(dest, port, proto) or addr_rule(addr, port, proto)
        fam = ipaddress.ip_address(addr).version
    else:
        r = addr_rule(dest, port, proto)
        ip = ipaddress.ip_address(dest)
        fam = 4 if ip.version == 4 or ip.ipv4_mapped else 6
    args = []
    if port:
        args += ["--port", str(port)]
    if proto:
        args += ["--proto", proto]
    rule = "%s %d" % (r["action"], r["line"]) if r else "none"
    cases.append("\t".join((what, "name" if addr else "addr",
                            " ".join(args + [dest]), rule,
                            outcome(r, fam))))


cidrs = [r for r in rules if r["kind"] == "cidr" and not r["lo"]]
v4nets = {}
for r in cidrs:
    if r["fam"] == 4:
        v4nets.setdefault(r["plen"], set()).add(r["net"])


def longest4(a):
    """The longest prefix of the portless IPv4 rules holding a."""
    for plen in (32, 24, 16, 8):
        if a & ~((1 << (32 - plen)) - 1) in v4nets.get(plen, ()):
            return plen
    return 0


def pick4(plen, gen):
    """An address from gen() whose longest rule prefix is plen."""
    while True:
        a = gen()
        if longest4(a) == plen:
            return ip4(a)


for r in rnd.sample([r for r in cidrs if r["fam"] == 4 and
                     r["plen"] == 32 and r["net"] >> 24 == 10], 6):
    case("IPv4 /32 hit", ip4(r["net"]))
for r in rnd.sample([r for r in cidrs if r["plen"] == 24], 6):
    case("IPv4 in a /24", pick4(24, lambda: r["net"] | rnd.randrange(256)))
for a in rnd.sample(range(128), 4):
    case("IPv4 in a /16", pick4(16, lambda: v4(10, a, 0, 0) |
                                rnd.randrange(1 << 16)))
for i in range(2):
    case("IPv4 under the /8 only",
         pick4(8, lambda: v4(10, 0, 0, 0) | rnd.randrange(1 << 24)))
case("IPv4 miss", "11.1.2.3")
case("IPv4 miss", "192.0.2.1")
case("IPv4 miss", "172.15.255.255", 80, "tcp")
case("IPv4-mapped /32 hit",
     "::ffff:" + ip4(rnd.choice([r for r in cidrs if r["plen"] == 32 and
                                 r["fam"] == 4])["net"]))
for r in rnd.sample([r for r in ported if r["lo"] > 1 and
                     r["hi"] < 65535 and r["hi"] > r["lo"]], 2) + \
        [rnd.choice([p for p, q in twins if p["hi"] > p["lo"]])]:
    proto = r["proto"] or "tcp"
    host = ip4(r["net"] | rnd.randrange(1 << (32 - r["plen"])))
    for port in (r["lo"] - 1, r["lo"], r["hi"], r["hi"] + 1):
        case("port edge", host, port, proto)
for r in rnd.sample([r for r in repeated if r["fam"] == 4 and
                     r["plen"] == 32 and not r["lo"]], 2):
    case("a prefix given twice", ip4(r["net"]))
r = rnd.choice([r for r in ported if r["proto"] == "tcp"])
case("tcp rule, udp connection", ip4(r["net"]), r["lo"], "udp")
case("tcp rule, tcp connection", ip4(r["net"]), r["lo"], "tcp")
for plen in (128, 64, 48):
    for r in rnd.sample([r for r in cidrs if r["fam"] == 6 and
                         r["plen"] == plen], 2):
        case("IPv6 /%d" % plen, ip6(r["net"] | (rnd.randrange(1 << (
            128 - plen)) if plen < 128 else 0)))
case("IPv6 /32 only", "2001:db8::1:2:3:4")
case("IPv6 miss", "2001:db9::1")
# Names: their addresses are /32 hits, which a name rule beats.
addrs = [ip4(r["net"]) for r in rnd.sample(
    [r for r in cidrs if r["fam"] == 4 and r["plen"] == 32], 8)]
case("exact name", "n3.z3.big.stackshim.test", addr=addrs[0])
case("exact name", "n1234.z234.big.stackshim.test", addr=addrs[1])
case("exact name with port 443", "n15.z15.big.stackshim.test", 443, "tcp",
     addr=addrs[2])
case("exact name with port, other port", "n15.z15.big.stackshim.test", 80,
     "tcp", addr=addrs[2])
case("*.zone", "other.z7.big.stackshim.test", addr=addrs[3])
case("nearer *.s.zone", "x.s.z7.big.stackshim.test", addr=addrs[4])
case("*.big only", "other.z900.big.stackshim.test", addr=addrs[5])
case("no name rule", "elsewhere.stackshim.test", addr=addrs[6])

with open(cases_path, "w") as f:
    f.write("\n".join(cases) + "\n")
with open(hosts_path, "w") as f:
    f.write("\n".join(sorted(set(hosts))) + "\n")
EOF

capture "$STACKSHIM" check -c "$big"
expect_status "check -c a config of 100,000 rules" 0
expect_line "100,000 rules: ok" "$big: ok" "$tmp/out"
expect "100,000 rules: as many rule lines" 100000 \
	"$(grep -c -E '^(allow|deny|map) = ' "$big")"

cat "$tmp/big.hosts" >>"$tmp/hosts"
ncases=0
tab=$(printf '\t')
while IFS=$tab read -r what kind args want_rule want_outcome; do
	if [ "$kind" = name ] && [ -z "$names" ]; then
		continue
	fi
	ncases=$((ncases + 1))
	case $want_rule in
	none) ;;
	*) want_rule="${want_rule% *} $big:${want_rule#* }" ;;
	esac
	runner=
	[ "$kind" = name ] && runner=in_ns
	# shellcheck disable=SC2086 # args is a list of words
	capture $runner "$STACKSHIM" explain -c "$big" $args </dev/null
	what="100,000 rules: $what: $args"
	expect_status "$what" 0
	expect "$what: rule" "rule: $want_rule" \
		"$(grep '^rule: ' "$tmp/out")"
	expect "$what: outcome" "outcome: $want_outcome" \
		"$(grep '^outcome: ' "$tmp/out")"
done <"$tmp/big.cases"
[ "$ncases" -ge 40 ] || fail "100,000 rules: destinations" \
	"expected at least 40" "got $ncases"

[ -n "$names" ] || skip_names
finish
