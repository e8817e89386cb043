/* SPDX-License-Identifier: MIT */
/*
 * fdlife.c - the program tests/shim/fdlife.sh runs, with and without the
 * library preloaded, to follow an AF_INET socket through its fd's life:
 * copies (dup, dup2, dup3, fcntl F_DUPFD), closes (close, close_range,
 * closefrom, fclose), fork, exec, and sockets received by SCM_RIGHTS.
 *
 *   fdlife CASE           run one case (see cases[] below)
 *   fdlife exec2 L C P    the image "exec" executes into (internal)
 *
 * Each socket looked at is reported on one line, "LABEL: k=K n=N c=C":
 * K the family the kernel really has (SO_DOMAIN through the system call,
 * which no hook sees), N the family and length getsockname() shows the
 * program, C the result of a connect() to this run's own listener of the
 * family the program is shown (127.0.0.1 or ::1), or "-" when none is
 * made.  Other results are "LABEL: key=value ..." with errno values by
 * name.  The listeners are made by system calls, so that the library
 * never touches them, on loopback only.  Every run ends itself with
 * alarm(), so that a deadlock is a failure rather than a hang.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "probe.h"
#include "../../shim/sys.h"

#ifndef IPV6_FLOWINFO_SEND
#define IPV6_FLOWINFO_SEND 33 /* the shim's upgrade mark, see shim/shim.h */
#endif

/* The ports of this run's listeners on 127.0.0.1 and ::1. */
static unsigned port4, port6;

/* The result of a call: 0, or the name of its errno. */
static const char *result(long rc)
{
	return rc < 0 ? errno_name(errno) : "0";
}

static const char *family_name(int family)
{
	static char other[32];

	switch (family) {
	case AF_INET:
		return "AF_INET";
	case AF_INET6:
		return "AF_INET6";
	case AF_UNIX:
		return "AF_UNIX";
	}
	snprintf(other, sizeof(other), "family%d", family);
	return other;
}

/* An int socket option read by the system call itself. */
static int raw_sockopt(int fd, int level, int name, int *value)
{
	socklen_t len = sizeof(*value);

	return (int)shim_sys(SYS_getsockopt, fd, level, name, value, &len);
}

static int raw_setopt(int fd, int level, int name, int value)
{
	return (int)shim_sys(SYS_setsockopt, fd, level, name, &value,
			     sizeof(value));
}

/* A socket made and closed behind the library's back. */
static int raw_socket(int domain, int type)
{
	return (int)shim_sys(SYS_socket, domain, type, 0);
}

static void raw_close(int fd)
{
	shim_sys(SYS_close, fd);
}

/* An AF_INET6 socket the library never saw made, marked as fdstate marks
 * upgraded ones when mark is set. */
static int raw_inet6(bool mark)
{
	int fd = raw_socket(AF_INET6, SOCK_STREAM);

	raw_setopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, 0);
	if (mark)
		raw_setopt(fd, IPPROTO_IPV6, IPV6_FLOWINFO_SEND, 1);
	return fd;
}

/*
 * A new AF_INET socket that only the library's memory knows as upgraded,
 * if it is: its upgrade mark is taken off (for a plain AF_INET socket,
 * without the library, the kernel refuses, and nothing changes).  Should
 * a hook lose the socket's state, the library cannot learn it back from
 * the kernel, and the program is shown the AF_INET6 socket it really is.
 */
static int upgraded(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	raw_setopt(fd, IPPROTO_IPV6, IPV6_FLOWINFO_SEND, 0);
	return fd;
}

/* What the kernel says fd is: its SO_DOMAIN, or the errno of asking. */
static const char *kernel_family(int fd)
{
	int domain;

	if (raw_sockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain) < 0)
		return errno_name(errno);
	return family_name(domain);
}

/* The listener of family, as an address to connect() to. */
static socklen_t listener_addr(int family, struct sockaddr_storage *ss)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((unsigned short)port4);
		sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		return sizeof(*sin);
	}
	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = htons((unsigned short)port6);
	sin6->sin6_addr = in6addr_loopback;
	return sizeof(*sin6);
}

