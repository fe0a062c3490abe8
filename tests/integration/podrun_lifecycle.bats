#!/usr/bin/env bats
# The container's process and lifecycle as seen from outside: output, exit
# status, the process attributes from config.json, create/start/kill/delete
# with every state, list/state output, detached run, pid files.
# RUNTIME=runc runs the same tests against Debian's runc.

load lib/runtime

@test "run: stdout and stderr reach the caller, exit 3 gives 3" {
	bundle_make b >/dev/null
	bundle_args b sh -c 'echo to-out; echo to-err >&2; exit 3'
	run rt run -b "$(bundle_dir b)" "$(new_id)"
	[ "$status" -eq 3 ]
	[[ "$output" == *to-out* ]]
	[[ "$output" == *to-err* ]]
}

@test "run: exit 0 gives 0 and the container is deleted afterwards" {
	bundle_make b >/dev/null
	bundle_args b true
	id=$(new_id)
	run rt run -b "$(bundle_dir b)" "$id"
	[ "$status" -eq 0 ]
	run rt state "$id"
	[ "$status" -ne 0 ]
	[ ! -e "$RT_ROOT/$id" ]
}

@test "run: a container killed by SIGKILL gives 128+9" {
	bundle_make b >/dev/null
	bundle_args b sleep 1000
	id=$(new_id)
	rt run -b "$(bundle_dir b)" "$id" >"$RT_TMP/out" 2>&1 </dev/null 3>&- &
	pid=$!
	wait_status "$id" running
	rt kill "$id" KILL
	st=0
	wait "$pid" || st=$?
	[ "$st" -eq 137 ]
	# Foreground run deletes the container however it ended.
	[ ! -e "$RT_ROOT/$id" ]
}

@test "run: SIGTERM sent to the runtime is forwarded to the container" {
	bundle_make b >/dev/null
	# sh as pid 1 only sees TERM through a trap; `wait` is interruptible.
	bundle_args b sh -c 'trap "echo got-term; exit 7" TERM; echo ready; sleep 1000 & wait'
	id=$(new_id)
	# Not the rt function: $! must be the runtime itself, not a subshell.
	env "$RT_MARK" "$RUNTIME" --root "$RT_ROOT" run -b "$(bundle_dir b)" "$id" >"$RT_TMP/out" 2>&1 </dev/null 3>&- &
	pid=$!
	poll 20 file_has "$RT_TMP/out" ready
	kill -TERM "$pid"
	st=0
	wait "$pid" || st=$?
	[ "$st" -eq 7 ]
	grep -q got-term "$RT_TMP/out"
}

@test "run: stdin is passed to the container when terminal is false" {
	bundle_make b >/dev/null
	bundle_args b sh -c 'read line; echo "read:$line"'
	run bash -c 'echo from-stdin | "$@"' _ env "$RT_MARK" "$RUNTIME" --root "$RT_ROOT" run -b "$(bundle_dir b)" "$(new_id)"
	[ "$status" -eq 0 ]
	[ "$output" = "read:from-stdin" ]
}

@test "process: hostname" {
	bundle_make b >/dev/null
	bundle_set b '.hostname="ithost"'
	bundle_args b hostname
	run rt run -b "$(bundle_dir b)" "$(new_id)"
	[ "$status" -eq 0 ]
	[ "$output" = ithost ]
	# The host's name is untouched.
	[ "$(hostname)" != ithost ]
}

@test "process: domainname (podrun; runc 1.1 ignores it)" {
	[ "$RT_NAME" = podrun ] || skip "runc 1.1 does not set domainname"
	bundle_make b >/dev/null
	bundle_set b '.hostname="ithost" | .domainname="it.example"'
	bundle_args b sh -c 'hostname; cat /proc/sys/kernel/domainname'
	run rt run -b "$(bundle_dir b)" "$(new_id)"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = ithost ]
	[ "${lines[1]}" = it.example ]
}

