/* SPDX-License-Identifier: MIT */
/*
 * shim_env.c - the library around shim/sockaddr.c and shim/getaddrinfo.c
 * in a fuzz target, in place of shim/init.c, fdstate.c, fast.c and log.c.
 *
 * Why not link the whole library: its hooks (socket, connect, close...)
 * would then be the fuzz binary's own calls, and libFuzzer's and ASan's
 * too; and init.c loads a policy from the environment and /etc.  So a
 * target links only the objects it tests (shim/sockaddr.c, and for the
 * getaddrinfo target shim/getaddrinfo.c, whose two hooks are the only
 * interposed symbols it defines), the real peer-pool, names,
 * local-address and lock code (shim/pool.c, names.c, local.c, lock.c, as
 * they are; fuzz_env_reset() makes their process-wide state new for each
 * input by their *_forget() functions, shim/state.h), and this file for
 * the rest:
 *   - real_<name>: all NULL but real_freeaddrinfo, libc's own (what the
 *     shim's freeaddrinfo() hook calls), and real_getaddrinfo, a fake
 *     resolver that answers from the fuzz input and never asks DNS, the
 *     hosts file or the network; real_bind fails (nothing is bound);
 *   - shim_init_ensure() (done), shim_policy() (the input's policy),
 *     by what they read;
 *   - fdstate: nothing known of any fd (the targets route no call);
 *   - shim_fast: zero but for its getaddrinfo() part, shim_fast.gai,
 *     which getaddrinfo.c makes and gai_fast_forget() resets;
 *   - the log: shim_logging() as the input says, shim_log() reads every
 *     string and address of the event (ASan checks its lengths) and
 *     writes nothing.
 */
#include "config.h"

#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "fuzz/fuzz.h"
#include "fuzz/shim_env.h"
#include "shim/fast.h"
#include "shim/gai.h"
#include "shim/pool.h"
#include "shim/shim.h"
#include "shim/state.h"

/* Linked only into the getaddrinfo target. */
#pragma weak gai_fast_forget

struct fuzz_env fuzz_env;

#define SHIM_REAL_DEFINE(name) __typeof__(name) *real_##name;
SHIM_REAL_SYMBOLS(SHIM_REAL_DEFINE)
#undef SHIM_REAL_DEFINE

atomic_bool shim_ready = true;
const struct policy *shim_the_policy;
/* fast.c's, for shim_fast.gai (getaddrinfo.c): nothing else of it is read. */
struct shim_fast shim_fast;

/*
 * shim/poolfile.c's part: the pool in anonymous memory, new for each
 * input, so that no input touches the file system (the host's pool file).
 */
static void *fuzz_pool_base;
static size_t fuzz_pool_size;

bool poolfile_open(const struct in_addr *net, unsigned len,
		   struct policy_pool *pool, struct poolfile_why *why)
{
	static const uint64_t key[POLICY_POOL_KEYS] = {1, 2, 3, 4, 5};
	size_t size = policy_pool_region_size(net, len);
	void *base;

	why->len = 0;
	why->text[0] = '\0';
	if (!size)
		return false;
	base = mmap(NULL, size, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	FUZZ_CHECK(base != MAP_FAILED);
	FUZZ_CHECK(policy_pool_format(pool, base, size, net, len, 1, key) ==
		   POLICY_POOL_OK);
	fuzz_pool_base = base;
	fuzz_pool_size = size;
	return true;
}

void shim_init_slow(void)
{
}

unsigned fdstate_learn(int fd)
{
	(void)fd;
	return 0;
}

unsigned fdstate_confirm(int fd)
{
	(void)fd;
	return 0;
}

void fdstate_add(int fd, unsigned flags)
{
	(void)fd;
	(void)flags;
}

bool shim_logging(const struct policy *policy)
{
	return policy && fuzz_env.logging;
}

static volatile unsigned fuzz_log_sink;

static void fuzz_log_read(const void *p, size_t len)
{
	const unsigned char *b = p;
	size_t i;

	if (!p)
		return;
	for (i = 0; i < len; i++)
		fuzz_log_sink += b[i];
}

void shim_log(const struct policy *policy, const struct shim_log_event *ev)
{
	const char *s[] = {ev->call, ev->name, ev->rule, ev->error, ev->reason};
	size_t i;

	FUZZ_CHECK(policy);
	for (i = 0; i < sizeof(s) / sizeof(s[0]); i++)
		if (s[i])
			fuzz_log_read(s[i], strlen(s[i]));
	fuzz_log_read(ev->dest, ev->destlen);
	fuzz_log_read(ev->local, ev->locallen);
	fuzz_log_read(ev->translated, ev->translatedlen);
}

int shim_rule_format(const struct policy_rule *rule, char *buf, size_t len)
{
	return snprintf(buf, len, "%s:%u", rule->file ? rule->file : "-",
			rule->line);
}

struct addrinfo *fuzz_ai_new(int family, int socktype, int protocol,
			     const void *addr, socklen_t addrlen,
			     const char *canonname)
{
	struct addrinfo *ai = malloc(sizeof(*ai) + (addr ? addrlen : 0));

	FUZZ_CHECK(ai);
	memset(ai, 0, sizeof(*ai));
	ai->ai_family = family;
	ai->ai_socktype = socktype;
	ai->ai_protocol = protocol;
	ai->ai_addrlen = addrlen;
	if (addr) {
		ai->ai_addr = (struct sockaddr *)(ai + 1);
		memcpy(ai->ai_addr, addr, addrlen);
	}
	if (canonname) {
		ai->ai_canonname = strdup(canonname);
		FUZZ_CHECK(ai->ai_canonname);
	}
	return ai;
}

struct addrinfo *fuzz_list_copy(const struct addrinfo *list)
{
	struct addrinfo *head = NULL, **tail = &head;

