#!/usr/bin/env bats
# podrun exec: a new process in a running container, in every namespace of
# it, its cgroup, with its capabilities, seccomp and rlimits; runc's
# command line and wording.  Each test starts a detached `sleep` container
# (IDs ex<pid>-N) and execs into it; teardown deletes every container, the
# runc ones of the differential test included, even after a failure.
#   RUNTIME=/path/to/podrun tests/run.sh --integration podrun_exec

load lib/runtime
load lib/helpers

RUNC_ROOT=$RT_TMP/state-runc

setup_file() {
	# the suite's prefix: container IDs, marker, runc's cgroups (/ex<pid>-N)
	RT_TOKEN=ex$$
	RT_MARK=PODKIT_IT=$RT_TOKEN
	rt_setup_file
	: >"$RT_TMP/runc-ids"
	: >"$RT_TMP/dirs"
	: >"$RT_TMP/paused"
	: >"$RT_TMP/pids"
	# A seccomp notify listener: takes the fd and the state over SCM_RIGHTS
	# and answers each notification with ENOSPC.
	build_seccomp_listener "$RT_TMP/listener"
}

runc_cleanup() {
	local id
	[ -s "$RT_TMP/runc-ids" ] || return 0
	while read -r id; do
		[ -n "$id" ] && runc --root "$RUNC_ROOT" delete -f "$id" >/dev/null 2>&1
	done <"$RT_TMP/runc-ids"
	: >"$RT_TMP/runc-ids"
	return 0
}

teardown() {
	# a frozen container would keep its processes from dying on delete
	if [ -s "$RT_TMP/paused" ]; then
		while read -r id; do rt resume "$id" >/dev/null 2>&1; done <"$RT_TMP/paused"
		: >"$RT_TMP/paused"
	fi
	local p
	for p in $(cat "$RT_TMP/pids" 2>/dev/null); do kill -9 "$p" 2>/dev/null || true; done
	: >"$RT_TMP/pids"
	runc_cleanup
	rt_cleanup
}

teardown_file() {
	runc_cleanup
	rt_teardown_file
	if [ -s "$RT_TMP/dirs" ]; then
		while read -r d; do
			case "$d" in /tmp/ex*) rm -rf "$d" ;; esac
		done <"$RT_TMP/dirs"
	fi
	return 0
}

podrun_only() {
	[ "$RT_NAME" = podrun ] || skip "podrun's own state file or wording"
}

# start NAME [JQ-FILTER [JQ-ARGS...]]: bundle NAME running `sleep 1000`
# detached, edited by the filter; sets ID and PID.
start() {
	local name=$1
	shift
	bundle_make "$name" >/dev/null
	bundle_args "$name" sleep 1000
	[ $# -eq 0 ] || bundle_set "$name" "$@"
	ID=$(new_id "$name")
	run_file rt run -d -b "$(bundle_dir "$name")" "$ID"
	echo "run -d: $output"
	[ "$status" -eq 0 ]
	PID=$(rt_state_field "$ID" pid)
	[ "$PID" -gt 0 ]
}

ns_of() { # PID TYPE
	readlink "/proc/$1/ns/$2"
}

@test "exec: same hostname and pid, net, mount, uts, ipc, cgroup namespaces as the container" {
	start a '.hostname = "exhost"'
	run rt exec "$ID" sh -c 'hostname; for t in pid net mnt uts ipc cgroup user; do echo "$t $(readlink /proc/self/ns/$t)"; done; echo "me $$"'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = exhost ]
	for t in pid net mnt uts ipc cgroup user; do
		[ "$(awk -v t="$t" '$1 == t {print $2}' <<<"$output")" = "$(ns_of "$PID" "$t")" ]
	done
	# a member of the container's pid namespace, not its init
	me=$(awk '$1 == "me" {print $2}' <<<"$output")
	[ "$me" -gt 1 ]
	# the container's own view: its sleep is pid 1
	run rt exec "$ID" ps -o pid,args
	grep -Eq '^ *1 +sleep 1000' <<<"$output"
	# and the container's root: its /etc/hostname, not the host's
	run rt exec "$ID" cat /etc/hostname
	[ "$output" = "$(cat "$(bundle_dir a)/rootfs/etc/hostname")" ]
}

