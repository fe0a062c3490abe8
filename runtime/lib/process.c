/* SPDX-License-Identifier: MIT */
#include "process.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <linux/capability.h>
#include <linux/close_range.h>
#include <linux/openat2.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "util.h"

static const char *rlimit_name(int r) {
  static const char *names[] = {
      [RLIMIT_CPU] = "RLIMIT_CPU",           [RLIMIT_FSIZE] = "RLIMIT_FSIZE",
      [RLIMIT_DATA] = "RLIMIT_DATA",         [RLIMIT_STACK] = "RLIMIT_STACK",
      [RLIMIT_CORE] = "RLIMIT_CORE",         [RLIMIT_RSS] = "RLIMIT_RSS",
      [RLIMIT_NPROC] = "RLIMIT_NPROC",       [RLIMIT_NOFILE] = "RLIMIT_NOFILE",
      [RLIMIT_MEMLOCK] = "RLIMIT_MEMLOCK",   [RLIMIT_AS] = "RLIMIT_AS",
      [RLIMIT_LOCKS] = "RLIMIT_LOCKS",       [RLIMIT_SIGPENDING] = "RLIMIT_SIGPENDING",
      [RLIMIT_MSGQUEUE] = "RLIMIT_MSGQUEUE", [RLIMIT_NICE] = "RLIMIT_NICE",
      [RLIMIT_RTPRIO] = "RLIMIT_RTPRIO",     [RLIMIT_RTTIME] = "RLIMIT_RTTIME",
  };
  if (r >= 0 && (size_t)r < sizeof(names) / sizeof(names[0]) && names[r])
    return names[r];
  return "RLIMIT_?";
}

int process_rlimits_apply(const struct spec_process *p, pk_error **err) {
  for (size_t i = 0; i < p->n_rlimits; i++) {
    const struct spec_rlimit *rl = &p->rlimits[i];
    struct rlimit lim = {.rlim_cur = rl->soft, .rlim_max = rl->hard};
    struct rlimit old;
    if (setrlimit(rl->resource, &lim) == 0)
      continue;
    if (errno == EPERM && getrlimit(rl->resource, &old) == 0 && lim.rlim_max > old.rlim_max)
      return error_set(err, 0,
                       "setrlimit %s to %llu/%llu: Operation not permitted (raising a "
                       "hard limit needs CAP_SYS_RESOURCE)",
                       rlimit_name(rl->resource), (unsigned long long)rl->soft,
                       (unsigned long long)rl->hard);
    return error_set(err, errno, "setrlimit %s to %llu/%llu", rlimit_name(rl->resource),
                     (unsigned long long)rl->soft, (unsigned long long)rl->hard);
  }
  return 0;
}

int process_oom_score_adj_set(const struct spec_process *p, pk_error **err) {
  char buf[16];
  int n;
  cleanup_close int fd = -1;
  if (!p->has_oom_score_adj)
    return 0;
  fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return error_set(err, errno, "process.oomScoreAdj: open /proc/self/oom_score_adj");
  n = snprintf(buf, sizeof(buf), "%d", p->oom_score_adj);
  if (write(fd, buf, (size_t)n) != n)
    return error_set(err, errno, "process.oomScoreAdj: set %d", p->oom_score_adj);
  return 0;
}

static int caps_set(uint64_t eff, uint64_t prm, uint64_t inh) {
  struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
  struct __user_cap_data_struct data[2] = {
      {.effective = (uint32_t)eff, .permitted = (uint32_t)prm, .inheritable = (uint32_t)inh},
      {.effective = (uint32_t)(eff >> 32),
       .permitted = (uint32_t)(prm >> 32),
       .inheritable = (uint32_t)(inh >> 32)},
  };
  return (int)syscall(SYS_capset, &hdr, data);
}

/* Highest capability the kernel knows, without reading
 * /proc/sys/kernel/cap_last_cap: PR_CAPBSET_READ fails past it. */
static int cap_last(void) {
  int c = 40;
  while (c < 63 && prctl(PR_CAPBSET_READ, c + 1, 0, 0, 0) >= 0)
    c++;
  while (c > 0 && prctl(PR_CAPBSET_READ, c, 0, 0, 0) < 0)
    c--;
  return c;
}

