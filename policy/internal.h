/* SPDX-License-Identifier: MIT */
/*
 * internal.h - what the files of policy/ share: the policy object's
 * layout, the captured source's, and the helpers one file gives another.
 * Outside policy/ only tests/check_config.c includes it, to look inside
 * a captured source.
 */
#ifndef STACKSHIM_POLICY_INTERNAL_H
#define STACKSHIM_POLICY_INTERNAL_H

#include "policy.h"

/* The scalar keys, in the order policy_describe() prints them. */
enum key {
	KEY_STACK,
	KEY_PREFER,
	KEY_MAPPED,
	KEY_LOOPBACK,
	KEY_FALLBACK,
	KEY_LOCAL,
	KEY_TRANSLATE,
	KEY_POOL,
	KEY_ENFORCE,
	KEY_LOG,
	KEY_LOG_FORMAT,
	KEY_SCALARS,
	/* Rules may be given any number of times. */
	KEY_ALLOW = KEY_SCALARS,
	KEY_DENY,
	KEY_MAP,
};

#define KEY_BIT(k) (1u << (k))

union value {
	unsigned word;		/* stack, prefer, log-format, yes/no keys */
	struct policy_local local;
	struct {
		struct in6_addr addr;
		unsigned len;
	} prefix;
	struct {
		struct in_addr addr;
		unsigned len;
	} pool;
	struct {
		enum policy_log kind;
		const char *path;
	} log;
};

/*
 * One scope's settings: which keys it sets, to what, on which line of the
 * file (0 for an override) and, for policy_describe(), where from.
 */
struct settings {
	unsigned set;
	unsigned line[KEY_SCALARS];
	const char *origin[KEY_SCALARS];
	union value v[KEY_SCALARS];
};

enum rule_kind {
	RULE_CIDR,		/* addr/plen */
	RULE_NAME,		/* exactly name */
	RULE_SUFFIX,		/* any name ending in "." name */
};

struct rule {
	enum policy_action action;
	enum rule_kind kind;
	struct policy_addr addr;
	unsigned plen;
	const char *name;	/* lower case, no trailing dot */
	uint16_t port_low;	/* 0 and 0: any port */
	uint16_t port_high;
	enum policy_proto proto;
	unsigned line;
	unsigned scope;		/* 0: global; n: section n - 1 */
};

/* A [program NAME] section. */
struct section {
	const char *glob;
	unsigned line;
	bool selected;
	size_t nactions[RULE_MAP + 1];	/* its rules, by action */
	struct settings settings;
};

/*
 * A checked view of an image (policy/image.c): bytes built in this process
 * or mapped from a file, never trusted.  The image is a 512-byte head (its
 * own checksum, and a user area the caller gives meaning to), a table of
 * the CRC32C of each 4 KiB block of the body, and the body.
 */
#define IMAGE_BLOCK 4096
#define IMAGE_USER 464

struct image_head {
	uint32_t magic;
	uint32_t version;		/* of this layout */
	uint64_t len;			/* the whole image */
	uint64_t body_off;		/* a multiple of IMAGE_BLOCK */
	uint64_t nblocks;		/* of the body */
	uint32_t block;			/* IMAGE_BLOCK */
	uint32_t table_crc;		/* of the block table */
	uint32_t head_crc;		/* of these 512 bytes, this field 0 */
	uint32_t unused;
	unsigned char user[IMAGE_USER];
};

_Static_assert(sizeof(struct image_head) == 512, "a 512-byte head");

struct image_view {
	const unsigned char *base;	/* NULL: no image */
	uint64_t len, body_off, nblocks;
	uint64_t *checked;		/* a bit per body block found whole */
	uint64_t *done;			/* how many: nblocks, every one (the
					 * word after the bitmap) */
	unsigned char user[IMAGE_USER];	/* the head's, checked at open */
};

/* image_crc32c - the CRC32C (Castagnoli) of n bytes at p. */
uint32_t image_crc32c(const void *p, size_t n);

/*
 * image_layout - the length of an image whose body is body_len bytes, and
 * in *body_off where the body starts.  The caller allocates that many
 * bytes, zeroed, fills the user area (image_user()) and the body, then
 * calls image_seal().
 */
size_t image_layout(size_t body_len, size_t *body_off);

/*
 * image_huge - advise that the pages of len bytes at p, a buffer about to
 * be filled whole, be huge ones (MADV_HUGEPAGE) where the buffer spans
 * whole 2 MiB pages; nothing for smaller ones or where the kernel says no.
 */
void image_huge(void *p, size_t len);

/* image_user - the head's user area of an image being built. */
void *image_user(void *image);

