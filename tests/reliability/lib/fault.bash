# Helpers of tests/reliability/fault.sh: the build-fault build, the shared
# counter file of the shim (tests/reliability/fault/fault.c), snapshots of
# every object the script owns, and the settle-and-compare loop.
#
# Set before sourcing: TOP (repo top), FB (build-fault dir), W (work dir
# /run/pkfNNNN), TOK (pkfNNNN), BR (bridge), TABLE (nft table).

FAULT_KINDS_ALL="mount clone setns netlink nft write"
FAULT_WRAPS="mount mount_setattr syscall fork setns sendmsg sendto mnl_socket_sendto write pwrite"

# fault_build: build-fault/{podrun,podnet,pod,pod-pause} with the shim wrapped
# in (make is incremental; the shim object is rebuilt when fault.c changes).
fault_build() {
	local w="" f src=$TOP/tests/reliability/fault/fault.c
	for f in $FAULT_WRAPS; do w="$w,--wrap=$f"; done
	mkdir -p "$FB" || return 1
	if [ ! -e "$FB/fault.o" ] || [ "$src" -nt "$FB/fault.o" ]; then
		cc -std=gnu11 -O2 -g -D_GNU_SOURCE -Wall -Wextra -Werror -Wno-unused-parameter \
			-c -o "$FB/fault.o" "$src" || return 1
		# relink with the new shim
		rm -f "$FB/podrun" "$FB/podnet" "$FB/pod"
	fi
	make -C "$TOP" --no-print-directory -j2 B="$FB" LDFLAGS="-Wl${w} $FB/fault.o" \
		"$FB/podrun" "$FB/podnet" "$FB/pod" "$FB/pod-pause" >"$W/build.log" 2>&1 || {
		sed 's/^/# /' "$W/build.log" | tail -20
		return 1
	}
	# the shim must really be in: a build without it would "pass" everything
	for f in podrun podnet pod; do
		nm "$FB/$f" | grep -q ' T __wrap_mount$' || {
			echo "# $FB/$f has no __wrap_mount: the shim is not linked in"
			return 1
		}
	done
}

# The shared counter file: int32 words (see struct fault_shared in fault.c).
fault_file_reset() {
	: >"$FF" && truncate -s 4096 "$FF"
}
# fault_word N: the N-th uint32 of the file
fault_word() {
	od -An -t u4 -j $(($1 * 4)) -N 4 "$FF" | tr -d ' '
}
fault_disarm() {
	printf '\001\000\000\000' | dd of="$FF" bs=4 seek=1 conv=notrunc status=none
}
fault_hits() { fault_word 2; }
# fault_count KIND: calls of KIND counted in the last run
fault_count() {
	local i=4 k
	for k in $FAULT_KINDS_ALL; do
		[ "$k" = "$1" ] && { fault_word $i; return; }
		i=$((i + 1))
	done
}
# fault_site: where the failed call was made, then its callers:
# "func at file:line [(inlined by) ...] < caller at file:line < ..."
fault_site() {
	local off exe start addrs="" f
	off=$(od -An -t u8 -j 64 -N 8 "$FF" | tr -d ' ')
	exe=$(dd if="$FF" bs=1 skip=72 count=255 status=none | tr -d '\0')
	[ -n "$exe" ] && [ -x "$exe" ] || { echo "?"; return; }
	start=$(nm "$exe" | awk '$3 == "__executable_start" {print $1}')
	# return addresses point after the call: step back one byte
	addrs=$(printf '%#x' $((0x$start + off - 1)))
	for f in $(od -An -t u8 -j 512 -N 64 -v "$FF"); do
		[ "$f" = 0 ] && break
		addrs="$addrs $(printf '%#x' $((0x$start + f - 1)))"
	done
	# shellcheck disable=SC2086
	addr2line -f -i -p -s -e "$exe" $addrs 2>/dev/null | grep -v '^?? ' |
		sed 's/ (discriminator [0-9]*)//' | awk 'NR > 1 && !/^ \(inlined by\)/ {printf " <"} {printf "%s", $0} END {print ""}'
}

