/* SPDX-License-Identifier: MIT */
/*
 * log.c - the decision log (SPEC §3, log): one line per event, where the
 * policy's log setting says.
 *
 * A line is key=value fields separated by one space, in this order, each
 * left out when the event does not set it:
 *
 *	time=2024-05-01T12:34:56.789Z pid=42 program=nc call=accept
 *	family=inet dest=[2001:db8::2]:5000 name=example.org
 *	local=0.0.0.0:80 stack=ipv6 cell=ipv6/ipv4/none outcome=map
 *	rule=/etc/stackshim.conf:7 translated=198.18.0.1:5000
 *	error=EACCES reason=peer-pool dropped=3 audit=yes
 *
 * time is UTC with milliseconds; program is the executable's base name;
 * family the program's socket family (inet, inet6, or its number); dest,
 * local and translated are a.b.c.d or [v6] with :port when the port is
 * not 0 (an IPv6 scope as %N); stack is the policy's; outcome is there
 * when the event carries a decision (outcome >= 0), cell (the table's
 * STACK/HOST/LOCAL) when that decision had a host class too, or
 * STACK/-/LOCAL for one of the local side alone; rule is the
 * FILE:LINE of the destination rule that decided; error the errno (or
 * EAI_*, h_errno) name the call fails with, or would in audit mode;
 * dropped says how many lines this process could not write so far, when
 * any; audit=yes, last, marks a decision of audit mode (enforce = no),
 * which was logged and not carried out.  A value
 * holding a space, a control character, a quote, a backslash or a byte
 * outside ASCII has that byte written as \xNN, so that one event is
 * always one line.  The values of unbounded length (name, rule's file,
 * program) are cut at LOG_NAME_MAX bytes as written, marked with "..."
 * and the value's whole length in bytes, as in
 * name=aaaa.aaaa...(4000), so that the decision's fields after them are
 * always there; a line longer than LOG_LINE_MAX (which the caps keep it
 * under) would be cut short, its newline kept.
 *
 * log-format = json writes the same fields as one JSON object a line, in
 * the same order: {"time":"...","pid":42,...,"audit":true}; pid and
 * dropped are numbers, audit is true, every other value a string holding
 * what the text form would hold unescaped: JSON's own escapes for '"',
 * '\\' and control characters, UTF-8 as it is, and a byte that is not
 * UTF-8 as \udcNN (Python's surrogateescape: os.fsencode() gives the byte
 * back).
 *
 * Where it goes (policy_log()): stderr, one write(2) per line, never
 * through stdio, whose buffers are the program's; a file, opened with
 * O_APPEND (mode 0600: the log names the process's peers); syslog, as
 * facility user, level notice, with RFC 3164's head ("<13>Dec  8 00:25:44
 * stackshim[42]: ", the time in UTC), sent straight to /dev/log over a
 * datagram socket of the library's own with MSG_DONTWAIT, not through
 * syslog(3), which may block on a full log socket and allocates.
 * shim/logsink.c keeps the file or socket, opened again when the program
 * has closed it, and never writes into a file of the program's.
 *
 * Never blocking and never retrying, a line that cannot be written whole
 * at once (a full disk, a full pipe, a log socket nobody reads, a log that
 * cannot be opened) is dropped and counted.  A line is formatted on the
 * stack, without malloc() or a lock, and errno is the same on return as
 * on entry: everything here is async-signal-safe.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "policy.h"
#include "shim.h"
#include "sockaddr.h"

#define LOG_LINE_MAX 2048
/* The most a name, a rule's file or the program's name takes of a line,
 * as written (escapes counted): three of them and every bounded field
 * stay under LOG_LINE_MAX. */
#define LOG_NAME_MAX 384
/* <PRI> for LOG_USER | LOG_NOTICE, and the tag; RFC 3164 §4.1. */
#define LOG_SYSLOG_PRI "<13>"
#define LOG_SYSLOG_TAG "stackshim"
/* The most log_syslog_head() writes: <13>Mmm dd hh:mm:ss TAG[PID]: */
#define LOG_SYSLOG_HEAD_MAX 64

