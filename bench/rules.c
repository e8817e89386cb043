/* SPDX-License-Identifier: MIT */
/*
 * rules.c - how the destination rule engine scales with the number of
 * rules (SPEC §3: "lookup cost must not grow with the number of rules").
 *
 * For configs of 10, 1,000, 10,000 and 100,000 rules it measures the load
 * time (policy_parse_file() + policy_select(), which builds the index) and
 * the lookups per second of policy_match_addr() and policy_match_name(),
 * for destinations that hit a rule and for ones that miss them all, and
 * prints them beside the 10-rule config's.
 *
 * Every config cycles through the same ten kinds of rule (IPv4 /16, /24,
 * /32 and /28 with a port range, IPv6 /48, /64 and /128, exact names,
 * *.domains, names with a port), so each has the same prefix lengths and
 * the same kinds of name: only the number of rules differs.  Hits are
 * spread over all of a config's rules, so a large config is also measured
 * with its memory out of cache.
 *
 *	bench_rules			the timing table
 *	bench_rules --lookups N COUNT	load the N-rule config, then COUNT
 *					lookups of each sort in the
 *					bench_loop_* functions (for callgrind,
 *					bench/run.sh)
 *	bench_rules --prefixes 4|6 L COUNT
 *					a config of L rules of L distinct
 *					prefix lengths (IPv4: 32 down to
 *					33 - L, L 33 at most; IPv6: 128
 *					down to 129 - L, L 129 at most),
 *					then COUNT lookups that only the
 *					shortest decides (every length
 *					probed) in bench_loop_plen_hit and
 *					COUNT that no rule fits in
 *					bench_loop_plen_miss (for callgrind:
 *					the cost per prefix length)
 */
#include "config.h"

#include <arpa/inet.h>
#include <malloc.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "policy.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define NQUERIES 4096		/* a power of two */
/* Kept apart: not inlined, and not merged although their bodies are alike. */
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 8
#define NOINLINE __attribute__((noipa))
#else
#define NOINLINE __attribute__((noinline))
#endif

static const unsigned bench_sizes[] = { 10, 1000, 10000, 100000 };

struct query {
	struct policy_addr addr;
	char name[64];
	uint16_t port;
	enum policy_proto proto;
};

/*
 * The sorts of lookup: hits spread over the config's rules (4096
 * destinations), hits on the same 16 destinations again and again (a
 * program's usual few peers: the table's memory stays in cache), misses.
 */
enum sort {
	ADDR_HIT, ADDR_HOT, ADDR_MISS, NAME_HIT, NAME_HOT, NAME_MISS, NSORTS
};
#define NHOT 16

static const char *const sort_names[NSORTS] = {
	"addr hit", "addr hit, 16", "addr miss",
	"name hit", "name hit, 16", "name miss",
};

static bool sort_hits(enum sort sort)
{
	return sort != ADDR_MISS && sort != NAME_MISS;
}

/* A small deterministic generator (xorshift64*), so every run is the same. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint32_t rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 0x2545f4914f6cdd1dull) >> 32);
}

/* Rule i of a config: kind i % 10, its j-th of that kind (j < 10,000). */
static void rule_write(FILE *f, unsigned i)
{
	static const char *const actions[] = { "allow", "deny", "map" };
	const char *a = actions[i % 3];
	unsigned j = i / 10;

	switch (i % 10) {
	case 0: fprintf(f, "%s = 10.%u.%u.0/24\n", a, j >> 8, j & 255); break;
	case 1: fprintf(f, "%s = 11.%u.%u.%u\n", a, j >> 16, (j >> 8) & 255,
			j & 255); break;
	case 2: fprintf(f, "%s = %u.%u.0.0/16\n", a, 12 + (j >> 8), j & 255);
		break;
	case 3: fprintf(f, "%s = 172.%u.%u.%u/28 1000-1999 tcp\n", a,
			16 + ((j >> 12) & 15), (j >> 4) & 255, (j & 15) << 4);
		break;
	case 4: fprintf(f, "%s = 2001:db8:%x::/48\n", a, j); break;
	case 5: fprintf(f, "%s = 2001:db9:0:%x::/64\n", a, j); break;
	case 6: fprintf(f, "%s = 2001:dba::%x\n", a, j); break;
	case 7: fprintf(f, "%s = h%u.bench.test\n", a, j); break;
	case 8: fprintf(f, "%s = *.d%u.bench.test\n", a, j); break;
	default: fprintf(f, "%s = p%u.bench.test 443 tcp\n", a, j); break;
	}
}

