/* SPDX-License-Identifier: MIT */
/*
 * gethostbyname.c - the gethostbyname(), gethostbyname2(), gethostbyname_r()
 * and gethostbyname2_r() hooks.
 *
 * SPEC §2, gethostbyname* row.  The destination is classified as for
 * getaddrinfo() (resolve.h); the outcome then lets libc answer the family
 * the program asked, turns its A records into translated AAAA ones, turns
 * the AAAA records of a name asked for as AF_INET into peer-pool addresses
 * (SPEC §3 peer-pool, when resolve_pools() says so), or fails with libc's
 * h_errno for that failure.  The names, aliases and order of addresses in
 * a hostent are libc's own, whatever the outcome.  An IPv6 address the
 * pool has no room left for is left out; with none left, the name is
 * HOST_NOT_FOUND as before.
 *
 * gethostbyname() and gethostbyname2() return libc's static hostent when
 * libc answers, else one of the shim's per thread (glibc's is global).
 */
#include "config.h"

#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <stdalign.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "outcome.h"
#include "policy.h"
#include "resolve.h"
#include "shim.h"

/* The largest buffer the shim grows for one answer, as libc's limits go. */
#define HE_BUF_MAX (1024 * 1024)

/* How a failing verdict is told: h_errno, and the errno that the _r
 * functions also return (0: errno left alone). */
struct he_failure {
	int herr;
	int err;
};

/*
 * The failure of verdict: an outcome's own (HE_FAIL_HOST, HE_FAIL_LOCAL)
 * as outcome_meanings says, the others as no outcome does.
 */
static struct he_failure he_failure(enum he_verdict verdict)
{
	static const struct he_failure own[] = {
		[HE_FAIL_CLOSED] = {NO_RECOVERY, EACCES},
		[HE_FAIL_MEMORY] = {NETDB_INTERNAL, ENOMEM},
	};
	const struct outcome_meaning *m;

	if (verdict == HE_FAIL_CLOSED || verdict == HE_FAIL_MEMORY)
		return own[verdict];
	m = &outcome_meanings[verdict == HE_FAIL_LOCAL ? OUTCOME_FAIL_LOCAL
						       : OUTCOME_FAIL_HOST];
	return (struct he_failure){m->herr, m->he_err};
}

/* The name of an h_errno value, for the log: by herr + 1, from
 * NETDB_INTERNAL (-1) to NO_DATA (4). */
static const char *const he_herr_names[] = {
	"NETDB_INTERNAL", NULL, "HOST_NOT_FOUND", "TRY_AGAIN", "NO_RECOVERY",
	"NO_DATA",
};

typedef bool he_addr_fn(const struct policy *policy, const void *src,
			void *dst);

static he_addr_fn he_translated, he_pooled;

/*
 * How a hostent of libc's becomes one of the shim's, by verdict: the
 * family libc is asked, the family and length of the addresses handed
 * out, and how each address is turned (false leaves it out).
 */
static const struct he_conversion {
	int from;
	int to;
	size_t len;
	he_addr_fn *addr;
} he_conversions[] = {
	[HE_TRANSLATED] = {AF_INET, AF_INET6, sizeof(struct in6_addr),
			   he_translated},
	[HE_POOLED] = {AF_INET6, AF_INET, sizeof(struct in_addr), he_pooled},
};

/* An A record at its translated address; false when it may not have one
 * (resolve_translatable()). */
static bool he_translated(const struct policy *policy, const void *src,
			  void *dst)
{
	struct in_addr v4;
	struct in6_addr v6;

	memcpy(&v4, src, sizeof(v4));
	if (!resolve_translatable(policy, RULE_NONE, &v4))
		return false;
	policy_translate(policy, &v4, &v6);
	memcpy(dst, &v6, sizeof(v6));
	return true;
}

/* An AAAA record at its peer-pool address; false when the pool is full. */
static bool he_pooled(const struct policy *policy, const void *src, void *dst)
{
	struct in6_addr v6;
	struct in_addr v4;

	memcpy(&v6, src, sizeof(v6));
	if (pool_v4_of(policy, &v6, &v4))
		return false;
	memcpy(dst, &v4, sizeof(v4));
	return true;
}

/* The shim's static hostent, one per thread, and the buffer behind it. */
struct he_static {
	struct hostent he;
	size_t len;
	char buf[];
};

static pthread_once_t he_key_once = PTHREAD_ONCE_INIT;
static pthread_key_t he_key;
static bool he_key_ok;

static void he_key_create(void)
{
	he_key_ok = pthread_key_create(&he_key, free) == 0;
}

