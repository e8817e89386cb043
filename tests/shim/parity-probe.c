/* SPDX-License-Identifier: MIT */
/*
 * parity-probe.c - run the rows of tests/shim/parity-cases.txt, one child
 * process each, and print what each call returned, for
 * tests/shim/parity.sh.
 *
 *   parity-probe CASES-FILE [NAME...]
 *
 * A row is "NAME CALL ARG..." (anything from a " |" on is the test
 * script's, not the probe's); the words are described in parity-cases.txt.
 * Each row runs in a child of its own, bounded by an alarm, so that a crash
 * or a hang is one row's result ("NAME signal=SIGSEGV"), not the end of the
 * run.  Its line is "NAME rc=RC" and, when the call failed, " errno=NAME";
 * then what else the call handed back that must be the same with and
 * without the library: the length written to a length argument, the family
 * of an address written, an option's value, a resolver's EAI_* code and
 * h_errno.  Nothing that changes from run to run (ports, fd numbers) is
 * printed.  A row whose setup fails says "NAME setup=WHAT errno=NAME".
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "probe.h"

#define MAXWORDS 16
#define ROW_TIMEOUT 10

struct name {
	long value;
	const char *name;
};

/* The words of a row, by argument kind; a number is taken as it is. */
static const struct name domains[] = {
	{AF_UNSPEC, "unspec"}, {AF_INET, "inet"}, {AF_INET6, "inet6"},
	{AF_UNIX, "unix"}, {AF_NETLINK, "netlink"}, {AF_PACKET, "packet"},
	{0, NULL},
};

static const struct name types[] = {
	{SOCK_STREAM, "stream"}, {SOCK_DGRAM, "dgram"}, {SOCK_RAW, "raw"},
	{SOCK_SEQPACKET, "seqpacket"}, {SOCK_NONBLOCK, "nonblock"},
	{SOCK_CLOEXEC, "cloexec"}, {0, NULL},
};

static const struct name protos[] = {
	{IPPROTO_TCP, "tcp"}, {IPPROTO_UDP, "udp"}, {IPPROTO_ICMP, "icmp"},
	{IPPROTO_ICMPV6, "icmpv6"}, {IPPROTO_SCTP, "sctp"}, {0, NULL},
};

static const struct name levels[] = {
	{SOL_SOCKET, "socket"}, {IPPROTO_IP, "ip"}, {IPPROTO_IPV6, "ipv6"},
	{IPPROTO_TCP, "tcp"}, {IPPROTO_UDP, "udp"}, {0, NULL},
};

static const struct name optnames[] = {
	{SO_DOMAIN, "so_domain"}, {SO_TYPE, "so_type"},
	{SO_PROTOCOL, "so_protocol"}, {SO_ERROR, "so_error"},
	{SO_PEERNAME, "so_peername"}, {SO_REUSEADDR, "so_reuseaddr"},
	{SO_ACCEPTCONN, "so_acceptconn"}, {IPV6_V6ONLY, "ipv6_v6only"},
	{IP_TOS, "ip_tos"}, {IP_TTL, "ip_ttl"}, {TCP_NODELAY, "tcp_nodelay"},
	{0, NULL},
};

static const struct name ai_flags[] = {
	{AI_PASSIVE, "passive"}, {AI_CANONNAME, "canonname"},
	{AI_NUMERICHOST, "numerichost"}, {AI_ADDRCONFIG, "addrconfig"},
	{AI_V4MAPPED, "v4mapped"}, {AI_ALL, "all"},
	{AI_NUMERICSERV, "numericserv"}, {AI_IDN, "idn"},
	{AI_CANONIDN, "canonidn"}, {0, NULL},
};

static const struct name ni_flags[] = {
	{NI_NUMERICHOST, "numerichost"}, {NI_NUMERICSERV, "numericserv"},
	{NI_NOFQDN, "nofqdn"}, {NI_NAMEREQD, "namereqd"}, {NI_DGRAM, "dgram"},
	{NI_IDN, "idn"}, {0, NULL},
};

