/* SPDX-License-Identifier: MIT */
/*
 * run.c - "stackshim [options] -- CMD [ARG...]": run one command under the
 * shim.
 *
 * The launcher builds the policy first, so that a bad option or config file
 * is refused before anything runs, then hands the same settings to the
 * child through the STACKSHIM_* variables the shim reads, puts the library
 * in front of LD_PRELOAD and execs.  It never writes to stdout: that belongs
 * to the command.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "cli.h"

#define SHIM_NAME "libstackshim.so"

/* The launcher's own executable, as the kernel knows it; NULL on failure. */
static char *self_path(void)
{
	size_t size = 256;
	char *buf = NULL, *grown;
	ssize_t len;

	for (;;) {
		grown = realloc(buf, size);
		if (!grown)
			break;
		buf = grown;
		len = readlink("/proc/self/exe", buf, size);
		if (len < 0)
			break;
		if ((size_t)len < size) {
			buf[len] = '\0';
			return buf;
		}
		size *= 2;
	}
	free(buf);
	return NULL;
}

static bool file_exists(const char *path)
{
	struct stat st;

	return !stat(path, &st) && S_ISREG(st.st_mode);
}

/*
 * The library beside an uninstalled launcher, in the build tree: the
 * launcher's directory or, when libtool runs it from .libs, its parent.
 */
static char *library_uninstalled(void)
{
	char *self = self_path(), *slash, *lib = NULL;

	slash = self ? strrchr(self, '/') : NULL;
	if (!slash)
		goto out;
	*slash = '\0';
	if (asprintf(&lib, "%s/shim/.libs/" SHIM_NAME, self) < 0)
		lib = NULL;
	else if (file_exists(lib))
		goto out;
	free(lib);
	lib = NULL;
	slash = strrchr(self, '/');
	if (!slash || strcmp(slash, "/.libs"))
		goto out;
	*slash = '\0';
	if (asprintf(&lib, "%s/shim/.libs/" SHIM_NAME, self) < 0 ||
	    !file_exists(lib)) {
		free(lib);
		lib = NULL;
	}
out:
	free(self);
	return lib;
}

/* The library to preload; returns 0, or an exit status after saying why. */
static int library_find(char **out)
{
	*out = library_uninstalled();
	if (*out)
		return 0;
	if (!file_exists(PKGLIBDIR "/" SHIM_NAME)) {
		fprintf(stderr, "stackshim: %s: %s (is stackshim installed?)\n",
			PKGLIBDIR "/" SHIM_NAME, strerror(ENOENT));
		return CLI_EXIT_POLICY;
	}
	*out = strdup(PKGLIBDIR "/" SHIM_NAME);
	if (!*out) {
		perror("stackshim");
		return CLI_EXIT_POLICY;
	}
	return 0;
}

/*
 * Put lib in front of LD_PRELOAD, keeping what was there.  In a sanitizer
 * build (configure --enable-sanitizers) the library needs the sanitizer's
 * runtime loaded before it, first of all: SANITIZER_PRELOAD, a colon-
 * separated list, empty in a normal build, goes in front of lib.
 */
static int preload_set(const char *lib)
{
	const char *old = getenv("LD_PRELOAD"), *san = SANITIZER_PRELOAD;
	char *value;
	int rc;

	/* ld.so splits LD_PRELOAD at colons and white space. */
	if (strpbrk(lib, ": \t\n\v\f\r")) {
		fprintf(stderr,
			"stackshim: %s: LD_PRELOAD cannot carry a path "
			"holding ':' or white space\n", lib);
		return CLI_EXIT_POLICY;
	}
	rc = asprintf(&value, "%s%s%s%s%s", san, *san ? ":" : "", lib,
		      old && *old ? ":" : "", old ? old : "");
	if (rc < 0 || setenv("LD_PRELOAD", value, 1)) {
		perror("stackshim: LD_PRELOAD");
		return CLI_EXIT_POLICY;
	}
	free(value);
	return 0;
}

/* Export the command line's settings as the shim's variables. */
static int settings_export(const struct cli_args *args)
{
	char *conf = NULL;
	size_t i;

	/*
	 * The child may change directory: give it an absolute path (--log's
	 * was made absolute when it was read, options.c).
	 */
	if (args->conf && (!(conf = cli_path_absolute(args->conf)) ||
			   setenv("STACKSHIM_CONF", conf, 1))) {
		fprintf(stderr, "stackshim: %s: %s\n", cli_shown(args->conf),
			strerror(errno));
		free(conf);
		return CLI_EXIT_POLICY;
	}
	free(conf);
	for (i = 0; i < args->nsettings; i++) {
		const struct cli_setting *s = &args->settings[i];

		if (setenv(s->env, s->value, 1)) {
			perror("stackshim: setenv");
			return CLI_EXIT_POLICY;
		}
	}
	return 0;
}

/*
 * Refuse an executable that runs in secure-execution mode, for which the
 * dynamic loader ignores LD_PRELOAD.  Returns 0 or CLI_EXIT_CANNOT_RUN.
 */
static int command_check(const char *file)
{
	const mode_t setgid = S_ISGID | S_IXGRP;
	const char *why = NULL;
	struct stat st;

	if (!file || stat(file, &st))
		return 0;
	if (st.st_mode & S_ISUID)
		why = "is set-user-ID";
	else if ((st.st_mode & setgid) == setgid)
		why = "is set-group-ID";
	else if (getxattr(file, "security.capability", NULL, 0) >= 0)
		why = "has file capabilities";
	if (!why)
		return 0;
	fprintf(stderr,
		"stackshim: %s %s: the dynamic loader ignores LD_PRELOAD "
		"for it, so the shim cannot apply\n", file, why);
	return CLI_EXIT_CANNOT_RUN;
}

/*
 * Refuse a program that LD_PRELOAD cannot police (cli_program_unreachable()
 * of what runs: a script's interpreter), rather than run it without the
 * policy.  Returns 0 or CLI_EXIT_CANNOT_RUN.
 */
static int command_reachable(const char *cmd)
{
	struct cli_program prog;
	char why[PATH_MAX + 128];

	cli_program_resolve(cmd, &prog);
	if (!strchr(prog.path, '/') ||
	    !cli_program_unreachable(prog.path, why, sizeof(why)))
		return 0;
	fprintf(stderr, "stackshim: %s: %s, so the shim cannot apply\n",
		cli_shown(prog.path), why);
	return CLI_EXIT_CANNOT_RUN;
}

int cli_run(const struct cli_args *args)
{
	char *cmd = args->operands[0], *file, *lib = NULL;
	struct policy *policy;
	int status, err;

	file = cli_command_find(cmd);
	status = cli_policy_build(args, cmd, &policy);
	if (status)
		goto out;
	cli_compile_auto(args, policy);
	policy_free(policy);
	status = command_check(file);
	if (!status)
		status = command_reachable(cmd);
	if (!status)
		status = library_find(&lib);
	if (!status)
		status = preload_set(lib);
	if (!status)
		status = settings_export(args);
	if (status)
		goto out;
	execvp(cmd, args->operands);
	err = errno;
	fprintf(stderr, "stackshim: %s: %s\n", cli_shown(cmd), strerror(err));
	status = err == ENOENT ? CLI_EXIT_NOT_FOUND : CLI_EXIT_CANNOT_RUN;
out:
	free(lib);
	free(file);
	return status;
}
