/*
 * sockaddr.h - what the socket hooks share beyond shim.h: reading and
 * writing socket addresses (shim/sockaddr.c), the route of a destination
 * under the policy (shim/sockaddr.c) and the policy's local-address
 * (shim/local.c).  Private to shim/.
 */
#ifndef STACKSHIM_SOCKADDR_H
#define STACKSHIM_SOCKADDR_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "policy.h"
#include "shim.h"

#pragma GCC visibility push(hidden)

/*
 * Under _GNU_SOURCE glibc declares the socket calls' address arguments as
 * transparent unions (__SOCKADDR_ARG, __CONST_SOCKADDR_ARG); the hooks are
 * defined with the same types, and SOCKADDR_PTR() gives the plain pointer.
 */
#if defined(__USE_GNU) && !defined(__cplusplus)
#define SOCKADDR_PTR(arg) ((arg).__sockaddr__)
#else
#define SOCKADDR_PTR(arg) (arg)
#endif

/* An IPv4 or IPv6 socket address as the shim reasons about it. */
struct sockaddr_inet {
	struct policy_addr addr;	/* FAM_IPV4 or FAM_IPV6 */
	in_port_t port;			/* network byte order */
	uint32_t flowinfo;		/* IPv6 only, as given */
	uint32_t scope_id;		/* IPv6 only; 0 when len left it out */
};

/*
 * sockaddr_ptr_ok - whether p may be read or written by the shim.  NULL and
 * the first page are never mapped (vm.mmap_min_addr), so the kernel would
 * answer EFAULT for them: the shim passes such calls through.  Any other
 * bad pointer is the program's fault, as it is in libc's own functions.
 */
static inline bool sockaddr_ptr_ok(const void *p)
{
	return (uintptr_t)p >= 4096u;
}

/* An inet address of either family and its length. */
struct sockaddr_sized {
	union {
		struct sockaddr sa;
		struct sockaddr_in sin;
		struct sockaddr_in6 sin6;
	} u;
	socklen_t len;
};

/*
 * sockaddr_take - the address the kernel will read for sa of len bytes,
 * read once: a copy in buf when sa is readable and len one the kernel
 * takes (at most a sockaddr_storage), else sa itself, which the kernel
 * refuses without reading it (EFAULT, EINVAL).  The hooks judge the copy
 * and hand the kernel the copy, so that another thread rewriting the
 * program's buffer between the two cannot change what is sent where
 * (time of check, time of use).
 */
static inline const struct sockaddr *
sockaddr_take(const struct sockaddr *sa, socklen_t len,
	      struct sockaddr_storage *buf)
{
	if (!sockaddr_ptr_ok(sa) || len > sizeof(*buf))
		return sa;
	/* The lengths programs give, as fixed-size copies. */
	if (len == sizeof(struct sockaddr_in))
		memcpy(buf, sa, sizeof(struct sockaddr_in));
	else if (len == sizeof(struct sockaddr_in6))
		memcpy(buf, sa, sizeof(struct sockaddr_in6));
	else
		memcpy(buf, sa, len);
	return (const struct sockaddr *)buf;
}

/*
 * sockaddr_msg_namelen - the length of a sendmsg() name as the kernel
 * takes it (net/socket.c, __copy_msghdr()): 0 without a name, a length
 * past a sockaddr_storage cut to one (not refused, as connect() and
 * sendto() refuse it).  A length that is negative as an int is left for
 * the kernel to refuse (EINVAL).
 */
static inline socklen_t sockaddr_msg_namelen(const void *name,
					     socklen_t len)
{
	if (!name)
		return 0;
	if ((int)len >= 0 && len > sizeof(struct sockaddr_storage))
		return sizeof(struct sockaddr_storage);
	return len;
}

/*
 * sockaddr_parse - read the AF_INET or AF_INET6 address sa of len bytes.
 * AF_INET needs sizeof(struct sockaddr_in) bytes, AF_INET6 the 24 bytes of
 * RFC 2133's sockaddr_in6, which the kernel accepts too.  Returns true with
 * out filled, false for another family or a length the kernel would refuse.
 */
