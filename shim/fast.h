/* SPDX-License-Identifier: MIT */
/*
 * fast.h - the inline fast paths of the hooks: whether initialisation is
 * done, an fd's flags, and the one per-policy cache, shim_fast: what the
 * loaded policy does to the calls it leaves alone (shim/fast.c), and its
 * getaddrinfo() part (gai.h).  Private to shim/.  The fuzz targets link
 * getaddrinfo.c and gai_rewrite.c, which read shim_fast.gai, without
 * init.c, fdstate.c and fast.c: fuzz/shim_env.c holds shim_fast there.
 */
#ifndef STACKSHIM_FAST_H
#define STACKSHIM_FAST_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "gai.h"
#include "policy.h"
#include "route.h"
#include "shim.h"
#include "sockaddr.h"

#pragma GCC visibility push(hidden)

/* --- initialisation (init.c) --------------------------------------------- */

/* Set, with release order, once initialisation is complete. */
extern atomic_bool shim_ready;

/* Whether initialisation is complete: one acquire load. */
static inline bool shim_ready_now(void)
{
	return __builtin_expect(atomic_load_explicit(&shim_ready,
						     memory_order_acquire),
				1);
}

/* --- the decision log's descriptor (logsink.c) ---------------------------- */

/* The log's descriptor, -1 while there is none. */
extern atomic_int shim_log_fd;

/* shim_log_closed() for one fd, whose common answer (not the log's) is
 * one load inline. */
static inline void shim_log_closing(int fd)
{
	if (__builtin_expect(atomic_load_explicit(&shim_log_fd,
						  memory_order_relaxed) == fd,
			     0))
		shim_log_closed((unsigned)fd, (unsigned)fd);
}

/* --- the fd table (fdstate.c) --------------------------------------------- */

/*
 * The flags of fd live in a two-level table: a fixed array of chunk
 * pointers, indexed by the high bits of fd, and chunks of atomic words,
 * indexed by the low bits (see shim/fdstate.c).
 */
#define FDSTATE_CHUNK_BITS 12
#define FDSTATE_CHUNK_SIZE (1u << FDSTATE_CHUNK_BITS)
#define FDSTATE_CHUNKS 256u
#define FDSTATE_MAX (FDSTATE_CHUNKS * FDSTATE_CHUNK_SIZE)

extern _Atomic(atomic_uint *) fdstate_chunks[FDSTATE_CHUNKS];
extern atomic_uint fdstate_chunk0[FDSTATE_CHUNK_SIZE];	/* chunks[0] */

/* The word of fd, or NULL when its chunk is not mapped (or fd is out of
 * range). */
static inline atomic_uint *fdstate_word(int fd)
{
	atomic_uint *chunk;

	if ((unsigned)fd < FDSTATE_CHUNK_SIZE)
		return &fdstate_chunk0[fd];
	if ((unsigned)fd >= FDSTATE_MAX)
		return NULL;
	chunk = atomic_load_explicit(&fdstate_chunks[fd >> FDSTATE_CHUNK_BITS],
				     memory_order_acquire);
	return chunk ? &chunk[fd & (FDSTATE_CHUNK_SIZE - 1)] : NULL;
}

/* The flags of fd as the memory holds them, 0 when it holds none: no
 * call, for a hook's first look (shim_fast_passes()). */
static inline unsigned fdstate_peek(int fd)
{
	atomic_uint *word = fdstate_word(fd);

	return word ? atomic_load_explicit(word, memory_order_acquire) : 0;
}

/* fdstate_learn() with its answer from memory inline. */
static inline unsigned fdstate_learn_fast(int fd)
{
	atomic_uint *word = fdstate_word(fd);
	unsigned flags;

	if (word) {
		flags = atomic_load_explicit(word, memory_order_acquire);
		if (flags & FDSTATE_KNOWN)
			return flags;
	}
	return fdstate_learn(fd);
}

/* fdstate_set() with the store into a mapped chunk inline. */
static inline void fdstate_set_fast(int fd, unsigned flags)
{
	atomic_uint *word = fdstate_word(fd);

	if (word)
		atomic_store_explicit(word, flags, memory_order_release);
	else if (flags)
		fdstate_set(fd, flags);
}

/* --- the policy's answers (fast.c) ---------------------------------------- */

