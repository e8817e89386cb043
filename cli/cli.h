/* SPDX-License-Identifier: MIT */
/*
 * cli.h - the stackshim launcher's private interface.
 *
 * The launcher parses its command line into a struct cli_args (options.c,
 * reading argv by getopt.c), builds a policy from it with the same engine
 * and load path the shim uses (stackshim.c), and hands that to one
 * subcommand: table.c, explain.c, check.c or the run mode (run.c).  Every
 * subcommand returns the
 * process's exit status; only main() exits.
 */
#ifndef STACKSHIM_CLI_H
#define STACKSHIM_CLI_H

#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy.h"

/* Exit statuses shared by every subcommand. */
enum {
	CLI_EXIT_OK = 0,
	CLI_EXIT_POLICY = 1,	/* bad configuration or policy value */
	CLI_EXIT_USAGE = 2,	/* bad command line, or a name not resolved */
	CLI_EXIT_CANNOT_RUN = 126,
	CLI_EXIT_NOT_FOUND = 127,
};

enum cli_mode {
	MODE_RUN,
	MODE_TABLE,
	MODE_EXPLAIN,
	MODE_CHECK,
	MODE_COMPILE,
	MODE_STATUS,
	MODE_HELP,
	MODE_VERSION,
};

/* One policy setting from the command line, kept in the order given. */
struct cli_setting {
	const char *key;	/* policy_set() key: "stack", "enforce", ... */
	const char *value;
	const char *source;	/* the option, as errors name it: "--stack" */
	const char *env;	/* what run mode exports: "STACKSHIM_STACK" */
	char *owned;		/* value, when the launcher made it: freed */
};

struct cli_args {
	enum cli_mode mode;
	const char *conf;	/* -c FILE, or NULL */
	const char *output;	/* compile -o INDEX, or NULL */
	const char *program;	/* --program NAME, or NULL */
	bool json;		/* status --json */
	uint16_t port;		/* explain --port N; 0 when not given */
	enum policy_proto proto; /* explain --proto; PROTO_ANY when not given */
	struct cli_setting *settings;
	size_t nsettings;
	char **operands;	/* run: CMD ARG...; explain: HOST [LOCAL] */
	size_t noperands;
};

/*
 * cli_args_parse - parse argv into args.  Returns 0, or CLI_EXIT_USAGE after
 * saying what is wrong on stderr.  args must be released with
 * cli_args_free() whatever the result.
 */
int cli_args_parse(int argc, char **argv, struct cli_args *args);

/* cli_args_free - release what cli_args_parse() allocated in args. */
void cli_args_free(struct cli_args *args);

/*
 * cli_path_absolute - path made absolute against the working directory (a
 * leading "./" dropped), or a copy of path when it is absolute or empty:
 * what the launcher hands on for a child that may change directory.
 * Returns a string to free, or NULL with errno set.
 */
char *cli_path_absolute(const char *path);

/* One spelling of a launcher option, as the user writes it. */
struct cli_option {
	const char *name;	/* "-c", "--stack" */
	bool takes_value;
	int op;			/* what options.c makes of it */
};

#define CLI_OPTIONS_MAX 32

/* One reading of argv (getopt.c): getopt_long()'s tables for opts. */
struct cli_getopt {
	const struct cli_option *opts;
	size_t nopts;
	struct option longopts[CLI_OPTIONS_MAX + 1];
	char shortopts[3 + 2 * CLI_OPTIONS_MAX];
};

enum cli_getopt_result {
	CLI_GETOPT_OPTION,	/* an option: *o, and *value or NULL */
	CLI_GETOPT_WORD,	/* argv[*at] is not an option */
	CLI_GETOPT_END,		/* *at is argc, or the word after "--" */
	CLI_GETOPT_ERROR,	/* a usage error, said on stderr */
};

/*
 * cli_getopt_init - start reading argv from its first word, with the n
 * (at most CLI_OPTIONS_MAX) options of opts, which must outlive g.
 */
void cli_getopt_init(struct cli_getopt *g, const struct cli_option *opts,
		     size_t n);

