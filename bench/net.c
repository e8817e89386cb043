/* SPDX-License-Identifier: MIT */
/*
 * net.c - the workloads of "make bench" that run under a preload shim
 * (bench/run.sh runs each bare, under stackshim and under the peers, and
 * compares them).  Each times its own loop and prints one number, the
 * nanoseconds the loop took, so that the start of the process, the loading
 * of a shim and the setting up of servers are never in what is compared.
 *
 *	bench_net connect ADDR PORT COUNT
 *		COUNT times: an AF_INET or AF_INET6 stream socket (by ADDR's
 *		form), connect() to ADDR:PORT, close().
 *	bench_net serve ADDR PORT
 *		the server of "connect": listens on ADDR:PORT (dual-stack for
 *		::), says "ready" on stdout, accepts and closes until killed.
 *	bench_net udp ADDR COUNT
 *		a datagram socket of ADDR's family (127.0.0.1: AF_INET) bound
 *		to its wildcard (dual-stack for AF_INET6), COUNT times
 *		sendto() itself at ADDR and recvfrom() the datagram.
 *	bench_net gai NAME COUNT
 *		COUNT times getaddrinfo(NAME, "80", AF_UNSPEC, SOCK_STREAM)
 *		and freeaddrinfo().
 *	bench_net spawn COUNT PRELOAD PROGRAM [ARG...]
 *		COUNT times fork(), exec PROGRAM with LD_PRELOAD=PRELOAD in
 *		its environment (none when PRELOAD is empty), wait.
 *	bench_net first
 *		the time one AF_INET socket() takes as the first network call
 *		of the process: a lazy shim loads its policy there.
 *	bench_net mem COUNT
 *		prints "RSS0 RSS1 RSS2" in KiB: at start, after one AF_INET
 *		socket() (a lazy shim has loaded its policy), after COUNT more
 *		sockets are open.
 *	bench_net decide ADDR PORT COUNT
 *		as connect, after one socket()+connect()+close() outside the
 *		loop (the policy's lazy load), so that callgrind counts only
 *		the decisions.
 *	bench_net private
 *		prints "ANON0 ANON1": the process's anonymous memory in KiB
 *		(smaps_rollup's Anonymous: pages no other process can share)
 *		at start, after the constructors, and after one AF_INET
 *		socket().
 *	bench_net share N
 *		starts N processes of its own program ("hold": one AF_INET
 *		socket(), then wait), and prints the sums of their smaps_rollup
 *		"RSS PSS ANON" in KiB while all N hold the policy loaded.
 *	bench_net http ADDR PORT
 *		a minimal HTTP/1.0 server for curl: says "ready", then answers
 *		each request with 200 and two bytes, one at a time.
 *
 * The loops are functions of their own (bench_loop_*), so that callgrind
 * can count the instructions of just them (--toggle-collect).
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 8
#define NOINLINE __attribute__((noipa))
#else
#define NOINLINE __attribute__((noinline))
#endif

extern char **environ;

static void die(const char *what)
{
	fprintf(stderr, "bench_net: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void usage(void)
{
	fprintf(stderr,
		"usage: bench_net connect ADDR PORT COUNT\n"
		"       bench_net serve ADDR PORT\n"
		"       bench_net udp ADDR COUNT\n"
		"       bench_net gai NAME COUNT\n"
		"       bench_net spawn COUNT PRELOAD PROGRAM [ARG...]\n"
		"       bench_net first\n"
		"       bench_net mem COUNT\n"
		"       bench_net decide ADDR PORT COUNT\n"
		"       bench_net private\n"
		"       bench_net share N\n"
		"       bench_net http ADDR PORT\n");
	exit(2);
}

static unsigned long count_arg(const char *s)
{
	char *end;
	unsigned long n;

	errno = 0;
	n = strtoul(s, &end, 10);
	if (errno || end == s || *end || !n)
		usage();
	return n;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* --- connect ---------------------------------------------------------- */

/* The server: run with no preload, by bench/run.sh. */
static void serve(int lfd)
{
	int fd;

	for (;;) {
		fd = accept(lfd, NULL, NULL);
		if (fd >= 0)
			close(fd);
		else if (errno != EINTR && errno != ECONNABORTED)
			die("accept");
	}
}

/* Listen on ss; returns the listener. */
static int serve_listen(const struct sockaddr_storage *ss, socklen_t len)
{
	int fd, off = 0, on = 1;

	fd = socket(ss->ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die("server socket");
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	if (ss->ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off));
	if (bind(fd, (const struct sockaddr *)ss, len) < 0)
		die("server bind");
	if (listen(fd, 4096) < 0)
		die("server listen");
	return fd;
}

