#!/usr/bin/env bats
# Failures: what podman/conmon and containerd-shim rely on (the wording of
# "does not exist", "container not running", exit 0 for delete --force of a
# missing ID, a bad args[0] failing at create), ID validation, bad config,
# and that a failed create leaves no state dir, process or mount behind.

load lib/runtime

# nothing_left ID BUNDLE: no state, no container process, no mount.
nothing_left() {
	[ ! -e "$RT_ROOT/$1" ]
	run rt state "$1"
	[ "$status" -ne 0 ]
	[ -z "$(marked_pids)" ]
	[ -z "$(mounts_under "$2")" ]
	[ -z "$(cgroups_named "$1")" ]
}

@test "unknown ID: state, start, kill, delete say 'does not exist'" {
	id=$(new_id)
	for cmd in state start kill delete; do
		run rt $cmd "$id"
		[ "$status" -ne 0 ]
		[[ "$output" == *"does not exist"* ]]
	done
}

@test "delete --force of a missing ID exits 0" {
	run rt delete --force "$(new_id)"
	[ "$status" -eq 0 ]
	run rt delete -f "$(new_id)"
	[ "$status" -eq 0 ]
}

@test "kill of a stopped container says 'container not running'" {
	b=$(bundle_make b)
	bundle_args b true
	id=$(new_id)
	run_file rt create -b "$b" "$id"
	[ "$status" -eq 0 ]
	rt start "$id"
	wait_status "$id" stopped
	run rt kill "$id" KILL
	[ "$status" -ne 0 ]
	[[ "$output" == *"container not running"* ]]
}

@test "start of a running container fails" {
	b=$(bundle_make b)
	bundle_args b sleep 1000
	id=$(new_id)
	run_file rt run -d -b "$b" "$id"
	[ "$status" -eq 0 ]
	run rt start "$id"
	[ "$status" -ne 0 ]
	[ "$(rt_state_field "$id" status)" = running ]
}

@test "bad args[0] (absolute): create fails with 'no such file or directory', nothing left" {
	b=$(bundle_make b)
	bundle_args b /nonexistent/it-binary
	id=$(new_id)
	run_file rt create -b "$b" "$id"
	[ "$status" -ne 0 ]
	[[ "${output,,}" == *"no such file or directory"* ]]
	nothing_left "$id" "$b"
	# Nothing anywhere under the suite dir (bundles, state root); the host
	# table as a whole is not compared: other suites run alongside.
	[ -z "$(mounts_under "$RT_TMP")" ]
}

@test "bad args[0] (not in PATH): create fails, nothing left" {
	b=$(bundle_make b)
	bundle_args b it-no-such-command
	id=$(new_id)
	run_file rt create -b "$b" "$id"
	[ "$status" -ne 0 ]
	nothing_left "$id" "$b"
}

@test "args[0] not executable: create fails with 'permission denied'" {
	b=$(bundle_make b)
	printf 'not a program\n' >"$b/rootfs/notexec"
	chmod 0644 "$b/rootfs/notexec"
	bundle_args b /notexec
	id=$(new_id)
	run_file rt create -b "$b" "$id"
	[ "$status" -ne 0 ]
	[[ "${output,,}" == *"permission denied"* ]]
	nothing_left "$id" "$b"
}

@test "run with a bad args[0] fails and leaves nothing" {
	b=$(bundle_make b)
	bundle_args b /nonexistent/it-binary
	id=$(new_id)
	run rt run -b "$b" "$id"
	[ "$status" -ne 0 ]
	[[ "${output,,}" == *"no such file or directory"* ]]
	nothing_left "$id" "$b"
}

@test "a missing rootfs fails create and leaves nothing" {
	b=$(bundle_make b)
	bundle_set b '.root.path="no-such-rootfs"'
	id=$(new_id)
	run_file rt create -b "$b" "$id"
	[ "$status" -ne 0 ]
	nothing_left "$id" "$b"
}

@test "a missing config.json fails create" {
	mkdir -p "$RT_TMP/empty-bundle"
	id=$(new_id)
	run_file rt create -b "$RT_TMP/empty-bundle" "$id"
	[ "$status" -ne 0 ]
	[ ! -e "$RT_ROOT/$id" ]
}

@test "a second create of an existing ID fails with 'already exists'" {
	b=$(bundle_make b)
	bundle_args b sleep 1000
	id=$(new_id)
	run_file rt create -b "$b" "$id"
	[ "$status" -eq 0 ]
	pid=$(rt_state_field "$id" pid)
	run_file rt create -b "$b" "$id"
	[ "$status" -ne 0 ]
	[[ "$output" == *"already exists"* ]]
	# The first one is untouched.
	[ "$(rt_state_field "$id" status)" = created ]
	[ "$(rt_state_field "$id" pid)" = "$pid" ]
}

