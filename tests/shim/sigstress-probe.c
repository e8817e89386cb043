/* SPDX-License-Identifier: MIT */
/*
 * sigstress-probe.c - signal handlers that call the library's
 * async-signal-safe hooks while the program is somewhere a hook must not
 * reach into: tests/shim/sigstress.sh runs it under "stack = ipv6" with
 * "deny = 127.0.0.2", in a network namespace where 2001:db8::/64 is local
 * (an "AnyIP" route), so that any address of it can be a source.
 *
 *   sigstress-probe MODE SECONDS
 *
 * The handler (storm(), for SIGALRM from setitimer() every 200 us and for
 * SIGIO from a datagram socket with O_ASYNC) calls socket(), bind(),
 * getsockname(), connect() and sendto() to the denied 127.0.0.2, sendto()
 * to the probe's own receiver, dup2(), setsockopt(), getsockopt(),
 * fcntl(), dup(), shutdown() and close() on a fresh AF_INET datagram
 * socket, socketpair() and listen(); recvfrom() on an upgraded AF_INET socket that a feeder
 * thread sends to from ever new IPv6 sources (each a new peer-pool
 * address); accept() and getpeername() on an upgraded AF_INET listener
 * the feeder connects to from new IPv6 sources.  It counts "unpoliced":
 * an AF_INET socket the kernel made AF_INET (not upgraded), a denied
 * connect or send that went through or failed otherwise than EACCES, an
 * address shown to the AF_INET program as anything but AF_INET.
 *
 * MODE is what the main thread does meanwhile:
 *   malloc   malloc(), realloc() and free() in a loop, for SECONDS
 *   init     the same, the timer started before the first hooked call
 *            (the library's initialisation: the test gives it a large
 *            config, so that it is slow)
 *   logopen  a denied connect(), whose line opens the log, the
 *            handlers running from before (the library initialised
 *            first by a call that logs nothing): each run opens it once
 *   fork     no handler: 4 threads resolve a ruled name and connect to
 *            it (the name memory's lock, shim/lock.c) while the main
 *            thread makes children with _Fork(), which runs no
 *            pthread_atfork() handler, each of which connects once
 *            (taking that lock) and exits; a child still there after
 *            10 s (a generous bound: it needs microseconds) is counted a
 *            hang and killed
 *
 * Prints KEY=VALUE lines: signals, unpoliced, received, accepted; or
 * forks and hangs.  A run that hangs is ended by the test's watchdog.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../../shim/sys.h"

#define RULED "ruled.stackshim.test"

static atomic_long signals, unpoliced, received, pooled, accepted;
/* Set once the main thread's first hooked call (the library's
 * initialisation) has returned; what goes wrong before counts apart. */
static atomic_int ready;
static atomic_long unpoliced_init;
static volatile sig_atomic_t rx_fd = -1, lst_fd = -1;
static int rx_port, lst_port;
static atomic_int stop;

static void sin_of(struct sockaddr_in *sin, const char *a, int port)
{
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_port = htons(port);
	inet_pton(AF_INET, a, &sin->sin_addr);
}

/* Whether the kernel made s AF_INET6 (the library upgraded it). */
static int kernel_inet6(int s)
{
	int dom = 0;
	socklen_t len = sizeof(dom);

	return shim_sys(SYS_getsockopt, s, SOL_SOCKET, SO_DOMAIN, &dom, &len) ==
		       0 &&
	       dom == AF_INET6;
}

/* Every denied call must be refused with EACCES. */
static void expect_denied(long rc)
{
	if (rc >= 0 || errno != EACCES)
		atomic_fetch_add(&unpoliced, 1);
}

/* The rest of the list: options, flags, copies, a pair, a listener. */
static void storm_more(int s)
{
	int one = 1, got = 0, pair[2], t;
	socklen_t len = sizeof(got);

	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (getsockopt(s, SOL_SOCKET, SO_DOMAIN, &got, &len) == 0 &&
	    got != AF_INET)
		atomic_fetch_add(&unpoliced, 1);	/* shown as upgraded */
	fcntl(s, F_SETFL, fcntl(s, F_GETFL) | O_NONBLOCK);
	t = dup(s);
	if (t >= 0) {
		shutdown(t, SHUT_RDWR);
		close(t);
	}
	if (socketpair(AF_UNIX, SOCK_DGRAM, 0, pair) == 0) {
		close(pair[0]);
		close(pair[1]);
	}
	t = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (t >= 0) {
		listen(t, 1);
		close(t);
	}
}

