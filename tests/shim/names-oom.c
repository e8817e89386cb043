/* SPDX-License-Identifier: MIT */
/*
 * names-oom.c - the probe of tests/shim/names-oom.sh: every allocation a
 * resolution of a ruled name makes, failed in turn, must fail the
 * resolution or leave the name's rule following its addresses (issue 17,
 * items 10 and 12): never an address handed out that the name's
 * `deny = NAME PORT` rule does not follow, never an exit inside the call.
 *
 * Usage: names-oom CALL WARM NAME PORT [PRE], CALL gai or ghbn.  The
 * probe resolves WARM, a name no rule covers, first (the library's own
 * start-up allocations are made then), and PRE, when given, a ruled name
 * with NAME's address (so that the table has an entry for that address),
 * then, for N = 1, 2, ..., in a child: fails the Nth
 * allocation from there on (this executable's malloc(), calloc() and
 * realloc() come first in the lookup order, the library's calls too),
 * resolves NAME, and connects to each address it got at PORT over TCP.
 * When the call failed and PRE was given, it connects to PRE's addresses
 * at PORT as well ("pre-connect=ERRNO"): PRE's rule must still hold.
 * One line per N: "N injected gai=RC connect=ERRNO..." (RC the EAI_* or
 * h_errno name, or 0), "N exit STATUS" when the child ended by itself
 * inside the call, and "done N" at the first N that the call did not
 * reach.  The script judges the lines.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "probe.h"

static long fault_countdown;	/* 0: off; else the allocation to fail */
static int fault_hit;		/* it was failed */
static int fault_in_dlsym;

static void *(*next_malloc)(size_t);
static void *(*next_calloc)(size_t, size_t);
static void *(*next_realloc)(void *, size_t);

/* dlsym() may allocate before the next allocator is known: a static
 * arena, never freed (free() of it is not reached: the probe's own
 * allocations are made after). */
static char boot[1 << 14];
static size_t boot_used;

static void *boot_alloc(size_t n)
{
	void *p;

	n = (n + 15) & ~(size_t)15;
	if (boot_used + n > sizeof(boot))
		return NULL;
	p = boot + boot_used;
	boot_used += n;
	return p;
}

static void fault_resolve(void)
{
	fault_in_dlsym = 1;
	next_malloc = dlsym(RTLD_NEXT, "malloc");
	next_calloc = dlsym(RTLD_NEXT, "calloc");
	next_realloc = dlsym(RTLD_NEXT, "realloc");
	fault_in_dlsym = 0;
}

/* Whether this allocation is the one to fail. */
static int fault_now(void)
{
	if (fault_countdown > 0 && --fault_countdown == 0) {
		fault_hit = 1;
		return 1;
	}
	return 0;
}

void *malloc(size_t n)
{
	if (fault_in_dlsym)
		return boot_alloc(n);
	if (!next_malloc)
		fault_resolve();
	if (fault_now()) {
		errno = ENOMEM;
		return NULL;
	}
	return next_malloc(n);
}

void *calloc(size_t n, size_t size)
{
	if (fault_in_dlsym)
		return boot_alloc(n * size);	/* static: zeroed */
	if (!next_calloc)
		fault_resolve();
	if (fault_now()) {
		errno = ENOMEM;
		return NULL;
	}
	return next_calloc(n, size);
}

void *realloc(void *p, size_t n)
{
	if (!next_realloc)
		fault_resolve();
	if (fault_now()) {
		errno = ENOMEM;
		return NULL;
	}
	return next_realloc(p, n);
}

/* Connect to sa over TCP; print " LABEL=" and the errno it ends with. */
static void try_connect(const char *label, const struct sockaddr *sa,
			socklen_t len)
{
	int fd = socket(sa->sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int rc;

	if (fd < 0) {
		printf(" socket=%s", errno_name(errno));
		return;
	}
	rc = connect(fd, sa, len);
	printf(" %s=%s", label, rc == 0 ? "0" : errno_name(errno));
	close(fd);
}

static struct addrinfo *pre;	/* PRE's addresses, resolved first */

/* When the call failed: PRE's addresses at PORT, still ruled by PRE. */
static void pre_connect(int failed)
{
	struct addrinfo *ai;

	for (ai = pre; failed && ai; ai = ai->ai_next)
		try_connect("pre-connect", ai->ai_addr, ai->ai_addrlen);
}

static void child_gai(const char *name, const char *port)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res, *ai;
	int rc = getaddrinfo(name, port, &hints, &res);
	int hit = fault_hit;

	fault_countdown = 0;
	printf("%s gai=%s", hit ? "injected" : "missed", eai_name(rc));
	if (rc == 0) {
		for (ai = res; ai; ai = ai->ai_next)
			try_connect("connect", ai->ai_addr, ai->ai_addrlen);
		freeaddrinfo(res);
	}
	pre_connect(rc != 0);
}

static void child_ghbn(const char *name, const char *port)
{
	struct hostent *he = gethostbyname(name);
	int hit = fault_hit, i;
	struct sockaddr_in sin = {.sin_family = AF_INET,
				  .sin_port = htons(atoi(port))};

	fault_countdown = 0;
	printf("%s ghbn=%s", hit ? "injected" : "missed",
	       he ? "0" : herr_name(h_errno));
	for (i = 0; he && he->h_addr_list[i]; i++) {
		memcpy(&sin.sin_addr, he->h_addr_list[i], sizeof(sin.sin_addr));
		try_connect("connect", (struct sockaddr *)&sin, sizeof(sin));
	}
	pre_connect(!he);
}

int main(int argc, char **argv)
{
	struct addrinfo *res;
	long n;

	if (argc != 5 && argc != 6) {
		fprintf(stderr,
			"usage: names-oom gai|ghbn WARM NAME PORT [PRE]\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IONBF, 0);
	/* The library's start and the resolver's first use. */
	if (getaddrinfo(argv[2], NULL, NULL, &res) == 0)
		freeaddrinfo(res);
	(void)!gethostbyname(argv[2]);
	if (argc == 6) {
		struct addrinfo hints = {.ai_socktype = SOCK_STREAM};

		if (getaddrinfo(argv[5], argv[4], &hints, &pre) != 0)
			return 2;
	}
	for (n = 1; n < 10000; n++) {
		int status, fds[2];
		char line[512];
		size_t len;
		ssize_t got;
		pid_t pid;

		if (pipe(fds) != 0)
			return 2;
		pid = fork();
		if (pid == 0) {
			close(fds[0]);
			dup2(fds[1], 1);
			fault_countdown = n;
			if (!strcmp(argv[1], "gai"))
				child_gai(argv[3], argv[4]);
			else
				child_ghbn(argv[3], argv[4]);
			_exit(fault_hit ? 0 : 3);
		}
		close(fds[1]);
		len = 0;
		while (len < sizeof(line) - 1 &&
		       (got = read(fds[0], line + len,
				   sizeof(line) - 1 - len)) > 0)
			len += (size_t)got;
		close(fds[0]);
		line[len] = '\0';
		waitpid(pid, &status, 0);
		if (WIFEXITED(status) && WEXITSTATUS(status) == 3) {
			printf("done %ld\n", n);
			return 0;
		}
		if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
			printf("%ld %s\n", n, line);
		else
			printf("%ld exit %d\n", n, status);
	}
	return 1;
}
