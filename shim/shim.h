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

#pragma GCC visibility pop

#endif /* STACKSHIM_SHIM_H */
