/* SPDX-License-Identifier: MIT */
/*
 * addr.c - addresses: literals, CIDR prefixes and RFC 6052 embedding.
 *
 * Everything here works on objects and buffers its caller owns.  Nothing
 * allocates, prints or keeps state, and no output is written unless the call
 * succeeds, so a caller may pass its current value and keep it on error.
 */
#include "config.h"

#include <errno.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <string.h>

#include "policy.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/*
 * The families an address literal may have, in the order they are tried.
 * bits is the family's width, the default and largest prefix length.
 */
static const struct addr_family {
	unsigned fam;
	int af;
	unsigned bits;
} addr_families[] = {
	{ FAM_IPV4, AF_INET, 32 },
	{ FAM_IPV6, AF_INET6, 128 },
};

/*
 * The longest valid address text is "0000:0000:0000:0000:0000:ffff:" followed
 * by "255.255.255.255", 45 characters; INET6_ADDRSTRLEN (46) holds it and its
 * NUL, so an address part that does not fit is malformed.
 */
#define ADDR_TEXT_MAX INET6_ADDRSTRLEN

/* LEN in "ADDR/LEN" has at most this many decimal digits. */
#define CIDR_LEN_DIGITS 3

/*
 * Where RFC 6052 §2.2 puts each byte of the IPv4 address inside the IPv6
 * address, for each prefix length it defines.  Byte 8 holds bits 64-71, the
 * u-octet, which no layout uses: it stays zero.
 */
static const struct rfc6052_layout {
	unsigned len;
	uint8_t pos[4];
} rfc6052_layouts[] = {
	{ 32, { 4, 5, 6, 7 } },
	{ 40, { 5, 6, 7, 9 } },
	{ 48, { 6, 7, 9, 10 } },
	{ 56, { 7, 9, 10, 11 } },
	{ 64, { 9, 10, 11, 12 } },
	{ 96, { 12, 13, 14, 15 } },
};

#define RFC6052_UOCTET 8

static const struct addr_family *addr_family_find(unsigned fam)
{
	size_t i;

	for (i = 0; i < ARRAY_LEN(addr_families); i++)
		if (addr_families[i].fam == fam)
			return &addr_families[i];
	return NULL;
}

static const struct rfc6052_layout *rfc6052_layout_find(unsigned len)
{
	size_t i;

	for (i = 0; i < ARRAY_LEN(rfc6052_layouts); i++)
		if (rfc6052_layouts[i].len == len)
			return &rfc6052_layouts[i];
	return NULL;
}

/*
 * Whether any bit at or past bit len is set in the first size bytes of a.
 * len must not exceed size * 8.
 */
static bool bits_set_past(const uint8_t *a, size_t size, unsigned len)
{
	size_t i = len / 8;

	if (len % 8 != 0 && (a[i++] & (0xffu >> (len % 8))) != 0)
		return true;
	for (; i < size; i++)
		if (a[i] != 0)
			return true;
	return false;
}

/*
 * policy_addr_parse - parse an IPv4 dotted quad or an IPv6 literal into out.
 * inet_pton() decides what is valid, so "1.2.3", "01.2.3.4", surrounding
 * white space and scoped addresses ("fe80::1%eth0") are all refused.  An
 * IPv4-mapped literal stays FAM_IPV6.  The bytes of out->a past the address
 * are zeroed.  Returns 0, or -EINVAL (out untouched).
 */
int policy_addr_parse(const char *s, struct policy_addr *out)
{
	struct policy_addr addr;
	size_t i;

	if (s == NULL)
		return -EINVAL;
	for (i = 0; i < ARRAY_LEN(addr_families); i++) {
		memset(&addr, 0, sizeof(addr));
		if (inet_pton(addr_families[i].af, s, addr.a) == 1) {
			addr.fam = addr_families[i].fam;
			*out = addr;
			return 0;
		}
	}
	return -EINVAL;
}

/*
 * policy_addr_host_fam - FAM_IPV4 for an IPv4 address or an IPv4-mapped IPv6
 * address (::ffff:a.b.c.d), FAM_IPV6 for any other.  IPv4-compatible
 * (::a.b.c.d) and RFC 6052 addresses are IPv6 hosts: they are reached over
 * IPv6.
 */