static const struct name msg_flags[] = {
	{MSG_DONTWAIT, "dontwait"}, {MSG_NOSIGNAL, "nosignal"},
	{MSG_PEEK, "peek"}, {MSG_OOB, "oob"}, {MSG_FASTOPEN, "fastopen"},
	{MSG_TRUNC, "trunc"}, {0, NULL},
};

static char outbuf[1024];
static size_t outlen;

static void out(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	outlen += (size_t)vsnprintf(outbuf + outlen, sizeof(outbuf) - outlen,
				    fmt, ap);
	va_end(ap);
	if (outlen >= sizeof(outbuf))
		outlen = sizeof(outbuf) - 1;
}

static void bad_row(const char *why, const char *word)
{
	printf("ERROR: %s '%s'\n", why, word ? word : "(missing)");
	fflush(stdout);
	_exit(99);
}

/* A word of table t, a number, or several joined by '+' (ORed). */
static long word(const struct name *t, const char *w)
{
	char buf[128], *tok, *save = NULL, *end;
	long v = 0;

	if (!w)
		bad_row("missing word", w);
	snprintf(buf, sizeof(buf), "%s", w);
	for (tok = strtok_r(buf, "+", &save); tok;
	     tok = strtok_r(NULL, "+", &save)) {
		const struct name *n = t;

		for (; n && n->name; n++)
			if (!strcmp(n->name, tok))
				break;
		if (n && n->name) {
			v |= n->value;
			continue;
		}
		v |= strtol(tok, &end, 0);
		if (*end)
			bad_row("unknown word", tok);
	}
	return v;
}

/* A length: a number, or the size of a well-known structure. */
static socklen_t length(const char *w)
{
	static const struct name lens[] = {
		{sizeof(struct sockaddr_in), "sin"},
		{sizeof(struct sockaddr_in) - 1, "sin-1"},
		{sizeof(struct sockaddr_in6), "sin6"},
		{sizeof(struct sockaddr_in6) - 1, "sin6-1"},
		{sizeof(sa_family_t), "fam"},
		{sizeof(struct sockaddr_un), "un"},
		{sizeof(struct sockaddr_nl), "nl"},
		{sizeof(struct sockaddr_storage), "ss"},
		{sizeof(struct sockaddr_storage) + 1, "ss+1"},
		{4096, "huge"},
		{0x7fffffff, "max"},
		{(long)(socklen_t)-1, "neg"},
		{0, NULL},
	};

	return (socklen_t)word(lens, w);
}

/* --- file descriptors --------------------------------------------------- */

static int sock_or_die(int domain, int type)
{
	int fd = socket(domain, type, 0);

	if (fd < 0) {
		out(" setup=socket errno=%s", errno_name(errno));
		return -2;
	}
	return fd;
}

/* The loopback address of domain at port (network order) in *ss. */
static socklen_t loopback(int domain, struct sockaddr_storage *ss,
			  in_port_t port)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (domain == AF_INET) {
		sin->sin_family = AF_INET;
		sin->sin_port = port;
		sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		return sizeof(*sin);
	}
	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = port;
	sin6->sin6_addr = in6addr_loopback;
	return sizeof(*sin6);
}

/*
 * A socket bound to the wildcard address, port 0 (a bind to 127.0.0.1
 * would be the policy's business on an ipv6 stack); *ss is then the
 * loopback address at its port, *len that address's length.
 */
static int bound(int domain, int type, struct sockaddr_storage *ss,
		 socklen_t *len)
{
	struct sockaddr_in sin = {.sin_family = AF_INET};
	struct sockaddr_in6 sin6 = {.sin6_family = AF_INET6};
	int fd = sock_or_die(domain, type);

	if (fd < 0)
		return fd;
	if (domain == AF_INET)
		*len = sizeof(sin), memcpy(ss, &sin, sizeof(sin));
	else
		*len = sizeof(sin6), memcpy(ss, &sin6, sizeof(sin6));
	if (bind(fd, (struct sockaddr *)ss, *len) < 0 ||
	    getsockname(fd, (struct sockaddr *)ss, len) < 0) {
		out(" setup=bind errno=%s", errno_name(errno));
		return -2;
	}
	*len = loopback(domain, ss, domain == AF_INET
			? ((struct sockaddr_in *)ss)->sin_port
			: ((struct sockaddr_in6 *)ss)->sin6_port);
	return fd;
}

