/* SPDX-License-Identifier: MIT */
/*
 * policy.h - the stackshim policy engine.
 *
 * This is the only header of policy/ that shim/ and cli/ include.
 * policy/ is a pure library: it parses configuration, answers questions
 * and formats text into buffers it is handed.  It never prints, never
 * exits, never interposes and keeps no state outside the objects its
 * caller owns.
 *
 * Errors: a function that can fail returns 0 on success or a negative
 * errno; those that read configuration also fill a caller-owned struct
 * policy_error.  A lookup that finds nothing returns false, and the
 * checks of a peer-pool region name their fault (enum policy_pool_fault).
 *
 * Threads: a policy is built (new, parse, load, set, select) by one thread;
 * once built, the functions that take a const struct policy only read it and
 * may be called from any number of threads at once.
 */
#ifndef STACKSHIM_POLICY_H
#define STACKSHIM_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

/*
 * Families as bit sets.  A stack, a host and a local address are each a set
 * of families, which is what lets one rule decide every cell of the table.
 */
enum policy_fam {
	FAM_NONE = 0,
	FAM_IPV4 = 1,
	FAM_IPV6 = 2,
	FAM_BOTH = FAM_IPV4 | FAM_IPV6,
	/*
	 * Beside FAM_IPV4 in a host or local class (never alone): every
	 * IPv4 address of it is in 127.0.0.0/8.  IPv4 loopback exists on
	 * every stack a Linux host can have (SPEC §2, "Real hosts"), so
	 * with ipv4-loopback set a decision whose IPv4 addresses are all
	 * loopback has IPv4 usable whatever the stack
	 * (policy_table_stack()).  Mask a class with FAM_BOTH to index by it.
	 */
	FAM_LOOP4 = 4,
};

/* A stack is the set of families it allows. */
enum policy_stack {
	STACK_IPV4 = FAM_IPV4,
	STACK_IPV6 = FAM_IPV6,
	STACK_DUAL = FAM_BOTH,
};

enum policy_outcome {
	OUTCOME_IPV4,		/* use the IPv4 stack */
	OUTCOME_IPV6,		/* use the IPv6 stack */
	OUTCOME_MAP,		/* reach the IPv4 host at its translated address */
	OUTCOME_FAIL_HOST,	/* fails to resolve host name */
	OUTCOME_FAIL_LOCAL,	/* fails to resolve local address */
	OUTCOME_DENY,		/* refused by a deny rule; never a table cell */
	OUTCOME_COUNT,
};

/* What a destination rule does; RULE_NONE when no rule matched. */
enum policy_action {
	RULE_NONE,
	RULE_ALLOW,
	RULE_DENY,
	RULE_MAP,
};

enum policy_proto {
	PROTO_ANY,
	PROTO_TCP,
	PROTO_UDP,
};

/* Where logging goes; LOG_FILE carries a path (policy_log_path()). */
enum policy_log {
	LOG_OFF,
	LOG_STDERR,
	LOG_SYSLOG,
	LOG_FILE,
};

/* How a log line is written (log-format): key=value fields, or JSON. */
enum policy_log_format {
	LOG_FORMAT_TEXT,
	LOG_FORMAT_JSON,
};

/*
 * A configuration error.  file is the config file's path (or, for a setting
 * from the environment or the command line, the variable or option name,
 * with line 1 and the column in its value), line and column count from 1,
 * and both are 0 for an error about a file as a whole.
 * policy_error_format() renders it as "FILE:LINE:COLUMN: text"; a path
 * longer than file holds is cut short.
 */
struct policy_error {
	char file[256];
	unsigned line;
	unsigned column;
	char text[256];
};

/*
 * An IPv4 or IPv6 address; IPv4 is held in the first four bytes of a, and
 * the parsers zero the other twelve.
 */
struct policy_addr {
	unsigned fam;		/* FAM_IPV4 or FAM_IPV6 */
	uint8_t a[16];
};

/*
 * A local address as in XMS's XMSC_WMQ_LOCAL_ADDRESS: ADDR, ADDR(LOW),
 * ADDR(LOW,HIGH) or (LOW,HIGH).  host is NULL for the last form; fam is
 * FAM_NONE when host is a name (its families are known only once it is
 * resolved) and addr then holds nothing.  Ports are 0 when no range was
 * given; ADDR(LOW) gives port_low == port_high.
 */
struct policy_local {
	const char *host;
	unsigned fam;
	struct policy_addr addr;
	uint16_t port_low;
	uint16_t port_high;
};

struct policy;

/* --- the selection table (table.c) --------------------------------------- */

/*
 * policy_table_decide - the outcome of one cell of the selection table.
 * stack is an enum policy_stack; host is FAM_IPV4, FAM_IPV6 or FAM_BOTH
 * (FAM_NONE: below); local is any enum policy_fam (FAM_NONE: no local
 * address); prefer is FAM_IPV4 or FAM_IPV6 and decides a host whose both
 * families are usable; mapped false turns every OUTCOME_MAP into
 * OUTCOME_FAIL_HOST.
 *
 * host FAM_NONE asks about the local address alone: the answer is then
 * OUTCOME_FAIL_LOCAL or OUTCOME_FAIL_HOST (no host to reach).  host and
 * local may carry FAM_LOOP4, which this table ignores: pass the stack
 * through policy_table_stack() first.
 */
enum policy_outcome policy_table_decide(unsigned stack, unsigned host,
					unsigned local, unsigned prefer,
					bool mapped);

