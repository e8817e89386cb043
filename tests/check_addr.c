/* SPDX-License-Identifier: MIT */
/*
 * check_addr.c - tests of policy/addr.c: address literals, CIDR prefixes and
 * RFC 6052 embedding, RFC 7050 discovery.
 *
 * Expected addresses are written as text and turned into bytes with
 * inet_pton(), so every comparison is of bytes, never of formatted text.
 */
#include "config.h"

#include <check.h>

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_run.h"
#include "policy.h"

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* A byte that no output of the code under test should leave behind. */
#define POISON 0xa5

static struct in6_addr in6(const char *s)
{
	struct in6_addr a;

	ck_assert_msg(inet_pton(AF_INET6, s, &a) == 1, "bad test IPv6 %s", s);
	return a;
}

static struct in_addr in4(const char *s)
{
	struct in_addr a;

	ck_assert_msg(inet_pton(AF_INET, s, &a) == 1, "bad test IPv4 %s", s);
	return a;
}

/* --- RFC 6052 ------------------------------------------------------------ */

/* RFC 6052 §2.4's table, with the well-known and the IPv4-mapped prefixes. */
static const struct embed_case {
	const char *prefix;
	unsigned len;
	const char *v4;
	const char *v6;
} embed_cases[] = {
	{ "2001:db8::", 32, "192.0.2.33", "2001:db8:c000:221::" },
	{ "2001:db8:100::", 40, "192.0.2.33", "2001:db8:1c0:2:21::" },
	{ "2001:db8:122::", 48, "192.0.2.33", "2001:db8:122:c000:2:2100::" },
	{ "2001:db8:122:300::", 56, "192.0.2.33", "2001:db8:122:3c0:0:221::" },
	{ "2001:db8:122:344::", 64, "192.0.2.33",
	  "2001:db8:122:344:c0:2:2100:0" },
	{ "2001:db8:122:344::", 96, "192.0.2.33",
	  "2001:db8:122:344::192.0.2.33" },
	{ "64:ff9b::", 96, "192.0.2.33", "64:ff9b::192.0.2.33" },
	{ "::ffff:0:0", 96, "192.0.2.33", "::ffff:192.0.2.33" },
	{ "64:ff9b::", 96, "0.0.0.0", "64:ff9b::" },
	{ "2001:db8::", 40, "255.255.255.255", "2001:db8:ff:ffff:ff::" },
	{ "2001:db8::", 64, "255.255.255.255", "2001:db8::ff:ffff:ff00:0" },
};

START_TEST(test_embed)
{
	const struct embed_case *c = &embed_cases[_i];
	struct in6_addr prefix = in6(c->prefix), want = in6(c->v6), out;
	struct in_addr v4 = in4(c->v4);

	memset(&out, POISON, sizeof(out));
	ck_assert_int_eq(policy_rfc6052_embed(&prefix, c->len, &v4, &out), 0);
	ck_assert_mem_eq(&out, &want, sizeof(want));
	ck_assert_uint_eq(out.s6_addr[8], 0);

	/* The output may overwrite the prefix it was built from. */
	ck_assert_int_eq(policy_rfc6052_embed(&prefix, c->len, &v4, &prefix),
			 0);
	ck_assert_mem_eq(&prefix, &want, sizeof(want));
}
END_TEST

START_TEST(test_extract)
{
	const struct embed_case *c = &embed_cases[_i];
	struct in6_addr addr = in6(c->v6);
	struct in_addr want = in4(c->v4), out;

	memset(&out, POISON, sizeof(out));
	ck_assert_int_eq(policy_rfc6052_extract(&addr, c->len, &out), 0);
	ck_assert_mem_eq(&out, &want, sizeof(want));

	/* The u-octet carries nothing, whatever it holds. */
	addr.s6_addr[8] = 0xff;
	memset(&out, POISON, sizeof(out));
	ck_assert_int_eq(policy_rfc6052_extract(&addr, c->len, &out), 0);
	ck_assert_mem_eq(&out, &want, sizeof(want));
}
END_TEST

static const unsigned bad_lens[] = {
	0, 8, 16, 24, 31, 33, 39, 63, 65, 72, 95, 97, 127, 128, 129, UINT_MAX,
};

