/* SPDX-License-Identifier: MIT */
/*
 * gai_rewrite.c - the getaddrinfo() result rewriting: given what a program
 * asked and the real resolver's answers, the list the program is handed
 * (SPEC §2, getaddrinfo row; gai.h).  Nothing here asks the resolver, so
 * that fuzz/fuzz_getaddrinfo.c drives it with lists of its own; the hook,
 * shim/getaddrinfo.c, asks and calls gai_rewrite().
 *
 * The list handed to the program is libc's own, edited in place: entries
 * left out are unlinked and freed one by one with libc's freeaddrinfo(),
 * and an address is rewritten where it stands when the new one fits in
 * the old one's room (AF_INET6 to AF_INET, or to another AF_INET6
 * address).  Only an entry that grows (AF_INET to AF_INET6) is moved to a
 * new block of glibc's layout, the entry and its address in one malloc()
 * block, and the old one freed.  So every list the program gets has
 * glibc's layout, libc's freeaddrinfo() frees it, and any tail of it, as
 * its own, and a call the policy leaves alone costs no allocation at all.
 */
#include "config.h"

#include <errno.h>
#include <netdb.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "fast.h"
#include "gai.h"
#include "outcome.h"
#include "policy.h"
#include "resolve.h"
#include "shim.h"
#include "sockaddr.h"

/* gai_default_hints - see gai.h. */
const struct addrinfo gai_default_hints = {
	.ai_flags = AI_V4MAPPED | AI_ADDRCONFIG,
	.ai_family = AF_UNSPEC,
};

/* What a conversion makes of an entry. */
enum gai_conv {
	GAI_DROP,		/* left out */
	GAI_KEEP,		/* handed out as it is */
	GAI_WRITE,		/* handed out at the address written to out */
};

/* The IPv4 address and port of an IPv4-class entry (resolve_ai_v4()). */
static inline void gai_v4_of(const struct policy *policy,
			     const struct addrinfo *src, struct in_addr *v4,
			     in_port_t *port)
{
	const struct sockaddr_in *sin = (const void *)src->ai_addr;
	const struct sockaddr_in6 *sin6 = (const void *)src->ai_addr;

	*v4 = resolve_ai_v4(policy, src);
	*port = src->ai_family == AF_INET ? sin->sin_port : sin6->sin6_port;
}

/*
 * An IPv4-class entry as AF_INET6: ::ffff:a.b.c.d, or its translation (a
 * /96 prefix by a copy of its 12 bytes when f has them).
 */
static inline void gai_set_v6(const struct gai_req *req,
			      const struct gai_fast *f,
			      const struct addrinfo *src,
			      struct sockaddr_sized *out, bool translate)
{
	static const uint8_t mapped[12] = {[10] = 0xff, [11] = 0xff};
	struct in_addr v4;

	memset(out, 0, sizeof(*out));
	gai_v4_of(gai_dests(req), src, &v4, &out->u.sin6.sin6_port);
	out->u.sin6.sin6_family = AF_INET6;
	out->len = sizeof(out->u.sin6);
	if (translate && !(f && f->prefix96)) {
		policy_translate(req->policy, &v4, &out->u.sin6.sin6_addr);
		return;
	}
	memcpy(out->u.sin6.sin6_addr.s6_addr,
	       translate ? f->prefix : mapped, sizeof(mapped));
	memcpy(&out->u.sin6.sin6_addr.s6_addr[12], &v4, sizeof(v4));
}

/* The entry as it is, but for an address too long for any family's. */
static inline enum gai_conv gai_copy(const struct addrinfo *src)
{
	return src->ai_addrlen > sizeof(((struct sockaddr_sized *)0)->u)
		       ? GAI_DROP
		       : GAI_KEEP;
}

static inline enum gai_conv gai_ipv4(const struct policy *policy,
				     const struct addrinfo *src,
				     struct sockaddr_sized *out)
{
	const struct sockaddr_in *sin = (const void *)src->ai_addr;
	static const uint8_t zero[sizeof(sin->sin_zero)];

