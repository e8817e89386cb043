/* SPDX-License-Identifier: MIT */
/*
 * resolve.h - what the name-resolution hooks (getaddrinfo.c,
 * gethostbyname.c, getnameinfo.c) share.  Private to shim/.
 *
 * A destination's table class is learnt from the real resolver: a literal
 * by its own address (policy_addr_class(), so ::ffff:a.b.c.d is IPv4 and
 * 127.0.0.0/8 loopback), a name by the class of every answer it has
 * (policy_class_add()), asked with AF_UNSPEC and without AI_ADDRCONFIG.
 * The local class is shim_local_fam(): resolution has no socket, so binds
 * the program made do not count.
 *
 * The helpers are static inline so that the hooks share them without a
 * source file of their own.
 */
#ifndef STACKSHIM_RESOLVE_H
#define STACKSHIM_RESOLVE_H

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include "policy.h"
#include "shim.h"
#include "sockaddr.h"

/*
 * resolve_ai_fam - the table class of one addrinfo entry under policy
 * (NULL: none): FAM_IPV4 for an AF_INET address, an IPv4-mapped AF_INET6
 * one, or one inside the translate-prefix (a DNS64 answer, which embeds an
 * IPv4 host: policy_dest_class()), with FAM_LOOP4 when the IPv4 address
 * is in 127.0.0.0/8, FAM_IPV6 for any other AF_INET6 address, FAM_NONE for
 * another family and for an entry whose address is missing or shorter
 * than its family's sockaddr.
 */
static inline unsigned resolve_ai_fam(const struct policy *policy,
				      const struct addrinfo *ai)
{
	const struct sockaddr_in6 *sin6 = (const void *)ai->ai_addr;
	const struct sockaddr_in *sin = (const void *)ai->ai_addr;
	const uint8_t *v4;

	if (!ai->ai_addr)
		return FAM_NONE;
	if (ai->ai_family == AF_INET) {
		if (ai->ai_addrlen < sizeof(*sin))
			return FAM_NONE;
		v4 = (const uint8_t *)&sin->sin_addr;
	} else if (ai->ai_family == AF_INET6 &&
		   ai->ai_addrlen >= sizeof(*sin6)) {
		/* policy_addr_class()'s rule, without a policy_addr. */
		if (!IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
			return policy ? policy_ip6_class(policy,
							 &sin6->sin6_addr)
				      : FAM_IPV6;
		}
		v4 = sin6->sin6_addr.s6_addr + 12;
	} else {
		return FAM_NONE;
	}
	return v4[0] == 127 ? FAM_IPV4 | FAM_LOOP4 : FAM_IPV4;
}

/*
 * resolve_list_fams - the class of a list's addresses: resolve_ai_fam()
 * of each folded by policy_class_add(); the classes of its first n
 * entries also in classes[], in their order (NULL with n 0: none kept).
 */
static inline unsigned resolve_list_fams(const struct policy *policy,
					 const struct addrinfo *list,
					 unsigned char *classes, size_t n)
{
	unsigned fams = FAM_NONE, fam;
	size_t i;

	for (i = 0; list; list = list->ai_next, i++) {
		fam = resolve_ai_fam(policy, list);
		if (i < n)
			classes[i] = (unsigned char)fam;
		fams = policy_class_add(fams, fam);
	}
	return fams;
}

/*
 * resolve_ai_v4 - the IPv4 address of an entry of the IPv4 class
 * (resolve_ai_fam()): its own, the one a mapped address holds, or the one
 * the translate-prefix embeds.
 */
static inline struct in_addr resolve_ai_v4(const struct policy *policy,
					   const struct addrinfo *ai)
{
	const struct sockaddr_in6 *sin6 = (const void *)ai->ai_addr;
	struct policy_addr a = {.fam = FAM_IPV6};
	struct in_addr v4;

	if (ai->ai_family == AF_INET)
		return ((const struct sockaddr_in *)(const void *)ai->ai_addr)
			->sin_addr;
	memcpy(&v4, &sin6->sin6_addr.s6_addr[12], sizeof(v4));
	if (policy && !IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
		memcpy(a.a, &sin6->sin6_addr, sizeof(a.a));
		policy_addr_v4(policy, &a, &v4);
	}
	return v4;
}

/*
 * resolve_class_in - the part of class (a host class, FAM_LOOP4 maybe set)
 * whose families are in fams: FAM_LOOP4 kept only with FAM_IPV4.
 */
static inline unsigned resolve_class_in(unsigned class, unsigned fams)
{
	unsigned in = class & fams & FAM_BOTH;

	return in & FAM_IPV4 ? in | (class & FAM_LOOP4) : in;
}

/*
 * resolve_name_fams - ask the real resolver (AF_UNSPEC, no AI_ADDRCONFIG)
 * what families name has under policy (resolve_list_fams()).  Returns 0
 * with *fams set (never FAM_NONE) and *list the answers, for the caller to
 * free with real_freeaddrinfo(), or the real getaddrinfo's nonzero EAI_*
 * code when it found nothing.  errno is the same on return as on entry.
 */
