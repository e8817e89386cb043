/* SPDX-License-Identifier: MIT */
/*
 * check_run.h - the one main() of the tests/check_* programs
 * (tests/check_run.c). Each program defines check_suite() and keeps only
 * its own suite construction; running it (Check's fork mode, timeouts and
 * CK_* environment) and the exit status are the runner's, the same for all.
 */
#ifndef STACKSHIM_CHECK_RUN_H
#define STACKSHIM_CHECK_RUN_H

#include <check.h>

/*
 * The program's suite, called once by main() before anything runs. NULL
 * when it cannot be built (a file it reads is missing, say): it has then
 * said why on stderr, and the program fails without running a check.
 */
Suite *check_suite(void);

/*
 * The directory that holds tests/, for a program that reads files from
 * there: the program's first argument when given, else $top_srcdir (which
 * `make check` sets), else ".".
 */
const char *check_top(void);

#endif