/*
 * The fd of a row: a fresh socket, a listener with a connection waiting,
 * a connected client, a datagram socket with a datagram waiting, a socket
 * of another family, a pipe, a regular file, a closed fd, -1.  -2 when
 * the setup failed (said in the output).
 */
static int make_fd(const char *w)
{
	int domain, fd, c, sv[2];
	struct sockaddr_storage ss;
	socklen_t len;

	if (!w)
		bad_row("missing fd", w);
	domain = strchr(w, '6') ? AF_INET6 : AF_INET;
	if (!strcmp(w, "tcp4") || !strcmp(w, "tcp6"))
		return sock_or_die(domain, SOCK_STREAM);
	if (!strcmp(w, "udp4") || !strcmp(w, "udp6"))
		return sock_or_die(domain, SOCK_DGRAM);
	if (!strcmp(w, "listen4") || !strcmp(w, "listen6") ||
	    !strcmp(w, "conn4") || !strcmp(w, "conn6")) {
		fd = bound(domain, SOCK_STREAM, &ss, &len);
		if (fd < 0)
			return fd;
		if (listen(fd, 8) < 0)
			return out(" setup=listen"), -2;
		c = sock_or_die(domain, SOCK_STREAM);
		if (c < 0)
			return c;
		if (connect(c, (struct sockaddr *)&ss, len) < 0) {
			out(" setup=connect errno=%s", errno_name(errno));
			return -2;
		}
		return w[0] == 'l' ? fd : c;
	}
	if (!strcmp(w, "queued4") || !strcmp(w, "queued6")) {
		fd = bound(domain, SOCK_DGRAM, &ss, &len);
		if (fd < 0)
			return fd;
		if (sendto(fd, "datagram", 8, 0, (struct sockaddr *)&ss, len) !=
		    8) {
			out(" setup=sendto errno=%s", errno_name(errno));
			return -2;
		}
		return fd;
	}
	if (!strcmp(w, "unix"))
		return sock_or_die(AF_UNIX, SOCK_STREAM);
	if (!strcmp(w, "unixd"))
		return sock_or_die(AF_UNIX, SOCK_DGRAM);
	if (!strcmp(w, "unixq")) {
		if (socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) < 0 ||
		    send(sv[1], "datagram", 8, 0) != 8)
			return out(" setup=socketpair"), -2;
		return sv[0];
	}
	if (!strcmp(w, "netlink")) {
		fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
		if (fd < 0)
			out(" setup=netlink errno=%s", errno_name(errno));
		return fd < 0 ? -2 : fd;
	}
	if (!strcmp(w, "pipe")) {
		if (pipe(sv) < 0)
			return out(" setup=pipe"), -2;
		return sv[1];
	}
	if (!strcmp(w, "file")) {
		fd = open("/etc/hosts", O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			out(" setup=open errno=%s", errno_name(errno));
		return fd < 0 ? -2 : fd;
	}
	if (!strcmp(w, "closed4") || !strcmp(w, "closed6")) {
		fd = sock_or_die(domain, SOCK_STREAM);
		if (fd >= 0)
			close(fd);
		return fd;
	}
	if (!strcmp(w, "-1"))
		return -1;
	if (!strcmp(w, "huge"))
		return 1 << 20;
	bad_row("unknown fd", w);
	return -2;
}

/* --- addresses and buffers ------------------------------------------------ */

static unsigned char addrbuf[8192] __attribute__((aligned(16)));

/* A page the program may not touch, at an address above the first page. */
static void *unmapped(void)
{
	void *p = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
		       0);

	return p == MAP_FAILED ? NULL : p;
}

