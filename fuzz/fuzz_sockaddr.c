/* SPDX-License-Identifier: MIT */
/*
 * fuzz_sockaddr.c - libFuzzer target: the socket-address translators of
 * shim/sockaddr.c and shim/handback.c: sockaddr_parse(), sockaddr_make(),
 * sockaddr_v4(), sockaddr_is_any(), handback_unupgrade() with and without
 * a policy, handback_copy_out(), handback_show() and
 * sockaddr_rule_addr().
 *
 * The input: one byte choosing the policy (its translate-prefix and
 * peer-pool; bit 5: unupgrade without a policy), then records until the
 * input ends, at most 16:
 *	u8 flags (bit 0: ask make() for a wildcard; bit 1: copy_out() to a
 *	   NULL buffer when its length is 0), u8 len, len bytes of address
 *	   (any family), u8 dstlen
 * Each address is given in a buffer of exactly len bytes, so that a read
 * past len is an ASan error, and copy_out() and show() write into one of
 * exactly dstlen bytes.  Checked, beyond memory safety and UB:
 *   - parse() accepts exactly AF_INET of 16 bytes or more and AF_INET6 of
 *     24 or more, and reads each field from its place (scope_id 0 under
 *     28 bytes);
 *   - make() writes AF_INET for an address that holds an IPv4 one (0
 *     otherwise) and AF_INET6 always, of the family's length, that parse()
 *     reads back to the same address and port (an IPv4 one as
 *     ::ffff:a.b.c.d, 0.0.0.0 as :: for a wildcard), and make() of that is
 *     the same bytes again; is_any() is kept;
 *   - unupgrade() leaves anything but an AF_INET6 address as it is; turns
 *     one into a sockaddr_in of 16 bytes with its port: 0.0.0.0 for ::, the
 *     IPv4 address that a mapped one or one in the translate-prefix holds,
 *     or, with a policy, a peer-pool address inside the pool that leads
 *     back to it; leaves a native one as it is without a policy; ENOBUFS
 *     (nothing changed) only with a policy and a full pool;
 *   - copy_out() copies min(dstlen, srclen) bytes and reports srclen;
 *   - show() (its mapped shortcut included) gives what unupgrade() then
 *     copy_out() give, the same error, and leaves its source alone;
 *   - rule_addr() gives the IPv4 address policy_addr_v4() finds, else the
 *     address itself, zero past the family's width.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz/fuzz.h"
#include "fuzz/shim_env.h"
#include "policy.h"
#include "shim/sockaddr.h"
#include "shim/handback.h"

static const char *const prefixes[] = {
	NULL,			/* the default, ::ffff:0:0/96 */
	"64:ff9b::/96",
	"2001:db8::/32",
	"2001:db8:100::/40",
	"2001:db8:122::/48",
	"2001:db8:122:300::/56",
	"2001:db8:122:344::/64",
	"2001:db8:a:b::/96",
};

static const char *const pools[] = {
	NULL,			/* the default, 198.18.0.0/15 */
	"10.0.0.0/30",
	"192.0.2.0/24",
	"100.64.0.0/10",
};

#define NPREFIXES (sizeof(prefixes) / sizeof(prefixes[0]))
#define NPOOLS (sizeof(pools) / sizeof(pools[0]))

static struct policy *policies[NPREFIXES][NPOOLS];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct policy_error err;
	size_t i, j;

	(void)argc;
	(void)argv;
	for (i = 0; i < NPREFIXES; i++)
		for (j = 0; j < NPOOLS; j++) {
			struct policy *p = policy_new();

			FUZZ_CHECK(p);
			if (prefixes[i])
				FUZZ_CHECK(!policy_set(p, "translate-prefix",
						       prefixes[i], "fuzz",
						       &err));
			if (pools[j])
				FUZZ_CHECK(!policy_set(p, "peer-pool", pools[j],
						       "fuzz", &err));
			policies[i][j] = p;
		}
	return 0;
}

static const uint8_t mapped_prefix[12] = {[10] = 0xff, [11] = 0xff};

static void check_parse(const uint8_t *raw, socklen_t len, bool ok,
			const struct sockaddr_inet *in)
{
	sa_family_t fam = 0;
	uint32_t u32;
	uint16_t u16;

	if (len >= sizeof(fam))
		memcpy(&fam, raw, sizeof(fam));
	FUZZ_CHECK(ok == ((fam == AF_INET && len >= 16) ||
			  (fam == AF_INET6 && len >= 24)));
	if (!ok)
		return;
	memcpy(&u16, raw + 2, 2);
	FUZZ_CHECK(in->port == u16);
	if (fam == AF_INET) {
		static const uint8_t zero[12];

		FUZZ_CHECK(in->addr.fam == FAM_IPV4);
		FUZZ_CHECK(!memcmp(in->addr.a, raw + 4, 4));
		FUZZ_CHECK(!memcmp(in->addr.a + 4, zero, 12));
		FUZZ_CHECK(!in->flowinfo && !in->scope_id);
		return;
	}
	FUZZ_CHECK(in->addr.fam == FAM_IPV6);
	FUZZ_CHECK(!memcmp(in->addr.a, raw + 8, 16));
	memcpy(&u32, raw + 4, 4);
	FUZZ_CHECK(in->flowinfo == u32);
	u32 = 0;
	if (len >= 28)
		memcpy(&u32, raw + 24, 4);
	FUZZ_CHECK(in->scope_id == u32);
}

