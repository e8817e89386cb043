/*
 * options.c - the command line, and the policy it builds.
 *
 * Options may come before or after a subcommand's name; run mode stops at
 * the first word that is not an option or a subcommand, as env(1) does, so
 * that everything after it belongs to the command.
 */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"

enum cli_opcode {
	OPT_CONF,
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
	OPT_PROGRAM,
	OPT_PORT,
	OPT_PROTO,
	OPT_HELP,
	OPT_VERSION,
	OPT_UNKNOWN,
};

static const struct cli_option {
	const char *name;
	enum cli_opcode op;
} cli_options[] = {
	{ "-c", OPT_CONF },
	{ "--stack", OPT_STACK },
	{ "--prefer", OPT_PREFER },
	{ "--mapped", OPT_MAPPED },
	{ "--ipv4-loopback", OPT_IPV4_LOOPBACK },
	{ "--fallback", OPT_FALLBACK },
	{ "--local-address", OPT_LOCAL_ADDRESS },
	{ "--translate-prefix", OPT_TRANSLATE_PREFIX },
	{ "--peer-pool", OPT_PEER_POOL },
	{ "--audit", OPT_AUDIT },
	{ "--log", OPT_LOG },
	{ "--program", OPT_PROGRAM },
	{ "--port", OPT_PORT },
	{ "--proto", OPT_PROTO },
	{ "-h", OPT_HELP },
	{ "--help", OPT_HELP },
	{ "--version", OPT_VERSION },
	{ NULL, OPT_UNKNOWN },
};

#define M(mode) (1u << (mode))
#define POLICY_MODES (M(MODE_RUN) | M(MODE_TABLE) | M(MODE_EXPLAIN))
#define ALL_MODES (POLICY_MODES | M(MODE_CHECK))

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

static int take_program(struct cli_args *args, const char *name,
			const char *value)
{
	(void)name;
	args->program = value;
	return 0;
}

