/* SPDX-License-Identifier: MIT */
/*
 * pool-hold.c - take the writer lock of a peer-pool file the way the
 * library does (the robust, process-shared mutex at the start of the
 * header's lock area, policy/pool-layout.h), for tests/shim/pool-shared.sh
 * to see what a holder's death does.
 *
 *   pool-hold FILE        lock it, print "held", and wait to be killed
 *   pool-hold --try FILE  try it once and print "busy" (held by another),
 *                         "owner-dead" (its holder died: taken, and kept
 *                         by exiting, so that the next one finds the same)
 *                         or "free" (taken, and let go)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "probe.h"

/* The lock area's offset in the header (pool-layout.h). */
#define LOCK_OFFSET 128

static pthread_mutex_t *map_lock(const char *file)
{
	struct stat st;
	void *base;
	int fd = open(file, O_RDWR | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st) < 0) {
		perror(file);
		return NULL;
	}
	base = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE,
		    MAP_SHARED, fd, 0);
	close(fd);
	if (base == MAP_FAILED) {
		perror("mmap");
		return NULL;
	}
	return (pthread_mutex_t *)((char *)base + LOCK_OFFSET);
}

int main(int argc, char **argv)
{
	bool try = argc == 3 && !strcmp(argv[1], "--try");
	pthread_mutex_t *m;
	int err;

	if (argc != 2 && !try) {
		fprintf(stderr, "usage: pool-hold [--try] FILE\n");
		return 2;
	}
	m = map_lock(argv[argc - 1]);
	if (!m)
		return 1;
	if (!try) {
		err = pthread_mutex_lock(m);
		printf("%s\n", err ? errno_name(err) : "held");
		fflush(stdout);
		for (;;)
			pause();
	}
	err = pthread_mutex_trylock(m);
	printf("%s\n", err == EBUSY ? "busy" : err == EOWNERDEAD ? "owner-dead" :
		       err ? errno_name(err) : "free");
	if (!err)
		pthread_mutex_unlock(m);
	return 0;
}
