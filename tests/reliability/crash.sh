#!/bin/bash
# Crash consistency (issue 6): kill -9 of podrun, podnet and pod at points
# spread over their operations; afterwards `podrun delete -f`, `podnet gc`
# and `pod rm -f` must bring the machine back to clean, and a bystander
# container and a bystander pod must stay untouched.
#
#   CRASH_TRIALS=N   kill -9 trials, spread round-robin over the ops (100)
#   CRASH_SEED=S     seed of the kill points (default: from the clock, printed)
#   CRASH_OPS="..."  only these ops (names as in OPS below)
#   CRASH_SWEEP=S    instead of random points: every S-th syscall of every
#                    op (S=1: all of them, ~2000 trials); CRASH_TRIALS unused
#   CRASH_KEEP=1     on failure, leave the trial's objects for a look
#
# TAP on stdout, one `ok` per op kind and per bystander check.  Needs root,
# strace, curl, jq, nft, ip.
set -u
PODKIT_TOP=${PODKIT_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
PODKIT_BUILD=${PODKIT_BUILD:-$PODKIT_TOP/build}
# shellcheck source=lib/crash.bash
. "$PODKIT_TOP/tests/reliability/lib/crash.bash"

TRIALS=${CRASH_TRIALS:-100}
SEED=${CRASH_SEED:-$(($(date +%s) % 1000000))}
OPS_ALL="podrun-create podrun-start podrun-run podrun-delete podrun-exec podnet-attach
podnet-attach-publish podnet-forward podnet-detach podnet-bridge-add pod-create pod-add pod-rm"
read -r -a OPS <<<"$(echo ${CRASH_OPS:-$OPS_ALL})"

PODRUN=$PODKIT_BUILD/podrun
PODNET=$PODKIT_BUILD/podnet
POD=$PODKIT_BUILD/pod
TOK=pkc$(($$ % 100000))
R=/run/$TOK/podrun
BR=${TOK}br
NET3=$((($$ % 90) + 1)) # 10.232.NET3.0/24 for BR; bridge-add trials use 10.232.100+.0/24
export PODNET_STATE_DIR=/run/${TOK}net
export PODNET_NFT_TABLE=$TOK
export POD_STATE_DIR=/run/${TOK}pod
export POD_RUNTIME_ROOT=/run/${TOK}rt
export POD_PAUSE=$PODKIT_BUILD/pod-pause
BY_PORT=24000   # bystander pod's published port
BYC_PORT=24001  # bystander container's forward
TRIAL_PORT=24100
WORK=$(mktemp -d /tmp/pkc-crash.XXXXXX)
LOG=$WORK/log
FAILED=0
T0=$SECONDS

tap() { # tap OK|FAIL DESCRIPTION
	if [ "$1" = OK ]; then echo "ok - $2"; else
		echo "not ok - $2"
		FAILED=1
	fi
}

cleanup() {
	local p n
	trap - EXIT INT TERM
	for p in "$POD_STATE_DIR"/*; do
		[ -d "$p" ] && "$POD" rm -f "${p##*/}" >/dev/null 2>&1
	done
	for n in "$R"/*; do
		[ -d "$n" ] && "$PODRUN" --root "$R" delete -f "${n##*/}" >/dev/null 2>&1
	done
	for n in "$POD_RUNTIME_ROOT"/*; do
		[ -d "$n" ] && "$PODRUN" --root "$POD_RUNTIME_ROOT" delete -f "${n##*/}" >/dev/null 2>&1
	done
	for p in $(crash_pids_matching "$TOK"); do
		kill -9 "$p" 2>/dev/null
	done
	grep -o " [^ ]*${TOK}[^ ]*" /proc/mounts | sort -r | while read -r m; do umount -l "$m" 2>/dev/null; done
	for n in /run/netns/"$TOK"*; do
		[ -e "$n" ] && ip netns del "${n##*/}" 2>/dev/null
	done
	"$PODNET" gc >/dev/null 2>&1
	for n in "$PODNET_STATE_DIR"/leases/*.json; do
		[ -e "$n" ] && n=${n##*/} && "$PODNET" detach --id "${n%.json}" >/dev/null 2>&1
	done
	for n in "$PODNET_STATE_DIR"/bridges/*.json; do
		[ -e "$n" ] && n=${n##*/} && "$PODNET" bridge del "${n%.json}" >/dev/null 2>&1
	done
	for n in $(ip -o link show 2>/dev/null | awk -F': ' '{print $2}' | grep "^$TOK" | cut -d@ -f1); do
		ip link del "$n" 2>/dev/null
	done
	nft delete table ip "$TOK" 2>/dev/null
	sleep 0.3 # background veth deletions of the detaches above
	find /sys/fs/cgroup -maxdepth 5 -depth -type d -name "*$TOK*" -exec rmdir {} \; 2>/dev/null
	rm -rf "/run/$TOK" "$PODNET_STATE_DIR" "$POD_STATE_DIR" "$POD_RUNTIME_ROOT" "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

