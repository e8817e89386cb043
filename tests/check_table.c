/* SPDX-License-Identifier: MIT */
/*
 * check_table.c - the selection table, cell by cell, against the seed.
 *
 * The cells are read from tests/table.txt (under $top_srcdir, or the
 * directory given as the first argument), the one transcription of IBM's
 * table (shared/seeds/004_*.txt) that every test of it reads; see there for
 * its two setting-dependent words: "prefer" (our prefer key) and "map"
 * (fail-host when mapped = no).
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_run.h"
#include "policy.h"

#define V4 FAM_IPV4
#define V6 FAM_IPV6
#define BOTH FAM_BOTH
#define NONE FAM_NONE

enum expect { E_IPV4, E_IPV6, E_MAP, E_FAIL_HOST, E_FAIL_LOCAL, E_PREFER };

struct cell {
	unsigned stack, host, local;
	enum expect expect;
};

/* Room for more than 36, so that a table with extra rows is caught by
 * test_cells_complete rather than cut to size. */
#define MAX_CELLS 64
static struct cell seed[MAX_CELLS];
static size_t ncells;

/* The words of tests/table.txt; a separate table from the library's
 * policy_*_name(), which test_token checks against these same words. */
static const struct word {
	const char *text;
	unsigned value;
} stack_words[] = {
	{"ipv4", STACK_IPV4}, {"dual", STACK_DUAL}, {"ipv6", STACK_IPV6},
}, local_words[] = {
	{"none", NONE}, {"ipv4", V4}, {"ipv6", V6}, {"both", BOTH},
}, outcome_words[] = {
	{"ipv4", E_IPV4}, {"ipv6", E_IPV6}, {"map", E_MAP},
	{"fail-host", E_FAIL_HOST}, {"fail-local", E_FAIL_LOCAL},
	{"prefer", E_PREFER},
};

/* The hosts of a row's three outcome columns, in order. */
static const unsigned column_hosts[] = {V4, V6, BOTH};

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* Set *value to WORD's value in WORDS; false when it is none of them. */
static bool word_value(const struct word *words, int n, const char *word,
		       unsigned *value)
{
	int i;

	for (i = 0; i < n; i++)
		if (strcmp(words[i].text, word) == 0) {
			*value = words[i].value;
			return true;
		}
	return false;
}

/* One row, "stack local o4 o6 oboth", as three cells; false when it is not
 * one or they do not fit. */
static bool add_row(const char *line)
{
	char w[5][16];
	unsigned stack, local, outcome;
	int i;

	if (sscanf(line, "%15s %15s %15s %15s %15s", w[0], w[1], w[2], w[3],
		   w[4]) != 5 ||
	    !word_value(stack_words, N(stack_words), w[0], &stack) ||
	    !word_value(local_words, N(local_words), w[1], &local))
		return false;
	for (i = 0; i < 3; i++) {
		if (ncells == MAX_CELLS ||
		    !word_value(outcome_words, N(outcome_words), w[2 + i],
				&outcome))
			return false;
		seed[ncells++] = (struct cell){stack, column_hosts[i], local,
					       (enum expect)outcome};
	}
	return true;
}

/*
 * Fill seed[] from TOP/tests/table.txt.  Returns false, having said why on
 * stderr, when the file cannot be read or a line is no row.
 */
static bool load_seed(const char *top)
{
	char path[4096], line[256];
	unsigned lineno = 0;
	bool ok = true;
	FILE *f;

	snprintf(path, sizeof(path), "%s/tests/table.txt", top);
	f = fopen(path, "re");
	if (!f) {
		perror(path);
		return false;
	}
	while (ok && fgets(line, sizeof(line), f)) {
		lineno++;
		if (line[0] == '#' || line[strspn(line, " \t\n")] == '\0')
			continue;
		ok = add_row(line);
		if (!ok)
			fprintf(stderr, "%s:%u: not a row of the table\n",
				path, lineno);
	}
	fclose(f);
	return ok;
}

