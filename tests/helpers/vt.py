#!/usr/bin/env python3
"""vt.py: small servers and clients for the end-to-end tests (loopback only).

  vt.py free-port                         print a free TCP+UDP port on 127.0.0.1
  vt.py echo-tcp PORT                     TCP echo server
  vt.py echo-udp PORT                     UDP echo server ("ECHO:" + payload)
  vt.py flood-tcp PORT MIB                TCP server sending MIB MiB of zeros to whoever connects,
                                          as fast as it is taken
  vt.py http PORT                         HTTP server: / → "hello from vt", /bytes/N → N bytes,
                                          /host → the Host header it saw
  vt.py socks5-udp PROXY HOST PORT MSG    UDP ASSOCIATE through PROXY (host:port), send MSG,
                                          print the reply payload
  vt.py socks5-raw PROXY HEX              send HEX bytes on TCP, print the reply as hex
  vt.py tcp-echo-check PROXY HOST PORT N  CONNECT through SOCKS5, send N random bytes to an echo
                                          server, check they come back; prints OK
  vt.py pattern N                         write N bytes of the test pattern to stdout
"""
import hashlib, os, socket, socketserver, struct, sys, threading, time, http.server

def pattern(n):
    out = bytearray()
    i = 0
    while len(out) < n:
        out += hashlib.sha256(str(i).encode()).digest()
        i += 1
    return bytes(out[:n])

def free_port():
    for _ in range(100):
        t = socket.socket(); t.bind(("127.0.0.1", 0)); p = t.getsockname()[1]
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            u.bind(("127.0.0.1", p))
        except OSError:
            t.close(); continue
        t.close(); u.close()
        return p
    raise SystemExit("no free port")

class Echo(socketserver.BaseRequestHandler):
    def handle(self):
        while True:
            d = self.request.recv(65536)
            if not d:
                break
            self.request.sendall(d)

class TS(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True
    request_queue_size = 4096

class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a):
        pass
    def do_GET(self):
        if self.path.startswith("/bytes/"):
            body = pattern(int(self.path[7:]))
        elif self.path == "/host":
            body = (self.headers.get("Host") or "").encode()
        else:
            body = b"hello from vt\n"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Content-Type", "application/octet-stream")
        self.end_headers()
        self.wfile.write(body)

def socks_addr(host, port):
    try:
        return b"\x01" + socket.inet_aton(host) + struct.pack(">H", port)
    except OSError:
        return b"\x03" + bytes([len(host)]) + host.encode() + struct.pack(">H", port)

def recvn(s, n):
    b = b""
    while len(b) < n:
        d = s.recv(n - len(b))
        if not d:
            raise SystemExit("short read")
        b += d
    return b

def socks5_connect(proxy, host, port):
    ph, pp = proxy.rsplit(":", 1)
    s = socket.create_connection((ph, int(pp)), timeout=10)
    s.sendall(b"\x05\x01\x00")
    if recvn(s, 2) != b"\x05\x00":
        raise SystemExit("method refused")
    s.sendall(b"\x05\x01\x00" + socks_addr(host, port))
    rep = recvn(s, 4)
    if rep[1] != 0:
        raise SystemExit("connect refused %d" % rep[1])
    recvn(s, {1: 6, 4: 18}[rep[3]])
    return s

