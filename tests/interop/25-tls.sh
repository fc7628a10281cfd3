#!/bin/sh
# streamSettings.security "tls" over tcp, both ways against V2Ray 4.34, with
# certificates this test makes with openssl (a local CA, a leaf for
# localhost/127.0.0.1, a leaf for another name): a v2ray client through our
# vserver (AEAD, legacy alterId, UDP, Mux), our vclient through a v2ray
# server, the seed 002 reverse link over TLS both ways; verification with
# the CA, without it, allowInsecure, a wrong serverName; bad input on the
# TLS port (plain HTTP, garbage, a stalled handshake closed at
# policy.handshake) while the server keeps serving; -test naming a missing
# certificate file.
. "$(dirname "$0")/lib.sh"
need_v2ray
command -v openssl >/dev/null 2>&1 || { notok "openssl command present"; exit 1; }

C=$T/pki; mkdir -p $C
(
cd $C || exit 1
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -days 2 -subj /CN=vtools-test-ca -keyout ca.key -out ca.crt \
    -addext basicConstraints=critical,CA:TRUE \
    -addext keyUsage=critical,keyCertSign,cRLSign
leaf() { # NAME SAN
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
	    -subj /CN=$1 -keyout $1.key -out $1.csr
	printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n' "$2" >$1.ext
	openssl x509 -req -in $1.csr -CA ca.crt -CAkey ca.key -CAcreateserial \
	    -days 2 -extfile $1.ext -out $1.crt
}
leaf localhost DNS:localhost,IP:127.0.0.1
leaf other.test DNS:other.test
) >$T/openssl.log 2>&1
check "openssl made a CA and two leaves" test -s $C/localhost.crt -a -s $C/other.test.crt

HTTP=$(free_port); ECHO=$(free_port); UECHO=$(free_port)
start http $VT http $HTTP
start echo $VT echo-tcp $ECHO
start uecho $VT echo-udp $UECHO
ID=$(cat /proc/sys/kernel/random/uuid)
SUM1M=$($VT pattern 1048576 | sha256sum)

