#!/bin/sh
# The dns object and the dns outbound (issue 16), against DNS servers this
# test starts (dnslib): `servers` with a port, `domains` and `expectIps`
# (geosite:/geoip: lists too), `hosts` (full, domain:, geosite:, aliases,
# a list) over the servers, the cache and its TTL, IPIfNonMatch and
# IPOnDemand routing a name by the address the dns object gives, freedom
# UseIP, and a dns outbound behind a dokodemo-door answering A/AAAA itself
# (UDP and TCP) and forwarding the rest. The same config then runs in v2ray
# 4.34 and must answer alike. Last, the queries go over VMess both ways.
. "$(dirname "$0")/lib.sh"
need_v2ray
D="python3 $ROOT/tests/helpers/dnsd.py"
# geosite: keys in hosts and in a server's domains, and a geoip: list in
# expectIps, from generated files both tools find through
# V2RAY_LOCATION_ASSET.
mkdir -p $T/assets
python3 $ROOT/tests/helpers/mkgeodat.py site $T/assets/geosite.dat \
    'HOSTS=domain:geo.test' 'PRIO=full:gprio.test'
python3 $ROOT/tests/helpers/mkgeodat.py ip $T/assets/geoip.dat \
    'TEN=10.0.0.0/8'
export V2RAY_LOCATION_ASSET=$T/assets

DP=$(free_port); DP2=$(free_port); HP=$(free_port); DEAD=$(free_port)
start dnsd $D serve $DP $T/queries.log
start dnsd2 $D serve $DP2 $T/queries2.log alt
start web python3 -m http.server --bind 127.0.0.1 --directory $T/www $HP
mkdir -p $T/www && echo ok >$T/www/index.html

# conf SOCKS DOKODEMO [EXTRA-HOSTS]: one config for both tools.
conf() {
cat <<JSON
{"log": {"loglevel": "debug"},
 "dns": {"tag": "dns-app", "hosts": {"full:h.test": "10.3.3.3",
   "domain:hd.test": "10.4.4.4", "local.test": "127.0.0.1",
   "alias.test": "a.test", "geosite:hosts": "10.12.12.12",
   "domain:o.test": "10.20.0.3", "full:a.o.test": "10.20.0.4",
   "keyword:a.o": "10.20.0.5", "a.o.test": "10.20.0.6",
   "domain:a.o.test": "10.20.0.7"${3:-}},
   "servers": [{"address": "127.0.0.1", "port": $DP, "expectIps": ["geoip:ten"]},
     {"address": "127.0.0.1", "port": $DP2,
      "domains": ["domain:prio.test", "geosite:prio"]},
     {"address": "127.0.0.1", "port": $DEAD, "domains": ["full:a.slow.test"]}]},
 "inbounds": [
  {"tag": "socks-in", "port": $1, "listen": "127.0.0.1", "protocol": "socks"},
  {"tag": "dns-in", "port": $2, "listen": "127.0.0.1",
   "protocol": "dokodemo-door",
   "settings": {"address": "127.0.0.1", "port": $DP, "network": "tcp,udp"}}],
 "outbounds": [
  {"tag": "block", "protocol": "blackhole"},
  {"tag": "direct", "protocol": "freedom",
   "settings": {"domainStrategy": "UseIP"}},
  {"tag": "redir", "protocol": "freedom",
   "settings": {"redirect": "127.0.0.1:$HP"}},
  {"tag": "dns-out", "protocol": "dns"}],
 "routing": {"domainStrategy": "IPIfNonMatch", "rules": [
  {"type": "field", "inboundTag": ["dns-app"], "outboundTag": "direct"},
  {"type": "field", "inboundTag": ["dns-in"], "outboundTag": "dns-out"},
  {"type": "field", "domain": ["full:local.test"], "outboundTag": "direct"},
  {"type": "field", "ip": ["10.9.9.9/32", "10.3.3.3/32"],
   "outboundTag": "redir"}]}}
JSON
}
SP=$(free_port); KP=$(free_port); VSP=$(free_port); VKP=$(free_port)
# vtools also takes a list as a hosts value (4.34 takes one address).
conf $SP $KP ', "list.test": ["10.7.7.1", "fd00::7"]' >$T/vt.json
conf $VSP $VKP >$T/v2.json
start vclient $BIN/vclient -c $T/vt.json
start v2ray v2ray -config $T/v2.json
for p in $DP $DP2 $HP $SP $KP $VSP $VKP; do
	wait_port $p || { show_log vclient; show_log v2ray; exit 1; }
