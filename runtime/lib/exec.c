/* SPDX-License-Identifier: MIT */
#include "exec.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "cgroup.h"
#include "cleanup.h"
#include "console.h"
#include "process.h"
#include "sealed.h"
#include "seccomp_filter.h"
#include "spec.h"
#include "state.h"
#include "util.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif
#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif
#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO('T', 0x41)
#endif

/* child -> parent over the sync socket; EOF means execve happened */
enum { EXEC_MSG_ERROR = 'E', EXEC_MSG_LISTENER = 'L' };

struct exec_msg_hdr {
  int32_t type;
  int32_t errnum;
};

struct exec_ctx {
  const struct exec_opts *o;
  struct state *st;
  struct spec *config; /* the container's config.json */
  struct spec *pspec;  /* the --process document */
  struct spec_process p;
  char **env;  /* owned array, strings borrowed */
  gid_t *gids; /* owned */
  struct cgroup *cg;
  struct seccomp_filter_prog *prog;
  int pidfd;
  pid_t init_pid;
  unsigned long long init_start;
  int ns_flags; /* joined by the child; pid is joined by the parent */
  bool join_pid;
  int cg_v2_fd; /* for CLONE_INTO_CGROUP, -1 if none */
  bool cg_v2_done;
  int sock_parent, sock_child;
  int console_fd;
  int stub_fd;               /* the sealed exec stub (CVE-2019-5736) */
  int own_pid_ns;            /* to leave the pid namespace again after the fork */
  char *apparmor_exec;       /* "exec PROFILE" */
  const char *selinux_label; /* for /proc/thread-self/attr/exec */
};

/* ---- the process ---- */

/* --process FILE through the same parser as config.json, so fields and
 * messages are the same ("process.args: required"): the object becomes the
 * process of a minimal document.  Syntax errors are reported against the
 * file itself first, with its own line numbers. */
static int process_file_parse(const char *path, struct spec **out, pk_error **err) {
  static const char head[] =
      "{\"ociVersion\":\"1.0.2\",\"root\":{\"path\":\"rootfs\"},\"process\":";
  cleanup_free char *text = NULL;
  cleanup_free char *doc = NULL;
  json_error_t jerr;
  json_t *probe;
  size_t len = 0;

  if (file_read_all(path, 1 << 20, &text, &len, err) < 0)
    return error_wrap(err, "--process");
  probe = json_loadb(text, len, 0, &jerr);
  if (probe == NULL && json_error_code(&jerr) != json_error_numeric_overflow)
    return error_set_code(err, EINVAL, "--process %s: invalid JSON at line %d column %d: %s", path,
                          jerr.line, jerr.column, jerr.text);
  if (probe && !json_is_object(probe)) {
    json_decref(probe);
    return error_set_code(err, EINVAL, "--process %s: process: expected an object", path);
  }
  json_decref(probe);
  doc = malloc(sizeof(head) + len + 1);
  if (doc == NULL)
    return error_set(err, ENOMEM, "--process %s", path);
  memcpy(doc, head, sizeof(head) - 1);
  memcpy(doc + sizeof(head) - 1, text, len);
  doc[sizeof(head) - 1 + len] = '}';
  if (spec_parse(doc, sizeof(head) + len, out, err) < 0)
    return error_wrap(err, "--process %s", path);
  return 0;
}

/* -e K=V replaces an entry of the same key (later ones win) or is added. */
static int env_merge(struct exec_ctx *c, char **base, pk_error **err) {
  size_t n = 0, k;
  for (char **e = base; e && *e; e++)
    n++;
  c->env = calloc(n + c->o->n_env + 1, sizeof(char *));
  if (c->env == NULL)
    return error_set(err, ENOMEM, "exec env");
  for (k = 0; k < n; k++)
    c->env[k] = base[k];
  for (size_t i = 0; i < c->o->n_env; i++) {
    char *kv = c->o->env[i];
    const char *eq = strchr(kv, '=');
    size_t klen;
    size_t j;
    if (eq == NULL || eq == kv)
      return error_set(err, 0, "invalid environment variable \"%s\" (expected KEY=VALUE)", kv);
    klen = (size_t)(eq - kv) + 1;
    for (j = 0; j < k; j++)
      if (strncmp(c->env[j], kv, klen) == 0)
        break;
    c->env[j] = kv;
    if (j == k)
      k++;
  }
  c->env[k] = NULL;
  return 0;
}

