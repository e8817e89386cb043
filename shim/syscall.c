/* SPDX-License-Identifier: MIT */
/*
 * syscall.c - the syscall() hook: libc's generic system call function,
 * routed through the shim's hooks for the calls the shim interposes.
 *
 * A dynamic program that makes its socket calls with syscall(SYS_socket,
 * ...) (as some runtimes and hand-written code do) would otherwise go
 * around the policy: an AF_INET6 socket on an ipv4 stack, a connect to a
 * denied destination, an IPv4 connect on an ipv6 stack not upgraded.  For
 * each number in sys_routes[] the hook calls the shim's own hook for that
 * call (socket(), connect(), accept4(), close(), dup3(), ...), which
 * answers as libc's wrapper does: -1 and errno, which is also what
 * syscall() answers.  Every other number is the instruction itself
 * (shim_sys()), answered exactly as libc's syscall() answers it: its
 * return value, -1 and errno for a kernel result in [-4095, -1] (ENOSYS
 * for a number the kernel lacks).
 *
 * The hooks forward to libc's wrappers, so that a routed call is a thread
 * cancellation point where the wrapper is one (connect(), accept(), ...),
 * as syscall() is not.  fcntl is the exception: it is made raw
 * (shim_fcntl_sys()), since libc's fcntl() answers F_GETOWN through
 * F_GETOWN_EX and so differs from the system call.  The calls the shim
 * does not interpose (listen, shutdown, ...) are not routed.
 *
 * Async-signal-safe, and works before initialisation: the table is
 * constant and each hook looks after itself (shim.h).  The library makes
 * its own system calls through shim_sys(), never through this symbol
 * (shim/sys.h).  Built only where shim_sys() is the instruction
 * (SHIM_RAW_SYSCALL); elsewhere the library does not export syscall() at
 * all, and a program's syscall() goes around the shim as before.
 */
#include "config.h"

#include <stdarg.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "shim.h"
#include "sys.h"

#if SHIM_RAW_SYSCALL

/* One routed call: the six arguments, as syscall() read them. */
typedef long sys_route(const long a[6]);

/* A pointer argument. */
#define ARG_PTR(x) ((void *)(x))

static long sys_socket(const long a[6])
{
	return socket((int)a[0], (int)a[1], (int)a[2]);
}

static long sys_socketpair(const long a[6])
{
	return socketpair((int)a[0], (int)a[1], (int)a[2], ARG_PTR(a[3]));
}

static long sys_bind(const long a[6])
{
	return bind((int)a[0], ARG_PTR(a[1]), (socklen_t)a[2]);
}

static long sys_connect(const long a[6])
{
	return connect((int)a[0], ARG_PTR(a[1]), (socklen_t)a[2]);
}

static long sys_accept(const long a[6])
{
	return accept((int)a[0], ARG_PTR(a[1]), ARG_PTR(a[2]));
}

static long sys_accept4(const long a[6])
{
	return accept4((int)a[0], ARG_PTR(a[1]), ARG_PTR(a[2]), (int)a[3]);
}

static long sys_sendto(const long a[6])
{
	return sendto((int)a[0], ARG_PTR(a[1]), (size_t)a[2], (int)a[3],
		      ARG_PTR(a[4]), (socklen_t)a[5]);
}

static long sys_sendmsg(const long a[6])
{
	return sendmsg((int)a[0], ARG_PTR(a[1]), (int)a[2]);
}

static long sys_sendmmsg(const long a[6])
{
	return sendmmsg((int)a[0], ARG_PTR(a[1]), (unsigned)a[2],
			(int)a[3]);
}

static long sys_recvfrom(const long a[6])
{
	return recvfrom((int)a[0], ARG_PTR(a[1]), (size_t)a[2], (int)a[3],
			ARG_PTR(a[4]), ARG_PTR(a[5]));
}

static long sys_recvmsg(const long a[6])
{
	return recvmsg((int)a[0], ARG_PTR(a[1]), (int)a[2]);
}