/* Write the n-rule config to path.  Returns 0 or -1 with errno set. */
static int config_write(const char *path, unsigned n)
{
	FILE *f = fopen(path, "w");
	unsigned i;

	if (!f)
		return -1;
	fprintf(f, "# bench/rules.c: %u rules\nstack = dual\n", n);
	for (i = 0; i < n; i++)
		rule_write(f, i);
	/* A section, so that policy_select() has one to choose. */
	fputs("[program bench_rules]\nprefer = ipv4\n", f);
	return fclose(f) == EOF ? -1 : 0;
}

static void addr_set(struct query *q, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void addr_set(struct query *q, const char *fmt, ...)
{
	char text[64];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (policy_addr_parse(text, &q->addr) < 0) {
		fprintf(stderr, "bench_rules: bad address %s\n", text);
		exit(99);
	}
}

/* A destination that hits the j-th rule of address kind k. */
static void query_addr_hit(struct query *q, unsigned k, unsigned j)
{
	q->port = 80;
	q->proto = PROTO_TCP;
	switch (k) {
	case 0: addr_set(q, "10.%u.%u.%u", j >> 8, j & 255, rng() & 255);
		break;
	case 1: addr_set(q, "11.%u.%u.%u", j >> 16, (j >> 8) & 255, j & 255);
		break;
	case 2: addr_set(q, "%u.%u.%u.%u", 12 + (j >> 8), j & 255,
			 rng() & 255, rng() & 255); break;
	case 3: addr_set(q, "172.%u.%u.%u", 16 + ((j >> 12) & 15),
			 (j >> 4) & 255, ((j & 15) << 4) | (rng() & 15));
		q->port = (uint16_t)(1000 + rng() % 1000); break;
	case 4: addr_set(q, "2001:db8:%x:%x::%x", j, rng() & 0xffff,
			 rng() & 0xffff); break;
	case 5: addr_set(q, "2001:db9:0:%x:%x::%x", j, rng() & 0xffff,
			 rng() & 0xffff); break;
	default: addr_set(q, "2001:dba::%x", j); break;
	}
}

/* The queries of one sort for a config of n rules. */
static void queries_make(struct query *qs, enum sort sort, unsigned n)
{
	static const unsigned addr_kinds[] = { 0, 1, 2, 3, 4, 5, 6 };
	static const unsigned name_kinds[] = { 7, 8, 9 };
	bool hot = sort == ADDR_HOT || sort == NAME_HOT;
	unsigned i, k, j;

	if (sort == ADDR_HOT || sort == NAME_HOT)
		sort = sort == ADDR_HOT ? ADDR_HIT : NAME_HIT;
	for (i = 0; i < NQUERIES; i++) {
		struct query *q = &qs[i];

		if (hot && i >= NHOT) {
			*q = qs[i % NHOT];
			continue;
		}
		memset(q, 0, sizeof(*q));
		q->port = 443;
		q->proto = PROTO_TCP;
		k = sort == NAME_HIT ? name_kinds[i % 3] : addr_kinds[i % 7];
		/* The j-th rule of kind k exists when 10 j + k < n. */
		j = n > k ? rng() % ((n - k + 9) / 10) : 0;
		switch (sort) {
		case ADDR_HIT: query_addr_hit(q, k, j); break;
		case ADDR_MISS:
			if (i & 1)
				addr_set(q, "100.64.%u.%u", rng() & 255,
					 rng() & 255);
			else
				addr_set(q, "3fff:%x::%x", rng() & 0xffff,
					 rng() & 0xffff);
			break;
		case NAME_HIT:
			snprintf(q->name, sizeof(q->name),
				 k == 7 ? "h%u.bench.test" :
				 k == 8 ? "www.d%u.bench.test" :
					  "p%u.bench.test", j);
			break;
		default:
			snprintf(q->name, sizeof(q->name),
				 "www.x%u.miss%u.bench.test", rng() % 100000,
				 rng() % 1000);
			break;
		}
	}
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static inline __attribute__((always_inline)) size_t
loop_addr(const struct policy *p, const struct query *qs, size_t count)
{
	struct policy_rule r;
	size_t i, hits = 0;

	for (i = 0; i < count; i++) {
		const struct query *q = &qs[i & (NQUERIES - 1)];

		hits += policy_match_addr(p, &q->addr, q->port, q->proto, &r);
	}
	return hits;
}

static inline __attribute__((always_inline)) size_t
loop_name(const struct policy *p, const struct query *qs, size_t count)
{
	struct policy_rule r;
	size_t i, hits = 0;

	for (i = 0; i < count; i++) {
		const struct query *q = &qs[i & (NQUERIES - 1)];

		hits += policy_match_name(p, q->name, q->port, q->proto, &r);
	}
	return hits;
}

/* One function per sort, so that callgrind can count each apart. */
static NOINLINE size_t bench_loop_addr_hit(const struct policy *p,
				    const struct query *qs, size_t count)
{
	return loop_addr(p, qs, count);
}

static NOINLINE size_t bench_loop_addr_hot(const struct policy *p,
				    const struct query *qs, size_t count)
{
	return loop_addr(p, qs, count);
}

static NOINLINE size_t bench_loop_addr_miss(const struct policy *p,
				     const struct query *qs, size_t count)
{
	return loop_addr(p, qs, count);
}

static NOINLINE size_t bench_loop_name_hit(const struct policy *p,
				    const struct query *qs, size_t count)
{
	return loop_name(p, qs, count);
}

static NOINLINE size_t bench_loop_name_hot(const struct policy *p,
				    const struct query *qs, size_t count)
{
	return loop_name(p, qs, count);
}

static NOINLINE size_t bench_loop_name_miss(const struct policy *p,
				     const struct query *qs, size_t count)
{
	return loop_name(p, qs, count);
}

static size_t (*const bench_loops[NSORTS])(const struct policy *,
					   const struct query *, size_t) = {
	bench_loop_addr_hit, bench_loop_addr_hot, bench_loop_addr_miss,
	bench_loop_name_hit, bench_loop_name_hot, bench_loop_name_miss,
};

/* The bytes malloc() has handed out and not had back, mapped ones too. */
static size_t heap_used(void)
{
	struct mallinfo2 mi = mallinfo2();

	return mi.uordblks + mi.hblkhd;
}

/*
 * Load the n-rule config from path; *ms is how long it took, *bytes how
 * much memory the loaded policy holds (its rules and strings, and the
 * index).
 */
static struct policy *load(const char *path, double *ms, size_t *bytes)
{
	size_t before = heap_used();
	struct policy_error err;
	struct policy *p = policy_new();
	char text[600];
	double t0 = now();

	if (!p || policy_parse_file(p, path, &err) < 0) {
		policy_error_format(&err, text, sizeof(text));
		fprintf(stderr, "bench_rules: %s\n", p ? text : "no memory");
		exit(99);
	}
	policy_select(p, "bench_rules", NULL, NULL);
	*ms = (now() - t0) * 1e3;
	*bytes = heap_used() - before;
	return p;
}

/* Run every sort's loop count times; *ns gets nanoseconds per lookup. */
static void lookups(const struct policy *p, unsigned n, size_t count,
		    struct query *qs[NSORTS], double ns[NSORTS])
{
	size_t hits;
	double t0;
	int s;

	for (s = 0; s < NSORTS; s++) {
		t0 = now();
		hits = bench_loops[s](p, qs[s], count);
		if (ns)
			ns[s] = (now() - t0) * 1e9 / (double)count;
		/* Hits must hit and misses miss, or the numbers lie. */
		if (hits != (sort_hits((enum sort)s) ? count : 0)) {
			fprintf(stderr, "bench_rules: %u rules, %s: %zu of %zu "
				"lookups found a rule\n", n, sort_names[s],
				hits, count);
			exit(99);
		}
	}
}

/* The queries of every sort for a config of n rules, into qs. */
static void queries_all(unsigned n, struct query *qs[NSORTS])
{
	int s;

	for (s = 0; s < NSORTS; s++) {
		qs[s] = malloc(NQUERIES * sizeof(*qs[s]));
		if (!qs[s]) {
			perror("bench_rules");
			exit(99);
		}
		queries_make(qs[s], (enum sort)s, n);
	}
}

static void queries_free(struct query *qs[NSORTS])
{
	int s;

	for (s = 0; s < NSORTS; s++)
		free(qs[s]);
}

static void path_make(char *buf, size_t len, const char *dir, unsigned n)
{
	snprintf(buf, len, "%s/rules-%u.conf", dir, n);
}

/* --lookups N COUNT: the part callgrind counts. */
static int lookups_only(const char *dir, unsigned n, size_t count)
{
	char path[4096];
	struct query *qs[NSORTS];
	struct policy *p;
	size_t bytes;
	double ms;

	path_make(path, sizeof(path), dir, n);
	if (config_write(path, n) < 0) {
		perror(path);
		return 99;
	}
	queries_all(n, qs);
	p = load(path, &ms, &bytes);
	lookups(p, n, count, qs, NULL);
	policy_free(p);
	queries_free(qs);
	unlink(path);
	return 0;
}

/*
 * A destination with its top bit set, masked to plen bits, and with bit
 * plen - 1 flipped unless keep: a rule of that length that d misses.
 */
static void plen_addr(struct policy_addr *out, const struct policy_addr *d,
		      unsigned plen, bool keep)
{
	unsigned i, bytes = d->fam == FAM_IPV4 ? 4 : 16;

	*out = *d;
	for (i = 0; i < bytes * 8; i++)
		if (i >= plen)
			out->a[i / 8] &= (uint8_t)~(0x80u >> (i % 8));
	if (!keep)
		out->a[(plen - 1) / 8] ^= (uint8_t)(0x80u >> ((plen - 1) % 8));
}

NOINLINE static size_t bench_loop_plen_hit(const struct policy *p,
					   const struct policy_addr *a,
					   size_t count)
{
	struct policy_rule r;
	size_t i, hits = 0;

	for (i = 0; i < count; i++)
		hits += policy_match_addr(p, a, 80, PROTO_TCP, &r);
	return hits;
}

NOINLINE static size_t bench_loop_plen_miss(const struct policy *p,
					    const struct policy_addr *a,
					    size_t count)
{
	struct policy_rule r;
	size_t i, hits = 0;

	for (i = 0; i < count; i++)
		hits += policy_match_addr(p, a, 80, PROTO_TCP, &r);
	return hits;
}

/* --prefixes FAM L COUNT: the cost of a lookup per prefix length in use. */
static int prefixes_only(int fam, unsigned nlens, size_t count)
{
	struct policy_addr d = {.fam = fam == 4 ? FAM_IPV4 : FAM_IPV6}, r, miss;
	unsigned bits = fam == 4 ? 32 : 128;
	int l;
	char text[64], line[128];
	struct policy_error err;
	struct policy *p = policy_new();
	size_t len = 0, cap = 128 * 160;
	char *conf = malloc(cap);

	if (!p || !conf || !nlens || nlens > bits + 1)
		return 2;
	memset(d.a, 0x5a, sizeof(d.a));
	d.a[0] = 0xda;
	for (l = (int)bits; l > (int)bits - (int)nlens; l--) {
		plen_addr(&r, &d, (unsigned)l, l == (int)bits - (int)nlens + 1);
		inet_ntop(fam == 4 ? AF_INET : AF_INET6, r.a, text,
			  sizeof(text));
		len += (size_t)snprintf(conf + len, cap - len, "deny = %s/%d\n",
					text, l);
	}
	if (policy_parse_buffer(p, "prefixes.conf", conf, len, &err) != 0) {
		fprintf(stderr, "%s:%u: %s\n", err.file, err.line, err.text);
		return 99;
	}
	miss = d;
	miss.a[0] ^= 0x80;
	snprintf(line, sizeof(line), "%zu hits, %zu misses\n",
		 bench_loop_plen_hit(p, &d, count),
		 bench_loop_plen_miss(p, &miss, count));
	fputs(line, stdout);
	policy_free(p);
	free(conf);
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return v[n / 2];
}

/*
 * Every config loaded ROUNDS times (load time: the median), then the
 * lookups of every config in turn, ROUNDS times over (A B C D A B C D ...),
 * each cell the median of its rounds: the machine's drift falls on all
 * configs alike instead of on whichever ran last.
 */
#define ROUNDS 7

static int table(const char *dir)
{
	enum { NSIZES = ARRAY_SIZE(bench_sizes) };
	static double t[NSIZES][NSORTS][ROUNDS], loads[NSIZES][ROUNDS];
	double ms[NSIZES], ns[NSIZES][NSORTS];
	struct query *qs[NSIZES][NSORTS];
	struct policy *p[NSIZES];
	const size_t count = 200000;
	size_t bytes[NSIZES];
	char path[4096];
	size_t i;
	int s, round;

	for (i = 0; i < NSIZES; i++) {
		unsigned n = bench_sizes[i];

		queries_all(n, qs[i]);
		path_make(path, sizeof(path), dir, n);
		if (config_write(path, n) < 0) {
			perror(path);
			return 99;
		}
		for (round = 0; round < ROUNDS; round++) {
			p[i] = load(path, &loads[i][round], &bytes[i]);
			if (round < ROUNDS - 1)
				policy_free(p[i]);
		}
		ms[i] = median(loads[i], ROUNDS);
		unlink(path);
	}
	for (round = 0; round < ROUNDS; round++) {
		for (i = 0; i < NSIZES; i++) {
			double one[NSORTS];

			lookups(p[i], bench_sizes[i], count, qs[i], one);
			for (s = 0; s < NSORTS; s++)
				t[i][s][round] = one[s];
		}
	}
	for (i = 0; i < NSIZES; i++) {
		for (s = 0; s < NSORTS; s++)
			ns[i][s] = median(t[i][s], ROUNDS);
		policy_free(p[i]);
		queries_free(qs[i]);
	}
	printf("%-14s", "rules");
	for (i = 0; i < NSIZES; i++)
		printf(" %15u", bench_sizes[i]);
	printf("\n%-14s", "load ms");
	for (i = 0; i < NSIZES; i++)
		printf(" %15.2f", ms[i]);
	printf("\n%-14s", "bytes/rule");
	for (i = 0; i < NSIZES; i++)
		printf(" %15.0f", (double)bytes[i] / bench_sizes[i]);
	printf("\n\nMillions of lookups per second, and in () the time of one "
	       "lookup\nover the 10-rule config's (medians of %d interleaved "
	       "rounds):\n\n", ROUNDS);
	for (s = 0; s < NSORTS; s++) {
		printf("%-14s", sort_names[s]);
		for (i = 0; i < NSIZES; i++)
			printf(" %7.2f (%4.2fx)", 1e3 / ns[i][s],
			       ns[i][s] / ns[0][s]);
		putchar('\n');
	}
	return 0;
}

int main(int argc, char **argv)
{
	char dir[] = "/tmp/stackshim-bench.XXXXXX";
	const char *tmpdir = getenv("TMPDIR");
	char *template = dir;
	int status;

	if (tmpdir && *tmpdir &&
	    asprintf(&template, "%s/stackshim-bench.XXXXXX", tmpdir) < 0)
		template = dir;
	if (!mkdtemp(template)) {
		perror("bench_rules: mkdtemp");
		return 99;
	}
	if (argc == 4 && !strcmp(argv[1], "--lookups"))
		status = lookups_only(template, (unsigned)atoi(argv[2]),
				      (size_t)atol(argv[3]));
	else if (argc == 5 && !strcmp(argv[1], "--prefixes"))
		status = prefixes_only(atoi(argv[2]), (unsigned)atoi(argv[3]),
				       (size_t)atol(argv[4]));
	else if (argc == 1)
		status = table(template);
	else {
		fputs("usage: bench_rules [--lookups N COUNT | "
		      "--prefixes 4|6 L COUNT]\n", stderr);
		status = 2;
	}
	rmdir(template);
	if (template != dir)
		free(template);
	return status;
}
