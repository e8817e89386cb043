/* SPDX-License-Identifier: MIT */
/*
 * getaddrinfo_a.c - the getaddrinfo_a(), gai_suspend() and gai_cancel()
 * hooks: glibc's asynchronous lookups, policed as getaddrinfo() is.
 *
 * glibc's own getaddrinfo_a() runs each request on a helper thread that
 * calls libc's getaddrinfo() inside libc, where no preload reaches it, and
 * writes the answer straight into the program's struct gaicb: a denied name
 * would resolve, and an ipv4 stack hand out ::1.  No copy of a request may
 * be left to it, since nothing of glibc's lets the shim see a result before
 * the program can.  So the shim runs every request itself: each on a thread
 * of its own (all signals blocked, as glibc's helpers are) that calls the
 * shim's getaddrinfo(), the one every program call goes through, so the same
 * policy decides, logs and remembers the names.  The thread writes
 * ar_result, then __return (release order), which gai_error() reads (hooked
 * to read it with acquire order; glibc's reads the same field plainly); and
 * when the call's last request is done, it notifies as glibc does:
 * SIGEV_SIGNAL as a queued signal with si_code SI_ASYNCNL from this process,
 * SIGEV_THREAD as a new thread (the program's attributes, or detached)
 * running the function with every signal unblocked.
 *
 * glibc's gai_suspend() and gai_cancel() look requests up in glibc's own
 * queue, where the shim's are not, so they are hooked too: gai_suspend()
 * waits on a futex that every completion bumps (EAI_INTR on a signal, as
 * glibc's futex wait gives it), and gai_cancel() finds every request
 * already running, as glibc does for one its helper has picked up:
 * EAI_NOTCANCELED, or EAI_ALLDONE once done.
 *
 * None of these is async-signal-safe in libc, and they allocate here: one
 * block per call, freed by the last of its requests (GAI_NOWAIT) or by the
 * caller (GAI_WAIT).
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "shim.h"
#include "sys.h"

struct gai_a_call;

/* One request and the call it belongs to: the argument of its thread. */
struct gai_a_job {
	struct gai_a_call *call;
	struct gaicb *req;
};

/* One getaddrinfo_a() call. */
struct gai_a_call {
	atomic_int left;	/* requests still running */
	int mode;		/* GAI_WAIT or GAI_NOWAIT */
	struct sigevent sev;	/* the program's, copied (GAI_NOWAIT) */
	pid_t pid;		/* the caller's process, for SI_ASYNCNL */
	struct gai_a_job jobs[];
};

/* Bumped, and woken, at every request's end: what waiters sleep on. */
static atomic_int gai_a_done;

static long gai_a_futex(atomic_int *addr, int op, int val,
			const struct timespec *timeout)
{
	return shim_sys(SYS_futex, addr, op, val, timeout, NULL, 0);
}

/* The program's SIGEV_THREAD function, as glibc runs it. */
struct gai_a_notify {
	void (*fn)(union sigval);
	union sigval value;
};

static void *gai_a_notify_thread(void *arg)
{
	struct gai_a_notify n = *(struct gai_a_notify *)arg;
	sigset_t none;

	free(arg);
	/* Created with every signal blocked (from a request's thread). */
	sigemptyset(&none);
	pthread_sigmask(SIG_SETMASK, &none, NULL);
	n.fn(n.value);
	return NULL;
}

/* Tell the program that sev's call is done, as glibc's __gai_notify_only. */
static void gai_a_notify(const struct sigevent *sev, pid_t pid)
{
	struct gai_a_notify *n;
	pthread_attr_t attr, *pattr;
	siginfo_t info;
	pthread_t tid;

	if (sev->sigev_notify == SIGEV_SIGNAL) {
		memset(&info, 0, sizeof(info));
		info.si_signo = sev->sigev_signo;
		info.si_code = SI_ASYNCNL;
		info.si_pid = pid;
		info.si_uid = getuid();
		info.si_value = sev->sigev_value;
		shim_sys(SYS_rt_sigqueueinfo, pid, sev->sigev_signo, &info);
		return;
	}
	if (sev->sigev_notify != SIGEV_THREAD ||
	    !(n = malloc(sizeof(*n))))
		return;
	n->fn = sev->sigev_notify_function;
	n->value = sev->sigev_value;
	pattr = sev->sigev_notify_attributes;
	if (!pattr) {
		pthread_attr_init(&attr);
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		pattr = &attr;
	}
	if (pthread_create(&tid, pattr, gai_a_notify_thread, n) != 0)
		free(n);
	if (pattr == &attr)
		pthread_attr_destroy(&attr);
}

