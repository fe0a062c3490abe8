# Shared by the interop recipes (sourced).  Everything lives under one temp
# dir named with the "io" prefix and the shell's pid, so parallel runs and
# other test suites do not collide, and one rm -rf cleans up.
set -eu
PODKIT_TOP=${PODKIT_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
PODKIT_BUILD=${PODKIT_BUILD:-$PODKIT_TOP/build}
# the runtime under test; INTEROP_RUNTIME=/usr/sbin/runc runs the same
# recipe against runc for comparison
RUNTIME=${INTEROP_RUNTIME:-$PODKIT_BUILD/podrun}
IO_TMP=$(mktemp -d "${TMPDIR:-/tmp}/io$$.XXXXXX")
IO_ARGV_LOG=$IO_TMP/argv.log
IO_PASS=0
IO_FAIL=0

# A wrapper that logs each call's argv (one line, args quoted) and execs the
# runtime: the clients call it in place of runc.  Arguments given here go
# before the client's (a private --root; a later --root of the client's
# own still wins, as in runc).
io_wrapper_make() {
  cat >"$IO_TMP/runtime" <<W
#!/bin/sh
{ printf '%s' "\$(date +%T)"; for a in "\$@"; do printf " '%s'" "\$a"; done; echo; } >>'$IO_ARGV_LOG'
exec '$RUNTIME' $* "\$@"
W
  chmod 0755 "$IO_TMP/runtime"
}

# busybox rootfs as a tarball, for `podman import` and the OCI archive
io_rootfs_tar() {
  "$PODKIT_TOP/scripts/mkrootfs.sh" "$IO_TMP/rootfs" >/dev/null
  tar -C "$IO_TMP/rootfs" -cf "$IO_TMP/rootfs.tar" .
}

# io_check NAME CMD...: runs CMD with a time bound, counts pass/fail
io_check() {
  name=$1
  shift
  if out=$(timeout 120 "$@" 2>&1); then
    IO_PASS=$((IO_PASS + 1))
    echo "ok - $name"
  else
    IO_FAIL=$((IO_FAIL + 1))
    echo "not ok - $name"
    printf '%s\n' "$out" | sed 's/^/#   /' | tail -20
  fi
}

# io_expect NAME WANT CMD...: CMD's stdout must equal WANT
io_expect() {
  name=$1
  want=$2
  shift 2
  if out=$(timeout 120 "$@" 2>&1) && [ "$out" = "$want" ]; then
    IO_PASS=$((IO_PASS + 1))
    echo "ok - $name"
  else
    IO_FAIL=$((IO_FAIL + 1))
    echo "not ok - $name (want '$want')"
    printf '%s\n' "$out" | sed 's/^/#   /' | tail -20
  fi
}

io_summary() {
  echo "# $1: $IO_PASS passed, $IO_FAIL failed (runtime $RUNTIME)"
  [ "$IO_FAIL" -eq 0 ]
}

# The argv log survives the cleanup when IO_KEEP_LOG names a file.
io_keep_log() {
  if [ -n "${IO_KEEP_LOG:-}" ] && [ -f "$IO_ARGV_LOG" ]; then
    cp "$IO_ARGV_LOG" "$IO_KEEP_LOG"
  fi
}
