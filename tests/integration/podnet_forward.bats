#!/usr/bin/env bats
# podnet forward: DNAT from the host's ports to a server in a netns, checked
# with real traffic.  The bridge, netns and veths are made with `ip` (this
# suite tests the forwards, not attach); everything is named nf<pid>..., the
# nft table is private (PODNET_NFT_TABLE) and so is the state dir.

PODKIT_TOP=${PODKIT_TOP:-$(cd "$BATS_TEST_DIRNAME/../.." && pwd)}
PODKIT_BUILD=${PODKIT_BUILD:-$PODKIT_TOP/build}

# One token per suite run, fixed in setup_file (bats runs each test in its
# own process, so $$ differs between them).
T=$(cat "$BATS_FILE_TMPDIR/token" 2>/dev/null || echo "nf$$")
X=$(cat "$BATS_FILE_TMPDIR/octet" 2>/dev/null || echo 0)
export PODNET_NFT_TABLE=${T}t
STATE=$BATS_FILE_TMPDIR/state
BR=${T}br
NSA=${T}a
NSB=${T}b
NET=10.214.$X
GW=$NET.1
A=$NET.2
B=$NET.3

podnet() { "$PODKIT_BUILD/podnet" --state-dir "$STATE" "$@"; }

# fetch URL [NETNS]: the page, or fail within 5 s
fetch() {
	if [ -n "${2:-}" ]; then
		ip netns exec "$2" curl -sS --max-time 5 "$1"
	else
		curl -sS --noproxy '*' --max-time 5 "$1"
	fi
}

cleanup_all() {
	local ns p
	for ns in "$NSA" "$NSB"; do
		for p in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$p" 2>/dev/null || true; done
		ip netns del "$ns" 2>/dev/null || true
	done
	ip link del "${T}va" 2>/dev/null || true
	ip link del "${T}vb" 2>/dev/null || true
	ip link del "$BR" 2>/dev/null || true
	nft delete table ip "$PODNET_NFT_TABLE" 2>/dev/null || true
}

setup_file() {
	echo "nf$$" >"$BATS_FILE_TMPDIR/token"
	# A /24 of its own per run, so a parallel suite's bridge does not overlap.
	echo $(($$ % 250 + 1)) >"$BATS_FILE_TMPDIR/octet"
	T=nf$$
	X=$(cat "$BATS_FILE_TMPDIR/octet")
	export PODNET_NFT_TABLE=${T}t
	BR=${T}br NSA=${T}a NSB=${T}b NET=10.214.$X GW=10.214.$X.1
	cleanup_all
	# Whatever fails half-way, nothing of it stays.
	setup_net || { cleanup_all; return 1; }
}

setup_net() {
	set -e
	# Forwarding, as `podnet bridge add` turns it on.
	echo 1 >/proc/sys/net/ipv4/ip_forward
	ip link add "$BR" type bridge
	ip addr add "$GW/24" dev "$BR"
	ip link set "$BR" up
	local i=2
	for ns in "$NSA" "$NSB"; do
		local v=${T}v${ns: -1}
		ip netns add "$ns"
		ip link add "$v" type veth peer name eth0 netns "$ns"
		ip link set "$v" master "$BR" up
		# With br_netfilter loaded, DNAT back onto the same bridge is bridged
		# at layer 2, so a container reaching its own forward needs its port
		# in hairpin mode (podnet attach does the same).
		ip link set "$v" type bridge_slave hairpin on
		ip -n "$ns" addr add "$NET.$i/24" dev eth0
		ip -n "$ns" link set eth0 up
		ip -n "$ns" link set lo up
		ip -n "$ns" route add default via "$GW"
		i=$((i + 1))
	done
	mkdir -p "$BATS_FILE_TMPDIR/www"
	echo "hello from $NSA" >"$BATS_FILE_TMPDIR/www/index.html"
	for port in 8000 8001 8002; do
		ip netns exec "$NSA" /bin/busybox httpd -p "$port" -h "$BATS_FILE_TMPDIR/www"
	done
	# Both the direct path and the netns are up before any test runs.
	local n=0
	until ip netns exec "$NSB" curl -s --max-time 2 "http://$NET.2:8000/" >/dev/null; do
		n=$((n + 1))
		[ $n -lt 50 ] || { echo "httpd in $NSA never answered" >&2; return 1; }
		sleep 0.1
	done
}

