/* SPDX-License-Identifier: MIT */
/*
 * pool-probe.c - the program tests/shim/pool.sh runs with the library
 * preloaded under an ipv6 stack, to see native IPv6 peers of upgraded
 * sockets given addresses from the peer-pool.
 *
 *   pool-probe [--full-first] [--steal FILE] [--fork N] [--forked] ADDR...
 *
 * The probe listens on [::]:0 (an AF_INET6 socket, which the library
 * leaves alone).  For each IPv6 literal ADDR, two AF_INET TCP sockets
 * (upgraded by the library) are connected to [ADDR]:port by the connect
 * system call itself, which no hook sees, and getpeername() is asked
 * twice on each.  One line per ADDR:
 *
 *   ADDR peer=A.B.C.D port=same stable=yes errno=kept reach=yes
 *   ADDR peer=ENOBUFS stable=yes errno=ENOBUFS
 *
 * peer is what the first getpeername() showed (its family must be
 * AF_INET), port=same when its port is the listener's; stable=yes when
 * the other three calls showed the same; errno=kept when a successful
 * call left errno as it was; reach=yes when a connect() through the hook
 * to peer's address and port arrived at the listener from the socket that
 * made it.  --full-first points stderr at /dev/full for the first ADDR
 * only, so that a line the library logs to stderr then is lost.
 * --steal FILE closes the library's log file after the first ADDR and
 * opens FILE in its place (stolen=yes: at the same number).  --fork N
 * then forks N times while a thread keeps asking getpeername() of the
 * first ADDR, and prints how many children got an answer of their own
 * (forks=N answered=N: none was left waiting on a lock).  --forked asks
 * for each ADDR first in a child fork() made for it, then in the process
 * itself: two lines per ADDR, the child's first.
 * Every run ends itself with alarm().
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "probe.h"
#include "../../shim/sys.h"

/* An errno no call here sets, to see whether a call changed errno. */
#define MARK_ERRNO EDOM

/* A listener on [::]:0, its port in *port (network byte order). */
static int listen_any(in_port_t *port)
{
	struct sockaddr_in6 sin6 = {.sin6_family = AF_INET6};
	socklen_t len = sizeof(sin6);
	int fd = socket(AF_INET6, SOCK_STREAM, 0);

	if (fd < 0 || bind(fd, (struct sockaddr *)&sin6, sizeof(sin6)) < 0 ||
	    listen(fd, 16) < 0 ||
	    shim_sys(SYS_getsockname, fd, &sin6, &len) < 0)
		die("listen");
	*port = sin6.sin6_port;
	return fd;
}

/* An AF_INET socket connected to [addr]:port behind the hooks' back. */
static int raw_connect(const struct in6_addr *addr, in_port_t port)
{
	struct sockaddr_in6 sin6 = {.sin6_family = AF_INET6,
				    .sin6_addr = *addr,
				    .sin6_port = port};
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0 || shim_sys(SYS_connect, fd, &sin6, sizeof(sin6)) < 0)
		die("raw connect");
	return fd;
}

/* One getpeername(): 0 with *sin filled, or the errno it failed with. */
static int peer(int fd, struct sockaddr_in *sin, bool *kept)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	memset(&ss, 0, sizeof(ss));
	errno = MARK_ERRNO;
	if (getpeername(fd, (struct sockaddr *)&ss, &len) < 0)
		return errno;
	*kept = *kept && errno == MARK_ERRNO;
	if (ss.ss_family != AF_INET || len != sizeof(*sin)) {
		fprintf(stderr, "pool-probe: family %d, length %u\n",
			ss.ss_family, (unsigned)len);
		exit(1);
	}
	memcpy(sin, &ss, sizeof(*sin));
	return 0;
}

/*
 * Whether connect() to to, through the hook, arrives at listener from
 * the socket that made it (the same source port, seen by the kernel).
 */
static bool reach(int listener, const struct sockaddr_in *to)
{
	struct sockaddr_in6 mine, theirs;
	socklen_t len = sizeof(mine), tlen = sizeof(theirs);
	int fd = socket(AF_INET, SOCK_STREAM, 0), child;
	bool ok;

	if (fd < 0 || connect(fd, (const struct sockaddr *)to, sizeof(*to)) < 0)
		return false;
	child = (int)shim_sys(SYS_accept4, listener, &theirs, &tlen, 0);
	if (child < 0 || shim_sys(SYS_getsockname, fd, &mine, &len) < 0)
		return false;
	ok = theirs.sin6_port == mine.sin6_port &&
	     !memcmp(&theirs.sin6_addr, &mine.sin6_addr, 16);
	close(child);
	close(fd);
	return ok;
}

