/* SPDX-License-Identifier: MIT */
/*
 * stress-probe.c - the program tests/shim/stress.sh runs with the library
 * preloaded under "stack = ipv6" (mapped yes: its AF_INET TCP and UDP
 * sockets are AF_INET6 underneath), to stress the library's shared state
 * from many threads and across fork().
 *
 *   stress-probe threads CONNECTORS PER RESOLVERS CHURNERS
 *	CONNECTORS threads each make PER connections through upgraded
 *	sockets to a listener of the probe's on 127.0.0.1, while RESOLVERS
 *	threads call getaddrinfo() and gethostbyname_r() in a loop and
 *	CHURNERS threads make, copy and close descriptors of other kinds.
 *
 *   stress-probe forks EXECS FORKS CONNECTORS
 *	EXECS fork()+exec() cycles of "stress-probe child" (from two
 *	threads) and FORKS fork()s whose child makes calls that take the
 *	library's lock at once (from a third), while CONNECTORS threads
 *	connect to the probe's listener.
 *
 *   stress-probe child ipv6|ipv4 PORT FD
 *	What each exec'd child runs: checks the policy of its stack holds
 *	(ipv6: an AF_INET socket is upgraded; ipv4: an AF_INET6 socket is
 *	refused with EAFNOSUPPORT and an AF_INET one is not upgraded),
 *	connects once to 127.0.0.1:PORT, and writes "ok STACK\n" on FD.
 *
 * Every connection, on both sides: the client's getsockname() and
 * getpeername() are AF_INET at 127.0.0.1 (the peer at the listener's
 * port), and its socket is AF_INET6 to the kernel (SO_DOMAIN through the
 * system call) at ::ffff:127.0.0.1 on the same port; the client sends its
 * port, and the accepting side checks that accept() gave an AF_INET peer
 * at 127.0.0.1 with that very port, and getsockname() the listener's.
 *
 * The names resolved come from stress.sh's hosts file and policy; the
 * expected answer of each is in resolve_cases below.  A peer-pool address
 * must be the same in every call and every thread for a name, and the
 * same in a forked child as in its parent.
 *
 * Output: "KEY=VALUE" lines on stdout (counts of what was done and
 * checked), one "stress-probe: ..." line on stderr per failed check (the
 * first 40), and the exit status: 0 when every check passed, 1 when one
 * failed, 2 when the probe could not set itself up.  Every wait is bounded
 * (STRESS_WAIT seconds, 30 by default); a child that does not finish in
 * time is a failure, and when STRESS_GDB names gdb its threads' stacks
 * are printed on stderr before it is killed; no child is started after
 * that.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "probe.h"
#include "../../shim/sys.h"

#define MAX_THREADS 64
#define MAX_MESSAGES 40
/*
 * What each thread that runs "until the connectors are done" does at
 * least, so that the counts say it ran whatever the scheduler did.
 */
#define RESOLVE_MIN 50
#define CHURN_MIN 40
#define CONNECT_MIN 20
#define POOL_NET 0xc6120000u	/* 198.18.0.0/15, the default peer-pool */
#define POOL_MASK 0xfffe0000u

extern char **environ;

static int wait_ms = 30000;
static atomic_ulong failures;
static atomic_int stop_clients, stop_accepting;
static atomic_int hung;		/* a child hung: no more are started */
static in_port_t listen_port;	/* network byte order */
static int listen_fd = -1;

/* Counters, each printed as "NAME=VALUE" at the end. */
static atomic_ulong n_connects, n_accepted, n_upgraded, n_churn[5];
static atomic_ulong n_raw6, n_pairs, n_dgram6, n_dgram4;
static atomic_ulong n_exec_ok[2], n_fork_ok, n_peer_asked;

static void failf(const char *fmt, ...)
{
	va_list ap;

	if (atomic_fetch_add(&failures, 1) >= MAX_MESSAGES)
		return;
	va_start(ap, fmt);
	fputs("stress-probe: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000;
}

/* Wait up to wait_ms for fd to be readable; false on timeout. */
static bool wait_readable(int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	int rc;

	do
		rc = poll(&p, 1, wait_ms);
	while (rc < 0 && errno == EINTR);
	return rc > 0;
}

/* Read exactly n bytes, each wait bounded; false on EOF, error, timeout. */
static bool read_exact(int fd, void *buf, size_t n)
{
	size_t done = 0;
	ssize_t r;

	while (done < n) {
		if (!wait_readable(fd))
			return false;
		r = read(fd, (char *)buf + done, n - done);
		if (r <= 0)
			return false;
		done += (size_t)r;
	}
	return true;
}

/* The peer closed: read() gives 0 within the wait. */
static bool read_eof(int fd)
{
	char c;

	return wait_readable(fd) && read(fd, &c, 1) == 0;
}

/* How many descriptors the process has open (the directory's not counted). */
static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (!d)
		die("opendir /proc/self/fd");
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1;
}

/* The kernel's family of fd, asked through the system call. */
static int raw_domain(int fd)
{
	int v = -1;
	socklen_t len = sizeof(v);

	if (shim_sys(SYS_getsockopt, fd, SOL_SOCKET, SO_DOMAIN, &v, &len) < 0)
		return -errno;
	return v;
}

