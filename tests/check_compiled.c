/* SPDX-License-Identifier: MIT */
/*
 * check_compiled.c - a compiled policy (policy/compiled.c, `stackshim
 * compile`): a process that finds one for its config uses it, and then
 * decides exactly as the text does (100,000 random rules, global and in
 * sections, against random destinations and names); one that finds one
 * not made from the very config it reads (changed after compiling), or
 * truncated, corrupt, of another version or not trusted, parses the text
 * and says why; and a corrupt block of the index fails closed, never
 * looser than the text.
 */
#include "config.h"

#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check_run.h"
#include "policy.h"

static char dir[64];
static char conf[128];
static char cache_env[128];
static char conf_env[160];

/* The environment a process of the tests starts with. */
static char *test_env[] = {conf_env, cache_env, NULL};

static void write_file(const char *path, const char *text, size_t len)
{
	char tmp[256];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.new", path);
	f = fopen(tmp, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(text, 1, len, f), len);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_int_eq(rename(tmp, path), 0);
}

static void setup(void)
{
	snprintf(dir, sizeof(dir), "%s/check_compiled.XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(conf, sizeof(conf), "%s/policy.conf", dir);
	snprintf(conf_env, sizeof(conf_env), "STACKSHIM_CONF=%s", conf);
	snprintf(cache_env, sizeof(cache_env), "STACKSHIM_CACHE_DIR=%s", dir);
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

/* Where the shim looks for conf's compiled policy. */
static const char *index_of(void)
{
	static char path[256];
	struct stat st;

	ck_assert_int_eq(stat(conf, &st), 0);
	ck_assert_int_eq(policy_index_path(path, sizeof(path), &st, false,
					   test_env), 0);
	return path;
}

static void compile(void)
{
	struct policy_error err;

	ck_assert_msg(policy_compile(conf, index_of(), &err) == 0,
		      "%s:%u: %s", err.file, err.line, err.text);
}

/* The policy a process of test_env loads, and why it did not use a
 * compiled one (NULL: it did, or there was none). */
static struct policy *load(const char **refused)
{
	struct policy_source_storage storage;
	struct policy_source *src = policy_source_in(&storage);
	struct policy_error err;
	struct policy *p = policy_new();

	ck_assert_ptr_nonnull(p);
	policy_capture(src, test_env, false, NULL);
	*refused = policy_source_index_refused(src, NULL);
	ck_assert_msg(policy_load_source(p, src, &err) == 0, "%s:%u: %s",
		      err.file, err.line, err.text);
	policy_source_release(src);
	return p;
}

static const char small[] = "stack = ipv6\n"
			    "deny = 192.0.2.0/24\n"
			    "[program curl]\n"
			    "allow = 192.0.2.7 443 tcp\n";

static bool denied(const struct policy *p, const char *a4, unsigned port)
{
	struct policy_addr a = {.fam = FAM_IPV4};
	struct policy_rule r;

	inet_pton(AF_INET, a4, a.a);
	return policy_match_dest(p, &a, (uint16_t)port, PROTO_TCP, &r) &&
	       r.action == RULE_DENY;
}

START_TEST(used_when_fresh)
{
	const char *why;
	struct policy *p;

	write_file(conf, small, strlen(small));
	compile();
	p = load(&why);
	ck_assert_ptr_null(why);
	ck_assert(policy_is_compiled(p));
	ck_assert_uint_eq(policy_stack(p), STACK_IPV6);
	ck_assert(denied(p, "192.0.2.7", 443));
	ck_assert_int_eq(policy_select(p, "curl", NULL, NULL), 1);
	ck_assert(!denied(p, "192.0.2.7", 443));
	ck_assert(denied(p, "192.0.2.8", 443));
	policy_free(p);
}
END_TEST

/* The same bytes written in place after compiling: a new change time. */
START_TEST(stale_after_edit)
{
	const char *why;
	struct policy *p;
	FILE *f;

	write_file(conf, small, strlen(small));
	compile();
	usleep(20 * 1000);
	f = fopen(conf, "r+");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_ge(fputs("stack = dual\n", f), 0);
	ck_assert_int_eq(fclose(f), 0);
	p = load(&why);
	ck_assert_str_eq(why, "stale");
	ck_assert(!policy_is_compiled(p));
	ck_assert_uint_eq(policy_stack(p), STACK_DUAL);
	policy_free(p);
}
END_TEST

/* A config replaced (rename) is another file: its index is not found. */
START_TEST(replaced_config_not_served)
{
	static const char other[] = "stack = ipv4\n";
	const char *why;
	struct policy *p;

	write_file(conf, small, strlen(small));
	compile();
	write_file(conf, other, strlen(other));
	p = load(&why);
	ck_assert_ptr_null(why);
	ck_assert(!policy_is_compiled(p));
	ck_assert_uint_eq(policy_stack(p), STACK_IPV4);
	policy_free(p);
}
END_TEST

/* The index file, read whole. */
static unsigned char *slurp(const char *path, size_t *len)
{
	struct stat st;
	unsigned char *b;
	int fd = open(path, O_RDONLY);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fstat(fd, &st), 0);
	b = malloc((size_t)st.st_size);
	ck_assert_ptr_nonnull(b);
	ck_assert_int_eq(read(fd, b, (size_t)st.st_size), st.st_size);
	close(fd);
	*len = (size_t)st.st_size;
	return b;
}

/* Write len bytes over path in place (the inode kept, as an attacker or
 * a bad disk would). */
static void overwrite(const char *path, const unsigned char *b, size_t len)
{
	int fd = open(path, O_WRONLY | O_TRUNC);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, b, len), (ssize_t)len);
	close(fd);
}

