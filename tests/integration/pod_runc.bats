#!/usr/bin/env bats
# pod end to end with runc as the runtime (see pod_common.bash).
POD_TEST_RT=$(command -v runc)
POD_TEST_NET=71
POD_TEST_PORT=19171
load pod_common

setup_file() {
	pod_setup_file
}

teardown() {
	for p in $(ls "$POD_STATE_DIR" 2>/dev/null); do
		[ -f "$POD_STATE_DIR/$p/pod.json" ] && "$POD_BIN" --runtime "$POD_TEST_RT" rm -f "$p" >/dev/null 2>&1
	done
	return 0
}

teardown_file() {
	pod_cleanup
}

@test "runc: pod add web1 web2 share net, pid, ipc, uts; published port from the host" {
	t_web_pod_shares_namespaces
}

@test "runc: exit codes (exited 7, killed by SIGKILL) and logs kept after exit" {
	t_exit_codes_and_logs
}

@test "runc: pod stop then pod rm leave nothing" {
	t_stop_then_rm_leaves_nothing
}

@test "runc: pod rm -f of a running pod leaves nothing" {
	t_rm_force_leaves_nothing
}

@test "runc: two pods on one bridge reach each other by IP" {
	t_two_pods_reach_each_other
}

@test "runc: a pause killed behind pod's back is reported; pod add to it fails clearly" {
	t_pause_killed_is_reported
}

@test "runc: errors are one line and leave nothing half-made" {
	t_errors_leave_nothing
}

@test "runc: --share net keeps the other namespaces private" {
	t_share_subset
}

@test "runc: pod exec runs in the container" {
	t_exec_runs_in_container
}

@test "runc: generate systemd writes forking units with PIDFile and Restart=always" {
	t_generate_systemd
}

@test "runc: parallel pod create on a new bridge and parallel pod add" {
	t_parallel_creates_and_adds
}
