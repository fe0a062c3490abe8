#!/usr/bin/env bats
# Smoke tests of podrun's core (container.c, linux.c, process.c): the
# lifecycle, the process attributes, mounts, namespaces, hooks and clean
# failures.  The broad runc-semantics suites are the other podrun_*.bats.

SUITE_ROOT_NAME=co-root
SUITE_PREFIX=co
load lib/podrun_suite

teardown_file() {
	rt_teardown_file
	[ ! -f "$T/cleanup" ] || xargs rm -rf <"$T/cleanup"
}

id() { rid "$1"; }

@test "core: run gives output and the exit status" {
	b=$(mkbundle exit ".process.args = $(args sh -c 'echo out-line; exit 3')")
	run P run -b "$b" "$(id exit)"
	[ "$status" -eq 3 ]
	[ "$output" = out-line ]
	[ ! -e "$ROOT/$(id exit)" ]
}

@test "core: create/start/state/kill/delete statuses and the pid file" {
	b=$(mkbundle life ".process.args = $(args sleep 1000)")
	i=$(id life)
	P create -b "$b" --pid-file "$T/life.pid" "$i"
	[ -s "$T/life.pid" ]
	pid=$(cat "$T/life.pid")
	[ "$(wc -l <"$T/life.pid")" -eq 0 ]
	run P state "$i"
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | jq -r .status)" = created ]
	[ "$(echo "$output" | jq -r .pid)" = "$pid" ]
	P start "$i"
	[ "$(P state "$i" | jq -r .status)" = running ]
	[ "$(readlink /proc/$pid/exe)" != "$(readlink -f "$PODRUN")" ]
	run P delete "$i"
	[ "$status" -ne 0 ]
	[[ "$output" == *"not stopped"* ]]
	P kill "$i" KILL
	for _ in $(seq 100); do
		[ "$(P state "$i" | jq -r .status)" = stopped ] && break
		sleep 0.1
	done
	[ "$(P state "$i" | jq -r .status)" = stopped ]
	run P kill "$i"
	[ "$status" -ne 0 ]
	[[ "$output" == *"container not running"* ]]
	P delete "$i"
	run P state "$i"
	[ "$status" -ne 0 ]
	[[ "$output" == *"does not exist"* ]]
	run P delete -f "$i"
	[ "$status" -eq 0 ]
}

@test "core: delete of a created container kills its waiting init" {
	b=$(mkbundle created ".process.args = $(args true)")
	i=$(id created)
	P create -b "$b" --pid-file "$T/created.pid" "$i"
	pid=$(cat "$T/created.pid")
	P delete "$i"
	[ ! -e "$ROOT/$i" ]
	for _ in $(seq 100); do
		st=$(awk '{print $3}' /proc/$pid/stat 2>/dev/null || echo gone)
		[ "$st" = gone ] || [ "$st" = Z ] && break
		sleep 0.1
	done
	[ "$st" = gone ] || [ "$st" = Z ]
}

@test "core: hostname, env, cwd, uid/gid/additional gids, umask" {
	b=$(mkbundle proc ".hostname = \"co-host\" | .process.env += [\"CO_VAR=v1\"] |
		.process.cwd = \"/var/tmp/sub\" | .process.user = {uid: 1000, gid: 100, additionalGids: [33], umask: 63} |
		.process.args = $(args sh -c 'hostname; echo $CO_VAR; pwd; id -u; id -g; id -G; umask')")
	run P run -b "$b" "$(id proc)"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = co-host ]
	[ "${lines[1]}" = v1 ]
	[ "${lines[2]}" = /var/tmp/sub ]
	[ "${lines[3]}" = 1000 ]
	[ "${lines[4]}" = 100 ]
	[ "${lines[5]}" = "100 33" ]
	[ "${lines[6]}" = 0077 ]
}

@test "core: readonly root refuses writes, tmpfs and /dev stay writable" {
	b=$(mkbundle ro ".root.readonly = true |
		.process.args = $(args sh -c 'touch /co-x 2>/dev/null && echo wrote; echo hi >/dev/shm/f && cat /dev/shm/f; echo z >/dev/null && echo devnull')")
	run P run -b "$b" "$(id ro)"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = hi ]
	[ "${lines[1]}" = devnull ]
	[ ! -e "$BASE/rootfs/co-x" ]
}

