/* SPDX-License-Identifier: MIT */
#include "podmon.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "util.h"

bool pod_pid_alive(pid_t pid, unsigned long long start) {
  if (pid <= 0)
    return false;
  unsigned long long s = proc_start_time(pid);
  if (s == 0 || (start && s != start))
    return false;
  return proc_state(pid) != 'Z';
}

int pod_exit_write(const char *dir, int wstatus, bool unknown, pk_error **err) {
  char path[4096], buf[160];
  int n;

  snprintf(path, sizeof(path), "%s/exit.json", dir);
  if (unknown)
    n = snprintf(buf, sizeof(buf), "{\"unknown\": true, \"finished\": %lld}\n",
                 (long long)time(NULL));
  else if (WIFSIGNALED(wstatus))
    n = snprintf(buf, sizeof(buf), "{\"signal\": %d, \"finished\": %lld}\n", WTERMSIG(wstatus),
                 (long long)time(NULL));
  else
    n = snprintf(buf, sizeof(buf), "{\"exit_code\": %d, \"finished\": %lld}\n",
                 WEXITSTATUS(wstatus), (long long)time(NULL));
  return file_write_atomic(path, buf, (size_t)n, 0644, err);
}

int pod_exit_read(const char *dir, struct pod_exit *out, pk_error **err) {
  char path[4096];
  json_error_t jerr;
  json_t *j, *v;

  snprintf(path, sizeof(path), "%s/exit.json", dir);
  memset(out, 0, sizeof(*out));
  j = json_load_file(path, 0, &jerr);
  if (!j) {
    if (access(path, F_OK) < 0 && errno == ENOENT)
      return 1;
    return error_set_code(err, EINVAL, "%s: %s", path, jerr.text);
  }
  if ((v = json_object_get(j, "signal"))) {
    out->signaled = true;
    out->code = (int)json_integer_value(v);
  } else if ((v = json_object_get(j, "exit_code"))) {
    out->code = (int)json_integer_value(v);
  } else {
    out->unknown = true;
  }
  out->finished = json_integer_value(json_object_get(j, "finished"));
  json_decref(j);
  return 0;
}

const char *pod_exit_str(const struct pod_exit *e, char *buf, size_t len) {
  if (e->unknown)
    snprintf(buf, len, "exited (status unknown)");
  else if (e->signaled) {
    const char *name = sigabbrev_np(e->code);
    if (name)
      snprintf(buf, len, "killed by SIG%s", name);
    else
      snprintf(buf, len, "killed by signal %d", e->code);
  } else
    snprintf(buf, len, "exited %d", e->code);
  return buf;
}

/* posix_spawn: glibc's uses CLONE_VM|CLONE_VFORK, no page-table copy on
 * the path of every container start. */
static pid_t spawn(char *const argv[]) {
  pid_t pid;
  int rc = posix_spawnp(&pid, argv[0], NULL, NULL, argv, environ);
  if (rc != 0) {
    dprintf(2, "pod: exec %s: %s\n", argv[0], strerror(rc));
    errno = rc;
    return -1;
  }
  return pid;
}

struct reaped {
  pid_t pid;
  int status;
};

static void monitor_remember(struct reaped *r, size_t *n, size_t max, pid_t pid, int st) {
  if (*n < max)
    r[(*n)++] = (struct reaped){pid, st};
}

static void runtime_delete(const struct pod_run *r) {
  char *argv[] = {(char *)r->runtime, "--root", (char *)r->runtime_root, "delete", "-f",
                  (char *)r->id,      NULL};
  pid_t pid = spawn(argv);
  int st;
  while (pid > 0 && waitpid(pid, &st, 0) < 0 && errno == EINTR)
    ;
}

/* Waits for a process that is not our child (a runtime that did not leave
 * the container to us): its status cannot be known, only its end. */
static void wait_foreign(pid_t pid) {
  int fd = (int)syscall(SYS_pidfd_open, pid, 0);
  if (fd >= 0) {
    struct pollfd p = {.fd = fd, .events = POLLIN};
    while (poll(&p, 1, -1) < 0 && errno == EINTR)
      ;
    close(fd);
    return;
  }
  while (kill(pid, 0) == 0 && proc_state(pid) != 'Z')
    usleep(100000);
}

