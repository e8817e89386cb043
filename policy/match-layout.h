/* SPDX-License-Identifier: MIT */
/*
 * match-layout.h - the rule index image's layout (slots, runs, the header
 * in the image head's user area) and the keys and hashes that both
 * match_build.c (writing it) and match.c (reading it) use.  policy/'s own.
 */
#ifndef STACKSHIM_POLICY_MATCH_LAYOUT_H
#define STACKSHIM_POLICY_MATCH_LAYOUT_H

#include <endian.h>
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

#define MATCH_VERSION 2			/* of the layout below */
#define NAME_INLINE 16			/* names this long are kept in the slot */
#define SLOT_MANY 0x80			/* bits: the rules are in recs */
#define SLOT_RULES 0x01			/* flags: a key; else a marker only */
#define SLOT_NONE UINT32_MAX		/* link: no key */

/*
 * One key and, when it has one rule only and that rule is global, that
 * rule; or, for an address, a marker (match.c's header).  An address key
 * is the masked address as host-order words (IPv4: one uint32_t; IPv6: the
 * high then the low uint64_t), zero past them; a name longer than
 * NAME_INLINE is an offset into the strings (uint64_t).  A slot is empty
 * when its tag is TAG_EMPTY.
 */
struct match_slot {
	union {
		uint32_t check;		/* names: the hash's high half | 1 */
		/* Addresses: the slot of the longest key shorter than this
		 * key that covers it (a key), or of the longest key of at
		 * most this length that covers it (a marker only, its
		 * BMP); SLOT_NONE: none. */
		uint32_t link;
	};
	uint8_t tag;			/* enum match_tag */
	uint8_t len;			/* prefix length, or name length */
	uint8_t bits;			/* action | proto << 2 | SLOT_MANY */
	uint8_t flags;			/* SLOT_RULES */
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


static const uint8_t match_mapped_prefix[12] __attribute__((unused)) = {
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

/* The hash of an address key: tag, prefix length and the 16 key bytes,
 * read as two words (k0: bytes 0-7, k1: 8-15). */
static inline uint64_t match_hash_addr(uint8_t tag, uint8_t plen, uint64_t k0,
				       uint64_t k1)
{
	uint64_t x = k0 ^ ((uint64_t)tag << 8 | plen);

	if (tag == TAG_V4)
		return match_mix(x);
	return match_mix(x ^ match_mix(k1 + x));
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
/* An address as host-order words, to be masked per length. */
struct match_words {
	uint8_t tag;
	uint64_t hi, lo;		/* IPv4: in the high half of hi */
};

/* The words of addr (normalized: match_normalize()). */
static inline void match_words_make(struct match_words *w,
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

/* The words of a destination: an IPv4-mapped IPv6 one is looked up as
 * the IPv4 address it means (match_normalize() of 128 bits), without a
 * copy of it. */
static inline void match_words_dest(struct match_words *w,
				    const struct policy_addr *addr)
{
	uint32_t v4;

	if (addr->fam == FAM_IPV6 &&
	    !memcmp(addr->a, match_mapped_prefix, sizeof(match_mapped_prefix))) {
		memcpy(&v4, addr->a + 12, 4);
		w->tag = TAG_V4;
		w->hi = (uint64_t)be32toh(v4) << 32;
		w->lo = 0;
		return;
	}
	match_words_make(w, addr);
}

/* The words of an address key (a slot's key), back from its bytes. */
static inline void match_words_of(struct match_words *w, uint8_t tag,
				  const uint8_t key[16])
{
	uint32_t v4;

	w->tag = tag;
	if (tag == TAG_V4) {
		memcpy(&v4, key, 4);
		w->hi = (uint64_t)v4 << 32;
		w->lo = 0;
		return;
	}
	memcpy(&w->hi, key, 8);
	memcpy(&w->lo, key + 8, 8);
}

/*
 * The binary search on prefix lengths (lens[0..n), longest first) that a
 * lookup makes, step by step: the middle of [lo, hi]; a probe that finds a
 * key or a marker goes on among the longer lengths (match_longer()), one
 * that does not among the shorter (match_shorter()).  match_build() puts
 * a key's markers where its own search goes longer: match_path().
 */
static inline unsigned match_mid(unsigned lo, unsigned hi)
{
	return (lo + hi) / 2;
}

/*
 * The lengths at which a key of length lens[t] needs a marker: the shorter
 * ones its search passes on its way (at most 8 of 129), into out; returns
 * how many.
 */
static inline unsigned match_path(const uint8_t *lens, unsigned n, unsigned t,
				  uint8_t out[8])
{
	unsigned lo = 0, hi = n, mid, k = 0;	/* [lo, hi) */

	while (lo < hi) {
		mid = match_mid(lo, hi - 1);
		if (mid == t)
			break;
		if (mid > t) {			/* shorter: go longer */
			out[k++] = lens[mid];
			hi = mid;
		} else {
			lo = mid + 1;
		}
	}
	return k;
}

/*
 * The key of w masked to plen bits as the slot's 16 bytes read in two
 * words: IPv4 the host-order uint32_t in bytes 0-3, IPv6 hi then lo.
 */
static inline void match_key_words(const struct match_words *w, unsigned plen,
				   uint64_t *k0, uint64_t *k1)
{
	uint64_t hi = plen >= 64 ? w->hi : plen ? w->hi & ~0ull << (64 - plen)
						 : 0;

	if (w->tag == TAG_V4) {
#if __BYTE_ORDER == __LITTLE_ENDIAN
		*k0 = hi >> 32;
#else
		*k0 = hi & 0xffffffff00000000ull;
#endif
		*k1 = 0;
		return;
	}
	*k0 = hi;
	*k1 = plen > 64 ? w->lo & ~0ull << (128 - plen) : 0;
}

/* The key of w masked to plen bits, in key[16], and its probe. */
static inline void match_key_make(struct match_probe *k, uint8_t key[16],
				  const struct match_words *w, unsigned plen)
{
	uint64_t k0, k1;

	match_key_words(w, plen, &k0, &k1);
	memcpy(key, &k0, 8);
	memcpy(key + 8, &k1, 8);
	k->tag = w->tag;
	k->len = (uint8_t)plen;
	k->a = key;
	k->name = NULL;
	k->hash = match_hash_addr(k->tag, k->len, k0, k1);
}


static inline void match_name_probe(struct match_probe *k, uint8_t tag,
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


#endif /* STACKSHIM_POLICY_MATCH_LAYOUT_H */
