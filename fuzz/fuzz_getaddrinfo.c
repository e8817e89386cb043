/* SPDX-License-Identifier: MIT */
/*
 * fuzz_getaddrinfo.c - libFuzzer target: the getaddrinfo() result
 * rewriting (gai_rewrite(), shim/getaddrinfo.c), and the whole hook over
 * a fake resolver (fuzz/shim_env.c) that answers with the same list.
 *
 * The input: eight bytes of settings, then the real resolver's answers,
 * one entry after another until the input ends (at most 32):
 *   0  stack (bits 0-1: ipv4, dual, ipv6, dual), prefer ipv4 (bit 2),
 *      mapped = no (bit 3), enforce = no (bit 4), logging (bit 5)
 *   1  translate-prefix (bits 0-2), peer-pool (bits 3-4), local-address
 *      (bits 5-7: none, IPv4, IPv6, mapped, a name, a port range, a
 *      wildcard with a port, a name with a range)
 *   2  the local-address name's families (bits 0-1), the host's families
 *      for AI_ADDRCONFIG (bits 2-3), the resolver's answer (bits 4-6: the
 *      list, or EAI_NONAME, EAI_AGAIN, EAI_SYSTEM, EAI_BADFLAGS, EAI_SERVICE)
 *   3  rules: for fuzz.test (bits 0-1: none, allow, deny, map) and *.test
 *      (bits 2-3), map 192.0.2.0/24 (bit 4), deny 10.0.0.0/8 (bit 5),
 *      allow 2001:db8::/32 (bit 6), map fuzz.test 80 (bit 7)
 *   4  the hints' family (bits 0-2: AF_UNSPEC, AF_INET, AF_INET6,
 *      AF_UNSPEC, AF_UNIX, AF_PACKET, 99, AF_INET), no hints (bit 3)
 *   5  the hints' flags: AI_PASSIVE, AI_CANONNAME, AI_NUMERICHOST,
 *      AI_V4MAPPED, AI_ALL, AI_ADDRCONFIG, AI_NUMERICSERV, AI_IDN
 *   6  socktype (bits 0-1), protocol (bits 2-3)
 *   7  node (bits 0-2: NULL, fuzz.test, www.test, 192.0.2.5, 2001:db8::5,
 *      ::ffff:10.1.2.3, "*", 64:ff9b::a01:203), the AI_ADDRCONFIG mask
 *      (bits 3-4: both, IPv4, IPv6, both)
 * An entry: u8 shape (bits 0-2: AF_INET, AF_INET6, AF_INET, AF_INET6,
 * AF_UNSPEC, AF_UNIX, AF_PACKET, a raw family byte; bit 3: a raw
 * sa_family byte follows, unlike ai_family; bit 4: a raw length byte
 * follows; bit 5: a canonical name follows, u8 length and bytes; bit 6:
 * ai_addr NULL), u8 socktype (bits 0-1) and protocol (bits 2-3), then the
 * address: port and IPv4 address (6 bytes) for a sockaddr_in, port,
 * flowinfo, address and scope (26 bytes) for a sockaddr_in6, else the
 * bytes after sa_family.  Every entry is in glibc's layout, its address
 * exactly ai_addrlen bytes (a read past it is an ASan error).
 *
 * Checked, beyond memory safety, UB and leaks:
 *   - gai_rewrite() returns 0 with a list, or EAI_NONAME, EAI_ADDRFAMILY,
 *     EAI_SYSTEM (errno EADDRNOTAVAIL) or EAI_MEMORY with *res untouched;
 *   - the list has glibc's layout (ai_addr right after its entry), the
 *     program's flags, each entry's socktype and protocol from an answer
 *     in the answers' order, no more entries than answers, the first
 *     answer's canonical name on the first entry only;
 *   - for answers as glibc gives them (AF_INET or AF_INET6, of their
 *     length; without a node, none IPv4-mapped): only families the program may open sockets of (the stack's,
 *     and AF_INET on an ipv6 stack with mapped addresses), only the family
 *     asked for, each address of the right length and from an answer:
 *     itself, its IPv4 address, ::ffff:a.b.c.d or its translation, or a
 *     peer-pool address that leads back to it, with the answer's port;
 *   - freeaddrinfo(), the shim's hook as a program calls it, frees the
 *     list as two pieces, a tail first (LeakSanitizer checks all went);
 *   - the hook getaddrinfo() over the fake resolver: a list or an error
 *     code, *res untouched on error; with enforce = yes and answers as
 *     glibc gives them, the same family checks;
 *   - after fuzz_env_reset(), the input has left nothing behind: no answer
 *     is still remembered by its name (names_forget()), and a name
 *     local-address is resolved again, by a resolver that now knows none
 *     (local_forget()); a missed pool_forget() is an ASan error at the
 *     next input (the region is unmapped).
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz/fuzz.h"
#include "fuzz/shim_env.h"
#include "policy.h"
#include "shim/fast.h"
#include "shim/gai.h"
#include "shim/resolve.h"

#define MAX_ENTRIES 32

static const char *const stacks[] = {"ipv4", "dual", "ipv6", "dual"};
static const char *const prefixes[] = {
	"::ffff:0:0/96", "64:ff9b::/96", "2001:db8::/32", "2001:db8:100::/40",
	"2001:db8:122::/48", "2001:db8:122:300::/56", "2001:db8:122:344::/64",
	"2001:db8:a:b::/96",
};
static const char *const pools[] = {
	"198.18.0.0/15", "10.0.0.0/30", "192.0.2.0/24", "100.64.0.0/10",
};
static const char *const locals[] = {
	NULL, "192.0.2.1", "2001:db8::1", "::ffff:192.0.2.1", "local.test",
	"(1024,1030)", "0.0.0.0(2000)", "local.test(3000,3001)",
};
static const char *const actions[] = {NULL, "allow", "deny", "map"};
static const int main_rcs[] = {
	0, 0, 0, EAI_NONAME, EAI_AGAIN, EAI_SYSTEM, EAI_BADFLAGS, EAI_SERVICE,
};
static const int families[] = {
	AF_UNSPEC, AF_INET, AF_INET6, AF_UNSPEC, AF_UNIX, AF_PACKET, 99, AF_INET,
};
static const int ai_flags[] = {
	AI_PASSIVE, AI_CANONNAME, AI_NUMERICHOST, AI_V4MAPPED, AI_ALL,
	AI_ADDRCONFIG, AI_NUMERICSERV, AI_IDN,
};
static const int socktypes[] = {0, SOCK_STREAM, SOCK_DGRAM, SOCK_RAW};
static const int protocols[] = {0, IPPROTO_TCP, IPPROTO_UDP, 255};
static const char *const nodes[] = {
	NULL, "fuzz.test", "www.test", "192.0.2.5", "2001:db8::5",
	"::ffff:10.1.2.3", "*", "64:ff9b::a01:203",
};
static const unsigned masks[] = {FAM_BOTH, FAM_IPV4, FAM_IPV6, FAM_BOTH};
static const int entry_families[] = {
	AF_INET, AF_INET6, AF_INET, AF_INET6, AF_UNSPEC, AF_UNIX, AF_PACKET, 0,
};

/*
 * After fuzz_env_reset(): nothing the input remembered is still found.
 * The names of the answers list, and a name local-address p resolved
 * under the input's local_fams, which the reset set back to none.
 */
