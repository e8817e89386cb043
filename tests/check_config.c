/* SPDX-License-Identifier: MIT */
/*
 * check_config.c - the config file, case by case.
 *
 * Each directory under tests/cases/ is one case: policy.conf is parsed as
 * "policy.conf"; expected holds either every error it must give, one
 * "policy.conf:LINE:COLUMN: text" line each, or, for a good file, the
 * effective policy as policy_describe() prints it.  An optional file
 * "program" names the program whose [program] sections are selected.
 *
 * What a directory cannot hold (a missing or unreadable file, the
 * environment, secure mode) is tested below it, in code.
 */
#include "config.h"

#include <check.h>
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check_run.h"
#include "internal.h"
#include "policy.h"

/* A byte no output of the code under test should leave behind. */
#define POISON_BYTE 0xa5

static char cases_dir[4096];
static struct dirent **cases;
static int ncases;

/* The whole of a file, NUL-terminated; *len excludes the NUL. */
static char *slurp(const char *dir, const char *name, size_t *len)
{
	char path[8192];
	char *buf = NULL;
	size_t n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "re");
	if (!f)
		return NULL;
	for (;;) {
		buf = realloc(buf, n + 65536 + 1);
		ck_assert_ptr_nonnull(buf);
		size_t got = fread(buf + n, 1, 65536, f);
		n += got;
		if (got < 65536)
			break;
	}
	fclose(f);
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
}

struct errors {
	char text[16384];
	size_t len;
};

static void collect(const struct policy_error *err, void *arg)
{
	struct errors *e = arg;
	char line[1024];

	policy_error_format(err, line, sizeof(line));
	/* Past the buffer, snprintf() would be handed a wrapped size. */
	if (e->len >= sizeof(e->text))
		return;
	e->len += (size_t)snprintf(e->text + e->len, sizeof(e->text) - e->len,
				   "%s\n", line);
}

START_TEST(test_case)
{
	const char *name = cases[_i]->d_name;
	char dir[8192], *conf, *expected, *program, got[65536];
	struct policy_error err = {0};
	struct errors errors = {0};
	struct policy *p = policy_new();
	size_t len;
	int r;

	snprintf(dir, sizeof(dir), "%s/%s", cases_dir, name);
	conf = slurp(dir, "policy.conf", &len);
	expected = slurp(dir, "expected", NULL);
	program = slurp(dir, "program", NULL);
	ck_assert_msg(conf && expected, "%s: policy.conf or expected missing",
		      name);
	policy_on_error(p, collect, &errors);
	r = policy_parse_buffer(p, "policy.conf", conf, len, &err);
	if (r == 0) {
		ck_assert_uint_eq(errors.len, 0);
		if (program)
			policy_select(p, strtok(program, "\n"), NULL, NULL);
		policy_describe(p, got, sizeof(got));
	} else {
		char first[1024];

		ck_assert_int_eq(r, -EINVAL);
		/* The first error is both returned and reported. */
		policy_error_format(&err, first, sizeof(first));
		ck_assert_msg(!strncmp(errors.text, first, strlen(first)),
			      "%s: first error '%s' not reported first", name,
			      first);
		snprintf(got, sizeof(got), "%s", errors.text);
	}
	ck_assert_msg(!strcmp(got, expected), "case %s:\n--- expected\n%s"
		      "--- got\n%s", name, expected, got);
	free(conf);
	free(expected);
	free(program);
	policy_free(p);
}
END_TEST

