/* SPDX-License-Identifier: MIT */
/*
 * check_run.c - the one main() of the tests/check_* programs: it builds
 * the program's suite (check_suite(), which each program defines), runs it
 * under the environment's settings (CK_ENV; Check itself reads CK_FORK,
 * CK_DEFAULT_TIMEOUT, CK_RUN_SUITE, CK_RUN_CASE, ...), and exits 0 only
 * when every check passed.
 */
#include "config.h"

#include <stdlib.h>

#include "check_run.h"

/* The first argument, if any, for check_top(). */
static const char *top_arg;

const char *check_top(void)
{
	const char *top = getenv("top_srcdir");

	if (top_arg)
		return top_arg;
	return top ? top : ".";
}

int main(int argc, char **argv)
{
	Suite *s;
	SRunner *sr;
	int failed;

	top_arg = argc > 1 ? argv[1] : NULL;
	s = check_suite();
	if (!s)
		return EXIT_FAILURE;
	sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
