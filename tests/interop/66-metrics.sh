#!/bin/sh
# Counters, the Prometheus endpoint and the status page (issue 17): traffic
# of known size through two users on two inbounds (TCP, UDP, Mux) shows up
# with V2Ray's switches and exact payload byte counts; the text passes
# promtool; handshake failures, routing decisions; a SIGHUP keeps the
# counters unless metrics.resetOnReload; SIGUSR2 writes them to the error
# log; "api" is refused. A portal and its bridge show their link, and the
# portal's page in headless chromium shows the bridge and a user's traffic
# without console errors. Basic auth from a non-loopback address (own
# network namespace, lo carrying 1.2.3.4). About 20 s.
if [ -z "${VT_NS:-}" ]; then
	VT_NS=1 exec unshare -m -n sh "$0" "$@"
fi
. "$(dirname "$0")/lib.sh"
public_net
unset VT_BIND

for p in promtool chromium curl; do
	command -v $p >/dev/null 2>&1 || { notok "$p installed (make deps)"; exit 1; }
done

UA=11111111-1111-4111-8111-111111111111
UB=22222222-2222-4222-8222-222222222222
UR=33333333-3333-4333-8333-333333333333
# Our own network namespace: one block of ports, no probing each.
B=$(range_base)
PA=$((B + 1)); PB=$((B + 2)); MS=$((B + 3)); SA=$((B + 4)); SB=$((B + 5))
ECHO=$((B + 6)); UECHO=$((B + 7)); REC=$((B + 8))
HTTP=$((B + 9)); EXT=$((B + 10)); IC=$((B + 11)); MP=$((B + 12)); MB=$((B + 13))

server_conf() {	# $1: extra metrics keys
	cat <<EOF
{
  "log": {"error": "$T/server-error.log", "loglevel": "warning"},
  "stats": {},
  "metrics": {"listen": "127.0.0.1:$MS"$1},
  "policy": {
    "levels": {"0": {"statsUserUplink": true, "statsUserDownlink": true,
                     "handshake": 2}},
    "system": {"statsInboundUplink": true, "statsInboundDownlink": true,
               "statsOutboundUplink": true, "statsOutboundDownlink": true}
  },
  "inbounds": [
    {"tag": "vm-a", "listen": "127.0.0.1", "port": $PA, "protocol": "vmess",
     "settings": {"clients": [{"id": "$UA", "alterId": 0, "email": "alice@t"}]}},
    {"tag": "vm-b", "listen": "127.0.0.1", "port": $PB, "protocol": "vmess",
     "settings": {"clients": [{"id": "$UB", "alterId": 0, "email": "bob@t"}]}}
  ],
  "outbounds": [{"tag": "direct", "protocol": "freedom"}]
}
EOF
}
client_conf() {	# $1 socks port, $2 server port, $3 uuid, $4 mux
	cat <<EOF
{
  "inbounds": [{"listen": "127.0.0.1", "port": $1, "protocol": "socks",
                "settings": {"udp": true, "ip": "127.0.0.1"}}],
  "outbounds": [{"tag": "proxy", "protocol": "vmess",
    "mux": {"enabled": $4, "concurrency": 8},
    "settings": {"vnext": [{"address": "127.0.0.1", "port": $2,
      "users": [{"id": "$3", "alterId": 0}]}]}}]
}
EOF
}
server_conf "" >$T/server.json
# alice's client goes through a relay that records her first request.
client_conf $SA $REC $UA false >$T/ca.json
client_conf $SB $PB $UB true >$T/cb.json

# metric NAME{LABELS}: its value from the server's endpoint (saved).
scrape() { curl -s --max-time 5 "http://127.0.0.1:${1:-$MS}/metrics" >$T/m.txt; }
metric() { awk -v k="$1" 'index($0, k " ") == 1 { print $2 }' $T/m.txt; }