done
# The dns outbound: A/AAAA answered by the dns object, 4.34's way. One
# line per question: QUESTION|WHAT VTOOLS ANSWERS|DESCRIPTION; "vt" in
# the last field: a vtools extension v2ray does not take.
A="NOERROR flags=qr,aa,rd,ra ttl=600 id=ok q=ok"
NX="NXDOMAIN flags=qr,aa,rd,ra ttl=- id=ok q=ok -"
MX="NOERROR flags=qr,aa,rd,ra ttl=300 id=ok q=ok MX 10 mail.mx.test."
cat >$T/cases <<CASES
a.test A|$A A 10.1.1.1|dns outbound answers A over UDP from the server
a.test A tcp|$A A 10.1.1.1|dns outbound answers over TCP too
h.test A|$A A 10.3.3.3|hosts full: overrides the server
x.hd.test A|$A A 10.4.4.4|hosts domain: covers subdomains
alias.test A|$A A 10.1.1.1|hosts alias is looked up at the server
local.test AAAA|$A AAAA ::1|hosts 127.0.0.1 also answers ::1
list.test AAAA|$A AAAA fd00::7|hosts list|vt
a.test AAAA|NOERROR flags=qr,aa,rd,ra ttl=- id=ok q=ok -|no AAAA: NOERROR, no answer
both.test AAAA|$A AAAA fd00::5|AAAA from the server
both.test A|$A A 10.5.5.5|A of a name with both
nx.test A|$NX|NXDOMAIN passes through
mx.test MX|$MX|other types are forwarded to the server
mx.test MX tcp|$MX|forwarded over TCP as well
prio.test A|$A A 172.10.10.10|a server whose domains match is asked first
pub.test A|$A A 172.0.2.7|an answer outside expectIps falls to the next server
altonly.test A|$NX|an NXDOMAIN ends the lookup (no fallback)
x.geo.test A|$A A 10.12.12.12|a geosite: key in hosts
gprio.test A|$A A 172.13.13.13|a geosite: list in a server's domains
a.slow.test A|$A A 10.14.14.14|a server that does not answer: the next one after 4 s|vt
a.o.test A|$A A 10.20.0.6 A 10.20.0.4 A 10.20.0.7 A 10.20.0.3 A 10.20.0.5|every matching hosts key, in 4.34's order
CASES
# ask PORT: every question of the cases, one answer a line, to stdout.
ask() {
	set --
	while IFS='|' read -r qq w d x; do set -- "$@" "$qq"; done <$T/cases
	$D query $P "$@"
}
P=$KP ask >$T/vt.out
i=0
while IFS='|' read -r qq w d x; do
	i=$((i + 1))
	check_eq "$d ($qq)" "$w" sed -n ${i}p $T/vt.out
done <$T/cases
# The cache: a.test was asked four times above (UDP, TCP, alias, AAAA),
# the server saw one A query; a 1 s TTL is asked again once it ran out.
check_eq "answers are cached (one A query for a.test)" "1" \
    grep -c '^a.test A$' $T/queries.log
$D query $KP "short.test A" "short.test A" "sleep 1.3" "short.test A" \
    >/dev/null
check_eq "the cache honours the TTL (1 s)" "2" \
    grep -c '^short.test A$' $T/queries.log

