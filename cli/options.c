/* SPDX-License-Identifier: MIT */
/*
 * options.c - the command line, and the policy it builds.
 *
 * Options may come before or after a subcommand's name; run mode stops at
 * the first word that is not an option or a subcommand, as env(1) does, so
 * that everything after it belongs to the command.  getopt.c reads the
 * words (getopt_long()); this file says what they mean.
 */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cli.h"

enum cli_opcode {
	OPT_CONF,
	OPT_OUTPUT,
	OPT_STACK,
	OPT_PREFER,
	OPT_MAPPED,
	OPT_IPV4_LOOPBACK,
	OPT_FALLBACK,
	OPT_LOCAL_ADDRESS,
	OPT_TRANSLATE_PREFIX,
	OPT_PEER_POOL,
	OPT_AUDIT,
	OPT_LOG,
	OPT_LOG_FORMAT,
	OPT_PROGRAM,
	OPT_PORT,
	OPT_PROTO,
	OPT_JSON,
	OPT_HELP,
	OPT_VERSION,
};

/* Every option as it is spelt; -h and --help are two rows. */
static const struct cli_option cli_options[] = {
	{ "-c", true, OPT_CONF },
	{ "-o", true, OPT_OUTPUT },
	{ "--stack", true, OPT_STACK },
	{ "--prefer", true, OPT_PREFER },
	{ "--mapped", true, OPT_MAPPED },
	{ "--ipv4-loopback", true, OPT_IPV4_LOOPBACK },
	{ "--fallback", true, OPT_FALLBACK },
	{ "--local-address", true, OPT_LOCAL_ADDRESS },
	{ "--translate-prefix", true, OPT_TRANSLATE_PREFIX },
	{ "--peer-pool", true, OPT_PEER_POOL },
	{ "--audit", false, OPT_AUDIT },
	{ "--log", true, OPT_LOG },
	{ "--log-format", true, OPT_LOG_FORMAT },
	{ "--program", true, OPT_PROGRAM },
	{ "--port", true, OPT_PORT },
	{ "--proto", true, OPT_PROTO },
	{ "--json", false, OPT_JSON },
	{ "-h", false, OPT_HELP },
	{ "--help", false, OPT_HELP },
	{ "--version", false, OPT_VERSION },
};

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
_Static_assert(ARRAY_SIZE(cli_options) <= CLI_OPTIONS_MAX,
	       "cli_options[] outgrows struct cli_getopt");
#define M(mode) (1u << (mode))
#define POLICY_MODES (M(MODE_RUN) | M(MODE_TABLE) | M(MODE_EXPLAIN))
/* The modes that read a config file, and every mode. */
#define CONF_MODES (POLICY_MODES | M(MODE_CHECK) | M(MODE_COMPILE))
#define ALL_MODES (CONF_MODES | M(MODE_STATUS))

/*
 * Options that are not policy settings: each stores its value in args, or
 * says on stderr what is wrong with it and returns -1.
 */
static int take_conf(struct cli_args *args, const char *name,
		     const char *value)
{
	(void)name;
	args->conf = value;
	return 0;
}

static int take_output(struct cli_args *args, const char *name,
		       const char *value)
{
	(void)name;
	args->output = value;
	return 0;
}

static int take_program(struct cli_args *args, const char *name,
			const char *value)
{
	(void)name;
	args->program = value;
	return 0;
}

static int take_json(struct cli_args *args, const char *name,
		     const char *value)
{
	(void)name;
	(void)value;
	args->json = true;
	return 0;
}

/* A port: decimal digits only, 1 to 65535. */
static int take_port(struct cli_args *args, const char *name,
		     const char *value)
{
	unsigned long port;

	if (policy_decimal_parse(value, strlen(value), 1, 65535, &port,
				 NULL) < 0) {
		fprintf(stderr, "stackshim: %s: '%s' is not a port "
			"(1 to 65535)\n", name, cli_shown(value));
		return -1;
	}
	args->port = (uint16_t)port;
	return 0;
}

static int take_proto(struct cli_args *args, const char *name,
		      const char *value)
{
	if (!strcasecmp(value, "tcp")) {
		args->proto = PROTO_TCP;
	} else if (!strcasecmp(value, "udp")) {
		args->proto = PROTO_UDP;
	} else {
		fprintf(stderr, "stackshim: %s: '%s' is not a protocol "
			"(tcp or udp)\n", name, cli_shown(value));
		return -1;
	}
	return 0;
}

/*
 * What each opcode means.  key names the policy_set() key of a setting;
 * fixed is the value of a setting that takes none (--audit); take stores an
 * option that is not a setting; modes are those the option applies to;
 * is_path says which values of a setting name a file, made absolute here
 * (cli_path_absolute()) as -c's is by run mode: the shim reads them in a
 * child that may have changed directory.
 */
