/* SPDX-License-Identifier: MIT */
/*
 * status.c - "stackshim status [--json] [PID...]": the processes running
 * under the shim that the caller may see, each with its program and the
 * policy it runs under, and where each setting came from.
 *
 * Everything is read from /proc, never from the process itself, so that
 * nothing it does is disturbed: a process is under the shim when its
 * maps hold the library; the policy is built as the shim in it built it,
 * from the environment it was started with (/proc/PID/environ, ignored
 * in secure-execution mode, /proc/PID/auxv's AT_SECURE), the config file
 * as seen from its root (/proc/PID/root), and its [program] sections by
 * its executable (/proc/PID/exe) and argv[0] (/proc/PID/cmdline), and
 * every path shown as the process sees it.  The
 * shim reads its config once, at start: a file changed since then is
 * said to be, for the process may run an older policy.
 *
 * Reading another user's process needs the right to trace it (ptrace
 * access mode read): one that may not be read is not shown, unless named
 * on the command line, which then says why.
 */
#include "config.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

#define SHIM_NAME "libstackshim.so"

/* What status shows of one process. */
struct proc_view {
	int pid;
	char exe[PATH_MAX];		/* its executable, or "" */
	const char *name;		/* exe's base name, or argv[0]'s */
	char *argv0;			/* from cmdline; NULL when empty */
	bool secure;			/* AT_SECURE: its environment ignored */
	bool config_changed;		/* the file is newer than the process */
	char root[64];			/* "/proc/PID/root", or "" for ours */
	struct policy *policy;		/* NULL when it could not be built */
	struct policy_error err;	/* why not */
};

/* The whole of the file at path, NUL-terminated (*len bytes before it);
 * NULL with errno set when it cannot be read. */
static char *file_read(const char *path, size_t *len)
{
	char *buf = NULL, *grown;
	size_t size = 0, used = 0;
	ssize_t n;
	int fd, saved;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	for (;;) {
		if (size - used < 4096) {
			size = size ? 2 * size : 8192;
			grown = realloc(buf, size + 1);
			if (!grown)
				break;
			buf = grown;
		}
		n = read(fd, buf + used, size - used);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n < 0)
				break;
			close(fd);
			buf[used] = '\0';
			if (len)
				*len = used;
			return buf;
		}
		used += (size_t)n;
	}
	saved = errno;
	close(fd);
	free(buf);
	errno = saved;
	return NULL;
}

/* /proc/PID/what, as file_read(). */
static char *proc_read(int pid, const char *what, size_t *len)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/%s", pid, what);
	return file_read(path, len);
}

/* Whether maps (a /proc/PID/maps) maps the library. */
static bool maps_have_shim(const char *maps)
{
	const char *line, *end, *slash;

	for (line = maps; *line; line = *end ? end + 1 : end) {
		end = strchrnul(line, '\n');
		slash = memrchr(line, '/', (size_t)(end - line));
		if (slash && (size_t)(end - slash - 1) == strlen(SHIM_NAME) &&
		    !memcmp(slash + 1, SHIM_NAME, strlen(SHIM_NAME)))
			return true;
	}
	return false;
}

/* The NUL-separated strings of buf (len bytes) as a NULL-ended array. */
static char **strings_split(char *buf, size_t len)
{
	size_t n = 0, i;
	char **v, *p;

	for (i = 0; i < len; i++)
		n += buf[i] == '\0';
	v = calloc(n + 2, sizeof(*v));
	if (!v)
		return NULL;
	for (p = buf, n = 0; p < buf + len; p += strlen(p) + 1)
		v[n++] = p;
	return v;
}

/* AT_SECURE of the process's auxiliary vector. */
static bool proc_secure(int pid)
{
	size_t len, i;
	unsigned long *aux = (unsigned long *)(void *)proc_read(pid, "auxv",
								&len);
	bool secure = false;

	for (i = 0; aux && i + 1 < len / sizeof(*aux); i += 2)
		if (aux[i] == AT_SECURE)
			secure = aux[i + 1] != 0;
	free(aux);
	return secure;
}

