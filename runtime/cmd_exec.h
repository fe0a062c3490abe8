/* SPDX-License-Identifier: MIT
 * The `exec` command line.  It parses its own arguments: as with runc,
 * options end at the container ID and everything after it is the command,
 * options of the command included (`podrun exec web1 sh -c 'exit 5'`). */
#ifndef PODKIT_CMD_EXEC_H
#define PODKIT_CMD_EXEC_H

/* For podrun's command list. */
#define CMD_EXEC_USAGE                                                                             \
  "exec [-t] [-d] [--console-socket S] [--pid-file F] [-e K=V]... [--cwd D] [-u UID[:GID]] "       \
  "[-g GID]... [--cap CAP]... [--no-new-privs] [--preserve-fds N] [--apparmor P] "                 \
  "[--process-label L] [--ignore-paused] (ID CMD [ARGS...] | -p FILE ID)"

/* argv[0] is "exec", root the global --root.  Returns podrun's exit status:
 * the process's own (128+N for a signal), 0 after -d, 255 when exec itself
 * failed (as runc), with the error already reported through
 * log_report_error() as "podrun: exec ID: ...". */
int cmd_exec(const char *root, int argc, char **argv);

#endif