static const struct cli_opcode_info {
	const char *key;
	const char *fixed;
	const char *env;
	unsigned modes;
	int (*take)(struct cli_args *args, const char *name,
		    const char *value);
	bool (*is_path)(const char *value);
} cli_opcodes[] = {
	[OPT_CONF] = { NULL, NULL, "STACKSHIM_CONF", CONF_MODES, take_conf },
	[OPT_OUTPUT] = { NULL, NULL, NULL, M(MODE_COMPILE), take_output },
	[OPT_STACK] = { "stack", NULL, "STACKSHIM_STACK", POLICY_MODES },
	[OPT_PREFER] = { "prefer", NULL, "STACKSHIM_PREFER", POLICY_MODES },
	[OPT_MAPPED] = { "mapped", NULL, "STACKSHIM_MAPPED", POLICY_MODES },
	[OPT_IPV4_LOOPBACK] = { "ipv4-loopback", NULL,
				"STACKSHIM_IPV4_LOOPBACK", POLICY_MODES },
	[OPT_FALLBACK] = { "fallback", NULL, "STACKSHIM_FALLBACK",
			   POLICY_MODES },
	[OPT_LOCAL_ADDRESS] = { "local-address", NULL,
				"STACKSHIM_LOCAL_ADDRESS", POLICY_MODES },
	[OPT_TRANSLATE_PREFIX] = { "translate-prefix", NULL,
				   "STACKSHIM_TRANSLATE_PREFIX",
				   POLICY_MODES },
	[OPT_PEER_POOL] = { "peer-pool", NULL, "STACKSHIM_PEER_POOL",
			    POLICY_MODES },
	[OPT_AUDIT] = { "enforce", "no", "STACKSHIM_ENFORCE", POLICY_MODES },
	[OPT_LOG] = { "log", NULL, "STACKSHIM_LOG", POLICY_MODES, NULL,
		      policy_log_is_path },
	[OPT_LOG_FORMAT] = { "log-format", NULL, "STACKSHIM_LOG_FORMAT",
			     POLICY_MODES },
	[OPT_PROGRAM] = { NULL, NULL, NULL, M(MODE_TABLE) | M(MODE_EXPLAIN),
			  take_program },
	[OPT_PORT] = { NULL, NULL, NULL, M(MODE_EXPLAIN), take_port },
	[OPT_PROTO] = { NULL, NULL, NULL, M(MODE_EXPLAIN), take_proto },
	[OPT_JSON] = { NULL, NULL, NULL, M(MODE_STATUS), take_json },
	[OPT_HELP] = { NULL, NULL, NULL, ALL_MODES },
	[OPT_VERSION] = { NULL, NULL, NULL, ALL_MODES },
};

static const struct cli_subcommand {
	const char *name;
	enum cli_mode mode;
	size_t min_operands;
	size_t max_operands;
} cli_subcommands[] = {
	{ "table", MODE_TABLE, 0, 0 },
	{ "explain", MODE_EXPLAIN, 1, 2 },
	{ "check", MODE_CHECK, 0, 0 },
	{ "compile", MODE_COMPILE, 0, 0 },
	{ "status", MODE_STATUS, 0, (size_t)-1 },
	{ NULL, MODE_RUN, 1, (size_t)-1 },
};

void cli_usage_hint(void)
{
	fputs("Try 'stackshim --help' for more information.\n", stderr);
}

static const struct cli_subcommand *subcommand_find(const char *word)
{
	const struct cli_subcommand *s = cli_subcommands;

	while (s->name && (!word || strcmp(s->name, word)))
		s++;
	return s;
}

/* cli_path_absolute - see cli.h. */
char *cli_path_absolute(const char *path)
{
	char *cwd, *abs;
	int rc;

	if (!*path || *path == '/')
		return strdup(path);
	while (path[0] == '.' && path[1] == '/')
		for (path += 2; *path == '/'; path++)
			;
	cwd = getcwd(NULL, 0);
	if (!cwd)
		return NULL;
	rc = asprintf(&abs, "%s%s%s", cwd, strcmp(cwd, "/") ? "/" : "", path);
	free(cwd);
	return rc < 0 ? NULL : abs;
}

