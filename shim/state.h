/* SPDX-License-Identifier: MIT */
/*
 * state.h - making the process-wide state of shim/ new again.
 *
 * Every object of the library that lives for the process, its owner and
 * its lifetime are listed once, in HACKING.md ("Process-wide state").
 * Most are set once and read for ever after and need no way back.  The
 * four modules below, which the fuzz targets link, hold state that
 * depends on the policy or on what the program did, and have one entry
 * point each that makes theirs as it was at load:
 *
 *   pool_forget()      shim/pool.c    the peer-pool opened (or refused)
 *   local_forget()     shim/local.c   the local-address, resolved once
 *   names_forget()     shim/names.c   which name each address came from
 *   gai_fast_forget()  shim/getaddrinfo.c (declared in gai.h)
 *
 * The product calls none of them: its policy is read once and never
 * replaced, and a fork child keeps its parent's names, pool and
 * local-address on purpose (each module's comment says how it stays
 * whole across fork()).  They are for a caller that runs many policies in
 * one process, one after another: the fuzz harness (fuzz/shim_env.c),
 * between two inputs.  None of them is async-signal-safe, and none may
 * run while another thread, or a signal handler, may be in the module:
 * the caller is single-threaded and between calls.  The hooks' paths do
 * not change for their sake: each only writes the module's statics back.
 */
#ifndef STACKSHIM_SHIM_STATE_H
#define STACKSHIM_SHIM_STATE_H

#pragma GCC visibility push(hidden)

/*
 * pool_forget - forget the peer-pool: the next use opens it again (by
 * poolfile_open()), and a refusal is said again.  The region it had is
 * not unmapped: whoever mapped it (the fuzz harness's poolfile_open())
 * unmaps it, after this call.  Single-threaded callers only, see above.
 */
void pool_forget(void);

/*
 * local_forget - forget the resolved local-address: the next use resolves
 * it again, under the policy it is then given, and the round-robin port
 * search starts at the first port again.  Single-threaded callers only.
 */
void local_forget(void);

/*
 * names_forget - forget every name remembered (every entry freed, the
 * index emptied): the next connect() follows the address rules until a
 * resolution remembers a name again.  Single-threaded callers only; the
 * lock (shim/lock.c) is not taken, and must not be held.
 */
void names_forget(void);

#pragma GCC visibility pop

#endif /* STACKSHIM_SHIM_STATE_H */
