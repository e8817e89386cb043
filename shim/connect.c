/* SPDX-License-Identifier: MIT */
/*
 * connect.c - the connect() hook.
 *
 * SPEC §2, connect row: the destination is decided by the selection table
 * (route_decide()): ipv4 and ipv6 outcomes pass, an upgraded socket's
 * sockaddr_in going to the kernel as its ::ffff:a.b.c.d form; map rewrites
 * the IPv4 target to its translated address; fail-host is ENETUNREACH and
 * fail-local EADDRNOTAVAIL.  A socket the program has not bound is first
 * bound to the policy's local-address, when there is one (XMS's
 * XMSC_WMQ_LOCAL_ADDRESS).  A non-blocking connect stays one: EINPROGRESS
 * comes back as the kernel gave it, and nothing is retried.
 */
#include "config.h"

#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

#include "policy.h"
#include "shim.h"
#include "sys.h"
#include "route.h"
#include "sockaddr.h"
#include "fast.h"

static int shim_connect_forward(int fd, const struct sockaddr *sa,
				socklen_t len)
{
	if (real_connect)
		return real_connect(fd, sa, len);
	return (int)shim_sys(SYS_connect, fd, sa, len);
}

/*
 * The connect() that shim_fast does not pass whatever the address, or one
 * made before initialisation (flags: fd's, as fdstate_peek() gave them
 * after it).  Apart from the hook, so that one it passes is a tail call
 * to libc's, without this one's stack frame.
 */
static int __attribute__((noinline)) shim_connect(int fd, unsigned flags,
						  const struct sockaddr *sa,
						  socklen_t len)
{
	struct sockaddr_storage copy;
	struct route route;
	unsigned act;
	int err;

	if (!(flags & FDSTATE_KNOWN)) {
		shim_init_ensure();
		flags = fdstate_learn_fast(fd);
		if (shim_fast_passes(flags))
			return shim_connect_forward(fd, sa, len);
	}
	/* Judged and forwarded: the same bytes. */
	sa = sockaddr_take(sa, len, &copy);
	act = fast_route_class(fd, flags, sa, len, false, 0);
	if (!fast_route(act, sa, len, &route)) {
		err = route_decide(shim_policy(), fd, sa, len, ROUTE_CONNECT, 0,
				   &route);
		if (err) {
			errno = err;
			return -1;
		}
	}
	return shim_connect_forward(fd, route.sa, route.len);
}

/*
 * The connect() that shim_fast does not pass (flags as for
 * shim_connect()): on a socket it maps, the shortest way there; any
 * other, shim_connect().
 */
static int __attribute__((noinline)) shim_connect_mapped(
	int fd, unsigned flags, const struct sockaddr *sa, socklen_t len)
{
	struct sockaddr_in6 to;

	if (!shim_fast_maps(flags) || !fast_map(sa, len, &to))
		return shim_connect(fd, flags, sa, len);
	return shim_connect_forward(fd, (const struct sockaddr *)&to,
				    sizeof(to));
}

/*
 * connect - the interposed connect(2).  Returns what libc's connect()
 * returns for the destination the policy gives the kernel, or -1 with
 * errno ENETUNREACH (fail-host, or a translated destination an AF_INET
 * socket cannot reach), EADDRNOTAVAIL (fail-local), EAFNOSUPPORT (a
 * non-AF_INET address on a socket that is AF_INET to the program), EACCES
 * (no policy could be loaded), or what binding the policy's local-address
 * failed with (EADDRINUSE: every port of its range is taken).
 */
SHIM_EXPORT int connect(int fd, __CONST_SOCKADDR_ARG addr, socklen_t len)
{
	const struct sockaddr *sa = SOCKADDR_PTR(addr);
	unsigned flags = 0;

	/* A socket shim_fast passes whatever the address: no call made. */
	if (shim_ready_now()) {
		flags = fdstate_peek(fd);
		if (shim_fast_passes(flags) && real_connect)
			return real_connect(fd, sa, len);
	}
	return shim_connect_mapped(fd, flags, sa, len);
}
