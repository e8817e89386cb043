/* SPDX-License-Identifier: MIT */
/*
 * match_build.c - the rule index image built from the rules (match.c's
 * header comment says what it holds and why): every rule filed under its
 * key in one pass, with the keys of the next few computed and their slots
 * fetched meanwhile; the runs of keys with several rules or a section's
 * rule written in a second, in winning order; then, prefix length by
 * prefix length from the shortest, each address key's link and its
 * markers.  One allocation for the image (match_build(): aligned_alloc,
 * which tests/shim/indexfail.sh fails; match_build_in(): the caller's, for
 * "stackshim compile" the end of the file's buffer, so that the index is
 * neither built twice nor copied), in huge pages where it is big
 * (image_huge()), and one for where[] (each rule's slot, then the address
 * keys in order of length) while building.  The numbers: match.c's header.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "match-layout.h"

/* An image being built: its regions, writable, and what goes in its head. */
struct match_builder {
	unsigned char *image;
	struct match_slot *slots;
	uint64_t *filter;
	char *strings;
	struct match_irec *recs;
	struct match_head head;
	size_t strings_used, nmany, nrecs;
	size_t used, most;		/* slots taken; and allowed */
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

/*
 * The prefix lengths of the address rules into h, and how many markers
 * they may need at most (each rule's key its own, none shared).
 */
static size_t match_lens_count(struct match_head *h, const struct rule *rules,
			       size_t n)
{
	static const uint8_t plen_max[2] = {32, 128};
	size_t count[2][129] = {{0}}, i, markers = 0;
	struct policy_addr addr;
	unsigned plen, f, t;
	uint8_t path[8];

	for (i = 0; i < n; i++) {
		if (rules[i].kind != RULE_CIDR)
			continue;
		addr = rules[i].addr;
		plen = rules[i].plen;
		match_normalize(&addr, &plen);
		f = addr.fam == FAM_IPV4 ? 0 : 1;
		if (plen > plen_max[f])
			continue;
		count[f][plen]++;
	}
	for (f = 0; f < 2; f++)
		for (plen = 0; plen <= plen_max[f]; plen++)
			if (count[f][plen])
				match_len_add(h, (int)f, plen);
	for (f = 0; f < 2; f++)
		for (t = 0; t < h->nlens[f]; t++)
			markers += count[f][h->lens[f][t]] *
				   match_path(h->lens[f], h->nlens[f], t, path);
	return markers;
}

/*
 * The image for n rules whose long names take strings bytes at most,
 * allocated for the most it may need (a run entry per rule; a slot for
 * each key and, with all_markers, for each marker its rules may need) and
 * zeroed up to the slots' and filter's end; the rest is zeroed as it is
 * used.  (aligned_alloc: the slots start on a cache line, so that no slot
 * straddles two.)  Returns 0 or -ENOMEM.
 */
static int match_image_alloc(struct match_builder *b, const struct rule *rules,
			     size_t n, size_t strings, bool all_markers,
			     const struct match_alloc *a)
{
	struct match_head *h = &b->head;
	size_t body_off, len, body, keys, markers;

	memset(b, 0, sizeof(*b));
	h->version = MATCH_VERSION;
	markers = match_lens_count(h, rules, n);
	keys = n + (all_markers ? markers : 0);
	h->nslots = match_pow2(2 * keys, 16);
	/* Half full at most, and as much again as a sixteenth for markers:
	 * they are few where keys share a prefix, and the bound (each key
	 * its own) would double the table for them (measured: 72.8 against
	 * 141 bytes a rule at 1,000,000). */
	b->most = h->nslots / 2 + h->nslots / 16;
	/* 8 bits a key (about 5% false positives; 16 measured no faster),
	 * and 64 words at least: a small index's filter is as cheap. */
	h->filter_words = match_pow2(keys / 8, 64);
	body = h->nslots * sizeof(struct match_slot) +
	       h->filter_words * 8 + match_align(strings, 16) +
	       n * sizeof(struct match_irec);
	len = match_align(image_layout(body, &body_off), 64);
	b->image = a->get(a->arg, len);
	if (!b->image)
		return -ENOMEM;
	image_huge(b->image, len);
	h->slots_off = body_off;
	h->filter_off = h->slots_off + h->nslots * sizeof(struct match_slot);
	h->strings_off = h->filter_off + h->filter_words * 8;
	memset(b->image, 0, h->strings_off);
	b->slots = (struct match_slot *)(void *)(b->image + h->slots_off);
	b->filter = (uint64_t *)(void *)(b->image + h->filter_off);
	b->strings = (char *)b->image + h->strings_off;
	return 0;
}

/* Whether slot s (of the image being built) holds the key of probe k. */
static bool match_built_is(const struct match_builder *b,
			   const struct match_slot *s,
			   const struct match_probe *k, uint32_t check)
{
	uint64_t off;

	if (s->tag != k->tag || s->len != k->len)
		return false;
	if (k->a)
		return !memcmp(s->key, k->a, 16);
	if (s->check != check)
		return false;
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
		if (s->tag == TAG_EMPTY || match_built_is(b, s, k, check))
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

	b->used++;
	s->tag = k->tag;
	s->len = k->len;
	s->flags = SLOT_RULES;
	if (k->a) {
		s->link = SLOT_NONE;
		memcpy(s->key, k->a, 16);
	} else if (k->len > NAME_INLINE) {
		memcpy(b->strings + off, k->name, k->len);
		memcpy(s->key, &off, sizeof(off));
		b->strings_used += k->len;
	} else {
		memcpy(s->key, k->name, k->len);
	}
	if (!k->a)
		s->check = (uint32_t)(k->hash >> 32) | 1;
	b->filter[(k->hash >> 32) & (b->head.filter_words - 1)] |=
		match_filter_bits(k->hash);
}

/*
 * File rule r under key k: a new key takes a global rule as its one rule;
 * a section's rule, or a key's second, makes it a run (SLOT_MANY, n
 * counting its rules) that match_runs() and match_put() fill.  Returns the
 * slot's index.
 */
static uint32_t match_file(struct match_builder *b, const struct match_probe *k,
			   const struct rule *r)
{
	struct match_slot *s = match_built_find(b, k);
	uint32_t at = (uint32_t)(s - b->slots);

	if (s->tag == TAG_EMPTY) {
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
		if (s->tag == TAG_EMPTY || !(s->bits & SLOT_MANY))
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

/* ---- Links and markers ------------------------------------------------ */

/* The slot index of the key of w at plen bits (a key or a marker), or
 * SLOT_NONE; *k gets its probe (key[] its bytes). */
static uint32_t match_built_at(const struct match_builder *b,
			       const struct match_words *w, unsigned plen,
			       struct match_probe *k, uint8_t key[16])
{
	const struct match_slot *s;

	match_key_make(k, key, w, plen);
	s = match_built_find(b, k);
	return s->tag == TAG_EMPTY ? SLOT_NONE : (uint32_t)(s - b->slots);
}

/*
 * The link of the key in slot at, index t of its family's lengths: the
 * slot of the longest key shorter than it that covers it.  The lookup's
 * own search, with every length from lens[t] on taken as empty: the keys
 * shorter than lens[t] and their markers are all in the table by now
 * (match_markers() goes from the shortest), and their links too.
 */
static uint32_t match_link_of(const struct match_builder *b, uint32_t at,
			      unsigned t)
{
	const struct match_slot *s = &b->slots[at], *got;
	int f = s->tag == TAG_V4 ? 0 : 1;
	unsigned lo = 0, hi = b->head.nlens[f], mid;
	uint32_t best = SLOT_NONE, i;
	struct match_words w;
	struct match_probe k;
	uint8_t key[16];

	match_words_of(&w, s->tag, s->key);
	while (lo < hi) {
		mid = match_mid(lo, hi - 1);
		i = mid <= t ? SLOT_NONE
			     : match_built_at(b, &w, b->head.lens[f][mid], &k,
					      key);
		if (i == SLOT_NONE) {
			lo = mid + 1;
			continue;
		}
		got = &b->slots[i];
		best = got->flags & SLOT_RULES ? i : got->link;
		hi = mid;
	}
	return best;
}

/* The markers of the key in slot at (index t of its lengths): each one's
 * link the first key of at's chain of covering keys short enough.  False
 * when the table would be fuller than b->most allows. */
static bool match_mark(struct match_builder *b, uint32_t at, unsigned t)
{
	const struct match_slot *s = &b->slots[at];
	int f = s->tag == TAG_V4 ? 0 : 1;
	unsigned i, n;
	uint8_t path[8], key[16];
	struct match_slot *m;
	struct match_words w;
	struct match_probe k;
	uint32_t link;

	match_words_of(&w, s->tag, s->key);
	n = match_path(b->head.lens[f], b->head.nlens[f], t, path);
	for (i = 0; i < n; i++) {
		match_key_make(&k, key, &w, path[i]);
		m = match_built_find(b, &k);
		if (m->tag != TAG_EMPTY)
			continue;		/* a key, or marked before */
		if (++b->used > b->most)
			return false;
		for (link = s->link; link != SLOT_NONE &&
				     b->slots[link].len > path[i];
		     link = b->slots[link].link)
			;
		m->tag = k.tag;
		m->len = k.len;
		m->flags = 0;
		m->link = link;
		memcpy(m->key, key, 16);
		b->filter[(k.hash >> 32) & (b->head.filter_words - 1)] |=
			match_filter_bits(k.hash);
	}
	return true;
}

/* How many keys ahead of the one being linked their slots are fetched. */
#define MARK_AHEAD 8

/*
 * Every address key's link, and its markers, from the shortest length up
 * (what match_link_of() needs): the keys sorted by family and length into
 * order[] (where[], whose work is done: a rule a key at most), by counting.
 * The keys of a family's shortest length have neither (nothing shorter,
 * no marker on their way): they are not touched.  Each key's slot is
 * fetched MARK_AHEAD keys ahead: they are all over a table bigger than
 * the cache.  False when the markers would make the table too full.
 */
static bool match_markers(struct match_builder *b, uint32_t *order)
{
	size_t first[2 * 129 + 1] = {0}, i, c, end;
	const struct match_slot *s;
	unsigned t;
	int f;

	for (i = 0; i < b->head.nslots; i++) {
		s = &b->slots[i];
		if (s->tag == TAG_V4 || s->tag == TAG_V6)
			first[(s->tag == TAG_V6) * 129 + s->len + 1]++;
	}
	for (c = 1; c <= 2 * 129; c++)
		first[c] += first[c - 1];
	for (i = 0; i < b->head.nslots; i++) {
		s = &b->slots[i];
		if (s->tag == TAG_V4 || s->tag == TAG_V6)
			order[first[(s->tag == TAG_V6) * 129 + s->len]++] =
				(uint32_t)i;
	}
	/* first[c] is now where bucket c ends; each family's lengths,
	 * longest first, are walked from the end: from the shortest. */
	for (f = 0; f < 2; f++) {
		for (t = b->head.nlens[f] ? b->head.nlens[f] - 1u : 0;
		     t-- > 0;) {
			c = (size_t)f * 129 + b->head.lens[f][t];
			end = first[c];
			for (i = c ? first[c - 1] : 0; i < end; i++) {
				if (i + MARK_AHEAD < end)
					__builtin_prefetch(
						&b->slots[order[i + MARK_AHEAD]]);
				b->slots[order[i]].link =
					match_link_of(b, order[i], t);
				if (!match_mark(b, order[i], t))
					return false;
			}
		}
	}
	return true;
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
 * The image of rules[0..n) into b, where[] its scratch: sized for the keys
 * only, unless all_markers.  Returns 0, -ENOMEM, or -EAGAIN when the
 * markers did not fit (b's image freed).
 */
static int match_build_sized(struct match_builder *b, const struct rule *rules,
			     size_t n, uint32_t *where, bool all_markers,
			     const struct match_alloc *a)
{
	size_t i;
	int pass;

	if (match_image_alloc(b, rules, n, match_strings_max(rules, n),
			      all_markers, a) < 0)
		return -ENOMEM;
	match_file_all(b, rules, n, where);
	match_runs(b);
	for (pass = 0; b->nmany && pass < 2; pass++)
		for (i = 0; i < n; i++)
			if ((rules[i].port_low != 0) == !pass &&
			    (b->slots[where[i]].bits & SLOT_MANY))
				match_put(b, &b->slots[where[i]], &rules[i]);
	if (!match_markers(b, where)) {
		a->put(a->arg, b->image);
		return -EAGAIN;
	}
	return 0;
}

/*
 * match_build_in - see internal.h.  The rules are filed in one pass; keys with
 * runs then get them in a second one: rules with a port first, then those
 * without (the rules being in line order, each run is then in winning
 * order without a sort); then the links and markers.  A table sized for
 * the keys almost always has room for the markers too; when not, it is
 * built again with room for as many as the rules may need.
 */
int match_build_in(const struct rule *rules, size_t n,
		   const struct match_alloc *a, void **image, size_t *len)
{
	uint32_t *where = malloc((n ? n : 1) * sizeof(*where));
	struct match_builder b;
	size_t end;
	int err;

	*image = NULL;
	*len = 0;
	if (!where)
		return -ENOMEM;
	err = match_build_sized(&b, rules, n, where, false, a);
	if (err == -EAGAIN)
		err = match_build_sized(&b, rules, n, where, true, a);
	free(where);
	if (err)
		return err;
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

/* The image in aligned_alloc()'s memory: the slots start on a cache line,
 * so that no slot straddles two (tests/shim/indexfail.sh fails it). */
static void *match_get_aligned(void *arg, size_t len)
{
	(void)arg;
	return aligned_alloc(64, len);
}

static void match_put_aligned(void *arg, void *image)
{
	(void)arg;
	free(image);
}

/* match_build - see internal.h. */
int match_build(const struct rule *rules, size_t n, void **image, size_t *len)
{
	static const struct match_alloc aligned = {
		.get = match_get_aligned,
		.put = match_put_aligned,
	};

	return match_build_in(rules, n, &aligned, image, len);
}
