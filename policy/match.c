/* SPDX-License-Identifier: MIT */
/*
 * match.c - which destination rule decides a connection or a name (SPEC §3,
 * allow/deny/map): the most specific one, that is the longest prefix, then
 * a rule with a port over one without, then the earlier line.
 *
 * Every rule is indexed, with its scope (0: global; n: section n - 1),
 * whatever the selection: the index is built when the rules change
 * (policy_refresh()) and the lookups take the selection (struct
 * match_sel), skipping the rules of unselected sections.  The index is one
 * image (match_build(), match_build.c; its layout: match-layout.h):
 * position-independent, without a pointer, the same
 * bytes from the same rules, so that it can be written to a file and
 * mapped by other processes; match_open() makes a checked view of it
 * (image.c), bounding each region (slots, filter, strings, recs) once, and
 * every lookup reads it through image_at_inside(): a slot or filter word
 * indexed by a masked number needs no bounds check, and an offset that
 * comes from the content (a run's start and count, a long name's offset,
 * a link) is checked against its region's size first.  Each 4 KiB block's
 * CRC32C is checked the first time it is read; once every block is known
 * whole (image_trust(), or all read) a read is one test.  A read that
 * fails answers deny naming no line (match_rec's failed): a damaged index
 * fails closed, never open, never a crash.
 *
 * The image's body, offsets from the image's start in its head:
 *
 *   - slots: every rule is filed under a key: (family, prefix length,
 *     masked address) for an address rule, (exact or suffix, name) for a
 *     name rule; per family the prefix lengths in use are kept in the
 *     head, longest first.  An address lookup is a binary search on those
 *     lengths (Waldvogel et al., 1997): it masks the address at the middle
 *     length and probes; a key or a marker there sends it on among the
 *     longer lengths, nothing among the shorter, so that it probes 6
 *     lengths at most for IPv4 and 8 for IPv6.  A marker is a slot that
 *     match_build() puts, for each key, at each shorter length where the
 *     key's own search goes longer; it holds the slot of the longest key
 *     of at most its length that covers it (its best match, precomputed),
 *     so that a search that goes longer and finds nothing more needs no
 *     backtracking.  The longest covering key found, its rules are tried;
 *     when none fits the port, protocol and selection, its link (the slot
 *     of the next shorter key that covers it) is followed, and so on:
 *     only keys that exist are walked, not every length.  A name lookup
 *     tries the name, then each of its parent domains as a suffix, nearest
 *     first (127 labels at most).  The keys and markers live in one
 *     open-addressing table (linear probing, half full and a sixteenth for
 *     markers at most, every probe bounded by the table's size) of
 *     32-byte slots, two to a cache line, that hold the key itself (a name
 *     longer than 16 bytes by its offset in the strings), for a name a
 *     check of its hash, for an address its link and, for the usual key
 *     with one global rule, that rule's action, line, ports and protocol.
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
 * --prefixes 4|6 L: L rules of L distinct lengths, a hit that only the
 * shortest decides, a miss; at 33 and 129 the shortest is a /0, which
 * decides the "miss" too; the pointer index of aba233a, the first image
 * of c92d6a4, a length at a time, and this search):
 *
 *			pointers (aba233a)  image, by length   binary search
 *	IPv4, 1 length	hit 229, miss 160   hit 323, miss 187  hit 234, miss 158
 *	IPv4, 32	hit 2047, miss 1972 hit 2808, miss 2661 hit 704, miss 468
 *	IPv4, 33	-		    -			hit 878, miss 482
 *	IPv6, 1 length	hit 244, miss 175   hit 337, miss 201  hit 251, miss 175
 *	IPv6, 128	hit 9184, miss 9060 hit 11872, miss 11499 hit 998, miss 714
 *	IPv6, 129	-		    -			hit 1028, miss 714
 *
 * (The 1-length hits are still 5-7 over the pointer index's; the
 * misses are not.)  Chosen over a multibit trie
 * of offsets without building one: the search met the targets, and costs
 * no byte where keys share their prefixes (a stride-8 trie's nodes would,
 * 256 offsets a node).  Image bytes per rule, bench/run.sh's ten kinds of
 * rule (IPv4 /16-/19, /24, /28 with ports, /32; IPv6 /48, /64, /128;
 * names): 85.3 at 100,000 rules, 72.8 at 1,000,000, as before the markers
 * (they are a few thousand: the table sized for the keys has room).
 * match_build() of those 1,000,000 rules: 830 ms against 735 ms before
 * the markers (medians of 3 interleaved runs on a machine loaded 6-13 on
 * 2 cores); "stackshim compile" of them: 4.0-4.3 s there, then 2.0-4.0
 * (median 3.0 s, peak RSS 373 MB) at 73274ff, 0.9-2.1 s (median 1.04 s,
 * 163 MB) after cspeed20 (5 interleaved runs, load ~4 on 2 cores): the
 * index built once, in the file's buffer (it was built at the parse and
 * again for the file, then copied), big buffers in huge pages (page
 * faults 60,173 -> 9,700), the rules array reserved a rule a line, names
 * from 64 KiB chunks.  perf after: the build 39% (match_file_all() 14%,
 * the zeroing of its fresh pages 13%, match_markers() 10%), the parse
 * 24% (counting its lines 6%, the first read of the text), the write of
 * the file 19% and the read of the config 13% (kernel copies), the
 * text's hash 4%.  match_open() at 1,000,000 rules: O(1) in them
 * (the head and the 72 KiB block table).
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "match-layout.h"

/* What a lookup of one key comes to. */
enum match_found {
	FOUND_NONE,			/* no rule of the key fits */
	FOUND_RULE,			/* *out */
	FOUND_BAD,			/* the image could not be read */
};



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
	       !((h->slots_off - v->body_off) % sizeof(struct match_slot)) &&
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

	if (s->tag != k->tag || s->len != k->len)
		return 0;
	if (k->a)
		return !memcmp(s->key, k->a, 16);
	if (s->check != check)
		return 0;
	if (k->len <= NAME_INLINE)
		return !memcmp(s->key, k->name, k->len);
	memcpy(&off, s->key, sizeof(off));
	if (off > ix->strings_len || k->len > ix->strings_len - off)
		return -1;
	name = image_at_inside(&ix->view, ix->strings_off + off, k->len);
	if (!name)
		return -1;
	return !memcmp(name, k->name, k->len);
}