/*
 * When the process started (was forked), as a wall-clock time, to the
 * clock tick: /proc/PID/stat's field 22 counts ticks since boot on
 * CLOCK_BOOTTIME.  False when it cannot be told.
 */
static bool proc_started(int pid, struct timespec *at)
{
	char *stat = proc_read(pid, "stat", NULL), *p;
	unsigned long long ticks = 0;
	long hz = sysconf(_SC_CLK_TCK);
	struct timespec now, boot;
	long long ns;
	int field;

	/* Counted after the command's closing parenthesis. */
	p = stat ? strrchr(stat, ')') : NULL;
	for (field = 2; p && field < 22; field++)
		p = strchr(p + 1, ' ');
	if (p)
		ticks = strtoull(p + 1, NULL, 10);
	free(stat);
	if (!ticks || hz <= 0 || clock_gettime(CLOCK_REALTIME, &now) ||
	    clock_gettime(CLOCK_BOOTTIME, &boot))
		return false;
	/* now - (boot - ticks): when boot read ticks. */
	ns = (long long)(now.tv_sec - boot.tv_sec) * 1000000000 +
	     (now.tv_nsec - boot.tv_nsec) +
	     (long long)(ticks % (unsigned long long)hz) * 1000000000 / hz;
	at->tv_sec = (time_t)(ticks / (unsigned long long)hz) +
		     (time_t)(ns / 1000000000);
	at->tv_nsec = ns % 1000000000;
	if (at->tv_nsec < 0) {
		at->tv_nsec += 1000000000;
		at->tv_sec--;
	}
	return true;
}

/* "/proc/PID/root" in root when the process's root is not ours. */
static void proc_root(int pid, char *root, size_t size)
{
	struct stat ours, its;

	snprintf(root, size, "/proc/%d/root", pid);
	if (stat("/", &ours) == 0 && stat(root, &its) == 0 &&
	    ours.st_dev == its.st_dev && ours.st_ino == its.st_ino)
		root[0] = '\0';
}

/* v's executable as v sees it: /proc/PID/exe names it from our root. */
static void exe_unroot(struct proc_view *v)
{
	char root[PATH_MAX];
	ssize_t n;

	if (!v->root[0])
		return;
	n = readlink(v->root, root, sizeof(root) - 1);
	if (n <= 1 || strncmp(v->exe, root, (size_t)n) || v->exe[n] != '/')
		return;
	memmove(v->exe, v->exe + n, strlen(v->exe + n) + 1);
}

/*
 * The environment the shim read, with STACKSHIM_CONF seen from the
 * process's root: env is changed in place (one string replaced by one of
 * *owned's).
 */
static void env_rooted(char **env, const char *root, char **owned)
{
	static const char var[] = "STACKSHIM_CONF=";
	char **e;

	*owned = NULL;
	for (e = env; *root && e && *e; e++) {
		if (strncmp(*e, var, sizeof(var) - 1) ||
		    !e[0][sizeof(var) - 1])
			continue;
		if (asprintf(owned, "%s%s%s", var, root,
			     *e + sizeof(var) - 1) >= 0)
			*e = *owned;
		else
			*owned = NULL;
	}
}

/* Build the policy of the process v, as its shim did. */
static void proc_policy(struct proc_view *v, char **env)
{
	char system[PATH_MAX], *owned;
	struct timespec started;
	const char *file;
	struct stat st;
	long long ns;

	v->policy = policy_new();
	if (!v->policy) {
		snprintf(v->err.text, sizeof(v->err.text), "out of memory");
		return;
	}
	env_rooted(env, v->root, &owned);
	snprintf(system, sizeof(system), "%s%s", v->root, SYSTEM_CONFIG);
	if (policy_load(v->policy, env, v->secure, system, &v->err) < 0) {
		policy_free(v->policy);
		v->policy = NULL;
	} else {
		policy_select(v->policy, v->exe[0] ? v->name : NULL, v->argv0,
			      v->exe[0] ? v->exe : NULL);
	}
	free(owned);
	/* Changed after the fork, a tick (the start's precision) later. */
	file = v->policy ? policy_file(v->policy) : NULL;
	if (file && proc_started(v->pid, &started) && stat(file, &st) == 0) {
		ns = ((long long)st.st_mtim.tv_sec - started.tv_sec) *
			     1000000000 +
		     (st.st_mtim.tv_nsec - started.tv_nsec);
		v->config_changed = ns > 1000000000 / sysconf(_SC_CLK_TCK);
	}
}

