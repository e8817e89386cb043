/* SPDX-License-Identifier: MIT */
/*
 * fuzz_values.c - libFuzzer target: the value parsers of the scalar keys
 * (policy/values.c, addr.c), local-address and translate-prefix above all,
 * as policy_set() and the STACKSHIM_* variables of policy_load() reach
 * them.
 *
 * The input, up to its first NUL, is one value, given to every scalar key
 * in turn.  Checked, beyond memory safety and UB:
 *   - policy_set() returns 0 or -EINVAL; a refusal names the source, line
 *     1 and a column inside the value (or just past it), and leaves the
 *     policy as it was; allow/deny/map cannot be set;
 *   - an accepted value, as policy_describe() prints it, is accepted again
 *     and gives the same policy (format, then parse, is the identity);
 *   - translate-prefix is accepted exactly when the value is an IPv6 CIDR
 *     with an explicit length that policy_prefix_check() passes; the
 *     prefix embeds an IPv4 address that policy_rfc6052_extract() and
 *     policy_addr_v4() give back;
 *   - peer-pool is accepted exactly when the value is an IPv4 CIDR with an
 *     explicit length of 1 to 30, and a pool on it gives addresses inside
 *     it (neither its first nor its last) that lead back;
 *   - local-address: ports 0 and 0 or LOW <= HIGH; a literal's family and
 *     address are policy_addr_parse()'s; a port range alone has no host;
 *   - policy_addr_parse() and policy_addr_parse_cidr() of the value, when
 *     they accept it, accept their own formatted output and give the same
 *     address; no bit is set past a CIDR's length;
 *   - policy_load() with every STACKSHIM_* variable set to the value
 *     answers as policy_set() of each key in turn: the same code, error
 *     and policy;
 *   - the value as a destination under a policy with name and address
 *     rules: a host name's rule does not depend on its case or a final
 *     dot, a rule that fits no port fits port 80, a name that finds a rule
 *     is covered (policy_name_ruled()); an IPv4 address and its mapped form
 *     find the same rule.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "fuzz.h"
#include "policy.h"

static const struct key {
	const char *name;
	const char *env;
} keys[] = {
	{"stack", "STACKSHIM_STACK"},
	{"prefer", "STACKSHIM_PREFER"},
	{"mapped", "STACKSHIM_MAPPED"},
	{"ipv4-loopback", "STACKSHIM_IPV4_LOOPBACK"},
	{"fallback", "STACKSHIM_FALLBACK"},
	{"local-address", "STACKSHIM_LOCAL_ADDRESS"},
	{"translate-prefix", "STACKSHIM_TRANSLATE_PREFIX"},
	{"peer-pool", "STACKSHIM_PEER_POOL"},
	{"enforce", "STACKSHIM_ENFORCE"},
	{"log", "STACKSHIM_LOG"},
	{"log-format", "STACKSHIM_LOG_FORMAT"},
};

#define NKEYS (sizeof(keys) / sizeof(keys[0]))

/* Whether keys[k] is the key named name: checks are by name, not index. */
static bool is_key(size_t k, const char *name)
{
	return !strcmp(keys[k].name, name);
}

static char *describe(const struct policy *p)
{
	size_t n = policy_describe(p, NULL, 0);
	char *buf = malloc(n + 1);

	FUZZ_CHECK(buf);
	FUZZ_CHECK(policy_describe(p, buf, n + 1) == n);
	return buf;
}

/* The value of key's line in d, "KEY = VALUE # ORIGIN", into buf. */
static bool described_value(const char *d, const char *key, char *buf,
			    size_t len)
{
	size_t n = strlen(key);
	const char *line, *end, *hash;

	for (line = d; *line; line = end + 1) {
		end = strchr(line, '\n');
		FUZZ_CHECK(end);
		if (strncmp(line, key, n) || strncmp(line + n, " = ", 3))
			continue;
		line += n + 3;
		/* The last " # " starts the origin. */
		for (hash = line; ; hash++) {
			const char *next = strstr(hash, " # ");

			FUZZ_CHECK(next && next < end);
			hash = next;
			next = strstr(hash + 1, " # ");
			if (!next || next > end)
				break;
		}
		FUZZ_CHECK((size_t)(hash - line) < len);
		memcpy(buf, line, (size_t)(hash - line));
		buf[hash - line] = '\0';
		return true;
	}
	return false;
}

