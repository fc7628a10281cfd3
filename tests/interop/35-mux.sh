#!/bin/sh
# Mux.Cool both ways against V2Ray 4.34: vclient with mux -> real v2ray
# server, real v2ray client with mux -> vserver, and ours with ours: many
# parallel sessions over few connections, large transfers, UDP through mux,
# and a client that half-closes still gets the whole response (4.34's
# client drops it).
. "$(dirname "$0")/lib.sh"
need_v2ray
ulimit -n 8192 2>/dev/null

HTTP=$(free_port); ECHO=$(free_port); UECHO=$(free_port); SLOW=$(free_port)
FLOOD=$(free_port)
start http $VT http $HTTP
start echo $VT echo-tcp $ECHO
start uecho $VT echo-udp $UECHO
start flood $VT flood-tcp $FLOOD 256
# Answers 0.3 s after the client half-closed.
start slow python3 -c "
import socket, threading, time
ls = socket.socket(); ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(('127.0.0.1', $SLOW)); ls.listen(16)
def h(c):
    d = b''
    while True:
        x = c.recv(100)
        if not x: break
        d += x
    time.sleep(0.3); c.sendall(b'done:' + d); c.close()
while True:
    c, _ = ls.accept(); threading.Thread(target=h, args=(c,), daemon=True).start()"
ID=$(cat /proc/sys/kernel/random/uuid)
SUM=$($VT pattern 4194304 | sha256sum)

# stuck_then_echo SOCKSPORT keep|close SECONDS: a session to the flood
# that nobody reads (kept, or closed after 1.5 s), then "ping" to the echo
# server over the same mux link; prints what came back within SECONDS.
stuck_then_echo() {
	python3 -c "
import socket, time
def socks(port):
    s = socket.create_connection(('127.0.0.1', $1), 5); s.settimeout($3)
    s.sendall(b'\x05\x01\x00'); s.recv(2)
    s.sendall(b'\x05\x01\x00\x01\x7f\x00\x00\x01' + port.to_bytes(2, 'big')); s.recv(10)
    return s
a = socks($FLOOD)
time.sleep(1.5)
if '$2' == 'close':
    a.close()
b = socks($ECHO)
b.sendall(b'ping')
got = b''
while len(got) < 4:
    d = b.recv(4 - len(got))
    if not d: break
    got += d
print(got.decode())"
}

pair() { # SERVER CLIENT
	sp=$(free_port); cp=$(free_port)
	cat >$T/s.json <<JSON
{"inbounds": [{"port": $sp, "listen": "127.0.0.1", "protocol": "vmess",
   "settings": {"clients": [{"id": "$ID", "alterId": 0}]}}],
 "outbounds": [{"protocol": "freedom"}]}
JSON
	cat >$T/c.json <<JSON
{"inbounds": [{"port": $cp, "listen": "127.0.0.1", "protocol": "socks", "settings": {"udp": true}}],
 "outbounds": [{"protocol": "vmess", "mux": {"enabled": true, "concurrency": 8},
   "settings": {"vnext": [{"address": "127.0.0.1", "port": $sp, "users": [{"id": "$ID", "alterId": 0}]}]}}]}
JSON
	if [ $1 = ours ]; then start srv $BIN/vserver -c $T/s.json; else start srv v2ray -config $T/s.json; fi
	if [ $2 = ours ]; then start cli $BIN/vclient -c $T/c.json; else start cli v2ray -config $T/c.json; fi
	n="$1 server / $2 client, mux"
	wait_port $sp && wait_port $cp || { notok "$n: started"; stop srv; stop cli; return; }
	check_eq "$n: fetch" "hello from vt" curl -s --max-time 10 --socks5 127.0.0.1:$cp http://127.0.0.1:$HTTP/
	check_eq "$n: 4 MiB download" "$SUM" sh -c "curl -s --max-time 30 --socks5 127.0.0.1:$cp http://127.0.0.1:$HTTP/bytes/4194304 | sha256sum"
	check_eq "$n: echo 1 MiB both ways" "OK" $VT tcp-echo-check 127.0.0.1:$cp 127.0.0.1 $ECHO 1048576
	check_eq "$n: 200 parallel sessions" "200/200" $VT concurrent 127.0.0.1:$cp 127.0.0.1 $ECHO 200
	links=$(ss -tnH state established "( dport = :$sp )" | wc -l)
	check "$n: sessions share few connections ($links links)" test "$links" -le 40
	check_eq "$n: udp through mux" "ECHO:mux-udp" $VT socks5-udp 127.0.0.1:$cp 127.0.0.1 $UECHO mux-udp
	# One session whose reader stops must not hold the others for good:
	# ours closes it once it takes nothing for 5 s (4.34 waits for its
	# idle timeout, 300 s); if its client goes away instead, the link
	# resumes at once (well before the 5 s rule).
	if [ $2 = ours ]; then
		check_eq "$n: a stuck session does not hold the link" "ping" \
		    stuck_then_echo $cp keep 20
		check_eq "$n: a stuck session that closes frees the link at once" \
		    "ping" stuck_then_echo $cp close 3
	fi
	# 4.34 drops the response on both ends (its client forgets the
	# session at End, its server's freedom closes): ours with ours keeps it.
	if [ $1 = ours ] && [ $2 = ours ]; then
		check_eq "$n: half-closed client still receives the response" "done:hello" python3 -c "
import socket
s = socket.create_connection(('127.0.0.1', $cp), 5); s.settimeout(5)
s.sendall(b'\x05\x01\x00'); s.recv(2)
s.sendall(b'\x05\x01\x00\x01\x7f\x00\x00\x01' + ($SLOW).to_bytes(2, 'big')); s.recv(10)
s.sendall(b'hello'); s.shutdown(socket.SHUT_WR)
b = b''
while True:
    d = s.recv(100)
    if not d: break
    b += d
print(b.decode())"
	fi
	stop srv; stop cli
	sleep 0.3
}
pair ours v2ray
pair v2ray ours
pair ours ours