static long sys_recvmmsg(const long a[6])
{
	return recvmmsg((int)a[0], ARG_PTR(a[1]), (unsigned)a[2],
			(int)a[3], ARG_PTR(a[4]));
}

static long sys_getsockname(const long a[6])
{
	return getsockname((int)a[0], ARG_PTR(a[1]), ARG_PTR(a[2]));
}

static long sys_getpeername(const long a[6])
{
	return getpeername((int)a[0], ARG_PTR(a[1]), ARG_PTR(a[2]));
}

static long sys_getsockopt(const long a[6])
{
	return getsockopt((int)a[0], (int)a[1], (int)a[2], ARG_PTR(a[3]),
			  ARG_PTR(a[4]));
}

static long sys_setsockopt(const long a[6])
{
	return setsockopt((int)a[0], (int)a[1], (int)a[2], ARG_PTR(a[3]),
			  (socklen_t)a[4]);
}

static long sys_close(const long a[6])
{
	return close((int)a[0]);
}

#ifdef SYS_close_range
static long sys_close_range(const long a[6])
{
	return close_range((unsigned)a[0], (unsigned)a[1], (int)a[2]);
}
#endif

static long sys_dup(const long a[6])
{
	return dup((int)a[0]);
}

#ifdef SYS_dup2
static long sys_dup2(const long a[6])
{
	return dup2((int)a[0], (int)a[1]);
}
#endif

static long sys_dup3(const long a[6])
{
	return dup3((int)a[0], (int)a[1], (int)a[2]);
}

static long sys_fcntl(const long a[6])
{
	return shim_fcntl_sys((int)a[0], (int)a[1], ARG_PTR(a[2]));
}

/*
 * The routed system calls, indexed by number; NULL: the instruction
 * itself.  Every hook of shim.map that is a system call of its own has
 * its row (closefrom() and fclose() are none; fcntl64 is fcntl on these
 * architectures; aarch64 has no dup2).
 */
static sys_route *const sys_routes[] = {
	[SYS_socket] = sys_socket,
	[SYS_socketpair] = sys_socketpair,
	[SYS_bind] = sys_bind,
	[SYS_connect] = sys_connect,
	[SYS_accept] = sys_accept,
	[SYS_accept4] = sys_accept4,
	[SYS_sendto] = sys_sendto,
	[SYS_sendmsg] = sys_sendmsg,
	[SYS_sendmmsg] = sys_sendmmsg,
	[SYS_recvfrom] = sys_recvfrom,
	[SYS_recvmsg] = sys_recvmsg,
	[SYS_recvmmsg] = sys_recvmmsg,
	[SYS_getsockname] = sys_getsockname,
	[SYS_getpeername] = sys_getpeername,
	[SYS_getsockopt] = sys_getsockopt,
	[SYS_setsockopt] = sys_setsockopt,
	[SYS_close] = sys_close,
#ifdef SYS_close_range
	[SYS_close_range] = sys_close_range,
#endif
	[SYS_dup] = sys_dup,
#ifdef SYS_dup2
	[SYS_dup2] = sys_dup2,
#endif
	[SYS_dup3] = sys_dup3,
	[SYS_fcntl] = sys_fcntl,
};

#define SYS_ROUTES (sizeof(sys_routes) / sizeof(sys_routes[0]))

/*
 * syscall - the interposed syscall(2).  Reads six arguments whatever the
 * number, as libc's does (those the call has no use for are whatever the
 * caller's registers and stack held).  A routed number returns what the
 * shim's hook for that call returns, as a long, with its errno; any other
 * returns what libc's syscall() returns, errno as it sets it.
 */
SHIM_EXPORT long syscall(long number, ...)
{
	long a[6];
	va_list ap;
	int i;

	va_start(ap, number);
	for (i = 0; i < 6; i++)
		a[i] = va_arg(ap, long);
	va_end(ap);
	if ((unsigned long)number < SYS_ROUTES && sys_routes[number])
		return sys_routes[number](a);
	return shim_sys6(number, a[0], a[1], a[2], a[3], a[4], a[5]);
}

#endif /* SHIM_RAW_SYSCALL */
