# SPDX-License-Identifier: MIT
# tests/integration/files/dns64_probe.py - what a program sees of names
# and peers behind DNS64 and NAT64 (dns64.sh): several steps in one
# process, one line each.
#
#   dns64_probe.py [--tag TAG] STEP...
#
# Each STEP is three words, KIND HOST PORT:
#   gai4 gai6 gai     getaddrinfo(HOST, PORT, AF_INET, AF_INET6 or
#                     AF_UNSPEC, SOCK_STREAM): the addresses in libc's
#                     order, every entry (a duplicate shows twice)
#   gai4a gai6a gaia  the same with AI_ADDRCONFIG
#   ghbn              gethostbyname_ex(HOST): the h_addr_list
#   ghbn6             gethostbyname2(HOST, AF_INET6), called through ctypes
#                     (the preloaded hook, as a C program's call would be)
#   tcp4              an AF_INET TCP socket connect()ed to (HOST, PORT),
#                     as a legacy program does (python resolves a name with
#                     getaddrinfo(AF_INET)); TAG-N and a newline sent, one
#                     line read back
#   udp4              an AF_INET UDP socket: sendto (HOST, PORT) TAG-N,
#                     recvfrom one datagram (3 s)
#   tcp               a literal HOST on a socket of its own family
#   create            socket.create_connection((HOST, PORT)): AF_UNSPEC
#                     with AI_ADDRCONFIG off, each answer in turn
#   threads           8 threads, released at once, each a tcp4 step
#   unix, inet        an AF_UNIX or an AF_INET TCP socket, made and closed,
#                     nothing else (HOST, PORT ignored)
# One line per step, key=value words:
#   step=N kind=K result=ok addrs=A,B,...
#   step=N kind=K result=connected family=inet|inet6 peer=ADDR
#     peerport=P peerlen=2|4 srv_peer=ADDR
#   step=N kind=threads result=connected ok=8
#   step=N kind=K result=error stage=gai|connect|... err=NAME
# err is the errno name, or the EAI_* name of a gaierror, or h_errno's
# for ghbn6 (HOST_NOT_FOUND...).  Exit status 0 when every step succeeded.
import ctypes
import errno
import socket
import sys
import threading

args = sys.argv[1:]
tag = "t"
if args[:1] == ["--tag"]:
    tag, args = args[1], args[2:]
if len(args) % 3:
    sys.exit("usage: dns64_probe.py [--tag TAG] KIND HOST PORT...")

EAI = {}
for n in dir(socket):
    if n.startswith("EAI_"):
        EAI.setdefault(getattr(socket, n), n)
FAMS = {socket.AF_INET: "inet", socket.AF_INET6: "inet6"}
GAI = {"gai4": (socket.AF_INET, 0), "gai6": (socket.AF_INET6, 0),
       "gai": (socket.AF_UNSPEC, 0),
       "gai4a": (socket.AF_INET, socket.AI_ADDRCONFIG),
       "gai6a": (socket.AF_INET6, socket.AI_ADDRCONFIG),
       "gaia": (socket.AF_UNSPEC, socket.AI_ADDRCONFIG)}
H_ERRNO = {1: "HOST_NOT_FOUND", 2: "TRY_AGAIN", 3: "NO_RECOVERY",
           4: "NO_DATA", -1: "NETDB_INTERNAL"}


class Failed(Exception):
    def __init__(self, stage, name):
        super().__init__(stage)
        self.words = ["result=error", "stage=" + stage, "err=" + name]


def errname(e):
    if isinstance(e, socket.gaierror):
        return EAI.get(e.errno, str(e.errno))
    if isinstance(e, socket.timeout):
        return "TIMEOUT"
    return errno.errorcode.get(e.errno, str(e.errno))


def call(stage, fn, *a):
    try:
        return fn(*a)
    except OSError as e:
        raise Failed(stage, errname(e)) from e


def gai(kind, host, port):
    fam, flags = GAI[kind]
    infos = call("gai", socket.getaddrinfo, host, port, fam,
                 socket.SOCK_STREAM, 0, flags)
    return ["result=ok", "addrs=" + ",".join(i[4][0] for i in infos)]


def ghbn(host):
    addrs = call("gethostbyname", socket.gethostbyname_ex, host)[2]
    return ["result=ok", "addrs=" + ",".join(addrs)]


