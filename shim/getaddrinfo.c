/*
 * getaddrinfo.c - the getaddrinfo() and freeaddrinfo() hooks.
 *
 * SPEC §2, getaddrinfo row.  The real resolver is asked once, with AF_UNSPEC
 * and without the flags the shim judges itself, so that every family the
 * destination has is known and bad hints get libc's own answer.  The
 * outcome then picks and rewrites entries into a list the shim builds.
 * AI_ADDRCONFIG is judged as on a host of the emulated stack.
 *
 * A name with only IPv6 addresses, asked for as AF_INET by a program whose
 * AF_INET sockets are upgraded, gets AF_INET entries at the peer-pool
 * address of each IPv6 address, in the resolver's order (SPEC §3
 * peer-pool, RFC 6535's address mapper); the program's connect() and
 * sendto() to them reach the real addresses.  An IPv6 address the pool has
 * no room left for is left out, so with the pool exhausted such a name is
 * EAI_NONAME as before.
 *
 * The lists the shim builds have glibc's layout: each entry and its address
 * in one malloc() block, ai_canonname in another.  glibc's freeaddrinfo()
 * frees entry by entry, so it frees them, and any tail of them, as its own.
 *
 * The rewriting, gai_rewrite() (shim/gai.h), takes the real answers and
 * gives the program's list without asking anything of the resolver, so
 * that fuzz/fuzz_getaddrinfo.c calls it with lists of its own.
 */
#include "config.h"

#include <errno.h>
#include <netdb.h>
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

struct gai_addr {
	union {
		struct sockaddr sa;
		struct sockaddr_in sin;
		struct sockaddr_in6 sin6;
	} u;
	socklen_t len;
};

/* Writes the entry src becomes into out; false drops it. */
typedef bool gai_convert_fn(const struct gai_req *req,
			    const struct addrinfo *src, struct gai_addr *out);

static gai_convert_fn gai_copy, gai_ipv4, gai_mapped, gai_translated,
	gai_pooled;

/*
 * What each outcome hands the program, by the family it asked (SPEC §2):
 * the class of the answers kept and how each is written.  A row without a
 * conversion fails.  The last row catches everything else: fail-host and
 * fail-local.
 */
static const struct gai_action {
	enum policy_outcome outcome;
	int family;
	unsigned from;
	gai_convert_fn *convert;
} gai_actions[] = {
	{OUTCOME_IPV4, AF_INET6, FAM_IPV4, gai_mapped},
	{OUTCOME_IPV4, GAI_ANY, FAM_IPV4, gai_ipv4},
	{OUTCOME_IPV6, AF_INET, FAM_IPV6, gai_pooled},
	{OUTCOME_IPV6, GAI_ANY, FAM_IPV6, gai_copy},
	{OUTCOME_MAP, AF_INET, FAM_IPV4, gai_ipv4},
	{OUTCOME_MAP, GAI_ANY, FAM_IPV4, gai_translated},
	{OUTCOME_COUNT, GAI_ANY, FAM_NONE, NULL},
};

/* The IPv4 address and port of an IPv4-class entry. */
static void gai_v4_of(const struct addrinfo *src, struct in_addr *v4,
		      in_port_t *port)
{
	const struct sockaddr_in *sin = (const void *)src->ai_addr;
	const struct sockaddr_in6 *sin6 = (const void *)src->ai_addr;

	if (src->ai_family == AF_INET) {
		*v4 = sin->sin_addr;
		*port = sin->sin_port;
	} else {
		memcpy(v4, &sin6->sin6_addr.s6_addr[12], sizeof(*v4));
		*port = sin6->sin6_port;
	}
}

/* An IPv4-class entry as AF_INET6: ::ffff:a.b.c.d, or its translation. */
static void gai_set_v6(const struct gai_req *req, const struct addrinfo *src,
		       struct gai_addr *out, bool translate)
{
	struct in6_addr a = {.s6_addr = {[10] = 0xff, [11] = 0xff}};
	struct in_addr v4;

