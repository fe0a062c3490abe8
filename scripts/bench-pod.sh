#!/usr/bin/env bash
# bench-pod.sh: time to a ready pod (pause up, netns attached, one port
# published) and time per added container for N = 1, 10, 50 containers per
# pod, with `pod` (each RUNTIME) against the same done by hand as in seed
# 000 (runc + ip + nft), and against podman when it is installed.
#
#   scripts/bench-pod.sh [REPS]          (as root, after make; REPS default 5)
# RUNTIMES (default "build/podrun runc crun", those present) picks the runtimes.
# Prints a markdown table: medians of REPS for the ready pod; for `add`, the
# median of the single `pod add` times filling a pod with N containers (N=1:
# REPS pods of one).  Everything is removed on exit.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
B=${PODKIT_BUILD:-$top/build}
REPS=${1:-5}
T=pdb$$
export POD_STATE_DIR=/run/$T POD_RUNTIME_ROOT=/run/$T/runtime
export PODNET_STATE_DIR=/run/${T}net PODNET_NFT_TABLE=$T
BR=${T}br
NET=10.215.99
work=$(mktemp -d "${TMPDIR:-/tmp}/bench-pod.XXXXXX")
MR=$work/manual-root
manual_ids=()

[ "$(id -u)" -eq 0 ] || { echo "bench-pod: run as root" >&2; exit 1; }
# crun refuses this machine's hybrid cgroup layout: as scripts/bench-runtime.sh
# does, everything runs in a private mount namespace where
# /sys/fs/cgroup/unified is unmounted (the host's mount is never touched).
if [ "${BENCH_INNER:-}" != 1 ]; then
	rm -rf "$work"
	exec unshare -m --propagation private env BENCH_INNER=1 "$0" "$@"
fi
if [ "$(readlink /proc/self/ns/mnt)" = "$(readlink /proc/1/ns/mnt)" ]; then
	echo "bench-pod: not in a private mount namespace; refusing to unmount anything" >&2
	exit 1
fi
if mountpoint -q /sys/fs/cgroup/unified; then
	umount /sys/fs/cgroup/unified
fi
for t in ip nft jq runc; do
	command -v "$t" >/dev/null || { echo "bench-pod: $t is not installed" >&2; exit 1; }
done

