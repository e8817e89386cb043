/* SPDX-License-Identifier: MIT */
/*
 * resolve-probe.c - run one resolver call per argument and print what it
 * returned, one line each, for tests/shim/resolve.sh.
 *
 * Arguments (fields separated by '/', '-' for a NULL string):
 *   gai/NODE/SERVICE/FAMILY/SOCKTYPE/FLAGS  getaddrinfo; FAMILY unspec, inet,
 *       inet6 or a number; SOCKTYPE 0, stream, dgram or a number; FLAGS a
 *       comma list of passive, canonname, numerichost, addrconfig, v4mapped,
 *       all, numericserv, or a hex number, or "nohints" for hints == NULL
 *   free/NODE/FAMILY      getaddrinfo then free the list's tail, then its head
 *   ghbn/NAME             gethostbyname
 *   ghbn2/NAME/FAMILY     gethostbyname2
 *   ghbnr/NAME/BUFLEN     gethostbyname_r
 *   ghbn2r/NAME/FAMILY/BUFLEN  gethostbyname2_r
 *   gni/ADDR/PORT/FLAGS   getnameinfo of ADDR:PORT; FLAGS a comma list of
 *       numerichost, namereqd, numericserv, or 0
 *   serve6/ADDR/PORT/COUNT  listen on AF_INET6 [ADDR]:PORT, then go on in
 *       the background (the call returns once the socket listens): accept
 *       COUNT connections, writing each client the address it came from,
 *       and give up after 30 seconds
 *   tcp/NAME/PORT/API     an IPv4-only client: resolve NAME with API (ghbn
 *       for gethostbyname, gai for getaddrinfo with AF_INET), connect an
 *       AF_INET stream socket to the first address at PORT, and print the
 *       address, getpeername(), getnameinfo(NI_NAMEREQD) of the peer and
 *       the line the server wrote
 *
 * A getaddrinfo line is "CODE" then one "FAMILY ADDRESS PORT SOCKTYPE" item
 * per entry and "canon=NAME" on an entry that has one; CODE is the EAI_*
 * name, with ":ERRNO" for EAI_SYSTEM.  A hostent line is "h_errno=NAME" or
 * "NAME FAMILY ADDRESS...", with "rc=" and "errno=" where they matter.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "probe.h"

#define NAME(x) {x, #x}

struct name {
	int value;
	const char *name;
};

static const struct name errno_names[] = {
	{0, "0"}, NAME(EADDRNOTAVAIL), NAME(ERANGE), NAME(ENOENT), NAME(EACCES),
	NAME(EAFNOSUPPORT), NAME(EINVAL), NAME(ENOSYS), {0, NULL},
};

static const struct name fam_names[] = {
	{AF_UNSPEC, "unspec"}, {AF_INET, "inet"}, {AF_INET6, "inet6"},
	{0, NULL},
};

static const struct name type_names[] = {
	{0, "0"}, {SOCK_STREAM, "stream"}, {SOCK_DGRAM, "dgram"},
	{SOCK_RAW, "raw"}, {0, NULL},
};

static const struct name flag_names[] = {
	{AI_PASSIVE, "passive"}, {AI_CANONNAME, "canonname"},
	{AI_NUMERICHOST, "numerichost"}, {AI_ADDRCONFIG, "addrconfig"},
	{AI_V4MAPPED, "v4mapped"}, {AI_ALL, "all"},
	{AI_NUMERICSERV, "numericserv"}, {0, NULL},
};

static const struct name ni_flag_names[] = {
	{NI_NUMERICHOST, "numerichost"}, {NI_NAMEREQD, "namereqd"},
	{NI_NUMERICSERV, "numericserv"}, {0, NULL},
};

static const char *name_of(const struct name *t, int value, char *buf)
{
	for (; t->name; t++)
		if (t->value == value)
			return t->name;
	sprintf(buf, "%d", value);
	return buf;
}

/* A name from t, else a number (hex with 0x). */
static int value_of(const struct name *t, const char *s)
{
	for (; t->name; t++)
		if (strcmp(t->name, s) == 0)
			return t->value;
	return (int)strtol(s, NULL, 0);
}

