/* SPDX-License-Identifier: MIT */
/*
 * sockname.c - the getsockname() and getpeername() hooks.
 *
 * SPEC §2: everything the shim hands back to a program whose socket it
 * upgraded is in that program's family.  An upgraded socket's kernel
 * address is AF_INET6; the program is shown the sockaddr_in it stands for:
 * 0.0.0.0 for ::, a.b.c.d for ::ffff:a.b.c.d and for an address inside the
 * translate prefix, and for any other IPv6 address (a native IPv6 peer,
 * or this end of a connection to one) its address from the peer-pool
 * (handback_show(), shim/handback.c; shim/pool.c).
 * The caller's buffer is filled as the kernel fills it: at most *addrlen
 * bytes, and *addrlen set to the whole address's length.  Every other
 * socket passes through untouched, but for what shim/shown.c notes.
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

/* One of the two calls: libc's function, and the system call without it. */
struct shim_name_call {
	__typeof__(getsockname) **real;
	long sysno;
};

static const struct shim_name_call shim_getsockname_call = {
	&real_getsockname,
	SYS_getsockname,
};

static const struct shim_name_call shim_getpeername_call = {
	&real_getpeername,
	SYS_getpeername,
};

static int shim_name_forward(const struct shim_name_call *call, int fd,
			     struct sockaddr *sa, socklen_t *len)
{
	if (*call->real)
		return (*call->real)(fd, sa, len);
	return (int)shim_sys(call->sysno, fd, sa, len);
}

/*
 * The call on an upgraded socket with arguments the kernel refuses
 * (handback_args_ok() said so): its answer, EFAULT or EINVAL, with the
 * length it may write put right (handback_len_fix()).
 */
static int shim_name_refused(const struct shim_name_call *call, int fd,
			     struct sockaddr *sa, socklen_t *len)
{
	socklen_t before = handback_len_before(len);
	int rc = shim_name_forward(call, fd, sa, len);

	if (rc < 0)
		handback_len_fix(len, before);
	return rc;
}

/*
 * The call on any other socket, as the kernel answers it.  An AF_INET6
 * socket's IPv4-mapped local address came from a connection the shim's
 * resolution made (::ffff:a.b.c.d for an IPv4 name): on a stack without
 * IPv4 it may be bound again (shim/shown.c).  The program's buffer may be
 * too short to hold it, so the shim asks for its own copy; and only once
 * the kernel has found the program's arguments good.
 */
static int shim_name_plain(const struct shim_name_call *call, int fd,
			   struct sockaddr *sa, socklen_t *len)
{
	const struct policy *policy = shim_policy();
	struct sockaddr_storage ss;
	socklen_t sslen = sizeof(ss);
	int rc = shim_name_forward(call, fd, sa, len), saved_errno = errno;

	if (rc == 0 && call == &shim_getsockname_call &&
	    *len == sizeof(struct sockaddr_in6) && policy &&
	    !(policy_stack(policy) & FAM_IPV4)) {
		if (shim_sys(SYS_getsockname, fd, &ss, &sslen) == 0)
			shown_note(&ss, sslen);
		errno = saved_errno;
	}
	return rc;
}

static int shim_name(const struct shim_name_call *call, int fd,
		     struct sockaddr *sa, socklen_t *len)
{
	struct sockaddr_storage ss;
	socklen_t sslen = sizeof(ss);
	int err;

	/* Learnt, not just looked up: a socket inherited across exec() or
	 * accepted from an upgraded listener is known by its mark. */
	if (!(fdstate_learn(fd) & FDSTATE_UPGRADED))
		return shim_name_plain(call, fd, sa, len);
	if (!handback_args_ok(sa, len))
		return shim_name_refused(call, fd, sa, len);
	if (shim_name_forward(call, fd, (struct sockaddr *)&ss, &sslen) < 0)
		return -1;
	/* An IPv4 address shown as local may be bound (shim/shown.c). */
	if (call == &shim_getsockname_call)
		shown_note(&ss, sslen);
	err = handback_show(shim_policy(), &ss, sslen, sa, len);
	if (err) {
		errno = err;
		return -1;
	}
	return 0;
}

/*
 * getsockname - the interposed getsockname(2).  Returns what libc's
 * getsockname() returns; on an upgraded socket the address is shown as a
 * sockaddr_in, as getpeername() below shows a peer (0.0.0.0 for ::).
 */
SHIM_EXPORT int getsockname(int fd, __SOCKADDR_ARG addr,
			    socklen_t *__restrict len)
{
	shim_init_ensure();
	return shim_name(&shim_getsockname_call, fd, SOCKADDR_PTR(addr), len);
}

/*
 * getpeername - the interposed getpeername(2).  As getsockname(), for the
 * peer: every peer of an upgraded socket is shown as a sockaddr_in, a
 * native IPv6 one as its peer-pool address; -1 with errno ENOBUFS when
 * the pool has no address left for it, or cannot be had.
 */
SHIM_EXPORT int getpeername(int fd, __SOCKADDR_ARG addr,
			    socklen_t *__restrict len)
{
	shim_init_ensure();
	return shim_name(&shim_getpeername_call, fd, SOCKADDR_PTR(addr), len);
}
