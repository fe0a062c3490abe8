#!/usr/bin/env bash
# Seed 004 (runc managing a container by hand) with podrun in place of runc:
# a rootfs in DIR/c1/rootfs with an extra file aa.txt, `spec`, terminal false,
# create c1, list, and -- since `exec` comes later (issue 3) -- the
# container's own process lists / to show aa.txt; then state, kill, delete,
# and an empty list.
#
#   examples/seed-004-exec-free-lifecycle.sh [WORKDIR]      (as root)
# RUNTIME picks the runtime (default: podrun, then build/podrun).
# Everything made is removed on exit, even on failure.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
RT=${RUNTIME:-podrun}
if ! command -v "$RT" >/dev/null; then
	RT=${PODKIT_BUILD:-$top/build}/podrun
fi
command -v "$RT" >/dev/null || { echo "seed-004: no runtime (set RUNTIME or run make)" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || { echo "seed-004: run as root" >&2; exit 1; }

ID=${EXAMPLE_PREFIX:-ex4$$}-c1
parent=${1:-${TMPDIR:-/tmp}}
mkdir -p "$parent"
work=$(mktemp -d "$parent/seed-004.XXXXXX")
root=$work/state
c1=$work/c1

step() { printf '\n### %s\n' "$*"; }
say() { printf '+ %s\n' "$*"; }
ok() { printf 'OK: %s\n' "$*"; }
rt() { "$RT" --root "$root" "$@"; }
status_of() { rt state "$ID" | jq -r .status; }

cleanup() {
	local rc=$?
	# A second signal must not cut the cleanup short.
	trap "" INT TERM
	set +e
	rt delete -f "$ID" >/dev/null 2>&1
	if grep -q " $work" /proc/self/mountinfo; then
		echo "seed-004: mounts left under $work" >&2
		rc=1
	else
		rm -rf "$work"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

step "steps 4-5: the rootfs in c1/rootfs, with aa.txt"
"$top/scripts/mkrootfs.sh" "$c1/rootfs" >/dev/null
touch "$c1/rootfs/aa.txt"
ls "$c1/rootfs" | tr '\n' ' '
echo

step "step 6: spec, terminal false, root.path rootfs"
say "cd $c1 && $RT spec"
(cd "$c1" && "$RT" spec)
jq -c '{terminal: .process.terminal, root}' "$c1/config.json"
[ "$(jq -r .root.path "$c1/config.json")" = rootfs ]
# The seed's step 8 runs `ls /` through exec; here the container's own
# process does it when started.
jq '.process.terminal=false | .process.args=["sh","-c","ls /; exec sleep 1000"]' "$c1/config.json" >"$work/c.json"
mv "$work/c.json" "$c1/config.json"

step "step 7: create c1, list"
say "$RT create $ID"
(cd "$c1" && rt create "$ID" >"$work/c1.out" 2>&1 </dev/null)
say "$RT list"
rt list | tee "$work/list.out"
grep -Eq "^$ID +[0-9]+ +created +$c1 " "$work/list.out"
ok "c1 created"

step "step 8 (without exec): start c1; its ls / shows aa.txt"
rt start "$ID"
for _ in $(seq 1 250); do
	grep -qx aa.txt "$work/c1.out" && break
	sleep 0.02
done
tr '\n' ' ' <"$work/c1.out"
echo
grep -qx aa.txt "$work/c1.out"
say "$RT state $ID"
rt state "$ID" | jq -c '{id, pid, status, bundle}'
[ "$(status_of)" = running ]
ok "aa.txt is in the container's /"

step "step 9: kill, delete, list"
say "$RT kill $ID KILL"
rt kill "$ID" KILL
for _ in $(seq 1 250); do
	[ "$(status_of)" = stopped ] && break
	sleep 0.02
done
[ "$(status_of)" = stopped ]
say "$RT delete $ID"
rt delete "$ID"
say "$RT list"
rt list | tee "$work/list.out"
[ "$(wc -l <"$work/list.out")" -le 1 ]
ok "c1 deleted; the list is empty"
