/* SPDX-License-Identifier: MIT */
/*
 * sockparity.c - "sockprobe parity": calls whose errno the policy has no
 * say in (a bad fd, a non-socket, a NULL or unmapped address, a short,
 * long or negative length, a family the socket is not of), one per line as
 * "name=result".  tests/shim/sockets.sh compares the lines of a run without
 * the library with those of runs under policies that upgrade sockets and
 * policies that do not: they must be the same.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "probe.h"

enum call { CONNECT, BIND, SENDTO, SENDMSG, SOCKNAME, PEERNAME };
enum fdkind { TCP, UDP, BADFD, NOTSOCK };
enum addrkind { V4, V6, NUL, LOW, UNSPEC_ANY, UNSPEC_V4, FAM99, NOMSG };

/* A length of -1 is a NULL length pointer for the name calls. */
static const struct row {
	const char *name;
	enum call call;
	enum fdkind fd;
	enum addrkind addr;
	int len;
} rows[] = {
	{"connect_badfd", CONNECT, BADFD, V4, 16},
	{"connect_notsock", CONNECT, NOTSOCK, V4, 16},
	{"connect_null", CONNECT, TCP, NUL, 16},
	{"connect_lowptr", CONNECT, TCP, LOW, 16},
	{"connect_len0", CONNECT, TCP, V4, 0},
	{"connect_len1", CONNECT, TCP, V4, 1},
	{"connect_len8", CONNECT, TCP, V4, 8},
	{"connect_len200", CONNECT, TCP, V4, 200},
	{"connect_v6", CONNECT, TCP, V6, 28},
	{"connect_v6_len20", CONNECT, TCP, V6, 20},
	{"connect_fam99", CONNECT, TCP, FAM99, 16},
	{"connect_unspec", CONNECT, TCP, UNSPEC_V4, 16},
	{"connect_udp_v6", CONNECT, UDP, V6, 28},
	{"connect_udp_len8", CONNECT, UDP, V4, 8},
	{"bind_badfd", BIND, BADFD, V4, 16},
	{"bind_notsock", BIND, NOTSOCK, V4, 16},
	{"bind_null", BIND, TCP, NUL, 16},
	{"bind_lowptr", BIND, TCP, LOW, 16},
	{"bind_len0", BIND, TCP, V4, 0},
	{"bind_len8", BIND, TCP, V4, 8},
	{"bind_len200", BIND, TCP, V4, 200},
	{"bind_v6", BIND, TCP, V6, 28},
	{"bind_fam99", BIND, TCP, FAM99, 16},
	{"bind_unspec_any", BIND, TCP, UNSPEC_ANY, 16},
	{"bind_unspec_v4", BIND, TCP, UNSPEC_V4, 16},
	{"bind_udp_v6", BIND, UDP, V6, 28},
	{"sendto_badfd", SENDTO, BADFD, V4, 16},
	{"sendto_notsock", SENDTO, NOTSOCK, V4, 16},
	{"sendto_null", SENDTO, UDP, NUL, 16},
	{"sendto_lowptr", SENDTO, UDP, LOW, 16},
	{"sendto_len0", SENDTO, UDP, V4, 0},
	{"sendto_len8", SENDTO, UDP, V4, 8},
	{"sendto_v6", SENDTO, UDP, V6, 28},
	{"sendto_fam99", SENDTO, UDP, FAM99, 16},
	{"sendto_tcp", SENDTO, TCP, V4, 16},
	{"sendto_tcp_v6", SENDTO, TCP, V6, 28},
	{"sendmsg_badfd", SENDMSG, BADFD, V4, 16},
	{"sendmsg_nomsg", SENDMSG, UDP, NOMSG, 16},
	{"sendmsg_len8", SENDMSG, UDP, V4, 8},
	{"sendmsg_v6", SENDMSG, UDP, V6, 28},
	{"sendmsg_noname", SENDMSG, UDP, NUL, 0},
	{"getsockname_badfd", SOCKNAME, BADFD, V4, 16},
	{"getsockname_notsock", SOCKNAME, NOTSOCK, V4, 16},
	{"getsockname_null", SOCKNAME, TCP, NUL, 16},
	{"getsockname_lowptr", SOCKNAME, TCP, LOW, 16},
	{"getsockname_nulllen", SOCKNAME, TCP, V4, -1},
	{"getsockname_negative", SOCKNAME, TCP, V4, -2},
	{"getsockname_len0", SOCKNAME, TCP, NUL, 0},
	{"getsockname_len4", SOCKNAME, TCP, V4, 4},
	{"getsockname_full", SOCKNAME, TCP, V4, 128},
	{"getsockname_udp", SOCKNAME, UDP, V4, 128},
	{"getpeername_badfd", PEERNAME, BADFD, V4, 16},
	{"getpeername_unconnected", PEERNAME, TCP, V4, 128},
	{"getpeername_null", PEERNAME, TCP, NUL, 16},
};

