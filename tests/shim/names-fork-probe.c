/* SPDX-License-Identifier: MIT */
/*
 * names-fork-probe.c - children of _Fork() made while another thread is
 * inside the library's name memory (shim/names.c), holding its lock
 * (shim/lock.c): run by tests/shim/names-fork.sh with the library
 * preloaded, names of many addresses in the test's hosts file, and a rule
 * "deny = NAME 9" for each.
 *
 * _Fork() runs no pthread_atfork() handler: the child has a copy of the
 * lock held by a thread it does not have, and of the table as that thread
 * left it, perhaps half changed.  The child takes the lock over and must
 * still find every address it knew: it connects a UDP socket to each,
 * port 9, and each must be refused (EACCES) by its name's rule.  A child
 * exits 0 when all were, 1 when one was not (the rule did not follow the
 * address: failing open), 2 when a socket could not be made; it crashes
 * or hangs when the table it read was broken (a child still there after
 * 10 s is killed and counted a hang).
 *
 *   names-fork-probe busy NAME SECONDS
 *	The main thread resolves NAME and keeps its addresses; 4 threads
 *	resolve it again and again (each answer replaces the name of every
 *	address in place, freeing the old one), while the main thread makes
 *	children for SECONDS.  Prints addresses, forks, wrong, crashed,
 *	hangs.
 *
 *   names-fork-probe stall KNOWN LATER MANY
 *	Under names-stall.so (tests/shim/names-stall.c).  The main thread
 *	resolves KNOWN; a thread resolves MANY, whose addresses make the
 *	table grow, and is stopped for good inside uthash's bucket
 *	expansion (every entry moved, the old buckets being freed), with
 *	the lock.  One child is made then: it checks KNOWN's addresses,
 *	resolves LATER (the table made again, shim/names.c's
 *	names_reindex()) and checks KNOWN's and LATER's.  Prints stalled
 *	and child (its exit status, or "crashed", "hung").
 *
 *   names-fork-probe vm KNOWN MANY
 *	The same stop, then a child that shares the parent's memory
 *	(clone(CLONE_VM | CLONE_VFORK), as vfork() and posix_spawn() make
 *	one) checks KNOWN's addresses.  Its parent's thread holds the lock
 *	and is alive: the child must wait for it, not take the lock over
 *	(shim/lock.c).  A helper thread lets the stopped thread go on once
 *	the child waits (all its signals blocked, /proc/PID/status) or has
 *	ended.  Prints stalled, waited, child.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../../shim/sys.h"

#define MAX_ADDRS 4096

/* A name's addresses, as the program gets them (port 9). */
struct addrs {
	struct sockaddr_storage ss[MAX_ADDRS];
	socklen_t len[MAX_ADDRS];
	int n;
};

static struct addrs known, later;
static const char *busy_name;
static atomic_int stop;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* name's addresses into a (when not NULL); -1 when it does not resolve. */
static int resolve(const char *name, struct addrs *a)
{
	struct addrinfo hints = {.ai_family = AF_UNSPEC,
				 .ai_socktype = SOCK_DGRAM}, *res, *ai;

	if (getaddrinfo(name, "9", &hints, &res) != 0)
		return -1;
	for (ai = res; a && ai && a->n < MAX_ADDRS; ai = ai->ai_next) {
		memcpy(&a->ss[a->n], ai->ai_addr, ai->ai_addrlen);
		a->len[a->n++] = ai->ai_addrlen;
	}
	freeaddrinfo(res);
	return 0;
}

/* 0 when every address of a is refused; else the child's exit status. */
static int refused(const struct addrs *a)
{
	int i, s, rc, err;

	for (i = 0; i < a->n; i++) {
		s = socket(a->ss[i].ss_family, SOCK_DGRAM, 0);
		if (s < 0)
			return 2;
		rc = connect(s, (const struct sockaddr *)&a->ss[i], a->len[i]);
		err = errno;
		close(s);
		if (rc == 0 || err != EACCES)
			return 1;
	}
	return 0;
}

/* Whether child pid ends within 10 s; killed when it does not. */
static int child_ends(pid_t pid, int *status)
{
	struct timespec tick = {0, 1000000};
	double end = now() + 10;

	while (now() < end) {
		if (waitpid(pid, status, WNOHANG) == pid)
			return 1;
		nanosleep(&tick, NULL);
	}
	kill(pid, SIGKILL);
	waitpid(pid, status, 0);
	return 0;
}

/* A resolver thread of busy: the name memory, busy. */
static void *resolver(void *arg)
{
	(void)arg;
	while (!atomic_load(&stop))
		resolve(busy_name, NULL);
	return NULL;
}

