#!/usr/bin/env python3
# ws_probe.py HOST PORT MODE...: kinds of bad (or probing) input to a
# WebSocket server, all at once, printing "MODE: what came back" in a few
# words for each (27-ws.sh).
import os, socket, struct, sys, threading, time

host, port = sys.argv[1], int(sys.argv[2])
KEY = "dGhlIHNhbXBsZSBub25jZQ=="


def up(path="/ws", method="GET", extra=""):
    return ("%s %s HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\n"
            "Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"
            "Sec-WebSocket-Key: %s\r\n%s\r\n" % (method, path, KEY, extra)).encode()


def conn():
    s = socket.create_connection((host, port), 3)
    s.settimeout(3)
    return s


def recvn(s, n):
    d = b""
    while len(d) < n:
        c = s.recv(n - len(d))
        if not c:
            raise EOFError
        d += c
    return d


def head(s):
    """Status code of one response, its body read too."""
    d = b""
    while b"\r\n\r\n" not in d:
        c = s.recv(1)
        if not c:
            raise EOFError
        d += c
    lines = d.decode("latin-1").split("\r\n")
    code = lines[0].split(" ")[1]
    n = 0
    for l in lines[1:]:
        if l.lower().startswith("content-length:"):
            n = int(l.split(":")[1])
    if n:
        recvn(s, n)
    return code


def state(s, t=0.7):
    """open (nothing more within t), closed (after any unread body)."""
    s.settimeout(t)
    try:
        while s.recv(4096) != b"":
            pass
        return "closed"
    except socket.timeout:
        return "open"
    except ConnectionResetError:
        return "closed"


def frame(op, payload, fin=True, mask=True, ext16=False):
    b0 = (0x80 if fin else 0) | op
    n = len(payload)
    m = 0x80 if mask else 0
    if n < 126 and not ext16:
        h = bytes([b0, m | n])
    else:
        h = bytes([b0, m | 126]) + struct.pack(">H", n)
    if mask:
        k = os.urandom(4)
        payload = bytes(c ^ k[i % 4] for i, c in enumerate(payload))
        h += k
    return h + payload


def read_frame(s):
    b = recvn(s, 2)
    n = b[1] & 0x7F
    if n == 126:
        n = struct.unpack(">H", recvn(s, 2))[0]
    elif n == 127:
        n = struct.unpack(">Q", recvn(s, 8))[0]
    return b[0] & 0x0F, recvn(s, n)


def upgraded():
    s = conn()
    s.sendall(up())
    if head(s) != "101":
        raise SystemExit("no 101")
    return s


def close_code(s):
    op, p = read_frame(s)
    if op != 8:
        return "op %d" % op
    return "close %d" % struct.unpack(">H", p[:2])[0]


def probe(mode):
    if mode == "wrong-then-right":
        s = conn()
        s.sendall(up("/nope"))
        a = head(s)
        b = state(s)
        s.sendall(up())
        return "%s %s %s" % (a, b, head(s))
    if mode == "no-upgrade":
        s = conn()
        s.sendall(b"GET /ws HTTP/1.1\r\nHost: x\r\n\r\n")
        return "%s %s" % (head(s), state(s))
    if mode == "post":
        s = conn()
        s.sendall(up(method="POST", extra="Content-Length: 0\r\n"))
        return "%s %s" % (head(s), state(s))
    if mode == "big-head":
        s = conn()
        s.sendall(up(extra="X-A: " + "a" * 7000 + "\r\n"))
        return "%s %s" % (head(s), state(s, 2))
    if mode == "garbage":
        s = conn()
        s.sendall(b"garbage\r\n\r\n")
        return "%s %s" % (head(s), state(s, 2))
    if mode == "stall":
        s = conn()
        s.sendall(b"GET /ws HTTP/1.1\r\nHost: x\r\n")
        t = time.time()
        r = state(s, 6)
        d = time.time() - t
        if r == "closed" and 1.5 <= d <= 4:
            return "closed in time"
        return "%s after %.1f s" % (r, d)
    if mode == "ping":
        s = upgraded()
        s.sendall(frame(9, b"ab"))
        op, p = read_frame(s)
        return "%s %s" % ("pong" if op == 10 else "op %d" % op, p.decode())
    bad = {"big-ping": frame(9, b"x" * 126),
           "frag-ping": frame(9, b"ab", fin=False),
           "unmasked": frame(2, b"abcd", mask=False),
           "close": frame(8, struct.pack(">H", 1001))}
    if mode in bad:
        s = upgraded()
        s.sendall(bad[mode])
        return close_code(s)
    return "unknown mode " + mode


def run(mode, out):
    try:
        out[mode] = probe(mode)
    except (EOFError, ConnectionResetError):
        out[mode] = "closed early"
    except socket.timeout:
        out[mode] = "timeout"
    except Exception as e:
        out[mode] = "error %s" % e


# Every mode given at once (the slow ones wait on timers), one line each.
modes = sys.argv[3:]
res = {}
ts = [threading.Thread(target=run, args=(m, res)) for m in modes]
for t in ts:
    t.start()
for t in ts:
    t.join()
for m in modes:
    print("%s: %s" % (m, res.get(m)))
