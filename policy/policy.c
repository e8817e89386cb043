/* SPDX-License-Identifier: MIT */
/*
 * policy.c - the policy object: layers of settings, the sections that apply
 * to a program, overrides from the environment, and what the shim asks.
 */
#include "config.h"

#include <ctype.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

#define EFFECTIVE(p, k) ((p)->effective.v[k])

struct chunk {
	struct chunk *next;
	char s[];
};

#define ALL_SCALARS (KEY_BIT(KEY_SCALARS) - 1)

/* An IPv4 address in network byte order, as a constant expression. */
#if __BYTE_ORDER == __LITTLE_ENDIAN
#define NET_ADDR(a, b, c, d) ((in_addr_t)((d) << 24 | (c) << 16 | (b) << 8 | (a)))
#else
#define NET_ADDR(a, b, c, d) ((in_addr_t)((a) << 24 | (b) << 16 | (c) << 8 | (d)))
#endif

/* The built-in defaults: everything but local-address is set. */
static const struct settings defaults = {
	.set = ALL_SCALARS & ~KEY_BIT(KEY_LOCAL),
	.v = {
		[KEY_STACK] = {.word = STACK_DUAL},
		[KEY_PREFER] = {.word = FAM_IPV6},
		[KEY_MAPPED] = {.word = 1},
		[KEY_LOOPBACK] = {.word = 1},
		[KEY_FALLBACK] = {.word = 1},
		[KEY_TRANSLATE] = {.prefix = {
			.addr = {.s6_addr = {[10] = 0xff, [11] = 0xff}},
			.len = 96}},
		[KEY_POOL] = {.pool = {.addr = {.s_addr = NET_ADDR(198, 18, 0, 0)},
				 .len = 15}},
		[KEY_ENFORCE] = {.word = 1},
		[KEY_LOG] = {.log = {.kind = LOG_OFF}},
		[KEY_LOG_FORMAT] = {.word = LOG_FORMAT_TEXT},
	},
};

/* The strings' chunks: this big, and a string over a quarter of it in
 * a chunk of its own. */
#define STRINGS_CHUNK 65536

/* A new chunk of room bytes at the head of policy's; NULL without memory. */
static char *strings_chunk(struct policy *policy, size_t room)
{
	struct chunk *c = malloc(sizeof(*c) + room);

	if (!c)
		return NULL;
	c->next = policy->strings;
	policy->strings = c;
	return c->s;
}

/*
 * config_strdup - see internal.h.  Carved from 64 KiB chunks: a malloc()
 * a name was 9% of compiling 1,000,000 rules (perf; 300,000 names).
 */
char *config_strdup(struct policy *policy, const char *s, size_t len)
{
	char *out;

	if (len + 1 > STRINGS_CHUNK / 4) {
		out = strings_chunk(policy, len + 1);
	} else {
		if (len + 1 > policy->strings_room) {
			policy->strings_at = strings_chunk(policy,
							   STRINGS_CHUNK);
			policy->strings_room =
				policy->strings_at ? STRINGS_CHUNK : 0;
		}
		out = policy->strings_at;
		if (out) {
			policy->strings_at += len + 1;
			policy->strings_room -= len + 1;
		}
	}
	if (!out)
		return NULL;
	memcpy(out, s, len);
	out[len] = '\0';
	return out;
}

struct policy *policy_new(void)
{
	struct policy *p = calloc(1, sizeof(*p));

	if (p)
		policy_refresh(p);
	return p;
}

static void policy_index_free(struct policy *policy);

void policy_free(struct policy *policy)
{
	struct chunk *c, *next;

	if (!policy)
		return;
	for (c = policy->strings; c; c = next) {
		next = c->next;
		free(c);
	}
	policy_index_free(policy);
	free(policy->sections);
	free(policy->rules);
	if (policy->image)
		munmap((void *)policy->image, policy->image_len);
	free(policy);
}

void config_clear(struct policy *policy)
{
	free(policy->sections);
	free(policy->rules);
	policy->sections = NULL;
	policy->rules = NULL;
	policy->nsections = policy->nrules = policy->rules_cap = 0;
	memset(&policy->global, 0, sizeof(policy->global));
	memset(policy->global_actions, 0, sizeof(policy->global_actions));
	policy->match_stale = true;
	policy->file = NULL;
	policy_refresh(policy);
}

