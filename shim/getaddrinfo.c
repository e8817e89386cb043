/* SPDX-License-Identifier: MIT */
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
 * The list handed to the program is libc's own, edited in place by
 * gai_rewrite() (shim/gai_rewrite.c).  An IPv4 literal that an ipv6 stack
 * maps is asked for as AF_INET6 with AI_V4MAPPED, so that libc makes it an
 * AF_INET6 entry and nothing grows.  freeaddrinfo() is libc's own, not
 * hooked: every list the program gets is one it frees as its own.
 *
 * A literal asked for with hints and without AI_ADDRCONFIG, under a policy
 * without rules or local-address (the common call, and the smallest, so
 * the one where the shim's own work shows most) takes gai_lean(): libc's
 * answer is handed out as it is, or with the /96 prefix written over its
 * first bytes, whenever gai_build() would do no more than that, as worked
 * out once per policy (gai_lean_of()).
 *
 * The rewriting, gai_rewrite() (shim/gai.h, shim/gai_rewrite.c), takes the
 * real answers and gives the program's list without asking anything of the
 * resolver, so that fuzz/fuzz_getaddrinfo.c calls it with lists of its own.
 */
#include "config.h"

#include <errno.h>
#include <netdb.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "fast.h"
#include "gai.h"
#include "policy.h"
#include "resolve.h"
#include "shim.h"

/* Flags the shim judges itself; the real resolver is asked without them. */
#define GAI_OWN_FLAGS (AI_ADDRCONFIG | AI_V4MAPPED | AI_ALL)



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

/* gai_fast_make - see gai.h. */
__attribute__((noinline)) const struct gai_fast *
gai_fast_make(const struct policy *policy)
{
	unsigned char state = GAI_FAST_NONE;
	struct gai_fast *f = &shim_fast.gai;
	struct in6_addr prefix;
	unsigned have, want, len, loop;
	int family;

	if (!policy || policy_local_address(policy))
		return NULL;
	/* One thread makes it; the others ask the policy meanwhile. */
	if (!atomic_compare_exchange_strong_explicit(
		    &shim_fast.gai_made, &state, GAI_FAST_MAKING,
		    memory_order_acquire, memory_order_acquire))
		return state == GAI_FAST_MADE && f->policy == policy ? f
								     : NULL;
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
	f->enforce = policy_enforce(policy);
	f->logging = shim_logging(policy);
	f->ruled = policy_rule_count(policy) != 0;
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
	atomic_store_explicit(&shim_fast.gai_made, GAI_FAST_MADE,
			      memory_order_release);
	return f;
}

/* gai_fast_forget - see gai.h. */
void gai_fast_forget(void)
{
	atomic_store(&shim_fast.gai_made, GAI_FAST_NONE);
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
	/* 0: a name's; 1: a literal's; 2: the end of what is looked at. */
	static const unsigned char numeric[256] = {
		['0' ... '9'] = 1, ['a' ... 'f'] = 1, ['A' ... 'F'] = 1,
		['x'] = 1, ['X'] = 1, ['.'] = 1, [' '] = 1, ['\t' ... '\r'] = 1,
		[':'] = 2, ['\0'] = 2,
	};
	const unsigned char *p = (const unsigned char *)node;

	/* Most literals start with a digit: asked at once, unscanned. */
	if (*p >= '0' && *p <= '9')
		return false;
	while (numeric[*p] == 1)
		p++;
	return numeric[*p] == 0;
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
	const struct gai_fast *f = req->fast;
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

/* Whether req's policy has rules. */
static inline bool gai_ruled(const struct gai_req *req)
{
	return req->fast ? req->fast->ruled
			 : policy_rule_count(req->policy) != 0;
}

/*
 * Ask the real resolver and decide: the body of the hook, but for audit
 * mode and the log; saved_errno is errno at the call.  Returns what the
 * program is to get, *res filled.
 */
static int gai_decide(struct gai_req *req, const char *node,
		      const char *service, struct addrinfo **res,
		      int saved_errno)
{
	struct addrinfo query, *list = NULL, *answers = NULL;
	int rc, own, real_errno;
	bool ruled;

	query = (struct addrinfo){
		.ai_flags = req->ask.ai_flags & ~GAI_OWN_FLAGS,
		.ai_socktype = req->ask.ai_socktype,
		.ai_protocol = req->ask.ai_protocol,
	};
	req->node = node && (node[0] != '*' || node[1]) ? node : NULL;
	rc = req->node ? gai_ask_literal(req, service, &list) : -1;
	/* A denied name is refused before it is looked up: no query for
	 * it leaves the host (a literal has no name rule).  req->rule is
	 * none until then. */
	if (gai_ruled(req) &&
	    resolve_rule(req->policy, req->node, req->literal, &req->rule) ==
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
	ruled = req->node && !req->literal && gai_ruled(req) &&
		policy_name_ruled(req->policy, req->node);
	if (ruled && list && !(answers = gai_list_dup(list))) {
		real_freeaddrinfo(list);
		errno = saved_errno;
		return EAI_MEMORY;
	}
	rc = gai_rewrite(req, list, res);
	/* Nothing of the family asked: the failure is libc's to tell, a
	 * temporary one (EAI_AGAIN) too, not the policy's.  (Should the
	 * program's question find what AF_UNSPEC did not, a name whose
	 * families live in different sources, its answers are not judged
	 * here: the call stays failed.) */
	if (rc == EAI_NONAME &&
	    !(req->have & resolve_fam_of(req->ask.ai_family)) && !req->literal &&
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
	if (answers)
		real_freeaddrinfo(answers);
	if (rc != EAI_SYSTEM)
		errno = saved_errno;
	return rc;
}

/* gai_log() of a call under a policy that logs. */
static __attribute__((noinline)) void gai_log_call(const struct gai_req *req,
						   int rc)
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

/*
 * Log a call the policy refused or changed: refused it, left answers out,
 * or gave translated or peer-pool addresses.  errno is kept.
 */
static inline void gai_log(const struct gai_req *req, int rc)
{
	if (req->fast ? req->fast->logging : shim_logging(req->policy))
		gai_log_call(req, rc);
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

	gai_req_init(&req, policy, gai_fast_get(policy), hints);
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
 * The call for a node that starts with a digit or a ':', hints given
 * without AI_ADDRCONFIG, of a family that row of policy's gai_fast f
 * asks: what gai_decide() would do, with the work a literal under a
 * policy without rules does not need left out.  The literal is asked as
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
	gai_req_init(&req, policy, gai_fast_get(policy), hints);
	/* An unknown family, and a call the shim could not clean up after,
	 * get libc's own answer. */
	if (!res || !real_freeaddrinfo ||
	    resolve_fam_of(req.ask.ai_family) == FAM_NONE)
		return gai_forward(node, service, hints, res);
	rc = gai_decide(&req, node, service, res, saved_errno);
	gai_log(&req, rc);
	if (req.fast ? req.fast->enforce : policy_enforce(req.policy))
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
	/* A literal, as programs ask for one: it starts with a digit, or
	 * with the ':' of an IPv6 one ("::1"), which no name does. */
	if (node && ((*node >= '0' && *node <= '9') || *node == ':') &&
	    hints && res &&
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
