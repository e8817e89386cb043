/*
 * lock.c - the one lock that guards the library's process-wide tables
 * (the peer-pool, shim/pool.c; the names resolved, shim/names.c).
 *
 * While a thread holds it, every signal is blocked, so that a signal
 * handler that reaches a hook cannot wait on the lock its own thread
 * holds; and pthread_atfork() handlers take it around fork(), so that a
 * child never inherits it held by a thread that does not exist there.
 * The tables are small and the critical sections short: one lock is
 * simpler than one per table and costs nothing measurable.
 */
#include "config.h"

#include <pthread.h>
#include <signal.h>

#include "shim.h"

static pthread_mutex_t lock_mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t lock_atfork_once = PTHREAD_ONCE_INIT;
static sigset_t lock_fork_mask;		/* the forking thread's, held */

static void lock_take(sigset_t *old)
{
	sigset_t all;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, old);
	pthread_mutex_lock(&lock_mutex);
}

/* Before fork(): hold the lock, so that no other thread is inside. */
static void lock_fork_prepare(void)
{
	sigset_t old;

	lock_take(&old);
	/* Only the holder of the lock writes it. */
	lock_fork_mask = old;
}

/* After fork(), in the parent and in the child: let go. */
static void lock_fork_release(void)
{
	sigset_t old = lock_fork_mask;

	shim_unlock(&old);
}

/*
 * Register the fork handlers the first time the lock is taken: until then
 * no thread can hold it.
 */
static void lock_atfork_register(void)
{
	pthread_atfork(lock_fork_prepare, lock_fork_release,
		       lock_fork_release);
}

/* shim_lock - see shim.h. */
void shim_lock(sigset_t *old)
{
	pthread_once(&lock_atfork_once, lock_atfork_register);
	lock_take(old);
}

/* shim_unlock - see shim.h. */
void shim_unlock(const sigset_t *old)
{
	pthread_mutex_unlock(&lock_mutex);
	pthread_sigmask(SIG_SETMASK, old, NULL);
}
