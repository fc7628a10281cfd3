#!/bin/sh
# capture.sh: regenerates nine seed corpora in tests/fuzz/corpus/ from
# real sessions on loopback (see docs/fuzzing.md):
#
#   VMess   v2ray client -> capture_relay.py -> v2ray server, for AEAD and
#           legacy headers, every security, TCP, UDP, Mux.Cool and a
#           dynamic-port detour (SwitchAccount), and a reverse bridge's
#           tunnel to a portal; capture_seeds turns each
#           connection into header, body-chunk and Mux seeds. The users are
#           fuzz_vmess_header.c's, so the seeds pass its authentication.
#   mKCP    v2ray client -> UDP relay -> v2ray server, every header type,
#           with and without a seed ("fuzz", fuzz_kcp_packet.c's key)
#   SOCKS   curl (5, 5h, 4, 4a, password) -> relay -> v2ray socks inbound;
#           UDP ASSOCIATE datagrams v2ray sends back
#   sniff   HTTP requests from curl, TLS ClientHellos from curl and
#           openssl s_client
#   links   vmess:// links printed by vserver
#   config  conf/*.json|ini, conf/seeds/*, the v2ray configs used here
#           and vserver -dump ini of them
#
# Every process is started under timeout, recorded by PID and killed at
# the end; the whole run is bounded (about a minute). Files named regress-*
# (crash reproducers) are kept; everything else in the corpora is rebuilt.
# Needs v2ray 4.34, curl, openssl, python3, cc.
#   CORPUS=DIR  write there instead of tests/fuzz/corpus
cd "$(dirname "$0")/../.." || exit 1
# start/stop_wait/free_port/wait_port, $T, and the kill-by-PID cleanup.
. tests/interop/lib.sh
CORPUS=${CORPUS:-$ROOT/tests/fuzz/corpus}
FZ=$ROOT/tests/fuzz
ID0=b831381d-6324-4d53-ad4f-8cda48b30811	# alterId 0: AEAD header
ID1=27848739-7e62-4138-9fd3-098a63964b6b	# alterId 1: legacy header

for t in v2ray curl openssl python3 cc; do
	command -v $t >/dev/null || { echo "capture.sh: needs $t" >&2; exit 1; }
done
if ! make -s BUILD=build-fz build-fz/bin/vserver build-fz/libshared.a; then
	[ -x build-fz/bin/vserver ] && [ -f build-fz/libshared.a ] || exit 1
	echo "capture.sh: make failed, using build-fz/ as it is" >&2
fi
cc -std=c11 -D_GNU_SOURCE -O1 -g -Ilibshared $FZ/capture_seeds.c \
    build-fz/libshared.a $(pkg-config --libs libevent openssl inih json-c) \
    -lm -o $T/capture_seeds || exit 1

# The corpora this script writes (other targets keep theirs).
MINE="fuzz_conf_ini fuzz_conf_json fuzz_kcp_packet fuzz_mux_frame fuzz_sniff
    fuzz_socks fuzz_vmess_chunk fuzz_vmess_header fuzz_vmess_link"
for t in $MINE; do
	mkdir -p "$CORPUS/$t"
	find "$CORPUS/$t" -type f ! -name 'regress-*' -delete
done

# bg NAME SECONDS CMD...: in the background, bounded; lib.sh kills it.
bg() { _n=$1; _s=$2; shift 2; start $_n timeout $_s "$@"; }
RELAY="python3 $FZ/capture_relay.py"

# A small origin: HTTP on $HTTP (a 3 KB file), UDP echo on $ECHO.
HTTP=$(free_port); ECHO=$(free_port)
mkdir -p $T/www
python3 -c 'import sys; sys.stdout.write("".join("line %04d of the capture origin\n" % i for i in range(100)))' >$T/www/f.txt
bg http 120 python3 -m http.server -b 127.0.0.1 -d $T/www $HTTP
bg echo 120 $RELAY udpecho $ECHO
wait_port $HTTP || exit 1
fetch() { # SOCKSPORT [HOST]: one GET through the SOCKS port
	timeout 10 curl -s --max-time 8 --socks5-hostname 127.0.0.1:$1 \
	    -o /dev/null "http://${2:-127.0.0.1}:$HTTP/f.txt"
}

