/* SPDX-License-Identifier: MIT */
/*
 * addresses.c - the probe of tests/shim/addresses.sh: what an AF_INET
 * program sees of its sockets' addresses and options.  Run once without
 * the library (real AF_INET sockets) and once under a policy that upgrades
 * them, each command must print the same lines: every call's return, errno,
 * reported length and the bytes it wrote.  Lines starting "kernel:" say
 * what the kernel really holds (read by raw system calls the library
 * cannot see), and are expected to differ.
 *
 *   addresses names       addrlen cases of accept, accept4, getsockname,
 *                         getpeername, getsockopt(SO_PEERNAME), recvfrom,
 *                         recvmsg, recvmmsg; getnameinfo of a peer
 *   addresses sockopts    getsockopt of IPPROTO_IP 1..70, SOL_SOCKET and
 *                         IPPROTO_IPV6 options, setsockopt of each, on TCP
 *                         and UDP sockets: fresh, connected and accepted
 *   addresses udp         UDP echo both ways, connected and not; IP_TOS and
 *                         IP_TTL as the receiver's cmsgs say; sendmmsg
 *   addresses nbconnect   non-blocking connect, epoll, poll and SO_ERROR
 *   addresses stale       a number an upgraded socket had, reused by accept
 *
 * Port numbers differ from run to run: in the bytes shown, a port that is
 * the one expected (read from the kernel) is printed as "PPPP".
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include "probe.h"
#include "../../shim/sys.h"

#define NO_ADDR (-1)		/* a len case: a NULL address */
#define NO_LEN (-2)		/* a len case: a NULL length pointer */
#define NEG_LEN (-3)		/* a len case: a length of -1 */
#define LOW_ADDR (-4)		/* a len case: an unmapped address, 16 */

static const int len_cases[] = {NO_ADDR, 0, 1, 4, 15, 16, 100, NEG_LEN,
				NO_LEN, LOW_ADDR};

/* The port the kernel holds for fd's name (peer: its peer's), by shim_sys(). */
static in_port_t raw_port(int fd, int peer)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	memset(&ss, 0, sizeof(ss));
	shim_sys(peer ? SYS_getpeername : SYS_getsockname, fd, &ss, &len);
	return ((struct sockaddr_in *)&ss)->sin_port;
}

static const char *raw_domain(int fd)
{
	int v = -1;
	socklen_t len = sizeof(v);

	shim_sys(SYS_getsockopt, fd, SOL_SOCKET, SO_DOMAIN, &v, &len);
	return v == AF_INET ? "AF_INET" : v == AF_INET6 ? "AF_INET6" : "other";
}

/*
 * Print n bytes of buf in hex, each of bytes 2..3 as PP when it is that
 * byte of *port (a cut address may hold only its first), so that runs on
 * different ports compare equal.
 */
static void dump_port(const void *buf, size_t n, const in_port_t *port)
{
	const unsigned char *p = buf, *q = (const unsigned char *)port;
	size_t i;

	printf(" bytes=");
	for (i = 0; i < n; i++) {
		if (port && (i == 2 || i == 3) && p[i] == q[i - 2])
			printf("PP");
		else
			printf("%02x", p[i]);
	}
}

/* As dump_port(), for an address whose port is port. */
static void dump(const void *buf, size_t n, in_port_t port)
{
	dump_port(buf, n, &port);
}

/* A buffer for a len case: pattern-filled, and the length to pass. */
struct lencase {
	unsigned char buf[128];
	socklen_t len;
	socklen_t len_in;		/* len before the call */
	struct sockaddr *addr;
	socklen_t *lenp;
};

static void lencase_init(struct lencase *c, int which)
{
	memset(c->buf, 0xaa, sizeof(c->buf));
	c->len = which >= 0 ? (socklen_t)which : which == NEG_LEN ? -1u : 16;
	c->len_in = c->len;
	c->addr = which == NO_ADDR    ? NULL
		  : which == LOW_ADDR ? (struct sockaddr *)16
				      : (struct sockaddr *)c->buf;
	c->lenp = which == NO_LEN ? NULL : &c->len;
}

