#!/usr/bin/env python3
"""soak.py: the mixed load of tests/interop/80-soak.sh (loopback only).

  soak.py SECONDS SINK UECHO DEAD VMESS PATH...

Runs for SECONDS against a bsink server on 127.0.0.1:SINK (E echo, D
download, U upload) and a UDP echo server on 127.0.0.1:UECHO (vt.py
echo-udp); DEAD is a port nobody listens on, VMESS a VMess inbound that
gets garbage and silent connections. Each PATH is NAME=socks:PORT (a SOCKS5
inbound), NAME=mux:PORT (the same, Mux behind it: also carries the held
sessions) or NAME=direct:PORT (a public port of a reverse portal). The load:

  - fresh connections at RATE a second (SOAK_RATE, 20), round robin over a
    fixed mix: 1-4 KiB echoes on every path, connections reset in the
    middle of an echo, CONNECTs to DEAD, garbage and silent connections to
    VMESS (closed by its handshake timeout);
  - 2 long transfers, each repeated, rate-limited (SOAK_XFER_MIBS, 4 MiB/s):
    a download through the first socks path after the first ("C1" in the
    script) and an upload through the first one;
  - held sessions, 2 on each mux path and 1 on each direct one: a 64-byte
    echo every 0.5 s for 10 s, then a fresh session (so a reload or a
    restart always finds sessions in flight on a Mux or reverse link);
  - a UDP flow through each socks and mux path: UDP ASSOCIATE, a datagram
    every 0.2 s (a reply awaited 2 s at most) for 10 s, then the
    association is closed and a new one made.

Every socket operation has a timeout and every loop ends at the deadline;
in-flight work gets 12 s more, then the process exits regardless. Prints
one line per path and kind, then "total ..." for the script.
"""
import os, random, socket, struct, sys, threading, time
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vt import socks_addr, recvn  # noqa: E402

TIMEOUT = 10
lock = threading.Lock()
stats = {}      # (path, kind) -> [ok, failed]


def count(path, kind, good, n=1):
    with lock:
        s = stats.setdefault((path, kind), [0, 0])
        s[0 if good else 1] += n


def socks(port, host, dport, cmd=1):
    s = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
    try:
        s.sendall(b"\x05\x01\x00")
        if recvn(s, 2) != b"\x05\x00":
            raise OSError("method refused")
        s.sendall(b"\x05" + bytes([cmd]) + b"\x00" + socks_addr(host, dport))
        rep = recvn(s, 4)
        if rep[1] != 0:
            raise OSError("socks reply %d" % rep[1])
        bnd = recvn(s, {1: 6, 4: 18}[rep[3]])
    except BaseException:
        s.close()
        raise
    return s, bnd


