# SPDX-License-Identifier: MIT
# tests/integration/files/nb_connect.py - a non-blocking connect, waited for
# with select(), poll() and epoll() in turn.
#
#   nb_connect.py HOST PORT
#
# For each of select, poll and epoll: a socket of HOST's family (an IPv4 or
# IPv6 literal), non-blocking; connect_ex((HOST, PORT)); wait (5 s) until
# writable with that mechanism; getsockopt(SO_ERROR).  Prints one line each:
#   wait=select connect_ex=EINPROGRESS writable=1 so_error=ECONNREFUSED
import errno
import select
import socket
import sys

host, port = sys.argv[1], int(sys.argv[2])
fam = socket.AF_INET6 if ":" in host else socket.AF_INET


def en(e):
    return errno.errorcode.get(e, str(e)) if e else "0"


def wait_select(s):
    return bool(select.select([], [s], [], 5)[1])


def wait_poll(s):
    p = select.poll()
    p.register(s, select.POLLOUT)
    return bool(p.poll(5000))


def wait_epoll(s):
    with select.epoll() as ep:
        ep.register(s.fileno(), select.EPOLLOUT)
        return bool(ep.poll(5))


for name, wait in (("select", wait_select), ("poll", wait_poll),
                   ("epoll", wait_epoll)):
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.setblocking(False)
    r = s.connect_ex((host, port))
    w = wait(s)
    e = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
    print("wait=%s connect_ex=%s writable=%d so_error=%s"
          % (name, en(r), w, en(e)))
    s.close()