void policy_on_error(struct policy *policy,
		     void (*fn)(const struct policy_error *err, void *arg),
		     void *arg)
{
	policy->on_error = fn;
	policy->on_error_arg = arg;
}

static void settings_merge(struct settings *dst, const struct settings *src)
{
	unsigned k;

	for (k = 0; k < KEY_SCALARS; k++) {
		if (!(src->set & KEY_BIT(k)))
			continue;
		dst->v[k] = src->v[k];
		dst->line[k] = src->line[k];
		dst->origin[k] = src->origin[k];
	}
	dst->set |= src->set;
}

/* Add the counts of one scope's rules to the active ones. */
static void policy_count(struct policy *policy, const size_t *nactions)
{
	size_t a;

	for (a = 0; a <= RULE_MAP; a++) {
		policy->nactions[a] += nactions[a];
		policy->nactive += nactions[a];
	}
}

/* Forget the index and its image. */
static void policy_index_free(struct policy *policy)
{
	match_close(&policy->match);
	free(policy->match_image);
	free(policy->match_selected);
	policy->match_image = NULL;
	policy->match_selected = NULL;
	policy->match_nselected = 0;
}

/*
 * Index every rule, whatever the selection (scope 0 always applies, a
 * section's rules only while it is selected): the index is built when the
 * rules change, never when the selection does.  No rules, no index.
 * Returns 0 or -ENOMEM (the policy then fails closed: match_failed).
 */
static int policy_index_build(struct policy *policy)
{
	size_t len;
	int err;

	policy_index_free(policy);
	if (!policy->nrules)
		return 0;
	policy->match_selected = calloc(policy->nsections + 1, 1);
	if (!policy->match_selected)
		return -ENOMEM;
	policy->match_nselected = policy->nsections;
	err = match_build(policy->rules, policy->nrules,
			  &policy->match_image, &len);
	if (!err)
		err = match_open(&policy->match, policy->match_image, len);
	if (err) {
		policy_index_free(policy);
		return -ENOMEM;
	}
	/* Built here, in memory no one else writes: no block to check. */
	image_trust(&policy->match.view);
	return 0;
}

/* policy_index_use - see internal.h. */
int policy_index_use(struct policy *policy, const void *image, size_t len)
{
	int err;

	policy_index_free(policy);
	policy->match_stale = false;
	policy->match_selected = calloc(policy->nsections + 1, 1);
	if (!policy->match_selected)
		return -ENOMEM;
	policy->match_nselected = policy->nsections;
	err = match_open(&policy->match, image, len);
	if (err)
		policy_index_free(policy);
	return err;
}

/*
 * The selection as the index's lookups take it: of the sections there
 * were at the build (a policy is parsed once, but should sections ever
 * be added without a rule, the index would not be built again).
 */
static void policy_index_select(struct policy *policy)
{
	size_t i, n = policy->match_nselected;

	if (n > policy->nsections)
		n = policy->nsections;
	policy->match_sel.selected = policy->match_selected;
	policy->match_sel.nsections = n;
	for (i = 0; i < n; i++)
		policy->match_selected[i] = policy->sections[i].selected;
}

static bool may_map(const struct policy *policy);
static bool prefix_mapped(const struct in6_addr *prefix, unsigned len);

void policy_refresh(struct policy *policy)
{
	size_t i;

	policy->effective = defaults;
	settings_merge(&policy->effective, &policy->global);
	for (i = 0; i < policy->nsections; i++)
		if (policy->sections[i].selected)
			settings_merge(&policy->effective,
				       &policy->sections[i].settings);
	settings_merge(&policy->effective, &policy->overrides);
	policy->nactive = 0;
	memset(policy->nactions, 0, sizeof(policy->nactions));
	policy_count(policy, policy->global_actions);
	for (i = 0; i < policy->nsections; i++)
		if (policy->sections[i].selected)
			policy_count(policy, policy->sections[i].nactions);
	policy->may_map = may_map(policy);
	policy->prefix_embeds =
		policy_translate_auto(policy) ||
		!prefix_mapped(&policy->effective.v[KEY_TRANSLATE].prefix.addr,
			       policy->effective.v[KEY_TRANSLATE].prefix.len);
	/* A policy_set() or a selection keeps the index: building it is
	 * most of loading a big config.  A failed build is tried again. */
	if (policy->match_stale && !policy->match_later) {
		policy->match_failed = policy_index_build(policy) < 0;
		policy->match_stale = policy->match_failed;
	}
	policy_index_select(policy);
}