@test "core: bind mounts rw and ro, destination created in the rootfs" {
	mkdir -p "$T/host-rw" "$T/host-ro"
	echo ro-content >"$T/host-ro/f"
	b=$(mkbundle bind ".mounts += [
		{destination: \"/co/rw\", type: \"bind\", source: \"$T/host-rw\", options: [\"rbind\", \"rw\"]},
		{destination: \"/co/ro\", type: \"bind\", source: \"$T/host-ro\", options: [\"bind\", \"ro\", \"nosuid\"]}] |
		.process.args = $(args sh -c 'echo w >/co/rw/f; cat /co/ro/f; (echo x >/co/ro/g) 2>/dev/null || echo ro-refused')")
	run P run -b "$b" "$(id bind)"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = ro-content ]
	[ "${lines[1]}" = ro-refused ]
	[ "$(cat "$T/host-rw/f")" = w ]
	[ ! -e "$T/host-ro/g" ]
	# created inside the rootfs, not on the host
	[ -d "$BASE/rootfs/co/rw" ]
}

@test "core: a symlinked mount destination stays inside the rootfs" {
	mkdir -p "$T/esc-src" "$T/esc-target"
	ln -sfn "$T/esc-target" "$BASE/rootfs/co-escape"
	b=$(mkbundle esc ".mounts += [{destination: \"/co-escape/x\", type: \"bind\", source: \"$T/esc-src\", options: [\"bind\"]}] |
		.process.args = $(args true)")
	run P run -b "$b" "$(id esc)"
	rm -f "$BASE/rootfs/co-escape"
	[ "$status" -eq 0 ]
	[ ! -e "$T/esc-target/x" ]
}

@test "core: pid 1 in a new pid namespace" {
	b=$(mkbundle pid ".process.args = $(args sh -c 'echo $$')")
	run P run -b "$b" "$(id pid)"
	[ "$status" -eq 0 ]
	[ "$output" = 1 ]
}

@test "core: joining another container's network namespace by /proc/PID/ns/net" {
	b1=$(mkbundle net1 ".process.args = $(args sleep 1000)")
	i1=$(id net1)
	P run -d -b "$b1" --pid-file "$T/net1.pid" "$i1" </dev/null >/dev/null 2>&1
	pid=$(cat "$T/net1.pid")
	want=$(readlink /proc/$pid/ns/net)
	b2=$(mkbundle net2 "(.linux.namespaces[] | select(.type == \"network\")) |= {type: \"network\", path: \"/proc/$pid/ns/net\"} |
		.process.args = $(args readlink /proc/self/ns/net)")
	run P run -b "$b2" "$(id net2)"
	[ "$status" -eq 0 ]
	[ "$output" = "$want" ]
	[ "$want" != "$(readlink /proc/self/ns/net)" ]
}

@test "core: createRuntime hook runs with the state on stdin" {
	b=$(mkbundle hook ".hooks.createRuntime = [{path: \"/bin/sh\", args: [\"sh\", \"-c\", \"cat > $T/hook.out\"]}] |
		.process.args = $(args true)")
	i=$(id hook)
	run P run -b "$b" "$i"
	[ "$status" -eq 0 ]
	[ "$(jq -r .id "$T/hook.out")" = "$i" ]
	[ "$(jq -r .pid "$T/hook.out")" -gt 0 ]
}

@test "core: a failing hook fails create and leaves nothing behind" {
	b=$(mkbundle badhook ".hooks.createRuntime = [{path: \"/bin/false\"}] |
		.mounts += [{destination: \"/co-hookmnt\", type: \"tmpfs\", source: \"tmpfs\"}] |
		.process.args = $(args true)")
	i=$(id badhook)
	run P create -b "$b" --pid-file "$T/badhook.pid" "$i"
	[ "$status" -ne 0 ]
	[[ "$output" == "podrun: create $i: "*createRuntime* ]]
	[ "${#lines[@]}" -eq 1 ]
	[ ! -e "$ROOT/$i" ]
	[ ! -e "$T/badhook.pid" ]
	! grep -q co-hookmnt /proc/mounts || false
	! pgrep -f "$i" >/dev/null || false
}

@test "core: a bad args[0] fails create cleanly" {
	b=$(mkbundle badarg ".process.args = $(args /no/such/binary)")
	i=$(id badarg)
	run P create -b "$b" "$i"
	[ "$status" -ne 0 ]
	[[ "$output" == *"no such file or directory"* ]]
	[ ! -e "$ROOT/$i" ]
	b=$(mkbundle badarg2 ".process.args = $(args /etc/passwd)")
	run P create -b "$b" "$i"
	[ "$status" -ne 0 ]
	[[ "$output" == *"permission denied"* ]]
	[ ! -e "$ROOT/$i" ]
}

@test "core: ID validation" {
	b=$(mkbundle idv ".process.args = $(args true)")
	long=$(printf 'a%.0s' $(seq 1024))
	for bad in ../x a/b "" "$long"; do
		run P create -b "$b" "$bad"
		[ "$status" -ne 0 ]
		[[ "$output" == "podrun: "*invalid* ]]
	done
	[ -z "$(ls "$ROOT")" ]
}

@test "core: preserved fds reach the container, others do not" {
	b=$(mkbundle fds ".process.args = $(args sh -c 'for n in 0 1 2 3 4 5; do [ -e /proc/$$/fd/$n ] && echo -n "$n "; done; true')")
	run P run --preserve-fds 2 -b "$b" "$(id fds)" 3</dev/null 4</dev/null 5</dev/null
	[ "$status" -eq 0 ]
	[ "$output" = "0 1 2 3 4 " ]
}

@test "core: rlimit above the hard limit is a clean create error" {
	[ "$(ulimit -Hn)" != unlimited ] || skip "unlimited hard limit"
	eff=$(awk '/^CapEff/ {print $2}' /proc/self/status)
	if (((0x$eff >> 24) & 1)); then
		skip "CAP_SYS_RESOURCE present: raising the hard limit would succeed"
	fi
	b=$(mkbundle rlim ".process.rlimits = [{type: \"RLIMIT_NOFILE\", soft: 1048576, hard: 1048576}] |
		.process.args = $(args true)")
	run P create -b "$b" "$(id rlim)"
	[ "$status" -ne 0 ]
	[[ "$output" == *"setrlimit RLIMIT_NOFILE to 1048576/1048576: Operation not permitted"* ]]
}

@test "core: terminal with --console-socket sends the pty master" {
	command -v python3 >/dev/null || skip "python3 missing"
	sock=$T/co-console.sock
	rm -f "$sock"
	timeout 30 python3 "$CONSOLE_RECV" "$sock" >"$T/console.out" 2>&1 &
	rpid=$!
	for _ in $(seq 100); do [ -e "$sock.ready" ] && break; sleep 0.1; done
	b=$(mkbundle tty ".process.terminal = true | .process.consoleSize = {height: 30, width: 100} |
		.process.args = $(args sh -c 'tty; stty size; echo via-pty')")
	run P run -b "$b" --console-socket "$sock" "$(id tty)"
	[ "$status" -eq 0 ]
	wait "$rpid"
	grep -qx '/dev/pts/0' "$T/console.out"
	grep -qx '30 100' "$T/console.out"
	grep -qx 'via-pty' "$T/console.out"
}

@test "core: --no-pivot runs in the rootfs" {
	b=$(mkbundle nopivot ".process.args = $(args sh -c 'cat /etc/hostname; echo $$')")
	run P run --no-pivot -b "$b" "$(id nopivot)"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = podkit ]
	[ "${lines[1]}" = 1 ]
}

@test "core: a new user namespace with uid/gid mappings" {
	# the mapped root must reach the rootfs: bats' own directories are 0700
	u=$(mktemp -d /tmp/co$$-userns.XXXXXX)
	echo "$u" >>"$T/cleanup"
	chmod 755 "$u"
	"$PODKIT_TOP/scripts/mkrootfs.sh" "$u/rootfs" >/dev/null
	b=$(mkbundle userns ".root.path = \"$u/rootfs\" | .linux.namespaces += [{type: \"user\"}] |
		.linux.uidMappings = [{containerID: 0, hostID: 100000, size: 65536}] |
		.linux.gidMappings = [{containerID: 0, hostID: 100000, size: 65536}] |
		.process.args = $(args sh -c 'id -u; cat /proc/self/uid_map; cat /dev/zero | head -c1 | wc -c')")
	run P run -b "$b" "$(id userns)"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 0 ]
	[ "$(echo ${lines[1]})" = "0 100000 65536" ]
	[ "${lines[2]}" = 1 ]
	b=$(mkbundle userns2 ".linux.namespaces += [{type: \"user\"}] | .process.args = $(args true)")
	run P run -b "$b" "$(id userns2)"
	[ "$status" -ne 0 ]
	[[ "$output" == *"linux.uidMappings: required with a new user namespace"* ]]
	[ ! -e "$ROOT/$(id userns2)" ]
}

@test "core: kill -a reaches every process of the container" {
	# the sleeps start before the trap, so only pid 1 ignores TERM
	b=$(mkbundle killall ".process.args = $(args sh -c 'sleep 1000 & sleep 1001 & trap "" TERM; echo ready; wait')")
	i=$(id killall)
	P run -d -b "$b" "$i" </dev/null >"$T/killall.out" 2>&1
	for _ in $(seq 100); do grep -q ready "$T/killall.out" && break; sleep 0.1; done
	P kill "$i" TERM
	sleep 0.5
	[ "$(P state "$i" | jq -r .status)" = running ]
	P kill -a "$i" TERM
	for _ in $(seq 100); do
		[ "$(P state "$i" | jq -r .status)" = stopped ] && break
		sleep 0.1
	done
	[ "$(P state "$i" | jq -r .status)" = stopped ]
}
