/* SPDX-License-Identifier: MIT */
/*
 * check_pool.c - the peer-pool region (policy/pool.c), RFC 6535's address
 * mapper over memory many processes share: addresses given in order,
 * stable, looked up both ways, never shared, never given past the pool's
 * last host or its capacity; a writer cut short at each step leaves
 * nothing wrong; a region that is not a pool's, or not this pool's, is
 * refused; and nothing allocates.
 *
 * Regions are memfd files mapped MAP_SHARED, as shim/poolfile.c maps the
 * pool's file; a second mapping of the same memfd stands for a second
 * process.  malloc() and calloc() are replaced by functions that count
 * their calls, to show that the pool makes none.
 */
#include "config.h"

#include <arpa/inet.h>
#include <check.h>
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "check_run.h"
#include "policy.h"
#include "pool-layout.h"

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

/* Allocations made since it was last zeroed. */
static unsigned allocs;

void *malloc(size_t size)
{
	static void *(*next)(size_t);

	allocs++;
	if (!next)
		next = (void *(*)(size_t))next_fn("malloc");
	return next(size);
}

void *calloc(size_t n, size_t size)
{
	static void *(*next)(size_t, size_t);

	allocs++;
	if (!next)
		next = (void *(*)(size_t, size_t))next_fn("calloc");
	return next(n, size);
}

/* The lock ABI word the tests format with. */
#define ABI 0x10828u

static const uint64_t keys[POLICY_POOL_KEYS] = {
	0x0123456789abcdefu, 0xfedcba9876543210u, 0x9e3779b97f4a7c15u,
	0xc2b2ae3d27d4eb4fu, 0x165667b19e3779f9u,
};

/* A region of the pool net/len: a memfd of its size, mapped shared. */
struct region {
	int fd;
	void *base;
	size_t size;
	struct in_addr net;
	unsigned len;
	struct policy_pool pool;
};

static void *region_map(const struct region *r)
{
	void *base = mmap(NULL, r->size, PROT_READ | PROT_WRITE, MAP_SHARED,
			  r->fd, 0);

	ck_assert_ptr_ne(base, MAP_FAILED);
	return base;
}

static struct in_addr v4_of(const char *s)
{
	struct in_addr a;

	ck_assert_int_eq(inet_pton(AF_INET, s, &a), 1);
	return a;
}

/* A formatted, empty pool on net/len in r. */
static struct policy_pool *pool_on(struct region *r, const char *net,
				   unsigned len)
{
	r->net = v4_of(net);
	r->len = len;
	r->size = policy_pool_region_size(&r->net, len);
	ck_assert_uint_gt(r->size, 0);
	r->fd = memfd_create("pool", MFD_CLOEXEC);
	ck_assert_int_ge(r->fd, 0);
	ck_assert_int_eq(ftruncate(r->fd, (off_t)r->size), 0);
	r->base = region_map(r);
	ck_assert_int_eq(policy_pool_format(&r->pool, r->base, r->size,
					    &r->net, len, ABI, keys),
			 POLICY_POOL_OK);
	return &r->pool;
}

static void region_free(struct region *r)
{
	munmap(r->base, r->size);
	close(r->fd);
}

static struct pool_header *header(const struct region *r)
{
	return r->base;
}