# Reverse: a portal and its bridge, started now so the link is up by the
# time it is looked at.
cat >$T/portal.json <<EOF
{
  "stats": {},
  "metrics": {"listen": "0.0.0.0:$MP", "user": "ops", "password": "s3cret"},
  "policy": {"levels": {"0": {"statsUserUplink": true, "statsUserDownlink": true}}},
  "reverse": {"portals": [{"tag": "portal", "domain": "tunnel.test"}]},
  "inbounds": [
    {"tag": "external", "listen": "127.0.0.1", "port": $EXT, "protocol": "dokodemo-door",
     "settings": {"address": "127.0.0.1", "port": 9, "network": "tcp"}},
    {"tag": "interconn", "listen": "127.0.0.1", "port": $IC, "protocol": "vmess",
     "settings": {"clients": [{"id": "$UR", "alterId": 0, "email": "home-bridge@t"}]}}
  ],
  "routing": {"rules": [
    {"type": "field", "inboundTag": ["external", "interconn"], "outboundTag": "portal"}
  ]}
}
EOF
cat >$T/bridge.json <<EOF
{
  "reverse": {"bridges": [{"tag": "bridge", "domain": "tunnel.test"}]},
  "outbounds": [
    {"tag": "out", "protocol": "freedom", "settings": {"redirect": "127.0.0.1:$HTTP"}},
    {"tag": "interconn", "protocol": "vmess", "settings": {"vnext": [{"address": "127.0.0.1",
      "port": $IC, "users": [{"id": "$UR", "alterId": 0}]}]}}
  ],
  "routing": {"rules": [
    {"type": "field", "inboundTag": ["bridge"], "domain": ["full:tunnel.test"], "outboundTag": "interconn"},
    {"type": "field", "inboundTag": ["bridge"], "outboundTag": "out"}
  ]}
}
EOF
start http $VT http $HTTP
start portal $BIN/vportal -c $T/portal.json
start bridge $BIN/vbridge -c $T/bridge.json -metrics 127.0.0.1:$MB
start echo $VT echo-tcp $ECHO
start uecho $VT echo-udp $UECHO
start server $BIN/vserver -c $T/server.json
start rec $VT record-relay $REC 127.0.0.1:$PA $T/alice.req
start ca $BIN/vclient -c $T/ca.json
start cb $BIN/vclient -c $T/cb.json
wait_port $MS && wait_port $SA && wait_port $SB && wait_port $ECHO && wait_port $REC
# A connection that never sends its header: closed by policy.handshake.
start silent python3 -c "import socket, time; s = socket.create_connection(('127.0.0.1', $PB)); time.sleep(4)"

# alice: 1,000,000 bytes each way over TCP, 7 up / 12 down over UDP;
# bob (Mux): 300,000 each way over TCP, 8 up / 13 down over UDP in Mux.
check_eq "TCP through alice's inbound" OK $VT tcp-echo-check 127.0.0.1:$SA 127.0.0.1 $ECHO 1000000
check_eq "TCP through bob's inbound over Mux" OK $VT tcp-echo-check 127.0.0.1:$SB 127.0.0.1 $ECHO 300000
check_eq "UDP through alice's inbound" ECHO:hello-a $VT socks5-udp 127.0.0.1:$SA 127.0.0.1 $UECHO hello-a
check_eq "UDP over Mux through bob's inbound" ECHO:hello-bb $VT socks5-udp 127.0.0.1:$SB 127.0.0.1 $UECHO hello-bb
check_eq "garbage to alice's inbound is closed" closed $VT garbage-close 127.0.0.1:$PA 200
sleep 0.3
scrape
check "the endpoint passes promtool check metrics" sh -c "promtool check metrics <$T/m.txt"
check_eq "user alice, payload bytes (up down)" "1000007 1000012" \
    echo $(metric 'vtools_user_bytes_total{user="alice@t",direction="up"}') \
    $(metric 'vtools_user_bytes_total{user="alice@t",direction="down"}')