/*
 * policy_table_stack - the families usable for one decision: stack, and
 * FAM_IPV4 as well when loopback (the ipv4-loopback setting) is set and
 * host or local carries FAM_LOOP4 while neither has an IPv4 address
 * outside 127.0.0.0/8.  This is what makes 127.0.0.0/8 bindable and
 * reachable on an ipv6 stack, as on real IPv6-only Linux hosts.
 */
unsigned policy_table_stack(unsigned stack, unsigned host, unsigned local,
			    bool loopback);

/*
 * policy_rule_decide - the outcome of a destination that a rule of action
 * matched (SPEC §3, allow/deny/map), the table's settings as for
 * policy_table_decide(): RULE_NONE and RULE_ALLOW leave it to the table;
 * RULE_DENY is OUTCOME_DENY; RULE_MAP forces the translated path for a host
 * with IPv4 addresses, as if they could not be reached over IPv4: map when
 * IPv6 is usable and mapped is set, fail-host otherwise, fail-local as the
 * table says for the local address.  A map rule of an IPv6-only host leaves
 * it to the table.
 */
enum policy_outcome policy_rule_decide(enum policy_action action,
				       unsigned stack, unsigned host,
				       unsigned local, unsigned prefer,
				       bool mapped);

/*
 * Names of values, exactly the tokens of SPEC §1 (and "deny" for
 * OUTCOME_DENY); NULL for an invalid one.
 */
const char *policy_stack_name(unsigned stack);
const char *policy_host_name(unsigned host);
const char *policy_local_name(unsigned local);
const char *policy_outcome_name(enum policy_outcome outcome);
const char *policy_action_name(enum policy_action action);

/* --- addresses (addr.c) -------------------------------------------------- */

/*
 * policy_addr_parse - parse an IPv4 (dotted quad, all four parts) or IPv6
 * literal.  Returns 0, or -EINVAL when s is neither.
 */
int policy_addr_parse(const char *s, struct policy_addr *out);

/*
 * policy_addr_host_fam - the table's host family of an address: FAM_IPV4 for
 * an IPv4 address and for an IPv4-mapped IPv6 address (::ffff:a.b.c.d),
 * FAM_IPV6 otherwise.
 */
unsigned policy_addr_host_fam(const struct policy_addr *addr);

/*
 * policy_addr_class - policy_addr_host_fam() with FAM_LOOP4 added for an
 * address in 127.0.0.0/8 (or ::ffff:127.0.0.0/104).
 */
unsigned policy_addr_class(const struct policy_addr *addr);

/*
 * policy_class_add - the class of a set of addresses (a name's answers, a
 * local name) that has class and one more address of class more: the
 * union of their families, FAM_LOOP4 kept only while every IPv4 address
 * of the set is loopback.  Start from FAM_NONE.
 */
static inline unsigned policy_class_add(unsigned class, unsigned more)
{
	unsigned fams = (class | more) & FAM_BOTH;

	if (!(fams & FAM_IPV4))
		return fams;
	/* A set without IPv4 so far counts as all-loopback. */
	if ((!(class & FAM_IPV4) || (class & FAM_LOOP4)) &&
	    (!(more & FAM_IPV4) || (more & FAM_LOOP4)))
		fams |= FAM_LOOP4;
	return fams;
}

/*
 * policy_addr_format - write addr as text (inet_ntop) into buf.  Returns buf,
 * or NULL when len is too small.
 */
const char *policy_addr_format(const struct policy_addr *addr, char *buf,
			       size_t len);

/*
 * policy_decimal_parse - the number written in the len bytes at s, base 10:
 * one or more digits and nothing else (no sign, no blank, no "0x"; leading
 * zeros are allowed, any number of them).  Returns 0 with *out set;
 * -EINVAL when s is empty or holds a byte that is not a digit, with *bad
 * (when bad is not NULL) the offset of the first such byte; -ERANGE when
 * the number is below min or above max, however many digits it has.  A
 * malformed number is -EINVAL even when it is also too big.  *out is
 * untouched on error.
 */
int policy_decimal_parse(const char *s, size_t len, unsigned long min,
			 unsigned long max, unsigned long *out, size_t *bad);

/*
 * policy_addr_parse_cidr - parse "ADDR" or "ADDR/LEN".  Without /LEN the
 * prefix is the whole address.  Returns 0, -EINVAL for a malformed address or
 * length, -ERANGE for a length beyond the family's width, -EDOM when bits are
 * set past the prefix.
 */
int policy_addr_parse_cidr(const char *s, struct policy_addr *out,
			   unsigned *len);

/*
 * policy_prefix_check - whether prefix/len may hold embedded IPv4 addresses
 * (RFC 6052 §2.2): len is 32, 40, 48, 56, 64 or 96, no bit past len is set,
 * and bits 64-71 (the u-octet) are zero.  ::ffff:0:0/96 passes.  Returns 0,
 * -ERANGE for another length, -EDOM for bits past len, -EBADMSG for a nonzero
 * u-octet.
 */
int policy_prefix_check(const struct in6_addr *prefix, unsigned len);

/*
 * policy_rfc6052_embed - the IPv6 address that embeds v4 in prefix/len
 * (RFC 6052 §2.2).  Returns 0, or -EINVAL when prefix/len fails
 * policy_prefix_check().
 */
int policy_rfc6052_embed(const struct in6_addr *prefix, unsigned len,
			 const struct in_addr *v4, struct in6_addr *out);

