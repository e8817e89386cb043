/* SPDX-License-Identifier: MIT */
/*
 * sockaddr.h - what the socket hooks share beyond shim.h: reading and
 * writing socket addresses (shim/sockaddr.c), the names addresses came
 * from (shim/names.c), the peer-pool (shim/pool.c) and the policy's
 * local-address (shim/local.c).  The route of a destination is in
 * route.h.  Private to shim/.
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

/* The length of RFC 2133's sockaddr_in6, without sin6_scope_id. */
#define SOCKADDR_IN6_OLD_LEN 24u

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

/*
 * sockaddr_rule_addr - the address a rule lookup takes for in: an IPv4
 * address, an IPv4-mapped one or one inside the policy's translate-prefix
 * as the IPv4 address it holds (FAM_IPV4), any other IPv6 address as
 * itself; the bytes past the family's width zero, so that out may be a
 * hash key.
 */
void sockaddr_rule_addr(const struct policy *policy,
			const struct sockaddr_inet *in, struct policy_addr *out);

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

/*
 * names_any - whether this process remembers any name: without one,
 * names_lookup() finds none, whatever the address.  Async-signal-safe.
 */
bool names_any(void);

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