/* image_seal - write the head and the block table of a built image. */
void image_seal(void *image, size_t len, size_t body_off);

/*
 * image_open - a view of len bytes at base, checked: the head (magic,
 * version, sizes, offsets, its checksum) and the block table's checksum,
 * never the body.  Returns 0, -EINVAL (not a whole image), or -ENOMEM (the
 * bitmap of checked blocks, allocated here and never on a lookup).
 */
int image_open(struct image_view *v, const void *base, size_t len);

/*
 * image_trust - take every block of v as checked: the image was built by
 * this process, in memory nobody else writes.
 */
void image_trust(struct image_view *v);

/* image_close - free what image_open() allocated (not the image). */
void image_close(struct image_view *v);

/* image_at_slow - image_at() for a span whose blocks are not all known
 * whole yet (or that is out of bounds). */
const void *image_at_slow(const struct image_view *v, uint64_t off,
			  size_t len);

/* Whether every block of v is known whole (image_trust(), or each one
 * checked): then a read inside the body needs no other test. */
static inline bool image_all_ok(const struct image_view *v)
{
	return __atomic_load_n(v->done, __ATOMIC_RELAXED) == v->nblocks;
}

/*
 * image_at_inside - image_at() for a span its caller knows to lie inside
 * the body (a region match_open() checked, at an offset it bounded): only
 * the blocks' checks are left, and when every block is known whole, one
 * test.  (A slot or a filter word lies inside one block: one bit.)
 */
static inline const void *image_at_inside(const struct image_view *v,
					  uint64_t off, size_t len)
{
	uint64_t b;

	if (__builtin_expect(image_all_ok(v), 1))
		return v->base + off;
	b = (off - v->body_off) / IMAGE_BLOCK;
	if (b == (off + len - 1 - v->body_off) / IMAGE_BLOCK &&
	    (__atomic_load_n(&v->checked[b / 64], __ATOMIC_RELAXED) >>
	     (b % 64) & 1))
		return v->base + off;
	return image_at_slow(v, off, len);
}

/*
 * image_at - the address of [off, off + len) of v's body, or NULL when that
 * is not inside the body (len 0 included) or a block it touches fails its
 * checksum.  Each block is checked once.  Async-signal-safe, lock-free,
 * allocates nothing.  The bytes may be unaligned: read them by memcpy().
 */
static inline const void *image_at(const struct image_view *v, uint64_t off,
				   size_t len)
{
	if (off < v->body_off || off > v->len || len > v->len - off || !len)
		return NULL;
	return image_at_inside(v, off, len);
}

/*
 * match_normalize - an address and prefix length as the index files them:
 * an IPv4-mapped IPv6 one of at least 96 bits becomes IPv4.  (match.c)
 */
void match_normalize(struct policy_addr *addr, unsigned *plen);

/*
 * What a lookup finds: the deciding rule's action, line, ports and
 * protocol.  failed: the index could not be read where the lookup needed
 * it (a block failed its checksum, a record out of range); action is then
 * RULE_DENY and line 0, and the lookup answers true: fail closed.
 */
struct match_rec {
	uint32_t line;
	uint16_t port_low, port_high;
	uint8_t action;			/* enum policy_action */
	uint8_t proto;			/* enum policy_proto */
	uint8_t failed;
};

/*
 * The sections a lookup applies: selected[i] nonzero when section i + 1
 * (scope i + 1) is; scope 0 (global) always applies, a scope past
 * nsections never.
 */
struct match_sel {
	const unsigned char *selected;
	size_t nsections;
};

/* An index: a view of its image and what its header said, checked. */
struct match_index {
	struct image_view view;
	uint64_t slots_off, filter_off, recs_off, strings_off;
	uint64_t nslots;		/* a power of two; 0: no index */
	uint64_t filter_mask;		/* filter words - 1 */
	uint64_t nrecs, strings_len;
	uint8_t nlens[2];
	uint8_t lens[2][129];		/* per family, longest first */
};

/*
 * match_build - an image indexing every rule of rules[0..n) (in file order)
 * with its scope, for match_open(): one allocation (aligned_alloc), *image
 * and *len set, the same bytes whatever process builds it from the same
 * rules (no pointers, no uninitialised bytes).  Returns 0 or -ENOMEM.
 * (match.c)
 */
int match_build(const struct rule *rules, size_t n, void **image, size_t *len);

/*
 * Where match_build_in() puts an image: get() gives len bytes (NULL: no
 * memory), put() takes back the last one given when the build starts
 * over in a bigger one.
 */
