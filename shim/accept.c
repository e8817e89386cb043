/* SPDX-License-Identifier: MIT */
/*
 * accept.c - the accept() and accept4() hooks.
 *
 * SPEC §2: everything the shim hands back to a program whose socket it
 * upgraded is in that program's family.  A connection accepted on an
 * upgraded listener is an AF_INET6 socket in the kernel (which copies the
 * listener's options to it, SHIM_UPGRADE_MARK included) and an AF_INET one
 * to the program: it is marked upgraded, and its peer is shown as the
 * sockaddr_in it stands for, in the caller's buffer as the kernel fills it
 * (shim/handback.c).  Every accepted socket, on any listener, gets the
 * state of its listener's kind, so that the state of a socket that had its
 * number before never carries over.
 */
#include "config.h"

#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

#include "policy.h"
#include "shim.h"
#include "sys.h"
#include "sockaddr.h"
#include "handback.h"

/*
 * Forward to libc's accept4(), or, when it is not known yet (a call made
 * during initialisation), to the system call itself.  accept() is accept4()
 * without flags, in libc as in the kernel.
 */
static int shim_accept_forward(int fd, struct sockaddr *sa, socklen_t *len,
			       int flags)
{
	if (!flags && real_accept)
		return real_accept(fd, sa, len);
	if (real_accept4)
		return real_accept4(fd, sa, len, flags);
	return (int)shim_sys(SYS_accept4, fd, sa, len, flags);
}

/*
 * Record the state of nfd, accepted on the listener fd: what the listener
 * is (its family, upgraded or not, its type), connected and so bound
 * (FDSTATE_NOBIND).  accept4()'s SOCK_NONBLOCK and SOCK_CLOEXEC are fd
 * flags, not socket state.  A listener of another family (AF_UNIX) gives a
 * socket of that family (FDSTATE_FOREIGN), and a listener the shim knows
 * nothing of gives one it knows nothing of: whatever the number held is
 * forgotten either way.
 * Needs no policy, so it runs on every path; errno is kept.
 */
static void shim_accept_mark(int fd, int nfd)
{
	unsigned lflags = fdstate_learn(fd);

	if (!(lflags & FDSTATE_KNOWN)) {
		fdstate_set(nfd, fdstate_get(fd) & FDSTATE_FOREIGN);
		return;
	}
	fdstate_set(nfd, FDSTATE_KNOWN | FDSTATE_NOBIND |
				 (lflags & (FDSTATE_INET6 | FDSTATE_UPGRADED |
					    FDSTATE_STREAM | FDSTATE_DGRAM)));
}

/*
 * Close nfd, which the program never saw, keeping errno.  Its state is
 * forgotten first, as close() does (shim/close.c).
 */
static void shim_accept_drop(int nfd)
{
	int saved_errno = errno;

	fdstate_set(nfd, 0);
	if (real_close)
		real_close(nfd);
	else
		shim_sys(SYS_close, nfd);
	errno = saved_errno;
}

/*
 * Accept on fd.  On an upgraded listener the kernel's peer address is read
 * into a buffer of the shim's and shown as handback_show() says; arguments
 * the shim may not fill (handback_args_ok()) go to the kernel, which
 * accepts the connection, then drops it and answers EFAULT or EINVAL, the
 * same for either family but for the length it may write
 * (handback_len_fix()).
 *
 * A native IPv6 peer for which the peer-pool has no address left cannot be
 * shown in the program's family.  The connection is then closed and the
 * call fails with ECONNABORTED, "a connection has been aborted", which
 * accept(2) gives for a peer that went away before it was accepted and
 * which servers already take as "try the next one"; ENOBUFS would make
 * many of them stop listening.
 */
static int shim_accept(int fd, struct sockaddr *sa, socklen_t *len, int flags)
{
	struct sockaddr_storage ss;
	socklen_t sslen = sizeof(ss), before;
	int nfd;

	if (!(fdstate_learn(fd) & FDSTATE_UPGRADED) || !sa ||
	    !handback_args_ok(sa, len)) {
		before = handback_len_before(len);
		nfd = shim_accept_forward(fd, sa, len, flags);
		if (nfd >= 0)
			shim_accept_mark(fd, nfd);
		else if (sa && (fdstate_get(fd) & FDSTATE_UPGRADED))
			handback_len_fix(len, before);
		return nfd;
	}
	nfd = shim_accept_forward(fd, (struct sockaddr *)&ss, &sslen, flags);
	if (nfd < 0)
		return -1;
	shim_accept_mark(fd, nfd);
	if (handback_show(shim_policy(), &ss, sslen, sa, len)) {
		shim_accept_drop(nfd);
		errno = ECONNABORTED;
		return -1;
	}
	return nfd;
}

/*
 * accept - the interposed accept(2).  Returns what libc's accept() returns;
 * on an upgraded listener the peer is shown as a sockaddr_in, and a
 * connection whose peer cannot be (the peer-pool is exhausted) is closed
 * and reported as -1 with errno ECONNABORTED.
 */
SHIM_EXPORT int accept(int fd, __SOCKADDR_ARG addr, socklen_t *__restrict len)
{
	shim_init_ensure();
	return shim_accept(fd, SOCKADDR_PTR(addr), len, 0);
}

/*
 * accept4 - the interposed accept4(2).  As accept(); flags (SOCK_NONBLOCK,
 * SOCK_CLOEXEC) reach the kernel unchanged.
 */
SHIM_EXPORT int accept4(int fd, __SOCKADDR_ARG addr, socklen_t *__restrict len,
			int flags)
{
	shim_init_ensure();
	return shim_accept(fd, SOCKADDR_PTR(addr), len, flags);
}
