#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/shim/early.sh - the library's hooks before, during and racing its
# own initialisation (SPEC §5: "Every hook works before and during
# initialisation; nothing in it may recurse into itself, deadlock ... or
# write to stdout").
#
#   a. A second preloaded library whose constructor the loader runs before
#      the shim's calls socket() from it: the policy already applies
#      (ipv4 stack: AF_INET6 refused with EAFNOSUPPORT, AF_UNIX untouched
#      and errno kept), and a missing config file fails closed (EACCES)
#      with exactly one report on stderr.
#   b. Re-entry: a program whose malloc(), calloc(), realloc() and free()
#      each call socket() and close() reaches the socket hook from inside
#      the shim's own initialisation, on the initialising thread.  It must
#      not deadlock (run under timeout), the nested calls are refused as
#      failed closed (EACCES: never un-policed), and
#      afterwards the policy applies.
#   c. Threads: 16 threads released at once by a barrier make the first
#      socket calls, from main() and from a constructor that runs before the
#      shim's (so that they race the initialisation itself): under a broken
#      config all are refused with EACCES and the error is reported exactly
#      once; under an ipv6 stack 16 x 200 AF_INET sockets are all created
#      and are AF_INET6 in the kernel (SO_DOMAIN read with the raw system
#      call, which no hook sees).
#   d. Every run's stdout is exactly what the test programs print: nothing
#      from the library.
#
# Needs top_builddir and top_srcdir (absolute, as make check exports them)
# and a C compiler ($CC, else cc); exits 77 (skip) without a compiler or
# when the loader cannot be made to run another preloaded library's
# constructor before the shim's, 99 when the library is not built, 1 after
# reporting every mismatch as expected vs got.

set -u

# The library's path, a clean environment, $tmp and expect/fail/finish.
. "${top_srcdir:?top_srcdir must be set}/tests/shim/lib.sh"
trap 'exit 1' HUP INT TERM
unset LD_DEBUG

cc=${CC:-cc}
if ! command -v "${cc%% *}" >/dev/null 2>&1; then
	echo "SKIP: no C compiler ($cc)"
	exit 77
fi
if ! command -v timeout >/dev/null 2>&1; then
	echo "SKIP: timeout(1) is not available"
	exit 77
fi

# No run may read this machine's /etc/stackshim.conf.
: >"$tmp/empty.conf"

# run [VAR=VALUE...] CMD [ARG...] - run CMD under env and timeout, its
# stdout in $tmp/out and $out, stderr in $tmp/err and $err, exit status in
# $status.  124 is a hang.
run()
{
	timeout "$(limit 120)" env "$@" >"$tmp/out" 2>"$tmp/err"
	status=$?
	out=$(cat "$tmp/out")
	err=$(cat "$tmp/err")
}

# show - the last run's output, after a failure.
show()
{
	sed 's/^/    stdout: /' "$tmp/out"
	sed 's/^/    stderr: /' "$tmp/err"
}