/* The four settings each cell is checked under: prefer x mapped. */
static const struct variant {
	unsigned prefer;
	bool mapped;
} variants[] = {
	{FAM_IPV6, true},
	{FAM_IPV4, true},
	{FAM_IPV6, false},
	{FAM_IPV4, false},
};

static enum policy_outcome expected(const struct cell *c,
				    const struct variant *v)
{
	switch (c->expect) {
	case E_PREFER:
		return v->prefer == FAM_IPV4 ? OUTCOME_IPV4 : OUTCOME_IPV6;
	case E_MAP:
		return v->mapped ? OUTCOME_MAP : OUTCOME_FAIL_HOST;
	case E_IPV4:
		return OUTCOME_IPV4;
	case E_IPV6:
		return OUTCOME_IPV6;
	case E_FAIL_HOST:
		return OUTCOME_FAIL_HOST;
	default:
		return OUTCOME_FAIL_LOCAL;
	}
}

START_TEST(test_cell)
{
	const struct cell *c = &seed[_i % ncells];
	const struct variant *v = &variants[_i / ncells];
	enum policy_outcome want = expected(c, v);
	enum policy_outcome got = policy_table_decide(c->stack, c->host,
						      c->local, v->prefer,
						      v->mapped);

	ck_assert_msg(got == want,
		      "stack=%s host=%s local=%s prefer=%s mapped=%d: "
		      "got %s, want %s", policy_stack_name(c->stack),
		      policy_host_name(c->host), policy_local_name(c->local),
		      policy_local_name(v->prefer), v->mapped,
		      policy_outcome_name(got), policy_outcome_name(want));
}
END_TEST

/* Every (stack, host, local) appears exactly once in the transcription. */
START_TEST(test_cells_complete)
{
	static const unsigned stacks[] = {STACK_IPV4, STACK_DUAL, STACK_IPV6};
	unsigned s, h, l, n;
	size_t i;

	for (s = 0; s < 3; s++)
		for (h = FAM_IPV4; h <= FAM_BOTH; h++)
			for (l = FAM_NONE; l <= FAM_BOTH; l++) {
				for (n = 0, i = 0; i < ncells; i++)
					n += seed[i].stack == stacks[s] &&
					     seed[i].host == h &&
					     seed[i].local == l;
				ck_assert_uint_eq(n, 1);
			}
	ck_assert_uint_eq(ncells, 36);
}
END_TEST

static const struct token {
	const char *(*fn)(unsigned);
	unsigned value;
	const char *want;
} tokens[] = {
	{policy_stack_name, STACK_IPV4, "ipv4"},
	{policy_stack_name, STACK_DUAL, "dual"},
	{policy_stack_name, STACK_IPV6, "ipv6"},
	{policy_stack_name, 0, NULL},
	{policy_stack_name, 4, NULL},
	{policy_host_name, FAM_IPV4, "ipv4"},
	{policy_host_name, FAM_IPV6, "ipv6"},
	{policy_host_name, FAM_BOTH, "both"},
	{policy_host_name, FAM_NONE, NULL},
	{policy_local_name, FAM_NONE, "none"},
	{policy_local_name, FAM_IPV4, "ipv4"},
	{policy_local_name, FAM_IPV6, "ipv6"},
	{policy_local_name, FAM_BOTH, "both"},
	{policy_local_name, 8, NULL},
	/* A loopback class is named by its families. */
	{policy_host_name, FAM_IPV4 | FAM_LOOP4, "ipv4"},
	{policy_host_name, FAM_BOTH | FAM_LOOP4, "both"},
	{policy_host_name, FAM_LOOP4, NULL},
	{policy_local_name, FAM_IPV4 | FAM_LOOP4, "ipv4"},
};

START_TEST(test_token)
{
	const struct token *t = &tokens[_i];
	const char *got = t->fn(t->value);

	if (!t->want)
		ck_assert_ptr_null(got);
	else
		ck_assert_str_eq(got, t->want);
}
END_TEST

