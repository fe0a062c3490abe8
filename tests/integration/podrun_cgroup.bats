#!/usr/bin/env bats
# podrun's cgroups (cgroup.c wired into container.c): cgroupsPath forms,
# resources as seen in the container's cgroup files and from inside, removal
# on delete (also of leftover processes) and on a failed create, kill -a.
# Every container is rtPID-N, every absolute cgroup /rtPID-*; teardown
# removes them in every hierarchy even when a test failed.

load lib/podrun_suite

@test "cgroup: memory, cpu and pids limits in the container's cgroup files" {
	i=$(rid mem)
	cg=/$(rprefix)-abs/c1
	b=$(mkbundle mem ".linux.cgroupsPath = \"$cg\" |
		.linux.resources.memory = {limit: 67108864, reservation: 33554432} |
		.linux.resources.cpu = {quota: 50000, period: 100000, shares: 512} |
		.linux.resources.pids = {limit: 20} | .process.args = $(args sleep 1000)")
	P create -b "$b" "$i"
	[ "$(cat /sys/fs/cgroup/memory$cg/memory.limit_in_bytes)" = 67108864 ]
	[ "$(cat /sys/fs/cgroup/memory$cg/memory.soft_limit_in_bytes)" = 33554432 ]
	[ "$(cat /sys/fs/cgroup/cpu$cg/cpu.cfs_quota_us)" = 50000 ]
	[ "$(cat /sys/fs/cgroup/cpu$cg/cpu.cfs_period_us)" = 100000 ]
	[ "$(cat /sys/fs/cgroup/cpu$cg/cpu.shares)" = 512 ]
	[ "$(cat /sys/fs/cgroup/pids$cg/pids.max)" = 20 ]
	pid=$(P state "$i" | jq -r .pid)
	grep -qx "$pid" /sys/fs/cgroup/memory$cg/cgroup.procs
	grep -qx "$pid" /sys/fs/cgroup/unified$cg/cgroup.procs
	[ "$(jq -r .cgroup_path "$ROOT/$i/state.json")" = "$cg" ]
	P delete -f "$i"
	for h in /sys/fs/cgroup/*/; do
		[ ! -e "$h${cg#/}" ]
	done
}

@test "cgroup: the limit is visible from inside with a cgroup namespace" {
	b=$(mkbundle inside ".linux.namespaces += [{type: \"cgroup\"}] |
		.linux.resources.memory = {limit: 41943040} | .linux.resources.cpu = {quota: 20000, period: 100000} |
		.process.args = $(args sh -c 'cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/cpu/cpu.cfs_quota_us; cat /proc/self/cgroup | grep memory')")
	run P run -b "$b" "$(rid inside)"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 41943040 ]
	[ "${lines[1]}" = 20000 ]
	[ "${lines[2]}" = "4:memory:/" ]
}

@test "cgroup: pids.limit bounds a fork loop" {
	b=$(mkbundle pids ".linux.namespaces += [{type: \"cgroup\"}] | .linux.resources.pids = {limit: 8} |
		.process.args = $(args sh -c 'sh -c "for i in \$(seq 20); do sleep 1000 & done"; read n </sys/fs/cgroup/pids/pids.current; echo current=$n')")
	run P run -b "$b" "$(rid pids)"
	[ "$status" -eq 0 ]
	# at 8 (init, the inner shell, its seq and 5-6 sleeps) the inner shell's
	# fork failed and it exited: 7 left
	[[ "$output" == *"current=7"* ]]
	[[ "$output" == *"fork"* ]]
}

@test "cgroup: empty cgroupsPath is /podrun/ID in every hierarchy, gone after delete" {
	i=$(rid default)
	b=$(mkbundle default "del(.linux.cgroupsPath) | .process.args = $(args sleep 1000)")
	P create -b "$b" "$i"
	for h in /sys/fs/cgroup/*/; do
		[ -d "${h}podrun/$i" ]
	done
	[ "$(jq -r .cgroup_path "$ROOT/$i/state.json")" = "/podrun/$i" ]
	P delete -f "$i"
	for h in /sys/fs/cgroup/*/; do
		[ ! -e "${h}podrun/$i" ]
	done
}

@test "cgroup: a relative cgroupsPath is under podrun's own cgroup" {
	i=$(rid rel)
	rel=$(rprefix)-rel
	b=$(mkbundle rel ".linux.cgroupsPath = \"$rel\" | .process.args = $(args sleep 1000)")
	P create -b "$b" "$i"
	own=$(awk -F: '$2 == "memory" {print $3}' /proc/self/cgroup)
	[ -d "/sys/fs/cgroup/memory${own%/}/$rel" ]
	own2=$(awk -F: '$2 == "pids" {print $3}' /proc/self/cgroup)
	[ -d "/sys/fs/cgroup/pids${own2%/}/$rel" ]
	P delete -f "$i"
	[ ! -e "/sys/fs/cgroup/memory${own%/}/$rel" ]
	[ ! -e "/sys/fs/cgroup/pids${own2%/}/$rel" ]
}

@test "cgroup: delete kills a process left in the cgroup after the init exited" {
	i=$(rid left)
	# no pid namespace: the background sleep outlives the init
	b=$(mkbundle left ".linux.namespaces |= map(select(.type != \"pid\")) |
		.process.args = $(args sh -c 'sleep 1000 >/dev/null 2>&1 </dev/null & exit 0')")
	P create -b "$b" "$i" >/dev/null 2>&1
	P start "$i" >/dev/null 2>&1
	for _ in $(seq 100); do
		[ "$(P state "$i" | jq -r .status)" = stopped ] && break
		sleep 0.1
	done
	[ "$(P state "$i" | jq -r .status)" = stopped ]
	left=$(cat "/sys/fs/cgroup/pids/podrun/$i/cgroup.procs")
	[ -n "$left" ]
	grep -q sleep "/proc/$left/cmdline"
	P delete "$i"
	[ ! -e "/sys/fs/cgroup/pids/podrun/$i" ]
	[ ! -e "/sys/fs/cgroup/unified/podrun/$i" ]
	for _ in $(seq 100); do
		[ -e "/proc/$left" ] || break
		[ "$(awk '{print $3}' "/proc/$left/stat" 2>/dev/null)" = Z ] && break
		sleep 0.1
	done
	! grep -qs sleep "/proc/$left/cmdline" || false
}

@test "cgroup: kill -a signals every process in the cgroup" {
	i=$(rid killall)
	b=$(mkbundle killall ".linux.namespaces |= map(select(.type != \"pid\")) |
		.process.args = $(args sh -c 'sleep 1000 & sleep 1001 & wait')")
	P run -d -b "$b" "$i" >/dev/null 2>&1
	procs=/sys/fs/cgroup/pids/podrun/$i/cgroup.procs
	for _ in $(seq 100); do
		[ "$(wc -l <"$procs")" -ge 3 ] && break
		sleep 0.1
	done
	[ "$(wc -l <"$procs")" -eq 3 ]
	P kill -a "$i" KILL
	for _ in $(seq 100); do
		[ -z "$(cat "$procs")" ] && break
		sleep 0.1
	done
	[ -z "$(cat "$procs")" ]
	P delete "$i"
}

@test "cgroup: a failed create leaves no cgroup" {
	i=$(rid fail)
	b=$(mkbundle fail ".process.args = [\"/no/such/binary\"]")
	run P create -b "$b" "$i"
	[ "$status" -ne 0 ]
	[[ "$output" == *"no such file or directory"* ]]
	for h in /sys/fs/cgroup/*/; do
		[ ! -e "${h}podrun/$i" ]
	done
	[ ! -e "$ROOT/$i" ]
	b=$(mkbundle badres ".linux.resources.memory.limit = \"lots\"")
	run P create -b "$b" "$i"
	[ "$status" -ne 0 ]
	[[ "$output" == *"linux.resources.memory.limit"* ]]
	for h in /sys/fs/cgroup/*/; do
		[ ! -e "${h}podrun/$i" ]
	done
}

@test "cgroup: linux.devices and the default devices are allowed, the rest denied" {
	i=$(rid dev)
	b=$(mkbundle dev ".linux.devices = [{path: \"/dev/fuse\", type: \"c\", major: 10, minor: 229, fileMode: 438}] |
		.process.args = $(args sleep 1000)")
	P create -b "$b" "$i"
	list=$(cat "/sys/fs/cgroup/devices/podrun/$i/devices.list")
	[[ "$list" == *"c 10:229 rwm"* ]]
	[[ "$list" == *"c 1:3 rwm"* ]]
	[[ "$list" != *"a *:* rwm"* ]]
	P delete -f "$i"
}

@test "cgroup: the systemd slice:prefix:name form is a clear error without systemd" {
	[ "$(cat /proc/1/comm)" != systemd ] || skip "systemd is PID 1 here"
	i=$(rid sd)
	b=$(mkbundle sd ".linux.cgroupsPath = \"system.slice:rt:$i\"")
	run P create -b "$b" "$i"
	[ "$status" -ne 0 ]
	[[ "$output" == *"systemd"* ]]
	[ ! -e "$ROOT/$i" ]
	run P --systemd-cgroup create -b "$(mkbundle sd2 '.')" "$i"
	[ "$status" -ne 0 ]
	[[ "$output" == *"systemd"* ]]
	[ ! -e "$ROOT/$i" ]
}

@test "cgroup: devices deny/allow enforced on v1 and on pure v2 (eBPF, CLONE_INTO_CGROUP)" {
	[ -c /dev/cpu_dma_latency ] || skip "no /dev/cpu_dma_latency"
	for allow in false true; do
		b=$(mkbundle "dv-$allow" ".linux.resources = {devices: [{allow: $allow, access: \"rwm\"}]} |
			.mounts += [{destination: \"/dev/lat\", type: \"bind\", source: \"/dev/cpu_dma_latency\", options: [\"bind\"]}] |
			.process.args = $(args sh -c 'cat /proc/self/cgroup | grep ^0::; head -c4 /dev/lat | wc -c')")
		want=0
		[ "$allow" = false ] || want=4
		# this hybrid host: the v1 devices controller
		run P run -b "$b" "$(rid "dv1-$allow")"
		[ "$status" -eq 0 ]
		[ "${lines[-1]}" = "$want" ]
		# pure v2 in a private mount namespace: the eBPF device program
		run unshare -m sh -c 'mount --make-rprivate / && mount -t cgroup2 none /sys/fs/cgroup && exec "$@"' _ \
			"$PODRUN" --root "$ROOT" run -b "$b" "$(rid "dv2-$allow")"
		[ "$status" -eq 0 ]
		[[ "$output" == *"0::/podrun/$(rid "dv2-$allow")"* ]]
		[ "${lines[-1]}" = "$want" ]
		[ ! -e "/sys/fs/cgroup/unified/podrun/$(rid "dv2-$allow")" ]
	done
}
