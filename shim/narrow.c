/* SPDX-License-Identifier: MIT */
/*
 * narrow.c - make an upgraded socket that holds [::]:p dual-stack hold
 * ::ffff:0.0.0.0:p, IPv4 only, as the AF_INET 0.0.0.0:p socket that the
 * program believes it has would (shim/dual.c says when).
 *
 * A bound socket cannot be rebound, so a fresh upgraded socket takes its
 * place under the same descriptor number: it gets the options the program
 * set that differ from a fresh socket's, O_NONBLOCK, and is put on the
 * old number with dup3() (FD_CLOEXEC kept), which closes the old socket
 * and frees its port; it is then bound to ::ffff:0.0.0.0:p and, when the
 * old one listened, listens with the same backlog.  Only system calls:
 * no lock, no memory, safe in a signal handler and across fork().
 *
 * What cannot be carried over (README, limitations): connections queued
 * on the old listener (they are reset), its epoll registrations and
 * attached filters; and the old socket lives on, port and all, when
 * another process or descriptor shares it (fork(), dup()) or a thread is
 * inside a call on it: the bind then fails, and the socket is left
 * unbound.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include "shim.h"
#include "sys.h"
#include "sockaddr.h"

/*
 * The options carried over, when the old socket's value differs from the
 * fresh one's.  SO_RCVBUF and SO_SNDBUF read back twice what was set
 * (socket(7)): half is written.  IPv4 options at IPPROTO_IP and their
 * IPv6 twins both, for the setsockopt() hook may have set either.
 */
static const struct narrow_option {
	int level;
	int name;
	bool half;
} narrow_options[] = {
	{SOL_SOCKET, SO_REUSEADDR, false},
	{SOL_SOCKET, SO_REUSEPORT, false},
	{SOL_SOCKET, SO_KEEPALIVE, false},
	{SOL_SOCKET, SO_BROADCAST, false},
	{SOL_SOCKET, SO_OOBINLINE, false},
	{SOL_SOCKET, SO_PRIORITY, false},
	{SOL_SOCKET, SO_RCVLOWAT, false},
	{SOL_SOCKET, SO_RCVBUF, true},
	{SOL_SOCKET, SO_SNDBUF, true},
	{SOL_SOCKET, SO_MARK, false},
	{SOL_SOCKET, SO_TIMESTAMP, false},
	{SOL_SOCKET, SO_PASSCRED, false},
	{SOL_SOCKET, SO_LINGER, false},
	{SOL_SOCKET, SO_BINDTODEVICE, false},
	{IPPROTO_TCP, TCP_NODELAY, false},
	{IPPROTO_TCP, TCP_DEFER_ACCEPT, false},
	{IPPROTO_TCP, TCP_FASTOPEN, false},
	{IPPROTO_TCP, TCP_KEEPIDLE, false},
	{IPPROTO_TCP, TCP_KEEPINTVL, false},
	{IPPROTO_TCP, TCP_KEEPCNT, false},
	{IPPROTO_TCP, TCP_USER_TIMEOUT, false},
	{IPPROTO_IP, IP_TOS, false},
	{IPPROTO_IP, IP_TTL, false},
	{IPPROTO_IP, IP_PKTINFO, false},
	{IPPROTO_IP, IP_RECVTOS, false},
	{IPPROTO_IP, IP_FREEBIND, false},
	{IPPROTO_IP, IP_TRANSPARENT, false},
	{IPPROTO_IP, IP_MULTICAST_LOOP, false},
	{IPPROTO_IP, IP_MULTICAST_TTL, false},
	{IPPROTO_IP, IP_RECVERR, false},
	{IPPROTO_IP, IP_MULTICAST_ALL, false},
	{IPPROTO_IPV6, IPV6_RECVPKTINFO, false},
	{IPPROTO_IPV6, IPV6_TCLASS, false},
	{IPPROTO_IPV6, IPV6_UNICAST_HOPS, false},
	{IPPROTO_IPV6, IPV6_RECVERR, false},
};

/* What of the old socket goes over to the new one, besides options. */
struct narrow_state {
	int type, protocol;
	int fl, fd_flags;
	bool listening;
	int backlog;
	struct sockaddr_in6 name;
};

static int narrow_opt(int fd, int level, int name)
{
	int v = -1;
	socklen_t len = sizeof(v);

	if (shim_sys(SYS_getsockopt, fd, level, name, &v, &len) < 0)
		return -1;
	return v;
}

static void narrow_close(int fd)
{
	fdstate_set(fd, 0);
	shim_sys(SYS_close, fd);
}