static int case_filter(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

/* --- files that a case directory cannot hold ----------------------------- */

static int parse_path(const char *path, char *msg, size_t len)
{
	struct policy *p = policy_new();
	struct policy_error err = {0};
	int r = policy_parse_file(p, path, &err);

	policy_error_format(&err, msg, len);
	policy_free(p);
	return r;
}

START_TEST(test_missing_file)
{
	char msg[512];

	ck_assert_int_eq(parse_path("/nonexistent/stackshim.conf", msg,
				    sizeof(msg)), -ENOENT);
	ck_assert_str_eq(msg, "/nonexistent/stackshim.conf:0:0: "
			 "No such file or directory");
}
END_TEST

START_TEST(test_directory)
{
	char msg[512];

	ck_assert_int_eq(parse_path("/", msg, sizeof(msg)), -EISDIR);
	ck_assert_str_eq(msg, "/:0:0: Is a directory");
}
END_TEST

/* Unreadable: root reads anything, so the check runs as nobody then. */
START_TEST(test_unreadable_file)
{
	char dir[] = "/tmp/check_config.XXXXXX", path[64], msg[512];
	int fd, status;
	pid_t pid;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	chmod(dir, 0755);
	snprintf(path, sizeof(path), "%s/policy.conf", dir);
	fd = open(path, O_CREAT | O_WRONLY, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "stack = ipv6\n", 13), 13);
	close(fd);
	pid = fork();
	if (pid == 0) {
		if (geteuid() == 0 && setuid(65534) < 0)
			_exit(2);
		_exit(parse_path(path, msg, sizeof(msg)) == -EACCES &&
		      strstr(msg, ":0:0: Permission denied") ? 0 : 1);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	unlink(path);
	rmdir(dir);
	ck_assert_int_eq(WEXITSTATUS(status), 0);
}
END_TEST

START_TEST(test_second_file)
{
	struct policy *p = policy_new();
	struct policy_error err;

	ck_assert_int_eq(policy_parse_buffer(p, "a", "stack = ipv4\n", 13,
					     &err), 0);
	ck_assert_int_eq(policy_parse_buffer(p, "b", "", 0, &err), -EEXIST);
	ck_assert_uint_eq(policy_stack(p), STACK_IPV4);
	policy_free(p);
}
END_TEST

/* A failed parse leaves the defaults, not half a file. */
START_TEST(test_failed_parse_keeps_nothing)
{
	static const char conf[] = "stack = ipv4\nallow = 10.0.0.0/8\n"
				   "bogus = 1\n";
	struct policy *p = policy_new();
	struct policy_error err;

	ck_assert_int_eq(policy_parse_buffer(p, "x", conf, sizeof(conf) - 1,
					     &err), -EINVAL);
	ck_assert_uint_eq(err.line, 3);
	ck_assert_uint_eq(err.column, 1);
	ck_assert_uint_eq(policy_stack(p), STACK_DUAL);
	ck_assert_uint_eq(policy_rule_count(p), 0);
	policy_free(p);
}
END_TEST

/* policy_describe() prints a log path whole, however long (it cut it at 511). */
START_TEST(test_describe_long_log_path)
{
	struct policy *p = policy_new();
	struct policy_error err;
	char path[1200], line[1300], got[2048];

	memset(path, 'a', sizeof(path) - 1);
	path[0] = '/';
	path[sizeof(path) - 1] = '\0';
	ck_assert_int_eq(policy_set(p, "log", path, "--log", &err), 0);
	snprintf(line, sizeof(line), "\nlog = %s # --log\n", path);
	ck_assert_uint_lt(policy_describe(p, got, sizeof(got)), sizeof(got));
	ck_assert_msg(strstr(got, line), "log path cut short in:\n%s", got);
	policy_free(p);
}
END_TEST

/* --- where the policy comes from: policy_load() and policy_set() -------- */

/*
 * One load: conf is written to a file named by STACKSHIM_CONF ("@conf" in
 * env) or used as the system file ("@system"); want is a line that must be
 * in policy_describe(), or the error text when rc is not 0.
 */
static const struct load_case {
	const char *conf;
	const char *env[4];
	bool secure;
	int rc;
	const char *want;
} load_cases[] = {
	/* The environment overrides the file, key by key. */
	{"stack = ipv4\nprefer = ipv4\n",
	 {"STACKSHIM_CONF=@conf", "STACKSHIM_STACK=ipv6"}, false, 0,
	 "stack = ipv6 # STACKSHIM_STACK\n"},
	{"stack = ipv4\nprefer = ipv4\n",
	 {"STACKSHIM_CONF=@conf", "STACKSHIM_STACK=ipv6"}, false, 0,
	 "prefer = ipv4 # @conf:2\n"},
	{NULL, {"STACKSHIM_PREFER=ipv4"}, false, 0,
	 "prefer = ipv4 # STACKSHIM_PREFER\n"},
	{NULL, {"STACKSHIM_MAPPED=no"}, false, 0,
	 "mapped = no # STACKSHIM_MAPPED\n"},
	{NULL, {"STACKSHIM_LOCAL_ADDRESS=192.0.2.1(1000,2000)"}, false, 0,
	 "local-address = 192.0.2.1(1000,2000) # STACKSHIM_LOCAL_ADDRESS\n"},
	{NULL, {"STACKSHIM_TRANSLATE_PREFIX=64:ff9b::/96"}, false, 0,
	 "translate-prefix = 64:ff9b::/96 # STACKSHIM_TRANSLATE_PREFIX\n"},
	{NULL, {"STACKSHIM_PEER_POOL=100.64.0.0/10"}, false, 0,
	 "peer-pool = 100.64.0.0/10 # STACKSHIM_PEER_POOL\n"},
	{NULL, {"STACKSHIM_ENFORCE=no"}, false, 0,
	 "enforce = no # STACKSHIM_ENFORCE\n"},
	{NULL, {"STACKSHIM_LOG=/var/log/stackshim.log"}, false, 0,
	 "log = /var/log/stackshim.log # STACKSHIM_LOG\n"},
	/* An empty variable is unset; an unknown one is not ours. */
	{NULL, {"STACKSHIM_STACK=", "STACKSHIM_BOGUS=1"}, false, 0,
	 "stack = dual # default\n"},
	/* A bad value names the variable, line 1, its column. */
	{NULL, {"STACKSHIM_STACK=ipv5"}, false, -EINVAL,
	 "STACKSHIM_STACK:1:1: bad value 'ipv5' (expected ipv4, dual or ipv6)"},
	{NULL, {"STACKSHIM_LOCAL_ADDRESS=192.0.2.1(9,8)"}, false, -EINVAL,
	 "STACKSHIM_LOCAL_ADDRESS:1:11: bad port range '9,8' (low port above "
	 "high)"},
	/* STACKSHIM_CONF must exist; the system file need not. */
	{NULL, {"STACKSHIM_CONF=/nonexistent/x.conf"}, false, -ENOENT,
	 "/nonexistent/x.conf:0:0: No such file or directory"},
	{NULL, {NULL}, false, 0, "stack = dual # default\n"},
	{"stack = ipv6\n", {"STACKSHIM_X=@system"}, false, 0,
	 "stack = ipv6 # @system:1\n"},
	/* STACKSHIM_CONF replaces the system file. */
	{"stack = ipv6\n", {"STACKSHIM_CONF=/dev/null", "STACKSHIM_X=@system"},
	 false, 0, "stack = dual # default\n"},
	/* Secure execution: the environment is not read at all. */
	{"stack = ipv6\n", {"STACKSHIM_X=@system", "STACKSHIM_STACK=ipv4",
			    "STACKSHIM_CONF=/nonexistent"},
	 true, 0, "stack = ipv6 # @system:1\n"},
	{NULL, {"STACKSHIM_STACK=ipv4"}, true, 0, "stack = dual # default\n"},
};

/* "@conf" and "@system" in s become path. */
static void expand(const char *s, const char *path, char *out, size_t len)
{
	const char *at = strchr(s, '@');
	size_t n = at ? (size_t)(at - s) : strlen(s);

	snprintf(out, len, "%.*s%s%s", (int)n, s, at ? path : "",
		 at ? at + strcspn(at, ":\n ") : "");
}

START_TEST(test_load)
{
	const struct load_case *c = &load_cases[_i];
	char dir[] = "/tmp/check_config.XXXXXX", path[64], *envp[5] = {0};
	char want[512], got[8192], envbuf[4][512];
	const char *system = "/nonexistent/system.conf";
	struct policy_error err = {0};
	struct policy *p = policy_new();
	int i, r;

	/* Only root can own a file that secure mode would trust. */
	if (c->secure && c->conf && geteuid() != 0)
		return;
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/policy.conf", dir);
	if (c->conf) {
		FILE *f = fopen(path, "w");

		ck_assert_ptr_nonnull(f);
		fputs(c->conf, f);
		fclose(f);
		chmod(path, 0644);
	}
	for (i = 0; i < 4 && c->env[i]; i++) {
		if (strstr(c->env[i], "=@system"))
			system = path;
		expand(c->env[i], path, envbuf[i], sizeof(envbuf[i]));
		envp[i] = envbuf[i];
	}
	r = policy_load(p, envp, c->secure, system, &err);
	expand(c->want, path, want, sizeof(want));
	if (c->rc)
		policy_error_format(&err, got, sizeof(got));
	else
		policy_describe(p, got, sizeof(got));
	unlink(path);
	rmdir(dir);
	ck_assert_int_eq(r, c->rc);
	ck_assert_msg(strstr(got, want), "want '%s' in:\n%s", want, got);
	policy_free(p);
}
END_TEST

/* A system file anyone but root may write is refused in secure mode. */
START_TEST(test_load_untrusted_system_file)
{
	char dir[] = "/tmp/check_config.XXXXXX", path[64];
	struct policy_error err = {0};
	struct policy *p = policy_new();
	FILE *f;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/system.conf", dir);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs("stack = ipv6\n", f);
	fclose(f);
	chmod(path, 0666);
	ck_assert_int_eq(policy_load(p, NULL, true, path, &err), -EPERM);
	ck_assert_uint_eq(err.line, 0);
	ck_assert_ptr_nonnull(strstr(err.text, "owned by root"));
	ck_assert_uint_eq(policy_stack(p), STACK_DUAL);
	unlink(path);
	rmdir(dir);
	policy_free(p);
}
END_TEST

/*
 * A config file of each size around policy_source's room (the
 * STACKSHIM_* variables take their share of it first): read whole, in the
 * room or in the heap, whichever it needs, and the variables applied over
 * it.  policy_load() is the capture, the parse and the release.
 */
static const size_t capture_sizes[] = {
	0, 13, 1023, 1024, 1025, 3000, 4000, 4095, 4096, 4097, 8193, 70000,
};

START_TEST(test_capture_sizes)
{
	char dir[] = "/tmp/check_config.XXXXXX", path[64], var[96];
	char *envp[] = {var, "STACKSHIM_ENFORCE=no", "HOME=/", NULL};
	size_t size = capture_sizes[_i], n;
	struct policy_error err = {0};
	struct policy *p = policy_new();
	FILE *f;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/c.conf", dir);
	snprintf(var, sizeof(var), "STACKSHIM_CONF=%s", path);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	/* Comment lines up to size, then the line that must be seen. */
	for (n = 0; n + 13 < size; n++)
		fputc(n + 14 == size || (n + 1) % 64 == 0 ? '\n'
		      : n % 64 == 0 ? '#' : 'x', f);
	if (size >= 13)
		fputs("stack = ipv6\n", f);
	fclose(f);
	ck_assert_int_eq(policy_load(p, envp, false, NULL, &err), 0);
	ck_assert_uint_eq(policy_stack(p), size >= 13 ? STACK_IPV6 : STACK_DUAL);
	ck_assert(!policy_enforce(p));
	unlink(path);
	rmdir(dir);
	policy_free(p);
}
END_TEST

/*
 * Whether the executable must be noted at capture for [program] sections
 * (policy_source_may_select()): a file of size bytes with a '[' at
 * bracket (-1: none), captured into a caller's storage as the shim does.
 * A file past a page is not searched.
 */
static const struct may_select_case {
	long size, bracket;
	bool want;
} may_select_cases[] = {
	{-1, -1, false},	/* no file at all */
	{0, -1, false},
	{13, -1, false},
	{13, 0, true},
	{4096, -1, false},
	{4096, 4095, true},
	{4097, -1, true},
};

START_TEST(test_capture_may_select)
{
	const struct may_select_case *c = &may_select_cases[_i];
	char dir[] = "/tmp/check_config.XXXXXX", path[64], var[96];
	char *envp[] = {var, NULL};
	static struct policy_source_storage storage;
	struct policy_source *src = policy_source_in(&storage);
	long n;
	FILE *f;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/c.conf", dir);
	snprintf(var, sizeof(var), "STACKSHIM_CONF=%s", path);
	if (c->size >= 0) {
		f = fopen(path, "w");
		ck_assert_ptr_nonnull(f);
		for (n = 0; n < c->size; n++)
			fputc(n == c->bracket ? '[' : n % 64 == 63 ? '\n' : '#',
			      f);
		fclose(f);
	}
	ck_assert_int_eq(policy_capture(src, c->size >= 0 ? envp : NULL,
					false, NULL), 0);
	ck_assert(policy_source_may_select(src) == c->want);
	policy_source_release(src);
	unlink(path);
	rmdir(dir);
}
END_TEST

/* A device is refused unopened (opening some acts or waits: /dev/ptmx
 * hung every process), /dev/null is an empty config. */
START_TEST(test_capture_device)
{
	static const char *const refused[] = {"STACKSHIM_CONF=/dev/zero",
					      "STACKSHIM_CONF=/dev/ptmx"};
	char *envp[2] = {NULL, NULL};
	struct policy_error err = {0};
	struct policy *p;
	size_t i;

	for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		p = policy_new();
		envp[0] = (char *)refused[i];
		ck_assert_int_eq(policy_load(p, envp, false, NULL, &err),
				 -EINVAL);
		ck_assert_str_eq(err.text, "not a regular file (a config "
			"must be a regular file or /dev/null)");
		policy_free(p);
	}
	p = policy_new();
	envp[0] = "STACKSHIM_CONF=/dev/null";
	ck_assert_int_eq(policy_load(p, envp, false, NULL, &err), 0);
	policy_free(p);
}
END_TEST

