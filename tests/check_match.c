/* SPDX-License-Identifier: MIT */
/*
 * check_match.c - which destination rule decides (SPEC §3, allow/deny/map):
 * a table of configs and lookups with the rule each must find, the same
 * lookups after the selection changes, and a cross-check of the index
 * against a plain reading of the SPEC's order (every rule tried, the most
 * specific kept) over random rules and destinations.
 */
#include "config.h"

#include <arpa/inet.h>
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_run.h"
#include "policy.h"

static struct policy *load(const char *text, const char *program)
{
	struct policy *p = policy_new();
	struct policy_error err;

	ck_assert_ptr_nonnull(p);
	ck_assert_msg(policy_parse_buffer(p, "t.conf", text, strlen(text),
					  &err) == 0,
		      "%s:%u:%u: %s", err.file, err.line, err.column, err.text);
	policy_select(p, program, NULL, NULL);
	return p;
}

/* "deny:3" for a rule found, "-" for none. */
static const char *answer(bool found, const struct policy_rule *r)
{
	static const char *const names[] = {
		[RULE_NONE] = "none",
		[RULE_ALLOW] = "allow",
		[RULE_DENY] = "deny",
		[RULE_MAP] = "map",
	};
	static char buf[32];

	if (!found)
		return "-";
	snprintf(buf, sizeof(buf), "%s:%u", names[r->action], r->line);
	return buf;
}

static const char *by_addr(const struct policy *p, const char *addr,
			   unsigned port, enum policy_proto proto)
{
	struct policy_addr a;
	struct policy_rule r;

	ck_assert_msg(policy_addr_parse(addr, &a) == 0, "bad %s", addr);
	return answer(policy_match_addr(p, &a, (uint16_t)port, proto, &r), &r);
}

static const char *by_name(const struct policy *p, const char *name,
			   unsigned port, enum policy_proto proto)
{
	struct policy_rule r;

	return answer(policy_match_name(p, name, (uint16_t)port, proto, &r),
		      &r);
}

static const char conf_addr[] =
	"deny = 10.0.0.0/8\n"			/* 1 */
	"allow = 10.1.0.0/16\n"			/* 2 */
	"map = 10.1.2.0/24 443 tcp\n"		/* 3 */
	"deny = 10.1.2.0/24\n"			/* 4 */
	"allow = 10.1.2.0/24 1000-2000\n"		/* 5 */
	"deny = 10.1.2.0/24 1500 udp\n"		/* 6 */
	"allow = 0.0.0.0/0 53 udp\n"		/* 7 */
	"deny = 2001:db8::/32\n"			/* 8 */
	"map = 2001:db8:1::/48 80\n"		/* 9 */
	"allow = 2001:db8:1::5\n"			/* 10 */
	"deny = ::ffff:192.168.0.0/112\n"		/* 11 */
	"map = ::/0 22 tcp\n"			/* 12 */
	"deny = 10.1.2.0/24\n";			/* 13: a later twin of 4 */

static const struct addr_case {
	const char *addr;
	unsigned port;
	enum policy_proto proto;
	const char *want;
} addr_cases[] = {
	{"10.9.9.9", 80, PROTO_TCP, "deny:1"},
	{"10.1.9.9", 80, PROTO_TCP, "allow:2"},
	{"10.1.2.3", 443, PROTO_TCP, "map:3"},
	{"10.1.2.3", 443, PROTO_UDP, "deny:4"},	/* 3 is tcp only */
	{"10.1.2.3", 80, PROTO_TCP, "deny:4"},	/* 4 over its twin 13 */
	{"10.1.2.3", 1000, PROTO_TCP, "allow:5"},
	{"10.1.2.3", 2000, PROTO_UDP, "allow:5"},
	{"10.1.2.3", 2001, PROTO_UDP, "deny:4"},
	{"10.1.2.3", 1500, PROTO_UDP, "allow:5"},	/* ports tie: line */
	{"10.1.2.3", 0, PROTO_ANY, "deny:4"},	/* no port: portless only */
	{"10.1.2.255", 443, PROTO_TCP, "map:3"},
	{"10.1.3.0", 443, PROTO_TCP, "allow:2"},
	{"11.0.0.1", 53, PROTO_UDP, "allow:7"},
	{"11.0.0.1", 53, PROTO_TCP, "-"},
	{"9.255.255.255", 80, PROTO_TCP, "-"},
	{"::ffff:10.1.2.3", 443, PROTO_TCP, "map:3"},	/* mapped is IPv4 */
	{"::ffff:10.9.9.9", 80, PROTO_TCP, "deny:1"},
	{"192.168.7.7", 80, PROTO_TCP, "deny:11"},	/* mapped rule */
	{"192.169.0.1", 80, PROTO_TCP, "-"},
	{"2001:db8::1", 80, PROTO_TCP, "deny:8"},
	{"2001:db8:1::1", 80, PROTO_TCP, "map:9"},
	{"2001:db8:1::1", 81, PROTO_TCP, "deny:8"},
	{"2001:db8:1::5", 80, PROTO_TCP, "allow:10"},	/* /128 over /48 */
	{"2001:db8:2::1", 22, PROTO_TCP, "deny:8"},
	{"2001:db9::1", 22, PROTO_TCP, "map:12"},
	{"2001:db9::1", 22, PROTO_UDP, "-"},
	{"::1", 22, PROTO_TCP, "map:12"},
	{"10.1.2.3", 22, PROTO_TCP, "deny:4"},	/* ::/0 is IPv6 only */
};