bool sockaddr_parse(const struct sockaddr *sa, socklen_t len,
		    struct sockaddr_inet *out);

/*
 * sockaddr_v4 - the IPv4 address of in: itself, or the one inside an
 * IPv4-mapped IPv6 address.  Returns false for any other IPv6 address.
 */
bool sockaddr_v4(const struct sockaddr_inet *in, struct in_addr *v4);

/* sockaddr_is_any - whether in is 0.0.0.0, :: or ::ffff:0.0.0.0. */
bool sockaddr_is_any(const struct sockaddr_inet *in);

/*
 * sockaddr_make - write in as a sockaddr of family (AF_INET or AF_INET6)
 * into out, and return its length.  An IPv4 address in an AF_INET6
 * sockaddr is the mapped ::ffff:a.b.c.d, except 0.0.0.0, which becomes ::
 * when wildcard is set (a bind to every address of both stacks).  An IPv6
 * address that holds no IPv4 one cannot be an AF_INET sockaddr: 0 then.
 */
socklen_t sockaddr_make(const struct sockaddr_inet *in, int family,
			bool wildcard, struct sockaddr_storage *out);

/* The call a destination is routed for; sends may carry MSG_FASTOPEN. */
enum sockaddr_call {
	SOCKADDR_CONNECT,
	SOCKADDR_SENDTO,
	SOCKADDR_SENDMSG,
	SOCKADDR_SENDMMSG,
};

/*
 * sockaddr_policed - whether the policy has a say in a call on fd with the
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
unsigned sockaddr_policed(const struct policy *policy, int fd,
			  const struct sockaddr *sa, socklen_t len);

/*
 * sockaddr_kernel_refuses - whether the kernel itself refuses an address
 * of family on a socket with fdstate flags, so that the policy has nothing
 * to say: an AF_INET6 address on an AF_INET socket, an AF_INET one on an
 * AF_INET6 socket that is not a datagram one (UDP takes it as its
 * IPv4-mapped form).  An upgraded socket is AF_INET to the program, and
 * answered by the caller.
 */
static inline bool sockaddr_kernel_refuses(unsigned flags, int family)
{
	if (family == AF_INET6)
		return !(flags & FDSTATE_INET6);
	return (flags & FDSTATE_INET6) && !(flags & FDSTATE_DGRAM);
}

/*
 * sockaddr_unpoliced - whether a connect() (send false) or a send (with
 * msgflags) to an address of family (AF_INET or AF_INET6) on a socket
 * with fdstate flags goes to the kernel without the policy's say: not an
 * inet socket (0), a stream send that is no connect, a family the kernel
 * refuses.  Said from memory, it is confirmed (fdstate_confirm()) before
 * it is acted on.
 */
static inline bool sockaddr_unpoliced(unsigned flags, int family, bool send,
				      int msgflags)
{
	if (!flags)
		return true;
	if (send && (flags & FDSTATE_STREAM) && !(msgflags & MSG_FASTOPEN))
		return true;
	return !(flags & FDSTATE_UPGRADED) &&
	       sockaddr_kernel_refuses(flags, family);
}

/*
 * sockaddr_rule_addr - the address a rule lookup takes for in: an IPv4
 * address, an IPv4-mapped one or one inside the policy's translate-prefix
 * as the IPv4 address it holds (FAM_IPV4), any other IPv6 address as
 * itself; the bytes past the family's width zero, so that out may be a
 * hash key.
 */
void sockaddr_rule_addr(const struct policy *policy,
			const struct sockaddr_inet *in, struct policy_addr *out);

/*
 * A routed destination: what to forward (the program's own address, or
 * rewritten into buf).
 */
struct sockaddr_route {
	const struct sockaddr *sa;
	socklen_t len;
	unsigned bind_fam;		/* the local-address member used */
	unsigned flags;			/* the socket's fdstate flags */
	struct sockaddr_storage buf;
};

