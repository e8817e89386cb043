/* SPDX-License-Identifier: MIT */
/*
 * mmsg-probe.c - sendmmsg() across destinations the policy treats
 * differently, for tests/shim/mmsg.sh.
 *
 *   mmsg-probe PATTERN
 *
 * Two UDP receivers on [::1]:P and [::ffff:127.0.0.2]:P (one AF_INET6
 * socket bound to [::]:P, IPV6_V6ONLY off), and one AF_INET6 sender that
 * sends one sendmmsg() of strlen(PATTERN) messages, the i-th to ::1 when
 * PATTERN[i] is '6', to ::ffff:127.0.0.2 when it is '4', each holding its
 * index.  Prints "sent=N" (what sendmmsg() returned, or "sent=-1
 * errno=NAME"), then the indexes received in order ("got=0,1,2,...").
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "probe.h"

#define MAX 256

int main(int argc, char **argv)
{
	struct sockaddr_in6 any = {.sin6_family = AF_INET6}, to[2];
	socklen_t len = sizeof(any);
	struct mmsghdr msgs[MAX];
	struct iovec iov[MAX];
	unsigned char idx[MAX];
	int rx, tx, off = 0, n, i, got;
	struct pollfd pfd;
	unsigned char b;

	if (argc != 2 || (n = (int)strlen(argv[1])) > MAX)
		return 2;
	rx = socket(AF_INET6, SOCK_DGRAM, 0);
	tx = socket(AF_INET6, SOCK_DGRAM, 0);
	if (rx < 0 || tx < 0 ||
	    setsockopt(rx, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off)) ||
	    bind(rx, (struct sockaddr *)&any, sizeof(any)) ||
	    getsockname(rx, (struct sockaddr *)&any, &len))
		return perror("setup"), 2;
	for (i = 0; i < 2; i++) {
		to[i] = any;
		inet_pton(AF_INET6, i ? "::ffff:127.0.0.2" : "::1",
			  &to[i].sin6_addr);
	}
	memset(msgs, 0, sizeof(msgs));
	for (i = 0; i < n; i++) {
		idx[i] = (unsigned char)i;
		iov[i] = (struct iovec){&idx[i], 1};
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
		msgs[i].msg_hdr.msg_name = &to[argv[1][i] == '4'];
		msgs[i].msg_hdr.msg_namelen = sizeof(to[0]);
	}
	got = sendmmsg(tx, msgs, (unsigned)n, 0);
	if (got < 0)
		printf("sent=-1 errno=%s\n", errno_name(errno));
	else
		printf("sent=%d\n", got);
	printf("got=");
	pfd = (struct pollfd){.fd = rx, .events = POLLIN};
	for (i = 0; poll(&pfd, 1, 500) == 1 && recv(rx, &b, 1, 0) == 1; i++)
		printf("%s%u", i ? "," : "", b);
	printf("\n");
	return 0;
}
