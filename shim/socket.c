/*
 * socket.c - the socket() hook.
 *
 * SPEC §2, socket row: an ipv4 stack has no IPv6 sockets and an ipv6 stack
 * without mapped addresses has no IPv4 sockets, both refused with
 * EAFNOSUPPORT as a kernel without that family would; a library that failed
 * closed refuses both with EACCES.  Every other family is never touched.
 */
#include "config.h"

#include <errno.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "policy.h"
#include "shim.h"

/*
 * The policy families of the socket domains the shim has an opinion on.  The
 * last row catches every other domain: FAM_NONE, never refused.  Only the
 * domain matters here; type also carries SOCK_NONBLOCK and SOCK_CLOEXEC,
 * which the real call is handed unchanged.
 */
static const struct shim_socket_domain {
	int domain;
	unsigned fam;
} shim_socket_domains[] = {
	{AF_INET, FAM_IPV4},
	{AF_INET6, FAM_IPV6},
	{AF_UNSPEC, FAM_NONE},
};

static unsigned shim_socket_fam(int domain)
{
	const struct shim_socket_domain *d = shim_socket_domains;

	while (d->fam != FAM_NONE && d->domain != domain)
		d++;
	return d->fam;
}

/*
 * The families a program may open sockets of under policy.  An ipv6 stack
 * with mapped addresses still allows AF_INET: such a socket is an IPv6 one
 * underneath (SPEC §2, the map column).
 */
static unsigned shim_socket_allowed(const struct policy *policy)
{
	unsigned allowed = policy_stack(policy);

	if (policy_mapped(policy) && (allowed & FAM_IPV6))
		allowed |= FAM_IPV4;
	return allowed;
}

/*
 * Whether a socket of domain may be created.  Returns 0 when the call is to
 * be forwarded unchanged, or the errno to refuse it with.
 */
static int shim_socket_check(const struct policy *policy, int domain)
{
	unsigned fam = shim_socket_fam(domain);

	if (fam == FAM_NONE)
		return 0;
	if (!policy)
		return EACCES;
	/* Audit mode changes nothing; the decision log (later) says what
	 * would have been refused. */
	if (!policy_enforce(policy))
		return 0;
	if (!(fam & shim_socket_allowed(policy)))
		return EAFNOSUPPORT;
	return 0;
}

/*
 * Forward to libc's socket(), or, when it is not known yet (a call made
 * during initialisation), to the system call itself.
 */
static int shim_socket_forward(int domain, int type, int protocol)
{
	if (real_socket)
		return real_socket(domain, type, protocol);
	return (int)syscall(SYS_socket, domain, type, protocol);
}

static int shim_socket(int domain, int type, int protocol)
{
	int rc;

	rc = shim_socket_check(shim_policy(), domain);
	if (rc) {
		errno = rc;
		return -1;
	}
	return shim_socket_forward(domain, type, protocol);
}

/*
 * socket - the interposed socket(2).  Returns what libc's socket() returns,
 * or -1 with errno EAFNOSUPPORT (the stack lacks the family) or EACCES (no
 * policy could be loaded) for a refused AF_INET or AF_INET6 socket.
 */
SHIM_EXPORT int socket(int domain, int type, int protocol)
{
	if (!shim_init_ensure())
		return shim_socket_forward(domain, type, protocol);
	return shim_socket(domain, type, protocol);
}
