/* SPDX-License-Identifier: MIT */
/*
 * compiled.c - a policy compiled once and mapped by every process
 * (`stackshim compile`): what parsing a config and indexing its rules
 * made, in one position-independent file that processes mmap() read-only
 * and use in place, so that a million rules cost a process no parse, no
 * allocation and no copy of its own (ldconfig's ld.so.cache, cdb, and
 * systemd's hwdb do the same).
 *
 * The file:
 *	struct compiled_header	what it was built from, where each part is
 *	kept lines		the config's section headers and settings,
 *				each with its line number (struct
 *				config_kept), read again by the parser at
 *				load: a few lines, whatever the rule count
 *	counts			the rules of each scope by action (uint32_t
 *				[nsections + 1][RULE_MAP + 1]; scope 0 is the
 *				global one)
 *	index			the rule index image (match_build()), used in
 *				place through match_open()
 *
 * The text config stays the source of truth.  A process uses a compiled
 * file only when it was built from the very config file it would read:
 * the same device, inode, size, modification and change times (the
 * change time is the kernel's, set on every write and never by a user,
 * so that a file edited after compiling never matches), by this format,
 * on a machine of this byte order; else it parses the text (policy/
 * source.c).  The header, the kept lines and the counts are checked whole
 * at load (their checksum; they are small); the index checks each block
 * of its own the first time a lookup reads it, so that opening costs the
 * same for ten rules or a million, and a corrupt block fails closed.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

#define COMPILED_MAGIC "SSPOLICY"
#define COMPILED_VERSION 1
#define COMPILED_ORDER 0x01020304u	/* as this machine writes it */

struct compiled_header {
	char magic[8];			/* COMPILED_MAGIC */
	uint32_t version;		/* COMPILED_VERSION */
	uint32_t order;			/* COMPILED_ORDER */
	uint32_t header_size;		/* sizeof(struct compiled_header) */
	uint32_t nsections;
	uint64_t nrules;
	struct policy_identity from;	/* the config compiled */
	uint64_t text_hash;		/* compiled_hash() of its bytes */
	uint64_t kept_off, kept_len;
	uint64_t counts_off, counts_len;
	uint64_t index_off, index_len;
	uint64_t file_len;
	uint64_t sum;			/* compiled_hash() of the header
					 * before it and of [header_size,
					 * index_off) */
};

/* FNV-1a, 64 bits, over len bytes of p, from h (COMPILED_HASH_START). */
#define COMPILED_HASH_START 0xcbf29ce484222325ull

static uint64_t compiled_hash(uint64_t h, const void *p, size_t len)
{
	const unsigned char *b = p;

	while (len--) {
		h ^= *b++;
		h *= 0x100000001b3ull;
	}
	return h;
}

/* The checksum of an image's header and small parts (hd->sum's). */
static uint64_t compiled_sum(const struct compiled_header *hd,
			     const unsigned char *image)
{
	uint64_t h = compiled_hash(COMPILED_HASH_START, hd,
				   offsetof(struct compiled_header, sum));

	return compiled_hash(h, image + hd->header_size,
			     hd->index_off - hd->header_size);
}

/* compiled_seal - see internal.h. */
void compiled_seal(void *image, size_t len)
{
	struct compiled_header hd;

	if (len < sizeof(hd))
		return;
	memcpy(&hd, image, sizeof(hd));
	if (hd.header_size != sizeof(hd) || hd.index_off < hd.header_size ||
	    hd.index_off > len)
		return;
	hd.sum = compiled_sum(&hd, image);
	memcpy(image, &hd, sizeof(hd));
}

/* compiled_identity - see internal.h. */
bool compiled_identity(const void *image, size_t len,
		       struct policy_identity *id)
{
	struct compiled_header hd;

	if (len < sizeof(hd))
		return false;
	memcpy(&hd, image, sizeof(hd));
	*id = hd.from;
	return true;
}