/* Mark req done with rc, after its result. */
static void gai_a_mark(struct gaicb *req, int rc)
{
	atomic_store_explicit((_Atomic int *)&req->__return, rc,
			      memory_order_release);
}

/* Wake every waiter: something is done. */
static void gai_a_wake(void)
{
	atomic_fetch_add(&gai_a_done, 1);
	gai_a_futex(&gai_a_done, FUTEX_WAKE_PRIVATE, INT_MAX, NULL);
}

/* One request's thread: the shim's getaddrinfo(), then the notice. */
static void *gai_a_run(void *arg)
{
	struct gai_a_job *job = arg;
	struct gai_a_call *call = job->call;
	struct gaicb *req = job->req;
	struct addrinfo *res = NULL;
	int rc, mode = call->mode;

	rc = getaddrinfo(req->ar_name, req->ar_service, req->ar_request,
			 &res);
	req->ar_result = rc == 0 ? res : NULL;
	gai_a_mark(req, rc);
	/* The call is its caller's to free once left is 0 (GAI_WAIT), and
	 * the last thread's otherwise: nothing of it is read after. */
	if (atomic_fetch_sub(&call->left, 1) == 1 && mode == GAI_NOWAIT) {
		gai_a_notify(&call->sev, call->pid);
		free(call);
	}
	gai_a_wake();
	return NULL;
}

/* Start job's thread, every signal blocked in it; false if it cannot. */
static bool gai_a_start(struct gai_a_job *job)
{
	pthread_attr_t attr;
	sigset_t all, old;
	pthread_t tid;
	int rc;

	if (pthread_attr_init(&attr) != 0)
		return false;
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&tid, &attr, gai_a_run, job);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&attr);
	return rc == 0;
}

/* Wait, signals or not, until call's requests are all done (GAI_WAIT). */
static void gai_a_wait_all(struct gai_a_call *call)
{
	int seen;

	for (;;) {
		seen = atomic_load(&gai_a_done);
		if (atomic_load(&call->left) == 0)
			return;
		gai_a_futex(&gai_a_done, FUTEX_WAIT_PRIVATE, seen, NULL);
	}
}

static int shim_getaddrinfo_a(int mode, struct gaicb *list[], int ent,
			      struct sigevent *sev)
{
	struct gai_a_call *call;
	int i, rc = 0, saved_errno = errno;

	if ((mode != GAI_WAIT && mode != GAI_NOWAIT) || ent < 0) {
		errno = EINVAL;
		return EAI_SYSTEM;
	}
	call = calloc(1, sizeof(*call) + (size_t)ent * sizeof(call->jobs[0]));
	if (!call)
		return EAI_MEMORY;
	call->mode = mode;
	call->pid = getpid();
	call->sev.sigev_notify = SIGEV_NONE;
	if (sev && mode == GAI_NOWAIT)
		call->sev = *sev;
	/* One count held while the threads start, so that none frees the
	 * call before every one is started. */
	atomic_store(&call->left, 1);
	for (i = 0; i < ent; i++) {
		if (!list[i])
			continue;
		call->jobs[i] = (struct gai_a_job){call, list[i]};
		list[i]->ar_result = NULL;
		list[i]->__return = EAI_INPROGRESS;
		atomic_fetch_add(&call->left, 1);
		if (gai_a_start(&call->jobs[i]))
			continue;
		/* As glibc when it cannot queue a request. */
		atomic_fetch_sub(&call->left, 1);
		gai_a_mark(list[i], EAI_SYSTEM);
		saved_errno = EAGAIN;
		rc = EAI_SYSTEM;
	}
	if (mode == GAI_WAIT) {
		atomic_fetch_sub(&call->left, 1);
		gai_a_wait_all(call);
		free(call);
	} else if (atomic_fetch_sub(&call->left, 1) == 1) {
		/* Nothing started, or all of it done already. */
		gai_a_notify(&call->sev, call->pid);
		free(call);
	}
	errno = saved_errno;
	return rc;
}