START_TEST(test_addr)
{
	struct policy *p = load(conf_addr, "prog");
	const struct addr_case *c = &addr_cases[_i];

	ck_assert_msg(!strcmp(by_addr(p, c->addr, c->port, c->proto), c->want),
		      "%s port %u proto %d: got %s, want %s", c->addr, c->port,
		      c->proto, by_addr(p, c->addr, c->port, c->proto),
		      c->want);
	policy_free(p);
}
END_TEST

static const char conf_names[] =
	"deny = *.example.com\n"			/* 1 */
	"allow = www.example.com\n"		/* 2 */
	"map = *.cdn.example.com\n"		/* 3 */
	"deny = api.example.com 443 tcp\n"	/* 4 */
	"allow = API.Example.COM.\n"		/* 5 */
	"deny = example.org\n";			/* 6 */

static const struct name_case {
	const char *name;
	unsigned port;
	enum policy_proto proto;
	const char *want;
} name_cases[] = {
	{"foo.example.com", 0, PROTO_ANY, "deny:1"},
	{"a.b.c.example.com", 0, PROTO_ANY, "deny:1"},
	{"example.com", 0, PROTO_ANY, "-"},	/* *.x is below x only */
	{"www.example.com", 0, PROTO_ANY, "allow:2"},
	{"WWW.EXAMPLE.COM.", 0, PROTO_ANY, "allow:2"},
	{"x.www.example.com", 0, PROTO_ANY, "deny:1"},
	{"img.cdn.example.com", 0, PROTO_ANY, "map:3"},	/* nearer suffix */
	{"cdn.example.com", 0, PROTO_ANY, "deny:1"},
	{"api.example.com", 0, PROTO_ANY, "allow:5"},	/* 4 needs a port */
	{"api.example.com", 443, PROTO_TCP, "deny:4"},
	{"api.example.com", 443, PROTO_UDP, "allow:5"},
	{"example.org", 0, PROTO_ANY, "deny:6"},
	{"www.example.org", 0, PROTO_ANY, "-"},
	{"example.com.evil", 0, PROTO_ANY, "-"},
	{"xexample.com", 0, PROTO_ANY, "-"},
};

START_TEST(test_name)
{
	struct policy *p = load(conf_names, "prog");
	const struct name_case *c = &name_cases[_i];

	ck_assert_msg(!strcmp(by_name(p, c->name, c->port, c->proto), c->want),
		      "%s port %u: got %s, want %s", c->name, c->port,
		      by_name(p, c->name, c->port, c->proto), c->want);
	policy_free(p);
}
END_TEST

/* Section rules apply to their program only, and follow the selection. */
START_TEST(test_sections)
{
	static const char conf[] =
		"deny = 10.0.0.0/8\n"		/* 1 */
		"[program curl]\n"		/* 2 */
		"allow = 10.1.0.0/16\n"		/* 3 */
		"deny = *.example.com\n"		/* 4 */
		"[program wget]\n"		/* 5 */
		"map = 10.1.0.0/16\n";		/* 6 */
	struct policy *p = load(conf, "curl");

	ck_assert_str_eq(by_addr(p, "10.1.0.1", 80, PROTO_TCP), "allow:3");
	ck_assert_str_eq(by_name(p, "a.example.com", 0, PROTO_ANY), "deny:4");
	policy_select(p, "wget", NULL, NULL);
	ck_assert_str_eq(by_addr(p, "10.1.0.1", 80, PROTO_TCP), "map:6");
	ck_assert_str_eq(by_name(p, "a.example.com", 0, PROTO_ANY), "-");
	policy_select(p, "other", NULL, NULL);
	ck_assert_str_eq(by_addr(p, "10.1.0.1", 80, PROTO_TCP), "deny:1");
	ck_assert_uint_eq(policy_rule_count(p), 1);
	policy_free(p);
}
END_TEST

/*
 * The index is built again only when the rules that apply change: a
 * policy_set() or the choice of a section without rules keeps it, and the
 * answers must be the same as if it had been built again.
 */
START_TEST(test_index_kept)
{
	static const char conf[] =
		"deny = 10.0.0.0/8\n"		/* 1 */
		"[program quiet]\n"		/* 2 */
		"stack = ipv4\n"		/* 3 */
		"[program loud]\n"		/* 4 */
		"allow = 10.1.0.0/16\n";	/* 5 */
	struct policy *p = load(conf, "quiet");
	struct policy_error err;

	ck_assert_str_eq(by_addr(p, "10.1.0.1", 80, PROTO_TCP), "deny:1");
	ck_assert_int_eq(policy_set(p, "stack", "ipv6", "t", &err), 0);
	ck_assert_str_eq(by_addr(p, "10.1.0.1", 80, PROTO_TCP), "deny:1");
	ck_assert_int_eq(policy_select(p, "loud", NULL, NULL), 1);
	ck_assert_str_eq(by_addr(p, "10.1.0.1", 80, PROTO_TCP), "allow:5");
	ck_assert_uint_eq(policy_rule_count(p), 2);
	ck_assert_int_eq(policy_set(p, "prefer", "ipv4", "t", &err), 0);
	ck_assert_str_eq(by_addr(p, "10.1.0.1", 80, PROTO_TCP), "allow:5");
	ck_assert_int_eq(policy_select(p, "quiet", NULL, NULL), 1);
	ck_assert_str_eq(by_addr(p, "10.1.0.1", 80, PROTO_TCP), "deny:1");
	ck_assert_uint_eq(policy_rule_count(p), 1);
	ck_assert_uint_eq(policy_rule_count_of(p, RULE_ALLOW), 0);
	policy_free(p);
}
END_TEST

