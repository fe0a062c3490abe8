#!/usr/bin/env bats
# examples/web-pod.sh (seed 000 with pod) runs end to end on its own names
# and leaves nothing behind.
PODKIT_TOP=${PODKIT_TOP:-$(cd "$BATS_TEST_DIRNAME/../.." && pwd)}
PODKIT_BUILD=${PODKIT_BUILD:-$PODKIT_TOP/build}

setup() {
	T=pd$$x
	export POD_STATE_DIR=/run/$T PODNET_STATE_DIR=/run/${T}net PODNET_NFT_TABLE=$T
	export EXAMPLE_POD=${T}p EXAMPLE_BRIDGE=${T}br EXAMPLE_SUBNET=10.215.73.0/24 EXAMPLE_PORT=19191
}

teardown() {
	"$PODKIT_BUILD/pod" rm -f "$EXAMPLE_POD" >/dev/null 2>&1 || true
	umount -l "/var/run/netns/$EXAMPLE_POD" 2>/dev/null
	rm -f "/var/run/netns/$EXAMPLE_POD"
	ip link del "$EXAMPLE_BRIDGE" 2>/dev/null || true
	nft delete table ip "$T" 2>/dev/null || true
	rm -rf "$POD_STATE_DIR" "$PODNET_STATE_DIR"
}

run_example() { # RUNTIME
	run env RUNTIME="$1" PODKIT_BUILD="$PODKIT_BUILD" timeout 120 "$PODKIT_TOP/examples/web-pod.sh"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"through the published port 127.0.0.1:19191:"*"Hello World from web1 (port 8081)"* ]]
	[[ "$output" == *"Hello World from web2 (port 8082)"* ]]
	# nothing left: pod, netns, bridge, nft table, state
	[ ! -e "/var/run/netns/$EXAMPLE_POD" ]
	! ip link show "$EXAMPLE_BRIDGE" >/dev/null 2>&1 || false
	! nft list table ip "$T" >/dev/null 2>&1 || false
	[ ! -e "$POD_STATE_DIR/$EXAMPLE_POD" ]
	! grep -q "$T" /proc/mounts || false
}

@test "examples/web-pod.sh with podrun prints the answer through the published port" {
	run_example "$PODKIT_BUILD/podrun"
}

@test "examples/web-pod.sh with runc" {
	run_example runc
}
