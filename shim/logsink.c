/* SPDX-License-Identifier: MIT */
/*
 * logsink.c - where the decision log's lines go (shim/log.c formats them):
 * stderr, a file or the system log, through a descriptor of the library's
 * own that outlives the program closing it.
 *
 * Programs close descriptors they did not open: daemons run closefrom(3)
 * or a close loop, a server closes everything before exec.  The log's
 * descriptor goes with them, and a descriptor that was opened once and
 * never again would leave the log silent for good.  So the descriptor is
 * opened when a line needs it, and again whenever the one before is gone:
 *
 *   - the close(), close_range(), closefrom(), dup2() and dup3() hooks
 *     say which numbers the program closes (shim_log_closed()); when the
 *     log's is among them it is forgotten, and the number is the
 *     program's from then on;
 *   - before every line, fstat() must still find the file (or socket) the
 *     library opened at that number, by st_dev and st_ino: a number closed
 *     where no hook sees it (a raw system call, fcloseall()) and reused
 *     by the program for a file of its own is forgotten too, never
 *     written to and never closed, for it is the program's;
 *   - either way the next line opens the destination again (the file with
 *     the same flags, O_APPEND: it goes on at the end; the system log
 *     connected anew) and is written there; unless the number a hook
 *     said was closed is still the library's (a vfork() child closed it
 *     in its own table: see log_last), which is then taken back.
 *
 * The descriptor is moved to a high number (F_DUPFD_CLOEXEC, from
 * LOG_FD_FLOOR or half the descriptor limit, whichever is lower), out of
 * the way of the lowest free numbers the kernel gives the program's own
 * files: a number the program closed is then not reused between the check
 * and the write of a line another thread is writing.
 *
 * A file is trusted only when no other user can read what is written to
 * it or choose where it goes (log_trusted()).  In secure-execution mode
 * (AT_SECURE: a set-ID program, whose log path is the system config's)
 * the path's last component is not followed when it is a symbolic link,
 * and the file must be a regular file owned by the effective uid or by
 * root and writable by neither group nor others; otherwise, a file that
 * is not the effective uid's own must be just that too.  So a symbolic
 * link, a 0666 file or a FIFO that another user planted at the path gets
 * no line.  A file refused is said once on stderr, and the log stays off
 * for the process (every line is dropped, and counted).
 *
 * Everything here is async-signal-safe and takes no lock: a line may be
 * logged from a hook that a signal handler called while the same thread
 * was logging or opening the log.  Opening races are settled by a
 * compare-and-swap on the published descriptor: a thread that loses
 * closes its own and uses the winner's.  A line that finds no descriptor
 * and cannot open one is dropped, and counted by the caller.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "policy.h"
#include "shim.h"
#include "sys.h"

#define LOG_FILE_MODE 0600
#define LOG_FILE_FLAGS                                                         \
	(O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NONBLOCK | O_NOCTTY)
/* In secure-execution mode: no symbolic link is followed. */
#define LOG_SECURE_FLAGS (LOG_FILE_FLAGS | O_NOFOLLOW)
#define LOG_SYSLOG_PATH "/dev/log"
/* The lowest number the log's descriptor is moved to, at most. */
#define LOG_FD_FLOOR 512

/*
 * The published descriptor, -1 while there is none, and what it is, as
 * fstat() says: set before the descriptor is published.  Two threads
 * that open at once open the same path, so that whichever publishes, the
 * identity read next to it is the file's.
 */
atomic_int shim_log_fd = -1;
static _Atomic(unsigned long long) log_dev, log_ino;

/*
 * The descriptor last published, kept when a hook forgets it: a vfork()
 * child that closes it before exec (CPython's subprocess does, with
 * close_range()) closes it in its own descriptor table only, but tells
 * the parent's memory, which it shares.  Where that number is still the
 * library's file, with the library's flags, it is taken back, not opened
 * again and leaked.
 */
static atomic_int log_last = -1;

/* Close a descriptor of the library's own, past every hook. */
static void log_fd_close(int fd)
{
	shim_sys(SYS_close, fd);
}

/* fd moved to a high number, when there is one to be had. */
static int log_fd_raise(int fd)
{
	struct rlimit rl;
	rlim_t floor = LOG_FD_FLOOR;
	int high;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur / 2 < floor)
		floor = rl.rlim_cur / 2;
	if ((rlim_t)fd >= floor)
		return fd;
	high = (int)shim_sys(SYS_fcntl, fd, F_DUPFD_CLOEXEC, (int)floor);
	if (high < 0)
		return fd;
	log_fd_close(fd);
	return high;
}