START_TEST(test_extract_bad_len)
{
	struct in6_addr addr = in6("64:ff9b::192.0.2.33");
	struct in_addr out, before;

	memset(&out, POISON, sizeof(out));
	before = out;
	ck_assert_int_eq(policy_rfc6052_extract(&addr, bad_lens[_i], &out),
			 -EINVAL);
	ck_assert_mem_eq(&out, &before, sizeof(out));
}
END_TEST

/* --- policy_prefix_check() and embedding's refusal ----------------------- */

static const struct prefix_case {
	const char *prefix;
	unsigned len;
	int ret;
} prefix_cases[] = {
	{ "2001:db8::", 32, 0 },
	{ "2001:db8:100::", 40, 0 },
	{ "2001:db8:122::", 48, 0 },
	{ "2001:db8:122:300::", 56, 0 },
	{ "2001:db8:122:344::", 64, 0 },
	{ "2001:db8:122:344::", 96, 0 },
	{ "64:ff9b::", 96, 0 },
	{ "::ffff:0:0", 96, 0 },
	{ "::", 32, 0 },
	{ "ffff:ffff::", 32, 0 },
	{ "2001:db8:ffff:ffff::", 64, 0 },
	{ "2001:db8:0:0:ff:ffff::", 96, 0 },
	{ "2001:db8::", 33, -ERANGE },
	{ "2001:db8::", 0, -ERANGE },
	{ "2001:db8::", 128, -ERANGE },
	{ "2001:db8::", 95, -ERANGE },
	{ "2001:db8::", 16, -ERANGE },
	{ "2001:db8::", 72, -ERANGE },
	{ "2001:db8::", UINT_MAX, -ERANGE },
	/* A bad length is reported before bits past it. */
	{ "2001:db8::1", 33, -ERANGE },
	{ "2001:db8:1::", 32, -EDOM },
	{ "2001:db8:1::", 40, -EDOM },
	{ "2001:db8:122:1::", 56, -EDOM },
	{ "2001:db8:122:344::1", 64, -EDOM },
	{ "64:ff9b::1", 96, -EDOM },
	{ "64:ff9b::ffff:0", 96, -EDOM },
	/* Below /96 the u-octet is past the prefix: bits past it win. */
	{ "2001:db8:0:0:100::", 64, -EDOM },
	{ "2001:db8:0:0:100::", 96, -EBADMSG },
	{ "64:ff9b:0:0:ff00::", 96, -EBADMSG },
	/* The u-octet is reported only once no bit past the prefix is set. */
	{ "2001:db8:0:0:100::1", 96, -EDOM },
};

START_TEST(test_prefix_check)
{
	const struct prefix_case *c = &prefix_cases[_i];
	struct in6_addr prefix = in6(c->prefix);

	if (c->ret == -EBADMSG)
		ck_assert_msg(prefix.s6_addr[8] != 0,
			      "%s does not set the u-octet", c->prefix);
	ck_assert_int_eq(policy_prefix_check(&prefix, c->len), c->ret);
}
END_TEST

START_TEST(test_embed_checks_prefix)
{
	const struct prefix_case *c = &prefix_cases[_i];
	struct in6_addr prefix = in6(c->prefix), out, before;
	struct in_addr v4 = in4("198.51.100.7"), back;
	int ret;

	memset(&out, POISON, sizeof(out));
	before = out;
	if (c->ret != 0) {
		ret = policy_rfc6052_embed(&prefix, c->len, &v4, &out);
		ck_assert_int_eq(ret, -EINVAL);
		ck_assert_mem_eq(&out, &before, sizeof(out));
		return;
	}
	ck_assert_int_eq(policy_rfc6052_embed(&prefix, c->len, &v4, &out), 0);
	ck_assert_mem_eq(out.s6_addr, prefix.s6_addr, c->len / 8);
	ck_assert_uint_eq(out.s6_addr[8], 0);
	ck_assert_int_eq(policy_rfc6052_extract(&out, c->len, &back), 0);
	ck_assert_mem_eq(&back, &v4, sizeof(v4));
}
END_TEST

/* --- policy_addr_parse() and policy_addr_host_fam() ---------------------- */

