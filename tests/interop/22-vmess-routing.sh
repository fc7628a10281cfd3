#!/bin/sh
# VMess with routing on both ends: vserver with seed 000's private-range
# rule (legacy config keys) blocks 127.0.0.1 targets while domain targets
# pass (AsIs, as 4.34), for our client and v2ray's; vclient's sniffing
# sends a sniffed domain to a direct freedom rule.
. "$(dirname "$0")/lib.sh"
need_v2ray

HTTP=$(free_port); SP=$(free_port); CP=$(free_port); VP=$(free_port)
start http $VT http $HTTP
ID=$(cat /proc/sys/kernel/random/uuid)
cat >$T/s.json <<JSON
{
  "log": {"access": "$T/access.log", "error": "$T/error.log", "loglevel": "warning"},
  "inbound": {"port": $SP, "listen": "127.0.0.1", "protocol": "vmess",
    "settings": {"clients": [{"id": "$ID", "level": 1, "alterId": 64, "email": "seed@000"}]}},
  "outbound": {"protocol": "freedom", "settings": {}},
  "outboundDetour": [{"protocol": "blackhole", "settings": {}, "tag": "blocked"}],
  "routing": {"strategy": "rules", "settings": {"rules": [{"type": "field",
    "ip": ["0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
           "172.16.0.0/12", "192.0.0.0/24", "192.0.2.0/24", "192.168.0.0/16", "198.18.0.0/15",
           "198.51.100.0/24", "203.0.113.0/24", "::1/128", "fc00::/7", "fe80::/10"],
    "outboundTag": "blocked"}]}}
}
JSON
client() { # PORT SNIFF
cat <<JSON
{"inbounds": [{"port": $1, "listen": "127.0.0.1", "protocol": "socks",
   "sniffing": {"enabled": $2, "destOverride": ["http", "tls"]}}],
 "outbounds": [
   {"protocol": "vmess", "settings": {"vnext": [{"address": "127.0.0.1", "port": $SP,
     "users": [{"id": "$ID", "alterId": 64}]}]}},
   {"tag": "direct", "protocol": "freedom"},
   {"tag": "deny", "protocol": "blackhole", "settings": {"response": {"type": "http"}}}],
 "routing": {"rules": [{"type": "field", "domain": ["full:deny.test"], "outboundTag": "deny"},
                       {"type": "field", "domain": ["full:localhost"], "outboundTag": "direct"}]}}
JSON
}
client $CP true >$T/c.json
client $VP false >$T/v.json
start vserver $BIN/vserver -c $T/s.json
start vclient $BIN/vclient -c $T/c.json
start v2client v2ray -config $T/v.json
wait_port $SP && wait_port $CP && wait_port $VP || { show_log vserver; show_log vclient; exit 1; }

for who in ours v2ray; do
	p=$CP; [ $who = v2ray ] && p=$VP
	check_eq "$who client: 127.0.0.1 target blocked by the seed-000 rule" "" \
	    curl -s --max-time 10 --socks5 127.0.0.1:$p http://127.0.0.1:$HTTP/
	check_eq "$who client: domain target (localhost) passes, AsIs" "hello from vt" \
	    curl -s --max-time 10 --socks5-hostname 127.0.0.1:$p http://localhost:$HTTP/
done
check_eq "vclient sniffs Host: deny.test and routes it to its own blackhole" "403" \
    curl -s -o /dev/null -w '%{http_code}' --max-time 10 --socks5 127.0.0.1:$CP -H "Host: deny.test" http://127.0.0.1:$HTTP/
check_eq "vclient sniffs Host: localhost, goes direct instead of the blocked server path" "hello from vt" \
    curl -s --max-time 10 --socks5 127.0.0.1:$CP -H "Host: localhost" http://127.0.0.1:$HTTP/
sleep 1.3
check "server access log names the user's email" grep -q "email: seed@000" $T/access.log
check "server access log shows the blocked detour" grep -q "accepted tcp:127.0.0.1:$HTTP \[blocked\]" $T/access.log
