#!/usr/bin/env bash
# Stress (issue 6): many parallel users of podrun, podnet and pod at once.
#   1. podrun: STRESS_CONTAINERS (200) containers by STRESS_WORKERS (8)
#      workers, each one created, checked "created", started (its process
#      prints a marker), checked "running" with the same pid, killed, waited
#      for "stopped", deleted and checked gone.
#   2. podnet: STRESS_ATTACH (100) parallel `netns add` + `attach` +
#      `forward add` on one bridge; distinct addresses (attach's output, the
#      leases, the addresses inside each netns), distinct host ports, exactly
#      that many map elements, a sample of forwards answering through
#      127.0.0.1 from a busybox httpd in the netns, then parallel detaches.
#   3. pod: STRESS_PODS (20) pods created in parallel (one bridge made on
#      demand by all of them at once, one published port each), each with
#      STRESS_POD_SIZE (5) containers added in parallel, all running, then
#      `pod rm -f` of every pod in parallel.
# Every part ends by checking that nothing of it is left (state, leases,
# map elements, links, netns, cgroups, mounts, processes).  Each tool runs
# through a wrapper that records its peak RSS; MemAvailable is sampled.
#
# Env: PODKIT_TOP, PODKIT_BUILD (podrun, podnet, pod, pod-pause), and
# STRESS_SCALE (a factor for the three sizes, e.g. 0.1 for a quick run).
# Output: TAP lines, one "# count: stress: ..." line; exit 0 iff all passed.
# Lists of pids are split on purpose ($(...) unquoted); bash -c bodies take
# their arguments as $1...:
# shellcheck disable=SC2046,SC2016
set -u
PODKIT_TOP=${PODKIT_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
PODKIT_BUILD=${PODKIT_BUILD:-$PODKIT_TOP/build}
# shellcheck source=tests/reliability/lib/stress.bash
. "$PODKIT_TOP/tests/reliability/lib/stress.bash"

# The rest is one compound command: bash reads it whole before running it,
# so an edit of this file during a run (a shared tree) cannot derail it.
{

N_CTR=${STRESS_CONTAINERS:-$(s_scale 200)}
N_WORKERS=${STRESS_WORKERS:-8}
N_ATTACH=${STRESS_ATTACH:-$(s_scale 100)}
N_PODS=${STRESS_PODS:-$(s_scale 20)}
POD_SIZE=${STRESS_POD_SIZE:-5}
CHURN=${STRESS_CHURN:-2}

TOK=pks$$
T=/tmp/$TOK
BIN=$T/bin
W=$T/rss
RSSLOG=$T/rss.log
ROOTFS=$T/rootfs
MARK=PKS_MARK=$TOK
# 10.233.0.0/16 and host ports 25000-25999 are this script's; K spreads two
# runs at once (CI and a developer's) over four slots.
K=$(($$ % 4))
RTROOT=/run/${TOK}rt
CGPARENT=/podrun-$TOK
BR2=${TOK}b
NET2=10.233.$((200 + 2 * K)).0/24
P2BASE=$((25000 + 250 * K))
BR3=${TOK}q
NET3=10.233.$((201 + 2 * K)).0/24
P3BASE=$((P2BASE + 200))
export PODNET_STATE_DIR=/run/${TOK}net
export PODNET_NFT_TABLE=$TOK
POD_STATE=/run/${TOK}pod
POD_RTROOT=/run/${TOK}prt
POD_NET=/run/${TOK}pnet
POD_TABLE=${TOK}q

if [ "$N_ATTACH" -gt 200 ] || [ "$N_PODS" -gt 50 ] || [ "$((N_PODS * (POD_SIZE + 1)))" -gt 1000 ]; then
	echo "stress.sh: STRESS_ATTACH must be <= 200 and STRESS_PODS <= 50 (subnet and host ports)" >&2
	exit 2
fi

# The tools, each through the RSS wrapper (labelled with the command).
rt() { "$W" "$RSSLOG" "$1" "$BIN/podrun" --root "$RTROOT" "$@"; }
pn() {
	local l=$1
	case ${2:-} in '' | -*) ;; *) l=$1-$2 ;; esac
	"$W" "$RSSLOG" "$l" "$BIN/podnet" "$@"
}
pd() {
	POD_STATE_DIR=$POD_STATE POD_RUNTIME_ROOT=$POD_RTROOT PODNET_STATE_DIR=$POD_NET \
		PODNET_NFT_TABLE=$POD_TABLE POD_PAUSE=$BIN/pod-pause \
		"$W" "$RSSLOG" "$1" "$BIN/pod" --runtime "$BIN/podrun" "$@"
}
pdnet() { PODNET_STATE_DIR=$POD_NET PODNET_NFT_TABLE=$POD_TABLE pn "$@"; }