@test "exec: exit status passes through, 128+N for a signal" {
	start a
	run rt exec "$ID" sh -c 'exit 5'
	[ "$status" -eq 5 ]
	run rt exec "$ID" true
	[ "$status" -eq 0 ]
	run rt exec "$ID" sh -c 'kill -TERM $$'
	[ "$status" -eq 143 ]
	# options of the command after the ID are the command's
	run rt exec "$ID" sh -c 'echo "$0 $1"' -u x
	[ "$output" = "-u x" ]
	# `ID -- CMD`: podrun skips the "--" (runc would run a command "--")
	if [ "$RT_NAME" = podrun ]; then
		run rt exec "$ID" -- printf '%s\n' -e
		[ "$output" = "-e" ]
	fi
}

@test "exec: signals to podrun in the foreground reach the process" {
	start a
	# not through rt(): $! must be podrun itself (env execs it)
	env "$RT_MARK" "$RUNTIME" --root "$RT_ROOT" exec "$ID" sleep 997 >/dev/null 2>&1 3>&- &
	xpid=$!
	in_ps() { rt exec "$ID" ps -o args | grep -qx 'sleep 997'; }
	poll 30 in_ps
	kill -TERM "$xpid"
	st=0
	wait "$xpid" || st=$?
	[ "$st" -eq 143 ]
	run in_ps
	[ "$status" -ne 0 ]
}

@test "exec: env from config.json plus -e, later ones win" {
	start a '.process.env += ["FROMCONF=c", "OVER=conf"]'
	run rt exec -e NEW=n -e OVER=cli -e OVER2=x "$ID" env
	echo "$output"
	[ "$status" -eq 0 ]
	grep -qx 'FROMCONF=c' <<<"$output"
	grep -qx 'NEW=n' <<<"$output"
	grep -qx 'OVER=cli' <<<"$output"
	grep -qx 'OVER2=x' <<<"$output"
	[ "$(grep -c '^OVER=' <<<"$output")" -eq 1 ]
	grep -q '^PATH=' <<<"$output"
	# HOME from the container's /etc/passwd, as runc adds it
	grep -qx 'HOME=/root' <<<"$output"
}

@test "exec: --cwd, and the config's cwd by default" {
	start a '.process.cwd = "/tmp"'
	run rt exec "$ID" pwd
	[ "$output" = /tmp ]
	run rt exec --cwd /etc "$ID" pwd
	[ "$output" = /etc ]
	run rt exec --cwd /nonexistent "$ID" true
	[ "$status" -ne 0 ]
	[[ "$output" == *"/nonexistent"* ]]
}

@test "exec: -u 1000:1000, -u UID keeps the config's gid, --additional-gids" {
	start a
	run rt exec -u 1000:1000 "$ID" id
	[ "$output" = "uid=1000(user) gid=1000(user) groups=1000(user)" ] ||
		[ "$output" = "uid=1000(user) gid=1000(user)" ]
	run rt exec -u 1000 "$ID" sh -c 'id -u; id -g'
	[ "${lines[0]}" = 1000 ]
	[ "${lines[1]}" = 0 ]
	run rt exec -u 1000:1000 -g 10 -g 20 "$ID" id -G
	[ "$output" = "1000 10 20" ]
	run rt exec -u nobody "$ID" true
	[ "$status" -ne 0 ]
}

