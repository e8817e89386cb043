/* SPDX-License-Identifier: MIT */
/*
 * pool.c - the peer-pool: RFC 6535's address mapper as pure functions over
 * a region of memory that many processes may map at once (the layout is
 * policy/pool-layout.h; the lock, the file and the mapping are the
 * caller's, shim/pool.c).
 *
 * Entry n is the pool's first host plus n.  A writer reserves the next
 * one by counting, and only once every one is given takes back one that
 * has been idle long (pool_reuse()), so the pool needs no free list.  The
 * IPv6-to-IPv4 direction is an open-addressing index kept at most half
 * full, whose hash is keyed by random words the region's maker chose, so
 * that peers cannot pick addresses that pile up in one probe sequence.
 * Readers take no lock; the order of a writer's stores is what keeps them
 * right:
 *
 *   1. count = n + 1   the entry is the writer's, whatever happens next
 *   2. entry n's v6    not yet seen by anyone: valid is still 0
 *   3. valid = 1       (release) pool address n now names v6
 *   4. index slot      (release) v6 now finds n
 *
 * A writer killed after 1 leaves address n unused until a full pool's
 * sweep takes it (pool_victim()); after 3, v6 keeps n (the next writer
 * indexes it, policy_pool_repair()).  No address is ever shared or names
 * a half-written IPv6 address.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "policy.h"
#include "pool-layout.h"

_Static_assert(sizeof(struct pool_header) == 256, "header layout");
_Static_assert(sizeof(struct pool_entry) == 24, "entry layout");
_Static_assert(POOL_CAPACITY_MAX == POLICY_POOL_CAPACITY_MAX, "capacity");

/* The shortest and longest network a pool may be: /31 and /32 have no
 * hosts once the network and broadcast addresses are left out. */
#define POOL_LEN_MIN 1u
#define POOL_LEN_MAX 30u

/* The most entries one reuse looks at (pool_victim()): a bound on the
 * time the writer lock is held, whatever the pool's size. */
#define POOL_SWEEP 4096u

#define LOAD(p) __atomic_load_n((p), __ATOMIC_ACQUIRE)
#define STORE(p, v) __atomic_store_n((p), (v), __ATOMIC_RELEASE)

/* Where each part of a region lies, as its pool's length makes it. */
struct pool_shape {
	uint32_t first, capacity, slots;
	size_t index, size;	/* the index's offset; the region's size */
};

static size_t pool_round(size_t n)
{
	return (n + POOL_PAGE - 1) / POOL_PAGE * POOL_PAGE;
}

static bool pool_shape(const struct in_addr *net, unsigned len,
		       struct pool_shape *shape)
{
	uint32_t hosts;

	if (len < POOL_LEN_MIN || len > POOL_LEN_MAX)
		return false;
	hosts = (UINT32_C(1) << (32 - len)) - 2;
	shape->first = (ntohl(net->s_addr) & ~(hosts + 1)) + 1;
	shape->capacity = hosts < POOL_CAPACITY_MAX ? hosts : POOL_CAPACITY_MAX;
	/* At most half full, so that every probe sequence is short and
	 * meets an empty slot. */
	for (shape->slots = 2; shape->slots < 2 * shape->capacity;)
		shape->slots *= 2;
	shape->index = pool_round(POOL_PAGE +
				  (size_t)shape->capacity *
					  sizeof(struct pool_entry));
	shape->size = pool_round(shape->index +
				 (size_t)shape->slots * sizeof(uint32_t));
	return true;
}

static struct pool_header *pool_header(const struct policy_pool *pool)
{
	return (struct pool_header *)pool->base;
}

static struct pool_entry *pool_entry(const struct policy_pool *pool,
				     uint32_t n)
{
	return (struct pool_entry *)(pool->base + POOL_PAGE) + n;
}

static uint32_t *pool_index(const struct policy_pool *pool)
{
	return (uint32_t *)(pool->base + POOL_PAGE +
			    pool_round((size_t)pool->capacity *
				       sizeof(struct pool_entry)));
}

/*
 * Multilinear hashing (Lemire and Kaser, "Strongly universal string
 * hashing is fast"): the high half of key0 + sum key[i+1] * word[i] is
 * strongly universal over the 32-bit words of the address.
 */