die() {
	echo "not ok - crash: setup: $*"
	echo "# count: crash consistency: 0 kill -9 trials (setup failed)"
	exit 1
}

for t in strace curl jq nft ip; do
	command -v "$t" >/dev/null || die "$t is missing"
done
for b in "$PODRUN" "$PODNET" "$POD" "$POD_PAUSE"; do
	[ -x "$b" ] || die "$b is missing: build first (PODKIT_BUILD=$PODKIT_BUILD)"
done
if [ -n "${CRASH_SWEEP:-}" ]; then plan="every ${CRASH_SWEEP}. syscall of"; else plan="$TRIALS trials over"; fi
echo "# crash: seed $SEED, $plan ${#OPS[@]} ops, prefix $TOK, build $PODKIT_BUILD"

# ---- fixtures: rootfs, bundles, bridge, bystanders ----
mkdir -p "$WORK/rootfs" "$R"
"$PODKIT_TOP/scripts/mkrootfs.sh" "$WORK/rootfs" >/dev/null 2>&1 || die "mkrootfs.sh failed"
mkdir -p "$WORK/rootfs/www"
echo "bystander $TOK" >"$WORK/rootfs/www/index.html"
bundle() { # bundle DIR ARGS-JSON
	mkdir -p "$1"
	"$PODRUN" spec --bundle "$1" || return 1
	jq --arg r "$WORK/rootfs" --argjson a "$2" \
		'.process.args = $a | .process.terminal = false | .root.path = $r | .root.readonly = false' \
		"$1/config.json" >"$1/c.json" && mv "$1/c.json" "$1/config.json"
}
bundle "$WORK/b-sleep" '["sleep","1000"]' || die "podrun spec failed"
bundle "$WORK/b-http" '["httpd","-f","-p","8080","-h","/www"]' || die "podrun spec failed"

"$PODNET" bridge add "$BR" --subnet "10.232.$NET3.0/24" >"$LOG" 2>&1 || die "bridge add $BR: $(cat "$LOG")"

BYC=${TOK}byc
BYP=${TOK}byp
"$PODRUN" --root "$R" run -d --bundle "$WORK/b-http" "$BYC" </dev/null >"$LOG" 2>&1 ||
	die "bystander container: $(cat "$LOG")"
BYC_PID=$("$PODRUN" --root "$R" state "$BYC" | jq -r .pid)
"$PODNET" attach --bridge "$BR" --pid "$BYC_PID" --id "$BYC" --publish "$BYC_PORT:8080" >"$LOG" 2>&1 ||
	die "bystander attach: $(cat "$LOG")"
BYC_IP=$(jq -r .address "$PODNET_STATE_DIR/leases/$BYC.json")
"$POD" create "$BYP" --bridge "$BR" -p "$BY_PORT:8080" >"$LOG" 2>&1 || die "bystander pod: $(cat "$LOG")"
"$POD" add --pod "$BYP" --name web --rootfs "$WORK/rootfs" -- httpd -f -p 8080 -h /www >"$LOG" 2>&1 ||
	die "bystander pod member: $(cat "$LOG")"
