/* SPDX-License-Identifier: MIT */
/*
 * dest-probe.c - ways around a destination rule that tests/shim/dest.sh
 * tries under the library, with `deny = 127.0.0.2` (and ::1 for raw6):
 * each mode sends to the denied address in its own way and prints what the
 * send said and how many datagrams reached a receiver bound there.
 *
 *   namelen N    sendmsg() and sendmmsg() of an AF_INET UDP socket to
 *                127.0.0.2 with msg_namelen N (the kernel cuts it to 128)
 *   namelen6 N   the same from an AF_INET6 UDP socket (which sends an
 *                AF_INET address over IPv4)
 *   flip         one thread flips a sendto() buffer between 127.0.0.1 and
 *                127.0.0.2 while another sends from it 20,000 times
 *   swap-pipe H  a pipe's number, marked "not a socket" by a refused
 *                sendto(), given to a UDP socket by H: raw (the system
 *                call itself), dup2, dup3, or fdupfd (fcntl F_DUPFD)
 *   swap-family  an AF_INET UDP socket's number given to an AF_INET6 one
 *                by shim_sys(SYS_dup3), then ::ffff:127.0.0.2
 *   raw6         an AF_INET6 raw socket sending to ::1 with sin6_family 0
 *   indirect     the options that name destinations of their own: routing
 *                headers (IPV6_RTHDR, IPV6_2292RTHDR) and source routes
 *                (IP_OPTIONS), as options and as control messages, and
 *                headers the program writes (IP_HDRINCL, IPV6_HDRINCL,
 *                IPPROTO_RAW); one "NAME: rc=R errno=E" line each
 *
 * Output: "MODE: rc=R errno=NAME got=N" lines.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "probe.h"
#include "../../shim/sys.h"

#define PORT 47311

static int receiver(int family, const char *addr)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	/* Behind the library: the receiver is the test's, not the policy's. */
	int fd = (int)shim_sys(SYS_socket, family, SOCK_DGRAM | SOCK_NONBLOCK,
			       0);

	memset(&ss, 0, sizeof(ss));
	if (family == AF_INET) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(PORT);
		inet_pton(AF_INET, addr, &sin->sin_addr);
	} else {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(PORT);
		inet_pton(AF_INET6, addr, &sin6->sin6_addr);
	}
	if (fd < 0 || shim_sys(SYS_bind, fd, (struct sockaddr *)&ss,
			       family == AF_INET ? sizeof(*sin)
						: sizeof(*sin6)) < 0) {
		perror("receiver");
		exit(2);
	}
	return fd;
}

/* How many datagrams wait on fd. */
static int drain(int fd)
{
	char buf[64];
	int n = 0;

	usleep(20000);
	while (recv(fd, buf, sizeof(buf), 0) >= 0)
		n++;
	return n;
}

static void sin_of(struct sockaddr_in *sin, const char *addr)
{
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_port = htons(PORT);
	inet_pton(AF_INET, addr, &sin->sin_addr);
}

static void say(const char *mode, long rc, int err, int got)
{
	printf("%s: rc=%ld errno=%s got=%d\n", mode, rc,
	       rc < 0 ? errno_name(err) : "0", got);
}

static void mode_namelen(socklen_t len, int sockfam)
{
	struct sockaddr_storage big[8];	/* room for any length asked */
	struct iovec iov = {.iov_base = "x", .iov_len = 1};
	struct msghdr msg = {.msg_name = big, .msg_namelen = len,
			     .msg_iov = &iov, .msg_iovlen = 1};
	struct mmsghdr vec = {.msg_hdr = msg};
	int rx = receiver(AF_INET, "127.0.0.2");
	int fd = socket(sockfam, SOCK_DGRAM, 0);
	long rc;
	int err;

	memset(big, 0, sizeof(big));
	sin_of((struct sockaddr_in *)big, "127.0.0.2");
	rc = sendmsg(fd, &msg, 0);
	err = errno;
	say("sendmsg", rc, err, drain(rx));
	rc = sendmmsg(fd, &vec, 1, 0);
	err = errno;
	say("sendmmsg", rc, err, drain(rx));
}

static struct sockaddr_in flip_addr;
static atomic_bool flip_stop;

static void *flipper(void *arg)
{
	in_addr_t a = inet_addr("127.0.0.1"), b = inet_addr("127.0.0.2");
	volatile in_addr_t *p = &flip_addr.sin_addr.s_addr;

	(void)arg;
	while (!atomic_load(&flip_stop)) {
		*p = a;
		*p = b;
	}
	return NULL;
}