@test "exec: capabilities from config.json, --cap adds one" {
	start a
	init_bnd=$(awk '$1 == "CapBnd:" {print $2}' "/proc/$PID/status")
	run rt exec "$ID" sh -c 'grep -E "^Cap(Eff|Bnd):" /proc/self/status'
	[ "$(awk '$1 == "CapBnd:" {print $2}' <<<"$output")" = "$init_bnd" ]
	[ "$(awk '$1 == "CapEff:" {print $2}' <<<"$output")" = "$init_bnd" ]
	# runc's default set has no CAP_SYS_ADMIN (bit 21)
	[ $(((0x$init_bnd >> 21) & 1)) -eq 0 ]
	run rt exec --cap CAP_SYS_ADMIN "$ID" grep '^CapEff:' /proc/self/status
	eff=$(awk '{print $2}' <<<"$output")
	[ $(((0x$eff >> 21) & 1)) -eq 1 ]
	[ $((0x$eff & ~(1 << 21))) -eq $((0x$init_bnd)) ]
	# a dropped capability is really gone: no sethostname without it
	run rt exec "$ID" hostname other
	[ "$status" -ne 0 ]
	run rt exec --cap CAP_SYS_ADMIN "$ID" sh -c 'hostname exother && hostname'
	[ "$output" = exother ]
	# runc warns and goes on; podrun refuses what it cannot grant
	if [ "$RT_NAME" = podrun ]; then
		run rt exec --cap CAP_NOPE "$ID" true
		[ "$status" -eq 255 ]
		[[ "$output" == *'unknown capability "CAP_NOPE"'* ]]
	fi
}

@test "exec: --no-new-privs and rlimits from config.json" {
	start a '.process.noNewPrivileges = false | .process.rlimits = [{type: "RLIMIT_NOFILE", soft: 333, hard: 444}]'
	run rt exec "$ID" sh -c 'grep NoNewPrivs /proc/self/status; ulimit -n; ulimit -Hn'
	[ "$(echo ${lines[0]})" = "NoNewPrivs: 0" ]
	[ "${lines[1]}" = 333 ]
	[ "${lines[2]}" = 444 ]
	run rt exec --no-new-privs "$ID" grep NoNewPrivs /proc/self/status
	[ "$(echo $output)" = "NoNewPrivs: 1" ]
}

@test "exec: -d with --pid-file returns once the process runs; pid file without newline" {
	start a
	pf=$RT_TMP/exec.pid
	rm -f "$pf"
	run_file rt exec -d --pid-file "$pf" "$ID" sleep 999
	[ "$status" -eq 0 ]
	[ -s "$pf" ]
	[ "$(tail -c1 "$pf" | od -An -c | tr -d ' ')" != '\n' ]
	xp=$(cat "$pf")
	[[ "$xp" =~ ^[0-9]+$ ]]
	# the host pid of the exec'd process, already exec'd (not podrun)
	[ "$(tr '\0' ' ' <"/proc/$xp/cmdline")" = "sleep 999 " ]
	[ "$(ns_of "$xp" pid)" = "$(ns_of "$PID" pid)" ]
	[ "$(ns_of "$xp" mnt)" = "$(ns_of "$PID" mnt)" ]
	# and the container sees it
	run rt exec "$ID" ps -o args
	grep -qx 'sleep 999' <<<"$output"
}

@test "exec: --process FILE gives the whole process" {
	start a
	cat >"$RT_TMP/proc.json" <<'EOF'
{"args": ["sh", "-c", "id -u; id -g; pwd; echo $A; ulimit -n; grep NoNewPrivs /proc/self/status"],
 "env": ["A=fromfile", "PATH=/bin:/usr/bin"], "cwd": "/tmp",
 "user": {"uid": 1000, "gid": 100},
 "rlimits": [{"type": "RLIMIT_NOFILE", "soft": 321, "hard": 321}]}
EOF
	run rt exec --process "$RT_TMP/proc.json" "$ID"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 1000 ]
	[ "${lines[1]}" = 100 ]
	[ "${lines[2]}" = /tmp ]
	[ "${lines[3]}" = fromfile ]
	[ "${lines[4]}" = 321 ]
	# noNewPrivileges comes from the file too (absent: false), as in runc
	[ "$(echo ${lines[5]})" = "NoNewPrivs: 0" ]
}

