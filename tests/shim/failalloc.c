/* SPDX-License-Identifier: MIT */
/*
 * failalloc.c - an allocator that fails on request, LD_PRELOADed before the
 * library by tests/shim/failalloc.sh (a shared object built by the test).
 *
 * FAILALLOC_N=N makes the Nth allocation after failalloc_arm() fail (NULL,
 * errno ENOMEM), once; 0 or unset fails none.  failalloc_count() says how
 * many allocations were made since arming, so that a test can sweep every
 * N a run reaches.  Counted per process, over all threads.  malloc,
 * calloc, realloc (to a non-zero size), posix_memalign, aligned_alloc,
 * memalign, valloc, strdup and strndup are interposed: glibc's own calls
 * to malloc are not seen by interposition, but its exported entry points
 * are, and each lands here.
 *
 * FAILALLOC_SOCKET=1 also makes every allocation after arming try one
 * socket(AF_INET6, SOCK_DGRAM) (not from inside itself), as a replacement
 * allocator that opens sockets might: failalloc_sockets() says how many
 * were made.  Under an ipv4 stack none may be, initialisation included.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);

static atomic_long armed_count = -1;	/* -1: not armed */
static long fail_at;
static int socket_mode;
static atomic_long sockets_made;
static __thread int in_socket;

__attribute__((visibility("default"))) void failalloc_arm(void)
{
	const char *n = getenv("FAILALLOC_N"), *s = getenv("FAILALLOC_SOCKET");

	fail_at = n ? atol(n) : 0;
	socket_mode = s && *s == '1';
	atomic_store(&armed_count, 0);
}

__attribute__((visibility("default"))) long failalloc_count(void)
{
	long n = atomic_load(&armed_count);

	return n < 0 ? 0 : n;
}

__attribute__((visibility("default"))) long failalloc_sockets(void)
{
	return atomic_load(&sockets_made);
}

/* Whether this allocation is to fail; the socket of FAILALLOC_SOCKET. */
static int failalloc_fails(void)
{
	long n;
	int fd;

	if (atomic_load_explicit(&armed_count, memory_order_relaxed) < 0)
		return 0;
	if (socket_mode && !in_socket) {
		in_socket = 1;
		fd = socket(AF_INET6, SOCK_DGRAM, 0);
		if (fd >= 0) {
			atomic_fetch_add(&sockets_made, 1);
			close(fd);
		}
		in_socket = 0;
	}
	n = atomic_fetch_add(&armed_count, 1) + 1;
	if (fail_at && n == fail_at) {
		errno = ENOMEM;
		return 1;
	}
	return 0;
}

void *malloc(size_t size)
{
	return failalloc_fails() ? NULL : __libc_malloc(size);
}

void *calloc(size_t n, size_t size)
{
	return failalloc_fails() ? NULL : __libc_calloc(n, size);
}

void *realloc(void *p, size_t size)
{
	if (p && !size)
		return __libc_realloc(p, size);
	return failalloc_fails() ? NULL : __libc_realloc(p, size);
}

void *memalign(size_t align, size_t size)
{
	return failalloc_fails() ? NULL : __libc_memalign(align, size);
}

void *aligned_alloc(size_t align, size_t size)
{
	return memalign(align, size);
}

void *valloc(size_t size)
{
	return memalign((size_t)sysconf(_SC_PAGESIZE), size);
}

int posix_memalign(void **out, size_t align, size_t size)
{
	void *p;

	if (align < sizeof(void *) || (align & (align - 1)))
		return EINVAL;
	p = memalign(align, size);
	if (!p)
		return ENOMEM;
	*out = p;
	return 0;
}

char *strdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *p = malloc(n);

	return p ? memcpy(p, s, n) : NULL;
}

char *strndup(const char *s, size_t max)
{
	size_t n = strnlen(s, max);
	char *p = malloc(n + 1);

	if (!p)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}
