/* SPDX-License-Identifier: MIT */
/*
 * route.h - the route of a connect() or a send's destination under the
 * policy (shim/route.c), the guard that both it and shim/fast.h's cache
 * take first, and the destinations a packet names itself (shim/indirect.c).
 * Private to shim/.
 */
#ifndef STACKSHIM_ROUTE_H
#define STACKSHIM_ROUTE_H

#include <stdbool.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "policy.h"
#include "shim.h"
#include "sockaddr.h"

#pragma GCC visibility push(hidden)

/* The call a destination is routed for; sends may carry MSG_FASTOPEN. */
enum route_call {
	ROUTE_CONNECT,
	ROUTE_SENDTO,
	ROUTE_SENDMSG,
	ROUTE_SENDMMSG,
};

/*
 * route_policed - whether the policy has a say in a call on fd with the
 * address sa of len bytes, and the fdstate flags it decides on.  Returns
 * 0 when the call is to go to the kernel as it is: sa is not readable
 * (sockaddr_ptr_ok()), len is shorter than sa_family_t or longer than a
 * sockaddr_storage, sa is of a family other than AF_INET and AF_INET6 on
 * a socket that is not upgraded, or fd is not an AF_INET or AF_INET6
 * socket.  Otherwise returns fdstate_learn(fd), never 0; with a NULL
 * policy (the library failed closed) that is the call to refuse.  Nonzero
 * means sa->sa_family may be read.  Audit mode is the caller's to honour.
 * errno is kept.
 */
unsigned route_policed(const struct policy *policy, int fd,
		       const struct sockaddr *sa, socklen_t len);

/*
 * route_kernel_refuses - whether the kernel itself refuses an address
 * of family on a socket with fdstate flags, so that the policy has nothing
 * to say: an AF_INET6 address on an AF_INET socket, an AF_INET one on an
 * AF_INET6 socket that is not a datagram one (UDP takes it as its
 * IPv4-mapped form).  An upgraded socket is AF_INET to the program, and
 * answered by the caller.
 */
static inline bool route_kernel_refuses(unsigned flags, int family)
{
	if (family == AF_INET6)
		return !(flags & FDSTATE_INET6);
	return (flags & FDSTATE_INET6) && !(flags & FDSTATE_DGRAM);
}

/*
 * route_unpoliced - whether a connect() (send false) or a send (with
 * msgflags) to an address of family (AF_INET or AF_INET6) on a socket
 * with fdstate flags goes to the kernel without the policy's say: not an
 * inet socket (0), a stream send that is no connect, a family the kernel
 * refuses.  Said from memory, it is confirmed (fdstate_confirm()) before
 * it is acted on.
 */
static inline bool route_unpoliced(unsigned flags, int family, bool send,
				   int msgflags)
{
	if (!flags)
		return true;
	if (send && (flags & FDSTATE_STREAM) && !(msgflags & MSG_FASTOPEN))
		return true;
	return !(flags & FDSTATE_UPGRADED) &&
	       route_kernel_refuses(flags, family);
}

/*
 * A routed destination: what to forward (the program's own address, or
 * rewritten into buf).
 */
struct route {
	const struct sockaddr *sa;
	socklen_t len;
	unsigned bind_fam;		/* the local-address member used */
	unsigned flags;			/* the socket's fdstate flags */
	struct sockaddr_storage buf;
};

/*
 * route_decide - route a connect() or a send to sa (len bytes) on fd
 * under policy (NULL: the library failed closed), for SPEC §2 and §3: the
 * destination rule that decides it (a name rule of the name it came from,
 * names_lookup(), else the most specific address rule), then the table.
 * A socket that neither the program nor the shim has bound is bound to
 * the policy's local-address first, when there is one.  A decision that
 * refuses or changes the call is logged (shim_log()).  In audit mode
 * (enforce = no) the decision is logged as it would have been taken and
 * the call goes on unchanged, nothing bound.
 *
 * Returns 0 when the call is to go on with route (sa and len to forward),
 * or a positive errno to fail it with: EACCES (no policy, or a deny rule),
 * ENETUNREACH (fail-host, or a map outcome on a plain AF_INET socket),
 * EADDRNOTAVAIL (fail-local), EAFNOSUPPORT (a non-AF_INET address on an
 * upgraded socket, as an AF_INET socket would say), or what binding the
 * local-address failed with (EADDRINUSE: every port of its range taken).
 * Anything the policy has no say in (a bad fd, a short or unreadable
 * address, another family) is forwarded unchanged, so that the kernel
 * answers it.  errno is the same on return as on entry.
 */
int route_decide(const struct policy *policy, int fd, const struct sockaddr *sa,
		 socklen_t len, enum route_call call, int msgflags,
		 struct route *route);

/* --- destinations a packet names itself (indirect.c) --------------------- */

