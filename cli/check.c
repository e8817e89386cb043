/* SPDX-License-Identifier: MIT */
/*
 * check.c - "stackshim check": validate the config file the shim would
 * read (or -c's), listing every error; and, for a valid file, warn about
 * the map rules that send IPv4 addresses that are not global through the
 * well-known prefix 64:ff9b::/96, which RFC 6052 §3.1 forbids it to
 * carry.  The table's map never does (policy_decide_dest()), but a map
 * rule is obeyed: the operator named the addresses, perhaps by mistake.
 *
 * Each scope is judged by itself, as a program would see it: the file
 * outside its sections, then each [program] section alone with the
 * global rules (policy_select_section()).  Whether a rule's addresses are
 * translated is asked of the engine, as explain asks it, so that
 * loopback, mapped = no or an ipv4 stack say no warning is due.  A rule
 * naming a host name cannot be judged: its addresses are not known here.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "cli.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* More than policy_ipv4_nonglobal()'s table holds. */
#define CHECK_RANGES_MAX 32

/* What the scopes found of one rule, by its place in the file. */
enum check_mark {
	MARK_NONE,
	MARK_AUTO,	/* translated if auto finds the well-known prefix */
	MARK_WARNED,	/* translated: warned once, not again */
};

struct check_marks {
	struct {
		enum check_mark mark;
		unsigned line;
	} *v;
	size_t n;
};

/* policy_on_error() callback: one error per line, and count them. */
static void check_report(const struct policy_error *err, void *arg)
{
	unsigned *count = arg;

	cli_error_print("", err);
	(*count)++;
}

/* The mark of the rule at place i, grown to hold it; NULL without memory. */
static enum check_mark *check_mark_at(struct check_marks *m, size_t i,
				      unsigned line)
{
	size_t n = m->n;

	if (i >= n) {
		void *grown = realloc(m->v, (i + 1) * 2 * sizeof(*m->v));

		if (!grown)
			return NULL;
		m->v = grown;
		m->n = (i + 1) * 2;
		memset(&m->v[n], 0, (m->n - n) * sizeof(*m->v));
	}
	m->v[i].line = line;
	return &m->v[i].mark;
}

/*
 * The local classes to judge with, as explain judges a host given alone:
 * the policy's local-address (none: FAM_NONE).  A local name is not
 * resolved here: it may have either family or both.
 */
static size_t check_locals(const struct policy *policy, unsigned *out)
{
	static const unsigned any[] = { FAM_IPV4, FAM_IPV6, FAM_BOTH };
	const struct policy_local *local = policy_local_address(policy);

	if (!local || !local->host) {
		out[0] = FAM_NONE;
		return 1;
	}
	if (local->fam != FAM_NONE) {
		out[0] = policy_addr_class(&local->addr);
		return 1;
	}
	memcpy(out, any, sizeof(any));
	return ARRAY_SIZE(any);
}

/*
 * Whether the policy, as selected, sends an address of range that rule r
 * covers through the translate-prefix, for some local class: a map rule's
 * decision for the address both share.  Every address of a range
 * has the same class (loopback is a range of its own).
 */
static bool check_translates(const struct policy *policy,
			     const struct policy_rule_view *r,
			     const struct policy_ipv4_range *range)
{
	struct policy_addr a = { .fam = FAM_IPV4 };
	unsigned locals[3];
	size_t i, n = check_locals(policy, locals);

	memcpy(a.a, r->len >= range->len ? &r->net : &range->net, 4);
	for (i = 0; i < n; i++)
		if (policy_decide_dest(policy, RULE_MAP, policy_addr_class(&a),
				       locals[i], &a) == OUTCOME_MAP)
			return true;
	return false;
}

/* The non-global ranges r covers that the policy translates, into out. */
static size_t check_ranges(const struct policy *policy,
			   const struct policy_rule_view *r,
			   struct policy_ipv4_range *out)
{
	struct policy_ipv4_range all[CHECK_RANGES_MAX];
	size_t n = policy_ipv4_nonglobal(&r->net, r->len, all, ARRAY_SIZE(all));
	size_t i, kept = 0;

	for (i = 0; i < n && i < ARRAY_SIZE(all); i++)
		if (check_translates(policy, r, &all[i]))
			out[kept++] = all[i];
	return kept;
}

/*
 * "FILE:LINE: warning: map NET (for [program NAME]): translated into the
 * well-known prefix 64:ff9b::/96, though RANGE (WHAT) is not global".
 */