/* Text from outside shown on a terminal: controls (C0 but tab, DEL, C1 raw
 * or in UTF-8) and bytes that are not UTF-8 as \xNN, other UTF-8 kept. */
START_TEST(test_escape)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{"plain/path.conf", "plain/path.conf"},
		{"a\x1b[31mb", "a\\x1b[31mb"},
		{"\x07\x7f\n\t", "\\x07\\x7f\\x0a\t"},
		{"\xc2\x9b" "1m", "\\xc2\\x9b" "1m"},
		{"\x9b", "\\x9b"},
		{"caf\xc3\xa9", "caf\xc3\xa9"},
		{"\xc3", "\\xc3"},
		{"\xe2\x82\xac\xf0\x9f\x98\x80", "\xe2\x82\xac\xf0\x9f\x98\x80"},
		{"\xc0\xaf", "\\xc0\\xaf"},
	};
	struct policy_error e = {.line = 1, .column = 2};
	char out[64], line[600];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ck_assert_uint_eq(policy_escape(out, sizeof(out), cases[i].in),
				  strlen(cases[i].out));
		ck_assert_str_eq(out, cases[i].out);
	}
	/* Cut short, never past len, always terminated. */
	ck_assert_uint_eq(policy_escape(out, 4, "\x1b\x1b"), 3);
	ck_assert_str_eq(out, "\\x1");
	snprintf(e.file, sizeof(e.file), "f\x1b");
	snprintf(e.text, sizeof(e.text), "bad value '\x1b'");
	policy_error_format(&e, line, sizeof(line));
	ck_assert_str_eq(line, "f\\x1b:1:2: bad value '\\x1b'");
}

