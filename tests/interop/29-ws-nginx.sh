#!/bin/sh
# WebSocket behind a real nginx, and the seed 002 reverse link over ws+tls.
# nginx (Debian's, run unprivileged with its own prefix and config, daemon
# off) terminates TLS and proxies the ws path to a plain-ws vserver: our
# vclient and a v2ray client both carry traffic through it, the server
# takes the client's address from X-Forwarded-For; a vbridge reaches its
# vportal through it. Then the reverse link of seed 002 over ws+tls, without
# nginx, in every pairing with v2ray.
. "$(dirname "$0")/lib.sh"
need_v2ray
command -v openssl >/dev/null 2>&1 || { notok "openssl command present"; exit 1; }
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$NGINX" ] || { notok "nginx present (make deps installs nginx-light)"; exit 1; }

C=$T/pki
make_pki $C
check "openssl made a CA and a leaf" test -s $C/localhost.crt

HTTP=$(free_port); UECHO=$(free_port)
start http $VT http $HTTP
start uecho $VT echo-udp $UECHO
ID=$(cat /proc/sys/kernel/random/uuid)
SUM1M=$($VT pattern 1048576 | sha256sum)
CA="\"certificates\": [{\"usage\": \"verify\", \"certificateFile\": \"$C/ca.crt\"}]"
fetch() { curl -s --max-time 20 --socks5 127.0.0.1:$1 http://127.0.0.1:$HTTP/bytes/1048576 | sha256sum; }

# nginx on NG (TLS) proxying /ws to VS and /tunnel to IC, both plain ws.
NG=$(free_port); VS=$(free_port); IC=$(free_port)
N=$T/nginx; mkdir -p $N/tmp
cp $C/localhost.crt $C/localhost.key $N/
cat >$N/nginx.conf <<CONF
worker_processes 1;
error_log $N/error.log info;
events { worker_connections 128; }
http {
	access_log $N/access.log;
	client_body_temp_path $N/tmp/body;
	proxy_temp_path $N/tmp/proxy;
	fastcgi_temp_path $N/tmp/fastcgi;
	uwsgi_temp_path $N/tmp/uwsgi;
	scgi_temp_path $N/tmp/scgi;
	server {
		listen 127.0.0.1:$NG ssl;
		ssl_certificate $N/localhost.crt;
		ssl_certificate_key $N/localhost.key;
		location = /ws {
			proxy_pass http://127.0.0.1:$VS;
			proxy_http_version 1.1;
			proxy_set_header Upgrade \$http_upgrade;
			proxy_set_header Connection "upgrade";
			proxy_set_header Host \$host;
			proxy_set_header X-Forwarded-For 192.0.2.7;
			proxy_read_timeout 300s;
		}
		location = /tunnel {
			proxy_pass http://127.0.0.1:$IC;
			proxy_http_version 1.1;
			proxy_set_header Upgrade \$http_upgrade;
			proxy_set_header Connection "upgrade";
			proxy_read_timeout 300s;
		}
		location / { return 404; }
	}
}
CONF
# Unprivileged: as root, the whole nginx runs as nobody.
AS=""
if [ "$(id -u)" = 0 ]; then
	chmod 755 $T; chown -R nobody:nogroup $N
	AS="setpriv --reuid=nobody --regid=nogroup --clear-groups"
fi
start nginx $AS $NGINX -p $N -c $N/nginx.conf -g "daemon off; pid $N/nginx.pid;"
check "nginx started (unprivileged, its own prefix)" wait_port $NG

cat >$T/s.json <<JSON
{"log": {"loglevel": "warning"},
 "inbounds": [{"port": $VS, "listen": "127.0.0.1", "protocol": "vmess",
   "streamSettings": {"network": "ws", "wsSettings": {"path": "/ws"}},
   "settings": {"clients": [{"id": "$ID"}]}}],
 "outbounds": [{"protocol": "freedom"}]}
JSON
client_conf() { # SOCKSPORT
cat <<JSON
{"log": {"loglevel": "warning"},
 "inbounds": [{"port": $1, "listen": "127.0.0.1", "protocol": "socks", "settings": {"udp": true}}],
 "outbounds": [{"protocol": "vmess",
   "streamSettings": {"network": "ws", "security": "tls", "wsSettings": {"path": "/ws"},
     "tlsSettings": {"serverName": "localhost", $CA}},
   "settings": {"vnext": [{"address": "127.0.0.1", "port": $NG,
   "users": [{"id": "$ID"}]}]}}]}
JSON
}
start srv $BIN/vserver -c $T/s.json
cp1=$(free_port); cp2=$(free_port)
client_conf $cp1 >$T/c1.json; client_conf $cp2 >$T/c2.json
start cli1 $BIN/vclient -c $T/c1.json
start cli2 v2ray -config $T/c2.json
if wait_port $VS && wait_port $cp1 && wait_port $cp2; then
	check_eq "through nginx: our vclient, 1 MiB download" "$SUM1M" fetch $cp1
	check_eq "through nginx: our vclient, udp" "ECHO:u-ng" $VT socks5-udp 127.0.0.1:$cp1 127.0.0.1 $UECHO u-ng
	check_eq "through nginx: a v2ray client, 1 MiB download" "$SUM1M" fetch $cp2
	check_eq "through nginx: a v2ray client, udp" "ECHO:u-ng2" $VT socks5-udp 127.0.0.1:$cp2 127.0.0.1 $UECHO u-ng2
	sleep 1.2
	check "through nginx: the client address is X-Forwarded-For's" grep -q '192.0.2.7:0 accepted' $T/srv.log
	check "nginx saw 101 answers" grep -q '"GET /ws HTTP/1.1" 101' $N/access.log
else notok "through nginx: vserver and clients started"; show_log srv; show_log cli1; fi
stop_wait cli1 cli2 srv

# A bridge reaches its portal through nginx (the portal's interconn plain ws).
EXT=$(free_port)
PT='"streamSettings": {"network": "ws", "wsSettings": {"path": "/tunnel"}},'
BT="\"streamSettings\": {\"network\": \"ws\", \"security\": \"tls\", \"wsSettings\": {\"path\": \"/tunnel\"}, \"tlsSettings\": {\"serverName\": \"localhost\", $CA}},"
seed002 "$PT" "$BT" $EXT $IC $NG
SUM4=$($VT pattern 4194304 | sha256sum)
start portal $BIN/vportal -c $T/portal.json
wait_port $IC	# nginx logs a bridge that comes first as an upstream error
start bridge $BIN/vbridge -c $T/bridge.json
if wait_port $EXT; then
	check_eq "bridge -> nginx -> portal: link up, fetch through the tunnel" "up" until_tunnel $EXT 10
	check_eq "bridge -> nginx -> portal: 4 MiB through the tunnel" "$SUM4" sh -c "curl -s --max-time 20 http://127.0.0.1:$EXT/bytes/4194304 | sha256sum"
else notok "bridge -> nginx -> portal: started"; show_log portal; fi
stop_wait portal bridge
stop_wait nginx
check "nginx logged no upstream error" sh -c "! grep -E '\[(error|crit|alert|emerg)\]' $N/error.log"

# The seed 002 reverse link over ws+tls, directly, in every pairing.
EXT=$(free_port); IC=$(free_port)
PT="\"streamSettings\": {\"network\": \"ws\", \"security\": \"tls\", \"wsSettings\": {\"path\": \"/tunnel\"}, \"tlsSettings\": {\"certificates\": [{\"certificateFile\": \"$C/localhost.crt\", \"keyFile\": \"$C/localhost.key\"}]}},"
seed002 "$PT" "$BT" $EXT $IC
run() { # NAME ours|v2ray TOOL CONF
	if [ $2 = ours ]; then start $1 $BIN/$3 -c $4; else start $1 v2ray -config $4; fi
}
for pb in "ours ours" "v2ray ours" "ours v2ray"; do
	set -- $pb
	n="$1 portal / $2 bridge, link over ws+tls"
	run portal $1 vportal $T/portal.json; run bridge $2 vbridge $T/bridge.json
	if ! wait_port $EXT || ! wait_port $IC; then notok "$n: started"; show_log portal; stop_wait portal bridge; continue; fi
	check_eq "$n: link up, fetch through the tunnel" "up" until_tunnel $EXT 10
	check_eq "$n: 4 MiB through the tunnel" "$SUM4" sh -c "curl -s --max-time 20 http://127.0.0.1:$EXT/bytes/4194304 | sha256sum"
	stop_wait portal bridge
done