int process_identity_apply(const struct spec_process *p, pk_error **err) {
  const struct spec_caps *caps = &p->caps;
  const struct spec_user *u = &p->user;
  int last = caps->present ? cap_last() : 0;

  if (caps->present) {
    /* the bounding set is dropped while CAP_SETPCAP is still effective */
    for (int c = 0; c <= last; c++) {
      if (caps->bounding & (1ULL << c))
        continue;
      if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL)
        return error_set(err, errno, "process.capabilities.bounding: drop capability %d", c);
    }
    /* keep the permitted set across setuid to a non-zero uid */
    if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
      return error_set(err, errno, "prctl PR_SET_KEEPCAPS");
  }
  if (setgroups(u->n_additional_gids, u->additional_gids) < 0 &&
      !(errno == EPERM && u->n_additional_gids == 0))
    return error_set(err, errno, "process.user.additionalGids: setgroups");
  if (setresgid(u->gid, u->gid, u->gid) < 0)
    return error_set(err, errno, "process.user.gid: setgid %u", (unsigned)u->gid);
  if (setresuid(u->uid, u->uid, u->uid) < 0)
    return error_set(err, errno, "process.user.uid: setuid %u", (unsigned)u->uid);
  if (caps->present) {
    if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
      return error_set(err, errno, "prctl PR_SET_KEEPCAPS");
    if (caps_set(caps->effective, caps->permitted, caps->inheritable) < 0)
      return error_set(err, errno, "process.capabilities: capset");
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
      return error_set(err, errno, "process.capabilities.ambient: clear");
    for (int c = 0; c <= last; c++) {
      if (!(caps->ambient & (1ULL << c)))
        continue;
      /* The kernel only allows ambient capabilities that are permitted and
       * inheritable; runc's default spec lists ambient ones without
       * inheritable, and runc skips those as well. */
      if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c, 0, 0) < 0 && errno != EPERM &&
          errno != EINVAL)
        return error_set(err, errno, "process.capabilities.ambient: raise capability %d", c);
    }
  }
  if (p->no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    return error_set(err, errno, "process.noNewPrivileges");
  return 0;
}

int process_cwd_umask_apply(const struct spec_process *p, pk_error **err) {
  cleanup_close int root = -1, dir = -1;
  struct open_how how = {.flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
                         .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS};
  char buf[PATH_MAX];

  umask(p->user.has_umask ? p->user.umask : 0022);
  if (p->cwd == NULL)
    return 0;
  /* CVE-2024-21626: fds of podrun are still open here (close-on-exec),
   * and chdir("/proc/self/fd/N") would put the process in a host
   * directory.  Resolved under the root, magic links refused, as the
   * process's own user (search permission as for chdir). */
  root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root < 0)
    return error_set(err, errno, "process.cwd: open /");
  dir = (int)syscall(SYS_openat2, root, p->cwd, &how, sizeof(how));
  if (dir < 0 && (errno == ENOSYS || errno == EINVAL || errno == EAGAIN || errno == EXDEV)) {
    if (chdir(p->cwd) < 0)
      return error_set(err, errno, "process.cwd: chdir %s", p->cwd);
  } else if (dir < 0) {
    if (errno == ELOOP)
      return error_set_code(err, ELOOP,
                            "process.cwd: %s is outside the container (it resolves through a "
                            "/proc magic link, or a symlink loop)",
                            p->cwd);
    return error_set(err, errno, "process.cwd: chdir %s", p->cwd);
  } else if (fchdir(dir) < 0)
    return error_set(err, errno, "process.cwd: chdir %s", p->cwd);
  /* the last word: a cwd outside the root reads "(unreachable)/..." */
  if (getcwd(buf, sizeof(buf)) == NULL || buf[0] != '/')
    return error_set_code(err, EPERM, "process.cwd: %s is outside the container", p->cwd);
  return 0;
}

static const char *errno_text(int e) {
  /* lower case, as runc (Go) words them: podman and containerd match these */
  switch (e) {
  case ENOENT:
    return "no such file or directory";
  case EACCES:
    return "permission denied";
  case ENOTDIR:
    return "not a directory";
  default:
    return strerror(e);
  }
}

static int exec_check(const char *path) {
  struct stat st;
  if (stat(path, &st) < 0)
    return errno;
  if (S_ISDIR(st.st_mode))
    return EACCES;
  if (access(path, X_OK) < 0)
    return errno;
  return 0;
}

int process_exec_path(const struct spec_process *p, char **path, pk_error **err) {
  const char *arg0 = p->args[0];
  const char *search = NULL;
  cleanup_free char *buf = NULL;
  int first_err = 0;

  if (strchr(arg0, '/')) {
    int e = exec_check(arg0);
    if (e)
      return error_set_code(err, e, "exec \"%s\": stat %s: %s", arg0, arg0, errno_text(e));
    *path = strdup(arg0);
    return *path ? 0 : error_set(err, ENOMEM, "exec");
  }
  for (char **e = p->env; e && *e; e++)
    if (str_has_prefix(*e, "PATH="))
      search = *e + 5;
  if (search == NULL)
    search = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  for (const char *d = search;;) {
    const char *end = strchr(d, ':');
    size_t dlen = end ? (size_t)(end - d) : strlen(d);
    int e;
    free(buf);
    buf = NULL;
    if (asprintf(&buf, "%.*s/%s", (int)dlen, dlen ? d : ".", arg0) < 0)
      return error_set(err, ENOMEM, "exec");
    e = exec_check(buf);
    if (e == 0) {
      *path = take_ptr(buf);
      return 0;
    }
    if (e != ENOENT && e != ENOTDIR && first_err == 0)
      first_err = e;
    if (end == NULL)
      break;
    d = end + 1;
  }
  if (first_err)
    return error_set_code(err, first_err, "exec \"%s\": %s", arg0, errno_text(first_err));
  return error_set_code(err, ENOENT,
                        "exec \"%s\": executable file not found in $PATH: no such file or "
                        "directory",
                        arg0);
}