/*
 * shim_fast - what the hot paths ask of the loaded policy, worked out once
 * when it has loaded (shim_fast_compute()), so that a call the policy
 * leaves alone costs a few table lookups.  Read by the hooks only after
 * shim_init_ensure() (or shim_ready_now()); never written after that.
 *
 * route[row][flags & SHIM_FAST_FLAGS] says what a connect() or a send
 * does to a destination of a table class (row: enum shim_fast_host) on a
 * socket with fdstate flags: the flags that matter are whether it is
 * upgraded and what the program bound it to, its local class.  The
 * answer is SHIM_FAST_GENERAL when the general path (route_decide())
 * must decide, SHIM_FAST_PASS when the program's address goes to the
 * kernel as it is, SHIM_FAST_MAPPED or SHIM_FAST_TRANSLATED when an
 * upgraded socket's IPv4 destination goes as ::ffff:a.b.c.d or inside the
 * /96 translate-prefix (prefix[0], prefix[1]; nothing logged, nothing
 * bound).  Every cell is SHIM_FAST_GENERAL when the policy has a
 * local-address.  Under a policy with rules a cell holds for a
 * destination that no rule fits, or one whose rule leaves the cell as it
 * is (rule_kept: allow), which fast_route_class() asks
 * (route_rule_action()) before it answers.
 */
enum shim_fast_action {
	SHIM_FAST_GENERAL,
	SHIM_FAST_PASS,
	SHIM_FAST_MAPPED,
	SHIM_FAST_TRANSLATED,
};

#define SHIM_FAST_FLAGS                                                        \
	(FDSTATE_UPGRADED | FDSTATE_BOUND_V4 | FDSTATE_BOUND_V6 |              \
	 FDSTATE_BOUND_LOOP | FDSTATE_BOUND | FDSTATE_INET6)

/* Every fdstate flags value: the flags are the low bits of a word. */
#define SHIM_FAST_STATES (FDSTATE_FOREIGN << 1)

/* --- translate-prefix = auto (pref64.c) ----------------------------------- */

/* pref64_word once the prefix is known (found, or known to be none). */
#define PREF64_KNOWN UINT64_MAX

extern uint64_t pref64_word;
extern struct in6_addr pref64_addr;
extern unsigned pref64_len;

/* The rows of shim_fast.route: a destination's class. */
enum shim_fast_host {
	SHIM_FAST_IPV4,		/* FAM_IPV4 */
	SHIM_FAST_LOOP4,	/* FAM_IPV4 | FAM_LOOP4: 127.0.0.0/8 */
	SHIM_FAST_IPV6,		/* FAM_IPV6 */
	/* The first two again, as AF_INET6 at ::ffff:a.b.c.d: in order. */
	SHIM_FAST_AS6_IPV4,
	SHIM_FAST_AS6_LOOP4,
	SHIM_FAST_HOSTS,
};

/* shim_fast.route's type: by [enum shim_fast_host][fdstate flags]. */
typedef unsigned char fast_route_table[SHIM_FAST_HOSTS][SHIM_FAST_FLAGS + 1];

struct shim_fast {
	const struct policy *policy;	/* computed for; NULL: nothing known */
	unsigned socket_pass;		/* FAM_* bits: socket() of the family
					 * is made as asked, nothing logged */
	bool socket_upgrade;		/* socket(AF_INET) of TCP and UDP is
					 * upgraded, nothing logged */
	fast_route_table route;
	bool ruled;			/* the policy has rules: route holds
					 * for a destination no rule fits,
					 * or one whose rule's action is a
					 * bit of rule_kept */
	unsigned rule_kept;		/* 1 << enum policy_action */
	uint8_t prefix[2][12];		/* ::ffff:0:0/96, the translate-prefix */
	unsigned prefix_bytes;		/* its length in bytes; 0 for auto
					 * and ::ffff:0:0/96 */
	bool v6_auto;			/* auto, and the policy may map: an
					 * IPv6 address may be inside the
					 * prefix pref64.c finds */
	uint32_t pool_net, pool_mask;	/* the peer-pool, network order */
	/* Bit f: every cell of route's column f is SHIM_FAST_PASS, and no
	 * IPv6 address is classed by a prefix (shim_fast_passes()). */
	uint64_t pass[SHIM_FAST_STATES / 64];
	/* Bit f: every IPv4 cell of route's column f, an upgraded
	 * socket's, sends as ::ffff:a.b.c.d (shim_fast_maps()). */
	uint64_t maps[SHIM_FAST_STATES / 64];
	/* getaddrinfo()'s part (gai.h), made at its first call, not here:
	 * most processes never ask, and it costs about 16,000 instructions.
	 * gai_made says how far (enum gai_fast_state). */
	_Atomic unsigned char gai_made;
	struct gai_fast gai;
};