/*
 * What a lookup answers: the rule found (none unless found), or, when the rules
 * could not be indexed, a deny that names no line: the policy fails
 * closed rather than let a destination through unjudged.
 */
static bool policy_match_answer(const struct policy *policy, bool found,
				const struct match_rec *r,
				struct policy_rule *out)
{
	memset(out, 0, sizeof(*out));
	out->file = policy->file;
	if (policy_index_failed(policy) || (found && r->failed)) {
		out->action = RULE_DENY;
		return true;
	}
	if (!found)
		return false;
	out->action = (enum policy_action)r->action;
	out->line = r->line;
	return true;
}

bool policy_match_addr(const struct policy *policy,
		       const struct policy_addr *addr, uint16_t port,
		       enum policy_proto proto, struct policy_rule *out)
{
	struct match_rec r;
	bool found = match_addr(&policy->match, &policy->match_sel, addr, port,
				proto, &r);

	return policy_match_answer(policy, found, &r, out);
}

/*
 * The IPv4 address that a, an IPv6 address that is not IPv4-mapped,
 * embeds inside the translate-prefix, in *v4: whether it has one.
 */
static inline bool prefix_v4(const struct policy *policy, const uint8_t *a,
			     struct in_addr *v4)
{
	struct in6_addr prefix;
	unsigned len;

	/* Only a prefix other than ::ffff:0:0/96 embeds one elsewhere. */
	if (!policy->prefix_embeds)
		return false;
	/* A prefix found on the network is a unicast one: deciding a
	 * loopback, link-local or multicast address asks it nothing. */
	if (policy_translate_auto(policy)) {
		if (!policy_may_be_nat64((const struct in6_addr *)a))
			return false;
		policy_translate_prefix(policy, &prefix, &len);
	} else {
		prefix = EFFECTIVE(policy, KEY_TRANSLATE).prefix.addr;
		len = EFFECTIVE(policy, KEY_TRANSLATE).prefix.len;
		/* Its first byte tells most addresses apart at once. */
		if (a[0] != prefix.s6_addr[0])
			return false;
	}
	/* RFC 6052 prefixes end on a byte (policy_prefix_check()). */
	return !memcmp(a, prefix.s6_addr, len / 8) &&
	       policy_rfc6052_extract((const struct in6_addr *)a, len, v4) == 0;
}

bool policy_addr_v4(const struct policy *policy,
		    const struct policy_addr *addr, struct in_addr *v4)
{
	static const uint8_t mapped[12] = {[10] = 0xff, [11] = 0xff};

	if (addr->fam == FAM_IPV4 || !memcmp(addr->a, mapped, sizeof(mapped))) {
		memcpy(v4, addr->fam == FAM_IPV4 ? addr->a : addr->a + 12, 4);
		return true;
	}
	return prefix_v4(policy, addr->a, v4);
}

bool policy_match_dest(const struct policy *policy,
		       const struct policy_addr *addr, uint16_t port,
		       enum policy_proto proto, struct policy_rule *out)
{
	struct policy_addr v4 = {.fam = FAM_IPV4};
	struct in_addr a;

	if (!policy_addr_v4(policy, addr, &a))
		return policy_match_addr(policy, addr, port, proto, out);
	memcpy(v4.a, &a, sizeof(a));
	if (policy_match_addr(policy, &v4, port, proto, out))
		return true;
	/* A translated address is an IPv6 one too; a mapped one is not. */
	return policy_addr_host_fam(addr) == FAM_IPV6 &&
	       policy_match_addr(policy, addr, port, proto, out);
}

bool policy_match_name(const struct policy *policy, const char *name,
		       uint16_t port, enum policy_proto proto,
		       struct policy_rule *out)
{
	struct match_rec r;
	bool found = match_name(&policy->match, &policy->match_sel, name, port,
				proto, &r);

