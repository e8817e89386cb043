/* SPDX-License-Identifier: MIT */
/*
 * confread-probe.c - one socket(AF_INET6, SOCK_DGRAM), for
 * tests/shim/confread.sh: prints "inet6=ok", or "inet6=" and the errno's
 * name (EAFNOSUPPORT under an ipv4 stack, EACCES when the library failed
 * closed).  No address is sent to.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "probe.h"

int main(void)
{
	int fd = socket(AF_INET6, SOCK_DGRAM, 0);

	if (fd >= 0) {
		printf("inet6=ok\n");
		close(fd);
		return 0;
	}
	printf("inet6=%s\n", errno_name(errno));
	return 0;
}
