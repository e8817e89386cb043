/* SPDX-License-Identifier: MIT */
/*
 * noalign.c - aligned_alloc() that always fails (NULL, errno ENOMEM),
 * LD_PRELOADed by tests/shim/indexfail.sh (a shared object built by the
 * test).  The library's one aligned_alloc() is the rule index's table of
 * slots (match_slots_alloc(), policy/match.c): every other allocation
 * succeeds, so that the index, and only it, cannot be built.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>

void *aligned_alloc(size_t align, size_t size)
{
	(void)align;
	(void)size;
	errno = ENOMEM;
	return NULL;
}
