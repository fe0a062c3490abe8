#!/bin/bash
# Fault injection (issue 6): fail the K-th mount / clone / setns / netlink
# send / nft batch / write of podrun create, podrun run -d, podnet attach,
# podnet attach --publish, podnet forward add, pod create and pod add, for
# every K the operation reaches.  After each injected failure: a non-zero
# exit, one clear tool-prefixed line on stderr that carries the injected
# errno, nothing of the operation left (state files, mounts, cgroups, links,
# netns, leases, nft rules and map elements, processes), and the same
# operation then succeeds without the fault.
#
# The shim (fault/fault.c) is linked into a separate build, build-fault/,
# with ld --wrap; build/ never contains it.  Counting is global over the
# operation's process tree (see fault.c).  TAP on stdout, one line per
# (operation, kind of call).
#
# Knobs: FAULT_MAX_K (0: every K; else at most that many K per kind),
# FAULT_OPS / FAULT_KINDS (space-separated subsets), FAULT_RECHECK (1: run
# the operation without fault after every failure; 0: only once per kind),
# FAULT_BUILD (dir of the fault build, default $PODKIT_TOP/build-fault),
# FAULT_SETTLE (seconds to wait for background work before calling a
# difference a leak, default 5), FAULT_VERBOSE=1 (every message as # lines).
set -u
TOP=${PODKIT_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
FB=${FAULT_BUILD:-$TOP/build-fault}
TOK=pkf$(($$ % 10000))
W=/run/$TOK
BR=${TOK}br
TABLE=$TOK
SUBNET=10.231.$(($$ % 250)).0/24
NET3=${SUBNET%.0/24}
PORT0=$((23000 + ($$ % 90) * 10))
FF=$W/fault.counters
FAULT_MAX_K=${FAULT_MAX_K:-0}
FAULT_RECHECK=${FAULT_RECHECK:-1}
OPS_ALL="podrun_create podrun_run podnet_attach podnet_publish podnet_forward pod_create pod_add"
FAULT_OPS=${FAULT_OPS:-$OPS_ALL}
# shellcheck source=lib/fault.bash
. "$TOP/tests/reliability/lib/fault.bash"
FAULT_KINDS=${FAULT_KINDS:-$FAULT_KINDS_ALL}

export PODNET_STATE_DIR=$W/net PODNET_NFT_TABLE=$TABLE
export POD_STATE_DIR=$W/pods POD_RUNTIME_ROOT=$W/pods/runtime POD_PAUSE=$FB/pod-pause
unset PODKIT_FAULT PODKIT_FAULT_FILE PODKIT_FAULT_TRACE

# every command under a timeout: a hang is a finding, not a stuck CI
TMO="timeout -k 3 ${FAULT_OP_TIMEOUT:-60}"
PODRUN="$TMO $FB/podrun"
PODNET="$TMO $FB/podnet"
POD="$TMO $FB/pod"
RT="$PODRUN --root $W/podrun"
FAILED=0
T0=$SECONDS

tap() { # ok|not ok, description
	echo "$1 - $2"
	[ "$1" = ok ] || FAILED=1
}

# ---- cleanup of everything of ours (trap) ----
cleanup() {
	local p n l i
	set +e
	# containers first (their cgroups and mounts), then pods, then net
	for i in $($RT list -q 2>/dev/null); do $RT delete -f "$i" >/dev/null 2>&1; done
	for p in $(ls "$W/pods" 2>/dev/null | grep "^$TOK"); do
		$POD rm -f "$p" >/dev/null 2>&1
	done
	for i in $($PODRUN --root "$W/pods/runtime" list -q 2>/dev/null); do
		$PODRUN --root "$W/pods/runtime" delete -f "$i" >/dev/null 2>&1
	done
	# processes of ours left by a bug (never the script itself)
	for p in $(procs_of_ours | awk '{print $1}'); do
		[ "$p" != $$ ] && kill -KILL "$p" 2>/dev/null
	done
	sleep 0.2
	for n in $(ip netns list 2>/dev/null | awk '{print $1}' | grep "^$TOK"); do
		ip netns del "$n" 2>/dev/null || { umount -l "/var/run/netns/$n" 2>/dev/null; rm -f "/var/run/netns/$n"; }
	done
	for l in $(ip -o link show 2>/dev/null | awk -F': ' '{split($2, a, "@"); print a[1]}' | grep -xF -f "$W/mylinks" 2>/dev/null); do
		ip link del "$l" 2>/dev/null
	done
	nft delete table ip "$TABLE" 2>/dev/null
	grep -e "$W" /proc/self/mountinfo 2>/dev/null | awk '{print $5}' | sort -r | while read -r m; do
		umount -l "$m" 2>/dev/null
	done
	for i in 1 2 3; do
		find /sys/fs/cgroup -mindepth 1 -maxdepth 6 -depth -type d -path "*/$TOK*" -exec rmdir {} \; 2>/dev/null
	done
	rm -rf "$W"
}

# leftovers of the whole script: a `not ok` if anything of ours stays
final_leak_check() {
	local left=""
	[ -e "$W" ] && left="$left workdir"
	ip netns list 2>/dev/null | grep -q "^$TOK" && left="$left netns"
	ip -o link show 2>/dev/null | awk -F': ' '{split($2, a, "@"); print a[1]}' |
		grep -qxF -e "$BR" $(veth_names "${TOK}a1" "${TOK}a2" "${TOK}p0" "${TOK}p1" | sed 's/^/-e /') && left="$left links"
	nft list tables 2>/dev/null | grep -q "$TOK" && left="$left nft"
	grep -q "$W" /proc/self/mountinfo && left="$left mounts"
	[ -n "$(find /sys/fs/cgroup -maxdepth 6 -type d -name "$TOK*" 2>/dev/null)" ] && left="$left cgroups"
	[ -n "$(procs_of_ours | awk -v me=$$ '$1 != me')" ] && left="$left processes"
	if [ -z "$left" ]; then tap ok "fault: nothing of $TOK left after the run"; else tap "not ok" "fault: left after the run:$left"; fi
}

trap 'cleanup; exit 130' INT TERM
trap cleanup EXIT

mkdir -p "$W" || exit 1
echo "# fault injection: token $TOK, work dir $W, subnet $SUBNET, ports $PORT0.."
if ! fault_build; then
	tap "not ok" "fault: build $FB with the shim"
	echo "# count: fault injection: 0 failure points (build failed)"
	exit 1
fi

# ---- fixtures ----
ROOTFS=$W/rootfs
mkdir -p "$ROOTFS" "$W/podrun" && "$TOP/scripts/mkrootfs.sh" "$ROOTFS" >/dev/null 2>&1 || {
	tap "not ok" "fault: rootfs from scripts/mkrootfs.sh"
	exit 1
}
# One bundle per podrun operation: all default mounts plus a tmpfs and a
# read-only bind; pid, ipc, uts, mount namespaces of its own and the
# network namespace joined by path (setns); a cgroup with limits and the
# default device rules; a createRuntime hook (a fork in the runtime).
make_bundle() { # DIR ID
	mkdir -p "$1" && (cd "$1" && $PODRUN spec) || return 1
	jq --arg r "$ROOTFS" --arg cg "/$TOK/$2" --arg ns "/var/run/netns/${TOK}n1" '
	  .root.path = $r | .process.args = ["sleep", "1000"] | .process.terminal = false
	  | .linux.cgroupsPath = $cg
	  | .linux.resources.memory = {"limit": 67108864} | .linux.resources.pids = {"limit": 64}
	  | .linux.namespaces = [.linux.namespaces[] | if .type == "network" then .path = $ns else . end]
	  | .hooks = {"createRuntime": [{"path": "/bin/true"}]}
	  | .mounts += [{"destination": "/data", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "size=1m"]},
	                {"destination": "/etc/host.ro", "type": "bind", "source": "/etc/hostname", "options": ["bind", "ro"]}]
	' "$1/config.json" >"$1/config.tmp" && mv "$1/config.tmp" "$1/config.json"
}
: >"$W/mylinks"
echo "$BR" >>"$W/mylinks"
veth_names "${TOK}a1" "${TOK}a2" "${TOK}p0" "${TOK}p1" >>"$W/mylinks"