static const struct parse_case {
	const char *s;
	int ret;
	unsigned fam;
	uint8_t a[16];
} parse_cases[] = {
	{ "1.2.3.4", 0, FAM_IPV4, { 1, 2, 3, 4 } },
	{ "0.0.0.0", 0, FAM_IPV4, { 0 } },
	{ "255.255.255.255", 0, FAM_IPV4, { 255, 255, 255, 255 } },
	{ "10.0.0.1", 0, FAM_IPV4, { 10, 0, 0, 1 } },
	{ "::", 0, FAM_IPV6, { 0 } },
	{ "::1", 0, FAM_IPV6, { [15] = 1 } },
	{ "2001:db8::1", 0, FAM_IPV6, { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 } },
	{ "2001:DB8::A", 0, FAM_IPV6, { 0x20, 0x01, 0x0d, 0xb8, [15] = 10 } },
	{ "::ffff:1.2.3.4", 0, FAM_IPV6,
	  { [10] = 0xff, [11] = 0xff, 1, 2, 3, 4 } },
	{ "64:ff9b::192.0.2.33", 0, FAM_IPV6,
	  { 0, 0x64, 0xff, 0x9b, [12] = 192, 0, 2, 33 } },
	{ "fe80::1", 0, FAM_IPV6, { 0xfe, 0x80, [15] = 1 } },
	{ "1:2:3:4:5:6:7:8", 0, FAM_IPV6,
	  { 0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0, 7, 0, 8 } },
	{ "1.2.3", -EINVAL, FAM_NONE, { 0 } },
	{ "1.2", -EINVAL, FAM_NONE, { 0 } },
	{ "1", -EINVAL, FAM_NONE, { 0 } },
	{ "01.2.3.4", -EINVAL, FAM_NONE, { 0 } },
	{ "0x1.2.3.4", -EINVAL, FAM_NONE, { 0 } },
	{ "256.1.1.1", -EINVAL, FAM_NONE, { 0 } },
	{ "1.2.3.256", -EINVAL, FAM_NONE, { 0 } },
	{ "1.2.3.4.5", -EINVAL, FAM_NONE, { 0 } },
	{ "1.2.3.-4", -EINVAL, FAM_NONE, { 0 } },
	{ "1.2.3.4.", -EINVAL, FAM_NONE, { 0 } },
	{ "1.2.3.4 ", -EINVAL, FAM_NONE, { 0 } },
	{ " 1.2.3.4", -EINVAL, FAM_NONE, { 0 } },
	{ "1.2.3.4\n", -EINVAL, FAM_NONE, { 0 } },
	{ "", -EINVAL, FAM_NONE, { 0 } },
	{ "::1%lo", -EINVAL, FAM_NONE, { 0 } },
	{ "fe80::1%eth0", -EINVAL, FAM_NONE, { 0 } },
	{ "fe80::1%1", -EINVAL, FAM_NONE, { 0 } },
	{ "[::1]", -EINVAL, FAM_NONE, { 0 } },
	{ "::1 ", -EINVAL, FAM_NONE, { 0 } },
	{ ":::", -EINVAL, FAM_NONE, { 0 } },
	{ "1::2::3", -EINVAL, FAM_NONE, { 0 } },
	{ "12345::", -EINVAL, FAM_NONE, { 0 } },
	{ "1:2:3:4:5:6:7:8:9", -EINVAL, FAM_NONE, { 0 } },
	{ "::ffff:1.2.3", -EINVAL, FAM_NONE, { 0 } },
	{ "1.2.3.4/32", -EINVAL, FAM_NONE, { 0 } },
	{ "localhost", -EINVAL, FAM_NONE, { 0 } },
};

START_TEST(test_addr_parse)
{
	const struct parse_case *c = &parse_cases[_i];
	struct policy_addr out, before;

	memset(&out, POISON, sizeof(out));
	before = out;
	ck_assert_int_eq(policy_addr_parse(c->s, &out), c->ret);
	if (c->ret != 0) {
		ck_assert_mem_eq(&out, &before, sizeof(out));
		return;
	}
	ck_assert_uint_eq(out.fam, c->fam);
	ck_assert_mem_eq(out.a, c->a, sizeof(out.a));
}
END_TEST