/*
 * sockaddr_route - route a connect() or a send to sa (len bytes) on fd
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
int sockaddr_route(const struct policy *policy, int fd,
		   const struct sockaddr *sa, socklen_t len,
		   enum sockaddr_call call, int msgflags,
		   struct sockaddr_route *route);

/* --- destinations a packet names itself (indirect.c) --------------------- */

/*
 * sockaddr_indirect_refused - whether the policy refuses what lets a
 * packet name destinations of its own beside the one judged at connect()
 * or the send: an IPv6 routing header (IPV6_RTHDR, IPV6_2292RTHDR), an
 * IPv4 source route (IP_OPTIONS, IP_RETOPTS), a header the program writes
 * (IP_HDRINCL, IPV6_HDRINCL).  hosts are the table classes (FAM_IPV4,
 * FAM_IPV6) those destinations may be of.  True when the library failed
 * closed (policy NULL), and when the policy has any rule or a destination
 * of those classes that it refuses or changes from a socket unbound or
 * bound to that family (policy_decide_rule()); false when every such
 * destination would pass as it is.  Audit mode is
 * sockaddr_indirect_refuse()'s to honour.
 */
bool sockaddr_indirect_refused(const struct policy *policy, unsigned hosts);

/*
 * sockaddr_indirect_refuse - log the refusal (EACCES) of call on a socket
 * of the program's family, for reason (the option refused: "IPV6_RTHDR",
 * ...); dest (destlen bytes) may be NULL.  Returns whether to refuse it
 * now: false in audit mode (enforce = no), where it is only logged, as it
 * would have been refused.  errno is kept.
 */
bool sockaddr_indirect_refuse(const struct policy *policy, const char *call,
			      int family, const struct sockaddr *dest,
			      socklen_t destlen, const char *reason);

/*
 * sockaddr_ipopts_route - whether the IPv4 options opt of len bytes, as
 * IP_OPTIONS and IP_RETOPTS take them, hold a loose or strict source route
 * (RFC 791 LSRR, SSRR).  Walked as ip_options_compile() walks them: what
 * it would refuse as malformed is not a route (the kernel says EINVAL).
 */
bool sockaddr_ipopts_route(const unsigned char *opt, size_t len);

/*
 * sockaddr_raw_hdrincl - whether fd, a raw socket with fdstate flags, has
 * its header written by the program (IP_HDRINCL, IPV6_HDRINCL; on by
 * itself for IPPROTO_RAW).  Asked of the kernel.  errno is kept.
 */
bool sockaddr_raw_hdrincl(int fd, unsigned flags);

/* sockaddr_raw - whether fdstate flags are those of a raw inet socket. */
static inline bool sockaddr_raw(unsigned flags)
{
	return (flags & FDSTATE_KNOWN) &&
	       !(flags & (FDSTATE_DGRAM | FDSTATE_STREAM));
}

/*
 * sockaddr_policed_flags - sockaddr_policed() for flags, fd's fdstate flags
 * as the caller learnt them: the same answer, the kernel asked again about
 * an inet family on what memory calls no inet socket (AF_UNSPEC too,
 * which UDP and raw sockets take as their own family).
 */
static inline unsigned sockaddr_policed_flags(int fd, unsigned flags,
					      const struct sockaddr *sa,
					      socklen_t len)
{
	int family;

	if (!sockaddr_ptr_ok(sa) || len < sizeof(sa_family_t) ||
	    len > sizeof(struct sockaddr_storage))
		return 0;
	family = sa->sa_family;
	if (!flags && (family == AF_INET || family == AF_INET6 ||
		       family == AF_UNSPEC))
		flags = fdstate_confirm(fd);
	if (family != AF_INET && family != AF_INET6 &&
	    !(flags & FDSTATE_UPGRADED))
		return 0;
	return flags;
}

/* What the guard of a connect() or a send says of it (sockaddr_guard()). */
enum sockaddr_guard {
	SOCKADDR_KERNEL,	/* to the kernel as it is: its answer */
	SOCKADDR_NOPOLICY,	/* the library failed closed: EACCES */
	SOCKADDR_OTHER,		/* an upgraded socket's non-AF_INET address */
	SOCKADDR_RAW,		/* a raw socket's: a header may name its own */
	SOCKADDR_DECIDE,	/* the policy decides the address */
};