/*
 * policy_rfc6052_extract - the IPv4 address embedded in addr under a prefix
 * of length len.  It does not check that addr lies inside any prefix; the
 * caller compares.  Returns 0, or -EINVAL for a length RFC 6052 does not
 * define.
 */
int policy_rfc6052_extract(const struct in6_addr *addr, unsigned len,
			   struct in_addr *v4);

/*
 * policy_ipv4_global - whether v4 is a global IPv4 address: not one of the
 * networks RFC 5735 §3 lists (RFC 1918's among them) nor RFC 6598's, which
 * RFC 6052 §3.1 forbids the well-known prefix 64:ff9b::/96 to carry.
 */
bool policy_ipv4_global(const struct in_addr *v4);

/*
 * policy_pref64_of - the NAT64 prefix an AAAA answer for ipv4only.arpa
 * shows (RFC 7050 §3): 0 with prefix/len, or -ENOENT for an address that
 * holds neither well-known IPv4 address at one of RFC 6052's places.
 */
int policy_pref64_of(const struct in6_addr *addr, struct in6_addr *prefix,
		     unsigned *len);

struct addrinfo;
/*
 * policy_pref64_find - the first prefix an answer of list (getaddrinfo's
 * for ipv4only.arpa) shows; -ENOENT when none does.
 */
int policy_pref64_find(const struct addrinfo *list, struct in6_addr *prefix,
		       unsigned *len);

/* --- the policy object (config.c) ---------------------------------------- */

/* policy_new - a policy holding the built-in defaults; NULL without memory. */
struct policy *policy_new(void);
/* policy_free - free policy and everything it holds; NULL is allowed. */
void policy_free(struct policy *policy);

/*
 * policy_on_error - have every configuration error reported to fn as it is
 * found, not only the first one: parsing goes on past a bad line so that a
 * checker can list them all.  The parse still fails, with the first error in
 * its err.  A file that cannot be opened or read is reported too, except an
 * absent system file, which policy_load() does not count as an error.  fn
 * NULL (the default) reports nothing.
 */
void policy_on_error(struct policy *policy,
		     void (*fn)(const struct policy_error *err, void *arg),
		     void *arg);

/* The longest line a config file may hold, in bytes, its newline left out;
 * policy_set() has no such limit. */
#define POLICY_LINE_MAX 4095

/*
 * policy_parse_file - read a config file into policy.  A policy holds at most
 * one file; a second call fails with -EEXIST.  Returns 0, a negative errno
 * from opening or reading (-ENOENT, -EACCES, ...), -EINVAL for a syntax or
 * value error, or -ENOMEM; err says where and what.
 */
int policy_parse_file(struct policy *policy, const char *path,
		      struct policy_error *err);

/* policy_parse_buffer - as policy_parse_file() for len bytes of text in buf. */
int policy_parse_buffer(struct policy *policy, const char *name,
			const char *buf, size_t len, struct policy_error *err);

/*
 * policy_set - override one scalar key (stack, prefer, mapped,
 * local-address, translate-prefix, peer-pool, enforce, log) for every
 * program, above the file and its sections.  source names the origin in
 * errors ("--stack", "STACKSHIM_STACK").  The last override of a key wins.
 * Returns 0, or -EINVAL or -ENOMEM (err filled, the settings unchanged).
 */
int policy_set(struct policy *policy, const char *key, const char *value,
	       const char *source, struct policy_error *err);

/*
 * policy_log_is_path - whether value, given to the log key, names a file
 * rather than one of its words (off, stderr, syslog): what a launcher makes
 * absolute before passing it on.  The value is not otherwise checked.
 */
bool policy_log_is_path(const char *value);

/*
 * policy_load - build a policy the way the shim does: the config file named
 * by STACKSHIM_CONF in envp (which must then exist), else system_path if it
 * exists, then the STACKSHIM_* overrides in envp.  With secure set
 * (AT_SECURE), envp is ignored and system_path is the only source.  envp may
 * be NULL.  Returns 0 or a negative errno with err filled.  It is
 * policy_capture(), policy_load_source() and policy_source_release().
 */
int policy_load(struct policy *policy, char *const envp[], bool secure,
		const char *system_path, struct policy_error *err);

/*
 * What policy_load() takes from outside the process, captured at one
 * moment so that the policy can be built later from what the process
 * started with, whatever it has done to its environment, its root or its
 * privileges meanwhile.  Its fields are policy/'s own (policy/internal.h).
 * A caller keeps one in a struct policy_source_storage, which a library
 * can hold in static memory: policy_capture() then allocates nothing for
 * a small config, and a constructor can capture before malloc() is ready.
 */
struct policy_source;

/* Bytes that hold a struct policy_source on every target; policy/source.c
 * checks that it fits. */
#define POLICY_SOURCE_SIZE (4096 + 1280)

struct policy_source_storage {
	_Alignas(max_align_t) unsigned char opaque[POLICY_SOURCE_SIZE];
};

/*
 * policy_source_in - the struct policy_source that storage holds, to hand
 * to the functions below; storage need not be initialised first.
 */
static inline struct policy_source *
policy_source_in(struct policy_source_storage *storage)
{
	return (struct policy_source *)(void *)storage->opaque;
}

/*
 * policy_capture - the first half of policy_load(): the STACKSHIM_*
 * variables of envp copied, and the config file it names (or system_path)
 * opened, checked and read into memory, nothing parsed.  A file that
 * cannot be read is recorded in src, not reported: policy_load_source()
 * reports it.  The copies are kept inside src while they fit, and
 * allocated only when they do not.  Returns 0 or the negative errno
 * reading failed with.
 */
