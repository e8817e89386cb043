/*
 * match.c - which destination rule decides a connection or a name (SPEC §3,
 * allow/deny/map): the most specific one, that is the longest prefix, then
 * a rule with a port over one without, then the earlier line.
 *
 * Every rule is indexed, with its scope (0: global; n: section n - 1),
 * whatever the selection: the index is built when the rules change
 * (policy_refresh()) and the lookups take the selection (struct
 * match_sel), skipping the rules of unselected sections.  The index is one
 * image (match_build()): position-independent, without a pointer, the same
 * bytes from the same rules, so that it can be written to a file and
 * mapped by other processes; match_open() makes a checked view of it
 * (image.c) and every lookup reads it through image_at() only, which
 * bounds every read and checks each 4 KiB block's CRC32C the first time it
 * is read.  A read that fails answers deny naming no line (match_rec's
 * failed): a damaged index fails closed, never open, never a crash.
 *
 * The image's body, offsets from the image's start in its head:
 *
 *   - slots: every rule is filed under a key: (family, prefix length,
 *     masked address) for an address rule, (exact or suffix, name) for a
 *     name rule; per family the prefix lengths in use are kept in the
 *     head, longest first.  An address lookup masks the address once per
 *     length in use (33 for IPv4 and 129 for IPv6 at most) and stops at the
 *     first length that has a rule for it that fits: longest-prefix match.
 *     A name lookup tries the name, then each of its parent domains as a
 *     suffix, nearest first (127 labels at most).  The keys live in one
 *     open-addressing table (linear probing, at most half full, every probe
 *     bounded by the table's size) of 32-byte slots, two to a cache line,
 *     that hold the key itself (a name longer than 16 bytes by its offset
 *     in the strings), a check of its hash and, for the usual key with one
 *     global rule, that rule's action, line, ports and protocol.
 *   - filter: a blocked Bloom filter (8 bits per key, two bits in one
 *     64-bit word) small enough to stay in cache says which keys may be in
 *     the table, so that the lengths and suffixes without a rule for the
 *     destination are mostly skipped without touching the table at all.
 *   - strings: the names longer than 16 bytes.
 *   - recs: for a key with several rules or a section's rule, its run of
 *     16-byte records (line, scope, ports, action, protocol) in the order
 *     they win in (with a port first, then by line), so the first one of a
 *     selected scope whose port range and protocol fit is the one; when
 *     none fits the search goes on to shorter prefixes and parent domains.
 *
 * An IPv4-mapped IPv6 rule (::ffff:10.0.0.0/104) is indexed as the IPv4 rule
 * it means, and an IPv4-mapped destination is looked up as IPv4.
 *
 * Measured (callgrind, instructions per policy_match_addr(), bench_rules
 * --prefixes: L rules of L distinct lengths, a hit that only the shortest
 * decides, a miss; before: the pointer index of 5b0194d..aba233a):
 *
 *			      before (aba233a)	 this image
 *	IPv4, 1 length	      hit 229, miss 160	 hit 334, miss 198
 *	IPv4, 32 lengths      hit 2047, miss 1972  hit 2819, miss 2672
 *	IPv6, 1 length	      hit 244, miss 175	 hit 348, miss 212
 *	IPv6, 128 lengths     hit 9184, miss 9060  hit 11883, miss 11510
 *
 * The checked reads cost about 20 instructions a length and 100 a hit
 * (image_at() was 52 a read called, 14 inline, and the filter's word,
 * known inside its region, checks only its block's bit).  The cost still
 * grows by 60-90 instructions per prefix length in use: the structure
 * whose cost does not (binary search on lengths with markers, or a
 * multibit trie of offsets) is still to come, and must carry, per marker,
 * the fall-back to shorter prefixes that ports, protocols and scopes need.
 * Image bytes per rule at 100,000 rules (a quarter each of IPv4 /32,
 * IPv6 /64, names with a port, IPv4 /24): 94.5 (the slots, 2^18 x 32
 * bytes, are 84 of them); at 1,000,000: 77.7 (67).  match_build() of 1,000,000
 * such rules: 786 ms; the parse and build together 1,203 ms against
 * 1,171 ms before (one run each on a shared machine: the same, within
 * noise).  match_open() at 1,000,000 rules: 0.013 ms (the head and the
 * 74 KiB block table).
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

#define MATCH_VERSION 1			/* of the layout below */
#define NAME_INLINE 16			/* names this long are kept in the slot */
#define SLOT_MANY 0x80			/* bits: the rules are in recs */
#define WHERE_NONE UINT32_MAX		/* where[]: a rule not in a run */

