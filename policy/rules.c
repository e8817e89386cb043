/* SPDX-License-Identifier: MIT */
/*
 * rules.c - destination rules: the syntax of allow/deny/map values, and
 * the walk of them (and of the sections) that a checker makes.
 *
 *	VALUE = DEST [PORTS] [tcp|udp]		(PORTS and the protocol in
 *	DEST  = ADDR[/LEN] | NAME | "*." NAME	 either order, once each)
 *	PORTS = PORT | LOW-HIGH
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

static const char *const proto_names[] = {
	[PROTO_ANY] = NULL,
	[PROTO_TCP] = "tcp",
	[PROTO_UDP] = "udp",
};

int rules_parse_hostname(const char *s, size_t len, struct fault *f)
{
	size_t i, label = 0;

	if (len && s[len - 1] == '.')
		len--;
	if (!len)
		return fault_set(f, 0, "empty host name");
	if (len > 253)
		return fault_set(f, 0, "host name longer than 253 bytes");
	for (i = 0; i <= len; i++) {
		char c = i < len ? s[i] : '.';

		if (c == '.') {
			if (!label)
				return fault_set(f, i, "empty label in host "
						 "name '%.*s'", (int)len, s);
			if (s[i - 1] == '-')
				return fault_set(f, i - 1, "label ends with '-' "
						 "in host name '%.*s'",
						 (int)len, s);
			label = 0;
			continue;
		}
		if (!isalnum((unsigned char)c) && c != '-' && c != '_')
			return fault_set(f, i, "bad character '%c' in host "
					 "name '%.*s'", c, (int)len, s);
		if (!label && c == '-')
			return fault_set(f, i, "label starts with '-' in host "
					 "name '%.*s'", (int)len, s);
		if (++label > 63)
			return fault_set(f, i, "label longer than 63 bytes "
					 "in host name");
	}
	return 0;
}

/* Whether a destination is meant as an address: digits and dots, or a ':'. */
static bool looks_numeric(const char *s, size_t len)
{
	const char *slash = memchr(s, '/', len);
	size_t n = slash ? (size_t)(slash - s) : len;

	return slash || memchr(s, ':', n) || strspn(s, "0123456789.") >= n;
}

static int parse_cidr(const char *s, struct rule *r, struct fault *f)
{
	static const char *const why[] = {
		[EINVAL] = "bad address or prefix",
		[ERANGE] = "prefix length out of range",
		[EDOM] = "bits set past the prefix length",
	};
	int e = policy_addr_parse_cidr(s, &r->addr, &r->plen);

	r->kind = RULE_CIDR;
	if (e == -ERANGE)
		return fault_set(f, strcspn(s, "/") + 1, "%s in '%s' (at most "
				 "/%u)", why[ERANGE], s,
				 strchr(s, ':') ? 128 : 32);
	if (e < 0)
		return fault_set(f, 0, "%s in '%s'", why[-e], s);
	return 0;
}

static int parse_name(struct policy *p, const char *s, size_t len,
		      struct rule *r, struct fault *f)
{
	char *name;
	size_t i;

	r->kind = RULE_NAME;
	if (len > 2 && s[0] == '*' && s[1] == '.') {
		r->kind = RULE_SUFFIX;
		s += 2;
		len -= 2;
	}
	if (rules_parse_hostname(s, len, f) < 0) {
		f->offset += r->kind == RULE_SUFFIX ? 2 : 0;
		return -EINVAL;
	}
	if (s[len - 1] == '.')
		len--;
	name = config_strdup(p, s, len);
	if (!name)
		return -ENOMEM;
	for (i = 0; i < len; i++)
		name[i] = (char)tolower((unsigned char)name[i]);
	r->name = name;
	return 0;
}

/* One optional part after the destination: a port range or a protocol. */
static int parse_option(const char *s, size_t len, size_t at, struct rule *r,
			struct fault *f)
{
	size_t i;