@test "process: env is exactly what config.json says (plus HOME)" {
	bundle_make b >/dev/null
	bundle_set b '.process.env += ["IT_A=alpha", "IT_B=with space=and equals"]'
	bundle_args b env
	run rt run -b "$(bundle_dir b)" "$(new_id)"
	[ "$status" -eq 0 ]
	grep -qx 'IT_A=alpha' <<<"$output"
	grep -qx 'IT_B=with space=and equals' <<<"$output"
	grep -qx 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' <<<"$output"
	# Nothing leaks from the caller's environment.
	# (`|| false`: a bare `! cmd` never fails a bats test)
	! grep -q '^BATS_' <<<"$output" || false
}

@test "process: cwd" {
	bundle_make b >/dev/null
	bundle_set b '.process.cwd="/var/log"'
	bundle_args b pwd
	run rt run -b "$(bundle_dir b)" "$(new_id)"
	[ "$status" -eq 0 ]
	[ "$output" = /var/log ]
}

@test "process: cwd that does not exist in the rootfs is created" {
	bundle_make b >/dev/null
	bundle_set b '.root.readonly=false | .process.cwd="/it/new/dir"'
	bundle_args b pwd
	run rt run -b "$(bundle_dir b)" "$(new_id)"
	[ "$status" -eq 0 ]
	[ "$output" = /it/new/dir ]
}

@test "process: user 1000:1000 with additionalGids" {
	bundle_make b >/dev/null
	bundle_set b '.process.user={uid:1000, gid:1000, additionalGids:[100, 5]}'
	bundle_args b sh -c 'id; id -u; id -g; id -G'
	run rt run -b "$(bundle_dir b)" "$(new_id)"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 'uid=1000(user) gid=1000(user) groups=5(tty),100(users)' ]
	[ "${lines[1]}" = 1000 ]
	[ "${lines[2]}" = 1000 ]
	[ "$(tr ' ' '\n' <<<"${lines[3]}" | sort -n | tr '\n' ' ')" = '5 100 1000 ' ]
}

@test "process: umask, rlimits, noNewPrivileges and oomScoreAdj" {
	bundle_make b >/dev/null
	bundle_set b '.process.user.umask=23 | .process.oomScoreAdj=123
		| .process.rlimits=[{type:"RLIMIT_NOFILE",hard:2048,soft:512},{type:"RLIMIT_NPROC",hard:300,soft:200}]'
	bundle_args b sh -c 'umask; ulimit -n; ulimit -Hn; ulimit -u; ulimit -Hu; cat /proc/self/oom_score_adj; grep NoNewPrivs /proc/self/status'
	run rt run -b "$(bundle_dir b)" "$(new_id)"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 0027 ]
	[ "${lines[1]}" = 512 ]
	[ "${lines[2]}" = 2048 ]
	[ "${lines[3]}" = 200 ]
	[ "${lines[4]}" = 300 ]
	[ "${lines[5]}" = 123 ]
	[ "$(tr -s '\t ' ' ' <<<"${lines[6]}")" = 'NoNewPrivs: 1' ]
}

@test "process: capabilities of the default spec" {
	bundle_make b >/dev/null
	bundle_args b grep -E '^Cap(Inh|Prm|Eff|Bnd|Amb)' /proc/self/status
	run rt run -b "$(bundle_dir b)" "$(new_id)"
	[ "$status" -eq 0 ]
	# CAP_AUDIT_WRITE (29), CAP_KILL (5), CAP_NET_BIND_SERVICE (10).
	want=0000000020000420
	grep -q "^CapPrm:.*$want" <<<"$output"
	grep -q "^CapEff:.*$want" <<<"$output"
	grep -q "^CapBnd:.*$want" <<<"$output"
	# The default spec lists no inheritable set, so the kernel refuses to
	# raise the ambient ones (runc ends with an empty ambient set too).
	grep -q "^CapInh:.*0000000000000000" <<<"$output"
}

@test "process: file descriptors above 2 are not passed to the container" {
	bundle_make b >/dev/null
	bundle_args b ls /proc/self/fd
	id=$(new_id)
	status=0
	rt run -b "$(bundle_dir b)" "$id" >"$RT_TMP/out" 2>&1 </dev/null 3>&- 7>"$RT_TMP/fd7" || status=$?
	[ "$status" -eq 0 ]
	# 0 1 2 and the fd ls opened on /proc/self/fd.
	[ "$(sort -n "$RT_TMP/out" | tr '\n' ' ')" = '0 1 2 3 ' ]
}

