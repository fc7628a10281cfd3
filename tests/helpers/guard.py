"""guard.py: helpers for 23-private-guard.sh (run inside the test's own
network and mount namespace).

  dns PORT                 a DNS server on 127.0.0.1:PORT (UDP) with the
                           test names below; everything else NXDOMAIN
  http ADDR PORT BODY LOG  an HTTP server answering BODY, one line per
                           request appended to LOG
  udp-echo ADDR PORT BODY  a UDP server answering BODY to every datagram
  get PROXY HOST PORT      SOCKS5 CONNECT with HOST sent as a domain
                           (ATYP 3, byte for byte), GET /, print the body
                           ("" when the proxy refuses or closes)
  udp PROXY HOST PORT      SOCKS5 UDP ASSOCIATE, one datagram to HOST (a
                           domain) and print the reply ("" after 2 s)
"""
import http.server
import socket
import struct
import sys

PUBLIC = "1.2.3.4"
A_NAMES = {
    "private.test": ["127.0.0.1"],
    "public.test": [PUBLIC],
    "mixed.test": [PUBLIC, "127.0.0.1"],
    "meta.test": ["169.254.169.254"],
}
AAAA_NAMES = {
    "v6.test": ["::1"],
    "mapped.test": ["::ffff:127.0.0.1"],
}
# rebind.test: the first A answer is public, every later one private.
rebind_seen = [0]


def answer(q):
    tid, flags, qd = struct.unpack(">HHH", q[:6])
    off, labels = 12, []
    while q[off]:
        labels.append(q[off + 1:off + 1 + q[off]].decode().lower())
        off += 1 + q[off]
    name = ".".join(labels)
    qtype, _ = struct.unpack(">HH", q[off + 1:off + 5])
    question = q[12:off + 5]
    if qtype == 1 and name == "rebind.test":
        addrs = [PUBLIC] if rebind_seen[0] == 0 else ["127.0.0.1"]
        rebind_seen[0] += 1
    elif qtype == 1:
        addrs = A_NAMES.get(name)
    elif qtype == 28:
        addrs = AAAA_NAMES.get(name)
    else:
        addrs = None
    known = name in A_NAMES or name in AAAA_NAMES or name == "rebind.test"
    rcode = 0 if known else 3
    rrs = b""
    for a in addrs or []:
        if qtype == 1:
            rd = socket.inet_pton(socket.AF_INET, a)
        else:
            rd = socket.inet_pton(socket.AF_INET6, a)
        # TTL 0: nothing may keep an answer between two lookups.
        rrs += b"\xc0\x0c" + struct.pack(">HHIH", qtype, 1, 0, len(rd)) + rd
    head = struct.pack(">HHHHHH", tid, 0x8180 | rcode, 1,
                       len(addrs or []), 0, 0)
    return head + question + rrs


def dns(port):
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind(("127.0.0.1", port))
    while True:
        q, peer = u.recvfrom(512)
        try:
            u.sendto(answer(q), peer)
        except (IndexError, struct.error, UnicodeDecodeError):
            pass


def serve_http(addr, port, body, log):
    class H(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            with open(log, "a") as f:
                f.write("%s %s\n" % (self.client_address[0], self.path))
            b = body.encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(b)))
            self.end_headers()
            self.wfile.write(b)

        def log_message(self, *a):
            pass

    cls = http.server.ThreadingHTTPServer
    if ":" in addr:
        class V6(cls):
            address_family = socket.AF_INET6
        cls = V6
    cls.allow_reuse_address = True
    cls((addr, port), H).serve_forever()


def udp_echo(addr, port, body):
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    u = socket.socket(fam, socket.SOCK_DGRAM)
    u.bind((addr, port))
    while True:
        _, peer = u.recvfrom(65535)
        u.sendto(body.encode(), peer)


def socks_hello(proxy):
    ph, pp = proxy.rsplit(":", 1)
    s = socket.create_connection((ph, int(pp)), timeout=5)
    s.sendall(b"\x05\x01\x00")
    if s.recv(2) != b"\x05\x00":
        raise OSError("method refused")
    return s


def domain(host, port):
    h = host.encode()
    return b"\x03" + bytes([len(h)]) + h + struct.pack(">H", port)


def get(proxy, host, port):
    out = b""
    try:
        s = socks_hello(proxy)
        s.sendall(b"\x05\x01\x00" + domain(host, port))
        rep = s.recv(4)
        if len(rep) < 4 or rep[1] != 0:
            return ""
        s.recv({1: 6, 4: 18, 3: 0}.get(rep[3], 0) or 6)
        s.sendall(b"GET / HTTP/1.0\r\nHost: x\r\n\r\n")
        while True:
            d = s.recv(4096)
            if not d:
                break
            out += d
    except OSError:
        pass
    return out.split(b"\r\n\r\n", 1)[1].decode() if b"\r\n\r\n" in out else ""


def udp(proxy, host, port):
    try:
        s = socks_hello(proxy)
        s.sendall(b"\x05\x03\x00\x01\x00\x00\x00\x00\x00\x00")
        rep = s.recv(10)
        relay = (socket.inet_ntoa(rep[4:8]), struct.unpack(">H", rep[8:10])[0])
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.settimeout(2)
        u.sendto(b"\x00\x00\x00" + domain(host, port) + b"ping", relay)
        d, _ = u.recvfrom(65535)
        # Reply header: RSV RSV FRAG ATYP ADDR PORT, then the data.
        off = {1: 10, 4: 22}.get(d[3], 7 + d[4] if d[3] == 3 else 10)
        return d[off:].decode()
    except OSError:
        return ""


def main():
    cmd, a = sys.argv[1], sys.argv[2:]
    if cmd == "dns":
        dns(int(a[0]))
    elif cmd == "http":
        serve_http(a[0], int(a[1]), a[2], a[3])
    elif cmd == "udp-echo":
        udp_echo(a[0], int(a[1]), a[2])
    elif cmd == "get":
        print(get(a[0], a[1], int(a[2])))
    elif cmd == "udp":
        print(udp(a[0], a[1], int(a[2])))
    else:
        raise SystemExit("unknown command " + cmd)


if __name__ == "__main__":
    main()
