#!/bin/sh
# make demo's script, as a user runs it: every path must work, every
# process it started must be gone afterwards.
. "$(dirname "$0")/lib.sh"
sh $ROOT/tests/demo.sh >$T/demo.out 2>&1; rc=$?
sed 's/^/# /' $T/demo.out
check_eq "make demo exits 0" "0" echo $rc
check "demo: SOCKS -> VMess path worked" grep -q "ok .*vclient SOCKS" $T/demo.out
check "demo: reverse tunnel path worked" grep -q "ok .*vportal public" $T/demo.out
check "demo: no tool left running (6 s grace)" sh -c "for i in 1 2 3 4 5 6 7 8 9 10 11 12; do pgrep -f '[v]tools-demo' >/dev/null || exit 0; sleep 0.5; done; exit 1"