# Routing: IPIfNonMatch routes a name by the address the dns object gives.
cu() { curl -s --max-time 5 -x socks5h://127.0.0.1:$1 "$2"; }
check_eq "IPIfNonMatch: web.test (10.9.9.9 at the server) goes to redir" \
    "ok" cu $SP http://web.test/
check_eq "IPIfNonMatch: h.test (10.3.3.3 in hosts) goes to redir" \
    "ok" cu $SP http://h.test/
check_eq "IPIfNonMatch: other.test (10.8.8.8) falls to the blackhole" \
    "" cu $SP http://other.test/
check_eq "freedom UseIP dials what hosts says (local.test)" "ok" \
    cu $SP http://local.test:$HP/

# v2ray 4.34 with the same config gives the same answers.
P=$VKP ask >$T/v2.out
i=0
while IFS='|' read -r qq w d x; do
	i=$((i + 1))
	[ "$x" = vt ] && continue
	[ -n "${VT_DNS_SHOW:-}" ] && echo "# v2ray: $qq: $(sed -n ${i}p $T/v2.out)"
	check_eq "as v2ray 4.34: $qq" "$(sed -n ${i}p $T/v2.out)" \
	    sed -n ${i}p $T/vt.out
done <$T/cases
for u in http://web.test/ http://h.test/ http://other.test/ \
    http://local.test:$HP/; do
	check_eq "routed as v2ray 4.34: $u" "$(cu $VSP $u)" cu $SP $u
done

# The dns object's queries are routed: a rule sends them over VMess to a
# vserver, whose freedom reaches the server (as 4.34's dispatcher does).
# And vserver's own dns outbound behind its VMess inbound: queries to port
# 53 from a dokodemo-door of vclient, over TCP (the VMess body codec) and
# UDP, are answered there.
ID=$(cat /proc/sys/kernel/random/uuid); VP=$(free_port); SP2=$(free_port)
KP2=$(free_port)
cat >$T/vs.json <<JSON
{"log": {"access": "$T/vs-access.log", "loglevel": "info"},
 "dns": {"servers": [{"address": "127.0.0.1", "port": $DP}]},
 "inbounds": [{"port": $VP, "listen": "127.0.0.1", "protocol": "vmess",
   "settings": {"clients": [{"id": "$ID"}]}}],
 "outbounds": [{"protocol": "freedom"}, {"tag": "dns-out", "protocol": "dns"}],
 "routing": {"rules": [{"type": "field", "port": "53", "outboundTag": "dns-out"}]}}
JSON
cat >$T/vc.json <<JSON
{"dns": {"tag": "dns-app", "servers": [{"address": "127.0.0.1", "port": $DP}]},
 "inbounds": [{"port": $SP2, "listen": "127.0.0.1", "protocol": "socks"},
  {"tag": "dns-in", "port": $KP2, "listen": "127.0.0.1",
   "protocol": "dokodemo-door",
   "settings": {"address": "127.0.0.1", "port": 53, "network": "tcp,udp"}}],
 "outbounds": [{"tag": "block", "protocol": "blackhole"},
  {"tag": "redir", "protocol": "freedom",
   "settings": {"redirect": "127.0.0.1:$HP"}},
  {"tag": "proxy", "protocol": "vmess", "settings": {"vnext": [
   {"address": "127.0.0.1", "port": $VP, "users": [{"id": "$ID"}]}]}}],
 "routing": {"domainStrategy": "IPOnDemand", "rules": [
  {"type": "field", "inboundTag": ["dns-app", "dns-in"], "outboundTag": "proxy"},
  {"type": "field", "ip": ["10.11.11.11/32"], "outboundTag": "redir"}]}}
JSON
start vserver $BIN/vserver -c $T/vs.json
start vclient2 $BIN/vclient -c $T/vc.json
wait_port $VP && wait_port $SP2 && wait_port $KP2 ||
    { show_log vserver; show_log vclient2; exit 1; }
check_eq "IPOnDemand: a name resolved through VMess routes by its address" "ok" \
    cu $SP2 http://viavmess.test/
# The access log is flushed every second.
seen() { i=0; while [ $i -lt 30 ]; do grep -q "$1" "$2" 2>/dev/null &&
	return 0; sleep 0.1; i=$((i + 1)); done; return 1; }
check "the query reached the DNS server through vserver" \
    seen "accepted udp:127.0.0.1:$DP" $T/vs-access.log
$D query $KP2 "both.test A tcp" "both.test AAAA" >$T/vm.out
check_eq "a dns outbound behind VMess answers over TCP" "$A A 10.5.5.5" \
    sed -n 1p $T/vm.out
check_eq "a dns outbound behind VMess answers over UDP" "$A AAAA fd00::5" \
    sed -n 2p $T/vm.out