/* A pointer argument that is not an address: NULL, low, or unmapped. */
static int bad_pointer(const char *w, void **p)
{
	if (!strcmp(w, "null"))
		*p = NULL;
	else if (!strcmp(w, "bad"))
		*p = (void *)1;
	else if (!strcmp(w, "low"))
		*p = (void *)4095;
	else if (!strcmp(w, "unmapped"))
		*p = unmapped();
	else
		return 0;
	return 1;
}

/* The address of a row in addrbuf (the rest of it zero), or a bad one. */
static struct sockaddr *make_addr(const char *w)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)addrbuf;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)addrbuf;
	struct sockaddr_un *sun = (struct sockaddr_un *)addrbuf;
	struct sockaddr_nl *snl = (struct sockaddr_nl *)addrbuf;
	void *p;

	if (!w)
		bad_row("missing address", w);
	if (bad_pointer(w, &p))
		return p;
	memset(addrbuf, 0, sizeof(addrbuf));
	if (!strcmp(w, "in4") || !strcmp(w, "in4any")) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(w[3] ? 0 : 9);
		sin->sin_addr.s_addr = htonl(w[3] ? INADDR_ANY
						  : INADDR_LOOPBACK);
	} else if (!strcmp(w, "in6") || !strcmp(w, "in6any")) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(w[3] ? 0 : 9);
		sin6->sin6_addr = w[3] ? in6addr_any : in6addr_loopback;
	} else if (!strcmp(w, "in4x")) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(9);
		inet_pton(AF_INET, "192.0.2.99", &sin->sin_addr);
	} else if (!strcmp(w, "in6x")) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(9);
		inet_pton(AF_INET6, "2001:db8::99", &sin6->sin6_addr);
	} else if (!strcmp(w, "mapped")) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(9);
		inet_pton(AF_INET6, "::ffff:127.0.0.1", &sin6->sin6_addr);
	} else if (!strcmp(w, "unspec")) {
		sin->sin_family = AF_UNSPEC;
		sin->sin_port = htons(9);
		sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	} else if (!strcmp(w, "unix")) {
		sun->sun_family = AF_UNIX;
		snprintf(sun->sun_path + 1, sizeof(sun->sun_path) - 1,
			 "stackshim-parity-%d", (int)getpid());
	} else if (!strcmp(w, "nl")) {
		snl->nl_family = AF_NETLINK;
	} else if (!strcmp(w, "fam99")) {
		sin->sin_family = 99;
		sin->sin_port = htons(9);
	} else if (!strcmp(w, "junk")) {
		memset(addrbuf, 0xa5, sizeof(addrbuf));
	} else {
		bad_row("unknown address", w);
	}
	return (struct sockaddr *)addrbuf;
}

/* A length pointer: NULL, bad, or one to a variable set to a length. */
static socklen_t lenvar;

static socklen_t *make_lenp(const char *w)
{
	void *p;

	if (!w)
		bad_row("missing length", w);
	if (bad_pointer(w, &p))
		return p;
	lenvar = length(w);
	return &lenvar;
}

/* What a call wrote to an output address and its length. */
static void show_name(const void *buf, const socklen_t *lenp, socklen_t before,
		      int rc)
{
	if (lenp == &lenvar)
		out(" len=%u", (unsigned)lenvar);
	if (rc >= 0 && buf == addrbuf && before >= sizeof(sa_family_t) &&
	    lenp == &lenvar && lenvar >= sizeof(sa_family_t))
		out(" family=%d", ((const struct sockaddr *)buf)->sa_family);
}

/* --- the calls ------------------------------------------------------------ */

static void result(long rc, int err, int is_fd)
{
	if (rc < 0)
		out(" rc=%ld errno=%s", rc, err ? errno_name(err) : "0");
	else
		out(" rc=%s", is_fd ? "fd" : "");
	if (rc >= 0 && !is_fd)
		out("%ld", rc);
}

static void do_socket(char **a)
{
	int fd = socket((int)word(domains, a[0]), (int)word(types, a[1]),
			(int)word(protos, a[2]));

	result(fd, errno, 1);
}

