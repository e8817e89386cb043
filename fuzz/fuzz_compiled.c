/* SPDX-License-Identifier: MIT */
/*
 * fuzz_compiled.c - libFuzzer target: loading a compiled policy
 * (policy/compiled.c), which a process maps from a file that may be
 * truncated, corrupt or hostile.
 *
 * The input is the file.  So that the fuzzer gets past the checks a
 * random file fails at once, each input is taken as built from the config
 * its own header names (compiled_identity()), and sealed (compiled_seal():
 * its checksum written) before it is checked: what is explored is what a
 * file that passes those checks can do, the header's offsets and counts,
 * the kept lines and the index included.
 *
 * Checked, beyond memory safety and UB:
 *   - compiled_check() answers in one of its words, or NULL;
 *   - an input it passes loads (compiled_load()) or fails with -EINVAL or
 *     -ENOMEM and an error at line 0 or at a line of the kept lines,
 *     leaving the policy empty;
 *   - a loaded policy answers every query: the rule counts are at most
 *     the header's rule count and add up by action, lookups of addresses
 *     and names (under each of its sections too) find a rule or none and
 *     never a rule of an unknown action.
 * Seeds (fuzz/corpus/compiled/): files `stackshim compile -o` wrote.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "internal.h"

static const char *const words[] = {
	"truncated", "not-compiled", "other-version", "stale", "corrupt",
};

/* Lookups that must answer within their types. */
static void ask(const struct policy *p)
{
	static const char *const addrs[] = {
		"10.1.2.3", "192.0.2.1", "127.0.0.1", "::1", "2001:db8::1",
		"::ffff:10.0.0.1", "64:ff9b::a00:1",
	};
	static const char *const names[] = {"a.example", "x.y.example",
					    "localhost", "h1.d2.test"};
	struct policy_rule r;
	size_t i;

	for (i = 0; i < sizeof(addrs) / sizeof(addrs[0]); i++) {
		struct policy_addr a;

		if (inet_pton(AF_INET, addrs[i], a.a) == 1) {
			a.fam = FAM_IPV4;
		} else {
			FUZZ_CHECK(inet_pton(AF_INET6, addrs[i], a.a) == 1);
			a.fam = FAM_IPV6;
		}
		if (policy_match_dest(p, &a, 443, PROTO_TCP, &r))
			FUZZ_CHECK(r.action >= RULE_ALLOW &&
				   r.action <= RULE_MAP);
		if (policy_match_dest(p, &a, 0, PROTO_ANY, &r))
			FUZZ_CHECK(r.action >= RULE_ALLOW &&
				   r.action <= RULE_MAP);
	}
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (policy_match_name(p, names[i], 80, PROTO_UDP, &r))
			FUZZ_CHECK(r.action >= RULE_ALLOW &&
				   r.action <= RULE_MAP);
		(void)policy_name_ruled(p, names[i]);
	}
	FUZZ_CHECK(policy_rule_count(p) ==
		   policy_rule_count_of(p, RULE_ALLOW) +
			   policy_rule_count_of(p, RULE_DENY) +
			   policy_rule_count_of(p, RULE_MAP));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct policy_identity id;
	struct policy_error err;
	struct policy *p;
	const char *why;
	size_t i, n;
	void *image;
	int r;

	if (!compiled_identity(data, size, &id))
		return 0;
	image = malloc(size);
	FUZZ_CHECK(image);
	memcpy(image, data, size);
	compiled_seal(image, size);
	why = compiled_check(image, size, &id);
	for (i = 0; why && i < sizeof(words) / sizeof(words[0]); i++)
		if (!strcmp(why, words[i]))
			break;
	FUZZ_CHECK(!why || i < sizeof(words) / sizeof(words[0]));
	if (why) {
		free(image);
		return 0;
	}
	p = policy_new();
	FUZZ_CHECK(p);
	memset(&err, 0, sizeof(err));
	r = compiled_load(p, "fuzz.conf", image, size, &err);
	FUZZ_CHECK(r == 0 || r == -EINVAL || r == -ENOMEM);
	if (r < 0) {
		FUZZ_CHECK(err.text[0]);
		FUZZ_CHECK(policy_rule_count(p) == 0);
		FUZZ_CHECK(policy_section_count(p) == 0);
	} else {
		n = policy_section_count(p);
		ask(p);
		for (i = 1; i <= n && i <= 4; i++) {
			FUZZ_CHECK(policy_select_section(p, i) == 0);
			ask(p);
		}
	}
	policy_free(p);
	free(image);
	return 0;
}