/*
 * Check that fd's address from call (getsockname or getpeername) is an
 * AF_INET one at 127.0.0.1, on port want (0: any but 0); its port in *got.
 */
static bool check_inet(const char *who, int (*call)(int, struct sockaddr *,
						     socklen_t *),
		       int fd, in_port_t want, in_port_t *got)
{
	struct sockaddr_storage ss;
	struct sockaddr_in sin;
	socklen_t len = sizeof(ss);

	memset(&ss, 0xa5, sizeof(ss));
	if (call(fd, (struct sockaddr *)&ss, &len) < 0) {
		failf("%s: %s", who, errno_name(errno));
		return false;
	}
	memcpy(&sin, &ss, sizeof(sin));
	if (ss.ss_family != AF_INET || len != sizeof(sin) ||
	    sin.sin_addr.s_addr != htonl(INADDR_LOOPBACK) ||
	    (want ? sin.sin_port != want : sin.sin_port == 0)) {
		failf("%s: family %d length %u address %08x port %u, "
		      "expected AF_INET 127.0.0.1 port %u",
		      who, ss.ss_family, (unsigned)len,
		      ntohl(sin.sin_addr.s_addr), ntohs(sin.sin_port),
		      ntohs(want));
		return false;
	}
	if (got)
		*got = sin.sin_port;
	return true;
}

/* The kernel's own name of an upgraded socket: [::ffff:127.0.0.1]:port. */
static bool check_raw_name(int fd, in_port_t port)
{
	struct sockaddr_in6 sin6;
	socklen_t len = sizeof(sin6);
	struct in6_addr want;

	inet_pton(AF_INET6, "::ffff:127.0.0.1", &want);
	if (shim_sys(SYS_getsockname, fd, &sin6, &len) < 0 ||
	    sin6.sin6_family != AF_INET6 ||
	    memcmp(&sin6.sin6_addr, &want, sizeof(want)) ||
	    sin6.sin6_port != port) {
		failf("raw getsockname: not [::ffff:127.0.0.1]:%u", ntohs(port));
		return false;
	}
	return true;
}

/* An upgraded AF_INET socket: AF_INET to the program, AF_INET6 really. */
static bool check_upgraded(int fd)
{
	int v = -1;
	socklen_t len = sizeof(v);

	if (raw_domain(fd) != AF_INET6) {
		failf("socket %d: kernel family %d, expected AF_INET6", fd,
		      raw_domain(fd));
		return false;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &v, &len) < 0 ||
	    v != AF_INET) {
		failf("socket %d: SO_DOMAIN %d, expected AF_INET", fd, v);
		return false;
	}
	return true;
}

/* ------------------------------------------------------------------------ */
/* The listener and the threads that accept on it. */

/*
 * The listener: an upgraded socket bound to 0.0.0.0 (an IPv4 address is
 * a local address the ipv6 stack lacks: bind() refuses 127.0.0.1 there as
 * fail-local), which the program sees as 0.0.0.0 on its port.
 */