static NOINLINE void bench_loop_connect(const struct sockaddr *sa,
					socklen_t len, unsigned long count)
{
	unsigned long i;
	int fd;

	for (i = 0; i < count; i++) {
		fd = socket(sa->sa_family, SOCK_STREAM, 0);
		if (fd < 0)
			die("socket");
		if (connect(fd, sa, len) < 0)
			die("connect");
		close(fd);
	}
}

/* ADDR PORT as a socket address in ss; returns its length. */
static socklen_t addr_arg(const char *addr, const char *port,
			  struct sockaddr_storage *ss)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
	char *end;
	unsigned long n;

	memset(ss, 0, sizeof(*ss));
	n = strtoul(port, &end, 10);
	if (end == port || *end || n > 65535)
		usage();
	if (inet_pton(AF_INET, addr, &sin->sin_addr) == 1) {
		ss->ss_family = AF_INET;
		sin->sin_port = htons((uint16_t)n);
		return sizeof(*sin);
	}
	if (inet_pton(AF_INET6, addr, &sin6->sin6_addr) == 1) {
		ss->ss_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)n);
		return sizeof(*sin6);
	}
	usage();
	return 0;
}

static int run_serve(char **argv)
{
	struct sockaddr_storage ss;
	socklen_t len = addr_arg(argv[0], argv[1], &ss);
	int fd = serve_listen(&ss, len);

	printf("ready\n");
	fflush(stdout);
	serve(fd);
	return 1;
}

static int run_connect(char **argv)
{
	struct sockaddr_storage ss;
	socklen_t len = addr_arg(argv[0], argv[1], &ss);
	unsigned long count = count_arg(argv[2]);
	uint64_t t0;

	t0 = now_ns();
	bench_loop_connect((struct sockaddr *)&ss, len, count);
	printf("%llu\n", (unsigned long long)(now_ns() - t0));
	return 0;
}

/* --- udp -------------------------------------------------------------- */

static NOINLINE void bench_loop_udp(int fd, const struct sockaddr *to,
				    socklen_t tolen, unsigned long count)
{
	struct sockaddr_storage from;
	socklen_t fromlen;
	char buf[64] = "stackshim";
	unsigned long i;

	for (i = 0; i < count; i++) {
		if (sendto(fd, buf, 32, 0, to, tolen) != 32)
			die("sendto");
		fromlen = sizeof(from);
		if (recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from,
			     &fromlen) != 32)
			die("recvfrom");
		/* The port sits at the same offset in both families. */
		if (fromlen != tolen || from.ss_family != to->sa_family ||
		    ((struct sockaddr_in *)&from)->sin_port !=
			    ((const struct sockaddr_in *)to)->sin_port) {
			errno = EPROTO;
			die("recvfrom: not the sender");
		}
	}
}

static int run_udp(char **argv)
{
	struct sockaddr_storage to, any;
	socklen_t len = addr_arg(argv[0], "0", &to);
	unsigned long count = count_arg(argv[1]);
	socklen_t anylen = len;
	uint64_t t0;
	int fd, off = 0;

	memset(&any, 0, sizeof(any));
	any.ss_family = to.ss_family;
	fd = socket(to.ss_family, SOCK_DGRAM, 0);
	if (fd < 0)
		die("socket");
	if (to.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off));
	if (bind(fd, (struct sockaddr *)&any, len) < 0)
		die("bind");
	if (getsockname(fd, (struct sockaddr *)&any, &anylen) < 0)
		die("getsockname");
	((struct sockaddr_in *)&to)->sin_port =
		((struct sockaddr_in *)&any)->sin_port;

	t0 = now_ns();
	bench_loop_udp(fd, (struct sockaddr *)&to, len, count);
	printf("%llu\n", (unsigned long long)(now_ns() - t0));
	return 0;
}

/* --- getaddrinfo ------------------------------------------------------ */

static NOINLINE void bench_loop_gai(const char *name, unsigned long count)
{
	struct addrinfo hints, *res;
	unsigned long i;
	int rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	for (i = 0; i < count; i++) {
		rc = getaddrinfo(name, "80", &hints, &res);
		if (rc) {
			fprintf(stderr, "bench_net: getaddrinfo %s: %s\n", name,
				gai_strerror(rc));
			exit(1);
		}
		freeaddrinfo(res);
	}
}

static int run_gai(char **argv)
{
	unsigned long count = count_arg(argv[1]);
	uint64_t t0;

	t0 = now_ns();
	bench_loop_gai(argv[0], count);
	printf("%llu\n", (unsigned long long)(now_ns() - t0));
	return 0;
}

