# Shared body of the pod_*.bats suites: each suite sets POD_TEST_RT (the
# runtime binary), POD_TEST_NET (third octet of its 10.215.N.0/24 subnet)
# and POD_TEST_PORT (first host port it may publish), then calls these.
#
# Every kernel object carries the suite's token pd<pid> (pods <tok>a..,
# bridge <tok>br, netns = pod names, nft table <tok>); state dirs are
# /run/<tok> (pods + runtime root) and /run/<tok>net (podnet), and
# pod_cleanup sweeps all of it even after a failure.
PODKIT_TOP=${PODKIT_TOP:-$(cd "$BATS_TEST_DIRNAME/../.." && pwd)}
PODKIT_BUILD=${PODKIT_BUILD:-$PODKIT_TOP/build}
POD_BIN=$PODKIT_BUILD/pod

TOK=$(cat "$BATS_FILE_TMPDIR/token" 2>/dev/null || echo "pd$$")
BR=${TOK}br
SUBNET=10.215.$POD_TEST_NET.0/24
export POD_STATE_DIR=/run/$TOK
export POD_RUNTIME_ROOT=/run/$TOK/runtime
export PODNET_STATE_DIR=/run/${TOK}net
export PODNET_NFT_TABLE=$TOK
export POD_PAUSE=$PODKIT_BUILD/pod-pause
ROOTFS=$BATS_FILE_TMPDIR/rootfs

pod() {
	"$POD_BIN" --runtime "$POD_TEST_RT" "$@"
}

# wait_for SECS CMD...: polls CMD every 0.1 s (no fixed sleeps)
wait_for() {
	local secs=$1 i=0
	shift
	while ! "$@"; do
		i=$((i + 1))
		[ "$i" -lt $((secs * 10)) ] || return 1
		sleep 0.1
	done
}

pod_setup_file() {
	echo "$TOK" >"$BATS_FILE_TMPDIR/token"
	[ -x "$POD_BIN" ] && [ -x "$POD_PAUSE" ] || {
		echo "# $POD_BIN or $POD_PAUSE is missing: run make" >&3
		return 1
	}
	"$PODKIT_TOP/scripts/mkrootfs.sh" "$ROOTFS" >/dev/null
	mkdir -p "$ROOTFS/www"
	echo "hello from $TOK" >"$ROOTFS/www/index.html"
	# busybox has no ipcmk/ipcs: a static helper that makes a SysV shared
	# memory segment and reads it back by key
	cat >"$BATS_FILE_TMPDIR/pdipc.c" <<'C'
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/shm.h>
int main(int argc, char **argv) {
  if (argc < 3) return 2;
  int make = strcmp(argv[1], "make") == 0;
  int id = shmget((key_t)strtol(argv[2], NULL, 0), 4096, make ? IPC_CREAT | 0600 : 0);
  if (id < 0) { perror("shmget"); return 1; }
  char *m = shmat(id, NULL, 0);
  if (m == (void *)-1) { perror("shmat"); return 1; }
  if (make) snprintf(m, 4096, "%s", argc > 3 ? argv[3] : "");
  else printf("IPC=%s\n", m);
  return 0;
}
C
	cc -static -O1 -o "$ROOTFS/bin/pdipc" "$BATS_FILE_TMPDIR/pdipc.c"
}