/* connect, bind, sendto, sendmsg, sendmmsg: FD ADDR LEN [FLAGS]. */
static void do_dest(const char *call, char **a)
{
	int fd = make_fd(a[0]), flags = MSG_NOSIGNAL | MSG_DONTWAIT;
	struct sockaddr *sa;
	socklen_t len;
	struct iovec iov = {.iov_base = "x", .iov_len = 1};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
	struct mmsghdr mm = {.msg_hdr = msg};
	void *mp = &msg;
	long rc;

	if (fd == -2)
		return;
	if (!strcmp(a[1], "nomsg") || !strcmp(a[1], "badmsg")) {
		mp = a[1][0] == 'n' ? NULL : (void *)1;
		sa = NULL;
		len = 0;
	} else {
		sa = make_addr(a[1]);
		len = length(a[2]);
	}
	if (a[2] && a[3])
		flags |= (int)word(msg_flags, a[3]);
	msg.msg_name = sa;
	msg.msg_namelen = len;
	mm.msg_hdr = msg;
	errno = 0;
	if (!strcmp(call, "connect"))
		rc = connect(fd, sa, len);
	else if (!strcmp(call, "bind"))
		rc = bind(fd, sa, len);
	else if (!strcmp(call, "sendto"))
		rc = sendto(fd, "x", 1, flags, sa, len);
	else if (!strcmp(call, "sendmsg"))
		rc = sendmsg(fd, mp, flags);
	else
		rc = sendmmsg(fd, mp == &msg ? &mm : mp, 1, flags);
	result(rc, errno, 0);
}

/* getsockname, getpeername, accept, accept4, recvfrom, recvmsg:
 * FD BUF LEN [FLAGS]. */
static void do_name(const char *call, char **a)
{
	int fd = make_fd(a[0]);
	void *buf;
	socklen_t *lenp, before;
	char data[64];
	long rc;

	if (fd == -2)
		return;
	if (!a[1] || !bad_pointer(a[1], &buf))
		buf = addrbuf;
	memset(addrbuf, 0xff, sizeof(addrbuf));
	lenp = make_lenp(a[2]);
	before = lenvar;
	errno = 0;
	if (!strcmp(call, "getsockname")) {
		rc = getsockname(fd, buf, lenp);
	} else if (!strcmp(call, "getpeername")) {
		rc = getpeername(fd, buf, lenp);
	} else if (!strcmp(call, "accept")) {
		rc = accept(fd, buf, lenp);
	} else if (!strcmp(call, "accept4")) {
		rc = accept4(fd, buf, lenp, a[3] ? (int)word(types, a[3]) : 0);
	} else if (!strcmp(call, "recvfrom")) {
		rc = recvfrom(fd, data, sizeof(data),
			      MSG_DONTWAIT | (a[3] ? (int)word(msg_flags, a[3])
						   : 0), buf, lenp);
	} else {
		struct iovec iov = {.iov_base = data, .iov_len = sizeof(data)};
		struct msghdr msg = {.msg_name = buf, .msg_iov = &iov,
				     .msg_iovlen = 1};

		msg.msg_namelen = lenp == &lenvar ? lenvar : 0;
		rc = recvmsg(fd, &msg, MSG_DONTWAIT);
		lenvar = msg.msg_namelen;
		lenp = &lenvar;
	}
	result(rc, errno, !strncmp(call, "accept", 6));
	show_name(buf, lenp, before, (int)rc);
}