unsigned policy_addr_host_fam(const struct policy_addr *addr)
{
	static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };

	if (addr->fam == FAM_IPV4)
		return FAM_IPV4;
	if (memcmp(addr->a, mapped, sizeof(mapped)) == 0)
		return FAM_IPV4;
	return FAM_IPV6;
}

/* policy_addr_class - see policy.h. */
unsigned policy_addr_class(const struct policy_addr *addr)
{
	unsigned fam = policy_addr_host_fam(addr);
	const uint8_t *v4 = addr->fam == FAM_IPV4 ? addr->a : addr->a + 12;

	return fam == FAM_IPV4 && v4[0] == 127 ? FAM_IPV4 | FAM_LOOP4 : fam;
}

/*
 * policy_addr_format - addr as inet_ntop() text in buf.  Returns buf, or NULL
 * when len is too small for the text and its NUL (errno ENOSPC, from
 * inet_ntop()) or addr->fam is neither FAM_IPV4 nor FAM_IPV6.
 */
const char *policy_addr_format(const struct policy_addr *addr, char *buf,
			       size_t len)
{
	const struct addr_family *f = addr_family_find(addr->fam);

	if (f == NULL)
		return NULL;
	/* inet_ntop() takes a socklen_t and never needs more than this. */
	if (len > ADDR_TEXT_MAX)
		len = ADDR_TEXT_MAX;
	return inet_ntop(f->af, addr->a, buf, (socklen_t)len);
}

/*
 * Parse the LEN of "ADDR/LEN": one to CIDR_LEN_DIGITS decimal digits and
 * nothing else (-EINVAL), at most max (-ERANGE).
 */
static int cidr_len_parse(const char *s, unsigned max, unsigned *len)
{
	size_t n = strnlen(s, CIDR_LEN_DIGITS + 1);
	unsigned long v;
	int err;

	/* Leading zeros count: "/0032" is malformed, not 32. */
	if (n > CIDR_LEN_DIGITS)
		return -EINVAL;
	err = policy_decimal_parse(s, n, 0, max, &v, NULL);
	if (err == 0)
		*len = (unsigned)v;
	return err;
}

/*
 * policy_addr_parse_cidr - parse "ADDR" or "ADDR/LEN" into out and len.  ADDR
 * is as for policy_addr_parse(); without /LEN, len is 32 or 128.  LEN is one
 * to three decimal digits (leading zeros allowed) with no sign or space.
 * Checks in this order: -EINVAL for a malformed address or length, -ERANGE
 * for a length past the family's width, -EDOM when a bit past the prefix is
 * set ("10.0.0.1/8").  An IPv4-mapped ADDR is IPv6 and takes an IPv6 length.
 * Returns 0; on error out and len are untouched.
 */
int policy_addr_parse_cidr(const char *s, struct policy_addr *out,
			   unsigned *len)
{
	char text[ADDR_TEXT_MAX];
	struct policy_addr addr;
	const char *slash;
	unsigned bits, plen;
	size_t n;
	int err;

	if (s == NULL)
		return -EINVAL;
	slash = strchr(s, '/');
	n = slash != NULL ? (size_t)(slash - s) : strlen(s);
	if (n >= sizeof(text))
		return -EINVAL;
	memcpy(text, s, n);
	text[n] = '\0';
	err = policy_addr_parse(text, &addr);
	if (err != 0)
		return err;

	bits = addr_family_find(addr.fam)->bits;
	plen = bits;
	if (slash != NULL) {
		err = cidr_len_parse(slash + 1, bits, &plen);
		if (err != 0)
			return err;
	}
	if (bits_set_past(addr.a, bits / 8, plen))
		return -EDOM;
	*out = addr;
	*len = plen;
	return 0;
}

/*
 * policy_prefix_check - whether prefix/len can hold embedded IPv4 addresses.
 * Checks in this order: -ERANGE unless len is 32, 40, 48, 56, 64 or 96;
 * -EDOM when a bit past len is set; -EBADMSG when the u-octet (byte 8) is
 * nonzero, which only a /96 can reach since shorter prefixes fail -EDOM
 * first.  ::ffff:0:0/96 passes.  Returns 0 for a usable prefix.
 */
