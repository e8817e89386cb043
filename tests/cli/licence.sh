#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/cli/licence.sh - COPYING is the MIT licence, and every source file
# of the tree (C, headers, the linker's version script, shell, Python,
# make and autoconf input) names it in an SPDX line among its first two
# lines (after a #! line).  Generated files (configure's, libtool's,
# automake's: build-aux/, m4/, config.h, Makefile.in) are not the
# project's and are not looked at.
#
# Needs top_srcdir (absolute, as make check exports it); exits 1 after
# naming every file without the line.

set -u

# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/lib.sh"

if grep -q '^MIT License$' "$top_srcdir/COPYING" 2>/dev/null; then
	pass "COPYING is the MIT licence"
else
	fail "COPYING is the MIT licence"
fi

n=0
while IFS= read -r -d '' f; do
	n=$((n + 1))
	if ! head -2 "$f" | grep -q 'SPDX-License-Identifier: MIT'; then
		fail "${f#"$top_srcdir"/} has an SPDX-License-Identifier: MIT line"
	fi
done < <(cd "$top_srcdir" && find "$PWD" \
	\( -path "$PWD/build-aux" -o -path "$PWD/m4" -o -path "$PWD/.git" \
	   -o -path "$PWD/autom4te.cache" -o -path "$PWD/_*" \
	   -o -path "$PWD/fuzz/corpus" -o -path "$PWD/tests/cases" \) -prune \
	-o -type f \( -name '*.[ch]' -o -name '*.map' -o -name '*.sh' \
	   -o -name '*.py' -o -name '*.am' -o -name '*.ac' -o -name '*.mk' \
	   -o -path "$PWD/.ci/run" \) ! -name config.h -print0)
if [ "$n" -gt 100 ]; then
	pass "$n source files looked at"
else
	fail "the source files found" "expected: more than 100" "got: $n"
fi

finish