setup_ok=1
make_bundle "$W/bc" c1 && make_bundle "$W/br" r1 || setup_ok=0
$PODNET netns add "${TOK}n1" && $PODNET netns add "${TOK}n2" && $PODNET netns add "${TOK}n3" || setup_ok=0
$PODNET bridge add "$BR" --subnet "$SUBNET" || setup_ok=0
$POD create "${TOK}p0" --bridge "$BR" || setup_ok=0
if [ $setup_ok = 0 ]; then
	tap "not ok" "fault: fixtures (bundles, netns, bridge $BR, pod ${TOK}p0)"
	echo "# count: fault injection: 0 failure points (fixtures failed)"
	final_leak_check
	exit 1
fi

# ---- operations: op_NAME runs it; undo_NAME takes a success back ----
# podrun delete, like runc's, leaves the parent cgroup of cgroupsPath (it
# cannot know whether it made it); a failed create must remove what it made,
# so the baseline has no parent: the undo of a success takes it.
parent_cgroups_rm() { rmdir /sys/fs/cgroup/*/"$TOK" 2>/dev/null; return 0; }
op_podrun_create() { $RT create --bundle "$W/bc" "${TOK}c1"; }
undo_podrun_create() { $RT delete -f "${TOK}c1" && parent_cgroups_rm; }
op_podrun_run() { $RT run -d --bundle "$W/br" "${TOK}r1" </dev/null >/dev/null; }
undo_podrun_run() { $RT delete -f "${TOK}r1" && parent_cgroups_rm; }
op_podnet_attach() { $PODNET attach --bridge "$BR" --netns "${TOK}n2" --id "${TOK}a1"; }
undo_podnet_attach() { $PODNET detach --id "${TOK}a1"; }
op_podnet_publish() {
	$PODNET attach --bridge "$BR" --netns "${TOK}n3" --id "${TOK}a2" \
		--publish "$((PORT0 + 1)):80" --publish "$((PORT0 + 2))-$((PORT0 + 3)):81-82/udp"
}
undo_podnet_publish() { $PODNET detach --id "${TOK}a2"; }
op_podnet_forward() { $PODNET forward add --host-port "$((PORT0 + 4))" --to "$NET3.77:80" --id "${TOK}f1"; }
undo_podnet_forward() { $PODNET forward del --id "${TOK}f1"; }
op_pod_create() { $POD create "${TOK}p1" --bridge "$BR" -p "$((PORT0 + 5)):80"; }
undo_pod_create() { $POD rm -f "${TOK}p1"; }
op_pod_add() { $POD add --pod "${TOK}p0" --name w1 --rootfs "$ROOTFS" -- sleep 1000; }
# pod has no per-container rm: the pod is made again (a new baseline)
undo_pod_add() { $POD rm -f "${TOK}p0" && $POD create "${TOK}p0" --bridge "$BR"; }
rebaseline_pod_add=1

tool_of() { case $1 in podrun_*) echo podrun ;; podnet_*) echo podnet ;; pod_*) echo pod ;; esac; }
label_of() { echo "$1" | sed 's/_/ /; s/publish/attach --publish/; s/forward/forward add/; s/run$/run -d/'; }

# check_message OP KIND FILE RC: why the message is not clear, or nothing.
# One line, "TOOL: ", carrying the injected errno's text; exit 1..125.
# KNOWN limitation, counted apart and listed in the summary: an init that
# fails after create has returned (its write to exec.fifo, waiting for
# start) can report only on its stderr; run then says "container init
# exited before start" after the init's line, and pod, which shows the
# runtime's last line, loses the cause.
check_message() {
	local op=$1 kind=$2 f=$3 rc=$4 n tool
	tool=$(tool_of "$op")
	n=$(grep -c '' "$f")
	[ "$rc" -lt 126 ] || { echo "exit $rc (a signal or exec failure)"; return; }
	[ "$n" -ge 1 ] || { echo "no message on stderr"; return; }
	grep -qiE 'sanitizer|runtime error|segmentation|core dumped|assert|panic' "$f" && { echo "crash trace: $(head -c 200 "$f")"; return; }
	[ "$rc" != 124 ] || { echo "timed out (${FAULT_OP_TIMEOUT:-60} s)"; return; }
	if [[ "$site" =~ ^child_main ]] && grep -q "container init exited before start$" "$f"; then
		# known: see KNOWN below; one line for pod, the init's line + run's for podrun
		KNOWN=$((KNOWN + 1))
		[ "$op" != podrun_run ] || [ "$n" -ne 2 ] || n=1
		[ "$(tail -n 1 "$f" | cut -d: -f1)" = "$tool" ] && [ "$n" -eq 1 ] && return
	fi
	[ "$n" -eq 1 ] || { echo "$n lines on stderr: $(tr '\n' '|' <"$f" | head -c 300)"; return; }
	grep -q "^$tool: " "$f" || { echo "not prefixed '$tool: ': $(head -c 200 "$f")"; return; }
	grep -qF "$(errno_text "$kind")" "$f" || { echo "does not carry the cause ($(errno_text "$kind")): $(head -c 200 "$f")"; return; }
}

# Failures the code tolerates by design (exit 0, the operation complete),
# a regexp on fault_site's "site <caller <caller..." line:
# - the IPAM hint, the last address handed out (ipam.c: "only a hint: a
#   short or failed write just costs a longer scan");
# - the pod monitor's monitor.pid, written first thing for `pod rm -f` of a
#   pod killed mid-add (podmon.c); the container record has the pid too.
FAULT_TOLERATED=${FAULT_TOLERATED:-'^(reserve_in|ipam_reserve) at ipam\.c|^write_all at util\.c:[0-9]+ \(inlined by\) file_write_atomic at util\.c:[0-9]+ <monitor_main at podmon\.c'}

# undo_and_settle OP WHAT: take a success back, compare with the baseline
# (pod add makes its pod again: a new baseline).  Non-zero: a difference.
undo_and_settle() {
	local op=$1 what=$2
	"undo_$op" >/dev/null 2>"$W/err.undo" || echo "# $(label_of "$op"): undo after $what failed: $(head -c 300 "$W/err.undo")"
	if [ "$op" = pod_add ]; then
		settle_quiet
		snapshot >"$W/base.$op"
		return 0
	fi
	settle "$W/base.$op" "$W/diff" && return 0
	echo "# $(label_of "$op"): after $what and its undo, changed:"
	sed 's/^/#   /' "$W/diff" | head -20
	snapshot >"$W/base.$op"
	return 1
}
# wait until no podnet of ours works in the background
settle_quiet() {
	local end=$((SECONDS + ${FAULT_SETTLE:-5}))
	while procs_of_ours | grep -q " exe $FB/podnet\$" && [ $SECONDS -lt $end ]; do sleep 0.05; done
}

TOTAL=0 TOLERATED=0 KNOWN=0
SUMMARY=""
for op in $FAULT_OPS; do
	tool=$(tool_of "$op")
	label=$(label_of "$op")
	# warm-up: what a first success leaves for good (the forwards index
	# dir, lo up in a fixture netns) belongs in the baseline
	if ! "op_$op" >/dev/null 2>"$W/err"; then
		tap "not ok" "$label: runs without fault: $(head -c 300 "$W/err")"
		continue
	fi
	"undo_$op" >/dev/null 2>&1
	settle_quiet
	snapshot >"$W/base.$op"
	for kind in $FAULT_KINDS; do
		k=0 points=0 bad=0 tol=0 reached_end=0
		while :; do
			k=$((k + 1))
			[ "$FAULT_MAX_K" -gt 0 ] && [ "$k" -gt "$FAULT_MAX_K" ] && break
			fault_file_reset
			PODKIT_FAULT_FILE=$FF PODKIT_FAULT=$kind:$k "op_$op" 2>"$W/err" >/dev/null
			rc=$?
			fault_disarm
			hits=$(fault_hits)
			if [ "$hits" = 0 ]; then
				# the operation no longer reaches the K-th call: it ran clean
				reached_end=1
				if [ $rc -ne 0 ]; then
					bad=$((bad + 1))
					echo "# $label: $kind: without a fault (K=$k, past its $((k - 1)) calls) it fails: $(head -c 300 "$W/err")"
				fi
				undo_and_settle "$op" "the run past the last $kind" || bad=$((bad + 1))
				break
			fi
			points=$((points + 1))
			site=$(fault_site)
			[ "${FAULT_VERBOSE:-0}" = 1 ] && echo "# $label: $kind:$k rc=$rc at $site: $(tr '\n' '|' <"$W/err" | head -c 300)"
			if [ $rc -eq 0 ]; then
				if [[ "$site" =~ $FAULT_TOLERATED ]]; then
					tol=$((tol + 1))
				else
					bad=$((bad + 1))
					echo "# $label: $kind:$k (at $site): exit 0 although the call failed"
				fi
				undo_and_settle "$op" "$kind:$k (tolerated)" || bad=$((bad + 1))
				continue
			fi
			k0=$KNOWN
			check_message "$op" "$kind" "$W/err" "$rc" >"$W/why"
			why=$(cat "$W/why")
			[ $KNOWN = $k0 ] || echo "# $label: $kind:$k (at $site): known limitation: $(tr '\n' '|' <"$W/err" | head -c 300)"
			if [ -n "$why" ]; then
				bad=$((bad + 1))
				echo "# $label: $kind:$k (at $site): unclear failure: $why"
			fi
			if [ "$op" = pod_add ]; then settle_quiet; fi
			if ! settle "$W/base.$op" "$W/diff"; then
				bad=$((bad + 1))
				echo "# $label: $kind:$k (at $site): left behind (rc=$rc, $(tr '\n' '|' <"$W/err" | head -c 200)):"
				sed 's/^/#   /' "$W/diff" | head -20
				# take it back so that the next K starts clean
				"undo_$op" >/dev/null 2>&1
				settle_quiet
				snapshot >"$W/base.$op"
			fi
			if [ "$FAULT_RECHECK" = 1 ] || [ "$k" = 1 ]; then
				if ! "op_$op" >/dev/null 2>"$W/err.re"; then
					bad=$((bad + 1))
					echo "# $label: $kind:$k (at $site): the same operation without fault then fails: $(head -c 300 "$W/err.re")"
				fi
				undo_and_settle "$op" "the recheck of $kind:$k" || bad=$((bad + 1))
			fi
		done
		TOTAL=$((TOTAL + points))
		TOLERATED=$((TOLERATED + tol))
		SUMMARY="$SUMMARY $op/$kind=$points"
		scope="every K"
		[ $reached_end = 1 ] || scope="first $points K (FAULT_MAX_K)"
		extra=""
		[ $tol -gt 0 ] && extra=" ($tol tolerated by design, see FAULT_TOLERATED)"
		if [ $bad -eq 0 ] && [ $points -eq 0 ]; then
			tap ok "$label: $kind: no such call (0 failure points), runs clean"
		elif [ $bad -eq 0 ]; then
			tap ok "$label: $kind: $points failure points ($scope)$extra: non-zero exit, one clear line, nothing left, then succeeds"
		else
			tap "not ok" "$label: $kind: $bad problems in $points failure points ($scope)"
		fi
	done
done

echo "# count: fault injection: $TOTAL failure points, $TOLERATED tolerated by design, $KNOWN known-limitation messages ($(echo "$FAULT_OPS" | wc -w) operations x $(echo "$FAULT_KINDS" | wc -w) call kinds) in $((SECONDS - T0)) s"
echo "# per operation/kind:$SUMMARY"
trap - EXIT
cleanup
final_leak_check
exit $FAILED
