/* seccomp notify listener for podrun_exec.bats and podrun_seccomp.bats:
 * takes the fd and the state from podrun over a unix socket, writes the
 * state to a file and answers every notification with ENOSPC until the
 * container is gone.  Usage: listener SOCKET OUT */
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
  struct msghdr m = {
      .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf)};
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
