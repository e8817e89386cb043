/* SPDX-License-Identifier: MIT */
/*
 * sockaddr.c - socket addresses: reading them into the shim's struct
 * sockaddr_inet, writing them back in either family, and the address a
 * rule lookup takes.  What the policy makes of them is shim/route.c's.
 */
#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "policy.h"
#include "shim.h"
#include "sockaddr.h"

static const uint8_t sockaddr_mapped_prefix[12] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff,
};

/* sockaddr_parse - see sockaddr.h. */
bool sockaddr_parse(const struct sockaddr *sa, socklen_t len,
		    struct sockaddr_inet *out)
{
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;

	memset(out, 0, sizeof(*out));
	if (len < sizeof(sa_family_t))
		return false;
	if (sa->sa_family == AF_INET && len >= sizeof(sin)) {
		memcpy(&sin, sa, sizeof(sin));
		out->addr.fam = FAM_IPV4;
		memcpy(out->addr.a, &sin.sin_addr, 4);
		out->port = sin.sin_port;
		return true;
	}
	if (sa->sa_family == AF_INET6 && len >= SOCKADDR_IN6_OLD_LEN) {
		memset(&sin6, 0, sizeof(sin6));
		memcpy(&sin6, sa, len < sizeof(sin6) ? len : sizeof(sin6));
		out->addr.fam = FAM_IPV6;
		memcpy(out->addr.a, &sin6.sin6_addr, 16);
		out->port = sin6.sin6_port;
		out->flowinfo = sin6.sin6_flowinfo;
		/* As the kernel: a scope only in a whole sockaddr_in6. */
		out->scope_id = len >= sizeof(sin6) ? sin6.sin6_scope_id : 0;
		return true;
	}
	return false;
}

/* sockaddr_v4 - see sockaddr.h. */
bool sockaddr_v4(const struct sockaddr_inet *in, struct in_addr *v4)
{
	if (in->addr.fam == FAM_IPV4) {
		memcpy(v4, in->addr.a, 4);
		return true;
	}
	if (memcmp(in->addr.a, sockaddr_mapped_prefix,
		   sizeof(sockaddr_mapped_prefix)) != 0)
		return false;
	memcpy(v4, in->addr.a + 12, 4);
	return true;
}

/* sockaddr_is_any - see sockaddr.h. */
bool sockaddr_is_any(const struct sockaddr_inet *in)
{
	static const uint8_t zero[16];
	struct in_addr v4;

	if (sockaddr_v4(in, &v4))
		return v4.s_addr == htonl(INADDR_ANY);
	return memcmp(in->addr.a, zero, sizeof(zero)) == 0;
}

/* sockaddr_make - see sockaddr.h. */
socklen_t sockaddr_make(const struct sockaddr_inet *in, int family,
			bool wildcard, struct sockaddr_storage *out)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)out;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)out;
	struct in_addr v4;
	bool is_v4 = sockaddr_v4(in, &v4);

	memset(out, 0, sizeof(*out));
	if (family == AF_INET) {
		if (!is_v4)
			return 0;
		sin->sin_family = AF_INET;
		sin->sin_port = in->port;
		sin->sin_addr = v4;
		return sizeof(*sin);
	}
	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = in->port;
	if (!is_v4) {
		memcpy(&sin6->sin6_addr, in->addr.a, 16);
		sin6->sin6_flowinfo = in->flowinfo;
		sin6->sin6_scope_id = in->scope_id;
	} else if (!(wildcard && v4.s_addr == htonl(INADDR_ANY))) {
		memcpy(&sin6->sin6_addr, sockaddr_mapped_prefix,
		       sizeof(sockaddr_mapped_prefix));
		memcpy(sin6->sin6_addr.s6_addr + 12, &v4, 4);
	}
	return sizeof(*sin6);
}

/* sockaddr_rule_addr - see sockaddr.h. */
void sockaddr_rule_addr(const struct policy *policy,
			const struct sockaddr_inet *in, struct policy_addr *out)
{
	struct in_addr v4;

	memset(out, 0, sizeof(*out));
	if (policy_addr_v4(policy, &in->addr, &v4)) {
		out->fam = FAM_IPV4;
		memcpy(out->a, &v4, sizeof(v4));
		return;
	}
	out->fam = in->addr.fam;
	memcpy(out->a, in->addr.a, sizeof(out->a));
}
