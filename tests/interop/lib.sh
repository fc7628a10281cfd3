# lib.sh: shared by the end-to-end scripts. Every process a test starts is
# recorded by PID and killed on exit; every wait is bounded.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=${VT_BIN:-$ROOT/bin}
VT="python3 $ROOT/tests/helpers/vt.py"
T=$(mktemp -d /tmp/vtools-test.XXXXXX)
PIDS=""
NTEST=0

cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	sleep 0.2
	for p in $PIDS; do kill -9 "$p" 2>/dev/null; done
	rm -rf "$T"
}
# A signal ends the script (timeout's TERM included); EXIT cleans up once.
trap cleanup EXIT
trap 'exit 143' INT TERM

# start NAME CMD...: run in the background, output to $T/NAME.log.
start() {
	name=$1; shift
	"$@" >"$T/$name.log" 2>&1 &
	eval "PID_$name=$!"
	PIDS="$PIDS $!"
}

stop() {
	eval "p=\${PID_$1:-}"
	[ -n "$p" ] && kill "$p" 2>/dev/null
	eval "PID_$1="
}

# stop_wait NAME...: SIGTERM, then wait (6 s at most, past the tools' 5 s
# grace) until each has exited; SIGKILL what is left. For a phase whose
# processes must be gone before the next starts: a bridge still in its
# grace could otherwise reach the next phase's portal.
stop_wait() {
	_ps=""
	for _n in "$@"; do
		eval "_ps=\"\$_ps \${PID_$_n:-}\""
		stop "$_n"
	done
	_i=0
	for _p in $_ps; do
		while kill -0 "$_p" 2>/dev/null && [ $_i -lt 60 ]; do sleep 0.1; _i=$((_i + 1)); done
		kill -9 "$_p" 2>/dev/null
		wait "$_p" 2>/dev/null
	done
	return 0
}

free_port() { $VT free-port; }

# wait_port PORT [SECONDS]: until something listens on 127.0.0.1:PORT.
wait_port() {
	i=0; lim=$(( ${2:-10} * 20 ))
	while [ $i -lt $lim ]; do
		if python3 -c "import socket,sys; socket.create_connection(('127.0.0.1',$1),0.2).close()" 2>/dev/null; then
			return 0
		fi
		sleep 0.05; i=$((i + 1))
	done
	echo "# port $1 never opened" >&2
	return 1
}

ok() { NTEST=$((NTEST + 1)); echo "ok $NTEST - $1"; }
notok() { NTEST=$((NTEST + 1)); echo "not ok $NTEST - $1"; }

# check DESC CMD...: one test, passing when CMD exits 0.
check() {
	_d=$1; shift
	if "$@" >"$T/check.out" 2>&1; then ok "$_d"; else
		notok "$_d"; sed 's/^/#   /' "$T/check.out" | head -20; fi
}

# check_soon DESC SECS CMD...: like check, but CMD may take up to SECS
# seconds to come true (a signal handled, a log line flushed under load).
check_soon() {
	_d=$1; _s=$2; shift 2
	_end=$(( $(date +%s) + _s ))
	while ! "$@" >"$T/check.out" 2>&1; do
		if [ "$(date +%s)" -ge "$_end" ]; then
			notok "$_d"; sed 's/^/#   /' "$T/check.out" | head -20
			return
		fi
		sleep 0.2
	done
	ok "$_d"
}

# check_eq DESC EXPECTED CMD...: CMD's stdout must equal EXPECTED.
check_eq() {
	_d=$1; _w=$2; shift 2
	_g=$("$@" 2>"$T/check.err")
	if [ "$_g" = "$_w" ]; then ok "$_d"; else
		notok "$_d"; echo "#   want: $_w"; echo "#   got:  $_g" | head -5
		sed 's/^/#   /' "$T/check.err" | head -10; fi
}

# The v2ray reference binary must be present: a missing peer is a failure,
# never a silent pass.
need_v2ray() {
	if ! command -v v2ray >/dev/null 2>&1; then
		notok "v2ray reference binary present"; exit 1
	fi
}

# Show a log when a test fails (for CI readers).
show_log() { sed "s/^/# $1: /" "$T/$1.log" | tail -${2:-20}; }

# range_base: the first port of a free block of 100 loopback ports.
range_base() {
	python3 - <<'PY'
import socket, random
for _ in range(200):
    b = random.randrange(20000, 60000, 100)
    ok = True
    for p in range(b, b + 100):
        s = socket.socket()
        try:
            s.bind(("127.0.0.1", p))
        except OSError:
            ok = False
        s.close()
        if not ok:
            break
    if ok:
        print(b); break
PY
}
# listeners LO HI [PID]: the TCP listening addresses in [LO, HI], sorted
# (of process PID only, when given: a port of the range may be anyone's
# ephemeral one); listening: how many.
listeners() {
	ss -ltnpH "sport >= :$1 and sport <= :$2" |
	    grep -F "${3:+pid=$3,}" | awk '{print $4}' | sort
}
listening() { listeners "$@" | wc -l; }