enum { NAME_ONLY, CONNECT };

/* Report fd as the header says; with CONNECT, connect it too. */
static void view(const char *label, int fd, int how)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char n[64];
	const char *c = "-";
	int family;

	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0) {
		snprintf(n, sizeof(n), "%s", errno_name(errno));
		family = -1;
	} else {
		snprintf(n, sizeof(n), "%s/%u", family_name(ss.ss_family),
			 (unsigned)len);
		family = ss.ss_family;
	}
	if (how == CONNECT && (family == AF_INET || family == AF_INET6)) {
		len = listener_addr(family, &ss);
		c = result(connect(fd, (struct sockaddr *)&ss, len));
	}
	printf("%s: k=%s n=%s c=%s\n", label, kernel_family(fd), n, c);
}

static int cloexec(int fd)
{
	int flags = fcntl(fd, F_GETFD);

	return flags < 0 ? -1 : !!(flags & FD_CLOEXEC);
}

/*
 * A free fd number that the library, if it is there, remembers as a
 * native AF_INET6 socket's (or an upgraded one's with upgraded): the
 * socket is made through socket() and closed by the system call, which
 * the library cannot see.  A copy that lands on it and is not given its
 * own state by the library shows that stale state.
 */
static int stale(bool upgraded)
{
	int fd = socket(upgraded ? AF_INET : AF_INET6, SOCK_STREAM, 0);

	raw_close(fd);
	return fd;
}

/* A listener made through system calls on loopback; its port. */
static unsigned raw_listener(int family)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd = raw_socket(family, SOCK_STREAM);

	if (family == AF_INET6)
		raw_setopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, 1);
	len = listener_addr(family, &ss);
	/* Port 0: the kernel picks one. */
	((struct sockaddr_in *)&ss)->sin_port = 0;
	if (fd < 0 || shim_sys(SYS_bind, fd, &ss, len) < 0 ||
	    shim_sys(SYS_listen, fd, 128) < 0) {
		fprintf(stderr, "fdlife: listener: %s\n", errno_name(errno));
		exit(99);
	}
	len = sizeof(ss);
	shim_sys(SYS_getsockname, fd, &ss, &len);
	return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

static void case_dup(void)
{
	int up = upgraded(), old = stale(false), fd;

	fd = dup(up);
	printf("dup: rc=%s reused=%d\n", result(fd), fd == old);
	view("dup copy", fd, CONNECT);
	view("dup original", up, NAME_ONLY);
	close(fd);
	view("dup original after the copy's close", up, NAME_ONLY);
	old = stale(false);
	printf("dup bad fd: rc=%s\n", result(dup(old)));
	printf("dup -1: rc=%s\n", result(dup(-1)));
}

/* dup2 or dup3 onto a live native AF_INET6 socket, and their failures. */
static void case_dup23(bool three)
{
	const char *name = three ? "dup3" : "dup2";
	int up = upgraded();
	int native = socket(AF_INET6, SOCK_STREAM, 0);
	int up2 = upgraded();
	int target = socket(AF_INET6, SOCK_STREAM, 0);
	int rc, old;
	char label[80];

	rc = three ? dup3(up, target, O_CLOEXEC) : dup2(up, target);
	printf("%s onto native: rc=%s same=%d cloexec=%d\n", name, result(rc),
	       rc == target, cloexec(target));
	snprintf(label, sizeof(label), "%s copy", name);
	view(label, target, CONNECT);
	rc = three ? dup3(up, up, 0) : dup2(up, up);
	printf("%s onto itself: rc=%s\n", name, rc == up ? "fd" : result(rc));
	snprintf(label, sizeof(label), "%s original", name);
	view(label, up, NAME_ONLY);
	old = stale(false);
	rc = three ? dup3(old, up2, 0) : dup2(old, up2);
	printf("%s of a closed fd: rc=%s\n", name, result(rc));
	snprintf(label, sizeof(label), "%s failed, target kept", name);
	view(label, up2, NAME_ONLY);
	rc = three ? dup3(native, up2, 0) : dup2(native, up2);
	printf("%s native onto upgraded: rc=%s\n", name,
	       rc == up2 ? "fd" : result(rc));
	snprintf(label, sizeof(label), "%s native copy", name);
	view(label, up2, CONNECT);
}

