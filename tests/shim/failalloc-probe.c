/* SPDX-License-Identifier: MIT */
/*
 * failalloc-probe.c - the first network calls of a program, for
 * tests/shim/failalloc.sh, which runs it with failalloc.so (failalloc.c)
 * failing one allocation.  It arms the allocator, then makes each call
 * once and prints one line "CALL=RESULT": "ok", an errno's name, an
 * EAI_* name, or for gethostbyname2 "fail".  Then "count=N" (allocations
 * made since arming) and "sockets=N" (failalloc's FAILALLOC_SOCKET
 * sockets).  Under the test's config (tests/shim/failalloc.sh):
 *   connect-denied, sendto-denied  [::1]:9, denied by address
 *   gai-denied, ghbn-denied        blocked.test, a denied name
 *   connect-portname               portname.test port 7, denied by name
 * The rest are allowed.  Everything stays on ::1 and 2001:db8::5 (on lo
 * of the test's own network namespace).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "probe.h"

static const char *err_name(int rc)
{
	return rc < 0 ? errno_name(errno) : "ok";
}

static const char *gai_name(int rc)
{
	return rc ? eai_name(rc) : "ok";
}

static struct sockaddr_in6 loop6(unsigned short port)
{
	struct sockaddr_in6 a = {.sin6_family = AF_INET6,
				 .sin6_port = htons(port),
				 .sin6_addr = IN6ADDR_LOOPBACK_INIT};
	return a;
}

static void tcp_calls(void)
{
	struct sockaddr_in6 a = loop6(0), d = loop6(9);
	socklen_t len = sizeof(a);
	int l, c, s, rc;

	l = socket(AF_INET6, SOCK_STREAM, 0);
	printf("socket=%s\n", err_name(l));
	rc = bind(l, (struct sockaddr *)&a, sizeof(a));
	printf("bind=%s\n", err_name(rc));
	listen(l, 4);
	getsockname(l, (struct sockaddr *)&a, &len);
	c = socket(AF_INET6, SOCK_STREAM, 0);
	rc = connect(c, (struct sockaddr *)&a, sizeof(a));
	printf("connect-allowed=%s\n", err_name(rc));
	s = rc < 0 ? -1 : accept(l, NULL, NULL);
	printf("accept=%s\n", rc < 0 ? "skipped" : err_name(s));
	close(s);
	close(c);
	c = socket(AF_INET6, SOCK_STREAM, 0);
	printf("connect-denied=%s\n",
	       err_name(connect(c, (struct sockaddr *)&d, sizeof(d))));
	close(c);
	close(l);
}

static void udp_calls(void)
{
	struct sockaddr_in6 a = loop6(0), d = loop6(9);
	socklen_t len = sizeof(a);
	int u = socket(AF_INET6, SOCK_DGRAM, 0);

	bind(u, (struct sockaddr *)&a, sizeof(a));
	getsockname(u, (struct sockaddr *)&a, &len);
	printf("sendto-allowed=%s\n",
	       err_name((int)sendto(u, "x", 1, 0, (struct sockaddr *)&a,
				    sizeof(a))));
	printf("sendto-denied=%s\n",
	       err_name((int)sendto(u, "x", 1, 0, (struct sockaddr *)&d,
				    sizeof(d))));
	close(u);
}

static void name_calls(void)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res = NULL;
	struct sockaddr_in6 a = loop6(80);
	char host[NI_MAXHOST];
	int rc, c;

	rc = getaddrinfo("localhost", "80", &hints, &res);
	printf("gai-allowed=%s\n", gai_name(rc));
	if (!rc)
		freeaddrinfo(res);
	rc = getaddrinfo("blocked.test", "80", &hints, &res);
	printf("gai-denied=%s\n", gai_name(rc));
	if (!rc)
		freeaddrinfo(res);
	printf("ghbn-allowed=%s\n",
	       gethostbyname2("localhost", AF_INET6) ? "ok" : "fail");
	printf("ghbn-denied=%s\n",
	       gethostbyname2("blocked.test", AF_INET6) ? "ok" : "fail");
	rc = getnameinfo((struct sockaddr *)&a, sizeof(a), host, sizeof(host),
			 NULL, 0, 0);
	printf("gni=%s\n", gai_name(rc));
	rc = getaddrinfo("portname.test", "7", &hints, &res);
	printf("gai-portname=%s\n", gai_name(rc));
	if (rc)
		return;
	c = socket(res->ai_family, SOCK_STREAM, 0);
	printf("connect-portname=%s\n",
	       err_name(connect(c, res->ai_addr, res->ai_addrlen)));
	close(c);
	freeaddrinfo(res);
}

int main(void)
{
	void (*arm)(void) = (void (*)(void))dlsym(RTLD_DEFAULT,
						   "failalloc_arm");
	long (*count)(void) = (long (*)(void))dlsym(RTLD_DEFAULT,
						     "failalloc_count");
	long (*sockets)(void) = (long (*)(void))dlsym(RTLD_DEFAULT,
						       "failalloc_sockets");

	if (!arm || !count || !sockets) {
		fprintf(stderr, "failalloc.so is not loaded\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IONBF, 0);
	arm();
	tcp_calls();
	udp_calls();
	name_calls();
	printf("count=%ld\nsockets=%ld\n", count(), sockets());
	return 0;
}
