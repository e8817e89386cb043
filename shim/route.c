/* SPDX-License-Identifier: MIT */
/*
 * route.c - the route of a destination under the policy, which connect(),
 * sendto(), sendmsg() and sendmmsg() share (SPEC §2, their rows of the
 * outcome table; SPEC §3, destination rules).  A peer-pool address that
 * the program of an upgraded socket was shown (shim/handback.c), named
 * back, leads to the IPv6 address it stands for.  shim/fast.h holds the
 * cache of these decisions that the hooks try first.
 */
#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "outcome.h"
#include "policy.h"
#include "route.h"
#include "shim.h"
#include "sockaddr.h"

/* route_policed - see route.h. */
unsigned route_policed(const struct policy *policy, int fd,
		       const struct sockaddr *sa, socklen_t len)
{
	(void)policy;
	if (!sockaddr_ptr_ok(sa))
		return 0;
	return route_policed_flags(fd, fdstate_learn(fd), sa, len);
}

/*
 * The table's local class for a socket with flags: what the program bound
 * (a wildcard: none), else the policy's local-address.  *failed is set when
 * that is a name that did not resolve, which is the table's fail-local.
 */
static unsigned route_local_class(const struct policy *policy, unsigned flags,
				  bool *failed)
{
	struct local_info info;

	*failed = false;
	if (flags & FDSTATE_BOUND)
		return fdstate_local_class(flags);
	if (!local_info_get(policy, &info))
		return FAM_NONE;
	*failed = info.failed;
	return info.fam;
}

/*
 * What an AF_INET socket says to an address of another family: the
 * kernel's tcp_v4_connect() and udp_sendmsg() check the length first
 * (0: let the AF_INET6 socket say EINVAL, as it does too), take AF_UNSPEC
 * (a disconnect, passed on), and refuse the rest with EAFNOSUPPORT.  A
 * datagram send (dgram_send) of a short AF_UNSPEC address is udp_sendmsg()'s
 * EINVAL, where the AF_INET6 socket would take it as no address at all.
 */
static int route_upgraded_other(int family, socklen_t len, bool dgram_send)
{
	if (len < sizeof(struct sockaddr_in))
		return family == AF_UNSPEC && dgram_send ? EINVAL : 0;
	if (family == AF_UNSPEC)
		return 0;
	return EAFNOSUPPORT;
}

/*
 * Rewrite route to the translation of dst's IPv4 address.  A translation
 * that is ::ffff:a.b.c.d leaves through the IPv4 stack: no IPv6
 * local-address is bound for it, only its port range (SPEC §2).
 */
static void route_map(const struct policy *policy,
		      const struct sockaddr_inet *dst, struct route *route)
{
	struct sockaddr_inet to = *dst;
	struct in6_addr out;
	struct in_addr v4;

	/* Its own, mapped, or the one inside the prefix (a DNS64 answer). */
	policy_addr_v4(policy, &dst->addr, &v4);
	policy_translate(policy, &v4, &out);
	to.addr.fam = FAM_IPV6;
	memcpy(to.addr.a, &out, 16);
	to.scope_id = 0;
	route->len = sockaddr_make(&to, AF_INET6, false, &route->buf);
	route->sa = (struct sockaddr *)&route->buf;
	if (IN6_IS_ADDR_V4MAPPED(&out))
		route->bind_fam = FAM_NONE;
}

/*
 * A peer-pool address named by the program of an upgraded socket stands
 * for the native IPv6 address it was given to (pool_v6_of()): dst becomes
 * that address, its port kept, and is decided as the IPv6 host it is.
 * Returns whether it was one.
 */
static bool route_pool(const struct policy *policy, struct sockaddr_inet *dst)
{
	struct in6_addr v6;
	struct in_addr v4;

	if (dst->addr.fam != FAM_IPV4)
		return false;
	memcpy(&v4, dst->addr.a, 4);
	if (!pool_v6_of(policy, &v4, &v6))
		return false;
	dst->addr.fam = FAM_IPV6;
	memcpy(dst->addr.a, &v6, 16);
	return true;
}

/* The protocol a socket with fdstate flags connects over, for its rules. */
static inline enum policy_proto route_proto(unsigned flags)
{
	return flags & FDSTATE_STREAM  ? PROTO_TCP
	       : flags & FDSTATE_DGRAM ? PROTO_UDP
				       : PROTO_ANY;
}

/*
 * The rule that decides a connection to dst over proto (SPEC §3): the name
 * rule of the name dst came from, when one was resolved in this process
 * and one of its rules fits; else the most specific address rule
 * (policy_match_dest()).  name gets the name, or "" when dst came from
 * none.
 */
static bool route_rule(const struct policy *policy,
		       const struct sockaddr_inet *dst, enum policy_proto proto,
		       struct policy_rule *rule, char *name, size_t namelen)
{
	uint16_t port = ntohs(dst->port);
	struct policy_addr key;

