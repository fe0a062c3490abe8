#!/usr/bin/env bats
# podrun's commands beyond the lifecycle: ps, pause/resume, update, events,
# features, --systemd-cgroup, and socket activation (LISTEN_FDS) on run.

load lib/podrun_suite

teardown() {
	[ ! -f "$T/events.pid" ] || kill "$(cat "$T/events.pid")" 2>/dev/null || true
	rm -f "$T/events.pid"
	rt_cleanup
}

wait_status() { # wait_status ID STATUS
	for _ in $(seq 100); do
		[ "$(P state "$1" | jq -r .status)" = "$2" ] && return 0
		sleep 0.1
	done
	return 1
}

@test "cli: ps lists the container's pids from its cgroup, table and json" {
	i=$(rid ps)
	b=$(mkbundle ps ".process.args = $(args sh -c 'sleep 1000 & sleep 1001 & wait')")
	P run -d -b "$b" "$i" >/dev/null 2>&1
	for _ in $(seq 100); do
		[ "$(P ps --format json "$i" | jq length)" -eq 3 ] && break
		sleep 0.1
	done
	json=$(P ps --format json "$i")
	[ "$(jq length <<<"$json")" -eq 3 ]
	init=$(P state "$i" | jq -r .pid)
	jq -e --argjson p "$init" 'index($p) != null' <<<"$json"
	for p in $(jq -r '.[]' <<<"$json"); do
		grep -qx "$p" "/sys/fs/cgroup/pids/podrun/$i/cgroup.procs"
	done
	run P ps "$i"
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == PID*CMD ]]
	[[ "$output" == *"sleep 1000"* ]]
	[[ "$output" == *"sleep 1001"* ]]
	run P ps --format yaml "$i"
	[ "$status" -ne 0 ]
}