START_TEST(test_empty)
{
	struct policy *p = load("stack = dual\n", "prog");

	ck_assert_str_eq(by_addr(p, "10.0.0.1", 80, PROTO_TCP), "-");
	ck_assert_str_eq(by_addr(p, "::1", 80, PROTO_TCP), "-");
	ck_assert_str_eq(by_name(p, "example.com", 0, PROTO_ANY), "-");
	policy_free(p);
}
END_TEST

/* --- the index against a plain reading of SPEC §3 ------------------------- */

struct plain_rule {
	struct policy_addr addr;	/* IPv4-mapped rules made IPv4 */
	unsigned plen;
	unsigned low, high;		/* 0, 0: any port */
	enum policy_proto proto;
	unsigned line;
	enum policy_action action;
};

static bool plain_covers(const struct plain_rule *r,
			 const struct policy_addr *a)
{
	unsigned i;

	if (r->addr.fam != a->fam)
		return false;
	for (i = 0; i < r->plen; i++)
		if (((r->addr.a[i / 8] ^ a->a[i / 8]) >> (7 - i % 8)) & 1)
			return false;
	return true;
}

/* Every rule tried; the most specific that fits kept. */
static const struct plain_rule *plain_match(const struct plain_rule *rules,
					    size_t n,
					    const struct policy_addr *a,
					    unsigned port,
					    enum policy_proto proto)
{
	const struct plain_rule *best = NULL, *r;
	size_t i;

	for (i = 0; i < n; i++) {
		r = &rules[i];
		if (!plain_covers(r, a) ||
		    (r->low && (port < r->low || port > r->high)) ||
		    (r->proto != PROTO_ANY && r->proto != proto))
			continue;
		if (best && (r->plen < best->plen ||
			     (r->plen == best->plen &&
			      (best->low || !r->low))))
			continue;
		best = r;
	}
	return best;
}

/* An address near a few bases, so that rules and lookups overlap. */
static void random_addr(struct policy_addr *a, unsigned fam)
{
	static const uint8_t bases[3][16] = {
		{10, 1, 2, 3},
		{0x20, 0x01, 0x0d, 0xb8},
		{0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 10, 1, 2, 3},
	};
	unsigned i, n = fam == FAM_IPV4 ? 4 : 16;

	memset(a, 0, sizeof(*a));
	a->fam = fam;
	memcpy(a->a, bases[fam == FAM_IPV4 ? 0 : 1 + rand() % 2], n);
	for (i = 0; i < 3; i++)
		a->a[n - 1 - (unsigned)rand() % (n / 2)] ^=
			(uint8_t)(1u << (rand() % 8));
}

static void mask(struct policy_addr *a, unsigned plen)
{
	unsigned i;

	for (i = plen; i < 128; i++)
		a->a[i / 8] &= (uint8_t)~(0x80u >> (i % 8));
}

/* Half the time a port range within 1-120, else none (0, 0). */
static void random_ports(unsigned *low, unsigned *high)
{
	if (rand() % 2) {
		*low = 1 + (unsigned)rand() % 100;
		*high = *low + (unsigned)rand() % 20;
	}
}

/* The end of a rule's line, " LOW-HIGH PROTO\n" as they are set. */
static int rule_tail(char *buf, unsigned low, unsigned high,
		     enum policy_proto proto)
{
	static const char *const protos[] = {"", " tcp", " udp"};

	if (low)
		return sprintf(buf, " %u-%u%s\n", low, high, protos[proto]);
	return sprintf(buf, "%s\n", protos[proto]);
}