teardown_file() {
	cleanup_all
	rm -rf "$STATE"
}

teardown() {
	# Every test starts without forwards: drop what a failed one left.
	nft delete table ip "$PODNET_NFT_TABLE" 2>/dev/null || true
}

@test "forward add: reachable via 127.0.0.1, the gateway and the host's addresses" {
	run podnet forward add --host-port 19999 --to "$A:8000" --id web1
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	run fetch http://127.0.0.1:19999/
	[ "$status" -eq 0 ] && [ "$output" = "hello from $NSA" ] || { echo "127.0.0.1: $output"; false; }
	run fetch "http://$GW:19999/"
	[ "$status" -eq 0 ] && [ "$output" = "hello from $NSA" ] || { echo "gateway: $output"; false; }
	# the host's main address too (fib daddr type local); route get sends nothing
	hostip=$(ip -4 -o route get 192.0.2.254 2>/dev/null | sed -n 's/.* src \([0-9.]*\).*/\1/p')
	if [ -n "$hostip" ]; then
		run fetch "http://$hostip:19999/"
		[ "$status" -eq 0 ] && [ "$output" = "hello from $NSA" ] || { echo "$hostip: $output"; false; }
	fi
	# only for the bridge that needs it
	[ "$(cat /proc/sys/net/ipv4/conf/$BR/route_localnet)" = 1 ]
	podnet forward del --host-port 19999
}

@test "forward: hairpin from another netns and from the server's own netns" {
	podnet forward add --host-port 19999 --to "$A:8000"
	run fetch "http://$GW:19999/" "$NSB"
	[ "$status" -eq 0 ] && [ "$output" = "hello from $NSA" ] || { echo "from $NSB: $output"; false; }
	run fetch "http://$GW:19999/" "$NSA"
	[ "$status" -eq 0 ] && [ "$output" = "hello from $NSA" ] || { echo "from $NSA: $output"; false; }
	podnet forward del --host-port 19999
}

@test "forward del: gone when it returns, the port re-addable at once, the socket released in the background" {
	podnet forward add --host-port 19999 --to "$A:8000" --id web1
	fetch http://127.0.0.1:19999/
	podnet forward del --host-port 19999
	# the rule is gone although the netfilter socket's release (an RCU
	# grace period) may still be under way in a grandchild
	! nft list table ip "$PODNET_NFT_TABLE" 2>/dev/null | grep -q 19999
	run fetch http://127.0.0.1:19999/
	[ "$status" -ne 0 ]
	# re-added at once, to another target, and that one answers
	podnet forward add --host-port 19999 --to "$A:8001" --id web2
	run fetch http://127.0.0.1:19999/
	[ "$status" -eq 0 ] && [ "$output" = "hello from $NSA" ] || { echo "$output"; false; }
	run podnet --json forward list
	[ "$(echo "$output" | jq -r '.[] | select(.host_port==19999) | .id')" = web2 ]
	podnet forward del --host-port 19999
}

@test "forward list and list --json" {
	podnet forward add --host-port 19999 --to "$A:8000" --id web1
	podnet forward add --host-port 20000-20002 --to "$A:8000" --proto tcp --id rng
	podnet forward add --host-port 19998 --to "$A:5000" --proto udp
	podnet forward add --host-port 19999 --to "$A:8001" --host-ip "$GW" --id hip
	run podnet forward list
	[ "$status" -eq 0 ]
	echo "$output"
	[ "${#lines[@]}" -eq 5 ]
	[[ "${lines[0]}" == HOST_IP* ]]
	echo "$output" | grep -E "^0\.0\.0\.0 +19999 +tcp +$A:8000 +web1$"
	echo "$output" | grep -E "^0\.0\.0\.0 +20000-20002 +tcp +$A:8000-8002 +rng$"
	echo "$output" | grep -E "^0\.0\.0\.0 +19998 +udp +$A:5000 +-$"
	echo "$output" | grep -E "^$GW +19999 +tcp +$A:8001 +hip$"
	run podnet forward list --json
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | jq length)" -eq 4 ]
	[ "$(echo "$output" | jq -r '.[] | select(.id=="rng") | "\(.host_ip) \(.host_port) \(.host_port_last) \(.proto) \(.to_ip) \(.to_port)"')" = "0.0.0.0 20000 20002 tcp $A 8000" ]
	# the global --json works as well
	run podnet --json forward list
	[ "$(echo "$output" | jq -r '.[] | select(.id=="hip") | .host_ip')" = "$GW" ]
	podnet forward del --id web1
	podnet forward del --id rng
	podnet forward del --id hip
	podnet forward del --host-port 19998 --proto udp
	run podnet forward list --json
	[ "$output" = "[]" ]
}