@test "cli: pause and resume freeze the cgroup; status paused in state and list" {
	i=$(rid pause)
	b=$(mkbundle pause ".process.args = $(args sh -c 'while :; do sleep 0.1; done')")
	P run -d -b "$b" "$i" >/dev/null 2>&1
	P pause "$i"
	[ "$(cat "/sys/fs/cgroup/freezer/podrun/$i/freezer.state")" = FROZEN ]
	[ "$(P state "$i" | jq -r .status)" = paused ]
	P list | grep -q "^$i .*paused"
	[ "$(P list --format json | jq -r ".[] | select(.id == \"$i\") | .status")" = paused ]
	run P pause "$i"
	[ "$status" -ne 0 ]
	P resume "$i"
	[ "$(cat "/sys/fs/cgroup/freezer/podrun/$i/freezer.state")" = THAWED ]
	[ "$(P state "$i" | jq -r .status)" = running ]
	run P resume "$i"
	[ "$status" -ne 0 ]
	[[ "$output" == *"not paused"* ]]
	# delete -f of a paused container
	P pause "$i"
	P delete -f "$i"
	[ ! -e "$ROOT/$i" ]
	[ ! -e "/sys/fs/cgroup/freezer/podrun/$i" ]
}

@test "cli: update with flags and with --resources changes the cgroup files" {
	i=$(rid upd)
	b=$(mkbundle upd ".linux.resources.memory = {limit: 67108864} | .process.args = $(args sleep 1000)")
	P run -d -b "$b" "$i" >/dev/null 2>&1
	P update --memory 100m --memory-swap 200m --cpu-quota 30000 --cpu-period 100000 --cpu-shares 256 \
		--cpuset-cpus 0 --pids-limit 50 "$i"
	[ "$(cat /sys/fs/cgroup/memory/podrun/$i/memory.limit_in_bytes)" = 104857600 ]
	[ "$(cat /sys/fs/cgroup/memory/podrun/$i/memory.memsw.limit_in_bytes)" = 209715200 ]
	[ "$(cat /sys/fs/cgroup/cpu/podrun/$i/cpu.cfs_quota_us)" = 30000 ]
	[ "$(cat /sys/fs/cgroup/cpu/podrun/$i/cpu.shares)" = 256 ]
	[ "$(cat /sys/fs/cgroup/cpuset/podrun/$i/cpuset.cpus)" = 0 ]
	[ "$(cat /sys/fs/cgroup/pids/podrun/$i/pids.max)" = 50 ]
	echo '{"pids": {"limit": 77}, "memory": {"limit": 83886080}}' >"$T/res.json"
	P update --resources "$T/res.json" "$i"
	[ "$(cat /sys/fs/cgroup/pids/podrun/$i/pids.max)" = 77 ]
	[ "$(cat /sys/fs/cgroup/memory/podrun/$i/memory.limit_in_bytes)" = 83886080 ]
	# untouched fields stay
	[ "$(cat /sys/fs/cgroup/cpu/podrun/$i/cpu.cfs_quota_us)" = 30000 ]
	run P update --pids-limit lots "$i"
	[ "$status" -ne 0 ]
	[[ "$output" == *"--pids-limit"* ]]
	run P update "$i"
	[ "$status" -ne 0 ]
}

@test "cli: events --stats prints one stats line with cpu, memory and pids" {
	i=$(rid ev)
	b=$(mkbundle ev ".linux.resources.memory = {limit: 67108864} | .linux.resources.pids = {limit: 30} |
		.process.args = $(args sleep 1000)")
	P run -d -b "$b" "$i" >/dev/null 2>&1
	run P events --stats "$i"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 1 ]
	jq -e --arg i "$i" '.type == "stats" and .id == $i and .data.cpu.usage.total > 0 and
		.data.memory.usage.limit == 67108864 and .data.memory.usage.usage > 0 and
		.data.pids.current == 1 and .data.pids.limit == 30' <<<"$output"
}

@test "cli: events streams stats and reports an OOM kill, ends when the container stops" {
	i=$(rid oom)
	mkdir -p "$T/oomw"
	b=$(mkbundle oom ".linux.resources.memory = {limit: 33554432, swap: 33554432} |
		.mounts += [{destination: \"/w\", type: \"bind\", source: \"$T/oomw\", options: [\"rbind\"]}] |
		.process.args = $(args sh -c 'while [ ! -e /w/go ]; do sleep 0.1; done; awk "BEGIN { s = \"x\"; while (1) s = s s }"; touch /w/done; while [ ! -e /w/stop ]; do sleep 0.1; done')")
	P run -d -b "$b" "$i" >/dev/null 2>&1
	P events --interval 100ms "$i" >"$T/events.out" &
	echo $! >"$T/events.pid"
	for _ in $(seq 100); do
		[ -s "$T/events.out" ] && break
		sleep 0.1
	done
	touch "$T/oomw/go"
	for _ in $(seq 300); do
		grep -q '"type":"oom"' "$T/events.out" && break
		sleep 0.1
	done
	grep -q '"type":"oom"' "$T/events.out"
	[ -e "$T/oomw/done" ]
	head -1 "$T/events.out" | jq -e '.type == "stats"'
	touch "$T/oomw/stop"
	wait "$(cat "$T/events.pid")"
}

@test "cli: features reports what this build supports" {
	run P features
	[ "$status" -eq 0 ]
	jq -e '.ociVersionMin == "1.0.0" and (.hooks | index("createRuntime") != null) and
		(.linux.namespaces | index("user") != null and index("time") != null) and
		(.linux.capabilities | index("CAP_SYS_ADMIN") != null) and
		(.linux.seccomp.enabled) and (.linux.seccomp.actions | index("SCMP_ACT_NOTIFY") != null) and
		(.linux.seccomp.operators | index("SCMP_CMP_MASKED_EQ") != null) and
		(.linux.seccomp.archs | index("SCMP_ARCH_X86_64") != null) and
		(.mountOptions | index("rro") != null) and (.linux.cgroup.systemd == false)' <<<"$output"
	# true to the host: this one is hybrid (v1 controllers plus cgroup2)
	if [ -d /sys/fs/cgroup/memory ] && [ "$(stat -f -c %T /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2fs ]; then
		jq -e '.linux.cgroup.v1 and .linux.cgroup.v2' <<<"$output"
	fi
	[ -d /sys/kernel/security/apparmor ] || jq -e '.linux.apparmor.enabled == false' <<<"$output"
	[ -d /sys/fs/selinux ] || jq -e '.linux.selinux.enabled == false' <<<"$output"
	# the capability list is what spec.c accepts
	for c in $(jq -r '.linux.capabilities[]' <<<"$output"); do
		b=$(mkbundle "feat-$c" ".process.capabilities.bounding = [\"$c\"] | .process.args = [\"true\"]")
		P run -b "$b" "$(rid feat)" >/dev/null
	done
}

@test "cli: LISTEN_FDS for podrun's pid passes the fds on as LISTEN_FDS/LISTEN_PID=1 (as runc)" {
	echo hello >"$T/lf.txt"
	b=$(mkbundle lf ".process.args = $(args sh -c 'echo $LISTEN_FDS $LISTEN_PID; cat <&3; cat <&4; [ -e /proc/1/fd/5 ] && echo has5 || echo no5')")
	run bash -c 'exec 3<"$1" 4<"$1" 5<"$1"; export LISTEN_FDS=2 LISTEN_PID=$$; exec "$2" --root "$3" run -b "$4" "$5"' \
		_ "$T/lf.txt" "$PODRUN" "$ROOT" "$b" "$(rid lf)"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "2 1" ]
	[ "${lines[1]}" = hello ]
	[ "${lines[2]}" = hello ]
	[ "${lines[3]}" = no5 ]
	# with --preserve-fds the preserved ones follow the listen fds
	run bash -c 'exec 3<"$1" 4<"$1" 5<"$1"; export LISTEN_FDS=2 LISTEN_PID=$$; exec "$2" --root "$3" run --preserve-fds 1 -b "$4" "$5"' \
		_ "$T/lf.txt" "$PODRUN" "$ROOT" "$b" "$(rid lf2)"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "2 1" ]
	[ "${lines[3]}" = has5 ]
	# LISTEN_PID of another process: not ours, nothing passed
	run bash -c 'exec 3<"$1" 4<"$1"; export LISTEN_FDS=2 LISTEN_PID=1; exec "$2" --root "$3" run -b "$4" "$5"' \
		_ "$T/lf.txt" "$PODRUN" "$ROOT" "$b" "$(rid lf3)"
	[ "$status" -eq 0 ]
	[[ "$output" != *hello* ]]
	[[ "$output" == *"3: Bad file descriptor"* ]]
}

@test "cli: --systemd-cgroup is a clear error where systemd does not run" {
	[ ! -d /run/systemd/system ] || skip "systemd runs here"
	i=$(rid sdc)
	run P --systemd-cgroup run -b "$(mkbundle sdc '.process.args = ["true"]')" "$i"
	[ "$status" -ne 0 ]
	[[ "$output" == *"--systemd-cgroup"*"systemd running"* ]]
	[ ! -e "$ROOT/$i" ]
}
