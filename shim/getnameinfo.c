/* SPDX-License-Identifier: MIT */
/*
 * getnameinfo.c - the getnameinfo() hook.
 *
 * getnameinfo() is libc's, with two exceptions, for addresses the shim
 * made up that have no name of their own:
 *  - Under map the shim hands a program an IPv4 host as an AF_INET6
 *    address, inside the policy's translate-prefix or ::ffff:0:0/96; asked
 *    for that address's name, it looks up the IPv4 address the address
 *    embeds.  (glibc's DNS backend already does so for ::ffff:0:0/96, its
 *    files backend does not.)
 *  - A peer-pool address (SPEC §3 peer-pool) given to an IPv6 address, by
 *    any process under the same pool (pool_v6_of()), is named by that
 *    IPv6 address, in a process whose sockets are upgraded.
 * Both apply in turn: a pool address that a program passed through
 * getaddrinfo() on an ipv6 stack, as CPython's socket.getnameinfo() does,
 * comes back translated, and is still named by its IPv6 address.
 * Numeric answers (NI_NUMERICHOST, or a host with no name) stay the
 * address the program handed, since that is its view: an AF_INET6 one
 * prints as IPv6, a pool address in dotted IPv4.
 */
#include "config.h"

#include <errno.h>
#include <netdb.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>

#include "policy.h"
#include "shim.h"
#include "sockaddr.h"

/*
 * Make a the address addr (a struct in_addr for AF_INET, a struct in6_addr
 * for AF_INET6) of family with port (network byte order), as the kernel
 * writes one: the rest zero.
 */
static void gni_set(struct sockaddr_sized *a, int family, const void *addr,
		    in_port_t port)
{
	static const struct {
		socklen_t len;
		size_t at, size;
	} layout[] = {
		[AF_INET] = {sizeof(struct sockaddr_in),
			     offsetof(struct sockaddr_in, sin_addr),
			     sizeof(struct in_addr)},
		[AF_INET6] = {sizeof(struct sockaddr_in6),
			      offsetof(struct sockaddr_in6, sin6_addr),
			      sizeof(struct in6_addr)},
	};

	/* The port is where both families keep it. */
	memset(&a->u, 0, sizeof(a->u));
	a->u.sa.sa_family = (sa_family_t)family;
	a->u.sin.sin_port = port;
	memcpy((char *)&a->u + layout[family].at, addr, layout[family].size);
	a->len = layout[family].len;
}

/*
 * If a, an AF_INET6 address, translates an IPv4 one, make a that IPv4
 * address as AF_INET with the same port; return whether it did.  Only a
 * policy that can hand out translated addresses does (the map outcome:
 * one whose AF_INET sockets are upgraded, local_would_upgrade()); under
 * any other, a dual stack without map rules among them, an address the
 * program made up itself is named as libc names it.
 */
static bool gni_v4_of(const struct policy *policy, struct sockaddr_sized *a)
{
	struct sockaddr_in6 sin6 = a->u.sin6;
	struct policy_addr in = {.fam = FAM_IPV6};
	struct in_addr v4;

	if (!local_would_upgrade(policy))
		return false;
	/* Mapped, or inside the translate-prefix (policy_addr_v4()). */
	memcpy(in.a, &sin6.sin6_addr, sizeof(in.a));
	if (!policy_addr_v4(policy, &in, &v4))
		return false;
	gni_set(a, AF_INET, &v4, sin6.sin6_port);
	return true;
}

/*
 * If a, an AF_INET address, is a peer-pool address given to an IPv6 one,
 * make a the IPv6 address it stands for, with the same port; return
 * whether it did.  A process whose sockets are not upgraded is shown no
 * pool address: one it meets anyway (the pool is the host's) is a plain
 * IPv4 address there, as bare.
 */
static bool gni_v6_of(const struct policy *policy, struct sockaddr_sized *a)
{
	struct sockaddr_in sin = a->u.sin;
	struct in6_addr v6;

	if (!local_upgrades(policy) || !pool_v6_of(policy, &sin.sin_addr, &v6))
		return false;
	gni_set(a, AF_INET6, &v6, sin.sin_port);
	return true;
}