static void check_forgotten(const struct policy *p,
			    const struct addrinfo *list)
{
	const struct policy_local *l = policy_local_address(p);
	struct sockaddr_inet in;
	struct policy_addr key;
	struct local_info info;
	char name[256];

	for (; list; list = list->ai_next) {
		if (!list->ai_addr ||
		    !sockaddr_parse(list->ai_addr, list->ai_addrlen, &in))
			continue;
		sockaddr_rule_addr(p, &in, &key);
		FUZZ_CHECK(!names_lookup(&key, name, sizeof(name)));
	}
	if (l && l->host && l->fam == FAM_NONE)
		FUZZ_CHECK(local_info_get(p, &info) && info.failed);
}

/* The service of the program's own call: the fake resolver knows it. */
static const char fuzz_service[] = "80";

static struct policy *make_policy(const uint8_t h[8])
{
	char text[1024];
	size_t n = 0;
	struct policy *p = policy_new();
	struct policy_error err;
	const char *local = locals[h[1] >> 5];

#define ADD(...) \
	(n += (size_t)snprintf(text + n, sizeof(text) - n, __VA_ARGS__))
	ADD("stack = %s\n", stacks[h[0] & 3]);
	ADD("prefer = %s\n", h[0] & 4 ? "ipv4" : "ipv6");
	ADD("mapped = %s\n", h[0] & 8 ? "no" : "yes");
	ADD("enforce = %s\n", h[0] & 16 ? "no" : "yes");
	ADD("translate-prefix = %s\n", prefixes[h[1] & 7]);
	ADD("peer-pool = %s\n", pools[(h[1] >> 3) & 3]);
	if (local)
		ADD("local-address = %s\n", local);
	if (actions[h[3] & 3])
		ADD("%s = fuzz.test\n", actions[h[3] & 3]);
	if (actions[(h[3] >> 2) & 3])
		ADD("%s = *.test\n", actions[(h[3] >> 2) & 3]);
	if (h[3] & 16)
		ADD("map = 192.0.2.0/24\n");
	if (h[3] & 32)
		ADD("deny = 10.0.0.0/8\n");
	if (h[3] & 64)
		ADD("allow = 2001:db8::/32\n");
	if (h[3] & 128)
		ADD("map = fuzz.test 80\n");
#undef ADD
	FUZZ_CHECK(p);
	FUZZ_CHECK(policy_parse_buffer(p, "fuzz.conf", text, n, &err) == 0);
	return p;
}

