/*
 * match.c - which destination rule decides a connection or a name (SPEC §3,
 * allow/deny/map): the most specific one, that is the longest prefix, then
 * a rule with a port over one without, then the earlier line.
 *
 * The rules that apply to the selected program are indexed whenever the
 * selection changes (policy_refresh()), so that a lookup costs the same
 * with ten rules or a hundred thousand:
 *
 *   - every rule is filed under a key: (family, prefix length, masked
 *     address) for an address rule, (exact or suffix, name) for a name
 *     rule; per family the prefix lengths in use are kept longest first.
 *     An address lookup masks the address once per length in use (33 for
 *     IPv4 and 129 for IPv6 at most) and stops at the first length that has
 *     a rule for it: longest-prefix match.  A name lookup tries the name,
 *     then each of its parent domains as a suffix, nearest first (127
 *     labels at most).
 *   - the keys live in one open-addressing table (linear probing, at most
 *     half full) of 32-byte slots, two to a cache line, that hold the key
 *     itself (a name longer than 16 bytes by pointer), a check of its hash
 *     and, for the usual key with one rule, that rule's action, line, ports
 *     and protocol: a probe touches one line, not the three or four
 *     dependent ones of a chained table.
 *   - a blocked Bloom filter (8 bits per key, two bits in one 64-bit word)
 *     small enough to stay in cache says which keys may be in the table, so
 *     that the lengths and suffixes without a rule for the destination are
 *     mostly skipped without touching the table at all.
 *
 * A key's rules are kept in the order they win in (with a port first, then
 * by line), so the first one whose port range and protocol fit is the one.
 * An IPv4-mapped IPv6 rule (::ffff:10.0.0.0/104) is indexed as the IPv4 rule
 * it means, and an IPv4-mapped destination is looked up as IPv4.
 */
#include "config.h"

#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* What a key files: an address of one family, or a name. */
enum match_tag {
	TAG_EMPTY,
	TAG_V4,
	TAG_V6,
	TAG_NAME,			/* exactly the name */
	TAG_SUFFIX,			/* "*.name" */
};

#define NAME_INLINE 16			/* names this long are kept in the slot */
#define SLOT_MANY 0x80			/* bits: the rules are in recs[] */
#define WHERE_NONE UINT32_MAX		/* where[]: a rule not indexed */

/*
 * One key and, when it has one rule only, that rule.  An address key is
 * the masked address as host-order words (IPv4: one uint32_t; IPv6: the
 * high then the low uint64_t), zero past them.
 */
struct match_slot {
	uint32_t check;			/* the hash's high half | 1; 0: empty */
	uint8_t tag;			/* enum match_tag */
	uint8_t len;			/* prefix length, or name length */
	uint8_t bits;			/* action | proto << 2 | SLOT_MANY */
	uint8_t unused;
	union {
		uint8_t a[16];
		const char *name;	/* a name longer than NAME_INLINE */
	} key;
	union {
		struct {
			uint32_t line;
			uint16_t port_low, port_high;
		} one;
		struct {
			uint32_t start, n;	/* recs[start .. start + n) */
		} list;
	} u;
};

_Static_assert(sizeof(struct match_slot) == 32, "two slots to a line");

/* A key being looked up or added. */
struct match_probe {
	uint64_t hash;
	uint8_t tag;
	uint8_t len;
	const uint8_t *a;		/* 16 bytes, for addresses */
	const char *name;		/* len bytes, for names */
};

struct match_index {
	struct match_slot *slots;
	size_t nslots;			/* a power of two */
	uint64_t *filter;
	uint32_t filter_mask;		/* words - 1 */
	struct match_rec *recs;		/* the rules of keys with several */
	size_t nmany;			/* how many keys have several */
	/* Per family (0: IPv4, 1: IPv6), the prefix lengths in use,
	 * longest first. */
	uint8_t lens[2][129];
	unsigned nlens[2];
};


static const uint8_t match_mapped_prefix[12] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff,
};

/* MurmurHash3's finaliser: every input bit moves every output bit. */
static inline uint64_t match_mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	x ^= x >> 33;
	return x;
}

static inline uint64_t match_load64(const void *p)
{
	uint64_t w;

	memcpy(&w, p, sizeof(w));
	return w;
}

