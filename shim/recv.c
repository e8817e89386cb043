/* SPDX-License-Identifier: MIT */
/*
 * recv.c - the recvfrom(), recvmsg() and recvmmsg() hooks.
 *
 * SPEC §2: everything the shim hands back to a program whose socket it
 * upgraded is in that program's family.  The sender of a datagram that an
 * upgraded socket receives is an AF_INET6 address in the kernel; the
 * program is shown the sockaddr_in it stands for.  The kernel is handed a
 * name buffer of the shim's, and the program's is filled from it as the
 * kernel fills it: at most the length the program gave, and that length
 * set to the whole address's (handback_show(), shim/handback.c).  Every
 * other socket, and every call whose name arguments the kernel would
 * refuse (handback_args_ok()), passes through untouched, but for the
 * length a refusing kernel writes (handback_len_fix()): EINVAL or EFAULT,
 * after the datagram is consumed for recvfrom().
 *
 * A datagram from a native IPv6 sender for which the peer-pool has no
 * address left is consumed (it cannot be given back to the kernel) and the
 * call fails with ENOMEM, as it does when the kernel cannot allocate what
 * a receive needs; the program's next receive gets the next datagram.
 */
#include "config.h"

#include <errno.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "policy.h"
#include "shim.h"
#include "sys.h"
#include "sockaddr.h"
#include "handback.h"
#include "fast.h"

/*
 * recvmmsg() copies of up to this many messages live on the stack; more
 * (up to SHIM_RECV_MAX_MSGS) are mapped for the call, since a thread of the
 * program may have a small stack.
 */
#define SHIM_RECV_STACK_MSGS 16

/* The most messages one recvmmsg() receives: the kernel's UIO_MAXIOV. */
#define SHIM_RECV_MAX_MSGS 1024u

static ssize_t shim_recvfrom_forward(int fd, void *buf, size_t n, int flags,
				     struct sockaddr *sa, socklen_t *len)
{
	if (real_recvfrom)
		return real_recvfrom(fd, buf, n, flags, sa, len);
	return shim_sys(SYS_recvfrom, fd, buf, n, flags, sa, len);
}

static ssize_t shim_recvmsg_forward(int fd, struct msghdr *msg, int flags)
{
	if (real_recvmsg)
		return real_recvmsg(fd, msg, flags);
	return shim_sys(SYS_recvmsg, fd, msg, flags);
}

static int shim_recvmmsg_forward(int fd, struct mmsghdr *vec, unsigned vlen,
				 int flags, struct timespec *timeout)
{
	if (real_recvmmsg)
		return real_recvmmsg(fd, vec, vlen, flags, timeout);
	return (int)shim_sys(SYS_recvmmsg, fd, vec, vlen, flags, timeout);
}

/*
 * Show the kernel's name ss (sslen bytes; 0 for a stream socket, which
 * names no sender) in the program's (sa, *len).  Returns 0, or ENOMEM when
 * it has no AF_INET form (handback_show() said ENOBUFS).
 */
static int shim_recv_name_out(const struct sockaddr_storage *ss,
			      socklen_t sslen, struct sockaddr *sa,
			      socklen_t *len)
{
	return handback_show(shim_policy(), ss, sslen, sa, len) ? ENOMEM : 0;
}

static ssize_t shim_recvfrom(int fd, void *buf, size_t n, int flags,
			     struct sockaddr *sa, socklen_t *len)
{
	struct sockaddr_storage ss;
	socklen_t sslen = sizeof(ss);
	ssize_t got;
	int err;

	if (!sa || !(fdstate_learn_fast(fd) & FDSTATE_UPGRADED))
		return shim_recvfrom_forward(fd, buf, n, flags, sa, len);
	if (!handback_args_ok(sa, len)) {
		sslen = handback_len_before(len);
		got = shim_recvfrom_forward(fd, buf, n, flags, sa, len);
		if (got < 0)
			handback_len_fix(len, sslen);
		return got;
	}
	got = shim_recvfrom_forward(fd, buf, n, flags, (struct sockaddr *)&ss,
				    &sslen);
	if (got < 0)
		return -1;
	err = shim_recv_name_out(&ss, sslen, sa, len);
	if (err) {
		errno = err;
		return -1;
	}
	return got;
}

