/* SPDX-License-Identifier: MIT */
/*
 * send.c - the sendto(), sendmsg() and sendmmsg() hooks.
 *
 * SPEC §2, sendto and sendmsg rows: a send that names a destination is
 * routed as a connect() to it is (route_decide()), and an unbound
 * datagram socket is first bound to the policy's local-address, when there
 * is one.  A send without a destination (NULL, or a zero msg_name) passes
 * untouched, as does one on a stream socket, whose address the kernel
 * ignores unless MSG_FASTOPEN makes the send a connect().  sendmmsg()
 * routes each message's msg_name as sendmsg() does.
 */
#include "config.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "policy.h"
#include "shim.h"
#include "sys.h"
#include "route.h"
#include "sockaddr.h"
#include "fast.h"

static ssize_t shim_sendto_forward(int fd, const void *buf, size_t n,
				   int flags, const struct sockaddr *sa,
				   socklen_t len)
{
	if (real_sendto)
		return real_sendto(fd, buf, n, flags, sa, len);
	return shim_sys(SYS_sendto, fd, buf, n, flags, sa, len);
}

static int shim_sendmmsg_forward(int fd, struct mmsghdr *vec, unsigned vlen,
				 int flags)
{
	if (real_sendmmsg)
		return real_sendmmsg(fd, vec, vlen, flags);
	return (int)shim_sys(SYS_sendmmsg, fd, vec, vlen, flags);
}

static ssize_t shim_sendmsg_forward(int fd, const struct msghdr *msg,
				    int flags)
{
	if (real_sendmsg)
		return real_sendmsg(fd, msg, flags);
	return shim_sys(SYS_sendmsg, fd, msg, flags);
}

/*
 * Route a send of call on fd to sa (len bytes).  Returns 0 with route
 * filled, or a positive errno.
 */
static int shim_send_route(enum route_call call, int fd,
			   const struct sockaddr *sa, socklen_t len, int flags,
			   struct route *route)
{
	unsigned fdflags = fdstate_learn_fast(fd);
	unsigned act =
		shim_fast_passes(fdflags)
			? SHIM_FAST_PASS
			: fast_route_class(fd, fdflags, sa, len, true, flags);

	if (fast_route(act, sa, len, route))
		return 0;
	return route_decide(shim_policy(), fd, sa, len, call, flags, route);
}

/*
 * The sendto() that shim_fast does not pass whatever the address, or one
 * made before initialisation.  Apart from the hook, so that one it passes
 * is a tail call to libc's, without this one's stack frame.
 */
static ssize_t __attribute__((noinline)) shim_sendto(int fd, const void *buf,
						     size_t n, int flags,
						     const struct sockaddr *sa,
						     socklen_t len)
{
	struct sockaddr_storage copy;
	struct route route;
	int err;

	shim_init_ensure();
	/* Judged and sent to: the same bytes. */
	sa = sockaddr_take(sa, len, &copy);
	err = shim_send_route(ROUTE_SENDTO, fd, sa, len, flags, &route);
	if (err) {
		errno = err;
		return -1;
	}
	return shim_sendto_forward(fd, buf, n, flags, route.sa, route.len);
}

/*
 * The sendto() that shim_fast does not pass: on a datagram socket it maps
 * (a stream send's address is the kernel's to ignore), the shortest way
 * there; any other, shim_sendto().
 */
static ssize_t __attribute__((noinline))
shim_sendto_mapped(int fd, const void *buf, size_t n, int flags,
		   const struct sockaddr *sa, socklen_t len)
{
	struct sockaddr_in6 to;
	unsigned fdflags;

	if (!shim_ready_now())
		return shim_sendto(fd, buf, n, flags, sa, len);
	fdflags = fdstate_peek(fd);
	if (!shim_fast_maps(fdflags) || !(fdflags & FDSTATE_DGRAM) ||
	    !fast_map(sa, len, &to))
		return shim_sendto(fd, buf, n, flags, sa, len);
	return shim_sendto_forward(fd, buf, n, flags,
				   (const struct sockaddr *)&to, sizeof(to));
}