struct match_alloc {
	void *(*get)(void *arg, size_t len);
	void (*put)(void *arg, void *image);
	void *arg;
};

/*
 * match_build_in - match_build() into memory from a: the same bytes, in
 * one piece of it; *image and *len set.  Returns 0 or -ENOMEM.
 * (match_build.c)
 */
int match_build_in(const struct rule *rules, size_t n,
		   const struct match_alloc *a, void **image, size_t *len);

/*
 * match_open - a view of image (len bytes), which may be mapped and
 * untrusted, in *ix; O(1) in the rules (image_open()).  Returns 0, -EINVAL
 * (a bad header) or -ENOMEM.  An ix zeroed is an empty index.
 */
int match_open(struct match_index *ix, const void *image, size_t len);

/* match_close - free what match_open() allocated, not the image. */
void match_close(struct match_index *ix);

/*
 * match_addr - whether an address rule of a selected scope decides a
 * connection to addr on port (host order; 0 when unknown: only portless
 * rules fit) over proto (PROTO_ANY when unknown: only rules for any
 * protocol fit), and if so which, in *out (out->failed: see struct
 * match_rec).  ix zeroed: no rules.
 */
bool match_addr(const struct match_index *ix, const struct match_sel *sel,
		const struct policy_addr *addr, uint16_t port,
		enum policy_proto proto, struct match_rec *out);

/*
 * match_name - as match_addr(), for name (any case, a final dot ignored): an
 * exact name rule, else the "*.suffix" rule of its nearest parent domain,
 * each as match_addr() picks among a key's rules.
 */
bool match_name(const struct match_index *ix, const struct match_sel *sel,
		const char *name, uint16_t port, enum policy_proto proto,
		struct match_rec *out);

/*
 * match_name_covered - whether ix has a rule of a selected scope for name,
 * exact or "*.suffix", whatever its port and protocol; true as well when
 * the index could not be read (fail closed).
 */
bool match_name_covered(const struct match_index *ix,
			const struct match_sel *sel, const char *name);

struct chunk;

struct policy {
	const char *file;		/* the config file read, or NULL */
	struct settings global;		/* its settings outside any section */
	struct section *sections;
	size_t nsections;
	struct rule *rules;		/* in file order */
	size_t nrules;
	size_t rules_cap;
	struct settings overrides;	/* policy_set() */
	struct settings effective;	/* what the accessors read */
	size_t global_actions[RULE_MAP + 1]; /* rules outside sections */
	size_t nactive;			/* rules that apply to the selection */
	size_t nactions[RULE_MAP + 1];	/* of them, by action */
	/* Every rule, indexed with its scope whatever the selection: built
	 * when the rules change (policy_refresh()), never on a selection. */
	struct match_index match;
	void *match_image;		/* match_build()'s, or NULL */
	unsigned char *match_selected;	/* the sections selected, a byte each */
	size_t match_nselected;		/* of match_selected: the sections at
					 * the build */
	struct match_sel match_sel;	/* of match_selected */
	bool match_stale;		/* rules changed since it was built */
	bool match_later;		/* built by its caller, not at refresh
					 * (policy_compile(): in its file) */
	bool match_failed;		/* no memory to index them */
	void (*on_error)(const struct policy_error *err, void *arg);
	void *on_error_arg;
	struct chunk *strings;		/* config_strdup() */
	char *strings_at;		/* its chunk's room: where, how much */
	size_t strings_room;
	const void *image;		/* the compiled policy mapped, or NULL */
	size_t image_len;
	bool may_map;			/* policy_may_map(), at refresh */
	bool prefix_embeds;		/* an IPv6 address may hold an IPv4
					 * host: the translate-prefix is auto
					 * or not ::ffff:0:0/96; at refresh */
	policy_pref64_finder pref64;	/* translate-prefix = auto's */
};

/*
 * config_report - record an error at line and column of file: into err if it
 * is the first (*count == 0), and to the policy's error handler.
 */
void config_report(struct policy *policy, struct policy_error *err,
		   unsigned *count, const char *file, unsigned line,
		   unsigned column, const char *fmt, ...)
	__attribute__((format(printf, 7, 8)));

/*
 * What tells a config file apart from any other, and from itself before
 * a change (fstat()): a compiled policy records the file it was built
 * from so (policy/compiled.c).
 */
struct policy_identity {
	uint64_t dev, ino, size;
	int64_t mtime_sec, mtime_nsec;
	int64_t ctime_sec, ctime_nsec;
};

struct stat;

/* policy_identity_of - id for the file st describes (padding zeroed). */
void policy_identity_of(struct policy_identity *id, const struct stat *st);