static int flags_of(const struct name *t, char *s)
{
	int flags = 0;
	char *tok, *save;

	for (tok = strtok_r(s, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
		flags |= value_of(t, tok);
	return flags;
}

static const char *null_or(const char *s)
{
	return strcmp(s, "-") == 0 ? NULL : s;
}

static void print_code(int rc, int err)
{
	char buf[32];

	printf("%s", eai_name(rc));
	if (rc == EAI_SYSTEM)
		printf(":%s", name_of(errno_names, err, buf));
}

static void print_list(const struct addrinfo *ai)
{
	char addr[INET6_ADDRSTRLEN], buf[32];
	unsigned port;

	for (; ai; ai = ai->ai_next) {
		if (ai->ai_family == AF_INET) {
			const struct sockaddr_in *s = (void *)ai->ai_addr;
			inet_ntop(AF_INET, &s->sin_addr, addr, sizeof(addr));
			port = ntohs(s->sin_port);
		} else {
			const struct sockaddr_in6 *s = (void *)ai->ai_addr;
			inet_ntop(AF_INET6, &s->sin6_addr, addr, sizeof(addr));
			port = ntohs(s->sin6_port);
		}
		printf(" %s %s %u %s", name_of(fam_names, ai->ai_family, buf),
		       addr, port, name_of(type_names, ai->ai_socktype, buf));
		if (ai->ai_canonname)
			printf(" canon=%s", ai->ai_canonname);
	}
}

static void run_gai(char **f, int n)
{
	struct addrinfo hints, *res = NULL;
	int rc, nohints;

	if (n < 6) {
		puts("usage");
		return;
	}
	nohints = strcmp(f[5], "nohints") == 0;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = value_of(fam_names, f[3]);
	hints.ai_socktype = value_of(type_names, f[4]);
	hints.ai_flags = flags_of(flag_names, f[5]);
	errno = 0;
	rc = getaddrinfo(null_or(f[1]), null_or(f[2]),
			 nohints ? NULL : &hints, &res);
	print_code(rc, errno);
	if (rc == 0) {
		print_list(res);
		freeaddrinfo(res);
	}
	putchar('\n');
}

/* Free a list in two parts, as a program that keeps its head a while may. */
static void run_free(char **f, int n)
{
	struct addrinfo hints, *res = NULL, *tail;
	int rc;

	if (n < 3) {
		puts("usage");
		return;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = value_of(fam_names, f[2]);
	hints.ai_flags = AI_CANONNAME;
	rc = getaddrinfo(f[1], "80", &hints, &res);
	print_code(rc, errno);
	if (rc == 0) {
		print_list(res);
		tail = res->ai_next;
		res->ai_next = NULL;
		freeaddrinfo(tail);
		freeaddrinfo(res);
	}
	putchar('\n');
}

static void print_hostent(int rc, const struct hostent *he, int herr, int err)
{
	char addr[INET6_ADDRSTRLEN], buf[32];
	char **p;

	if (rc >= 0)
		printf("rc=%s ", name_of(errno_names, rc, buf));
	if (!he) {
		printf("h_errno=%s", herr_name(herr));
		printf(" errno=%s\n", name_of(errno_names, err, buf));
		return;
	}
	printf("%s %s", he->h_name, name_of(fam_names, he->h_addrtype, buf));
	for (p = he->h_aliases; *p; p++)
		printf(" alias=%s", *p);
	for (p = he->h_addr_list; *p; p++)
		printf(" %s", inet_ntop(he->h_addrtype, *p, addr, sizeof(addr)));
	putchar('\n');
}

static void run_ghbn(char **f, int n)
{
	struct hostent he, *res = NULL;
	char *buf;
	int herr = 0, rc;
	size_t len;

	errno = 0;
	h_errno = 0;
	if (strcmp(f[0], "ghbn") == 0 && n >= 2) {
		res = gethostbyname(f[1]);
		print_hostent(-1, res, h_errno, errno);
	} else if (strcmp(f[0], "ghbn2") == 0 && n >= 3) {
		res = gethostbyname2(f[1], value_of(fam_names, f[2]));
		print_hostent(-1, res, h_errno, errno);
	} else if (strcmp(f[0], "ghbnr") == 0 && n >= 3) {
		len = strtoul(f[2], NULL, 0);
		buf = malloc(len + 1);
		rc = gethostbyname_r(f[1], &he, buf, len, &res, &herr);
		print_hostent(rc, res, herr, errno);
		free(buf);
	} else if (strcmp(f[0], "ghbn2r") == 0 && n >= 4) {
		len = strtoul(f[3], NULL, 0);
		buf = malloc(len + 1);
		rc = gethostbyname2_r(f[1], value_of(fam_names, f[2]), &he, buf,
				      len, &res, &herr);
		print_hostent(rc, res, herr, errno);
		free(buf);
	} else {
		puts("usage");
	}
}

static void run_gni(char **f, int n)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *s4 = (void *)&ss;
	struct sockaddr_in6 *s6 = (void *)&ss;
	char host[NI_MAXHOST] = "", serv[NI_MAXSERV] = "";
	socklen_t len;
	int rc;

	if (n < 4) {
		puts("usage");
		return;
	}
	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, f[1], &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((unsigned short)atoi(f[2]));
		len = sizeof(*s4);
	} else {
		s6->sin6_family = AF_INET6;
		inet_pton(AF_INET6, f[1], &s6->sin6_addr);
		s6->sin6_port = htons((unsigned short)atoi(f[2]));
		len = sizeof(*s6);
	}
	errno = 0;
	rc = getnameinfo((void *)&ss, len, host, sizeof(host), serv,
			 sizeof(serv), flags_of(ni_flag_names, f[3]) | NI_NUMERICSERV);
	print_code(rc, errno);
	if (rc == 0)
		printf(" %s %s", host, serv);
	putchar('\n');
}

/* The accepting half of serve6, in the child; never returns. */
static void serve(int fd, int count)
{
	struct sockaddr_in6 peer;
	socklen_t len;
	char addr[INET6_ADDRSTRLEN], line[80];
	int c;

	alarm(30);
	while (count-- > 0) {
		len = sizeof(peer);
		c = accept(fd, (struct sockaddr *)&peer, &len);
		if (c < 0)
			_exit(1);
		inet_ntop(AF_INET6, &peer.sin6_addr, addr, sizeof(addr));
		snprintf(line, sizeof(line), "%s\n", addr);
		if (write(c, line, strlen(line)) < 0)
			_exit(1);
		close(c);
	}
	_exit(0);
}

static void run_serve6(char **f, int n)
{
	struct sockaddr_in6 sin6 = {.sin6_family = AF_INET6};
	int fd, one = 1;
	pid_t pid;

	if (n < 4) {
		puts("usage");
		return;
	}
	sin6.sin6_port = htons((unsigned short)atoi(f[2]));
	fd = socket(AF_INET6, SOCK_STREAM, 0);
	if (fd < 0 || inet_pton(AF_INET6, f[1], &sin6.sin6_addr) != 1 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, (struct sockaddr *)&sin6, sizeof(sin6)) ||
	    listen(fd, 8)) {
		printf("serve6 errno=%d\n", errno);
		return;
	}
	fflush(stdout);
	pid = fork();
	if (pid == 0)
		serve(fd, atoi(f[3]));
	close(fd);
	printf(pid < 0 ? "serve6 fork failed\n" : "listening\n");
}