/* --- spawn ------------------------------------------------------------ */

/* environ without LD_PRELOAD, and with LD_PRELOAD=preload unless empty. */
static char **spawn_env(const char *preload)
{
	size_t n = 0, i, j = 0;
	char **env, *var;

	while (environ[n])
		n++;
	env = calloc(n + 2, sizeof(*env));
	if (!env)
		die("calloc");
	for (i = 0; i < n; i++)
		if (strncmp(environ[i], "LD_PRELOAD=", 11))
			env[j++] = environ[i];
	if (*preload) {
		var = malloc(strlen(preload) + 12);
		if (!var)
			die("malloc");
		strcpy(var, "LD_PRELOAD=");
		strcat(var, preload);
		env[j++] = var;
	}
	return env;
}

static NOINLINE void bench_loop_spawn(char **argv, char **env,
				      unsigned long count)
{
	unsigned long i;
	pid_t pid;
	int status;

	for (i = 0; i < count; i++) {
		pid = fork();
		if (pid < 0)
			die("fork");
		if (!pid) {
			execve(argv[0], argv, env);
			_exit(127);
		}
		if (waitpid(pid, &status, 0) != pid)
			die("waitpid");
		if (!WIFEXITED(status) || WEXITSTATUS(status)) {
			fprintf(stderr, "bench_net: %s: status %#x\n", argv[0],
				status);
			exit(1);
		}
	}
}

static int run_spawn(char **argv)
{
	unsigned long count = count_arg(argv[0]);
	char **env = spawn_env(argv[1]);
	uint64_t t0;

	t0 = now_ns();
	bench_loop_spawn(argv + 2, env, count);
	printf("%llu\n", (unsigned long long)(now_ns() - t0));
	return 0;
}

/* --- first ----------------------------------------------------------- */

static int run_first(char **argv)
{
	uint64_t t0;

	(void)argv;
	t0 = now_ns();
	if (socket(AF_INET, SOCK_STREAM, 0) < 0)
		die("socket");
	printf("%llu\n", (unsigned long long)(now_ns() - t0));
	return 0;
}

/* --- mem -------------------------------------------------------------- */

static long rss_kib(void)
{
	char line[256];
	long kib = -1;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		die("/proc/self/status");
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld kB", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

static int run_mem(char **argv)
{
	unsigned long count = count_arg(argv[0]), i;
	long rss0, rss1;

	rss_kib();	/* stdio's own buffers, before the first reading */
	rss0 = rss_kib();
	if (socket(AF_INET, SOCK_STREAM, 0) < 0)
		die("socket");
	rss1 = rss_kib();
	for (i = 0; i < count; i++)
		if (socket(AF_INET, SOCK_STREAM, 0) < 0)
			die("socket");
	printf("%ld %ld %ld\n", rss0, rss1, rss_kib());
	return 0;
}

/* --- decide --------------------------------------------------------- */

static int run_decide(char **argv)
{
	struct sockaddr_storage ss;
	socklen_t len = addr_arg(argv[0], argv[1], &ss);
	unsigned long count = count_arg(argv[2]);
	uint64_t t0;
	int fd;

	/* The lazy load and the first decision, outside the loop (and
	 * outside callgrind's count of bench_loop_connect). */
	fd = socket(ss.ss_family, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&ss, len) < 0)
		die("decide: first connect");
	close(fd);
	t0 = now_ns();
	bench_loop_connect((struct sockaddr *)&ss, len, count);
	printf("%llu\n", (unsigned long long)(now_ns() - t0));
	return 0;
}

/* --- private, share -------------------------------------------------- */

/*
 * smaps_rollup of PATH: the KiB of its Rss, Pss and Anonymous lines in
 * kib[0..2].  Anonymous rather than Private_*: a file page that only this
 * process maps yet (a library's, an index's) counts as private there,
 * though any other process would share it.
 */
static void rollup(const char *path, long kib[3])
{
	static const char *const keys[3] = { "Rss:", "Pss:", "Anonymous:" };
	char line[256];
	long v;
	int i;
	FILE *f = fopen(path, "r");

	if (!f)
		die(path);
	kib[0] = kib[1] = kib[2] = -1;
	while (fgets(line, sizeof(line), f))
		for (i = 0; i < 3; i++)
			if (!strncmp(line, keys[i], strlen(keys[i])) &&
			    sscanf(line + strlen(keys[i]), "%ld", &v) == 1)
				kib[i] = v;
	fclose(f);
}