static struct pool_entry *entry(const struct region *r, uint32_t n)
{
	return (struct pool_entry *)((char *)r->base + POOL_PAGE) + n;
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

/* Give v6 its address and check it is want, newly given or not. */
static void give(struct policy_pool *pool, const struct in6_addr *v6,
		 const char *want, bool want_fresh)
{
	struct in_addr v4;
	bool fresh = !want_fresh;

	ck_assert_int_eq(policy_pool_assign(pool, v6, &v4, &fresh), 0);
	ck_assert_uint_eq(v4.s_addr, v4_of(want).s_addr);
	ck_assert(fresh == want_fresh);
	ck_assert(policy_pool_v4(pool, v6, &v4));
	ck_assert_uint_eq(v4.s_addr, v4_of(want).s_addr);
}

/* Pools, as given to policy_pool_format(), and the addresses they give. */
static const struct pool_case {
	const char *net;
	unsigned len;
	const char *first, *last;	/* the first and last address given */
	uint32_t capacity;
} pools[] = {
	{"192.0.2.0", 30, "192.0.2.1", "192.0.2.2", 2},
	{"192.0.2.8", 29, "192.0.2.9", "192.0.2.14", 6},
	{"192.0.2.77", 24, "192.0.2.1", "192.0.2.254", 254}, /* host bits */
	{"198.18.0.0", 15, "198.18.0.1", "198.19.255.254", 131070},
	/* Past 2^20 hosts, the first 2^20 of them. */
	{"10.0.0.0", 11, "10.0.0.1", "10.16.0.0", 1048576},
	{"10.0.0.0", 8, "10.0.0.1", "10.16.0.0", 1048576},
	{"128.0.0.0", 1, "128.0.0.1", "128.16.0.0", 1048576},
	{"0.0.0.0", 1, "0.0.0.1", "0.16.0.0", 1048576},
};

/* The first address given is the network's first host; the next follows. */
START_TEST(test_first)
{
	const struct pool_case *c = &pools[_i];
	struct region r;
	struct policy_pool *pool = pool_on(&r, c->net, c->len);
	struct in6_addr a = v6_n(1), b = v6_n(2);
	struct in_addr v4;

	ck_assert_uint_eq(policy_pool_size(pool), 0);
	ck_assert(!policy_pool_v4(pool, &a, &v4));
	give(pool, &a, c->first, true);
	ck_assert_int_eq(policy_pool_assign(pool, &b, &v4, NULL), 0);
	ck_assert_uint_eq(ntohl(v4.s_addr), ntohl(v4_of(c->first).s_addr) + 1);
	ck_assert_uint_eq(policy_pool_size(pool), 2);
	region_free(&r);
}
END_TEST

/* Pools are given whole (up to their capacity), in order, then -ENOSPC. */
START_TEST(test_exhaust)
{
	const struct pool_case *c = &pools[_i];
	struct region r;
	struct policy_pool *pool = pool_on(&r, c->net, c->len);
	struct in_addr v4, prev = {0};
	struct in6_addr v6, back;
	uint32_t n, bad = 0;

	/* Counted, not asserted one by one: each ck_assert allocates. */
	for (n = 0; n < c->capacity; n++) {
		v6 = v6_n(n);
		bad += policy_pool_assign(pool, &v6, &v4, NULL) != 0 ||
		       (n ? ntohl(v4.s_addr) != ntohl(prev.s_addr) + 1 :
			    v4.s_addr != v4_of(c->first).s_addr);
		prev = v4;
	}
	ck_assert_uint_eq(bad, 0);
	ck_assert_uint_eq(v4.s_addr, v4_of(c->last).s_addr);
	v6 = v6_n(n);
	v4.s_addr = 0x5a5a5a5a;
	ck_assert_int_eq(policy_pool_assign(pool, &v6, &v4, NULL), -ENOSPC);
	ck_assert_uint_eq(v4.s_addr, 0x5a5a5a5a);
	ck_assert(!policy_pool_v4(pool, &v6, &v4));
	ck_assert_uint_eq(policy_pool_size(pool), c->capacity);
	/* A full pool still answers for what it gave. */
	for (n = 0; n < c->capacity; n += 1 + n / 64) {
		v6 = v6_n(n);
		ck_assert(policy_pool_v4(pool, &v6, &v4));
		ck_assert_int_eq(policy_pool_assign(pool, &v6, &v4, NULL), 0);
		ck_assert(policy_pool_v6(pool, &v4, &back));
		ck_assert_mem_eq(&back, &v6, sizeof(v6));
	}
	region_free(&r);
}
END_TEST

/* Asking again gives the same address, not a fresh one. */
START_TEST(test_stable)
{
	struct region r;
	struct policy_pool *pool = pool_on(&r, "198.18.0.0", 15);
	struct in6_addr a = v6_n(7), b = v6_n(8);

	give(pool, &a, "198.18.0.1", true);
	give(pool, &b, "198.18.0.2", true);
	give(pool, &a, "198.18.0.1", false);
	give(pool, &b, "198.18.0.2", false);
	give(pool, &a, "198.18.0.1", false);
	ck_assert_uint_eq(policy_pool_size(pool), 2);
	region_free(&r);
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
	struct region r;
	struct policy_pool *pool = pool_on(&r, "192.0.2.8", 29);
	struct in6_addr a = v6_n(1), b = v6_n(2), v6, keep = v6_n(99);

	give(pool, &a, "192.0.2.9", true);
	give(pool, &b, "192.0.2.10", true);
	v6 = keep;
	ck_assert(!policy_pool_v6(pool, &(struct in_addr){
			v4_of(not_given[_i]).s_addr}, &v6));
	ck_assert_mem_eq(&v6, &keep, sizeof(v6));
	region_free(&r);
}
END_TEST

/* Both ways: each given address names the IPv6 address it was given to. */
START_TEST(test_both_ways)
{
	struct region r;
	struct policy_pool *pool = pool_on(&r, "192.0.2.0", 24);
	struct in6_addr v6, back;
	struct in_addr v4;
	uint32_t n;

	for (n = 0; n < 100; n++) {
		v6 = v6_n(1000 - n);
		ck_assert_int_eq(policy_pool_assign(pool, &v6, &v4, NULL), 0);
	}
	for (n = 0; n < 100; n++) {
		v4.s_addr = htonl(ntohl(v4_of("192.0.2.1").s_addr) + n);
		ck_assert(policy_pool_v6(pool, &v4, &back));
		v6 = v6_n(1000 - n);
		ck_assert_mem_eq(&back, &v6, sizeof(v6));
		ck_assert(policy_pool_v4(pool, &v6, &v4));
		ck_assert_uint_eq(ntohl(v4.s_addr),
				  ntohl(v4_of("192.0.2.1").s_addr) + n);
	}
	region_free(&r);
}
END_TEST

/*
 * IPv6 addresses that differ in one bit only (each of the 128), and ::,
 * are all different peers: no two share an address.
 */
START_TEST(test_distinct)
{
	struct region r;
	struct policy_pool *pool = pool_on(&r, "198.18.0.0", 15);
	struct in6_addr v6, zero, back;
	struct in_addr v4;
	unsigned bit;

	memset(&zero, 0, sizeof(zero));
	give(pool, &zero, "198.18.0.1", true);
	for (bit = 0; bit < 128; bit++) {
		v6 = zero;
		v6.s6_addr[bit / 8] = (uint8_t)(0x80 >> (bit % 8));
		ck_assert_int_eq(policy_pool_assign(pool, &v6, &v4, NULL), 0);
		ck_assert_uint_eq(ntohl(v4.s_addr),
				  ntohl(v4_of("198.18.0.2").s_addr) + bit);
		ck_assert(policy_pool_v6(pool, &v4, &back));
		ck_assert_mem_eq(&back, &v6, sizeof(v6));
	}
	ck_assert_uint_eq(policy_pool_size(pool), 129);
	region_free(&r);
}
END_TEST

/* Lengths a pool cannot have: no hosts, or not IPv4. */
static const unsigned bad_lens[] = {0, 31, 32, 33, 64, 128, ~0u};

START_TEST(test_bad_len)
{
	struct in_addr net = v4_of("192.0.2.0");
	struct policy_pool pool;
	static char page[POOL_PAGE];

	ck_assert_uint_eq(policy_pool_region_size(&net, bad_lens[_i]), 0);
	ck_assert_int_eq(policy_pool_format(&pool, page, sizeof(page), &net,
					    bad_lens[_i], ABI, keys),
			 POLICY_POOL_BAD_LEN);
	ck_assert_int_eq(policy_pool_attach(&pool, page, sizeof(page), &net,
					    bad_lens[_i], ABI),
			 POLICY_POOL_BAD_LEN);
}
END_TEST

/*
 * 100,000 peers in the default /15: in order, distinct, both ways, seen
 * the same through a second mapping (another process), and not one
 * allocation.
 */
START_TEST(test_big)
{
	enum { N = 100000 };
	struct region r;
	struct policy_pool *pool = pool_on(&r, "198.18.0.0", 15), other;
	uint32_t first = ntohl(v4_of("198.18.0.1").s_addr), n;
	void *base2 = region_map(&r);
	struct in6_addr v6, back;
	struct in_addr v4;
	size_t size, bad = 0;
	unsigned made;
	bool fresh;

	ck_assert_int_eq(policy_pool_attach(&other, base2, r.size, &r.net,
					    r.len, ABI),
			 POLICY_POOL_OK);
	/* Counted, not asserted one by one: each ck_assert allocates. */
	allocs = 0;
	for (n = 0; n < N; n++) {
		v6 = v6_n(n * 2654435761u);	/* scattered keys */
		bad += policy_pool_assign(pool, &v6, &v4, &fresh) != 0 ||
		       !fresh || ntohl(v4.s_addr) != first + n;
	}
	size = policy_pool_size(&other);
	for (n = 0; n < N; n++) {
		v6 = v6_n(n * 2654435761u);
		bad += !policy_pool_v4(&other, &v6, &v4) ||
		       ntohl(v4.s_addr) != first + n ||
		       !policy_pool_v6(&other, &v4, &back) ||
		       memcmp(&back, &v6, sizeof(v6)) != 0;
	}
	made = allocs;
	ck_assert_uint_eq(bad, 0);
	ck_assert_uint_eq(size, N);
	ck_assert_uint_eq(made, 0);
	v4.s_addr = htonl(first + N);
	ck_assert(!policy_pool_v6(&other, &v4, &back));
	munmap(base2, r.size);
	region_free(&r);
}
END_TEST

/*
 * A writer killed after reserving entry 1 and writing its address, before
 * marking it valid: the address is lost, never shown, and the next peer
 * gets the one after.
 */
START_TEST(test_half_written)
{
	struct region r;
	struct policy_pool *pool = pool_on(&r, "192.0.2.0", 24);
	struct in6_addr a = v6_n(1), b = v6_n(2), c = v6_n(3), back;
	struct in_addr v4;

	give(pool, &a, "192.0.2.1", true);
	header(&r)->count = 2;
	memcpy(entry(&r, 1)->v6, &b, sizeof(b));
	ck_assert(!policy_pool_v6(pool, &(struct in_addr){v4_of("192.0.2.2").s_addr}, &back));
	ck_assert(!policy_pool_v4(pool, &b, &v4));
	policy_pool_repair(pool);	/* nothing to repair */
	ck_assert(!policy_pool_v4(pool, &b, &v4));
	give(pool, &c, "192.0.2.3", true);
	give(pool, &b, "192.0.2.4", true);
	ck_assert(!policy_pool_v6(pool, &(struct in_addr){v4_of("192.0.2.2").s_addr}, &back));
	give(pool, &a, "192.0.2.1", false);
	region_free(&r);
}
END_TEST

/*
 * A writer killed after marking entry 1 valid, before indexing it: the
 * address is b's (both ways once repaired), and b keeps it.
 */
START_TEST(test_unindexed)
{
	struct region r;
	struct policy_pool *pool = pool_on(&r, "192.0.2.0", 24);
	struct in6_addr a = v6_n(1), b = v6_n(2), back;
	struct in_addr v4;

	give(pool, &a, "192.0.2.1", true);
	header(&r)->count = 2;
	memcpy(entry(&r, 1)->v6, &b, sizeof(b));
	entry(&r, 1)->valid = POOL_VALID;
	ck_assert(policy_pool_v6(pool, &(struct in_addr){v4_of("192.0.2.2").s_addr}, &back));
	ck_assert_mem_eq(&back, &b, sizeof(b));
	ck_assert(!policy_pool_v4(pool, &b, &v4));
	policy_pool_repair(pool);
	ck_assert(policy_pool_v4(pool, &b, &v4));
	ck_assert_uint_eq(v4.s_addr, v4_of("192.0.2.2").s_addr);
	give(pool, &b, "192.0.2.2", false);
	policy_pool_repair(pool);	/* twice changes nothing */
	give(pool, &a, "192.0.2.1", false);
	ck_assert_uint_eq(policy_pool_size(pool), 2);
	region_free(&r);
}
END_TEST

/* Regions that are not this pool's: each field spoilt in turn. */
static const struct corrupt_case {
	size_t offset;		/* the header's uint32_t to change */
	uint32_t value;
	enum policy_pool_fault fault;
} corrupt[] = {
	{offsetof(struct pool_header, magic), 0, POLICY_POOL_BAD_MAGIC},
	{offsetof(struct pool_header, magic), 0x5353504c, POLICY_POOL_BAD_MAGIC},
	{offsetof(struct pool_header, version), 1, POLICY_POOL_BAD_VERSION},
	{offsetof(struct pool_header, version), POOL_VERSION + 1,
	 POLICY_POOL_BAD_VERSION},
	{offsetof(struct pool_header, abi), ABI + 1, POLICY_POOL_BAD_ABI},
	{offsetof(struct pool_header, net), 0xc0000200, POLICY_POOL_BAD_NET},
	{offsetof(struct pool_header, len), 16, POLICY_POOL_BAD_NET},
	{offsetof(struct pool_header, capacity), 131071, POLICY_POOL_BAD_SHAPE},
	{offsetof(struct pool_header, slots), 1u << 17, POLICY_POOL_BAD_SHAPE},
	{offsetof(struct pool_header, count), 131071, POLICY_POOL_BAD_SHAPE},
};

START_TEST(test_corrupt)
{
	const struct corrupt_case *c = &corrupt[_i];
	struct region r;
	struct policy_pool view;

	pool_on(&r, "198.18.0.0", 15);
	ck_assert_int_eq(policy_pool_attach(&view, r.base, r.size, &r.net,
					    r.len, ABI),
			 POLICY_POOL_OK);
	memcpy((char *)r.base + c->offset, &c->value, sizeof(c->value));
	ck_assert_int_eq(policy_pool_attach(&view, r.base, r.size, &r.net,
					    r.len, ABI),
			 c->fault);
	ck_assert_str_ne(policy_pool_fault_text(c->fault),
			 policy_pool_fault_text(POLICY_POOL_OK));
	region_free(&r);
}
END_TEST

/* A sound region asked for as another pool, ABI or size. */
START_TEST(test_other)
{
	struct region r;
	struct policy_pool view;
	struct in_addr net = v4_of("198.18.0.0"), other = v4_of("198.20.0.0");
	static char zero[POOL_PAGE * 3];

	pool_on(&r, "198.18.0.0", 15);
	ck_assert_int_eq(policy_pool_attach(&view, r.base, r.size, &other, 15,
					    ABI),
			 POLICY_POOL_BAD_NET);
	ck_assert_int_eq(policy_pool_attach(&view, r.base, r.size, &net, 15,
					    ABI ^ 1),
			 POLICY_POOL_BAD_ABI);
	ck_assert_int_eq(policy_pool_attach(&view, r.base, r.size - POOL_PAGE,
					    &net, 15, ABI),
			 POLICY_POOL_BAD_SIZE);
	/* A /16 inside the /15 is another pool, of another size. */
	ck_assert_int_eq(policy_pool_attach(&view, r.base, r.size, &net, 16,
					    ABI),
			 POLICY_POOL_BAD_SIZE);
	/* An empty file of the right size: its making was cut short. */
	net = v4_of("192.0.2.0");
	ck_assert_uint_eq(policy_pool_region_size(&net, 30), sizeof(zero));
	ck_assert_int_eq(policy_pool_attach(&view, zero, sizeof(zero), &net,
					    30, ABI),
			 POLICY_POOL_BAD_MAGIC);
	region_free(&r);
}
END_TEST

/* Index slots naming entries past the capacity are skipped, not read. */
START_TEST(test_bad_index)
{
	struct region r;
	struct policy_pool *pool = pool_on(&r, "192.0.2.0", 30);
	struct in6_addr a = v6_n(1);
	uint32_t *index = (uint32_t *)((char *)r.base + 2 * POOL_PAGE);
	struct in_addr v4;
	unsigned i;

	for (i = 0; i < 4; i++)
		index[i] = 1000 + i;
	ck_assert(!policy_pool_v4(pool, &a, &v4));
	/* Given, though it cannot be indexed: the address is a's alone. */
	ck_assert_int_eq(policy_pool_assign(pool, &a, &v4, NULL), 0);
	ck_assert_uint_eq(v4.s_addr, v4_of("192.0.2.1").s_addr);
	region_free(&r);
}
END_TEST


/* Give v6 its address at now and check it is want, given as given. */
static void give_at(struct policy_pool *pool, const struct in6_addr *v6,
		    uint32_t now, const char *want, enum policy_pool_given given)
{
	enum policy_pool_given got;
	struct in_addr v4;
	struct in6_addr back;

	ck_assert_int_eq(policy_pool_assign_at(pool, v6, &v4, now, &got), 0);
	ck_assert_uint_eq(v4.s_addr, v4_of(want).s_addr);
	ck_assert_int_eq(got, given);
	ck_assert(policy_pool_v6(pool, &v4, &back));
	ck_assert_mem_eq(&back, v6, sizeof(back));
}

/* A full pool at now: v6 gets nothing. */
static void refused_at(struct policy_pool *pool, const struct in6_addr *v6,
		       uint32_t now)
{
	enum policy_pool_given got;
	struct in_addr v4;

	ck_assert_int_eq(policy_pool_assign_at(pool, v6, &v4, now, &got),
			 -ENOSPC);
	ck_assert(!policy_pool_v4(pool, v6, &v4));
}

/*
 * A full pool takes back an address only once it has been idle for
 * POLICY_POOL_IDLE seconds, never before, and never with no clock.
 */
START_TEST(test_reuse_idle)
{
	struct region r;
	struct policy_pool *pool = pool_on(&r, "192.0.2.0", 30);
	struct in6_addr a = v6_n(1), b = v6_n(2), c = v6_n(3), back;
	struct in_addr v4;
	uint32_t t = 1000;

	give_at(pool, &a, t, "192.0.2.1", POLICY_POOL_FRESH);
	give_at(pool, &b, t, "192.0.2.2", POLICY_POOL_FRESH);
	refused_at(pool, &c, t);
	refused_at(pool, &c, t + POLICY_POOL_IDLE - 1);
	ck_assert_int_eq(policy_pool_assign(pool, &c, &v4, NULL), -ENOSPC);
	give_at(pool, &c, t + POLICY_POOL_IDLE, "192.0.2.1",
		POLICY_POOL_REUSED);
	/* a's address is c's now, both ways; a has none, b keeps its own. */
	ck_assert(!policy_pool_v4(pool, &a, &v4));
	give_at(pool, &b, t + POLICY_POOL_IDLE, "192.0.2.2", POLICY_POOL_FOUND);
	ck_assert(policy_pool_v6(pool, &(struct in_addr){v4_of("192.0.2.1").s_addr},
				 &back));
	ck_assert_mem_eq(&back, &c, sizeof(c));
	ck_assert_uint_eq(policy_pool_reused(pool), 1);
	region_free(&r);
}
END_TEST

/* Every lookup with a clock marks its entry used: what is in use stays. */
START_TEST(test_reuse_in_use)
{
	struct region r;
	struct policy_pool *pool = pool_on(&r, "192.0.2.0", 30);
	struct in6_addr a = v6_n(1), b = v6_n(2), c = v6_n(3), d = v6_n(4),
			back;
	struct in_addr v4;
	uint32_t t = 1000;

	give_at(pool, &a, t, "192.0.2.1", POLICY_POOL_FRESH);
	give_at(pool, &b, t, "192.0.2.2", POLICY_POOL_FRESH);
	/* a is received from (IPv6 to IPv4) at t + 300. */
	ck_assert(policy_pool_v4_at(pool, &a, &v4, t + 300));
	give_at(pool, &c, t + POLICY_POOL_IDLE, "192.0.2.2",
		POLICY_POOL_REUSED);
	/* c is sent to (IPv4 to IPv6) at t + 900; a is idle by t + 900. */
	ck_assert(policy_pool_v6_at(pool, &(struct in_addr){v4_of("192.0.2.2").s_addr},
				    &back, t + 900));
	refused_at(pool, &d, t + 899);
	give_at(pool, &d, t + 900, "192.0.2.1", POLICY_POOL_REUSED);
	refused_at(pool, &a, t + 1000);
	region_free(&r);
}
END_TEST

/*
 * Thousands of reuses of a small pool: the index's tombstones are taken
 * again, so that it never fills, and every address stays one peer's.
 */
START_TEST(test_reuse_churn)
{
	struct region r;
	struct policy_pool *pool = pool_on(&r, "192.0.2.0", 28);
	struct in6_addr v6, back;
	struct in_addr v4;
	enum policy_pool_given got;
	uint32_t i, t = 1000, bad = 0;

	for (i = 0; i < 20000; i++) {
		v6 = v6_n(i);
		t += POLICY_POOL_IDLE / 7;
		bad += policy_pool_assign_at(pool, &v6, &v4, t, &got) != 0 ||
		       !policy_pool_v4(pool, &v6, &v4) ||
		       !policy_pool_v6(pool, &v4, &back) ||
		       memcmp(&back, &v6, sizeof(v6)) != 0;
	}
	ck_assert_uint_eq(bad, 0);
	ck_assert_uint_eq(policy_pool_size(pool), 14);
	ck_assert_uint_ge(policy_pool_reused(pool), 20000 - 14 - 7 * 14);
	region_free(&r);
}
END_TEST

/*
 * A writer killed in the middle of a reuse: the entry it was rewriting is
 * never shown, and is the first given again, with no wait.
 */
START_TEST(test_reuse_cut_short)
{
	struct region r;
	struct policy_pool *pool = pool_on(&r, "192.0.2.0", 30);
	struct in6_addr a = v6_n(1), b = v6_n(2), c = v6_n(3), back;
	struct in_addr v4;

	give_at(pool, &a, 1000, "192.0.2.1", POLICY_POOL_FRESH);
	give_at(pool, &b, 1000, "192.0.2.2", POLICY_POOL_FRESH);
	header(&r)->busy = 2;
	entry(&r, 1)->valid = POOL_VALID + 1;
	policy_pool_repair(pool);
	ck_assert_uint_eq(header(&r)->busy, 0);
	ck_assert(!policy_pool_v4(pool, &b, &v4));
	ck_assert(!policy_pool_v6(pool, &(struct in_addr){v4_of("192.0.2.2").s_addr},
				  &back));
	give_at(pool, &c, 1001, "192.0.2.2", POLICY_POOL_REUSED);
	give_at(pool, &a, 1001, "192.0.2.1", POLICY_POOL_FOUND);
	region_free(&r);
}
END_TEST

/* The pool suite, for tests/check_run.c's main(). */
Suite *check_suite(void)
{
	Suite *s = suite_create("pool");
	TCase *tc = tcase_create("pool");

	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_first, 0, (int)ARRAY_SIZE(pools));
	tcase_add_loop_test(tc, test_exhaust, 0, (int)ARRAY_SIZE(pools));
	tcase_add_test(tc, test_stable);
	tcase_add_loop_test(tc, test_outside, 0, (int)ARRAY_SIZE(not_given));
	tcase_add_test(tc, test_both_ways);
	tcase_add_test(tc, test_distinct);
	tcase_add_loop_test(tc, test_bad_len, 0, (int)ARRAY_SIZE(bad_lens));
	tcase_add_test(tc, test_big);
	tcase_add_test(tc, test_half_written);
	tcase_add_test(tc, test_unindexed);
	tcase_add_loop_test(tc, test_corrupt, 0, (int)ARRAY_SIZE(corrupt));
	tcase_add_test(tc, test_other);
	tcase_add_test(tc, test_bad_index);
	tcase_add_test(tc, test_reuse_idle);
	tcase_add_test(tc, test_reuse_in_use);
	tcase_add_test(tc, test_reuse_churn);
	tcase_add_test(tc, test_reuse_cut_short);
	suite_add_tcase(s, tc);
	return s;
}
