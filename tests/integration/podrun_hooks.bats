#!/usr/bin/env bats
# OCI hooks: all six kinds at their points, the state JSON on stdin, args,
# env and timeout honoured, a failing create-time hook fails create and
# leaves nothing behind.

load lib/runtime

# hooks_setup: a hook script that logs its name (and one env var) to
# $H/order and saves its stdin to $H/state.NAME.  startContainer runs inside
# the container after pivot_root, so the script and $H are bind-mounted at
# the same path inside.
hooks_setup() {
	H=$RT_TMP/hooks
	rm -rf "$H"
	mkdir -p "$H"
	cat >"$H/hook.sh" <<-'EOF'
		#!/bin/sh
		echo "$1 ${IT_HOOK_ENV:-unset}" >>"$2/order"
		cat >"$2/state.$1"
	EOF
	chmod 0755 "$H/hook.sh"
}

# hook_json NAME: one hook entry calling hook.sh NAME $H.
hook_json() {
	jq -cn --arg p "$H/hook.sh" --arg n "$1" --arg h "$H" \
		'{path:$p, args:["hook.sh", $n, $h], env:["IT_HOOK_ENV=env-\($n)"]}'
}

order() {
	awk '{print $1}' "$H/order" | tr '\n' ' ' | sed 's/ $//'
}

@test "hooks: all six run in order, each with its args, env and the state on stdin" {
	hooks_setup
	b=$(bundle_make b)
	hooks='{}'
	for k in prestart createRuntime createContainer startContainer poststart poststop; do
		hooks=$(jq -c --arg k "$k" --argjson h "$(hook_json "$k")" '.[$k] = [$h]' <<<"$hooks")
	done
	bundle_set b '.hooks = $h | .mounts += [{destination:$d, type:"bind", source:$d, options:["rbind","rw"]}]' \
		--argjson h "$hooks" --arg d "$H"
	bundle_args b sleep 1000
	id=$(new_id)

	run_file rt create -b "$b" "$id"
	[ "$status" -eq 0 ]
	[[ "$(order)" == "prestart createRuntime createContainer"* ]]
	run rt start "$id"
	[ "$status" -eq 0 ]
	[[ "$(order)" == *startContainer* ]]
	[[ "$(order)" == *poststart* ]]
	[[ "$(order)" != *poststop* ]]
	rt kill "$id" KILL
	wait_status "$id" stopped
	run rt delete "$id"
	[ "$status" -eq 0 ]
	if [ "$RT_NAME" = runc ]; then
		# runc 1.1 runs poststart at create time, before startContainer
		# (fixed in runc 1.2); everything else is in the spec's order.
		[ "$(order)" = "prestart createRuntime createContainer poststart startContainer poststop" ]
	else
		[ "$(order)" = "prestart createRuntime createContainer startContainer poststart poststop" ]
	fi

	# Each hook got its own args ($1 is its name) and env, nothing else.
	[ "$(awk '$2 != "env-" $1' "$H/order")" = "" ]
	for k in prestart createRuntime createContainer startContainer poststart poststop; do
		st=$H/state.$k
		[ "$(jq -r .id "$st")" = "$id" ]
		[ "$(jq -r .bundle "$st")" = "$b" ]
		[ "$(jq -r '.ociVersion | split(".") | .[0]' "$st")" = 1 ]
	done
	# The statuses at each point (OCI runtime spec, "Lifecycle").
	[ "$(jq -r .status "$H/state.prestart")" = creating ]
	[ "$(jq -r .status "$H/state.createRuntime")" = creating ]
	[ "$(jq -r .status "$H/state.createContainer")" = creating ]
	[ "$(jq -r .status "$H/state.startContainer")" = created ]
	[ "$(jq -r .status "$H/state.poststop")" = stopped ]
	# The host pid of the container process from createRuntime on.
	pid=$(jq -r .pid "$H/state.createRuntime")
	[ "$pid" -gt 1 ]
	if [ "$RT_NAME" = podrun ]; then
		[ "$(jq -r .status "$H/state.poststart")" = running ]
		[ "$(jq -r .pid "$H/state.poststart")" = "$pid" ]
	fi
}

@test "hooks: run foreground runs poststop when the container exits" {
	hooks_setup
	b=$(bundle_make b)
	bundle_set b '.hooks = {poststart:[$s], poststop:[$p]}' \
		--argjson s "$(hook_json poststart)" --argjson p "$(hook_json poststop)"
	bundle_args b true
	id=$(new_id)
	run rt run -b "$b" "$id"
	[ "$status" -eq 0 ]
	[ "$(order)" = "poststart poststop" ]
	[ "$(jq -r .id "$H/state.poststop")" = "$id" ]
}

@test "hooks: a failing createRuntime hook fails create and leaves nothing" {
	hooks_setup
	b=$(bundle_make b)
	bundle_set b '.hooks = {createRuntime:[{path:"/bin/sh", args:["sh","-c","echo hook-ran >>\($h)/order; exit 4"]}],
		poststop:[$p]}' --arg h "$H" --argjson p "$(hook_json poststop)"
	bundle_args b sleep 1000
	id=$(new_id)
	run_file rt create -b "$b" "$id"
	[ "$status" -ne 0 ]
	grep -q hook-ran "$H/order"
	[ ! -e "$RT_ROOT/$id" ]
	run rt state "$id"
	[ "$status" -ne 0 ]
	[ -z "$(marked_pids)" ]
	[ -z "$(mounts_under "$b")" ]
	[ -z "$(cgroups_named "$id")" ]
	# Nothing anywhere under the suite dir (bundles, state root); the host
	# table as a whole is not compared: other suites run alongside.
	[ -z "$(mounts_under "$RT_TMP")" ]
}

@test "hooks: a failing createContainer hook fails create and leaves nothing" {
	hooks_setup
	b=$(bundle_make b)
	bundle_set b '.hooks = {createContainer:[{path:"/bin/false"}]}'
	bundle_args b sleep 1000
	id=$(new_id)
	run_file rt create -b "$b" "$id"
	[ "$status" -ne 0 ]
	[ ! -e "$RT_ROOT/$id" ]
	[ -z "$(marked_pids)" ]
	[ -z "$(mounts_under "$b")" ]
	[ -z "$(cgroups_named "$id")" ]
}

@test "hooks: a hook that outlives its timeout fails create in bounded time" {
	hooks_setup
	b=$(bundle_make b)
	bundle_set b '.hooks = {createRuntime:[{path:"/bin/sh", args:["sh","-c","exec sleep 60"], timeout:1}]}'
	bundle_args b true
	id=$(new_id)
	start=$SECONDS
	run_file timeout 50 env "$RT_MARK" "$RUNTIME" --root "$RT_ROOT" create -b "$b" "$id"
	[ "$status" -ne 0 ]
	[ "$status" -ne 124 ]
	[ $((SECONDS - start)) -lt 30 ]
	[ ! -e "$RT_ROOT/$id" ]
	[ -z "$(marked_pids)" ]
}

@test "hooks: a hook path that does not exist fails create" {
	hooks_setup
	b=$(bundle_make b)
	bundle_set b '.hooks = {createRuntime:[{path:"/nonexistent/it-hook"}]}'
	bundle_args b true
	id=$(new_id)
	run_file rt create -b "$b" "$id"
	[ "$status" -ne 0 ]
	[ ! -e "$RT_ROOT/$id" ]
}
