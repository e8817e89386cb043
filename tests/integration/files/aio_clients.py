# SPDX-License-Identifier: MIT
# tests/integration/files/aio_clients.py - many concurrent asyncio clients,
# each with a non-blocking connect of its own.
#
#   aio_clients.py HOST PORT N PREFIX
#
# N clients at once, on the default event loop: each makes a socket of
# HOST's family (an IPv4 or IPv6 literal), non-blocking, connect_ex() (a
# TCP connect on Linux, loopback included, answers EINPROGRESS), waits until
# the socket is writable (loop.add_writer: epoll), reads SO_ERROR (0 once
# connected), then sends "PREFIX-I" and reads the server's answer.  Prints
# one line per client:
#   client=I connect_ex=ERR so_error=ERR peer=A:P peerlen=N reply=...
# (reply words joined by "_"), and last "ok=K" (K: clients answered with
# their own tag).
import asyncio
import errno
import socket
import sys

host, port, n, prefix = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), \
    sys.argv[4]
fam = socket.AF_INET6 if ":" in host else socket.AF_INET


def en(e):
    return errno.errorcode.get(e, str(e)) if e else "0"


async def client(i):
    loop = asyncio.get_running_loop()
    sock = socket.socket(fam, socket.SOCK_STREAM)
    sock.setblocking(False)
    words = ["client=%d" % i]
    try:
        r = sock.connect_ex((host, port))
        words.append("connect_ex=%s" % en(r))
        if r == errno.EINPROGRESS:
            ready = loop.create_future()
            loop.add_writer(sock.fileno(),
                            lambda: ready.done() or ready.set_result(None))
            try:
                await asyncio.wait_for(ready, 10)
            finally:
                loop.remove_writer(sock.fileno())
        e = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        words.append("so_error=%s" % en(e))
        if e:
            sock.close()
            return words, False
        peer = sock.getpeername()
        words += ["peer=%s:%d" % (peer[0], peer[1]), "peerlen=%d" % len(peer)]
        reader, writer = await asyncio.open_connection(sock=sock)
        tag = "%s-%d" % (prefix, i)
        writer.write((tag + "\n").encode())
        await writer.drain()
        line = await asyncio.wait_for(reader.readline(), 10)
        writer.close()
        reply = line.decode("ascii", "replace").split()
        words.append("reply=" + "_".join(reply))
        return words, bool(reply) and reply[0] == tag
    except (OSError, asyncio.TimeoutError) as e:
        words.append("error=%s" % (en(e.errno) if getattr(e, "errno", None)
                                   else type(e).__name__))
        sock.close()
        return words, False


async def main():
    results = await asyncio.gather(*(client(i) for i in range(n)))
    for words, _ in results:
        print(" ".join(words))
    print("ok=%d" % sum(1 for _, ok in results if ok))


asyncio.run(main())