/* A line being formatted: at most cap bytes, the newline not counted. */
struct log_buf {
	char *p;
	size_t len;
	size_t cap;
	bool json;		/* log-format = json */
};

/* log_program_state: whether log_program is known yet. */
enum {
	LOG_PROGRAM_UNKNOWN,
	LOG_PROGRAM_FINDING,
	LOG_PROGRAM_FOUND,
};

static atomic_int log_program_state;
static char log_exe[PATH_MAX];
static const char *log_program;
static atomic_ulong log_dropped;

static void log_put(struct log_buf *b, const char *s, size_t n)
{
	if (n > b->cap - b->len)
		n = b->cap - b->len;
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

static void log_puts(struct log_buf *b, const char *s)
{
	log_put(b, s, strlen(s));
}

/* v in decimal, at least width digits. */
static void log_uint(struct log_buf *b, unsigned long v, unsigned width)
{
	char digits[24];
	size_t i = sizeof(digits);

	do {
		digits[--i] = (char)('0' + v % 10);
		v /= 10;
	} while ((v || sizeof(digits) - i < width) && i);
	log_put(b, digits + i, sizeof(digits) - i);
}

/* Whether byte c is written as \xNN in a text value. */
static bool log_needs_escape(unsigned char c)
{
	return c <= ' ' || c >= 0x7f || c == '"' || c == '\'' || c == '\\';
}

/* How many bytes the UTF-8 sequence at u takes (RFC 3629), or 0 when it
 * is not one. */
static size_t log_utf8_len(const unsigned char *u)
{
	size_t n = u[0] < 0xc2 ? 0 : u[0] < 0xe0 ? 2 : u[0] < 0xf0 ? 3
		 : u[0] < 0xf5 ? 4 : 0, i;

	for (i = 1; i < n; i++)
		if ((u[i] & 0xc0) != 0x80)
			return 0;
	/* Overlong forms, surrogates and code points past U+10FFFF. */
	if ((n == 3 && ((u[0] == 0xe0 && u[1] < 0xa0) ||
			(u[0] == 0xed && u[1] >= 0xa0))) ||
	    (n == 4 && ((u[0] == 0xf0 && u[1] < 0x90) ||
			(u[0] == 0xf4 && u[1] >= 0x90))))
		return 0;
	return n;
}

/*
 * What byte u[0] of a value is written as, in esc (*n bytes, at most 6):
 * in text, itself, or \xNN (log_needs_escape()); in JSON, itself, \" or
 * \\, \u00NN for a control character, a whole UTF-8 sequence as it is
 * (*n then the sequence's length, *step too), and a byte that is not
 * UTF-8 as \udcNN, as Python's surrogateescape reads it back.  *step: the
 * bytes of the value taken.
 */
static const char *log_escape(const struct log_buf *b, const unsigned char *u,
			      char esc[6], size_t *n, size_t *step)
{
	static const char hex[] = "0123456789abcdef";
	size_t seq;

	*step = 1;
	if (!b->json) {
		if (!log_needs_escape(*u)) {
			*n = 1;
			return (const char *)u;
		}
		esc[0] = '\\';
		esc[1] = 'x';
		esc[2] = hex[*u >> 4];
		esc[3] = hex[*u & 15];
		*n = 4;
		return esc;
	}
	if (*u >= 0x20 && *u < 0x7f && *u != '"' && *u != '\\') {
		*n = 1;
		return (const char *)u;
	}
	if (*u == '"' || *u == '\\') {
		esc[0] = '\\';
		esc[1] = (char)*u;
		*n = 2;
		return esc;
	}
	if (*u >= 0x80 && (seq = log_utf8_len(u))) {
		*n = *step = seq;
		return (const char *)u;
	}
	memcpy(esc, *u >= 0x80 ? "\\udc" : "\\u00", 4);
	esc[4] = hex[*u >> 4];
	esc[5] = hex[*u & 15];
	*n = 6;
	return esc;
}

/*
 * s escaped, in at most max bytes; when it does not fit, as much of it as
 * does, then "..." and s's length in parentheses.
 */
static void log_escaped(struct log_buf *b, const char *s, size_t max)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t used = 0, n, step;
	const char *out;
	char esc[6];

	while (*u) {
		out = log_escape(b, u, esc, &n, &step);
		if (used + n > max)
			break;
		log_put(b, out, n);
		used += n;
		u += step;
	}
	if (!*u)
		return;
	log_puts(b, "...(");
	log_uint(b, strlen(s), 1);
	log_put(b, ")", 1);
}

