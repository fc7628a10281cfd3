#!/bin/sh
# Quick flags: the one-line deployments on loopback. vserver from flags
# prints vmess:// links, vclient takes one, a page goes through; dynamic
# ports, two users, mux and sniffing the same way; every tool's flags pass
# -test, and their -dump json reloads with -c; a base file plus flags;
# usage errors exit 2; vportal + vbridge from flags serve a page.
[ -n "${VT_NS:-}" ] || VT_NS=1 exec unshare -m -n sh "$0" "$@"
. "$(dirname "$0")/lib.sh"
need_v2ray
public_net

HTTP=$(free_port); ECHO=$(free_port)
start http $VT http $HTTP
start echo $VT echo-tcp $ECHO

# A block of 100 free ports for the dynamic range.
hold() { # PROXYPORT LO HI: hold 8 sessions to the echo server (by name:
	# the server blocks private IPs); do some go into the range?
	python3 -c "
import socket, subprocess, time
held = []
for i in range(8):
    s = socket.create_connection(('127.0.0.1', $1), 5)
    s.sendall(b'\x05\x01\x00'); s.recv(2)
    s.sendall(b'\x05\x01\x00\x03\x08pub.test' + ($ECHO).to_bytes(2, 'big')); s.recv(10)
    s.sendall(b'x'); s.recv(1)
    held.append(s)
    time.sleep(0.1)
out = subprocess.run(['ss', '-tnH', 'state', 'established', '( dport >= :$2 and dport <= :$3 )'], capture_output=True, text=True).stdout
print('yes' if out.strip() else 'no')"
}
# The v2rayN fields of a link, decoded by Python, space separated.
link_fields() {
	python3 -c "
import base64, json, sys
s = sys.argv[1]
assert s.startswith('vmess://')
j = json.loads(base64.b64decode(s[8:]))
print(j['v'], j['add'], j['port'], j['id'], j['aid'], j['scy'], j['net'], j['type'], j['tls'] or '-')" "$1"
}

ID=$($BIN/vserver -uuid)
ID2=$($BIN/vserver -uuid)
check "vserver -uuid prints an RFC 4122 version 4 UUID" sh -c \
    "echo $ID | grep -Eq '^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}\$'"
check "  ... a fresh one each time" test "$ID" != "$ID2"

# --- one line each: vserver, then vclient with the link it printed ------
SP=$(free_port); CP=$(free_port); CP2=$(free_port)
start vserver $BIN/vserver -listen 127.0.0.1 -port $SP -id $ID
wait_port $SP || { show_log vserver; exit 1; }
sleep 0.2
LINK=$(grep -m1 '^vmess://' $T/vserver.log)
check "vserver prints a vmess:// link on start" test -n "$LINK"
check_eq "  ... v2rayN fields as Python decodes them" \
    "2 127.0.0.1 $SP $ID 0 auto tcp none -" link_fields "$LINK"
check "  ... no -host hint when listening on a real address" \
    sh -c "! grep -q -- '-host' $T/vserver.log"
start vclient $BIN/vclient -socks 127.0.0.1:$CP "$LINK"
start vclient2 $BIN/vclient -socks $CP2 -server 127.0.0.1:$SP -id $ID
wait_port $CP && wait_port $CP2 || { show_log vclient; show_log vclient2; exit 1; }
check_eq "a page through vclient (the link) → vserver" "hello from vt" \
    curl -s --max-time 10 --socks5-hostname 127.0.0.1:$CP http://$PUB:$HTTP/
check_eq "a page through vclient (-server -id) → vserver" "hello from vt" \
    curl -s --max-time 10 --socks5-hostname 127.0.0.1:$CP2 http://$PUB:$HTTP/
check_eq "vserver's flags block private ranges (127.0.0.1 target)" "" \
    curl -s --max-time 10 --socks5 127.0.0.1:$CP http://127.0.0.1:$HTTP/
check "vclient's SOCKS has UDP on" sh -c \
    "$BIN/vclient -socks $CP '$LINK' -dump json | python3 -c 'import json,sys; assert json.load(sys.stdin)[\"inbounds\"][0][\"settings\"][\"udp\"] is True'"

# A real v2ray client takes what the link describes.
VP=$(free_port)
cat >$T/v.json <<JSON
{"inbounds": [{"port": $VP, "listen": "127.0.0.1", "protocol": "socks"}],
 "outbounds": [{"protocol": "vmess", "settings": {"vnext": [{"address": "127.0.0.1", "port": $SP,
   "users": [{"id": "$ID", "alterId": 0}]}]}}]}
