/* SPDX-License-Identifier: MIT */
/*
 * logging-probe.c - makes the calls whose decision-log lines
 * tests/shim/logging.sh checks, and says what each call returned.
 *
 *   logging-probe OP...
 *
 * OPs, run in order (P as a port is the listener's):
 *   listen              a TCP listener on [::]:0, IPV6_V6ONLY=0, made with
 *                       raw system calls that no hook sees
 *   socket inet|inet6 tcp|udp
 *                       a socket, the current one from then on
 *   connect ADDR PORT   connect() the current socket (ADDR a literal)
 *   sendto ADDR PORT    sendto() one byte on the current socket
 *   gai NAME            getaddrinfo(NAME, NULL, AF_UNSPEC, SOCK_STREAM)
 *   ghbn NAME           gethostbyname(NAME)
 *   wait FILE           print "op=wait", then wait (up to 20 s) until FILE
 *                       exists
 *   exec OP...          execv() this program, without LD_PRELOAD, with
 *                       the OPs that follow
 *   fds PATH            whether a descriptor of this process is PATH
 *   bind ADDR PORT      bind() the current socket
 *   closefrom           closefrom(3)
 *   closeloop           close() every fd from 3 to 1023
 *   rawtake PATH FILE   close the descriptor that is PATH and open FILE
 *                       at its number, by system calls no hook sees
 *   nofile N            RLIMIT_NOFILE's soft limit set to N
 *   vforkclose          vfork(); the child runs closefrom(3) and exits
 *   count PATH          how many descriptors of this process are PATH
 * One line per OP:
 *   op=OP ret=N errno=kept|NAME   (ret of socket: 0 for any descriptor;
 *                                  errno=kept: a call that succeeded left
 *                                  errno as it was; NAME: the errno of a
 *                                  failed call, or of a successful one
 *                                  that changed errno)
 *   op=gai ret=0|EAI_*
 *   op=ghbn ret=found|HOST_NOT_FOUND|...
 *   op=fds inherited=yes|no
 *   op=rawtake ret=0|-1      (-1: no descriptor is PATH)
 *   op=count N
 * Every run ends itself with alarm().
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <dirent.h>
#include <unistd.h>

#include "probe.h"
#include "../../shim/sys.h"

/* An errno no call here sets, to see whether a call changed errno. */
#define MARK_ERRNO EDOM

static unsigned short listen_port;
static int cur = -1;

static void report(const char *op, int ret, int err)
{
	if (ret < 0)
		printf("op=%s ret=%d errno=%s\n", op, ret, errno_name(err));
	else if (err == MARK_ERRNO)
		printf("op=%s ret=%d errno=kept\n", op, ret);
	else
		printf("op=%s ret=%d errno=%s\n", op, ret, errno_name(err));
	fflush(stdout);
}

static void do_listen(void)
{
	struct sockaddr_in6 sin6 = {.sin6_family = AF_INET6};
	socklen_t len = sizeof(sin6);
	int off = 0;
	int fd = (int)shim_sys(SYS_socket, AF_INET6, SOCK_STREAM | SOCK_CLOEXEC,
			       0);

	if (fd < 0 ||
	    shim_sys(SYS_setsockopt, fd, IPPROTO_IPV6, IPV6_V6ONLY, &off,
		     sizeof(off)) < 0 ||
	    shim_sys(SYS_bind, fd, &sin6, sizeof(sin6)) < 0 ||
	    shim_sys(SYS_listen, fd, 16) < 0 ||
	    shim_sys(SYS_getsockname, fd, &sin6, &len) < 0)
		die("listen");
	listen_port = ntohs(sin6.sin6_port);
	printf("op=listen ret=0 port=%u\n", listen_port);
	fflush(stdout);
}

