#!/bin/sh
# tcpSettings.acceptProxyProtocol: a PROXY protocol header (v1 text, v2
# binary) in front of a SOCKS or VMess connection names the client that
# routing (a `source` rule) and the access log see, the same as V2Ray 4.34
# (the same config on v2ray gives the same access lines); a connection
# without a header, or with a broken one, is closed, and the next good one
# is served; a v2ray client's VMess through relays that add the header,
# into our vserver over tcp and over ws (wsSettings.acceptProxyProtocol);
# handshakePerSource counts the named clients.
. "$(dirname "$0")/lib.sh"
need_v2ray

HTTP=$(free_port)
start http $VT http $HTTP
ID=$(cat /proc/sys/kernel/random/uuid)

# The SOCKS inbound takes PROXY headers; a source rule blocks 10.9.8.7.
socks_conf() { # PORT LOG
cat <<JSON
{"log": {"loglevel": "warning", "access": "$2"},
 "policy": {"levels": {"0": {"handshake": 2}}},
 "inbounds": [{"tag": "pp", "port": $1, "listen": "127.0.0.1", "protocol": "socks",
   "streamSettings": {"tcpSettings": {"acceptProxyProtocol": true}}}],
 "outbounds": [{"tag": "direct", "protocol": "freedom"},
   {"tag": "blocked", "protocol": "blackhole"}],
 "routing": {"rules": [{"type": "field", "source": ["10.9.8.7"], "outboundTag": "blocked"}]}}
JSON
}

# get PORT HEADER: the header (v1:SRC:SPORT, v2:SRC:SPORT, v2local, none,
# bad), then SOCKS5 CONNECT to the HTTP server and a GET; prints the
# status line or "closed".
get() {
	python3 - "$@" $HTTP <<'PY'
import ipaddress, socket, struct, sys
port, hdr, http = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
def v2(cmd, src, sport):
    ip = ipaddress.ip_address(src)
    if ip.version == 4:
        body = ip.packed + bytes([127, 0, 0, 1]) + struct.pack("!HH", sport, port)
        fam = 0x11
    else:
        body = ip.packed + ipaddress.ip_address("::1").packed + struct.pack("!HH", sport, port)
        fam = 0x21
    body += b"\x04\x00\x03abc"		# a TLV (PP2_TYPE_AUTHORITY), skipped
    return (b"\r\n\r\n\x00\r\nQUIT\n" + bytes([0x20 | cmd, fam]) +
            struct.pack("!H", len(body)) + body)
if hdr.startswith("v1:"):
    _, src, sport = hdr.split(":")
    pre = ("PROXY TCP4 %s 127.0.0.1 %s %d\r\n" % (src, sport, port)).encode()
elif hdr.startswith("v1-6:"):
    src, sport = hdr[5:].rsplit(":", 1)
    pre = ("PROXY TCP6 %s ::1 %s %d\r\n" % (src, sport, port)).encode()
elif hdr.startswith("v2:"):
    src, sport = hdr[3:].rsplit(":", 1)
    pre = v2(1, src, int(sport))
elif hdr == "v2local":
    pre = v2(0, "192.0.2.99", 1)
elif hdr == "bad":
    pre = b"PROXY TCP4 300.1.1.1 127.0.0.1 1 2\r\n"
else:
    pre = b""
s = socket.create_connection(("127.0.0.1", port), 3)
s.settimeout(4)
try:
    s.sendall(pre + b"\x05\x01\x00")
    if s.recv(2) != b"\x05\x00":
        raise OSError
    s.sendall(b"\x05\x01\x00\x01\x7f\x00\x00\x01" + struct.pack("!H", http))
    r = s.recv(10)
    if len(r) < 2 or r[1] != 0:
        raise OSError
    s.sendall(b"GET / HTTP/1.0\r\n\r\n")
    d = s.recv(100)
    print(d.split(b"\r\n")[0].decode() if d else "closed")
except OSError:
    print("closed")
PY
}

# Both implementations, same config, same inputs.
for impl in ours v2ray; do
	p=$(free_port); socks_conf $p $T/access.$impl >$T/s.$impl.json
	if [ $impl = ours ]; then start s$impl $BIN/vclient -c $T/s.$impl.json
	else start s$impl v2ray -config $T/s.$impl.json; fi
	eval "P_$impl=$p"
