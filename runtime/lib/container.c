/* SPDX-License-Identifier: MIT */
#include "container.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <seccomp.h>

#include "cgroup.h"
#include "cleanup.h"
#include "console.h"
#include "hooks.h"
#include "linux.h"
#include "log.h"
#include "process.h"
#include "sealed.h"
#include "seccomp_filter.h"
#include "spec.h"
#include "state.h"
#include "util.h"

#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif
#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif
#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif

enum {
  MSG_GO = 'G',
  MSG_HOOKS = 'H',
  MSG_CONTINUE = 'C',
  MSG_SECCOMP = 'S', /* child -> parent: the seccomp listener fd (SCM_RIGHTS) */
  MSG_CGROUP = 'J',  /* parent -> child: the cgroup is complete, join it */
  MSG_READY = 'Y',
  MSG_ERROR = 'E'
};

struct msg_hdr {
  uint32_t type;
  int32_t errnum;
};

/* SOCK_SEQPACKET keeps message boundaries; the payload stays below the
 * default socket buffer so one send is one message. */
#define MSG_TEXT_MAX (192 * 1024)

union fd_cmsg {
  char buf[CMSG_SPACE(sizeof(int))];
  struct cmsghdr align;
};

/* pass_fd >= 0 goes along with SCM_RIGHTS */
static int msg_send_fd(int fd, int type, int errnum, const char *text, int pass_fd) {
  struct msg_hdr h = {.type = (uint32_t)type, .errnum = errnum};
  size_t len = text ? strlen(text) : 0;
  struct iovec iov[2] = {
      {.iov_base = &h, .iov_len = sizeof(h)},
      {.iov_base = (void *)text, .iov_len = len > MSG_TEXT_MAX ? MSG_TEXT_MAX : len}};
  return sock_send_fd(fd, iov, 2, pass_fd) < 0 ? -1 : 0;
}

static int msg_send(int fd, int type, int errnum, const char *text) {
  return msg_send_fd(fd, type, errnum, text, -1);
}

/* Returns the message type, 0 on EOF (the peer died), -1 on error; *text
 * (malloc'ed, NUL-terminated) gets the payload when asked for. */
static int msg_recv_fd(int fd, int *errnum, char **text, int *got_fd) {
  cleanup_free char *buf = NULL;
  struct msg_hdr h;
  struct iovec iov;
  struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
  union fd_cmsg u;
  ssize_t n;

  if (got_fd)
    *got_fd = -1;
  /* peek the size first: most messages are 8 bytes, and a big buffer
   * would cost an mmap per message */
  do
    n = recv(fd, &h, sizeof(h), MSG_PEEK | MSG_TRUNC);
  while (n < 0 && errno == EINTR);
  if (n <= 0)
    return n == 0 ? 0 : -1;
  buf = malloc((size_t)n + 1);
  if (buf == NULL)
    return -1;
  iov.iov_base = buf;
  iov.iov_len = (size_t)n;
  m.msg_control = u.buf;
  m.msg_controllen = sizeof(u.buf);
  do
    n = recvmsg(fd, &m, MSG_CMSG_CLOEXEC);
  while (n < 0 && errno == EINTR);
  if (n <= 0)
    return n == 0 ? 0 : -1;
  for (struct cmsghdr *cm = CMSG_FIRSTHDR(&m); cm; cm = CMSG_NXTHDR(&m, cm)) {
    int rfd;
    if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS ||
        cm->cmsg_len < CMSG_LEN(sizeof(int)))
      continue;
    memcpy(&rfd, CMSG_DATA(cm), sizeof(int));
    if (got_fd && *got_fd < 0)
      *got_fd = rfd;
    else
      close(rfd);
  }
  if ((size_t)n < sizeof(h)) {
    errno = EPROTO;
    return -1;
  }
  memcpy(&h, buf, sizeof(h));
  if (errnum)
    *errnum = h.errnum;
  if (text) {
    size_t len = (size_t)n - sizeof(h);
    memmove(buf, buf + sizeof(h), len);
    buf[len] = '\0';
    *text = take_ptr(buf);
  }
  return (int)h.type;
}

static int msg_recv(int fd, int *errnum, char **text) {
  return msg_recv_fd(fd, errnum, text, NULL);
}

/* ---- create ---- */

struct create_ctx {
  const struct container_opts *o;
  struct spec *spec;
  char *bundle; /* absolute */
  char *rootfs; /* absolute */
  int bundle_fd;
  int sync_parent, sync_child;
  int lock_fd;
  int state_dirfd;
  int console_fd;
  int stub_fd; /* the sealed exec stub (CVE-2019-5736) */
  int n_keep;
  int ns_fds[SPEC_NS_COUNT]; /* namespaces the child joins itself */
  bool user_new, user_joined;
  bool child_hooks; /* the child asks for the state JSON */
  bool parent_hooks;
  struct cgroup *cg;
  bool cg_self;    /* the child moves itself into cg (see cgroup_enter_self) */
  bool cg_late;    /* ... once MSG_CGROUP says the parent has finished it */
  bool cg_v2_done; /* cloned straight into the cgroup2 directory */
  struct seccomp_filter_prog *sc;
};

static bool spec_has_hooks(const struct spec *s, enum spec_hook_kind k) {
  return s->hooks[k].n > 0;
}

/* A cgroup mount binds the container's own v1 directories (when it has no
 * cgroup namespace), so the child must be in them before it mounts. */
static bool spec_has_cgroup_mount(const struct spec *s) {
  for (size_t i = 0; i < s->n_mounts; i++)
    if (s->mounts[i].type && strcmp(s->mounts[i].type, "cgroup") == 0 && !s->mounts[i].bind)
      return true;
  return false;
}

static bool ns_new(const struct spec *s, enum spec_ns_type t) {
  return s->ns[t].present && s->ns[t].path == NULL;
}

static bool ns_joined(const struct spec *s, enum spec_ns_type t) {
  return s->ns[t].present && s->ns[t].path != NULL;
}

static __attribute__((noreturn)) void child_fail(int sock, pk_error **err) {
  if (msg_send(sock, MSG_ERROR, (*err)->errnum, (*err)->msg) < 0)
    dprintf(STDERR_FILENO, "podrun: %s\n", (*err)->msg);
  _exit(1);
}

/* Install the filter; a listener fd goes to the parent, which hands it to
 * linux.seccomp.listenerPath (the host path is out of reach after the
 * pivot). */
static int child_seccomp_install(struct create_ctx *c, int sock, pk_error **err) {
  int lfd = -1;
  if (seccomp_filter_install(c->sc, &lfd, err) < 0)
    return -1;
  if (lfd >= 0) {
    int r = msg_send_fd(sock, MSG_SECCOMP, 0, NULL, lfd);
    close(lfd);
    if (r < 0)
      return error_set(err, errno, "send the seccomp listener fd");
  }
  return 0;
}

static bool path_exists(const char *p) {
  return access(p, F_OK) == 0;
}

/* AppArmor and SELinux: refused at create when the host has no such LSM,
 * so a label in config.json is never silently dropped. */
static bool apparmor_enabled(void) {
  char b = 0;
  cleanup_close int fd = open("/sys/module/apparmor/parameters/enabled", O_RDONLY | O_CLOEXEC);
  return fd >= 0 && read(fd, &b, 1) == 1 && b == 'Y' &&
         path_exists("/sys/kernel/security/apparmor");
}

static bool selinux_enabled(void) {
  return path_exists("/sys/fs/selinux/enforce");
}

static int lsm_check(const struct spec *s, pk_error **err) {
  const struct spec_process *p = &s->process;
  if (p->apparmor_profile && *p->apparmor_profile && !apparmor_enabled())
    return error_set_code(err, ENOTSUP,
                          "process.apparmorProfile \"%s\": AppArmor is not enabled on this host",
                          p->apparmor_profile);
  if (p->selinux_label && *p->selinux_label && !selinux_enabled())
    return error_set_code(err, ENOTSUP,
                          "process.selinuxLabel \"%s\": SELinux is not enabled on this host",
                          p->selinux_label);
  /* applied as context= on the container's tmpfs, devpts and mqueue
   * mounts (linux.c) */
  if (s->mount_label && *s->mount_label && !selinux_enabled())
    return error_set_code(err, ENOTSUP,
                          "linux.mountLabel \"%s\": SELinux is not enabled on this host",
                          s->mount_label);
  return 0;
}

static int attr_write(const char *path, const char *alt, const char *val, const char *what,
                      pk_error **err) {
  cleanup_close int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0 && alt)
    fd = open(alt, O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return error_set(err, errno, "%s: open %s", what, path);
  if (write_all(fd, val, strlen(val)) < 0)
    return error_set(err, errno, "%s: set \"%s\"", what, val);
  return 0;
}

/* The labels take effect at execve; written in the container, through its
 * /proc, as runc does. */
static int lsm_exec_label_set(const struct spec *s, pk_error **err) {
  const struct spec_process *p = &s->process;
  if (p->apparmor_profile && *p->apparmor_profile) {
    cleanup_free char *v = NULL;
    if (asprintf(&v, "exec %s", p->apparmor_profile) < 0)
      return error_set(err, ENOMEM, "process.apparmorProfile");
    if (attr_write("/proc/self/attr/apparmor/exec", "/proc/self/attr/exec", v,
                   "process.apparmorProfile", err) < 0)
      return -1;
  }
  if (p->selinux_label && *p->selinux_label &&
      attr_write("/proc/self/attr/exec", NULL, p->selinux_label, "process.selinuxLabel", err) < 0)
    return -1;
  return 0;
}

