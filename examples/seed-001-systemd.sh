#!/usr/bin/env bash
# Seed 001 ("runc 学习"): a container kept up by systemd with
# `run -d --pid-file`, with podrun in place of runc.
#   1. a busybox bundle from `spec`, terminal false (systemd has no tty),
#      the process replaced by a long-running one;
#   2. the unit file, from examples/seed-001-npd.service.in;
#   3. with systemd as PID 1 (and EXAMPLE_SYSTEMD=1): systemctl start, check,
#      stop; otherwise the unit's ExecStartPre/ExecStart lines are run
#      directly, as systemd would (same cwd, '-' lines may fail), and the pid
#      file is checked; then a "restart" after the container dies.
#
#   examples/seed-001-systemd.sh [WORKDIR]      (as root)
# RUNTIME picks the runtime (default: podrun, then build/podrun).
# Everything made is removed on exit, even on failure.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
RT=${RUNTIME:-podrun}
if ! command -v "$RT" >/dev/null; then
	RT=${PODKIT_BUILD:-$top/build}/podrun
fi
RT=$(command -v "$RT") || { echo "seed-001: no runtime (set RUNTIME or run make)" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || { echo "seed-001: run as root" >&2; exit 1; }

P=${EXAMPLE_PREFIX:-ex1$$}
ID=${P}-npd
parent=${1:-${TMPDIR:-/tmp}}
mkdir -p "$parent"
work=$(mktemp -d "$parent/seed-001.XXXXXX")
root=$work/state
bundle=$work/npd
pidfile=$work/npd.pid
unit=$P-npd.service
use_systemd=0
if [ "${EXAMPLE_SYSTEMD:-0}" = 1 ] && [ "$(cat /proc/1/comm)" = systemd ]; then
	use_systemd=1
fi

step() { printf '\n### %s\n' "$*"; }
say() { printf '+ %s\n' "$*"; }
ok() { printf 'OK: %s\n' "$*"; }
fail() { echo "seed-001: $*" >&2; exit 1; }
rt() { "$RT" --root "$root" "$@"; }

cleanup() {
	local rc=$?
	# A second signal must not cut the cleanup short.
	trap "" INT TERM
	set +e
	if [ "$use_systemd" = 1 ]; then
		systemctl stop "$unit" 2>/dev/null
		rm -f "/run/systemd/system/$unit"
		systemctl daemon-reload
	fi
	rt delete -f "$ID" >/dev/null 2>&1
	if grep -q " $work" /proc/self/mountinfo; then
		echo "seed-001: mounts left under $work" >&2
		rc=1
	else
		rm -rf "$work"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# check_pidfile: the pid file holds the container's host pid, no newline.
check_pidfile() {
	local pid
	pid=$(cat "$pidfile")
	[ "$(stat -c %s "$pidfile")" -eq "${#pid}" ] || { echo "seed-001: pid file ends with a newline" >&2; return 1; }
	[ "$pid" = "$(rt state "$ID" | jq -r .pid)" ] || { echo "seed-001: pid file $pid is not the container's" >&2; return 1; }
	kill -0 "$pid"
	[ "$(rt state "$ID" | jq -r .status)" = running ]
	echo "$pid"
}

step "1. the bundle: spec, terminal false, the service's command"
mkdir -p "$bundle"
"$top/scripts/mkrootfs.sh" "$bundle/rootfs" >/dev/null
say "cd $bundle && $RT spec"
(cd "$bundle" && "$RT" spec)
# The seed's eskort-npd stands in as a loop writing a heartbeat.
jq '.process.terminal=false
	| .process.args=["sh","-c","echo npd started; while :; do date >/tmp/heartbeat; sleep 5; done"]
	| .process.env += ["NPD_MODE=detached"]' "$bundle/config.json" >"$work/c.json"
mv "$work/c.json" "$bundle/config.json"
jq -c '.process | {terminal, args, env}' "$bundle/config.json"

step "2. the unit file"
sed -e "s|@RUNTIME@|$RT|g" -e "s|@ROOT@|$root|g" -e "s|@ID@|$ID|g" \
	-e "s|@BUNDLE@|$bundle|g" -e "s|@PIDFILE@|$pidfile|g" \
	"$here/seed-001-npd.service.in" | grep -v '^#' >"$work/$unit"
cat "$work/$unit"

# unit_lines KEY: the unit's KEY= values, in order.
unit_lines() {
	sed -n "s/^$1=//p" "$work/$unit"
}

# exec_line LINE: run one Exec line the way systemd does: in
# WorkingDirectory, stdin from /dev/null, a leading '-' means failure is
# ignored.
exec_line() {
	local line=$1 ignore=0 st=0
	if [ "${line:0:1}" = - ]; then
		ignore=1
		line=${line:1}
	fi
	local -a argv
	read -r -a argv <<<"$line"
	say "${argv[*]}"
	(cd "$(unit_lines WorkingDirectory)" && "${argv[@]}") </dev/null >>"$work/journal" 2>&1 || st=$?
	if [ "$st" -ne 0 ]; then
		[ "$ignore" = 1 ] && { echo "  (exit $st, ignored)"; return 0; }
		echo "seed-001: '${argv[*]}' failed ($st):" >&2
		cat "$work/journal" >&2
		return 1
	fi
}

start_service() {
	local l
	while IFS= read -r l; do exec_line "$l"; done < <(unit_lines ExecStartPre)
	while IFS= read -r l; do exec_line "$l"; done < <(unit_lines ExecStart)
}

step "3. start it"
if [ "$use_systemd" = 1 ]; then
	install -m 0644 "$work/$unit" "/run/systemd/system/$unit"
	systemctl daemon-reload
	say "systemctl start $unit"
	systemctl start "$unit"
	systemctl --no-pager status "$unit" | head -5
	pid=$(check_pidfile)
	[ "$(systemctl show -p MainPID --value "$unit")" = "$pid" ]
	ok "systemd tracks the container's pid $pid"
	say "systemctl stop $unit"
	systemctl stop "$unit"
	rt state "$ID" >/dev/null 2>&1 && fail "$ID still exists after stop"
	ok "stopped and deleted"
	exit 0
fi

echo "(systemd is not PID 1 here: running the unit's commands directly)"
start_service
pid=$(check_pidfile)
ok "$ID runs as pid $pid; $pidfile holds it (no newline)"
rt list
for _ in $(seq 1 250); do
	grep -q 'npd started' "$work/journal" && break
	sleep 0.02
done
grep -q 'npd started' "$work/journal"
ok "its output went to the service's stdout (the journal)"

step "4. the container dies; Restart=always runs the unit again"
kill -KILL "$pid"
for _ in $(seq 1 250); do
	[ "$(rt state "$ID" | jq -r .status)" = stopped ] && break
	sleep 0.02
done
rt state "$ID" | jq -c '{id, status}'
start_service
pid2=$(check_pidfile)
[ "$pid2" != "$pid" ]
ok "restarted: $ID runs as pid $pid2 (was $pid)"

step "5. systemctl stop: SIGTERM to the main pid, then ExecStopPost"
# sh as pid 1 of its namespace ignores TERM; systemd would then send KILL.
kill -TERM "$pid2" 2>/dev/null || true
kill -KILL "$pid2"
while IFS= read -r l; do exec_line "$l"; done < <(unit_lines ExecStopPost)
rt state "$ID" >/dev/null 2>&1 && fail "$ID still exists after ExecStopPost"
ok "stopped and deleted"
