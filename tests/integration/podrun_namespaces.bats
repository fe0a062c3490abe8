#!/usr/bin/env bats
# linux.namespaces: new ones, and joining another container's by
# /proc/PID/ns/TYPE path and a named netns by /var/run/netns/NAME (seed 000's
# shared network, pause + web containers sharing net/pid/ipc).

load lib/runtime

ns_of() { # PID TYPE: the host's view of a process's namespace
	readlink "/proc/$1/ns/$2"
}

@test "pid: the process is pid 1 of a new pid namespace" {
	bundle_make b >/dev/null
	bundle_args b sh -c 'echo $$; ps -o pid,comm'
	run rt run -b "$(bundle_dir b)" "$(new_id)"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 1 ]
	# Only the container's own processes (sh, ps): nothing of the host's.
	[ "${#lines[@]}" -le 4 ]
	[[ "$output" != *bats* ]]
}

@test "new namespaces: every listed type differs from the host's" {
	bundle_make b >/dev/null
	bundle_set b '.linux.namespaces += [{type:"cgroup"}]'
	bundle_args b sh -c 'for t in pid net ipc uts mnt cgroup; do echo "$t $(readlink /proc/self/ns/$t)"; done; cat /proc/net/dev'
	run rt run -b "$(bundle_dir b)" "$(new_id)"
	[ "$status" -eq 0 ]
	for t in pid net ipc uts mnt cgroup; do
		inside=$(awk -v t="$t" '$1 == t {print $2}' <<<"$output")
		[ -n "$inside" ]
		[ "$inside" != "$(ns_of $$ "$t")" ]
	done
	# A new network namespace holds only lo.
	[ "$(grep -c ':' <<<"$(sed -n '/Inter-/,$p' <<<"$output" | tail -n +3)")" -eq 1 ]
	grep -q ' lo:' <<<"$output"
}

@test "a new network namespace has lo up with 127.0.0.1 (as runc does)" {
	bundle_make b >/dev/null
	bundle_args b sh -c 'cat /sys/class/net/lo/flags; ip -o -4 addr show lo'
	run rt run -b "$(bundle_dir b)" "$(new_id)"
	[ "$status" -eq 0 ]
	# IFF_UP is bit 0 of the flags.
	[ $((${lines[0]} & 1)) -eq 1 ]
	[[ "${lines[1]}" == *"inet 127.0.0.1/8"* ]]
}

@test "no network namespace in config: the host's is kept" {
	bundle_make b >/dev/null
	bundle_set b '.linux.namespaces |= map(select(.type != "network"))'
	bundle_args b readlink /proc/self/ns/net
	run rt run -b "$(bundle_dir b)" "$(new_id)"
	[ "$status" -eq 0 ]
	[ "$output" = "$(ns_of $$ net)" ]
}

# start_a: container A (`sleep`, hostname it-a), detached; sets A_ID, A_PID.
start_a() {
	bundle_make a >/dev/null
	bundle_set a '.hostname="it-a"'
	bundle_args a sleep 1000
	A_ID=$(new_id a)
	run_file rt run -d -b "$(bundle_dir a)" "$A_ID"
	[ "$status" -eq 0 ]
	A_PID=$(rt_state_field "$A_ID" pid)
	[ "$A_PID" -gt 0 ]
}

@test "join: net, ipc, uts and pid of another container by /proc/PID/ns paths" {
	start_a
	bundle_make b >/dev/null
	# No hostname for B: it would rename A's uts namespace.
	bundle_set b 'del(.hostname) | .linux.namespaces = [
		{type:"pid", path:"/proc/\($p)/ns/pid"}, {type:"network", path:"/proc/\($p)/ns/net"},
		{type:"ipc", path:"/proc/\($p)/ns/ipc"}, {type:"uts", path:"/proc/\($p)/ns/uts"},
		{type:"mount"}]' --arg p "$A_PID"
	bundle_args b sh -c 'for t in net ipc uts pid; do echo "$t $(readlink /proc/self/ns/$t)"; done
		echo "host $(hostname)"; echo "me $$"; ps -o pid,args'
	run rt run -b "$(bundle_dir b)" "$(new_id b)"
	[ "$status" -eq 0 ]
	for t in net ipc uts pid; do
		[ "$(awk -v t="$t" '$1 == t {print $2}' <<<"$output")" = "$(ns_of "$A_PID" "$t")" ]
	done
	grep -qx 'host it-a' <<<"$output"
	# B is a member of A's pid namespace, not its pid 1; A's sleep is pid 1.
	me=$(awk '$1 == "me" {print $2}' <<<"$output")
	[ "$me" -gt 1 ]
	grep -Eq '^ *1 +sleep 1000' <<<"$output"
	# A is untouched.
	[ "$(rt_state_field "$A_ID" status)" = running ]
	[ "$(nsenter -t "$A_PID" -u hostname)" = it-a ]
}