/* Print the outcome of a call made with len case c. */
static void lencase_print(const char *call, int which, long rc, int err,
			  const struct lencase *c, in_port_t port)
{
	size_t shown = 0, i;

	printf("%s len=%d rc=%s", call, which, rc < 0 ? errno_name(err) : "ok");
	printf(" addrlen=%d", (int)c->len);
	/* Bytes written: as the kernel does, the smaller of the two lengths
	 * (none on failure); any other byte must still be the pattern. */
	if (rc >= 0 && c->addr == (struct sockaddr *)c->buf)
		shown = c->len < c->len_in ? c->len : c->len_in;
	if (shown > sizeof(c->buf))
		shown = sizeof(c->buf);
	dump(c->buf, shown, port);
	for (i = shown; i < sizeof(c->buf); i++)
		if (c->buf[i] != 0xaa) {
			printf(" written-past=%zu", i);
			break;
		}
	printf("\n");
}

static int tcp_listener(struct sockaddr_in *where)
{
	socklen_t len = sizeof(*where);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	int one = 1;

	memset(where, 0, sizeof(*where));
	where->sin_family = AF_INET;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (fd < 0 || bind(fd, (struct sockaddr *)where, sizeof(*where)) < 0 ||
	    listen(fd, 64) < 0)
		die("listener");
	getsockname(fd, (struct sockaddr *)where, &len);
	where->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return fd;
}

static int tcp_client(const struct sockaddr_in *to)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0 || connect(fd, (const struct sockaddr *)to, sizeof(*to)) < 0)
		die("connect");
	return fd;
}

static int udp_socket(struct sockaddr_in *where)
{
	socklen_t len = sizeof(*where);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	memset(where, 0, sizeof(*where));
	where->sin_family = AF_INET;
	if (fd < 0 || bind(fd, (struct sockaddr *)where, sizeof(*where)) < 0)
		die("udp bind");
	getsockname(fd, (struct sockaddr *)where, &len);
	where->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return fd;
}

/* --- names ---------------------------------------------------------------- */

static void names_accept(int lfd, const struct sockaddr_in *to, int four)
{
	struct lencase c;
	char host[NI_MAXHOST];
	size_t i;
	int cfd, afd, err;

	for (i = 0; i < sizeof(len_cases) / sizeof(len_cases[0]); i++) {
		cfd = tcp_client(to);
		lencase_init(&c, len_cases[i]);
		afd = four ? accept4(lfd, c.addr, c.lenp, SOCK_CLOEXEC)
			   : accept(lfd, c.addr, c.lenp);
		err = errno;
		lencase_print(four ? "accept4" : "accept", len_cases[i], afd,
			      err, &c, raw_port(cfd, 0));
		if (afd >= 0 && len_cases[i] == 100) {
			printf("kernel: accepted %s\n", raw_domain(afd));
			printf("accept4 cloexec=%d\n",
			       (fcntl(afd, F_GETFD) & FD_CLOEXEC) != 0);
			err = getnameinfo(c.addr, c.len, host, sizeof(host),
					  NULL, 0, NI_NUMERICHOST);
			printf("getnameinfo rc=%d host=%s\n", err,
			       err ? "-" : host);
		}
		if (afd >= 0)
			close(afd);
		close(cfd);
	}
}

/* getsockname, getpeername, SO_PEERNAME of a connected fd (its peer's port). */
static void names_of(const char *what, int fd)
{
	struct lencase c;
	size_t i;
	int rc, err, which;

	for (i = 0; i < sizeof(len_cases) / sizeof(len_cases[0]); i++) {
		which = len_cases[i];
		lencase_init(&c, which);
		rc = getsockname(fd, c.addr, c.lenp);
		err = errno;
		printf("%s ", what);
		lencase_print("getsockname", which, rc, err, &c,
			      raw_port(fd, 0));
		lencase_init(&c, which);
		rc = getpeername(fd, c.addr, c.lenp);
		err = errno;
		printf("%s ", what);
		lencase_print("getpeername", which, rc, err, &c,
			      raw_port(fd, 1));
		lencase_init(&c, which);
		rc = getsockopt(fd, SOL_SOCKET, SO_PEERNAME, c.addr, c.lenp);
		err = errno;
		printf("%s ", what);
		lencase_print("SO_PEERNAME", which, rc, err, &c,
			      raw_port(fd, 1));
	}
}