static inline int resolve_name_fams(const struct policy *policy,
				    const char *name, unsigned *fams,
				    struct addrinfo **list)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM};
	int rc, saved_errno = errno;

	*list = NULL;
	if (!real_getaddrinfo || !real_freeaddrinfo)
		return EAI_SYSTEM;
	rc = real_getaddrinfo(name, NULL, &hints, list);
	if (rc == 0) {
		*fams = resolve_list_fams(policy, *list, NULL, 0);
		if (*fams == FAM_NONE) {
			real_freeaddrinfo(*list);
			*list = NULL;
			rc = EAI_NONAME;
		}
	}
	errno = saved_errno;
	return rc;
}

/*
 * resolve_numeric - whether name is a numeric address by glibc's own rule
 * (getaddrinfo() with AI_NUMERICHOST).  errno is the same on return as on
 * entry.
 */
static inline bool resolve_numeric(const char *name)
{
	struct addrinfo hints = {.ai_flags = AI_NUMERICHOST}, *list;
	int saved_errno = errno;
	bool numeric = false;

	if (real_getaddrinfo && real_freeaddrinfo &&
	    real_getaddrinfo(name, NULL, &hints, &list) == 0) {
		real_freeaddrinfo(list);
		numeric = true;
	}
	errno = saved_errno;
	return numeric;
}

/*
 * resolve_pools - whether an IPv6 host that a program asks for as AF_INET
 * is answered with peer-pool addresses (SPEC §3 peer-pool, RFC 6535's
 * address mapper): only when the policy upgrades AF_INET sockets, whose
 * connect() and sendto() lead a pool address back to the IPv6 address it
 * stands for, and only for a name.  A literal keeps glibc's answer: an
 * IPv6 literal typed into an AF_INET API is an error there, not a host.
 */
static inline bool resolve_pools(const struct policy *policy, bool literal)
{
	return !literal && local_upgrades(policy);
}

/*
 * resolve_decide_unsettled - the outcome for a destination whose answers
 * are of class have (FAM_LOOP4 maybe set), when the program asked for the
 * families want (FAM_BOTH for AF_UNSPEC) and a rule of action matched the
 * name (RULE_NONE: none): a program that names a family asks about that
 * family's records, so those are its host when there are any, but for
 * AF_INET of a name whose A records only a map reaches where the table
 * gives the whole name IPv6 (then OUTCOME_IPV6: SPEC §2, the IPv4-only
 * API).  FAM_NONE for have is
 * OUTCOME_FAIL_HOST, unless a deny rule refuses the name first.
 */
static inline enum policy_outcome
resolve_decide_unsettled(const struct policy *policy,
			 enum policy_action action, unsigned have,
			 unsigned want)
{
	unsigned host = resolve_class_in(have, want);
	enum policy_outcome outcome;

	if (host == FAM_NONE)
		host = have;
	if (action == RULE_DENY)
		return OUTCOME_DENY;
	if (host == FAM_NONE)
		return OUTCOME_FAIL_HOST;
	outcome = shim_decide_unbound(policy, action, host);
	/* The IPv4-only API follows the table for a name of both families:
	 * where its A records would only be mapped and the table gives the
	 * whole host IPv6, the program gets what an IPv6-only name gets
	 * (peer-pool addresses).  A map rule means the A records. */
	if (outcome == OUTCOME_MAP && want == FAM_IPV4 && host != have &&
	    action != RULE_MAP &&
	    shim_decide_unbound(policy, action, have) == OUTCOME_IPV6)
		return OUTCOME_IPV6;
	return outcome;
}

/*
 * resolve_decide - resolve_decide_unsettled(), which the caches keep,
 * settled: a map only with a translate-prefix at hand
 * (policy_outcome_settle()).
 */
static inline enum policy_outcome
resolve_decide(const struct policy *policy, enum policy_action action,
	       unsigned have, unsigned want)
{
	return policy_outcome_settle(
		policy, resolve_decide_unsettled(policy, action, have, want));
}

/*
 * resolve_fallback - what becomes of the answers of the other family than
 * outcome's, for a destination of class have asked for as want under
 * action, whose outcome (resolve_decide()) is outcome: as a real
 * dual-stack host answers AF_UNSPEC with every address, the preferred
 * family first, they follow outcome's own when the fallback setting is on
 * and the decision on that family's answers alone is that family itself
 * (OUTCOME_IPV4 or OUTCOME_IPV6, returned): on a dual stack, and for
 * localhost on an ipv6 stack with ipv4-loopback.  OUTCOME_COUNT when they
 * are left out: another request, another outcome, or a family that only
 * a map or no way at all reaches.
 */
static inline enum policy_outcome
resolve_fallback(const struct policy *policy, enum policy_action action,
		 unsigned have, unsigned want, enum policy_outcome outcome)
{
	static const struct {
		unsigned fam;			/* the other family */
		enum policy_outcome direct;	/* its own outcome */
	} others[OUTCOME_COUNT] = {
		[OUTCOME_IPV4] = {FAM_IPV6, OUTCOME_IPV6},
		[OUTCOME_IPV6] = {FAM_IPV4, OUTCOME_IPV4},
	};
	unsigned other;

	if (want != FAM_BOTH || (unsigned)outcome >= OUTCOME_COUNT ||
	    !others[outcome].fam || !policy_fallback(policy))
		return OUTCOME_COUNT;
	other = resolve_class_in(have, others[outcome].fam);
	if (other == FAM_NONE ||
	    shim_decide_unbound(policy, action, other) != others[outcome].direct)
		return OUTCOME_COUNT;
	return others[outcome].direct;
}