static __attribute__((noreturn)) void child_main(struct create_ctx *c) {
  const struct spec *s = c->spec;
  const struct spec_process *p = &s->process;
  int sock = c->sync_child;
  cleanup_error pk_error *err = NULL;
  cleanup_free char *state_json = NULL;
  cleanup_close int rootfd = -1;
  char *exec_path = NULL;
  char **env;
  int type, e = 0, fifo;
  bool mount_new = ns_new(s, SPEC_NS_MOUNT);

  /* The directory lock is an open file description: a copy held here would
   * keep `start` waiting on it forever. */
  close(c->lock_fd);
  close(c->sync_parent);

  type = msg_recv(sock, &e, NULL);
  if (type != MSG_GO)
    _exit(1);
  /* Still with podrun's credentials and cgroup namespace: writing "0"
   * moves just this thread, without the kernel's global lock that moving
   * another process takes. */
  if (c->cg_self && !c->cg_late && cgroup_enter_self(c->cg, c->cg_v2_done, &err) < 0)
    child_fail(sock, &err);
  if (c->user_new) {
    /* become the namespace's root now that the parent wrote the maps */
    if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0) {
      error_set(&err, errno, "become root in the new user namespace");
      child_fail(sock, &err);
    }
  }
  if (c->user_joined) {
    /* user first: the other namespaces are then owned by it */
    static const enum spec_ns_type order[] = {SPEC_NS_USER, SPEC_NS_IPC,    SPEC_NS_UTS,
                                              SPEC_NS_NET,  SPEC_NS_CGROUP, SPEC_NS_MOUNT};
    int flags = 0;
    for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
      enum spec_ns_type t = order[i];
      if (c->ns_fds[t] >= 0 && linux_ns_join(c->ns_fds[t], t, s->ns[t].path, &err) < 0)
        child_fail(sock, &err);
    }
    for (enum spec_ns_type t = SPEC_NS_NET; t <= SPEC_NS_MOUNT; t++)
      if (t != SPEC_NS_USER && ns_new(s, t))
        flags |= linux_ns_type(t);
    if (flags && unshare(flags) < 0) {
      error_set(&err, errno, "unshare namespaces");
      child_fail(sock, &err);
    }
  } else if (c->ns_fds[SPEC_NS_MOUNT] >= 0) {
    if (linux_ns_join(c->ns_fds[SPEC_NS_MOUNT], SPEC_NS_MOUNT, s->ns[SPEC_NS_MOUNT].path, &err) < 0)
      child_fail(sock, &err);
  }
  for (int t = 0; t < SPEC_NS_COUNT; t++)
    if (c->ns_fds[t] >= 0)
      close(c->ns_fds[t]);
  /* after the parent put us into the container's cgroup, so that the new
   * cgroup namespace is rooted there */
  if (ns_new(s, SPEC_NS_CGROUP) && unshare(CLONE_NEWCGROUP) < 0) {
    error_set(&err, errno, "unshare the cgroup namespace");
    child_fail(sock, &err);
  }
  /* modes of device nodes and mount points exactly as asked; the
   * process's umask is set just before exec */
  umask(0);
  /* relative bind sources are relative to the bundle; by fd, since a
   * mapped root may not be able to walk the path to it */
  if (fchdir(c->bundle_fd) < 0) {
    error_set(&err, errno, "chdir %s", c->bundle);
    child_fail(sock, &err);
  }
  close(c->bundle_fd);
  if (mount_new) {
    if (linux_rootfs_prepare(s, c->rootfs, &rootfd, &err) < 0)
      child_fail(sock, &err);
    if (p->cwd && linux_cwd_create(rootfd, p->cwd, &err) < 0)
      child_fail(sock, &err);
  }
  if ((s->hostname || s->domainname) && linux_hostname_set(s, &err) < 0)
    child_fail(sock, &err);
  if (ns_new(s, SPEC_NS_NET) && linux_loopback_up(&err) < 0)
    child_fail(sock, &err);
  if (process_oom_score_adj_set(p, &err) < 0 || process_rlimits_apply(p, &err) < 0)
    child_fail(sock, &err);
  if (c->cg_late) {
    /* The parent made the v1 directories and wrote the limits meanwhile;
     * joined before any hook runs and while the host's /sys/fs/cgroup is
     * still reachable, before the pivot. */
    type = msg_recv(sock, &e, NULL);
    if (type != MSG_CGROUP)
      _exit(1);
    if (cgroup_enter_self(c->cg, c->cg_v2_done, &err) < 0)
      child_fail(sock, &err);
  }

  if (c->child_hooks || c->parent_hooks) {
    if (msg_send(sock, MSG_HOOKS, 0, NULL) < 0)
      _exit(1);
    type = msg_recv(sock, &e, &state_json);
    if (type != MSG_CONTINUE)
      _exit(1);
    if (spec_has_hooks(s, SPEC_HOOK_CREATE_CONTAINER) &&
        hooks_run(s, SPEC_HOOK_CREATE_CONTAINER, state_json, &err) < 0)
      child_fail(sock, &err);
  }

  if (mount_new) {
    if (linux_root_pivot(c->rootfs, c->o->no_pivot, &err) < 0)
      child_fail(sock, &err);
    if (linux_rootfs_finalize(s, &err) < 0)
      child_fail(sock, &err);
  }
  if (setsid() < 0 && errno != EPERM) {
    error_set(&err, errno, "setsid");
    child_fail(sock, &err);
  }
  if (c->console_fd >= 0) {
    if (console_pty_setup(c->console_fd, p->console_height, p->console_width, true, &err) < 0)
      child_fail(sock, &err);
    close(c->console_fd);
  }
  /* Without noNewPrivileges, loading a filter needs CAP_SYS_ADMIN, which
   * process_identity_apply() may drop: such a filter goes in here (as in
   * runc).  With noNewPrivileges it goes in just before execve, unless the
   * listener fd must reach the parent while create is still running. */
  if (c->sc && !p->no_new_privileges && child_seccomp_install(c, sock, &err) < 0)
    child_fail(sock, &err);
  /* Up to here the capability check keeps the container's processes out
   * of our /proc/PID (we hold more than they do); from here on only
   * non-dumpability does, until the execve through the sealed stub. */
  if (sealed_nondumpable(&err) < 0 || process_identity_apply(p, &err) < 0 ||
      sealed_nondumpable(&err) < 0)
    child_fail(sock, &err);
  if (process_cwd_umask_apply(p, &err) < 0)
    child_fail(sock, &err);
  if (lsm_exec_label_set(s, &err) < 0)
    child_fail(sock, &err);
  if (process_exec_path(p, &exec_path, &err) < 0)
    child_fail(sock, &err);
  env = process_env_build(p, c->n_keep - c->o->preserve_fds);
  if (process_fds_prepare(c->n_keep, &err) < 0)
    child_fail(sock, &err);
  if (c->sc && p->no_new_privileges && c->sc->notify && child_seccomp_install(c, sock, &err) < 0)
    child_fail(sock, &err);
  if (msg_send(sock, MSG_READY, 0, NULL) < 0)
    _exit(1);
  close(sock);

  /* Wait for `start`: opening a FIFO for writing blocks until a reader
   * opens it.  The state dir fd still reaches the host's directory after
   * the pivot, and needs no /proc in the container. */
  do
    fifo = openat(c->state_dirfd, "exec.fifo", O_WRONLY | O_CLOEXEC);
  while (fifo < 0 && errno == EINTR);
  if (fifo < 0 || write(fifo, "0", 1) != 1) {
    dprintf(STDERR_FILENO, "podrun: %s: wait for start: %s\n", c->o->id, strerror(errno));
    _exit(1);
  }
  /* fifo stays open, close-on-exec: `start` sees EOF once execve has
   * happened, so poststart hooks never run before the user process */
  close(c->state_dirfd);

  if (spec_has_hooks(s, SPEC_HOOK_START_CONTAINER)) {
    char *st = state_json ? strstr(state_json, "\"status\":\"creating\"") : NULL;
    if (st)
      memcpy(st, "\"status\":\"created\" ", strlen("\"status\":\"created\" "));
    if (hooks_run(s, SPEC_HOOK_START_CONTAINER, state_json, &err) < 0) {
      dprintf(STDERR_FILENO, "podrun: %s\n", err->msg);
      _exit(1);
    }
  }
  process_signals_reset();
  /* noNewPrivileges: the filter is the last step before execve, so that
   * everything above may still use the syscalls it blocks.  Errors here
   * can only go to stderr: create has returned already. */
  if (c->sc && p->no_new_privileges && !c->sc->notify) {
    int lfd;
    if (seccomp_filter_install(c->sc, &lfd, &err) < 0) {
      dprintf(STDERR_FILENO, "podrun: %s: %s\n", c->o->id, err->msg);
      _exit(127);
    }
  }
  sealed_execve(c->stub_fd, exec_path, p->args, env);
  dprintf(STDERR_FILENO, "podrun: exec %s: %s\n", p->args[0], strerror(errno));
  _exit(127);
}

struct pk_clone_args {
  uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
  uint64_t set_tid, set_tid_size, cgroup;
};

/* cgroup_fd >= 0: start the child in that cgroup2 directory
 * (CLONE_INTO_CGROUP); the caller retries without it on failure. */
static pid_t clone_child(unsigned long flags, int *pidfd, int cgroup_fd) {
  struct pk_clone_args a = {
      .flags = flags | CLONE_PIDFD, .pidfd = (uint64_t)(uintptr_t)pidfd, .exit_signal = SIGCHLD};
  long r;
  if (cgroup_fd >= 0) {
    a.flags |= CLONE_INTO_CGROUP;
    a.cgroup = (uint64_t)cgroup_fd;
  }
  r = syscall(SYS_clone3, &a, cgroup_fd >= 0 ? sizeof(a) : offsetof(struct pk_clone_args, set_tid));
  if (r < 0 && errno == ENOSYS && cgroup_fd < 0 && !(flags & CLONE_NEWTIME)) {
    *pidfd = -1;
    r = syscall(SYS_clone, flags | SIGCHLD, 0, 0, 0, 0);
  }
  return (pid_t)r;
}

/* Move fd out of 3..min-1, where the preserved fds live. */
static int fd_above(int fd, int min) {
  int n;
  if (fd < 0 || fd >= min)
    return fd;
  n = fcntl(fd, F_DUPFD_CLOEXEC, min);
  if (n >= 0)
    close(fd);
  return n;
}

static const char *ns_proc_name(enum spec_ns_type t) {
  static const char *names[SPEC_NS_COUNT] = {"pid", "net",  "ipc",    "uts",
                                             "mnt", "user", "cgroup", "time"};
  return names[t];
}

/* Namespaces the parent enters before clone and leaves again right after:
 * pid and time apply to children only, and the others are joined before a
 * new user namespace is made, as the kernel's ownership rules want. */
struct parent_ns {
  int saved[SPEC_NS_COUNT];
  int target[SPEC_NS_COUNT];
};

