# SPDX-License-Identifier: MIT
"""The loopback probes of tests/integration/loopback.sh.

loopback.py serve ADDR
    An AF_INET server bound to ADDR (port 0) and an AF_INET client of it,
    in one process: prints "bind=R listen=R connect=R peer=A local=A", R
    being ok or the errno's name at that step, A the address the server
    saw as its peer and the client's own local address.
loopback.py listen FAMILY READYFILE
    A TCP and a UDP listener of FAMILY (4: AF_INET on 0.0.0.0, 6: AF_INET6
    on [::] with IPV6_V6ONLY off) on one port, written to READYFILE; prints
    "tcp PEER" or "udp PEER" for each connection and datagram, until a
    file READYFILE.stop appears (30 s at most).
loopback.py knock SRC DST PORT
    From SRC, a TCP connect (3 s at most) and a UDP datagram to DST:PORT;
    prints "tcp ok|timeout|ERRNO".
"""
import errno
import os
import select
import socket
import sys


def name(e):
    return errno.errorcode.get(e.errno, str(e.errno))


def serve(addr):
    out = {}
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    steps = [("bind", lambda: srv.bind((addr, 0))),
             ("listen", lambda: srv.listen(1))]
    cli = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    steps.append(("connect",
                  lambda: cli.connect((addr, srv.getsockname()[1]))))
    for step, fn in steps:
        try:
            fn()
            out[step] = "ok"
        except OSError as e:
            out[step] = name(e)
            break
    if out.get("connect") == "ok":
        conn, peer = srv.accept()
        out["peer"] = peer[0]
        out["local"] = cli.getsockname()[0]
    print(" ".join("%s=%s" % kv for kv in out.items()))


def listen(family, ready):
    fam = socket.AF_INET if family == "4" else socket.AF_INET6
    any_addr = "0.0.0.0" if fam == socket.AF_INET else "::"
    tcp = socket.socket(fam, socket.SOCK_STREAM)
    udp = socket.socket(fam, socket.SOCK_DGRAM)
    if fam == socket.AF_INET6:
        for s in (tcp, udp):
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    tcp.bind((any_addr, 0))
    port = tcp.getsockname()[1]
    udp.bind((any_addr, port))
    tcp.listen(8)
    with open(ready + ".tmp", "w") as f:
        f.write("%d\n" % port)
    os.rename(ready + ".tmp", ready)
    for _ in range(300):
        r, _, _ = select.select([tcp, udp], [], [], 0.1)
        if not r and os.path.exists(ready + ".stop"):
            break
        for s in r:
            if s is tcp:
                conn, peer = tcp.accept()
                conn.close()
                print("tcp", peer[0], flush=True)
            else:
                _, peer = udp.recvfrom(64)
                print("udp", peer[0], flush=True)


def knock(src, dst, port):
    fam = socket.AF_INET6 if ":" in dst else socket.AF_INET
    tcp = socket.socket(fam, socket.SOCK_STREAM)
    tcp.bind((src, 0))
    tcp.settimeout(3)
    try:
        tcp.connect((dst, int(port)))
        print("tcp ok")
    except socket.timeout:
        print("tcp timeout")
    except OSError as e:
        print("tcp", name(e))
    udp = socket.socket(fam, socket.SOCK_DGRAM)
    udp.bind((src, 0))
    udp.sendto(b"knock", (dst, int(port)))


if __name__ == "__main__":
    {"serve": serve, "listen": listen, "knock": knock}[sys.argv[1]](
        *sys.argv[2:])