# --- cleanup: removes everything of this run, whatever state it is in ---
s_cleanup() {
	local id p n l pids
	s_mem_sampler_stop
	s_readers_kill
	for p in $(cat "$T/httpd.pids" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
	if [ -d "$RTROOT" ]; then
		for id in "$RTROOT"/*; do
			[ -d "$id" ] && "$BIN/podrun" --root "$RTROOT" delete -f "${id##*/}" >/dev/null 2>&1
		done
	fi
	if [ -d "$POD_STATE" ]; then
		for p in "$POD_STATE"/*/pod.json; do
			[ -f "$p" ] && p=${p%/pod.json} && pd rm -f "${p##*/}" >/dev/null 2>&1
		done
	fi
	# whatever survived: container processes, pod monitors, pauses
	pids="$(s_procs_marked "$MARK") $(s_procs_cgroup "$TOK") $(s_procs_exe "$BIN")"
	# shellcheck disable=SC2086
	[ -z "${pids// /}" ] || kill -9 $pids 2>/dev/null
	s_poll 10 bash -c '[ -z "$(find /proc -mindepth 2 -maxdepth 2 -name exe -lname "$1/*" 2>/dev/null)" ]' _ "$BIN"
	if [ -d "$RTROOT" ]; then
		for id in "$RTROOT"/*; do
			[ -d "$id" ] && "$BIN/podrun" --root "$RTROOT" delete -f "${id##*/}" >/dev/null 2>&1
		done
	fi
	for m in $(s_mounts_with "$TOK" | sort -r); do umount -l "$m" 2>/dev/null; done
	for d in "$PODNET_STATE_DIR" "$POD_NET"; do
		for l in $(s_lease_veths "$d"); do ip link del "$l" 2>/dev/null; done
	done
	for b in "$BR2" "$BR3"; do
		for l in $(s_links_of "$b"); do ip link del "$l" 2>/dev/null; done
		ip link del "$b" 2>/dev/null
	done
	for n in $(s_netns "$TOK"); do
		ip netns del "$n" 2>/dev/null || {
			umount -l "/var/run/netns/$n" 2>/dev/null
			rm -f "/var/run/netns/$n"
		}
	done
	nft delete table ip "$PODNET_NFT_TABLE" 2>/dev/null
	nft delete table ip "$POD_TABLE" 2>/dev/null
	s_cgroups_rmdir "$TOK"
	rm -rf "$RTROOT" "$PODNET_STATE_DIR" "$POD_STATE" "$POD_RTROOT" "$POD_NET" "$T"
	return 0
}
trap 's_cleanup; exit 130' INT TERM
trap 's_cleanup' EXIT

mkdir -p "$T/c" "$T/b" "$T/n" "$T/p" "$T/www"
s_bin_snapshot "$PODKIT_BUILD" "$BIN" || exit 1
s_rss_build "$W" || {
	echo "stress.sh: cannot build the RSS wrapper (cc)" >&2
	exit 1
}
"$PODKIT_TOP/scripts/mkrootfs.sh" "$ROOTFS" >/dev/null || exit 1
BUSYBOX=$ROOTFS/bin/busybox
echo "# stress: token $TOK, $N_CTR containers / $N_WORKERS workers, $N_ATTACH attach, $N_PODS pods x $POD_SIZE"

# s_part_begin NAME / s_part_end NAME: wall time, memory and peak RSS of a part
s_part_begin() {
	PART_T0=$(s_now)
	PART_MEM0=$(s_mem_avail)
	: >"$RSSLOG"
	s_mem_sampler_start "$T/mem.$1"
}
s_part_end() {
	local name=$1 secs mem1 low peak
	secs=$(s_elapsed "$PART_T0")
	s_mem_sampler_stop
	mem1=$(s_mem_avail)
	low=$(s_mem_min "$T/mem.$name")
	[ -n "$low" ] || low=$mem1
	peak=$(s_rss_max "$RSSLOG")
	s_diag "$name: wall ${PART_SECS:-$secs} s (part with its checks $secs s); MemAvailable $((PART_MEM0 / 1024)) MiB before, $((mem1 / 1024)) MiB after, lowest $((low / 1024)) MiB (peak use +$(((PART_MEM0 - low) / 1024)) MiB)"
	s_diag "$name: peak RSS per tool (KiB, command): $(s_rss_peak "$RSSLOG" | tr '\n' ';')"
	s_diag "$name: $(wc -l <"$RSSLOG") tool runs"
	TOOL_RUNS=$((TOOL_RUNS + $(wc -l <"$RSSLOG")))
	PEAK_RSS[$name]=$peak
	MEMUSE[$name]=$(((PART_MEM0 - low) / 1024))
	cp "$RSSLOG" "$T/rss.$name"
}
declare -A PEAK_RSS MEMUSE WALL
TOOL_RUNS=0

