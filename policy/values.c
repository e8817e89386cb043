/* SPDX-License-Identifier: MIT */
/*
 * values.c - the config keywords: one row each, with the parser and the
 * formatter of its value.  Adding a scalar key is one enum entry in
 * internal.h and one row here.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "internal.h"

struct word {
	const char *name;
	unsigned value;
};

static const struct word stack_words[] = {
	{"ipv4", STACK_IPV4}, {"dual", STACK_DUAL}, {"ipv6", STACK_IPV6}, {0}};
static const struct word prefer_words[] = {
	{"ipv4", FAM_IPV4}, {"ipv6", FAM_IPV6}, {0}};
static const struct word yes_no_words[] = {{"yes", 1}, {"no", 0}, {0}};
static const struct word log_words[] = {
	{"off", LOG_OFF}, {"stderr", LOG_STDERR}, {"syslog", LOG_SYSLOG}, {0}};
static const struct word log_format_words[] = {
	{"text", LOG_FORMAT_TEXT}, {"json", LOG_FORMAT_JSON}, {0}};

int fault_set(struct fault *f, size_t offset, const char *fmt, ...)
{
	va_list ap;

	f->offset = offset;
	va_start(ap, fmt);
	vsnprintf(f->text, sizeof(f->text), fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* The word's value, or -1; words match regardless of case. */
static int word_lookup(const struct word *words, const char *s)
{
	for (; words->name; words++)
		if (!strcasecmp(words->name, s))
			return (int)words->value;
	return -1;
}

static const char *word_name(const struct word *words, unsigned value)
{
	for (; words->name; words++)
		if (words->value == value)
			return words->name;
	return "?";
}

/* "a, b or c" for an error message. */
static void word_list(const struct word *words, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (; words->name && n < len; words++) {
		const char *sep = !n ? "" : words[1].name ? ", " : " or ";

		n += (size_t)snprintf(buf + n, len - n, "%s%s", sep,
				      words->name);
	}
}

static int parse_word(const struct word *words, const char *v, unsigned *out,
		      struct fault *f)
{
	char expected[64];
	int w = word_lookup(words, v);

	if (w >= 0) {
		*out = (unsigned)w;
		return 0;
	}
	word_list(words, expected, sizeof(expected));
	return fault_set(f, 0, "bad value '%s' (expected %s)", v, expected);
}

static int parse_stack(struct policy *p, const char *v, union value *out,
		       struct fault *f)
{
	(void)p;
	return parse_word(stack_words, v, &out->word, f);
}

static int parse_prefer(struct policy *p, const char *v, union value *out,
			struct fault *f)
{
	(void)p;
	return parse_word(prefer_words, v, &out->word, f);
}

static int parse_yes_no(struct policy *p, const char *v, union value *out,
			struct fault *f)
{
	(void)p;
	return parse_word(yes_no_words, v, &out->word, f);
}

static int parse_log_format(struct policy *p, const char *v,
			    union value *out, struct fault *f)
{
	(void)p;
	return parse_word(log_format_words, v, &out->word, f);
}

/* A decimal port, 1 to 65535, spanning exactly len bytes of s. */
static int parse_port(const char *s, size_t len, size_t at, uint16_t *out,
		      struct fault *f)
{
	unsigned long port;
	size_t bad;
	int r;

	if (!len)
		return fault_set(f, at, "missing port number");
	r = policy_decimal_parse(s, len, 1, 65535, &port, &bad);
	if (r == -EINVAL)
		return fault_set(f, at + bad, "bad port '%.*s'", (int)len, s);
	if (r < 0)
		return fault_set(f, at, "port %.*s out of range (1-65535)",
				 (int)len, s);
	*out = (uint16_t)port;
	return 0;
}

/*
 * "LOW" or "LOW-HIGH" (sep '-') or "LOW,HIGH" (sep ','), blanks allowed
 * around the separator: a port range for rules and local-address.
 */
int values_parse_ports(const char *s, size_t len, size_t at, char sep,
		       uint16_t *low, uint16_t *high, struct fault *f)
{
	const char *mid;
	size_t n1, skip;
	int r;

	while (len && (*s == ' ' || *s == '\t')) {
		s++;
		len--;
		at++;
	}
	while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	mid = memchr(s, sep, len);
	n1 = mid ? (size_t)(mid - s) : len;
	while (n1 && (s[n1 - 1] == ' ' || s[n1 - 1] == '\t'))
		n1--;
	r = parse_port(s, n1, at, low, f);
	if (r < 0)
		return r;
	if (!mid) {
		*high = *low;
		return 0;
	}
	skip = (size_t)(mid - s) + 1;
	while (skip < len && (s[skip] == ' ' || s[skip] == '\t'))
		skip++;
	r = parse_port(s + skip, len - skip, at + skip, high, f);
	if (r < 0)
		return r;
	if (*low > *high)
		return fault_set(f, at,
				 "bad port range '%.*s' (low port above high)",
				 (int)len, s);
	return 0;
}

