#!/usr/bin/env bats
# The container process's isolation as seen from inside: capability sets
# (compared with runc where it is installed), noNewPrivileges, rlimits,
# oomScoreAdj, umask, groups, masked and read-only paths, linux.devices,
# user namespaces, and LSM labels refused where the host has no LSM.

load lib/podrun_suite

teardown() {
	local id
	for id in $(runc --root "$T/runc-root" list -q 2>/dev/null); do
		runc --root "$T/runc-root" delete -f "$id" >/dev/null 2>&1 || true
	done
	rt_cleanup
}

teardown_file() {
	rt_teardown_file
	rm -rf "$T/runc-root" "/tmp/$(rprefix)-userns"
}

# runc refuses a symlinked rootfs: a copy of bundle $1 naming it directly
runc_bundle() {
	local r=$1-runc
	mkdir -p "$r"
	jq --arg p "$BASE/rootfs" '.root.path = $p' "$1/config.json" >"$r/config.json"
	echo "$r"
}

# runs_the_same_under_runc BUNDLE NAME: runc runs BUNDLE as container NAME
# with the output of the podrun `run` just before (skipped without runc).
runs_the_same_under_runc() {
	local ours=$output
	command -v runc >/dev/null || skip "no runc for the comparison"
	run runc --root "$T/runc-root" run -b "$(runc_bundle "$1")" "$(rid "$2")"
	[ "$status" -eq 0 ]
	[ "$output" = "$ours" ]
}

caps_json='{
	bounding: ["CAP_CHOWN", "CAP_KILL", "CAP_SETUID", "CAP_NET_BIND_SERVICE"],
	effective: ["CAP_CHOWN", "CAP_NET_BIND_SERVICE"],
	permitted: ["CAP_CHOWN", "CAP_NET_BIND_SERVICE"],
	inheritable: ["CAP_NET_BIND_SERVICE"],
	ambient: ["CAP_NET_BIND_SERVICE"]}'

