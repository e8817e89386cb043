/* SPDX-License-Identifier: MIT */
/*
 * check_match_oom.c - a rule index that cannot be built fails closed
 * (issue 17, item 13): when an allocation of match_build() (policy/match.c)
 * fails, policy_index_failed() says so, and until the index is built every
 * lookup answers deny (policy_match_dest(), policy_match_addr(),
 * policy_match_name()) and every name is ruled (policy_name_ruled()), so
 * that the shim's name memory keeps each answer; the next refresh (a
 * selection) that can allocate builds it and the rules answer again.
 *
 * malloc(), calloc(), realloc() and aligned_alloc() are replaced by
 * functions that count their calls and, when armed, fail the Nth one.
 * The index holds every rule whatever the selection and is built when the
 * rules change: the parse is run once to count its allocations, then once
 * for each of them failed in turn (those of the config's own that fail the
 * parse are passed over).
 * Nothing of Check's runs while armed: its assertions allocate.
 */
#include "config.h"

#include <check.h>
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_run.h"
#include "policy.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/*
 * The allocator the program would have had without these: glibc's, or in
 * a sanitizer build the sanitizer's.
 */
static void *next_fn(const char *name)
{
	void *fn = dlsym(RTLD_NEXT, name);

	if (!fn)
		abort();
	return fn;
}

/* Allocations counted while armed; the one to fail (0: none), or all. */
static int armed;
static unsigned allocs, fail_at, fail_from;

/* Whether this allocation is to fail; counts it when armed. */
static bool alloc_fails(void)
{
	if (!armed)
		return false;
	++allocs;
	return allocs == fail_at || (fail_from && allocs >= fail_from);
}

void *malloc(size_t size)
{
	static void *(*next)(size_t);

	if (alloc_fails())
		return NULL;
	if (!next)
		next = (void *(*)(size_t))next_fn("malloc");
	return next(size);
}

void *calloc(size_t n, size_t size)
{
	static void *(*next)(size_t, size_t);

	if (alloc_fails())
		return NULL;
	if (!next)
		next = (void *(*)(size_t, size_t))next_fn("calloc");
	return next(n, size);
}

void *realloc(void *p, size_t size)
{
	static void *(*next)(void *, size_t);

	if (alloc_fails())
		return NULL;
	if (!next)
		next = (void *(*)(void *, size_t))next_fn("realloc");
	return next(p, size);
}

void *aligned_alloc(size_t align, size_t size)
{
	static void *(*next)(size_t, size_t);

	if (alloc_fails())
		return NULL;
	if (!next)
		next = (void *(*)(size_t, size_t))next_fn("aligned_alloc");
	return next(align, size);
}

/* Global rules, and a section's: selecting "ruled" indexes both. */
static const char conf[] =
	"deny = 192.0.2.0/24\n"			/* 1 */
	"[program ruled]\n"			/* 2 */
	"allow = 198.51.100.7 443 tcp\n"		/* 3 */
	"map = 2001:db8::/32 80\n"			/* 4 */
	"deny = blocked.test\n"			/* 5 */
	"allow = open.test 22\n";			/* 6 */

/* A lookup, and its rule with the index built ("-": none). */
static const struct lookup {
	const char *what;	/* an address literal, or a name */
	unsigned port;
	enum policy_proto proto;
	const char *built;
} lookups[] = {
	{"192.0.2.9", 80, PROTO_TCP, "deny:1"},
	{"198.51.100.7", 443, PROTO_TCP, "allow:3"},
	{"198.51.100.8", 443, PROTO_TCP, "-"},
	{"2001:db8::1", 80, PROTO_UDP, "map:4"},
	{"::1", 22, PROTO_TCP, "-"},
	{"::ffff:203.0.113.1", 0, PROTO_ANY, "-"},
	{"blocked.test", 80, PROTO_TCP, "deny:5"},
	{"open.test", 22, PROTO_TCP, "allow:6"},
	{"other.test", 22, PROTO_TCP, "-"},
};

/* "action:line" of what a lookup of l finds, "-" for nothing. */
static void answer(const struct policy *p, const struct lookup *l,
		   char *buf, size_t len)
{
	static const char *const names[] = {
		[RULE_NONE] = "none",
		[RULE_ALLOW] = "allow",
		[RULE_DENY] = "deny",
		[RULE_MAP] = "map",
	};
	struct policy_addr a;
	struct policy_rule r;
	bool found;

	if (policy_addr_parse(l->what, &a) == 0)
		found = policy_match_dest(p, &a, (uint16_t)l->port, l->proto,
					  &r);
	else
		found = policy_match_name(p, l->what, (uint16_t)l->port,
					  l->proto, &r);
	if (!found) {
		snprintf(buf, len, "-");
		return;
	}
	snprintf(buf, len, "%s:%u", names[r.action], r.line);
	/* Every rule found names the config it came from. */
	ck_assert_str_eq(r.file, "t.conf");
}

