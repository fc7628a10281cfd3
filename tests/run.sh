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
		   timeout 120 "$f" -max_total_time=10 -rss_limit_mb=2048 -artifact_prefix=$OUT/ \
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

echo "== end-to-end and interop"
for s in tests/interop/[0-9]*.sh; do
	[ -f "$s" ] || continue
	n=$(basename "$s" .sh)
	start=$(date +%s)
	timeout 300 sh "$s" >$OUT/$n.tap 2>&1
	rc=$?
	count_tap $OUT/$n.tap "$n" $rc
	printf '  %-28s %s (%ss)\n' "$n" "$(grep -c '^ok ' $OUT/$n.tap) ok, $(grep -c '^not ok ' $OUT/$n.tap) not ok" "$(( $(date +%s) - start ))"
done

# The busiest paths again with the tools built under ASan+UBSan: any
# sanitizer report from a tool is a failure even if every check passed.
echo "== end-to-end under ASan+UBSan"
if make -s asan-tools >$OUT/asan-tools.log 2>&1; then
	pass=$((pass + 1))
	mkdir -p $OUT/asan-reports
	for n in 10-socks-freedom 15-http-inbound 20-vmess-interop 23-private-guard 25-tls 30-dynport 35-mux 40-reverse 45-kcp; do
		s=tests/interop/$n.sh
		[ -f "$s" ] || continue
		VT_BIN=$(pwd)/build-asan-tools/bin \
		ASAN_OPTIONS=detect_leaks=0:log_path=$(pwd)/$OUT/asan-reports/$n \
		UBSAN_OPTIONS=print_stacktrace=1:log_path=$(pwd)/$OUT/asan-reports/$n \
		    timeout 400 sh "$s" >$OUT/asan-$n.tap 2>&1
		count_tap $OUT/asan-$n.tap "asan-$n" $?
		if ls $OUT/asan-reports/$n.* >/dev/null 2>&1; then
			note_fail "asan-$n: sanitizer report in $OUT/asan-reports"
			echo "  asan-$n: sanitizer report" >>$OUT/failures
		fi
		printf '  %-28s %s\n' "asan-$n" "$(grep -c '^ok ' $OUT/asan-$n.tap) ok, $(grep -c '^not ok ' $OUT/asan-$n.tap) not ok"
	done
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