/* How far shim_fast.gai is made. */
enum gai_fast_state {
	GAI_FAST_NONE,		/* not yet: the first to ask makes it */
	GAI_FAST_MAKING,	/* by another thread: ask the policy itself
				 * (for good in a child forked meanwhile) */
	GAI_FAST_MADE,		/* for shim_fast.gai.policy, read-only now */
};

extern struct shim_fast shim_fast;

/*
 * gai_fast_get - the gai_fast of policy, shim_fast.gai, made at the first
 * call under it (gai_fast_make()); NULL when it has a local-address or
 * another thread is making it (the callers then ask the policy itself).
 */
static inline const struct gai_fast *gai_fast_get(const struct policy *policy)
{
	if (__builtin_expect(atomic_load_explicit(&shim_fast.gai_made,
						  memory_order_acquire) ==
					     GAI_FAST_MADE &&
				     shim_fast.gai.policy == policy,
			     1))
		return &shim_fast.gai;
	return gai_fast_make(policy);
}

/*
 * shim_fast_compute - fill shim_fast for policy (NULL: the library failed
 * closed, and nothing is fast).  Called once, by initialisation, before any
 * hook may read it.
 */
void shim_fast_compute(const struct policy *policy);

/*
 * sockaddr_in_prefix - whether a, an IPv6 address, may lie inside the
 * translate-prefix, for the fast path to leave it to the general one:
 * inside it, or under auto not yet found (the general path finds it,
 * unless a is one no such prefix holds, as policy_addr_v4() says).
 */
static inline bool sockaddr_in_prefix(const struct in6_addr *a)
{
	const uint8_t *prefix = shim_fast.prefix[1];
	unsigned bytes = shim_fast.prefix_bytes;

	if (__builtin_expect(shim_fast.v6_auto, 0)) {
		if (!policy_may_be_nat64(a))
			return false;
		if (__atomic_load_n(&pref64_word, __ATOMIC_ACQUIRE) !=
		    PREF64_KNOWN)
			return true;
		prefix = pref64_addr.s6_addr;
		bytes = pref64_len / 8;
	}
	return bytes && !memcmp(a->s6_addr, prefix, bytes);
}

/*
 * shim_fast_passes - whether a connect() or a send on an inet socket with
 * fdstate flags goes to the kernel as the program gave it, whatever the
 * address: the whole column of shim_fast.route is SHIM_FAST_PASS (a dual
 * stack's unbound sockets, with no rules), so that the address need not
 * even be read.  Never for flags the memory may hold wrongly (another
 * family's, which fdstate_confirm() asks the kernel about), nor for 0
 * (fdstate_peek(): nothing known).
 */
static inline bool shim_fast_passes(unsigned flags)
{
	flags &= SHIM_FAST_STATES - 1;
	return shim_fast.pass[flags / 64] >> (flags % 64) & 1;
}

/*
 * shim_fast_maps - whether a connect() or a send on a socket with fdstate
 * flags, an upgraded one, sends every AF_INET destination but a peer-pool
 * address as ::ffff:a.b.c.d (fast_map()): its column's IPv4 cells are
 * SHIM_FAST_MAPPED, or SHIM_FAST_TRANSLATED through ::ffff:0:0/96.
 */
static inline bool shim_fast_maps(unsigned flags)
{
	flags &= SHIM_FAST_STATES - 1;
	return shim_fast.maps[flags / 64] >> (flags % 64) & 1;
}

/*
 * fast_route_class - what shim_fast says of a connect() (send false)
 * or a send (send set, with msgflags) on fd, whose fdstate flags
 * fdstate_learn_fast() gave, to sa of len bytes: an enum
 * shim_fast_action.  Whatever route_decide() would forward unchanged
 * without deciding anything (not an inet socket, a stream send without
 * MSG_FASTOPEN, an address the kernel refuses) is SHIM_FAST_PASS too.
 * errno is kept.
 */
