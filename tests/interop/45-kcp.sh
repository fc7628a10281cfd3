#!/bin/sh
# mKCP against V2Ray 4.34: seed 001's mKCP pair verbatim (ports and
# addresses adjusted) both ways, with the switch to the dynamic range (UDP
# ports); every header type and a seed both ways; custom mtu/tti/capacities;
# and transfers through a lossy, reordering UDP relay, ours and V2Ray's side
# by side.
. "$(dirname "$0")/lib.sh"
need_v2ray
S=$ROOT/conf/seeds

HTTP=$(free_port)
start http $VT http $HTTP
SUM1=$($VT pattern 1048576 | sha256sum)
SUM4=$($VT pattern 4194304 | sha256sum)
ID=$(cat /proc/sys/kernel/random/uuid)

run() { # NAME SERVER(ours|v2ray) CLIENT(ours|v2ray)
	if [ $2 = ours ]; then start srv $BIN/vserver -c $T/s.json; else start srv v2ray -config $T/s.json; fi
	if [ $3 = ours ]; then start cli $BIN/vclient -c $T/c.json; else start cli v2ray -config $T/c.json; fi
	sleep 0.8
}
fetch_sum() { curl -s --max-time ${3:-30} --socks5 127.0.0.1:$1 http://127.0.0.1:$HTTP/bytes/$2 | sha256sum; }

# --- seed 001, mKCP, both ways, with the dynamic range --------------------
B=$((20000 + $(od -An -N2 -tu2 /dev/urandom) % 400 * 100)); E=$((B + 99))
SP=$(free_port); CP=$(free_port)
sed -e "s/\"port\": 37192/\"port\": $SP/" -e "s/10000-20000/$B-$E/" $S/seed001-kcp-server.json >$T/s.json
sed -e "s/1.2.3.4/127.0.0.1/" -e "s/37192/$SP/" -e "s/\"port\": 1080/\"port\": $CP/" $S/seed001-kcp-client.json >$T/c.json
for pair in "ours v2ray" "v2ray ours" "ours ours"; do
	set -- $pair
	n="seed 001 mKCP, $1 server / $2 client"
	run "$n" $1 $2
	check_eq "$n: fetch" "hello from vt" curl -s --max-time 10 --socks5 127.0.0.1:$CP http://127.0.0.1:$HTTP/
	check_eq "$n: 1 MiB byte for byte" "$SUM1" fetch_sum $CP 1048576
	udp=$(ss -uanH "( sport >= :$B and sport <= :$E )" | wc -l)
	check "$n: dynamic mKCP ports listen on UDP ($udp)" test "$udp" -ge 2
	check_eq "$n: after the switch, fetches still work" "3/3" sh -c "k=0; for i in 1 2 3; do [ \"\$(curl -s --max-time 10 --socks5 127.0.0.1:$CP http://127.0.0.1:$HTTP/)\" = 'hello from vt' ] && k=\$((k+1)); done; echo \$k/3"
	if [ $2 = ours ]; then
		# Our client's mKCP sockets are connected: they show the switch.
		moved=$(ss -uanH "( dport >= :$B and dport <= :$E )" | wc -l)
		check "$n: our vclient moved to the dynamic range ($moved sockets)" test "$moved" -ge 1
	fi
	stop srv; stop cli; sleep 0.5
done

# --- header types and a seed, both ways; custom mtu/tti/capacities -------
kcp_pair() { # HEADER SEED MTU TTI UP DOWN SERVERPORT
	seed=""; [ -n "$2" ] && seed=", \"seed\": \"$2\""
	ks="{\"mtu\": $3, \"tti\": $4, \"uplinkCapacity\": $5, \"downlinkCapacity\": $6, \"header\": {\"type\": \"$1\"}$seed}"
	cat >$T/s.json <<JSON
{"inbounds": [{"port": $7, "listen": "127.0.0.1", "protocol": "vmess",
   "settings": {"clients": [{"id": "$ID", "alterId": 0}]},
   "streamSettings": {"network": "kcp", "kcpSettings": $ks}}],
 "outbounds": [{"protocol": "freedom"}]}
JSON
	cat >$T/c.json <<JSON
{"inbounds": [{"port": $CP, "listen": "127.0.0.1", "protocol": "socks"}],
 "outbounds": [{"protocol": "vmess", "settings": {"vnext": [{"address": "127.0.0.1", "port": ${8:-$7},
   "users": [{"id": "$ID", "alterId": 0}]}]},
   "streamSettings": {"network": "mkcp", "kcpSettings": $ks}}]}
JSON
}
for hs in "none -" "srtp -" "utp -" "wechat-video -" "dtls -" "wireguard -" "wechat-video s3cr3t" "none s3cr3t"; do
	set -- $hs; h=$1; sd=$2; [ "$sd" = - ] && sd=""
	for pair in "ours v2ray" "v2ray ours"; do
		set -- $pair
		SP=$(free_port); CP=$(free_port)
		kcp_pair $h "$sd" 1350 50 5 20 $SP
		n="mKCP header $h${sd:+ seed}, $1 server / $2 client"
		run "$n" $1 $2
		check_eq "$n: 1 MiB" "$SUM1" fetch_sum $CP 1048576
		stop srv; stop cli
	done
done
SP=$(free_port); CP=$(free_port)
kcp_pair dtls tune 576 10 1 2 $SP
run custom ours v2ray
check_eq "mKCP mtu 576 tti 10 capacities 1/2, ours server / v2ray client" "$SUM1" fetch_sum $CP 1048576
stop srv; stop cli
SP=$(free_port); CP=$(free_port)
kcp_pair srtp tune 1460 100 20 50 $SP
run custom v2ray ours
check_eq "mKCP mtu 1460 tti 100 capacities 20/50, v2ray server / our client" "$SUM1" fetch_sum $CP 1048576
stop srv; stop cli

# --- loss and delay: 5 % dropped each way, 0-20 ms delay (reordering) ----
for pair in "ours ours" "v2ray v2ray"; do
	set -- $pair
	SP=$(free_port); CP=$(free_port); RL=$(free_port)
	kcp_pair none "" 1350 20 5 20 $SP $RL
	start relay $VT lossy-udp $RL $SP 5 7
	n="mKCP through a 5 % lossy relay, $1 server / $2 client"
	run "$n" $1 $2
	t0=$(date +%s%N)
	check_eq "$n: 4 MiB byte for byte" "$SUM4" fetch_sum $CP 4194304 120
	echo "# $n: $(( ($(date +%s%N) - t0) / 1000000 )) ms"
	stop srv; stop cli; stop relay
done
