#!/bin/sh
# tcpSettings.header type "http" (the HTTP disguise) both ways against V2Ray
# 4.34: a v2ray client through our vserver and our vclient through a v2ray
# server, with the default request and response, AEAD and legacy alterId
# headers, UDP and Mux; custom paths and fields both ways; the header under
# TLS (whole in the first record, as 4.34 needs it); the wire: the
# request our client writes and the response our server writes (4.34's
# defaults), the 404 for a path not configured, the 400 for a request that
# is not HTTP and for a valid header followed by no valid VMess request
# (the last two also through TLS),
# each the same as v2ray's answer on the same input.
. "$(dirname "$0")/lib.sh"
need_v2ray

# Ports from a block below the ephemeral range (32768 up): no outgoing
# connection of this busy machine can take one before it is bound.
B=$(python3 - <<'PY'
import random, socket
for _ in range(200):
    b = random.randrange(20000, 32700, 100)
    ok = True
    for p in range(b, b + 100):
        for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
            s = socket.socket(socket.AF_INET, kind)
            try:
                s.bind(("127.0.0.1", p))
            except OSError:
                ok = False
            s.close()
        if not ok:
            break
    if ok:
        print(b)
        break
PY
)
[ -n "$B" ] || { notok "a free block of ports below 32768"; exit 1; }
HTTP=$((B + 90)); ECHO=$((B + 91)); UECHO=$((B + 92))
start http $VT http $HTTP
start echo $VT echo-tcp $ECHO
start uecho $VT echo-udp $UECHO
ID=$(cat /proc/sys/kernel/random/uuid)
SUM1M=$($VT pattern 1048576 | sha256sum)

HDR='"streamSettings": {"network": "tcp", "tcpSettings": {"header": {"type": "http"}}},'
CUSTOM='"streamSettings": {"network": "tcp", "tcpSettings": {"header": {"type": "http",
  "request": {"version": "1.1", "method": "POST", "path": ["/up/a", "/up/b"],
    "headers": {"Host": ["cdn.example", "img.example"], "X-Test": "yes"}},
  "response": {"status": "202", "reason": "Accepted",
    "headers": {"Server": "nginx", "Content-Type": "text/plain"}}}}},'
fetch() { curl -s --max-time 20 --socks5 127.0.0.1:$1 http://127.0.0.1:$HTTP/bytes/1048576 | sha256sum; }
full() { # NAME
	check_eq "$1: 1 MiB download" "$SUM1M" fetch $cp
	check_eq "$1: echo 256 KiB" "OK" $VT tcp-echo-check 127.0.0.1:$cp 127.0.0.1 $ECHO 262144
	check_eq "$1: udp" "ECHO:u-hdr" $VT socks5-udp 127.0.0.1:$cp 127.0.0.1 $UECHO u-hdr
}
MUX='"mux": {"enabled": true, "concurrency": 4},'
# The header under TLS: 4.34 wants the header whole in the first record.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -days 2 -subj /CN=localhost -keyout $T/k.pem -out $T/c.pem >/dev/null 2>&1
TLSHDR_S='"streamSettings": {"security": "tls", "tlsSettings": {"certificates":
  [{"certificateFile": "'$T/c.pem'", "keyFile": "'$T/k.pem'"}]},
  "tcpSettings": {"header": {"type": "http"}}},'
TLSHDR_C='"streamSettings": {"security": "tls", "tlsSettings": {"serverName":
  "localhost", "allowInsecure": true}, "tcpSettings": {"header": {"type": "http"}}},'
run() { # NAME ours|v2ray TOOL CONF
	if [ $2 = ours ]; then start $1 $BIN/$3 -c $4; else start $1 v2ray -config $4; fi
}