static void check_make(const struct sockaddr_inet *in, bool wildcard)
{
	struct sockaddr_storage ss, again;
	struct sockaddr_inet out;
	struct in_addr v4, v4out;
	bool is_v4 = sockaddr_v4(in, &v4);
	socklen_t n;

	FUZZ_CHECK(is_v4 == (in->addr.fam == FAM_IPV4 ||
			     !memcmp(in->addr.a, mapped_prefix, 12)));
	n = sockaddr_make(in, AF_INET, wildcard, &ss);
	FUZZ_CHECK(n == (is_v4 ? sizeof(struct sockaddr_in) : 0));
	if (n) {
		FUZZ_CHECK(ss.ss_family == AF_INET);
		FUZZ_CHECK(sockaddr_parse((struct sockaddr *)&ss, n, &out));
		FUZZ_CHECK(out.addr.fam == FAM_IPV4 && out.port == in->port);
		FUZZ_CHECK(sockaddr_v4(&out, &v4out) &&
			   v4out.s_addr == v4.s_addr);
		FUZZ_CHECK(sockaddr_is_any(&out) == sockaddr_is_any(in));
		FUZZ_CHECK(sockaddr_make(&out, AF_INET, wildcard, &again) == n);
		FUZZ_CHECK(!memcmp(&ss, &again, sizeof(ss)));
	}
	n = sockaddr_make(in, AF_INET6, wildcard, &ss);
	FUZZ_CHECK(n == sizeof(struct sockaddr_in6));
	FUZZ_CHECK(ss.ss_family == AF_INET6);
	FUZZ_CHECK(sockaddr_parse((struct sockaddr *)&ss, n, &out));
	FUZZ_CHECK(out.addr.fam == FAM_IPV6 && out.port == in->port);
	FUZZ_CHECK(sockaddr_is_any(&out) == sockaddr_is_any(in));
	if (is_v4 && wildcard && v4.s_addr == htonl(INADDR_ANY)) {
		static const uint8_t zero[16];

		FUZZ_CHECK(!memcmp(out.addr.a, zero, 16));
	} else if (is_v4) {
		FUZZ_CHECK(sockaddr_v4(&out, &v4out) &&
			   v4out.s_addr == v4.s_addr);
	} else {
		FUZZ_CHECK(!memcmp(out.addr.a, in->addr.a, 16));
		FUZZ_CHECK(out.flowinfo == in->flowinfo);
		FUZZ_CHECK(out.scope_id == in->scope_id);
	}
	FUZZ_CHECK(sockaddr_make(&out, AF_INET6, wildcard, &again) == n);
	FUZZ_CHECK(!memcmp(&ss, &again, sizeof(ss)));
}

static void check_rule_addr(const struct policy *p,
			    const struct sockaddr_inet *in)
{
	struct policy_addr out;
	struct in_addr v4;
	static const uint8_t zero[12];

	sockaddr_rule_addr(p, in, &out);
	if (policy_addr_v4(p, &in->addr, &v4)) {
		FUZZ_CHECK(out.fam == FAM_IPV4);
		FUZZ_CHECK(!memcmp(out.a, &v4, 4));
		FUZZ_CHECK(!memcmp(out.a + 4, zero, 12));
	} else {
		FUZZ_CHECK(out.fam == FAM_IPV6);
		FUZZ_CHECK(!memcmp(&out, &in->addr, sizeof(out)));
	}
}

