/* SPDX-License-Identifier: MIT */
/*
 * config.c - reading a config file: lines, sections, keys and values.
 *
 * The grammar, one line at a time:
 *	line    = blank | comment | section | setting
 *	section = "[" "program" NAME "]"
 *	setting = KEY "=" VALUE
 * A comment starts at a '#' at the start of a line or after a blank.  Every
 * bad line is reported (policy_on_error()) and parsing goes on, so that a
 * checker lists all of them; the file is then refused as a whole.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define SCOPE_DISCARD UINT_MAX		/* keys after a bad section header */

struct parser {
	struct policy *policy;
	const char *file;
	unsigned line;
	unsigned scope;			/* 0 global, n section n - 1 */
	struct settings discard;
	unsigned errors;
	struct policy_error *err;
	/* The sections by glob: open addressing, at most half full, each
	 * slot a section's index + 1 (0: empty). */
	uint32_t *by_glob;
	size_t by_glob_size;		/* a power of two, or 0 */
	size_t sections_cap;
	bool oom;			/* an error was out of memory */
	/* What a compiled policy keeps (config_parse_text()), or NULL; and
	 * whether the lines are such kept ones (config_parse_kept()). */
	config_keep_fn keep;
	void *keep_arg;
	bool kept;
};

void config_report(struct policy *policy, struct policy_error *err,
		   unsigned *count, const char *file, unsigned line,
		   unsigned column, const char *fmt, ...)
{
	struct policy_error e = {.line = line, .column = column};
	va_list ap;

	snprintf(e.file, sizeof(e.file), "%s", file);
	va_start(ap, fmt);
	vsnprintf(e.text, sizeof(e.text), fmt, ap);
	va_end(ap);
	if (!(*count)++ && err)
		*err = e;
	if (policy->on_error)
		policy->on_error(&e, policy->on_error_arg);
}

#define parser_error(ps, column, ...)                                        \
	config_report((ps)->policy, (ps)->err, &(ps)->errors, (ps)->file,   \
		      (ps)->line, (unsigned)(column), __VA_ARGS__)

/* Out of memory, told as such (not as the value's fault): the caller
 * fails closed with ENOMEM. */
static void parser_oom(struct parser *ps, size_t column)
{
	ps->oom = true;
	parser_error(ps, column, "out of memory");
}

/* Report what a value parser's rc says, if anything; returns rc. */
static int parser_fault(struct parser *ps, size_t at, const struct fault *f,
			int rc)
{
	if (rc == -ENOMEM)
		parser_oom(ps, at);
	else if (rc < 0)
		parser_error(ps, at + f->offset, "%s", f->text);
	return rc;
}

static struct settings *scope_settings(struct parser *ps)
{
	if (ps->scope == SCOPE_DISCARD)
		return &ps->discard;
	if (!ps->scope)
		return &ps->policy->global;
	return &ps->policy->sections[ps->scope - 1].settings;
}

/* The offset of the first byte past s[i..end) that is not a blank. */
static size_t skip_blanks(const char *s, size_t i, size_t end)
{
	while (i < end && (s[i] == ' ' || s[i] == '\t'))
		i++;
	return i;
}