# relay PORT TARGET FILE: a TCP relay saving both directions of its first
# connection to FILE.up and FILE.down.
relay() {
	python3 - "$@" <<'PY' >/dev/null 2>&1 &
import socket, sys, threading
l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(("127.0.0.1", int(sys.argv[1]))); l.listen(16)
def pump(a, b, rec):
    try:
        while True:
            d = a.recv(65536)
            if not d:
                break
            if rec:
                rec.write(d); rec.flush()
            b.sendall(d)
    except OSError:
        pass
    try:
        b.shutdown(socket.SHUT_WR)
    except OSError:
        pass
first = True
while True:
    c, _ = l.accept()
    u = socket.create_connection(("127.0.0.1", int(sys.argv[2])))
    up = open(sys.argv[3] + ".up", "wb") if first else None
    down = open(sys.argv[3] + ".down", "wb") if first else None
    first = False
    threading.Thread(target=pump, args=(c, u, up), daemon=True).start()
    threading.Thread(target=pump, args=(u, c, down), daemon=True).start()
PY
	PIDS="$PIDS $!"
}
# fields FILE: a recorded header's first line and field names.
fields() {
	python3 -c "
import sys
d = open(sys.argv[1], 'rb').read().split(b'\r\n\r\n')[0].decode('latin1').split('\r\n')
print(' | '.join([d[0]] + [x.split(':')[0] for x in d[1:]]))" "$1"
}

# wire PORT MODE: a server's answer to bad input (its header, Date's value
# left out).
wire() {
	python3 - "$@" <<'PY'
import os, socket, ssl, sys
port, mode = int(sys.argv[1]), sys.argv[2]
req = {"garbage": b"\x16\x03\x01\x00\x40" + os.urandom(100) + b"\r\n\r\n",
       "wrongpath": b"GET /nope HTTP/1.1\r\nHost: x\r\n\r\n",
       "novmess": b"GET / HTTP/1.1\r\nHost: x\r\n\r\n" + os.urandom(200)}[mode.replace("tls-", "")]
s = socket.create_connection(("127.0.0.1", port), 2)
if mode.startswith("tls-"):
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    s = ctx.wrap_socket(s, server_hostname="localhost")
s.sendall(req)
s.settimeout(5)
data = b""
try:
    while True:
        b = s.recv(4096)
        if not b:
            break
        data += b
except socket.timeout:
    data += b"<still open>"
head = data.split(b"\r\n\r\n")[0].decode("latin1").split("\r\n")
print(" | ".join(l if not l.startswith("Date:") else "Date" for l in head))
PY
}
MODES="garbage wrongpath novmess tls-wrongpath tls-novmess"

