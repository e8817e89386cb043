/* SPDX-License-Identifier: MIT */
/*
 * fast.c - the hot paths' answers, worked out once from the loaded policy.
 *
 * Most programs run under a policy with no rules and no local-address:
 * there, what a connect() or a send does to a destination follows from
 * the destination's table class, the socket's local class and whether the
 * socket is upgraded, nothing else; and whether socket() makes a socket as
 * asked follows from its family.  shim_fast_compute() asks the policy
 * every such question once, through the same functions the general path
 * asks (policy_decide_rule(), local_would_upgrade()), and keeps the
 * answers in a small table; the hooks look their call up there and take
 * the general path only for what the table leaves to it: anything logged,
 * refused, bound, pooled or translated by a prefix other than a /96.
 */
#include "config.h"

#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "policy.h"
#include "shim.h"
#include "route.h"
#include "sockaddr.h"
#include "fast.h"

struct shim_fast shim_fast;

/*
 * Whether local_would_upgrade() can be asked without resolving the
 * policy's local-address: only a dual stack with mapped addresses and no
 * map rule depends on the local-address's family.
 */
static bool fast_upgrade_known(const struct policy *policy)
{
	return !policy_local_address(policy) ||
	       policy_stack(policy) != STACK_DUAL || !policy_mapped(policy) ||
	       policy_rule_count_of(policy, RULE_MAP);
}

/* The families whose socket() the socket hook forwards as it is. */
static unsigned fast_socket_pass(const struct policy *policy)
{
	unsigned allowed = policy_socket_fams(policy), pass = 0;

	/* Sockets that get a filter of their IPv4 peers are shim_socket()'s. */
	if (policy_ipv4_peers(policy) != PEERS_ALL && policy_enforce(policy))
		return 0;
	if (allowed & FAM_IPV6)
		pass |= FAM_IPV6;
	if ((allowed & FAM_IPV4) && fast_upgrade_known(policy) &&
	    !local_would_upgrade(policy))
		pass |= FAM_IPV4;
	return pass;
}

/* policy_decide_unsettled() without a rule, by [host][local] class,
 * asked once each while the cells are filled (0xff: not yet). */
typedef unsigned char fast_decided[FAM_BOTH + FAM_LOOP4 + 1]
				  [FAM_BOTH + FAM_LOOP4 + 1];

/*
 * The action of one cell: what route_decide() would do, with a rule of
 * action (RULE_NONE: none) and no local-address, to a destination of
 * class host (given as an
 * AF_INET6 ::ffff:a.b.c.d when v6) on a socket with the fdstate flags
 * that the table tells apart, the decision asked of decided.  translate
 * says whether the map outcome can be taken here (a /96 prefix, enforced,
 * nothing logged), mapped_self whether that prefix is ::ffff:0:0/96.
 */
static unsigned char fast_route_cell(const struct policy *policy,
				     enum policy_action action,
				     fast_decided decided, unsigned host,
				     bool v6, unsigned flags, bool translate,
				     bool mapped_self)
{
	unsigned local = flags & FDSTATE_BOUND ? fdstate_local_class(flags)
					       : FAM_NONE;
	enum policy_outcome o;

	/* A map is taken here only with a prefix known now; else the
	 * general path settles it (policy_outcome_settle()). */
	if (decided[host][local] == 0xff)
		decided[host][local] = (unsigned char)policy_decide_unsettled(
			policy, action, host, local);
	o = decided[host][local];
	if (!(flags & FDSTATE_UPGRADED)) {
		if (o == OUTCOME_IPV4 || o == OUTCOME_IPV6)
			return SHIM_FAST_PASS;
		/* Through ::ffff:0:0/96, an AF_INET6 socket's ::ffff:a.b.c.d
		 * is mapped to itself (route_map()). */
		return o == OUTCOME_MAP && v6 && (flags & FDSTATE_INET6) &&
				       mapped_self
			       ? SHIM_FAST_PASS
			       : SHIM_FAST_GENERAL;
	}
	/* An upgraded socket's destinations are AF_INET: IPv4 hosts.  Audit
	 * mode sends them as they are, which the general path does. */
	if (v6 || !(host & FAM_IPV4) || !policy_enforce(policy))
		return SHIM_FAST_GENERAL;
	if (o == OUTCOME_IPV4)
		return SHIM_FAST_MAPPED;
	if (o == OUTCOME_MAP && translate)
		return SHIM_FAST_TRANSLATED;
	return SHIM_FAST_GENERAL;
}

