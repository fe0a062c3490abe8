#!/usr/bin/env bats
# The seeds' walkthroughs in examples/ run end to end with the runtime under
# test (RUNTIME, default build/podrun) and clean up after themselves.

load lib/runtime

setup_file() {
	:
}

setup() {
	EX=$PODKIT_TOP/examples
	P=$(cat "$RT_TMP/token" 2>/dev/null || true)
	[ -n "$P" ] || {
		P=it$$
		echo "$P" >"$RT_TMP/token"
	}
	P=${P}e$BATS_TEST_NUMBER
	W=$RT_TMP/work$BATS_TEST_NUMBER
	mkdir -p "$W"
}

# Whatever an example's trap missed (it should miss nothing: the tests check).
teardown() {
	local r id
	for r in "$W"/*/state; do
		[ -d "$r" ] || continue
		for id in $("$RUNTIME" --root "$r" list -q 2>/dev/null); do
			"$RUNTIME" --root "$r" delete -f "$id" >/dev/null 2>&1 || true
		done
	done
	nft delete table ip "$P" 2>/dev/null || true
	rm -f "/var/run/netns/${P}pa"
	ip netns del "${P}ns" 2>/dev/null || true
	for l in "${P}h0" "${P}h1" "${P}br"; do
		ip link del "$l" 2>/dev/null || true
	done
	for m in $(mounts_under "$W" | sort -r); do
		umount -l "$m" 2>/dev/null || true
	done
}

teardown_file() {
	:
}

# left_behind: kernel objects or files an example should have removed.
left_behind() {
	ip -br link | awk '{print $1}' | grep "^$P" || true
	ip netns list | grep "^$P" || true
	nft list tables | grep -w "$P" || true
	mounts_under "$W"
	ls -A "$W"
}

run_example() { # SCRIPT
	run env RUNTIME="$RUNTIME" EXAMPLE_PREFIX="$P" timeout 120 "$EX/$1" "$W"
	echo "$output"
	[ "$status" -eq 0 ]
	[ -z "$(left_behind)" ]
}

@test "examples: seed 000, shared network namespace, DNAT, pause + web containers" {
	run_example seed-000-shared-netns.sh
	grep -q '^OK: abc is running' <<<"$output"
	grep -q '^OK: the netns reaches the bridge' <<<"$output"
	grep -q '^OK: DNAT 10.213.0.1:9999 -> 10.213.0.2:8000 answers' <<<"$output"
	grep -q '^Hello World from .* port 8081$' <<<"$output"
	grep -q '^Hello World from .* port 8082$' <<<"$output"
	grep -q '^OK: web1 and web2 answer on 8081 and 8082 in one netns' <<<"$output"
	grep -q '^Hello World from pause port 8083$' <<<"$output"
	grep -q "^OK: web3 shares pause's net, pid, ipc and uts namespaces" <<<"$output"
}

@test "examples: seed 001, systemd unit with run -d --pid-file" {
	run_example seed-001-systemd.sh
	grep -q '^Type=forking$' <<<"$output"
	grep -q "^ExecStart=.* run -d --pid-file .*/npd.pid ${P}-npd$" <<<"$output"
	grep -q '^OK: .* runs as pid [0-9]*; .* holds it (no newline)$' <<<"$output"
	grep -q '^OK: restarted' <<<"$output"
	grep -q '^OK: stopped and deleted$' <<<"$output"
}

@test "examples: seed 002, create/list/state/start/kill/delete" {
	run_example seed-002-lifecycle.sh
	grep -Eq "^${P}-snakebusybox +[0-9]+ +created " <<<"$output"
	grep -Eq "^${P}-snakebusybox +[0-9]+ +running " <<<"$output"
	grep -q '"status": *"created"' <<<"$output"
	grep -q '^OK: stopped$' <<<"$output"
	grep -q '^OK: deleted$' <<<"$output"
}

@test "examples: seed 004, create/list/state/kill/delete without exec" {
	run_example seed-004-exec-free-lifecycle.sh
	grep -Eq "^${P}-c1 +[0-9]+ +created " <<<"$output"
	grep -q "^OK: aa.txt is in the container's /$" <<<"$output"
	grep -q '^OK: c1 deleted; the list is empty$' <<<"$output"
}