/* Each way of spoiling the index, and the word it is refused with. */
static const struct spoil {
	const char *why;
	size_t at;		/* the byte flipped; SIZE_MAX: truncate */
	unsigned char xor;
	size_t keep;		/* bytes kept when truncating */
} spoils[] = {
	{"truncated", SIZE_MAX, 0, 40},
	{"truncated", SIZE_MAX, 0, 300},
	{"not-compiled", 0, 0x20, 0},
	{"other-version", 8, 0x01, 0},
	{"stale", 40, 0x01, 0},		/* the config's identity */
	{"corrupt", 200, 0x01, 0},	/* a header offset or the sum */
	{"corrupt", 260, 0x10, 0},	/* the kept lines */
};

START_TEST(spoiled_index_refused)
{
	const struct spoil *s = &spoils[_i];
	const char *index, *why;
	unsigned char *b;
	struct policy *p;
	size_t len;

	write_file(conf, small, strlen(small));
	compile();
	index = index_of();
	b = slurp(index, &len);
	ck_assert_uint_gt(len, 300);
	if (s->at == SIZE_MAX)
		len = s->keep;
	else
		b[s->at] ^= s->xor;
	overwrite(index, b, len);
	free(b);
	p = load(&why);
	ck_assert_msg(why && !strcmp(why, s->why), "case %d: %s, not %s", _i,
		      why ? why : "(used)", s->why);
	ck_assert(!policy_is_compiled(p));
	ck_assert(denied(p, "192.0.2.7", 443));
	policy_free(p);
}
END_TEST

/* An index others may write, or another user owns, is not trusted. */
START_TEST(untrusted_index_refused)
{
	const char *index, *why;
	struct policy *p;

	write_file(conf, small, strlen(small));
	compile();
	index = index_of();
	ck_assert_int_eq(chmod(index, 0664), 0);
	p = load(&why);
	ck_assert_str_eq(why, "not-trusted");
	policy_free(p);
	if (geteuid() != 0)
		return;
	ck_assert_int_eq(chmod(index, 0644), 0);
	ck_assert_int_eq(chown(index, 65534, 65534), 0);
	p = load(&why);
	ck_assert_str_eq(why, "not-trusted");
	ck_assert(!policy_is_compiled(p));
	policy_free(p);
}
END_TEST

/* --- 100,000 random rules: the compiled policy decides as the text ------ */

#define NRULES 100000
#define NSECTIONS 4
#define NLOOKUPS 200000

/* The networks the rules name, to aim lookups at them. */
static struct net {
	unsigned char fam, plen;
	unsigned char a[16];
} nets[NRULES];
static size_t nnets;