BYP_IP=$(jq -r .ip "$POD_STATE_DIR/$BYP/pod.json")
# what must not change: pids, addresses, every record file of the bystanders
by_files() {
	find "$R/$BYC" "$POD_STATE_DIR/$BYP" "$POD_RUNTIME_ROOT/$BYP" "$POD_RUNTIME_ROOT/$BYP.web" \
		"$PODNET_STATE_DIR/leases/$BYC.json" "$PODNET_STATE_DIR/leases/$BYP.json" \
		"$PODNET_STATE_DIR/bridges" -type f ! -name log ! -name exec.fifo 2>/dev/null | sort |
		xargs md5sum 2>/dev/null
}
by_snapshot() {
	echo "byc pid $("$PODRUN" --root "$R" state "$BYC" 2>&1 | jq -r '.pid, .status' 2>&1 | tr '\n' ' ')"
	echo "byp $(jq -r .pid "$POD_STATE_DIR/$BYP/pause/container.json" 2>&1) $(jq -r .pid "$POD_STATE_DIR/$BYP/containers/web/container.json" 2>&1)"
	"$POD" ps "$BYP" 2>&1 | awk 'NR > 1 {print $1, $2, $3, $4}' | sed 's/ *$//'
	echo "ips $BYC_IP $BYP_IP"
	by_files
	"$PODNET" forward list 2>&1 | grep -E " ($BYC|$BYP)\$" | sort
}
wait_http() { # wait_http URL: the answer, within 5 s
	local i
	for i in $(seq 25); do
		curl -s -m 2 "$1" 2>/dev/null && return 0
		sleep 0.2
	done
	return 1
}
BY_EXPECT="bystander $TOK"
for u in "http://127.0.0.1:$BY_PORT/" "http://127.0.0.1:$BYC_PORT/"; do
	[ "$(wait_http "$u")" = "$BY_EXPECT" ] || die "bystander does not answer on $u"
done
BY_SNAP=$(by_snapshot)
BY_CHECKS=0
BY_BAD=0
by_check() { # by_check TRIAL-DESCRIPTION
	local now u a bad=
	BY_CHECKS=$((BY_CHECKS + 1))
	for u in "http://127.0.0.1:$BY_PORT/" "http://$BYP_IP:8080/" "http://127.0.0.1:$BYC_PORT/" "http://$BYC_IP:8080/"; do
		a=$(curl -s -m 3 "$u" 2>&1)
		[ "$a" = "$BY_EXPECT" ] || bad="$bad; $u answered \"$a\""
	done
	now=$(by_snapshot)
	[ "$now" = "$BY_SNAP" ] || bad="$bad; state changed: $(diff <(echo "$BY_SNAP") <(echo "$now") | grep '^[<>]' | head -4 | tr '\n' ' ')"
	if [ -n "$bad" ]; then
		BY_BAD=$((BY_BAD + 1))
		echo "# bystanders disturbed after $1: ${bad#; }"
	fi
}

# ---- ops: setup (untraced), the op itself, recovery ----
# Each op gets the trial's unique name N; N is the container id, netns,
# attachment id, bridge or pod name.
op_setup() { # op_setup OP N
	local op=$1 n=$2
	case $op in
	podrun-start) "$PODRUN" --root "$R" create --bundle "$WORK/b-sleep" "$n" </dev/null ;;
	podrun-delete | podrun-exec) "$PODRUN" --root "$R" run -d --bundle "$WORK/b-sleep" "$n" </dev/null ;;
	podnet-attach | podnet-attach-publish) "$PODNET" netns add "$n" ;;
	podnet-forward) "$PODNET" netns add "$n" && "$PODNET" attach --bridge "$BR" --netns "$n" --id "$n" ;;
	podnet-detach) "$PODNET" netns add "$n" && "$PODNET" attach --bridge "$BR" --netns "$n" --id "$n" \
		--publish "$PORT:80" --publish "$((PORT + 1)):81/udp" ;;
	pod-add) "$POD" create "$n" --bridge "$BR" -p "$PORT:8080" ;;
	pod-rm) "$POD" create "$n" --bridge "$BR" -p "$PORT:8080" &&
		"$POD" add --pod "$n" --name c1 --rootfs "$WORK/rootfs" -- sleep 1000 ;;
	*) true ;;
	esac
}
op_cmd() { # op_cmd OP N: the command line of the op, one word a line
	local op=$1 n=$2
	case $op in
	podrun-create) echo "$PODRUN --root $R create --bundle $WORK/b-sleep $n" ;;
	podrun-start) echo "$PODRUN --root $R start $n" ;;
	podrun-run) echo "$PODRUN --root $R run -d --bundle $WORK/b-sleep $n" ;;
	podrun-delete) echo "$PODRUN --root $R delete -f $n" ;;
	podrun-exec) echo "$PODRUN --root $R exec $n sh -c true" ;;
	podnet-attach) echo "$PODNET attach --bridge $BR --netns $n --id $n" ;;
	podnet-attach-publish) echo "$PODNET attach --bridge $BR --netns $n --id $n --publish $PORT:80 --publish $((PORT + 1))-$((PORT + 2)):81-82/udp" ;;
	podnet-forward) echo "$PODNET forward add --host-port $PORT --to $(jq -r .address "$PODNET_STATE_DIR/leases/$n.json"):80 --id $n" ;;
	podnet-detach) echo "$PODNET detach --id $n" ;;
	podnet-bridge-add) echo "$PODNET bridge add $n --subnet 10.232.$((100 + TRIAL % 150)).0/24" ;;
	pod-create) echo "$POD create $n --bridge $BR -p $PORT:8080 -p $((PORT + 1)):8081/udp" ;;
	pod-add) echo "$POD add --pod $n --name c1 --rootfs $WORK/rootfs -- sleep 1000" ;;
	pod-rm) echo "$POD rm -f $n" ;;
	esac
}
# The recovery the issue names, for every trial whatever its op: each
# must exit 0, or say the object does not exist.
recover() { # recover OP N
	local op=$1 n=$2 out rc bad=
	out=$("$PODRUN" --root "$R" delete -f "$n" 2>&1)
	rc=$?
	[ $rc = 0 ] || bad="$bad; podrun delete -f: exit $rc: $out"
	out=$("$POD" rm -f "$n" 2>&1)
	rc=$?
	[ $rc = 0 ] || [[ "$out" == *"pod $n does not exist"* ]] || bad="$bad; pod rm -f: exit $rc: $out"
	if [ "$op" = podnet-bridge-add ]; then
		out=$("$PODNET" bridge del "$n" 2>&1)
		rc=$?
		[ $rc = 0 ] || [[ "$out" == *"bridge $n does not exist"* ]] || bad="$bad; podnet bridge del: exit $rc: $out"
	fi
	# what gc is for: the netns of an attachment is gone
	[ -e "/run/netns/$n" ] && ip netns del "$n"
	out=$("$PODNET" gc 2>&1)
	rc=$?
	[ $rc = 0 ] || bad="$bad; podnet gc: exit $rc: $out"
	echo "${bad#; }"
}

