# SPDX-License-Identifier: MIT
# tests/integration/files/tcp_server4.py - a legacy TCP server: AF_INET only.
#
#   tcp_server4.py READY ADDR PORT COUNT
#
# socket(AF_INET, SOCK_STREAM), bind((ADDR, PORT)), listen; then READY is
# written ("PORT"), and COUNT connections are served one after the other:
# read one line (the client's tag), print
#   tag=TAG accept=A:P acceptlen=N peername=A:P sockname=A:P domain=D
# (acceptlen: how many fields accept()'s address has: 2 for sockaddr_in, 4
# for sockaddr_in6; domain: getsockopt(SO_DOMAIN) of the accepted socket),
# answer "served TAG" and close.  A failed bind prints
#   bind error=ERRNO-NAME
# and exits 1.  No getaddrinfo, no AF_INET6: what an IPv4-only program does.
import errno
import socket
import sys

ready, addr, port, count = sys.argv[1], sys.argv[2], int(sys.argv[3]), \
    int(sys.argv[4])


def fmt(a):
    return "%s:%d" % (a[0], a[1])


s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
try:
    s.bind((addr, port))
except OSError as e:
    print("bind error=%s" % errno.errorcode.get(e.errno, str(e.errno)),
          flush=True)
    sys.exit(1)
s.listen(16)
with open(ready + ".tmp", "w") as f:
    f.write("%d\n" % s.getsockname()[1])
import os
os.rename(ready + ".tmp", ready)

for _ in range(count):
    conn, peer = s.accept()
    conn.settimeout(10)
    data = b""
    while b"\n" not in data:
        chunk = conn.recv(4096)
        if not chunk:
            break
        data += chunk
    tag = data.split(b"\n")[0].decode("ascii", "replace")
    print("tag=%s accept=%s acceptlen=%d peername=%s sockname=%s domain=%d"
          % (tag, fmt(peer), len(peer), fmt(conn.getpeername()),
             fmt(conn.getsockname()),
             conn.getsockopt(socket.SOL_SOCKET, socket.SO_DOMAIN)),
          flush=True)
    conn.sendall(b"served " + tag.encode() + b"\n")
    conn.close()
