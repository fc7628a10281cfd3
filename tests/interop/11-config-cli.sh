#!/bin/sh
# Every tool reads its seed and example configs (JSON and INI), -test,
# -dump round trips, errors with positions, exit codes for scripts, and
# dumps that real v2ray accepts.
. "$(dirname "$0")/lib.sh"
need_v2ray
C=$ROOT/conf
S=$ROOT/conf/seeds

tool_for() {
	case $1 in
	*server*) echo vserver ;; *client*) echo vclient ;;
	*portal*) echo vportal ;; *bridge*) echo vbridge ;;
	esac
}

for f in $S/seed000-server-uuid.json $S/seed001-server.json $S/seed001-client.json \
    $S/seed001-kcp-server.json $S/seed001-kcp-client.json $S/seed002-bridge.json \
    $S/seed002-portal.json $S/*.ini $C/*.json $C/*.ini; do
	t=$(tool_for $(basename $f))
	n=$(basename $f)
	if grep -q /var/log/v2ray/ $f && [ ! -d /var/log/v2ray ]; then
		# -test opens log files as start does: the missing directory.
		$BIN/$t -test -c $f >$T/lt.out 2>&1; rc=$?
		check_eq "$t -test $n: no /var/log/v2ray, exit 1" "1" echo $rc
		check "  ... naming the log file" grep -q '"/var/log/v2ray/[a-z]*\.log"' $T/lt.out
	else
		check_eq "$t -test $n" "Configuration OK." $BIN/$t -test -c $f
	fi
	# Round trip: JSON dump → INI dump → load INI → JSON dump, identical.
	$BIN/$t -c $f -dump json >$T/a.json 2>/dev/null
	$BIN/$t -c $f -dump ini >$T/a.ini 2>/dev/null
	$BIN/$t -c $T/a.ini -dump json >$T/b.json 2>$T/b.err
	check "$t $n: json → ini → json dump round trip" cmp $T/a.json $T/b.json
	check "$t $n: dumped JSON reloads to the same dump" sh -c "$BIN/$t -c $T/a.json -dump json | cmp - $T/a.json"
done

# Real v2ray accepts what we dump (log paths and geoip aside).
for f in $S/seed001-server.json $S/seed001-client.json $S/seed001-kcp-client.json \
    $S/seed002-bridge.json $S/seed002-portal.json $C/vclient.json; do
	t=$(tool_for $(basename $f))
	$BIN/$t -c $f -dump json >$T/d.json
	check "v2ray -test accepts our dump of $(basename $f)" sh -c "v2ray -test -config $T/d.json | grep -q 'Configuration OK'"
done

# Errors name the place and exit 1.
$BIN/vserver -test -c $S/seed000-server.json >$T/out 2>&1; rc=$?
check_eq "verbatim seed 000 (placeholder UUIDs) exits 1" "1" echo $rc
check "  ... and names the bad UUID" grep -q 'xxxxxxxx-xxxx' $T/out
$BIN/vbridge -test -c $S/seed002-bridge-typo.json >$T/out 2>&1; rc=$?
check_eq "seed 002 fragment with the missing comma exits 1" "1" echo $rc
check "  ... with file:line:col" grep -q 'seed002-bridge-typo.json:[0-9]*:[0-9]*:' $T/out

printf '{"inbounds":[{"port":70000,"protocol":"socks"}],"outbounds":[{"protocol":"freedom"}]}' >$T/port.json
$BIN/vclient -test -c $T/port.json >$T/out 2>&1; rc=$?
check_eq "port out of range exits 1" "1" echo $rc
check "  ... naming the value" grep -q 70000 $T/out

printf '{"inbounds":[{"port":1,"protocol":"socks"}],"outbounds":[{"protocol":"freedom"}],"routing":{"rules":[{"type":"field","ip":["10.0.0.0/33"],"outboundTag":"x"}]}}' >$T/rules.json
$BIN/vclient -test -c $T/rules.json >$T/out 2>&1; rc=$?
check_eq "bad CIDR and unknown outbound tag exit 1" "1" echo $rc
check "  ... both problems listed" sh -c "grep -q '10.0.0.0/33' $T/out && grep -q 'outbound.*x\\|x.*outbound' $T/out"

$BIN/vclient -test -c $S/seed001-server.json >$T/out 2>&1; rc=$?
check_eq "vmess inbound given to vclient exits 1" "1" echo $rc
check "  ... and names vserver/vportal" grep -q 'use vserver or vportal' $T/out
$BIN/vserver -test -c $S/seed002-bridge.json >$T/out 2>&1; rc=$?
check "reverse.bridges given to vserver names vbridge" grep -q vbridge $T/out

$BIN/vclient -test -c $T/nonexistent.json >$T/o 2>&1; rc=$?
check_eq "missing file exits 1" "1" echo $rc
: >$T/empty.json; $BIN/vclient -test -c $T/empty.json >$T/o 2>&1; rc=$?
check_eq "empty file exits 1" "1" echo $rc
head -c 4096 /dev/urandom >$T/garbage.json; $BIN/vclient -test -c $T/garbage.json >$T/o 2>&1; rc=$?
check_eq "binary garbage exits 1" "1" echo $rc
$BIN/vclient -nosuchflag >$T/o 2>&1; rc=$?
check_eq "unknown flag exits 2" "2" echo $rc
(cd $T && $BIN/vclient >$T/o 2>&1); rc=$?
check_eq "no config exits 2" "2" echo $rc
check "-version prints the tool name" sh -c "$BIN/vportal -version | grep -q '^vportal '"
check "-h exits 0 with usage" sh -c "$BIN/vbridge -h | grep -q usage"

P=$(free_port)
start holder $VT echo-tcp $P
wait_port $P
printf '{"inbounds":[{"port":%s,"listen":"127.0.0.1","protocol":"socks"}],"outbounds":[{"protocol":"freedom"}]}' $P >$T/busy.json
timeout 10 $BIN/vclient -c $T/busy.json >$T/out 2>&1; rc=$?
check_eq "port in use exits 3" "3" echo $rc
check "  ... naming the address and port" grep -q "127.0.0.1:$P" $T/out
