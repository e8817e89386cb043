/* SPDX-License-Identifier: MIT */
/*
 * poolfile.c - the file that holds the host's peer-pool (one per pool
 * network and length), mapped MAP_SHARED by every process under that pool
 * so that an IPv6 peer has the same stand-in everywhere (the region's
 * layout and logic: policy/pool.c).
 *
 * The file lives in /run/stackshim/ for root and in
 * $XDG_RUNTIME_DIR/stackshim/ for anyone else (that variable as the
 * library was loaded, since the program may clear its environment later,
 * and never in secure-execution mode).  Since anyone who can write the
 * file decides what address a peer is shown as, the directory and the file
 * must be the process's own and writable by no one else; neither may be a
 * symbolic link.  Anything else refuses the pool: there is no per-process
 * fallback, which would show two peers in two processes as one address.
 *
 * A new file is made whole under a temporary name and then linked into
 * place, so that no process ever maps a half-made one; of two processes
 * making it at once, the one that links second maps the first's.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "pool.h"

#define POOLFILE_SUBDIR "stackshim"
#define POOLFILE_ROOT_DIR "/run/" POOLFILE_SUBDIR

_Static_assert(sizeof(pthread_mutex_t) <= POLICY_POOL_LOCK_SIZE,
	       "the lock fits its area");

/* $XDG_RUNTIME_DIR as the library was loaded; empty when unset (or too
 * long to leave room in a struct poolfile_why for the file's name). */
static char poolfile_xdg[384];

/*
 * Capture $XDG_RUNTIME_DIR as the library is loaded: a daemon may clear
 * its environment, or overwrite it with its process title, before its
 * first peer.  Not in secure-execution mode: the environment is then the
 * caller's, and the directory must be the process's own.
 */
__attribute__((constructor)) static void poolfile_capture(void)
{
	const char *dir;
	size_t len;

	if (getauxval(AT_SECURE))
		return;
	dir = getenv("XDG_RUNTIME_DIR");
	if (!dir || dir[0] != '/')
		return;
	len = strlen(dir);
	if (len + sizeof("/" POOLFILE_SUBDIR) > sizeof(poolfile_xdg))
		return;
	memcpy(poolfile_xdg, dir, len + 1);
}

/* poolfile_put - see pool.h. */
void poolfile_put(struct poolfile_why *why, const char *s)
{
	size_t n = strlen(s), room = sizeof(why->text) - 1 - why->len;

	if (n > room)
		n = room;
	memcpy(why->text + why->len, s, n);
	why->len += n;
	why->text[why->len] = '\0';
}

/* Append the decimal v: snprintf is not async-signal-safe. */
static void poolfile_put_uint(struct poolfile_why *why, unsigned long v)
{
	char buf[24];
	char *p = buf + sizeof(buf) - 1;

	*p = '\0';
	do
		*--p = (char)('0' + v % 10);
	while (v /= 10);
	poolfile_put(why, p);
}

/* Fail with ": WHAT" (and ": EWHATEVER" for err, when not 0). */
static bool poolfile_fail(struct poolfile_why *why, const char *what, int err)
{
	const char *name = err ? strerrorname_np(err) : NULL;

	poolfile_put(why, ": ");
	poolfile_put(why, what);
	if (err) {
		poolfile_put(why, ": ");
		poolfile_put(why, name ? name : "E?");
	}
	return false;
}

/* Whether st is the process's own and writable by no one else. */
static bool poolfile_owned(const struct stat *st, struct poolfile_why *why)
{
	if (st->st_uid != geteuid()) {
		poolfile_put(why, ": owned by uid ");
		poolfile_put_uint(why, st->st_uid);
		poolfile_put(why, ", not by uid ");
		poolfile_put_uint(why, geteuid());
		return false;
	}
	if (st->st_mode & (S_IWGRP | S_IWOTH))
		return poolfile_fail(why, "writable by group or others", 0);
	return true;
}

/*
 * The pool's directory, opened: made when missing (0755 for root, whose
 * processes of every user-switching kind share it, 0700 otherwise).
 * Returns its descriptor, or -1 with why filled.
 */