/* A file whose size fstat() does not tell (procfs says 0), with an end
 * past the room: its bytes, as read in growing steps, are all of it. */
START_TEST(test_capture_unknown_size)
{
	static const char path[] = "/proc/crypto";
	struct policy_source src;
	size_t len = 0, n;
	char *want = NULL;
	FILE *f = fopen(path, "r");
	struct stat st;

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fstat(fileno(f), &st), 0);
	ck_assert_int_eq(st.st_size, 0);
	do {
		want = realloc(want, len + 4096);
		ck_assert_ptr_nonnull(want);
		len += n = fread(want + len, 1, 4096, f);
	} while (n);
	fclose(f);
	ck_assert_uint_gt(len, sizeof(src.room));
	config_source_init(&src);
	ck_assert_int_eq(config_source_read(&src, path, false, false), 0);
	ck_assert_uint_eq(src.len, len);
	ck_assert(!memcmp(src.text, want, len));
	free(want);
	policy_source_release(&src);
}
END_TEST

static const struct set_case {
	const char *key, *value;
	int rc;
	const char *want;	/* in the error, or in policy_describe() */
} set_cases[] = {
	{"stack", "ipv4", 0, "stack = ipv4 # --stack\n"},
	{"stack", "IPv6", 0, "stack = ipv6 # --stack\n"},
	{"stack", "", -EINVAL, "--stack:1:1: missing value"},
	{"stack", "ipv4 ", -EINVAL, "--stack:1:1: bad value 'ipv4 '"},
	{"deny", "10.0.0.0/8", -EINVAL, "'deny' cannot be set here"},
	{"bogus", "1", -EINVAL, "'bogus' cannot be set here"},
	{"translate-prefix", "64:ff9b::/95", -EINVAL,
	 "prefix length /95 is not one of RFC 6052's"},
	{"log", "relative/path", -EINVAL, "absolute file path"},
	{"log-format", "JSON", 0, "log-format = json # --stack\n"},
	{"log-format", "text", 0, "log-format = text # --stack\n"},
	{"log-format", "xml", -EINVAL, "bad value 'xml' (expected text or json)"},
	{"enforce", "no", 0, "enforce = no # --stack\n"},
};