/* The next answer off the input; *well says whether glibc could give it. */
static struct addrinfo *read_entry(struct fuzz_in *in, bool *well)
{
	uint8_t shape = fz_u8(in), types = fz_u8(in);
	int family = entry_families[shape & 7];
	struct sockaddr_storage ss;
	socklen_t len;
	char canon[256], *canonname = NULL;
	uint8_t *b = (uint8_t *)&ss;
	sa_family_t sa_family;

	if ((shape & 7) == 7)
		family = fz_u8(in);
	sa_family = (sa_family_t)family;
	if (shape & 8)
		sa_family = fz_u8(in);
	len = family == AF_INET ? sizeof(struct sockaddr_in)
	      : family == AF_INET6 ? sizeof(struct sockaddr_in6)
				   : sizeof(sa_family_t);
	if (shape & 16)
		len = fz_u8(in) % (sizeof(ss) + 1);
	if (shape & 32)
		canonname = fz_str(in, canon, sizeof(canon));
	memset(&ss, 0, sizeof(ss));
	if (len >= sizeof(sa_family))
		memcpy(&ss, &sa_family, sizeof(sa_family));
	if (len == sizeof(struct sockaddr_in) && family == AF_INET) {
		fz_bytes(in, b + 2, 6);
	} else if (len == sizeof(struct sockaddr_in6) && family == AF_INET6) {
		fz_bytes(in, b + 2, 26);
	} else if (len > sizeof(sa_family)) {
		fz_bytes(in, b + 2, len - 2);
	}
	*well = (family == AF_INET || family == AF_INET6) &&
		sa_family == family && !(shape & 0x50);
	return fuzz_ai_new(family, socktypes[types & 3],
			   protocols[(types >> 2) & 3],
			   shape & 64 ? NULL : &ss, len, canonname);
}

/* Whether an answer has the IPv4 address v4 (itself, mapped, or inside
 * p's translate-prefix: a DNS64 answer). */
static bool answer_v4(const struct policy *p, const struct addrinfo *ai,
		      struct in_addr *v4, in_port_t *port)
{
	const struct sockaddr_in6 *sin6 = (const void *)ai->ai_addr;
	struct policy_addr a = {.fam = FAM_IPV6};

	if (ai->ai_family == AF_INET) {
		const struct sockaddr_in *sin = (const void *)ai->ai_addr;

		*v4 = sin->sin_addr;
		*port = sin->sin_port;
		return true;
	}
	*port = sin6->sin6_port;
	if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
		memcpy(v4, &sin6->sin6_addr.s6_addr[12], 4);
		return true;
	}
	memcpy(a.a, &sin6->sin6_addr, sizeof(a.a));
	return policy_addr_v4(p, &a, v4);
}

