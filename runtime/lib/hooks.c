/* SPDX-License-Identifier: MIT */
#include "hooks.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "log.h"
#include "util.h"

/* Wait for pid for at most timeout_ms (<0: forever).  Returns 0 with
 * *status filled, or -1 with errno ETIMEDOUT after killing it. */
static int hook_wait(pid_t pid, int timeout_ms, int *status) {
  if (timeout_ms >= 0) {
    cleanup_close int pfd = proc_pidfd_open(pid);
    if (pfd >= 0) {
      struct pollfd p = {.fd = pfd, .events = POLLIN};
      struct timespec start, now;
      int left = timeout_ms, r;
      clock_gettime(CLOCK_MONOTONIC, &start);
      for (;;) {
        r = poll(&p, 1, left);
        if (r > 0)
          break;
        if (r == 0 || (r < 0 && errno != EINTR)) {
          kill(pid, SIGKILL);
          waitpid(pid, status, 0);
          errno = ETIMEDOUT;
          return -1;
        }
        clock_gettime(CLOCK_MONOTONIC, &now);
        left = timeout_ms -
               (int)((now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000);
        if (left < 0)
          left = 0;
      }
    }
  }
  while (waitpid(pid, status, 0) < 0) {
    if (errno != EINTR)
      return -1;
  }
  return 0;
}

static int hook_run_one(const struct spec_hook *h, const char *kind, const char *state_json,
                        pk_error **err) {
  int sv[2];
  pid_t pid;
  int status = 0;
  char *const default_argv[] = {h->path, NULL};
  char *const empty_env[] = {NULL};

  /* A socket rather than a pipe: send(MSG_NOSIGNAL) never raises SIGPIPE
   * when a hook exits without reading its stdin. */
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
    return error_set(err, errno, "%s hook %s: socketpair", kind, h->path);
  pid = fork();
  if (pid < 0) {
    int e = errno;
    close(sv[0]);
    close(sv[1]);
    return error_set(err, e, "%s hook %s: fork", kind, h->path);
  }
  if (pid == 0) {
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    shutdown(sv[1], SHUT_WR);
    if (dup2(sv[1], STDIN_FILENO) < 0)
      _exit(127);
    execve(h->path, h->args && h->args[0] ? h->args : default_argv, h->env ? h->env : empty_env);
    dprintf(STDERR_FILENO, "%s hook %s: exec: %s\n", kind, h->path, strerror(errno));
    _exit(127);
  }
  close(sv[1]);
  if (state_json) {
    size_t len = strlen(state_json), off = 0;
    while (off < len) {
      ssize_t n = send(sv[0], state_json + off, len - off, MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EINTR)
          continue;
        break; /* the hook closed its stdin: its exit status decides */
      }
      off += (size_t)n;
    }
  }
  close(sv[0]);
  if (hook_wait(pid, h->has_timeout ? h->timeout * 1000 : -1, &status) < 0) {
    if (errno == ETIMEDOUT)
      return error_set(err, 0, "%s hook %s: timed out after %d s", kind, h->path, h->timeout);
    return error_set(err, errno, "%s hook %s: wait", kind, h->path);
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
    return 0;
  if (WIFEXITED(status))
    return error_set(err, 0, "%s hook %s: exited with status %d", kind, h->path,
                     WEXITSTATUS(status));
  return error_set(err, 0, "%s hook %s: killed by signal %d (%s)", kind, h->path, WTERMSIG(status),
                   strsignal(WTERMSIG(status)));
}

int hooks_run(const struct spec *s, enum spec_hook_kind kind, const char *state_json,
              pk_error **err) {
  const struct spec_hooks *hs = &s->hooks[kind];
  for (size_t i = 0; i < hs->n; i++) {
    log_debug("running %s hook %s", spec_hook_kind_name(kind), hs->list[i].path);
    if (hook_run_one(&hs->list[i], spec_hook_kind_name(kind), state_json, err) < 0)
      return -1;
  }
  return 0;
}

void hooks_run_all_warn(const struct spec *s, enum spec_hook_kind kind, const char *state_json) {
  const struct spec_hooks *hs = &s->hooks[kind];
  for (size_t i = 0; i < hs->n; i++) {
    cleanup_error pk_error *err = NULL;
    if (hook_run_one(&hs->list[i], spec_hook_kind_name(kind), state_json, &err) < 0)
      log_warn("%s", err->msg);
  }
}
