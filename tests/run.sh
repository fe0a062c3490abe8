#!/usr/bin/env bash
# Runs the unit test binaries, the bats integration suites and the
# reliability scripts (tests/reliability/*.sh: fault injection, crash
# consistency, stress, bad input, valgrind, fuzzing), counts their TAP
# lines, and ends with one line "N passed, N failed[, N skipped]".
#   tests/run.sh [--unit|--integration|--reliability] [FILTER]
# PODKIT_BUILD points at the build dir holding podrun/podnet/pod and tests/;
# PODKIT_ASAN_BUILD, when set, at the ASan+UBSan build: its unit tests and
# the integration suites run a second time against its binaries.
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
export PODKIT_BUILD=${PODKIT_BUILD:-$top/build}
export PODKIT_TOP=$top
export PATH="$PODKIT_BUILD:$PATH"
mode=all
case "${1:-}" in
--unit) mode=unit; shift ;;
--integration) mode=integration; shift ;;
--reliability) mode=reliability; shift ;;
esac
filter=${1:-}

passed=0 failed=0 skipped=0
failures=()
log=$(mktemp)
trap 'rm -f "$log"' EXIT

summary=() # one line per phase, printed before the final count
count() { # $1 = suite name; TAP on stdin is echoed and counted
  local suite=$1 line
  while IFS= read -r line; do
    printf '%s\n' "$line"
    case "$line" in
    "# count: "*) summary+=("${line#\# count: }") ;;
    "ok "*"# skip"* | "ok "*"# SKIP"*) skipped=$((skipped + 1)) ;;
    "ok "*) passed=$((passed + 1)) ;;
    "not ok "*) failed=$((failed + 1)); failures+=("$suite: ${line#not ok }") ;;
    esac
  done
}

# What the kernel and the state dirs hold before the suites run; compared
# after them, so a suite that leaks a netns, link, nft table, mount, cgroup
# or state file fails the run even when each of its tests passed.
snapshot() {
  {
    ip netns list 2>/dev/null | awk '{print "netns " $1}'
    ip -o link show 2>/dev/null | awk -F': ' '{split($2, a, "@"); print "link " a[1]}'
    nft list tables 2>/dev/null | sed 's/^/nft /'
    awk '{print "mount " $2}' /proc/mounts
    for d in /run/podrun /run/podnet /run/pod; do
      [ -d "$d" ] && ls -A "$d" 2>/dev/null | sed "s|^|state $d/|"
    done
    # every cgroup but the default parent /podrun, which podrun keeps like
    # its /run/podrun (container cgroups are /podrun/ID and are listed), and
    # the sandbox's own command runner (process_api), which makes cgroups of
    # its own while the suites run
    find /sys/fs/cgroup -mindepth 2 -maxdepth 4 -type d ! -name podrun 2>/dev/null |
      grep -v '/process_api' | sed 's/^/cgroup /'
  } | sort -u
}
before=$(mktemp)
after=$(mktemp)
trap 'rm -f "$log" "$before" "$after"' EXIT
snapshot >"$before"

run_unit_dir() { # $1 = dir of test binaries, $2 = label
  local t rc
  for t in "$1"/tests/test_*; do
    [ -x "$t" ] || continue
    [ -n "$filter" ] && [[ "$t" != *"$filter"* ]] && continue
    echo "# unit$2: $(basename "$t")"
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
      "$t" >"$log" 2>&1
    rc=$?
    count "$(basename "$t")$2" <"$log"
    if [ $rc -ne 0 ] && ! grep -q '^not ok' "$log"; then
      grep -E 'ERROR|runtime error' "$log" | head -5
      failed=$((failed + 1)); failures+=("$(basename "$t")$2: exited $rc")
    fi
  done
}

# tally LABEL: what the phase since the last mark added, for the summary
mark_p=0 mark_f=0
tally() {
  summary+=("$1: $((passed - mark_p)) passed, $((failed - mark_f)) failed")
  mark_p=$passed mark_f=$failed
}

asan_dir=
if [ -n "${PODKIT_ASAN_BUILD:-}" ] && [ -d "$PODKIT_ASAN_BUILD" ]; then
  asan_dir=$PODKIT_ASAN_BUILD
fi

if [ "$mode" = all ] || [ "$mode" = unit ]; then
  run_unit_dir "$PODKIT_BUILD" ""
  tally "unit tests"
  # The same unit tests built with ASan+UBSan (make check builds them).
  if [ -n "$asan_dir" ] && [ -d "$asan_dir/tests" ]; then
    run_unit_dir "$asan_dir" " (asan)"
    tally "unit tests, ASan+UBSan"
  fi
fi

run_bats_dir() { # $1 = build dir whose binaries the suites run, $2 = label
  local t
  for t in "$top"/tests/integration/*.bats; do
    [ -f "$t" ] || continue
    [ -n "$filter" ] && [[ "$t" != *"$filter"* ]] && continue
    echo "# integration$2: $(basename "$t")"
    PODKIT_BUILD=$1 PATH="$1:$PATH" bats --tap "$t" >"$log" 2>&1
    count "$(basename "$t")$2" <"$log"
  done
}

if [ "$mode" = all ] || [ "$mode" = integration ]; then
  if ! command -v bats >/dev/null; then
    echo "# bats is not installed: run scripts/install-deps.sh" >&2
    failed=$((failed + 1))
  else
    run_bats_dir "$PODKIT_BUILD" ""
    tally "integration suites"
    # Every suite again with ASan+UBSan builds of podrun, podnet and pod.
    if [ -n "$asan_dir" ] && [ -x "$asan_dir/podrun" ]; then
      run_bats_dir "$asan_dir" " (asan)"
      tally "integration suites, ASan+UBSan binaries"
    fi
  fi
fi

# Reliability scripts: TAP like the suites, plus one "# count: " line each
# that the summary repeats.
if [ "$mode" = all ] || [ "$mode" = reliability ]; then
  for t in "$top"/tests/reliability/*.sh; do
    [ -x "$t" ] || continue
    [ -n "$filter" ] && [[ "$t" != *"$filter"* ]] && continue
    echo "# reliability: $(basename "$t")"
    start=$SECONDS
    "$t" >"$log" 2>&1
    rc=$?
    before_f=$failed
    count "$(basename "$t" .sh)" <"$log"
    if [ $rc -ne 0 ] && [ "$failed" -eq "$before_f" ]; then
      tail -5 "$log" | sed 's/^/#   /'
      failed=$((failed + 1)); failures+=("$(basename "$t"): exited $rc")
    fi
    echo "# reliability: $(basename "$t") took $((SECONDS - start)) s"
  done
  tally "reliability scripts"
fi

if [ "$mode" != unit ]; then
  snapshot >"$after"
  leaked=$(comm -13 "$before" "$after")
  if [ -n "$leaked" ]; then
    echo "not ok - leak check: left behind after the suites:"
    echo "$leaked" | sed 's/^/#   /'
    failed=$((failed + 1)); failures+=("leak check: $(echo $leaked | head -c 300)")
  else
    echo "ok - leak check: no netns, link, nft table, mount, cgroup or state left"
    passed=$((passed + 1))
  fi
fi

if [ ${#summary[@]} -gt 0 ]; then
  echo "# summary:"
  printf '#   %s\n' "${summary[@]}"
fi
if [ ${#failures[@]} -gt 0 ]; then
  echo "# failures:"
  printf '#   %s\n' "${failures[@]}"
fi
if [ "$skipped" -gt 0 ]; then
  echo "$passed passed, $failed failed, $skipped skipped"
else
  echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
