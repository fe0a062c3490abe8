#!/usr/bin/env bash
# The main job on built-in defaults: a busybox bundle (from Debian's
# busybox-static, nothing downloaded) run by podrun.  Everything it makes is
# removed on exit.
#   examples/podrun-hello.sh    (as root, after `make`)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
bin=${PODKIT_BUILD:-$top/build}
podrun=$bin/podrun
[ -x "$podrun" ] || { echo "demo: $podrun missing: run make first" >&2; exit 1; }

work=$(mktemp -d /tmp/podkit-demo.XXXXXX)
root=$work/state
id=demo$$
cleanup() {
  "$podrun" --root "$root" delete -f "$id" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

"$top/scripts/mkrootfs.sh" "$work/bundle/rootfs" >/dev/null
(cd "$work/bundle" && "$podrun" spec)
# Non-interactive: no terminal, and a command instead of the shell.
jq '.process.terminal=false | .process.args=["sh","-c","echo hello from $(hostname): pid $$ in its own pid namespace, uid $(id -u); ls /"]' \
  "$work/bundle/config.json" >"$work/config.json"
mv "$work/config.json" "$work/bundle/config.json"
echo "+ podrun run -b $work/bundle $id"
"$podrun" --root "$root" run -b "$work/bundle" "$id"