/*
 * compiled_check - why image, len bytes of a compiled policy (which may be
 * truncated, corrupt or hostile), may not be used for the config file id
 * names, in a word for the log ("truncated", "not-compiled",
 * "other-version", "stale", "corrupt"); NULL when it may.  Checks the header and the
 * small parts whole, the index only at its use (match_open()).
 */
const char *compiled_check(const void *image, size_t len,
			   const struct policy_identity *id);

/*
 * policy_index_use - have policy's lookups read the index image (len bytes,
 * mapped, untrusted: match_open()) for its rules, which it does not hold
 * itself; image must outlive policy.  Returns 0, -EINVAL or -ENOMEM.
 * (policy.c)
 */
int policy_index_use(struct policy *policy, const void *image, size_t len);

/*
 * compiled_seal - write the checksum of image (len bytes), a compiled
 * policy whose header says where its parts are: what policy_compile()
 * does last, and the fuzz target to each input.  An image whose header
 * does not say where its index starts is left as it is.
 */
void compiled_seal(void *image, size_t len);

/*
 * compiled_identity - the identity of the config file image (len bytes,
 * unchecked) says it was compiled from, in *id; false when it is too short
 * to say.
 */
bool compiled_identity(const void *image, size_t len,
		       struct policy_identity *id);

/* compiled_sections - how many sections image, checked, has. */
size_t compiled_sections(const void *image);

/*
 * compiled_load - load image, a compiled policy compiled_check() passed,
 * into policy (empty) as the config file name: its settings and sections
 * parsed again from the kept lines, its rules counted and indexed in
 * place; image must outlive policy.  Returns 0, or -EINVAL or -ENOMEM
 * with err filled and policy left empty.
 */
int compiled_load(struct policy *policy, const char *name, const void *image,
		  size_t len, struct policy_error *err);

/*
 * A captured source (policy_capture(), policy.h): the config file's bytes
 * and the STACKSHIM_* variables, kept in room while they fit.
 */
struct policy_source {
	bool secure;
	bool file;		/* a config file was to be read */
	const char *path;	/* the config file read; NULL: none */
	char *text;		/* its bytes */
	size_t len;
	int rc;			/* 0, or the negative errno reading it failed with */
	bool report;		/* rc is reported (error), not silent */
	struct policy_error error;
	char **env;		/* the STACKSHIM_* variables; NULL: none */
	struct policy_identity identity; /* the config file's, as read */
	/* The compiled policy of the file (policy/compiled.c), mapped
	 * read-only and shared, when one was found that matches it: then
	 * text is NULL.  Else, when one was found and refused, why, and
	 * where (for the log). */
	const void *image;
	size_t image_len;
	bool image_taken;	/* by the policy loaded from it, which unmaps
				 * it (policy_load_image()) */
	const char *index_refused;
	char index_path[256];
	char *const *index_env;	/* while capturing: where to look */
	/* The copies' memory while they fit, so that a process whose
	 * library captures a small config at load has no heap to set up
	 * for it; room is never cleared, and only its used bytes touched. */
	size_t used;
	_Alignas(max_align_t) char room[4096];
};

/*
 * config_source_read - open, check and read the config file at path into
 * src->text and src->len (src->path set), parsing nothing: anything but a
 * regular file or /dev/null is refused unopened, and with trusted set a
 * file that anyone but root owns or may write.  A file changed within the
 * last moment, or while it was read, is read again, and refused (-EAGAIN)
 * after a few tries.  With optional set, a missing file is no file and no
 * error (0, src->path NULL).  A failure is recorded in src (rc, report,
 * error: the file and the text to report) and returned as a negative
 * errno; src->text is then NULL.  policy/source.c.
 */
int config_source_read(struct policy_source *src, const char *path,
		       bool trusted, bool optional);

/*
 * config_source_init - src empty, as policy_capture() starts it (room left
 * as it is).
 */
void config_source_init(struct policy_source *src);

/*
 * config_source_alloc - n bytes for src's copies, from its room while there
 * is enough left, else from malloc(); NULL when there is no memory.
 * config_source_free() gives them back (p may be NULL).
 */
void *config_source_alloc(struct policy_source *src, size_t n);
void config_source_free(struct policy_source *src, void *p);

/*
 * config_source_fail - record in src that reading path failed with rc
 * (a negative errno), to be reported with text, or with rc's description
 * when text is NULL.  Returns rc.
 */
int config_source_fail(struct policy_source *src, const char *path, int rc,
		       const char *text);

/*
 * config_read - read and parse the config file at path, reporting a file
 * that cannot be read at line 0.  Returns as policy_parse_file().
 */