/*
 * The control messages of a send on a policed socket are judged, under a
 * policy that refuses routing headers and source routes
 * (route_indirect_refused()), in a copy of at most this many bytes,
 * and the kernel is handed the copy.
 */
#define SHIM_SEND_CTL 2048

/* Room for the control messages of a send, shared by a sendmmsg() run. */
struct shim_send_ctl {
	size_t used;
	_Alignas(struct cmsghdr) unsigned char buf[SHIM_SEND_CTL];
};

/*
 * The option a control message cmsg (its data len bytes) sets that names
 * a destination of its own, or NULL; *hosts the table classes that
 * destination may be of.
 */
static const char *shim_send_cmsg_indirect(const struct cmsghdr *cmsg,
					   size_t len, unsigned *hosts)
{
	*hosts = FAM_IPV6;
	if (cmsg->cmsg_level == IPPROTO_IPV6 && len &&
	    (cmsg->cmsg_type == IPV6_RTHDR ||
	     cmsg->cmsg_type == IPV6_2292RTHDR))
		return cmsg->cmsg_type == IPV6_RTHDR ? "IPV6_RTHDR"
						     : "IPV6_2292RTHDR";
	*hosts = FAM_IPV4;
	if (cmsg->cmsg_level == IPPROTO_IP && cmsg->cmsg_type == IP_RETOPTS &&
	    route_ipopts(CMSG_DATA(cmsg), len))
		return "IP_RETOPTS";
	return NULL;
}

/*
 * Copy the control messages of copy (a msghdr of call on fd, the kernel's
 * to read) into ctl and judge them there: a routing header or a source
 * route is EACCES under a policy that refuses them.  Returns 0 (copy
 * pointing at the shim's copy, or at the program's buffer when nothing is
 * judged), EACCES, ENOBUFS for control messages longer than ctl can ever
 * hold, or ENOSPC when they do not fit in what is left of it.
 */
static int shim_send_control(enum route_call call, int fd, struct msghdr *copy,
			     struct shim_send_ctl *ctl)
{
	const struct policy *policy = shim_policy();
	struct cmsghdr *cmsg;
	const char *reason;
	unsigned flags, hosts;
	size_t at;

	if (!copy->msg_control || !copy->msg_controllen ||
	    !sockaddr_ptr_ok(copy->msg_control))
		return 0;
	flags = fdstate_learn_fast(fd);
	if (!flags)
		flags = fdstate_confirm(fd);
	if (!flags || !route_indirect_refused(policy, FAM_BOTH))
		return 0;
	if (copy->msg_controllen > sizeof(ctl->buf))
		return ENOBUFS;
	at = (ctl->used + _Alignof(struct cmsghdr) - 1) &
	     ~(_Alignof(struct cmsghdr) - 1);
	if (copy->msg_controllen > sizeof(ctl->buf) - at)
		return ENOSPC;
	memcpy(ctl->buf + at, copy->msg_control, copy->msg_controllen);
	copy->msg_control = ctl->buf + at;
	ctl->used = at + copy->msg_controllen;
	for (cmsg = CMSG_FIRSTHDR(copy); cmsg; cmsg = CMSG_NXTHDR(copy, cmsg)) {
		if (cmsg->cmsg_len < CMSG_LEN(0) ||
		    cmsg->cmsg_len > copy->msg_controllen -
					     ((unsigned char *)cmsg -
					      (unsigned char *)copy->msg_control))
			break;
		reason = shim_send_cmsg_indirect(cmsg,
						 cmsg->cmsg_len - CMSG_LEN(0),
						 &hosts);
		if (reason && route_indirect_refused(policy, hosts) &&
		    route_indirect_refuse(
			    policy,
			    call == ROUTE_SENDMSG ? "sendmsg" : "sendmmsg",
			    (flags & FDSTATE_INET6) &&
					    !(flags & FDSTATE_UPGRADED)
				    ? AF_INET6
				    : AF_INET,
			    copy->msg_name, copy->msg_namelen, reason))
			return EACCES;
	}
	return 0;
}