# expect_run WHAT STDOUT [STDERR] - the last run exited 0 (not a hang), its
# stdout is exactly STDOUT (d: nothing from the library) and, when given,
# its stderr exactly STDERR.
expect_run()
{
	local before=$failures

	expect "$1: exit status (124 = hung)" 0 "$status"
	expect "$1: stdout" "$2" "$out"
	if [ $# -ge 3 ]; then
		expect "$1: stderr" "$3" "$err"
	fi
	if [ "$failures" -ne "$before" ]; then
		show
	fi
}

# --- the test programs --------------------------------------------------------

# probe.c builds both a program and a preloaded library.  The program's
# argument, or the library constructor's EARLY_MODE, says what to do:
#   mark                 (library only) write "early: constructor" to stderr
#   sockets:FAM[,FAM...] one socket() per family (unix, inet, inet6), with
#                        errno set to a sentinel before each; prints
#                        "WHO: FAM=ok|ERRNO ..." and, when a successful call
#                        changed errno, "FAM=ok/errno=N"
#   threads:N:PER        N threads released by a barrier each open PER
#                        AF_INET sockets (STREAM and DGRAM in turn), read
#                        SO_DOMAIN with the raw system call (shim_sys(),
#                        shim/sys.h: libc's syscall() is the shim's hook)
#                        and close them;
#                        prints the tallies
# Output goes out with write(2) (dprintf), never through stdio buffers.
cat >"$tmp/probe.c" <<'EOF'
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sys.h"

#define SENTINEL 4242
#define MAX_THREADS 64

static const char *errno_name(int e, char *buf, size_t len)
{
	switch (e) {
	case EAFNOSUPPORT: return "EAFNOSUPPORT";
	case EACCES: return "EACCES";
	case EPERM: return "EPERM";
	case EMFILE: return "EMFILE";
	case EINVAL: return "EINVAL";
	}
	snprintf(buf, len, "errno%d", e);
	return buf;
}

static int family(const char *name)
{
	if (!strcmp(name, "unix"))
		return AF_UNIX;
	if (!strcmp(name, "inet"))
		return AF_INET;
	if (!strcmp(name, "inet6"))
		return AF_INET6;
	return -1;
}

static void try_sockets(const char *who, const char *list)
{
	char out[1024], buf[32], *copy = strdup(list), *save, *name;
	size_t n = 0;
	int fd, e;

	n += snprintf(out + n, sizeof(out) - n, "%s:", who);
	for (name = strtok_r(copy, ",", &save); name;
	     name = strtok_r(NULL, ",", &save)) {
		errno = SENTINEL;
		fd = socket(family(name), SOCK_DGRAM, 0);
		e = errno;
		if (fd >= 0) {
			n += snprintf(out + n, sizeof(out) - n, " %s=ok", name);
			if (e != SENTINEL)
				n += snprintf(out + n, sizeof(out) - n,
					      "/errno=%d", e);
			close(fd);
		} else {
			n += snprintf(out + n, sizeof(out) - n, " %s=%s", name,
				      errno_name(e, buf, sizeof(buf)));
		}
	}
	free(copy);
	dprintf(1, "%s\n", out);
}

static pthread_barrier_t barrier;
static int per_thread;
static long n_inet6, n_inet, n_other_domain, n_eacces, n_eafnosupport,
	n_other_errno;

static void *worker(void *arg)
{
	int i, fd, dom;
	socklen_t len;

	(void)arg;
	pthread_barrier_wait(&barrier);
	for (i = 0; i < per_thread; i++) {
		fd = socket(AF_INET, i % 2 ? SOCK_DGRAM : SOCK_STREAM, 0);
		if (fd < 0) {
			if (errno == EACCES)
				__atomic_add_fetch(&n_eacces, 1, __ATOMIC_SEQ_CST);
			else if (errno == EAFNOSUPPORT)
				__atomic_add_fetch(&n_eafnosupport, 1,
						   __ATOMIC_SEQ_CST);
			else
				__atomic_add_fetch(&n_other_errno, 1,
						   __ATOMIC_SEQ_CST);
			continue;
		}
		dom = -1;
		len = sizeof(dom);
		if (shim_sys(SYS_getsockopt, fd, SOL_SOCKET, SO_DOMAIN, &dom,
			     &len) < 0)
			dom = -1;
		if (dom == AF_INET6)
			__atomic_add_fetch(&n_inet6, 1, __ATOMIC_SEQ_CST);
		else if (dom == AF_INET)
			__atomic_add_fetch(&n_inet, 1, __ATOMIC_SEQ_CST);
		else
			__atomic_add_fetch(&n_other_domain, 1, __ATOMIC_SEQ_CST);
		close(fd);
	}
	return NULL;
}

static void run_threads(const char *who, const char *spec)
{
	pthread_t threads[MAX_THREADS];
	int n = 0, i, started;

	if (sscanf(spec, "%d:%d", &n, &per_thread) != 2 || n < 1 ||
	    n > MAX_THREADS) {
		dprintf(2, "%s: bad threads spec '%s'\n", who, spec);
		exit(2);
	}
	pthread_barrier_init(&barrier, NULL, (unsigned)n);
	for (started = 0; started < n; started++)
		if (pthread_create(&threads[started], NULL, worker, NULL)) {
			dprintf(2, "%s: pthread_create failed\n", who);
			exit(2);
		}
	for (i = 0; i < started; i++)
		pthread_join(threads[i], NULL);
	dprintf(1, "%s: threads=%d sockets=%d inet6=%ld inet=%ld "
		"other-domain=%ld EACCES=%ld EAFNOSUPPORT=%ld other-errno=%ld\n",
		who, n, n * per_thread, n_inet6, n_inet, n_other_domain,
		n_eacces, n_eafnosupport, n_other_errno);
}

static void act(const char *who, const char *mode)
{
	if (!strcmp(mode, "mark"))
		dprintf(2, "early: constructor\n");
	else if (!strncmp(mode, "sockets:", 8))
		try_sockets(who, mode + 8);
	else if (!strncmp(mode, "threads:", 8))
		run_threads(who, mode + 8);
	else if (*mode) {
		dprintf(2, "%s: unknown mode '%s'\n", who, mode);
		exit(2);
	}
}

#ifdef EARLY_LIB
__attribute__((constructor)) static void early_constructor(void)
{
	const char *mode = getenv("EARLY_MODE");

	if (mode)
		act("early", mode);
}
#else
int main(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++)
		act("main", argv[i]);
	return 0;
}
#endif
EOF

