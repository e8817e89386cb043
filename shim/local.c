/* SPDX-License-Identifier: MIT */
/*
 * local.c - the policy's local-address: its class in the selection table,
 * and binding a socket to it before a connect() or a first send.
 *
 * The address is XMS's XMSC_WMQ_LOCAL_ADDRESS (SPEC §3): a literal, a name,
 * or only a port range.  A name is resolved once for the life of the
 * process, on first use, with libc's own getaddrinfo() (never the hooked
 * one, which would ask this file back).  A resolver that opens sockets of
 * its own reaches the socket hooks again on the resolving thread: that
 * thread is then told there is no local-address rather than made to wait
 * for itself.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

#include "policy.h"
#include "shim.h"
#include "sys.h"
#include "sockaddr.h"
#include "state.h"

static pthread_once_t local_once = PTHREAD_ONCE_INIT;

/* The policy local_resolve() reads; pthread_once() hands it nothing. */
static _Atomic(const struct policy *) local_policy;

/* Set while this thread resolves the local-address. */
static __thread bool local_resolving __attribute__((tls_model("initial-exec")));

/* Written once by local_resolve(), read after pthread_once() returns. */
static bool local_have;
static struct local_info local_resolved;

/* Where the next round-robin port search starts, as an index. */
static atomic_uint local_next_port;

/*
 * The families a name resolves to, and the first address of each.  A name
 * that does not resolve, or resolves to nothing usable, is marked failed:
 * the table's "fails to resolve local address".
 */
static void local_resolve_name(const char *name, struct local_info *info)
{
	struct addrinfo hints, *res = NULL, *ai;
	struct sockaddr_inet in;
	struct in_addr v4;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if (!real_getaddrinfo || real_getaddrinfo(name, NULL, &hints, &res)) {
		info->failed = true;
		return;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		if (!sockaddr_parse(ai->ai_addr, ai->ai_addrlen, &in) ||
		    sockaddr_is_any(&in))
			continue;
		if (sockaddr_v4(&in, &v4) && !(info->fam & FAM_IPV4)) {
			info->v4 = v4;
			info->fam |= FAM_IPV4;
		} else if (in.addr.fam == FAM_IPV6 && !(info->fam & FAM_IPV6) &&
			   !sockaddr_v4(&in, &v4)) {
			memcpy(&info->v6, in.addr.a, 16);
			info->fam |= FAM_IPV6;
		}
	}
	if (real_freeaddrinfo)
		real_freeaddrinfo(res);
	info->failed = info->fam == FAM_NONE;
}

/*
 * The family and address of a literal.  A wildcard (0.0.0.0, ::) names no
 * address: the table counts it as none, and only its port range is used.
 * A peer-pool address that the host's pool gave an IPv6 address stands
 * for that address, as it does in a bind (what the shim shows, the
 * program can use), where the stack has IPv6 to reach it by.
 */
static void local_resolve_literal(const struct policy *policy,
				  const struct policy_addr *addr,
				  struct local_info *info)
{
	struct sockaddr_inet in;

	memset(&in, 0, sizeof(in));
	in.addr = *addr;
	if (sockaddr_is_any(&in))
		return;
	if (sockaddr_v4(&in, &info->v4) &&
	    (policy_stack(policy) & FAM_IPV6) &&
	    pool_v6_of(policy, &info->v4, &info->v6)) {
		info->fam = FAM_IPV6;
	} else if (sockaddr_v4(&in, &info->v4)) {
		info->fam = FAM_IPV4;
	} else {
		memcpy(&info->v6, addr->a, 16);
		info->fam = FAM_IPV6;
	}
}

static void local_resolve(void)
{
	const struct policy *policy = atomic_load(&local_policy);
	const struct policy_local *l = policy_local_address(policy);
	struct local_info *info = &local_resolved;
	int cancel;

	if (!l)
		return;
	/* A cancelled resolution would leave this thread marked busy and
	 * the once-only state to be run again. */
	pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &cancel);
	local_resolving = true;
	info->port_low = l->port_low;
	info->port_high = l->port_high;
	if (l->host && l->fam != FAM_NONE)
		local_resolve_literal(policy, &l->addr, info);
	else if (l->host)
		local_resolve_name(l->host, info);
	/* The IPv4 member bound is what makes the class loopback. */
	if ((info->fam & FAM_IPV4) &&
	    ((const uint8_t *)&info->v4.s_addr)[0] == 127)
		info->fam |= FAM_LOOP4;
	local_have = true;
	local_resolving = false;
	pthread_setcancelstate(cancel, NULL);
}

/* local_forget - see state.h. */
void local_forget(void)
{
	/* A once-flag has no reset: made new, as at load. */
	local_once = (pthread_once_t)PTHREAD_ONCE_INIT;
	atomic_store(&local_policy, NULL);
	local_resolving = false;
	local_have = false;
	memset(&local_resolved, 0, sizeof(local_resolved));
	atomic_store(&local_next_port, 0);
}

