/* SPDX-License-Identifier: MIT */
/*
 * rulefmt-probe.c - connects that a destination rule decides, each made
 * from inside a signal handler, where the library's logging of the rule
 * (shim_rule_format(), shim/log.c) must be async-signal-safe: run by
 * tests/shim/rulefmt.sh with the library preloaded and its log on stderr.
 *
 *   rulefmt-probe HOST/PORT/PROTO...
 *
 * For each argument the main thread finds the address (inet_pton() for a
 * literal, else getaddrinfo(), so that the library remembers the name a
 * name rule covers), then raises SIGUSR1; the handler makes a PROTO (tcp
 * or udp) socket of the address's family and connects it.  A first
 * socket() in main() has initialised the library before.  The probe
 * prints "ARG ERRNO" (the errno's name, or "ok") for each.
 *
 * The probe defines snprintf() and its kin, exported (built with
 * -rdynamic), so that the library's calls bind to them before libc's:
 * each forwards to libc's vsnprintf(), and counts a call made while the
 * handler runs.  The last line is "printf-in-handler=N": vfprintf() is
 * not async-signal-safe (it reads the locale, and may allocate).
 */
#define _GNU_SOURCE
#undef _FORTIFY_SOURCE
#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <netdb.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "probe.h"

static int (*real_vsnprintf)(char *, size_t, const char *, va_list);
static volatile sig_atomic_t in_handler, printf_in_handler;

static struct sockaddr_storage job_addr;
static socklen_t job_len;
static int job_type, job_errno;

static int counted(char *buf, size_t len, const char *fmt, va_list ap)
{
	if (in_handler)
		printf_in_handler++;
	return real_vsnprintf(buf, len, fmt, ap);
}

int vsnprintf(char *buf, size_t len, const char *fmt, va_list ap)
{
	return counted(buf, len, fmt, ap);
}

int snprintf(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = counted(buf, len, fmt, ap);
	va_end(ap);
	return n;
}

int __vsnprintf_chk(char *buf, size_t len, int flag, size_t slen,
		    const char *fmt, va_list ap)
{
	(void)flag;
	(void)slen;
	return counted(buf, len, fmt, ap);
}

int __snprintf_chk(char *buf, size_t len, int flag, size_t slen,
		   const char *fmt, ...)
{
	va_list ap;
	int n;

	(void)flag;
	(void)slen;
	va_start(ap, fmt);
	n = counted(buf, len, fmt, ap);
	va_end(ap);
	return n;
}

static void on_usr1(int sig)
{
	int s, saved = errno;

	(void)sig;
	in_handler = 1;
	s = socket(job_addr.ss_family, job_type, 0);
	if (s < 0) {
		job_errno = errno;
	} else {
		job_errno = connect(s, (struct sockaddr *)&job_addr, job_len) ?
				    errno : 0;
		close(s);
	}
	in_handler = 0;
	errno = saved;
}

/* HOST into job_addr (port), for a socket of type; false when unknown. */
static int job_find(const char *host, int port, int type)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)&job_addr;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&job_addr;
	struct addrinfo hints = {.ai_socktype = type}, *res;

	memset(&job_addr, 0, sizeof(job_addr));
	if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		job_len = sizeof(*sin);
		return 1;
	}
	if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		job_len = sizeof(*sin6);
		return 1;
	}
	if (getaddrinfo(host, NULL, &hints, &res))
		return 0;
	memcpy(&job_addr, res->ai_addr, res->ai_addrlen);
	job_len = res->ai_addrlen;
	sin->sin_port = htons(port);	/* sin6_port is at the same place */
	freeaddrinfo(res);
	return 1;
}

static void run(const char *arg)
{
	char host[256], proto[8];
	int port;

	if (sscanf(arg, "%255[^/]/%d/%7s", host, &port, proto) != 3) {
		printf("%s bad-argument\n", arg);
		return;
	}
	job_type = strcmp(proto, "udp") ? SOCK_STREAM : SOCK_DGRAM;
	if (!job_find(host, port, job_type)) {
		printf("%s unresolved\n", arg);
		return;
	}
	raise(SIGUSR1);
	printf("%s %s\n", arg, job_errno ? errno_name(job_errno) : "ok");
}

int main(int argc, char **argv)
{
	struct sigaction sa = {.sa_handler = on_usr1};
	int i;

	real_vsnprintf = (int (*)(char *, size_t, const char *, va_list))
		dlsym(RTLD_NEXT, "vsnprintf");
	if (!real_vsnprintf)
		return 99;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGUSR1, &sa, NULL))
		return 99;
	/* The library's initialisation (the config parsed) is not what is
	 * under test: a first socket made here runs it. */
	close(socket(AF_INET, SOCK_DGRAM, 0));
	for (i = 1; i < argc; i++)
		run(argv[i]);
	printf("printf-in-handler=%d\n", (int)printf_in_handler);
	return 0;
}
