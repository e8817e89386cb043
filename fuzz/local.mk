# SPDX-License-Identifier: MIT
# fuzz/local.mk - the libFuzzer targets (make fuzz); included by Makefile.am.
#
# "make fuzz" builds six fuzz targets into fuzz/ of the build directory,
# each straight from the sources with clang and
# -fsanitize=fuzzer,address,undefined (the normal build, with $(CC), is left
# as it is; nothing here is built by "make" or "make check"):
#   fuzz/fuzz-config       the config parser and every policy query
#   fuzz/fuzz-values       local-address, translate-prefix and the other
#                          scalar values, by policy_set() and policy_load()
#   fuzz/fuzz-sockaddr     the socket-address translators of shim/sockaddr.c
#                          and shim/handback.c
#   fuzz/fuzz-getaddrinfo  the getaddrinfo() result rewriting and hook
#   fuzz/fuzz-index        the rule index image: untrusted bytes opened by
#                          match_open() and looked up
#   fuzz/fuzz-compiled     loading a compiled policy (policy/compiled.c)
# fuzz/run.sh SECONDS runs them (test.sh: FUZZ_SECONDS, 60 by default);
# fuzz/README says how to fuzz by hand.
#
# The two shim targets link only the shim objects they test, never the
# whole library: its hooks (socket, connect, close...) would be the fuzz
# binary's own calls, libFuzzer's and ASan's included, and its init.c loads
# a policy from the environment.  fuzz/shim_env.c stands in for init.c,
# fdstate.c and log.c (see its comment), and makes the process-wide state
# of pool.c, local.c and names.c new for each input by their *_forget()
# functions (shim/state.h); no .c file is included in another.  The one
# interposed symbol pair a fuzz binary defines is getaddrinfo() and
# freeaddrinfo() of shim/getaddrinfo.c in fuzz-getaddrinfo: the target calls
# them as a program would, over a fake resolver that never leaves the
# process (no DNS, no hosts file, no network).

FUZZ_CC = clang
FUZZ_FLAGS = -g -O1 -std=gnu11 -Wall -Wextra -fno-omit-frame-pointer \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
FUZZ_CPPFLAGS = -I$(top_builddir) -I$(top_srcdir) -I$(top_srcdir)/policy

FUZZ_TARGETS = \
	fuzz/fuzz-config \
	fuzz/fuzz-values \
	fuzz/fuzz-sockaddr \
	fuzz/fuzz-getaddrinfo \
	fuzz/fuzz-index \
	fuzz/fuzz-compiled

# Every policy/ source (policy_libpolicy_la_SOURCES).
FUZZ_POLICY = \
	$(srcdir)/policy/table.c \
	$(srcdir)/policy/addr.c \
	$(srcdir)/policy/values.c \
	$(srcdir)/policy/config.c \
	$(srcdir)/policy/source.c \
	$(srcdir)/policy/escape.c \
	$(srcdir)/policy/num.c \
	$(srcdir)/policy/rules.c \
	$(srcdir)/policy/policy.c \
	$(srcdir)/policy/match.c \
	$(srcdir)/policy/match_build.c \
	$(srcdir)/policy/image.c \
	$(srcdir)/policy/compiled.c \
	$(srcdir)/policy/pool.c
FUZZ_POLICY_DEPS = $(FUZZ_POLICY) $(srcdir)/policy/policy.h \
	$(srcdir)/policy/internal.h $(srcdir)/policy/pool-layout.h \
	$(srcdir)/policy/match-layout.h \
	$(srcdir)/fuzz/fuzz.h config.h

# The shim objects the shim targets link; shim_env.c stands in for the rest.
FUZZ_SHIM = \
	$(srcdir)/shim/sockaddr.c \
	$(srcdir)/shim/handback.c \
	$(srcdir)/shim/indirect.c \
	$(srcdir)/shim/outcome.c \
	$(srcdir)/shim/lock.c \
	$(srcdir)/shim/pool.c \
	$(srcdir)/shim/local.c \
	$(srcdir)/shim/names.c \
	$(srcdir)/fuzz/shim_env.c