static void storm_fresh(void)
{
	struct sockaddr_in lo, deny, to, got;
	socklen_t len = sizeof(got);
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0), spare;

	if (s < 0)
		return;
	if (!kernel_inet6(s))
		atomic_fetch_add(&unpoliced, 1);
	sin_of(&lo, "127.0.0.1", 0);
	sin_of(&deny, "127.0.0.2", 9);
	sin_of(&to, "127.0.0.1", rx_port);
	if (bind(s, (struct sockaddr *)&lo, sizeof(lo)) == 0 &&
	    getsockname(s, (struct sockaddr *)&got, &len) == 0 &&
	    got.sin_family != AF_INET)
		atomic_fetch_add(&unpoliced, 1);
	expect_denied(sendto(s, "x", 1, 0, (struct sockaddr *)&deny,
			     sizeof(deny)));
	expect_denied(connect(s, (struct sockaddr *)&deny, sizeof(deny)));
	if (rx_port)
		sendto(s, "y", 1, 0, (struct sockaddr *)&to, sizeof(to));
	spare = dup2(s, 1000);
	if (spare >= 0)
		close(spare);
	storm_more(s);
	close(s);
}

/* Whether a peer is shown as an address of the default pool, 198.18/15. */
static int in_pool(const struct sockaddr_storage *ss)
{
	const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;

	return (ntohl(sin->sin_addr.s_addr) >> 17) == (198u << 7 | 18u >> 1);
}

static void storm_receive(void)
{
	struct sockaddr_storage from;
	socklen_t len = sizeof(from);
	char buf[16];
	int i;

	for (i = 0; i < 8 && rx_fd >= 0; i++) {
		len = sizeof(from);
		if (recvfrom(rx_fd, buf, sizeof(buf), MSG_DONTWAIT,
			     (struct sockaddr *)&from, &len) < 0)
			return;
		if (from.ss_family != AF_INET)
			atomic_fetch_add(&unpoliced, 1);
		else if (in_pool(&from))
			atomic_fetch_add(&pooled, 1);
		atomic_fetch_add(&received, 1);
	}
}

static void storm_accept(void)
{
	struct sockaddr_storage peer;
	socklen_t len = sizeof(peer);
	int c;

	if (lst_fd < 0)
		return;
	c = accept4(lst_fd, (struct sockaddr *)&peer, &len, SOCK_NONBLOCK);
	if (c < 0)
		return;
	if (peer.ss_family != AF_INET || !in_pool(&peer))
		atomic_fetch_add(&unpoliced, 1);
	len = sizeof(peer);
	if (getpeername(c, (struct sockaddr *)&peer, &len) == 0 &&
	    peer.ss_family != AF_INET)
		atomic_fetch_add(&unpoliced, 1);
	atomic_fetch_add(&accepted, 1);
	close(c);
}

static void storm(int sig)
{
	int saved = errno, early = !atomic_load(&ready);
	long before = atomic_load(&unpoliced);

	atomic_fetch_add(&signals, 1);
	/* SIGIO's handler only reads: its own datagram would raise SIGIO
	 * again, for ever. */
	if (sig == SIGALRM)
		storm_fresh();
	storm_receive();
	storm_accept();
	/* Only this thread's handlers write the counter. */
	if (early) {
		atomic_fetch_add(&unpoliced_init,
				 atomic_load(&unpoliced) - before);
		atomic_store(&unpoliced, before);
	}
	errno = saved;
}

static void handlers_start(long usec)
{
	struct sigaction sa = {.sa_handler = storm, .sa_flags = SA_RESTART};
	struct itimerval it = {{0, usec}, {0, usec}};

	/* Each handler may interrupt the other, never itself. */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
	sigaction(SIGIO, &sa, NULL);
	setitimer(ITIMER_REAL, &it, NULL);
}

static void handlers_stop(void)
{
	struct itimerval it = {{0, 0}, {0, 0}};

	setitimer(ITIMER_REAL, &it, NULL);
	signal(SIGIO, SIG_IGN);
}