static int process_from_cli(struct exec_ctx *c, pk_error **err) {
  const struct exec_opts *o = c->o;
  struct spec_process *p = &c->p;

  *p = c->config->process;
  if (o->args == NULL || o->args[0] == NULL || o->args[0][0] == '\0')
    return error_set(err, 0, "a command is required (or --process FILE)");
  p->args = (char **)o->args;
  if (o->cwd) {
    if (o->cwd[0] != '/')
      return error_set(err, 0, "--cwd \"%s\": expected an absolute path", o->cwd);
    p->cwd = (char *)o->cwd;
  }
  if (env_merge(c, c->config->process.env, err) < 0)
    return -1;
  p->env = c->env;
  p->terminal = o->tty_set && o->tty;
  if (o->no_new_privs_set)
    p->no_new_privileges = o->no_new_privs;
  if (o->has_uid)
    p->user.uid = o->uid;
  if (o->has_gid)
    p->user.gid = o->gid;
  if (o->n_additional_gids) {
    size_t n = p->user.n_additional_gids;
    c->gids = calloc(n + o->n_additional_gids, sizeof(gid_t));
    if (c->gids == NULL)
      return error_set(err, ENOMEM, "exec");
    if (n)
      memcpy(c->gids, p->user.additional_gids, n * sizeof(gid_t));
    memcpy(c->gids + n, o->additional_gids, o->n_additional_gids * sizeof(gid_t));
    p->user.additional_gids = c->gids;
    p->user.n_additional_gids = n + o->n_additional_gids;
  }
  /* runc adds --cap to the bounding, effective and permitted sets; a
   * config without capabilities then gets exactly these */
  for (size_t i = 0; i < o->n_caps; i++) {
    cleanup_free char *name = NULL;
    int cap;
    if (str_has_prefix(o->caps[i], "CAP_") || str_has_prefix(o->caps[i], "cap_"))
      name = strdup(o->caps[i]);
    else if (asprintf(&name, "CAP_%s", o->caps[i]) < 0)
      name = NULL;
    if (name == NULL)
      return error_set(err, ENOMEM, "exec");
    for (char *q = name; *q; q++)
      if (*q >= 'a' && *q <= 'z')
        *q = (char)(*q - 'a' + 'A');
    cap = spec_cap_from_name(name);
    if (cap < 0)
      return error_set(err, 0, "--cap: unknown capability \"%s\"", o->caps[i]);
    p->caps.present = true;
    p->caps.bounding |= UINT64_C(1) << cap;
    p->caps.effective |= UINT64_C(1) << cap;
    p->caps.permitted |= UINT64_C(1) << cap;
    /* not inheritable; ambient only where inheritable ones exist, since
     * the kernel takes no ambient capability that is not inheritable */
    if (c->config->process.caps.inheritable)
      p->caps.ambient |= UINT64_C(1) << cap;
  }
  if (o->apparmor)
    p->apparmor_profile = (char *)o->apparmor;
  if (o->process_label)
    p->selinux_label = (char *)o->process_label;
  return 0;
}

/* --process: the file's process as it is (runc ignores the other process
 * flags then); rlimits, oomScoreAdj and the LSM labels default to the
 * container's. */
