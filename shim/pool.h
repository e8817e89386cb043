/* SPDX-License-Identifier: MIT */
/*
 * pool.h - what shim/pool.c (the interface and the lock) and
 * shim/poolfile.c (the file) share; nothing else includes it.
 */
#ifndef STACKSHIM_SHIM_POOL_H
#define STACKSHIM_SHIM_POOL_H

#include <stdbool.h>
#include <stddef.h>
#include <netinet/in.h>

#include "policy.h"

#pragma GCC visibility push(hidden)

/*
 * Why the pool file could not be used, for the one line on stderr: the
 * path and the cause ("/run/stackshim/pool-198.18.0.0-15: owned by uid
 * 1000"), filled by poolfile_open().
 */
struct poolfile_why {
	char text[512];
	size_t len;
};

/* poolfile_put - append s to why (cut at its end); signal-safe. */
void poolfile_put(struct poolfile_why *why, const char *s);

/*
 * poolfile_open - open, or make, the file of the pool net/len in the
 * pool's directory, check it, and map it into *pool; the descriptor is
 * closed again.  Returns true, or false with why filled.  Only system
 * calls, no allocation: safe from a signal handler.
 */
bool poolfile_open(const struct in_addr *net, unsigned len,
		   struct policy_pool *pool, struct poolfile_why *why);

/*
 * poolfile_abi - the word that tells lock layouts apart (its size, the
 * word size), as policy_pool_format() and policy_pool_attach() take it.
 */
uint32_t poolfile_abi(void);

/* poolfile_lock_init - make the region's lock area a robust, process-
 * shared mutex.  Returns 0 or an errno. */
int poolfile_lock_init(struct policy_pool *pool);

#pragma GCC visibility pop

#endif /* STACKSHIM_SHIM_POOL_H */
