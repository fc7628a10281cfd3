#!/bin/sh
# Reverse tunnelling, seed 002's configs (ports and addresses adjusted), in
# every pairing with V2Ray 4.34: sequential and parallel fetches through the
# portal's public port byte for byte, a large transfer; with ours: the
# portal restarted and the bridge back within seconds, the bridge
# restarted, two bridges on one portal, links only from VMess users.
. "$(dirname "$0")/lib.sh"
need_v2ray
S=$ROOT/conf/seeds

HTTP=$(free_port); EXT=$(free_port); IC=$(free_port); SOCKS=$(free_port)
start http $VT http $HTTP
SUM=$($VT pattern 16777216 | sha256sum)
sed -e "s/\"port\": 80,/\"port\": $EXT,/" -e "s/\"port\": 1024/\"port\": $IC/" $S/seed002-portal.json >$T/portal.json
sed -e "s/127.0.0.1:80/127.0.0.1:$HTTP/" -e "s/\"port\": 1024/\"port\": $IC/" -e "s/portal的IP地址/127.0.0.1/" \
    $S/seed002-bridge.json >$T/bridge.json

run_portal() { if [ $1 = ours ]; then start $2 $BIN/vportal -c $T/portal.json; else start $2 v2ray -config $T/portal.json; fi; }
run_bridge() { if [ $1 = ours ]; then start $2 $BIN/vbridge -c $T/bridge.json; else start $2 v2ray -config $T/bridge.json; fi; }
# until_ok SECONDS: first second at which a fetch through the portal works.
until_ok() {
	t0=$(date +%s%N)
	while :; do
		if [ "$(curl -s --max-time 1 http://127.0.0.1:$EXT/)" = "hello from vt" ]; then
			echo $(( ($(date +%s%N) - t0) / 1000000 )); return 0; fi
		[ $(( ($(date +%s%N) - t0) / 1000000000 )) -ge $1 ] && { echo never; return 1; }
		sleep 0.1
	done
}
parallel() {
	python3 -c "
import subprocess, concurrent.futures as cf
def one(i):
    r = subprocess.run(['curl', '-s', '--max-time', '15', 'http://127.0.0.1:$EXT/bytes/100000'], capture_output=True)
    return r.stdout
want = subprocess.run(['python3', '$ROOT/tests/helpers/vt.py', 'pattern', '100000'], capture_output=True).stdout
with cf.ThreadPoolExecutor(20) as ex:
    res = list(ex.map(one, range(40)))
print('%d/40' % sum(1 for r in res if r == want))"
}

# Sessions a bridge gets from its portal have no source: with an access
# log on, our bridge writes no "tcp::0 accepted" line for them (4.34 writes
# none at all); the portal still logs the public connection.
python3 - "$T/bridge.json" "$T/bridge-acc.json" "$T/bridge-access.log" <<'PY'
import sys
t = open(sys.argv[1]).read()
open(sys.argv[2], "w").write(t.replace("{", '{"log": {"access": "%s"},' % sys.argv[3], 1))
PY
run_portal ours portal
start bridge $BIN/vbridge -c $T/bridge-acc.json
wait_port $EXT && wait_port $IC
t=$(until_ok 10)
check "bridge with an access log: fetch through the tunnel (${t} ms)" test "$t" != never
sleep 1.5	# logs are flushed once a second
stop_wait bridge portal
check "bridge access log holds no line without a source" \
    sh -c "[ -f $T/bridge-access.log ] && ! grep -q 'tcp::0' $T/bridge-access.log"

for pb in "ours ours" "v2ray ours" "ours v2ray"; do
	set -- $pb
	n="$1 portal / $2 bridge"
	run_portal $1 portal; run_bridge $2 bridge
	wait_port $EXT && wait_port $IC || { notok "$n: started"; show_log portal; continue; }
	t=$(until_ok 10)
	check "$n: link up and first fetch within 10 s (${t} ms)" test "$t" != never
	check_eq "$n: sequential fetches" "5/5" sh -c "k=0; for i in 1 2 3 4 5; do [ \"\$(curl -s --max-time 5 http://127.0.0.1:$EXT/)\" = 'hello from vt' ] && k=\$((k+1)); done; echo \$k/5"
	check_eq "$n: 40 parallel fetches byte for byte" "40/40" parallel
	check_eq "$n: 16 MiB through the tunnel" "$SUM" sh -c "curl -s --max-time 30 http://127.0.0.1:$EXT/bytes/16777216 | sha256sum"
	if [ "$pb" = "ours ours" ]; then
		stop portal; sleep 0.3; run_portal ours portal
		t=$(until_ok 10)
		check "ours: portal restarted, bridge back within 5 s (${t} ms)" sh -c "[ '$t' != never ] && [ '$t' -lt 5000 ]"
		stop bridge; sleep 0.3; run_bridge ours bridge
		t=$(until_ok 10)
		check "ours: bridge restarted, tunnel back within 5 s (${t} ms)" sh -c "[ '$t' != never ] && [ '$t' -lt 5000 ]"
		run_bridge ours bridge2
		sleep 2.5
		links=$(ss -tnH state established "( dport = :$IC )" | wc -l)
		check "ours: two bridges hold links to one portal ($links)" test "$links" -ge 2
		check_eq "ours: fetches with two bridges" "40/40" parallel
		stop bridge
		check_eq "ours: one bridge gone, the other serves at once" "5/5" sh -c "sleep 0.3; k=0; for i in 1 2 3 4 5; do [ \"\$(curl -s --max-time 5 http://127.0.0.1:$EXT/)\" = 'hello from vt' ] && k=\$((k+1)); done; echo \$k/5"
	fi
	# Nothing of this pairing may outlive it: a 4.34 portal keeps picking
	# a link that came and died (see README "Differences").
	stop_wait portal bridge bridge2