check_eq "user bob over Mux, TCP and UDP (up down)" "300008 300013" \
    echo $(metric 'vtools_user_bytes_total{user="bob@t",direction="up"}') \
    $(metric 'vtools_user_bytes_total{user="bob@t",direction="down"}')
check_eq "inbounds vm-a and vm-b (up down up down)" "1000007 1000012 300008 300013" \
    echo $(metric 'vtools_inbound_bytes_total{inbound="vm-a",direction="up"}') \
    $(metric 'vtools_inbound_bytes_total{inbound="vm-a",direction="down"}') \
    $(metric 'vtools_inbound_bytes_total{inbound="vm-b",direction="up"}') \
    $(metric 'vtools_inbound_bytes_total{inbound="vm-b",direction="down"}')
check_eq "outbound direct carries both (up down)" "1300015 1300025" \
    echo $(metric 'vtools_outbound_bytes_total{outbound="direct",direction="up"}') \
    $(metric 'vtools_outbound_bytes_total{outbound="direct",direction="down"}')
check_eq "handshake failure counted as bad_auth on vm-a" 1 \
    metric 'vtools_handshake_failures_total{inbound="vm-a",reason="bad_auth"}'
check_eq "accepted connections on vm-a (TCP, UDP, garbage, the relay's port probe)" 4 \
    metric 'vtools_inbound_connections_total{inbound="vm-a"}'
check_eq "routing decisions: default rule to direct" 4 \
    metric 'vtools_route_decisions_total{rule="default",outbound="direct"}'

# alice's recorded request sent again: refused as a replay.
$VT send-file 127.0.0.1:$PA $T/alice.req >/dev/null
scrape
check_eq "a replayed request counted as replay on vm-a" 1 \
    metric 'vtools_handshake_failures_total{inbound="vm-a",reason="replay"}'
i=0
while [ $i -lt 30 ]; do scrape; [ "$(metric 'vtools_handshake_failures_total{inbound="vm-b",reason="timeout"}')" = 1 ] && break; sleep 0.2; i=$((i + 1)); done
check_eq "a silent connection counted as a handshake timeout on vm-b" 1 \
    metric 'vtools_handshake_failures_total{inbound="vm-b",reason="timeout"}'

# A reload keeps the counters; one with resetOnReload zeroes them.
kill -HUP $PID_server; sleep 0.5
check_eq "SIGHUP keeps alice's count" 1000007 sh -c \
    "curl -s http://127.0.0.1:$MS/metrics | awk '/^vtools_user_bytes_total\\{user=\"alice@t\",direction=\"up\"\\}/ { print \$2 }'"
kill -USR2 $PID_server; sleep 1.3	# the log file is flushed every second
check "SIGUSR2 writes V2Ray's counter names to the error log" \
    grep -q 'stats: user>>>alice@t>>>traffic>>>uplink 1000007' $T/server-error.log
server_conf ', "resetOnReload": true' >$T/server.json
kill -HUP $PID_server; sleep 0.5
scrape
check_eq "SIGHUP with resetOnReload zeroes the counters" "0 0" \
    echo $(metric 'vtools_user_bytes_total{user="alice@t",direction="up"}') \
    $(metric 'vtools_inbound_connections_total{inbound="vm-a"}')
check_eq "status.json lists users and inbounds" "alice@t bob@t vm-a vm-b" sh -c \
    "curl -s http://127.0.0.1:$MS/status.json | python3 -c 'import json,sys; j=json.load(sys.stdin); print(\" \".join(sorted(u[\"name\"] for u in j[\"users\"]) + [i[\"name\"] for i in j[\"inbounds\"]]))'"
stop_wait ca cb server silent

# Dynamic ports live, from the quick flags (-metrics turns counting on).
start dyn $BIN/vserver -port $PA -id $UA -dynamic $((B + 50))-$((B + 79)) -metrics 127.0.0.1:$MS
wait_port $MS
scrape
check_eq "dynamic ports live on the detour inbound" 3 metric 'vtools_inbound_dynamic_ports{inbound="dynamic"}'
stop_wait dyn