/* Slot i (< nslots) of ix into *s; false when its block is damaged. */
static inline bool match_slot_read(const struct match_index *ix, uint64_t i,
				   struct match_slot *s)
{
	/* Inside the slots, which match_open() found inside the body and
	 * slot-aligned from its start: a slot never straddles two blocks. */
	const void *p = image_at_inside(&ix->view,
					ix->slots_off + i * sizeof(*s),
					sizeof(*s));

	if (!p)
		return false;
	memcpy(s, p, sizeof(*s));
	return true;
}

/*
 * The slot of k into *s (its index into *at): FOUND_RULE when ix has the
 * key (or, for an address, a marker), FOUND_NONE when not, FOUND_BAD when
 * a block on the way is damaged or the table has no empty slot to end the
 * probe (an image this file did not build).  The probe is bounded by the
 * table's size.
 */
static enum match_found match_lookup(const struct match_index *ix,
				     const struct match_probe *k,
				     struct match_slot *s, uint64_t *at)
{
	uint32_t check = (uint32_t)(k->hash >> 32) | 1;
	uint64_t i = k->hash & (ix->nslots - 1), tries;
	int is;

	for (tries = 0; tries < ix->nslots; tries++) {
		if (!match_slot_read(ix, i, s))
			return FOUND_BAD;
		if (s->tag == TAG_EMPTY)
			return FOUND_NONE;
		is = match_slot_is(ix, s, k, check);
		*at = i;
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
	run = image_at_inside(&ix->view, ix->recs_off + start * sizeof(rec),
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
	uint64_t at;
	enum match_found f = match_lookup(ix, k, &s, &at);

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

/*
 * The slot of the key (tag, plen, k0, k1) into *s and its index into *at:
 * FOUND_RULE (a key or a marker), FOUND_NONE, or FOUND_BAD (a damaged
 * block, or no empty slot to end the probe).  match_lookup() for an
 * address, its key compared as two words, the filter asked first.
 */
static inline enum match_found match_addr_probe(const struct match_index *ix,
						uint8_t tag, unsigned plen,
						uint64_t k0, uint64_t k1,
						struct match_slot *s,
						uint64_t *at)
{
	uint64_t h = match_hash_addr(tag, (uint8_t)plen, k0, k1), i, tries;
	struct match_probe k = {.hash = h};
	int has = match_filter_has(ix, &k);

	if (has <= 0)
		return has < 0 ? FOUND_BAD : FOUND_NONE;
	i = h & (ix->nslots - 1);
	for (tries = 0; tries < ix->nslots; tries++) {
		if (!match_slot_read(ix, i, s))
			return FOUND_BAD;
		if (s->tag == TAG_EMPTY)
			return FOUND_NONE;
		if (s->tag == tag && s->len == plen &&
		    match_load64(s->key) == k0 && match_load64(s->key + 8) == k1) {
			*at = i;
			return FOUND_RULE;
		}
		i = (i + 1) & (ix->nslots - 1);
	}
	return FOUND_BAD;
}

/*
 * The longest key of ix that covers w (family f), by binary search on the
 * prefix lengths: a key or a marker found at a length sends the search on
 * among the longer ones, remembering the key (or the marker's BMP, its
 * link); none, among the shorter.  Into *best: the key's slot index or
 * SLOT_NONE, and into *s that slot when the search's last probe found the
 * key itself (*read true), so that match_chain() need not read it again.  FOUND_BAD
 * when a probe could not be read.
 */
static enum match_found match_longest(const struct match_index *ix, int f,
				      const struct match_words *w,
				      uint64_t *best, struct match_slot *s,
				      bool *read)
{
	unsigned lo = 0, hi = ix->nlens[f], mid, plen;
	enum match_found found;
	uint64_t k0, k1, at;

	*best = SLOT_NONE;
	*read = false;
	while (lo < hi) {
		mid = match_mid(lo, hi - 1);
		plen = ix->lens[f][mid];
		match_key_words(w, plen, &k0, &k1);
		/* Into *s: a probe that finds nothing may leave another
		 * slot there, and *read says no more. */
		found = match_addr_probe(ix, w->tag, plen, k0, k1, s, &at);
		if (found == FOUND_BAD)
			return FOUND_BAD;
		if (found == FOUND_NONE) {
			*read = false;
			lo = mid + 1;
			continue;
		}
		*read = s->flags & SLOT_RULES;
		*best = *read ? at : s->link;
		hi = mid;
	}
	return FOUND_NONE;
}

/*
 * The first key from slot at on (in *s already when read), along the
 * links to ever shorter covering keys, that has a rule fitting port, proto
 * and sel, into out: only keys that exist are walked.  A link out of the
 * table, to a marker, to another family or to a length not shorter (a
 * loop) is a damaged image.
 */
static enum match_found match_chain(const struct match_index *ix,
				    const struct match_sel *sel, uint8_t tag,
				    uint64_t at, struct match_slot *s,
				    bool read, uint16_t port,
				    enum policy_proto proto,
				    struct match_rec *out)
{
	unsigned prev = 256;
	enum match_found found;

	for (; at != SLOT_NONE; at = s->link, prev = s->len, read = false) {
		/* The search's own key is one: only a link is checked. */
		if (!read && (at >= ix->nslots || !match_slot_read(ix, at, s) ||
			      s->tag != tag || !(s->flags & SLOT_RULES) ||
			      s->len >= prev))
			return FOUND_BAD;
		found = match_pick(ix, sel, s, port, proto, false, out);
		if (found != FOUND_NONE)
			return found;
	}
	return FOUND_NONE;
}

/* match_addr - see internal.h. */
bool match_addr(const struct match_index *ix, const struct match_sel *sel,
		const struct policy_addr *addr, uint16_t port,
		enum policy_proto proto, struct match_rec *out)
{
	enum match_found found;
	struct match_words w;
	struct match_slot s;
	uint64_t best;
	bool read;

	if (!ix || !ix->nslots || (addr->fam != FAM_IPV4 &&
				   addr->fam != FAM_IPV6))
		return false;
	match_words_dest(&w, addr);
	found = match_longest(ix, w.tag == TAG_V6, &w, &best, &s, &read);
	if (found == FOUND_NONE)
		found = match_chain(ix, sel, w.tag, best, &s, read, port, proto,
				    out);
	return match_answer(found, out);
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