class Load:
    def __init__(self, secs, sink, uecho, dead, vmess, paths):
        self.end = time.time() + secs
        self.sink, self.uecho, self.dead, self.vmess = sink, uecho, dead, vmess
        self.paths = paths      # [(name, kind, port)]

    def live(self):
        return time.time() < self.end

    def open(self, path, dport=None):
        """A connection to SINK (or dport) through path."""
        name, kind, port = path
        if kind == "direct":
            return socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
        return socks(port, "127.0.0.1", dport or self.sink)[0]

    # ---- fresh connections ------------------------------------------
    def echo(self, path):
        data = os.urandom(random.randrange(1024, 4097))
        try:
            with self.open(path) as s:
                s.sendall(b"E" + data)
                good = recvn(s, len(data)) == data
        except (OSError, SystemExit):
            good = False
        count(path[0], "echo", good)

    def reset(self, path):
        # An echo abandoned half way with a reset (SO_LINGER 0).
        try:
            s = self.open(path)
            s.sendall(b"E" + os.urandom(4096))
            s.recv(100)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            s.close()
            count(path[0], "reset", True)
        except (OSError, SystemExit):
            count(path[0], "reset", False)

    def refused(self, path):
        # CONNECT to a closed port: whatever the reply, the end is bounded.
        try:
            with self.open(path, self.dead) as s:
                s.sendall(b"E")
                s.recv(100)
        except (OSError, SystemExit):
            pass
        count(path[0], "refused", True)

    def garbage(self, silent):
        # A VMess inbound gets junk (or nothing) and must drop it in time.
        kind = "silent" if silent else "garbage"
        try:
            with socket.create_connection(("127.0.0.1", self.vmess), timeout=TIMEOUT) as s:
                if not silent:
                    s.sendall(os.urandom(random.randrange(20, 200)))
                while s.recv(4096):
                    pass
            count("vmess", kind, True)
        except socket.timeout:
            count("vmess", kind, False)
        except OSError:
            count("vmess", kind, True)

    def fresh(self, rate):
        socksp = [p for p in self.paths if p[1] != "direct"]
        direct = [p for p in self.paths if p[1] == "direct"]
        mix = []
        for p in self.paths:
            mix += [(self.echo, p)] * (3 if p[1] != "direct" else 2)
        for p in socksp:
            mix += [(self.reset, p), (self.refused, p)]
        for p in direct:
            mix.append((self.reset, p))
        mix += [(self.garbage, False), (self.garbage, True)]
        random.Random(13).shuffle(mix)
        slots = threading.BoundedSemaphore(64)
        t0 = time.time()
        with ThreadPoolExecutor(64) as ex:
            i = 0
            while self.live():
                due = t0 + i / rate
                now = time.time()
                if due > now:
                    time.sleep(due - now)
                fn, arg = mix[i % len(mix)]
                i += 1
                if not slots.acquire(blocking=False):
                    count("load", "skipped", False)
                    continue

                def job(fn=fn, arg=arg):
                    try:
                        fn(arg)
                    finally:
                        slots.release()
                ex.submit(job)

    # ---- long transfers ---------------------------------------------
    def transfer(self, path, up, mibs):
        chunk = 65536
        secs = 15
        size = int(mibs * secs) << 20
        kind = "upload" if up else "download"
        blk = os.urandom(chunk)
        while self.live():
            t0 = time.time()
            moved = 0
            try:
                with self.open(path) as s:
                    s.sendall((b"U" if up else b"D") + struct.pack(">Q", size))
                    while moved < size and self.live():
                        n = min(chunk, size - moved)
                        if up:
                            s.sendall(blk[:n])
                        else:
                            n = len(s.recv(n))
                            if n == 0:
                                raise OSError("closed early")
                        moved += n
                        ahead = t0 + moved / (mibs * 1048576) - time.time()
                        if ahead > 0:
                            time.sleep(ahead)
                    if moved == size and up and recvn(s, 1) != b"K":
                        raise OSError("no ack")
                count(path[0], kind, True)
            except (OSError, SystemExit):
                count(path[0], kind, False)
                time.sleep(0.5)
            count(path[0], kind + "-MiB", True, moved >> 20)

    # ---- held Mux sessions ------------------------------------------
    def held(self, path):
        while self.live():
            try:
                with self.open(path) as s:
                    for _ in range(20):
                        if not self.live():
                            break
                        d = os.urandom(64)
                        s.sendall(b"E" + d if _ == 0 else d)
                        count(path[0], "held-ping", recvn(s, 64) == d)
                        time.sleep(0.5)
            except (OSError, SystemExit):
                count(path[0], "held-ping", False)
                time.sleep(0.5)

    # ---- UDP flows ---------------------------------------------------
    def udp(self, path):
        while self.live():
            try:
                c, bnd = socks(path[2], "0.0.0.0", 0, cmd=3)
                with c, socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
                    dst = (socket.inet_ntoa(bnd[:4]), struct.unpack(">H", bnd[4:6])[0])
                    if dst[0] == "0.0.0.0":
                        dst = ("127.0.0.1", dst[1])
                    u.settimeout(2)
                    hdr = b"\x00\x00\x00" + socks_addr("127.0.0.1", self.uecho)
                    until = min(self.end, time.time() + 10)
                    while time.time() < until:
                        msg = os.urandom(8).hex().encode()
                        u.sendto(hdr + msg, dst)
                        try:
                            d = u.recv(65535)
                            good = d.endswith(b"ECHO:" + msg)
                        except socket.timeout:
                            good = False
                        count(path[0], "udp", good)
                        time.sleep(0.2)
            except (OSError, SystemExit, KeyError):
                count(path[0], "udp-assoc", False)
                time.sleep(0.5)


def main():
    secs, sink, uecho, dead, vmess = (int(x) for x in sys.argv[1:6])
    paths = []
    for a in sys.argv[6:]:
        name, rest = a.split("=", 1)
        kind, port = rest.split(":")
        paths.append((name, kind, int(port)))
    rate = float(os.environ.get("SOAK_RATE", "20"))
    mibs = float(os.environ.get("SOAK_XFER_MIBS", "4"))
    ld = Load(secs, sink, uecho, dead, vmess, paths)
    socksp = [p for p in paths if p[1] != "direct"]
    threads = [threading.Thread(target=ld.fresh, args=(rate,)),
               threading.Thread(target=ld.transfer, args=(socksp[1], False, mibs)),
               threading.Thread(target=ld.transfer, args=(socksp[0], True, mibs))]
    for p in socksp:
        threads.append(threading.Thread(target=ld.udp, args=(p,)))
    for p in paths:
        n = {"mux": 2, "direct": 1}.get(p[1], 0)
        threads += [threading.Thread(target=ld.held, args=(p,)) for _ in range(n)]
    for t in threads:
        t.daemon = True
        t.start()
    for t in threads:
        t.join(max(0.1, ld.end + 12 - time.time()))
    late = sum(1 for t in threads if t.is_alive())
    with lock:
        for (p, k), (good, bad) in sorted(stats.items()):
            print("%-8s %-14s %7d ok %5d failed" % (p, k, good, bad))
        print("total threads-late %d" % late)
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