	memset(out, 0, sizeof(*out));
	gai_v4_of(src, &v4, &out->u.sin6.sin6_port);
	if (translate)
		policy_translate(req->policy, &v4, &a);
	else
		memcpy(&a.s6_addr[12], &v4, sizeof(v4));
	out->u.sin6.sin6_family = AF_INET6;
	out->u.sin6.sin6_addr = a;
	out->len = sizeof(out->u.sin6);
}

static bool gai_copy(const struct gai_req *req, const struct addrinfo *src,
		     struct gai_addr *out)
{
	(void)req;
	if (src->ai_addrlen > sizeof(out->u))
		return false;
	memcpy(&out->u, src->ai_addr, src->ai_addrlen);
	out->len = src->ai_addrlen;
	return true;
}

static bool gai_ipv4(const struct gai_req *req, const struct addrinfo *src,
		     struct gai_addr *out)
{
	(void)req;
	memset(out, 0, sizeof(*out));
	out->u.sin.sin_family = AF_INET;
	gai_v4_of(src, &out->u.sin.sin_addr, &out->u.sin.sin_port);
	out->len = sizeof(out->u.sin);
	return true;
}

/* As glibc: an IPv4 answer is an AF_INET6 one only under AI_V4MAPPED. */
static bool gai_mapped(const struct gai_req *req, const struct addrinfo *src,
		       struct gai_addr *out)
{
	if (src->ai_family == AF_INET6)
		return gai_copy(req, src, out);
	if (!(req->ask.ai_flags & AI_V4MAPPED))
		return false;
	gai_set_v6(req, src, out, false);
	return true;
}

static bool gai_translated(const struct gai_req *req,
			   const struct addrinfo *src, struct gai_addr *out)
{
	gai_set_v6(req, src, out, true);
	return true;
}

/*
 * An IPv6 entry asked for as AF_INET: its peer-pool address, when
 * resolve_pools() says so and the pool has one for it.
 */
static bool gai_pooled(const struct gai_req *req, const struct addrinfo *src,
		       struct gai_addr *out)
{
	const struct sockaddr_in6 *sin6 = (const void *)src->ai_addr;

	if (!resolve_pools(req->policy, req->literal))
		return false;
	memset(out, 0, sizeof(*out));
	if (pool_v4_of(req->policy, &sin6->sin6_addr, &out->u.sin.sin_addr))
		return false;
	((struct gai_req *)req)->pooled = true;
	out->u.sin.sin_family = AF_INET;
	out->u.sin.sin_port = sin6->sin6_port;
	out->len = sizeof(out->u.sin);
	return true;
}

/* A new entry in glibc's layout: the address right after the addrinfo. */
static struct addrinfo *gai_entry_new(const struct gai_req *req,
				      const struct addrinfo *src,
				      const struct gai_addr *addr)
{
	struct addrinfo *ai = malloc(sizeof(*ai) + addr->len);

	if (!ai)
		return NULL;
	memset(ai, 0, sizeof(*ai));
	ai->ai_flags = req->ask.ai_flags;
	ai->ai_family = addr->u.sa.sa_family;
	ai->ai_socktype = src->ai_socktype;
	ai->ai_protocol = src->ai_protocol;
	ai->ai_addrlen = addr->len;
	ai->ai_addr = (struct sockaddr *)(ai + 1);
	memcpy(ai->ai_addr, &addr->u, addr->len);
	return ai;
}

/*
 * The list row makes of the real answers, in their order, with the
 * canonical name on its first entry as glibc puts it.  An entry of a family
 * the program cannot open a socket of is never handed out.  Returns 0 (*res
 * NULL when nothing is left) or EAI_MEMORY.
 */
