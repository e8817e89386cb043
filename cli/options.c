/*
 * options.c - the command line, and the policy it builds.
 *
 * Options may come before or after a subcommand's name; run mode stops at
 * the first word that is not an option or a subcommand, as env(1) does, so
 * that everything after it belongs to the command.
 *
 * glibc's getopt_long() reads the words, with '+' (stop at the first word
 * that is not an option).  Three things the launcher does that it does not:
 * it goes on past a subcommand's name and operands (parse_words() steps
 * over each word getopt stops at and calls it again); it takes no
 * abbreviation of a long option ("--sta"); and no option joined to "-h"
 * ("-hx"): option_spelling() checks every word getopt accepted.
 */
#include "config.h"

#include <getopt.h>
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
};

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
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
 * getopt_long()'s tables, made from cli_options[] so that an option stays
 * one row there.  A long option's val is LONG_VAL(its row): above every
 * char, so that optopt tells a long option from a short one.
 */
#define LONG_VAL(row) (256 + (int)(row))

struct getopt_tables {
	struct option longopts[ARRAY_SIZE(cli_options) + 1];
	char shortopts[3 + 2 * ARRAY_SIZE(cli_options)];
};

static void getopt_tables_make(struct getopt_tables *t)
{
	char *s = t->shortopts;
	size_t row, n = 0;

	/*
	 * '+': stop at the first word that is not an option (POSIX; the
	 * command's own options are its own).  ':': a missing value comes
	 * back as ':' and getopt prints nothing, so the words are ours.
	 */
	*s++ = '+';
	*s++ = ':';
	for (row = 0; row < ARRAY_SIZE(cli_options); row++) {
		const char *name = cli_options[row].name;
		bool arg = cli_opcodes[cli_options[row].op].takes_value;

		if (name[1] == '-') {
			t->longopts[n++] = (struct option){
				name + 2, arg ? required_argument : no_argument,
				NULL, LONG_VAL(row)
			};
			continue;
		}
		*s++ = name[1];
		if (arg)
			*s++ = ':';
	}
	*s = '\0';
	t->longopts[n] = (struct option){ NULL, 0, NULL, 0 };
}

/* The row of getopt's answer c (or optopt), or NULL. */
static const struct cli_option *option_of(int c)
{
	size_t row;

	if (c >= LONG_VAL(0))
		return &cli_options[c - LONG_VAL(0)];
	for (row = 0; row < ARRAY_SIZE(cli_options); row++)
		if (cli_options[row].name[1] == c && !cli_options[row].name[2])
			return &cli_options[row];
	return NULL;
}

enum spelling {
	SPELT_EXACT,	/* "--stack", "-c" */
	SPELT_JOINED,	/* "--stack=VALUE", "-cVALUE" */
	SPELT_OTHER,	/* an abbreviation, "--sta" */
};

/*
 * How word spells option o.  getopt_long() takes any unambiguous prefix of
 * a long option and reads "-hx" as -h then -x; the launcher takes neither
 * (a prefix that is unique today stops being so when an option is added,
 * and scripts would break), so every option getopt finds is checked here.
 */
static enum spelling option_spelling(const struct cli_option *o,
				     const char *word)
{
	size_t n = strlen(o->name);

	if (strncmp(word, o->name, n))
		return SPELT_OTHER;
	if (!word[n])
		return SPELT_EXACT;
	if (n == 2 || word[n] == '=')
		return SPELT_JOINED;
	return SPELT_OTHER;
}

/*
 * The row of option c found in word, or NULL after saying on stderr what
 * is wrong: getopt's '?' (unknown, or a value given to an option that
 * takes none) and ':' (no value left), and the spellings getopt allows and
 * the launcher does not.
 */
static const struct cli_option *option_found(int c, const char *word)
{
	bool failed = c == '?' || c == ':';
	const struct cli_option *o = option_of(failed ? optopt : c);
	enum spelling sp = o ? option_spelling(o, word) : SPELT_OTHER;

	if (sp != SPELT_OTHER && c == ':')
		fprintf(stderr, "stackshim: option %s needs a value\n",
			o->name);
	else if (sp == SPELT_JOINED && !cli_opcodes[o->op].takes_value)
		fprintf(stderr, "stackshim: option %s takes no value\n",
			o->name);
	else if (sp == SPELT_OTHER || failed)
		fprintf(stderr, "stackshim: unknown option '%s'\n",
			cli_shown(word));
	else
		return o;
	return NULL;
}

/* Record option o with its value (NULL for none); returns 0 or -1. */
static int option_take(struct cli_args *args, const struct cli_option *o,
		       const char *value, unsigned *seen)
{
	const struct cli_opcode_info *info = &cli_opcodes[o->op];

	*seen |= 1u << o->op;
	if (info->take)
		return info->take(args, o->name, value);
	if (info->key)
		args->settings[args->nsettings++] = (struct cli_setting){
			info->key, info->fixed ? info->fixed : value, o->name,
			info->env
		};
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
	const struct cli_option *o;
	struct getopt_tables t;
	int c, word;

	getopt_tables_make(&t);
	opterr = 0;
	optind = 0;	/* glibc: start afresh */
	for (;;) {
		/*
		 * The word getopt reads next: every option is a word of its
		 * own, since option_found() refuses "-hx".
		 */
		word = optind ? optind : 1;
		c = getopt_long(argc, argv, t.shortopts, t.longopts, NULL);
		if (c == -1) {
			/* optind moved: past "--", and the rest is operands. */
			if (optind > word || optind >= argc ||
			    !word_take(args, argv[optind], sub))
				return optind;
			optind++;
			continue;
		}
		o = option_found(c, argv[word]);
		if (!o || option_take(args, o, optarg, seen) < 0)
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
	free(args->settings);
	free(args->operands);
	args->settings = NULL;
	args->operands = NULL;
}
