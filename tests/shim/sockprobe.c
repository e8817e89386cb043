/* SPDX-License-Identifier: MIT */
/*
 * sockprobe.c - the programs tests/shim/sockets.sh runs, with and without
 * the library preloaded.  One command per run, results on stdout as
 * "key=value" words, errno values by name (EADDRINUSE, not 98).  What the
 * kernel really did is read through system calls made directly, so that no
 * hook of the library can dress it up.  Every run ends itself with alarm().
 *
 *   listen tcp|udp ADDR [PORT]     bind ADDR:PORT (0), print port=N, then
 *                                  report each peer (tcp) or datagram (udp)
 *   client ADDR PORT [nonblock]    AF_INET TCP client; its kernel domain,
 *                                  IPV6_V6ONLY, fd flags, names
 *   client6 ADDR PORT              AF_INET6 TCP connect
 *   bind ADDR PORT                 AF_INET TCP bind
 *   multi ADDR PORT N              N AF_INET TCP connects kept open; their
 *                                  source ports
 *   udp ADDR PORT TEXT             AF_INET UDP sendto
 *   fdconnect FD ADDR PORT         connect an inherited socket
 *   reuse                          a closed socket's fd given to another
 *   parity                         errno of calls the policy has no say in
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "probe.h"
#include "../../shim/sys.h"

/* The result of a call: 0, or the name of its errno. */
static const char *result(long rc)
{
	return rc < 0 ? errno_name(errno) : "0";
}

/* An int socket option read by the system call itself. */
static int raw_sockopt(int fd, int level, int name)
{
	int value = -1;
	socklen_t len = sizeof(value);

	if (shim_sys(SYS_getsockopt, fd, level, name, &value, &len) < 0)
		return -1;
	return value;
}

static void make_addr(const char *host, const char *port,
		      struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((unsigned short)atoi(port));
		*len = sizeof(*sin);
	} else if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((unsigned short)atoi(port));
		*len = sizeof(*sin6);
	} else {
		fprintf(stderr, "sockprobe: bad address %s\n", host);
		exit(2);
	}
}

/* "AF_INET 127.0.0.1 PORT" for an address of len bytes. */
static const char *show(const struct sockaddr_storage *ss, socklen_t len)
{
	static char out[160];
	char text[INET6_ADDRSTRLEN] = "?";
	const struct sockaddr_in *sin = (const void *)ss;
	const struct sockaddr_in6 *sin6 = (const void *)ss;

	if (ss->ss_family == AF_INET && len == sizeof(*sin)) {
		inet_ntop(AF_INET, &sin->sin_addr, text, sizeof(text));
		snprintf(out, sizeof(out), "AF_INET,%s,%u", text,
			 ntohs(sin->sin_port));
	} else if (ss->ss_family == AF_INET6 && len == sizeof(*sin6)) {
		inet_ntop(AF_INET6, &sin6->sin6_addr, text, sizeof(text));
		snprintf(out, sizeof(out), "AF_INET6,%s,%u", text,
			 ntohs(sin6->sin6_port));
	} else {
		snprintf(out, sizeof(out), "family%d,len%u", ss->ss_family,
			 (unsigned)len);
	}
	return out;
}

static const char *domain_name(int fd)
{
	switch (raw_sockopt(fd, SOL_SOCKET, SO_DOMAIN)) {
	case AF_INET:
		return "AF_INET";
	case AF_INET6:
		return "AF_INET6";
	default:
		return "other";
	}
}