/* The first AF_INET address of name by api, in *a; 0 or -1 after a line. */
static int tcp_resolve(const char *name, const char *api, struct in_addr *a)
{
	struct addrinfo hints = {.ai_family = AF_INET}, *res;
	struct hostent *he;
	int rc;

	if (strcmp(api, "ghbn") == 0) {
		he = gethostbyname(name);
		if (!he || he->h_addrtype != AF_INET) {
			printf("resolve h_errno=%s\n", herr_name(h_errno));
			return -1;
		}
		memcpy(a, he->h_addr_list[0], sizeof(*a));
		return 0;
	}
	rc = getaddrinfo(name, NULL, &hints, &res);
	if (rc != 0) {
		printf("resolve ");
		print_code(rc, errno);
		putchar('\n');
		return -1;
	}
	*a = ((struct sockaddr_in *)res->ai_addr)->sin_addr;
	freeaddrinfo(res);
	return 0;
}

static void run_tcp(char **f, int n)
{
	struct sockaddr_in sin = {.sin_family = AF_INET}, peer;
	socklen_t len = sizeof(peer);
	char addr[INET_ADDRSTRLEN], host[NI_MAXHOST] = "", line[80] = "";
	char buf[32];
	ssize_t got;
	int fd, rc;

	if (n < 4) {
		puts("usage");
		return;
	}
	if (tcp_resolve(f[1], f[3], &sin.sin_addr))
		return;
	sin.sin_port = htons((unsigned short)atoi(f[2]));
	printf("resolved %s", inet_ntop(AF_INET, &sin.sin_addr, addr,
					 sizeof(addr)));
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sin, sizeof(sin))) {
		printf(" connect errno=%s\n", name_of(errno_names, errno, buf));
		return;
	}
	if (getpeername(fd, (struct sockaddr *)&peer, &len) ||
	    peer.sin_family != AF_INET) {
		printf(" getpeername failed\n");
		return;
	}
	printf(" peer %s:%u", inet_ntop(AF_INET, &peer.sin_addr, addr,
					sizeof(addr)), ntohs(peer.sin_port));
	rc = getnameinfo((struct sockaddr *)&peer, len, host, sizeof(host),
			 NULL, 0, NI_NAMEREQD);
	printf(" name ");
	if (rc)
		print_code(rc, errno);
	else
		printf("%s", host);
	got = read(fd, line, sizeof(line) - 1);
	line[got > 0 ? got : 0] = '\0';
	line[strcspn(line, "\n")] = '\0';
	printf(" server-saw %s\n", line);
	close(fd);
}

int main(int argc, char **argv)
{
	char *f[8];
	int i, n;

	for (i = 1; i < argc; i++) {
		n = 0;
		for (f[n] = strtok(argv[i], "/"); f[n] && n < 7;)
			f[++n] = strtok(NULL, "/");
		if (n == 0)
			continue;
		if (strcmp(f[0], "gai") == 0)
			run_gai(f, n);
		else if (strcmp(f[0], "free") == 0)
			run_free(f, n);
		else if (strcmp(f[0], "gni") == 0)
			run_gni(f, n);
		else if (strcmp(f[0], "serve6") == 0)
			run_serve6(f, n);
		else if (strcmp(f[0], "tcp") == 0)
			run_tcp(f, n);
		else
			run_ghbn(f, n);
		fflush(stdout);
	}
	return 0;
}