FUZZ_SHIM_DEPS = $(FUZZ_SHIM) $(srcdir)/fuzz/shim_env.h \
	$(srcdir)/shim/shim.h $(srcdir)/shim/sockaddr.h $(srcdir)/shim/route.h \
	$(srcdir)/shim/outcome.h $(srcdir)/shim/handback.h $(srcdir)/shim/fast.h \
	$(srcdir)/shim/pool.h $(srcdir)/shim/state.h

FUZZ_BUILD = $(FUZZ_CC) $(FUZZ_FLAGS) $(FUZZ_CPPFLAGS) -o $@

fuzz/fuzz-config: $(srcdir)/fuzz/fuzz_config.c $(FUZZ_POLICY_DEPS)
	@$(MKDIR_P) fuzz
	$(AM_V_GEN)$(FUZZ_BUILD) $(srcdir)/fuzz/fuzz_config.c $(FUZZ_POLICY)

fuzz/fuzz-values: $(srcdir)/fuzz/fuzz_values.c $(FUZZ_POLICY_DEPS)
	@$(MKDIR_P) fuzz
	$(AM_V_GEN)$(FUZZ_BUILD) $(srcdir)/fuzz/fuzz_values.c $(FUZZ_POLICY)

fuzz/fuzz-index: $(srcdir)/fuzz/fuzz_index.c $(FUZZ_POLICY_DEPS)
	@$(MKDIR_P) fuzz
	$(AM_V_GEN)$(FUZZ_BUILD) $(srcdir)/fuzz/fuzz_index.c $(FUZZ_POLICY)

fuzz/fuzz-compiled: $(srcdir)/fuzz/fuzz_compiled.c $(FUZZ_POLICY_DEPS)
	@$(MKDIR_P) fuzz
	$(AM_V_GEN)$(FUZZ_BUILD) $(srcdir)/fuzz/fuzz_compiled.c $(FUZZ_POLICY)

fuzz/fuzz-sockaddr: $(srcdir)/fuzz/fuzz_sockaddr.c $(FUZZ_POLICY_DEPS) \
		$(FUZZ_SHIM_DEPS)
	@$(MKDIR_P) fuzz
	$(AM_V_GEN)$(FUZZ_BUILD) $(srcdir)/fuzz/fuzz_sockaddr.c $(FUZZ_SHIM) \
		$(FUZZ_POLICY) $(LIBS)

fuzz/fuzz-getaddrinfo: $(srcdir)/fuzz/fuzz_getaddrinfo.c \
		$(srcdir)/shim/getaddrinfo.c $(srcdir)/shim/gai_rewrite.c \
		$(srcdir)/shim/gai.h \
		$(srcdir)/shim/resolve.h $(FUZZ_POLICY_DEPS) $(FUZZ_SHIM_DEPS)
	@$(MKDIR_P) fuzz
	$(AM_V_GEN)$(FUZZ_BUILD) $(srcdir)/fuzz/fuzz_getaddrinfo.c \
		$(srcdir)/shim/getaddrinfo.c $(srcdir)/shim/gai_rewrite.c \
		$(FUZZ_SHIM) $(FUZZ_POLICY) $(LIBS)

.PHONY: fuzz fuzz-cc
fuzz-cc:
	@command -v $(FUZZ_CC) >/dev/null 2>&1 || { \
		echo "make fuzz: $(FUZZ_CC) not found (Debian: apt-get install clang libclang-rt-14-dev)" >&2; \
		exit 1; }

fuzz: fuzz-cc $(FUZZ_TARGETS)

CLEANFILES = $(FUZZ_TARGETS)
EXTRA_DIST += fuzz/run.sh fuzz/README fuzz/fuzz.h fuzz/shim_env.h \
	fuzz/shim_env.c fuzz/fuzz_config.c fuzz/fuzz_values.c \
	fuzz/fuzz_sockaddr.c fuzz/fuzz_getaddrinfo.c fuzz/fuzz_index.c \
	fuzz/fuzz_compiled.c \
	fuzz/corpus
