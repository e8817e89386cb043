/*
 * match.c - which destination rule decides a connection or a name (SPEC §3,
 * allow/deny/map): the most specific one, that is the longest prefix, then
 * a rule with a port over one without, then the earlier line.
 *
 * The rules that apply to the selected program are indexed whenever the
 * selection changes (policy_refresh()), so that a lookup costs the same
 * with ten rules or a hundred thousand:
 *
 *   - address rules by (family, prefix length, masked address) in one hash
 *     table, and per family the prefix lengths in use, longest first; a
 *     lookup masks the address once per length in use (33 for IPv4 and 129
 *     for IPv6 at most) and stops at the first length that has a rule for
 *     it: longest-prefix match, one hash probe per length actually used;
 *   - name rules by name, exact names and "*.suffix" ones in separate keys;
 *     a lookup tries the name, then each of its parent domains as a suffix,
 *     nearest first (127 labels at most).
 *
 * A key's rules are kept in the order they win in (with a port first, then
 * by line), so the first one whose port range and protocol fit is the one.
 * An IPv4-mapped IPv6 rule (::ffff:10.0.0.0/104) is indexed as the IPv4 rule
 * it means, and an IPv4-mapped destination is looked up as IPv4.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <uthash.h>

#include "internal.h"

/* What a rule is filed under: a masked address, or a name. */
struct match_key {
	uint8_t kind;			/* enum rule_kind */
	uint8_t fam;			/* FAM_IPV4 or FAM_IPV6; 0 for names */
	uint8_t plen;
	uint8_t a[16];			/* the masked address */
};

struct match_entry {
	struct match_key key;		/* for addresses */
	const char *name;		/* for names: the key instead */
	const struct rule **rules;	/* in the order they win in */
	size_t nrules;
	size_t cap;
	UT_hash_handle hh;
};

struct match_index {
	struct match_entry *addrs;	/* by key */
	struct match_entry *names;	/* exact names, by name */
	struct match_entry *suffixes;	/* "*.suffix" rules, by suffix */
	/* Per family (0: IPv4, 1: IPv6), the prefix lengths in use,
	 * longest first. */
	uint8_t lens[2][129];
	unsigned nlens[2];
};

static const uint8_t match_mapped_prefix[12] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff,
};

/*
 * An address and prefix length as the index files them: an IPv4-mapped
 * IPv6 one of at least 96 bits becomes IPv4.  A mapped prefix shorter than
 * /96 covers more than IPv4, and stays IPv6.
 */
static void match_normalize(struct policy_addr *addr, unsigned *plen)
{
	if (addr->fam != FAM_IPV6 || *plen < 96 ||
	    memcmp(addr->a, match_mapped_prefix, sizeof(match_mapped_prefix)))
		return;
	memmove(addr->a, addr->a + 12, 4);
	memset(addr->a + 4, 0, 12);
	addr->fam = FAM_IPV4;
	*plen -= 96;
}

/* The key of addr masked to plen bits. */
static void match_key_make(struct match_key *key, const struct policy_addr *addr,
			   unsigned plen)
{
	unsigned full = plen / 8, rest = plen % 8;

	memset(key, 0, sizeof(*key));
	key->kind = RULE_CIDR;
	key->fam = (uint8_t)addr->fam;
	key->plen = (uint8_t)plen;
	memcpy(key->a, addr->a, full);
	if (rest)
		key->a[full] = addr->a[full] & (uint8_t)(0xff00u >> rest);
}

/* Whether rule a wins over rule b when both fit. */
static bool match_before(const struct rule *a, const struct rule *b)
{
	bool aport = a->port_low != 0, bport = b->port_low != 0;

	if (aport != bport)
		return aport;
	return a->line < b->line;
}

/* Add r to e's rules, in winning order.  Returns 0 or -ENOMEM. */
static int match_entry_add(struct match_entry *e, const struct rule *r)
{
	const struct rule **grown;
	size_t i;

	if (e->nrules == e->cap) {
		e->cap = e->cap ? 2 * e->cap : 1;
		grown = realloc(e->rules, e->cap * sizeof(*grown));
		if (!grown)
			return -ENOMEM;
		e->rules = grown;
	}
	i = e->nrules++;
	for (; i > 0 && match_before(r, e->rules[i - 1]); i--)
		e->rules[i] = e->rules[i - 1];
	e->rules[i] = r;
	return 0;
}

/* The entry of a name in *table, made when missing; NULL without memory. */
static struct match_entry *match_name_entry(struct match_entry **table,
					    const char *name)
{
	struct match_entry *e;

	HASH_FIND_STR(*table, name, e);
	if (e)
		return e;
	e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	e->name = name;
	HASH_ADD_KEYPTR(hh, *table, e->name, strlen(e->name), e);
	return e;
}

/* Note that prefix length plen is in use for family index f. */
static void match_len_add(struct match_index *ix, int f, unsigned plen)
{
	unsigned i, n = ix->nlens[f];

	for (i = 0; i < n && ix->lens[f][i] > plen; i++)
		;
	if (i < n && ix->lens[f][i] == plen)
		return;
	memmove(&ix->lens[f][i + 1], &ix->lens[f][i], n - i);
	ix->lens[f][i] = (uint8_t)plen;
	ix->nlens[f]++;
}

