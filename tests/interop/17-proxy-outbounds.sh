#!/bin/sh
# socks and http outbounds and proxySettings.tag chaining (issue 16), with
# real V2Ray 4.34 as the upstream SOCKS and HTTP proxy server. The same
# client config runs on vclient and on v2ray 4.34 and must give the same
# answers: a SOCKS outbound without and with a user (a wrong password
# fails), UDP through the SOCKS outbound (UDP ASSOCIATE), an HTTP outbound
# (CONNECT) without and with Basic credentials (a wrong one fails), a SOCKS
# outbound whose connection and UDP go through a VMess outbound, a VMess
# outbound whose connection goes through the SOCKS and through the HTTP
# upstream (proxySettings.tag) to vserver, VMess over TLS through the SOCKS
# upstream (TLS stacked on the chain), and freedom through SOCKS. The
# upstream's access log shows the chained connections went through it.
# Then vserver with a SOCKS outbound, and config checks.
. "$(dirname "$0")/lib.sh"
need_v2ray

HTTP=$(free_port); ECHO=$(free_port); UECHO=$(free_port)
start http $VT http $HTTP
start echo $VT echo-tcp $ECHO
start uecho $VT echo-udp $UECHO
UUID=3b1f0c5e-2d4a-4e8b-9f6a-7c5d4e3b2a19
# A self-signed certificate for localhost, trusted by the clients as is.
C=$T
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -days 2 -subj /CN=localhost -addext subjectAltName=DNS:localhost \
    -keyout $C/localhost.key -out $C/localhost.crt >$T/openssl.log 2>&1 ||
    { notok "certificate made"; exit 1; }

# The upstream: v2ray 4.34 as SOCKS (open; with a user and UDP) and HTTP
# (open; with a user) proxy server.
# One block for every port bound later (a free_port could fall in it).
UP=$(range_base); VS=$((UP + 60)); VST=$((UP + 61)); BAD=$((UP + 62))
# bad: upstreams that misbehave: BAD answers a SOCKS hello with garbage,
# BAD+1 answers CONNECT with a head that never ends (over 64 KiB).
cat >$T/bad.py <<'PY'
import socket, sys, threading
def serve(port, reply):
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port)); s.listen(16)
    while True:
        c, _ = s.accept()
        try:
            c.settimeout(5); c.recv(4096); c.sendall(reply)
        except OSError:
            pass
        c.close()
b = int(sys.argv[1])
threading.Thread(target=serve, args=(b + 1, b"HTTP/1.1 200 OK\r\nX: " + b"a" * 70000), daemon=True).start()
serve(b, b"\x00\xffnot a socks server")
PY
start bad python3 $T/bad.py $BAD
cat >$T/up.json <<JSON
{"log": {"loglevel": "warning", "access": "$T/up-access.log"},
 "inbounds": [
  {"port": $UP, "listen": "127.0.0.1", "protocol": "socks", "settings": {"auth": "noauth"}},
  {"port": $((UP + 1)), "listen": "127.0.0.1", "protocol": "socks",
   "settings": {"auth": "password", "accounts": [{"user": "su", "pass": "sp"}], "udp": true, "ip": "127.0.0.1"}},
  {"port": $((UP + 2)), "listen": "127.0.0.1", "protocol": "http", "settings": {}},
  {"port": $((UP + 3)), "listen": "127.0.0.1", "protocol": "http",
   "settings": {"accounts": [{"user": "hu", "pass": "hp"}]}},
  {"port": $((UP + 4)), "listen": "127.0.0.1", "protocol": "http", "settings": {},
   "streamSettings": {"security": "tls", "tlsSettings": {"certificates":
     [{"certificateFile": "$C/localhost.crt", "keyFile": "$C/localhost.key"}]}}}
 ],
 "outbounds": [{"protocol": "freedom"}]}
