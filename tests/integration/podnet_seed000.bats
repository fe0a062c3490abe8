#!/usr/bin/env bats
# Seed 000 end to end with podnet instead of brctl/ip/iptables: a bridge
# with the gateway .1, a named netns attached to it (first address .2), a
# busybox httpd on .2:8000 inside, a forward of a host port to it, reached
# via 127.0.0.1 and via the bridge's gateway address.  The seed used host
# port 9999; the suite derives its own so parallel suites don't collide.
load podnet_common

teardown() {
	[ -n "${HPID:-}" ] && kill "$HPID" 2>/dev/null
	podnet_cleanup
	# what the examples made under their tags, if they failed half-way
	local t
	for t in x y; do
		TOK=${TOK}$t STATE=$STATE-$t podnet_cleanup
	done
	return 0
}

@test "seed 000: bridge, netns, attach, httpd in the netns, forward, curl via 127.0.0.1 and the gateway" {
	pn forward list >/dev/null 2>&1 || skip "podnet forward is not built yet"
	br=${TOK}b0 ns=${TOK}c port=$((40000 + ${TOK#nl} % 10000))
	gw=$(subnet_ip 1 1)
	pn bridge add "$br" --subnet "$(subnet 1)"
	pn netns add "$ns"
	run pn attach --bridge "$br" --netns "$ns"
	[ "$status" -eq 0 ]
	[ "$output" = "$(subnet_ip 1 2)" ]
	ip=$output
	ip netns exec "$ns" busybox ping -c 1 -W 5 127.0.0.1
	ip netns exec "$ns" busybox ping -c 1 -W 5 "$gw"

	mkdir -p "$BATS_TEST_TMPDIR/www"
	echo "seed000 $TOK" >"$BATS_TEST_TMPDIR/www/index.html"
	ip netns exec "$ns" busybox httpd -f -p "$ip:8000" -h "$BATS_TEST_TMPDIR/www" &
	HPID=$!
	poll 20 curl --noproxy '*' -sf -m 2 -o /dev/null "http://$ip:8000/"

	run pn forward add --host-port "$port" --to "$ip:8000" --id "$ns"
	[ "$status" -eq 0 ]
	run curl --noproxy '*' -sf -m 5 "http://127.0.0.1:$port/"
	[ "$status" -eq 0 ]
	[ "$output" = "seed000 $TOK" ]
	run curl --noproxy '*' -sf -m 5 "http://$gw:$port/"
	[ "$status" -eq 0 ]
	[ "$output" = "seed000 $TOK" ]
	# Hairpin: the container reaches its own forward through the gateway
	# after nothing but `podnet attach` (with br_netfilter loaded this needs
	# the bridge port in hairpin mode, which attach sets).
	ip -d link show master "$br" | grep -q 'hairpin on'
	run ip netns exec "$ns" curl --noproxy '*' -sf -m 5 "http://$gw:$port/"
	[ "$status" -eq 0 ] || { echo "own forward from $ns: $output"; false; }
	[ "$output" = "seed000 $TOK" ]

	# detach removes the forwards of that id as well, at once: the host port
	# is free again when it returns
	kill "$HPID"
	HPID=
	pn detach --netns "$ns"
	run pn --json forward list
	[ "$(echo "$output" | jq "[.[] | select(.id==\"$ns\")] | length")" -eq 0 ]
	! nft list table ip "$TOK" 2>/dev/null | grep -q "$port" || false
	pn forward add --host-port "$port" --to "$ip:8000"
	pn forward del --host-port "$port"
	pn netns del "$ns"
	pn bridge del "$br"
	[ -z "$(ls "$STATE/leases")" ]
	! nft list table ip "$TOK" 2>/dev/null || false
}

@test "examples/podnet-seed000.sh runs end to end and leaves nothing" {
	pn forward list >/dev/null 2>&1 || skip "podnet forward is not built yet"
	run env EXAMPLE_TAG="${TOK}x" SUBNET="$(subnet 2)" PORT=$((41000 + ${TOK#nl} % 10000)) \
		PODNET_STATE_DIR="$STATE-x" PODNET_NFT_TABLE="${TOK}x" PODNET_BIN="$PODNET_BIN" \
		"$PODKIT_TOP/examples/podnet-seed000.sh"
	[ "$status" -eq 0 ]
	[[ "$output" == *"via 127.0.0.1:"*": hello from the netns ${TOK}xns"* ]]
	[[ "$output" == *"via $(subnet_ip 2 1):"*": hello from the netns ${TOK}xns"* ]]
	! ip link show "${TOK}xbr" 2>/dev/null || false
	! nft list table ip "${TOK}x" 2>/dev/null || false
	[ ! -e "/var/run/netns/${TOK}xns" ]
}

@test "examples/podnet-oci-hook.sh: runc and crun containers networked by podnet hook" {
	pn forward list >/dev/null 2>&1 || skip "podnet forward is not built yet"
	for rt in runc crun; do
		run env EXAMPLE_TAG="${TOK}y" SUBNET="$(subnet 3)" PORT=$((42000 + ${TOK#nl} % 10000)) \
			PODNET_STATE_DIR="$STATE-y" PODNET_NFT_TABLE="${TOK}y" PODNET_BIN="$PODNET_BIN" \
			"$PODKIT_TOP/examples/podnet-oci-hook.sh" "$rt"
		[ "$status" -eq 0 ]
		[[ "$output" == *"inet $(subnet_ip 3 '')"* ]]
		[[ "$output" == *": hello from a $rt container"* ]]
		[[ "$output" == *"after delete: leases: 0, veths on ${TOK}ybr: 0, forwards: 0"* ]]
		! ip link show "${TOK}ybr" 2>/dev/null || false
		! nft list table ip "${TOK}y" 2>/dev/null || false
	done
}