static uint32_t pool_hash(const struct policy_pool *pool,
			  const struct in6_addr *v6)
{
	uint64_t h = pool->key[0];
	uint32_t w[4];
	int i;

	memcpy(w, v6, sizeof(w));
	for (i = 0; i < 4; i++)
		h += pool->key[i + 1] * w[i];
	return (uint32_t)(h >> 32);
}

static void pool_view(struct policy_pool *pool, void *base,
		      const struct pool_shape *shape,
		      const uint64_t key[POLICY_POOL_KEYS])
{
	pool->base = base;
	pool->first = shape->first;
	pool->capacity = shape->capacity;
	pool->slots = shape->slots;
	memcpy(pool->key, key, sizeof(pool->key));
}

/* policy_pool_region_size - see policy.h. */
size_t policy_pool_region_size(const struct in_addr *net, unsigned len)
{
	struct pool_shape shape;

	return pool_shape(net, len, &shape) ? shape.size : 0;
}

/* policy_pool_format - see policy.h. */
enum policy_pool_fault policy_pool_format(struct policy_pool *pool,
					  void *base, size_t size,
					  const struct in_addr *net,
					  unsigned len, uint32_t abi,
					  const uint64_t key[POLICY_POOL_KEYS])
{
	struct pool_header *h = base;
	struct pool_shape shape;

	if (!pool_shape(net, len, &shape))
		return POLICY_POOL_BAD_LEN;
	if (size != shape.size)
		return POLICY_POOL_BAD_SIZE;
	h->version = POOL_VERSION;
	h->abi = abi;
	h->net = shape.first - 1;
	h->len = len;
	h->capacity = shape.capacity;
	h->slots = shape.slots;
	h->count = 0;
	memcpy(h->key, key, sizeof(h->key));
	/* Last, so that a region whose making was cut short is refused. */
	STORE(&h->magic, POOL_MAGIC);
	pool_view(pool, base, &shape, key);
	return POLICY_POOL_OK;
}

/* The rows policy_pool_attach() checks, in order: what a field must be. */
enum pool_want { WANT_MAGIC, WANT_VERSION, WANT_ABI, WANT_NET, WANT_LEN,
		 WANT_CAPACITY, WANT_SLOTS, WANT_COUNT };

static const struct pool_check {
	size_t offset;
	enum pool_want want;
	enum policy_pool_fault fault;
} pool_checks[] = {
	{offsetof(struct pool_header, magic), WANT_MAGIC, POLICY_POOL_BAD_MAGIC},
	{offsetof(struct pool_header, version), WANT_VERSION,
	 POLICY_POOL_BAD_VERSION},
	{offsetof(struct pool_header, abi), WANT_ABI, POLICY_POOL_BAD_ABI},
	{offsetof(struct pool_header, net), WANT_NET, POLICY_POOL_BAD_NET},
	{offsetof(struct pool_header, len), WANT_LEN, POLICY_POOL_BAD_NET},
	{offsetof(struct pool_header, capacity), WANT_CAPACITY,
	 POLICY_POOL_BAD_SHAPE},
	{offsetof(struct pool_header, slots), WANT_SLOTS, POLICY_POOL_BAD_SHAPE},
	{offsetof(struct pool_header, count), WANT_COUNT, POLICY_POOL_BAD_SHAPE},
};

static bool pool_check_one(const struct pool_header *h, const struct pool_check *c,
			   const struct pool_shape *shape, unsigned len,
			   uint32_t abi)
{
	uint32_t got = LOAD((const uint32_t *)((const char *)h + c->offset));
	const uint32_t want[] = {
		[WANT_MAGIC] = POOL_MAGIC,
		[WANT_VERSION] = POOL_VERSION,
		[WANT_ABI] = abi,
		[WANT_NET] = shape->first - 1,
		[WANT_LEN] = len,
		[WANT_CAPACITY] = shape->capacity,
		[WANT_SLOTS] = shape->slots,
	};

	if (c->want == WANT_COUNT)
		return got <= shape->capacity;
	return got == want[c->want];
}

