/*
 * check_pool.c - the peer-pool (policy/pool.c), RFC 6535's address mapper:
 * addresses given in order, stable, looked up both ways, never shared,
 * never given past the pool's last host, and never lost to a failed
 * allocation.
 *
 * The test replaces malloc() and calloc() with functions that can be told
 * to fail the Nth call from now; disarmed, they are the next ones, glibc's
 * (or a sanitizer's).
 */
#include "config.h"

#include <arpa/inet.h>
#include <check.h>
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/*
 * The allocator the program would have had without these: glibc's, or in
 * an ASan build (configure --enable-sanitizers) ASan's, whose realloc() and
 * free() must be given what its own malloc() returned.
 */
static void *next_fn(const char *name)
{
	void *fn = dlsym(RTLD_NEXT, name);

	if (!fn)
		abort();
	return fn;
}

/* 0: disarmed; N: the Nth allocation from now fails. */
static unsigned alloc_fail_in;

/* Whether this allocation is the one to fail, counting it. */
static bool alloc_fails(void)
{
	if (!alloc_fail_in || --alloc_fail_in)
		return false;
	errno = ENOMEM;
	return true;
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

/* The IPv6 address 2001:db8::N, N in the last four bytes. */
static struct in6_addr v6_n(uint32_t n)
{
	struct in6_addr a;

	memset(&a, 0, sizeof(a));
	a.s6_addr[0] = 0x20;
	a.s6_addr[1] = 0x01;
	a.s6_addr[2] = 0x0d;
	a.s6_addr[3] = 0xb8;
	n = htonl(n);
	memcpy(a.s6_addr + 12, &n, 4);
	return a;
}

static struct in_addr v4_of(const char *s)
{
	struct in_addr a;

	ck_assert_int_eq(inet_pton(AF_INET, s, &a), 1);
	return a;
}

static struct policy_pool *pool_on(const char *net, unsigned len)
{
	struct in_addr a = v4_of(net);
	struct policy_pool *pool = policy_pool_new(&a, len);

	ck_assert_ptr_nonnull(pool);
	return pool;
}

/* Give v6 its address and check it is want, newly given or not. */
static void give(struct policy_pool *pool, const struct in6_addr *v6,
		 const char *want, bool want_fresh)
{
	struct in_addr v4;
	bool fresh = !want_fresh;

	ck_assert_int_eq(policy_pool_v4(pool, v6, &v4, &fresh), 0);
	ck_assert_uint_eq(v4.s_addr, v4_of(want).s_addr);
	ck_assert(fresh == want_fresh);
}

/* Pools, as given to policy_pool_new(), and the addresses they give. */
static const struct pool_case {
	const char *net;
	unsigned len;
	const char *first, *last;	/* the first and last host */
	uint32_t hosts;
} pools[] = {
	{"192.0.2.0", 30, "192.0.2.1", "192.0.2.2", 2},
	{"192.0.2.8", 29, "192.0.2.9", "192.0.2.14", 6},
	{"192.0.2.77", 24, "192.0.2.1", "192.0.2.254", 254}, /* host bits */
	{"198.18.0.0", 15, "198.18.0.1", "198.19.255.254", 131070},
	{"10.0.0.0", 8, "10.0.0.1", "10.255.255.254", 16777214},
	{"128.0.0.0", 1, "128.0.0.1", "255.255.255.254", 2147483646},
	{"0.0.0.0", 1, "0.0.0.1", "127.255.255.254", 2147483646},
};

/* The first address given is the network's first host; the next follows. */
START_TEST(test_first)
{
	const struct pool_case *c = &pools[_i];
	struct policy_pool *pool = pool_on(c->net, c->len);
	struct in6_addr a = v6_n(1), b = v6_n(2);
	struct in_addr v4;

	ck_assert_uint_eq(policy_pool_size(pool), 0);
	give(pool, &a, c->first, true);
	ck_assert_int_eq(policy_pool_v4(pool, &b, &v4, NULL), 0);
	ck_assert_uint_eq(ntohl(v4.s_addr), ntohl(v4_of(c->first).s_addr) + 1);
	ck_assert_uint_eq(policy_pool_size(pool), 2);
	policy_pool_free(pool);
}
END_TEST

/* Small pools are given whole, in order, and then say ENOSPC. */
START_TEST(test_exhaust)
{
	const struct pool_case *c = &pools[_i];
	struct policy_pool *pool = pool_on(c->net, c->len);
	struct in_addr v4, prev = {0};
	struct in6_addr v6, back;
	uint32_t n;

	for (n = 0; n < c->hosts; n++) {
		v6 = v6_n(n);
		ck_assert_int_eq(policy_pool_v4(pool, &v6, &v4, NULL), 0);
		if (n == 0)
			ck_assert_uint_eq(v4.s_addr, v4_of(c->first).s_addr);
		else
			ck_assert_uint_eq(ntohl(v4.s_addr),
					  ntohl(prev.s_addr) + 1);
		prev = v4;
	}
	ck_assert_uint_eq(v4.s_addr, v4_of(c->last).s_addr);
	v6 = v6_n(n);
	v4.s_addr = 0x5a5a5a5a;
	ck_assert_int_eq(policy_pool_v4(pool, &v6, &v4, NULL), ENOSPC);
	ck_assert_uint_eq(v4.s_addr, 0x5a5a5a5a);
	ck_assert_uint_eq(policy_pool_size(pool), c->hosts);
	/* A full pool still answers for what it gave. */
	for (n = 0; n < c->hosts; n++) {
		v6 = v6_n(n);
		ck_assert_int_eq(policy_pool_v4(pool, &v6, &v4, NULL), 0);
		ck_assert(policy_pool_v6(pool, &v4, &back));
		ck_assert_mem_eq(&back, &v6, sizeof(v6));
	}
	policy_pool_free(pool);
}
END_TEST

/* Asking again gives the same address, not a fresh one. */
START_TEST(test_stable)
{
	struct policy_pool *pool = pool_on("198.18.0.0", 15);
	struct in6_addr a = v6_n(7), b = v6_n(8);

	give(pool, &a, "198.18.0.1", true);
	give(pool, &b, "198.18.0.2", true);
	give(pool, &a, "198.18.0.1", false);
	give(pool, &b, "198.18.0.2", false);
	give(pool, &a, "198.18.0.1", false);
	ck_assert_uint_eq(policy_pool_size(pool), 2);
	policy_pool_free(pool);
}
END_TEST

/* Addresses a /29 pool has not given: none of them names an IPv6 peer. */
static const char *const not_given[] = {
	"192.0.2.8",	/* the network address */
	"192.0.2.15",	/* the broadcast address */
	"192.0.2.11",	/* a host not given yet */
	"192.0.2.14",	/* the last host, not given yet */
	"192.0.2.7",	/* just below the pool */
	"192.0.2.16",	/* just above it */
	"198.18.0.1",	/* the default pool's first host */
	"0.0.0.0",
	"255.255.255.255",
};

START_TEST(test_outside)
{
	struct policy_pool *pool = pool_on("192.0.2.8", 29);
	struct in6_addr a = v6_n(1), b = v6_n(2), v6, keep = v6_n(99);

	give(pool, &a, "192.0.2.9", true);
	give(pool, &b, "192.0.2.10", true);
	v6 = keep;
	ck_assert(!policy_pool_v6(pool, &(struct in_addr){
			v4_of(not_given[_i]).s_addr}, &v6));
	ck_assert_mem_eq(&v6, &keep, sizeof(v6));
	policy_pool_free(pool);
}
END_TEST

/* Both ways: each given address names the IPv6 address it was given to. */
START_TEST(test_both_ways)
{
	struct policy_pool *pool = pool_on("192.0.2.0", 24);
	struct in6_addr v6, back;
	struct in_addr v4;
	uint32_t n;

	for (n = 0; n < 100; n++) {
		v6 = v6_n(1000 - n);
		ck_assert_int_eq(policy_pool_v4(pool, &v6, &v4, NULL), 0);
	}
	for (n = 0; n < 100; n++) {
		v4.s_addr = htonl(ntohl(v4_of("192.0.2.1").s_addr) + n);
		ck_assert(policy_pool_v6(pool, &v4, &back));
		v6 = v6_n(1000 - n);
		ck_assert_mem_eq(&back, &v6, sizeof(v6));
	}
	policy_pool_free(pool);
}
END_TEST

/*
 * IPv6 addresses that differ in one bit only (each of the 128), and ::,
 * are all different peers: no two share an address.
 */
START_TEST(test_distinct)
{
	struct policy_pool *pool = pool_on("198.18.0.0", 15);
	struct in6_addr v6, zero, back;
	struct in_addr v4;
	unsigned bit;

	memset(&zero, 0, sizeof(zero));
	give(pool, &zero, "198.18.0.1", true);
	for (bit = 0; bit < 128; bit++) {
		v6 = zero;
		v6.s6_addr[bit / 8] = (uint8_t)(0x80 >> (bit % 8));
		ck_assert_int_eq(policy_pool_v4(pool, &v6, &v4, NULL), 0);
		ck_assert_uint_eq(ntohl(v4.s_addr),
				  ntohl(v4_of("198.18.0.2").s_addr) + bit);
		ck_assert(policy_pool_v6(pool, &v4, &back));
		ck_assert_mem_eq(&back, &v6, sizeof(v6));
	}
	ck_assert_uint_eq(policy_pool_size(pool), 129);
	policy_pool_free(pool);
}
END_TEST

/* Lengths a pool cannot have: no hosts, or not IPv4. */
static const unsigned bad_lens[] = {0, 31, 32, 33, 64, 128, ~0u};

START_TEST(test_bad_len)
{
	struct in_addr net = v4_of("192.0.2.0");

	errno = 0;
	ck_assert_ptr_null(policy_pool_new(&net, bad_lens[_i]));
	ck_assert_int_eq(errno, EINVAL);
}
END_TEST

/* 100,000 peers in the default /15: in order, distinct, both ways. */
START_TEST(test_big)
{
	enum { N = 100000 };
	struct policy_pool *pool = pool_on("198.18.0.0", 15);
	uint32_t first = ntohl(v4_of("198.18.0.1").s_addr), n;
	struct in6_addr v6, back;
	struct in_addr v4;
	bool fresh;

	for (n = 0; n < N; n++) {
		v6 = v6_n(n * 2654435761u);	/* scattered keys */
		ck_assert_int_eq(policy_pool_v4(pool, &v6, &v4, &fresh), 0);
		ck_assert(fresh);
		ck_assert_uint_eq(ntohl(v4.s_addr), first + n);
	}
	ck_assert_uint_eq(policy_pool_size(pool), N);
	for (n = 0; n < N; n++) {
		v6 = v6_n(n * 2654435761u);
		ck_assert_int_eq(policy_pool_v4(pool, &v6, &v4, &fresh), 0);
		ck_assert(!fresh);
		ck_assert_uint_eq(ntohl(v4.s_addr), first + n);
		ck_assert(policy_pool_v6(pool, &v4, &back));
		ck_assert_mem_eq(&back, &v6, sizeof(v6));
	}
	v4.s_addr = htonl(first + N);
	ck_assert(!policy_pool_v6(pool, &v4, &back));
	ck_assert_uint_eq(policy_pool_size(pool), N);
	policy_pool_free(pool);
}
END_TEST

/*
 * Each allocation a mapping needs fails in turn: ENOMEM, and the pool is
 * as it was (the address is not used up, the peer has none), so the same
 * peer gets the same address once memory is there.  Pools of 0, 1 and 63
 * mappings cover the tables' creation and their first growth.
 */
START_TEST(test_oom)
{
	static const uint32_t before[] = {0, 1, 63};
	struct policy_pool *pool = pool_on("198.18.0.0", 15);
	uint32_t first = ntohl(v4_of("198.18.0.1").s_addr), n;
	struct in6_addr v6, back;
	struct in_addr v4;
	unsigned k;
	int r;

	for (n = 0; n < before[_i]; n++) {
		v6 = v6_n(n);
		ck_assert_int_eq(policy_pool_v4(pool, &v6, &v4, NULL), 0);
	}
	v6 = v6_n(n);
	for (k = 1;; k++) {
		alloc_fail_in = k;
		r = policy_pool_v4(pool, &v6, &v4, NULL);
		if (alloc_fail_in) {
			/* The kth allocation never came: it succeeded. */
			alloc_fail_in = 0;
			break;
		}
		ck_assert_int_eq(r, ENOMEM);
		ck_assert_uint_eq(policy_pool_size(pool), n);
		v4.s_addr = htonl(first + n);
		ck_assert(!policy_pool_v6(pool, &v4, &back));
	}
	ck_assert_int_eq(r, 0);
	ck_assert_uint_gt(k, 1);
	ck_assert_uint_eq(ntohl(v4.s_addr), first + n);
	ck_assert_uint_eq(policy_pool_size(pool), n + 1);
	ck_assert(policy_pool_v6(pool, &v4, &back));
	ck_assert_mem_eq(&back, &v6, sizeof(v6));
	policy_pool_free(pool);
}
END_TEST

/* Freeing NULL, an empty pool and a full one. */
START_TEST(test_free)
{
	struct policy_pool *pool = pool_on("192.0.2.0", 30);
	struct in6_addr v6 = v6_n(1);
	struct in_addr v4;

	policy_pool_free(NULL);
	policy_pool_free(pool_on("192.0.2.0", 24));
	ck_assert_int_eq(policy_pool_v4(pool, &v6, &v4, NULL), 0);
	policy_pool_free(pool);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("pool");
	TCase *tc = tcase_create("pool");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_first, 0, (int)ARRAY_SIZE(pools));
	/* The pools small enough to fill: up to the /24. */
	tcase_add_loop_test(tc, test_exhaust, 0, 3);
	tcase_add_test(tc, test_stable);
	tcase_add_loop_test(tc, test_outside, 0, (int)ARRAY_SIZE(not_given));
	tcase_add_test(tc, test_both_ways);
	tcase_add_test(tc, test_distinct);
	tcase_add_loop_test(tc, test_bad_len, 0, (int)ARRAY_SIZE(bad_lens));
	tcase_add_test(tc, test_big);
	tcase_add_loop_test(tc, test_oom, 0, 3);
	tcase_add_test(tc, test_free);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
