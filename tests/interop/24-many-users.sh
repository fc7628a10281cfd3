#!/bin/sh
# Thousands of users: vserver with 5,000 VMess users (alterId 0, emails;
# one legacy user with alterId 4 in the middle) starts listening within a
# few seconds (before the bulk start it took minutes: every user rebuilt
# the whole legacy table); the first, middle (legacy header) and last users
# carry traffic from a real v2ray client; a SIGHUP that adds one user keeps
# a running transfer going, derives only the new user and admits it.
. "$(dirname "$0")/lib.sh"
need_v2ray

N=5000
HTTP=$(free_port); SP=$(free_port)
P1=$(free_port); P2=$(free_port); P3=$(free_port); P4=$(free_port)
start http $VT http $HTTP
SUM=$($VT pattern 20971520 | sha256sum)

# users.py N [EXTRA]: the server config with N users (+1 with EXTRA), and
# the v2ray client config for users 0, N/2, N-1 and the extra one.
cat >$T/users.py <<'PY'
import json, sys, uuid
n, extra, T, sp = int(sys.argv[1]), sys.argv[2] == "1", sys.argv[3], int(sys.argv[4])
ports = [int(p) for p in sys.argv[5:9]]
rnd = uuid.UUID(int=0x5eed)
ids = [str(uuid.UUID(int=(rnd.int + i * 7919) % (1 << 128), version=4)) for i in range(n + 1)]
clients = [{"id": ids[i], "alterId": 4 if i == n // 2 else 0, "email": "u%d@test" % i}
           for i in range(n + (1 if extra else 0))]
json.dump({"log": {"loglevel": "info", "error": T + "/error.log"},
           "inbounds": [{"tag": "vmess-in", "port": sp, "listen": "127.0.0.1",
                         "protocol": "vmess", "settings": {"clients": clients}}],
           "outbounds": [{"protocol": "freedom"}]}, open(T + "/s.json", "w"))
pick = [0, n // 2, n - 1, n]
json.dump({"inbounds": [{"tag": "in%d" % k, "port": ports[k], "listen": "127.0.0.1",
                         "protocol": "socks"} for k in range(4)],
           "outbounds": [{"tag": "out%d" % k, "protocol": "vmess", "settings": {"vnext": [
               {"address": "127.0.0.1", "port": sp, "users": [
                   {"id": ids[u], "alterId": 4 if u == n // 2 else 0}]}]}}
               for k, u in enumerate(pick)],
           "routing": {"rules": [{"type": "field", "inboundTag": ["in%d" % k],
                                  "outboundTag": "out%d" % k} for k in range(4)]}},
          open(T + "/c.json", "w"))
PY
python3 $T/users.py $N 0 $T $SP $P1 $P2 $P3 $P4
ms() { date +%s%3N; }
t0=$(ms)
start vserver $BIN/vserver -c $T/s.json
wait_port $SP 60 || { show_log vserver; exit 1; }
t1=$(ms)
echo "# $N users: listening after $((t1 - t0)) ms, RSS $(awk '/VmRSS/ {print $2}' /proc/$PID_vserver/status) KiB"
check "$N users: listening within 3 s (took $((t1 - t0)) ms)" test $((t1 - t0)) -lt 3000
start v2c v2ray -config $T/c.json
for p in $P1 $P2 $P3 $P4; do wait_port $p || { show_log v2c; exit 1; }; done
fetch() { curl -s --max-time ${2:-10} --socks5-hostname 127.0.0.1:$1 http://127.0.0.1:$HTTP/; }
check_eq "first user (u0) carries traffic" "hello from vt" fetch $P1
check_eq "middle user (u$((N / 2)), alterId 4: legacy header) carries traffic" "hello from vt" fetch $P2
check_eq "last user (u$((N - 1))) carries traffic" "hello from vt" fetch $P3
check_eq "a user not yet configured is refused" "" fetch $P4 3

# A 20 MiB transfer at 4 MiB/s runs across the reload.
curl -s --max-time 30 --limit-rate 4M --socks5-hostname 127.0.0.1:$P1 \
    http://127.0.0.1:$HTTP/bytes/20971520 | sha256sum >$T/long.sum &
CURL=$!
sleep 1
python3 $T/users.py $N 1 $T $SP $P1 $P2 $P3 $P4
t0=$(ms)
kill -HUP $PID_vserver
i=0
while ! grep -q "reload kept" $T/error.log && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
t1=$(ms)
echo "# SIGHUP with one user added: logged after $((t1 - t0)) ms"
check "SIGHUP: the $N unchanged users' keys are kept, one user derived" \
    grep -q "reload kept the keys of $N users, derived 1" $T/error.log
check_eq "SIGHUP: the new user is admitted" "hello from vt" fetch $P4
check_eq "SIGHUP: the last user still works" "hello from vt" fetch $P3
check_eq "SIGHUP: the legacy user still works" "hello from vt" fetch $P2
i=0
while kill -0 $CURL 2>/dev/null && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
check_eq "the transfer running across the reload completes intact" "$SUM" cat $T/long.sum
check "vserver still running" kill -0 $PID_vserver