/*
 * Take the msghdr msg of call as the kernel will read it, once, into
 * copy, its name (cut as the kernel cuts it, sockaddr_msg_namelen()) into
 * name and its control messages into ctl (shim_send_control()), and route
 * it: the kernel is then handed copy, never the program's msghdr, name or
 * judged control messages again.  Returns 0 or a positive errno (ENOSPC:
 * ctl is full, the message is for the next run).
 */
static int shim_sendmsg_take(enum route_call call, int fd,
			     const struct msghdr *msg, int flags,
			     struct msghdr *copy, struct sockaddr_storage *name,
			     struct shim_send_ctl *ctl)
{
	struct route route;
	int err;

	*copy = *msg;
	copy->msg_namelen = sockaddr_msg_namelen(copy->msg_name,
						 copy->msg_namelen);
	copy->msg_name = (void *)sockaddr_take(copy->msg_name,
					       copy->msg_namelen, name);
	err = shim_send_control(call, fd, copy, ctl);
	if (err)
		return err;
	err = shim_send_route(call, fd, copy->msg_name, copy->msg_namelen,
			      flags, &route);
	if (err)
		return err;
	if (route.sa != copy->msg_name) {
		memcpy(name, route.sa, route.len);
		copy->msg_name = name;
		copy->msg_namelen = route.len;
	}
	return 0;
}

static ssize_t shim_sendmsg(int fd, const struct msghdr *msg, int flags)
{
	struct sockaddr_storage name;
	struct shim_send_ctl ctl;
	struct msghdr copy;
	int err;

	/* An unreadable msghdr is the kernel's EFAULT to give. */
	if (!sockaddr_ptr_ok(msg))
		return shim_sendmsg_forward(fd, msg, flags);
	ctl.used = 0;
	err = shim_sendmsg_take(ROUTE_SENDMSG, fd, msg, flags, &copy, &name,
				&ctl);
	if (err) {
		errno = err;
		return -1;
	}
	return shim_sendmsg_forward(fd, &copy, flags);
}

/*
 * sendmmsg() on a socket the policy has a say in hands the kernel copies
 * of the program's messages, taken and routed once each
 * (shim_sendmsg_take()), this many at a time.
 */
#define SHIM_SEND_COPY_MSGS 16

/* The most messages one sendmmsg() sends: the kernel's UIO_MAXIOV. */
#define SHIM_SEND_MAX_MSGS 1024u

/* A run of messages that sendmmsg() hands the kernel in one call. */
struct shim_send_run {
	unsigned count;			/* messages in the run */
	int err;			/* the message after it is refused */
	struct mmsghdr hdrs[SHIM_SEND_COPY_MSGS];
	struct sockaddr_storage names[SHIM_SEND_COPY_MSGS];
	struct shim_send_ctl ctl;	/* their judged control messages */
};

/*
 * Take and route the messages of vec[0..vlen) in order into run, at most
 * SHIM_SEND_COPY_MSGS of them; a refused message ends the run with
 * run->err set.
 */
static void shim_sendmmsg_take(int fd, struct mmsghdr *vec, unsigned vlen,
			       int flags, struct shim_send_run *run)
{
	run->err = 0;
	run->ctl.used = 0;
	for (run->count = 0;
	     run->count < vlen && run->count < SHIM_SEND_COPY_MSGS;
	     run->count++) {
		run->err = shim_sendmsg_take(
			ROUTE_SENDMMSG, fd, &vec[run->count].msg_hdr, flags,
			&run->hdrs[run->count].msg_hdr, &run->names[run->count],
			&run->ctl);
		/* Control messages that fill the run start the next one. */
		if (run->err == ENOSPC && run->count) {
			run->err = 0;
			return;
		}
		if (run->err)
			return;
		run->hdrs[run->count].msg_len = 0;
	}
}