static int process_from_file(struct exec_ctx *c, pk_error **err) {
  const struct spec_process *cfg = &c->config->process;
  struct spec_process *p = &c->p;

  if (process_file_parse(c->o->process_file, &c->pspec, err) < 0)
    return -1;
  *p = c->pspec->process;
  if (p->n_rlimits == 0) {
    p->rlimits = cfg->rlimits;
    p->n_rlimits = cfg->n_rlimits;
  }
  if (!p->has_oom_score_adj) {
    p->has_oom_score_adj = cfg->has_oom_score_adj;
    p->oom_score_adj = cfg->oom_score_adj;
  }
  if (p->apparmor_profile == NULL || *p->apparmor_profile == '\0')
    p->apparmor_profile = cfg->apparmor_profile;
  if (p->selinux_label == NULL || *p->selinux_label == '\0')
    p->selinux_label = cfg->selinux_label;
  return 0;
}

static bool apparmor_enabled(void) {
  char buf[4] = {0};
  cleanup_close int fd = open("/sys/module/apparmor/parameters/enabled", O_RDONLY | O_CLOEXEC);
  return fd >= 0 && read(fd, buf, 1) == 1 && buf[0] == 'Y';
}

/* Set but impossible on this host is an error, never silently ignored. */
static int lsm_prepare(struct exec_ctx *c, pk_error **err) {
  const char *aa = c->p.apparmor_profile, *se = c->p.selinux_label;
  if (aa && *aa) {
    if (!apparmor_enabled())
      return error_set(err, 0, "apparmor profile \"%s\": AppArmor is not enabled on this host", aa);
    if (asprintf(&c->apparmor_exec, "exec %s", aa) < 0)
      return error_set(err, ENOMEM, "exec");
  }
  if (se && *se) {
    if (access("/sys/fs/selinux/enforce", F_OK) < 0)
      return error_set(err, 0, "selinux label \"%s\": SELinux is not enabled on this host", se);
    if (c->apparmor_exec)
      return error_set(err, 0, "both an apparmor profile and a selinux label are set");
    c->selinux_label = se;
  }
  return 0;
}

/* ---- namespaces ---- */

static const struct {
  const char *name;
  int flag;
} ns_kinds[] = {
    /* user first and mount last, for joining one by one */
    {"user", CLONE_NEWUSER}, {"cgroup", CLONE_NEWCGROUP}, {"ipc", CLONE_NEWIPC},
    {"uts", CLONE_NEWUTS},   {"net", CLONE_NEWNET},       {"time", CLONE_NEWTIME},
    {"mnt", CLONE_NEWNS},
};

/* 1 when /proc/PID/ns/NAME is another namespace than ours, 0 when the same
 * or when the kernel has no such kind. */
static int ns_differs(pid_t pid, const char *name) {
  char path[64];
  struct stat a, b;
  snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)pid, name);
  if (stat(path, &a) < 0)
    return 0;
  snprintf(path, sizeof(path), "/proc/self/ns/%s", name);
  if (stat(path, &b) < 0)
    return 0;
  return a.st_dev != b.st_dev || a.st_ino != b.st_ino;
}

static void ns_flags_compute(struct exec_ctx *c) {
  c->ns_flags = 0;
  for (size_t i = 0; i < sizeof(ns_kinds) / sizeof(ns_kinds[0]); i++)
    if (ns_differs(c->init_pid, ns_kinds[i].name))
      c->ns_flags |= ns_kinds[i].flag;
  /* joining our own user namespace is EINVAL; the others are harmless, and
   * the mount namespace is always entered so that root and cwd are the
   * container's */
  c->ns_flags |= CLONE_NEWNS;
  c->join_pid = ns_differs(c->init_pid, "pid");
}

/* A pidfd pins the process, not its pid number: the start time checked
 * after opening anything by pid proves it still is the container's init. */
static int init_check(const struct exec_ctx *c, pk_error **err) {
  if (proc_start_time(c->init_pid) != c->init_start)
    return error_set(err, 0, "cannot exec in a stopped container");
  return 0;
}

/* setns through per-namespace fds, for kernels before 5.8 where setns()
 * takes no pidfd. */