JSON
start v2c v2ray -config $T/v.json
wait_port $VP || show_log v2c
check_eq "a v2ray client through the flags' vserver" "hello from vt" \
    curl -s --max-time 10 --socks5-hostname 127.0.0.1:$VP http://$PUB:$HTTP/
stop v2c; stop vclient; stop vclient2; stop vserver

# --- dynamic ports, two users, wildcard listen; vclient with mux, sniff -
B=$(range_base); E=$((B + 99)); SP=$(free_port); CP=$(free_port); CP2=$(free_port)
start vserver2 $BIN/vserver -port $SP -id $ID -id $ID2 -dynamic $B-$E
wait_port $SP || { show_log vserver2; exit 1; }
sleep 0.3
check_eq "vserver prints one link per user" "2" sh -c "grep -c '^vmess://' $T/vserver2.log"
check "  ... and, listening on 0.0.0.0, says so and suggests -host" \
    sh -c "grep -q '0.0.0.0' $T/vserver2.log && grep -q -- '-host' $T/vserver2.log"
LINK2=$(grep '^vmess://' $T/vserver2.log | sed -n 2p)
check_eq "  ... the second link carries the second user" \
    "2 127.0.0.1 $SP $ID2 0 auto tcp none -" link_fields "$LINK2"
check_eq "-dynamic: 3 random ports of the range listen" "3" listening $B $E $PID_vserver2
start vclient3 $BIN/vclient -socks $CP -sniff "$LINK2"
start vclient4 $BIN/vclient -socks $CP2 -mux 4 "$LINK2"
wait_port $CP && wait_port $CP2 || { show_log vclient3; show_log vclient4; exit 1; }
check_eq "a page through vclient (-sniff) → vserver (-dynamic)" "hello from vt" \
    curl -s --max-time 10 --socks5-hostname 127.0.0.1:$CP http://$PUB:$HTTP/
check_eq "  ... new connections detour to the dynamic ports" "yes" hold $CP $B $E
check_eq "  ... sniffing: Host $PUB on a 127.0.0.1 target passes the server's rule" \
    "hello from vt" curl -s --max-time 10 --socks5 127.0.0.1:$CP -H "Host: $PUB" http://127.0.0.1:$HTTP/
check_eq "  ... sniffing: Host localhost is refused (the name resolves into the block)" \
    "" curl -s --max-time 10 --socks5 127.0.0.1:$CP -H "Host: localhost" http://127.0.0.1:$HTTP/
check_eq "a page through vclient (-mux 4) → vserver (-dynamic)" "hello from vt" \
    sh -c "for i in 1 2 3; do curl -s --max-time 10 --socks5-hostname 127.0.0.1:$CP2 http://$PUB:$HTTP/ >/dev/null; done; curl -s --max-time 10 --socks5-hostname 127.0.0.1:$CP2 http://$PUB:$HTTP/"
stop vclient3; stop vclient4; stop vserver2

# --- vportal + vbridge from flags: the public port reaches the -to page --
LP=$(free_port); PP=$(free_port)
start portal $BIN/vportal -listen 127.0.0.1:$LP -id $ID -public 127.0.0.1:$PP
wait_port $LP || show_log portal
start bridge $BIN/vbridge -portal 127.0.0.1:$LP -id $ID -to 127.0.0.1:$HTTP
wait_port $PP || show_log portal
check_eq "a page through vportal -public → vbridge -to" "hello from vt" sh -c \
    "for i in 1 2 3 4 5 6 7 8 9 10; do r=\$(curl -s --max-time 5 http://127.0.0.1:$PP/); [ -n \"\$r\" ] && break; sleep 0.5; done; echo \"\$r\""
stop bridge; stop portal