@test "exec: --process FILE errors name the field" {
	podrun_only
	start a
	echo '{"args": ["true"]}' >"$RT_TMP/p1.json"
	run rt exec -p "$RT_TMP/p1.json" "$ID"
	[ "$status" -eq 255 ]
	[[ "$output" == "podrun: exec $ID: --process $RT_TMP/p1.json: process.cwd: required" ]]
	echo '{"args": [], "cwd": "/"}' >"$RT_TMP/p2.json"
	run rt exec -p "$RT_TMP/p2.json" "$ID"
	[[ "$output" == *"process.args: expected a non-empty array of strings" ]]
	echo '{"args": ' >"$RT_TMP/p3.json"
	run rt exec -p "$RT_TMP/p3.json" "$ID"
	[[ "$output" == *"p3.json: invalid JSON at line"* ]]
}

@test "exec: into a container that joined another's net and pid namespaces (pod)" {
	start a '.hostname = "expod"'
	A_PID=$PID
	start b 'del(.hostname) | .linux.namespaces = [
		{type:"pid", path:"/proc/\($p)/ns/pid"}, {type:"network", path:"/proc/\($p)/ns/net"},
		{type:"ipc"}, {type:"uts"}, {type:"mount"}]' --arg p "$A_PID"
	run rt exec "$ID" sh -c 'for t in pid net mnt uts; do echo "$t $(readlink /proc/self/ns/$t)"; done; ps -o args'
	echo "$output"
	[ "$status" -eq 0 ]
	# the pod's pid and net, the member's own mount and uts
	[ "$(awk '$1 == "pid" {print $2}' <<<"$output")" = "$(ns_of "$A_PID" pid)" ]
	[ "$(awk '$1 == "net" {print $2}' <<<"$output")" = "$(ns_of "$A_PID" net)" ]
	[ "$(awk '$1 == "mnt" {print $2}' <<<"$output")" = "$(ns_of "$PID" mnt)" ]
	[ "$(awk '$1 == "uts" {print $2}' <<<"$output")" = "$(ns_of "$PID" uts)" ]
	[ "$(awk '$1 == "mnt" {print $2}' <<<"$output")" != "$(ns_of "$A_PID" mnt)" ]
	# both containers' sleeps in the shared pid namespace
	[ "$(grep -c '^sleep 1000$' <<<"$output")" -eq 2 ]
}

@test "exec: a stopped container fails clearly, exit 255" {
	start a
	rt kill "$ID" KILL
	wait_status "$ID" stopped
	run rt exec "$ID" true
	echo "$output"
	[ "$status" -eq 255 ]
	[[ "$output" == *"cannot exec in a stopped container"* ]]
}

@test "exec: unknown ID does not exist; bad command not found in \$PATH" {
	run rt exec "$RT_TOKEN-nosuch" true
	[ "$status" -eq 255 ]
	[[ "$output" == *"does not exist"* ]]
	start a
	run rt exec "$ID" nope
	[ "$status" -eq 255 ]
	[[ "$output" == *'executable file not found in $PATH'* ]]
	[ "$RT_NAME" != podrun ] ||
		[ "$output" = "podrun: exec $ID: exec: \"nope\": executable file not found in \$PATH" ]
	run rt exec "$ID" /nope
	[ "$status" -eq 255 ]
	[[ "$output" == *"no such file or directory"* ]]
}

@test "exec: a recycled pid (another start time) is never joined" {
	podrun_only
	start a
	sf=$RT_ROOT/$ID/state.json
	cp "$sf" "$RT_TMP/state.bak"
	jq -c '.start_time += 1' "$RT_TMP/state.bak" >"$sf"
	run rt exec "$ID" true
	cp "$RT_TMP/state.bak" "$sf"
	echo "$output"
	[ "$status" -eq 255 ]
	[[ "$output" == *"cannot exec in a stopped container"* ]]
	# the process was not touched: the container still runs
	[ "$(rt_state_field "$ID" status)" = running ]
	run rt exec "$ID" true
	[ "$status" -eq 0 ]
}

