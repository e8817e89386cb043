/* SPDX-License-Identifier: MIT */
/*
 * shim.h - what the interposers of the stackshim library share.
 *
 * Anatomy of a hook (one file per interposed call; shim/bind.c is a plain
 * one, shim/connect.c one with a fast path): the exported function makes
 * sure the library is initialised (shim_init_ensure() below), takes its own
 * copy of an address the program hands in (sockaddr_take()), and hands
 * the call to a static shim_<call>() that holds the logic.  A hot hook
 * first asks shim_fast (shim/fast.h, a cache of the policy's decisions)
 * and forwards at once a call that passes.  Calls go to libc through
 * static *_forward() functions: real_<name>, or, while that is NULL, the
 * raw system call where there is one (shim_sys(), shim/sys.h: never libc's
 * syscall(), which the library interposes, shim/syscall.c).  The hooks that need no policy
 * (close(), dup(), fcntl(), socketpair(), ...) never initialise: they keep
 * fdstate right and forward.
 *
 * Errors: inside the shim, a helper that fails a call returns 0 or a
 * positive errno, the value its hook then stores in errno; a hook answers
 * as libc does (-1 and errno, EAI_*, h_errno).  policy/ returns negative
 * errnos (policy.h).
 *
 * Adding a hook is one new file, one row in SHIM_REAL_SYMBOLS below (when the
 * real function is not listed yet) and its name in shim/shim.map.
 */
#ifndef STACKSHIM_SHIM_H
#define STACKSHIM_SHIM_H

#include <fcntl.h>
#include <ifaddrs.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <netdb.h>
#include <signal.h>
#include <netinet/in.h>
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
 *
 * SHIM_REAL_FREE lists those of the hooks that need no policy and never
 * start initialisation (close(), dup(), fcntl(), ...): the library's
 * constructor looks them up.  SHIM_REAL_POLICED lists the rest, looked up
 * when the policy is first needed, so that a program that makes no network
 * call never pays for them.
 */
#define SHIM_REAL_FREE(X)                                                      \
	X(socketpair)                                                          \
	X(close)                                                               \
	X(dup)                                                                 \
	X(dup2)                                                                \
	X(dup3)                                                                \
	X(fcntl)                                                               \
	X(fcntl64)                                                             \
	X(close_range)                                                         \
	X(closefrom)                                                           \
	X(fclose)

#define SHIM_REAL_POLICED(X)                                                   \
	X(socket)                                                              \
	X(bind)                                                                \
	X(connect)                                                             \
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
	X(getpeername)                                                         \
	X(getsockopt)                                                          \
	X(setsockopt)                                                          \
	X(recvmmsg)                                                            \
	X(sendmmsg)                                                            \
	X(getifaddrs)                                                          \
	X(freeifaddrs)

#define SHIM_REAL_SYMBOLS(X) SHIM_REAL_FREE(X) SHIM_REAL_POLICED(X)

#define SHIM_REAL_DECLARE(name) extern __typeof__(name) *real_##name;
SHIM_REAL_SYMBOLS(SHIM_REAL_DECLARE)
#undef SHIM_REAL_DECLARE

/*
 * shim_init_ensure - initialise the library once, from any thread: on
 * return the calling hook applies shim_policy(), NULL when the library
 * failed closed.  Returns at once, without waiting, when the calling
 * thread is itself running initialisation (a hook reached from dlsym() or
 * from a malloc() the program replaced; signals are blocked meanwhile):
 * shim_policy() is then NULL and shim_fast all general, so that the hook
 * refuses the call as failed closed; what it forwards (other families)
 * goes to real_<name> when that is not NULL, else to the raw system call
 * where there is one.  Inline: one acquire load once initialisation is
 * complete.
 *
 * errno is the same on return as on entry.
 */
static inline void shim_init_ensure(void);

/*
 * shim_policy - the policy every hook applies, or NULL when it could not be
 * loaded and the library has failed closed: socket calls on AF_INET and
 * AF_INET6 are then refused with EACCES, name resolution with EAI_FAIL.
 * Only meaningful after shim_init_ensure().
 */
static inline const struct policy *shim_policy(void);

/*
 * What the two above read, inline in every hook (shim/init.c): shim_ready
 * is set with release order once initialisation is done, after
 * shim_the_policy; shim_init_slow() is the rest of shim_init_ensure().
 */