srv_tls() { # CERTNAME
	echo "\"streamSettings\": {\"network\": \"tcp\", \"security\": \"tls\", \"tlsSettings\": {\"certificates\": [{\"certificateFile\": \"$C/$1.crt\", \"keyFile\": \"$C/$1.key\"}]}},"
}
cli_tls() { # EXTRA-TLS-KEYS (JSON members, may be empty)
	echo "\"streamSettings\": {\"security\": \"tls\", \"tlsSettings\": {$1}},"
}
CA="\"certificates\": [{\"usage\": \"verify\", \"certificateFile\": \"$C/ca.crt\"}]"
server_conf() { # PORT AID STREAM
cat <<JSON
{"log": {"loglevel": "warning"},
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

# pair SERVER CLIENT AID NAME CLIENT-TLS-KEYS [MUX] [CERT]
pair() {
	sp=$(free_port); cp=$(free_port)
	server_conf $sp $3 "$(srv_tls ${7:-localhost})" >$T/s.json
	client_conf $cp $sp $3 "$(cli_tls "$5")" "${6:-}" >$T/c.json
	run srv $1 vserver $T/s.json; run cli $2 vclient $T/c.json
	n="$1 server / $2 client over tls, $4"
	if ! wait_port $sp || ! wait_port $cp; then
		notok "$n: both started"; show_log srv; show_log cli
		stop_wait srv cli; return 1
	fi
	return 0
}
full() { # NAME
	check_eq "$1: 1 MiB download" "$SUM1M" fetch $cp
	check_eq "$1: echo 256 KiB" "OK" $VT tcp-echo-check 127.0.0.1:$cp 127.0.0.1 $ECHO 262144
	check_eq "$1: udp" "ECHO:u-tls" $VT socks5-udp 127.0.0.1:$cp 127.0.0.1 $UECHO u-tls
}
VERIFY="\"serverName\": \"localhost\", $CA"

pair ours v2ray 0 "AEAD" "$VERIFY" && { full "$n"; stop_wait srv cli; }
pair ours v2ray 4 "legacy alterId 4" "$VERIFY" && { full "$n"; stop_wait srv cli; }
pair ours v2ray 0 "AEAD, Mux" "$VERIFY" '"mux": {"enabled": true, "concurrency": 4},' && {
	full "$n"
	check_eq "$n: 8 parallel downloads over one link" "8/8" sh -c "k=0; for i in 1 2 3 4 5 6 7 8; do (curl -s --max-time 20 --socks5 127.0.0.1:$cp http://127.0.0.1:$HTTP/bytes/1048576 | sha256sum >$T/par.\$i) & done; wait; for i in 1 2 3 4 5 6 7 8; do [ \"\$(cat $T/par.\$i)\" = '$SUM1M' ] && k=\$((k+1)); done; echo \$k/8"
	stop_wait srv cli; }
pair v2ray ours 0 "AEAD, CA given" "$VERIFY" && { full "$n"; stop_wait srv cli; }
pair v2ray ours 4 "legacy alterId 4" "$VERIFY" && { full "$n"; stop_wait srv cli; }
pair v2ray ours 0 "AEAD, Mux" "$VERIFY" '"mux": {"enabled": true},' && { full "$n"; stop_wait srv cli; }
pair ours ours 0 "AEAD" "$VERIFY" && { full "$n"; stop_wait srv cli; }
pair ours ours 0 "Mux" "$VERIFY" '"mux": {"enabled": true},' && { full "$n"; stop_wait srv cli; }

# Verification.
fails() { # NAME WANT-LOG-REGEX
	r=$(fetch $cp)
	check "$1: no data through" test "$r" != "$SUM1M"
	sleep 1.2	# logs are flushed once a second
	check "$1: one clear log line" grep -Eq "$2" $T/cli.log
}
pair ours ours 0 "no CA" '"serverName": "localhost"' && {
	fails "$n" 'TLS: cannot verify the server certificate for localhost: (unable to get local issuer|self.signed)'
	show_log cli 3
	stop_wait srv cli; }
pair ours ours 0 "no CA, allowInsecure" '"allowInsecure": true' && {
	check_eq "$n: 1 MiB download" "$SUM1M" fetch $cp; stop_wait srv cli; }
pair ours ours 0 "CA, address 127.0.0.1 checked against the IP SAN" "$CA" && {
	check_eq "$n: 1 MiB download" "$SUM1M" fetch $cp; stop_wait srv cli; }
pair ours ours 0 "CA, wrong serverName" "\"serverName\": \"wrong.test\", $CA" && {
	fails "$n" 'TLS: cannot verify the server certificate for wrong.test: .*(hostname|host)'
	stop_wait srv cli; }
pair ours ours 0 "CA, certificate for another name" "$VERIFY" "" other.test && {
	fails "$n" 'TLS: cannot verify the server certificate for localhost'
	stop_wait srv cli; }
pair ours v2ray 0 "v2ray client, wrong serverName" "\"serverName\": \"wrong.test\", $CA" && {
	r=$(fetch $cp); check "$n: no data through" test "$r" != "$SUM1M"; stop_wait srv cli; }
pair ours v2ray 0 "v2ray client, allowInsecure" '"serverName": "other", "allowInsecure": true' && {
	check_eq "$n: 1 MiB download" "$SUM1M" fetch $cp; stop_wait srv cli; }

# Bad input on the TLS port; the server keeps serving a real client.
# probe PORT http|garbage|partial|silent: "closed" when the server closes
# (the stalled ones between 1.5 and 4 s: policy.handshake is 2 s).
probe() {
	python3 - "$@" <<'PY'
import os, socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), 2)
mode = sys.argv[2]
send = {"http": b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
        "garbage": b"\x16\x03\x01\x00\x40" + os.urandom(564),
        # the first bytes of a ClientHello, then nothing
        "partial": b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",
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
except ConnectionResetError:
    pass
d = time.time() - t
timed = mode in ("partial", "silent")
print("closed" if not timed or 1.5 <= d <= 4 else "closed after %.1f s" % d)
PY
}
pair ours ours 0 "bad input" "$VERIFY" && {
	check_eq "$n: a plain HTTP request is closed" "closed" probe $sp http
	check_eq "$n: TLS garbage is closed" "closed" probe $sp garbage
	check_eq "$n: a handshake stopped halfway is closed at policy.handshake (2 s)" "closed" probe $sp partial
	check_eq "$n: a silent client is closed at policy.handshake" "closed" probe $sp silent
	# ALPN as 4.34's tcp transport: h2 taken, http/1.1 alone gets none
	# (Go's fallback), anything else alert 120 as the Debian 4.34 sends.
	alpn() { echo | timeout 5 openssl s_client -connect 127.0.0.1:$sp -servername localhost ${1:+-alpn "$1"} ${2:-} 2>&1 |
	    sed -n -e 's/^ALPN protocol: /alpn /p' -e 's/^No ALPN negotiated/none/p' -e 's/.*SSL alert number \([0-9]*\).*/alert \1/p' | head -1; }
	check_eq "$n: ALPN h2,http/1.1 -> h2" "alpn h2" alpn h2,http/1.1
	check_eq "$n: ALPN http/1.1 alone -> none" "none" alpn http/1.1
	check_eq "$n: ALPN foo -> alert 120" "alert 120" alpn foo
	check_eq "$n: TLS 1.1 -> alert 70" "alert 70" alpn "" -tls1_1
	check_eq "$n: the server still serves" "$SUM1M" fetch $cp
	check "$n: the server is still running" kill -0 $PID_srv
	stop_wait srv cli; }

# The seed 002 reverse link over TLS.
S=$ROOT/conf/seeds
EXT=$(free_port); IC=$(free_port)
PT="\"streamSettings\": {\"security\": \"tls\", \"tlsSettings\": {\"certificates\": [{\"certificateFile\": \"$C/localhost.crt\", \"keyFile\": \"$C/localhost.key\"}]}},"
BT="\"streamSettings\": {\"security\": \"tls\", \"tlsSettings\": {\"serverName\": \"localhost\", $CA}},"
sed -e "s/\"port\": 80,/\"port\": $EXT,/" -e "s/\"port\": 1024/\"port\": $IC/" \
    -e "s|\"tag\": \"interconn\",|\"tag\": \"interconn\", $PT|" $S/seed002-portal.json >$T/portal.json
sed -e "s/127.0.0.1:80/127.0.0.1:$HTTP/" -e "s/\"port\": 1024/\"port\": $IC/" -e "s/portal的IP地址/127.0.0.1/" \
    -e "s|\"tag\": \"interconn\"|$BT \"tag\": \"interconn\"|" $S/seed002-bridge.json >$T/bridge.json
until_ok() {
	t0=$(date +%s)
	while [ $(( $(date +%s) - t0 )) -lt $1 ]; do
		[ "$(curl -s --max-time 1 http://127.0.0.1:$EXT/)" = "hello from vt" ] && { echo up; return 0; }
		sleep 0.2
	done
	echo never
}
SUM4=$($VT pattern 4194304 | sha256sum)
for pb in "ours v2ray" "v2ray ours" "ours ours"; do
	set -- $pb
	n="$1 portal / $2 bridge, link over tls"
	run portal $1 vportal $T/portal.json; run bridge $2 vbridge $T/bridge.json
	if ! wait_port $EXT || ! wait_port $IC; then notok "$n: started"; show_log portal; stop_wait portal bridge; continue; fi
	check_eq "$n: link up, fetch through the tunnel" "up" until_ok 10
	check_eq "$n: 4 MiB through the tunnel" "$SUM4" sh -c "curl -s --max-time 20 http://127.0.0.1:$EXT/bytes/4194304 | sha256sum"
	check "$n: the link is TLS" sh -c "! grep -qi 'not supported' $T/portal.log $T/bridge.log"
	stop_wait portal bridge
done

# Dynamic ports over TLS: the detour inbound's own streamSettings (TLS) on
# every worker port; a v2ray client moves there and still verifies.
B=$(range_base); E=$((B + 99)); sp=$(free_port); cp=$(free_port)
cat >$T/dyn.json <<JSON
{"log": {"loglevel": "warning"},
 "inbounds": [{"port": $sp, "listen": "127.0.0.1", "protocol": "vmess", $(srv_tls localhost)
   "settings": {"clients": [{"id": "$ID", "alterId": 4}], "detour": {"to": "dyn"}}},
  {"tag": "dyn", "port": "$B-$E", "listen": "127.0.0.1", "protocol": "vmess", $(srv_tls localhost)
   "settings": {"default": {"alterId": 4}},
   "allocate": {"strategy": "random", "concurrency": 2, "refresh": 5}}],
 "outbounds": [{"protocol": "freedom"}]}
JSON
client_conf $cp $sp 4 "$(cli_tls "$VERIFY")" >$T/c.json
run srv ours vserver $T/dyn.json; run cli v2ray vclient $T/c.json
if wait_port $sp && wait_port $cp; then
	check_eq "dynamic ports over tls: first fetch" "$SUM1M" fetch $cp
	check_eq "dynamic ports over tls: v2ray client moves to the range" "yes" python3 -c "
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
	check_eq "dynamic ports over tls: 1 MiB through a worker port" "$SUM1M" fetch $cp
else notok "dynamic ports over tls: started"; show_log srv; show_log cli; fi
stop_wait srv cli

# Quick flags: vserver -tls CERT,KEY prints a link with tls and sni (and
# its effective config has the TLS inbound); vclient takes such a link, or
# -server -tls -sni -insecure (the test CA is in no system store). The
# quick vserver blocks private ranges, so the traffic goes to a JSON vserver
# with the same certificate. vportal -tls and vbridge -tls -sni -insecure.
sp=$(free_port); cp=$(free_port); qp=$(free_port)
start qsrv $BIN/vserver -port $qp -listen 127.0.0.1 -id $ID -tls $C/localhost.crt,$C/localhost.key -host localhost
wait_port $qp
LINK=$(grep -m1 '^vmess://' $T/qsrv.log)
check_eq "vserver -tls: the link says tls, sni localhost" "tls localhost" sh -c "echo '${LINK#vmess://}' | base64 -d | python3 -c 'import json,sys; o=json.load(sys.stdin); print(o[\"tls\"], o[\"sni\"])'"
check "vserver -tls -dump json: a TLS inbound with the files" sh -c "$BIN/vserver -port $qp -id $ID -tls $C/localhost.crt,$C/localhost.key -dump json | grep -q '\"keyFile\": \"$C/localhost.key\"'"
stop_wait qsrv
server_conf $sp 0 "$(srv_tls localhost)" >$T/s.json
run srv ours vserver $T/s.json
start cli $BIN/vclient "$(echo "$LINK" | python3 -c "
import base64, json, sys
l = sys.stdin.read().strip()[8:]
o = json.loads(base64.b64decode(l + '=' * (-len(l) % 4)))
o['add'] = '127.0.0.1'; o['port'] = '$sp'
print('vmess://' + base64.b64encode(json.dumps(o).encode()).decode())")" -insecure -socks 127.0.0.1:$cp
if wait_port $sp && wait_port $cp; then
	check_eq "quick: vclient LINK (tls, sni) -insecure: 1 MiB download" "$SUM1M" fetch $cp
else notok "quick: vclient with a tls link started"; show_log srv; show_log cli; fi
stop_wait cli
start cli $BIN/vclient -server 127.0.0.1:$sp -id $ID -tls -sni wrong.test -socks 127.0.0.1:$cp
if wait_port $cp; then
	r=$(fetch $cp)
	check "quick: vclient -tls -sni wrong.test: refused (no CA)" test "$r" != "$SUM1M"
	stop_wait cli
	start cli $BIN/vclient -server 127.0.0.1:$sp -id $ID -tls -insecure -socks 127.0.0.1:$cp
	wait_port $cp
	check_eq "quick: vclient -server -tls -insecure: 1 MiB download" "$SUM1M" fetch $cp
else notok "quick: vclient -tls started"; fi
stop_wait srv cli
EXT=$(free_port); IC=$(free_port)
start portal $BIN/vportal -listen 127.0.0.1:$IC -id $ID -public 127.0.0.1:$EXT -tls $C/localhost.crt,$C/localhost.key
start bridge $BIN/vbridge -portal 127.0.0.1:$IC -id $ID -to 127.0.0.1:$HTTP -tls -sni localhost -insecure
if wait_port $EXT && wait_port $IC; then
	check_eq "quick: vportal -tls / vbridge -tls -insecure: fetch through the tunnel" "up" until_ok 10
else notok "quick: vportal and vbridge started"; show_log portal; fi
stop_wait portal bridge

# Configuration checks at -test.
sp=$(free_port)
server_conf $sp 0 "\"streamSettings\": {\"security\": \"tls\", \"tlsSettings\": {\"certificates\": [{\"certificateFile\": \"$C/missing.crt\", \"keyFile\": \"$C/localhost.key\"}]}}," >$T/bad1.json
check "-test names a missing certificate file" sh -c "! $BIN/vserver -test -c $T/bad1.json >$T/t1.out 2>&1 && grep -q '$C/missing.crt' $T/t1.out"
server_conf $sp 0 "\"streamSettings\": {\"security\": \"tls\", \"tlsSettings\": {\"certificates\": [{\"certificateFile\": \"$C/localhost.crt\", \"keyFile\": \"$C/other.test.key\"}]}}," >$T/bad2.json
check "-test: a key that does not match its certificate" sh -c "! $BIN/vserver -test -c $T/bad2.json >$T/t2.out 2>&1 && grep -q 'does not match' $T/t2.out"
server_conf $sp 0 "\"streamSettings\": {\"security\": \"tls\"}," >$T/bad3.json
check "-test: a TLS server without a certificate" sh -c "! $BIN/vserver -test -c $T/bad3.json >$T/t3.out 2>&1 && grep -q 'needs a certificate' $T/t3.out"
server_conf $sp 0 "$(srv_tls localhost)" >$T/good.json
check "-test accepts a TLS server" $BIN/vserver -test -c $T/good.json
check "-dump json keeps the TLS settings" sh -c "$BIN/vserver -dump json -c $T/good.json | grep -q '\"security\": *\"tls\"' && $BIN/vserver -dump json -c $T/good.json | grep -q localhost.key"
$BIN/vserver -dump ini -c $T/good.json >$T/good.ini 2>$T/dump.err
check "-dump ini keeps the TLS settings, and loads again" sh -c "grep -q '^security = tls' $T/good.ini && grep -q '^tls.certificate = ' $T/good.ini && $BIN/vserver -test -format ini -c $T/good.ini"
