/* SPDX-License-Identifier: MIT */
/*
 * stackshim.c - the launcher's entry point: subcommand dispatch, --help and
 * --version; and loading the policy, for every subcommand but "stackshim
 * check" (check.c).
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static const char usage_text[] =
	"Usage: stackshim [OPTION...] [--] CMD [ARG...]\n"
	"       stackshim table   [OPTION...] [--program NAME]\n"
	"       stackshim explain [OPTION...] [--program NAME] [--port N]\n"
	"                         [--proto tcp|udp] HOST [LOCAL]\n"
	"       stackshim check   [-c FILE]\n"
	"       stackshim compile [-c FILE] [-o INDEX]\n"
	"       stackshim status  [--json] [PID...]\n"
	"       stackshim --help | --version\n"
	"\n"
	"Run CMD with the stackshim library preloaded, so that its sockets\n"
	"and name lookups follow the IPv4/IPv6 stack policy; or show and\n"
	"check that policy.\n"
	"\n"
	"Policy options (above STACKSHIM_* variables and the config file):\n"
	"  -c FILE                 read FILE instead of " SYSTEM_CONFIG "\n"
	"  --stack ipv4|dual|ipv6  the stack the process is on\n"
	"  --prefer ipv4|ipv6      a dual stack's choice for names with both\n"
	"  --mapped yes|no         reach IPv4 hosts at mapped addresses\n"
	"  --ipv4-loopback yes|no  127.0.0.0/8 usable on every stack\n"
	"  --fallback yes|no       a dual stack answers both families\n"
	"  --local-address A       ADDR, ADDR(LOW), ADDR(LOW,HIGH) or\n"
	"                          (LOW,HIGH)\n"
	"  --translate-prefix P    ::ffff:0:0/96 or an RFC 6052 prefix\n"
	"  --peer-pool CIDR        IPv4 pool for native IPv6 peers\n"
	"  --audit                 log decisions, change nothing\n"
	"  --log DEST              off, stderr, syslog or a file path\n"
	"  --log-format text|json  key=value fields, or a JSON object a line\n"
	"  --program NAME          (table, explain) its [program] sections\n"
	"  --port N, --proto P     (explain) a connection to port N (1-65535)\n"
	"                          over P (tcp or udp); without them only\n"
	"                          rules with no port and no protocol fit\n"
	"\n"
	"Subcommands:\n"
	"  table     the 36 cells of the selection table under this policy\n"
	"  explain   which cell and rule apply to HOST (and LOCAL), and the\n"
	"            outcome; lines \"key: value\", \"rule: ACTION FILE:LINE\"\n"
	"            or \"rule: none\", per address (\"rule: ADDR ...\",\n"
	"            \"outcome: ADDR OUTCOME\") when HOST's addresses differ\n"
	"  check     validate the config file, listing every error; warn\n"
	"            (exit 0) about map rules that put non-global IPv4\n"
	"            behind the well-known prefix 64:ff9b::/96\n"
	"  compile   compile the config file for processes to map in place\n"
	"            of parsing it, into the cache they look in (or -o's\n"
	"            INDEX); used while the file is unchanged\n"
	"  status    the processes running under the shim that you may see\n"
	"            (or the PIDs given), each with its policy and where\n"
	"            each setting came from; --json for a JSON array\n"
	"\n"
	"Exit status: the command's own; 1 for a policy or config error;\n"
	"2 for a usage error or a name that does not resolve; 126 when CMD\n"
	"cannot run under the shim; 127 when it is not found.\n";

/* The subcommands by mode; the last row, run mode, catches the rest. */
static const struct cli_dispatch {
	enum cli_mode mode;
	int (*fn)(const struct cli_args *args);
} cli_dispatch[] = {
	{ MODE_TABLE, cli_table },
	{ MODE_EXPLAIN, cli_explain },
	{ MODE_CHECK, cli_check },
	{ MODE_COMPILE, cli_compile },
	{ MODE_STATUS, cli_status },
	{ MODE_RUN, cli_run },
};

void cli_error_print(const char *prefix, const struct policy_error *err)
{
	char text[4 * (sizeof(err->file) + sizeof(err->text)) + 64];

	policy_error_format(err, text, sizeof(text));
	fprintf(stderr, "%s%s\n", prefix, text);
}

const char *cli_shown(const char *s)
{
	static char buf[2][4 * PATH_MAX];
	static unsigned next;
	char *out = buf[next++ % 2];

	policy_escape(out, sizeof(buf[0]), s);
	return out;
}

/* cli_config_file - see cli.h. */
const char *cli_config_file(const struct cli_args *args, bool *missing)
{
	const char *conf = getenv("STACKSHIM_CONF");

	*missing = false;
	if (args->conf)
		return args->conf;
	if (conf && *conf)
		return conf;
	*missing = access(SYSTEM_CONFIG, F_OK) < 0 && errno == ENOENT;
	return SYSTEM_CONFIG;
}

/* Select the sections the shim would select in cmd run from here. */
static void policy_select_command(struct policy *policy, const char *cmd)
{
	struct cli_program prog;

	if (!cmd) {
		policy_select(policy, NULL, NULL, NULL);
		return;
	}
	cli_program_resolve(cmd, &prog);
	policy_select(policy, prog.name, prog.alias,
		      strchr(prog.path, '/') ? prog.path : NULL);
}

int cli_policy_build(const struct cli_args *args, const char *cmd,
		     struct policy **out)
{
	struct policy_error err = { .line = 0 };
	struct policy *policy;
	size_t i;

	*out = NULL;
	policy = policy_new();
	if (!policy) {
		fputs("stackshim: out of memory\n", stderr);
		return CLI_EXIT_POLICY;
	}
	/* -c replaces the file the shim would read, by the shim's own means. */
	if (args->conf && setenv("STACKSHIM_CONF", args->conf, 1)) {
		perror("stackshim: setenv");
		goto fail;
	}
	if (policy_load(policy, environ, false, SYSTEM_CONFIG, &err) < 0)
		goto fail_err;
	for (i = 0; i < args->nsettings; i++) {
		const struct cli_setting *s = &args->settings[i];

		if (policy_set(policy, s->key, s->value, s->source, &err) < 0)
			goto fail_err;
	}
	policy_select_command(policy, cmd);
	*out = policy;
	return 0;
fail_err:
	cli_error_print("stackshim: ", &err);
fail:
	policy_free(policy);
	return CLI_EXIT_POLICY;
}

int main(int argc, char **argv)
{
	struct cli_args args;
	size_t i;
	int status;

	status = cli_args_parse(argc, argv, &args);
	if (status)
		goto out;
	if (args.mode == MODE_HELP) {
		fputs(usage_text, stdout);
		goto out;
	}
	if (args.mode == MODE_VERSION) {
		puts(PACKAGE_NAME " " PACKAGE_VERSION);
		goto out;
	}
	for (i = 0; i + 1 < ARRAY_SIZE(cli_dispatch); i++)
		if (cli_dispatch[i].mode == args.mode)
			break;
	status = cli_dispatch[i].fn(&args);
out:
	cli_args_free(&args);
	if (fflush(stdout) == EOF && !status)
		status = CLI_EXIT_POLICY;
	return status;
}
