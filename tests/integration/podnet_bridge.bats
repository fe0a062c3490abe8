#!/usr/bin/env bats
# podnet bridge add|del|list on real bridges.
load podnet_common

@test "bridge add: gateway address, up, ip_forward, record; list and --json; del removes it" {
	br=${TOK}b0
	run pn bridge add "$br" --subnet "$(subnet 1)"
	[ "$status" -eq 0 ]
	ip -o addr show dev "$br" | grep -q "inet $(subnet_ip 1 1)/24"
	ip -o link show "$br" | grep -q ',UP'
	[ "$(cat /proc/sys/net/ipv4/ip_forward)" = 1 ]
	[ -f "$STATE/bridges/$br.json" ]

	run pn bridge list
	[ "$status" -eq 0 ]
	echo "$output" | grep -E "^$br +$(subnet 1) +$(subnet_ip 1 1) "
	run pn --json bridge list
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | jq -r ".[] | select(.name==\"$br\") | .subnet")" = "$(subnet 1)" ]
	[ "$(echo "$output" | jq -r ".[] | select(.name==\"$br\") | .masquerade")" = true ]
	run pn bridge list --json
	[ "$(echo "$output" | jq -r '.[0].gateway')" = "$(subnet_ip 1 1)" ]

	run pn bridge del "$br"
	[ "$status" -eq 0 ]
	no_link "$br"
	[ ! -e "$STATE/bridges/$br.json" ]
	run pn --json bridge list
	[ "$output" = "[]" ]
}

@test "bridge add: --gateway, --mtu, --no-masquerade" {
	br=${TOK}b1
	run pn --json bridge add "$br" --subnet "$(subnet 2)" --gateway "$(subnet_ip 2 254)" --mtu 1400 --no-masquerade
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | jq -r .gateway)" = "$(subnet_ip 2 254)" ]
	[ "$(echo "$output" | jq -r .masquerade)" = false ]
	ip -o addr show dev "$br" | grep -q "inet $(subnet_ip 2 254)/24"
	ip -o link show "$br" | grep -q 'mtu 1400'
	pn bridge del "$br"
}

@test "bridge add: an overlapping subnet is refused naming the route, nothing is made" {
	br=${TOK}b2
	pn bridge add "$br" --subnet "$(subnet 3)"
	s=$(subnet 3)
	run pn bridge add "${TOK}b3" --subnet "${s%.0/24}.128/25"
	[ "$status" -eq 1 ]
	[[ "$output" == "podnet: subnet ${s%.0/24}.128/25 overlaps the existing route $s dev $br" ]]
	no_link "${TOK}b3"
	[ ! -e "$STATE/bridges/${TOK}b3.json" ]
	pn bridge del "$br"
}

@test "bridge add: errors for bad CIDR, gateway, MTU, name; duplicate bridge; missing bridge on del" {
	run pn bridge add "${TOK}b4" --subnet 10.77.300.0/24
	[ "$status" -eq 1 ]
	[[ "$output" == 'podnet: invalid --subnet "10.77.300.0/24": "10.77.300.0" is not an IPv4 address' ]]
	run pn bridge add "${TOK}b4" --subnet 10.77.3.0/33
	[[ "$output" == 'podnet: invalid --subnet "10.77.3.0/33": prefix length must be 0..32' ]]
	run pn bridge add "${TOK}b4" --subnet 10.77.3.0
	[[ "$output" == 'podnet: invalid --subnet "10.77.3.0": expected A.B.C.D/LEN' ]]
	run pn bridge add "${TOK}b4" --subnet "$(subnet 4)" --gateway 10.1.2.3
	[[ "$output" == "podnet: invalid gateway 10.1.2.3: not a host address of subnet $(subnet 4)" ]]
	run pn bridge add "${TOK}b4" --subnet "$(subnet 4)" --mtu 20
	[[ "$output" == 'podnet: invalid MTU "20": expected a number 68..65535' ]]
	run pn bridge add "${TOK}b4" --subnet "$(subnet 4)" --mtu 1500x
	[[ "$output" == 'podnet: invalid MTU "1500x": expected a number 68..65535' ]]
	run pn bridge add waytoolongbridgename0 --subnet "$(subnet 4)"
	[[ "$output" == 'podnet: invalid bridge name "waytoolongbridgename0": expected 1..15 characters' ]]
	run pn bridge add "${TOK}b4"
	[ "$status" -eq 2 ]
	[[ "$output" == "podnet: bridge add: --subnet CIDR is required" ]]
	no_link "${TOK}b4"

	pn bridge add "${TOK}b4" --subnet "$(subnet 4)"
	run pn bridge add "${TOK}b4" --subnet "$(subnet 5)"
	[ "$status" -eq 1 ]
	[[ "$output" == "podnet: bridge ${TOK}b4 already exists (subnet $(subnet 4))" ]]
	pn bridge del "${TOK}b4"

	run pn bridge del "${TOK}b9"
	[ "$status" -eq 1 ]
	[[ "$output" == "podnet: bridge ${TOK}b9 does not exist (not made by podnet bridge add)" ]]
	# a link of that name made by someone else is not taken over
	ip link add "${TOK}b5" type bridge
	run pn bridge add "${TOK}b5" --subnet "$(subnet 6)"
	[ "$status" -eq 1 ]
	[[ "$output" == "podnet: a link named ${TOK}b5 already exists" ]]
	ip link del "${TOK}b5"
}