static void case_dup2(void)
{
	case_dup23(false);
}

static void case_dup3(void)
{
	case_dup23(true);
}

/*
 * The third argument must reach the kernel whole: an OFD lock taken on one
 * open of a file is seen through another, by a struct flock pointer.
 */
static void fcntl_lock_passes(const char *name, int (*call)(int, int, ...))
{
	char path[] = "/tmp/fdlife.XXXXXX";
	struct flock lock = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
	int a = mkstemp(path), b = open(path, O_RDWR | O_CLOEXEC), rc;

	unlink(path);
	rc = call(a, F_OFD_SETLK, &lock);
	memset(&lock, 0, sizeof(lock));
	lock.l_type = F_RDLCK;
	lock.l_whence = SEEK_SET;
	rc = rc < 0 ? rc : call(b, F_OFD_GETLK, &lock);
	printf("%s F_OFD_GETLK: rc=%s type=%s pid=%d\n", name, result(rc),
	       lock.l_type == F_WRLCK ? "F_WRLCK" : "other", lock.l_pid);
	close(a);
	close(b);
}

static void case_fcntl(void)
{
	static const struct {
		const char *name;
		int (*call)(int, int, ...);
		int cmd;
	} dups[] = {
		{"F_DUPFD", fcntl, F_DUPFD},
		{"F_DUPFD_CLOEXEC", fcntl, F_DUPFD_CLOEXEC},
		{"fcntl64 F_DUPFD", fcntl64, F_DUPFD},
		{"fcntl64 F_DUPFD_CLOEXEC", fcntl64, F_DUPFD_CLOEXEC},
	};
	char label[80];
	size_t i;
	int up, old, fd, rc;

	for (i = 0; i < sizeof(dups) / sizeof(dups[0]); i++) {
		up = upgraded();
		old = stale(false);
		fd = dups[i].call(up, dups[i].cmd, 0);
		printf("%s: rc=%s reused=%d cloexec=%d\n", dups[i].name,
		       result(fd), fd == old, cloexec(fd));
		snprintf(label, sizeof(label), "%s copy", dups[i].name);
		view(label, fd, CONNECT);
		snprintf(label, sizeof(label), "%s original", dups[i].name);
		view(label, up, NAME_ONLY);
	}
	up = upgraded();
	fd = fcntl(up, F_DUPFD, 300);
	printf("F_DUPFD 300: rc=%s above=%d\n", result(fd), fd >= 300);
	view("F_DUPFD 300 copy", fd, CONNECT);
	printf("F_DUPFD bad fd: rc=%s\n", result(fcntl(-1, F_DUPFD, 0)));
	printf("F_DUPFD -1: rc=%s\n", result(fcntl(up, F_DUPFD, -1)));
	rc = fcntl(up, F_SETFL, O_NONBLOCK);
	printf("F_SETFL O_NONBLOCK: rc=%s nonblock=%d\n", result(rc),
	       !!(fcntl(up, F_GETFL) & O_NONBLOCK));
	fcntl_lock_passes("fcntl", fcntl);
	fcntl_lock_passes("fcntl64", fcntl64);
}

static void case_close(void)
{
	int up = upgraded(), fd, sv[2];

	view("close: before", up, NAME_ONLY);
	close(up);
	fd = raw_inet6(false);
	printf("close then raw AF_INET6: reused=%d\n", fd == up);
	view("close reused by raw AF_INET6", fd, CONNECT);
	up = upgraded();
	close(up);
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	printf("close then socketpair: reused=%d\n", sv[0] == up);
	view("close reused by AF_UNIX", sv[0], NAME_ONLY);
}

/*
 * A number beyond the table's first chunk (4096 fds), to show that a
 * range is cleared in every chunk it covers; -1 when RLIMIT_NOFILE has no
 * room for one.
 */
static int high_fd(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_max <= 4200)
		return -1;
	rl.rlim_cur = rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
	return 4200;
}