@test "forward del removes it and the last one removes the table" {
	podnet forward add --host-port 19999 --to "$A:8000"
	fetch http://127.0.0.1:19999/
	nft list table ip "$PODNET_NFT_TABLE" >/dev/null
	run podnet forward del --host-port 19999
	[ "$status" -eq 0 ]
	run fetch http://127.0.0.1:19999/
	[ "$status" -ne 0 ]
	run nft list table ip "$PODNET_NFT_TABLE"
	[ "$status" -ne 0 ]
	run podnet forward del --host-port 19999
	[ "$status" -eq 1 ]
	[ "$output" = "podnet: host port 19999/tcp is not forwarded" ]
	run podnet forward del --id nobody
	[ "$status" -eq 1 ]
	[ "$output" = 'podnet: no forward has id "nobody"' ]
}

@test "forward add: a host port already forwarded is refused and nothing changes" {
	podnet forward add --host-port 19999 --to "$A:8000" --id first
	before=$(nft list table ip "$PODNET_NFT_TABLE")
	run podnet forward add --host-port 19999 --to "$B:9000" --id second
	[ "$status" -eq 1 ]
	[ "$output" = "podnet: host port 19999/tcp is already forwarded" ]
	[ "$(nft list table ip "$PODNET_NFT_TABLE")" = "$before" ]
	# a range that overlaps it: all or nothing
	run podnet forward add --host-port 19990-20005 --to "$B:9000"
	[ "$status" -eq 1 ]
	[[ "$output" == *"already forwarded"* ]]
	[ "$(nft list table ip "$PODNET_NFT_TABLE")" = "$before" ]
	# the same port over udp is another forward
	podnet forward add --host-port 19999 --to "$A:5000" --proto udp
	run fetch http://127.0.0.1:19999/
	[ "$output" = "hello from $NSA" ]
	podnet forward del --id first
	podnet forward del --host-port 19999 --proto udp
}

@test "forward add: bad port, protocol, address and id are named" {
	run podnet forward add --host-port 0 --to "$A:8000"
	[ "$status" -eq 1 ]
	[ "$output" = 'podnet: --host-port: invalid port "0" (expected 1-65535 or P1-P2)' ]
	run podnet forward add --host-port 70000 --to "$A:8000"
	[ "$output" = 'podnet: --host-port: invalid port "70000" (expected 1-65535 or P1-P2)' ]
	run podnet forward add --host-port 9-8 --to "$A:8000"
	[[ "$output" == *"--host-port: invalid port range \"9-8\""* ]]
	run podnet forward add --host-port 19999 --to "$A:8000" --proto sctp
	[ "$status" -eq 1 ]
	[ "$output" = 'podnet: --proto: invalid protocol "sctp" (expected tcp or udp)' ]
	run podnet forward add --host-port 19999 --to 10.214.0:8000
	[ "$output" = 'podnet: --to: invalid IPv4 address "10.214.0" in "10.214.0:8000"' ]
	run podnet forward add --host-port 19999 --to "$A"
	[ "$output" = "podnet: --to: invalid address \"$A\" (expected IP:PORT)" ]
	run podnet forward add --host-port 19999 --to "$A:0"
	[[ "$output" == *"--to: invalid port \"0\""* ]]
	run podnet forward add --host-port 19999 --to "$A:80" --host-ip 1.2.3.400
	[ "$output" = 'podnet: --host-ip: invalid IPv4 address "1.2.3.400"' ]
	run podnet forward add --host-port 19999 --to "$A:80" --id 'a/b'
	[ "$status" -eq 1 ]
	[[ "$output" == *"invalid --id \"a/b\""* ]]
	run podnet forward add --to "$A:80"
	[ "$status" -eq 2 ]
	run podnet forward add --host-port 65535-65535 --to "$A:80" --bogus
	[ "$status" -eq 2 ]
	# nothing was made by any of them
	run nft list table ip "$PODNET_NFT_TABLE"
	[ "$status" -ne 0 ]
}

