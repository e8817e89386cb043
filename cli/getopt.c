/* SPDX-License-Identifier: MIT */
/*
 * getopt.c - the launcher's command line read by glibc's getopt_long().
 *
 * getopt_long() reads the words with '+' in its option string: it stops at
 * the first word that is not an option, as POSIX says and as the launcher
 * must, since a command's words are its own.  Three things the launcher
 * does that getopt_long() does not, done around it:
 *  - options after a subcommand's name and operands ("explain HOST
 *    --port 80"): the caller steps over each word getopt stops at
 *    (cli_getopt_skip()) and asks again;
 *  - no abbreviation of a long option ("--sta" for --stack): a prefix
 *    unique today stops being so when an option is added, and scripts
 *    would break;
 *  - no option joined to one that takes no value ("-hx").
 * option_spelling() checks every word getopt accepted for the last two.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

/*
 * A long option's val in getopt's table: its row, above every char, so
 * that optopt tells a long option from a short one.
 */
#define LONG_VAL(row) (256 + (int)(row))

void cli_getopt_init(struct cli_getopt *g, const struct cli_option *opts,
		     size_t n)
{
	char *s = g->shortopts;
	size_t row, nlong = 0;

	g->opts = opts;
	g->nopts = n;
	/* ':': a missing value comes back as ':', and getopt prints nothing. */
	*s++ = '+';
	*s++ = ':';
	for (row = 0; row < n; row++) {
		const struct cli_option *o = &opts[row];

		if (o->name[1] == '-') {
			g->longopts[nlong++] = (struct option){
				o->name + 2,
				o->takes_value ? required_argument :
						 no_argument,
				NULL, LONG_VAL(row)
			};
			continue;
		}
		*s++ = o->name[1];
		if (o->takes_value)
			*s++ = ':';
	}
	*s = '\0';
	g->longopts[nlong] = (struct option){ NULL, 0, NULL, 0 };
	opterr = 0;
	optind = 0;	/* glibc: start afresh */
}

/* The row of getopt's answer c (or optopt), or NULL. */
static const struct cli_option *option_of(const struct cli_getopt *g, int c)
{
	size_t row;

	if (c >= LONG_VAL(0))
		return &g->opts[c - LONG_VAL(0)];
	for (row = 0; row < g->nopts; row++)
		if (g->opts[row].name[1] == c && !g->opts[row].name[2])
			return &g->opts[row];
	return NULL;
}

enum spelling {
	SPELT_EXACT,	/* "--stack", "-c" */
	SPELT_JOINED,	/* "--stack=VALUE", "-cVALUE" */
	SPELT_OTHER,	/* an abbreviation, "--sta" */
};

/* How word spells option o. */
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
 * The option getopt's answer c found in word, or NULL after saying on
 * stderr what is wrong: getopt's '?' (unknown, or a value given to an
 * option that takes none) and ':' (no value left), and the spellings
 * getopt allows and the launcher does not.
 */
static const struct cli_option *option_found(const struct cli_getopt *g,
					     int c, const char *word)
{
	bool failed = c == '?' || c == ':';
	const struct cli_option *o = option_of(g, failed ? optopt : c);
	enum spelling sp = o ? option_spelling(o, word) : SPELT_OTHER;

	if (sp != SPELT_OTHER && c == ':')
		fprintf(stderr, "stackshim: option %s needs a value\n",
			o->name);
	else if (sp == SPELT_JOINED && !o->takes_value)
		fprintf(stderr, "stackshim: option %s takes no value\n",
			o->name);
	else if (sp == SPELT_OTHER || failed)
		fprintf(stderr, "stackshim: unknown option '%s'\n",
			cli_shown(word));
	else
		return o;
	return NULL;
}

enum cli_getopt_result cli_getopt_next(struct cli_getopt *g, int argc,
				       char **argv,
				       const struct cli_option **o,
				       const char **value, int *at)
{
	/*
	 * The word getopt reads next: every option is a word of its own,
	 * since option_found() refuses "-hx".
	 */
	int word = optind ? optind : 1;
	int c = getopt_long(argc, argv, g->shortopts, g->longopts, NULL);

	*at = optind;
	if (c == -1)
		/* optind moved: past "--". */
		return optind > word || optind >= argc ? CLI_GETOPT_END :
							 CLI_GETOPT_WORD;
	*o = option_found(g, c, argv[word]);
	*value = optarg;
	return *o ? CLI_GETOPT_OPTION : CLI_GETOPT_ERROR;
}

void cli_getopt_skip(struct cli_getopt *g)
{
	(void)g;
	optind++;
}