	/* An AF_INET answer as libc makes it is already what it becomes. */
	if (src->ai_family == AF_INET && src->ai_addrlen == sizeof(*sin) &&
	    sin->sin_family == AF_INET &&
	    !memcmp(sin->sin_zero, zero, sizeof(zero)))
		return GAI_KEEP;
	memset(out, 0, sizeof(*out));
	out->u.sin.sin_family = AF_INET;
	gai_v4_of(policy, src, &out->u.sin.sin_addr, &out->u.sin.sin_port);
	out->len = sizeof(out->u.sin);
	return GAI_WRITE;
}

/*
 * An IPv6 entry asked for as AF_INET: its peer-pool address, when
 * resolve_pools() says so and the pool has one for it.
 */
static enum gai_conv gai_pooled(struct gai_req *req,
				const struct addrinfo *src,
				struct sockaddr_sized *out)
{
	const struct sockaddr_in6 *sin6 = (const void *)src->ai_addr;

	if (!resolve_pools(req->policy, req->literal))
		return GAI_DROP;
	memset(out, 0, sizeof(*out));
	if (pool_v4_of(req->policy, &sin6->sin6_addr, &out->u.sin.sin_addr))
		return GAI_DROP;
	req->pooled = true;
	out->u.sin.sin_family = AF_INET;
	out->u.sin.sin_port = sin6->sin6_port;
	out->len = sizeof(out->u.sin);
	return GAI_WRITE;
}

/*
 * What src, of class fam (resolve_ai_fam() under gai_dests(req)),
 * becomes, handed out how: GAI_WRITE with its address in out.
 */
static inline __attribute__((always_inline)) enum gai_conv
gai_convert(struct gai_req *req, const struct gai_fast *f, enum gai_how how,
	    const struct addrinfo *src, unsigned fam,
	    struct sockaddr_sized *out)
{
	struct in_addr v4;
	in_port_t port;

	switch (how) {
	case HOW_COPY:
		return gai_copy(src);
	case HOW_IPV4:
		return gai_ipv4(gai_dests(req), src, out);
	case HOW_NATIVE:
		if (src->ai_family == AF_INET6 &&
		    (fam == FAM_IPV6 ||
		     (!req->probed_v6 &&
		      ((f ? f->sockets : policy_socket_fams(req->policy)) &
		       FAM_IPV6))))
			return gai_copy(src);
		return gai_ipv4(gai_dests(req), src, out);
	case HOW_MAPPED:
		/* As glibc: an IPv4 answer is an AF_INET6 one only under
		 * AI_V4MAPPED, the program's own. */
		if (src->ai_family == AF_INET6 &&
		    !(req->probed_v6 && fam != FAM_IPV6))
			return gai_copy(src);
		if (!(req->ask.ai_flags & AI_V4MAPPED))
			return GAI_DROP;
		gai_set_v6(req, f, src, out, false);
		return GAI_WRITE;
	case HOW_TRANSLATED:
		gai_v4_of(gai_dests(req), src, &v4, &port);
		if (!resolve_translatable(req->policy, req->rule.action, &v4))
			return GAI_DROP;
		gai_set_v6(req, f, src, out, true);
		return GAI_WRITE;
	case HOW_POOLED:
		return gai_pooled(req, src, out);
	default:
		return GAI_DROP;
	}
}


/*
 * An entry of each kind as gai_kind() tells them apart, for gai_lean_of()
 * to convert: addresses that stand for every one of their kind (a global
 * IPv4 address, 127.0.0.1, a global IPv6 one), port 80.
 */
static void gai_sample(unsigned kind, struct sockaddr_sized *in,
		       struct addrinfo *src)
{
	static const uint8_t v4[2][4] = {{11, 0, 0, 2}, {127, 0, 0, 1}};
	static const uint8_t v6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
	bool loop = kind == KIND_INET_LOOP || kind == KIND_MAPPED_LOOP;

	memset(in, 0, sizeof(*in));
	memset(src, 0, sizeof(*src));
	if (kind == KIND_INET || kind == KIND_INET_LOOP) {
		in->u.sin.sin_family = AF_INET;
		in->u.sin.sin_port = htons(80);
		memcpy(&in->u.sin.sin_addr, v4[loop], 4);
		in->len = sizeof(in->u.sin);
	} else {
		in->u.sin6.sin6_family = AF_INET6;
		in->u.sin6.sin6_port = htons(80);
		if (kind == KIND_INET6) {
			memcpy(in->u.sin6.sin6_addr.s6_addr, v6, 16);
		} else {
			in->u.sin6.sin6_addr.s6_addr[10] = 0xff;
			in->u.sin6.sin6_addr.s6_addr[11] = 0xff;
			memcpy(in->u.sin6.sin6_addr.s6_addr + 12, v4[loop], 4);
		}
		in->len = sizeof(in->u.sin6);
	}
	src->ai_family = in->u.sa.sa_family;
	src->ai_addr = &in->u.sa;
	src->ai_addrlen = in->len;
}

