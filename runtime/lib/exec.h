/* SPDX-License-Identifier: MIT
 * `podrun exec`: a new process in a running (or created) container, as runc
 * starts one.  The container is found by its init's pid, pinned with a pidfd
 * and checked against the start time in state.json, so a recycled pid is
 * never joined.
 *
 * One fork, no re-exec: podrun joins the container's pid namespace (which
 * only affects its children), forks, and the child joins the container's
 * cgroup (still with the host's credentials and mount table), then every
 * other namespace at once with setns(pidfd, flags) (per-namespace fds on
 * kernels before 5.8), then applies the process's attributes and execs.  The
 * child reports a failure over a close-on-exec socket, so EOF there means
 * the execve happened.
 *
 * The process comes from config.json's process section with the command
 * line's overrides, as runc does (-e appends, --cap adds to the bounding,
 * effective and permitted sets, -u sets uid and maybe gid), or whole from
 * --process FILE (an OCI process object; rlimits, apparmorProfile and
 * selinuxLabel fall back to config.json's when it has none).  The
 * container's seccomp profile applies to it as to the init. */
#ifndef PODKIT_EXEC_H
#define PODKIT_EXEC_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "error.h"

struct exec_opts {
  const char *root; /* state root */
  const char *id;
  const char *process_file; /* --process: whole OCI process JSON; args unused */
  char *const *args;        /* NULL-terminated command unless process_file */
  bool tty, tty_set;        /* -t (process.terminal with process_file) */
  const char *console_socket;
  bool detach;
  const char *pid_file;
  char *const *env; /* -e K=V, in order (later ones win) */
  size_t n_env;
  const char *cwd;
  bool has_uid, has_gid; /* -u UID[:GID] */
  uid_t uid;
  gid_t gid;
  const gid_t *additional_gids; /* appended to the config's */
  size_t n_additional_gids;
  char *const *caps; /* --cap names, "CAP_X" or "X" */
  size_t n_caps;
  bool no_new_privs, no_new_privs_set;
  int preserve_fds;
  const char *apparmor, *process_label;
  bool ignore_paused;
};

/* Run the process.  In the foreground it waits, forwarding signals, and
 * *exit_code is the process's status (128+N for a signal); detached it
 * returns once the process has exec'd (pid file written first) with
 * *exit_code 0.  Errors read "cannot exec in a stopped container",
 * "container ID does not exist", `exec: "x": executable file not found in
 * $PATH`, ...; the caller adds "exec ID". */
int container_exec(const struct exec_opts *o, int *exit_code, pk_error **err);

#endif