static int poolfile_dir(struct poolfile_why *why)
{
	bool root = geteuid() == 0;
	mode_t mode = root ? 0755 : 0700;
	struct stat st;
	bool made;
	int fd;

	if (!root && !poolfile_xdg[0]) {
		poolfile_put(why, "no directory: not root, and XDG_RUNTIME_DIR "
				  "was not set as the program started");
		return -1;
	}
	poolfile_put(why, root ? POOLFILE_ROOT_DIR : poolfile_xdg);
	if (!root)
		poolfile_put(why, "/" POOLFILE_SUBDIR);
	made = mkdir(why->text, mode) == 0;
	if (!made && errno != EEXIST)
		return poolfile_fail(why, "cannot make the directory", errno),
		       -1;
	fd = open(why->text, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return poolfile_fail(why, errno == ENOTDIR || errno == ELOOP ?
					  "not a directory" :
					  "cannot open the directory",
				     errno),
		       -1;
	/* The mode asked for, whatever the umask made of it. */
	if (made)
		fchmod(fd, mode);
	if (fstat(fd, &st) < 0 || !poolfile_owned(&st, why)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* "pool-A.B.C.D-LEN", the network as its host bits cleared. */
static void poolfile_name(const struct in_addr *net, unsigned len,
			  struct poolfile_why *name)
{
	uint32_t a = ntohl(net->s_addr) & ~((UINT32_C(1) << (32 - len)) - 1);
	int i;

	poolfile_put(name, "pool-");
	for (i = 3; i >= 0; i--) {
		poolfile_put_uint(name, (a >> (8 * i)) & 0xff);
		poolfile_put(name, i ? "." : "-");
	}
	poolfile_put_uint(name, len);
}

/* The hash's keys: random, or, should the kernel have none yet, what
 * differs from one boot and process to the next. */
static void poolfile_keys(uint64_t key[POLICY_POOL_KEYS])
{
	struct timespec ts;
	int i;

	if (getrandom(key, sizeof(uint64_t) * POLICY_POOL_KEYS,
		      GRND_NONBLOCK) ==
	    (ssize_t)(sizeof(uint64_t) * POLICY_POOL_KEYS))
		return;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	for (i = 0; i < POLICY_POOL_KEYS; i++)
		key[i] = ((uint64_t)ts.tv_nsec << 32 ^ (uint64_t)ts.tv_sec ^
			  (uint64_t)(uintptr_t)&ts ^ (uint64_t)getpid()) *
			 (UINT64_C(0x9e3779b97f4a7c15) + 2 * (uint64_t)i);
}

/* Map fd's size bytes shared; NULL when it cannot be. */
static void *poolfile_map(int fd, size_t size)
{
	void *base = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
			  0);

	return base == MAP_FAILED ? NULL : base;
}

/*
 * Make the file whole under a temporary name, then link it in as name.
 * Returns 0 with *pool mapped, EEXIST when another process linked its own
 * first, or another errno.
 */
static int poolfile_create(int dfd, const char *name,
			   const struct in_addr *net, unsigned len,
			   struct policy_pool *pool)
{
	size_t size = policy_pool_region_size(net, len);
	struct poolfile_why tmp = {.len = 0};
	uint64_t key[POLICY_POOL_KEYS];
	void *base = NULL;
	int fd, err = 0;

	/* The pid and random bits (not the keys, which the name would show):
	 * no other maker, of this pid namespace or another's sharing the
	 * directory, picks the same name, and one left by a maker that died
	 * is no obstacle. */
	poolfile_keys(key);
	poolfile_put(&tmp, name);
	poolfile_put(&tmp, ".new.");
	poolfile_put_uint(&tmp, (unsigned long)getpid());
	poolfile_put(&tmp, ".");
	poolfile_put_uint(&tmp, (unsigned long)(key[1] ^ key[2]));
	poolfile_keys(key);
	fd = openat(dfd, tmp.text, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW |
					   O_CLOEXEC, 0600);
	if (fd < 0)
		return errno == EEXIST ? EAGAIN : errno;
	if (fchmod(fd, 0600) < 0 || ftruncate(fd, (off_t)size) < 0 ||
	    !(base = poolfile_map(fd, size)))
		err = errno;
	if (!err && (policy_pool_format(pool, base, size, net, len,
					poolfile_abi(), key) ||
		     (err = poolfile_lock_init(pool))))
		err = err ? err : EINVAL;
	if (!err && linkat(dfd, tmp.text, dfd, name, 0) < 0)
		err = errno;
	if (err && base)
		munmap(base, size);
	unlinkat(dfd, tmp.text, 0);
	close(fd);
	return err;
}

/* Map the existing file fd, after checking it; false with why filled. */
static bool poolfile_attach(int fd, const struct in_addr *net, unsigned len,
			    struct policy_pool *pool, struct poolfile_why *why)
{
	size_t size = policy_pool_region_size(net, len);
	enum policy_pool_fault fault;
	struct stat st;
	void *base;

	if (fstat(fd, &st) < 0)
		return poolfile_fail(why, "cannot stat", errno);
	if (!S_ISREG(st.st_mode))
		return poolfile_fail(why, "not a regular file", 0);
	if (!poolfile_owned(&st, why))
		return false;
	if ((size_t)st.st_size != size)
		return poolfile_fail(why, policy_pool_fault_text(
						  POLICY_POOL_BAD_SIZE), 0);
	base = poolfile_map(fd, size);
	if (!base)
		return poolfile_fail(why, "cannot map", errno);
	fault = policy_pool_attach(pool, base, size, net, len, poolfile_abi());
	if (fault == POLICY_POOL_OK)
		return true;
	munmap(base, size);
	return poolfile_fail(why, policy_pool_fault_text(fault), 0);
}

/* Open name in dfd, making it when missing; false with why filled. */
static bool poolfile_open_in(int dfd, const struct poolfile_why *name,
			     const struct in_addr *net, unsigned len,
			     struct policy_pool *pool, struct poolfile_why *why)
{
	int fd, tries, err;
	bool ok;

	for (tries = 0; tries < 3; tries++) {
		fd = openat(dfd, name->text,
			    O_RDWR | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC);
		if (fd >= 0) {
			ok = poolfile_attach(fd, net, len, pool, why);
			close(fd);
			return ok;
		}
		if (errno == ELOOP)
			return poolfile_fail(why, "a symbolic link", 0);
		if (errno != ENOENT)
			return poolfile_fail(why, "cannot open", errno);
		err = poolfile_create(dfd, name->text, net, len, pool);
		if (!err)
			return true;
		if (err != EEXIST)
			return poolfile_fail(why, "cannot make the file", err);
	}
	return poolfile_fail(why, "made and removed under us", 0);
}

/* poolfile_open - see pool.h. */
bool poolfile_open(const struct in_addr *net, unsigned len,
		   struct policy_pool *pool, struct poolfile_why *why)
{
	struct poolfile_why name = {.len = 0};
	int dfd;
	bool ok;

	why->len = 0;
	why->text[0] = '\0';
	if (!policy_pool_region_size(net, len)) {
		poolfile_put(why, "peer-pool");
		return poolfile_fail(why, policy_pool_fault_text(
						  POLICY_POOL_BAD_LEN), 0);
	}
	dfd = poolfile_dir(why);
	if (dfd < 0)
		return false;
	poolfile_name(net, len, &name);
	poolfile_put(why, "/");
	poolfile_put(why, name.text);
	ok = poolfile_open_in(dfd, &name, net, len, pool, why);
	close(dfd);
	return ok;
}

/* poolfile_abi - see pool.h. */
uint32_t poolfile_abi(void)
{
	return (uint32_t)sizeof(pthread_mutex_t) |
	       (uint32_t)sizeof(long) << 8 | UINT32_C(1) << 16;
}

/* poolfile_lock_init - see pool.h. */
int poolfile_lock_init(struct policy_pool *pool)
{
	pthread_mutexattr_t attr;
	int err;

	err = pthread_mutexattr_init(&attr);
	if (err)
		return err;
	err = pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
	if (!err)
		err = pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
	if (!err)
		err = pthread_mutex_init(policy_pool_lock_area(pool), &attr);
	pthread_mutexattr_destroy(&attr);
	return err;
}
