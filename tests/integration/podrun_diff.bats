#!/usr/bin/env bats
# Differential test: the same bundle under the runtime under test and under
# Debian's runc gives the same stdout and exit status.  Both start from
# runc's default spec.  Skipped when the runtime under test is runc itself.

load lib/runtime

diff_skip() {
	[ "$RT_NAME" = runc ] && echo "RUNTIME is runc: nothing to compare with"
	command -v runc >/dev/null || echo "runc is not installed"
}

# bats 1.8 cannot skip from setup_file: each test skips in setup instead.
setup_file() {
	[ -n "$(diff_skip)" ] || SPEC_RUNTIME=runc rt_setup_file
}

setup() {
	local why
	why=$(diff_skip)
	[ -z "$why" ] || skip "$why"
}

# same NAME [STDIN]: run bundle NAME under runc and under $RUNTIME, compare.
same() {
	local b
	b=$(bundle_dir "$1")
	local in=${2:-/dev/null}
	local rs=0 ps=0
	env "$RT_MARK" runc --root "$RT_TMP/state-runc" run -b "$b" "$(new_id r)" \
		>"$RT_TMP/runc.out" 2>"$RT_TMP/runc.err" <"$in" 3>&- || rs=$?
	rt run -b "$b" "$(new_id p)" \
		>"$RT_TMP/rt.out" 2>"$RT_TMP/rt.err" <"$in" 3>&- || ps=$?
	echo "runc: exit $rs, stderr: $(cat "$RT_TMP/runc.err")"
	echo "$RT_NAME: exit $ps, stderr: $(cat "$RT_TMP/rt.err")"
	diff -u --label runc "$RT_TMP/runc.out" --label "$RT_NAME" "$RT_TMP/rt.out"
	[ "$rs" -eq "$ps" ]
}

# case_of NAME ARG...: a bundle from the default spec running ARG...
case_of() {
	local n=$1
	shift
	bundle_make "$n" >/dev/null
	bundle_args "$n" "$@"
}

@test "diff: exit status and both output streams" {
	case_of b sh -c 'echo out; echo err >&2; exit 3'
	same b
	case_of b sh -c 'exec 2>&1; echo out; echo err >&2; exit 1'
	same b
	case_of b false
	same b
}

@test "diff: capabilities, NoNewPrivs, seccomp" {
	case_of b grep -E 'Cap|NoNewPrivs|Seccomp' /proc/self/status
	same b
}

@test "diff: id as root and as 1000:1000 with additionalGids" {
	case_of b id
	same b
	bundle_set b '.process.user={uid:1000, gid:1000, additionalGids:[100, 5]}'
	same b
}

@test "diff: hostname" {
	case_of b hostname
	same b
	bundle_set b '.hostname="it-other"'
	same b
}

@test "diff: rlimits" {
	case_of b sh -c 'ulimit -n; ulimit -Hn; ulimit -a'
	same b
	bundle_set b '.process.rlimits += [{type:"RLIMIT_NPROC",hard:300,soft:200},{type:"RLIMIT_CORE",hard:0,soft:0}]'
	same b
}

@test "diff: /dev" {
	case_of b sh -c 'ls /dev; ls /dev/pts /dev/shm /dev/mqueue; stat -c "%n %F %a %u:%g %t:%T" /dev/* /dev/pts/ptmx; readlink /dev/fd /dev/stdin /dev/ptmx'
	same b
}

@test "diff: mounts (root options, types, options of each)" {
	case_of b sh -c "grep ' / ' /proc/mounts | cut -d' ' -f4"
	same b
	case_of b awk '{print $1, $2, $3}' /proc/mounts
	same b
	case_of b awk '{print $2, $4}' /proc/mounts
	same b
	bundle_set b '.root.readonly=false'
	same b
}

@test "diff: masked and readonly paths" {
	case_of b sh -c 'wc -c </proc/keys; wc -c </proc/timer_list; ls /sys/firmware | wc -l; echo 1 >/proc/sysrq-trigger 2>&1; echo $?'
	same b
}

@test "diff: env" {
	case_of b env
	same b
	bundle_set b '.process.env += ["IT_X=1", "IT_Y=a b c"]'
	same b
	bundle_set b '.process.user={uid:1000, gid:1000}'
	same b
}

@test "diff: cwd, umask, oom_score_adj" {
	case_of b sh -c 'pwd; umask; cat /proc/self/oom_score_adj'
	same b
	bundle_set b '.process.cwd="/tmp" | .process.user.umask=63 | .process.oomScoreAdj=100'
	same b
}

@test "diff: readonly root and writes" {
	case_of b sh -c 'touch /x 2>&1; echo $?; touch /tmp/y 2>&1; echo $?'
	same b
}

@test "diff: stdin" {
	case_of b sh -c 'cat; echo done'
	printf 'line1\nline2\n' >"$RT_TMP/stdin"
	same b "$RT_TMP/stdin"
}

@test "diff: file descriptors and process tree" {
	case_of b sh -c 'ls /proc/self/fd; ps -o pid,user,args'
	same b
}

@test "diff: sysctl" {
	case_of b cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/msgmax
	bundle_set b '.linux.sysctl={"net.ipv4.ip_forward":"1", "kernel.msgmax":"12345"}'
	same b
}

@test "diff: a bad args[0] fails under both" {
	case_of b /nonexistent/it-binary
	same b
}

@test "diff: loopback state in a new network namespace" {
	case_of b sh -c 'cat /sys/class/net/lo/operstate /sys/class/net/lo/flags; ip -o addr show lo 2>&1 | sed "s/ valid_lft.*//"'
	same b
}

@test "diff: /proc/self/limits and status ids" {
	case_of b sh -c 'cat /proc/self/limits; grep -E "^(Uid|Gid|Groups|NoNewPrivs|Seccomp):" /proc/self/status'
	same b
}

@test "diff: mount propagation and per-mount flags (mountinfo)" {
	# mount point, per-mount options, optional fields (shared:/master:)
	# without their peer-group numbers; not the mount's root, which names
	# each runtime's own cgroup.
	case_of b awk '{ o = ""; for (i = 7; $i != "-"; i++) o = o " " $i; gsub(/:[0-9]+/, "", o); print $5, $6 o }' /proc/self/mountinfo
	same b
}

@test "diff: modes and owners of the directories the runtime makes" {
	case_of b stat -c '%n %a %u:%g %F' / /dev /dev/pts /dev/shm /dev/mqueue /proc /sys /tmp /dev/pts/ptmx
	same b
}