	return policy_match_answer(policy, found, &r, out);
}

bool policy_index_failed(const struct policy *policy)
{
	/* A selection without rules has none to fail. */
	return policy->match_failed && policy->nactive;
}

/* A policy whose rules could not be indexed has every name ruled (deny). */
bool policy_name_ruled(const struct policy *policy, const char *name)
{
	return policy_index_failed(policy) ||
	       match_name_covered(&policy->match, &policy->match_sel, name);
}

/* Whether glob matches subject (NULL: nothing), as a shell matches paths. */
static bool select_match(const char *glob, const char *subject)
{
	return subject && !fnmatch(glob, subject, FNM_PATHNAME | FNM_PERIOD);
}

int policy_select(struct policy *policy, const char *name, const char *alias,
		  const char *path)
{
	const char *alias_base = alias ? strrchr(alias, '/') : NULL;
	const char *alias_path = alias && alias[0] == '/' ? alias : NULL;
	size_t i;
	int n = 0;

	alias_base = alias_base ? alias_base + 1 : alias;
	if (alias_base && !*alias_base)		/* "" or "dir/": no name */
		alias_base = NULL;
	for (i = 0; i < policy->nsections; i++) {
		struct section *s = &policy->sections[i];

		if (strchr(s->glob, '/'))
			s->selected = select_match(s->glob, path) ||
				      select_match(s->glob, alias_path);
		else
			s->selected = select_match(s->glob, name) ||
				      select_match(s->glob, alias_base);
		n += s->selected;
	}
	policy_refresh(policy);
	return n;
}

int policy_set(struct policy *policy, const char *key, const char *value,
	       const char *source, struct policy_error *err)
{
	const struct keyword *kw = values_keyword(key, strlen(key));
	struct fault f = {0};
	unsigned count = 0;
	union value v;

	if (!kw || !kw->parse) {
		config_report(policy, err, &count, source, 1, 1,
			      "'%s' cannot be set here", key);
		return -EINVAL;
	}
	if (!*value || kw->parse(policy, value, &v, &f) < 0) {
		config_report(policy, err, &count, source, 1,
			      (unsigned)f.offset + 1, "%s",
			      *value ? f.text : "missing value");
		return -EINVAL;
	}
	policy->overrides.origin[kw->key] =
		config_strdup(policy, source, strlen(source));
	if (!policy->overrides.origin[kw->key]) {
		config_report(policy, err, &count, source, 1, 1,
			      "out of memory");
		return -ENOMEM;
	}
	policy->overrides.set |= KEY_BIT(kw->key);
	policy->overrides.v[kw->key] = v;
	policy_refresh(policy);
	return 0;
}

static const char *env_lookup(char *const envp[], const char *name)
{
	size_t n = strlen(name);

	for (; envp && *envp; envp++)
		if (!strncmp(*envp, name, n) && (*envp)[n] == '=')
			return *envp + n + 1;
	return NULL;
}

/* "STACKSHIM_" and the key in upper case, '-' as '_'. */
static void env_name(const char *key, char *buf, size_t len)
{
	size_t i, n = (size_t)snprintf(buf, len, "STACKSHIM_%s", key);

	for (i = 0; i < n && i < len; i++)
		buf[i] = buf[i] == '-' ? '_' : (char)toupper(buf[i]);
}

/* The prefix of every variable policy_capture() keeps. */
#define SOURCE_ENV_PREFIX "STACKSHIM_"

/*
 * Copy the STACKSHIM_* variables of envp into one block: the array of
 * pointers, then the strings.  Nothing is allocated when there are none.
 */
static int source_copy_env(struct policy_source *src, char *const envp[])
{
	size_t n = 0, bytes = 0, len, i;
	char *const *e;
	char *at;

	for (e = envp; e && *e; e++)
		if (!strncmp(*e, SOURCE_ENV_PREFIX,
			     sizeof(SOURCE_ENV_PREFIX) - 1)) {
			n++;
			bytes += strlen(*e) + 1;
		}
	if (!n)
		return 0;
	src->env = config_source_alloc(src, (n + 1) * sizeof(char *) + bytes);
	if (!src->env)
		return config_source_fail(src, "environment", -ENOMEM, NULL);
	at = (char *)(src->env + n + 1);
	for (e = envp, i = 0; *e; e++) {
		if (strncmp(*e, SOURCE_ENV_PREFIX,
			    sizeof(SOURCE_ENV_PREFIX) - 1))
			continue;
		len = strlen(*e) + 1;
		memcpy(at, *e, len);
		src->env[i++] = at;
		at += len;
	}
	src->env[i] = NULL;
	return 0;
}

