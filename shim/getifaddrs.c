/* SPDX-License-Identifier: MIT */
/*
 * getifaddrs.c - the getifaddrs() hook: the interfaces' addresses as the
 * emulated host has them.
 *
 * A real IPv4-only Linux host lists no IPv6 address, a real IPv6-only one
 * no IPv4 address but lo's 127.0.0.1 (and, without it, none at all), and
 * programs read their interfaces to decide what they can do: Node's
 * os.networkInterfaces(), libuv's uv_interface_addresses(), "is IPv6
 * available" checks.  So the list libc gives is edited in place: an
 * AF_INET or AF_INET6 entry whose address the emulated host does not have
 * (policy_local_has(): the family test the bind hook makes, IPv4 loopback
 * kept while ipv4-loopback is yes) is unlinked; on a dual stack nothing
 * is.  Link entries (AF_PACKET) and entries without an address are kept:
 * every interface is still there, as on the real hosts.  After a policy
 * that failed closed, both inet families go, as on a host with no network.
 * In audit mode (enforce = no) nothing is unlinked; what would have been
 * is logged all the same.
 *
 * Why unlinking frees nothing and leaks nothing: glibc allocates the whole
 * list as one block.  getifaddrs_internal() (sysdeps/unix/sysv/linux/
 * ifaddrs.c) callocs one array of struct ifaddrs_storage, each an entry
 * with room for its addresses and name, plus the IFLA_STATS data, links
 * first; *ifap is the array's first entry, and freeifaddrs() is free() of
 * it.  So an unlinked entry goes with the rest at freeifaddrs(), and only
 * the first entry must stay where it is: should it go, the next kept
 * entry's struct ifaddrs is copied over it (its pointers point into the
 * same block, which lives as long as the list), and a list left empty is
 * freed and given as NULL, as libc gives a host without interfaces.
 *
 * if_nameindex() and if_nametoindex() need nothing: they list interfaces,
 * not addresses, and the emulated host has every interface the real one
 * has.  What a preload library cannot edit (/proc/net/if_inet6, netlink
 * RTM_GETADDR dumps, ioctl(SIOCGIFCONF)) is in the README's limitations.
 */
#include "config.h"

#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "policy.h"
#include "shim.h"
#include "sockaddr.h"

/* What becomes of one entry of the list. */
enum shim_ifaddr_verdict {
	IFADDR_KEEP,
	IFADDR_DROP,
	IFADDR_LOG, /* audit mode: logged, kept */
};

/* Log an address the emulated host does not have. */
static void shim_getifaddrs_log(const struct policy *policy,
				const struct ifaddrs *ifa, unsigned local)
{
	struct shim_log_event ev = {
		.call = "getifaddrs",
		.name = ifa->ifa_name,
		.local = ifa->ifa_addr,
		.locallen = ifa->ifa_addr->sa_family == AF_INET6
				    ? sizeof(struct sockaddr_in6)
				    : sizeof(struct sockaddr_in),
		.outcome = OUTCOME_FAIL_LOCAL,
		.local_only = true,
		.local_fam = local,
		.reason = "filtered",
	};

	shim_log(policy, &ev);
}

/*
 * Whether the emulated host has ifa's address; entries of other families
 * (and none) are always its own.
 */
static enum shim_ifaddr_verdict
shim_getifaddrs_judge(const struct policy *policy, const struct ifaddrs *ifa)
{
	const struct sockaddr *sa = ifa->ifa_addr;
	struct sockaddr_inet in;
	socklen_t len;

	if (!sa || (sa->sa_family != AF_INET && sa->sa_family != AF_INET6))
		return IFADDR_KEEP;
	if (!policy)
		return IFADDR_DROP;
	len = sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
					: sizeof(struct sockaddr_in);
	if (!sockaddr_parse(sa, len, &in) || policy_local_has(policy, &in.addr))
		return IFADDR_KEEP;
	shim_getifaddrs_log(policy, ifa, policy_addr_host_fam(&in.addr));
	return policy_enforce(policy) ? IFADDR_DROP : IFADDR_LOG;
}

/*
 * Unlink from the list at *ifap the entries the emulated host lacks, in
 * place (see the top of this file for why that is safe with glibc).
 */
static void shim_getifaddrs_filter(const struct policy *policy,
				   struct ifaddrs **ifap)
{
	struct ifaddrs *head = *ifap, **link = ifap, *ifa;

	while ((ifa = *link)) {
		if (shim_getifaddrs_judge(policy, ifa) == IFADDR_DROP)
			*link = ifa->ifa_next;
		else
			link = &ifa->ifa_next;
	}
	if (*ifap == head)
		return;
	/* The block must still be freed through its first entry. */
	if (!*ifap) {
		real_freeifaddrs(head);
		return;
	}
	*head = **ifap;
	*ifap = head;
}

static int shim_getifaddrs_forward(struct ifaddrs **ifap)
{
	if (real_getifaddrs)
		return real_getifaddrs(ifap);
	errno = ENOSYS;
	return -1;
}

static int shim_getifaddrs(struct ifaddrs **ifap)
{
	const struct policy *policy = shim_policy();
	int rc;

	rc = shim_getifaddrs_forward(ifap);
	if (rc == 0 && *ifap)
		shim_getifaddrs_filter(policy, ifap);
	return rc;
}

/*
 * getifaddrs - the interposed getifaddrs(3).  Returns what libc's
 * getifaddrs() returns, its list without the AF_INET and AF_INET6 entries
 * whose addresses the emulated host does not have (none of either after a
 * policy that failed closed); *ifap may then be NULL, as for a host with
 * no interfaces.  freeifaddrs() frees it as ever.  errno is libc's.
 */
SHIM_EXPORT int getifaddrs(struct ifaddrs **ifap)
{
	shim_init_ensure();
	return shim_getifaddrs(ifap);
}
