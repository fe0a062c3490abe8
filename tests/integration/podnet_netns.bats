#!/usr/bin/env bats
# podnet netns add|del|list and interop with iproute2's `ip netns`.
load podnet_common

teardown() {
	[ -n "${SPID:-}" ] && kill "$SPID" 2>/dev/null
	podnet_cleanup
}

@test "netns add/list/del: bind mount under /var/run/netns, shared run dir" {
	n=${TOK}n1
	run pn netns add "$n"
	[ "$status" -eq 0 ]
	[ -e "/var/run/netns/$n" ]
	# a real nsfs bind mount, and the run dir is a shared mount point
	awk -v p="/run/netns/$n" '$5 == p {f=1} END {exit !f}' /proc/self/mountinfo
	awk '$5 == "/run/netns" && / shared:/ {f=1} END {exit !f}' /proc/self/mountinfo
	[ "$(stat -f -c %T "/var/run/netns/$n")" = nsfs ]
	# a netns of its own, not the host's
	[ "$(stat -L -c %i "/var/run/netns/$n")" != "$(stat -L -c %i /proc/self/ns/net)" ]

	run pn netns list
	echo "$output" | grep -qx "$n"
	run pn --json netns list
	[ "$(echo "$output" | jq -r ".[] | select(.name==\"$n\") | .name")" = "$n" ]
	run pn netns list --json
	echo "$output" | jq -e ".[] | select(.name==\"$n\")"

	run pn netns del "$n"
	[ "$status" -eq 0 ]
	[ ! -e "/var/run/netns/$n" ]
	! awk -v p="/run/netns/$n" '$5 == p {f=1} END {exit !f}' /proc/self/mountinfo || false
}

@test "netns interop: ip netns exec works on podnet's netns, podnet works on ip's" {
	pn netns add "${TOK}n2"
	ip netns list | grep -q "^${TOK}n2"
	run ip netns exec "${TOK}n2" ip -o link show lo
	[ "$status" -eq 0 ]
	ip netns exec "${TOK}n2" ip link add "${TOK}d" type bridge
	ip netns exec "${TOK}n2" ip -o link show "${TOK}d"
	no_link "${TOK}d"
	ip netns del "${TOK}n2"
	[ ! -e "/var/run/netns/${TOK}n2" ]

	ip netns add "${TOK}n3"
	pn netns list | grep -qx "${TOK}n3"
	pn bridge add "${TOK}b0" --subnet "$(subnet 1)"
	run pn attach --bridge "${TOK}b0" --netns "${TOK}n3"
	[ "$status" -eq 0 ]
	ip netns exec "${TOK}n3" ip -o addr show eth0 | grep -q "inet $output/24"
	pn detach --netns "${TOK}n3"
	pn netns del "${TOK}n3"
	! ip netns list | grep -q "^${TOK}n3" || false
	pn bridge del "${TOK}b0"
}

@test "netns errors: duplicate, missing, bad name" {
	pn netns add "${TOK}n4"
	run pn netns add "${TOK}n4"
	[ "$status" -eq 1 ]
	[ "$output" = "podnet: network namespace ${TOK}n4 already exists" ]
	pn netns del "${TOK}n4"
	run pn netns del "${TOK}n4"
	[ "$status" -eq 1 ]
	[ "$output" = "podnet: network namespace ${TOK}n4 does not exist" ]
	run pn netns add "a/b"
	[ "$status" -eq 1 ]
	[[ "$output" == "podnet: invalid netns name \"a/b\": character '/' not allowed"* ]]
	run pn netns add
	[ "$status" -eq 2 ]
	[ "$output" = "podnet: netns: add expects one NAME" ]
}

@test "netns attach NAME PID: names a process's netns like ip netns attach" {
	n=${TOK}n5
	unshare -n sleep 300 &
	SPID=$!
	# unshare has made the new netns once the pid's netns differs from ours
	poll 20 bash -c "[ \"\$(stat -L -c %i /proc/$SPID/ns/net)\" != \"\$(stat -L -c %i /proc/self/ns/net)\" ]"
	run pn netns attach "$n" "$SPID"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	[ "$(stat -L -c %i "/var/run/netns/$n")" = "$(stat -L -c %i "/proc/$SPID/ns/net")" ]
	[ "$(stat -f -c %T "/var/run/netns/$n")" = nsfs ]
	awk '$5 == "/run/netns" && / shared:/ {f=1} END {exit !f}' /proc/self/mountinfo
	ip netns list | grep -q "^$n"
	ip netns exec "$n" ip link add "${TOK}d" type bridge
	ip netns exec "$n" ip -o link show "${TOK}d"
	no_link "${TOK}d"

	run pn netns attach "$n" "$SPID"
	[ "$status" -eq 1 ]
	[ "$output" = "podnet: network namespace $n already exists" ]
	pn netns del "$n"
	[ ! -e "/var/run/netns/$n" ]
	# the process keeps its netns; only the name went
	kill -0 "$SPID"

	kill "$SPID"
	wait "$SPID" 2>/dev/null || true
	run pn netns attach "$n" "$SPID"
	[ "$status" -eq 1 ]
	[ "$output" = "podnet: attach network namespace $n: process $SPID does not exist" ]
	[ ! -e "/var/run/netns/$n" ]
	SPID=
	run pn netns attach "$n" 0
	[ "$status" -eq 2 ]
	[ "$output" = "podnet: netns attach: invalid PID \"0\": expected a process ID" ]
}