static void listener_make(void)
{
	struct sockaddr_in sin = {.sin_family = AF_INET};
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int one = 1;

	listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (listen_fd < 0 ||
	    setsockopt(listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(listen_fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
	    listen(listen_fd, 4096) < 0 ||
	    fcntl(listen_fd, F_SETFL, O_NONBLOCK) < 0)
		die("listener");
	if (!check_upgraded(listen_fd) ||
	    getsockname(listen_fd, (struct sockaddr *)&ss, &len) < 0)
		die("listener getsockname");
	memcpy(&sin, &ss, sizeof(sin));
	if (ss.ss_family != AF_INET || len != sizeof(sin) ||
	    sin.sin_addr.s_addr != htonl(INADDR_ANY) || !sin.sin_port) {
		fprintf(stderr, "stress-probe: listener: not 0.0.0.0:PORT\n");
		exit(2);
	}
	listen_port = sin.sin_port;
}

/*
 * Accept until told to stop and nothing is left: check each connection's
 * addresses and the port its client says it has, then close it first.
 */
static void *acceptor(void *arg)
{
	unsigned long k = (unsigned long)arg;
	struct sockaddr_storage ss;
	in_port_t peer, said;
	socklen_t len;
	int fd;

	for (;;) {
		len = sizeof(ss);
		fd = k & 1 ? accept4(listen_fd, (struct sockaddr *)&ss, &len,
				     SOCK_CLOEXEC)
			   : accept(listen_fd, (struct sockaddr *)&ss, &len);
		if (fd < 0) {
			if (errno != EAGAIN && errno != EINTR)
				failf("accept: %s", errno_name(errno));
			if (atomic_load(&stop_accepting))
				break;
			struct pollfd p = {.fd = listen_fd, .events = POLLIN};
			poll(&p, 1, 100);
			continue;
		}
		atomic_fetch_add(&n_accepted, 1);
		struct sockaddr_in sin;
		memcpy(&sin, &ss, sizeof(sin));
		if (ss.ss_family != AF_INET || len != sizeof(sin) ||
		    sin.sin_addr.s_addr != htonl(INADDR_LOOPBACK))
			failf("accept: peer family %d length %u, expected "
			      "AF_INET 127.0.0.1", ss.ss_family, (unsigned)len);
		peer = sin.sin_port;
		check_inet("accepted getsockname", getsockname, fd,
			   listen_port, NULL);
		check_inet("accepted getpeername", getpeername, fd, peer,
			   NULL);
		if (!read_exact(fd, &said, sizeof(said)))
			failf("accepted: the client's port did not come");
		else if (said != peer)
			failf("accepted: peer port %u, the client says %u",
			      ntohs(peer), ntohs(said));
		close(fd);
	}
	return NULL;
}

/* ------------------------------------------------------------------------ */
/* One connection through an upgraded socket, and the fd churn around it. */

/*
 * Give fd another number, as kind says, checking that the copy keeps the
 * socket's state; returns the number to use (fd itself for kind 0).
 */
static int churn(int fd, unsigned kind, int cloexec)
{
	int d = fd, p[2];
	socklen_t len;
	struct sockaddr_storage ss;

	switch (kind) {
	case 1:
		d = dup(fd);
		break;
	case 2:
		d = fcntl(fd, cloexec ? F_DUPFD_CLOEXEC : F_DUPFD, 3);
		break;
	case 3:
		/* The pipe's number is first learnt to be no socket. */
		if (pipe2(p, O_CLOEXEC) < 0)
			die("pipe");
		len = sizeof(ss);
		if (getsockname(p[0], (struct sockaddr *)&ss, &len) == 0 ||
		    errno != ENOTSOCK)
			failf("getsockname(pipe): not ENOTSOCK");
		d = dup2(fd, p[0]);
		if (d != p[0])
			failf("dup2: %d", d);
		close(p[1]);
		break;
	case 4:
		if (pipe2(p, O_CLOEXEC) < 0)
			die("pipe");
		d = dup3(fd, p[1], cloexec);
		if (d != p[1])
			failf("dup3: %d", d);
		close(p[0]);
		break;
	default:
		return fd;
	}
	if (d < 0) {
		failf("churn %u: %s", kind, errno_name(errno));
		return fd;
	}
	close(fd);
	atomic_fetch_add(&n_churn[kind], 1);
	return d;
}

/*
 * Connect once through an upgraded socket, checking every address; returns
 * whether every check passed.  churn_kind as churn().
 */
static bool connect_once(unsigned churn_kind, int cloexec)
{
	struct sockaddr_in dst = {.sin_family = AF_INET};
	in_port_t mine;
	bool ok = false;
	int fd;

	dst.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	dst.sin_port = listen_port;
	fd = socket(AF_INET, SOCK_STREAM | cloexec, 0);
	if (fd < 0) {
		failf("socket: %s", errno_name(errno));
		return false;
	}
	if (!check_upgraded(fd))
		goto out;
	atomic_fetch_add(&n_upgraded, 1);
	fd = churn(fd, churn_kind, cloexec);
	if (connect(fd, (struct sockaddr *)&dst, sizeof(dst)) < 0) {
		failf("connect: %s", errno_name(errno));
		goto out;
	}
	if (!check_upgraded(fd) ||
	    !check_inet("getsockname", getsockname, fd, 0, &mine) ||
	    !check_inet("getpeername", getpeername, fd, listen_port, NULL) ||
	    !check_raw_name(fd, mine))
		goto out;
	if (write(fd, &mine, sizeof(mine)) != sizeof(mine)) {
		failf("write: %s", errno_name(errno));
		goto out;
	}
	if (!read_eof(fd)) {
		failf("the listener did not close the connection");
		goto out;
	}
	ok = true;
out:
	close(fd);
	return ok;
}

struct connector_arg {
	unsigned long id, per;	/* per 0: until stop_clients */
	int cloexec;
};

static void *connector(void *p)
{
	struct connector_arg *a = p;
	unsigned long i;

	for (i = 0; a->per ? i < a->per
		    : i < CONNECT_MIN || !atomic_load(&stop_clients);
	     i++)
		if (connect_once((unsigned)((i + a->id) % 5), a->cloexec))
			atomic_fetch_add(&n_connects, 1);
	return NULL;
}

/* ------------------------------------------------------------------------ */
/* Name resolution. */

/*
 * getaddrinfo(), gethostbyname_r(), gethostbyname2_r(), and
 * gethostbyname() only where the library answers itself (a peer-pool
 * address, in a hostent of the calling thread's): libc's own answer would
 * be in its one static hostent, which threads cannot share.
 */
enum rcall { R_GAI, R_GHBN, R_GHBN2, R_GHBN_STATIC };

/* What each case must give: one address of family af, or an error. */
static const struct resolve_case {
	enum rcall call;
	const char *name;
	int family;		/* asked for (getaddrinfo, gethostbyname2_r) */
	int err;		/* EAI_* or h_errno expected, 0: an address */
	int af;			/* the address's family */
	const char *addr;	/* its text; NULL: a peer-pool address */
	int pool;		/* which name's pool address (0, 1) */
} resolve_cases[] = {
	{R_GAI, "conn.stackshim.test", AF_INET, 0, AF_INET, "127.0.0.1", 0},
	{R_GAI, "a.v4.stackshim.test", AF_UNSPEC, 0, AF_INET6,
	 "::ffff:127.0.1.1", 0},
	{R_GAI, "a.v4.stackshim.test", AF_INET6, 0, AF_INET6,
	 "::ffff:127.0.1.1", 0},
	{R_GAI, "b.v4.stackshim.test", AF_INET, 0, AF_INET, "127.0.1.2", 0},
	{R_GAI, "a.v6.stackshim.test", AF_INET, 0, AF_INET, NULL, 0},
	{R_GAI, "b.v6.stackshim.test", AF_INET, 0, AF_INET, NULL, 1},
	{R_GAI, "b.v6.stackshim.test", AF_UNSPEC, 0, AF_INET6, "fd00:5::2", 0},
	{R_GAI, "blocked.stackshim.test", AF_UNSPEC, EAI_NONAME, 0, NULL, 0},
	{R_GAI, "localhost", AF_INET, 0, AF_INET, "127.0.0.1", 0},
	{R_GHBN, "a.v4.stackshim.test", 0, 0, AF_INET, "127.0.1.1", 0},
	{R_GHBN, "a.v6.stackshim.test", 0, 0, AF_INET, NULL, 0},
	{R_GHBN, "blocked.stackshim.test", 0, HOST_NOT_FOUND, 0, NULL, 0},
	{R_GHBN, "localhost", 0, 0, AF_INET, "127.0.0.1", 0},
	{R_GHBN2, "a.v4.stackshim.test", AF_INET6, 0, AF_INET6,
	 "::ffff:127.0.1.1", 0},
	{R_GHBN_STATIC, "b.v6.stackshim.test", 0, 0, AF_INET, NULL, 1},
};
#define NCASES (sizeof(resolve_cases) / sizeof(resolve_cases[0]))

static atomic_ulong n_case[NCASES];
/* The peer-pool address each pool name got first (0: none yet). */
static _Atomic uint32_t pool_addr[2];

/* Check a pool address: inside the pool, and the name's every time. */
static bool check_pool(const char *name, int which, struct in_addr a)
{
	uint32_t v = ntohl(a.s_addr), expected = 0;

	if ((v & POOL_MASK) != POOL_NET) {
		failf("%s: %s is not a peer-pool address", name, inet_ntoa(a));
		return false;
	}
	if (atomic_compare_exchange_strong(&pool_addr[which], &expected, v) ||
	    expected == v)
		return true;
	failf("%s: pool address %08x, before %08x", name, v, expected);
	return false;
}

/* Check a one-address answer against c. */
static bool check_answer(const struct resolve_case *c, int af,
			 const void *addr)
{
	char text[INET6_ADDRSTRLEN] = "?";
	struct in_addr v4;

	if (af != c->af) {
		failf("%s: family %d, expected %d", c->name, af, c->af);
		return false;
	}
	if (!c->addr) {
		memcpy(&v4, addr, sizeof(v4));
		return check_pool(c->name, c->pool, v4);
	}
	inet_ntop(af, addr, text, sizeof(text));
	if (strcmp(text, c->addr)) {
		failf("%s: %s, expected %s", c->name, text, c->addr);
		return false;
	}
	return true;
}

static bool resolve_gai(const struct resolve_case *c)
{
	struct addrinfo hints = {.ai_family = c->family,
				 .ai_socktype = SOCK_STREAM};
	struct addrinfo *res = NULL;
	const void *addr;
	bool ok;
	int rc;

	rc = getaddrinfo(c->name, "80", &hints, &res);
	if (rc != c->err) {
		failf("getaddrinfo %s/%d: %s (%s), expected %s", c->name,
		      c->family, eai_name(rc), gai_strerror(rc),
		      eai_name(c->err));
		if (rc == 0)
			freeaddrinfo(res);
		return false;
	}
	if (rc)
		return true;
	if (res->ai_next) {
		failf("getaddrinfo %s: more than one answer", c->name);
		freeaddrinfo(res);
		return false;
	}
	addr = res->ai_family == AF_INET
		       ? (void *)&((struct sockaddr_in *)res->ai_addr)->sin_addr
		       : (void *)&((struct sockaddr_in6 *)res->ai_addr)
				 ->sin6_addr;
	ok = check_answer(c, res->ai_family, addr);
	freeaddrinfo(res);
	return ok;
}

static bool resolve_ghbn(const struct resolve_case *c)
{
	struct hostent he, *result = NULL;
	char buf[2048];
	int herr = 0, rc = 0;

	if (c->call == R_GHBN_STATIC) {
		result = gethostbyname(c->name);
		herr = h_errno;
		if (result)
			he = *result;
	} else if (c->call == R_GHBN2) {
		rc = gethostbyname2_r(c->name, c->family, &he, buf, sizeof(buf),
				      &result, &herr);
	} else {
		rc = gethostbyname_r(c->name, &he, buf, sizeof(buf), &result,
				     &herr);
	}
	if (c->err) {
		if (result || herr != c->err) {
			failf("gethostbyname_r %s: h_errno %s, expected %s",
			      c->name, herr_name(herr), herr_name(c->err));
			return false;
		}
		return true;
	}
	if (rc || !result) {
		failf("gethostbyname_r %s: %s, h_errno %s", c->name,
		      rc ? errno_name(rc) : "0", herr_name(herr));
		return false;
	}
	if (!he.h_addr_list[0] || he.h_addr_list[1]) {
		failf("gethostbyname_r %s: not one address", c->name);
		return false;
	}
	return check_answer(c, he.h_addrtype, he.h_addr_list[0]);
}

static bool resolve_one(size_t i)
{
	const struct resolve_case *c = &resolve_cases[i];

	atomic_fetch_add(&n_case[i], 1);
	return c->call == R_GAI ? resolve_gai(c) : resolve_ghbn(c);
}

static void *resolver(void *arg)
{
	unsigned long k = (unsigned long)arg, i;

	for (i = 0; i < RESOLVE_MIN || !atomic_load(&stop_clients); i++)
		resolve_one((i + k) % NCASES);
	return NULL;
}

/* ------------------------------------------------------------------------ */
/* Descriptors of other kinds, made, copied and closed. */

/* getsockname() of fd shows family, in a whole address of len bytes. */
static void check_family(const char *who, int fd, int family, socklen_t want)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0 ||
	    ss.ss_family != family || len != want)
		failf("%s: family %d length %u, expected %d and %u", who,
		      ss.ss_family, (unsigned)len, family, (unsigned)want);
}