static int parent_ns_enter(const struct create_ctx *c, struct parent_ns *pn, pk_error **err) {
  const struct spec *s = c->spec;
  for (int t = 0; t < SPEC_NS_COUNT; t++)
    pn->saved[t] = pn->target[t] = -1;
  for (enum spec_ns_type t = 0; t < SPEC_NS_COUNT; t++) {
    char self[32];
    bool here = (t == SPEC_NS_PID || t == SPEC_NS_TIME) ||
                (!c->user_joined && t != SPEC_NS_USER && t != SPEC_NS_MOUNT);
    if (!here || !(ns_joined(s, t) || (t == SPEC_NS_TIME && ns_new(s, t))))
      continue;
    snprintf(self, sizeof(self), "/proc/self/ns/%s", ns_proc_name(t));
    pn->saved[t] = open(self, O_RDONLY | O_CLOEXEC);
    if (pn->saved[t] < 0)
      return error_set(err, errno, "open %s", self);
    if (t == SPEC_NS_TIME && ns_new(s, t)) {
      /* clone(2) has no room for CLONE_NEWTIME: unshare it for children */
      if (unshare(CLONE_NEWTIME) < 0)
        return error_set(err, errno, "new time namespace");
      continue;
    }
    pn->target[t] = linux_ns_open(s, t, err);
    if (pn->target[t] < 0 || linux_ns_join(pn->target[t], t, s->ns[t].path, err) < 0)
      return -1;
  }
  return 0;
}

static int parent_ns_leave(struct parent_ns *pn, pk_error **err) {
  int ret = 0;
  for (enum spec_ns_type t = 0; t < SPEC_NS_COUNT; t++) {
    if (pn->saved[t] >= 0) {
      if (setns(pn->saved[t], linux_ns_type(t)) < 0 && ret == 0)
        ret = error_set(err, errno, "return to podrun's %s namespace", ns_proc_name(t));
      close(pn->saved[t]);
      pn->saved[t] = -1;
    }
    if (pn->target[t] >= 0)
      close(pn->target[t]);
    pn->target[t] = -1;
  }
  return ret;
}

/* SIGKILL pid (when it is still the process with start_time) and wait until
 * it is gone; it is not necessarily our child. */
static int process_kill_wait(pid_t pid, unsigned long long start_time, pk_error **err) {
  cleanup_close int pfd = proc_pidfd_open(pid);
  struct pollfd pl;
  if (pfd < 0)
    return errno == ESRCH ? 0 : error_set(err, errno, "pidfd_open %d", (int)pid);
  if (proc_start_time(pid) != start_time)
    return 0;
  if (syscall(SYS_pidfd_send_signal, pfd, SIGKILL, NULL, 0) < 0 && errno != ESRCH)
    return error_set(err, errno, "kill %d", (int)pid);
  pl.fd = pfd;
  pl.events = POLLIN;
  while (poll(&pl, 1, 30000) < 0) {
    if (errno != EINTR)
      return error_set(err, errno, "wait for %d", (int)pid);
  }
  /* our own child (run, a failed create): reap it */
  waitpid(pid, NULL, WNOHANG);
  return 0;
}

struct created {
  pid_t pid;
  int pidfd;
  struct spec *spec;
  struct state st;
};

static void created_clear(struct created *cr) {
  if (cr->pidfd >= 0)
    close(cr->pidfd);
  spec_free(cr->spec);
  free(cr->st.bundle);
  free(cr->st.rootfs);
  free(cr->st.created);
  free(cr->st.cgroup_path);
  json_decref(cr->st.annotations);
  json_decref(cr->st.extra);
  memset(cr, 0, sizeof(*cr));
  cr->pidfd = -1;
}

static char *rootfs_abs(const char *bundle, const char *root_path, pk_error **err) {
  cleanup_free char *joined = NULL;
  char *r;
  if (root_path == NULL || *root_path == '\0') {
    error_set(err, 0, "root.path: required");
    return NULL;
  }
  if (root_path[0] == '/')
    joined = strdup(root_path);
  else if (asprintf(&joined, "%s/%s", bundle, root_path) < 0)
    joined = NULL;
  if (joined == NULL) {
    error_set(err, ENOMEM, "root.path");
    return NULL;
  }
  r = realpath(joined, NULL);
  if (r == NULL)
    error_set(err, errno, "root.path %s", joined);
  else {
    /* said here, before anything is made, rather than by the child's
     * open of the bind-mounted rootfs */
    struct stat st;
    if (stat(r, &st) == 0 && !S_ISDIR(st.st_mode)) {
      error_set_code(err, ENOTDIR, "root.path %s: expected a directory", r);
      free(r);
      r = NULL;
    }
  }
  return r;
}

/* Config fields podrun does not implement: refused rather than ignored, so
 * that a container never runs without what its config asks for (runc
 * refuses intelRdt without resctrl too; `podrun features` says intelRdt is
 * not enabled).  The parser keeps them: `spec` users other than create may
 * read such a config. */
static int unsupported_check(const struct spec *s, pk_error **err) {
  json_t *lx = json_object_get(s->root_json, "linux"), *f, *d, *fl;
  const char *domain;

  f = json_object_get(lx, "intelRdt");
  if (f && !json_is_null(f))
    return error_set_code(
        err, ENOTSUP, "linux.intelRdt: not supported (podrun has no Intel RDT/resctrl support)");
  f = json_object_get(lx, "personality");
  if (f == NULL || json_is_null(f))
    return 0;
  /* LINUX is what every process here has already; LINUX32 and flags would
   * need personality(2), which podrun does not call */
  d = json_object_get(f, "domain");
  domain = json_string_value(d);
  if (domain == NULL || strcmp(domain, "LINUX") != 0)
    return error_set_code(err, ENOTSUP,
                          "linux.personality.domain: unsupported domain \"%s\" (expected LINUX)",
                          domain ? domain : "");
  fl = json_object_get(f, "flags");
  if (fl && !json_is_null(fl) && (!json_is_array(fl) || json_array_size(fl) > 0))
    return error_set_code(err, ENOTSUP, "linux.personality.flags: not supported (expected none)");
  return 0;
}

