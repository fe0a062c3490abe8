#!/usr/bin/env bats
# podnet attach/detach/gc on real bridges, netns and veths.
load podnet_common

setup() {
	BR=${TOK}b0
	pn bridge add "$BR" --subnet "$(subnet 1)"
}

host_veths() {
	ip -o link show master "$BR" 2>/dev/null | awk -F': ' '{split($2, a, "@"); print a[1]}'
}

# host_veth_count N: exactly N veths on the bridge (detach finishes deleting
# a veth in the background: poll for it)
host_veth_count() {
	[ "$(host_veths | wc -l)" -eq "$1" ]
}

@test "attach --ip: veth on the bridge, eth0 with the address, lo up, default route; detach undoes it" {
	ip netns add "${TOK}n1"
	ip=$(subnet_ip 1 10)
	run pn attach --bridge "$BR" --netns "${TOK}n1" --ip "$ip" --mac 02:aa:bb:cc:dd:01
	[ "$status" -eq 0 ]
	[ "$output" = "$ip" ]
	ip netns exec "${TOK}n1" ip -o addr show eth0 | grep -q "inet $ip/24"
	ip netns exec "${TOK}n1" ip -o link show eth0 | grep -q 'link/ether 02:aa:bb:cc:dd:01'
	ip netns exec "${TOK}n1" ip -o link show lo | grep -q ',UP'
	ip netns exec "${TOK}n1" ip route show default | grep -q "default via $(subnet_ip 1 1) dev eth0"
	veth=$(host_veths)
	[ -n "$veth" ]
	[ ${#veth} -le 15 ]
	ip -o link show "$veth" | grep -q ',UP'
	[ "$(lease_count)" -eq 1 ]
	[ -e "$STATE/ipam/$BR/$ip" ]

	run pn detach --netns "${TOK}n1"
	[ "$status" -eq 0 ]
	# the address is off eth0 at once; the veth's deletion may finish after
	! ip netns exec "${TOK}n1" ip -o addr show | grep -q "inet $ip/" || false
	poll 10 no_link "$veth"
	poll 10 no_link_in "${TOK}n1" eth0
	[ "$(lease_count)" -eq 0 ]
	[ ! -e "$STATE/ipam/$BR/$ip" ]
}

@test "attach via IPAM with --json; --pid and --netns-path selectors; detach --id" {
	ip netns add "${TOK}n2"
	run pn --json attach --bridge "$BR" --netns "${TOK}n2" --ifname net1 --mtu 1400 --id "${TOK}-c1"
	[ "$status" -eq 0 ]
	addr=$(echo "$output" | jq -r .address)
	[ "$(echo "$output" | jq -r .ifname)" = net1 ]
	[ "$(echo "$output" | jq -r .gateway)" = "$(subnet_ip 1 1)" ]
	[ "$(echo "$output" | jq -r .netns)" = "${TOK}n2" ]
	[ "$(echo "$output" | jq -r .id)" = "${TOK}-c1" ]
	host=$(echo "$output" | jq -r .host_veth)
	mac=$(echo "$output" | jq -r .mac)
	ip -o link show "$host" | grep -q "master $BR"
	ip netns exec "${TOK}n2" ip -o addr show net1 | grep -q "inet $addr/24"
	ip netns exec "${TOK}n2" ip -o link show net1 | grep -q "mtu 1400 .*link/ether $mac"
	# IPAM hands out host addresses of the subnet, never the gateway
	[[ "$addr" == "$(subnet_ip 1 '')"* ]]
	[ "$addr" != "$(subnet_ip 1 1)" ]
	pn detach --id "${TOK}-c1"
	# at once again, same id and address (a restarted container), while the
	# old veth may still be on its way out
	run pn --json attach --bridge "$BR" --netns "${TOK}n2" --id "${TOK}-c1" --ip "$addr"
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | jq -r .address)" = "$addr" ]
	host2=$(echo "$output" | jq -r .host_veth)
	ip netns exec "${TOK}n2" ip -o addr show eth0 | grep -q "inet $addr/24"
	pn detach --id "${TOK}-c1"
	poll 10 no_link "$host"
	poll 10 no_link "$host2"

	# --netns-path and --pid
	run pn attach --bridge "$BR" --netns-path "/var/run/netns/${TOK}n2"
	[ "$status" -eq 0 ]
	pn detach --netns-path "/var/run/netns/${TOK}n2"
	ip netns exec "${TOK}n2" sleep 60 &
	pid=$!
	poll 10 in_netns "$pid" "${TOK}n2"
	run pn attach --bridge "$BR" --pid "$pid"
	[ "$status" -eq 0 ]
	ip netns exec "${TOK}n2" ip -o addr show eth0 | grep -q "inet $output/24"
	pn detach --pid "$pid"
	kill "$pid"
	[ "$(lease_count)" -eq 0 ]
	poll 10 host_veth_count 0
}

@test "two netns on one bridge reach each other and the gateway" {
	ip netns add "${TOK}n3"
	ip netns add "${TOK}n4"
	a=$(pn attach --bridge "$BR" --netns "${TOK}n3")
	b=$(pn attach --bridge "$BR" --netns "${TOK}n4")
	[ "$a" != "$b" ]
	ip netns exec "${TOK}n3" busybox ping -c 1 -W 5 "$b"
	ip netns exec "${TOK}n4" busybox ping -c 1 -W 5 "$a"
	ip netns exec "${TOK}n3" busybox ping -c 1 -W 5 "$(subnet_ip 1 1)"
	pn detach --netns "${TOK}n3"
	pn detach --netns "${TOK}n4"
	poll 10 host_veth_count 0
}

@test "50 parallel attaches get 50 distinct addresses; all detach cleanly" {
	for i in $(seq 1 50); do
		ip netns add "${TOK}p$i"
	done
	for i in $(seq 1 50); do
		pn attach --bridge "$BR" --netns "${TOK}p$i" >"$BATS_TEST_TMPDIR/a$i" 2>&1 &
	done
	wait
	cat "$BATS_TEST_TMPDIR"/a* | sort >"$BATS_TEST_TMPDIR/all"
	[ "$(wc -l <"$BATS_TEST_TMPDIR/all")" -eq 50 ]
	[ "$(sort -u "$BATS_TEST_TMPDIR/all" | wc -l)" -eq 50 ]
	! grep -v "^$(subnet_ip 1 '')" "$BATS_TEST_TMPDIR/all" || false
	[ "$(lease_count)" -eq 50 ]
	[ "$(host_veths | wc -l)" -eq 50 ]
	# each netns really has the address it was told
	for i in 1 25 50; do
		ip netns exec "${TOK}p$i" ip -o addr show eth0 | grep -q "inet $(cat "$BATS_TEST_TMPDIR/a$i")/24"
	done
	for i in $(seq 1 50); do
		pn detach --netns "${TOK}p$i" &
	done
	wait
	[ "$(lease_count)" -eq 0 ]
	[ -z "$(ls "$STATE/ipam/$BR")" ]
	poll 20 host_veth_count 0
}

@test "gc removes the lease and veth of a netns deleted behind podnet's back" {
	ip netns add "${TOK}n5"
	ip netns add "${TOK}n6"
	pn attach --bridge "$BR" --netns "${TOK}n5" --id "${TOK}-gone"
	pn attach --bridge "$BR" --netns "${TOK}n6" --id "${TOK}-kept"
	# keep the netns itself alive with a process, so its veth stays too
	ip netns exec "${TOK}n5" sleep 60 &
	pid=$!
	poll 10 in_netns "$pid" "${TOK}n5"
	ip netns del "${TOK}n5"
	run pn status
	echo "$output" | grep -q "${TOK}-gone .* gone: podnet gc removes it"
	run pn --json gc
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | jq -r '.removed | join(",")')" = "${TOK}-gone" ]
	[ ! -e "$STATE/leases/${TOK}-gone.json" ]
	[ -e "$STATE/leases/${TOK}-kept.json" ]
	poll 10 host_veth_count 1
	kill "$pid"
	# a second gc finds nothing
	run pn gc
	[ -z "$output" ]
	# an attach that died between claiming its id and writing its record
	# left an empty claim and an address: gc frees both once they are stale
	: >"$STATE/leases/${TOK}-crashed.json"
	echo -n "${TOK}-crashed" >"$STATE/ipam/$BR/$(subnet_ip 1 99)"
	run pn attach --bridge "$BR" --netns "${TOK}n6" --id "${TOK}-crashed"
	[ "$output" = "podnet: ${TOK}-crashed is already attached (detach it first)" ]
	pn gc
	[ -e "$STATE/leases/${TOK}-crashed.json" ] # too fresh to judge
	touch -d '-2 minutes' "$STATE/leases/${TOK}-crashed.json"
	pn gc
	[ ! -e "$STATE/leases/${TOK}-crashed.json" ]
	[ ! -e "$STATE/ipam/$BR/$(subnet_ip 1 99)" ]
	pn detach --id "${TOK}-kept"
}