errno_text() {
	case $1 in
	mount | setns | netlink) echo "Cannot allocate memory" ;;
	clone) echo "Resource temporarily unavailable" ;;
	nft) echo "No buffer space available" ;;
	write) echo "No space left on device" ;;
	esac
}

# veth names podnet would give an id (net/lib/attach.c, FNV-1a + salt)
veth_names() {
	python3 - "$@" <<'EOF'
import sys
for id in sys.argv[1:]:
    for salt in range(16):
        h = 2166136261
        for c in id.encode():
            h = ((h ^ c) * 16777619) & 0xffffffff
        s = salt
        while s:
            h = ((h ^ (s & 0xff)) * 16777619) & 0xffffffff
            s >>= 8
        print("vp%08x" % h)
EOF
}

# snapshot: everything of ours, one sorted text.  State files by name (and
# the bridge records and pod records by content: a counter of users that
# drifts is a leak too), mounts, cgroups, links (by name, and inside our
# netns), netns, nft table with map elements, processes.
snapshot() {
	{
		echo "== files"
		find "$W/podrun" "$W/net" "$W/pods" -mindepth 1 \
			-not -path "$W/net/*.lock" -printf '%P %y\n' 2>/dev/null | sort
		echo "== records"
		for f in "$W"/net/bridges/*.json; do
			[ -e "$f" ] && { echo "$f"; jq -cS 'del(.created)' "$f" 2>/dev/null; }
		done
		echo "== mounts"
		grep -e "$TOK" -e "$W" /proc/self/mountinfo | awk '{print $5, $9}' | sort
		echo "== cgroups"
		find /sys/fs/cgroup -maxdepth 6 -type d -name "$TOK*" 2>/dev/null | sort
		echo "== links"
		ip -o link show 2>/dev/null | awk -F': ' '{split($2, a, "@"); print a[1]}' |
			grep -xF -f "$W/mylinks" | sort
		echo "== netns"
		ip netns list 2>/dev/null | awk '{print $1}' | grep "^$TOK" | sort
		for n in $(ip netns list 2>/dev/null | awk '{print $1}' | grep "^$TOK"); do
			echo "-- $n"
			ip -n "$n" -o link show 2>/dev/null | awk -F': ' '{split($2, a, "@"); print a[1]}' | sort
			ip -n "$n" -o -4 addr show 2>/dev/null | awk '{print $2, $4}' | sort
		done
		echo "== nft"
		nft list tables 2>/dev/null | grep "$TOK" | sort
		nft list table ip "$TABLE" 2>/dev/null | grep -v '^\s*$'
		echo "== processes"
		procs_of_ours
	} 2>/dev/null
}

# pid + what for every process of ours: running a build-fault binary, or
# rooted in our work dir (containers, pause); not this script's shell.
procs_of_ours() {
	find /proc/[0-9]* -maxdepth 1 \( -name exe -o -name root \) -printf '%h %f %l\n' 2>/dev/null |
		awk -v fb="$FB/" -v w="$W/" '
			$2 == "exe" && index($3, fb) == 1 { print substr($1, 7), "exe", $3 }
			$2 == "root" && index($3, w) == 1 { print substr($1, 7), "root", $3 }' | sort -n
}

# settle BASELINE_FILE OUT_DIFF: poll (up to FAULT_SETTLE seconds: a detach
# deletes its veth and releases the netfilter socket in the background)
# until the snapshot equals the baseline; the diff is left in OUT_DIFF.
settle() {
	local base=$1 out=$2 end=$((SECONDS + ${FAULT_SETTLE:-5}))
	while :; do
		snapshot >"$W/snap.now"
		diff "$base" "$W/snap.now" >"$out" && return 0
		[ "$SECONDS" -ge "$end" ] && return 1
		sleep 0.1
	done
}
