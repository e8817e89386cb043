/* SPDX-License-Identifier: MIT */
/*
 * lock.c - the one lock that guards the library's process-wide tables
 * (the names resolved, shim/names.c; the peer-pool has a lock of its own
 * in its shared file, shim/pool.c).
 *
 * While a thread holds it, every signal is blocked, so that a signal
 * handler that reaches a hook cannot wait on the lock its own thread
 * holds.
 *
 * A child must never inherit it held for good.  fork() runs the
 * pthread_atfork() handlers, which take it around the fork, so that the
 * child's copy of the tables is whole; _Fork(), vfork()-less clone() and
 * a raw fork system call run none.  So the lock word names its holder as
 * (pid << 32 | tid): a waiter that finds it held by a process that is not
 * its own (a child's copy of its parent's word), or by a thread that is
 * no longer one of its own process's (tgkill(2) says ESRCH), takes it
 * over.  A mutex could do neither: glibc's robust mutexes are released
 * when the owner thread dies, not when a child is made without it.  A
 * process of another pid that shares this one's memory (a vfork() child,
 * or one of clone(CLONE_VM), as posix_spawn() makes) sees a live holder,
 * a thread of its parent that will let go: kcmp(2) tells it, and it
 * waits.  What a holder that never lets go left half changed is for the
 * guarded table to survive (shim/names.c).
 *
 * Everything is a system call or an atomic: the lock is safe to take from
 * a signal handler (of another thread than the holder's), and takes no
 * once-flag: the fork handlers are registered by a constructor.  The
 * critical sections are a hash lookup or insert: a waiter yields the CPU
 * rather than sleeping on a futex.
 */
#include "config.h"

#include <linux/kcmp.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <unistd.h>
#include <errno.h>

#include "shim.h"
#include "sys.h"

/* 0 when free, else the holder's (pid << 32 | tid). */
static uint64_t lock_word;
static sigset_t lock_fork_mask;		/* the forking thread's, held */

/* shim_thread_self - see shim.h. */
uint64_t shim_thread_self(void)
{
	return (uint64_t)(uint32_t)shim_sys(SYS_getpid) << 32 |
	       (uint32_t)shim_sys(SYS_gettid);
}

/*
 * Whether the holder held can never let go: a thread of another process
 * that does not share this one's memory (this is a child's copy of the
 * word; kcmp(2) missing or refused counts as not sharing), or a thread
 * that has exited.
 */
static bool lock_orphaned(uint64_t held, uint64_t me)
{
	pid_t pid = (pid_t)(held >> 32), tid = (pid_t)(uint32_t)held;
	pid_t mine = (pid_t)(me >> 32);
	int saved_errno = errno;
	bool gone;

	if (pid != mine && shim_sys(SYS_kcmp, mine, pid, KCMP_VM, 0, 0) != 0)
		gone = true;
	else
		gone = shim_sys(SYS_tgkill, pid, tid, 0) < 0 && errno == ESRCH;
	errno = saved_errno;
	return gone;
}

static void lock_take(sigset_t *old)
{
	uint64_t me = shim_thread_self(), held = 0;
	sigset_t all;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, old);
	while (!__atomic_compare_exchange_n(&lock_word, &held, me, false,
					    __ATOMIC_ACQUIRE,
					    __ATOMIC_RELAXED)) {
		if (held && lock_orphaned(held, me))
			continue;	/* try again to swap held for me */
		sched_yield();
		held = 0;
	}
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
 * Register the fork handlers as the library is loaded, before any thread
 * can take the lock: a pthread_once() at the first lock could be
 * interrupted by a handler that takes the lock and waits on the same once.
 */
__attribute__((constructor)) static void lock_atfork_register(void)
{
	pthread_atfork(lock_fork_prepare, lock_fork_release,
		       lock_fork_release);
}

/* shim_lock - see shim.h. */
void shim_lock(sigset_t *old)
{
	lock_take(old);
}

/* shim_unlock - see shim.h. */
void shim_unlock(const sigset_t *old)
{
	__atomic_store_n(&lock_word, 0, __ATOMIC_RELEASE);
	pthread_sigmask(SIG_SETMASK, old, NULL);
}
