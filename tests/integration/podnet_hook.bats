#!/usr/bin/env bats
# podnet hook driven by hand-written OCI state on stdin.
load podnet_common

setup() {
	BR=${TOK}b0
	pn bridge add "$BR" --subnet "$(subnet 1)"
	ip netns add "${TOK}h"
	# the "container": a process in its own netns
	ip netns exec "${TOK}h" sleep 300 &
	CPID=$!
	poll 10 in_netns "$CPID" "${TOK}h"
}

teardown() {
	kill "$CPID" 2>/dev/null || true
	podnet_cleanup
}

state() { # state ID STATUS [PID] [ANNOTATIONS-JSON]
	jq -cn --arg id "$1" --arg st "$2" --argjson pid "${3:-$CPID}" --argjson ann "${4:-{\}}" \
		'{ociVersion:"1.0.2", id:$id, status:$st, pid:$pid, bundle:"/nonexistent/bundle", annotations:$ann}'
}

forward_available() {
	pn forward list >/dev/null 2>&1
}

@test "hook: creating attaches the pid's netns under the container ID; stopped detaches" {
	id=${TOK}-c1
	run pn hook --bridge "$BR" < <(state "$id" creating)
	[ "$status" -eq 0 ]
	ip netns exec "${TOK}h" ip -o addr show eth0 | grep -q "inet $(subnet_ip 1 '')"
	ip netns exec "${TOK}h" ip route show default | grep -q "via $(subnet_ip 1 1)"
	[ "$(jq -r .pid "$STATE/leases/$id.json")" = "$CPID" ]
	[ "$(jq -r .pid_start "$STATE/leases/$id.json")" != 0 ]
	# listed as createRuntime and prestart hook: the second run is a no-op
	run pn hook --bridge "$BR" < <(state "$id" created)
	[ "$status" -eq 0 ]
	[ "$(lease_count)" -eq 1 ]
	run pn hook --bridge "$BR" < <(state "$id" stopped 0)
	[ "$status" -eq 0 ]
	[ ! -e "$STATE/leases/$id.json" ]
	poll 10 no_link_in "${TOK}h" eth0
	# poststop of a container that never got attached is fine
	run pn hook < <(state "$id" stopped 0)
	[ "$status" -eq 0 ]
}

@test "hook: settings from annotations (bridge, ip); created works like creating" {
	id=${TOK}-c2
	ip=$(subnet_ip 1 30)
	run pn hook < <(state "$id" created "$CPID" "{\"podnet.bridge\":\"$BR\",\"podnet.ip\":\"$ip\"}")
	[ "$status" -eq 0 ]
	ip netns exec "${TOK}h" ip -o addr show eth0 | grep -q "inet $ip/24"
	pn hook < <(state "$id" stopped)
	[ "$(lease_count)" -eq 0 ]
}

@test "hook: --publish adds forwards owned by the container, stopped removes them" {
	forward_available || skip "podnet forward is not built yet"
	id=${TOK}-c3
	run pn hook --bridge "$BR" --publish 18080:8000/tcp --publish 18081:53/udp < <(state "$id" creating)
	[ "$status" -eq 0 ]
	run pn --json forward list
	[ "$(echo "$output" | jq "[.[] | select(.id==\"$id\")] | length")" -eq 2 ]
	# status shows the bridge, the lease and its forwards
	run pn --json status
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | jq -r ".bridges[] | select(.name==\"$BR\") | .subnet")" = "$(subnet 1)" ]
	[ "$(echo "$output" | jq -r ".leases[] | select(.id==\"$id\") | .alive")" = true ]
	[ "$(echo "$output" | jq "[.forwards[] | select(.id==\"$id\")] | length")" -eq 2 ]
	run pn status
	echo "$output" | grep -q "^  $id $(subnet_ip 1 '').*/24 on $BR"
	pn hook < <(state "$id" stopped 0)
	run pn --json forward list
	[ "$(echo "$output" | jq "[.[] | select(.id==\"$id\")] | length")" -eq 0 ]
}

@test "hook: gc detaches a container whose process died without poststop" {
	id=${TOK}-c4
	pn hook --bridge "$BR" < <(state "$id" creating)
	kill "$CPID"
	wait "$CPID" 2>/dev/null || true
	run pn gc
	[ "$status" -eq 0 ]
	[ "$output" = "removed $id" ]
	[ "$(lease_count)" -eq 0 ]
}

@test "hook errors: stdin that is not OCI state, missing bridge, bad settings; nothing stays" {
	run pn hook --bridge "$BR" </dev/null
	[ "$status" -eq 1 ]
	[ "$output" = "podnet hook: stdin is not OCI state: it is empty" ]
	run pn hook --bridge "$BR" <<<"hello"
	[[ "$output" == "podnet hook: stdin is not OCI state: invalid JSON at line 1: "* ]]
	run pn hook --bridge "$BR" <<<'[1]'
	[ "$output" = "podnet hook: stdin is not OCI state: not a JSON object" ]
	run pn hook --bridge "$BR" <<<'{"id":"x","status":"creating","pid":1,"bundle":"/b"}'
	[ "$output" = 'podnet hook: stdin is not OCI state: missing "ociVersion"' ]
	run pn hook --bridge "$BR" <<<'{"ociVersion":"1.0.2","status":"creating","pid":1,"bundle":"/b"}'
	[ "$output" = 'podnet hook: stdin is not OCI state: missing "id"' ]
	run pn hook --bridge "$BR" <<<'{"ociVersion":"1.0.2","id":"x","status":"creating","pid":"1","bundle":"/b"}'
	[ "$output" = 'podnet hook: stdin is not OCI state: "pid" must be a process ID' ]
	run pn hook --bridge "$BR" <<<'{"ociVersion":"1.0.2","id":"x","status":"creating","bundle":"/b"}'
	[ "$output" = 'podnet hook: stdin is not OCI state: missing "pid" (status creating)' ]
	run pn hook --bridge "$BR" <<<'{"ociVersion":"1.0.2","id":"x","status":"creating","pid":1}'
	[ "$output" = 'podnet hook: stdin is not OCI state: missing "bundle"' ]
	run pn hook --bridge "$BR" <<<'{"ociVersion":"1.0.2","id":"a/b","status":"creating","pid":1,"bundle":"/b"}'
	[[ "$output" == 'podnet hook: stdin is not OCI state: invalid container ID "a/b"'* ]]
	run pn hook < <(state "${TOK}-e1" creating)
	[ "$output" = "podnet hook: container ${TOK}-e1: no bridge (pass --bridge BR or set the podnet.bridge annotation)" ]
	run pn hook --bridge "$BR" < <(state "${TOK}-e1" running)
	[[ "$output" == "podnet hook: container ${TOK}-e1 has status \"running\""* ]]
	run pn hook --bridge "$BR" --ip 192.0.2.1 < <(state "${TOK}-e1" creating)
	[ "$output" = "podnet hook: attach ${TOK}-e1 to $BR: address 192.0.2.1 is outside the subnet $(subnet 1) of bridge $BR" ]
	run pn hook --bridge "$BR" < <(state "${TOK}-e1" creating 999999)
	[ "$output" = "podnet hook: network namespace of pid 999999 does not exist" ]
	[ "$(lease_count)" -eq 0 ]
	[ -z "$(ip -o link show master "$BR")" ]
}