@test "root: readonly root refuses writes" {
	bundle_make b >/dev/null
	bundle_set b '.root.readonly=true'
	bundle_args b sh -c 'touch /x && echo wrote; touch /tmp/x && echo wrote-tmp; grep " / " /proc/mounts'
	run rt run -b "$(bundle_dir b)" "$(new_id)"
	[ "$status" -eq 0 ]
	[[ "$output" == *"Read-only file system"* ]]
	[[ "$output" != *wrote* ]]
	grep ' / ' <<<"$output" | grep -qE ' ro[, ]'
	[ ! -e "$(bundle_dir b)/rootfs/x" ]
}

@test "root: writable root when readonly is false" {
	bundle_make b >/dev/null
	bundle_set b '.root.readonly=false'
	bundle_args b sh -c 'echo hi >/written && echo ok'
	run rt run -b "$(bundle_dir b)" "$(new_id)"
	[ "$status" -eq 0 ]
	[ "$output" = ok ]
	[ "$(cat "$(bundle_dir b)/rootfs/written")" = hi ]
}

@test "root: an absolute root.path works from any cwd" {
	b=$(bundle_make b)
	bundle_set b '.root.path=$p' --arg p "$b/rootfs"
	bundle_args b echo abs
	run bash -c 'cd / && "$@"' _ env "$RT_MARK" "$RUNTIME" --root "$RT_ROOT" run -b "$b" "$(new_id)"
	[ "$status" -eq 0 ]
	[ "$output" = abs ]
}

@test "root: a relative root.path is relative to the bundle, not to the cwd" {
	b=$(bundle_make b)
	bundle_args b echo rel
	# cwd is / (no rootfs there), and also the bundle's parent (no rootfs there)
	run bash -c 'cd / && "$@"' _ env "$RT_MARK" "$RUNTIME" --root "$RT_ROOT" run -b "$b" "$(new_id)"
	[ "$status" -eq 0 ]
	[ "$output" = rel ]
	run bash -c 'cd "$1" && shift && "$@"' _ "$b" env "$RT_MARK" "$RUNTIME" --root "$RT_ROOT" run "$(new_id)"
	[ "$status" -eq 0 ]
	[ "$output" = rel ]
}

@test "lifecycle: create -> created, start -> running, kill -> stopped, delete -> gone" {
	b=$(bundle_make b)
	bundle_args b sleep 1000
	id=$(new_id)
	run_file rt create -b "$b" --pid-file "$RT_TMP/pid" "$id"
	[ "$status" -eq 0 ]
	[ "$(rt_state_field "$id" status)" = created ]
	pid=$(rt_state_field "$id" pid)
	[ "$pid" -gt 0 ]
	kill -0 "$pid"
	# The user process has not exec'd yet: it is not sleep.
	[ "$(readlink "/proc/$pid/exe")" != "$(readlink -f "$b/rootfs/bin/sleep")" ] ||
		[ "$(cat "/proc/$pid/cmdline" | tr '\0' ' ')" != "sleep 1000 " ]

	run rt start "$id"
	[ "$status" -eq 0 ]
	[ "$(rt_state_field "$id" status)" = running ]
	[ "$(rt_state_field "$id" pid)" = "$pid" ]
	poll 10 grep -q '^sleep' "/proc/$pid/cmdline"

	run rt kill "$id" KILL
	[ "$status" -eq 0 ]
	wait_status "$id" stopped

	run rt delete "$id"
	[ "$status" -eq 0 ]
	run rt state "$id"
	[ "$status" -ne 0 ]
	[[ "$output" == *"does not exist"* ]]
	[ ! -e "$RT_ROOT/$id" ]
	poll 10 proc_gone "$pid"
	[ -z "$(cgroups_named "$id")" ]
}

