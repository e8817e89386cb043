/* SPDX-License-Identifier: MIT */
/*
 * source.c - reading a config file's bytes, as policy_capture() does in
 * every process's constructor.
 *
 * Reading happens inside someone else's program, before its main(): it
 * must never wait on anything (a FIFO, a terminal, a device), never open
 * what opening changes (a watchdog, a tape), and never take a file caught
 * half-written for a whole one.  So a config must be a regular file (or
 * /dev/null, the usual "none"), it is checked before it is opened and
 * again after, and it is read only once it has been quiet for a moment
 * and did not change while being read; otherwise it is read again, and
 * after a few tries refused (fail closed).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

#define FILE_LIMIT (64u << 20)		/* bytes in a file */

/* The caller's storage (policy.h) holds a source on every target. */
_Static_assert(sizeof(struct policy_source) <= POLICY_SOURCE_SIZE,
	       "struct policy_source outgrew POLICY_SOURCE_SIZE");
_Static_assert(_Alignof(struct policy_source) <=
		       _Alignof(struct policy_source_storage),
	       "struct policy_source_storage is not aligned for a source");

/*
 * A file changed less than this long ago may be in the middle of being
 * rewritten in place (truncated, then written): it is read again once it
 * has been quiet this long.  File times advance by the kernel's tick (up
 * to 10 ms), and a writer between its truncate and its write may be
 * descheduled: 50 ms covers both on a loaded machine.
 */
#define QUIET_NS (50 * 1000 * 1000L)
/*
 * An empty file is what a reader finds between such a writer's truncate
 * and its write; a writer descheduled there for more than QUIET_NS (seen
 * on a loaded machine: 4 starts in 100) would have an empty config taken
 * for the real one.  An empty file must have been quiet for a second.
 */
#define QUIET_EMPTY_NS (1000 * 1000 * 1000L)
/* How long a start waits, in all, for a file that keeps changing before
 * refusing it: an empty file's quiet time and a few reads more. */
#define WAIT_BUDGET_NS (1200 * 1000 * 1000L)

static const char text_not_regular[] =
	"not a regular file (a config must be a regular file or /dev/null)";
static const char text_torn[] =
	"changed while being read (replace a config with rename(2), never "
	"rewrite it in place)";

/* config_source_init - see internal.h. */
void config_source_init(struct policy_source *src)
{
	memset(src, 0, offsetof(struct policy_source, used) + sizeof(src->used));
}

/* config_source_alloc - see internal.h. */
void *config_source_alloc(struct policy_source *src, size_t n)
{
	size_t align = _Alignof(max_align_t);
	char *p;

	if (n > sizeof(src->room) - src->used)
		return malloc(n);
	p = src->room + src->used;
	src->used += (n + align - 1) / align * align;
	if (src->used > sizeof(src->room))
		src->used = sizeof(src->room);
	return p;
}

/* config_source_free - see internal.h. */
void config_source_free(struct policy_source *src, void *p)
{
	uintptr_t at = (uintptr_t)p, room = (uintptr_t)src->room;

	if (at - room >= sizeof(src->room))
		free(p);
}

/* The text told for rc when the caller has none. */
static const char *source_fail_text(int rc)
{
	switch (rc) {
	case -EFBIG:
		return "file larger than 64 MiB";
	case -ENOMEM:
		return "out of memory";
	default:
		return strerrordesc_np(-rc);
	}
}

/* config_source_fail - see internal.h. */
int config_source_fail(struct policy_source *src, const char *path, int rc,
		       const char *text)
{
	src->rc = rc;
	src->report = true;
	snprintf(src->error.file, sizeof(src->error.file), "%s", path);
	snprintf(src->error.text, sizeof(src->error.text), "%s",
		 text ? text : source_fail_text(rc));
	return rc;
}

/*
 * Whether st may be read as a config: 0, or -EISDIR for a directory and
 * -EINVAL for anything else that is not a regular file or /dev/null.
 */
