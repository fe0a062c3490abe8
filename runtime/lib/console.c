/* SPDX-License-Identifier: MIT */
#include "console.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "cleanup.h"
#include "util.h"

int console_socket_connect(const char *path, pk_error **err) {
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  cleanup_close int fd = -1;

  if (strlen(path) >= sizeof(addr.sun_path))
    return error_set(err, ENAMETOOLONG, "console socket %s", path);
  strcpy(addr.sun_path, path);
  fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return error_set(err, errno, "console socket %s", path);
  if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0)
    return error_set(err, errno, "connect to console socket %s", path);
  return take_fd(&fd);
}

int console_fd_send(int sock, int fd, const char *name, pk_error **err) {
  struct iovec iov = {.iov_base = (void *)name, .iov_len = strlen(name)};
  if (sock_send_fd(sock, &iov, 1, fd) < 0)
    return error_set(err, errno, "send the pty master over the console socket");
  return 0;
}

int console_pty_setup(int sock, unsigned rows, unsigned cols, bool bind_console, pk_error **err) {
  cleanup_close int master = -1;
  cleanup_close int slave = -1;
  char slave_path[64];
  int unlock = 0, n = 0;

  master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0)
    return error_set(err, errno, "open /dev/ptmx");
  if (ioctl(master, TIOCSPTLCK, &unlock) < 0)
    return error_set(err, errno, "unlock pty");
  if (ioctl(master, TIOCGPTN, &n) < 0)
    return error_set(err, errno, "pty number");
  snprintf(slave_path, sizeof(slave_path), "/dev/pts/%d", n);
  /* TIOCGPTPEER opens the slave of exactly this master, not whatever a path
   * lookup finds */
  slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (slave < 0)
    slave = open(slave_path, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (slave < 0)
    return error_set(err, errno, "open %s", slave_path);
  if (rows || cols) {
    struct winsize ws = {.ws_row = (unsigned short)rows, .ws_col = (unsigned short)cols};
    if (ioctl(slave, TIOCSWINSZ, &ws) < 0)
      return error_set(err, errno, "set the console size");
  }
  if (bind_console) {
    int t = open("/dev/console", O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (t >= 0)
      close(t);
    if (mount(slave_path, "/dev/console", NULL, MS_BIND, NULL) < 0)
      return error_set(err, errno, "bind %s on /dev/console", slave_path);
  }
  if (console_fd_send(sock, master, "/dev/ptmx", err) < 0)
    return -1;
  for (int fd = 0; fd <= 2; fd++)
    if (dup2(slave, fd) < 0)
      return error_set(err, errno, "dup the pty onto fd %d", fd);
  if (ioctl(0, TIOCSCTTY, 0) < 0)
    return error_set(err, errno, "make the pty the controlling terminal");
  return 0;
}
