# Shared helpers for the runtime suites (podrun_*.bats, examples.bats).
#
# The suites run against any runc-compatible runtime:
#   RUNTIME=runc tests/run.sh --integration podrun_
# (default: $PODKIT_BUILD/podrun).  RT_NAME is its basename, so a test that
# checks podrun's own wording can say `[ "$RT_NAME" = podrun ] || skip`.
#
# Everything a test makes lives under $BATS_FILE_TMPDIR: a private --root
# for the runtime, the busybox rootfs, the bundles.  Every container ID comes
# from new_id (it<pid>-N) and is recorded, so teardown can delete it even when
# the test failed half-way; named netns and leaked mounts are removed too.

PODKIT_TOP=${PODKIT_TOP:-$(cd "$BATS_TEST_DIRNAME/../.." && pwd)}
PODKIT_BUILD=${PODKIT_BUILD:-$PODKIT_TOP/build}
RUNTIME=${RUNTIME:-$PODKIT_BUILD/podrun}
RT_NAME=$(basename "${RUNTIME%% *}")
# setup_file snapshots the binary (see rt_setup_file); later tests use it.
if [ -x "$BATS_FILE_TMPDIR/bin/$RT_NAME" ]; then
	RUNTIME=$BATS_FILE_TMPDIR/bin/$RT_NAME
fi
export PODKIT_TOP PODKIT_BUILD RUNTIME RT_NAME

# Per-file paths.  BATS_FILE_TMPDIR is short (/tmp/bats-run-XXXXXX/file/N),
# which keeps socket and fifo paths in the state root well under 108 bytes.
RT_TMP=$BATS_FILE_TMPDIR
RT_ROOT=$RT_TMP/state
RT_ROOTFS=$RT_TMP/rootfs
RT_BUNDLES=$RT_TMP/bundles
RT_IDS=$RT_TMP/ids
RT_NETNS=$RT_TMP/netns
# bats runs each test in its own process, so "it$$" is fixed once in
# setup_file and read back by the tests: one prefix per suite file.
RT_TOKEN=$(cat "$RT_TMP/token" 2>/dev/null || echo "it$$")
# A marker in the runtime's environment (rt, or `env "$RT_MARK" "$RUNTIME"`)
# and in every bundle's process.env: a container process carries it before
# and after its exec, so teardown (and the leak checks) find a leaked one
# even when the runtime's own state is gone.
RT_MARK=PODKIT_IT=$RT_TOKEN

# rt ARGS...: the runtime under test with the suite's private state root.
rt() {
	env "$RT_MARK" "$RUNTIME" --root "$RT_ROOT" "$@"
}

# new_id [TAG]: a fresh container ID <token>-[TAG]N (recorded for teardown).  Works
# from a command substitution: the counter lives in a file.
new_id() {
	local n=0
	[ -f "$RT_TMP/counter" ] && n=$(cat "$RT_TMP/counter")
	n=$((n + 1))
	echo "$n" >"$RT_TMP/counter"
	local id="$RT_TOKEN-${1:-}$n"
	echo "$id" >>"$RT_IDS"
	echo "$id"
}

# track_id ID: record an ID made some other way (concurrency tests).
track_id() {
	echo "$1" >>"$RT_IDS"
}

# The busybox rootfs, once per file, and the spec every bundle starts from.
# The spec comes from `$RUNTIME spec` (SPEC_RUNTIME overrides, e.g. to run
# the other tests while a runtime's spec command is broken).
rt_setup_file() {
	mkdir -p "$RT_ROOT" "$RT_BUNDLES"
	echo "$RT_TOKEN" >"$RT_TMP/token"
	# A snapshot of the runtime binary: `make` replacing build/podrun in the
	# middle of a run (other work in the same tree) must not fail the tests
	# that happen to exec it at that moment.  RT_NO_COPY=1 turns this off.
	if [ "${RT_NO_COPY:-0}" != 1 ]; then
		local src
		src=$(command -v "$RUNTIME") || {
			echo "# runtime '$RUNTIME' not found" >&3
			return 1
		}
		mkdir -p "$RT_TMP/bin"
		cp "$src" "$RT_TMP/bin/$RT_NAME.tmp"
		mv "$RT_TMP/bin/$RT_NAME.tmp" "$RT_TMP/bin/$RT_NAME"
		RUNTIME=$RT_TMP/bin/$RT_NAME
	fi
	: >"$RT_IDS"
	: >"$RT_NETNS"
	"$PODKIT_TOP/scripts/mkrootfs.sh" "$RT_ROOTFS" >/dev/null
	local specrt=${SPEC_RUNTIME:-$RUNTIME}
	mkdir -p "$RT_TMP/spec"
	(cd "$RT_TMP/spec" && "$specrt" spec) || {
		echo "# '$specrt spec' failed" >&3
		return 1
	}
	[ -s "$RT_TMP/spec/config.json" ]
}

# bundle_make NAME: a bundle dir with its own rootfs (hard-linked copy of the
# suite's rootfs, so mount points made in one don't show up in another) and
# the default spec with terminal false; root.path stays the relative
# "rootfs", as in the seeds.  Prints the bundle path.
bundle_make() {
	local b=$RT_BUNDLES/$1
	rm -rf "$b"
	mkdir -p "$b"
	cp -al "$RT_ROOTFS" "$b/rootfs"
	jq --arg mark "$RT_MARK" '.process.terminal=false | .process.env += [$mark]' \
		"$RT_TMP/spec/config.json" >"$b/config.json"
	echo "$b"
}

bundle_dir() {
	echo "$RT_BUNDLES/$1"
}

