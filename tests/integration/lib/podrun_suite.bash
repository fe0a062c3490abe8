# Shared setup of the podrun suites that drive $PODKIT_BUILD/podrun directly
# (podrun_cgroup, podrun_isolation, podrun_seccomp, podrun_cli, podrun_core):
# a private --root, one busybox rootfs and default spec (terminal false)
# that every bundle links to, and a per-file prefix for container IDs and
# cgroups so teardown can find what a failed test left behind.
#
# A suite may set, before `load lib/podrun_suite`:
#   SUITE_ROOT_NAME  the --root directory under $BATS_FILE_TMPDIR (rt-root)
#   SUITE_PREFIX     the ID prefix, followed by the pid (rt)
# The suites that run against any runtime use lib/runtime.bash instead.

PODKIT_TOP=${PODKIT_TOP:-$(cd "$BATS_TEST_DIRNAME/../.." && pwd)}
PODKIT_BUILD=${PODKIT_BUILD:-$PODKIT_TOP/build}
PODRUN=$PODKIT_BUILD/podrun
T=$BATS_FILE_TMPDIR
ROOT=$T/${SUITE_ROOT_NAME:-rt-root}
BASE=$T/base

rprefix() { cat "$T/prefix"; }
rid() { echo "$(rprefix)-$1"; }
P() { "$PODRUN" --root "$ROOT" "$@"; }

# mkbundle NAME JQ-FILTER: a bundle sharing the busybox rootfs, config.json
# from the default spec (terminal false) with the filter applied.
mkbundle() {
	local b=$T/$1
	mkdir -p "$b"
	ln -sfn "$BASE/rootfs" "$b/rootfs"
	jq "$2" "$BASE/config.json" >"$b/config.json"
	echo "$b"
}

args() { # args CMD... -> a JSON array for process.args
	local a
	for a in "$@"; do jq -n --arg a "$a" '$a'; done | jq -sc .
}

rt_setup_file() {
	mkdir -p "$ROOT" "$BASE"
	"$PODKIT_TOP/scripts/mkrootfs.sh" "$BASE/rootfs" >/dev/null
	(cd "$BASE" && "$PODRUN" spec)
	jq '.process.terminal = false' "$BASE/config.json" >"$BASE/c" && mv "$BASE/c" "$BASE/config.json"
	echo "${SUITE_PREFIX:-rt}$$" >"$T/prefix"
}

# Kill what is in a cgroup directory (and below), then remove it.
rt_cg_remove() {
	local d=$1 sub p
	[ -d "$d" ] || return 0
	for sub in "$d"/*/; do
		[ -d "$sub" ] && rt_cg_remove "${sub%/}"
	done
	for _ in $(seq 50); do
		rmdir "$d" 2>/dev/null && return 0
		[ -d "$d" ] || return 0
		echo 0 >"$d/freezer.state" 2>/dev/null || true
		echo THAWED >"$d/freezer.state" 2>/dev/null || true
		for p in $(cat "$d/cgroup.procs" 2>/dev/null); do kill -9 "$p" 2>/dev/null || true; done
		sleep 0.1
	done
}

rt_cleanup() {
	local id h d pre
	pre=$(rprefix)
	for id in $("$PODRUN" --root "$ROOT" list -q 2>/dev/null); do
		"$PODRUN" --root "$ROOT" delete -f "$id" >/dev/null 2>&1 || true
	done
	for h in /sys/fs/cgroup/*/; do
		for d in "$h$pre"-* "${h}podrun/$pre"-*; do
			[ -d "$d" ] && rt_cg_remove "${d%/}"
		done
		for d in "$h"*/"$pre"-* "$h"*/*/"$pre"-*; do
			[ -d "$d" ] && rt_cg_remove "${d%/}"
		done
	done
	return 0
}

rt_teardown_file() {
	rt_cleanup
	rm -rf "$ROOT"
}

setup_file() { rt_setup_file; }
teardown() { rt_cleanup; }
teardown_file() { rt_teardown_file; }
source "$BATS_TEST_DIRNAME/lib/helpers.bash"