def main():
    cmd = sys.argv[1]
    a = sys.argv[2:]
    if cmd == "free-port":
        print(free_port())
    elif cmd == "echo-tcp":
        TS((os.environ.get("VT_BIND", "127.0.0.1"), int(a[0])), Echo).serve_forever()
    elif cmd == "echo-udp":
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.bind(("127.0.0.1", int(a[0])))
        while True:
            d, peer = u.recvfrom(65535)
            u.sendto(b"ECHO:" + d, peer)
    elif cmd == "flood-tcp":
        ls = socket.socket(); ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        ls.bind(("127.0.0.1", int(a[0]))); ls.listen(16)
        blk = bytes(65536)
        def flood(c):
            try:
                for _ in range(int(a[1]) * 16):
                    c.sendall(blk)
            except OSError:
                pass
            c.close()
        while True:
            c, _ = ls.accept()
            threading.Thread(target=flood, args=(c,), daemon=True).start()
    elif cmd == "http":
        http.server.ThreadingHTTPServer.allow_reuse_address = True
        http.server.ThreadingHTTPServer.request_queue_size = 1024
        # VT_BIND: lib.sh's public_net serves on every address.
        bind = os.environ.get("VT_BIND", "127.0.0.1")
        http.server.ThreadingHTTPServer((bind, int(a[0])), H).serve_forever()
    elif cmd == "record-relay":
        # TCP relay LISTEN -> TARGET that saves everything the first client
        # that sends anything (the VMess request header and body) sends to
        # FILE. A connection that sends nothing (a port probe such as
        # lib.sh's wait_port) is not the one recorded.
        ls = socket.socket(); ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        ls.bind(("127.0.0.1", int(a[0]))); ls.listen(16)
        taken = threading.Lock()
        def pump(src, dst, record):
            rec = None
            try:
                while True:
                    d = src.recv(65536)
                    if not d:
                        break
                    if record and rec is None and taken.acquire(blocking=False):
                        rec = open(a[2], "wb")
                    record = rec is not None
                    if rec:
                        rec.write(d); rec.flush()
                    dst.sendall(d)
            except OSError:
                pass
            try:
                dst.shutdown(socket.SHUT_WR)
            except OSError:
                pass
        while True:
            c, _ = ls.accept()
            th, tp = a[1].rsplit(":", 1)
            u = socket.create_connection((th, int(tp)))
            threading.Thread(target=pump, args=(c, u, True), daemon=True).start()
            threading.Thread(target=pump, args=(u, c, False), daemon=True).start()
    elif cmd == "count-tcp":
        # Accept connections on PORT, answer "hi\n", count them in FILE.
        ls = socket.socket(); ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        ls.bind(("127.0.0.1", int(a[0]))); ls.listen(64)
        n = 0
        open(a[1], "w").write("0\n")
        while True:
            c, _ = ls.accept()
            n += 1
            open(a[1], "w").write("%d\n" % n)
            try:
                c.sendall(b"hi\n"); c.close()
            except OSError:
                pass
    elif cmd == "send-file":
        # Send FILE's bytes to HOST:PORT, wait for the close; print how the
        # connection ended and how many reply bytes came back.
        h, p_ = a[0].rsplit(":", 1)
        s = socket.create_connection((h, int(p_)), timeout=10)
        s.sendall(open(a[1], "rb").read())
        got = 0
        try:
            while True:
                d = s.recv(65536)
                if not d:
                    break
                got += len(d)
        except (socket.timeout, ConnectionResetError):
            pass
        print(got)
    elif cmd == "garbage-close":
        # Send N random bytes; print "closed" if the server ends the
        # connection within 5 s without answering, else what happened.
        h, p_ = a[0].rsplit(":", 1)
        s = socket.create_connection((h, int(p_)), timeout=5)
        try:
            s.sendall(os.urandom(int(a[1])))
            d = s.recv(100)
            print("closed" if d == b"" else "answered")
        except ConnectionResetError:
            print("closed")
        except BrokenPipeError:
            print("closed")
        except socket.timeout:
            print("still open")
    elif cmd == "concurrent":
        # N concurrent SOCKS5 CONNECTs through PROXY to an echo server at
        # HOST:PORT, each echoing 1 KiB; print how many succeeded.
        import asyncio
        ph, pp = a[0].rsplit(":", 1)
        host, port, n = a[1], int(a[2]), int(a[3])
        async def one(i):
            try:
                r, w = await asyncio.wait_for(asyncio.open_connection(ph, int(pp)), 30)
                w.write(b"\x05\x01\x00"); await w.drain()
                await asyncio.wait_for(r.readexactly(2), 30)
                w.write(b"\x05\x01\x00" + socks_addr(host, port)); await w.drain()
                rep = await asyncio.wait_for(r.readexactly(10), 30)
                data = os.urandom(1024)
                w.write(data); await w.drain()
                got = await asyncio.wait_for(r.readexactly(1024), 60)
                w.close()
                return got == data
            except Exception:
                return False
        async def main_():
            res = await asyncio.gather(*[one(i) for i in range(n)])
            return sum(1 for x in res if x)
        print("%d/%d" % (asyncio.run(main_()), n))
    elif cmd == "lossy-udp":
        # UDP relay LISTEN -> TARGET_PORT on 127.0.0.1 that drops LOSS % of
        # datagrams both ways and delays 0-20 ms (so some reorder).
        import random, select, heapq
        lport, tport, loss = int(a[0]), int(a[1]), float(a[2]) / 100.0
        random.seed(int(a[3]) if len(a) > 3 else 1)
        # Every socket is drained on each wake-up and has room for a
        # burst, so the only loss is the one asked for (a relay that
        # falls behind would add its own, and its own delay).
        def udp_sock():
            sk = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            sk.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
            sk.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
            sk.setblocking(False)
            return sk
        front = udp_sock()
        front.bind(("127.0.0.1", lport))
        backs = {}      # client addr -> socket toward the target
        rev = {}        # back socket fd -> (socket, client addr)
        q = []          # (due, seq, sock, data, addr)
        seq = 0
        while True:
            now = time.time()
            timeout = max(0.0, q[0][0] - now) if q else 0.5
            r, _, _ = select.select([front] + [b for b, _ in rev.values()], [], [], timeout)
            now = time.time()
            for sk in r:
                for _ in range(512):
                    try:
                        if sk is front:
                            d, addr = front.recvfrom(65535)
                        else:
                            d = sk.recv(65535)
                    except OSError:     # drained (EAGAIN) or gone
                        break
                    if sk is front:
                        if addr not in backs:
                            b = udp_sock()
                            b.connect(("127.0.0.1", tport))
                            backs[addr] = b; rev[b.fileno()] = (b, addr)
                        out, dest = backs[addr], None
                    else:
                        out, dest = front, rev[sk.fileno()][1]
                    if random.random() < loss:
                        continue
                    seq += 1
                    heapq.heappush(q, (now + random.random() * 0.02, seq, out, d, dest))
            while q and q[0][0] <= now:
                _, _, out, d, dest = heapq.heappop(q)
                try:
                    if dest is None:
                        out.send(d)
                    else:
                        out.sendto(d, dest)
                except OSError:
                    pass
    elif cmd == "demo-direct":
        # Rewrite a client config so that everything goes out directly
        # (the VMess outbound moves to the end of the list).
        import json, re
        txt = open(a[0]).read()
        txt = re.sub(r'(?m)^\s*//.*$', '', txt)
        c = json.loads(txt)
        outs = c.get("outbounds", [])
        direct = [o for o in outs if o.get("protocol") == "freedom"]
        if not direct:
            direct = [{"protocol": "freedom", "tag": "direct"}]
        c["outbounds"] = direct
        c.pop("routing", None)
        print(json.dumps(c, indent=2))
    elif cmd == "pattern":
        sys.stdout.buffer.write(pattern(int(a[0])))
    elif cmd == "socks5-udp":
        ph, pp = a[0].rsplit(":", 1)
        c = socket.create_connection((ph, int(pp)), timeout=10)
        c.sendall(b"\x05\x01\x00")
        assert recvn(c, 2) == b"\x05\x00"
        c.sendall(b"\x05\x03\x00\x01\x00\x00\x00\x00\x00\x00")
        rep = recvn(c, 4)
        if rep[1] != 0:
            raise SystemExit("udp associate refused %d" % rep[1])
        if rep[3] == 1:
            bnd = (socket.inet_ntoa(recvn(c, 4)), struct.unpack(">H", recvn(c, 2))[0])
        else:
            raise SystemExit("unexpected bnd atyp")
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.settimeout(5)
        u.sendto(b"\x00\x00\x00" + socks_addr(a[1], int(a[2])) + a[3].encode(), bnd)
        d, _ = u.recvfrom(65535)
        # skip RSV FRAG + address
        atyp = d[3]
        off = 4 + {1: 4, 4: 16}.get(atyp, 1 + (d[4] if len(d) > 4 else 0)) + 2
        sys.stdout.write(d[off:].decode(errors="replace") + "\n")
        c.close()
    elif cmd == "socks5-raw":
        ph, pp = a[0].rsplit(":", 1)
        s = socket.create_connection((ph, int(pp)), timeout=2)
        s.sendall(bytes.fromhex(a[1]))
        out = b""
        try:
            while True:
                d = s.recv(4096)
                if not d:
                    break
                out += d
        except (socket.timeout, ConnectionResetError):
            pass
        print(out.hex())
    elif cmd == "tcp-echo-check":
        s = socks5_connect(a[0], a[1], int(a[2]))
        n = int(a[3])
        data = os.urandom(n)
        def sender():
            s.sendall(data)
        t = threading.Thread(target=sender); t.start()
        got = recvn(s, n)
        t.join()
        print("OK" if got == data else "MISMATCH")
    else:
        raise SystemExit("unknown command " + cmd)

if __name__ == "__main__":
    main()
