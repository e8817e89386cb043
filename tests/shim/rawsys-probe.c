/* SPDX-License-Identifier: MIT */
/*
 * rawsys-probe.c - the same socket calls made twice in one process, once
 * through libc's wrapper and once through syscall() (which the library
 * routes through its hooks, shim/syscall.c), for tests/shim/rawsys.sh.
 *
 * Each line is "CASE wrapper=RESULT raw=RESULT": the two must be equal
 * (parity), and the test also says what the wrapper's must be under each
 * stack.  For the system calls the shim does not route, the reference is
 * libc's own syscall() (found with dlsym() in libc.so.6 itself), on the
 * "wrapper=" side.  A RESULT is "ok" or "-1 ERRNO", with what the call
 * showed or what the kernel holds (read with shim_sys(), which no hook
 * sees) after a '/'.
 *
 * Everything is on loopback: listeners on the wildcard (port 0) reached
 * at 127.0.0.1, and
 * 127.0.0.3 port 9 as the destination the test's deny rule refuses.
 * Exits 2 when its own setup fails.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "probe.h"
#include "../../shim/sys.h"

/* libc's syscall(), behind the library's. */
static long (*libc_syscall)(long, ...);

/* The result of a call that returned rc, errno as it left it. */
static const char *res(long rc, char *buf, size_t len)
{
	if (rc < 0)
		snprintf(buf, len, "-1 %s", errno_name(errno));
	else
		snprintf(buf, len, "ok");
	return buf;
}

static void line(const char *what, const char *w, const char *r)
{
	printf("%s wrapper=%s raw=%s\n", what, w, r);
}

/* The family of a socket in the kernel, by shim_sys(). */
static const char *kernel_domain(int fd)
{
	int dom = -1;
	socklen_t len = sizeof(dom);

	if (shim_sys(SYS_getsockopt, fd, SOL_SOCKET, SO_DOMAIN, &dom, &len) <
	    0)
		return "none";
	return dom == AF_INET ? "AF_INET" : dom == AF_INET6 ? "AF_INET6" : "?";
}

/* "RESULT/kernel=FAMILY" of a socket() that returned fd. */
static const char *made(int fd, char *buf, size_t len)
{
	char r[32];

	res(fd, r, sizeof(r));
	if (fd >= 0)
		snprintf(buf, len, "%s/kernel=%s", r, kernel_domain(fd));
	else
		snprintf(buf, len, "%s", r);
	return buf;
}

/* "FAMILY/LEN/ADDR" of an address a call handed back. */
static const char *shown(const struct sockaddr_storage *ss, socklen_t len,
			 char *buf, size_t size)
{
	char a[INET6_ADDRSTRLEN] = "?";

	if (ss->ss_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)ss)->sin_addr,
			  a, sizeof(a));
	else if (ss->ss_family == AF_INET6)
		inet_ntop(AF_INET6,
			  &((const struct sockaddr_in6 *)ss)->sin6_addr, a,
			  sizeof(a));
	snprintf(buf, size, "%s/%u/%s",
		 ss->ss_family == AF_INET    ? "AF_INET"
		 : ss->ss_family == AF_INET6 ? "AF_INET6"
					     : "?",
		 (unsigned)len, a);
	return buf;
}

static struct sockaddr_in v4(const char *addr, unsigned port)
{
	struct sockaddr_in sin = {.sin_family = AF_INET,
				  .sin_port = htons(port)};

	inet_pton(AF_INET, addr, &sin.sin_addr);
	return sin;
}

/* socket() of each family and type, and what the kernel made. */
static void sockets(void)
{
	static const struct {
		const char *name;
		int domain, type;
	} cases[] = {
		{"socket6-stream", AF_INET6, SOCK_STREAM},
		{"socket6-dgram", AF_INET6, SOCK_DGRAM},
		{"socket4-stream", AF_INET, SOCK_STREAM},
		{"socket4-dgram", AF_INET, SOCK_DGRAM},
	};
	char w[64], r[64];
	size_t i;
	int fw, fr;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		/* The raw one first: the process's first policed call. */
		fr = (int)syscall(SYS_socket, cases[i].domain, cases[i].type, 0);
		made(fr, r, sizeof(r));
		fw = socket(cases[i].domain, cases[i].type, 0);
		made(fw, w, sizeof(w));
		line(cases[i].name, w, r);
		close(fw);
		syscall(SYS_close, fr);
	}
}

/* An AF_INET socket of type, through the wrapper; dies without one. */
static int inet(int type)
{
	int fd = socket(AF_INET, type, 0);

	if (fd < 0)
		die("socket(AF_INET)");
	return fd;
}

