# SPDX-License-Identifier: MIT
# tests/integration/files/udp_server4.py - a legacy UDP echo server: AF_INET
# only.
#
#   udp_server4.py READY ADDR PORT COUNT
#
# socket(AF_INET, SOCK_DGRAM), bind((ADDR, PORT)); then READY is written
# ("PORT"), and COUNT datagrams are answered one after the other, the even
# ones (0, 2, ...) with recvfrom() and sendto(), the odd ones with recvmsg()
# and sendmsg(), each to the address the receiving call gave.  For each it
# prints
#   n=N call=recvfrom|recvmsg from=A:P fromlen=N data=TAG
# (fromlen: how many fields the address has: 2 for sockaddr_in, 4 for
# sockaddr_in6) and sends back "echo TAG".  A failed sendto/sendmsg prints
#   n=N send error=ERRNO-NAME (or TypeError: not an AF_INET address)
import errno
import os
import socket
import sys

ready, addr, port, count = sys.argv[1], sys.argv[2], int(sys.argv[3]), \
    int(sys.argv[4])

s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((addr, port))
with open(ready + ".tmp", "w") as f:
    f.write("%d\n" % s.getsockname()[1])
os.rename(ready + ".tmp", ready)

for n in range(count):
    if n % 2 == 0:
        call = "recvfrom"
        data, peer = s.recvfrom(4096)
    else:
        call = "recvmsg"
        data, _, _, peer = s.recvmsg(4096)
    tag = data.decode("ascii", "replace").strip()
    print("n=%d call=%s from=%s:%d fromlen=%d data=%s"
          % (n, call, peer[0], peer[1], len(peer), tag), flush=True)
    try:
        if n % 2 == 0:
            s.sendto(b"echo " + data, peer)
        else:
            s.sendmsg([b"echo " + data], [], 0, peer)
    except OSError as e:
        print("n=%d send error=%s" % (n, errno.errorcode.get(e.errno,
                                                            str(e.errno))),
              flush=True)
    except (TypeError, ValueError) as e:
        # An address that is not an AF_INET (host, port) pair.
        print("n=%d send error=%s" % (n, type(e).__name__), flush=True)
