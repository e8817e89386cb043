/* SPDX-License-Identifier: MIT */
/*
 * check_image.c - the rule index as an image (policy/image.c,
 * policy/match.c): built once for every selection, the same bytes from the
 * same rules, usable mapped read-only from a file, and never trusted: a
 * truncated image or a head that lies does not open, a flipped bit makes
 * exactly the lookups that need its block fail closed (deny, no line) and
 * the others answer as before, a table with no empty slot ends its probes.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "check_run.h"
#include "internal.h"
#include "match-layout.h"

#define HEAD_USER offsetof(struct image_head, user)

/* A config of global and section rules over several prefix lengths, long
 * names, keys with several rules: big enough for a dozen blocks. */
static char *config_text(void)
{
	size_t cap = 1 << 16, n = 0, i;
	char *t = malloc(cap);

	ck_assert_ptr_nonnull(t);
	for (i = 0; i < 300; i++)
		n += (size_t)snprintf(t + n, cap - n,
				      "deny = 10.%zu.%zu.0/%zu\n", i / 7,
				      (i * 37) % 256, 24 + i % 9);
	n += (size_t)snprintf(t + n, cap - n,
			      "allow = a-rather-long-host-name.example.org 443\n"
			      "deny = *.example.org\n"
			      "map = 2001:db8::/48 80 tcp\n"
			      "[program one]\n"
			      "allow = 10.1.0.0/16\n"
			      "allow = 203.0.113.0/24 22\n"
			      "deny = a-rather-long-host-name.example.org\n"
			      "[program two]\n"
			      "map = 203.0.113.0/24\n"
			      "deny = 2001:db8::/48\n"
			      "allow = only.two.test\n");
	for (i = 0; i < 200; i++)
		n += (size_t)snprintf(t + n, cap - n,
				      "deny = 198.51.100.%zu %zu\n", i % 250,
				      1000 + i);
	ck_assert(n < cap);
	return t;
}

static struct policy *parsed(void)
{
	struct policy *p = policy_new();
	struct policy_error err;
	char *text = config_text();

	ck_assert_ptr_nonnull(p);
	ck_assert_msg(policy_parse_buffer(p, "t.conf", text, strlen(text),
					  &err) == 0,
		      "%s:%u:%u: %s", err.file, err.line, err.column, err.text);
	free(text);
	return p;
}

/* A lookup: an address literal or a name, a port, a protocol. */
static const struct probe {
	const char *what;
	unsigned port;
	enum policy_proto proto;
} probes[] = {
	{"10.1.37.5", 80, PROTO_TCP},
	{"10.1.200.1", 0, PROTO_ANY},
	{"10.30.5.5", 443, PROTO_TCP},
	{"10.42.0.9", 80, PROTO_UDP},
	{"203.0.113.9", 22, PROTO_TCP},
	{"203.0.113.9", 80, PROTO_TCP},
	{"198.51.100.7", 1007, PROTO_UDP},
	{"198.51.100.7", 1257, PROTO_TCP},
	{"198.51.100.9", 9, PROTO_TCP},
	{"2001:db8::1", 80, PROTO_TCP},
	{"2001:db8:1::1", 80, PROTO_TCP},
	{"::ffff:10.1.37.5", 80, PROTO_TCP},
	{"a-rather-long-host-name.example.org", 443, PROTO_TCP},
	{"A-Rather-Long-Host-Name.example.org.", 80, PROTO_TCP},
	{"www.example.org", 80, PROTO_TCP},
	{"only.two.test", 80, PROTO_TCP},
	{"nothing.test", 80, PROTO_TCP},
};

#define NPROBES (sizeof(probes) / sizeof(probes[0]))

/* What ix answers for probe i under sel: "-", "deny:0!" (failed), "allow:3". */
static void lookup(const struct match_index *ix, const struct match_sel *sel,
		   size_t i, char *buf, size_t len)
{
	const struct probe *q = &probes[i];
	struct policy_addr a;
	struct match_rec r;
	bool found;

	memset(&r, 0, sizeof(r));
	if (policy_addr_parse(q->what, &a) == 0)
		found = match_addr(ix, sel, &a, (uint16_t)q->port, q->proto,
				   &r);
	else
		found = match_name(ix, sel, q->what, (uint16_t)q->port,
				   q->proto, &r);
	if (!found)
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%u:%u%s", r.action, r.line,
			 r.failed ? "!" : "");
}

/* The policy's own answers, under its selection, through the policy. */
static void policy_answer(const struct policy *p, size_t i, char *buf,
			  size_t len)
{
	const struct probe *q = &probes[i];
	struct policy_addr a;
	struct policy_rule r;
	bool found;

	if (policy_addr_parse(q->what, &a) == 0)
		found = policy_match_addr(p, &a, (uint16_t)q->port, q->proto,
					  &r);
	else
		found = policy_match_name(p, q->what, (uint16_t)q->port,
					  q->proto, &r);
	if (!found)
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%u:%u", r.action, r.line);
}