extern atomic_bool shim_ready;
extern const struct policy *shim_the_policy;
void shim_init_slow(void);

static inline void shim_init_ensure(void)
{
	if (!__builtin_expect(atomic_load_explicit(&shim_ready,
						   memory_order_acquire),
			      1))
		shim_init_slow();
}

static inline const struct policy *shim_policy(void)
{
	return shim_the_policy;
}


/*
 * shim_local_fam - the table's local class of the policy's local-address:
 * FAM_NONE when none is set (or it is only a port range, or a wildcard),
 * the literal's family, or the families a name resolves to.  A name is
 * resolved once, on first use, with the real resolver.  (shim/local.c)
 */
unsigned shim_local_fam(const struct policy *policy);

/*
 * shim_decide_unbound - the outcome for a destination of families host
 * that a rule of action matched (RULE_NONE: none) when no socket is bound
 * (name resolution): the local class is the policy's local-address, and a
 * local-address name that does not resolve is OUTCOME_FAIL_LOCAL, "fails
 * to resolve local address".  Unsettled (policy_decide_unsettled()): a map
 * is one whatever the translate-prefix.  (shim/local.c)
 */
enum policy_outcome shim_decide_unbound(const struct policy *policy,
					enum policy_action action,
					unsigned host);

/*
 * fdstate - what the shim knows of each socket it has seen, by fd, in O(1)
 * and safe to read from any thread.  (shim/fdstate.c)
 */
enum fdstate_flag {
	/*
	 * The first five are what connect() and the sends decide by
	 * (shim/fast.h indexes its table by them).  BOUND: the program bound
	 * the socket, to a wildcard when BOUND_V4/V6 are both clear;
	 * BOUND_LOOP with BOUND_V4: to 127.0.0.0/8 (the local class's
	 * FAM_LOOP4).
	 */
	FDSTATE_UPGRADED = 1 << 0,	/* AF_INET to the program, AF_INET6 really */
	FDSTATE_BOUND_V4 = 1 << 1,	/* the program bound an IPv4 address */
	FDSTATE_BOUND_V6 = 1 << 2,	/* the program bound an IPv6 address */
	FDSTATE_BOUND_LOOP = 1 << 3,	/* ... in 127.0.0.0/8 */
	FDSTATE_BOUND = 1 << 4,
	/*
	 * KNOWN: an AF_INET or AF_INET6 socket whose INET6, DGRAM and STREAM
	 * flags are right.  NOBIND: the shim must not bind the policy's
	 * local-address to it (it did already, or the socket may be bound).
	 */
	FDSTATE_DGRAM = 1 << 5,		/* SOCK_DGRAM */
	FDSTATE_INET6 = 1 << 6,		/* AF_INET6 in the kernel (upgraded or not) */
	FDSTATE_KNOWN = 1 << 7,
	FDSTATE_NOBIND = 1 << 8,
	FDSTATE_STREAM = 1 << 9,	/* SOCK_STREAM */
	/*
	 * Learnt to be no AF_INET or AF_INET6 socket (another family, or no
	 * socket at all), so that fdstate_learn() asks the kernel once, not
	 * on every recvmsg() of an AF_UNIX socket.  Every way an inet socket
	 * gets a number is interposed and sets or forgets the flags of it.
	 */
	FDSTATE_FOREIGN = 1 << 10,
};

/*
 * fdstate_local_class - the table's local class of a socket the program
 * bound (flags hold FDSTATE_BOUND): FAM_NONE for a wildcard, else the
 * bound address's class, FAM_LOOP4 included.
 */
static inline unsigned fdstate_local_class(unsigned flags)
{
	return (flags & FDSTATE_BOUND_V4 ? FAM_IPV4 : 0) |
	       (flags & FDSTATE_BOUND_V6 ? FAM_IPV6 : 0) |
	       (flags & FDSTATE_BOUND_LOOP ? FAM_LOOP4 : 0);
}

/*
 * fdstate_bound_flags - the flags a successful bind to a local address of
 * class local (FAM_NONE: a wildcard) adds: fdstate_local_class()'s inverse.
 */
static inline unsigned fdstate_bound_flags(unsigned local)
{
	return FDSTATE_BOUND | FDSTATE_NOBIND |
	       (local & FAM_IPV4 ? FDSTATE_BOUND_V4 : 0) |
	       (local & FAM_IPV6 ? FDSTATE_BOUND_V6 : 0) |
	       (local & FAM_LOOP4 ? FDSTATE_BOUND_LOOP : 0);
}

