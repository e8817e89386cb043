/* SPDX-License-Identifier: MIT */
/*
 * dup.c - the dup(), dup2() and dup3() hooks: a copy of a socket's fd has
 * the state of the fd it copies, so that an upgraded socket stays AF_INET
 * to its program through every number it is known by.
 *
 * The state is copied once the kernel has made the copy, and only then: a
 * call that fails changes nothing, and the number dup2() or dup3() put the
 * copy on loses whatever state it had, as the kernel closed what it was
 * (and the decision log opens itself anew should that be its own).
 * Like close(), these calls need no policy and neither start nor wait for
 * initialisation: before libc's functions have been looked up, the system
 * calls are made directly.
 */
#include "config.h"

#include <errno.h>
#include <unistd.h>

#include "shim.h"
#include "sys.h"

/*
 * dup - the interposed dup(2).  Returns what libc's dup() returns; the new
 * fd has the old one's state.
 */
SHIM_EXPORT int dup(int oldfd)
{
	int fd;

	if (real_dup)
		fd = real_dup(oldfd);
	else
		fd = (int)shim_sys(SYS_dup, oldfd);
	if (fd >= 0)
		fdstate_copy(oldfd, fd);
	return fd;
}

/*
 * Copy oldfd onto newfd through the system call, as libc's dup2() does
 * without it: dup3() refuses oldfd == newfd, which dup2() answers itself.
 * Architectures newer than dup2(2) (aarch64, riscv) only have dup3(2).
 */
static int shim_dup2_syscall(int oldfd, int newfd)
{
	if (oldfd == newfd)
		return (int)shim_sys(SYS_fcntl, oldfd, F_GETFL) < 0 ? -1 : newfd;
	return (int)shim_sys(SYS_dup3, oldfd, newfd, 0);
}

/*
 * dup2 - the interposed dup2(2).  Returns what libc's dup2() returns;
 * newfd has oldfd's state, and dup2(fd, fd) keeps fd's.
 */
SHIM_EXPORT int dup2(int oldfd, int newfd)
{
	int fd;

	/* The kernel closes what newfd was: the log's descriptor, maybe. */
	if (oldfd != newfd && newfd >= 0)
		shim_log_closed((unsigned)newfd, (unsigned)newfd);
	if (real_dup2)
		fd = real_dup2(oldfd, newfd);
	else
		fd = shim_dup2_syscall(oldfd, newfd);
	if (fd >= 0)
		fdstate_copy(oldfd, fd);
	return fd;
}

/*
 * dup3 - the interposed dup3(2).  Returns what libc's dup3() returns;
 * newfd has oldfd's state.  O_CLOEXEC in flags is the kernel's business.
 */
SHIM_EXPORT int dup3(int oldfd, int newfd, int flags)
{
	int fd;

	/* The kernel closes what newfd was: the log's descriptor, maybe. */
	if (oldfd != newfd && newfd >= 0)
		shim_log_closed((unsigned)newfd, (unsigned)newfd);
	if (real_dup3)
		fd = real_dup3(oldfd, newfd, flags);
	else
		fd = (int)shim_sys(SYS_dup3, oldfd, newfd, flags);
	if (fd >= 0)
		fdstate_copy(oldfd, fd);
	return fd;
}
