/*
 * send.c - the sendto() and sendmsg() hooks.
 *
 * SPEC §2, sendto and sendmsg rows: a send that names a destination is
 * routed as a connect() to it is (sockaddr_route()), and an unbound
 * datagram socket is first bound to the policy's local-address, when there
 * is one.  A send without a destination (NULL, or a zero msg_name) passes
 * untouched, as does one on a stream socket, whose address the kernel
 * ignores unless MSG_FASTOPEN makes the send a connect().
 */
#include "config.h"

#include <errno.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "policy.h"
#include "shim.h"
#include "sockaddr.h"

static ssize_t shim_sendto_forward(int fd, const void *buf, size_t n,
				   int flags, const struct sockaddr *sa,
				   socklen_t len)
{
	if (real_sendto)
		return real_sendto(fd, buf, n, flags, sa, len);
	return syscall(SYS_sendto, fd, buf, n, flags, sa, len);
}

static ssize_t shim_sendmsg_forward(int fd, const struct msghdr *msg,
				    int flags)
{
	if (real_sendmsg)
		return real_sendmsg(fd, msg, flags);
	return syscall(SYS_sendmsg, fd, msg, flags);
}

/*
 * Route a send on fd to sa (len bytes) and bind the local-address when the
 * route asks for it.  Returns 0 with route filled, or a positive errno.
 */
static int shim_send_route(int fd, const struct sockaddr *sa, socklen_t len,
			   int flags, struct sockaddr_route *route)
{
	const struct policy *policy = shim_policy();
	int err;

	err = sockaddr_route(policy, fd, sa, len, SOCKADDR_SEND, flags, route);
	if (!err && route->bind)
		err = local_bind(policy, fd, route->flags, route->bind_fam);
	return err;
}

static ssize_t shim_sendto(int fd, const void *buf, size_t n, int flags,
			   const struct sockaddr *sa, socklen_t len)
{
	struct sockaddr_route route;
	int err;

	err = shim_send_route(fd, sa, len, flags, &route);
	if (err) {
		errno = err;
		return -1;
	}
	return shim_sendto_forward(fd, buf, n, flags, route.sa, route.len);
}

static ssize_t shim_sendmsg(int fd, const struct msghdr *msg, int flags)
{
	struct sockaddr_route route;
	struct msghdr copy;
	int err;

	/* An unreadable msghdr is the kernel's EFAULT to give. */
	if (!sockaddr_ptr_ok(msg))
		return shim_sendmsg_forward(fd, msg, flags);
	err = shim_send_route(fd, msg->msg_name, msg->msg_namelen, flags,
			      &route);
	if (err) {
		errno = err;
		return -1;
	}
	if (route.sa == msg->msg_name)
		return shim_sendmsg_forward(fd, msg, flags);
	/* The program's msghdr is const: the rewritten name goes in a copy. */
	copy = *msg;
	copy.msg_name = (void *)route.sa;
	copy.msg_namelen = route.len;
	return shim_sendmsg_forward(fd, &copy, flags);
}

/*
 * sendto - the interposed sendto(2).  Returns what libc's sendto() returns
 * for the destination the policy gives the kernel, or -1 with errno as
 * connect() (shim/connect.c) refuses a destination.
 */
SHIM_EXPORT ssize_t sendto(int fd, const void *buf, size_t n, int flags,
			   __CONST_SOCKADDR_ARG addr, socklen_t len)
{
	if (!shim_init_ensure())
		return shim_sendto_forward(fd, buf, n, flags,
					   SOCKADDR_PTR(addr), len);
	return shim_sendto(fd, buf, n, flags, SOCKADDR_PTR(addr), len);
}

/*
 * sendmsg - the interposed sendmsg(2).  As sendto(), for msg->msg_name;
 * the program's msghdr is never written.
 */
SHIM_EXPORT ssize_t sendmsg(int fd, const struct msghdr *msg, int flags)
{
	if (!shim_init_ensure())
		return shim_sendmsg_forward(fd, msg, flags);
	return shim_sendmsg(fd, msg, flags);
}