@test "lifecycle: a process that exits on its own is stopped; delete removes it" {
	b=$(bundle_make b)
	bundle_args b true
	id=$(new_id)
	run_file rt create -b "$b" "$id"
	[ "$status" -eq 0 ]
	run rt start "$id"
	[ "$status" -eq 0 ]
	wait_status "$id" stopped
	run rt delete "$id"
	[ "$status" -eq 0 ]
	[ ! -e "$RT_ROOT/$id" ]
}

@test "lifecycle: delete of a running container fails without --force, works with it" {
	b=$(bundle_make b)
	bundle_args b sleep 1000
	id=$(new_id)
	run_file rt run -d -b "$b" "$id"
	[ "$status" -eq 0 ]
	pid=$(rt_state_field "$id" pid)
	run rt delete "$id"
	[ "$status" -ne 0 ]
	[ "$(rt_state_field "$id" status)" = running ]
	run rt delete --force "$id"
	[ "$status" -eq 0 ]
	[ ! -e "$RT_ROOT/$id" ]
	poll 10 proc_gone "$pid"
}

@test "lifecycle: kill with the default signal and the TERM/KILL spellings" {
	b=$(bundle_make b)
	# A trap makes TERM deliverable to pid 1 of the namespace.
	bundle_args b sh -c 'trap "exit 0" TERM; sleep 1000 & wait'
	for sig in "" TERM SIGTERM 15; do
		id=$(new_id)
		run_file rt run -d -b "$b" "$id"
		[ "$status" -eq 0 ]
		poll 20 catches "$(rt_state_field "$id" pid)" 15
		run rt kill "$id" $sig
		[ "$status" -eq 0 ]
		wait_status "$id" stopped
		rt delete "$id"
	done
	bundle_args b sleep 1000
	for sig in SIGKILL 9; do
		id=$(new_id)
		run_file rt run -d -b "$b" "$id"
		[ "$status" -eq 0 ]
		run rt kill "$id" $sig
		[ "$status" -eq 0 ]
		wait_status "$id" stopped
		rt delete "$id"
	done
	# Not a signal: refused, and the container is untouched.
	id=$(new_id)
	run_file rt run -d -b "$b" "$id"
	run rt kill "$id" NOSUCHSIG
	[ "$status" -ne 0 ]
	[ "$(rt_state_field "$id" status)" = running ]
}

@test "list: the seeds' table header and a row per container" {
	b=$(bundle_make b)
	bundle_args b sleep 1000
	id1=$(new_id)
	id2=$(new_id)
	run_file rt create -b "$b" "$id1"
	[ "$status" -eq 0 ]
	run_file rt run -d -b "$b" "$id2"
	[ "$status" -eq 0 ]
	run rt list
	[ "$status" -eq 0 ]
	[ "$(tr -s ' \t' ' ' <<<"${lines[0]}" | sed 's/ $//')" = 'ID PID STATUS BUNDLE CREATED OWNER' ]
	row1=$(awk -v id="$id1" '$1 == id' <<<"$output")
	row2=$(awk -v id="$id2" '$1 == id' <<<"$output")
	[ "$(awk '{print $2}' <<<"$row1")" = "$(rt_state_field "$id1" pid)" ]
	[ "$(awk '{print $3, $4, $6}' <<<"$row1")" = "created $b root" ]
	[ "$(awk '{print $3, $4, $6}' <<<"$row2")" = "running $b root" ]
	# CREATED is an RFC 3339 UTC time.
	awk '{print $5}' <<<"$row1" | grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?Z$'

	run rt list -q
	[ "$status" -eq 0 ]
	[ "$(sort <<<"$output")" = "$(printf '%s\n' "$id1" "$id2" | sort)" ]

	run rt list --format json
	[ "$status" -eq 0 ]
	[ "$(jq -r --arg id "$id1" '.[] | select(.id == $id) | "\(.status) \(.bundle) \(.pid)"' <<<"$output")" = "created $b $(rt_state_field "$id1" pid)" ]
	[ "$(jq -r --arg id "$id2" '.[] | select(.id == $id) | .status' <<<"$output")" = running ]
}

