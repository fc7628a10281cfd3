#!/bin/sh
# Dynamic ports, seeds 000 and 001 verbatim (only addresses, ports, log
# paths and the refresh adjusted): our vserver with a real v2ray client and
# with ours; a real v2ray server with our vclient. New connections move to
# the dynamic range; exactly `concurrency` ports listen; transfers keep
# working across refreshes; a generation announced to a client outlives
# 2 x refresh while promised (ValidMin minutes; 31-dynport-promise.sh sees
# it close); seed 000's private-range rule; the access log.
[ -n "${VT_NS:-}" ] || VT_NS=1 exec unshare -m -n sh "$0" "$@"
. "$(dirname "$0")/lib.sh"
need_v2ray
public_net
S=$ROOT/conf/seeds

HTTP=$(free_port); ECHO=$(free_port)
start http $VT http $HTTP
start echo $VT echo-tcp $ECHO
SUM=$($VT pattern 1048576 | sha256sum)

fetches() { # PROXYPORT N MAXTIME: how many of N fetches through the proxy succeed
	sh -c "n=0; for i in \$(seq $2); do [ \"\$(curl -s --max-time $3 --socks5 127.0.0.1:$1 http://127.0.0.1:$HTTP/)\" = 'hello from vt' ] && n=\$((n + 1)); done; echo \$n"
}

