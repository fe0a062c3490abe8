#!/usr/bin/env bash
# Connections per second through podnet's DNAT with N forwards installed,
# against the same server reached directly (no DNAT), same client.
#
#   scripts/bench-dnat.sh [--seconds S] [--forwards N] [--concurrency C] [--rounds R]
#
# A netns behind a bridge runs a tiny accept/answer/close HTTP server (built
# here: busybox httpd forks per connection and would be the bottleneck).  The
# client is `ab` (apache2-utils) on the host, one new TCP connection per
# request, so every request goes through conntrack and the NAT hooks:
#   direct: host -> CONTAINER_IP:8000 (no DNAT; without, then with the table)
#   dnat:   host -> GATEWAY_IP:PORT, the N-th forward -> CONTAINER_IP:8001
#           (and before the other N-1 are added: the 1st forward -> :8002)
# Direct and dnat runs alternate once the N forwards are in; the rate
# (median, and median of the per-round ratios) and the CPU time per
# connection of client + server (steadier on a busy machine) are reported.
# Traffic only goes to the netns made here; everything is removed on exit.
# Needs root, ab, cc, a built podnet ($PODKIT_BUILD, default build/).
set -euo pipefail

secs=2 forwards=1000 conc=8 rounds=7
while [ $# -gt 0 ]; do
	case "$1" in
	--seconds) secs=$2; shift 2 ;;
	--forwards) forwards=$2; shift 2 ;;
	--concurrency) conc=$2; shift 2 ;;
	--rounds) rounds=$2; shift 2 ;;
	*) echo "usage: $0 [--seconds S] [--forwards N] [--concurrency C] [--rounds R]" >&2; exit 2 ;;
	esac
done

