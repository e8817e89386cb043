/* SPDX-License-Identifier: MIT */
/*
 * explain.c - "stackshim explain HOST [LOCAL]": which cell of the selection
 * table applies to one destination under one policy, which destination rule
 * decides it (for --port and --proto when given), and the outcome.
 *
 * Rules are looked up as the shim looks them up, with the same engine: a
 * name rule that fits HOST's name decides for every address it resolves
 * to; otherwise each address is decided by its own address rule.  The
 * outcome is policy_decide_rule()'s.
 *
 * Names are resolved with libc's own resolver, found through libc's handle,
 * so that the answer is about the real records even when the launcher
 * itself runs under the shim (from a shell that stackshim started).
 */
#include "config.h"

#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <gnu/lib-names.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "cli.h"

/* One side of a decision: the text given, its family set, its addresses. */
struct endpoint {
	const char *text;
	bool name;		/* text is a host name, not a literal */
	unsigned fam;
	const char *why;	/* shown instead of addresses, or NULL */
	struct policy_addr *addrs;
	size_t naddrs;
	/* A destination's: an address inside its translate-prefix is the
	 * IPv4 host it embeds (policy_dest_class()).  NULL for the local. */
	const struct policy *policy;
};

typedef int (*getaddrinfo_fn)(const char *, const char *,
			      const struct addrinfo *, struct addrinfo **);
typedef void (*freeaddrinfo_fn)(struct addrinfo *);

/* libc's getaddrinfo and freeaddrinfo, past any preloaded library. */
static void resolver_get(getaddrinfo_fn *gai, freeaddrinfo_fn *fai)
{
	void *libc = dlopen(LIBC_SO, RTLD_LAZY | RTLD_NOLOAD);

	*gai = libc ? (getaddrinfo_fn)dlsym(libc, "getaddrinfo") : NULL;
	*fai = libc ? (freeaddrinfo_fn)dlsym(libc, "freeaddrinfo") : NULL;
	if (!*gai || !*fai) {
		*gai = getaddrinfo;
		*fai = freeaddrinfo;
	}
}

static int endpoint_add(struct endpoint *ep, const struct policy_addr *addr)
{
	struct policy_addr *grown;
	size_t i;

	for (i = 0; i < ep->naddrs; i++)
		if (!memcmp(&ep->addrs[i], addr, sizeof(*addr)))
			return 0;
	grown = realloc(ep->addrs, (ep->naddrs + 1) * sizeof(*grown));
	if (!grown)
		return -1;
	ep->addrs = grown;
	ep->addrs[ep->naddrs++] = *addr;
	ep->fam = policy_class_add(ep->fam,
				   ep->policy
					   ? policy_dest_class(ep->policy, addr)
					   : policy_addr_class(addr));
	return 0;
}

/* One getaddrinfo() result as a policy address; false for another family. */
static bool addr_from_ai(const struct addrinfo *ai, struct policy_addr *out)
{
	*out = (struct policy_addr){ .fam = FAM_NONE };
	if (ai->ai_family == AF_INET) {
		const struct sockaddr_in *sin = (const void *)ai->ai_addr;

		out->fam = FAM_IPV4;
		memcpy(out->a, &sin->sin_addr, 4);
	} else if (ai->ai_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const void *)ai->ai_addr;

		out->fam = FAM_IPV6;
		memcpy(out->a, &sin6->sin6_addr, 16);
	}
	return out->fam != FAM_NONE;
}

