/* SPDX-License-Identifier: MIT */
/*
 * sweep-probe.c - every address-taking socket call, with every address
 * length from 0 to 1000 (and a few past: 65535, 2^31-1, 2^31), for
 * addresses of the families AF_INET, AF_INET6, AF_UNSPEC, AF_UNIX and an
 * unknown one, on AF_INET and AF_INET6 sockets, TCP and UDP; and the
 * calls that write an address back (accept, accept4, getsockname,
 * getpeername, recvfrom, recvmsg) with every length of the program's
 * buffer.  One line per case: the call's return value, errno and what it
 * wrote back (length, bytes).  "in short" leaves out sendmsg and
 * sendmmsg names past 65536 bytes, which a sanitizer's interceptor would
 * read whole.  tests/shim/sweep.sh runs it without the
 * library and under it, and compares the outputs.
 *
 * Everything goes to loopback, to fixed ports (SWEEP_PORT...), in the
 * network namespace the test runs it in.  Ports the kernel picks are
 * written as 0, so that two runs compare.  The fixed ports lie below the
 * ephemeral range (32768-60999): a connect to SWEEP_PORT whose own port
 * the kernel happened to pick as SWEEP_PORT would connect to itself
 * (rc 0, then TIME_WAIT and EADDRINUSE for the binds after it), which a
 * CI run once did, in the reference run.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "probe.h"

#define SWEEP_PORT 27400	/* nothing listens: connects are refused */
#define SWEEP_LISTEN 27401	/* a listener, for accept */
#define SWEEP_RECV 27402	/* a datagram receiver, for recvfrom */
#define SWEEP_SEND 27403	/* its sender */
#define SWEEP_NAME 27404	/* a bound socket, for getsockname */
#define SWEEP_MAX 1000u
#define SWEEP_BUF 2048

static const socklen_t sweep_extra[] = {65535u, 0x7fffffffu, 0x80000000u};

static const struct {
	const char *name;
	int family;
} fams[] = {
	{"inet", AF_INET},   {"inet6", AF_INET6}, {"unspec", AF_UNSPEC},
	{"unix", AF_UNIX},   {"other", 4242},
};

static const struct {
	const char *name;
	int type;
} types[] = {{"tcp", SOCK_STREAM}, {"udp", SOCK_DGRAM}};

/* Room for the 65535-byte names; a sanitizer's sendmsg interceptor reads
 * msg_namelen bytes, uncut. */
#define SWEEP_ADDRBUF 65536u

static _Alignas(struct sockaddr_storage) unsigned char addrbuf[SWEEP_ADDRBUF];

/* Set by "in short": no name longer than addrbuf for sendmsg/sendmmsg. */
static int sweep_short;

/* Fill addrbuf with an address of family to loopback:port, zeros after. */
static void fill(int family, int sockfam, in_port_t port)
{
	struct sockaddr_in6 *sin6 = (void *)addrbuf;
	struct sockaddr_in *sin = (void *)addrbuf;

	memset(addrbuf, 0, sizeof(addrbuf));
	/* AF_UNSPEC and the unknown family carry the socket's own layout, as
	 * a program reusing a buffer would. */
	if (sockfam == AF_INET6 && family != AF_INET) {
		sin6->sin6_port = htons(port);
		sin6->sin6_addr = in6addr_loopback;
	} else if (family != AF_UNIX) {
		sin->sin_port = htons(port);
		sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	} else {
		strcpy(((struct sockaddr_un *)addrbuf)->sun_path, "/nonexistent");
	}
	if (family == AF_INET6 && sockfam == AF_INET) {
		sin6->sin6_port = htons(port);
		sin6->sin6_addr = in6addr_loopback;
	}
	((struct sockaddr *)addrbuf)->sa_family = (sa_family_t)family;
}

static void result(const char *what, long rc, int err)
{
	printf("%s rc=%ld errno=%s\n", what, rc < 0 ? -1 : rc,
	       rc < 0 ? errno_name(err) : "-");
}