# ---- VMess ---------------------------------------------------------------

# stream JSON for the outbound and inbound: tcp, or kcp with a header type
# and an optional seed.
stream() {
	if [ "$1" = tcp ]; then echo '{"network": "tcp"}'; return; fi
	_seed=""
	[ -n "${2:-}" ] && _seed=", \"seed\": \"$2\""
	echo "{\"network\": \"kcp\", \"kcpSettings\": {\"header\": {\"type\": \"$1\"}$_seed}}"
}

# client_conf SOCKS RELAY ID AID SECURITY MUX STREAM
client_conf() {
	cat <<EOF
{
  "log": {"loglevel": "warning"},
  "inbounds": [{"listen": "127.0.0.1", "port": $1, "protocol": "socks",
    "settings": {"auth": "noauth", "udp": true, "ip": "127.0.0.1"}}],
  "outbounds": [{"protocol": "vmess",
    "settings": {"vnext": [{"address": "127.0.0.1", "port": $2,
      "users": [{"id": "$3", "alterId": $4, "security": "$5"}]}]},
    "mux": {"enabled": $6, "concurrency": 8},
    "streamSettings": $7}]
}
EOF
}

# server_conf PORT STREAM [DYNAMIC-RANGE]
server_conf() {
	_detour=""; _dyn=""
	if [ -n "${3:-}" ]; then
		_detour=', "detour": {"to": "dyn"}'
		_dyn=", {\"listen\": \"127.0.0.1\", \"port\": \"$3\", \"protocol\": \"vmess\", \"tag\": \"dyn\",
    \"settings\": {\"default\": {\"alterId\": 0}},
    \"allocate\": {\"strategy\": \"always\"}}"
	fi
	cat <<EOF
{
  "log": {"loglevel": "warning"},
  "inbounds": [{"listen": "127.0.0.1", "port": $1, "protocol": "vmess",
    "settings": {"clients": [{"id": "$ID0", "alterId": 0},
      {"id": "$ID1", "alterId": 1}]$_detour},
    "streamSettings": $2}$_dyn],
  "outbounds": [{"protocol": "freedom"}]
}
EOF
}

# socks_udp SOCKSPORT OUT: UDP ASSOCIATE, three datagrams to the echo.
socks_udp() { timeout 10 $RELAY socksudp $1 $ECHO $2; }

# vmess NAME ID AID SECURITY MUX WHAT [DYNAMIC]: one session over TCP,
# WHAT = tcp (two GETs), udp (SOCKS UDP) or both.
vmess() {
	_name=$1; SP=$(free_port); RP=$(free_port); CP=$(free_port)
	_dr=""
	if [ -n "${7:-}" ]; then
		_b=$(( 20000 + $(od -An -N2 -tu2 /dev/urandom) % 30000 ))
		_dr="$_b-$((_b + 20))"
	fi
	server_conf $SP "$(stream tcp)" $_dr >$T/$_name-s.json
	client_conf $CP $RP $2 $3 $4 $5 "$(stream tcp)" >$T/$_name-c.json
	bg srv 60 v2ray -config $T/$_name-s.json
	bg rel 60 $RELAY tcp $RP $SP $T/cap/$_name
	bg cli 60 v2ray -config $T/$_name-c.json
	if ! wait_port $SP || ! wait_port $CP; then
		stop_wait cli rel srv
		return 1
	fi
	case $6 in
	tcp|both) fetch $CP; fetch $CP localhost ;;
	esac
	case $6 in
	udp|both) socks_udp $CP $T/cap/$_name-udp ;;
	esac
	sleep 0.5
	stop_wait cli rel srv
	# The first connection (a dynamic-port client's next ones go to
	# the dynamic ports, past the relay).
	c=$T/cap/$_name-0
	[ -f $c.c2s ] && $T/capture_seeds $CORPUS $_name $(cat $c.time) \
	    $c.c2s $c.s2c
}