static int run_busy(const char *name, double seconds)
{
	long forks = 0, wrong = 0, crashed = 0, hangs = 0;
	double end = now() + seconds;
	pthread_t t[4];
	int i, status;
	pid_t pid;

	busy_name = name;
	if (resolve(name, &known) < 0 || !known.n)
		return 99;
	for (i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, resolver, NULL);
	while (now() < end) {
		pid = _Fork();
		if (pid == 0)
			_exit(refused(&known));
		if (pid < 0)
			break;
		forks++;
		if (!child_ends(pid, &status))
			hangs++;
		else if (WIFSIGNALED(status))
			crashed++;
		else if (WEXITSTATUS(status) != 0)
			wrong++;
	}
	atomic_store(&stop, 1);
	for (i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	printf("addresses=%d\nforks=%ld\nwrong=%ld\ncrashed=%ld\nhangs=%ld\n",
	       known.n, forks, wrong, crashed, hangs);
	return 0;
}

/* The thread of stall: resolves MANY, and is stopped inside. */
static void *grower(void *name)
{
	resolve(name, NULL);
	return NULL;
}

/* A stall child: KNOWN's addresses, then LATER's, resolved here. */
static void stall_child(const char *later_name)
{
	int rc = refused(&known);

	if (rc)
		_exit(10 + rc);
	if (resolve(later_name, &later) < 0 || !later.n)
		_exit(30);
	rc = refused(&known);
	if (!rc)
		rc = refused(&later);
	_exit(rc ? 20 + rc : 0);
}

/* What a stall child's status says. */
static void stall_report(pid_t pid)
{
	int status;

	if (!child_ends(pid, &status))
		printf("child=hung\n");
	else if (WIFSIGNALED(status))
		printf("child=crashed\n");
	else
		printf("child=%d\n", WEXITSTATUS(status));
}

static int run_stall(const char *known_name, const char *later_name,
		     const char *many_name)
{
	void (*arm)(void) = (void (*)(void))dlsym(RTLD_DEFAULT,
						   "names_stall_arm");
	int (*stalled)(void) = (int (*)(void))dlsym(RTLD_DEFAULT,
						     "names_stall_stalled");
	struct timespec tick = {0, 1000000};
	double end = now() + 10;
	pthread_t t;
	pid_t pid;

	if (!arm || !stalled || resolve(known_name, &known) < 0 || !known.n)
		return 99;
	arm();
	pthread_create(&t, NULL, grower, (void *)many_name);
	while (!stalled() && now() < end)
		nanosleep(&tick, NULL);
	printf("stalled=%d\n", stalled());
	if (stalled()) {
		pid = _Fork();
		if (pid == 0)
			stall_child(later_name);
		if (pid > 0)
			stall_report(pid);
	}
	fflush(stdout);
	/* The grower holds the lock for good: no hooked call from here. */
	_exit(0);
}

/* The vm child's pid, set by the child itself (shared memory). */
static atomic_int vm_pid;

static int vm_child(void *arg)
{
	(void)arg;
	atomic_store(&vm_pid, (int)shim_sys(SYS_getpid));
	_exit(refused(&known));
}

/*
 * Whether process pid has SIGUSR1 blocked (/proc/PID/status SigBlk):
 * inside shim/lock.c's lock, or waiting for it; -1 once it is gone.
 */
static int vm_blocked(int pid)
{
	char path[64], line[256];
	unsigned long long mask;
	int blocked = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "SigBlk: %llx", &mask) == 1)
			blocked = !!(mask & (1ull << (SIGUSR1 - 1)));
	fclose(f);
	return blocked;
}

static atomic_int vm_waited;

/* The helper of vm: lets the stopped thread go once the child waits. */
static void *vm_releaser(void *arg)
{
	void (*release)(void) = (void (*)(void))arg;
	struct timespec tick = {0, 1000000};
	double end = now() + 10;
	int b = 0;

	while (now() < end) {
		if (atomic_load(&vm_pid) &&
		    (b = vm_blocked(atomic_load(&vm_pid))) != 0)
			break;
		nanosleep(&tick, NULL);
	}
	atomic_store(&vm_waited, b == 1);
	release();
	return NULL;
}

static int run_vm(const char *known_name, const char *many_name)
{
	void (*arm)(void) = (void (*)(void))dlsym(RTLD_DEFAULT,
						   "names_stall_arm");
	int (*stalled)(void) = (int (*)(void))dlsym(RTLD_DEFAULT,
						     "names_stall_stalled");
	void *release = dlsym(RTLD_DEFAULT, "names_stall_release");
	static char stack[256 * 1024] __attribute__((aligned(16)));
	struct timespec tick = {0, 1000000};
	double end = now() + 10;
	pthread_t t, r;
	pid_t pid;

	if (!arm || !stalled || !release || resolve(known_name, &known) < 0 ||
	    !known.n)
		return 99;
	arm();
	pthread_create(&t, NULL, grower, (void *)many_name);
	while (!stalled() && now() < end)
		nanosleep(&tick, NULL);
	printf("stalled=%d\n", stalled());
	if (!stalled())
		return 0;
	pthread_create(&r, NULL, vm_releaser, release);
	/* This thread waits until the child has ended (CLONE_VFORK). */
	pid = clone(vm_child, stack + sizeof(stack),
		    CLONE_VM | CLONE_VFORK | SIGCHLD, NULL);
	if (pid < 0)
		return 99;
	pthread_join(r, NULL);
	pthread_join(t, NULL);
	printf("waited=%d\n", atomic_load(&vm_waited));
	stall_report(pid);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "busy"))
		return run_busy(argv[2], atof(argv[3]));
	if (argc == 5 && !strcmp(argv[1], "stall"))
		return run_stall(argv[2], argv[3], argv[4]);
	if (argc == 4 && !strcmp(argv[1], "vm"))
		return run_vm(argv[2], argv[3]);
	fprintf(stderr, "usage: names-fork-probe busy NAME SECONDS | "
			"stall KNOWN LATER MANY | vm KNOWN MANY\n");
	return 99;
}