START_TEST(test_set)
{
	const struct set_case *c = &set_cases[_i];
	struct policy_error err = {0};
	struct policy *p = policy_new();
	char got[4096];
	int r = policy_set(p, c->key, c->value, "--stack", &err);

	if (c->rc)
		policy_error_format(&err, got, sizeof(got));
	else
		policy_describe(p, got, sizeof(got));
	ck_assert_int_eq(r, c->rc);
	ck_assert_msg(strstr(got, c->want), "want '%s' in:\n%s", c->want, got);
	policy_free(p);
}
END_TEST

/* Sections by base name and by path; overrides still win over them. */
static const char sections_conf[] =
	"stack = ipv4\n"
	"[program curl]\nstack = ipv6\n"
	"[program c*]\nprefer = ipv4\nstack = dual\n"
	"[program /usr/bin/*]\nmapped = no\n";

static const struct select_case {
	const char *name, *alias, *path;
	int matched;
	unsigned stack, prefer;
	bool mapped;
} select_cases[] = {
	{NULL, NULL, NULL, 0, STACK_IPV4, FAM_IPV6, true},
	{"wget", NULL, "/usr/local/bin/wget", 0, STACK_IPV4, FAM_IPV6, true},
	{"curl", NULL, "/opt/curl", 2, STACK_DUAL, FAM_IPV4, true},
	{"curl", NULL, "/usr/bin/curl", 3, STACK_DUAL, FAM_IPV4, false},
	{"cat", NULL, NULL, 1, STACK_DUAL, FAM_IPV4, true},
	{"ls", NULL, "/usr/bin/ls", 1, STACK_IPV4, FAM_IPV6, false},
	/* FNM_PATHNAME: '*' does not cross '/'. */
	{"x", NULL, "/usr/bin/sub/x", 0, STACK_IPV4, FAM_IPV6, true},
	/* Started as curl, a link to curl-8: the name typed matches... */
	{"curl-8", "curl", "/opt/curl-8", 2, STACK_DUAL, FAM_IPV4, true},
	{"curl-8", "/opt/bin/curl", "/opt/curl-8", 2, STACK_DUAL, FAM_IPV4,
	 true},
	/* ... and, absolute, the path typed. */
	{"wget2", "/usr/bin/wget", "/opt/wget2", 1, STACK_IPV4, FAM_IPV6,
	 false},
	/* A relative argv[0] is no path: only its base name counts. */
	{"wget2", "usr/bin/wget", "/opt/wget2", 0, STACK_IPV4, FAM_IPV6,
	 true},
	{NULL, "./curl", NULL, 2, STACK_DUAL, FAM_IPV4, true},
};

