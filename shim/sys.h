/* SPDX-License-Identifier: MIT */
/*
 * sys.h - the shim's own system calls, made without libc's syscall().
 *
 * The library interposes syscall() itself (shim/syscall.c), so that a
 * program's syscall(SYS_socket, ...) meets the same policy as its
 * socket().  The shim's own raw calls (a close while libc's is not looked
 * up yet, the options it sets on an upgraded socket, the log's socket, its
 * futexes) must then never go through that symbol: they would recurse into
 * the hook, maybe before the library is initialised.  shim_sys() is the
 * system call instruction itself, inline.
 *
 *   shim_sys(nr, a, b, ...)   0 to 6 arguments, each cast to long: returns
 *                             what libc's syscall(nr, a, b, ...) returns,
 *                             and sets errno as it does: a kernel result in
 *                             [-4095, -1] is -1 with errno the negated
 *                             result; any other result is returned as is,
 *                             errno untouched.  Async-signal-safe.
 *   shim_sys6(nr, a..f)       the same with all six arguments, as longs.
 *
 * SHIM_RAW_SYSCALL is 1 where the instruction is written here (x86_64 and
 * aarch64, 64-bit ABIs only); elsewhere it is 0, shim_sys() is libc's
 * syscall(), and the library must not export its syscall() hook (shim/
 * syscall.c defines none then), since its own calls would reach it.
 * Configuring with CPPFLAGS=-DSHIM_RAW_SYSCALL=0 builds that fallback on
 * any architecture.
 *
 * Also included by the test probes (as "../../shim/sys.h"), which ask the
 * kernel behind the shim's back with it.  Header only: no library object.
 */
#ifndef STACKSHIM_SHIM_SYS_H
#define STACKSHIM_SHIM_SYS_H

#include <errno.h>
#include <sys/syscall.h>
#include <unistd.h>

/* -DSHIM_RAW_SYSCALL=0 in CPPFLAGS builds the fallback anywhere. */
#ifndef SHIM_RAW_SYSCALL
#if (defined(__x86_64__) || defined(__aarch64__)) && !defined(__ILP32__)
#define SHIM_RAW_SYSCALL 1
#else
#define SHIM_RAW_SYSCALL 0
#endif
#endif

#if SHIM_RAW_SYSCALL

/*
 * The instruction, with the kernel's own result: a negative errno on
 * failure.  The registers are each ABI's (x86_64: rax, then rdi, rsi,
 * rdx, r10, r8, r9, and the instruction clobbers rcx and r11; aarch64:
 * x8, then x0-x5, the result in x0).
 */
static inline __attribute__((always_inline)) long
shim_sys_kernel(long nr, long a, long b, long c, long d, long e, long f)
{
#if defined(__x86_64__)
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	register long r9 __asm__("r9") = f;
	long ret;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8),
			   "r"(r9)
			 : "rcx", "r11", "memory");
	return ret;
#else
	register long x8 __asm__("x8") = nr;
	register long x0 __asm__("x0") = a;
	register long x1 __asm__("x1") = b;
	register long x2 __asm__("x2") = c;
	register long x3 __asm__("x3") = d;
	register long x4 __asm__("x4") = e;
	register long x5 __asm__("x5") = f;

	__asm__ volatile("svc 0"
			 : "+r"(x0)
			 : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5)
			 : "memory", "cc");
	return x0;
#endif
}

/* shim_sys6 - see the top of this file. */
static inline long shim_sys6(long nr, long a, long b, long c, long d, long e,
			     long f)
{
	unsigned long ret =
		(unsigned long)shim_sys_kernel(nr, a, b, c, d, e, f);

	/* libc's test: x86_64 cmpq $-4095 / jae, aarch64 cmn #4095 / b.cs. */
	if (ret >= (unsigned long)-4095L) {
		errno = -(int)(long)ret;
		return -1;
	}
	return (long)ret;
}

#else /* !SHIM_RAW_SYSCALL */

static inline long shim_sys6(long nr, long a, long b, long c, long d, long e,
			     long f)
{
	return syscall(nr, a, b, c, d, e, f);
}

#endif

/*
 * shim_sys(nr, ...) - shim_sys6() with the arguments given, the rest 0.
 * More than six arguments do not compile.
 */
#define SHIM_SYS_L(x) ((long)(x))
#define shim_sys_0(nr) shim_sys6(nr, 0, 0, 0, 0, 0, 0)
#define shim_sys_1(nr, a) shim_sys6(nr, SHIM_SYS_L(a), 0, 0, 0, 0, 0)
#define shim_sys_2(nr, a, b)                                                   \
	shim_sys6(nr, SHIM_SYS_L(a), SHIM_SYS_L(b), 0, 0, 0, 0)
#define shim_sys_3(nr, a, b, c)                                                \
	shim_sys6(nr, SHIM_SYS_L(a), SHIM_SYS_L(b), SHIM_SYS_L(c), 0, 0, 0)
#define shim_sys_4(nr, a, b, c, d)                                             \
	shim_sys6(nr, SHIM_SYS_L(a), SHIM_SYS_L(b), SHIM_SYS_L(c),            \
		  SHIM_SYS_L(d), 0, 0)
#define shim_sys_5(nr, a, b, c, d, e)                                          \
	shim_sys6(nr, SHIM_SYS_L(a), SHIM_SYS_L(b), SHIM_SYS_L(c),            \
		  SHIM_SYS_L(d), SHIM_SYS_L(e), 0)
#define shim_sys_6(nr, a, b, c, d, e, f)                                       \
	shim_sys6(nr, SHIM_SYS_L(a), SHIM_SYS_L(b), SHIM_SYS_L(c),            \
		  SHIM_SYS_L(d), SHIM_SYS_L(e), SHIM_SYS_L(f))
#define SHIM_SYS_PICK(nr, a, b, c, d, e, f, n, ...) shim_sys_##n
#define shim_sys(...)                                                          \
	SHIM_SYS_PICK(__VA_ARGS__, 6, 5, 4, 3, 2, 1, 0, -)(__VA_ARGS__)

#endif /* STACKSHIM_SHIM_SYS_H */