done

# A SOCKS inbound routed to the portal cannot register a bridge (4.34 lets it).
P2=$(free_port)
cat >$T/p2.json <<JSON
{"reverse": {"portals": [{"tag": "portal", "domain": "test.v2ray.com"}]},
 "inbounds": [{"tag": "s", "port": $SOCKS, "listen": "127.0.0.1", "protocol": "dokodemo-door",
   "settings": {"address": "test.v2ray.com", "port": 1}},
  {"tag": "pub", "port": $P2, "listen": "127.0.0.1", "protocol": "dokodemo-door",
   "settings": {"address": "127.0.0.1", "port": 1}}],
 "routing": {"rules": [{"type": "field", "inboundTag": ["s", "pub"], "outboundTag": "portal"}]}}
JSON
start p2 $BIN/vportal -c $T/p2.json
wait_port $SOCKS && wait_port $P2
check_eq "a non-VMess inbound cannot register a bridge link" "closed" python3 -c "
import socket
s = socket.create_connection(('127.0.0.1', $SOCKS), 5); s.settimeout(3)
try:
    d = s.recv(10)
    print('closed' if d == b'' else 'data')
except (socket.timeout, ConnectionResetError):
    print('closed' if False else 'open')"
check_eq "with no bridge, a public connection is closed at once" "" curl -s --max-time 5 http://127.0.0.1:$P2/

# -test warns when the bridge's outbound has Mux on (the seed's warning).
sed 's/"tag": "interconn"/"tag": "interconn", "mux": {"enabled": true}/' $T/bridge.json >$T/bm.json
$BIN/vbridge -test -c $T/bm.json >$T/bm.out 2>&1
check "-test warns about Mux under a bridge" grep -q "Mux is enabled on an outbound of a bridge" $T/bm.out

# Several portals in one vportal, one bridge each (different domains).
H2=$(free_port); PA=$(free_port); PB=$(free_port); LK=$(free_port)
start echo2 $VT echo-tcp $H2
UUID=$(cat /proc/sys/kernel/random/uuid)
cat >$T/pp.json <<JSON
{"reverse": {"portals": [{"tag": "pa", "domain": "a.tunnel"}, {"tag": "pb", "domain": "b.tunnel"}]},
 "inbounds": [
  {"tag": "ea", "port": $PA, "listen": "127.0.0.1", "protocol": "dokodemo-door", "settings": {"address": "127.0.0.1", "port": 1}},
  {"tag": "eb", "port": $PB, "listen": "127.0.0.1", "protocol": "dokodemo-door", "settings": {"address": "127.0.0.1", "port": 1}},
  {"tag": "link", "port": $LK, "listen": "127.0.0.1", "protocol": "vmess", "settings": {"clients": [{"id": "$UUID"}]}}],
 "routing": {"rules": [
  {"type": "field", "inboundTag": ["ea"], "outboundTag": "pa"},
  {"type": "field", "inboundTag": ["eb"], "outboundTag": "pb"},
  {"type": "field", "inboundTag": ["link"], "domain": ["full:a.tunnel"], "outboundTag": "pa"},
  {"type": "field", "inboundTag": ["link"], "domain": ["full:b.tunnel"], "outboundTag": "pb"}]}}
JSON
mkbridge() { # DOMAIN WEBPORT
cat <<JSON
{"reverse": {"bridges": [{"tag": "br", "domain": "$1"}]},
 "outbounds": [{"tag": "out", "protocol": "freedom", "settings": {"redirect": "127.0.0.1:$2"}},
  {"tag": "up", "protocol": "vmess", "settings": {"vnext": [{"address": "127.0.0.1", "port": $LK, "users": [{"id": "$UUID"}]}]}}],
 "routing": {"rules": [{"type": "field", "inboundTag": ["br"], "domain": ["full:$1"], "outboundTag": "up"}]}}
JSON
}
mkbridge a.tunnel $HTTP >$T/ba.json
mkbridge b.tunnel $H2 >$T/bb.json
start pp $BIN/vportal -c $T/pp.json
start ba $BIN/vbridge -c $T/ba.json
start bb $BIN/vbridge -c $T/bb.json
wait_port $PA && wait_port $PB && sleep 1.5
check_eq "two portals in one process: portal a reaches bridge a" "hello from vt" curl -s --max-time 5 http://127.0.0.1:$PA/
check_eq "two portals in one process: portal b reaches bridge b (an echo service)" "ping-b" python3 -c "
import socket
s = socket.create_connection(('127.0.0.1', $PB), 5); s.settimeout(5)
s.sendall(b'ping-b'); s.shutdown(socket.SHUT_WR)
b = b''
while True:
    d = s.recv(100)
    if not d: break
    b += d
print(b.decode())"