# ====================== part 1: podrun ======================
# One rootfs for all (the runtime only reads it), one bundle per container
# for its cgroupsPath under this run's parent.
spec_tmpl=$(cd "$T" && "$BIN/podrun" spec --bundle "$T" >/dev/null && jq -c \
	--arg root "$ROOTFS" --arg mark "$MARK" --arg cg "$CGPARENT/@ID@" \
	'.root.path = $root | .process.terminal = false | .process.env += [$mark]
	| .process.args = ["sh", "-c", "echo ran @ID@; exec sleep 1000"]
	| .linux.cgroupsPath = $cg' "$T/config.json")
rm -f "$T/config.json"
ctr_id() { printf '%s-c-%03d' "$TOK" "$1"; }
for ((i = 1; i <= N_CTR; i++)); do
	id=$(ctr_id "$i")
	mkdir -p "$T/b/$id"
	printf '%s\n' "${spec_tmpl//@ID@/$id}" >"$T/b/$id/config.json"
done

# rt_status STATE_JSON -> status; rt_pid STATE_JSON -> pid
rt_status() { [[ $1 =~ \"status\":\ *\"([a-z]+)\" ]] && echo "${BASH_REMATCH[1]}"; }
rt_pid() { [[ $1 =~ \"pid\":\ *([0-9]+) ]] && echo "${BASH_REMATCH[1]}"; }
rt_is() { # ID STATUS
	local st
	st=$(rt state "$1" 2>/dev/null) && [ "$(rt_status "$st")" = "$2" ]
}

# s1_one ID kill|force: the life of one container; prints "ok PID" or what
# failed.  It ends by kill + wait for stopped + delete, or by delete -f.
s1_one() {
	local id=$1 out=$T/c/$1.out st pid pid2 msg
	# the container's init inherits these: files, never a pipe that
	# a command substitution would wait on until the container ends
	if ! rt create --bundle "$T/b/$id" "$id" >"$out" 2>"$out.err" </dev/null; then
		echo "create $id: $(cat "$out.err")"
		return 1
	fi
	st=$(rt state "$id" 2>&1) || {
		echo "state $id after create: $st"
		return 1
	}
	pid=$(rt_pid "$st")
	[ "$(rt_status "$st")" = created ] && [ -n "$pid" ] && [ "$pid" -gt 0 ] || {
		echo "state $id after create: expected status created and a pid, got $st"
		return 1
	}
	msg=$(rt start "$id" 2>&1 </dev/null) || {
		echo "start $id: $msg"
		return 1
	}
	s_poll 30 grep -qx "ran $id" "$out" || {
		echo "start $id: its process did not print \"ran $id\" in 30 s (stdout: $(head -c 200 "$out"))"
		return 1
	}
	st=$(rt state "$id" 2>&1)
	pid2=$(rt_pid "$st")
	[ "$(rt_status "$st")" = running ] && [ "$pid2" = "$pid" ] || {
		echo "state $id after start: expected running with pid $pid, got $st"
		return 1
	}
	if [ "$2" = force ]; then
		# delete -f of a running container: its kill, wait and cgroup
		# removal (EBUSY until the process is gone) in one command
		msg=$(rt delete -f "$id" 2>&1) || {
			echo "delete -f $id (running): $msg"
			return 1
		}
		[ -z "$(s_live "$pid")" ] || {
			echo "delete -f $id: its process $pid still runs"
			return 1
		}
	else
		msg=$(rt kill "$id" KILL 2>&1) || {
			echo "kill $id KILL: $msg"
			return 1
		}
		s_poll 30 rt_is "$id" stopped || {
			echo "state $id after kill: not stopped in 30 s: $(rt state "$id" 2>&1)"
			return 1
		}
		msg=$(rt delete "$id" 2>&1) || {
			echo "delete $id: $msg"
			return 1
		}
	fi
	if msg=$(rt state "$id" 2>&1); then
		echo "state $id after delete: expected an error, got $msg"
		return 1
	fi
	[ ! -e "$RTROOT/$id" ] || {
		echo "delete $id: $RTROOT/$id is still there"
		return 1
	}
	echo "ok $pid"
}

s1_worker() { # W
	local i id
	for ((i = $1; i <= N_CTR; i += N_WORKERS)); do
		id=$(ctr_id "$i")
		s1_one "$id" "$([ $((i % 4)) -eq 0 ] && echo force || echo kill)" >"$T/c/$id.res" 2>&1
	done
}

S_RDIR=$T # the readers' files (lib/stress.bash)
# a reader of the state root while it changes: list must neither fail nor
# print something that is not JSON (an array, or null for no containers as
# runc prints)
rt_list_json() {
	local out
	out=$(rt list --format json) || return 1
	jq -e 'type == "array" or . == null' <<<"$out" >/dev/null || {
		echo "not a JSON array: $out"
		return 1
	}
}
s_part_begin podrun
s_reader_start podrun rt_list_json
t0=$(s_now)
wpids=()
for ((w = 1; w <= N_WORKERS; w++)); do
	s1_worker "$w" &
	wpids+=($!)
done
for p in "${wpids[@]}"; do wait "$p"; done
PART_SECS=$(s_elapsed "$t0")
WALL[podrun]=$PART_SECS
s_reader_stop podrun "podrun: list --format json (valid JSON) while the workers run"

n_ok=$(cat "$T"/c/*.res 2>/dev/null | grep -c '^ok ')
if [ "$n_ok" -eq "$N_CTR" ]; then
	s_ok "podrun: $N_CTR containers by $N_WORKERS workers: create, state created, start (marker printed), state running (same pid), kill KILL + stopped + delete (every 4th: delete -f while running), gone: all succeeded"
else
	s_not_ok "podrun: $n_ok of $N_CTR containers went through create/start/state/kill/delete"
	grep -hv '^ok ' "$T"/c/*.res | head -20 | s_diag "$(cat)"
fi
n_pids=$(cat "$T"/c/*.res 2>/dev/null | awk '$1 == "ok" { print $2 }' | sort -u | wc -l)
s_check "podrun: $n_pids distinct container pids for $n_ok containers" [ "$n_pids" -eq "$n_ok" ]
s_check "podrun: state root $RTROOT empty and \`list\` empty after the deletes" \
	bash -c '[ -z "$(ls -A "$1")" ] && [ -z "$("$2" --root "$1" list -q)" ] || { ls -A "$1"; exit 1; }' _ "$RTROOT" "$BIN/podrun"
left=$(s_cgroups "$TOK-c-")
s_check "podrun: no container cgroup left (of $N_CTR under $CGPARENT in every hierarchy)" [ -z "$left" ]
[ -z "$left" ] || s_diag "$left"
live=$(s_live $(s_procs_marked "$MARK") $(s_procs_exe "$BIN"))
s_check "podrun: no container or podrun process left" [ -z "$live" ]
[ -z "$live" ] || s_diag "$(ps -o pid,stat,args -p "$(echo $live | tr ' ' ,)")"
s_check "podrun: no mount of this run left" [ -z "$(s_mounts_with "$TOK")" ]
# The parent cgroup is the caller's (like /podrun): podrun leaves it.
s_cgroups_rmdir "podrun-$TOK"

# A parent none of them finds: STRESS_PARENT_ROUNDS rounds of N_WORKERS
# creates at once under a new cgroupsPath parent (made by whichever create
# gets there first, while the others use it), then delete -f.
race_tmpl=$(jq -c --arg cg "$CGPARENT-r@R@/@ID@" '.linux.cgroupsPath = $cg' <<<"${spec_tmpl}")
s1_parent_round() { # R: prints one line per failed create
	local r=$1 w id pids=()
	for ((w = 1; w <= N_WORKERS; w++)); do
		id=$TOK-r$r-$w
		mkdir -p "$T/pb/$id"
		local cfg=${race_tmpl//@R@/$r}
		printf '%s\n' "${cfg//@ID@/$id}" >"$T/pb/$id/config.json"
		rt create --bundle "$T/pb/$id" "$id" >/dev/null 2>"$T/pb/$id.err" </dev/null &
		pids+=($!)
	done
	for ((w = 1; w <= N_WORKERS; w++)); do
		id=$TOK-r$r-$w
		wait "${pids[w - 1]}" || echo "create $id under new parent $CGPARENT-r$r: $(cat "$T/pb/$id.err")"
		rt delete -f "$id" >/dev/null 2>&1
	done
	s_cgroups_rmdir "podrun-$TOK-r$r"
}
ROUNDS=${STRESS_PARENT_ROUNDS:-10}
for ((r = 1; r <= ROUNDS; r++)); do
	s1_parent_round "$r"
done >"$T/parent.res"
n_bad=$(wc -l <"$T/parent.res")
s_check "podrun: $ROUNDS rounds of $N_WORKERS parallel creates under a new cgroup parent: $((ROUNDS * N_WORKERS - n_bad)) of $((ROUNDS * N_WORKERS)) succeeded" [ "$n_bad" -eq 0 ]
[ "$n_bad" -eq 0 ] || s_diag "$(head -5 "$T/parent.res")"
s_check "podrun: no state or cgroup of those rounds left" \
	bash -c '[ -z "$(ls -A "$1")$(find /sys/fs/cgroup -maxdepth 5 -name "*$2*")" ]' _ "$RTROOT" "$TOK-r"
s_part_end podrun

# ====================== part 2: podnet ======================
ns_name() { echo "${TOK}n$1"; }

s2_one() { # N: netns, attach, forward; prints "ok IP PORT"
	local n=$1 ns ip port=$((P2BASE + $1 - 1)) msg
	ns=$(ns_name "$n")
	msg=$(pn netns add "$ns" 2>&1) || {
		echo "netns add $ns: $msg"
		return 1
	}
	if [ $((n % 2)) -eq 1 ]; then
		# attach and forward in one command (one library call)
		ip=$(pn attach --bridge "$BR2" --netns "$ns" --id "$ns" --publish "$port:8000" 2>&1) || {
			echo "attach --netns $ns --publish $port:8000: $ip"
			return 1
		}
	else
		ip=$(pn attach --bridge "$BR2" --netns "$ns" --id "$ns" 2>&1) || {
			echo "attach --netns $ns: $ip"
			return 1
		}
		msg=$(pn forward add --host-port "$port" --to "$ip:8000" --id "$ns" 2>&1) || {
			echo "forward add --host-port $port --to $ip:8000: $msg"
			return 1
		}
	fi
	echo "ok $ip $port"
}

s2_detach() { # N
	local ns msg
	ns=$(ns_name "$1")
	msg=$(pn detach --id "$ns" 2>&1) || {
		echo "detach --id $ns: $msg"
		return 1
	}
	msg=$(pn netns del "$ns" 2>&1) || {
		echo "netns del $ns: $msg"
		return 1
	}
	echo ok
}

# "PORT IP ID" of every element of the map of forwards to any host address
fwd_elems() { # TABLE
	nft -j list map ip "$1" fwd_any 2>/dev/null |
		jq -r '.nftables[] | select(.map) | .map.elem // [] | .[] |
			"\(.[0].elem.val.concat[1]) \(.[1].concat[0]) \(.[0].elem.comment | capture("id=(?<i>[^ ]*)").i)"'
}

s_part_begin podnet
s_check "podnet: bridge add $BR2 --subnet $NET2" pn bridge add "$BR2" --subnet "$NET2"
s_reader_start podnet-status pn status
s_reader_start podnet-fwlist pn forward list
t0=$(s_now)
jpids=()
for ((i = 1; i <= N_ATTACH; i++)); do
	s2_one "$i" >"$T/n/$i.res" 2>&1 &
	jpids+=($!)
done
for p in "${jpids[@]}"; do wait "$p"; done
t_attach=$(s_elapsed "$t0")
s_reader_stop podnet-status "podnet: status while $N_ATTACH attach + forward run"
s_reader_stop podnet-fwlist "podnet: forward list while $N_ATTACH attach + forward run"

n_ok=$(cat "$T"/n/*.res | grep -c '^ok ')
if [ "$n_ok" -eq "$N_ATTACH" ]; then
	s_ok "podnet: $N_ATTACH parallel netns add + attach + forward add (odd ones: attach --publish) on $BR2 all succeeded"
else
	s_not_ok "podnet: $n_ok of $N_ATTACH parallel netns add + attach + forward add succeeded"
	grep -hv '^ok ' "$T"/n/*.res | head -20 | s_diag "$(cat)"
fi
# s2_verify WHEN: the addresses (attach output, leases, IPAM, each netns),
# the veths and the map of forwards agree, with nothing twice
s2_verify() {
	local w="podnet ($1)" i ns want got n_ips n_el n_ports badmap bad=()
	awk '$1 == "ok" { print $2 }' "$T"/n/*.res | sort >"$T/ips.attach"
	n_ips=$(sort -u "$T/ips.attach" | wc -l)
	s_check "$w: $n_ips distinct addresses printed by $n_ok attaches" [ "$n_ips" -eq "$n_ok" ]
	# the leases: one per attach, the same addresses
	sed -n 's/.*"address": *"\([^"]*\)".*/\1/p' "$PODNET_STATE_DIR"/leases/*.json 2>/dev/null | sort >"$T/ips.lease"
	s_check "$w: $(wc -l <"$T/ips.lease") leases hold exactly the attached addresses, none twice" \
		bash -c 'diff "$1" "$2" && [ -z "$(uniq -d "$2")" ] && [ "$(wc -l <"$2")" -eq "$3" ]' _ "$T/ips.attach" "$T/ips.lease" "$N_ATTACH"
	s_check "$w: IPAM holds $N_ATTACH addresses on $BR2" [ "$(ls "$PODNET_STATE_DIR/ipam/$BR2" 2>/dev/null | wc -l)" -eq "$N_ATTACH" ]
	# the kernel: each netns has its own address on eth0
	bad=()
	for ((i = 1; i <= N_ATTACH; i++)); do
		ns=$(ns_name "$i")
		want=$(awk '$1 == "ok" { print $2 }' "$T/n/$i.res")
		got=$(ip -n "$ns" -4 -o addr show dev eth0 2>/dev/null | awk '{ split($4, a, "/"); print a[1] }')
		[ -n "$want" ] && [ "$got" = "$want" ] || bad+=("$ns: eth0 has '$got', attach printed '$want'")
	done
	s_check "$w: ip -n NS addr: each of $N_ATTACH netns has its attached address on eth0" [ "${#bad[@]}" -eq 0 ]
	[ "${#bad[@]}" -eq 0 ] || s_diag "${bad[@]:0:10}"
	s_check "$w: $N_ATTACH veths enslaved to $BR2" [ "$(s_links_of "$BR2" | wc -l)" -eq "$N_ATTACH" ]
	# the forwards: one map element per attach, distinct ports, right targets
	fwd_elems "$PODNET_NFT_TABLE" | sort -n >"$T/fwd"
	n_el=$(wc -l <"$T/fwd")
	n_ports=$(awk '{ print $1 }' "$T/fwd" | sort -u | wc -l)
	s_check "$w: nft map fwd_any has exactly $N_ATTACH elements ($n_el), $n_ports distinct host ports" \
		[ "$n_el" -eq "$N_ATTACH" -a "$n_ports" -eq "$N_ATTACH" ]
	badmap=$(awk -v d="$T/n" -v base="$P2BASE" -v tok="$TOK" '{
		n = $1 - base + 1; f = d "/" n ".res"; ip = ""
		while ((getline l < f) > 0) { split(l, a, " "); if (a[1] == "ok") ip = a[2] }
		close(f)
		if ($2 != ip || $3 != tok "n" n) print "port " $1 " -> " $2 " (" $3 "), expected " ip " (" tok "n" n ")"
	}' "$T/fwd")
	s_check "$w: every element maps its host port to the address of its own netns" [ -z "$badmap" ]
	[ -z "$badmap" ] || s_diag "$(echo "$badmap" | head -10)"
}
s2_verify "after attach"
# a sample answers: busybox httpd in a few netns, curl through 127.0.0.1
sample=$(printf '%s\n' 1 "$N_ATTACH" $(((N_ATTACH + 1) / 2)) $(((N_ATTACH + 2) / 3)) | sort -un)
for i in $sample; do
	ns=$(ns_name "$i")
	mkdir -p "$T/www/$ns"
	echo "hello from $ns" >"$T/www/$ns/index.html"
	ip netns exec "$ns" "$BUSYBOX" httpd -f -p 8000 -h "$T/www/$ns" </dev/null >/dev/null 2>&1 &
	echo $! >>"$T/httpd.pids"
done
s2_sample() { # WHEN
	local i ns port n_sample=0 n_answer=0 bad=()
	for i in $sample; do
		ns=$(ns_name "$i")
		port=$((P2BASE + i - 1))
		n_sample=$((n_sample + 1))
		if s_poll 20 curl -s --max-time 3 -o /dev/null "http://127.0.0.1:$port/" &&
			[ "$(curl -s --max-time 5 "http://127.0.0.1:$port/")" = "hello from $ns" ]; then
			n_answer=$((n_answer + 1))
		else
			bad+=("127.0.0.1:$port: expected 'hello from $ns', got '$(curl -s --max-time 5 "http://127.0.0.1:$port/" 2>&1)'")
		fi
	done
	s_check "podnet ($1): $n_answer of $n_sample sampled forwards answer from their own netns via 127.0.0.1" [ "$n_answer" -eq "$n_sample" ]
	[ "${#bad[@]}" -eq 0 ] || s_diag "${bad[@]}"
}
s2_sample "after attach"

# churn: every netns detached and attached again (--publish), all at once,
# STRESS_CHURN times: addresses released and taken, veths deleted in the
# background while new ones are made, map elements removed and added
s2_churn() { # N
	local n=$1 ns ip port=$((P2BASE + $1 - 1)) msg c
	ns=$(ns_name "$n")
	for ((c = 1; c <= CHURN; c++)); do
		msg=$(pn detach --id "$ns" 2>&1) || {
			echo "churn $c: detach --id $ns: $msg"
			return 1
		}
		ip=$(pn attach --bridge "$BR2" --netns "$ns" --id "$ns" --publish "$port:8000" 2>&1) || {
			echo "churn $c: attach --netns $ns --publish $port:8000: $ip"
			return 1
		}
	done
	echo "ok $ip $port"
}
s_lease_veths "$PODNET_STATE_DIR" >"$T/veths"
if [ "$CHURN" -gt 0 ]; then
	t0=$(s_now)
	jpids=()
	for ((i = 1; i <= N_ATTACH; i++)); do
		s2_churn "$i" >"$T/n/$i.res" 2>&1 &
		jpids+=($!)
	done
	for p in "${jpids[@]}"; do wait "$p"; done
	t_churn=$(s_elapsed "$t0")
	n_ok=$(cat "$T"/n/*.res | grep -c '^ok ')
	if [ "$n_ok" -eq "$N_ATTACH" ]; then
		s_ok "podnet: churn: $N_ATTACH netns x $CHURN parallel detach + attach --publish all succeeded (${t_churn} s)"
	else
		s_not_ok "podnet: churn: $n_ok of $N_ATTACH netns went through $CHURN detach + attach --publish"
		grep -hv '^ok ' "$T"/n/*.res | head -20 | s_diag "$(cat)"
	fi
	s2_verify "after churn"
	s2_sample "after churn"
fi
for p in $(cat "$T/httpd.pids"); do kill "$p" 2>/dev/null; done
for p in $(cat "$T/httpd.pids"); do wait "$p" 2>/dev/null; done
: >"$T/httpd.pids"
s_lease_veths "$PODNET_STATE_DIR" >>"$T/veths"

s_reader_start podnet-status2 pn status
t0=$(s_now)
jpids=()
for ((i = 1; i <= N_ATTACH; i++)); do
	s2_detach "$i" >"$T/n/$i.det" 2>&1 &
	jpids+=($!)
done
for p in "${jpids[@]}"; do wait "$p"; done
t_detach=$(s_elapsed "$t0")
s_reader_stop podnet-status2 "podnet: status while $N_ATTACH detach + netns del run"
PART_SECS=$(awk -v a="$t_attach" -v b="$t_detach" 'BEGIN { printf "%.2f", a + b }')
WALL[podnet]="$t_attach+$t_detach"

n_ok=$(cat "$T"/n/*.det | grep -c '^ok')
if [ "$n_ok" -eq "$N_ATTACH" ]; then
	s_ok "podnet: $N_ATTACH parallel detach + netns del all succeeded"
else
	s_not_ok "podnet: $n_ok of $N_ATTACH parallel detach + netns del succeeded"
	grep -hv '^ok' "$T"/n/*.det | head -20 | s_diag "$(cat)"
fi
# detach leaves the veth's deletion to a grandchild: wait for ours to end
s_poll 60 bash -c '! find /proc -mindepth 2 -maxdepth 2 -name exe -lname "$1/*" 2>/dev/null | grep -q .' _ "$BIN" ||
	s_diag "podnet background work still running after 60 s"
s_check "podnet: no lease, IPAM entry or forward record left" \
	bash -c 'l=$(find "$1/leases" "$1/ipam" "$1/forwards" -mindepth 1 ! -type d ! -name "*.lock" 2>/dev/null); [ -z "$l" ] || { echo "$l" | head; exit 1; }' _ "$PODNET_STATE_DIR"
s_check "podnet: nft map fwd_any empty after the detaches" [ -z "$(fwd_elems "$PODNET_NFT_TABLE")" ]
left=$(s_links_of "$BR2"; while read -r l; do s_link_exists "$l" && echo "$l"; done <"$T/veths")
s_check "podnet: none of the $(wc -l <"$T/veths") host veths left" [ -z "$left" ]
[ -z "$left" ] || s_diag "$(echo $left | head -c 300)"
s_check "podnet: no netns ${TOK}n* left" [ -z "$(s_netns "${TOK}n")" ]
msg=$(pn bridge del "$BR2" 2>&1)
s_check "podnet: bridge del $BR2, then no link, no nft table $PODNET_NFT_TABLE and no state file left" \
	bash -c '! ip link show "$1" >/dev/null 2>&1 && ! nft list table ip "$2" >/dev/null 2>&1 && [ -z "$(find "$3" -mindepth 1 -type f ! -name "*.lock")" ] || { echo "$4"; exit 1; }' \
	_ "$BR2" "$PODNET_NFT_TABLE" "$PODNET_STATE_DIR" "$msg"
s_part_end podnet

# ====================== part 3: pod ======================
pod_name() { echo "${TOK}p$1"; }

s3_pod() { # N: create the pod, then add its containers in parallel
	local n=$1 p msg j rc=0 apids=()
	p=$(pod_name "$n")
	msg=$(pd create "$p" --bridge "$BR3" --subnet "$NET3" -p "$((P3BASE + n - 1)):80" 2>&1) || {
		echo "create $p: $msg"
		return 1
	}
	for ((j = 1; j <= POD_SIZE; j++)); do
		pd add --pod "$p" --name "c$j" --rootfs "$ROOTFS" -e "$MARK" -- sh -c 'echo up; exec sleep 1000' \
			>"$T/p/$n.add$j" 2>&1 &
		apids+=($!)
	done
	for ((j = 1; j <= POD_SIZE; j++)); do
		wait "${apids[j - 1]}" || {
			echo "add --pod $p --name c$j: $(cat "$T/p/$n.add$j")"
			rc=1
		}
	done
	[ "$rc" -eq 0 ] && echo ok
}

s3_rm() { # N
	local p msg
	p=$(pod_name "$1")
	msg=$(pd rm -f "$p" 2>&1) || {
		echo "rm -f $p: $msg"
		return 1
	}
	echo ok
}

s_part_begin pod
s_reader_start pod-ps pd ps
t0=$(s_now)
jpids=()
for ((i = 1; i <= N_PODS; i++)); do
	s3_pod "$i" >"$T/p/$i.res" 2>&1 &
	jpids+=($!)
done
for p in "${jpids[@]}"; do wait "$p"; done
t_create=$(s_elapsed "$t0")
s_reader_stop pod-ps "pod: ps of all pods while $N_PODS pods are created and filled"

n_ok=$(cat "$T"/p/*.res | grep -c '^ok')
if [ "$n_ok" -eq "$N_PODS" ]; then
	s_ok "pod: $N_PODS pods created in parallel (bridge $BR3 made on demand), $POD_SIZE containers each added in parallel: all succeeded"
else
	s_not_ok "pod: $n_ok of $N_PODS pods created with their $POD_SIZE containers"
	grep -hv '^ok' "$T"/p/*.res | head -20 | s_diag "$(cat)"
fi
# pod ps: every member running; distinct pids and pod addresses
: >"$T/pod.ps"
for ((i = 1; i <= N_PODS; i++)); do
	pd ps "$(pod_name "$i")" --json 2>&1 | jq -c '.[0]' >>"$T/pod.ps" 2>/dev/null
done
n_run=$(jq -r '[.pause] + .containers | .[] | select(.status == "running") | .pid' "$T/pod.ps" | wc -l)
n_pid=$(jq -r '[.pause] + .containers | .[] | select(.status == "running") | .pid' "$T/pod.ps" | sort -u | wc -l)
want=$((N_PODS * (POD_SIZE + 1)))
s_check "pod: pod ps shows $n_run of $want members running (pause + $POD_SIZE per pod), $n_pid distinct pids" \
	[ "$n_run" -eq "$want" -a "$n_pid" -eq "$want" ]
[ "$n_run" -eq "$want" ] || s_diag "$(jq -r '. as $p | [.pause] + .containers | .[] | select(.status != "running") | "\($p.name) \(.name) \(.status)"' "$T/pod.ps" | head)"
n_ip=$(jq -r '.ip' "$T/pod.ps" | grep -c '^10\.233\.')
n_ipu=$(jq -r '.ip' "$T/pod.ps" | grep '^10\.233\.' | sort -u | wc -l)
s_check "pod: $n_ipu distinct pod addresses for $N_PODS pods" [ "$n_ip" -eq "$N_PODS" -a "$n_ipu" -eq "$N_PODS" ]
# the kernel agrees: processes in the pods' cgroups, monitors, forwards
n_cg=$(s_live $(s_procs_cgroup "/${TOK}p") | wc -l)
s_check "pod: $n_cg processes in the pods' cgroups (want $want: pauses and sleeps)" [ "$n_cg" -eq "$want" ]
mons=$(s_live $(s_procs_exe "$BIN"))
n_mon=$(echo $mons | wc -w)
fds=$(for m in $mons; do ls "/proc/$m/fd" 2>/dev/null | wc -l; done | sort -un | tr '\n' ' ')
s_check "pod: $n_mon monitors, one per member; every monitor holds the same number of fds (${fds% })" \
	[ "$n_mon" -eq "$want" -a "$(echo $fds | wc -w)" -eq 1 ]
n_el=$(fwd_elems "$POD_TABLE" | wc -l)
s_check "pod: nft map fwd_any of $POD_TABLE has one published port per pod ($n_el)" [ "$n_el" -eq "$N_PODS" ]
pids_before=$(s_procs_cgroup "/${TOK}p" | sort -n)

s_reader_start pod-ps2 pd ps
t0=$(s_now)
jpids=()
for ((i = 1; i <= N_PODS; i++)); do
	s3_rm "$i" >"$T/p/$i.rm" 2>&1 &
	jpids+=($!)
done
for p in "${jpids[@]}"; do wait "$p"; done
t_rm=$(s_elapsed "$t0")
s_reader_stop pod-ps2 "pod: ps of all pods while $N_PODS pods are removed"
PART_SECS=$(awk -v a="$t_create" -v b="$t_rm" 'BEGIN { printf "%.2f", a + b }')
WALL[pod]="$t_create+$t_rm"

n_ok=$(cat "$T"/p/*.rm | grep -c '^ok')
if [ "$n_ok" -eq "$N_PODS" ]; then
	s_ok "pod: $N_PODS parallel pod rm -f all succeeded"
else
	s_not_ok "pod: $n_ok of $N_PODS parallel pod rm -f succeeded"
	grep -hv '^ok' "$T"/p/*.rm | head -20 | s_diag "$(cat)"
fi

# adds racing the pod's removal: STRESS_RACE pods (N_PODS/4), each created,
# then POD_SIZE adds and its rm -f started at once.  rm -f must succeed; an
# add may win (its container goes with the pod) or lose with a one-line
# error; whichever, nothing may stay (the checks below).
s3_race() { # N; prints "ok WON LOST" or what failed
	local p=${TOK}pr$1 j rc=0 won=0 lost=0 msg apids=()
	msg=$(pd create "$p" --bridge "$BR3" 2>&1) || {
		echo "create $p: $msg"
		return 1
	}
	for ((j = 1; j <= POD_SIZE; j++)); do
		pd add --pod "$p" --name "c$j" --rootfs "$ROOTFS" -e "$MARK" -- sleep 1000 >"$T/p/r$1.add$j" 2>&1 &
		apids+=($!)
	done
	msg=$(pd rm -f "$p" 2>&1) || {
		echo "rm -f $p during $POD_SIZE adds: $msg"
		rc=1
	}
	for ((j = 1; j <= POD_SIZE; j++)); do
		if wait "${apids[j - 1]}"; then
			won=$((won + 1))
		elif [ "$(wc -l <"$T/p/r$1.add$j")" -eq 1 ] && grep -q '^pod: ' "$T/p/r$1.add$j"; then
			lost=$((lost + 1))
		else
			echo "add --pod $p --name c$j (racing rm -f) failed without a one-line error: $(head -c 300 "$T/p/r$1.add$j")"
			rc=1
		fi
	done
	[ "$rc" -eq 0 ] && echo "ok $won $lost"
}
N_RACE=${STRESS_RACE:-$(((N_PODS + 3) / 4))}
jpids=()
for ((i = 1; i <= N_RACE; i++)); do
	s3_race "$i" >"$T/p/$i.race" 2>&1 &
	jpids+=($!)
done
for p in "${jpids[@]}"; do wait "$p"; done
n_ok=$(cat "$T"/p/*.race 2>/dev/null | grep -c '^ok')
won=$(awk '$1 == "ok" { w += $2; l += $3 } END { print w + 0, l + 0 }' "$T"/p/*.race 2>/dev/null)
if [ "$n_ok" -eq "$N_RACE" ]; then
	s_ok "pod: $N_RACE pods removed (rm -f) while $POD_SIZE adds each ran: every rm succeeded, adds won/lost ${won% *}/${won#* } (losers with a one-line error)"
else
	s_not_ok "pod: $n_ok of $N_RACE pods removed cleanly while adds ran"
	grep -hv '^ok' "$T"/p/*.race | head -20 | s_diag "$(cat)"
fi
errs=$(grep -h '^pod: ' "$T"/p/r*.add* 2>/dev/null | sed 's/pks[0-9]*pr[0-9]*/POD/g; s/c[0-9]\b/cN/g' | sort | uniq -c | sort -rn | head -5)
[ -z "$errs" ] || s_diag "errors of the losing adds (count, message):" "$errs"
s_poll 60 bash -c '! find /proc -mindepth 2 -maxdepth 2 -name exe -lname "$1/*" 2>/dev/null | grep -q .' _ "$BIN"
live=$(s_live $(s_procs_exe "$BIN"))
s_check "pod: no pod monitor or tool process left (were $n_mon monitors)" [ -z "$live" ]
[ -z "$live" ] || s_diag "$(ps -o pid,stat,args -p "$(echo $live | tr ' ' ,)")"
live=$(s_live $(s_procs_cgroup "/${TOK}p") $(s_procs_marked "$MARK") $pids_before)
s_check "pod: no pause or container process left (were $want)" [ -z "$live" ]
[ -z "$live" ] || s_diag "$(ps -o pid,stat,args -p "$(echo $live | tr ' ' ,)")"
s_check "pod: no pod state and no runtime state left" \
	bash -c 'l=$(ls -A "$1" 2>/dev/null | grep -v "\.lock$"; ls -A "$2" 2>/dev/null); [ -z "$l" ] || { echo "$l" | head; exit 1; }' _ "$POD_STATE" "$POD_RTROOT"
s_check "pod: no lease, IPAM entry or forward record left, map fwd_any empty" \
	bash -c 'l=$(find "$1/leases" "$1/ipam" "$1/forwards" -mindepth 1 ! -type d ! -name "*.lock" 2>/dev/null); [ -z "$l" ] && [ -z "$2" ] || { echo "$l $2" | head; exit 1; }' _ "$POD_NET" "$(fwd_elems "$POD_TABLE")"
s_check "pod: no netns, veth, cgroup or mount of the pods left" \
	bash -c '[ -z "$1$2$3$4" ] || { echo "netns: $1 veths: $2 cgroups: $3 mounts: $4"; exit 1; }' _ \
	"$(s_netns "${TOK}p")" "$(s_links_of "$BR3")" "$(s_cgroups "${TOK}p")" "$(s_mounts_with "${TOK}p")"
msg=$(pdnet bridge del "$BR3" 2>&1)
s_check "pod: bridge del $BR3, then no nft table $POD_TABLE left" \
	bash -c '! ip link show "$1" >/dev/null 2>&1 && ! nft list table ip "$2" >/dev/null 2>&1 || { echo "$3"; exit 1; }' _ "$BR3" "$POD_TABLE" "$msg"
s_part_end pod

# ====================== leftovers of the whole run ======================
s_leftovers() {
	local l
	l=$(
		s_netns "$TOK" | sed 's/^/netns /'
		ip -o link show 2>/dev/null | awk -F': ' '{ split($2, a, "@"); print a[1] }' | grep "^$TOK" | sed 's/^/link /'
		for d in "$PODNET_STATE_DIR" "$POD_NET"; do s_lease_veths "$d"; done | while read -r v; do s_link_exists "$v" && echo "veth $v"; done
		nft list tables 2>/dev/null | grep -w -e "$PODNET_NFT_TABLE" -e "$POD_TABLE" | sed 's/^/nft /'
		s_mounts_with "$TOK" | sed 's/^/mount /'
		s_cgroups "$TOK" | sed 's/^/cgroup /'
		s_live $(s_procs_marked "$MARK") $(s_procs_cgroup "$TOK") $(s_procs_exe "$BIN") | sed 's/^/process /'
		for d in "$RTROOT" "$PODNET_STATE_DIR" "$POD_STATE" "$POD_RTROOT" "$POD_NET"; do
			[ -e "$d" ] && echo "state dir $d"
		done
	)
	[ -z "$l" ] || {
		echo "$l" | head -20
		return 1
	}
}
s_cleanup
trap - EXIT
s_check "leftovers: no netns, link, nft table, mount, cgroup, process or state dir of $TOK after the run" s_leftovers

echo "# count: stress: $N_CTR containers ($N_WORKERS workers) in ${WALL[podrun]}s, $N_ATTACH attach+forward in ${WALL[podnet]%+*}s (+ ${CHURN}x$N_ATTACH detach+attach churn ${t_churn:-0}s, detach ${WALL[podnet]#*+}s), $N_PODS pods x $POD_SIZE in ${WALL[pod]%+*}s (+ rm ${WALL[pod]#*+}s), peak RSS podrun ${PEAK_RSS[podrun]%% *} KiB, podnet ${PEAK_RSS[podnet]%% *} KiB, pod ${PEAK_RSS[pod]%% *} KiB; host memory in use at peak +${MEMUSE[podrun]}/+${MEMUSE[podnet]}/+${MEMUSE[pod]} MiB; $TOOL_RUNS tool runs, $S_CHECKS checks"
[ "$S_FAILED" -eq 0 ]
exit
}