/* Log a verdict that is not libc's answer. */
static void he_log(const struct policy *policy, const char *call,
		   const char *name, int af, unsigned host,
		   enum policy_outcome outcome, const struct policy_rule *rule,
		   enum he_verdict verdict)
{
	const char *error = NULL;

	if (verdict >= HE_FAIL_HOST)
		error = he_herr_names[he_failure(verdict).herr + 1];
	resolve_log(policy, call, af, name, host, outcome, rule, error,
		    verdict == HE_POOLED ? "peer-pool" : NULL);
}

/*
 * The verdict on name asked for as af by call, logged when it is not
 * libc's answer.  In audit mode it is libc's answer all the same.
 */
static enum he_verdict he_decide(const char *call, const char *name, int af)
{
	const struct policy *policy = shim_policy();
	unsigned have, want = resolve_fam_of(af);
	enum policy_action action = RULE_NONE;
	enum policy_outcome outcome;
	struct policy_rule rule = {RULE_NONE, NULL, 0};
	enum he_verdict verdict;
	struct addrinfo *list;
	int rc, saved_errno = errno;

	if (!policy)
		return HE_FAIL_CLOSED;
	/* An unknown family gets libc's own answer. */
	if (!name || (want != FAM_IPV4 && want != FAM_IPV6))
		return HE_REAL;
	if (policy_rule_count(policy))
		action = resolve_rule(policy, name, resolve_numeric(name),
				      &rule);
	/* A denied name is refused before it is looked up. */
	if (action == RULE_DENY) {
		he_log(policy, call, name, af, FAM_NONE, OUTCOME_DENY, &rule,
		       HE_FAIL_HOST);
		errno = saved_errno;
		return policy_enforce(policy) ? HE_FAIL_HOST : HE_REAL;
	}
	/* A name libc cannot find gets libc's own answer.  But glibc tells
	 * a failed allocation in its files backend as EAI_NONAME: for a
	 * name some rule covers, libc's answer would then be handed out
	 * unremembered (its rules not following it), so the call fails. */
	rc = resolve_name_fams(policy, name, &have, &list);
	if (rc != 0 && policy_enforce(policy) &&
	    (rc == EAI_MEMORY || rc == EAI_SYSTEM))
		return HE_FAIL_MEMORY;
	if (rc != 0 && policy_enforce(policy) && policy_rule_count(policy) &&
	    policy_name_ruled(policy, name))
		return HE_FAIL_HOST;
	if (rc != 0)
		return HE_REAL;
	outcome = resolve_decide(policy, action, have, want);
	verdict = outcome_meanings[outcome].he[outcome_asked(af)];
	/* No address of a family the program cannot open a socket of. */
	if (verdict <= HE_POOLED && !(want & policy_socket_fams(policy)))
		verdict = HE_FAIL_HOST;
	/* Without pool addresses, a name with no record of the family asked
	 * gets libc's own answer: none, as libc tells it (ERANGE first for
	 * a small buffer), and nothing changed to log. */
	if (verdict == HE_POOLED &&
	    !resolve_pools(policy, resolve_numeric(name)))
		verdict = have & want ? HE_FAIL_HOST : HE_REAL;
	/* The cell is the name's, as getaddrinfo() logs it: the decision
	 * may be the whole name's (resolve_decide()). */
	if (verdict != HE_REAL)
		he_log(policy, call, name, af, have, outcome, &rule, verdict);
	/* The name's rules follow the addresses the program is given (in
	 * audit mode, libc's answer): none is handed out unremembered. */
	if ((verdict <= HE_POOLED || !policy_enforce(policy)) &&
	    !names_remember(policy, name, list) && verdict <= HE_POOLED) {
		verdict = HE_FAIL_MEMORY;
		he_log(policy, call, name, af, have, outcome, &rule, verdict);
	}
	real_freeaddrinfo(list);
	errno = saved_errno;
	return policy_enforce(policy) ? verdict : HE_REAL;
}

/* Tell a failure; returns what a _r function returns for it. */
static int he_fail(enum he_verdict verdict, int *h_errnop)
{
	struct he_failure f = he_failure(verdict);

	*h_errnop = f.herr;
	if (f.err)
		errno = f.err;
	return f.err;
}

/* Room for size bytes aligned to align in [*next, *next + *left). */
static void *he_take(char **next, size_t *left, size_t size, size_t align)
{
	size_t pad = (align - (uintptr_t)*next % align) % align;
	char *p = *next + pad;

	if (pad > *left || size > *left - pad)
		return NULL;
	*next = p + size;
	*left -= pad + size;
	return p;
}