static int cmd_listen(char **argv, int argc)
{
	int type = strcmp(argv[0], "udp") ? SOCK_STREAM : SOCK_DGRAM;
	struct sockaddr_storage ss, peer;
	socklen_t len, plen;
	char buf[256];
	ssize_t n;
	int fd, c;

	make_addr(argv[1], argc > 2 ? argv[2] : "0", &ss, &len);
	fd = socket(ss.ss_family, type, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&ss, len) < 0 ||
	    (type == SOCK_STREAM && listen(fd, 64) < 0)) {
		printf("listen=%s\n", errno_name(errno));
		return 1;
	}
	len = sizeof(ss);
	getsockname(fd, (struct sockaddr *)&ss, &len);
	printf("port=%u\n", ntohs(((struct sockaddr_in *)&ss)->sin_port));
	fflush(stdout);
	for (;;) {
		plen = sizeof(peer);
		if (type == SOCK_STREAM) {
			c = accept(fd, (struct sockaddr *)&peer, &plen);
			if (c < 0)
				continue;
			printf("peer=%s\n", show(&peer, plen));
		} else {
			n = recvfrom(fd, buf, sizeof(buf) - 1, 0,
				     (struct sockaddr *)&peer, &plen);
			if (n < 0)
				continue;
			buf[n] = '\0';
			printf("dgram=%s,%s\n", show(&peer, plen), buf);
		}
		fflush(stdout);
	}
}

/* Print the kernel's view of fd, then the names the program is shown. */
static void print_names(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		printf(" sockname=%s", errno_name(errno));
	else
		printf(" sockname=%s", show(&ss, len));
	len = sizeof(ss);
	if (getpeername(fd, (struct sockaddr *)&ss, &len) < 0)
		printf(" peername=%s", errno_name(errno));
	else
		printf(" peername=%s", show(&ss, len));
}

static int cmd_client(char **argv, int argc)
{
	bool nonblock = argc > 2 && !strcmp(argv[2], "nonblock");
	int type = SOCK_STREAM | (nonblock ? SOCK_NONBLOCK | SOCK_CLOEXEC : 0);
	struct sockaddr_storage ss;
	struct pollfd p;
	socklen_t len;
	int fd, rc;

	make_addr(argv[0], argv[1], &ss, &len);
	fd = socket(AF_INET, type, 0);
	if (fd < 0) {
		printf("socket=%s\n", errno_name(errno));
		return 0;
	}
	printf("domain=%s", domain_name(fd));
	if (raw_sockopt(fd, SOL_SOCKET, SO_DOMAIN) == AF_INET6)
		printf(" v6only=%d", raw_sockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY));
	printf(" nonblock=%d cloexec=%d",
	       (fcntl(fd, F_GETFL) & O_NONBLOCK) != 0,
	       (fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0);
	rc = connect(fd, (struct sockaddr *)&ss, len);
	printf(" connect=%s", result(rc));
	if (rc < 0 && errno == EINPROGRESS) {
		p.fd = fd;
		p.events = POLLOUT;
		rc = poll(&p, 1, 5000);
		printf(" poll=%d so_error=%s", rc,
		       errno_name(raw_sockopt(fd, SOL_SOCKET, SO_ERROR)));
	}
	print_names(fd);
	printf("\n");
	return 0;
}

static int cmd_connect_on(int fd, char **argv)
{
	struct sockaddr_storage ss;
	socklen_t len;

	make_addr(argv[0], argv[1], &ss, &len);
	printf("connect=%s\n", result(connect(fd, (struct sockaddr *)&ss, len)));
	return 0;
}

static int cmd_bind(char **argv)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	make_addr(argv[0], argv[1], &ss, &len);
	printf("bind=%s", result(bind(fd, (struct sockaddr *)&ss, len)));
	print_names(fd);
	printf("\n");
	return 0;
}

static int cmd_multi(char **argv)
{
	struct sockaddr_storage ss, me;
	socklen_t len, mlen;
	int i, n = atoi(argv[2]), fd;

	make_addr(argv[0], argv[1], &ss, &len);
	for (i = 0; i < n; i++) {
		fd = socket(AF_INET, SOCK_STREAM, 0);
		if (connect(fd, (struct sockaddr *)&ss, len) < 0) {
			printf("%s%s", i ? " " : "", errno_name(errno));
			continue;
		}
		mlen = sizeof(me);
		getsockname(fd, (struct sockaddr *)&me, &mlen);
		printf("%s%s", i ? " " : "", show(&me, mlen));
	}
	printf("\n");
	return 0;
}

