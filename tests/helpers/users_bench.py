"""users_bench.py: the "users" section of make bench. For each user count
(1, 1,000 and 10,000 users with alterId 0; 1,000 with alterId 16), vserver
and V2Ray 4.34 in turn as the VMess server behind the same v2ray client:

  - start: ms from exec until the port accepts, and RSS 1 s later;
  - set-up of a connection (SOCKS5 connect + one echoed byte through the
    v2ray client, a median) for the LAST user in the list while 16 other
    users connect in between (so it is never among the recently active),
    and for one user connecting again and again (recently active);
  - reload: vserver's SIGHUP with one user added, until "configuration
    reloaded" is logged; V2Ray 4.34 has no reload, so its figure is a
    restart (stop, start, port accepting).

usage: users_bench.py VSERVER BSINK MDFILE [ROUNDS]
Every process is started here, killed by PID, and bounded in time.
"""
import json
import os
import re
import select
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import time
import uuid

CASES = [(1, 0), (1000, 0), (10000, 0), (1000, 16)]
if os.environ.get("BENCH_USERS"):	# e.g. "10000:0,1000:16"
    CASES = [tuple(int(x) for x in c.split(":"))
             for c in os.environ["BENCH_USERS"].split(",")]
OTHERS = 16


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def ids(n):
    base = uuid.UUID(int=0x7e57).int
    return [str(uuid.UUID(int=(base + i * 104729) % (1 << 128), version=4))
            for i in range(n + 1)]


def server_conf(path, port, uids, n, aid):
    users = [{"id": uids[i], "alterId": aid, "email": "u%d@bench" % i}
             for i in range(n)]
    # The error log on the console (read through a pipe for the reload
    # time); no access log, which would fill that pipe.
    json.dump({"log": {"loglevel": "warning", "access": "none"},
               "inbounds": [{"port": port, "listen": "127.0.0.1",
                             "protocol": "vmess",
                             "settings": {"clients": users}}],
               "outbounds": [{"protocol": "freedom"}]}, open(path, "w"))


def client_conf(path, sport, uids, picks, aid, ports):
    json.dump({"log": {"loglevel": "warning"},
               "inbounds": [{"tag": "i%d" % k, "port": p, "listen": "127.0.0.1",
                             "protocol": "socks"} for k, p in enumerate(ports)],
               "outbounds": [{"tag": "o%d" % k, "protocol": "vmess",
                              "settings": {"vnext": [{"address": "127.0.0.1",
                                                      "port": sport, "users": [
                                  {"id": uids[u], "alterId": aid,
                                   "security": "aes-128-gcm"}]}]}}
                             for k, u in enumerate(picks)],
               "routing": {"rules": [{"type": "field", "inboundTag": ["i%d" % k],
                                      "outboundTag": "o%d" % k}
                                     for k in range(len(picks))]}},
              open(path, "w"))


def accepting(port):
    try:
        socket.create_connection(("127.0.0.1", port), 0.2).close()
        return True
    except OSError:
        return False


def wait_accepting(port, limit):
    end = time.monotonic() + limit
    while time.monotonic() < end:
        if accepting(port):
            return True
        time.sleep(0.002)
    return False


def rss_kib(pid):
    try:
        for line in open("/proc/%d/status" % pid):
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def stop(p):
    if p.poll() is None:
        p.terminate()
        try:
            p.wait(8)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def request(socks, sink):
    """SOCKS5 CONNECT to the sink, one echoed byte: seconds, or None."""
    t = time.perf_counter()
    try:
        s = socket.create_connection(("127.0.0.1", socks), 5)
        s.settimeout(5)
        s.sendall(b"\x05\x01\x00")
        if s.recv(2) != b"\x05\x00":
            return None
        s.sendall(b"\x05\x01\x00\x01\x7f\x00\x00\x01" + struct.pack(">H", sink))
        rep = s.recv(10)
        if len(rep) < 2 or rep[1] != 0:
            return None
        s.sendall(b"Ex")
        if s.recv(1) != b"x":
            return None
        s.close()
    except OSError:
        return None
    return time.perf_counter() - t


def start_server(kind, vserver, conf, port, limit):
    cmd = [vserver, "-c", conf] if kind == "vtools" else ["v2ray", "-config", conf]
    t = time.monotonic()
    p = subprocess.Popen(cmd, stderr=subprocess.DEVNULL,
                         stdout=subprocess.PIPE if kind == "vtools" else subprocess.DEVNULL)
    ok = wait_accepting(port, limit)
    return p, (time.monotonic() - t) * 1000 if ok else None