/* The class of each row of shim_fast.route, and a global IPv4 address of
 * it (host order; 0 for none), for policy_translatable() to judge. */
static const struct {
	unsigned class;
	uint32_t v4;
} fast_hosts[SHIM_FAST_HOSTS] = {
	[SHIM_FAST_IPV4] = {FAM_IPV4, 0x0b000002},		/* 11.0.0.2 */
	[SHIM_FAST_LOOP4] = {FAM_IPV4 | FAM_LOOP4, INADDR_LOOPBACK},
	[SHIM_FAST_IPV6] = {FAM_IPV6, 0},
	[SHIM_FAST_AS6_IPV4] = {FAM_IPV4, 0x0b000002},
	[SHIM_FAST_AS6_LOOP4] = {FAM_IPV4 | FAM_LOOP4, INADDR_LOOPBACK},
};

/*
 * Fill route with the cells of a destination that a rule of action
 * (RULE_NONE: none) decides, and shim_fast's prefixes and pool.
 */
static void fast_route_compute(const struct policy *policy,
			       enum policy_action action, fast_route_table route)
{
	struct in6_addr prefix;
	struct in_addr net;
	unsigned len, host, flags;
	bool translate, mapped_self;
	fast_decided decided;

	memset(decided, 0xff, sizeof(decided));

	shim_fast.prefix[0][10] = shim_fast.prefix[0][11] = 0xff;
	/* translate-prefix = auto is found at the first decision that needs
	 * it, later than this: every address inside it, and every map, is
	 * the general path's.  Under the well-known prefix the decision is
	 * the address's own (policy_decide_dest()): no cell can hold it. */
	len = 0;
	if (!policy_translate_auto(policy))
		policy_translate_prefix(policy, &prefix, &len);
	shim_fast.v6_auto = policy_translate_auto(policy) &&
			    policy_may_map(policy);
	if (len)
		memcpy(shim_fast.prefix[1], prefix.s6_addr,
		       sizeof(shim_fast.prefix[1]));
	mapped_self = len == 96 && !memcmp(shim_fast.prefix[1],
					   shim_fast.prefix[0],
					   sizeof(shim_fast.prefix[0]));
	/* ::ffff:0:0/96 holds only mapped addresses, which the fast path
	 * takes as IPv4 already: no IPv6 address need be compared. */
	shim_fast.prefix_bytes = mapped_self ? 0 : len / 8;
	translate = len == 96 && !policy_translate_by_address(policy) &&
		    policy_enforce(policy) && !shim_logging(policy);
	mapped_self = mapped_self && translate;
	policy_peer_pool(policy, &net, &len);
	shim_fast.pool_mask = len ? htonl(~0u << (32 - len)) : 0;
	shim_fast.pool_net = net.s_addr & shim_fast.pool_mask;
	for (host = 0; host < SHIM_FAST_HOSTS; host++) {
		/* Whether the row's addresses go through the prefix: not
		 * the host's own loopback, but to ::ffff:0:0/96.  (Under the
		 * well-known prefix translate is false already.) */
		struct in_addr v4 = {.s_addr = htonl(fast_hosts[host].v4)};
		bool through = translate && (!v4.s_addr ||
					     policy_translatable(policy, &v4));

		for (flags = 0; flags <= SHIM_FAST_FLAGS; flags++)
			route[host][flags] = fast_route_cell(
				policy, action, decided, fast_hosts[host].class,
				host >= SHIM_FAST_AS6_IPV4, flags, through,
				mapped_self);
	}
}

/*
 * Which columns of shim_fast.route pass every address: those of inet
 * sockets the memory knows (neither raw nor upgraded: their cells are
 * never SHIM_FAST_PASS) whose every row is, but the rows of a family the
 * kernel refuses on such a socket (fast_route_class() passes those
 * before it looks), while no prefix classes an IPv6 address apart from
 * its row (prefix_bytes 0, not auto).
 */