static int gai_build(struct gai_req *req, const struct gai_action *row,
		     const struct addrinfo *list, struct addrinfo **res)
{
	unsigned sockets = resolve_sockets(req->policy);
	unsigned asked = resolve_fam_of(req->ask.ai_family);
	struct addrinfo *head = NULL, **tail = &head;
	const struct addrinfo *src;
	struct gai_addr addr;

	for (src = list; src; src = src->ai_next) {
		/* An answer of a family asked for that is not handed out is
		 * one the policy took away. */
		req->dropped += (resolve_ai_fam(src) & asked) != 0;
		if (!(resolve_ai_fam(src) & row->from & req->mask))
			continue;
		if (!row->convert(req, src, &addr))
			continue;
		if (!(resolve_fam_of(addr.u.sa.sa_family) & sockets))
			continue;
		req->dropped -= (resolve_ai_fam(src) & asked) != 0;
		*tail = gai_entry_new(req, src, &addr);
		if (!*tail)
			goto err_list;
		tail = &(*tail)->ai_next;
	}
	if (head && list->ai_canonname) {
		head->ai_canonname = strdup(list->ai_canonname);
		if (!head->ai_canonname)
			goto err_list;
	}
	*res = head;
	return 0;

err_list:
	real_freeaddrinfo(head);
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
	return req->literal ? EAI_ADDRFAMILY : EAI_NONAME;
}

/*
 * No node: the wildcard (AI_PASSIVE) or loopback addresses of the families
 * the emulated host has; an AF_INET socket on an ipv6 stack with mapped
 * addresses is upgraded underneath, so it gets 0.0.0.0 too.
 */
static int gai_passive(struct gai_req *req, const struct addrinfo *list,
		       struct addrinfo **res)
{
	struct gai_action row = {.convert = gai_copy};
	struct addrinfo *head;
	int rc;

	row.from = policy_stack(req->policy);
	if (req->ask.ai_family == AF_INET)
		row.from |= resolve_sockets(req->policy);
	row.from &= resolve_fam_of(req->ask.ai_family);
	rc = gai_build(req, &row, list, &head);
	if (rc == 0 && !head)
		return EAI_ADDRFAMILY;
	if (rc == 0)
		*res = head;
	return rc;
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
int gai_rewrite(struct gai_req *req, const struct addrinfo *list,
		struct addrinfo **res)
{
	const struct gai_action *row = gai_actions;
	struct addrinfo *head;
	enum policy_action action;
	enum policy_outcome outcome;
	int rc;