declare -A KILLED COMPLETED BAD PROFN
TRIAL=0
PORT=$TRIAL_PORT
# Profiles: each op once, traced, on the same kind of setup as its trials.
for op in "${OPS[@]}"; do
	TRIAL=$((TRIAL + 1))
	n=${TOK}p$(printf %04d $TRIAL)
	PORT=$((TRIAL_PORT + 3 * (TRIAL % 250)))
	op_setup "$op" "$n" </dev/null >"$LOG" 2>&1 || die "profile $op: setup: $(cat "$LOG")"
	# shellcheck disable=SC2046
	crash_profile "$WORK/prof.$op" $(op_cmd "$op" "$n") </dev/null >"$LOG" 2>&1 ||
		die "profile $op: $(op_cmd "$op" "$n"): $(tail -3 "$LOG")"
	PROFN[$op]=$(wc -l <"$WORK/prof.$op")
	bad=$(recover "$op" "$n")
	left=$(crash_wait_clean "$n" 10)
	[ -z "$bad$left" ] || die "profile $op: recovery after a completed op: $bad $left"
	echo "# profile $op: ${PROFN[$op]} syscalls"
done
by_check "the profiles"

# The plan: "OP K" a line.  K=1 is the execve, which strace does not stop.
RANDOM=$SEED
if [ -n "${CRASH_SWEEP:-}" ]; then
	for op in "${OPS[@]}"; do
		for ((k = 2; k <= PROFN[$op]; k += CRASH_SWEEP)); do echo "$op $k"; done
	done