static void *churner(void *arg)
{
	unsigned long i;
	int fd, d, sv[2];

	(void)arg;
	for (i = 0; i < CHURN_MIN || !atomic_load(&stop_clients); i++) {
		switch (i % 4) {
		case 0:
			/* Made behind the hooks' back: its number's state
			 * must be none, whatever socket had it before. */
			fd = (int)shim_sys(SYS_socket, AF_INET6, SOCK_STREAM, 0);
			if (fd < 0)
				die("raw socket");
			check_family("raw AF_INET6", fd, AF_INET6,
				     sizeof(struct sockaddr_in6));
			close(fd);
			atomic_fetch_add(&n_raw6, 1);
			break;
		case 1:
			if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
				die("socketpair");
			d = dup2(sv[0], sv[1]);
			if (d != sv[1])
				failf("dup2 socketpair: %d", d);
			check_family("AF_UNIX", d, AF_UNIX,
				     sizeof(sa_family_t));
			close(sv[0]);
			close(sv[1]);
			atomic_fetch_add(&n_pairs, 1);
			break;
		case 2:
			fd = socket(AF_INET6, SOCK_DGRAM, 0);
			if (fd < 0)
				die("AF_INET6 socket");
			d = fcntl(fd, F_DUPFD_CLOEXEC, 0);
			close(fd);
			check_family("AF_INET6 dup", d, AF_INET6,
				     sizeof(struct sockaddr_in6));
			close(d);
			atomic_fetch_add(&n_dgram6, 1);
			break;
		default:
			fd = socket(AF_INET, SOCK_DGRAM, 0);
			if (fd < 0)
				die("AF_INET socket");
			d = dup(fd);
			close(fd);
			check_family("AF_INET dup", d, AF_INET,
				     sizeof(struct sockaddr_in));
			if (raw_domain(d) != AF_INET6)
				failf("AF_INET datagram socket not upgraded");
			close(d);
			atomic_fetch_add(&n_dgram4, 1);
			break;
		}
	}
	return NULL;
}

