/* SPDX-License-Identifier: MIT */
/*
 * fuzz_config.c - libFuzzer target: the config parser (policy/config.c,
 * values.c, rules.c, match.c, policy.c).
 *
 * The input is a config file, as is.  A comment line "#@ NAME [PATH]"
 * names the program policy_select() chooses sections for (default "prog",
 * "/usr/bin/prog"); being a comment, it changes nothing the parser sees.
 *
 * Checked, beyond memory safety and UB:
 *   - policy_parse_buffer() returns 0 or -EINVAL (or -ENOMEM); a failure
 *     reports at least one error to the handler, the first one being err,
 *     at a line of the file and a column inside it (or just past it), and
 *     leaves the built-in defaults; a success reports none;
 *   - a second parse into the same policy is -EEXIST;
 *   - every query answers within its type (stack, prefer, log, the
 *     local-address's ports and family, a usable translate-prefix, a
 *     peer-pool of /1 to /30, table outcomes), a translated address leads
 *     back to its IPv4 one (policy_addr_v4()), the rule counts add up;
 *   - the rules of the file's top with no port and no protocol decide
 *     their own destination: an address rule's address finds a rule, as
 *     does its IPv4-mapped form with the same answer; a name rule's name
 *     (any case, a final dot) finds one and is ruled;
 *   - policy_describe() needs the same length whatever the buffer, cuts
 *     short with a NUL, and its text, read back as a config, describes the
 *     same policy (the "# origin" comments aside).
 */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "policy.h"

struct errors {
	unsigned n;
	struct policy_error first;
};

static void on_error(const struct policy_error *err, void *arg)
{
	struct errors *e = arg;

	if (!e->n++)
		e->first = *err;
}

/* The text of policy_describe(), malloc()ed; checks its length contract. */
static char *describe(const struct policy *p)
{
	size_t n = policy_describe(p, NULL, 0), cut;
	char *buf = malloc(n + 1), small[64];

	FUZZ_CHECK(buf);
	FUZZ_CHECK(policy_describe(p, buf, n + 1) == n);
	FUZZ_CHECK(strlen(buf) == n);
	/* Cut short: a prefix and a NUL, the same length needed. */
	cut = n % sizeof(small);
	FUZZ_CHECK(policy_describe(p, small, cut) == n);
	if (cut) {
		FUZZ_CHECK(strlen(small) == cut - 1);
		FUZZ_CHECK(!memcmp(small, buf, cut - 1));
	}
	return buf;
}

/* The log line of d prints the log path whole. */
static void check_described_log(const struct policy *p, const char *d)
{
	const char *path = policy_log_path(p), *line = strstr(d, "\nlog = ");
	size_t n;

	FUZZ_CHECK(line);
	if (!path)
		return;
	line += strlen("\nlog = ");
	n = strlen(path);
	if (strncmp(line, path, n) || strncmp(line + n, " # ", 3))
		fprintf(stderr, "log path '%s' described as '%.*s'\n", path,
			(int)strcspn(line, "\n"), line);
	FUZZ_CHECK(!strncmp(line, path, n) && !strncmp(line + n, " # ", 3));
}

/* text without the " # origin" comment at the end of each line. */
static void strip_origins(char *text)
{
	char *line = text, *out = text;

	while (*line) {
		char *nl = strchr(line, '\n'), *hash;
		size_t len = nl ? (size_t)(nl - line) : strlen(line);

		line[len] = '\0';
		hash = strstr(line, " # ");
		while (hash && strstr(hash + 1, " # "))
			hash = strstr(hash + 1, " # ");
		if (hash && line[0] != '#')
			*hash = '\0';
		out += sprintf(out, "%s\n", line);
		line += len + (nl ? 1 : 0);
	}
	*out = '\0';
}

/* Whether two policies answer alike. */
static void same_rules(const struct policy *a, const struct policy *b)
{
	int act;

	FUZZ_CHECK(policy_rule_count(a) == policy_rule_count(b));
	for (act = RULE_NONE; act <= RULE_MAP; act++)
		FUZZ_CHECK(policy_rule_count_of(a, act) ==
			   policy_rule_count_of(b, act));
}

static bool same_answer(bool fa, const struct policy_rule *a, bool fb,
			const struct policy_rule *b)
{
	return fa == fb && (!fa || (a->action == b->action &&
				    a->line == b->line));
}

