#!/usr/bin/env python3
"""capture_relay.py: a loopback relay that records what passes, for
capture.sh (fuzz seed corpora from real sessions).

  capture_relay.py tcp LPORT RPORT OUT [SECONDS]
  capture_relay.py udp LPORT RPORT OUT [SECONDS]
  capture_relay.py udpecho PORT [SECONDS]
  capture_relay.py socksudp SOCKSPORT ECHOPORT OUT

tcp: every accepted connection k is relayed to 127.0.0.1:RPORT (RPORT 0:
nothing is dialled, the client's bytes are only recorded, for TLS
ClientHellos); written are OUT-k.c2s and OUT-k.s2c (the first 64 KB of each
direction), OUT-k.c2s.N (the first 8 reads from the client, one file each,
e.g. the separate SOCKS messages) and OUT-k.time (unix time of the accept).
udp: datagrams from the (last) client are relayed to 127.0.0.1:RPORT and
the answers back; the first 40 of each direction are written as
OUT.c2s.N / OUT.s2c.N.
udpecho answers every datagram with itself. socksudp does a SOCKS5 UDP
ASSOCIATE (no auth) at SOCKSPORT and sends three datagrams to the echo at
ECHOPORT (IPv4 and domain address forms); the server's relayed answers
(SOCKS5 UDP headers as the server writes them) go to OUT.N.
Exits after SECONDS (default 60); loopback only.
"""
import os
import select
import socket
import sys
import threading
import time

KEEP = 64 * 1024
READS = 8
DATAGRAMS = 40


def save(path, data):
    with open(path, "wb") as f:
        f.write(data)


def tcp_conn(c, k, rport, out):
    save("%s-%d.time" % (out, k), b"%d\n" % int(time.time()))
    u = None
    if rport:
        try:
            u = socket.create_connection(("127.0.0.1", rport), 5)
            u.settimeout(None)
        except OSError:
            c.close()
            return
    rec = {c: bytearray(), u: bytearray()}
    save("%s-%d.c2s" % (out, k), b"")
    save("%s-%d.s2c" % (out, k), b"")
    reads = 0
    socks = [c] + ([u] if u else [])
    try:
        while socks:
            r, _, _ = select.select(socks, [], [], 30)
            if not r:
                break
            for s in r:
                d = s.recv(65536)
                if not d:
                    socks = []
                    break
                if len(rec[s]) < KEEP:
                    rec[s] += d[:KEEP - len(rec[s])]
                    # Saved as it grows: the relay may be stopped first.
                    save("%s-%d.%s" % (out, k, "c2s" if s is c else "s2c"),
                         bytes(rec[s]))
                if s is c:
                    if reads < READS:
                        save("%s-%d.c2s.%d" % (out, k, reads), d)
                        reads += 1
                    if u:
                        u.sendall(d)
                else:
                    c.sendall(d)
    except OSError:
        pass
    finally:
        for s in (c, u):
            if s:
                s.close()


def tcp(lport, rport, out, deadline):
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", lport))
    ls.listen(64)
    k = 0
    while time.time() < deadline:
        r, _, _ = select.select([ls], [], [], 0.5)
        if not r:
            continue
        c, _ = ls.accept()
        threading.Thread(target=tcp_conn, args=(c, k, rport, out),
                         daemon=True).start()
        k += 1


def udp(lport, rport, out, deadline):
    ls = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    ls.bind(("127.0.0.1", lport))
    us = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    us.connect(("127.0.0.1", rport))
    peer = None
    n = {"c2s": 0, "s2c": 0}
    while time.time() < deadline:
        r, _, _ = select.select([ls, us], [], [], 0.5)
        for s in r:
            try:
                if s is ls:
                    d, peer = ls.recvfrom(65536)
                    us.send(d)
                    way = "c2s"
                else:
                    d = us.recv(65536)
                    if peer is None:
                        continue
                    ls.sendto(d, peer)
                    way = "s2c"
            except OSError:
                continue
            if n[way] < DATAGRAMS:
                save("%s.%s.%d" % (out, way, n[way]), d)
                n[way] += 1


def udpecho(port, deadline):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", port))
    while time.time() < deadline:
        r, _, _ = select.select([s], [], [], 0.5)
        if r:
            d, a = s.recvfrom(65536)
            s.sendto(d, a)


def socksudp(sport, eport, out):
    c = socket.create_connection(("127.0.0.1", sport), 5)
    c.sendall(b"\x05\x01\x00")
    c.recv(2)
    c.sendall(b"\x05\x03\x00\x01\x00\x00\x00\x00\x00\x00")
    rep = c.recv(64)
    bport = int.from_bytes(rep[8:10], "big")
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.settimeout(3)
    p = eport.to_bytes(2, "big")
    # a DNS query for example.com as the payload
    q = bytes.fromhex("123401000001000000000000076578616d706c6503636f6d0000010001")
    heads = [b"\x00\x00\x00\x01\x7f\x00\x00\x01" + p,
             b"\x00\x00\x00\x03\x09localhost" + p,
             b"\x00\x00\x00\x01\x7f\x00\x00\x01" + p]
    for i, h in enumerate(heads):
        u.sendto(h + q * (i + 1), ("127.0.0.1", bport))
        try:
            save("%s.%d" % (out, i), u.recv(65536))
        except OSError:
            pass
    c.close()


def main():
    if len(sys.argv) >= 3 and sys.argv[1] == "udpecho":
        udpecho(int(sys.argv[2]), time.time() +
                (float(sys.argv[3]) if len(sys.argv) > 3 else 60))
        return
    if len(sys.argv) == 5 and sys.argv[1] == "socksudp":
        socksudp(int(sys.argv[2]), int(sys.argv[3]), sys.argv[4])
        return
    if len(sys.argv) < 5 or sys.argv[1] not in ("tcp", "udp"):
        sys.exit(__doc__)
    lport, rport, out = int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    secs = float(sys.argv[5]) if len(sys.argv) > 5 else 60
    os.makedirs(os.path.dirname(out) or ".", exist_ok=True)
    (tcp if sys.argv[1] == "tcp" else udp)(lport, rport, out,
                                           time.time() + secs)


if __name__ == "__main__":
    main()
