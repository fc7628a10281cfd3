#!/bin/sh
# Configs as V2Ray users deploy them run unchanged: every file in
# tests/compat (see ROLES) and Debian's v2ray examples in /usr/share/v2ray
# are accepted by V2Ray 4.34 (-test) and by the tool of their role, which
# then starts on them and listens where the config says. Runs in its own
# network and mount namespace: the configs' fixed ports are free there, and
# /var/log/v2ray (where half of them log) exists only inside.
if [ -z "${VT_COMPAT_NS:-}" ]; then
	VT_COMPAT_NS=1 exec unshare -m -n sh "$0" "$@"
fi
. "$(dirname "$0")/lib.sh"
need_v2ray
ip link set lo up || { notok "own network namespace"; exit 1; }
mkdir -p $T/varlog/v2ray $T/assets
mount --bind $T/varlog /var/log || { notok "own /var/log"; exit 1; }
make_pki $T/pki || { notok "test certificates"; exit 1; }
# geoip.dat / geosite.dat with the tags the configs name, for both.
python3 $ROOT/tests/helpers/mkgeodat.py ip $T/assets/geoip.dat \
    private=10.0.0.0/8,127.0.0.0/8,192.168.0.0/16,::1/128 cn=1.0.1.0/24 &&
python3 $ROOT/tests/helpers/mkgeodat.py site $T/assets/geosite.dat \
    cn=domain:cn category-ads-all=domain:ads.example \
    category-ads=domain:ads.example ||
    { notok "geo data files"; exit 1; }
export V2RAY_LOCATION_ASSET=$T/assets

# ports TOOL FILE: the TCP ports a config listens on (the tool's -dump
# json reads V2Ray's comments and old forms, so python's json need not).
ports() {
	$BIN/$1 -c "$2" -dump json 2>/dev/null | python3 -c 'import json,sys
c = json.load(sys.stdin)
for i in c.get("inbounds", []):
    if (i.get("streamSettings") or {}).get("network") not in ("kcp", "mkcp"):
        print(i["port"])' 2>/dev/null
}

one() { # TOOL FILE NAME
	f=$T/$3
	n=$(echo "$3" | tr -c 'a-zA-Z0-9\n' '_')
	sed "s|@PKI@|$T/pki|g" "$2" >$f
	check_eq "$3: V2Ray 4.34 accepts it" "Configuration OK." \
	    sh -c "v2ray -test -config $f 2>&1 | tail -1"
	check_eq "$3: $1 -test accepts it" "Configuration OK." \
	    sh -c "$BIN/$1 -test -c $f 2>&1 | tail -1"
	start $n $BIN/$1 -c $f
	okp=1
	for p in $(ports $1 $f); do wait_port $p || okp=0; done
	if [ $okp = 1 ] && eval "kill -0 \$PID_$n" 2>/dev/null; then
		ok "$3: $1 starts on it and listens"
	else
		notok "$3: $1 starts on it and listens"; show_log $n
	fi
	stop_wait $n
}
for line in $(grep -v '^#' $ROOT/tests/compat/ROLES | tr ' ' ':'); do
	one ${line%%:*} $ROOT/tests/compat/${line#*:} ${line#*:}
done
for f in /usr/share/v2ray/*.json; do
	[ -f "$f" ] || continue
	# Its role: a VMess inbound is a server's, else a client's.
	if $BIN/vserver -c "$f" -dump json 2>/dev/null | tr -d ' \n' |
	    grep -q '"inbounds":\[{[^]]*"protocol":"vmess"'; then
		tool=vserver
	else
		tool=vclient
	fi
	one $tool $f debian-$(basename $f)
done