static int create_internal(const struct container_opts *o, struct created *cr, pk_error **err) {
  struct create_ctx c = {.o = o,
                         .bundle_fd = -1,
                         .sync_parent = -1,
                         .sync_child = -1,
                         .lock_fd = -1,
                         .state_dirfd = -1,
                         .console_fd = -1,
                         .stub_fd = -1};
  struct parent_ns pn;
  cleanup_free char *dir = NULL;
  char created_ts[64];
  unsigned long flags = 0;
  int n_listen, sv[2], pidfd = -1, ret = -1;
  cleanup_close int cg_v2fd = -1;
  bool dir_made = false, pid_file_written = false;
  int resets = 0;
  pid_t pid = -1;

  for (int t = 0; t < SPEC_NS_COUNT; t++)
    c.ns_fds[t] = pn.saved[t] = pn.target[t] = -1;
  c.bundle = realpath(o->bundle ? o->bundle : ".", NULL);
  if (c.bundle == NULL) {
    error_set(err, errno, "bundle %s", o->bundle ? o->bundle : ".");
    goto out;
  }
  if (spec_load(c.bundle, &c.spec, err) < 0)
    goto out;
  c.bundle_fd = open(c.bundle, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (c.bundle_fd < 0) {
    error_set(err, errno, "open bundle %s", c.bundle);
    goto out;
  }
  if (!c.spec->has_process) {
    error_set(err, 0, "process: required to create a container");
    goto out;
  }
  c.rootfs = rootfs_abs(c.bundle, c.spec->root_path, err);
  if (c.rootfs == NULL)
    goto out;
  c.user_new = ns_new(c.spec, SPEC_NS_USER);
  c.user_joined = ns_joined(c.spec, SPEC_NS_USER);
  if (!c.spec->ns[SPEC_NS_MOUNT].present) {
    error_set(err, 0, "linux.namespaces: a mount namespace is required");
    goto out;
  }
  c.parent_hooks = spec_has_hooks(c.spec, SPEC_HOOK_PRESTART) ||
                   spec_has_hooks(c.spec, SPEC_HOOK_CREATE_RUNTIME);
  c.child_hooks = spec_has_hooks(c.spec, SPEC_HOOK_CREATE_CONTAINER) ||
                  spec_has_hooks(c.spec, SPEC_HOOK_START_CONTAINER);
  n_listen = process_listen_fds();
  c.n_keep = n_listen + (o->preserve_fds > 0 ? o->preserve_fds : 0);
  if (o->systemd_cgroup) {
    /* systemd's D-Bus API is not implemented: say so instead of quietly
     * using cgroupfs paths the caller did not ask for */
    struct stat sst;
    if (stat("/run/systemd/system", &sst) < 0)
      error_set_code(err, ENOTSUP,
                     "--systemd-cgroup: the systemd cgroup driver needs systemd running as PID 1");
    else
      error_set_code(err, ENOTSUP,
                     "--systemd-cgroup: the systemd cgroup driver is not supported, use cgroupfs");
    goto out;
  }
  if (lsm_check(c.spec, err) < 0 || unsupported_check(c.spec, err) < 0)
    goto out;
  /* as runc: a detached container's terminal can only reach its caller
   * through the socket, and a socket without a terminal is a caller's
   * mistake (a foreground run with a terminal uses the caller's own) */
  if (c.spec->process.terminal && o->detach && !o->console_socket) {
    error_set(err, 0,
              "process.terminal is true: a detached container needs --console-socket to "
              "receive its terminal");
    goto out;
  }
  if (!c.spec->process.terminal && o->console_socket) {
    error_set(err, 0, "--console-socket given but process.terminal is false");
    goto out;
  }
  if (c.spec->seccomp) {
    /* compiled (or taken from the cache) before the clone: a bad profile
     * is a create error, and the child only has to load it */
    cleanup_free char *cache = NULL;
    struct seccomp_filter_opts so = {0};
    if (asprintf(&cache, "%s/" SECCOMP_FILTER_CACHE_SUBDIR, o->root) < 0) {
      error_set(err, ENOMEM, "seccomp");
      goto out;
    }
    so.cache_dir = cache;
    if (seccomp_filter_prepare(c.spec->seccomp, &so, &c.sc, err) < 0)
      goto out;
  }

  if (state_dir_create(o->root, o->id, &c.lock_fd, err) < 0)
    goto out;
  dir_made = true;
  dir = state_dir_path(o->root, o->id);
  c.state_dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (c.state_dirfd < 0) {
    error_set(err, errno, "open %s", dir);
    goto out;
  }
  /* 0622: the user process may run as any uid when it opens the FIFO */
  if (mkfifoat(c.state_dirfd, "exec.fifo", 0622) < 0 ||
      fchmodat(c.state_dirfd, "exec.fifo", 0622, 0) < 0) {
    error_set(err, errno, "mkfifo %s/exec.fifo", dir);
    goto out;
  }
  if (c.spec->process.terminal && o->console_socket) {
    c.console_fd = console_socket_connect(o->console_socket, err);
    if (c.console_fd < 0)
      goto out;
  }
  c.stub_fd = sealed_stub_create(3 + c.n_keep, err);
  if (c.stub_fd < 0)
    goto out;
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
    error_set(err, errno, "socketpair");
    goto out;
  }
  c.sync_parent = sv[0];
  c.sync_child = sv[1];
  if (c.n_keep > 0) {
    int min = 3 + c.n_keep;
    c.sync_parent = fd_above(c.sync_parent, min);
    c.sync_child = fd_above(c.sync_child, min);
    c.lock_fd = fd_above(c.lock_fd, min);
    c.state_dirfd = fd_above(c.state_dirfd, min);
    c.console_fd = fd_above(c.console_fd, min);
    c.bundle_fd = fd_above(c.bundle_fd, min);
    if (c.bundle_fd < 0 || c.sync_parent < 0 || c.sync_child < 0 || c.lock_fd < 0 ||
        c.state_dirfd < 0) {
      error_set(err, errno, "move fds above the preserved ones");
      goto out;
    }
  }

  /* The cgroup exists before the clone so the child can start in it (or
   * join it itself) before it sets up anything.  Not in a joined cgroup
   * namespace: relative paths are podrun's own cgroup.
   * A podrun killed from the first mkdir on would leave the cgroup (and a
   * child in it) with nothing naming it: a state.json without a pid
   * (status "creating") that names the resolved path comes first and tells
   * `delete -f` where it is. */
  {
    struct state pre = {.id = (char *)o->id, .bundle = c.bundle, .rootfs = c.rootfs};
    struct cgroup *cg = NULL;
    json_t *res = cgroup_resources_with_devices(c.spec->resources, c.spec->devices, err);
    int r = res ? cgroup_prepare(c.spec->cgroups_path, o->id, res, &cg, err) : -1;
    json_decref(res);
    if (r < 0)
      goto out;
    pre.cgroup_path = (char *)cgroup_path(cg);
    pre.owner = getuid();
    if (state_write(o->root, &pre, err) < 0 || cgroup_make_start(cg, err) < 0) {
      cgroup_free(cg);
      goto out;
    }
    c.cg = cg;
  }
  /* A joined cgroup namespace limits where its members may move
   * processes, and a new user namespace where its root may write: then
   * the parent moves the child, the slow way. */
  c.cg_self = !c.user_new && !ns_joined(c.spec, SPEC_NS_CGROUP);
  /* The rest of the cgroup (a mkdir per v1 hierarchy, the limits) is made
   * while the child sets up its mounts, unless the child needs it at once
   * (a new cgroup namespace is rooted where it is) or may not see the
   * host's /sys/fs/cgroup (a joined mount or user namespace). */
  c.cg_late = c.cg_self && !ns_new(c.spec, SPEC_NS_CGROUP) && !ns_joined(c.spec, SPEC_NS_MOUNT) &&
              !c.user_joined && !spec_has_cgroup_mount(c.spec);
  if (!c.cg_late && cgroup_create_finish(c.cg, err) < 0)
    goto out;
  if (!ns_joined(c.spec, SPEC_NS_CGROUP)) {
    pk_error *e2 = NULL;
    cg_v2fd = cgroup_v2_fd(c.cg, &e2);
    error_free(&e2);
  }

  /* namespaces: new ones through clone flags, joined ones per parent_ns */
  if (c.user_joined) {
    for (enum spec_ns_type t = 0; t < SPEC_NS_COUNT; t++) {
      if (t == SPEC_NS_PID || t == SPEC_NS_TIME || !ns_joined(c.spec, t))
        continue;
      c.ns_fds[t] = linux_ns_open(c.spec, t, err);
      if (c.ns_fds[t] < 0)
        goto out;
    }
    if (ns_new(c.spec, SPEC_NS_PID))
      flags |= CLONE_NEWPID;
  } else {
    if (ns_joined(c.spec, SPEC_NS_MOUNT)) {
      c.ns_fds[SPEC_NS_MOUNT] = linux_ns_open(c.spec, SPEC_NS_MOUNT, err);
      if (c.ns_fds[SPEC_NS_MOUNT] < 0)
        goto out;
    }
    static const enum spec_ns_type at_clone[] = {SPEC_NS_USER, SPEC_NS_PID, SPEC_NS_NET,
                                                 SPEC_NS_IPC,  SPEC_NS_UTS, SPEC_NS_MOUNT};
    for (size_t i = 0; i < sizeof(at_clone) / sizeof(at_clone[0]); i++)
      if (ns_new(c.spec, at_clone[i]))
        flags |= (unsigned long)linux_ns_type(at_clone[i]);
  }
  if (parent_ns_enter(&c, &pn, err) < 0) {
    parent_ns_leave(&pn, NULL);
    goto out;
  }

  fflush(stdout);
  fflush(stderr);
  c.cg_v2_done = cg_v2fd >= 0;
  pid = clone_child(flags, &pidfd, cg_v2fd);
  if (pid < 0 && cg_v2fd >= 0 && errno != ENOMEM && errno != EAGAIN) {
    /* a kernel without CLONE_INTO_CGROUP (before 5.7) */
    c.cg_v2_done = false;
    pid = clone_child(flags, &pidfd, -1);
  }
  if (pid == 0)
    child_main(&c);
  if (pid < 0) {
    /* The kernel refuses new members (ENOMEM) to a pid namespace whose init
     * has exited: a pod's pause killed or removed while a member is added */
    if (errno == ENOMEM && ns_joined(c.spec, SPEC_NS_PID))
      error_set(err, ENOMEM, "clone into pid namespace %s: its init has exited",
                c.spec->ns[SPEC_NS_PID].path);
    else
      error_set(err, errno, "clone");
  }
  if (parent_ns_leave(&pn, pid < 0 ? NULL : err) < 0 || pid < 0)
    goto out;
  close(c.sync_child);
  c.sync_child = -1;
  if (!c.cg_self && cgroup_enter(c.cg, pid, err) < 0)
    goto kill;

  time_rfc3339(created_ts, sizeof(created_ts));
  cr->pid = pid;
  cr->st.id = (char *)o->id;
  cr->st.pid = pid;
  cr->st.start_time = proc_start_time(pid);
  cr->st.bundle = c.bundle;
  cr->st.rootfs = c.rootfs;
  c.bundle = c.rootfs = NULL;
  cr->st.created = strdup(created_ts);
  cr->st.owner = getuid();
  if (c.spec->annotations)
    cr->st.annotations = json_incref(c.spec->annotations);
  if (spec_has_hooks(c.spec, SPEC_HOOK_POSTSTART) || spec_has_hooks(c.spec, SPEC_HOOK_POSTSTOP)) {
    /* start and delete load config.json again only when there is a hook */
    cr->st.extra = json_object();
    if (spec_has_hooks(c.spec, SPEC_HOOK_POSTSTART))
      json_object_set_new(cr->st.extra, "poststart", json_true());
    if (spec_has_hooks(c.spec, SPEC_HOOK_POSTSTOP))
      json_object_set_new(cr->st.extra, "poststop", json_true());
  }

  cr->st.cgroup_path = strdup(cgroup_path(c.cg));
  if (cr->st.cgroup_path == NULL) {
    error_set(err, ENOMEM, "cgroup path");
    goto kill;
  }

  if (c.user_new && linux_id_maps_write(pid, c.spec, err) < 0)
    goto kill;
  if (msg_send(c.sync_parent, MSG_GO, 0, NULL) < 0) {
    error_set(err, errno, "sync with the container's init");
    goto kill;
  }
  if (c.cg_late) {
    if (cgroup_create_finish(c.cg, err) < 0)
      goto kill;
    /* a child that failed already has its error queued for the loop
     * below: a failed send here says nothing more */
    msg_send(c.sync_parent, MSG_CGROUP, 0, NULL);
  }
  /* Written while the init sets itself up (on another CPU): the file work
   * overlaps the mounts.  `start` waits on our lock; a failed create
   * removes both again. */
  if (state_write(o->root, &cr->st, err) < 0)
    goto kill;
  if (o->pid_file) {
    char buf[16];
    int n = snprintf(buf, sizeof(buf), "%d", (int)pid);
    if (file_write_atomic(o->pid_file, buf, (size_t)n, 0644, err) < 0) {
      error_wrap(err, "pid file");
      goto kill;
    }
    pid_file_written = true;
  }
  for (;;) {
    cleanup_free char *text = NULL;
    cleanup_close int lfd = -1;
    int e = 0, type = msg_recv_fd(c.sync_parent, &e, &text, &lfd);
    /* A child that failed and exited with our MSG_CGROUP unread leaves
     * ECONNRESET pending on the socket, reported once, ahead of its
     * queued MSG_ERROR: read on to get the message. */
    if (type < 0 && errno == ECONNRESET && resets++ < 2)
      continue;
    if (type == MSG_READY)
      break;
    if (type == MSG_SECCOMP) {
      json_t *sj = state_to_json(&cr->st, STATUS_CREATING);
      int r = lfd < 0 ? error_set(err, EPROTO, "seccomp listener fd missing")
                      : seccomp_filter_send_listener(c.sc, lfd, pid, sj, err);
      json_decref(sj);
      if (r < 0)
        goto kill;
      continue;
    }
    if (type == MSG_ERROR) {
      error_set_code(err, e, "%s", text);
      goto kill;
    }
    if (type == MSG_HOOKS) {
      json_t *sj = state_to_json(&cr->st, STATUS_CREATING);
      cleanup_free char *js = sj ? json_dumps(sj, JSON_COMPACT) : NULL;
      json_decref(sj);
      if (js == NULL) {
        error_set(err, ENOMEM, "state JSON");
        goto kill;
      }
      if (hooks_run(c.spec, SPEC_HOOK_PRESTART, js, err) < 0 ||
          hooks_run(c.spec, SPEC_HOOK_CREATE_RUNTIME, js, err) < 0)
        goto kill;
      if (msg_send(c.sync_parent, MSG_CONTINUE, 0, c.child_hooks ? js : NULL) < 0) {
        error_set(err, errno, "sync with the container's init");
        goto kill;
      }
      continue;
    }
    {
      int status = 0;
      waitpid(pid, &status, 0);
      pid = -1;
      if (WIFSIGNALED(status))
        error_set(err, 0, "container init killed by signal %d", WTERMSIG(status));
      else
        error_set(err, 0, "container init exited with status %d", WEXITSTATUS(status));
    }
    goto kill;
  }
  cr->pidfd = pidfd;
  pidfd = -1;
  cr->spec = c.spec;
  c.spec = NULL;
  ret = 0;
  goto out;

kill:
  if (pid > 0) {
    kill(pid, SIGKILL);
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
      ;
  }
out:
  if (c.cg) {
    if (ret < 0) {
      pk_error *e2 = NULL;
      if (cgroup_destroy(c.cg, &e2) < 0)
        log_warn("%s", e2->msg);
      error_free(&e2);
    }
    cgroup_free(c.cg);
  }
  seccomp_filter_free(c.sc);
  if (ret < 0 && dir_made)
    state_dir_remove(o->root, o->id, NULL);
  if (ret < 0 && pid_file_written)
    unlink(o->pid_file);
  if (pidfd >= 0)
    close(pidfd);
  for (int t = 0; t < SPEC_NS_COUNT; t++)
    if (c.ns_fds[t] >= 0)
      close(c.ns_fds[t]);
  if (c.sync_parent >= 0)
    close(c.sync_parent);
  if (c.sync_child >= 0)
    close(c.sync_child);
  if (c.console_fd >= 0)
    close(c.console_fd);
  if (c.state_dirfd >= 0)
    close(c.state_dirfd);
  if (c.bundle_fd >= 0)
    close(c.bundle_fd);
  if (c.stub_fd >= 0)
    close(c.stub_fd);
  if (c.lock_fd >= 0)
    close(c.lock_fd);
  spec_free(c.spec);
  free(c.bundle);
  free(c.rootfs);
  return ret;
}

