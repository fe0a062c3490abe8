#!/usr/bin/env bats
# linux.seccomp in podrun (seccomp_filter.c wired into container.c): the
# filter's effect seen from inside (Seccomp: 2, a blocked syscall's errno),
# argument conditions, defaultErrnoRet, flags, the examples/ profile and its
# compiled-filter cache under ROOT/.seccomp-cache, SCMP_ACT_NOTIFY with a
# real listener (a small C program built here), and create errors.

PODKIT_TOP=${PODKIT_TOP:-$(cd "$BATS_TEST_DIRNAME/../.." && pwd)}
PODKIT_BUILD=${PODKIT_BUILD:-$PODKIT_TOP/build}
PODRUN=$PODKIT_BUILD/podrun
T=$BATS_FILE_TMPDIR
ROOT=$T/rt-root
BASE=$T/base

rprefix() { cat "$T/prefix"; }
rid() { echo "$(rprefix)-$1"; }
P() { "$PODRUN" --root "$ROOT" "$@"; }

# mkbundle NAME JQ-FILTER: a bundle sharing the busybox rootfs, config.json
# from the default spec (terminal false) with the filter applied.
mkbundle() {
	local b=$T/$1
	mkdir -p "$b"
	ln -sfn "$BASE/rootfs" "$b/rootfs"
	jq "$2" "$BASE/config.json" >"$b/config.json"
	echo "$b"
}

args() { # args CMD... -> a JSON array for process.args
	local a
	for a in "$@"; do jq -n --arg a "$a" '$a'; done | jq -sc .
}

rt_setup_file() {
	mkdir -p "$ROOT" "$BASE"
	"$PODKIT_TOP/scripts/mkrootfs.sh" "$BASE/rootfs" >/dev/null
	(cd "$BASE" && "$PODRUN" spec)
	jq '.process.terminal = false' "$BASE/config.json" >"$BASE/c" && mv "$BASE/c" "$BASE/config.json"
	echo "rt$$" >"$T/prefix"
}

# Kill what is in a cgroup directory (and below), then remove it.
rt_cg_remove() {
	local d=$1 sub p
	[ -d "$d" ] || return 0
	for sub in "$d"/*/; do
		[ -d "$sub" ] && rt_cg_remove "${sub%/}"
	done
	for _ in $(seq 50); do
		rmdir "$d" 2>/dev/null && return 0
		[ -d "$d" ] || return 0
		echo 0 >"$d/freezer.state" 2>/dev/null || true
		echo THAWED >"$d/freezer.state" 2>/dev/null || true
		for p in $(cat "$d/cgroup.procs" 2>/dev/null); do kill -9 "$p" 2>/dev/null || true; done
		sleep 0.1
	done
}

rt_cleanup() {
	local id h d pre
	pre=$(rprefix)
	for id in $("$PODRUN" --root "$ROOT" list -q 2>/dev/null); do
		"$PODRUN" --root "$ROOT" delete -f "$id" >/dev/null 2>&1 || true
	done
	for h in /sys/fs/cgroup/*/; do
		for d in "$h$pre"-* "${h}podrun/$pre"-*; do
			[ -d "$d" ] && rt_cg_remove "${d%/}"
		done
		for d in "$h"*/"$pre"-* "$h"*/*/"$pre"-*; do
			[ -d "$d" ] && rt_cg_remove "${d%/}"
		done
	done
	return 0
}

rt_teardown_file() {
	rt_cleanup
	rm -rf "$ROOT"
}

setup_file() {
	rt_setup_file
	# The notify listener: takes the fd and the state over SCM_RIGHTS and
	# answers each notification with ENOSPC.
	cat >"$T/listener.c" <<'CEOF'
/* seccomp notify listener for podrun_seccomp.bats: takes the fd and the
 * state from podrun over a unix socket, writes the state to a file and
 * answers every notification with ENOSPC until the container is gone. */
#include <errno.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

int main(int argc, char **argv) {
  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  char buf[65536], cbuf[CMSG_SPACE(sizeof(int))];
  struct iovec iov = {buf, sizeof(buf) - 1};
  struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf)};
  struct seccomp_notif_sizes sz;
  int s, c, fd = -1, handled = 0;
  ssize_t n;
  FILE *out;

  if (argc != 3)
    return 2;
  alarm(120);
  strncpy(sa.sun_path, argv[1], sizeof(sa.sun_path) - 1);
  s = socket(AF_UNIX, SOCK_STREAM, 0);
  if (s < 0 || bind(s, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(s, 1) < 0)
    return perror("listen"), 1;
  c = accept(s, NULL, NULL);
  if (c < 0)
    return perror("accept"), 1;
  n = recvmsg(c, &m, 0);
  if (n <= 0)
    return perror("recvmsg"), 1;
  for (struct cmsghdr *cm = CMSG_FIRSTHDR(&m); cm; cm = CMSG_NXTHDR(&m, cm))
    if (cm->cmsg_type == SCM_RIGHTS)
      memcpy(&fd, CMSG_DATA(cm), sizeof(int));
  buf[n] = 0;
  /* the rest of a long state */
  while ((size_t)n < sizeof(buf) - 1) {
    ssize_t k = read(c, buf + n, sizeof(buf) - 1 - (size_t)n);
    if (k <= 0)
      break;
    n += k;
  }
  buf[n] = 0;
  out = fopen(argv[2], "w");
  fprintf(out, "%s\n", buf);
  fclose(out);
  if (fd < 0)
    return fprintf(stderr, "no fd\n"), 1;
  if (syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sz) < 0)
    return perror("sizes"), 1;
  for (;;) {
    struct pollfd p = {fd, POLLIN, 0};
    if (poll(&p, 1, -1) < 0 && errno != EINTR)
      break;
    if (p.revents & POLLHUP)
      break;
    struct seccomp_notif *req = calloc(1, sz.seccomp_notif);
    struct seccomp_notif_resp *resp = calloc(1, sz.seccomp_notif_resp);
    if (ioctl(fd, SECCOMP_IOCTL_NOTIF_RECV, req) < 0) {
      free(req), free(resp);
      if (errno == EINTR || errno == ENOENT)
        continue;
      break;
    }
    resp->id = req->id;
    resp->error = -ENOSPC;
    ioctl(fd, SECCOMP_IOCTL_NOTIF_SEND, resp);
    handled++;
    free(req), free(resp);
  }
  out = fopen(argv[2], "a");
  fprintf(out, "handled=%d\n", handled);
  fclose(out);
  return 0;
}
CEOF
	cc -O1 -o "$T/listener" "$T/listener.c"
}

