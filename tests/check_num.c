/* SPDX-License-Identifier: MIT */
/*
 * check_num.c - policy_decimal_parse() (policy/num.c), the one decimal
 * parser of ports and CIDR lengths, cell by cell: what it takes (digits,
 * leading zeros, min and max themselves), what it calls malformed (empty,
 * signs, blanks, any other byte, with the offset of the first) and what
 * it calls out of range (below min, above max, past ULONG_MAX), and that
 * it reads len bytes and no more.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "check_run.h"
#include "policy.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define UNTOUCHED 4242ul
#define PORT 1, 65535		/* min and max of a port */
#define ANY 0, ULONG_MAX	/* every unsigned long */

static const struct num_case {
	const char *s;
	size_t len;		/* bytes of s to read; 0: strlen(s) */
	unsigned long min, max;
	int ret;
	unsigned long out;	/* the value, when ret is 0 */
	size_t bad;		/* the offset, when ret is -EINVAL */
} num_cases[] = {
	/* taken */
	{ "0", 0, 0, 128, 0, 0, 0 },
	{ "1", 0, PORT, 0, 1, 0 },
	{ "80", 0, PORT, 0, 80, 0 },
	{ "080", 0, PORT, 0, 80, 0 },
	{ "0000000000000000000000080", 0, PORT, 0, 80, 0 },
	{ "00", 0, 0, 128, 0, 0, 0 },
	{ "65535", 0, PORT, 0, 65535, 0 },
	{ "128", 0, 0, 128, 0, 128, 0 },
	{ "18446744073709551615", 0, ANY, 0, ULONG_MAX, 0 },
	{ "9", 0, 0, 9, 0, 9, 0 },
	{ "0", 0, 0, 0, 0, 0, 0 },
	/* only len bytes are read */
	{ "12x", 2, PORT, 0, 12, 0 },
	{ "655359", 5, PORT, 0, 65535, 0 },
	/* malformed, at the first byte that is not a digit */
	{ "", 0, PORT, -EINVAL, 0, 0 },
	{ "1a", 0, PORT, -EINVAL, 0, 1 },
	{ "a1", 0, PORT, -EINVAL, 0, 0 },
	{ " 1", 0, PORT, -EINVAL, 0, 0 },
	{ "1 ", 0, PORT, -EINVAL, 0, 1 },
	{ "\t1", 0, PORT, -EINVAL, 0, 0 },
	{ "-1", 0, PORT, -EINVAL, 0, 0 },
	{ "+1", 0, PORT, -EINVAL, 0, 0 },
	{ "-0", 0, 0, 128, -EINVAL, 0, 0 },
	{ "0x10", 0, PORT, -EINVAL, 0, 1 },
	{ "1e3", 0, PORT, -EINVAL, 0, 1 },
	{ "1.0", 0, PORT, -EINVAL, 0, 1 },
	{ "90,100", 0, PORT, -EINVAL, 0, 2 },
	{ "\xd9\xa1", 0, PORT, -EINVAL, 0, 0 },	/* ARABIC-INDIC ONE */
	{ "1\0002", 3, PORT, -EINVAL, 0, 1 },
	/* malformed wins over too big */
	{ "99999999999999999999x", 0, PORT, -EINVAL, 0, 20 },
	{ "65536a", 0, PORT, -EINVAL, 0, 5 },
	/* out of range */
	{ "0", 0, PORT, -ERANGE, 0, 0 },
	{ "000", 0, PORT, -ERANGE, 0, 0 },
	{ "65536", 0, PORT, -ERANGE, 0, 0 },
	{ "70000", 0, PORT, -ERANGE, 0, 0 },
	{ "655350", 0, PORT, -ERANGE, 0, 0 },
	{ "129", 0, 0, 128, -ERANGE, 0, 0 },
	{ "10", 0, 0, 9, -ERANGE, 0, 0 },
	{ "1", 0, 0, 0, -ERANGE, 0, 0 },
	{ "99999999999999999999", 0, PORT, -ERANGE, 0, 0 },
	{ "18446744073709551616", 0, ANY, -ERANGE, 0, 0 },
	{ "99999999999999999999", 0, ANY, -ERANGE, 0, 0 },
	{ "184467440737095516150", 0, ANY, -ERANGE, 0, 0 },
	{ "36893488147419103232", 0, ANY, -ERANGE, 0, 0 },	/* 2^65 */
};

START_TEST(test_num)
{
	const struct num_case *c = &num_cases[_i];
	size_t len = c->len ? c->len : strlen(c->s);
	unsigned long out = UNTOUCHED;
	size_t bad = 999;
	int ret;

	ret = policy_decimal_parse(c->s, len, c->min, c->max, &out, &bad);
	ck_assert_msg(ret == c->ret, "'%s' [%lu, %lu]: %d, expected %d",
		      c->s, c->min, c->max, ret, c->ret);
	if (!ret)
		ck_assert_uint_eq(out, c->out);
	else
		ck_assert_uint_eq(out, UNTOUCHED);
	if (ret == -EINVAL)
		ck_assert_uint_eq(bad, c->bad);
	else
		ck_assert_uint_eq(bad, 999);
}
END_TEST

/* bad may be NULL. */
START_TEST(test_no_bad)
{
	unsigned long out = UNTOUCHED;

	ck_assert_int_eq(policy_decimal_parse("1x", 2, PORT, &out, NULL),
			 -EINVAL);
	ck_assert_uint_eq(out, UNTOUCHED);
}
END_TEST

/* The num suite, for tests/check_run.c's main(). */
Suite *check_suite(void)
{
	Suite *s = suite_create("num");
	TCase *tc = tcase_create("num");

	tcase_add_loop_test(tc, test_num, 0, (int)ARRAY_SIZE(num_cases));
	tcase_add_test(tc, test_no_bad);
	suite_add_tcase(s, tc);
	return s;
}