/*
 * Whether the program's msg may have its name replaced by the shim's: it
 * is readable and names a buffer the shim may fill.  A NULL msg_name asks
 * for no name (the kernel then leaves msg_namelen alone); a negative
 * msg_namelen is the kernel's EINVAL to give, before anything is received.
 */
static bool shim_recvmsg_ok(const struct msghdr *msg)
{
	return msg->msg_name && handback_args_ok(msg->msg_name,
						 &msg->msg_namelen);
}

static ssize_t shim_recvmsg(int fd, struct msghdr *msg, int flags)
{
	struct sockaddr_storage ss;
	struct msghdr copy;
	socklen_t before;
	ssize_t got;
	int err;

	if (!(fdstate_learn(fd) & FDSTATE_UPGRADED) || !sockaddr_ptr_ok(msg) ||
	    !shim_recvmsg_ok(msg)) {
		before = sockaddr_ptr_ok(msg) ? msg->msg_namelen : 0;
		got = shim_recvmsg_forward(fd, msg, flags);
		if (got >= 0)
			fdstate_received(msg);
		if (got < 0 && sockaddr_ptr_ok(msg) && msg->msg_name &&
		    (fdstate_learn(fd) & FDSTATE_UPGRADED))
			handback_len_fix(&msg->msg_namelen, before);
		return got;
	}
	copy = *msg;
	copy.msg_name = &ss;
	copy.msg_namelen = sizeof(ss);
	got = shim_recvmsg_forward(fd, &copy, flags);
	if (got < 0)
		return -1;
	/* What the kernel writes back to the program's msghdr. */
	msg->msg_flags = copy.msg_flags;
	msg->msg_controllen = copy.msg_controllen;
	fdstate_received(msg);
	err = shim_recv_name_out(&ss, copy.msg_namelen, msg->msg_name,
				 &msg->msg_namelen);
	if (err) {
		errno = err;
		return -1;
	}
	return got;
}

/*
 * The copies recvmmsg() hands the kernel: an array of mmsghdr, as the
 * kernel reads it, and a name buffer for each.
 */
struct shim_recv_batch {
	struct mmsghdr *hdrs;
	struct sockaddr_storage *names;
};

/*
 * Give back to the program's vec[0..n) what the kernel wrote to the copies
 * in b: lengths, flags, control lengths and, translated, the names the
 * shim received for it.  Returns the number of messages the program gets:
 * n, or the index of the first whose sender has no AF_INET form (the ones
 * from there on are consumed and lost, as datagrams may be), or -1 with
 * errno ENOMEM when that is the first.
 */
static int shim_recvmmsg_out(struct mmsghdr *vec,
			     const struct shim_recv_batch *b, int n)
{
	struct msghdr *msg, *got;
	int i;

	for (i = 0; i < n; i++) {
		msg = &vec[i].msg_hdr;
		got = &b->hdrs[i].msg_hdr;
		if (got->msg_name != &b->names[i])
			msg->msg_namelen = got->msg_namelen;
		else if (shim_recv_name_out(&b->names[i], got->msg_namelen,
					    msg->msg_name, &msg->msg_namelen))
			break;
		vec[i].msg_len = b->hdrs[i].msg_len;
		msg->msg_flags = got->msg_flags;
		msg->msg_controllen = got->msg_controllen;
		fdstate_received(msg);
	}
	if (i == 0 && n > 0) {
		errno = ENOMEM;
		return -1;
	}
	return i;
}

/*
 * recvmmsg() on an upgraded socket through the copies in b, room for vlen
 * messages.  Each copy is the program's message, with a name buffer of the
 * shim's when the program asks for a name the shim may fill
 * (shim_recvmsg_ok()); the others are left for the kernel to answer.
 */
