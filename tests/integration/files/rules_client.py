# SPDX-License-Identifier: MIT
# tests/integration/files/rules_client.py - a client that takes several
# steps in one process and says what each one met (rules.sh, sections.sh,
# audit.sh).
#
#   rules_client.py [--tag TAG] STEP...
#
# Each STEP is three words, KIND HOST PORT:
#   tcp, tcp4, tcp6   a TCP connection to HOST:PORT.  A literal HOST is not
#                     looked up: a socket of its own family connects to it,
#                     as a legacy program does.  A name is looked up with
#                     getaddrinfo(HOST, PORT, AF_UNSPEC (tcp), AF_INET
#                     (tcp4) or AF_INET6 (tcp6), SOCK_STREAM) and the first
#                     answer used.  TAG-N (N: the step's number, from 1) and
#                     a newline are sent, one line is read back.
#   udp               the same with SOCK_DGRAM: sendto() TAG-N, recvfrom()
#                     one datagram (3 s).
# One line per step, key=value words:
#   step=N kind=K host=H port=P gai=FAMILY/ADDR,...|raw
#     result=connected family=inet|inet6 so_domain=inet|inet6 peer=ADDR
#       peerlen=2|4 srv_to=... srv_peer=... srv_tcp6=...
#     result=error stage=gai|socket|connect|sendto|io exc=CLASS errno=N
#       err=NAME
# family is the socket object's family (what the program asked for),
# so_domain what getsockopt(SO_DOMAIN) says, peer what getpeername() (or,
# for udp, recvfrom()) gave, peerlen how many fields it has (2: a
# sockaddr_in).  srv_* are the server's words (rules_server.py).  err is
# the errno name, or the EAI_* name of a gaierror.  Exit status 0 when every
# step connected, else 1.
import errno
import ipaddress
import socket
import sys

args = sys.argv[1:]
tag = "t"
if args[:1] == ["--tag"]:
    tag, args = args[1], args[2:]
if not args or len(args) % 3:
    sys.exit("usage: rules_client.py [--tag TAG] KIND HOST PORT...")

eai = {}
for n in dir(socket):
    if n.startswith("EAI_"):
        eai.setdefault(getattr(socket, n), n)
FAMS = {socket.AF_INET: "inet", socket.AF_INET6: "inet6"}


def famname(f):
    return FAMS.get(f, str(int(f)))


def error(stage, e):
    if isinstance(e, socket.gaierror):
        name = eai.get(e.errno, str(e.errno))
    elif isinstance(e, socket.timeout):
        name = "TIMEOUT"
    else:
        name = errno.errorcode.get(e.errno, str(e.errno))
    return ["result=error", "stage=" + stage, "exc=" + type(e).__name__,
            "errno=%s" % e.errno, "err=" + name]


def literal(host):
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        return False


def step(n, kind, host, port):
    words = ["step=%d" % n, "kind=" + kind, "host=" + host, "port=%d" % port]
    stype = socket.SOCK_DGRAM if kind == "udp" else socket.SOCK_STREAM
    if literal(host):
        fam = socket.AF_INET6 if ":" in host else socket.AF_INET
        addr = (host, port)
        words.append("gai=raw")
    else:
        want = {"tcp4": socket.AF_INET, "tcp6": socket.AF_INET6}.get(
            kind, socket.AF_UNSPEC)
        try:
            infos = socket.getaddrinfo(host, port, want, stype)
        except OSError as e:
            return False, words + ["gai=-"] + error("gai", e)
        words.append("gai=" + ",".join("%s/%s" % (famname(i[0]), i[4][0])
                                       for i in infos))
        fam, addr = infos[0][0], infos[0][4]
    try:
        s = socket.socket(fam, stype)
    except OSError as e:
        return False, words + error("socket", e)
    s.settimeout(5 if stype == socket.SOCK_STREAM else 3)
    msg = ("%s-%d\n" % (tag, n)).encode()
    try:
        if stype == socket.SOCK_STREAM:
            try:
                s.connect(addr)
            except OSError as e:
                return False, words + error("connect", e)
            peer = s.getpeername()
            s.sendall(msg)
            data = b""
            while b"\n" not in data:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
        else:
            try:
                s.sendto(msg, addr)
            except OSError as e:
                return False, words + error("sendto", e)
            data, peer = s.recvfrom(4096)
        domain = s.getsockopt(socket.SOL_SOCKET, socket.SO_DOMAIN)
    except OSError as e:
        return False, words + error("io", e)
    finally:
        s.close()
    words += ["result=connected", "family=" + famname(s.family),
              "so_domain=" + famname(domain), "peer=%s" % peer[0],
              "peerlen=%d" % len(peer)]
    for w in data.decode("utf-8", "replace").split("\n")[0].split():
        if w.startswith(("to=", "peer=", "tcp6=")):
            words.append("srv_" + w)
    return True, words


ok = True
for i in range(0, len(args), 3):
    good, words = step(i // 3 + 1, args[i], args[i + 1], int(args[i + 2]))
    print(" ".join(words), flush=True)
    ok = ok and good
sys.exit(0 if ok else 1)