static int run_private(char **argv)
{
	long a0[3], a1[3];

	(void)argv;
	rollup("/proc/self/smaps_rollup", a0);	/* stdio's buffers first */
	rollup("/proc/self/smaps_rollup", a0);
	if (socket(AF_INET, SOCK_STREAM, 0) < 0)
		die("socket");
	rollup("/proc/self/smaps_rollup", a1);
	printf("%ld %ld\n", a0[2], a1[2]);
	return 0;
}

/* The children of share: load the policy, say so, wait for EOF. */
static int run_hold(char **argv)
{
	char c;

	(void)argv;
	if (socket(AF_INET, SOCK_STREAM, 0) < 0)
		die("socket");
	if (write(1, "r", 1) != 1)
		die("hold: write");
	while (read(0, &c, 1) > 0)
		;
	return 0;
}

/* One child in hold, its stdin and stdout on pipes; returns its pid. */
static pid_t hold_child(int *to, int *from)
{
	static char *const argv[] = { "bench_net", "hold", NULL };
	int in[2], out[2];
	pid_t pid;

	if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0)
		die("pipe");
	pid = fork();
	if (pid < 0)
		die("fork");
	if (!pid) {
		if (dup2(in[0], 0) < 0 || dup2(out[1], 1) < 0)
			_exit(127);
		execve("/proc/self/exe", argv, environ);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	*to = in[1];
	*from = out[0];
	return pid;
}

static int run_share(char **argv)
{
	unsigned long n = count_arg(argv[0]), i;
	long kib[3], sum[3] = { 0, 0, 0 };
	char path[64], c;
	pid_t *pid = calloc(n, sizeof(*pid));
	int *to = calloc(n, sizeof(*to)), from, status;

	if (!pid || !to)
		die("calloc");
	for (i = 0; i < n; i++) {
		pid[i] = hold_child(&to[i], &from);
		if (read(from, &c, 1) != 1) {
			errno = ECHILD;
			die("share: a child did not hold");
		}
		close(from);
	}
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "/proc/%d/smaps_rollup", (int)pid[i]);
		rollup(path, kib);
		sum[0] += kib[0];
		sum[1] += kib[1];
		sum[2] += kib[2];
	}
	for (i = 0; i < n; i++) {
		close(to[i]);
		if (waitpid(pid[i], &status, 0) != pid[i] ||
		    !WIFEXITED(status) || WEXITSTATUS(status))
			die("share: a child failed");
	}
	printf("%ld %ld %ld\n", sum[0], sum[1], sum[2]);
	return 0;
}

/* --- http ------------------------------------------------------------- */

/* Read one request (up to its blank line) from fd and answer it. */
static void http_answer(int fd)
{
	static const char reply[] = "HTTP/1.0 200 OK\r\n"
		"Content-Length: 2\r\nConnection: close\r\n\r\nok";
	char buf[4096];
	size_t have = 0;
	ssize_t r;

	while (have < sizeof(buf) - 1) {
		r = read(fd, buf + have, sizeof(buf) - 1 - have);
		if (r <= 0)
			return;
		have += (size_t)r;
		buf[have] = 0;
		if (strstr(buf, "\r\n\r\n"))
			break;
	}
	if (write(fd, reply, sizeof(reply) - 1) < 0)
		return;
}

static int run_http(char **argv)
{
	struct sockaddr_storage ss;
	socklen_t len = addr_arg(argv[0], argv[1], &ss);
	int lfd = serve_listen(&ss, len), fd;

	printf("ready\n");
	fflush(stdout);
	for (;;) {
		fd = accept(lfd, NULL, NULL);
		if (fd < 0) {
			if (errno != EINTR && errno != ECONNABORTED)
				die("accept");
			continue;
		}
		http_answer(fd);
		close(fd);
	}
	return 1;
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int args;	/* at least */
		int (*run)(char **argv);
	} modes[] = {
		{ "connect", 3, run_connect },
		{ "serve", 2, run_serve },
		{ "udp", 2, run_udp },
		{ "gai", 2, run_gai },
		{ "spawn", 3, run_spawn },
		{ "first", 0, run_first },
		{ "mem", 1, run_mem },
		{ "decide", 3, run_decide },
		{ "private", 0, run_private },
		{ "share", 1, run_share },
		{ "hold", 0, run_hold },
		{ "http", 2, run_http },
	};
	size_t i;

	if (argc < 2)
		usage();
	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		if (!strcmp(argv[1], modes[i].name) && argc - 2 >= modes[i].args)
			return modes[i].run(argv + 2);
	usage();
	return 2;
}