/* The IPv4 address the program of an upgraded socket is shown for in. */
static void check_unupgrade(const struct policy *p, const uint8_t *raw,
			    socklen_t len, bool parsed,
			    const struct sockaddr_inet *in)
{
	struct sockaddr_storage ss, orig;
	struct sockaddr_in sin;
	struct in6_addr v6;
	struct in_addr v4;
	socklen_t slen = len, n = len < sizeof(ss) ? len : sizeof(ss);
	static const uint8_t zero[sizeof(ss)];
	int r;

	memset(&ss, 0, sizeof(ss));
	memcpy(&ss, raw, n);
	orig = ss;
	r = handback_unupgrade(p, &ss, &slen);
	FUZZ_CHECK(r == 0 || r == ENOBUFS);
	if (!parsed || in->addr.fam != FAM_IPV6 || r == ENOBUFS) {
		FUZZ_CHECK(!r || p);
		FUZZ_CHECK(slen == len && !memcmp(&ss, &orig, sizeof(ss)));
		return;
	}
	if (!p && !sockaddr_is_any(in) && !sockaddr_v4(in, &v4)) {
		/* Without a policy a native IPv6 address stays. */
		FUZZ_CHECK(slen == len && !memcmp(&ss, &orig, sizeof(ss)));
		return;
	}
	FUZZ_CHECK(slen == sizeof(sin));
	FUZZ_CHECK(!memcmp((uint8_t *)&ss + sizeof(sin), zero,
			   sizeof(ss) - sizeof(sin)));
	memcpy(&sin, &ss, sizeof(sin));
	FUZZ_CHECK(sin.sin_family == AF_INET && sin.sin_port == in->port);
	FUZZ_CHECK(!memcmp(sin.sin_zero, zero, sizeof(sin.sin_zero)));
	if (IN6_IS_ADDR_UNSPECIFIED((struct in6_addr *)in->addr.a)) {
		FUZZ_CHECK(sin.sin_addr.s_addr == htonl(INADDR_ANY));
	} else if (p ? policy_addr_v4(p, &in->addr, &v4)
		     : sockaddr_v4(in, &v4)) {
		FUZZ_CHECK(sin.sin_addr.s_addr == v4.s_addr);
	} else {
		FUZZ_CHECK(p);
		FUZZ_CHECK(pool_v6_of(p, &sin.sin_addr, &v6));
		FUZZ_CHECK(!memcmp(&v6, in->addr.a, 16));
	}
}

static void check_copy_out(const struct sockaddr_storage *src,
			   socklen_t srclen, socklen_t dstlen, bool null_ok)
{
	uint8_t *dst = (dstlen || !null_ok) ? malloc(dstlen ? dstlen : 1)
					    : NULL;
	socklen_t n = dstlen < srclen ? dstlen : srclen, got = dstlen;

	if (dst)
		memset(dst, 0xa5, dstlen);
	handback_copy_out(src, srclen, (struct sockaddr *)dst, &got);
	FUZZ_CHECK(got == srclen);
	if (n)
		FUZZ_CHECK(!memcmp(dst, src, n));
	free(dst);
}

/*
 * What a hook hands the program for the kernel's address ss of slen bytes
 * (at most a sockaddr_storage, as the kernel gives), into a buffer of
 * dstlen bytes: handback_show() against handback_unupgrade() and a copy.
 */
static void check_show(const struct policy *p,
		       const struct sockaddr_storage *ss, socklen_t slen,
		       socklen_t dstlen)
{
	struct sockaddr_storage src = *ss, want = *ss;
	socklen_t wantlen = slen, got = dstlen, n, i;
	uint8_t *dst = malloc(dstlen ? dstlen : 1);
	int r, w;

	FUZZ_CHECK(dst);
	memset(dst, 0xa5, dstlen);
	w = handback_unupgrade(p, &want, &wantlen);
	r = handback_show(p, &src, slen, (struct sockaddr *)dst, &got);
	FUZZ_CHECK(r == w);
	FUZZ_CHECK(!memcmp(&src, ss, sizeof(src)));
	n = r ? 0 : dstlen < wantlen ? dstlen : wantlen;
	FUZZ_CHECK(got == (r ? dstlen : wantlen));
	if (n)
		FUZZ_CHECK(!memcmp(dst, &want, n));
	for (i = n; i < dstlen; i++)
		FUZZ_CHECK(dst[i] == 0xa5);
	free(dst);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = {data, size};
	uint8_t choice = fz_u8(&in);
	const struct policy *p =
		policies[choice % NPREFIXES][(choice >> 3) % NPOOLS];
	unsigned records;

	fuzz_env_reset(p);
	for (records = 0; in.n && records < 16; records++) {
		uint8_t flags = fz_u8(&in);
		socklen_t len = fz_u8(&in);
		uint8_t *raw = malloc(len ? len : 1);
		struct sockaddr_storage ss;
		struct sockaddr_inet sa;
		socklen_t slen, dstlen;
		bool ok;

		FUZZ_CHECK(raw);
		fz_bytes(&in, raw, len);
		ok = sockaddr_parse((struct sockaddr *)raw, len, &sa);
		check_parse(raw, len, ok, &sa);
		if (ok) {
			check_make(&sa, flags & 1);
			check_rule_addr(p, &sa);
		}
		check_unupgrade(choice & 0x20 ? NULL : p, raw, len, ok, &sa);
		/* What a hook hands the program: the address, cut short. */
		memset(&ss, 0, sizeof(ss));
		slen = len < sizeof(ss) ? len : sizeof(ss);
		memcpy(&ss, raw, slen);
		dstlen = fz_u8(&in);
		check_copy_out(&ss, slen, dstlen, flags & 2);
		check_show(choice & 0x20 ? NULL : p, &ss, slen, dstlen);
		free(raw);
	}
	return 0;
}
