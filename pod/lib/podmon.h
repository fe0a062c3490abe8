/* SPDX-License-Identifier: MIT
 * The per-container monitor.  `pod` exits right after starting a container,
 * so something else must be the parent that collects its exit status: a
 * forked process that is a session leader and a child subreaper, runs
 * `RUNTIME run -d` (the container, orphaned when the runtime exits, is
 * reparented to it), waits for the container, writes its status atomically
 * to DIR/exit.json, runs `RUNTIME delete` and exits.  Its stdio is the
 * container's log file, so the runtime's errors land there too. */
#ifndef POD_MON_H
#define POD_MON_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "error.h"

struct pod_run {
  const char *runtime;      /* path of runc/crun/podrun */
  const char *runtime_root; /* its --root */
  const char *bundle;       /* dir holding config.json */
  const char *id;           /* runtime container ID */
  const char *dir;          /* state dir: log, pid, exit.json */
};

/* Starts the monitor and waits until the container runs: *monitor and *cpid
 * are the monitor's and the container's pids.  On failure the runtime's
 * last log line is the reason, and nothing of the container is left in the
 * runtime. */
int pod_monitor_start(const struct pod_run *r, pid_t *monitor, pid_t *cpid, pk_error **err);

struct pod_exit {
  bool signaled;      /* killed by `sig` */
  bool unknown;       /* exited but the status could not be collected */
  int code;           /* exit code, or the signal number when signaled */
  long long finished; /* epoch seconds */
};
/* 0 and *out when DIR/exit.json exists, 1 when it does not (still running
 * or never started), <0 on a broken file. */
int pod_exit_read(const char *dir, struct pod_exit *out, pk_error **err);
int pod_exit_write(const char *dir, int wstatus, bool unknown, pk_error **err);
/* "exited 7", "killed by SIGKILL", "exited (status unknown)" */
const char *pod_exit_str(const struct pod_exit *e, char *buf, size_t len);

/* true when pid is alive and is the process that started at `start` (a
 * recycled pid has another start time). */
bool pod_pid_alive(pid_t pid, unsigned long long start);

#endif
