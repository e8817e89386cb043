/* SPDX-License-Identifier: MIT */
/*
 * pref64.c - translate-prefix = auto: the network's NAT64 prefix, found as
 * RFC 7050 says, once, at the first decision that needs it.
 *
 * A DNS64 resolver synthesizes AAAA records for names that have only A
 * ones, by embedding the IPv4 address in its NAT64 prefix (RFC 6147).
 * ipv4only.arpa has only the A records 192.0.0.170 and 192.0.0.171, so its
 * AAAA answers show the prefix and its length (policy_pref64_find()).  The
 * name is asked through the system's resolver (libc's getaddrinfo, not the
 * hook).  The policy asks pref64_find(), its finder, only when it may map
 * (policy_may_map()) and a decision needs the prefix: a map, or whether an
 * IPv6 address is one the prefix embeds an IPv4 host in.  A process that
 * makes no such decision never asks the network.  The first answer that
 * shows a prefix wins.  No prefix (no DNS64, no answer, only real AAAA
 * records) leaves none: every map decision is then fail-host.  Either way
 * one log line says what was found and where from.
 *
 * The first caller finds it with every signal blocked, so that no handler
 * of its thread waits for it; other threads wait on a futex.  A hook
 * reached from inside the resolver on the finding thread (an NSS module's
 * connect()) gets no prefix.  A child that fork() made while another
 * thread was finding finds afresh.  Finding calls libc's resolver, which
 * allocates: the first decision that needs the prefix, when it is made in
 * a signal handler, is not async-signal-safe (README, limitations); every
 * later one reads memory.
 *
 * RFC 7050 §3.1's validation (a DNSSEC-signed PTR and AAAA for the
 * prefix) needs a validating resolver, which libc's stub is not: the
 * answer is trusted as the resolver's other answers are, and a network
 * that lies about ipv4only.arpa can lie about every name (README).
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "policy.h"
#include "shim.h"
#include "sys.h"
#include "resolve.h"
#include "fast.h"

/* The reason word of the log line: the length found, or none. */
static const char *pref64_reason(unsigned len)
{
	static const struct {
		unsigned len;
		const char *word;
	} words[] = {
		{32, "rfc7050-ipv4only.arpa-/32"},
		{40, "rfc7050-ipv4only.arpa-/40"},
		{48, "rfc7050-ipv4only.arpa-/48"},
		{56, "rfc7050-ipv4only.arpa-/56"},
		{64, "rfc7050-ipv4only.arpa-/64"},
		{96, "rfc7050-ipv4only.arpa-/96"},
	};
	size_t i;

	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (words[i].len == len)
			return words[i].word;
	return "rfc7050-no-nat64-prefix";
}

/*
 * 0 before anyone looked; the finder's shim_thread_self() while it looks;
 * PREF64_KNOWN after (fast.h).  pref64_addr and pref64_len are written
 * before it turns PREF64_KNOWN (release) and read after (acquire).
 */
uint64_t pref64_word;
struct in6_addr pref64_addr;
unsigned pref64_len;			/* 0: none */
static atomic_uint pref64_gen;		/* bumped, and woken, when known */

/* Ask the resolver, keep and log what it shows. */
static void pref64_discover(void)
{
	const struct addrinfo hints = {
		.ai_family = AF_INET6,
		.ai_socktype = SOCK_STREAM,
	};
	struct sockaddr_in6 shown = {.sin6_family = AF_INET6};
	struct shim_log_event ev = {
		.call = "discover",
		.family = AF_INET6,
		.name = "ipv4only.arpa",
		.outcome = -1,
	};
	struct addrinfo *list = NULL;
	unsigned len = 0;
	bool found = false;
	int rc = EAI_SYSTEM;

	if (real_getaddrinfo)
		rc = real_getaddrinfo(ev.name, NULL, &hints, &list);
	if (rc == 0) {
		found = policy_pref64_find(list, &shown.sin6_addr, &len) == 0;
		if (real_freeaddrinfo)
			real_freeaddrinfo(list);
	}
	if (found) {
		pref64_addr = shown.sin6_addr;
		pref64_len = len;
		ev.translated = (const struct sockaddr *)&shown;
		ev.translatedlen = sizeof(shown);
	} else {
		ev.error = rc ? resolve_error_name(rc) : "ENOENT";
	}
	ev.reason = pref64_reason(found ? len : 0);
	shim_log(shim_policy(), &ev);
}

/* Find the prefix on this thread, which holds the word. */
static void pref64_run(void)
{
	int saved_errno = errno, cancel;
	sigset_t all, old;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &cancel);
	pref64_discover();
	__atomic_store_n(&pref64_word, PREF64_KNOWN, __ATOMIC_RELEASE);
	atomic_fetch_add_explicit(&pref64_gen, 1, memory_order_release);
	shim_sys(SYS_futex, &pref64_gen, FUTEX_WAKE_PRIVATE, INT_MAX, NULL,
		 NULL, 0);
	pthread_setcancelstate(cancel, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	errno = saved_errno;
}

/*
 * Whether the prefix is known once this returns: found here, or waited
 * for.  False on the finding thread itself, reached again from inside the
 * resolver.
 */
static bool pref64_settle(void)
{
	const struct timespec tick = {0, 100 * 1000 * 1000};
	uint64_t me = shim_thread_self(), held;
	unsigned gen;
	int saved_errno = errno;

	for (;;) {
		gen = atomic_load_explicit(&pref64_gen, memory_order_acquire);
		held = __atomic_load_n(&pref64_word, __ATOMIC_ACQUIRE);
		if (held == PREF64_KNOWN || held == me)
			break;
		/* Nobody yet, or a finder of the process fork() copied
		 * this from: this thread finds it. */
		if ((held == 0 || held >> 32 != me >> 32) &&
		    __atomic_compare_exchange_n(&pref64_word, &held, me, false,
						__ATOMIC_ACQUIRE,
						__ATOMIC_RELAXED)) {
			pref64_run();
			held = PREF64_KNOWN;
			break;
		}
		if (held != 0 && held >> 32 == me >> 32)
			shim_sys(SYS_futex, &pref64_gen, FUTEX_WAIT_PRIVATE,
				 gen, &tick, NULL, 0);
	}
	errno = saved_errno;
	return held == PREF64_KNOWN;
}

/* pref64_find - see shim.h. */
int pref64_find(struct in6_addr *prefix, unsigned *len)
{
	if (__atomic_load_n(&pref64_word, __ATOMIC_ACQUIRE) != PREF64_KNOWN &&
	    !pref64_settle())
		return -1;
	if (!pref64_len)
		return -1;
	*prefix = pref64_addr;
	*len = pref64_len;
	return 0;
}
