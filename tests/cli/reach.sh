#!/bin/sh
# SPDX-License-Identifier: MIT
# reach.sh - run mode refuses a program that LD_PRELOAD cannot police,
# naming why, rather than run it without the policy (exit 126, nothing
# run): a statically linked one (gcc -static), one of another word size or
# machine, one of another C library's loader, a Go program; a script is
# judged by its interpreter.  Dynamic glibc programs run as ever.
#
# The foreign ELF files are headers written here (they are refused before
# any exec); the static one is real.  Needs gcc with the static libc
# (libc6-dev) and python3, else exit 77.

. "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null || {
	echo "python3 not found: skipped" >&2
	exit 77
}
printf '#include <stdio.h>\nint main(void) { puts("ran"); return 0; }\n' \
	>"$tmp/ran.c"
if ! ${CC:-cc} -static -o "$tmp/static" "$tmp/ran.c" 2>"$tmp/cc.err" ||
	! ${CC:-cc} -o "$tmp/dynamic" "$tmp/ran.c" 2>>"$tmp/cc.err"; then
	echo "cannot build a static and a dynamic program: skipped" >&2
	cat "$tmp/cc.err" >&2
	exit 77
fi

# ELF headers of programs this machine's launcher cannot preload into.
python3 - "$tmp" "$tmp/dynamic" <<'PY'
import struct, sys

out, model = sys.argv[1], sys.argv[2]
with open(model, "rb") as f:
    data = f.read()
machine = struct.unpack_from("<H", data, 18)[0]
phoff, = struct.unpack_from("<Q", data, 32)
phnum, = struct.unpack_from("<H", data, 56)
interp = None
for i in range(phnum):
    p_type, _, off, _, _, size = struct.unpack_from("<IIQQQQ", data, phoff + 56 * i)
    if p_type == 3:
        interp = data[off:off + size].rstrip(b"\0").decode()

def elf64(name, machine, interp=None, sections=()):
    ident = b"\x7fELF" + bytes([2, 1, 1]) + bytes(9)
    phs, body = [], b""
    at = 64 + (56 if interp else 0)
    if interp:
        s = interp.encode() + b"\0"
        phs.append(struct.pack("<IIQQQQQQ", 3, 4, at, 0, 0, len(s), len(s), 1))
        body += s
    shoff = shnum = shstrndx = 0
    if sections:
        names = b"\0.shstrtab\0" + b"".join(n.encode() + b"\0" for n in sections)
        stroff = at + len(body)
        body += names
        shoff = at + len(body)
        body += bytes(64) + struct.pack("<IIQQQQIIQQ", 1, 3, 0, 0, stroff,
                                        len(names), 0, 0, 1, 0)
        shnum, shstrndx = 2, 1
    head = ident + struct.pack("<HHIQQQIHHHHHH", 3, machine, 1, 0,
                               64 if phs else 0, shoff, 0, 64, 56, len(phs),
                               64, shnum, shstrndx)
    with open(f"{out}/{name}", "wb") as f:
        f.write(head + b"".join(phs) + body)

with open(f"{out}/elf32", "wb") as f:
    f.write(b"\x7fELF" + bytes([1, 1, 1]) + bytes(9) +
            struct.pack("<HHIIIIIHHHHHH", 2, 3, 1, 0, 0, 0, 0, 52, 32, 0, 40, 0, 0))
elf64("other-machine", 183 if machine != 183 else 62, interp)
elf64("musl", machine, "/lib/ld-musl-x86_64.so.1")
elf64("go", machine, interp, (".text", ".go.buildinfo"))
elf64("sections", machine, interp, (".text", ".data"))
PY
chmod +x "$tmp/elf32" "$tmp/other-machine" "$tmp/musl" "$tmp/go" \
	"$tmp/sections"
printf '#!%s\n' "$tmp/static" >"$tmp/script"
chmod +x "$tmp/script"

# refused WHAT FILE REASON [CMD]: run mode refuses CMD (default FILE),
# naming FILE and REASON, and runs nothing.
refused()
{
	capture "$STACKSHIM" -- "${4:-$2}"
	expect_status "$1: refused" 126
	expect "$1: why" "stackshim: $2: $3, so the shim cannot apply" \
		"$(cat "$tmp/err")"
	expect "$1: nothing ran" "" "$(cat "$tmp/out")"
}

refused "gcc -static" "$tmp/static" \
	"a statically linked program: no dynamic loader reads LD_PRELOAD for it"
refused "a script whose #! names a static program" "$tmp/static" \
	"a statically linked program: no dynamic loader reads LD_PRELOAD for it" \
	"$tmp/script"
refused "ELFCLASS32" "$tmp/elf32" \
	"a 32-bit program, and this stackshim's library is 64-bit"
refused "another machine" "$tmp/other-machine" \
	"a program for another machine (ELF machine $(od -An -tu2 -j18 -N2 \
		"$tmp/other-machine" | tr -d ' '))"
refused "musl's loader" "$tmp/musl" \
	"a program of another C library (its loader is /lib/ld-musl-x86_64.so.1)"
refused "Go's runtime" "$tmp/go" \
	"a Go program: it makes its sockets with system calls of its own, past LD_PRELOAD"

# What the preload reaches runs: a dynamic program, with sections too
# (the kernel then refuses this header-only one: not ours to judge).
capture "$STACKSHIM" -- "$tmp/dynamic"
expect "a dynamic program runs" "0 ran" "$status $(cat "$tmp/out")"
capture "$STACKSHIM" -- "$tmp/sections"
expect "a dynamic ELF with sections of its own is not refused by us" "" \
	"$(grep 'cannot apply' "$tmp/err")"

finish