/* getsockopt, setsockopt: FD LEVEL NAME VAL LEN. */
static void do_sockopt(const char *call, char **a)
{
	int fd = make_fd(a[0]), level = (int)word(levels, a[1]);
	int name = (int)word(optnames, a[2]);
	socklen_t *lenp;
	void *val;
	long rc;

	if (fd == -2)
		return;
	if (!a[3] || !bad_pointer(a[3], &val))
		val = addrbuf;
	memset(addrbuf, 0, sizeof(addrbuf));
	if (a[3] && !strcmp(a[3], "one"))
		*(int *)addrbuf = 1;
	errno = 0;
	if (!strcmp(call, "setsockopt")) {
		rc = setsockopt(fd, level, name, val, length(a[4]));
		result(rc, errno, 0);
		return;
	}
	lenp = make_lenp(a[4]);
	rc = getsockopt(fd, level, name, val, lenp);
	result(rc, errno, 0);
	if (lenp == &lenvar)
		out(" len=%u", (unsigned)lenvar);
	if (rc == 0 && val == addrbuf && lenvar >= sizeof(int))
		out(name == SO_PEERNAME ? " family=%d" : " value=%d",
		    name == SO_PEERNAME ? (int)((struct sockaddr *)addrbuf)->sa_family
					: *(int *)addrbuf);
}

/* A string argument: '-' is NULL, "" the empty string. */
static const char *nullable(const char *w)
{
	if (!strcmp(w, "-"))
		return NULL;
	return strcmp(w, "\"\"") ? w : "";
}

static void eai(int rc, int err)
{
	out(" eai=%s", eai_name(rc));
	if (rc == EAI_SYSTEM)
		out(" errno=%s", errno_name(err));
}

/* getaddrinfo: NODE SERVICE FAMILY|nohints SOCKTYPE PROTO FLAGS. */
static void do_gai(char **a)
{
	struct addrinfo hints = {0}, *res = NULL, *ai;
	int rc, n = 0;

	if (!a[0] || !a[1] || !a[2])
		bad_row("getaddrinfo needs", "NODE SERVICE FAMILY");
	if (strcmp(a[2], "nohints")) {
		if (!a[3] || !a[4] || !a[5])
			bad_row("getaddrinfo needs", "SOCKTYPE PROTO FLAGS");
		hints.ai_family = (int)word(domains, a[2]);
		hints.ai_socktype = (int)word(types, a[3]);
		hints.ai_protocol = (int)word(protos, a[4]);
		hints.ai_flags = (int)word(ai_flags, a[5]);
	}
	errno = 0;
	rc = getaddrinfo(nullable(a[0]), nullable(a[1]),
			 strcmp(a[2], "nohints") ? &hints : NULL, &res);
	eai(rc, errno);
	if (rc)
		return;
	for (ai = res; ai; ai = ai->ai_next)
		n++;
	out(" entries=%d", n);
	for (ai = res; ai; ai = ai->ai_next)
		out(" %d/%d/%d", ai->ai_family, ai->ai_socktype,
		    ai->ai_protocol);
	freeaddrinfo(res);
}

/* getnameinfo: ADDR LEN HOSTLEN SERVLEN FLAGS. */
static void do_gni(char **a)
{
	static char host[2048], serv[512];
	struct sockaddr *sa;
	socklen_t hl, sl;
	int rc;

	if (!a[0] || !a[1] || !a[2] || !a[3] || !a[4])
		bad_row("getnameinfo needs", "ADDR LEN HOSTLEN SERVLEN FLAGS");
	sa = make_addr(a[0]);
	hl = length(a[2]);
	sl = length(a[3]);
	errno = 0;
	rc = getnameinfo(sa, length(a[1]), hl ? host : NULL, hl,
			 sl ? serv : NULL, sl, (int)word(ni_flags, a[4]));
	eai(rc, errno);
	if (!rc)
		out(" host=%s serv=%s", hl ? host : "-", sl ? serv : "-");
}

/* gethostbyname_r NAME BUFLEN, gethostbyname2_r NAME FAMILY BUFLEN,
 * gethostbyname NAME, gethostbyname2 NAME FAMILY. */
