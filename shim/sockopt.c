/* SPDX-License-Identifier: MIT */
/*
 * sockopt.c - the getsockopt() and setsockopt() hooks.
 *
 * SPEC §2: a socket the shim upgraded answers its program as the AF_INET
 * socket it asked for would.  Most options need nothing: the kernel's IPv6
 * sockets hand SOL_IP to the IPv4 code (ipv6_getsockopt() and
 * ipv6_setsockopt() pass it to udp_prot's, that is to ip_getsockopt() and
 * ip_setsockopt(), for TCP and UDP alike), and those options apply to the
 * mapped IPv4 traffic; SOL_SOCKET, SOL_TCP and SOL_UDP are the same code
 * for both families.  What differs is answered here, from a table:
 *
 *   SO_DOMAIN     reads AF_INET;
 *   SO_PEERNAME   gives the peer as getpeername() shows it (sockaddr_in);
 *   IPPROTO_IPV6  is refused as an AF_INET socket of the same type refuses
 *                 it: the kernel's ip_getsockopt() and ip_setsockopt()
 *                 check the level before anything else (optname, optval
 *                 and optlen are not read), so one question asked once of a
 *                 real AF_INET socket gives the answer for every option.
 *
 * The options an upgraded socket is given when it is made so that it reads
 * as an AF_INET one (IP_MULTICAST_ALL) are in shim/socket.c.
 *
 * A difference left: IP_XFRM_POLICY.  The kernel compiles a per-socket
 * IPsec policy for the socket's real family (xfrm_user_policy(); the key
 * managers' compile_policy() check sk_family), so on an upgraded socket it
 * fails with EOPNOTSUPP, where an AF_INET socket takes a valid policy and
 * says EINVAL to a malformed one.  IP_IPSEC_POLICY (af_key) goes the same
 * way, by that code; it was EOPNOTSUPP for both here, af_key not loaded.
 * Also left: a bpf cgroup getsockopt/setsockopt program sees the socket as
 * AF_INET6.
 */
#include "config.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "policy.h"
#include "shim.h"
#include "sys.h"
#include "route.h"
#include "sockaddr.h"
#include "handback.h"

/* A row's optname that matches every option of its level. */
#define SHIM_SOCKOPT_ANY (-1)

static int shim_getsockopt_forward(int fd, int level, int name, void *val,
				   socklen_t *len)
{
	if (real_getsockopt)
		return real_getsockopt(fd, level, name, val, len);
	return (int)shim_sys(SYS_getsockopt, fd, level, name, val, len);
}

static int shim_setsockopt_forward(int fd, int level, int name,
				   const void *val, socklen_t len)
{
	if (real_setsockopt)
		return real_setsockopt(fd, level, name, val, len);
	return (int)shim_sys(SYS_setsockopt, fd, level, name, val, len);
}

/*
 * What a real AF_INET socket answers to an IPPROTO_IPV6 option, by type
 * (stream, datagram) and call (get, set): 0 while not asked yet, the errno
 * it refused with, or -1 when it took the option (a kernel that does: the
 * call then goes to the upgraded socket as it is).
 */
enum { SHIM_SOCKOPT_GET, SHIM_SOCKOPT_SET, SHIM_SOCKOPT_CALLS };
static atomic_int shim_sockopt_v4[2][SHIM_SOCKOPT_CALLS];

/*
 * Ask a new AF_INET socket of type for IPV6_V6ONLY, to learn what it says
 * to its level.  Returns the answer as shim_sockopt_v4 holds it, or the
 * errno of socket() (EMFILE...) as a negative number when it cannot be
 * made: that is not kept, and the program's call fails with it.  Two
 * threads asking at once both ask the kernel, which says the same to both.
 */