JSON
cat >$T/server.json <<JSON
{"log": {"loglevel": "warning"},
 "inbounds": [{"port": $VS, "listen": "127.0.0.1", "protocol": "vmess",
   "settings": {"clients": [{"id": "$UUID", "alterId": 0}]}},
  {"port": $VST, "listen": "127.0.0.1", "protocol": "vmess",
   "settings": {"clients": [{"id": "$UUID", "alterId": 0}]},
   "streamSettings": {"security": "tls", "tlsSettings": {"certificates":
     [{"certificateFile": "$C/localhost.crt", "keyFile": "$C/localhost.key"}]}}}],
 "outbounds": [{"protocol": "freedom"}]}
JSON

# mk BASE: one SOCKS inbound per outbound, routed by inbound tag.
IN="s-open s-auth s-bad h-open h-auth h-bad vm-s vm-h fr-s vm-t h-tls h-h2 vm-m junk big s-vm"
mk() {
	b=$1; i=0; ins=""; rules=""
	for t in $IN; do
		ins="$ins${ins:+,}
  {\"tag\": \"$t\", \"port\": $((b + i)), \"listen\": \"127.0.0.1\", \"protocol\": \"socks\", \"settings\": {\"udp\": true}}"
		rules="$rules${rules:+,}
  {\"type\": \"field\", \"inboundTag\": [\"$t\"], \"outboundTag\": \"$t\"}"
		i=$((i + 1))
	done
	cat <<JSON
{"log": {"loglevel": "info"},
 "inbounds": [$ins],
 "outbounds": [
  {"tag": "direct", "protocol": "freedom"},
  {"tag": "s-open", "protocol": "socks", "settings": {"servers": [{"address": "127.0.0.1", "port": $UP}]}},
  {"tag": "s-auth", "protocol": "socks", "settings": {"servers": [{"address": "127.0.0.1", "port": $((UP + 1)),
    "users": [{"user": "su", "pass": "sp"}]}]}},
  {"tag": "s-bad", "protocol": "socks", "settings": {"servers": [{"address": "127.0.0.1", "port": $((UP + 1)),
    "users": [{"user": "su", "pass": "wrong"}]}]}},
  {"tag": "h-open", "protocol": "http", "settings": {"servers": [{"address": "127.0.0.1", "port": $((UP + 2))}]}},
  {"tag": "h-auth", "protocol": "http", "settings": {"servers": [{"address": "127.0.0.1", "port": $((UP + 3)),
    "users": [{"user": "hu", "pass": "hp"}]}]}},
  {"tag": "h-bad", "protocol": "http", "settings": {"servers": [{"address": "127.0.0.1", "port": $((UP + 3)),
    "users": [{"user": "hu", "pass": "wrong"}]}]}},
  {"tag": "vm-s", "protocol": "vmess", "proxySettings": {"tag": "s-auth"},
   "settings": {"vnext": [{"address": "127.0.0.1", "port": $VS, "users": [{"id": "$UUID", "alterId": 0}]}]}},
  {"tag": "vm", "protocol": "vmess",
   "settings": {"vnext": [{"address": "127.0.0.1", "port": $VS, "users": [{"id": "$UUID", "alterId": 0}]}]}},
  {"tag": "s-vm", "protocol": "socks", "proxySettings": {"tag": "vm"},
   "settings": {"servers": [{"address": "127.0.0.1", "port": $((UP + 1)), "users": [{"user": "su", "pass": "sp"}]}]}},
  {"tag": "junk", "protocol": "socks", "settings": {"servers": [{"address": "127.0.0.1", "port": $BAD}]}},
  {"tag": "big", "protocol": "http", "settings": {"servers": [{"address": "127.0.0.1", "port": $((BAD + 1))}]}},
  {"tag": "vm-m", "protocol": "vmess", "proxySettings": {"tag": "h-auth"}, "mux": {"enabled": true},
   "settings": {"vnext": [{"address": "127.0.0.1", "port": $VS, "users": [{"id": "$UUID", "alterId": 0}]}]}},
  {"tag": "vm-h", "protocol": "vmess", "proxySettings": {"tag": "h-auth"},
   "settings": {"vnext": [{"address": "127.0.0.1", "port": $VS, "users": [{"id": "$UUID", "alterId": 0}]}]}},
  {"tag": "fr-s", "protocol": "freedom", "proxySettings": {"tag": "s-open"}},
  {"tag": "vm-t", "protocol": "vmess", "proxySettings": {"tag": "s-auth"},
   "settings": {"vnext": [{"address": "127.0.0.1", "port": $VST, "users": [{"id": "$UUID", "alterId": 0}]}]},
   "streamSettings": {"security": "tls", "tlsSettings": {"serverName": "localhost",
     "certificates": [{"usage": "verify", "certificateFile": "$C/localhost.crt"}]}}},
  {"tag": "h-tls", "protocol": "http", "settings": {"servers": [{"address": "127.0.0.1", "port": $((UP + 4))}]},
   "streamSettings": {"security": "tls", "tlsSettings": {"serverName": "localhost", "alpn": ["http/1.1"],
     "certificates": [{"usage": "verify", "certificateFile": "$C/localhost.crt"}]}}},
  {"tag": "h-h2", "protocol": "http", "settings": {"servers": [{"address": "127.0.0.1", "port": $((UP + 4))}]},
   "streamSettings": {"security": "tls", "tlsSettings": {"serverName": "localhost",
     "certificates": [{"usage": "verify", "certificateFile": "$C/localhost.crt"}]}}}
 ],
 "routing": {"rules": [$rules]}}
JSON
}
O=$((UP + 10)); V=$((UP + 30))
mk $O >$T/ours.json
mk $V >$T/v2ray.json
start up v2ray -config $T/up.json
start vserver $BIN/vserver -c $T/server.json
start ours $BIN/vclient -c $T/ours.json
start v2ray v2ray -config $T/v2ray.json
for p in $UP $((UP + 4)) $VS $VST $((BAD + 1)) $O $((O + 15)) $V $((V + 15)); do
	wait_port $p || { notok "every process listening ($p)"; show_log up
		show_log ours; show_log v2ray; exit 1; }
done

U=http://127.0.0.1:$HTTP
# upstream_saw WHAT: lines of the upstream's access log naming WHAT (its
# SOCKS inbound writes tcp:HOST:PORT, its HTTP inbound //HOST:PORT).
upstream_saw() { grep -cE "accepted (tcp:|//)$1\$" $T/up-access.log; }
for side in ours v2ray; do
	if [ $side = ours ]; then B=$O; else B=$V; fi
	p() { echo 127.0.0.1:$((B + $1)); }
	check_eq "$side: socks outbound, no user" "hello from vt" curl -s --max-time 10 --socks5 $(p 0) $U/
	check_eq "$side: socks outbound with user/pass" "hello from vt" curl -s --max-time 10 --socks5 $(p 1) $U/
	check_eq "$side: socks outbound, wrong password: nothing" "" curl -s --max-time 10 --socks5 $(p 2) $U/
	check_eq "$side: socks outbound: 1 MiB byte for byte" "$($VT pattern 1048576 | sha256sum)" \
	    sh -c "curl -s --max-time 20 --socks5 $(p 1) $U/bytes/1048576 | sha256sum"
	check_eq "$side: socks outbound: tcp echo 1 MiB both ways" "OK" $VT tcp-echo-check $(p 1) 127.0.0.1 $ECHO 1048576
	# UDP may lose the first datagram on a loaded machine: one retry.
	check_eq "$side: UDP over the socks outbound (with user)" "ECHO:ping-udp" sh -c "$VT socks5-udp $(p 1) 127.0.0.1 $UECHO ping-udp 2>/dev/null || $VT socks5-udp $(p 1) 127.0.0.1 $UECHO ping-udp"
	check_eq "$side: socks outbound chained through vmess: TCP" "hello from vt" curl -s --max-time 10 --socks5 $(p 15) $U/
	check_eq "$side: socks outbound chained through vmess: UDP" "ECHO:chained" sh -c "$VT socks5-udp $(p 15) 127.0.0.1 $UECHO chained 2>/dev/null || $VT socks5-udp $(p 15) 127.0.0.1 $UECHO chained"
	check_eq "$side: http outbound, no user" "hello from vt" curl -s --max-time 10 --socks5 $(p 3) $U/
	check_eq "$side: http outbound with Basic credentials" "hello from vt" curl -s --max-time 10 --socks5-hostname $(p 4) http://localhost:$HTTP/
	check_eq "$side: http outbound, wrong password: nothing" "" curl -s --max-time 10 --socks5 $(p 5) $U/
	check_eq "$side: http outbound: tcp echo 1 MiB both ways" "OK" $VT tcp-echo-check $(p 4) 127.0.0.1 $ECHO 1048576
	n0=$(upstream_saw 127.0.0.1:$VS)
	check_eq "$side: vmess through the socks outbound (proxySettings)" "hello from vt" curl -s --max-time 10 --socks5 $(p 6) $U/
	check_eq "$side: vmess through the http outbound (proxySettings)" "hello from vt" curl -s --max-time 10 --socks5 $(p 7) $U/
	check "$side: the upstream carried both VMess connections" test $(upstream_saw 127.0.0.1:$VS) -ge $((n0 + 2))
	check_eq "$side: vmess with Mux through the http outbound" "hello from vt
127.0.0.1:$HTTP" sh -c "curl -s --max-time 10 --socks5 $(p 12) $U/ && curl -s --max-time 10 --socks5 $(p 12) $U/host"
	n0=$(upstream_saw 127.0.0.1:$VST)
	check_eq "$side: vmess over TLS through the socks outbound" "hello from vt" curl -s --max-time 10 --socks5 $(p 9) $U/
	check "$side: the upstream carried the TLS connection" test $(upstream_saw 127.0.0.1:$VST) -gt $n0
	check_eq "$side: http outbound over TLS (alpn http/1.1)" "hello from vt" curl -s --max-time 10 --socks5 $(p 10) $U/
	# The upstream picks h2 when offered (the default ALPN): 4.34's client
	# then tries HTTP/2 CONNECT, which its own server does not serve; ours
	# refuses at once and says what to set.
	check_eq "$side: http outbound over TLS, h2 offered: fails" "" curl -s --max-time 10 --socks5 $(p 11) $U/
	check_eq "$side: a socks upstream answering garbage: nothing" "" curl -s --max-time 10 --socks5 $(p 13) $U/
	check_eq "$side: an http upstream whose answer never ends: nothing" "" curl -s --max-time 10 --socks5 $(p 14) $U/
	n0=$(upstream_saw 127.0.0.1:$ECHO)
	check_eq "$side: freedom through the socks outbound (proxySettings)" "OK" $VT tcp-echo-check $(p 8) 127.0.0.1 $ECHO 65536
	check "$side: the upstream carried the freedom connection" test $(upstream_saw 127.0.0.1:$ECHO) -gt $n0
done

check "ours: the chained UDP went to the relay as a flow of the vmess outbound" \
    grep -q 'accepted udp:127.0.0.1:[0-9]* \[vm\]' $T/ours.log
check "ours: the h2 refusal names tlsSettings.alpn" grep -q 'set tlsSettings.alpn to \["http/1.1"\]' $T/ours.log
check "ours: the garbage and the endless answer are named in the log" sh -c \
    "grep -q 'socks: not a SOCKS5 server' $T/ours.log && grep -q \"http: the proxy's answer is too large\" $T/ours.log"
check_eq "ours: still serving after them" "hello from vt" curl -s --max-time 10 --socks5 127.0.0.1:$((O + 1)) $U/

# vserver offers them too: VMess in, out through the SOCKS upstream.
VS2=$(free_port); QS=$(free_port)
cat >$T/vs2.json <<JSON
{"inbounds": [{"port": $VS2, "listen": "127.0.0.1", "protocol": "vmess",
   "settings": {"clients": [{"id": "$UUID", "alterId": 0}]}}],
 "outbounds": [{"protocol": "socks", "settings": {"servers": [{"address": "127.0.0.1", "port": $((UP + 1)),
    "users": [{"user": "su", "pass": "sp"}]}]}}]}
JSON
start vs2 $BIN/vserver -c $T/vs2.json
start quick $BIN/vclient -server 127.0.0.1:$VS2 -id $UUID -socks 127.0.0.1:$QS
wait_port $VS2 && wait_port $QS || { show_log vs2; show_log quick; }
n0=$(upstream_saw 127.0.0.1:$HTTP)
check_eq "vserver: freedom replaced by a socks outbound to v2ray" "hello from vt" curl -s --max-time 10 --socks5 127.0.0.1:$QS $U/
check "vserver: the upstream carried it" test $(upstream_saw 127.0.0.1:$HTTP) -gt $n0

# Config: INI keys, dumps both ways, errors.
cat >$T/o.ini <<INI
[inbound s]
protocol = socks
port = 1080
[outbound up]
protocol = socks
server = 127.0.0.1:1081
account = u:p:q
server = [::1]:1082
[outbound web]
protocol = http
server = proxy.example:3128
account = hu:hp
[outbound vm]
protocol = vmess
proxy = up
server = 127.0.0.1:10086
user = $UUID
INI
check_eq "INI → -dump json: socks servers and users" \
    '[{"address": "127.0.0.1", "port": 1081, "users": [{"user": "u", "pass": "p:q"}]}, {"address": "::1", "port": 1082}]' \
    sh -c "$BIN/vclient -c $T/o.ini -dump json | python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin)[\"outbounds\"][0][\"settings\"][\"servers\"]))'"
check_eq "INI → -dump json: proxySettings" '{"tag": "up"}' \
    sh -c "$BIN/vclient -c $T/o.ini -dump json | python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin)[\"outbounds\"][2][\"proxySettings\"]))'"
$BIN/vclient -c $T/o.ini -dump json >$T/o.json 2>&1
$BIN/vclient -c $T/o.ini -dump ini >$T/o2.ini 2>&1
check "-dump ini reloads to the same JSON" sh -c "$BIN/vclient -c $T/o2.ini -dump json | cmp -s - $T/o.json"
check "v2ray 4.34 accepts the dumped JSON" v2ray -test -config $T/o.json
check "the client configs pass -test" $BIN/vclient -c $T/ours.json -test
bad() {
	printf '%s\n' "$1" >$T/bad.json
	$BIN/vclient -c $T/bad.json -test 2>&1 | grep -c "$2"
}
OB='{"tag": "a", "protocol": "freedom", "proxySettings": {"tag": "b"}}'
check_eq "proxySettings naming no outbound is refused" 1 \
    bad "{\"outbounds\": [$OB]}" 'no outbound tagged "b"'
check_eq "a proxySettings loop is refused" 2 \
    bad "{\"outbounds\": [$OB, {\"tag\": \"b\", \"protocol\": \"freedom\", \"proxySettings\": {\"tag\": \"a\"}}]}" 'loops'
check_eq "proxySettings with mKCP is refused" 1 \
    bad "{\"outbounds\": [{\"tag\": \"b\", \"protocol\": \"freedom\"}, {\"protocol\": \"freedom\", \"proxySettings\": {\"tag\": \"b\"}, \"streamSettings\": {\"network\": \"kcp\"}}]}" 'network cannot be mkcp'
check_eq "a socks outbound without servers is refused" 1 \
    bad '{"outbounds": [{"protocol": "socks", "settings": {}}]}' 'socks outbound has no server'
check_eq "an http server without port is refused" 1 \
    bad '{"outbounds": [{"protocol": "http", "settings": {"servers": [{"address": "p"}]}}]}' 'port missing'
