# SPDX-License-Identifier: MIT
# tests/integration/files/tcp_client.py - a plain TCP client (run bare).
#
#   tcp_client.py HOST PORT TAG [SOURCE]
#
# A socket of HOST's family (an IPv4 or IPv6 literal; no name lookup),
# bound to SOURCE first if given, connects to HOST:PORT, sends TAG and a
# newline and reads one line back.  Prints
#   local=ADDR:PORT reply=LINE        (exit 0)
#   error=ERRNO-NAME                  (exit 1)
import errno
import socket
import sys

host, port, tag = sys.argv[1], int(sys.argv[2]), sys.argv[3]
source = sys.argv[4] if len(sys.argv) > 4 else None
fam = socket.AF_INET6 if ":" in host else socket.AF_INET
s = socket.socket(fam, socket.SOCK_STREAM)
s.settimeout(5)
try:
    if source:
        s.bind((source, 0))
    s.connect((host, port))
    local = s.getsockname()
    s.sendall(tag.encode() + b"\n")
    data = b""
    while b"\n" not in data:
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
except OSError as e:
    name = "TIMEOUT" if isinstance(e, socket.timeout) else \
        errno.errorcode.get(e.errno, str(e.errno))
    print("error=%s" % name)
    sys.exit(1)
print("local=%s:%d reply=%s" % (local[0], local[1],
                                data.split(b"\n")[0].decode("ascii",
                                                            "replace")))
