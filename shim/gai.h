/* SPDX-License-Identifier: MIT */
/*
 * gai.h - the getaddrinfo() result rewriting (shim/gai_rewrite.c), apart
 * from the hook that asks the real resolver (shim/getaddrinfo.c): given
 * what a program asked and the real resolver's answers, the list the
 * program is handed (SPEC §2, getaddrinfo row); and the per-policy cache
 * both read (struct gai_fast, made by the hook's file).  Private to
 * shim/; the hook and the fuzz target fuzz/fuzz_getaddrinfo.c call it.
 */
#ifndef STACKSHIM_GAI_H
#define STACKSHIM_GAI_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "policy.h"

#pragma GCC visibility push(hidden)

/*
 * One call: what the program asked and what the shim learnt of it.  The
 * caller fills the first part; gai_rewrite() fills the second, for the
 * log, and expects it as gai_req_init() leaves it.
 */
struct gai_req {
	const struct policy *policy;
	const struct gai_fast *fast;	/* policy's, or NULL (gai_fast_get()) */
	const char *node;	/* NULL for the wildcard or loopback */
	struct addrinfo ask;	/* the program's hints, or glibc's default */
	bool literal;		/* node is a numeric address */
	bool probed_v6;		/* the shim added AI_V4MAPPED to the question:
				 * an IPv4-mapped answer was AF_INET */
	unsigned mask;		/* the families AI_ADDRCONFIG leaves */
	struct policy_rule rule; /* the name rule that matched node */
	/* What the decision was, for the log. */
	int outcome;		/* enum policy_outcome; -1: none */
	unsigned have;		/* the answers' classes, folded
				 * (resolve_list_fams()) */
	unsigned host;		/* 0: no decision (no node) */
	unsigned dropped;	/* answers of a family asked left out */
	bool pooled;		/* answers given peer-pool addresses */
	bool refused;		/* the policy failed the call */
};

/*
 * gai_dests - the policy that classes req's answers as destinations
 * (resolve_ai_fam(), a DNS64 answer an IPv4 host); NULL without a node:
 * those are the host's own loopback and wildcard addresses, classed as they
 * are.
 */
static inline const struct policy *gai_dests(const struct gai_req *req)
{
	return req->node ? req->policy : NULL;
}

/* glibc's hints for a program that passes none (AI_DEFAULT). */
extern const struct addrinfo gai_default_hints;

/*
 * gai_req_init - req for a call under policy, whose gai_fast is f (NULL:
 * none), asked with hints (NULL: glibc's default): no node, every family
 * left by AI_ADDRCONFIG, no rule, no decision yet.
 */
static inline void gai_req_init(struct gai_req *req,
				const struct policy *policy,
				const struct gai_fast *f,
				const struct addrinfo *hints)
{
	*req = (struct gai_req){
		.policy = policy,
		.fast = f,
		.ask = hints ? *hints : gai_default_hints,
		.mask = FAM_BOTH,
		.outcome = -1,
	};
}

/*
 * gai_rewrite - the list req's program is handed for list, the real
 * resolver's answers to req->node (asked with AF_UNSPEC, or for a literal
 * on an ipv6 stack AF_INET6 with AI_V4MAPPED): its entries of the
 * outcome's family, in list's order, rewritten as SPEC §2 says (IPv4 as
 * ::ffff:a.b.c.d or translated, IPv6 as peer-pool IPv4), then under the
 * fallback setting those of the other family in theirs
 * (resolve_fallback()).  AI_PASSIVE without a node, and a node that is
 * the wildcard, give addresses to bind, never rewritten (gai_passive()).
 * list, in glibc's layout (each entry a malloc() block that
 * real_freeaddrinfo() frees with its canonical name, as libc's lists
 * are), may be NULL and is used up:
 * the entries handed out are list's own, edited in place, but for one
 * whose address grows (AF_INET to AF_INET6), moved to a new block of
 * glibc's layout (the address right after the entry); the others are
 * freed.  So freeaddrinfo() frees the result and any tail of it.  The
 * canonical name of list's first entry is on the first entry, no other
 * has one.  Without a node, the answers are the wildcard or loopback
 * addresses of the families the emulated host has.  Returns 0 with *res a
 * list that is never empty; or EAI_NONAME or EAI_ADDRFAMILY (the host
 * fails, or nothing is left of list: EAI_ADDRFAMILY for a literal and for
 * no node), EAI_SYSTEM with errno EADDRNOTAVAIL (the local address fails)
 * or EAI_MEMORY, *res untouched.
 */
