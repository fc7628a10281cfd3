#!/bin/sh
# long.sh: `make fuzz-long`. Builds the libFuzzer targets (build.sh), then
# runs them one at a time, each from a scratch copy of its committed corpus
# (tests/fuzz/corpus/NAME; the repository is never written), for FUZZ_TIME
# seconds (default 600), and prints per target the executions, the final
# coverage (cov/ft) and the crashes. Exit status 1 when any target crashed.
#
#   FUZZ_TIME=SECONDS      time per target (default 600)
#   FUZZ_TARGETS="a b"     only these targets (names with or without fuzz_)
#   FUZZ_RUNS=N            also stop a target after N executions
#   FUZZ_OUT=DIR           scratch dir kept afterwards (default: a temp dir,
#                          removed at the end); logs are DIR/NAME.log, the
#                          grown corpora DIR/NAME/, artifacts DIR/NAME.crash/
#   FUZZ_NICE=N            niceness of the fuzzers (default 19)
#   FUZZ_BUILD=0           use the binaries in build-fuzz/ as they are
#
# One fuzzer process at a time, never -jobs/-workers: the machine is shared.
cd "$(dirname "$0")/../.." || exit 1
FUZZ_TIME=${FUZZ_TIME:-600}
FUZZ_NICE=${FUZZ_NICE:-19}
FUZZ_RUNS=${FUZZ_RUNS:--1}
case $FUZZ_TIME in
''|*[!0-9]*) echo "long.sh: FUZZ_TIME must be a number of seconds" >&2; exit 2 ;;
esac
case $FUZZ_RUNS in
-1) ;;
''|*[!0-9]*) echo "long.sh: FUZZ_RUNS must be a number" >&2; exit 2 ;;
esac

if [ "${FUZZ_BUILD:-1}" != 0 ]; then
	sh tests/fuzz/build.sh || { echo "long.sh: build failed" >&2; exit 1; }
fi

if [ -n "$FUZZ_OUT" ]; then
	out=$FUZZ_OUT
	mkdir -p "$out" || exit 1
	keep=1
else
	out=$(mktemp -d "${TMPDIR:-/tmp}/fuzz-long.XXXXXX") || exit 1
	keep=0
fi

targets=""
if [ -n "$FUZZ_TARGETS" ]; then
	for t in $FUZZ_TARGETS; do
		case $t in fuzz_*) ;; *) t=fuzz_$t ;; esac
		if [ ! -x "build-fuzz/$t" ]; then
			echo "long.sh: no target $t (see tests/fuzz/fuzz_*.c)" >&2
			exit 2
		fi
		targets="$targets $t"
	done
else
	for f in build-fuzz/fuzz_*; do
		[ -x "$f" ] && targets="$targets $(basename "$f")"
	done
fi

crashed=0
printf '%-18s %12s %8s %8s %7s %s\n' target executions cov ft crashes exit
for t in $targets; do
	rm -rf "$out/$t" "$out/$t.crash"
	mkdir -p "$out/$t" "$out/$t.crash"
	if [ -d "tests/fuzz/corpus/$t" ]; then
		cp tests/fuzz/corpus/$t/* "$out/$t/" 2>/dev/null
	fi
	# libFuzzer stops by itself after -max_total_time; the outer timeout
	# only bounds a hung run.
	timeout --kill-after=10 $((FUZZ_TIME + 120)) nice -n "$FUZZ_NICE" \
	    "build-fuzz/$t" -max_total_time="$FUZZ_TIME" -runs="$FUZZ_RUNS" \
	    -print_final_stats=1 -rss_limit_mb=2048 -timeout=25 \
	    -artifact_prefix="$out/$t.crash/" \
	    "$out/$t" >"$out/$t.log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/$t.log" |
	    tail -1)
	# The last status line (#N DONE/pulse/NEW ...) has the final cov/ft.
	last=$(grep -E '^#[0-9]+' "$out/$t.log" | grep ' cov: ' | tail -1)
	cov=$(echo "$last" | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
	ft=$(echo "$last" | sed -n 's/.* ft: \([0-9]*\).*/\1/p')
	ncrash=$(ls "$out/$t.crash" | wc -l)
	if [ "$rc" -ne 0 ] && [ "$ncrash" -eq 0 ]; then
		ncrash=1	# died without an artifact: count it, see the log
	fi
	[ "$ncrash" -gt 0 ] && crashed=1
	printf '%-18s %12s %8s %8s %7s %s\n' "$t" "${execs:-?}" "${cov:-?}" \
	    "${ft:-?}" "$ncrash" "$rc"
	if [ "$ncrash" -gt 0 ]; then
		grep -m1 -E 'ERROR: |SUMMARY: |deadly signal' "$out/$t.log" |
		    sed 's/^/    /'
		ls "$out/$t.crash" | sed "s|^|    $out/$t.crash/|"
	fi
done

if [ "$keep" -eq 1 ] || [ "$crashed" -ne 0 ]; then
	echo "logs, corpora and artifacts in $out"
else
	rm -rf "$out"
fi
exit $crashed