/* policy_identity_of - see internal.h. */
void policy_identity_of(struct policy_identity *id, const struct stat *st)
{
	memset(id, 0, sizeof(*id));
	id->dev = st->st_dev;
	id->ino = st->st_ino;
	id->size = (uint64_t)st->st_size;
	id->mtime_sec = st->st_mtim.tv_sec;
	id->mtime_nsec = st->st_mtim.tv_nsec;
	id->ctime_sec = st->st_ctim.tv_sec;
	id->ctime_nsec = st->st_ctim.tv_nsec;
}

/* Whether [off, off + len) lies inside size bytes, 8-aligned. */
static bool compiled_part_fits(uint64_t off, uint64_t len, uint64_t size)
{
	return off % 8 == 0 && off <= size && len <= size - off;
}

/*
 * Whether the counts of hd's image add up to its rules, with none of
 * RULE_NONE: each scope's rules by action.
 */
static bool compiled_counts_ok(const struct compiled_header *hd,
			       const unsigned char *image)
{
	const unsigned char *counts = image + hd->counts_off;
	uint32_t n[RULE_MAP + 1];
	uint64_t total = 0;
	size_t i, a;

	for (i = 0; i <= hd->nsections; i++) {
		memcpy(n, counts + i * sizeof(n), sizeof(n));
		if (n[RULE_NONE])
			return false;
		for (a = RULE_ALLOW; a <= RULE_MAP; a++)
			total += n[a];
	}
	return total == hd->nrules;
}

/*
 * Whether the index part opens (its head and block table: O(1) in the
 * rules; its blocks are checked as lookups read them).  An index that
 * does not open is refused here, while the text can still be read.
 */
static bool compiled_index_ok(const void *index, size_t len)
{
	struct match_index ix;
	int r = match_open(&ix, index, len);

	if (r == 0)
		match_close(&ix);
	return r == 0;
}

/* compiled_check - see internal.h. */
const char *compiled_check(const void *image, size_t len,
			   const struct policy_identity *id)
{
	const unsigned char *b = image;
	struct compiled_header hd;

	if (len < sizeof(hd))
		return "truncated";
	memcpy(&hd, image, sizeof(hd));
	if (memcmp(hd.magic, COMPILED_MAGIC, sizeof(hd.magic)))
		return "not-compiled";
	if (hd.version != COMPILED_VERSION || hd.order != COMPILED_ORDER ||
	    hd.header_size != sizeof(hd))
		return "other-version";
	if (hd.file_len != len)
		return "truncated";
	if (memcmp(&hd.from, id, sizeof(*id)))
		return "stale";
	if (!compiled_part_fits(hd.kept_off, hd.kept_len, len) ||
	    !compiled_part_fits(hd.counts_off, hd.counts_len, len) ||
	    !compiled_part_fits(hd.index_off, hd.index_len, len) ||
	    hd.kept_off < hd.header_size ||
	    hd.kept_off + hd.kept_len > hd.counts_off ||
	    hd.counts_off + hd.counts_len > hd.index_off ||
	    hd.counts_len != ((uint64_t)hd.nsections + 1) * (RULE_MAP + 1) *
				     sizeof(uint32_t))
		return "corrupt";
	if (compiled_sum(&hd, b) != hd.sum || !compiled_counts_ok(&hd, b))
		return "corrupt";
	return compiled_index_ok(b + hd.index_off, hd.index_len) ? NULL
								 : "corrupt";
}

/* policy_is_compiled - see policy.h. */
bool policy_is_compiled(const struct policy *policy)
{
	return policy->image != NULL;
}

/* compiled_sections - see internal.h. */
size_t compiled_sections(const void *image)
{
	struct compiled_header hd;

	memcpy(&hd, image, sizeof(hd));
	return hd.nsections;
}

