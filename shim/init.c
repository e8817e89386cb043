/* SPDX-License-Identifier: MIT */
/*
 * init.c - once-only initialisation of the stackshim library, in two steps.
 *
 * The library's constructor only captures what the policy is made of (the
 * config file's bytes and the STACKSHIM_* variables, policy_capture()) and
 * looks up the real functions of the hooks that need no policy: a program
 * that makes no network call pays for nothing more, whatever its config
 * holds.  The first hook that needs the policy, on any thread, parses it
 * (and reports a broken config then); pthread_once makes each step happen
 * once.  The initialising thread runs it with every signal blocked, so
 * that none of the program's handlers runs on it half-initialised: they
 * run once it is done, under the policy.  A hook that the initialising
 * thread itself still reaches (a replacement malloc that opens a socket)
 * cannot wait for pthread_once, which would deadlock: it is answered as
 * if the library had failed closed (shim_init_ensure()), never let
 * through un-policed.
 */
#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdatomic.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

#include "policy.h"
#include "shim.h"
#include "fast.h"
#include "sockaddr.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define SHIM_REAL_DEFINE(name) __typeof__(name) *real_##name;
SHIM_REAL_SYMBOLS(SHIM_REAL_DEFINE)
#undef SHIM_REAL_DEFINE

/* The real functions to look up: a name and the pointer it fills. */
struct shim_symbol {
	const char *name;
	void *slot;
};

#define SHIM_REAL_ROW(name) {#name, &real_##name},
/* Those of the hooks that need no policy, looked up by the constructor. */
static const struct shim_symbol shim_symbols_free[] = {
	SHIM_REAL_FREE(SHIM_REAL_ROW)
};
/* The rest, looked up when the policy is first needed. */
static const struct shim_symbol shim_symbols_policed[] = {
	SHIM_REAL_POLICED(SHIM_REAL_ROW)
};
#undef SHIM_REAL_ROW

static pthread_once_t shim_capture_once = PTHREAD_ONCE_INIT;
static pthread_once_t shim_once = PTHREAD_ONCE_INIT;

/*
 * Set once the policy is loaded (or failed closed), with release order
 * after everything initialisation wrote: the fast path of
 * shim_init_ensure() is one acquire load of it.
 */
atomic_bool shim_ready;

/*
 * Set while this thread runs initialisation.  initial-exec keeps reading it
 * free of __tls_get_addr(), which may itself allocate memory on first use.
 */
static __thread bool shim_in_init __attribute__((tls_model("initial-exec")));

/* The loaded policy (shim_policy()); NULL once initialisation has failed
 * closed. */
const struct policy *shim_the_policy;

/* What the policy is made of, as the process started (policy_capture()):
 * static, so that the constructor allocates nothing for a small config. */
static struct policy_source_storage shim_source;

/*
 * These are static rather than on the stack: initialisation runs once, and
 * it may run on a thread of the program whose stack is small.
 */
static char shim_exe_path[PATH_MAX];
static char shim_exe_name[NAME_MAX + 1];
static char shim_exe_alias[PATH_MAX];	/* argv[0]; "" when too long */
static bool shim_exe_known;
static char shim_report_text[768];
static char shim_report_line[1024];

static void shim_symbols_lookup(const struct shim_symbol *symbols, size_t n)
{
	size_t i;
	void *fn;

	for (i = 0; i < n; i++) {
		fn = dlsym(RTLD_NEXT, symbols[i].name);
		/* A function pointer is stored through its bytes, as POSIX
		 * dlsym() implies, without breaking aliasing rules. */
		memcpy(symbols[i].slot, &fn, sizeof(fn));
	}
}

static size_t shim_report_append(size_t at, const char *s, size_t len)
{
	size_t room = sizeof(shim_report_line) - 1 - at;

	if (len > room)
		len = room;
	memcpy(shim_report_line + at, s, len);
	return at + len;
}

/*
 * Say once on stderr why network calls will be refused.  The line is written
 * with one write(2), so that it is not interleaved with the program's own
 * output, and never through stdio, whose buffers belong to the program.
 */
