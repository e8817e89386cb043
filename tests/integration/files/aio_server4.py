# SPDX-License-Identifier: MIT
# tests/integration/files/aio_server4.py - a legacy asyncio TCP server:
# AF_INET only, on the default event loop (selectors: epoll on Linux).
#
#   aio_server4.py READY PORT COUNT
#
# socket(AF_INET), bind(("0.0.0.0", PORT)), listen, handed to
# asyncio.start_server(sock=...); READY is written ("PORT") once it
# listens.  Each connection: read one line (TAG), print
#   tag=TAG peer=A:P peerlen=N
# (the transport's peername; peerlen: how many fields, 2 for sockaddr_in)
# and answer "TAG A:P".  After COUNT connections: print "served=COUNT" and
# exit.
import asyncio
import os
import socket
import sys

ready, port, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])


async def main():
    done = asyncio.Event()
    served = 0

    async def handle(reader, writer):
        nonlocal served
        try:
            line = await asyncio.wait_for(reader.readline(), 20)
            tag = line.decode("ascii", "replace").strip()
            peer = writer.get_extra_info("peername")
            print("tag=%s peer=%s:%d peerlen=%d" % (tag, peer[0], peer[1],
                                                    len(peer)), flush=True)
            writer.write(("%s %s:%d\n" % (tag, peer[0], peer[1])).encode())
            await writer.drain()
        finally:
            writer.close()
            served += 1
            if served >= count:
                done.set()

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("0.0.0.0", port))
    sock.listen(128)
    sock.setblocking(False)
    server = await asyncio.start_server(handle, sock=sock)
    with open(ready + ".tmp", "w") as f:
        f.write("%d\n" % port)
    os.rename(ready + ".tmp", ready)
    async with server:
        await done.wait()
    print("served=%d" % served, flush=True)


asyncio.run(main())
