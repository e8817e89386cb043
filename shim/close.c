/*
 * close.c - the close() hook: a closed fd's socket state is forgotten, so
 * that whatever the number is given to next starts with none.
 */
#include "config.h"

#include <errno.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "shim.h"

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
	fdstate_set(fd, 0);
	if (real_close)
		return real_close(fd);
	return (int)syscall(SYS_close, fd);
}