/*
 * SHIM_UPGRADE_MARK - how an upgraded socket is known in the kernel, so
 * that the mark outlives the shim's memory: across exec(), in a dup() made
 * by a raw system call, on every socket accept() gives from an upgraded
 * listener (the kernel copies the listener's IPv6 options).  The mark is
 * IPV6_FLOWINFO_SEND = 1, an option no IPv4 program sets (it cannot: its
 * sockets are AF_INET) and which changes nothing the shim lets through: it
 * makes the kernel read sin6_flowinfo from the addresses a connect() or a
 * send names, and the shim writes 0 there for every address it translates;
 * and it puts the flow label in the sockaddr_in6 getpeername() gives, which
 * the program of an upgraded socket is never shown.
 */
#ifndef IPV6_FLOWINFO_SEND
#define IPV6_FLOWINFO_SEND 33	/* <linux/in6.h>; glibc does not name it */
#endif
#define SHIM_UPGRADE_MARK_LEVEL IPPROTO_IPV6
#define SHIM_UPGRADE_MARK_NAME IPV6_FLOWINFO_SEND

/* fdstate_get - the flags of fd, 0 for an fd the shim has not marked. */
unsigned fdstate_get(int fd);

/* fdstate_set - replace the flags of fd (0 forgets it). */
void fdstate_set(int fd, unsigned flags);

/*
 * fdstate_copy - give to the flags of from, as dup(), dup2(), dup3() and
 * fcntl(F_DUPFD) do once they have made to a copy of from.  Nothing
 * happens when to is from (dup2(fd, fd)); a from the shim has not marked
 * makes to forgotten.
 */
void fdstate_copy(int from, int to);

/*
 * fdstate_forget_range - forget every fd from first to last, both
 * included, as close_range() and closefrom() close them.  The cost grows
 * with the part of the table in use, not with the range: a range up to
 * ~0U is fine.  Nothing happens when first > last.
 */
void fdstate_forget_range(unsigned first, unsigned last);

/*
 * fdstate_add - add flags to those of fd in one atomic step, so that two
 * threads marking the same socket do not lose each other's flags.
 */
void fdstate_add(int fd, unsigned flags);

/*
 * fdstate_type_flags - FDSTATE_DGRAM or FDSTATE_STREAM for a socket type as
 * socket() takes it (SOCK_NONBLOCK and SOCK_CLOEXEC ignored), else 0.
 */
static inline unsigned fdstate_type_flags(int type)
{
	type &= ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (type == SOCK_DGRAM)
		return FDSTATE_DGRAM;
	if (type == SOCK_STREAM)
		return FDSTATE_STREAM;
	return 0;
}

/*
 * fdstate_learn - the flags of fd, asking the kernel when the shim has not
 * seen the socket created (a socket inherited across exec(), made by dup()
 * or before the library was loaded).  For an AF_INET or AF_INET6 socket the
 * answer holds FDSTATE_KNOWN, is remembered, and includes FDSTATE_NOBIND
 * when learnt from the kernel (whether it is bound is not known), and
 * FDSTATE_UPGRADED for an AF_INET6 socket that carries SHIM_UPGRADE_MARK.
 * Returns 0 for anything else: a bad fd, a non-socket, another family;
 * the last two are remembered as FDSTATE_FOREIGN, and answered 0 from
 * memory after that.  errno is the same on return as on entry.
 */
unsigned fdstate_learn(int fd);

/*
 * fdstate_confirm - fdstate_learn() for a call that its answer from memory
 * would let go to the kernel unpoliced (not an inet socket, a family the
 * socket refuses, a stream send): memory is checked against what the
 * kernel says of fd now, and learnt afresh when it is stale, so that a
 * number swapped between a pipe and a socket by a call the shim never saw
 * (a dup2, or a close and a socket, made without libc) cannot keep a
 * socket out of the policy's sight.  errno is kept.
 */
unsigned fdstate_confirm(int fd);

