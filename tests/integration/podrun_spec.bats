#!/usr/bin/env bats
# `spec`: the default config.json, the same as runc's.

load lib/runtime

@test "spec: writes config.json in the cwd" {
	d=$RT_TMP/spec-cwd
	rm -rf "$d"
	mkdir -p "$d"
	run bash -c 'cd "$1" && shift && "$@"' _ "$d" "$RUNTIME" spec
	[ "$status" -eq 0 ]
	jq -e . "$d/config.json" >/dev/null
}

@test "spec: --bundle DIR, -b DIR and --bundle=DIR spellings" {
	for form in "--bundle X" "-b X" "--bundle=X"; do
		d=$RT_TMP/spec-$RANDOM
		mkdir -p "$d"
		# shellcheck disable=SC2086
		run "$RUNTIME" spec ${form//X/$d}
		[ "$status" -eq 0 ]
		jq -e . "$d/config.json" >/dev/null
	done
}

@test "spec: the defaults the seeds rely on" {
	c=$RT_TMP/spec/config.json
	[ "$(jq -r '.ociVersion | split(".") | .[0]' "$c")" = 1 ]
	[ "$(jq -r .process.terminal "$c")" = true ]
	[ "$(jq -c .process.args "$c")" = '["sh"]' ]
	[ "$(jq -c .process.user "$c")" = '{"uid":0,"gid":0}' ]
	[ "$(jq -r .process.cwd "$c")" = / ]
	[ "$(jq -r .root.path "$c")" = rootfs ]
	[ "$(jq -r .root.readonly "$c")" = true ]
	[ "$(jq -r .process.noNewPrivileges "$c")" = true ]
	[ "$(jq -c '.process.rlimits' "$c")" = '[{"type":"RLIMIT_NOFILE","hard":1024,"soft":1024}]' ]
	[ "$(jq -c '.process.capabilities.bounding | sort' "$c")" = '["CAP_AUDIT_WRITE","CAP_KILL","CAP_NET_BIND_SERVICE"]' ]
	[ "$(jq -r '[.mounts[].destination] | join(" ")' "$c")" = "/proc /dev /dev/pts /dev/shm /dev/mqueue /sys /sys/fs/cgroup" ]
	[ "$(jq -r '[.linux.namespaces[].type] | sort | join(" ")' "$c")" = "ipc mount network pid uts" ]
	jq -e '.linux.maskedPaths | index("/proc/kcore")' "$c" >/dev/null
	jq -e '.linux.readonlyPaths | index("/proc/sys")' "$c" >/dev/null
}

@test "spec: equal to runc's apart from ociVersion and hostname" {
	command -v runc >/dev/null || skip "runc is not installed"
	d=$RT_TMP/spec-runc
	rm -rf "$d"
	mkdir -p "$d"
	(cd "$d" && runc spec)
	norm() { jq -S 'del(.ociVersion, .hostname)' "$1"; }
	diff -u <(norm "$d/config.json") <(norm "$RT_TMP/spec/config.json")
}

@test "spec: the generated bundle runs as it is (terminal false, stdin closed)" {
	b=$(bundle_make b)
	run_file rt run -b "$b" "$(new_id)"
	[ "$status" -eq 0 ]
}