/* The offset of the first byte that is not valid UTF-8, or len. */
static size_t utf8_valid_prefix(const unsigned char *s, size_t len)
{
	static const unsigned least[] = {0, 0x80, 0x800, 0x10000};
	size_t i = 0;

	while (i < len) {
		unsigned c = s[i], n, cp, k;

		if (c < 0x80) {
			i++;
			continue;
		}
		n = (c & 0xe0) == 0xc0 ? 1 : (c & 0xf0) == 0xe0 ? 2
		  : (c & 0xf8) == 0xf0 ? 3 : 0;
		if (!n || i + n >= len)
			return i;
		cp = c & (0x3fu >> n);
		for (k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return i;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		/* Overlong forms, surrogates and code points past U+10FFFF. */
		if (cp < least[n] || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return i;
		i += n + 1;
	}
	return len;
}

/* FNV-1a: section names are short, and only a table's order hangs on it. */
static size_t glob_hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
	return (size_t)h;
}

/* The slot of glob in ps->by_glob, or the empty one where it would go. */
static uint32_t *glob_slot(struct parser *ps, const char *glob)
{
	size_t mask = ps->by_glob_size - 1, i = glob_hash(glob) & mask;
	uint32_t *slot;

	for (;; i = (i + 1) & mask) {
		slot = &ps->by_glob[i];
		if (!*slot ||
		    !strcmp(ps->policy->sections[*slot - 1].glob, glob))
			return slot;
	}
}

/* Room for one more section, in the array and in ps->by_glob, both grown
 * by doubling.  Returns 0 or -ENOMEM. */
static int section_room(struct parser *ps)
{
	struct policy *p = ps->policy;
	size_t n = p->nsections, size, i;
	struct section *grown;
	uint32_t *old = ps->by_glob;

	if (n == ps->sections_cap) {
		size = n ? 2 * n : 8;
		grown = realloc(p->sections, size * sizeof(*grown));
		if (!grown)
			return -ENOMEM;
		p->sections = grown;
		ps->sections_cap = size;
	}
	if (2 * (n + 1) <= ps->by_glob_size)
		return 0;
	size = ps->by_glob_size ? 2 * ps->by_glob_size : 16;
	ps->by_glob = calloc(size, sizeof(*ps->by_glob));
	if (!ps->by_glob) {
		ps->by_glob = old;
		return -ENOMEM;
	}
	ps->by_glob_size = size;
	for (i = 0; i < n; i++)
		*glob_slot(ps, p->sections[i].glob) = (uint32_t)i + 1;
	free(old);
	return 0;
}

static void add_section(struct parser *ps, const char *name, size_t at)
{
	struct policy *p = ps->policy;
	uint32_t *slot = ps->by_glob_size ? glob_slot(ps, name) : NULL;
	struct section *s;

	if (slot && *slot) {
		parser_error(ps, at, "duplicate section [program %s] "
			     "(first on line %u)", name,
			     p->sections[*slot - 1].line);
		ps->scope = SCOPE_DISCARD;
		return;
	}
	if (section_room(ps) < 0) {
		parser_oom(ps, at);
		return;
	}
	s = &p->sections[p->nsections];
	memset(s, 0, sizeof(*s));
	s->glob = config_strdup(p, name, strlen(name));
	s->line = ps->line;
	if (!s->glob) {
		parser_oom(ps, at);
		return;
	}
	*glob_slot(ps, s->glob) = (uint32_t)++p->nsections;
	ps->scope = (unsigned)p->nsections;
}

/* Hand buf[start..end), a line that is no rule, to ps->keep. */
static void parser_keep(struct parser *ps, const char *buf, size_t start,
			size_t end)
{
	if (ps->keep && ps->keep(ps->keep_arg, ps->line, buf + start,
				 end - start) < 0)
		parser_oom(ps, start + 1);
}

/* "[program NAME]", blanks allowed inside the brackets. */
static void parse_section(struct parser *ps, char *buf, size_t start,
			  size_t end)
{
	static const char word[] = "program";
	size_t i = start + 1, n;

	parser_keep(ps, buf, start, end);
	ps->scope = SCOPE_DISCARD;
	if (buf[end - 1] != ']') {
		parser_error(ps, end + 1, "unterminated section header "
			     "(expected ']')");
		return;
	}
	buf[--end] = '\0';
	i += strspn(buf + i, " \t");
	n = strcspn(buf + i, " \t");
	if (n != sizeof(word) - 1 || memcmp(buf + i, word, n)) {
		parser_error(ps, i + 1, "unknown section '[%s' (expected "
			     "[program NAME])", buf + start + 1);
		return;
	}
	i += n;
	i += strspn(buf + i, " \t");
	while (end > i && (buf[end - 1] == ' ' || buf[end - 1] == '\t'))
		buf[--end] = '\0';
	if (i == end) {
		parser_error(ps, i + 1, "missing program name in section "
			     "header");
		return;
	}
	add_section(ps, buf + i, i + 1);
}

static void add_rule(struct parser *ps, const struct keyword *kw,
		     const char *value, size_t at)
{
	struct policy *p = ps->policy;
	struct fault f;
	struct rule r;

	/* Not "= {0}", which zeroes the whole text for every rule: a
	 * fault sets both. */
	f.offset = 0;
	f.text[0] = '\0';
	if (parser_fault(ps, at, &f, rules_parse(p, value, &r, &f)) < 0)
		return;
	if (ps->scope == SCOPE_DISCARD)
		return;
	if (p->nrules == p->rules_cap) {
		size_t cap = p->rules_cap ? 2 * p->rules_cap : 16;
		struct rule *rules = realloc(p->rules, cap * sizeof(*rules));

		if (!rules) {
			parser_oom(ps, at);
			return;
		}
		p->rules = rules;
		p->rules_cap = cap;
	}
	r.action = kw->key == KEY_ALLOW ? RULE_ALLOW
		 : kw->key == KEY_DENY ? RULE_DENY : RULE_MAP;
	r.line = ps->line;
	r.scope = ps->scope;
	p->rules[p->nrules++] = r;
	(r.scope ? p->sections[r.scope - 1].nactions
		 : p->global_actions)[r.action]++;
	p->match_stale = true;
}

static void set_key(struct parser *ps, const struct keyword *kw,
		    const char *value, size_t at)
{
	struct settings *s = scope_settings(ps);
	struct fault f = {0};
	union value v;
	char origin[300];

	if (s->set & KEY_BIT(kw->key)) {
		parser_error(ps, at, "duplicate key '%s' (first set on line %u)",
			     kw->name, s->line[kw->key]);
		return;
	}
	if (parser_fault(ps, at, &f, kw->parse(ps->policy, value, &v, &f)) <
	    0)
		return;
	snprintf(origin, sizeof(origin), "%s:%u", ps->file, ps->line);
	s->set |= KEY_BIT(kw->key);
	s->line[kw->key] = ps->line;
	s->v[kw->key] = v;
	s->origin[kw->key] = config_strdup(ps->policy, origin, strlen(origin));
	if (!s->origin[kw->key])
		parser_oom(ps, at);
}

/* "KEY = VALUE"; buf[start..end) is the trimmed line. */
static void parse_setting(struct parser *ps, char *buf, size_t start,
			  size_t end)
{
	const struct keyword *kw;
	size_t i = start, n;

	while (i < end && buf[i] != ' ' && buf[i] != '\t' && buf[i] != '=')
		i++;
	n = i - start;

	kw = values_keyword(buf + start, n);
	if (!kw) {
		parser_error(ps, start + 1, "unknown key '%.*s'", (int)n,
			     buf + start);
		return;
	}
	i = skip_blanks(buf, i, end);
	if (buf[i] != '=') {
		parser_error(ps, i + 1, "expected '=' after '%s'", kw->name);
		return;
	}
	i = skip_blanks(buf, i + 1, end);
	if (i == end) {
		parser_error(ps, i + 1, "missing value for '%s'", kw->name);
		return;
	}
	if (kw->parse) {
		parser_keep(ps, buf, start, end);
		set_key(ps, kw, buf + i, i + 1);
	} else if (ps->kept) {
		parser_error(ps, start + 1, "a rule among a compiled policy's "
			     "settings");
	} else {
		add_rule(ps, kw, buf + i, i + 1);
	}
}

static void parse_line(struct parser *ps, const char *line, size_t len)
{
	char buf[POLICY_LINE_MAX + 1];
	size_t start, end, i, ok, comment;
	unsigned char seen = 0;

	if (len && line[len - 1] == '\r')
		len--;
	comment = len;
	if (len > POLICY_LINE_MAX) {
		parser_error(ps, POLICY_LINE_MAX + 1, "line longer than %u bytes",
			     POLICY_LINE_MAX);
		return;
	}
	/* One pass finds the first control character, whether any byte
	 * before it is not ASCII (only then is UTF-8 checked), and where a
	 * comment starts.  The first byte that is wrong, whatever its kind,
	 * is the one told. */
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)line[i];

		if ((c < 0x20 && c != '\t') || c == 0x7f)
			break;
		seen |= c;
		if (c == '#' && comment == len &&
		    (!i || line[i - 1] == ' ' || line[i - 1] == '\t'))
			comment = i;
	}
	ok = seen & 0x80 ? utf8_valid_prefix((const unsigned char *)line, i)
			 : i;
	if (ok < i) {
		parser_error(ps, ok + 1, "invalid UTF-8");
		return;
	}
	if (i < len) {
		if (line[i] == '\0')
			parser_error(ps, i + 1, "NUL byte in line");
		else
			parser_error(ps, i + 1, "control character 0x%02x in "
				     "line", (unsigned char)line[i]);
		return;
	}
	len = comment;
	start = skip_blanks(line, 0, len);
	end = len;
	while (end > start && (line[end - 1] == ' ' || line[end - 1] == '\t'))
		end--;
	if (start == end)
		return;
	memcpy(buf, line, end);
	buf[end] = '\0';
	if (buf[start] == '[')
		parse_section(ps, buf, start, end);
	else
		parse_setting(ps, buf, start, end);
}

