#!/bin/bash
# The bad-input matrix (issue 6): every row of badinput/matrix.tsv is one
# bad input to podrun, podnet or pod, with the exit status and the error
# line it must get; each row runs as one TAP line, checks that nothing of
# the run was left behind, and docs/reliability.md's table (between the
# badinput markers) must be what the file generates.
#
#   badinput.sh               run every row (root), TAP on stdout
#   badinput.sh --write-doc   regenerate the table in docs/reliability.md
#
# Knobs: BADINPUT_FILTER (extended regex: only rows whose class, tool or
# description match), BADINPUT_HUGE (size factor of the huge inputs: the
# huge-config row has BADINPUT_HUGE x 1e6 mounts; default 1),
# BADINPUT_SETTLE (seconds a difference may take to go away before it is a
# leak: background work of podnet; default 3), BADINPUT_VERBOSE=1 (every
# row's output as # lines).
set -u
TOP=${PODKIT_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
export PODKIT_TOP=$TOP
# shellcheck source=tests/reliability/lib/badinput.bash
. "$TOP/tests/reliability/lib/badinput.bash"

if [ "${1:-}" = --write-doc ]; then
	bi_write_doc
	echo "wrote the bad input table of $BI_DOC"
	exit 0
fi

BADINPUT_FILTER=${BADINPUT_FILTER:-}
BADINPUT_HUGE=${BADINPUT_HUGE:-1}
BADINPUT_SETTLE=${BADINPUT_SETTLE:-3}
BADINPUT_VERBOSE=${BADINPUT_VERBOSE:-0}
# used by the matrix's huge-config row
export HUGE=$((BADINPUT_HUGE * 1000000))

for b in podrun podnet pod pod-pause; do
	if [ ! -x "$BI_BUILD/$b" ]; then
		echo "not ok - $BI_BUILD/$b is missing (run make)"
		exit 1
	fi
done
[ "$(id -u)" = 0 ] || {
	echo "not ok - badinput.sh must run as root"
	exit 1
}

bi_names
W=$(mktemp -d "/tmp/$T.XXXXXX")
chmod 0755 "$W"
: >"$W/skeleton"
FAILED=0
T0=$SECONDS

cleanup() {
	bi_sweep
	rm -rf "$RT_ROOT" "$PODNET_STATE_DIR" "$POD_STATE_DIR"
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

bi_template
# The state dirs' skeleton (made by the first use of each tool) is not a
# row's leftover: made here, listed, kept by the sweep.
podrun list >/dev/null
podnet bridge list >/dev/null
pod ps >/dev/null
# a pod made and removed: every state dir podnet and pod make on first use
if ! { pod create "${T}p0" --bridge "${T}br0" --subnet 10.234.250.0/24 -p 26990:80 &&
	pod rm -f "${T}p0" && podnet bridge del "${T}br0"; } >"$W/prime.out" 2>&1; then
	echo "not ok - setup: a pod cannot be made and removed: $(tr '\n' ' ' <"$W/prime.out")"
	exit 1
fi
find "$RT_ROOT" "$PODNET_STATE_DIR" "$POD_STATE_DIR" 2>/dev/null >"$W/skeleton"
[ -s "$W/skeleton" ] || echo "/nonexistent" >"$W/skeleton"

# what the snapshot shows with nothing of a row there
CLEAN=$(bi_snapshot)
if [ -n "$CLEAN" ]; then
	echo "not ok - setup: the clean snapshot is not empty: $(echo "$CLEAN" | head -5 | tr '\n' ' ')"
	exit 1
fi

ROW=0 PASS=0 CLASSES=""
while IFS=$'\t' read -r class tool what fixture cmd exit expect check; do
	[[ -z $class || $class == \#* ]] && continue
	ROW=$((ROW + 1))
	check=${check:--}
	# shellcheck disable=SC2016 # the literal text ${T} of the table
	expect=${expect//'${T}'/$T}
	desc="$ROW - $class / $tool: $what"
	if [ -n "$BADINPUT_FILTER" ] && ! [[ "$class $tool $what" =~ $BADINPUT_FILTER ]]; then
		continue
	fi
	B=$W/row$ROW
	out=$W/out err=$W/err
	why=""
	# the fixture, in the row's shell: its objects are not the row's leftovers
	if [ "$fixture" != - ] && ! (set -e; eval "$fixture") >"$W/fix.out" 2>&1; then
		why="fixture failed: $(tr '\n' ' ' <"$W/fix.out" | cut -c1-300)"
	fi
	if [ -z "$why" ]; then
		# a fixture that only writes files under $W (bundle, rawconfig,
		# ownrootfs...) changes nothing the snapshot sees: the clean one does
		if [[ $fixture =~ (^|[^a-z])(podrun|podnet|pod|ip)\  ]]; then
			before=$(bi_snapshot)
		else
			before=$CLEAN
		fi
		# BI_MARK finds the row's processes; the subshell holds the tool wrappers
		(export BI_MARK=$T; eval "$cmd") >"$out" 2>"$err" </dev/null
		rc=$?
		after=$(bi_snapshot)
		if [ -n "$(bi_added "$before" "$after")" ]; then
			# background work (podnet's grandchildren) may need a moment
			end=$((SECONDS + BADINPUT_SETTLE))
			while [ -n "$(bi_added "$before" "$after")" ] && [ "$SECONDS" -lt "$end" ]; do
				sleep 0.1
				after=$(bi_snapshot)
			done
		fi
		nerr=$(wc -l <"$err")
		line=$(head -n1 "$err")
		if [ "$rc" != "$exit" ]; then
			why="exit $rc, expected $exit"
		elif [ "$exit" != 0 ] && [ "$nerr" != 1 ]; then
			why="$nerr lines on stderr, expected 1"
		elif [ "$exit" != 0 ] && [[ $line != "$tool: "* && $line != "$tool hook: "* ]]; then
			why="stderr does not start with \"$tool: \""
		elif [ "$exit" != 0 ] && [[ $expect == \~* ]] && ! [[ $line =~ ${expect#\~} ]]; then
			why="stderr does not match /${expect#\~}/"
		elif [ "$exit" != 0 ] && [[ $expect != \~* ]] && [[ $line != *"$expect"* ]]; then
			why="stderr does not contain \"$expect\""
		elif [ "$exit" != 0 ] && [ -s "$out" ]; then
			why="stdout is not empty"
		elif [ "$check" != - ] && ! (eval "$check") >"$W/check.out" 2>&1; then
			why="check failed: $check $(tr '\n' ' ' <"$W/check.out" | cut -c1-200)"
		elif [ -n "$(bi_added "$before" "$after")" ]; then
			why="left behind: $(bi_added "$before" "$after" | head -5 | tr '\n' ' ')"
		fi
	fi
	if [ -z "$why" ]; then
		echo "ok $desc"
		PASS=$((PASS + 1))
	else
		echo "not ok $desc"
		echo "#   $why"
		FAILED=$((FAILED + 1))
	fi
	if [ -n "$why" ] || [ "$BADINPUT_VERBOSE" = 1 ]; then
		[ -s "$err" ] && sed 's/^/#   stderr: /' "$err" | cut -c1-400 | head -5
		[ -s "$out" ] && sed 's/^/#   stdout: /' "$out" | cut -c1-400 | head -3
	fi
	case " $CLASSES " in *" ${class// /_} "*) ;; *) CLASSES="$CLASSES ${class// /_}" ;; esac
	# the sweep (slow) only when something is there to sweep
	if [ "${after-}" != "$CLEAN" ] || [ -n "$why" ]; then
		bi_sweep
	fi
	after=""
	compgen -G "/tmp/${T}esc*" >/dev/null && rm -rf /tmp/"${T}"esc*
	rm -rf "$B"
done <"$BI_MATRIX"

# The doc's table is what the matrix generates.
if diff <(bi_render_doc) <(bi_doc_section) >"$W/doc.diff" 2>&1; then
	echo "ok - docs/reliability.md bad input table matches badinput/matrix.tsv"
else
	echo "not ok - docs/reliability.md bad input table differs from badinput/matrix.tsv (run $0 --write-doc)"
	head -10 "$W/doc.diff" | sed 's/^/#   /'
	FAILED=$((FAILED + 1))
fi

# Nothing of the run is left (the skeleton goes too).
bi_sweep
rm -rf "$RT_ROOT" "$PODNET_STATE_DIR" "$POD_STATE_DIR"
: >"$W/skeleton"
left=$(bi_snapshot)
if [ -z "$left" ]; then
	echo "ok - nothing of $T left (netns, links, nft, state, mounts, cgroups, processes)"
else
	echo "not ok - leftovers of $T"
	echo "$left" | head -10 | sed 's/^/#   /'
	FAILED=$((FAILED + 1))
fi

nclass=$(echo "$CLASSES" | wc -w)
if [ "$FAILED" -eq 0 ]; then
	echo "# count: bad input matrix: $PASS rows ($nclass classes), all rejected cleanly in $((SECONDS - T0)) s"
else
	echo "# count: bad input matrix: $PASS of $((PASS + FAILED)) checks passed ($nclass classes), $FAILED failed, in $((SECONDS - T0)) s"
fi
[ "$FAILED" -eq 0 ]
