#!/bin/sh
# Dynamic-port promises kept: a 4.34 client keeps every port it was given
# for the announcement's ValidMin whole minutes (1 here) and dials them round
# robin, so with `refresh: "20s"` our vserver must keep each announced port
# listening (with its announced ID and alterId) until its promise runs out,
# and close it then: a real v2ray client, one request a second for 70 s,
# not one failure; ports turn over; the listener count stays bounded; the
# first generation outlives 2 x refresh while promised, then closes.
. "$(dirname "$0")/lib.sh"
need_v2ray

HTTP=$(free_port)
start http $VT http $HTTP
B=$(range_base); E=$((B + 29)); SP=$(free_port); VC=$(free_port)
ID=$($BIN/vserver -uuid)
cat >$T/s.json <<JSON
{"log": {"loglevel": "info"},
 "inbounds": [
  {"port": $SP, "listen": "127.0.0.1", "protocol": "vmess",
   "settings": {"clients": [{"id": "$ID", "alterId": 0, "email": "a@example.org"}],
                "detour": {"to": "dyn"}}},
  {"port": "$B-$E", "listen": "127.0.0.1", "protocol": "vmess", "tag": "dyn",
   "settings": {"default": {"alterId": 16, "level": 0}},
   "allocate": {"strategy": "random", "concurrency": 3, "refresh": "20s"}}],
 "outbounds": [{"protocol": "freedom"}]}
JSON
cat >$T/c.json <<JSON
{"log": {"loglevel": "info"},
 "inbounds": [{"port": $VC, "listen": "127.0.0.1", "protocol": "socks"}],
 "outbounds": [{"protocol": "vmess", "settings": {"vnext": [{"address": "127.0.0.1", "port": $SP,
   "users": [{"id": "$ID", "alterId": 0, "email": "a@example.org"}]}]}}]}
JSON
T0=$(date +%s%3N)
start vserver $BIN/vserver -c $T/s.json
el() { echo $(( ($(date +%s%3N) - T0) / 1000 )); }	# seconds since the start
start v2c v2ray -config $T/c.json
wait_port $SP && wait_port $VC && wait_port $HTTP || { show_log vserver; exit 1; }
sleep 0.3
listeners $B $E $PID_vserver >$T/gen0
check_eq "3 dynamic ports listen after start" "3" sh -c "wc -l <$T/gen0"

# 70 requests, one a second; the listeners sampled after each.
: >$T/fails; : >$T/counts; cp $T/gen0 $T/seen
i=0; kept=""
while [ $i -lt 70 ]; do
	i=$((i + 1))
	r=$(curl -s --max-time 10 --socks5 127.0.0.1:$VC http://127.0.0.1:$HTTP/)
	[ "$r" = "hello from vt" ] || echo "request $i at $(el) s: '$r'" >>$T/fails
	listeners $B $E $PID_vserver >$T/now
	wc -l <$T/now >>$T/counts
	cat $T/now >>$T/seen
	# 2 x refresh is 40 s; the first generation was promised for 1 minute
	# at the first request at the latest, so it must listen until ~60 s.
	if [ -z "$kept" ] && [ $(el) -ge 55 ]; then
		kept=$(comm -12 $T/gen0 $T/now | wc -l)
	fi
	sleep 1
done
check "70 requests through a v2ray client across refreshes, none failed" test ! -s $T/fails
[ -s $T/fails ] && sed 's/^/#   /' $T/fails | head -10 && grep -i "fail\|error" $T/v2c.log | tail -5 | sed 's/^/#   v2ray: /'
check "the client used dynamic ports" grep -Eq "via tcp:127.0.0.1:($(seq -s'|' $B $E))\$" $T/v2c.log
n=$(sort -u $T/seen | wc -l)
check "ports turned over (distinct ports seen: $n)" test "$n" -ge 9
check "the first generation still listens past 2 x refresh while promised (${kept:-?} of 3 at ~55 s)" test "${kept:-0}" -eq 3
max=$(sort -n $T/counts | tail -1)
# Promises of 1 min + 5 s grace, announced up to 20 s into a generation's
# life: about 5 generations live at once, never 7 x 3 ports.
check "the listener count stays bounded (at most $max <= 18)" test "$max" -le 18
# The first generation was announced for the last time before 20 s: its
# promise ran out by 85 s. (The generation born at 80 s may draw its ports
# again if it closed before, so the fewest seen after the requests counts.)
n=3
while [ $(el) -lt 90 ]; do
	listeners $B $E $PID_vserver >$T/end
	k=$(comm -12 $T/gen0 $T/end | wc -l)
	[ "$k" -lt "$n" ] && n=$k
	sleep 0.5
done
check "the first generation closed once its promise ran out (at the fewest $n of its 3 ports listen, end of requests to 90 s)" test "$n" -lt 3
check "generations close (server log)" grep -q "a generation of 3 ports closes" $T/vserver.log
check "vserver still running" kill -0 $PID_vserver
stop vserver; stop v2c