/* Whether the log file was refused (log_refuse()): then no line opens it. */
static atomic_int log_refused;

/*
 * The reason st may not take the log's lines, or NULL when it may: see
 * the top of the file.  secure: the process is in secure-execution mode.
 */
static const char *log_untrusted(const struct stat *st, bool secure)
{
	uid_t euid = geteuid();

	if (!secure && st->st_uid == euid)
		return NULL;
	if (!S_ISREG(st->st_mode))
		return "not a regular file";
	if (st->st_uid != euid && st->st_uid != 0)
		return "owned by another user";
	if (st->st_mode & (S_IWGRP | S_IWOTH))
		return "writable by group or others";
	return NULL;
}

/* Append s to buf at *at (cut at size), bytes other than printable
 * ASCII as \xNN: a path is the system config's or the environment's. */
static void log_put(char *buf, size_t size, size_t *at, const char *s,
		    bool escape)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *u = (const unsigned char *)s;

	for (; *u && *at + 4 < size; u++) {
		if (!escape || (*u >= 0x20 && *u < 0x7f && *u != '\\')) {
			buf[(*at)++] = (char)*u;
			continue;
		}
		buf[(*at)++] = '\\';
		buf[(*at)++] = 'x';
		buf[(*at)++] = hex[*u >> 4];
		buf[(*at)++] = hex[*u & 15];
	}
}

/* Turn the log off for good, saying why once on stderr. */
static void log_refuse(const char *path, const char *why)
{
	char line[1024];
	size_t at = 0;

	if (atomic_exchange(&log_refused, 1))
		return;
	log_put(line, sizeof(line) - 1, &at, "stackshim: log ", false);
	log_put(line, sizeof(line) - 1, &at, path, true);
	log_put(line, sizeof(line) - 1, &at, ": refused: ", false);
	log_put(line, sizeof(line) - 1, &at, why, false);
	log_put(line, sizeof(line) - 1, &at, "; nothing is logged\n", false);
	if (line[at - 1] != '\n')
		line[at++] = '\n';
	if (write(STDERR_FILENO, line, at) < 0)
		(void)0;	/* nowhere to say it */
}

/* Whether the system log was found missing (log_syslog_missing()). */
static atomic_int log_syslog_told;

/*
 * Say once on stderr that the system log cannot be reached (err: why, a
 * container or chroot without /dev/log): its lines are dropped, while
 * each line still tries it, so that a syslog daemon started later gets
 * them.
 */
static void log_syslog_missing(int err)
{
	char line[256];
	size_t at = 0;
	const char *name = strerrorname_np(err);

	if (atomic_exchange(&log_syslog_told, 1))
		return;
	log_put(line, sizeof(line), &at, "stackshim: log = syslog: "
		LOG_SYSLOG_PATH ": ", false);
	log_put(line, sizeof(line), &at, name ? name : "error", false);
	log_put(line, sizeof(line), &at, "; lines are dropped while it "
		"cannot be reached\n", false);
	if (write(STDERR_FILENO, line, at) < 0)
		(void)0;	/* nowhere to say it */
}

/* A datagram socket connected to the system log; -1 when there is none. */
static int log_syslog_open(void)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	int fd, err;

	memcpy(sun.sun_path, LOG_SYSLOG_PATH, sizeof(LOG_SYSLOG_PATH));
	fd = (int)shim_sys(SYS_socket, AF_UNIX,
			   SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -1;
	if (shim_sys(SYS_connect, fd, &sun, sizeof(sun)) < 0) {
		err = errno;
		log_fd_close(fd);
		log_syslog_missing(err);
		return -1;
	}
	return fd;
}

/* The log file opened and checked; -1 when it cannot be or is refused. */
static int log_file_open(const char *path)
{
	bool secure = getauxval(AT_SECURE) != 0;
	struct stat st;
	const char *why;
	int fd;

	if (atomic_load(&log_refused))
		return -1;
	fd = (int)shim_sys(SYS_openat, AT_FDCWD, path,
			   secure ? LOG_SECURE_FLAGS : LOG_FILE_FLAGS,
			   LOG_FILE_MODE);
	if (fd < 0) {
		if (errno == ELOOP && secure)
			log_refuse(path, "a symbolic link");
		return -1;
	}
	why = fstat(fd, &st) < 0 ? "cannot stat" : log_untrusted(&st, secure);
	if (!why)
		return fd;
	log_fd_close(fd);
	log_refuse(path, why);
	return -1;
}

