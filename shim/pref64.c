/*
 * pref64.c - translate-prefix = auto: the network's NAT64 prefix, found as
 * RFC 7050 says.
 *
 * A DNS64 resolver synthesizes AAAA records for names that have only A
 * ones, by embedding the IPv4 address in its NAT64 prefix (RFC 6147).
 * ipv4only.arpa has only the A records 192.0.0.170 and 192.0.0.171, so its
 * AAAA answers show the prefix and its length (policy_pref64_find()).  The
 * name is asked through the system's resolver (libc's getaddrinfo, not the
 * hook), once per process, while the policy is loaded and only when some
 * decision of the policy maps an IPv4 host (policy_may_map()): the decision
 * caches (fast.c, getaddrinfo.c's) are then built with the answer.  The
 * first answer that shows a prefix wins.  No prefix (no DNS64, no answer,
 * only real AAAA records) leaves none: every map decision is then
 * fail-host (policy_set_pref64()).  Either way one log line says what was
 * found and where from.
 *
 * RFC 7050 §3.1's validation (a DNSSEC-signed PTR and AAAA for the
 * prefix) needs a validating resolver, which libc's stub is not: the
 * answer is trusted as the resolver's other answers are, and a network
 * that lies about ipv4only.arpa can lie about every name (README).
 */
#include "config.h"

#include <netdb.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "policy.h"
#include "shim.h"
#include "resolve.h"

/* The reason word of the log line: the length found, or none. */
static const char *pref64_reason(unsigned len)
{
	static const struct {
		unsigned len;
		const char *word;
	} words[] = {
		{32, "rfc7050-ipv4only.arpa-/32"},
		{40, "rfc7050-ipv4only.arpa-/40"},
		{48, "rfc7050-ipv4only.arpa-/48"},
		{56, "rfc7050-ipv4only.arpa-/56"},
		{64, "rfc7050-ipv4only.arpa-/64"},
		{96, "rfc7050-ipv4only.arpa-/96"},
	};
	size_t i;

	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (words[i].len == len)
			return words[i].word;
	return "rfc7050-no-nat64-prefix";
}

/* pref64_prepare - see shim.h. */
void pref64_prepare(struct policy *policy)
{
	const struct addrinfo hints = {
		.ai_family = AF_INET6,
		.ai_socktype = SOCK_STREAM,
	};
	struct sockaddr_in6 shown = {.sin6_family = AF_INET6};
	struct shim_log_event ev = {
		.call = "discover",
		.family = AF_INET6,
		.name = "ipv4only.arpa",
		.outcome = -1,
	};
	struct addrinfo *list = NULL;
	unsigned len = 0;
	bool found = false;
	int rc;

	if (!policy || !policy_translate_auto(policy) ||
	    !policy_may_map(policy) || !real_getaddrinfo)
		return;
	rc = real_getaddrinfo(ev.name, NULL, &hints, &list);
	if (rc == 0) {
		found = policy_pref64_find(list, &shown.sin6_addr, &len) == 0;
		if (real_freeaddrinfo)
			real_freeaddrinfo(list);
	}
	policy_set_pref64(policy, found ? &shown.sin6_addr : NULL, len);
	if (found) {
		ev.translated = (const struct sockaddr *)&shown;
		ev.translatedlen = sizeof(shown);
	} else {
		ev.error = rc ? resolve_error_name(rc) : "ENOENT";
	}
	ev.reason = pref64_reason(found ? len : 0);
	shim_log(policy, &ev);
}