static void send_one(int fd, const struct sockaddr_in *to, const char *text)
{
	if (sendto(fd, text, strlen(text), 0, (const struct sockaddr *)to,
		   sizeof(*to)) < 0)
		die("sendto");
}

static void names_recv(int rfd, int sfd, const struct sockaddr_in *to)
{
	unsigned char data[16], ctl[64];
	struct lencase c;
	struct msghdr msg;
	struct iovec iov = {data, 4};
	size_t i;
	long rc;
	int err;

	for (i = 0; i < sizeof(len_cases) / sizeof(len_cases[0]); i++) {
		send_one(sfd, to, "hello");
		lencase_init(&c, len_cases[i]);
		rc = recvfrom(rfd, data, sizeof(data), 0, c.addr, c.lenp);
		err = errno;
		printf("recvfrom bytes=%ld ", rc);
		lencase_print("recvfrom", len_cases[i], rc, err, &c,
			      raw_port(sfd, 0));
		if (len_cases[i] == NO_LEN)
			continue;
		send_one(sfd, to, "hello");
		lencase_init(&c, len_cases[i]);
		memset(&msg, 0, sizeof(msg));
		msg.msg_name = c.addr;
		msg.msg_namelen = c.len;
		msg.msg_iov = &iov;
		msg.msg_iovlen = 1;
		msg.msg_control = ctl;
		msg.msg_controllen = sizeof(ctl);
		msg.msg_flags = 0x5a5a;
		rc = recvmsg(rfd, &msg, MSG_DONTWAIT);
		err = errno;
		c.len = msg.msg_namelen;
		printf("recvmsg bytes=%ld flags=%#x controllen=%zu ", rc,
		       msg.msg_flags, msg.msg_controllen);
		lencase_print("recvmsg", len_cases[i], rc, err, &c,
			      raw_port(sfd, 0));
		/* A negative msg_namelen is refused before anything is
		 * received: read what is left. */
		if (rc < 0)
			recv(rfd, data, sizeof(data), MSG_DONTWAIT);
	}
}

/* recvmmsg of n datagrams, names of lengths 16, 100, 4, 0, ... in turn. */
static void names_recvmmsg(int rfd, int sfd, const struct sockaddr_in *to,
			   unsigned n)
{
	static const int lens[] = {16, 100, 4, 0, NO_ADDR};
	struct mmsghdr vec[64];
	struct lencase c[64];
	struct iovec iov[64];
	char data[64][8], text[16];
	unsigned i;
	int rc, err;

	for (i = 0; i < n; i++) {
		snprintf(text, sizeof(text), "m%u", i);
		send_one(sfd, to, text);
	}
	memset(vec, 0, sizeof(vec));
	for (i = 0; i < n; i++) {
		lencase_init(&c[i], lens[i % 5]);
		iov[i].iov_base = data[i];
		iov[i].iov_len = sizeof(data[i]);
		vec[i].msg_hdr.msg_name = c[i].addr;
		vec[i].msg_hdr.msg_namelen = c[i].len;
		vec[i].msg_hdr.msg_iov = &iov[i];
		vec[i].msg_hdr.msg_iovlen = 1;
	}
	rc = recvmmsg(rfd, vec, n, MSG_DONTWAIT, NULL);
	err = errno;
	printf("recvmmsg vlen=%u rc=%s\n", n, rc < 0 ? errno_name(err) : "ok");
	for (i = 0; rc > 0 && i < (unsigned)rc; i++) {
		c[i].len = vec[i].msg_hdr.msg_namelen;
		printf("recvmmsg[%u] msg_len=%u data=%.*s ", i, vec[i].msg_len,
		       (int)vec[i].msg_len, data[i]);
		lencase_print("recvmmsg", lens[i % 5], 0, 0, &c[i],
			      raw_port(sfd, 0));
	}
}