int policy_capture(struct policy_source *src, char *const envp[], bool secure,
		   const char *system_path)
{
	const char *conf;

	config_source_init(src);
	src->secure = secure;
	if (!secure && source_copy_env(src, envp) < 0)
		return src->rc;
	conf = secure ? NULL : env_lookup(src->env, "STACKSHIM_CONF");
	src->file = (conf && *conf) || system_path;
	src->index_env = envp;
	if (conf && *conf)
		config_source_read(src, conf, false, false);
	else if (system_path)
		config_source_read(src, system_path, secure, true);
	src->index_env = NULL;
	return src->rc;
}

/*
 * Load src's compiled policy into policy, from a mapping of its own of the
 * same pages (mremap() of a shared mapping from size 0), so that src may
 * be loaded into several policies and released before them.  Where that
 * cannot be done (valgrind does not), the first policy takes src's own
 * mapping over, and no other can be loaded from src.
 */
static int policy_load_image(struct policy *policy,
			     struct policy_source *src,
			     struct policy_error *err)
{
	unsigned count = 0;
	bool own = false;
	void *map;
	int r;

	if (src->image_taken) {
		config_report(policy, err, &count, src->path, 0, 0,
			      "the compiled policy is another policy's");
		return -EBUSY;
	}
	map = mremap((void *)src->image, 0, src->image_len, MREMAP_MAYMOVE);
	if (map == MAP_FAILED) {
		map = (void *)src->image;
		own = true;
	}
	r = compiled_load(policy, src->path, map, src->image_len, err);
	if (r < 0) {
		if (!own)
			munmap(map, src->image_len);
		return r;
	}
	src->image_taken = own;
	policy->image = map;
	policy->image_len = src->image_len;
	return 0;
}

int policy_load_source(struct policy *policy, struct policy_source *src,
		       struct policy_error *err)
{
	unsigned count = 0, k;
	int r;