/*
 * What gai_build() would make of a literal's answer, entries of kind asked
 * for as want (FAM_* bits) under policy, whose gai_fast f is being made,
 * said as a gai_lean_op: what gai_convert() makes of an entry of the kind
 * (gai_sample()) by the outcome's row: LEAN_KEEP when it keeps it,
 * LEAN_PREFIX when it only writes f's /96 prefix over it, else LEAN_NO;
 * and LEAN_NO whenever the family is not one the program may open sockets
 * of, gai_log() would have something to say, or the entry alone does not
 * decide (a rule, audit mode, a peer-pool address given, a map settled
 * later under auto, a well-known prefix judging each address).
 */
unsigned char gai_lean_of(const struct policy *policy,
			  const struct gai_fast *f, unsigned kind,
			  unsigned want, bool probed_v6)
{
	static const int family_of[FAM_BOTH + 1] = {
		[FAM_IPV4] = AF_INET, [FAM_IPV6] = AF_INET6,
		[FAM_BOTH] = AF_UNSPEC,
	};
	unsigned host = gai_kind_class[kind];
	bool v6 = kind != KIND_INET && kind != KIND_INET_LOOP;
	enum policy_outcome outcome = f->outcome[host][want];
	const struct gai_action *row;
	struct sockaddr_sized in, out;
	struct addrinfo src;
	struct gai_req req;

	if (kind == KIND_OTHER || want == FAM_NONE)
		return LEAN_NO;
	row = outcome_gai(outcome, family_of[want]);
	if ((outcome == OUTCOME_MAP && policy_translate_auto(policy)) ||
	    policy_rule_count(policy) || !policy_enforce(policy) ||
	    !(host & row->from) ||
	    !(f->sockets & (v6 ? FAM_IPV6 : FAM_IPV4)) ||
	    (outcome == OUTCOME_MAP && want != FAM_IPV4 &&
	     shim_logging(policy)) ||
	    row->how == HOW_POOLED ||
	    (row->how == HOW_TRANSLATED &&
	     (!f->prefix96 || policy_translate_by_address(policy))))
		return LEAN_NO;
	/* The program's own flags are not known here: none, AI_V4MAPPED
	 * not among them. */
	gai_req_init(&req, policy, NULL, NULL);
	req.node = "";
	req.literal = true;
	req.probed_v6 = probed_v6;
	req.ask.ai_flags = 0;
	req.ask.ai_family = family_of[want];
	gai_sample(kind, &in, &src);
	switch (gai_convert(&req, f, row->how, &src, host, &out)) {
	case GAI_KEEP:
		return LEAN_KEEP;
	case GAI_WRITE:
		/* f's /96 prefix written over a mapped address. */
		return v6 && out.len == in.len &&
				       out.u.sin6.sin6_family == AF_INET6 &&
				       out.u.sin6.sin6_port ==
					       in.u.sin6.sin6_port &&
				       !memcmp(out.u.sin6.sin6_addr.s6_addr,
					       f->prefix, 12) &&
				       !memcmp(out.u.sin6.sin6_addr.s6_addr + 12,
					       in.u.sin6.sin6_addr.s6_addr + 12,
					       4)
			       ? (memcmp(f->prefix, in.u.sin6.sin6_addr.s6_addr,
					 12)
					  ? LEAN_PREFIX
					  : LEAN_KEEP)
			       : LEAN_NO;
	default:
		return LEAN_NO;
	}
}

/*
 * Give *ai, an entry of one of libc's lists alone (ai_next NULL), the
 * address addr: in the room of its own address when addr fits there (not
 * written when it is there already), else in a new entry of glibc's layout
 * (the address right after the addrinfo, in one malloc() block) that takes
 * over its canonical name, the old entry freed.  Returns false, *ai
 * untouched, when there is no memory.
 */