START_TEST(test_addr_parse_null)
{
	struct policy_addr out;

	ck_assert_int_eq(policy_addr_parse(NULL, &out), -EINVAL);
	ck_assert_int_eq(policy_addr_parse_cidr(NULL, &out, &(unsigned){ 0 }),
			 -EINVAL);
}
END_TEST

static const struct host_fam_case {
	const char *s;
	unsigned fam;
} host_fam_cases[] = {
	{ "1.2.3.4", FAM_IPV4 },
	{ "0.0.0.0", FAM_IPV4 },
	{ "::ffff:1.2.3.4", FAM_IPV4 },
	{ "::ffff:0.0.0.0", FAM_IPV4 },
	{ "::1", FAM_IPV6 },
	{ "::", FAM_IPV6 },
	{ "64:ff9b::1.2.3.4", FAM_IPV6 },
	{ "::1.2.3.4", FAM_IPV6 },
	{ "::ffff:0:1.2.3.4", FAM_IPV6 },
	{ "::fffe:1.2.3.4", FAM_IPV6 },
	{ "1::ffff:1.2.3.4", FAM_IPV6 },
	{ "2001:db8::1", FAM_IPV6 },
};

START_TEST(test_host_fam)
{
	const struct host_fam_case *c = &host_fam_cases[_i];
	struct policy_addr addr;

	ck_assert_int_eq(policy_addr_parse(c->s, &addr), 0);
	ck_assert_uint_eq(policy_addr_host_fam(&addr), c->fam);
}
END_TEST

/* --- policy_addr_format() ------------------------------------------------ */

static const struct format_case {
	const char *s;
	const char *text;
} format_cases[] = {
	{ "1.2.3.4", "1.2.3.4" },
	{ "0.0.0.0", "0.0.0.0" },
	{ "255.255.255.255", "255.255.255.255" },
	{ "::", "::" },
	{ "::1", "::1" },
	{ "2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1" },
	{ "2001:DB8::A", "2001:db8::a" },
	{ "::ffff:1.2.3.4", "::ffff:1.2.3.4" },
	{ "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
	  "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff" },
};

START_TEST(test_format)
{
	const struct format_case *c = &format_cases[_i];
	struct policy_addr addr, again;
	size_t need = strlen(c->text) + 1;
	char buf[INET6_ADDRSTRLEN + 8];

	ck_assert_int_eq(policy_addr_parse(c->s, &addr), 0);

	ck_assert_ptr_eq(policy_addr_format(&addr, buf, sizeof(buf)), buf);
	ck_assert_str_eq(buf, c->text);
	ck_assert_int_eq(policy_addr_parse(buf, &again), 0);
	ck_assert_mem_eq(&again, &addr, sizeof(addr));

	memset(buf, POISON, sizeof(buf));
	ck_assert_ptr_eq(policy_addr_format(&addr, buf, need), buf);
	ck_assert_str_eq(buf, c->text);

	ck_assert_ptr_null(policy_addr_format(&addr, buf, need - 1));
	ck_assert_ptr_null(policy_addr_format(&addr, buf, 1));
	ck_assert_ptr_null(policy_addr_format(&addr, buf, 0));
}
END_TEST

static const unsigned bad_fams[] = { FAM_NONE, FAM_BOTH, 4, 6, 10 };

START_TEST(test_format_bad_fam)
{
	struct policy_addr addr = { .a = { 1, 2, 3, 4 } };
	char buf[INET6_ADDRSTRLEN];

	addr.fam = bad_fams[_i];
	ck_assert_ptr_null(policy_addr_format(&addr, buf, sizeof(buf)));
}
END_TEST

/* --- policy_addr_parse_cidr() -------------------------------------------- */