# bundle_set NAME JQ-FILTER [JQ-ARGS...]: edit the bundle's config.json.
#   bundle_set web '.process.args=["sh","-c","exit 3"]'
#   bundle_set web '.mounts += [{destination:"/app",type:"bind",source:$s,options:["rbind","rw"]}]' --arg s "$dir"
bundle_set() {
	local c=$RT_BUNDLES/$1/config.json filter=$2
	shift 2
	jq "$@" "$filter" "$c" >"$c.tmp" && mv "$c.tmp" "$c"
}

# bundle_args NAME ARG...: set process.args.
bundle_args() {
	local name=$1
	shift
	local json
	# `--` keeps jq from taking an argument like -c for its own option.
	json=$(jq -cn '$ARGS.positional' --args -- "$@")
	bundle_set "$name" '.process.args=$a' --argjson a "$json"
}

# rt_state_field ID FIELD: one field of `state ID`.
rt_state_field() {
	rt state "$1" | jq -r ".$2"
}

# poll SECONDS CMD...: retry CMD every 20 ms until it succeeds or SECONDS pass.
poll() {
	local limit=$1
	shift
	local end=$((SECONDS + limit))
	while :; do
		"$@" && return 0
		[ "$SECONDS" -ge "$end" ] && return 1
		sleep 0.02
	done
}

status_is() {
	[ "$(rt state "$1" 2>/dev/null | jq -r .status)" = "$2" ]
}

# wait_status ID STATUS [SECONDS]
wait_status() {
	poll "${3:-20}" status_is "$1" "$2"
}

file_has() {
	[ -f "$1" ] && grep -q -- "$2" "$1"
}

# proc_gone PID: no such process, or only a zombie (the container's init is
# orphaned to whatever reaps here, which may not be quick about it).
proc_gone() {
	local st
	st=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 0
	[ -z "$st" ] || [ "$st" = Z ]
}

# catches PID SIGNUM: the process has a handler for the signal (SigCgt), so
# a signal sent now is not lost on a pid 1 that has not trapped it yet.
catches() {
	local hex
	hex=$(awk '$1 == "SigCgt:" {print $2}' "/proc/$1/status" 2>/dev/null) || return 1
	[ -n "$hex" ] && (((0x$hex >> ($2 - 1)) & 1))
}

# marked_pids: host pids of processes carrying this suite's marker: container
# processes, before their exec (inherited from the runtime's environment) and
# after it (from process.env), and any runtime process still around.
marked_pids() {
	grep -lzx -- "$RT_MARK" /proc/[0-9]*/environ 2>/dev/null |
		sed -n 's|^/proc/\([0-9]*\)/environ$|\1|p'
}

# mounts_under DIR: host mount points at or below DIR.
mounts_under() {
	awk -v d="$1" '$5 == d || index($5, d "/") == 1 { print $5 }' /proc/self/mountinfo
}

# cgroups_named ID: cgroup directories named after a container (runc's
# default cgroupsPath is /ID in every hierarchy).
cgroups_named() {
	find /sys/fs/cgroup -maxdepth 6 -type d -name "$1" 2>/dev/null
}

# netns_make NAME: a named netns, removed at teardown.
netns_make() {
	echo "$1" >>"$RT_NETNS"
	ip netns add "$1"
}

# rt_cleanup: delete every recorded container, then kill whatever carries the
# marker and unmount whatever is left under the suite's dir.  Never fails.
rt_cleanup() {
	local id p m n
	if [ -s "$RT_IDS" ]; then
		while read -r id; do
			[ -n "$id" ] || continue
			[ -e "$RT_ROOT/$id" ] || continue
			rt delete -f "$id" >/dev/null 2>&1 || true
		done <"$RT_IDS"
		: >"$RT_IDS"
	fi
	for id in $(rt list -q 2>/dev/null); do
		rt delete -f "$id" >/dev/null 2>&1 || true
	done
	local killed=0
	for p in $(marked_pids); do
		kill -9 "$p" 2>/dev/null && killed=1
	done
	if [ "$killed" = 1 ]; then
		# Let them die before their cgroups are removed (bounded).
		for _ in $(seq 1 100); do
			[ -z "$(marked_pids | while read -r p; do proc_gone "$p" || echo "$p"; done)" ] && break
			sleep 0.05
		done
	fi
	# Cgroups of containers that died behind the runtime's back (empty ones
	# only: rmdir refuses the others).
	find /sys/fs/cgroup -maxdepth 6 -depth -type d -name "$RT_TOKEN-*" \
		-exec rmdir {} \; 2>/dev/null || true
	# A leaked mount would also keep the bundle dir busy.
	for m in $(mounts_under "$RT_TMP" | sort -r); do
		umount -l "$m" 2>/dev/null || true
	done
	if [ -s "$RT_NETNS" ]; then
		while read -r n; do
			[ -z "$n" ] || ip netns del "$n" 2>/dev/null || true
		done <"$RT_NETNS"
		: >"$RT_NETNS"
	fi
	return 0
}

rt_teardown_file() {
	rt_cleanup
	# State dirs left by containers deleted behind the runtime's back.
	rm -rf "$RT_ROOT" "$RT_TMP"/state-* 2>/dev/null || true
	return 0
}

# Default hooks; a suite that needs more defines its own and calls these.
setup_file() {
	rt_setup_file
}

teardown() {
	rt_cleanup
}

teardown_file() {
	rt_teardown_file
}

# run_file CMD...: like bats' run, but the command's stdio is a file, not a
# pipe.  `create` and `run -d` hand their stdout to the container, which
# would keep a pipe (and bats' `run`) open for as long as it lives.
run_file() {
	local f=$RT_TMP/run_file.out
	status=0
	"$@" >"$f" 2>&1 </dev/null 3>&- || status=$?
	output=$(cat "$f")
	mapfile -t lines <"$f"
}