# reenter.c: malloc(), calloc(), realloc() and free() replaced by versions
# that forward to glibc's __libc_* functions after calling
# socket(AF_INET6, SOCK_DGRAM, 0) and closing what it gave, from the very
# first allocation of the process.  The shim's initialisation allocates
# (the policy's calloc(); on older glibc dlsym()'s calloc() too), so its
# socket hook is entered again on the initialising thread while
# initialisation runs.  A depth limit keeps
# a hook that allocated from recursing for ever.  Prints what main()'s own
# socket(AF_INET6) got, and how the nested calls went: "passed" ones were
# created (never: the policy refuses AF_INET6, and during initialisation
# the nested calls are refused as failed closed), "refused" ones got
# EAFNOSUPPORT (after initialisation), "closed" ones EACCES (during it).
cat >"$tmp/reenter.c" <<'EOF'
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void __libc_free(void *);

static volatile int enabled = 1;
static __thread int depth;
static long passed, refused, closed, other;

static void poke(void)
{
	int saved = errno, fd;

	if (!enabled || depth >= 3)
		return;
	depth++;
	fd = socket(AF_INET6, SOCK_DGRAM, 0);
	if (fd >= 0) {
		__atomic_add_fetch(&passed, 1, __ATOMIC_SEQ_CST);
		close(fd);
	} else if (errno == EAFNOSUPPORT) {
		__atomic_add_fetch(&refused, 1, __ATOMIC_SEQ_CST);
	} else if (errno == EACCES) {
		__atomic_add_fetch(&closed, 1, __ATOMIC_SEQ_CST);
	} else {
		__atomic_add_fetch(&other, 1, __ATOMIC_SEQ_CST);
	}
	depth--;
	errno = saved;
}

void *malloc(size_t n)
{
	poke();
	return __libc_malloc(n);
}

void *calloc(size_t n, size_t size)
{
	poke();
	return __libc_calloc(n, size);
}

void *realloc(void *p, size_t n)
{
	poke();
	return __libc_realloc(p, n);
}

void free(void *p)
{
	poke();
	__libc_free(p);
}

int main(void)
{
	int fd, e;
	char *p;

	errno = 0;
	fd = socket(AF_INET6, SOCK_STREAM, 0);
	e = errno;
	/* One more allocation after initialisation, with the policy on. */
	p = malloc(64);
	/* Keep the compiler from dropping the malloc()/free() pair. */
	__asm__ volatile("" : : "r"(p) : "memory");
	free(p);
	enabled = 0;
	dprintf(1, "main: inet6=%s passed=%s refused=%s closed=%s "
		"other=%ld\n",
		fd >= 0 ? "ok" : e == EAFNOSUPPORT ? "EAFNOSUPPORT"
						   : strerror(e),
		passed > 0 ? "some" : "none", refused > 0 ? "some" : "none",
		closed > 0 ? "some" : "none", other);
	return 0;
}
EOF

compile()
{
	if ! $cc -pthread -std=gnu11 -O1 -g -Wall "$@" -ldl \
		>>"$tmp/cc.log" 2>&1; then
		echo "ERROR: cannot compile the test programs ($cc):"
		cat "$tmp/cc.log"
		exit 99
	fi
}
# The probe's "sys.h" is shim/sys.h.
compile -iquote "$top_srcdir/shim" -o "$tmp/probe" "$tmp/probe.c"
compile -iquote "$top_srcdir/shim" -shared -fPIC -DEARLY_LIB \
	-o "$tmp/libearly.so" "$tmp/probe.c"
compile -o "$tmp/reenter" "$tmp/reenter.c"

probe=$tmp/probe
early=$tmp/libearly.so

# --- which constructor runs first ----------------------------------------------