static void do_ghbn(const char *call, char **a)
{
	struct hostent he, *res = NULL;
	static char buf[65536];
	int herr = 0, rc, i, two = strchr(call, '2') != NULL;

	if (!a[0] || (two && !a[1]))
		bad_row("missing argument to", call);
	errno = 0;
	h_errno = 0;
	if (strchr(call, '_')) {
		size_t len = (size_t)length(a[two ? 2 : 1]);

		if (two)
			rc = gethostbyname2_r(nullable(a[0]),
					      (int)word(domains, a[1]), &he,
					      buf, len, &res, &herr);
		else
			rc = gethostbyname_r(nullable(a[0]), &he, buf, len,
					     &res, &herr);
		out(" rc=%s", rc ? errno_name(rc) : "0");
		if (rc)
			out(" errno=%s", errno_name(errno));
	} else {
		res = two ? gethostbyname2(nullable(a[0]),
					   (int)word(domains, a[1]))
			  : gethostbyname(nullable(a[0]));
		herr = h_errno;
		out(" rc=%s", res ? "hostent" : "NULL");
		if (!res)
			out(" errno=%s", errno ? errno_name(errno) : "0");
	}
	out(" h_errno=%s", herr_name(herr));
	if (!res)
		return;
	for (i = 0; res->h_addr_list[i]; i++)
		;
	out(" family=%d length=%d addresses=%d", res->h_addrtype,
	    res->h_length, i);
}

static void run_row(char **w)
{
	const char *call = w[1];

	outlen = 0;
	out("%s", w[0]);
	if (!call)
		bad_row("no call in row", w[0]);
	if (!strcmp(call, "socket"))
		do_socket(w + 2);
	else if (!strcmp(call, "connect") || !strcmp(call, "bind") ||
		 !strncmp(call, "send", 4))
		do_dest(call, w + 2);
	else if (!strcmp(call, "getsockname") || !strcmp(call, "getpeername") ||
		 !strncmp(call, "accept", 6) || !strncmp(call, "recv", 4))
		do_name(call, w + 2);
	else if (!strcmp(call, "getsockopt") || !strcmp(call, "setsockopt"))
		do_sockopt(call, w + 2);
	else if (!strcmp(call, "getaddrinfo"))
		do_gai(w + 2);
	else if (!strcmp(call, "getnameinfo"))
		do_gni(w + 2);
	else if (!strncmp(call, "gethostbyname", 13))
		do_ghbn(call, w + 2);
	else
		bad_row("unknown call", call);
	out("\n");
	if (write(1, outbuf, outlen) < 0)
		_exit(99);
}

/* The words of a row in w (NULL-terminated); false for a blank line. */
static int split(char *line, char **w)
{
	char *bar = strstr(line, " |"), *save = NULL;
	int n = 0;

	if (bar)
		*bar = '\0';
	line[strcspn(line, "#@\n")] = '\0';
	for (w[n] = strtok_r(line, " \t", &save); w[n] && n < MAXWORDS - 1;
	     w[n] = strtok_r(NULL, " \t", &save))
		n++;
	w[n] = NULL;
	return n > 0;
}

static int wanted(const char *name, int argc, char **argv)
{
	int i;

	if (argc <= 2)
		return 1;
	for (i = 2; i < argc; i++)
		if (!strcmp(argv[i], name))
			return 1;
	return 0;
}

int main(int argc, char **argv)
{
	char line[4096], *w[MAXWORDS];
	FILE *f;
	pid_t pid;
	int status;

	if (argc < 2) {
		fprintf(stderr, "usage: parity-probe CASES-FILE [NAME...]\n");
		return 99;
	}
	f = fopen(argv[1], "re");
	if (!f) {
		perror(argv[1]);
		return 99;
	}
	signal(SIGPIPE, SIG_IGN);
	while (fgets(line, sizeof(line), f)) {
		if (!split(line, w) || !wanted(w[0], argc, argv))
			continue;
		fflush(stdout);
		pid = fork();
		if (pid < 0) {
			perror("fork");
			return 99;
		}
		if (!pid) {
			alarm(ROW_TIMEOUT);
			run_row(w);
			_exit(0);
		}
		if (waitpid(pid, &status, 0) < 0) {
			perror("waitpid");
			return 99;
		}
		if (WIFSIGNALED(status))
			printf("%s signal=%s\n", w[0],
			       sigabbrev_np(WTERMSIG(status)));
		else if (WEXITSTATUS(status) == 99)
			return 99;
	}
	fclose(f);
	return 0;
}