/* The line for one IPv6 address. */
static void probe(int listener, in_port_t port, const char *text)
{
	struct sockaddr_in first, again;
	struct in6_addr addr;
	int fds[2], err, i, j;
	bool kept = true, stable = true;
	char shown[INET_ADDRSTRLEN];

	if (inet_pton(AF_INET6, text, &addr) != 1) {
		fprintf(stderr, "pool-probe: bad address %s\n", text);
		exit(2);
	}
	for (i = 0; i < 2; i++)
		fds[i] = raw_connect(&addr, port);
	/* The kernel's queue is emptied, so that reach() accepts its own. */
	for (i = 0; i < 2; i++)
		close((int)shim_sys(SYS_accept4, listener, NULL, NULL, 0));
	err = peer(fds[0], &first, &kept);
	for (i = 0; i < 2; i++)
		for (j = !i; j < 2; j++)
			stable = stable && peer(fds[i], &again, &kept) == err &&
				 (err || !memcmp(&again, &first,
						 sizeof(first)));
	printf("%s peer=", text);
	if (err) {
		printf("%s stable=%s errno=%s\n", errno_name(err),
		       stable ? "yes" : "no", errno_name(err));
	} else {
		inet_ntop(AF_INET, &first.sin_addr, shown, sizeof(shown));
		printf("%s port=%s stable=%s errno=%s reach=%s\n", shown,
		       first.sin_port == port ? "same" : "other",
		       stable ? "yes" : "no", kept ? "kept" : "changed",
		       reach(listener, &first) ? "yes" : "no");
	}
	fflush(stdout);
	for (i = 0; i < 2; i++)
		close(fds[i]);
}

/*
 * Close the library's log file, the descriptor whose link is
 * $STACKSHIM_LOG, and open file in its place: the program's own file now
 * has the number the library wrote to.
 */
static void steal(const char *file)
{
	const char *log = getenv("STACKSHIM_LOG");
	char link[64], target[4096];
	ssize_t n;
	int fd, mine;

	for (fd = 3; fd < 1024; fd++) {
		snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
		n = readlink(link, target, sizeof(target) - 1);
		if (n < 0)
			continue;
		target[n] = '\0';
		if (log && !strcmp(target, log))
			break;
	}
	if (fd == 1024) {
		printf("stolen=none\n");
		return;
	}
	close(fd);
	mine = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (mine >= 0 && mine != fd) {
		if (dup2(mine, fd) == fd)
			close(mine);
		mine = fd;
	}
	printf("stolen=%s\n", mine == fd ? "yes" : "no");
}

/*
 * The thread that keeps the pool's mutex busy while main() forks; arg is
 * the fd itself, not a pointer into fork_test()'s frame, which is gone
 * while this thread still runs.
 */
static void *busy(void *arg)
{
	struct sockaddr_in sin;
	bool kept = true;

	for (;;)
		peer((int)(intptr_t)arg, &sin, &kept);
	return NULL;
}

/*
 * fork() n times while another thread asks getpeername() of a pool
 * address without a pause; each child asks too, and must get an answer.
 * Prints how many children answered in time.
 */
static void fork_test(in_port_t port, const char *text, int n)
{
	struct in6_addr addr;
	struct sockaddr_in sin;
	pthread_t thread;
	int fd, i, status, answered = 0;
	bool kept = true;
	pid_t pid;

	if (inet_pton(AF_INET6, text, &addr) != 1)
		die("address");
	fd = raw_connect(&addr, port);
	if (pthread_create(&thread, NULL, busy, (void *)(intptr_t)fd))
		die("pthread_create");
	for (i = 0; i < n; i++) {
		pid = fork();
		if (pid < 0)
			die("fork");
		if (pid == 0) {
			alarm(5);
			_exit(peer(fd, &sin, &kept) ? 1 : 0);
		}
		if (waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
		    WEXITSTATUS(status) == 0)
			answered++;
	}
	printf("forks=%d answered=%d\n", n, answered);
}

/* probe() in a child of its own, waited for. */
static void probe_in_child(int listener, in_port_t port, const char *text)
{
	pid_t pid = fork();

	if (pid < 0)
		die("fork");
	if (pid == 0) {
		probe(listener, port, text);
		_exit(0);
	}
	if (waitpid(pid, NULL, 0) != pid)
		die("waitpid");
}

int main(int argc, char **argv)
{
	const char *steal_file = NULL;
	bool full_first = false, forked = false;
	int listener, saved = -1, full, forks = 0, i = 1, first;
	in_port_t port;

	for (; i < argc && !strncmp(argv[i], "--", 2); i++) {
		if (!strcmp(argv[i], "--full-first"))
			full_first = true;
		else if (!strcmp(argv[i], "--steal") && i + 1 < argc)
			steal_file = argv[++i];
		else if (!strcmp(argv[i], "--forked"))
			forked = true;
		else if (!strcmp(argv[i], "--fork") && i + 1 < argc)
			forks = atoi(argv[++i]);
		else
			die(argv[i]);
	}
	alarm(20);
	listener = listen_any(&port);
	if (full_first) {
		saved = dup(STDERR_FILENO);
		full = open("/dev/full", O_WRONLY);
		if (saved < 0 || full < 0 || dup2(full, STDERR_FILENO) < 0)
			die("/dev/full");
		close(full);
	}
	for (first = i; i < argc; i++) {
		if (forked)
			probe_in_child(listener, port, argv[i]);
		probe(listener, port, argv[i]);
		if (saved >= 0 && dup2(saved, STDERR_FILENO) < 0)
			die("dup2");
		saved = -1;
		if (steal_file && i == first)
			steal(steal_file);
	}
	if (forks && first < argc)
		fork_test(port, argv[first], forks);
	return 0;
}