@test "forward: udp, both directions" {
	# busybox nc has no -u here: a few lines of python answer "pong <data>"
	ip netns exec "$NSA" timeout 30 /usr/bin/python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", 5000))
while True:
    data, peer = s.recvfrom(2048)
    s.sendto(b"pong " + data, peer)
' 2>/dev/null 3>&- &
	podnet forward add --host-port 19998 --to "$A:5000" --proto udp
	# udp is connectionless and the server may still be starting: resend
	run /usr/bin/python3 -c '
import socket, sys
c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
c.settimeout(0.5)
for i in range(40):
    c.sendto(b"ping", ("127.0.0.1", 19998))
    try:
        data, peer = c.recvfrom(2048)
    except socket.timeout:
        continue
    print(data.decode(), peer[0], peer[1])
    sys.exit(0)
sys.exit(1)
'
	[ "$status" -eq 0 ]
	# the answer comes back from the address and port the client used
	[ "$output" = "pong ping 127.0.0.1 19998" ]
	# tcp on that port is not forwarded
	run fetch http://127.0.0.1:19998/
	[ "$status" -ne 0 ]
	podnet forward del --host-port 19998 --proto udp
	kill %1 2>/dev/null || true
}

@test "forward: port range maps 1:1 and --host-ip binds one address" {
	podnet forward add --host-port 20000-20002 --to "$A:8000" --id rng
	for p in 20000 20001 20002; do
		run fetch "http://127.0.0.1:$p/"
		[ "$output" = "hello from $NSA" ] || { echo "$p: $output"; false; }
	done
	run fetch http://127.0.0.1:20003/
	[ "$status" -ne 0 ]
	# a port inside the range does not name it
	run podnet forward del --host-port 20001
	[ "$status" -eq 1 ]
	[[ "$output" == *"20000-20002"* ]]
	podnet forward del --host-port 20000-20002

	podnet forward add --host-port 19997 --to "$A:8000" --host-ip "$GW"
	run fetch "http://$GW:19997/"
	[ "$output" = "hello from $NSA" ]
	run fetch http://127.0.0.1:19997/
	[ "$status" -ne 0 ]
	podnet forward del --host-port 19997 --host-ip "$GW"
}

@test "forward: 1000 forwards, the 1000th added as fast as the first" {
	# add PORT: one `podnet forward add`, its wall time in us on stdout
	add() {
		local t0 t1
		t0=$(date +%s%N)
		podnet forward add --host-port "$1" --to "$A:8000" --id many >&2
		t1=$(date +%s%N)
		echo $(((t1 - t0) / 1000))
	}
	median() { sort -n | sed -n 3p; }
	rules() { nft list table ip "$PODNET_NFT_TABLE" | grep -cE 'dnat|masquerade|vmap|mark set'; }
	t_first=$(add 30000) # creates the table
	rules_first=$(rules)
	early=$(for p in 30001 30002 30003 30004 30005; do add $p; done | median)
	for p in $(seq 30006 30994); do
		podnet forward add --host-port "$p" --to "$A:8000" --id many
	done
	late=$(for p in 30995 30996 30997 30998; do add $p; done; add 30999 | tee "$BATS_TEST_TMPDIR/last")
	t_last=$(cat "$BATS_TEST_TMPDIR/last")
	late=$(echo "$late" | median)
	echo "# podnet forward add (a process each): 1st ${t_first} us (creates the table), 1000th ${t_last} us; median of 2nd-6th ${early} us, of 996th-1000th ${late} us" >&3
	[ "$(podnet forward list --json | jq length)" -eq 1000 ]
	# The deterministic half of "as cheap as the first": forwards are map
	# elements, the rules did not grow.
	[ "$(rules)" -eq "$rules_first" ]
	[ "$(nft list map ip "$PODNET_NFT_TABLE" fwd_any | grep -c ' : 10\.214\.')" -eq 1000 ]
	run fetch http://127.0.0.1:30999/
	[ "$output" = "hello from $NSA" ]
	# Mostly process start-up on a loaded machine: only a very generous
	# bound, a per-forward cost would still show as a multiple.
	[ "$late" -lt $((early * 10 + 100000)) ]
	podnet forward del --id many
	run nft list table ip "$PODNET_NFT_TABLE"
	[ "$status" -ne 0 ]
}

@test "forward: no table is left behind" {
	run nft list tables
	[[ "$output" != *"$PODNET_NFT_TABLE"* ]]
}
