/* SPDX-License-Identifier: MIT */
/*
 * fdstate.c - what the shim knows of each socket, by file descriptor.
 *
 * The flags of fd live in a two-level table: a fixed array of chunk
 * pointers, indexed by the high bits of fd, and chunks of atomic words,
 * indexed by the low bits.  The first chunk is the library's own array
 * (fdstate_chunk0, in .bss); any other is mapped the first time a flag
 * is set in its range and published with a compare-and-swap; it is never
 * freed, so a reader that has seen the pointer may use it for ever.
 * Reading takes at most two atomic loads and no lock, from any thread, a
 * signal handler included.
 *
 * Chunks come from mmap() rather than calloc(): a hook may run inside the
 * program's own malloc() (a replacement allocator that opens a socket), and
 * must not call back into it.
 *
 * No lock is taken anywhere here, so fork() needs no pthread_atfork()
 * handler: the child gets the table as it was, with the fds it describes,
 * whatever other threads were doing.
 *
 * Descriptors at or above FDSTATE_MAX are not tracked: fdstate_get() says 0
 * for them and fdstate_set() ignores them, so such a socket is simply passed
 * through as if the shim had never seen it.
 */
#include "config.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "shim.h"
#include "sys.h"
#include "fast.h"

/* The table's layout (FDSTATE_CHUNK_BITS...) is in fast.h.  The first
 * chunk, the descriptors nearly every program has, is the library's own
 * (zero pages until written, as a mapped chunk's are). */
atomic_uint fdstate_chunk0[FDSTATE_CHUNK_SIZE];
_Atomic(atomic_uint *) fdstate_chunks[FDSTATE_CHUNKS] = {fdstate_chunk0};

/*
 * The word of fd, its chunk mapped now if need be (fdstate_word() is the
 * one that maps nothing; its acquire load pairs with the release of the
 * compare-and-swap that publishes a chunk, so the zeroed words are seen as
 * zero); NULL when fd is out of range or no memory can be had.  Two
 * threads may race to map the same chunk: the loser unmaps its own and
 * uses the winner's.
 */