/* A connect and a sendto the deny rule refuses (127.0.0.3 port 9). */
static void denied(void)
{
	struct sockaddr_in to = v4("127.0.0.3", 9);
	char w[64], r[64];
	int a = inet(SOCK_STREAM), b = inet(SOCK_STREAM);

	res(connect(a, (struct sockaddr *)&to, sizeof(to)), w, sizeof(w));
	res(syscall(SYS_connect, b, &to, sizeof(to)), r, sizeof(r));
	line("connect-denied", w, r);
	close(a);
	close(b);
	a = inet(SOCK_DGRAM);
	res(sendto(a, "x", 1, 0, (struct sockaddr *)&to, sizeof(to)), w,
	    sizeof(w));
	res(syscall(SYS_sendto, a, "x", 1, 0, &to, sizeof(to)), r, sizeof(r));
	line("sendto-denied", w, r);
	close(a);
}

/*
 * An AF_INET listener on 0.0.0.0 (an ipv6 stack has no 127.0.0.1 to bind,
 * with ipv4-loopback = no), its port in *port.
 */
static int listener(unsigned *port)
{
	struct sockaddr_in sin = v4("0.0.0.0", 0);
	socklen_t len = sizeof(sin);
	int fd = inet(SOCK_STREAM);

	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
	    listen(fd, 8) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sin, &len) < 0)
		die("listener");
	*port = ntohs(sin.sin_port);
	return fd;
}

/*
 * IPv4 connects to a listener, by each way, what the kernel made of the
 * connected socket's name; then accept() and accept4() by each way on the
 * listener, and getpeername() by each way.
 */
static void connected(void)
{
	struct sockaddr_storage ss;
	struct sockaddr_in to;
	char w[96], r[96];
	unsigned port;
	socklen_t len;
	int l = listener(&port), c[4], acc[4], i, pending = 0;
	long rc[4];

	to = v4("127.0.0.1", port);
	for (i = 0; i < 4; i++) {
		c[i] = inet(SOCK_STREAM);
		if (i % 2)
			rc[i] = syscall(SYS_connect, c[i], &to, sizeof(to));
		else
			rc[i] = connect(c[i], (struct sockaddr *)&to,
					sizeof(to));
		/* res() reads errno: right after the call. */
		res(rc[i], i % 2 ? r : w, 64);
		pending += rc[i] == 0;
		if (i == 1)
			line("connect4", w, r);
	}
	/* The connected socket's own name as the kernel holds it. */
	for (i = 0; i < 2; i++) {
		len = sizeof(ss);
		memset(&ss, 0, sizeof(ss));
		if (shim_sys(SYS_getsockname, c[i], &ss, &len) < 0)
			snprintf(i ? r : w, 64, "-1 %s", errno_name(errno));
		else
			shown(&ss, len, i ? r : w, 64);
	}
	line("connect4-kernel-name", w, r);
	/*
	 * What each way shows of the peer: a sockaddr_in buffer.  Only as
	 * many accepts as connections made, so that none waits for ever.
	 */
	for (i = 0; i < 4; i++) {
		len = sizeof(struct sockaddr_in);
		memset(&ss, 0, sizeof(ss));
		if (i >= pending)
			acc[i] = -1;
		else if (i == 0)
			acc[i] = accept(l, (struct sockaddr *)&ss, &len);
		else if (i == 1)
			acc[i] = (int)syscall(SYS_accept, l, &ss, &len);
		else if (i == 2)
			acc[i] = accept4(l, (struct sockaddr *)&ss, &len,
					 SOCK_CLOEXEC);
		else
			acc[i] = (int)syscall(SYS_accept4, l, &ss, &len,
					      SOCK_CLOEXEC);
		if (i >= pending)
			snprintf(i % 2 ? r : w, 96, "no-connection");
		else if (acc[i] < 0)
			res(acc[i], i % 2 ? r : w, 96);
		else
			shown(&ss, len, i % 2 ? r : w, 96);
		if (i % 2)
			line(i == 1 ? "accept" : "accept4", w, r);
	}
	for (i = 0; i < 2; i++) {
		len = sizeof(struct sockaddr_in);
		memset(&ss, 0, sizeof(ss));
		rc[i] = i ? syscall(SYS_getpeername, c[1], &ss, &len)
			  : getpeername(c[0], (struct sockaddr *)&ss, &len);
		if (rc[i] < 0)
			res(rc[i], i ? r : w, 96);
		else
			shown(&ss, len, i ? r : w, 96);
	}
	line("getpeername", w, r);
	for (i = 0; i < 2; i++) {
		len = sizeof(ss);
		rc[i] = i ? syscall(SYS_getsockopt, acc[1], SOL_SOCKET,
				    SO_DOMAIN, &ss, &len)
			  : getsockopt(acc[0], SOL_SOCKET, SO_DOMAIN, &ss,
				       &len);
		if (rc[i] < 0)
			res(rc[i], i ? r : w, 96);
		else
			snprintf(i ? r : w, 96, "%s",
				 *(int *)&ss == AF_INET    ? "AF_INET"
				 : *(int *)&ss == AF_INET6 ? "AF_INET6"
							   : "?");
	}
	line("accepted-so-domain", w, r);
	for (i = 0; i < 4; i++) {
		close(c[i]);
		if (acc[i] >= 0)
			close(acc[i]);
	}
	close(l);
}

