#!/usr/bin/env bash
# Seed 002 ("runC运行容器"): an OCI bundle (rootfs + config.json from
# `spec`, terminal false) taken through its lifecycle with podrun in place of
# runc: create -> list/state (created) -> start (running) -> kill (stopped)
# -> delete -> list (empty).  The seed's `ps`/`events` are not part of podrun.
#
#   examples/seed-002-lifecycle.sh [WORKDIR]      (as root)
# RUNTIME picks the runtime (default: podrun, then build/podrun).
# Everything made is removed on exit, even on failure.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
RT=${RUNTIME:-podrun}
if ! command -v "$RT" >/dev/null; then
	RT=${PODKIT_BUILD:-$top/build}/podrun
fi
command -v "$RT" >/dev/null || { echo "seed-002: no runtime (set RUNTIME or run make)" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || { echo "seed-002: run as root" >&2; exit 1; }

ID=${EXAMPLE_PREFIX:-ex2$$}-snakebusybox
parent=${1:-${TMPDIR:-/tmp}}
mkdir -p "$parent"
work=$(mktemp -d "$parent/seed-002.XXXXXX")
root=$work/state
bundle=$work/snakecontainer

step() { printf '\n### %s\n' "$*"; }
say() { printf '+ %s\n' "$*"; }
ok() { printf 'OK: %s\n' "$*"; }
fail() { echo "seed-002: $*" >&2; exit 1; }
rt() { "$RT" --root "$root" "$@"; }
status_of() { rt state "$ID" | jq -r .status; }

cleanup() {
	local rc=$?
	# A second signal must not cut the cleanup short.
	trap "" INT TERM
	set +e
	rt delete -f "$ID" >/dev/null 2>&1
	if grep -q " $work" /proc/self/mountinfo; then
		echo "seed-002: mounts left under $work" >&2
		rc=1
	else
		rm -rf "$work"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

step "the OCI bundle: rootfs + config.json"
mkdir -p "$bundle"
"$top/scripts/mkrootfs.sh" "$bundle/rootfs" >/dev/null
say "cd $bundle && $RT spec"
(cd "$bundle" && "$RT" spec)
# "terminal": true -> false.  The seed keeps `sh`, which would read the
# caller's stdin; a command that stays up shows the states better.
jq '.process.terminal=false | .process.args=["sh","-c","echo snakebusybox says hello; exec sleep 1000"]' \
	"$bundle/config.json" >"$work/c.json"
mv "$work/c.json" "$bundle/config.json"
(cd "$bundle" && ls -1 && ls rootfs | tr '\n' ' ' && echo)

step "create"
say "$RT create $ID"
(cd "$bundle" && rt create "$ID" >"$work/container.out" 2>&1 </dev/null)
say "$RT list"
rt list | tee "$work/list.out"
head -1 "$work/list.out" | tr -s ' ' | grep -q '^ID PID STATUS BUNDLE CREATED OWNER'
grep -Eq "^$ID +[0-9]+ +created +$bundle " "$work/list.out"
say "$RT state $ID"
rt state "$ID" | tee "$work/state.json"
echo
[ "$(jq -r .id "$work/state.json")" = "$ID" ]
[ "$(jq -r .status "$work/state.json")" = created ]
[ "$(jq -r .bundle "$work/state.json")" = "$bundle" ]
pid=$(jq -r .pid "$work/state.json")
kill -0 "$pid"
# Not started: the process has not said hello yet.
grep -q hello "$work/container.out" && fail "the process ran before start"
ok "created, pid $pid, waiting for start"

step "start"
say "$RT start $ID"
rt start "$ID"
[ "$(status_of)" = running ]
for _ in $(seq 1 250); do
	grep -q hello "$work/container.out" && break
	sleep 0.02
done
cat "$work/container.out"
grep -q 'snakebusybox says hello' "$work/container.out"
[ "$(rt state "$ID" | jq -r .pid)" = "$pid" ]
rt list
ok "running, same pid $pid"

step "kill"
say "$RT kill $ID KILL"
rt kill "$ID" KILL
for _ in $(seq 1 250); do
	[ "$(status_of)" = stopped ] && break
	sleep 0.02
done
rt state "$ID" | jq -c '{id, status}'
[ "$(status_of)" = stopped ]
ok "stopped"

step "delete"
say "$RT delete $ID"
rt delete "$ID"
say "$RT list"
rt list | tee "$work/list.out"
grep -q "^$ID " "$work/list.out" && fail "$ID still listed after delete"
rt state "$ID" 2>/dev/null && fail "$ID still has a state after delete"
ok "deleted"
