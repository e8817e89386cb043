/* SPDX-License-Identifier: MIT */
/*
 * ifaddrs-probe.c - what getifaddrs() lists, for tests/shim/ifaddrs.sh.
 *
 *   ifaddrs-probe [N]
 *
 * Calls getifaddrs() N times (default 1), each list freed with
 * freeifaddrs(), and prints the last list, one entry a line:
 *
 *   FAMILY ADDRESS INTERFACE
 *
 * FAMILY is inet, inet6, packet, none (no address) or the family's
 * number; ADDRESS is inet_ntop()'s text, a packet entry's hardware
 * address as xx:xx:..., or "-".  "empty" when the list is NULL;
 * "error ERRNO" when getifaddrs() fails.  The order is libc's: the test
 * sorts.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <netpacket/packet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "probe.h"

static void print_packet(const struct ifaddrs *ifa)
{
	const struct sockaddr_ll *sll =
		(const struct sockaddr_ll *)ifa->ifa_addr;
	unsigned i;

	printf("packet ");
	if (!sll->sll_halen)
		printf("-");
	for (i = 0; i < sll->sll_halen && i < sizeof(sll->sll_addr); i++)
		printf("%s%02x", i ? ":" : "", sll->sll_addr[i]);
	printf(" %s\n", ifa->ifa_name);
}

static void print_entry(const struct ifaddrs *ifa)
{
	const struct sockaddr *sa = ifa->ifa_addr;
	char text[INET6_ADDRSTRLEN];

	if (!sa) {
		printf("none - %s\n", ifa->ifa_name);
	} else if (sa->sa_family == AF_INET) {
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr,
			  text, sizeof(text));
		printf("inet %s %s\n", text, ifa->ifa_name);
	} else if (sa->sa_family == AF_INET6) {
		inet_ntop(AF_INET6,
			  &((const struct sockaddr_in6 *)sa)->sin6_addr, text,
			  sizeof(text));
		printf("inet6 %s %s\n", text, ifa->ifa_name);
	} else if (sa->sa_family == AF_PACKET) {
		print_packet(ifa);
	} else {
		printf("%d - %s\n", sa->sa_family, ifa->ifa_name);
	}
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 1, i;
	struct ifaddrs *list, *ifa;

	for (i = 0; i < n; i++) {
		if (getifaddrs(&list) != 0) {
			printf("error %s\n", errno_name(errno));
			return 1;
		}
		if (i == n - 1 && !list)
			printf("empty\n");
		for (ifa = list; i == n - 1 && ifa; ifa = ifa->ifa_next)
			print_entry(ifa);
		freeifaddrs(list);
	}
	return 0;
}
