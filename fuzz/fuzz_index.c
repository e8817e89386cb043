/* SPDX-License-Identifier: MIT */
/*
 * fuzz_index.c - libFuzzer target: the rule index image (policy/image.c,
 * policy/match.c) as a process that maps a compiled policy meets it:
 * truncated, bit-flipped or hostile bytes, opened with match_open() and
 * looked up.
 *
 * The input's first byte is a mode:
 *   - odd: the rest of the input is the image, whole (checksums and all:
 *     a fuzzer seldom gets past the head's checksum, but the head's checks
 *     run on every byte it finds);
 *   - even: a valid image of a fixed config (global and section rules,
 *     long names, runs, several prefix lengths) is edited by the input's
 *     (offset, xor) pairs, then, with mode bit 1, resealed (every checksum
 *     written again: a hostile image whose checksums hold, the case only
 *     the bounds checks of match.c stand against), and with mode bit 2 cut
 *     short by up to 64 KiB.
 * The bytes are copied to a buffer of exactly their length, so that ASan
 * sees a read past the end.  When the image opens, lookups of addresses
 * (IPv4, IPv6, mapped) and names made of the input's bytes run under a
 * selection the input picks.  Checked, beyond memory safety, UB and the
 * end of every lookup (libFuzzer's timeout): a lookup that fails is a deny
 * naming no line; the unedited image answers every lookup as the policy
 * that built it does.
 */
#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "internal.h"

static const char conf[] =
	"deny = 10.0.0.0/8\n"
	"allow = 10.1.0.0/16 443 tcp\n"
	"deny = 10.1.2.0/24 22\n"
	"map = 10.1.2.3\n"
	"deny = 192.0.2.0/25\n"
	"allow = 2001:db8::/32\n"
	"deny = 2001:db8:1::/48 80 udp\n"
	"allow = ::ffff:198.51.100.0/120\n"
	"deny = a-rather-long-host-name.example.org 443\n"
	"allow = *.example.org\n"
	"deny = short.test\n"
	"[program one]\n"
	"allow = 10.0.0.0/8 80\n"
	"deny = 203.0.113.0/24\n"
	"map = *.example.org 8080\n"
	"[program two]\n"
	"allow = 192.0.2.0/25\n"
	"deny = another-quite-long-name.example.net\n";

static struct policy *policy;
static void *image;
static size_t image_len;

/* The config parsed and its image built, once. */
static void fuzz_setup(void)
{
	struct policy_error err;

	if (policy)
		return;
	policy = policy_new();
	if (!policy || policy_parse_buffer(policy, "fuzz.conf", conf,
					   strlen(conf), &err) != 0 ||
	    match_build(policy->rules, policy->nrules, &image, &image_len))
		abort();
}

static void fuzz_fail(const char *what)
{
	fprintf(stderr, "invariant failed: %s\n", what);
	abort();
}

/* A failed lookup is a deny naming no line. */
static void fuzz_check_rec(bool found, const struct match_rec *r)
{
	if (found && r->failed && (r->action != RULE_DENY || r->line))
		fuzz_fail("a failed lookup that is not a lineless deny");
}

/* The same lookup through the policy (its own trusted index). */
static void fuzz_compare(bool found, const struct match_rec *r, bool pfound,
			 const struct policy_rule *pr)
{
	if (found != pfound ||
	    (found && (r->line != pr->line ||
		       r->action != (unsigned)pr->action)))
		fuzz_fail("the unedited image answers unlike the policy");
}

