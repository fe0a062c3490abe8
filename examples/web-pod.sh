#!/usr/bin/env bash
# Seed 000's scenario in a few `pod` commands: busybox web1 (port 8081) and
# web2 (port 8082) in one pod sharing its namespaces, host port 9999
# forwarded to web1, the answer printed through the published port.
#
#   examples/web-pod.sh            (as root, after make)
# RUNTIME picks the runtime (default build/podrun; RUNTIME=runc works too).
# EXAMPLE_POD, EXAMPLE_BRIDGE, EXAMPLE_SUBNET, EXAMPLE_PORT override the pod
# name (webpod), bridge (pod0, made on demand), subnet (10.88.0.0/16) and
# host port (9999).  Everything made is removed on exit, even on failure.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
B=${PODKIT_BUILD:-$top/build}
[ -n "${RUNTIME:-}" ] && export POD_RUNTIME=$RUNTIME
NAME=${EXAMPLE_POD:-webpod}
BRIDGE=${EXAMPLE_BRIDGE:-pod0}
SUBNET=${EXAMPLE_SUBNET:-10.88.0.0/16}
PORT=${EXAMPLE_PORT:-9999}

[ "$(id -u)" -eq 0 ] || { echo "web-pod: run as root" >&2; exit 1; }
[ -x "$B/pod" ] && export PATH="$B:$PATH" || { echo "web-pod: $B/pod is missing (run make)" >&2; exit 1; }
work=$(mktemp -d "${TMPDIR:-/tmp}/web-pod.XXXXXX")
made_bridge=false
ip link show "$BRIDGE" >/dev/null 2>&1 || made_bridge=true

cleanup() {
	{ set +x; } 2>/dev/null
	trap "" INT TERM
	set +e
	pod rm -f "$NAME" 2>/dev/null
	$made_bridge && "$B/podnet" bridge del "$BRIDGE" >/dev/null 2>&1
	rm -rf "$work"
}
trap cleanup EXIT INT TERM

"$top/scripts/mkrootfs.sh" "$work/rootfs" >/dev/null
mkdir -p "$work/rootfs/www1" "$work/rootfs/www2"
echo "Hello World from web1 (port 8081)" >"$work/rootfs/www1/index.html"
echo "Hello World from web2 (port 8082)" >"$work/rootfs/www2/index.html"

set -x
pod create "$NAME" --bridge "$BRIDGE" --subnet "$SUBNET" -p "$PORT:8081"
pod add --pod "$NAME" --name web1 --rootfs "$work/rootfs" -- httpd -f -p 8081 -h /www1
pod add --pod "$NAME" --name web2 --rootfs "$work/rootfs" -- httpd -f -p 8082 -h /www2
pod ps "$NAME"
{ set +x; } 2>/dev/null

for _ in $(seq 100); do
	curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$PORT/" && break
	sleep 0.1
done
echo "--- through the published port 127.0.0.1:$PORT:"
curl -s --max-time 10 "http://127.0.0.1:$PORT/"
echo "--- web2 on 127.0.0.1:8082 inside the pod's network namespace ($NAME):"
ip netns exec "$NAME" curl -s --max-time 10 "http://127.0.0.1:8082/"