/*
 * cli_getopt_next - read the next word or two of argv (getopt_long(), which
 * keeps the place in optind: one reading at a time).  Options are spelt
 * exactly as in opts, whole words, "--name=VALUE" or "-cVALUE" joined;
 * no abbreviation.  *at is the index of the word that follows.
 */
enum cli_getopt_result cli_getopt_next(struct cli_getopt *g, int argc,
				       char **argv,
				       const struct cli_option **o,
				       const char **value, int *at);

/* cli_getopt_skip - step over the word cli_getopt_next() stopped at. */
void cli_getopt_skip(struct cli_getopt *g);

/*
 * cli_policy_build - the policy the shim would load, with the command line's
 * settings above it, and the [program] sections selected that the shim
 * would select in cmd run from here (cli_program_resolve(); NULL for
 * none).  Returns 0 with *out set, or CLI_EXIT_POLICY after printing the
 * error.
 */
int cli_policy_build(const struct cli_args *args, const char *cmd,
		     struct policy **out);

/*
 * cli_command_find - the file execvp() would run for cmd, found as it does
 * along PATH (cmd itself when it holds '/'); NULL when there is none.
 * The caller frees it.
 */
char *cli_command_find(const char *cmd);

/* A command as the shim in it would see it, for [program] sections. */
struct cli_program {
	char path[PATH_MAX];	/* the executable, links resolved, or as named */
	const char *name;	/* path's base name */
	char alias[PATH_MAX];	/* argv[0] the program starts with */
};

/*
 * cli_program_resolve - what the shim would see of cmd started from here:
 * found as execvp() finds it, links resolved, a script followed to the
 * program its "#!" line starts (through env(1) too).  A command that is
 * not found is taken as named.
 */
void cli_program_resolve(const char *cmd, struct cli_program *prog);

/*
 * cli_program_unreachable - why LD_PRELOAD cannot police the executable
 * at path, in why (len bytes), or NULL when it can or the file cannot be
 * told (not ELF, unreadable: the kernel judges it).  An ELF file of
 * another word size or machine than the launcher's, without a dynamic
 * loader (static), with another C library's loader, or of Go's runtime
 * (whose sockets are raw system calls) cannot be.
 */
const char *cli_program_unreachable(const char *path, char *why, size_t len);
/*
 * cli_config_file - the config file the shim would read: -c's, else
 * STACKSHIM_CONF's, else the system one (*missing set when that does not
 * exist, which is no error: the built-in defaults apply).
 */
const char *cli_config_file(const struct cli_args *args, bool *missing);

/*
 * cli_error_print - print err on stderr as "PREFIXFILE:LINE:COLUMN: text";
 * prefix may be "".
 */
void cli_error_print(const char *prefix, const struct policy_error *err);

/*
 * cli_shown - s, from the command line or the environment, as it may be
 * printed on a terminal (policy_escape(): controls as \xNN).  The text
 * lives until the second call after this one: two may share a printf.
 */
const char *cli_shown(const char *s);

/* cli_usage_hint - point at --help on stderr, after a usage error. */
void cli_usage_hint(void);

/*
 * The subcommands.  Each takes the parsed command line and returns an exit
 * status; results go to stdout, errors to stderr.
 */
int cli_table(const struct cli_args *args);
int cli_explain(const struct cli_args *args);
int cli_check(const struct cli_args *args);
/* cli_status - "stackshim status": the processes under the shim. */
int cli_status(const struct cli_args *args);

/*
 * cli_compile - compile the config file (cli_config_file()) into -o's
 * file, or the cache the shim looks in (policy_index_path()).
 */
int cli_compile(const struct cli_args *args);

/* The rules from which run mode compiles a config by itself. */
#define CLI_COMPILE_AUTO_RULES 1000

/*
 * cli_compile_auto - compile the config file into the cache the shim
 * looks in when policy, loaded from it, was parsed rather than mapped and
 * has at least CLI_COMPILE_AUTO_RULES rules; quietly, a cache that cannot
 * be written being no error.
 */
void cli_compile_auto(const struct cli_args *args,
		      const struct policy *policy);

/* cli_run - exec the command under the shim; returns only on failure. */
int cli_run(const struct cli_args *args);

#endif /* STACKSHIM_CLI_H */
