/* SPDX-License-Identifier: MIT */
/*
 * shown.c - the IPv4 local addresses the shim has shown the program.
 *
 * After a connect() on an upgraded socket, getsockname() shows the IPv4
 * address the kernel chose to leave by (127.0.0.1, or the host's IPv4
 * source), as an AF_INET socket would.  Programs bind that address again:
 * FTP clients for their data connections (lftp even in passive mode, tnftp
 * in active mode), servers that answer from the address they were reached
 * at.  On an ipv6 stack a bind to an IPv4 address is the table's
 * fail-local; but an address the shim itself showed as local is one the
 * emulated host has, reached through its mapped form ::ffff:a.b.c.d, and
 * a bind to it is a bind to that (SPEC §2, "what the shim shows, the
 * program can use").
 *
 * The addresses live in a small fixed array of atomic words, no lock and
 * no memory: getsockname() and bind() run in signal handlers too.  A
 * process shows few local addresses; past SHOWN_SLOTS the oldest give way.
 * 0.0.0.0 is never kept, so 0 marks a free slot.
 */
#include "config.h"

#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "shim.h"
#include "sockaddr.h"

#define SHOWN_SLOTS 64u

static atomic_uint shown_slots[SHOWN_SLOTS];
static atomic_uint shown_next;

/* shown_note - see sockaddr.h. */
void shown_note(const struct sockaddr_storage *kernel, socklen_t len)
{
	struct sockaddr_in6 sin6;
	uint32_t v4;
	unsigned i, expected;

	if (kernel->ss_family != AF_INET6 || len < sizeof(sin6))
		return;
	memcpy(&sin6, kernel, sizeof(sin6));
	if (!IN6_IS_ADDR_V4MAPPED(&sin6.sin6_addr))
		return;
	memcpy(&v4, sin6.sin6_addr.s6_addr + 12, sizeof(v4));
	if (!v4)
		return;
	for (i = 0; i < SHOWN_SLOTS; i++) {
		expected = atomic_load_explicit(&shown_slots[i],
						memory_order_relaxed);
		if (expected == v4)
			return;
		if (!expected && atomic_compare_exchange_strong(&shown_slots[i],
								&expected, v4))
			return;
		if (expected == v4)
			return;
	}
	i = atomic_fetch_add(&shown_next, 1) % SHOWN_SLOTS;
	atomic_store(&shown_slots[i], v4);
}

/* shown_has - see sockaddr.h. */
bool shown_has(const struct in_addr *v4)
{
	unsigned i;

	if (!v4->s_addr)
		return false;
	for (i = 0; i < SHOWN_SLOTS; i++)
		if (atomic_load_explicit(&shown_slots[i],
					 memory_order_relaxed) == v4->s_addr)
			return true;
	return false;
}