START_TEST(test_select)
{
	const struct select_case *c = &select_cases[_i];
	struct policy_error err;
	struct policy *p = policy_new();

	ck_assert_int_eq(policy_parse_buffer(p, "s", sections_conf,
					     sizeof(sections_conf) - 1, &err),
			 0);
	ck_assert_int_eq(policy_select(p, c->name, c->alias, c->path),
			 c->matched);
	ck_assert_uint_eq(policy_stack(p), c->stack);
	ck_assert_uint_eq(policy_prefer(p), c->prefer);
	ck_assert_int_eq(policy_mapped(p), c->mapped);
	ck_assert_int_eq(policy_set(p, "stack", "ipv6", "--stack", &err), 0);
	ck_assert_uint_eq(policy_stack(p), STACK_IPV6);
	/* Selecting again starts from the file, not from the last choice. */
	ck_assert_int_eq(policy_select(p, NULL, NULL, NULL), 0);
	ck_assert_uint_eq(policy_prefer(p), FAM_IPV6);
	policy_free(p);
}
END_TEST

/*
 * The walk a checker makes (policy_rule_next(), policy_select_section()):
 * each section alone, with the global rules, in file order; every rule
 * "LINE SECTION PLACE ACTION TEXT [IPV4 NET/LEN]".
 */
static const char walk_conf[] =
	"map = 10.1.0.0/16\n"				/* 1 */
	"deny = Example.ORG. 22 tcp\n"
	"[program curl]\n"
	"translate-prefix = 64:ff9b::/96\n"
	"map = ::ffff:192.168.1.0/120\n"		/* 5 */
	"allow = 2001:db8::/32 udp 53\n"
	"map = ::ffff:0:0/96\n"
	"[program w*]\n"
	"map = *.example.net\n"
	"allow = 192.0.2.1\n";			/* 10 */

static const struct walk_case {
	size_t section;
	bool well_known;
	const char *want;
} walk_cases[] = {
	{ 0, false,
	  "1 0 0 map 10.1.0.0/16 ipv4 10.1.0.0/16|"
	  "2 0 1 deny example.org 22 tcp|" },
	{ 1, true,
	  "1 0 0 map 10.1.0.0/16 ipv4 10.1.0.0/16|"
	  "2 0 1 deny example.org 22 tcp|"
	  "5 1 2 map ::ffff:192.168.1.0/120 ipv4 192.168.1.0/24|"
	  "6 1 3 allow 2001:db8::/32 53 udp|"
	  "7 1 4 map ::ffff:0.0.0.0/96 ipv4 0.0.0.0/0|" },
	{ 2, false,
	  "1 0 0 map 10.1.0.0/16 ipv4 10.1.0.0/16|"
	  "2 0 1 deny example.org 22 tcp|"
	  "9 2 5 map *.example.net|"
	  "10 2 6 allow 192.0.2.1/32 ipv4 192.0.2.1/32|" },
};