	name[0] = '\0';
	if (!policy_rule_count(policy))
		return false;
	if (names_any()) {
		sockaddr_rule_addr(policy, dst, &key);
		if (names_lookup(&key, name, namelen) &&
		    policy_match_name(policy, name, port, proto, rule))
			return true;
	}
	return policy_match_dest(policy, &dst->addr, port, proto, rule);
}

/* route_rule_action - see route.h. */
int route_rule_action(const struct policy *policy, const struct sockaddr *sa,
		      socklen_t len, unsigned flags)
{
	struct sockaddr_inet dst;
	struct policy_rule rule;
	char name[256];

	if (!sockaddr_parse(sa, len, &dst))
		return -1;
	return route_rule(policy, &dst, route_proto(flags), &rule, name,
			  sizeof(name))
		       ? (int)rule.action
		       : RULE_NONE;
}

/* The calls that route a destination. */
static const struct route_call_info {
	const char *name;
	bool send;
} route_calls[] = {
	[ROUTE_CONNECT] = {"connect", false},
	[ROUTE_SENDTO] = {"sendto", true},
	[ROUTE_SENDMSG] = {"sendmsg", true},
	[ROUTE_SENDMMSG] = {"sendmmsg", true},
};

/* A decision of route_decide(), as the log tells it. */
struct route_decision {
	enum policy_outcome outcome;
	unsigned host, local;
	bool ruled, pooled;
	struct policy_rule rule;
	char name[256];
	struct sockaddr_storage bound;
	socklen_t boundlen;
};

/*
 * Log a routed call that the policy refused or changed: refused, sent to
 * a translated or peer-pool address, or bound to the local-address.
 */
static void route_log(const struct policy *policy, enum route_call call,
		      int family, const struct sockaddr *sa, socklen_t len,
		      const struct route *route, const struct route_decision *d,
		      int err)
{
	char rule[sizeof(((struct policy_error *)0)->file) + 16];
	struct shim_log_event ev;

	if (!shim_logging(policy) ||
	    (!err && d->outcome != OUTCOME_MAP && !d->pooled && !d->boundlen))
		return;
	ev = (struct shim_log_event){
		.call = route_calls[call].name,
		.family = family,
		.dest = sa,
		.destlen = len,
		.name = d->name[0] ? d->name : NULL,
		.local = d->boundlen ? (struct sockaddr *)&d->bound : NULL,
		.locallen = d->boundlen,
		.outcome = (int)d->outcome,
		.host = d->host,
		.local_fam = d->local,
		.error = err ? strerrorname_np(err) : NULL,
		.reason = d->pooled ? "peer-pool" : NULL,
	};
	if (d->ruled) {
		shim_rule_format(&d->rule, rule, sizeof(rule));
		ev.rule = rule;
	}
	if (!err && route->sa != sa) {
		ev.translated = route->sa;
		ev.translatedlen = route->len;
	}
	shim_log(policy, &ev);
}

/*
 * Decide dst for a socket with flags: fill d and route.  Returns 0 or the
 * errno the outcome refuses the call with.
 */
static int route_outcome(const struct policy *policy, struct sockaddr_inet *dst,
			 unsigned flags, struct route *route,
			 struct route_decision *d)
{
	const struct outcome_meaning *o;
	enum policy_proto proto = route_proto(flags);
	bool failed;

	if (flags & FDSTATE_UPGRADED)
		d->pooled = route_pool(policy, dst);
	d->host = policy_dest_class(policy, &dst->addr);
	d->local = route_local_class(policy, flags, &failed);
	d->ruled = route_rule(policy, dst, proto, &d->rule, d->name,
			      sizeof(d->name));
	d->outcome = failed ? OUTCOME_FAIL_LOCAL
			    : policy_decide_dest(policy,
						 d->ruled ? d->rule.action
							  : RULE_NONE,
						 d->host, d->local, &dst->addr);
	o = &outcome_meanings[d->outcome];
	if (o->err)
		return o->err;
	route->bind_fam = o->bind_fam;
	if (o->map) {
		/* A plain AF_INET socket has no way to an IPv6 address. */
		if (!(flags & FDSTATE_INET6))
			return ENETUNREACH;
		route_map(policy, dst, route);
	} else if (flags & FDSTATE_UPGRADED) {
		route->len = sockaddr_make(dst, AF_INET6, false, &route->buf);
		route->sa = (struct sockaddr *)&route->buf;
	}
	return 0;
}

/*
 * The family a send's AF_UNSPEC address is taken as, on a socket with
 * fdstate flags, when len is enough for it: udp_sendmsg() and
 * raw_sendmsg() of an AF_INET socket take it as AF_INET (an upgraded
 * socket's too, as the program's AF_INET socket would), rawv6_sendmsg()
 * of an AF_INET6 raw socket as AF_INET6.  AF_UNSPEC otherwise: an AF_INET6
 * UDP socket takes it as no address at all, a stream socket ignores it.
 */