static void mode_flip(void)
{
	int rx = receiver(AF_INET, "127.0.0.2");
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	int i, got = 0, sent = 0;
	pthread_t t;

	sin_of(&flip_addr, "127.0.0.1");
	pthread_create(&t, NULL, flipper, NULL);
	for (i = 0; i < 20000; i++) {
		if (sendto(fd, "x", 1, 0, (struct sockaddr *)&flip_addr,
			   sizeof(flip_addr)) == 1)
			sent++;
		if (i % 500 == 0)
			got += drain(rx);
	}
	atomic_store(&flip_stop, true);
	pthread_join(t, NULL);
	got += drain(rx);
	printf("flip: sent=%s got=%d\n", sent ? "some" : "none", got);
}

/*
 * Mark a pipe's number "not a socket" in the library's memory, then give
 * it to a UDP socket by how: the system call itself (behind the library),
 * or libc's dup2, dup3, or fcntl(F_DUPFD) after a close behind the
 * library.
 */
static void mode_swap_pipe(const char *how)
{
	int rx = receiver(AF_INET, "127.0.0.2");
	int p[2], fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in sin;
	long rc;
	int err;

	sin_of(&sin, "127.0.0.2");
	if (pipe(p) < 0)
		exit(2);
	rc = sendto(p[0], "x", 1, 0, (struct sockaddr *)&sin, sizeof(sin));
	say("pipe", rc, errno, 0);
	if (!strcmp(how, "raw"))
		rc = shim_sys(SYS_dup3, fd, p[0], 0);
	else if (!strcmp(how, "dup2"))
		rc = dup2(fd, p[0]);
	else if (!strcmp(how, "dup3"))
		rc = dup3(fd, p[0], 0);
	else if (shim_sys(SYS_close, p[0]) == 0)
		rc = fcntl(fd, F_DUPFD, p[0]);
	if (rc != p[0])
		exit(2);
	rc = sendto(p[0], "x", 1, 0, (struct sockaddr *)&sin, sizeof(sin));
	err = errno;
	say("swapped", rc, err, drain(rx));
}

static void mode_swap_family(void)
{
	int rx = receiver(AF_INET, "127.0.0.2");
	int fd4 = socket(AF_INET, SOCK_DGRAM, 0);
	int fd6 = socket(AF_INET6, SOCK_DGRAM, 0);
	struct sockaddr_in6 sin6;
	struct sockaddr_in sin;
	long rc;
	int err;

	sin_of(&sin, "127.0.0.1");
	/* The library learns fd4 as AF_INET. */
	rc = sendto(fd4, "x", 1, 0, (struct sockaddr *)&sin, sizeof(sin));
	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	sin6.sin6_port = htons(PORT);
	inet_pton(AF_INET6, "::ffff:127.0.0.2", &sin6.sin6_addr);
	if (shim_sys(SYS_dup3, fd6, fd4, 0) < 0)
		exit(2);
	rc = sendto(fd4, "x", 1, 0, (struct sockaddr *)&sin6, sizeof(sin6));
	err = errno;
	say("swapped", rc, err, drain(rx));
}

static void mode_raw6(void)
{
	int rx = receiver(AF_INET6, "::1");
	int fd = socket(AF_INET6, SOCK_RAW, IPPROTO_UDP);
	/* A UDP header to PORT, its checksum left for the receiver to
	 * ignore: only its arrival is counted. */
	unsigned char udp[9] = {0x12, 0x34, PORT >> 8, PORT & 0xff, 0, 9, 0, 0,
				'x'};
	struct sockaddr_in6 sin6;
	long rc;
	int on, err;

	if (fd < 0) {
		printf("raw6: skip %s\n", errno_name(errno));
		return;
	}
	/* Let the kernel fill in the UDP checksum (offset 6). */
	on = 6;
	setsockopt(fd, IPPROTO_IPV6, IPV6_CHECKSUM, &on, sizeof(on));
	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = 0;
	inet_pton(AF_INET6, "::1", &sin6.sin6_addr);
	rc = sendto(fd, udp, sizeof(udp), 0, (struct sockaddr *)&sin6,
		    sizeof(sin6));
	err = errno;
	say("raw6", rc, err, drain(rx));
}


/* An IPv6 routing header of type naming ::1 (RFC 8754 for type 4). */
static size_t rthdr(unsigned char *buf, int type)
{
	memset(buf, 0, 24);
	buf[1] = 2;		/* 16 bytes past the first 8 */
	buf[2] = (unsigned char)type;
	buf[3] = type == 2 ? 1 : 0;	/* segments left */
	buf[23] = 1;		/* ::1 */
	return 24;
}

/* IPv4 options: a loose source route through 127.0.0.2 (or, with
 * route 0, a record route), padded to 8 bytes. */
static size_t ipopts(unsigned char *buf, int route)
{
	static const unsigned char lsrr[8] = {131, 7, 4, 127, 0, 0, 2, 0};
	static const unsigned char rr[8] = {7, 7, 4, 0, 0, 0, 0, 0};

	memcpy(buf, route ? lsrr : rr, 8);
	return 8;
}

static void opt_case(const char *what, int fd, int level, int name,
		     const void *val, socklen_t len)
{
	long rc = setsockopt(fd, level, name, val, len);

	say(what, rc, errno, 0);
}