int policy_capture(struct policy_source *src, char *const envp[], bool secure,
		   const char *system_path);

/*
 * policy_load_source - the second half of policy_load(): parse the
 * captured file into policy, then apply the captured STACKSHIM_*
 * overrides, reporting errors (err, policy_on_error()) as policy_load()
 * does.  src may be loaded into several policies (but for a compiled
 * policy where mremap() cannot copy a mapping, as under valgrind).
 */
int policy_load_source(struct policy *policy, struct policy_source *src,
		       struct policy_error *err);

/* policy_source_release - free what policy_capture() kept; src is emptied. */
void policy_source_release(struct policy_source *src);

/* Where compiled policies of configs root owns are kept. */
#define POLICY_SYSTEM_CACHE "/var/cache/stackshim"

struct stat;

/*
 * policy_index_path - where the compiled policy (policy_compile()) of the
 * config file config describes is kept, in buf (len bytes): in
 * $STACKSHIM_CACHE_DIR when envp sets it (not when secure), else for a
 * config root owns in POLICY_SYSTEM_CACHE, else (not when secure) in
 * $XDG_CACHE_HOME/stackshim or $HOME/.cache/stackshim; named by the
 * file's device and inode.  Returns 0, -ENOENT (nowhere: secure and not
 * root's, or no cache directory known) or -ENAMETOOLONG.
 */
int policy_index_path(char *buf, size_t len, const struct stat *config,
		      bool secure, char *const envp[]);

/*
 * policy_compile - compile the config file at path into out, a file that
 * policy_capture() maps in place of parsing the config while the config
 * is the same file, unchanged (policy/compiled.c): written whole under a
 * new name and renamed over out.  Returns 0, or a negative errno with
 * err filled (the config's errors as policy_parse_file() reports them).
 */
int policy_compile(const char *path, const char *out,
		   struct policy_error *err);

/*
 * policy_is_compiled - whether policy was loaded from a compiled policy
 * (policy_compile()), mapped, rather than parsed: then its rules are only
 * in its index, and policy_rule_next() and policy_describe() list none.
 */
bool policy_is_compiled(const struct policy *policy);

/*
 * policy_source_index_refused - why the compiled policy found for src's
 * config was not used, in a word ("stale", "corrupt", "not-trusted",
 * "truncated", "other-version", "not-compiled", "unreadable"), *path
 * (when path is not NULL) set to where it is; NULL when none was found,
 * or it was used.  The config was then parsed as text.
 */
const char *policy_source_index_refused(const struct policy_source *src,
					const char **path);

/*
 * policy_source_may_select - whether the captured file may hold
 * [program NAME] sections, so that the caller must note its executable
 * now, for policy_select(), before the program can change its name or
 * its root: false when no file was read, and when a file of at most a
 * page holds no '['.  A longer file is not searched: noting costs less.
 */
bool policy_source_may_select(const struct policy_source *src);

/*
 * policy_select - choose the [program NAME] sections that apply: those whose
 * glob matches name (the executable's base name) or alias's base name (the
 * name the program was started as, its argv[0]), or, for a glob holding
 * '/', path (the executable's full path) or alias when it is absolute.
 * Any of the three may be NULL (an empty alias is none).  Every matching
 * section applies in file order, a later one overriding an earlier one.
 * No string is kept.  Returns the number of sections that matched.
 */
int policy_select(struct policy *policy, const char *name, const char *alias,
		  const char *path);
/* The effective settings: built-in defaults < file < sections < overrides. */
unsigned policy_stack(const struct policy *policy);
unsigned policy_prefer(const struct policy *policy);
bool policy_mapped(const struct policy *policy);
/* ipv4-loopback: whether 127.0.0.0/8 stays usable on every stack. */
bool policy_ipv4_loopback(const struct policy *policy);
/* fallback: whether a dual stack answers both families of a name. */
bool policy_fallback(const struct policy *policy);
bool policy_enforce(const struct policy *policy);
enum policy_log policy_log(const struct policy *policy);
const char *policy_log_path(const struct policy *policy);
enum policy_log_format policy_log_format(const struct policy *policy);
/* NULL when no local address is set. */
const struct policy_local *policy_local_address(const struct policy *policy);
/*
 * policy_translate_prefix - the effective translate-prefix; under
 * translate-prefix = auto the one the policy's pref64 finder gives
 * (policy_set_pref64_finder()), asked only of a policy that may map
 * (policy_may_map()): len 0 when there is none, or no finder.
 */
void policy_translate_prefix(const struct policy *policy,
			     struct in6_addr *prefix, unsigned *len);
/* translate-prefix = auto: the prefix is the network's (RFC 7050). */
bool policy_translate_auto(const struct policy *policy);
/*
 * policy_pref64_finder - what finds the network's NAT64 prefix for
 * translate-prefix = auto (RFC 7050; the shim's pref64_find()): 0 and the
 * prefix, or -1 for none.  Asked at each decision that needs the prefix,
 * from any thread, a signal handler included, so it finds once and then
 * answers from memory.
 */
typedef int (*policy_pref64_finder)(struct in6_addr *prefix, unsigned *len);
/*
 * policy_set_pref64_finder - the finder of translate-prefix = auto; until
 * one is set, and when it finds none (or a prefix policy_prefix_check()
 * refuses), every map decision is fail-host.  Set it before the policy is
 * shared: readers take no lock.
 */