/* ------------------------------------------------------------------------ */

static void start(pthread_t *t, void *(*fn)(void *), void *arg)
{
	int err = pthread_create(t, NULL, fn, arg);

	if (err) {
		errno = err;
		die("pthread_create");
	}
}

static void join(pthread_t t)
{
	pthread_join(t, NULL);
}

static unsigned long number(const char *s, unsigned long max)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);

	if (*s == '\0' || *end || v > max) {
		fprintf(stderr, "stress-probe: bad number %s\n", s);
		exit(2);
	}
	return v;
}

static const char *family_name(int family)
{
	return family == AF_INET ? "inet" : family == AF_INET6 ? "inet6"
							       : "unspec";
}

static void print_counts(void)
{
	const struct resolve_case *c;
	size_t i;

	printf("port=%u\nconnects=%lu\naccepted=%lu\nupgraded=%lu\n",
	       ntohs(listen_port), atomic_load(&n_connects),
	       atomic_load(&n_accepted), atomic_load(&n_upgraded));
	for (i = 1; i < 5; i++)
		printf("churn%zu=%lu\n", i, atomic_load(&n_churn[i]));
	printf("raw6=%lu\npairs=%lu\ndgram6=%lu\ndgram4=%lu\n",
	       atomic_load(&n_raw6), atomic_load(&n_pairs),
	       atomic_load(&n_dgram6), atomic_load(&n_dgram4));
	/* Each case as CALL/NAME or CALL/FAMILY/NAME. */
	for (i = 0; i < NCASES; i++) {
		c = &resolve_cases[i];
		if (c->call == R_GAI || c->call == R_GHBN2)
			printf("%s/%s/%s=%lu\n",
			       c->call == R_GAI ? "gai" : "ghbn2",
			       family_name(c->family), c->name,
			       atomic_load(&n_case[i]));
		else
			printf("%s/%s=%lu\n",
			       c->call == R_GHBN ? "ghbn" : "ghbn_static",
			       c->name, atomic_load(&n_case[i]));
	}
}