class HostEnt(ctypes.Structure):
    _fields_ = [("h_name", ctypes.c_char_p),
                ("h_aliases", ctypes.POINTER(ctypes.c_char_p)),
                ("h_addrtype", ctypes.c_int), ("h_length", ctypes.c_int),
                ("h_addr_list", ctypes.POINTER(ctypes.c_void_p))]


def ghbn6(host):
    libc = ctypes.CDLL(None, use_errno=True)
    libc.gethostbyname2.restype = ctypes.POINTER(HostEnt)
    libc.gethostbyname2.argtypes = [ctypes.c_char_p, ctypes.c_int]
    libc.__h_errno_location.restype = ctypes.POINTER(ctypes.c_int)
    he = libc.gethostbyname2(host.encode(), socket.AF_INET6)
    if not he:
        code = libc.__h_errno_location().contents.value
        raise Failed("gethostbyname2", H_ERRNO.get(code, str(code)))
    he = he.contents
    addrs, i = [], 0
    while he.h_addr_list[i]:
        raw = ctypes.string_at(he.h_addr_list[i], he.h_length)
        addrs.append(socket.inet_ntop(he.h_addrtype, raw))
        i += 1
    return ["result=ok", "addrs=" + ",".join(addrs)]


def talk(s, n, dgram, addr=None):
    msg = ("%s-%d\n" % (tag, n)).encode()
    if dgram:
        call("sendto", s.sendto, msg, addr)
        data, peer = call("recvfrom", s.recvfrom, 4096)
    else:
        peer = call("getpeername", s.getpeername)
        call("io", s.sendall, msg)
        data = b""
        while b"\n" not in data:
            chunk = call("io", s.recv, 4096)
            if not chunk:
                break
            data += chunk
    words = ["result=connected", "family=" + FAMS.get(s.family, "?"),
             "peer=%s" % peer[0], "peerport=%d" % peer[1],
             "peerlen=%d" % len(peer)]
    for w in data.decode("utf-8", "replace").split("\n")[0].split():
        if w.startswith("peer="):
            words.append("srv_" + w)
    return words


def connected(kind, host, port, n):
    if kind == "create":
        s = call("connect", socket.create_connection, (host, port), 5)
    else:
        fam = socket.AF_INET
        if kind == "tcp" and ":" in host:
            fam = socket.AF_INET6
        dgram = kind == "udp4"
        s = call("socket", socket.socket, fam,
                 socket.SOCK_DGRAM if dgram else socket.SOCK_STREAM)
        s.settimeout(3 if dgram else 5)
        if dgram:
            with s:
                return talk(s, n, True, (host, port))
        call("connect", s.connect, (host, port))
    with s:
        return talk(s, n, False)


def threads(host, port, n):
    gate = threading.Barrier(8)
    results = []

    def one(i):
        gate.wait()
        try:
            connected("tcp4", host, port, n * 100 + i)
            results.append("ok")
        except Failed as e:
            results.append(e.words[-1])
    ts = [threading.Thread(target=one, args=(i,)) for i in range(8)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    bad = [r for r in results if r != "ok"]
    if bad:
        raise Failed("connect", ",".join(sorted(set(bad))))
    return ["result=connected", "ok=%d" % len(results)]


def bare_socket(fam):
    s = call("socket", socket.socket, fam, socket.SOCK_STREAM)
    s.close()
    return ["result=ok"]


def step(n, kind, host, port):
    if kind in GAI:
        return gai(kind, host, port)
    if kind == "ghbn":
        return ghbn(host)
    if kind == "ghbn6":
        return ghbn6(host)
    if kind == "threads":
        return threads(host, port, n)
    if kind in ("unix", "inet"):
        return bare_socket(socket.AF_UNIX if kind == "unix" else
                           socket.AF_INET)
    return connected(kind, host, port, n)


ok = True
for i in range(0, len(args), 3):
    n, kind = i // 3 + 1, args[i]
    words = ["step=%d" % n, "kind=" + kind]
    try:
        words += step(n, kind, args[i + 1], int(args[i + 2]))
    except Failed as e:
        words += e.words
        ok = False
    print(" ".join(words), flush=True)
sys.exit(0 if ok else 1)