void policy_set_pref64_finder(struct policy *policy,
			      policy_pref64_finder finder);
/*
 * policy_translatable - whether the table's map may send v4 through the
 * translate-prefix: there is one, and v4 is the host's own loopback
 * (policy_own_loopback()) only for ::ffff:0:0/96, and any other only if
 * the prefix is not the well-known 64:ff9b::/96 or v4 is global (RFC 6052
 * §3.1; policy_ipv4_global()).
 */
bool policy_translatable(const struct policy *policy,
			 const struct in_addr *v4);
/*
 * policy_own_loopback - whether v4 is the host's own loopback, which is
 * never sent to a NAT64: in 127.0.0.0/8 while ipv4-loopback is yes (with
 * no, 127.0.0.0/8 is an address like any other, as the table has it).
 */
bool policy_own_loopback(const struct policy *policy,
			 const struct in_addr *v4);
/*
 * policy_translates - whether a map under a rule of action (RULE_NONE:
 * the table's) sends v4 through the translate-prefix: where
 * policy_translatable() says, and wherever a map rule names it but the
 * host's own loopback.
 */
bool policy_translates(const struct policy *policy, enum policy_action action,
		       const struct in_addr *v4);
/*
 * policy_translate_by_address - whether policy_translatable() depends on
 * the address: the translate-prefix is the well-known one.
 */
bool policy_translate_by_address(const struct policy *policy);
/*
 * policy_decide_dest - policy_decide_rule() for one destination address:
 * a map that does not send its IPv4 address through the translate-prefix
 * (policy_translates(): a map rule names the address, but loopback stays
 * the host's) is fail-host.
 */
enum policy_outcome policy_decide_dest(const struct policy *policy,
				       enum policy_action action,
				       unsigned host, unsigned local,
				       const struct policy_addr *dest);
/*
 * policy_may_map - whether some decision of the policy maps an IPv4 host
 * through the translate-prefix (the table, or a map rule): whether
 * translate-prefix = auto needs looking for.  Worked out as the policy is
 * loaded or selected (policy_refresh()).
 */
bool policy_may_map(const struct policy *policy);
/* policy_peer_pool - the effective peer-pool network, net/len. */
void policy_peer_pool(const struct policy *policy, struct in_addr *net,
		      unsigned *len);

/*
 * policy_socket_fams - the families whose sockets exist under the
 * effective settings: the stack's, and FAM_IPV4 on an ipv6 stack with
 * mapped addresses (its AF_INET sockets are upgraded) or with
 * ipv4-loopback (they exist, as on real IPv6-only hosts, and reach only
 * loopback).
 */
unsigned policy_socket_fams(const struct policy *policy);

/* Which IPv4 peers can reach the process's sockets (policy_ipv4_peers()). */
enum policy_peers {
	PEERS_ALL,		/* any: the host has IPv4, or maps it */
	PEERS_LOOPBACK,		/* only 127.0.0.0/8 */
	PEERS_NONE,		/* none at all */
};

/*
 * policy_ipv4_peers - which IPv4 peers reach the process's sockets, as on
 * a real host of the effective stack: all where the stack has IPv4 or
 * reaches it through mapped addresses; on an ipv6 stack with mapped = no
 * only loopback (with ipv4-loopback) or none, for such a host has no
 * other IPv4 address to be reached at.
 */
enum policy_peers policy_ipv4_peers(const struct policy *policy);

/*
 * policy_loopback_decides - whether ipv4-loopback decides for host and
 * local: it is set, and the IPv4 side of the decision is all 127.0.0.0/8
 * (policy_table_stack()), so that IPv4 is usable whatever the stack and a
 * map rule does not apply.
 */
bool policy_loopback_decides(const struct policy *policy, unsigned host,
			     unsigned local);

/*
 * policy_decide - policy_table_decide() under the effective settings,
 * the stack widened by policy_table_stack().
 */
enum policy_outcome policy_decide(const struct policy *policy, unsigned host,
				  unsigned local);

/*
 * policy_decide_rule - policy_rule_decide() under the effective settings,
 * the stack widened by policy_table_stack(); map only with a
 * translate-prefix at hand (policy_outcome_settle()).
 */
enum policy_outcome policy_decide_rule(const struct policy *policy,
				       enum policy_action action,
				       unsigned host, unsigned local);
/*
 * policy_decide_unsettled - policy_decide_rule() as if a translate-prefix
 * were always at hand: what the caches keep, since under
 * translate-prefix = auto the prefix is found only at the first decision
 * that needs it.  policy_outcome_settle() of it is policy_decide_rule().
 */
enum policy_outcome policy_decide_unsettled(const struct policy *policy,
					    enum policy_action action,
					    unsigned host, unsigned local);
/*
 * policy_map_settle - policy_outcome_settle() of OUTCOME_MAP: it, or
 * fail-host when there is no translate-prefix.
 */
enum policy_outcome policy_map_settle(const struct policy *policy);
/*
 * policy_outcome_settle - outcome, but fail-host for a map with no
 * translate-prefix (translate-prefix = auto that found none): the one
 * step of a decision that needs the prefix.
 */
