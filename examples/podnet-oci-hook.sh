#!/usr/bin/env bash
# Any OCI runtime networks its containers with `podnet hook`: config.json
# names it as createRuntime hook (attach the container's netns, from its
# pid, to a bridge and publish a port) and as poststop hook (detach).  Here
# runc or crun (Debian's) runs a busybox httpd; the host reaches it on the
# published port; after `delete` nothing of it remains.
#   examples/podnet-oci-hook.sh [runc|crun]     (as root, after `make`)
# Environment: SUBNET (default 10.13.0.0/24), PORT (default 9998).
# crun refuses a hybrid cgroup v1+v2 layout: on such a host each crun call
# runs in a private mount namespace without /sys/fs/cgroup/unified.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
podnet=${PODNET_BIN:-${PODKIT_BUILD:-$top/build}/podnet}
[ -x "$podnet" ] || { echo "example: $podnet missing: run make first" >&2; exit 1; }
runtime=${1:-runc}
subnet=${SUBNET:-10.13.0.0/24}
port=${PORT:-9998}
tag=${EXAMPLE_TAG:-pnex$$}
br=${tag}br id=${tag}c
export PODNET_STATE_DIR=${PODNET_STATE_DIR:-/run/$tag}
export PODNET_NFT_TABLE=${PODNET_NFT_TABLE:-$tag}
work=$(mktemp -d /tmp/$tag.XXXXXX)
rt() {
	if [ "$runtime" = crun ] && [ -d /sys/fs/cgroup/unified ] && [ -d /sys/fs/cgroup/memory ]; then
		unshare -m sh -c 'umount -l /sys/fs/cgroup/unified 2>/dev/null; exec crun --root "$0" "$@"' "$work/state" "$@"
	else
		"$runtime" --root "$work/state" "$@"
	fi
}
cleanup() {
	set +e
	rt delete -f "$id" >/dev/null 2>&1
	"$podnet" bridge del "$br" 2>/dev/null
	rm -rf "$work" "/run/$tag"
}
trap cleanup EXIT
say() { echo "+ $*" >&2; "$@"; }

say "$podnet" bridge add "$br" --subnet "$subnet"
"$top/scripts/mkrootfs.sh" "$work/bundle/rootfs" >/dev/null
mkdir -p "$work/bundle/rootfs/www"
echo "hello from a $runtime container" >"$work/bundle/rootfs/www/index.html"
(cd "$work" && runc spec)
jq --arg pn "$podnet" --arg st "$PODNET_STATE_DIR" --arg br "$br" \
	--arg tbl "PODNET_NFT_TABLE=$PODNET_NFT_TABLE" --arg pub "$port:8000/tcp" '
	.process.terminal = false |
	.process.args = ["httpd", "-f", "-p", "8000", "-h", "/www"] |
	.annotations = {"podnet.bridge": $br, "podnet.publish": $pub} |
	.hooks = {
		createRuntime: [{path: $pn, args: ["podnet", "--state-dir", $st, "hook"], env: [$tbl]}],
		poststop: [{path: $pn, args: ["podnet", "--state-dir", $st, "hook"], env: [$tbl]}]
	}' "$work/config.json" >"$work/bundle/config.json"
echo "+ hooks in config.json:" >&2
jq -c '.annotations, .hooks' "$work/bundle/config.json" >&2

say rt run -d -b "$work/bundle" "$id" </dev/null >"$work/run.log" 2>&1 || { cat "$work/run.log"; exit 1; }
echo "inside the container:"
rt exec "$id" ip -o -4 addr show eth0
for _ in $(seq 100); do
	curl --noproxy '*' -sf -m 1 -o /dev/null "http://127.0.0.1:$port/" && break
	sleep 0.05
done
echo "via 127.0.0.1:$port: $(curl --noproxy '*' -sf -m 5 "http://127.0.0.1:$port/")"
say rt kill "$id" KILL
for _ in $(seq 100); do
	rt state "$id" 2>/dev/null | grep -q '"stopped"' && break
	sleep 0.05
done
say rt delete "$id"
echo "after delete: leases: $(ls "$PODNET_STATE_DIR/leases" | wc -l), veths on $br: $(ip -o link show master "$br" | wc -l), forwards: $("$podnet" --json forward list | jq length)"