/* Three upgraded sockets at a, a+1, a+2 and one at a high number. */
static int make_range(int *high)
{
	int a = upgraded();

	upgraded();
	upgraded();
	*high = high_fd();
	if (*high >= 0)
		dup2(a, *high);
	else
		fprintf(stderr, "fdlife: RLIMIT_NOFILE too low: one chunk\n");
	return a;
}

/* The numbers from a on, and high, taken by raw AF_INET6 sockets. */
static void reuse_range(const char *name, int a, int high)
{
	char label[80];
	int i, fd, fds[3];

	for (i = 0; i < 3; i++) {
		fds[i] = raw_inet6(false);
		printf("%s reused %d: same=%d\n", name, i, fds[i] == a + i);
	}
	for (i = 0; i < 3; i++) {
		snprintf(label, sizeof(label), "%s reused %d", name, i);
		view(label, fds[i], CONNECT);
	}
	if (high >= 0) {
		fd = raw_inet6(false);
		shim_sys(SYS_dup3, fd, high, 0);
		raw_close(fd);
	} else {
		high = raw_inet6(false);
	}
	snprintf(label, sizeof(label), "%s reused high", name);
	view(label, high, CONNECT);
	for (i = 0; i < 3; i++)
		raw_close(fds[i]);
	raw_close(high);
}

static void case_close_range(void)
{
	int a, high, i;
	char label[80];

	a = make_range(&high);
	printf("close_range CLOEXEC: rc=%s\n",
	       result(close_range(a, ~0U, CLOSE_RANGE_CLOEXEC)));
	for (i = 0; i < 3; i++) {
		snprintf(label, sizeof(label), "close_range CLOEXEC kept %d",
			 i);
		printf("%s: cloexec=%d\n", label, cloexec(a + i));
		view(label, a + i, NAME_ONLY);
	}
	printf("close_range reversed: rc=%s\n",
	       result(close_range(a + 2, a, 0)));
	printf("close_range bad flag: rc=%s\n",
	       result(close_range(a, ~0U, 1 << 30)));
	view("close_range refused, kept", a, NAME_ONLY);
	printf("close_range to ~0U: rc=%s\n", result(close_range(a, ~0U, 0)));
	reuse_range("close_range", a, high);

	a = make_range(&high);
	printf("close_range UNSHARE: rc=%s\n",
	       result(close_range(a, ~0U, CLOSE_RANGE_UNSHARE)));
	reuse_range("close_range UNSHARE", a, high);

	a = make_range(&high);
	printf("close_range a+1..a+1: rc=%s\n",
	       result(close_range(a + 1, a + 1, 0)));
	view("close_range below, kept", a, NAME_ONLY);
	view("close_range above, kept", a + 2, NAME_ONLY);
}

static void case_closefrom(void)
{
	int a, high;

	a = make_range(&high);
	closefrom(a);
	reuse_range("closefrom", a, high);
}

static void case_fclose(void)
{
	int up = upgraded(), fd;
	FILE *fp = fdopen(up, "r+");
	char buf[8];

	view("fdopen stream", fileno(fp), CONNECT);
	printf("fclose: rc=%s\n", result(fclose(fp)));
	fd = raw_inet6(false);
	printf("fclose then raw AF_INET6: reused=%d\n", fd == up);
	view("fclose reused by raw AF_INET6", fd, CONNECT);
	fp = fmemopen(buf, sizeof(buf), "r");
	printf("fclose of a memory stream: rc=%s\n", result(fclose(fp)));
}

static void case_fork(void)
{
	int up = upgraded(), status = -1;
	pid_t pid;

	view("fork: before", up, NAME_ONLY);
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		alarm(30);
		view("fork child: inherited", up, CONNECT);
		view("fork child: new", socket(AF_INET, SOCK_STREAM, 0),
		     CONNECT);
		fflush(stdout);
		_exit(0);
	}
	waitpid(pid, &status, 0);
	printf("fork child: status=%d\n", status);
	view("fork parent: after", up, NAME_ONLY);
	view("fork parent: new", socket(AF_INET, SOCK_STREAM, 0), CONNECT);
}

