#!/bin/sh
# Routing domainStrategy (AsIs / IPIfNonMatch / IPOnDemand, DNS through
# evdns and /etc/hosts), port and network rules, freedom redirect and
# domainStrategy, blackhole "none", TLS SNI sniffing.
. "$(dirname "$0")/lib.sh"

HTTP=$(free_port); A=$(free_port); B=$(free_port); C=$(free_port); D=$(free_port)
start http $VT http $HTTP
cat >$T/c.json <<JSON
{
  "log": {"access": "$T/access.log", "loglevel": "warning"},
  "inbounds": [
    {"tag": "asis", "port": $A, "listen": "127.0.0.1", "protocol": "socks"},
    {"tag": "ipif", "port": $B, "listen": "127.0.0.1", "protocol": "socks"},
    {"tag": "redir", "port": $C, "listen": "127.0.0.1", "protocol": "socks"},
    {"tag": "tls", "port": $D, "listen": "127.0.0.1", "protocol": "socks",
     "sniffing": {"enabled": true, "destOverride": ["tls"]}}
  ],
  "outbounds": [
    {"tag": "direct", "protocol": "freedom", "settings": {"domainStrategy": "UseIPv4"}},
    {"tag": "drop", "protocol": "blackhole"},
    {"tag": "web", "protocol": "freedom", "settings": {"redirect": "127.0.0.1:$HTTP"}}
  ],
  "routing": {"domainStrategy": "IPIfNonMatch", "rules": [
    {"type": "field", "inboundTag": ["redir"], "outboundTag": "web"},
    {"type": "field", "inboundTag": ["tls"], "domain": ["domain:sni.example"], "outboundTag": "drop"},
    {"type": "field", "inboundTag": ["ipif"], "ip": ["127.0.0.0/8"], "port": "$HTTP", "outboundTag": "drop"},
    {"type": "field", "inboundTag": ["asis"], "network": "udp", "outboundTag": "drop"}
  ]}
}
JSON
start vclient $BIN/vclient -c $T/c.json
wait_port $D || { show_log vclient; exit 1; }

check_eq "a rule scoped by inboundTag leaves other inbounds alone" "hello from vt" \
    curl -s --max-time 10 --socks5-hostname 127.0.0.1:$A http://localhost:$HTTP/
check_eq "IPIfNonMatch resolves localhost and the IP rule drops it" "000" \
    curl -s -o /dev/null -w '%{http_code}' --max-time 10 --socks5-hostname 127.0.0.1:$B http://localhost:$HTTP/
check_eq "... an IP target matches the same rule directly" "000" \
    curl -s -o /dev/null -w '%{http_code}' --max-time 10 --socks5 127.0.0.1:$B http://127.0.0.1:$HTTP/
check_eq "freedom redirect sends any target to the web server" "hello from vt" \
    curl -s --max-time 10 --socks5-hostname 127.0.0.1:$C http://nowhere.invalid:9/
check_eq "TLS SNI sniffed and routed (blackhole closes)" "closed" python3 -c "
import socket, ssl
s = socket.create_connection(('127.0.0.1', $D), 5)
s.sendall(b'\x05\x01\x00'); s.recv(2)
s.sendall(b'\x05\x01\x00\x01\x7f\x00\x00\x01' + ($HTTP).to_bytes(2, 'big')); s.recv(10)
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
try:
    ctx.wrap_socket(s, server_hostname='www.sni.example')
    print('handshake?')
except (ssl.SSLError, ConnectionError, OSError):
    print('closed')"
kill -USR1 $PID_vclient; sleep 1.2
check "the SNI-sniffed session went to the drop outbound" grep -q "accepted tcp:127.0.0.1:$HTTP \[drop\]" $T/access.log
check "the redirected session logged its requested target" grep -q "accepted tcp:nowhere.invalid:9 \[web\]" $T/access.log
