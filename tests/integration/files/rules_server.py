# SPDX-License-Identifier: MIT
# tests/integration/files/rules_server.py - TCP and UDP listeners on many
# addresses and ports in one process (rules.sh, sections.sh, audit.sh).
#
#   rules_server.py LOG READY SPEC...
#
# SPEC is tcp:ADDR:PORT or udp:ADDR:PORT: ADDR an IPv4 or an IPv6 literal,
# the latter in brackets ([::1]) (0.0.0.0 and [::] for every address of the namespace; IPv6 listeners have
# IPV6_V6ONLY=1, so that each family has its own), PORT a number.  READY is
# written once every listener is up.
#
# Each TCP connection: one line is read (a tag, or an HTTP request line),
#   proto=tcp to=ADDR:PORT peer=ADDR tcp6=0|1 line=LINE
# is appended to LOG and sent back (as an HTTP response to an HTTP
# request).  to is the address the client reached (getsockname of the
# accepted socket; [v6]:port for IPv6), peer the client's address.  tcp6=1
# when the client's socket, if it lives in this network namespace, is in
# /proc/net/tcp6 at an IPv4-mapped address: an AF_INET6 socket underneath,
# whatever the client program believes.  Each UDP datagram:
#   proto=udp to=ADDR:PORT peer=ADDR line=DATA
# is logged and sent back to its sender.
import os
import select
import socket
import sys
import threading

log_path, ready_path = sys.argv[1], sys.argv[2]
lock = threading.Lock()


def log(text):
    with lock:
        with open(log_path, "a") as f:
            f.write(text + "\n")


def show(addr):
    if ":" in addr[0]:
        return "[%s]:%d" % (addr[0], addr[1])
    return "%s:%d" % (addr[0], addr[1])


def in_tcp6(peer_port):
    try:
        with open("/proc/net/tcp6") as f:
            next(f)
            for line in f:
                fields = line.split()
                addr, lport = fields[1].rsplit(":", 1)
                if (int(lport, 16) == peer_port and fields[3] == "01" and
                        addr[:24] == "0000000000000000FFFF0000"):
                    return 1
    except OSError:
        pass
    return 0


def serve_tcp(conn):
    try:
        conn.settimeout(5)
        here = show(conn.getsockname())
        peer = conn.getpeername()
        tcp6 = in_tcp6(peer[1])
        data = b""
        while b"\n" not in data and len(data) < 4096:
            chunk = conn.recv(4096)
            if not chunk:
                break
            data += chunk
        line = data.split(b"\n", 1)[0].decode("utf-8", "replace").strip()
        text = "proto=tcp to=%s peer=%s tcp6=%d line=%s" % (here, peer[0],
                                                          tcp6, line)
        log(text)
        if line.startswith(("GET ", "HEAD ")):
            while b"\r\n\r\n" not in data and len(data) < 65536:
                chunk = conn.recv(4096)
                if not chunk:
                    break
                data += chunk
            body = (text + "\n").encode()
            conn.sendall(b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n"
                         b"Content-Length: %d\r\nConnection: close\r\n\r\n"
                         % len(body) + body)
        else:
            conn.sendall((text + "\n").encode())
    except OSError as e:
        log("proto=tcp error=%s" % e)
    finally:
        conn.close()


socks = {}
for spec in sys.argv[3:]:
    proto, rest = spec.split(":", 1)
    addr, port = rest.rsplit(":", 1)
    addr = addr.strip("[]")
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    kind = socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM
    s = socket.socket(fam, kind)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if fam == socket.AF_INET6:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    s.bind((addr, int(port)))
    if proto == "tcp":
        s.listen(64)
    socks[s.fileno()] = (s, proto)

with open(ready_path + ".tmp", "w") as f:
    f.write("ready\n")
os.rename(ready_path + ".tmp", ready_path)

while True:
    ready, _, _ = select.select([s for s, _ in socks.values()], [], [])
    for s in ready:
        proto = socks[s.fileno()][1]
        try:
            if proto == "tcp":
                conn, _ = s.accept()
                threading.Thread(target=serve_tcp, args=(conn,),
                                 daemon=True).start()
            else:
                data, peer = s.recvfrom(4096)
                text = "proto=udp to=%s peer=%s line=%s" % (
                    show(s.getsockname()), peer[0],
                    data.decode("utf-8", "replace").strip())
                log(text)
                s.sendto(text.encode(), peer)
        except OSError:
            continue
