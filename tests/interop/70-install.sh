#!/bin/sh
# `make install` into a staging root: every file in its place, man pages
# that render without warnings and name every flag, systemd units with the
# prefix filled in, installed binaries that run, and `make uninstall`.
. "$(dirname "$0")/lib.sh"
TOOLS="vserver vclient vportal vbridge"
R=$T/root
P=$R/usr

check "make install DESTDIR=... PREFIX=/usr" \
    sh -c "cd '$ROOT' && make -s install DESTDIR='$R' PREFIX=/usr"

for t in $TOOLS; do
	check "bin/$t installed, executable" test -x $P/bin/$t
	check "man1/$t.1 installed" test -f $P/share/man/man1/$t.1
	for f in $t.json $t.ini; do
		check "example conf/$f installed" test -f $P/share/vtools/conf/$f
	done
	for u in $t.service $t@.service; do
		check "unit $u installed" test -f $P/lib/systemd/system/$u
	done
done
check "docs/ini-format.md installed" test -f $P/share/doc/vtools/ini-format.md
missing=""
for f in $ROOT/conf/seeds/*; do
	[ -f $P/share/vtools/conf/seeds/${f##*/} ] || missing="$missing ${f##*/}"
done
check_eq "every conf/seeds file installed" "" echo $missing
check_eq "nothing left with @PREFIX@ in it" "" grep -rl @PREFIX@ $R

# quiet DESC CMD...: CMD must succeed and print nothing (warnings count).
quiet() {
	_q=$1; shift
	check_eq "$_q" "" sh -c '"$@" 2>&1 || echo "exit $?"' quiet "$@"
}

for t in $TOOLS; do
	m=$P/share/man/man1/$t.1
	quiet "$t.1: groff -mandoc -ww is clean" groff -mandoc -ww -z -Tutf8 $m
	quiet "$t.1: man --warnings -l is clean" \
	    sh -c "LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l '$m' >/dev/null"
	LC_ALL=C MANWIDTH=200 man -l $m >$T/$t.txt 2>/dev/null
	check "$t.1: renders NAME with the tool" grep -q "^ *$t --* " $T/$t.txt
	for s in SYNOPSIS DESCRIPTION OPTIONS CONFIGURATION SIGNALS \
	    "EXIT STATUS" FILES EXAMPLES "SEE ALSO"; do
		check "$t.1: has section $s" grep -q "^$s\$" $T/$t.txt
	done
	check "$t.1: names the installed ini-format.md" \
	    grep -q /usr/share/doc/vtools/ini-format.md $T/$t.txt
	# Every flag the binary's usage lists is documented.
	flags=$($BIN/$t -h | grep -o -- '-[a-z][a-z]*' | sort -u)
	undoc=""
	for f in $flags; do
		grep -E -q -- "$f([^a-z]|\$)" $T/$t.txt || undoc="$undoc $f"
	done
	check_eq "$t.1: documents every flag of $t -h" "" echo $undoc
	check "$t.1: has the quick-start flags section" \
	    grep -q '^ *Quick-start flags$' $T/$t.txt
	case $t in
	vserver) q="-port -listen -id -aid -dynamic -kcp -host -uuid" ;;
	vclient) q="-socks vmess://link -server -id -aid -security -mux -kcp -sniff" ;;
	vportal) q="-listen -id -public -domain" ;;
	vbridge) q="-portal -id -to -domain" ;;
	esac
	# Each one starts an item of the list, as a tag.
	undoc=""
	for f in $q; do
		grep -E -q -- "^ +$f([^a-z]|\$)" $T/$t.txt || undoc="$undoc $f"
	done
	check_eq "$t.1: documents every quick-start flag" "" echo $undoc
done

for t in $TOOLS; do
	for u in $t.service $t@.service; do
		f=$P/lib/systemd/system/$u
		case $u in *@*) c=%i ;; *) c=$t ;; esac
		check "$u: ExecStart with the prefix and /etc/vtools/$c.json" \
		    grep -qx "ExecStart=/usr/bin/$t -config /etc/vtools/$c.json" $f
		check "$u: RestartPreventExitStatus=1 2" \
		    grep -qx "RestartPreventExitStatus=1 2" $f
		check "$u: LimitNOFILE=1048576" grep -qx "LimitNOFILE=1048576" $f
		check "$u: Restart=on-failure" grep -qx "Restart=on-failure" $f
		check "$u: ExecReload sends SIGHUP" \
		    grep -qx 'ExecReload=/bin/kill -HUP $MAINPID' $f
		check "$u: no new privileges, bind capability only" sh -c \
		    "grep -qx NoNewPrivileges=true $f && grep -qx 'CapabilityBoundingSet=CAP_NET_ADMIN CAP_NET_BIND_SERVICE' $f"
	done
done

# systemd's own check needs the binaries where ExecStart says: install a
# second copy under a prefix that exists without DESTDIR.
if systemd-analyze --version >/dev/null 2>&1; then
	( cd "$ROOT" && make -s install PREFIX=$T/pfx ) >/dev/null 2>&1
	for u in $T/pfx/lib/systemd/system/*.service; do
		quiet "systemd-analyze verify ${u##*/}" \
		    systemd-analyze verify --man=no $u
	done
else
	ok "systemd-analyze verify # SKIP systemd-analyze not available"
fi

for t in $TOOLS; do
	check "installed $t -version names it" \
	    sh -c "$P/bin/$t -version | grep -q '^$t [0-9]'"
	check_eq "installed $t -test accepts its installed INI example" \
	    "Configuration OK." $P/bin/$t -test -c $P/share/vtools/conf/$t.ini
done

# PREFIX defaults to /usr/local.
check "make install without PREFIX uses /usr/local" \
    sh -c "cd '$ROOT' && make -s install DESTDIR='$T/root2' &&
	test -x '$T/root2/usr/local/bin/vserver' &&
	grep -qx 'ExecStart=/usr/local/bin/vserver -config /etc/vtools/vserver.json' \
	    '$T/root2/usr/local/lib/systemd/system/vserver.service'"

check "make uninstall" \
    sh -c "cd '$ROOT' && make -s uninstall DESTDIR='$R' PREFIX=/usr"
check_eq "uninstall leaves no file behind" "" find $R ! -type d
check "  ... nor the vtools directories" \
    sh -c "! test -e $P/share/vtools && ! test -e $P/share/doc/vtools"