/* Give back what doubling the rules array left unused (up to half). */
static void rules_fit(struct policy *p)
{
	struct rule *fit;

	if (p->nrules == p->rules_cap)
		return;
	fit = realloc(p->rules, (p->nrules ? p->nrules : 1) * sizeof(*fit));
	if (!fit)
		return;
	p->rules = fit;
	p->rules_cap = p->nrules;
}

/* Start ps for policy's file name: 0, or -ENOMEM (told). */
static int parser_start(struct parser *ps, struct policy *policy,
			const char *name, struct policy_error *err)
{
	*ps = (struct parser){.policy = policy, .file = name, .err = err};
	if (policy->file)
		return -EEXIST;
	policy->file = config_strdup(policy, name, strlen(name));
	if (!policy->file) {
		parser_oom(ps, 0);
		return -ENOMEM;
	}
	ps->file = policy->file;
	return 0;
}

/* The end of ps's parse: 0, or the policy cleared and an error. */
static int parser_finish(struct parser *ps)
{
	free(ps->by_glob);
	if (ps->errors) {
		config_clear(ps->policy);
		return ps->oom ? -ENOMEM : -EINVAL;
	}
	rules_fit(ps->policy);
	policy_refresh(ps->policy);
	return 0;
}

/* Below this many lines the rules array just doubles as it goes. */
#define RULES_RESERVE_MIN 4096

