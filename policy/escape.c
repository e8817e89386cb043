/* SPDX-License-Identifier: MIT */
/*
 * escape.c - text from outside the process (paths, variables' values,
 * names) made safe to show on a terminal.
 *
 * An error line quotes what it was given: a path or a value holding an ESC
 * sequence would otherwise reach the operator's terminal and act there.
 * Control characters (C0 but tab, DEL, C1 raw or as UTF-8) and bytes
 * that are not valid UTF-8 are shown as \xNN; any other UTF-8 is kept, so
 * that a non-ASCII path still reads as itself.
 */
#include "config.h"

#include <stdbool.h>
#include <stddef.h>

#include "policy.h"

/* The length of the valid UTF-8 sequence of a printable code point (from
 * U+00A0) at s[0..len), s[0] >= 0x80; 0 when there is none. */
static size_t escape_utf8_len(const unsigned char *s, size_t len)
{
	static const unsigned least[] = {0, 0xa0, 0x800, 0x10000};
	unsigned c = s[0], n, cp, k;

	n = (c & 0xe0) == 0xc0 ? 1 : (c & 0xf0) == 0xe0 ? 2
	  : (c & 0xf8) == 0xf0 ? 3 : 0;
	if (!n || n >= len)
		return 0;
	cp = c & (0x3fu >> n);
	for (k = 1; k <= n; k++) {
		if ((s[k] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[k] & 0x3f);
	}
	/* Overlong forms, C1 controls, surrogates, past U+10FFFF. */
	if (cp < least[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n + 1;
}

/* Bytes written, for what fits: out[at..len) and a NUL always kept. */
static size_t escape_put(char *out, size_t len, size_t at, const char *s,
			 size_t n)
{
	size_t k;

	for (k = 0; k < n && at + 1 < len; k++)
		out[at++] = s[k];
	return at;
}

size_t policy_escape(char *out, size_t len, const char *in)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)in;
	size_t at = 0, n, rest = 0;
	char esc[4] = {'\\', 'x', 0, 0};

	while (s[rest])
		rest++;
	for (; *s; s += n, rest -= n) {
		n = 1;
		if ((*s >= 0x20 && *s < 0x7f) || *s == '\t') {
			at = escape_put(out, len, at, (const char *)s, 1);
			continue;
		}
		if (*s >= 0x80) {
			n = escape_utf8_len(s, rest);
			if (n) {
				at = escape_put(out, len, at, (const char *)s,
						n);
				continue;
			}
			n = 1;
		}
		esc[2] = hex[*s >> 4];
		esc[3] = hex[*s & 15];
		at = escape_put(out, len, at, esc, sizeof(esc));
	}
	if (len)
		out[at] = '\0';
	return at;
}
