#!/bin/sh
# bench.sh (make bench): the same loopback chain SOCKS5 → proxy pair → sink
# through vclient→vserver, v2ray→v2ray (VMess AEAD aes-128-gcm, alterId 0)
# and ss-local→ss-server (chacha20-ietf-poly1305, aes-128-gcm); prints
# throughput, CPU per GiB, RSS per idle connection, latency, setup time and
# lost connections, with ratios to V2Ray.  Two more sections, ours against
# V2Ray's: the reverse tunnel of seed 002 (public port → portal → bridge →
# sink: throughput, request latency, recovery after a portal or bridge
# restart) and VMess over mKCP (throughput on clean loopback and through
# a lossy, delaying UDP relay), and VMess over ws+tls and h2+tls
# (WebSocket or HTTP/2 under TLS with a test CA made here).  Writes
# tests/out/bench.md.
#
# What is compared runs at once and is measured in turns (one transfer or
# latency round of each in turn), so a slow minute on this shared host
# falls on both sides of a ratio instead of on one.
#
# Knobs (environment): BENCH_MB (MiB per transfer, 512), BENCH_REPS
# (transfers each way, the best counts, 3), BENCH_ROUNDS (latency rounds,
# the lowest median counts, 5), BENCH_IDLE (stages, "1000,5000"),
# BENCH_RTT (2000), BENCH_SETUP (200), BENCH_STORM (5000), BENCH_PAR
# (threads for the storm, 8), BENCH_ONLY (subset of "vtools v2ray
# ss-chacha ss-aes reverse kcp ws h2 users"; "reverse", "kcp", "ws",
# "h2" and "users" always compare vtools with V2Ray). ws+tls and h2+tls:
# BENCH_WS_MB (512), BENCH_WS_REPS (3). Users: BENCH_USERS (cases "N:alterId,
# ...", default 1:0,1000:0,10000:0,1000:16), BENCH_USERS_ROUNDS (30).  Reverse: BENCH_REV_MB (512), BENCH_REV_REPS (5),
# BENCH_REV_ROUNDS (3), BENCH_REV_RTT (1000), BENCH_REV_REQ (200).
# mKCP: BENCH_KCP_MB (clean, 64), BENCH_KCP_LOSSY_MB (32), BENCH_KCP_REPS
# (2), BENCH_KCP_LOSS (% each way, 5), BENCH_KCP (kcpSettings JSON).
# BENCH_BIN, BENCH_BSINK: other builds of the tools and of bsink.
# Every step is bounded by a timeout.
set -u
cd "$(dirname "$0")/.." || exit 1
ROOT=$(pwd)
BIN=${BENCH_BIN:-$ROOT/bin}
BS=${BENCH_BSINK:-$ROOT/build/helpers/bsink}
VT="python3 $ROOT/tests/helpers/vt.py"
OUT=$ROOT/tests/out/bench.md
T=$(mktemp -d /tmp/vtools-bench.XXXXXX)
PIDS=""

MB=${BENCH_MB:-512}
REPS=${BENCH_REPS:-3}
ROUNDS=${BENCH_ROUNDS:-5}
IDLE=${BENCH_IDLE:-1000,5000}
NRTT=${BENCH_RTT:-2000}
NSETUP=${BENCH_SETUP:-200}
NSTORM=${BENCH_STORM:-5000}
PAR=${BENCH_PAR:-8}
ONLY=${BENCH_ONLY:-vtools v2ray ss-chacha ss-aes reverse kcp ws h2 users}
REV_MB=${BENCH_REV_MB:-512}
REV_REPS=${BENCH_REV_REPS:-5}
REV_ROUNDS=${BENCH_REV_ROUNDS:-3}
REV_RTT=${BENCH_REV_RTT:-1000}
REV_REQ=${BENCH_REV_REQ:-200}
REV_DOWN=0.5		# seconds a killed end stays down before its restart
KCP_MB=${BENCH_KCP_MB:-64}
KCP_LOSSY_MB=${BENCH_KCP_LOSSY_MB:-32}
KCP_REPS=${BENCH_KCP_REPS:-2}
KCP_LOSS=${BENCH_KCP_LOSS:-5}
KCP_SECS=25		# cap on one mKCP transfer
WS_MB=${BENCH_WS_MB:-512}
WS_REPS=${BENCH_WS_REPS:-3}
KCPS=${BENCH_KCP:-'{"mtu": 1350, "tti": 20, "uplinkCapacity": 100, "downlinkCapacity": 100, "header": {"type": "none"}}'}
PAIRS="" SECTIONS=""
for _w in $ONLY; do
	case $_w in
	reverse|kcp|ws|h2|users) SECTIONS="$SECTIONS $_w" ;;
	*) PAIRS="$PAIRS $_w" ;;
	esac
done
XFER_SECS=30		# cap on one transfer; the rate is still reported
BYTES=$((MB * 1048576))
HZ=$(getconf CLK_TCK)

cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	sleep 0.3
	for p in $PIDS; do kill -9 "$p" 2>/dev/null; done
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say() { printf '%s\n' "$*"; }
# note CFG TEXT: a finding for the report (errors, stalls, losses).
note() { say "  !! $2"; printf '%s: %s\n' "$1" "$2" >>"$T/notes"; }
# res CFG METRIC VALUE
res() { printf '%s %s %s\n' "$1" "$2" "$3" >>"$T/results"; }

# start NAME CMD...: run in the background by PID, output to $T/NAME.log.
start() {
	_n=$1; shift
	"$@" >"$T/$_n.log" 2>&1 &
	eval "PID_$_n=$!"
	PIDS="$PIDS $!"
}
stop() {
	eval "_p=\${PID_$1:-}"
	[ -n "$_p" ] || return 0
	kill "$_p" 2>/dev/null
	_i=0
	while kill -0 "$_p" 2>/dev/null && [ $_i -lt 30 ]; do
		sleep 0.1; _i=$((_i + 1))
	done
	kill -9 "$_p" 2>/dev/null
	wait "$_p" 2>/dev/null
	eval "PID_$1="
}
pid() { eval "echo \${PID_$1:-}"; }

wait_port() { # PORT: bounded to 10 s
	python3 - "$1" <<'PY'
import socket, sys, time
end = time.time() + 10
while time.time() < end:
    try:
        socket.create_connection(("127.0.0.1", int(sys.argv[1])), 0.2).close()
        sys.exit(0)
    except OSError:
        time.sleep(0.05)
sys.exit(1)
PY
}

ticks() { # PID: utime + stime in clock ticks (0 once it is gone)
	_t=$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | awk '{print $12 + $13}')
	echo "${_t:-0}"
}
rss() { # PID: resident set in KiB
	awk '/^VmRSS/ {print $2}' "/proc/$1/status" 2>/dev/null
}
nfds() { ls "/proc/$1/fd" 2>/dev/null | wc -l; }