@test "isolation: the five capability sets as root (same as runc)" {
	b=$(mkbundle caps ".process.capabilities = $caps_json |
		.process.args = $(args grep ^Cap /proc/self/status)")
	run P run -b "$b" "$(rid caps)"
	[ "$status" -eq 0 ]
	[[ "$output" == *"CapInh:	0000000000000400"* ]]
	[[ "$output" == *"CapPrm:	0000000000000401"* ]]
	[[ "$output" == *"CapEff:	0000000000000401"* ]]
	[[ "$output" == *"CapBnd:	00000000000004a1"* ]]
	[[ "$output" == *"CapAmb:	0000000000000400"* ]]
	runs_the_same_under_runc "$b" caps-runc
}

@test "isolation: a non-root user keeps its capabilities across the uid change" {
	b=$(mkbundle capsuser ".process.capabilities = $caps_json | .process.user = {uid: 1000, gid: 1000} |
		.process.args = $(args sh -c 'id -u; grep ^Cap /proc/self/status')")
	run P run -b "$b" "$(rid capsuser)"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 1000 ]
	# the ambient capability survives execve as permitted and effective
	[[ "$output" == *"CapInh:	0000000000000400"* ]]
	[[ "$output" == *"CapPrm:	0000000000000400"* ]]
	[[ "$output" == *"CapEff:	0000000000000400"* ]]
	[[ "$output" == *"CapBnd:	00000000000004a1"* ]]
	[[ "$output" == *"CapAmb:	0000000000000400"* ]]
	runs_the_same_under_runc "$b" capsuser-runc
}

@test "isolation: noNewPrivileges, rlimits, oomScoreAdj, umask, additionalGids" {
	b=$(mkbundle attrs ".process.noNewPrivileges = true |
		.process.rlimits = [{type: \"RLIMIT_NOFILE\", soft: 123, hard: 456}, {type: \"RLIMIT_NPROC\", soft: 77, hard: 88}] |
		.process.oomScoreAdj = 500 | .process.user = {uid: 1000, gid: 1000, additionalGids: [10, 20], umask: 23} |
		.process.args = $(args sh -c 'grep NoNewPrivs /proc/self/status; ulimit -n; ulimit -Hn; ulimit -u; cat /proc/self/oom_score_adj; umask; id -G')")
	run P run -b "$b" "$(rid attrs)"
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "NoNewPrivs:"*1 ]]
	[ "${lines[1]}" = 123 ]
	[ "${lines[2]}" = 456 ]
	[ "${lines[3]}" = 77 ]
	[ "${lines[4]}" = 500 ]
	[ "${lines[5]}" = 0027 ]
	[ "${lines[6]}" = "1000 10 20" ]
	b=$(mkbundle nonnp ".process.noNewPrivileges = false | .process.args = $(args grep NoNewPrivs /proc/self/status)")
	run P run -b "$b" "$(rid nonnp)"
	[ "$status" -eq 0 ]
	[[ "$output" == "NoNewPrivs:"*0 ]]
}

@test "isolation: maskedPaths (file reads empty, directory empty) and readonlyPaths" {
	mkdir -p "$T/mask/dir" "$T/mask/ro"
	echo secret >"$T/mask/file"
	echo secret2 >"$T/mask/dir/inner"
	b=$(mkbundle mask ".mounts += [{destination: \"/m\", type: \"bind\", source: \"$T/mask\", options: [\"rbind\"]}] |
		.linux.maskedPaths += [\"/m/file\", \"/m/dir\"] | .linux.readonlyPaths += [\"/m/ro\"] |
		.process.args = $(args sh -c 'echo x$(cat /m/file)x; ls -A /m/dir | wc -l; touch /m/dir/x 2>&1; touch /m/ro/x 2>&1; touch /m/ok && echo rw-ok')")
	run P run -b "$b" "$(rid mask)"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = xx ]
	[ "${lines[1]}" = 0 ]
	[[ "${lines[2]}" == *"Read-only file system"* ]]
	[[ "${lines[3]}" == *"Read-only file system"* ]]
	[ "${lines[4]}" = rw-ok ]
	[ ! -e "$T/mask/ro/x" ]
	[ "$(cat "$T/mask/file")" = secret ]
}

@test "isolation: linux.devices makes the node with its type, numbers, mode and owner" {
	b=$(mkbundle dev ".linux.devices = [{path: \"/dev/fuse\", type: \"c\", major: 10, minor: 229, fileMode: 416, uid: 0, gid: 5},
		{path: \"/dev/rt/loopy\", type: \"b\", major: 7, minor: 200, fileMode: 384}] |
		.process.args = $(args sh -c 'stat -c %F:%t:%T:%a:%u:%g /dev/fuse /dev/rt/loopy')")
	run P run -b "$b" "$(rid dev)"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "character special file:a:e5:640:0:5" ]
	[ "${lines[1]}" = "block special file:7:c8:600:0:0" ]
}

@test "isolation: user namespace: id and the maps inside, the rootfs usable, in its cgroup" {
	# the mapped root must reach the rootfs: bats' own directories are 0700
	u=/tmp/$(rprefix)-userns
	mkdir -p "$u"
	chmod 755 "$u"
	"$PODKIT_TOP/scripts/mkrootfs.sh" "$u/rootfs" >/dev/null
	b=$(mkbundle userns ".root.path = \"$u/rootfs\" | .linux.namespaces += [{type: \"user\"}, {type: \"cgroup\"}] |
		.linux.resources.pids = {limit: 33} |
		.linux.uidMappings = [{containerID: 0, hostID: 200000, size: 65536}] |
		.linux.gidMappings = [{containerID: 0, hostID: 200000, size: 65536}] |
		.process.args = $(args sh -c 'id; cat /proc/self/uid_map; ls /bin/sh >/dev/null && echo rootfs-ok; grep pids /proc/self/cgroup; cat /sys/fs/cgroup/pids/pids.max')")
	i=$(rid userns)
	run P run -b "$b" "$i"
	rm -rf "$u"
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "uid=0(root) gid=0(root)"* ]]
	[ "$(echo ${lines[1]})" = "0 200000 65536" ]
	[ "${lines[2]}" = rootfs-ok ]
	[ "${lines[3]}" = "8:pids:/" ]
	[ "${lines[4]}" = 33 ]
}

@test "isolation: a user namespace without mappings is a clear create error" {
	i=$(rid nomap)
	b=$(mkbundle nomap ".linux.namespaces += [{type: \"user\"}] | del(.linux.uidMappings, .linux.gidMappings)")
	run P create -b "$b" "$i"
	[ "$status" -ne 0 ]
	[[ "$output" == *"linux.uidMappings: required with a new user namespace"* ]]
	[ ! -e "$ROOT/$i" ]
	for h in /sys/fs/cgroup/*/; do [ ! -e "${h}podrun/$i" ]; done
}

@test "isolation: apparmorProfile, selinuxLabel, mountLabel refused where the host lacks them" {
	i=$(rid lsm)
	if [ ! -d /sys/kernel/security/apparmor ]; then
		run P create -b "$(mkbundle aa '.process.apparmorProfile = "rt-profile"')" "$i"
		[ "$status" -ne 0 ]
		[[ "$output" == *"process.apparmorProfile \"rt-profile\": AppArmor is not enabled on this host"* ]]
		[ ! -e "$ROOT/$i" ]
	fi
	[ ! -d /sys/fs/selinux ] || skip "SELinux present on this host"
	run P create -b "$(mkbundle se '.process.selinuxLabel = "system_u:system_r:container_t:s0"')" "$i"
	[ "$status" -ne 0 ]
	[[ "$output" == *"process.selinuxLabel"*"SELinux is not enabled on this host"* ]]
	run P create -b "$(mkbundle ml '.linux.mountLabel = "system_u:object_r:container_file_t:s0"')" "$i"
	[ "$status" -ne 0 ]
	[[ "$output" == *"linux.mountLabel"*"SELinux is not enabled on this host"* ]]
	[ ! -e "$ROOT/$i" ]
	# empty labels mean none, as in runc
	run P run -b "$(mkbundle empty '.process.apparmorProfile = "" | .process.args = ["true"]')" "$i"
	[ "$status" -eq 0 ]
}
