/*
 * getaddrinfo.c - the getaddrinfo() hook.
 *
 * SPEC §2, getaddrinfo row.  The real resolver is asked with AF_UNSPEC and
 * without the flags the shim judges itself, so that every family the
 * destination has is known and bad hints get libc's own answer; a node is
 * first asked with AI_NUMERICHOST, whose answer, when there is one, is a
 * literal's whole answer, so that a literal costs one call of libc's, and
 * a name one more that fails at once only when it has no character that
 * rules out a literal (gai_is_name()).  The outcome then picks and rewrites
 * the entries, and under fallback the other family's follow them
 * (resolve_fallback(): a dual stack, localhost with ipv4-loopback).  A
 * passive call without a node, and a node that is the wildcard, are binds,
 * not destinations: libc's answers, only filtered (gai_passive()).
 * AI_ADDRCONFIG is judged as on a host of the emulated stack.
 *
 * A name with only IPv6 addresses (or of both families, where the table
 * gives it ipv6: resolve_decide()), asked for as AF_INET by a program whose
 * AF_INET sockets are upgraded, gets AF_INET entries at the peer-pool
 * address of each IPv6 address, in the resolver's order (SPEC §3
 * peer-pool, RFC 6535's address mapper); the program's connect() and
 * sendto() to them reach the real addresses.  An IPv6 address the pool has
 * no room left for is left out, so with the pool exhausted such a name is
 * EAI_NONAME as before.
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
 * An IPv4 literal that an ipv6 stack maps is asked for as AF_INET6 with
 * AI_V4MAPPED, so that libc makes it an AF_INET6 entry and nothing grows.
 * freeaddrinfo() is libc's own, not hooked: every list the program gets
 * is one it frees as its own.
 *
 * A literal asked for with hints and without AI_ADDRCONFIG, under a policy
 * without rules or local-address (the common call, and the smallest, so
 * the one where the shim's own work shows most) takes gai_lean(): libc's
 * answer is handed out as it is, or with the /96 prefix written over its
 * first bytes, whenever gai_build() would do no more than that, as worked
 * out once per policy (gai_lean_of()).
 *
 * The rewriting, gai_rewrite() (shim/gai.h), takes the real answers and
 * gives the program's list without asking anything of the resolver, so
 * that fuzz/fuzz_getaddrinfo.c calls it with lists of its own.
 */
#include "config.h"

#include <errno.h>
#include <netdb.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "gai.h"
#include "policy.h"
#include "resolve.h"
#include "shim.h"

/* Flags the shim judges itself; the real resolver is asked without them. */
#define GAI_OWN_FLAGS (AI_ADDRCONFIG | AI_V4MAPPED | AI_ALL)

/* A row that applies whatever family the program asked. */
#define GAI_ANY (-1)

/* glibc's hints for a program that passes none (AI_DEFAULT). */
static const struct addrinfo gai_default_hints = {
	.ai_flags = AI_V4MAPPED | AI_ADDRCONFIG,
	.ai_family = AF_UNSPEC,
};

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
 * under it (gai_fast_get()) when it has no local-address (whose name is
 * resolved once, later, and may fail): then the decision is the table's
 * and the rules', the same for every call.  Published once with release
 * order and never written after; a copy made by a thread that lost the
 * race is freed.
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

static unsigned char gai_lean_of(const struct policy *policy,
				 const struct gai_fast *f, unsigned kind,
				 unsigned want, bool probed_v6);
static inline void gai_literal_question(struct addrinfo *probe,
					const struct addrinfo *ask, bool v6);

/*
 * Whether node, a literal, is asked for as AF_INET6 with AI_V4MAPPED
 * (gai_ask_literal()): on an ipv6 stack, for an IPv4 literal that is
 * mapped there.  One in 127.0.0.0/8 (loop) that the table gives IPv4
 * (ipv4-loopback) is asked as it is, as an AF_INET answer that stays one.
 * The class of the node is judged from its text: "127." starts every
 * dotted form of 127.0.0.0/8 but the shortest; any other is asked as
 * an IPv4 one, which gai_build() then turns back as needed.
 */
static bool gai_probe_v6(const struct policy *policy, bool loop)
{
	if (policy_stack(policy) != STACK_IPV6)
		return false;
	return !loop || resolve_decide_unsettled(policy, RULE_NONE,
						 FAM_IPV4 | FAM_LOOP4,
						 FAM_BOTH) != OUTCOME_IPV4;
}

/*
 * Whether the IPv4-mapped answers to node asked with flags are the shim's
 * making (it added AI_V4MAPPED to an IPv4 literal), not libc's answer to
 * the program's ask.  An IPv6 literal (it has a ':') is its own answer.
 */
static inline bool gai_probed_v6(const char *node, int flags,
				 const struct addrinfo *ask)
{
	return (flags & AI_V4MAPPED) &&
	       !(ask->ai_family == AF_INET6 &&
		 (ask->ai_flags & AI_V4MAPPED)) &&
	       !strchr(node, ':');
}

/* Whether node's text names an address in 127.0.0.0/8 (gai_probe_v6()). */
static inline bool gai_loop_node(const char *node)
{
	return node[0] == '1' && node[1] == '2' && node[2] == '7' &&
	       node[3] == '.';
}

