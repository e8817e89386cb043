/* SPDX-License-Identifier: MIT */
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
 * allocation, async-signal-safe.  A count of the blocks found whole makes
 * the usual read one test once they all are (or image_trust() says so).  A block that fails is never remembered:
 * every read that needs it fails (NULL) and its caller fails closed.
 *
 * CRC32C, with SSE4.2's crc32 instruction when the CPU has it (8 bytes a
 * cycle or so), else a table (a byte at a time).
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "internal.h"

#define IMAGE_MAGIC 0x58495353u		/* "SSIX" read little-endian */
#define IMAGE_VERSION 1
#define IMAGE_HEAD 512

/*
 * The CRC32C table (polynomial 0x82f63b78, reflected), written out: the
 * shim's constructor may check an image before any other constructor of
 * the library has run.
 */
static const uint32_t crc_table[256] = {
	0x00000000u, 0xf26b8303u, 0xe13b70f7u, 0x1350f3f4u,
	0xc79a971fu, 0x35f1141cu, 0x26a1e7e8u, 0xd4ca64ebu,
	0x8ad958cfu, 0x78b2dbccu, 0x6be22838u, 0x9989ab3bu,
	0x4d43cfd0u, 0xbf284cd3u, 0xac78bf27u, 0x5e133c24u,
	0x105ec76fu, 0xe235446cu, 0xf165b798u, 0x030e349bu,
	0xd7c45070u, 0x25afd373u, 0x36ff2087u, 0xc494a384u,
	0x9a879fa0u, 0x68ec1ca3u, 0x7bbcef57u, 0x89d76c54u,
	0x5d1d08bfu, 0xaf768bbcu, 0xbc267848u, 0x4e4dfb4bu,
	0x20bd8edeu, 0xd2d60dddu, 0xc186fe29u, 0x33ed7d2au,
	0xe72719c1u, 0x154c9ac2u, 0x061c6936u, 0xf477ea35u,
	0xaa64d611u, 0x580f5512u, 0x4b5fa6e6u, 0xb93425e5u,
	0x6dfe410eu, 0x9f95c20du, 0x8cc531f9u, 0x7eaeb2fau,
	0x30e349b1u, 0xc288cab2u, 0xd1d83946u, 0x23b3ba45u,
	0xf779deaeu, 0x05125dadu, 0x1642ae59u, 0xe4292d5au,
	0xba3a117eu, 0x4851927du, 0x5b016189u, 0xa96ae28au,
	0x7da08661u, 0x8fcb0562u, 0x9c9bf696u, 0x6ef07595u,
	0x417b1dbcu, 0xb3109ebfu, 0xa0406d4bu, 0x522bee48u,
	0x86e18aa3u, 0x748a09a0u, 0x67dafa54u, 0x95b17957u,
	0xcba24573u, 0x39c9c670u, 0x2a993584u, 0xd8f2b687u,
	0x0c38d26cu, 0xfe53516fu, 0xed03a29bu, 0x1f682198u,
	0x5125dad3u, 0xa34e59d0u, 0xb01eaa24u, 0x42752927u,
	0x96bf4dccu, 0x64d4cecfu, 0x77843d3bu, 0x85efbe38u,
	0xdbfc821cu, 0x2997011fu, 0x3ac7f2ebu, 0xc8ac71e8u,
	0x1c661503u, 0xee0d9600u, 0xfd5d65f4u, 0x0f36e6f7u,
	0x61c69362u, 0x93ad1061u, 0x80fde395u, 0x72966096u,
	0xa65c047du, 0x5437877eu, 0x4767748au, 0xb50cf789u,
	0xeb1fcbadu, 0x197448aeu, 0x0a24bb5au, 0xf84f3859u,
	0x2c855cb2u, 0xdeeedfb1u, 0xcdbe2c45u, 0x3fd5af46u,
	0x7198540du, 0x83f3d70eu, 0x90a324fau, 0x62c8a7f9u,
	0xb602c312u, 0x44694011u, 0x5739b3e5u, 0xa55230e6u,
	0xfb410cc2u, 0x092a8fc1u, 0x1a7a7c35u, 0xe811ff36u,
	0x3cdb9bddu, 0xceb018deu, 0xdde0eb2au, 0x2f8b6829u,
	0x82f63b78u, 0x709db87bu, 0x63cd4b8fu, 0x91a6c88cu,
	0x456cac67u, 0xb7072f64u, 0xa457dc90u, 0x563c5f93u,
	0x082f63b7u, 0xfa44e0b4u, 0xe9141340u, 0x1b7f9043u,
	0xcfb5f4a8u, 0x3dde77abu, 0x2e8e845fu, 0xdce5075cu,
	0x92a8fc17u, 0x60c37f14u, 0x73938ce0u, 0x81f80fe3u,
	0x55326b08u, 0xa759e80bu, 0xb4091bffu, 0x466298fcu,
	0x1871a4d8u, 0xea1a27dbu, 0xf94ad42fu, 0x0b21572cu,
	0xdfeb33c7u, 0x2d80b0c4u, 0x3ed04330u, 0xccbbc033u,
	0xa24bb5a6u, 0x502036a5u, 0x4370c551u, 0xb11b4652u,
	0x65d122b9u, 0x97baa1bau, 0x84ea524eu, 0x7681d14du,
	0x2892ed69u, 0xdaf96e6au, 0xc9a99d9eu, 0x3bc21e9du,
	0xef087a76u, 0x1d63f975u, 0x0e330a81u, 0xfc588982u,
	0xb21572c9u, 0x407ef1cau, 0x532e023eu, 0xa145813du,
	0x758fe5d6u, 0x87e466d5u, 0x94b49521u, 0x66df1622u,
	0x38cc2a06u, 0xcaa7a905u, 0xd9f75af1u, 0x2b9cd9f2u,
	0xff56bd19u, 0x0d3d3e1au, 0x1e6dcdeeu, 0xec064eedu,
	0xc38d26c4u, 0x31e6a5c7u, 0x22b65633u, 0xd0ddd530u,
	0x0417b1dbu, 0xf67c32d8u, 0xe52cc12cu, 0x1747422fu,
	0x49547e0bu, 0xbb3ffd08u, 0xa86f0efcu, 0x5a048dffu,
	0x8ecee914u, 0x7ca56a17u, 0x6ff599e3u, 0x9d9e1ae0u,
	0xd3d3e1abu, 0x21b862a8u, 0x32e8915cu, 0xc083125fu,
	0x144976b4u, 0xe622f5b7u, 0xf5720643u, 0x07198540u,
	0x590ab964u, 0xab613a67u, 0xb831c993u, 0x4a5a4a90u,
	0x9e902e7bu, 0x6cfbad78u, 0x7fab5e8cu, 0x8dc0dd8fu,
	0xe330a81au, 0x115b2b19u, 0x020bd8edu, 0xf0605beeu,
	0x24aa3f05u, 0xd6c1bc06u, 0xc5914ff2u, 0x37faccf1u,
	0x69e9f0d5u, 0x9b8273d6u, 0x88d28022u, 0x7ab90321u,
	0xae7367cau, 0x5c18e4c9u, 0x4f48173du, 0xbd23943eu,
	0xf36e6f75u, 0x0105ec76u, 0x12551f82u, 0xe03e9c81u,
	0x34f4f86au, 0xc69f7b69u, 0xd5cf889du, 0x27a40b9eu,
	0x79b737bau, 0x8bdcb4b9u, 0x988c474du, 0x6ae7c44eu,
	0xbe2da0a5u, 0x4c4623a6u, 0x5f16d052u, 0xad7d5351u,
};