/* The hash of an address key: tag, prefix length and the 16 key bytes. */
static inline uint64_t match_hash_addr(uint8_t tag, uint8_t plen,
				       const uint8_t *a)
{
	uint64_t x = match_load64(a) ^ ((uint64_t)tag << 8 | plen);

	if (tag == TAG_V4)
		return match_mix(x);
	return match_mix(x ^ match_mix(match_load64(a + 8) + x));
}

/* The hash of a name key, eight bytes at a time. */
static inline uint64_t match_hash_name(uint8_t tag, const char *s, size_t len)
{
	uint64_t h = (uint64_t)tag << 8 | len, w;

	for (; len >= 8; s += 8, len -= 8)
		h = (((h << 27) | (h >> 37)) ^ match_load64(s)) *
		    0x9e3779b97f4a7c15ull;
	if (len) {
		w = 0;
		memcpy(&w, s, len);
		h = (((h << 27) | (h >> 37)) ^ w) * 0x9e3779b97f4a7c15ull;
	}
	return match_mix(h);
}

/* The filter's word and two bits for a hash: bits the table leaves alone
 * (it takes the low ones, and the check the high half). */
static inline uint64_t match_filter_bits(uint64_t h)
{
	return 1ull << ((h >> 20) & 63) | 1ull << ((h >> 26) & 63);
}

static inline bool match_filter_has(const struct match_index *ix, uint64_t h)
{
	uint64_t bits = match_filter_bits(h);

	return (ix->filter[(h >> 32) & ix->filter_mask] & bits) == bits;
}

/* Whether slot s holds the key of probe k (whose check is check). */
static inline bool match_slot_is(const struct match_slot *s,
				 const struct match_probe *k, uint32_t check)
{
	if (s->check != check || s->tag != k->tag || s->len != k->len)
		return false;
	if (k->tag == TAG_V4 || k->tag == TAG_V6)
		return !memcmp(s->key.a, k->a, 16);
	return !memcmp(k->len > NAME_INLINE ? s->key.name
					    : (const char *)s->key.a,
		       k->name, k->len);
}

/* The slot of k, or the empty slot where it would go. */
static inline struct match_slot *match_slot_find(const struct match_index *ix,
						 const struct match_probe *k)
{
	uint32_t check = (uint32_t)(k->hash >> 32) | 1;
	size_t i = (size_t)k->hash & (ix->nslots - 1);
	struct match_slot *s;

	/* The table is at most half full: an empty slot ends every probe. */
	for (;; i = (i + 1) & (ix->nslots - 1)) {
		s = &ix->slots[i];
		if (!s->check || match_slot_is(s, k, check))
			return s;
	}
}

/* The slot of k if ix has it, NULL if not. */
static inline const struct match_slot *
match_lookup(const struct match_index *ix, const struct match_probe *k)
{
	const struct match_slot *s;

	if (!match_filter_has(ix, k->hash))
		return NULL;
	s = match_slot_find(ix, k);
	return s->check ? s : NULL;
}

/*
 * match_normalize - see internal.h.  A mapped prefix shorter than /96
 * covers more than IPv4, and stays IPv6.
 */
void match_normalize(struct policy_addr *addr, unsigned *plen)
{
	if (addr->fam != FAM_IPV6 || *plen < 96 ||
	    memcmp(addr->a, match_mapped_prefix, sizeof(match_mapped_prefix)))
		return;
	memmove(addr->a, addr->a + 12, 4);
	memset(addr->a + 4, 0, 12);
	addr->fam = FAM_IPV4;
	*plen -= 96;
}

/* An address (normalized) as host-order words, to be masked per length. */
struct match_words {
	uint8_t tag;
	uint64_t hi, lo;		/* IPv4: in the high half of hi */
};

static void match_words_make(struct match_words *w,
			     const struct policy_addr *addr)
{
	uint32_t v4;

	if (addr->fam == FAM_IPV4) {
		memcpy(&v4, addr->a, 4);
		w->tag = TAG_V4;
		w->hi = (uint64_t)be32toh(v4) << 32;
		w->lo = 0;
		return;
	}
	w->tag = TAG_V6;
	w->hi = be64toh(match_load64(addr->a));
	w->lo = be64toh(match_load64(addr->a + 8));
}

