#!/bin/sh
# Our SOCKS inbound against V2Ray 4.34's, byte for byte: the same probes
# sent to both must get the same answers (handshake replies, refusals),
# and the same fetches must work through both.
. "$(dirname "$0")/lib.sh"
need_v2ray

HTTP=$(free_port); UECHO=$(free_port)
O1=$(free_port); O2=$(free_port); V1=$(free_port); V2=$(free_port)
start http $VT http $HTTP
start uecho $VT echo-udp $UECHO

mk() { # mk PORT_NOAUTH PORT_PASSWORD
cat <<JSON
{
  "log": {"loglevel": "warning"},
  "inbounds": [
    {"port": $1, "listen": "127.0.0.1", "protocol": "socks", "settings": {"auth": "noauth", "udp": true}},
    {"port": $2, "listen": "127.0.0.1", "protocol": "socks",
     "settings": {"auth": "password", "accounts": [{"user": "u", "pass": "p"}]}}
  ],
  "outbounds": [{"protocol": "freedom"}]
}
JSON
}
mk $O1 $O2 >$T/ours.json
mk $V1 $V2 >$T/v2ray.json
start ours $BIN/vclient -c $T/ours.json
start v2ray v2ray -config $T/v2ray.json
wait_port $O1 && wait_port $V1 || { show_log ours; show_log v2ray; exit 1; }

# probe NAME PORTSEL HEX: PORTSEL 1 = noauth inbound, 2 = password inbound.
probe() {
	if [ "$2" = 1 ]; then po=$O1; pv=$V1; else po=$O2; pv=$V2; fi
	o=$($VT socks5-raw 127.0.0.1:$po "$3" 2>&1)
	v=$($VT socks5-raw 127.0.0.1:$pv "$3" 2>&1)
	# The bound port differs (each proxy's own port): compare the rest.
	o=$(echo "$o" | sed "s/$(printf '%04x' $po)\$/PORT/")
	v=$(echo "$v" | sed "s/$(printf '%04x' $pv)\$/PORT/")
	if [ "$o" = "$v" ]; then ok "same reply as v2ray: $1"; else
		notok "same reply as v2ray: $1"; echo "#   ours:  $o"; echo "#   v2ray: $v"; fi
}
probe "unknown version" 1 0601
probe "noauth offer to password inbound" 2 050100
probe "password offer to noauth inbound" 1 050102
probe "wrong password" 2 050102010175010178
probe "BIND" 1 05010005020001017f0000010050
probe "unknown command 9" 1 05010005090001017f0000010050
probe "UDP associate on password inbound (udp off)" 2 050102010175017005030001000000000000
probe "socks4 to password inbound" 2 040100507f00000100
probe "socks4 BIND" 1 040200507f00000100

U=http://127.0.0.1:$HTTP
for p in $O1 $V1; do
	who=ours; [ $p = $V1 ] && who=v2ray
	check_eq "$who: socks5 fetch" "hello from vt" curl -s --max-time 10 --socks5 127.0.0.1:$p $U/
	check_eq "$who: socks4a fetch" "hello from vt" curl -s --max-time 10 --socks4a 127.0.0.1:$p http://localhost:$HTTP/
	check_eq "$who: udp echo" "ECHO:cmp" $VT socks5-udp 127.0.0.1:$p 127.0.0.1 $UECHO cmp
done