/* Lookups of what the input gives, under selection sel. */
static void fuzz_lookups(const struct match_index *ix,
			 const struct match_sel *sel, struct fuzz_in *in,
			 bool intact)
{
	static const char *const names[] = {
		"a-rather-long-host-name.example.org", "www.example.org",
		"short.test", "x.short.test", "another-quite-long-name.example.net",
		"Example.ORG.", "",
	};
	struct policy_addr a;
	struct policy_rule pr;
	struct match_rec r;
	char name[64];
	unsigned i, k;
	uint16_t port;
	enum policy_proto proto;
	bool found, pfound;

	for (i = 0; i < 8; i++) {
		memset(&a, 0, sizeof(a));
		k = fz_u8(in);
		a.fam = k & 1 ? FAM_IPV6 : FAM_IPV4;
		fz_bytes(in, a.a, a.fam == FAM_IPV4 ? 4 : 16);
		if (k & 2) {
			memmove(a.a + 12, a.a, 4);
			memset(a.a, 0, 10);
			a.a[10] = a.a[11] = 0xff;
			a.fam = FAM_IPV6;
		}
		port = fz_u16(in);
		proto = (enum policy_proto)(fz_u8(in) % 3);
		found = match_addr(ix, sel, &a, port, proto, &r);
		fuzz_check_rec(found, &r);
		if (intact) {
			pfound = policy_match_addr(policy, &a, port, proto, &pr);
			fuzz_compare(found, &r, pfound, &pr);
		}
		k = fz_u8(in);
		if (k & 1) {
			memset(name, 0, sizeof(name));
			fz_bytes(in, name, k >> 2 & 31);
		} else {
			snprintf(name, sizeof(name), "%s",
				 names[(k >> 1) % (sizeof(names) /
						   sizeof(names[0]))]);
		}
		found = match_name(ix, sel, name, port, proto, &r);
		fuzz_check_rec(found, &r);
		if (intact) {
			pfound = policy_match_name(policy, name, port, proto,
						   &pr);
			fuzz_compare(found, &r, pfound, &pr);
		}
		(void)match_name_covered(ix, sel, name);
	}
}

/* The fixed image, edited as the input says, into a copy of *len bytes. */
static unsigned char *fuzz_edit(struct fuzz_in *in, unsigned mode,
				size_t *len, bool *intact)
{
	unsigned char *b = malloc(image_len);
	struct image_head h;
	unsigned i, n = fz_u8(in) % 16;
	size_t off;

	if (!b)
		abort();
	memcpy(b, image, image_len);
	*len = image_len;
	*intact = !n && !(mode & 4);
	for (i = 0; i < n; i++) {
		off = (size_t)fz_u32(in) % image_len;
		b[off] ^= fz_u8(in);
	}
	if (mode & 2) {
		memcpy(&h, b, sizeof(h));
		image_seal(b, image_len, h.body_off % image_len & ~4095ul);
	}
	if (mode & 4)
		*len -= fz_u16(in) % (*len + 1);
	return b;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = {data, size};
	unsigned mode = fz_u8(&in);
	unsigned char selected[3], *b, *exact;
	struct match_sel sel = {selected, 0};
	struct match_index ix;
	size_t len;
	bool intact = false;

	fuzz_setup();
	if (mode & 1) {
		len = in.n;
		b = malloc(len ? len : 1);
		if (!b)
			abort();
		memcpy(b, in.p, len);
		in.n = 0;
	} else {
		b = fuzz_edit(&in, mode, &len, &intact);
	}
	/* Exactly len bytes, for ASan. */
	exact = malloc(len ? len : 1);
	if (!exact)
		abort();
	memcpy(exact, b, len);
	free(b);
	selected[0] = fz_u8(&in) & 1;
	selected[1] = fz_u8(&in) & 1;
	selected[2] = 1;
	sel.nsections = fz_u8(&in) % 4;
	if (intact) {
		/* The policy's own selection, for the comparison. */
		policy_select_section(policy, 1 + (selected[0] ? 0 : 1));
		sel = policy->match_sel;
	}
	if (match_open(&ix, exact, len) == 0) {
		fuzz_lookups(&ix, &sel, &in, intact);
		match_close(&ix);
	} else if (intact) {
		fuzz_fail("the unedited image does not open");
	}
	free(exact);
	return 0;
}