/* compiled_load - see internal.h. */
int compiled_load(struct policy *policy, const char *name, const void *image,
		  size_t len, struct policy_error *err)
{
	const unsigned char *b = image;
	struct compiled_header hd;
	const unsigned char *counts;
	uint32_t n[RULE_MAP + 1];
	size_t i, a;
	unsigned count = 0;
	int r;

	memcpy(&hd, image, sizeof(hd));
	r = config_parse_kept(policy, name, b + hd.kept_off, hd.kept_len, err);
	if (r < 0)
		return r;
	if (policy->nsections != hd.nsections) {
		config_clear(policy);
		config_report(policy, err, &count, name, 0, 0,
			      "compiled policy corrupt (sections)");
		return -EINVAL;
	}
	counts = b + hd.counts_off;
	for (i = 0; i <= hd.nsections; i++) {
		memcpy(n, counts + i * sizeof(n), sizeof(n));
		for (a = 0; a <= RULE_MAP; a++)
			(i ? policy->sections[i - 1].nactions
			   : policy->global_actions)[a] = n[a];
	}
	policy->nrules = hd.nrules;
	r = hd.index_off + hd.index_len > len
		    ? -EINVAL
		    : policy_index_use(policy, b + hd.index_off, hd.index_len);
	if (r < 0) {
		config_clear(policy);
		config_report(policy, err, &count, name, 0, 0,
			      "compiled policy corrupt (index: %s)",
			      strerror(-r));
		return r;
	}
	policy_refresh(policy);
	return 0;
}

/* The image being written: a growing buffer. */
struct compiled_out {
	unsigned char *buf;
	size_t len, cap;
	bool oom;
};

static void out_put(struct compiled_out *o, const void *p, size_t len)
{
	unsigned char *grown;
	size_t cap;

	if (o->oom)
		return;
	if (len > o->cap - o->len) {
		cap = o->cap ? o->cap : 4096;
		while (len > cap - o->len)
			cap *= 2;
		grown = realloc(o->buf, cap);
		if (!grown) {
			o->oom = true;
			return;
		}
		/* No byte of the file is left as malloc() gave it. */
		memset(grown + o->cap, 0, cap - o->cap);
		o->buf = grown;
		o->cap = cap;
	}
	memcpy(o->buf + o->len, p, len);
	o->len += len;
}

/* Room in o for len more bytes, allocated to the byte: for the index,
 * most of the file (grown by doubling, the buffer would take and zero
 * half as much again: 8% of a 1,000,000-rule compile). */
static void out_reserve(struct compiled_out *o, size_t len)
{
	unsigned char *grown;

	if (o->oom || len <= o->cap - o->len)
		return;
	grown = realloc(o->buf, o->len + len);
	if (!grown) {
		o->oom = true;
		return;
	}
	image_huge(grown, o->len + len);
	o->buf = grown;
	o->cap = o->len + len;
}

/* Pad o to a multiple of 8 bytes with zeros. */
static void out_align(struct compiled_out *o)
{
	static const unsigned char zero[8];

	out_put(o, zero, (8 - o->len % 8) % 8);
}

/* A kept line, as config_parse_text() tells it (config_keep_fn). */
static int out_keep(void *arg, unsigned line, const char *text, size_t len)
{
	struct compiled_out *o = arg;
	struct config_kept rec = {.line = line, .len = (uint32_t)len};
	static const unsigned char zero[4];

	out_put(o, &rec, sizeof(rec));
	out_put(o, text, len);
	out_put(o, zero, CONFIG_KEPT_PAD(len) - len);
	return o->oom ? -ENOMEM : 0;
}

/* The room of an index in o (match_build_in()): after o's bytes so far,
 * padded to a cache line, o reserved to the byte for it. */
static void *out_index_get(void *arg, size_t len)
{
	static const unsigned char zero[64];
	struct compiled_out *o = arg;

	out_put(o, zero, (64 - o->len % 64) % 64);
	out_reserve(o, len);
	return o->oom ? NULL : o->buf + o->len;
}

/* An index started over in a bigger room: that room is o's own. */
static void out_index_put(void *arg, void *image)
{
	(void)arg;
	(void)image;
}

/*
 * The index of policy's rules, built in place at the end of o (*off, *len
 * its place), not at the parse (policy_compile() sets match_later) and
 * then copied: the one build, and no copy of 72 MiB at 1,000,000 rules
 * (perf: the two builds 26% and 24% of the compile, then the copy 14%).
 * Returns 0 or -ENOMEM.
 */