static int ns_join_fds(const struct exec_ctx *c, int flags, pk_error **err) {
  int fds[sizeof(ns_kinds) / sizeof(ns_kinds[0])];
  size_t n = sizeof(ns_kinds) / sizeof(ns_kinds[0]);
  int ret = 0;

  for (size_t i = 0; i < n; i++)
    fds[i] = -1;
  for (size_t i = 0; i < n; i++) {
    char path[64];
    if (!(flags & ns_kinds[i].flag))
      continue;
    snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)c->init_pid, ns_kinds[i].name);
    fds[i] = open(path, O_RDONLY | O_CLOEXEC);
    if (fds[i] < 0) {
      ret = error_set(err, errno, "open %s", path);
      break;
    }
  }
  if (ret == 0)
    ret = init_check(c, err);
  for (size_t i = 0; i < n; i++) {
    if (fds[i] < 0)
      continue;
    if (ret == 0 && setns(fds[i], ns_kinds[i].flag) < 0)
      ret = error_set(err, errno, "join the container's %s namespace", ns_kinds[i].name);
    close(fds[i]);
  }
  return ret;
}

static int ns_join(const struct exec_ctx *c, int flags, pk_error **err) {
  if (flags == 0)
    return 0;
  /* all at once: the kernel orders them (user first) and either joins
   * every one or none */
  if (c->pidfd >= 0) {
    if (setns(c->pidfd, flags) == 0)
      return 0;
    if (errno == ESRCH)
      return error_set(err, 0, "cannot exec in a stopped container");
    if (errno != EINVAL)
      return error_set(err, errno, "join the container's namespaces");
  }
  if (flags == CLONE_NEWPID) {
    char path[64];
    cleanup_close int fd = -1;
    snprintf(path, sizeof(path), "/proc/%d/ns/pid", (int)c->init_pid);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
      return error_set(err, errno, "open %s", path);
    if (init_check(c, err) < 0)
      return -1;
    if (setns(fd, CLONE_NEWPID) < 0)
      return error_set(err, errno, "join the container's pid namespace");
    return 0;
  }
  return ns_join_fds(c, flags, err);
}

/* ---- the child ---- */

static int msg_send_error(int sock, const pk_error *e) {
  struct exec_msg_hdr h = {.type = EXEC_MSG_ERROR, .errnum = e->errnum};
  struct iovec iov[2] = {{.iov_base = &h, .iov_len = sizeof(h)},
                         {.iov_base = e->msg, .iov_len = strlen(e->msg)}};
  struct msghdr m = {.msg_iov = iov, .msg_iovlen = 2};
  while (sendmsg(sock, &m, MSG_NOSIGNAL) < 0)
    if (errno != EINTR)
      return -1;
  return 0;
}

static int msg_send_fd(int sock, int type, int fd) {
  struct exec_msg_hdr h = {.type = type};
  struct iovec iov = {.iov_base = &h, .iov_len = sizeof(h)};
  return sock_send_fd(sock, &iov, 1, fd) < 0 ? -1 : 0;
}

static __attribute__((noreturn)) void child_fail(int sock, pk_error **err) {
  if (msg_send_error(sock, *err) < 0)
    dprintf(STDERR_FILENO, "podrun: %s\n", (*err)->msg);
  _exit(255);
}

static int seccomp_install(struct exec_ctx *c, pk_error **err) {
  int listener = -1;
  if (seccomp_filter_install(c->prog, &listener, err) < 0)
    return -1;
  if (listener >= 0) {
    /* the listener path is the host's: the parent hands it on */
    int r = msg_send_fd(c->sock_child, EXEC_MSG_LISTENER, listener);
    close(listener);
    if (r < 0)
      return error_set(err, errno, "pass the seccomp listener to podrun");
  }
  return 0;
}

/* runc's wording, which podman and containerd map to exit codes 126/127 */
static void exec_path_error_reword(const char *arg0, pk_error **err) {
  if (*err == NULL)
    return;
  if ((*err)->errnum == ENOENT && strchr(arg0, '/') == NULL) {
    error_free(err);
    error_set_code(err, ENOENT, "exec: \"%s\": executable file not found in $PATH", arg0);
    return;
  }
  if (str_has_prefix((*err)->msg, "exec \"")) {
    char *m = NULL;
    if (asprintf(&m, "exec: %s", (*err)->msg + 5) >= 0) {
      free((*err)->msg);
      (*err)->msg = m;
    }
  }
}