int process_fds_prepare(int n_keep, pk_error **err) {
  unsigned int from = 3 + (unsigned int)(n_keep > 0 ? n_keep : 0);
  for (int fd = 3; fd < (int)from; fd++) {
    int fl = fcntl(fd, F_GETFD);
    if (fl >= 0 && (fl & FD_CLOEXEC))
      fcntl(fd, F_SETFD, fl & ~FD_CLOEXEC);
  }
  if (syscall(SYS_close_range, from, ~0U, CLOSE_RANGE_CLOEXEC) == 0)
    return 0;
  {
    /* kernels before 5.11: walk the fd table */
    cleanup_closedir DIR *d = opendir("/proc/self/fd");
    struct dirent *de;
    if (d == NULL)
      return error_set(err, errno, "open /proc/self/fd");
    while ((de = readdir(d)) != NULL) {
      int fd = atoi(de->d_name);
      if (fd >= (int)from && fd != dirfd(d))
        fcntl(fd, F_SETFD, FD_CLOEXEC);
    }
  }
  return 0;
}

int process_listen_fds(void) {
  const char *n = getenv("LISTEN_FDS");
  const char *pid = getenv("LISTEN_PID");
  int v;
  if (n == NULL || *n == '\0')
    return 0;
  if (pid && *pid && atoi(pid) != (int)getpid())
    return 0;
  v = atoi(n);
  return v > 0 ? v : 0;
}

void process_signals_reset(void) {
  sigset_t none;
  struct sigaction sa = {.sa_handler = SIG_DFL};
  for (int sig = 1; sig < NSIG; sig++) {
    if (sig == SIGKILL || sig == SIGSTOP)
      continue;
    sigaction(sig, &sa, NULL);
  }
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
}

/* Home directory of uid from /etc/passwd (in the container: podrun is
 * static and never loads NSS); "/" when there is none. */
static char *passwd_home(uid_t uid) {
  cleanup_free char *text = NULL;
  if (file_read_all("/etc/passwd", 1 << 20, &text, NULL, NULL) == 0) {
    for (char *line = text; line && *line;) {
      char *nl = strchr(line, '\n');
      char *f[7] = {0};
      int n = 0;
      if (nl)
        *nl = '\0';
      for (char *q = line; n < 7; n++) {
        f[n] = q;
        q = strchr(q, ':');
        if (q == NULL) {
          n++;
          break;
        }
        *q++ = '\0';
      }
      if (n >= 6 && *f[2] && strtoul(f[2], NULL, 10) == uid && *f[5])
        return strdup(f[5]);
      line = nl ? nl + 1 : NULL;
    }
  }
  return strdup("/");
}

char **process_env_build(const struct spec_process *p, int n_listen) {
  size_t n = 0, k;
  bool has_home = false;
  char **env;
  for (char **e = p->env; e && *e; e++, n++)
    if (str_has_prefix(*e, "HOME="))
      has_home = true;
  if (has_home && n_listen == 0)
    return p->env;
  env = calloc(n + 4, sizeof(*env));
  if (env == NULL)
    return p->env;
  for (k = 0; k < n; k++)
    env[k] = p->env[k];
  if (!has_home) {
    cleanup_free char *home = passwd_home(p->user.uid);
    if (home && asprintf(&env[k], "HOME=%s", home) >= 0)
      k++;
  }
  /* socket activation goes on to the container's pid 1, as runc does */
  if (n_listen > 0 && asprintf(&env[k], "LISTEN_FDS=%d", n_listen) >= 0) {
    k++;
    env[k++] = "LISTEN_PID=1";
  }
  env[k] = NULL;
  return env;
}

void process_forward_sigset(sigset_t *set) {
  sigfillset(set);
  sigdelset(set, SIGKILL);
  sigdelset(set, SIGSTOP);
  sigdelset(set, SIGSEGV);
  sigdelset(set, SIGBUS);
  sigdelset(set, SIGILL);
  sigdelset(set, SIGFPE);
  sigdelset(set, SIGABRT);
  sigdelset(set, SIGTRAP);
  sigdelset(set, SIGSYS);
}

int process_wait_forwarding(pid_t pid, const sigset_t *set) {
  int status = 0;
  for (;;) {
    siginfo_t si;
    int sig = sigwaitinfo(set, &si);
    if (sig < 0)
      continue;
    if (sig == SIGCHLD) {
      pid_t r = waitpid(pid, &status, WNOHANG);
      if (r == pid || (r < 0 && errno == ECHILD))
        break;
      continue;
    }
    kill(pid, sig);
  }
  if (WIFSIGNALED(status))
    return 128 + WTERMSIG(status);
  return WEXITSTATUS(status);
}