# V2Ray's gRPC api is refused with a pointer to the endpoint; an endpoint
# off loopback needs credentials.
python3 -c "import json,sys; c=json.load(open('$T/server.json')); c['api']={'tag':'api','services':['StatsService']}; json.dump(c,open('$T/api.json','w'))"
check "config with \"api\" refused, pointing at metrics" sh -c \
    "! $BIN/vserver -c $T/api.json -test >$T/api.out 2>&1 && grep -q 'metrics' $T/api.out"
sed "s/\"listen\": \"127.0.0.1:$MS\"/\"listen\": \"0.0.0.0:$MS\"/" $T/server.json >$T/open.json
check "metrics on 0.0.0.0 without user/password refused" sh -c \
    "! $BIN/vserver -c $T/open.json -test >/dev/null 2>&1"

# The portal and its bridge each see their link.
wait_port $EXT && wait_port $MB && wait_port $HTTP
i=0
while [ "$(curl -s --max-time 1 http://127.0.0.1:$EXT/bytes/100000 | wc -c)" != 100000 ] && [ $i -lt 100 ]; do
	sleep 0.1; i=$((i + 1)); done
check "a fetch through the tunnel" test $i -lt 100
AUTH="-u ops:s3cret"
curl -s $AUTH http://127.0.0.1:$MP/metrics >$T/m.txt
check_eq "portal: one live link of portal tunnel.test" 1 metric 'vtools_reverse_links{role="portal",name="tunnel.test"}'
scrape $MB
check_eq "bridge: one live link of bridge \"bridge\"" 1 metric 'vtools_reverse_links{role="bridge",name="bridge"}'
check "bridge: the link carried the fetch" sh -c \
    "awk '/^vtools_reverse_link_bytes_total\\{role=\"bridge\".*direction=\"up\"/ { if (\$2 > 100000) ok = 1 } END { exit !ok }' $T/m.txt"

# Basic auth: from 1.2.3.4 (not loopback) without or with wrong credentials
# 401, with them 200; loopback needs them too once they are configured.
code() { curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$@"; }
check_eq "non-loopback without credentials: 401" 401 code --interface $PUB_IP http://$PUB_IP:$MP/metrics
check_eq "non-loopback with a wrong password: 401" 401 code --interface $PUB_IP -u ops:nope http://$PUB_IP:$MP/
check_eq "non-loopback with the credentials: 200" 200 code --interface $PUB_IP $AUTH http://$PUB_IP:$MP/status.json
check_eq "loopback without them, auth configured: 401" 401 code http://127.0.0.1:$MP/
check_eq "unknown path: 404" 404 code $AUTH http://127.0.0.1:$MP/nothing

# The portal's page in a real browser (credentials in the URL): the bridge
# link and the bridge user's traffic are on it, it refreshes itself after
# 5 s of the browser's virtual time; no console message.
timeout 40 chromium --headless --no-sandbox --disable-gpu --no-first-run \
    --user-data-dir=$T/chromium --enable-logging=stderr --v=0 \
    --virtual-time-budget=7000 --dump-dom "http://ops:s3cret@127.0.0.1:$MP/" \
    >$T/dom.html 2>$T/chromium.log
check "chromium: the page shows the portal's bridge link" \
    grep -q '<tr class="link"><td>portal</td><td>tunnel.test</td><td>home-bridge@t</td>' $T/dom.html
check "chromium: the page shows the bridge user's traffic" \
    grep -q '<tr><td>home-bridge@t</td><td class="n" title="[1-9][0-9]* bytes">' $T/dom.html
check "chromium: the page refreshed itself (5 s, through the same auth)" \
    grep -q '<main data-refreshed="[1-9]' $T/dom.html
check "chromium: no console message" sh -c "! grep -E 'CONSOLE|Uncaught' $T/chromium.log"
stop_wait bridge portal
echo "1..$NTEST"
