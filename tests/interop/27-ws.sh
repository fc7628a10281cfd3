#!/bin/sh
# streamSettings.network "ws" (and ws+tls), both ways against V2Ray 4.34:
# a v2ray client through our vserver and our vclient through a v2ray
# server, with AEAD and legacy headers, UDP, Mux (ours with ours: the bad
# input pair here, 29-ws-nginx's reverse links and nginx runs); dynamic
# ports whose detour inbound has its own ws streamSettings. Bad input on the
# ws port, answered as 4.34 answers it: another path (404, the connection
# kept: the next request on it upgrades), no upgrade (400), POST (405), a
# head too large (431, closed), garbage (400, closed), a client stopping
# mid-handshake (closed at policy.handshake), and after the upgrade a ping
# (pong), an oversized or fragmented control frame and an unmasked frame
# (close 1002); the server keeps serving. -test, -dump json/ini.
. "$(dirname "$0")/lib.sh"
need_v2ray
command -v openssl >/dev/null 2>&1 || { notok "openssl command present"; exit 1; }

C=$T/pki
make_pki $C
check "openssl made a CA and a leaf" test -s $C/localhost.crt

HTTP=$(free_port); ECHO=$(free_port); UECHO=$(free_port)
start http $VT http $HTTP
start echo $VT echo-tcp $ECHO
start uecho $VT echo-udp $UECHO
ID=$(cat /proc/sys/kernel/random/uuid)
SUM1M=$($VT pattern 1048576 | sha256sum)