int container_create(const struct container_opts *o, pk_error **err) {
  struct created cr = {.pidfd = -1};
  int r;
  struct container_opts detached = *o;
  if (id_validate(o->id, "container ID", err) < 0)
    return -1;
  detached.detach = true; /* create always returns with the container alive */
  r = create_internal(&detached, &cr, err);
  created_clear(&cr);
  if (r < 0)
    return error_wrap(err, "create %s", o->id);
  return 0;
}

/* ---- cgroup of an existing container ---- */

/* *cg stays NULL (and this succeeds) for a container without a cgroup. */
static int state_cgroup_open(const struct state *st, struct cgroup **cg, pk_error **err) {
  *cg = NULL;
  if (st->cgroup_path == NULL || *st->cgroup_path == '\0')
    return 0;
  return cgroup_open(st->cgroup_path, cg, err);
}

static bool state_frozen(const struct state *st) {
  cleanup_cgroup struct cgroup *cg = NULL;
  cleanup_error pk_error *e = NULL;
  bool frozen = false;
  if (state_cgroup_open(st, &cg, &e) < 0 || cg == NULL)
    return false;
  if (cgroup_is_frozen(cg, &frozen, &e) < 0)
    return false;
  return frozen;
}

/* state_status() with the freezer asked only for a live container. */
static enum container_status status_live(const char *root, const struct state *st) {
  enum container_status s = state_status(root, st, false);
  if ((s == STATUS_RUNNING || s == STATUS_CREATED) && st->cgroup_path && state_frozen(st))
    return STATUS_PAUSED;
  return s;
}

/* ---- start ---- */

/* Open the FIFO for reading, which lets the init's blocked open go on, and
 * take its byte.  The init dying first must not leave us waiting. */
static int fifo_release(const char *root, const struct state *st, int pidfd, pk_error **err) {
  cleanup_free char *path = state_fifo_path(root, st->id);
  cleanup_close int fd = -1;
  cleanup_close int own_pidfd = -1;
  struct pollfd pl[2];
  char b;

  if (path == NULL)
    return error_set(err, ENOMEM, "start");
  fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT)
      return error_set(err, 0, "cannot start an already running container");
    return error_set(err, errno, "open %s", path);
  }
  if (pidfd < 0)
    pidfd = own_pidfd = proc_pidfd_open(st->pid);
  pl[0].fd = fd;
  pl[0].events = POLLIN;
  pl[1].fd = pidfd;
  pl[1].events = POLLIN;
  for (;;) {
    int r = poll(pl, pidfd >= 0 ? 2 : 1, pidfd >= 0 ? -1 : 100);
    if (r < 0 && errno != EINTR)
      return error_set(err, errno, "wait for the container's init");
    if (r > 0 && (pl[0].revents & (POLLIN | POLLHUP))) {
      ssize_t n = read(fd, &b, 1);
      if (n == 1)
        break;
    }
    if ((r > 0 && pidfd >= 0 && (pl[1].revents & POLLIN)) ||
        (pidfd < 0 && proc_start_time(st->pid) != st->start_time))
      return error_set(err, 0, "container init exited before start");
  }
  unlink(path);
  /* Released: now wait for the EOF of the init's execve (its end is
   * close-on-exec) or for its exit. */
  for (;;) {
    int r = poll(pl, pidfd >= 0 ? 2 : 1, pidfd >= 0 ? -1 : 100);
    if (r < 0 && errno != EINTR)
      break;
    if (r > 0 && (pl[0].revents & (POLLIN | POLLHUP)) && read(fd, &b, 1) == 0)
      break;
    if ((r > 0 && pidfd >= 0 && (pl[1].revents & POLLIN)) ||
        (pidfd < 0 && proc_start_time(st->pid) != st->start_time))
      break;
  }
  return 0;
}

static int hooks_from_bundle(const struct state *st, enum spec_hook_kind kind,
                             enum container_status status) {
  cleanup_error pk_error *err = NULL;
  cleanup_spec struct spec *s = NULL;
  json_t *sj;
  char *js;
  if (spec_load(st->bundle, &s, &err) < 0) {
    log_warn("%s hooks of %s: %s", spec_hook_kind_name(kind), st->id, err->msg);
    return -1;
  }
  sj = state_to_json(st, status);
  js = sj ? json_dumps(sj, JSON_COMPACT) : NULL;
  json_decref(sj);
  hooks_run_all_warn(s, kind, js);
  free(js);
  return 0;
}

static bool state_has_hook(const struct state *st, const char *name) {
  return st->extra && json_is_true(json_object_get(st->extra, name));
}

int container_start(const char *root, const char *id, pk_error **err) {
  cleanup_close int lock = -1;
  cleanup_state struct state *st = NULL;
  enum container_status status;

  if (id_validate(id, "container ID", err) < 0)
    return -1;
  if (state_dir_lock(root, id, &lock, err) < 0 || state_read(root, id, &st, err) < 0)
    return error_wrap(err, "start %s", id);
  status = status_live(root, st);
  if (status == STATUS_STOPPED)
    return error_set(err, 0, "start %s: cannot start a container that has stopped", id);
  if (status != STATUS_CREATED)
    return error_set(err, 0, "start %s: cannot start an already %s container", id,
                     container_status_name(status));
  if (fifo_release(root, st, -1, err) < 0)
    return error_wrap(err, "start %s", id);
  close(take_fd(&lock));
  if (state_has_hook(st, "poststart"))
    hooks_from_bundle(st, SPEC_HOOK_POSTSTART, STATUS_RUNNING);
  return 0;
}

/* ---- delete ---- */

static int delete_locked(const char *root, struct state *st, bool force, const struct spec *s,
                         pk_error **err) {
  enum container_status status = status_live(root, st);
  cleanup_cgroup struct cgroup *cg = NULL;
  if (status == STATUS_RUNNING || status == STATUS_PAUSED) {
    if (!force)
      return error_set(err, 0, "cannot delete container that is not stopped: %s",
                       container_status_name(status));
  }
  if (state_cgroup_open(st, &cg, err) < 0)
    return -1;
  if (status == STATUS_PAUSED && cg) {
    /* a frozen process does not act on SIGKILL until thawed */
    kill(st->pid, SIGKILL);
    if (cgroup_thaw(cg, err) < 0)
      return -1;
  }
  if (status != STATUS_STOPPED && status != STATUS_CREATING) {
    if (process_kill_wait(st->pid, st->start_time, err) < 0)
      return -1;
  }
  /* what the init left behind (daemons without a pid namespace) is killed
   * with the cgroup */
  if (cg && cgroup_destroy(cg, err) < 0)
    return -1;
  if (state_has_hook(st, "poststop")) {
    if (s) {
      json_t *sj = state_to_json(st, STATUS_STOPPED);
      char *js = sj ? json_dumps(sj, JSON_COMPACT) : NULL;
      json_decref(sj);
      hooks_run_all_warn(s, SPEC_HOOK_POSTSTOP, js);
      free(js);
    } else
      hooks_from_bundle(st, SPEC_HOOK_POSTSTOP, STATUS_STOPPED);
  }
  return state_dir_remove(root, st->id, err);
}

/* A create killed before it wrote state.json leaves its directory (the
 * exec.fifo, nothing else yet): no container, but nothing of it may stay.
 * Removed under the directory's lock, and only if the path still names the
 * directory locked and state.json is still missing: a create that is alive
 * holds that lock until it has written state.json or removed it all. */
static int delete_stateless(const char *root, const char *id, pk_error **err) {
  cleanup_free char *dir = state_dir_path(root, id);
  cleanup_close int fd = -1;
  struct stat locked, now;

  if (dir == NULL)
    return error_set(err, ENOMEM, "state dir");
  fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return 0;
  while (flock(fd, LOCK_EX) < 0)
    if (errno != EINTR)
      return error_set(err, errno, "lock %s", dir);
  if (fstat(fd, &locked) < 0 || stat(dir, &now) < 0 || locked.st_ino != now.st_ino ||
      locked.st_dev != now.st_dev || faccessat(fd, "state.json", F_OK, 0) == 0)
    return 0;
  return state_dir_remove(root, id, err);
}

int container_delete(const char *root, const char *id, bool force, pk_error **err) {
  cleanup_close int lock = -1;
  cleanup_state struct state *st = NULL;

  if (id_validate(id, "container ID", err) < 0)
    return -1;
  if (state_dir_lock(root, id, &lock, err) < 0 || state_read(root, id, &st, err) < 0) {
    /* as runc: a half-made directory goes, but only -f makes it a success */
    if (*err && (*err)->errnum == ENOENT) {
      if (lock < 0)
        delete_stateless(root, id, NULL);
      if (force) {
        error_free(err);
        return 0;
      }
    }
    return error_wrap(err, "delete %s", id);
  }
  if (delete_locked(root, st, force, NULL, err) < 0)
    return error_wrap(err, "delete %s", id);
  return 0;
}

/* ---- run ---- */