/* local_info_get - see sockaddr.h. */
bool local_info_get(const struct policy *policy, struct local_info *out)
{
	int saved_errno;

	/* No local-address: nothing to resolve, nor to wait for. */
	if (!policy || local_resolving || !policy_local_address(policy))
		return false;
	saved_errno = errno;
	atomic_store(&local_policy, policy);
	pthread_once(&local_once, local_resolve);
	errno = saved_errno;
	if (!local_have)
		return false;
	*out = local_resolved;
	return true;
}

/* shim_local_fam - see shim.h. */
unsigned shim_local_fam(const struct policy *policy)
{
	struct local_info info;

	if (!local_info_get(policy, &info))
		return FAM_NONE;
	return info.fam;
}

/* shim_decide_unbound - see shim.h. */
enum policy_outcome shim_decide_unbound(const struct policy *policy,
					enum policy_action action,
					unsigned host)
{
	struct local_info info;

	if (!local_info_get(policy, &info))
		return policy_decide_unsettled(policy, action, host, FAM_NONE);
	if (info.failed)
		return OUTCOME_FAIL_LOCAL;
	return policy_decide_unsettled(policy, action, host, info.fam);
}

/* local_would_upgrade - see sockaddr.h. */
bool local_would_upgrade(const struct policy *policy)
{
	unsigned stack = policy_stack(policy);

	if (!policy_mapped(policy))
		return false;
	if (stack == STACK_IPV6)
		return true;
	return stack == STACK_DUAL &&
	       (policy_rule_count_of(policy, RULE_MAP) ||
		shim_local_fam(policy) == FAM_IPV6);
}

/* local_upgrades - see sockaddr.h. */
bool local_upgrades(const struct policy *policy)
{
	return policy_enforce(policy) && local_would_upgrade(policy);
}

/*
 * The address local_bind() binds for fam: the member of that family, else
 * the wildcard.  Returns false when there is nothing to bind: a wildcard
 * without a port range would only pick the port the kernel picks anyway.
 */
static bool local_pick(const struct local_info *info, unsigned fam,
		       struct sockaddr_inet *in)
{
	memset(in, 0, sizeof(*in));
	in->addr.fam = FAM_IPV4;
	if (fam == FAM_IPV4 && (info->fam & FAM_IPV4)) {
		memcpy(in->addr.a, &info->v4, 4);
	} else if (fam == FAM_IPV6 && (info->fam & FAM_IPV6)) {
		in->addr.fam = FAM_IPV6;
		memcpy(in->addr.a, &info->v6, 16);
	} else if (!info->port_low) {
		return false;
	}
	return true;
}

static int local_bind_real(int fd, const struct sockaddr_storage *ss,
			   socklen_t len)
{
	if (real_bind)
		return real_bind(fd, (const struct sockaddr *)ss, len);
	return (int)shim_sys(SYS_bind, fd, ss, len);
}

/*
 * Bind fd to in on the ports of info's range, round robin from where the
 * last search ended, the next on EADDRINUSE.  Returns 0 or an errno; the
 * address bound is copied to bound and its length to *boundlen.
 */
static int local_bind_ports(int fd, int family, const struct local_info *info,
			    struct sockaddr_inet *in,
			    struct sockaddr_storage *bound, socklen_t *boundlen)
{
	unsigned low = info->port_low, count, start, i;
	struct sockaddr_storage ss;
	socklen_t len;
	int err = EADDRINUSE;

	count = low ? (unsigned)info->port_high - low + 1 : 1;
	start = atomic_fetch_add(&local_next_port, 1);
	for (i = 0; i < count; i++) {
		in->port = htons(low ? low + (start + i) % count : 0);
		len = sockaddr_make(in, family, true, &ss);
		/* An IPv6 member cannot be bound on an AF_INET socket; the
		 * table never asks for that, and nothing is bound. */
		if (!len)
			return 0;
		if (local_bind_real(fd, &ss, len) == 0) {
			atomic_fetch_add(&local_next_port, i);
			if (len > *boundlen)
				len = *boundlen;
			memcpy(bound, &ss, len);
			*boundlen = len;
			return 0;
		}
		err = errno;
		if (err != EADDRINUSE)
			break;
	}
	return err;
}

/* local_bind - see sockaddr.h. */
int local_bind(const struct policy *policy, int fd, unsigned flags,
	       unsigned fam, struct sockaddr_storage *bound,
	       socklen_t *boundlen)
{
	int family = flags & FDSTATE_INET6 ? AF_INET6 : AF_INET;
	socklen_t room = *boundlen;
	struct local_info info;
	struct sockaddr_inet in;
	int saved_errno = errno, err;

	*boundlen = 0;
	/* Nothing to bind is not marked: a later connect() of the same
	 * socket, to another family, may have something to bind. */
	if (!local_info_get(policy, &info) || !local_pick(&info, fam, &in))
		return 0;
	*boundlen = room;
	err = local_bind_ports(fd, family, &info, &in, bound, boundlen);
	if (err)
		*boundlen = 0;
	errno = saved_errno;
	/* EINVAL is a socket bound already (by a connect() or send that
	 * let the kernel choose): nothing is left to do. */
	if (err == EINVAL)
		err = 0;
	if (!err)
		fdstate_add(fd, FDSTATE_NOBIND);
	return err;
}