START_TEST(test_walk)
{
	const struct walk_case *c = &walk_cases[_i];
	struct policy *p = policy_new();
	struct policy_rule_view r;
	struct policy_error err;
	char got[1024] = "", net[INET_ADDRSTRLEN];
	size_t cursor = 0, at = 0, n = 0;

	ck_assert_int_eq(policy_parse_buffer(p, "w.conf", walk_conf,
					     sizeof(walk_conf) - 1, &err), 0);
	/* A selection by name first: the walk's own replaces it. */
	ck_assert_int_eq(policy_select(p, "wget", NULL, NULL), 1);
	ck_assert_int_eq(policy_select_section(p, c->section), 0);
	ck_assert_int_eq(policy_translate_by_address(p), c->well_known);
	while (policy_rule_next(p, &cursor, &r)) {
		ck_assert_str_eq(r.file, "w.conf");
		at += (size_t)snprintf(got + at, sizeof(got) - at,
				       "%u %zu %zu %s %s", r.line, r.section,
				       cursor - 1, policy_action_name(r.action),
				       r.text);
		if (r.ipv4)
			at += (size_t)snprintf(got + at, sizeof(got) - at,
					       " ipv4 %s/%u",
					       inet_ntop(AF_INET, &r.net, net,
							 sizeof(net)), r.len);
		at += (size_t)snprintf(got + at, sizeof(got) - at, "|");
		n++;
	}
	ck_assert_str_eq(got, c->want);
	ck_assert_uint_eq(n, policy_rule_count(p));
	/* Past the last, out is left alone. */
	memset(&r, POISON_BYTE, sizeof(r));
	ck_assert(!policy_rule_next(p, &cursor, &r));
	ck_assert_uint_eq(r.line, 0xa5a5a5a5u);
	policy_free(p);
}
END_TEST

START_TEST(test_sections_named)
{
	struct policy *p = policy_new();
	struct policy_error err;
	unsigned line = 0;

	ck_assert_int_eq(policy_parse_buffer(p, "w.conf", walk_conf,
					     sizeof(walk_conf) - 1, &err), 0);
	ck_assert_uint_eq(policy_section_count(p), 2);
	ck_assert_str_eq(policy_section_glob(p, 1, &line), "curl");
	ck_assert_uint_eq(line, 3);
	ck_assert_str_eq(policy_section_glob(p, 2, NULL), "w*");
	ck_assert_ptr_null(policy_section_glob(p, 0, &line));
	ck_assert_ptr_null(policy_section_glob(p, 3, &line));
	ck_assert_uint_eq(line, 3);
	/* Past the last section: refused, the selection kept. */
	ck_assert_int_eq(policy_select_section(p, 1), 0);
	ck_assert_int_eq(policy_select_section(p, 3), -EINVAL);
	ck_assert(policy_translate_by_address(p));
	ck_assert_uint_eq(policy_rule_count(p), 5);
	policy_free(p);
}
END_TEST

/* The emulated host's own addresses (policy_local_has()): getifaddrs() and
 * bind() leave out or refuse the others. */
static const struct local_has_case {
	const char *stack, *loopback, *addr;
	bool has;
} local_has_cases[] = {
	{"ipv4", "yes", "192.0.2.1", true},
	{"ipv4", "yes", "127.0.0.1", true},
	{"ipv4", "yes", "::1", false},
	{"ipv4", "yes", "2001:db8::1", false},
	{"ipv4", "yes", "::ffff:192.0.2.1", true},
	{"ipv6", "yes", "2001:db8::1", true},
	{"ipv6", "yes", "::1", true},
	{"ipv6", "yes", "127.0.0.1", true},
	{"ipv6", "yes", "127.255.0.9", true},
	{"ipv6", "yes", "::ffff:127.0.0.1", true},
	{"ipv6", "yes", "128.0.0.1", false},
	{"ipv6", "yes", "192.0.2.1", false},
	{"ipv6", "yes", "::ffff:192.0.2.1", false},
	{"ipv6", "no", "127.0.0.1", false},
	{"ipv6", "no", "::1", true},
	{"dual", "yes", "192.0.2.1", true},
	{"dual", "no", "127.0.0.1", true},
	{"dual", "no", "2001:db8::1", true},
};

