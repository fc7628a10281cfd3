#!/bin/sh
# network "http" (HTTP/2) at its edges: the answers of our h2 server beside
# V2Ray 4.34's to plain HTTP/2 requests (the right host and path: 200, a
# wrong path or host: 404, as 4.34; h2c without TLS on a server), bad input
# on our port (HTTP/1.1 after TLS, garbage frames, a client stopping
# mid-handshake or after the preface: closed at policy.handshake) while it
# keeps serving our client over one pooled connection, where a stream
# nobody reads holds back only itself and costs at most its windows;
# dynamic ports over h2; -test refusing a
# client without TLS, -dump json and ini, transport.httpSettings.
. "$(dirname "$0")/lib.sh"
need_v2ray
command -v openssl >/dev/null 2>&1 || { notok "openssl command present"; exit 1; }

C=$T/pki
check "openssl made a CA and two leaves" make_pki $C

HTTP=$(free_port)
start http $VT http $HTTP
ID=$(cat /proc/sys/kernel/random/uuid)
SUM1M=$($VT pattern 1048576 | sha256sum)
H2S='"httpSettings": {"host": ["a.test", "b.test"], "path": "/vt"}'
CA="\"certificates\": [{\"usage\": \"verify\", \"certificateFile\": \"$C/ca.crt\"}]"
TLS_SRV="\"security\": \"tls\", \"tlsSettings\": {\"certificates\": [{\"certificateFile\": \"$C/localhost.crt\", \"keyFile\": \"$C/localhost.key\"}]}"

server_conf() { # PORT STREAM-MEMBERS
cat <<JSON
{"log": {"loglevel": "warning"},
 "policy": {"levels": {"0": {"handshake": 2}}},
 "inbounds": [{"port": $1, "listen": "127.0.0.1", "protocol": "vmess",
   "streamSettings": {"network": "http", $H2S $2},
   "settings": {"clients": [{"id": "$ID", "alterId": 0}]}}],
 "outbounds": [{"protocol": "freedom"}]}
JSON
}
client_conf() { # SOCKSPORT SERVERPORT
cat <<JSON
{"log": {"loglevel": "warning"},
 "inbounds": [{"port": $1, "listen": "127.0.0.1", "protocol": "socks"}],
 "outbounds": [{"protocol": "vmess",
   "streamSettings": {"network": "h2", "security": "tls", $H2S, "tlsSettings": {"serverName": "localhost", $CA}},
   "settings": {"vnext": [{"address": "127.0.0.1", "port": $2,
   "users": [{"id": "$ID", "alterId": 0}]}]}}]}
JSON
}
fetch() { curl -s --max-time 20 --socks5 127.0.0.1:$1 http://127.0.0.1:$HTTP/bytes/1048576 | sha256sum; }
conns() { ss -tnH state established "( dport = :$1 )" | wc -l; }

# status PORT https|h2c HOST PATH: the status of a PUT with an empty body.
status() {
	if [ $2 = https ]; then o="--http2 -k"; else o="--http2-prior-knowledge"; fi
	c=$(curl -s $o -X PUT --max-time 3 -o /dev/null -w '%{http_code}' \
	    --connect-to $3:443:127.0.0.1:$1 --connect-to $3:80:127.0.0.1:$1 \
	    "$(echo $2 | sed 's/h2c/http/')://$3$4")
	echo "$3$4 $c"
}
answers() { # PORT https|h2c
	status $1 $2 a.test /vt
	status $1 $2 b.test /vt/more?q=1
	status $1 $2 a.test /v%74
	status $1 $2 a.test /other
	status $1 $2 c.test /vt
}
WANT="a.test/vt 200
b.test/vt/more?q=1 200
a.test/v%74 200
a.test/other 404
c.test/vt 404"

# The same requests to v2ray's h2 server and ours, over TLS and h2c.
for who in v2ray ours; do
	sp=$(free_port); hp=$(free_port)
	server_conf $sp ", $TLS_SRV" >$T/s-$who.json
	server_conf $hp "" >$T/h-$who.json
	if [ $who = ours ]; then
		start s$who $BIN/vserver -c $T/s-$who.json
		start h$who $BIN/vserver -c $T/h-$who.json
	else
		start s$who v2ray -config $T/s-$who.json
		start h$who v2ray -config $T/h-$who.json
	fi
	if wait_port $sp && wait_port $hp; then
		check_eq "$who h2 server: 200 for a host and path of the list, 404 otherwise" "$WANT" answers $sp https
		check_eq "$who h2c server (no TLS): the same answers" "$WANT" answers $hp h2c
	else notok "$who h2 servers started"; show_log s$who; show_log h$who; fi
	[ $who = v2ray ] && stop_wait s$who h$who
done

# Bad input on our h2+tls port (sp, policy.handshake 2 s); our client keeps
# fetching through it. probe PORT MODE: "closed" when the server closes
# (the stalled ones between 1.5 and 4 s).
probe() {
	python3 - "$@" <<'PY'
import os, socket, ssl, sys, time
port, mode = int(sys.argv[1]), sys.argv[2]
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
ctx.set_alpn_protocols(["http/1.1"] if mode == "http1" else ["h2"])
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), 2))
preface = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
settings = b"\x00\x00\x00\x04\x00\x00\x00\x00\x00"
send = {"http1": b"PUT /vt HTTP/1.1\r\nHost: a.test\r\n\r\n",
        # a frame of a type and length nobody sent, then noise
        "garbage": preface + settings + b"\xff\xff\xff\x01\x00\x00\x00\x00\x01" + os.urandom(512),
        "badpreface": b"PRI * HTTP/2.0\r\n\r\nXX\r\n\r\n" + settings,
        "halfpreface": preface[:12],
        "preface": preface + settings,
        "silent": b""}[mode]
