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

/* getsockname() of fd through the hook, as "FAMILY/LEN/ADDR". */
static const char *name_of(int fd, char *buf, size_t size)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(struct sockaddr_in);

	memset(&ss, 0, sizeof(ss));
	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		return res(-1, buf, size);
	return shown(&ss, len, buf, size);
}

/* The kernel's name of fd (shim_sys()), as "FAMILY/LEN/ADDR". */
static const char *kernel_name(int fd, char *buf, size_t size)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	memset(&ss, 0, sizeof(ss));
	if (shim_sys(SYS_getsockname, fd, &ss, &len) < 0)
		return res(-1, buf, size);
	return shown(&ss, len, buf, size);
}

/*
 * The other routed calls: bind and getsockname, sendmsg and sendmmsg to
 * the denied destination, recvmsg and recvmmsg of a datagram, an IPv4
 * source route refused under rules (setsockopt), dup, dup2, dup3,
 * close_range and socketpair.
 */
static void others(void)
{
	struct sockaddr_in any = v4("0.0.0.0", 0), to = v4("127.0.0.3", 9), at;
	/* LSRR through 127.0.0.3, then end of options. */
	static const unsigned char lsrr[8] = {131, 7, 4, 127, 0, 0, 3, 0};
	struct sockaddr_storage ss;
	struct iovec iov = {.iov_base = "z", .iov_len = 1};
	struct msghdr msg;
	struct mmsghdr mm;
	char w[96], r[96], buf[4];
	int fd[2], cp[2], i, sv[2];
	socklen_t len;
	long rc;

	for (i = 0; i < 2; i++) {
		fd[i] = inet(SOCK_DGRAM);
		rc = i ? syscall(SYS_bind, fd[i], &any, sizeof(any))
		       : bind(fd[i], (struct sockaddr *)&any, sizeof(any));
		if (rc < 0)
			res(rc, i ? r : w, 96);
		else
			kernel_name(fd[i], i ? r : w, 96);
	}
	line("bind-kernel-name", w, r);
	for (i = 0; i < 2; i++) {
		memset(&ss, 0, sizeof(ss));
		len = sizeof(struct sockaddr_in);
		rc = i ? syscall(SYS_getsockname, fd[1], &ss, &len)
		       : getsockname(fd[0], (struct sockaddr *)&ss, &len);
		if (rc < 0)
			res(rc, i ? r : w, 96);
		else
			shown(&ss, len, i ? r : w, 96);
	}
	line("getsockname", w, r);
	memset(&msg, 0, sizeof(msg));
	msg.msg_name = &to;
	msg.msg_namelen = sizeof(to);
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	res(sendmsg(fd[0], &msg, 0), w, sizeof(w));
	res(syscall(SYS_sendmsg, fd[1], &msg, 0), r, sizeof(r));
	line("sendmsg-denied", w, r);
	memset(&mm, 0, sizeof(mm));
	mm.msg_hdr = msg;
	res(sendmmsg(fd[0], &mm, 1, 0), w, sizeof(w));
	res(syscall(SYS_sendmmsg, fd[1], &mm, 1, 0), r, sizeof(r));
	line("sendmmsg-denied", w, r);
	/* Two datagrams to fd[0] from fd[1], one for each way. */
	memset(&ss, 0, sizeof(ss));
	len = sizeof(struct sockaddr_in);
	if (getsockname(fd[0], (struct sockaddr *)&ss, &len) < 0)
		die("getsockname");
	at = v4("127.0.0.1", ntohs(((struct sockaddr_in *)&ss)->sin_port));
	for (i = 0; i < 2; i++)
		if (sendto(fd[1], "q", 1, 0, (struct sockaddr *)&at,
			   sizeof(at)) != 1)
			die("sendto fd[0]");
	for (i = 0; i < 2; i++) {
		memset(&ss, 0, sizeof(ss));
		memset(&msg, 0, sizeof(msg));
		iov.iov_base = buf;
		iov.iov_len = sizeof(buf);
		msg.msg_name = &ss;
		msg.msg_namelen = sizeof(struct sockaddr_in);
		msg.msg_iov = &iov;
		msg.msg_iovlen = 1;
		rc = i ? syscall(SYS_recvmsg, fd[0], &msg, 0)
		       : recvmsg(fd[0], &msg, 0);
		if (rc < 0)
			res(rc, i ? r : w, 96);
		else
			shown(&ss, msg.msg_namelen, i ? r : w, 96);
	}
	line("recvmsg", w, r);
	for (i = 0; i < 2; i++)
		if (sendto(fd[1], "q", 1, 0, (struct sockaddr *)&at,
			   sizeof(at)) != 1)
			die("sendto fd[0] again");
	for (i = 0; i < 2; i++) {
		struct sockaddr_storage from;

		memset(&from, 0, sizeof(from));
		memset(&mm, 0, sizeof(mm));
		iov.iov_base = buf;
		iov.iov_len = sizeof(buf);
		mm.msg_hdr.msg_name = &from;
		mm.msg_hdr.msg_namelen = sizeof(struct sockaddr_in);
		mm.msg_hdr.msg_iov = &iov;
		mm.msg_hdr.msg_iovlen = 1;
		rc = i ? syscall(SYS_recvmmsg, fd[0], &mm, 1, 0, NULL)
		       : recvmmsg(fd[0], &mm, 1, 0, NULL);
		if (rc < 0)
			res(rc, i ? r : w, 96);
		else
			shown(&from, mm.msg_hdr.msg_namelen, i ? r : w, 96);
	}
	line("recvmmsg", w, r);
	res(setsockopt(fd[0], IPPROTO_IP, IP_OPTIONS, lsrr, sizeof(lsrr)), w,
	    sizeof(w));
	res(syscall(SYS_setsockopt, fd[1], IPPROTO_IP, IP_OPTIONS, lsrr,
		    sizeof(lsrr)),
	    r, sizeof(r));
	line("setsockopt-lsrr", w, r);
	/* Copies: what the hook shows of each, made each way. */
	cp[0] = dup(fd[0]);
	cp[1] = (int)syscall(SYS_dup, fd[0]);
	line("dup", name_of(cp[0], w, sizeof(w)), name_of(cp[1], r, sizeof(r)));
	close(cp[1]);
	rc = syscall(SYS_dup3, fd[0], cp[1], O_CLOEXEC);
	name_of(cp[1], r, sizeof(r));
	close(cp[0]);
	if (dup3(fd[0], cp[0], O_CLOEXEC) < 0)
		res(-1, w, sizeof(w));
	else
		name_of(cp[0], w, sizeof(w));
	if (rc < 0)
		res(rc, r, sizeof(r));
	line("dup3", w, r);
#ifdef SYS_dup2
	rc = syscall(SYS_dup2, fd[1], cp[1]);
	if (rc < 0)
		res(rc, r, sizeof(r));
	else
		name_of(cp[1], r, sizeof(r));
	if (dup2(fd[1], cp[0]) < 0)
		res(-1, w, sizeof(w));
	else
		name_of(cp[0], w, sizeof(w));
#else
	snprintf(w, sizeof(w), "no-dup2");
	snprintf(r, sizeof(r), "no-dup2");
#endif
	line("dup2", w, r);
	/* close_range() of each copy: its number is closed after. */
	close_range((unsigned)cp[0], (unsigned)cp[0], 0);
	res(fcntl(cp[0], F_GETFD), w, sizeof(w));
	syscall(SYS_close_range, cp[1], cp[1], 0);
	res(fcntl(cp[1], F_GETFD), r, sizeof(r));
	line("close_range", w, r);
	res(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), w, sizeof(w));
	close(sv[0]);
	close(sv[1]);
	res(syscall(SYS_socketpair, AF_UNIX, SOCK_STREAM, 0, sv), r,
	    sizeof(r));
	close(sv[0]);
	close(sv[1]);
	line("socketpair", w, r);
	close(fd[0]);
	close(fd[1]);
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
	others();
	unrouted();
	return 0;
}