@test "invalid IDs are refused: ../x, a/b, empty, 1 KiB long" {
	b=$(bundle_make b)
	bundle_args b true
	long=$(head -c 1024 /dev/zero | tr '\0' a)
	for id in ../x a/b "" "$long" . ..; do
		run_file rt create -b "$b" "$id"
		[ "$status" -ne 0 ]
		run_file rt run -b "$b" "$id"
		[ "$status" -ne 0 ]
	done
	# Nothing was made in or next to the state root.
	[ -z "$(ls -A "$RT_ROOT")" ]
	[ ! -e "$(dirname "$RT_ROOT")/x" ]
	[ -z "$(marked_pids)" ]
}

@test "invalid IDs (podrun): the message says 'invalid container ID'" {
	[ "$RT_NAME" = podrun ] || skip "podrun's wording"
	b=$(bundle_make b)
	bundle_args b true
	long=$(head -c 1024 /dev/zero | tr '\0' a)
	for id in ../x a/b "" "$long"; do
		for cmd in create run; do
			run_file rt $cmd -b "$b" "$id"
			[ "$status" -ne 0 ]
			[[ "$output" == *"invalid container ID"* ]]
		done
	done
	for cmd in state kill delete start; do
		run rt $cmd ../x
		[ "$status" -ne 0 ]
		[[ "$output" == *"invalid container ID"* ]]
	done
}

@test "errors (podrun): one line 'podrun: <what>: <why>' on stderr" {
	[ "$RT_NAME" = podrun ] || skip "podrun's format"
	id=$(new_id)
	status=0
	rt state "$id" >"$RT_TMP/out" 2>"$RT_TMP/err" || status=$?
	[ "$status" -ne 0 ]
	[ ! -s "$RT_TMP/out" ]
	[ "$(wc -l <"$RT_TMP/err")" -eq 1 ]
	grep -Eq "^podrun: .*$id.*does not exist" "$RT_TMP/err"

	b=$(bundle_make b)
	bundle_args b /nonexistent/it-binary
	id=$(new_id)
	status=0
	rt create -b "$b" "$id" >"$RT_TMP/out" 2>"$RT_TMP/err" </dev/null || status=$?
	[ "$status" -ne 0 ]
	[ "$(wc -l <"$RT_TMP/err")" -eq 1 ]
	grep -Eq "^podrun: create $id: .*: [Nn]o such file or directory$" "$RT_TMP/err"
}

@test "errors (podrun): --log-format json writes {level,msg,time} lines to --log" {
	[ "$RT_NAME" = podrun ] || skip "podrun's format (runc's differs in detail)"
	id=$(new_id)
	log=$RT_TMP/log.json
	rm -f "$log"
	run env "$RT_MARK" "$RUNTIME" --root "$RT_ROOT" --log "$log" --log-format json state "$id"
	[ "$status" -ne 0 ]
	[ -s "$log" ]
	# Every line is one JSON object with the three fields.
	while IFS= read -r line; do
		jq -e 'type == "object" and (.level | type == "string") and (.msg | type == "string") and (.time | type == "string")' <<<"$line" >/dev/null
	done <"$log"
	jq -se --arg id "$id" 'map(select(.level == "error" and (.msg | contains("does not exist")) and (.msg | contains($id)))) | length == 1' "$log"
	jq -r .time "$log" | grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+(Z|[+-][0-9:]+)$'
}

@test "--log-format text writes the error to --log too" {
	id=$(new_id)
	log=$RT_TMP/log.txt
	rm -f "$log"
	run env "$RT_MARK" "$RUNTIME" --root "$RT_ROOT" --log "$log" state "$id"
	[ "$status" -ne 0 ]
	grep -q "does not exist" "$log"
}

@test "config: wrong types are rejected with their JSON path (podrun)" {
	[ "$RT_NAME" = podrun ] || skip "podrun's wording"
	b=$(bundle_make b)
	cp "$b/config.json" "$RT_TMP/good.json"
	check() { # FILTER MESSAGE
		jq "$1" "$RT_TMP/good.json" >"$b/config.json"
		id=$(new_id)
		run_file rt create -b "$b" "$id"
		[ "$status" -ne 0 ]
		[[ "$output" == *"$2"* ]]
		[ ! -e "$RT_ROOT/$id" ]
	}
	check '.process.args=5' 'process.args: expected an array of strings'
	check '.ociVersion="2.0.0"' 'ociVersion'
	check 'del(.root)' 'root'
	check '.process.cwd=7' 'process.cwd'
	check '.mounts[0].destination=false' 'mounts[0].destination'
	echo '{ not json' >"$b/config.json"
	id=$(new_id)
	run_file rt create -b "$b" "$id"
	[ "$status" -ne 0 ]
	[[ "$output" == *config.json* ]]
}

@test "config: unknown fields are ignored" {
	b=$(bundle_make b)
	bundle_set b '.itUnknown={"x":1} | .process.itUnknown=[1,2] | .linux.itUnknown="y"'
	bundle_args b echo fine
	run rt run -b "$b" "$(new_id)"
	[ "$status" -eq 0 ]
	[ "$output" = fine ]
}