static inline bool gai_place(struct addrinfo **ai,
			     const struct sockaddr_sized *addr)
{
	struct addrinfo *old = *ai, *grown;

	if (addr->len == sizeof(addr->u.sin6) &&
	    old->ai_addrlen == sizeof(addr->u.sin6) &&
	    !memcmp(old->ai_addr, &addr->u.sin6, sizeof(addr->u.sin6)))
		return true;
	if (addr->len <= old->ai_addrlen) {
		memcpy(old->ai_addr, &addr->u, addr->len);
		old->ai_addrlen = addr->len;
		return true;
	}
	grown = malloc(sizeof(*grown) + addr->len);
	if (!grown)
		return false;
	*grown = *old;
	grown->ai_addr = (struct sockaddr *)(grown + 1);
	grown->ai_addrlen = addr->len;
	memcpy(grown->ai_addr, &addr->u, addr->len);
	old->ai_canonname = NULL;
	real_freeaddrinfo(old);
	*ai = grown;
	return true;
}

/*
 * Whether src is an AF_INET6 answer that the translate-prefix makes an
 * IPv4 host (a DNS64 one: resolve_ai_fam()), of class fam.
 */
static inline bool gai_embedded(const struct addrinfo *src, unsigned fam)
{
	const struct sockaddr_in6 *sin6 = (const void *)src->ai_addr;

	return (fam & FAM_IPV4) && src->ai_family == AF_INET6 &&
	       !IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr);
}

/*
 * Free ai, an entry alone (ai_next NULL) of glibc's layout, its address
 * in its own block (as gai_place() makes them too): what libc's
 * freeaddrinfo() does with it, without the call.
 */
static inline void gai_free_one(struct addrinfo *ai)
{
	/* Only the first entry has one, and gai_build() took it. */
	if (__builtin_expect(ai->ai_canonname != NULL, 0))
		free(ai->ai_canonname);
	free(ai);
}

/* Whether list has an entry of ai's address, socket type and protocol. */
static bool gai_has(const struct addrinfo *list, const struct addrinfo *ai)
{
	for (; list; list = list->ai_next)
		if (list->ai_socktype == ai->ai_socktype &&
		    list->ai_protocol == ai->ai_protocol &&
		    list->ai_addrlen == ai->ai_addrlen &&
		    !memcmp(list->ai_addr, ai->ai_addr, ai->ai_addrlen))
			return true;
	return false;
}

/*
 * The number of a list's first entries whose classes gai_rewrite() works
 * out once (resolve_list_fams()), for gai_build() (a hosts file's or a DNS
 * answer's, as a rule); those of any after them are worked out where they
 * are used.
 */
#define GAI_KNOWN 32

/*
 * The list that row, and then fallback (NULL: none; resolve_fallback())
 * for the answers row does not take, make of the real answers, list, under
 * f (the policy's gai_fast, or NULL): row's entries in their order, then
 * fallback's in theirs, with the canonical name of list's first entry on
 * the first entry as glibc puts it; list is used up, its entries edited in
 * place or freed; classes holds the classes of its first GAI_KNOWN
 * entries.  An entry of a family the
 * program cannot open a socket of is never handed out.  From the first
 * DNS64 answer on (gai_embedded()), whose A record is often there too, an
 * entry that repeats one before it is left out: both become one address.
 * Returns 0 (*res NULL when nothing is left) or EAI_MEMORY (nothing left
 * of list).
 */