done
if wait_port $P_ours && wait_port $P_v2ray; then
	for impl in ours v2ray; do
		eval "p=\$P_$impl"
		{
		echo "v1 $(get $p v1:192.0.2.1:5555)"
		echo "v1-ipv6 $(get $p v1-6:2001:db8::7:6666)"
		echo "v2 $(get $p v2:198.51.100.7:4444)"
		echo "v2-ipv6 $(get $p v2:2001:db8::9:7777)"
		echo "v2-local $(get $p v2local)"
		echo "blocked-source $(get $p v1:10.9.8.7:1234)"
		echo "no-header $(get $p none)"
		echo "bad-header $(get $p bad)"
		echo "after $(get $p v1:192.0.2.2:5556)"
		} >$T/out.$impl
	done
	sleep 1.2	# access logs are flushed once a second
	check_eq "answers as v2ray's (status lines, or closed)" "$(cat $T/out.v2ray)" cat $T/out.ours
	check_eq "v1 and v2 answered, the blocked source, no and bad headers closed" \
	    "v1 HTTP/1.1 200 OK
v1-ipv6 HTTP/1.1 200 OK
v2 HTTP/1.1 200 OK
v2-ipv6 HTTP/1.1 200 OK
v2-local HTTP/1.1 200 OK
blocked-source closed
no-header closed
bad-header closed
after HTTP/1.1 200 OK" cat $T/out.ours
	for a in 192.0.2.1:5555 "\[2001:db8::7\]:6666" 198.51.100.7:4444 \
	    "\[2001:db8::9\]:7777" 192.0.2.2:5556; do
		check "access log: tcp:$a accepted (v2ray's says so too)" sh -c \
		    "grep -q 'tcp:$a accepted' $T/access.ours && grep -q 'tcp:$a accepted' $T/access.v2ray"
	done
	check "access log: v2 LOCAL keeps the connection's own address" \
	    grep -q "tcp:127.0.0.1:[0-9]* accepted tcp:127.0.0.1:$HTTP" $T/access.ours
	check "access log: the blocked source routed to blackhole by its PROXY address" \
	    grep -q "tcp:10.9.8.7:1234 accepted .*blocked" $T/access.ours
	check "no PROXY address made up for a closed connection" \
	    sh -c "! grep -q '300.1.1.1' $T/access.ours"
else
	notok "both SOCKS servers started"; show_log sours; show_log sv2ray
fi
stop sours; stop sv2ray

# policy.system.handshakePerSource counts the PROXY source, not the
# balancer: ten connections from 127.0.0.1, each named a different client
# and then silent, stay open past the cap of 2 and its 1 s grace.
p=$(free_port)
python3 - $p $T/access.cap <<'PY' >$T/cap.json
import json, sys
print(json.dumps({"log": {"loglevel": "warning", "access": sys.argv[2]},
  "policy": {"levels": {"0": {"handshake": 8}}, "system": {"handshakePerSource": 2}},
  "inbounds": [{"port": int(sys.argv[1]), "listen": "127.0.0.1", "protocol": "socks",
    "streamSettings": {"tcpSettings": {"acceptProxyProtocol": True}}}],
  "outbounds": [{"protocol": "freedom"}]}))
PY
start cap $BIN/vclient -c $T/cap.json
if wait_port $p; then
	check_eq "handshakePerSource counts each PROXY source: 10 of 10 still open" "10" python3 - $p <<'PY'
import socket, sys, time
port = int(sys.argv[1])
held = []
for i in range(10):
    s = socket.create_connection(("127.0.0.1", port), 3)
    s.sendall(("PROXY TCP4 192.0.2.%d 127.0.0.1 1000 %d\r\n" % (i + 10, port)).encode())
    held.append(s)
    if i == 4:
        time.sleep(1.5)
time.sleep(0.5)
n = 0
for s in held:
    s.setblocking(False)
    try:
        n += 0 if s.recv(1) == b"" else 1
    except BlockingIOError:
        n += 1
print(n)
PY
else
	notok "handshake cap server started"; show_log cap
fi
stop cap