# A server that blocks private ranges (seed 000, the quick start) now also
# refuses names resolving into them, so a test whose traffic must pass such
# a server runs in its own network and mount namespace, started by this
# line at the top of the script, before lib.sh:
#   [ -n "${VT_NS:-}" ] || VT_NS=1 exec unshare -m -n sh "$0" "$@"
# public_net then brings lo up with PUB_IP (1.2.3.4, outside every private
# range) beside 127.0.0.1, names it $PUB in /etc/hosts, and has vt.py's
# servers bind every address, so a target of $PUB:PORT passes the block
# and reaches the test's local service.
PUB_IP=1.2.3.4
PUB=pub.test
public_net() {
	if [ -z "${VT_NS:-}" ] || ! ip link set lo up ||
	    ! ip addr add $PUB_IP/32 dev lo; then
		notok "own network namespace with $PUB_IP"; exit 1
	fi
	printf '127.0.0.1 localhost\n::1 localhost\n%s %s\n' $PUB_IP $PUB >$T/hosts
	mount --bind $T/hosts /etc/hosts || { notok "own /etc/hosts"; exit 1; }
	export VT_BIND=0.0.0.0
}

# make_pki DIR: a test CA (DIR/ca.crt) and leaves it signed, DIR/NAME.crt
# and .key: localhost (DNS localhost, IP 127.0.0.1) and other.test; 0 when
# made (the openssl output goes to DIR/openssl.log).
make_pki() {
	mkdir -p "$1"
	(
	cd "$1" || exit 1
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
	    -days 2 -subj /CN=vtools-test-ca -keyout ca.key -out ca.crt \
	    -addext basicConstraints=critical,CA:TRUE \
	    -addext keyUsage=critical,keyCertSign,cRLSign
	leaf() { # NAME SAN
		openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		    -subj /CN=$1 -keyout $1.key -out $1.csr
		printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n' "$2" >$1.ext
		openssl x509 -req -in $1.csr -CA ca.crt -CAkey ca.key -CAcreateserial \
		    -days 2 -extfile $1.ext -out $1.crt
	}
	leaf localhost DNS:localhost,IP:127.0.0.1
	leaf other.test DNS:other.test
	) >"$1/openssl.log" 2>&1 && test -s "$1/localhost.crt" -a -s "$1/other.test.crt"
}

# tunnel_up SECONDS: "up" once a fetch through the portal's public port
# $EXT answers (vt.py http at $HTTP behind the bridge), else "never".
tunnel_up() {
	_t0=$(date +%s)
	while [ $(( $(date +%s) - _t0 )) -lt $1 ]; do
		[ "$(curl -s --max-time 1 http://127.0.0.1:$EXT/)" = "hello from vt" ] && { echo up; return 0; }
		sleep 0.2
	done
	echo never
}

# seed002 PORTAL-STREAM BRIDGE-STREAM EXT IC [DIAL-PORT]: seed 002's portal
# and bridge as $T/portal.json and $T/bridge.json, the portal's public port
# EXT and interconn port IC, the bridge dialing DIAL-PORT (default IC) and
# serving $HTTP; each STREAM is a "streamSettings": {...}, member or empty.
seed002() {
	sed -e "s/\"port\": 80,/\"port\": $3,/" -e "s/\"port\": 1024/\"port\": $4/" \
	    -e "s|\"tag\": \"interconn\",|\"tag\": \"interconn\", $1|" \
	    $ROOT/conf/seeds/seed002-portal.json >$T/portal.json
	sed -e "s/127.0.0.1:80/127.0.0.1:$HTTP/" -e "s/\"port\": 1024/\"port\": ${5:-$4}/" \
	    -e "s/portal的IP地址/127.0.0.1/" \
	    -e "s|\"tag\": \"interconn\"|$2 \"tag\": \"interconn\"|" \
	    $ROOT/conf/seeds/seed002-bridge.json >$T/bridge.json
}

# until_tunnel EXT SECONDS: "up" once vt.py's page comes back through the
# portal's public port EXT, else "never".
until_tunnel() {
	_t0=$(date +%s)
	while [ $(( $(date +%s) - _t0 )) -lt $2 ]; do
		[ "$(curl -s --max-time 1 http://127.0.0.1:$1/)" = "hello from vt" ] && { echo up; return 0; }
		sleep 0.2
	done
	echo never
}