alive() { # CFG [N]: both proxy processes (of pair N) still running?
	for _r in "srv${2:-}" "cli${2:-}"; do
		_p=$(pid $_r)
		if [ -z "$_p" ] || ! kill -0 "$_p" 2>/dev/null; then
			note "$1" "$_r process died (see its log tail below)"
			tail -5 "$T/$_r.log" | sed 's/^/     /'
			return 1
		fi
	done
	return 0
}

ID=$(cat /proc/sys/kernel/random/uuid)
vmess_server_conf() { # PORT
cat <<JSON
{"log": {"loglevel": "warning"},
 "inbounds": [{"port": $1, "listen": "127.0.0.1", "protocol": "vmess",
   "settings": {"clients": [{"id": "$ID", "alterId": 0}]}}],
 "outbounds": [{"protocol": "freedom"}]}
JSON
}
vmess_client_conf() { # SOCKSPORT SERVERPORT
cat <<JSON
{"log": {"loglevel": "warning"},
 "inbounds": [{"port": $1, "listen": "127.0.0.1", "protocol": "socks"}],
 "outbounds": [{"protocol": "vmess", "settings": {"vnext": [{"address": "127.0.0.1", "port": $2,
   "users": [{"id": "$ID", "alterId": 0, "security": "aes-128-gcm"}]}]}}]}
JSON
}

# start_pair CFG SERVERPORT SOCKSPORT [N]: processes srvN and cliN.
start_pair() {
	_s=srv${4:-} _k=cli${4:-}
	vmess_server_conf "$2" >"$T/$_s.json"
	vmess_client_conf "$3" "$2" >"$T/$_k.json"
	case $1 in
	vtools)
		start $_s "$BIN/vserver" -c "$T/$_s.json"
		start $_k "$BIN/vclient" -c "$T/$_k.json" ;;
	v2ray)
		start $_s v2ray -config "$T/$_s.json"
		start $_k v2ray -config "$T/$_k.json" ;;
	ss-*)
		m=chacha20-ietf-poly1305
		[ "$1" = ss-aes ] && m=aes-128-gcm
		start $_s ss-server -s 127.0.0.1 -p "$2" -k bench-pw -m $m \
		    -t 600 --no-delay
		start $_k ss-local -s 127.0.0.1 -p "$2" -b 127.0.0.1 \
		    -l "$3" -k bench-pw -m $m -t 600 --no-delay ;;
	esac
}

# wait_line FILE PATTERN SECONDS
wait_line() {
	_i=0
	while [ $_i -lt $(($3 * 10)) ]; do
		grep -q "$2" "$1" 2>/dev/null && return 0
		sleep 0.1; _i=$((_i + 1))
	done
	return 1
}

# idle_test CFG SOCKSPORT: RSS per held connection at each stage.
idle_test() {
	ps_=$(pid srv); pc_=$(pid cli)
	sleep 0.5
	base=$(( $(rss $ps_) + $(rss $pc_) ))
	fd0s=$(nfds $ps_); fd0c=$(nfds $pc_)
	start idle "$BS" idle "$2" "$SINK" "$IDLE"
	ip_=$(pid idle)
	for n in $(echo "$IDLE" | tr ',' ' '); do
		if ! wait_line "$T/idle.log" "^ready $n " $((20 + n / 50)); then
			note "$1" "idle: $n connections not open in time: $(tail -1 "$T/idle.log")"
			res "$1" "rss$n" nan
			continue
		fi
		sleep 1		# let the proxies settle (GC, buffers)
		now=$(( $(rss $ps_) + $(rss $pc_) ))
		line=$(grep "^ready $n " "$T/idle.log")
		held=$(echo "$line" | awk '{print $4}')
		failed=$(echo "$line" | awk '{print $6}')
		per=$(awk -v a=$now -v b=$base -v n=$held 'BEGIN {
		    if (n > 0) printf "%.1f", (a - b) / n; else print "nan" }')
		res "$1" "rss$n" "$per"
		say "  idle $n: $line; RSS client+server ${base} → ${now} KiB = $per KiB/conn; fds srv $(nfds $ps_) cli $(nfds $pc_)"
		[ "$failed" = 0 ] || note "$1" "idle: $failed of $n connections failed to open ($line)"
		kill -USR1 "$ip_" 2>/dev/null
	done
	if wait_line "$T/idle.log" "^alive" 30; then
		a=$(grep '^alive' "$T/idle.log")
		say "  idle: after holding, $a still echo"
		set -- "$1" $a
		[ "$3" = "$5" ] || note "$1" "idle: only $3 of $5 held connections still echoed after the hold"
	else
		note "$1" "idle: liveness check did not finish within 30 s"
	fi
	stop idle
	sleep 1
}

# xfer CFG METRIC DIR(down|up) PORT BYTES SECS REPS PIDA NAMEA PIDB NAMEB:
# best of REPS transfers through PORT (SOCKS5, or direct:PORT); CPU split
# per process; adds the bytes moved to XBYTES.
xfer() {
	_c=$1 _m=$2 _d=$3 _port=$4 _by=$5 _secs=$6 _reps=$7
	_pa=$8 _na=$9 _pb=${10} _nb=${11}
	best=nan; k=0
	while [ $k -lt "$_reps" ]; do
		k=$((k + 1))
		a0=$(ticks "$_pa"); b0=$(ticks "$_pb")
		r=$(timeout $((_secs + 15)) "$BS" "$_d" "$_port" "$SINK" "$_by" "$_secs")
		a1=$(ticks "$_pa"); b1=$(ticks "$_pb")
		set -- $r
		if [ $# -lt 3 ]; then
			note "$_c" "$_m: no result from bsink (timeout/killed)"; continue
		fi
		rate=$(awk -v b="$1" -v s="$2" 'BEGIN { if (s > 0) printf "%.1f", b / 1048576 / s; else print "nan" }')
		say "  $_m #$k: $1 bytes in $2 s = $rate MiB/s ($3); CPU s: $_na $(awk -v t=$((a1 - a0)) -v hz="$HZ" 'BEGIN {print t / hz}'), $_nb $(awk -v t=$((b1 - b0)) -v hz="$HZ" 'BEGIN {print t / hz}')"
		[ "$3" = ok ] || note "$_c" "$_m of $((_by / 1048576)) MiB: $3 after $1 bytes, $2 s"
		XBYTES=$((XBYTES + $1))
		best=$(awk -v a="$best" -v b="$rate" 'BEGIN { if (a == "nan" || b + 0 > a + 0) print b; else print a }')
	done
	res "$_c" "$_m" "$best"
}


# cpu_per_gib TICKS BYTES
cpu_per_gib() {
	awk -v t="$1" -v hz="$HZ" -v b="$2" 'BEGIN {
	    if (b > 0) printf "%.2f", t / hz / (b / 1073741824); else print "nan" }'
}

