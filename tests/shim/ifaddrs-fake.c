/* SPDX-License-Identifier: MIT */
/*
 * ifaddrs-fake.c - a getifaddrs() and freeifaddrs() of glibc's shape, for
 * tests/shim/ifaddrs.sh: preloaded after the library, it is the "libc" the
 * library's hook forwards to, and it gives lists no real host gives in
 * their order: an IPv6 address first, so that the hook must drop the
 * entry the whole block is freed through.
 *
 * FAKE_IFADDRS (in the environment) chooses the list:
 *   head    inet6 2001:db8::9 fake0, packet fake0, inet 192.0.2.9 fake0,
 *           inet6 ::1 lo
 *   v6only  inet6 2001:db8::9 fake0, inet6 ::1 lo
 * As glibc's, the list is one calloc()ed block, its first entry first,
 * and freeifaddrs() frees that block: a hook that frees anything else, or
 * loses the block, shows under valgrind.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <netpacket/packet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

struct fake_entry {
	struct ifaddrs ifa;
	struct sockaddr_storage addr;
	char name[16];
};

struct fake_row {
	int family;
	const char *addr;
	const char *name;
};

static const struct fake_row head_rows[] = {
	{AF_INET6, "2001:db8::9", "fake0"},
	{AF_PACKET, NULL, "fake0"},
	{AF_INET, "192.0.2.9", "fake0"},
	{AF_INET6, "::1", "lo"},
	{0, NULL, NULL},
};

static const struct fake_row v6only_rows[] = {
	{AF_INET6, "2001:db8::9", "fake0"},
	{AF_INET6, "::1", "lo"},
	{0, NULL, NULL},
};

static void fake_fill(struct fake_entry *e, const struct fake_row *row)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)&e->addr;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&e->addr;
	struct sockaddr_ll *sll = (struct sockaddr_ll *)&e->addr;

	strcpy(e->name, row->name);
	e->ifa.ifa_name = e->name;
	e->ifa.ifa_addr = (struct sockaddr *)&e->addr;
	if (row->family == AF_INET) {
		sin->sin_family = AF_INET;
		inet_pton(AF_INET, row->addr, &sin->sin_addr);
	} else if (row->family == AF_INET6) {
		sin6->sin6_family = AF_INET6;
		inet_pton(AF_INET6, row->addr, &sin6->sin6_addr);
	} else {
		sll->sll_family = AF_PACKET;
		sll->sll_halen = 6;
		sll->sll_addr[0] = 2;
	}
}

int getifaddrs(struct ifaddrs **ifap)
{
	const char *which = getenv("FAKE_IFADDRS");
	const struct fake_row *rows =
		which && !strcmp(which, "v6only") ? v6only_rows : head_rows;
	struct fake_entry *block;
	size_t n = 0, i;

	while (rows[n].name)
		n++;
	block = calloc(n, sizeof(*block));
	if (!block)
		return -1;
	for (i = 0; i < n; i++) {
		fake_fill(&block[i], &rows[i]);
		if (i + 1 < n)
			block[i].ifa.ifa_next = &block[i + 1].ifa;
	}
	*ifap = &block[0].ifa;
	return 0;
}

void freeifaddrs(struct ifaddrs *ifa)
{
	free(ifa);
}