	for (; list; list = list->ai_next) {
		*tail = fuzz_ai_new(list->ai_family, list->ai_socktype,
				    list->ai_protocol, list->ai_addr,
				    list->ai_addrlen, list->ai_canonname);
		(*tail)->ai_flags = list->ai_flags;
		tail = &(*tail)->ai_next;
	}
	return head;
}

void fuzz_list_free(struct addrinfo *list)
{
	struct addrinfo *next;

	for (; list; list = next) {
		next = list->ai_next;
		free(list->ai_canonname);
		free(list);
	}
}

/* One entry of family at a fixed documentation address. */
static struct addrinfo *fuzz_answer(int family)
{
	struct sockaddr_in sin = {.sin_family = AF_INET};
	struct sockaddr_in6 sin6 = {.sin6_family = AF_INET6};

	if (family == AF_INET) {
		inet_pton(AF_INET, "192.0.2.7", &sin.sin_addr);
		return fuzz_ai_new(AF_INET, SOCK_STREAM, IPPROTO_TCP, &sin,
				   sizeof(sin), NULL);
	}
	inet_pton(AF_INET6, "2001:db8::7", &sin6.sin6_addr);
	return fuzz_ai_new(AF_INET6, SOCK_STREAM, IPPROTO_TCP, &sin6,
			   sizeof(sin6), NULL);
}

/* The answers of a name of families fams: EAI_NONAME for none. */
static int fuzz_answers(unsigned fams, int family, struct addrinfo **res)
{
	struct addrinfo *head = NULL, **tail = &head;

	if ((fams & FAM_IPV6) && family != AF_INET) {
		*tail = fuzz_answer(AF_INET6);
		tail = &(*tail)->ai_next;
	}
	if ((fams & FAM_IPV4) && family != AF_INET6)
		*tail = fuzz_answer(AF_INET);
	if (!head)
		return EAI_NONAME;
	*res = head;
	return 0;
}

static int fuzz_getaddrinfo(const char *node, const char *service,
			    const struct addrinfo *hints,
			    struct addrinfo **res)
{
	int flags = hints ? hints->ai_flags : 0;
	int family = hints ? hints->ai_family : AF_UNSPEC;
	unsigned char buf[16];

	if (node == fuzz_env.node && service == fuzz_env.service) {
		if (fuzz_env.rc) {
			errno = fuzz_env.err;
			return fuzz_env.rc;
		}
		/* As glibc: AI_NUMERICHOST answers only a literal (the
		 * hook asks it first, whatever the family). */
		if ((flags & AI_NUMERICHOST) && node &&
		    inet_pton(AF_INET, node, buf) != 1 &&
		    inet_pton(AF_INET6, node, buf) != 1)
			return EAI_NONAME;
		/* glibc never answers 0 with nothing. */
		if (!fuzz_env.list)
			return EAI_NONAME;
		*res = fuzz_list_copy(fuzz_env.list);
		return 0;
	}
	if (!node)
		return fuzz_answers(fuzz_env.host_fams, family, res);
	if (flags & AI_NUMERICHOST) {
		if (inet_pton(AF_INET, node, buf) == 1)
			return fuzz_answers(FAM_IPV4, AF_INET, res);
		if (inet_pton(AF_INET6, node, buf) == 1)
			return fuzz_answers(FAM_IPV6, AF_INET6, res);
		return EAI_NONAME;
	}
	return fuzz_answers(fuzz_env.local_fams, family, res);
}

static int fuzz_bind(int fd, const struct sockaddr *sa, socklen_t len)
{
	(void)fd;
	(void)sa;
	(void)len;
	errno = EBADF;
	return -1;
}

void fuzz_env_reset(const struct policy *policy)
{
	if (!real_freeaddrinfo) {
		real_freeaddrinfo = (__typeof__(real_freeaddrinfo))dlsym(
			RTLD_NEXT, "freeaddrinfo");
		FUZZ_CHECK(real_freeaddrinfo);
		real_getaddrinfo = fuzz_getaddrinfo;
		real_bind = fuzz_bind;
	}
	/* Every module of shim/state.h that the target links. */
	if (gai_fast_forget)
		gai_fast_forget();
	pool_forget();
	local_forget();
	names_forget();
	/* The region of poolfile_open() above, which pool_forget() leaves. */
	if (fuzz_pool_base)
		munmap(fuzz_pool_base, fuzz_pool_size);
	fuzz_pool_base = NULL;
	memset(&fuzz_env, 0, sizeof(fuzz_env));
	fuzz_env.policy = policy;
	shim_the_policy = policy;
}
