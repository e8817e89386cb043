#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/shim/secure.sh - secure-execution mode (SPEC §3, getauxval(AT_SECURE)):
# a set-user-ID or set-group-ID program ignores every STACKSHIM_* variable
# and reads only the system config (SYSTEM_CONFIG, as this build was
# configured: --with-system-config, default /etc/stackshim.conf), which
# it refuses, failing closed, when anyone but root owns it or may write it.
#
# How, without touching the host: the script runs itself again in a
# private mount (and network) namespace, where a copy of /etc is mounted
# over /etc.  There /etc/ld.so.preload names a copy of the library that
# anyone may read (the dynamic linker honours that file for secure
# programs, where it ignores LD_PRELOAD), and the system config is written
# where the build reads it.  failclosed-probe (tests/shim/failclosed-probe.c)
# is copied three times onto a tmpfs of the namespace: set-group-ID root,
# set-user-ID root, and plain; each is run as uid 65534 and prints
# getauxval(AT_SECURE) and whether the library is loaded, so that no check
# can pass with the mode or the library missing.  Then, with
# STACKSHIM_STACK and STACKSHIM_CONF set against the system config:
#   - the secure probes follow the system config and ignore the variables,
#     even variables that would make the library fail closed;
#   - the plain probe follows the variables;
#   - a system config that is group- or world-writable, owned by another
#     user, unreadable or broken makes the secure probe fail closed (one
#     line on stderr, EACCES, EAI_FAIL);
#   - without a system config the secure probe has the built-in defaults.
#
# Needs root, unshare, setpriv, mount and a C compiler (${CC:-cc});
# exits 77 (skip) when not root or the namespace cannot be made, 99 when
# something else is missing, 1 after reporting every mismatch as expected
# vs got.

set -u

: "${top_srcdir:?top_srcdir must be set}"
# shellcheck source=tests/shim/lib.sh
. "$top_srcdir/tests/shim/lib.sh"

suffix='; network calls will be refused'

# --- outside: what the namespace needs -----------------------------------------
if [ "${1:-}" != --inner ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "SKIP: needs root (set-ID programs, mounts)"
		exit 77
	fi
	if ! unshare --mount --propagation private --net true 2>/dev/null; then
		echo "SKIP: cannot make a private mount namespace"
		exit 77
	fi
	for tool in setpriv "${CC:-cc}"; do
		if ! command -v "$tool" >/dev/null; then
			echo "ERROR: $tool is missing"
			exit 99
		fi
	done
	# In an ASan build the probe is built with ASan and carries its
	# options itself (__asan_default_options): a set-ID program is not
	# dumpable, so it cannot read its own /proc/self/environ, where ASan
	# looks for ASAN_OPTIONS; and leak checking is off in it, since
	# LeakSanitizer, which stops the world with ptrace, cannot attach to
	# a process that is not dumpable (it dies with a fatal error).
	extra=
	case ,${SANITIZERS:-}, in
	*,address,*)
		extra=$tmp/asan-options.c
		printf 'const char *__asan_default_options(void)\n{\n\treturn "%s";\n}\n' \
			"${ASAN_OPTIONS:-}:detect_leaks=0" >"$extra" ;;
	esac
	# shellcheck disable=SC2086 # SANITIZER_CFLAGS is a list of flags
	if ! ${CC:-cc} -std=gnu11 -Wall -Wextra ${SANITIZER_CFLAGS:-} \
		-o "$tmp/probe" "$top_srcdir/tests/shim/failclosed-probe.c" \
		$extra; then
		echo "ERROR: the probe does not compile"
		exit 99
	fi
	# The path this build reads: "stackshim check" without STACKSHIM_CONF
	# names it, whether it exists, is good or is broken.
	"$top_builddir/stackshim" check >"$tmp/out" 2>"$tmp/err"
	system=$(sed -n 's/^\(\/.*\): \(ok\|not present; .*\)$/\1/p' "$tmp/out")
	[ -n "$system" ] ||
		system=$(sed -n '1s/^\(\/.*\):[0-9]*:[0-9]*: .*$/\1/p' \
			"$tmp/err")
	if [ -z "$system" ]; then
		echo "ERROR: cannot tell the system config's path from" \
			"stackshim check: $(cat "$tmp/out" "$tmp/err")"
		exit 99
	fi
	echo "the system config of this build: $system"
	if [ ! -d "$(dirname "$system")" ]; then
		echo "SKIP: $(dirname "$system") does not exist, and this test" \
			"makes nothing outside its namespace"
		exit 77
	fi
	cp "$lib" "$tmp/libstackshim.so" || exit 99
	chmod 755 "$tmp"
	timeout "$(limit 120)" unshare --mount --propagation private --net \
		/bin/bash "$0" --inner "$tmp" "$system"
	exit $?
fi

# --- inside the namespace ------------------------------------------------------
work=$2
system=$3
sysdir=$(dirname "$system")