# --- -test and -dump json of every tool's flags, reloaded with -c -------
test_dump() { # NAME TOOL FLAGS...
	n=$1; t=$2; shift 2
	check_eq "$t, $n flags: -test" "Configuration OK." $BIN/$t "$@" -test
	$BIN/$t "$@" -dump json >$T/$n.json 2>$T/$n.err
	check_eq "  ... -dump json of the flags reloads with -c, -test OK" \
	    "Configuration OK." $BIN/$t -c $T/$n.json -test
	check "  ... and dumps the same again" sh -c "$BIN/$t -c $T/$n.json -dump json | cmp - $T/$n.json"
	$BIN/$t "$@" -dump ini >$T/$n.ini 2>>$T/$n.err
	check "  ... the INI dump loads to the same JSON" sh -c "$BIN/$t -c $T/$n.ini -dump json | cmp - $T/$n.json"
}
test_dump srv vserver -port 10086 -id $ID
test_dump srvdyn vserver -port 10086 -listen 127.0.0.1 -id $ID -id $ID2 -aid 4 -dynamic 30001-30100 -kcp -host vpn.example.com
test_dump cli vclient -server vpn.example.com:10086 -id $ID -aid 4 -security chacha20-poly1305 -mux 8 -kcp -sniff
test_dump clilink vclient -socks 127.0.0.1:1081 "$LINK"
test_dump portal vportal -listen 127.0.0.1:10240 -id $ID -public 127.0.0.1:8080 -public 8081 -domain r.example
test_dump bridge vbridge -portal portal.example.com:10240 -id $ID -to 127.0.0.1:8000 -domain r.example
check "the -dump of the vserver flags has the seed-000 shape" python3 -c "
import json
d = json.load(open('$T/srvdyn.json'))
ib = {i['tag']: i for i in d['inbounds']}
assert ib['vmess-in']['settings']['detour']['to'] == 'dynamic'
assert ib['dynamic']['allocate'] == {'strategy': 'random', 'refresh': 5, 'concurrency': 3}, ib['dynamic']['allocate']
assert ib['dynamic']['streamSettings']['network'] == 'kcp' == ib['vmess-in']['streamSettings']['network']
assert [o['tag'] for o in d['outbounds']] == ['direct', 'blocked']
assert d['routing']['rules'][0]['ip'] == ['geoip:private']
assert d['routing']['rules'][0]['outboundTag'] == 'blocked'"
check "the -dump of the vportal flags mirrors seed 002's portal" python3 -c "
import json
d = json.load(open('$T/portal.json'))
assert d['reverse'] == {'portals': [{'tag': 'portal', 'domain': 'r.example'}]}
ib = {i['tag']: i for i in d['inbounds']}
assert ib['public2']['settings']['port'] == 8081 == ib['public2']['port']
assert ib['interconn']['protocol'] == 'vmess'
assert [(r['inboundTag'], r['outboundTag']) for r in d['routing']['rules']] == [(['public1', 'public2'], 'portal'), (['interconn'], 'portal')]"
check "the -dump of the vbridge flags mirrors seed 002's bridge" python3 -c "
import json
d = json.load(open('$T/bridge.json'))
assert d['reverse'] == {'bridges': [{'tag': 'bridge', 'domain': 'r.example'}]}
assert [o['tag'] for o in d['outbounds']] == ['out', 'interconn']
assert d['outbounds'][0]['settings']['redirect'] == '127.0.0.1:8000'
r = d['routing']['rules']
assert r[0]['inboundTag'] == ['bridge'] and r[0]['domain'] == ['full:r.example'] and r[0]['outboundTag'] == 'interconn'
assert r[1]['inboundTag'] == ['bridge'] and r[1]['outboundTag'] == 'out' and 'domain' not in r[1]"
for n in cli portal bridge; do
	check "v2ray -test accepts the dump of the $n flags" sh -c "v2ray -test -config $T/$n.json | grep -q 'Configuration OK'"
done

# --- a base file plus flags -----------------------------------------------
check_eq "vserver -c seed001-server.json plus flags: -test OK" "Configuration OK." \
    $BIN/vserver -c $ROOT/conf/seeds/seed001-server.json -port 12000 -id $ID -test
$BIN/vserver -c $ROOT/conf/vserver.json -port 12000 -id $ID -test >$T/out 2>&1; rc=$?
check_eq "flags adding a tag the base file has: exit 1" "1" echo $rc
check "  ... naming the tag" grep -q 'vmess-in' $T/out

# --- usage errors: exit 2 with a message; -h lists the quick flags -------
usage_err() { # WANT-IN-MESSAGE TOOL ARGS...
	w=$1; t=$2; shift 2
	$BIN/$t "$@" >$T/out 2>&1; rc=$?
	check_eq "$t $*: exit 2" "2" echo $rc
	check "  ... says \"$w\"" grep -q -- "$w" $T/out
}
usage_err "needs a value" vserver -port
usage_err "not a UUID" vserver -port 1 -id 1234
usage_err "-port 70000" vserver -port 70000 -id $ID
usage_err "unknown flag" vserver -port 1 -id $ID -bogus
usage_err "-server needs -id" vclient -server 127.0.0.1:1
usage_err "bad vmess:// link" vclient vmess://bm90IGpzb24=
usage_err "not a vclient flag" vclient -port 1
usage_err "-public" vportal -listen 1024 -id $ID
usage_err "-to" vbridge -portal p:1 -id $ID
for t in vserver:-dynamic vclient:-server vportal:-public vbridge:-portal; do
	check "${t%%:*} -h lists ${t#*:}" sh -c "$BIN/${t%%:*} -h | grep -q -- '${t#*:} '"
done