static char *random_config(size_t *len)
{
	static const char *const act[] = {"allow", "deny", "map"};
	static const char *const ports[] = {"", " 80", " 1000-1999 tcp",
					    " 53 udp", " 443 tcp"};
	size_t cap = 64u << 20, n = 0, i;
	char *text = malloc(cap), buf[INET6_ADDRSTRLEN];
	unsigned section = 0;

	ck_assert_ptr_nonnull(text);
	nnets = 0;
	for (i = 0; i < NRULES; i++) {
		unsigned kind = (unsigned)random() % 10;
		const char *a = act[random() % 3];
		const char *p = ports[random() % 5];
		struct net *net = &nets[nnets];

		if (i % (NRULES / (NSECTIONS + 1)) == 0 && i && section <
								  NSECTIONS)
			n += (size_t)sprintf(text + n, "[program prog%u]\n",
					     ++section);
		if (kind < 4) {
			uint32_t v = (uint32_t)random() & 0x3fffffff;

			net->fam = FAM_IPV4;
			net->plen = (unsigned char)(8 + random() % 25);
			v &= net->plen == 32 ? ~0u : ~(~0u >> net->plen);
			v = htonl(v);
			memcpy(net->a, &v, 4);
			inet_ntop(AF_INET, net->a, buf, sizeof(buf));
			n += (size_t)sprintf(text + n, "%s = %s/%u%s\n", a, buf,
					     net->plen, p);
			nnets++;
		} else if (kind < 7) {
			unsigned plen = 16 + (unsigned)(random() % 113), b;

			memset(net->a, 0, 16);
			net->a[0] = 0x20;
			net->a[1] = 0x01;
			net->a[2] = 0x0d;
			net->a[3] = 0xb8;
			for (b = 4; b < 16; b++)
				net->a[b] = (unsigned char)(random() % 4);
			for (b = plen; b < 128; b++)
				net->a[b / 8] &= (unsigned char)~(0x80 >> b % 8);
			net->fam = FAM_IPV6;
			net->plen = (unsigned char)plen;
			inet_ntop(AF_INET6, net->a, buf, sizeof(buf));
			n += (size_t)sprintf(text + n, "%s = %s/%u%s\n", a, buf,
					     plen, p);
			nnets++;
		} else {
			n += (size_t)sprintf(text + n, "%s = %sh%ld.d%ld.test%s\n",
					     a, kind == 9 ? "*." : "",
					     random() % 5000, random() % 50, p);
		}
	}
	*len = n;
	return text;
}

/* One random lookup of both policies, which must agree. */
static void lookup_both(const struct policy *text, const struct policy *mapped)
{
	static const enum policy_proto protos[] = {PROTO_ANY, PROTO_TCP,
						   PROTO_UDP};
	uint16_t port = (uint16_t)(random() % 3 ? 0 : random() % 2000);
	enum policy_proto proto = protos[random() % 3];
	struct policy_rule r1, r2;
	bool f1, f2;

	if (random() % 4) {
		const struct net *net = &nets[(size_t)random() % nnets];
		struct policy_addr a = {.fam = net->fam};
		unsigned b, bits = net->fam == FAM_IPV4 ? 32 : 128;

		memcpy(a.a, net->a, bits / 8);
		for (b = net->plen; b < bits; b++)
			if (random() & 1)
				a.a[b / 8] ^= (unsigned char)(0x80 >> b % 8);
		f1 = policy_match_dest(text, &a, port, proto, &r1);
		f2 = policy_match_dest(mapped, &a, port, proto, &r2);
	} else {
		char name[64];

		snprintf(name, sizeof(name), "%sh%ld.d%ld.test",
			 random() % 2 ? "x." : "", random() % 5000,
			 random() % 50);
		f1 = policy_match_name(text, name, port, proto, &r1);
		f2 = policy_match_name(mapped, name, port, proto, &r2);
	}
	ck_assert_int_eq(f1, f2);
	if (f1) {
		ck_assert_int_eq(r1.action, r2.action);
		ck_assert_uint_eq(r1.line, r2.line);
	}
}

START_TEST(same_decisions_as_text)
{
	struct policy_error err;
	struct policy *text = policy_new(), *mapped;
	const char *why;
	unsigned section;
	size_t len, i;
	char *buf;

	srandom(20261207);
	buf = random_config(&len);
	write_file(conf, buf, len);
	ck_assert_int_eq(policy_parse_buffer(text, conf, buf, len, &err), 0);
	free(buf);
	compile();
	mapped = load(&why);
	ck_assert_ptr_null(why);
	ck_assert(policy_is_compiled(mapped));
	ck_assert_uint_eq(policy_rule_count(mapped), policy_rule_count(text));
	for (section = 0; section <= NSECTIONS; section++) {
		char prog[16];

		snprintf(prog, sizeof(prog), "prog%u", section);
		ck_assert_int_eq(policy_select(text, prog, NULL, NULL),
				 policy_select(mapped, prog, NULL, NULL));
		ck_assert_uint_eq(policy_rule_count(mapped),
				  policy_rule_count(text));
		for (i = 0; i < NLOOKUPS / (NSECTIONS + 1); i++)
			lookup_both(text, mapped);
	}
	policy_free(text);
	policy_free(mapped);
}
END_TEST

/*
 * Rules of every IPv4 prefix length, under 128 addresses that differ in
 * their top bits: more markers than the table sized for the keys has
 * room for, so that the index is built a second time, bigger, in the
 * compiled file's own buffer (policy/compiled.c compiled_index()).  The
 * compiled policy must still decide as the text does.
 */
