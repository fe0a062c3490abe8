# Shared helpers of the podnet_*.bats suites.
#
# Every kernel object a suite makes carries its token nl<pid> (bridges
# <token>b0, netns <token>n1, ...), its state dir is /run/<token>, its
# nftables table is <token>: parallel suites never collide, and
# podnet_cleanup removes all of it even after a failure.
PODKIT_TOP=${PODKIT_TOP:-$(cd "$BATS_TEST_DIRNAME/../.." && pwd)}
PODKIT_BUILD=${PODKIT_BUILD:-$PODKIT_TOP/build}
PODNET_BIN=${PODNET_BIN:-$PODKIT_BUILD/podnet}

TOK=$(cat "$BATS_FILE_TMPDIR/token" 2>/dev/null || echo "nl$$")
STATE=/run/$TOK
export PODNET_NFT_TABLE=$TOK
export PODNET_STATE_DIR=$STATE

pn() {
	"$PODNET_BIN" "$@"
}

podnet_setup_file() {
	echo "$TOK" >"$BATS_FILE_TMPDIR/token"
	[ -x "$PODNET_BIN" ] || {
		echo "# $PODNET_BIN is missing: run make" >&3
		return 1
	}
}

# True while a podnet process of this suite is still at work in the
# background (detach's grandchild deleting a veth, 15-40 ms, or releasing
# the netfilter socket): those carry the suite's state dir or table in their
# environment or (OCI hooks) the state dir on their command line.
podnet_bg_busy() {
	local p
	for p in $(pgrep -x podnet); do
		grep -qz -e "^PODNET_STATE_DIR=$STATE\$" -e "^PODNET_NFT_TABLE=$TOK\$" \
			"/proc/$p/environ" 2>/dev/null && return 0
		grep -qzx -e "$STATE" "/proc/$p/cmdline" 2>/dev/null && return 0
	done
	return 1
}

podnet_bg_idle() {
	! podnet_bg_busy
}

# links whose master is one of our bridges, then our own links
podnet_cleanup() {
	local l b n
	# Before anything is removed, and so that the suite's final leak check
	# never sees a veth whose deletion is still under way.
	poll 30 podnet_bg_idle || echo "# podnet background work of $TOK still running" >&2
	for b in $(ip -o link show type bridge 2>/dev/null | awk -F': ' '{print $2}' | grep "^$TOK"); do
		for l in $(ip -o link show master "$b" 2>/dev/null | awk -F': ' '{split($2, a, "@"); print a[1]}'); do
			ip link del "$l" 2>/dev/null || true
		done
	done
	for l in $(ip -o link show 2>/dev/null | awk -F': ' '{split($2, a, "@"); print a[1]}' | grep "^$TOK"); do
		ip link del "$l" 2>/dev/null || true
	done
	# host veths of leases (their bridge may be gone already)
	if [ -d "$STATE/leases" ]; then
		for l in $(cat "$STATE"/leases/*.json 2>/dev/null | sed -n 's/.*"host_veth": "\(.*\)".*/\1/p'); do
			ip link del "$l" 2>/dev/null || true
		done
	fi
	for n in $(ls /var/run/netns 2>/dev/null | grep "^$TOK"); do
		ip netns del "$n" 2>/dev/null || { umount -l "/var/run/netns/$n" 2>/dev/null; rm -f "/var/run/netns/$n"; }
	done
	nft delete table ip "$TOK" 2>/dev/null || true
	rm -rf "$STATE"
	return 0
}

podnet_teardown_file() {
	podnet_cleanup
}

setup_file() {
	podnet_setup_file
}

teardown() {
	podnet_cleanup
}

# A /24 of this suite: subnet N -> 10.77.<(pid + N) % 250>.0/24.
subnet() {
	echo "10.77.$(((${TOK#nl} + $1) % 250)).0/24"
}
# The address `host` of subnet N.
subnet_ip() {
	local s
	s=$(subnet "$1")
	echo "${s%.0/24}.$2"
}

# poll SECONDS CMD...: retry CMD every 50 ms until it succeeds.
poll() {
	local limit=$1
	shift
	local end=$((SECONDS + limit))
	while :; do
		"$@" && return 0
		[ "$SECONDS" -ge "$end" ] && return 1
		sleep 0.05
	done
}

# no_link NAME: the link does not exist on the host
no_link() {
	! ip link show "$1" >/dev/null 2>&1
}

# no_link_in NETNS NAME: the link does not exist in that netns
no_link_in() {
	! ip netns exec "$1" ip link show "$2" >/dev/null 2>&1
}

lease_count() {
	ls "$STATE/leases" 2>/dev/null | grep -c '\.json$' || true
}

# in_netns PID NAME: the process is inside the named netns (yet)
in_netns() {
	[ "$(stat -L -c %i "/proc/$1/ns/net" 2>/dev/null)" = "$(stat -L -c %i "/var/run/netns/$2")" ]
}