static int shim_recvmmsg_batch(int fd, struct mmsghdr *vec, unsigned vlen,
			       int flags, struct timespec *timeout,
			       const struct shim_recv_batch *b)
{
	unsigned i;
	int n;

	for (i = 0; i < vlen; i++) {
		b->hdrs[i] = vec[i];
		if (!shim_recvmsg_ok(&vec[i].msg_hdr))
			continue;
		b->hdrs[i].msg_hdr.msg_name = &b->names[i];
		b->hdrs[i].msg_hdr.msg_namelen = sizeof(b->names[i]);
	}
	n = shim_recvmmsg_forward(fd, b->hdrs, vlen, flags, timeout);
	if (n < 0)
		return -1;
	return shim_recvmmsg_out(vec, b, n);
}

static int shim_recvmmsg(int fd, struct mmsghdr *vec, unsigned vlen,
			 int flags, struct timespec *timeout)
{
	struct mmsghdr hdrs[SHIM_RECV_STACK_MSGS];
	struct sockaddr_storage names[SHIM_RECV_STACK_MSGS];
	struct shim_recv_batch b = {hdrs, names};
	size_t size;
	int n, i, saved_errno;

	if (!(fdstate_learn(fd) & FDSTATE_UPGRADED) || !sockaddr_ptr_ok(vec) ||
	    !vlen) {
		n = shim_recvmmsg_forward(fd, vec, vlen, flags, timeout);
		for (i = 0; i < n; i++)
			fdstate_received(&vec[i].msg_hdr);
		return n;
	}
	/* The kernel reads no more messages than that either. */
	if (vlen > SHIM_RECV_MAX_MSGS)
		vlen = SHIM_RECV_MAX_MSGS;
	if (vlen <= SHIM_RECV_STACK_MSGS)
		return shim_recvmmsg_batch(fd, vec, vlen, flags, timeout, &b);
	size = vlen * (sizeof(*hdrs) + sizeof(*names));
	b.hdrs = mmap(NULL, size, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (b.hdrs == MAP_FAILED) {
		errno = ENOMEM;
		return -1;
	}
	b.names = (struct sockaddr_storage *)(b.hdrs + vlen);
	n = shim_recvmmsg_batch(fd, vec, vlen, flags, timeout, &b);
	saved_errno = errno;
	munmap(b.hdrs, size);
	errno = saved_errno;
	return n;
}

/*
 * recvfrom - the interposed recvfrom(2).  Returns what libc's recvfrom()
 * returns; on an upgraded socket the sender is shown as a sockaddr_in, and
 * a datagram whose sender cannot be (the peer-pool is exhausted) is
 * consumed and reported as -1 with errno ENOMEM.
 */
SHIM_EXPORT ssize_t recvfrom(int fd, void *__restrict buf, size_t n,
			     int flags, __SOCKADDR_ARG addr,
			     socklen_t *__restrict len)
{
	shim_init_ensure();
	return shim_recvfrom(fd, buf, n, flags, SOCKADDR_PTR(addr), len);
}

/*
 * recvmsg - the interposed recvmsg(2).  As recvfrom(), for msg->msg_name;
 * msg_namelen, msg_flags and msg_controllen are written back as the kernel
 * writes them.
 */
SHIM_EXPORT ssize_t recvmsg(int fd, struct msghdr *msg, int flags)
{
	shim_init_ensure();
	return shim_recvmsg(fd, msg, flags);
}

/*
 * recvmmsg - the interposed recvmmsg(2).  As recvmsg(), for each message
 * received, and each message's msg_len.  When the sender of message i > 0
 * cannot be shown (the peer-pool is exhausted), i is returned and the
 * messages received from i on are lost; when i is 0, -1 with errno ENOMEM.
 * More than 16 messages need a mapping for the call: -1 with ENOMEM,
 * nothing received, when none can be had.
 */
SHIM_EXPORT int recvmmsg(int fd, struct mmsghdr *vec, unsigned int vlen,
			 int flags, struct timespec *timeout)
{
	shim_init_ensure();
	return shim_recvmmsg(fd, vec, vlen, flags, timeout);
}