/* The key of w masked to plen bits, in key[16], and its probe. */
static inline void match_key_make(struct match_probe *k, uint8_t key[16],
				  const struct match_words *w, unsigned plen)
{
	uint64_t hi = plen >= 64 ? w->hi : plen ? w->hi & ~0ull << (64 - plen)
						 : 0;
	uint64_t lo = plen > 64 ? w->lo & ~0ull << (128 - plen) : 0;
	uint32_t v4 = (uint32_t)(hi >> 32);

	memset(key, 0, 16);
	if (w->tag == TAG_V4) {
		memcpy(key, &v4, 4);
	} else {
		memcpy(key, &hi, 8);
		memcpy(key + 8, &lo, 8);
	}
	k->tag = w->tag;
	k->len = (uint8_t)plen;
	k->a = key;
	k->name = NULL;
	k->hash = match_hash_addr(k->tag, k->len, key);
}

static void match_name_probe(struct match_probe *k, uint8_t tag,
			     const char *name, size_t len)
{
	k->tag = tag;
	k->len = (uint8_t)len;
	k->a = NULL;
	k->name = name;
	k->hash = match_hash_name(tag, name, len);
}

/* match_free - see internal.h. */
void match_free(struct match_index *ix)
{
	if (!ix)
		return;
	free(ix->slots);
	free(ix->filter);
	free(ix->recs);
	free(ix);
}

/*
 * An empty table of n slots, aligned on a cache line so that no slot
 * straddles two.  (Huge pages were tried for the TLB: no difference
 * measured at 100,000 rules, and this runs inside others' programs.)
 * Returns 0 or -ENOMEM.
 */
static int match_slots_alloc(struct match_index *ix, size_t n)
{
	ix->nslots = n;
	ix->slots = aligned_alloc(64, n * sizeof(struct match_slot));
	if (!ix->slots)
		return -ENOMEM;
	memset(ix->slots, 0, n * sizeof(struct match_slot));
	return 0;
}

/* The smallest power of two >= n, at least min. */
static size_t match_pow2(size_t n, size_t min)
{
	size_t p = min;

	while (p < n)
		p *= 2;
	return p;
}

