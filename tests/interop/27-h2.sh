#!/bin/sh
# network "http" (HTTP/2, httpSettings host list and path) over TLS, both
# ways against V2Ray 4.34: a v2ray client through our vserver and our
# vclient through a v2ray server (AEAD, legacy alterId, UDP, Mux), streams
# sharing one TLS connection, the seed 002 reverse link over h2 both ways.
# Bad input, h2c and the configuration: 27-h2-edge.sh.
. "$(dirname "$0")/lib.sh"
need_v2ray
command -v openssl >/dev/null 2>&1 || { notok "openssl command present"; exit 1; }

C=$T/pki
check "openssl made a CA and two leaves" make_pki $C

HTTP=$(free_port); ECHO=$(free_port); UECHO=$(free_port)
start http $VT http $HTTP
start echo $VT echo-tcp $ECHO
start uecho $VT echo-udp $UECHO
ID=$(cat /proc/sys/kernel/random/uuid)
SUM1M=$($VT pattern 1048576 | sha256sum)
H2S='"httpSettings": {"host": ["a.test", "b.test"], "path": "/vt"}'
CA="\"certificates\": [{\"usage\": \"verify\", \"certificateFile\": \"$C/ca.crt\"}]"

srv_h2() {
	echo "\"streamSettings\": {\"network\": \"http\", \"security\": \"tls\", $H2S, \"tlsSettings\": {\"certificates\": [{\"certificateFile\": \"$C/localhost.crt\", \"keyFile\": \"$C/localhost.key\"}]}},"
}
cli_h2() {
	echo "\"streamSettings\": {\"network\": \"h2\", \"security\": \"tls\", $H2S, \"tlsSettings\": {\"serverName\": \"localhost\", $CA}},"
}
server_conf() { # PORT STREAM
cat <<JSON
{"log": {"loglevel": "warning"},
 "policy": {"levels": {"0": {"handshake": 2}}},
 "inbounds": [{"port": $1, "listen": "127.0.0.1", "protocol": "vmess", $2
   "settings": {"clients": [{"id": "$ID", "alterId": 4}]}}],
 "outbounds": [{"protocol": "freedom"}]}
JSON
}
# One client, three SOCKS ports: AEAD, legacy alterId 4, AEAD over Mux.
client_conf() { # SOCKSPORT SERVERPORT STREAM
	ob() { # TAG AID [MUX]
		echo "{\"tag\": \"$1\", \"protocol\": \"vmess\", $3 ${4:-} \"settings\": {\"vnext\": [{\"address\": \"127.0.0.1\", \"port\": $SP, \"users\": [{\"id\": \"$ID\", \"alterId\": $2, \"security\": \"auto\"}]}]}}"
	}
	ib() { echo "{\"tag\": \"$1\", \"port\": $2, \"listen\": \"127.0.0.1\", \"protocol\": \"socks\", \"settings\": {\"udp\": true}}"; }
	rule() { echo "{\"type\": \"field\", \"inboundTag\": [\"$1\"], \"outboundTag\": \"$1\"}"; }
	SP=$2
cat <<JSON
{"log": {"loglevel": "warning"},
 "inbounds": [$(ib aead $1), $(ib legacy $(($1 + 1))), $(ib mux $(($1 + 2)))],
 "outbounds": [$(ob aead 0 "$3"), $(ob legacy 4 "$3"), $(ob mux 0 "$3" '"mux": {"enabled": true, "concurrency": 4},')],
 "routing": {"rules": [$(rule aead), $(rule legacy), $(rule mux)]}}
JSON
}
run() { # NAME ours|v2ray TOOL CONF
	if [ $2 = ours ]; then start $1 $BIN/$3 -c $4; else start $1 v2ray -config $4; fi
}
fetch() { curl -s --max-time 20 --socks5 127.0.0.1:$1 http://127.0.0.1:$HTTP/bytes/1048576 | sha256sum; }
parallel() { # SOCKSPORT: 8 downloads at once
	k=0
	for i in 1 2 3 4 5 6 7 8; do (fetch $1 >$T/par.$i) & done
	wait
	for i in 1 2 3 4 5 6 7 8; do [ "$(cat $T/par.$i)" = "$SUM1M" ] && k=$((k + 1)); done
	echo $k/8
}
# TLS connections established to the server port.
conns() { ss -tnH state established "( dport = :$1 )" | wc -l; }
# Three consecutive free ports; the first is printed.
free3() {
	python3 - <<'PY'
import socket, random
for _ in range(200):
    b = random.randrange(20000, 60000)
    try:
        ss = [socket.socket() for _ in range(3)]
        for i, s in enumerate(ss):
            s.bind(("127.0.0.1", b + i))
    except OSError:
        continue
    finally:
        for s in ss:
            s.close()
    print(b); break
PY
}

# pair SERVER CLIENT
pair() {
	sp=$(free_port); cp=$(free3)
	server_conf $sp "$(srv_h2)" >$T/s.json
	client_conf $cp $sp "$(cli_h2)" >$T/c.json
	run srv $1 vserver $T/s.json; run cli $2 vclient $T/c.json
	n="$1 server / $2 client over h2+tls"
	if ! wait_port $sp || ! wait_port $cp || ! wait_port $((cp + 2)); then
		notok "$n: both started"; show_log srv; show_log cli
		stop_wait srv cli; return 1
	fi
	return 0
}
all() {
	check_eq "$n, AEAD: 1 MiB download" "$SUM1M" fetch $cp
	check_eq "$n, AEAD: echo 256 KiB" "OK" $VT tcp-echo-check 127.0.0.1:$cp 127.0.0.1 $ECHO 262144
	check_eq "$n, AEAD: udp" "ECHO:u-h2" $VT socks5-udp 127.0.0.1:$cp 127.0.0.1 $UECHO u-h2
	check_eq "$n, AEAD: 8 parallel downloads" "8/8" parallel $cp
	check_eq "$n, AEAD: one TLS connection carries them" "1" conns $sp
	check_eq "$n, legacy alterId 4: 1 MiB download" "$SUM1M" fetch $((cp + 1))
	check_eq "$n, legacy alterId 4: udp" "ECHO:u-h2" $VT socks5-udp 127.0.0.1:$((cp + 1)) 127.0.0.1 $UECHO u-h2
	check_eq "$n, AEAD over Mux: 8 parallel downloads" "8/8" parallel $((cp + 2))
	check_eq "$n, AEAD over Mux: udp" "ECHO:u-h2" $VT socks5-udp 127.0.0.1:$((cp + 2)) 127.0.0.1 $UECHO u-h2
}

# After SIGHUP the old engine sends GOAWAY on its pooled connection: the
# client's next streams go to a new one, to the reloaded server (the old
# one lasts while it carries the Mux link).
ports() { ss -tnH state established "( dport = :$1 )" | awk '{print $3}'; }
reloaded() {
	ports $sp >$T/p0
	kill -HUP $PID_srv; sleep 0.5
	r1=$(fetch $cp); r2=$(fetch $cp)
	[ "$r1" = "$SUM1M" ] && [ "$r2" = "$SUM1M" ] && echo fetched
	ports $sp | grep -qvxF -f $T/p0 && echo "on a new connection"
}
pair ours v2ray && {
	all
	check_eq "$n: SIGHUP: the client moves to a new connection" "fetched
on a new connection" reloaded
	stop_wait srv cli; }
pair v2ray ours && { all; stop_wait srv cli; }

# The seed 002 reverse link over h2+tls (the bridge's VMess connections to
# the portal are HTTP/2 streams).
EXT=$(free_port); IC=$(free_port)
seed002 "\"streamSettings\": {\"network\": \"http\", \"security\": \"tls\", $H2S, \"tlsSettings\": {\"certificates\": [{\"certificateFile\": \"$C/localhost.crt\", \"keyFile\": \"$C/localhost.key\"}]}}," \
    "\"streamSettings\": {\"network\": \"http\", \"security\": \"tls\", $H2S, \"tlsSettings\": {\"serverName\": \"localhost\", $CA}}," $EXT $IC
SUM4=$($VT pattern 4194304 | sha256sum)
for pb in "ours v2ray" "v2ray ours"; do
	set -- $pb
	n="$1 portal / $2 bridge, link over h2+tls"
	run portal $1 vportal $T/portal.json; run bridge $2 vbridge $T/bridge.json
	if ! wait_port $EXT || ! wait_port $IC; then notok "$n: started"; show_log portal; stop_wait portal bridge; continue; fi
	check_eq "$n: link up, fetch through the tunnel" "up" tunnel_up 10
	check_eq "$n: 4 MiB through the tunnel" "$SUM4" sh -c "curl -s --max-time 20 http://127.0.0.1:$EXT/bytes/4194304 | sha256sum"
	check_eq "$n: the link is one TLS connection" "1" conns $IC
	stop_wait portal bridge
done