START_TEST(markers_rebuilt_in_file)
{
	struct policy_error err;
	struct policy *text = policy_new(), *mapped;
	char *buf = malloc(128 * 40);
	struct policy_addr a = {.fam = FAM_IPV4};
	struct policy_rule r1, r2;
	size_t len = 0, i;
	const char *why;
	uint32_t v;
	bool f1, f2;

	ck_assert_ptr_nonnull(buf);
	for (i = 0; i < 128; i++) {
		v = ((uint32_t)i * 0x02000000u + 0x00a5a5a5u) &
		    ~0u << (32 - (1 + i % 32));	/* no host bits */
		len += (size_t)sprintf(buf + len, "%s = %u.%u.%u.%u/%zu\n",
				       i % 2 ? "deny" : "allow", v >> 24,
				       v >> 16 & 255, v >> 8 & 255, v & 255,
				       1 + i % 32);
	}
	write_file(conf, buf, len);
	ck_assert_int_eq(policy_parse_buffer(text, conf, buf, len, &err), 0);
	free(buf);
	compile();
	mapped = load(&why);
	ck_assert_ptr_null(why);
	ck_assert(policy_is_compiled(mapped));
	srandom(20261208);
	for (i = 0; i < 100000; i++) {
		v = (uint32_t)(i % 128) * 0x02000000u ^
		    ((uint32_t)random() & 0x03ffffffu);
		v = htonl(v);
		memcpy(a.a, &v, 4);
		f1 = policy_match_dest(text, &a, 0, PROTO_TCP, &r1);
		f2 = policy_match_dest(mapped, &a, 0, PROTO_TCP, &r2);
		ck_assert_int_eq(f1, f2);
		if (f1)
			ck_assert_uint_eq(r1.line, r2.line);
	}
	policy_free(text);
	policy_free(mapped);
}
END_TEST

/* Any flipped byte of the index: never a decision looser than the text's
 * (each lookup answers as the text does, or denies naming no line). */
START_TEST(flipped_index_fails_closed)
{
	static const char text_conf[] = "deny = 10.0.0.0/8\n"
					"allow = 10.1.0.0/16\n"
					"deny = 10.1.2.0/24 22 tcp\n"
					"map = 2001:db8::/32\n";
	struct policy *p, *text = policy_new();
	struct policy_error err;
	const char *index, *why;
	unsigned char *b, *orig;
	size_t len, at;

	write_file(conf, text_conf, strlen(text_conf));
	ck_assert_int_eq(policy_parse_buffer(text, conf, text_conf,
					     strlen(text_conf), &err), 0);
	compile();
	index = index_of();
	orig = slurp(index, &len);
	b = malloc(len);
	ck_assert_ptr_nonnull(b);
	/* Past the header, kept lines and counts, which compiled_check()
	 * refuses whole: every byte of the index part, a stride at a time. */
	for (at = len / 4; at < len; at += 97) {
		static const char *const dests[] = {"10.1.2.3", "10.2.3.4",
						    "10.1.9.9", "11.0.0.1"};
		size_t d;

		memcpy(b, orig, len);
		b[at] ^= 0x40;
		overwrite(index, b, len);
		p = load(&why);
		for (d = 0; d < 4; d++) {
			struct policy_addr a = {.fam = FAM_IPV4};
			struct policy_rule r1, r2;
			bool f1, f2;

			inet_pton(AF_INET, dests[d], a.a);
			f1 = policy_match_dest(text, &a, 22, PROTO_TCP, &r1);
			f2 = policy_match_dest(p, &a, 22, PROTO_TCP, &r2);
			ck_assert_msg((f1 == f2 && (!f1 || (r1.action == r2.action &&
						      r1.line == r2.line))) ||
					      (f2 && r2.action == RULE_DENY &&
					       r2.line == 0),
				      "byte %zu flipped: %s got %s:%u", at,
				      dests[d], f2 ? "rule" : "none",
				      f2 ? r2.line : 0);
		}
		policy_free(p);
	}
	free(b);
	free(orig);
	policy_free(text);
}
END_TEST

/* The compiled suite, for tests/check_run.c's main(). */
Suite *check_suite(void)
{
	Suite *s = suite_create("compiled");
	TCase *tc = tcase_create("compiled");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 0);
	tcase_add_test(tc, used_when_fresh);
	tcase_add_test(tc, stale_after_edit);
	tcase_add_test(tc, replaced_config_not_served);
	tcase_add_loop_test(tc, spoiled_index_refused, 0,
			    sizeof(spoils) / sizeof(spoils[0]));
	tcase_add_test(tc, untrusted_index_refused);
	tcase_add_test(tc, same_decisions_as_text);
	tcase_add_test(tc, markers_rebuilt_in_file);
	tcase_add_test(tc, flipped_index_fails_closed);
	suite_add_tcase(s, tc);
	return s;
}