int container_run(const struct container_opts *o, int *exit_code, pk_error **err) {
  struct created cr = {.pidfd = -1};
  sigset_t set, old;
  int ret = -1;

  *exit_code = 0;
  if (id_validate(o->id, "container ID", err) < 0)
    return -1;
  process_forward_sigset(&set);
  /* blocked before the clone so nothing sent meanwhile is lost; the init
   * unblocks everything before exec */
  if (!o->detach)
    sigprocmask(SIG_BLOCK, &set, &old);
  if (create_internal(o, &cr, err) < 0) {
    error_wrap(err, "run %s", o->id);
    goto out;
  }
  cr.st.id = (char *)o->id;
  if (fifo_release(o->root, &cr.st, cr.pidfd, err) < 0) {
    /* a run that did not start leaves nothing, as a failed create */
    cleanup_close int lock = -1;
    pk_error *e2 = NULL;
    if (state_dir_lock(o->root, o->id, &lock, &e2) < 0 ||
        delete_locked(o->root, &cr.st, true, cr.spec, &e2) < 0)
      log_warn("run %s: delete: %s", o->id, e2->msg);
    error_free(&e2);
    error_wrap(err, "run %s", o->id);
    goto out;
  }
  if (spec_has_hooks(cr.spec, SPEC_HOOK_POSTSTART)) {
    json_t *sj = state_to_json(&cr.st, STATUS_RUNNING);
    char *js = sj ? json_dumps(sj, JSON_COMPACT) : NULL;
    json_decref(sj);
    hooks_run_all_warn(cr.spec, SPEC_HOOK_POSTSTART, js);
    free(js);
  }
  if (o->detach) {
    ret = 0;
    goto out;
  }
  *exit_code = process_wait_forwarding(cr.pid, &set);
  ret = 0;
  if (!o->keep) {
    cleanup_close int lock = -1;
    if (state_dir_lock(o->root, o->id, &lock, err) < 0) {
      /* deleted by someone else meanwhile: nothing left to do */
      if ((*err)->errnum == ENOENT)
        error_free(err);
      else
        ret = -1;
    } else if (delete_locked(o->root, &cr.st, true, cr.spec, err) < 0)
      ret = -1;
    if (ret < 0) {
      error_wrap(err, "run %s: delete", o->id);
      ret = -1;
    }
  }
out:
  if (!o->detach)
    sigprocmask(SIG_SETMASK, &old, NULL);
  cr.st.id = NULL;
  created_clear(&cr);
  return ret;
}

/* ---- state, list, kill ---- */

int container_state_print(const char *root, const char *id, pk_error **err) {
  cleanup_state struct state *st = NULL;
  json_t *o;
  char *text;

  if (id_validate(id, "container ID", err) < 0)
    return -1;
  if (state_read(root, id, &st, err) < 0)
    return error_wrap(err, "state %s", id);
  o = state_to_json(st, status_live(root, st));
  text = o ? json_dumps(o, JSON_INDENT(2)) : NULL;
  json_decref(o);
  if (text == NULL)
    return error_set(err, ENOMEM, "state %s", id);
  printf("%s\n", text);
  free(text);
  return 0;
}

/* /etc/passwd read directly: podrun is static and must not load NSS. */
static char *user_name(uid_t uid, char **passwd) {
  char *r;
  if (*passwd == NULL && file_read_all("/etc/passwd", 0, passwd, NULL, NULL) < 0)
    *passwd = strdup("");
  for (char *line = *passwd; line && *line;) {
    char *nl = strchr(line, '\n');
    size_t len = nl ? (size_t)(nl - line) : strlen(line);
    char *c1 = memchr(line, ':', len);
    if (c1) {
      char *c2 = memchr(c1 + 1, ':', len - (size_t)(c1 + 1 - line));
      if (c2 && strtoul(c2 + 1, NULL, 10) == uid && c2[1] != ':') {
        if (asprintf(&r, "%.*s", (int)(c1 - line), line) < 0)
          return NULL;
        return r;
      }
    }
    line = nl ? nl + 1 : NULL;
  }
  if (asprintf(&r, "#%u", (unsigned)uid) < 0)
    return NULL;
  return r;
}

int container_list_print(const char *root, enum container_list_format fmt, bool quiet,
                         pk_error **err) {
  cleanup_strv char **ids = NULL;
  cleanup_free char *passwd = NULL;
  struct row {
    char *cells[6];
  } *rows = NULL;
  size_t n = 0, width[5] = {2, 3, 6, 6, 7};
  json_t *arr = NULL;

  if (state_list_ids(root, &ids, err) < 0)
    return -1;
  for (char **i = ids; *i; i++)
    n++;
  if (quiet) {
    for (char **i = ids; *i; i++)
      printf("%s\n", *i);
    return 0;
  }
  rows = calloc(n + 1, sizeof(*rows));
  if (rows == NULL)
    return error_set(err, ENOMEM, "list");
  if (fmt == CONTAINER_LIST_JSON)
    arr = json_array();
  n = 0;
  for (char **i = ids; *i; i++) {
    cleanup_state struct state *st = NULL;
    cleanup_error pk_error *rerr = NULL;
    enum container_status status;
    char *owner;
    /* one being created or deleted right now has no state.json */
    if (state_read(root, *i, &st, &rerr) < 0)
      continue;
    status = status_live(root, st);
    owner = user_name(st->owner, &passwd);
    if (arr) {
      json_t *o = state_to_json(st, status);
      if (o) {
        json_object_set_new(o, "owner", json_string(owner ? owner : ""));
        json_array_append_new(arr, o);
      }
      free(owner);
      continue;
    }
    if (asprintf(&rows[n].cells[0], "%s", st->id) < 0 ||
        asprintf(&rows[n].cells[1], "%d", status == STATUS_STOPPED ? 0 : (int)st->pid) < 0 ||
        asprintf(&rows[n].cells[2], "%s", container_status_name(status)) < 0 ||
        asprintf(&rows[n].cells[3], "%s", st->bundle ? st->bundle : "") < 0 ||
        asprintf(&rows[n].cells[4], "%s", st->created ? st->created : "") < 0) {
      free(owner);
      break;
    }
    rows[n].cells[5] = owner;
    for (int c = 0; c < 5; c++)
      if (strlen(rows[n].cells[c]) > width[c])
        width[c] = strlen(rows[n].cells[c]);
    n++;
  }
  if (arr) {
    /* runc prints null for no containers */
    char *text = json_array_size(arr) ? json_dumps(arr, JSON_COMPACT) : strdup("null");
    json_decref(arr);
    printf("%s\n", text ? text : "null");
    free(text);
  } else {
    /* Go's tabwriter as runc sets it up: min width 12, padding 3 */
    static const char *head[6] = {"ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"};
    for (size_t r = 0; r <= n; r++) {
      const char *const *cells = r == 0 ? head : (const char *const *)rows[r - 1].cells;
      for (int c = 0; c < 5; c++) {
        size_t w = width[c] + 3 < 12 ? 12 : width[c] + 3;
        printf("%-*s", (int)w, cells[c]);
      }
      printf("%s\n", cells[5] ? cells[5] : "");
    }
  }
  for (size_t r = 0; r < n; r++)
    for (int c = 0; c < 6; c++)
      free(rows[r].cells[c]);
  free(rows);
  return 0;
}

static pid_t proc_ppid(pid_t pid) {
  char path[64], buf[512];
  cleanup_close int fd = -1;
  ssize_t n;
  char *p;
  snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
  fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0 || (n = read(fd, buf, sizeof(buf) - 1)) <= 0)
    return 0;
  buf[n] = '\0';
  /* "pid (comm) S ppid": comm may hold spaces and parentheses */
  p = strrchr(buf, ')');
  if (p == NULL || strlen(p) < 4)
    return 0;
  return (pid_t)atoi(p + 4);
}

static unsigned long ns_inode(pid_t pid, const char *ns) {
  char path[64];
  struct stat st;
  if (pid > 0)
    snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)pid, ns);
  else
    snprintf(path, sizeof(path), "/proc/self/ns/%s", ns);
  return stat(path, &st) == 0 ? (unsigned long)st.st_ino : 0;
}

/* kill -a without a cgroup: every process in the init's pid namespace when
 * the container has one of its own, else the init and its descendants
 * (from the ppid links in /proc). */
static int kill_all(pid_t init, int sig) {
  unsigned long target = ns_inode(init, "pid");
  bool own_ns = target != 0 && target != ns_inode(0, "pid");
  cleanup_closedir DIR *d = opendir("/proc");
  struct dirent *de;
  pid_t *pids = NULL, *ppids = NULL;
  size_t n = 0, cap = 0;
  bool *mark;

  if (d == NULL)
    return kill(init, sig);
  while ((de = readdir(d)) != NULL) {
    pid_t p = (pid_t)atoi(de->d_name);
    if (p <= 0)
      continue;
    if (own_ns) {
      if (ns_inode(p, "pid") == target)
        kill(p, sig);
      continue;
    }
    if (n == cap) {
      cap = cap ? cap * 2 : 256;
      pid_t *np = realloc(pids, cap * sizeof(*pids));
      pid_t *npp = np ? realloc(ppids, cap * sizeof(*ppids)) : NULL;
      if (np)
        pids = np;
      if (npp == NULL)
        break;
      ppids = npp;
    }
    pids[n] = p;
    ppids[n] = proc_ppid(p);
    n++;
  }
  if (own_ns) {
    free(pids);
    free(ppids);
    return 0;
  }
  mark = calloc(n + 1, sizeof(*mark));
  if (mark) {
    /* a fixpoint over the parent links: children are found in any order */
    bool changed = true;
    while (changed) {
      changed = false;
      for (size_t i = 0; i < n; i++) {
        if (mark[i])
          continue;
        bool hit = pids[i] == init;
        for (size_t j = 0; !hit && j < n; j++)
          hit = mark[j] && ppids[i] == pids[j];
        if (hit)
          mark[i] = changed = true;
      }
    }
    for (size_t i = 0; i < n; i++)
      if (mark[i] && pids[i] != init)
        kill(pids[i], sig);
  }
  free(mark);
  free(pids);
  free(ppids);
  return kill(init, sig);
}

