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
#include <elf.h>
#include <link.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
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

/* --- what the preload can reach --------------------------------------- */

/* The parts of an ELF file that say whether LD_PRELOAD reaches it. */
struct elf_kind {
	unsigned char ident[EI_NIDENT];	/* class, data (byte order), ... */
	uint16_t machine;
	bool dynamic;			/* it has a PT_INTERP */
	char interp[PATH_MAX];		/* its dynamic loader */
	bool go;			/* a section of Go's runtime */
};

/* Whether len bytes at off of fd could be read into buf. */
static bool read_at(int fd, void *buf, size_t len, uint64_t off)
{
	ssize_t n = off > (uint64_t)INT64_MAX ? -1
		    : pread(fd, buf, len, (off_t)off);

	return n >= 0 && (size_t)n == len;
}

/* Whether any section of the file (its names in shstrtab) is Go's. */
static bool elf_go_sections(int fd, const Elf64_Ehdr *eh)
{
	static const char *const names[] = {".go.buildinfo", ".note.go.buildid"};
	Elf64_Shdr strs;
	char *tab;
	size_t i, len;
	bool go = false;

	if (eh->e_shstrndx == SHN_UNDEF || eh->e_shstrndx >= eh->e_shnum ||
	    eh->e_shentsize != sizeof(Elf64_Shdr) ||
	    !read_at(fd, &strs, sizeof(strs),
		     eh->e_shoff + (uint64_t)eh->e_shstrndx * sizeof(strs)) ||
	    strs.sh_size == 0 || strs.sh_size > (1 << 20))
		return false;
	len = (size_t)strs.sh_size;
	tab = malloc(len + 1);
	if (!tab)
		return false;
	if (read_at(fd, tab, len, strs.sh_offset)) {
		tab[len] = '\0';
		/* The names follow each other, NUL-terminated. */
		for (i = 0; i < len && !go; i += strlen(tab + i) + 1)
			go = !strcmp(tab + i, names[0]) ||
			     !strcmp(tab + i, names[1]);
	}
	free(tab);
	return go;
}

/*
 * The ELF file at path in *k; false when it is none that can be read
 * (not ELF, not readable, truncated), which the kernel then judges.  A
 * 32-bit file is told by its header alone.
 */
static bool elf_kind_read(const char *path, struct elf_kind *k)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	Elf64_Ehdr eh;
	Elf64_Phdr ph;
	size_t i;
	bool ok = false;

	*k = (struct elf_kind){ .machine = 0 };
	if (fd < 0)
		return false;
	if (!read_at(fd, k->ident, EI_NIDENT, 0) ||
	    memcmp(k->ident, ELFMAG, SELFMAG))
		goto out;
	ok = true;
	if (k->ident[EI_CLASS] != ELFCLASS64 ||
	    !read_at(fd, &eh, sizeof(eh), 0) ||
	    eh.e_phentsize != sizeof(ph))
		goto out;
	k->machine = eh.e_machine;
	for (i = 0; i < eh.e_phnum; i++) {
		if (!read_at(fd, &ph, sizeof(ph), eh.e_phoff + i * sizeof(ph)))
			break;
		if (ph.p_type != PT_INTERP || !ph.p_filesz ||
		    ph.p_filesz > sizeof(k->interp) ||
		    !read_at(fd, k->interp, (size_t)ph.p_filesz, ph.p_offset))
			continue;
		k->interp[ph.p_filesz - 1] = '\0';
		k->dynamic = true;
	}
	k->go = elf_go_sections(fd, &eh);
out:
	close(fd);
	return ok;
}

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

/*
 * The launcher's own kind, from its headers as loaded (the first object
 * dl_iterate_phdr() gives is the program): not from /proc/self/exe,
 * which under valgrind is valgrind's own, static, tool.
 */
static int elf_kind_self(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct elf_kind *k = arg;
	const ElfW(Ehdr) *eh = NULL;
	size_t i;

	(void)size;
	for (i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];

		if (ph->p_type == PT_LOAD && ph->p_offset == 0 && !eh)
			eh = (const void *)(info->dlpi_addr + ph->p_vaddr);
		if (ph->p_type == PT_INTERP) {
			snprintf(k->interp, sizeof(k->interp), "%s",
				 (const char *)(info->dlpi_addr + ph->p_vaddr));
			k->dynamic = true;
		}
	}
	if (eh && !memcmp(eh->e_ident, ELFMAG, SELFMAG)) {
		memcpy(k->ident, eh->e_ident, EI_NIDENT);
		k->machine = eh->e_machine;
	}
	return 1;	/* the program alone */
}

/* cli_program_unreachable - see cli.h. */
const char *cli_program_unreachable(const char *path, char *why, size_t len)
{
	static struct elf_kind self;
	struct elf_kind k;

	if (!self.machine)
		dl_iterate_phdr(elf_kind_self, &self);
	if (!self.machine || !self.dynamic || !elf_kind_read(path, &k))
		return NULL;
	if (k.ident[EI_CLASS] != self.ident[EI_CLASS])
		snprintf(why, len, "a %s program, and this stackshim's library "
			 "is %s", k.ident[EI_CLASS] == ELFCLASS32 ? "32-bit"
			 : "64-bit", self.ident[EI_CLASS] == ELFCLASS32
			 ? "32-bit" : "64-bit");
	else if (k.ident[EI_DATA] != self.ident[EI_DATA] ||
		 k.machine != self.machine)
		snprintf(why, len, "a program for another machine (ELF "
			 "machine %u)", k.machine);
	else if (!k.dynamic)
		snprintf(why, len, "a statically linked program: no dynamic "
			 "loader reads LD_PRELOAD for it");
	else if (strcmp(base_name(k.interp), base_name(self.interp)))
		snprintf(why, len, "a program of another C library (its "
			 "loader is %s)", k.interp);
	else if (k.go)
		snprintf(why, len, "a Go program: it makes its sockets with "
			 "system calls of its own, past LD_PRELOAD");
	else
		return NULL;
	return why;
}
