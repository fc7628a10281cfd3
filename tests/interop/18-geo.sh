#!/bin/sh
# geoip.dat / geosite.dat routing against V2Ray 4.34: the same generated
# files and the same configs in vclient and v2ray, the same targets
# through both, the same ones blocked. Then what -test must predict: a
# missing file, list or log directory fails it naming the file; -dump
# shows the effective listen; dokodemo's timeout closes an idle
# connection in both; protocols we lack are refused by name.
. "$(dirname "$0")/lib.sh"
need_v2ray

A=$T/assets
mkdir -p $A $T/empty
G="python3 $ROOT/tests/helpers/mkgeodat.py"
$G ip $A/geoip.dat XX=198.51.100.0/24,2001:db8:1::/48 OTHER=192.0.2.0/24
$G ip $A/customip.dat ZZ=203.0.113.0/25
$G site $A/geosite.dat 'TEST=domain:blocked.example,full:exact.example,plain:kwblock,regex:^re\d+\.example$' \
    'GOOGLE=domain:ads.google.example@ads,domain:www.google.example,full:cn.google.example@cn@ads'
$G site $A/custom.dat 'MINE=full:ext.example'
export V2RAY_LOCATION_ASSET=$A

HTTP=$(free_port); ECHO=$(free_port)
OD=$(free_port); OI=$(free_port); OK=$(free_port)
VD=$(free_port); VI=$(free_port); VK=$(free_port)
start http $VT http $HTTP
start echo $VT echo-tcp $ECHO

# mk DOMAINPORT DOKOPORT | IPPORT: domain rules (and a dokodemo inbound)
# in one config, IP rules in another: a rule sending IPs to a blackhole
# makes vtools resolve names headed for freedom, which would ask DNS here.
mk() {
if [ "$1" = ip ]; then
	IN="{\"port\": $2, \"listen\": \"127.0.0.1\", \"protocol\": \"socks\"}"
	RULES='{"type": "field", "outboundTag": "block", "ip": ["geoip:xx", "ext:customip.dat:zz"]}'
else
	IN="{\"tag\": \"d\", \"port\": $1, \"listen\": \"127.0.0.1\", \"protocol\": \"socks\"},
    {\"tag\": \"k\", \"port\": $2, \"listen\": \"127.0.0.1\", \"protocol\": \"dokodemo-door\",
     \"settings\": {\"address\": \"127.0.0.1\", \"port\": $ECHO, \"network\": \"tcp\", \"timeout\": 2}}"
	RULES='{"type": "field", "inboundTag": ["k"], "outboundTag": "echo"},
    {"type": "field", "inboundTag": ["d"], "outboundTag": "block",
     "domain": ["geosite:test", "geosite:google@ads", "ext:custom.dat:MINE"]}'
fi
cat <<JSON
{
  "log": {"loglevel": "warning"},
  "inbounds": [
    $IN
  ],
  "outbounds": [
    {"tag": "direct", "protocol": "freedom", "settings": {"redirect": "127.0.0.1:$HTTP"}},
    {"tag": "echo", "protocol": "freedom"},
    {"tag": "block", "protocol": "blackhole"}
  ],
  "routing": {"rules": [
    $RULES
  ]}
}
JSON
}
mk $OD $OK >$T/ours.json
mk $VD $VK >$T/v2ray.json
mk ip $OI >$T/ours-ip.json
mk ip $VI >$T/v2ray-ip.json
start ours $BIN/vclient -c $T/ours.json
start v2ray v2ray -config $T/v2ray.json
start oursip $BIN/vclient -c $T/ours-ip.json
start v2rayip v2ray -config $T/v2ray-ip.json
wait_port $OK && wait_port $VK && wait_port $OI && wait_port $VI ||
    { show_log ours; show_log v2ray; show_log oursip; show_log v2rayip; exit 1; }

# verdicts PORT HOST...: "pass" or "block" for each, one line.
verdicts() {
	p=$1; shift
	for h in "$@"; do
		b=$(curl -s --max-time 5 --socks5-hostname 127.0.0.1:$p "http://$h/")
		[ "$b" = "hello from vt" ] && printf 'pass ' || printf 'block '
	done
}
DOMS="blocked.example a.b.blocked.example notblocked.example exact.example
sub.exact.example xkwblockx.test re42.example rex.example ads.google.example
www.google.example cn.google.example ext.example sub.ext.example other.example"
IPS="198.51.100.7 198.51.101.7 [2001:db8:1::5] [2001:db8:2::5] 192.0.2.1
203.0.113.5 203.0.113.200"
WD="block block pass block pass block block pass block pass block block pass pass "
WI="block pass block pass pass block pass "
od=$(verdicts $OD $DOMS); vd=$(verdicts $VD $DOMS)
oi=$(verdicts $OI $IPS); vi=$(verdicts $VI $IPS)
check_eq "v2ray blocks the expected geosite/ext: targets" "$WD" echo "$vd"
check_eq "vclient blocks the same domains as v2ray" "$vd" echo "$od"
check_eq "v2ray blocks the expected geoip/ext: addresses" "$WI" echo "$vi"
check_eq "vclient blocks the same addresses as v2ray" "$vi" echo "$oi"

# Dokodemo "timeout": 2 replaces connIdle, in both.
idle_close() {
	python3 - "$1" <<'PY'
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), 5)
s.sendall(b"x"); s.settimeout(10)
assert s.recv(1) == b"x"
t = time.time()
try:
    while s.recv(100):
        pass
