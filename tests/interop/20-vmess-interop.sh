#!/bin/sh
# VMess both ways against V2Ray 4.34: our vserver with a real v2ray client,
# a real v2ray server with our vclient (and ours with ours), for every
# {AEAD, legacy alterId} x {aes-128-gcm, chacha20-poly1305, none, auto}:
# 1 MiB downloads byte for byte, TCP echo both ways, UDP through SOCKS.
. "$(dirname "$0")/lib.sh"
need_v2ray

HTTP=$(free_port); ECHO=$(free_port); UECHO=$(free_port)
start http $VT http $HTTP
start echo $VT echo-tcp $ECHO
start uecho $VT echo-udp $UECHO
ID=$(cat /proc/sys/kernel/random/uuid)
SUM1M=$($VT pattern 1048576 | sha256sum)

server_conf() { # PORT AID
cat <<JSON
{"log": {"loglevel": "warning"},
 "inbounds": [{"port": $1, "listen": "127.0.0.1", "protocol": "vmess",
   "settings": {"clients": [{"id": "$ID", "alterId": $2, "email": "t@vtools"}]}}],
 "outbounds": [{"protocol": "freedom"}]}
JSON
}
client_conf() { # SOCKSPORT SERVERPORT AID SECURITY
cat <<JSON
{"log": {"loglevel": "warning"},
 "inbounds": [{"port": $1, "listen": "127.0.0.1", "protocol": "socks", "settings": {"udp": true}}],
 "outbounds": [{"protocol": "vmess", "settings": {"vnext": [{"address": "127.0.0.1", "port": $2,
   "users": [{"id": "$ID", "alterId": $3, "security": "$4"}]}]}}]}
JSON
}

pair() { # SERVER(ours|v2ray) CLIENT(ours|v2ray) AID SEC
	sp=$(free_port); cp=$(free_port)
	server_conf $sp $3 >$T/s.json
	client_conf $cp $sp $3 $4 >$T/c.json
	if [ $1 = ours ]; then start srv $BIN/vserver -c $T/s.json; else start srv v2ray -config $T/s.json; fi
	if [ $2 = ours ]; then start cli $BIN/vclient -c $T/c.json; else start cli v2ray -config $T/c.json; fi
	hdr=AEAD; [ $3 -gt 0 ] && hdr="legacy alterId $3"
	name="$1 server / $2 client, $hdr, $4"
	if ! wait_port $sp || ! wait_port $cp; then
		notok "$name: both started"; show_log srv; show_log cli
		stop srv; stop cli; return
	fi
	check_eq "$name: 1 MiB download" "$SUM1M" sh -c "curl -s --max-time 20 --socks5 127.0.0.1:$cp http://127.0.0.1:$HTTP/bytes/1048576 | sha256sum"
	check_eq "$name: echo 256 KiB" "OK" $VT tcp-echo-check 127.0.0.1:$cp 127.0.0.1 $ECHO 262144
	check_eq "$name: udp" "ECHO:u-$4" $VT socks5-udp 127.0.0.1:$cp 127.0.0.1 $UECHO u-$4
	stop srv; stop cli
	sleep 0.2
}

for aid in 0 4; do
	for sec in aes-128-gcm chacha20-poly1305 none auto; do
		pair ours v2ray $aid $sec
		pair v2ray ours $aid $sec
	done
	pair ours ours $aid auto
done