static _Atomic(struct gai_fast *) gai_fast_the;

/* f->lean[loop][family], the rest of f made. */
static void gai_lean_make(const struct policy *policy, struct gai_fast *f,
			  unsigned loop, int family)
{
	struct gai_lean_row *row = &f->lean[loop][family];
	struct addrinfo ask = {.ai_family = family}, probe;
	unsigned want = resolve_fam_of(family), kind;

	gai_literal_question(&probe, &ask, f->probe_v6[loop]);
	/* A list the shim could not free is not asked for here. */
	row->family = want == FAM_NONE || !real_freeaddrinfo ? GAI_NOT_ASKED
							     : probe.ai_family;
	row->flags = probe.ai_flags;
	for (kind = 0; kind < KIND_COUNT; kind++)
		row->op[kind] = gai_lean_of(policy, f, kind, want,
					    (probe.ai_flags & AI_V4MAPPED) != 0);
}

static __attribute__((noinline)) const struct gai_fast *
gai_fast_make(const struct policy *policy)
{
	struct gai_fast *f = atomic_load_explicit(&gai_fast_the,
						  memory_order_acquire);
	struct gai_fast *none = NULL;
	struct in6_addr prefix;
	unsigned have, want, len, loop;
	int family;

	if (!policy || f || policy_local_address(policy) ||
	    !(f = malloc(sizeof(*f))))
		return NULL;
	f->policy = policy;
	for (have = 0; have < GAI_CLASSES; have++)
		for (want = 0; want <= FAM_BOTH; want++) {
			enum policy_outcome o = resolve_decide_unsettled(
				policy, RULE_NONE, have, want);

			f->outcome[have][want] = (unsigned char)o;
			f->other[have][want] = (unsigned char)resolve_fallback(
				policy, RULE_NONE, have, want, o);
		}
	for (have = 0; have < GAI_CLASSES; have++)
		f->other_all[have] = (unsigned char)resolve_fallback(
			policy, RULE_NONE, have, FAM_BOTH,
			f->outcome[have][FAM_IPV6]);
	f->sockets = policy_socket_fams(policy);
	for (loop = 0; loop < 2; loop++)
		f->probe_v6[loop] = gai_probe_v6(policy, loop);
	f->loop_apart = f->probe_v6[0] != f->probe_v6[1];
	/* Not asked under auto: found at the first decision needing it. */
	len = 0;
	if (!policy_translate_auto(policy))
		policy_translate_prefix(policy, &prefix, &len);
	f->prefix96 = len == 96;
	f->prefix_bytes = len / 8;
	f->v6_general = policy_translate_auto(policy) &&
			policy_may_map(policy);
	if (len)
		memcpy(f->prefix, prefix.s6_addr, sizeof(f->prefix));
	for (loop = 0; loop < 2; loop++)
		for (family = 0; family <= AF_INET6; family++)
			gai_lean_make(policy, f, loop, family);
	if (atomic_compare_exchange_strong_explicit(&gai_fast_the, &none, f,
						    memory_order_acq_rel,
						    memory_order_acquire))
		return f;
	free(f);
	return none->policy == policy ? none : NULL;
}

/*
 * The gai_fast of policy, NULL when it has a local-address or there is no
 * memory for it (the callers then ask the policy itself).
 */
static inline const struct gai_fast *gai_fast_get(const struct policy *policy)
{
	const struct gai_fast *f = atomic_load_explicit(&gai_fast_the,
							memory_order_acquire);

	if (__builtin_expect(f && f->policy == policy, 1))
		return f;
	return gai_fast_make(policy);
}

/* gai_fast_forget - see gai.h. */
void gai_fast_forget(void)
{
	free(atomic_exchange(&gai_fast_the, NULL));
}

struct gai_addr {
	union {
		struct sockaddr sa;
		struct sockaddr_in sin;
		struct sockaddr_in6 sin6;
	} u;
	socklen_t len;
};

/* How an entry is handed out (gai_convert()). */
enum gai_how {
	HOW_FAIL,		/* no entry: the call fails */
	HOW_COPY,		/* as it is */
	HOW_IPV4,		/* as AF_INET */
	HOW_NATIVE,		/* as libc made it: IPv6 as it is, IPv4 too but
				 * as AF_INET where the shim asked it mapped
				 * or AF_INET6 sockets do not exist */
	HOW_MAPPED,		/* AF_INET6 as it is, IPv4 as ::ffff:a.b.c.d */
	HOW_TRANSLATED,		/* at the translated address */
	HOW_POOLED,		/* at its peer-pool address */
};

/*
 * What each outcome hands the program, by the family it asked (SPEC §2):
 * the class of the answers kept and how each is written.  A row that
 * hands nothing out fails.  The last row catches everything else:
 * fail-host and fail-local.
 */