static bool fast_column_passes(unsigned flags)
{
	unsigned host;
	int family;

	if (route_raw(flags) || shim_fast.prefix_bytes || shim_fast.v6_auto)
		return false;
	for (host = 0; host < SHIM_FAST_HOSTS; host++) {
		family = host == SHIM_FAST_IPV4 || host == SHIM_FAST_LOOP4
				 ? AF_INET
				 : AF_INET6;
		if (!route_unpoliced(flags, family, false, 0) &&
		    shim_fast.route[host][flags & SHIM_FAST_FLAGS] !=
			    SHIM_FAST_PASS)
			return false;
	}
	return true;
}

/* Whether a cell sends an IPv4 destination as ::ffff:a.b.c.d: mapped, or
 * translated through ::ffff:0:0/96 (prefix[1] the same as prefix[0]). */
static bool fast_cell_maps(unsigned char act)
{
	return act == SHIM_FAST_MAPPED ||
	       (act == SHIM_FAST_TRANSLATED &&
		!memcmp(shim_fast.prefix[1], shim_fast.prefix[0], 12));
}

/*
 * Which columns send every AF_INET destination as ::ffff:a.b.c.d: an
 * upgraded socket's (never raw), whose IPv4 rows, loopback and not, do.
 */
static bool fast_column_maps(unsigned flags)
{
	return (flags & FDSTATE_UPGRADED) && !route_raw(flags) &&
	       fast_cell_maps(shim_fast.route[SHIM_FAST_IPV4]
					     [flags & SHIM_FAST_FLAGS]) &&
	       fast_cell_maps(shim_fast.route[SHIM_FAST_LOOP4]
					     [flags & SHIM_FAST_FLAGS]);
}

/* Set bit flags of map, with and without NOBIND, which cannot tell two
 * known inet sockets' answers apart. */
static void fast_bit_set(uint64_t *map, unsigned flags)
{
	map[flags / 64] |= UINT64_C(1) << flags % 64;
	flags |= FDSTATE_NOBIND;
	map[flags / 64] |= UINT64_C(1) << flags % 64;
}

/* shim_fast.pass and shim_fast.maps, for every flags value that can tell
 * two known inet sockets apart: the route's columns and the type. */
static void fast_bits_compute(void)
{
	const unsigned apart = SHIM_FAST_FLAGS | FDSTATE_STREAM | FDSTATE_DGRAM;
	unsigned flags = 0;

	/* Every subset of apart, as the next one up (Knuth's trick). */
	do {
		if (fast_column_passes(flags | FDSTATE_KNOWN))
			fast_bit_set(shim_fast.pass, flags | FDSTATE_KNOWN);
		if (fast_column_maps(flags | FDSTATE_KNOWN))
			fast_bit_set(shim_fast.maps, flags | FDSTATE_KNOWN);
		flags = (flags - apart) & apart;
	} while (flags);
}

/*
 * shim_fast.route, and with rules shim_fast.ruled and which rule actions
 * leave every cell as it is without a rule (shim_fast.rule_kept: an
 * allow, as a rule; a map where the table maps already); else the
 * columns that pass or map whatever the address.
 */
static void fast_rules_compute(const struct policy *policy)
{
	fast_route_table other;
	enum policy_action a;

	fast_route_compute(policy, RULE_NONE, shim_fast.route);
	shim_fast.rule_kept = 1u << RULE_NONE;
	shim_fast.ruled = policy_rule_count(policy) != 0;
	if (!shim_fast.ruled) {
		fast_bits_compute();
		return;
	}
	for (a = RULE_ALLOW; a <= RULE_MAP; a++) {
		fast_route_compute(policy, a, other);
		if (!memcmp(other, shim_fast.route, sizeof(other)))
			shim_fast.rule_kept |= 1u << a;
	}
}

/* shim_fast_compute - see fast.h. */
void shim_fast_compute(const struct policy *policy)
{
	memset(&shim_fast, 0, sizeof(shim_fast));
	if (!policy)
		return;
	shim_fast.socket_pass = fast_socket_pass(policy);
	shim_fast.socket_upgrade = policy_enforce(policy) &&
				   !shim_logging(policy) &&
				   fast_upgrade_known(policy) &&
				   local_would_upgrade(policy);
	if (!policy_local_address(policy))
		fast_rules_compute(policy);
	shim_fast.policy = policy;
}
