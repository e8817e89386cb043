/* SPDX-License-Identifier: MIT */
/*
 * table.c - "stackshim table": the 36 cells of the selection table under
 * one policy.
 *
 * Every cell is asked of the engine (policy_table_decide()) with the
 * policy's prefer and mapped settings, so the output is what the shim would
 * decide, never a copy of SPEC §1.
 */
#include "config.h"

#include <stdio.h>

#include "cli.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static const unsigned table_stacks[] = { STACK_IPV4, STACK_DUAL, STACK_IPV6 };
static const unsigned table_locals[] = { FAM_NONE, FAM_IPV4, FAM_IPV6,
					 FAM_BOTH };
static const unsigned table_hosts[] = { FAM_IPV4, FAM_IPV6, FAM_BOTH };

static void table_header(const struct policy *policy)
{
	printf("# stackshim table: prefer=%s mapped=%s "
	       "(this policy's stack: %s)\n",
	       policy_host_name(policy_prefer(policy)),
	       policy_mapped(policy) ? "yes" : "no",
	       policy_stack_name(policy_stack(policy)));
	printf("# stack host local outcome\n");
}

/*
 * The cells of one stack and local address, one line each; -1 for an outcome
 * the engine cannot name.
 */
static int table_row(unsigned stack, unsigned local, unsigned prefer,
		     bool mapped)
{
	size_t h;

	for (h = 0; h < ARRAY_SIZE(table_hosts); h++) {
		unsigned host = table_hosts[h];
		const char *outcome = policy_outcome_name(policy_table_decide(
			stack, host, local, prefer, mapped));

		if (!outcome)
			return -1;
		printf("%s %s %s %s\n", policy_stack_name(stack),
		       policy_host_name(host), policy_local_name(local),
		       outcome);
	}
	return 0;
}

static int table_cells(const struct policy *policy)
{
	unsigned prefer = policy_prefer(policy);
	bool mapped = policy_mapped(policy);
	size_t s, l;

	for (s = 0; s < ARRAY_SIZE(table_stacks); s++)
		for (l = 0; l < ARRAY_SIZE(table_locals); l++)
			if (table_row(table_stacks[s], table_locals[l], prefer,
				      mapped) < 0)
				return -1;
	return 0;
}

/*
 * Where ipv4-loopback decides, the cells that 127.0.0.0/8 changes, as
 * comments: a host or local address of the loopback class (its IPv4
 * addresses all in 127/8), asked of the engine as the shim asks it.
 */
static void table_loopback(const struct policy *policy)
{
	unsigned prefer = policy_prefer(policy);
	bool mapped = policy_mapped(policy);
	size_t s, l, h;

	if (!policy_ipv4_loopback(policy))
		return;
	printf("# ipv4-loopback = yes: 127.0.0.0/8 is usable on every stack;"
	       " the cells it changes\n"
	       "# (host or local ipv4-loopback: every IPv4 address in "
	       "127.0.0.0/8):\n");
	for (s = 0; s < ARRAY_SIZE(table_stacks); s++)
		for (l = 0; l < ARRAY_SIZE(table_locals); l++)
			for (h = 0; h < ARRAY_SIZE(table_hosts); h++) {
				unsigned stack = table_stacks[s];
				unsigned host = table_hosts[h];
				unsigned local = table_locals[l];
				unsigned lhost = host & FAM_IPV4
							 ? host | FAM_LOOP4
							 : host;
				unsigned llocal = local & FAM_IPV4
							  ? local | FAM_LOOP4
							  : local;
				enum policy_outcome plain, loop;

				plain = policy_table_decide(stack, host, local,
							    prefer, mapped);
				loop = policy_table_decide(
					policy_table_stack(stack, lhost, llocal,
							   true),
					lhost, llocal, prefer, mapped);
				if (loop == plain)
					continue;
				printf("# %s %s%s %s%s %s\n",
				       policy_stack_name(stack),
				       policy_host_name(host),
				       lhost != host ? "-loopback" : "",
				       policy_local_name(local),
				       llocal != local ? "-loopback" : "",
				       policy_outcome_name(loop));
			}
}

int cli_table(const struct cli_args *args)
{
	struct policy *policy;
	int status;

	status = cli_policy_build(args, args->program, &policy);
	if (status)
		return status;
	table_header(policy);
	status = CLI_EXIT_OK;
	if (table_cells(policy) < 0) {
		fputs("stackshim: the engine returned an unknown outcome\n",
		      stderr);
		status = CLI_EXIT_POLICY;
	}
	table_loopback(policy);
	if (fflush(stdout) == EOF) {
		perror("stackshim: stdout");
		status = CLI_EXIT_POLICY;
	}
	policy_free(policy);
	return status;
}