int policy_prefix_check(const struct in6_addr *prefix, unsigned len)
{
	if (rfc6052_layout_find(len) == NULL)
		return -ERANGE;
	if (bits_set_past(prefix->s6_addr, sizeof(prefix->s6_addr), len))
		return -EDOM;
	if (prefix->s6_addr[RFC6052_UOCTET] != 0)
		return -EBADMSG;
	return 0;
}

/*
 * policy_rfc6052_embed - out = the first len bits of prefix, v4 at the place
 * RFC 6052 §2.2 gives it for len, and zeros everywhere else (the u-octet and
 * the suffix).  out may be prefix.  Returns 0, or -EINVAL (out untouched)
 * when policy_prefix_check() refuses prefix/len.
 */
int policy_rfc6052_embed(const struct in6_addr *prefix, unsigned len,
			 const struct in_addr *v4, struct in6_addr *out)
{
	const struct rfc6052_layout *l = rfc6052_layout_find(len);
	const uint8_t *b = (const uint8_t *)&v4->s_addr;
	struct in6_addr a;
	size_t i;

	if (policy_prefix_check(prefix, len) != 0)
		return -EINVAL;
	memset(&a, 0, sizeof(a));
	/* Every defined length is whole bytes. */
	memcpy(a.s6_addr, prefix->s6_addr, len / 8);
	for (i = 0; i < sizeof(l->pos); i++)
		a.s6_addr[l->pos[i]] = b[i];
	*out = a;
	return 0;
}

/* The bytes of an address of a prefix of len that are neither the
 * prefix's nor the embedded IPv4 address's: the u-octet and the suffix. */
static bool rfc6052_rest_zero(const struct in6_addr *addr,
			      const struct rfc6052_layout *l)
{
	size_t i, j;

	for (i = l->len / 8; i < sizeof(addr->s6_addr); i++) {
		for (j = 0; j < sizeof(l->pos) && l->pos[j] != i; j++)
			;
		if (j == sizeof(l->pos) && addr->s6_addr[i])
			return false;
	}
	return true;
}

/*
 * The IPv4 networks that are not global, which RFC 6052 §3.1 forbids the
 * well-known prefix 64:ff9b::/96 to carry: those RFC 5735 §3 lists (RFC
 * 1918's among them) and RFC 6598's shared address space.  In address
 * order, so that a list of them reads as the address space does.
 */
static const struct {
	uint8_t net[4];
	unsigned len;
	const char *what;
} ipv4_nonglobal[] = {
	{{0, 0, 0, 0}, 8, "this network"},
	{{10, 0, 0, 0}, 8, "RFC 1918"},
	{{100, 64, 0, 0}, 10, "shared address space, RFC 6598"},
	{{127, 0, 0, 0}, 8, "loopback"},
	{{169, 254, 0, 0}, 16, "link local"},
	{{172, 16, 0, 0}, 12, "RFC 1918"},
	{{192, 0, 0, 0}, 24, "IETF protocol assignments"},
	{{192, 0, 2, 0}, 24, "TEST-NET-1"},
	{{192, 88, 99, 0}, 24, "6to4 relay anycast"},
	{{192, 168, 0, 0}, 16, "RFC 1918"},
	{{198, 18, 0, 0}, 15, "benchmarking"},
	{{198, 51, 100, 0}, 24, "TEST-NET-2"},
	{{203, 0, 113, 0}, 24, "TEST-NET-3"},
	{{224, 0, 0, 0}, 4, "multicast"},
	{{240, 0, 0, 0}, 4, "reserved, and the broadcast"},
};

/* The network mask of a prefix of len bits (0 to 32), host order. */
static uint32_t ipv4_mask(unsigned len)
{
	return len ? ~0u << (32 - len) : 0;
}

/*
 * policy_ipv4_nonglobal - see policy.h.  Two networks overlap when they
 * agree on the bits of the shorter prefix: then one holds the other.
 */
size_t policy_ipv4_nonglobal(const struct in_addr *net, unsigned len,
			     struct policy_ipv4_range *out, size_t max)
{
	uint32_t a = ntohl(net->s_addr), b, mask;
	size_t i, n = 0;