/* File one address rule.  Returns 0 or -ENOMEM. */
static int match_add_cidr(struct match_index *ix, const struct rule *r)
{
	struct policy_addr addr = r->addr;
	unsigned plen = r->plen;
	struct match_entry *e;
	struct match_key key;

	match_normalize(&addr, &plen);
	match_key_make(&key, &addr, plen);
	HASH_FIND(hh, ix->addrs, &key, sizeof(key), e);
	if (!e) {
		e = calloc(1, sizeof(*e));
		if (!e)
			return -ENOMEM;
		e->key = key;
		HASH_ADD(hh, ix->addrs, key, sizeof(key), e);
		match_len_add(ix, addr.fam == FAM_IPV4 ? 0 : 1, plen);
	}
	return match_entry_add(e, r);
}

static void match_table_free(struct match_entry **table)
{
	struct match_entry *e, *tmp;

	HASH_ITER(hh, *table, e, tmp) {
		HASH_DEL(*table, e);
		free(e->rules);
		free(e);
	}
}

/* match_free - see internal.h. */
void match_free(struct match_index *ix)
{
	if (!ix)
		return;
	match_table_free(&ix->addrs);
	match_table_free(&ix->names);
	match_table_free(&ix->suffixes);
	free(ix);
}

/* match_build - see internal.h. */
int match_build(const struct rule *rules, size_t n,
		bool (*active)(const void *arg, const struct rule *r),
		const void *arg, struct match_index **out)
{
	struct match_index *ix = calloc(1, sizeof(*ix));
	struct match_entry *e;
	size_t i;
	int err = 0;

	*out = NULL;
	if (!ix)
		return -ENOMEM;
	for (i = 0; i < n && !err; i++) {
		const struct rule *r = &rules[i];

		if (!active(arg, r))
			continue;
		if (r->kind == RULE_CIDR) {
			err = match_add_cidr(ix, r);
			continue;
		}
		e = match_name_entry(r->kind == RULE_NAME ? &ix->names
							  : &ix->suffixes,
				     r->name);
		err = e ? match_entry_add(e, r) : -ENOMEM;
	}
	if (err) {
		match_free(ix);
		return err;
	}
	*out = ix;
	return 0;
}

/*
 * The first of e's rules (in winning order) that fits port (host order, 0
 * for none known: only rules without ports fit) and proto (PROTO_ANY: only
 * rules without a protocol fit).
 */
static const struct rule *match_pick(const struct match_entry *e,
				     uint16_t port, enum policy_proto proto)
{
	const struct rule *r;
	size_t i;

	for (i = 0; i < e->nrules; i++) {
		r = e->rules[i];
		if (r->port_low && (port < r->port_low || port > r->port_high))
			continue;
		if (r->proto != PROTO_ANY && r->proto != proto)
			continue;
		return r;
	}
	return NULL;
}

/* match_addr - see internal.h. */
const struct rule *match_addr(const struct match_index *ix,
			      const struct policy_addr *addr, uint16_t port,
			      enum policy_proto proto)
{
	struct policy_addr a = *addr;
	unsigned plen = a.fam == FAM_IPV4 ? 32 : 128, i, f;
	const struct match_entry *e;
	const struct rule *r;
	struct match_key key;

	if (!ix || (a.fam != FAM_IPV4 && a.fam != FAM_IPV6))
		return NULL;
	match_normalize(&a, &plen);
	f = a.fam == FAM_IPV4 ? 0 : 1;
	for (i = 0; i < ix->nlens[f]; i++) {
		match_key_make(&key, &a, ix->lens[f][i]);
		HASH_FIND(hh, ix->addrs, &key, sizeof(key), e);
		if (e && (r = match_pick(e, port, proto)))
			return r;
	}
	return NULL;
}

/*
 * The rule of table filed under the len bytes of name that fits; with any
 * set, the first rule filed there, whatever its port and protocol.
 */
static const struct rule *match_name_in(struct match_entry *table,
					const char *name, size_t len,
					uint16_t port, enum policy_proto proto,
					bool any)
{
	struct match_entry *e;

	HASH_FIND(hh, table, name, len, e);
	if (!e)
		return NULL;
	return any ? e->rules[0] : match_pick(e, port, proto);
}

/* match_name and match_name_covered, as any says. */
static const struct rule *match_name_find(const struct match_index *ix,
					  const char *name, uint16_t port,
					  enum policy_proto proto, bool any)
{
	char lower[256];
	const struct rule *r;
	size_t len = strlen(name), i;
	const char *dot;

	if (!ix || !len || len >= sizeof(lower))
		return NULL;
	for (i = 0; i < len; i++)
		lower[i] = (char)(name[i] >= 'A' && name[i] <= 'Z'
					  ? name[i] - 'A' + 'a'
					  : name[i]);
	if (lower[len - 1] == '.')
		len--;
	lower[len] = '\0';
	r = match_name_in(ix->names, lower, len, port, proto, any);
	/* "*.example.com" covers every name below example.com, not the
	 * name itself: the suffixes tried are the parents, nearest first. */
	for (dot = memchr(lower, '.', len); !r && dot;
	     dot = memchr(dot + 1, '.', len - (size_t)(dot + 1 - lower)))
		r = match_name_in(ix->suffixes, dot + 1,
				  len - (size_t)(dot + 1 - lower), port, proto,
				  any);
	return r;
}

/* match_name - see internal.h. */
const struct rule *match_name(const struct match_index *ix, const char *name,
			      uint16_t port, enum policy_proto proto)
{
	return match_name_find(ix, name, port, proto, false);
}

/* match_name_covered - see internal.h. */
bool match_name_covered(const struct match_index *ix, const char *name)
{
	return match_name_find(ix, name, 0, PROTO_ANY, true) != NULL;
}
