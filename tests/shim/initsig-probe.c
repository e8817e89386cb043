/* SPDX-License-Identifier: MIT */
/*
 * initsig-probe.c - signal handlers on the thread that initialises the
 * library, for tests/shim/initsig.sh.  A SIGALRM handler, fired every
 * millisecond by an interval timer, makes an AF_INET6 socket each time;
 * meanwhile the main thread's first socket(AF_INET) makes the library
 * parse its (large) config.  Prints how many of the handler's sockets
 * were made ("handler ok=N"), how many refused ("refused=N", any errno),
 * then what the main thread's socket(AF_INET6) gives once the library is
 * up ("after=ok" or "after=" and the errno's name).  Nothing is sent.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "probe.h"

static volatile sig_atomic_t made, refused;

static void on_alarm(int sig)
{
	int saved = errno, fd = socket(AF_INET6, SOCK_DGRAM, 0);

	(void)sig;
	if (fd >= 0) {
		made++;
		close(fd);
	} else {
		refused++;
	}
	errno = saved;
}

int main(void)
{
	struct itimerval tick = {{0, 1000}, {0, 1000}}, off = {{0, 0}, {0, 0}};
	struct sigaction sa;
	int fd;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGALRM, &sa, NULL);
	setitimer(ITIMER_REAL, &tick, NULL);
	fd = socket(AF_INET, SOCK_DGRAM, 0);	/* the library initialises */
	setitimer(ITIMER_REAL, &off, NULL);
	if (fd >= 0)
		close(fd);
	printf("handler ok=%d refused=%s\n", (int)made,
	       refused ? "some" : "none");
	fd = socket(AF_INET6, SOCK_DGRAM, 0);
	printf("after=%s\n", fd >= 0 ? "ok" : errno_name(errno));
	return 0;
}