static __attribute__((noreturn)) void exec_child(struct exec_ctx *c) {
  struct spec_process *p = &c->p;
  int sock = c->sock_child;
  cleanup_error pk_error *err = NULL;
  cleanup_close int aa_fd = -1;
  char *exec_path = NULL;
  char cwd[PATH_MAX];
  char **env;

  close(c->sock_parent);
  if (c->own_pid_ns >= 0)
    close(c->own_pid_ns);
  /* the cgroup and the LSM attribute file while we still have the host's
   * mount table and credentials */
  if (c->cg && cgroup_enter_self(c->cg, c->cg_v2_done, &err) < 0)
    child_fail(sock, &err);
  if (c->apparmor_exec) {
    aa_fd = open("/proc/thread-self/attr/apparmor/exec", O_WRONLY | O_CLOEXEC);
    if (aa_fd < 0)
      aa_fd = open("/proc/thread-self/attr/exec", O_WRONLY | O_CLOEXEC);
  } else if (c->selinux_label)
    aa_fd = open("/proc/thread-self/attr/exec", O_WRONLY | O_CLOEXEC);
  if ((c->apparmor_exec || c->selinux_label) && aa_fd < 0) {
    error_set(&err, errno, "open /proc/thread-self/attr/exec");
    child_fail(sock, &err);
  }
  if (ns_join(c, c->ns_flags, &err) < 0)
    child_fail(sock, &err);
  close(c->pidfd);
  if (c->cg) {
    cgroup_free(c->cg);
    c->cg = NULL;
  }
  if (setsid() < 0) {
    error_set(&err, errno, "setsid");
    child_fail(sock, &err);
  }
  if (c->console_fd >= 0) {
    /* a pty of the container's devpts (its terminal lives in its mount
     * namespace); /dev/console stays the init's */
    if (console_pty_setup(c->console_fd, p->console_height, p->console_width, false, &err) < 0)
      child_fail(sock, &err);
    close(c->console_fd);
  }
  if (process_oom_score_adj_set(p, &err) < 0 || process_rlimits_apply(p, &err) < 0)
    child_fail(sock, &err);
  if (aa_fd >= 0) {
    /* takes effect at execve */
    const char *v = c->apparmor_exec ? c->apparmor_exec : c->selinux_label;
    size_t len = strlen(v);
    if (write(aa_fd, v, len) != (ssize_t)len) {
      error_set(&err, errno, "%s \"%s\"", c->apparmor_exec ? "apparmor profile" : "selinux label",
                c->apparmor_exec ? p->apparmor_profile : c->selinux_label);
      child_fail(sock, &err);
    }
    close(take_fd(&aa_fd));
  }
  /* without noNewPrivileges loading the filter needs CAP_SYS_ADMIN, which
   * the identity may drop: then it goes first, as runc does */
  if (c->prog && !p->no_new_privileges && seccomp_install(c, &err) < 0)
    child_fail(sock, &err);
  /* In the container's pid namespace since the fork: until now holding
   * more capabilities than its processes kept them out of our /proc/PID;
   * from here to the sealed execve non-dumpability does (CVE-2019-5736). */
  if (sealed_nondumpable(&err) < 0 || process_identity_apply(p, &err) < 0 ||
      sealed_nondumpable(&err) < 0)
    child_fail(sock, &err);
  if (process_fds_prepare(c->o->preserve_fds, &err) < 0)
    child_fail(sock, &err);
  if (process_cwd_umask_apply(p, &err) < 0)
    child_fail(sock, &err);
  /* fds still open here (the caller's, ours) are close-on-exec but can be
   * reached as /proc/self/fd/N: a cwd through one of them would be outside
   * the container's root, which getcwd() reports (CVE-2024-21626) */
  if (getcwd(cwd, sizeof(cwd)) == NULL || cwd[0] != '/') {
    error_set(&err, 0, "process.cwd: %s is outside the container", p->cwd);
    child_fail(sock, &err);
  }
  if (process_exec_path(p, &exec_path, &err) < 0) {
    exec_path_error_reword(p->args[0], &err);
    child_fail(sock, &err);
  }
  env = process_env_build(p, 0);
  process_signals_reset();
  if (c->prog && p->no_new_privileges && seccomp_install(c, &err) < 0)
    child_fail(sock, &err);
  sealed_execve(c->stub_fd, exec_path, p->args, env);
  {
    int e = errno;
    error_set_code(&err, e, "exec: \"%s\": %s", p->args[0],
                   e == EACCES ? "permission denied" : strerror(e));
  }
  child_fail(sock, &err);
}