# Throughput and latency: every pair runs at once and the transfers and
# rounds are interleaved (one transfer of each pair in turn), so all see
# the same machine: on this shared host another tenant can slow everything
# by a third for a minute, and idle-CPU wake-up latency swings round trips
# between ~25 and ~200 µs.  The best transfer and the lowest round median
# count; CPU per GiB is over all transfers of a pair.
shared_phase() {
	say ""
	say "== throughput: all pairs up at once; $REPS interleaved rounds of $MB MiB down and up each"
	: >"$T/lat"
	: >"$T/thr"
	i=0; up=""
	for cfg in $PAIRS; do
		i=$((i + 1))
		_sp=$($VT free-port); _lp=$($VT free-port)
		start_pair "$cfg" "$_sp" "$_lp" $i
		eval "LP_$i=$_lp SP_$i=$_sp"
	done
	i=0
	for cfg in $PAIRS; do
		i=$((i + 1))
		eval "_lp=\$LP_$i _sp=\$SP_$i"
		if wait_port "$_sp" && wait_port "$_lp"; then
			timeout 30 "$BS" setup "$_lp" "$SINK" 20 >/dev/null
			up="$up $i:$cfg"
		else
			note "$cfg" "latency: proxy pair did not start"
		fi
	done
	k=0
	while [ $k -lt "$REPS" ]; do
		k=$((k + 1))
		for d in down up; do
			for e in $up; do
				i=${e%%:*}; cfg=${e#*:}
				eval "_lp=\$LP_$i"
				thr_one "$T/thr" "$cfg" "$d" "$_lp" "$k" "$BYTES" \
				    client "$(pid cli$i)" server "$(pid srv$i)"
			done
		done
	done
	for e in $up; do
		thr_sum "$T/thr" "${e#*:}" "" "client+server"
	done
	say ""
	say "== latency: $ROUNDS interleaved rounds of rtt 64 B x $NRTT and setup x $NSETUP"
	k=0
	while [ $k -lt "$ROUNDS" ]; do
		k=$((k + 1))
		for e in $up; do
			i=${e%%:*}; cfg=${e#*:}
			eval "_lp=\$LP_$i"
			r=$(timeout 60 "$BS" rtt "$_lp" "$SINK" "$NRTT" 64)
			echo "$cfg rtt $k ${r:-nan nan timeout}" >>"$T/lat"
			r=$(timeout 120 "$BS" setup "$_lp" "$SINK" "$NSETUP")
			echo "$cfg setup $k ${r:-nan nan timeout}" >>"$T/lat"
		done
	done
	for e in $up; do
		i=${e%%:*}; cfg=${e#*:}
		alive "$cfg" $i
		for m in rtt setup; do
			set -- $(awk -v c="$cfg" -v m="$m" '
			    $1 == c && $2 == m {
				all = all " " $4 "/" $5
				if ($6 != "0") { f = f " round " $3 ": " $6 }
				if ($4 != "nan" && (best == "" || $4 + 0 < best + 0)) best = $4
			    }
			    END { print (best == "" ? "nan" : best), (f == "" ? "-" : "x"), all; print f > "/dev/stderr" }' \
			    "$T/lat" 2>"$T/latf")
			_b=$1 _x=$2; shift 2
			say "  $cfg $m: median/p90 µs per round: $*; best median $_b µs"
			res "$cfg" $m "$_b"
			[ "$_x" = - ] || note "$cfg" "$m: failed connections (per round):$(cat "$T/latf")"
		done
		stop "cli$i"; stop "srv$i"
	done
}

# thr_one FILE CFG DIR PORT ROUND BYTES NAMEA PIDA NAMEB PIDB: one
# transfer; appends "CFG DIR ROUND MiB/s ticks bytes" to FILE.
thr_one() {
	_f=$1 _c=$2 _d=$3 _p=$4 _k=$5 _by=$6 _na=$7 _pa=$8 _nb=$9 _pb=${10}
	a0=$(ticks "$_pa"); b0=$(ticks "$_pb")
	r=$(timeout $((XFER_SECS + 15)) "$BS" "$_d" "$_p" "$SINK" "$_by" "$XFER_SECS")
	a1=$(ticks "$_pa"); b1=$(ticks "$_pb")
	set -- $r
	if [ $# -lt 3 ]; then
		note "$_c" "$_d: no result from bsink (timeout/killed)"
		echo "$_c $_d $_k nan 0 0" >>"$_f"
		return
	fi
	rate=$(awk -v b="$1" -v s="$2" 'BEGIN { if (s > 0) printf "%.1f", b / 1048576 / s; else print "nan" }')
	say "  $_c $_d #$_k: $1 bytes in $2 s = $rate MiB/s ($3); CPU s: $_na $(awk -v t=$((a1 - a0)) -v hz="$HZ" 'BEGIN {print t / hz}'), $_nb $(awk -v t=$((b1 - b0)) -v hz="$HZ" 'BEGIN {print t / hz}')"
	[ "$3" = ok ] || note "$_c" "$_d of $((_by / 1048576)) MiB: $3 after $1 bytes, $2 s"
	echo "$_c $_d $_k $rate $((a1 - a0 + b1 - b0)) $1" >>"$_f"
}

# thr_sum FILE CFG PREFIX WHAT: best rate each way as PREFIXdown/PREFIXup,
# the median (lower middle) as PREFIXdown_med/PREFIXup_med, CPU per GiB
# over every transfer as PREFIXcpu.
thr_sum() {
	for _d in down up; do
		res "$2" "$3$_d" "$(awk -v c="$2" -v d="$_d" '$1 == c && $2 == d &&
		    $4 != "nan" && (b == "" || $4 + 0 > b + 0) { b = $4 }
		    END { print (b == "" ? "nan" : b) }' "$1")"
		res "$2" "$3${_d}_med" "$(awk -v c="$2" -v d="$_d" '$1 == c && $2 == d { print ($4 == "nan" ? 0 : $4) }' "$1" |
		    sort -n | awk '{ r[NR] = $1 } END { print (NR == 0 ? "nan" : r[int((NR + 1) / 2)]) }')"
	done
	set -- "$1" "$2" "$3" "$4" $(awk -v c="$2" '$1 == c { t += $5; b += $6 } END { print t + 0, b + 0 }' "$1")
	cpu=$(cpu_per_gib "$5" "$6")
	say "  $2 cpu: $5 ticks ($4) for $6 bytes = $cpu CPU s/GiB"
	res "$2" "$3cpu" "$cpu"
}

run_cfg() { # CFG
	cfg=$1
	sp=$($VT free-port); SOCKS=$($VT free-port)
	say ""
	say "== $cfg (SOCKS 127.0.0.1:$SOCKS → server 127.0.0.1:$sp → sink $SINK; load $(cut -d' ' -f1 /proc/loadavg))"
	start_pair "$cfg" "$sp" "$SOCKS"
	if ! wait_port "$sp" || ! wait_port "$SOCKS"; then
		note "$cfg" "proxy pair did not start"
		tail -5 "$T/srv.log" "$T/cli.log"
		stop cli; stop srv; return
	fi
	# Warm up (lazy initialisation, first handshakes) before any baseline.
	timeout 30 "$BS" setup "$SOCKS" "$SINK" 20 >/dev/null

	idle_test "$cfg" "$SOCKS"
	alive "$cfg" || { stop cli; stop srv; return; }

	ps_=$(pid srv); pc_=$(pid cli)
	r=$(timeout 240 "$BS" storm "$SOCKS" "$SINK" "$NSTORM" "$PAR")
	set -- $r
	if [ $# -ge 3 ]; then
		say "  storm $NSTORM fresh connections, $PAR in parallel: ok $1, lost $2, $3 s ${4:-} ${5:-}"
		res "$cfg" lost "$2"
		[ "$2" = 0 ] || note "$cfg" "storm: lost $2 of $NSTORM fresh connections ($r)"
	else
		note "$cfg" "storm: no result (timeout 240 s)"
		res "$cfg" lost nan
	fi
	alive "$cfg" || { stop cli; stop srv; return; }
	sleep 2
	say "  after: fds srv $(nfds $ps_) (start $fd0s), cli $(nfds $pc_) (start $fd0c); RSS srv $(rss $ps_) KiB, cli $(rss $pc_) KiB"
	[ "$(nfds $ps_)" -le $((fd0s + 4)) ] && [ "$(nfds $pc_)" -le $((fd0c + 4)) ] ||
		note "$cfg" "descriptors not released 2 s after the tests: srv $(nfds $ps_) (start $fd0s), cli $(nfds $pc_) (start $fd0c)"
	grep -hiE 'error|fail|warn' "$T/srv.log" "$T/cli.log" | grep -v started >"$T/errs"
	[ -s "$T/errs" ] && say "  logs: $(wc -l <"$T/errs") error/warning lines, e.g.: $(head -1 "$T/errs")"
	stop cli; stop srv
}

# ---------------------------------------------------------------------------
# Reverse tunnel, seed 002's portal and bridge (ports adjusted, listeners
# on 127.0.0.1; see tests/interop/40-reverse.sh): a client connects to the
# portal's public dokodemo port, the portal hands it to the bridge over the
# VMess link, the bridge's freedom redirect leads to the sink.  Both
# implementations run at once; the latency rounds are interleaved.
rev_conf() { # N: $T/rpN.json, $T/rbN.json; sets EXT_N, IC_N
	_e=$($VT free-port); _c=$($VT free-port)
	sed -e "s|\"port\": 80,  //|\"listen\": \"127.0.0.1\", \"port\": $_e,  //|" \
	    -e "s|\"port\": 1024, //|\"listen\": \"127.0.0.1\", \"port\": $_c, //|" \
	    "$ROOT/conf/seeds/seed002-portal.json" >"$T/rp$1.json"
	sed -e "s/127.0.0.1:80/127.0.0.1:$SINK/" -e "s/\"port\": 1024/\"port\": $_c/" \
	    -e "s/portal的IP地址/127.0.0.1/" \
	    "$ROOT/conf/seeds/seed002-bridge.json" >"$T/rb$1.json"
	eval "EXT_$1=$_e IC_$1=$_c"
	[ "$(grep -c '"listen": "127.0.0.1", "port": ' "$T/rp$1.json")" = 2 ] &&
	    grep -q "127.0.0.1:$SINK" "$T/rb$1.json"
}
rev_start() { # portal|bridge CFG N
	_f=rp$3; [ "$1" = bridge ] && _f=rb$3
	case $2 in
	vtools) start $_f "$BIN/v$1" -c "$T/$_f.json" ;;
	v2ray) start $_f v2ray -config "$T/$_f.json" ;;
	esac
}
rev_alive() { # CFG N
	for _r in rp$2 rb$2; do
		_p=$(pid $_r)
		if [ -z "$_p" ] || ! kill -0 "$_p" 2>/dev/null; then
			note "reverse $1" "$_r ($( [ $_r = rp$2 ] && echo portal || echo bridge)) died (see its log tail below)"
			tail -5 "$T/$_r.log" | sed 's/^/     /'
			return 1
		fi
	done
	return 0
}

# rev_restart CFG N portal|bridge SIGNAL METRIC: stop one end with SIGNAL,
# leave it down $REV_DOWN s, start it again; the figure is the time from
# the new start to the first request that works end to end.
rev_restart() {
	_f=rp$2; [ "$3" = bridge ] && _f=rb$2
	eval "_e=\$EXT_$2"
	_p=$(pid $_f)
	_t0=$(date +%s%N)
	kill -"$4" "$_p" 2>/dev/null
	_i=0
	while kill -0 "$_p" 2>/dev/null && [ $_i -lt 50 ]; do
		sleep 0.05; _i=$((_i + 1))
	done
	if kill -0 "$_p" 2>/dev/null; then
		note "reverse $1" "$3 still running 2.5 s after SIG$4; killed"
		kill -9 "$_p" 2>/dev/null
	fi
	wait "$_p" 2>/dev/null
	_st=$?
	_ex=$(( ($(date +%s%N) - _t0) / 1000000 ))
	mv "$T/$_f.log" "$T/$_f.log.$4"
	sleep "$REV_DOWN"
	rev_start "$3" "$1" "$2"
	set -- "$1" "$2" "$3" "$4" "$5" $(timeout 25 "$BS" probe "direct:$_e" "$SINK" 20)
	_r="${6:-?} ms"; [ "${6:-}" = never ] && _r="never (20 s)"
	say "  $3 SIG$4: exited in $_ex ms (status $_st); restarted after ${REV_DOWN} s, first request through after $_r (${7:-?} attempts)"
	if [ "${6:-never}" = never ]; then
		note "reverse $1" "$3 SIG$4: no request went through within 20 s of the restart"
		res "$1" "$5" never
	else
		res "$1" "$5" "$6"
	fi
}

rev_phase() {
	say ""
	say "== reverse tunnel, seed 002: 127.0.0.1:public → portal → VMess link → bridge → sink $SINK; load $(cut -d' ' -f1 /proc/loadavg)"
	i=0; rup=""
	for cfg in vtools v2ray; do
		i=$((i + 1))
		if ! rev_conf $i; then
			note "reverse $cfg" "seed 002 configs did not take the port edits"
			continue
		fi
		rev_start portal $cfg $i; rev_start bridge $cfg $i
	done
	i=0
	for cfg in vtools v2ray; do
		i=$((i + 1))
		eval "_e=\${EXT_$i:-} _c=\${IC_$i:-}"
		[ -n "$_e" ] || continue
		if ! wait_port "$_e" || ! wait_port "$_c"; then
			note "reverse $cfg" "portal did not listen"
			continue
		fi
		set -- $(timeout 25 "$BS" probe "direct:$_e" "$SINK" 20)
		if [ "${1:-never}" = never ]; then
			note "reverse $cfg" "no request through the tunnel within 20 s of the start"
			tail -5 "$T/rp$i.log" "$T/rb$i.log" | sed 's/^/     /'
			continue
		fi
		say "  $cfg: public :$_e, link :$_c; first request through the tunnel $1 ms after the ports opened"
		timeout 30 "$BS" setup "direct:$_e" "$SINK" 20 >/dev/null
		rup="$rup $i:$cfg"
	done
	# Latency, interleaved: one connection's echo round trips, and fresh
	# requests (connect, send, first byte back, close) one after another.
	: >"$T/rlat"
	k=0
	while [ $k -lt "$REV_ROUNDS" ]; do
		k=$((k + 1))
		for e in $rup; do
			i=${e%%:*}; cfg=${e#*:}
			eval "_e=\$EXT_$i"
			r=$(timeout 60 "$BS" rtt "direct:$_e" "$SINK" "$REV_RTT" 64)
			echo "$cfg rev_rtt $k ${r:-nan nan timeout}" >>"$T/rlat"
			r=$(timeout 120 "$BS" setup "direct:$_e" "$SINK" "$REV_REQ")
			echo "$cfg rev_req $k ${r:-nan nan timeout}" >>"$T/rlat"
		done
	done
	for e in $rup; do
		i=${e%%:*}; cfg=${e#*:}
		for m in rev_rtt rev_req; do
			set -- $(awk -v c="$cfg" -v m="$m" '
			    $1 == c && $2 == m {
				all = all " " $4 "/" $5
				if ($6 != "0") { f = f " round " $3 ": " $6 }
				if ($4 != "nan" && (best == "" || $4 + 0 < best + 0)) best = $4
			    }
			    END { print (best == "" ? "nan" : best), (f == "" ? "-" : "x"), all; print f > "/dev/stderr" }' \
			    "$T/rlat" 2>"$T/latf")
			_b=$1 _x=$2; shift 2
			say "  $cfg ${m#rev_}: median/p90 µs per round: $*; best median $_b µs"
			res "$cfg" $m "$_b"
			[ "$_x" = - ] || note "reverse $cfg" "${m#rev_}: failed connections (per round):$(cat "$T/latf")"
		done
	done
	# Bulk, interleaved like the latency; CPU of portal + bridge.
	say "  -- $REV_MB MiB each way through the public port, $REV_REPS interleaved rounds"
	: >"$T/rthr"
	k=0
	while [ $k -lt "$REV_REPS" ]; do
		k=$((k + 1))
		for d in down up; do
			for e in $rup; do
				i=${e%%:*}; cfg=${e#*:}
				eval "_e=\$EXT_$i"
				rev_alive $cfg $i || continue
				thr_one "$T/rthr" "$cfg" "$d" "direct:$_e" "$k" \
				    $((REV_MB * 1048576)) portal "$(pid rp$i)" \
				    bridge "$(pid rb$i)"
			done
		done
	done
	for e in $rup; do
		i=${e%%:*}; cfg=${e#*:}
		thr_sum "$T/rthr" "$cfg" rev_ "portal+bridge"
		say "  $cfg RSS: portal $(rss $(pid rp$i)) KiB, bridge $(rss $(pid rb$i)) KiB"
	done
	# Recovery: the portal stopped politely, then killed; the bridge killed.
	for e in $rup; do
		i=${e%%:*}; cfg=${e#*:}
		say "  -- $cfg: restarts"
		rev_alive $cfg $i || continue
		rev_restart $cfg $i portal TERM rev_term
		rev_restart $cfg $i portal KILL rev_kill
		rev_restart $cfg $i bridge KILL rev_bkill
		rev_alive $cfg $i
		grep -hiE 'error|fail|warn|panic' "$T/rp$i.log"* "$T/rb$i.log"* | grep -v started >"$T/errs"
		[ -s "$T/errs" ] && say "  logs: $(wc -l <"$T/errs") error/warning lines, e.g.: $(head -1 "$T/errs")"
	done
	i=0
	for cfg in vtools v2ray; do
		i=$((i + 1))
		stop rb$i; stop rp$i
	done
}

# ---------------------------------------------------------------------------
# VMess over mKCP (settings $KCPS on both sides): SOCKS5 → client ⇢ UDP ⇢
# server → sink, on clean loopback (no relay: the Python relay would be the
# bottleneck there), then through tests/helpers/vt.py lossy-udp, which drops
# $KCP_LOSS % of the datagrams each way and delays each by 0-20 ms.
kcp_confs() { # SERVERPORT SOCKSPORT DIALPORT
cat >"$T/ks.json" <<JSON
{"log": {"loglevel": "warning"},
 "inbounds": [{"port": $1, "listen": "127.0.0.1", "protocol": "vmess",
   "settings": {"clients": [{"id": "$ID", "alterId": 0}]},
   "streamSettings": {"network": "kcp", "kcpSettings": $KCPS}}],
 "outbounds": [{"protocol": "freedom"}]}
JSON
cat >"$T/kc.json" <<JSON
{"log": {"loglevel": "warning"},
 "inbounds": [{"port": $2, "listen": "127.0.0.1", "protocol": "socks"}],
 "outbounds": [{"protocol": "vmess", "settings": {"vnext": [{"address": "127.0.0.1", "port": $3,
   "users": [{"id": "$ID", "alterId": 0, "security": "aes-128-gcm"}]}]},
   "streamSettings": {"network": "mkcp", "kcpSettings": $KCPS}}]}
JSON
}

kcp_phase() {
	say ""
	say "== VMess over mKCP, kcpSettings $KCPS; clean loopback ($KCP_MB MiB) and $KCP_LOSS % loss each way + 0-20 ms delay ($KCP_LOSSY_MB MiB); load $(cut -d' ' -f1 /proc/loadavg)"
	for cfg in vtools v2ray; do
		sp=$($VT free-port); rl=$($VT free-port)
		for cond in clean lossy; do
			SOCKS=$($VT free-port)
			dial=$sp mb=$KCP_MB
			if [ $cond = lossy ]; then
				dial=$rl mb=$KCP_LOSSY_MB
				start krelay $VT lossy-udp "$rl" "$sp" "$KCP_LOSS" 7
			fi
			kcp_confs "$sp" "$SOCKS" "$dial"
			if [ $cond = clean ]; then
				case $cfg in
				vtools) start ks "$BIN/vserver" -c "$T/ks.json" ;;
				v2ray) start ks v2ray -config "$T/ks.json" ;;
				esac
			fi
			case $cfg in
			vtools) start kc "$BIN/vclient" -c "$T/kc.json" ;;
			v2ray) start kc v2ray -config "$T/kc.json" ;;
			esac
			say "  -- $cfg $cond: SOCKS :$SOCKS → client ⇢ udp :$dial$( [ $cond = lossy ] && echo " → relay → :$sp") → server"
			set -- $( (wait_port "$SOCKS" && sleep 0.3 &&
			    timeout 30 "$BS" setup "$SOCKS" "$SINK" 3) 2>/dev/null)
			if [ "${3:-x}" != 0 ]; then
				note "mkcp $cfg" "$cond: no working connection through the pair (${*:-no answer})"
				tail -3 "$T/ks.log" "$T/kc.log" | sed 's/^/     /'
				stop kc; stop krelay
				continue
			fi
			say "  first connections: median setup $1 µs"
			ks_=$(pid ks); kc_=$(pid kc); kr_=$(pid krelay)
			XBYTES=0
			c0=$(( $(ticks $ks_) + $(ticks $kc_) ))
			r0=$(ticks "${kr_:-0}"); w0=$(date +%s%N)
			xfer "$cfg" kcp_${cond}_down down "$SOCKS" $((mb * 1048576)) "$KCP_SECS" "$KCP_REPS" "$kc_" client "$ks_" server
			xfer "$cfg" kcp_${cond}_up up "$SOCKS" $((mb * 1048576)) "$KCP_SECS" "$KCP_REPS" "$kc_" client "$ks_" server
			c1=$(( $(ticks $ks_) + $(ticks $kc_) ))
			cpu=$(cpu_per_gib $((c1 - c0)) $XBYTES)
			say "  cpu: $((c1 - c0)) ticks (client+server) for $XBYTES bytes = $cpu CPU s/GiB"
			res "$cfg" kcp_${cond}_cpu "$cpu"
			if [ -n "$kr_" ]; then
				r1=$(ticks "$kr_"); w1=$(date +%s%N)
				busy=$(awk -v t=$((r1 - r0)) -v hz="$HZ" -v w=$((w1 - w0)) 'BEGIN { printf "%.0f", t / hz / (w / 1e9) * 100 }')
				say "  relay (Python) CPU: $busy % of one core while transferring"
				[ "$busy" -lt 85 ] || note "mkcp $cfg" "lossy: the Python relay was busy $busy % of a core, it may be the bottleneck"
			fi
			for _r in ks kc; do
				_p=$(pid $_r)
				if [ -z "$_p" ] || ! kill -0 "$_p" 2>/dev/null; then
					note "mkcp $cfg" "$_r died during the $cond transfers"
					tail -5 "$T/$_r.log" | sed 's/^/     /'
				fi
			done
			stop kc; stop krelay
		done
		grep -hiE 'error|fail|warn|panic' "$T/ks.log" "$T/kc.log" | grep -v started >"$T/errs"
		[ -s "$T/errs" ] && say "  logs: $(wc -l <"$T/errs") error/warning lines, e.g.: $(head -1 "$T/errs")"
		stop ks
	done
}

# VMess over ws+tls or h2+tls: SOCKS5 → client → WebSocket (path /ws) or
# HTTP/2 (path /h2) in TLS → server → sink, each pair with the same
# certificate of a CA made here; both pairs up at once, the transfers one
# pair after the other.
ws_stream() { # ws|h2
	case $1 in
	ws) echo '"network": "ws", "wsSettings": {"path": "/ws"},' ;;
	h2) echo '"network": "http", "httpSettings": {"host": ["localhost"], "path": "/h2"},' ;;
	esac
}
ws_confs() { # NAME SERVERPORT SOCKSPORT ws|h2
cat >"$T/$1-s.json" <<JSON
{"log": {"loglevel": "warning"},
 "inbounds": [{"port": $2, "listen": "127.0.0.1", "protocol": "vmess",
   "settings": {"clients": [{"id": "$ID", "alterId": 0}]},
   "streamSettings": {$(ws_stream $4) "security": "tls",
     "tlsSettings": {"certificates": [{"certificateFile": "$T/pki/localhost.crt", "keyFile": "$T/pki/localhost.key"}]}}}],
 "outbounds": [{"protocol": "freedom"}]}
JSON
cat >"$T/$1-c.json" <<JSON
{"log": {"loglevel": "warning"},
 "inbounds": [{"port": $3, "listen": "127.0.0.1", "protocol": "socks"}],
 "outbounds": [{"protocol": "vmess", "settings": {"vnext": [{"address": "127.0.0.1", "port": $2,
   "users": [{"id": "$ID", "alterId": 0, "security": "aes-128-gcm"}]}]},
   "streamSettings": {$(ws_stream $4) "security": "tls",
     "tlsSettings": {"serverName": "localhost", "certificates": [{"usage": "verify", "certificateFile": "$T/pki/ca.crt"}]}}}]}
JSON
}

ws_phase() { # ws|h2
	K=$1
	say ""
	say "== VMess over $K+tls: $WS_MB MiB each way over one connection, best of $WS_REPS; load $(cut -d' ' -f1 /proc/loadavg)"
	(
	mkdir -p "$T/pki" && cd "$T/pki" &&
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
	    -days 2 -subj /CN=bench-ca -keyout ca.key -out ca.crt \
	    -addext basicConstraints=critical,CA:TRUE &&
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
	    -subj /CN=localhost -keyout localhost.key -out localhost.csr &&
	printf 'subjectAltName=DNS:localhost\n' >localhost.ext &&
	openssl x509 -req -in localhost.csr -CA ca.crt -CAkey ca.key \
	    -CAcreateserial -days 2 -extfile localhost.ext -out localhost.crt
	) >"$T/pki.log" 2>&1 || { note $K "openssl could not make the test certificates"; return; }
	for cfg in vtools v2ray; do
		sp=$($VT free-port); SOCKS=$($VT free-port)
		ws_confs "$K$cfg" "$sp" "$SOCKS" $K
		case $cfg in
		vtools)
			start wss_$cfg "$BIN/vserver" -c "$T/$K$cfg-s.json"
			start wsc_$cfg "$BIN/vclient" -c "$T/$K$cfg-c.json" ;;
		v2ray)
			start wss_$cfg v2ray -config "$T/$K$cfg-s.json"
			start wsc_$cfg v2ray -config "$T/$K$cfg-c.json" ;;
		esac
		eval "WS_SOCKS_$cfg=$SOCKS"
	done
	for cfg in vtools v2ray; do
		eval "SOCKS=\$WS_SOCKS_$cfg"
		set -- $( (wait_port "$SOCKS" && sleep 0.3 &&
		    timeout 30 "$BS" setup "$SOCKS" "$SINK" 3) 2>/dev/null)
		if [ "${3:-x}" != 0 ]; then
			note "$K+tls $cfg" "no working connection through the pair (${*:-no answer})"
			tail -3 "$T/wss_$cfg.log" "$T/wsc_$cfg.log" | sed 's/^/     /'
			continue
		fi
		say "  -- $cfg: SOCKS :$SOCKS; first connections: median setup $1 µs"
		ps_=$(pid wss_$cfg); pc_=$(pid wsc_$cfg)
		XBYTES=0
		c0=$(( $(ticks $ps_) + $(ticks $pc_) ))
		xfer "$cfg" ${K}_down down "$SOCKS" $((WS_MB * 1048576)) "$XFER_SECS" "$WS_REPS" "$pc_" client "$ps_" server
		xfer "$cfg" ${K}_up up "$SOCKS" $((WS_MB * 1048576)) "$XFER_SECS" "$WS_REPS" "$pc_" client "$ps_" server
		c1=$(( $(ticks $ps_) + $(ticks $pc_) ))
		cpu=$(cpu_per_gib $((c1 - c0)) $XBYTES)
		say "  cpu: $((c1 - c0)) ticks (client+server) for $XBYTES bytes = $cpu CPU s/GiB"
		res "$cfg" ${K}_cpu "$cpu"
	done
	for cfg in vtools v2ray; do stop wsc_$cfg; stop wss_$cfg; done
}

# ---------------------------------------------------------------------------
for f in "$BS" "$BIN/vclient" "$BIN/vserver" "$BIN/vportal" "$BIN/vbridge"; do
	[ -x "$f" ] || { say "bench: $f missing (make tools helpers)"; exit 1; }
done
_cmds="v2ray python3"
case $PAIRS in *ss-*) _cmds="$_cmds ss-local ss-server" ;; esac
for c in $_cmds; do
	command -v $c >/dev/null 2>&1 || { say "bench: $c not installed"; exit 1; }