/*
 * Fill v for pid: 1 when it runs under the shim, 0 when it does not, -1
 * (errno set) when it cannot be read.
 */
static int proc_view_get(int pid, struct proc_view *v)
{
	char *maps, *environ_buf, *cmdline, **env;
	size_t len;
	ssize_t n;
	char path[64];
	const char *slash;

	*v = (struct proc_view){ .pid = pid };
	maps = proc_read(pid, "maps", NULL);
	if (!maps)
		return -1;
	if (!maps_have_shim(maps)) {
		free(maps);
		return 0;
	}
	free(maps);
	snprintf(path, sizeof(path), "/proc/%d/exe", pid);
	n = readlink(path, v->exe, sizeof(v->exe) - 1);
	v->exe[n > 0 ? n : 0] = '\0';
	cmdline = proc_read(pid, "cmdline", NULL);
	if (cmdline && *cmdline)
		v->argv0 = cmdline;
	else
		free(cmdline);
	proc_root(pid, v->root, sizeof(v->root));
	exe_unroot(v);
	slash = strrchr(v->exe, '/');
	v->name = slash ? slash + 1 : v->argv0 ? v->argv0 : "?";
	v->secure = proc_secure(pid);
	environ_buf = proc_read(pid, "environ", &len);
	env = environ_buf ? strings_split(environ_buf, len) : NULL;
	if (environ_buf && !env) {
		snprintf(v->err.text, sizeof(v->err.text), "out of memory");
	} else {
		proc_policy(v, env);
	}
	free(env);
	free(environ_buf);
	return 1;
}

/* A path (or FILE:LINE) read through v's root, as v sees it. */
static const char *proc_path(const struct proc_view *v, const char *path)
{
	size_t n = strlen(v->root);

	return n && !strncmp(path, v->root, n) && path[n] == '/' ? path + n
								 : path;
}

static void proc_view_free(struct proc_view *v)
{
	policy_free(v->policy);
	free(v->argv0);
}

/* s as a JSON string. */
static void json_string(const char *s)
{
	const unsigned char *u = (const unsigned char *)s;

	putchar('"');
	for (; *u; u++) {
		if (*u == '"' || *u == '\\')
			printf("\\%c", *u);
		else if (*u < 0x20 || *u == 0x7f)
			printf("\\u%04x", *u);
		else
			putchar(*u);
	}
	putchar('"');
}

static void status_text(const struct proc_view *v)
{
	struct policy_setting_view s;
	const char *file;
	size_t i;

	printf("%d %s (%s", v->pid, cli_shown(v->name),
	       v->exe[0] ? cli_shown(v->exe) : "executable unknown");
	if (v->argv0)
		printf(", started as %s", cli_shown(v->argv0));
	printf(")\n");
	if (v->secure)
		puts("  secure-execution mode: the environment is ignored");
	if (!v->policy) {
		char text[2048];

		policy_error_format(&v->err, text, sizeof(text));
		printf("  error: %s (the shim fails closed)\n", text);
		return;
	}
	file = policy_file(v->policy);
	printf("  config: %s%s\n", file ? cli_shown(proc_path(v, file)) : "none",
	       v->config_changed ? " (changed since the process started)"
				 : "");
	for (i = 0; policy_setting_at(v->policy, i, &s); i++)
		if (s.set)
			printf("  %s = %s # %s\n", s.key, cli_shown(s.value),
			       cli_shown(proc_path(v, s.origin)));
	printf("  rules: %zu (allow %zu, deny %zu, map %zu)\n",
	       policy_rule_count(v->policy),
	       policy_rule_count_of(v->policy, RULE_ALLOW),
	       policy_rule_count_of(v->policy, RULE_DENY),
	       policy_rule_count_of(v->policy, RULE_MAP));
}