/* Whether out, an entry the program is handed, comes from an answer. */
static bool from_answer(const struct policy *p, const struct addrinfo *out,
			const struct addrinfo *list)
{
	const struct sockaddr_in *sin = (const void *)out->ai_addr;
	const struct sockaddr_in6 *sin6 = (const void *)out->ai_addr;
	const struct addrinfo *a;
	struct in6_addr mapped = {.s6_addr = {[10] = 0xff, [11] = 0xff}};
	struct in6_addr translated, v6;
	struct in_addr v4;
	in_port_t port;

	for (a = list; a; a = a->ai_next) {
		const struct sockaddr_in6 *a6 = (const void *)a->ai_addr;
		bool has_v4 = answer_v4(p, a, &v4, &port);

		if (out->ai_family == AF_INET) {
			if (has_v4 && v4.s_addr == sin->sin_addr.s_addr &&
			    port == sin->sin_port)
				return true;
			if (!has_v4 && pool_v6_of(p, &sin->sin_addr, &v6) &&
			    !memcmp(&v6, &a6->sin6_addr, 16) &&
			    a6->sin6_port == sin->sin_port)
				return true;
			continue;
		}
		if (a->ai_family == AF_INET6 &&
		    !memcmp(a->ai_addr, out->ai_addr, sizeof(*sin6)))
			return true;
		if (!has_v4 || port != sin6->sin6_port)
			continue;
		memcpy(&mapped.s6_addr[12], &v4, 4);
		policy_translate(p, &v4, &translated);
		if (!memcmp(&sin6->sin6_addr, &mapped, 16) ||
		    !memcmp(&sin6->sin6_addr, &translated, 16))
			return true;
	}
	return false;
}

/*
 * The checks of a list handed to a program for answers list (n entries,
 * all as glibc gives them when well), asked as ask.
 */
static void check_list(const struct policy *p, const struct addrinfo *res,
		       const struct addrinfo *list, size_t n, bool well,
		       const struct addrinfo *ask, bool layout)
{
	const struct addrinfo *ai, *at[2] = {list, list}, **a;
	unsigned sockets = policy_socket_fams(p);
	size_t count = 0;

	FUZZ_CHECK(res);
	for (ai = res; ai; ai = ai->ai_next) {
		FUZZ_CHECK(++count <= n);
		if (layout) {
			FUZZ_CHECK(ai->ai_addr == (struct sockaddr *)(ai + 1));
			FUZZ_CHECK(ai->ai_flags == ask->ai_flags);
			FUZZ_CHECK(ai->ai_addrlen <=
				   sizeof(struct sockaddr_in6));
			FUZZ_CHECK(ai->ai_addrlen < sizeof(sa_family_t) ||
				   ai->ai_family == ai->ai_addr->sa_family);
			/* In the answers' order, each class apart: a
			 * dual stack's fallback comes after the
			 * preferred family's entries.  An ill-formed
			 * answer's family may not be its class's: then
			 * only that some answer matches. */
			a = &at[(resolve_ai_fam(p, ai) & FAM_IPV6) != 0];
			if (!well)
				*a = list;
			while (*a && ((*a)->ai_socktype != ai->ai_socktype ||
				      (*a)->ai_protocol != ai->ai_protocol))
				*a = (*a)->ai_next;
			FUZZ_CHECK(*a);
			*a = (*a)->ai_next;
			if (ai == res && list->ai_canonname)
				FUZZ_CHECK(ai->ai_canonname &&
					   !strcmp(ai->ai_canonname,
						   list->ai_canonname));
			else
				FUZZ_CHECK(!ai->ai_canonname);
		}
		if (!well)
			continue;
		FUZZ_CHECK(ai->ai_family == AF_INET ||
			   ai->ai_family == AF_INET6);
		FUZZ_CHECK(resolve_fam_of(ai->ai_family) & sockets);
		if (ask->ai_family != AF_UNSPEC)
			FUZZ_CHECK(ai->ai_family == ask->ai_family);
		FUZZ_CHECK(ai->ai_addrlen == (ai->ai_family == AF_INET
						      ? sizeof(struct sockaddr_in)
						      : sizeof(struct sockaddr_in6)));
		FUZZ_CHECK(from_answer(p, ai, list));
	}
}

/* Whether list has an AF_INET6 answer at an IPv4-mapped address. */
static bool has_mapped(const struct addrinfo *list)
{
	for (; list; list = list->ai_next) {
		const struct sockaddr_in6 *sin6 = (const void *)list->ai_addr;

		if (list->ai_family == AF_INET6 && sin6 &&
		    list->ai_addrlen >= sizeof(*sin6) &&
		    IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr))
			return true;
	}
	return false;
}