static int shim_sockopt_v4_answer(unsigned flags, int call)
{
	int type = flags & FDSTATE_DGRAM ? SOCK_DGRAM : SOCK_STREAM;
	atomic_int *slot = &shim_sockopt_v4[type == SOCK_DGRAM][call];
	int answer = atomic_load(slot), fd, value = 1, saved_errno = errno;
	socklen_t len = sizeof(value);
	long rc;

	if (answer)
		return answer;
	fd = (int)shim_sys(SYS_socket, AF_INET, type | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		answer = -errno;
		errno = saved_errno;
		return answer;
	}
	if (call == SHIM_SOCKOPT_GET)
		rc = shim_sys(SYS_getsockopt, fd, IPPROTO_IPV6, IPV6_V6ONLY,
			      &value, &len);
	else
		rc = shim_sys(SYS_setsockopt, fd, IPPROTO_IPV6, IPV6_V6ONLY,
			      &value, len);
	answer = rc == 0 ? -1 : errno;
	shim_sys(SYS_close, fd);
	errno = saved_errno;
	atomic_store(slot, answer);
	return answer;
}

/*
 * Refuse an IPPROTO_IPV6 option on an upgraded socket with flags as an
 * AF_INET socket does.  Returns 1 when the call is to go to the kernel (the
 * AF_INET socket took it), else -1 with errno set.
 */
static int shim_sockopt_v4_refuse(unsigned flags, int call)
{
	int answer = shim_sockopt_v4_answer(flags, call);

	if (answer == -1)
		return 1;
	errno = answer < 0 ? -answer : answer;
	return -1;
}

/*
 * The getsockopt() rows.  Each answers an option of an upgraded socket
 * with flags: 0 or -1 (with errno) as getsockopt() does, or 1 when the
 * call is to go to the kernel as it is.
 */
typedef int shim_getsockopt_fn(int fd, unsigned flags, int level, int name,
			       void *val, socklen_t *len);

/*
 * SO_DOMAIN: the kernel's answer, AF_INET6, in as many bytes as it wrote
 * (at most an int: sk_getsockopt() cuts an int to the caller's length),
 * rewritten to AF_INET's.
 */
static int shim_get_domain(int fd, unsigned flags, int level, int name,
			   void *val, socklen_t *len)
{
	int domain = AF_INET;

	(void)flags;
	if (shim_getsockopt_forward(fd, level, name, val, len) < 0)
		return -1;
	if (*len <= sizeof(domain))
		memcpy(val, &domain, *len);
	return 0;
}

/*
 * SO_PEERNAME, as sk_getsockopt() answers it on an AF_INET socket: the peer
 * (ENOTCONN without one; a connect in progress has one), EINVAL when the
 * caller's length exceeds the address's, else exactly the caller's length
 * copied and reported.  The kernel's own answer is read with the length of
 * a sockaddr_in6, the only one it takes for an AF_INET6 socket, and shown
 * as handback_unupgrade() says.  An unreadable or negative length
 * (handback_len_ok()), or a buffer the shim may not write, is left to the
 * kernel: EFAULT or EINVAL, as for an AF_INET socket; the buffer is
 * judged only after the length, as sk_getsockopt() finds EINVAL first.
 */
static int shim_get_peername(int fd, unsigned flags, int level, int name,
			     void *val, socklen_t *len)
{
	struct sockaddr_storage ss;
	socklen_t sslen = sizeof(struct sockaddr_in6), want;
	int err;

	(void)flags;
	if (!handback_len_ok(len))
		return 1;
	/* Read once: what is copied below is never more than was judged,
	 * whatever another thread writes meanwhile. */
	want = *len;
	if (shim_sys(SYS_getsockopt, fd, level, name, &ss, &sslen) < 0)
		return -1;
	err = handback_unupgrade(shim_policy(), &ss, &sslen);
	if (err) {
		errno = err;
		return -1;
	}
	if (sslen < want) {
		errno = EINVAL;
		return -1;
	}
	if (want && !sockaddr_ptr_ok(val))
		return 1;
	memcpy(val, &ss, want);
	return 0;
}

/* IPPROTO_IPV6: as an AF_INET socket of the same type answers it. */
static int shim_get_v4(int fd, unsigned flags, int level, int name, void *val,
		       socklen_t *len)
{
	(void)fd, (void)level, (void)name, (void)val, (void)len;
	return shim_sockopt_v4_refuse(flags, SHIM_SOCKOPT_GET);
}

