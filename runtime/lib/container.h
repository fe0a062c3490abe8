/* SPDX-License-Identifier: MIT
 * Container lifecycle as podrun's commands see it: create (everything set
 * up, the user process waiting on ROOT/ID/exec.fifo), start, run, state,
 * list, kill, delete, spec.  Every function validates the ID and reports
 * errors worded the way runc's callers match them ("does not exist",
 * "container not running").
 *
 * create forks exactly one process, with clone3 and the CLONE_NEW* flags: it
 * becomes the container's init and execs the user process on `start`; podrun
 * itself never re-execs.  Parent and child talk over one SOCK_SEQPACKET pair:
 *   parent -> child  GO        (id maps written; the child then moves
 *                               itself into the cgroup the parent made
 *                               before the clone, or was cloned into it)
 *   child  -> parent HOOKS     (namespaces and mounts ready; parent runs
 *                               prestart + createRuntime)
 *   parent -> child  CONTINUE  (payload: the state JSON for the container's
 *                               own hooks)
 *   child  -> parent SECCOMP   (SCMP_ACT_NOTIFY only: the listener fd, which
 *                               the parent hands to listenerPath)
 *   child  -> parent READY | ERROR (payload: the message)
 * The cgroup is ROOT's state.json "cgroup_path"; delete removes it after
 * killing whatever is left in it.  The compiled seccomp filters are cached
 * in ROOT/.seccomp-cache/ (a dot name: never a container ID to `list`).
 */
#ifndef PODKIT_CONTAINER_H
#define PODKIT_CONTAINER_H

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

#include "error.h"

struct container_opts {
  const char *root; /* state root, e.g. /run/podrun */
  const char *id;
  const char *bundle;         /* NULL: the cwd */
  const char *pid_file;       /* NULL: none */
  const char *console_socket; /* NULL: none */
  bool no_pivot;
  int preserve_fds;    /* fds 3..3+N-1 stay open in the container */
  bool detach;         /* run: return once started */
  bool keep;           /* run: do not delete after the container exits */
  bool systemd_cgroup; /* --systemd-cgroup: refused, see container_create */
};

enum container_list_format { CONTAINER_LIST_TABLE, CONTAINER_LIST_JSON };

/* Write the default config.json into bundle (NULL: cwd); refuses to
 * overwrite one ("File config.json exists. Remove it first"). */
int container_spec_write(const char *bundle, pk_error **err);

int container_create(const struct container_opts *o, pk_error **err);
int container_start(const char *root, const char *id, pk_error **err);
/* create + start; in the foreground signals are forwarded and *exit_code is
 * the container's status (128+N for a signal); detached it is 0. */
int container_run(const struct container_opts *o, int *exit_code, pk_error **err);

/* Print the state JSON (status computed live) to stdout. */
int container_state_print(const char *root, const char *id, pk_error **err);
int container_list_print(const char *root, enum container_list_format fmt, bool quiet,
                         pk_error **err);

int container_kill(const char *root, const char *id, int sig, bool all, pk_error **err);
/* force: kill a running container first; a missing ID is then no error. */
int container_delete(const char *root, const char *id, bool force, pk_error **err);

/* The container's host pids from its cgroup: a table (PID, CMD) or a JSON
 * array of pids. */
int container_ps(const char *root, const char *id, bool json, pk_error **err);

/* Freeze / thaw the container's cgroup; status `paused` in between. */
int container_pause(const char *root, const char *id, pk_error **err);
int container_resume(const char *root, const char *id, pk_error **err);

/* Apply linux.resources-shaped JSON to a live container's cgroup. */
int container_update(const char *root, const char *id, json_t *resources, pk_error **err);

/* runc's events: JSON lines {"type":"stats","id","data":{cpu,memory,pids}}
 * every interval_ms and {"type":"oom","id"} when the OOM killer struck, until
 * the container stops; stats_once prints one stats line and returns. */
int container_events(const char *root, const char *id, bool stats_once, long interval_ms,
                     pk_error **err);

/* The OCI features document of this build. */
int container_features_print(pk_error **err);

/* "KILL", "SIGKILL", "9", "RTMIN+3". */
int container_signal_parse(const char *s, int *sig, pk_error **err);

#endif