START_TEST(test_against_plain)
{
	enum { NRULES = 2000, NLOOKUPS = 20000 };
	static const char *const actions[] = {"allow", "deny", "map"};
	struct plain_rule *rules = calloc(NRULES, sizeof(*rules));
	char *text = malloc(NRULES * 80), addr[64];
	size_t len = 0, i;
	struct policy *p;

	ck_assert_ptr_nonnull(rules);
	ck_assert_ptr_nonnull(text);
	srand(4242);
	for (i = 0; i < NRULES; i++) {
		struct plain_rule *r = &rules[i];
		unsigned fam = rand() % 3 ? FAM_IPV4 : FAM_IPV6;
		unsigned max = fam == FAM_IPV4 ? 32 : 128;
		int a = rand() % 3, pr = rand() % 3;

		random_addr(&r->addr, fam);
		r->plen = max - (unsigned)rand() % (max / 2 + 1);
		mask(&r->addr, r->plen);
		random_ports(&r->low, &r->high);
		r->proto = (enum policy_proto)pr;
		r->line = (unsigned)i + 1;
		r->action = (enum policy_action)(RULE_ALLOW + a);
		policy_addr_format(&r->addr, addr, sizeof(addr));
		len += (size_t)sprintf(text + len, "%s = %s/%u", actions[a],
				       addr, r->plen);
		len += (size_t)rule_tail(text + len, r->low, r->high, r->proto);
	}
	p = load(text, "prog");
	for (i = 0; i < NLOOKUPS; i++) {
		struct policy_addr a;
		struct policy_rule got;
		const struct plain_rule *want;
		unsigned port = (unsigned)rand() % 130;
		enum policy_proto proto = (enum policy_proto)(1 + rand() % 2);
		bool found;

		random_addr(&a, rand() % 3 ? FAM_IPV4 : FAM_IPV6);
		want = plain_match(rules, NRULES, &a, port, proto);
		found = policy_match_addr(p, &a, (uint16_t)port, proto, &got);
		policy_addr_format(&a, addr, sizeof(addr));
		ck_assert_msg(found == (want != NULL),
			      "%s port %u: found %d, want line %u", addr, port,
			      found, want ? want->line : 0);
		if (want)
			ck_assert_msg(got.line == want->line &&
					      got.action == want->action,
				      "%s port %u: line %u, want %u", addr,
				      port, got.line, want->line);
	}
	policy_free(p);
	free(text);
	free(rules);
}
END_TEST

/* --- names against a plain reading ---------------------------------------- */

struct plain_name {
	char name[64];			/* lower case */
	bool suffix;			/* "*.name" */
	unsigned low, high;
	enum policy_proto proto;
	unsigned line;
};

/* Whether rule r fits port and proto. */
static bool plain_name_fits(const struct plain_name *r, unsigned port,
			    enum policy_proto proto)
{
	return (!r->low || (port >= r->low && port <= r->high)) &&
	       (r->proto == PROTO_ANY || r->proto == proto);
}

/*
 * SPEC §3 for names, read plainly: of the rules for the name itself, else
 * for its nearest parent that has a fitting "*." rule, the one with a port,
 * then the earliest.
 */
static const struct plain_name *plain_name_match(const struct plain_name *rules,
						 size_t n, const char *name,
						 unsigned port,
						 enum policy_proto proto)
{
	const struct plain_name *best = NULL, *r;
	const char *key = name;
	bool suffix = false;
	size_t i;

	for (;;) {
		for (i = 0; i < n; i++) {
			r = &rules[i];
			if (r->suffix != suffix || strcmp(r->name, key) ||
			    !plain_name_fits(r, port, proto))
				continue;
			if (!best || (r->low && !best->low))
				best = r;
		}
		if (best || !strchr(key, '.'))
			return best;
		key = strchr(key, '.') + 1;
		suffix = true;
	}
}

/* A name of 1 to 4 labels drawn from a few, some long: keys of 16 bytes
 * and fewer are kept in the index's slots, longer ones by pointer. */
static void random_name(char *buf, size_t len)
{
	static const char *const labels[] = {
		"a", "b", "example", "com", "cdn", "internal-service-17",
		"x0123456789",
	};
	unsigned n = 1 + (unsigned)rand() % 4, i;
	size_t at = 0;

	for (i = 0; i < n; i++)
		at += (size_t)snprintf(buf + at, len - at, "%s%s",
				       i ? "." : "",
				       labels[rand() % (sizeof(labels) /
							sizeof(labels[0]))]);
}

START_TEST(test_names_against_plain)
{
	enum { NRULES = 1500, NLOOKUPS = 20000 };
	static const char *const actions[] = {"allow", "deny", "map"};
	struct plain_name *rules = calloc(NRULES, sizeof(*rules));
	char *text = malloc(NRULES * 120), name[64], upper[sizeof(name) + 1];
	size_t len = 0, i, k;
	struct policy *p;

	ck_assert_ptr_nonnull(rules);
	ck_assert_ptr_nonnull(text);
	srand(4343);
	for (i = 0; i < NRULES; i++) {
		struct plain_name *r = &rules[i];

		random_name(r->name, sizeof(r->name));
		r->suffix = rand() % 2;
		random_ports(&r->low, &r->high);
		r->proto = (enum policy_proto)(rand() % 3);
		r->line = (unsigned)i + 1;
		len += (size_t)sprintf(text + len, "%s = %s%s", actions[i % 3],
				       r->suffix ? "*." : "", r->name);
		len += (size_t)rule_tail(text + len, r->low, r->high, r->proto);
	}
	p = load(text, "prog");
	for (i = 0; i < NLOOKUPS; i++) {
		struct policy_rule got;
		const struct plain_name *want;
		unsigned port = (unsigned)rand() % 130;
		enum policy_proto proto = (enum policy_proto)(1 + rand() % 2);
		bool found;

		random_name(name, sizeof(name));
		want = plain_name_match(rules, NRULES, name, port, proto);
		/* Any case, and a final dot, are the same name (upper has
		 * room for the dot after the longest name). */
		for (k = 0; name[k]; k++)
			upper[k] = (char)(rand() % 2 && name[k] >= 'a' &&
						  name[k] <= 'z'
					  ? name[k] - 'a' + 'A'
					  : name[k]);
		upper[k] = '\0';
		if (rand() % 2)
			strcat(upper, ".");
		found = policy_match_name(p, upper, (uint16_t)port, proto,
					  &got);
		ck_assert_msg(found == (want != NULL),
			      "%s port %u: found %d, want line %u", upper,
			      port, found, want ? want->line : 0);
		if (want)
			ck_assert_msg(got.line == want->line,
				      "%s port %u: line %u, want %u", upper,
				      port, got.line, want->line);
	}
	policy_free(p);
	free(text);
	free(rules);
}
END_TEST