@test "exec: a created container can be exec'd into" {
	bundle_make a >/dev/null
	bundle_args a sleep 1000
	bundle_set a '.hostname = "excreated"'
	ID=$(new_id a)
	run_file rt create -b "$(bundle_dir a)" "$ID"
	[ "$status" -eq 0 ]
	[ "$(rt_state_field "$ID" status)" = created ]
	run rt exec "$ID" hostname
	[ "$status" -eq 0 ]
	[ "$output" = excreated ]
}

@test "exec: the process is in the container's cgroup" {
	start a
	podrun_only
	jq -e '.cgroup_path | length > 0' "$RT_ROOT/$ID/state.json"
	pf=$RT_TMP/cg.pid
	run_file rt exec -d --pid-file "$pf" "$ID" sleep 998
	[ "$status" -eq 0 ]
	xp=$(cat "$pf")
	# every hierarchy, v1 and the cgroup2 one
	diff "/proc/$PID/cgroup" "/proc/$xp/cgroup"
	grep -q "^0::/.*$ID" "/proc/$xp/cgroup"
	# podrun itself never was: a foreground exec's parent stays outside
	run rt exec "$ID" cat /proc/self/cgroup
	[ "$output" = "$(cat "/proc/$PID/cgroup")" ]
}

@test "exec: a paused container is refused unless --ignore-paused" {
	start a
	echo "$ID" >>"$RT_TMP/paused"
	rt pause "$ID"
	[ "$(rt_state_field "$ID" status)" = paused ]
	run rt exec "$ID" true
	echo "$output"
	[ "$status" -eq 255 ]
	[[ "$output" == *"cannot exec in a paused container (use --ignore-paused to override)"* ]]
	# with --ignore-paused the process joins the frozen cgroup and runs
	# once the container is resumed
	env "$RT_MARK" "$RUNTIME" --root "$RT_ROOT" exec --ignore-paused "$ID" echo after-resume \
		>"$RT_TMP/ip.out" 2>&1 3>&- &
	xpid=$!
	rt resume "$ID"
	st=0
	wait "$xpid" || st=$?
	cat "$RT_TMP/ip.out"
	[ "$st" -eq 0 ]
	[ "$(cat "$RT_TMP/ip.out")" = after-resume ]
	run rt exec "$ID" true
	[ "$status" -eq 0 ]
}

@test "exec: the container's seccomp profile applies to the exec'd process" {
	start a '.root.readonly = false | .linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW",
		architectures: ["SCMP_ARCH_X86_64"],
		syscalls: [{names: ["mkdir", "mkdirat"], action: "SCMP_ACT_ERRNO", errnoRet: 1}]}'
	run rt exec "$ID" sh -c 'grep "^Seccomp:" /proc/self/status; mkdir /tmp/d 2>&1; echo "rc=$?"'
	echo "$output"
	[ "$(echo ${lines[0]})" = "Seccomp: 2" ]
	[[ "$output" == *"Operation not permitted"* ]]
	[ "${lines[2]}" = "rc=1" ]
	# also without noNewPrivileges (the filter goes in before the caps drop)
	run rt exec --no-new-privs=false -u 1000:1000 "$ID" sh -c 'grep -E "^(Seccomp|NoNewPrivs):" /proc/self/status; mkdir /tmp/e 2>&1; echo "rc=$?"'
	echo "$output"
	grep -Eq '^NoNewPrivs:\s+0$' <<<"$output"
	grep -Eq '^Seccomp:\s+2$' <<<"$output"
	grep -qx 'rc=1' <<<"$output"
}