/* ---- the parent ---- */

struct pk_clone3_args {
  uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid,
      set_tid_size, cgroup;
};

/* Straight into the cgroup2 directory when there is one, which spares the
 * child the cgroup.procs write (and the kernel's threadgroup lock). */
static pid_t exec_fork(struct exec_ctx *c) {
  if (c->cg_v2_fd >= 0) {
    struct pk_clone3_args a = {
        .flags = CLONE_INTO_CGROUP, .exit_signal = SIGCHLD, .cgroup = (uint64_t)c->cg_v2_fd};
    long r = syscall(SYS_clone3, &a, sizeof(a));
    if (r >= 0) {
      if (r == 0)
        c->cg_v2_done = true;
      return (pid_t)r;
    }
    if (errno == EAGAIN || errno == ENOMEM)
      return -1;
  }
  return (pid_t)syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
}

/* Move fd out of 3..min-1, where the preserved fds live. */
static int fd_above(int *fd, int min) {
  int n;
  if (*fd < 0 || *fd >= min)
    return 0;
  n = fcntl(*fd, F_DUPFD_CLOEXEC, min);
  if (n < 0)
    return -1;
  close(*fd);
  *fd = n;
  return 0;
}

static void ctx_clear(struct exec_ctx *c) {
  if (c->pidfd >= 0)
    close(c->pidfd);
  if (c->cg_v2_fd >= 0)
    close(c->cg_v2_fd);
  if (c->sock_parent >= 0)
    close(c->sock_parent);
  if (c->sock_child >= 0)
    close(c->sock_child);
  if (c->console_fd >= 0)
    close(c->console_fd);
  if (c->stub_fd >= 0)
    close(c->stub_fd);
  if (c->own_pid_ns >= 0)
    close(c->own_pid_ns);
  if (c->cg)
    cgroup_free(c->cg);
  if (c->prog)
    seccomp_filter_free(c->prog);
  spec_free(c->pspec);
  spec_free(c->config);
  state_free(c->st);
  free(c->env);
  free(c->gids);
  free(c->apparmor_exec);
}

/* The container, under its lock: state, status, a pidfd of its init. */
static int container_find(struct exec_ctx *c, pk_error **err) {
  const struct exec_opts *o = c->o;
  cleanup_close int lock = -1;
  enum container_status status;
  bool frozen = false;

  if (state_dir_lock(o->root, o->id, &lock, err) < 0 || state_read(o->root, o->id, &c->st, err) < 0)
    return -1;
  if (c->st->cgroup_path && *c->st->cgroup_path) {
    if (cgroup_open(c->st->cgroup_path, &c->cg, err) < 0 ||
        cgroup_is_frozen(c->cg, &frozen, err) < 0)
      return -1;
  }
  status = state_status(o->root, c->st, frozen);
  if (status == STATUS_STOPPED)
    return error_set(err, 0, "cannot exec in a stopped container");
  if (status == STATUS_CREATING)
    return error_set(err, 0, "cannot exec in a container that is being created");
  if (status == STATUS_PAUSED && !o->ignore_paused)
    return error_set(err, 0, "cannot exec in a paused container (use --ignore-paused to override)");
  c->init_pid = c->st->pid;
  c->init_start = c->st->start_time;
  c->pidfd = (int)syscall(SYS_pidfd_open, c->init_pid, 0);
  /* No pidfd_open (kernels before 5.3, valgrind): ns_join opens the
   * namespaces by pid, each checked by init_check as with old setns(). */
  if (c->pidfd < 0 && errno != ENOSYS)
    return errno == ESRCH ? error_set(err, 0, "cannot exec in a stopped container")
                          : error_set(err, errno, "pidfd_open %d", (int)c->init_pid);
  return init_check(c, err);
}