/* An upgraded AF_INET socket bound to 0.0.0.0; its port in *port. */
static int inet_any(int type, int *port)
{
	struct sockaddr_in any, got;
	socklen_t len = sizeof(got);
	int s = socket(AF_INET, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	sin_of(&any, "0.0.0.0", 0);
	if (s < 0 || bind(s, (struct sockaddr *)&any, sizeof(any)) < 0 ||
	    getsockname(s, (struct sockaddr *)&got, &len) < 0) {
		perror("sigstress-probe: socket");
		exit(2);
	}
	*port = ntohs(got.sin_port);
	return s;
}

static void receivers_start(void)
{
	int rx = inet_any(SOCK_DGRAM, &rx_port);
	int lst = inet_any(SOCK_STREAM, &lst_port);

	if (listen(lst, 1024) < 0 || fcntl(rx, F_SETOWN, getpid()) < 0 ||
	    fcntl(rx, F_SETFL, O_ASYNC | O_NONBLOCK) < 0) {
		perror("sigstress-probe: listen/O_ASYNC");
		exit(2);
	}
	rx_fd = rx;
	lst_fd = lst;
}

/* Send one datagram and start one connection from 2001:db8::n. */
static void feed_one(unsigned n, int port, int type)
{
	struct sockaddr_in6 src = {.sin6_family = AF_INET6};
	struct sockaddr_in6 dst = {.sin6_family = AF_INET6,
				   .sin6_port = htons(port)};
	long s = shim_sys(SYS_socket, AF_INET6,
			  type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (s < 0)
		return;
	inet_pton(AF_INET6, "2001:db8::1", &dst.sin6_addr);
	inet_pton(AF_INET6, "2001:db8::", &src.sin6_addr);
	src.sin6_addr.s6_addr[12] = (unsigned char)(n >> 24 | 0x10);
	src.sin6_addr.s6_addr[13] = (unsigned char)(n >> 16);
	src.sin6_addr.s6_addr[14] = (unsigned char)(n >> 8);
	src.sin6_addr.s6_addr[15] = (unsigned char)n;
	if (shim_sys(SYS_bind, s, &src, sizeof(src)) == 0) {
		if (type == SOCK_DGRAM)
			shim_sys(SYS_sendto, s, "z", 1, 0, &dst, sizeof(dst));
		else
			shim_sys(SYS_connect, s, &dst, sizeof(dst));
	}
	shim_sys(SYS_close, s);
}

/* The feeder: new IPv6 peers for recvfrom() and accept(), bare calls. */
static void *feeder(void *arg)
{
	struct timespec pause = {0, 100000};
	unsigned n = 0;
	sigset_t mask;

	/* The handlers run on the main thread, in the middle of its work. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGALRM);
	sigaddset(&mask, SIGIO);
	pthread_sigmask(SIG_BLOCK, &mask, NULL);
	(void)arg;
	while (!atomic_load(&stop)) {
		feed_one(n++, rx_port, SOCK_DGRAM);
		if (n % 4 == 0)
			feed_one(n++, lst_port, SOCK_STREAM);
		nanosleep(&pause, NULL);
	}
	return NULL;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The main thread in the allocator until the deadline. */
/*
 * The main thread's work under the storm: at least seconds long, and on
 * until the handlers have done what the test asks of them (ran; with
 * work, gave a peer a pool address and accepted a client), for as long
 * as 30 times more: a machine that starves the process (TSan defers every
 * signal to the next intercepted call) makes the storm longer, never the
 * check fail.
 */
static bool storm_done(bool work)
{
	return atomic_load(&signals) > 0 &&
	       (!work || (atomic_load(&pooled) > 0 &&
			  atomic_load(&accepted) > 0));
}

static void churn(double seconds, bool work)
{
	static void *slot[256];
	double start = now(), t;
	unsigned i = 0;

	while ((t = now() - start) < seconds ||
	       (!storm_done(work) && t < 31 * seconds)) {
		for (int k = 0; k < 1000; k++, i++) {
			void *p = slot[i % 256];

			if (i % 3 == 0)
				p = realloc(p, 1 + (i * 7919u) % 5000);
			else {
				free(p);
				p = malloc(1 + (i * 104729u) % 3000);
			}
			if (p)
				memset(p, (int)i, 1);
			slot[i % 256] = p;
		}
	}
}

static void run_storm(const char *mode, double seconds)
{
	pthread_t feed;

	if (strcmp(mode, "malloc") == 0) {
		receivers_start();
		atomic_store(&ready, 1);
	}
	if (strcmp(mode, "logopen") == 0) {
		/* Initialised by a call that logs nothing (an AF_INET6
		 * socket, unchanged): the log is opened after, by the first
		 * line, with the handlers running. */
		close(socket(AF_INET6, SOCK_DGRAM, 0));
		atomic_store(&ready, 1);
	}
	handlers_start(200);
	if (strcmp(mode, "logopen") == 0) {
		struct sockaddr_in deny;
		int s = (int)shim_sys(SYS_socket, AF_INET6, SOCK_DGRAM, 0);

		sin_of(&deny, "127.0.0.2", 9);
		expect_denied(connect(s, (struct sockaddr *)&deny,
				      sizeof(deny)));
		churn(seconds, false);
		handlers_stop();
		return;
	}
	if (strcmp(mode, "init") == 0) {
		receivers_start();	/* the first hooked call */
		atomic_store(&ready, 1);
	}
	pthread_create(&feed, NULL, feeder, NULL);
	churn(seconds, strcmp(mode, "malloc") == 0);
	handlers_stop();
	atomic_store(&stop, 1);
	pthread_join(feed, NULL);
}

/* A resolver thread of the fork mode: the name memory, busy. */
static void *resolver(void *arg)
{
	struct addrinfo hints = {.ai_family = AF_INET,
				 .ai_socktype = SOCK_DGRAM}, *res;

	(void)arg;
	while (!atomic_load(&stop)) {
		if (getaddrinfo(RULED, "9", &hints, &res) != 0)
			continue;
		int s = socket(AF_INET, SOCK_DGRAM, 0);

		if (s >= 0) {
			connect(s, res->ai_addr, res->ai_addrlen);
			close(s);
		}
		freeaddrinfo(res);
	}
	return NULL;
}

/*
 * Whether child pid ends within 10 s, polled: a child that waits on the
 * lock has every signal blocked, so that only SIGKILL ends it.
 */
static int child_ends(pid_t pid, int *status)
{
	struct timespec tick = {0, 1000000};
	double end = now() + 10;

	while (now() < end) {
		if (waitpid(pid, status, WNOHANG) == pid)
			return 1;
		nanosleep(&tick, NULL);
	}
	if (getenv("SIGSTRESS_DEBUG")) {
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "gdb -batch -p %d -ex bt >&2", (int)pid);
		if (system(cmd) < 0)
			perror("system");
	}
	kill(pid, SIGKILL);
	waitpid(pid, status, 0);
	return 0;
}

/* A _Fork() child: one connect to the ruled name's address, then out. */
static void fork_child(void)
{
	struct sockaddr_in to;
	int s;

	sin_of(&to, "127.0.0.1", 9);
	s = socket(AF_INET, SOCK_DGRAM, 0);
	connect(s, (struct sockaddr *)&to, sizeof(to));
	_exit(0);
}

static void run_fork(double seconds)
{
	pthread_t t[4];
	double end = now() + seconds;
	long forks = 0, hangs = 0;
	int i, status;
	pid_t pid;

	/* The library initialised first: a _Fork() in the middle of its
	 * initialisation (shim/init.c's pthread_once(), which a _Fork()
	 * child inherits in progress) is not what this case is about. */
	close(socket(AF_INET, SOCK_DGRAM, 0));
	for (i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, resolver, NULL);
	while (now() < end) {
		pid = _Fork();
		if (pid == 0)
			fork_child();
		if (pid < 0)
			break;
		forks++;
		if (!child_ends(pid, &status))
			hangs++;
	}
	atomic_store(&stop, 1);
	for (i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	printf("forks=%ld\nhangs=%ld\n", forks, hangs);
}

int main(int argc, char **argv)
{
	double seconds;

	if (argc != 3) {
		fprintf(stderr, "usage: sigstress-probe MODE SECONDS\n");
		return 2;
	}
	seconds = atof(argv[2]);
	if (strcmp(argv[1], "fork") == 0) {
		run_fork(seconds);
		return 0;
	}
	run_storm(argv[1], seconds);
	printf("signals=%ld\nunpoliced=%ld\nunpoliced_init=%ld\n"
	       "received=%ld\npooled=%ld\naccepted=%ld\n",
	       atomic_load(&signals), atomic_load(&unpoliced),
	       atomic_load(&unpoliced_init),
	       atomic_load(&received), atomic_load(&pooled),
	       atomic_load(&accepted));
	return 0;
}