/* A copy of the policy's image, built again: the bytes must not differ. */
static unsigned char *image_of(const struct policy *p, size_t *len)
{
	void *img;

	ck_assert_int_eq(match_build(p->rules, p->nrules, &img, len), 0);
	return img;
}

/* Selection changes are answered by the one index, never built again. */
START_TEST(test_selection_one_index)
{
	static const char *const progs[] = {"one", "two", "other", "one"};
	struct policy *p = parsed();
	const void *img = p->match_image;
	char want[32], got[32];
	size_t k, i;
	unsigned differ = 0;

	ck_assert_ptr_nonnull(img);
	for (k = 0; k < 4; k++) {
		policy_select(p, progs[k], NULL, NULL);
		ck_assert_ptr_eq(p->match_image, img);
		for (i = 0; i < NPROBES; i++) {
			policy_answer(p, i, got, sizeof(got));
			lookup(&p->match, &p->match_sel, i, want,
			       sizeof(want));
			ck_assert_str_eq(got, want);
		}
	}
	/* And the selection matters: "two" maps 203.0.113.9:80, "one" not. */
	policy_select(p, "one", NULL, NULL);
	policy_answer(p, 5, want, sizeof(want));
	policy_select(p, "two", NULL, NULL);
	policy_answer(p, 5, got, sizeof(got));
	differ += strcmp(want, got) != 0;
	ck_assert_str_eq(got, "3:309");
	ck_assert_int_eq(differ, 1);
	ck_assert_ptr_eq(p->match_image, img);
	policy_free(p);
}
END_TEST

/* The same rules give the same bytes; a copy mapped from a file answers. */
START_TEST(test_same_bytes_mapped)
{
	struct policy *p = parsed();
	size_t len, len2, i;
	unsigned char *a = image_of(p, &len), *b = image_of(p, &len2);
	char path[] = "/tmp/check_image.XXXXXX", want[32], got[32];
	struct match_index ix;
	int fd = mkstemp(path);
	void *map;

	ck_assert_uint_eq(len, len2);
	ck_assert(!memcmp(a, b, len));
	ck_assert_int_ge(fd, 0);
	ck_assert(write(fd, a, len) == (ssize_t)len);
	map = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
	ck_assert(map != MAP_FAILED);
	close(fd);
	unlink(path);
	ck_assert_int_eq(match_open(&ix, map, len), 0);
	policy_select(p, "two", NULL, NULL);
	for (i = 0; i < NPROBES; i++) {
		policy_answer(p, i, want, sizeof(want));
		lookup(&ix, &p->match_sel, i, got, sizeof(got));
		ck_assert_str_eq(got, want);
	}
	match_close(&ix);
	munmap(map, len);
	free(a);
	free(b);
	policy_free(p);
}
END_TEST

/* Cut short anywhere, or given a wrong length, an image does not open. */
START_TEST(test_truncated)
{
	struct policy *p = parsed();
	size_t len, cut;
	unsigned char *img = image_of(p, &len);
	struct match_index ix;

	ck_assert_int_gt(len, 3 * IMAGE_BLOCK);
	for (cut = 0; cut < len; cut += cut < 1024 ? 1 : 509)
		ck_assert_int_eq(match_open(&ix, img, cut), -EINVAL);
	ck_assert_int_eq(match_open(&ix, img, len - 1), -EINVAL);
	ck_assert_int_eq(match_open(&ix, NULL, len), -EINVAL);
	ck_assert_int_eq(match_open(&ix, img, len), 0);
	match_close(&ix);
	free(img);
	policy_free(p);
}
END_TEST

/* Which body blocks probe i reads, from a fresh view of an intact image. */
static uint64_t blocks_needed(const unsigned char *img, size_t len,
			      const struct match_sel *sel, size_t i)
{
	struct match_index ix;
	char buf[32];
	uint64_t mask = 0, b;

	ck_assert_int_eq(match_open(&ix, img, len), 0);
	ck_assert_uint_le(ix.view.nblocks, 64);
	lookup(&ix, sel, i, buf, sizeof(buf));
	for (b = 0; b < ix.view.nblocks; b++)
		if (ix.view.checked[b / 64] >> (b % 64) & 1)
			mask |= 1ull << b;
	match_close(&ix);
	return mask;
}

/*
 * A bit flipped in any body block: the image opens (the body is not read
 * at open), every lookup that needs the block answers deny naming no line,
 * flagged failed, and every other lookup answers as before.  A bit flipped
 * in the head or the block table: the image does not open.
 */