static int exec_prepare(struct exec_ctx *c, pk_error **err) {
  const struct exec_opts *o = c->o;

  if (container_find(c, err) < 0)
    return -1;
  if (spec_load(c->st->bundle, &c->config, err) < 0)
    return -1;
  if ((o->process_file ? process_from_file(c, err) : process_from_cli(c, err)) < 0)
    return -1;
  if (c->p.terminal && o->detach && !o->console_socket)
    return error_set(err, 0,
                     "cannot allocate tty if podrun will detach without setting console socket");
  if (!c->p.terminal && o->console_socket)
    return error_set(err, 0, "cannot use console socket without a tty (-t)");
  if (lsm_prepare(c, err) < 0)
    return -1;
  if (c->config->seccomp) {
    /* the same cache create uses: ROOT/.seccomp-cache */
    cleanup_free char *cache = NULL;
    struct seccomp_filter_opts so = {0};
    if (asprintf(&cache, "%s/" SECCOMP_FILTER_CACHE_SUBDIR, o->root) < 0)
      return error_set(err, ENOMEM, "seccomp");
    so.cache_dir = cache;
    if (seccomp_filter_prepare(c->config->seccomp, &so, &c->prog, err) < 0)
      return -1;
  }
  if (o->console_socket) {
    c->console_fd = console_socket_connect(o->console_socket, err);
    if (c->console_fd < 0)
      return -1;
  }
  if (c->cg) {
    cleanup_error pk_error *e2 = NULL;
    c->cg_v2_fd = cgroup_v2_fd(c->cg, &e2);
  }
  ns_flags_compute(c);
  /* the flags were read by pid */
  return init_check(c, err);
}

static int msg_recv(int sock, int *type, int *errnum, char **text, int *fd) {
  char buf[8192];
  char cbuf[CMSG_SPACE(sizeof(int))];
  struct iovec iov = {.iov_base = buf, .iov_len = sizeof(buf) - 1};
  struct msghdr m = {
      .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf)};
  struct exec_msg_hdr h;
  ssize_t n;

  *fd = -1;
  do
    n = recvmsg(sock, &m, MSG_CMSG_CLOEXEC);
  while (n < 0 && errno == EINTR);
  if (n <= 0)
    return (int)n;
  for (struct cmsghdr *cm = CMSG_FIRSTHDR(&m); cm; cm = CMSG_NXTHDR(&m, cm))
    if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS)
      memcpy(fd, CMSG_DATA(cm), sizeof(int));
  if ((size_t)n < sizeof(h)) {
    errno = EPROTO;
    return -1;
  }
  memcpy(&h, buf, sizeof(h));
  buf[n] = '\0';
  *type = h.type;
  *errnum = h.errnum;
  *text = strdup(buf + sizeof(h));
  return 1;
}

/* Until EOF (the child exec'd or died) or its error. */
static int child_wait_exec(struct exec_ctx *c, pid_t pid, pk_error **err) {
  for (;;) {
    cleanup_free char *text = NULL;
    int type = 0, e = 0, fd = -1;
    int r = msg_recv(c->sock_parent, &type, &e, &text, &fd);
    if (r == 0)
      return 0;
    if (r < 0)
      return error_set(err, errno, "read from the exec'd process");
    if (type == EXEC_MSG_ERROR)
      return error_set_code(err, e, "%s", text ? text : "failed");
    if (type == EXEC_MSG_LISTENER && fd >= 0) {
      json_t *sj = state_to_json(c->st, STATUS_RUNNING);
      int rc = seccomp_filter_send_listener(c->prog, fd, pid, sj, err);
      json_decref(sj);
      close(fd);
      if (rc < 0)
        return -1;
      continue;
    }
    if (fd >= 0)
      close(fd);
  }
}