@test "list: stopped containers are listed as stopped" {
	b=$(bundle_make b)
	bundle_args b sleep 1000
	id=$(new_id)
	run_file rt run -d -b "$b" "$id"
	rt kill "$id" KILL
	wait_status "$id" stopped
	run rt list
	[ "$(awk -v id="$id" '$1 == id {print $3}' <<<"$output")" = stopped ]
}

@test "state: the OCI state JSON" {
	b=$(bundle_make b)
	bundle_args b sleep 1000
	bundle_set b '.annotations={"it.podkit/key":"value"}'
	id=$(new_id)
	run_file rt create -b "$b" "$id"
	[ "$status" -eq 0 ]
	run rt state "$id"
	[ "$status" -eq 0 ]
	jq -e . <<<"$output" >/dev/null
	[ "$(jq -r .id <<<"$output")" = "$id" ]
	[ "$(jq -r .status <<<"$output")" = created ]
	[ "$(jq -r .bundle <<<"$output")" = "$b" ]
	[ "$(jq -r '.ociVersion | split(".") | .[0]' <<<"$output")" = 1 ]
	[ "$(jq -r '.pid | type' <<<"$output")" = number ]
	jq -r .created <<<"$output" | grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2}T'
	if [ "$RT_NAME" = podrun ]; then
		# runc 1.1 keeps annotations out of `state`; the OCI state has them.
		[ "$(jq -r '.annotations["it.podkit/key"]' <<<"$output")" = value ]
	fi
}

@test "state: a container whose init died is stopped (status computed live)" {
	b=$(bundle_make b)
	bundle_args b sleep 1000
	id=$(new_id)
	run_file rt run -d -b "$b" "$id"
	pid=$(rt_state_field "$id" pid)
	# Killed behind the runtime's back.
	kill -9 "$pid"
	wait_status "$id" stopped
}

@test "detached: run -d ID > out 2>&1 keeps the caller's stdio and returns" {
	b=$(bundle_make b)
	bundle_args b sh -c 'echo to-out; echo to-err >&2; exec sleep 1000'
	id=$(new_id)
	st=0
	timeout 30 env "$RT_MARK" "$RUNTIME" --root "$RT_ROOT" run -d -b "$b" "$id" >"$RT_TMP/web1.out" 2>&1 </dev/null 3>&- || st=$?
	[ "$st" -eq 0 ]
	poll 20 file_has "$RT_TMP/web1.out" to-err
	grep -qx to-out "$RT_TMP/web1.out"
	[ "$(rt_state_field "$id" status)" = running ]
	pid=$(rt_state_field "$id" pid)
	# The container outlives the runtime process and is its caller's orphan,
	# not re-parented to some helper of the runtime.
	ppid=$(awk '{print $4}' "/proc/$pid/stat")
	[ "$(cat "/proc/$ppid/comm")" != "$RT_NAME" ]
}

@test "pid-file: holds the host pid with no newline, written before create returns" {
	b=$(bundle_make b)
	bundle_args b sleep 1000
	id=$(new_id)
	run_file rt create --pid-file "$RT_TMP/c.pid" -b "$b" "$id"
	[ "$status" -eq 0 ]
	[ -f "$RT_TMP/c.pid" ]
	pid=$(cat "$RT_TMP/c.pid")
	[ "$pid" = "$(rt_state_field "$id" pid)" ]
	[ "$(stat -c %s "$RT_TMP/c.pid")" -eq "${#pid}" ]
	rt start "$id"
	rt delete -f "$id"

	id=$(new_id)
	run_file rt run -d --pid-file "$RT_TMP/r.pid" -b "$b" "$id"
	[ "$status" -eq 0 ]
	pid=$(cat "$RT_TMP/r.pid")
	[ "$pid" = "$(rt_state_field "$id" pid)" ]
	[ "$(stat -c %s "$RT_TMP/r.pid")" -eq "${#pid}" ]
}