int container_kill(const char *root, const char *id, int sig, bool all, pk_error **err) {
  cleanup_state struct state *st = NULL;
  cleanup_close int pfd = -1;
  enum container_status status;

  if (id_validate(id, "container ID", err) < 0)
    return -1;
  if (state_read(root, id, &st, err) < 0)
    return error_wrap(err, "kill %s", id);
  status = state_status(root, st, false);
  if (status == STATUS_STOPPED && all) {
    /* as runc: no error, and what is left in the cgroup after the init
     * exited still gets the signal (containerd's shim relies on both) */
    cleanup_cgroup struct cgroup *cg = NULL;
    cleanup_error pk_error *e2 = NULL;
    if (st->cgroup_path && state_cgroup_open(st, &cg, &e2) == 0 && cg)
      (void)cgroup_kill(cg, sig, &e2);
    return 0;
  }
  if (status == STATUS_STOPPED || status == STATUS_CREATING)
    return error_set(err, 0, "kill %s: container not running", id);
  if (all && st->cgroup_path) {
    cleanup_cgroup struct cgroup *cg = NULL;
    if (state_cgroup_open(st, &cg, err) < 0 || cgroup_kill(cg, sig, err) < 0)
      return error_wrap(err, "kill %s", id);
    return 0;
  }
  if (all) {
    if (kill_all(st->pid, sig) < 0)
      return error_set(err, errno, "kill %s", id);
    return 0;
  }
  /* the pidfd pins the process: a recycled pid is never signalled */
  pfd = proc_pidfd_open(st->pid);
  if (pfd >= 0) {
    if (proc_start_time(st->pid) != st->start_time)
      return error_set(err, 0, "kill %s: container not running", id);
    if (syscall(SYS_pidfd_send_signal, pfd, sig, NULL, 0) < 0)
      return error_set(err, errno, "kill %s", id);
    return 0;
  }
  if (kill(st->pid, sig) < 0)
    return error_set(err, errno, "kill %s", id);
  return 0;
}

/* ---- spec, signals ---- */

int container_spec_write(const char *bundle, pk_error **err) {
  cleanup_free char *path = NULL;
  cleanup_free char *text = NULL;
  cleanup_close int fd = -1;

  if (asprintf(&path, "%s/config.json", bundle ? bundle : ".") < 0)
    return error_set(err, ENOMEM, "spec");
  if (access(path, F_OK) == 0)
    return error_set(err, 0, "File config.json exists. Remove it first");
  text = spec_default_json();
  if (text == NULL)
    return error_set(err, ENOMEM, "spec");
  fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  if (fd < 0) {
    if (errno == EEXIST)
      return error_set(err, 0, "File config.json exists. Remove it first");
    return error_set(err, errno, "create %s", path);
  }
  if (write_all(fd, text, strlen(text)) < 0 || write_all(fd, "\n", 1) < 0)
    return error_set(err, errno, "write %s", path);
  return 0;
}

static const struct {
  const char *name;
  int sig;
} signal_names[] = {
    {"HUP", SIGHUP},       {"INT", SIGINT},   {"QUIT", SIGQUIT},     {"ILL", SIGILL},
    {"TRAP", SIGTRAP},     {"ABRT", SIGABRT}, {"IOT", SIGIOT},       {"BUS", SIGBUS},
    {"FPE", SIGFPE},       {"KILL", SIGKILL}, {"USR1", SIGUSR1},     {"SEGV", SIGSEGV},
    {"USR2", SIGUSR2},     {"PIPE", SIGPIPE}, {"ALRM", SIGALRM},     {"TERM", SIGTERM},
    {"STKFLT", SIGSTKFLT}, {"CHLD", SIGCHLD}, {"CONT", SIGCONT},     {"STOP", SIGSTOP},
    {"TSTP", SIGTSTP},     {"TTIN", SIGTTIN}, {"TTOU", SIGTTOU},     {"URG", SIGURG},
    {"XCPU", SIGXCPU},     {"XFSZ", SIGXFSZ}, {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF},
    {"WINCH", SIGWINCH},   {"IO", SIGIO},     {"POLL", SIGPOLL},     {"PWR", SIGPWR},
    {"SYS", SIGSYS},
};

int container_signal_parse(const char *s, int *sig, pk_error **err) {
  const char *name = s;
  char *end;
  long v;

  if (s == NULL || *s == '\0')
    return error_set(err, 0, "invalid signal \"\"");
  v = strtol(s, &end, 10);
  if (*end == '\0') {
    if (v <= 0 || v >= NSIG)
      return error_set(err, 0, "invalid signal \"%s\"", s);
    *sig = (int)v;
    return 0;
  }
  if (strncasecmp(name, "SIG", 3) == 0)
    name += 3;
  for (size_t i = 0; i < sizeof(signal_names) / sizeof(signal_names[0]); i++) {
    if (strcasecmp(name, signal_names[i].name) == 0) {
      *sig = signal_names[i].sig;
      return 0;
    }
  }
  if (strncasecmp(name, "RTMIN", 5) == 0 || strncasecmp(name, "RTMAX", 5) == 0) {
    bool max = strncasecmp(name, "RTMAX", 5) == 0;
    long off = 0;
    if (name[5] != '\0') {
      off = strtol(name + 5, &end, 10);
      /* bounded before the addition: RTMIN+LONG_MAX would overflow */
      if (*end != '\0' || off < -SIGRTMAX || off > SIGRTMAX)
        return error_set(err, 0, "invalid signal \"%s\"", s);
    }
    v = max ? SIGRTMAX + off : SIGRTMIN + off;
    if (v < SIGRTMIN || v > SIGRTMAX)
      return error_set(err, 0, "invalid signal \"%s\"", s);
    *sig = (int)v;
    return 0;
  }
  return error_set(err, 0, "invalid signal \"%s\"", s);
}

/* ---- ps, pause, resume, update, events ---- */

/* State and cgroup of a container that must have one. */
static int live_cgroup_open(const char *root, const char *id, const char *what, struct state **st,
                            struct cgroup **cg, pk_error **err) {
  if (id_validate(id, "container ID", err) < 0)
    return -1;
  if (state_read(root, id, st, err) < 0)
    return error_wrap(err, "%s %s", what, id);
  if ((*st)->cgroup_path == NULL)
    return error_set(err, 0, "%s %s: the container has no cgroup", what, id);
  if (cgroup_open((*st)->cgroup_path, cg, err) < 0)
    return error_wrap(err, "%s %s", what, id);
  return 0;
}

static void proc_cmdline(pid_t pid, char *buf, size_t size) {
  char path[64];
  ssize_t n = 0;
  cleanup_close int fd = -1;
  snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
  fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd >= 0)
    n = read(fd, buf, size - 1);
  if (n <= 0) {
    /* a kernel thread or a zombie: the comm, as ps shows it */
    snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
    close(fd);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    n = fd >= 0 ? read(fd, buf, size - 1) : 0;
    if (n > 0 && buf[n - 1] == '\n')
      n--;
  }
  if (n < 0)
    n = 0;
  buf[n] = '\0';
  for (ssize_t i = 0; i + 1 < n; i++)
    if (buf[i] == '\0')
      buf[i] = ' ';
}

int container_ps(const char *root, const char *id, bool json, pk_error **err) {
  cleanup_state struct state *st = NULL;
  cleanup_cgroup struct cgroup *cg = NULL;
  cleanup_free pid_t *pids = NULL;
  size_t n = 0;

  if (live_cgroup_open(root, id, "ps", &st, &cg, err) < 0)
    return -1;
  if (cgroup_pids(cg, &pids, &n, err) < 0)
    return error_wrap(err, "ps %s", id);
  if (json) {
    printf("[");
    for (size_t i = 0; i < n; i++)
      printf("%s%d", i ? "," : "", (int)pids[i]);
    printf("]\n");
    return 0;
  }
  printf("%-10s %s\n", "PID", "CMD");
  for (size_t i = 0; i < n; i++) {
    char cmd[4096];
    proc_cmdline(pids[i], cmd, sizeof(cmd));
    printf("%-10d %s\n", (int)pids[i], cmd);
  }
  return 0;
}

static int freeze_thaw(const char *root, const char *id, bool freeze, pk_error **err) {
  const char *what = freeze ? "pause" : "resume";
  cleanup_close int lock = -1;
  cleanup_state struct state *st = NULL;
  cleanup_cgroup struct cgroup *cg = NULL;
  enum container_status status;

  if (id_validate(id, "container ID", err) < 0)
    return -1;
  if (state_dir_lock(root, id, &lock, err) < 0)
    return error_wrap(err, "%s %s", what, id);
  if (live_cgroup_open(root, id, what, &st, &cg, err) < 0)
    return -1;
  status = status_live(root, st);
  if (freeze && status != STATUS_RUNNING && status != STATUS_CREATED)
    return error_set(err, 0, "%s %s: container not running", what, id);
  if (!freeze && status != STATUS_PAUSED)
    return error_set(err, 0, "%s %s: container not paused", what, id);
  if ((freeze ? cgroup_freeze(cg, err) : cgroup_thaw(cg, err)) < 0)
    return error_wrap(err, "%s %s", what, id);
  return 0;
}

int container_pause(const char *root, const char *id, pk_error **err) {
  return freeze_thaw(root, id, true, err);
}

int container_resume(const char *root, const char *id, pk_error **err) {
  return freeze_thaw(root, id, false, err);
}

int container_update(const char *root, const char *id, json_t *resources, pk_error **err) {
  cleanup_close int lock = -1;
  cleanup_state struct state *st = NULL;
  cleanup_cgroup struct cgroup *cg = NULL;
  enum container_status status;

  if (id_validate(id, "container ID", err) < 0)
    return -1;
  if (state_dir_lock(root, id, &lock, err) < 0)
    return error_wrap(err, "update %s", id);
  if (live_cgroup_open(root, id, "update", &st, &cg, err) < 0)
    return -1;
  status = state_status(root, st, false);
  if (status == STATUS_STOPPED || status == STATUS_CREATING)
    return error_set(err, 0, "update %s: container not running", id);
  if (cgroup_update(cg, resources, err) < 0)
    return error_wrap(err, "update %s", id);
  return 0;
}

static json_t *u64_or_null(uint64_t v) {
  return v == UINT64_MAX ? json_integer(-1) : json_integer((json_int_t)v);
}