static void check_warning_print(const struct policy *policy, size_t section,
				const struct policy_rule_view *r,
				const struct policy_ipv4_range *ranges,
				size_t n)
{
	char net[INET_ADDRSTRLEN];
	size_t i;

	fprintf(stderr, "%s:%u: warning: %s %s",
		cli_shown(r->file ? r->file : "-"), r->line,
		policy_action_name(r->action), r->text);
	if (section)
		fprintf(stderr, " (for [program %s])",
			cli_shown(policy_section_glob(policy, section, NULL)));
	fputs(": translated into the well-known prefix 64:ff9b::/96, though ",
	      stderr);
	for (i = 0; i < n; i++)
		fprintf(stderr, "%s%s/%u (%s)", i ? ", " : "",
			inet_ntop(AF_INET, &ranges[i].net, net, sizeof(net)),
			ranges[i].len, ranges[i].what);
	fprintf(stderr, " %s not global (RFC 6052 section 3.1)\n",
		n > 1 ? "are" : "is");
}

/* Judge the map rules of the selected scope, section (0: none). */
static int check_scope(const struct policy *policy, size_t section,
		       struct check_marks *m)
{
	struct policy_ipv4_range ranges[CHECK_RANGES_MAX];
	struct policy_rule_view r;
	enum check_mark *mark;
	size_t cursor = 0, n;

	if (!policy_translate_by_address(policy))
		return 0;
	while (policy_rule_next(policy, &cursor, &r)) {
		if (r.action != RULE_MAP || !r.ipv4)
			continue;
		mark = check_mark_at(m, cursor - 1, r.line);
		if (!mark)
			return -ENOMEM;
		if (*mark == MARK_WARNED)
			continue;
		n = check_ranges(policy, &r, ranges);
		if (!n)
			continue;
		if (policy_translate_auto(policy)) {
			*mark = MARK_AUTO;
			continue;
		}
		*mark = MARK_WARNED;
		check_warning_print(policy, section, &r, ranges, n);
	}
	return 0;
}

/* The one line about translate-prefix = auto, if any rule needs it. */
static void check_auto_print(const char *file, const struct check_marks *m)
{
	size_t i, n = 0, said = 0;

	for (i = 0; i < m->n; i++)
		n += m->v[i].mark == MARK_AUTO;
	for (i = 0; i < m->n && n; i++) {
		if (m->v[i].mark != MARK_AUTO)
			continue;
		if (!said)
			fprintf(stderr, "%s:%u: warning: translate-prefix = "
				"auto: if the prefix found is the well-known "
				"64:ff9b::/96, the map rule%s of line%s",
				cli_shown(file), m->v[i].line,
				n > 1 ? "s" : "", n > 1 ? "s" : "");
		fprintf(stderr, "%s %u", said++ ? "," : "", m->v[i].line);
	}
	if (n)
		fprintf(stderr, " translate%s addresses that are not global "
			"(RFC 6052 section 3.1)\n", n > 1 ? "" : "s");
}

/*
 * The warnings of a valid policy.  Under translate-prefix = auto the
 * network's prefix is not known here: it is judged as the well-known
 * one, and said so once.  Returns 0, or CLI_EXIT_POLICY without memory.
 */
/* The prefix check_warn() supposes translate-prefix = auto finds. */
static int check_wkp(struct in6_addr *prefix, unsigned *len)
{
	static const struct in6_addr wkp = { { { 0, 0x64, 0xff, 0x9b } } };

	*prefix = wkp;
	*len = 96;
	return 0;
}

static int check_warn(struct policy *policy, const char *file)
{
	struct check_marks m = { .v = NULL };
	size_t n, sections = policy_section_count(policy);
	int rc = 0;

	policy_set_pref64_finder(policy, check_wkp);
	for (n = 0; n <= sections && !rc; n++)
		if (policy_select_section(policy, n) == 0)
			rc = check_scope(policy, n, &m);
	if (rc) {
		fputs("stackshim: out of memory\n", stderr);
		free(m.v);
		return CLI_EXIT_POLICY;
	}
	check_auto_print(file, &m);
	free(m.v);
	return 0;
}

int cli_check(const struct cli_args *args)
{
	struct policy_error err = { .line = 0 };
	struct policy *policy = policy_new();
	unsigned count = 0;
	const char *file;
	bool missing;
	int rc;

	if (!policy) {
		fputs("stackshim: out of memory\n", stderr);
		return CLI_EXIT_POLICY;
	}
	policy_on_error(policy, check_report, &count);
	file = cli_config_file(args, &missing);
	if (args->conf)
		rc = policy_parse_file(policy, file, &err);
	else
		rc = policy_load(policy, environ, false, SYSTEM_CONFIG, &err);
	/* A failure the engine did not report as it went is reported here. */
	if (rc < 0 && !count)
		check_report(&err, &count);
	/* Rules that cannot be indexed would deny everything (the shim
	 * fails closed): not ok. */
	if (!count && policy_index_failed(policy)) {
		fputs("stackshim: out of memory (indexing the rules)\n",
		      stderr);
		count++;
	}
	rc = count ? CLI_EXIT_POLICY : check_warn(policy, file);
	policy_free(policy);
	if (rc)
		return rc;
	if (missing)
		printf("%s: not present; the built-in defaults apply\n", file);
	else
		printf("%s: ok\n", file);
	return CLI_EXIT_OK;
}
