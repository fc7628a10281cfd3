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