/* policy_pool_attach - see policy.h. */
enum policy_pool_fault policy_pool_attach(struct policy_pool *pool,
					  void *base, size_t size,
					  const struct in_addr *net,
					  unsigned len, uint32_t abi)
{
	const struct pool_header *h = base;
	struct pool_shape shape;
	size_t i;

	if (!pool_shape(net, len, &shape))
		return POLICY_POOL_BAD_LEN;
	if (size != shape.size)
		return POLICY_POOL_BAD_SIZE;
	for (i = 0; i < sizeof(pool_checks) / sizeof(pool_checks[0]); i++)
		if (!pool_check_one(h, &pool_checks[i], &shape, len, abi))
			return pool_checks[i].fault;
	pool_view(pool, base, &shape, h->key);
	return POLICY_POOL_OK;
}

/* policy_pool_fault_text - see policy.h. */
const char *policy_pool_fault_text(enum policy_pool_fault fault)
{
	static const char *const text[] = {
		[POLICY_POOL_OK] = "no fault",
		[POLICY_POOL_BAD_LEN] = "the pool's length is not /1 to /30",
		[POLICY_POOL_BAD_SIZE] = "the file's size is wrong",
		[POLICY_POOL_BAD_MAGIC] = "not a pool file (bad magic number)",
		[POLICY_POOL_BAD_VERSION] = "a pool file of another version",
		[POLICY_POOL_BAD_ABI] = "a pool file of another ABI",
		[POLICY_POOL_BAD_NET] = "the file of another pool",
		[POLICY_POOL_BAD_SHAPE] = "a corrupt pool file",
	};

	if ((unsigned)fault >= sizeof(text) / sizeof(text[0]))
		return "an unknown fault";
	return text[fault];
}

/* policy_pool_lock_area - see policy.h. */
void *policy_pool_lock_area(const struct policy_pool *pool)
{
	return pool_header(pool)->lock;
}

/*
 * v6's address of entry e, into out, as one IPv6 address was written
 * whole: false when a writer was giving e to another address meanwhile,
 * or it is not valid.  *seq gets the valid word it was read under.
 */
