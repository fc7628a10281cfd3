#!/bin/sh
# run.sh: everything `make check` runs — build, unit tests (plain and under
# ASan+UBSan), fuzz smoke runs, end-to-end and interop scripts — then one
# summary line "N passed, N failed". Exit status 1 when anything failed.
cd "$(dirname "$0")/.." || exit 1
OUT=tests/out
rm -rf $OUT
mkdir -p $OUT
pass=0
fail=0
failed_names=""

note_fail() {
	fail=$((fail + 1))
	failed_names="$failed_names\n  $1"
}

# Count TAP lines in $1; a run that ended badly without a "not ok" still
# counts as one failure.
count_tap() {
	file=$1; name=$2; rc=$3
	p=$(grep -c '^ok ' "$file")
	f=$(grep -c '^not ok ' "$file")
	pass=$((pass + p))
	fail=$((fail + f))
	grep '^not ok ' "$file" | sed "s|^|  $name: |" >>$OUT/failures
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		note_fail "$name (exit $rc, see $file)"
		echo "  $name: exited $rc" >>$OUT/failures
	fi
	if [ "$p" -eq 0 ] && [ "$f" -eq 0 ] && [ "$rc" -eq 0 ]; then
		note_fail "$name (ran no test)"
		echo "  $name: ran no test" >>$OUT/failures
	fi
}

echo "== build"
if ! make -s tools helpers unit >$OUT/build.log 2>&1; then
	cat $OUT/build.log
	echo "build failed"
	echo "0 passed, 1 failed"
	exit 1
fi
pass=$((pass + 1))

echo "== unit tests"
for t in build/tests/test_*; do
	[ -x "$t" ] || continue
	n=$(basename "$t")
	CMOCKA_MESSAGE_OUTPUT=TAP timeout 300 "$t" >$OUT/$n.tap 2>&1
	count_tap $OUT/$n.tap "$n" $?
	printf '  %-28s %s\n' "$n" "$(grep -c '^ok ' $OUT/$n.tap) ok, $(grep -c '^not ok ' $OUT/$n.tap) not ok"
done

echo "== unit tests under ASan+UBSan"
if make -s asan >$OUT/asan-build.log 2>&1; then
	pass=$((pass + 1))
	for t in build-asan/tests/test_*; do
		[ -x "$t" ] || continue
		n=asan-$(basename "$t")
		ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		CMOCKA_MESSAGE_OUTPUT=TAP timeout 600 "$t" >$OUT/$n.tap 2>&1
		rc=$?
		# A sanitizer report is a failure even if every assertion held.
		if grep -q -E 'ERROR: (Address|Leak)Sanitizer|runtime error:' $OUT/$n.tap; then
			note_fail "$n: sanitizer report"
			echo "  $n: sanitizer report" >>$OUT/failures
			rc=0
		fi
		count_tap $OUT/$n.tap "$n" $rc
		printf '  %-28s %s\n' "$n" "$(grep -c '^ok ' $OUT/$n.tap) ok, $(grep -c '^not ok ' $OUT/$n.tap) not ok"
	done
else
	note_fail "asan build (see $OUT/asan-build.log)"
	tail -20 $OUT/asan-build.log
fi

# Seconds per target: a smoke run (make fuzz-long is the real fuzzing).
FUZZ_SMOKE=${FUZZ_SMOKE:-5}
echo "== fuzz smoke runs"
if sh tests/fuzz/build.sh >$OUT/fuzz-build.log 2>&1; then
	for f in build-fuzz/fuzz_*; do
		[ -x "$f" ] || continue
		n=$(basename "$f")
		# From the committed corpus, which every target has (a missing
		# one is a failure, not a run from nothing); new units go to
		# the scratch directory named first, the corpus is only read.
		mkdir -p $OUT/corpus-$n
		if [ -d tests/fuzz/corpus/$n ] &&
		   timeout 120 "$f" -max_total_time=$FUZZ_SMOKE -rss_limit_mb=2048 -artifact_prefix=$OUT/ \
		    $OUT/corpus-$n tests/fuzz/corpus/$n >$OUT/$n.log 2>&1; then
			pass=$((pass + 1)); echo "  $n ok"
		else
			note_fail "$n (see $OUT/$n.log)"; echo "  $n FAILED"
		fi
	done
else
	note_fail "fuzz build (see $OUT/fuzz-build.log)"
	tail -20 $OUT/fuzz-build.log
fi

# Interop scripts run in $VT_LANES lanes at once (default 2; 1 = one by
# one): most of their time is waiting on timers and peers, and every script
# takes its own ports (free-port) or its own namespace. The scripts that
# share a dynamic-port range stay in one lane; the long sleepers are spread.
VT_LANES=${VT_LANES:-2}
case $VT_LANES in 1|2|3|4) ;; *) VT_LANES=2 ;; esac