#define STORM_THREADS 4
#define STORM_FORKS   200

static atomic_bool storm_stop;
static atomic_int storm_bad;

/* Whether fd shows as the program's AF_INET socket. */
static bool looks_inet(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	return getsockname(fd, (struct sockaddr *)&ss, &len) == 0 &&
	       ss.ss_family == AF_INET && len == sizeof(struct sockaddr_in);
}

static void *storm_thread(void *arg)
{
	int fd, copy;

	(void)arg;
	while (!atomic_load(&storm_stop)) {
		fd = socket(AF_INET, SOCK_STREAM, 0);
		copy = dup(fd);
		if (!looks_inet(fd) || !looks_inet(copy))
			atomic_fetch_add(&storm_bad, 1);
		close(copy);
		close(fd);
	}
	return NULL;
}

/* Forks while other threads make, copy and close sockets. */
static void case_forkstorm(void)
{
	pthread_t threads[STORM_THREADS];
	int i, ok = 0, status, fd;
	pid_t pid;

	/*
	 * The library initialised first: what this case is about is forks
	 * while threads use sockets.  A child forked while the parent is
	 * still initialising initialises again, which allocates; under
	 * ASan's allocator (not fork-safe in gcc 12's libasan) that child
	 * deadlocked in 1 of 200 forks, seen with gdb in policy_new()'s
	 * calloc().  That a hook may allocate there is issue 17's to fix.
	 */
	close(socket(AF_INET, SOCK_STREAM, 0));
	for (i = 0; i < STORM_THREADS; i++)
		pthread_create(&threads[i], NULL, storm_thread, NULL);
	fflush(stdout);
	for (i = 0; i < STORM_FORKS; i++) {
		pid = fork();
		if (pid == 0) {
			alarm(30);
			fd = socket(AF_INET, SOCK_STREAM, 0);
			ok = looks_inet(fd) && looks_inet(dup(fd));
			_exit(close(fd) == 0 && ok ? 0 : 1);
		}
		if (pid > 0 && waitpid(pid, &status, 0) == pid &&
		    WIFEXITED(status) && WEXITSTATUS(status) == 0)
			ok++;
	}
	atomic_store(&storm_stop, true);
	for (i = 0; i < STORM_THREADS; i++)
		pthread_join(threads[i], NULL);
	printf("forkstorm: forks=%d ok=%d thread-errors=%d\n", STORM_FORKS, ok,
	       atomic_load(&storm_bad));
}

/*
 * An upgraded listener and an upgraded connected socket, inherited by a
 * new image of this program with the environment as it is.
 */
static void case_exec(void)
{
	struct sockaddr_in sin = {.sin_family = AF_INET};
	socklen_t len = sizeof(sin);
	int l = socket(AF_INET, SOCK_STREAM, 0);
	int c = socket(AF_INET, SOCK_STREAM, 0);
	char ls[16], cs[16], ps[16], p4[16], p6[16];

	if (bind(l, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
	    listen(l, 8) < 0 ||
	    getsockname(l, (struct sockaddr *)&sin, &len) < 0) {
		printf("exec: listener=%s\n", errno_name(errno));
		return;
	}
	view("exec: listener before", l, NAME_ONLY);
	view("exec: connected before", c, CONNECT);
	snprintf(ls, sizeof(ls), "%d", l);
	snprintf(cs, sizeof(cs), "%d", c);
	snprintf(ps, sizeof(ps), "%u", ntohs(sin.sin_port));
	snprintf(p4, sizeof(p4), "%u", port4);
	snprintf(p6, sizeof(p6), "%u", port6);
	fflush(stdout);
	execl("/proc/self/exe", "fdlife", "exec2", ls, cs, ps, p4, p6,
	      (char *)NULL);
	printf("exec: execl=%s\n", errno_name(errno));
}

static void exec2(char **argv)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int l = atoi(argv[0]), c = atoi(argv[1]), fd;

	port4 = (unsigned)atoi(argv[3]);
	port6 = (unsigned)atoi(argv[4]);
	view("exec: listener inherited", l, NAME_ONLY);
	view("exec: connected inherited", c, NAME_ONLY);
	if (getpeername(c, (struct sockaddr *)&ss, &len) < 0)
		printf("exec: connected peer: %s\n", errno_name(errno));
	else
		printf("exec: connected peer: %s/%u\n",
		       family_name(ss.ss_family), (unsigned)len);
	/* A new AF_INET socket, still upgraded, to the inherited listener. */
	port4 = (unsigned)atoi(argv[2]);
	view("exec: new to inherited listener", socket(AF_INET, SOCK_STREAM, 0),
	     CONNECT);
	fd = accept(l, NULL, NULL);
	view("exec: accepted", fd, NAME_ONLY);
}

