/* SPDX-License-Identifier: MIT */
/*
 * fclose.c - the fclose() hook: the state of a stream's fd is forgotten as
 * the stream closes it.  A program that fdopen()s a socket closes it with
 * fclose(), and libc's fclose() closes the fd without going through the
 * close() hook (calls inside libc do not pass through the PLT).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>

#include "shim.h"

/* glibc's fclose() under its libio name; no header declares it now. */
extern int _IO_fclose(FILE *stream);

/*
 * fclose - the interposed fclose(3).  Returns what libc's fclose() returns;
 * errno is libc's.
 *
 * As close() does (shim/close.c), the state is forgotten before the real
 * call: fclose() releases the fd whatever it returns, and once it has,
 * another thread's socket may get the number.  A stream with no fd
 * (fmemopen(), fopencookie()) forgets nothing; a NULL one is libc's to
 * answer.  No policy is needed, so initialisation is neither started nor
 * waited for: before it has looked libc's fclose() up, the call goes to
 * _IO_fclose(), the name glibc has always exported for its own fclose()
 * (the same function at the same address), since there is no system call
 * to stand in for a stream's close.
 */
SHIM_EXPORT int fclose(FILE *stream)
{
	int saved_errno = errno, fd;

	if (stream) {
		fd = fileno(stream);
		if (fd >= 0)
			fdstate_set(fd, 0);
		errno = saved_errno;
	}
	if (real_fclose)
		return real_fclose(stream);
	return _IO_fclose(stream);
}