	if (!req->node)
		return gai_passive(req, list, res);
	action = req->rule.action;
	req->host = resolve_list_fams(list) & req->mask;
	outcome = resolve_decide(req->policy, action, req->host,
				 resolve_fam_of(req->ask.ai_family));
	req->outcome = (int)outcome;
	while (row->outcome != OUTCOME_COUNT &&
	       (row->outcome != outcome ||
		(row->family != GAI_ANY && row->family != req->ask.ai_family)))
		row++;
	req->refused = true;
	if (!row->convert)
		return gai_fail(req, outcome);
	rc = gai_build(req, row, list, &head);
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
 * and reaches IPv6-only names through their peer-pool addresses.  Returns
 * 0 (req->mask set) or EAI_NONAME.
 */
static int gai_addrconfig(struct gai_req *req)
{
	static const int flags = AI_ADDRCONFIG | AI_PASSIVE;
	unsigned visible = resolve_sockets(req->policy), seen = FAM_NONE;
	unsigned want = resolve_fam_of(req->ask.ai_family);

	if ((visible & FAM_IPV4) && gai_answers(NULL, "0", flags, AF_INET))
		seen |= FAM_IPV4;
	if ((visible & FAM_IPV6) && gai_answers(NULL, "0", flags, AF_INET6))
		seen |= FAM_IPV6;
	if (want == FAM_IPV4 && (seen & FAM_IPV6) &&
	    local_upgrades(req->policy))
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
 * Ask the real resolver and decide: the body of the hook, but for audit
 * mode and the log.  Returns what the program is to get, *res filled.
 */
static int gai_decide(struct gai_req *req, const char *node,
		      const char *service, struct addrinfo **res)
{
	struct addrinfo query, *list = NULL;
	int rc, own, real_errno, saved_errno = errno;

	query = (struct addrinfo){
		.ai_flags = req->ask.ai_flags & ~GAI_OWN_FLAGS,
		.ai_socktype = req->ask.ai_socktype,
		.ai_protocol = req->ask.ai_protocol,
	};
	req->node = (node && strcmp(node, "*") != 0) ? node : NULL;
	req->literal = req->node && ((req->ask.ai_flags & AI_NUMERICHOST) ||
				     resolve_numeric(node));
	/* A denied name is refused before it is looked up: no query for
	 * it leaves the host. */
	if (resolve_rule(req->policy, req->node, req->literal, &req->rule) ==
	    RULE_DENY) {
		req->outcome = OUTCOME_DENY;
		req->refused = true;
		return gai_fail(req, OUTCOME_DENY);
	}
	rc = gai_forward(node, service, &query, &list);
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
	rc = gai_rewrite(req, list, res);
	/* The name's rules follow the addresses the program was given (in
	 * audit mode, libc's answer). */
	if (req->node && !req->literal &&
	    (rc == 0 || !policy_enforce(req->policy)))
		names_remember(req->policy, req->node, list);
	real_freeaddrinfo(list);
	if (rc != EAI_SYSTEM)
		errno = saved_errno;
	return rc;
}

/* The names of the EAI_* codes the shim answers with, for the log. */
static const struct gai_error {
	int rc;
	const char *name;
} gai_errors[] = {
	{EAI_NONAME, "EAI_NONAME"},
	{EAI_ADDRFAMILY, "EAI_ADDRFAMILY"},
	{EAI_SYSTEM, "EAI_SYSTEM"},
	{EAI_MEMORY, "EAI_MEMORY"},
	{0, NULL},
};

/*
 * Log a call the policy refused or changed: refused it, left answers out,
 * or gave translated or peer-pool addresses.  errno is kept.
 */
static void gai_log(const struct gai_req *req, int rc)
{
	const struct gai_error *e = gai_errors;
	const char *reason = NULL;
	int saved_errno = errno;

	while (e->name && e->rc != rc)
		e++;
	if (req->refused && req->outcome < 0)
		reason = "addrconfig";
	else if (!req->refused && req->pooled)
		reason = "peer-pool";
	else if (!req->refused && req->dropped)
		reason = "filtered";
	else if (!req->refused && (req->outcome != OUTCOME_MAP ||
				   req->ask.ai_family == AF_INET))
		return;		/* the answers are libc's (AF_INET under map) */
	resolve_log(req->policy, "getaddrinfo", req->ask.ai_family, req->node,
		    req->host, req->outcome, &req->rule,
		    req->refused ? e->name : NULL, reason);
	errno = saved_errno;
}

static int shim_getaddrinfo(const char *node, const char *service,
			    const struct addrinfo *hints, struct addrinfo **res)
{
	struct gai_req req;
	int rc, saved_errno = errno;

	gai_req_init(&req, shim_policy());
	if (!req.policy)
		return EAI_FAIL;
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
	if (!shim_init_ensure())
		return gai_forward(node, service, hints, res);
	return shim_getaddrinfo(node, service, hints, res);
}

/*
 * freeaddrinfo - the interposed freeaddrinfo(3): frees a list from
 * getaddrinfo(), or any tail of one, whoever built it.
 *
 * It changes nothing, and is hooked all the same so that the contract that
 * lets the shim build lists lives in this library: every list it hands out
 * has glibc's layout, which libc's freeaddrinfo frees entry by entry, so a
 * program's free reaches that function and no rule of the shim's own.
 * Should libc lack it, the list is left unfreed rather than freed by a rule
 * that may not be libc's.
 */
SHIM_EXPORT void freeaddrinfo(struct addrinfo *res)
{
	shim_init_ensure();
	if (real_freeaddrinfo)
		real_freeaddrinfo(res);
}