static inline __attribute__((always_inline)) unsigned
fast_route_class(int fd, unsigned flags, const struct sockaddr *sa,
		 socklen_t len, bool send, int msgflags)
{
	const struct sockaddr_in6 *sin6 = (const void *)sa;
	const struct sockaddr_in *sin = (const void *)sa;
	const uint8_t *v4;
	unsigned host, act;

	switch (route_guard(shim_fast.policy, fd, &flags, sa, len, send,
			    msgflags)) {
	case ROUTE_KERNEL:
		/* A send's AF_UNSPEC address may be one the socket takes
		 * as its own family: route_decide() says which. */
		return send && sockaddr_ptr_ok(sa) &&
				       len >= sizeof(sa_family_t) &&
				       sa->sa_family == AF_UNSPEC
			       ? SHIM_FAST_GENERAL
			       : SHIM_FAST_PASS;
	case ROUTE_DECIDE:
		break;
	default:
		return SHIM_FAST_GENERAL;
	}
	if (sa->sa_family == AF_INET && len >= sizeof(struct sockaddr_in))
		v4 = (const uint8_t *)&sin->sin_addr;
	else if (sa->sa_family == AF_INET6 &&
		 len >= sizeof(struct sockaddr_in6) - 4)
		v4 = IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)
			     ? sin6->sin6_addr.s6_addr + 12
			     : NULL;
	else
		return SHIM_FAST_GENERAL;
	/* An address inside the translate-prefix is the IPv4 host it
	 * embeds (policy_dest_class()): the general path's. */
	if (!v4 && sockaddr_in_prefix(&sin6->sin6_addr))
		return SHIM_FAST_GENERAL;
	/* policy_addr_class()'s rows, an IPv4 one apart as AF_INET6. */
	host = !v4 ? SHIM_FAST_IPV6
	       : v4[0] == 127 ? SHIM_FAST_LOOP4
			      : SHIM_FAST_IPV4;
	if (v4 && sa->sa_family == AF_INET6)
		host += SHIM_FAST_AS6_IPV4 - SHIM_FAST_IPV4;
	act = shim_fast.route[host][flags & SHIM_FAST_FLAGS];
	/* A peer-pool address stands for an IPv6 one. */
	if (act >= SHIM_FAST_MAPPED &&
	    (sin->sin_addr.s_addr & shim_fast.pool_mask) == shim_fast.pool_net)
		return SHIM_FAST_GENERAL;
	/* The cell holds for a destination no rule changes. */
	if (__builtin_expect(shim_fast.ruled, 0) && act != SHIM_FAST_GENERAL) {
		int a = route_rule_action(shim_fast.policy, sa, len, flags);

		if (a < 0 || !(shim_fast.rule_kept >> a & 1))
			return SHIM_FAST_GENERAL;
	}
	return act;
}

/*
 * fast_route_v6 - for a call that fast_route_class() put in class
 * SHIM_FAST_MAPPED or SHIM_FAST_TRANSLATED, the AF_INET6 address to
 * forward instead of the AF_INET one sa, written into out.
 */
static inline void fast_route_v6(unsigned act, const struct sockaddr *sa,
				 struct sockaddr_in6 *out)
{
	const struct sockaddr_in *sin = (const void *)sa;

	out->sin6_family = AF_INET6;
	out->sin6_port = sin->sin_port;
	out->sin6_flowinfo = 0;
	memcpy(out->sin6_addr.s6_addr,
	       shim_fast.prefix[act == SHIM_FAST_TRANSLATED], 12);
	memcpy(out->sin6_addr.s6_addr + 12, &sin->sin_addr, 4);
	out->sin6_scope_id = 0;
}

/*
 * fast_map - for a call on a socket shim_fast_maps() says maps, the
 * AF_INET6 address to forward instead of sa (len bytes), written into
 * out; false when sa is anything but a readable sockaddr_in that is no
 * peer-pool address (route_decide() answers it).  sa is read once: what
 * is judged is what goes.  errno is kept.
 */
static inline bool fast_map(const struct sockaddr *sa, socklen_t len,
			    struct sockaddr_in6 *out)
{
	struct sockaddr_in sin;

	if (!sockaddr_ptr_ok(sa) || len < sizeof(sin) ||
	    len > sizeof(struct sockaddr_storage))
		return false;
	memcpy(&sin, sa, sizeof(sin));
	if (sin.sin_family != AF_INET ||
	    (sin.sin_addr.s_addr & shim_fast.pool_mask) == shim_fast.pool_net)
		return false;
	fast_route_v6(SHIM_FAST_MAPPED, (const struct sockaddr *)&sin, out);
	return true;
}

/*
 * fast_route - route for a call that fast_route_class() put
 * in class act: true with route->sa and route->len (the only fields set)
 * to forward, false when route_decide() must decide.
 */
static inline bool fast_route(unsigned act, const struct sockaddr *sa,
			      socklen_t len, struct route *route)
{
	route->sa = sa;
	route->len = len;
	if (act == SHIM_FAST_PASS)
		return true;
	if (act != SHIM_FAST_MAPPED && act != SHIM_FAST_TRANSLATED)
		return false;
	fast_route_v6(act, sa, (struct sockaddr_in6 *)&route->buf);
	route->sa = (const struct sockaddr *)&route->buf;
	route->len = sizeof(struct sockaddr_in6);
	return true;
}

#pragma GCC visibility pop

#endif /* STACKSHIM_FAST_H */