static const struct shim_getsockopt_row {
	int level;
	int name;
	shim_getsockopt_fn *fn;
} shim_getsockopt_rows[] = {
	{SOL_SOCKET, SO_DOMAIN, shim_get_domain},
	{SOL_SOCKET, SO_PEERNAME, shim_get_peername},
	{IPPROTO_IPV6, SHIM_SOCKOPT_ANY, shim_get_v4},
	{0, 0, NULL},
};

/*
 * Whether the kernel hands an option at level of an upgraded socket with
 * flags to ipv6_getsockopt(), which says ENOPROTOOPT to a level not its
 * own, where an AF_INET socket's ip_getsockopt() says EOPNOTSUPP: every
 * level but SOL_SOCKET, SOL_IP and the transport's own (tcp_getsockopt(),
 * udpv6_getsockopt()).  Such a level is answered as IPPROTO_IPV6 is.
 */
static bool shim_get_foreign_level(unsigned flags, int level)
{
	if (level == SOL_SOCKET || level == IPPROTO_IP)
		return false;
	if (flags & FDSTATE_DGRAM)
		return level != IPPROTO_UDP && level != IPPROTO_UDPLITE;
	return level != IPPROTO_TCP;
}

static int shim_getsockopt(int fd, int level, int name, void *val,
			   socklen_t *len)
{
	const struct shim_getsockopt_row *r = shim_getsockopt_rows;
	unsigned flags = fdstate_learn(fd);
	int rc;

	if (!(flags & FDSTATE_UPGRADED))
		return shim_getsockopt_forward(fd, level, name, val, len);
	while (r->fn && (r->level != level ||
			 (r->name != SHIM_SOCKOPT_ANY && r->name != name)))
		r++;
	if (!r->fn && !shim_get_foreign_level(flags, level))
		return shim_getsockopt_forward(fd, level, name, val, len);
	rc = (r->fn ? r->fn : shim_get_v4)(fd, flags, level, name, val, len);
	if (rc > 0)
		return shim_getsockopt_forward(fd, level, name, val, len);
	return rc;
}

/* The longest option value judged here: an IPv6 routing header's. */
#define SHIM_SOCKOPT_COPY 2048

/* Whether an option value of len bytes is set at all (0: removed). */
static bool shim_opt_set(const unsigned char *val, socklen_t len)
{
	(void)val;
	return len > 0;
}

/* Whether IP_OPTIONS hold a source route. */
static bool shim_opt_srcroute(const unsigned char *val, socklen_t len)
{
	return route_ipopts(val, len);
}

/* Whether a flag is turned on: an int, or a byte, as ip_setsockopt()
 * reads it. */
static bool shim_opt_on(const unsigned char *val, socklen_t len)
{
	int on = 0;

	if (len >= sizeof(on))
		memcpy(&on, val, sizeof(on));
	else if (len >= 1)
		on = val[0];
	return on != 0;
}

/*
 * The options that let a packet name destinations of its own beside the
 * one connect() and the sends judge (route_indirect_refused()): set,
 * they are refused with EACCES under a policy that refuses or changes
 * any destination of hosts, and the call is logged with reason.
 */
static const struct shim_indirect_row {
	int level, name;
	unsigned hosts;
	bool raw_only;		/* other sockets: the kernel's ENOPROTOOPT */
	bool (*sets)(const unsigned char *val, socklen_t len);
	const char *reason;
} shim_indirect_rows[] = {
	{IPPROTO_IPV6, IPV6_RTHDR, FAM_IPV6, false, shim_opt_set,
	 "IPV6_RTHDR"},
	{IPPROTO_IPV6, IPV6_2292RTHDR, FAM_IPV6, false, shim_opt_set,
	 "IPV6_2292RTHDR"},
	{IPPROTO_IP, IP_OPTIONS, FAM_IPV4, false, shim_opt_srcroute,
	 "IP_OPTIONS"},
	{IPPROTO_IP, IP_HDRINCL, FAM_IPV4, true, shim_opt_on, "IP_HDRINCL"},
	{IPPROTO_IPV6, IPV6_HDRINCL, FAM_IPV6, true, shim_opt_on,
	 "IPV6_HDRINCL"},
};

