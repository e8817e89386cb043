/* SPDX-License-Identifier: MIT */
/*
 * fuzz.h - what the libFuzzer targets share: reading typed values off the
 * fuzz input, and checking an invariant.
 *
 * A reader never fails: past the end of the input every value is 0, so a
 * short input is a valid one that takes the zero branch everywhere.
 */
#ifndef STACKSHIM_FUZZ_H
#define STACKSHIM_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct fuzz_in {
	const uint8_t *p;
	size_t n;
};

static inline uint8_t fz_u8(struct fuzz_in *in)
{
	uint8_t v = 0;

	if (in->n) {
		v = *in->p++;
		in->n--;
	}
	return v;
}

static inline uint16_t fz_u16(struct fuzz_in *in)
{
	uint16_t hi = fz_u8(in);

	return (uint16_t)(hi << 8 | fz_u8(in));
}

static inline uint32_t fz_u32(struct fuzz_in *in)
{
	uint32_t hi = fz_u16(in);

	return hi << 16 | fz_u16(in);
}

/* len bytes into out, zeros past the end of the input. */
static inline void fz_bytes(struct fuzz_in *in, void *out, size_t len)
{
	size_t n = len < in->n ? len : in->n;

	memcpy(out, in->p, n);
	memset((uint8_t *)out + n, 0, len - n);
	in->p += n;
	in->n -= n;
}

/*
 * A string: a length byte (at most max - 1), then that many bytes, cut at
 * a NUL; into buf of max bytes, NUL-terminated.  Returns buf.
 */
static inline char *fz_str(struct fuzz_in *in, char *buf, size_t max)
{
	size_t len = fz_u8(in) % max;

	fz_bytes(in, buf, len);
	buf[len] = '\0';
	return buf;
}

/*
 * FUZZ_CHECK - an invariant: when it does not hold, say which and abort(),
 * which libFuzzer reports as a crash with the input that caused it.
 */
#define FUZZ_CHECK(cond)                                                      \
	do {                                                                  \
		if (!(cond)) {                                                \
			fprintf(stderr, "%s:%d: invariant failed: %s\n",      \
				__FILE__, __LINE__, #cond);                   \
			abort();                                              \
		}                                                             \
	} while (0)

#endif /* STACKSHIM_FUZZ_H */