# A session whose tools did not come up in time is tried once more.
twice() { "$@" || "$@"; }
mkdir -p $T/cap
twice vmess aead-gcm $ID0 0 aes-128-gcm false tcp
twice vmess aead-chacha $ID0 0 chacha20-poly1305 false tcp
twice vmess aead-none $ID0 0 none false tcp
twice vmess aead-zero $ID0 0 zero false tcp
twice vmess aead-auto-udp $ID0 0 auto false udp
twice vmess aead-mux $ID0 0 aes-128-gcm true both
twice vmess aead-mux-chacha $ID0 0 chacha20-poly1305 true tcp
twice vmess legacy-cfb $ID1 1 aes-128-cfb false tcp
twice vmess legacy-gcm $ID1 1 aes-128-gcm false tcp
twice vmess legacy-none $ID1 1 none false tcp
twice vmess legacy-udp $ID1 1 chacha20-poly1305 false udp
twice vmess legacy-mux $ID1 1 aes-128-cfb true both
twice vmess aead-dynport $ID0 0 aes-128-gcm false tcp dynamic

# Reverse proxy: a v2ray bridge's tunnel to a v2ray portal carries
# Mux.Cool with the portal's Control frames; one GET goes through it.
reverse() {
	SP=$(free_port); RP=$(free_port); PP=$(free_port)
	cat >$T/reverse-bridge.json <<EOF
{
  "log": {"loglevel": "warning"},
  "reverse": {"bridges": [{"tag": "bridge", "domain": "reverse.fuzz"}]},
  "outbounds": [{"tag": "tunnel", "protocol": "vmess",
      "settings": {"vnext": [{"address": "127.0.0.1", "port": $RP,
        "users": [{"id": "$ID0", "alterId": 0}]}]}},
    {"tag": "direct", "protocol": "freedom"}],
  "routing": {"rules": [
    {"type": "field", "inboundTag": ["bridge"],
     "domain": ["full:reverse.fuzz"], "outboundTag": "tunnel"},
    {"type": "field", "inboundTag": ["bridge"], "outboundTag": "direct"}]}
}
EOF
	cat >$T/reverse-portal.json <<EOF
{
  "log": {"loglevel": "warning"},
  "reverse": {"portals": [{"tag": "portal", "domain": "reverse.fuzz"}]},
  "inbounds": [{"tag": "public", "listen": "127.0.0.1", "port": $PP,
      "protocol": "dokodemo-door",
      "settings": {"address": "127.0.0.1", "port": $HTTP, "network": "tcp"}},
    {"tag": "tunnel", "listen": "127.0.0.1", "port": $SP, "protocol": "vmess",
      "settings": {"clients": [{"id": "$ID0", "alterId": 0}]}}],
  "routing": {"rules": [
    {"type": "field", "inboundTag": ["public"], "outboundTag": "portal"},
    {"type": "field", "inboundTag": ["tunnel"],
     "domain": ["full:reverse.fuzz"], "outboundTag": "portal"}]}
}
EOF
	bg srv 60 v2ray -config $T/reverse-portal.json
	bg rel 60 $RELAY tcp $RP $SP $T/cap/reverse
	if ! wait_port $SP || ! wait_port $PP; then
		stop_wait rel srv
		return 1
	fi
	bg cli 60 v2ray -config $T/reverse-bridge.json
	sleep 2
	timeout 10 curl -s --max-time 8 -o /dev/null http://127.0.0.1:$PP/f.txt
	sleep 0.5
	stop_wait cli rel srv
	c=$T/cap/reverse-0
	[ -f $c.c2s ] && $T/capture_seeds $CORPUS reverse $(cat $c.time) \
	    $c.c2s $c.s2c mux
}
twice reverse
cp $T/cap/*-udp.[0-9]* $CORPUS/fuzz_socks/ 2>/dev/null
for f in $CORPUS/fuzz_socks/*-udp.[0-9]*; do
	[ -f "$f" ] && mv "$f" "$CORPUS/fuzz_socks/udp-reply-$(basename "$f")"
done

# ---- mKCP ----------------------------------------------------------------

# kcp NAME TYPE [SEED]: datagrams of one session; the seed byte selects
# fuzz_kcp_packet's header type (% 6) and, with 0x80, the "fuzz" key.
kcp() {
	SP=$(free_port); RP=$(free_port); CP=$(free_port)
	server_conf $SP "$(stream $2 ${3:-})" >$T/$1-s.json
	client_conf $CP $RP $ID0 0 aes-128-gcm false "$(stream $2 ${3:-})" \
	    >$T/$1-c.json
	bg srv 60 v2ray -config $T/$1-s.json
	bg rel 60 $RELAY udp $RP $SP $T/cap/$1
	bg cli 60 v2ray -config $T/$1-c.json
	if ! wait_port $CP; then
		stop_wait cli rel srv
		return 1
	fi
	sleep 0.3
	fetch $CP
	sleep 0.3
	stop_wait cli rel srv
	case $2 in
	none) i=0 ;; srtp) i=1 ;; utp) i=2 ;; wechat-video) i=3 ;;
	dtls) i=4 ;; wireguard) i=5 ;;
	esac
	sel=$i
	if [ -n "${3:-}" ]; then
		sel=128; while [ $((sel % 6)) -ne $i ]; do sel=$((sel + 1)); done
	fi
	for d in c2s.0 c2s.1 c2s.2 s2c.0 s2c.1 s2c.2; do
		[ -f $T/cap/$1.$d ] || continue
		{ printf "\\$(printf %o $sel)"; cat $T/cap/$1.$d; } \
		    >$CORPUS/fuzz_kcp_packet/$1-$d
	done
}
twice kcp kcp-none none
twice kcp kcp-srtp srtp
twice kcp kcp-utp utp
twice kcp kcp-wechat wechat-video
twice kcp kcp-dtls dtls
twice kcp kcp-wireguard wireguard
twice kcp kcp-none-seed none fuzz
twice kcp kcp-dtls-seed dtls fuzz

# ---- SOCKS and sniffing --------------------------------------------------

SP=$(free_port); SPW=$(free_port); RP=$(free_port); RPW=$(free_port)
cat >$T/socks.json <<EOF
{
  "log": {"loglevel": "warning"},
  "inbounds": [
    {"listen": "127.0.0.1", "port": $SP, "protocol": "socks",
     "settings": {"auth": "noauth", "udp": true, "ip": "127.0.0.1"}},
    {"listen": "127.0.0.1", "port": $SPW, "protocol": "socks",
     "settings": {"auth": "password",
       "accounts": [{"user": "fuzzer", "pass": "s3cret-pass"}]}}],
  "outbounds": [{"protocol": "freedom"}]
}
EOF
bg srv 60 v2ray -config $T/socks.json
bg rel 60 $RELAY tcp $RP $SP $T/cap/socks
bg relw 60 $RELAY tcp $RPW $SPW $T/cap/socksw
wait_port $SP && wait_port $SPW && wait_port $RP && wait_port $RPW || exit 1
U=http://127.0.0.1:$HTTP/f.txt
for how in --socks5 --socks5-hostname --socks4 --socks4a; do
	timeout 10 curl -s --max-time 8 $how 127.0.0.1:$RP -o /dev/null $U
done
timeout 10 curl -s --max-time 8 --socks5-hostname 127.0.0.1:$RP -o /dev/null \
    http://localhost:$HTTP/f.txt
timeout 10 curl -s --max-time 8 --socks5 127.0.0.1:$RP -o /dev/null \
    "http://[::1]:$HTTP/f.txt"
timeout 10 curl -s --max-time 8 --socks5-hostname \
    fuzzer:s3cret-pass@127.0.0.1:$RPW -o /dev/null $U
socks_udp $SP $T/cap/socks-udp
sleep 0.3
stop_wait rel relw srv
# The client's messages, one file each (greeting, password, request).
for f in $T/cap/socks-[0-9]*.c2s.[0-2] $T/cap/socksw-[0-9]*.c2s.[0-3]; do
	[ -s "$f" ] && cp "$f" $CORPUS/fuzz_socks/$(basename "$f")
done
for f in $T/cap/socks-udp.[0-9]*; do
	[ -f "$f" ] && cp "$f" $CORPUS/fuzz_socks/udp-reply-$(basename "$f")
done

# HTTP requests (the origin answers) and TLS ClientHellos (nobody does).
RP=$(free_port); RT=$(free_port)
bg rel 60 $RELAY tcp $RP $HTTP $T/cap/http
bg relt 60 $RELAY tcp $RT 0 $T/cap/tls
wait_port $RP && wait_port $RT || exit 1
C="timeout 10 curl -s --max-time 3 -o /dev/null"
$C http://127.0.0.1:$RP/f.txt
$C -0 http://127.0.0.1:$RP/f.txt
$C -I -H 'Host: www.example.com' http://127.0.0.1:$RP/
$C -d 'a=1&b=two' -H 'Host: api.example.org:8443' http://127.0.0.1:$RP/post
$C -X PUT -A 'fuzz-capture/1.0' -H 'Host: [2001:db8::1]:80' \
    http://127.0.0.1:$RP/put
$C --resolve example.com:$RT:127.0.0.1 https://example.com:$RT/
$C --http1.1 --tlsv1.2 --tls-max 1.2 --resolve a.b.example.net:$RT:127.0.0.1 \
    https://a.b.example.net:$RT/
$C -k https://127.0.0.1:$RT/
for o in "-tls1_2 -servername www.example.org" \
    "-tls1_3 -servername localhost" "-alpn h2,http/1.1 -servername v2fly.org" \
    "-tls1_2 -noservername"; do
	timeout 4 openssl s_client -connect 127.0.0.1:$RT $o </dev/null \
	    >/dev/null 2>&1
done
sleep 0.3
stop_wait rel relt
for f in $T/cap/http-[0-9]*.c2s $T/cap/tls-[0-9]*.c2s; do
	[ -s "$f" ] && head -c 4096 "$f" >$CORPUS/fuzz_sniff/$(basename "$f")
done

# ---- vmess:// links --------------------------------------------------------

j=0
for args in "-id $ID0 -host vps.example.com" \
    "-id $ID1 -aid 1 -host 203.0.113.7" \
    "-id $ID0 -id $ID1 -host [2001:db8::7]" \
    "-id $ID0 -kcp -host kcp.example.net" \
    "-id $ID1 -dynamic 40000-40010 -host dyn.example.org"; do
	j=$((j + 1))
	P=$(free_port)
	timeout 2 build-fz/bin/vserver -listen 127.0.0.1 -port $P $args \
	    >$T/links.out 2>&1
	i=0
	for l in $(grep -o 'vmess://[A-Za-z0-9+/=_-]*' $T/links.out); do
		i=$((i + 1))
		printf %s "$l" >$CORPUS/fuzz_vmess_link/link-$j-$i
		# The target's other half: 0x01 then the part after vmess://.
		{ printf '\001'; printf %s "${l#vmess://}"; } \
		    >$CORPUS/fuzz_vmess_link/bare-$j-$i
	done
done

# ---- configurations --------------------------------------------------------

for f in conf/*.json conf/seeds/*.json $T/*-[cs].json $T/socks.json \
    $T/reverse-*.json; do
	[ -f "$f" ] && cp "$f" $CORPUS/fuzz_conf_json/$(basename "$f")
done
for f in conf/*.ini conf/seeds/*.ini; do
	cp "$f" $CORPUS/fuzz_conf_ini/$(basename "$f")
done
for f in $T/aead-dynport-s.json $T/kcp-dtls-seed-s.json; do
	build-fz/bin/vserver -c "$f" -dump ini \
	    >$CORPUS/fuzz_conf_ini/dump-$(basename "$f" .json).ini 2>/dev/null ||
	    rm -f $CORPUS/fuzz_conf_ini/dump-$(basename "$f" .json).ini
done

stop_wait http echo
for t in $MINE; do
	d=$CORPUS/$t
	printf '%-20s %3d files %6d bytes\n' "$(basename $d)" \
	    "$(ls $d | wc -l)" "$(cat $d/* 2>/dev/null | wc -c)"
done
