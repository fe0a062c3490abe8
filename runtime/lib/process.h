/* SPDX-License-Identifier: MIT
 * The container process's own attributes, applied by its init just before
 * exec: rlimits, oom_score_adj, user and groups, capabilities,
 * noNewPrivileges, umask, cwd, the executable's path and the fd table. */
#ifndef PODKIT_PROCESS_H
#define PODKIT_PROCESS_H

#include <signal.h>
#include <stdbool.h>

#include "error.h"
#include "spec.h"

/* process.rlimits; raising a hard limit needs CAP_SYS_RESOURCE, which the
 * error then says. */
int process_rlimits_apply(const struct spec_process *p, pk_error **err);

/* process.oomScoreAdj through /proc/self/oom_score_adj. */
int process_oom_score_adj_set(const struct spec_process *p, pk_error **err);

/* Groups, gid, uid (capabilities kept across the change), then the five
 * capability sets exactly as given, and noNewPrivileges. */
int process_identity_apply(const struct spec_process *p, pk_error **err);

/* umask (default 0022) and chdir(process.cwd). */
int process_cwd_umask_apply(const struct spec_process *p, pk_error **err);

/* Resolve process.args[0] against the PATH of process.env (inside the
 * container, after the pivot) as execvp would; the error reads
 * `exec "foo": executable file not found in $PATH: no such file or directory`
 * or `exec "/x": permission denied`.  *path is malloc'ed. */
int process_exec_path(const struct spec_process *p, char **path, pk_error **err);

/* The container's fd table: 0-2, plus 3..3+n_keep-1 made inheritable; every
 * other fd is marked close-on-exec so it is gone after execve. */
int process_fds_prepare(int n_keep, pk_error **err);

/* process.env for execve: HOME added from the container's /etc/passwd
 * when missing (as runc does), LISTEN_FDS/LISTEN_PID when fds were passed
 * by socket activation. */
char **process_env_build(const struct spec_process *p, int n_listen);

/* Number of fds systemd passed (LISTEN_FDS for this pid), 0 if none. */
int process_listen_fds(void);

/* Signal mask emptied and dispositions back to default before exec. */
void process_signals_reset(void);

/* The signals a foreground `run` or `exec` forwards to its process: all a
 * caller may send, minus the uncatchable ones and faults, which stay
 * deliverable to podrun itself.  Block them before the fork so that nothing
 * sent meanwhile is lost. */
void process_forward_sigset(sigset_t *set);

/* Forward every signal of `set` to pid until it exits (the set must be
 * blocked); returns its exit status, 128+N for a signal.  Only pid is
 * reaped: hooks reap their own children. */
int process_wait_forwarding(pid_t pid, const sigset_t *set);

#endif