static int source_kind(const struct stat *st)
{
	if (S_ISREG(st->st_mode))
		return 0;
	if (S_ISCHR(st->st_mode) && st->st_rdev == makedev(1, 3))
		return 0;
	return S_ISDIR(st->st_mode) ? -EISDIR : -EINVAL;
}

/* Whether a and b are the same file, unchanged in between. */
static bool source_same(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino &&
	       a->st_size == b->st_size &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
	       a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
	       a->st_ctim.tv_sec == b->st_ctim.tv_sec &&
	       a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

/*
 * How long, in ns, until st has been quiet long enough: 0 when it has
 * been (or its time is in the future, as on a server whose clock is ahead:
 * waiting would not help).
 */
static long source_unquiet_ns(const struct stat *st)
{
	long quiet = st->st_size ? QUIET_NS : QUIET_EMPTY_NS;
	struct timespec now;
	long long age;

	if (clock_gettime(CLOCK_REALTIME, &now) < 0)
		return 0;
	age = (long long)(now.tv_sec - st->st_ctim.tv_sec) * 1000000000LL +
	      (now.tv_nsec - st->st_ctim.tv_nsec);
	return age < 0 || age >= quiet ? 0 : (long)(quiet - age);
}

static void source_sleep_ns(long ns)
{
	struct timespec t = {.tv_sec = ns / 1000000000L,
			     .tv_nsec = ns % 1000000000L};

	while (nanosleep(&t, &t) < 0 && errno == EINTR)
		;
}

/*
 * Read all of fd into src->text.  size is what fstat() said, a first guess
 * (a regular file's: then one read() fills the buffer, and one more finds
 * the end; procfs says 0).  Returns 0 or a negative errno.
 */
static int source_read_all(struct policy_source *src, int fd, off_t size)
{
	size_t cap = 0;
	char *grown;
	ssize_t n;

	/* The buffer is of src's room while it fits (config_source_alloc()):
	 * a small regular file's bytes and its end in one read there. */
	for (;;) {
		if (src->len == cap) {
			cap = cap ? 2 * cap
			    : size > 0 && size <= FILE_LIMIT ? (size_t)size + 1
							       : 1024;
			if (cap > FILE_LIMIT + 1)
				cap = FILE_LIMIT + 1;
			if (src->len == cap)
				return -EFBIG;
			grown = config_source_alloc(src, cap);
			if (!grown)
				return -ENOMEM;
			if (src->len)
				memcpy(grown, src->text, src->len);
			config_source_free(src, src->text);
			src->text = grown;
		}
		n = read(fd, src->text + src->len, cap - src->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (!n)
			return 0;
		src->len += (size_t)n;
	}
}

/* Forget what a read kept, its room given back too. */
static void source_drop(struct policy_source *src, size_t used)
{
	config_source_free(src, src->text);
	src->text = NULL;
	src->len = 0;
	src->used = used;
}

/*
 * One read of the open fd, st its fstat() before: 0 and src->text filled,
 * -EAGAIN when the file changed meanwhile or was changed too recently to
 * be trusted (*wait_ns says how long to wait before trying again), or
 * another negative errno.
 */
static int source_read_once(struct policy_source *src, int fd,
			    const struct stat *st, long *wait_ns)
{
	struct stat after;
	int r;

	*wait_ns = 0;
	if (!S_ISREG(st->st_mode))
		return 0;		/* /dev/null: nothing to read */
	*wait_ns = source_unquiet_ns(st);
	if (*wait_ns)
		return -EAGAIN;
	r = source_read_all(src, fd, st->st_size);
	if (r < 0)
		return r;
	if (fstat(fd, &after) < 0)
		return -errno;
	/* procfs files say 0 and have bytes; otherwise the size is all. */
	if (!source_same(st, &after) ||
	    (st->st_size && (size_t)st->st_size != src->len)) {
		*wait_ns = QUIET_NS / 4;
		return -EAGAIN;
	}
	policy_identity_of(&src->identity, st);
	return 0;
}

/* The value of name in envp, or NULL. */
static const char *source_getenv(char *const envp[], const char *name)
{
	size_t n = strlen(name);

	for (; envp && *envp; envp++)
		if (!strncmp(*envp, name, n) && (*envp)[n] == '=')
			return *envp + n + 1;
	return NULL;
}

/*
 * Append s to buf (len bytes) at n, NUL-terminated; returns the new end,
 * len when it does not fit.  Not snprintf(): this runs in the library's
 * constructor, before the program's own constructors, and a program may
 * interpose snprintf() with one that is not ready yet.
 */
static size_t source_put(char *buf, size_t len, size_t n, const char *s)
{
	size_t k = strlen(s);

	if (n >= len || k >= len - n)
		return len;
	memcpy(buf + n, s, k + 1);
	return n + k;
}

/* source_put() of v in lower-case hexadecimal, without leading zeros. */
static size_t source_put_hex(char *buf, size_t len, size_t n, uint64_t v)
{
	char hex[17];
	size_t i = sizeof(hex) - 1;

	hex[i] = '\0';
	do {
		hex[--i] = "0123456789abcdef"[v & 15];
		v >>= 4;
	} while (v);
	return source_put(buf, len, n, hex + i);
}

/* policy_index_path - see policy.h. */
int policy_index_path(char *buf, size_t len, const struct stat *config,
		      bool secure, char *const envp[])
{
	const char *dir = secure ? NULL
				 : source_getenv(envp, "STACKSHIM_CACHE_DIR");
	const char *home = "", *sub = "";
	size_t n;

	if (dir && *dir)
		;
	else if (config->st_uid == 0)
		dir = POLICY_SYSTEM_CACHE;
	else if (secure)
		return -ENOENT;
	else if ((dir = source_getenv(envp, "XDG_CACHE_HOME")) && *dir == '/')
		sub = "/stackshim";
	else if ((home = source_getenv(envp, "HOME")) && *home == '/') {
		dir = home;
		sub = "/.cache/stackshim";
	} else
		return -ENOENT;
	n = source_put(buf, len, 0, dir);
	n = source_put(buf, len, n, sub);
	n = source_put(buf, len, n, "/");
	n = source_put_hex(buf, len, n, (uint64_t)config->st_dev);
	n = source_put(buf, len, n, "-");
	n = source_put_hex(buf, len, n, (uint64_t)config->st_ino);
	n = source_put(buf, len, n, ".policy");
	return n < len ? 0 : -ENAMETOOLONG;
}

/*
 * Whether the index at path, opened as fd, may be trusted as the config's
 * is (trusted: root's alone; else root's or the process's own), and is
 * written by its owner alone.
 */
static bool source_index_owned(const struct stat *st, bool trusted)
{
	if (!S_ISREG(st->st_mode) || (st->st_mode & (S_IWGRP | S_IWOTH)))
		return false;
	return st->st_uid == 0 || (!trusted && st->st_uid == geteuid());
}

/*
 * Map the compiled policy of the config that st describes, when there is
 * one that may be used for it (src->image set, the file's identity in
 * src->identity); when there is one that may not, say why in src.
 * Returns whether it was mapped.
 */
static bool source_index(struct policy_source *src, const struct stat *st,
			 bool trusted)
{
	struct stat ist;
	const char *why = NULL;
	void *map = MAP_FAILED;
	int fd;

	if (policy_index_path(src->index_path, sizeof(src->index_path), st,
			      src->secure, src->index_env) < 0)
		return false;
	fd = open(src->index_path,
		  O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | O_NOFOLLOW);
	if (fd < 0) {
		/* None compiled is the usual case: nothing to say. */
		if (errno != ENOENT)
			why = "unreadable";
		goto out;
	}
	if (fstat(fd, &ist) < 0)
		why = "unreadable";
	else if (!source_index_owned(&ist, trusted))
		why = "not-trusted";
	else if (ist.st_size < 64)
		why = "truncated";
	else if ((map = mmap(NULL, (size_t)ist.st_size, PROT_READ,
			     MAP_SHARED, fd, 0)) == MAP_FAILED)
		why = "unreadable";
	close(fd);
	if (!why) {
		policy_identity_of(&src->identity, st);
		why = compiled_check(map, (size_t)ist.st_size, &src->identity);
	}
	if (!why) {
		src->image = map;
		src->image_len = (size_t)ist.st_size;
		return true;
	}
	if (map != MAP_FAILED)
		munmap(map, (size_t)ist.st_size);
out:
	src->index_refused = why;
	return false;
}

/*
 * Open path and read it once: 0, -EAGAIN (try again after *wait_ns), or
 * a negative errno with *text the message for it (NULL: the errno's).
 */
static int source_try(struct policy_source *src, const char *path,
		      bool trusted, long *wait_ns, const char **text)
{
	struct stat st;
	int fd, r;

	*text = NULL;
	*wait_ns = 0;
	/* Checked before opening: opening some devices acts (a watchdog
	 * arms, a tape rewinds) or waits (a FIFO, a terminal). */
	if (stat(path, &st) < 0)
		return -errno;
	r = source_kind(&st);
	if (r < 0) {
		*text = r == -EINVAL ? text_not_regular : NULL;
		return r;
	}
	/* O_NONBLOCK and the check again: path may be swapped meanwhile. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		r = -errno;
		goto out;
	}
	r = source_kind(&st);
	if (r < 0) {
		*text = r == -EINVAL ? text_not_regular : NULL;
		goto out;
	}
	if (trusted &&
	    (st.st_uid != 0 || (st.st_mode & (S_IWGRP | S_IWOTH)))) {
		*text = "refused: a system config must be owned by root and "
			"writable by root only";
		r = -EPERM;
		goto out;
	}
	/* A compiled policy of this very file needs no bytes of it. */
	if (src->index_env && S_ISREG(st.st_mode) &&
	    source_index(src, &st, trusted)) {
		r = 0;
		goto out;
	}
	r = source_read_once(src, fd, &st, wait_ns);
out:
	close(fd);
	return r;
}

/* config_source_read - see internal.h. */
int config_source_read(struct policy_source *src, const char *path,
		       bool trusted, bool optional)
{
	long budget = WAIT_BUDGET_NS, wait_ns;
	size_t used = src->used;
	const char *text;
	int r;

	for (;;) {
		r = source_try(src, path, trusted, &wait_ns, &text);
		if (r != -EAGAIN)
			break;
		source_drop(src, used);
		if (!budget) {
			text = text_torn;
			break;
		}
		if (wait_ns > budget)
			wait_ns = budget;
		source_sleep_ns(wait_ns);
		budget -= wait_ns;
	}
	if (r == -ENOENT && optional)
		return 0;
	if (r < 0) {
		source_drop(src, used);
		return config_source_fail(src, path, r, text);
	}
	src->path = path;
	return 0;
}

/* policy_source_may_select - see policy.h. */
bool policy_source_may_select(const struct policy_source *src)
{
	if (src->image)
		return compiled_sections(src->image) != 0;
	/* Past a page, looking for a '[' costs more than noting the
	 * executable does. */
	return src->text && (src->len > 4096 || memchr(src->text, '[', src->len));
}

/* config_read - see internal.h. */
int config_read(struct policy *policy, const char *path,
		struct policy_error *err)
{
	struct policy_source src;
	unsigned count = 0;
	int r;

	if (policy->file)
		return -EEXIST;
	config_source_init(&src);
	r = config_source_read(&src, path, false, false);
	if (r < 0)
		config_report(policy, err, &count, src.error.file, 0, 0, "%s",
			      src.error.text);
	else
		r = policy_parse_buffer(policy, path, src.text ? src.text : "",
					src.len, err);
	config_source_free(&src, src.text);
	return r;
}

/* policy_source_index_refused - see policy.h. */
const char *policy_source_index_refused(const struct policy_source *src,
					const char **path)
{
	if (src->index_refused && path)
		*path = src->index_path;
	return src->index_refused;
}