# VMess: a v2ray client, relays that put a v2 header naming 203.0.113.5
# (tcp) or 203.0.113.6 (ws) in front of each connection, our vserver with
# tcpSettings / wsSettings acceptProxyProtocol.
sp=$(free_port); sp2=$(free_port); rp=$(free_port); rp2=$(free_port)
cp=$(free_port); cp2=$(free_port)
cat >$T/vs.json <<JSON
{"log": {"loglevel": "warning", "access": "$T/access.vs"},
 "inbounds": [{"port": $sp, "listen": "127.0.0.1", "protocol": "vmess",
   "streamSettings": {"tcpSettings": {"acceptProxyProtocol": true}},
   "settings": {"clients": [{"id": "$ID"}]}},
  {"port": $sp2, "listen": "127.0.0.1", "protocol": "vmess",
   "streamSettings": {"network": "ws", "wsSettings": {"path": "/pp", "acceptProxyProtocol": true}},
   "settings": {"clients": [{"id": "$ID"}]}}],
 "outbounds": [{"protocol": "freedom"}]}
JSON
cat >$T/vc.json <<JSON
{"inbounds": [{"tag": "t", "port": $cp, "listen": "127.0.0.1", "protocol": "socks"},
   {"tag": "w", "port": $cp2, "listen": "127.0.0.1", "protocol": "socks"}],
 "outbounds": [{"tag": "t", "protocol": "vmess", "settings": {"vnext": [{"address": "127.0.0.1",
   "port": $rp, "users": [{"id": "$ID"}]}]}},
   {"tag": "w", "protocol": "vmess", "streamSettings": {"network": "ws", "wsSettings": {"path": "/pp"}},
   "settings": {"vnext": [{"address": "127.0.0.1", "port": $rp2, "users": [{"id": "$ID"}]}]}}],
 "routing": {"rules": [{"type": "field", "inboundTag": ["w"], "outboundTag": "w"}]}}
JSON
pp_relay() { # LISTEN TARGET SOURCE-IP
	python3 - "$@" <<'PY' >/dev/null 2>&1 &
import socket, struct, sys, threading
l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(("127.0.0.1", int(sys.argv[1]))); l.listen(16)
def pump(a, b):
    try:
        while True:
            d = a.recv(65536)
            if not d:
                break
            b.sendall(d)
    except OSError:
        pass
    try:
        b.shutdown(socket.SHUT_WR)
    except OSError:
        pass
n = 0
while True:
    c, _ = l.accept()
    n += 1
    u = socket.create_connection(("127.0.0.1", int(sys.argv[2])))
    body = socket.inet_aton(sys.argv[3]) + bytes([127, 0, 0, 1]) + struct.pack("!HH", 40000 + n, 1)
    u.sendall(b"\r\n\r\n\x00\r\nQUIT\n\x21\x11" + struct.pack("!H", len(body)) + body)
    threading.Thread(target=pump, args=(c, u), daemon=True).start()
    threading.Thread(target=pump, args=(u, c), daemon=True).start()
PY
	PIDS="$PIDS $!"
}
pp_relay $rp $sp 203.0.113.5
pp_relay $rp2 $sp2 203.0.113.6
start vs $BIN/vserver -c $T/vs.json
start vc v2ray -config $T/vc.json
if wait_port $sp && wait_port $cp && wait_port $cp2; then
	SUM=$($VT pattern 1048576 | sha256sum)
	for x in "tcp $cp 203.0.113.5" "ws $cp2 203.0.113.6"; do
		set -- $x
		check_eq "v2ray client through a PROXY v2 relay into our vserver over $1: 1 MiB" "$SUM" \
		    sh -c "curl -s --max-time 20 --socks5 127.0.0.1:$2 http://127.0.0.1:$HTTP/bytes/1048576 | sha256sum"
	done
	sleep 1.2
	for x in "tcp 203.0.113.5" "ws 203.0.113.6"; do
		set -- $x
		check "vserver's access log names the $1 relay's client $2" \
		    grep -q "tcp:$2:4000[0-9] accepted tcp:127.0.0.1:$HTTP" $T/access.vs
	done
else
	notok "vmess pair started"; show_log vs; show_log vc
fi
stop vs; stop vc

# -test: the key is a boolean.
sed 's/"acceptProxyProtocol": true/"acceptProxyProtocol": "yes"/' $T/vs.json >$T/bad.json
check "-test refuses a non-boolean acceptProxyProtocol, naming it" sh -c \
    "! $BIN/vserver -test -c $T/bad.json >$T/bad.out 2>&1 && grep -q 'acceptProxyProtocol' $T/bad.out"
echo "1..$NTEST"