static const char *const outcome_tokens[] = {
	[OUTCOME_IPV4] = "ipv4",
	[OUTCOME_IPV6] = "ipv6",
	[OUTCOME_MAP] = "map",
	[OUTCOME_FAIL_HOST] = "fail-host",
	[OUTCOME_FAIL_LOCAL] = "fail-local",
	[OUTCOME_DENY] = "deny",
};

START_TEST(test_outcome_token)
{
	ck_assert_str_eq(policy_outcome_name((enum policy_outcome)_i),
			 outcome_tokens[_i]);
	ck_assert_ptr_null(policy_outcome_name(OUTCOME_COUNT));
}
END_TEST

/*
 * IPv4 loopback exists on every stack (SPEC §2, "Real hosts, where the
 * table is silent"): with ipv4-loopback = yes a decision whose IPv4 side
 * is all 127.0.0.0/8 has IPv4 usable; with no, the table holds as it is.
 * Asked of a policy, as the shim asks it.
 */
#define L4 (FAM_IPV4 | FAM_LOOP4)
#define LB (FAM_BOTH | FAM_LOOP4)
static const struct loop_case {
	const char *stack, *loopback, *mapped, *prefer;
	enum policy_action action;
	unsigned host, local;
	enum policy_outcome want;
} loop_cases[] = {
	/* An ipv6 stack reaches 127/8 over IPv4 (through ::ffff: on an
	 * upgraded socket), mapped or not. */
	{"ipv6", "yes", "yes", "ipv6", RULE_NONE, L4, NONE, OUTCOME_IPV4},
	{"ipv6", "yes", "no", "ipv6", RULE_NONE, L4, NONE, OUTCOME_IPV4},
	{"ipv6", "no", "yes", "ipv6", RULE_NONE, L4, NONE, OUTCOME_MAP},
	{"ipv6", "no", "no", "ipv6", RULE_NONE, L4, NONE, OUTCOME_FAIL_HOST},
	/* Other IPv4 hosts are the table's. */
	{"ipv6", "yes", "yes", "ipv6", RULE_NONE, V4, NONE, OUTCOME_MAP},
	{"ipv6", "yes", "no", "ipv6", RULE_NONE, V4, NONE,
	 OUTCOME_FAIL_HOST},
	/* A bind (no host) to 127/8 is no fail-local; to another IPv4
	 * address it is, and so is a loopback-bound socket's connect
	 * elsewhere. */
	{"ipv6", "yes", "no", "ipv6", RULE_NONE, NONE, L4, OUTCOME_FAIL_HOST},
	{"ipv6", "no", "yes", "ipv6", RULE_NONE, NONE, L4,
	 OUTCOME_FAIL_LOCAL},
	{"ipv6", "yes", "yes", "ipv6", RULE_NONE, NONE, V4,
	 OUTCOME_FAIL_LOCAL},
	{"ipv6", "yes", "yes", "ipv6", RULE_NONE, V4, L4, OUTCOME_FAIL_LOCAL},
	{"ipv6", "yes", "no", "ipv6", RULE_NONE, L4, L4, OUTCOME_IPV4},
	{"ipv6", "yes", "yes", "ipv6", RULE_NONE, L4, V6, OUTCOME_MAP},
	{"ipv6", "yes", "no", "ipv6", RULE_NONE, L4, V6, OUTCOME_FAIL_HOST},
	/* localhost (127.0.0.1 and ::1) is a both host there. */
	{"ipv6", "yes", "yes", "ipv6", RULE_NONE, LB, NONE, OUTCOME_IPV6},
	{"ipv6", "yes", "no", "ipv4", RULE_NONE, LB, NONE, OUTCOME_IPV4},
	{"ipv6", "no", "no", "ipv4", RULE_NONE, LB, NONE, OUTCOME_IPV6},
	/* IPv6 loopback is no IPv4 one: an ipv4 stack has none. */
	{"ipv4", "yes", "yes", "ipv6", RULE_NONE, V6, NONE,
	 OUTCOME_FAIL_HOST},
	{"ipv4", "yes", "yes", "ipv6", RULE_NONE, L4, NONE, OUTCOME_IPV4},
	{"dual", "yes", "yes", "ipv6", RULE_NONE, L4, NONE, OUTCOME_IPV4},
	/* Loopback never goes through a translate-prefix: a map rule
	 * leaves it to the table, a deny rule still refuses it. */
	{"dual", "yes", "yes", "ipv6", RULE_MAP, L4, NONE, OUTCOME_IPV4},
	{"ipv6", "yes", "yes", "ipv6", RULE_MAP, L4, NONE, OUTCOME_IPV4},
	{"dual", "no", "yes", "ipv6", RULE_MAP, L4, NONE, OUTCOME_MAP},
	{"dual", "yes", "yes", "ipv6", RULE_MAP, V4, NONE, OUTCOME_MAP},
	{"ipv6", "yes", "yes", "ipv6", RULE_DENY, L4, NONE, OUTCOME_DENY},
};

