#!/bin/sh
# SPDX-License-Identifier: MIT
# program.sh - [program NAME] sections match the executable's base name or
# the name the program was started as (argv[0]), and "explain --program"
# resolves a command as the shim inside it would see it.
#
# python3 is the subject: /usr/bin/python3 is a link to python3.X, the case
# users meet (also nc, java, redis-server).  Each way of starting it is run
# under the shim, which says whether it may open an AF_INET6 socket (its
# section gives it stack = ipv4, refusing it), and asked of explain, which
# must name the same stack.  No packet is sent: socket() only.

. "$(dirname "$0")/lib.sh"

# Debian's, not a wrapper earlier in this PATH (pyenv's shims are scripts).
python=/usr/bin/python3
if [ ! -x "$python" ]; then
	echo "$python not found: skipped" >&2
	exit 77
fi
real=$(readlink -f "$python")
mkdir "$tmp/bin"
ln -s "$python" "$tmp/bin/py-alias"
PATH=$tmp/bin:/usr/bin:/bin
export PATH

probe='import socket
try:
    socket.socket(socket.AF_INET6, socket.SOCK_STREAM).close()
    print("stack: dual")
except OSError:
    print("stack: ipv4")'
printf '#!%s\n%s\n' "$tmp/bin/py-alias" "$probe" >"$tmp/by-path"
printf '#!/usr/bin/env py-alias\n%s\n' "$probe" >"$tmp/by-env"
printf '#!/usr/bin/env -S python3 -u\n%s\n' "$probe" >"$tmp/env-python3"
printf '#!%s\n%s\n' "$tmp/by-path" "$probe" >"$tmp/script-script"
chmod +x "$tmp/by-path" "$tmp/by-env" "$tmp/env-python3" \
	"$tmp/script-script"

# check WHAT CONF STACK CMD: CMD, run under CONF, has STACK, and explain
# --program CMD says so.
check()
{
	what=$1 conf=$2 want=$3 cmd=$4
	shift 4
	capture "$STACKSHIM" -c "$conf" -- "$cmd" "$@"
	expect "$what: the shim's stack" "stack: $want" "$(cat "$tmp/out")"
	capture "$STACKSHIM" explain -c "$conf" --program "$cmd" 127.0.0.1
	expect_match "$what: explain --program $cmd" "^stack: $want " \
		"$tmp/out"
}

printf 'stack = dual\n[program py-alias]\nstack = ipv4\n' >"$tmp/alias.conf"
check "started as python3" "$tmp/alias.conf" dual python3 -c "$probe"
check "started as py-alias, a link" "$tmp/alias.conf" ipv4 py-alias \
	-c "$probe"
check "#! names py-alias by path" "$tmp/alias.conf" ipv4 "$tmp/by-path"
check "#!/usr/bin/env py-alias" "$tmp/alias.conf" ipv4 "$tmp/by-env"
check "#!/usr/bin/env -S python3" "$tmp/alias.conf" dual \
	"$tmp/env-python3"
# The kernel follows a script that names a script.
check "a script's #! names a script" "$tmp/alias.conf" ipv4 \
	"$tmp/script-script"

# The executable's own base name still matches, whatever it was started as.
printf 'stack = dual\n[program %s]\nstack = ipv4\n' "${real##*/}" \
	>"$tmp/exe.conf"
check "started as py-alias, the executable's name" "$tmp/exe.conf" ipv4 \
	py-alias -c "$probe"
check "#!/usr/bin/env py-alias, the executable's name" "$tmp/exe.conf" \
	ipv4 "$tmp/by-env"

# A glob with '/' matches the executable's path or an absolute argv[0].
printf 'stack = dual\n[program %s/*]\nstack = ipv4\n' "$tmp/bin" \
	>"$tmp/path.conf"
check "argv[0] \$tmp/bin/py-alias, by path" "$tmp/path.conf" ipv4 \
	"$tmp/bin/py-alias" -c "$probe"
check "argv[0] py-alias is no path" "$tmp/path.conf" dual py-alias \
	-c "$probe"
check "#! by path" "$tmp/path.conf" ipv4 "$tmp/by-path"

# bash's exec -a sets argv[0] alone: the shim goes by it.
if command -v bash >/dev/null; then
	capture "$STACKSHIM" -c "$tmp/alias.conf" -- bash -c \
		'exec -a py-alias "$0" -c "$1"' "$python" "$probe"
	expect "exec -a py-alias python3" "stack: ipv4" "$(cat "$tmp/out")"
fi

finish
