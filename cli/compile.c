/*
 * compile.c - "stackshim compile": the config file the shim would read
 * (or -c's) compiled into the file that processes map in place of
 * parsing it (policy_compile(), policy/compiled.c), written where they
 * look for it (policy_index_path(): $STACKSHIM_CACHE_DIR, the system cache
 * for a config root owns, else the user's cache), or to -o's file.  The
 * cache directory is made when it is missing.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

/* Make the directories leading to path's last component (mode 0755). */
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
		r = policy_index_path(index, sizeof(index), &st, false,
				      environ);
		if (r < 0) {
			fprintf(stderr, "stackshim: %s: no cache directory "
				"for its compiled policy (%s); give one with "
				"-o or STACKSHIM_CACHE_DIR\n",
				cli_shown(file), strerror(-r));
			return CLI_EXIT_POLICY;
		}
		r = compile_mkdirs(index);
		if (r < 0) {
			fprintf(stderr, "stackshim: %s: %s\n",
				cli_shown(index), strerror(-r));
			return CLI_EXIT_POLICY;
		}
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
