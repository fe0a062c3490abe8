# Helpers of tests/reliability/stress.sh: TAP output, a private snapshot of
# the binaries, a peak-RSS wrapper, memory sampling and the sweeps that find
# (and remove) everything the stress run made.
#
# Everything carries the run's token TOK=pks<pid>: container ids and the
# cgroup parent /podrun-<TOK>, netns <TOK>n<N>, bridges <TOK>b and <TOK>q,
# pods <TOK>p<N>, nft tables <TOK> and <TOK>q, state under /run/<TOK>*,
# scratch files under /tmp/<TOK>.  Processes are found three ways: their exe
# is one of the snapshot binaries (tools, pod monitors, podnet's background
# grandchildren), their environment holds PKS_MARK=<TOK> (container
# processes: process.env), or their cgroup path holds <TOK>.

S_FAILED=0
S_CHECKS=0

s_ok() { # DESCRIPTION
	S_CHECKS=$((S_CHECKS + 1))
	echo "ok $S_CHECKS - $*"
}

s_not_ok() { # DESCRIPTION
	S_CHECKS=$((S_CHECKS + 1))
	S_FAILED=$((S_FAILED + 1))
	echo "not ok $S_CHECKS - $*"
}

s_diag() { # LINES... (each line as a TAP diagnostic)
	printf '%s\n' "$@" | sed 's/^/# /'
}

# s_check DESCRIPTION CMD...: ok when CMD succeeds; its output becomes
# diagnostics when it fails.
s_check() {
	local desc=$1 out
	shift
	if out=$("$@" 2>&1); then
		s_ok "$desc"
	else
		s_not_ok "$desc"
		[ -z "$out" ] || s_diag "$out" | head -40
	fi
}

s_now() { date +%s.%N; }

s_elapsed() { # START -> seconds with 2 decimals since START
	awk -v a="$1" -v b="$(s_now)" 'BEGIN { printf "%.2f", b - a }'
}

# s_poll SECONDS CMD...: retry CMD every 50 ms until it succeeds.
s_poll() {
	local end=$((SECONDS + $1))
	shift
	while :; do
		"$@" && return 0
		[ "$SECONDS" -ge "$end" ] && return 1
		sleep 0.05
	done
}

# s_scale N: N scaled by STRESS_SCALE (a factor, default 1), at least 1.
s_scale() {
	awk -v n="$1" -v s="${STRESS_SCALE:-1}" 'BEGIN { v = int(n * s + 0.5); if (v < 1) v = 1; print v }'
}

# --- the binaries and the RSS wrapper ---

# s_bin_snapshot SRC DST: copies podrun, podnet, pod and pod-pause, so that
# `make` replacing build/ in the middle of the run (other work in the same
# tree) cannot fail it, and so that a process whose exe is in DST is ours.
s_bin_snapshot() {
	local src=$1 dst=$2 b
	mkdir -p "$dst"
	for b in podrun podnet pod pod-pause; do
		[ -x "$src/$b" ] || {
			echo "$src/$b is missing (build first: make)" >&2
			return 1
		}
		cp "$src/$b" "$dst/$b.tmp" && mv "$dst/$b.tmp" "$dst/$b" || return 1
	done
}

# s_rss_build OUT: a wrapper `OUT LOG LABEL CMD ARGS...` that runs CMD, waits
# for it and appends "<maxrss KiB> <basename CMD> <LABEL> <exit>" to LOG (one
# short O_APPEND write: lines of parallel runs do not mix), then exits as
# CMD did.  ru_maxrss of the wait4'd child covers the tool and what it
# reaped itself (podrun's intermediate children, the runtime run by pod).
s_rss_build() {
	local out=$1
	cat >"$out.c" <<'C'
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
int main(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: %s LOG LABEL CMD [ARGS...]\n", argv[0]);
    return 2;
  }
  pid_t pid = fork();
  if (pid < 0) {
    perror("fork");
    return 125;
  }
  if (pid == 0) {
    execvp(argv[3], argv + 3);
    fprintf(stderr, "%s: exec %s: %s\n", argv[0], argv[3], strerror(errno));
    _exit(127);
  }
  int st = 0;
  struct rusage ru;
  memset(&ru, 0, sizeof(ru));
  while (wait4(pid, &st, 0, &ru) < 0)
    if (errno != EINTR) {
      perror("wait4");
      return 125;
    }
  int rc = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  const char *b = strrchr(argv[3], '/');
  char line[512];
  int n = snprintf(line, sizeof(line), "%ld %s %s %d\n", ru.ru_maxrss, b ? b + 1 : argv[3],
                   argv[2], rc);
  int fd = open(argv[1], O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd >= 0) {
    if (write(fd, line, n > (int)sizeof(line) - 1 ? sizeof(line) - 1 : (size_t)n) < 0)
      rc = 125;
    close(fd);
  }
  return rc;
}
C
	cc -O1 -o "$out" "$out.c"
}

# s_rss_peak LOG -> "TOOL KiB LABEL": the largest maxrss per tool (sorted).
s_rss_peak() {
	awk '{ if ($1 > m[$2]) { m[$2] = $1; c[$2] = $3 } } END { for (t in m) printf "%s %d %s\n", t, m[t], c[t] }' "$1" 2>/dev/null | sort
}

# s_rss_max LOG -> "KiB TOOL LABEL": the largest of all.
s_rss_max() {
	sort -n "$1" 2>/dev/null | tail -1 | awk '{ print $1, $2, $3 }'
}

# --- memory ---

s_mem_avail() { awk '/^MemAvailable:/ { print $2 }' /proc/meminfo; }