/* ADDR PORT as a sockaddr of ADDR's family. */
static socklen_t parse(const char *addr, const char *port,
		       struct sockaddr_storage *ss)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
	unsigned short p = strcmp(port, "P") ? (unsigned short)atoi(port)
					     : listen_port;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, addr, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(p);
		return sizeof(*sin);
	}
	if (inet_pton(AF_INET6, addr, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(p);
		return sizeof(*sin6);
	}
	errno = EINVAL;
	die(addr);
	return 0;
}

static void do_socket(const char *fam, const char *type)
{
	int f = strcmp(fam, "inet6") ? AF_INET : AF_INET6;
	int t = strcmp(type, "udp") ? SOCK_STREAM : SOCK_DGRAM;

	errno = MARK_ERRNO;
	cur = socket(f, t, 0);
	/* Which number it got depends on the library's own descriptors. */
	report("socket", cur < 0 ? cur : 0, errno);
}

static void do_connect(const char *addr, const char *port)
{
	struct sockaddr_storage ss;
	socklen_t len = parse(addr, port, &ss);
	int ret;

	errno = MARK_ERRNO;
	ret = connect(cur, (struct sockaddr *)&ss, len);
	report("connect", ret, errno);
}

static void do_sendto(const char *addr, const char *port)
{
	struct sockaddr_storage ss;
	socklen_t len = parse(addr, port, &ss);
	int ret;

	errno = MARK_ERRNO;
	ret = (int)sendto(cur, "x", 1, 0, (struct sockaddr *)&ss, len);
	report("sendto", ret, errno);
}

static void do_gai(const char *name)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res = NULL;
	int rc = getaddrinfo(name, NULL, &hints, &res);

	printf("op=gai ret=%s\n", eai_name(rc));
	fflush(stdout);
	if (!rc)
		freeaddrinfo(res);
}

static void do_ghbn(const char *name)
{
	struct hostent *h = gethostbyname(name);

	printf("op=ghbn ret=%s\n", h ? "found" : herr_name(h_errno));
	fflush(stdout);
}

static void do_wait(const char *file)
{
	int i;

	printf("op=wait\n");
	fflush(stdout);
	for (i = 0; i < 400; i++) {
		if (access(file, F_OK) == 0)
			return;
		usleep(50000);
	}
	errno = ETIMEDOUT;
	die(file);
}

static void do_fds(const char *path)
{
	char link[300], target[PATH_MAX];
	const char *inherited = "no";
	struct dirent *d;
	DIR *dir = opendir("/proc/self/fd");
	ssize_t n;

	if (!dir)
		die("/proc/self/fd");
	while ((d = readdir(dir))) {
		snprintf(link, sizeof(link), "/proc/self/fd/%s", d->d_name);
		n = readlink(link, target, sizeof(target) - 1);
		if (n <= 0)
			continue;
		target[n] = '\0';
		if (!strcmp(target, path))
			inherited = "yes";
	}
	closedir(dir);
	printf("op=fds inherited=%s\n", inherited);
	fflush(stdout);
}

static void do_bind(const char *addr, const char *port)
{
	struct sockaddr_storage ss;
	socklen_t len = parse(addr, port, &ss);
	int ret;

	errno = MARK_ERRNO;
	ret = bind(cur, (struct sockaddr *)&ss, len);
	report("bind", ret, errno);
}

static void do_closeloop(void)
{
	int fd;

	for (fd = 3; fd < 1024; fd++)
		if (fd != cur)
			close(fd);
	printf("op=closeloop\n");
	fflush(stdout);
}

/* The descriptor whose /proc/self/fd link is path, or -1. */
static int fd_of(const char *path)
{
	char link[64], target[PATH_MAX];
	ssize_t n;
	int fd;

	for (fd = 3; fd < 1024; fd++) {
		snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
		n = readlink(link, target, sizeof(target) - 1);
		if (n <= 0)
			continue;
		target[n] = '\0';
		if (!strcmp(target, path))
			return fd;
	}
	return -1;
}