/*
 * One key and, when it has one rule only and that rule is global, that
 * rule.  An address key is the masked address as host-order words (IPv4:
 * one uint32_t; IPv6: the high then the low uint64_t), zero past them; a
 * name longer than NAME_INLINE is an offset into the strings (uint64_t).
 */
struct match_slot {
	uint32_t check;			/* the hash's high half | 1; 0: empty */
	uint8_t tag;			/* enum match_tag */
	uint8_t len;			/* prefix length, or name length */
	uint8_t bits;			/* action | proto << 2 | SLOT_MANY */
	uint8_t unused;
	uint8_t key[16];
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

/* A rule of a key with several, or of a section: with its scope. */
struct match_irec {
	uint32_t line;
	uint32_t scope;			/* 0: global; n: section n - 1 */
	uint16_t port_low, port_high;
	uint8_t action;
	uint8_t proto;
	uint8_t unused[2];
};

_Static_assert(sizeof(struct match_irec) == 16, "four to a line");

/* The index's header, in the image head's user area; offsets from the
 * image's start, sizes in entries (strings: bytes). */
struct match_head {
	uint32_t version;
	uint32_t unused;
	uint64_t nslots, filter_words, nrecs, strings_len;
	uint64_t slots_off, filter_off, recs_off, strings_off;
	uint8_t nlens[2];
	uint8_t lens[2][129];
};

_Static_assert(sizeof(struct match_head) <= IMAGE_USER, "in the head");

/* A key being looked up or added. */
struct match_probe {
	uint64_t hash;
	uint8_t tag;
	uint8_t len;
	const uint8_t *a;		/* 16 bytes, for addresses */
	const char *name;		/* len bytes, for names */
};

/* What a lookup of one key comes to. */
enum match_found {
	FOUND_NONE,			/* no rule of the key fits */
	FOUND_RULE,			/* *out */
	FOUND_BAD,			/* the image could not be read */
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

/* The filter's word and two bits for a hash: bits the table leaves alone
 * (it takes the low ones, and the check the high half). */
static inline uint64_t match_filter_bits(uint64_t h)
{
	return 1ull << ((h >> 20) & 63) | 1ull << ((h >> 26) & 63);
}

/* ---- Building ---------------------------------------------------------- */

/* An image being built: its regions, writable, and what goes in its head. */
struct match_builder {
	unsigned char *image;
	struct match_slot *slots;
	uint64_t *filter;
	char *strings;
	struct match_irec *recs;
	struct match_head head;
	size_t strings_used, nmany, nrecs;
};

/* The smallest power of two >= n, at least min. */
static size_t match_pow2(size_t n, size_t min)
{
	size_t p = min;

	while (p < n)
		p *= 2;
	return p;
}

static size_t match_align(size_t n, size_t to)
{
	return (n + to - 1) & ~(to - 1);
}

/*
 * The image for n rules whose long names take strings bytes at most,
 * allocated for the most it may need (a run entry per rule) and zeroed
 * up to the slots' and filter's end; the rest is zeroed as it is used.
 * (aligned_alloc: the slots start on a cache line, so that no slot
 * straddles two.)  Returns 0 or -ENOMEM.
 */
static int match_image_alloc(struct match_builder *b, size_t n, size_t strings)
{
	struct match_head *h = &b->head;
	size_t body_off, len, body;

	memset(b, 0, sizeof(*b));
	h->version = MATCH_VERSION;
	h->nslots = match_pow2(2 * n, 16);
	/* 8 bits a key (about 5% false positives; 16 measured no faster),
	 * and 64 words at least: a small index's filter is as cheap. */
	h->filter_words = match_pow2(n / 8, 64);
	body = h->nslots * sizeof(struct match_slot) +
	       h->filter_words * 8 + match_align(strings, 16) +
	       n * sizeof(struct match_irec);
	len = match_align(image_layout(body, &body_off), 64);
	b->image = aligned_alloc(64, len);
	if (!b->image)
		return -ENOMEM;
	h->slots_off = body_off;
	h->filter_off = h->slots_off + h->nslots * sizeof(struct match_slot);
	h->strings_off = h->filter_off + h->filter_words * 8;
	memset(b->image, 0, h->strings_off);
	b->slots = (struct match_slot *)(void *)(b->image + h->slots_off);
	b->filter = (uint64_t *)(void *)(b->image + h->filter_off);
	b->strings = (char *)b->image + h->strings_off;
	return 0;
}

/* Note that prefix length plen is in use for family index f. */
static void match_len_add(struct match_head *h, int f, unsigned plen)
{
	unsigned i, n = h->nlens[f];

	for (i = 0; i < n && h->lens[f][i] > plen; i++)
		;
	if (i < n && h->lens[f][i] == plen)
		return;
	memmove(&h->lens[f][i + 1], &h->lens[f][i], n - i);
	h->lens[f][i] = (uint8_t)plen;
	h->nlens[f]++;
}

/* Whether slot s (of the image being built) holds the key of probe k. */
static bool match_built_is(const struct match_builder *b,
			   const struct match_slot *s,
			   const struct match_probe *k, uint32_t check)
{
	uint64_t off;

	if (s->check != check || s->tag != k->tag || s->len != k->len)
		return false;
	if (k->a)
		return !memcmp(s->key, k->a, 16);
	if (k->len <= NAME_INLINE)
		return !memcmp(s->key, k->name, k->len);
	memcpy(&off, s->key, sizeof(off));
	return !memcmp(b->strings + off, k->name, k->len);
}

/* The slot of k, or the empty slot where it goes (the table is at most
 * half full: an empty slot ends every probe). */
static struct match_slot *match_built_find(const struct match_builder *b,
					   const struct match_probe *k)
{
	uint32_t check = (uint32_t)(k->hash >> 32) | 1;
	uint64_t i = k->hash & (b->head.nslots - 1);
	struct match_slot *s;

	for (;; i = (i + 1) & (b->head.nslots - 1)) {
		s = &b->slots[i];
		if (!s->check || match_built_is(b, s, k, check))
			return s;
	}
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
static void match_pend(const struct match_builder *b,
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
	__builtin_prefetch(&b->slots[p->k.hash & (b->head.nslots - 1)], 1);
}

/* Write k's key into the empty slot s. */
static void match_key_put(struct match_builder *b, struct match_slot *s,
			  const struct match_probe *k)
{
	uint64_t off = b->strings_used;

	s->check = (uint32_t)(k->hash >> 32) | 1;
	s->tag = k->tag;
	s->len = k->len;
	if (k->a) {
		memcpy(s->key, k->a, 16);
	} else if (k->len > NAME_INLINE) {
		memcpy(b->strings + off, k->name, k->len);
		memcpy(s->key, &off, sizeof(off));
		b->strings_used += k->len;
	} else {
		memcpy(s->key, k->name, k->len);
	}
	b->filter[(k->hash >> 32) & (b->head.filter_words - 1)] |=
		match_filter_bits(k->hash);
	if (k->a)
		match_len_add(&b->head, k->tag == TAG_V4 ? 0 : 1, k->len);
}

/*
 * File rule r under key k: a new key takes a global rule as its one rule;
 * a section's rule, or a key's second, makes it a run (SLOT_MANY, n
 * counting its rules) that match_runs() and match_put() fill.  Returns the
 * slot's index, or WHERE_NONE when r is the slot's one rule.
 */
static uint32_t match_file(struct match_builder *b, const struct match_probe *k,
			   const struct rule *r)
{
	struct match_slot *s = match_built_find(b, k);
	uint32_t at = (uint32_t)(s - b->slots);

	if (!s->check) {
		match_key_put(b, s, k);
		if (!r->scope) {
			s->bits = (uint8_t)(r->action | r->proto << 2);
			s->u.one.line = r->line;
			s->u.one.port_low = r->port_low;
			s->u.one.port_high = r->port_high;
			return at;
		}
		s->bits = SLOT_MANY;
		s->u.list.n = 0;
		b->nmany++;
	} else if (!(s->bits & SLOT_MANY)) {
		s->bits = SLOT_MANY;
		s->u.list.n = 1;
		b->nmany++;
	}
	s->u.list.n++;
	return at;
}

/*
 * Give each key with a run its place in the recs (after the strings), empty
 * for now (n counts its rules as they are put in); the recs zeroed.
 */
static void match_runs(struct match_builder *b)
{
	struct match_head *h = &b->head;
	uint64_t i, total = 0;
	struct match_slot *s;

	for (i = 0; b->nmany && i < h->nslots; i++) {
		s = &b->slots[i];
		if (!s->check || !(s->bits & SLOT_MANY))
			continue;
		s->u.list.start = (uint32_t)total;
		total += s->u.list.n;
		s->u.list.n = 0;
	}
	h->strings_len = b->strings_used;
	h->recs_off = h->strings_off + match_align(b->strings_used, 16);
	h->nrecs = total;
	memset(b->strings + b->strings_used, 0,
	       h->recs_off - h->strings_off - b->strings_used);
	b->recs = (struct match_irec *)(void *)(b->image + h->recs_off);
	memset(b->recs, 0, total * sizeof(*b->recs));
}

/* Put r at the end of the run of slot s. */
static void match_put(struct match_builder *b, struct match_slot *s,
		      const struct rule *r)
{
	struct match_irec *rec = &b->recs[s->u.list.start + s->u.list.n++];

	rec->line = r->line;
	rec->scope = r->scope;
	rec->port_low = r->port_low;
	rec->port_high = r->port_high;
	rec->action = (uint8_t)r->action;
	rec->proto = (uint8_t)r->proto;
}

/*
 * File every rule of rules[0..n), each under its key, with the key of the
 * MATCH_AHEAD-th next one computed and its slot fetched meanwhile: filing
 * is a random access into a table bigger than the cache, and this keeps
 * several in flight.  where[i] gets rule i's slot.
 */
static void match_file_all(struct match_builder *b, const struct rule *rules,
			   size_t n, uint32_t *where)
{
	struct match_pending ring[MATCH_AHEAD], *p;
	size_t i, next = 0, queued = 0;

	for (i = 0; i < n || queued; ) {
		if (queued == MATCH_AHEAD || (i >= n && queued)) {
			p = &ring[next % MATCH_AHEAD];
			where[p->rule] = match_file(b, &p->k, &rules[p->rule]);
			next++;
			queued--;
			continue;
		}
		p = &ring[(next + queued) % MATCH_AHEAD];
		p->rule = i;
		match_pend(b, p, &rules[i]);
		queued++;
		i++;
	}
}

/* The bytes the names longer than NAME_INLINE may take, at most. */
static size_t match_strings_max(const struct rule *rules, size_t n)
{
	size_t i, len, total = 0;

	for (i = 0; i < n; i++) {
		if (rules[i].kind == RULE_CIDR)
			continue;
		len = strlen(rules[i].name);
		total += len > NAME_INLINE ? len : 0;
	}
	return total;
}

/*
 * match_build - see internal.h.  The rules are filed in one pass; keys with
 * runs then get them in a second one: rules with a port first, then those
 * without (the rules being in line order, each run is then in winning
 * order without a sort).
 */
int match_build(const struct rule *rules, size_t n, void **image, size_t *len)
{
	uint32_t *where = malloc((n ? n : 1) * sizeof(*where));
	struct match_builder b;
	size_t i, end;
	int pass;

	*image = NULL;
	*len = 0;
	if (!where)
		return -ENOMEM;
	if (match_image_alloc(&b, n, match_strings_max(rules, n)) < 0) {
		free(where);
		return -ENOMEM;
	}
	match_file_all(&b, rules, n, where);
	match_runs(&b);
	for (pass = 0; b.nmany && pass < 2; pass++)
		for (i = 0; i < n; i++)
			if ((rules[i].port_low != 0) == !pass &&
			    (b.slots[where[i]].bits & SLOT_MANY))
				match_put(&b, &b.slots[where[i]], &rules[i]);
	free(where);
	end = match_align(b.head.recs_off +
			  b.head.nrecs * sizeof(struct match_irec), 64);
	memset(b.image + b.head.recs_off +
	       b.head.nrecs * sizeof(struct match_irec), 0,
	       end - b.head.recs_off - b.head.nrecs * sizeof(struct match_irec));
	memcpy(image_user(b.image), &b.head, sizeof(b.head));
	image_seal(b.image, end, b.head.slots_off);
	*image = b.image;
	*len = end;
	return 0;
}

/* ---- Opening ----------------------------------------------------------- */

/* Whether [off, off + count * size) lies inside v's body. */
static bool match_region_ok(const struct image_view *v, uint64_t off,
			    uint64_t count, uint64_t size)
{
	if (count > v->len / size)
		return false;
	return off >= v->body_off && off <= v->len && count * size <= v->len - off;
}

static bool match_pow2_ok(uint64_t n)
{
	return n && !(n & (n - 1));
}

/* Whether the prefix lengths of family f are each at most max, longest
 * first. */
static bool match_lens_ok(const struct match_head *h, int f, unsigned max)
{
	unsigned i;

	if (h->nlens[f] > max + 1)
		return false;
	for (i = 0; i < h->nlens[f]; i++)
		if (h->lens[f][i] > max ||
		    (i && h->lens[f][i] >= h->lens[f][i - 1]))
			return false;
	return true;
}

/* Whether h describes an index that lies inside v. */
static bool match_head_ok(const struct image_view *v, const struct match_head *h)
{
	return h->version == MATCH_VERSION && match_pow2_ok(h->nslots) &&
	       h->nslots <= UINT32_MAX && match_pow2_ok(h->filter_words) &&
	       h->nrecs <= UINT32_MAX &&
	       match_region_ok(v, h->slots_off, h->nslots,
			       sizeof(struct match_slot)) &&
	       match_region_ok(v, h->filter_off, h->filter_words, 8) &&
	       !((h->filter_off - v->body_off) % 8) &&
	       match_region_ok(v, h->recs_off, h->nrecs,
			       sizeof(struct match_irec)) &&
	       match_region_ok(v, h->strings_off, h->strings_len, 1) &&
	       match_lens_ok(h, 0, 32) && match_lens_ok(h, 1, 128);
}

/* match_open - see internal.h. */
int match_open(struct match_index *ix, const void *image, size_t len)
{
	struct match_head h;
	int err;

	memset(ix, 0, sizeof(*ix));
	err = image_open(&ix->view, image, len);
	if (err)
		return err;
	memcpy(&h, ix->view.user, sizeof(h));
	if (!match_head_ok(&ix->view, &h)) {
		match_close(ix);
		return -EINVAL;
	}
	ix->slots_off = h.slots_off;
	ix->filter_off = h.filter_off;
	ix->recs_off = h.recs_off;
	ix->strings_off = h.strings_off;
	ix->nslots = h.nslots;
	ix->filter_mask = h.filter_words - 1;
	ix->nrecs = h.nrecs;
	ix->strings_len = h.strings_len;
	memcpy(ix->nlens, h.nlens, sizeof(ix->nlens));
	memcpy(ix->lens, h.lens, sizeof(ix->lens));
	return 0;
}

/* match_close - see internal.h. */
void match_close(struct match_index *ix)
{
	image_close(&ix->view);
	memset(ix, 0, sizeof(*ix));
}

/* ---- Looking up -------------------------------------------------------- */

/* Whether the filter may have k: 1, 0, or -1 (its word unreadable). */
static inline int match_filter_has(const struct match_index *ix,
				   const struct match_probe *k)
{
	uint64_t bits = match_filter_bits(k->hash), word;
	/* Inside the filter, which match_open() found inside the body and
	 * 8-aligned from its start: a word never straddles two blocks. */
	const void *p = image_at_inside(&ix->view, ix->filter_off +
					((k->hash >> 32) & ix->filter_mask) *
						8, 8);

	if (!p)
		return -1;
	memcpy(&word, p, sizeof(word));
	return (word & bits) == bits;
}

/* Whether slot s holds the key of probe k: 1, 0, or -1 (unreadable). */
static int match_slot_is(const struct match_index *ix,
			 const struct match_slot *s,
			 const struct match_probe *k, uint32_t check)
{
	const void *name;
	uint64_t off;

	if (s->check != check || s->tag != k->tag || s->len != k->len)
		return 0;
	if (k->a)
		return !memcmp(s->key, k->a, 16);
	if (k->len <= NAME_INLINE)
		return !memcmp(s->key, k->name, k->len);
	memcpy(&off, s->key, sizeof(off));
	if (off > ix->strings_len || k->len > ix->strings_len - off)
		return -1;
	name = image_at(&ix->view, ix->strings_off + off, k->len);
	if (!name)
		return -1;
	return !memcmp(name, k->name, k->len);
}

/*
 * The slot of k into *s: FOUND_RULE when ix has the key, FOUND_NONE when
 * not, FOUND_BAD when a block on the way is damaged or the table has no
 * empty slot to end the probe (an image this file did not build).  The
 * probe is bounded by the table's size.
 */
static enum match_found match_lookup(const struct match_index *ix,
				     const struct match_probe *k,
				     struct match_slot *s)
{
	uint32_t check = (uint32_t)(k->hash >> 32) | 1;
	uint64_t i = k->hash & (ix->nslots - 1), tries;
	const void *p;
	int is;

	for (tries = 0; tries < ix->nslots; tries++) {
		p = image_at(&ix->view, ix->slots_off + i * sizeof(*s),
			     sizeof(*s));
		if (!p)
			return FOUND_BAD;
		memcpy(s, p, sizeof(*s));
		if (!s->check)
			return FOUND_NONE;
		is = match_slot_is(ix, s, k, check);
		if (is)
			return is > 0 ? FOUND_RULE : FOUND_BAD;
		i = (i + 1) & (ix->nslots - 1);
	}
	return FOUND_BAD;
}

/* Whether a rule with these ports and protocol fits port and proto. */
static inline bool match_fits(uint16_t low, uint16_t high, unsigned rproto,
			      uint16_t port, enum policy_proto proto)
{
	if (low && (port < low || port > high))
		return false;
	return rproto == PROTO_ANY || rproto == (unsigned)proto;
}

/* Whether sel applies scope. */
static inline bool match_scope_in(const struct match_sel *sel, uint32_t scope)
{
	return !scope || (sel && scope <= sel->nsections &&
			  sel->selected[scope - 1]);
}

/* The first rule of the run of s that fits, as match_pick() says. */
static enum match_found match_pick_run(const struct match_index *ix,
				       const struct match_sel *sel,
				       const struct match_slot *s,
				       uint16_t port, enum policy_proto proto,
				       bool any, struct match_rec *out)
{
	uint64_t start = s->u.list.start, n = s->u.list.n, i;
	const unsigned char *run;
	struct match_irec rec;

	if (!n || start > ix->nrecs || n > ix->nrecs - start)
		return FOUND_BAD;
	run = image_at(&ix->view, ix->recs_off + start * sizeof(rec),
		       n * sizeof(rec));
	if (!run)
		return FOUND_BAD;
	for (i = 0; i < n; i++) {
		memcpy(&rec, run + i * sizeof(rec), sizeof(rec));
		if (!match_scope_in(sel, rec.scope) ||
		    (!any && !match_fits(rec.port_low, rec.port_high,
					 rec.proto, port, proto)))
			continue;
		out->line = rec.line;
		out->port_low = rec.port_low;
		out->port_high = rec.port_high;
		out->action = rec.action;
		out->proto = rec.proto;
		out->failed = 0;
		return FOUND_RULE;
	}
	return FOUND_NONE;
}

/*
 * The first of s's rules of a scope sel applies (in winning order) that
 * fits port (host order, 0 for none known: only rules without ports fit)
 * and proto (PROTO_ANY: only rules without a protocol fit), into out.  With
 * any set, the first rule of such a scope, whatever its port and protocol.
 */
static enum match_found match_pick(const struct match_index *ix,
				   const struct match_sel *sel,
				   const struct match_slot *s, uint16_t port,
				   enum policy_proto proto, bool any,
				   struct match_rec *out)
{
	if (s->bits & SLOT_MANY)
		return match_pick_run(ix, sel, s, port, proto, any, out);
	if (!any && !match_fits(s->u.one.port_low, s->u.one.port_high,
				(unsigned)s->bits >> 2, port, proto))
		return FOUND_NONE;
	out->line = s->u.one.line;
	out->port_low = s->u.one.port_low;
	out->port_high = s->u.one.port_high;
	out->action = s->bits & 3;
	out->proto = (uint8_t)(s->bits >> 2 & 0x1f);
	out->failed = 0;
	return FOUND_RULE;
}

/* The key k looked up in the table and picked from (the filter said it
 * may be there); a damaged image answers FOUND_BAD. */
static enum match_found match_key_slow(const struct match_index *ix,
				       const struct match_sel *sel,
				       const struct match_probe *k,
				       uint16_t port, enum policy_proto proto,
				       bool any, struct match_rec *out)
{
	struct match_slot s;
	enum match_found f = match_lookup(ix, k, &s);

	if (f != FOUND_RULE)
		return f;
	return match_pick(ix, sel, &s, port, proto, any, out);
}

/* The key k looked up: the filter first, inline (most keys stop there),
 * then the table. */
static inline enum match_found match_key(const struct match_index *ix,
					 const struct match_sel *sel,
					 const struct match_probe *k,
					 uint16_t port, enum policy_proto proto,
					 bool any, struct match_rec *out)
{
	int has = match_filter_has(ix, k);

	if (has <= 0)
		return has < 0 ? FOUND_BAD : FOUND_NONE;
	return match_key_slow(ix, sel, k, port, proto, any, out);
}

/* What a lookup answers for f: true with out a failed deny for FOUND_BAD. */
static bool match_answer(enum match_found f, struct match_rec *out)
{
	if (f != FOUND_BAD)
		return f == FOUND_RULE;
	memset(out, 0, sizeof(*out));
	out->action = RULE_DENY;
	out->failed = 1;
	return true;
}

/* match_addr - see internal.h. */
bool match_addr(const struct match_index *ix, const struct match_sel *sel,
		const struct policy_addr *addr, uint16_t port,
		enum policy_proto proto, struct match_rec *out)
{
	struct policy_addr a = *addr;
	unsigned plen = a.fam == FAM_IPV4 ? 32 : 128, i, f;
	enum match_found found;
	struct match_words w;
	struct match_probe k;
	uint8_t key[16];

	if (!ix || !ix->nslots || (a.fam != FAM_IPV4 && a.fam != FAM_IPV6))
		return false;
	match_normalize(&a, &plen);
	f = a.fam == FAM_IPV4 ? 0 : 1;
	match_words_make(&w, &a);
	for (i = 0; i < ix->nlens[f]; i++) {
		match_key_make(&k, key, &w, ix->lens[f][i]);
		found = match_key(ix, sel, &k, port, proto, false, out);
		if (found != FOUND_NONE)
			return match_answer(found, out);
	}
	return false;
}

/* match_name and match_name_covered, as any says. */
static bool match_name_find(const struct match_index *ix,
			    const struct match_sel *sel, const char *name,
			    uint16_t port, enum policy_proto proto, bool any,
			    struct match_rec *out)
{
	char lower[256];
	size_t len = strlen(name), i;
	enum match_found found;
	struct match_probe k;

	if (!ix || !ix->nslots || !len || len >= sizeof(lower))
		return false;
	for (i = 0; i < len; i++)
		lower[i] = (char)(name[i] >= 'A' && name[i] <= 'Z'
					  ? name[i] - 'A' + 'a'
					  : name[i]);
	if (lower[len - 1] == '.')
		len--;
	match_name_probe(&k, TAG_NAME, lower, len);
	found = match_key(ix, sel, &k, port, proto, any, out);
	if (found != FOUND_NONE)
		return match_answer(found, out);
	/* "*.example.com" covers every name below example.com, not the
	 * name itself: the suffixes tried are the parents, nearest first. */
	for (i = 0; i < len; i++) {
		if (lower[i] != '.')
			continue;
		match_name_probe(&k, TAG_SUFFIX, lower + i + 1, len - i - 1);
		found = match_key(ix, sel, &k, port, proto, any, out);
		if (found != FOUND_NONE)
			return match_answer(found, out);
	}
	return false;
}

/* match_name - see internal.h. */
bool match_name(const struct match_index *ix, const struct match_sel *sel,
		const char *name, uint16_t port, enum policy_proto proto,
		struct match_rec *out)
{
	return match_name_find(ix, sel, name, port, proto, false, out);
}

/* match_name_covered - see internal.h. */
bool match_name_covered(const struct match_index *ix,
			const struct match_sel *sel, const char *name)
{
	struct match_rec rec;

	return match_name_find(ix, sel, name, 0, PROTO_ANY, true, &rec);
}
