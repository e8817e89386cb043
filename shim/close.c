/* SPDX-License-Identifier: MIT */
/*
 * close.c - the close(), close_range() and closefrom() hooks: a closed
 * fd's socket state is forgotten, so that whatever the number is given to
 * next starts with none; and when the program closes the decision log's
 * descriptor, the log knows it is gone (shim_log_closed()).
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <unistd.h>

#include "shim.h"
#include "sys.h"
#include "fast.h"

/*
 * close - the interposed close(2).  Returns what libc's close() returns;
 * errno is libc's.
 *
 * The state is forgotten before the real close, not after: once the kernel
 * has released the number, another thread's socket() may get it and mark
 * it, and forgetting then would wipe that socket's flags.  Linux releases
 * the number whatever close() returns (EINTR and EIO included), and with
 * EBADF there was no state worth keeping, so nothing is lost this way.
 * fdstate_set(fd, 0) maps nothing and keeps errno.  close() needs no
 * policy, so it neither starts nor waits for initialisation: before it has
 * looked libc's close() up, the system call is made directly.
 */
SHIM_EXPORT int close(int fd)
{
	fdstate_set_fast(fd, 0);
	shim_log_closing(fd);
	if (real_close)
		return real_close(fd);
	return (int)shim_sys(SYS_close, fd);
}

/* The close_range() flags this kernel interface has; others are EINVAL. */
#define SHIM_CLOSE_RANGE_FLAGS (CLOSE_RANGE_UNSHARE | CLOSE_RANGE_CLOEXEC)

/*
 * close_range - the interposed close_range(2).  Returns what libc's
 * close_range() returns; errno is libc's.
 *
 * The states of first..last are forgotten before the real call, as close()
 * does, but only when the call is going to close them: CLOSE_RANGE_CLOEXEC
 * only marks them close-on-exec, and first > last or an unknown flag is
 * refused with EINVAL before anything is closed.  CLOSE_RANGE_UNSHARE
 * closes them in a private copy of the fd table, which is then the calling
 * thread's: they are forgotten too, although other threads of the process
 * (should it have any) still have them open.  There, and should the kernel
 * fail after all (ENOMEM unsharing the table), a socket whose state was
 * lost is known again by what the kernel says of it (fdstate_learn()), its
 * upgrade mark included.  A huge range costs no more than a small one.
 */
SHIM_EXPORT int close_range(unsigned int first, unsigned int last, int flags)
{
	unsigned uflags = (unsigned)flags;

	if (first <= last && !(uflags & ~SHIM_CLOSE_RANGE_FLAGS) &&
	    !(uflags & CLOSE_RANGE_CLOEXEC)) {
		fdstate_forget_range(first, last);
		shim_log_closed(first, last);
	}
	if (real_close_range)
		return real_close_range(first, last, flags);
	return (int)shim_sys(SYS_close_range, first, last, flags);
}

/*
 * closefrom - the interposed closefrom(3): every fd from lowfd on (from 0
 * when lowfd is negative, as libc reads it) is closed, its state
 * forgotten first.  Before libc's closefrom() has been looked up, the
 * close_range(2) system call that libc's closefrom() makes is made
 * directly.
 */
SHIM_EXPORT void closefrom(int lowfd)
{
	unsigned first = lowfd < 0 ? 0 : (unsigned)lowfd;

	fdstate_forget_range(first, UINT_MAX);
	shim_log_closed(first, UINT_MAX);
	if (real_closefrom) {
		real_closefrom(lowfd);
		return;
	}
	shim_sys(SYS_close_range, first, UINT_MAX, 0);
}
