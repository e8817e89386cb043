/* SPDX-License-Identifier: MIT */
/*
 * socket.c - the socket() hook.
 *
 * SPEC §2, socket row: an ipv4 stack has no IPv6 sockets and an ipv6 stack
 * without mapped addresses has no IPv4 sockets, both refused with
 * EAFNOSUPPORT as a kernel without that family would; a library that failed
 * closed refuses both with EACCES.  An ipv6 stack with mapped addresses, or
 * a dual stack whose local-address is IPv6, upgrades AF_INET sockets to
 * AF_INET6 ones underneath.  Every other family is never touched.
 */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <linux/filter.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "policy.h"
#include "shim.h"
#include "sys.h"
#include "sockaddr.h"
#include "fast.h"

/*
 * The policy family of a socket domain: FAM_NONE for every domain but
 * AF_INET and AF_INET6, which is never refused.  Only the domain matters
 * here; type also carries SOCK_NONBLOCK and SOCK_CLOEXEC, which the real
 * call is handed unchanged.
 */
static inline unsigned shim_socket_fam(int domain)
{
	return domain == AF_INET ? FAM_IPV4
	       : domain == AF_INET6 ? FAM_IPV6
				    : FAM_NONE;
}

/* The kernel's SOCK_TYPE_MASK and SOCK_MAX (include/linux/net.h). */
#define SHIM_SOCK_TYPE_MASK 0xf
#define SHIM_SOCK_MAX (SOCK_PACKET + 1)

/*
 * Whether the kernel gets as far as the family with type: it refuses flags
 * other than SOCK_NONBLOCK and SOCK_CLOEXEC, and a type past SOCK_MAX,
 * with EINVAL before it looks the family up (__sys_socket_create(),
 * __sock_create()), so a kernel without the family says EINVAL to them.
 */
static bool shim_socket_type_valid(int type)
{
	if ((type & ~SHIM_SOCK_TYPE_MASK) & ~(SOCK_NONBLOCK | SOCK_CLOEXEC))
		return false;
	return (type & SHIM_SOCK_TYPE_MASK) < SHIM_SOCK_MAX;
}

/*
 * Whether a socket of domain and type may be created.  Returns 0 when the
 * call is to be forwarded unchanged, or the errno to refuse it with.  A
 * family the stack lacks is refused as a kernel without it refuses it; a
 * bad type is then the kernel's to refuse (EINVAL), as it is there.
 */
static int shim_socket_check(const struct policy *policy, int domain,
			     int type)
{
	unsigned fam = shim_socket_fam(domain);

	if (fam == FAM_NONE)
		return 0;
	if (!policy)
		return EACCES;
	if (!(fam & policy_socket_fams(policy)) &&
	    shim_socket_type_valid(type))
		return EAFNOSUPPORT;
	return 0;
}

/*
 * Log a socket the policy refuses (err), or upgrades: upgraded once the
 * socket is made (or, in audit mode, would have been), and upgrade-failed
 * with the error when it could not be made (err, upgrading true).
 */
static void shim_socket_log(const struct policy *policy, int domain, int err,
			    bool upgrading)
{
	struct shim_log_event ev = {
		.call = "socket",
		.family = domain,
		.outcome = -1,
		.error = err ? strerrorname_np(err) : NULL,
		.reason = !upgrading ? NULL
			  : err      ? "upgrade-failed"
				     : "upgraded",
	};

	shim_log(policy, &ev);
}

/*
 * Forward to libc's socket(), or, when it is not known yet (a call made
 * during initialisation), to the system call itself.
 */
static int shim_socket_forward(int domain, int type, int protocol)
{
	if (real_socket)
		return real_socket(domain, type, protocol);
	return (int)shim_sys(SYS_socket, domain, type, protocol);
}

/*
 * The AF_INET sockets that may be upgraded: those whose protocol means the
 * same over IPv6 and reaches IPv4 through mapped addresses.  Others (raw,
 * ICMP, SCTP, ...) stay AF_INET, and the policy decides their destinations
 * as for any AF_INET socket.  The last row ends the table.
 */
static const struct shim_socket_upgrade {
	int type;
	int protocol;
} shim_socket_upgrades[] = {
	{SOCK_STREAM, 0},
	{SOCK_STREAM, IPPROTO_TCP},
	{SOCK_DGRAM, 0},
	{SOCK_DGRAM, IPPROTO_UDP},
	{-1, -1},
};

static bool shim_socket_upgradable(int type, int protocol)
{
	const struct shim_socket_upgrade *u = shim_socket_upgrades;

	type &= ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
	while (u->type >= 0 && (u->type != type || u->protocol != protocol))
		u++;
	return u->type >= 0;
}