if send:
    s.sendall(send)
s.settimeout(6)
t = time.time()
try:
    while s.recv(4096):
        pass
except socket.timeout:
    print("still open"); sys.exit()
except (ConnectionResetError, ssl.SSLError):
    pass
d = time.time() - t
timed = mode in ("halfpreface", "preface", "silent")
print("closed" if not timed or 1.5 <= d <= 4 else "closed after %.1f s" % d)
PY
}
# stuck SOCKSPORT PID...: a session to the flood server that nobody reads
# for 2 s, beside it an echo over the same connection; how much the
# processes grew meanwhile (flow control keeps each stream to its window).
stuck() {
	python3 - "$@" <<PY
import socket, sys, time
def rss():
    t = 0
    for p in sys.argv[2:]:
        for l in open("/proc/%s/status" % p):
            if l.startswith("VmRSS"):
                t += int(l.split()[1])
    return t
def socks(port):
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), 5); s.settimeout(5)
    s.sendall(b"\x05\x01\x00"); s.recv(2)
    s.sendall(b"\x05\x01\x00\x01\x7f\x00\x00\x01" + port.to_bytes(2, "big")); s.recv(10)
    return s
r0 = rss()
a = socks($FLOOD)
a.recv(1)
time.sleep(2)
b = socks($ECHO)
b.sendall(b"ping")
got = b""
while len(got) < 4:
    d = b.recv(4 - len(got))
    if not d: break
    got += d
grew = rss() - r0
print("%s, %s" % (got.decode(), "grew < 32 MiB" if grew < 32768 else "grew %d KiB" % grew))
PY
}
stuck_ping() { stuck "$@" | cut -d, -f1; }
# aborts SOCKSPORT: 40 sessions to the flood server, some not waiting for
# the SOCKS reply, closed after 0.5 s (half with a reset); then a fetch.
aborts() {
	python3 - $1 $FLOOD <<'PY'
import socket, sys, time
socks = []
for i in range(40):
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), 5)
    s.sendall(b"\x05\x01\x00"); s.recv(2)
    s.sendall(b"\x05\x01\x00\x01\x7f\x00\x00\x01" + int(sys.argv[2]).to_bytes(2, "big"))
    if i % 3:
        s.recv(10)
    socks.append(s)
time.sleep(0.5)
for i, s in enumerate(socks):
    if i % 2:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    s.close()
PY
	sleep 0.5
	fetch $1
}
ECHO=$(free_port); FLOOD=$(free_port)
start echo $VT echo-tcp $ECHO
start flood $VT flood-tcp $FLOOD 512
cp=$(free_port)
client_conf $cp $sp >$T/c.json
start cli $BIN/vclient -c $T/c.json
if wait_port $cp; then
	n="our h2 server"
	check_eq "$n: our client fetches 1 MiB" "$SUM1M" fetch $cp
	probe $sp halfpreface >$T/p1 & p1=$!
	probe $sp preface >$T/p2 & p2=$!
	probe $sp silent >$T/p3 & p3=$!
	check_eq "$n: HTTP/1.1 after TLS is closed" "closed" probe $sp http1
	check_eq "$n: garbage frames are closed" "closed" probe $sp garbage
	check_eq "$n: a wrong client preface is closed" "closed" probe $sp badpreface
	check_eq "$n: 8 fetches while under probes" "8/8" sh -c "k=0; for i in 1 2 3 4 5 6 7 8; do [ \"\$(curl -s --max-time 20 --socks5 127.0.0.1:$cp http://127.0.0.1:$HTTP/bytes/1048576 | sha256sum)\" = '$SUM1M' ] && k=\$((k+1)); done; echo \$k/8"
	wait $p1 $p2 $p3
	check_eq "$n: half a preface is closed at policy.handshake (2 s)" "closed" cat $T/p1
	check_eq "$n: a preface without a request is closed at policy.handshake" "closed" cat $T/p2
	check_eq "$n: silence after TLS is closed at policy.handshake" "closed" cat $T/p3
	# ASan's quarantine keeps what the flood freed: no memory bound then.
	if grep -q __asan_init $BIN/vserver 2>/dev/null; then
		check_eq "$n: a stream nobody reads holds back no other (memory not measured under ASan)" "ping" stuck_ping $cp
	else
		check_eq "$n: a stream nobody reads holds back neither the others nor much memory" "ping, grew < 32 MiB" stuck $cp $PID_sours $PID_cli
	fi
	check_eq "$n: 40 streams, half reset by their SOCKS client, then a fetch" "$SUM1M" aborts $cp
	check_eq "$n: our client's streams share one connection" "1" conns $sp
	check_eq "$n: still serves" "$SUM1M" fetch $cp
	check_eq "$n: 300 sessions at once" "300/300" $VT concurrent 127.0.0.1:$cp 127.0.0.1 $ECHO 300
	check_eq "$n: on a second connection past the server's 250 streams" "2" conns $sp
	check "$n: still running" kill -0 $PID_sours