@test "attach errors: clear messages, and nothing it made stays" {
	ip netns add "${TOK}n7"
	run pn attach --bridge "${TOK}bx" --netns "${TOK}n7"
	[ "$status" -eq 1 ]
	[ "$output" = "podnet: bridge ${TOK}bx does not exist (not made by podnet bridge add)" ]
	run pn attach --bridge "$BR" --netns "${TOK}nx"
	[ "$output" = "podnet: network namespace ${TOK}nx does not exist" ]
	run pn attach --bridge "$BR" --netns-path /tmp
	[ "$output" = "podnet: network namespace /tmp does not exist (/tmp is not a netns file)" ]
	run pn attach --bridge "$BR" --pid 999999999
	[ "$output" = 'podnet: invalid --pid "999999999": expected a process ID' ]
	run pn attach --bridge "$BR" --netns "${TOK}n7" --ip 192.0.2.7
	[ "$output" = "podnet: attach ${TOK}n7 to $BR: address 192.0.2.7 is outside the subnet $(subnet 1) of bridge $BR" ]
	run pn attach --bridge "$BR" --netns "${TOK}n7" --ip "$(subnet_ip 1 1)"
	[ "$output" = "podnet: attach ${TOK}n7 to $BR: address $(subnet_ip 1 1) is the gateway of bridge $BR" ]
	run pn attach --bridge "$BR" --netns "${TOK}n7" --ip "$(subnet_ip 1 5)/16"
	[ "$output" = "podnet: invalid --ip: prefix length /16 does not match the subnet /24 of bridge $BR" ]
	run pn attach --bridge "$BR" --netns "${TOK}n7" --ip 10.1.2
	[ "$output" = 'podnet: invalid --ip "10.1.2": expected an IPv4 address A.B.C.D' ]
	run pn attach --bridge "$BR" --netns "${TOK}n7" --mac 02:aa:bb:cc:dd
	[ "$output" = 'podnet: invalid MAC "02:aa:bb:cc:dd": expected aa:bb:cc:dd:ee:ff' ]
	run pn attach --bridge "$BR" --netns "${TOK}n7" --mac 01:aa:bb:cc:dd:ee
	[ "$output" = 'podnet: invalid MAC "01:aa:bb:cc:dd:ee": a multicast address (odd first byte)' ]
	run pn attach --bridge "$BR" --netns "${TOK}n7" --mtu 99999
	[ "$output" = 'podnet: invalid MTU "99999": expected a number 68..65535' ]
	run pn attach --bridge "$BR"
	[ "$status" -eq 2 ]
	[ "$output" = "podnet: attach: one of --netns NAME, --netns-path PATH or --pid PID is required" ]
	run pn attach --bridge "$BR" --netns a --pid 1
	[ "$output" = "podnet: attach: give only one of --netns, --netns-path, --pid" ]
	run pn attach --bridge "$BR" --netns "${TOK}n7" --bogus
	[ "$output" = "podnet: attach: unknown option --bogus (try podnet --help)" ]

	# already leased
	ip netns add "${TOK}n8"
	pn attach --bridge "$BR" --netns "${TOK}n8" --ip "$(subnet_ip 1 20)"
	run pn attach --bridge "$BR" --netns "${TOK}n7" --ip "$(subnet_ip 1 20)"
	[ "$status" -eq 1 ]
	[ "$output" = "podnet: attach ${TOK}n7 to $BR: address $(subnet_ip 1 20) is already leased to ${TOK}n8" ]
	# the same id twice
	run pn attach --bridge "$BR" --netns "${TOK}n7" --id "${TOK}n8"
	[ "$output" = "podnet: ${TOK}n8 is already attached (detach it first)" ]

	# a failure after the veth exists (the peer name is taken in the
	# netns): the veth, the lease and the address are all undone
	run pn attach --bridge "$BR" --netns "${TOK}n7" --ifname lo --ip "$(subnet_ip 1 21)"
	[ "$status" -eq 1 ]
	[[ "$output" == "podnet: attach ${TOK}n7 to $BR: create veth vp"*" (peer lo)"* ]]
	[ "$(lease_count)" -eq 1 ]
	[ ! -e "$STATE/ipam/$BR/$(subnet_ip 1 21)" ]
	[ "$(host_veths | wc -l)" -eq 1 ]

	# detach of what is not attached
	run pn detach --netns "${TOK}n7"
	[ "$status" -eq 1 ]
	[ "$output" = "podnet: nothing is attached to network namespace ${TOK}n7" ]
	run pn detach --id nosuch
	[ "$output" = "podnet: nosuch is not attached" ]

	# a bridge with attachments is not deleted
	run pn bridge del "$BR"
	[ "$status" -eq 1 ]
	[ "$output" = "podnet: bridge $BR still has 1 attachment (detach first)" ]
	pn detach --netns "${TOK}n8"
	pn bridge del "$BR"
}

