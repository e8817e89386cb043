/* SPDX-License-Identifier: MIT */
/*
 * indirect.c - destinations a packet names itself, beside the one that
 * connect() and the sends judge: IPv6 routing headers, IPv4 source routes
 * and headers the program writes on a raw socket.  A preload library
 * cannot follow a packet past its first hop, so these are not judged hop
 * by hop: route_indirect_refused() says whether the policy refuses
 * them as a whole, and the hooks that meet them (shim/sockopt.c for the
 * options, shim/send.c for control messages, route_decide() for raw
 * sockets) refuse them with EACCES and log the option as the reason.
 */
#include "config.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>
#include <unistd.h>

#include "policy.h"
#include "shim.h"
#include "sys.h"
#include "route.h"
#include "sockaddr.h"

/*
 * The cells route_indirect_refused() asks: each host class with the
 * local classes a socket can reach it from (none, its own family, both);
 * a socket bound to the other family cannot reach it anyway.
 */
static const struct {
	unsigned host, local;
} route_indirect_cells[] = {
	{FAM_IPV4, FAM_NONE},
	{FAM_IPV4, FAM_IPV4},
	{FAM_IPV4, FAM_IPV4 | FAM_LOOP4},
	{FAM_IPV4, FAM_BOTH},
	{FAM_IPV4 | FAM_LOOP4, FAM_NONE},
	{FAM_IPV4 | FAM_LOOP4, FAM_IPV4},
	{FAM_IPV4 | FAM_LOOP4, FAM_IPV4 | FAM_LOOP4},
	{FAM_IPV4 | FAM_LOOP4, FAM_BOTH},
	{FAM_IPV6, FAM_NONE},
	{FAM_IPV6, FAM_IPV6},
	{FAM_IPV6, FAM_BOTH},
};

/* route_indirect_refused - see route.h. */
bool route_indirect_refused(const struct policy *policy, unsigned hosts)
{
	enum policy_outcome o;
	size_t i;

	if (!policy)
		return true;
	if (policy_rule_count(policy))
		return true;
	for (i = 0; i < sizeof(route_indirect_cells) /
				sizeof(route_indirect_cells[0]);
	     i++) {
		if (!(route_indirect_cells[i].host & hosts))
			continue;
		o = policy_decide_rule(policy, RULE_NONE,
				       route_indirect_cells[i].host,
				       route_indirect_cells[i].local);
		if (o != OUTCOME_IPV4 && o != OUTCOME_IPV6)
			return true;
	}
	return false;
}

/* route_indirect_refuse - see route.h. */
bool route_indirect_refuse(const struct policy *policy, const char *call,
			   int family, const struct sockaddr *dest,
			   socklen_t destlen, const char *reason)
{
	struct shim_log_event ev = {
		.call = call,
		.family = family,
		.dest = dest,
		.destlen = dest ? destlen : 0,
		.outcome = -1,
		.error = "EACCES",
		.reason = reason,
	};

	if (shim_logging(policy))
		shim_log(policy, &ev);
	return !policy || policy_enforce(policy);
}

/* route_ipopts - see route.h. */
bool route_ipopts(const unsigned char *opt, size_t len)
{
	size_t i = 0, l;

	while (i < len) {
		switch (opt[i]) {
		case IPOPT_END:
			return false;
		case IPOPT_NOOP:
			i++;
			continue;
		case IPOPT_LSRR:
		case IPOPT_SSRR:
			return true;
		}
		if (i + 1 >= len)
			return false;
		l = opt[i + 1];
		if (l < 2 || l > len - i)
			return false;
		i += l;
	}
	return false;
}

/* route_raw_hdrincl - see route.h. */
bool route_raw_hdrincl(int fd, unsigned flags)
{
	int value = 0, saved_errno = errno;
	socklen_t len = sizeof(value);
	long rc;

	if (flags & FDSTATE_INET6)
		rc = shim_sys(SYS_getsockopt, fd, IPPROTO_IPV6, IPV6_HDRINCL,
			      &value, &len);
	else
		rc = shim_sys(SYS_getsockopt, fd, IPPROTO_IP, IP_HDRINCL,
			      &value, &len);
	errno = saved_errno;
	/* Unanswerable: taken as on, so that nothing passes unjudged. */
	return rc < 0 || value != 0;
}
