#!/bin/sh
# bench.sh (make bench): the same loopback chain SOCKS5 → proxy pair → sink
# through vclient→vserver, v2ray→v2ray (VMess AEAD aes-128-gcm, alterId 0)
# and ss-local→ss-server (chacha20-ietf-poly1305, aes-128-gcm); prints
# throughput, CPU per GiB, RSS per idle connection, latency, setup time and
# lost connections, with ratios to V2Ray.  Writes tests/out/bench.md.
#
# Knobs (environment): BENCH_MB (MiB per transfer, 512), BENCH_REPS
# (transfers each way, the best counts, 3), BENCH_ROUNDS (latency rounds,
# the lowest median counts, 5), BENCH_IDLE (stages, "1000,5000"),
# BENCH_RTT (2000), BENCH_SETUP (200), BENCH_STORM (5000), BENCH_PAR
# (threads for the storm, 8), BENCH_ONLY (subset of "vtools v2ray
# ss-chacha ss-aes").  Every step is bounded by a timeout.
set -u
cd "$(dirname "$0")/.." || exit 1
ROOT=$(pwd)
BIN=$ROOT/bin
BS=$ROOT/build/helpers/bsink
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
ONLY=${BENCH_ONLY:-vtools v2ray ss-chacha ss-aes}
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

ticks() { # PID: utime + stime in clock ticks
	sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | awk '{print $12 + $13}'
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

# bulk CFG DIR(down|up): best of $REPS transfers; CPU split per process.
bulk() {
	best=nan; k=0
	while [ $k -lt "$REPS" ]; do
		k=$((k + 1))
		s0=$(ticks "$ps_"); k0=$(ticks "$pc_")
		r=$(timeout $((XFER_SECS + 15)) "$BS" "$2" "$SOCKS" "$SINK" "$BYTES" "$XFER_SECS")
		s1=$(ticks "$ps_"); k1=$(ticks "$pc_")
		set -- "$1" "$2" $r
		if [ $# -lt 5 ]; then
			note "$1" "$2: no result from bsink (timeout/killed)"; continue
		fi
		rate=$(awk -v b="$3" -v s="$4" 'BEGIN { if (s > 0) printf "%.1f", b / 1048576 / s; else print "nan" }')
		say "  $2 #$k: $3 bytes in $4 s = $rate MiB/s ($5); CPU s: client $(awk -v t=$((k1 - k0)) -v hz="$HZ" 'BEGIN {print t / hz}'), server $(awk -v t=$((s1 - s0)) -v hz="$HZ" 'BEGIN {print t / hz}')"
		[ "$5" = ok ] || note "$1" "$2 of $MB MiB: $5 after $3 bytes, $4 s"
		XBYTES=$((XBYTES + $3))
		best=$(awk -v a="$best" -v b="$rate" 'BEGIN { if (a == "nan" || b + 0 > a + 0) print b; else print a }')
	done
	res "$1" "$2" "$best"
}

# Latency: every pair runs at once and the rounds are interleaved, so all
# see the same machine (idle-CPU wake-up latency on this shared host swings
# round trips between ~25 and ~200 µs).  The lowest round median counts.
latency_phase() {
	say ""
	say "== latency: all pairs up at once; $ROUNDS interleaved rounds of rtt 64 B x $NRTT and setup x $NSETUP"
	: >"$T/lat"
	i=0; up=""
	for cfg in $ONLY; do
		i=$((i + 1))
		_sp=$($VT free-port); _lp=$($VT free-port)
		start_pair "$cfg" "$_sp" "$_lp" $i
		eval "LP_$i=$_lp SP_$i=$_sp"
	done
	i=0
	for cfg in $ONLY; do
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
	XBYTES=0
	c0=$(( $(ticks $ps_) + $(ticks $pc_) ))
	bulk "$cfg" down
	bulk "$cfg" up
	c1=$(( $(ticks $ps_) + $(ticks $pc_) ))
	cpu=$(awk -v t=$((c1 - c0)) -v hz="$HZ" -v b=$XBYTES 'BEGIN {
	    if (b > 0) printf "%.2f", t / hz / (b / 1073741824); else print "nan" }')
	say "  cpu: $((c1 - c0)) ticks (client+server) for $XBYTES bytes = $cpu CPU s/GiB"
	res "$cfg" cpu "$cpu"
	alive "$cfg" || { stop cli; stop srv; return; }

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
for f in "$BS" "$BIN/vclient" "$BIN/vserver"; do
	[ -x "$f" ] || { say "bench: $f missing (make tools helpers)"; exit 1; }
done
for c in v2ray ss-local ss-server python3; do
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

SINK=$($VT free-port)
start sink "$BS" serve "$SINK"
wait_port "$SINK" || { say "bench: sink did not start"; cat "$T/sink.log"; exit 1; }

for cfg in $ONLY; do
	run_cfg "$cfg"
done
latency_phase
stop sink

# ---------------------------------------------------------------------------
# Table: one row per figure, one column per pair, ratio to V2Ray in brackets.
mkdir -p "$(dirname "$OUT")"
awk -v only="$ONLY" -v mb="$MB" -v reps="$REPS" -v rounds="$ROUNDS" -v idle="$IDLE" -v nrtt="$NRTT" \
    -v nsetup="$NSETUP" -v nstorm="$NSTORM" -v par="$PAR" \
    -v md="$OUT" -v when="$(date -u '+%Y-%m-%d')" -v cores="$(nproc)" '
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

say ""
say "(ratios in brackets are to V2Ray; throughput: higher is better, the rest: lower is better)"
say "markdown table: $OUT"
if [ -s "$T/notes" ]; then
	say ""
	say "findings:"
	sed 's/^/  /' "$T/notes"
fi
say "total $(( $(date +%s) - T0 )) s"