static bool pool_read(const struct pool_entry *e, struct in6_addr *out,
		      uint32_t *seq)
{
	uint32_t w[4], before = LOAD(&e->valid);
	int i;

	if (!(before & 1))
		return false;
	for (i = 0; i < 4; i++)
		w[i] = __atomic_load_n(&e->v6[i], __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	if (__atomic_load_n(&e->valid, __ATOMIC_RELAXED) != before)
		return false;
	memcpy(out, w, sizeof(w));
	*seq = before;
	return true;
}

/*
 * Mark entry e used at now (0: not at all) and check that it still holds
 * what was read under seq: the store comes before the check, both
 * sequentially consistent, so that a writer that is about to give e to
 * another address either sees this use (and leaves e) or is seen here.
 */
static bool pool_touch(struct pool_entry *e, uint32_t now, uint32_t seq)
{
	if (!now)
		return true;
	if (__atomic_load_n(&e->used, __ATOMIC_RELAXED) != now)
		__atomic_store_n(&e->used, now, __ATOMIC_SEQ_CST);
	return __atomic_load_n(&e->valid, __ATOMIC_SEQ_CST) == seq;
}

/*
 * The entry number of v6, or capacity when it has none, marked used at
 * now; *slot is where a writer would index it: the first slot of a
 * reused entry its probe sequence met, else the empty slot it ended at
 * (slots when there is neither).
 */
static uint32_t pool_find(const struct policy_pool *pool,
			  const struct in6_addr *v6, uint32_t *slot,
			  uint32_t now)
{
	uint32_t *index = pool_index(pool), mask = pool->slots - 1;
	uint32_t i = pool_hash(pool, v6) & mask, probes, got, seq;
	uint32_t tomb = pool->slots;
	struct pool_entry *e;
	struct in6_addr held;

	for (probes = 0; probes < pool->slots; probes++, i = (i + 1) & mask) {
		got = LOAD(&index[i]);
		if (got == 0)
			break;
		/* A slot names an entry by n + 1; anything past the
		 * capacity is a tombstone or corruption, skipped rather
		 * than followed. */
		if (got > pool->capacity) {
			if (got == POOL_TOMB && tomb == pool->slots)
				tomb = i;
			continue;
		}
		e = pool_entry(pool, got - 1);
		if (pool_read(e, &held, &seq) &&
		    memcmp(&held, v6, sizeof(held)) == 0 &&
		    pool_touch(e, now, seq))
			return got - 1;
	}
	if (slot)
		*slot = tomb < pool->slots ? tomb :
			probes < pool->slots ? i : pool->slots;
	return pool->capacity;
}

static void pool_address(const struct policy_pool *pool, uint32_t n,
			 struct in_addr *v4)
{
	v4->s_addr = htonl(pool->first + n);
}

/* policy_pool_v4_at - see policy.h. */
bool policy_pool_v4_at(const struct policy_pool *pool,
		       const struct in6_addr *v6, struct in_addr *v4,
		       uint32_t now)
{
	uint32_t n = pool_find(pool, v6, NULL, now);

	if (n >= pool->capacity)
		return false;
	pool_address(pool, n, v4);
	return true;
}

/* policy_pool_v4 - see policy.h. */
bool policy_pool_v4(const struct policy_pool *pool, const struct in6_addr *v6,
		    struct in_addr *v4)
{
	return policy_pool_v4_at(pool, v6, v4, 0);
}

/* Index entry n (valid, not yet indexed) in the slot its hash meets. */
static void pool_publish(struct policy_pool *pool, uint32_t n)
{
	struct in6_addr v6;
	uint32_t slot, seq;

	if (!pool_read(pool_entry(pool, n), &v6, &seq) ||
	    pool_find(pool, &v6, &slot, 0) < pool->capacity ||
	    slot >= pool->slots)
		return;
	STORE(&pool_index(pool)[slot], n + 1);
}

/* Write v6 into entry e and make it valid under seq. */
static void pool_write(struct pool_entry *e, const struct in6_addr *v6,
		       uint32_t now, uint32_t seq)
{
	uint32_t w[4];
	int i;

	memcpy(w, v6, sizeof(w));
	for (i = 0; i < 4; i++)
		__atomic_store_n(&e->v6[i], w[i], __ATOMIC_RELAXED);
	__atomic_store_n(&e->used, now, __ATOMIC_RELAXED);
	STORE(&e->valid, seq);
}

/*
 * Put a tombstone in the index slot that names entry n.  seq is n's valid
 * word before the reuse began: when it was valid, its old address's probe
 * sequence leads to the slot; otherwise (a reuse cut short, a writer that
 * died before marking it valid) every slot is looked at, which only such
 * a rare entry costs.
 */
static void pool_unindex(struct policy_pool *pool, uint32_t n, uint32_t seq)
{
	uint32_t *index = pool_index(pool), mask = pool->slots - 1, i, k;
	const struct pool_entry *e = pool_entry(pool, n);
	struct in6_addr old;

	if (seq & 1) {
		memcpy(&old, e->v6, sizeof(old));
		i = pool_hash(pool, &old) & mask;
		for (k = 0; k < pool->slots; k++, i = (i + 1) & mask) {
			if (LOAD(&index[i]) == 0)
				break;
			if (LOAD(&index[i]) == n + 1) {
				STORE(&index[i], POOL_TOMB);
				return;
			}
		}
	}
	for (i = 0; i < pool->slots; i++)
		if (LOAD(&index[i]) == n + 1)
			STORE(&index[i], POOL_TOMB);
}

/* Whether an entry last used at used has been idle long enough at now. */
static bool pool_idle(uint32_t used, uint32_t now)
{
	return now >= used && now - used >= POLICY_POOL_IDLE;
}

/*
 * The entry to give again: the first, from the header's hand on, that
 * is not valid (a reuse cut short) or has been idle for POLICY_POOL_IDLE,
 * looked for among at most POOL_SWEEP entries; capacity when none is.
 * The hand moves past what was looked at, so that the next sweep goes on.
 */
static uint32_t pool_victim(struct policy_pool *pool, uint32_t now)
{
	struct pool_header *h = pool_header(pool);
	uint32_t n = LOAD(&h->hand) % pool->capacity, k;
	struct pool_entry *e;

	for (k = 0; k < POOL_SWEEP && k < pool->capacity; k++) {
		e = pool_entry(pool, n);
		n = (n + 1) % pool->capacity;
		if (!(LOAD(&e->valid) & 1) ||
		    pool_idle(__atomic_load_n(&e->used, __ATOMIC_SEQ_CST), now)) {
			STORE(&h->hand, n);
			return (n + pool->capacity - 1) % pool->capacity;
		}
	}
	STORE(&h->hand, n);
	return pool->capacity;
}

/*
 * Give entry n, idle, to v6: mark it being rewritten, check that no
 * reader used it meanwhile (pool_touch()), take it out of the index,
 * write it, then index it.  False when a reader got there first.
 */
static bool pool_reuse(struct policy_pool *pool, uint32_t n,
		       const struct in6_addr *v6, uint32_t now)
{
	struct pool_header *h = pool_header(pool);
	struct pool_entry *e = pool_entry(pool, n);
	uint32_t seq = LOAD(&e->valid);
	uint32_t next = (seq | 1) + 2;

	STORE(&h->busy, n + 1);
	__atomic_store_n(&e->valid, (seq | 1) + 1, __ATOMIC_SEQ_CST);
	if ((seq & 1) &&
	    !pool_idle(__atomic_load_n(&e->used, __ATOMIC_SEQ_CST), now)) {
		STORE(&e->valid, seq);
		STORE(&h->busy, 0);
		return false;
	}
	pool_unindex(pool, n, seq);
	pool_write(e, v6, now, next);
	pool_publish(pool, n);
	STORE(&h->reused, LOAD(&h->reused) + 1);
	STORE(&h->busy, 0);
	return true;
}

/* policy_pool_assign_at - see policy.h. */
int policy_pool_assign_at(struct policy_pool *pool, const struct in6_addr *v6,
			  struct in_addr *v4, uint32_t now,
			  enum policy_pool_given *given)
{
	struct pool_header *h = pool_header(pool);
	uint32_t n = pool_find(pool, v6, NULL, now);

	*given = POLICY_POOL_FOUND;
	if (n >= pool->capacity) {
		n = LOAD(&h->count);
		if (n < pool->capacity) {
			STORE(&h->count, n + 1);
			pool_write(pool_entry(pool, n), v6, now, POOL_VALID);
			pool_publish(pool, n);
			*given = POLICY_POOL_FRESH;
		} else if (!now ||
			   (n = pool_victim(pool, now)) >= pool->capacity ||
			   !pool_reuse(pool, n, v6, now)) {
			return -ENOSPC;
		} else {
			*given = POLICY_POOL_REUSED;
		}
	}
	pool_address(pool, n, v4);
	return 0;
}

/* policy_pool_assign - see policy.h. */
int policy_pool_assign(struct policy_pool *pool, const struct in6_addr *v6,
		       struct in_addr *v4, bool *fresh)
{
	enum policy_pool_given given;
	int err = policy_pool_assign_at(pool, v6, v4, 0, &given);

	if (fresh)
		*fresh = !err && given != POLICY_POOL_FOUND;
	return err;
}

/* policy_pool_repair - see policy.h. */
void policy_pool_repair(struct policy_pool *pool)
{
	struct pool_header *h = pool_header(pool);
	uint32_t n = LOAD(&h->count), busy = LOAD(&h->busy);

	/* A reuse cut short: an entry left being rewritten stays so (not
	 * valid, never shown) and is the first to be given again; one
	 * written whole is indexed. */
	if (busy && busy <= pool->capacity)
		pool_publish(pool, busy - 1);
	STORE(&h->busy, 0);
	/* A writer works on the last entry it reserved only. */
	if (n == 0 || n > pool->capacity)
		return;
	pool_publish(pool, n - 1);
}

/* policy_pool_v6_at - see policy.h. */
bool policy_pool_v6_at(const struct policy_pool *pool, const struct in_addr *v4,
		       struct in6_addr *v6, uint32_t now)
{
	uint32_t n = ntohl(v4->s_addr) - pool->first, seq;
	struct pool_entry *e;

	/* Below first, n wraps past the capacity. */
	if (n >= pool->capacity)
		return false;
	e = pool_entry(pool, n);
	return pool_read(e, v6, &seq) && pool_touch(e, now, seq);
}

/* policy_pool_v6 - see policy.h. */
bool policy_pool_v6(const struct policy_pool *pool, const struct in_addr *v4,
		    struct in6_addr *v6)
{
	return policy_pool_v6_at(pool, v4, v6, 0);
}

/* policy_pool_size - see policy.h. */
size_t policy_pool_size(const struct policy_pool *pool)
{
	uint32_t n = LOAD(&pool_header(pool)->count);

	return n < pool->capacity ? n : pool->capacity;
}

/* policy_pool_reused - see policy.h. */
size_t policy_pool_reused(const struct policy_pool *pool)
{
	return LOAD(&pool_header(pool)->reused);
}