# The loader runs the constructors of independent preloaded libraries in an
# order of its own (glibc: the last one named first).  Find the LD_PRELOAD
# value that has libearly's constructor run before the shim's, from the
# loader's own trace.
# (In a sanitizer build the sanitizer runtime comes first of all, in both.)
san=${SANITIZER_PRELOAD:+$SANITIZER_PRELOAD:}
order=
for value in "$san$lib:$early" "$san$early:$lib"; do
	LD_DEBUG=files LD_PRELOAD=$value STACKSHIM_CONF=$tmp/empty.conf \
		timeout "$(limit 120)" "$probe" >/dev/null 2>"$tmp/ld.err"
	first=$(sed -n 's/.*calling init: //p' "$tmp/ld.err" |
		grep -E '/(libearly|libstackshim)\.so$' | head -n 1)
	if [ "$first" == "$early" ]; then
		order=$value
		break
	fi
done
if [ -z "$order" ]; then
	echo "SKIP: cannot have the loader run another preloaded library's" \
		"constructor before the shim's (LD_DEBUG=files trace:)"
	sed 's/^/    /' "$tmp/ld.err" | head -n 20
	exit 77
fi
echo "info: LD_PRELOAD order with libearly's constructor first: ${order//$tmp/\$tmp}"

# The marker that libearly's constructor writes comes out before the
# report the shim's constructor writes about a missing config file.
run LD_PRELOAD="$order" STACKSHIM_CONF=/nonexistent EARLY_MODE=mark "$probe"
expect "a: libearly's constructor runs before the shim's" \
	"early: constructor" "$(head -n 1 "$tmp/err")"

# --- a. hooks reached before the shim's constructor ----------------------------

# ipv4 stack.  The first call, AF_UNIX, initialises the shim: it is left
# alone, and errno is what it was.
run LD_PRELOAD="$order" STACKSHIM_CONF="$tmp/empty.conf" STACKSHIM_STACK=ipv4 \
	EARLY_MODE=sockets:unix,inet6,inet,unix "$probe" sockets:inet6,unix,inet
expect_run "a: ipv4 stack, socket() from a constructor before the shim's" \
	"early: unix=ok inet6=EAFNOSUPPORT inet=ok unix=ok
main: inet6=EAFNOSUPPORT unix=ok inet=ok" ""

# The same with AF_INET6 as the very first call.
run LD_PRELOAD="$order" STACKSHIM_CONF="$tmp/empty.conf" STACKSHIM_STACK=ipv4 \
	EARLY_MODE=sockets:inet6,unix "$probe"
expect_run "a: ipv4 stack, AF_INET6 as the first call of the process" \
	"early: inet6=EAFNOSUPPORT unix=ok" ""

# A config file that cannot be read: fail closed from the first call, and
# say so once.  The first call, AF_UNIX, initialises the shim, whose
# failure to open the file leaves no trace in errno.
run LD_PRELOAD="$order" STACKSHIM_CONF=/nonexistent \
	EARLY_MODE=sockets:unix,inet,inet6,unix "$probe" sockets:inet,unix
expect_run "a: missing config, socket() from a constructor before the shim's" \
	"early: unix=ok inet=EACCES inet6=EACCES unix=ok
main: inet=EACCES unix=ok"
expect "a: missing config: stackshim lines on stderr" 1 \
	"$(grep -c '^stackshim: ' "$tmp/err")"
missing_report="stackshim: /nonexistent:0:0: "
expect "a: missing config: the report names /nonexistent:0:0:" \
	"$missing_report" \
	"$(grep '^stackshim: ' "$tmp/err" | head -n 1 | cut -c1-${#missing_report})"
expect "a: missing config: nothing else on stderr" 1 "$(wc -l <"$tmp/err")"

# --- b. re-entry from inside the initialisation --------------------------------

# Not in an ASan or TSan build: the sanitizer's runtime, preloaded,
# initialises itself at the process's first call into it, and there
# (dlsym's error path) calls malloc() before its shadow memory exists;
# reenter's malloc() then calls socket(), the shim's instrumented hook, which
# crashes on its first stack access whatever the shim does.  (Seen, both:
# SIGSEGV at the hook's entry; under ASan AsanInitInternal -> dlsym ->
# malloc -> reenter's malloc -> socket.)
case ,${SANITIZERS:-}, in
*,address,* | *,thread,*)
	echo "SKIP: b: re-entry through a replaced malloc() cannot run under ASan or TSan" ;;
