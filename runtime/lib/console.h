/* SPDX-License-Identifier: MIT
 * process.terminal with --console-socket: the parent connects to the socket,
 * the container's init makes a pty inside the container (so the slave lives
 * on the container's devpts), makes the slave its stdio and controlling
 * terminal, and sends the master over the socket with SCM_RIGHTS, as runc
 * does for conmon and containerd-shim. */
#ifndef PODKIT_CONSOLE_H
#define PODKIT_CONSOLE_H

#include <stdbool.h>

#include "error.h"

/* Connect to the unix socket at path; returns the fd. */
int console_socket_connect(const char *path, pk_error **err);

/* In the container after the pivot: new pty, window size (0 = leave),
 * slave on 0/1/2 and as the controlling terminal of the (new) session,
 * bound onto /dev/console if bind_console (the init's, not an exec's),
 * master sent over sock and closed. */
int console_pty_setup(int sock, unsigned rows, unsigned cols, bool bind_console, pk_error **err);

/* Send fd over the unix socket sock with SCM_RIGHTS; `name` is the message
 * payload runc sends along (the pty's path). */
int console_fd_send(int sock, int fd, const char *name, pk_error **err);

#endif
