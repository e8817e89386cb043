/* SPDX-License-Identifier: MIT */
/*
 * dual.c - the wildcard binds of one port by both of a program's sockets:
 * its AF_INET one, upgraded, and its own AF_INET6 one.
 *
 * An upgraded socket's bind to 0.0.0.0:p is [::]:p with IPV6_V6ONLY off,
 * so that a legacy server reaches IPv6 clients too.  A server that also
 * opens [::]:p itself (nginx's `listen 80; listen [::]:80;`, sshd, rsync,
 * asyncio) would then find its own IPv6 socket in the way: on Linux an
 * AF_INET6 socket with IPV6_V6ONLY off bound to ::ffff:0.0.0.0:p takes
 * IPv4 only, as a real AF_INET 0.0.0.0:p socket does, and does not clash
 * with [::]:p of an IPV6_V6ONLY socket, where [::]:p dual-stack does.  So:
 *
 *   - an upgraded 0.0.0.0:p goes to [::]:p, and to ::ffff:0.0.0.0:p when
 *     that port is taken on IPv6 (EADDRINUSE) or when an IPv6 socket of
 *     this process holds it already (with SO_REUSEADDR two unlistened
 *     sockets bind, and the second listen() fails);
 *   - a program's own IPv6 bind to port p first narrows an upgraded socket
 *     of this process that holds [::]:p dual-stack to ::ffff:0.0.0.0:p
 *     (dual_narrow()), unseen by the program.
 *
 * Which sockets hold what is kept in dual_slots, a fixed array of atomic
 * words and no lock: binds run in signal handlers and across fork() as
 * well.  A slot only says where to look; the kernel is asked before
 * anything is done, so a slot left by a closed socket is harmless.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include "shim.h"
#include "sys.h"
#include "sockaddr.h"

/*
 * A slot: 0 when free, else the fd plus one in bits 32-63, DUAL_V6 when
 * it is a program's own IPv6 socket (else an upgraded [::] dual-stack
 * one), DUAL_DGRAM for a datagram socket, and the port (host order) in
 * bits 0-15.  512 ports held at once by one process is plenty for a
 * server; past that, the oldest slots are reused.
 */
#define DUAL_SLOTS 512u
#define DUAL_V6	   (1u << 16)
#define DUAL_DGRAM (1u << 17)

static _Atomic uint64_t dual_slots[DUAL_SLOTS];
static atomic_uint dual_next;

static int dual_forward(int fd, const struct sockaddr *sa, socklen_t len)
{
	if (real_bind)
		return real_bind(fd, sa, len);
	return (int)shim_sys(SYS_bind, fd, sa, len);
}

static uint64_t dual_key(int fd, unsigned kind, unsigned port)
{
	return ((uint64_t)(unsigned)(fd + 1) << 32) | kind | port;
}

/* Remember that fd holds port as kind; a slot of fd's is replaced. */
static void dual_note(int fd, unsigned kind, unsigned port)
{
	uint64_t key = dual_key(fd, kind, port), old;
	unsigned i;

	for (i = 0; i < DUAL_SLOTS; i++) {
		old = atomic_load_explicit(&dual_slots[i],
					   memory_order_relaxed);
		if ((old >> 32) == (uint64_t)(unsigned)(fd + 1) &&
		    atomic_compare_exchange_strong(&dual_slots[i], &old, key))
			return;
	}
	for (i = 0; i < DUAL_SLOTS; i++) {
		old = 0;
		if (atomic_compare_exchange_strong(&dual_slots[i], &old, key))
			return;
	}
	i = atomic_fetch_add(&dual_next, 1) % DUAL_SLOTS;
	atomic_store(&dual_slots[i], key);
}

/* The kernel's address of fd, by the system call; false on failure. */
static bool dual_name(int fd, struct sockaddr_in6 *sin6)
{
	socklen_t len = sizeof(*sin6);

	memset(sin6, 0, sizeof(*sin6));
	return shim_sys(SYS_getsockname, fd, sin6, &len) == 0 &&
	       sin6->sin6_family == AF_INET6;
}

