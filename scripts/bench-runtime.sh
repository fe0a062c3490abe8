#!/usr/bin/env bash
# bench-runtime.sh [N]: N sequential `run` of /bin/true in a busybox bundle
# (runc's default spec, terminal false) for podrun, runc and crun,
# interleaved (podrun, runc, crun, podrun, ...), each with its own --root.
# Prints per-runtime median, min and max wall time per container, the
# podrun/crun and podrun/runc ratios, each one's peak RSS, and the median
# CPU time (user + system) per container, which a busy machine distorts
# less than wall time.
#
# Each container is timed by a small C helper around fork/exec/wait4
# (CLOCK_MONOTONIC), so shell overhead is not counted; its ru_maxrss covers
# the runtime and every descendant it reaped (runc's/crun's init included).
#
# crun refuses this machine's hybrid cgroup layout, so the whole benchmark
# runs in a private mount namespace (unshare -m --propagation private) where
# /sys/fs/cgroup/unified is unmounted; the host's mount is never touched.
# All three runtimes run in that same namespace, facing one mount table.
#
#   scripts/bench-runtime.sh [N]          (as root; N defaults to 100)
#   BENCH_PROFILE=realistic scripts/bench-runtime.sh [N]
#                                         (seccomp profile + cgroup limits)
# PODRUN (default $PODKIT_BUILD/podrun, then build/podrun), RUNC, CRUN
# override the binaries; BENCH_WARMUP (default 3) unmeasured runs each.
set -euo pipefail

N=${1:-100}
case "$N" in
'' | *[!0-9]*) echo "usage: $0 [N]" >&2; exit 2 ;;
esac
top=$(cd "$(dirname "$0")/.." && pwd)
[ "$(id -u)" -eq 0 ] || { echo "bench: run as root" >&2; exit 1; }

if [ "${BENCH_INNER:-}" != 1 ]; then
	exec unshare -m --propagation private env BENCH_INNER=1 "$0" "$@"
fi

# From here on: our own mount namespace, private propagation.
if [ "$(readlink /proc/self/ns/mnt)" = "$(readlink /proc/1/ns/mnt)" ]; then
	echo "bench: not in a private mount namespace; refusing to unmount anything" >&2
	exit 1
fi
if mountpoint -q /sys/fs/cgroup/unified; then
	umount /sys/fs/cgroup/unified
fi

PODRUN=${PODRUN:-${PODKIT_BUILD:-$top/build}/podrun}
RUNC=${RUNC:-$(command -v runc || echo runc)}
CRUN=${CRUN:-$(command -v crun || echo crun)}
WARMUP=${BENCH_WARMUP:-3}

work=$(mktemp -d /tmp/podkit-bench.XXXXXX)
cleanup() {
	local r
	for r in podrun runc crun; do
		for id in $(cat "$work/ids.$r" 2>/dev/null); do
			"${bin[$r]}" --root "$work/root-$r" delete -f "$id" >/dev/null 2>&1 || true
		done
	done
	rm -rf "$work"
}
declare -A bin=([podrun]=$PODRUN [runc]=$RUNC [crun]=$CRUN)
trap cleanup EXIT

# The timer: fork, exec argv, wait4; prints "<ns> <maxrss KiB> <exit>
# <cpu ns>" (user + system time of the runtime and its reaped descendants).
cat >"$work/timer.c" <<'EOF'
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
int main(int argc, char **argv)
{
	struct timespec a, b;
	struct rusage ru;
	int st, fd;
	pid_t pid;
	if (argc < 2)
		return 2;
	clock_gettime(CLOCK_MONOTONIC, &a);
	pid = fork();
	if (pid < 0)
		return 3;
	if (pid == 0) {
		fd = open("/dev/null", O_RDWR);
		dup2(fd, 0);
		dup2(fd, 1);
		/* stderr stays: a failing runtime says why. */
		execv(argv[1], argv + 1);
		_exit(127);
	}
	if (wait4(pid, &st, 0, &ru) < 0)
		return 4;
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("%lld %ld %d %lld\n",
	       (long long)(b.tv_sec - a.tv_sec) * 1000000000LL + (b.tv_nsec - a.tv_nsec),
	       ru.ru_maxrss, WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st),
	       (long long)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000LL +
		       (long long)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000LL);
	return 0;
}
EOF
gcc -O2 -o "$work/timer" "$work/timer.c"

# The bundle: busybox rootfs, runc's default spec, /bin/true, no terminal.
mkdir -p "$work/bundle"
"$top/scripts/mkrootfs.sh" "$work/bundle/rootfs" >/dev/null
(cd "$work" && "$RUNC" spec --bundle "$work/bundle")
jq '.process.terminal=false | .process.args=["/bin/true"]' "$work/bundle/config.json" >"$work/c.json"
mv "$work/c.json" "$work/bundle/config.json"
# BENCH_PROFILE=realistic: what an engine really passes: a Docker-like
# seccomp profile (examples/seccomp-default.json, ~300 syscalls allowed,
# three architectures) and cgroup limits.
if [ "${BENCH_PROFILE:-default}" = realistic ]; then
	jq --slurpfile sc "$top/examples/seccomp-default.json" \
		'.linux.seccomp = $sc[0] |
		 .linux.resources.memory = {limit: 268435456} |
		 .linux.resources.pids = {limit: 512} |
		 .linux.resources.cpu = {shares: 512, quota: 50000, period: 100000}' \
		"$work/bundle/config.json" >"$work/c.json"
	mv "$work/c.json" "$work/bundle/config.json"
	echo "bench: realistic profile: seccomp $(jq '[.syscalls[].names | length] | add' "$top/examples/seccomp-default.json") syscalls, $(jq -c .architectures "$top/examples/seccomp-default.json"), memory/pids/cpu limits"
