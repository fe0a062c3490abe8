#!/usr/bin/env bash
# bench-net.sh: per-container network set-up and tear-down time, median, for
#   podnet     `podnet attach` + `podnet forward add` / `podnet detach`
#   cni        Debian's CNI bridge + host-local + portmap plugins, called
#              through their stdin/env protocol (CNI_COMMAND=ADD/DEL ...)
#   ip+nft     the equivalent `ip` and `nft` shell commands
# for N containers each (default N = 10 30 100 500; the goal compares at 30).  The N named netns are made
# up front and not timed; each method sets up all N, then tears all N down.
#   scripts/bench-net.sh [N...]        (as root, after `make`)
# Everything it makes carries the prefix nlbn<pid> and is removed on exit.
# Prints one table with ratios against podnet (podnet-attach and
# podnet-forward split podnet's "up" into its two commands).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
podnet=${PODNET_BIN:-${PODKIT_BUILD:-$top/build}/podnet}
cni=${CNI_PATH:-/usr/lib/cni}
ns_list=("$@")
[ ${#ns_list[@]} -gt 0 ] || ns_list=(10 30 100 500)
[ -x "$podnet" ] || { echo "bench-net: $podnet missing: run make first" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || { echo "bench-net: needs root" >&2; exit 1; }

tok=nlbn$$
state=/run/$tok
export PODNET_STATE_DIR=$state PODNET_NFT_TABLE=$tok
work=$(mktemp -d /tmp/$tok.XXXXXX)
state_tmpfs=0
have_cni=1
[ -x "$cni/bridge" ] && [ -x "$cni/host-local" ] || have_cni=0
have_portmap=1
{ [ -x "$cni/portmap" ] && command -v iptables >/dev/null; } || have_portmap=0

# CNI's portmap leaves its top-level iptables chains (CNI-HOSTPORT-*) behind
# by design; the iptables-nft tables are removed again if this run made them.
had_nat4=0 had_nat6=0
nft list table ip nat >/dev/null 2>&1 && had_nat4=1
nft list table ip6 nat >/dev/null 2>&1 && had_nat6=1

cleanup() {
	set +e
	[ $had_nat4 = 1 ] || nft delete table ip nat 2>/dev/null
	[ $had_nat6 = 1 ] || nft delete table ip6 nat 2>/dev/null
	for n in $(ls /var/run/netns 2>/dev/null | grep "^$tok"); do ip netns del "$n"; done
	for l in $(ip -o link show 2>/dev/null | awk -F': ' '{split($2, a, "@"); print a[1]}' | grep -e "^$tok" -e "^vh$tok"); do
		ip link del "$l" 2>/dev/null
	done
	"$podnet" bridge del "${tok}p" >/dev/null 2>&1
	nft delete table ip "$tok" 2>/dev/null
	nft delete table ip "${tok}s" 2>/dev/null
	[ $state_tmpfs = 0 ] || umount "$state"
	rm -rf "$state" "$work"
}
trap cleanup EXIT
# podnet's leases and CNI's host-local IPAM keep their records under $state.
# /run is a tmpfs on a real host; where it is not (a container on ext4),
# the state dir gets one of its own, so that the figures do not measure the
# disk file system's inode allocator and discards instead of the tools.
if [ "$(stat -f -c %T /run)" != tmpfs ]; then
	mkdir -p "$state"
	mount -t tmpfs -o size=64m,mode=0755 "$tok" "$state" && state_tmpfs=1
fi

# Timestamps come from $EPOCHREALTIME directly and command output goes to
# files: a $(...) would add a subshell fork to every measured interval.

# median of the numbers (microseconds) in file $1, printed in ms
median_ms() {
	sort -n "$1" | awk '{v[NR]=$1} END {if (NR==0) {print "-"; exit}
		m = (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2; printf "%.2f", m/1000}'
}

# --- podnet ---
podnet_run() { # N
	local n=$1 i t0 tm t1 ip
	"$podnet" bridge add "${tok}p" --subnet 10.201.0.0/16 >/dev/null
	: >"$work/podnet.up"
	: >"$work/podnet.down"
	: >"$work/podnet-attach.up"
	: >"$work/podnet-forward.up"
	for ((i = 1; i <= n; i++)); do
		t0=${EPOCHREALTIME/./}
		"$podnet" attach --bridge "${tok}p" --netns "${tok}n$i" >"$work/ip"
		tm=${EPOCHREALTIME/./}
		read -r ip <"$work/ip"
		"$podnet" forward add --host-port $((20000 + i)) --to "$ip:80" --id "${tok}n$i" >/dev/null
		t1=${EPOCHREALTIME/./}
		echo $((t1 - t0)) >>"$work/podnet.up"
		echo $((tm - t0)) >>"$work/podnet-attach.up"
		echo $((t1 - tm)) >>"$work/podnet-forward.up"
	done
	for ((i = 1; i <= n; i++)); do
		t0=${EPOCHREALTIME/./}
		"$podnet" detach --netns "${tok}n$i"
		t1=${EPOCHREALTIME/./}
		echo $((t1 - t0)) >>"$work/podnet.down"
	done
	"$podnet" bridge del "${tok}p"
	# the same work in one command: attach --publish (attach + forward)
	"$podnet" bridge add "${tok}p" --subnet 10.201.0.0/16 >/dev/null
	: >"$work/podnet-1cmd.up"
	: >"$work/podnet-1cmd.down"
	for ((i = 1; i <= n; i++)); do
		t0=${EPOCHREALTIME/./}
		"$podnet" attach --bridge "${tok}p" --netns "${tok}n$i" --publish "$((20000 + i)):80" >/dev/null
		t1=${EPOCHREALTIME/./}
		echo $((t1 - t0)) >>"$work/podnet-1cmd.up"
	done
	for ((i = 1; i <= n; i++)); do
		t0=${EPOCHREALTIME/./}
		"$podnet" detach --netns "${tok}n$i"
		t1=${EPOCHREALTIME/./}
		echo $((t1 - t0)) >>"$work/podnet-1cmd.down"
	done
	"$podnet" bridge del "${tok}p"
}

# --- CNI plugins ---
cni_conf_bridge() {
	cat <<J
{"cniVersion":"1.0.0","name":"$tok","type":"bridge","bridge":"${tok}c","isGateway":true,"ipMasq":false,
 "ipam":{"type":"host-local","subnet":"10.202.0.0/16","dataDir":"$state/cni"}}
J
}
# cni_conf_portmap VAR FILE PORT: the portmap config with FILE's result as
# prevResult, into VAR (builtins only: no fork inside a measured interval)
cni_conf_portmap() {
	local res
	IFS= read -r -d '' res <"$2" || true
	printf -v "$1" '{"cniVersion":"1.0.0","name":"%s","type":"portmap","capabilities":{"portMappings":true},"runtimeConfig":{"portMappings":[{"hostPort":%d,"containerPort":80,"protocol":"tcp"}]},"prevResult":%s}' "$tok" "$3" "$res"
}
cni_call() { # plugin command id conf
	CNI_COMMAND=$2 CNI_CONTAINERID=$3 CNI_NETNS=/var/run/netns/$3 CNI_IFNAME=eth0 CNI_PATH=$cni \
		"$cni/$1" <<<"$4"
}
cni_run() {
	local n=$1 i t0 t1 conf_bridge pm
	conf_bridge=$(cni_conf_bridge)
	: >"$work/cni.up"
	: >"$work/cni.down"
	for ((i = 1; i <= n; i++)); do
		t0=${EPOCHREALTIME/./}
		cni_call bridge ADD "${tok}n$i" "$conf_bridge" >"$work/cni.res.$i"
		if [ $have_portmap = 1 ]; then
			cni_conf_portmap pm "$work/cni.res.$i" $((20000 + i))
			cni_call portmap ADD "${tok}n$i" "$pm" >/dev/null
		fi
		t1=${EPOCHREALTIME/./}
		echo $((t1 - t0)) >>"$work/cni.up"
	done
	for ((i = 1; i <= n; i++)); do
		[ $have_portmap = 1 ] && cni_conf_portmap pm "$work/cni.res.$i" $((20000 + i))
		t0=${EPOCHREALTIME/./}
		[ $have_portmap = 1 ] && cni_call portmap DEL "${tok}n$i" "$pm" >/dev/null
		cni_call bridge DEL "${tok}n$i" "$conf_bridge" >/dev/null
		t1=${EPOCHREALTIME/./}
		echo $((t1 - t0)) >>"$work/cni.down"
	done
	ip link del "${tok}c" 2>/dev/null || true
}

# --- ip + nft shell ---
shell_run() {
	local n=$1 i t0 t1 ip h
	ip link add "${tok}s" type bridge
	ip addr add 10.203.0.1/16 dev "${tok}s"
	ip link set "${tok}s" up
	nft add table ip "${tok}s"
	nft add chain ip "${tok}s" pre '{ type nat hook prerouting priority -100; }'
	: >"$work/shell.up"
	: >"$work/shell.down"
	for ((i = 1; i <= n; i++)); do
		ip=10.203.$((i / 250)).$((i % 250 + 2))
		t0=${EPOCHREALTIME/./}
		ip link add "vh${tok}$i" type veth peer name eth0 netns "${tok}n$i"
		ip link set "vh${tok}$i" master "${tok}s" up
		ip -n "${tok}n$i" addr add "$ip/16" dev eth0
		ip -n "${tok}n$i" link set eth0 up
		ip -n "${tok}n$i" link set lo up
		ip -n "${tok}n$i" route add default via 10.203.0.1
		nft -e -a add rule ip "${tok}s" pre tcp dport $((20000 + i)) dnat to "$ip:80" >"$work/shell.h.$i"
		t1=${EPOCHREALTIME/./}
		echo $((t1 - t0)) >>"$work/shell.up"
	done
	for ((i = 1; i <= n; i++)); do
		h=$(sed -n 's/.*# handle \([0-9]*\).*/\1/p' "$work/shell.h.$i")
		t0=${EPOCHREALTIME/./}
		nft delete rule ip "${tok}s" pre handle "$h"
		ip link del "vh${tok}$i"
		t1=${EPOCHREALTIME/./}
		echo $((t1 - t0)) >>"$work/shell.down"
	done
	nft delete table ip "${tok}s"
	ip link del "${tok}s"
}

for r in 10.201.0.0/16 10.202.0.0/16 10.203.0.0/16; do
	if ip route show "$r" | grep -q .; then
		echo "bench-net: a route to $r exists already; the benchmark needs it free" >&2
		exit 1
	fi
done

echo "# bench-net: $(nproc) CPUs, kernel $(uname -r), $(date -u +%FT%TZ), load $(cut -d' ' -f1-3 /proc/loadavg)"
[ $state_tmpfs = 0 ] || echo "# /run is not a tmpfs here: state dir $state on a tmpfs of its own"
[ $have_cni = 1 ] || echo "# CNI plugins not found in $cni: CNI skipped"
[ $have_portmap = 1 ] || echo "# portmap or iptables missing: CNI measured without portmap"
printf '%-6s %-15s %12s %12s %10s\n' N method "up ms" "down ms" "up ratio"
for n in "${ns_list[@]}"; do
	for ((i = 1; i <= n; i++)); do ip netns add "${tok}n$i"; done
	podnet_run "$n"
	[ $have_cni = 1 ] && cni_run "$n"
	shell_run "$n"
	for ((i = 1; i <= n; i++)); do ip netns del "${tok}n$i"; done
	pu=$(median_ms "$work/podnet.up")
	for m in podnet podnet-attach podnet-forward podnet-1cmd cni shell; do
		[ -s "$work/$m.up" ] || continue
		u=$(median_ms "$work/$m.up")
		d=-
		[ -s "$work/$m.down" ] && d=$(median_ms "$work/$m.down")
		label=$m
		[ $m = shell ] && label=ip+nft
		[ $m = cni ] && [ $have_portmap = 0 ] && label=cni-noport
		printf '%-6s %-15s %12s %12s %9sx\n' "$n" "$label" "$u" "$d" "$(awk -v a="$u" -v b="$pu" 'BEGIN {printf "%.1f", a / b}')"
	done
	rm -f "$work"/*.up "$work"/*.down "$work"/cni.res.* "$work"/shell.h.*
done