static inline enum policy_outcome
policy_outcome_settle(const struct policy *policy, enum policy_outcome outcome)
{
	return outcome == OUTCOME_MAP ? policy_map_settle(policy) : outcome;
}
/*
 * policy_dest_class - the table class of a destination address:
 * policy_addr_class(), but an IPv6 address inside the translate-prefix is
 * the IPv4 host it embeds (RFC 6052: a DNS64 answer, or an address the
 * shim translated), 127.0.0.0/8 included.
 */
unsigned policy_dest_class(const struct policy *policy,
			   const struct policy_addr *addr);
/*
 * policy_ip6_class - policy_dest_class() of the IPv6 address a, without a
 * policy_addr to build.
 */
unsigned policy_ip6_class(const struct policy *policy,
			  const struct in6_addr *a);

/*
 * policy_local_has - whether the emulated host has addr as one of its own
 * addresses (an interface's, a bind's): the table's fail-local test for a
 * local address of addr's class (policy_decide() with no host), so one of
 * a family the stack has, or an IPv4 loopback address (127.0.0.0/8, also
 * as ::ffff:127.x.y.z) while ipv4-loopback is yes, as every real Linux
 * host has lo's 127.0.0.1.
 */
bool policy_local_has(const struct policy *policy,
		      const struct policy_addr *addr);

/*
 * policy_translate - the translated IPv6 address of v4 under the effective
 * translate-prefix.
 */
void policy_translate(const struct policy *policy, const struct in_addr *v4,
		      struct in6_addr *out);

/*
 * policy_rule_count - how many allow/deny/map rules apply to the selected
 * program (the file's global rules and those of its matching sections).
 */
size_t policy_rule_count(const struct policy *policy);

/* policy_rule_count_of - how many of those are of action. */
size_t policy_rule_count_of(const struct policy *policy,
			    enum policy_action action);

/* The destination rule a lookup found. */
struct policy_rule {
	enum policy_action action;
	const char *file;	/* the config file it is in, or NULL */
	unsigned line;		/* its line; 0: no rule could be indexed */
};

/*
 * policy_match_addr - the allow/deny/map rule that decides a connection
 * to addr, port (host byte order; 0 when none is known) over proto, among
 * the rules of the selected program (SPEC §3): the longest prefix, then a
 * rule with a port over one without, then the earlier line.  A rule with a
 * port or a protocol fits only a connection that has them.  An
 * IPv4-mapped address is matched as the IPv4 address it holds.  Returns
 * false when no rule fits.  When the rules could not be indexed (no
 * memory) every lookup answers a deny of line 0: the policy fails closed.
 * The cost does not grow with the number of rules.
 */
bool policy_match_addr(const struct policy *policy,
		       const struct policy_addr *addr, uint16_t port,
		       enum policy_proto proto, struct policy_rule *out);

/*
 * policy_may_be_nat64 - whether a may lie inside a NAT64 prefix found on
 * the network (RFC 7050), a unicast one: not ::, ::1, fe80::/10 or
 * ff00::/8.
 */
static inline bool policy_may_be_nat64(const struct in6_addr *a)
{
	return !IN6_IS_ADDR_UNSPECIFIED(a) && !IN6_IS_ADDR_LOOPBACK(a) &&
	       !IN6_IS_ADDR_LINKLOCAL(a) && !IN6_IS_ADDR_MULTICAST(a);
}

/*
 * policy_addr_v4 - the IPv4 address addr stands for: itself, the one an
 * IPv4-mapped address holds, or the one an address inside the effective
 * translate-prefix embeds (RFC 6052).  False for any other IPv6 address.
 */
bool policy_addr_v4(const struct policy *policy,
		    const struct policy_addr *addr, struct in_addr *v4);

/*
 * policy_match_dest - policy_match_addr() for a destination as the shim
 * meets it: an address that stands for an IPv4 one (policy_addr_v4()) is
 * matched as that IPv4 address first, and a translated one then as the
 * IPv6 address it is.
 */
bool policy_match_dest(const struct policy *policy,
		       const struct policy_addr *addr, uint16_t port,
		       enum policy_proto proto, struct policy_rule *out);

/*
 * policy_match_name - as policy_match_addr(), for a host name (any case, a
 * final dot ignored): an exact name rule over a "*.domain" one, a nearer
 * domain over a farther one.  Port 0 and PROTO_ANY (at resolution, before
 * any connection) fit only rules without a port and a protocol.
 */
bool policy_match_name(const struct policy *policy, const char *name,
		       uint16_t port, enum policy_proto proto,
		       struct policy_rule *out);

/*
 * policy_name_ruled - whether any name rule of the selected program covers
 * name, whatever its port and protocol: the addresses name resolves to
 * must then be remembered, for the rule decides connections to them.
 */
bool policy_name_ruled(const struct policy *policy, const char *name);

/* --- what a checker walks (addr.c, rules.c) ------------------------------ */

/* One IPv4 network that is not global (policy_ipv4_global()). */
struct policy_ipv4_range {
	struct in_addr net;
	unsigned len;
	const char *what;	/* what it is: "RFC 1918", "loopback", ... */
};

/*
 * policy_ipv4_nonglobal - the non-global networks that net/len overlaps
 * (holds, or lies inside), from the one table policy_ipv4_global() reads,
 * in address order: the first max of them into out (which may be NULL
 * when max is 0).  Bits of net past len are ignored; a len past 32 counts
 * as 32.  Returns how many overlap, which may be more than max.
 */
size_t policy_ipv4_nonglobal(const struct in_addr *net, unsigned len,
			     struct policy_ipv4_range *out, size_t max);

