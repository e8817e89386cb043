/* SPDX-License-Identifier: MIT */
/*
 * gai-async-probe.c - the probe of tests/shim/gai-async.sh: glibc's
 * asynchronous lookups, getaddrinfo_a() with each way of being told, and
 * gai_suspend(), gai_cancel(), gai_error() on them.
 *
 * Each argument is one call, MODE/NAMES (NAMES comma-separated, asked
 * AF_UNSPEC, SOCK_STREAM):
 *   wait/NAMES     GAI_WAIT
 *   signal/NAMES   GAI_NOWAIT, SIGEV_SIGNAL (SIGRTMIN+1, value 42), taken
 *                  with sigwaitinfo(): prints the signal's code and value
 *   thread/NAMES   GAI_NOWAIT, SIGEV_THREAD (value 7)
 *   suspend/NAMES  GAI_NOWAIT, SIGEV_NONE, gai_suspend() until all done,
 *                  then gai_suspend() and gai_cancel() once more
 *   slow/NAMES     as suspend, but first gai_suspend() with 50 ms and
 *                  gai_cancel() on the first request (names that take
 *                  seconds: they are still in progress).  Both wait until
 *                  the file $GAI_PROBE_QUERIES (the DNS sink's) has grown:
 *                  a request glibc's helper has not yet picked up would
 *                  be cancelled (EAI_CANCELED), which is load, not policy
 *   intr/NAMES     as slow, but the first gai_suspend() has no timeout
 *                  and a SIGALRM handler (no SA_RESTART) runs every
 *                  100 ms until it returns, so one lands inside it however
 *                  late the call is made
 * A name "-" is a NULL entry of the list, skipped by every call.
 * and prints one line: the mode's own findings, then NAME=RESULT for each
 * request (its gai_error(): an EAI_* name, or the addresses).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "probe.h"

#define MAX_REQS 8

static struct gaicb reqs[MAX_REQS], *list[MAX_REQS];
static struct addrinfo hints = {.ai_socktype = SOCK_STREAM};
static int nreqs;
static sem_t thread_done;
static int thread_value;

static void parse(char *names)
{
	char *name, *save = NULL;

	nreqs = 0;
	memset(reqs, 0, sizeof(reqs));
	for (name = strtok_r(names, ",", &save); name && nreqs < MAX_REQS;
	     name = strtok_r(NULL, ",", &save)) {
		reqs[nreqs].ar_name = name;
		reqs[nreqs].ar_request = &hints;
		list[nreqs] = strcmp(name, "-") ? &reqs[nreqs] : NULL;
		nreqs++;
	}
}

static void print_results(void)
{
	char buf[INET6_ADDRSTRLEN];
	struct addrinfo *ai;
	int i, rc;

	for (i = 0; i < nreqs; i++) {
		if (!list[i])
			continue;
		rc = gai_error(&reqs[i]);
		printf(" %s=", reqs[i].ar_name);
		if (rc != 0) {
			printf("%s", eai_name(rc));
			continue;
		}
		for (ai = reqs[i].ar_result; ai; ai = ai->ai_next) {
			const void *a = ai->ai_family == AF_INET
				? (const void *)&((struct sockaddr_in *)ai->ai_addr)->sin_addr
				: (const void *)&((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr;

			printf("%s%s", ai == reqs[i].ar_result ? "" : "+",
			       inet_ntop(ai->ai_family, a, buf, sizeof(buf)));
		}
		freeaddrinfo(reqs[i].ar_result);
	}
}

static void notified(union sigval v)
{
	thread_value = v.sival_int;
	sem_post(&thread_done);
}

static void on_alarm(int sig)
{
	(void)sig;
}

/* A SIGALRM handler without SA_RESTART, run every 100 ms from now on
 * (ON) or no more (!ON). */
static void alarm_every(int on)
{
	struct sigaction sa = {.sa_handler = on_alarm};
	struct itimerval every = {.it_value = {0, 100 * 1000},
				  .it_interval = {0, 100 * 1000}};
	struct itimerval off = {{0, 0}, {0, 0}};

	sigaction(SIGALRM, &sa, NULL);
	setitimer(ITIMER_REAL, on ? &every : &off, NULL);
}