static int compiled_index(struct compiled_out *o, const struct policy *policy,
			  uint64_t *off, uint64_t *len)
{
	const struct match_alloc a = {
		.get = out_index_get,
		.put = out_index_put,
		.arg = o,
	};
	size_t index_len;
	void *index;
	int r;

	r = match_build_in(policy->rules, policy->nrules, &a, &index,
			   &index_len);
	if (r < 0)
		return r;
	*off = (uint64_t)((unsigned char *)index - o->buf);
	*len = index_len;
	o->len += index_len;
	return 0;
}

/*
 * The image of policy, parsed from text (len bytes) with its kept lines
 * already in o after the room of a header, from the file id names.
 */
static int compiled_image(struct compiled_out *o, const struct policy *policy,
			  const struct policy_identity *id, const char *text,
			  size_t len)
{
	struct compiled_header hd = {.version = COMPILED_VERSION,
				     .order = COMPILED_ORDER,
				     .header_size = sizeof(hd)};
	uint32_t n[RULE_MAP + 1];
	size_t i, a;
	int r;

	memcpy(hd.magic, COMPILED_MAGIC, sizeof(hd.magic));
	hd.from = *id;
	hd.text_hash = compiled_hash(COMPILED_HASH_START, text, len);
	hd.nsections = (uint32_t)policy->nsections;
	hd.nrules = policy->nrules;
	hd.kept_off = sizeof(hd);
	hd.kept_len = o->len - sizeof(hd);
	out_align(o);
	hd.counts_off = o->len;
	for (i = 0; i <= policy->nsections; i++) {
		for (a = 0; a <= RULE_MAP; a++)
			n[a] = (uint32_t)(i ? policy->sections[i - 1].nactions
					    : policy->global_actions)[a];
		out_put(o, n, sizeof(n));
	}
	hd.counts_len = o->len - hd.counts_off;
	out_align(o);
	r = compiled_index(o, policy, &hd.index_off, &hd.index_len);
	if (r < 0)
		return r;
	hd.file_len = o->len;
	memcpy(o->buf, &hd, sizeof(hd));
	compiled_seal(o->buf, o->len);
	return 0;
}

/* Write len bytes of buf to path, whole or not at all (a new file
 * renamed over it), mode 0644.  Returns 0 or a negative errno. */
static int compiled_write_file(const char *path, const void *buf, size_t len)
{
	char tmp[PATH_MAX];
	const char *p = buf;
	ssize_t n;
	int fd, r = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while (len && r == 0) {
		n = write(fd, p, len);
		if (n < 0 && errno != EINTR)
			r = -errno;
		else if (n > 0) {
			p += n;
			len -= (size_t)n;
		}
	}
	if (r == 0 && (fchmod(fd, 0644) < 0 || fsync(fd) < 0))
		r = -errno;
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r == 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0)
		unlink(tmp);
	return r;
}

/* policy_compile - see policy.h. */
int policy_compile(const char *config, const char *out,
		   struct policy_error *err)
{
	struct compiled_out o = {0};
	struct policy_source src;
	struct policy *policy;
	struct compiled_header room = {0};
	unsigned count = 0;
	int r;

	policy = policy_new();
	if (!policy)
		return -ENOMEM;
	config_source_init(&src);
	r = config_source_read(&src, config, false, false);
	if (r < 0) {
		config_report(policy, err, &count, src.error.file, 0, 0, "%s",
			      src.error.text);
		goto out;
	}
	out_put(&o, &room, sizeof(room));
	policy->match_later = true;		/* compiled_index() */
	/* The parse tells its own errors. */
	r = config_parse_text(policy, config, src.text ? src.text : "",
			      src.len, err, out_keep, &o);
	if (r < 0)
		goto out;
	r = compiled_image(&o, policy, &src.identity,
			   src.text ? src.text : "", src.len);
	if (r < 0) {
		config_report(policy, err, &count, config, 0, 0, "%s",
			      strerror(-r));
		goto out;
	}
	r = compiled_write_file(out, o.buf, o.len);
	if (r < 0)
		config_report(policy, err, &count, out, 0, 0, "%s",
			      strerror(-r));
out:
	config_source_free(&src, src.text);
	free(o.buf);
	policy_free(policy);
	return r;
}