int gai_rewrite(struct gai_req *req, struct addrinfo *list,
		struct addrinfo **res);

/*
 * An entry of libc's list as gai_lean() tells them apart (gai_kind()): one
 * exactly as glibc makes them, AF_INET, or AF_INET6 with an IPv6 or an
 * IPv4-mapped address, the IPv4 ones apart for 127.0.0.0/8 (their class
 * is gai_kind_class[]); KIND_OTHER for any other.
 */
enum gai_kind {
	KIND_OTHER,
	KIND_INET,
	KIND_INET6,
	KIND_MAPPED,
	KIND_INET_LOOP,
	KIND_MAPPED_LOOP,
	KIND_COUNT
};

/* The table class of each kind. */
static const unsigned gai_kind_class[KIND_COUNT] = {
	[KIND_INET] = FAM_IPV4,
	[KIND_INET6] = FAM_IPV6,
	[KIND_MAPPED] = FAM_IPV4,
	[KIND_INET_LOOP] = FAM_IPV4 | FAM_LOOP4,
	[KIND_MAPPED_LOOP] = FAM_IPV4 | FAM_LOOP4,
};

/* The number of host classes: FAM_* bits with FAM_LOOP4. */
#define GAI_CLASSES ((FAM_BOTH | FAM_LOOP4) + 1)

/*
 * What every call asks of the loaded policy, worked out at the first call
 * under it (gai_fast_get(), shim/fast.h) when it has no local-address
 * (whose name is resolved once, later, and may fail): then the decision is
 * the table's and the rules', the same for every call.  It is the
 * getaddrinfo() part of the one per-policy cache, shim_fast.gai, made by
 * the first thread to ask and never written after.
 */
struct gai_fast {
	const struct policy *policy;
	/* resolve_decide_unsettled() without a rule, by [have][want]: have
	 * a class (FAM_LOOP4 maybe set), want FAM_* bits.  Settled at use:
	 * under translate-prefix = auto the prefix is found later. */
	unsigned char outcome[GAI_CLASSES][FAM_BOTH + 1];
	/* resolve_fallback() of each without a rule; other_all: of AF_INET6
	 * asked with AI_V4MAPPED | AI_ALL (gai_all()). */
	unsigned char other[GAI_CLASSES][FAM_BOTH + 1];
	unsigned char other_all[GAI_CLASSES];
	unsigned sockets;		/* policy_socket_fams() */
	bool enforce;			/* policy_enforce() */
	bool logging;			/* shim_logging() */
	bool ruled;			/* policy_rule_count() != 0 */
	/* gai_probe_v6(): literals asked as AF_INET6, by whether the node
	 * is one in 127.0.0.0/8 (gai_loop_node()). */
	bool probe_v6[2];
	bool loop_apart;		/* probe_v6[0] != probe_v6[1] */
	bool prefix96;			/* the translate-prefix is a /96: */
	uint8_t prefix[12];		/* its first 12 bytes */
	unsigned prefix_bytes;		/* its length in bytes, 0: auto */
	bool v6_general;		/* auto, and the policy may map: any
					 * IPv6 address may be inside it */
	/*
	 * gai_lean() for a program that asks family (AF_UNSPEC to AF_INET6):
	 * the family and the flags of gai_literal_question() for it (the
	 * latter added to the program's own, less the shim's), and what is
	 * done with each kind of answer; family GAI_NOT_ASKED for a family
	 * that gai_lean() leaves to shim_getaddrinfo().  By [loop][family],
	 * loop as for probe_v6.
	 */
	struct gai_lean_row {
		int family;
		int flags;
		unsigned char op[KIND_COUNT];	/* enum gai_lean_op */
	} lean[2][AF_INET6 + 1];
};