static int events_stats_print(const char *id, struct cgroup *cg, struct cgroup_stats *s,
                              pk_error **err) {
  json_t *data, *o;
  char *text;

  memset(s, 0, sizeof(*s));
  if (cgroup_stats(cg, s, err) < 0)
    return -1;
  data = json_object();
  if (s->has_cpu)
    json_object_set_new(data, "cpu",
                        json_pack("{s:{s:I}}", "usage", "total", (json_int_t)s->cpu_usage_ns));
  if (s->has_memory)
    json_object_set_new(
        data, "memory",
        json_pack("{s:{s:I,s:I,s:o},s:I}", "usage", "usage", (json_int_t)s->memory_usage, "max",
                  (json_int_t)s->memory_max_usage, "limit", u64_or_null(s->memory_limit),
                  "oom_kill", (json_int_t)s->oom_kill));
  if (s->has_pids)
    json_object_set_new(data, "pids",
                        json_pack("{s:I,s:o}", "current", (json_int_t)s->pids_current, "limit",
                                  u64_or_null(s->pids_limit)));
  o = json_pack("{s:s,s:s,s:o}", "type", "stats", "id", id, "data", data);
  text = o ? json_dumps(o, JSON_COMPACT) : NULL;
  json_decref(o);
  if (text == NULL)
    return error_set(err, ENOMEM, "events");
  printf("%s\n", text);
  fflush(stdout);
  free(text);
  return 0;
}

int container_events(const char *root, const char *id, bool stats_once, long interval_ms,
                     pk_error **err) {
  cleanup_state struct state *st = NULL;
  cleanup_cgroup struct cgroup *cg = NULL;
  struct cgroup_stats s;
  uint64_t ooms = 0;
  bool first = true;

  if (live_cgroup_open(root, id, "events", &st, &cg, err) < 0)
    return -1;
  if (state_status(root, st, false) == STATUS_STOPPED)
    return error_set(err, 0, "events %s: container not running", id);
  if (interval_ms <= 0)
    interval_ms = 5000;
  for (;;) {
    if (events_stats_print(id, cg, &s, err) < 0)
      return error_wrap(err, "events %s", id);
    if (stats_once)
      return 0;
    if (!first && s.oom_kill > ooms) {
      printf("{\"type\":\"oom\",\"id\":\"%s\"}\n", id);
      fflush(stdout);
    }
    ooms = s.oom_kill;
    first = false;
    /* wake early when the init exits */
    {
      cleanup_close int pfd = proc_pidfd_open(st->pid);
      struct pollfd pl = {.fd = pfd, .events = POLLIN};
      if (pfd < 0 || proc_start_time(st->pid) != st->start_time)
        return 0;
      if (poll(&pl, 1, (int)interval_ms) > 0) {
        /* last word: an OOM kill of the init shows up now */
        memset(&s, 0, sizeof(s));
        if (cgroup_stats(cg, &s, err) == 0 && s.oom_kill > ooms)
          printf("{\"type\":\"oom\",\"id\":\"%s\"}\n", id);
        error_free(err);
        return 0;
      }
    }
  }
}

/* ---- features ---- */

int container_features_print(pk_error **err) {
  static const char *const ns[] = {"cgroup", "ipc",  "mount", "network",
                                   "pid",    "time", "user",  "uts"};
  static const char *const actions[] = {
      "SCMP_ACT_ALLOW",        "SCMP_ACT_ERRNO",       "SCMP_ACT_KILL",
      "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_LOG",
      "SCMP_ACT_NOTIFY",       "SCMP_ACT_TRACE",       "SCMP_ACT_TRAP"};
  static const char *const ops[] = {"SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT",
                                    "SCMP_CMP_LE", "SCMP_CMP_LT", "SCMP_CMP_MASKED_EQ",
                                    "SCMP_CMP_NE"};
  static const char *const arches[] = {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"};
  static const char *const sflags[] = {"SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
                                       "SECCOMP_FILTER_FLAG_TSYNC"};
  static const char *const mount_opts[] = {
      "async",         "atime",        "bind",           "defaults",    "dev",
      "diratime",      "dirsync",      "exec",           "iversion",    "lazytime",
      "loud",          "mand",         "noatime",        "nodev",       "nodiratime",
      "noexec",        "noiversion",   "nolazytime",     "nomand",      "norelatime",
      "nostrictatime", "nosuid",       "private",        "rbind",       "relatime",
      "remount",       "ro",           "rprivate",       "rshared",     "rslave",
      "runbindable",   "rw",           "shared",         "silent",      "slave",
      "strictatime",   "suid",         "sync",           "unbindable",  "rro",
      "rrw",           "rnosuid",      "rsuid",          "rnodev",      "rdev",
      "rnoexec",       "rexec",        "rnoatime",       "ratime",      "rrelatime",
      "rnorelatime",   "rstrictatime", "rnostrictatime", "rnodiratime", "rdiratime"};
  json_t *caps = json_array(), *o, *a;
  char *text;
  enum cgroup_mode mode = CGROUP_MODE_V1;
  pk_error *e2 = NULL;

  for (int c = 0; c <= 63; c++) {
    static const char *const names[] = {"CAP_CHOWN",
                                        "CAP_DAC_OVERRIDE",
                                        "CAP_DAC_READ_SEARCH",
                                        "CAP_FOWNER",
                                        "CAP_FSETID",
                                        "CAP_KILL",
                                        "CAP_SETGID",
                                        "CAP_SETUID",
                                        "CAP_SETPCAP",
                                        "CAP_LINUX_IMMUTABLE",
                                        "CAP_NET_BIND_SERVICE",
                                        "CAP_NET_BROADCAST",
                                        "CAP_NET_ADMIN",
                                        "CAP_NET_RAW",
                                        "CAP_IPC_LOCK",
                                        "CAP_IPC_OWNER",
                                        "CAP_SYS_MODULE",
                                        "CAP_SYS_RAWIO",
                                        "CAP_SYS_CHROOT",
                                        "CAP_SYS_PTRACE",
                                        "CAP_SYS_PACCT",
                                        "CAP_SYS_ADMIN",
                                        "CAP_SYS_BOOT",
                                        "CAP_SYS_NICE",
                                        "CAP_SYS_RESOURCE",
                                        "CAP_SYS_TIME",
                                        "CAP_SYS_TTY_CONFIG",
                                        "CAP_MKNOD",
                                        "CAP_LEASE",
                                        "CAP_AUDIT_WRITE",
                                        "CAP_AUDIT_CONTROL",
                                        "CAP_SETFCAP",
                                        "CAP_MAC_OVERRIDE",
                                        "CAP_MAC_ADMIN",
                                        "CAP_SYSLOG",
                                        "CAP_WAKE_ALARM",
                                        "CAP_BLOCK_SUSPEND",
                                        "CAP_AUDIT_READ",
                                        "CAP_PERFMON",
                                        "CAP_BPF",
                                        "CAP_CHECKPOINT_RESTORE"};
    /* the ones this kernel has (and spec.c knows by name) */
    if ((size_t)c < sizeof(names) / sizeof(names[0]) && spec_cap_from_name(names[c]) == c &&
        prctl(PR_CAPBSET_READ, c, 0, 0, 0) >= 0)
      json_array_append_new(caps, json_string(names[c]));
  }
  if (cgroup_mode_get(&mode, &e2) < 0)
    error_free(&e2);
  o = json_pack("{s:s,s:s,s:s,s:[],s:{s:[],s:o,s:{s:b,s:b,s:b,s:b},s:{s:b,s:[],s:[],s:[],"
                "s:[],s:b},s:{s:b},s:{s:b}},s:o}",
                "ociVersionMin", "1.0.0", "ociVersionMax", STATE_OCI_VERSION, "_podrun",
                PODKIT_VERSION, "hooks", "linux", "namespaces", "capabilities", caps, "cgroup",
                "v1", mode != CGROUP_MODE_V2, "v2", mode != CGROUP_MODE_V1, "systemd", 0,
                "systemdUser", 0, "seccomp", "enabled", 1, "actions", "operators", "archs",
                "knownFlags", "supportedFlags", 1, "apparmor", "enabled", 1, "selinux", "enabled",
                1, "annotations", json_object());
  if (o == NULL)
    return error_set(err, ENOMEM, "features");
  json_object_del(o, "_podrun");
  a = json_object_get(o, "hooks");
  for (int k = 0; k < SPEC_HOOK_COUNT; k++)
    json_array_append_new(a, json_string(spec_hook_kind_name((enum spec_hook_kind)k)));
  a = json_object_get(json_object_get(o, "linux"), "namespaces");
  for (size_t i = 0; i < sizeof(ns) / sizeof(ns[0]); i++)
    json_array_append_new(a, json_string(ns[i]));
  json_t *sc = json_object_get(json_object_get(o, "linux"), "seccomp");
  for (size_t i = 0; i < sizeof(actions) / sizeof(actions[0]); i++)
    json_array_append_new(json_object_get(sc, "actions"), json_string(actions[i]));
  for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
    json_array_append_new(json_object_get(sc, "operators"), json_string(ops[i]));
  for (size_t i = 0; i < sizeof(arches) / sizeof(arches[0]); i++)
    json_array_append_new(json_object_get(sc, "archs"), json_string(arches[i]));
  for (size_t i = 0; i < sizeof(sflags) / sizeof(sflags[0]); i++) {
    json_array_append_new(json_object_get(sc, "knownFlags"), json_string(sflags[i]));
    json_array_append_new(json_object_get(sc, "supportedFlags"), json_string(sflags[i]));
  }
  /* AppArmor and SELinux labels are applied only where the host has them */
  json_object_set_new(json_object_get(json_object_get(o, "linux"), "apparmor"), "enabled",
                      json_boolean(apparmor_enabled()));
  json_object_set_new(json_object_get(json_object_get(o, "linux"), "selinux"), "enabled",
                      json_boolean(selinux_enabled()));
  json_object_set_new(json_object_get(o, "linux"), "intelRdt", json_pack("{s:b}", "enabled", 0));
  a = json_array();
  for (size_t i = 0; i < sizeof(mount_opts) / sizeof(mount_opts[0]); i++)
    json_array_append_new(a, json_string(mount_opts[i]));
  json_object_set_new(o, "mountOptions", a);
  json_object_set_new(json_object_get(o, "annotations"), "org.opencontainers.runc.version",
                      json_string("podrun " PODKIT_VERSION));
  {
    const struct scmp_version *v = seccomp_version();
    char ver[48];
    snprintf(ver, sizeof(ver), "%u.%u.%u", v ? v->major : 0, v ? v->minor : 0, v ? v->micro : 0);
    json_object_set_new(json_object_get(o, "annotations"), "io.github.seccomp.libseccomp.version",
                        json_string(ver));
  }
  text = json_dumps(o, JSON_INDENT(4));
  json_decref(o);
  if (text == NULL)
    return error_set(err, ENOMEM, "features");
  printf("%s\n", text);
  free(text);
  return 0;
}