/* Every lookup answers as with the index built. */
static void assert_built(const struct policy *p)
{
	char got[32];
	size_t i;

	ck_assert(!policy_index_failed(p));
	for (i = 0; i < ARRAY_SIZE(lookups); i++) {
		answer(p, &lookups[i], got, sizeof(got));
		ck_assert_msg(!strcmp(got, lookups[i].built),
			      "%s %u: %s, expected %s", lookups[i].what,
			      lookups[i].port, got, lookups[i].built);
	}
	ck_assert(policy_name_ruled(p, "blocked.test"));
	ck_assert(!policy_name_ruled(p, "other.test"));
}

/* Every lookup answers deny, naming no line; every name is ruled. */
static void assert_closed(const struct policy *p)
{
	char got[32];
	size_t i;

	ck_assert(policy_index_failed(p));
	for (i = 0; i < ARRAY_SIZE(lookups); i++) {
		answer(p, &lookups[i], got, sizeof(got));
		ck_assert_msg(!strcmp(got, "deny:0"), "%s %u: %s, expected %s",
			      lookups[i].what, lookups[i].port, got, "deny:0");
		ck_assert(policy_name_ruled(p, lookups[i].what));
	}
}

/*
 * The index is built when the rules change, whatever the selection: the
 * allocations of parsing the config, counted.
 */
static unsigned parse_allocs(void)
{
	struct policy *p = policy_new();
	struct policy_error err;
	int rc;

	ck_assert_ptr_nonnull(p);
	allocs = 0;
	fail_at = 0;
	armed = 1;
	rc = policy_parse_buffer(p, "t.conf", conf, strlen(conf), &err);
	armed = 0;
	ck_assert_int_eq(rc, 0);
	ck_assert_int_eq(policy_select(p, "ruled", NULL, NULL), 1);
	assert_built(p);
	policy_free(p);
	return allocs;
}

/*
 * Each allocation of the parse failed in turn: a parse that gets through
 * leaves the policy failed closed when its index could not be built (with
 * any selection: the global rules are active), and the next refresh that
 * can allocate (a selection) indexes the rules again.  The index's own
 * allocations are the parse's last ones (policy_refresh()), so at least
 * the last few parses must get through failed closed.
 */
START_TEST(test_each_allocation)
{
	unsigned n = parse_allocs(), i, closed = 0;
	struct policy_error err;
	struct policy *p;
	int rc;

	for (i = 1; i <= n; i++) {
		p = policy_new();
		ck_assert_ptr_nonnull(p);
		allocs = 0;
		fail_at = i;
		armed = 1;
		rc = policy_parse_buffer(p, "t.conf", conf, strlen(conf), &err);
		armed = 0;
		if (rc < 0) {
			policy_free(p);
			continue;
		}
		/* Before any refresh that could build it again. */
		if (policy_index_failed(p)) {
			assert_closed(p);
			closed++;
		}
		ck_assert_int_eq(policy_select(p, "ruled", NULL, NULL), 1);
		assert_built(p);
		policy_free(p);
	}
	/* match_build(): where[], the image; policy.c: the selection's bytes;
	 * match_open(): the bitmap of checked blocks. */
	ck_assert_msg(closed >= 4, "%u of %u allocations failed closed", closed,
		      n);
}
END_TEST

/*
 * Every allocation from the kth on failing, for each k from the parse's last
 * back to where the parse itself fails: the index fails with all of its
 * allocations failing, and the policy is closed for the global rules too.
 */
START_TEST(test_no_memory)
{
	unsigned n = parse_allocs(), k, closed = 0;
	struct policy_error err;
	struct policy *p;
	int rc;

	for (k = n; k >= 1; k--) {
		p = policy_new();
		ck_assert_ptr_nonnull(p);
		allocs = 0;
		fail_from = k;
		armed = 1;
		rc = policy_parse_buffer(p, "t.conf", conf, strlen(conf), &err);
		armed = 0;
		fail_from = 0;
		if (rc < 0) {
			policy_free(p);
			break;
		}
		ck_assert(policy_index_failed(p));
		assert_closed(p);
		closed++;
		policy_free(p);
	}
	ck_assert_msg(closed >= 1, "no parse got through without memory");
}
END_TEST

/* The match_oom suite, for tests/check_run.c's main(). */
Suite *check_suite(void)
{
	Suite *s = suite_create("match_oom");
	TCase *tc = tcase_create("match_oom");

	tcase_add_test(tc, test_each_allocation);
	tcase_add_test(tc, test_no_memory);
	suite_add_tcase(s, tc);
	return s;
}