static const struct gai_action {
	enum policy_outcome outcome;
	int family;
	unsigned from;
	enum gai_how how;
} gai_actions[] = {
	{OUTCOME_IPV4, AF_INET6, FAM_IPV4, HOW_MAPPED},
	{OUTCOME_IPV4, AF_INET, FAM_IPV4, HOW_IPV4},
	{OUTCOME_IPV4, GAI_ANY, FAM_IPV4, HOW_NATIVE},
	{OUTCOME_IPV6, AF_INET, FAM_IPV6, HOW_POOLED},
	{OUTCOME_IPV6, GAI_ANY, FAM_IPV6, HOW_COPY},
	{OUTCOME_MAP, AF_INET, FAM_IPV4, HOW_IPV4},
	{OUTCOME_MAP, GAI_ANY, FAM_IPV4, HOW_TRANSLATED},
	{OUTCOME_COUNT, GAI_ANY, FAM_NONE, HOW_FAIL},
};

/* The row of gai_actions for outcome, asked for family. */
static inline const struct gai_action *gai_row(enum policy_outcome outcome,
					       int family)
{
	const struct gai_action *row = gai_actions;

	while (row->outcome != OUTCOME_COUNT &&
	       (row->outcome != outcome ||
		(row->family != GAI_ANY && row->family != family)))
		row++;
	return row;
}

/* What a conversion makes of an entry. */
enum gai_conv {
	GAI_DROP,		/* left out */
	GAI_KEEP,		/* handed out as it is */
	GAI_WRITE,		/* handed out at the address written to out */
};

/*
 * The policy that classes req's answers as destinations (resolve_ai_fam(),
 * a DNS64 answer an IPv4 host); NULL without a node: those are the host's
 * own loopback and wildcard addresses, classed as they are.
 */
static inline const struct policy *gai_dests(const struct gai_req *req)
{
	return req->node ? req->policy : NULL;
}

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
			      struct gai_addr *out, bool translate)
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
	return src->ai_addrlen > sizeof(((struct gai_addr *)0)->u)
		       ? GAI_DROP
		       : GAI_KEEP;
}

static inline enum gai_conv gai_ipv4(const struct policy *policy,
				     const struct addrinfo *src,
				     struct gai_addr *out)
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
				struct gai_addr *out)
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

