/* SPDX-License-Identifier: MIT */
/*
 * table.c - the stack selection table.
 *
 * The 36 cells of SPEC §1 all follow from one rule over family sets, so the
 * rule is what is written here; tests/check_table.c holds the transcription
 * of the seed that it is checked against, cell by cell.
 */
#include "config.h"

#include "policy.h"

/* Names indexed by family set; "none" only makes sense for a local address. */
static const char *const stack_names[] = {
	[STACK_IPV4] = "ipv4",
	[STACK_IPV6] = "ipv6",
	[STACK_DUAL] = "dual",
};

static const char *const fam_names[] = {
	[FAM_NONE] = "none",
	[FAM_IPV4] = "ipv4",
	[FAM_IPV6] = "ipv6",
	[FAM_BOTH] = "both",
};

static const char *const outcome_names[] = {
	[OUTCOME_IPV4] = "ipv4",
	[OUTCOME_IPV6] = "ipv6",
	[OUTCOME_MAP] = "map",
	[OUTCOME_FAIL_HOST] = "fail-host",
	[OUTCOME_FAIL_LOCAL] = "fail-local",
	[OUTCOME_DENY] = "deny",
};

static const char *const action_names[] = {
	[RULE_NONE] = "none",
	[RULE_ALLOW] = "allow",
	[RULE_DENY] = "deny",
	[RULE_MAP] = "map",
};

#define NAME_AT(table, i) \
	((unsigned)(i) < sizeof(table) / sizeof((table)[0]) ? (table)[i] : NULL)

/*
 * The rule: the stack allows a set of families; a local address with none of
 * them fails; otherwise the usable families are those the local address and
 * the stack share (all of the stack's without a local address).  A host
 * family among them is used, prefer deciding between two; an IPv4 host with
 * IPv6 usable is mapped; anything else fails to resolve.
 */
enum policy_outcome policy_table_decide(unsigned stack, unsigned host,
					unsigned local, unsigned prefer,
					bool mapped)
{
	unsigned usable, common;

	host &= FAM_BOTH;
	local &= FAM_BOTH;
	if (local != FAM_NONE && !(local & stack))
		return OUTCOME_FAIL_LOCAL;
	usable = local != FAM_NONE ? local & stack : stack;
	common = host & usable;
	if (common == FAM_BOTH)
		common = prefer;
	if (common == FAM_IPV4)
		return OUTCOME_IPV4;
	if (common == FAM_IPV6)
		return OUTCOME_IPV6;
	if ((host & FAM_IPV4) && (usable & FAM_IPV6))
		return mapped ? OUTCOME_MAP : OUTCOME_FAIL_HOST;
	return OUTCOME_FAIL_HOST;
}

/* Whether class has IPv4 addresses and not all of them are loopback. */
static bool class_has_other_ipv4(unsigned class)
{
	return (class & (FAM_IPV4 | FAM_LOOP4)) == FAM_IPV4;
}

/* policy_table_stack - see policy.h. */
unsigned policy_table_stack(unsigned stack, unsigned host, unsigned local,
			    bool loopback)
{
	if (!loopback || !((host | local) & FAM_LOOP4) ||
	    class_has_other_ipv4(host) || class_has_other_ipv4(local))
		return stack;
	return stack | FAM_IPV4;
}

/*
 * policy_rule_decide - see policy.h.  A map rule takes the IPv4 family out
 * of the usable ones for the host's IPv4 addresses, so that the table's own
 * last resort, map, is what is left.
 */
enum policy_outcome policy_rule_decide(enum policy_action action,
				       unsigned stack, unsigned host,
				       unsigned local, unsigned prefer,
				       bool mapped)
{
	enum policy_outcome outcome;

	host &= FAM_BOTH;
	local &= FAM_BOTH;
	if (action == RULE_DENY)
		return OUTCOME_DENY;
	outcome = policy_table_decide(stack, host, local, prefer, mapped);
	if (action != RULE_MAP || !(host & FAM_IPV4) ||
	    outcome == OUTCOME_FAIL_LOCAL)
		return outcome;
	if (!(local != FAM_NONE ? local & stack & FAM_IPV6 : stack & FAM_IPV6))
		return OUTCOME_FAIL_HOST;
	return mapped ? OUTCOME_MAP : OUTCOME_FAIL_HOST;
}

const char *policy_stack_name(unsigned stack)
{
	return NAME_AT(stack_names, stack);
}

const char *policy_host_name(unsigned host)
{
	host &= ~(unsigned)FAM_LOOP4;
	return host == FAM_NONE ? NULL : NAME_AT(fam_names, host);
}

const char *policy_local_name(unsigned local)
{
	return NAME_AT(fam_names, local & ~(unsigned)FAM_LOOP4);
}

const char *policy_outcome_name(enum policy_outcome outcome)
{
	return NAME_AT(outcome_names, outcome);
}

const char *policy_action_name(enum policy_action action)
{
	return NAME_AT(action_names, action);
}