/*
 * getaddrinfo_a - the interposed getaddrinfo_a(3): each request of list
 * answered by the shim's getaddrinfo() on a thread of the shim's, under
 * the same policy; the notification, gai_error(), gai_suspend() and
 * gai_cancel() as glibc's.  Returns 0; EAI_SYSTEM with errno EINVAL for
 * a bad mode, with EAGAIN when a request's thread could not be made (that
 * request's gai_error() is then EAI_SYSTEM); EAI_MEMORY when the call's
 * own block could not be allocated (no request started).
 */
SHIM_EXPORT int getaddrinfo_a(int mode, struct gaicb *list[], int ent,
			      struct sigevent *sev)
{
	/* Before initialisation too: glibc's would go unpoliced, and the
	 * request's getaddrinfo() initialises. */
	return shim_getaddrinfo_a(mode, list, ent, sev);
}

/* Whether any request of list marked in waiting is done now. */
static bool gai_a_any_done(const struct gaicb *const list[], int ent,
			   const unsigned char *waiting)
{
	int i;

	for (i = 0; i < ent; i++)
		if (waiting[i] &&
		    atomic_load_explicit((_Atomic int *)&list[i]->__return,
					 memory_order_acquire) !=
			    EAI_INPROGRESS)
			return true;
	return false;
}

/* The time left of timeout since start, false when none is left. */
static bool gai_a_left(const struct timespec *timeout,
		       const struct timespec *start, struct timespec *left)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	left->tv_sec = start->tv_sec + timeout->tv_sec - now.tv_sec;
	left->tv_nsec = start->tv_nsec + timeout->tv_nsec - now.tv_nsec;
	while (left->tv_nsec < 0) {
		left->tv_nsec += 1000000000;
		left->tv_sec--;
	}
	while (left->tv_nsec >= 1000000000) {
		left->tv_nsec -= 1000000000;
		left->tv_sec++;
	}
	return left->tv_sec >= 0;
}

static int shim_gai_suspend(const struct gaicb *const list[], int ent,
			    const struct timespec *timeout)
{
	unsigned char waiting[ent > 0 ? ent : 1];
	struct timespec start, left, *wait = NULL;
	int i, seen, saved_errno = errno;
	bool any = false;

	/* As glibc: only the requests in progress now are waited for. */
	for (i = 0; i < ent; i++) {
		waiting[i] = list[i] && atomic_load_explicit(
						(_Atomic int *)&list[i]->__return,
						memory_order_acquire) ==
						EAI_INPROGRESS;
		any |= waiting[i];
	}
	if (!any)
		return EAI_ALLDONE;
	if (timeout)
		clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		seen = atomic_load(&gai_a_done);
		if (gai_a_any_done(list, ent, waiting))
			break;
		if (timeout && !gai_a_left(timeout, &start, &left)) {
			errno = saved_errno;
			return EAI_AGAIN;
		}
		if (timeout)
			wait = &left;
		if (gai_a_futex(&gai_a_done, FUTEX_WAIT_PRIVATE, seen, wait) &&
		    errno == EINTR) {
			errno = saved_errno;
			return EAI_INTR;
		}
	}
	errno = saved_errno;
	return 0;
}

/*
 * gai_suspend - the interposed gai_suspend(3), for the shim's requests:
 * EAI_ALLDONE when none of list is in progress, else 0 once one of those
 * that were is done, EAI_AGAIN when timeout (relative) passes first,
 * EAI_INTR when a signal handler ran.
 */
SHIM_EXPORT int gai_suspend(const struct gaicb *const list[], int ent,
			    const struct timespec *timeout)
{
	return shim_gai_suspend(list, ent, timeout);
}

/*
 * gai_error - the interposed gai_error(3): req's status, EAI_INPROGRESS
 * until its thread is done, read with acquire order so that ar_result,
 * written before it, is seen whole (glibc's reads it plainly).
 */
SHIM_EXPORT int gai_error(struct gaicb *req)
{
	return atomic_load_explicit((_Atomic int *)&req->__return,
				    memory_order_acquire);
}

/*
 * gai_cancel - the interposed gai_cancel(3): a request of the shim's
 * runs from the start, as one glibc's helper has picked up, so
 * EAI_NOTCANCELED while it is in progress, EAI_ALLDONE after.
 */
SHIM_EXPORT int gai_cancel(struct gaicb *req)
{
	if (req &&
	    atomic_load_explicit((_Atomic int *)&req->__return,
				 memory_order_acquire) == EAI_INPROGRESS)
		return EAI_NOTCANCELED;
	return EAI_ALLDONE;
}
