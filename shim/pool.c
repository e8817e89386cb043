/* SPDX-License-Identifier: MIT */
/*
 * pool.c - the host's peer-pool (SPEC §2 and §3 peer-pool; RFC 6535's
 * address mapper): the synthetic IPv4 address that stands for each native
 * IPv6 peer an upgraded socket meets, the same in every process under the
 * same pool (policy/pool.c, the region; shim/poolfile.c, its file).
 *
 * The file is mapped once per process: when the policy is loaded, if the
 * policy upgrades sockets (so that a server that drops its privileges
 * after start-up still has it), else at the first use.  Lookups read the
 * mapping without a lock.  Giving a new address takes the region's writer
 * lock, a robust process-shared mutex that lives in the mapping, with
 * every signal blocked: the kernel marks it owner-dead when its holder
 * dies, even by SIGKILL, and the next writer repairs what was left
 * (policy_pool_repair()).  It needs no descriptor, which the program
 * could close or a fork() share, no path, which a chroot() would hide,
 * and no rights beyond the mapping's, which setuid() would take away.
 * Nothing on these paths allocates: accept(), recvfrom() and getpeername()
 * stay async-signal-safe.
 *
 * Every lookup marks the entry it finds used, by the boot-time clock in
 * seconds; once the pool has no address left to give, one that no process
 * has used for POLICY_POOL_IDLE seconds is taken back for a new peer
 * (policy/pool.c), so that a flood of peers cannot shut out every later
 * one for good.
 *
 * When the pool cannot be had (see poolfile.c), every new IPv6 peer gets
 * the exhaustion result, and the reason is said once on stderr and logged.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "policy.h"
#include "pool.h"
#include "shim.h"
#include "sockaddr.h"
#include "state.h"

/* pool_state: not yet opened, opened, refused; otherwise the pid of the
 * process whose thread is opening it. */
#define POOL_UNOPENED 0
#define POOL_READY (-1)
#define POOL_REFUSED (-2)

static int pool_state = POOL_UNOPENED;
static struct policy_pool pool_the;	/* valid once POOL_READY */
static struct poolfile_why pool_why;	/* why, once POOL_REFUSED */
static int pool_told;			/* whether the refusal was said */

/*
 * Open the file, unless another thread claims it first (state is what
 * pool_state was seen to be), and publish the outcome.  Every signal is
 * blocked before the claim, so that no handler on this thread ever finds
 * the pool claimed by its own thread and waits for it; cancellation is
 * off, so that no thread waits for a cancelled opener.
 */