done
ulimit -n "$(ulimit -H -n)" 2>/dev/null
_need=$(echo "$IDLE" | tr ',' '\n' | sort -n | tail -1)
[ "$(ulimit -n)" -ge $((_need * 2 + 100)) ] 2>/dev/null ||
	say "bench: warning: nofile $(ulimit -n) is low for $_need idle connections"
T0=$(date +%s)
: >"$T/results"; : >"$T/notes"

say "vtools bench: $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), nofile $(ulimit -n)"
say "transfer $MB MiB each way over one connection, best of $REPS; idle stages $IDLE; rtt $NRTT x 64 B;"
say "latency: best of $ROUNDS interleaved rounds; setup $NSETUP sequential; storm $NSTORM fresh connections, $PAR in parallel; 127.0.0.1 only"
say "pairs:${PAIRS:- none}; sections:${SECTIONS:- none}"

SINK=$($VT free-port)
start sink "$BS" serve "$SINK"
wait_port "$SINK" || { say "bench: sink did not start"; cat "$T/sink.log"; exit 1; }

for cfg in $PAIRS; do
	run_cfg "$cfg"
done
[ -n "$PAIRS" ] && shared_phase
for sec in $SECTIONS; do
	case $sec in
	reverse) rev_phase ;;
	kcp) kcp_phase ;;
	ws|h2) ws_phase $sec ;;
	users)
		say ""
		say "== users: vserver and V2Ray with 1 to 10,000 VMess users (tests/helpers/users_bench.py)"
		timeout 1800 python3 "$ROOT/tests/helpers/users_bench.py" "$BIN/vserver" "$BS" \
		    "$T/md.users" "${BENCH_USERS_ROUNDS:-30}" || note users "users section failed" ;;
	esac