static int route_unspec_family(unsigned flags, socklen_t len)
{
	if (!(flags & FDSTATE_KNOWN) || (flags & FDSTATE_STREAM))
		return AF_UNSPEC;
	if (!(flags & FDSTATE_INET6) || (flags & FDSTATE_UPGRADED))
		return len >= sizeof(struct sockaddr_in) ? AF_INET : AF_UNSPEC;
	if (flags & FDSTATE_DGRAM)
		return AF_UNSPEC;
	return len >= SOCKADDR_IN6_OLD_LEN ? AF_INET6 : AF_UNSPEC;
}

/*
 * The destination of a send on fd as the kernel reads it: for an
 * AF_UNSPEC address that the socket takes as one of its own family
 * (route_unspec_family()), a copy of sa in buf that says that family,
 * so that the policy decides it (and an upgraded socket's is
 * translated); otherwise sa.
 */
static const struct sockaddr *route_send_dest(int fd, const struct sockaddr *sa,
					      socklen_t len,
					      enum route_call call,
					      struct sockaddr_storage *buf)
{
	unsigned flags;
	int family;

	if (!route_calls[call].send || !sockaddr_ptr_ok(sa) ||
	    len < sizeof(sa_family_t) || len > sizeof(*buf) ||
	    sa->sa_family != AF_UNSPEC)
		return sa;
	flags = fdstate_learn(fd);
	if (!(flags & FDSTATE_KNOWN))
		flags = fdstate_confirm(fd);
	family = route_unspec_family(flags, len);
	if (family == AF_UNSPEC)
		return sa;
	memcpy(buf, sa, len);
	buf->ss_family = (sa_family_t)family;
	return (const struct sockaddr *)buf;
}

static int route_as_read(const struct policy *policy, int fd,
			 const struct sockaddr *sa, socklen_t len,
			 enum route_call call, int msgflags,
			 struct route *route);

/* route_decide - see route.h. */
int route_decide(const struct policy *policy, int fd, const struct sockaddr *sa,
		 socklen_t len, enum route_call call, int msgflags,
		 struct route *route)
{
	struct sockaddr_storage copy;
	const struct sockaddr *dest;
	int err;

	dest = route_send_dest(fd, sa, len, call, &copy);
	err = route_as_read(policy, fd, dest, len, call, msgflags, route);
	/* Not rewritten: the program's own address goes to the kernel. */
	if (route->sa == dest)
		route->sa = sa;
	return err;
}

/* route_decide() of a destination as the kernel reads it. */
static int route_as_read(const struct policy *policy, int fd,
			 const struct sockaddr *sa, socklen_t len,
			 enum route_call call, int msgflags,
			 struct route *route)
{
	struct route_decision d;
	struct sockaddr_inet dst;
	enum route_guard guard;
	unsigned flags;
	int family, err;

	memset(route, 0, offsetof(struct route, buf));
	route->sa = sa;
	route->len = len;
	flags = sockaddr_ptr_ok(sa) ? fdstate_learn(fd) : 0;
	guard = route_guard(policy, fd, &flags, sa, len, route_calls[call].send,
			    msgflags);
	route->flags = flags;
	switch (guard) {
	case ROUTE_KERNEL:
		/* Nothing the policy has a say in (not an AF_INET or
		 * AF_INET6 socket, no socket at all...): the kernel's
		 * answer is the program's. */
		return 0;
	case ROUTE_NOPOLICY:
		return EACCES;
	case ROUTE_OTHER:
		return route_upgraded_other(sa->sa_family, len,
					    route_calls[call].send &&
						    (flags & FDSTATE_DGRAM));
	case ROUTE_RAW:
		/* A header the program writes names its own destination. */
		if (route_indirect_refused(policy, flags & FDSTATE_INET6
							   ? FAM_IPV6
							   : FAM_IPV4) &&
		    route_raw_hdrincl(fd, flags) &&
		    route_indirect_refuse(policy, route_calls[call].name,
					  sa->sa_family, sa, len, "hdrincl"))
			return EACCES;
		break;
	case ROUTE_DECIDE:
		break;
	}
	family = sa->sa_family;
	if (!sockaddr_parse(sa, len, &dst))
		return 0;
	/* Not the whole of d: its buffers are filled only when used. */
	d.pooled = false;
	d.boundlen = 0;
	err = route_outcome(policy, &dst, flags, route, &d);
	/* Audit mode: told as it would have gone, then left alone. */
	if (!policy_enforce(policy)) {
		route_log(policy, call, family, sa, len, route, &d, err);
		route->sa = sa;
		route->len = len;
		return 0;
	}
	if (!err && !(flags & (FDSTATE_BOUND | FDSTATE_NOBIND)) &&
	    policy_local_address(policy)) {
		d.boundlen = sizeof(d.bound);
		err = local_bind(policy, fd, flags, route->bind_fam, &d.bound,
				 &d.boundlen);
	}
	route_log(policy, call, flags & FDSTATE_UPGRADED ? AF_INET : family, sa,
		  len, route, &d, err);
	return err;
}
