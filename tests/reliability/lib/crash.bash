# Helpers of tests/reliability/crash.sh: kill -9 of podrun/podnet/pod at a
# chosen syscall, the recovery commands, and the leftover checks.
#
# Kill points: an op is run once under `strace -o FILE` (its profile: the
# sequence of syscalls its own process makes, children not traced); a trial
# picks K in 1..N, finds the syscall S at position K and how many S came
# before it (c), and runs the op under
#   strace -e trace=S -e inject=S:signal=KILL:when=c
# strace counts invocations per syscall, so this is the K-th syscall of the
# op: kill points spread evenly over the op's whole run, and a trial is
# reproduced by its K (printed in a # line) up to the op's own variation.

# crash_profile OUTFILE CMD...: runs CMD traced, writes its syscall names,
# one a line, to OUTFILE; returns CMD's status.
crash_profile() {
	local out=$1 raw rc
	shift
	raw=$out.raw
	strace -qq -o "$raw" -- "$@"
	rc=$?
	# the tracee's own syscalls only (no -f: no pid prefixes); "--- SIG"
	# and "+++ exited" lines are not syscalls
	grep -oE '^[a-z_0-9]+\(' "$raw" | tr -d '(' >"$out"
	rm -f "$raw"
	return "$rc"
}

# crash_point PROFILE K: prints "SYSCALL COUNT" of the K-th syscall.
crash_point() {
	awk -v k="$2" 'NR <= k { n[$1]++; s = $1 } NR == k { print s, n[s]; exit }' "$1"
}

# crash_run SYSCALL COUNT CMD...: CMD killed by SIGKILL at its COUNT-th
# SYSCALL.  Returns 137 when the kill happened, else CMD's own status.
crash_run() {
	local sc=$1 n=$2
	shift 2
	strace -qq -o /dev/null -e trace="$sc" -e inject="$sc":signal=KILL:when="$n" -- "$@"
}

# crash_fnv_veth ID SALT: podnet's host veth name for ID (podnet_host_veth_name).
crash_fnv_veth() {
	local id=$1 salt=$2 h=2166136261 i c
	for ((i = 0; i < ${#id}; i++)); do
		printf -v c '%d' "'${id:i:1}"
		h=$(((h ^ c) * 16777619 & 0xffffffff))
	done
	while ((salt)); do
		h=$(((h ^ (salt & 255)) * 16777619 & 0xffffffff))
		salt=$((salt >> 8))
	done
	printf 'vp%08x\n' "$h"
}

# crash_pids_matching STR: pids (not ours) whose cmdline or cgroup names STR.
crash_pids_matching() {
	grep -lsaF -- "$1" /proc/[0-9]*/cmdline /proc/[0-9]*/cgroup 2>/dev/null |
		awk -F/ -v a="$$" -v b="$BASHPID" '$3 != a && $3 != b && !seen[$3]++ {print $3}' |
		while read -r p; do
			# our own strace is not a leftover, nor this pipeline
			case "$({ tr '\0' ' ' <"/proc/$p/cmdline"; } 2>/dev/null)" in
			strace* | "grep -lsaF"* | "") ;;
			*) echo "$p" ;;
			esac
		done
}

# crash_leftovers NAME: prints one line per object of NAME still present.
# Uses R, PODNET_STATE_DIR, PODNET_NFT_TABLE, POD_STATE_DIR,
# POD_RUNTIME_ROOT and BR from the caller.
crash_leftovers() {
	local n=$1 f p salt v
	[ -e "$R/$n" ] && echo "podrun state $R/$n ($(ls "$R/$n" 2>/dev/null | tr '\n' ' '))"
	for f in "$POD_RUNTIME_ROOT/$n" "$POD_RUNTIME_ROOT/$n".*; do
		[ -e "$f" ] && echo "pod runtime state $f ($(ls "$f" 2>/dev/null | tr '\n' ' '))"
	done
	[ -e "$POD_STATE_DIR/$n" ] && echo "pod state $POD_STATE_DIR/$n ($(cd "$POD_STATE_DIR/$n" && find . | tr '\n' ' '))"
	[ -e "/run/netns/$n" ] && echo "netns /run/netns/$n"
	[ -e "$PODNET_STATE_DIR/leases/$n.json" ] && echo "lease $n ($(stat -c %s "$PODNET_STATE_DIR/leases/$n.json") bytes)"
	[ -e "$PODNET_STATE_DIR/bridges/$n.json" ] && echo "bridge record $n"
	# the rest: forward index, ipam dir of a bridge, half-written records
	# (NAME.json.tmp.PID), claims, pending bridges
	find "$PODNET_STATE_DIR" -mindepth 1 -name "$n*" ! -path "*/leases/$n.json" ! -path "*/bridges/$n.json" 2>/dev/null |
		sed 's/^/podnet file /'
	[ -d "$PODNET_STATE_DIR/ipam" ] && grep -rl -- "$n" "$PODNET_STATE_DIR/ipam" 2>/dev/null | sed 's/^/ipam entry in /'
	# an address reserved but never owned by anyone (killed between the
	# reservation and writing the owner) would be lost for good
	[ -d "$PODNET_STATE_DIR/ipam" ] && find "$PODNET_STATE_DIR/ipam" -type f -empty ! -name .lock 2>/dev/null |
		sed 's/^/ownerless ipam entry /'
	ip link show "$n" >/dev/null 2>&1 && echo "link $n"
	for salt in 0 1 2; do
		v=$(crash_fnv_veth "$n" "$salt")
		ip link show "$v" >/dev/null 2>&1 && echo "host veth $v"
		nft list set ip "$PODNET_NFT_TABLE" hairpin 2>/dev/null | grep -q "\"$v\"" && echo "nft hairpin element $v"
	done
	nft list table ip "$PODNET_NFT_TABLE" 2>/dev/null | grep -q "id=$n\"" && echo "nft forward elements of $n"
	nft list table ip "$PODNET_NFT_TABLE" 2>/dev/null | grep -q "masq-$n\b" && echo "nft masquerade chain of $n"
	grep -F -- "$n" /proc/mounts | awk '{print "mount " $2}'
	find /sys/fs/cgroup -maxdepth 5 -type d -name "*$n*" 2>/dev/null | sed 's/^/cgroup /'
	for p in $(crash_pids_matching "$n"); do
		echo "process $p: $({ tr '\0' ' ' <"/proc/$p/cmdline"; } 2>/dev/null | cut -c1-100)"
	done
}

# crash_wait_clean NAME SECS: polls until nothing of NAME is left (a detach
# deletes its veth and releases the netfilter socket in the background);
# prints what is left after SECS.
crash_wait_clean() {
	local n=$1 secs=$2 left i
	for ((i = 0; i <= secs * 5; i++)); do
		left=$(crash_leftovers "$n")
		[ -z "$left" ] && return 0
		sleep 0.2
	done
	printf '%s\n' "$left"
	return 1
}