/*
 * route_indirect_refused - whether the policy refuses what lets a
 * packet name destinations of its own beside the one judged at connect()
 * or the send: an IPv6 routing header (IPV6_RTHDR, IPV6_2292RTHDR), an
 * IPv4 source route (IP_OPTIONS, IP_RETOPTS), a header the program writes
 * (IP_HDRINCL, IPV6_HDRINCL).  hosts are the table classes (FAM_IPV4,
 * FAM_IPV6) those destinations may be of.  True when the library failed
 * closed (policy NULL), and when the policy has any rule or a destination
 * of those classes that it refuses or changes from a socket unbound or
 * bound to that family (policy_decide_rule()); false when every such
 * destination would pass as it is.  Audit mode is
 * route_indirect_refuse()'s to honour.
 */
bool route_indirect_refused(const struct policy *policy, unsigned hosts);

/*
 * route_indirect_refuse - log the refusal (EACCES) of call on a socket
 * of the program's family, for reason (the option refused: "IPV6_RTHDR",
 * ...); dest (destlen bytes) may be NULL.  Returns whether to refuse it
 * now: false in audit mode (enforce = no), where it is only logged, as it
 * would have been refused.  errno is kept.
 */
bool route_indirect_refuse(const struct policy *policy, const char *call,
			   int family, const struct sockaddr *dest,
			   socklen_t destlen, const char *reason);

/*
 * route_ipopts - whether the IPv4 options opt of len bytes, as
 * IP_OPTIONS and IP_RETOPTS take them, hold a loose or strict source route
 * (RFC 791 LSRR, SSRR).  Walked as ip_options_compile() walks them: what
 * it would refuse as malformed is not a route (the kernel says EINVAL).
 */
bool route_ipopts(const unsigned char *opt, size_t len);

/*
 * route_raw_hdrincl - whether fd, a raw socket with fdstate flags, has
 * its header written by the program (IP_HDRINCL, IPV6_HDRINCL; on by
 * itself for IPPROTO_RAW).  Asked of the kernel.  errno is kept.
 */
bool route_raw_hdrincl(int fd, unsigned flags);

/* route_raw - whether fdstate flags are those of a raw inet socket. */
static inline bool route_raw(unsigned flags)
{
	return (flags & FDSTATE_KNOWN) &&
	       !(flags & (FDSTATE_DGRAM | FDSTATE_STREAM));
}

/*
 * route_policed_flags - route_policed() for flags, fd's fdstate flags
 * as the caller learnt them: the same answer, the kernel asked again about
 * an inet family on what memory calls no inet socket (AF_UNSPEC too,
 * which UDP and raw sockets take as their own family).
 */
static inline unsigned route_policed_flags(int fd, unsigned flags,
					   const struct sockaddr *sa,
					   socklen_t len)
{
	int family;

	if (!sockaddr_ptr_ok(sa) || len < sizeof(sa_family_t) ||
	    len > sizeof(struct sockaddr_storage))
		return 0;
	family = sa->sa_family;
	if (!flags &&
	    (family == AF_INET || family == AF_INET6 || family == AF_UNSPEC))
		flags = fdstate_confirm(fd);
	if (family != AF_INET && family != AF_INET6 &&
	    !(flags & FDSTATE_UPGRADED))
		return 0;
	return flags;
}

/*
 * route_rule_action - the action of the rule that decides a connection
 * of a socket with fdstate flags to sa of len bytes (route_decide()'s
 * rule, SPEC §3), RULE_NONE when none fits; -1 when sa is no address
 * route_decide() would look a rule up for.  Async-signal-safe.
 */
int route_rule_action(const struct policy *policy, const struct sockaddr *sa,
		      socklen_t len, unsigned flags);

/* What the guard of a connect() or a send says of it (route_guard()). */
enum route_guard {
	ROUTE_KERNEL,	/* to the kernel as it is: its answer */
	ROUTE_NOPOLICY,	/* the library failed closed: EACCES */
	ROUTE_OTHER,	/* an upgraded socket's non-AF_INET address */
	ROUTE_RAW,	/* a raw socket's: a header may name its own */
	ROUTE_DECIDE,	/* the policy decides the address */
};

/*
 * route_guard - the checks before a connect() (send false) or a send
 * (with msgflags) on fd to sa of len bytes is decided, in the one order
 * both shim_fast's path and route_decide() take: *flags, fd's fdstate
 * flags as the caller learnt them, is updated to what was confirmed;
 * policy says whether there is one.  ROUTE_KERNEL for what the policy
 * has no say in (route_policed_flags(), route_unpoliced() once
 * confirmed).  errno is kept.
 */
static inline __attribute__((always_inline)) enum route_guard
route_guard(bool policy, int fd, unsigned *flags, const struct sockaddr *sa,
	    socklen_t len, bool send, int msgflags)
{
	int family;

	*flags = route_policed_flags(fd, *flags, sa, len);
	if (!*flags)
		return ROUTE_KERNEL;
	if (!policy)
		return ROUTE_NOPOLICY;
	family = sa->sa_family;
	if (route_unpoliced(*flags, family, send, msgflags)) {
		*flags = fdstate_confirm(fd);
		if (route_unpoliced(*flags, family, send, msgflags))
			return ROUTE_KERNEL;
	}
	if ((*flags & FDSTATE_UPGRADED) && family != AF_INET)
		return ROUTE_OTHER;
	return route_raw(*flags) ? ROUTE_RAW : ROUTE_DECIDE;
}

#pragma GCC visibility pop

#endif /* STACKSHIM_ROUTE_H */