static const struct cidr_case {
	const char *s;
	int ret;
	const char *addr;	/* IPv4 or IPv6 text, as fam says */
	unsigned fam;
	unsigned len;
} cidr_cases[] = {
	{ "10.0.0.0/8", 0, "10.0.0.0", FAM_IPV4, 8 },
	{ "10.0.0.0", 0, "10.0.0.0", FAM_IPV4, 32 },
	{ "10.0.0.1", 0, "10.0.0.1", FAM_IPV4, 32 },
	{ "0.0.0.0/0", 0, "0.0.0.0", FAM_IPV4, 0 },
	{ "192.168.1.1/32", 0, "192.168.1.1", FAM_IPV4, 32 },
	{ "192.168.0.0/15", 0, "192.168.0.0", FAM_IPV4, 15 },
	{ "198.18.0.0/15", 0, "198.18.0.0", FAM_IPV4, 15 },
	{ "10.0.0.0/008", 0, "10.0.0.0", FAM_IPV4, 8 },
	{ "::", 0, "::", FAM_IPV6, 128 },
	{ "::1", 0, "::1", FAM_IPV6, 128 },
	{ "::1/128", 0, "::1", FAM_IPV6, 128 },
	{ "::/0", 0, "::", FAM_IPV6, 0 },
	{ "2001:db8::/32", 0, "2001:db8::", FAM_IPV6, 32 },
	{ "64:ff9b::/96", 0, "64:ff9b::", FAM_IPV6, 96 },
	{ "::ffff:0:0/96", 0, "::ffff:0:0", FAM_IPV6, 96 },
	{ "::ffff:10.0.0.0/104", 0, "::ffff:10.0.0.0", FAM_IPV6, 104 },
	{ "fe80::/10", 0, "fe80::", FAM_IPV6, 10 },
	{ "", -EINVAL, NULL, FAM_NONE, 0 },
	{ "/8", -EINVAL, NULL, FAM_NONE, 0 },
	{ "10.0.0.0/", -EINVAL, NULL, FAM_NONE, 0 },
	{ "10.0.0/8", -EINVAL, NULL, FAM_NONE, 0 },
	{ "10.0.0.0/-8", -EINVAL, NULL, FAM_NONE, 0 },
	{ "10.0.0.0/+8", -EINVAL, NULL, FAM_NONE, 0 },
	{ "10.0.0.0/ 8", -EINVAL, NULL, FAM_NONE, 0 },
	{ "10.0.0.0 /8", -EINVAL, NULL, FAM_NONE, 0 },
	{ "10.0.0.0/8 ", -EINVAL, NULL, FAM_NONE, 0 },
	{ "10.0.0.0/8/8", -EINVAL, NULL, FAM_NONE, 0 },
	{ "10.0.0.0/0x8", -EINVAL, NULL, FAM_NONE, 0 },
	{ "10.0.0.0/8a", -EINVAL, NULL, FAM_NONE, 0 },
	{ "10.0.0.0/a", -EINVAL, NULL, FAM_NONE, 0 },
	{ "10.0.0.0/1000", -EINVAL, NULL, FAM_NONE, 0 },
	{ "10.0.0.0/0032", -EINVAL, NULL, FAM_NONE, 0 },
	{ "::/0128", -EINVAL, NULL, FAM_NONE, 0 },
	{ "::/", -EINVAL, NULL, FAM_NONE, 0 },
	{ "fe80::1%eth0/64", -EINVAL, NULL, FAM_NONE, 0 },
	{ "fe80::/64%eth0", -EINVAL, NULL, FAM_NONE, 0 },
	{ "1111:2222:3333:4444:5555:6666:7777:8888:9999/64", -EINVAL, NULL,
	  FAM_NONE, 0 },
	{ "0000:0000:0000:0000:0000:ffff:255.255.255.2550/96", -EINVAL, NULL,
	  FAM_NONE, 0 },
	{ "host.example/24", -EINVAL, NULL, FAM_NONE, 0 },
	{ "10.0.0.0/33", -ERANGE, NULL, FAM_NONE, 0 },
	{ "10.0.0.0/100", -ERANGE, NULL, FAM_NONE, 0 },
	{ "0.0.0.0/999", -ERANGE, NULL, FAM_NONE, 0 },
	{ "::/129", -ERANGE, NULL, FAM_NONE, 0 },
	{ "::/999", -ERANGE, NULL, FAM_NONE, 0 },
	/* A bad length is reported before bits past it. */
	{ "10.0.0.1/33", -ERANGE, NULL, FAM_NONE, 0 },
	{ "10.0.0.1/8", -EDOM, NULL, FAM_NONE, 0 },
	{ "10.0.0.0/6", -EDOM, NULL, FAM_NONE, 0 },
	{ "192.168.0.0/12", -EDOM, NULL, FAM_NONE, 0 },
	{ "192.168.1.1/24", -EDOM, NULL, FAM_NONE, 0 },
	{ "1.2.3.4/0", -EDOM, NULL, FAM_NONE, 0 },
	{ "2001:db8::1/64", -EDOM, NULL, FAM_NONE, 0 },
	{ "2001:db8::/16", -EDOM, NULL, FAM_NONE, 0 },
	{ "::1/127", -EDOM, NULL, FAM_NONE, 0 },
	{ "0000:0000:0000:0000:0000:ffff:255.255.255.255/96", -EDOM, NULL,
	  FAM_NONE, 0 },
};