/*
 * How many newlines len bytes at buf hold, eight bytes at a time: a
 * memchr() a line was 6% of compiling 1,000,000 rules (perf).  A byte of
 * x = word ^ "\n\n..." is zero where the word has a newline; the sum
 * below sets its top bit exactly for the bytes that are not zero, each
 * byte on its own (no carry crosses one: 0x7f + 0x7f < 0x100); the ones
 * left, one a byte, are summed into the top byte by a multiplication.
 */
static size_t lines_count(const char *buf, size_t len)
{
	const uint64_t ones = 0x0101010101010101ull, low7 = 0x7f * ones;
	size_t i, n = 0;
	uint64_t x;

	for (i = 0; i + 8 <= len; i += 8) {
		memcpy(&x, buf + i, 8);
		x ^= '\n' * ones;
		x = ~(((x & low7) + low7) | x | low7) >> 7;
		n += (size_t)((x * ones) >> 56);	/* its bytes' sum */
	}
	for (; i < len; i++)
		n += buf[i] == '\n';
	return n;
}

/*
 * Room in policy's rules for one a line of buf's len bytes (at most as
 * many as there are lines), at once, in huge pages where it is big: grown
 * by doubling, a 1,000,000-rule config's array (64 MiB) took a page fault
 * every 4 KiB, 8% of "stackshim compile" (perf).  Pages never written
 * (comment lines, settings) cost nothing, and rules_fit() gives back the
 * rest.  Without the memory it is left to add_rule()'s doubling.
 */
static void rules_reserve(struct policy *policy, const char *buf, size_t len)
{
	struct rule *rules;
	size_t lines = 1 + lines_count(buf, len);

	if (lines < RULES_RESERVE_MIN || lines <= policy->rules_cap)
		return;
	rules = realloc(policy->rules, lines * sizeof(*rules));
	if (!rules)
		return;
	image_huge(rules, lines * sizeof(*rules));
	policy->rules = rules;
	policy->rules_cap = lines;
}

/* config_parse_text - see internal.h. */
int config_parse_text(struct policy *policy, const char *name,
		      const char *buf, size_t len, struct policy_error *err,
		      config_keep_fn keep, void *arg)
{
	const char *end = buf + len, *nl;
	struct parser ps;
	int r = parser_start(&ps, policy, name, err);

	if (r < 0)
		return r;
	ps.keep = keep;
	ps.keep_arg = arg;
	/* A UTF-8 byte order mark, which some editors write, is not text. */
	if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0)
		buf += 3;
	rules_reserve(policy, buf, (size_t)(end - buf));
	for (; buf < end; buf = nl + 1) {
		nl = memchr(buf, '\n', (size_t)(end - buf));
		if (!nl)
			nl = end;
		ps.line++;
		parse_line(&ps, buf, (size_t)(nl - buf));
	}
	return parser_finish(&ps);
}

/* config_parse_kept - see internal.h. */
int config_parse_kept(struct policy *policy, const char *name,
		      const void *recs, size_t len, struct policy_error *err)
{
	const unsigned char *at = recs, *end = at + len;
	struct config_kept rec;
	struct parser ps;
	int r = parser_start(&ps, policy, name, err);

	if (r < 0)
		return r;
	ps.kept = true;
	while (at < end) {
		/* A record that does not fit, or goes back, is the image's
		 * fault, told at its line. */
		if ((size_t)(end - at) < sizeof(rec)) {
			parser_error(&ps, 0, "compiled settings truncated");
			break;
		}
		memcpy(&rec, at, sizeof(rec));
		at += sizeof(rec);
		if (rec.len > (size_t)(end - at) || rec.line <= ps.line) {
			parser_error(&ps, 0, "compiled settings corrupt");
			break;
		}
		ps.line = rec.line;
		parse_line(&ps, (const char *)at, rec.len);
		at += CONFIG_KEPT_PAD(rec.len);
	}
	return parser_finish(&ps);
}

int policy_parse_buffer(struct policy *policy, const char *name,
			const char *buf, size_t len, struct policy_error *err)
{
	return config_parse_text(policy, name, buf, len, err, NULL, NULL);
}

int policy_parse_file(struct policy *policy, const char *path,
		      struct policy_error *err)
{
	return config_read(policy, path, err);
}