/*
 * The options an upgraded socket gets, set through the system call so that
 * the setsockopt() hook never sees the shim's own calls: IPV6_V6ONLY off
 * whatever net.ipv6.bindv6only says, so that it reaches IPv4 through mapped
 * addresses, and the mark that tells it is upgraded (SHIM_UPGRADE_MARK).
 *
 * Then what makes its IPPROTO_IP options read as a new AF_INET socket's
 * (tests/shim/addresses.sh compares every one): the kernel's inet_create()
 * sets IP_MULTICAST_ALL, inet6_create() leaves it 0, and it decides whether
 * the socket receives IPv4 multicast for groups it did not join.  Each row
 * costs a system call per socket(), so only a difference found earns one.
 */
static const struct shim_socket_option {
	int level;
	int name;
	int value;
} shim_socket_options[] = {
	{IPPROTO_IPV6, IPV6_V6ONLY, 0},
	{SHIM_UPGRADE_MARK_LEVEL, SHIM_UPGRADE_MARK_NAME, 1},
	{IPPROTO_IP, IP_MULTICAST_ALL, 1},
};

/*
 * Close the new socket fd that could not be set up as the policy needs,
 * and return -1 with errno as the failed step set it: a socket the shim
 * could not make right is not handed out (fail closed).
 */
static int shim_socket_abandon(int fd)
{
	int err = errno;

	fdstate_set(fd, 0);
	if (real_close)
		real_close(fd);
	else
		shim_sys(SYS_close, fd);
	errno = err;
	return -1;
}

/*
 * shim_socket_upgrade - make the AF_INET socket the program asked for as
 * an AF_INET6 one that also reaches IPv4 through mapped addresses, and
 * mark its fd upgraded.  Returns the fd, or -1 with errno as socket() or
 * setsockopt() set it.  Also how shim/dual.c makes a socket's stand-in.
 */
int shim_socket_upgrade(int type, int protocol)
{
	const struct shim_socket_option *o;
	int fd;

	fd = shim_socket_forward(AF_INET6, type, protocol);
	if (fd < 0)
		return -1;
	for (o = shim_socket_options;
	     o < shim_socket_options + sizeof(shim_socket_options) /
					   sizeof(shim_socket_options[0]);
	     o++) {
		if (shim_sys(SYS_setsockopt, fd, o->level, o->name, &o->value,
			     sizeof(o->value)) != 0)
			return shim_socket_abandon(fd);
	}
	fdstate_set_fast(fd, FDSTATE_KNOWN | FDSTATE_INET6 | FDSTATE_UPGRADED |
				     fdstate_type_flags(type));
	return fd;
}

/*
 * The IPv4 peers a socket may hear from, as a classic BPF socket filter
 * (the kernel runs it on every packet queued to the socket, a listener's
 * SYNs included, before any connection exists): a packet whose network
 * header is IPv4 passes only from 127.0.0.0/8 (PEERS_LOOPBACK) or not at
 * all (PEERS_NONE); IPv6 packets always pass.  So an ipv6-stack process
 * with mapped = no is reached by IPv4 clients as a real IPv6-only host
 * is: from loopback only (SPEC §2, "Real hosts").
 */
#define SHIM_PEERS_FILTER(loopback_passes)                                     \
	{                                                                      \
		/* A: the IP version of the network header. */                \
		BPF_STMT(BPF_LD | BPF_B | BPF_ABS, SKF_NET_OFF),               \
		BPF_STMT(BPF_ALU | BPF_RSH | BPF_K, 4),                        \
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 4, 0, 4),                  \
		/* IPv4: A is the first octet of the source address. */       \
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, SKF_NET_OFF + 12),          \
		BPF_STMT(BPF_ALU | BPF_RSH | BPF_K, 24),                       \
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 127, (loopback_passes), 0), \
		BPF_STMT(BPF_RET | BPF_K, 0),		/* dropped */        \
		BPF_STMT(BPF_RET | BPF_K, 0xffffffff),	/* kept whole */     \
	}

static const struct sock_filter shim_peers_loopback[] = SHIM_PEERS_FILTER(1);
static const struct sock_filter shim_peers_none[] = SHIM_PEERS_FILTER(0);

/* The filter of each enum policy_peers; NULL: none needed. */
static const struct sock_fprog shim_peers_filters[] = {
	[PEERS_ALL] = {0, NULL},
	[PEERS_LOOPBACK] = {sizeof(shim_peers_loopback) /
				    sizeof(shim_peers_loopback[0]),
			    (struct sock_filter *)shim_peers_loopback},
	[PEERS_NONE] = {sizeof(shim_peers_none) / sizeof(shim_peers_none[0]),
			(struct sock_filter *)shim_peers_none},
};

/*
 * Give the new socket fd the filter of the IPv4 peers the policy lets
 * reach it, through the system call so that the setsockopt() hook never
 * sees it.  Returns fd, or shim_socket_abandon()'s -1.
 */