/* One allow/deny/map rule, as policy_rule_next() shows it. */
struct policy_rule_view {
	enum policy_action action;
	const char *file;	/* the config file it is in, or NULL */
	unsigned line;
	size_t section;		/* 0: outside every section; n: section n */
	bool ipv4;		/* an IPv4 network (or IPv4-mapped /96 and
				 * longer): net/len; else a name or IPv6 */
	struct in_addr net;
	unsigned len;
	char text[320];		/* its value, as policy_describe() gives
				 * it: "10.0.0.0/8 22 tcp", "*.example.org" */
};

/*
 * policy_rule_next - walk the rules that apply to the selected program
 * (those policy_rule_count() counts), in file order: *cursor 0 gives the
 * first; each call fills out with the next and moves *cursor one past
 * its place among all the file's rules, so that *cursor - 1 names the
 * rule whatever is selected.  Returns false, out untouched, after the last.
 */
bool policy_rule_next(const struct policy *policy, size_t *cursor,
		      struct policy_rule_view *out);

/* policy_section_count - how many [program NAME] sections the file has. */
size_t policy_section_count(const struct policy *policy);

/*
 * policy_section_glob - section n's NAME (1 <= n <= policy_section_count())
 * and, when line is not NULL, its line; NULL for another n.
 */
const char *policy_section_glob(const struct policy *policy, size_t n,
				unsigned *line);

/*
 * policy_select_section - select section n alone (0: none), as if the
 * program matched its glob and no other, so that a checker can judge each
 * section's effective settings with its rules.  Returns 0, or -EINVAL
 * (the selection unchanged) for n past policy_section_count().
 */
int policy_select_section(struct policy *policy, size_t n);

/* policy_file - the config file the policy was read from; NULL for none. */
const char *policy_file(const struct policy *policy);

/* One scalar setting, as policy_describe() gives it. */
struct policy_setting_view {
	const char *key;	/* "stack", "log", ... */
	const char *origin;	/* "default", "FILE:LINE", a variable or
				 * an option: where the value came from */
	bool set;		/* false: no value (local-address unset) */
	bool cut;		/* value (a long log path) is cut short */
	char value[512];	/* as config text: "ipv4", "/var/log/x" */
};

/*
 * policy_setting_at - the effective scalar setting i (0, 1, ... in
 * policy_describe()'s order) in out; false, out untouched, past the last.
 */
bool policy_setting_at(const struct policy *policy, size_t i,
		       struct policy_setting_view *out);

/*
 * policy_describe - the effective policy as config text ("key = value" lines,
 * then the rules in the order they apply), NUL-terminated in buf.  Returns
 * the length it needed, as snprintf does.
 */
size_t policy_describe(const struct policy *policy, char *buf, size_t len);

/*
 * policy_error_format - "FILE:LINE:COLUMN: text" into buf, as snprintf.
 * An error about a file as a whole (it cannot be opened or read) has line
 * and column 0.  The file and the text come out through policy_escape(),
 * safe on a terminal.
 */
int policy_error_format(const struct policy_error *err, char *buf, size_t len);

/*
 * policy_index_failed - whether the rules could not be indexed (out of
 * memory): every lookup then answers deny.  A process that must say so
 * (the library, failing closed) asks after loading and selecting.
 */
bool policy_index_failed(const struct policy *policy);

/*
 * policy_escape - in, text from outside the process (a path, a variable's
 * value, a name), copied into out with every control character (C0 but
 * tab, DEL, C1) and every byte that is not valid UTF-8 written as \xNN, cut short to
 * fit len (NUL-terminated when len > 0).  Returns the bytes written.
 */
size_t policy_escape(char *out, size_t len, const char *in);

/*
 * The peer-pool: RFC 6535's address mapper, kept in a region of memory that
 * the caller provides and that means the same in every process that maps
 * it (shim/pool.c maps one file per pool, MAP_SHARED, so that every process
 * under the same pool agrees).  Pool addresses are the hosts of an IPv4
 * network, its first (network) and last (broadcast) addresses left out,
 * given in order to IPv6 addresses as they are first asked for; once
 * all are given, one long idle may be taken back (policy_pool_assign_at()
 * below): an address stands for one IPv6 address until then.  At most
 * POLICY_POOL_CAPACITY_MAX of a network's hosts are used.
 *
 * Lookups take no lock: they read with acquire loads what a writer
 * published with release stores.  policy_pool_assign() must be called with
 * the region's writer lock held, a lock of the caller's own kept in the
 * region's lock area.  Its order of writes (reserve the entry, write it,
 * mark it valid, then index it) means that a writer that dies at any point
 * leaves no address that two IPv6 addresses share and none that maps to a
 * half-written one.  No function here allocates, locks or calls the
 * system: they are safe from a signal handler.  (policy/pool.c)
 */
#define POLICY_POOL_KEYS	5	/* 64-bit keys of the hash */
#define POLICY_POOL_LOCK_SIZE	128	/* bytes of the lock area */
#define POLICY_POOL_CAPACITY_MAX (1u << 20)

/* A process's view of a region: filled by policy_pool_format() or
 * policy_pool_attach(); its fields are this module's. */
struct policy_pool {
	unsigned char *base;
	uint32_t first;		/* the first host, host byte order */
	uint32_t capacity;
	uint32_t slots;
	uint64_t key[POLICY_POOL_KEYS];
};

