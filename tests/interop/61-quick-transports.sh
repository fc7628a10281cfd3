#!/bin/sh
# Links and quick flags with transports: vserver -ws PATH -tls CERT,KEY
# prints a vmess:// link (net ws, path, tls, sni) that vclient takes and a
# v2ray client takes as the JSON v2rayN would make of it; the same for -h2;
# vportal -ws -tls prints the bridge's link and vbridge takes it; a link
# with net tcp and type http (host and path lists) into a server with the
# http header, from vclient and from v2ray.
[ -n "${VT_NS:-}" ] || VT_NS=1 exec unshare -m -n sh "$0" "$@"
. "$(dirname "$0")/lib.sh"
need_v2ray
public_net
command -v openssl >/dev/null 2>&1 || { notok "openssl command present"; exit 1; }

HTTP=$(free_port)
start http $VT http $HTTP
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -days 2 -subj /CN=localhost -addext subjectAltName=DNS:localhost \
    -keyout $T/k.pem -out $T/c.pem >$T/openssl.log 2>&1
ID=$(cat /proc/sys/kernel/random/uuid)
page() { curl -s --max-time 10 --socks5-hostname 127.0.0.1:$1 http://$PUB:$HTTP/; }

# fields LINK: v2rayN's fields as Python reads them.
fields() {
	python3 -c "
import base64, json, sys
j = json.loads(base64.b64decode(sys.argv[1][8:]))
print(' '.join(str(j.get(k) or '-') for k in ('add', 'net', 'type', 'host', 'path', 'tls', 'sni')))" "$1"
}
# v2ray_client LINK SOCKSPORT: the v2ray config v2rayN makes of a link.
v2ray_client() {
	python3 - "$@" <<'PY'
import base64, json, sys
j = json.loads(base64.b64decode(sys.argv[1][8:]))
st = {"network": j["net"]}
if j["net"] == "ws":
    st["wsSettings"] = {"path": j["path"] or "/", "headers": {"Host": j["host"]} if j["host"] else {}}
elif j["net"] == "h2":
    st["httpSettings"] = {"path": j["path"] or "/", "host": [h for h in j["host"].split(",") if h]}
elif j["type"] == "http":
    st["tcpSettings"] = {"header": {"type": "http", "request": {"path": j["path"].split(","),
        "headers": {"Host": j["host"].split(",")}}}}
if j.get("tls") == "tls":
    st["security"] = "tls"
    st["tlsSettings"] = {"serverName": j.get("sni") or j["add"], "allowInsecure": True}
print(json.dumps({"inbounds": [{"port": int(sys.argv[2]), "listen": "127.0.0.1", "protocol": "socks"}],
    "outbounds": [{"protocol": "vmess", "streamSettings": st, "settings": {"vnext": [{"address": j["add"],
    "port": int(j["port"]), "users": [{"id": j["id"], "alterId": int(j["aid"])}]}]}}]}))
PY
}

# flags_case NAME NETFLAG PATH: vserver from flags, vclient and v2ray from its link.
flags_case() {
	sp=$(free_port); cp=$(free_port); vp=$(free_port)
	start vs$1 $BIN/vserver -listen 127.0.0.1 -port $sp -id $ID -host localhost \
	    -$2 $3 -tls $T/c.pem,$T/k.pem
	if ! wait_port $sp; then notok "vserver -$2 -tls started"; show_log vs$1; return; fi
	sleep 0.3
	L=$(grep -m1 '^vmess://' $T/vs$1.log)
	check_eq "vserver -$2 $3 -tls: the link's add, net, type, host, path, tls, sni" \
	    "localhost $2 none - $3 tls localhost" fields "$L"
	start vc$1 $BIN/vclient -socks 127.0.0.1:$cp -insecure "$L"
	v2ray_client "$L" $vp >$T/v$1.json
	start v2$1 v2ray -config $T/v$1.json
	if wait_port $cp && wait_port $vp; then
		check_eq "vclient with that link: a page through" "hello from vt" page $cp
		check_eq "v2ray with that link's JSON: a page through" "hello from vt" page $vp
	else
		notok "clients for the -$2 link started"; show_log vc$1; show_log v2$1
	fi
	stop vs$1; stop vc$1; stop v2$1
}
flags_case ws ws /ray
flags_case h2 h2 /h2path

# vportal -ws -tls prints the bridge's link; vbridge takes it.
pp=$(free_port); pub=$(free_port); bp=$(free_port)
start portal $BIN/vportal -listen 127.0.0.1:$pp -id $ID -public 0.0.0.0:$pub \
    -ws /rev -tls $T/c.pem,$T/k.pem -host localhost
if wait_port $pp; then
	sleep 0.3
	L=$(grep -m1 '^vmess://' $T/portal.log)
	check_eq "vportal -ws /rev -tls: the bridge's link" \
	    "localhost ws none - /rev tls localhost" fields "$L"
	start bridge $BIN/vbridge "$L" -insecure -to 127.0.0.1:$HTTP
	i=0; r=""
	while [ $i -lt 40 ] && [ "$r" != "hello from vt" ]; do
		r=$(curl -s --max-time 2 http://127.0.0.1:$pub/); i=$((i + 1)); sleep 0.2
	done
	check_eq "vbridge with that link: the public port serves the page" "hello from vt" echo "$r"
else
	notok "vportal -ws started"; show_log portal
fi
stop portal; stop bridge

# A link with the tcp http header into a server configured for it.
sp=$(free_port); cp=$(free_port); vp=$(free_port)
cat >$T/hs.json <<JSON
{"inbounds": [{"port": $sp, "listen": "127.0.0.1", "protocol": "vmess",
   "settings": {"clients": [{"id": "$ID"}]},
   "streamSettings": {"tcpSettings": {"header": {"type": "http", "request": {"path": ["/a", "/b"]}}}}}],
 "outbounds": [{"protocol": "freedom"}]}
JSON
L=$(python3 -c "
import base64, json
print('vmess://' + base64.b64encode(json.dumps({'v': '2', 'ps': 'h', 'add': '127.0.0.1', 'port': '$sp',
    'id': '$ID', 'aid': '0', 'net': 'tcp', 'type': 'http', 'host': 'cdn.example,img.example',
    'path': '/a,/b', 'tls': ''}).encode()).decode())")
start hs $BIN/vserver -c $T/hs.json
start hc $BIN/vclient -socks 127.0.0.1:$cp "$L"
v2ray_client "$L" $vp >$T/vh.json
start hv v2ray -config $T/vh.json
if wait_port $sp && wait_port $cp && wait_port $vp; then
	check_eq "vclient with a tcp/http link (host, path lists): a page through" "hello from vt" page $cp
	check_eq "v2ray with that link's JSON: a page through" "hello from vt" page $vp
else
	notok "http header pair started"; show_log hs; show_log hc
fi
stop hs; stop hc; stop hv
echo "1..$NTEST"