/*
 * Thousands of rules on one key, with and without ports: the key's run of
 * rules keeps them in winning order (ports first, then by line).
 */
START_TEST(test_one_key)
{
	enum { N = 3000 };
	char *text = malloc((size_t)N * 48), want[32], port_rule[64];
	struct policy *p;
	size_t len = 0;
	unsigned i;

	ck_assert_ptr_nonnull(text);
	/* Line i + 1: even i a rule on port 1000 + i, odd i one on any port;
	 * the same for a name. */
	for (i = 0; i < N; i++) {
		if (i % 2)
			snprintf(port_rule, sizeof(port_rule), "%s", "");
		else
			snprintf(port_rule, sizeof(port_rule), " %u tcp",
				 1000 + i);
		len += (size_t)sprintf(text + len, "%s = %s%s\n",
				       i % 4 < 2 ? "allow" : "deny",
				       i % 3 ? "10.9.9.0/24" : "*.many.test",
				       port_rule);
	}
	p = load(text, "prog");
	/* The first portless rules: line 2 (address), line 4 (name). */
	ck_assert_str_eq(by_addr(p, "10.9.9.9", 0, PROTO_ANY), "allow:2");
	ck_assert_str_eq(by_addr(p, "10.9.9.9", 999, PROTO_TCP), "allow:2");
	ck_assert_str_eq(by_name(p, "x.many.test", 0, PROTO_ANY), "deny:4");
	for (i = 0; i < N; i += 2) {
		snprintf(want, sizeof(want), "%s:%u",
			 i % 4 < 2 ? "allow" : "deny", i + 1);
		if (i % 3)
			ck_assert_str_eq(by_addr(p, "10.9.9.9", 1000 + i,
						 PROTO_TCP),
					 want);
		else
			ck_assert_str_eq(by_name(p, "x.many.test", 1000 + i,
						 PROTO_TCP),
					 want);
	}
	/* A port rule is tcp only: udp gets the first portless rule. */
	ck_assert_str_eq(by_addr(p, "10.9.9.9", 1002, PROTO_UDP), "allow:2");
	policy_free(p);
	free(text);
}
END_TEST

/*
 * Names whose hashes, as policy/match.c computes them today, agree in every
 * bit a small index looks at (slot, filter and the 32-bit check; found by a
 * birthday search): only the comparison of the names themselves tells them
 * apart, for a name kept in its slot (14 bytes) and one kept by pointer (20
 * bytes).  Should the hash change, this still passes but tests less.
 */
START_TEST(test_hash_collisions)
{
	struct policy *p = load("deny = collide-003d8f1.test\n"
				"allow = c-1047986.test\n", "prog");

	ck_assert_str_eq(by_name(p, "collide-003d8f1.test", 0, PROTO_ANY),
			 "deny:1");
	ck_assert_str_eq(by_name(p, "collide-18f4376.test", 0, PROTO_ANY),
			 "-");
	ck_assert_str_eq(by_name(p, "c-1047986.test", 0, PROTO_ANY),
			 "allow:2");
	ck_assert_str_eq(by_name(p, "c-1690576.test", 0, PROTO_ANY), "-");
	policy_free(p);
}
END_TEST

/*
 * Two thirds of the prefix lengths in use at once, at random (IPv4
 * /0-/32, IPv6 /0-/128): half of those by rules on one address's path,
 * each with a port range or a protocol or in a section, so that most keys
 * have no rule that fits and the lookup must fall back, key by key, to the
 * next shorter one that has; the other half by a rule just off the path,
 * so that the path's searches pass markers that are not keys, whose best
 * key must be the nearest shorter one.  Against the plain reading, with
 * the sections' rules skipped when not selected.
 */
