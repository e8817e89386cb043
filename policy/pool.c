/*
 * pool.c - the peer-pool: RFC 6535's address mapper as a plain data
 * structure.
 *
 * A pool is an IPv4 network whose hosts (its network and broadcast
 * addresses left out) are given, lowest first, to IPv6 addresses as they
 * are first asked for.  An address once given is never taken back, so the
 * pool needs no free list: the next address to give is the first host plus
 * the number given so far.  Every mapping is one entry linked into two
 * uthash tables, one keyed by the IPv6 address and one by the IPv4
 * address, so that a lookup either way takes constant time.
 *
 * The pool holds no lock; its one user in the shim (shim/pool.c) does.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"

/* An allocation that fails inside uthash marks the entry it was adding. */
#define HASH_NONFATAL_OOM 1
#define uthash_nonfatal_oom(e) ((e)->oom = true)
#include <uthash.h>

/* The shortest and longest network a pool may be: /31 and /32 have no
 * hosts once the network and broadcast addresses are left out. */
#define POOL_LEN_MIN 1u
#define POOL_LEN_MAX 30u

/* One mapping; both keys are zeroed whole before they are set. */
struct pool_entry {
	struct in6_addr v6;	/* the key of by_v6 */
	struct in_addr v4;	/* the key of by_v4 */
	bool oom;		/* set by uthash when an add failed */
	UT_hash_handle hh6;
	UT_hash_handle hh4;
};

struct policy_pool {
	uint32_t first;		/* the first host, host byte order */
	uint32_t hosts;		/* how many hosts the network has */
	uint32_t given;		/* how many of them are given */
	struct pool_entry *by_v6;
	struct pool_entry *by_v4;
};

/* policy_pool_new - see policy.h. */
struct policy_pool *policy_pool_new(const struct in_addr *net, unsigned len)
{
	struct policy_pool *pool;
	uint32_t size;

	if (len < POOL_LEN_MIN || len > POOL_LEN_MAX) {
		errno = EINVAL;
		return NULL;
	}
	pool = calloc(1, sizeof(*pool));
	if (!pool)
		return NULL;
	size = UINT32_C(1) << (32 - len);
	pool->first = (ntohl(net->s_addr) & ~(size - 1)) + 1;
	pool->hosts = size - 2;
	return pool;
}

/* policy_pool_free - free pool and every mapping in it; NULL is fine. */
void policy_pool_free(struct policy_pool *pool)
{
	struct pool_entry *e, *tmp;

	if (!pool)
		return;
	/* Every entry is in both tables: the IPv4 one only loses its
	 * buckets, and the entries are freed as the IPv6 one is emptied. */
	HASH_CLEAR(hh4, pool->by_v4);
	HASH_ITER(hh6, pool->by_v6, e, tmp) {
		HASH_DELETE(hh6, pool->by_v6, e);
		free(e);
	}
	free(pool);
}

static struct pool_entry *pool_find_v6(const struct policy_pool *pool,
				       const struct in6_addr *v6)
{
	struct pool_entry *e;
	struct in6_addr key;

	memset(&key, 0, sizeof(key));
	memcpy(&key, v6, sizeof(key));
	HASH_FIND(hh6, pool->by_v6, &key, sizeof(key), e);
	return e;
}

/*
 * Link a new entry for v6, the pool's next address, into both tables.
 * Returns the entry, or NULL without memory (nothing is then changed).
 */
static struct pool_entry *pool_add(struct policy_pool *pool,
				   const struct in6_addr *v6)
{
	struct pool_entry *e = calloc(1, sizeof(*e));

	if (!e)
		return NULL;
	memcpy(&e->v6, v6, sizeof(e->v6));
	e->v4.s_addr = htonl(pool->first + pool->given);
	HASH_ADD(hh6, pool->by_v6, v6, sizeof(e->v6), e);
	if (e->oom)
		goto err_entry;
	HASH_ADD(hh4, pool->by_v4, v4, sizeof(e->v4), e);
	if (e->oom)
		goto err_v6;
	pool->given++;
	return e;

err_v6:
	HASH_DELETE(hh6, pool->by_v6, e);
err_entry:
	free(e);
	return NULL;
}

/* policy_pool_v4 - see policy.h. */
int policy_pool_v4(struct policy_pool *pool, const struct in6_addr *v6,
		   struct in_addr *v4, bool *fresh)
{
	struct pool_entry *e = pool_find_v6(pool, v6);
	bool added = false;

	if (!e) {
		if (pool->given >= pool->hosts)
			return ENOSPC;
		e = pool_add(pool, v6);
		if (!e)
			return ENOMEM;
		added = true;
	}
	*v4 = e->v4;
	if (fresh)
		*fresh = added;
	return 0;
}

/* policy_pool_v6 - see policy.h. */
bool policy_pool_v6(const struct policy_pool *pool, const struct in_addr *v4,
		    struct in6_addr *v6)
{
	struct pool_entry *e;
	struct in_addr key;

	memset(&key, 0, sizeof(key));
	key.s_addr = v4->s_addr;
	HASH_FIND(hh4, pool->by_v4, &key, sizeof(key), e);
	if (!e)
		return false;
	*v6 = e->v6;
	return true;
}

/* policy_pool_size - see policy.h. */
size_t policy_pool_size(const struct policy_pool *pool)
{
	return pool->given;
}
