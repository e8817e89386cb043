/*
 * image.c - a checked view of untrusted bytes: an image that was built in
 * this process or mapped from a file another one wrote, possibly truncated,
 * bit-flipped or hostile, read in place without a crash, an out-of-bounds
 * read or a wrong answer from a damaged block.
 *
 * Layout (host byte order; the magic read in the wrong order fails open):
 *
 *   [0, 512)              struct image_head: sizes, offsets, the checksums
 *                         of itself and of the block table, and a user area
 *                         whose meaning is the caller's (match.c's header)
 *   [512, 512 + 4 n)      the block table: the CRC32C of each body block
 *   [body_off, len)       the body, cut into n blocks of 4 KiB (the last
 *                         one may be shorter), body_off a multiple of 4096
 *
 * image_open() checks the head and the block table (4 bytes per 4 KiB of
 * body: 4 KiB of table per 4 MiB of image, checked at hardware CRC speed;
 * no pass over the body).  A body block is checked the first time a read
 * touches it (image_at()), and remembered in the view's bitmap by an atomic
 * OR: two threads checking the same block race harmlessly, no lock, no
 * allocation, async-signal-safe.  A block that fails is never remembered:
 * every read that needs it fails (NULL) and its caller fails closed.
 *
 * CRC32C, with SSE4.2's crc32 instruction when the CPU has it (8 bytes a
 * cycle or so), else a table filled by a constructor (a byte at a time).
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define IMAGE_MAGIC 0x58495353u		/* "SSIX" read little-endian */
#define IMAGE_VERSION 1
#define IMAGE_HEAD 512

static uint32_t crc_table[256];
static bool crc_hw;

__attribute__((constructor)) static void image_crc_init(void)
{
	uint32_t c, i, k;

	for (i = 0; i < 256; i++) {
		for (c = i, k = 0; k < 8; k++)
			c = c & 1 ? (c >> 1) ^ 0x82f63b78u : c >> 1;
		crc_table[i] = c;
	}
#if defined(__x86_64__)
	__builtin_cpu_init();
	crc_hw = __builtin_cpu_supports("sse4.2");
#endif
}

static uint32_t crc_soft(uint32_t c, const unsigned char *p, size_t n)
{
	while (n--)
		c = crc_table[(c ^ *p++) & 0xff] ^ (c >> 8);
	return c;
}

#if defined(__x86_64__)
__attribute__((target("sse4.2")))
static uint32_t crc_sse42(uint32_t c, const unsigned char *p, size_t n)
{
	uint64_t c64 = c, w;

	for (; n >= 8; p += 8, n -= 8) {
		memcpy(&w, p, 8);
		c64 = __builtin_ia32_crc32di(c64, w);
	}
	c = (uint32_t)c64;
	while (n--)
		c = __builtin_ia32_crc32qi(c, *p++);
	return c;
}
#endif

/* image_crc32c - see internal.h. */
uint32_t image_crc32c(const void *p, size_t n)
{
#if defined(__x86_64__)
	if (crc_hw)
		return ~crc_sse42(~0u, p, n);
#endif
	return ~crc_soft(~0u, p, n);
}

/* The number of body blocks of len bytes. */
static uint64_t image_nblocks(uint64_t body_len)
{
	return (body_len + IMAGE_BLOCK - 1) / IMAGE_BLOCK;
}

/* The offset of the body for a body of body_len bytes. */
static uint64_t image_body_off(uint64_t body_len)
{
	uint64_t end = IMAGE_HEAD + 4 * image_nblocks(body_len);

	return (end + IMAGE_BLOCK - 1) & ~(uint64_t)(IMAGE_BLOCK - 1);
}

/* image_layout - see internal.h. */
size_t image_layout(size_t body_len, size_t *body_off)
{
	*body_off = (size_t)image_body_off(body_len);
	return *body_off + body_len;
}

/* image_user - see internal.h. */
void *image_user(void *image)
{
	return (char *)image + offsetof(struct image_head, user);
}

/* The checksum of a head, its own field counted as 0. */
static uint32_t image_head_crc(const struct image_head *h)
{
	struct image_head copy = *h;

	copy.head_crc = 0;
	return image_crc32c(&copy, sizeof(copy));
}