cleanup() {
	trap "" INT TERM
	set +e
	for p in $(ls "$POD_STATE_DIR" 2>/dev/null); do
		[ -f "$POD_STATE_DIR/$p/pod.json" ] && "$B/pod" rm -f "$p" >/dev/null 2>&1
	done
	for pid in $(cat "$POD_STATE_DIR"/*/pause/pid "$POD_STATE_DIR"/*/containers/*/pid 2>/dev/null); do
		kill -9 "$pid" 2>/dev/null
	done
	for id in "${manual_ids[@]}"; do
		runc --root "$MR" delete -f "$id" >/dev/null 2>&1
	done
	for n in $(ls /var/run/netns 2>/dev/null | grep "^$T"); do
		ip netns del "$n" 2>/dev/null
	done
	for l in $(ip -o link show master "$BR" 2>/dev/null | awk -F': ' '{split($2, a, "@"); print a[1]}'); do
		ip link del "$l" 2>/dev/null
	done
	"$B/podnet" bridge del "$BR" >/dev/null 2>&1
	ip link del "$BR" 2>/dev/null
	nft delete table ip "$T" 2>/dev/null
	nft delete table ip "${T}m" 2>/dev/null
	rm -rf "$POD_STATE_DIR" "$PODNET_STATE_DIR" "$work"
}
trap cleanup EXIT INT TERM

now() { date +%s%N; }
ms() { awk -v ns="$1" 'BEGIN { printf "%.1f", ns / 1e6 }'; }
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

# private copies: a concurrent `make` relinking build/ must not pull the
# binaries from under a running benchmark (and its cleanup)
mkdir -p "$work/bin"
cp "$B/pod" "$B/pod-pause" "$B/podrun" "$B/podnet" "$work/bin/"
B=$work/bin
"$top/scripts/mkrootfs.sh" "$work/rootfs" >/dev/null

runtimes=()
for r in ${RUNTIMES:-$B/podrun runc crun}; do
	command -v "$r" >/dev/null && runtimes+=("$(command -v "$r")")
done

# The bridge exists before any timing (made once, as a host would have it).
"$B/podnet" bridge add "$BR" --subnet "$NET.0/24" >/dev/null

row() { printf '| %-36s | %10s | %10s | %10s | %10s |\n' "$@"; }
echo
row "what" "ready pod" "add, N=1" "add, N=10" "add, N=50"
row "---" "---" "---" "---" "---"

# ---- pod, per runtime ----
pod_bench() { # RUNTIME
	local rt=$1 ready=() i t0 t1 n per=()
	for i in $(seq "$REPS"); do
		t0=$(now)
		"$B/pod" --runtime "$rt" create "${T}r$i" --bridge "$BR" -p "$((19900 + i)):80" >/dev/null
		t1=$(now)
		ready+=($((t1 - t0)))
		"$B/pod" rm -f "${T}r$i" >/dev/null
	done
	for n in 1 10 50; do
		local all=() r
		# N=1 is one sample per pod: REPS pods of one
		for r in $(seq "$([ "$n" = 1 ] && echo "$REPS" || echo 1)"); do
			"$B/pod" --runtime "$rt" create "${T}n$n" --bridge "$BR" >/dev/null
			for i in $(seq "$n"); do
				t0=$(now)
				"$B/pod" --runtime "$rt" add --pod "${T}n$n" --name "c$i" --rootfs "$work/rootfs" -- sleep 1000 >/dev/null
				t1=$(now)
				all+=($((t1 - t0)))
			done
			"$B/pod" rm -f "${T}n$n" >/dev/null
		done
		per+=("$(ms "$(printf '%s\n' "${all[@]}" | median)")")
	done
	row "pod --runtime $(basename "$rt")" "$(ms "$(printf '%s\n' "${ready[@]}" | median)")" "${per[@]}"
}
for rt in "${runtimes[@]}"; do
	pod_bench "$rt"
done

# ---- by hand, seed 000: runc + ip + nft ----
mkdir -p "$work/pause/rootfs/proc" "$work/pause/rootfs/dev" "$MR"
cp "$B/pod-pause" "$work/pause/rootfs/pause"
runc spec --bundle "$work/pause"
jq '.process.args = ["/pause"] | .process.terminal = false | .hostname = "pause"' \
	"$work/pause/config.json" >"$work/c" && mv "$work/c" "$work/pause/config.json"

manual_pod() { # ID NS IP PORT: pause, netns pin, veth, address, DNAT
	local id=$1 ns=$2 ip=$3 port=$4 pid h
	runc --root "$MR" run -d --pid-file "$work/$id.pid" --bundle "$work/pause" "$id" >/dev/null 2>&1
	manual_ids+=("$id")
	pid=$(cat "$work/$id.pid")
	ip netns attach "$ns" "$pid"
	h=${id: -8}h
	ip link add "$h" type veth peer name "${h}c"
	ip link set "$h" master "$BR" up
	ip link set "${h}c" netns "$ns"
	ip -n "$ns" link set "${h}c" name eth0
	ip -n "$ns" addr add "$ip/24" dev eth0
	ip -n "$ns" link set eth0 up
	ip -n "$ns" link set lo up
	ip -n "$ns" route add default via "$NET.1"
	nft add table ip "${T}m"
	nft add chain ip "${T}m" pre '{ type nat hook prerouting priority -100; }'
	nft add rule ip "${T}m" pre tcp dport "$port" dnat to "$ip:80"
}
manual_undo() { # ID NS
	runc --root "$MR" delete -f "$1" >/dev/null 2>&1
	ip netns del "$2"
	nft delete table ip "${T}m"
	ip link del "${1: -8}h" 2>/dev/null || true
}
manual_bundle() { # DIR PID: a busybox sleeper joining the pause's namespaces
	mkdir -p "$1"
	runc spec --bundle "$1"
	jq --arg r "$work/rootfs" --arg p "$2" '.root.path = $r | .process.terminal = false |
	  .process.args = ["sleep", "1000"] | del(.hostname) |
	  .linux.namespaces = [.linux.namespaces[] |
	    if .type == "mount" then . else . + {path: ("/proc/" + $p + "/ns/" +
	      (if .type == "network" then "net" else .type end))} end]' \
		"$1/config.json" >"$1/c" && mv "$1/c" "$1/config.json"
}

ready=()
for i in $(seq "$REPS"); do
	t0=$(now)
	manual_pod "${T}m$i" "${T}mn$i" "$NET.$((200 + i))" $((19950 + i))
	t1=$(now)
	ready+=($((t1 - t0)))
	manual_undo "${T}m$i" "${T}mn$i"
done
per=()
for n in 1 10 50; do
	manual_pod "${T}mp$n" "${T}mpn$n" "$NET.250" 19990
	pid=$(cat "$work/${T}mp$n.pid")
	# bundles written beforehand: only the runs are timed
	for i in $(seq "$n"); do manual_bundle "$work/m$n-$i" "$pid"; done
	all=()
	for i in $(seq "$n"); do
		t0=$(now)
		runc --root "$MR" run -d --bundle "$work/m$n-$i" "${T}mc$n-$i" >/dev/null 2>&1 </dev/null
		t1=$(now)
		all+=($((t1 - t0)))
		manual_ids+=("${T}mc$n-$i")
	done
	per+=("$(ms "$(printf '%s\n' "${all[@]}" | median)")")
	for i in $(seq "$n"); do runc --root "$MR" delete -f "${T}mc$n-$i" >/dev/null 2>&1; done
	manual_undo "${T}mp$n" "${T}mpn$n"
done
row "by hand: runc + ip + nft (seed 000)" "$(ms "$(printf '%s\n' "${ready[@]}" | median)")" "${per[@]}"

# ---- a plain run, for the goal (pod add <= 0.5x crun run) ----
for rt in crun runc; do
	command -v $rt >/dev/null || continue
	mkdir -p "$work/plain"
	[ -f "$work/plain/config.json" ] || {
		runc spec --bundle "$work/plain"
		jq --arg r "$work/rootfs" '.root.path = $r | .process.terminal = false | .process.args = ["true"]' \
			"$work/plain/config.json" >"$work/c" && mv "$work/c" "$work/plain/config.json"
	}
	times=()
	for i in $(seq "$REPS"); do
		t0=$(now)
		$rt --root "$MR" run --bundle "$work/plain" "${T}plain$i" >/dev/null 2>&1 </dev/null
		t1=$(now)
		times+=($((t1 - t0)))
		$rt --root "$MR" delete -f "${T}plain$i" >/dev/null 2>&1 || true
	done
	row "plain \`$rt run\` of \`true\`" "" "$(ms "$(printf '%s\n' "${times[@]}" | median)")" "" ""
done

# ---- the goal, interleaved so load drift hits both alike ----
if command -v crun >/dev/null; then
	"$B/pod" create "${T}g" --bridge "$BR" >/dev/null
	adds=() runs=()
	for i in $(seq $((REPS * 4))); do
		t0=$(now)
		"$B/pod" add --pod "${T}g" --name "g$i" --rootfs "$work/rootfs" -- sleep 1000 >/dev/null
		t1=$(now)
		adds+=($((t1 - t0)))
		t0=$(now)
		crun --root "$MR" run --bundle "$work/plain" "${T}gc$i" >/dev/null 2>&1 </dev/null
		t1=$(now)
		runs+=($((t1 - t0)))
		crun --root "$MR" delete -f "${T}gc$i" >/dev/null 2>&1 || true
	done
	"$B/pod" rm -f "${T}g" >/dev/null
	a=$(printf '%s\n' "${adds[@]}" | median)
	c=$(printf '%s\n' "${runs[@]}" | median)
	echo
	echo "goal, interleaved x$((REPS * 4)): pod add (podrun) $(ms "$a") ms, crun run $(ms "$c") ms:" \
		"$(awk -v a="$a" -v c="$c" 'BEGIN { printf "%.2f", a / c }')x (goal <= 0.5x)"
fi

if command -v podman >/dev/null; then
	# podman with private storage and config, runc (crun refuses this host's
	# hybrid cgroups), the CNI bridge + portmap plugins, and our busybox
	# rootfs imported as the image (no registry): the infra container runs
	# sleep since the default infra image would be pulled.
	pmdir="$work/podman"
	mkdir -p "$pmdir/cni"
	cat >"$pmdir/containers.conf" <<-PMCONF
		[network]
		network_backend = "cni"
		cni_plugin_dirs = ["/usr/lib/cni"]
		network_config_dir = "$pmdir/cni"
		[containers]
		default_ulimits = ["nofile=$(ulimit -Hn):$(ulimit -Hn)", "nproc=4096:4096"]
		[engine]
		cgroup_manager = "cgroupfs"
		events_logger = "file"
	PMCONF
	had_cni_bridge=false
	ip link show cni-podman0 >/dev/null 2>&1 && had_cni_bridge=true
	had_nat=$(nft list tables 2>/dev/null | grep -c -E '^table ip6? nat$' || true)
	pm() { CONTAINERS_CONF="$pmdir/containers.conf" podman --runtime "$(command -v runc)" \
		--root "$pmdir/root" --runroot "$pmdir/runroot" "$@"; }
	tar -C "$work/rootfs" -cf "$pmdir/rootfs.tar" .
	pm import "$pmdir/rootfs.tar" localhost/podkit-bench >/dev/null
	ready=() adds=()
	for i in $(seq "$REPS"); do
		t0=$(now)
		pm pod create --name "${T}pm$i" -p "$((19960 + i)):80" --infra-image localhost/podkit-bench \
			--infra-command "sleep 100000" >/dev/null
		pm pod start "${T}pm$i" >/dev/null
		t1=$(now)
		pm run -d --pod "${T}pm$i" localhost/podkit-bench sleep 100000 >/dev/null
		t2=$(now)
		ready+=($((t1 - t0)))
		adds+=($((t2 - t1)))
		pm pod rm -f -t 0 "${T}pm$i" >/dev/null
	done
	pm rmi -a -f >/dev/null 2>&1 || true
	$had_cni_bridge || ip link del cni-podman0 2>/dev/null || true
	if [ "$had_nat" = 0 ]; then
		nft delete table ip nat 2>/dev/null || true
		nft delete table ip6 nat 2>/dev/null || true
	fi
	pr=$(printf '%s\n' "${ready[@]}" | median)
	pa=$(printf '%s\n' "${adds[@]}" | median)
	row "podman pod create + start (runc, CNI)" "$(ms "$pr")" "$(ms "$pa")" "" ""
	echo "podman: ready pod $(ms "$pr") ms, run --pod $(ms "$pa") ms (median of $REPS)"
else
	echo
	echo "(podman is not installed: no podman row)"
fi
echo
echo "ms; ready pod: median of $REPS; add: median of the adds filling a pod of N; $(nproc) CPUs, $(uname -r)"