static void check_settings(const struct policy *p)
{
	const struct policy_local *l = policy_local_address(p);
	struct in6_addr prefix, out;
	struct in_addr net, v4 = {.s_addr = htonl(0xc0000221)}, back;
	struct policy_addr a = {.fam = FAM_IPV6};
	unsigned len, host, local, act;
	size_t sum = 0;

	FUZZ_CHECK(policy_stack_name(policy_stack(p)));
	FUZZ_CHECK(policy_prefer(p) == FAM_IPV4 || policy_prefer(p) == FAM_IPV6);
	FUZZ_CHECK(policy_log(p) <= LOG_FILE);
	FUZZ_CHECK((policy_log(p) == LOG_FILE) ==
		   (policy_log_path(p) != NULL));
	if (policy_log_path(p))
		FUZZ_CHECK(policy_log_path(p)[0] == '/');
	if (l) {
		FUZZ_CHECK(l->port_low <= l->port_high);
		FUZZ_CHECK(!l->port_low == !l->port_high);
		FUZZ_CHECK(l->host || (l->fam == FAM_NONE && l->port_low));
		if (l->host && l->fam != FAM_NONE) {
			struct policy_addr parsed;

			FUZZ_CHECK(!policy_addr_parse(l->host, &parsed));
			FUZZ_CHECK(!memcmp(&parsed, &l->addr, sizeof(parsed)));
			FUZZ_CHECK(l->fam == policy_addr_host_fam(&parsed));
		}
	}
	policy_translate_prefix(p, &prefix, &len);
	FUZZ_CHECK(policy_prefix_check(&prefix, len) == 0);
	policy_translate(p, &v4, &out);
	memcpy(a.a, &out, 16);
	FUZZ_CHECK(policy_addr_v4(p, &a, &back) && back.s_addr == v4.s_addr);
	policy_peer_pool(p, &net, &len);
	FUZZ_CHECK(len >= 1 && len <= 30);
	for (host = FAM_IPV4; host <= FAM_BOTH; host++)
		for (local = FAM_NONE; local <= FAM_BOTH; local++) {
			FUZZ_CHECK(policy_decide(p, host, local) < OUTCOME_DENY);
			for (act = RULE_NONE; act <= RULE_MAP; act++) {
				enum policy_outcome o =
					policy_decide_rule(p, act, host, local);

				FUZZ_CHECK((o == OUTCOME_DENY) ==
					   (act == RULE_DENY));
			}
		}
	for (act = RULE_ALLOW; act <= RULE_MAP; act++)
		sum += policy_rule_count_of(p, act);
	FUZZ_CHECK(sum == policy_rule_count(p));
}

/* An address rule's own address finds a rule, mapped or not alike. */
static void check_addr_rule(const struct policy *p, const char *dest)
{
	struct policy_addr a, m = {.fam = FAM_IPV6};
	struct policy_rule r1, r2;
	unsigned len;
	bool f1, f2;

	if (policy_addr_parse_cidr(dest, &a, &len))
		return;
	f1 = policy_match_addr(p, &a, 0, PROTO_ANY, &r1);
	FUZZ_CHECK(f1);
	if (a.fam != FAM_IPV4)
		return;
	m.a[10] = m.a[11] = 0xff;
	memcpy(m.a + 12, a.a, 4);
	f2 = policy_match_addr(p, &m, 0, PROTO_ANY, &r2);
	FUZZ_CHECK(same_answer(f1, &r1, f2, &r2));
	f2 = policy_match_dest(p, &a, 0, PROTO_ANY, &r2);
	FUZZ_CHECK(same_answer(f1, &r1, f2, &r2));
}

/* A name rule's name finds a rule, whatever its case and a final dot. */
static void check_name_rule(const struct policy *p, const char *dest)
{
	char name[300], other[302];
	struct policy_rule r1, r2;
	size_t i, n;
	bool f1, f2;

	if (!strncmp(dest, "*.", 2))
		snprintf(name, sizeof(name), "x.%s", dest + 2);
	else
		snprintf(name, sizeof(name), "%s", dest);
	f1 = policy_match_name(p, name, 0, PROTO_ANY, &r1);
	FUZZ_CHECK(f1);
	FUZZ_CHECK(policy_name_ruled(p, name));
	n = strlen(name);
	for (i = 0; i < n; i++)
		other[i] = (char)(i % 2 ? toupper((unsigned char)name[i])
				        : tolower((unsigned char)name[i]));
	other[n] = '\0';
	if (n && name[n - 1] != '.')
		strcat(other, ".");
	f2 = policy_match_name(p, other, 0, PROTO_ANY, &r2);
	FUZZ_CHECK(same_answer(f1, &r1, f2, &r2));
}

/*
 * Each "allow|deny|map = DEST" line of the file's top with nothing after
 * DEST: its destination is looked up.  The file parsed, so the line is a
 * rule of the global scope, active whatever the selection.
 */
