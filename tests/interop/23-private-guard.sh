#!/bin/sh
# The private-address block holds for names: vserver's quick start blocks
# geoip:private, and a target given as a name (or as an address in
# disguise: "127.1", "2130706433", "[::ffff:127.0.0.1]") is resolved and
# checked before freedom dials exactly the checked address. Runs in its own
# network and mount namespace: lo carries 1.2.3.4 (the "public" test
# address) and /etc/resolv.conf points at a DNS server this test starts.
# A service on 127.0.0.1/::1 answers "private"; it must never be reached.
if [ -z "${VT_GUARD_NS:-}" ]; then
	VT_GUARD_NS=1 exec unshare -m -n sh "$0" "$@"
fi
. "$(dirname "$0")/lib.sh"
need_v2ray
G="python3 $ROOT/tests/helpers/guard.py"

ip link set lo up && ip addr add 1.2.3.4/32 dev lo || { notok "namespace set up"; exit 1; }
echo "nameserver 127.0.0.1" >$T/resolv.conf
printf '127.0.0.1 localhost\n::1 localhost ip6-localhost\n' >$T/hosts
mount --bind $T/resolv.conf /etc/resolv.conf && mount --bind $T/hosts /etc/hosts ||
    { notok "private resolv.conf and hosts"; exit 1; }

HP=$(free_port); UP=$(free_port); SP=$(free_port); CP=$(free_port)
MP=$(free_port); KP=$(free_port); DP=$(free_port)
ID=$(cat /proc/sys/kernel/random/uuid)
start dns $G dns 53
start pub $G http 1.2.3.4 $HP public $T/public.hits
start priv4 $G http 127.0.0.1 $HP private $T/private.hits
start priv6 $G http ::1 $HP private $T/private.hits
start upub $G udp-echo 1.2.3.4 $UP public
start upriv $G udp-echo 127.0.0.1 $UP private
echo "{\"log\": {\"access\": \"$T/access.log\", \"loglevel\": \"info\"}}" >$T/base.json
start vserver $BIN/vserver -c $T/base.json -port $SP -id $ID
# The same quick start with dynamic ports: the detour's workers route alike.
B=$(range_base); E=$((B + 19))
start vserverd $BIN/vserver -port $((E + 1)) -id $ID -dynamic $B-$E
v2client() { # PORT MUX [SERVERPORT]
cat <<JSON
{"inbounds": [{"port": $1, "listen": "127.0.0.1", "protocol": "socks", "settings": {"udp": true}}],
 "outbounds": [{"protocol": "vmess", "mux": {"enabled": $2},
   "settings": {"vnext": [{"address": "127.0.0.1", "port": ${3:-$SP}, "users": [{"id": "$ID"}]}]}}]}
JSON
}
v2client $CP false >$T/c.json
v2client $MP true >$T/m.json
v2client $DP false $((E + 1)) >$T/d.json
start v2c v2ray -config $T/c.json
start v2m v2ray -config $T/m.json
start v2d v2ray -config $T/d.json
# vclient as a plain SOCKS proxy with the same block: the SOCKS way in.
cat >$T/k.json <<JSON
{"inbounds": [{"port": $KP, "listen": "127.0.0.1", "protocol": "socks", "settings": {"udp": true}}],
 "outbounds": [{"protocol": "freedom"}, {"tag": "no", "protocol": "blackhole"}],
 "routing": {"rules": [{"type": "field", "ip": ["geoip:private"], "outboundTag": "no"}]}}
JSON
start vclient $BIN/vclient -c $T/k.json
for p in $SP $CP $MP $KP $DP $((E + 1)); do
	wait_port $p || { show_log vserver; show_log v2c; show_log vclient; exit 1; }
done
check_eq "the public test service answers directly" "public" \
    curl -s --max-time 5 http://1.2.3.4:$HP/
check_eq "the private service answers directly" "private" \
    curl -s --max-time 5 http://127.0.0.1:$HP/
: >$T/private.hits

for t in localhost private.test v6.test mapped.test mixed.test "[::1]" \
    "[::ffff:127.0.0.1]" "::1" 0.0.0.0 127.1 2130706433 0x7f.1 0177.0.0.1; do
	check_eq "v2ray client -> vserver quick start: $t refused" "" $G get 127.0.0.1:$CP "$t" $HP
done
check_eq "v2ray client -> vserver: a name resolving to a public address passes" "public" \
    $G get 127.0.0.1:$CP public.test $HP
check_eq "v2ray client -> vserver: an unknown name fails cleanly" "" \
    $G get 127.0.0.1:$CP nx.test $HP
check_eq "Mux.Cool (v2ray client, mux on): localhost refused" "" $G get 127.0.0.1:$MP localhost $HP
check_eq "Mux.Cool: private.test refused" "" $G get 127.0.0.1:$MP private.test $HP
check_eq "Mux.Cool: public.test passes" "public" $G get 127.0.0.1:$MP public.test $HP
check_eq "vclient SOCKS -> freedom with the block: localhost refused" "" \
    $G get 127.0.0.1:$KP localhost $HP
check_eq "vclient SOCKS -> freedom: 2130706433 refused" "" $G get 127.0.0.1:$KP 2130706433 $HP
check_eq "vclient SOCKS -> freedom: public.test passes" "public" $G get 127.0.0.1:$KP public.test $HP

check_eq "dynamic ports: the first request (public.test) passes and announces a port" \
    "public" $G get 127.0.0.1:$DP public.test $HP
check_eq "dynamic ports: localhost and private.test refused, 3 times each" ",,,,," sh -c \
    "for t in localhost private.test; do for i in 1 2 3; do printf '%s,' \"\$($G get 127.0.0.1:$DP \$t $HP)\"; done; done | sed 's/,\$//'"
check "  ... and some of those went through the dynamic range" \
    sh -c "ss -tanH exclude listening '( sport >= :$B and sport <= :$E )' | grep -q ."

# Rebinding: the first answer is public, every later one 127.0.0.1. The one
# lookup that was checked is the one dialed, so the first request reaches
# the public service and the rest are refused; none reaches the private one.
r1=$($G get 127.0.0.1:$KP rebind.test $HP)
r2=$($G get 127.0.0.1:$KP rebind.test $HP)
r3=$($G get 127.0.0.1:$KP rebind.test $HP)
check_eq "rebinding name: checked answer dialed, later private answers refused" \
    "public,," echo "$r1,$r2,$r3"

check_eq "UDP through vserver: private.test refused" "" $G udp 127.0.0.1:$CP private.test $UP
check_eq "UDP through vserver: localhost refused" "" $G udp 127.0.0.1:$CP localhost $UP
check_eq "UDP through vserver: public.test passes" "public" $G udp 127.0.0.1:$CP public.test $UP
check_eq "UDP through vclient's freedom: 127.1 refused" "" $G udp 127.0.0.1:$KP 127.1 $UP
check_eq "UDP through vclient's freedom: public.test passes" "public" $G udp 127.0.0.1:$KP public.test $UP

check "the private service was never reached through a proxy" \
    test ! -s $T/private.hits
sleep 1.2	# the access log is flushed once a second
check "vserver's access log shows localhost sent to the blackhole" \
    grep -q "accepted tcp:localhost:$HP \[blocked\]" $T/access.log
check_eq "the public service was reached (direct, 4 names, rebinding's first)" 6 \
    sh -c "wc -l <$T/public.hits"
check "both vservers still running" kill -0 $PID_vserver $PID_vserverd