static int run_threads(char **argv)
{
	unsigned long nconn = number(argv[0], MAX_THREADS),
		      per = number(argv[1], 1000000),
		      nres = number(argv[2], MAX_THREADS),
		      nchurn = number(argv[3], MAX_THREADS), i;
	pthread_t acc[4], conn[MAX_THREADS], res[MAX_THREADS],
		churners[MAX_THREADS];
	struct connector_arg args[MAX_THREADS];
	int before, after;
	size_t c;

	listener_make();
	/* Every case once, alone, first: the name of 127.0.0.1 is known
	 * before the first connect, and the log's descriptor is open. */
	for (c = 0; c < NCASES; c++)
		resolve_one(c);
	before = count_fds();
	for (i = 0; i < 4; i++)
		start(&acc[i], acceptor, (void *)i);
	for (i = 0; i < nres; i++)
		start(&res[i], resolver, (void *)i);
	for (i = 0; i < nchurn; i++)
		start(&churners[i], churner, NULL);
	for (i = 0; i < nconn; i++) {
		args[i] = (struct connector_arg){i, per, 0};
		start(&conn[i], connector, &args[i]);
	}
	for (i = 0; i < nconn; i++)
		join(conn[i]);
	atomic_store(&stop_clients, 1);
	for (i = 0; i < nres; i++)
		join(res[i]);
	for (i = 0; i < nchurn; i++)
		join(churners[i]);
	atomic_store(&stop_accepting, 1);
	for (i = 0; i < 4; i++)
		join(acc[i]);
	after = count_fds();
	print_counts();
	printf("fds_before=%d\nfds_after=%d\n", before, after);
	printf("failures=%lu\n", atomic_load(&failures));
	return atomic_load(&failures) ? 1 : 0;
}

/* ------------------------------------------------------------------------ */
/* fork() and exec(). */

static char self[4096];
static char **env_ipv4;		/* environ with STACKSHIM_STACK=ipv4 */

/* Print the stacks of pid's threads with gdb, when STRESS_GDB says where. */
static void stacks(pid_t pid)
{
	const char *gdb = getenv("STRESS_GDB");
	char spid[16], *argv[] = {(char *)"gdb", (char *)"-batch", (char *)"-p",
				  spid, (char *)"-ex",
				  (char *)"thread apply all bt", NULL};
	char *envp[] = {(char *)"PATH=/usr/bin:/bin", NULL};
	posix_spawn_file_actions_t fa;
	pid_t g;
	int st;

	if (!gdb || !*gdb)
		return;
	snprintf(spid, sizeof(spid), "%d", (int)pid);
	fprintf(stderr, "stress-probe: the stacks of %d:\n", (int)pid);
	fflush(stderr);
	/* gdb without LD_PRELOAD: not under the library, nor a sanitizer;
	 * its output on stderr, where the failures are. */
	if (posix_spawn_file_actions_init(&fa))
		return;
	posix_spawn_file_actions_adddup2(&fa, STDERR_FILENO, STDOUT_FILENO);
	if (posix_spawn(&g, gdb, &fa, NULL, argv, envp) == 0)
		waitpid(g, &st, 0);
	posix_spawn_file_actions_destroy(&fa);
}

/*
 * Wait for pid, at most wait_ms; a child still running then is a hang:
 * its stacks are printed, it is killed, and -1 returned.  Else its status.
 */
static int wait_child(pid_t pid, const char *what)
{
	long deadline = now_ms() + wait_ms;
	struct timespec pause = {0, 1000000};
	int st;
	pid_t r;

	for (;;) {
		r = waitpid(pid, &st, WNOHANG);
		if (r == pid)
			return st;
		if (r < 0 && errno != EINTR) {
			failf("waitpid %d: %s", (int)pid, errno_name(errno));
			return -1;
		}
		if (now_ms() > deadline)
			break;
		nanosleep(&pause, NULL);
	}
	atomic_store(&hung, 1);
	failf("HANG: %s child %d did not finish within %d ms", what,
	      (int)pid, wait_ms);
	stacks(pid);
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	return -1;
}

static atomic_ulong exec_next;
static unsigned long exec_total;