static off_t queries_size(void)
{
	const char *path = getenv("GAI_PROBE_QUERIES");
	struct stat st;

	return path && stat(path, &st) == 0 ? st.st_size : -1;
}

/* Until the DNS sink has seen a query beyond the first SEEN bytes: the
 * lookup is running on its helper.  No file: no wait.  Bounded by the
 * test's own hang guard, not here. */
static void await_query(off_t seen)
{
	struct timespec tick = {0, 10 * 1000 * 1000};

	if (seen < 0)
		return;
	while (queries_size() <= seen)
		nanosleep(&tick, NULL);
}

static void suspend_all(void)
{
	int i, busy;

	do {
		gai_suspend((const struct gaicb *const *)list, nreqs, NULL);
		for (busy = 0, i = 0; i < nreqs; i++)
			busy |= list[i] && gai_error(&reqs[i]) == EAI_INPROGRESS;
	} while (busy);
}

static void run(char *arg)
{
	char *slash = strchr(arg, '/');
	struct sigevent sev = {.sigev_notify = SIGEV_NONE};
	struct timespec short_wait = {0, 50 * 1000 * 1000};
	siginfo_t info;
	sigset_t set;
	int rc;

	if (!slash) {
		printf("bad call %s\n", arg);
		return;
	}
	*slash = '\0';
	parse(slash + 1);
	printf("%s:", arg);
	if (!strcmp(arg, "wait")) {
		rc = getaddrinfo_a(GAI_WAIT, list, nreqs, NULL);
		printf(" rc=%s", eai_name(rc));
	} else if (!strcmp(arg, "signal")) {
		sigemptyset(&set);
		sigaddset(&set, SIGRTMIN + 1);
		sigprocmask(SIG_BLOCK, &set, NULL);
		sev.sigev_notify = SIGEV_SIGNAL;
		sev.sigev_signo = SIGRTMIN + 1;
		sev.sigev_value.sival_int = 42;
		rc = getaddrinfo_a(GAI_NOWAIT, list, nreqs, &sev);
		printf(" rc=%s", eai_name(rc));
		while (sigwaitinfo(&set, &info) < 0 && errno == EINTR)
			;
		printf(" code=%s value=%d pid=%s",
		       info.si_code == SI_ASYNCNL ? "SI_ASYNCNL" : "other",
		       info.si_value.sival_int,
		       info.si_pid == getpid() ? "self" : "other");
	} else if (!strcmp(arg, "thread")) {
		sem_init(&thread_done, 0, 0);
		sev.sigev_notify = SIGEV_THREAD;
		sev.sigev_notify_function = notified;
		sev.sigev_value.sival_int = 7;
		rc = getaddrinfo_a(GAI_NOWAIT, list, nreqs, &sev);
		printf(" rc=%s", eai_name(rc));
		while (sem_wait(&thread_done) < 0 && errno == EINTR)
			;
		printf(" value=%d", thread_value);
	} else if (!strcmp(arg, "suspend") || !strcmp(arg, "slow") ||
		   !strcmp(arg, "intr")) {
		off_t seen = queries_size();

		rc = getaddrinfo_a(GAI_NOWAIT, list, nreqs, &sev);
		printf(" rc=%s", eai_name(rc));
		if (strcmp(arg, "suspend"))
			await_query(seen);
		if (!strcmp(arg, "intr")) {
			alarm_every(1);
			rc = gai_suspend((const struct gaicb *const *)list,
					 nreqs, NULL);
			alarm_every(0);
			printf(" suspend-signalled=%s", eai_name(rc));
		}
		if (!strcmp(arg, "slow")) {
			rc = gai_suspend((const struct gaicb *const *)list,
					 nreqs, &short_wait);
			printf(" short-suspend=%s", eai_name(rc));
			printf(" cancel-running=%s",
			       eai_name(gai_cancel(&reqs[0])));
		}
		suspend_all();
		printf(" suspend-done=%s",
		       eai_name(gai_suspend((const struct gaicb *const *)list,
					    nreqs, NULL)));
		printf(" cancel-done=%s", eai_name(gai_cancel(&reqs[0])));
	} else {
		printf(" bad mode\n");
		return;
	}
	print_results();
	printf("\n");
}

int main(int argc, char **argv)
{
	int i;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (i = 1; i < argc; i++)
		run(argv[i]);
	return 0;
}