# Every file of the test lives on a tmpfs of this namespace, which allows
# set-ID programs whatever the mount options of $TMPDIR.
ns=$work/ns
mkdir "$ns" && mount -t tmpfs -o mode=755 stackshim-secure "$ns" || exit 99
mkdir -m 755 "$ns/bin" "$ns/lib" || exit 99
cp -a /etc "$ns/etc" && mount --bind "$ns/etc" /etc || exit 99
if [ "$sysdir" != /etc ]; then
	cp -a "$sysdir" "$ns/sysdir" && mount --bind "$ns/sysdir" "$sysdir" ||
		exit 99
fi
ip link set lo up 2>/dev/null

cp "$work/libstackshim.so" "$ns/lib/" && chmod 755 "$ns/lib/libstackshim.so"
for kind in setgid setuid plain; do
	cp "$work/probe" "$ns/bin/probe-$kind" || exit 99
	chown root:root "$ns/bin/probe-$kind"
done
chmod 2755 "$ns/bin/probe-setgid"
chmod 4755 "$ns/bin/probe-setuid"
chmod 755 "$ns/bin/probe-plain"

# Every program but the probes that runs from now on has the library too,
# as root or as 65534, not secure: a good, empty config keeps them quiet.
good=$ns/good.conf
: >"$good"
printf 'stack = ipv4\n' >"$ns/other.conf"
chmod 644 "$good" "$ns/other.conf"
export STACKSHIM_CONF=$good
# In a sanitizer build the sanitizer's runtime comes first of all.
{
	[ -z "${SANITIZER_PRELOAD:-}" ] || printf '%s\n' "$SANITIZER_PRELOAD" | tr : '\n'
	printf '%s\n' "$ns/lib/libstackshim.so"
} >/etc/ld.so.preload

# put_system TEXT [OWNER MODE] - the system config holds TEXT, as given; TEXT
# "-" removes it.
put_system()
{
	rm -f "$system"
	[ "$1" = - ] && return
	printf '%b' "$1" >"$system"
	chown "${2:-root:root}" "$system"
	chmod "${3:-644}" "$system"
}

# run KIND [ENV-ARG...] - probe-KIND as uid 65534, given the variables
# (by env(1), so that only the probe has them: VAR=VALUE, or -u VAR); its
# stdout in $out, its stderr in $err.
run()
{
	local kind=$1

	shift
	setpriv --reuid=65534 --regid=65534 --clear-groups \
		env "$@" "$ns/bin/probe-$kind" at_secure preloaded sockets gai4 \
		>"$work/out" 2>"$work/err"
	out=$(cat "$work/out")
	err=$(cat "$work/err")
}

# result SECURE INET INET6 GAI - the probe's lines.
result()
{
	printf 'at_secure=%s\npreloaded=yes\nsocket(inet)=%s\nsocket(inet6)=%s\ngetaddrinfo(127.0.0.1)=%s' \
		"$@"
}

closed_out=$(result 1 EACCES EACCES EAI_FAIL)

# closed NAME ERROR - the last run failed closed, saying ERROR.
closed()
{
	expect "$1: every call refused" "$closed_out" "$out"
	expect "$1: one line on stderr" "stackshim: $2$suffix" "$err"
}

# quiet NAME WANT - the last run printed WANT and nothing on stderr.
quiet()
{
	expect "$1" "$2" "$out"
	expect "$1: nothing on stderr" "" "$err"
}

env=(STACKSHIM_STACK=ipv4 STACKSHIM_CONF="$ns/other.conf")
system_v6=$(result 1 EAFNOSUPPORT ok EAI_ADDRFAMILY)
env_v4=$(result 0 ok EAFNOSUPPORT ok)

# --- a good system config: stack = ipv6, mapped = no -------------------------------
put_system 'stack = ipv6\nmapped = no\nipv4-loopback = no\n'
run setgid "${env[@]}"
quiet "set-group-ID: the system config (ipv6, unmapped), not the variables (ipv4)" \
	"$system_v6"
run setuid "${env[@]}"
quiet "set-user-ID: the system config, not the variables" "$system_v6"
run plain "${env[@]}"
quiet "not secure: the variables (ipv4)" "$env_v4"
run plain -u STACKSHIM_CONF
quiet "not secure, no variables: the system config, at the build's path" \
	"$(result 0 EAFNOSUPPORT ok EAI_ADDRFAMILY)"

# Variables that would make the library fail closed are not even read.
run setgid STACKSHIM_STACK=bogus
quiet "set-group-ID: STACKSHIM_STACK=bogus is not read" "$system_v6"
run plain STACKSHIM_STACK=bogus
expect "not secure: STACKSHIM_STACK=bogus fails closed" \
	"$(result 0 EACCES EACCES EAI_FAIL)" "$out"
expect "not secure: STACKSHIM_STACK=bogus: the line" \
	"stackshim: STACKSHIM_STACK:1:1: bad value 'bogus' (expected ipv4, dual or ipv6)$suffix" \
	"$err"
