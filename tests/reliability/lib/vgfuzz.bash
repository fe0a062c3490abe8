# Shared helpers of tests/reliability/valgrind.sh and fuzz.sh: TAP output
# and valgrind runs whose per-process logs are judged after the fact.
#
# Every process valgrind follows writes its own log (--log-file=DIR/vg.%p):
# podrun's container init (a clone, pid 1 of its new pid namespace), pod's
# per-container monitors and podnet's background grandchildren all run
# valgrind's code until they exec or exit, and their errors count as much
# as the parent's.  The logs are read only once no process of the run is
# still under valgrind, since a monitor lives as long as its container.

VF_PASS=0
VF_FAIL=0

tap_ok() {
	echo "ok - $*"
	VF_PASS=$((VF_PASS + 1))
}

tap_not_ok() {
	echo "not ok - $*"
	VF_FAIL=$((VF_FAIL + 1))
}

# tap_check DESCRIPTION CMD...: one TAP line for CMD's success
tap_check() {
	local d=$1
	shift
	if "$@"; then tap_ok "$d"; else tap_not_ok "$d"; fi
}

# diag FILE: FILE's lines as TAP diagnostics
diag() {
	sed 's/^/#   /' "$1"
}

# ---- valgrind ----

# VG_LOGS must be set (a fresh directory); VG_SUPP may name a suppressions
# file.  A path's logs land in $VG_LOGS/NN-NAME/, the command's own output in
# its out file and its exit code in its rc file.
VG_SEQ=0
VG_NAMES=()

vg_opts() {
	local dir=$1
	echo "--leak-check=full --errors-for-leak-kinds=definite --error-exitcode=99" \
		"--num-callers=30 --log-file=$dir/vg.%p ${VG_SUPP:+--suppressions=$VG_SUPP}"
}

# vg_run NAME CMD...: CMD under valgrind (NAME is the path's name in TAP); returns CMD's exit code (99 if
# valgrind found an error in the first process).  VG_DIR in the environment
# lets a wrapper (vg_runtime_wrapper) put its logs with the path that ran it.
vg_run() {
	local name=$1 dir rc
	shift
	VG_SEQ=$((VG_SEQ + 1))
	dir=$VG_LOGS/$(printf %02d "$VG_SEQ")-$(printf %s "$name" | tr -c 'A-Za-z0-9-' _)
	mkdir -p "$dir"
	echo "$name" >"$dir/name"
	VG_NAMES+=("$(basename "$dir")")
	# shellcheck disable=SC2046
	VG_DIR=$dir valgrind $(vg_opts "$dir") "$@" >"$dir/out" 2>&1 </dev/null
	rc=$?
	echo "$rc" >"$dir/rc"
	return "$rc"
}

# vg_runtime_wrapper FILE BIN: writes an executable FILE that runs BIN under
# valgrind with its logs in $VG_DIR/rt-PID/ (pod --runtime FILE).
vg_runtime_wrapper() {
	local file=$1 bin=$2
	cat >"$file" <<EOF
#!/bin/sh
# podrun under valgrind, started by pod: logs go with the pod command's
d=\${VG_DIR:-$VG_LOGS/orphan}/rt-\$\$
mkdir -p "\$d"
exec valgrind $(vg_opts '$d') "$bin" "\$@"
EOF
	chmod +x "$file"
}

# Processes still running valgrind for this run (their command line names
# the log directory until they exec something else).
vg_busy_pids() {
	local p
	for p in /proc/[0-9]*; do
		grep -qzF -- "$VG_LOGS" "$p/cmdline" 2>/dev/null && echo "${p#/proc/}"
	done
	return 0
}

# vg_wait SECS: until no process of the run is under valgrind
vg_wait() {
	local end=$((SECONDS + $1))
	while [ -n "$(vg_busy_pids)" ]; do
		[ "$SECONDS" -lt "$end" ] || return 1
		sleep 0.2
	done
}

# vg_judge DIR: prints "PROCS EXECD ERRORS DEFINITE_BYTES RC SUPPRESSED" for a path's
# logs.  A log without "ERROR SUMMARY" is a process that exec'd (valgrind
# stops following it) or was killed; it had no chance to report.
vg_judge() {
	local dir=$1 f procs=0 execd=0 errors=0 defin=0 supp=0 e d s rc
	rc=$(cat "$dir/rc" 2>/dev/null || echo 255)
	for f in $(find "$dir" -name 'vg.*' -type f); do
		procs=$((procs + 1))
		e=$(sed -n 's/.*ERROR SUMMARY: \([0-9,]*\) errors.*/\1/p' "$f" | tail -1 | tr -d ,)
		if [ -z "$e" ]; then
			execd=$((execd + 1))
			continue
		fi
		d=$(sed -n 's/.*definitely lost: \([0-9,]*\) bytes.*/\1/p' "$f" | tail -1 | tr -d ,)
		s=$(sed -n 's/.*ERROR SUMMARY:.*(suppressed: \([0-9,]*\) from.*/\1/p' "$f" | tail -1 | tr -d ,)
		errors=$((errors + e))
		defin=$((defin + ${d:-0}))
		supp=$((supp + ${s:-0}))
	done
	echo "$procs $execd $errors $defin $rc $supp"
}

# vg_report DIR: the lines of DIR's logs worth reading after a failure:
# error kinds with their first frames, leak and error summaries, and the
# command's own output.
vg_report() {
	local dir=$1 f
	for f in $(find "$dir" -name 'vg.*' -type f | sort); do
		grep -q -E 'ERROR SUMMARY: [1-9]|definitely lost: [1-9]' "$f" || continue
		echo "${f#"$VG_LOGS"/}:"
		grep -v -E 'unhandled amd64-linux syscall|README_MISSING|Nevertheless we|bug_reports|own handler|^==[0-9]+== *$' "$f" |
			grep -E -A8 'Invalid|uninitialised|Syscall param|definitely lost in|Mismatched|overlap|Source and dest|ERROR SUMMARY|definitely lost:' |
			head -60
	done
	echo "command output (exit $(cat "$dir/rc" 2>/dev/null)):"
	head -20 "$dir/out"
}
