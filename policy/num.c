/* SPDX-License-Identifier: MIT */
/*
 * num.c - the one strict decimal parser: a port on the command line
 * (cli/options.c) and in the config file (values.c), and a CIDR's length
 * (addr.c).
 *
 * strtoul() takes a sign, leading blanks, and wraps "-1" to ULONG_MAX;
 * what a person writes as a port or a length is digits and nothing else,
 * and anything else is refused rather than read as something.
 */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>

#include "policy.h"

int policy_decimal_parse(const char *s, size_t len, unsigned long min,
			 unsigned long max, unsigned long *out, size_t *bad)
{
	unsigned long v = 0, d;
	bool over = false;
	size_t i;

	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			break;
		d = (unsigned long)(s[i] - '0');
		/* Past max: the digits are still read, to tell "1x" first. */
		if (v > max / 10 || (v == max / 10 && d > max % 10))
			over = true;
		else
			v = v * 10 + d;
	}
	if (!len || i < len) {
		if (bad)
			*bad = i;
		return -EINVAL;
	}
	if (over || v < min)
		return -ERANGE;
	*out = v;
	return 0;
}