done
stop sink

# ---------------------------------------------------------------------------
# Table: one row per figure, one column per pair, ratio to V2Ray in brackets.
mkdir -p "$(dirname "$OUT")"
[ -n "$PAIRS" ] && awk -v only="$PAIRS" -v mb="$MB" -v reps="$REPS" -v rounds="$ROUNDS" -v idle="$IDLE" -v nrtt="$NRTT" \
    -v nsetup="$NSETUP" -v nstorm="$NSTORM" -v par="$PAR" \
    -v md="$T/md.main" -v when="$(date -u '+%Y-%m-%d')" -v cores="$(nproc)" '
{ v[$1, $2] = $3 }
function cell(c, m,    x, r) {
	x = v[c, m]
	if (x == "" || x == "nan") return "n/a"
	if (m == "lost") return x " / " nstorm
	if (c == "v2ray") return x
	r = v["v2ray", m]
	if (r == "" || r == "nan" || r + 0 == 0) return x
	return sprintf("%s (%.2f×)", x, x / r)
}
END {
	ncfg = split(only, cfgs, " ")
	name["vtools"] = "vtools (vclient→vserver)"
	name["v2ray"] = "V2Ray 4.34"
	name["ss-chacha"] = "ss-libev chacha20-ietf-poly1305"
	name["ss-aes"] = "ss-libev aes-128-gcm"
	nm = 0
	met[++nm] = "down"; lab["down"] = "Download, MiB/s (1 conn, " mb " MiB, best of " reps ")"
	met[++nm] = "up"; lab["up"] = "Upload, MiB/s (1 conn, " mb " MiB, best of " reps ")"
	met[++nm] = "cpu"; lab["cpu"] = "CPU s per GiB, client + server"
	ns = split(idle, st, ",")
	for (i = 1; i <= ns; i++) {
		met[++nm] = "rss" st[i]
		lab["rss" st[i]] = "RSS per idle connection at " st[i] ", KiB"
	}
	met[++nm] = "rtt"; lab["rtt"] = "64 B round trip, median µs (" nrtt ", best of " rounds ")"
	met[++nm] = "setup"; lab["setup"] = "Connection setup, median µs (" nsetup ", best of " rounds ")"
	met[++nm] = "lost"; lab["lost"] = "Lost connections (" nstorm " fresh, " par " parallel)"

	# stdout: fixed-width
	printf "\n%-46s", "figure"
	for (j = 1; j <= ncfg; j++) printf " | %-22s", (cfgs[j] == "vtools" ? "vtools" : cfgs[j])
	printf "\n"
	for (i = 1; i <= nm; i++) {
		l = lab[met[i]]; gsub("µs", "us", l)
		printf "%-46s", l
		for (j = 1; j <= ncfg; j++) printf " | %-22s", cell(cfgs[j], met[i])
		printf "\n"
	}
	# markdown
	printf "Loopback, %s cores, %s; SOCKS5 → pair → local sink. VMess: AEAD, alterId 0, aes-128-gcm. " \
	    "Ratios are to V2Ray (for throughput higher is better, for the rest lower is better).\n\n", cores, when > md
	printf "| Figure |" > md
	for (j = 1; j <= ncfg; j++) printf " %s |", name[cfgs[j]] > md
	printf "\n|---|" > md
	for (j = 1; j <= ncfg; j++) printf "---:|" > md
	printf "\n" > md
	for (i = 1; i <= nm; i++) {
		printf "| %s |", lab[met[i]] > md
		for (j = 1; j <= ncfg; j++) printf " %s |", cell(cfgs[j], met[i]) > md
		printf "\n" > md
	}
}' "$T/results"