/* Why a region was refused (policy_pool_attach()). */
enum policy_pool_fault {
	POLICY_POOL_OK,
	POLICY_POOL_BAD_LEN,		/* the pool's length is not 1 to 30 */
	POLICY_POOL_BAD_SIZE,		/* the region's size is not its own */
	POLICY_POOL_BAD_MAGIC,
	POLICY_POOL_BAD_VERSION,
	POLICY_POOL_BAD_ABI,		/* made by another lock ABI */
	POLICY_POOL_BAD_NET,		/* the region of another pool */
	POLICY_POOL_BAD_SHAPE,		/* capacity, slots or count wrong */
};

/* policy_pool_fault_text - a phrase for fault ("bad magic number", ...). */
const char *policy_pool_fault_text(enum policy_pool_fault fault);

/*
 * policy_pool_region_size - the size a region of the pool net/len has
 * (whole pages; len 1 to 30, net's host bits ignored); 0 for another len.
 */
size_t policy_pool_region_size(const struct in_addr *net, unsigned len);

/*
 * policy_pool_format - make the zeroed region base (size bytes, page
 * aligned) an empty pool on net/len, its hash keyed by key and its lock
 * ABI abi (any word that tells the caller's lock layouts apart), and fill
 * pool.  The lock area is left zero for the caller.  Returns a fault
 * (BAD_LEN, BAD_SIZE) or POLICY_POOL_OK.
 */
enum policy_pool_fault policy_pool_format(struct policy_pool *pool,
					  void *base, size_t size,
					  const struct in_addr *net,
					  unsigned len, uint32_t abi,
					  const uint64_t key[POLICY_POOL_KEYS]);

/*
 * policy_pool_attach - check that the region base (size bytes) is a pool
 * on net/len formatted with abi, and fill pool.  Every bound pool later
 * uses comes from net/len and size, never from the region, so that a
 * region changed under the process cannot make it read outside.
 */
enum policy_pool_fault policy_pool_attach(struct policy_pool *pool,
					  void *base, size_t size,
					  const struct in_addr *net,
					  unsigned len, uint32_t abi);

/* policy_pool_lock_area - the region's POLICY_POOL_LOCK_SIZE bytes,
 * 64-byte aligned, for the caller's writer lock. */
void *policy_pool_lock_area(const struct policy_pool *pool);

/*
 * policy_pool_v4 - the pool address given to v6, without a lock; false
 * when none is (yet).
 */
bool policy_pool_v4(const struct policy_pool *pool, const struct in6_addr *v6,
		    struct in_addr *v4);

/*
 * policy_pool_assign - the pool address of v6, given now when it has none
 * (then *fresh is set true; fresh may be NULL).  The writer lock must be
 * held.  Returns 0, or -ENOSPC when every address of the pool is given.
 */
int policy_pool_assign(struct policy_pool *pool, const struct in6_addr *v6,
		       struct in_addr *v4, bool *fresh);

/*
 * policy_pool_repair - after a writer died holding the lock: index the
 * entry it had made valid but not yet indexed, if any, so that its IPv6
 * address keeps that pool address.  The writer lock must be held.
 */
void policy_pool_repair(struct policy_pool *pool);

/*
 * policy_pool_v6 - the IPv6 address the pool address v4 was given to,
 * without a lock; false when none was (or v4 is outside the pool).
 */
bool policy_pool_v6(const struct policy_pool *pool, const struct in_addr *v4,
		    struct in6_addr *v6);

/* policy_pool_size - how many addresses the pool has reserved. */
size_t policy_pool_size(const struct policy_pool *pool);

/*
 * Reuse.  An address is taken back only when the pool has none left to
 * give, and only from an entry no lookup has used for POLICY_POOL_IDLE
 * seconds of the caller's clock (one clock for every process that maps
 * the region: shim/pool.c uses CLOCK_BOOTTIME).  The _at lookups mark
 * what they find used at now; now 0 marks nothing and, for
 * policy_pool_assign_at(), takes nothing back (what policy_pool_v4(),
 * policy_pool_v6() and policy_pool_assign() do).
 */
#define POLICY_POOL_IDLE 600u

/* What policy_pool_assign_at() did. */
enum policy_pool_given {
	POLICY_POOL_FOUND,	/* v6 had its address already */
	POLICY_POOL_FRESH,	/* an address never given before */
	POLICY_POOL_REUSED,	/* an idle address taken back */
};

/* policy_pool_v4_at - policy_pool_v4(), marking the entry used at now. */
bool policy_pool_v4_at(const struct policy_pool *pool,
		       const struct in6_addr *v6, struct in_addr *v4,
		       uint32_t now);

/* policy_pool_v6_at - policy_pool_v6(), marking the entry used at now. */
bool policy_pool_v6_at(const struct policy_pool *pool, const struct in_addr *v4,
		       struct in6_addr *v6, uint32_t now);

/*
 * policy_pool_assign_at - policy_pool_assign() at now: when the pool is
 * full, the first entry idle for POLICY_POOL_IDLE that a sweep of at most
 * 4,096 entries (from where the last one stopped) meets is given to v6.
 * *given says which.  The writer lock must be held.  Returns 0, or
 * -ENOSPC when the pool is full and the sweep met no idle entry.
 */
int policy_pool_assign_at(struct policy_pool *pool, const struct in6_addr *v6,
			  struct in_addr *v4, uint32_t now,
			  enum policy_pool_given *given);

/* policy_pool_reused - how many times an idle address was taken back. */
size_t policy_pool_reused(const struct policy_pool *pool);

#endif /* STACKSHIM_POLICY_H */