/* Whether the CPU has SSE4.2's crc32: 0 not asked yet, 1 no, 2 yes.  Asked
 * at the first use (libgcc's CPU model may not be filled in yet when a
 * constructor comes first); two threads asking at once agree. */
static int crc_hw;

static bool crc_hw_has(void)
{
	int hw = __atomic_load_n(&crc_hw, __ATOMIC_RELAXED);

	if (!hw) {
#if defined(__x86_64__)
		__builtin_cpu_init();
		hw = __builtin_cpu_supports("sse4.2") ? 2 : 1;
#else
		hw = 1;
#endif
		__atomic_store_n(&crc_hw, hw, __ATOMIC_RELAXED);
	}
	return hw == 2;
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
	if (crc_hw_has())
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

#define IMAGE_HUGE ((uintptr_t)2 << 20)	/* x86-64's and arm64's huge page */

/*
 * image_huge - see internal.h.  A big index is written at random (the
 * slots by hash), one fresh 4 KiB page after another: at 1,000,000 rules,
 * 72 MiB of them, whose page faults were a quarter of a compile (perf; a
 * fault is dear in a virtual machine).  Huge pages make them 36.
 */
void image_huge(void *p, size_t len)
{
	uintptr_t start = ((uintptr_t)p + IMAGE_HUGE - 1) & ~(IMAGE_HUGE - 1);
	uintptr_t end = ((uintptr_t)p + len) & ~(IMAGE_HUGE - 1);

#ifdef MADV_HUGEPAGE
	if (end > start)
		(void)madvise((void *)start, end - start, MADV_HUGEPAGE);
#else
	(void)start;
	(void)end;
#endif
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
	v->done = v->checked + (h.nblocks + 63) / 64;
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
	__atomic_store_n(v->done, v->nblocks, __ATOMIC_RELAXED);
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
	/* Counted by the thread that set the bit only: done reaches
	 * nblocks once, when the last block is found whole. */
	if (!(__atomic_fetch_or(&v->checked[i / 64], bit, __ATOMIC_RELAXED) &
	      bit))
		__atomic_fetch_add(v->done, 1, __ATOMIC_RELAXED);
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
