/* SPDX-License-Identifier: MIT */
/*
 * pool-layout.h - the layout of a peer-pool region (policy/pool.c), which
 * is the layout of the file that shim/pool.c maps into every process
 * under the same pool.  Only policy/pool.c and tests/check_pool.c include
 * it; everyone else goes through policy.h.
 *
 * Every field is in the byte order of the host that made the region (the
 * magic number, read in the wrong order, refuses it) and every offset is
 * relative to the region's start, so that the region means the same
 * wherever it is mapped.
 *
 *   offset 0       struct pool_header (its lock area at 128)
 *   offset 4096    struct pool_entry entries[capacity]: entry n for the
 *                  pool address first + n, first the pool's first host
 *   next page      uint32_t index[slots]: open addressing by the keyed
 *                  hash of the IPv6 address, linear probing; 0 is an
 *                  empty slot, n + 1 names entry n
 *
 * The region is as long as the index's end rounded up to a page.  Change
 * anything here and POOL_VERSION changes with it.
 */
#ifndef STACKSHIM_POOL_LAYOUT_H
#define STACKSHIM_POOL_LAYOUT_H

#include <stdint.h>

#define POOL_MAGIC	0x4c505353u	/* "SSPL" in little-endian order */
#define POOL_VERSION	2u
#define POOL_PAGE	4096u
/* The most addresses a region holds, whatever the pool's length: 2^20
 * addresses are 20 MiB of entries and 8 MiB of index, of which a sparse
 * file only stores the pages written. */
#define POOL_CAPACITY_MAX (UINT32_C(1) << 20)
/*
 * An entry's valid word is a sequence count: 0 never written, odd valid
 * (POOL_VALID the first time), even while a writer gives the entry to
 * another IPv6 address (the next odd number once it has).  A reader
 * trusts the IPv6 address it copied only when the word was the same odd
 * number before and after.
 */
#define POOL_VALID	1u
/* An index slot whose entry was given to another address: skipped by a
 * lookup, taken by the next writer whose probe sequence meets it. */
#define POOL_TOMB	UINT32_MAX

struct pool_header {
	uint32_t magic;		/* POOL_MAGIC */
	uint32_t version;	/* POOL_VERSION */
	uint32_t abi;		/* the owner's lock ABI, as formatted */
	uint32_t net;		/* the pool's network, host byte order */
	uint32_t len;		/* its prefix length */
	uint32_t capacity;	/* entries */
	uint32_t slots;		/* index slots, a power of two */
	uint32_t count;		/* entries reserved: atomic, writers only */
	uint64_t key[POLICY_POOL_KEYS]; /* the hash's keys, never changed */
	uint32_t hand;		/* where the next reuse sweep starts */
	uint32_t busy;		/* n + 1 of an entry being reused, or 0 */
	uint32_t reused;	/* entries given again, a count */
	uint8_t reserved[128 - 32 - 8 * POLICY_POOL_KEYS - 12];
	uint8_t lock[POLICY_POOL_LOCK_SIZE] __attribute__((aligned(64)));
};

/* An entry: valid is written last (release), after v6.  used is the
 * caller's clock (seconds) at its last use, refreshed by lookups. */
struct pool_entry {
	uint32_t valid;
	uint32_t used;
	uint32_t v6[4];		/* the IPv6 address, as its bytes */
};

#endif /* STACKSHIM_POOL_LAYOUT_H */