static int gai_build(struct gai_req *req, const struct gai_fast *f,
		     const struct gai_action *row,
		     const struct gai_action *fallback, struct addrinfo *list,
		     const unsigned char *classes, struct addrinfo **res)
{
	unsigned sockets = f ? f->sockets : policy_socket_fams(req->policy);
	unsigned asked = resolve_fam_of(req->ask.ai_family);
	struct addrinfo *heads[2] = {NULL, NULL}, **tails[2], *head;
	struct addrinfo *src, *next;
	const struct gai_action *by;
	char *canonname = NULL;
	struct sockaddr_sized addr;
	bool dedupe = false;
	unsigned i = 0;

	tails[0] = &heads[0];
	tails[1] = &heads[1];
	if (list) {
		canonname = list->ai_canonname;
		list->ai_canonname = NULL;
	}
	for (src = list; src; src = next, i++) {
		unsigned fam = i < GAI_KNOWN
				       ? classes[i]
				       : resolve_ai_fam(gai_dests(req), src);
		enum gai_conv conv = GAI_DROP;
		int family = AF_UNSPEC;

		next = src->ai_next;
		src->ai_next = NULL;
		dedupe |= gai_embedded(src, fam);
		/* An answer of a family asked for that is not handed out is
		 * one the policy took away. */
		req->dropped += (fam & asked) != 0;
		by = fam & row->from ? row : fallback;
		if (by && (fam & by->from & req->mask))
			conv = gai_convert(req, f, by->how, src, fam, &addr);
		if (conv == GAI_KEEP)
			family = src->ai_addr->sa_family;
		else if (conv == GAI_WRITE)
			family = addr.u.sa.sa_family;
		if (conv == GAI_DROP || !(resolve_fam_of(family) & sockets)) {
			gai_free_one(src);
			continue;
		}
		if (conv == GAI_WRITE && !gai_place(&src, &addr)) {
			real_freeaddrinfo(src);
			real_freeaddrinfo(next);
			goto err_list;
		}
		req->dropped -= (fam & asked) != 0;
		if (dedupe &&
		    (gai_has(heads[0], src) || gai_has(heads[1], src))) {
			gai_free_one(src);
			continue;
		}
		src->ai_flags = req->ask.ai_flags;
		src->ai_family = family;
		if (__builtin_expect(src->ai_canonname != NULL, 0)) {
			free(src->ai_canonname);
			src->ai_canonname = NULL;
		}
		/* The fallback's entries go after row's. */
		*tails[by != row] = src;
		tails[by != row] = &src->ai_next;
	}
	*tails[0] = heads[1];
	head = heads[0] ? heads[0] : heads[1];
	if (head)
		head->ai_canonname = canonname;
	else
		free(canonname);
	*res = head;
	return 0;

err_list:
	free(canonname);
	*tails[0] = heads[1];
	real_freeaddrinfo(heads[0] ? heads[0] : heads[1]);
	return EAI_MEMORY;
}

/* gai_fail - see gai.h. */
int gai_fail(const struct gai_req *req, enum policy_outcome outcome)
{
	const struct outcome_meaning *m = &outcome_meanings[outcome];
	int rc = req->literal || !req->node ? m->eai_literal : m->eai;

	if (rc == EAI_SYSTEM)
		errno = m->err;
	return rc;
}

/* gai_build()'s list, or the failure of no list left (SPEC §2). */
static int gai_finish(struct gai_req *req, const struct gai_action *row,
		      struct addrinfo *list, const unsigned char *classes,
		      struct addrinfo **res)
{
	struct addrinfo *head;
	int rc = gai_build(req, req->fast, row, NULL, list,
			   classes, &head);

	if (rc == 0 && !head)
		return gai_fail(req, OUTCOME_FAIL_HOST);
	if (rc == 0)
		*res = head;
	return rc;
}

/*
 * No node, no AI_PASSIVE: the loopback addresses of the families the
 * emulated host has, in libc's order: its stack's, and IPv4 where the
 * table gives 127.0.0.1 its own family (ipv4-loopback, as on a real
 * IPv6-only host); an AF_INET socket on an ipv6 stack with mapped
 * addresses is upgraded underneath, so AF_INET gets 127.0.0.1 too.
 */
static int gai_loopback(struct gai_req *req, struct addrinfo *list,
			const unsigned char *classes, struct addrinfo **res)
{
	struct gai_action row = {.how = HOW_COPY};

	row.from = policy_stack(req->policy);
	if (resolve_decide_unsettled(req->policy, RULE_NONE,
				     FAM_IPV4 | FAM_LOOP4,
				     FAM_BOTH) == OUTCOME_IPV4)
		row.from |= FAM_IPV4;
	if (req->ask.ai_family == AF_INET)
		row.from |= policy_socket_fams(req->policy);
	row.from &= resolve_fam_of(req->ask.ai_family);
	return gai_finish(req, &row, list, classes, res);
}

/* Whether an entry's address is the wildcard of its family. */
static bool gai_is_any(const struct addrinfo *ai)
{
	static const uint8_t zero[16];
	const struct sockaddr_in6 *sin6 = (const void *)ai->ai_addr;
	const struct sockaddr_in *sin = (const void *)ai->ai_addr;

	if (ai->ai_family == AF_INET)
		return !memcmp(&sin->sin_addr, zero, sizeof(sin->sin_addr));
	/* ::ffff:0.0.0.0 binds as 0.0.0.0 does. */
	return !memcmp(sin6->sin6_addr.s6_addr, zero, 16) ||
	       (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr) &&
		!memcmp(sin6->sin6_addr.s6_addr + 12, zero, 4));
}