# run_lane PREFIX SCRIPT...: each script to $OUT/PREFIX$n.tap, .rc, .secs.
run_lane() {
	prefix=$1; shift
	for s in "$@"; do
		n=$(basename "$s" .sh)
		start=$(date +%s)
		timeout 400 sh "$s" >$OUT/$prefix$n.tap 2>&1
		echo $? >$OUT/$prefix$n.rc
		echo $(( $(date +%s) - start )) >$OUT/$prefix$n.secs
	done
}

# lanes PREFIX SCRIPT...: deal the scripts out and wait for every lane.
lanes() {
	prefix=$1; shift
	i=0
	for l in 1 2 3 4; do eval "lane_$l=''"; done
	for s in "$@"; do
		case $(basename "$s" .sh) in
		80-soak) l=1 ;;
		30-dynport|31-dynport-promise) l=2 ;;
		*) l=$(( i % VT_LANES + 1 )); i=$((i + 1)) ;;
		esac
		[ "$l" -gt "$VT_LANES" ] && l=$VT_LANES
		eval "lane_$l=\"\$lane_$l $s\""
	done
	pids=""
	for l in 1 2 3 4; do
		eval "set -- \$lane_$l"
		[ $# -gt 0 ] || continue
		run_lane "$prefix" "$@" &
		pids="$pids $!"
	done
	for p in $pids; do wait "$p"; done
}

# Scripts that run make (demo, install) go alone: a relink of bin/ under
# another lane's running script fails it ("Permission denied").
SERIAL="16-dns 30-dynport 31-dynport-promise 50-demo 70-install"
echo "== end-to-end and interop ($VT_LANES lanes)"
set --
for s in tests/interop/[0-9]*.sh; do
	case " $SERIAL " in *" $(basename "$s" .sh) "*) ;; *) set -- "$@" "$s" ;; esac
done
lanes "" "$@"
for n in $SERIAL; do
	[ -f tests/interop/$n.sh ] && run_lane "" tests/interop/$n.sh
done
for s in tests/interop/[0-9]*.sh; do
	[ -f "$s" ] || continue
	n=$(basename "$s" .sh)
	count_tap $OUT/$n.tap "$n" "$(cat $OUT/$n.rc 2>/dev/null || echo 1)"
	printf '  %-28s %s (%ss)\n' "$n" "$(grep -c '^ok ' $OUT/$n.tap) ok, $(grep -c '^not ok ' $OUT/$n.tap) not ok" "$(cat $OUT/$n.secs 2>/dev/null)"
done

# The busiest paths again with the tools built under ASan+UBSan: any
# sanitizer report from a tool is a failure even if every check passed.
ASAN_E2E="10-socks-freedom 15-http-inbound 16-dns 17-proxy-outbounds 18-geo
20-vmess-interop 23-private-guard 25-tls 26-tcp-header 27-h2-edge
27-ws 28-proxy-protocol
30-dynport 35-mux 40-reverse 45-kcp
66-metrics"
echo "== end-to-end under ASan+UBSan"
if make -s asan-tools >$OUT/asan-tools.log 2>&1; then
	pass=$((pass + 1))
	mkdir -p $OUT/asan-reports
	set --
	for n in $ASAN_E2E; do
		[ -f tests/interop/$n.sh ] && set -- "$@" tests/interop/$n.sh
	done
	(
		export VT_BIN=$(pwd)/build-asan-tools/bin
		export ASAN_OPTIONS=detect_leaks=0:log_path=$(pwd)/$OUT/asan-reports/asan
		export UBSAN_OPTIONS=print_stacktrace=1:log_path=$(pwd)/$OUT/asan-reports/ubsan
		lanes asan- "$@"
	)
	for n in $ASAN_E2E; do
		[ -f tests/interop/$n.sh ] || continue
		count_tap $OUT/asan-$n.tap "asan-$n" "$(cat $OUT/asan-$n.rc 2>/dev/null || echo 1)"
		printf '  %-28s %s (%ss)\n' "asan-$n" "$(grep -c '^ok ' $OUT/asan-$n.tap) ok, $(grep -c '^not ok ' $OUT/asan-$n.tap) not ok" "$(cat $OUT/asan-$n.secs 2>/dev/null)"
	done
	# Reports are named by process, not by script: any is a failure.
	if ls $OUT/asan-reports/* >/dev/null 2>&1; then
		for r in $OUT/asan-reports/*; do
			note_fail "sanitizer report from an ASan tool: $r"
			echo "  sanitizer report: $r" >>$OUT/failures
		done
	fi
else
	note_fail "asan tools build (see $OUT/asan-tools.log)"
fi

if [ -s $OUT/failures ]; then
	echo "== failures"
	cat $OUT/failures
fi
[ -n "$failed_names" ] && printf "failed:$failed_names\n"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
