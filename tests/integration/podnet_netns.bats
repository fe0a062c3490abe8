#!/usr/bin/env bats
# podnet netns add|del|list and interop with iproute2's `ip netns`.
load podnet_common

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
	! awk -v p="/run/netns/$n" '$5 == p {f=1} END {exit !f}' /proc/self/mountinfo
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
	! ip netns list | grep -q "^${TOK}n3"
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