/*
 * fdstate_received - forget what the shim knew of every fd that msg, as a
 * successful recvmsg() or recvmmsg() filled it, carries in SCM_RIGHTS
 * control messages, and learn each afresh from what the kernel says it is:
 * its real family, and the upgrade mark (SHIM_UPGRADE_MARK) when the
 * library in the sending process upgraded it, so that a legacy server's
 * workers see the accepted connections it passes them as AF_INET too.
 * msg is the program's, read only; msg_controllen as the kernel set it.
 * errno is kept.  (shim/fdstate.c)
 */
void fdstate_received(const struct msghdr *msg);

/*
 * pref64_find - the policy's finder for translate-prefix = auto
 * (policy_pref64_finder): the NAT64 prefix that the resolver's answers for
 * ipv4only.arpa show (RFC 7050), looked for once per process, at the first
 * call, and logged; 0 and the prefix, or -1 for none.  Any thread may
 * call it, from a signal handler too: after the first call it only reads
 * memory.  (pref64.c)
 */
int pref64_find(struct in6_addr *prefix, unsigned *len);

/* One event for shim_log(): fields left 0 or NULL (outcome: -1) are left
 * out of its line. */
struct shim_log_event {
	const char *call;		/* "accept", "connect", ... */
	int family;			/* the program's socket family */
	const struct sockaddr *dest;	/* destination or peer, real */
	socklen_t destlen;
	const char *name;		/* a host name being resolved */
	const struct sockaddr *local;	/* the local address */
	socklen_t locallen;
	int outcome;			/* enum policy_outcome, or -1 */
	unsigned host, local_fam;	/* table classes, with outcome */
	bool local_only;		/* a decision of the local side alone
					 * (bind, getifaddrs): no host */
	const char *rule;		/* "FILE:LINE", or NULL */
	const struct sockaddr *translated; /* what the program was shown
					    * or the kernel was given */
	socklen_t translatedlen;
	const char *error;		/* "EACCES", "EAI_NONAME", ... */
	const char *reason;		/* a word: "peer-pool", ... */
};
/*
 * shim_log - one line for a decision that changed or refused something
 * (and for a peer-pool mapping), where the policy's log setting says (SPEC
 * §3 log).  Never changes errno, never blocks the call: a line that
 * cannot be written at once is dropped and counted.  (shim/log.c)
 */
void shim_log(const struct policy *policy, const struct shim_log_event *ev);

/*
 * shim_logging - whether shim_log() writes anything under policy, for a
 * caller that would have to work to build its event.
 */
bool shim_logging(const struct policy *policy);

/*
 * shim_log_emit - hand a formatted line of len bytes (its newline last) to
 * where policy logs, whole or not at all; false when it was not.  The
 * library's log file or socket is opened when there is none, and again
 * when the program has closed it.  Async-signal-safe.  (shim/logsink.c)
 */
bool shim_log_emit(const struct policy *policy, const char *line, size_t len);

/*
 * shim_log_closed - the program is closing (or dup2() is replacing) every
 * fd from first to last: when the log's descriptor is one of them it is
 * the program's number from now on, and the next line opens the log anew.
 * Called by the hooks before the real call; one atomic load when the log's
 * descriptor is not among them.  (shim/logsink.c)
 */
void shim_log_closed(unsigned first, unsigned last);

/*
 * shim_rule_format - "FILE:LINE" of rule ("-" for no file) into buf of len
 * bytes, cut to fit and always terminated (len > 0); returns the length
 * written.  Async-signal-safe.  (shim/log.c)
 */
int shim_rule_format(const struct policy_rule *rule, char *buf, size_t len);

/*
 * shim_lock, shim_unlock - the lock of the library's process-wide tables,
 * taken with every signal blocked (old gets the thread's mask) and held
 * by no other thread across fork().  (shim/lock.c)
 */
void shim_lock(sigset_t *old);
void shim_unlock(const sigset_t *old);

/*
 * shim_thread_self - this thread's name in a word that says who holds
 * something: pid << 32 | tid, so that a fork() child's copy names a
 * thread of another process.  Async-signal-safe.  (shim/lock.c)
 */
uint64_t shim_thread_self(void);

/*
 * shim_fcntl_sys - fcntl(2) made as the system call, not libc's fcntl(),
 * keeping fdstate as the fcntl() hook does; for the syscall() hook.
 * (shim/fcntl.c)
 */
int shim_fcntl_sys(int fd, int cmd, void *arg);

#pragma GCC visibility pop

#endif /* STACKSHIM_SHIM_H */