static void cmsg_case(const char *what, int fd, int level, int type,
		      const void *data, size_t len, const char *dest)
{
	_Alignas(struct cmsghdr) unsigned char ctl[CMSG_SPACE(64)];
	struct sockaddr_storage ss;
	struct iovec iov = {.iov_base = "x", .iov_len = 1};
	struct msghdr msg = {.msg_name = &ss, .msg_iov = &iov,
			     .msg_iovlen = 1, .msg_control = ctl,
			     .msg_controllen = CMSG_SPACE(len)};
	struct cmsghdr *cmsg;
	long rc;

	memset(&ss, 0, sizeof(ss));
	memset(ctl, 0, sizeof(ctl));
	if (strchr(dest, ':')) {
		struct sockaddr_in6 *sin6 = (void *)&ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(PORT);
		inet_pton(AF_INET6, dest, &sin6->sin6_addr);
		msg.msg_namelen = sizeof(*sin6);
	} else {
		sin_of((struct sockaddr_in *)&ss, dest);
		msg.msg_namelen = sizeof(struct sockaddr_in);
	}
	cmsg = CMSG_FIRSTHDR(&msg);
	cmsg->cmsg_level = level;
	cmsg->cmsg_type = type;
	cmsg->cmsg_len = CMSG_LEN(len);
	memcpy(CMSG_DATA(cmsg), data, len);
	rc = sendmsg(fd, &msg, 0);
	say(what, rc, errno, 0);
}

static void mode_indirect(void)
{
	int u6 = socket(AF_INET6, SOCK_DGRAM, 0);
	int u4 = socket(AF_INET, SOCK_DGRAM, 0);
	int r4 = socket(AF_INET, SOCK_RAW, IPPROTO_UDP);
	int r6 = socket(AF_INET6, SOCK_RAW, IPPROTO_UDP);
	int raw = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
	unsigned char buf[64];
	struct sockaddr_in sin;
	size_t n;
	int on = 1;

	n = rthdr(buf, 4);
	opt_case("IPV6_RTHDR type 4", u6, IPPROTO_IPV6, IPV6_RTHDR, buf, n);
	n = rthdr(buf, 2);
	opt_case("IPV6_RTHDR type 2", u6, IPPROTO_IPV6, IPV6_RTHDR, buf, n);
	opt_case("IPV6_2292RTHDR", u6, IPPROTO_IPV6, IPV6_2292RTHDR, buf, n);
	opt_case("IPV6_RTHDR removed", u6, IPPROTO_IPV6, IPV6_RTHDR, NULL, 0);
	cmsg_case("IPV6_RTHDR cmsg", u6, IPPROTO_IPV6, IPV6_RTHDR, buf, n,
		  "::1");
	n = ipopts(buf, 1);
	opt_case("IP_OPTIONS lsrr", u4, IPPROTO_IP, IP_OPTIONS, buf, n);
	cmsg_case("IP_RETOPTS lsrr cmsg", u4, IPPROTO_IP, IP_RETOPTS, buf, n,
		  "127.0.0.1");
	n = ipopts(buf, 0);
	opt_case("IP_OPTIONS record-route", u4, IPPROTO_IP, IP_OPTIONS, buf,
		 n);
	if (r4 < 0 || r6 < 0 || raw < 0) {
		printf("raw: skip %s\n", errno_name(errno));
		return;
	}
	opt_case("IP_HDRINCL", r4, IPPROTO_IP, IP_HDRINCL, &on, sizeof(on));
	opt_case("IPV6_HDRINCL", r6, IPPROTO_IPV6, IPV6_HDRINCL, &on,
		 sizeof(on));
	on = 0;
	opt_case("IP_HDRINCL off", r4, IPPROTO_IP, IP_HDRINCL, &on,
		 sizeof(on));
	sin_of(&sin, "127.0.0.1");
	say("IPPROTO_RAW sendto",
	    sendto(raw, buf, 8, 0, (struct sockaddr *)&sin, sizeof(sin)),
	    errno, 0);
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	setvbuf(stdout, NULL, _IONBF, 0);
	if (!strcmp(argv[1], "namelen") && argc == 3)
		mode_namelen((socklen_t)atoi(argv[2]), AF_INET);
	else if (!strcmp(argv[1], "namelen6") && argc == 3)
		mode_namelen((socklen_t)atoi(argv[2]), AF_INET6);
	else if (!strcmp(argv[1], "flip"))
		mode_flip();
	else if (!strcmp(argv[1], "swap-pipe") && argc == 3)
		mode_swap_pipe(argv[2]);
	else if (!strcmp(argv[1], "swap-family"))
		mode_swap_family();
	else if (!strcmp(argv[1], "raw6"))
		mode_raw6();
	else if (!strcmp(argv[1], "indirect"))
		mode_indirect();
	else
		return 2;
	return 0;
}
