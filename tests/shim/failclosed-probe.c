/* SPDX-License-Identifier: MIT */
/*
 * failclosed-probe.c - the program tests/shim/failclosed.sh and
 * tests/shim/secure.sh run, with and without the library preloaded.
 *
 * Each argument names one check, and its result is printed on stdout as
 * one line "CHECK=RESULT": "ok" for a call that succeeded, else the name
 * of its errno (EACCES), EAI_* code or h_errno.  The probe writes nothing
 * on stderr: whatever is there is the library's.
 *
 * The sockets that connect, bind and the sends are tried on are made by
 * the system call itself, not by socket(), which a library that failed
 * closed refuses: they stand for sockets the program got some other way
 * (inherited, received), whose calls must be refused all the same.
 * Destinations are on loopback only, port 9, where nothing listens.
 *
 *   all          every check below but at_secure, preloaded and sockets
 *   sockets      socket(AF_INET) and socket(AF_INET6) only
 *   at_secure    getauxval(AT_SECURE)
 *   preloaded    whether libstackshim is mapped into the process
 *   socket4 socket6 connect4 connect4tcp bind4 sendto4 sendmsg4 sendmmsg4
 *   connect6 connect6tcp bind6 sendto6 sendmsg6 sendmmsg6 gai gai4 gai6
 *   gaipassive ghbn ghbn2 ghbnr ghbn2r gni socketpair unix
 *
 * It ends itself with alarm(), so that a hang is a failure.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <link.h>
#include <netdb.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include "probe.h"
#include "../../shim/sys.h"

#define PORT 9

static const char *eainame(int rc)
{
	return rc ? eai_name(rc) : "ok";
}

/* The line of a call that returns -1 and sets errno on failure. */
static void report(const char *check, long rc)
{
	printf("%s=%s\n", check, rc < 0 ? errno_name(errno) : "ok");
}

/* Loopback, port 9, in family fam. */
static socklen_t loopback(int fam, struct sockaddr_storage *ss)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (fam == AF_INET) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(PORT);
		sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		return sizeof(*sin);
	}
	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = htons(PORT);
	sin6->sin6_addr = in6addr_loopback;
	return sizeof(*sin6);
}

/* A socket made by the system call, which no hook sees. */
static int raw_socket(int fam, int type)
{
	int fd = (int)shim_sys(SYS_socket, fam, type | SOCK_CLOEXEC, 0);

	if (fd < 0) {
		printf("raw socket: %s\n", errno_name(errno));
		exit(2);
	}
	return fd;
}

enum call { CONNECT, BIND, SENDTO, SENDMSG, SENDMMSG };

/* One call on a fresh raw socket of fam and type. */
static void raw_call(const char *check, int fam, int type, enum call call)
{
	struct sockaddr_storage ss;
	socklen_t len = loopback(fam, &ss);
	int fd = raw_socket(fam, type);
	char byte = 'x';
	struct iovec iov = {.iov_base = &byte, .iov_len = 1};
	struct mmsghdr mm = {.msg_hdr = {.msg_name = &ss, .msg_namelen = len,
					 .msg_iov = &iov, .msg_iovlen = 1}};
	long rc = -1;

	switch (call) {
	case CONNECT:
		rc = connect(fd, (struct sockaddr *)&ss, len);
		break;
	case BIND:
		/* Port 0: any free one. */
		((struct sockaddr_in *)&ss)->sin_port = 0;
		rc = bind(fd, (struct sockaddr *)&ss, len);
		break;
	case SENDTO:
		rc = sendto(fd, &byte, 1, 0, (struct sockaddr *)&ss, len);
		break;
	case SENDMSG:
		rc = sendmsg(fd, &mm.msg_hdr, 0);
		break;
	case SENDMMSG:
		rc = sendmmsg(fd, &mm, 1, 0);
		break;
	}
	report(check, rc);
	close(fd);
}

static void check_socket(const char *check, int fam, int type)
{
	int fd = socket(fam, type, 0);

	report(check, fd);
	if (fd >= 0)
		close(fd);
}

static void check_gai(const char *check, const char *node,
		      const char *service, int flags)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM,
				 .ai_flags = flags};
	struct addrinfo *res = NULL;
	int rc = getaddrinfo(node, service, &hints, &res);

	printf("%s=%s\n", check, eainame(rc));
	if (!rc)
		freeaddrinfo(res);
}

