/* SPDX-License-Identifier: MIT
 * pod-pause: the PID 1 of a pod.  It holds the pod's namespaces open, reaps
 * every child that gets reparented to it (members that share its pid
 * namespace orphan their children here), and exits cleanly on TERM or INT.
 * Static and tiny: it runs alone in an otherwise empty rootfs. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static void fds_close_inherited(void) {
  /* Only stdio survives: an inherited fd could pin a file system or a
   * socket of the runtime that started us for the pod's whole life. */
#ifdef SYS_close_range
  if (syscall(SYS_close_range, 3U, ~0U, 0U) == 0)
    return;
#endif
  for (int fd = 3; fd < 1024; fd++)
    close(fd);
}

int main(int argc, char **argv) {
  sigset_t set;
  int sig;

  if (argc > 1 && (strcmp(argv[1], "-v") == 0 || strcmp(argv[1], "--version") == 0)) {
    printf("pod-pause " PODKIT_VERSION "\n");
    return 0;
  }
  fds_close_inherited();
  if (chdir("/") < 0)
    return 1;
  if (getpid() != 1)
    /* Not PID 1 (pid namespace not shared): still reap what is ours. */
    prctl(PR_SET_CHILD_SUBREAPER, 1);

  /* Block the signals we handle and take them synchronously: no handler
   * runs concurrently with waitpid, and PID 1 ignores unhandled signals
   * anyway. */
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGCHLD);
  sigprocmask(SIG_BLOCK, &set, NULL);

  for (;;) {
    if (sigwait(&set, &sig) != 0)
      continue;
    if (sig == SIGCHLD) {
      while (waitpid(-1, NULL, WNOHANG) > 0)
        ;
      continue;
    }
    /* TERM/INT: exit 0 so that `pod stop` records a clean stop; the
     * kernel kills the rest of the pid namespace when PID 1 exits. */
    return 0;
  }
}
