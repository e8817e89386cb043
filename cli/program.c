/* SPDX-License-Identifier: MIT */
/*
 * program.c - a command as the shim inside it would see it.
 *
 * The shim chooses [program NAME] sections by the executable the kernel
 * runs (/proc/self/exe: links resolved, a script's interpreter) and by the
 * name the process was started as (argv[0]).  "stackshim explain --program
 * CMD" and "table --program CMD" answer for CMD started from this shell:
 * found along PATH as execvp() finds it, its links resolved, and a script
 * followed to the program its "#!" line starts, "#!/usr/bin/env NAME"
 * included, as the kernel and env(1) would.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

#define DEFAULT_PATH "/bin:/usr/bin"
/* The kernel follows at most this many "#!" interpreters (fs/exec.c). */
#define INTERPRETERS_MAX 4

static bool executable_file(const char *path)
{
	struct stat st;

	return !stat(path, &st) && S_ISREG(st.st_mode) && !access(path, X_OK);
}

/* cli_command_find - see cli.h. */
char *cli_command_find(const char *cmd)
{
	const char *path = getenv("PATH"), *dir, *end;
	char *file;

	if (strchr(cmd, '/'))
		return strdup(cmd);
	if (!path)
		path = DEFAULT_PATH;
	for (dir = path; ; dir = end + 1) {
		end = strchrnul(dir, ':');
		if (asprintf(&file, "%.*s%s%s", (int)(end - dir), dir,
			     end == dir ? "" : "/", cmd) < 0)
			return NULL;
		if (executable_file(file))
			return file;
		free(file);
		if (!*end)
			return NULL;
	}
}

/*
 * The "#!" line of the file at path, as the kernel reads it: the
 * interpreter in *interp and the one optional argument, the rest of the
 * line with its blanks trimmed, in *arg ("" when none).  Returns false for
 * a file that is not a script.
 */
static bool script_line(const char *path, char *line, size_t size,
			char **interp, char **arg)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;
	char *p, *end;

	if (fd < 0)
		return false;
	n = read(fd, line, size - 1);
	close(fd);
	if (n < 2 || line[0] != '#' || line[1] != '!')
		return false;
	line[n] = '\0';
	end = strchrnul(line, '\n');
	*end = '\0';
	while (end > line + 2 && isblank((unsigned char)end[-1]))
		*--end = '\0';
	for (p = line + 2; isblank((unsigned char)*p); p++)
		;
	if (!*p)
		return false;
	*interp = p;
	p += strcspn(p, " \t");
	if (*p)
		*p++ = '\0';
	while (isblank((unsigned char)*p))
		p++;
	*arg = p;
	return true;
}

/*
 * The command env(1) runs for its one "#!" argument: the first word that
 * is not an option or a NAME=VALUE, -S's words split as env -S splits
 * them (on blanks, without its quoting).  NULL when it names none.
 */
static char *env_command(char *arg)
{
	char *word;

	for (word = strtok(arg, " \t"); word; word = strtok(NULL, " \t")) {
		if (!strcmp(word, "-S") || !strcmp(word, "--split-string"))
			continue;
		if (!strncmp(word, "-S", 2) && word[2] != '-')
			word += 2;
		if (word[0] != '-' && !strchr(word, '='))
			return word;
	}
	return NULL;
}

/* cli_program_resolve - see cli.h. */
void cli_program_resolve(const char *cmd, struct cli_program *prog)
{
	char line[256], *file, *interp, *arg, *run;
	const char *slash;
	int depth;

	snprintf(prog->alias, sizeof(prog->alias), "%s", cmd);
	file = cli_command_find(cmd);
	for (depth = 0; file && depth < INTERPRETERS_MAX; depth++) {
		if (!script_line(file, line, sizeof(line), &interp, &arg))
			break;
		free(file);
		/* The kernel starts the interpreter with argv[0] as written;
		 * env execs its command under the name it was given. */
		slash = strrchr(interp, '/');
		run = strcmp(slash ? slash + 1 : interp, "env") ? NULL
			: env_command(arg);
		snprintf(prog->alias, sizeof(prog->alias), "%s",
			 run ? run : interp);
		file = cli_command_find(prog->alias);
	}
	/* A file that is not there is named as it was given. */
	if (!file || !realpath(file, prog->path))
		snprintf(prog->path, sizeof(prog->path), "%s",
			 file ? file : prog->alias);
	free(file);
	slash = strrchr(prog->path, '/');
	prog->name = slash ? slash + 1 : prog->path;
}