static void check_own_rules(const struct policy *p, const char *text,
			    size_t size)
{
	const char *line = text, *end = text + size;

	while (line < end) {
		const char *nl = memchr(line, '\n', (size_t)(end - line));
		size_t len = nl ? (size_t)(nl - line) : (size_t)(end - line);
		size_t blank = 0;
		char buf[512], key[16], dest[300], rest[8];
		int n;

		/* A section of any length ends the top's rules; a longer
		 * rule line is not looked at. */
		while (blank < len && (line[blank] == ' ' || line[blank] == '\t'))
			blank++;
		if (blank < len && line[blank] == '[')
			return;
		if (len < sizeof(buf)) {
			memcpy(buf, line, len);
			buf[len] = '\0';
			n = sscanf(buf, " %15[a-z] = %299s %7s", key, dest, rest);
			if (n == 3 && rest[0] == '#')
				n = 2;
			if (n == 2 && dest[0] != '#' &&
			    (!strcmp(key, "allow") || !strcmp(key, "deny") ||
			     !strcmp(key, "map"))) {
				if (strpbrk(dest, "/:") ||
				    strspn(dest, "0123456789.") == strlen(dest))
					check_addr_rule(p, dest);
				else
					check_name_rule(p, dest);
			}
		}
		line += len + 1;
	}
}

/* The program named by a "#@ NAME [PATH]" line, if any. */
static void program_of(const char *text, size_t size, char *name,
		       char *path)
{
	const char *at = NULL, *s;

	strcpy(name, "prog");
	strcpy(path, "/usr/bin/prog");
	for (s = text; s + 2 < text + size; s++)
		if ((s == text || s[-1] == '\n') && !memcmp(s, "#@ ", 3)) {
			at = s + 3;
			break;
		}
	if (at) {
		char line[600];
		size_t n = (size_t)(text + size - at);
		const char *nl = memchr(at, '\n', n);

		if (nl)
			n = (size_t)(nl - at);
		if (n >= sizeof(line))
			n = sizeof(line) - 1;
		memcpy(line, at, n);
		line[n] = '\0';
		path[0] = '\0';
		sscanf(line, "%255s %255s", name, path);
	}
}

/* The length of line number lineno (from 1) of text, '\r' aside. */
static size_t line_length(const char *text, size_t size, unsigned lineno)
{
	const char *s = text, *end = text + size, *nl;

	for (; lineno > 1 && s < end; lineno--) {
		nl = memchr(s, '\n', (size_t)(end - s));
		s = nl ? nl + 1 : end;
	}
	nl = memchr(s, '\n', (size_t)(end - s));
	if (!nl)
		nl = end;
	if (nl > s && nl[-1] == '\r')
		nl--;
	return (size_t)(nl - s);
}

static unsigned line_count(const char *text, size_t size)
{
	unsigned n = 0;
	size_t i;

	for (i = 0; i < size; i++)
		n += text[i] == '\n';
	return n + (size && text[size - 1] != '\n');
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	struct policy *p = policy_new(), *q = policy_new();
	struct policy_error err = {0};
	struct errors errs = {0};
	char name[256], path[256], formatted[1024];
	char *d1, *d2;
	int rc;

	FUZZ_CHECK(p && q);
	policy_on_error(p, on_error, &errs);
	rc = policy_parse_buffer(p, "fuzz.conf", text, size, &err);
	FUZZ_CHECK(rc == 0 || rc == -EINVAL || rc == -ENOMEM);
	if (rc) {
		FUZZ_CHECK(errs.n >= 1);
		FUZZ_CHECK(!memcmp(&errs.first, &err, sizeof(err)));
		FUZZ_CHECK(!strcmp(err.file, "fuzz.conf"));
		FUZZ_CHECK(err.line >= 1 && err.line <= line_count(text, size));
		FUZZ_CHECK(err.column >= 1 &&
			   err.column <= line_length(text, size, err.line) + 1);
		FUZZ_CHECK(err.text[0]);
		FUZZ_CHECK(policy_error_format(&err, formatted,
					       sizeof(formatted)) > 0);
		/* A refused file leaves the defaults. */
		d1 = describe(p);
		d2 = describe(q);
		FUZZ_CHECK(!strcmp(d1, d2));
		free(d1);
		free(d2);
	} else {
		FUZZ_CHECK(errs.n == 0);
	}
	FUZZ_CHECK(policy_parse_buffer(p, "again", "", 0, &err) ==
		   (rc ? 0 : -EEXIST));

	program_of(text, size, name, path);
	FUZZ_CHECK(policy_select(p, NULL, NULL, NULL) == 0);
	check_settings(p);
	policy_select(p, name, NULL, path[0] ? path : NULL);
	check_settings(p);
	if (!rc)
		check_own_rules(p, text, size);

	/* Read back, the effective policy is the same. */
	d1 = describe(p);
	check_described_log(p, d1);
	rc = policy_parse_buffer(q, "described", d1, strlen(d1), &err);
	if (rc) {
		policy_error_format(&err, formatted, sizeof(formatted));
		fprintf(stderr, "described text refused: %s\n%s", formatted,
			d1);
	}
	FUZZ_CHECK(rc == 0);
	d2 = describe(q);
	strip_origins(d1);
	strip_origins(d2);
	if (strcmp(d1, d2))
		fprintf(stderr, "described:\n%s\nread back:\n%s", d1, d2);
	FUZZ_CHECK(!strcmp(d1, d2));
	same_rules(p, q);
	free(d1);
	free(d2);
	policy_free(p);
	policy_free(q);
	return 0;
}
