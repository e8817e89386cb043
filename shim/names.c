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
 * address replaces an older one's name.  shim_lock() guards the table.
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

#define NAMES_MAX 4096

struct names_entry {
	struct policy_addr addr;	/* the key */
	char *name;
	UT_hash_handle hh;
};

static struct names_entry *names_table;	/* oldest first */
static atomic_uint names_count;		/* read without the lock */

/* Forget the oldest entry; the lock is held. */
static void names_evict(void)
{
	struct names_entry *e = names_table;

	HASH_DEL(names_table, e);
	free(e->name);
	free(e);
	atomic_fetch_sub(&names_count, 1);
}

/*
 * Remember that addr came from name; the lock is held.  Returns false when
 * there was no memory: the table is then as it was (an older answer for
 * addr still holds, so that what it handed out stays ruled), and this
 * answer must not be handed out.  A newer answer for an address takes
 * over its entry in place, keeping its age: taking it out and adding it
 * again could fail in uthash's bucket expansion and lose both.
 */
static bool names_put(const struct policy_addr *addr, const char *name)
{
	struct names_entry *e;
	char *copy = strdup(name);

	if (!copy)
		return false;
	HASH_FIND(hh, names_table, addr, sizeof(*addr), e);
	if (e) {
		free(e->name);
		e->name = copy;
		return true;
	}
	e = malloc(sizeof(*e));
	if (!e) {
		free(copy);
		return false;
	}
	e->addr = *addr;
	e->name = copy;
	if (atomic_load(&names_count) >= NAMES_MAX)
		names_evict();
	names_oomed = false;
	HASH_ADD(hh, names_table, addr, sizeof(e->addr), e);
	if (names_oomed) {
		free(e->name);
		free(e);
		return false;
	}
	atomic_fetch_add(&names_count, 1);
	return true;
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
	shim_lock(&old);
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

/* names_lookup - see sockaddr.h. */
bool names_lookup(const struct policy_addr *addr, char *buf, size_t len)
{
	struct names_entry *e;
	int saved_errno = errno;
	bool found = false;
	sigset_t old;

	if (!atomic_load(&names_count) || !len)
		return false;
	shim_lock(&old);
	HASH_FIND(hh, names_table, addr, sizeof(*addr), e);
	if (e && strlen(e->name) < len) {
		strcpy(buf, e->name);
		found = true;
	}
	shim_unlock(&old);
	errno = saved_errno;
	return found;
}