except OSError:
    pass
print("closed" if 1.5 <= time.time() - t <= 6 else "after %.1fs" % (time.time() - t))
PY
}
check_eq "v2ray: dokodemo timeout 2 closes an idle connection" closed idle_close $VK
check_eq "vclient: the same" closed idle_close $OK
# A reload to a list that is not there keeps the running configuration.
cp $T/ours.json $T/ours.orig
sed 's/geosite:google@ads/geosite:nope/' $T/ours.orig >$T/ours.json
kill -HUP $PID_ours; sleep 1
check "SIGHUP with a missing list: the error names it, the old config stays" \
    grep -q 'reload:.*"geosite:nope": list "nope" not found' $T/ours.log
check_eq "  ... and still routes as before" "$WD" verdicts $OD $DOMS
stop_wait ours v2ray oursip v2rayip
cp $T/ours.orig $T/ours.json

# -test predicts what start would refuse, naming the file or list.
tst() { # tst CONFIG: "rc first-error-line" of vclient -test
	$BIN/vclient -test -c "$1" >$T/t.out 2>&1; echo "$? $(grep -v '^warning' $T/t.out | head -1)"
}
rule() { # rule FIELD VALUE: a config with that one rule
	printf '{"inbounds":[{"port":%s,"protocol":"socks"}],"outbounds":[{"protocol":"freedom"},{"tag":"b","protocol":"blackhole"}],"routing":{"rules":[{"type":"field","%s":["%s"],"outboundTag":"b"}]}}' \
	    $OD "$1" "$2" >$T/r.json
	echo $T/r.json
}
check_eq "-test OK with the files present" "Configuration OK." $BIN/vclient -test -c $T/ours.json
V2RAY_LOCATION_ASSET=$T/empty tst $T/ours.json >$T/res
check "missing geosite.dat fails -test naming where it looked" \
    grep -q "^1 .*\"geosite:test\": geosite.dat not found (looked for $T/empty/geosite.dat" $T/res
check "  ... and v2ray refuses the same config" sh -c \
    "! V2RAY_LOCATION_ASSET=$T/empty v2ray -test -config $T/ours.json >/dev/null 2>&1"
tst $(rule domain geosite:nope) >$T/res
check "a missing geosite list fails -test naming list and file" \
    grep -q "^1 .*\"geosite:nope\": list \"nope\" not found in $A/geosite.dat" $T/res