static int cmd_names(void)
{
	struct sockaddr_in to, uto;
	int lfd = tcp_listener(&to), cfd, afd, rfd, sfd, v;
	struct lencase c;
	long rc;

	printf("kernel: listener %s\n", raw_domain(lfd));
	names_accept(lfd, &to, 0);
	names_accept(lfd, &to, 1);

	cfd = tcp_client(&to);
	afd = accept(lfd, NULL, NULL);
	if (afd < 0)
		die("accept");
	names_of("client", cfd);
	names_of("accepted", afd);
	/* A stream socket names no sender: *addrlen becomes 0. */
	send(cfd, "x", 1, 0);
	lencase_init(&c, 100);
	rc = recvfrom(afd, c.buf + 64, 1, 0, c.addr, c.lenp);
	printf("tcp recvfrom rc=%ld addrlen=%d\n", rc, (int)c.len);

	rfd = udp_socket(&uto);
	sfd = socket(AF_INET, SOCK_DGRAM, 0);
	v = 1;
	setsockopt(rfd, IPPROTO_IP, IP_PKTINFO, &v, sizeof(v));
	names_recv(rfd, sfd, &uto);
	names_recvmmsg(rfd, sfd, &uto, 3);
	names_recvmmsg(rfd, sfd, &uto, 40);
	return 0;
}

/* --- sockopts ------------------------------------------------------------- */

static const struct {
	const char *name;
	int opt;
} sol_socket_opts[] = {
	{"SO_DEBUG", SO_DEBUG}, {"SO_REUSEADDR", SO_REUSEADDR},
	{"SO_TYPE", SO_TYPE}, {"SO_ERROR", SO_ERROR},
	{"SO_DONTROUTE", SO_DONTROUTE}, {"SO_BROADCAST", SO_BROADCAST},
	{"SO_SNDBUF", SO_SNDBUF}, {"SO_RCVBUF", SO_RCVBUF},
	{"SO_KEEPALIVE", SO_KEEPALIVE}, {"SO_OOBINLINE", SO_OOBINLINE},
	{"SO_NO_CHECK", SO_NO_CHECK}, {"SO_PRIORITY", SO_PRIORITY},
	{"SO_LINGER", SO_LINGER}, {"SO_REUSEPORT", SO_REUSEPORT},
	{"SO_PASSCRED", SO_PASSCRED}, {"SO_RCVLOWAT", SO_RCVLOWAT},
	{"SO_SNDLOWAT", SO_SNDLOWAT}, {"SO_RCVTIMEO", SO_RCVTIMEO},
	{"SO_SNDTIMEO", SO_SNDTIMEO}, {"SO_TIMESTAMP", SO_TIMESTAMP},
	{"SO_ACCEPTCONN", SO_ACCEPTCONN}, {"SO_PROTOCOL", SO_PROTOCOL},
	{"SO_DOMAIN", SO_DOMAIN}, {"SO_MARK", SO_MARK},
	{"SO_RXQ_OVFL", SO_RXQ_OVFL}, {"SO_PEEK_OFF", SO_PEEK_OFF},
	{"SO_BUSY_POLL", SO_BUSY_POLL}, {"SO_MEMINFO", SO_MEMINFO},
	{"SO_BINDTODEVICE", SO_BINDTODEVICE},
	{"SO_PEERNAME", SO_PEERNAME},
};

/* getsockopt(level, opt) with a buffer of len bytes, as one line. */
static void show_get(const char *what, int fd, int level, int opt,
		     socklen_t len)
{
	unsigned char buf[128];
	socklen_t l = len;
	in_port_t port;
	int rc, err;

	memset(buf, 0xaa, sizeof(buf));
	rc = getsockopt(fd, level, opt, buf, &l);
	err = errno;
	printf("%s get %d/%d len=%u rc=%s outlen=%u", what, level, opt,
	       (unsigned)len, rc < 0 ? errno_name(err) : "ok", (unsigned)l);
	port = raw_port(fd, 1);
	dump_port(buf, rc < 0 ? 0 : l < sizeof(buf) ? l : sizeof(buf),
		  level == SOL_SOCKET && opt == SO_PEERNAME ? &port : NULL);
	printf("\n");
}

/* Every option of interest of fd, read, as lines headed what. */
static void sockopts_read(const char *what, int fd)
{
	size_t i;
	int opt;

	for (opt = 1; opt <= 70; opt++) {
		show_get(what, fd, IPPROTO_IP, opt, 64);
		show_get(what, fd, IPPROTO_IP, opt, 1);
	}
	for (i = 0; i < sizeof(sol_socket_opts) / sizeof(sol_socket_opts[0]);
	     i++) {
		printf("%s %s:", what, sol_socket_opts[i].name);
		show_get("", fd, SOL_SOCKET, sol_socket_opts[i].opt, 64);
		printf("%s %s:", what, sol_socket_opts[i].name);
		show_get("", fd, SOL_SOCKET, sol_socket_opts[i].opt, 2);
	}
	for (opt = 1; opt <= 80; opt++)
		show_get(what, fd, IPPROTO_IPV6, opt, 64);
}