*)
	run LD_PRELOAD="$preload" STACKSHIM_CONF="$tmp/empty.conf" STACKSHIM_STACK=ipv4 \
		"$tmp/reenter"
	expect_run "b: malloc() calling socket() during initialisation" \
		"main: inet6=EAFNOSUPPORT passed=none refused=some closed=some other=0" ""

	# The same with the initialisation started by a hook rather than by the
	# shim's constructor: libearly's constructor runs first, and its first
	# allocation (a strdup()) calls socket() from the replaced malloc().
	run LD_PRELOAD="$order" STACKSHIM_CONF="$tmp/empty.conf" STACKSHIM_STACK=ipv4 \
		EARLY_MODE=sockets:unix,inet6 "$tmp/reenter"
	expect_run "b: malloc() calling socket() during initialisation started by a hook" \
		"early: unix=ok inet6=EAFNOSUPPORT
main: inet6=EAFNOSUPPORT passed=none refused=some closed=some other=0" ""

	# With a missing config file: no hang, and the report comes once.
	run LD_PRELOAD="$preload" STACKSHIM_CONF=/nonexistent "$tmp/reenter"
	expect "b: re-entry with a missing config: exit status (124 = hung)" 0 "$status"
	expect "b: re-entry with a missing config: stackshim lines on stderr" 1 \
		"$(grep -c '^stackshim: ' "$tmp/err")"
	;;
esac

# --- c. threads -----------------------------------------------------------------

# Config files long enough (50000 comment lines, a few milliseconds to
# read) that the threads released together are sure to arrive while the
# first of them is still initialising the shim.
yes '# padding: every line of the file is read before the policy applies' |
	head -n 50000 >"$tmp/padding.conf"
{ printf 'stack = ipv5\n'; cat "$tmp/padding.conf"; } >"$tmp/ipv5.conf"
ipv5_report="stackshim: $tmp/ipv5.conf:1:9: bad value 'ipv5'"

# expect_ipv5_report WHAT - the last run's stderr is one report of the bad
# value, and nothing else.
expect_ipv5_report()
{
	local before=$failures

	expect "$1: stderr lines" 1 "$(wc -l <"$tmp/err")"
	expect "$1: the report" "$ipv5_report" \
		"$(grep '^stackshim: ' "$tmp/err" | head -n 1 | cut -c1-${#ipv5_report})"
	if [ "$failures" -ne "$before" ]; then
		show
	fi
}

# From main(): the shim's constructor has initialised it already.
run LD_PRELOAD="$preload" STACKSHIM_CONF="$tmp/ipv5.conf" "$probe" threads:16:2
expect_run "c: broken config, 16 threads from main()" \
	"main: threads=16 sockets=32 inet6=0 inet=0 other-domain=0 EACCES=32 EAFNOSUPPORT=0 other-errno=0"
expect_ipv5_report "c: broken config, 16 threads from main()"

# From a constructor that runs before the shim's: the threads race to
# initialise it.  Repeated, since a race shows only now and then.
for i in 1 2 3 4 5 6 7 8 9 10; do
	run LD_PRELOAD="$order" STACKSHIM_CONF="$tmp/ipv5.conf" \
		EARLY_MODE=threads:16:2 "$probe"
	before=$failures
	expect_run "c: broken config, 16 threads racing initialisation (run $i)" \
		"early: threads=16 sockets=32 inet6=0 inet=0 other-domain=0 EACCES=32 EAFNOSUPPORT=0 other-errno=0"
	expect_ipv5_report "c: broken config, 16 threads racing initialisation (run $i)"
	[ "$failures" -eq "$before" ] || break
done

run LD_PRELOAD="$preload" STACKSHIM_CONF="$tmp/padding.conf" STACKSHIM_STACK=ipv6 \
	"$probe" threads:16:200
expect_run "c: ipv6 stack, 16 threads x 200 AF_INET sockets from main()" \
	"main: threads=16 sockets=3200 inet6=3200 inet=0 other-domain=0 EACCES=0 EAFNOSUPPORT=0 other-errno=0" ""

run LD_PRELOAD="$order" STACKSHIM_CONF="$tmp/padding.conf" STACKSHIM_STACK=ipv6 \
	EARLY_MODE=threads:16:200 "$probe"
expect_run "c: ipv6 stack, 16 threads x 200 AF_INET sockets racing initialisation" \
	"early: threads=16 sockets=3200 inet6=3200 inet=0 other-domain=0 EACCES=0 EAFNOSUPPORT=0 other-errno=0" ""

finish