static int open_fd(enum fdkind kind)
{
	switch (kind) {
	case TCP:
		return socket(AF_INET, SOCK_STREAM, 0);
	case UDP:
		return socket(AF_INET, SOCK_DGRAM, 0);
	case NOTSOCK:
		return open("/dev/null", O_RDONLY | O_CLOEXEC);
	default:
		close(1000);
		return 1000;
	}
}

/* The address of a row, in a buffer long enough for every length. */
static struct sockaddr *make(enum addrkind kind, unsigned char *buf)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(9)};
	struct sockaddr_in6 sin6 = {.sin6_family = AF_INET6,
				    .sin6_port = htons(9)};

	memset(buf, 0, 256);
	inet_pton(AF_INET, "127.0.0.1", &sin.sin_addr);
	sin6.sin6_addr = in6addr_loopback;
	switch (kind) {
	case NUL:
	case NOMSG:
		return NULL;
	case LOW:
		return (struct sockaddr *)16;
	case V6:
		memcpy(buf, &sin6, sizeof(sin6));
		break;
	case UNSPEC_ANY:
		sin.sin_addr.s_addr = htonl(INADDR_ANY);
		sin.sin_family = AF_UNSPEC;
		memcpy(buf, &sin, sizeof(sin));
		break;
	case UNSPEC_V4:
	case FAM99:
		sin.sin_family = kind == FAM99 ? 99 : AF_UNSPEC;
		memcpy(buf, &sin, sizeof(sin));
		break;
	default:
		memcpy(buf, &sin, sizeof(sin));
	}
	return (struct sockaddr *)buf;
}

/* The result of a name call: errno, or the length and family shown. */
static void name_call(const struct row *r, int fd, struct sockaddr *sa,
		      bool readable)
{
	socklen_t len = (socklen_t)r->len, *lenp = r->len == -1 ? NULL : &len;
	int rc;

	if (r->len == -2)
		len = (socklen_t)-1;
	if (readable)
		memset(sa, 0xff, 256);
	if (r->call == SOCKNAME)
		rc = getsockname(fd, sa, lenp);
	else
		rc = getpeername(fd, sa, lenp);
	if (rc < 0) {
		printf("%s=%s\n", r->name, errno_name(errno));
		return;
	}
	printf("%s=0,len=%u", r->name, (unsigned)len);
	if (readable && r->len >= 2)
		printf(",family=%d", sa->sa_family);
	if (readable && r->len >= 4)
		printf(",port=%s", sa->sa_data[0] || sa->sa_data[1] ? "set"
								   : "0");
	printf("\n");
}

static void run(const struct row *r)
{
	unsigned char buf[256];
	struct sockaddr *sa = make(r->addr, buf);
	struct iovec iov = {.iov_base = "x", .iov_len = 1};
	struct msghdr msg = {.msg_name = sa, .msg_namelen = (socklen_t)r->len,
			     .msg_iov = &iov, .msg_iovlen = 1};
	int fd = open_fd(r->fd);
	long rc = 0;

	errno = 0;
	switch (r->call) {
	case CONNECT:
		rc = connect(fd, sa, (socklen_t)r->len);
		break;
	case BIND:
		rc = bind(fd, sa, (socklen_t)r->len);
		break;
	case SENDTO:
		rc = sendto(fd, "x", 1, MSG_NOSIGNAL, sa, (socklen_t)r->len);
		break;
	case SENDMSG:
		rc = sendmsg(fd, r->addr == NOMSG ? NULL : &msg, MSG_NOSIGNAL);
		break;
	default:
		name_call(r, fd, sa, sa == (struct sockaddr *)buf);
		close(fd);
		return;
	}
	printf("%s=%s\n", r->name, rc < 0 ? errno_name(errno) : "0");
	close(fd);
}

int parity(void);

/* parity - run every row; see the file's comment. */
int parity(void)
{
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		run(&rows[i]);
	return 0;
}