/*
 * Two AF_INET6 sockets made behind the library's back, one bearing the
 * upgrade mark, passed through a socketpair, and received onto numbers the
 * library remembers as upgraded sockets': each is what the kernel says.
 */
static void case_scm(void)
{
	int at[2], fds[2], got[2], sv[2], i;
	char byte = 'x', label[80];
	union {
		struct cmsghdr hdr;
		char buf[CMSG_SPACE(sizeof(fds))];
	} control;
	struct iovec iov = {&byte, 1};
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = control.buf,
		.msg_controllen = sizeof(control.buf),
	};
	struct cmsghdr *cmsg;
	ssize_t rc;

	socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv);
	at[0] = socket(AF_INET, SOCK_STREAM, 0);
	at[1] = socket(AF_INET, SOCK_STREAM, 0);
	raw_close(at[0]);
	raw_close(at[1]);
	fds[0] = raw_inet6(false);
	fds[1] = raw_inet6(true);
	cmsg = CMSG_FIRSTHDR(&msg);
	cmsg->cmsg_level = SOL_SOCKET;
	cmsg->cmsg_type = SCM_RIGHTS;
	cmsg->cmsg_len = CMSG_LEN(sizeof(fds));
	memcpy(CMSG_DATA(cmsg), fds, sizeof(fds));
	rc = sendmsg(sv[0], &msg, 0);
	printf("scm sendmsg: rc=%s\n", rc == 1 ? "1" : result(rc));
	raw_close(fds[0]);
	raw_close(fds[1]);
	memset(&control, 0, sizeof(control));
	msg.msg_controllen = sizeof(control.buf);
	rc = recvmsg(sv[1], &msg, MSG_CMSG_CLOEXEC);
	cmsg = CMSG_FIRSTHDR(&msg);
	if (rc != 1 || !cmsg || cmsg->cmsg_type != SCM_RIGHTS) {
		printf("scm recvmsg: rc=%s\n", result(rc));
		return;
	}
	memcpy(got, CMSG_DATA(cmsg), sizeof(got));
	for (i = 0; i < 2; i++) {
		printf("scm received %d: reused=%d cloexec=%d\n", i,
		       got[i] == at[i], cloexec(got[i]));
		snprintf(label, sizeof(label), "scm received %s",
			 i ? "marked" : "native");
		view(label, got[i], CONNECT);
	}
}

static const struct {
	const char *name;
	void (*run)(void);
} cases[] = {
	{"dup", case_dup},
	{"dup2", case_dup2},
	{"dup3", case_dup3},
	{"fcntl", case_fcntl},
	{"close", case_close},
	{"close_range", case_close_range},
	{"closefrom", case_closefrom},
	{"fclose", case_fclose},
	{"fork", case_fork},
	{"forkstorm", case_forkstorm},
	{"exec", case_exec},
	{"scm", case_scm},
};

int main(int argc, char **argv)
{
	size_t i;

	alarm(60);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 7 && !strcmp(argv[1], "exec2")) {
		exec2(argv + 2);
		return 0;
	}
	for (i = 0; argc == 2 && i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (strcmp(argv[1], cases[i].name))
			continue;
		port4 = raw_listener(AF_INET);
		port6 = raw_listener(AF_INET6);
		cases[i].run();
		return 0;
	}
	fprintf(stderr, "usage: fdlife CASE\n");
	return 2;
}