/* A gai_lean_row's family for one that gai_lean() does not ask. */
#define GAI_NOT_ASKED (-1)

/* What gai_lean() does with each entry of a literal's answer. */
enum gai_lean_op {
	LEAN_NO,		/* nothing: gai_rewrite() is asked */
	LEAN_KEEP,		/* hands it out as it is */
	LEAN_PREFIX,		/* writes f->prefix over its first 12 bytes */
};

/* The kind of entry ai is. */
/*
 * The kind of an IPv4 address by its first byte, AF_INET ([0]) or mapped
 * ([1]): 127.0.0.0/8 apart, and 0.0.0.0/8, whose 0.0.0.0 is a wildcard,
 * no destination (gai_passive()'s), left to gai_rewrite() whole.
 */
static const unsigned char gai_v4_kind[2][256] = {
	{[1 ... 126] = KIND_INET, [127] = KIND_INET_LOOP,
	 [128 ... 255] = KIND_INET},
	{[1 ... 126] = KIND_MAPPED, [127] = KIND_MAPPED_LOOP,
	 [128 ... 255] = KIND_MAPPED},
};

static inline unsigned gai_kind(const struct gai_fast *f,
				const struct addrinfo *ai)
{
	const struct sockaddr_in *sin = (const void *)ai->ai_addr;
	const struct sockaddr_in6 *sin6 = (const void *)ai->ai_addr;
	static const uint8_t zero[sizeof(sin->sin_zero)];

	if (!sin)
		return KIND_OTHER;
	if (ai->ai_family == AF_INET && ai->ai_addrlen == sizeof(*sin) &&
	    sin->sin_family == AF_INET &&
	    !memcmp(sin->sin_zero, zero, sizeof(zero)))
		return gai_v4_kind[0][((const uint8_t *)&sin->sin_addr)[0]];
	if (ai->ai_family != AF_INET6 || ai->ai_addrlen != sizeof(*sin6) ||
	    sin6->sin6_family != AF_INET6)
		return KIND_OTHER;
	/* One inside the translate-prefix is an IPv4 host
	 * (resolve_ai_fam()): the general path's. */
	if (!IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr))
		return IN6_IS_ADDR_UNSPECIFIED(&sin6->sin6_addr) ||
				       f->v6_general ||
				       (f->prefix_bytes &&
					!memcmp(sin6->sin6_addr.s6_addr,
						f->prefix, f->prefix_bytes))
			       ? KIND_OTHER
			       : KIND_INET6;
	/* gai_set_v6() writes a mapped address without these. */
	if (sin6->sin6_flowinfo || sin6->sin6_scope_id)
		return KIND_OTHER;
	return gai_v4_kind[1][sin6->sin6_addr.s6_addr[12]];
}

/*
 * gai_fast_make - make and return policy's gai_fast, shim_fast.gai
 * (shim/getaddrinfo.c, shim/fast.h's gai_fast_get() calls it); NULL when
 * policy has a local-address, or another thread is making it or made it
 * for another policy.
 */
const struct gai_fast *gai_fast_make(const struct policy *policy);

/*
 * gai_lean_of - what gai_build() would make of a literal's answer, entries
 * of kind asked for as want (FAM_* bits) under policy, whose gai_fast f is
 * being made: an enum gai_lean_op (shim/gai_rewrite.c).
 */
unsigned char gai_lean_of(const struct policy *policy,
			  const struct gai_fast *f, unsigned kind,
			  unsigned want, bool probed_v6);

/*
 * gai_fail - the EAI_* answer of req, a call that outcome fails, as
 * outcome_meanings says (shim/outcome.h): eai for a name, eai_literal for
 * a literal or no node; errno set for EAI_SYSTEM.
 */
int gai_fail(const struct gai_req *req, enum policy_outcome outcome);

/*
 * gai_fast_forget - forget what was worked out of the policy at the first
 * call under it, for a new policy to be used (the fuzz target's, for each
 * input: one at the same address as the last must not find its answers).
 * Only while no call is under way.
 */
void gai_fast_forget(void);

#pragma GCC visibility pop

#endif /* STACKSHIM_GAI_H */