check "  ... and v2ray refuses it too" sh -c "! v2ray -test -config $T/r.json >/dev/null 2>&1"
tst $(rule ip geoip:jp) >$T/res
check "a missing geoip list fails -test naming list and file" \
    grep -q "^1 .*\"geoip:jp\": list \"jp\" not found in $A/geoip.dat" $T/res
tst $(rule ip ext:nofile.dat:zz) >$T/res
check "a missing ext: file fails -test naming it" grep -q "^1 .*nofile.dat not found" $T/res
tst $(rule domain geosite:google@nosuch) >$T/res
check "an attribute no domain has fails -test (4.34 drops the condition)" \
    grep -q "^1 .*\"geosite:google@nosuch\".*no domains with those attributes" $T/res

# Log files: -test opens them for append, as start does.
printf '{"log":{"access":"%s/nodir/access.log"},"inbounds":[{"port":%s,"protocol":"socks"}],"outbounds":[{"protocol":"freedom"}]}' $T $OD >$T/log.json
tst $T/log.json >$T/res
check "a log file in a missing directory fails -test naming the path" \
    grep -q "^1 .*log.access: cannot open log file \"$T/nodir/access.log\"" $T/res
$BIN/vclient -c $T/log.json >$T/start.out 2>&1; rc=$?
check "  ... and start fails (exit 1) naming the path too" sh -c \
    "[ $rc = 1 ] && grep -q '$T/nodir/access.log' $T/start.out"
printf '{"log":{"error":"/proc/version/error.log"},"inbounds":[{"port":%s,"protocol":"socks"}],"outbounds":[{"protocol":"freedom"}]}' $OD >$T/log2.json
tst $T/log2.json >$T/res
check "a log file under a non-directory fails -test naming it" \
    grep -q "^1 .*log.error: cannot open log file \"/proc/version/error.log\"" $T/res
sed "s|\"loglevel\": \"warning\"|\"loglevel\": \"warning\", \"access\": \"$T/ok/access.log\"|" $T/ours.json >$T/log3.json
mkdir -p $T/ok
check_eq "a writable log path passes -test" "Configuration OK." $BIN/vclient -test -c $T/log3.json

# -dump json says where an inbound without listen binds.
printf '{"inbounds":[{"port":%s,"protocol":"socks"},{"port":%s,"protocol":"dokodemo-door","settings":{"address":"1.1.1.1","port":53,"timeout":7}}],"outbounds":[{"protocol":"freedom"}]}' $OD $OI >$T/l.json
$BIN/vclient -c $T/l.json -dump json >$T/l.out
check "-dump json: a socks inbound without listen binds 127.0.0.1" python3 -c "
import json; d = json.load(open('$T/l.out'))
assert d['inbounds'][0]['listen'] == '127.0.0.1', d['inbounds'][0]
assert d['inbounds'][1]['listen'] == '0.0.0.0', d['inbounds'][1]
assert d['inbounds'][1]['settings']['timeout'] == 7"
$BIN/vclient -c $T/l.json -dump ini >$T/l.ini
check "-dump ini keeps dokodemo's timeout" grep -q "^timeout = 7" $T/l.ini

# What we do not offer is refused by name.
for p in shadowsocks vless trojan mtproto; do
	printf '{"inbounds":[{"port":%s,"protocol":"%s","settings":{}}],"outbounds":[{"protocol":"freedom"}]}' $OD $p >$T/p.json
	tst $T/p.json >$T/res
	check "a $p inbound is refused by name" grep -q "^1 .*$p" $T/res
done
printf '{"inbounds":[{"port":%s,"protocol":"socks","streamSettings":{"network":"quic"}}],"outbounds":[{"protocol":"freedom"}]}' $OD >$T/p.json
tst $T/p.json >$T/res
check "the quic transport is refused by name" grep -q "^1 .*quic" $T/res
