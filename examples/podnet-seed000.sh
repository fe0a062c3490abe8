#!/usr/bin/env bash
# Seed 000's network, done by podnet instead of brctl/ip/iptables:
#   brctl addbr mybr; ip addr add 10.12.0.1/24 dev mybr; ip link set mybr up
#   ip link add veth0-host type veth peer name veth0-ns; ... ip netns add ...
#   ip netns exec mycontainer ip addr add 10.12.0.2/24 dev eth0; ... route ...
#   iptables -t nat -I PREROUTING -p tcp --dport 9999 -j DNAT --to 10.12.0.2:8000
# becomes four podnet commands.  A busybox httpd in the netns answers on
# 10.x.0.2:8000 and is reached through the forward on 127.0.0.1:PORT and on
# the bridge's gateway address.  Everything is removed on exit.
#   examples/podnet-seed000.sh        (as root, after `make`)
# Environment: SUBNET (default 10.12.0.0/24), PORT (default 9999).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
podnet=${PODNET_BIN:-${PODKIT_BUILD:-$top/build}/podnet}
[ -x "$podnet" ] || { echo "example: $podnet missing: run make first" >&2; exit 1; }
subnet=${SUBNET:-10.12.0.0/24}
port=${PORT:-9999}
tag=${EXAMPLE_TAG:-pnex$$}
br=${tag}br ns=${tag}ns
export PODNET_STATE_DIR=${PODNET_STATE_DIR:-/run/$tag}
export PODNET_NFT_TABLE=${PODNET_NFT_TABLE:-$tag}
www=$(mktemp -d /tmp/$tag.XXXXXX)
httpd=
cleanup() {
	set +e
	[ -n "$httpd" ] && kill "$httpd" 2>/dev/null
	"$podnet" detach --netns "$ns" 2>/dev/null
	"$podnet" netns del "$ns" 2>/dev/null
	"$podnet" bridge del "$br" 2>/dev/null
	rm -rf "$www" "/run/$tag"
}
trap cleanup EXIT
say() { echo "+ $*" >&2; "$@"; }

say "$podnet" bridge add "$br" --subnet "$subnet"
say "$podnet" netns add "$ns"
ip=$(say "$podnet" attach --bridge "$br" --netns "$ns")
echo "container address: $ip"
gw=$("$podnet" --json bridge list | jq -r ".[] | select(.name==\"$br\") | .gateway")
echo "hello from the netns $ns" >"$www/index.html"
ip netns exec "$ns" busybox httpd -f -p "$ip:8000" -h "$www" &
httpd=$!
for _ in $(seq 100); do
	curl --noproxy '*' -sf -m 1 -o /dev/null "http://$ip:8000/" && break
	sleep 0.05
done
say "$podnet" forward add --host-port "$port" --to "$ip:8000" --id "$ns"
echo "via 127.0.0.1:$port: $(curl --noproxy '*' -sf -m 5 "http://127.0.0.1:$port/")"
echo "via $gw:$port: $(curl --noproxy '*' -sf -m 5 "http://$gw:$port/")"
"$podnet" status
