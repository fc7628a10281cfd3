#!/bin/sh
# vclient as a local SOCKS5/4a proxy through freedom: HTTP, echo (TCP/UDP),
# password auth, blackhole routing, sniffing with destOverride, dokodemo.
. "$(dirname "$0")/lib.sh"

HTTP=$(free_port); ECHO=$(free_port); UECHO=$(free_port)
S1=$(free_port); S2=$(free_port); S3=$(free_port); S4=$(free_port)
DK=$(free_port); DKT=$(free_port)
start http $VT http $HTTP
start echo $VT echo-tcp $ECHO
start uecho $VT echo-udp $UECHO

cat >$T/client.json <<JSON
{
  // a comment, as V2Ray allows
  "log": {"access": "$T/access.log", "error": "$T/error.log", "loglevel": "info"},
  "inbounds": [
    {"tag": "plain", "port": $S1, "listen": "127.0.0.1", "protocol": "socks",
     "settings": {"auth": "noauth", "udp": true}},
    {"tag": "auth", "port": $S2, "listen": "127.0.0.1", "protocol": "socks",
     "settings": {"auth": "password", "accounts": [{"user": "alice", "pass": "s3cret"}]}},
    {"tag": "sniff", "port": $S3, "listen": "127.0.0.1", "protocol": "socks",
     "sniffing": {"enabled": true, "destOverride": ["http", "tls"]},
     "settings": {}},
    {"tag": "block", "port": $S4, "listen": "127.0.0.1", "protocol": "socks"},
    {"tag": "dk", "port": $DK, "listen": "127.0.0.1", "protocol": "dokodemo-door",
     "settings": {"address": "127.0.0.1", "port": $UECHO, "network": "udp"}},
    {"tag": "dkt", "port": $DKT, "listen": "127.0.0.1", "protocol": "dokodemo-door",
     "settings": {"address": "127.0.0.1", "port": $ECHO}}
  ],
  "outbounds": [
    {"tag": "direct", "protocol": "freedom", "settings": {}},
    {"tag": "blocked", "protocol": "blackhole", "settings": {"response": {"type": "http"}}}
  ],
  "routing": {"rules": [
    {"type": "field", "domain": ["full:sniffed.test"], "outboundTag": "blocked"},
    {"type": "field", "inboundTag": ["block"], "outboundTag": "blocked"}
  ]}
}
JSON
start vclient $BIN/vclient -c $T/client.json
wait_port $S1 && wait_port $DKT || { show_log vclient; exit 1; }

U=http://127.0.0.1:$HTTP
check_eq "socks5 http fetch" "hello from vt" curl -s --max-time 10 --socks5 127.0.0.1:$S1 $U/
check_eq "socks5h (domain target) fetch" "hello from vt" curl -s --max-time 10 --socks5-hostname 127.0.0.1:$S1 http://localhost:$HTTP/
check_eq "socks4 fetch" "hello from vt" curl -s --max-time 10 --socks4 127.0.0.1:$S1 $U/
check_eq "socks4a fetch" "hello from vt" curl -s --max-time 10 --socks4a 127.0.0.1:$S1 http://localhost:$HTTP/
want=$($VT pattern 1048576 | sha256sum)
check_eq "1 MiB download byte for byte" "$want" sh -c "curl -s --max-time 20 --socks5 127.0.0.1:$S1 $U/bytes/1048576 | sha256sum"
want=$($VT pattern 16777216 | sha256sum)
check_eq "16 MiB download byte for byte" "$want" sh -c "curl -s --max-time 30 --socks5 127.0.0.1:$S1 $U/bytes/16777216 | sha256sum"
check_eq "tcp echo 64 KiB" "OK" $VT tcp-echo-check 127.0.0.1:$S1 127.0.0.1 $ECHO 65536
check_eq "tcp echo 4 MiB both ways" "OK" $VT tcp-echo-check 127.0.0.1:$S1 127.0.0.1 $ECHO 4194304
check_eq "udp associate echo" "ECHO:ping-udp" $VT socks5-udp 127.0.0.1:$S1 127.0.0.1 $UECHO ping-udp
check_eq "udp associate echo by domain" "ECHO:by-name" $VT socks5-udp 127.0.0.1:$S1 localhost $UECHO by-name
check_eq "udp without association is dropped" "timeout" python3 -c "
import socket
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.settimeout(1)
u.sendto(b'\x00\x00\x00\x01\x7f\x00\x00\x01' + ($UECHO).to_bytes(2, 'big') + b'x', ('127.0.0.1', $S1))
try:
    u.recvfrom(100); print('answered')
except socket.timeout:
    print('timeout')"
check_eq "password auth accepted" "hello from vt" curl -s --max-time 10 --socks5 127.0.0.1:$S2 -U alice:s3cret $U/
check_eq "wrong password refused" "050201ff" $VT socks5-raw 127.0.0.1:$S2 0501020105616c69636503626164
check_eq "no-auth offer to password inbound refused" "05ff" $VT socks5-raw 127.0.0.1:$S2 050100
check_eq "unsupported command (BIND) refused" "050005070001000000000000" $VT socks5-raw 127.0.0.1:$S1 05010005020001017f0000010050
check_eq "routing rule to blackhole (http 403)" "403" curl -s -o /dev/null -w '%{http_code}' --max-time 10 --socks5 127.0.0.1:$S4 $U/
check_eq "sniffed Host routed to blackhole" "403" curl -s -o /dev/null -w '%{http_code}' --max-time 10 --socks5 127.0.0.1:$S3 -H "Host: sniffed.test" $U/
check_eq "same request without sniffing goes direct" "200" curl -s -o /dev/null -w '%{http_code}' --max-time 10 --socks5 127.0.0.1:$S1 -H "Host: sniffed.test" $U/
check_eq "destOverride keeps the port (Host: localhost → localhost:$HTTP)" "localhost" curl -s --max-time 10 --socks5 127.0.0.1:$S3 -H "Host: localhost" $U/host
check_eq "dokodemo tcp forward with half-close" "abc" python3 -c "
import socket
s = socket.create_connection(('127.0.0.1', $DKT), 5)
s.sendall(b'abc'); s.shutdown(socket.SHUT_WR)
b = b''
while True:
    d = s.recv(100)
    if not d: break
    b += d
print(b.decode())"
check_eq "dokodemo udp forward" "ECHO:dk" python3 -c "
import socket
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.settimeout(5)
u.sendto(b'dk', ('127.0.0.1', $DK)); print(u.recvfrom(100)[0].decode())"
kill -USR1 $PID_vclient
sleep 1.2
check "access log has accepted lines with the outbound tag" grep -q "accepted tcp:127.0.0.1:$HTTP \[direct\]" $T/access.log
check "access log names the blackhole tag" grep -q "\[blocked\]" $T/access.log
check "access log carries the SOCKS user as email" grep -q "email: alice" $T/access.log
kill -TERM $PID_vclient
i=0; while kill -0 $PID_vclient 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done
check "SIGTERM stops vclient" sh -c "! kill -0 $PID_vclient 2>/dev/null"