/*
 * Whether the policy can have a say in a sendmmsg() on fd with flags: an
 * inet socket (confirmed with the kernel when memory says otherwise), and
 * on a stream socket only with MSG_FASTOPEN.  Otherwise the program's
 * array goes to the kernel as it is, however long.
 */
static bool shim_sendmmsg_policed(int fd, int flags)
{
	unsigned fdflags = fdstate_learn_fast(fd);

	if (!fdflags || (fdflags & FDSTATE_STREAM))
		fdflags = fdstate_confirm(fd);
	return fdflags &&
	       (!(fdflags & FDSTATE_STREAM) || (flags & MSG_FASTOPEN));
}

/*
 * sendmmsg() as the kernel does it, for the destinations the policy gives:
 * messages are sent in order until one fails, and the number sent is
 * returned, or -1 with errno when that is none.  A message the policy
 * refuses is one that fails: the ones before it are sent and counted.
 */
static int shim_sendmmsg(int fd, struct mmsghdr *vec, unsigned vlen, int flags)
{
	struct shim_send_run run;
	unsigned sent = 0, i;
	int got;

	if (!sockaddr_ptr_ok(vec) || !vlen || !shim_sendmmsg_policed(fd, flags))
		return shim_sendmmsg_forward(fd, vec, vlen, flags);
	if (vlen > SHIM_SEND_MAX_MSGS)
		vlen = SHIM_SEND_MAX_MSGS;
	while (sent < vlen) {
		shim_sendmmsg_take(fd, vec + sent, vlen - sent, flags, &run);
		if (run.count) {
			got = shim_sendmmsg_forward(fd, run.hdrs, run.count,
						    flags);
			if (got < 0)
				return sent ? (int)sent : -1;
			for (i = 0; i < (unsigned)got; i++)
				vec[sent + i].msg_len = run.hdrs[i].msg_len;
			sent += got;
			if ((unsigned)got < run.count)
				return sent;
		}
		if (run.err) {
			if (sent)
				return sent;
			errno = run.err;
			return -1;
		}
	}
	return sent;
}

/*
 * sendto - the interposed sendto(2).  Returns what libc's sendto() returns
 * for the destination the policy gives the kernel, or -1 with errno as
 * connect() (shim/connect.c) refuses a destination.
 */
SHIM_EXPORT ssize_t sendto(int fd, const void *buf, size_t n, int flags,
			   __CONST_SOCKADDR_ARG addr, socklen_t len)
{
	const struct sockaddr *sa = SOCKADDR_PTR(addr);

	/* A socket shim_fast passes whatever the address: no call made. */
	if (shim_ready_now() && shim_fast_passes(fdstate_peek(fd)) &&
	    real_sendto)
		return real_sendto(fd, buf, n, flags, sa, len);
	return shim_sendto_mapped(fd, buf, n, flags, sa, len);
}

/*
 * sendmsg - the interposed sendmsg(2).  As sendto(), for msg->msg_name;
 * the program's msghdr is never written.
 */
SHIM_EXPORT ssize_t sendmsg(int fd, const struct msghdr *msg, int flags)
{
	shim_init_ensure();
	return shim_sendmsg(fd, msg, flags);
}

/*
 * sendmmsg - the interposed sendmmsg(2).  As sendmsg(), for each message's
 * msg_name.  Messages are sent in order; when the policy refuses message
 * i, messages 0..i-1 are sent and their number returned (the program's
 * next call, starting at i, is refused), or, when i is 0, -1 with errno as
 * sendmsg() refuses it.  The kernel's own failures count as it counts them.
 */
SHIM_EXPORT int sendmmsg(int fd, struct mmsghdr *vec, unsigned int vlen,
			 int flags)
{
	shim_init_ensure();
	return shim_sendmmsg(fd, vec, vlen, flags);
}