static const struct shim_indirect_row *shim_indirect_row(int level, int name)
{
	size_t i;

	for (i = 0; i < sizeof(shim_indirect_rows) /
				sizeof(shim_indirect_rows[0]);
	     i++)
		if (shim_indirect_rows[i].level == level &&
		    shim_indirect_rows[i].name == name)
			return &shim_indirect_rows[i];
	return NULL;
}

/*
 * setsockopt() of a row's option on fd, an inet socket with flags: the
 * value is read once into the shim's own buffer, judged, and that copy is
 * handed to the kernel.  A value past the buffer is judged set (only a
 * routing header can be that long, and the kernel takes none so long).
 */
static int shim_setsockopt_indirect(int fd, unsigned flags,
				    const struct shim_indirect_row *row,
				    const void *val, socklen_t len)
{
	unsigned char copy[SHIM_SOCKOPT_COPY];
	bool set;

	if ((int)len < 0 || !sockaddr_ptr_ok(val))
		return shim_setsockopt_forward(fd, row->level, row->name, val,
					       len);
	if (len <= sizeof(copy)) {
		memcpy(copy, val, len);
		val = copy;
		set = row->sets(copy, len);
	} else {
		set = true;
	}
	if (set && route_indirect_refused(shim_policy(), row->hosts) &&
	    route_indirect_refuse(shim_policy(), "setsockopt",
				  flags & FDSTATE_UPGRADED ? AF_INET
				  : flags & FDSTATE_INET6  ? AF_INET6
							   : AF_INET,
				  NULL, 0, row->reason)) {
		errno = EACCES;
		return -1;
	}
	return shim_setsockopt_forward(fd, row->level, row->name, val, len);
}

/*
 * setsockopt() as the policy has it: on an upgraded socket IPPROTO_IPV6 is
 * refused as an AF_INET socket refuses it (a negative length is the
 * kernel's EINVAL for either family, given before it looks at the level);
 * on any inet socket the options of shim_indirect_rows are judged.
 */
static int shim_setsockopt(int fd, int level, int name, const void *val,
			   socklen_t len)
{
	const struct shim_indirect_row *row = shim_indirect_row(level, name);
	unsigned flags = fdstate_learn(fd);

	if ((flags & FDSTATE_UPGRADED) && level == IPPROTO_IPV6 &&
	    (int)len >= 0 &&
	    shim_sockopt_v4_refuse(flags, SHIM_SOCKOPT_SET) < 0)
		return -1;
	if (row && !flags)
		flags = fdstate_confirm(fd);
	if (row && flags && (!row->raw_only || route_raw(flags)))
		return shim_setsockopt_indirect(fd, flags, row, val, len);
	return shim_setsockopt_forward(fd, level, name, val, len);
}

/*
 * getsockopt - the interposed getsockopt(2).  Returns what libc's
 * getsockopt() returns; on an upgraded socket SO_DOMAIN reads AF_INET,
 * SO_PEERNAME gives a sockaddr_in, and IPPROTO_IPV6 options are refused as
 * on an AF_INET socket (EOPNOTSUPP on Linux).
 */
SHIM_EXPORT int getsockopt(int fd, int level, int name, void *__restrict val,
			   socklen_t *__restrict len)
{
	shim_init_ensure();
	return shim_getsockopt(fd, level, name, val, len);
}

/*
 * setsockopt - the interposed setsockopt(2).  Returns what libc's
 * setsockopt() returns; on an upgraded socket IPPROTO_IPV6 options are
 * refused as on an AF_INET socket (ENOPROTOOPT on Linux), so that the
 * program can neither see nor undo what makes the socket reach IPv4.
 */
SHIM_EXPORT int setsockopt(int fd, int level, int name, const void *val,
			   socklen_t len)
{
	shim_init_ensure();
	return shim_setsockopt(fd, level, name, val, len);
}