START_TEST(test_flipped_bit)
{
	struct policy *p = parsed();
	size_t len, i, off, rest;
	unsigned char *img = image_of(p, &len), *bad = malloc(len);
	struct image_head h;
	struct match_index ix;
	uint64_t need[NPROBES], b;
	char want[NPROBES][32], got[32];
	unsigned failed = 0;

	ck_assert_ptr_nonnull(bad);
	policy_select(p, "one", NULL, NULL);
	memcpy(&h, img, sizeof(h));
	for (i = 0; i < NPROBES; i++) {
		need[i] = blocks_needed(img, len, &p->match_sel, i);
		policy_answer(p, i, want[i], sizeof(want[i]));
	}
	for (b = 0; b < h.nblocks; b++) {
		memcpy(bad, img, len);
		rest = len - h.body_off - b * IMAGE_BLOCK;
		off = h.body_off + b * IMAGE_BLOCK +
		      (b * 977) % (rest < IMAGE_BLOCK ? rest : IMAGE_BLOCK);
		bad[off] ^= (unsigned char)(1u << (b % 8));
		ck_assert_int_eq(match_open(&ix, bad, len), 0);
		for (i = 0; i < NPROBES; i++) {
			lookup(&ix, &p->match_sel, i, got, sizeof(got));
			if (need[i] >> b & 1) {
				ck_assert_msg(!strcmp(got, "2:0!"),
					      "block %lu, probe %zu: %s",
					      (unsigned long)b, i, got);
				failed++;
			} else {
				ck_assert_msg(!strcmp(got, want[i]),
					      "block %lu, probe %zu: %s, not %s",
					      (unsigned long)b, i, got,
					      want[i]);
			}
		}
		match_close(&ix);
	}
	ck_assert_uint_gt(failed, NPROBES);
	for (off = 0; off < 512 + 4 * h.nblocks; off += 3) {
		memcpy(bad, img, len);
		bad[off] ^= 0x10;
		ck_assert_msg(match_open(&ix, bad, len) == -EINVAL,
			      "flipped at %zu, opened", off);
	}
	free(bad);
	free(img);
	policy_free(p);
}
END_TEST

/* img's head resealed after th was changed: a head that lies well. */
static void reseal_head(unsigned char *img, const struct match_head *th)
{
	struct image_head h;

	memcpy(img + HEAD_USER, th, sizeof(*th));
	memcpy(&h, img, sizeof(h));
	h.head_crc = 0;
	h.head_crc = image_crc32c(&h, sizeof(h));
	memcpy(img, &h, sizeof(h));
}

/* A head whose checksum holds but whose offsets or counts lie. */
START_TEST(test_lying_head)
{
	struct policy *p = parsed();
	size_t len, k;
	unsigned char *img = image_of(p, &len), *bad = malloc(len);
	struct match_head th, t;
	struct match_index ix;

	ck_assert_ptr_nonnull(bad);
	memcpy(&th, img + HEAD_USER, sizeof(th));
	ck_assert_uint_eq(th.version, 2);
	for (k = 0; k < 15; k++) {
		t = th;
		switch (k) {
		case 0: t.version = 1; break;
		case 1: t.nslots = th.nslots * 2; break;
		case 2: t.nslots = th.nslots - 1; break;
		case 3: t.nslots = 0; break;
		case 4: t.filter_words = 3; break;
		case 5: t.slots_off = len; break;
		case 6: t.filter_off = len - 8; break;
		case 7: t.recs_off = UINT64_MAX - 8; break;
		case 8: t.nrecs = UINT64_MAX / 8; break;
		case 9: t.strings_len = len; break;
		case 10: t.slots_off = 0; break;
		case 11: t.nlens[0] = 34; break;
		case 12: t.lens[1][0] = 129; break;
		case 13: t.lens[0][1] = t.lens[0][0]; break;
		case 14: t.filter_off = th.filter_off + 4; break;
		}
		memcpy(bad, img, len);
		reseal_head(bad, &t);
		ck_assert_msg(match_open(&ix, bad, len) == -EINVAL,
			      "lie %zu opened", k);
	}
	memcpy(bad, img, len);
	reseal_head(bad, &th);
	ck_assert_int_eq(match_open(&ix, bad, len), 0);
	match_close(&ix);
	free(bad);
	free(img);
	policy_free(p);
}
END_TEST

/*
 * A table whose every slot is taken (no builder makes one) and whose runs
 * point past the recs: the probes end after one pass round the table, and
 * the lookups fail closed; the image's checksums all hold.
 */
