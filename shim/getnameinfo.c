/*
 * getnameinfo.c - the getnameinfo() hook.
 *
 * getnameinfo() is libc's, with one exception.  Under map the shim hands a
 * program an IPv4 host as an AF_INET6 address, inside the policy's
 * translate-prefix or ::ffff:0:0/96; asked for that address's name, it
 * looks up the IPv4 address the address embeds, since that host has no
 * name of its own under the translated one.  (glibc's DNS backend already
 * does so for ::ffff:0:0/96, its files backend does not.)  Numeric answers
 * stay the address the program handed: an AF_INET6 one prints as IPv6.
 */
#include "config.h"

#include <errno.h>
#include <netdb.h>
#include <string.h>
#include <sys/socket.h>

#include "policy.h"
#include "shim.h"

/* The IPv4-mapped prefix, ::ffff:0:0/96. */
static const struct in6_addr gni_mapped = {
	.s6_addr = {[10] = 0xff, [11] = 0xff},
};

/* Whether a lies in prefix/len; every RFC 6052 length is whole bytes. */
static bool gni_in_prefix(const struct in6_addr *a,
			  const struct in6_addr *prefix, unsigned len)
{
	return memcmp(a, prefix, len / 8) == 0;
}

/*
 * The IPv4 address that sa, an AF_INET6 address, is the translation of, as
 * an AF_INET address with the same port in *sin.  Returns false for any
 * other address.
 */
static bool gni_v4_of(const struct policy *policy, const struct sockaddr *sa,
		      socklen_t salen, struct sockaddr_in *sin)
{
	const struct sockaddr_in6 *sin6 = (const void *)sa;
	struct in6_addr prefix;
	unsigned len;

	if (!sa || salen < sizeof(*sin6) || sa->sa_family != AF_INET6)
		return false;
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_port = sin6->sin6_port;
	policy_translate_prefix(policy, &prefix, &len);
	if (gni_in_prefix(&sin6->sin6_addr, &prefix, len))
		return policy_rfc6052_extract(&sin6->sin6_addr, len,
					      &sin->sin_addr) == 0;
	if (gni_in_prefix(&sin6->sin6_addr, &gni_mapped, 96))
		return policy_rfc6052_extract(&sin6->sin6_addr, 96,
					      &sin->sin_addr) == 0;
	return false;
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
	struct sockaddr_in sin;
	int rc, saved_errno = errno;

	if (!policy && gni_is_inet(sa, salen))
		return EAI_FAIL;
	if (!policy || !policy_enforce(policy) || !host || hostlen == 0 ||
	    (flags & NI_NUMERICHOST) || !gni_v4_of(policy, sa, salen, &sin))
		return gni_forward(sa, salen, host, hostlen, serv, servlen,
				   flags);
	rc = gni_forward((const struct sockaddr *)&sin, sizeof(sin), host,
			 hostlen, serv, servlen, flags | NI_NAMEREQD);
	if (rc != EAI_NONAME || (flags & NI_NAMEREQD))
		return rc;
	/* The IPv4 host has no name: libc's numeric answer for the address
	 * the program handed. */
	errno = saved_errno;
	return gni_forward(sa, salen, host, hostlen, serv, servlen,
			   flags | NI_NUMERICHOST);
}

/*
 * getnameinfo - the interposed getnameinfo(3).  Returns libc's answer; for
 * an AF_INET6 address that translates an IPv4 one, the host name is that of
 * the IPv4 address.  EAI_FAIL for an AF_INET or AF_INET6 address when no
 * policy could be loaded.  Before initialisation completes the call is
 * libc's.
 */
SHIM_EXPORT int getnameinfo(const struct sockaddr *sa, socklen_t salen,
			    char *host, socklen_t hostlen, char *serv,
			    socklen_t servlen, int flags)
{
	if (!shim_init_ensure())
		return gni_forward(sa, salen, host, hostlen, serv, servlen,
				   flags);
	return shim_getnameinfo(sa, salen, host, hostlen, serv, servlen,
				flags);
}
