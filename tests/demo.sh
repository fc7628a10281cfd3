#!/bin/sh
# demo.sh (make demo): start vserver + vclient and vportal + vbridge on free
# loopback ports from the conf/ examples, carry real traffic through each
# path, say what happened, stop everything, exit 0 only if every path worked.
cd "$(dirname "$0")/.." || exit 1
ROOT=$(pwd)
VT="python3 $ROOT/tests/helpers/vt.py"
T=$(mktemp -d /tmp/vtools-demo.XXXXXX)
PIDS=""
failed=0
cleanup() {
	for p in $PIDS; do kill $p 2>/dev/null; done
	sleep 0.2
	# Keep the logs of a failed run for the reader.
	[ $failed -eq 0 ] && rm -rf $T
}
trap cleanup EXIT INT TERM
bg() { "$@" >>$T/log 2>&1 & PIDS="$PIDS $!"; }
wait_port() {
	i=0
	while [ $i -lt 100 ]; do
		python3 -c "import socket; socket.create_connection(('127.0.0.1',$1),0.2).close()" 2>/dev/null && return 0
		sleep 0.05; i=$((i + 1))
	done
	return 1
}
port() { $VT free-port; }
ok() { printf '  ok    %s\n' "$*"; }
bad() { printf '  FAIL  %s (log: %s)\n' "$*" "$T/log"; failed=1; }

WEB=$(port)
bg $VT http $WEB
wait_port $WEB
echo "demo: a local web page on 127.0.0.1:$WEB"

# 1. vclient (SOCKS5) -> vserver (VMess) -> the page; conf/vclient.json and
# conf/vserver.json with free ports. vserver blocks private ranges, also for
# names that resolve into them, so this demo's server lets exactly one name
# through on purpose: a rule "full:localhost" -> direct ahead of the block.
SRV=$(port); SOCKS=$(port); HTTPP=$(port)
sed -e "s/10086/$SRV/" conf/vserver.json | python3 -c '
import json, sys
c = json.load(sys.stdin)
c["routing"]["rules"].insert(0, {"type": "field", "domain": ["full:localhost"],
                                 "outboundTag": "direct"})
json.dump(c, sys.stdout, indent=2)' >$T/vserver.json
sed -e "s/10086/$SRV/" -e "s/\"port\": 1080/\"port\": $SOCKS/" \
    -e "s/\"port\": 1081/\"port\": $HTTPP/" conf/vclient.json >$T/vclient.json
bg bin/vserver -c $T/vserver.json
bg bin/vclient -c $T/vclient.json
if wait_port $SRV && wait_port $SOCKS &&
    body=$(curl -s --max-time 5 --socks5-hostname 127.0.0.1:$SOCKS http://localhost:$WEB/) &&
    [ "$body" = "hello from vt" ]; then
	ok "curl -> vclient SOCKS 127.0.0.1:$SOCKS -> VMess -> vserver :$SRV -> page: \"$body\""
else
	bad "vclient -> vserver -> page"
fi
# The same through the HTTP proxy inbound beside it.
if wait_port $HTTPP &&
    body=$(curl -s --max-time 5 -x http://127.0.0.1:$HTTPP http://localhost:$WEB/) &&
    [ "$body" = "hello from vt" ]; then
	ok "curl -x http://127.0.0.1:$HTTPP (vclient HTTP proxy) -> VMess -> vserver -> page"
else
	bad "vclient HTTP proxy -> vserver -> page"
fi

# 2. public port on vportal -> tunnel -> vbridge -> the page
PUB=$(port); LINK=$(port)
sed -e "s/\"port\": 8080/\"port\": $PUB/" -e "s/\"port\": 10240/\"port\": $LINK/" conf/vportal.json >$T/vportal.json
sed -e "s/10240/$LINK/" -e "s/127.0.0.1:8000/127.0.0.1:$WEB/" conf/vbridge.json >$T/vbridge.json
bg bin/vportal -c $T/vportal.json
bg bin/vbridge -c $T/vbridge.json
got=""
if wait_port $PUB; then
	i=0
	while [ $i -lt 50 ]; do
		got=$(curl -s --max-time 2 http://127.0.0.1:$PUB/) && [ "$got" = "hello from vt" ] && break
		sleep 0.1; i=$((i + 1))
	done
fi
if [ "$got" = "hello from vt" ]; then
	ok "curl -> vportal public :$PUB -> tunnel -> vbridge -> page: \"$got\""
else
	bad "vportal <- vbridge tunnel"
fi

if [ $failed -eq 0 ]; then echo "demo: every path worked"; else echo "demo: a path failed"; fi
exit $failed
