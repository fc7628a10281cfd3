#!/bin/sh
# deps.sh ensure|install: make sure every Debian package that the build, the
# tests and the benchmarks need is present; install only what is missing.
PKGS="build-essential pkg-config libevent-dev libssl-dev libinih-dev libjson-c-dev
libcmocka-dev clang libclang-rt-14-dev v2ray curl shadowsocks-libev python3 iproute2
procps util-linux openssl
man-db groff-base
libnghttp2-dev python3-dnslib nginx-light chromium prometheus"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
	    missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "deps: installing:$missing"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get install -y -q $missing >/tmp/vtools-apt.log 2>&1 || {
	$SUDO apt-get update -q >/dev/null 2>&1
	$SUDO apt-get install -y -q $missing >/tmp/vtools-apt.log 2>&1 || {
		echo "deps: apt-get failed, see /tmp/vtools-apt.log" >&2
		tail -5 /tmp/vtools-apt.log >&2
		exit 1
	}
}
# The shadowsocks-libev package starts a system service; our benchmark starts
# its own processes, so the packaged one is not wanted.
command -v systemctl >/dev/null 2>&1 &&
    $SUDO systemctl disable --now shadowsocks-libev nginx prometheus \
    prometheus-node-exporter >/dev/null 2>&1
exit 0
