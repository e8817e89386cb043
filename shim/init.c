/*
 * init.c - once-only initialisation of the stackshim library.
 *
 * Initialisation looks up the real libc functions, then loads the policy for
 * this program.  It runs from the library's constructor and, lazily, from the
 * first hook any thread enters, whichever comes first; pthread_once makes it
 * happen once.  A hook that the initialising thread itself reaches meanwhile
 * is told to pass its call through (shim_init_ensure()), since waiting on
 * pthread_once from inside it would deadlock.
 */
#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

#include "policy.h"
#include "shim.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define SHIM_REAL_DEFINE(name) __typeof__(name) *real_##name;
SHIM_REAL_SYMBOLS(SHIM_REAL_DEFINE)
#undef SHIM_REAL_DEFINE

/* The real functions to look up: a name and the pointer it fills. */
static const struct shim_symbol {
	const char *name;
	void *slot;
} shim_symbols[] = {
#define SHIM_REAL_ROW(name) {#name, &real_##name},
	SHIM_REAL_SYMBOLS(SHIM_REAL_ROW)
#undef SHIM_REAL_ROW
};

static pthread_once_t shim_once = PTHREAD_ONCE_INIT;

/*
 * Set while this thread runs initialisation.  initial-exec keeps reading it
 * free of __tls_get_addr(), which may itself allocate memory on first use.
 */
static __thread bool shim_in_init __attribute__((tls_model("initial-exec")));

/* The loaded policy; NULL once initialisation has failed closed. */
static struct policy *shim_loaded;

/*
 * These are static rather than on the stack: initialisation runs once, and
 * it may run on a thread of the program whose stack is small.
 */
static char shim_exe_path[PATH_MAX];
static char shim_report_text[768];
static char shim_report_line[1024];

static void shim_symbols_lookup(void)
{
	size_t i;
	void *fn;

	for (i = 0; i < ARRAY_SIZE(shim_symbols); i++) {
		fn = dlsym(RTLD_NEXT, shim_symbols[i].name);
		/* A function pointer is stored through its bytes, as POSIX
		 * dlsym() implies, without breaking aliasing rules. */
		memcpy(shim_symbols[i].slot, &fn, sizeof(fn));
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
		strncpy(err->text, strerror_r(-rc, what, len),
			sizeof(err->text) - 1);
	if (policy_error_format(err, what, len) < 0)
		what[0] = '\0';
	shim_report(what);
}

/*
 * Choose the policy's [program NAME] sections by the executable: its base
 * name and full path as /proc/self/exe gives them, or, without /proc, the
 * name it was started under.
 */
static void shim_policy_select_exe(struct policy *policy)
{
	const char *name, *path = NULL;
	ssize_t len;

	len = readlink("/proc/self/exe", shim_exe_path, sizeof(shim_exe_path));
	if (len > 0 && (size_t)len < sizeof(shim_exe_path)) {
		shim_exe_path[len] = '\0';
		path = shim_exe_path;
		name = strrchr(path, '/');
		name = name ? name + 1 : path;
	} else {
		name = program_invocation_short_name;
	}
	policy_select(policy, name, path);
}

static struct policy *shim_policy_load(void)
{
	struct policy_error err;
	struct policy *policy;
	int rc;

	policy = policy_new();
	if (!policy) {
		shim_report("cannot allocate the policy");
		return NULL;
	}
	memset(&err, 0, sizeof(err));
	rc = policy_load(policy, environ, getauxval(AT_SECURE) != 0,
			 SYSTEM_CONFIG, &err);
	if (rc < 0) {
		shim_report_error(&err, rc);
		goto err_policy;
	}
	shim_policy_select_exe(policy);
	return policy;

err_policy:
	policy_free(policy);
	return NULL;
}

static void shim_init_run(void)
{
	int cancel;

	/* A cancelled initialisation would be run again by the next thread,
	 * and the failure reported twice. */
	pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &cancel);
	shim_in_init = true;
	/* The real functions come first, so that a hook reached while the
	 * policy loads can already forward its call. */
	shim_symbols_lookup();
	shim_loaded = shim_policy_load();
	shim_in_init = false;
	pthread_setcancelstate(cancel, NULL);
}

/*
 * shim_init_ensure - see shim.h.  After fork() in another thread while
 * initialisation ran, glibc's pthread_once notices the new fork generation
 * and lets the child initialise afresh instead of waiting forever.
 */
bool shim_init_ensure(void)
{
	int saved_errno;

	if (shim_in_init)
		return false;
	saved_errno = errno;
	pthread_once(&shim_once, shim_init_run);
	errno = saved_errno;
	return true;
}

/* shim_policy - see shim.h. */
const struct policy *shim_policy(void)
{
	return shim_loaded;
}

/*
 * Initialise as the library is loaded, so that a broken configuration is
 * reported when the program starts rather than at its first network call.
 */
__attribute__((constructor)) static void shim_init_constructor(void)
{
	shim_init_ensure();
}