@test "pid-file: a relative --pid-file is relative to the caller's cwd" {
	b=$(bundle_make b)
	bundle_args b sleep 1000
	id=$(new_id)
	mkdir -p "$RT_TMP/cwd"
	run_file bash -c 'cd "$1" && shift && "$@"' _ "$RT_TMP/cwd" env "$RT_MARK" "$RUNTIME" --root "$RT_ROOT" create --pid-file rel.pid -b "$b" "$id"
	[ "$status" -eq 0 ]
	[ "$(cat "$RT_TMP/cwd/rel.pid")" = "$(rt_state_field "$id" pid)" ]
}

@test "run --keep (podrun): the stopped container stays until delete" {
	[ "$RT_NAME" = podrun ] || skip "--keep is podrun's"
	b=$(bundle_make b)
	bundle_args b true
	id=$(new_id)
	run rt run --keep -b "$b" "$id"
	[ "$status" -eq 0 ]
	[ "$(rt_state_field "$id" status)" = stopped ]
	rt delete "$id"
	[ ! -e "$RT_ROOT/$id" ]
}

@test "run --no-pivot: MS_MOVE + chroot instead of pivot_root" {
	b=$(bundle_make b)
	bundle_args b sh -c 'echo nopivot; ls /'
	run rt run --no-pivot -b "$b" "$(new_id)"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = nopivot ]
	grep -qx bin <<<"$output"
	id=$(new_id)
	run_file rt create --no-pivot -b "$b" "$id"
	[ "$status" -eq 0 ]
	[ "$(rt_state_field "$id" status)" = created ]
}

@test "kill --all: every process of a container without its own pid namespace" {
	mkdir -p "$RT_TMP/kall"
	rm -f "$RT_TMP/kall/child"
	b=$(bundle_make b)
	bundle_set b '.linux.namespaces |= map(select(.type != "pid"))
		| .mounts += [{destination:"/kall", type:"bind", source:$d, options:["rbind","rw"]}]' --arg d "$RT_TMP/kall"
	# Without a pid namespace $! is the child's host pid.
	bundle_args b sh -c 'sleep 1000 & echo $! >/kall/child; wait'
	id=$(new_id)
	run_file rt run -d -b "$b" "$id"
	[ "$status" -eq 0 ]
	poll 20 test -s "$RT_TMP/kall/child"
	child=$(cat "$RT_TMP/kall/child")
	init=$(rt_state_field "$id" pid)
	kill -0 "$child"
	run rt kill --all "$id" KILL
	[ "$status" -eq 0 ]
	poll 20 proc_gone "$child"
	poll 20 proc_gone "$init"
	wait_status "$id" stopped
}

@test "--debug is accepted and stdout stays the container's" {
	b=$(bundle_make b)
	bundle_args b echo debug-run
	id=$(new_id)
	status=0
	rt --debug run -b "$b" "$id" >"$RT_TMP/out" 2>"$RT_TMP/err" </dev/null || status=$?
	[ "$status" -eq 0 ]
	[ "$(cat "$RT_TMP/out")" = debug-run ]
}