/*
 * The key of a field, and what goes before it: in text a space for all
 * but the first, key=; in JSON "{" or ",", "key": and, for a string
 * value, its opening quote.  log_end() closes what it opened.
 */
static void log_key_as(struct log_buf *b, const char *key, bool string)
{
	if (!b->json) {
		if (b->len)
			log_put(b, " ", 1);
		log_puts(b, key);
		log_put(b, "=", 1);
		return;
	}
	log_put(b, b->len ? ",\"" : "{\"", 2);
	log_puts(b, key);
	log_put(b, string ? "\":\"" : "\":", string ? 3 : 2);
}

static void log_key(struct log_buf *b, const char *key)
{
	log_key_as(b, key, true);
}

/* The end of a string value: its closing quote in JSON. */
static void log_end(struct log_buf *b)
{
	if (b->json)
		log_put(b, "\"", 1);
}

/* A number: a JSON number, not a string. */
static void log_number(struct log_buf *b, const char *key, unsigned long v)
{
	log_key_as(b, key, false);
	log_uint(b, v, 1);
}

/* A flag that is set: key=yes in text, "key":true in JSON. */
static void log_flag(struct log_buf *b, const char *key)
{
	log_key_as(b, key, false);
	log_puts(b, b->json ? "true" : "yes");
}

static void log_field(struct log_buf *b, const char *key, const char *value)
{
	if (!value)
		return;
	log_key(b, key);
	log_escaped(b, value, LOG_LINE_MAX);
	log_end(b);
}

/* A field of unbounded length: cut at LOG_NAME_MAX (log_escaped()). */
static void log_long_field(struct log_buf *b, const char *key,
			   const char *value)
{
	if (!value)
		return;
	log_key(b, key);
	log_escaped(b, value, LOG_NAME_MAX);
	log_end(b);
}

/* days since 1970-01-01 as a civil date (H. Hinnant's days_from_civil,
 * inverted), so that no time zone code (and none of its locks) is run. */
static void log_civil(unsigned long days, unsigned long *y, unsigned *m,
		      unsigned *d)
{
	unsigned long z = days + 719468, era = z / 146097;
	unsigned long doe = z - era * 146097;
	unsigned long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) /
			    365;
	unsigned long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned long mp = (5 * doy + 2) / 153;

	*d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
	*m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

/* hh:mm:ss of secs, seconds into a day. */
static void log_clock(struct log_buf *b, unsigned long secs)
{
	log_uint(b, secs / 3600, 2);
	log_put(b, ":", 1);
	log_uint(b, secs / 60 % 60, 2);
	log_put(b, ":", 1);
	log_uint(b, secs % 60, 2);
}

/* time=, UTC to the millisecond; left out when the clock could not say. */
static void log_time(struct log_buf *b, const struct timespec *ts)
{
	unsigned long secs, y;
	unsigned m, d;

	if (!ts)
		return;
	secs = (unsigned long)ts->tv_sec;
	log_civil(secs / 86400, &y, &m, &d);
	log_key(b, "time");
	log_uint(b, y, 4);
	log_put(b, "-", 1);
	log_uint(b, m, 2);
	log_put(b, "-", 1);
	log_uint(b, d, 2);
	log_put(b, "T", 1);
	log_clock(b, secs % 86400);
	log_put(b, ".", 1);
	log_uint(b, (unsigned long)ts->tv_nsec / 1000000, 3);
	log_put(b, "Z", 1);
	log_end(b);
}

