/*
 * pool.c - the process's one peer-pool (SPEC §2 and §3 peer-pool; RFC
 * 6535's address mapper): the synthetic IPv4 address that stands for each
 * native IPv6 peer an upgraded socket meets.
 *
 * The pool (policy/pool.c) is built on first use from the policy's
 * peer-pool setting and lives as long as the process: an address given to
 * a peer is that peer's for good.  shim_lock() guards it (shim/lock.c:
 * signals blocked while held, safe across fork()).  The child keeps the
 * parent's mappings, which its peers, shared with the parent, go on
 * matching.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <string.h>

#include "policy.h"
#include "shim.h"
#include "sockaddr.h"

static struct policy_pool *pool_the;	/* NULL until first needed */

/* The pool, built now from policy when there is none; the mutex is held. */
static struct policy_pool *pool_get(const struct policy *policy)
{
	struct in_addr net;
	unsigned len;

	if (!pool_the) {
		policy_peer_pool(policy, &net, &len);
		/* pool_v6_of() looks without the mutex first. */
		__atomic_store_n(&pool_the, policy_pool_new(&net, len),
				 __ATOMIC_RELEASE);
	}
	return pool_the;
}

/* Log a mapping just given: the real IPv6 address and its pool address. */
static void pool_log(const struct policy *policy, const struct in6_addr *v6,
		     const struct in_addr *v4)
{
	struct sockaddr_in6 real = {.sin6_family = AF_INET6, .sin6_addr = *v6};
	struct sockaddr_in shown = {.sin_family = AF_INET, .sin_addr = *v4};
	struct shim_log_event ev = {
		.family = AF_INET,
		.dest = (struct sockaddr *)&real,
		.destlen = sizeof(real),
		.outcome = -1,
		.translated = (struct sockaddr *)&shown,
		.translatedlen = sizeof(shown),
		.reason = "peer-pool",
	};

	shim_log(policy, &ev);
}

/* pool_v4_of - see sockaddr.h. */
int pool_v4_of(const struct policy *policy, const struct in6_addr *v6,
	       struct in_addr *v4)
{
	struct policy_pool *pool;
	int saved_errno = errno, err = ENOBUFS;
	bool fresh = false;
	sigset_t old;

	if (!policy)
		return ENOBUFS;
	shim_lock(&old);
	pool = pool_get(policy);
	if (pool && policy_pool_v4(pool, v6, v4, &fresh) == 0)
		err = 0;
	shim_unlock(&old);
	if (fresh)
		pool_log(policy, v6, v4);
	errno = saved_errno;
	return err;
}

/* Whether v4 lies inside the policy's peer-pool network. */
static bool pool_holds(const struct policy *policy, const struct in_addr *v4)
{
	struct in_addr net;
	unsigned len;

	policy_peer_pool(policy, &net, &len);
	return len && len <= 32 &&
	       ((ntohl(v4->s_addr) ^ ntohl(net.s_addr)) >> (32 - len)) == 0;
}

/*
 * pool_v6_of - see sockaddr.h.  Every connect() and send on an upgraded
 * socket asks, so the common answer (not a pool address, or no pool yet)
 * is given without the mutex.
 */
bool pool_v6_of(const struct policy *policy, const struct in_addr *v4,
		struct in6_addr *v6)
{
	int saved_errno = errno;
	bool found = false;
	sigset_t old;

	if (!policy || !pool_holds(policy, v4) ||
	    !__atomic_load_n(&pool_the, __ATOMIC_ACQUIRE))
		return false;
	shim_lock(&old);
	found = pool_the && policy_pool_v6(pool_the, v4, v6);
	shim_unlock(&old);
	errno = saved_errno;
	return found;
}