START_TEST(test_cidr)
{
	const struct cidr_case *c = &cidr_cases[_i];
	struct policy_addr out, before;
	unsigned len = 12345;
	uint8_t want[16] = { 0 };
	int af;

	memset(&out, POISON, sizeof(out));
	before = out;
	ck_assert_int_eq(policy_addr_parse_cidr(c->s, &out, &len), c->ret);
	if (c->ret != 0) {
		ck_assert_mem_eq(&out, &before, sizeof(out));
		ck_assert_uint_eq(len, 12345);
		return;
	}
	af = c->fam == FAM_IPV4 ? AF_INET : AF_INET6;
	ck_assert_int_eq(inet_pton(af, c->addr, want), 1);
	ck_assert_uint_eq(out.fam, c->fam);
	ck_assert_mem_eq(out.a, want, sizeof(want));
	ck_assert_uint_eq(len, c->len);
}
END_TEST

/* --- RFC 6052 §3.1: global IPv4 addresses --------------------------------- */

static const struct global_case {
	const char *v4;
	bool global;
} global_cases[] = {
	{"0.1.2.3", false},	    {"1.0.0.1", true},
	{"9.255.255.255", true},    {"10.0.0.0", false},
	{"10.255.255.255", false},  {"11.0.0.2", true},
	{"100.63.255.255", true},   {"100.64.0.0", false},
	{"100.127.255.255", false}, {"100.128.0.0", true},
	{"127.0.0.1", false},	    {"169.254.1.1", false},
	{"172.15.255.255", true},   {"172.16.0.1", false},
	{"172.31.255.255", false},  {"172.32.0.0", true},
	{"192.0.0.170", false},	    {"192.0.1.1", true},
	{"192.0.2.33", false},	    {"192.88.99.1", false},
	{"192.167.255.255", true},  {"192.168.1.1", false},
	{"198.17.255.255", true},   {"198.18.0.1", false},
	{"198.19.255.255", false},  {"198.20.0.0", true},
	{"198.51.100.7", false},    {"203.0.113.9", false},
	{"203.0.114.0", true},	    {"223.255.255.255", true},
	{"224.0.0.1", false},	    {"239.255.255.255", false},
	{"240.0.0.1", false},	    {"255.255.255.255", false},
	{"8.8.8.8", true},
};

START_TEST(test_ipv4_global)
{
	const struct global_case *c = &global_cases[_i];
	struct in_addr v4 = in4(c->v4);

	ck_assert_msg(policy_ipv4_global(&v4) == c->global, "%s: want %s",
		      c->v4, c->global ? "global" : "not global");
}
END_TEST

/*
 * policy_ipv4_nonglobal(): the non-global networks a network overlaps,
 * in address order, as "NET/LEN" joined by spaces ("" for none).
 */