static void check_ghbn(const char *check, int fam)
{
	struct hostent *he;

	h_errno = 0;
	he = fam ? gethostbyname2("localhost", fam)
		 : gethostbyname("localhost");
	if (he)
		printf("%s=ok\n", check);
	else
		printf("%s=NULL h_errno=%s\n", check, herr_name(h_errno));
}

static void check_ghbn_r(const char *check, int fam)
{
	struct hostent he, *result = NULL;
	char buf[4096];
	int herr = 0, rc;

	rc = fam ? gethostbyname2_r("localhost", fam, &he, buf, sizeof(buf),
				    &result, &herr)
		 : gethostbyname_r("localhost", &he, buf, sizeof(buf), &result,
				   &herr);
	if (!rc && result)
		printf("%s=ok\n", check);
	else
		printf("%s=%s result=%s h_errno=%s\n", check,
		       rc ? errno_name(rc) : "0", result ? "set" : "NULL",
		       herr_name(herr));
}

static void check_gni(const char *check)
{
	struct sockaddr_storage ss;
	socklen_t len = loopback(AF_INET, &ss);
	char host[NI_MAXHOST], serv[NI_MAXSERV];

	printf("%s=%s\n", check,
	       eainame(getnameinfo((struct sockaddr *)&ss, len, host,
				   sizeof(host), serv, sizeof(serv), 0)));
}

/* A pair of AF_UNIX sockets carries a byte. */
static void check_socketpair(const char *check)
{
	char byte = 0;
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		report(check, -1);
		return;
	}
	if (write(sv[0], "x", 1) != 1 || read(sv[1], &byte, 1) != 1 ||
	    byte != 'x')
		printf("%s=no byte\n", check);
	else
		printf("%s=ok\n", check);
	close(sv[0]);
	close(sv[1]);
}

/*
 * AF_UNIX datagram sockets: socket, bind, connect, sendto and recv, every
 * hooked call on the family the library never touches.
 */
static void check_unix(const char *check)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	socklen_t len;
	char byte = 0;
	int a, b;

	/* An abstract name, this process's own. */
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 +
			  (size_t)snprintf(sun.sun_path + 1,
					   sizeof(sun.sun_path) - 1,
					   "stackshim-failclosed-%d",
					   (int)getpid()));
	a = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	b = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (a < 0 || b < 0) {
		printf("%s=socket %s\n", check, errno_name(errno));
		return;
	}
	if (bind(a, (struct sockaddr *)&sun, len) < 0)
		printf("%s=bind %s\n", check, errno_name(errno));
	else if (sendto(b, "x", 1, 0, (struct sockaddr *)&sun, len) != 1)
		printf("%s=sendto %s\n", check, errno_name(errno));
	else if (connect(b, (struct sockaddr *)&sun, len) < 0)
		printf("%s=connect %s\n", check, errno_name(errno));
	else if (recv(a, &byte, 1, 0) != 1 || byte != 'x')
		printf("%s=recv %s\n", check, errno_name(errno));
	else
		printf("%s=ok\n", check);
	close(a);
	close(b);
}

static int find_shim(struct dl_phdr_info *info, size_t size, void *arg)
{
	(void)size;
	if (info->dlpi_name && strstr(info->dlpi_name, "libstackshim"))
		*(bool *)arg = true;
	return 0;
}

static void check_preloaded(const char *check)
{
	bool found = false;

	dl_iterate_phdr(find_shim, &found);
	printf("%s=%s\n", check, found ? "yes" : "no");
}

static const char *const all_checks[] = {
	"socket4", "socket6", "connect4", "connect4tcp", "bind4", "sendto4",
	"sendmsg4", "sendmmsg4", "connect6", "connect6tcp", "bind6",
	"sendto6", "sendmsg6", "sendmmsg6", "gai", "gai4", "gai6",
	"gaipassive", "ghbn", "ghbn2", "ghbnr", "ghbn2r", "gni",
	"socketpair", "unix", NULL,
};

