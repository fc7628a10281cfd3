#!/bin/sh
# Signals for scripts: SIGHUP adds a user while a transfer is in flight
# (the transfer finishes, the new user connects); a broken config on SIGHUP
# is reported and the old one stays; SIGUSR1 reopens the log files;
# SIGTERM lets sessions finish and exits 0. A SOCKS UDP association lives
# across a reload.
. "$(dirname "$0")/lib.sh"

HTTP=$(free_port); SP=$(free_port); C1=$(free_port); C2=$(free_port)
start http $VT http $HTTP
ID1=$(cat /proc/sys/kernel/random/uuid); ID2=$(cat /proc/sys/kernel/random/uuid)
server() { # IDS...
	printf '{"log": {"access": "%s", "loglevel": "info", "error": "%s"},\n' "$T/access.log" "$T/error.log"
	printf ' "inbounds": [{"port": %s, "listen": "127.0.0.1", "protocol": "vmess", "settings": {"clients": [' $SP
	sep=""; for id in "$@"; do printf '%s{"id": "%s", "alterId": 0}' "$sep" $id; sep=","; done
	printf ']}}],\n "outbounds": [{"protocol": "freedom"}]}\n'
}
client() { # PORT ID
cat <<JSON
{"inbounds": [{"port": $1, "listen": "127.0.0.1", "protocol": "socks"}],
 "outbounds": [{"protocol": "vmess", "settings": {"vnext": [{"address": "127.0.0.1", "port": $SP,
   "users": [{"id": "$2", "alterId": 0}]}]}}]}
JSON
}
server $ID1 >$T/s.json
client $C1 $ID1 >$T/c1.json
client $C2 $ID2 >$T/c2.json
start vserver $BIN/vserver -c $T/s.json
start vc1 $BIN/vclient -c $T/c1.json
start vc2 $BIN/vclient -c $T/c2.json
wait_port $SP && wait_port $C1 && wait_port $C2 || { show_log vserver; exit 1; }

check_eq "user 2 is refused before the reload" "" curl -s --max-time 5 --socks5 127.0.0.1:$C2 http://127.0.0.1:$HTTP/
SUM=$($VT pattern 8388608 | sha256sum)
# A slow 8 MiB transfer in flight across the reload.
(curl -s --max-time 60 --limit-rate 2M --socks5 127.0.0.1:$C1 http://127.0.0.1:$HTTP/bytes/8388608 | sha256sum >$T/inflight) &
XFER=$!
sleep 1
server $ID1 $ID2 >$T/s.json
kill -HUP $PID_vserver
check_soon "the reload is logged" 10 grep -q "configuration reloaded" $T/error.log
check_eq "after SIGHUP the new user connects" "hello from vt" curl -s --max-time 10 --socks5 127.0.0.1:$C2 http://127.0.0.1:$HTTP/
check_eq "... and the old user still does" "hello from vt" curl -s --max-time 10 --socks5 127.0.0.1:$C1 http://127.0.0.1:$HTTP/
wait $XFER
check_eq "the transfer in flight during the reload finished byte for byte" "$SUM" cat $T/inflight

printf '{"inbounds": [{"port": 70000, "protocol": "vmess"}' >$T/s.json
kill -HUP $PID_vserver
check_soon "a broken config on SIGHUP is reported" 10 grep -q "the running one stays" $T/error.log
check_eq "... and the old configuration keeps serving" "hello from vt" curl -s --max-time 10 --socks5 127.0.0.1:$C2 http://127.0.0.1:$HTTP/

# A SOCKS UDP association made before a SIGHUP keeps working after it: the
# new engine's UDP socket takes the port and knows the old associations.
UE=$(free_port); US=$(free_port)
start uecho $VT echo-udp $UE
cat >$T/u.json <<JSON
{"inbounds": [{"port": $US, "listen": "127.0.0.1", "protocol": "socks", "settings": {"udp": true}}],
 "outbounds": [{"protocol": "freedom"}]}
JSON
start vcu $BIN/vclient -c $T/u.json
wait_port $US || show_log vcu
check_eq "a UDP association answers before and after a SIGHUP of vclient" "ECHO:before ECHO:after" \
    python3 - 127.0.0.1 $US $UE $PID_vcu <<'PY'
import os, signal, socket, struct, sys, time
host, sp, ep, pid = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
c = socket.create_connection((host, sp), timeout=5)
c.sendall(b"\x05\x01\x00"); c.recv(2)
c.sendall(b"\x05\x03\x00\x01\x00\x00\x00\x00\x00\x00")
rep = c.recv(10)
relay = (socket.inet_ntoa(rep[4:8]), struct.unpack(">H", rep[8:10])[0])
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.settimeout(3)
head = b"\x00\x00\x00\x01" + socket.inet_aton(host) + struct.pack(">H", ep)
out = []
for word in ("before", "after"):
    if word == "after":
        os.kill(pid, signal.SIGHUP); time.sleep(0.5)
    u.sendto(head + word.encode(), relay)
    try:
        out.append(u.recvfrom(65535)[0][10:].decode())
    except socket.timeout:
        out.append("(lost)")
print(" ".join(out))
PY

mv $T/access.log $T/access.log.1
kill -USR1 $PID_vserver
sleep 0.3
curl -s --max-time 10 --socks5 127.0.0.1:$C1 http://127.0.0.1:$HTTP/ >/dev/null
sleep 1.3
check "SIGUSR1 reopened the access log (logrotate)" grep -q accepted $T/access.log

kill -TERM $PID_vserver
i=0; while kill -0 $PID_vserver 2>/dev/null && [ $i -lt 80 ]; do sleep 0.1; i=$((i + 1)); done
check "SIGTERM stops vserver within the grace period" sh -c "! kill -0 $PID_vserver 2>/dev/null"
wait $PID_vserver 2>/dev/null; rc=$?
check_eq "... with exit status 0" "0" echo $rc