# The reverse and mKCP sections: ours against V2Ray's, same layout.
awk -v secs="$SECTIONS" -v md="$T/md.sec" -v revmb="$REV_MB" -v revreps="$REV_REPS" \
    -v revrounds="$REV_ROUNDS" -v revrtt="$REV_RTT" -v revreq="$REV_REQ" -v down="$REV_DOWN" \
    -v kcpmb="$KCP_MB" -v kcpreps="$KCP_REPS" -v kcplmb="$KCP_LOSSY_MB" -v loss="$KCP_LOSS" -v kcps="$KCPS" \
    -v wsmb="$WS_MB" -v wsreps="$WS_REPS" '
{ v[$1, $2] = $3 }
function cell(c, m,    x, r) {
	x = v[c, m]
	if (x == "" || x == "nan") return "n/a"
	if (x == "never") return "none within 20 s"
	if (c == "v2ray") return x
	r = v["v2ray", m]
	if (r == "" || r == "nan" || r + 0 == 0) return x
	return sprintf("%s (%.2f×)", x, x / r)
}
function table(title, intro, n, met, lab, c1,    i, l) {
	printf "\n%s\n%-76s | %-18s | %-18s\n", title, "figure", "vtools", "v2ray"
	for (i = 1; i <= n; i++) {
		l = lab[met[i]]; gsub("µs", "us", l)
		printf "%-76s | %-18s | %-18s\n", l, cell("vtools", met[i]), cell("v2ray", met[i])
	}
	printf "\n### %s\n\n%s\n\n| Figure | %s | V2Ray 4.34 |\n|---|---:|---:|\n", title, intro, c1 > md
	for (i = 1; i <= n; i++)
		printf "| %s | %s | %s |\n", lab[met[i]], cell("vtools", met[i]), cell("v2ray", met[i]) > md
}
END {
	if (secs ~ /reverse/) {
		n = 0
		met[++n] = "rev_down_med"; lab["rev_down_med"] = "Download through the public port, MiB/s (1 conn, " revmb " MiB, median of " revreps ")"
		met[++n] = "rev_up_med"; lab["rev_up_med"] = "Upload through the public port, MiB/s (1 conn, " revmb " MiB, median of " revreps ")"
		met[++n] = "rev_down"; lab["rev_down"] = "Download through the public port, MiB/s (1 conn, " revmb " MiB, best of " revreps ")"
		met[++n] = "rev_up"; lab["rev_up"] = "Upload through the public port, MiB/s (1 conn, " revmb " MiB, best of " revreps ")"
		met[++n] = "rev_cpu"; lab["rev_cpu"] = "CPU s per GiB, portal + bridge"
		met[++n] = "rev_rtt"; lab["rev_rtt"] = "64 B round trip on one connection, median µs (" revrtt ", best of " revrounds ")"
		met[++n] = "rev_req"; lab["rev_req"] = "Small request on a fresh connection, median µs (" revreq " sequential, best of " revrounds ")"
		met[++n] = "rev_term"; lab["rev_term"] = "Portal SIGTERM, restart after " down " s: ms to the first request through"
		met[++n] = "rev_kill"; lab["rev_kill"] = "Portal SIGKILL, restart after " down " s: ms to the first request through"
		met[++n] = "rev_bkill"; lab["rev_bkill"] = "Bridge SIGKILL, restart after " down " s: ms to the first request through"
		table("Reverse tunnel (seed 002)",
		    "Seed 002 portal and bridge (ports adjusted, listeners on 127.0.0.1): client → portal public dokodemo-door → VMess link → bridge → freedom redirect → local sink. " \
		    "Ratios are to V2Ray (throughput: higher is better; the rest: lower is better).",
		    n, met, lab, "vtools (vportal + vbridge)")
	}
	if (secs ~ /kcp/) {
		n = 0
		met[++n] = "kcp_clean_down"; lab["kcp_clean_down"] = "Clean loopback: download, MiB/s (1 conn, " kcpmb " MiB, best of " kcpreps ")"
		met[++n] = "kcp_clean_up"; lab["kcp_clean_up"] = "Clean loopback: upload, MiB/s (1 conn, " kcpmb " MiB, best of " kcpreps ")"
		met[++n] = "kcp_clean_cpu"; lab["kcp_clean_cpu"] = "Clean loopback: CPU s per GiB, client + server"
		met[++n] = "kcp_lossy_down"; lab["kcp_lossy_down"] = loss " % loss each way, 0-20 ms delay: download, MiB/s (1 conn, " kcplmb " MiB, best of " kcpreps ")"
		met[++n] = "kcp_lossy_up"; lab["kcp_lossy_up"] = loss " % loss each way, 0-20 ms delay: upload, MiB/s (1 conn, " kcplmb " MiB, best of " kcpreps ")"
		met[++n] = "kcp_lossy_cpu"; lab["kcp_lossy_cpu"] = loss " % loss: CPU s per GiB, client + server"
		table("VMess over mKCP",
		    "SOCKS5 → client ⇢ mKCP/UDP ⇢ server → local sink; VMess AEAD aes-128-gcm; kcpSettings `" kcps "` on both sides. " \
		    "Clean: straight over loopback. Lossy: through `tests/helpers/vt.py lossy-udp` (Python; drops datagrams each way at random, delays each 0-20 ms, so some reorder). " \
		    "Best of " kcpreps " transfers each way. Ratios are to V2Ray (throughput: higher is better; CPU: lower is better).",
		    n, met, lab, "vtools (vclient → vserver)")
	}
	if (secs ~ /ws/) {
		n = 0
		met[++n] = "ws_down"; lab["ws_down"] = "Download, MiB/s (1 conn, " wsmb " MiB, best of " wsreps ")"
		met[++n] = "ws_up"; lab["ws_up"] = "Upload, MiB/s (1 conn, " wsmb " MiB, best of " wsreps ")"
		met[++n] = "ws_cpu"; lab["ws_cpu"] = "CPU s per GiB, client + server"
		table("VMess over ws+tls",
		    "SOCKS5 → client → VMess AEAD aes-128-gcm in WebSocket (path /ws) in TLS → server → local sink; a test CA made by the run. " \
		    "Ratios are to V2Ray (throughput: higher is better; CPU: lower is better).",
		    n, met, lab, "vtools (vclient → vserver)")
	}
	if (secs ~ /h2/) {
		n = 0
		met[++n] = "h2_down"; lab["h2_down"] = "Download, MiB/s (1 conn, " wsmb " MiB, best of " wsreps ")"
		met[++n] = "h2_up"; lab["h2_up"] = "Upload, MiB/s (1 conn, " wsmb " MiB, best of " wsreps ")"
		met[++n] = "h2_cpu"; lab["h2_cpu"] = "CPU s per GiB, client + server"
		table("VMess over h2+tls",
		    "SOCKS5 → client → VMess AEAD aes-128-gcm in an HTTP/2 stream (path /h2) in TLS → server → local sink; a test CA made by the run. " \
		    "Ratios are to V2Ray (throughput: higher is better; CPU: lower is better).",
		    n, met, lab, "vtools (vclient → vserver)")
	}
}' "$T/results"
: >"$OUT.tmp"
[ -s "$T/md.main" ] && cat "$T/md.main" >>"$OUT.tmp"
[ -s "$T/md.sec" ] && cat "$T/md.sec" >>"$OUT.tmp"
[ -s "$T/md.users" ] && cat "$T/md.users" >>"$OUT.tmp"
mv "$OUT.tmp" "$OUT"

say ""
say "(ratios in brackets are to V2Ray; throughput: higher is better, the rest: lower is better)"
say "markdown table: $OUT"
if [ -s "$T/notes" ]; then
	say ""
	say "findings:"
	sed 's/^/  /' "$T/notes"
fi
say "total $(( $(date +%s) - T0 )) s"
