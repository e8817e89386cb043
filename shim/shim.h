/*
 * shim.h - what the interposers of the stackshim library share.
 *
 * Anatomy of a hook (one file per interposed call, see shim/socket.c): the
 * exported function only calls shim_init_ensure() and then hands its
 * arguments to a static shim_<call>() that holds the logic, or, when
 * shim_init_ensure() says this thread is inside initialisation, straight to
 * the real libc function.
 *
 * Adding a hook is one new file, one row in SHIM_REAL_SYMBOLS below (when the
 * real function is not listed yet) and its name in shim/shim.map.
 */
#ifndef STACKSHIM_SHIM_H
#define STACKSHIM_SHIM_H

#include <stdbool.h>
#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include "policy.h"

/* Marks an interposed function; everything else is hidden. */
#define SHIM_EXPORT __attribute__((visibility("default")))

#pragma GCC visibility push(hidden)

/*
 * The real libc functions the shim forwards to, one row each.  Each row
 * declares real_<name>, a pointer of exactly the type libc declares for
 * <name>, which init.c fills with dlsym(RTLD_NEXT, "<name>").  A pointer is
 * NULL until initialisation has looked it up (and stays NULL should libc
 * lack the symbol), so a hook reached during initialisation checks it.
 */
#define SHIM_REAL_SYMBOLS(X)                                                   \
	X(socket)                                                              \
	X(bind)                                                                \
	X(connect)                                                             \
	X(close)                                                               \
	X(getaddrinfo)                                                         \
	X(freeaddrinfo)                                                        \
	X(gethostbyname)                                                       \
	X(gethostbyname2)                                                      \
	X(gethostbyname_r)                                                     \
	X(gethostbyname2_r)                                                    \
	X(getnameinfo)                                                         \
	X(sendto)                                                              \
	X(sendmsg)                                                             \
	X(recvfrom)                                                            \
	X(recvmsg)                                                             \
	X(accept)                                                              \
	X(accept4)                                                             \
	X(getsockname)                                                         \
	X(getpeername)

#define SHIM_REAL_DECLARE(name) extern __typeof__(name) *real_##name;
SHIM_REAL_SYMBOLS(SHIM_REAL_DECLARE)
#undef SHIM_REAL_DECLARE

/*
 * shim_init_ensure - initialise the library once, from any thread, and say
 * whether the calling hook may apply the policy.
 *
 * Returns true when initialisation is complete: shim_policy() then gives the
 * policy to apply, or NULL when the library failed closed.  Returns false,
 * at once and without waiting, when the calling thread is itself running
 * initialisation (a hook reached from dlsym(), from a malloc() the program
 * replaced, from a signal handler, or from the policy loader): the hook must
 * then pass the call through unchanged, to real_<name> when that is not
 * NULL, else to the raw system call where there is one.
 *
 * errno is the same on return as on entry.
 */
bool shim_init_ensure(void);

/*
 * shim_policy - the policy every hook applies, or NULL when it could not be
 * loaded and the library has failed closed: socket calls on AF_INET and
 * AF_INET6 are then refused with EACCES, name resolution with EAI_FAIL.
 * Only meaningful after shim_init_ensure() has returned true.
 */
const struct policy *shim_policy(void);

/*
 * shim_local_fam - the table's local class of the policy's local-address:
 * FAM_NONE when none is set (or it is only a port range, or a wildcard),
 * the literal's family, or the families a name resolves to.  A name is
 * resolved once, on first use, with the real resolver.  (shim/local.c)
 */
unsigned shim_local_fam(const struct policy *policy);

/*
 * shim_decide_unbound - the outcome for a destination of families host when
 * no socket is bound (name resolution): the local class is the policy's
 * local-address, and a local-address name that does not resolve is
 * OUTCOME_FAIL_LOCAL, "fails to resolve local address".  (shim/local.c)
 */
enum policy_outcome shim_decide_unbound(const struct policy *policy,
					unsigned host);

/*
 * fdstate - what the shim knows of each socket it has seen, by fd, in O(1)
 * and safe to read from any thread.  (shim/fdstate.c)
 */
enum fdstate_flag {
	FDSTATE_UPGRADED = 1 << 0,	/* AF_INET to the program, AF_INET6 really */
	FDSTATE_BOUND_V4 = 1 << 1,	/* the program bound an IPv4 address */
	FDSTATE_BOUND_V6 = 1 << 2,	/* the program bound an IPv6 address */
	FDSTATE_DGRAM = 1 << 3,		/* SOCK_DGRAM */
	/*
	 * Added for connect() and the sends.  KNOWN: an AF_INET or AF_INET6
	 * socket whose INET6, DGRAM and STREAM flags are right.  BOUND: the
	 * program bound it, to a wildcard when BOUND_V4/V6 are both clear.
	 * NOBIND: the shim must not bind the policy's local-address to it
	 * (it did already, or the socket may be bound).
	 */
	FDSTATE_INET6 = 1 << 4,		/* AF_INET6 in the kernel (upgraded or not) */
	FDSTATE_KNOWN = 1 << 5,
	FDSTATE_BOUND = 1 << 6,
	FDSTATE_NOBIND = 1 << 7,
	FDSTATE_STREAM = 1 << 8,	/* SOCK_STREAM */
};

/* fdstate_get - the flags of fd, 0 for an fd the shim has not marked. */
unsigned fdstate_get(int fd);

/* fdstate_set - replace the flags of fd (0 forgets it). */
void fdstate_set(int fd, unsigned flags);

/*
 * fdstate_add - add flags to those of fd in one atomic step, so that two
 * threads marking the same socket do not lose each other's flags.
 */
void fdstate_add(int fd, unsigned flags);

/*
 * fdstate_type_flags - FDSTATE_DGRAM or FDSTATE_STREAM for a socket type as
 * socket() takes it (SOCK_NONBLOCK and SOCK_CLOEXEC ignored), else 0.
 */
unsigned fdstate_type_flags(int type);

/*
 * fdstate_learn - the flags of fd, asking the kernel when the shim has not
 * seen the socket created (a socket inherited across exec(), made by dup()
 * or before the library was loaded).  For an AF_INET or AF_INET6 socket the
 * answer holds FDSTATE_KNOWN, is remembered, and includes FDSTATE_NOBIND
 * when learnt from the kernel (whether it is bound is not known).  Returns
 * 0 for anything else: a bad fd, a non-socket, another family.  errno is
 * the same on return as on entry.
 */
unsigned fdstate_learn(int fd);

#pragma GCC visibility pop

#endif /* STACKSHIM_SHIM_H */