/* The destination of policy opened anew; -1 when it cannot be. */
static int log_sink_open(const struct policy *policy, enum policy_log where)
{
	int fd = -1, published = -1;
	struct stat st;

	if (where == LOG_FILE)
		fd = log_file_open(policy_log_path(policy));
	else if (where == LOG_SYSLOG)
		fd = log_syslog_open();
	if (fd < 0)
		return -1;
	fd = log_fd_raise(fd);
	if (fstat(fd, &st) < 0) {
		log_fd_close(fd);
		return -1;
	}
	atomic_store(&log_dev, (unsigned long long)st.st_dev);
	atomic_store(&log_ino, (unsigned long long)st.st_ino);
	if (atomic_compare_exchange_strong(&shim_log_fd, &published, fd)) {
		atomic_store(&log_last, fd);
		return fd;
	}
	/* Another thread (or a signal handler) opened it first. */
	log_fd_close(fd);
	return published;
}

/* Whether fd is still the file or socket the library opened there. */
static bool log_sink_same(int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 &&
	       (unsigned long long)st.st_dev == atomic_load(&log_dev) &&
	       (unsigned long long)st.st_ino == atomic_load(&log_ino);
}

/*
 * Whether fd, which a hook said was closed, is the library's still: its
 * file, close-on-exec, and the status flags the library opened it with
 * (a program that opened the log's path itself would not have all three).
 */
static bool log_sink_kept(int fd, enum policy_log where)
{
	long want = where == LOG_FILE ? O_WRONLY | O_APPEND | O_NONBLOCK
				      : O_RDWR | O_NONBLOCK;
	long flags, mask = O_ACCMODE | O_APPEND | O_NONBLOCK;

	if (!log_sink_same(fd))
		return false;
	if (!(shim_sys(SYS_fcntl, fd, F_GETFD) & FD_CLOEXEC))
		return false;
	flags = shim_sys(SYS_fcntl, fd, F_GETFL);
	return flags >= 0 && (flags & mask) == want;
}

/*
 * The library's descriptor for where, opened now when there is none or
 * the one there was is gone; -1 when none can be had.
 */
static int log_sink_get(const struct policy *policy, enum policy_log where)
{
	int fd = atomic_load(&shim_log_fd), none = -1;

	if (fd >= 0 && log_sink_same(fd))
		return fd;
	/* Closed or reused where no hook saw it: not ours to close. */
	if (fd >= 0) {
		atomic_compare_exchange_strong(&shim_log_fd, &fd, -1);
		atomic_compare_exchange_strong(&log_last, &fd, -1);
	}
	fd = atomic_load(&log_last);
	if (fd >= 0 && log_sink_kept(fd, where)) {
		if (atomic_compare_exchange_strong(&shim_log_fd, &none, fd))
			return fd;
		return none;
	}
	return log_sink_open(policy, where);
}

/* shim_log_emit - see shim.h. */
bool shim_log_emit(const struct policy *policy, const char *line, size_t len)
{
	enum policy_log where = policy_log(policy);
	int fd;

	if (where == LOG_STDERR)
		return write(STDERR_FILENO, line, len) == (ssize_t)len;
	if (where != LOG_FILE && where != LOG_SYSLOG)
		return true;
	fd = log_sink_get(policy, where);
	if (fd < 0)
		return false;
	if (where == LOG_FILE)
		return write(fd, line, len) == (ssize_t)len;
	/* A datagram is whole or not sent; the newline is not part of a
	 * syslog message. */
	return shim_sys(SYS_sendto, fd, line, len - 1,
			MSG_DONTWAIT | MSG_NOSIGNAL, NULL, 0) == (long)(len - 1);
}

/* shim_log_closed - see shim.h; its inline half, shim_log_closing(), in
 * fast.h. */
void shim_log_closed(unsigned first, unsigned last)
{
	int fd = atomic_load_explicit(&shim_log_fd, memory_order_relaxed);

	if (fd >= 0 && (unsigned)fd >= first && (unsigned)fd <= last)
		atomic_compare_exchange_strong(&shim_log_fd, &fd, -1);
}
