/* SPDX-License-Identifier: MIT */
/*
 * outcome.h - what each outcome of the table means at each call: SPEC §2's
 * table, written once, as shim/outcome.c's outcome_meanings[].  route.c,
 * gai_rewrite.c, gethostbyname.c and bind.c read their columns of it; no
 * other file says what an outcome does.  Private to shim/.
 */
#ifndef STACKSHIM_OUTCOME_H
#define STACKSHIM_OUTCOME_H

#include <stdbool.h>
#include <sys/socket.h>

#include "policy.h"

#pragma GCC visibility push(hidden)

/* The family a program asked a resolver for, as a column of the table:
 * AF_INET, AF_INET6, and anything else (AF_UNSPEC). */
enum outcome_asked {
	ASKED_INET,
	ASKED_INET6,
	ASKED_UNSPEC,
	ASKED_COUNT
};

/* outcome_asked - the column of family. */
static inline enum outcome_asked outcome_asked(int family)
{
	return family == AF_INET    ? ASKED_INET
	       : family == AF_INET6 ? ASKED_INET6
				    : ASKED_UNSPEC;
}

/* How getaddrinfo() hands out an entry it keeps (gai_convert()). */
enum gai_how {
	HOW_FAIL,		/* no entry: the call fails */
	HOW_COPY,		/* as it is */
	HOW_IPV4,		/* as AF_INET */
	HOW_NATIVE,		/* as libc made it: IPv6 as it is, IPv4 too but
				 * as AF_INET where the shim asked it mapped
				 * or AF_INET6 sockets do not exist */
	HOW_MAPPED,		/* AF_INET6 as it is, IPv4 as ::ffff:a.b.c.d */
	HOW_TRANSLATED,		/* at the translated address */
	HOW_POOLED,		/* at its peer-pool address */
};

/* What getaddrinfo() hands out: the class of the answers kept (FAM_*),
 * and how each is written. */
struct gai_action {
	unsigned from;
	enum gai_how how;
};

/* What gethostbyname*() answers. */
enum he_verdict {
	HE_REAL,	/* libc answers the family asked */
	HE_TRANSLATED,	/* A records, as AAAA at their translated address */
	HE_POOLED,	/* AAAA records, as A at their peer-pool address */
	HE_FAIL_HOST,	/* the outcome's failure (herr, he_err) */
	HE_FAIL_LOCAL,
	HE_FAIL_CLOSED,	/* no policy could be loaded */
	HE_FAIL_MEMORY,	/* the answers could not be remembered (names.c) */
};

/* One outcome at each call (SPEC §2). */
struct outcome_meaning {
	/* connect(), sendto(), sendmsg(), sendmmsg() (route.c); bind()
	 * takes err of fail-local. */
	bool map;		/* rewrite the IPv4 target to its translation */
	int err;		/* refuse with this errno; 0: go on */
	unsigned bind_fam;	/* the local-address member it leaves by */
	/* getaddrinfo() (gai_rewrite.c), by the family asked; when nothing
	 * is handed out, eai for a name, eai_literal for a literal or no
	 * node, with errno err when that is EAI_SYSTEM. */
	struct gai_action gai[ASKED_COUNT];
	int eai;
	int eai_literal;
	/* gethostbyname*() (gethostbyname.c), by the family asked; a
	 * failure is h_errno herr, and he_err (0: errno left alone), which
	 * the _r functions return. */
	enum he_verdict he[ASKED_COUNT];
	int herr;
	int he_err;
};

/* outcome_meanings - SPEC §2, a row per outcome (shim/outcome.c). */
extern const struct outcome_meaning outcome_meanings[OUTCOME_COUNT];

/* outcome_gai - what getaddrinfo() hands out under outcome, asked for
 * family. */
static inline const struct gai_action *outcome_gai(enum policy_outcome outcome,
						   int family)
{
	return &outcome_meanings[outcome].gai[outcome_asked(family)];
}

#pragma GCC visibility pop

#endif /* STACKSHIM_OUTCOME_H */
