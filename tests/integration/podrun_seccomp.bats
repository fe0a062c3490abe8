#!/usr/bin/env bats
# linux.seccomp in podrun (seccomp_filter.c wired into container.c): the
# filter's effect seen from inside (Seccomp: 2, a blocked syscall's errno),
# argument conditions, defaultErrnoRet, flags, the examples/ profile and its
# compiled-filter cache under ROOT/.seccomp-cache, SCMP_ACT_NOTIFY with a
# real listener (a small C program built here), and create errors.

load lib/podrun_suite

setup_file() {
	rt_setup_file
	# The notify listener: takes the fd and the state over SCM_RIGHTS and
	# answers each notification with ENOSPC.
	build_seccomp_listener "$T/listener"
}

teardown() {
	local p
	for p in $(cat "$T/pids" 2>/dev/null); do kill -9 "$p" 2>/dev/null || true; done
	rm -f "$T/pids"
	rt_cleanup
}


@test "seccomp: filter mode 2, a blocked syscall fails with its errno, others pass" {
	b=$(mkbundle errno ".process.noNewPrivileges = false | .linux.seccomp = {defaultAction: \"SCMP_ACT_ALLOW\", syscalls: [
		{names: [\"mkdir\", \"mkdirat\"], action: \"SCMP_ACT_ERRNO\", errnoRet: 1}]} |
		.process.args = $(args sh -c 'grep "^Seccomp:" /proc/self/status; grep NoNewPrivs /proc/self/status; mkdir /dev/shm/x; echo rc=$?; touch /dev/shm/f && echo touched')")
	run P run -b "$b" "$(rid errno)"
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "Seccomp:"*2 ]]
	[[ "${lines[1]}" == "NoNewPrivs:"*0 ]]
	[[ "$output" == *"mkdir: can't create directory '/dev/shm/x': Operation not permitted"* ]]
	[[ "$output" == *"rc=1"* ]]
	[[ "$output" == *touched* ]]
}

@test "seccomp: with noNewPrivileges the filter is installed just before exec" {
	b=$(mkbundle nnp ".process.noNewPrivileges = true | .linux.seccomp = {defaultAction: \"SCMP_ACT_ALLOW\",
		syscalls: [{names: [\"mkdir\", \"mkdirat\"], action: \"SCMP_ACT_ERRNO\", errnoRet: 1}]} |
		.process.args = $(args sh -c 'grep "^Seccomp:" /proc/self/status; grep NoNewPrivs /proc/self/status; mkdir /dev/shm/x')")
	run P run -b "$b" "$(rid nnp)"
	[ "$status" -eq 1 ]
	[[ "${lines[0]}" == "Seccomp:"*2 ]]
	[[ "${lines[1]}" == "NoNewPrivs:"*1 ]]
	[[ "$output" == *"Operation not permitted"* ]]
}

@test "seccomp: argument conditions (EQ and MASKED_EQ) and errnoRet" {
	b=$(mkbundle args ".linux.seccomp = {defaultAction: \"SCMP_ACT_ALLOW\", syscalls: [
		{names: [\"chmod\"], action: \"SCMP_ACT_ERRNO\", errnoRet: 28, args: [{index: 1, value: 448, op: \"SCMP_CMP_EQ\"}]},
		{names: [\"fchmodat\"], action: \"SCMP_ACT_ERRNO\", errnoRet: 28, args: [{index: 2, value: 448, op: \"SCMP_CMP_EQ\"}]},
		{names: [\"chmod\"], action: \"SCMP_ACT_ERRNO\", errnoRet: 13, args: [{index: 1, value: 7, valueTwo: 7, op: \"SCMP_CMP_MASKED_EQ\"}]},
		{names: [\"fchmodat\"], action: \"SCMP_ACT_ERRNO\", errnoRet: 13, args: [{index: 2, value: 7, valueTwo: 7, op: \"SCMP_CMP_MASKED_EQ\"}]}]} |
		.process.args = $(args sh -c 'touch /dev/shm/f; chmod 700 /dev/shm/f; echo a=$?; chmod 755 /dev/shm/f; echo b=$?; chmod 757 /dev/shm/f; echo c=$?; stat -c %a /dev/shm/f')")
	run P run -b "$b" "$(rid args)"
	[ "$status" -eq 0 ]
	[[ "$output" == *"No space left on device"* ]]
	[[ "$output" == *"Permission denied"* ]]
	[[ "$output" == *"a=1"* ]]
	[[ "$output" == *"b=0"* ]]
	[[ "$output" == *"c=1"* ]]
	[ "${lines[-1]}" = 755 ]
}

@test "seccomp: defaultAction ERRNO with defaultErrnoRet, and flags" {
	# what busybox needs allowed by name; mkdir refused by the default action
	b=$(mkbundle deflt ".linux.seccomp = $(jq -c '.defaultErrnoRet = 38 | .flags = ["SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW"] |
		.syscalls |= map(.names |= map(select(. != "mkdir" and . != "mkdirat")))' "$PODKIT_TOP/examples/seccomp-default.json") |
		.process.args = $(args sh -c 'echo hi; mkdir /dev/shm/d; echo rc=$?')")
	run P run -b "$b" "$(rid deflt)"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = hi ]
	[[ "$output" == *"Function not implemented"* ]]
	[[ "$output" == *"rc=1"* ]]
}

@test "seccomp: the examples/ default profile runs busybox, compiled once then cached" {
	prof=$(jq -c . "$PODKIT_TOP/examples/seccomp-default.json")
	b=$(mkbundle prof ".linux.seccomp = $prof |
		.process.args = $(args sh -c 'grep "^Seccomp:" /proc/self/status; ls / >/dev/null && echo ls-ok; echo x | sed s/x/y/')")
	P() { "$PODRUN" --root "$T/root-cache" "$@"; }
	run P run -b "$b" "$(rid prof1)"
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "Seccomp:"*2 ]]
	[ "${lines[1]}" = ls-ok ]
	[ "${lines[2]}" = y ]
	files=("$T"/root-cache/.seccomp-cache/*)
	[ "${#files[@]}" -eq 1 ]
	[ -f "${files[0]}" ]
	before=$(stat -c '%i %Y.%y' "${files[0]}")
	sleep 1.1
	run P run -b "$b" "$(rid prof2)"
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "Seccomp:"*2 ]]
	files2=("$T"/root-cache/.seccomp-cache/*)
	[ "${#files2[@]}" -eq 1 ]
	# a cache hit reads the file and never rewrites it
	[ "$(stat -c '%i %Y.%y' "${files[0]}")" = "$before" ]
	# the cache is no container
	[ -z "$(P list -q)" ]
}

@test "seccomp: SCMP_ACT_NOTIFY hands the listener fd and the state to listenerPath" {
	sock=$T/l.sock
	"$T/listener" "$sock" "$T/l.out" &
	lpid=$!
	echo "$lpid" >>"$T/pids"
	for _ in $(seq 100); do
		[ -S "$sock" ] && break
		sleep 0.05
	done
	i=$(rid notify)
	b=$(mkbundle notify ".linux.seccomp = {defaultAction: \"SCMP_ACT_ALLOW\", listenerPath: \"$sock\",
		listenerMetadata: \"rt-meta\",
		syscalls: [{names: [\"mkdir\", \"mkdirat\"], action: \"SCMP_ACT_NOTIFY\"}]} |
		.process.args = $(args sh -c 'mkdir /dev/shm/n; echo rc=$?')")
	run P run -b "$b" "$i"
	[ "$status" -eq 0 ]
	[[ "$output" == *"No space left on device"* ]]
	[[ "$output" == *"rc=1"* ]]
	for _ in $(seq 100); do
		grep -q handled= "$T/l.out" 2>/dev/null && break
		sleep 0.1
	done
	wait "$lpid"
	head -1 "$T/l.out" | jq -e --arg i "$i" '.fds == ["seccompFd"] and .metadata == "rt-meta" and
		.state.id == $i and .pid > 0 and .ociVersion != null'
	grep -qx "handled=1" "$T/l.out"
}

@test "seccomp: a bad profile fails create, leaving nothing" {
	i=$(rid bad)
	b=$(mkbundle bad ".linux.seccomp = {defaultAction: \"SCMP_ACT_ALLOW\", syscalls: [{names: [\"mkdir\"], action: \"SCMP_ACT_BOGUS\"}]}")
	run P create -b "$b" "$i"
	[ "$status" -ne 0 ]
	[[ "$output" == *"linux.seccomp.syscalls[0].action"* ]]
	[ ! -e "$ROOT/$i" ]
	for h in /sys/fs/cgroup/*/; do [ ! -e "${h}podrun/$i" ]; done
	b=$(mkbundle bad2 ".linux.seccomp = {defaultAction: \"SCMP_ACT_ALLOW\", syscalls: [{names: [\"mkdir\"], action: \"SCMP_ACT_NOTIFY\"}]}")
	run P create -b "$b" "$i"
	[ "$status" -ne 0 ]
	[[ "$output" == *"linux.seccomp.listenerPath: required"* ]]
	[ ! -e "$ROOT/$i" ]
}

@test "seccomp: podrun spec writes no seccomp section" {
	mkdir -p "$T/specdir"
	(cd "$T/specdir" && "$PODRUN" spec)
	[ "$(jq '.linux.seccomp' "$T/specdir/config.json")" = null ]
}
