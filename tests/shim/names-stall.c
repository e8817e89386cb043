/* SPDX-License-Identifier: MIT */
/*
 * names-stall.c - free() that never returns for the library's uthash
 * bucket array, LD_PRELOADed by tests/shim/names-fork.sh (a shared object
 * built by the test) behind the library.
 *
 * Once names_stall_arm() is called, the first free() called from
 * libstackshim of a block of 512 bytes or more stops its thread for good,
 * after setting what names_stall_stalled() returns.  The library frees
 * blocks that large only in uthash's HASH_EXPAND_BUCKETS (shim/names.c):
 * the old buckets, after every entry has been moved to the new ones and
 * before the table is pointed at them.  The thread is stopped there, in
 * the middle of changing the names table, holding shim/lock.c's lock, as
 * a _Fork() child's copy of a thread is for ever, until
 * names_stall_release() lets it go on.  Every other free() goes to
 * glibc's.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <malloc.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

extern void __libc_free(void *);

static atomic_int armed, stalled, released;
static __thread int inside;

__attribute__((visibility("default"))) void names_stall_arm(void)
{
	atomic_store(&armed, 1);
}

__attribute__((visibility("default"))) int names_stall_stalled(void)
{
	return atomic_load(&stalled);
}

__attribute__((visibility("default"))) void names_stall_release(void)
{
	atomic_store(&released, 1);
}

/* Whether the code at ra is the library's. */
static int from_library(void *ra)
{
	Dl_info info;

	return dladdr(ra, &info) && info.dli_fname &&
	       strstr(info.dli_fname, "libstackshim");
}

void free(void *p)
{
	int expected = 1;

	if (p && !inside && atomic_load(&armed) &&
	    malloc_usable_size(p) >= 512) {
		inside = 1;
		if (from_library(__builtin_return_address(0)) &&
		    atomic_compare_exchange_strong(&armed, &expected, 0)) {
			struct timespec tick = {0, 1000000};

			atomic_store(&stalled, 1);
			/* Every signal is blocked: a sleep, not pause(). */
			while (!atomic_load(&released))
				nanosleep(&tick, NULL);
		}
		inside = 0;
	}
	__libc_free(p);
}