static void do_count(const char *path)
{
	char link[64], target[PATH_MAX];
	int fd, n = 0;
	ssize_t len;

	for (fd = 0; fd < 1024; fd++) {
		snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
		len = readlink(link, target, sizeof(target) - 1);
		if (len <= 0)
			continue;
		target[len] = '\0';
		n += !strcmp(target, path);
	}
	printf("op=count %d\n", n);
	fflush(stdout);
}

/* As CPython's subprocess does before exec: the child shares our memory. */
static void do_vforkclose(void)
{
	pid_t pid = vfork();

	if (pid == 0) {
		closefrom(3);
		_exit(0);
	}
	if (pid < 0 || waitpid(pid, NULL, 0) != pid)
		die("vfork");
	printf("op=vforkclose\n");
	fflush(stdout);
}

static void do_rawtake(const char *path, const char *file)
{
	int fd = fd_of(path), mine;

	if (fd < 0) {
		printf("op=rawtake ret=-1\n");
		fflush(stdout);
		return;
	}
	shim_sys(SYS_close, fd);
	mine = (int)shim_sys(SYS_openat, AT_FDCWD, file,
			     O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (mine < 0)
		die(file);
	if (mine != fd) {
		if (shim_sys(SYS_dup3, mine, fd, 0) < 0)
			die("dup3");
		shim_sys(SYS_close, mine);
	}
	printf("op=rawtake ret=0\n");
	fflush(stdout);
}

static void do_nofile(const char *n)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		die("getrlimit");
	rl.rlim_cur = (rlim_t)atoi(n);
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
		die("setrlimit");
	printf("op=nofile\n");
	fflush(stdout);
}

int main(int argc, char **argv)
{
	int i;

	alarm(30);
	for (i = 1; i < argc; i++) {
		const char *op = argv[i];

		if (!strcmp(op, "listen")) {
			do_listen();
		} else if (!strcmp(op, "socket") && i + 2 < argc) {
			do_socket(argv[i + 1], argv[i + 2]);
			i += 2;
		} else if (!strcmp(op, "connect") && i + 2 < argc) {
			do_connect(argv[i + 1], argv[i + 2]);
			i += 2;
		} else if (!strcmp(op, "sendto") && i + 2 < argc) {
			do_sendto(argv[i + 1], argv[i + 2]);
			i += 2;
		} else if (!strcmp(op, "gai") && i + 1 < argc) {
			do_gai(argv[++i]);
		} else if (!strcmp(op, "ghbn") && i + 1 < argc) {
			do_ghbn(argv[++i]);
		} else if (!strcmp(op, "wait") && i + 1 < argc) {
			do_wait(argv[++i]);
		} else if (!strcmp(op, "fds") && i + 1 < argc) {
			do_fds(argv[++i]);
		} else if (!strcmp(op, "bind") && i + 2 < argc) {
			do_bind(argv[i + 1], argv[i + 2]);
			i += 2;
		} else if (!strcmp(op, "closefrom")) {
			closefrom(3);
			printf("op=closefrom\n");
			fflush(stdout);
		} else if (!strcmp(op, "closeloop")) {
			do_closeloop();
		} else if (!strcmp(op, "rawtake") && i + 2 < argc) {
			do_rawtake(argv[i + 1], argv[i + 2]);
			i += 2;
		} else if (!strcmp(op, "nofile") && i + 1 < argc) {
			do_nofile(argv[++i]);
		} else if (!strcmp(op, "vforkclose")) {
			do_vforkclose();
		} else if (!strcmp(op, "count") && i + 1 < argc) {
			do_count(argv[++i]);
		} else if (!strcmp(op, "exec")) {
			/* Without the library: any descriptor of its own
			 * there was inherited. */
			unsetenv("LD_PRELOAD");
			argv[i] = argv[0];
			execv("/proc/self/exe", argv + i);
			die("exec");
		} else {
			errno = EINVAL;
			die(op);
		}
	}
	return 0;
}
