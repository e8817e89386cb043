/* SPDX-License-Identifier: MIT */
/*
 * names.c - which name each address came from, so that a name rule also
 * decides the connections to the addresses it produced (SPEC §3,
 * allow/deny/map: "a name rule applies at resolution and to the addresses
 * it produced for this process").
 *
 * getaddrinfo() and gethostbyname*() hand every answer of a name that some
 * name rule covers (policy_name_ruled()) to names_remember(); connect()
 * and the sends ask names_lookup() for the destination.  Only ruled names
 * are kept, so a program whose policy has no name rule never takes the
 * lock.  Addresses are kept as the rules match them (sockaddr_rule_addr()):
 * an IPv4-mapped or translated address as the IPv4 address it holds.
 *
 * The table is bounded: past NAMES_MAX addresses the oldest is forgotten
 * (its connections then follow the address rules).  A newer answer for an
 * address replaces an older one's name.  shim_lock() guards the table;
 * a child that took the lock over from a thread its parent had in the
 * middle of a change finds it whole all the same (names_ring below).
 *
 * Out of memory, an answer that cannot be remembered must not be handed
 * out (its name's port rules would not follow it: failing open), so
 * names_remember() says so and the hooks fail the resolution.  uthash is
 * built non-fatal: its default on a failed allocation is exit(-1), inside
 * the program's getaddrinfo().
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* A failed allocation inside HASH_ADD leaves the entry out and says so. */
static bool names_oomed;
#define HASH_NONFATAL_OOM 1
#define uthash_nonfatal_oom(obj) (names_oomed = true)
#include <uthash.h>

#include "policy.h"
#include "shim.h"
#include "sockaddr.h"
#include "state.h"

#define NAMES_MAX 4096

struct names_entry {
	struct policy_addr addr;	/* the key */
	char *name;			/* replaced atomically, freed after */
	UT_hash_handle hh;
};

/*
 * Every entry is in names_ring, by age: names_next is the slot the next
 * entry takes, the oldest entry's once all are in use.  names_table is
 * the index of the ring's entries, by address.
 *
 * A child made by _Fork() (or another fork that runs no atfork handler)
 * while a thread of its parent held the lock may find the index half
 * changed: uthash links an entry, moves every entry to new buckets and
 * frees the old ones, unlinks, in many steps.  The ring is changed one
 * pointer at a time, an entry freed only once it is on neither, so it is
 * whole at every step.  names_changing says that the index is being
 * changed: a thread that takes the lock and finds it set took it over
 * from a holder that will never finish (shim/lock.c), and gives the index
 * up, without freeing what may be half linked (leaked, in that child),
 * for a scan of the ring; names_remember() builds it again.
 */
static struct names_entry *names_ring[NAMES_MAX];
static unsigned names_next;
static struct names_entry *names_table;
static atomic_uint names_count;		/* slots in use, read without the lock */
static int names_changing;
static bool names_unindexed;		/* names_table given up: scan the ring */

