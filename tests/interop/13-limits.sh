#!/bin/sh
# Handshake timeout and descriptor pressure: silent connections are closed
# at the policy's handshake timeout, and with fewer descriptors than silent
# connections the proxy sheds the oldest handshakes so real clients get in.
. "$(dirname "$0")/lib.sh"

HTTP=$(free_port); S=$(free_port)
start http $VT http $HTTP
cat >$T/c.json <<JSON
{
  "policy": {"levels": {"0": {"handshake": 2}}},
  "inbounds": [{"port": $S, "listen": "127.0.0.1", "protocol": "socks"}],
  "outbounds": [{"protocol": "freedom"}]
}
JSON
start vclient prlimit --nofile=64:64 -- $BIN/vclient -c $T/c.json
wait_port $S || { show_log vclient; exit 1; }

check_eq "silent connection closed at the handshake timeout (2 s)" "closed" python3 -c "
import socket, time
s = socket.create_connection(('127.0.0.1', $S), 5); s.settimeout(6)
t = time.time()
try:
    d = s.recv(10)
except Exception:
    d = None
e = time.time() - t
print('closed' if d == b'' and 1.5 < e < 4.5 else 'not closed properly: %r after %.1fs' % (d, e))"

check_eq "200 silent connections with 64 descriptors: real clients still served" "10/10" python3 -c "
import socket, subprocess
silent = []
for i in range(200):
    try:
        silent.append(socket.create_connection(('127.0.0.1', $S), 2))
    except OSError:
        pass
good = 0
for i in range(10):
    r = subprocess.run(['curl', '-s', '--max-time', '5', '--socks5', '127.0.0.1:$S', 'http://127.0.0.1:$HTTP/'], capture_output=True)
    if r.stdout == b'hello from vt\n':
        good += 1
print('%d/10' % good)"
check "vclient survived the pressure" kill -0 $PID_vclient
sleep 3
check_eq "no descriptor left behind after the storm" "ok" python3 -c "
import os
n = len(os.listdir('/proc/$PID_vclient/fd'))
print('ok' if n < 20 else 'still %d fds' % n)"

# Per-source cap on connections in handshake (policy.system.
# handshakePerSource, 8 here): 8 + 4 silent connections from 127.0.0.1,
# then past the 1 s grace a real client from the same address still gets
# in, the 5 oldest silent ones are closed (the source is back at 8 with the
# newcomer), the 7 newest stay open, and an older silent connection from
# 127.0.0.2 is left alone. Once for vserver's VMess port (the newcomer is
# vclient's dial), once for vclient's SOCKS port (the newcomer is curl).
stop vclient
ID=$(cat /proc/sys/kernel/random/uuid)
SP=$(free_port); CP=$(free_port)
cat >$T/cap-s.json <<JSON
{"policy": {"system": {"handshakePerSource": 8}, "levels": {"0": {"handshake": 30}}},
 "inbounds": [{"port": $SP, "listen": "127.0.0.1", "protocol": "vmess",
   "settings": {"clients": [{"id": "$ID", "alterId": 0}]}}],
 "outbounds": [{"protocol": "freedom"}]}
JSON
cat >$T/cap-c.json <<JSON
{"policy": {"system": {"handshakePerSource": 8}, "levels": {"0": {"handshake": 30}}},
 "inbounds": [{"port": $CP, "listen": "127.0.0.1", "protocol": "socks"}],
 "outbounds": [{"protocol": "vmess", "settings": {"vnext": [{"address": "127.0.0.1", "port": $SP,
   "users": [{"id": "$ID", "alterId": 0}]}]}}]}
JSON
start capserver $BIN/vserver -c $T/cap-s.json
start capclient $BIN/vclient -c $T/cap-c.json
wait_port $SP && wait_port $CP || { show_log capserver; show_log capclient; exit 1; }
# wait_port's probes were handshakes too: let them close first.
sleep 0.3

cap_flood() { # PORT: flood PORT, then curl through vclient; print the outcome
	python3 - "$1" <<PY
import socket, subprocess, sys, time
port = int(sys.argv[1])
def dial(src):
    s = socket.socket(); s.bind((src, 0)); s.settimeout(5)
    s.connect(("127.0.0.1", port)); return s
def state(s):
    s.setblocking(False)
    try:
        return "closed" if s.recv(1) == b"" else "data"
    except BlockingIOError:
        return "open"
    except OSError:
        return "closed"
other = dial("127.0.0.2")
silent = [dial("127.0.0.1") for i in range(8 + 4)]
time.sleep(1.3)
r = subprocess.run(["curl", "-s", "--max-time", "10", "--socks5", "127.0.0.1:$CP",
    "http://127.0.0.1:$HTTP/"], capture_output=True)
time.sleep(0.3)
st = [state(s) for s in silent]
print("real=%s oldest=%s newest=%s other=%s" % (
    "ok" if r.stdout == b"hello from vt\n" else "failed",
    ",".join(sorted(set(st[:5]))), ",".join(sorted(set(st[5:]))), state(other)))
PY
}
WANT="real=ok oldest=closed newest=open other=open"
check_eq "vserver: 12 silent VMess connections from 127.0.0.1, cap 8: a real client from 127.0.0.1 gets in, the 5 oldest closed, the 7 newest and 127.0.0.2's open" "$WANT" cap_flood $SP
check_eq "vclient: the same on its SOCKS port" "$WANT" cap_flood $CP
check_eq "the closes are reported once per 10 s, not per connection" "1 1" sh -c \
    "echo \$(grep -c 'handshakePerSource' $T/capserver.log) \$(grep -c 'handshakePerSource' $T/capclient.log)"
check "vserver and vclient survived" kill -0 $PID_capserver $PID_capclient
check_eq "-dump ini shows the cap" "handshakePerSource = 8" sh -c \
    "$BIN/vserver -c $T/cap-s.json -dump ini | grep handshakePerSource"
sed 's/"handshakePerSource": 8/"handshakePerSource": -1/' $T/cap-s.json >$T/cap-bad.json
check_eq "a negative cap is a config error naming the value" "1 1" sh -c \
    "$BIN/vserver -c $T/cap-bad.json -test >$T/cap-bad.out 2>&1; echo \$? \$(grep -c 'policy.system.handshakePerSource: -1 out of range' $T/cap-bad.out)"