else
	for ((i = 0; i < TRIALS; i++)); do
		op=${OPS[i % ${#OPS[@]}]}
		echo "$op $(((RANDOM * 32768 + RANDOM) % (PROFN[$op] - 1) + 2))"
	done
fi >"$WORK/plan"
TRIALS=$(wc -l <"$WORK/plan")
while read -r op k <&4; do
	TRIAL=$((TRIAL + 1))
	n=${TOK}t$(printf %04d $TRIAL)
	PORT=$((TRIAL_PORT + 3 * (TRIAL % 250)))
	N=${PROFN[$op]}
	if ! op_setup "$op" "$n" </dev/null >"$LOG" 2>&1; then
		BAD[$op]="${BAD[$op]:-}; trial $TRIAL: setup: $(tail -1 "$LOG")"
		recover "$op" "$n" >/dev/null
		continue
	fi
	read -r sc cnt < <(crash_point "$WORK/prof.$op" "$k")
	# shellcheck disable=SC2046
	crash_run "$sc" "$cnt" $(op_cmd "$op" "$n") </dev/null >"$LOG" 2>&1
	rc=$?
	if [ $rc = 137 ]; then
		KILLED[$op]=$((${KILLED[$op]:-0} + 1))
		how=killed
	else
		COMPLETED[$op]=$((${COMPLETED[$op]:-0} + 1))
		how="completed (exit $rc)"
	fi
	echo "# trial $TRIAL $op $n: kill at syscall $k/$N ($sc #$cnt): $how"
	bad=$(recover "$op" "$n")
	left=$(crash_wait_clean "$n" 10)
	if [ -n "$bad$left" ]; then
		BAD[$op]="${BAD[$op]:-}; trial $TRIAL (syscall $k/$N $sc #$cnt): ${bad:+recovery: $bad; }${left:+left: $(echo "$left" | head -5 | tr '\n' ',')}"
		echo "# trial $TRIAL $op: NOT CLEAN: $bad $(echo "$left" | tr '\n' ',')"
		if [ "${CRASH_KEEP:-0}" = 1 ]; then
			echo "# CRASH_KEEP: stopping with the trial's objects in place"
			trap - EXIT
			exit 1
		fi
		cleanup_trial() { # whatever recovery left, so the next trial starts clean
			for p in $(crash_pids_matching "$n"); do kill -9 "$p" 2>/dev/null; done
			grep -o " [^ ]*${n}[^ ]*" /proc/mounts | sort -r | while read -r m; do umount -l "$m"; done
			rm -rf "${R:?}/$n" "${POD_STATE_DIR:?}/$n" "${POD_RUNTIME_ROOT:?}/$n"* "$PODNET_STATE_DIR/leases/$n.json" \
				"$PODNET_STATE_DIR/bridges/$n.json"
			ip link del "$n" 2>/dev/null
			find /sys/fs/cgroup -maxdepth 5 -depth -type d -name "*$n*" -exec rmdir {} \; 2>/dev/null
		}
		cleanup_trial >/dev/null 2>&1
	fi
	by_check "trial $TRIAL ($op)"
done 4<"$WORK/plan"

total_killed=0
for op in "${OPS[@]}"; do
	k=${KILLED[$op]:-0}
	c=${COMPLETED[$op]:-0}
	total_killed=$((total_killed + k))
	if [ -z "${BAD[$op]:-}" ]; then
		tap OK "crash: ${op/-/ }: $((k + c)) trials ($k killed, $c completed), recovered clean"
	else
		tap FAIL "crash: ${op/-/ }: $((k + c)) trials ($k killed, $c completed): ${BAD[$op]#; }"
	fi
done
if [ "$BY_BAD" = 0 ]; then
	tap OK "crash: bystander container and pod untouched after $BY_CHECKS checks (pids, IPs, records, 4 HTTP answers each)"
else
	tap FAIL "crash: bystanders disturbed in $BY_BAD of $BY_CHECKS checks"
fi

# ---- the bystanders go, then nothing of ours may be left ----
"$POD" rm -f "$BYP" >/dev/null 2>&1
"$PODNET" detach --id "$BYC" >/dev/null 2>&1
"$PODRUN" --root "$R" delete -f "$BYC" >/dev/null 2>&1
"$PODNET" bridge del "$BR" >/dev/null 2>&1
nft delete table ip "$TOK" 2>/dev/null
left=$(crash_wait_clean "$TOK" 10)
rm -rf "/run/$TOK"
for d in "$PODNET_STATE_DIR" "$POD_STATE_DIR" "$POD_RUNTIME_ROOT"; do
	[ -n "$(find "$d" -type f ! -name "*.lock" 2>/dev/null)" ] && left="$left
files under $d: $(find "$d" -type f ! -name "*.lock" | head -3 | tr '\n' ' ')"
done
if [ -z "$left" ]; then
	tap OK "crash: no leftovers of $TOK (state dirs, mounts, cgroups, links, netns, nft, processes)"
else
	tap FAIL "crash: leftovers of $TOK: $(echo "$left" | head -5 | tr '\n' ',')"
fi
echo "# count: crash consistency: $TRIALS kill -9 trials ($total_killed killed mid-op) over ${#OPS[@]} ops, $BY_CHECKS bystander checks, seed $SEED, $((SECONDS - T0)) s"
exit $FAILED