START_TEST(test_full_table)
{
	struct policy *p = parsed();
	size_t len, i;
	unsigned char *img = image_of(p, &len);
	struct image_head h;
	struct match_head th;
	struct match_index ix;
	char got[32];
	uint32_t check = 1, big = UINT32_MAX;

	memcpy(&h, img, sizeof(h));
	memcpy(&th, img + HEAD_USER, sizeof(th));
	for (i = 0; i < th.nslots; i++) {
		/* check 1, tag "name", bits SLOT_MANY, a run out of range */
		memcpy(img + th.slots_off + i * 32, &check, 4);
		img[th.slots_off + i * 32 + 4] = 3;
		img[th.slots_off + i * 32 + 6] = 0x80;
		memcpy(img + th.slots_off + i * 32 + 24, &big, 4);
	}
	memset(img + th.filter_off, 0xff, th.filter_words * 8);
	image_seal(img, len, h.body_off);
	ck_assert_int_eq(match_open(&ix, img, len), 0);
	for (i = 0; i < NPROBES; i++) {
		lookup(&ix, &p->match_sel, i, got, sizeof(got));
		ck_assert_msg(!strcmp(got, "2:0!"), "probe %zu: %s", i, got);
	}
	match_close(&ix);
	free(img);
	policy_free(p);
}
END_TEST

/*
 * Links that lie, in an image whose checksums all hold: a /24 whose rule
 * does not fit the port must fall back to the /16, then the /8; its link
 * pointing at itself (a loop), past the table, or at an empty slot makes
 * the lookup fail closed, and the intact image answers the /8.
 */
START_TEST(test_lying_links)
{
	static const char conf[] = "deny = 10.0.0.0/8\n"
				   "allow = 10.1.0.0/16 443\n"
				   "map = 10.1.2.0/24 443\n";
	struct policy *p = policy_new();
	struct policy_error err;
	struct policy_addr a;
	struct match_index ix;
	struct match_rec r;
	struct image_head h;
	struct match_head th;
	unsigned char *img, *bad;
	uint32_t lies[3], link;
	size_t len, i, at = SIZE_MAX, empty = SIZE_MAX;
	unsigned char *slot;

	ck_assert_int_eq(policy_parse_buffer(p, "t.conf", conf, strlen(conf),
					     &err), 0);
	ck_assert_int_eq(policy_addr_parse("10.1.2.3", &a), 0);
	img = image_of(p, &len);
	bad = malloc(len);
	ck_assert_ptr_nonnull(bad);
	memcpy(&h, img, sizeof(h));
	memcpy(&th, img + HEAD_USER, sizeof(th));
	/* The /24's slot (tag IPv4, length 24, a key), an empty one. */
	for (i = 0; i < th.nslots; i++) {
		slot = img + th.slots_off + i * 32;
		if (slot[4] == 1 && slot[5] == 24 && (slot[7] & 1))
			at = i;
		if (!slot[4] && empty == SIZE_MAX)
			empty = i;
	}
	ck_assert_uint_ne(at, SIZE_MAX);
	ck_assert_uint_ne(empty, SIZE_MAX);
	ck_assert_int_eq(match_open(&ix, img, len), 0);
	ck_assert(match_addr(&ix, NULL, &a, 80, PROTO_TCP, &r));
	ck_assert_uint_eq(r.line, 1);
	ck_assert_uint_eq(r.failed, 0);
	match_close(&ix);
	lies[0] = (uint32_t)at;
	lies[1] = (uint32_t)th.nslots;
	lies[2] = (uint32_t)empty;
	for (i = 0; i < 3; i++) {
		memcpy(bad, img, len);
		link = lies[i];
		memcpy(bad + th.slots_off + at * 32, &link, 4);
		image_seal(bad, len, h.body_off);
		ck_assert_int_eq(match_open(&ix, bad, len), 0);
		ck_assert(match_addr(&ix, NULL, &a, 80, PROTO_TCP, &r));
		ck_assert_msg(r.failed && r.action == RULE_DENY && !r.line,
			      "lie %zu: action %u line %u", i, r.action,
			      r.line);
		/* The /24's own rule still decides what it fits. */
		ck_assert(match_addr(&ix, NULL, &a, 443, PROTO_TCP, &r));
		ck_assert_uint_eq(r.line, 3);
		match_close(&ix);
	}
	free(bad);
	free(img);
	policy_free(p);
}
END_TEST

/* The image suite, for tests/check_run.c's main(). */
Suite *check_suite(void)
{
	Suite *s = suite_create("image");
	TCase *tc = tcase_create("image");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_selection_one_index);
	tcase_add_test(tc, test_same_bytes_mapped);
	tcase_add_test(tc, test_truncated);
	tcase_add_test(tc, test_flipped_bit);
	tcase_add_test(tc, test_lying_head);
	tcase_add_test(tc, test_full_table);
	tcase_add_test(tc, test_lying_links);
	suite_add_tcase(s, tc);
	return s;
}
