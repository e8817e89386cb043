/* SPDX-License-Identifier: MIT */
/*
 * compile.c - "stackshim compile": the config file the shim would read
 * (or -c's) compiled into the file that processes map in place of
 * parsing it (policy_compile(), policy/compiled.c), written where they
 * look for it (policy_index_path(): $STACKSHIM_CACHE_DIR, the system cache
 * for a config root owns, else the user's cache), or to -o's file.  The
 * cache directory is made when it is missing.  Run mode compiles a big
 * config that has no compiled policy, or a stale one, by itself
 * (cli_compile_auto()).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

/* Make the directories leading to path's last component (mode 0755):
 * 0 or a negative errno. */
static int compile_mkdirs(const char *path)
{
	char dir[PATH_MAX];
	char *p;

	if (snprintf(dir, sizeof(dir), "%s", path) >= (int)sizeof(dir))
		return -ENAMETOOLONG;
	p = strrchr(dir, '/');
	if (!p || p == dir)
		return 0;
	*p = '\0';
	for (p = dir + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, 0755) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

/*
 * Where file's compiled policy goes, into index (PATH_MAX bytes), its
 * directory made: 0, or an errno with the reason said on stderr unless
 * quiet.
 */
static int compile_target(const char *file, const struct stat *st,
			  char *index, bool quiet)
{
	int r = policy_index_path(index, PATH_MAX, st, false, environ);

	if (r < 0) {
		if (!quiet)
			fprintf(stderr, "stackshim: %s: no cache directory "
				"for its compiled policy (%s); give one with "
				"-o or STACKSHIM_CACHE_DIR\n",
				cli_shown(file), strerror(-r));
		return -r;
	}
	r = compile_mkdirs(index);
	if (r < 0 && !quiet)
		fprintf(stderr, "stackshim: %s: %s\n", cli_shown(index),
			strerror(-r));
	return -r;
}

int cli_compile(const struct cli_args *args)
{
	char index[PATH_MAX];
	struct policy_error err = {.line = 0};
	const char *file, *out = args->output;
	struct stat st;
	bool missing;
	int r;

	file = cli_config_file(args, &missing);
	if (stat(file, &st) < 0) {
		fprintf(stderr, "stackshim: %s: %s\n", cli_shown(file),
			strerror(errno));
		return CLI_EXIT_POLICY;
	}
	if (!out) {
		if (compile_target(file, &st, index, false))
			return CLI_EXIT_POLICY;
		out = index;
	}
	r = policy_compile(file, out, &err);
	if (r < 0) {
		cli_error_print("stackshim: ", &err);
		return CLI_EXIT_POLICY;
	}
	printf("%s\n", out);
	return CLI_EXIT_OK;
}

/*
 * Whether the launcher may write into the directory of index: a
 * directory this user may write, owned by this user or root and written
 * by its owner alone, as the shim asks of the index itself
 * (source_index_owned()).  Checked before compiling, so that a cache
 * that cannot be written costs no compile at every run.
 */
static bool compile_auto_may_write(const char *index)
{
	char dir[PATH_MAX];
	struct stat dst;
	char *slash;

	if (snprintf(dir, sizeof(dir), "%s", index) >= (int)sizeof(dir))
		return false;
	slash = strrchr(dir, '/');
	if (!slash)
		return false;
	slash[slash == dir] = '\0';
	if (stat(dir, &dst) < 0 || !S_ISDIR(dst.st_mode) ||
	    (dst.st_mode & (S_IWGRP | S_IWOTH)))
		return false;
	if (dst.st_uid != 0 && dst.st_uid != geteuid())
		return false;
	return faccessat(AT_FDCWD, dir, W_OK | X_OK, AT_EACCESS) == 0;
}

/* cli_compile_auto - see cli.h. */
void cli_compile_auto(const struct cli_args *args,
		      const struct policy *policy)
{
	char index[PATH_MAX];
	struct policy_error err;
	const char *file;
	struct stat st;
	bool missing;

	if (policy_is_compiled(policy) ||
	    policy_rule_count(policy) < CLI_COMPILE_AUTO_RULES)
		return;
	file = cli_config_file(args, &missing);
	if (missing || stat(file, &st) < 0 || !S_ISREG(st.st_mode) ||
	    st.st_uid != geteuid() || compile_target(file, &st, index, true) ||
	    !compile_auto_may_write(index))
		return;
	/* Only a config of the user's own (root's, when root runs it):
	 * a cache written for another's would be trusted by nobody else.
	 * The file is written under a new name (O_EXCL: a link planted
	 * there is never followed) and renamed over the index; a cache
	 * that fails anyway is no error: the text is parsed, as before. */
	(void)policy_compile(file, index, &err);
}