# duo SERVER CLIENT: one server with two inbounds (default and custom
# header, alterId 4) and one client with a SOCKS port per case, routed by
# inbound tag: AEAD, legacy alterId 4 and AEAD over Mux with the default
# header, AEAD and Mux with the custom one.
duo_server() { # PORT-DEFAULT PORT-CUSTOM PORT-TLS
cat <<JSON
{"log": {"loglevel": "warning"},
 "policy": {"levels": {"0": {"handshake": 2}}},
 "inbounds": [{"port": $1, "listen": "127.0.0.1", "protocol": "vmess", $HDR
   "settings": {"clients": [{"id": "$ID", "alterId": 4}]}},
  {"port": $2, "listen": "127.0.0.1", "protocol": "vmess", $CUSTOM
   "settings": {"clients": [{"id": "$ID", "alterId": 4}]}},
  {"port": $3, "listen": "127.0.0.1", "protocol": "vmess", $TLSHDR_S
   "settings": {"clients": [{"id": "$ID", "alterId": 4}]}}],
 "outbounds": [{"protocol": "freedom"}]}
JSON
}
duo_client() { # SERVER-DEFAULT SERVER-CUSTOM SERVER-TLS SOCKS1..6
	out() { # TAG PORT AID STREAM [MUX]
		echo "{\"tag\": \"$1\", \"protocol\": \"vmess\", $4 ${5:-} \"settings\": {\"vnext\": [{\"address\": \"127.0.0.1\", \"port\": $2, \"users\": [{\"id\": \"$ID\", \"alterId\": $3}]}]}}"
	}
	inb() { echo "{\"tag\": \"i$1\", \"port\": $2, \"listen\": \"127.0.0.1\", \"protocol\": \"socks\", \"settings\": {\"udp\": true}}"; }
	rule() { echo "{\"type\": \"field\", \"inboundTag\": [\"i$1\"], \"outboundTag\": \"o$1\"}"; }
	echo "{\"log\": {\"loglevel\": \"warning\"},"
	echo " \"inbounds\": [$(inb 1 $4), $(inb 2 $5), $(inb 3 $6), $(inb 4 $7), $(inb 5 $8), $(inb 6 $9)],"
	echo " \"outbounds\": [$(out o1 $1 0 "$HDR"), $(out o2 $1 4 "$HDR"), $(out o3 $1 0 "$HDR" "$MUX"), $(out o4 $2 0 "$CUSTOM"), $(out o5 $2 0 "$CUSTOM" "$MUX"), $(out o6 $3 0 "$TLSHDR_C")],"
	echo " \"routing\": {\"rules\": [$(rule 1), $(rule 2), $(rule 3), $(rule 4), $(rule 5), $(rule 6)]}}"
}
duo() { # SERVER CLIENT
	o=$B; [ $1 = ours ] || o=$((B + 20))
	sp=$o; sp2=$((o + 1)); sp3=$((o + 2)); rp=$((o + 3))
	c1=$((o + 4)); c2=$((o + 5)); c3=$((o + 6)); c4=$((o + 7)); c5=$((o + 8))
	c6=$((o + 9))
	duo_server $sp $sp2 $sp3 >$T/s.json
	# The first case goes through a relay that records the headers.
	duo_client $rp $sp2 $sp3 $c1 $c2 $c3 $c4 $c5 $c6 >$T/c.json
	relay $rp $sp $T/rec.$1
	run srv $1 vserver $T/s.json; run cli $2 vclient $T/c.json
	n="$1 server / $2 client, http header"
	if ! wait_port $sp || ! wait_port $c1 || ! wait_port $c5; then
		notok "$n: both started"; show_log srv; show_log cli
		stop srv; stop cli; return 1
	fi
	W=""
	for m in $MODES; do
		case $m in tls-*) wp=$sp3;; *) wp=$sp;; esac
		wire $wp $m >$T/wire.$1.$m & W="$W $!"
	done
	for x in "1 default, AEAD" "2 default, legacy alterId 4" \
	    "3 default, AEAD, Mux" "4 custom, AEAD" "5 custom, AEAD, Mux" \
	    "6 default, under TLS"; do
		eval "cp=\$c${x%% *}"
		case $x in
		1*) full "$n, ${x#* }";;
		[23]*) check_eq "$n, ${x#* }: 1 MiB download" "$SUM1M" fetch $cp
		   check_eq "$n, ${x#* }: udp" "ECHO:u-hdr" $VT socks5-udp 127.0.0.1:$cp 127.0.0.1 $UECHO u-hdr;;
		*) check_eq "$n, ${x#* }: 1 MiB download" "$SUM1M" fetch $cp;;
		esac
	done
	for w in $W; do wait $w; done
	stop srv; stop cli
}
duo ours v2ray
duo v2ray ours
check_eq "our server's response: 4.34's default response" \
    "HTTP/1.1 200 OK | Content-Type | Transfer-Encoding | Connection | Pragma | Cache-Control | Date" \
    fields $T/rec.ours.down
check_eq "our client's request: 4.34's default request" \
    "GET / HTTP/1.1 | Host | User-Agent | Accept-Encoding | Connection | Pragma" \
    fields $T/rec.v2ray.up
for m in $MODES; do
	check_eq "our server answers '$m' as v2ray's does: $(cat $T/wire.v2ray.$m)" \
	    "$(cat $T/wire.v2ray.$m)" cat $T/wire.ours.$m
done

# Config errors name the value.
cat >$T/bad.json <<JSON
{"inbounds": [{"port": 1, "protocol": "vmess", "settings": {"clients": [{"id": "$ID"}]},
  "streamSettings": {"tcpSettings": {"header": {"type": "srtp"}}}}],
 "outbounds": [{"protocol": "freedom"}]}
JSON
check "-test refuses an unknown tcp header type, naming it" sh -c "! $BIN/vserver -test -c $T/bad.json >$T/bad.out 2>&1 && grep -q 'tcpSettings.header.type.*srtp' $T/bad.out"
echo "1..$NTEST"