static atomic_uint *fdstate_word_make(int fd)
{
	_Atomic(atomic_uint *) *slot;
	atomic_uint *chunk, *expected = NULL, *word = fdstate_word(fd);
	size_t size = FDSTATE_CHUNK_SIZE * sizeof(atomic_uint);
	int saved_errno;

	if (word || (unsigned)fd >= FDSTATE_MAX)
		return word;
	/* Anonymous memory is zero-filled, which is 0 for every atomic_uint
	 * on the platforms glibc supports. */
	saved_errno = errno;
	chunk = mmap(NULL, size, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	errno = saved_errno;
	if (chunk == MAP_FAILED)
		return NULL;
	slot = &fdstate_chunks[fd >> FDSTATE_CHUNK_BITS];
	if (!atomic_compare_exchange_strong_explicit(slot, &expected, chunk,
						     memory_order_acq_rel,
						     memory_order_acquire)) {
		munmap(chunk, size);
		chunk = expected;
	}
	return &chunk[fd & (FDSTATE_CHUNK_SIZE - 1)];
}

/* fdstate_get - see shim.h. */
unsigned fdstate_get(int fd)
{
	atomic_uint *word = fdstate_word(fd);

	return word ? atomic_load_explicit(word, memory_order_acquire) : 0;
}

/*
 * fdstate_set - see shim.h.  Forgetting an fd (flags 0) whose chunk was
 * never mapped maps nothing: there is nothing to forget.  Without memory
 * for a new chunk the flags are dropped, and the socket passes through.
 */
void fdstate_set(int fd, unsigned flags)
{
	atomic_uint *word = flags ? fdstate_word_make(fd) : fdstate_word(fd);

	if (word)
		atomic_store_explicit(word, flags, memory_order_release);
}

/* fdstate_add - see shim.h. */
void fdstate_add(int fd, unsigned flags)
{
	atomic_uint *word = flags ? fdstate_word_make(fd) : NULL;

	if (word)
		atomic_fetch_or_explicit(word, flags, memory_order_acq_rel);
}

/*
 * fdstate_forget_range - see shim.h.  Only the chunks already mapped are
 * visited: at most FDSTATE_CHUNKS pointer loads, whatever the range, and
 * nothing is mapped.  Each word is stored on its own, as fdstate_set()
 * stores it: a reader sees a fd's flags or 0, never a mixture.
 */
void fdstate_forget_range(unsigned first, unsigned last)
{
	unsigned c, lo, hi;
	atomic_uint *chunk;

	if (first > last || first >= FDSTATE_MAX)
		return;
	if (last >= FDSTATE_MAX)
		last = FDSTATE_MAX - 1;
	for (c = first >> FDSTATE_CHUNK_BITS; c <= last >> FDSTATE_CHUNK_BITS;
	     c++) {
		chunk = atomic_load_explicit(&fdstate_chunks[c],
					     memory_order_acquire);
		if (!chunk)
			continue;
		lo = c == first >> FDSTATE_CHUNK_BITS
			     ? first & (FDSTATE_CHUNK_SIZE - 1)
			     : 0;
		hi = c == last >> FDSTATE_CHUNK_BITS
			     ? last & (FDSTATE_CHUNK_SIZE - 1)
			     : FDSTATE_CHUNK_SIZE - 1;
		for (; lo <= hi; lo++)
			atomic_store_explicit(&chunk[lo], 0,
					      memory_order_release);
	}
}

/* fdstate_copy - see shim.h. */
void fdstate_copy(int from, int to)
{
	if (from != to)
		fdstate_set(to, fdstate_get(from));
}

/*
 * One socket option of fd as an int, through the system call itself: the
 * shim may one day interpose getsockopt(), and its own questions must not
 * go through that hook.  Returns -1 when the kernel refuses (a bad fd, a
 * non-socket); errno is the caller's to restore.
 */
static int fdstate_sockopt(int fd, int level, int name)
{
	int value = 0;
	socklen_t len = sizeof(value);

	if (shim_sys(SYS_getsockopt, fd, level, name, &value, &len) < 0)
		return -1;
	return value;
}

/* The flags of a socket of domain and type, or 0 for any other domain. */
static unsigned fdstate_flags_of(int domain, int type)
{
	static const struct {
		int domain;
		unsigned flags;
	} domains[] = {
		{AF_INET, FDSTATE_KNOWN},
		{AF_INET6, FDSTATE_KNOWN | FDSTATE_INET6},
		{AF_UNSPEC, 0},
	};
	size_t i = 0;

	while (domains[i].domain != AF_UNSPEC && domains[i].domain != domain)
		i++;
	if (!domains[i].flags)
		return 0;
	return domains[i].flags | fdstate_type_flags(type);
}

/*
 * fdstate_learn() of an fd whose flags say nothing yet: ask the kernel.
 * Apart, so that the common answer from memory is a leaf function.
 */
static unsigned __attribute__((noinline)) fdstate_learn_kernel(int fd)
{
	unsigned flags, marked = 0;
	int saved_errno, domain, type, err;

	saved_errno = errno;
	domain = fdstate_sockopt(fd, SOL_SOCKET, SO_DOMAIN);
	err = domain < 0 ? errno : 0;
	type = domain < 0 ? -1 : fdstate_sockopt(fd, SOL_SOCKET, SO_TYPE);
	if (domain == AF_INET6 &&
	    fdstate_sockopt(fd, SHIM_UPGRADE_MARK_LEVEL,
			    SHIM_UPGRADE_MARK_NAME) == 1)
		marked = FDSTATE_UPGRADED;
	errno = saved_errno;
	if (type < 0) {
		/* Not a socket is worth remembering; a bad fd is not. */
		if (err == ENOTSOCK)
			fdstate_set(fd, FDSTATE_FOREIGN);
		return 0;
	}
	/* The shim cannot know whether the socket is bound already, and a
	 * bind() of its own on a bound socket would fail the program's
	 * call: it binds no local-address on a socket it did not create. */
	flags = fdstate_flags_of(domain, type);
	if (!flags) {
		fdstate_set(fd, FDSTATE_FOREIGN);
		return 0;
	}
	flags |= FDSTATE_NOBIND | marked;
	fdstate_add(fd, flags);
	/* An fd beyond the table is not remembered, but still answered. */
	return fdstate_get(fd) | flags;
}

/* fdstate_learn - see shim.h. */
unsigned fdstate_learn(int fd)
{
	unsigned flags = fdstate_get(fd);

	if (flags & FDSTATE_KNOWN)
		return flags;
	if (flags & FDSTATE_FOREIGN)
		return 0;
	return fdstate_learn_kernel(fd);
}

/*
 * Whether what memory says of fd (flags) still holds for the socket the
 * kernel has under that number, of domain and type (-1: not a socket, or
 * no fd).  Only what decides whether a call is policed is compared: inet
 * or not, the family, the type.
 */
static bool fdstate_holds(unsigned flags, int domain, int type)
{
	const unsigned what = FDSTATE_KNOWN | FDSTATE_INET6 | FDSTATE_DGRAM |
			      FDSTATE_STREAM;
	unsigned now = type < 0 ? 0 : fdstate_flags_of(domain, type);

	return (flags & what) == (now & what);
}

/*
 * fdstate_confirm - see shim.h.  Two getsockopt() calls: the price of a
 * call that would go to the kernel unpoliced on memory's word alone.
 */
unsigned fdstate_confirm(int fd)
{
	unsigned flags = fdstate_get(fd);
	int saved_errno, domain, type;

	saved_errno = errno;
	domain = fdstate_sockopt(fd, SOL_SOCKET, SO_DOMAIN);
	type = domain < 0 ? -1 : fdstate_sockopt(fd, SOL_SOCKET, SO_TYPE);
	errno = saved_errno;
	if (fdstate_holds(flags, domain, type))
		return flags & FDSTATE_KNOWN ? flags : 0;
	/* Stale: the number was given to another file behind the shim. */
	fdstate_set(fd, 0);
	return fdstate_learn_kernel(fd);
}

/*
 * Mark fd, just received from another process, by the kernel's word alone:
 * whatever its number held before is forgotten, and it is learnt afresh
 * (fdstate_learn(): its family, its type, and the upgrade mark).
 */
static void fdstate_received_one(int fd)
{
	fdstate_set(fd, 0);
	fdstate_learn(fd);
}

/*
 * fdstate_received - see shim.h.  Only CMSG_FIRSTHDR() and CMSG_NXTHDR()
 * walk the control buffer, and each message's descriptors are read no
 * further than both its cmsg_len and the buffer's end allow, so that a
 * msg_controllen or cmsg_len that lies reads nothing beyond the buffer.
 */
void fdstate_received(const struct msghdr *msg)
{
	struct cmsghdr *cmsg;
	const unsigned char *data, *end;
	size_t len;
	int saved_errno, fd;

	if (!msg || !msg->msg_control)
		return;
	saved_errno = errno;
	end = (const unsigned char *)msg->msg_control + msg->msg_controllen;
	for (cmsg = CMSG_FIRSTHDR(msg); cmsg;
	     cmsg = CMSG_NXTHDR((struct msghdr *)msg, cmsg)) {
		if (cmsg->cmsg_level != SOL_SOCKET ||
		    cmsg->cmsg_type != SCM_RIGHTS ||
		    cmsg->cmsg_len < CMSG_LEN(0))
			continue;
		data = CMSG_DATA(cmsg);
		len = cmsg->cmsg_len - CMSG_LEN(0);
		if (data > end)
			continue;
		if (len > (size_t)(end - data))
			len = (size_t)(end - data);
		for (; len >= sizeof(fd);
		     len -= sizeof(fd), data += sizeof(fd)) {
			/* The buffer is the program's: no alignment assumed. */
			memcpy(&fd, data, sizeof(fd));
			fdstate_received_one(fd);
		}
	}
	errno = saved_errno;
}