/* An index sized for up to n keys, empty.  Returns 0 or -ENOMEM. */
static int match_alloc(struct match_index **out, size_t n)
{
	struct match_index *ix = calloc(1, sizeof(*ix));
	/* 8 bits a key (about 5% false positives; 16 measured no faster),
	 * and 64 words at least: a small index's filter is as cheap. */
	size_t words = match_pow2(n / 8, 64);

	*out = ix;
	if (!ix)
		return -ENOMEM;
	ix->filter = calloc(words, sizeof(*ix->filter));
	ix->filter_mask = (uint32_t)(words - 1);
	if (!ix->filter || match_slots_alloc(ix, match_pow2(2 * n, 16)) < 0)
		return -ENOMEM;
	return 0;
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

/* A rule's key, computed ahead of its filing while its slot is fetched. */
struct match_pending {
	size_t rule;
	struct match_probe k;
	uint8_t key[16];
};

/* How many rules ahead of the one being filed their slots are fetched. */
#define MATCH_AHEAD 8

/* The key of rule r into p, and a prefetch of its slot. */
static void match_pend(const struct match_index *ix,
		       struct match_pending *p, const struct rule *r)
{
	struct policy_addr addr = r->addr;
	unsigned plen = r->plen;
	struct match_words w;

	if (r->kind == RULE_CIDR) {
		match_normalize(&addr, &plen);
		match_words_make(&w, &addr);
		match_key_make(&p->k, p->key, &w, plen);
	} else {
		match_name_probe(&p->k, r->kind == RULE_NAME ? TAG_NAME
							     : TAG_SUFFIX,
				 r->name, strlen(r->name));
	}
	__builtin_prefetch(&ix->slots[p->k.hash & (ix->nslots - 1)], 1);
}

/* Write r as the one rule of slot s. */
static void match_put_one(struct match_slot *s, const struct rule *r)
{
	s->bits = (uint8_t)(r->action | r->proto << 2);
	s->u.one.line = r->line;
	s->u.one.port_low = r->port_low;
	s->u.one.port_high = r->port_high;
}

/*
 * File rule r under key k: a new key takes it as its one rule; a key's
 * second rule turns it into a list (SLOT_MANY, n counting its rules) that
 * match_runs() and match_put() fill.  Returns the slot's index.
 */
static uint32_t match_file(struct match_index *ix, const struct match_probe *k,
			   const struct rule *r)
{
	struct match_slot *s = match_slot_find(ix, k);

	if (s->check) {
		if (!(s->bits & SLOT_MANY)) {
			s->bits = SLOT_MANY;
			s->u.list.n = 1;
			ix->nmany++;
		}
		s->u.list.n++;
		return (uint32_t)(s - ix->slots);
	}
	s->check = (uint32_t)(k->hash >> 32) | 1;
	s->tag = k->tag;
	s->len = k->len;
	if (k->a)
		memcpy(s->key.a, k->a, 16);
	else if (k->len > NAME_INLINE)
		s->key.name = k->name;
	else
		memcpy(s->key.a, k->name, k->len);
	ix->filter[(k->hash >> 32) & ix->filter_mask] |=
		match_filter_bits(k->hash);
	if (k->a)
		match_len_add(ix, k->tag == TAG_V4 ? 0 : 1, k->len);
	match_put_one(s, r);
	return (uint32_t)(s - ix->slots);
}

/*
 * Give each key with several rules its run of recs[], empty for now (n
 * counts its rules as they are put in).  Returns 0 or -ENOMEM.
 */
static int match_runs(struct match_index *ix)
{
	size_t i, total = 0;
	struct match_slot *s;

	for (i = 0; i < ix->nslots; i++) {
		s = &ix->slots[i];
		if (!s->check || !(s->bits & SLOT_MANY))
			continue;
		s->u.list.start = (uint32_t)total;
		total += s->u.list.n;
		s->u.list.n = 0;
	}
	ix->recs = malloc(total * sizeof(*ix->recs));
	return ix->recs ? 0 : -ENOMEM;
}

/* Put r into the run of slot s, after the rules put there before it. */
static void match_put(struct match_index *ix, struct match_slot *s,
		      const struct rule *r)
{
	struct match_rec *rec = &ix->recs[s->u.list.start + s->u.list.n++];

	rec->line = r->line;
	rec->port_low = r->port_low;
	rec->port_high = r->port_high;
	rec->action = (uint8_t)r->action;
	rec->proto = (uint8_t)r->proto;
}

/*
 * File the active rules of rules[0..n), each under its key, with the key
 * of the MATCH_AHEAD-th next one computed and its slot fetched meanwhile:
 * filing is a random access into a table bigger than the cache, and this
 * keeps several in flight.  where[i] gets rule i's slot (WHERE_NONE for a
 * rule that is not active).
 */
static void match_file_all(struct match_index *ix, const struct rule *rules,
			   size_t n, uint32_t *where)
{
	struct match_pending ring[MATCH_AHEAD], *p;
	size_t i, next = 0, queued = 0;

	for (i = 0; i < n || queued; ) {
		if (queued == MATCH_AHEAD || (i >= n && queued)) {
			p = &ring[next % MATCH_AHEAD];
			where[p->rule] = match_file(ix, &p->k,
						    &rules[p->rule]);
			next++;
			queued--;
			continue;
		}
		if (where[i] != WHERE_NONE) {
			p = &ring[(next + queued) % MATCH_AHEAD];
			p->rule = i;
			match_pend(ix, p, &rules[i]);
			queued++;
		}
		i++;
	}
}

/*
 * match_build - see internal.h.  The rules are filed in one pass; keys with
 * several rules then get their runs in a second one: rules with a port
 * first, then those without (the rules being in line order, each run is
 * then in winning order without a sort).
 */
int match_build(const struct rule *rules, size_t n,
		bool (*active)(const void *arg, const struct rule *r),
		const void *arg, struct match_index **out)
{
	struct match_index *ix = NULL;
	uint32_t *where = malloc((n ? n : 1) * sizeof(*where));
	size_t i, m = 0;
	int err, pass;

	*out = NULL;
	for (i = 0; where && i < n; i++) {
		where[i] = active(arg, &rules[i]) ? 0 : WHERE_NONE;
		m += where[i] == 0;
	}
	err = where ? match_alloc(&ix, m) : -ENOMEM;
	if (!err)
		match_file_all(ix, rules, n, where);
	if (!err && ix->nmany)
		err = match_runs(ix);
	for (pass = 0; !err && ix->nmany && pass < 2; pass++)
		for (i = 0; i < n; i++)
			if (where[i] != WHERE_NONE &&
			    (rules[i].port_low != 0) == !pass &&
			    (ix->slots[where[i]].bits & SLOT_MANY))
				match_put(ix, &ix->slots[where[i]], &rules[i]);
	free(where);
	if (err) {
		match_free(ix);
		return err;
	}
	*out = ix;
	return 0;
}

/* Whether a rule with these ports and protocol fits port and proto. */
static inline bool match_fits(uint16_t low, uint16_t high, unsigned rproto,
			      uint16_t port, enum policy_proto proto)
{
	if (low && (port < low || port > high))
		return false;
	return rproto == PROTO_ANY || rproto == (unsigned)proto;
}

/*
 * The first of s's rules (in winning order) that fits port (host order, 0
 * for none known: only rules without ports fit) and proto (PROTO_ANY: only
 * rules without a protocol fit), into out.  With any set, the first rule,
 * whatever its port and protocol.
 */
static bool match_pick(const struct match_index *ix,
		       const struct match_slot *s, uint16_t port,
		       enum policy_proto proto, bool any, struct match_rec *out)
{
	const struct match_rec *rec, *end;

	if (!(s->bits & SLOT_MANY)) {
		if (!any && !match_fits(s->u.one.port_low, s->u.one.port_high,
					(unsigned)s->bits >> 2, port, proto))
			return false;
		out->line = s->u.one.line;
		out->port_low = s->u.one.port_low;
		out->port_high = s->u.one.port_high;
		out->action = s->bits & 3;
		out->proto = (uint8_t)(s->bits >> 2);
		return true;
	}
	rec = &ix->recs[s->u.list.start];
	for (end = rec + s->u.list.n; rec < end; rec++) {
		if (any || match_fits(rec->port_low, rec->port_high,
				      rec->proto, port, proto)) {
			*out = *rec;
			return true;
		}
	}
	return false;
}

/* match_addr - see internal.h. */
bool match_addr(const struct match_index *ix, const struct policy_addr *addr,
		uint16_t port, enum policy_proto proto, struct match_rec *out)
{
	struct policy_addr a = *addr;
	unsigned plen = a.fam == FAM_IPV4 ? 32 : 128, i, f;
	const struct match_slot *s;
	struct match_words w;
	struct match_probe k;
	uint8_t key[16];

	if (!ix || (a.fam != FAM_IPV4 && a.fam != FAM_IPV6))
		return false;
	match_normalize(&a, &plen);
	f = a.fam == FAM_IPV4 ? 0 : 1;
	match_words_make(&w, &a);
	for (i = 0; i < ix->nlens[f]; i++) {
		match_key_make(&k, key, &w, ix->lens[f][i]);
		s = match_lookup(ix, &k);
		if (s && match_pick(ix, s, port, proto, false, out))
			return true;
	}
	return false;
}

/* match_name and match_name_covered, as any says. */
static bool match_name_find(const struct match_index *ix, const char *name,
			    uint16_t port, enum policy_proto proto, bool any,
			    struct match_rec *out)
{
	char lower[256];
	size_t len = strlen(name), i;
	const struct match_slot *s;
	struct match_probe k;

	if (!ix || !len || len >= sizeof(lower))
		return false;
	for (i = 0; i < len; i++)
		lower[i] = (char)(name[i] >= 'A' && name[i] <= 'Z'
					  ? name[i] - 'A' + 'a'
					  : name[i]);
	if (lower[len - 1] == '.')
		len--;
	match_name_probe(&k, TAG_NAME, lower, len);
	s = match_lookup(ix, &k);
	if (s && match_pick(ix, s, port, proto, any, out))
		return true;
	/* "*.example.com" covers every name below example.com, not the
	 * name itself: the suffixes tried are the parents, nearest first. */
	for (i = 0; i < len; i++) {
		if (lower[i] != '.')
			continue;
		match_name_probe(&k, TAG_SUFFIX, lower + i + 1, len - i - 1);
		s = match_lookup(ix, &k);
		if (s && match_pick(ix, s, port, proto, any, out))
			return true;
	}
	return false;
}

/* match_name - see internal.h. */
bool match_name(const struct match_index *ix, const char *name,
		uint16_t port, enum policy_proto proto, struct match_rec *out)
{
	return match_name_find(ix, name, port, proto, false, out);
}

/* match_name_covered - see internal.h. */
bool match_name_covered(const struct match_index *ix, const char *name)
{
	struct match_rec rec;

	return match_name_find(ix, name, 0, PROTO_ANY, true, &rec);
}
