/* SPDX-License-Identifier: MIT */
/*
 * bind.c - the bind() hook.
 *
 * SPEC §2, bind row: a bind passes, an upgraded socket's sockaddr_in being
 * given to the kernel as the AF_INET6 address it stands for (0.0.0.0:p as
 * [::]:p, a.b.c.d:p as [::ffff:a.b.c.d]:p), except that a specific local
 * address of a family the stack does not allow fails to resolve as a local
 * address: EADDRNOTAVAIL.  What the program bound is remembered, for it is
 * the local address of the sockets' later decisions (SPEC §1).
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "outcome.h"
#include "policy.h"
#include "shim.h"
#include "route.h"
#include "sockaddr.h"

/* A checked bind: the address to forward, and what it makes of the fd. */
struct shim_bind {
	const struct sockaddr *sa;
	socklen_t len;
	unsigned flags;			/* fdstate flags to add on success */
	struct sockaddr_storage buf;
};

/*
 * The family an upgraded socket's program bound as an AF_INET one: AF_INET,
 * also for AF_UNSPEC with INADDR_ANY, which the kernel's inet_bind() takes
 * for AF_INET; AF_UNSPEC (any other) when an AF_INET socket refuses it.
 * sa holds at least a sockaddr_in.
 */
static int shim_bind_upgraded_family(const struct sockaddr *sa)
{
	struct sockaddr_in sin;

	memcpy(&sin, sa, sizeof(sin));
	if (sin.sin_family == AF_INET)
		return AF_INET;
	if (sin.sin_family == AF_UNSPEC &&
	    sin.sin_addr.s_addr == htonl(INADDR_ANY))
		return AF_INET;
	return AF_UNSPEC;
}

/*
 * The local class of a bind to in, of class local, when in is an address
 * the shim handed the program (SPEC §2): a peer-pool address, on an
 * upgraded socket, stands for its IPv6 address, which in becomes
 * (FAM_IPV6); an IPv4 or IPv4-mapped address shown as a local one
 * (shown_has()) on a stack that lacks IPv4 is the one the kernel itself
 * picked for a route the table allowed, bound as ::ffff:a.b.c.d and
 * decided as that route was, with no local class of its own (FAM_NONE).
 * why gets the log's reason, or NULL when in is none of these.
 */
static unsigned shim_bind_shown(const struct policy *policy, unsigned flags,
				struct sockaddr_inet *in, unsigned local,
				const char **why)
{
	struct in6_addr v6;
	struct in_addr v4;

	*why = NULL;
	if ((local & FAM_BOTH) != FAM_IPV4 || !sockaddr_v4(in, &v4))
		return local;
	if (in->addr.fam == FAM_IPV4 && (flags & FDSTATE_UPGRADED) &&
	    pool_v6_of(policy, &v4, &v6)) {
		in->addr.fam = FAM_IPV6;
		memcpy(in->addr.a, &v6, sizeof(v6));
		*why = "peer-pool";
		return FAM_IPV6;
	}
	/* Only where the table refuses an IPv4 local address: elsewhere it
	 * is one already, and decided as one. */
	if (!shown_has(&v4) || policy_local_has(policy, &in->addr))
		return local;
	*why = "shown-local";
	return FAM_NONE;
}

/* Log a bind to an address the shim handed the program (why: reason). */
static void shim_bind_log_shown(const struct policy *policy, unsigned flags,
				const struct sockaddr *sa, socklen_t len,
				const struct shim_bind *b, const char *why)
{
	struct shim_log_event ev = {
		.call = "bind",
		.family = flags & FDSTATE_UPGRADED ? AF_INET : sa->sa_family,
		.local = sa,
		.locallen = len,
		.outcome = -1,
		.translated = b->sa,
		.translatedlen = b->len,
		.reason = why,
	};

	shim_log(policy, &ev);
}