fi

# A second bundle for the check: same rootfs, a process whose output proves
# the container really ran.
mkdir -p "$work/check"
jq --arg r "$work/bundle/rootfs" '.root.path=$r | .process.args=["sh","-c","echo bench-ok-$(hostname)"]' \
	"$work/bundle/config.json" >"$work/check/config.json"
want=bench-ok-$(jq -r .hostname "$work/check/config.json")

# one RUNTIME ID: time one `run`; appends to $work/t.RUNTIME.
one() {
	local r=$1 id=$2 out
	echo "$id" >>"$work/ids.$r"
	out=$("$work/timer" "${bin[$r]}" --root "$work/root-$r" run -b "$work/bundle" "$id" 2>>"$work/err.$r")
	set -- $out
	[ "${3:-1}" -eq 0 ] || return 1
	echo "$1 $2 $4" >>"$work/t.$r"
}

declare -A why
active=()
for r in podrun runc crun; do
	b=${bin[$r]}
	if ! [ -x "$b" ] && ! command -v "$b" >/dev/null; then
		why[$r]="not found ($b)"
		continue
	fi
	b=$(command -v "$b")
	bin[$r]=$b
	# A single run first: a runtime that cannot run here is reported, not timed.
	echo "check-$r" >>"$work/ids.$r"
	got=$("$b" --root "$work/root-$r" run -b "$work/check" "check-$r" 2>"$work/err.$r" </dev/null) || true
	if [ "$got" != "$want" ]; then
		why[$r]="a single run failed (output '$got'): $(tail -n 3 "$work/err.$r" | tr '\n' ' ')"
		continue
	fi
	echo "# $r: $b: single run ok"
	active+=("$r")
done

for i in $(seq 1 "$WARMUP"); do
	for r in "${active[@]}"; do
		one "$r" "warm-$i" || true
	done
done
rm -f "$work"/t.*

# Interleaved: one of each per round, so drift hits all alike.
declare -A failed
for i in $(seq 1 "$N"); do
	for r in "${active[@]}"; do
		[ -z "${failed[$r]:-}" ] || continue
		if ! one "$r" "b$i"; then
			failed[$r]="run $i failed: $(tail -n 3 "$work/err.$r" | tr '\n' ' ')"
		fi
	done
done

echo "# $N interleaved runs of /bin/true each, kernel $(uname -r), $(nproc) CPUs"
printf '%-8s %6s %10s %10s %10s %14s %11s\n' runtime runs median_ms min_ms max_ms peak_rss_MiB cpu_med_ms
declare -A med rss cpus
for r in podrun runc crun; do
	if [ -n "${why[$r]:-}" ]; then
		printf '%-8s FAILED: %s\n' "$r" "${why[$r]}"
		continue
	fi
	if [ -n "${failed[$r]:-}" ]; then
		printf '%-8s FAILED: %s\n' "$r" "${failed[$r]}"
		continue
	fi
	read -r n m lo hi kb < <(sort -n "$work/t.$r" | awk '
		{ t[NR] = $1; if ($2 > kb) kb = $2 }
		END {
			m = (NR % 2) ? t[(NR + 1) / 2] : (t[NR / 2] + t[NR / 2 + 1]) / 2
			printf "%d %.3f %.3f %.3f %d\n", NR, m / 1e6, t[1] / 1e6, t[NR] / 1e6, kb
		}')
	cpu=$(awk '{ print $3 }' "$work/t.$r" | sort -n | awk '
		{ t[NR] = $1 }
		END { printf "%.3f", ((NR % 2) ? t[(NR + 1) / 2] : (t[NR / 2] + t[NR / 2 + 1]) / 2) / 1e6 }')
	med[$r]=$m
	rss[$r]=$kb
	cpus[$r]=$cpu
	printf '%-8s %6d %10.2f %10.2f %10.2f %14.1f %11.2f\n' "$r" "$n" "$m" "$lo" "$hi" "$(awk -v k="$kb" 'BEGIN { print k / 1024 }')" "$cpu"
done
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
for o in crun runc; do
	if [ -n "${med[podrun]:-}" ] && [ -n "${med[$o]:-}" ]; then
		echo "podrun/$o: time $(ratio "${med[podrun]}" "${med[$o]}")x, peak RSS $(ratio "${rss[podrun]}" "${rss[$o]}")x, cpu $(ratio "${cpus[podrun]}" "${cpus[$o]}")x"
	else
		echo "podrun/$o: n/a"
	fi
done
