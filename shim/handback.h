/* SPDX-License-Identifier: MIT */
/*
 * handback.h - showing addresses to the program of an upgraded socket
 * (shim/handback.c), for every call that hands one back: accept() and
 * accept4(), recvfrom(), recvmsg() and recvmmsg(), getsockname() and
 * getpeername(), getsockopt(SO_PEERNAME).  SPEC §2: everything the shim
 * hands back to a program whose socket it upgraded is in that program's
 * family.  Private to shim/.
 *
 * A hook that hands an address back does it in three steps, each answered
 * here once:
 *   1. may the shim fill the program's (sa, *len) itself
 *      (handback_args_ok())?  If not, the kernel is handed them, to
 *      answer EFAULT or EINVAL as it does for either family, and the
 *      length it wrote is put right (handback_len_fix());
 *   2. the kernel fills a buffer of the shim's, and the address in it is
 *      turned into the sockaddr_in it stands for (handback_unupgrade());
 *   3. that is copied to the program as the kernel copies
 *      (handback_copy_out()).
 * handback_show() is steps 2 and 3.
 */
#ifndef STACKSHIM_HANDBACK_H
#define STACKSHIM_HANDBACK_H

#include <stdbool.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include "policy.h"
#include "sockaddr.h"

#pragma GCC visibility push(hidden)

/*
 * handback_len_ok - whether the program's length len may be read and
 * taken as the room it gave: readable (sockaddr_ptr_ok()) and not
 * negative as the kernel reads it (an int).
 */
static inline bool handback_len_ok(const socklen_t *len)
{
	return sockaddr_ptr_ok(len) && (int)*len >= 0;
}

/*
 * handback_args_ok - whether the shim may fill the program's (sa, *len):
 * the length is good (handback_len_ok()), and sa may be written unless
 * the length is 0.  When not, the kernel is to be handed them: it answers
 * EFAULT or EINVAL, the same for either family.
 */
static inline bool handback_args_ok(const struct sockaddr *sa,
				    const socklen_t *len)
{
	return handback_len_ok(len) && (*len == 0 || sockaddr_ptr_ok(sa));
}

/*
 * handback_len_before - the program's length before a call that is to
 * hand the kernel arguments it may refuse, for handback_len_fix(): *len,
 * or 0 when it cannot be read.
 */
static inline socklen_t handback_len_before(const socklen_t *len)
{
	return sockaddr_ptr_ok(len) ? *len : 0;
}

/*
 * handback_len_fix - after the kernel refused the program's (sa, *len) on
 * an upgraded socket (*len was before): a kernel that writes the
 * address's length before it finds the buffer unwritable (Linux 6.12 and
 * later) wrote an AF_INET6 one, where the program's AF_INET socket gives
 * the length of a sockaddr_in.  Any other length is left as it is.
 */
static inline void handback_len_fix(socklen_t *len, socklen_t before)
{
	if (sockaddr_ptr_ok(len) && *len != before &&
	    *len == sizeof(struct sockaddr_in6))
		*len = sizeof(struct sockaddr_in);
}

/*
 * handback_unupgrade - what the program of an upgraded socket is shown for
 * the kernel's address ss of *len bytes: a sockaddr_in for ::
 * (0.0.0.0), for an IPv4-mapped address, for an address inside the
 * policy's translate prefix, and for any other IPv6 address its address
 * from the peer-pool (pool_v4_of(); given one now if it has none).
 * policy may be NULL: then only the first two.  Rewrites ss and *len in
 * place; anything that is not an AF_INET6 address is left as it is.
 * Returns 0, or ENOBUFS when the peer-pool has no address left for a new
 * IPv6 address (ss unchanged).  Async-signal-safe; errno is kept.
 */
int handback_unupgrade(const struct policy *policy,
		       struct sockaddr_storage *ss, socklen_t *len);

/*
 * handback_copy_out - hand the address src of srclen bytes to a program's
 * (dst, dstlen) as the kernel does: at most *dstlen bytes are copied, and
 * *dstlen is set to srclen, so that a caller can tell it was cut short.
 * dstlen must be readable; dst may be NULL when *dstlen is 0.
 */
void handback_copy_out(const void *src, socklen_t srclen, struct sockaddr *dst,
		       socklen_t *dstlen);

/*
 * handback_show - show the kernel's address ss of sslen bytes (0: none,
 * as a stream socket's receive names no sender) to the program's
 * (sa, *len), which handback_args_ok() found good: handback_unupgrade(),
 * then handback_copy_out().  ss itself is left as it is.  Returns 0, or
 * ENOBUFS when the address has no AF_INET form (the peer-pool is
 * exhausted), the program's arguments untouched.  Async-signal-safe;
 * errno is kept.
 */
int handback_show(const struct policy *policy,
		  const struct sockaddr_storage *ss, socklen_t sslen,
		  struct sockaddr *sa, socklen_t *len);

#pragma GCC visibility pop

#endif /* STACKSHIM_HANDBACK_H */