/* An address literal where one is meant, or a host name. */
static int parse_host(struct policy *p, const char *s, size_t len,
		      struct policy_local *out, struct fault *f)
{
	char buf[256];

	if (len >= sizeof(buf))
		return fault_set(f, 0, "host name longer than 253 bytes");
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (!policy_addr_parse(buf, &out->addr)) {
		out->fam = policy_addr_host_fam(&out->addr);
	} else if (strspn(buf, "0123456789.") == len || memchr(s, ':', len)) {
		return fault_set(f, 0, "bad address '%s'", buf);
	} else if (rules_parse_hostname(buf, len, f) < 0) {
		return -EINVAL;
	}
	out->host = config_strdup(p, buf, len);
	return out->host ? 0 : -ENOMEM;
}

/* XMS syntax: ADDR, ADDR(LOW), ADDR(LOW,HIGH), (LOW,HIGH). */
static int parse_local(struct policy *p, const char *v, union value *out,
		       struct fault *f)
{
	struct policy_local *l = &out->local;
	const char *open = strchr(v, '(');
	size_t len = strlen(v), n = open ? (size_t)(open - v) : len;
	int r;

	memset(l, 0, sizeof(*l));
	if (open) {
		if (v[len - 1] != ')')
			return fault_set(f, len, "missing ')' after port range");
		r = values_parse_ports(open + 1, len - n - 2, n + 1, ',',
				       &l->port_low, &l->port_high, f);
		if (r < 0)
			return r;
		while (n && (v[n - 1] == ' ' || v[n - 1] == '\t'))
			n--;
	}
	return n ? parse_host(p, v, n, l, f) : 0;
}

static int format_local(const union value *val, char *buf, size_t len)
{
	const struct policy_local *l = &val->local;
	const char *host = l->host ? l->host : "";

	if (!l->port_low)
		return snprintf(buf, len, "%s", host);
	if (l->port_low == l->port_high)
		return snprintf(buf, len, "%s(%u)", host, l->port_low);
	return snprintf(buf, len, "%s(%u,%u)", host, l->port_low,
			l->port_high);
}

static const char *const cidr_errors[] = {
	[EINVAL] = "bad address",
	[ERANGE] = "prefix length out of range",
	[EDOM] = "bits set past the prefix length",
	[EBADMSG] = "bits 64-71 (the u-octet) must be zero",
};

static int parse_translate(struct policy *p, const char *v, union value *out,
			   struct fault *f)
{
	struct policy_addr a;
	unsigned len;
	int r;

	(void)p;
	/* Discovered by the shim (RFC 7050); len 0 stands for it. */
	if (!strcmp(v, "auto")) {
		memset(&out->prefix, 0, sizeof(out->prefix));
		return 0;
	}
	r = policy_addr_parse_cidr(v, &a, &len);
	if (!r && a.fam != FAM_IPV6)
		return fault_set(f, 0, "'%s' is not an IPv6 prefix", v);
	if (!r && !strchr(v, '/'))
		return fault_set(f, 0, "'%s' lacks a prefix length", v);
	if (!r) {
		memcpy(&out->prefix.addr, a.a, 16);
		out->prefix.len = len;
		r = policy_prefix_check(&out->prefix.addr, len);
		if (r == -ERANGE)
			return fault_set(f, 0, "prefix length /%u is not one "
					 "of RFC 6052's (32, 40, 48, 56, 64, 96)",
					 len);
	}
	return r ? fault_set(f, 0, "%s in '%s'", cidr_errors[-r], v) : 0;
}

/*
 * A prefix in hexadecimal groups: inet_ntop would write ::ffff:0:0 as
 * ::ffff:0.0.0.0, which reads as an address, not as a prefix.
 */