static bool run(const char *c)
{
	const char *const *all;

	if (!strcmp(c, "all")) {
		for (all = all_checks; *all; all++)
			run(*all);
	} else if (!strcmp(c, "sockets")) {
		run("socket4");
		run("socket6");
	} else if (!strcmp(c, "at_secure")) {
		printf("at_secure=%lu\n", getauxval(AT_SECURE));
	} else if (!strcmp(c, "preloaded")) {
		check_preloaded("preloaded");
	} else if (!strcmp(c, "socket4")) {
		check_socket("socket(inet)", AF_INET, SOCK_STREAM);
	} else if (!strcmp(c, "socket6")) {
		check_socket("socket(inet6)", AF_INET6, SOCK_DGRAM);
	} else if (!strcmp(c, "connect4")) {
		raw_call("connect(inet,udp)", AF_INET, SOCK_DGRAM, CONNECT);
	} else if (!strcmp(c, "connect4tcp")) {
		raw_call("connect(inet,tcp)", AF_INET, SOCK_STREAM, CONNECT);
	} else if (!strcmp(c, "bind4")) {
		raw_call("bind(inet)", AF_INET, SOCK_DGRAM, BIND);
	} else if (!strcmp(c, "sendto4")) {
		raw_call("sendto(inet)", AF_INET, SOCK_DGRAM, SENDTO);
	} else if (!strcmp(c, "sendmsg4")) {
		raw_call("sendmsg(inet)", AF_INET, SOCK_DGRAM, SENDMSG);
	} else if (!strcmp(c, "sendmmsg4")) {
		raw_call("sendmmsg(inet)", AF_INET, SOCK_DGRAM, SENDMMSG);
	} else if (!strcmp(c, "connect6")) {
		raw_call("connect(inet6,udp)", AF_INET6, SOCK_DGRAM, CONNECT);
	} else if (!strcmp(c, "connect6tcp")) {
		raw_call("connect(inet6,tcp)", AF_INET6, SOCK_STREAM, CONNECT);
	} else if (!strcmp(c, "bind6")) {
		raw_call("bind(inet6)", AF_INET6, SOCK_DGRAM, BIND);
	} else if (!strcmp(c, "sendto6")) {
		raw_call("sendto(inet6)", AF_INET6, SOCK_DGRAM, SENDTO);
	} else if (!strcmp(c, "sendmsg6")) {
		raw_call("sendmsg(inet6)", AF_INET6, SOCK_DGRAM, SENDMSG);
	} else if (!strcmp(c, "sendmmsg6")) {
		raw_call("sendmmsg(inet6)", AF_INET6, SOCK_DGRAM, SENDMMSG);
	} else if (!strcmp(c, "gai")) {
		check_gai("getaddrinfo(localhost)", "localhost", "80", 0);
	} else if (!strcmp(c, "gai4")) {
		check_gai("getaddrinfo(127.0.0.1)", "127.0.0.1", "80",
			  AI_NUMERICHOST);
	} else if (!strcmp(c, "gai6")) {
		check_gai("getaddrinfo(::1)", "::1", "80", AI_NUMERICHOST);
	} else if (!strcmp(c, "gaipassive")) {
		check_gai("getaddrinfo(NULL,passive)", NULL, "80", AI_PASSIVE);
	} else if (!strcmp(c, "ghbn")) {
		check_ghbn("gethostbyname(localhost)", 0);
	} else if (!strcmp(c, "ghbn2")) {
		check_ghbn("gethostbyname2(localhost,inet6)", AF_INET6);
	} else if (!strcmp(c, "ghbnr")) {
		check_ghbn_r("gethostbyname_r(localhost)", 0);
	} else if (!strcmp(c, "ghbn2r")) {
		check_ghbn_r("gethostbyname2_r(localhost,inet)", AF_INET);
	} else if (!strcmp(c, "gni")) {
		check_gni("getnameinfo(127.0.0.1)");
	} else if (!strcmp(c, "socketpair")) {
		check_socketpair("socketpair(unix)");
	} else if (!strcmp(c, "unix")) {
		check_unix("unix(dgram)");
	} else {
		printf("unknown check '%s'\n", c);
		return false;
	}
	return true;
}

int main(int argc, char **argv)
{
	int i;

	alarm(30);
	for (i = 1; i < argc; i++)
		if (!run(argv[i]))
			return 2;
	return 0;
}