static void check_translate(const struct policy *p, bool accepted,
			    const char *value, uint32_t v4bits)
{
	struct policy_addr a;
	struct in6_addr prefix, out;
	struct in_addr v4 = {.s_addr = v4bits}, back;
	unsigned len;
	bool oracle;

	/* auto: no prefix until the shim finds one, nothing translatable. */
	if (!strcmp(value, "auto")) {
		FUZZ_CHECK(accepted && policy_translate_auto(p));
		policy_translate_prefix(p, &prefix, &len);
		FUZZ_CHECK(len == 0 && !policy_translatable(p, &v4));
		return;
	}
	oracle = !policy_addr_parse_cidr(value, &a, &len) &&
		 a.fam == FAM_IPV6 && strchr(value, '/') &&
		 !policy_prefix_check((struct in6_addr *)a.a, len);
	FUZZ_CHECK(accepted == oracle);
	if (!accepted)
		return;
	FUZZ_CHECK(!policy_translate_auto(p));
	policy_translate_prefix(p, &prefix, &len);
	FUZZ_CHECK(!memcmp(&prefix, a.a, 16));
	FUZZ_CHECK(!policy_rfc6052_embed(&prefix, len, &v4, &out));
	FUZZ_CHECK(!memcmp(&out, &prefix, len / 8));
	FUZZ_CHECK(!policy_rfc6052_extract(&out, len, &back));
	FUZZ_CHECK(back.s_addr == v4.s_addr);
	a.fam = FAM_IPV6;
	memcpy(a.a, &out, 16);
	FUZZ_CHECK(policy_addr_v4(p, &a, &back) && back.s_addr == v4.s_addr);
	policy_translate(p, &v4, &prefix);
	FUZZ_CHECK(!memcmp(&prefix, &out, 16));
}