/* A policy with these settings, as overrides. */
static struct policy *policy_with(const char *stack, const char *loopback,
				  const char *mapped, const char *prefer)
{
	struct policy *p = policy_new();
	struct policy_error err;

	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(policy_set(p, "stack", stack, "t", &err), 0);
	ck_assert_int_eq(policy_set(p, "ipv4-loopback", loopback, "t", &err),
			 0);
	ck_assert_int_eq(policy_set(p, "mapped", mapped, "t", &err), 0);
	ck_assert_int_eq(policy_set(p, "prefer", prefer, "t", &err), 0);
	return p;
}

START_TEST(test_loopback)
{
	const struct loop_case *c = &loop_cases[_i];
	struct policy *p = policy_with(c->stack, c->loopback, c->mapped,
				       c->prefer);
	enum policy_outcome got;

	got = policy_decide_rule(p, c->action, c->host, c->local);
	ck_assert_msg(got == c->want,
		      "case %d: stack=%s ipv4-loopback=%s mapped=%s: got %s, "
		      "want %s", _i, c->stack, c->loopback, c->mapped,
		      policy_outcome_name(got), policy_outcome_name(c->want));
	if (c->action == RULE_NONE)
		ck_assert_int_eq(policy_decide(p, c->host, c->local), got);
	policy_free(p);
}
END_TEST

/* Which families have sockets: policy_socket_fams(). */
static const struct socket_case {
	const char *stack, *loopback, *mapped;
	unsigned want;
} socket_cases[] = {
	{"ipv4", "yes", "yes", V4},
	{"dual", "no", "no", BOTH},
	{"ipv6", "yes", "yes", BOTH},
	{"ipv6", "no", "yes", BOTH},
	{"ipv6", "yes", "no", BOTH},
	{"ipv6", "no", "no", V6},
};

START_TEST(test_socket_fams)
{
	const struct socket_case *c = &socket_cases[_i];
	struct policy *p = policy_with(c->stack, c->loopback, c->mapped,
				       "ipv6");

	ck_assert_uint_eq(policy_socket_fams(p), c->want);
	policy_free(p);
}
END_TEST

/* The class of an address, and of a set of them. */
static const struct class_case {
	const char *addr;
	unsigned before, want;
} class_cases[] = {
	{"127.0.0.1", NONE, L4},
	{"127.255.255.254", NONE, L4},
	{"::ffff:127.0.0.2", NONE, L4},
	{"128.0.0.1", NONE, V4},
	{"10.0.0.1", NONE, V4},
	{"::1", NONE, V6},
	{"64:ff9b::7f00:1", NONE, V6},
	{"::127.0.0.1", NONE, V6},
	{"::1", L4, LB},
	{"127.0.0.1", V6, LB},
	{"10.0.0.1", L4, V4},
	{"127.0.0.1", V4, V4},
	{"127.0.0.1", L4, L4},
	{"::1", V4, BOTH},
};

START_TEST(test_class)
{
	const struct class_case *c = &class_cases[_i];
	struct policy_addr a;

	ck_assert_int_eq(policy_addr_parse(c->addr, &a), 0);
	ck_assert_uint_eq(policy_class_add(c->before, policy_addr_class(&a)),
			  c->want);
}
END_TEST