START_TEST(test_lengths_fall_back)
{
	enum { NLOOKUPS = 4000, PER = 2 };
	static const char *const actions[] = {"allow", "deny", "map"};
	static const char *const heads[] = {"", "[program prog]\n",
					    "[program other]\n"};
	struct plain_rule *rules = calloc(2 * 129 * PER, sizeof(*rules));
	bool *skip = calloc(2 * 129 * PER, sizeof(*skip));
	char *text = malloc(2 * 129 * PER * 120), addr[64];
	struct policy_addr base[2];
	int used[2][129];		/* 0: no rule; 1: on the path; 2: off */
	size_t len = 0, n = 0, i;
	unsigned line = 1, plen, f, k, scope;
	struct policy *p;

	ck_assert_ptr_nonnull(rules);
	ck_assert_ptr_nonnull(skip);
	ck_assert_ptr_nonnull(text);
	srand(2020);
	random_addr(&base[0], FAM_IPV4);
	random_addr(&base[1], FAM_IPV6);
	for (f = 0; f < 2; f++)
		for (plen = 0; plen <= 128; plen++)
			used[f][plen] = plen ? rand() % 3 : 1;
	/* Global rules first, then each section's: a section runs to the
	 * end of the file. */
	for (scope = 0; scope < 3; scope++) {
		len += (size_t)sprintf(text + len, "%s", heads[scope]);
		line += scope > 0;
		for (f = 0; f < 2; f++) {
			for (plen = 0; plen <= (f ? 128u : 32u); plen++) {
				for (k = 0; k < PER; k++) {
					struct plain_rule *r = &rules[n];
					int a = rand() % 3;

					if (!used[f][plen] ||
					    (unsigned)rand() % 3 != scope)
						continue;
					r->addr = base[f];
					r->plen = plen;
					mask(&r->addr, plen);
					if (used[f][plen] == 2)
						r->addr.a[(plen - 1) / 8] ^=
							(uint8_t)(0x80u >>
								  ((plen - 1) %
								   8));
					random_ports(&r->low, &r->high);
					r->proto = (enum policy_proto)(rand() %
								      3);
					r->line = line++;
					r->action = (enum policy_action)(
						RULE_ALLOW + a);
					skip[n++] = scope == 2;
					policy_addr_format(&r->addr, addr,
							   sizeof(addr));
					len += (size_t)sprintf(text + len,
							       "%s = %s/%u",
							       actions[a], addr,
							       plen);
					len += (size_t)rule_tail(text + len,
								 r->low,
								 r->high,
								 r->proto);
				}
			}
		}
	}
	p = load(text, "prog");
	/* The plain model without the unselected section's rules. */
	for (i = k = 0; i < n; i++)
		if (!skip[i])
			rules[k++] = rules[i];
	n = k;
	for (i = 0; i < NLOOKUPS; i++) {
		struct policy_addr a;
		struct policy_rule got;
		const struct plain_rule *want;
		unsigned port = (unsigned)rand() % 130, bit;
		enum policy_proto proto = (enum policy_proto)(1 + rand() % 2);
		bool found;

		f = (unsigned)rand() % 2;
		a = base[f];
		/* Off the path at a random depth: each length its turn. */
		bit = (unsigned)rand() % (f ? 129 : 33);
		if (bit < (f ? 128u : 32u))
			a.a[bit / 8] ^= (uint8_t)(0x80u >> (bit % 8));
		want = plain_match(rules, n, &a, port, proto);
		found = policy_match_addr(p, &a, (uint16_t)port, proto, &got);
		policy_addr_format(&a, addr, sizeof(addr));
		ck_assert_msg(found == (want != NULL),
			      "%s port %u: found %d, want line %u", addr, port,
			      found, want ? want->line : 0);
		if (want)
			ck_assert_msg(got.line == want->line &&
					      got.action == want->action,
				      "%s port %u proto %d: line %u, want %u",
				      addr, port, proto, got.line, want->line);
	}
	policy_free(p);
	free(text);
	free(skip);
	free(rules);
}
END_TEST

/*
 * Among 33 lengths, a /32 whose rule is for port 443 only, a /31 for udp
 * only, and a /8 that fits: port 80 over tcp falls back past every length
 * between to the /8, and a lookup off the path at /20 finds the /8 too.
 */
static const char conf_lengths[] =
	"deny = 10.1.2.3/32 443\n"		/* 1 */
	"map = 10.1.2.2/31 udp\n"		/* 2 */
	"allow = 10.0.0.0/8\n"			/* 3 */
	"deny = 10.1.2.0/24 1-10\n"		/* 4 */
	"deny = 10.1.0.0/16 tcp\n";		/* 5 */

START_TEST(test_lengths_table)
{
	struct policy *p = load(conf_lengths, "prog");

	ck_assert_str_eq(by_addr(p, "10.1.2.3", 443, PROTO_TCP), "deny:1");
	ck_assert_str_eq(by_addr(p, "10.1.2.3", 80, PROTO_UDP), "map:2");
	ck_assert_str_eq(by_addr(p, "10.1.2.3", 80, PROTO_TCP), "deny:5");
	ck_assert_str_eq(by_addr(p, "10.1.2.3", 5, PROTO_UDP), "map:2");
	ck_assert_str_eq(by_addr(p, "10.1.2.1", 5, PROTO_TCP), "deny:4");
	ck_assert_str_eq(by_addr(p, "10.1.2.1", 80, PROTO_UDP), "allow:3");
	ck_assert_str_eq(by_addr(p, "10.1.18.1", 80, PROTO_UDP), "allow:3");
	ck_assert_str_eq(by_addr(p, "10.2.0.1", 80, PROTO_TCP), "allow:3");
	ck_assert_str_eq(by_addr(p, "11.1.2.3", 80, PROTO_TCP), "-");
	policy_free(p);
}
END_TEST

