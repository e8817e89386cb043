/* SPDX-License-Identifier: MIT */
/*
 * shim_env.h - what the library around the shim's translators is in the
 * fuzz targets of shim/ code (fuzz/shim_env.c): its process-wide state made
 * new for each input, and a resolver that answers from the input.
 */
#ifndef STACKSHIM_FUZZ_SHIM_ENV_H
#define STACKSHIM_FUZZ_SHIM_ENV_H

#include <stdbool.h>
#include <netdb.h>

#include "policy.h"

struct fuzz_env {
	const struct policy *policy;	/* shim_policy() */
	bool logging;			/* shim_logging() */
	/*
	 * The fake real_getaddrinfo(): the call whose node and service are
	 * these very pointers is the program's own, answered with a copy
	 * of list (or rc, errno err); a call without a node is an
	 * AI_ADDRCONFIG probe, answered when host_fams has its family; an
	 * AI_NUMERICHOST call is answered for what inet_pton() reads, and
	 * with EAI_NONAME for any other node, as glibc does; any other
	 * call is for the local-address name, which has local_fams.
	 */
	const char *node;
	const char *service;
	const struct addrinfo *list;
	int rc, err;
	unsigned host_fams;
	unsigned local_fams;
};

extern struct fuzz_env fuzz_env;

/*
 * fuzz_env_reset - forget every process-wide table of the library (the
 * peer-pool, the names resolved, the resolved local-address), and make
 * policy the one the hooks apply.
 */
void fuzz_env_reset(const struct policy *policy);

/*
 * fuzz_ai_new - an addrinfo entry in glibc's layout: the entry and addrlen
 * bytes of address in one malloc() block, exactly that long, so that a
 * read past addrlen is an ASan error; ai_addr NULL when addr is NULL.
 * canonname (may be NULL) is copied into a block of its own.
 */
struct addrinfo *fuzz_ai_new(int family, int socktype, int protocol,
			     const void *addr, socklen_t addrlen,
			     const char *canonname);

/* fuzz_list_copy - a copy of list, entry by entry, as fuzz_ai_new() makes. */
struct addrinfo *fuzz_list_copy(const struct addrinfo *list);

/* fuzz_list_free - free a list fuzz_ai_new() made, as glibc would. */
void fuzz_list_free(struct addrinfo *list);

#endif /* STACKSHIM_FUZZ_SHIM_ENV_H */