/*
 * translate-prefix = auto: every map decision is fail-host until a prefix
 * is found, and map again once it is; other outcomes never change.
 */
static const struct auto_case {
	const char *stack, *mapped;
	enum policy_action action;
	unsigned host, local;
	enum policy_outcome before, after;
} auto_cases[] = {
	{"ipv6", "yes", RULE_NONE, V4, NONE, OUTCOME_FAIL_HOST, OUTCOME_MAP},
	{"ipv6", "yes", RULE_NONE, V4, V6, OUTCOME_FAIL_HOST, OUTCOME_MAP},
	{"ipv6", "yes", RULE_NONE, BOTH, NONE, OUTCOME_IPV6, OUTCOME_IPV6},
	{"ipv6", "yes", RULE_NONE, L4, NONE, OUTCOME_IPV4, OUTCOME_IPV4},
	{"ipv6", "yes", RULE_NONE, V4, V4, OUTCOME_FAIL_LOCAL,
	 OUTCOME_FAIL_LOCAL},
	{"ipv6", "no", RULE_NONE, V4, NONE, OUTCOME_FAIL_HOST,
	 OUTCOME_FAIL_HOST},
	{"dual", "yes", RULE_MAP, V4, NONE, OUTCOME_FAIL_HOST, OUTCOME_MAP},
	{"dual", "yes", RULE_NONE, V4, NONE, OUTCOME_IPV4, OUTCOME_IPV4},
	{"dual", "yes", RULE_DENY, V4, NONE, OUTCOME_DENY, OUTCOME_DENY},
};

/* The prefix test_auto's finder gives (len 0: none). */
static struct in6_addr auto_prefix;
static unsigned auto_len, auto_asked;

static int auto_finder(struct in6_addr *prefix, unsigned *len)
{
	auto_asked++;
	if (!auto_len)
		return -1;
	*prefix = auto_prefix;
	*len = auto_len;
	return 0;
}

START_TEST(test_auto)
{
	const struct auto_case *c = &auto_cases[_i];
	struct policy *p = policy_with(c->stack, "yes", c->mapped, "ipv6");
	struct policy_error err;
	struct in6_addr wkp = {.s6_addr = {0, 0x64, 0xff, 0x9b}}, got;
	unsigned len;

	ck_assert_int_eq(policy_set(p, "translate-prefix", "auto", "t", &err),
			 0);
	ck_assert(policy_translate_auto(p));
	ck_assert_int_eq(policy_decide_rule(p, c->action, c->host, c->local),
			 c->before);	/* no finder */
	auto_len = auto_asked = 0;
	policy_set_pref64_finder(p, auto_finder);
	ck_assert_int_eq(policy_decide_rule(p, c->action, c->host, c->local),
			 c->before);	/* none found */
	auto_prefix = wkp;
	auto_len = 95;		/* not RFC 6052's: none */
	ck_assert_int_eq(policy_decide_rule(p, c->action, c->host, c->local),
			 c->before);
	auto_len = 96;
	policy_translate_prefix(p, &got, &len);
	/* A policy that never maps never asks the network. */
	if (!policy_may_map(p)) {
		ck_assert_uint_eq(len, 0);
		ck_assert_uint_eq(auto_asked, 0);
	} else {
		ck_assert_uint_eq(len, 96);
		ck_assert_mem_eq(&got, &wkp, sizeof(got));
	}
	ck_assert_int_eq(policy_decide_rule(p, c->action, c->host, c->local),
			 c->after);
	policy_free(p);
}
END_TEST

/* Whether anything maps, so that auto needs looking for. */
static const struct may_map_case {
	const char *stack, *mapped;
	bool want;
} may_map_cases[] = {
	{"ipv6", "yes", true},
	{"ipv6", "no", false},
	{"dual", "yes", true},	/* a socket bound to an IPv6 address */
	{"dual", "no", false},
	{"ipv4", "yes", false},
};