/* setsockopt(level, opt, int 1) on a fresh socket of type, then read. */
static void sockopts_set(const char *what, int type, int level, int opt)
{
	int fd = socket(AF_INET, type, 0), one = 1, rc, err;

	rc = setsockopt(fd, level, opt, &one, sizeof(one));
	err = errno;
	printf("%s set %d/%d rc=%s\n", what, level, opt,
	       rc < 0 ? errno_name(err) : "ok");
	show_get(what, fd, level, opt, 64);
	close(fd);
}

static int cmd_sockopts(void)
{
	static const int types[] = {SOCK_STREAM, SOCK_DGRAM};
	struct sockaddr_in to, uto;
	char what[64];
	int lfd = tcp_listener(&to), fd, afd, rfd, i, opt;

	for (i = 0; i < 2; i++) {
		snprintf(what, sizeof(what), "%s",
			 types[i] == SOCK_STREAM ? "tcp" : "udp");
		fd = socket(AF_INET, types[i], 0);
		printf("kernel: %s %s\n", what, raw_domain(fd));
		sockopts_read(what, fd);
		close(fd);
		for (opt = 1; opt <= 70; opt++)
			sockopts_set(what, types[i], IPPROTO_IP, opt);
		for (opt = 1; opt <= 80; opt++)
			sockopts_set(what, types[i], IPPROTO_IPV6, opt);
	}
	fd = tcp_client(&to);
	afd = accept(lfd, NULL, NULL);
	sockopts_read("tcp-connected", fd);
	sockopts_read("tcp-accepted", afd);
	rfd = udp_socket(&uto);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (connect(fd, (struct sockaddr *)&uto, sizeof(uto)) < 0)
		die("udp connect");
	sockopts_read("udp-connected", fd);
	/* A negative length: EINVAL from either family. */
	opt = 0;
	printf("setsockopt IPV6 len -1: rc=%d %s\n",
	       setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &opt, -1u),
	       errno_name(errno));
	close(rfd);
	return 0;
}

/* --- udp ------------------------------------------------------------------ */

/* Receive one datagram on fd; print its text, sender and cmsgs. */
static void udp_show(const char *what, int fd, in_port_t port)
{
	union {
		char buf[256];
		struct cmsghdr align;
	} ctl;
	struct sockaddr_storage from;
	char data[64];
	struct iovec iov = {data, sizeof(data) - 1};
	struct msghdr msg = {&from, sizeof(from), &iov, 1, ctl.buf,
			     sizeof(ctl), 0};
	struct cmsghdr *cm;
	char host[NI_MAXHOST];
	ssize_t n;
	int v;

	memset(&from, 0xaa, sizeof(from));
	n = recvmsg(fd, &msg, 0);
	if (n < 0)
		die("recvmsg");
	data[n] = '\0';
	printf("%s: data=%s namelen=%u", what, data, (unsigned)msg.msg_namelen);
	dump(&from, msg.msg_namelen, port);
	if (getnameinfo((struct sockaddr *)&from, msg.msg_namelen, host,
			sizeof(host), NULL, 0, NI_NUMERICHOST) == 0)
		printf(" host=%s", host);
	for (cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
		memcpy(&v, CMSG_DATA(cm), cm->cmsg_type == IP_TOS ? 1 : 4);
		if (cm->cmsg_type == IP_TOS)
			v &= 0xff;
		printf(" cmsg=%d/%d:%#x", cm->cmsg_level, cm->cmsg_type, v);
	}
	printf("\n");
}

