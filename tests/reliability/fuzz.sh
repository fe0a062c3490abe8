#!/usr/bin/env bash
# Every libFuzzer target in tests/fuzz/ (built with ASan + UBSan by
# tests/fuzz/run.sh) for FUZZ_SECONDS each, from its seed corpus.  TAP on
# stdout: one line per target with its run count, or the crash (sanitizer
# report, function, input kept in $FUZZ_BUILD/crashes/NAME/).  Exits 0 iff
# every target built and ran without a crash.
# Environment: PODKIT_TOP, FUZZ_SECONDS (default 10: the CI budget),
# FUZZ_BUILD (default $PODKIT_TOP/build-fuzz), FUZZ_CC (clang).
# A crash found here: fix it, then copy the input into
# tests/fuzz/corpus/NAME/ so that make check replays it for good
# (tests/unit/test_fuzz_replay.c, test_spec.c).
set -u
PODKIT_TOP=${PODKIT_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
export FUZZ_SECONDS=${FUZZ_SECONDS:-10}
export FUZZ_BUILD=${FUZZ_BUILD:-$PODKIT_TOP/build-fuzz}
# shellcheck source=tests/reliability/lib/vgfuzz.bash
. "$PODKIT_TOP/tests/reliability/lib/vgfuzz.bash"

out=$(mktemp /tmp/pkvfz.XXXXXX)
before=$(ls -d /tmp/podkit-fuzz-* /tmp/podkit-podspec-bundle.* 2>/dev/null | sort)
cleanup() {
	rm -f "$out" "$out.err"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

t0=$SECONDS
"$PODKIT_TOP/tests/fuzz/run.sh" >"$out" 2>"$out.err"
rc=$?

targets=0 runs=0 crashes=0
if ! grep -q '^fuzz_' "$out"; then
	# nothing built: clang or its libFuzzer runtime missing (run.sh names
	# the package), or the libraries' development files
	tap_not_ok "tests/fuzz/run.sh built and ran the targets (exit $rc)"
	sed 's/^/#   /' "$out.err" "$out"
	echo "# count: fuzzing: 0 targets x ${FUZZ_SECONDS}s, 0 runs, 0 crashes (nothing built)"
	exit 1
fi
for t in "$PODKIT_TOP"/tests/fuzz/fuzz_*.c; do
	base=$(basename "$t" .c)
	targets=$((targets + 1))
	line=$(grep "^$base: " "$out" | tail -1)
	if [[ "$line" =~ ^$base:\ ok,\ ([0-9]+)\ runs\ in\ ([0-9]+)s,\ corpus\ ([0-9]+)\ -\>\ ([0-9]+) ]]; then
		n=${BASH_REMATCH[1]}
		runs=$((runs + n))
		if [ "$n" -gt 0 ]; then
			tap_ok "$base: $n runs in ${BASH_REMATCH[2]} s, no crash (corpus ${BASH_REMATCH[3]} seeds -> ${BASH_REMATCH[4]})"
		else
			tap_not_ok "$base: ran no input"
		fi
	elif [ -n "$line" ]; then
		[[ "$line" == *CRASH* ]] && crashes=$((crashes + 1))
		tap_not_ok "$line"
		grep -A40 "^$base: " "$out" | sed -n '2,16{/^#/p}'
	else
		tap_not_ok "$base: no result from tests/fuzz/run.sh (exit $rc)"
		sed 's/^/#   /' "$out.err"
	fi
done
if [ "$rc" -ne 0 ] && [ "$VF_FAIL" -eq 0 ]; then
	tap_not_ok "tests/fuzz/run.sh exits 0 (exit $rc)"
	sed 's/^/#   /' "$out.err"
fi

# leftovers: no fuzzer still running, no scratch directory of this run
left=""
pgrep -f "$FUZZ_BUILD/fuzz_" >/dev/null && left+=" fuzzer-processes"
after=$(ls -d /tmp/podkit-fuzz-* /tmp/podkit-podspec-bundle.* 2>/dev/null | sort)
new=$(comm -13 <(echo "$before") <(echo "$after") | tr '\n' ' ')
[ -z "${new// /}" ] || left+=" $new"
if [ -z "$left" ]; then tap_ok "nothing left behind (processes, scratch corpora)"; else tap_not_ok "left behind:$left"; fi
echo "# count: fuzzing: $targets targets x ${FUZZ_SECONDS}s, $runs runs, $crashes crashes, $((SECONDS - t0)) s with the build"
[ "$VF_FAIL" -eq 0 ]