/* image_seal - see internal.h. */
void image_seal(void *image, size_t len, size_t body_off)
{
	struct image_head *h = image;
	unsigned char *base = image;
	uint32_t *table = (uint32_t *)(base + IMAGE_HEAD);
	uint64_t i, n = image_nblocks(len - body_off), at, size;

	h->magic = IMAGE_MAGIC;
	h->version = IMAGE_VERSION;
	h->len = len;
	h->body_off = body_off;
	h->nblocks = n;
	h->block = IMAGE_BLOCK;
	for (i = 0; i < n; i++) {
		at = body_off + i * IMAGE_BLOCK;
		size = len - at < IMAGE_BLOCK ? len - at : IMAGE_BLOCK;
		table[i] = image_crc32c(base + at, size);
	}
	h->table_crc = image_crc32c(table, n * 4);
	h->head_crc = image_head_crc(h);
}

/* Whether head h describes an image of len bytes that holds together. */
static bool image_head_ok(const struct image_head *h, size_t len)
{
	if (h->magic != IMAGE_MAGIC || h->version != IMAGE_VERSION ||
	    h->block != IMAGE_BLOCK || h->len != len ||
	    h->body_off > h->len || h->head_crc != image_head_crc(h))
		return false;
	/* The body may start later than it must: the builder sizes the
	 * table for the most its body may take. */
	return h->nblocks == image_nblocks(h->len - h->body_off) &&
	       !(h->body_off % IMAGE_BLOCK) &&
	       h->body_off >= IMAGE_HEAD + 4 * h->nblocks;
}

/*
 * image_open - see internal.h.  The block table's own checksum is
 * checked here: 4 bytes per 4 KiB block.
 */
int image_open(struct image_view *v, const void *base, size_t len)
{
	struct image_head h;
	const unsigned char *b = base;

	memset(v, 0, sizeof(*v));
	if (!base || len < IMAGE_HEAD)
		return -EINVAL;
	memcpy(&h, base, sizeof(h));
	if (!image_head_ok(&h, len) ||
	    image_crc32c(b + IMAGE_HEAD, h.nblocks * 4) != h.table_crc)
		return -EINVAL;
	v->checked = calloc((h.nblocks + 63) / 64 + 1, sizeof(uint64_t));
	if (!v->checked)
		return -ENOMEM;
	v->base = b;
	v->len = len;
	v->body_off = h.body_off;
	v->nblocks = h.nblocks;
	memcpy(v->user, h.user, sizeof(v->user));
	return 0;
}

/* image_trust - see internal.h. */
void image_trust(struct image_view *v)
{
	uint64_t i;

	for (i = 0; i < (v->nblocks + 63) / 64; i++)
		__atomic_store_n(&v->checked[i], ~0ull, __ATOMIC_RELAXED);
}

/* image_close - see internal.h. */
void image_close(struct image_view *v)
{
	free(v->checked);
	memset(v, 0, sizeof(*v));
}

/* Whether body block i of v is whole: checked now or before. */
static bool image_block_ok(const struct image_view *v, uint64_t i)
{
	uint64_t bit = 1ull << (i & 63), at, size;
	const uint32_t *table;
	uint32_t want;

	if (__atomic_load_n(&v->checked[i / 64], __ATOMIC_RELAXED) & bit)
		return true;
	at = v->body_off + i * IMAGE_BLOCK;
	size = v->len - at < IMAGE_BLOCK ? v->len - at : IMAGE_BLOCK;
	table = (const uint32_t *)(const void *)(v->base + IMAGE_HEAD);
	memcpy(&want, &table[i], sizeof(want));
	if (image_crc32c(v->base + at, size) != want)
		return false;
	__atomic_fetch_or(&v->checked[i / 64], bit, __ATOMIC_RELAXED);
	return true;
}

/*
 * image_at_slow - see internal.h.  (A read spans two blocks at most for
 * the sizes match.c reads but a run's, and any span is checked block by
 * block.)
 */
const void *image_at_slow(const struct image_view *v, uint64_t off,
			  size_t len)
{
	uint64_t first, last, i;

	if (!v->base || off < v->body_off || off > v->len ||
	    len > v->len - off || !len)
		return NULL;
	first = (off - v->body_off) / IMAGE_BLOCK;
	last = (off + len - 1 - v->body_off) / IMAGE_BLOCK;
	for (i = first; i <= last; i++)
		if (!image_block_ok(v, i))
			return NULL;
	return v->base + off;
}
