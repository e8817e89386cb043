/* SPDX-License-Identifier: MIT */
/*
 * outcome.c - SPEC §2's table: what each outcome means at each call.
 *
 * getaddrinfo(): an IPv4 host asked as AF_INET6 is handed out mapped
 * (the shim asks libc with AI_V4MAPPED only where the program did); an
 * IPv6 host asked as AF_INET at its peer-pool address; a map outcome asked
 * as AF_INET as the IPv4 address, for the program's AF_INET socket is
 * upgraded underneath.  gethostbyname*(): an IPv4 host asked as AF_INET6
 * is libc's answer (none, unless it is a mapped literal); an IPv6 host
 * asked as AF_INET gets peer-pool addresses where resolve_pools() says
 * so.  Nothing else reaches gethostbyname*()'s AF_UNSPEC column.
 */
#include "config.h"

#include <errno.h>
#include <netdb.h>

#include "outcome.h"
#include "policy.h"

/* The getaddrinfo() columns of an outcome that hands nothing out. */
#define GAI_NONE                                                               \
	{                                                                      \
		[ASKED_INET] = {FAM_NONE, HOW_FAIL},                           \
		[ASKED_INET6] = {FAM_NONE, HOW_FAIL},                          \
		[ASKED_UNSPEC] = {FAM_NONE, HOW_FAIL},                         \
	}

/* outcome_meanings - see outcome.h.  A row per outcome, a line per call
 * (clang-format would give each field a line of its own). */
/* clang-format off */
const struct outcome_meaning outcome_meanings[OUTCOME_COUNT] = {
	[OUTCOME_IPV4] = {
		.map = false, .err = 0, .bind_fam = FAM_IPV4,
		.gai = {
			[ASKED_INET] = {FAM_IPV4, HOW_IPV4},
			[ASKED_INET6] = {FAM_IPV4, HOW_MAPPED},
			[ASKED_UNSPEC] = {FAM_IPV4, HOW_NATIVE},
		},
		.eai = EAI_NONAME, .eai_literal = EAI_ADDRFAMILY,
		.he = {HE_REAL, HE_REAL, HE_REAL},
		.herr = HOST_NOT_FOUND, .he_err = 0,
	},
	[OUTCOME_IPV6] = {
		.map = false, .err = 0, .bind_fam = FAM_IPV6,
		.gai = {
			[ASKED_INET] = {FAM_IPV6, HOW_POOLED},
			[ASKED_INET6] = {FAM_IPV6, HOW_COPY},
			[ASKED_UNSPEC] = {FAM_IPV6, HOW_COPY},
		},
		.eai = EAI_NONAME, .eai_literal = EAI_ADDRFAMILY,
		.he = {HE_POOLED, HE_REAL, HE_FAIL_HOST},
		.herr = HOST_NOT_FOUND, .he_err = 0,
	},
	[OUTCOME_MAP] = {
		.map = true, .err = 0, .bind_fam = FAM_IPV6,
		.gai = {
			[ASKED_INET] = {FAM_IPV4, HOW_IPV4},
			[ASKED_INET6] = {FAM_IPV4, HOW_TRANSLATED},
			[ASKED_UNSPEC] = {FAM_IPV4, HOW_TRANSLATED},
		},
		.eai = EAI_NONAME, .eai_literal = EAI_ADDRFAMILY,
		.he = {HE_REAL, HE_TRANSLATED, HE_FAIL_HOST},
		.herr = HOST_NOT_FOUND, .he_err = 0,
	},
	[OUTCOME_FAIL_HOST] = {
		.map = false, .err = ENETUNREACH, .bind_fam = FAM_NONE,
		.gai = GAI_NONE,
		.eai = EAI_NONAME, .eai_literal = EAI_ADDRFAMILY,
		.he = {HE_FAIL_HOST, HE_FAIL_HOST, HE_FAIL_HOST},
		.herr = HOST_NOT_FOUND, .he_err = 0,
	},
	[OUTCOME_FAIL_LOCAL] = {
		.map = false, .err = EADDRNOTAVAIL, .bind_fam = FAM_NONE,
		.gai = GAI_NONE,
		.eai = EAI_SYSTEM, .eai_literal = EAI_SYSTEM,
		.he = {HE_FAIL_LOCAL, HE_FAIL_LOCAL, HE_FAIL_LOCAL},
		.herr = NO_RECOVERY, .he_err = EADDRNOTAVAIL,
	},
	[OUTCOME_DENY] = {
		.map = false, .err = EACCES, .bind_fam = FAM_NONE,
		.gai = GAI_NONE,
		.eai = EAI_NONAME, .eai_literal = EAI_NONAME,
		.he = {HE_FAIL_HOST, HE_FAIL_HOST, HE_FAIL_HOST},
		.herr = HOST_NOT_FOUND, .he_err = 0,
	},
};
/* clang-format on */
