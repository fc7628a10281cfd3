#!/usr/bin/env python3
"""dnsd.py: the DNS server and client of tests/interop/16-dns.sh (dnslib).

  dnsd.py serve PORT LOG [alt]
                              answer the test zone on 127.0.0.1:PORT, UDP
                              and TCP; each question is appended to LOG
                              as "NAME TYPE"; alt: the other server, whose
                              A answers start with 172 and which also
                              knows altonly.test
  dnsd.py query PORT "NAME TYPE [tcp]"...
                              ask 127.0.0.1:PORT each question in turn;
                              print one line each: "RCODE flags=.. ttl=..
                              ANSWERS" or "timeout"; "sleep S" waits
"""
import socket
import socketserver
import struct
import sys
import threading
import time

sys.path.append("/usr/lib/python3/dist-packages")  # Debian's python3-dnslib
from dnslib import A, AAAA, MX, QTYPE, RCODE, RR, DNSRecord  # noqa: E402

# name -> list of (type, value, ttl); absent names are NXDOMAIN.
ZONE = {
    "a.test.": [("A", "10.1.1.1", 300)],
    "both.test.": [("A", "10.5.5.5", 300), ("AAAA", "fd00::5", 300)],
    "short.test.": [("A", "10.6.6.6", 1)],
    "h.test.": [("A", "10.99.99.99", 300)],     # hosts says otherwise
    "x.hd.test.": [("A", "10.99.99.98", 300)],  # hosts says otherwise
    "web.test.": [("A", "10.9.9.9", 300)],      # routed to "redir"
    "other.test.": [("A", "10.8.8.8", 300)],    # routed to the default
    "mx.test.": [("MX", "mail.mx.test.", 300)],
    "prio.test.": [("A", "10.10.10.10", 300)],  # alt has priority for it
    "pub.test.": [("A", "192.0.2.7", 300)],     # fails expectIps
    "viavmess.test.": [("A", "10.11.11.11", 300)],
    "gprio.test.": [("A", "10.13.13.13", 300)],   # geosite: priority
    "a.slow.test.": [("A", "10.14.14.14", 300)],  # after a silent server
}
ALT_ONLY = {"altonly.test.": [("A", "10.77.77.77", 300)]}


def answer(data, log, alt):
    q = DNSRecord.parse(data)
    qn = str(q.q.qname)
    qt = QTYPE[q.q.qtype]
    with open(log, "a") as f:
        f.write("%s %s\n" % (qn.rstrip("."), qt))
    r = q.reply()
    zone = dict(ZONE, **ALT_ONLY) if alt else ZONE
    if qn not in zone:
        r.header.rcode = RCODE.NXDOMAIN
        return r.pack()
    for t, v, ttl in zone[qn]:
        if t != qt:
            continue
        if alt and t == "A":
            v = "172." + v.split(".", 1)[1]
        rd = {"A": A, "AAAA": AAAA}.get(t)
        rd = rd(v) if rd else MX(v)
        r.add_answer(RR(qn, getattr(QTYPE, t), rdata=rd, ttl=ttl))
    return r.pack()


def serve(port, log, alt):
    class U(socketserver.BaseRequestHandler):
        def handle(self):
            data, sock = self.request
            sock.sendto(answer(data, log, alt), self.client_address)

    class T(socketserver.BaseRequestHandler):
        def handle(self):
            while True:
                h = self.request.recv(2)
                if len(h) < 2:
                    return
                n = struct.unpack("!H", h)[0]
                data = b""
                while len(data) < n:
                    c = self.request.recv(n - len(data))
                    if not c:
                        return
                    data += c
                out = answer(data, log, alt)
                self.request.sendall(struct.pack("!H", len(out)) + out)

    socketserver.ThreadingUDPServer.allow_reuse_address = True
    socketserver.ThreadingTCPServer.allow_reuse_address = True
    u = socketserver.ThreadingUDPServer(("127.0.0.1", port), U)
    t = socketserver.ThreadingTCPServer(("127.0.0.1", port), T)
    threading.Thread(target=u.serve_forever, daemon=True).start()
    t.serve_forever()


def query(port, name, qtype, tcp):
    q = DNSRecord.question(name, qtype)
    try:
        if tcp:
            s = socket.create_connection(("127.0.0.1", port), timeout=6)
            s.settimeout(6)
            p = q.pack()
            s.sendall(struct.pack("!H", len(p)) + p)
            n = struct.unpack("!H", s.recv(2))[0]
            data = b""
            while len(data) < n:
                data += s.recv(n - len(data))
        else:
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.settimeout(6)
            s.sendto(q.pack(), ("127.0.0.1", port))
            data = s.recv(65535)
    except (socket.timeout, OSError):
        print("timeout")
        return
    r = DNSRecord.parse(data)
    h = r.header
    flags = ",".join(f for f, on in (("qr", h.qr), ("aa", h.aa), ("rd", h.rd),
                                   ("ra", h.ra)) if on)
    ans = ["%s %s" % (QTYPE[a.rtype], str(a.rdata)) for a in r.rr]
    ttls = sorted(set(a.ttl for a in r.rr))
    same_q = r.q.qname == q.q.qname and r.q.qtype == q.q.qtype
    print("%s flags=%s ttl=%s id=%s q=%s %s" % (
        RCODE[h.rcode], flags, ",".join(map(str, ttls)) or "-",
        "ok" if h.id == q.header.id else "bad", "ok" if same_q else "bad",
        " ".join(ans) or "-"))


if __name__ == "__main__":
    if sys.argv[1] == "serve":
        serve(int(sys.argv[2]), sys.argv[3], len(sys.argv) > 4)
    else:
        for a in sys.argv[3:]:
            w = a.split()
            if w[0] == "sleep":
                time.sleep(float(w[1]))
                continue
            query(int(sys.argv[2]), w[0], w[1], len(w) > 2 and w[2] == "tcp")
            sys.stdout.flush()