static int cmd_udp(void)
{
	struct sockaddr_in sto, cto, bad;
	struct sockaddr_storage peer;
	socklen_t plen = sizeof(peer);
	struct sockaddr_in6 v6 = {.sin6_family = AF_INET6};
	struct mmsghdr vec[3];
	struct iovec iov[3];
	char data[16];
	int s = udp_socket(&sto), c = udp_socket(&cto), one = 1, tos = 0x28;
	int ttl = 42, rc, i;

	printf("kernel: server %s client %s\n", raw_domain(s), raw_domain(c));
	setsockopt(s, IPPROTO_IP, IP_RECVTOS, &one, sizeof(one));
	setsockopt(s, IPPROTO_IP, IP_RECVTTL, &one, sizeof(one));
	if (setsockopt(c, IPPROTO_IP, IP_TOS, &tos, sizeof(tos)) < 0 ||
	    setsockopt(c, IPPROTO_IP, IP_TTL, &ttl, sizeof(ttl)) < 0)
		die("IP_TOS");

	/* Unconnected: the server answers the address recvfrom gave. */
	send_one(c, &sto, "ping");
	if (recvfrom(s, data, sizeof(data), 0, (struct sockaddr *)&peer,
		     &plen) < 0)
		die("recvfrom");
	printf("server recvfrom namelen=%u", (unsigned)plen);
	dump(&peer, plen, raw_port(c, 0));
	printf("\n");
	if (sendto(s, "pong", 4, 0, (struct sockaddr *)&peer, plen) < 0)
		die("sendto peer");
	udp_show("client got", c, raw_port(s, 0));

	/* IP_TOS and IP_TTL: the server's cmsgs. */
	send_one(c, &sto, "tos");
	udp_show("server got", s, raw_port(c, 0));

	/* Connected, both ends. */
	if (connect(c, (struct sockaddr *)&sto, sizeof(sto)) < 0 ||
	    connect(s, (struct sockaddr *)&peer, plen) < 0)
		die("udp connect");
	send(c, "c2s", 3, 0);
	udp_show("server got connected", s, raw_port(c, 0));
	send(s, "s2c", 3, 0);
	udp_show("client got connected", c, raw_port(s, 0));

	/* sendmmsg on an unconnected socket: message 1 is refused (an
	 * AF_INET6 address on an AF_INET socket), message 0 sent. */
	close(c);
	c = socket(AF_INET, SOCK_DGRAM, 0);
	bad = sto;
	memset(vec, 0, sizeof(vec));
	for (i = 0; i < 3; i++) {
		iov[i].iov_base = (char *)"mm0\0mm1\0mm2" + 4 * i;
		iov[i].iov_len = 3;
		vec[i].msg_hdr.msg_iov = &iov[i];
		vec[i].msg_hdr.msg_iovlen = 1;
		vec[i].msg_hdr.msg_name = &bad;
		vec[i].msg_hdr.msg_namelen = sizeof(bad);
		vec[i].msg_len = 777;
	}
	vec[1].msg_hdr.msg_name = &v6;
	vec[1].msg_hdr.msg_namelen = sizeof(v6);
	close(s);
	s = udp_socket(&sto);
	bad = sto;
	rc = sendmmsg(c, vec, 3, 0);
	printf("sendmmsg rc=%d %s msg_len=%u,%u,%u\n", rc,
	       errno_name(rc < 0 ? errno : 0), vec[0].msg_len, vec[1].msg_len,
	       vec[2].msg_len);
	rc = sendmmsg(c, vec + 1, 2, 0);
	printf("sendmmsg from 1 rc=%d %s\n", rc,
	       errno_name(rc < 0 ? errno : 0));
	rc = sendmmsg(c, vec + 2, 1, 0);
	printf("sendmmsg from 2 rc=%d %s msg_len=%u\n", rc,
	       errno_name(rc < 0 ? errno : 0), vec[2].msg_len);
	udp_show("sendmmsg got", s, raw_port(c, 0));
	udp_show("sendmmsg got", s, raw_port(c, 0));
	return 0;
}

/* --- nbconnect ------------------------------------------------------------ */