/* The index is about to change: a child made from here on gives it up. */
static void names_change_begin(void)
{
	__atomic_store_n(&names_changing, 1, __ATOMIC_RELAXED);
	/* No store of the change may be seen before the flag is. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

/* The index is whole again. */
static void names_change_end(void)
{
	__atomic_store_n(&names_changing, 0, __ATOMIC_RELEASE);
}

/*
 * Take the lock; give the index up when its last holder left it half
 * changed (names_changing still set).
 */
static void names_hold(sigset_t *old)
{
	shim_lock(old);
	if (!__atomic_load_n(&names_changing, __ATOMIC_ACQUIRE))
		return;
	names_table = NULL;
	names_unindexed = true;
	names_change_end();
}

/* The entry of addr, or NULL; the lock is held. */
static struct names_entry *names_find(const struct policy_addr *addr)
{
	struct names_entry *e;
	unsigned i;

	if (!names_unindexed) {
		HASH_FIND(hh, names_table, addr, sizeof(*addr), e);
		return e;
	}
	for (i = 0; i < NAMES_MAX; i++) {
		e = __atomic_load_n(&names_ring[i], __ATOMIC_ACQUIRE);
		if (e && !memcmp(&e->addr, addr, sizeof(*addr)))
			return e;
	}
	return NULL;
}

/*
 * The index, built again from the ring after it was given up; the lock is
 * held.  Out of memory, the ring stays scanned.
 */
static void names_reindex(void)
{
	unsigned i;

	names_change_begin();
	names_table = NULL;
	names_oomed = false;
	for (i = 0; i < NAMES_MAX && !names_oomed; i++)
		if (names_ring[i])
			HASH_ADD(hh, names_table, addr,
				 sizeof(names_ring[i]->addr), names_ring[i]);
	if (names_oomed)
		HASH_CLEAR(hh, names_table);	/* the buckets, not the entries */
	else
		names_unindexed = false;
	names_change_end();
}

/*
 * Put e in the next slot of the ring, and in the index, forgetting the
 * slot's entry (the oldest); the lock is held.  False when uthash could
 * not allocate: nothing changed.  One change of the index: a child made
 * half-way finds the ring with the old entry or e in the slot, each
 * whole, and names_next at the slot or past it.
 */
static bool names_insert(struct names_entry *e)
{
	unsigned slot = names_next;
	struct names_entry *old = names_ring[slot];

	names_change_begin();
	if (!names_unindexed) {
		names_oomed = false;
		HASH_ADD(hh, names_table, addr, sizeof(e->addr), e);
		if (names_oomed) {
			names_change_end();
			return false;
		}
		if (old)
			HASH_DEL(names_table, old);
	}
	if (!old)
		atomic_fetch_add(&names_count, 1);
	__atomic_store_n(&names_ring[slot], e, __ATOMIC_RELEASE);
	names_next = (slot + 1) % NAMES_MAX;
	names_change_end();
	if (old) {
		free(old->name);
		free(old);
	}
	return true;
}

/*
 * Remember that addr came from name; the lock is held.  Returns false when
 * there was no memory: the table is then as it was (an older answer for
 * addr still holds, so that what it handed out stays ruled), and this
 * answer must not be handed out.  A newer answer for an address takes
 * over its entry in place, keeping its age: taking it out and adding it
 * again could fail in uthash's bucket expansion and lose both.  A new
 * entry is indexed before the oldest is forgotten, for the same reason.
 */
static bool names_put(const struct policy_addr *addr, const char *name)
{
	struct names_entry *e;
	char *copy = strdup(name), *was;

	if (!copy)
		return false;
	e = names_find(addr);
	if (e) {
		was = e->name;
		__atomic_store_n(&e->name, copy, __ATOMIC_RELEASE);
		free(was);
		return true;
	}
	e = malloc(sizeof(*e));
	if (!e) {
		free(copy);
		return false;
	}
	e->addr = *addr;
	e->name = copy;
	if (!names_insert(e)) {
		free(e->name);
		free(e);
		return false;
	}
	return true;
}

/* names_forget - see state.h. */
void names_forget(void)
{
	unsigned i;

	/* The index's buckets; its entries are the ring's, freed below. */
	HASH_CLEAR(hh, names_table);
	for (i = 0; i < NAMES_MAX; i++) {
		if (names_ring[i]) {
			free(names_ring[i]->name);
			free(names_ring[i]);
		}
		names_ring[i] = NULL;
	}
	names_next = 0;
	atomic_store(&names_count, 0);
	names_changing = 0;
	names_unindexed = false;
	names_oomed = false;
}

/* names_remember - see sockaddr.h. */
bool names_remember(const struct policy *policy, const char *name,
		    const struct addrinfo *list)
{
	struct sockaddr_inet in;
	struct policy_addr addr;
	int saved_errno = errno;
	bool all = true;
	sigset_t old;

	if (!policy || !name || !policy_rule_count(policy) ||
	    !policy_name_ruled(policy, name))
		return true;
	names_hold(&old);
	if (names_unindexed)
		names_reindex();
	for (; list; list = list->ai_next) {
		if (!list->ai_addr ||
		    !sockaddr_parse(list->ai_addr, list->ai_addrlen, &in))
			continue;
		sockaddr_rule_addr(policy, &in, &addr);
		all = names_put(&addr, name) && all;
	}
	shim_unlock(&old);
	errno = saved_errno;
	return all;
}

/* names_any - see sockaddr.h. */
bool names_any(void)
{
	return atomic_load(&names_count) != 0;
}

/* names_lookup - see sockaddr.h. */
bool names_lookup(const struct policy_addr *addr, char *buf, size_t len)
{
	struct names_entry *e;
	const char *name;
	int saved_errno = errno;
	bool found = false;
	sigset_t old;

	if (!atomic_load(&names_count) || !len)
		return false;
	names_hold(&old);
	e = names_find(addr);
	name = e ? __atomic_load_n(&e->name, __ATOMIC_ACQUIRE) : NULL;
	if (name && strlen(name) < len) {
		strcpy(buf, name);
		found = true;
	}
	shim_unlock(&old);
	errno = saved_errno;
	return found;
}