/* One address-in call on a fresh socket. */
static void in_case(const char *call, int sockfam, int type, int family,
		    socklen_t len)
{
	char what[128];
	struct iovec iov = {.iov_base = "x", .iov_len = 1};
	struct msghdr msg = {.msg_name = addrbuf, .msg_namelen = len,
			     .msg_iov = &iov, .msg_iovlen = 1};
	struct mmsghdr vec = {.msg_hdr = msg};
	int fd = socket(sockfam, type, 0), err;
	size_t f;
	long rc;

	if (fd < 0) {
		perror("socket");
		exit(2);
	}
	fill(family, sockfam, SWEEP_PORT);
	errno = 0;
	if (!strcmp(call, "connect"))
		rc = connect(fd, (struct sockaddr *)addrbuf, len);
	else if (!strcmp(call, "bind"))
		rc = bind(fd, (struct sockaddr *)addrbuf, len);
	else if (!strcmp(call, "sendto"))
		rc = sendto(fd, "x", 1, MSG_NOSIGNAL, (struct sockaddr *)addrbuf,
			    len);
	else if (!strcmp(call, "sendmsg"))
		rc = sendmsg(fd, &msg, MSG_NOSIGNAL);
	else
		rc = sendmmsg(fd, &vec, 1, MSG_NOSIGNAL);
	err = errno;
	for (f = 0; fams[f].family != family; f++)
		;
	snprintf(what, sizeof(what), "%s %s %s %s %u", call,
		 sockfam == AF_INET ? "inet" : "inet6",
		 type == SOCK_STREAM ? "tcp" : "udp", fams[f].name, len);
	result(what, rc, err);
	close(fd);
}

static void in_sweep(void)
{
	static const char *calls[] = {"connect", "bind", "sendto", "sendmsg",
				      "sendmmsg"};
	static const int sockfams[] = {AF_INET, AF_INET6};
	size_t c, s, t, f, x;
	socklen_t len;

	for (c = 0; c < 5; c++)
		for (s = 0; s < 2; s++)
			for (t = 0; t < 2; t++)
				for (f = 0; f < 5; f++) {
					for (len = 0; len <= SWEEP_MAX; len++)
						in_case(calls[c], sockfams[s],
							types[t].type,
							fams[f].family, len);
					for (x = 0; x < 3; x++)
						if (!sweep_short || c < 3 ||
						    sweep_extra[x] <= SWEEP_ADDRBUF)
							in_case(calls[c], sockfams[s],
							types[t].type,
							fams[f].family,
							sweep_extra[x]);
				}
}

/*
 * What an address-out call wrote: rc, errno, the length, the bytes up to
 * it (no further than the buffer), ports at bytes 2-3 zeroed when
 * maskport (the kernel picked them), and whether anything past the
 * length it was given changed.
 */
static void out_result(const char *what, long rc, int err, socklen_t in,
		       socklen_t out, const unsigned char *buf, int maskport)
{
	socklen_t n = out < in ? out : in, i;
	int past = 0;

	printf("%s rc=%s errno=%s len=%u bytes=", what,
	       rc < 0 ? "-1" : "ok", rc < 0 ? errno_name(err) : "-",
	       out);
	for (i = 0; i < n && i < SWEEP_BUF; i++)
		printf("%02x", maskport && (i == 2 || i == 3) ? 0 : buf[i]);
	for (i = in; i < SWEEP_BUF; i++)
		past |= buf[i] != 0xa5;
	printf(" past=%d\n", past);
}

