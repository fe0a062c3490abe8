#!/usr/bin/env bash
# Seed 000 ("runc的使用") step by step, with podrun in place of runc:
#   1. a busybox bundle from `spec`, run, list;
#   2. a program bind-mounted at /app (rbind,rw), terminal false, readonly
#      false (a busybox httpd script stands in for the seed's Go program);
#   3. the manual network: a bridge, a veth pair, a named netns
#      (/var/run/netns/NAME) the container joins, DNAT with nft, curl;
#   4. web1 and web2 sharing that netns, started with `run -d ID > ID.out 2>&1`;
#   5. a pause container (busybox sleep for now) whose net/pid/ipc
#      namespaces a web container joins by /proc/PID/ns paths.
# This is the manual way; podnet does the network part later.
#
#   examples/seed-000-shared-netns.sh [WORKDIR]      (as root)
# RUNTIME picks the runtime (default: podrun, then build/podrun); any
# runc-compatible one works (RUNTIME=runc).  EXAMPLE_PREFIX names the kernel
# objects (default ex0<pid>), EXAMPLE_NET the /24 (default 10.213.0).
# Everything made is removed on exit, even on failure.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
RT=${RUNTIME:-podrun}
if ! command -v "$RT" >/dev/null; then
	RT=${PODKIT_BUILD:-$top/build}/podrun