/* Record option o with its value (NULL for none); returns 0 or -1. */
static int option_take(struct cli_args *args, const struct cli_option *o,
		       const char *value, unsigned *seen)
{
	const struct cli_opcode_info *info = &cli_opcodes[o->op];
	struct cli_setting *s;

	*seen |= 1u << o->op;
	if (info->take)
		return info->take(args, o->name, value);
	if (!info->key)
		return 0;
	s = &args->settings[args->nsettings++];
	*s = (struct cli_setting){ info->key, info->fixed ? info->fixed : value,
				   o->name, info->env, NULL };
	if (!info->is_path || !info->is_path(s->value))
		return 0;
	s->owned = cli_path_absolute(s->value);
	if (!s->owned) {
		fprintf(stderr, "stackshim: %s: %s: %s\n", o->name,
			cli_shown(s->value), strerror(errno));
		return -1;
	}
	s->value = s->owned;
	return 0;
}

/* Every option given must suit the mode, which is known only at the end. */
static int options_check(const struct cli_args *args, unsigned seen)
{
	const struct cli_option *o;

	for (o = cli_options; o < cli_options + ARRAY_SIZE(cli_options); o++) {
		if (!(seen & (1u << o->op)) ||
		    (cli_opcodes[o->op].modes & M(args->mode)))
			continue;
		fprintf(stderr, "stackshim: option %s does not apply here\n",
			o->name);
		return CLI_EXIT_USAGE;
	}
	return 0;
}

static int operands_check(const struct cli_args *args,
			  const struct cli_subcommand *sub)
{
	if (args->noperands < sub->min_operands) {
		fprintf(stderr, "stackshim: %s\n",
			sub->name ? "missing operand" : "no command to run");
		return CLI_EXIT_USAGE;
	}
	if (args->noperands > sub->max_operands) {
		fprintf(stderr, "stackshim: extra operand '%s'\n",
			cli_shown(args->operands[sub->max_operands]));
		return CLI_EXIT_USAGE;
	}
	return 0;
}

/*
 * A word getopt stopped at: a subcommand's name (the first one only), one
 * of its operands, or run mode's command.  Returns whether to go on.
 */
static bool word_take(struct cli_args *args, char *word,
		      const struct cli_subcommand **sub)
{
	if (!(*sub)->name && subcommand_find(word)->name) {
		*sub = subcommand_find(word);
		args->mode = (*sub)->mode;
		return true;
	}
	if (!(*sub)->name)
		return false;
	args->operands[args->noperands++] = word;
	return true;
}

/*
 * Take options and a subcommand's operands from argv, stopping at "--" or,
 * in run mode, at the command.  Returns the index of the first word left
 * over, argc after --help or --version, or -1 after a usage error.
 */
static int parse_words(int argc, char **argv, struct cli_args *args,
		       const struct cli_subcommand **sub, unsigned *seen)
{
	const struct cli_option *o = NULL;
	enum cli_getopt_result r;
	struct cli_getopt g;
	const char *value;
	int at;

	cli_getopt_init(&g, cli_options, ARRAY_SIZE(cli_options));
	for (;;) {
		r = cli_getopt_next(&g, argc, argv, &o, &value, &at);
		if (r == CLI_GETOPT_WORD && word_take(args, argv[at], sub)) {
			cli_getopt_skip(&g);
			continue;
		}
		if (r != CLI_GETOPT_OPTION)
			return r == CLI_GETOPT_ERROR ? -1 : at;
		if (option_take(args, o, value, seen) < 0)
			return -1;
		if (o->op == OPT_HELP || o->op == OPT_VERSION) {
			args->mode = o->op == OPT_HELP ? MODE_HELP :
							 MODE_VERSION;
			return argc;
		}
	}
}

int cli_args_parse(int argc, char **argv, struct cli_args *args)
{
	const struct cli_subcommand *sub = subcommand_find(NULL);
	unsigned seen = 0;
	int i;

	*args = (struct cli_args){ .mode = MODE_RUN };
	args->settings = calloc(argc + 1, sizeof(*args->settings));
	args->operands = calloc(argc + 1, sizeof(*args->operands));
	if (!args->settings || !args->operands) {
		perror("stackshim");
		return CLI_EXIT_USAGE;
	}
	i = parse_words(argc, argv, args, &sub, &seen);
	if (i < 0)
		goto usage;
	if (args->mode == MODE_HELP || args->mode == MODE_VERSION)
		return 0;
	/* What follows "--", or a run mode's command, is all operands. */
	while (i < argc)
		args->operands[args->noperands++] = argv[i++];
	if (options_check(args, seen) || operands_check(args, sub))
		goto usage;
	return 0;
usage:
	cli_usage_hint();
	return CLI_EXIT_USAGE;
}

void cli_args_free(struct cli_args *args)
{
	size_t i;

	for (i = 0; args->settings && i < args->nsettings; i++)
		free(args->settings[i].owned);
	free(args->settings);
	free(args->operands);
	args->settings = NULL;
	args->operands = NULL;
}