static int dual_opt(int fd, int level, int name)
{
	int v = -1;
	socklen_t len = sizeof(v);

	if (shim_sys(SYS_getsockopt, fd, level, name, &v, &len) < 0)
		return -1;
	return v;
}

/*
 * Whether fd, of a slot that says kind and port, still is such a socket:
 * an upgraded one at [::]:port with IPV6_V6ONLY off, or an IPv6 one at
 * port that is not IPv4 (an IPv4-mapped address, or :: dual-stack).
 */
static bool dual_holds(int fd, unsigned kind, unsigned port)
{
	unsigned flags = fdstate_get(fd);
	struct sockaddr_in6 sin6;
	bool any, v6only;

	if (!(flags & FDSTATE_INET6) ||
	    !(flags & FDSTATE_UPGRADED) != !!(kind & DUAL_V6) ||
	    !(flags & FDSTATE_DGRAM) != !(kind & DUAL_DGRAM) ||
	    !dual_name(fd, &sin6) || ntohs(sin6.sin6_port) != port ||
	    IN6_IS_ADDR_V4MAPPED(&sin6.sin6_addr))
		return false;
	any = IN6_IS_ADDR_UNSPECIFIED(&sin6.sin6_addr);
	v6only = dual_opt(fd, IPPROTO_IPV6, IPV6_V6ONLY) == 1;
	return kind & DUAL_V6 ? !any || v6only : any && !v6only;
}

/*
 * The fd of a socket of this process that holds port as kind (DUAL_V6
 * and DUAL_DGRAM bits), or -1.  A slot found stale is freed.
 */
static int dual_find(unsigned kind, unsigned port)
{
	uint64_t want = kind | port, slot;
	unsigned i;
	int fd;

	for (i = 0; i < DUAL_SLOTS; i++) {
		slot = atomic_load_explicit(&dual_slots[i],
					    memory_order_relaxed);
		if (!slot || (slot & 0xffffffffu) != want)
			continue;
		fd = (int)(slot >> 32) - 1;
		if (dual_holds(fd, kind, port))
			return fd;
		atomic_compare_exchange_strong(&dual_slots[i], &slot, 0);
	}
	return -1;
}

static unsigned dual_kind(unsigned flags, bool v6)
{
	return (v6 ? DUAL_V6 : 0) | (flags & FDSTATE_DGRAM ? DUAL_DGRAM : 0);
}

/*
 * Log a wildcard that takes IPv4 only (reason ipv4-only): an upgraded
 * socket's 0.0.0.0:p bound as ::ffff:0.0.0.0:p (family AF_INET), or
 * narrowed to it by the program's own IPv6 bind to sa (family AF_INET6).
 */
static void dual_log(const struct policy *policy, int family,
		     const struct sockaddr_in6 *sa)
{
	struct sockaddr_in v4 = {
		.sin_family = AF_INET,
		.sin_port = sa->sin6_port,
	};
	struct shim_log_event ev = {
		.call = "bind",
		.family = family,
		.local = family == AF_INET ? (const struct sockaddr *)&v4
					   : (const struct sockaddr *)sa,
		.locallen = family == AF_INET ? sizeof(v4) : sizeof(*sa),
		.outcome = -1,
		.reason = "ipv4-only",
	};
	struct sockaddr_in6 v4any = {
		.sin6_family = AF_INET6,
		.sin6_port = sa->sin6_port,
	};

	v4any.sin6_addr.s6_addr[10] = 0xff;
	v4any.sin6_addr.s6_addr[11] = 0xff;
	ev.translated = (const struct sockaddr *)&v4any;
	ev.translatedlen = sizeof(v4any);
	shim_log(policy, &ev);
}

/*
 * Narrow every upgraded socket of this process that holds sa's port
 * dual-stack, first, the one found: with SO_REUSEPORT there may be many.
 * Stops at the first that cannot be narrowed.
 */
static void dual_narrow_all(const struct policy *policy, int other,
			    unsigned flags, const struct sockaddr_in6 *sa)
{
	unsigned i;

	for (i = 0; i < DUAL_SLOTS && other >= 0; i++) {
		if (!dual_narrow(other))
			return;
		dual_log(policy, AF_INET6, sa);
		other = dual_find(dual_kind(flags, false),
				  ntohs(sa->sin6_port));
	}
}