fi
command -v "$RT" >/dev/null || { echo "seed-000: no runtime (set RUNTIME or run make)" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || { echo "seed-000: run as root (bridges, netns, nft)" >&2; exit 1; }
for t in ip nft curl jq; do
	command -v "$t" >/dev/null || { echo "seed-000: $t is not installed" >&2; exit 1; }
done

P=${EXAMPLE_PREFIX:-ex0$$}
NET=${EXAMPLE_NET:-10.213.0}
[ ${#P} -le 12 ] || { echo "seed-000: EXAMPLE_PREFIX longer than 12 characters" >&2; exit 1; }
BR=${P}br                   # the seed's mybr
NS=${P}ns                   # the seed's mycontainer
PAUSE_NS=${P}pa             # the seed's /var/run/netns/abc -> pause's netns
NFT=${P}                    # nft table (ip family) for the DNAT

parent=${1:-${TMPDIR:-/tmp}}
mkdir -p "$parent"
work=$(mktemp -d "$parent/seed-000.XXXXXX")
root=$work/state
ids=()

step() { printf '\n### %s\n' "$*"; }
say() { printf '+ %s\n' "$*"; }
rt() { "$RT" --root "$root" "$@"; }
ok() { printf 'OK: %s\n' "$*"; }

cleanup() {
	local rc=$? id
	# A second signal must not cut the cleanup short.
	trap "" INT TERM
	set +e
	for id in "${ids[@]}"; do
		rt delete -f "$id" >/dev/null 2>&1
	done
	nft delete table ip "$NFT" 2>/dev/null
	rm -f "/var/run/netns/$PAUSE_NS"
	ip netns del "$NS" 2>/dev/null
	ip link del "${P}h0" 2>/dev/null
	ip link del "${P}h1" 2>/dev/null
	ip link del "$BR" 2>/dev/null
	# Mount points under $work would be a runtime's leak: don't rm through them.
	if ! grep -q " $work" /proc/self/mountinfo; then
		rm -rf "$work"
	else
		echo "seed-000: mounts left under $work" >&2
		rc=1
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# wait_http URL: poll until the server answers (bounded).
wait_http() {
	for _ in $(seq 1 200); do
		curl -sf --max-time 2 "$1" && return 0
		sleep 0.05
	done
	echo "seed-000: no answer from $1" >&2
	return 1
}

step "1. a busybox bundle: spec, run, list"
mkdir -p "$work/busybox"
"$top/scripts/mkrootfs.sh" "$work/busybox/rootfs" >/dev/null
say "cd $work/busybox && $RT spec"
(cd "$work/busybox" && "$RT" spec)
cp "$work/busybox/config.json" "$work/spec.json"
# The seed runs an interactive sh; here it runs detached so `list` sees it.
jq '.process.terminal=false | .process.args=["sleep","1000"]' "$work/spec.json" >"$work/busybox/config.json"
ids+=("${P}-abc")
say "$RT run -d ${P}-abc > abc.out 2>&1"
(cd "$work/busybox" && rt run -d "${P}-abc" >"$work/abc.out" 2>&1 </dev/null)
say "$RT list"
rt list | tee "$work/list.out"
head -1 "$work/list.out" | tr -s ' ' | grep -q '^ID PID STATUS BUNDLE CREATED OWNER'
grep -q "^${P}-abc .*running *$work/busybox " "$work/list.out"
ok "abc is running in $work/busybox"
rt kill "${P}-abc" KILL
for _ in $(seq 1 200); do
	[ "$(rt state "${P}-abc" | jq -r .status)" = stopped ] && break
	sleep 0.02
done
rt delete "${P}-abc"

step "2. a program from the host at /app (rbind,rw), terminal false, readonly false"
mkdir -p "$work/app"
# The seed's Go "Hello World" server on :8000 (-p PORT to change it).
cat >"$work/app/main" <<'EOF'
#!/bin/sh
port=8000
[ "${1:-}" = -p ] && port=$2
mkdir -p /tmp/www-$port
echo "Hello World from $(hostname) port $port" >/tmp/www-$port/index.html
echo "listening on :$port"
exec httpd -f -p "$port" -h /tmp/www-$port
EOF
chmod 0755 "$work/app/main"
jq --arg app "$work/app" '.process.terminal=false | .root.readonly=false
	| .mounts += [{destination:"/app", type:"bind", source:$app, options:["rbind","rw"]}]
	| .process.args=["/app/main"]' "$work/spec.json" >"$work/busybox/config.json"
jq '.mounts[-1]' "$work/busybox/config.json"

step "3. the network by hand: bridge, veth, named netns, DNAT"
say "ip link add $BR type bridge; ip addr add $NET.1/24 dev $BR"
ip link add "$BR" type bridge
ip link set "$BR" up
ip addr add "$NET.1/24" dev "$BR"
say "ip link add ${P}h0 type veth peer name ${P}n0; ip netns add $NS"
ip link add "${P}h0" type veth peer name "${P}n0"
ip link set "${P}h0" master "$BR" up
ip netns add "$NS"
ip link set "${P}n0" netns "$NS"
ip -n "$NS" link set "${P}n0" name eth0
ip -n "$NS" addr add "$NET.2/24" dev eth0
ip -n "$NS" link set eth0 up
ip -n "$NS" link set lo up
ip -n "$NS" route add default via "$NET.1"
ip netns exec "$NS" busybox ping -c 1 -W 5 "$NET.1" >/dev/null
ok "the netns reaches the bridge"

jq --arg ns "/var/run/netns/$NS" '.linux.namespaces |= map(if .type == "network" then .path = $ns else . end)' \
	"$work/busybox/config.json" >"$work/c.json" && mv "$work/c.json" "$work/busybox/config.json"
jq -c '.linux.namespaces' "$work/busybox/config.json"
ids+=("${P}-abc")
say "$RT run -d ${P}-abc > abc.out 2>&1   (in /var/run/netns/$NS)"
(cd "$work/busybox" && rt run -d "${P}-abc" >"$work/abc.out" 2>&1 </dev/null)
say "curl http://$NET.2:8000/"
wait_http "http://$NET.2:8000/"
# The seed's iptables PREROUTING DNAT, in nft; the output chain covers curl
# from this host, whose packets never pass prerouting.
say "nft: tcp dport 9999 dnat to $NET.2:8000"
nft -f - <<EOF
table ip $NFT {
	chain prerouting {
		type nat hook prerouting priority dstnat; policy accept;
		ip daddr $NET.1 tcp dport 9999 dnat to $NET.2:8000
	}
	chain output {
		type nat hook output priority -100; policy accept;
		ip daddr $NET.1 tcp dport 9999 dnat to $NET.2:8000
	}
}
EOF
say "curl http://$NET.1:9999/   (the host's address, DNAT to the container)"
out=$(wait_http "http://$NET.1:9999/")
echo "$out"
[[ "$out" == "Hello World from "*"port 8000" ]]
ok "DNAT $NET.1:9999 -> $NET.2:8000 answers"

step "4. web1 and web2 share the netns: run -d ID > ID.out 2>&1"
for w in 1 2; do
	jq --arg p "808$w" '.process.args=["/app/main","-p",$p]' "$work/busybox/config.json" >"$work/c.json"
	mv "$work/c.json" "$work/busybox/config.json"
	ids+=("${P}-web$w")
	say "$RT run -d ${P}-web$w > web$w.out 2>&1"
	(cd "$work/busybox" && rt run -d "${P}-web$w" >"$work/web$w.out" 2>&1 </dev/null)
done
for w in 1 2; do
	out=$(wait_http "http://$NET.2:808$w/")
	echo "$out"
	[[ "$out" == *"port 808$w" ]]
	grep -q "listening on :808$w" "$work/web$w.out"
done
n1=$(readlink "/proc/$(rt state "${P}-web1" | jq -r .pid)/ns/net")
n2=$(readlink "/proc/$(rt state "${P}-web2" | jq -r .pid)/ns/net")
[ "$n1" = "$n2" ] && [ "$n1" = "net:[$(stat -L -c %i "/var/run/netns/$NS")]" ]
ok "web1 and web2 answer on 8081 and 8082 in one netns ($n1); their output is in web1.out, web2.out"
rt list

step "5. a pause container; web3 joins its net, pid and ipc namespaces"
mkdir -p "$work/pause"
cp -al "$work/busybox/rootfs" "$work/pause/rootfs"
jq '.process.terminal=false | .process.args=["sleep","1000000"] | .hostname="pause"' \
	"$work/spec.json" >"$work/pause/config.json"
ids+=("${P}-pause")
say "$RT run -d ${P}-pause > pause.out 2>&1"
(cd "$work/pause" && rt run -d "${P}-pause" >"$work/pause.out" 2>&1 </dev/null)
ppid=$(rt state "${P}-pause" | jq -r .pid)
say "ln -s /proc/$ppid/ns/net /var/run/netns/$PAUSE_NS"
mkdir -p /var/run/netns
ln -s "/proc/$ppid/ns/net" "/var/run/netns/$PAUSE_NS"
ip link add "${P}h1" type veth peer name "${P}n1"
ip link set "${P}h1" master "$BR" up
ip link set "${P}n1" netns "$PAUSE_NS"
ip -n "$PAUSE_NS" link set "${P}n1" name eth0
ip -n "$PAUSE_NS" addr add "$NET.3/24" dev eth0
ip -n "$PAUSE_NS" link set eth0 up
ip -n "$PAUSE_NS" link set lo up
jq --arg p "$ppid" '.process.args=["/app/main","-p","8083"] | del(.hostname)
	| .linux.namespaces = [{type:"pid", path:"/proc/\($p)/ns/pid"}, {type:"network", path:"/proc/\($p)/ns/net"},
		{type:"ipc", path:"/proc/\($p)/ns/ipc"}, {type:"uts", path:"/proc/\($p)/ns/uts"}, {type:"mount"}]' \
	"$work/busybox/config.json" >"$work/c.json"
mv "$work/c.json" "$work/busybox/config.json"
jq -c '.linux.namespaces' "$work/busybox/config.json"
ids+=("${P}-web3")
say "$RT run -d ${P}-web3 > web3.out 2>&1"
(cd "$work/busybox" && rt run -d "${P}-web3" >"$work/web3.out" 2>&1 </dev/null)
out=$(wait_http "http://$NET.3:8083/")
echo "$out"
[[ "$out" == "Hello World from pause port 8083" ]]
wpid=$(rt state "${P}-web3" | jq -r .pid)
for t in net pid ipc uts; do
	a=$(readlink "/proc/$ppid/ns/$t")
	b=$(readlink "/proc/$wpid/ns/$t")
	echo "$t: pause $a web3 $b"
	[ "$a" = "$b" ]
done
# Inside the shared pid namespace the pause process is pid 1.
say "nsenter -t $wpid -p -m ps -o pid,args   (web3's view)"
nsenter -t "$wpid" -p -m ps -o pid,args | tee "$work/ps.out"
grep -Eq '^ *1 +sleep 1000000' "$work/ps.out"
ok "web3 shares pause's net, pid, ipc and uts namespaces"

rt list
step "done: cleaning up"