/*
 * Whether list is the wildcard, 0.0.0.0 or :: (say, php -S 0.0.0.0:P
 * without AI_PASSIVE): no destination either, so passive.
 */
static bool gai_all_any(const struct addrinfo *list)
{
	if (!list)
		return false;
	for (; list; list = list->ai_next)
		if (resolve_ai_fam(NULL, list) == FAM_NONE || !gai_is_any(list))
			return false;
	return true;
}

/*
 * No node with AI_PASSIVE, and a node that is the wildcard (gai_all_any()),
 * with or without it: addresses to bind, not destinations, so never
 * mapped or translated (SPEC §2).  Each is libc's where the program can
 * open a socket of its family (a real IPv6-only host answers 0.0.0.0 as
 * well as ::, since AF_INET sockets exist there).  AF_INET gets AF_INET
 * entries, AF_INET6 IPv4 ones as ::ffff:0.0.0.0 only under the program's
 * AI_V4MAPPED, as glibc gives them.  Any other node is a destination, with
 * AI_PASSIVE too: glibc ignores it there, and programs such as socat set
 * it for their clients.
 */
static int gai_passive(struct gai_req *req, struct addrinfo *list,
		       const unsigned char *classes, struct addrinfo **res)
{
	static const struct gai_action rows[] = {
		[AF_UNSPEC] = {FAM_BOTH, HOW_NATIVE},
		[AF_INET] = {FAM_IPV4, HOW_IPV4},
		[AF_INET6] = {FAM_BOTH, HOW_MAPPED},
	};

	return gai_finish(req, &rows[req->ask.ai_family], list, classes, res);
}

/* gai_rewrite - see gai.h. */
int gai_rewrite(struct gai_req *req, struct addrinfo *list,
		struct addrinfo **res)
{
	const struct gai_action *row, *fallback = NULL;
	const struct gai_fast *f;
	struct addrinfo *head;
	unsigned char classes[GAI_KNOWN];
	enum policy_action action;
	enum policy_outcome outcome, other;
	unsigned want;
	bool all;
	int rc;

	req->have = resolve_list_fams(gai_dests(req), list, classes,
				      GAI_KNOWN);
	if (!req->node)
		return req->ask.ai_flags & AI_PASSIVE
			       ? gai_passive(req, list, classes, res)
			       : gai_loopback(req, list, classes, res);
	if (gai_all_any(list))
		return gai_passive(req, list, classes, res);
	action = req->rule.action;
	req->host = resolve_class_in(req->have, req->mask);
	want = resolve_fam_of(req->ask.ai_family);
	f = req->fast;
	all = req->ask.ai_family == AF_INET6 &&
	      (req->ask.ai_flags & (AI_V4MAPPED | AI_ALL)) ==
		      (AI_V4MAPPED | AI_ALL);
	if (f && action == RULE_NONE) {
		outcome = policy_outcome_settle(req->policy,
						f->outcome[req->host][want]);
		other = all ? f->other_all[req->host]
			    : f->other[req->host][want];
	} else {
		outcome = resolve_decide(req->policy, action, req->host, want);
		/* AI_ALL asks for the IPv4 answers too, as for AF_UNSPEC. */
		other = resolve_fallback(req->policy, action, req->host,
					 all ? FAM_BOTH : want, outcome);
	}
	req->outcome = (int)outcome;
	row = outcome_gai(outcome, req->ask.ai_family);
	if (other != OUTCOME_COUNT)
		fallback = outcome_gai(other, req->ask.ai_family);
	req->refused = true;
	if (row->how == HOW_FAIL) {
		real_freeaddrinfo(list);
		return gai_fail(req, outcome);
	}
	rc = gai_build(req, f, row, fallback, list, classes, &head);
	if (rc == 0 && !head) {
		req->outcome = OUTCOME_FAIL_HOST;
		return gai_fail(req, OUTCOME_FAIL_HOST);
	}
	req->refused = false;
	if (rc == 0)
		*res = head;
	return rc;
}