/* fork()+exec() children until exec_total are started; two threads. */
static void *exec_loop(void *arg)
{
	char port[16], fdtext[16], line[64];
	unsigned long n;
	const char *stack;
	char *argv[6];
	ssize_t r;
	pid_t pid;
	int p[2], st;

	(void)arg;
	snprintf(port, sizeof(port), "%u", ntohs(listen_port));
	while (!atomic_load(&hung) &&
	       (n = atomic_fetch_add(&exec_next, 1)) < exec_total) {
		stack = n % 2 ? "ipv4" : "ipv6";
		if (pipe2(p, O_CLOEXEC) < 0)
			die("pipe");
		snprintf(fdtext, sizeof(fdtext), "%d", p[1]);
		argv[0] = (char *)"stress-probe";
		argv[1] = (char *)"child";
		argv[2] = (char *)stack;
		argv[3] = port;
		argv[4] = fdtext;
		argv[5] = NULL;
		pid = fork();
		if (pid < 0)
			die("fork");
		if (pid == 0) {
			/* Only the report pipe is inherited (the rest is
			 * close-on-exec): the hooked fcntl() of a child of
			 * a threaded parent, before exec. */
			if (fcntl(p[1], F_SETFD, 0) == 0)
				execve(self, argv, n % 2 ? env_ipv4 : environ);
			_exit(127);
		}
		close(p[1]);
		memset(line, 0, sizeof(line));
		r = 0;
		if (wait_readable(p[0]))
			r = read(p[0], line, sizeof(line) - 1);
		close(p[0]);
		st = wait_child(pid, "exec'd");
		if (st < 0)
			continue;
		if (r > 0 && !strncmp(line, "ok ", 3) &&
		    !strncmp(line + 3, stack, 4) && WIFEXITED(st) &&
		    WEXITSTATUS(st) == 0)
			atomic_fetch_add(&n_exec_ok[n % 2], 1);
		else
			failf("exec'd child %lu (%s): status %#x, said \"%.*s\"",
			      n, stack, st, (int)strcspn(line, "\n"), line);
	}
	return NULL;
}

/*
 * A forked child's calls, made at once: each takes the library's lock (the
 * peer-pool, the name memory, the name looked up by connect()) and logs.
 */
static bool forked_case(size_t i)
{
	const struct resolve_case *c = &resolve_cases[i];

	/* getaddrinfo() of the pool names (AF_INET), and of b.v4. */
	return c->call == R_GAI &&
	       ((!c->addr && !c->err) || !strcmp(c->name, "b.v4.stackshim.test"));
}

static int forked_child(void)
{
	size_t i;
	int bad = 0;

	for (i = 0; i < NCASES; i++)
		if (forked_case(i))
			bad |= !resolve_one(i);
	bad |= !connect_once(0, SOCK_CLOEXEC);
	return bad || atomic_load(&failures);
}

static unsigned long fork_total;

/*
 * The lock held as often as can be while the children are forked: an
 * upgraded socket connected to a native IPv6 peer, [::1], behind the
 * hooks' back, whose getpeername() asks the peer-pool (under the lock)
 * for its address every time; it must be the same every time.
 */
struct locker_arg {
	int fd;
	in_port_t port;		/* the peer's, network byte order */
};

static void *locker(void *p)
{
	struct locker_arg *a = p;
	struct sockaddr_storage ss;
	struct sockaddr_in sin;
	uint32_t first = 0;
	socklen_t len;
	unsigned long i;

	for (i = 0; i < CONNECT_MIN || !atomic_load(&stop_clients); i++) {
		len = sizeof(ss);
		if (getpeername(a->fd, (struct sockaddr *)&ss, &len) < 0) {
			failf("getpeername [::1]: %s", errno_name(errno));
			break;
		}
		memcpy(&sin, &ss, sizeof(sin));
		if (ss.ss_family != AF_INET || len != sizeof(sin) ||
		    sin.sin_port != a->port ||
		    (ntohl(sin.sin_addr.s_addr) & POOL_MASK) != POOL_NET ||
		    (first && sin.sin_addr.s_addr != first)) {
			failf("getpeername [::1]: not one peer-pool address");
			break;
		}
		first = sin.sin_addr.s_addr;
		atomic_fetch_add(&n_peer_asked, 1);
	}
	return NULL;
}

/* Connect the lockers' sockets to a listener on [::1]. */
static void lockers_connect(struct locker_arg *a, int n, int *l6)
{
	struct sockaddr_in6 sin6 = {.sin6_family = AF_INET6,
				    .sin6_addr = IN6ADDR_LOOPBACK_INIT};
	socklen_t len = sizeof(sin6);
	int i;

	*l6 = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (*l6 < 0 || bind(*l6, (struct sockaddr *)&sin6, sizeof(sin6)) ||
	    listen(*l6, n) ||
	    getsockname(*l6, (struct sockaddr *)&sin6, &len))
		die("listener on [::1]");
	for (i = 0; i < n; i++) {
		a[i].port = sin6.sin6_port;
		a[i].fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (a[i].fd < 0 || !check_upgraded(a[i].fd) ||
		    shim_sys(SYS_connect, a[i].fd, &sin6, sizeof(sin6)) < 0)
			die("connect to [::1]");
	}
}

static void *fork_loop(void *arg)
{
	unsigned long n;
	size_t i;
	pid_t pid;
	int st;

	(void)arg;
	for (n = 0; n < fork_total && !atomic_load(&hung); n++) {
		pid = fork();
		if (pid < 0)
			die("fork");
		if (pid == 0)
			_exit(forked_child());
		st = wait_child(pid, "forked");
		if (st < 0)
			continue;
		if (WIFEXITED(st) && WEXITSTATUS(st) == 0) {
			atomic_fetch_add(&n_fork_ok, 1);
			/* Counted here: the child's counts die with it. */
			for (i = 0; i < NCASES; i++)
				if (forked_case(i))
					atomic_fetch_add(&n_case[i], 1);
		} else
			failf("forked child %lu: status %#x", n, st);
	}
	return NULL;
}