@test "attach --publish: attach and forward in one command; detach removes both" {
	ip netns add "${TOK}n7"
	run pn --json attach --bridge "$BR" --netns "${TOK}n7" --id "${TOK}-p1" --publish "19871:8000,19872-19873:9000/udp"
	[ "$status" -eq 0 ]
	addr=$(echo "$output" | jq -r .address)
	run pn --json forward list
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | jq -r --arg id "${TOK}-p1" '[.[] | select(.id == $id)] | length')" -eq 2 ]
	echo "$output" | jq -e --arg a "$addr" '.[] | select(.to_ip == $a and .to_port == 8000 and .host_port == 19871 and .proto == "tcp")'
	nft list table ip "$TOK" | grep -q 19871
	run pn detach --id "${TOK}-p1"
	[ "$status" -eq 0 ]
	run pn --json forward list
	[ "$(echo "$output" | jq -r --arg id "${TOK}-p1" '[.[] | select(.id == $id)] | length')" -eq 0 ]
	[ "$(lease_count)" -eq 0 ]
}

@test "attach --publish: a bad or taken port fails and leaves no veth, lease or rule" {
	ip netns add "${TOK}n8"
	run pn attach --bridge "$BR" --netns "${TOK}n8" --publish "0:80"
	[ "$status" -ne 0 ]
	[[ "$output" == *'invalid publish "0:80"'* ]]
	run pn attach --bridge "$BR" --netns "${TOK}n8" --publish "8080:80-90"
	[ "$status" -ne 0 ]
	[[ "$output" == *'invalid publish "8080:80-90": container port range 80-90 is not as long as host port range 8080-8080'* ]]
	ip netns add "${TOK}n9"
	run pn attach --bridge "$BR" --netns "${TOK}n9" --id "${TOK}-p2" --publish 19881:80
	[ "$status" -eq 0 ]
	run pn attach --bridge "$BR" --netns "${TOK}n8" --id "${TOK}-p3" --publish 19881:80
	[ "$status" -ne 0 ]
	[[ "$output" == *"host port 19881/tcp is already forwarded"* ]]
	[ "$(lease_count)" -eq 1 ]
	poll 10 host_veth_count 1
	! ip netns exec "${TOK}n8" ip -o link show eth0 2>/dev/null || false
	run pn detach --id "${TOK}-p2"
	[ "$status" -eq 0 ]
	[ "$(lease_count)" -eq 0 ]
}