/*
 * sockaddr_guard - the checks before a connect() (send false) or a send
 * (with msgflags) on fd to sa of len bytes is decided, in the one order
 * both shim_fast's path and sockaddr_route() take: *flags, fd's fdstate
 * flags as the caller learnt them, is updated to what was confirmed;
 * policy says whether there is one.  SOCKADDR_KERNEL for what the policy
 * has no say in (sockaddr_policed_flags(), sockaddr_unpoliced() once
 * confirmed).  errno is kept.
 */
static inline __attribute__((always_inline)) enum sockaddr_guard
sockaddr_guard(bool policy, int fd, unsigned *flags, const struct sockaddr *sa,
	       socklen_t len, bool send, int msgflags)
{
	int family;

	*flags = sockaddr_policed_flags(fd, *flags, sa, len);
	if (!*flags)
		return SOCKADDR_KERNEL;
	if (!policy)
		return SOCKADDR_NOPOLICY;
	family = sa->sa_family;
	if (sockaddr_unpoliced(*flags, family, send, msgflags)) {
		*flags = fdstate_confirm(fd);
		if (sockaddr_unpoliced(*flags, family, send, msgflags))
			return SOCKADDR_KERNEL;
	}
	if ((*flags & FDSTATE_UPGRADED) && family != AF_INET)
		return SOCKADDR_OTHER;
	return sockaddr_raw(*flags) ? SOCKADDR_RAW : SOCKADDR_DECIDE;
}

/* --- the names addresses came from (names.c) ----------------------------- */

/*
 * names_remember - note that name produced the addresses of list (as the
 * real resolver gave them), when a name rule of policy covers name
 * (policy_name_ruled()); otherwise nothing is kept.  Returns false when
 * some address could not be remembered for want of memory: the caller
 * then must not hand list's addresses out (the name's rules would not
 * follow them).  errno is kept.
 */
bool names_remember(const struct policy *policy, const char *name,
		    const struct addrinfo *list);

/*
 * names_lookup - the name that produced addr (a key as sockaddr_rule_addr()
 * makes it) in this process, copied into buf of len bytes; false when no
 * ruled name did (or it does not fit).  errno is kept.
 */
bool names_lookup(const struct policy_addr *addr, char *buf, size_t len);

/* --- the peer-pool, RFC 6535's address mapper (pool.c) ------------------- */

/*
 * pool_v4_of - the synthetic IPv4 address from the policy's peer-pool that
 * stands for the IPv6 address v6: the same in every process under the same
 * pool, for as long as the pool's file lives, and never another's.  The
 * first time, an address is given and the mapping logged (shim_log(),
 * reason "peer-pool").  Returns 0, or ENOBUFS when the pool is exhausted
 * or cannot be had (then the reason is said once, on stderr and in the
 * log).  Async-signal-safe, safe from any thread and across fork().
 * errno is kept.
 */
int pool_v4_of(const struct policy *policy, const struct in6_addr *v6,
	       struct in_addr *v4);

/*
 * pool_v6_of - the IPv6 address that the pool address v4 was given to;
 * false when v4 was given to none (or is outside the pool, or the pool
 * cannot be had).  Takes no lock; async-signal-safe.  errno is kept.
 */
bool pool_v6_of(const struct policy *policy, const struct in_addr *v4,
		struct in6_addr *v6);

/*
 * pool_prepare - map the pool's file now, while the process has the
 * rights it started with, when policy upgrades sockets (and so will meet
 * IPv6 peers); called once, as the policy is loaded.
 */
void pool_prepare(const struct policy *policy);

/* --- the policy's local-address (local.c) -------------------------------- */