static void nb_one(const char *what, const struct sockaddr_in *to, int epoll)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), rc, err;
	int ep, v = -1;
	socklen_t len = sizeof(v);
	struct epoll_event ev = {.events = EPOLLOUT}, got;
	struct pollfd p = {fd, POLLOUT, 0};

	rc = connect(fd, (const struct sockaddr *)to, sizeof(*to));
	err = errno;
	printf("%s connect=%s", what, rc < 0 ? errno_name(err) : "0");
	if (epoll) {
		ep = epoll_create1(EPOLL_CLOEXEC);
		ev.data.fd = fd;
		epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
		rc = epoll_wait(ep, &got, 1, 5000);
		printf(" epoll=%d out=%d err=%d", rc,
		       rc == 1 && (got.events & EPOLLOUT) != 0,
		       rc == 1 && (got.events & EPOLLERR) != 0);
		close(ep);
	} else {
		rc = poll(&p, 1, 5000);
		printf(" poll=%d out=%d", rc, (p.revents & POLLOUT) != 0);
	}
	rc = getsockopt(fd, SOL_SOCKET, SO_ERROR, &v, &len);
	printf(" so_error=%s nonblock=%d\n", rc < 0 ? "failed" : errno_name(v),
	       (fcntl(fd, F_GETFL) & O_NONBLOCK) != 0);
	printf("kernel: %s %s\n", what, raw_domain(fd));
	close(fd);
}

static int cmd_nbconnect(void)
{
	struct sockaddr_in to, closed;
	int lfd = tcp_listener(&to);
	int hole = tcp_listener(&closed);

	/* A port that was just listened on and is closed now: refused. */
	close(hole);
	nb_one("open epoll", &to, 1);
	nb_one("open poll", &to, 0);
	nb_one("closed epoll", &closed, 1);
	nb_one("closed poll", &closed, 0);
	close(lfd);
	return 0;
}

/* --- stale ---------------------------------------------------------------- */

/*
 * An upgraded socket closed behind the library's back (a raw system call)
 * leaves its number's state behind; an accepted socket given that number
 * must be seen for what it is: SO_DOMAIN and its name.
 */
static int cmd_stale(void)
{
	struct sockaddr_in6 six = {.sin6_family = AF_INET6};
	struct sockaddr_un un = {.sun_family = AF_UNIX};
	struct sockaddr_storage ss;
	socklen_t len = sizeof(six);
	int l6, c6, lu, cu, old, fd, v;
	char text[INET6_ADDRSTRLEN];

	l6 = socket(AF_INET6, SOCK_STREAM, 0);
	six.sin6_addr = in6addr_loopback;
	if (l6 < 0 || bind(l6, (struct sockaddr *)&six, sizeof(six)) < 0 ||
	    listen(l6, 4) < 0)
		die("listen6");
	getsockname(l6, (struct sockaddr *)&six, &len);
	c6 = socket(AF_INET6, SOCK_STREAM, 0);
	if (connect(c6, (struct sockaddr *)&six, sizeof(six)) < 0)
		die("connect6");
	snprintf(un.sun_path + 1, sizeof(un.sun_path) - 1, "addresses-%d",
		 (int)getpid());
	lu = socket(AF_UNIX, SOCK_STREAM, 0);
	if (bind(lu, (struct sockaddr *)&un, sizeof(un)) < 0 || listen(lu, 4))
		die("listen unix");
	cu = socket(AF_UNIX, SOCK_STREAM, 0);
	if (connect(cu, (struct sockaddr *)&un, sizeof(un)) < 0)
		die("connect unix");

	old = socket(AF_INET, SOCK_STREAM, 0);
	shim_sys(SYS_close, old);
	fd = accept(l6, NULL, NULL);
	len = sizeof(v);
	getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &v, &len);
	len = sizeof(ss);
	getsockname(fd, (struct sockaddr *)&ss, &len);
	inet_ntop(ss.ss_family, &((struct sockaddr_in6 *)&ss)->sin6_addr,
		  text, sizeof(text));
	printf("inet6 accept same-number=%d domain=%d name=%d,%s\n", fd == old,
	       v, ss.ss_family, text);

	old = socket(AF_INET, SOCK_STREAM, 0);
	shim_sys(SYS_close, old);
	fd = accept(lu, NULL, NULL);
	len = sizeof(v);
	getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &v, &len);
	printf("unix accept same-number=%d domain=%d\n", fd == old, v);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(void);
	} cmds[] = {
		{"names", cmd_names},	  {"sockopts", cmd_sockopts},
		{"udp", cmd_udp},	  {"nbconnect", cmd_nbconnect},
		{"stale", cmd_stale},
	};
	size_t i;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (i = 0; argc > 1 && i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(argv[1], cmds[i].name))
			return cmds[i].fn();
	fprintf(stderr,
		"usage: addresses names|sockopts|udp|nbconnect|stale\n");
	return 2;
}