def measure(kind, vserver, sink, n, aid, rounds, tmp):
    uids = ids(n)
    sport = free_port()
    sconf = os.path.join(tmp, "s.json")
    server_conf(sconf, sport, uids, n, aid)
    res = {}
    srv, ms = start_server(kind, vserver, sconf, sport, 120)
    res["start"] = ms
    if ms is None:
        stop(srv)
        return res
    time.sleep(1)
    res["rss"] = rss_kib(srv.pid)
    last, active = n - 1, n // 2
    others = [i % n for i in range(OTHERS)]
    picks = others + [last, active]
    ports = [free_port() for _ in picks]
    cconf = os.path.join(tmp, "c.json")
    client_conf(cconf, sport, uids, picks, aid, ports)
    cli = subprocess.Popen(["v2ray", "-config", cconf],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for p in ports:
            wait_accepting(p, 10)
        for p in ports:		# warm both processes up
            request(p, sink)
        cold, warm = [], []
        for _ in range(rounds):
            for p in ports[:OTHERS]:
                request(p, sink)
            d = request(ports[OTHERS], sink)
            if d is not None:
                cold.append(d * 1e6)
        for _ in range(rounds):
            d = request(ports[OTHERS + 1], sink)
            if d is not None:
                warm.append(d * 1e6)
        res["cold"] = statistics.median(cold) if cold else None
        res["warm"] = statistics.median(warm) if warm else None
        # Reload with one user more.
        server_conf(sconf, sport, uids, n + 1, aid)
        if kind == "vtools":
            # vserver times its own reload (load, check, new engine) and
            # logs it; the log reaches the pipe within a second.
            fd = srv.stdout.fileno()
            srv.send_signal(signal.SIGHUP)
            got, end = b"", time.monotonic() + 60
            while time.monotonic() < end and not re.search(
                    rb"reloaded in (\d+) ms", got):
                if select.select([fd], [], [], 0.5)[0]:
                    got += os.read(fd, 65536)
            m = re.search(rb"reloaded in (\d+) ms", got)
            if m:
                res["reload"] = float(m.group(1))
        else:
            t = time.monotonic()
            stop(srv)
            srv, ms = start_server(kind, vserver, sconf, sport, 120)
            if ms is not None:
                res["reload"] = (time.monotonic() - t) * 1000
    finally:
        stop(cli)
        stop(srv)
    return res


def main():
    vserver, sink_bin, md = sys.argv[1], sys.argv[2], sys.argv[3]
    rounds = int(sys.argv[4]) if len(sys.argv) > 4 else 30
    sinkport = free_port()
    sink = subprocess.Popen([sink_bin, "serve", str(sinkport)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    rows = []
    try:
        wait_accepting(sinkport, 5)
        with tempfile.TemporaryDirectory(prefix="vtools-users.") as tmp:
            for n, aid in CASES:
                r = {k: measure(k, vserver, sinkport, n, aid, rounds, tmp)
                     for k in ("vtools", "v2ray")}
                rows.append((n, aid, r))
                print_case(n, aid, r)
    finally:
        stop(sink)
    write_md(md, rows, rounds)


FIGS = [("start", "Start until the port accepts, ms", "%.0f"),
        ("rss", "RSS 1 s after start, MiB", None),
        ("cold", "Set-up, last user (not recently active), median µs", "%.0f"),
        ("warm", "Set-up, a recently active user, median µs", "%.0f"),
        ("reload", "SIGHUP with one user added, ms (V2Ray: restart)", "%.0f")]


def cell(r, key, fmt, side):
    v = r[side].get(key)
    if v is None:
        return "n/a"
    if key == "rss":
        v = v / 1024.0
        fmt = "%.1f"
    if key == "reload" and v < 1:
        return "< 1"		# logged in whole ms
    s = fmt % v
    if side == "vtools":
        w = r["v2ray"].get(key)
        if w:
            s += " (%.2f×)" % (r["vtools"][key] / w)
    return s


def print_case(n, aid, r):
    print("  %d users, alterId %d" % (n, aid))
    for key, label, fmt in FIGS:
        print("    %-58s | %-18s | %s" % (label.replace("µ", "u"),
              cell(r, key, fmt, "vtools"), cell(r, key, fmt, "v2ray")))
    sys.stdout.flush()


def write_md(path, rows, rounds):
    with open(path, "w") as f:
        f.write("\n### Many users\n\nOne VMess inbound with N users (emails set), "
                "vserver or V2Ray 4.34, behind the same v2ray client (AEAD, "
                "aes-128-gcm); set-up = SOCKS5 connect and one echoed byte, "
                "median of %d. Ratios are to V2Ray (lower is better).\n\n"
                "| Users | Figure | vtools (vserver) | V2Ray 4.34 |\n"
                "|---|---|---:|---:|\n" % rounds)
        for n, aid, r in rows:
            for key, label, fmt in FIGS:
                f.write("| %s × alterId %d | %s | %s | %s |\n" % (
                    format(n, ","), aid, label, cell(r, key, fmt, "vtools"),
                    cell(r, key, fmt, "v2ray")))


if __name__ == "__main__":
    main()