/*
 * resolve_rule - the name rule that decides name at resolution: one
 * without a port or a protocol (SPEC §3).  A literal has none: address
 * rules are applied at connect() and the sends.  Returns the rule's
 * action, RULE_NONE when none fits.
 */
static inline enum policy_action resolve_rule(const struct policy *policy,
					      const char *name, bool literal,
					      struct policy_rule *rule)
{
	memset(rule, 0, sizeof(*rule));
	if (!name || literal || !policy_rule_count(policy) ||
	    !policy_match_name(policy, name, 0, PROTO_ANY, rule))
		return RULE_NONE;
	return rule->action;
}

/*
 * resolve_log - log a resolution that the policy refused or changed: call,
 * the name, the decision (host 0: no table cell, as for a name a rule denies
 * before it is resolved; outcome -1: none), the rule that matched (action
 * RULE_NONE: none), and error, the EAI_* or h_errno name it fails with (NULL
 * when it did not fail; reason then says what changed).
 */
static inline void resolve_log(const struct policy *policy, const char *call,
			       int family, const char *name, unsigned host,
			       int outcome,
			       const struct policy_rule *rule,
			       const char *error, const char *reason)
{
	char where[sizeof(((struct policy_error *)0)->file) + 16];
	struct shim_log_event ev;

	if (!shim_logging(policy))
		return;
	ev = (struct shim_log_event){
		.call = call,
		.family = family,
		.name = name,
		.outcome = outcome,
		.host = host,
		.local_fam = shim_local_fam(policy),
		.error = error,
		.reason = reason,
	};
	if (rule->action != RULE_NONE) {
		shim_rule_format(rule, where, sizeof(where));
		ev.rule = where;
	}
	shim_log(policy, &ev);
}

/*
 * resolve_fam_of - the policy family of a socket family: FAM_IPV4 for
 * AF_INET, FAM_IPV6 for AF_INET6, FAM_BOTH for AF_UNSPEC, FAM_NONE for any
 * other.
 */
static inline unsigned resolve_fam_of(int family)
{
	switch (family) {
	case AF_INET:
		return FAM_IPV4;
	case AF_INET6:
		return FAM_IPV6;
	case AF_UNSPEC:
		return FAM_BOTH;
	default:
		return FAM_NONE;
	}
}


/*
 * resolve_addrconfig_fams - the families AI_ADDRCONFIG may see on the
 * emulated host: those it has addresses of other than loopback (which
 * glibc does not count), the stack's, and IPv4 on an ipv6 stack with
 * mapped addresses, whose IPv4 hosts are reached as map.
 */
static inline unsigned resolve_addrconfig_fams(const struct policy *policy)
{
	unsigned fams = policy_stack(policy);

	if ((fams & FAM_IPV6) && policy_mapped(policy))
		fams |= FAM_IPV4;
	return fams;
}

/*
 * resolve_translatable - whether an answer's IPv4 address v4 may be handed
 * out at its translated address: the translate-prefix may carry it
 * (policy_translatable()), or a map rule names it, the name's (action) or
 * the address's own, as policy_decide_dest() has it at connect.
 */
static inline bool resolve_translatable(const struct policy *policy,
					enum policy_action action,
					const struct in_addr *v4)
{
	struct policy_addr a = {.fam = FAM_IPV4};
	struct policy_rule rule;

	if (policy_translates(policy, action, v4))
		return true;
	memcpy(a.a, v4, sizeof(*v4));
	return policy_match_dest(policy, &a, 0, PROTO_ANY, &rule) &&
	       policy_translates(policy, rule.action, v4);
}

/*
 * resolve_error_name - "EAI_NONAME" for EAI_NONAME, and so on, for the
 * log; NULL for 0 or a code it does not know.
 */
static inline const char *resolve_error_name(int rc)
{
	static const struct {
		int rc;
		const char *name;
	} names[] = {
		{EAI_NONAME, "EAI_NONAME"},	{EAI_ADDRFAMILY, "EAI_ADDRFAMILY"},
		{EAI_AGAIN, "EAI_AGAIN"},	{EAI_FAIL, "EAI_FAIL"},
		{EAI_NODATA, "EAI_NODATA"},	{EAI_MEMORY, "EAI_MEMORY"},
		{EAI_SYSTEM, "EAI_SYSTEM"},	{EAI_FAMILY, "EAI_FAMILY"},
		{EAI_SERVICE, "EAI_SERVICE"},	{EAI_SOCKTYPE, "EAI_SOCKTYPE"},
		{EAI_BADFLAGS, "EAI_BADFLAGS"},
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].rc == rc)
			return names[i].name;
	return NULL;
}

#endif /* STACKSHIM_RESOLVE_H */