static int run_forks(char **argv)
{
	unsigned long nconn = number(argv[2], MAX_THREADS), i;
	pthread_t acc[4], conn[MAX_THREADS], ex[2], fk, lk[2];
	struct connector_arg args[MAX_THREADS];
	struct locker_arg largs[2];
	int l6;
	size_t c, n = 0;
	int before, after;
	ssize_t len;

	exec_total = number(argv[0], 1000000);
	fork_total = number(argv[1], 1000000);
	len = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (len <= 0)
		die("readlink /proc/self/exe");
	self[len] = '\0';
	while (environ[n])
		n++;
	env_ipv4 = calloc(n + 2, sizeof(*env_ipv4));
	if (!env_ipv4)
		die("calloc");
	memcpy(env_ipv4, environ, n * sizeof(*env_ipv4));
	env_ipv4[n] = (char *)"STACKSHIM_STACK=ipv4";

	listener_make();
	/* The parent's pool addresses and names, which a forked child
	 * must find again. */
	for (c = 0; c < NCASES; c++)
		resolve_one(c);
	before = count_fds();
	lockers_connect(largs, 2, &l6);
	for (i = 0; i < 2; i++)
		start(&lk[i], locker, &largs[i]);
	for (i = 0; i < 4; i++)
		start(&acc[i], acceptor, (void *)i);
	for (i = 0; i < nconn; i++) {
		args[i] = (struct connector_arg){i, 0, SOCK_CLOEXEC};
		start(&conn[i], connector, &args[i]);
	}
	for (i = 0; i < 2; i++)
		start(&ex[i], exec_loop, NULL);
	start(&fk, fork_loop, NULL);
	for (i = 0; i < 2; i++)
		join(ex[i]);
	join(fk);
	atomic_store(&stop_clients, 1);
	for (i = 0; i < nconn; i++)
		join(conn[i]);
	for (i = 0; i < 2; i++) {
		join(lk[i]);
		close(largs[i].fd);
	}
	/* The lockers' connections, never accepted, go with it. */
	close(l6);
	atomic_store(&stop_accepting, 1);
	for (i = 0; i < 4; i++)
		join(acc[i]);
	after = count_fds();
	print_counts();
	printf("fds_before=%d\nfds_after=%d\n", before, after);
	printf("exec_ipv6_ok=%lu\nexec_ipv4_ok=%lu\nfork_ok=%lu\n"
	       "lockers=2\npeer_asked=%lu\n",
	       atomic_load(&n_exec_ok[0]), atomic_load(&n_exec_ok[1]),
	       atomic_load(&n_fork_ok), atomic_load(&n_peer_asked));
	printf("failures=%lu\n", atomic_load(&failures));
	return atomic_load(&failures) ? 1 : 0;
}

/* ------------------------------------------------------------------------ */
/* The exec'd child. */

static int run_child(char **argv)
{
	int fd, out = (int)number(argv[2], 1 << 20);
	bool v6 = !strcmp(argv[0], "ipv6");
	char line[16];

	listen_port = htons((in_port_t)number(argv[1], 65535));
	if (v6) {
		if (!connect_once(0, SOCK_CLOEXEC))
			return 1;
		fd = socket(AF_INET6, SOCK_STREAM, 0);
		if (fd < 0) {
			failf("ipv6 stack: AF_INET6 socket: %s",
			      errno_name(errno));
			return 1;
		}
		close(fd);
	} else {
		fd = socket(AF_INET6, SOCK_STREAM, 0);
		if (fd >= 0 || errno != EAFNOSUPPORT) {
			failf("ipv4 stack: AF_INET6 socket: %d %s", fd,
			      errno_name(errno));
			return 1;
		}
		fd = socket(AF_INET, SOCK_STREAM, 0);
		if (fd < 0 || raw_domain(fd) != AF_INET) {
			failf("ipv4 stack: AF_INET socket upgraded or refused");
			return 1;
		}
		close(fd);
	}
	snprintf(line, sizeof(line), "ok %s\n", argv[0]);
	if (write(out, line, strlen(line)) != (ssize_t)strlen(line))
		return 1;
	return 0;
}

int main(int argc, char **argv)
{
	const char *w = getenv("STRESS_WAIT");

	if (w && *w)
		wait_ms = (int)number(w, 3600) * 1000;
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 6 && !strcmp(argv[1], "threads"))
		return run_threads(argv + 2);
	if (argc == 5 && !strcmp(argv[1], "forks"))
		return run_forks(argv + 2);
	if (argc == 5 && !strcmp(argv[1], "child"))
		return run_child(argv + 2);
	fprintf(stderr, "usage: stress-probe threads CONNECTORS PER RESOLVERS "
			"CHURNERS | forks EXECS FORKS CONNECTORS | child "
			"ipv6|ipv4 PORT FD\n");
	return 2;
}