/*
 * A syslog message's head (RFC 3164 section 4.1, as syslog(3) writes it):
 * <13> (facility user, level notice), the time as "Mmm dd hh:mm:ss", in
 * UTC (no time zone code is run here; receivers that keep the sender's
 * time read the line's own time= field), and the tag "stackshim[PID]: ".
 */
static void log_syslog_head(struct log_buf *b, const struct timespec *ts)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	unsigned long secs, y;
	unsigned m, d;

	log_puts(b, LOG_SYSLOG_PRI);
	if (ts) {
		secs = (unsigned long)ts->tv_sec;
		log_civil(secs / 86400, &y, &m, &d);
		log_put(b, months + 3 * (m - 1), 3);
		log_put(b, d < 10 ? "  " : " ", d < 10 ? 2 : 1);
		log_uint(b, d, 1);
		log_put(b, " ", 1);
		log_clock(b, secs % 86400);
		log_put(b, " ", 1);
	}
	log_puts(b, LOG_SYSLOG_TAG "[");
	log_uint(b, (unsigned long)getpid(), 1);
	log_puts(b, "]: ");
}

static void log_family(struct log_buf *b, int family)
{
	static const struct {
		int family;
		const char *name;
	} families[] = {
		{AF_INET, "inet"},
		{AF_INET6, "inet6"},
		{AF_UNSPEC, NULL},
	};
	size_t i = 0;

	if (family == AF_UNSPEC)
		return;
	while (families[i].name && families[i].family != family)
		i++;
	log_key(b, "family");
	if (families[i].name)
		log_puts(b, families[i].name);
	else
		log_uint(b, (unsigned)family, 1);
	log_end(b);
}

/* An AF_INET or AF_INET6 address; anything else is left out. */
static void log_sockaddr(struct log_buf *b, const char *key,
			 const struct sockaddr *sa, socklen_t len)
{
	char text[INET6_ADDRSTRLEN];
	struct sockaddr_inet in;
	bool v6;

	if (!sa || !sockaddr_parse(sa, len, &in))
		return;
	v6 = in.addr.fam == FAM_IPV6;
	if (!inet_ntop(v6 ? AF_INET6 : AF_INET, in.addr.a, text, sizeof(text)))
		return;
	log_key(b, key);
	if (v6 && in.port)
		log_put(b, "[", 1);
	log_puts(b, text);
	if (v6 && in.scope_id) {
		log_put(b, "%", 1);
		log_uint(b, in.scope_id, 1);
	}
	if (v6 && in.port)
		log_put(b, "]", 1);
	if (in.port) {
		log_put(b, ":", 1);
		log_uint(b, ntohs(in.port), 1);
	}
	log_end(b);
}

/*
 * The table's cell, when the event has a host class, and the outcome,
 * when it carries a decision (a deny rule decides before any cell).  A
 * decision of the local side alone (a bind, an interface's address) has
 * no host: its cell is STACK/-/LOCAL.
 */
static void log_decision(struct log_buf *b, unsigned stack,
			 const struct shim_log_event *ev)
{
	const char *host = ev->local_only ? "-" : policy_host_name(ev->host);
	const char *local = policy_local_name(ev->local_fam);
	const char *outcome = ev->outcome < 0 ? NULL
			      : policy_outcome_name(ev->outcome);

	if (!outcome)
		return;
	if (host && local && policy_stack_name(stack)) {
		log_key(b, "cell");
		log_puts(b, policy_stack_name(stack));
		log_put(b, "/", 1);
		log_puts(b, host);
		log_put(b, "/", 1);
		log_puts(b, local);
		log_end(b);
	}
	log_field(b, "outcome", outcome);
}

/*
 * The executable's base name, as init.c chooses the program's sections:
 * found by the first line, without a lock (a line may be logged from a
 * signal handler while the same thread finds it), and until it is found
 * the name the program was started under.
 */