START_TEST(test_local_has)
{
	const struct local_has_case *c = &local_has_cases[_i];
	struct policy_error err;
	struct policy *p = policy_new();
	struct policy_addr a;

	ck_assert_int_eq(policy_set(p, "stack", c->stack, "--stack", &err), 0);
	ck_assert_int_eq(policy_set(p, "ipv4-loopback", c->loopback,
				    "--ipv4-loopback", &err),
			 0);
	ck_assert_int_eq(policy_addr_parse(c->addr, &a), 0);
	ck_assert_msg(policy_local_has(p, &a) == c->has,
		      "stack %s, ipv4-loopback %s, %s: want %d", c->stack,
		      c->loopback, c->addr, c->has);
	policy_free(p);
}
END_TEST

/*
 * Thousands of sections: each is found again by its name however far the
 * table of them has grown (a duplicate names its first line), and each
 * keeps its own settings.
 */
START_TEST(test_many_sections)
{
	enum { N = 3000 };
	size_t cap = (size_t)N * 40 + 200, len = 0;
	char *text = malloc(cap);
	struct errors e = {.len = 0};
	struct policy_error err;
	struct policy *p = policy_new();
	unsigned i;

	ck_assert_ptr_nonnull(text);
	/* Section i on line 2 i + 1, "stack = ipv4" (i odd) or ipv6. */
	for (i = 0; i < N; i++)
		len += (size_t)snprintf(text + len, cap - len,
					"[program p%u]\nstack = %s\n", i,
					i % 2 ? "ipv4" : "ipv6");
	ck_assert_int_eq(policy_parse_buffer(p, "m", text, len, &err), 0);
	ck_assert_int_eq(policy_select(p, "p2999", NULL, NULL), 1);
	ck_assert_uint_eq(policy_stack(p), STACK_IPV4);
	ck_assert_int_eq(policy_select(p, "p1234", NULL, NULL), 1);
	ck_assert_uint_eq(policy_stack(p), STACK_IPV6);
	ck_assert_int_eq(policy_select(p, "p3000", NULL, NULL), 0);
	policy_free(p);

	/* Lines 6001, 6002 and 6003: p0, p2999 and p1500 again. */
	len += (size_t)snprintf(text + len, cap - len, "[program p0]\n"
				"[program p2999]\n[program p1500]\n");
	p = policy_new();
	policy_on_error(p, collect, &e);
	ck_assert_int_eq(policy_parse_buffer(p, "m", text, len, &err),
			 -EINVAL);
	ck_assert_str_eq(e.text,
			 "m:6001:10: duplicate section [program p0] "
			 "(first on line 1)\n"
			 "m:6002:10: duplicate section [program p2999] "
			 "(first on line 5999)\n"
			 "m:6003:10: duplicate section [program p1500] "
			 "(first on line 3001)\n");
	policy_free(p);
	free(text);
}
END_TEST

#define LOOP(tc, fn, table) \
	tcase_add_loop_test(tc, fn, 0, (int)(sizeof(table) / sizeof(table[0])))

static TCase *load_tcase(void)
{
	TCase *tc = tcase_create("load");

	LOOP(tc, test_load, load_cases);
	tcase_add_test(tc, test_load_untrusted_system_file);
	LOOP(tc, test_capture_sizes, capture_sizes);
	LOOP(tc, test_capture_may_select, may_select_cases);
	tcase_add_test(tc, test_capture_device);
	tcase_add_test(tc, test_escape);
	tcase_add_test(tc, test_capture_unknown_size);
	LOOP(tc, test_set, set_cases);
	LOOP(tc, test_select, select_cases);
	LOOP(tc, test_local_has, local_has_cases);
	LOOP(tc, test_walk, walk_cases);
	tcase_add_test(tc, test_sections_named);
	return tc;
}

/* The config suite, for tests/check_run.c's main(). */
Suite *check_suite(void)
{
	Suite *s;
	TCase *tc;

	snprintf(cases_dir, sizeof(cases_dir), "%s/tests/cases", check_top());
	ncases = scandir(cases_dir, &cases, case_filter, alphasort);
	if (ncases < 0) {
		perror(cases_dir);
		return NULL;
	}
	s = suite_create("config");
	tc = tcase_create("cases");
	tcase_add_loop_test(tc, test_case, 0, ncases);
	suite_add_tcase(s, tc);
	tc = tcase_create("files");
	tcase_add_test(tc, test_missing_file);
	tcase_add_test(tc, test_directory);
	tcase_add_test(tc, test_unreadable_file);
	tcase_add_test(tc, test_second_file);
	tcase_add_test(tc, test_failed_parse_keeps_nothing);
	tcase_add_test(tc, test_describe_long_log_path);
	tcase_add_test(tc, test_many_sections);
	suite_add_tcase(s, tc);
	suite_add_tcase(s, load_tcase());
	return s;
}