static const struct nonglobal_case {
	const char *net;
	unsigned len;
	const char *want;
} nonglobal_cases[] = {
	/* Inside one range, the range itself, and holding one. */
	{ "10.1.0.0", 16, "10.0.0.0/8" },
	{ "10.0.0.0", 8, "10.0.0.0/8" },
	{ "10.0.0.0", 7, "10.0.0.0/8" },
	{ "192.0.0.170", 32, "192.0.0.0/24" },
	{ "198.18.0.0", 16, "198.18.0.0/15" },
	{ "198.16.0.0", 13, "198.18.0.0/15" },
	{ "100.0.0.0", 9, "100.64.0.0/10" },
	{ "172.0.0.0", 8, "172.16.0.0/12" },
	/* Global networks beside the ranges, touching neither edge. */
	{ "1.2.3.0", 24, "" },
	{ "8.0.0.0", 7, "" },
	{ "11.0.0.0", 8, "" },
	{ "100.128.0.0", 10, "" },
	{ "172.32.0.0", 11, "" },
	{ "192.0.1.0", 24, "" },
	{ "198.20.0.0", 14, "" },
	{ "223.255.255.0", 24, "" },
	/* Several at once. */
	{ "192.0.0.0", 16, "192.0.0.0/24 192.0.2.0/24" },
	{ "192.0.0.0", 8,
	  "192.0.0.0/24 192.0.2.0/24 192.88.99.0/24 192.168.0.0/16" },
	{ "224.0.0.0", 3, "224.0.0.0/4 240.0.0.0/4" },
	{ "128.0.0.0", 1,
	  "169.254.0.0/16 172.16.0.0/12 192.0.0.0/24 192.0.2.0/24 "
	  "192.88.99.0/24 192.168.0.0/16 198.18.0.0/15 198.51.100.0/24 "
	  "203.0.113.0/24 224.0.0.0/4 240.0.0.0/4" },
	{ "0.0.0.0", 0,
	  "0.0.0.0/8 10.0.0.0/8 100.64.0.0/10 127.0.0.0/8 169.254.0.0/16 "
	  "172.16.0.0/12 192.0.0.0/24 192.0.2.0/24 192.88.99.0/24 "
	  "192.168.0.0/16 198.18.0.0/15 198.51.100.0/24 203.0.113.0/24 "
	  "224.0.0.0/4 240.0.0.0/4" },
	/* Bits past len are ignored; a length past 32 counts as 32. */
	{ "10.1.2.3", 8, "10.0.0.0/8" },
	{ "127.0.0.1", 40, "127.0.0.0/8" },
	{ "8.8.8.8", 40, "" },
};

START_TEST(test_ipv4_nonglobal)
{
	const struct nonglobal_case *c = &nonglobal_cases[_i];
	struct policy_ipv4_range out[40];
	struct in_addr net = in4(c->net);
	char got[600] = "", text[INET_ADDRSTRLEN];
	size_t n, i, at = 0;

	memset(out, POISON, sizeof(out));
	n = policy_ipv4_nonglobal(&net, c->len, out, N(out));
	for (i = 0; i < n; i++) {
		ck_assert_ptr_nonnull(out[i].what);
		at += (size_t)snprintf(got + at, sizeof(got) - at, "%s%s/%u",
				       i ? " " : "",
				       inet_ntop(AF_INET, &out[i].net, text,
						 sizeof(text)),
				       out[i].len);
	}
	ck_assert_msg(!strcmp(got, c->want), "%s/%u: got '%s', want '%s'",
		      c->net, c->len, got, c->want);
	/* Only the count when there is no room. */
	ck_assert_uint_eq(policy_ipv4_nonglobal(&net, c->len, NULL, 0), n);
}
END_TEST

/* With less room than ranges: the first ones, and the whole count. */
START_TEST(test_ipv4_nonglobal_room)
{
	struct policy_ipv4_range out[3];
	struct in_addr net = in4("0.0.0.0");
	const uint8_t *b = (const uint8_t *)&out[1].net.s_addr;

	memset(out, POISON, sizeof(out));
	ck_assert_uint_eq(policy_ipv4_nonglobal(&net, 0, out, 2), 15);
	ck_assert_uint_eq(b[0], 10);
	ck_assert_uint_eq(out[1].len, 8);
	ck_assert_str_eq(out[1].what, "RFC 1918");
	ck_assert_uint_eq(out[2].len, 0xa5a5a5a5u);
}
END_TEST

/* --- RFC 7050: the prefix an ipv4only.arpa answer shows ----------------- */