	if (src->file && policy->file)
		return -EEXIST;
	if (src->rc < 0) {
		if (src->report)
			config_report(policy, err, &count, src->error.file, 0,
				      0, "%s", src->error.text);
		return src->rc;
	}
	if (src->image) {
		r = policy_load_image(policy, src, err);
		if (r < 0)
			return r;
	} else if (src->path) {
		r = policy_parse_buffer(policy, src->path,
					src->text ? src->text : "", src->len,
					err);
		if (r < 0)
			return r;
	}
	for (k = 0; !src->secure && k < KEY_SCALARS; k++) {
		const struct keyword *kw = values_keyword_at(k);
		const char *v;
		char name[64];

		env_name(kw->name, name, sizeof(name));
		v = env_lookup(src->env, name);
		if (v && *v) {
			r = policy_set(policy, kw->name, v, name, err);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

void policy_source_release(struct policy_source *src)
{
	config_source_free(src, src->text);
	config_source_free(src, src->env);
	if (src->image && !src->image_taken)
		munmap((void *)src->image, src->image_len);
	src->image = NULL;
	config_source_init(src);
}

int policy_load(struct policy *policy, char *const envp[], bool secure,
		const char *system_path, struct policy_error *err)
{
	struct policy_source src;
	int r;

	policy_capture(&src, envp, secure, system_path);
	r = policy_load_source(policy, &src, err);
	policy_source_release(&src);
	return r;
}

/* The getter of a key whose value is a word (union value's word). */
#define WORD_GETTER(type, name, key)                                      \
	type name(const struct policy *policy)                            \
	{                                                                 \
		return (type)EFFECTIVE(policy, key).word;                 \
	}

WORD_GETTER(unsigned, policy_stack, KEY_STACK)
WORD_GETTER(unsigned, policy_prefer, KEY_PREFER)
WORD_GETTER(bool, policy_mapped, KEY_MAPPED)
WORD_GETTER(bool, policy_ipv4_loopback, KEY_LOOPBACK)
WORD_GETTER(bool, policy_fallback, KEY_FALLBACK)
WORD_GETTER(bool, policy_enforce, KEY_ENFORCE)
WORD_GETTER(enum policy_log_format, policy_log_format, KEY_LOG_FORMAT)

enum policy_log policy_log(const struct policy *policy)
{
	return EFFECTIVE(policy, KEY_LOG).log.kind;
}

const char *policy_log_path(const struct policy *policy)
{
	return EFFECTIVE(policy, KEY_LOG).log.path;
}

const struct policy_local *policy_local_address(const struct policy *policy)
{
	if (!(policy->effective.set & KEY_BIT(KEY_LOCAL)))
		return NULL;
	return &EFFECTIVE(policy, KEY_LOCAL).local;
}

bool policy_translate_auto(const struct policy *policy)
{
	return !EFFECTIVE(policy, KEY_TRANSLATE).prefix.len;
}

void policy_set_pref64_finder(struct policy *policy,
			      policy_pref64_finder finder)
{
	policy->pref64 = finder;
}

void policy_translate_prefix(const struct policy *policy,
			     struct in6_addr *prefix, unsigned *len)
{
	if (!policy_translate_auto(policy)) {
		*prefix = EFFECTIVE(policy, KEY_TRANSLATE).prefix.addr;
		*len = EFFECTIVE(policy, KEY_TRANSLATE).prefix.len;
		return;
	}
	/* Found only for a policy that maps: the finder asks the network. */
	if (!policy->may_map || !policy->pref64 ||
	    policy->pref64(prefix, len) != 0 ||
	    policy_prefix_check(prefix, *len) != 0) {
		memset(prefix, 0, sizeof(*prefix));
		*len = 0;
	}
}

void policy_peer_pool(const struct policy *policy, struct in_addr *net,
		      unsigned *len)
{
	*net = EFFECTIVE(policy, KEY_POOL).pool.addr;
	*len = EFFECTIVE(policy, KEY_POOL).pool.len;
}

unsigned policy_socket_fams(const struct policy *policy)
{
	unsigned fams = policy_stack(policy);

	if ((fams & FAM_IPV6) &&
	    (policy_mapped(policy) || policy_ipv4_loopback(policy)))
		fams |= FAM_IPV4;
	return fams;
}

enum policy_peers policy_ipv4_peers(const struct policy *policy)
{
	if ((policy_stack(policy) & FAM_IPV4) || policy_mapped(policy))
		return PEERS_ALL;
	return policy_ipv4_loopback(policy) ? PEERS_LOOPBACK : PEERS_NONE;
}

/*
 * The IPv4 side of host and local is loopback, which exists whatever the
 * stack: policy_table_stack() of no stack at all.
 */
bool policy_loopback_decides(const struct policy *policy, unsigned host,
			     unsigned local)
{
	return policy_table_stack(FAM_NONE, host, local,
				  policy_ipv4_loopback(policy)) != FAM_NONE;
}

enum policy_outcome policy_decide(const struct policy *policy, unsigned host,
				  unsigned local)
{
	return policy_decide_rule(policy, RULE_NONE, host, local);
}

/* policy_decide_rule() as if a translate-prefix were always at hand. */
static enum policy_outcome decide_rule(const struct policy *policy,
				       enum policy_action action,
				       unsigned host, unsigned local)
{
	unsigned stack = policy_stack(policy);

	if (policy_loopback_decides(policy, host, local)) {
		stack |= FAM_IPV4;
		/* Loopback is never sent through a translate-prefix: a map
		 * rule leaves it to the table (RFC 6052 §3.1). */
		if (action == RULE_MAP)
			action = RULE_NONE;
	}
	return policy_rule_decide(action, stack, host, local,
				  policy_prefer(policy),
				  policy_mapped(policy));
}

enum policy_outcome policy_decide_unsettled(const struct policy *policy,
					    enum policy_action action,
					    unsigned host, unsigned local)
{
	return decide_rule(policy, action, host, local);
}

enum policy_outcome policy_map_settle(const struct policy *policy)
{
	struct in6_addr prefix;
	unsigned len;

	/* translate-prefix = auto found no NAT64: nothing to map through. */
	policy_translate_prefix(policy, &prefix, &len);
	return len ? OUTCOME_MAP : OUTCOME_FAIL_HOST;
}

enum policy_outcome policy_decide_rule(const struct policy *policy,
				       enum policy_action action,
				       unsigned host, unsigned local)
{
	return policy_outcome_settle(policy,
				     decide_rule(policy, action, host, local));
}

unsigned policy_dest_class(const struct policy *policy,
			   const struct policy_addr *addr)
{
	if (addr->fam != FAM_IPV6)
		return policy_addr_class(addr);
	return policy_ip6_class(policy, (const struct in6_addr *)addr->a);
}

unsigned policy_ip6_class(const struct policy *policy,
			  const struct in6_addr *a)
{
	struct in_addr v4;

	if (IN6_IS_ADDR_V4MAPPED(a))
		memcpy(&v4, a->s6_addr + 12, sizeof(v4));
	else if (!prefix_v4(policy, a->s6_addr, &v4))
		return FAM_IPV6;	/* an IPv6 host */
	return *(const uint8_t *)&v4 == 127 ? FAM_IPV4 | FAM_LOOP4 : FAM_IPV4;
}

/* The well-known prefix, 64:ff9b::/96 (RFC 6052 §2.1). */
static bool prefix_well_known(const struct in6_addr *prefix, unsigned len)
{
	static const uint8_t wkp[12] = {0, 0x64, 0xff, 0x9b};

	return len == 96 && !memcmp(prefix->s6_addr, wkp, sizeof(wkp));
}

bool policy_translate_by_address(const struct policy *policy)
{
	struct in6_addr prefix;
	unsigned len;

	policy_translate_prefix(policy, &prefix, &len);
	return prefix_well_known(&prefix, len);
}

/* The IPv4-mapped prefix, ::ffff:0:0/96: the kernel's own IPv4 path. */
static bool prefix_mapped(const struct in6_addr *prefix, unsigned len)
{
	static const uint8_t mapped[12] = {[10] = 0xff, [11] = 0xff};

	return len == 96 && !memcmp(prefix->s6_addr, mapped, sizeof(mapped));
}

bool policy_translatable(const struct policy *policy,
			 const struct in_addr *v4)
{
	struct in6_addr prefix;
	unsigned len;

	policy_translate_prefix(policy, &prefix, &len);
	if (!len)
		return false;
	if (policy_own_loopback(policy, v4))
		return prefix_mapped(&prefix, len);
	return !prefix_well_known(&prefix, len) || policy_ipv4_global(v4);
}

bool policy_translates(const struct policy *policy, enum policy_action action,
		       const struct in_addr *v4)
{
	return policy_translatable(policy, v4) ||
	       (action == RULE_MAP && !policy_own_loopback(policy, v4));
}

bool policy_own_loopback(const struct policy *policy, const struct in_addr *v4)
{
	return policy_ipv4_loopback(policy) &&
	       (ntohl(v4->s_addr) >> 24) == 127;
}

enum policy_outcome policy_decide_dest(const struct policy *policy,
				       enum policy_action action,
				       unsigned host, unsigned local,
				       const struct policy_addr *dest)
{
	enum policy_outcome o = policy_decide_rule(policy, action, host,
						   local);
	struct in_addr v4;

	if (o == OUTCOME_MAP && policy_addr_v4(policy, dest, &v4) &&
	    !policy_translates(policy, action, &v4))
		return OUTCOME_FAIL_HOST;
	return o;
}

/* policy_may_map(), worked out: some cell of the table, or of a map
 * rule, maps. */
static bool may_map(const struct policy *policy)
{
	static const unsigned hosts[] = {FAM_IPV4, FAM_BOTH};
	static const unsigned locals[] = {FAM_NONE, FAM_IPV4, FAM_IPV6,
					  FAM_BOTH};
	enum policy_action a;
	size_t h, l;

	for (a = RULE_NONE; a <= RULE_MAP; a++) {
		if (a != RULE_NONE && !policy_rule_count_of(policy, a))
			continue;
		for (h = 0; h < sizeof(hosts) / sizeof(hosts[0]); h++)
			for (l = 0; l < sizeof(locals) / sizeof(locals[0]); l++)
				if (decide_rule(policy, a, hosts[h],
						locals[l]) == OUTCOME_MAP)
					return true;
	}
	return false;
}

bool policy_may_map(const struct policy *policy)
{
	return policy->may_map;
}

bool policy_local_has(const struct policy *policy,
		      const struct policy_addr *addr)
{
	return policy_decide(policy, FAM_NONE, policy_addr_class(addr)) !=
	       OUTCOME_FAIL_LOCAL;
}

void policy_translate(const struct policy *policy, const struct in_addr *v4,
		      struct in6_addr *out)
{
	struct in6_addr prefix;
	unsigned len;

	/* The prefix was checked when it was parsed or found, and without
	 * one the decision is never to map: this cannot fail. */
	policy_translate_prefix(policy, &prefix, &len);
	policy_rfc6052_embed(&prefix, len, v4, out);
}

size_t policy_rule_count(const struct policy *policy)
{
	return policy->nactive;
}

size_t policy_rule_count_of(const struct policy *policy,
			    enum policy_action action)
{
	if ((unsigned)action >= sizeof(policy->nactions) /
				    sizeof(policy->nactions[0]))
		return 0;
	return policy->nactions[action];
}

int policy_error_format(const struct policy_error *err, char *buf, size_t len)
{
	char file[sizeof(err->file) * 4], text[sizeof(err->text) * 4];

	policy_escape(file, sizeof(file), err->file);
	policy_escape(text, sizeof(text), err->text);
	return snprintf(buf, len, "%s:%u:%u: %s", file, err->line,
			err->column, text);
}

/* snprintf that appends at *n, counting what it would need. */
#define APPEND(buf, len, n, ...)                                             \
	(*(n) += (size_t)snprintf(*(n) < (len) ? (buf) + *(n) : NULL,       \
				  *(n) < (len) ? (len) - *(n) : 0, __VA_ARGS__))

const char *policy_file(const struct policy *policy)
{
	return policy->file;
}

bool policy_setting_at(const struct policy *policy, size_t i,
		       struct policy_setting_view *out)
{
	const struct settings *e = &policy->effective;
	const struct keyword *kw;
	size_t need;

	if (i >= KEY_SCALARS)
		return false;
	kw = values_keyword_at((enum key)i);
	out->key = kw->name;
	out->origin = e->origin[i] ? e->origin[i] : "default";
	out->set = e->set & KEY_BIT(i);
	out->value[0] = '\0';
	out->cut = false;
	if (out->set) {
		need = (size_t)kw->format(&e->v[i], out->value,
					  sizeof(out->value));
		out->cut = need >= sizeof(out->value);
	}
	return true;
}

size_t policy_describe(const struct policy *policy, char *buf, size_t len)
{
	const struct settings *e = &policy->effective;
	struct policy_setting_view v;
	char value[512];
	size_t n = 0, i;

	if (len)
		buf[0] = '\0';
	for (i = 0; policy_setting_at(policy, i, &v); i++) {
		const struct keyword *kw = values_keyword_at((enum key)i);
		const char *text = v.value;
		char *big = NULL;
		size_t need;

		if (!v.set) {
			APPEND(buf, len, &n, "# %s: none\n", v.key);
			continue;
		}
		/* A log path may be longer than the view holds. */
		if (v.cut) {
			need = (size_t)kw->format(&e->v[i], NULL, 0);
			big = malloc(need + 1);
			if (big)
				kw->format(&e->v[i], big, need + 1);
			text = big ? big : v.value;
		}
		APPEND(buf, len, &n, "%s = %s # %s\n", v.key, text, v.origin);
		free(big);
	}
	for (i = 0; i < policy->nrules; i++) {
		const struct rule *r = &policy->rules[i];

		if (!rules_active(policy, r))
			continue;
		rules_format(r, value, sizeof(value));
		APPEND(buf, len, &n, "%s = %s # %s:%u\n",
		       policy_action_name(r->action), value, policy->file,
		       r->line);
	}
	return n;
}
