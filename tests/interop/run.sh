#!/bin/bash
# `make interop`: podrun under real clients (podman, containerd's ctr) and
# runc's option set.  Opt-in, root only, not part of `make check`: it needs
# podman and containerd installed (see docs/interop.md), which CI has not.
# INTEROP_RUNTIME=/usr/sbin/runc runs the same recipes against runc.
# IO_KEEP_LOG_DIR=DIR keeps each client's log of runtime calls there.
set -u
here=$(cd "$(dirname "$0")" && pwd)
[ "$(id -u)" = 0 ] || { echo "interop: needs root" >&2; exit 1; }
failed=0
for t in cli-flags podman containerd; do
  if [ -n "${IO_KEEP_LOG_DIR:-}" ]; then
    mkdir -p "$IO_KEEP_LOG_DIR"
    export IO_KEEP_LOG=$IO_KEEP_LOG_DIR/$t.argv
  fi
  # each recipe bounds its own steps; this bounds the whole
  timeout 900 "$here/$t.sh" || { echo "# $t: FAILED"; failed=$((failed + 1)); }
done
[ "$failed" -eq 0 ] && echo "# interop: all passed" || echo "# interop: $failed recipe(s) failed"
exit $((failed > 0))