static void pool_open(const struct policy *policy, int state)
{
	struct in_addr net;
	unsigned len;
	sigset_t all, old;
	int cancel;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &cancel);
	if (__atomic_compare_exchange_n(&pool_state, &state, (int)getpid(),
					false, __ATOMIC_ACQUIRE,
					__ATOMIC_ACQUIRE)) {
		policy_peer_pool(policy, &net, &len);
		__atomic_store_n(&pool_state,
				 poolfile_open(&net, len, &pool_the,
					       &pool_why) ?
					 POOL_READY :
					 POOL_REFUSED,
				 __ATOMIC_RELEASE);
	}
	pthread_setcancelstate(cancel, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

/*
 * The pool, opened now if it is not yet; NULL when it is refused.  A
 * thread that finds another opening it waits (the opener has every signal
 * blocked, so it is never this thread); a child that fork() copied in the
 * middle of its parent's opening opens it afresh.
 */
static struct policy_pool *pool_get(const struct policy *policy)
{
	int state = __atomic_load_n(&pool_state, __ATOMIC_ACQUIRE);

	for (;;) {
		if (state == POOL_READY)
			return &pool_the;
		if (state == POOL_REFUSED)
			return NULL;
		if (state == POOL_UNOPENED)
			pool_open(policy, state);
		else if (state != getpid())
			__atomic_compare_exchange_n(&pool_state, &state,
						    POOL_UNOPENED, false,
						    __ATOMIC_ACQUIRE,
						    __ATOMIC_ACQUIRE);
		else
			sched_yield();
		state = __atomic_load_n(&pool_state, __ATOMIC_ACQUIRE);
	}
}

/* pool_forget - see state.h. */
void pool_forget(void)
{
	pool_state = POOL_UNOPENED;
	memset(&pool_the, 0, sizeof(pool_the));
	memset(&pool_why, 0, sizeof(pool_why));
	pool_told = 0;
}

/* pool_prepare - see sockaddr.h. */
void pool_prepare(const struct policy *policy)
{
	if (policy && local_upgrades(policy))
		pool_get(policy);
}

/* Say once, on stderr and in the log, why the pool is refused. */
static void pool_refused(const struct policy *policy, const struct in6_addr *v6)
{
	static const char prefix[] = "stackshim: peer-pool unavailable: ";
	static const char suffix[] = "; IPv6 peers of IPv4 sockets are refused\n";
	struct sockaddr_in6 real = {.sin6_family = AF_INET6, .sin6_addr = *v6};
	struct shim_log_event ev = {
		.family = AF_INET,
		.dest = (struct sockaddr *)&real,
		.destlen = sizeof(real),
		.outcome = -1,
		.error = "ENOBUFS",
		.reason = "peer-pool-unavailable",
	};
	struct iovec iov[] = {
		{(void *)prefix, sizeof(prefix) - 1},
		{pool_why.text, pool_why.len},
		{(void *)suffix, sizeof(suffix) - 1},
	};

	if (__atomic_exchange_n(&pool_told, 1, __ATOMIC_ACQ_REL))
		return;
	/* One writev(2): the line is not interleaved with the program's. */
	if (writev(STDERR_FILENO, iov, 3) < 0)
		(void)0;	/* nowhere to say it; the log may still be */
	shim_log(policy, &ev);
}

/* Take the region's writer lock with every signal blocked (old gets the
 * thread's mask); false when it cannot be had. */
static bool pool_lock(sigset_t *old)
{
	pthread_mutex_t *m = policy_pool_lock_area(&pool_the);
	sigset_t all;
	int err;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, old);
	err = pthread_mutex_lock(m);
	if (err == EOWNERDEAD) {
		/* Its holder died: finish what it left, then go on. */
		policy_pool_repair(&pool_the);
		err = pthread_mutex_consistent(m);
		if (err)
			pthread_mutex_unlock(m);
	}
	if (err)
		pthread_sigmask(SIG_SETMASK, old, NULL);
	return !err;
}

static void pool_unlock(const sigset_t *old)
{
	pthread_mutex_unlock(policy_pool_lock_area(&pool_the));
	pthread_sigmask(SIG_SETMASK, old, NULL);
}

/*
 * The pool's clock: seconds since boot, suspend included, the same in
 * every process of the host (of its time namespace); never 0, which
 * policy/pool.c takes for no clock.
 */
static uint32_t pool_now(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_BOOTTIME, &ts) < 0)
		return 1;
	return (uint32_t)ts.tv_sec + 1;
}

/* Log a mapping just given: the real IPv6 address and its pool address;
 * reused: an idle address taken back from another peer. */
static void pool_log(const struct policy *policy, const struct in6_addr *v6,
		     const struct in_addr *v4, bool reused)
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
		.reason = reused ? "peer-pool-reused" : "peer-pool",
	};

	shim_log(policy, &ev);
}

/* pool_v4_of - see sockaddr.h. */
int pool_v4_of(const struct policy *policy, const struct in6_addr *v6,
	       struct in_addr *v4)
{
	enum policy_pool_given given = POLICY_POOL_FOUND;
	struct policy_pool *pool;
	int saved_errno = errno, err = ENOBUFS;
	uint32_t now = pool_now();
	sigset_t old;

	if (!policy)
		return ENOBUFS;
	pool = pool_get(policy);
	if (!pool) {
		pool_refused(policy, v6);
	} else if (policy_pool_v4_at(pool, v6, v4, now)) {
		err = 0;
	} else if (pool_lock(&old)) {
		if (policy_pool_assign_at(pool, v6, v4, now, &given) == 0)
			err = 0;
		pool_unlock(&old);
	}
	if (!err && given != POLICY_POOL_FOUND)
		pool_log(policy, v6, v4, given == POLICY_POOL_REUSED);
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
 * socket asks, so an address outside the pool is answered before the
 * pool is looked at, and the pool's answer takes no lock.
 */
bool pool_v6_of(const struct policy *policy, const struct in_addr *v4,
		struct in6_addr *v6)
{
	int saved_errno = errno;
	struct policy_pool *pool;
	bool found;

	if (!policy || !pool_holds(policy, v4))
		return false;
	pool = pool_get(policy);
	found = pool && policy_pool_v6_at(pool, v4, v6, pool_now());
	errno = saved_errno;
	return found;
}
