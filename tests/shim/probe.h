/* SPDX-License-Identifier: MIT */
/*
 * probe.h - what the probes under tests/shim/ share: die() and the names
 * of errno, EAI_* and h_errno values, so that each prints them the same way.
 *
 * Included by a probe after _GNU_SOURCE and its system headers, as
 * #include "probe.h" (the probe's own directory is searched first, however
 * the test compiles it).  Everything here is static inline: a probe that
 * uses one of them does not carry, or get warned about, the other.
 */
#ifndef STACKSHIM_TESTS_PROBE_H
#define STACKSHIM_TESTS_PROBE_H

#include <err.h>
#include <netdb.h>
#include <string.h>

/*
 * The name of the errno value err as glibc spells it (strerrorname_np():
 * "EACCES", "0" for 0), or "E?" for a value glibc has no name for.  Safe
 * in any thread and in a signal handler: no buffer of its own.
 */
static inline const char *errno_name(int err)
{
	const char *name = strerrorname_np(err);

	return name ? name : "E?";
}

/* A value and its name as the headers spell it, in probe_name_of()'s tables. */
struct probe_name {
	int value;
	const char *name;
};

#define PROBE_NAME(x) {x, #x}

/*
 * The name of value in the n entries of t, or else its decimal digits,
 * written at the end of buf (12 bytes: "-2147483648" and its NUL) without
 * stdio, so that a signal handler may call it too.  An unknown value keeps
 * its number: two runs that differ in one still differ in their output.
 */
static inline const char *probe_name_of(const struct probe_name *t, size_t n,
					int value, char buf[12])
{
	unsigned int u = value < 0 ? -(unsigned int)value : (unsigned int)value;
	char *p = buf + 11;
	size_t i;

	for (i = 0; i < n; i++)
		if (t[i].value == value)
			return t[i].name;
	*p = '\0';
	do
		*--p = (char)('0' + u % 10);
	while (u /= 10);
	if (value < 0)
		*--p = '-';
	return p;
}

/*
 * The name of a getaddrinfo()-family return value rc: "0", "EAI_NONAME",
 * ..., or its number ("-200") for one glibc has no name for.  A number is
 * kept in the calling thread's buffer until its next eai_name().
 */
static inline const char *eai_name(int rc)
{
	static const struct probe_name names[] = {
		{0, "0"}, PROBE_NAME(EAI_BADFLAGS), PROBE_NAME(EAI_NONAME),
		PROBE_NAME(EAI_AGAIN), PROBE_NAME(EAI_FAIL),
		PROBE_NAME(EAI_FAMILY), PROBE_NAME(EAI_SOCKTYPE),
		PROBE_NAME(EAI_SERVICE), PROBE_NAME(EAI_MEMORY),
		PROBE_NAME(EAI_SYSTEM), PROBE_NAME(EAI_OVERFLOW),
		PROBE_NAME(EAI_NODATA), PROBE_NAME(EAI_ADDRFAMILY),
		PROBE_NAME(EAI_INPROGRESS), PROBE_NAME(EAI_CANCELED),
		PROBE_NAME(EAI_NOTCANCELED), PROBE_NAME(EAI_ALLDONE),
		PROBE_NAME(EAI_INTR), PROBE_NAME(EAI_IDN_ENCODE),
	};
	static __thread char buf[12];

	return probe_name_of(names, sizeof(names) / sizeof(names[0]), rc, buf);
}

/*
 * The name of an h_errno value: "0", "HOST_NOT_FOUND", "TRY_AGAIN",
 * "NO_RECOVERY", "NO_DATA", "NETDB_INTERNAL", or its number for any
 * other, kept in the calling thread's buffer until its next herr_name().
 */
static inline const char *herr_name(int herr)
{
	static const struct probe_name names[] = {
		{0, "0"}, PROBE_NAME(HOST_NOT_FOUND), PROBE_NAME(TRY_AGAIN),
		PROBE_NAME(NO_RECOVERY), PROBE_NAME(NO_DATA),
		PROBE_NAME(NETDB_INTERNAL),
	};
	static __thread char buf[12];

	return probe_name_of(names, sizeof(names) / sizeof(names[0]), herr, buf);
}

/*
 * The probe cannot go on: "PROGRAM: WHAT: strerror(errno)" on stderr
 * (err(3), PROGRAM the name the probe was run by), exit status 2, which
 * the tests take for a failure of the probe, not of the library.
 */
__attribute__((noreturn)) static inline void die(const char *what)
{
	err(2, "%s", what);
}

#endif