/*
 * An upgraded socket's bind to the wildcard sa ([::]:p): dual-stack when
 * the port is free on both stacks and no IPv6 socket of this process has
 * it, else IPv4 only at ::ffff:0.0.0.0:p, as an AF_INET socket would be.
 */
static int dual_bind_upgraded(const struct policy *policy, int fd,
			      unsigned flags, const struct sockaddr_in6 *sa)
{
	struct sockaddr_in6 v4any = *sa, name;
	unsigned port = ntohs(sa->sin6_port);
	int rc = -1, saved_errno = errno;

	v4any.sin6_addr.s6_addr[10] = 0xff;
	v4any.sin6_addr.s6_addr[11] = 0xff;
	if (!port || dual_find(dual_kind(flags, true), port) < 0) {
		rc = dual_forward(fd, (const struct sockaddr *)sa, sizeof(*sa));
		if (rc < 0 && (errno != EADDRINUSE || !port))
			return rc;
	}
	if (rc < 0) {
		/* A bind that works leaves errno as it was. */
		errno = saved_errno;
		rc = dual_forward(fd, (const struct sockaddr *)&v4any,
				  sizeof(v4any));
		if (rc == 0)
			dual_log(policy, AF_INET, &v4any);
		return rc;
	}
	if (dual_name(fd, &name))
		dual_note(fd, dual_kind(flags, false), ntohs(name.sin6_port));
	return 0;
}

/*
 * A program's own bind of its AF_INET6 socket to sa: an upgraded socket
 * of this process that holds the port dual-stack is narrowed to IPv4
 * first, when the bind asks for IPv6 alone (not ::ffff:..., not :: with
 * IPV6_V6ONLY off, for which a real AF_INET 0.0.0.0 socket is in the way
 * too, and which the kernel then refuses as it would bare).
 */
static int dual_bind_v6(const struct policy *policy, int fd, unsigned flags,
			const struct sockaddr_in6 *sa)
{
	unsigned port = ntohs(sa->sin6_port);
	int other, saved_errno = errno;

	other = port && !IN6_IS_ADDR_V4MAPPED(&sa->sin6_addr)
			? dual_find(dual_kind(flags, false), port)
			: -1;
	if (other >= 0 && (!IN6_IS_ADDR_UNSPECIFIED(&sa->sin6_addr) ||
			   dual_opt(fd, IPPROTO_IPV6, IPV6_V6ONLY) == 1))
		dual_narrow_all(policy, other, flags, sa);
	errno = saved_errno;
	if (dual_forward(fd, (const struct sockaddr *)sa, sizeof(*sa)) < 0)
		return -1;
	if (port && !IN6_IS_ADDR_V4MAPPED(&sa->sin6_addr))
		dual_note(fd, dual_kind(flags, true), port);
	return 0;
}

/* dual_bind - see sockaddr.h. */
int dual_bind(const struct policy *policy, int fd, unsigned flags,
	      const struct sockaddr *sa, socklen_t len)
{
	struct sockaddr_in6 sin6;

	/* Without upgraded sockets there is nothing in the way. */
	if (!policy || !local_upgrades(policy) || !(flags & FDSTATE_INET6) ||
	    !(flags & (FDSTATE_STREAM | FDSTATE_DGRAM)) ||
	    !sockaddr_ptr_ok(sa) || len < sizeof(sin6) ||
	    len > sizeof(struct sockaddr_storage) || sa->sa_family != AF_INET6)
		return dual_forward(fd, sa, len);
	memcpy(&sin6, sa, sizeof(sin6));
	if (!(flags & FDSTATE_UPGRADED))
		return dual_bind_v6(policy, fd, flags, &sin6);
	if (IN6_IS_ADDR_UNSPECIFIED(&sin6.sin6_addr) && len == sizeof(sin6))
		return dual_bind_upgraded(policy, fd, flags, &sin6);
	return dual_forward(fd, sa, len);
}