/* Log a bind refused as fail-local: a local address the stack lacks. */
static void shim_bind_log(const struct policy *policy, unsigned flags,
			  const struct sockaddr *sa, socklen_t len,
			  unsigned local)
{
	struct shim_log_event ev = {
		.call = "bind",
		.family = flags & FDSTATE_UPGRADED ? AF_INET : sa->sa_family,
		.local = sa,
		.locallen = len,
		.outcome = OUTCOME_FAIL_LOCAL,
		.local_only = true,
		.local_fam = local,
		.error = strerrorname_np(
			outcome_meanings[OUTCOME_FAIL_LOCAL].err),
	};

	shim_log(policy, &ev);
}

/*
 * Check a bind of fd to sa (len bytes) under policy.  Returns 0 with b
 * filled (its sa and len are the program's own when nothing changes), or
 * a positive errno: EACCES without a policy, EADDRNOTAVAIL for a local
 * address outside the stack, EAFNOSUPPORT for a non-AF_INET address on an
 * upgraded socket.  Anything else is left for the kernel to answer.
 */
static int shim_bind_check(const struct policy *policy, int fd,
			   const struct sockaddr *sa, socklen_t len,
			   struct shim_bind *b)
{
	struct sockaddr_inet in;
	unsigned flags, local;
	const char *why;
	int family;

	b->sa = sa;
	b->len = len;
	b->flags = 0;
	flags = route_policed(policy, fd, sa, len);
	if (!flags)
		return 0;
	family = sa->sa_family;
	if (!policy)
		return EACCES;
	if (flags & FDSTATE_UPGRADED) {
		/* The kernel checks the length first, then the family. */
		if (len < sizeof(struct sockaddr_in))
			return 0;
		if (shim_bind_upgraded_family(sa) != AF_INET)
			return EAFNOSUPPORT;
		family = AF_INET;
	} else if (family != (flags & FDSTATE_INET6 ? AF_INET6 : AF_INET)) {
		/* The kernel refuses a family its socket is not of. */
		return 0;
	}
	memcpy(&b->buf, sa, len);
	((struct sockaddr *)&b->buf)->sa_family = (sa_family_t)family;
	if (!sockaddr_parse((struct sockaddr *)&b->buf, len, &in))
		return 0;
	local = sockaddr_is_any(&in) ? FAM_NONE : policy_addr_class(&in.addr);
	local = shim_bind_shown(policy, flags, &in, local, &why);
	/* A local address the emulated host lacks is the table's
	 * fail-local whatever the host. */
	if (local != FAM_NONE && !policy_local_has(policy, &in.addr)) {
		shim_bind_log(policy, flags, sa, len, local);
		/* Audit mode: told, not done. */
		if (policy_enforce(policy))
			return outcome_meanings[OUTCOME_FAIL_LOCAL].err;
	}
	b->flags = fdstate_bound_flags(local);
	if (flags & FDSTATE_UPGRADED) {
		b->len = sockaddr_make(&in, AF_INET6, true, &b->buf);
		b->sa = (struct sockaddr *)&b->buf;
	}
	if (why)
		shim_bind_log_shown(policy, flags, sa, len, b, why);
	return 0;
}

static int shim_bind(int fd, const struct sockaddr *sa, socklen_t len)
{
	const struct policy *policy = shim_policy();
	struct shim_bind b;
	int err, rc;

	err = shim_bind_check(policy, fd, sa, len, &b);
	if (err) {
		errno = err;
		return -1;
	}
	rc = dual_bind(policy, fd, fdstate_get(fd), b.sa, b.len);
	if (rc == 0 && b.flags)
		fdstate_add(fd, b.flags);
	return rc;
}

/*
 * bind - the interposed bind(2).  Returns what libc's bind() returns for
 * the address the policy gives the kernel, or -1 with errno EADDRNOTAVAIL
 * (a local address of a family the stack lacks), EAFNOSUPPORT (a
 * non-AF_INET address on a socket that is AF_INET to the program) or EACCES
 * (no policy could be loaded, for an AF_INET or AF_INET6 address).
 */
SHIM_EXPORT int bind(int fd, __CONST_SOCKADDR_ARG addr, socklen_t len)
{
	struct sockaddr_storage copy;

	shim_init_ensure();
	/* Judged and bound: the same bytes. */
	return shim_bind(fd, sockaddr_take(SOCKADDR_PTR(addr), len, &copy),
			 len);
}