/* The policy's local-address, its name resolved. */
struct local_info {
	unsigned fam;			/* a local class: FAM_LOOP4 may be set */
	bool failed;			/* a name that did not resolve */
	struct in_addr v4;		/* valid when fam has FAM_IPV4 */
	struct in6_addr v6;		/* valid when fam has FAM_IPV6 */
	uint16_t port_low;		/* host byte order; 0: no range */
	uint16_t port_high;
};

/*
 * local_info_get - the policy's local-address, resolved once for the life
 * of the process.  Returns false when the policy has none, and when this
 * thread is itself resolving it (a resolver that opens sockets reaches the
 * hooks again; it must not wait for itself).  errno is kept.
 */
bool local_info_get(const struct policy *policy, struct local_info *out);

/*
 * local_bind - bind fd, an AF_INET or AF_INET6 socket as its fdstate
 * flags say, to the policy's local-address: the member of family fam
 * (FAM_IPV4 or FAM_IPV6), or the wildcard when fam is FAM_NONE or the
 * address has no such member, on a port from its range taken round robin
 * (0 without a range).  A wildcard without a port range binds nothing.
 * Returns 0, or a positive errno: EADDRINUSE when every port of the range
 * is taken, or what bind() said.  A socket found bound already counts as
 * done.  Marks fd FDSTATE_NOBIND on success.  The address bound goes to
 * bound, *boundlen (its size on entry) set to its length, or to 0 when
 * nothing was bound.  errno is kept.
 */
int local_bind(const struct policy *policy, int fd, unsigned flags,
	       unsigned fam, struct sockaddr_storage *bound,
	       socklen_t *boundlen);

/*
 * local_upgrades - whether policy has AF_INET sockets made AF_INET6
 * underneath (SPEC §2, socket row): an ipv6 stack with mapped addresses,
 * or a dual stack whose local-address is IPv6 only or that has map rules
 * (so that an AF_INET socket can take the translated path a rule forces),
 * mapped addresses allowed.  Audit mode upgrades nothing: then
 * local_would_upgrade() says what would be.
 */
bool local_upgrades(const struct policy *policy);
bool local_would_upgrade(const struct policy *policy);

/* --- both wildcards of one port (dual.c, narrow.c) ----------------------- */

/*
 * dual_bind - bind fd, with fdstate flags, under policy, to sa of len bytes
 * as the kernel is to be given it (an upgraded socket's address already its
 * AF_INET6 form).  An upgraded socket's [::]:p becomes ::ffff:0.0.0.0:p,
 * IPv4 only, when IPv6 has that port taken; a program's own IPv6 bind first
 * narrows an upgraded socket of this process that holds [::]:p dual-stack
 * (dual_narrow()).  Returns what bind() returns, errno as the kernel's last
 * answer.
 */
int dual_bind(const struct policy *policy, int fd, unsigned flags,
	      const struct sockaddr *sa, socklen_t len);

/*
 * dual_narrow - replace the upgraded socket fd, bound to [::]:p with
 * IPV6_V6ONLY off, under the same number by one bound to ::ffff:0.0.0.0:p
 * (listening with the same backlog when fd listened).  Returns whether it
 * was done; a connected socket, or one of another kind, is left alone.
 * errno is kept.  (shim/narrow.c)
 */
bool dual_narrow(int fd);

/*
 * shim_socket_upgrade - an upgraded socket of type and protocol, its fd
 * marked, or -1 with errno.  (shim/socket.c)
 */
int shim_socket_upgrade(int type, int protocol);

/* --- the local addresses shown to the program (shown.c) ------------------ */

/*
 * shown_note - remember the IPv4 address inside kernel (len bytes), the
 * local address of an upgraded socket as the kernel gave it, when it is an
 * IPv4-mapped one other than ::ffff:0.0.0.0: the program is shown it as
 * its local address.  Lock-free; errno is kept.
 */
void shown_note(const struct sockaddr_storage *kernel, socklen_t len);

/* shown_has - whether v4 was shown as a local address (shown_note()). */
bool shown_has(const struct in_addr *v4);

#pragma GCC visibility pop

#endif /* STACKSHIM_SOCKADDR_H */