	if (len > 32)
		len = 32;
	for (i = 0; i < ARRAY_LEN(ipv4_nonglobal); i++) {
		memcpy(&b, ipv4_nonglobal[i].net, sizeof(b));
		b = ntohl(b);
		mask = ipv4_mask(len < ipv4_nonglobal[i].len
					 ? len : ipv4_nonglobal[i].len);
		if ((a & mask) != (b & mask))
			continue;
		if (n < max) {
			out[n].net.s_addr = htonl(b);
			out[n].len = ipv4_nonglobal[i].len;
			out[n].what = ipv4_nonglobal[i].what;
		}
		n++;
	}
	return n;
}

/*
 * policy_ipv4_global - whether v4 is a global address: it overlaps none
 * of ipv4_nonglobal[] as a /32.
 */
bool policy_ipv4_global(const struct in_addr *v4)
{
	return policy_ipv4_nonglobal(v4, 32, NULL, 0) == 0;
}

/*
 * policy_pref64_of - the NAT64 prefix that addr, one AAAA answer for
 * ipv4only.arpa, shows (RFC 7050 §3).  The name's A records are the
 * well-known 192.0.0.170 and 192.0.0.171 (§2.2), so a DNS64 answer holds
 * one of them where RFC 6052 §2.2 puts the IPv4 address for the prefix
 * length the translator uses, with the u-octet and the suffix zero.
 * The lengths are tried from 96 down, so that a prefix whose own bits
 * spell a well-known address is not taken for a shorter one.  Returns 0
 * with prefix/len filled, or -ENOENT when addr was not synthesized.
 */
int policy_pref64_of(const struct in6_addr *addr, struct in6_addr *prefix,
		     unsigned *len)
{
	static const uint8_t wka[3] = {192, 0, 0};
	const struct rfc6052_layout *l;
	struct in_addr v4;
	const uint8_t *b = (const uint8_t *)&v4.s_addr;
	size_t i;

	for (i = ARRAY_LEN(rfc6052_layouts); i-- > 0;) {
		l = &rfc6052_layouts[i];
		policy_rfc6052_extract(addr, l->len, &v4);
		if (memcmp(b, wka, sizeof(wka)) || (b[3] != 170 && b[3] != 171) ||
		    !rfc6052_rest_zero(addr, l))
			continue;
		memset(prefix, 0, sizeof(*prefix));
		memcpy(prefix->s6_addr, addr->s6_addr, l->len / 8);
		if (policy_prefix_check(prefix, l->len) != 0)
			continue;
		*len = l->len;
		return 0;
	}
	return -ENOENT;
}

/*
 * policy_pref64_find - the first prefix an answer of list (getaddrinfo's,
 * for ipv4only.arpa) shows by policy_pref64_of(); -ENOENT when none does.
 */
int policy_pref64_find(const struct addrinfo *list, struct in6_addr *prefix,
		       unsigned *len)
{
	const struct addrinfo *ai;
	struct sockaddr_in6 sin6;

	for (ai = list; ai; ai = ai->ai_next) {
		if (ai->ai_family != AF_INET6 || !ai->ai_addr ||
		    ai->ai_addrlen < sizeof(sin6))
			continue;
		memcpy(&sin6, ai->ai_addr, sizeof(sin6));
		if (policy_pref64_of(&sin6.sin6_addr, prefix, len) == 0)
			return 0;
	}
	return -ENOENT;
}

/*
 * policy_rfc6052_extract - v4 = the IPv4 address that RFC 6052 §2.2 places in
 * addr for a prefix of length len.  The prefix bits, the u-octet and the
 * suffix are not looked at.  Returns 0, or -EINVAL (v4 untouched) when len is
 * not 32, 40, 48, 56, 64 or 96.
 */
int policy_rfc6052_extract(const struct in6_addr *addr, unsigned len,
			   struct in_addr *v4)
{
	const struct rfc6052_layout *l = rfc6052_layout_find(len);
	uint8_t b[sizeof(l->pos)];
	size_t i;

	if (l == NULL)
		return -EINVAL;
	for (i = 0; i < sizeof(b); i++)
		b[i] = addr->s6_addr[l->pos[i]];
	memcpy(&v4->s_addr, b, sizeof(b));
	return 0;
}