else notok "our client started"; show_log cli; fi
stop_wait cli sours hours

# Dynamic ports over h2+tls: the detour inbound's workers speak HTTP/2
# too; a v2ray client moves there (a connection of its own per port).
B=$(range_base); E=$((B + 99)); sp=$(free_port); cp=$(free_port)
cat >$T/dyn.json <<JSON
{"log": {"loglevel": "warning"},
 "inbounds": [{"port": $sp, "listen": "127.0.0.1", "protocol": "vmess",
   "streamSettings": {"network": "http", $H2S, $TLS_SRV},
   "settings": {"clients": [{"id": "$ID", "alterId": 4}], "detour": {"to": "dyn"}}},
  {"tag": "dyn", "port": "$B-$E", "listen": "127.0.0.1", "protocol": "vmess",
   "streamSettings": {"network": "http", $H2S, $TLS_SRV},
   "settings": {"default": {"alterId": 4}},
   "allocate": {"strategy": "random", "concurrency": 2, "refresh": 5}}],
 "outbounds": [{"protocol": "freedom"}]}
JSON
client_conf $cp $sp | sed 's/"alterId": 0/"alterId": 4/' >$T/dc.json
start dsrv $BIN/vserver -c $T/dyn.json
start dcli v2ray -config $T/dc.json
moved() {
	for i in 1 2 3 4 5 6 7 8 9 10; do
		[ "$(fetch $cp)" = "$SUM1M" ] || { echo "fetch $i failed"; return; }
		if [ -n "$(ss -tnH state established "( dport >= :$B and dport <= :$E )")" ]; then
			echo "moved"; return
		fi
		sleep 0.3
	done
	echo "stayed on the main port"
}
if wait_port $sp && wait_port $cp; then
	check_eq "dynamic ports over h2+tls: a v2ray client moves to the range" "moved" moved
	check_eq "dynamic ports over h2+tls: 1 MiB through a worker port" "$SUM1M" fetch $cp
else notok "dynamic ports over h2+tls: started"; show_log dsrv; show_log dcli; fi
stop_wait dsrv dcli

# Configuration.
cat >$T/cnotls.json <<JSON
{"outbounds": [{"protocol": "vmess", "streamSettings": {"network": "http", $H2S},
  "settings": {"vnext": [{"address": "127.0.0.1", "port": 1, "users": [{"id": "$ID"}]}]}}]}
JSON
check "-test: an h2 client without TLS is refused, as 4.34 cannot dial it" sh -c "! $BIN/vclient -test -c $T/cnotls.json >$T/t1.out 2>&1 && grep -q 'needs security \"tls\"' $T/t1.out"
check "-test: an h2 server without TLS (h2c) is accepted" $BIN/vserver -test -c $T/h-ours.json
check "-dump json keeps httpSettings" sh -c "$BIN/vserver -dump json -c $T/s-ours.json | tr -d ' \n' | grep -q '\"network\":\"http\",\"httpSettings\":{\"host\":\\[\"a.test\",\"b.test\"\\],\"path\":\"/vt\"}'"
$BIN/vserver -dump ini -c $T/s-ours.json >$T/s.ini 2>$T/dump.err
check "-dump ini: network = h2, h2.host, h2.path" sh -c "grep -q '^network = h2' $T/s.ini && grep -q '^h2.host = a.test,b.test' $T/s.ini && grep -q '^h2.path = /vt' $T/s.ini"
check "the INI loads again and dumps the same JSON" sh -c "$BIN/vserver -dump json -format ini -c $T/s.ini >$T/a.json && $BIN/vserver -dump json -c $T/s-ours.json >$T/b.json && cmp $T/a.json $T/b.json"
sed -e "s|\"streamSettings\": {\"network\": \"http\", $H2S|\"streamSettings\": {\"network\": \"h2\"|" \
    -e "s|^{\"log\"|{\"transport\": {$H2S}, \"log\"|" $T/s-ours.json >$T/g.json
check "transport.httpSettings applies to a stream without its own" sh -c "$BIN/vserver -dump ini -c $T/g.json | grep -q '^h2.host = a.test,b.test'"
check "v2ray -test accepts the same global httpSettings" sh -c "v2ray -test -config $T/g.json >$T/g.out 2>&1"