static int shim_socket_filter(const struct policy *policy, int fd)
{
	const struct sock_fprog *prog;

	if (fd < 0 || !policy_enforce(policy))
		return fd;
	prog = &shim_peers_filters[policy_ipv4_peers(policy)];
	if (!prog->len || shim_sys(SYS_setsockopt, fd, SOL_SOCKET,
				   SO_ATTACH_FILTER, prog, sizeof(*prog)) == 0)
		return fd;
	return shim_socket_abandon(fd);
}

/*
 * The fdstate flags of a new socket of policy family fam (FAM_NONE for any
 * other domain: FDSTATE_FOREIGN, so that no call on it asks the kernel
 * what it is) and type.
 */
static unsigned shim_socket_flags(unsigned fam, int type)
{
	if (fam == FAM_NONE)
		return FDSTATE_FOREIGN;
	return FDSTATE_KNOWN | fdstate_type_flags(type) |
	       (fam == FAM_IPV6 ? FDSTATE_INET6 : 0);
}

/*
 * Create the socket, and record what the shim knows of it.  Its fd may be
 * one a closed socket had, whose flags must not carry over.  Apart from
 * the hook, which makes the sockets the policy leaves alone itself.
 */
static int __attribute__((noinline)) shim_socket(int domain, int type,
						 int protocol)
{
	const struct policy *policy = shim_policy();
	unsigned fam = shim_socket_fam(domain);
	int rc, fd;

	rc = shim_socket_check(policy, domain, type);
	if (rc && policy)
		shim_socket_log(policy, domain, rc, false);
	/* Audit mode: told, not done. */
	if (rc && (!policy || policy_enforce(policy))) {
		errno = rc;
		return -1;
	}
	if (!rc && fam == FAM_IPV4 && policy && local_would_upgrade(policy) &&
	    shim_socket_upgradable(type, protocol)) {
		if (!policy_enforce(policy)) {
			shim_socket_log(policy, domain, 0, true);
		} else {
			fd = shim_socket_upgrade(type, protocol);
			shim_socket_log(policy, domain, fd < 0 ? errno : 0, true);
			return fd;
		}
	}
	fd = shim_socket_forward(domain, type, protocol);
	if (fd >= 0)
		fdstate_set(fd, shim_socket_flags(fam, type));
	if (fam != FAM_NONE && policy)
		fd = shim_socket_filter(policy, fd);
	return fd;
}

/*
 * socket - the interposed socket(2).  Returns what libc's socket() returns,
 * or -1 with errno EAFNOSUPPORT (the stack lacks the family) or EACCES (no
 * policy could be loaded) for a refused AF_INET or AF_INET6 socket.  Under
 * a policy that upgrades sockets, an AF_INET TCP or UDP socket is really an
 * AF_INET6 one with IPV6_V6ONLY off (SPEC §2, socket row, map column); an
 * error creating it is returned as the kernel gave it.
 */
SHIM_EXPORT int socket(int domain, int type, int protocol)
{
	unsigned fam = shim_socket_fam(domain), flags;
	int fd;

	/* Another family needs no policy; for a family the policy makes as
	 * asked (shim_fast), the socket is the one the program asked for. */
	if (fam != FAM_NONE) {
		shim_init_ensure();
		if (!(shim_fast.socket_pass & fam)) {
			if (fam == FAM_IPV4 && shim_fast.socket_upgrade &&
			    shim_socket_upgradable(type, protocol))
				return shim_socket_upgrade(type, protocol);
			return shim_socket(domain, type, protocol);
		}
	}
	flags = shim_socket_flags(fam, type);
	fd = shim_socket_forward(domain, type, protocol);
	/* The shim sees this socket made: an old socket's flags on its fd
	 * would be wrong. */
	if (fd >= 0)
		fdstate_set_fast(fd, flags);
	return fd;
}

/*
 * socketpair - the interposed socketpair(2).  Returns what libc's
 * socketpair() returns; both new descriptors are marked as sockets of
 * another family than the shim's (Linux makes pairs of AF_UNIX and the
 * like only), so that whatever their numbers held before is forgotten.
 * Needs no policy, so it neither starts nor waits for initialisation.
 */
SHIM_EXPORT int socketpair(int domain, int type, int protocol, int sv[2])
{
	int rc;

	if (real_socketpair)
		rc = real_socketpair(domain, type, protocol, sv);
	else
		rc = (int)shim_sys(SYS_socketpair, domain, type, protocol, sv);
	if (rc == 0) {
		fdstate_set(sv[0], FDSTATE_FOREIGN);
		fdstate_set(sv[1], FDSTATE_FOREIGN);
	}
	return rc;
}