static void status_json(const struct proc_view *v, bool first)
{
	struct policy_setting_view s;
	const char *file;
	size_t i;

	printf("%s{\"pid\":%d,\"program\":", first ? "" : ",\n", v->pid);
	json_string(v->name);
	printf(",\"exe\":");
	v->exe[0] ? json_string(v->exe) : (void)printf("null");
	printf(",\"argv0\":");
	v->argv0 ? json_string(v->argv0) : (void)printf("null");
	printf(",\"secure\":%s", v->secure ? "true" : "false");
	if (!v->policy) {
		char text[2048];

		policy_error_format(&v->err, text, sizeof(text));
		printf(",\"error\":");
		json_string(text);
		putchar('}');
		return;
	}
	file = policy_file(v->policy);
	printf(",\"config\":");
	file ? json_string(proc_path(v, file)) : (void)printf("null");
	printf(",\"config_changed\":%s,\"settings\":{",
	       v->config_changed ? "true" : "false");
	for (i = 0; policy_setting_at(v->policy, i, &s); i++) {
		printf("%s", i ? "," : "");
		json_string(s.key);
		printf(":{\"value\":");
		s.set ? json_string(s.value) : (void)printf("null");
		printf(",\"from\":");
		json_string(proc_path(v, s.origin));
		putchar('}');
	}
	printf("},\"rules\":{\"count\":%zu,\"allow\":%zu,\"deny\":%zu,"
	       "\"map\":%zu}}", policy_rule_count(v->policy),
	       policy_rule_count_of(v->policy, RULE_ALLOW),
	       policy_rule_count_of(v->policy, RULE_DENY),
	       policy_rule_count_of(v->policy, RULE_MAP));
}

/* Show pid when it runs under the shim; *shown counts those shown.
 * named: the command line named it, so that not seeing it is an error. */
static int status_one(const struct cli_args *args, int pid, bool named,
		      size_t *shown)
{
	struct proc_view v;
	int r = proc_view_get(pid, &v);

	if (r < 0) {
		if (!named)
			return 0;
		fprintf(stderr, "stackshim: %d: %s\n", pid,
			errno == ENOENT ? "no such process" : strerror(errno));
		return CLI_EXIT_POLICY;
	}
	if (r == 0) {
		if (named)
			fprintf(stderr, "stackshim: %d: not under the shim\n",
				pid);
		return named ? CLI_EXIT_POLICY : 0;
	}
	if (args->json)
		status_json(&v, !*shown);
	else
		status_text(&v);
	++*shown;
	proc_view_free(&v);
	return 0;
}

/* A PID operand: decimal digits, 1 to INT_MAX. */
static int pid_parse(const char *s)
{
	unsigned long pid;

	if (policy_decimal_parse(s, strlen(s), 1, INT_MAX, &pid, NULL) < 0)
		return -1;
	return (int)pid;
}

int cli_status(const struct cli_args *args)
{
	int status = 0, r, pid, self = (int)getpid();
	size_t shown = 0, i;
	struct dirent *d;
	DIR *proc;

	for (i = 0; i < args->noperands; i++)
		if (pid_parse(args->operands[i]) < 0) {
			fprintf(stderr, "stackshim: '%s' is not a process "
				"ID\n", cli_shown(args->operands[i]));
			return CLI_EXIT_USAGE;
		}
	if (args->json)
		putchar('[');
	for (i = 0; i < args->noperands; i++) {
		r = status_one(args, pid_parse(args->operands[i]), true,
			       &shown);
		status = status ? status : r;
	}
	if (!args->noperands) {
		proc = opendir("/proc");
		if (!proc) {
			perror("stackshim: /proc");
			return CLI_EXIT_POLICY;
		}
		while ((d = readdir(proc)))
			if ((pid = pid_parse(d->d_name)) > 0 && pid != self)
				status_one(args, pid, false, &shown);
		closedir(proc);
	}
	if (args->json)
		puts("]");
	else if (!shown && !args->noperands)
		fputs("stackshim: no process that you may see runs under the "
		      "shim\n", stderr);
	if (fflush(stdout) == EOF) {
		perror("stackshim: stdout");
		return CLI_EXIT_POLICY;
	}
	return status;
}