# s_mem_sampler_start FILE: MemAvailable every 0.2 s into FILE (the lowest
# value during a part is its peak host memory use).  Sets S_SAMPLER.
s_mem_sampler_start() {
	local f=$1
	: >"$f"
	(
		while :; do
			awk '/^MemAvailable:/ { print $2 }' /proc/meminfo >>"$f"
			sleep 0.2
		done
	) &
	S_SAMPLER=$!
}

s_mem_sampler_stop() {
	[ -n "${S_SAMPLER:-}" ] || return 0
	kill "$S_SAMPLER" 2>/dev/null
	wait "$S_SAMPLER" 2>/dev/null
	S_SAMPLER=
}

s_mem_min() { sort -n "$1" | head -1; }

# --- finding what is ours ---

# s_procs_exe DIR: pids whose exe is a binary in DIR (zombies have none).
s_procs_exe() {
	find /proc -mindepth 2 -maxdepth 2 -name exe -lname "$1/*" 2>/dev/null |
		sed -n 's|^/proc/\([0-9]*\)/exe$|\1|p'
}

# s_procs_marked MARK: pids whose environment holds MARK (exact entry).
s_procs_marked() {
	grep -lzx -- "$1" /proc/[0-9]*/environ 2>/dev/null | sed -n 's|^/proc/\([0-9]*\)/environ$|\1|p'
}

# s_procs_cgroup TOKEN: pids in a cgroup whose path holds TOKEN.
s_procs_cgroup() {
	grep -l -- "$1" /proc/[0-9]*/cgroup 2>/dev/null | sed -n 's|^/proc/\([0-9]*\)/cgroup$|\1|p'
}

# s_live PID...: prints those that exist and are not zombies.
s_live() {
	local p st
	for p in "$@"; do
		st=$(awk '{ print $3 }' "/proc/$p/stat" 2>/dev/null) || continue
		[ -n "$st" ] && [ "$st" != Z ] && echo "$p"
	done
}

# s_cgroups TOKEN: cgroup directories whose name holds TOKEN.
s_cgroups() {
	find /sys/fs/cgroup -maxdepth 5 -type d -name "*$1*" 2>/dev/null
}

# s_cgroups_rmdir TOKEN: remove them, deepest first (empty ones only).
s_cgroups_rmdir() {
	find /sys/fs/cgroup -maxdepth 5 -depth -type d -name "*$1*" -exec rmdir {} \; 2>/dev/null
	return 0
}

# s_netns TOKEN: named netns whose name starts with TOKEN.
s_netns() {
	local n
	for n in /var/run/netns/"$1"*; do
		[ -e "$n" ] && echo "${n##*/}"
	done
	return 0
}

# s_mounts_with TOKEN: mount points whose path holds TOKEN.
s_mounts_with() {
	awk -v t="$1" 'index($5, t) { print $5 }' /proc/self/mountinfo
}

# s_links_of BRIDGE: links enslaved to BRIDGE.
s_links_of() {
	ip -o link show master "$1" 2>/dev/null | awk -F': ' '{ split($2, a, "@"); print a[1] }'
}

s_link_exists() { ip link show "$1" >/dev/null 2>&1; }

# s_lease_veths STATE_DIR: host veth names recorded in podnet's leases.
s_lease_veths() {
	cat "$1"/leases/*.json 2>/dev/null | sed -n 's/.*"host_veth": *"\([^"]*\)".*/\1/p'
}

# s_files DIR: regular files and links below DIR (what state is left).
s_files() {
	[ -d "$1" ] || return 0
	find "$1" -mindepth 1 \( -type f -o -type l \) ! -name '*.lock' 2>/dev/null
}

# s_busy BINDIR: a process of ours still runs (a tool, a pod monitor, or
# detach's grandchild deleting a veth or releasing the netfilter socket).
s_busy() {
	[ -n "$(s_procs_exe "$1")" ]
}

# s_reader_start NAME CMD...: runs CMD in a loop in the background (the
# readers of a state that parallel writers change) until s_reader_stop NAME;
# every run's exit code goes to DIR/reader.NAME, the output of a failed run
# to DIR/reader.NAME.err.  S_RDIR is the directory.  Sets S_READER[NAME].
declare -A S_READER
s_reader_start() {
	local name=$1
	shift
	: >"$S_RDIR/reader.$name"
	: >"$S_RDIR/reader.$name.err"
	rm -f "$S_RDIR/stop.$name"
	(
		local out rc
		# (ends too when the directory is gone: the run was cut short)
		while [ -d "$S_RDIR" ] && [ ! -e "$S_RDIR/stop.$name" ]; do
			out=$("$@" 2>&1 </dev/null)
			rc=$?
			echo "$rc" >>"$S_RDIR/reader.$name"
			[ "$rc" -eq 0 ] || printf '%s: exit %s: %s\n' "$*" "$rc" "$(echo "$out" | head -3)" >>"$S_RDIR/reader.$name.err"
		done
	) &
	S_READER[$name]=$!
}

# s_readers_kill: ends every reader (cleanup after an interruption)
s_readers_kill() {
	local p
	for p in "${S_READER[@]}"; do
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	return 0
}

# s_reader_stop NAME DESCRIPTION: stops it and prints one TAP line
s_reader_stop() {
	local name=$1 desc=$2 runs bad
	touch "$S_RDIR/stop.$name"
	wait "${S_READER[$name]}" 2>/dev/null
	runs=$(wc -l <"$S_RDIR/reader.$name")
	bad=$(grep -cv '^0$' "$S_RDIR/reader.$name")
	if [ "$runs" -gt 0 ] && [ "$bad" -eq 0 ]; then
		s_ok "$desc: $runs runs during the storm, all succeeded"
	else
		s_not_ok "$desc: $bad of $runs runs during the storm failed"
		s_diag "$(sort "$S_RDIR/reader.$name.err" | uniq -c | sort -rn | head -5)"
	fi
}