run setgid STACKSHIM_CONF=/nonexistent/stackshim.conf
quiet "set-group-ID: a STACKSHIM_CONF that does not exist is not read" \
	"$system_v6"
run plain STACKSHIM_CONF=/nonexistent/stackshim.conf
expect "not secure: a STACKSHIM_CONF that does not exist fails closed" \
	"$(result 0 EACCES EACCES EAI_FAIL)" "$out"
expect "not secure: STACKSHIM_CONF missing: the line" \
	"stackshim: /nonexistent/stackshim.conf:0:0: No such file or directory$suffix" \
	"$err"

# --- a system config that cannot be trusted, read or parsed --------------------------
refused="$system:0:0: refused: a system config must be owned by root and writable by root only"
put_system 'stack = ipv6\n' root:root 664
run setgid "${env[@]}"
closed "group-writable system config" "$refused"
put_system 'stack = ipv6\n' root:root 646
run setgid "${env[@]}"
closed "world-writable system config" "$refused"
put_system 'stack = ipv6\n' 65534:root 644
run setgid "${env[@]}"
closed "system config owned by uid 65534" "$refused"
run setuid "${env[@]}"
closed "set-user-ID, system config owned by uid 65534" "$refused"
put_system 'stack = ipv6\n' 65534:65534 600
run setgid "${env[@]}"
closed "system config of uid 65534, mode 600" "$refused"
# Root's alone to read: a set-group-ID program (euid 65534) cannot.
put_system 'stack = ipv6\n' root:root 600
run setgid "${env[@]}"
closed "system config unreadable to the program" \
	"$system:0:0: Permission denied"
put_system 'stack = ipv5\n'
run setgid "${env[@]}"
closed "a broken system config" \
	"$system:1:9: bad value 'ipv5' (expected ipv4, dual or ipv6)"

# --- the system config's log: nothing another user planted gets a line ------------
# The log's directory is uid 65534's own (not sticky, so that the kernel's
# protected_symlinks, _fifos and _regular do not apply): what that user
# puts at the path must get none of root's lines.  The set-user-ID probe
# (euid 0) refuses socket(AF_INET) under "mapped = no", and logs it.
logs=$ns/logs
mkdir -m 755 "$logs" && chown 65534:65534 "$logs" || exit 99
victim=$ns/victim
logline="stackshim: log $logs/log: refused"
put_log()
{
	put_system "stack = ipv6\nmapped = no\nipv4-loopback = no\nlog = $logs/log\n"
	rm -f "$logs/log"
}
# logged NAME: the last run, its decisions as ever, and $logs/log was written.
logged()
{
	expect "$1: the decisions" "$system_v6" "$out"
	expect "$1: nothing on stderr" "" "$err"
	expect "$1: the log has the line" 1 \
		"$(grep -c 'call=socket family=inet .*error=EAFNOSUPPORT' "$logs/log")"
}
# refused_log NAME WHY: the last run, its decisions as ever, the log refused.
refused_log()
{
	expect "$1: the decisions" "$system_v6" "$out"
	expect "$1: one line on stderr" "$logline: $2; nothing is logged" "$err"
}

put_log
run setuid "${env[@]}"
logged "set-user-ID, a log file it makes itself"
expect "set-user-ID: the log it made is root's, 0600" "0 600" \
	"$(stat -c '%u %a' "$logs/log")"

put_log
printf 'root only\n' >"$victim" && chmod 600 "$victim"
setpriv --reuid=65534 --regid=65534 --clear-groups ln -s "$victim" "$logs/log"
run setuid "${env[@]}"
refused_log "set-user-ID, a symbolic link planted at the log's path" \
	"a symbolic link"
expect "the symbolic link's target is untouched" "root only" "$(cat "$victim")"

put_log
setpriv --reuid=65534 --regid=65534 --clear-groups \
	sh -c 'umask 0; : >"$1"; chmod 666 "$1"' sh "$logs/log"
run setuid "${env[@]}"
refused_log "set-user-ID, a 0666 file of uid 65534 at the log's path" \
	"owned by another user"
expect "the 0666 file got no line" 0 "$(wc -c <"$logs/log")"

put_log
: >"$logs/log" && chmod 666 "$logs/log"
run setuid "${env[@]}"
refused_log "set-user-ID, a root file writable by others" \
	"writable by group or others"

put_log
setpriv --reuid=65534 --regid=65534 --clear-groups mkfifo -m 666 "$logs/log"
exec 3<>"$logs/log"
run setuid "${env[@]}"
refused_log "set-user-ID, a FIFO of uid 65534 with a reader" \
	"not a regular file"
expect "the FIFO got no line" "" "$(timeout 1 cat <&3)"
exec 3<&-

# --- no system config: the built-in defaults, a dual stack ------------------------
put_system -
run setgid "${env[@]}"
quiet "set-group-ID, no system config: the defaults (dual), not the variables" \
	"$(result 1 ok ok ok)"
run plain "${env[@]}"
quiet "not secure, no system config: the variables" "$env_v4"

finish
