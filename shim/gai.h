/*
 * gai.h - the getaddrinfo() result rewriting (shim/getaddrinfo.c), apart
 * from the hook that asks the real resolver: given what a program asked
 * and the real resolver's answers, the list the program is handed (SPEC
 * §2, getaddrinfo row).  Private to shim/; the hook and the fuzz target
 * fuzz/fuzz_getaddrinfo.c call it.
 */
#ifndef STACKSHIM_GAI_H
#define STACKSHIM_GAI_H

#include <stdbool.h>
#include <netdb.h>

#include "policy.h"

#pragma GCC visibility push(hidden)

/*
 * One call: what the program asked and what the shim learnt of it.  The
 * caller fills the first part; gai_rewrite() fills the second, for the
 * log, and expects it as gai_req_init() leaves it.
 */
struct gai_req {
	const struct policy *policy;
	const char *node;	/* NULL for the wildcard or loopback */
	struct addrinfo ask;	/* the program's hints, or glibc's default */
	bool literal;		/* node is a numeric address */
	bool probed_v6;		/* the shim added AI_V4MAPPED to the question:
				 * an IPv4-mapped answer was AF_INET */
	unsigned mask;		/* the families AI_ADDRCONFIG leaves */
	struct policy_rule rule; /* the name rule that matched node */
	/* What the decision was, for the log. */
	int outcome;		/* enum policy_outcome; -1: none */
	unsigned host;		/* 0: no decision (no node) */
	unsigned dropped;	/* answers of a family asked left out */
	bool pooled;		/* answers given peer-pool addresses */
	bool refused;		/* the policy failed the call */
};

/*
 * gai_req_init - req for a call under policy: no node, glibc's default
 * hints, every family left by AI_ADDRCONFIG, no rule, no decision yet.
 */
void gai_req_init(struct gai_req *req, const struct policy *policy);

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
 * gai_fast_forget - forget what was worked out of the policy at the first
 * call under it, for a new policy to be used (the fuzz target's, for each
 * input: one at the same address as the last must not find its answers).
 * Only while no call is under way.
 */
void gai_fast_forget(void);

#pragma GCC visibility pop

#endif /* STACKSHIM_GAI_H */