/* Free res as a program may: a tail of it first, then the rest. */
static void free_list(struct addrinfo *res)
{
	struct addrinfo *tail = res->ai_next;

	if (tail && tail->ai_next)
		tail = tail->ai_next;
	if (tail) {
		struct addrinfo *ai = res;

		while (ai->ai_next != tail)
			ai = ai->ai_next;
		ai->ai_next = NULL;
		freeaddrinfo(tail);
	}
	freeaddrinfo(res);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = {data, size};
	struct addrinfo *list = NULL, **tail = &list, *res, hints;
	struct addrinfo *const sentinel = (struct addrinfo *)&hints;
	struct gai_req req;
	struct policy *p;
	const char *node;
	uint8_t h[8];
	size_t n = 0;
	bool well = true, literal, entry_well;
	int rc, i;

	fz_bytes(&in, h, sizeof(h));
	p = make_policy(h);
	fuzz_env_reset(p);
	fuzz_env.logging = h[0] & 32;
	fuzz_env.local_fams = h[2] & 3;
	fuzz_env.host_fams = (h[2] >> 2) & 3;
	while (in.n && n < MAX_ENTRIES) {
		*tail = read_entry(&in, &entry_well);
		well &= entry_well;
		tail = &(*tail)->ai_next;
		n++;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = families[h[4] & 7];
	for (i = 0; i < 8; i++)
		if (h[5] & (1 << i))
			hints.ai_flags |= ai_flags[i];
	hints.ai_socktype = socktypes[h[6] & 3];
	hints.ai_protocol = protocols[(h[6] >> 2) & 3];
	node = nodes[h[7] & 7];

	/*
	 * Without a node glibc answers the wildcard or loopback addresses,
	 * never an IPv4-mapped one; gai_passive() copies the IPv4 class
	 * as it is, so such an answer would be an AF_INET6 entry to an
	 * AF_INET request: not a list glibc gives.
	 */
	if (!node || !strcmp(node, "*"))
		well &= !has_mapped(list);

	/* The rewriting alone, as gai_decide() calls it: it uses up a copy
	 * of the answers, as it uses up libc's list. */
	gai_req_init(&req, p, gai_fast_get(p), &hints);
	if (resolve_fam_of(req.ask.ai_family) == FAM_NONE)
		req.ask.ai_family = AF_UNSPEC;
	req.node = node && strcmp(node, "*") ? node : NULL;
	literal = req.node && ((hints.ai_flags & AI_NUMERICHOST) ||
			       strchr(req.node, ':') ||
			       strspn(req.node, "0123456789.") ==
				       strlen(req.node));
	req.literal = literal;
	req.mask = masks[(h[7] >> 3) & 3];
	resolve_rule(p, req.node, literal, &req.rule);
	res = sentinel;
	errno = 0;
	rc = gai_rewrite(&req, fuzz_list_copy(list), &res);
	if (rc) {
		FUZZ_CHECK(rc == EAI_NONAME || rc == EAI_ADDRFAMILY ||
			   rc == EAI_MEMORY ||
			   (rc == EAI_SYSTEM && errno == EADDRNOTAVAIL));
		FUZZ_CHECK(res == sentinel);
	} else {
		check_list(p, res, list, n, well, &req.ask, true);
		free_list(res);
	}

	/* The hook, over a resolver that answers with list. */
	fuzz_env.node = node;
	fuzz_env.service = fuzz_service;
	fuzz_env.list = list;
	fuzz_env.rc = main_rcs[(h[2] >> 4) & 7];
	fuzz_env.err = ECONNREFUSED;
	res = sentinel;
	rc = getaddrinfo(node, fuzz_service, h[4] & 8 ? NULL : &hints, &res);
	if (rc) {
		FUZZ_CHECK(res == sentinel);
	} else {
		const struct addrinfo *ask = &hints;

		if (h[4] & 8) {
			static const struct addrinfo glibc_default = {
				.ai_flags = AI_V4MAPPED | AI_ADDRCONFIG,
			};

			ask = &glibc_default;
		}
		check_list(p, res, list, n,
			   well && policy_enforce(p) &&
				   resolve_fam_of(ask->ai_family) != FAM_NONE,
			   ask, false);
		free_list(res);
	}

	fuzz_env_reset(NULL);
	check_forgotten(p, list);
	fuzz_env_reset(NULL);	/* what check_forgotten() resolved again */
	fuzz_list_free(list);
	policy_free(p);
	return 0;
}