static int format_prefix(const union value *val, char *buf, size_t len)
{
	struct policy_addr a = {.fam = FAM_IPV6};
	const uint8_t *b = val->prefix.addr.s6_addr;
	char text[64], *dot;

	if (!val->prefix.len)
		return snprintf(buf, len, "auto");
	memcpy(a.a, b, 16);
	policy_addr_format(&a, text, sizeof(text));
	dot = strchr(text, '.');
	if (dot) {
		while (dot > text && dot[-1] != ':')
			dot--;
		snprintf(dot, sizeof(text) - (size_t)(dot - text), "%x:%x",
			 b[12] << 8 | b[13], b[14] << 8 | b[15]);
	}
	return snprintf(buf, len, "%s/%u", text, val->prefix.len);
}

static int parse_pool(struct policy *p, const char *v, union value *out,
		      struct fault *f)
{
	struct policy_addr a;
	unsigned len;
	int r;

	(void)p;
	r = policy_addr_parse_cidr(v, &a, &len);
	if (r)
		return fault_set(f, 0, "%s in '%s'", cidr_errors[-r], v);
	if (a.fam != FAM_IPV4 || !strchr(v, '/'))
		return fault_set(f, 0, "'%s' is not an IPv4 CIDR (A.B.C.D/LEN)",
				 v);
	if (len < 1 || len > 30)
		return fault_set(f, 0, "peer-pool /%u must be /1 to /30", len);
	memcpy(&out->pool.addr, a.a, 4);
	out->pool.len = len;
	return 0;
}

static int format_pool(const union value *val, char *buf, size_t len)
{
	struct policy_addr a = {.fam = FAM_IPV4};
	char text[64];

	memcpy(a.a, &val->pool.addr, 4);
	policy_addr_format(&a, text, sizeof(text));
	return snprintf(buf, len, "%s/%u", text, val->pool.len);
}

static int parse_log(struct policy *p, const char *v, union value *out,
		     struct fault *f)
{
	int w = word_lookup(log_words, v);

	if (w >= 0) {
		out->log.kind = (enum policy_log)w;
		out->log.path = NULL;
		return 0;
	}
	if (v[0] != '/')
		return fault_set(f, 0, "bad value '%s' (expected off, stderr, "
				 "syslog or an absolute file path)", v);
	out->log.kind = LOG_FILE;
	out->log.path = config_strdup(p, v, strlen(v));
	return out->log.path ? 0 : -ENOMEM;
}

/* policy_log_is_path - see policy.h. */
bool policy_log_is_path(const char *value)
{
	return word_lookup(log_words, value) < 0;
}

static int format_log(const union value *val, char *buf, size_t len)
{
	if (val->log.kind == LOG_FILE)
		return snprintf(buf, len, "%s", val->log.path);
	return snprintf(buf, len, "%s", word_name(log_words, val->log.kind));
}

#define FORMAT_WORDS(fn, words)                                              \
	static int fn(const union value *val, char *buf, size_t len)         \
	{                                                                    \
		return snprintf(buf, len, "%s", word_name(words, val->word)); \
	}
FORMAT_WORDS(format_stack, stack_words)
FORMAT_WORDS(format_prefer, prefer_words)
FORMAT_WORDS(format_yes_no, yes_no_words)
FORMAT_WORDS(format_log_format, log_format_words)

static const struct keyword keywords[] = {
	{"stack", KEY_STACK, parse_stack, format_stack},
	{"prefer", KEY_PREFER, parse_prefer, format_prefer},
	{"mapped", KEY_MAPPED, parse_yes_no, format_yes_no},
	{"ipv4-loopback", KEY_LOOPBACK, parse_yes_no, format_yes_no},
	{"fallback", KEY_FALLBACK, parse_yes_no, format_yes_no},
	{"local-address", KEY_LOCAL, parse_local, format_local},
	{"translate-prefix", KEY_TRANSLATE, parse_translate, format_prefix},
	{"peer-pool", KEY_POOL, parse_pool, format_pool},
	{"enforce", KEY_ENFORCE, parse_yes_no, format_yes_no},
	{"log", KEY_LOG, parse_log, format_log},
	{"log-format", KEY_LOG_FORMAT, parse_log_format, format_log_format},
	{"allow", KEY_ALLOW, NULL, NULL},
	{"deny", KEY_DENY, NULL, NULL},
	{"map", KEY_MAP, NULL, NULL},
	{NULL, 0, NULL, NULL},
};

const struct keyword *values_keyword(const char *name, size_t len)
{
	const struct keyword *k;

	for (k = keywords; k->name; k++)
		if (len && k->name[0] == name[0] &&
		    !strncmp(k->name, name, len) && !k->name[len])
			return k;
	return NULL;
}

const struct keyword *values_keyword_at(enum key key)
{
	const struct keyword *k;

	for (k = keywords; k->name; k++)
		if (k->key == key)
			return k;
	return NULL;
}