teardown() {
	local p
	for p in $(cat "$T/pids" 2>/dev/null); do kill -9 "$p" 2>/dev/null || true; done
	rm -f "$T/pids"
	rt_cleanup
}

teardown_file() { rt_teardown_file; }

@test "seccomp: filter mode 2, a blocked syscall fails with its errno, others pass" {
	b=$(mkbundle errno ".process.noNewPrivileges = false | .linux.seccomp = {defaultAction: \"SCMP_ACT_ALLOW\", syscalls: [
		{names: [\"mkdir\", \"mkdirat\"], action: \"SCMP_ACT_ERRNO\", errnoRet: 1}]} |
		.process.args = $(args sh -c 'grep "^Seccomp:" /proc/self/status; grep NoNewPrivs /proc/self/status; mkdir /dev/shm/x; echo rc=$?; touch /dev/shm/f && echo touched')")
	run P run -b "$b" "$(rid errno)"
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "Seccomp:"*2 ]]
	[[ "${lines[1]}" == "NoNewPrivs:"*0 ]]
	[[ "$output" == *"mkdir: can't create directory '/dev/shm/x': Operation not permitted"* ]]
	[[ "$output" == *"rc=1"* ]]
	[[ "$output" == *touched* ]]
}

@test "seccomp: with noNewPrivileges the filter is installed just before exec" {
	b=$(mkbundle nnp ".process.noNewPrivileges = true | .linux.seccomp = {defaultAction: \"SCMP_ACT_ALLOW\",
		syscalls: [{names: [\"mkdir\", \"mkdirat\"], action: \"SCMP_ACT_ERRNO\", errnoRet: 1}]} |
		.process.args = $(args sh -c 'grep "^Seccomp:" /proc/self/status; grep NoNewPrivs /proc/self/status; mkdir /dev/shm/x')")
	run P run -b "$b" "$(rid nnp)"
	[ "$status" -eq 1 ]
	[[ "${lines[0]}" == "Seccomp:"*2 ]]
	[[ "${lines[1]}" == "NoNewPrivs:"*1 ]]
	[[ "$output" == *"Operation not permitted"* ]]
}

@test "seccomp: argument conditions (EQ and MASKED_EQ) and errnoRet" {
	b=$(mkbundle args ".linux.seccomp = {defaultAction: \"SCMP_ACT_ALLOW\", syscalls: [
		{names: [\"chmod\"], action: \"SCMP_ACT_ERRNO\", errnoRet: 28, args: [{index: 1, value: 448, op: \"SCMP_CMP_EQ\"}]},
		{names: [\"fchmodat\"], action: \"SCMP_ACT_ERRNO\", errnoRet: 28, args: [{index: 2, value: 448, op: \"SCMP_CMP_EQ\"}]},
		{names: [\"chmod\"], action: \"SCMP_ACT_ERRNO\", errnoRet: 13, args: [{index: 1, value: 7, valueTwo: 7, op: \"SCMP_CMP_MASKED_EQ\"}]},
		{names: [\"fchmodat\"], action: \"SCMP_ACT_ERRNO\", errnoRet: 13, args: [{index: 2, value: 7, valueTwo: 7, op: \"SCMP_CMP_MASKED_EQ\"}]}]} |
		.process.args = $(args sh -c 'touch /dev/shm/f; chmod 700 /dev/shm/f; echo a=$?; chmod 755 /dev/shm/f; echo b=$?; chmod 757 /dev/shm/f; echo c=$?; stat -c %a /dev/shm/f')")
	run P run -b "$b" "$(rid args)"
	[ "$status" -eq 0 ]
	[[ "$output" == *"No space left on device"* ]]
	[[ "$output" == *"Permission denied"* ]]
	[[ "$output" == *"a=1"* ]]
	[[ "$output" == *"b=0"* ]]
	[[ "$output" == *"c=1"* ]]
	[ "${lines[-1]}" = 755 ]
}

@test "seccomp: defaultAction ERRNO with defaultErrnoRet, and flags" {
	# what busybox needs allowed by name; mkdir refused by the default action
	b=$(mkbundle deflt ".linux.seccomp = $(jq -c '.defaultErrnoRet = 38 | .flags = ["SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW"] |
		.syscalls |= map(.names |= map(select(. != "mkdir" and . != "mkdirat")))' "$PODKIT_TOP/examples/seccomp-default.json") |
		.process.args = $(args sh -c 'echo hi; mkdir /dev/shm/d; echo rc=$?')")
	run P run -b "$b" "$(rid deflt)"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = hi ]
	[[ "$output" == *"Function not implemented"* ]]
	[[ "$output" == *"rc=1"* ]]
}

@test "seccomp: the examples/ default profile runs busybox, compiled once then cached" {
	prof=$(jq -c . "$PODKIT_TOP/examples/seccomp-default.json")
	b=$(mkbundle prof ".linux.seccomp = $prof |
		.process.args = $(args sh -c 'grep "^Seccomp:" /proc/self/status; ls / >/dev/null && echo ls-ok; echo x | sed s/x/y/')")
	P() { "$PODRUN" --root "$T/root-cache" "$@"; }
	run P run -b "$b" "$(rid prof1)"
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "Seccomp:"*2 ]]
	[ "${lines[1]}" = ls-ok ]
	[ "${lines[2]}" = y ]
	files=("$T"/root-cache/.seccomp-cache/*)
	[ "${#files[@]}" -eq 1 ]
	[ -f "${files[0]}" ]
	before=$(stat -c '%i %Y.%y' "${files[0]}")
	sleep 1.1
	run P run -b "$b" "$(rid prof2)"
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "Seccomp:"*2 ]]
	files2=("$T"/root-cache/.seccomp-cache/*)
	[ "${#files2[@]}" -eq 1 ]
	# a cache hit reads the file and never rewrites it
	[ "$(stat -c '%i %Y.%y' "${files[0]}")" = "$before" ]
	# the cache is no container
	[ -z "$(P list -q)" ]
}

@test "seccomp: SCMP_ACT_NOTIFY hands the listener fd and the state to listenerPath" {
	sock=$T/l.sock
	"$T/listener" "$sock" "$T/l.out" &
	lpid=$!
	echo "$lpid" >>"$T/pids"
	for _ in $(seq 100); do
		[ -S "$sock" ] && break
		sleep 0.05
	done
	i=$(rid notify)
	b=$(mkbundle notify ".linux.seccomp = {defaultAction: \"SCMP_ACT_ALLOW\", listenerPath: \"$sock\",
		listenerMetadata: \"rt-meta\",
		syscalls: [{names: [\"mkdir\", \"mkdirat\"], action: \"SCMP_ACT_NOTIFY\"}]} |
		.process.args = $(args sh -c 'mkdir /dev/shm/n; echo rc=$?')")
	run P run -b "$b" "$i"
	[ "$status" -eq 0 ]
	[[ "$output" == *"No space left on device"* ]]
	[[ "$output" == *"rc=1"* ]]
	for _ in $(seq 100); do
		grep -q handled= "$T/l.out" 2>/dev/null && break
		sleep 0.1
	done
	wait "$lpid"
	head -1 "$T/l.out" | jq -e --arg i "$i" '.fds == ["seccompFd"] and .metadata == "rt-meta" and
		.state.id == $i and .pid > 0 and .ociVersion != null'
	grep -qx "handled=1" "$T/l.out"
}

@test "seccomp: a bad profile fails create, leaving nothing" {
	i=$(rid bad)
	b=$(mkbundle bad ".linux.seccomp = {defaultAction: \"SCMP_ACT_ALLOW\", syscalls: [{names: [\"mkdir\"], action: \"SCMP_ACT_BOGUS\"}]}")
	run P create -b "$b" "$i"
	[ "$status" -ne 0 ]
	[[ "$output" == *"linux.seccomp.syscalls[0].action"* ]]
	[ ! -e "$ROOT/$i" ]
	for h in /sys/fs/cgroup/*/; do [ ! -e "${h}podrun/$i" ]; done
	b=$(mkbundle bad2 ".linux.seccomp = {defaultAction: \"SCMP_ACT_ALLOW\", syscalls: [{names: [\"mkdir\"], action: \"SCMP_ACT_NOTIFY\"}]}")
	run P create -b "$b" "$i"
	[ "$status" -ne 0 ]
	[[ "$output" == *"linux.seccomp.listenerPath: required"* ]]
	[ ! -e "$ROOT/$i" ]
}

@test "seccomp: podrun spec writes no seccomp section" {
	mkdir -p "$T/specdir"
	(cd "$T/specdir" && "$PODRUN" spec)
	[ "$(jq '.linux.seccomp' "$T/specdir/config.json")" = null ]
}