static const char *log_program_name(void)
{
	int state = LOG_PROGRAM_UNKNOWN;
	const char *slash;
	ssize_t len;

	if (atomic_load_explicit(&log_program_state, memory_order_acquire) ==
	    LOG_PROGRAM_FOUND)
		return log_program;
	if (!atomic_compare_exchange_strong(&log_program_state, &state,
					    LOG_PROGRAM_FINDING))
		return program_invocation_short_name;
	len = readlink("/proc/self/exe", log_exe, sizeof(log_exe));
	if (len <= 0 || (size_t)len >= sizeof(log_exe)) {
		log_program = program_invocation_short_name;
	} else {
		log_exe[len] = '\0';
		slash = strrchr(log_exe, '/');
		log_program = slash ? slash + 1 : log_exe;
	}
	atomic_store_explicit(&log_program_state, LOG_PROGRAM_FOUND,
			      memory_order_release);
	return log_program;
}

static void log_format(struct log_buf *b, const struct policy *policy,
		       const struct shim_log_event *ev,
		       const struct timespec *ts)
{
	unsigned stack = policy_stack(policy);
	unsigned long dropped = atomic_load(&log_dropped);

	log_time(b, ts);
	log_number(b, "pid", (unsigned long)getpid());
	log_long_field(b, "program", log_program_name());
	log_field(b, "call", ev->call);
	log_family(b, ev->family);
	log_sockaddr(b, "dest", ev->dest, ev->destlen);
	log_long_field(b, "name", ev->name);
	log_sockaddr(b, "local", ev->local, ev->locallen);
	log_field(b, "stack", policy_stack_name(stack));
	log_decision(b, stack, ev);
	log_long_field(b, "rule", ev->rule);
	log_sockaddr(b, "translated", ev->translated, ev->translatedlen);
	log_field(b, "error", ev->error);
	log_field(b, "reason", ev->reason);
	if (dropped)
		log_number(b, "dropped", dropped);
	if (!policy_enforce(policy))
		log_flag(b, "audit");
	if (b->json)
		log_put(b, b->len ? "}" : "{}", b->len ? 1 : 2);
}

/* shim_logging - see shim.h. */
bool shim_logging(const struct policy *policy)
{
	return policy && policy_log(policy) != LOG_OFF;
}

/*
 * shim_rule_format - see shim.h.  With the line's own writers, not
 * snprintf(): the hooks that log a rule are async-signal-safe, and
 * vfprintf() is not (it reads the locale, and allocates for some
 * conversions).
 */
int shim_rule_format(const struct policy_rule *rule, char *buf, size_t len)
{
	struct log_buf b = {buf, 0, len - 1, false};

	if (!len)
		return 0;
	log_puts(&b, rule->file ? rule->file : "-");
	log_put(&b, ":", 1);
	log_uint(&b, rule->line, 1);
	buf[b.len] = '\0';
	return (int)b.len;
}

/* shim_log - see shim.h. */
void shim_log(const struct policy *policy, const struct shim_log_event *ev)
{
	char line[LOG_SYSLOG_HEAD_MAX + LOG_LINE_MAX + 1];
	struct log_buf b = {line, 0, sizeof(line) - 1, false};
	struct timespec now, *ts = &now;
	enum policy_log where;
	size_t head = 0;
	int saved_errno;

	if (!policy || (where = policy_log(policy)) == LOG_OFF)
		return;
	saved_errno = errno;
	if (clock_gettime(CLOCK_REALTIME, &now) < 0 || now.tv_sec < 0)
		ts = NULL;
	if (where == LOG_SYSLOG) {
		log_syslog_head(&b, ts);
		head = b.len;
	}
	b.p += head;
	b.cap = LOG_LINE_MAX;
	b.len = 0;
	b.json = policy_log_format(policy) == LOG_FORMAT_JSON;
	log_format(&b, policy, ev, ts);
	b.p[b.len++] = '\n';
	if (!shim_log_emit(policy, line, head + b.len))
		atomic_fetch_add(&log_dropped, 1);
	errno = saved_errno;
}