@test "join: only the network namespace (seed 000's pause + web)" {
	start_a
	bundle_make b >/dev/null
	bundle_set b '.linux.namespaces |= map(if .type == "network" then .path = "/proc/\($p)/ns/net" else . end)' --arg p "$A_PID"
	bundle_args b sh -c 'readlink /proc/self/ns/net; readlink /proc/self/ns/pid; echo $$'
	run rt run -b "$(bundle_dir b)" "$(new_id b)"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "$(ns_of "$A_PID" net)" ]
	[ "${lines[1]}" != "$(ns_of "$A_PID" pid)" ]
	[ "${lines[2]}" = 1 ]
}

@test "join: two detached containers share the first one's net namespace (web1, web2)" {
	start_a
	bundle_make w >/dev/null
	bundle_set w '.linux.namespaces |= map(if .type == "network" or .type == "ipc" then .path = "/proc/\($p)/ns/" + (if .type == "network" then "net" else "ipc" end) else . end)' --arg p "$A_PID"
	bundle_args w sleep 1000
	w1=$(new_id web)
	w2=$(new_id web)
	run_file rt run -d -b "$(bundle_dir w)" "$w1"
	[ "$status" -eq 0 ]
	run_file rt run -d -b "$(bundle_dir w)" "$w2"
	[ "$status" -eq 0 ]
	p1=$(rt_state_field "$w1" pid)
	p2=$(rt_state_field "$w2" pid)
	[ "$(ns_of "$p1" net)" = "$(ns_of "$A_PID" net)" ]
	[ "$(ns_of "$p2" net)" = "$(ns_of "$A_PID" net)" ]
	[ "$(ns_of "$p1" ipc)" = "$(ns_of "$A_PID" ipc)" ]
	[ "$(ns_of "$p2" pid)" != "$(ns_of "$A_PID" pid)" ]
}

@test "join: a named netns by /var/run/netns/NAME" {
	ns=${RT_TOKEN}x
	netns_make "$ns"
	# Something to recognise it by from inside.
	ip -n "$ns" link add itv0 type veth peer name itv1
	bundle_make b >/dev/null
	bundle_set b '.linux.namespaces |= map(if .type == "network" then .path = "/var/run/netns/\($n)" else . end)' --arg n "$ns"
	bundle_args b sh -c 'readlink /proc/self/ns/net; cat /proc/net/dev'
	run rt run -b "$(bundle_dir b)" "$(new_id)"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "net:[$(stat -L -c %i "/var/run/netns/$ns")]" ]
	grep -q 'itv0:' <<<"$output"
	grep -q 'itv1:' <<<"$output"
}

@test "join: a namespace path that does not exist fails create and leaves nothing" {
	bundle_make b >/dev/null
	bundle_set b '.linux.namespaces |= map(if .type == "network" then .path = "/var/run/netns/\($n)-missing" else . end)' --arg n "$RT_TOKEN"
	bundle_args b true
	id=$(new_id)
	run_file rt create -b "$(bundle_dir b)" "$id"
	[ "$status" -ne 0 ]
	[ ! -e "$RT_ROOT/$id" ]
	[ -z "$(marked_pids)" ]
}

@test "linux.sysctl: set inside the container's namespaces only" {
	host=$(cat /proc/sys/net/ipv4/conf/all/forwarding)
	want=$((1 - host))
	bundle_make b >/dev/null
	bundle_set b '.linux.sysctl={"net.ipv4.conf.all.forwarding":$v, "kernel.msgmax":"12345"}' --arg v "$want"
	bundle_args b cat /proc/sys/net/ipv4/conf/all/forwarding /proc/sys/kernel/msgmax
	run rt run -b "$(bundle_dir b)" "$(new_id)"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "$want" ]
	[ "${lines[1]}" = 12345 ]
	[ "$(cat /proc/sys/net/ipv4/conf/all/forwarding)" = "$host" ]
	[ "$(cat /proc/sys/kernel/msgmax)" != 12345 ]
}

@test "user namespace with uid/gid mappings" {
	b=$(bundle_make b)
	bundle_set b '.linux.namespaces += [{type:"user"}]
		| .linux.uidMappings = [{containerID:0, hostID:100000, size:65536}]
		| .linux.gidMappings = [{containerID:0, hostID:100000, size:65536}]
		| .mounts |= map(select(.type != "cgroup"))'
	bundle_args b sh -c 'cat /proc/self/uid_map /proc/self/gid_map | tr -s " "; id -u'
	# Container root is host uid 100000: it must be able to reach the rootfs
	# through bats' private (0700) run dir.
	chmod o+x "$BATS_RUN_TMPDIR"
	run rt run -b "$b" "$(new_id)"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = " 0 100000 65536" ]
	[ "${lines[1]}" = " 0 100000 65536" ]
	[ "${lines[2]}" = 0 ]
}

@test "time namespace (podrun)" {
	[ "$RT_NAME" = podrun ] || skip "runc 1.1 has no time namespace"
	bundle_make b >/dev/null
	bundle_set b '.linux.namespaces += [{type:"time"}]'
	bundle_args b readlink /proc/self/ns/time
	run rt run -b "$(bundle_dir b)" "$(new_id)"
	[ "$status" -eq 0 ]
	[ "$output" != "$(ns_of $$ time)" ]
}