# recvtty: receives the pty master over the console socket (SCM_RIGHTS) and
# copies what the container writes to it to stdout.
recvtty_build() {
	[ -x "$RT_TMP/recvtty" ] && return 0
	cat >"$RT_TMP/recvtty.c" <<-'EOF'
		#include <stdio.h>
		#include <string.h>
		#include <sys/socket.h>
		#include <sys/un.h>
		#include <unistd.h>
		int main(int argc, char **argv)
		{
			struct sockaddr_un sa = {.sun_family = AF_UNIX};
			char name[256], cbuf[CMSG_SPACE(sizeof(int))], buf[4096];
			struct iovec iov = {.iov_base = name, .iov_len = sizeof(name) - 1};
			struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1,
					     .msg_control = cbuf, .msg_controllen = sizeof(cbuf)};
			struct cmsghdr *c;
			int s, conn, fd = -1;
			ssize_t n;
			if (argc != 2)
				return 2;
			strncpy(sa.sun_path, argv[1], sizeof(sa.sun_path) - 1);
			s = socket(AF_UNIX, SOCK_STREAM, 0);
			if (s < 0 || bind(s, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(s, 1) < 0)
				return perror("socket"), 1;
			conn = accept(s, NULL, NULL);
			if (conn < 0 || recvmsg(conn, &msg, 0) < 0)
				return perror("recvmsg"), 1;
			for (c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
				if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
					memcpy(&fd, CMSG_DATA(c), sizeof(int));
			if (fd < 0)
				return fprintf(stderr, "no fd received\n"), 1;
			printf("got-master\n");
			fflush(stdout);
			while ((n = read(fd, buf, sizeof(buf))) > 0)
				fwrite(buf, 1, n, stdout), fflush(stdout);
			return 0;
		}
	EOF
	gcc -O1 -o "$RT_TMP/recvtty" "$RT_TMP/recvtty.c"
}

@test "terminal: the pty master is sent over --console-socket" {
	command -v gcc >/dev/null || skip "gcc is needed for the console socket receiver"
	recvtty_build
	sock=$RT_TMP/console.sock
	rm -f "$sock"
	b=$(bundle_make b)
	bundle_set b '.process.terminal=true'
	bundle_args b sh -c 'tty; [ -t 0 ] && [ -t 1 ] && echo is-a-tty; echo done'
	"$RT_TMP/recvtty" "$sock" >"$RT_TMP/tty.out" 2>&1 3>&- &
	rpid=$!
	poll 10 test -S "$sock"
	id=$(new_id)
	run_file rt run -d --console-socket "$sock" -b "$b" "$id"
	[ "$status" -eq 0 ]
	poll 20 file_has "$RT_TMP/tty.out" done
	kill "$rpid" 2>/dev/null || true
	grep -q got-master "$RT_TMP/tty.out"
	grep -q '^/dev/pts/[0-9]' "$RT_TMP/tty.out"
	grep -q is-a-tty "$RT_TMP/tty.out"
}

@test "terminal: a foreground run with terminal true gets a terminal, exit status kept" {
	command -v script >/dev/null || skip "script(1) is needed for a caller's pty"
	b=$(bundle_make b)
	bundle_set b '.process.terminal=true'
	bundle_args b sh -c '[ -t 0 ] && [ -t 1 ] && [ -t 2 ] && echo is-a-tty; exit 5'
	id=$(new_id)
	# script(1) gives the runtime a pty as its caller's terminal.
	run script -qec "$(printf '%q ' env "$RT_MARK" "$RUNTIME" --root "$RT_ROOT" run -b "$b" "$id")" /dev/null </dev/null
	[ "$status" -eq 5 ]
	[[ "$output" == *is-a-tty* ]]
	[ ! -e "$RT_ROOT/$id" ]
}

@test "--preserve-fds N: fds 3..3+N-1 reach the container, the next one does not" {
	b=$(bundle_make b)
	echo three >"$RT_TMP/f3"
	echo four >"$RT_TMP/f4"
	echo five >"$RT_TMP/f5"
	bundle_args b sh -c 'cat <&3; cat <&4; test -e /proc/self/fd/5 && echo leaked-5; true'
	id=$(new_id)
	status=0
	rt run --preserve-fds 2 -b "$b" "$id" >"$RT_TMP/out" 2>&1 </dev/null 3<"$RT_TMP/f3" 4<"$RT_TMP/f4" 5<"$RT_TMP/f5" || status=$?
	cat "$RT_TMP/out"
	[ "$status" -eq 0 ]
	[ "$(cat "$RT_TMP/out")" = "$(printf 'three\nfour')" ]
}

# subreaper: PR_SET_CHILD_SUBREAPER, run argv, print "<own pid> <exit>",
# then stay (reaping orphans) until the file $RELEASE exists.
subreaper_build() {
	[ -x "$RT_TMP/subreaper" ] && return 0
	cat >"$RT_TMP/subreaper.c" <<-'EOF'
		#include <stdio.h>
		#include <stdlib.h>
		#include <sys/prctl.h>
		#include <sys/wait.h>
		#include <unistd.h>
		int main(int argc, char **argv)
		{
			const char *release = getenv("RELEASE");
			int st, i;
			pid_t p;
			if (argc < 2 || !release || prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
				return 2;
			p = fork();
			if (p == 0) {
				execvp(argv[1], argv + 1);
				_exit(127);
			}
			if (p < 0 || waitpid(p, &st, 0) < 0)
				return 3;
			printf("%d %d\n", (int)getpid(), WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
			fflush(stdout);
			for (i = 0; i < 3000 && access(release, F_OK) != 0; i++) {
				while (waitpid(-1, NULL, WNOHANG) > 0)
					;
				usleep(20000);
			}
			return 0;
		}
	EOF
	gcc -O1 -o "$RT_TMP/subreaper" "$RT_TMP/subreaper.c"
}

@test "run -d under a subreaper: the container is the caller's orphan, not a helper's" {
	command -v gcc >/dev/null || skip "gcc is needed for the subreaper helper"
	subreaper_build
	b=$(bundle_make b)
	bundle_args b sleep 1000
	id=$(new_id)
	rm -f "$RT_TMP/release" "$RT_TMP"/sr.*
	RELEASE=$RT_TMP/release "$RT_TMP/subreaper" env "$RT_MARK" "$RUNTIME" --root "$RT_ROOT" run -d -b "$b" "$id" \
		>"$RT_TMP/sr.out" 2>"$RT_TMP/sr.err" </dev/null 3>&- &
	srpid=$!
	poll 30 test -s "$RT_TMP/sr.out"
	read -r reaper rc <"$RT_TMP/sr.out"
	[ "$reaper" = "$srpid" ]
	[ "$rc" -eq 0 ]
	pid=$(rt_state_field "$id" pid)
	# The runtime has exited; its container was handed to the subreaper.
	[ "$(awk '{print $4}' "/proc/$pid/stat")" = "$srpid" ]
	touch "$RT_TMP/release"
	wait "$srpid"
}

@test "create under a subreaper: the waiting init is the caller's orphan too" {
	command -v gcc >/dev/null || skip "gcc is needed for the subreaper helper"
	subreaper_build
	b=$(bundle_make b)
	bundle_args b sleep 1000
	id=$(new_id)
	rm -f "$RT_TMP/release" "$RT_TMP"/sr.*
	RELEASE=$RT_TMP/release "$RT_TMP/subreaper" env "$RT_MARK" "$RUNTIME" --root "$RT_ROOT" create --pid-file "$RT_TMP/sr.pid" -b "$b" "$id" \
		>"$RT_TMP/sr.out" 2>"$RT_TMP/sr.err" </dev/null 3>&- &
	srpid=$!
	poll 30 test -s "$RT_TMP/sr.out"
	read -r reaper rc <"$RT_TMP/sr.out"
	[ "$rc" -eq 0 ]
	pid=$(cat "$RT_TMP/sr.pid")
	[ "$(awk '{print $4}' "/proc/$pid/stat")" = "$srpid" ]
	rt start "$id"
	[ "$(rt_state_field "$id" status)" = running ]
	touch "$RT_TMP/release"
	wait "$srpid"
}

@test "cli: --flag=value and --flag value spellings, global flags before the command" {
	b=$(bundle_make b)
	bundle_args b echo spelled
	run env "$RT_MARK" "$RUNTIME" --root="$RT_ROOT" run --bundle="$b" "$(new_id)"
	[ "$status" -eq 0 ]
	[ "$output" = spelled ]
	run env "$RT_MARK" "$RUNTIME" --root "$RT_ROOT" run --bundle "$b" "$(new_id)"
	[ "$status" -eq 0 ]
	[ "$output" = spelled ]
	run env "$RT_MARK" "$RUNTIME" --root "$RT_ROOT" run -b "$b" "$(new_id)"
	[ "$status" -eq 0 ]
	[ "$output" = spelled ]
}

@test "cli: --version and --help" {
	run "$RUNTIME" --version
	[ "$status" -eq 0 ]
	[[ "$output" == *version* ]]
	run "$RUNTIME" --help
	[ "$status" -eq 0 ]
	[[ "$output" == *create* ]]
	[[ "$output" == *delete* ]]
}