/* What src becomes, handed out how: GAI_WRITE with its address in out. */
static inline enum gai_conv gai_convert(struct gai_req *req,
					const struct gai_fast *f,
					enum gai_how how,
					const struct addrinfo *src,
					struct gai_addr *out)
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
		    (resolve_ai_fam(gai_dests(req), src) == FAM_IPV6 ||
		     (!req->probed_v6 &&
		      ((f ? f->sockets : policy_socket_fams(req->policy)) &
		       FAM_IPV6))))
			return gai_copy(src);
		return gai_ipv4(gai_dests(req), src, out);
	case HOW_MAPPED:
		/* As glibc: an IPv4 answer is an AF_INET6 one only under
		 * AI_V4MAPPED, the program's own. */
		if (src->ai_family == AF_INET6 &&
		    !(req->probed_v6 &&
		      resolve_ai_fam(gai_dests(req), src) != FAM_IPV6))
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
 * What gai_build() would make of a literal's answer, entries of kind asked
 * for as want (FAM_* bits) under policy, whose gai_fast f is being made,
 * said as a gai_lean_op: LEAN_NO unless gai_convert() keeps every entry
 * (or only gives it f's /96 prefix), the family is one the program may
 * open sockets of, and gai_log() has nothing to say.  A policy with rules,
 * or in audit mode, gets LEAN_NO throughout.
 */
static unsigned char gai_lean_of(const struct policy *policy,
				 const struct gai_fast *f, unsigned kind,
				 unsigned want, bool probed_v6)
{
	static const uint8_t mapped[12] = {[10] = 0xff, [11] = 0xff};
	static const int family_of[FAM_BOTH + 1] = {
		[FAM_IPV4] = AF_INET, [FAM_IPV6] = AF_INET6,
		[FAM_BOTH] = AF_UNSPEC,
	};
	unsigned host = gai_kind_class[kind];
	bool mapped_kind = kind == KIND_MAPPED || kind == KIND_MAPPED_LOOP;
	bool v6 = kind == KIND_INET6 || mapped_kind;
	enum policy_outcome outcome = f->outcome[host][want];
	const struct gai_action *row = gai_row(outcome, family_of[want]);
	const struct in_addr loopback = {.s_addr = htonl(INADDR_LOOPBACK)};

	/* Under auto a map may settle as fail-host: the general path's. */
	if (outcome == OUTCOME_MAP && policy_translate_auto(policy))
		return LEAN_NO;
	if (policy_rule_count(policy) || !policy_enforce(policy) ||
	    kind == KIND_OTHER || want == FAM_NONE || !(host & row->from) ||
	    !(f->sockets & (v6 ? FAM_IPV6 : FAM_IPV4)) ||
	    (outcome == OUTCOME_MAP && want != FAM_IPV4 &&
	     shim_logging(policy)))
		return LEAN_NO;
	switch (row->how) {
	case HOW_COPY:
		return LEAN_KEEP;
	case HOW_IPV4:
		return v6 ? LEAN_NO : LEAN_KEEP;
	case HOW_NATIVE:
		return !v6 || (!probed_v6 && (f->sockets & FAM_IPV6))
			       ? LEAN_KEEP
			       : LEAN_NO;
	case HOW_MAPPED:
		return v6 && !(mapped_kind && probed_v6) ? LEAN_KEEP : LEAN_NO;
	case HOW_TRANSLATED:
		/* Under the well-known prefix the address decides
		 * (resolve_translatable()). */
		if (!mapped_kind || !f->prefix96 ||
		    policy_translate_by_address(policy) ||
		    (kind == KIND_MAPPED_LOOP &&
		     !policy_translatable(policy, &loopback)))
			return LEAN_NO;
		return memcmp(f->prefix, mapped, sizeof(mapped)) ? LEAN_PREFIX
								 : LEAN_KEEP;
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
static inline bool gai_place(struct addrinfo **ai, const struct gai_addr *addr)
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
 * The list that row, and then fallback (NULL: none; resolve_fallback())
 * for the answers row does not take, make of the real answers, list: row's
 * entries in their order, then fallback's in theirs, with the canonical
 * name of list's first entry on the first entry as glibc puts it; list is
 * used up, its entries edited in place or freed.  An entry of a family the
 * program cannot open a socket of is never handed out.  From the first
 * DNS64 answer on (gai_embedded()), whose A record is often there too, an
 * entry that repeats one before it is left out: both become one address.
 * Returns 0 (*res NULL when nothing is left) or EAI_MEMORY (nothing left
 * of list).
 */
static int gai_build(struct gai_req *req, const struct gai_action *row,
		     const struct gai_action *fallback, struct addrinfo *list,
		     struct addrinfo **res)
{
	const struct gai_fast *f = gai_fast_get(req->policy);
	unsigned sockets = f ? f->sockets : policy_socket_fams(req->policy);
	unsigned asked = resolve_fam_of(req->ask.ai_family);
	struct addrinfo *heads[2] = {NULL, NULL}, **tails[2], *head;
	struct addrinfo *src, *next;
	const struct gai_action *by;
	char *canonname = NULL;
	struct gai_addr addr;
	bool dedupe = false;

	tails[0] = &heads[0];
	tails[1] = &heads[1];
	if (list) {
		canonname = list->ai_canonname;
		list->ai_canonname = NULL;
	}
	for (src = list; src; src = next) {
		unsigned fam = resolve_ai_fam(gai_dests(req), src);
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
			conv = gai_convert(req, f, by->how, src, &addr);
		if (conv == GAI_KEEP)
			family = src->ai_addr->sa_family;
		else if (conv == GAI_WRITE)
			family = addr.u.sa.sa_family;
		if (conv == GAI_DROP || !(resolve_fam_of(family) & sockets)) {
			real_freeaddrinfo(src);
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
			real_freeaddrinfo(src);
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

/*
 * SPEC §2: fail-local is EAI_SYSTEM, fail-host depends on the node, a
 * denied name is EAI_NONAME.
 */
static int gai_fail(const struct gai_req *req, enum policy_outcome outcome)
{
	if (outcome == OUTCOME_FAIL_LOCAL) {
		errno = EADDRNOTAVAIL;
		return EAI_SYSTEM;
	}
	if (outcome == OUTCOME_DENY)
		return EAI_NONAME;
	return req->literal || !req->node ? EAI_ADDRFAMILY : EAI_NONAME;
}

/* gai_build()'s list, or the failure of no list left (SPEC §2). */
static int gai_finish(struct gai_req *req, const struct gai_action *row,
		      const struct gai_action *fallback, struct addrinfo *list,
		      struct addrinfo **res)
{
	struct addrinfo *head;
	int rc = gai_build(req, row, fallback, list, &head);

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
			struct addrinfo **res)
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
	return gai_finish(req, &row, NULL, list, res);
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
		       struct addrinfo **res)
{
	static const struct gai_action rows[] = {
		[AF_UNSPEC] = {OUTCOME_COUNT, AF_UNSPEC, FAM_BOTH, HOW_NATIVE},
		[AF_INET] = {OUTCOME_COUNT, AF_INET, FAM_IPV4, HOW_IPV4},
		[AF_INET6] = {OUTCOME_COUNT, AF_INET6, FAM_BOTH, HOW_MAPPED},
	};

	return gai_finish(req, &rows[req->ask.ai_family], NULL, list, res);
}

/* gai_req_init - see gai.h. */
void gai_req_init(struct gai_req *req, const struct policy *policy)
{
	*req = (struct gai_req){
		.policy = policy,
		.ask = gai_default_hints,
		.mask = FAM_BOTH,
		.outcome = -1,
	};
}

/* gai_rewrite - see gai.h. */
int gai_rewrite(struct gai_req *req, struct addrinfo *list,
		struct addrinfo **res)
{
	const struct gai_action *row, *fallback = NULL;
	const struct gai_fast *f;
	struct addrinfo *head;
	enum policy_action action;
	enum policy_outcome outcome, other;
	unsigned want;
	bool all;
	int rc;

	if (!req->node)
		return req->ask.ai_flags & AI_PASSIVE
			       ? gai_passive(req, list, res)
			       : gai_loopback(req, list, res);
	if (gai_all_any(list))
		return gai_passive(req, list, res);
	action = req->rule.action;
	req->host = resolve_class_in(resolve_list_fams(gai_dests(req), list),
				     req->mask);
	want = resolve_fam_of(req->ask.ai_family);
	f = gai_fast_get(req->policy);
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
	row = gai_row(outcome, req->ask.ai_family);
	if (other != OUTCOME_COUNT)
		fallback = gai_row(other, req->ask.ai_family);
	req->refused = true;
	if (row->how == HOW_FAIL) {
		real_freeaddrinfo(list);
		return gai_fail(req, outcome);
	}
	rc = gai_build(req, row, fallback, list, &head);
	if (rc == 0 && !head) {
		req->outcome = OUTCOME_FAIL_HOST;
		return gai_fail(req, OUTCOME_FAIL_HOST);
	}
	req->refused = false;
	if (rc == 0)
		*res = head;
	return rc;
}

/*
 * Whether the real getaddrinfo() answers, its list freed at once: asked
 * for no node with AI_ADDRCONFIG, whether the real host has an address of
 * family as glibc judges it.
 */
static bool gai_answers(const char *node, const char *service, int flags,
			int family)
{
	struct addrinfo hints = {.ai_flags = flags, .ai_family = family};
	struct addrinfo *list;

	if (real_getaddrinfo(node, service, &hints, &list) != 0)
		return false;
	real_freeaddrinfo(list);
	return true;
}

/*
 * AI_ADDRCONFIG as glibc applies it, on a host that has only the addresses
 * of the families the emulated stack has (and IPv4 on an ipv6 stack with
 * mapped addresses, whose IPv4 hosts are reached as map): an AF_UNSPEC
 * request narrows to the one family seen, a request for a family not seen
 * fails.  When the policy upgrades AF_INET sockets, an AF_INET request is
 * also seen on a host with IPv6: such a socket is AF_INET6 in the kernel,
 * and reaches IPv6-only names through their peer-pool addresses; and IPv4
 * is seen for a node wherever the policy maps IPv4 hosts.  Returns 0
 * (req->mask set) or EAI_NONAME.
 */
static int gai_addrconfig(struct gai_req *req)
{
	static const int flags = AI_ADDRCONFIG | AI_PASSIVE;
	unsigned visible = resolve_addrconfig_fams(req->policy), seen = FAM_NONE;
	unsigned want = resolve_fam_of(req->ask.ai_family);

	if ((visible & FAM_IPV4) && gai_answers(NULL, "0", flags, AF_INET))
		seen |= FAM_IPV4;
	if ((visible & FAM_IPV6) && gai_answers(NULL, "0", flags, AF_INET6))
		seen |= FAM_IPV6;
	if (want == FAM_IPV4 && (seen & FAM_IPV6) &&
	    local_upgrades(req->policy))
		seen |= FAM_IPV4;
	/* An IPv4 host the policy maps is reached through the
	 * translate-prefix, whatever IPv4 the host has: on an IPv6-only
	 * host behind NAT64, IPv4 names are usable. */
	if (req->node && !(seen & FAM_IPV4) && (want & FAM_IPV4) &&
	    resolve_decide(req->policy, req->rule.action, FAM_IPV4, want) ==
		    OUTCOME_MAP)
		seen |= FAM_IPV4;
	if (want == FAM_BOTH) {
		if (seen == FAM_IPV4 || seen == FAM_IPV6)
			req->mask = seen;
		return 0;
	}
	return (seen & want) ? 0 : EAI_NONAME;
}

static int gai_forward(const char *node, const char *service,
		       const struct addrinfo *hints, struct addrinfo **res)
{
	if (real_getaddrinfo)
		return real_getaddrinfo(node, service, hints, res);
	errno = ENOSYS;
	return EAI_SYSTEM;
}

/*
 * A copy of list's entries and addresses, in glibc's layout, for
 * real_freeaddrinfo() to free; NULL for an empty list or no memory.
 */
static struct addrinfo *gai_list_dup(const struct addrinfo *list)
{
	struct addrinfo *head = NULL, **tail = &head, *ai;

	for (; list; list = list->ai_next) {
		ai = malloc(sizeof(*ai) + list->ai_addrlen);
		if (!ai) {
			real_freeaddrinfo(head);
			return NULL;
		}
		*ai = *list;
		ai->ai_canonname = NULL;
		ai->ai_next = NULL;
		if (list->ai_addr) {
			ai->ai_addr = (struct sockaddr *)(ai + 1);
			memcpy(ai->ai_addr, list->ai_addr, list->ai_addrlen);
		}
		*tail = ai;
		tail = &ai->ai_next;
	}
	return head;
}

/*
 * Whether node is surely a name: it has a character that no numeric form
 * glibc reads has (inet_aton()'s digits, hex digits, x, dots, and the
 * blanks it stops at; anything after the ':' of an IPv6 address, whose
 * scope may be an interface name).  A node that starts with a digit is
 * not looked at: libc is asked.
 */
static bool gai_is_name(const char *node)
{
	static const unsigned char numeric[256] = {
		['0' ... '9'] = 1, ['a' ... 'f'] = 1, ['A' ... 'F'] = 1,
		['x'] = 1, ['X'] = 1, ['.'] = 1, [' '] = 1, ['\t' ... '\r'] = 1,
		[':'] = 2,
	};
	const unsigned char *p = (const unsigned char *)node;

	/* Most literals start with a digit: asked at once, unscanned. */
	if (*p >= '0' && *p <= '9')
		return false;
	for (; *p; p++) {
		if (numeric[*p] == 2)
			return false;
		if (!numeric[*p])
			return true;
	}
	return false;
}

/*
 * The question a literal is asked with, for a program that asked ask: the
 * real resolver's (ask's socket type and protocol, its flags without the
 * shim's own) with AI_NUMERICHOST; and when v6 (probe_v6), for a program
 * that did not ask AF_INET, AF_INET6 with AI_V4MAPPED.
 */
static inline void gai_literal_question(struct addrinfo *probe,
					const struct addrinfo *ask, bool v6)
{
	*probe = (struct addrinfo){
		.ai_flags = (ask->ai_flags & ~GAI_OWN_FLAGS) | AI_NUMERICHOST,
		.ai_socktype = ask->ai_socktype,
		.ai_protocol = ask->ai_protocol,
	};
	if (v6 && ask->ai_family != AF_INET) {
		probe->ai_family = AF_INET6;
		probe->ai_flags |= AI_V4MAPPED;
	}
}

/*
 * Ask the real resolver for req->node as a literal (gai_literal_question())
 * and set req->literal.  On an ipv6 stack, for a program
 * that did not ask AF_INET, the question is AF_INET6 with AI_V4MAPPED: an
 * IPv4 literal, which can only be map there, then comes back as an
 * AF_INET6 entry at ::ffff:a.b.c.d, which has the room of its translated
 * address, and is still of the IPv4 class (resolve_ai_fam()).  Returns 0
 * with *list the literal's whole answer; else nonzero, *list untouched:
 * the node is a name (EAI_NONAME: it has a character no numeric form has,
 * and is not asked; or libc says EAI_NONAME, which only a node that is not
 * numeric gets unless AI_NUMERICSERV is asked), or resolve_numeric()
 * decided.
 */
static int gai_ask_literal(struct gai_req *req, const char *service,
			   struct addrinfo **list)
{
	const struct gai_fast *f = gai_fast_get(req->policy);
	struct addrinfo probe;
	bool loop;
	int rc;

	if (!(req->ask.ai_flags & AI_NUMERICHOST) && gai_is_name(req->node))
		return EAI_NONAME;
	loop = gai_loop_node(req->node);
	gai_literal_question(&probe, &req->ask,
			     f ? f->probe_v6[loop]
			       : gai_probe_v6(req->policy, loop));
	rc = gai_forward(req->node, service, &probe, list);
	req->probed_v6 = gai_probed_v6(req->node, probe.ai_flags, &req->ask);
	if (rc == 0 || (req->ask.ai_flags & AI_NUMERICHOST))
		req->literal = true;
	else if (rc != EAI_NONAME || (req->ask.ai_flags & AI_NUMERICSERV))
		req->literal = resolve_numeric(req->node);
	return rc;
}

/*
 * Ask the real resolver req's program's own question (its family, its
 * flags but the shim's own), for libc's own failure where the shim's
 * AF_UNSPEC question lost it.  Returns its answer, *list set on 0.
 */
static int gai_own_question(const struct gai_req *req, const char *node,
			    const char *service, struct addrinfo **list)
{
	struct addrinfo query = {
		.ai_flags = req->ask.ai_flags & ~GAI_OWN_FLAGS,
		.ai_family = req->ask.ai_family,
		.ai_socktype = req->ask.ai_socktype,
		.ai_protocol = req->ask.ai_protocol,
	};

	return gai_forward(node, service, &query, list);
}

/*
 * Ask the real resolver and decide: the body of the hook, but for audit
 * mode and the log.  Returns what the program is to get, *res filled.
 */
static int gai_decide(struct gai_req *req, const char *node,
		      const char *service, struct addrinfo **res)
{
	struct addrinfo query, *list = NULL, *answers = NULL;
	int rc, own, real_errno, saved_errno = errno;
	bool ruled, none_asked;

	query = (struct addrinfo){
		.ai_flags = req->ask.ai_flags & ~GAI_OWN_FLAGS,
		.ai_socktype = req->ask.ai_socktype,
		.ai_protocol = req->ask.ai_protocol,
	};
	req->node = (node && strcmp(node, "*") != 0) ? node : NULL;
	rc = req->node ? gai_ask_literal(req, service, &list) : -1;
	/* A denied name is refused before it is looked up: no query for
	 * it leaves the host (a literal has no name rule). */
	if (resolve_rule(req->policy, req->node, req->literal, &req->rule) ==
	    RULE_DENY) {
		req->outcome = OUTCOME_DENY;
		req->refused = true;
		return gai_fail(req, OUTCOME_DENY);
	}
	if (rc != 0)
		rc = gai_forward(node, service, &query, &list);
	/* What AF_UNSPEC cannot find, the program's own family may tell
	 * apart (EAI_ADDRFAMILY for "::1%lo" as AF_INET). */
	if (rc != 0 && rc != EAI_BADFLAGS && req->ask.ai_family != AF_UNSPEC)
		rc = gai_own_question(req, node, service, &list);
	real_errno = errno;
	/* glibc checks the flags before AI_ADDRCONFIG, everything else after. */
	if (rc == EAI_BADFLAGS)
		return rc;
	own = (req->ask.ai_flags & AI_ADDRCONFIG) ? gai_addrconfig(req) : 0;
	if (own || rc) {
		if (rc == 0)
			real_freeaddrinfo(list);
		req->refused = own != 0;
		errno = own ? saved_errno : real_errno;
		return own ? own : rc;
	}
	/* The name's rules follow the addresses libc gave for it, when the
	 * program was given some (in audit mode, libc's answer): kept for
	 * a name some rule covers, since the rewriting uses list up. */
	ruled = req->node && !req->literal &&
		policy_rule_count(req->policy) &&
		policy_name_ruled(req->policy, req->node);
	if (ruled && list && !(answers = gai_list_dup(list))) {
		real_freeaddrinfo(list);
		errno = saved_errno;
		return EAI_MEMORY;
	}
	none_asked = !(resolve_list_fams(gai_dests(req), list) &
		       resolve_fam_of(req->ask.ai_family));
	rc = gai_rewrite(req, list, res);
	/* Nothing of the family asked: the failure is libc's to tell, a
	 * temporary one (EAI_AGAIN) too, not the policy's.  (Should the
	 * program's question find what AF_UNSPEC did not, a name whose
	 * families live in different sources, its answers are not judged
	 * here: the call stays failed.) */
	if (rc == EAI_NONAME && none_asked && !req->literal &&
	    req->ask.ai_family != AF_UNSPEC) {
		struct addrinfo *own = NULL;

		rc = gai_own_question(req, node, service, &own);
		if (rc == 0)
			real_freeaddrinfo(own);
		req->refused = rc == 0;
		rc = rc ? rc : EAI_NONAME;
	}
	/* An answer the name's rules would not follow is not handed out. */
	if (ruled && (rc == 0 || !policy_enforce(req->policy)) &&
	    !names_remember(req->policy, req->node, answers) && rc == 0) {
		real_freeaddrinfo(*res);
		req->refused = true;
		rc = EAI_MEMORY;
	}
	real_freeaddrinfo(answers);
	if (rc != EAI_SYSTEM)
		errno = saved_errno;
	return rc;
}

/*
 * Log a call the policy refused or changed: refused it, left answers out,
 * or gave translated or peer-pool addresses.  errno is kept.
 */
static void gai_log(const struct gai_req *req, int rc)
{
	const char *reason = NULL;
	int saved_errno;

	if (req->refused && req->outcome < 0)
		reason = "addrconfig";
	else if (!req->refused && req->pooled)
		reason = "peer-pool";
	else if (!req->refused && req->dropped)
		reason = "filtered";
	else if (!req->refused && (req->outcome != OUTCOME_MAP ||
				   req->ask.ai_family == AF_INET))
		return;		/* the answers are libc's (AF_INET under map) */
	saved_errno = errno;
	resolve_log(req->policy, "getaddrinfo", req->ask.ai_family, req->node,
		    req->host, req->outcome, &req->rule,
		    req->refused ? resolve_error_name(rc) : NULL, reason);
	errno = saved_errno;
}

/* gai_lean()'s answer when it leaves the call to gai_decide(). */
#define GAI_NOT_LEAN 1

/*
 * The rest of gai_lean() for a literal, list libc's answer to row's question,
 * that f->lean does not hand out as it is: what gai_decide() does with it.
 */
static __attribute__((noinline)) int
gai_literal(const struct policy *policy, const struct gai_lean_row *row,
	    struct addrinfo *list, const char *node,
	    const struct addrinfo *hints, struct addrinfo **res,
	    int saved_errno)
{
	struct gai_req req;
	int rc;

	gai_req_init(&req, policy);
	req.ask = *hints;
	req.node = node;
	req.literal = true;
	req.probed_v6 = gai_probed_v6(node, row->flags, hints);
	rc = gai_rewrite(&req, list, res);
	if (rc != EAI_SYSTEM)
		errno = saved_errno;
	gai_log(&req, rc);
	return rc;
}

/*
 * The rest of gai_lean() for list, libc's answer to a literal, when it is
 * not one entry to hand out as it is: each entry handed out as row->op
 * says, or the whole answer given to gai_literal().
 */
static __attribute__((noinline)) int
gai_lean_list(const struct policy *policy, const struct gai_fast *f,
	      const struct gai_lean_row *row, struct addrinfo *list,
	      const char *node, const struct addrinfo *hints,
	      struct addrinfo **res, int saved_errno)
{
	unsigned kind = gai_kind(f, list), op = row->op[kind];
	struct addrinfo *ai;

	/* Every entry of a literal's answer has its one address, and only
	 * the first a canonical name, as glibc gives it: an answer that has
	 * not is left to gai_rewrite(). */
	for (ai = list->ai_next; ai && op != LEAN_NO; ai = ai->ai_next)
		if (gai_kind(f, ai) != kind || ai->ai_canonname)
			op = LEAN_NO;
	if (op == LEAN_NO)
		return gai_literal(policy, row, list, node, hints, res,
				   saved_errno);
	for (ai = list; ai; ai = ai->ai_next) {
		ai->ai_flags = hints->ai_flags;
		if (op == LEAN_PREFIX)
			memcpy(((struct sockaddr_in6 *)ai->ai_addr)
				       ->sin6_addr.s6_addr,
			       f->prefix, sizeof(f->prefix));
	}
	*res = list;
	return 0;
}

/*
 * The call for a node that starts with a digit, hints given without
 * AI_ADDRCONFIG, of a family that row of policy's gai_fast f asks: what
 * gai_decide() would do, with the work a literal under a policy without
 * rules does not need left out.  The literal is asked as
 * gai_ask_literal() asks it, and its answer is handed out as row->op
 * says, with the program's flags (as gai_build() does), or else given to
 * gai_rewrite() as gai_decide() would give it.  Returns GAI_NOT_LEAN,
 * errno and *res untouched, when libc finds no literal there, for
 * gai_decide() to ask it all again.
 */
static inline int gai_lean(const struct policy *policy,
			   const struct gai_fast *f,
			   const struct gai_lean_row *row, const char *node,
			   const char *service, const struct addrinfo *hints,
			   struct addrinfo **res)
{
	int saved_errno = errno;
	struct addrinfo probe = {
		.ai_flags = (hints->ai_flags & ~GAI_OWN_FLAGS) | row->flags,
		.ai_family = row->family,
		.ai_socktype = hints->ai_socktype,
		.ai_protocol = hints->ai_protocol,
	};
	struct addrinfo *list;

	if (real_getaddrinfo(node, service, &probe, &list) != 0) {
		errno = saved_errno;
		return GAI_NOT_LEAN;
	}
	/* The answer of a program that names a socket type: one entry. */
	if (__builtin_expect(!list->ai_next &&
				     row->op[gai_kind(f, list)] == LEAN_KEEP,
			     1)) {
		list->ai_flags = hints->ai_flags;
		*res = list;
		return 0;
	}
	return gai_lean_list(policy, f, row, list, node, hints, res,
			     saved_errno);
}

/* f's lean row for node asked as family (0 to AF_INET6). */
static inline const struct gai_lean_row *
gai_lean_row(const struct gai_fast *f, const char *node, int family)
{
	/* Only an ipv6 stack with ipv4-loopback asks loopback apart. */
	if (__builtin_expect(f->loop_apart, 0) && gai_loop_node(node))
		return &f->lean[1][family];
	return &f->lean[0][family];
}

static __attribute__((noinline)) int
shim_getaddrinfo(const struct policy *policy, const char *node,
		 const char *service, const struct addrinfo *hints,
		 struct addrinfo **res)
{
	struct gai_req req;
	int rc, saved_errno = errno;

	if (!policy)
		return EAI_FAIL;
	gai_req_init(&req, policy);
	if (hints)
		req.ask = *hints;
	/* An unknown family, and a call the shim could not clean up after,
	 * get libc's own answer. */
	if (!res || !real_freeaddrinfo ||
	    resolve_fam_of(req.ask.ai_family) == FAM_NONE)
		return gai_forward(node, service, hints, res);
	rc = gai_decide(&req, node, service, res);
	gai_log(&req, rc);
	if (policy_enforce(req.policy))
		return rc;
	/* Audit mode: told, not done; the program gets libc's answer. */
	if (rc == 0)
		real_freeaddrinfo(*res);
	errno = saved_errno;
	return gai_forward(node, service, hints, res);
}

/*
 * getaddrinfo - the interposed getaddrinfo(3).  Returns 0 with *res a list
 * to free with freeaddrinfo(), holding only what the policy lets the
 * program use (AF_INET entries at peer-pool addresses for a name with only
 * IPv6 addresses asked for as AF_INET, when the policy upgrades AF_INET
 * sockets); EAI_NONAME (a name) or EAI_ADDRFAMILY (a literal) when the
 * host fails to resolve; EAI_SYSTEM with errno EADDRNOTAVAIL when the local
 * address fails; EAI_FAIL when no policy could be loaded; otherwise libc's
 * own answer.  Before initialisation completes the call is libc's.
 */
SHIM_EXPORT int getaddrinfo(const char *node, const char *service,
			    const struct addrinfo *hints, struct addrinfo **res)
{
	const struct policy *policy;
	const struct gai_fast *f;
	const struct gai_lean_row *row;
	int rc;

	shim_init_ensure();
	policy = shim_policy();
	/* A literal, as programs ask for one. */
	if (node && *node >= '0' && *node <= '9' && hints && res &&
	    (unsigned)hints->ai_family <= AF_INET6 &&
	    !(hints->ai_flags & AI_ADDRCONFIG) &&
	    (f = gai_fast_get(policy)) &&
	    (row = gai_lean_row(f, node, hints->ai_family))->family !=
		    GAI_NOT_ASKED &&
	    (rc = gai_lean(policy, f, row, node, service, hints, res)) !=
		    GAI_NOT_LEAN)
		return rc;
	return shim_getaddrinfo(policy, node, service, hints, res);
}