static void shim_report(const char *what)
{
	static const char prefix[] = "stackshim: ";
	static const char suffix[] = "; network calls will be refused\n";
	size_t len = 0, done = 0;
	ssize_t n;

	len = shim_report_append(len, prefix, sizeof(prefix) - 1);
	len = shim_report_append(len, what, strlen(what));
	/* The newline must survive truncation, so room is kept for it. */
	if (len > sizeof(shim_report_line) - sizeof(suffix))
		len = sizeof(shim_report_line) - sizeof(suffix);
	len = shim_report_append(len, suffix, sizeof(suffix) - 1);

	while (done < len) {
		n = write(STDERR_FILENO, shim_report_line + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		done += (size_t)n;
	}
}

static void shim_report_error(struct policy_error *err, int rc)
{
	char *what = shim_report_text;
	size_t len = sizeof(shim_report_text);

	/* The engine fills err on every failure; should it ever not, the
	 * errno is better than an empty message. */
	if (err->text[0] == '\0')
		strncpy(err->text, rc == -ENOMEM ? "out of memory"
			: strerror_r(-rc, what, len), sizeof(err->text) - 1);
	if (policy_error_format(err, what, len) < 0)
		what[0] = '\0';
	shim_report(what);
}

/*
 * Note the executable, for the policy's [program NAME] sections: its full
 * path as /proc/self/exe gives it, and its base name, or, without /proc,
 * the name it was started under; and that name, argv[0], as typed (python3
 * for /usr/bin/python3.11).  Done at capture, when the config may have a
 * section at all: the program may chroot() or rewrite its argv before its
 * first network call.
 */
static void shim_exe_capture(void)
{
	const char *name;
	ssize_t len;

	if (!policy_source_may_select(policy_source_in(&shim_source)))
		return;
	len = readlink("/proc/self/exe", shim_exe_path,
		       sizeof(shim_exe_path));
	if (len > 0 && (size_t)len < sizeof(shim_exe_path)) {
		shim_exe_path[len] = '\0';
		name = strrchr(shim_exe_path, '/');
		name = name ? name + 1 : shim_exe_path;
	} else {
		shim_exe_path[0] = '\0';
		name = program_invocation_short_name;
	}
	snprintf(shim_exe_name, sizeof(shim_exe_name), "%s", name);
	if ((size_t)snprintf(shim_exe_alias, sizeof(shim_exe_alias), "%s",
			     program_invocation_name) >= sizeof(shim_exe_alias))
		shim_exe_alias[0] = '\0';
	shim_exe_known = true;
}

/*
 * Say in the log, once, that the config's compiled policy was found and
 * not used (stale, corrupt, not trusted): the text was parsed instead.
 */
static void shim_log_index_refused(const struct policy *policy)
{
	struct shim_log_event ev = {
		.call = "load",
		.outcome = -1,
		.reason = "compiled-policy-unused",
	};

	ev.error = policy_source_index_refused(policy_source_in(&shim_source),
					       &ev.name);
	if (ev.error)
		shim_log(policy, &ev);
}

static struct policy *shim_policy_load(void)
{
	struct policy_error err;
	struct policy *policy;
	int rc;

	policy = policy_new();
	if (!policy) {
		shim_report("out of memory (allocating the policy)");
		return NULL;
	}
	memset(&err, 0, sizeof(err));
	rc = policy_load_source(policy, policy_source_in(&shim_source), &err);
	if (rc < 0) {
		shim_report_error(&err, rc);
		goto err_policy;
	}
	if (shim_exe_known)
		policy_select(policy, shim_exe_name, shim_exe_alias,
			      shim_exe_path[0] ? shim_exe_path : NULL);
	shim_log_index_refused(policy);
	/* Lookups would deny everything; said, and failed closed whole. */
	if (policy_index_failed(policy)) {
		shim_report("out of memory (indexing the rules)");
		goto err_policy;
	}
	/* Asked at the first decision that needs the prefix, not here. */
	if (policy_translate_auto(policy))
		policy_set_pref64_finder(policy, pref64_find);
	return policy;

err_policy:
	policy_free(policy);
	return NULL;
}

/*
 * The first step, from the constructor (or the first hook, should another
 * library's constructor reach one first): what the policy is made of, and
 * the real functions of the hooks that need no policy.
 */
static void shim_capture_run(void)
{
	bool was_in_init = shim_in_init;
	int cancel;

	pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &cancel);
	shim_in_init = true;
	shim_symbols_lookup(shim_symbols_free, ARRAY_SIZE(shim_symbols_free));
	policy_capture(policy_source_in(&shim_source), environ,
		       getauxval(AT_SECURE) != 0, SYSTEM_CONFIG);
	shim_exe_capture();
	shim_in_init = was_in_init;
	pthread_setcancelstate(cancel, NULL);
}

/* Run by pthread_once() with every signal blocked (shim_init_slow()). */
static void shim_init_run(void)
{
	int cancel;

	/* A cancelled initialisation would be run again by the next thread,
	 * and the failure reported twice. */
	pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &cancel);
	shim_in_init = true;
	pthread_once(&shim_capture_once, shim_capture_run);
	/* The real functions come first, so that a hook reached while the
	 * policy loads can already forward its call. */
	shim_symbols_lookup(shim_symbols_policed,
			    ARRAY_SIZE(shim_symbols_policed));
	shim_the_policy = shim_policy_load();
	policy_source_release(policy_source_in(&shim_source));
	shim_fast_compute(shim_the_policy);
	/* Before the program can drop the rights the pool's file needs. */
	pool_prepare(shim_the_policy);
	atomic_store_explicit(&shim_ready, true, memory_order_release);
	shim_in_init = false;
	pthread_setcancelstate(cancel, NULL);
}

/*
 * The slow path of shim_init_ensure(): initialisation not known to be
 * complete.  After fork() in another thread while initialisation ran,
 * glibc's pthread_once notices the new fork generation and lets the child
 * initialise afresh instead of waiting forever; shim_ready is only set
 * once everything is done, so the child never takes a half-done
 * initialisation for a finished one.
 */
void shim_init_slow(void)
{
	sigset_t all, old;
	int saved_errno;

	/* Reached from inside initialisation on this thread: no policy yet
	 * (shim_the_policy NULL, shim_fast all general), which the hooks
	 * answer as failed closed (EACCES), other families untouched. */
	if (shim_in_init)
		return;
	saved_errno = errno;
	/* A handler run on this thread once pthread_once() has claimed the
	 * initialisation could not wait for what it interrupted: its signal
	 * waits instead, from before the claim until the policy is loaded
	 * (parsing 300,000 rules let 367 AF_INET6 sockets of a SIGALRM
	 * handler through under an ipv4 stack). */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pthread_once(&shim_once, shim_init_run);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	errno = saved_errno;
}

/*
 * Capture the policy's sources as the library is loaded, so that the
 * policy is the one the process started with; it is parsed, and a broken
 * configuration reported, at the program's first network call.
 */
__attribute__((constructor)) static void shim_init_constructor(void)
{
	int saved_errno = errno;

	pthread_once(&shim_capture_once, shim_capture_run);
	errno = saved_errno;
}