# listen SOCK OUT: the notify listener in the background, ready; sets LPID.
listen() {
	rm -f "$1" "$2"
	"$RT_TMP/listener" "$1" "$2" 3>&- &
	LPID=$!
	echo "$LPID" >>"$RT_TMP/pids"
	poll 30 test -S "$1"
}

@test "exec: SCMP_ACT_NOTIFY: the exec'd process's listener fd goes to listenerPath" {
	podrun_only
	sock=$RT_TMP/l.sock
	listen "$sock" "$RT_TMP/l1.out"
	start a '.linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW", listenerPath: $s,
		listenerMetadata: "ex-meta", syscalls: [{names: ["mkdir", "mkdirat"], action: "SCMP_ACT_NOTIFY"}]}' --arg s "$sock"
	# the init's listener took its fd: a fresh one for the exec
	poll 30 test -s "$RT_TMP/l1.out"
	kill "$LPID"
	listen "$sock" "$RT_TMP/l2.out"
	run rt exec "$ID" sh -c 'mkdir /dev/shm/n; echo rc=$?'
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"No space left on device"* ]]
	[[ "$output" == *"rc=1"* ]]
	head -1 "$RT_TMP/l2.out" | jq -e --arg i "$ID" '.fds == ["seccompFd"] and
		.metadata == "ex-meta" and .state.id == $i and .pid > 0'
	# the pid is the exec'd process's, not the init's
	[ "$(head -1 "$RT_TMP/l2.out" | jq .pid)" != "$PID" ]
}

@test "exec: -t with --console-socket sends the pty master" {
	command -v python3 >/dev/null || skip "python3 missing"
	podrun_only
	start a
	sock=$RT_TMP/ex-console.sock
	rm -f "$sock" "$sock.ready"
	timeout 60 python3 "$CONSOLE_RECV" "$sock" >"$RT_TMP/console.out" 2>&1 3>&- &
	rpid=$!
	poll 30 test -e "$sock.ready"
	run rt exec -t --console-socket "$sock" "$ID" sh -c 'tty; echo via-pty'
	[ "$status" -eq 0 ]
	wait "$rpid"
	cat "$RT_TMP/console.out"
	grep -qx '/dev/pts/[0-9]*' "$RT_TMP/console.out"
	grep -qx 'via-pty' "$RT_TMP/console.out"
	# runc's sanity checks
	run rt exec -t -d "$ID" true
	[ "$status" -eq 255 ]
	[[ "$output" == *"cannot allocate tty"* ]]
}

@test "exec: -t without a console socket keeps the caller's terminal" {
	command -v script >/dev/null || skip "script (util-linux) missing"
	start a
	# script(1) gives podrun a pty as its stdio
	run script -qec "env $RT_MARK $RUNTIME --root $RT_ROOT exec -t $ID sh -c 'test -t 0 && test -t 1 && echo isatty; exit 3'" /dev/null
	echo "$output"
	[ "$status" -eq 3 ]
	[[ "$output" == *isatty* ]]
	run rt exec "$ID" sh -c 'test -t 0 || echo notty' </dev/null
	[ "$output" = notty ]
}

@test "exec: fd table is stdio plus --preserve-fds; a cwd through a leaked fd fails" {
	start a
	run rt exec "$ID" ls /proc/self/fd
	# 0 1 2 and ls's own directory fd
	[ "$(echo $output)" = "0 1 2 3" ]
	run bash -c 'exec 3</etc/hostname 4</etc/hostname 5</etc/hostname; "$@"' _ \
		env "$RT_MARK" "$RUNTIME" --root "$RT_ROOT" exec --preserve-fds 2 "$ID" sh -c 'ls -l /proc/self/fd 2>/dev/null | grep -c hostname; ls /proc/self/fd'
	echo "$output"
	[ "${lines[0]}" = 2 ]
	[ "${lines[*]:1}" = "0 1 2 3 4 5" ]
	# a host directory open in podrun is not a way out (CVE-2024-21626)
	run bash -c 'exec 7</; "$@"' _ env "$RT_MARK" "$RUNTIME" --root "$RT_ROOT" exec --cwd /proc/self/fd/7 "$ID" ls
	echo "$output"
	[ "$status" -ne 0 ]
	[ "$RT_NAME" != podrun ] || [[ "$output" == *"/proc/self/fd/7 is outside the container"* ]]
}

