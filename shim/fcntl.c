/* SPDX-License-Identifier: MIT */
/*
 * fcntl.c - the fcntl() and fcntl64() hooks: the copy F_DUPFD or
 * F_DUPFD_CLOEXEC makes of a socket's fd has the state of the fd it copies,
 * as dup() gives it (shim/dup.c).
 *
 * Programs built with _FILE_OFFSET_BITS=64 call fcntl64(), others fcntl();
 * both are hooked, each forwarding to its own libc function.  The third
 * argument is read as glibc itself reads it, as one pointer-sized value
 * whatever cmd is, and handed on so: every cmd passes through unchanged,
 * the ones the shim knows nothing of included.  No policy is needed, so
 * initialisation is neither started nor waited for.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <unistd.h>

#include "shim.h"
#include "sys.h"

/* One of the two calls: libc's function, and the system call without it. */
struct shim_fcntl_call {
	__typeof__(fcntl) **real;
	long sysno;
};

static const struct shim_fcntl_call shim_fcntl_call = {
	&real_fcntl,
	SYS_fcntl,
};

/*
 * fcntl64(2) is the system call of 32-bit architectures that takes a
 * struct flock64; where the plain one already does, it has no name.
 */
static const struct shim_fcntl_call shim_fcntl64_call = {
	&real_fcntl64,
#ifdef SYS_fcntl64
	SYS_fcntl64,
#else
	SYS_fcntl,
#endif
};

/*
 * The system call alone, for syscall(SYS_fcntl, ...) (shim/syscall.c): no
 * libc function, as libc's fcntl() answers F_GETOWN through F_GETOWN_EX
 * where the system call does not.
 */
static __typeof__(fcntl) *shim_fcntl_none;

static const struct shim_fcntl_call shim_fcntl_sys_call = {
	&shim_fcntl_none,
	SYS_fcntl,
};

/* The commands that make a copy of fd, returning its number. */
static const int shim_fcntl_dups[] = {F_DUPFD, F_DUPFD_CLOEXEC};

static bool shim_fcntl_is_dup(int cmd)
{
	size_t i;

	for (i = 0; i < sizeof(shim_fcntl_dups) / sizeof(shim_fcntl_dups[0]);
	     i++)
		if (shim_fcntl_dups[i] == cmd)
			return true;
	return false;
}

static int shim_fcntl(const struct shim_fcntl_call *call, int fd, int cmd,
		      void *arg)
{
	int rc;

	if (*call->real)
		rc = (*call->real)(fd, cmd, arg);
	else
		rc = (int)shim_sys(call->sysno, fd, cmd, arg);
	if (rc >= 0 && shim_fcntl_is_dup(cmd))
		fdstate_copy(fd, rc);
	return rc;
}

/*
 * fcntl - the interposed fcntl(2).  Returns what libc's fcntl() returns;
 * the fd F_DUPFD and F_DUPFD_CLOEXEC return has fd's state.
 */
SHIM_EXPORT int fcntl(int fd, int cmd, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, cmd);
	arg = va_arg(ap, void *);
	va_end(ap);
	return shim_fcntl(&shim_fcntl_call, fd, cmd, arg);
}

/* fcntl64 - the interposed fcntl64(), as fcntl() above. */
SHIM_EXPORT int fcntl64(int fd, int cmd, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, cmd);
	arg = va_arg(ap, void *);
	va_end(ap);
	return shim_fcntl(&shim_fcntl64_call, fd, cmd, arg);
}

/*
 * shim_fcntl_sys - fcntl(2) as the system call makes it, for the syscall()
 * hook: returns what syscall(SYS_fcntl, fd, cmd, arg) returns, errno as it
 * sets it, and the copy F_DUPFD and F_DUPFD_CLOEXEC make has fd's state.
 */
int shim_fcntl_sys(int fd, int cmd, void *arg)
{
	return shim_fcntl(&shim_fcntl_sys_call, fd, cmd, arg);
}