/* A datagram's sender, by recvfrom() each way, into a sockaddr_in. */
static void received(void)
{
	struct sockaddr_in me = v4("0.0.0.0", 0);
	struct sockaddr_storage ss;
	char w[96], r[96], buf[4];
	socklen_t len = sizeof(me);
	int u = inet(SOCK_DGRAM), s = inet(SOCK_DGRAM), i;
	long rc;

	if (bind(u, (struct sockaddr *)&me, sizeof(me)) < 0 ||
	    getsockname(u, (struct sockaddr *)&me, &len) < 0)
		die("udp bind");
	me.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	for (i = 0; i < 2; i++)
		if (sendto(s, "y", 1, 0, (struct sockaddr *)&me, sizeof(me)) !=
		    1)
			die("sendto self");
	for (i = 0; i < 2; i++) {
		len = sizeof(struct sockaddr_in);
		memset(&ss, 0, sizeof(ss));
		rc = i ? syscall(SYS_recvfrom, u, buf, sizeof(buf), 0, &ss,
				 &len)
		       : recvfrom(u, buf, sizeof(buf), 0,
				  (struct sockaddr *)&ss, &len);
		if (rc < 0)
			res(rc, i ? r : w, 96);
		else
			shown(&ss, len, i ? r : w, 96);
	}
	line("recvfrom", w, r);
	close(u);
	close(s);
}

/*
 * Numbers the shim does not route, against libc's syscall(): a success
 * leaves errno alone, a number the kernel lacks is ENOSYS, six arguments
 * reach the kernel (mmap's offset is the sixth), and fcntl's F_GETOWN of
 * a process group is the system call's answer, not libc fcntl()'s.
 */
static void unrouted(void)
{
	char w[64], r[64];
	long a, b;
	void *p;
	int fd;

	errno = EDOM;
	a = libc_syscall(SYS_getpid);
	snprintf(w, sizeof(w), "%s/errno=%s", a == getpid() ? "same" : "?",
		 errno_name(errno));
	errno = EDOM;
	b = syscall(SYS_getpid);
	snprintf(r, sizeof(r), "%s/errno=%s", b == getpid() ? "same" : "?",
		 errno_name(errno));
	line("getpid", w, r);
	res(libc_syscall(100000), w, sizeof(w));
	res(syscall(100000), r, sizeof(r));
	line("nosys", w, r);
	res(libc_syscall(-1L), w, sizeof(w));
	res(syscall(-1L), r, sizeof(r));
	line("negative", w, r);
	a = libc_syscall(SYS_mmap, NULL, 4096, PROT_READ,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	res(a, w, sizeof(w));
	b = syscall(SYS_mmap, NULL, 4096, PROT_READ,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	res(b, r, sizeof(r));
	line("mmap", w, r);
	p = (void *)a;
	if (a != -1)
		munmap(p, 4096);
	p = (void *)b;
	if (b != -1)
		munmap(p, 4096);
	res(libc_syscall(SYS_close, 1000000), w, sizeof(w));
	res(syscall(SYS_close, 1000000), r, sizeof(r));
	line("close-badfd", w, r);
	fd = inet(SOCK_DGRAM);
	if (fcntl(fd, F_SETOWN, -getpgrp()) < 0)
		die("F_SETOWN");
	errno = 0;
	a = libc_syscall(SYS_fcntl, fd, F_GETOWN);
	snprintf(w, sizeof(w), "%ld/errno=%d", a, errno);
	errno = 0;
	b = syscall(SYS_fcntl, fd, F_GETOWN);
	snprintf(r, sizeof(r), "%ld/errno=%d", b, errno);
	line("fcntl-getown", w, r);
	close(fd);
}

/*
 * With "arch": "yes" where the library interposes syscall() (shim/sys.h),
 * else "no".  Without arguments: every case.
 */
int main(int argc, char **argv)
{
	void *libc = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);

	if (argc > 1 && !strcmp(argv[1], "arch")) {
		puts(SHIM_RAW_SYSCALL ? "yes" : "no");
		return 0;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	libc_syscall = libc ? (long (*)(long, ...))dlsym(libc, "syscall")
			    : NULL;
	if (!libc_syscall)
		die("libc's syscall");
	sockets();
	denied();
	connected();
	received();
	unrouted();
	return 0;
}