/*
 * Read what old is.  Returns false for a socket not to be touched: one
 * that is connected, or not a TCP listener or bound TCP socket or UDP one.
 */
static bool narrow_read(int fd, struct narrow_state *st)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);

	st->type = narrow_opt(fd, SOL_SOCKET, SO_TYPE);
	st->protocol = narrow_opt(fd, SOL_SOCKET, SO_PROTOCOL);
	st->fl = (int)shim_sys(SYS_fcntl, fd, F_GETFL);
	st->fd_flags = (int)shim_sys(SYS_fcntl, fd, F_GETFD);
	st->listening = narrow_opt(fd, SOL_SOCKET, SO_ACCEPTCONN) == 1;
	st->backlog = 0;
	len = sizeof(st->name);
	if (st->type < 0 || st->protocol < 0 || st->fl < 0 ||
	    st->fd_flags < 0 ||
	    shim_sys(SYS_getsockname, fd, &st->name, &len) < 0)
		return false;
	if (st->type == SOCK_DGRAM) {
		len = sizeof(ti);
		/* A connected UDP socket is not a server's. */
		return shim_sys(SYS_getpeername, fd, &ti, &len) < 0;
	}
	len = sizeof(ti);
	memset(&ti, 0, sizeof(ti));
	if (st->type != SOCK_STREAM ||
	    shim_sys(SYS_getsockopt, fd, IPPROTO_TCP, TCP_INFO, &ti, &len) < 0)
		return false;
	/* A listener's tcpi_sacked is its backlog (tcp_get_info()). */
	if (st->listening)
		st->backlog = (int)ti.tcpi_sacked;
	return ti.tcpi_state == TCP_LISTEN || ti.tcpi_state == TCP_CLOSE;
}

/* Give nfd every option of fd that a fresh socket has otherwise. */
static bool narrow_options_copy(int fd, int nfd)
{
	const struct narrow_option *o;
	unsigned char a[32], b[32];
	socklen_t alen, blen;
	int half;

	for (o = narrow_options;
	     o < narrow_options +
			 sizeof(narrow_options) / sizeof(narrow_options[0]);
	     o++) {
		alen = sizeof(a);
		blen = sizeof(b);
		if (shim_sys(SYS_getsockopt, fd, o->level, o->name, a, &alen) <
			    0 ||
		    shim_sys(SYS_getsockopt, nfd, o->level, o->name, b, &blen) <
			    0 ||
		    (alen == blen && !memcmp(a, b, alen)))
			continue;
		if (o->half && alen == sizeof(int)) {
			memcpy(&half, a, sizeof(half));
			half /= 2;
			memcpy(a, &half, sizeof(half));
		}
		if (shim_sys(SYS_setsockopt, nfd, o->level, o->name, a, alen) <
		    0)
			return false;
	}
	return true;
}

/*
 * A fresh upgraded socket that stands ready to replace fd: options and
 * O_NONBLOCK as fd's.  Returns its fd, or -1.
 */
static int narrow_fresh(int fd, const struct narrow_state *st)
{
	int nfd = shim_socket_upgrade(st->type | SOCK_CLOEXEC, st->protocol);

	if (nfd < 0)
		return -1;
	if (!narrow_options_copy(fd, nfd) ||
	    shim_sys(SYS_fcntl, nfd, F_SETFL, st->fl) < 0) {
		narrow_close(nfd);
		return -1;
	}
	return nfd;
}

/* dual_narrow - see sockaddr.h. */
bool dual_narrow(int fd)
{
	struct narrow_state st;
	struct sockaddr_in6 v4any;
	unsigned flags = fdstate_get(fd);
	int nfd, saved_errno = errno;
	bool ok = false;

	if (!narrow_read(fd, &st))
		goto out;
	nfd = narrow_fresh(fd, &st);
	if (nfd < 0)
		goto out;
	/* The old socket goes, and frees the port (fd's flags stay: it is
	 * still the program's upgraded socket). */
	if (shim_sys(SYS_dup3, nfd, fd,
		     st.fd_flags & FD_CLOEXEC ? O_CLOEXEC : 0) < 0) {
		narrow_close(nfd);
		goto out;
	}
	narrow_close(nfd);
	fdstate_set(fd, flags);
	v4any = st.name;
	v4any.sin6_addr.s6_addr[10] = 0xff;
	v4any.sin6_addr.s6_addr[11] = 0xff;
	if (shim_sys(SYS_bind, fd, &v4any, sizeof(v4any)) < 0)
		goto out;
	ok = !st.listening || shim_sys(SYS_listen, fd, st.backlog) == 0;
out:
	errno = saved_errno;
	return ok;
}
