/* SPDX-License-Identifier: MIT */
/*
 * handback.c - the address the program of an upgraded socket is shown
 * (SPEC §2): the kernel's AF_INET6 address turned into the sockaddr_in
 * the program's AF_INET socket would have given, and copied to the
 * program as the kernel copies.  What a hook checks before and puts right
 * after is in handback.h.  A native IPv6 address is shown as its
 * peer-pool address (shim/pool.c), and that address, named back at
 * connect() or a send, leads to it again (shim/route.c).
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "policy.h"
#include "shim.h"
#include "sockaddr.h"
#include "handback.h"

/*
 * The common address, ::ffff:a.b.c.d (len bytes at ss), as
 * handback_sin() shows it, in sin, without asking the policy: every
 * IPv4 peer of an upgraded socket is one.  Returns whether it was one.
 */
static inline bool handback_mapped(const struct sockaddr_storage *ss,
				   socklen_t len, struct sockaddr_in *sin)
{
	const struct sockaddr_in6 *k = (const struct sockaddr_in6 *)ss;

	if (len != sizeof(*k) || k->sin6_family != AF_INET6 ||
	    !IN6_IS_ADDR_V4MAPPED(&k->sin6_addr))
		return false;
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_port = k->sin6_port;
	memcpy(&sin->sin_addr, &k->sin6_addr.s6_addr[12], 4);
	return true;
}

/*
 * The sockaddr_in the program is shown for the kernel's address ss of
 * len bytes, in sin.  Returns 0, -1 when there is nothing to turn (not an
 * AF_INET6 address, or without a policy a native IPv6 one: shown as it
 * is), or ENOBUFS when the peer-pool has no address for it.
 */
static int handback_sin(const struct policy *policy,
			const struct sockaddr_storage *ss, socklen_t len,
			struct sockaddr_in *sin)
{
	const struct sockaddr_in6 *k = (const struct sockaddr_in6 *)ss;
	struct sockaddr_inet in;

	if (!sockaddr_parse((const struct sockaddr *)ss, len, &in) ||
	    in.addr.fam != FAM_IPV6)
		return -1;
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_port = in.port;
	/* An unbound upgraded socket is [::]:0, which an AF_INET one shows
	 * as 0.0.0.0:0; a wildcard bind is [::]:p for 0.0.0.0:p. */
	if (IN6_IS_ADDR_UNSPECIFIED(&k->sin6_addr))
		return 0;
	if (policy ? policy_addr_v4(policy, &in.addr, &sin->sin_addr)
		   : sockaddr_v4(&in, &sin->sin_addr))
		return 0;
	/* A native IPv6 address: its synthetic one from the pool. */
	if (!policy)
		return -1;
	if (pool_v4_of(policy, &k->sin6_addr, &sin->sin_addr))
		return ENOBUFS;
	return 0;
}

/* handback_unupgrade - see handback.h. */
int handback_unupgrade(const struct policy *policy,
		       struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in sin;
	int err = 0;

	if (!handback_mapped(ss, *len, &sin))
		err = handback_sin(policy, ss, *len, &sin);
	if (err)
		return err < 0 ? 0 : err;
	memset(ss, 0, sizeof(*ss));
	memcpy(ss, &sin, sizeof(sin));
	*len = sizeof(sin);
	return 0;
}

/* handback_copy_out - see handback.h. */
void handback_copy_out(const void *src, socklen_t srclen, struct sockaddr *dst,
		       socklen_t *dstlen)
{
	socklen_t n = *dstlen < srclen ? *dstlen : srclen;

	if (n)
		memcpy(dst, src, n);
	*dstlen = srclen;
}

/* handback_show - see handback.h. */
int handback_show(const struct policy *policy,
		  const struct sockaddr_storage *ss, socklen_t sslen,
		  struct sockaddr *sa, socklen_t *len)
{
	struct sockaddr_in sin;
	int err;

	if (!handback_mapped(ss, sslen, &sin)) {
		err = handback_sin(policy, ss, sslen, &sin);
		if (err > 0)
			return err;
		if (err < 0) {
			handback_copy_out(ss, sslen, sa, len);
			return 0;
		}
	}
	/* The common case, room for the whole sockaddr_in, in a copy of a
	 * fixed size (two stores). */
	if (*len >= sizeof(sin)) {
		memcpy(sa, &sin, sizeof(sin));
		*len = sizeof(sin);
		return 0;
	}
	handback_copy_out(&sin, sizeof(sin), sa, len);
	return 0;
}