static void check_pool(const struct policy *p, bool accepted,
		       const char *value, const uint8_t v6bytes[16])
{
	static const uint64_t key[POLICY_POOL_KEYS] = {1, 2, 3, 4, 5};
	struct policy_addr a;
	struct policy_pool pool;
	struct in6_addr v6, back;
	struct in_addr net, v4;
	unsigned len;
	uint32_t host, mask;
	size_t size;
	void *base;
	bool oracle, fresh;

	oracle = !policy_addr_parse_cidr(value, &a, &len) &&
		 a.fam == FAM_IPV4 && strchr(value, '/') && len >= 1 &&
		 len <= 30;
	FUZZ_CHECK(accepted == oracle);
	if (!accepted)
		return;
	policy_peer_pool(p, &net, &len);
	FUZZ_CHECK(!memcmp(&net, a.a, 4));
	/* The region as shim/poolfile.c maps it, in anonymous memory. */
	size = policy_pool_region_size(&net, len);
	FUZZ_CHECK(size);
	base = mmap(NULL, size, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	FUZZ_CHECK(base != MAP_FAILED);
	FUZZ_CHECK(policy_pool_format(&pool, base, size, &net, len, 1, key) ==
		   POLICY_POOL_OK);
	memcpy(&v6, v6bytes, 16);
	FUZZ_CHECK(!policy_pool_v4(&pool, &v6, &v4));
	FUZZ_CHECK(policy_pool_assign(&pool, &v6, &v4, &fresh) == 0 && fresh);
	mask = ~0u << (32 - len);
	host = ntohl(v4.s_addr) & ~mask;
	FUZZ_CHECK((ntohl(v4.s_addr) & mask) == ntohl(net.s_addr));
	FUZZ_CHECK(host != 0 && host != ~mask);
	FUZZ_CHECK(policy_pool_v6(&pool, &v4, &back));
	FUZZ_CHECK(!memcmp(&back, &v6, 16));
	FUZZ_CHECK(policy_pool_assign(&pool, &v6, &v4, &fresh) == 0 && !fresh);
	FUZZ_CHECK(policy_pool_v4(&pool, &v6, &v4));
	FUZZ_CHECK(policy_pool_size(&pool) == 1);
	FUZZ_CHECK(policy_pool_attach(&pool, base, size, &net, len, 1) ==
		   POLICY_POOL_OK);
	munmap(base, size);
}

static void check_local(const struct policy *p, bool accepted)
{
	const struct policy_local *l = policy_local_address(p);
	struct policy_addr parsed;

	FUZZ_CHECK(accepted == (l != NULL));
	if (!l)
		return;
	FUZZ_CHECK(!l->port_low == !l->port_high);
	FUZZ_CHECK(l->port_low <= l->port_high);
	if (!l->host) {
		FUZZ_CHECK(l->fam == FAM_NONE && l->port_low);
		return;
	}
	FUZZ_CHECK(l->host[0]);
	if (l->fam == FAM_NONE) {
		FUZZ_CHECK(policy_addr_parse(l->host, &parsed));
		return;
	}
	FUZZ_CHECK(!policy_addr_parse(l->host, &parsed));
	FUZZ_CHECK(!memcmp(&parsed, &l->addr, sizeof(parsed)));
	FUZZ_CHECK(l->fam == policy_addr_host_fam(&parsed));
}

/*
 * Whether value can be written as "KEY = value" in a config file: one
 * line of at most POLICY_LINE_MAX bytes, no blank at either end (they are
 * trimmed), no '#' first or after a blank (a comment), no control
 * character but tab, valid UTF-8 (a file must be).  policy_describe() has
 * no quoting, so a value from the environment that is not (a log path
 * with a newline, or of 4,090 bytes) cannot be printed as config text.
 */
static bool config_expressible(const char *key, const char *v)
{
	size_t len = strlen(v), i;

	if (!len || strlen(key) + strlen(" = ") + len > POLICY_LINE_MAX || strchr(v, '\n') || strchr(v, '\r') || v[0] == '#' ||
	    v[0] == ' ' ||
	    v[0] == '\t' || v[len - 1] == ' ' || v[len - 1] == '\t' ||
	    strstr(v, " #") || strstr(v, "\t#"))
		return false;
	for (i = 0; i < len; i++)
		if (((unsigned char)v[i] < 0x20 && v[i] != '\t') || v[i] == 0x7f)
			return false;
	for (i = 0; i < len;) {
		unsigned char c = (unsigned char)v[i];
		unsigned n = c < 0x80 ? 0 : (c & 0xe0) == 0xc0 ? 1
			   : (c & 0xf0) == 0xe0 ? 2 : (c & 0xf8) == 0xf0 ? 3 : 4;
		unsigned cp = n ? c & (0x3fu >> n) : c, k;
		static const unsigned least[] = {0, 0x80, 0x800, 0x10000};

		if (n == 4 || i + n >= len)
			return false;
		for (k = 1; k <= n; k++) {
			if ((v[i + k] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (v[i + k] & 0x3f);
		}
		if (cp < least[n] || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += n + 1;
	}
	return true;
}

/* text without the " # origin" comment at the end of each line. */
static void strip_origins(char *text)
{
	char *line = text, *out = text;

	while (*line) {
		char *nl = strchr(line, '\n'), *hash, *next;
		size_t len = nl ? (size_t)(nl - line) : strlen(line);

		line[len] = '\0';
		hash = strstr(line, " # ");
		while (hash && (next = strstr(hash + 1, " # ")))
			hash = next;
		if (hash && line[0] != '#')
			*hash = '\0';
		out += sprintf(out, "%s\n", line);
		line += len + (nl ? 1 : 0);
	}
	*out = '\0';
}

/*
 * A value the config syntax can hold: "KEY = value" in a file is taken
 * exactly when policy_set() takes it, and sets the same.
 */
static void check_as_file(const char *key, const char *value, bool accepted,
			  const char *described)
{
	struct policy *p = policy_new();
	struct policy_error err;
	size_t len = strlen(key) + strlen(value) + 8;
	char *text = malloc(len), *d, *want = strdup(described);
	int rc;

	FUZZ_CHECK(p && text && want);
	snprintf(text, len, "%s = %s\n", key, value);
	rc = policy_parse_buffer(p, "fuzz.conf", text, strlen(text), &err);
	if (accepted != !rc)
		fprintf(stderr, "'%s': policy_set %s, in a file %s\n", value,
			accepted ? "took it" : "refused it",
			rc ? err.text : "taken");
	FUZZ_CHECK(accepted == !rc);
	if (accepted) {
		d = describe(p);
		strip_origins(d);
		strip_origins(want);
		FUZZ_CHECK(!strcmp(d, want));
		free(d);
	}
	free(want);
	free(text);
	policy_free(p);
}

/* Address parsers: what they accept, formatted, reads back the same. */
static void check_addr(const char *value)
{
	struct policy_addr a, b;
	char text[INET6_ADDRSTRLEN], cidr[INET6_ADDRSTRLEN + 8];
	unsigned len, len2, bit;

	if (!policy_addr_parse(value, &a)) {
		FUZZ_CHECK(a.fam == FAM_IPV4 || a.fam == FAM_IPV6);
		FUZZ_CHECK(policy_addr_format(&a, text, sizeof(text)));
		FUZZ_CHECK(!policy_addr_parse(text, &b));
		FUZZ_CHECK(!memcmp(&a, &b, sizeof(a)));
	}
	if (!policy_addr_parse_cidr(value, &a, &len)) {
		FUZZ_CHECK(len <= (a.fam == FAM_IPV4 ? 32u : 128u));
		for (bit = len; bit < (a.fam == FAM_IPV4 ? 32u : 128u); bit++)
			FUZZ_CHECK(!(a.a[bit / 8] & (0x80 >> (bit % 8))));
		FUZZ_CHECK(policy_addr_format(&a, text, sizeof(text)));
		snprintf(cidr, sizeof(cidr), "%s/%u", text, len);
		FUZZ_CHECK(!policy_addr_parse_cidr(cidr, &b, &len2));
		FUZZ_CHECK(!memcmp(&a, &b, sizeof(a)) && len == len2);
	}
}

/* A policy with name and address rules, for the value as a destination. */
static struct policy *ruled;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const char conf[] =
		"deny = *.example.com\n"
		"allow = a.b.example.com 80 tcp\n"
		"map = x.test\n"
		"allow = Example.COM.\n"
		"deny = 10.0.0.0/8\n"
		"map = 2001:db8::/32 53 udp\n"
		"allow = 10.1.0.0/16 1-1024\n";
	struct policy_error err;

	(void)argc;
	(void)argv;
	ruled = policy_new();
	FUZZ_CHECK(ruled);
	FUZZ_CHECK(!policy_parse_buffer(ruled, "ruled.conf", conf,
					sizeof(conf) - 1, &err));
	return 0;
}

static bool same_rule(bool fa, const struct policy_rule *a, bool fb,
		      const struct policy_rule *b)
{
	return fa == fb && (!fa || (a->action == b->action &&
				    a->line == b->line));
}

/*
 * The value as a host name a program resolves: any case and a final dot
 * give the same rule, a rule without a port fits any port, a rule found is
 * one that covers the name.  As an address: its IPv4-mapped form finds the
 * same rule.
 */
static void check_destination(const char *value)
{
	size_t len = strlen(value), i;
	char *other = malloc(len + 2);
	struct policy_rule r1, r2;
	struct policy_addr a, m = {.fam = FAM_IPV6};
	bool f1, f2;

	FUZZ_CHECK(other);
	f1 = policy_match_name(ruled, value, 0, PROTO_ANY, &r1);
	if (f1)
		FUZZ_CHECK(policy_name_ruled(ruled, value));
	for (i = 0; i < len; i++)
		other[i] = (char)(value[i] >= 'a' && value[i] <= 'z'
					  ? value[i] - 'a' + 'A' : value[i]);
	other[len] = '\0';
	f2 = policy_match_name(ruled, other, 0, PROTO_ANY, &r2);
	FUZZ_CHECK(same_rule(f1, &r1, f2, &r2));
	if (len && len < 253 && value[len - 1] != '.') {
		strcat(other, ".");
		f2 = policy_match_name(ruled, other, 0, PROTO_ANY, &r2);
		FUZZ_CHECK(same_rule(f1, &r1, f2, &r2));
	}
	if (f1)
		FUZZ_CHECK(policy_match_name(ruled, value, 80, PROTO_TCP, &r2));
	free(other);

	if (policy_addr_parse(value, &a) || a.fam != FAM_IPV4)
		return;
	f1 = policy_match_addr(ruled, &a, 443, PROTO_TCP, &r1);
	m.a[10] = m.a[11] = 0xff;
	memcpy(m.a + 12, a.a, 4);
	f2 = policy_match_addr(ruled, &m, 443, PROTO_TCP, &r2);
	FUZZ_CHECK(same_rule(f1, &r1, f2, &r2));
	f2 = policy_match_dest(ruled, &m, 443, PROTO_TCP, &r2);
	FUZZ_CHECK(same_rule(f1, &r1, f2, &r2));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct policy *seq = policy_new();
	struct policy_error err, err2, seq_err;
	char *value = malloc(size + 1), *before, *after, *env[NKEYS + 1];
	char *again = malloc(size + 600);
	int rc, seq_rc = 0;
	bool accepted[NKEYS];
	uint8_t tail[16] = {0};
	size_t k;

	FUZZ_CHECK(seq && value && again);
	memcpy(value, data, size);
	value[size] = '\0';
	memcpy(tail, data, size < 16 ? size : 16);
	check_addr(value);
	check_destination(value);

	FUZZ_CHECK(policy_set(seq, "allow", value, "FUZZ", &err) == -EINVAL);
	FUZZ_CHECK(policy_set(seq, "", value, "FUZZ", &err) == -EINVAL);

	for (k = 0; k < NKEYS; k++) {
		struct policy *p = policy_new(), *q = policy_new();

		FUZZ_CHECK(p && q);
		before = describe(p);
		memset(&err, 0, sizeof(err));
		rc = policy_set(p, keys[k].name, value, keys[k].env, &err);
		FUZZ_CHECK(rc == 0 || rc == -EINVAL);
		accepted[k] = rc == 0;
		after = describe(p);
		if (rc) {
			FUZZ_CHECK(!strcmp(err.file, keys[k].env));
			FUZZ_CHECK(err.line == 1);
			FUZZ_CHECK(err.column >= 1 &&
				   err.column <= strlen(value) + 1);
			FUZZ_CHECK(err.text[0]);
			FUZZ_CHECK(!strcmp(before, after));
		} else if (strchr(value, '\n')) {
			/* Not config text: describe() cannot print it. */
		} else {
			/* Formatted, then parsed: the same policy. */
			FUZZ_CHECK(described_value(after, keys[k].name, again,
						   size + 600));
			rc = policy_set(q, keys[k].name, again, keys[k].env,
					&err2);
			if (rc)
				fprintf(stderr, "'%s' described as '%s', "
					"refused: %s\n", value, again,
					err2.text);
			FUZZ_CHECK(rc == 0);
			free(before);
			before = describe(q);
			FUZZ_CHECK(!strcmp(before, after));
			/* A log path is printed as it is, whole. */
			if (is_key(k, "log") && value[0] == '/')
				FUZZ_CHECK(!strcmp(again, value));
		}
		if (config_expressible(keys[k].name, value))
			check_as_file(keys[k].name, value, accepted[k], after);
		if (is_key(k, "local-address"))
			check_local(p, accepted[k]);
		else if (is_key(k, "translate-prefix"))
			check_translate(p, accepted[k], value,
					(uint32_t)tail[0] << 24 | tail[1]);
		else if (is_key(k, "peer-pool"))
			check_pool(p, accepted[k], value, tail);
		free(before);
		free(after);
		policy_free(p);
		policy_free(q);

		/* The same values one after another, as policy_load(). */
		if (!seq_rc && *value)
			seq_rc = policy_set(seq, keys[k].name, value,
					    keys[k].env, &seq_err);
	}

	/* Every STACKSHIM_* variable at once. */
	for (k = 0; k < NKEYS; k++) {
		env[k] = malloc(strlen(keys[k].env) + size + 2);
		FUZZ_CHECK(env[k]);
		sprintf(env[k], "%s=%s", keys[k].env, value);
	}
	env[NKEYS] = NULL;
	{
		struct policy *p = policy_new();

		FUZZ_CHECK(p);
		memset(&err, 0, sizeof(err));
		rc = policy_load(p, env, false, NULL, &err);
		FUZZ_CHECK(rc == seq_rc);
		if (rc) {
			FUZZ_CHECK(!memcmp(&err, &seq_err, sizeof(err)));
		} else {
			before = describe(p);
			after = describe(seq);
			FUZZ_CHECK(!strcmp(before, after));
			free(before);
			free(after);
		}
		policy_free(p);
		/* Secure mode reads no variable. */
		p = policy_new();
		FUZZ_CHECK(p);
		FUZZ_CHECK(policy_load(p, env, true, NULL, &err) == 0);
		policy_free(p);
	}
	for (k = 0; k < NKEYS; k++)
		free(env[k]);
	policy_free(seq);
	free(value);
	free(again);
	return 0;
}
