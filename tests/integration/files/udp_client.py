# SPDX-License-Identifier: MIT
# tests/integration/files/udp_client.py - a plain UDP client.
#
#   udp_client.py connected|unconnected HOST PORT TAG
#
# A socket of HOST's family (an IPv4 or IPv6 literal; no name lookup)
# sends TAG to HOST:PORT and waits (5 s) for one datagram back:
#   connected    connect(), send(), recv(); the peer is getpeername()
#   unconnected  sendto(), recvfrom(); the peer is what recvfrom() gave
# Prints
#   local=A:P reply=DATA from=A:P fromlen=N       (exit 0)
#   local=A:P error=ERRNO-NAME (or TIMEOUT)       (exit 1)
# local is getsockname() after the exchange; fromlen how many fields the
# peer address has (2 for sockaddr_in, 4 for sockaddr_in6).
import errno
import socket
import sys

mode, host, port, tag = sys.argv[1], sys.argv[2], int(sys.argv[3]), \
    sys.argv[4]
fam = socket.AF_INET6 if ":" in host else socket.AF_INET
s = socket.socket(fam, socket.SOCK_DGRAM)
s.settimeout(5)
try:
    if mode == "connected":
        s.connect((host, port))
        s.send(tag.encode())
        data = s.recv(4096)
        peer = s.getpeername()
    else:
        s.sendto(tag.encode(), (host, port))
        data, peer = s.recvfrom(4096)
    local = s.getsockname()
except OSError as e:
    name = "TIMEOUT" if isinstance(e, socket.timeout) else \
        errno.errorcode.get(e.errno, str(e.errno))
    try:
        local = s.getsockname()
        print("local=%s:%d error=%s" % (local[0], local[1], name))
    except OSError:
        print("error=%s" % name)
    sys.exit(1)
print("local=%s:%d reply=%s from=%s:%d fromlen=%d"
      % (local[0], local[1], data.decode("ascii", "replace").replace(" ", "_"),
         peer[0], peer[1], len(peer)))