# srv_ws PATH [tls]: server streamSettings; cli_ws PATH [tls] [HEADERS]
srv_ws() {
	t=""
	[ "${2:-}" = tls ] && t=", \"security\": \"tls\", \"tlsSettings\": {\"certificates\": [{\"certificateFile\": \"$C/localhost.crt\", \"keyFile\": \"$C/localhost.key\"}]}"
	echo "\"streamSettings\": {\"network\": \"ws\", \"wsSettings\": {\"path\": \"$1\"}$t},"
}
cli_ws() {
	t=""
	[ "${2:-}" = tls ] && t=", \"security\": \"tls\", \"tlsSettings\": {\"serverName\": \"localhost\", \"certificates\": [{\"usage\": \"verify\", \"certificateFile\": \"$C/ca.crt\"}]}"
	h=""
	[ -n "${3:-}" ] && h=", \"headers\": {$3}"
	echo "\"streamSettings\": {\"network\": \"ws\", \"wsSettings\": {\"path\": \"$1\"$h}$t},"
}
server_conf() { # PORT AID STREAM (LOGLEVEL from the environment)
cat <<JSON
{"log": {"loglevel": "${LOGLEVEL:-warning}"},
 "policy": {"levels": {"0": {"handshake": 2}}},
 "inbounds": [{"port": $1, "listen": "127.0.0.1", "protocol": "vmess", $3
   "settings": {"clients": [{"id": "$ID", "alterId": $2}]}}],
 "outbounds": [{"protocol": "freedom"}]}
JSON
}
client_conf() { # SOCKSPORT SERVERPORT AID STREAM [MUX]
cat <<JSON
{"log": {"loglevel": "warning"},
 "inbounds": [{"port": $1, "listen": "127.0.0.1", "protocol": "socks", "settings": {"udp": true}}],
 "outbounds": [{"protocol": "vmess", $4 ${5:-}
   "settings": {"vnext": [{"address": "127.0.0.1", "port": $2,
   "users": [{"id": "$ID", "alterId": $3, "security": "auto"}]}]}}]}
JSON
}
run() { # NAME ours|v2ray TOOL CONF
	if [ $2 = ours ]; then start $1 $BIN/$3 -c $4; else start $1 v2ray -config $4; fi
}
fetch() { curl -s --max-time 20 --socks5 127.0.0.1:$1 http://127.0.0.1:$HTTP/bytes/1048576 | sha256sum; }

# pair SERVER CLIENT AID NAME tls|plain [MUX] [CLIENT-HEADERS]
pair() {
	sp=$(free_port); cp=$(free_port)
	server_conf $sp $3 "$(srv_ws /ws $5)" >$T/s.json
	client_conf $cp $sp $3 "$(cli_ws /ws $5 "${7:-}")" "${6:-}" >$T/c.json
	run srv $1 vserver $T/s.json; run cli $2 vclient $T/c.json
	w=ws; [ "$5" = tls ] && w=ws+tls
	n="$1 server / $2 client over $w, $4"
	if ! wait_port $sp || ! wait_port $cp; then
		notok "$n: both started"; show_log srv; show_log cli
		stop_wait srv cli; return 1
	fi
	return 0
}
full() { # NAME
	check_eq "$1: 1 MiB download" "$SUM1M" fetch $cp
	check_eq "$1: echo 256 KiB" "OK" $VT tcp-echo-check 127.0.0.1:$cp 127.0.0.1 $ECHO 262144
	check_eq "$1: udp" "ECHO:u-ws" $VT socks5-udp 127.0.0.1:$cp 127.0.0.1 $UECHO u-ws
}
MUX='"mux": {"enabled": true, "concurrency": 4},'

pair ours v2ray 0 "AEAD" plain && { full "$n"; stop_wait srv cli; }
pair ours v2ray 4 "legacy alterId 4" tls && { full "$n"; stop_wait srv cli; }
pair ours v2ray 0 "AEAD, Mux" tls "$MUX" && {
	full "$n"
	check_eq "$n: 4 parallel downloads over one link" "4/4" sh -c "k=0; for i in 1 2 3 4; do (curl -s --max-time 20 --socks5 127.0.0.1:$cp http://127.0.0.1:$HTTP/bytes/1048576 | sha256sum >$T/par.\$i) & done; wait; for i in 1 2 3 4; do [ \"\$(cat $T/par.\$i)\" = '$SUM1M' ] && k=\$((k+1)); done; echo \$k/4"
	stop_wait srv cli; }
pair v2ray ours 0 "AEAD, Host header" plain "" '"Host": "example.test"' && { full "$n"; stop_wait srv cli; }
pair v2ray ours 4 "legacy alterId 4" tls && { full "$n"; stop_wait srv cli; }
pair v2ray ours 0 "AEAD, Mux" tls "$MUX" && { full "$n"; stop_wait srv cli; }

# Our client's upgrade request, as 4.34 writes it (header order, case,
# Host from the headers map, the path made absolute).
sp=$(free_port); cp=$(free_port)
python3 - $sp >$T/req.txt 2>&1 <<'PY' &
import socket, sys
l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(("127.0.0.1", int(sys.argv[1]))); l.listen(1); l.settimeout(10)
c, _ = l.accept(); c.settimeout(5); d = b""
while b"\r\n\r\n" not in d:
    d += c.recv(4096)
sys.stdout.write(d.decode())
PY
REQ_PID=$!; PIDS="$PIDS $REQ_PID"
cat >$T/c.json <<JSON
{"inbounds": [{"port": $cp, "listen": "127.0.0.1", "protocol": "socks"}],
 "outbounds": [{"protocol": "vmess", "streamSettings": {"network": "ws", "wsSettings": {"path": "p?ed=1",
   "headers": {"Host": "h.test", "x-my": "1", "Abc": "2"}}},
   "settings": {"vnext": [{"address": "127.0.0.1", "port": $sp, "users": [{"id": "$ID"}]}]}}]}
JSON
run cli ours vclient $T/c.json
wait_port $cp && curl -s --max-time 1 --socks5 127.0.0.1:$cp http://127.0.0.1:$HTTP/ >/dev/null
wait $REQ_PID
check_eq "our upgrade request as 4.34's" "GET /p?ed=1 HTTP/1.1|Host: h.test|User-Agent: Go-http-client/1.1|Abc: 2|Connection: Upgrade|Sec-WebSocket-Key: KEY|Sec-WebSocket-Version: 13|Upgrade: websocket|X-My: 1||" \
    sh -c "tr -d '\r' <$T/req.txt | sed 's/^Sec-WebSocket-Key: .*/Sec-WebSocket-Key: KEY/' | tr '\n' '|'"
stop_wait cli

# Bad input on a plain ws port (policy.handshake 2 s).
LOGLEVEL=info pair ours ours 0 "bad input" plain && {
	python3 $ROOT/tests/helpers/ws_probe.py 127.0.0.1 $sp wrong-then-right \
	    no-upgrade post big-head garbage stall ping big-ping frag-ping \
	    unmasked close >$T/probe.out 2>&1
	probe() { sed -n "s/^$1: //p" $T/probe.out; }
	check_eq "$n: another path: 404, kept; the next request on it upgrades" "404 open 101" probe wrong-then-right
	check_eq "$n: no upgrade: 400 Bad Request, kept" "400 open" probe no-upgrade
	check_eq "$n: POST: 405, kept" "405 open" probe post
	check_eq "$n: a head over 6 KiB: 431, closed" "431 closed" probe big-head
	check_eq "$n: garbage: 400, closed" "400 closed" probe garbage
	check_eq "$n: a request stopped halfway is closed at policy.handshake" "closed in time" probe stall
	check_eq "$n: a ping after the upgrade gets its pong" "pong ab" probe ping
	check_eq "$n: an oversized ping: close 1002" "close 1002" probe big-ping
	check_eq "$n: a fragmented ping: close 1002" "close 1002" probe frag-ping
	check_eq "$n: an unmasked client frame: close 1002" "close 1002" probe unmasked
	check_eq "$n: a close is echoed with its code" "close 1001" probe close
	check_eq "$n: the server still serves" "$SUM1M" fetch $cp
	check "$n: the server is still running" kill -0 $PID_srv
	sleep 1.2
	check "$n: the refusals are logged" sh -c "grep -q 'websocket: request for /nope, not the path (404)' $T/srv.log && grep -q 'rejected.*websocket: request head too large (431)' $T/srv.log"
	stop_wait srv cli; }

# Dynamic ports: the detour inbound's own ws+tls streamSettings on every
# worker port; a v2ray client moves there.
B=$(range_base); E=$((B + 99)); sp=$(free_port); cp=$(free_port)
cat >$T/dyn.json <<JSON
{"log": {"loglevel": "warning"},
 "inbounds": [{"port": $sp, "listen": "127.0.0.1", "protocol": "vmess", $(srv_ws /ws tls)
   "settings": {"clients": [{"id": "$ID", "alterId": 4}], "detour": {"to": "dyn"}}},
  {"tag": "dyn", "port": "$B-$E", "listen": "127.0.0.1", "protocol": "vmess", $(srv_ws /ws tls)
   "settings": {"default": {"alterId": 4}},
   "allocate": {"strategy": "random", "concurrency": 2, "refresh": 5}}],
 "outbounds": [{"protocol": "freedom"}]}
JSON
client_conf $cp $sp 4 "$(cli_ws /ws tls)" >$T/c.json
run srv ours vserver $T/dyn.json; run cli v2ray vclient $T/c.json
if wait_port $sp && wait_port $cp; then
	check_eq "dynamic ports over ws+tls: first fetch" "$SUM1M" fetch $cp
	check_eq "dynamic ports over ws+tls: the v2ray client moves to the range" "yes" python3 -c "
import socket, subprocess, time
held = []
for i in range(8):
    s = socket.create_connection(('127.0.0.1', $cp), 5)
    s.sendall(b'\x05\x01\x00'); s.recv(2)
    s.sendall(b'\x05\x01\x00\x01\x7f\x00\x00\x01' + ($ECHO).to_bytes(2, 'big')); s.recv(10)
    s.sendall(b'x'); s.recv(1)
    held.append(s)
    time.sleep(0.1)
out = subprocess.run(['ss', '-tnH', 'state', 'established', '( dport >= :$B and dport <= :$E )'], capture_output=True, text=True).stdout
print('yes' if out.strip() else 'no')"
	check_eq "dynamic ports over ws+tls: 1 MiB through a worker port" "$SUM1M" fetch $cp
else notok "dynamic ports over ws+tls: started"; show_log srv; show_log cli; fi
stop_wait srv cli

# wsSettings.acceptProxyProtocol: the PROXY header comes before the upgrade.
sp=$(free_port)
server_conf $sp 0 '"streamSettings": {"network": "ws", "wsSettings": {"path": "/ws", "acceptProxyProtocol": true}},' >$T/pp.json
run srv ours vserver $T/pp.json
if wait_port $sp; then
	check_eq "acceptProxyProtocol: a PROXY v1 header, then the upgrade: 101" "101" python3 -c "
import socket
s = socket.create_connection(('127.0.0.1', $sp), 3); s.settimeout(3)
s.sendall(b'PROXY TCP4 192.0.2.9 127.0.0.1 1111 $sp\r\nGET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n')
print(s.recv(64).split(b' ')[1].decode())"
	check_eq "acceptProxyProtocol: the upgrade without it: no 101" "no 101" python3 -c "
import socket
s = socket.create_connection(('127.0.0.1', $sp), 3); s.settimeout(3)
s.sendall(b'GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n')
try:
    d = s.recv(64)
except (socket.timeout, ConnectionResetError):
    d = b''
print('101' if b' 101 ' in d else 'no 101')"
else notok "acceptProxyProtocol: started"; show_log srv; fi
stop_wait srv

# Configuration: -test, -dump json and ini (and back).
sp=$(free_port)
server_conf $sp 0 "$(srv_ws /ws tls)" >$T/good.json
check "-test accepts a ws+tls server" $BIN/vserver -test -c $T/good.json
client_conf 1080 $sp 0 "$(cli_ws ws "" '"Host": "h.test", "X-A": "b"')" >$T/goodc.json
check "-dump json keeps wsSettings" sh -c "$BIN/vclient -dump json -c $T/goodc.json | tr -d ' \n' | grep -q '\"network\":\"ws\",\"wsSettings\":{\"path\":\"ws\",\"headers\":{\"Host\":\"h.test\",\"X-A\":\"b\"}}'"
$BIN/vclient -dump ini -c $T/goodc.json >$T/goodc.ini 2>$T/dump.err
check "-dump ini keeps ws settings, and loads again the same" sh -c "grep -q '^ws.path = ws' $T/goodc.ini && grep -q '^ws.host = h.test' $T/goodc.ini && grep -q '^ws.header = X-A: b' $T/goodc.ini && $BIN/vclient -dump json -format ini -c $T/goodc.ini | tr -d ' \n' | grep -q '\"headers\":{\"Host\":\"h.test\",\"X-A\":\"b\"}'"
client_conf 1080 $sp 0 "$(cli_ws /ws "" '"Upgrade": "x"')" >$T/bad1.json
check "-test refuses a client header the handshake sets itself" sh -c "! $BIN/vclient -test -c $T/bad1.json >$T/t1.out 2>&1 && grep -q 'Upgrade is the handshake' $T/t1.out"