static int cmd_udp(char **argv)
{
	struct sockaddr_storage ss;
	socklen_t len;
	ssize_t rc;
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	make_addr(argv[0], argv[1], &ss, &len);
	printf("domain=%s", domain_name(fd));
	rc = sendto(fd, argv[2], strlen(argv[2]), 0, (struct sockaddr *)&ss,
		    len);
	printf(" sendto=%s", rc < 0 ? errno_name(errno) : "sent");
	print_names(fd);
	printf("\n");
	return 0;
}

/*
 * An AF_INET socket closed, then its fd number given to an accept()ed
 * AF_INET6 socket whose local address is ::ffff:127.0.0.1: the accepted
 * socket is the program's own AF_INET6 one and must be shown as such.
 */
static int cmd_reuse(void)
{
	struct sockaddr_storage ss;
	struct sockaddr_in6 any = {.sin6_family = AF_INET6};
	socklen_t len = sizeof(ss);
	int lfd, cfd, tmp, afd;

	lfd = socket(AF_INET6, SOCK_STREAM, 0);
	if (bind(lfd, (struct sockaddr *)&any, sizeof(any)) < 0 ||
	    listen(lfd, 4) < 0 ||
	    getsockname(lfd, (struct sockaddr *)&ss, &len) < 0) {
		printf("listen=%s\n", errno_name(errno));
		return 0;
	}
	any.sin6_port = ((struct sockaddr_in6 *)&ss)->sin6_port;
	inet_pton(AF_INET6, "::ffff:127.0.0.1", &any.sin6_addr);
	cfd = socket(AF_INET6, SOCK_STREAM, 0);
	printf("connect=%s",
	       result(connect(cfd, (struct sockaddr *)&any, sizeof(any))));
	tmp = socket(AF_INET, SOCK_STREAM, 0);
	close(tmp);
	afd = accept(lfd, NULL, NULL);
	printf(" reused=%d", afd == tmp);
	len = sizeof(ss);
	if (getsockname(afd, (struct sockaddr *)&ss, &len) < 0)
		printf(" sockname=%s\n", errno_name(errno));
	else
		printf(" sockname=%s\n", show(&ss, len));
	return 0;
}

int parity(void);

int main(int argc, char **argv)
{
	alarm(30);
	/* A listener lives as long as sockets.sh, which kills it: its
	 * alarm is only a guard should the test die first (on a loaded
	 * machine a run outlived the 30 s it had, and the connects after
	 * that were refused). */
	if (argc >= 4 && !strcmp(argv[1], "listen")) {
		alarm(900);
		return cmd_listen(argv + 2, argc - 2);
	}
	if (argc >= 4 && !strcmp(argv[1], "client"))
		return cmd_client(argv + 2, argc - 2);
	if (argc >= 4 && !strcmp(argv[1], "client6")) {
		alarm(10);
		return cmd_connect_on(socket(AF_INET6, SOCK_STREAM, 0),
				      argv + 2);
	}
	if (argc >= 4 && !strcmp(argv[1], "bind"))
		return cmd_bind(argv + 2);
	if (argc >= 5 && !strcmp(argv[1], "multi"))
		return cmd_multi(argv + 2);
	if (argc >= 5 && !strcmp(argv[1], "udp"))
		return cmd_udp(argv + 2);
	if (argc >= 5 && !strcmp(argv[1], "fdconnect"))
		return cmd_connect_on(atoi(argv[2]), argv + 3);
	if (argc >= 2 && !strcmp(argv[1], "reuse"))
		return cmd_reuse();
	if (argc >= 2 && !strcmp(argv[1], "parity"))
		return parity();
	fprintf(stderr, "usage: sockprobe COMMAND ARGS (see the source)\n");
	return 2;
}