/* 100,000 rules: a sample of decisions, each the rule it must be. */
START_TEST(test_many)
{
	enum { N = 100000 };
	char *text = malloc((size_t)N * 40);
	struct policy *p;
	size_t len = 0;
	unsigned i;
	char addr[32];

	ck_assert_ptr_nonnull(text);
	/* Line i + 1: 10.x.y.z/32 (deny) for even i, 10.x.y.0/24 port
	 * 1000 + i % 1000 (map) for odd ones. */
	for (i = 0; i < N; i++)
		len += (size_t)(i % 2 ? sprintf(text + len,
						"map = 11.%u.%u.0/24 %u\n",
						i >> 16, (i >> 8) & 255,
						1000 + i % 1000)
				      : sprintf(text + len,
						"deny = 10.%u.%u.%u\n", i >> 16,
						(i >> 8) & 255, i & 255));
	p = load(text, "prog");
	ck_assert_uint_eq(policy_rule_count(p), N);
	for (i = 0; i < N; i += 997) {
		unsigned even = i & ~1u, odd = i | 1u;
		char want[32];

		snprintf(addr, sizeof(addr), "10.%u.%u.%u", even >> 16,
			 (even >> 8) & 255, even & 255);
		snprintf(want, sizeof(want), "deny:%u", even + 1);
		ck_assert_str_eq(by_addr(p, addr, 1, PROTO_TCP), want);
		snprintf(addr, sizeof(addr), "11.%u.%u.77", odd >> 16,
			 (odd >> 8) & 255);
		snprintf(want, sizeof(want), "map:%u", odd + 1);
		ck_assert_str_eq(by_addr(p, addr, 1000 + odd % 1000, PROTO_UDP),
				 want);
		ck_assert_str_eq(by_addr(p, addr, 999, PROTO_UDP), "-");
	}
	ck_assert_str_eq(by_addr(p, "10.200.0.1", 1, PROTO_TCP), "-");
	policy_free(p);
	free(text);
}
END_TEST


/*
 * What a rule does to a cell (policy_rule_decide()): map and deny by hand,
 * cell by cell where they differ from the table; allow and no rule are the
 * table's own answer in all 36 cells.
 */
static const struct rule_cell {
	enum policy_action action;
	unsigned stack, host, local;
	bool mapped;
	enum policy_outcome want;
} rule_cells[] = {
	{RULE_MAP, STACK_IPV4, FAM_IPV4, FAM_NONE, true, OUTCOME_FAIL_HOST},
	{RULE_MAP, STACK_IPV4, FAM_BOTH, FAM_IPV4, true, OUTCOME_FAIL_HOST},
	{RULE_MAP, STACK_IPV4, FAM_IPV4, FAM_IPV6, true, OUTCOME_FAIL_LOCAL},
	{RULE_MAP, STACK_DUAL, FAM_IPV4, FAM_NONE, true, OUTCOME_MAP},
	{RULE_MAP, STACK_DUAL, FAM_BOTH, FAM_NONE, true, OUTCOME_MAP},
	{RULE_MAP, STACK_DUAL, FAM_BOTH, FAM_BOTH, true, OUTCOME_MAP},
	{RULE_MAP, STACK_DUAL, FAM_IPV6, FAM_NONE, true, OUTCOME_IPV6},
	{RULE_MAP, STACK_DUAL, FAM_IPV4, FAM_IPV4, true, OUTCOME_FAIL_HOST},
	{RULE_MAP, STACK_DUAL, FAM_IPV4, FAM_IPV6, true, OUTCOME_MAP},
	{RULE_MAP, STACK_DUAL, FAM_IPV4, FAM_NONE, false, OUTCOME_FAIL_HOST},
	{RULE_MAP, STACK_IPV6, FAM_IPV4, FAM_NONE, true, OUTCOME_MAP},
	{RULE_MAP, STACK_IPV6, FAM_IPV4, FAM_NONE, false, OUTCOME_FAIL_HOST},
	{RULE_MAP, STACK_IPV6, FAM_BOTH, FAM_IPV4, true, OUTCOME_FAIL_LOCAL},
	{RULE_MAP, STACK_IPV6, FAM_IPV6, FAM_IPV6, true, OUTCOME_IPV6},
	{RULE_DENY, STACK_DUAL, FAM_IPV4, FAM_NONE, true, OUTCOME_DENY},
	{RULE_DENY, STACK_IPV4, FAM_IPV6, FAM_IPV6, true, OUTCOME_DENY},
	{RULE_DENY, STACK_IPV6, FAM_BOTH, FAM_BOTH, false, OUTCOME_DENY},
};

START_TEST(test_rule_cell)
{
	const struct rule_cell *c = &rule_cells[_i];

	ck_assert_str_eq(policy_outcome_name(policy_rule_decide(
				 c->action, c->stack, c->host, c->local,
				 FAM_IPV6, c->mapped)),
			 policy_outcome_name(c->want));
}
END_TEST