static const struct pref64_case {
	const char *answer;	/* one AAAA record of ipv4only.arpa */
	const char *prefix;	/* NULL: not a synthesized answer */
	unsigned len;
} pref64_cases[] = {
	/* 192.0.0.170 and .171 at each of RFC 6052's lengths. */
	{ "64:ff9b::192.0.0.170", "64:ff9b::", 96 },
	{ "64:ff9b::192.0.0.171", "64:ff9b::", 96 },
	{ "2001:db8:c000:aa::", "2001:db8::", 32 },
	{ "2001:db8:1c0:0:aa::", "2001:db8:100::", 40 },
	{ "2001:db8:122:c000:0:aa00::", "2001:db8:122::", 48 },
	{ "2001:db8:122:3c0:0:ab::", "2001:db8:122:300::", 56 },
	{ "2001:db8:122:344:c0:0:aa00:0", "2001:db8:122:344::", 64 },
	{ "2001:db8:122:344::192.0.0.171", "2001:db8:122:344::", 96 },
	/* A /96 prefix whose own bits spell the well-known address at the
	 * /32 place: the /96 reading wins. */
	{ "2001:db8:c000:aa::192.0.0.170", "2001:db8:c000:aa::", 96 },
	/* Not synthesized: a real AAAA, another IPv4 address, the u-octet
	 * or the suffix set, the mapped form of a /96 with the u-octet. */
	{ "2001:db8::1", NULL, 0 },
	{ "64:ff9b::192.0.0.172", NULL, 0 },
	{ "64:ff9b::192.0.2.1", NULL, 0 },
	{ "2001:db8:c000:aa:1::", NULL, 0 },
	{ "2001:db8:c000:aa::1", NULL, 0 },
	{ "2001:db8:122:344:c0:0:aa00:1", NULL, 0 },
	{ "64:ff9b:0:0:100::192.0.0.170", NULL, 0 },
	{ "::", NULL, 0 },
};

START_TEST(test_pref64_of)
{
	const struct pref64_case *c = &pref64_cases[_i];
	struct in6_addr answer = in6(c->answer), prefix, want;
	unsigned len = 12345;
	int ret;

	memset(&prefix, POISON, sizeof(prefix));
	ret = policy_pref64_of(&answer, &prefix, &len);
	if (!c->prefix) {
		ck_assert_msg(ret == -ENOENT, "%s: %d, want -ENOENT",
			      c->answer, ret);
		ck_assert_uint_eq(len, 12345);
		return;
	}
	ck_assert_msg(ret == 0, "%s: %d, want 0", c->answer, ret);
	want = in6(c->prefix);
	ck_assert_mem_eq(&prefix, &want, sizeof(want));
	ck_assert_uint_eq(len, c->len);
}
END_TEST

/* The addr suite, for tests/check_run.c's main(). */
Suite *check_suite(void)
{
	Suite *s = suite_create("addr");
	TCase *tc;

	tc = tcase_create("rfc6052");
	tcase_add_loop_test(tc, test_embed, 0, N(embed_cases));
	tcase_add_loop_test(tc, test_extract, 0, N(embed_cases));
	tcase_add_loop_test(tc, test_extract_bad_len, 0, N(bad_lens));
	tcase_add_loop_test(tc, test_pref64_of, 0, N(pref64_cases));
	tcase_add_loop_test(tc, test_ipv4_global, 0, N(global_cases));
	tcase_add_loop_test(tc, test_ipv4_nonglobal, 0, N(nonglobal_cases));
	tcase_add_test(tc, test_ipv4_nonglobal_room);
	suite_add_tcase(s, tc);

	tc = tcase_create("prefix");
	tcase_add_loop_test(tc, test_prefix_check, 0, N(prefix_cases));
	tcase_add_loop_test(tc, test_embed_checks_prefix, 0, N(prefix_cases));
	suite_add_tcase(s, tc);

	tc = tcase_create("parse");
	tcase_add_loop_test(tc, test_addr_parse, 0, N(parse_cases));
	tcase_add_test(tc, test_addr_parse_null);
	tcase_add_loop_test(tc, test_host_fam, 0, N(host_fam_cases));
	suite_add_tcase(s, tc);

	tc = tcase_create("format");
	tcase_add_loop_test(tc, test_format, 0, N(format_cases));
	tcase_add_loop_test(tc, test_format_bad_fam, 0, N(bad_fams));
	suite_add_tcase(s, tc);

	tc = tcase_create("cidr");
	tcase_add_loop_test(tc, test_cidr, 0, N(cidr_cases));
	suite_add_tcase(s, tc);

	return s;
}