static char *he_strdup(char **next, size_t *left, const char *s)
{
	size_t len = strlen(s) + 1;
	char *d = he_take(next, left, len, 1);

	if (d)
		memcpy(d, s, len);
	return d;
}

static size_t he_count(char **v)
{
	size_t n = 0;

	while (v[n])
		n++;
	return n;
}

/*
 * Write src, a hostent of family conv->from, into ret and buf as family
 * conv->to, each address turned by conv->addr.  Returns 0 (ret holds no
 * address when conv->addr left every one out), or ERANGE when buflen is
 * too small.
 */
static int he_write(const struct he_conversion *conv, const struct hostent *src,
		    struct hostent *ret, char *buf, size_t buflen)
{
	size_t naliases = he_count(src->h_aliases);
	size_t naddrs = he_count(src->h_addr_list), i, n = 0;
	char **aliases, **addrs, *a;

	aliases = he_take(&buf, &buflen, (naliases + 1) * sizeof(char *),
			  alignof(char *));
	addrs = he_take(&buf, &buflen, (naddrs + 1) * sizeof(char *),
			alignof(char *));
	a = he_take(&buf, &buflen, naddrs * conv->len,
		    alignof(struct in6_addr));
	if (!aliases || !addrs || !a)
		return ERANGE;
	ret->h_name = he_strdup(&buf, &buflen, src->h_name);
	if (!ret->h_name)
		return ERANGE;
	for (i = 0; i < naliases; i++) {
		aliases[i] = he_strdup(&buf, &buflen, src->h_aliases[i]);
		if (!aliases[i])
			return ERANGE;
	}
	for (i = 0; i < naddrs; i++) {
		addrs[n] = a + n * conv->len;
		if (conv->addr(shim_policy(), src->h_addr_list[i], addrs[n]))
			n++;
	}
	aliases[naliases] = NULL;
	addrs[n] = NULL;
	ret->h_aliases = aliases;
	ret->h_addr_list = addrs;
	ret->h_addrtype = conv->to;
	ret->h_length = (int)conv->len;
	return 0;
}

/*
 * gethostbyname2_r() of name's conv->from records, converted.  Returns as
 * gethostbyname2_r() does: 0 with *result set, 0 or an errno with *result
 * NULL and *h_errnop set when libc found nothing (or the conversion left
 * nothing), ERANGE when buflen is too small.
 */
static int he_convert(const struct he_conversion *conv, const char *name,
		      struct hostent *ret, char *buf, size_t buflen,
		      struct hostent **result, int *h_errnop)
{
	struct hostent src, *found = NULL;
	char *tmp = NULL, *grown;
	size_t len = 512;
	int rc;

	*result = NULL;
	if (!real_gethostbyname2_r) {
		*h_errnop = NO_RECOVERY;
		return errno = ENOSYS;
	}
	do {
		len *= 2;
		grown = realloc(tmp, len);
		if (!grown) {
			*h_errnop = NETDB_INTERNAL;
			rc = errno = ENOMEM;
			goto out;
		}
		tmp = grown;
		rc = real_gethostbyname2_r(name, conv->from, &src, tmp, len,
					   &found, h_errnop);
	} while (rc == ERANGE && len < HE_BUF_MAX);
	if (!found)
		goto out;
	rc = he_write(conv, found, ret, buf, buflen);
	if (rc == ERANGE) {
		*h_errnop = NETDB_INTERNAL;
		errno = ERANGE;
		goto out;
	}
	if (!ret->h_addr_list[0]) {
		rc = he_fail(HE_FAIL_HOST, h_errnop);
		goto out;
	}
	*result = ret;
out:
	free(tmp);
	return rc;
}

/* he_convert() into this thread's static hostent, grown as needed. */
static struct hostent *he_convert_static(const struct he_conversion *conv,
					 const char *name)
{
	struct he_static *s, *grown;
	struct hostent *result = NULL;
	size_t len;
	int herr = NETDB_INTERNAL;

	pthread_once(&he_key_once, he_key_create);
	if (!he_key_ok)
		goto out;
	s = pthread_getspecific(he_key);
	while (!s || he_convert(conv, name, &s->he, s->buf, s->len, &result,
				&herr) == ERANGE) {
		len = s ? s->len * 2 : 1024;
		if (len > HE_BUF_MAX)
			break;
		grown = realloc(s, sizeof(*s) + len);
		if (!grown)
			break;
		s = grown;
		s->len = len;
		pthread_setspecific(he_key, s);
	}
out:
	if (!result)
		h_errno = herr;
	return result;
}