	for (i = PROTO_TCP; i <= PROTO_UDP; i++) {
		if (strlen(proto_names[i]) != len ||
		    strncasecmp(s, proto_names[i], len))
			continue;
		if (r->proto != PROTO_ANY)
			return fault_set(f, at, "protocol given twice");
		r->proto = (enum policy_proto)i;
		return 0;
	}
	if (!isdigit((unsigned char)s[0]))
		return fault_set(f, at, "unexpected '%.*s' (expected a port, "
				 "a port range LOW-HIGH, tcp or udp)",
				 (int)len, s);
	if (r->port_low)
		return fault_set(f, at, "port given twice");
	return values_parse_ports(s, len, at, '-', &r->port_low,
				  &r->port_high, f);
}

int rules_parse(struct policy *policy, const char *value, struct rule *r,
		struct fault *f)
{
	char dest[300];
	size_t n = strcspn(value, " \t"), i;
	int e;

	memset(r, 0, sizeof(*r));
	if (n >= sizeof(dest))
		return fault_set(f, 0, "destination longer than %zu bytes",
				 sizeof(dest) - 1);
	memcpy(dest, value, n);
	dest[n] = '\0';
	e = looks_numeric(dest, n) ? parse_cidr(dest, r, f)
				   : parse_name(policy, dest, n, r, f);
	for (i = n; !e && value[i];) {
		i += strspn(value + i, " \t");
		n = strcspn(value + i, " \t");
		if (n)
			e = parse_option(value + i, n, i, r, f);
		i += n;
	}
	return e;
}

int rules_format(const struct rule *r, char *buf, size_t len)
{
	char dest[300], ports[16] = "", proto[8] = "";

	if (r->kind == RULE_CIDR) {
		char text[64];

		policy_addr_format(&r->addr, text, sizeof(text));
		snprintf(dest, sizeof(dest), "%s/%u", text, r->plen);
	} else {
		snprintf(dest, sizeof(dest), "%s%s",
			 r->kind == RULE_SUFFIX ? "*." : "", r->name);
	}
	if (r->port_low == r->port_high && r->port_low)
		snprintf(ports, sizeof(ports), " %u", r->port_low);
	else if (r->port_low)
		snprintf(ports, sizeof(ports), " %u-%u", r->port_low,
			 r->port_high);
	if (r->proto != PROTO_ANY)
		snprintf(proto, sizeof(proto), " %s", proto_names[r->proto]);
	return snprintf(buf, len, "%s%s%s", dest, ports, proto);
}

bool rules_active(const struct policy *policy, const struct rule *r)
{
	return !r->scope || policy->sections[r->scope - 1].selected;
}

/* r as the outside sees it: its IPv4 network as the index files it. */
static void rules_view(const struct policy *policy, const struct rule *r,
		       struct policy_rule_view *out)
{
	struct policy_addr addr = r->addr;
	unsigned plen = r->plen;

	memset(out, 0, sizeof(*out));
	out->action = r->action;
	out->file = policy->file;
	out->line = r->line;
	out->section = r->scope;
	rules_format(r, out->text, sizeof(out->text));
	if (r->kind != RULE_CIDR)
		return;
	match_normalize(&addr, &plen);
	if (addr.fam != FAM_IPV4)
		return;
	out->ipv4 = true;
	memcpy(&out->net, addr.a, sizeof(out->net));
	out->len = plen;
}

/* policy_rule_next - see policy.h. */
bool policy_rule_next(const struct policy *policy, size_t *cursor,
		      struct policy_rule_view *out)
{
	size_t i;

	for (i = *cursor; i < policy->nrules; i++) {
		if (!rules_active(policy, &policy->rules[i]))
			continue;
		rules_view(policy, &policy->rules[i], out);
		*cursor = i + 1;
		return true;
	}
	return false;
}

/* policy_section_count - see policy.h. */
size_t policy_section_count(const struct policy *policy)
{
	return policy->nsections;
}

/* policy_section_glob - see policy.h. */
const char *policy_section_glob(const struct policy *policy, size_t n,
				unsigned *line)
{
	if (n < 1 || n > policy->nsections)
		return NULL;
	if (line)
		*line = policy->sections[n - 1].line;
	return policy->sections[n - 1].glob;
}

/* policy_select_section - see policy.h. */
int policy_select_section(struct policy *policy, size_t n)
{
	size_t i;

	if (n > policy->nsections)
		return -EINVAL;
	for (i = 0; i < policy->nsections; i++)
		policy->sections[i].selected = i + 1 == n;
	policy_refresh(policy);
	return 0;
}