top=$(cd "$(dirname "$0")/.." && pwd)
build=${PODKIT_BUILD:-$top/build}
podnet_bin=$build/podnet
command -v ab >/dev/null || { echo "bench-dnat: needs ab (apt-get install apache2-utils)" >&2; exit 1; }
[ -x "$podnet_bin" ] || { echo "bench-dnat: no $podnet_bin (run make)" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || { echo "bench-dnat: needs root" >&2; exit 1; }

T=nfbn$$
ns=${T}s br=${T}br veth=${T}v
x=$(($$ % 250 + 1))
net=10.213.$x gw=10.213.$x.1 ctr=10.213.$x.2
tmp=$(mktemp -d /tmp/nfbench.XXXXXX)
export PODNET_NFT_TABLE=${T}t
podnet() { "$podnet_bin" --state-dir "$tmp/state" "$@"; }

cleanup() {
	for p in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$p" 2>/dev/null || true; done
	ip netns del "$ns" 2>/dev/null || true
	ip link del "$veth" 2>/dev/null || true
	ip link del "$br" 2>/dev/null || true
	nft delete table ip "$PODNET_NFT_TABLE" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

cat >"$tmp/srv.c" <<'EOF'
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
int main(int argc, char **argv) {
  static const char resp[] = "HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\nok\n";
  int one = 1, s = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(atoi(argv[1]))};
  char buf[4096];
  setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (bind(s, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(s, 4096) < 0)
    return 1;
  for (;;) {
    int c = accept(s, NULL, NULL);
    if (c < 0)
      continue;
    if (read(c, buf, sizeof(buf)) > 0)
      write(c, resp, sizeof(resp) - 1);
    close(c); /* the server closes first: TIME_WAIT stays in the netns */
  }
}
EOF
cc -O2 -o "$tmp/srv" "$tmp/srv.c"

echo 1 >/proc/sys/net/ipv4/ip_forward
ip link add "$br" type bridge
ip addr add "$gw/24" dev "$br"
ip link set "$br" up
ip netns add "$ns"
ip link add "$veth" type veth peer name eth0 netns "$ns"
ip link set "$veth" master "$br" up
ip -n "$ns" addr add "$ctr/24" dev eth0
ip -n "$ns" link set eth0 up
ip -n "$ns" link set lo up
ip -n "$ns" route add default via "$gw"
# Three listeners: direct runs use 8000, the one-forward runs 8002, the
# N-forward runs 8001.  Sharing a backend port between kinds of run makes
# the benchmark measure its own artifacts: a client port reused within 120 s
# gives a new connection the reply tuple of an old one in conntrack's
# TIME_WAIT (DNAT cannot pick another port, the SYN is dropped) or hits the
# server's TIME_WAIT with another TCP timestamp offset (PAWS): 1 s SYN
# retries.
for port in 8000 8001 8002; do
	ip netns exec "$ns" "$tmp/srv" "$port" &
	echo $! >"$tmp/srv.$port.pid" # ip netns exec execs the server: same pid
	disown
	for _ in $(seq 50); do
		curl -s --noproxy '*' --max-time 1 "http://$ctr:$port/" >/dev/null && break
		sleep 0.1
	done
done

# rate URL: requests (= connections) per second over $secs seconds
# (stalls: requests slower than 1 s, i.e. a SYN was retransmitted, go to
# $tmp/stalls)
rate() {
	ab -q -r -t "$secs" -n 100000000 -c "$conc" "$1" 2>/dev/null >"$tmp/ab.out" || true
	awk '$1 == "100%" && $2 >= 1000 {print "stall: longest request " $2 " ms"}' "$tmp/ab.out" >>"$tmp/stalls"
	awk '/^Requests per second/ {print $4}' "$tmp/ab.out"
}

# cpu URL PORT: CPU time (user+system, client and server, us) per
# connection for a fixed number of connections.  Far less sensitive than
# the rate to what else runs on the machine: the softirq work of loopback and
# veth traffic is mostly accounted to these two processes.
cpu() {
	local spid s0 s1 c n=$((secs * 3000))
	spid=$(cat "$tmp/srv.$2.pid")
	s0=$(awk '{print $14 + $15}' "/proc/$spid/stat")
	c=$(/usr/bin/time -f "%U %S" ab -q -r -n "$n" -c "$conc" "$1" 2>&1 >/dev/null | tail -1)
	s1=$(awk '{print $14 + $15}' "/proc/$spid/stat")
	awk -v c="$c" -v s=$((s1 - s0)) -v hz="$(getconf CLK_TCK)" -v n="$n" \
		'BEGIN {split(c, a, " "); printf "%.1f\n", ((a[1] + a[2]) + s / hz) * 1e6 / n}'
}

median() { sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }

: >"$tmp/bare"
: >"$tmp/stalls"
: >"$tmp/direct"
: >"$tmp/dnat"
# No podnet table at all: the plain path.
for r in $(seq "$rounds"); do
	b=$(rate "http://$ctr:8000/")
	echo "# round $r: direct, no podnet table: $b conn/s"
	echo "$b" >>"$tmp/bare"
done

# One forward, then the other N-1: the DNAT rate must not depend on N.
: >"$tmp/dnat1"
: >"$tmp/cpu_dnat1"
podnet forward add --host-port 40000 --to "$ctr:8002" --id bench
for r in $(seq "$rounds"); do
	o=$(rate "http://$gw:40000/")
	c1=$(cpu "http://$gw:40000/" 8002)
	echo "# round $r: dnat with 1 forward: $o conn/s ($c1 us CPU/conn)"
	echo "$o" >>"$tmp/dnat1"
	echo "$c1" >>"$tmp/cpu_dnat1"
done

echo "# adding $((forwards - 1)) more forwards ($gw:40001-$((40000 + forwards - 1)) -> $ctr:8001)"
t0=$(date +%s%N)
for i in $(seq 1 $((forwards - 1))); do
	podnet forward add --host-port $((40000 + i)) --to "$ctr:8001" --id bench
done
t1=$(date +%s%N)
echo "# $((forwards - 1)) x podnet forward add: $(((t1 - t0) / 1000000)) ms (a process each)"
last=$((40000 + forwards - 1))
curl -s --noproxy '*' --max-time 2 "http://$gw:$last/" | grep -q ok ||
	{ echo "bench-dnat: forward $gw:$last does not answer" >&2; exit 1; }

: >"$tmp/ratio"
: >"$tmp/cpu_direct"
: >"$tmp/cpu_dnat"
for r in $(seq "$rounds"); do
	# alternate which goes first: a load swing on the machine then biases
	# neither side
	if [ $((r % 2)) -eq 1 ]; then
		d=$(rate "http://$ctr:8000/")
		n=$(rate "http://$gw:$last/")
	else
		n=$(rate "http://$gw:$last/")
		d=$(rate "http://$ctr:8000/")
	fi
	cd_=$(cpu "http://$ctr:8000/" 8000)
	cn_=$(cpu "http://$gw:$last/" 8001)
	echo "# round $r: direct $d conn/s ($cd_ us CPU/conn), dnat via the ${forwards}th forward $n conn/s ($cn_ us CPU/conn)"
	echo "$cd_" >>"$tmp/cpu_direct"
	echo "$cn_" >>"$tmp/cpu_dnat"
	echo "$d" >>"$tmp/direct"
	echo "$n" >>"$tmp/dnat"
	awk -v d="$d" -v n="$n" 'BEGIN {print n / d}' >>"$tmp/ratio"
done
podnet forward del --id bench

b=$(median <"$tmp/bare")
d=$(median <"$tmp/direct")
n=$(median <"$tmp/dnat")
o=$(median <"$tmp/dnat1")
q=$(median <"$tmp/ratio")
cd_=$(median <"$tmp/cpu_direct")
cn_=$(median <"$tmp/cpu_dnat")
c1=$(median <"$tmp/cpu_dnat1")
[ -s "$tmp/stalls" ] && echo "# warning: $(wc -l <"$tmp/stalls") runs had requests over 1 s (SYN retransmits)"
echo "connections/s (median of $rounds x ${secs}s, ab -c $conc, one new TCP connection per request):"
echo "  no DNAT, direct to $ctr:8000, no podnet table:      $b"
echo "  no DNAT, direct to $ctr:8000, $forwards forwards installed: $d"
echo "  DNAT via $gw:40000, 1 forward installed:             $o"
echo "  DNAT via $gw:$last, $forwards forwards installed:  $n"
# The headline compares runs interleaved in the same phase (same load on
# the machine); the no-table and one-forward phases ran earlier.
awk -v b="$b" -v d="$d" -v n="$n" -v o="$o" -v f="$forwards" -v q="$q" 'BEGIN {
	printf "  ratio DNAT (%d forwards) / no DNAT, median of the per-round ratios: %.3f (%+.1f%%)\n", 0 + f, q, (q - 1) * 100
	printf "  ratio of the medians: %.3f\n", n / d
	printf "  ratio DNAT (%d forwards) / no DNAT without table: %.3f; %d forwards / 1 forward: %.3f\n", 0 + f, n / b, 0 + f, n / o }'
echo "CPU per connection (client + server, user + system, median of $rounds x $((secs * 3000)) connections):"
awk -v d="$cd_" -v n="$cn_" -v o="$c1" -v f="$forwards" 'BEGIN {
	printf "  no DNAT %.1f us, DNAT with %d forwards %.1f us (%+.1f%%), DNAT with 1 forward %.1f us\n",
		d, f, n, (n / d - 1) * 100, o }'