static int sock_at(int sockfam, int type, in_port_t port)
{
	struct sockaddr_in6 sin6 = {.sin6_family = AF_INET6,
				    .sin6_port = htons(port),
				    .sin6_addr = IN6ADDR_LOOPBACK_INIT};
	struct sockaddr_in sin = {.sin_family = AF_INET,
				  .sin_port = htons(port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	int fd = socket(sockfam, type, 0), one = 1;

	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (fd < 0 || (port && (sockfam == AF_INET
					? bind(fd, (void *)&sin, sizeof(sin))
					: bind(fd, (void *)&sin6,
					       sizeof(sin6))) < 0)) {
		perror("sock_at");
		exit(2);
	}
	return fd;
}

static void peer_of(int sockfam, in_port_t port, struct sockaddr_storage *ss,
		    socklen_t *len)
{
	memset(ss, 0, sizeof(*ss));
	fill(sockfam, sockfam, port);
	memcpy(ss, addrbuf, sizeof(*ss));
	*len = sockfam == AF_INET ? sizeof(struct sockaddr_in)
				  : sizeof(struct sockaddr_in6);
}

static void out_sweep_family(int sockfam)
{
	const char *fn = sockfam == AF_INET ? "inet" : "inet6";
	int name = sock_at(sockfam, SOCK_DGRAM, SWEEP_NAME);
	int peer = sock_at(sockfam, SOCK_DGRAM, 0);
	int rx = sock_at(sockfam, SOCK_DGRAM, SWEEP_RECV);
	int tx = sock_at(sockfam, SOCK_DGRAM, SWEEP_SEND);
	int lst = sock_at(sockfam, SOCK_STREAM, SWEEP_LISTEN);
	struct sockaddr_storage ss;
	unsigned char buf[SWEEP_BUF], data[4];
	struct iovec iov = {.iov_base = data, .iov_len = sizeof(data)};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
	char what[64];
	socklen_t sslen, len, l;
	long rc;
	int c;

	peer_of(sockfam, SWEEP_PORT, &ss, &sslen);
	connect(peer, (struct sockaddr *)&ss, sslen);
	peer_of(sockfam, SWEEP_RECV, &ss, &sslen);
	connect(tx, (struct sockaddr *)&ss, sslen);
	listen(lst, 16);
	peer_of(sockfam, SWEEP_LISTEN, &ss, &sslen);
	for (len = 0; len <= SWEEP_MAX + 3; len++) {
		l = len <= SWEEP_MAX ? len : sweep_extra[len - SWEEP_MAX - 1];
#define OUT(call, expr, mask)                                                  \
	do {                                                                   \
		memset(buf, 0xa5, sizeof(buf));                                \
		len_io = l;                                                    \
		errno = 0;                                                     \
		rc = (expr);                                                   \
		snprintf(what, sizeof(what), "%s %s %u", call, fn, l);         \
		out_result(what, rc, errno, l > SWEEP_BUF ? SWEEP_BUF : l,     \
			   len_io, buf, mask);                                 \
	} while (0)
		socklen_t len_io;

		OUT("getsockname", getsockname(name, (void *)buf, &len_io), 0);
		OUT("getpeername", getpeername(peer, (void *)buf, &len_io), 0);
		send(tx, "x", 1, 0);
		OUT("recvfrom",
		    recvfrom(rx, data, sizeof(data), 0, (void *)buf, &len_io),
		    0);
		send(tx, "x", 1, 0);
		memset(buf, 0xa5, sizeof(buf));
		msg.msg_name = buf;
		msg.msg_namelen = l;
		errno = 0;
		rc = recvmsg(rx, &msg, 0);
		snprintf(what, sizeof(what), "recvmsg %s %u", fn, l);
		out_result(what, rc, errno, l > SWEEP_BUF ? SWEEP_BUF : l,
			   msg.msg_namelen, buf, 0);
		c = socket(sockfam, SOCK_STREAM, 0);
		connect(c, (struct sockaddr *)&ss, sslen);
		OUT("accept", accept(lst, (void *)buf, &len_io), 1);
		if (rc >= 0)
			close((int)rc);
		close(c);
		c = socket(sockfam, SOCK_STREAM, 0);
		connect(c, (struct sockaddr *)&ss, sslen);
		OUT("accept4",
		    accept4(lst, (void *)buf, &len_io, SOCK_CLOEXEC), 1);
		if (rc >= 0)
			close((int)rc);
		close(c);
#undef OUT
	}
	close(name);
	close(peer);
	close(rx);
	close(tx);
	close(lst);
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOFBF, 1 << 16);
	if (argc >= 2 && !strcmp(argv[1], "in")) {
		sweep_short = argc == 3 && !strcmp(argv[2], "short");
		in_sweep();
	} else if (argc == 2 && !strcmp(argv[1], "out")) {
		out_sweep_family(AF_INET);
		out_sweep_family(AF_INET6);
	} else {
		return 2;
	}
	return 0;
}