/* Each step from an address the shim made up towards the real one. */
static const struct gni_step {
	int family;
	socklen_t len;
	bool (*step)(const struct policy *policy, struct sockaddr_sized *a);
} gni_steps[] = {
	{AF_INET6, sizeof(struct sockaddr_in6), gni_v4_of},
	{AF_INET, sizeof(struct sockaddr_in), gni_v6_of},
};

/*
 * The address whose name sa (salen bytes) has, in *real: sa after every
 * step of gni_steps that applies, in order.  Returns false when none
 * applies (sa is its own address).
 */
static bool gni_real_of(const struct policy *policy, const struct sockaddr *sa,
			socklen_t salen, struct sockaddr_sized *real)
{
	const struct gni_step *s;
	bool changed = false;
	size_t i;

	if (!sa || salen < sizeof(sa->sa_family))
		return false;
	memset(real, 0, sizeof(*real));
	real->u.sa.sa_family = sa->sa_family;
	real->len = salen;
	for (i = 0; i < sizeof(gni_steps) / sizeof(gni_steps[0]); i++) {
		s = &gni_steps[i];
		if (real->u.sa.sa_family != s->family || real->len < s->len)
			continue;
		if (!changed)
			memcpy(&real->u, sa, s->len);
		if (s->step(policy, real))
			changed = true;
	}
	return changed;
}

/* Whether sa is an address the policy speaks for. */
static bool gni_is_inet(const struct sockaddr *sa, socklen_t salen)
{
	return sa && salen >= sizeof(sa->sa_family) &&
	       (sa->sa_family == AF_INET || sa->sa_family == AF_INET6);
}

static int gni_forward(const struct sockaddr *sa, socklen_t salen, char *host,
		       socklen_t hostlen, char *serv, socklen_t servlen,
		       int flags)
{
	if (real_getnameinfo)
		return real_getnameinfo(sa, salen, host, hostlen, serv, servlen,
					flags);
	errno = ENOSYS;
	return EAI_SYSTEM;
}

static int shim_getnameinfo(const struct sockaddr *sa, socklen_t salen,
			    char *host, socklen_t hostlen, char *serv,
			    socklen_t servlen, int flags)
{
	const struct policy *policy = shim_policy();
	struct sockaddr_sized real;
	int rc, saved_errno = errno;

	if (!policy && gni_is_inet(sa, salen))
		return EAI_FAIL;
	if (!policy || !policy_enforce(policy) || !host || hostlen == 0 ||
	    (flags & NI_NUMERICHOST) || !gni_real_of(policy, sa, salen, &real))
		return gni_forward(sa, salen, host, hostlen, serv, servlen,
				   flags);
	rc = gni_forward(&real.u.sa, real.len, host, hostlen, serv, servlen,
			 flags | NI_NAMEREQD);
	if (rc != EAI_NONAME || (flags & NI_NAMEREQD))
		return rc;
	/* The real host has no name: libc's numeric answer for the address
	 * the program handed. */
	errno = saved_errno;
	return gni_forward(sa, salen, host, hostlen, serv, servlen,
			   flags | NI_NUMERICHOST);
}

/*
 * getnameinfo - the interposed getnameinfo(3).  Returns libc's answer; for
 * an AF_INET6 address that translates an IPv4 one, the host name is that of
 * the IPv4 address, and for a peer-pool address that of the IPv6 address
 * it stands for; NI_NUMERICHOST gives the address handed, as libc.  EAI_FAIL
 * for an AF_INET or AF_INET6 address when no policy could be loaded.  Before
 * initialisation completes the call is libc's.
 */
SHIM_EXPORT int getnameinfo(const struct sockaddr *sa, socklen_t salen,
			    char *host, socklen_t hostlen, char *serv,
			    socklen_t servlen, int flags)
{
	shim_init_ensure();
	return shim_getnameinfo(sa, salen, host, hostlen, serv, servlen,
				flags);
}