/* libc's gethostbyname2() (gethostbyname() for legacy). */
static struct hostent *he_forward(const char *name, int af, bool legacy)
{
	if (legacy && real_gethostbyname)
		return real_gethostbyname(name);
	if (!legacy && real_gethostbyname2)
		return real_gethostbyname2(name, af);
	h_errno = NO_RECOVERY;
	errno = ENOSYS;
	return NULL;
}

/* libc's gethostbyname2_r() (gethostbyname_r() for legacy). */
static int he_forward_r(const char *name, int af, struct hostent *ret,
			char *buf, size_t buflen, struct hostent **result,
			int *h_errnop, bool legacy)
{
	if (legacy && real_gethostbyname_r)
		return real_gethostbyname_r(name, ret, buf, buflen, result,
					    h_errnop);
	if (!legacy && real_gethostbyname2_r)
		return real_gethostbyname2_r(name, af, ret, buf, buflen, result,
					     h_errnop);
	*result = NULL;
	*h_errnop = NO_RECOVERY;
	return errno = ENOSYS;
}

static struct hostent *shim_gethostbyname2(const char *name, int af,
					   bool legacy)
{
	enum he_verdict verdict = he_decide(legacy ? "gethostbyname"
						   : "gethostbyname2",
					    name, af);

	if (verdict == HE_REAL)
		return he_forward(name, af, legacy);
	if (verdict <= HE_POOLED)
		return he_convert_static(&he_conversions[verdict], name);
	he_fail(verdict, &h_errno);
	return NULL;
}

static int shim_gethostbyname2_r(const char *name, int af,
				 struct hostent *ret, char *buf, size_t buflen,
				 struct hostent **result, int *h_errnop,
				 bool legacy)
{
	enum he_verdict verdict = he_decide(legacy ? "gethostbyname_r"
						   : "gethostbyname2_r",
					    name, af);

	if (verdict == HE_REAL)
		return he_forward_r(name, af, ret, buf, buflen, result,
				    h_errnop, legacy);
	if (verdict <= HE_POOLED)
		return he_convert(&he_conversions[verdict], name, ret, buf,
				  buflen, result, h_errnop);
	*result = NULL;
	return he_fail(verdict, h_errnop);
}

/*
 * gethostbyname - the interposed gethostbyname(3), the AF_INET API.
 * Returns libc's answer when the policy keeps it; for a name with only
 * IPv6 addresses, when the policy upgrades AF_INET sockets, their
 * peer-pool addresses, in a hostent of this thread's that the next such
 * call overwrites; NULL with h_errno
 * HOST_NOT_FOUND when the host fails to resolve, NO_RECOVERY with errno
 * EADDRNOTAVAIL when the local address fails, NO_RECOVERY with errno EACCES
 * when no policy could be loaded.
 */
SHIM_EXPORT struct hostent *gethostbyname(const char *name)
{
	shim_init_ensure();
	return shim_gethostbyname2(name, AF_INET, true);
}

/*
 * gethostbyname2 - the interposed gethostbyname2(3).  As gethostbyname();
 * under map, AF_INET6 gives the A records at their translated addresses, in
 * a hostent of this thread's that the next such call overwrites.
 */
SHIM_EXPORT struct hostent *gethostbyname2(const char *name, int af)
{
	shim_init_ensure();
	return shim_gethostbyname2(name, af, false);
}

/*
 * gethostbyname_r - the interposed gethostbyname_r(3).  Returns 0 with
 * *result set, or *result NULL and *h_errnop as gethostbyname() sets
 * h_errno, returning 0 for HOST_NOT_FOUND, else the errno; ERANGE when
 * buflen is too small, as libc.
 */
SHIM_EXPORT int gethostbyname_r(const char *name, struct hostent *ret,
				char *buf, size_t buflen,
				struct hostent **result, int *h_errnop)
{
	shim_init_ensure();
	return shim_gethostbyname2_r(name, AF_INET, ret, buf, buflen, result,
				     h_errnop, true);
}

/*
 * gethostbyname2_r - the interposed gethostbyname2_r(3): gethostbyname2()
 * into the caller's buffer, returning as gethostbyname_r().
 */
SHIM_EXPORT int gethostbyname2_r(const char *name, int af,
				 struct hostent *ret, char *buf,
				 size_t buflen, struct hostent **result,
				 int *h_errnop)
{
	shim_init_ensure();
	return shim_gethostbyname2_r(name, af, ret, buf, buflen, result,
				     h_errnop, false);
}