START_TEST(test_may_map)
{
	const struct may_map_case *c = &may_map_cases[_i];
	struct policy *p = policy_with(c->stack, "yes", c->mapped, "ipv6");

	ck_assert_int_eq(policy_may_map(p), c->want);
	policy_free(p);
}
END_TEST

/* RFC 6052 §3.1: the well-known prefix carries global addresses only. */
static const struct dest_case {
	const char *prefix, *dest;
	enum policy_action action;
	enum policy_outcome want;
} dest_cases[] = {
	{"64:ff9b::/96", "8.8.8.8", RULE_NONE, OUTCOME_MAP},
	{"64:ff9b::/96", "11.0.0.2", RULE_NONE, OUTCOME_MAP},
	{"64:ff9b::/96", "10.1.2.3", RULE_NONE, OUTCOME_FAIL_HOST},
	{"64:ff9b::/96", "192.168.1.1", RULE_NONE, OUTCOME_FAIL_HOST},
	{"64:ff9b::/96", "100.64.0.1", RULE_NONE, OUTCOME_FAIL_HOST},
	{"64:ff9b::/96", "10.1.2.3", RULE_MAP, OUTCOME_MAP},
	{"64:ff9b::/96", "10.1.2.3", RULE_DENY, OUTCOME_DENY},
	{"64:ff9b::/96", "127.0.0.1", RULE_NONE, OUTCOME_IPV4},
	{"64:ff9b::/96", "64:ff9b::a01:203", RULE_NONE, OUTCOME_IPV6},
	{"2001:db8:64::/96", "10.1.2.3", RULE_NONE, OUTCOME_MAP},
	{"64:ff9b:1::/48", "10.1.2.3", RULE_NONE, OUTCOME_MAP},
	{"::ffff:0:0/96", "10.1.2.3", RULE_NONE, OUTCOME_MAP},
};

START_TEST(test_dest)
{
	const struct dest_case *c = &dest_cases[_i];
	struct policy *p = policy_with("ipv6", "yes", "yes", "ipv6");
	struct policy_error err;
	struct policy_addr dest;
	enum policy_outcome got;

	ck_assert_int_eq(policy_set(p, "translate-prefix", c->prefix, "t",
				    &err), 0);
	ck_assert_int_eq(policy_addr_parse(c->dest, &dest), 0);
	got = policy_decide_dest(p, c->action, policy_addr_class(&dest),
				 FAM_NONE, &dest);
	ck_assert_msg(got == c->want, "%s under %s: got %s, want %s", c->dest,
		      c->prefix, policy_outcome_name(got),
		      policy_outcome_name(c->want));
	policy_free(p);
}
END_TEST

/* The table suite, for tests/check_run.c's main(). */
Suite *check_suite(void)
{
	Suite *s;
	TCase *tc;

	if (!load_seed(check_top()))
		return NULL;
	s = suite_create("table");
	tc = tcase_create("cells");
	tcase_add_loop_test(tc, test_cell, 0,
			    (int)(ncells * (sizeof(variants) /
					    sizeof(variants[0]))));
	tcase_add_test(tc, test_cells_complete);
	suite_add_tcase(s, tc);
	tc = tcase_create("tokens");
	tcase_add_loop_test(tc, test_token, 0,
			    (int)(sizeof(tokens) / sizeof(tokens[0])));
	tcase_add_loop_test(tc, test_outcome_token, 0, OUTCOME_COUNT);
	suite_add_tcase(s, tc);
	tc = tcase_create("loopback");
	tcase_add_loop_test(tc, test_loopback, 0, N(loop_cases));
	tcase_add_loop_test(tc, test_socket_fams, 0, N(socket_cases));
	tcase_add_loop_test(tc, test_class, 0, N(class_cases));
	suite_add_tcase(s, tc);
	tc = tcase_create("translate-prefix auto");
	tcase_add_loop_test(tc, test_auto, 0, N(auto_cases));
	tcase_add_loop_test(tc, test_may_map, 0, N(may_map_cases));
	tcase_add_loop_test(tc, test_dest, 0, N(dest_cases));
	suite_add_tcase(s, tc);
	return s;
}