@test "exec: into a container with a user namespace" {
	u=$(mktemp -d /tmp/ex$$-userns.XXXXXX)
	echo "$u" >>"$RT_TMP/dirs"
	chmod 755 "$u"
	"$PODKIT_TOP/scripts/mkrootfs.sh" "$u/rootfs" >/dev/null
	start a '.root.path = $r | .linux.namespaces += [{type: "user"}] |
		.linux.uidMappings = [{containerID: 0, hostID: 100000, size: 65536}] |
		.linux.gidMappings = [{containerID: 0, hostID: 100000, size: 65536}]' --arg r "$u/rootfs"
	run rt exec "$ID" sh -c 'id -u; cat /proc/self/uid_map; readlink /proc/self/ns/user'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 0 ]
	[ "$(echo ${lines[1]})" = "0 100000 65536" ]
	[ "${lines[2]}" = "$(ns_of "$PID" user)" ]
	run rt exec -u 1000:1000 "$ID" id -u
	[ "$output" = 1000 ]
}

@test "exec: differential against runc for the same bundle" {
	[ "$RT_NAME" != runc ] || skip "RUNTIME is runc"
	command -v runc >/dev/null || skip "runc is not installed"
	start p '.hostname = "exdiff" | .process.env += ["CONF=1"]'
	P_ID=$ID
	bundle_make r >/dev/null
	bundle_args r sleep 1000
	bundle_set r '.hostname = "exdiff" | .process.env += ["CONF=1"]'
	R_ID=$(new_id r)
	echo "$R_ID" >>"$RT_TMP/runc-ids"
	run_file env "$RT_MARK" runc --root "$RUNC_ROOT" run -d -b "$(bundle_dir r)" "$R_ID"
	[ "$status" -eq 0 ]
	run_cmp() { # OPTS... -- CMD...: both runtimes with their own ID
		local o=() rs=0 ps=0
		while [ "$1" != -- ]; do o+=("$1"); shift; done
		shift
		env "$RT_MARK" runc --root "$RUNC_ROOT" exec "${o[@]}" "$R_ID" "$@" >"$RT_TMP/r.out" 2>/dev/null </dev/null || rs=$?
		rt exec "${o[@]}" "$P_ID" "$@" >"$RT_TMP/p.out" 2>/dev/null </dev/null || ps=$?
		echo "## exec ${o[*]} $*: runc $rs, $RT_NAME $ps"
		diff -u --label runc "$RT_TMP/r.out" --label "$RT_NAME" "$RT_TMP/p.out"
		[ "$rs" -eq "$ps" ]
	}
	for opts in "" "-u 1000:1000" "--cap CAP_SYS_ADMIN" "-u 1000 -g 10" "--no-new-privs"; do
		# shellcheck disable=SC2086
		run_cmp $opts -- sh -c 'id; hostname; grep -E "^(Cap|NoNewPrivs|Seccomp)" /proc/self/status'
		grep -q '^CapEff:' "$RT_TMP/p.out"
		grep -qx exdiff "$RT_TMP/p.out"
	done
	run_cmp -e CONF=2 -e X=y --cwd /tmp -- sh -c 'pwd; env | grep -E "^(CONF|X|HOME|PATH)=" | sort'
	run_cmp -- sh -c 'exit 7'
	run_cmp -- sh -c 'ulimit -n; ulimit -Hn; umask; cat /proc/self/oom_score_adj'
	run_cmp -- nope
}