static void sync_send(int fd, const char *msg) {
  if (fd >= 0)
    write_all(fd, msg, strlen(msg));
}

/* The container once it runs: TERM/INT/HUP to the monitor (systemd stopping
 * the unit) are passed on to it, so it stops and we still record how. */
static volatile sig_atomic_t monitor_cpid;

static void monitor_forward(int sig) {
  if (monitor_cpid > 0)
    kill((pid_t)monitor_cpid, sig);
}

static void __attribute__((noreturn)) monitor_main(const struct pod_run *r, int sync) {
  char pidfile[4096], logpath[4096], msg[64];
  struct reaped reaped[32];
  size_t nreaped = 0;
  pid_t rt, cpid = 0;
  int st = 0, logfd, nullfd;
  sigset_t all;
  pk_error *e = NULL;

  /* First of all our pid: a pod killed before it wrote the container's
   * record leaves `pod rm -f` only this to find us by (and wait for). */
  {
    char pidbuf[32];
    int n = snprintf(pidbuf, sizeof(pidbuf), "%d\n", (int)getpid());
    snprintf(pidfile, sizeof(pidfile), "%s/monitor.pid", r->dir);
    if (file_write_atomic(pidfile, pidbuf, (size_t)n, 0644, &e) < 0)
      error_free(&e);
  }
  setsid();
  prctl(PR_SET_CHILD_SUBREAPER, 1);
  sigemptyset(&all);
  sigprocmask(SIG_SETMASK, &all, NULL);
  /* what a caller (a shell, a test harness) may have set to ignore */
  signal(SIGPIPE, SIG_DFL);
  signal(SIGQUIT, SIG_DFL);
  signal(SIGCHLD, SIG_DFL);
  {
    struct sigaction sa = {.sa_handler = monitor_forward, .sa_flags = SA_RESTART};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
  }

  snprintf(logpath, sizeof(logpath), "%s/log", r->dir);
  snprintf(pidfile, sizeof(pidfile), "%s/pid", r->dir);
  logfd = open(logpath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  nullfd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (logfd < 0 || nullfd < 0) {
    snprintf(msg, sizeof(msg), "E%d\n", errno);
    sync_send(sync, msg);
    _exit(1);
  }
  dup2(nullfd, 0);
  dup2(logfd, 1);
  dup2(logfd, 2);
  /* Only stdio and the sync pipe stay: an inherited fd (a test harness's
   * output pipe, a netlink socket) would otherwise live as long as the
   * container. */
  if (sync != 3) {
    dup2(sync, 3);
    sync = 3;
  }
  fcntl(sync, F_SETFD, FD_CLOEXEC);
  if (syscall(SYS_close_range, 4U, ~0U, 0U) < 0)
    for (int fd = 4; fd < 1024; fd++)
      close(fd);
  /* the caller's cwd would stay busy (unmountable) for the container's life;
   * every path we hand on is absolute */
  if (chdir("/") < 0) {
    snprintf(msg, sizeof(msg), "E%d\n", errno);
    sync_send(sync, msg);
    _exit(1);
  }

  char *argv[] = {(char *)r->runtime,
                  "--root",
                  (char *)r->runtime_root,
                  "run",
                  "-d",
                  "--pid-file",
                  pidfile,
                  "--bundle",
                  (char *)r->bundle,
                  (char *)r->id,
                  NULL};
  rt = spawn(argv);
  if (rt < 0) {
    snprintf(msg, sizeof(msg), "E%d\n", errno);
    sync_send(sync, msg);
    _exit(1);
  }
  for (;;) {
    pid_t p = waitpid(-1, &st, 0);
    if (p < 0 && errno == EINTR)
      continue;
    if (p < 0 || p == rt)
      break;
    monitor_remember(reaped, &nreaped, 32, p, st);
  }
  if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
    runtime_delete(r);
    snprintf(msg, sizeof(msg), "R%d\n", WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
    sync_send(sync, msg);
    _exit(1);
  }
  {
    cleanup_free char *buf = NULL;
    if (file_read_all(pidfile, 64, &buf, NULL, &e) == 0)
      cpid = (pid_t)atoi(buf);
    error_free(&e);
  }
  if (cpid <= 0) {
    runtime_delete(r);
    sync_send(sync, "N\n");
    _exit(1);
  }
  monitor_cpid = cpid;
  snprintf(msg, sizeof(msg), "P%d\n", (int)cpid);
  /* EPIPE: the pod that asked for the container was killed before it got
   * the pid, so no record of it will be written and nothing but us could
   * stop it: it goes at once, recorded and deleted as any exit below. */
  signal(SIGPIPE, SIG_IGN);
  if (write_all(sync, msg, strlen(msg)) < 0)
    kill(cpid, SIGKILL);
  signal(SIGPIPE, SIG_DFL);
  close(sync);

  bool found = false, unknown = false;
  for (size_t i = 0; i < nreaped; i++)
    if (reaped[i].pid == cpid) {
      st = reaped[i].status;
      found = true;
    }
  while (!found) {
    pid_t p = waitpid(-1, &st, 0);
    if (p < 0 && errno == EINTR)
      continue;
    if (p < 0) {
      wait_foreign(cpid);
      unknown = true;
      break;
    }
    found = p == cpid;
  }
  if (pod_exit_write(r->dir, st, unknown, &e) < 0) {
    dprintf(2, "pod: %s\n", e->msg);
    error_free(&e);
  }
  runtime_delete(r);
  /* Whatever else got reparented to us in the meantime. */
  while (waitpid(-1, NULL, WNOHANG) > 0)
    ;
  _exit(0);
}

/* Last non-empty line of the log: the runtime's error message. */
static void log_last_line(const char *dir, char *buf, size_t len) {
  char path[4096];
  cleanup_free char *data = NULL;
  size_t n = 0;
  pk_error *e = NULL;

  buf[0] = 0;
  snprintf(path, sizeof(path), "%s/log", dir);
  if (file_read_all(path, 0, &data, &n, &e) < 0) {
    error_free(&e);
    return;
  }
  while (n > 0 && (data[n - 1] == '\n' || data[n - 1] == ' '))
    data[--n] = 0;
  char *nl = strrchr(data, '\n');
  snprintf(buf, len, "%s", nl ? nl + 1 : data);
}

int pod_monitor_start(const struct pod_run *r, pid_t *monitor, pid_t *cpid, pk_error **err) {
  int p[2];
  char msg[64] = {0}, reason[512];
  ssize_t n = 0, got;
  pid_t pid;

  if (pipe2(p, O_CLOEXEC) < 0)
    return error_set(err, errno, "pipe");
  fflush(NULL);
  pid = fork();
  if (pid < 0) {
    close(p[0]);
    close(p[1]);
    return error_set(err, errno, "fork monitor");
  }
  if (pid == 0) {
    close(p[0]);
    monitor_main(r, p[1]);
  }
  close(p[1]);
  while ((size_t)n < sizeof(msg) - 1) {
    got = read(p[0], msg + n, sizeof(msg) - 1 - (size_t)n);
    if (got < 0 && errno == EINTR)
      continue;
    if (got <= 0)
      break;
    n += got;
    if (memchr(msg, '\n', (size_t)n))
      break;
  }
  close(p[0]);
  if (msg[0] == 'P') {
    *monitor = pid;
    *cpid = (pid_t)atoi(msg + 1);
    return 0;
  }
  /* The monitor exits right after a failure: reap it so no zombie stays
   * while we undo. */
  while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
    ;
  log_last_line(r->dir, reason, sizeof(reason));
  if (msg[0] == 'R')
    return error_set_code(err, EIO, "%s run exited %d%s%s", r->runtime, atoi(msg + 1),
                          reason[0] ? ": " : "", reason);
  if (msg[0] == 'E')
    return error_set(err, atoi(msg + 1), "start monitor");
  if (msg[0] == 'N')
    return error_set_code(err, EIO, "%s run wrote no pid file", r->runtime);
  return error_set_code(err, EIO, "monitor died before the container started");
}