/* Resolve a name into ep; returns 0 or an exit status after saying why. */
static int endpoint_resolve(struct endpoint *ep, const char *name)
{
	const struct addrinfo hints = { .ai_family = AF_UNSPEC,
					.ai_socktype = SOCK_STREAM };
	struct addrinfo *res, *ai;
	struct policy_addr addr;
	getaddrinfo_fn gai;
	freeaddrinfo_fn fai;
	int rc;

	resolver_get(&gai, &fai);
	rc = gai(name, NULL, &hints, &res);
	if (rc) {
		fprintf(stderr, "stackshim: %s: %s\n", cli_shown(name),
			rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
		return CLI_EXIT_USAGE;
	}
	for (ai = res, rc = 0; ai && !rc; ai = ai->ai_next)
		if (addr_from_ai(ai, &addr) && endpoint_add(ep, &addr) < 0)
			rc = -1;
	fai(res);
	if (rc < 0 || !ep->naddrs) {
		fprintf(stderr, "stackshim: %s: %s\n", cli_shown(name),
			rc < 0 ? strerror(ENOMEM) : "no IPv4 or IPv6 address");
		return CLI_EXIT_USAGE;
	}
	return 0;
}

static bool addr_is_wildcard(const struct policy_addr *addr)
{
	static const uint8_t zero[16];

	return !memcmp(addr->a, zero, addr->fam == FAM_IPV4 ? 4 : 16);
}

/* Add a literal address to ep, or note that it is a wildcard. */
static int endpoint_literal(struct endpoint *ep,
			    const struct policy_addr *addr, bool local)
{
	if (local && addr_is_wildcard(addr)) {
		ep->why = "wildcard";
		return 0;
	}
	if (endpoint_add(ep, addr) < 0) {
		fprintf(stderr, "stackshim: %s\n", strerror(ENOMEM));
		return CLI_EXIT_POLICY;
	}
	return 0;
}

/*
 * Classify text: an address literal by its family (a wildcard local address
 * by none), else a name by the families it resolves to.
 */
static int endpoint_classify(struct endpoint *ep, const char *text,
			     bool local)
{
	struct policy_addr addr = { .fam = FAM_NONE };

	ep->text = text;
	if (policy_addr_parse(text, &addr) < 0) {
		ep->name = true;
		return endpoint_resolve(ep, text);
	}
	return endpoint_literal(ep, &addr, local);
}

/* The local address when none is given: the policy's local-address. */
static int endpoint_from_policy(struct endpoint *ep,
				const struct policy *policy)
{
	const struct policy_local *local = policy_local_address(policy);

	if (!local)
		return 0;
	if (!local->host) {
		ep->why = "local-address sets ports only";
		return 0;
	}
	if (local->fam == FAM_NONE)
		return endpoint_classify(ep, local->host, true);
	ep->text = local->host;
	return endpoint_literal(ep, &local->addr, true);
}

static void endpoint_print(const char *key, const struct endpoint *ep,
			   const char *fam_name)
{
	char text[INET6_ADDRSTRLEN];
	size_t i;

	if (!ep->text) {
		if (ep->why)
			printf("%s: %s (%s)\n", key, fam_name, ep->why);
		else
			printf("%s: %s\n", key, fam_name);
		return;
	}
	printf("%s: %s %s (", key, ep->text, fam_name);
	if (ep->why)
		fputs(ep->why, stdout);
	for (i = 0; i < ep->naddrs; i++)
		printf("%s%s", i ? ", " : "",
		       policy_addr_format(&ep->addrs[i], text, sizeof(text)));
	puts(")");
}

/* "ACTION FILE:LINE", or "none" for no rule. */
static void rule_print(const char *addr, const struct policy_rule *rule)
{
	printf("rule: %s%s", addr ? addr : "", addr ? " " : "");
	if (rule->action == RULE_NONE)
		puts("none");
	else
		printf("%s %s:%u\n", policy_action_name(rule->action),
		       rule->file ? rule->file : "-", rule->line);
}

static bool rule_same(const struct policy_rule *a, const struct policy_rule *b)
{
	return a->action == b->action && a->line == b->line &&
	       (a->file == b->file ||
		(a->file && b->file && !strcmp(a->file, b->file)));
}

/* The IPv4 address a host address stands for; false for native IPv6. */
static bool addr_v4(const struct policy_addr *addr, struct in_addr *v4)
{
	if (policy_addr_host_fam(addr) != FAM_IPV4)
		return false;
	memcpy(v4, addr->fam == FAM_IPV4 ? addr->a : addr->a + 12, 4);
	return true;
}

static void translated_print(const struct policy *policy,
			     const struct policy_addr *addr)
{
	char from[INET_ADDRSTRLEN], to[INET6_ADDRSTRLEN];
	struct in6_addr out;
	struct in_addr v4;

	if (!addr_v4(addr, &v4))
		return;
	policy_translate(policy, &v4, &out);
	printf("translated: %s -> %s\n",
	       inet_ntop(AF_INET, &v4, from, sizeof(from)),
	       inet_ntop(AF_INET6, &out, to, sizeof(to)));
}

/*
 * The rule of each of host's addresses into rules[]: the name rule that
 * fits, for all of them, when host is a name that one covers; else each
 * address's own.  Returns whether they all got the same one.
 */
static bool rules_find(const struct policy *policy,
		       const struct cli_args *args,
		       const struct endpoint *host, struct policy_rule *rules)
{
	struct policy_rule name_rule = { .action = RULE_NONE };
	bool by_name, same = true;
	size_t i;

	by_name = host->name && policy_match_name(policy, host->text,
						  args->port, args->proto,
						  &name_rule);
	for (i = 0; i < host->naddrs; i++) {
		rules[i] = name_rule;
		if (!by_name &&
		    !policy_match_dest(policy, &host->addrs[i], args->port,
				       args->proto, &rules[i]))
			rules[i] = (struct policy_rule){ .action = RULE_NONE };
		same = same && rule_same(&rules[i], &rules[0]);
	}
	return same;
}

/* The outcome for host's address i under rule: for host's cell when
 * whole, else for the address's own family, as a connection to it is. */
static enum policy_outcome verdict_of(const struct policy *policy,
				      const struct policy_rule *rule,
				      const struct endpoint *host, size_t i,
				      bool whole, const struct endpoint *local)
{
	const struct policy_addr *a = &host->addrs[i];

	return policy_decide_dest(policy, rule->action,
				  whole ? host->fam
					: policy_dest_class(policy, a),
				  local->fam, a);
}

/* Say why the table's map of a might not be translated (RFC 6052 §3.1). */
static void untranslatable_print(const struct policy *policy,
				 const struct policy_rule *rule,
				 const struct policy_addr *a,
				 enum policy_outcome outcome)
{
	char text[INET6_ADDRSTRLEN];
	struct in_addr v4;

	if (outcome != OUTCOME_FAIL_HOST || !policy_addr_v4(policy, a, &v4) ||
	    policy_translates(policy, rule->action, &v4))
		return;
	policy_addr_format(a, text, sizeof(text));
	if (policy_own_loopback(policy, &v4))
		printf("not translated: %s is the host's own loopback, never "
		       "sent through a NAT64 prefix\n", text);
	else
		printf("not translated: %s is not a global address, which "
		       "the well-known prefix may not carry (RFC 6052 "
		       "section 3.1; a map rule would)\n", text);
}

/*
 * The rule lines and the outcome: one "rule:" and one "outcome:" line when
 * every address of host has the same rule and outcome, decided for host's
 * cell; else one of each per address ("rule: ADDR ..."), each decided for
 * the address's own family, as a connection to it is.  A map outcome lists
 * the translated addresses.
 */
static int verdict_print(const struct policy *policy,
			 const struct cli_args *args,
			 const struct endpoint *host,
			 const struct endpoint *local)
{
	struct policy_rule *rules = calloc(host->naddrs, sizeof(*rules));
	enum policy_outcome *outcomes = calloc(host->naddrs, sizeof(*outcomes));
	char text[INET6_ADDRSTRLEN];
	bool whole;
	size_t i;

	if (!rules || !outcomes) {
		free(rules);
		free(outcomes);
		fprintf(stderr, "stackshim: %s\n", strerror(ENOMEM));
		return CLI_EXIT_POLICY;
	}
	whole = rules_find(policy, args, host, rules);
	for (i = 0; i < host->naddrs; i++) {
		outcomes[i] = verdict_of(policy, &rules[i], host, i, whole,
					 local);
		whole = whole && outcomes[i] == outcomes[0];
	}
	if (!whole)
		for (i = 0; i < host->naddrs; i++)
			outcomes[i] = verdict_of(policy, &rules[i], host, i,
						 false, local);
	for (i = 0; !whole && i < host->naddrs; i++)
		rule_print(policy_addr_format(&host->addrs[i], text,
					      sizeof(text)),
			   &rules[i]);
	if (whole) {
		rule_print(NULL, &rules[0]);
		printf("outcome: %s\n", policy_outcome_name(outcomes[0]));
	}
	for (i = 0; !whole && i < host->naddrs; i++)
		printf("outcome: %s %s\n",
		       policy_addr_format(&host->addrs[i], text, sizeof(text)),
		       policy_outcome_name(outcomes[i]));
	for (i = 0; i < host->naddrs; i++) {
		untranslatable_print(policy, &rules[i], &host->addrs[i],
				     outcomes[i]);
		if (outcomes[i] == OUTCOME_MAP)
			translated_print(policy, &host->addrs[i]);
	}
	free(rules);
	free(outcomes);
	return 0;
}

static void connection_print(const struct cli_args *args)
{
	static const char *const protos[] = {
		[PROTO_ANY] = "any", [PROTO_TCP] = "tcp", [PROTO_UDP] = "udp",
	};

	if (args->port)
		printf("connection: port=%u proto=%s\n", args->port,
		       protos[args->proto]);
	else
		printf("connection: port=none proto=%s\n",
		       protos[args->proto]);
}

static int explain_print(const struct policy *policy,
			 const struct cli_args *args,
			 const struct endpoint *host,
			 const struct endpoint *local)
{
	const char *stack = policy_stack_name(policy_stack(policy));
	const char *host_fam = policy_host_name(host->fam);
	const char *local_fam = policy_local_name(local->fam);
	size_t rules = policy_rule_count(policy);
	int status;

	endpoint_print("host", host, host_fam);
	endpoint_print("local", local, local_fam);
	printf("stack: %s (prefer %s, mapped %s)\n", stack,
	       policy_host_name(policy_prefer(policy)),
	       policy_mapped(policy) ? "yes" : "no");
	connection_print(args);
	printf("cell: stack=%s host=%s local=%s\n", stack, host_fam,
	       local_fam);
	if (policy_loopback_decides(policy, host->fam, local->fam))
		puts("loopback: 127.0.0.0/8 is usable on every stack "
		     "(ipv4-loopback = yes): decided as with IPv4 in the "
		     "stack");
	status = verdict_print(policy, args, host, local);
	if (!policy_enforce(policy))
		puts("enforce: no (audit: the shim logs, changes nothing)");
	if (rules)
		printf("rules: %zu for this program (allow %zu, deny %zu, "
		       "map %zu)\n", rules,
		       policy_rule_count_of(policy, RULE_ALLOW),
		       policy_rule_count_of(policy, RULE_DENY),
		       policy_rule_count_of(policy, RULE_MAP));
	return status;
}

/* What pref64_explain() found (len 0: none), for the policy's finder. */
static struct {
	struct in6_addr addr;
	unsigned len;
} explain_pref64;

static int explain_pref64_get(struct in6_addr *prefix, unsigned *len)
{
	if (!explain_pref64.len)
		return -1;
	*prefix = explain_pref64.addr;
	*len = explain_pref64.len;
	return 0;
}

/*
 * translate-prefix = auto: find the prefix as the shim does (RFC 7050,
 * shim/pref64.c), give it to policy, and say what was found.
 */
static void pref64_explain(struct policy *policy)
{
	const struct addrinfo hints = {.ai_family = AF_INET6,
				       .ai_socktype = SOCK_STREAM};
	struct policy_addr shown = {.fam = FAM_IPV6};
	struct addrinfo *list = NULL;
	getaddrinfo_fn gai;
	freeaddrinfo_fn fai;
	struct in6_addr prefix;
	char text[INET6_ADDRSTRLEN];
	unsigned len = 0;
	int rc;

	if (!policy_translate_auto(policy) || !policy_may_map(policy))
		return;
	resolver_get(&gai, &fai);
	rc = gai("ipv4only.arpa", NULL, &hints, &list);
	if (!rc) {
		rc = policy_pref64_find(list, &prefix, &len);
		fai(list);
	}
	policy_set_pref64_finder(policy, explain_pref64_get);
	if (rc) {
		printf("translate-prefix: auto: no NAT64 prefix in "
		       "ipv4only.arpa's AAAA records (%s): IPv4 hosts that "
		       "need mapping are fail-host\n",
		       rc == -ENOENT ? "none synthesized" : gai_strerror(rc));
		return;
	}
	explain_pref64.addr = prefix;
	explain_pref64.len = len;
	memcpy(shown.a, &prefix, sizeof(prefix));
	policy_addr_format(&shown, text, sizeof(text));
	printf("translate-prefix: auto: %s/%u (from ipv4only.arpa's AAAA "
	       "records, RFC 7050)\n", text, len);
}

int cli_explain(const struct cli_args *args)
{
	struct endpoint host = { NULL }, local = { NULL };
	struct policy *policy;
	int status;

	status = cli_policy_build(args, args->program, &policy);
	if (status)
		return status;
	/* The shim fails closed on rules it cannot index: nothing to say. */
	if (policy_index_failed(policy)) {
		fputs("stackshim: out of memory (indexing the rules)\n",
		      stderr);
		policy_free(policy);
		return CLI_EXIT_POLICY;
	}
	pref64_explain(policy);
	host.policy = policy;
	status = endpoint_classify(&host, args->operands[0], false);
	if (!status && args->noperands > 1)
		status = endpoint_classify(&local, args->operands[1], true);
	else if (!status)
		status = endpoint_from_policy(&local, policy);
	if (!status)
		status = explain_print(policy, args, &host, &local);
	if (!status && fflush(stdout) == EOF) {
		perror("stackshim: stdout");
		status = CLI_EXIT_POLICY;
	}
	free(host.addrs);
	free(local.addrs);
	policy_free(policy);
	return status;
}
