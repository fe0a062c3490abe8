#!/usr/bin/env bash
# Every CLI path of podrun, podnet and pod under valgrind's memcheck
# (--leak-check=full --errors-for-leak-kinds=definite): no memory error and
# no definite leak, in the command itself nor in any process it forks that
# runs podkit code before exec'ing or exiting (container init, exec'd
# process set-up, pod's monitors, podnet's background grandchildren).
#
# valgrind cannot see malloc in a static binary, so this builds a dynamic,
# unsanitized copy: make B=$PODKIT_VG_BUILD STATIC=0 (default build-vg).
# pod drives that podrun through a wrapper script, so the runtime calls are
# checked too and counted with the pod command that made them.
#
# TAP on stdout, one line per path; exits 0 iff all passed.
# Environment: PODKIT_TOP, PODKIT_BUILD (for cleanup and pod-pause),
# PODKIT_VG_BUILD, PODKIT_VG_KEEP=1 keeps the logs, PODKIT_VG_REPEAT=N runs
# the podrun lifecycle N times (default 1; the CI budget is 4 minutes).
#
# What valgrind changes, and how this copes:
# - it emulates RLIMIT_NOFILE and refuses any setrlimit of it but its own
#   hard limit, so the bundles here carry no process.rlimits;
# - it has no clone3, openat2 or mount_setattr (ENOSYS, a warning in the
#   log): podrun's fallbacks for older kernels are what runs here;
# - a forked child that is killed or exec's writes no summary: counted as
#   "exec'd", not judged.
set -u
PODKIT_TOP=${PODKIT_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
PODKIT_BUILD=${PODKIT_BUILD:-$PODKIT_TOP/build}
VGB=${PODKIT_VG_BUILD:-$PODKIT_TOP/build-vg}
REPEAT=${PODKIT_VG_REPEAT:-1}
# shellcheck source=tests/reliability/lib/vgfuzz.bash
. "$PODKIT_TOP/tests/reliability/lib/vgfuzz.bash"

TOK=pkv$$
ST=/run/pkvvg$$
WORK=$(mktemp -d /tmp/pkvvg.XXXXXX)
VG_LOGS=$WORK/logs
# shellcheck disable=SC2034 # read by lib/vgfuzz.bash
VG_SUPP=$PODKIT_TOP/tests/reliability/lib/vgfuzz.supp
BR=pkvbr$$
N1=pkvn$$
N2=pkvm$$
POD=pkvp$$
CTR=pkvc$$
RUNC=pkvr$$
NET=$(($$ % 250))
SUBNET=10.235.$NET.0/24
HP1=$((27000 + ($$ % 400) * 2))
HP2=$((HP1 + 1))
HP3=$((HP1 + 800 - ($$ % 400)))
CGP=/podrun-$TOK
export PODNET_STATE_DIR=$ST/net PODNET_NFT_TABLE=pkvt$$
export POD_STATE_DIR=$ST/pod POD_RUNTIME_ROOT=$ST/rt POD_PAUSE=$PODKIT_BUILD/pod-pause
VETHS=""

t0=$SECONDS
command -v valgrind >/dev/null || {
	echo "not ok - valgrind is installed (apt-get install valgrind)"
	exit 1
}

cleanup() {
	local p n l
	# processes still under valgrind for this run (a monitor, a container
	# init waiting for start): ours, found by the log dir in their argv
	for p in $(vg_busy_pids); do kill -9 "$p" 2>/dev/null; done
	[ -d "$POD_STATE_DIR" ] && "$PODKIT_BUILD/pod" --runtime "$PODKIT_BUILD/podrun" rm -f "$POD" >/dev/null 2>&1
	for n in "$ST"/podrun/pkv* "$POD_RUNTIME_ROOT"/pkv*; do
		[ -e "$n" ] || continue
		n=$(basename "$n")
		"$PODKIT_BUILD/podrun" --root "$ST/podrun" delete -f "$n" >/dev/null 2>&1
		"$PODKIT_BUILD/podrun" --root "$POD_RUNTIME_ROOT" delete -f "$n" >/dev/null 2>&1
	done
	for l in $VETHS $(cat "$PODNET_STATE_DIR"/leases/*.json 2>/dev/null | sed -n 's/.*"host_veth": *"\([^"]*\)".*/\1/p'); do
		ip link del "$l" 2>/dev/null
	done
	for n in "$N1" "$N2" "$POD"; do
		[ -e "/var/run/netns/$n" ] && { umount -l "/var/run/netns/$n" 2>/dev/null; rm -f "/var/run/netns/$n"; }
	done
	ip link del "$BR" 2>/dev/null
	nft delete table ip "pkvt$$" 2>/dev/null
	grep -o " $ST/[^ ]*" /proc/mounts | sort -r | while read -r m; do umount -l "$m" 2>/dev/null; done
	find /sys/fs/cgroup -depth -type d \( -name "$TOK" -o -path "*$CGP*" -o -name "$POD*" -o -name "$CTR" -o -name "$RUNC" \) \
		-exec rmdir {} \; 2>/dev/null
	rm -rf "$ST"
	[ "${PODKIT_VG_KEEP:-0}" = 1 ] || rm -rf "$WORK"
	return 0
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# ---- build ----
if ! make -C "$PODKIT_TOP" -s -j2 B="$VGB" STATIC=0 "$VGB/podrun" "$VGB/podnet" "$VGB/pod" >"$WORK/build.log" 2>&1; then
	tap_not_ok "build $VGB (make B=$VGB STATIC=0)"
	diag "$WORK/build.log" | tail -20
	exit 1
fi
for b in podrun podnet pod; do
	if ! ldd "$VGB/$b" >/dev/null 2>&1; then
		tap_not_ok "$VGB/$b is dynamically linked (valgrind needs malloc interception)"
		exit 1
	fi
done
tap_ok "dynamic unsanitized build in $VGB"

mkdir -p "$VG_LOGS" "$ST" "$WORK/b1" "$WORK/b2" "$WORK/b3"
vg_runtime_wrapper "$WORK/vgpodrun" "$VGB/podrun"
"$PODKIT_TOP/scripts/mkrootfs.sh" "$WORK/rootfs" >/dev/null || {
	tap_not_ok "scripts/mkrootfs.sh $WORK/rootfs"
	exit 1
}

# vgp NAME CMD...: CMD (podrun, podnet or pod under valgrind) as path NAME
vgp() { vg_run "$@"; }

# The judge must see what it is there to see: a definite leak and an
# invalid read, in a parent and in a forked child, are reported as such.
cat >"$WORK/bad.c" <<'C'
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
int main(void) {
  char *p = malloc(16);
  if (fork() == 0) {
    volatile char c = p[16]; /* invalid read in the child */
    (void)c;
    _exit(0);
  }
  wait(NULL);
  p = malloc(32); /* the first block is now definitely lost */
  memset(p, 0, 32);
  p = NULL;
  return 0;
}
C
if cc -O0 -g -o "$WORK/bad" "$WORK/bad.c" 2>"$WORK/bad.log"; then
	sv=$VG_LOGS
	VG_LOGS=$WORK/selftest
	vg_run selftest "$WORK/bad"
	read -r sprocs _ serrors sdef src _ < <(vg_judge "$VG_LOGS/01-selftest")
	# shellcheck disable=SC2034 # read by lib/vgfuzz.bash
	VG_LOGS=$sv VG_SEQ=0 VG_NAMES=()
	if [ "$sprocs" -eq 2 ] && [ "$serrors" -ge 1 ] && [ "$sdef" -ge 16 ] && [ "$src" -eq 99 ]; then
		tap_ok "the judge sees a planted leak and invalid read ($sprocs processes, $serrors errors, $sdef bytes lost)"
	else
		tap_not_ok "the judge sees a planted leak and invalid read (got $sprocs processes, $serrors errors, $sdef bytes lost, exit $src)"
	fi
else
	tap_not_ok "cc builds the judge's self-test"
	diag "$WORK/bad.log"
fi
PODRUN=("$VGB/podrun" --root "$ST/podrun")
PODNET=("$VGB/podnet")
PODCMD=("$VGB/pod" --runtime "$WORK/vgpodrun")

# bundle DIR CGROUP ARGS-JSON: podrun spec's config, no rlimits (see top)
bundle() {
	local dir=$1 cg=$2 args=$3
	[ -f "$dir/config.json" ] || "$PODKIT_BUILD/podrun" spec --bundle "$dir" || return 1
	ln -sfn "$WORK/rootfs" "$dir/rootfs"
	jq --arg cg "$cg" --argjson a "$args" \
		'del(.process.rlimits) | .process.terminal = false | .process.args = $a | .linux.cgroupsPath = $cg' \
		"$dir/config.json" >"$dir/c.tmp" && mv "$dir/c.tmp" "$dir/config.json"
}

# ---- podrun ----
vgp "podrun spec" "$VGB/podrun" spec --bundle "$WORK/b1"
bundle "$WORK/b1" "$CGP/$CTR" '["sleep","1000"]'
bundle "$WORK/b2" "$CGP/$RUNC" '["sh","-c","echo run-ok; exit 0"]'
for _ in $(seq 1 "$REPEAT"); do
	vgp "podrun create" "${PODRUN[@]}" create -b "$WORK/b1" "$CTR"
	vgp "podrun start" "${PODRUN[@]}" start "$CTR"
	vgp "podrun state" "${PODRUN[@]}" state "$CTR"
	vgp "podrun list" "${PODRUN[@]}" list
	vgp "podrun exec" "${PODRUN[@]}" exec "$CTR" sh -c 'echo exec-ok'
	vgp "podrun kill" "${PODRUN[@]}" kill "$CTR" KILL
	# kill returns once the signal is sent; delete needs it stopped
	for _ in $(seq 1 100); do
		"$PODKIT_BUILD/podrun" --root "$ST/podrun" state "$CTR" 2>/dev/null | grep -q '"stopped"' && break
		sleep 0.1
	done
	vgp "podrun delete" "${PODRUN[@]}" delete "$CTR"
	vgp "podrun run" "${PODRUN[@]}" run -b "$WORK/b2" "$RUNC"
done

# ---- podnet ----
vgp "podnet bridge add" "${PODNET[@]}" bridge add "$BR" --subnet "$SUBNET"
vgp "podnet netns add" "${PODNET[@]}" netns add "$N1"
vgp "podnet netns add" "${PODNET[@]}" netns add "$N2"
vgp "podnet attach" "${PODNET[@]}" attach --bridge "$BR" --netns "$N1" --id "${TOK}a" --ip "10.235.$NET.10"
vgp "podnet forward add" "${PODNET[@]}" forward add --host-port "$HP1" --to "10.235.$NET.10:80" --id "${TOK}a"
vgp "podnet forward list" "${PODNET[@]}" forward list
vgp "podnet attach --publish" "${PODNET[@]}" attach --bridge "$BR" --netns "$N2" --id "${TOK}b" --publish "$HP2:80"
VETHS=$(cat "$PODNET_STATE_DIR"/leases/*.json 2>/dev/null | sed -n 's/.*"host_veth": *"\([^"]*\)".*/\1/p' | tr '\n' ' ')
vgp "podnet status" "${PODNET[@]}" status

# ---- pod (on the same bridge, before it goes) ----
bundle "$WORK/b3" "" '["sleep","1000"]'
jq 'del(.linux.cgroupsPath)' "$WORK/b3/config.json" >"$WORK/b3/c.tmp" && mv "$WORK/b3/c.tmp" "$WORK/b3/config.json"
vgp "pod create" "${PODCMD[@]}" create "$POD" --bridge "$BR" -p "$HP3:80" --hostname "${TOK}h"
vgp "pod add --name" "${PODCMD[@]}" add --pod "$POD" --name web --rootfs "$WORK/rootfs" -e K=V -- sleep 1000
vgp "pod add BUNDLE" "${PODCMD[@]}" add --pod "$POD" "$WORK/b3"
vgp "pod ps" "${PODCMD[@]}" ps "$POD"
vgp "pod inspect" "${PODCMD[@]}" inspect "$POD"
vgp "pod stop" "${PODCMD[@]}" stop "$POD" -t 1
vgp "pod rm" "${PODCMD[@]}" rm "$POD"

# ---- podnet teardown ----
vgp "podnet detach" "${PODNET[@]}" detach --id "${TOK}a"
vgp "podnet detach" "${PODNET[@]}" detach --id "${TOK}b"
vgp "podnet gc" "${PODNET[@]}" gc
vgp "podnet netns del" "${PODNET[@]}" netns del "$N1"
vgp "podnet netns del" "${PODNET[@]}" netns del "$N2"
vgp "podnet bridge del" "${PODNET[@]}" bridge del "$BR"

# ---- judge ----
if ! vg_wait 60; then
	echo "# still under valgrind after 60 s: $(vg_busy_pids | tr '\n' ' ')"
fi
total_procs=0 total_errors=0 total_def=0 total_supp=0 paths=0
declare -A seen=()
for d in "${VG_NAMES[@]}"; do
	name=$(cat "$VG_LOGS/$d/name")
	read -r procs execd errors defin rc supp < <(vg_judge "$VG_LOGS/$d")
	total_supp=$((total_supp + supp))
	total_procs=$((total_procs + procs))
	total_errors=$((total_errors + errors))
	total_def=$((total_def + defin))
	paths=$((paths + 1))
	desc="$name: $procs processes ($execd exec'd), $errors errors, $defin bytes definitely lost"
	# a repeated path reports once, unless it fails
	if [ "$rc" -eq 0 ] && [ "$errors" -eq 0 ] && [ "$defin" -eq 0 ]; then
		[ -n "${seen[$name]:-}" ] && continue
		seen[$name]=1
		tap_ok "$desc"
	else
		tap_not_ok "$desc, exit $rc"
		vg_report "$VG_LOGS/$d" | sed 's/^/#   /'
	fi
done

# ---- leftovers ----
cleanup_check() {
	local left="" c
	[ -z "$(vg_busy_pids)" ] || left+=" valgrind-processes"
	ip netns list 2>/dev/null | grep -q -e "^$N1\b" -e "^$N2\b" -e "^$POD\b" && left+=" netns"
	ip link show "$BR" >/dev/null 2>&1 && left+=" bridge"
	for l in $VETHS; do ip link show "$l" >/dev/null 2>&1 && left+=" veth:$l"; done
	nft list table ip "pkvt$$" >/dev/null 2>&1 && left+=" nft-table"
	grep -q " $ST" /proc/mounts && left+=" mounts"
	c=$(find /sys/fs/cgroup -type d \( -path "*$CGP/*" -o -name "$POD*" -o -name "$CTR" -o -name "$RUNC" \) 2>/dev/null | tr '\n' ' ')
	[ -z "$c" ] || left+=" cgroups: $c"
	c=$(cd "$ST" && ls -d podrun/* rt/* 2>/dev/null | tr '\n' ' ')
	[ -z "$c" ] || left+=" runtime-state: $c"
	[ -e "$POD_STATE_DIR/$POD" ] && left+=" pod-state"
	[ -e "$PODNET_STATE_DIR/leases/${TOK}a.json" ] && left+=" lease"
	[ -z "$left" ] || { echo "# left behind:$left"; return 1; }
}
# what the CLI paths made, their own removal paths removed
tap_check "the CLI paths left nothing behind (netns, links, nft table, mounts, cgroups, state, processes)" cleanup_check
cleanup
trap - EXIT
left=""
[ -e "$ST" ] && left+=" $ST"
[ "${PODKIT_VG_KEEP:-0}" = 1 ] || { [ -e "$WORK" ] && left+=" $WORK"; }
[ -z "$(vg_busy_pids)" ] || left+=" processes"
if [ -z "$left" ]; then tap_ok "cleanup left nothing"; else tap_not_ok "cleanup left:$left"; fi
[ "${PODKIT_VG_KEEP:-0}" = 1 ] && echo "# logs kept in $VG_LOGS"
echo "# count: valgrind: $paths CLI runs, $total_procs processes checked, $total_errors errors, $total_def bytes definitely lost, $total_supp suppressed (lib/vgfuzz.supp: valgrind 3.19 mount(2) NULL type, libmnl 1.0.4 padding), $((SECONDS - t0)) s"
[ "$VF_FAIL" -eq 0 ]