START_TEST(test_rule_table)
{
	static const unsigned stacks[] = {STACK_IPV4, STACK_DUAL, STACK_IPV6};
	static const enum policy_action actions[] = {RULE_NONE, RULE_ALLOW};
	unsigned s, host, local, a, prefer;

	for (s = 0; s < 3; s++)
		for (host = FAM_IPV4; host <= FAM_BOTH; host++)
			for (local = FAM_NONE; local <= FAM_BOTH; local++)
				for (a = 0; a < 2; a++)
					for (prefer = FAM_IPV4;
					     prefer <= FAM_IPV6; prefer++)
						ck_assert_int_eq(
							policy_rule_decide(
								actions[a],
								stacks[s], host,
								local, prefer,
								true),
							policy_table_decide(
								stacks[s], host,
								local, prefer,
								true));
}
END_TEST

START_TEST(test_counts_and_covered)
{
	struct policy *p = load("deny = 10.0.0.0/8\n"
				"map = 192.0.2.0/24\n"
				"map = 198.51.100.7 443 tcp\n"
				"deny = db.example.com 5432\n"
				"allow = *.corp.example\n"
				"[program other]\n"
				"map = 203.0.113.0/24\n",
				"prog");

	ck_assert_uint_eq(policy_rule_count(p), 5);
	ck_assert_uint_eq(policy_rule_count_of(p, RULE_DENY), 2);
	ck_assert_uint_eq(policy_rule_count_of(p, RULE_MAP), 2);
	ck_assert_uint_eq(policy_rule_count_of(p, RULE_ALLOW), 1);
	ck_assert_uint_eq(policy_rule_count_of(p, RULE_NONE), 0);
	/* A name rule with a port does not fit a bare name, but covers it. */
	ck_assert(policy_name_ruled(p, "DB.example.com."));
	ck_assert_str_eq(by_name(p, "db.example.com", 0, PROTO_ANY), "-");
	ck_assert(policy_name_ruled(p, "a.b.corp.example"));
	ck_assert(!policy_name_ruled(p, "corp.example"));
	ck_assert(!policy_name_ruled(p, "example.com"));
	policy_select(p, "other", NULL, NULL);
	ck_assert_uint_eq(policy_rule_count_of(p, RULE_MAP), 3);
	policy_free(p);
}
END_TEST

static const char *by_dest(const struct policy *p, const char *addr)
{
	struct policy_addr a;
	struct policy_rule r;

	ck_assert_msg(policy_addr_parse(addr, &a) == 0, "bad %s", addr);
	return answer(policy_match_dest(p, &a, 0, PROTO_ANY, &r), &r);
}

/* A destination as the shim meets it: mapped and translated addresses. */
START_TEST(test_dest)
{
	struct policy *p = load("translate-prefix = 64:ff9b::/96\n"
				"deny = 192.0.2.0/24\n"
				"map = 64:ff9b::c633:6400/120\n"
				"allow = 2001:db8::/32\n",
				"prog");
	struct policy_addr a;
	struct in_addr v4;

	ck_assert_str_eq(by_dest(p, "192.0.2.7"), "deny:2");
	ck_assert_str_eq(by_dest(p, "::ffff:192.0.2.7"), "deny:2");
	/* Translated: its IPv4 address first, then itself. */
	ck_assert_str_eq(by_dest(p, "64:ff9b::192.0.2.7"), "deny:2");
	ck_assert_str_eq(by_dest(p, "64:ff9b::198.51.100.9"), "map:3");
	ck_assert_str_eq(by_dest(p, "64:ff9b::203.0.113.1"), "-");
	ck_assert_str_eq(by_dest(p, "2001:db8::1"), "allow:4");
	/* The default prefix is not this policy's. */
	ck_assert_str_eq(by_dest(p, "64:ff9a::192.0.2.7"), "-");

	ck_assert_int_eq(policy_addr_parse("64:ff9b::192.0.2.7", &a), 0);
	ck_assert(policy_addr_v4(p, &a, &v4));
	ck_assert_uint_eq(ntohl(v4.s_addr), 0xc0000207);
	ck_assert_int_eq(policy_addr_parse("2001:db8::1", &a), 0);
	ck_assert(!policy_addr_v4(p, &a, &v4));
	policy_free(p);
}
END_TEST

/* The match suite, for tests/check_run.c's main(). */
Suite *check_suite(void)
{
	Suite *s = suite_create("match");
	TCase *tc = tcase_create("match");

	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_addr, 0,
			    sizeof(addr_cases) / sizeof(addr_cases[0]));
	tcase_add_loop_test(tc, test_name, 0,
			    sizeof(name_cases) / sizeof(name_cases[0]));
	tcase_add_test(tc, test_sections);
	tcase_add_test(tc, test_index_kept);
	tcase_add_test(tc, test_empty);
	tcase_add_test(tc, test_against_plain);
	tcase_add_test(tc, test_many);
	tcase_add_test(tc, test_lengths_fall_back);
	tcase_add_test(tc, test_lengths_table);
	tcase_add_test(tc, test_names_against_plain);
	tcase_add_test(tc, test_one_key);
	tcase_add_test(tc, test_hash_collisions);
	tcase_add_loop_test(tc, test_rule_cell, 0,
			    sizeof(rule_cells) / sizeof(rule_cells[0]));
	tcase_add_test(tc, test_rule_table);
	tcase_add_test(tc, test_counts_and_covered);
	tcase_add_test(tc, test_dest);
	suite_add_tcase(s, tc);
	return s;
}
