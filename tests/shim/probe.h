/*
 * probe.h - what the probes under tests/shim/ share: die() and the names
 * of errno values, so that each prints them the same way.
 *
 * Included by a probe after _GNU_SOURCE and its system headers, as
 * #include "probe.h" (the probe's own directory is searched first, however
 * the test compiles it).  Everything here is static inline: a probe that
 * uses one of them does not carry, or get warned about, the other.
 */
#ifndef STACKSHIM_TESTS_PROBE_H
#define STACKSHIM_TESTS_PROBE_H

#include <err.h>
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