/* A port: decimal digits only, 1 to 65535. */
static int take_port(struct cli_args *args, const char *name,
		     const char *value)
{
	unsigned long port = 0;
	const char *p;

	for (p = value; *p >= '0' && *p <= '9' && port <= 65535; p++)
		port = port * 10 + (unsigned long)(*p - '0');
	if (p == value || *p || port < 1 || port > 65535) {
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
 * option that is not a setting.
 */
static const struct cli_opcode_info {
	const char *key;
	const char *fixed;
	const char *env;
	bool takes_value;
	unsigned modes;
	int (*take)(struct cli_args *args, const char *name,
		    const char *value);
} cli_opcodes[] = {
	[OPT_CONF] = { NULL, NULL, "STACKSHIM_CONF", true, ALL_MODES,
		       take_conf },
	[OPT_STACK] = { "stack", NULL, "STACKSHIM_STACK", true, POLICY_MODES },
	[OPT_PREFER] = { "prefer", NULL, "STACKSHIM_PREFER", true,
			 POLICY_MODES },
	[OPT_MAPPED] = { "mapped", NULL, "STACKSHIM_MAPPED", true,
			 POLICY_MODES },
	[OPT_IPV4_LOOPBACK] = { "ipv4-loopback", NULL,
				"STACKSHIM_IPV4_LOOPBACK", true,
				POLICY_MODES },
	[OPT_FALLBACK] = { "fallback", NULL, "STACKSHIM_FALLBACK", true,
			   POLICY_MODES },
	[OPT_LOCAL_ADDRESS] = { "local-address", NULL,
				"STACKSHIM_LOCAL_ADDRESS", true,
				POLICY_MODES },
	[OPT_TRANSLATE_PREFIX] = { "translate-prefix", NULL,
				   "STACKSHIM_TRANSLATE_PREFIX", true,
				   POLICY_MODES },
	[OPT_PEER_POOL] = { "peer-pool", NULL, "STACKSHIM_PEER_POOL", true,
			    POLICY_MODES },
	[OPT_AUDIT] = { "enforce", "no", "STACKSHIM_ENFORCE", false,
			POLICY_MODES },
	[OPT_LOG] = { "log", NULL, "STACKSHIM_LOG", true, POLICY_MODES },
	[OPT_PROGRAM] = { NULL, NULL, NULL, true,
			  M(MODE_TABLE) | M(MODE_EXPLAIN), take_program },
	[OPT_PORT] = { NULL, NULL, NULL, true, M(MODE_EXPLAIN), take_port },
	[OPT_PROTO] = { NULL, NULL, NULL, true, M(MODE_EXPLAIN), take_proto },
	[OPT_HELP] = { NULL, NULL, NULL, false, ALL_MODES },
	[OPT_VERSION] = { NULL, NULL, NULL, false, ALL_MODES },
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

/*
 * Match arg against one option name: "--name", "--name=VALUE", or for a
 * one-letter option "-cVALUE".  *inline_value is the value given in the same
 * word, or NULL.
 */
static bool option_match(const char *name, const char *arg,
			 const char **inline_value)
{
	size_t n = strlen(name);

	*inline_value = NULL;
	if (strncmp(arg, name, n))
		return false;
	if (!arg[n])
		return true;
	if (n > 2 && arg[n] == '=') {
		*inline_value = arg + n + 1;
		return true;
	}
	if (n == 2) {
		*inline_value = arg + n;
		return true;
	}
	return false;
}

static const struct cli_option *option_find(const char *arg,
					    const char **inline_value)
{
	const struct cli_option *o = cli_options;

	while (o->name && !option_match(o->name, arg, inline_value))
		o++;
	return o;
}

/* Record one option; returns how many extra words it used, or -1. */
static int option_take(struct cli_args *args, const struct cli_option *o,
		       const char *inline_value, char *next, unsigned *seen)
{
	const struct cli_opcode_info *info = &cli_opcodes[o->op];
	const char *value = inline_value;
	int used = 0;

	if (info->takes_value && !value) {
		if (!next) {
			fprintf(stderr, "stackshim: option %s needs a value\n",
				o->name);
			return -1;
		}
		value = next;
		used = 1;
	} else if (!info->takes_value && value) {
		fprintf(stderr, "stackshim: option %s takes no value\n",
			o->name);
		return -1;
	}
	*seen |= 1u << o->op;
	if (info->take)
		return info->take(args, o->name, value) < 0 ? -1 : used;
	if (info->key)
		args->settings[args->nsettings++] = (struct cli_setting){
			info->key, info->fixed ? info->fixed : value, o->name,
			info->env
		};
	return used;
}

/* Every option given must suit the mode, which is known only at the end. */
static int options_check(const struct cli_args *args, unsigned seen)
{
	const struct cli_option *o;

	for (o = cli_options; o->name; o++) {
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
 * Take options and a subcommand's operands from argv, stopping at "--" or,
 * in run mode, at the command.  Returns the index of the first word left
 * over, argc after --help or --version, or -1 after a usage error.
 */
static int parse_words(int argc, char **argv, struct cli_args *args,
		       const struct cli_subcommand **sub, unsigned *seen)
{
	const struct cli_option *o;
	const char *inline_value;
	int i, used;

	for (i = 1; i < argc; i++) {
		char *arg = argv[i];

		if (!strcmp(arg, "--")) {
			i++;
			break;
		}
		if (arg[0] == '-' && arg[1]) {
			o = option_find(arg, &inline_value);
			if (o->op == OPT_UNKNOWN) {
				fprintf(stderr,
					"stackshim: unknown option '%s'\n",
					cli_shown(arg));
				return -1;
			}
			used = option_take(args, o, inline_value, argv[i + 1],
					   seen);
			if (used < 0)
				return -1;
			i += used;
			if (o->op == OPT_HELP || o->op == OPT_VERSION) {
				args->mode = o->op == OPT_HELP ? MODE_HELP :
								 MODE_VERSION;
				return argc;
			}
			continue;
		}
		if (!(*sub)->name && subcommand_find(arg)->name) {
			*sub = subcommand_find(arg);
			args->mode = (*sub)->mode;
			continue;
		}
		if (!(*sub)->name)
			break;
		args->operands[args->noperands++] = arg;
	}
	return i;
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
	free(args->settings);
	free(args->operands);
	args->settings = NULL;
	args->operands = NULL;
}