pod_cleanup() {
	local p l n pid
	if [ -d "$POD_STATE_DIR" ]; then
		for p in $(ls "$POD_STATE_DIR" 2>/dev/null); do
			[ -f "$POD_STATE_DIR/$p/pod.json" ] && "$POD_BIN" --runtime "$POD_TEST_RT" rm -f "$p" >/dev/null 2>&1
		done
		# belt and braces: whatever a failed rm left
		for pid in $(cat "$POD_STATE_DIR"/*/pause/pid "$POD_STATE_DIR"/*/containers/*/pid 2>/dev/null); do
			kill -9 "$pid" 2>/dev/null || true
		done
		grep -o " $POD_STATE_DIR/[^ ]*" /proc/mounts | sort -r | while read -r m; do umount -l "$m" 2>/dev/null; done
	fi
	for n in $(ls /var/run/netns 2>/dev/null | grep "^$TOK"); do
		umount -l "/var/run/netns/$n" 2>/dev/null
		rm -f "/var/run/netns/$n"
	done
	if [ -d "$PODNET_STATE_DIR/leases" ]; then
		for l in $(cat "$PODNET_STATE_DIR"/leases/*.json 2>/dev/null | sed -n 's/.*"host_veth": *"\([^"]*\)".*/\1/p'); do
			ip link del "$l" 2>/dev/null || true
		done
	fi
	if [ -d "$POD_RUNTIME_ROOT" ]; then
		for n in $(ls "$POD_RUNTIME_ROOT" 2>/dev/null); do
			"$POD_TEST_RT" --root "$POD_RUNTIME_ROOT" delete -f "$n" >/dev/null 2>&1 || true
		done
	fi
	for l in $(ip -o link show master "$BR" 2>/dev/null | awk -F': ' '{split($2, a, "@"); print a[1]}'); do
		ip link del "$l" 2>/dev/null || true
	done
	ip link del "$BR" 2>/dev/null || true
	ip link del "${TOK}b2" 2>/dev/null || true
	nft delete table ip "$TOK" 2>/dev/null || true
	rm -rf "$POD_STATE_DIR" "$PODNET_STATE_DIR"
	return 0
}

# make_bundle DIR ARGS...: a bundle as `podrun spec` makes it, running ARGS
make_bundle() {
	local dir=$1
	shift
	mkdir -p "$dir"
	"$PODKIT_BUILD/podrun" spec --bundle "$dir"
	ln -s "$ROOTFS" "$dir/rootfs"
	local args
	args=$(printf '%s\n' "$@" | jq -R . | jq -s .)
	jq --argjson a "$args" '.process.args = $a | .process.terminal = false' "$dir/config.json" >"$dir/c.tmp"
	mv "$dir/c.tmp" "$dir/config.json"
}

host_addr() {
	local dev
	dev=$(ip -4 route show default 2>/dev/null | awk '{print $5; exit}')
	{
		[ -n "$dev" ] && ip -4 -o addr show dev "$dev" scope global
		ip -4 -o addr show scope global
	} | awk '{print $4}' | cut -d/ -f1 | grep -v '^10\.215\.' | head -1
}

ctr_field() { # POD CONTAINER FIELD (from pod ps --json)
	pod ps "$1" --json | jq -r --arg c "$2" --arg f "$3" \
		'.[0] | (if $c == "pause" then .pause else (.containers[] | select(.name == $c)) end) | .[$f] // empty'
}

ps_has() { pod ps "$1" | grep -E "$2" >/dev/null; }
logs_have() { pod logs --pod "$1" "$2" 2>/dev/null | grep -F -- "$3" >/dev/null; }

# ---- the tests ----

t_web_pod_shares_namespaces() {
	local p=${TOK}a hp=$POD_TEST_PORT addr
	run pod create "$p" --bridge "$BR" --subnet "$SUBNET" -p "$hp:8000" --hostname "${TOK}h"
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	cd "$BATS_TEST_TMPDIR"
	make_bundle web1 sh -c 'pdipc make 0x7064 "shm-of-web1" && exec httpd -f -p 8000 -h /www'
	make_bundle web2 sh -c 'i=0; until wget -q -O- http://127.0.0.1:8000/; do i=$((i+1)); [ $i -lt 300 ] || exit 9; sleep 0.1; done; echo "HOST=$(hostname)"; ps; pdipc read 0x7064; echo web2-done; exec sleep 1000'
	cp web1/config.json web1.orig
	run pod add --pod "$p" web1 web2
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	# the user's bundle is never modified
	cmp web1/config.json web1.orig
	wait_for 60 logs_have "$p" web2 web2-done || { pod logs --pod "$p" web2; pod ps; return 1; }
	run pod logs --pod "$p" web2
	echo "$output"
	# shared net: web1's server on web2's 127.0.0.1
	[[ "$output" == *"hello from $TOK"* ]]
	# shared uts
	[[ "$output" == *"HOST=${TOK}h"* ]]
	# shared pid: web2 sees web1's httpd and the pause
	[[ "$output" == *"httpd -f -p 8000"* ]]
	[[ "$output" == *"/pause"* ]]
	# shared SysV IPC: the segment web1 made, found by its key
	[[ "$output" == *"IPC=shm-of-web1"* ]]
	# and not visible from the host's ipc namespace
	! grep -q ' 28772 ' /proc/sysvipc/shm
	run pod ps "$p"
	echo "$output"
	echo "$output" | grep -E "^$p +web1 +running +[0-9]+ .*10\.215\.$POD_TEST_NET\." >/dev/null
	echo "$output" | grep -E "^$p +pause +running .*0\.0\.0\.0:$hp->8000/tcp" >/dev/null
	# the published port from the host: loopback and the host's address
	run curl -s --max-time 10 "http://127.0.0.1:$hp/"
	[ "$status" -eq 0 ] && [ "$output" = "hello from $TOK" ]
	addr=$(host_addr)
	if [ -n "$addr" ]; then
		run curl -s --max-time 10 "http://$addr:$hp/"
		[ "$status" -eq 0 ] && [ "$output" = "hello from $TOK" ]
	fi
	# the netns follows iproute2's convention
	ip netns exec "$p" ip -4 -o addr show dev eth0 | grep "10.215.$POD_TEST_NET." >/dev/null
}

t_exit_codes_and_logs() {
	local p=${TOK}b pid
	pod create "$p" --bridge "$BR" --subnet "$SUBNET"
	pod add --pod "$p" --name e7 --rootfs "$ROOTFS" -- sh -c 'echo out-line; echo err-line >&2; exit 7'
	pod add --pod "$p" --name k9 --rootfs "$ROOTFS" -- sleep 1000
	pid=$(ctr_field "$p" k9 pid)
	[ -n "$pid" ] && kill -0 "$pid"
	kill -KILL "$pid"
	wait_for 30 ps_has "$p" "^$p +k9 +killed by SIGKILL" || { pod ps "$p"; return 1; }
	wait_for 30 ps_has "$p" "^$p +e7 +exited 7 " || { pod ps "$p"; return 1; }
	[ "$(ctr_field "$p" e7 exit_code)" = 7 ]
	[ "$(ctr_field "$p" k9 signal)" = 9 ]
	# the monitor reaped them: not even a zombie is left
	[ ! -e "/proc/$pid" ]
	# logs survive the exit
	run pod logs --pod "$p" e7
	[ "$status" -eq 0 ]
	[[ "$output" == *out-line* ]] && [[ "$output" == *err-line* ]]
	run pod logs --pod "$p" e7 -f
	[ "$status" -eq 0 ] && [[ "$output" == *err-line* ]]
	# an exited container's name can be used again
	pod add --pod "$p" --name e7 --rootfs "$ROOTFS" -- sh -c 'exit 3'
	wait_for 30 ps_has "$p" "^$p +e7 +exited 3 "
}

# every trace a pod leaves: pids, veth, netns, lease, forwards, mounts, state
pod_traces() { # POD
	local p=$1 d=$POD_STATE_DIR/$1
	TR_PIDS=$(cat "$d"/pause/pid "$d"/containers/*/pid 2>/dev/null | tr '\n' ' ')
	TR_VETH=$(sed -n 's/.*"host_veth": *"\([^"]*\)".*/\1/p' "$PODNET_STATE_DIR/leases/$p.json")
}

no_traces_left() { # POD
	local p=$1 pid
	for pid in $TR_PIDS; do
		[ ! -e "/proc/$pid" ] || { echo "process $pid left"; return 1; }
	done
	[ -n "$TR_VETH" ]
	! ip link show "$TR_VETH" >/dev/null 2>&1 || { echo "veth $TR_VETH left"; return 1; }
	[ ! -e "/var/run/netns/$p" ] || { echo "netns left"; return 1; }
	! ip netns list | grep -qw "$p" || { echo "netns listed"; return 1; }
	[ ! -e "$PODNET_STATE_DIR/leases/$p.json" ] || { echo "lease left"; return 1; }
	! nft list table ip "$TOK" 2>/dev/null | grep -q "$POD_TEST_PORT" || { echo "forward left"; return 1; }
	! grep -q -e "$POD_STATE_DIR/$p" -e "/netns/$p " /proc/mounts || { echo "mount left"; return 1; }
	[ ! -e "$POD_STATE_DIR/$p" ] || { echo "state left"; return 1; }
	! ls "$POD_RUNTIME_ROOT" 2>/dev/null | grep -q "^$p" || { echo "runtime state left"; return 1; }
}

t_stop_then_rm_leaves_nothing() {
	local p=${TOK}c pid
	pod create "$p" --bridge "$BR" --subnet "$SUBNET" -p "$((POD_TEST_PORT + 1)):8000"
	pod add --pod "$p" --name web --rootfs "$ROOTFS" -- httpd -f -p 8000 -h /www
	pod add --pod "$p" --name sleeper --rootfs "$ROOTFS" -- sleep 1000
	# ignores TERM: gets KILL once the grace period is over
	pod add --pod "$p" --name stubborn --rootfs "$ROOTFS" -- sh -c 'trap "" TERM; echo armed; while :; do sleep 1; done'
	wait_for 30 logs_have "$p" stubborn armed
	pod_traces "$p"
	wait_for 30 curl -s --max-time 5 -o /dev/null "http://127.0.0.1:$((POD_TEST_PORT + 1))/"
	run pod rm "$p"
	[ "$status" -ne 0 ] && [[ "$output" == "pod: pod $p is running"* ]]
	run pod stop "$p" -t 2
	[ "$status" -eq 0 ]
	for pid in $TR_PIDS; do
		[ ! -e "/proc/$pid" ]
	done
	run pod ps "$p"
	echo "$output"
	echo "$output" | grep -E "^$p +pause +exited 0" >/dev/null
	echo "$output" | grep -E "^$p +web +killed by SIGTERM" >/dev/null
	echo "$output" | grep -E "^$p +stubborn +killed by SIGKILL" >/dev/null
	run pod rm "$p"
	[ "$status" -eq 0 ]
	TR_PORT=$((POD_TEST_PORT + 1)) no_traces_left "$p"
	run pod ps "$p"
	[ "$status" -ne 0 ] && [ "$output" = "pod: pod $p does not exist" ]
}

t_rm_force_leaves_nothing() {
	local p=${TOK}d
	pod create "$p" --bridge "$BR" --subnet "$SUBNET" -p "$((POD_TEST_PORT + 2)):8000"
	pod add --pod "$p" --name web --rootfs "$ROOTFS" -- httpd -f -p 8000 -h /www
	pod_traces "$p"
	run pod rm -f "$p"
	[ "$status" -eq 0 ]
	no_traces_left "$p"
}

t_two_pods_reach_each_other() {
	local a=${TOK}e b=${TOK}f ip
	pod create "$a" --bridge "$BR" --subnet "$SUBNET"
	pod create "$b" --bridge "$BR"
	ip=$(pod inspect "$a" | jq -r .ip)
	[ -n "$ip" ] && [ "$ip" != "$(pod inspect "$b" | jq -r .ip)" ]
	pod add --pod "$a" --name srv --rootfs "$ROOTFS" -- httpd -f -p 8000 -h /www
	pod add --pod "$b" --name cli --rootfs "$ROOTFS" -- sh -c "i=0; until wget -q -O- http://$ip:8000/; do i=\$((i+1)); [ \$i -lt 300 ] || exit 9; sleep 0.1; done; echo cli-done"
	wait_for 60 logs_have "$b" cli cli-done || { pod logs --pod "$b" cli; return 1; }
	logs_have "$b" cli "hello from $TOK"
	wait_for 30 ps_has "$b" "^$b +cli +exited 0 "
}

t_pause_killed_is_reported() {
	local p=${TOK}g pid
	pod create "$p" --bridge "$BR" --subnet "$SUBNET"
	pod add --pod "$p" --name sleeper --rootfs "$ROOTFS" -- sleep 1000
	pid=$(ctr_field "$p" pause pid)
	[ -n "$pid" ]
	kill -KILL "$pid"
	wait_for 30 ps_has "$p" "^$p +pause +killed by SIGKILL" || { pod ps "$p"; return 1; }
	# the pid namespace's init is gone: its members went with it
	wait_for 30 ps_has "$p" "^$p +sleeper +killed by SIGKILL"
	cd "$BATS_TEST_TMPDIR"
	make_bundle late sleep 1000
	run pod add --pod "$p" late
	echo "$output"
	[ "$status" -ne 0 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == "pod: pod $p: its pause container is not running (killed by SIGKILL)"* ]]
	[ ! -e "$POD_STATE_DIR/$p/containers/late" ]
	! ls "$POD_RUNTIME_ROOT" | grep -q "late"
	run pod add --pod "$p" --name late2 --rootfs "$ROOTFS" -- true
	[ "$status" -ne 0 ] && [[ "$output" == *"pause container is not running"* ]]
	pod_traces "$p"
	pod rm "$p"
	no_traces_left "$p"
}

t_errors_leave_nothing() {
	local p=${TOK}h
	run pod create "bad/name"
	[ "$status" -ne 0 ] && [[ "$output" == "pod: invalid pod name"* ]]
	run pod create "$p" --bridge "$BR" --subnet "$SUBNET" -p 70000:80
	[ "$status" -ne 0 ] && [[ "$output" == "pod: --publish 70000:80: "* ]]
	run pod create "$p" --share net,mnt
	[ "$status" -ne 0 ] && [[ "$output" == *'unknown namespace "mnt"'* ]]
	[ ! -e "$POD_STATE_DIR/$p" ] && [ ! -e "/var/run/netns/$p" ]
	run pod add --pod "$p" --name x --rootfs "$ROOTFS" -- true
	[ "$status" -ne 0 ] && [ "$output" = "pod: pod $p does not exist" ]
	pod create "$p" --bridge "$BR" --subnet "$SUBNET"
	run pod create "$p" --bridge "$BR"
	[ "$status" -ne 0 ] && [ "$output" = "pod: pod $p already exists" ]
	# a bundle the runtime rejects: the error is one line and no member stays
	cd "$BATS_TEST_TMPDIR"
	make_bundle broken /no/such/binary
	run pod add --pod "$p" broken
	echo "$output"
	[ "$status" -ne 0 ] && [ "${#lines[@]}" -eq 1 ] && [[ "$output" == "pod: add broken to pod $p: "* ]]
	[ ! -e "$POD_STATE_DIR/$p/containers/broken" ]
	! ls "$POD_RUNTIME_ROOT" | grep -q broken
	# all or nothing: a failing second bundle takes the first one back
	make_bundle ok1 sleep 1000
	run pod add --pod "$p" ok1 broken
	[ "$status" -ne 0 ]
	[ ! -e "$POD_STATE_DIR/$p/containers/ok1" ]
	run pod add --pod "$p" --name dup --rootfs "$ROOTFS" -- sleep 1000
	run pod add --pod "$p" --name dup --rootfs "$ROOTFS" -- sleep 1000
	[ "$status" -ne 0 ] && [ "$output" = "pod: container dup already exists in pod $p" ]
	# a runtime that fails: the pause never runs, nothing stays
	run "$POD_BIN" --runtime /bin/false create "${p}5" --bridge "$BR" -p "$((POD_TEST_PORT + 5)):80"
	echo "$output"
	[ "$status" -ne 0 ] && [[ "$output" == "pod: create pod ${p}5: start pause container: "*"/false run exited 1" ]]
	[ ! -e "$POD_STATE_DIR/${p}5" ] && [ ! -e "/var/run/netns/${p}5" ]
	# a host port another pod publishes: the second create undoes all it made
	pod create "${p}2" --bridge "$BR" -p "$((POD_TEST_PORT + 4)):80"
	run pod create "${p}3" --bridge "$BR" -p "$((POD_TEST_PORT + 4)):80"
	echo "$output"
	[ "$status" -ne 0 ] && [ "${#lines[@]}" -eq 1 ] && [[ "$output" == "pod: create pod ${p}3: --publish $((POD_TEST_PORT + 4)):80: "*"already forwarded"* ]]
	[ ! -e "$POD_STATE_DIR/${p}3" ] && [ ! -e "/var/run/netns/${p}3" ]
	[ ! -e "$PODNET_STATE_DIR/leases/${p}3.json" ]
	! ls "$POD_RUNTIME_ROOT" | grep -q "^${p}3"
	# an address outside the bridge's subnet: the same
	run pod create "${p}4" --bridge "$BR" --ip 192.0.2.77
	[ "$status" -ne 0 ] && [[ "$output" == "pod: create pod ${p}4: "* ]]
	[ ! -e "$POD_STATE_DIR/${p}4" ] && [ ! -e "/var/run/netns/${p}4" ]
	pod rm -f "$p" "${p}2"
	[ ! -e "$POD_STATE_DIR/$p" ]
}

t_share_subset() {
	local p=${TOK}i
	pod create "$p" --share net --bridge "$BR" --subnet "$SUBNET"
	[ -e "$POD_STATE_DIR/$p/ns/net" ] && [ ! -e "$POD_STATE_DIR/$p/ns/pid" ]
	pod add --pod "$p" --name a --rootfs "$ROOTFS" -- sh -c 'echo "PID1=$(cat /proc/1/cmdline | tr "\0" " ")"; exec sleep 1000'
	wait_for 30 logs_have "$p" a "PID1="
	# own pid namespace: its PID 1 is its own shell, not the pause
	logs_have "$p" a "PID1=sh -c"
	[ "$(ip netns exec "$p" cat /proc/self/net/dev | grep -c eth0)" = 1 ]
	pod rm -f "$p"
}

t_exec_runs_in_container() {
	local p=${TOK}j
	if ! "$POD_TEST_RT" --help 2>&1 | grep -qw exec; then
		skip "$(basename "$POD_TEST_RT") has no exec command"
	fi
	pod create "$p" --bridge "$BR" --subnet "$SUBNET" --hostname "${TOK}x"
	pod add --pod "$p" --name web --rootfs "$ROOTFS" -- httpd -f -p 8000 -h /www
	pod add --pod "$p" --name cli --rootfs "$ROOTFS" -- sleep 1000
	wait_for 30 pod exec --pod "$p" cli -- wget -q -O /dev/null http://127.0.0.1:8000/
	run pod exec --pod "$p" cli -- wget -q -O- http://127.0.0.1:8000/
	[ "$status" -eq 0 ] && [ "$output" = "hello from $TOK" ]
	run pod exec --pod "$p" cli -- hostname
	[ "$output" = "${TOK}x" ]
	run pod exec --pod "$p" cli -- sh -c 'exit 5'
	[ "$status" -eq 5 ]
	pod rm -f "$p"
}

t_generate_systemd() {
	local p=${TOK}k d=$BATS_TEST_TMPDIR/units
	pod create "$p" --bridge "$BR" --subnet "$SUBNET" -p "$((POD_TEST_PORT + 3)):80"
	pod add --pod "$p" --name web --rootfs "$ROOTFS" -e 'GREETING=50% $HOME' -- httpd -f -p 80 -h /www
	mkdir -p "$d"
	run pod generate systemd "$p" --dest "$d"
	[ "$status" -eq 0 ]
	[ -f "$d/pod-$p.service" ] && [ -f "$d/pod-$p-web.service" ]
	grep -qx 'Type=forking' "$d/pod-$p.service"
	grep -qx "PIDFile=$POD_STATE_DIR/$p/pause/monitor.pid" "$d/pod-$p.service"
	grep -qx 'Restart=always' "$d/pod-$p.service"
	grep -q "create \"$p\" --bridge \"$BR\" .* -p \"$((POD_TEST_PORT + 3)):80\"" "$d/pod-$p.service"
	grep -qx "BindsTo=pod-$p.service" "$d/pod-$p-web.service"
	grep -qx "PIDFile=$POD_STATE_DIR/$p/containers/web/monitor.pid" "$d/pod-$p-web.service"
	grep -qF -- '-e "GREETING=50%% $$HOME" -- "httpd"' "$d/pod-$p-web.service"
	# the PIDFile names the live monitor
	kill -0 "$(cat "$POD_STATE_DIR/$p/containers/web/monitor.pid")"
	pod rm -f "$p"
}

t_parallel_creates_and_adds() {
	local a=${TOK}l b=${TOK}m br2=${TOK}b2 net=10.215.$((POD_TEST_NET + 10)).0/24 i pids=() ok=0
	# two pods racing to make the same new bridge: both end up on it
	pod create "$a" --bridge "$br2" --subnet "$net" &
	pids+=($!)
	pod create "$b" --bridge "$br2" --subnet "$net" &
	pids+=($!)
	for i in "${pids[@]}"; do wait "$i"; done
	[ "$(pod inspect "$a" | jq -r .bridge)" = "$br2" ] && [ "$(pod inspect "$b" | jq -r .bridge)" = "$br2" ]
	pids=()
	for i in 1 2 3 4 5 6; do
		pod add --pod "$a" --name "c$i" --rootfs "$ROOTFS" -- sleep 1000 &
		pids+=($!)
	done
	for i in "${pids[@]}"; do wait "$i"; done
	for i in 1 2 3 4 5 6; do
		ps_has "$a" "^$a +c$i +running"
	done
	# the same name twice at once: exactly one wins
	pids=()
	for i in 1 2; do
		pod add --pod "$a" --name dup --rootfs "$ROOTFS" -- sleep 1000 2>/dev/null &
		pids+=($!)
	done
	for i in "${pids[@]}"; do wait "$i" && ok=$((ok + 1)); done
	[ "$ok" -eq 1 ]
	ps_has "$a" "^$a +dup +running"
	pod rm -f "$a" "$b"
	# the bridge is podnet's, not the pods': it stays until removed
	ip link show "$br2" >/dev/null
	if [ -x "$PODKIT_BUILD/podnet" ]; then
		"$PODKIT_BUILD/podnet" bridge del "$br2"
	fi
}