int config_read(struct policy *policy, const char *path,
		struct policy_error *err);

/*
 * What a compiled policy keeps of a config's text (policy/compiled.c): the
 * lines that are no rule (section headers and settings, trimmed, comments
 * left out), each as a record: this header, then len bytes, padded to
 * CONFIG_KEPT_PAD(len), in line order.
 */
struct config_kept {
	uint32_t line;
	uint32_t len;
};

#define CONFIG_KEPT_PAD(n) (((size_t)(n) + 3) & ~(size_t)3)

/*
 * config_keep_fn - told each kept line of a parse (its number and trimmed
 * text, len bytes, not NUL-terminated): 0, or -ENOMEM to fail the parse.
 */
typedef int (*config_keep_fn)(void *arg, unsigned line, const char *text,
			      size_t len);

/*
 * config_parse_text - policy_parse_buffer() (policy.h), each kept line
 * told to keep (NULL: none) as it is read.
 */
int config_parse_text(struct policy *policy, const char *name,
		      const char *buf, size_t len, struct policy_error *err,
		      config_keep_fn keep, void *arg);

/*
 * config_parse_kept - read a compiled policy's kept lines, len bytes of
 * records at recs (which may be untrusted: a record that does not fit,
 * or a line number that does not grow, fails), as the text they came from
 * reads, but for the rules: a rule among them is an error.  name is the
 * config's file, for errors and origins.  Returns as policy_parse_buffer().
 */
int config_parse_kept(struct policy *policy, const char *name,
		      const void *recs, size_t len, struct policy_error *err);

/* config_clear - forget the file: its settings, sections and rules. */
void config_clear(struct policy *policy);

/* policy_refresh - recompute the effective settings after any change. */
void policy_refresh(struct policy *policy);

/*
 * A parse failure inside one value: offset is where in the value it lies,
 * text what is wrong.
 */
struct fault {
	size_t offset;
	char text[200];
};

/*
 * A config keyword: its name, and for a scalar how its value reads
 * (parse: 0, -EINVAL with the fault set, or -ENOMEM) and prints (format:
 * as snprintf).
 */
struct keyword {
	const char *name;
	enum key key;
	int (*parse)(struct policy *policy, const char *value,
		     union value *out, struct fault *f);
	int (*format)(const union value *value, char *buf, size_t len);
};

/* values_keyword - the keyword spelt by len bytes of name, or NULL. */
const struct keyword *values_keyword(const char *name, size_t len);

/* values_keyword_at - the keyword of key. */
const struct keyword *values_keyword_at(enum key key);

/*
 * values_parse_ports - a port or a port range in len bytes of s: "LOW" or
 * "LOW<sep>HIGH", blanks allowed around sep, 1 <= LOW <= HIGH <= 65535.  at is
 * the offset of s in the value, for f.  LOW alone sets high = low.  Returns 0
 * or -EINVAL with f set.
 */
int values_parse_ports(const char *s, size_t len, size_t at, char sep,
		       uint16_t *low, uint16_t *high, struct fault *f);

/*
 * fault_set - fill f; returns -EINVAL so that a parser can end with
 * "return fault_set(f, ...);".
 */
int fault_set(struct fault *f, size_t offset, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * config_strdup - a copy of len bytes of s, NUL-terminated, owned by policy
 * and freed with it; NULL without memory.
 */
char *config_strdup(struct policy *policy, const char *s, size_t len);

/*
 * rules_parse_hostname - whether s (len bytes) is a host name: dot-separated
 * labels of letters, digits and hyphens, 1 to 63 bytes each, not starting or
 * ending with a hyphen, 253 bytes at most, an optional final dot.  Returns 0,
 * or -EINVAL with f set at the offending byte.
 */
int rules_parse_hostname(const char *s, size_t len, struct fault *f);

/*
 * rules_parse - parse the value of an allow/deny/map line into r:
 * "DEST [PORT|LOW-HIGH] [tcp|udp]", DEST being an address, a CIDR, a host
 * name or "*.domain".  Strings are copied into policy.  Returns 0, -EINVAL
 * with f set, or -ENOMEM.
 */
int rules_parse(struct policy *policy, const char *value, struct rule *r,
		struct fault *f);

/*
 * rules_format - r as the value of its config line ("10.0.0.0/8 22 tcp"),
 * as snprintf.
 */
int rules_format(const struct rule *r, char *buf, size_t len);

/*
 * rules_active - whether r applies to the selected program: it is outside
 * every section, or in a selected one.
 */
bool rules_active(const struct policy *policy, const struct rule *r);

#endif /* STACKSHIM_POLICY_INTERNAL_H */