hold() { # PROXYPORT LO HI: hold 8 sessions to the echo server (by name: seed 000
	# blocks private ranges, names in them too, and $PUB is outside them);
	# are some of them going into the range?
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

# --- seed 000: our vserver, legacy keys, real v2ray client -------------
B=$(range_base); E=$((B + 99)); SP=$(free_port); VC=$(free_port)
sed -e "s/\"port\": 12345/\"port\": $SP/" -e "s/30001-30100/$B-$E/" -e "s/\"refresh\": 5/\"refresh\": \"6s\"/" \
    -e "s|/var/log/v2ray/access.log|$T/access.log|" -e "s|/var/log/v2ray/error.log|$T/error.log|" \
    $S/seed000-server-uuid.json >$T/s0.json
cat >$T/v0.json <<JSON
{"inbounds": [{"port": $VC, "listen": "127.0.0.1", "protocol": "socks"}],
 "outbounds": [{"protocol": "vmess", "settings": {"vnext": [{"address": "127.0.0.1", "port": $SP,
   "users": [{"id": "8f3d5b2e-6c1a-4e9b-9d47-2a6b0c1e5f38", "alterId": 64}]}]}}]}
JSON
start vserver $BIN/vserver -c $T/s0.json
start v2c v2ray -config $T/v0.json
wait_port $SP && wait_port $VC || { show_log vserver; exit 1; }
sleep 0.3
check_eq "seed 000: exactly concurrency (2) dynamic ports listen after start" "2" listening $B $E $PID_vserver
listeners $B $E $PID_vserver >$T/gen0
check_eq "seed 000: first fetch (domain target) through the main port" "hello from vt" curl -s --max-time 10 --socks5-hostname 127.0.0.1:$VC http://$PUB:$HTTP/
check_eq "seed 000: v2ray client moves new connections to the dynamic range" "yes" hold $VC $B $E
check_eq "seed 000: 1 MiB across main and dynamic ports" "$SUM" sh -c "curl -s --max-time 20 --socks5-hostname 127.0.0.1:$VC http://$PUB:$HTTP/bytes/1048576 | sha256sum"
check_eq "seed 000: private-range rule blocks a 127.0.0.1 target" "" curl -s --max-time 10 --socks5 127.0.0.1:$VC http://127.0.0.1:$HTTP/
sleep 6.5
n=$(listening $B $E $PID_vserver)
check "seed 000: after one refresh two generations listen (4 ports, got $n)" test "$n" -eq 4
check_eq "seed 000: transfers keep working after the refresh" "$SUM" sh -c "curl -s --max-time 20 --socks5-hostname 127.0.0.1:$VC http://$PUB:$HTTP/bytes/1048576 | sha256sum"
sleep 6.5
# The v2ray client was given the first generation's ports for a whole
# minute (ValidMin 1): past 2 x refresh they still listen, beside the two
# newer generations (never more than those three here).
n=$(listening $B $E $PID_vserver)
check "seed 000: three generations at most while the first is promised (got $n ports)" test "$n" -le 6
listeners $B $E $PID_vserver >$T/gen2
check "seed 000: the first generation's ports listen past 2 x refresh while promised" sh -c "[ \$(comm -12 $T/gen0 $T/gen2 | wc -l) -eq 2 ]"
check_eq "seed 000: transfers keep working after two refreshes, first try" "$SUM" sh -c "curl -s --max-time 20 --socks5-hostname 127.0.0.1:$VC http://$PUB:$HTTP/bytes/1048576 | sha256sum"
sleep 1.2
check "seed 000: the access log file fills" grep -q "accepted tcp:$PUB:$HTTP" $T/access.log
check "seed 000: vserver still running" kill -0 $PID_vserver
stop vserver; stop v2c

# --- seed 000: real v2ray server (legacy keys), our vclient --------------
B=$(range_base); E=$((B + 99)); SP=$(free_port); CP=$(free_port)
sed -e "s/\"port\": 12345/\"port\": $SP/" -e "s/30001-30100/$B-$E/" \
    -e "s|/var/log/v2ray/access.log|$T/v2access.log|" -e "s|/var/log/v2ray/error.log|$T/v2error.log|" \
    $S/seed000-server-uuid.json >$T/v0s.json
cat >$T/c0.json <<JSON
{"inbounds": [{"port": $CP, "listen": "127.0.0.1", "protocol": "socks"}],
 "outbounds": [{"protocol": "vmess", "settings": {"vnext": [{"address": "127.0.0.1", "port": $SP,
   "users": [{"id": "3c9e1a47-b2d8-4f60-8e15-7d4a9b0c2e61", "alterId": 32}]}]}}]}
JSON
start v2s0 v2ray -config $T/v0s.json
start vclient0 $BIN/vclient -c $T/c0.json
wait_port $SP && wait_port $CP || { show_log v2s0; exit 1; }
sleep 0.3
check_eq "seed 000 on v2ray: concurrency (2) dynamic ports listen" "2" listening $B $E $PID_v2s0
check_eq "seed 000 on v2ray: first fetch from our vclient (second user, alterId 32)" "hello from vt" curl -s --max-time 10 --socks5-hostname 127.0.0.1:$CP http://$PUB:$HTTP/
check_eq "seed 000 on v2ray: our vclient follows the switch" "yes" hold $CP $B $E
check_eq "seed 000 on v2ray: the private-range rule blocks 127.0.0.1" "" curl -s --max-time 10 --socks5 127.0.0.1:$CP http://127.0.0.1:$HTTP/
stop v2s0; stop vclient0

# --- seed 001: our vserver (INI twin) + our vclient ---------------------
B=$(range_base); E=$((B + 99)); SP=$(free_port); CP=$(free_port)
sed -e "s/^port = 37192/port = $SP/" -e "s/^port = 10000-20000/port = $B-$E/" -e "s/^allocate.refresh = .*/allocate.refresh = 6s/" \
    $S/seed001-server.ini >$T/s1.ini
sed -e "s/1.2.3.4/127.0.0.1/" -e "s/37192/$SP/" -e "s/\"port\": 1080/\"port\": $CP/" $S/seed001-client.json >$T/c1.json
start vserver1 $BIN/vserver -c $T/s1.ini
start vclient1 $BIN/vclient -c $T/c1.json
wait_port $SP && wait_port $CP || { show_log vserver1; show_log vclient1; exit 1; }
check_eq "seed 001 (INI server): 2 dynamic ports listen" "2" listening $B $E $PID_vserver1
check_eq "seed 001: first fetch" "hello from vt" curl -s --max-time 10 --socks5 127.0.0.1:$CP http://127.0.0.1:$HTTP/
check_eq "seed 001: our vclient follows the switch to the dynamic range" "yes" hold $CP $B $E
check_eq "seed 001: 1 MiB through ours + ours" "$SUM" sh -c "curl -s --max-time 20 --socks5 127.0.0.1:$CP http://127.0.0.1:$HTTP/bytes/1048576 | sha256sum"
stop vserver1
sleep 0.3
# Restarted on other ports: each dynamic account meets a closed port, is
# dropped at its first refusal, and the request goes on to the next
# account, the main port at the latest, so not one request fails. (4.34
# also picks again on each retry, after a backoff, but keeps the dead
# account until it expires.)
B2=$B; while [ "$B2" = "$B" ]; do B2=$(range_base); done
sed -e "s/^port = $B-$E/port = $B2-$((B2 + 99))/" $T/s1.ini >$T/s1b.ini
start vserver1b $BIN/vserver -c $T/s1b.ini
wait_port $SP
check_eq "seed 001: after a server restart on other ports no request fails" "6" fetches $CP 6 5
check_eq "seed 001: ... and the client moves on to the new range" "yes" hold $CP $B2 $((B2 + 99))
stop vserver1b; stop vclient1

# --- restart on the same ports: stale IDs ---------------------------------
# "always" listens on every port of the range with one ID per user for the
# process, so after a restart every account the client holds meets a
# listening port that takes its old ID for a probe and answers nothing.
# 4.34 keeps such an account for its valid minutes (255 here) and fails
# every request it picks; ours drops it after one request without a
# response, or before, when the main port hands out that port's new ID.
B=$(range_base); E=$((B + 2)); SP=$(free_port); CP=$(free_port)
sed -e "s/^port = 37192/port = $SP/" -e "s/^port = 10000-20000/port = $B-$E/" \
    -e "s/^allocate = random/allocate = always/" -e "/^allocate\./d" $S/seed001-server.ini >$T/s3.ini
sed -e "s/1.2.3.4/127.0.0.1/" -e "s/37192/$SP/" -e "s/\"port\": 1080/\"port\": $CP/" \
    -e '1s/^{/{"log": {"loglevel": "info"},/' $S/seed001-client.json >$T/c3.json
start vserver3 $BIN/vserver -c $T/s3.ini
start vclient3 $BIN/vclient -c $T/c3.json
wait_port $SP && wait_port $CP || { show_log vserver3; show_log vclient3; exit 1; }
check_eq "always: 8 fetches across the range" "8" fetches $CP 8 5
check "always: the client holds dynamic accounts" grep -q "switched us to port" $T/vclient3.log
stop vserver3
sleep 0.3
start vserver3b $BIN/vserver -c $T/s3.ini
wait_port $SP
fetches $CP 10 3 >/dev/null	# each stale account may cost one of these
sleep 1.5
check_eq "always: after a restart on the same ports, stale IDs are gone" "6" fetches $CP 6 5
check "always: ... dropped, as the client log says" grep -Eq "port [0-9]+ (gave no response|has a new ID), dropped" $T/vclient3.log
stop vserver3b; stop vclient3

# --- seed 001: real v2ray server + our vclient ---------------------------
B=$(range_base); E=$((B + 99)); SP=$(free_port); CP=$(free_port)
sed -e "s/\"port\": 37192/\"port\": $SP/" -e "s/10000-20000/$B-$E/" $S/seed001-server.json >$T/v1.json
sed -e "s/1.2.3.4/127.0.0.1/" -e "s/37192/$SP/" -e "s/\"port\": 1080/\"port\": $CP/" $S/seed001-client.json >$T/c2.json
start v2s v2ray -config $T/v1.json
start vclient2 $BIN/vclient -c $T/c2.json
wait_port $SP && wait_port $CP || { show_log v2s; exit 1; }
sleep 0.5
check_eq "seed 001: v2ray server opens concurrency (2) ports" "2" listening $B $E $PID_v2s
check_eq "seed 001: first fetch through v2ray's main port" "hello from vt" curl -s --max-time 10 --socks5 127.0.0.1:$CP http://127.0.0.1:$HTTP/
check_eq "seed 001: our vclient follows v2ray's switch to the dynamic range" "yes" hold $CP $B $E
check_eq "seed 001: 1 MiB with v2ray server + our vclient" "$SUM" sh -c "curl -s --max-time 20 --socks5 127.0.0.1:$CP http://127.0.0.1:$HTTP/bytes/1048576 | sha256sum"