int container_exec(const struct exec_opts *o, int *exit_code, pk_error **err) {
  struct exec_ctx c = {.o = o,
                       .pidfd = -1,
                       .cg_v2_fd = -1,
                       .sock_parent = -1,
                       .sock_child = -1,
                       .console_fd = -1,
                       .stub_fd = -1,
                       .own_pid_ns = -1};
  struct sigaction dfl = {.sa_handler = SIG_DFL}, old_chld;
  sigset_t set, old_mask;
  int sv[2], ret = -1;
  pid_t pid = -1;

  *exit_code = 0;
  if (id_validate(o->id, "container ID", err) < 0)
    return -1;
  if (exec_prepare(&c, err) < 0)
    goto out;
  c.stub_fd = sealed_stub_create(3 + (o->preserve_fds > 0 ? o->preserve_fds : 0), err);
  if (c.stub_fd < 0)
    goto out;
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
    error_set(err, errno, "socketpair");
    goto out;
  }
  c.sock_parent = sv[0];
  c.sock_child = sv[1];
  if (c.join_pid) {
    c.own_pid_ns = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
    if (c.own_pid_ns < 0) {
      error_set(err, errno, "open /proc/self/ns/pid");
      goto out;
    }
  }
  /* fds 3..3+N-1 are made inheritable in the child: none of ours may sit
   * there, or the host's pid namespace would be handed to the container */
  if (o->preserve_fds > 0) {
    int min = 3 + o->preserve_fds;
    if (fd_above(&c.sock_parent, min) < 0 || fd_above(&c.sock_child, min) < 0 ||
        fd_above(&c.pidfd, min) < 0 || fd_above(&c.console_fd, min) < 0 ||
        fd_above(&c.cg_v2_fd, min) < 0 || fd_above(&c.own_pid_ns, min) < 0) {
      error_set(err, errno, "move fds above the preserved ones");
      goto out;
    }
  }

  /* Blocked before the fork so that nothing sent meanwhile is lost; the
   * child unblocks everything before exec.  SIGCHLD at its default, or a
   * caller's SIG_IGN would reap the child behind our back. */
  process_forward_sigset(&set);
  sigprocmask(SIG_BLOCK, &set, &old_mask);
  sigaction(SIGCHLD, &dfl, &old_chld);
  /* affects only our children: podrun itself stays where it is */
  if (c.join_pid && ns_join(&c, CLONE_NEWPID, err) < 0)
    goto restore;
  fflush(stdout);
  fflush(stderr);
  pid = exec_fork(&c);
  if (pid == 0)
    exec_child(&c);
  if (pid < 0)
    error_set(err, errno, "fork");
  if (c.own_pid_ns >= 0 && setns(c.own_pid_ns, CLONE_NEWPID) < 0 && pid > 0) {
    /* podrun forks nothing else, but the library may be used by others */
    error_set(err, errno, "return to podrun's pid namespace");
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    goto restore;
  }
  if (pid < 0)
    goto restore;
  close(c.sock_child);
  c.sock_child = -1;
  if (child_wait_exec(&c, pid, err) < 0) {
    kill(pid, SIGKILL);
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
      ;
    goto restore;
  }
  if (o->pid_file) {
    char buf[16];
    int n = snprintf(buf, sizeof(buf), "%d", (int)pid);
    if (file_write_atomic(o->pid_file, buf, (size_t)n, 0644, err) < 0) {
      error_wrap(err, "pid file");
      kill(pid, SIGKILL);
      waitpid(pid, NULL, 0);
      goto restore;
    }
  }
  ret = 0;
  if (!o->detach)
    *exit_code = process_wait_forwarding(pid, &set);
restore:
  sigaction(SIGCHLD, &old_chld, NULL);
  sigprocmask(SIG_SETMASK, &old_mask, NULL);
out:
  ctx_clear(&c);
  return ret;
}
