/* SPDX-License-Identifier: MIT */
#include "linux.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "cleanup.h"
#include "util.h"

#define PROC_FD_PATH_LEN 32

static void proc_fd_path(char *buf, int fd) {
  snprintf(buf, PROC_FD_PATH_LEN, "/proc/self/fd/%d", fd);
}

int linux_ns_type(enum spec_ns_type t) {
  switch (t) {
  case SPEC_NS_PID:
    return CLONE_NEWPID;
  case SPEC_NS_NET:
    return CLONE_NEWNET;
  case SPEC_NS_IPC:
    return CLONE_NEWIPC;
  case SPEC_NS_UTS:
    return CLONE_NEWUTS;
  case SPEC_NS_MOUNT:
    return CLONE_NEWNS;
  case SPEC_NS_USER:
    return CLONE_NEWUSER;
  case SPEC_NS_CGROUP:
    return CLONE_NEWCGROUP;
  case SPEC_NS_TIME:
    return CLONE_NEWTIME;
  case SPEC_NS_COUNT:
    break;
  }
  return 0;
}

static const char *ns_name(enum spec_ns_type t) {
  static const char *names[SPEC_NS_COUNT] = {"pid",   "network", "ipc",    "uts",
                                             "mount", "user",    "cgroup", "time"};
  return t < SPEC_NS_COUNT ? names[t] : "?";
}

int linux_ns_open(const struct spec *s, enum spec_ns_type t, pk_error **err) {
  int fd = open(s->ns[t].path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return error_set(err, errno, "open %s namespace %s", ns_name(t), s->ns[t].path);
  return fd;
}

int linux_ns_join(int fd, enum spec_ns_type t, const char *path, pk_error **err) {
  if (setns(fd, linux_ns_type(t)) < 0) {
    /* EINVAL from setns with a type: the file is no namespace of that type */
    if (errno == EINVAL)
      return error_set(err, errno, "join %s namespace %s: not a %s namespace file", ns_name(t),
                       path ? path : "", ns_name(t));
    return error_set(err, errno, "join %s namespace %s", ns_name(t), path ? path : "");
  }
  return 0;
}

static int id_map_write(pid_t pid, const char *file, const struct spec_id_mapping *m, size_t n,
                        pk_error **err) {
  char path[64], buf[4096];
  size_t len = 0;
  cleanup_close int fd = -1;

  for (size_t i = 0; i < n; i++) {
    int w = snprintf(buf + len, sizeof(buf) - len, "%u %u %u\n", m[i].container_id, m[i].host_id,
                     m[i].size);
    if (w < 0 || (size_t)w >= sizeof(buf) - len)
      return error_set(err, E2BIG, "%s: too many mappings", file);
    len += (size_t)w;
  }
  snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
  fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return error_set(err, errno, "open %s", path);
  /* the kernel takes the whole map in one write or not at all */
  if (write(fd, buf, len) != (ssize_t)len)
    return error_set(err, errno, "write %s", path);
  return 0;
}

int linux_id_maps_write(pid_t pid, const struct spec *s, pk_error **err) {
  if (s->n_uid_mappings == 0)
    return error_set(err, 0, "linux.uidMappings: required with a new user namespace");
  if (s->n_gid_mappings == 0)
    return error_set(err, 0, "linux.gidMappings: required with a new user namespace");
  if (id_map_write(pid, "uid_map", s->uid_mappings, s->n_uid_mappings, err) < 0)
    return error_wrap(err, "linux.uidMappings");
  if (id_map_write(pid, "gid_map", s->gid_mappings, s->n_gid_mappings, err) < 0)
    return error_wrap(err, "linux.gidMappings");
  return 0;
}

/* ---- path resolution under the rootfs ---- */

static int openat2_in_root(int rootfd, const char *path) {
  struct open_how how = {
      .flags = O_PATH | O_CLOEXEC,
      .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
  };
  return (int)syscall(SYS_openat2, rootfd, path, &how, sizeof(how));
}

#define WALK_MAX_DEPTH 128
#define WALK_MAX_LINKS 40

/* The fallback and creating walk: one component at a time with O_NOFOLLOW;
 * a symlink is read and spliced into the rest of the path, an absolute one
 * restarting at rootfd, and ".." never climbs above rootfd. */
static int path_walk(int rootfd, const char *path, bool create, bool last_is_file, pk_error **err) {
  int stack[WALK_MAX_DEPTH];
  int depth = 0, links = 0, cur, ret = -1;
  cleanup_free char *rest = strdup(path);
  char *p;

  if (rest == NULL)
    return error_set(err, ENOMEM, "resolve %s", path);
  cur = fcntl(rootfd, F_DUPFD_CLOEXEC, 3);
  if (cur < 0)
    return error_set(err, errno, "resolve %s", path);
  p = rest;
  for (;;) {
    char *comp, *slash;
    bool last;
    int fd;
    struct stat stt;

    while (*p == '/')
      p++;
    if (*p == '\0')
      break;
    comp = p;
    slash = strchr(p, '/');
    if (slash) {
      *slash = '\0';
      p = slash + 1;
    } else
      p = comp + strlen(comp);
    last = true;
    for (char *q = p; *q; q++)
      if (*q != '/') {
        last = false;
        break;
      }
    if (strcmp(comp, ".") == 0)
      continue;
    if (strcmp(comp, "..") == 0) {
      if (depth > 0) {
        close(cur);
        cur = stack[--depth];
      }
      continue;
    }
    fd = openat(cur, comp, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT && create) {
      int r;
      if (last && last_is_file) {
        r = openat(cur, comp, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (r >= 0)
          close(r);
      } else
        r = mkdirat(cur, comp, 0755);
      if (r < 0 && errno != EEXIST) {
        error_set(err, errno, "create %s under the rootfs", path);
        goto out;
      }
      fd = openat(cur, comp, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    }
    if (fd < 0) {
      error_set(err, errno, "resolve %s under the rootfs", path);
      goto out;
    }
    if (fstat(fd, &stt) == 0 && S_ISLNK(stt.st_mode)) {
      char target[4096];
      ssize_t n = readlinkat(fd, "", target, sizeof(target) - 1);
      char *np;
      close(fd);
      if (n < 0 || ++links > WALK_MAX_LINKS) {
        error_set(err, n < 0 ? errno : ELOOP, "resolve %s under the rootfs", path);
        goto out;
      }
      target[n] = '\0';
      if (asprintf(&np, "%s/%s", target, p) < 0) {
        error_set(err, ENOMEM, "resolve %s", path);
        goto out;
      }
      free(rest);
      rest = np;
      p = rest;
      if (target[0] == '/') {
        while (depth > 0) {
          close(cur);
          cur = stack[--depth];
        }
      }
      continue;
    }
    if (depth == WALK_MAX_DEPTH) {
      close(fd);
      error_set(err, ENAMETOOLONG, "resolve %s under the rootfs", path);
      goto out;
    }
    stack[depth++] = cur;
    cur = fd;
  }
  ret = cur;
  cur = -1;
out:
  if (cur >= 0)
    close(cur);
  while (depth > 0)
    close(stack[--depth]);
  return ret;
}

int linux_path_open_in_root(int rootfd, const char *path, bool create, bool last_is_file,
                            pk_error **err) {
  int fd = openat2_in_root(rootfd, path);
  if (fd >= 0)
    return fd;
  if (errno != ENOENT && errno != ENOSYS && errno != EXDEV && errno != EAGAIN)
    return error_set(err, errno, "resolve %s under the rootfs", path);
  if (errno == ENOENT && !create)
    return error_set(err, ENOENT, "resolve %s under the rootfs", path);
  return path_walk(rootfd, path, create, last_is_file, err);
}

/* ---- mounts ---- */

#define MS_PROPAGATION (MS_SHARED | MS_PRIVATE | MS_SLAVE | MS_UNBINDABLE)
#define MS_ATTR_FLAGS                                                                              \
  (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME | MS_NODIRATIME | MS_RELATIME |       \
   MS_STRICTATIME)

/* Mount attributes through mount_setattr(2): it changes only what is asked,
 * so flags the kernel locked on the source (nosuid in a user namespace) stay
 * as they are.  Falls back to a bind remount with the statvfs flags kept. */
static int mount_attr_apply(int fd, unsigned long flags, bool recursive, const char *what,
                            pk_error **err) {
  struct mount_attr attr = {0};
  char path[PROC_FD_PATH_LEN];

  if (flags & MS_RDONLY)
    attr.attr_set |= MOUNT_ATTR_RDONLY;
  if (flags & MS_NOSUID)
    attr.attr_set |= MOUNT_ATTR_NOSUID;
  if (flags & MS_NODEV)
    attr.attr_set |= MOUNT_ATTR_NODEV;
  if (flags & MS_NOEXEC)
    attr.attr_set |= MOUNT_ATTR_NOEXEC;
  if (flags & MS_NODIRATIME)
    attr.attr_set |= MOUNT_ATTR_NODIRATIME;
  if (flags & (MS_NOATIME | MS_RELATIME | MS_STRICTATIME)) {
    attr.attr_clr |= MOUNT_ATTR__ATIME;
    attr.attr_set |= (flags & MS_NOATIME)       ? MOUNT_ATTR_NOATIME
                     : (flags & MS_STRICTATIME) ? MOUNT_ATTR_STRICTATIME
                                                : MOUNT_ATTR_RELATIME;
  }
  if (attr.attr_set == 0 && attr.attr_clr == 0)
    return 0;
  if (mount_setattr(fd, "", AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0), &attr, sizeof(attr)) ==
      0)
    return 0;
  if (errno != ENOSYS)
    return error_set(err, errno, "remount %s", what);
  proc_fd_path(path, fd);
  {
    struct statvfs sv;
    unsigned long keep = 0;
    if (statvfs(path, &sv) == 0) {
      if (sv.f_flag & ST_NOSUID)
        keep |= MS_NOSUID;
      if (sv.f_flag & ST_NODEV)
        keep |= MS_NODEV;
      if (sv.f_flag & ST_NOEXEC)
        keep |= MS_NOEXEC;
      if (sv.f_flag & ST_RDONLY)
        keep |= MS_RDONLY;
    }
    if (mount(NULL, path, NULL, MS_REMOUNT | MS_BIND | keep | (flags & MS_ATTR_FLAGS), NULL) < 0)
      return error_set(err, errno, "remount %s", what);
  }
  return 0;
}

static int mount_propagation_set(int fd, unsigned long prop, const char *what, pk_error **err) {
  char path[PROC_FD_PATH_LEN];
  if (prop == 0)
    return 0;
  proc_fd_path(path, fd);
  if (mount(NULL, path, NULL, prop, NULL) < 0)
    return error_set(err, errno, "set propagation of %s", what);
  return 0;
}

static bool source_is_file(const char *src) {
  struct stat st;
  return stat(src, &st) == 0 && !S_ISDIR(st.st_mode);
}

/* A cgroup mount on a v1 or hybrid host: a tmpfs holding one mount per v1
 * hierarchy, named as systemd names them on the host ("cpu,cpuacct",
 * "systemd"); the hybrid layout's controller-less cgroup2 is left out, as
 * runc does.  On a pure v2 host: cgroup2.  The hierarchies come from
 * /proc/self/cgroup, a few lines, where mountinfo can have hundreds. */
static int mount_cgroup(int rootfd, const struct spec_mount *m, unsigned long flags,
                        pk_error **err) {
  cleanup_free char *info = NULL;
  cleanup_close int dfd = -1;
  char path[PROC_FD_PATH_LEN];
  unsigned long base = flags & ~(MS_RDONLY | MS_PROPAGATION | MS_REC | MS_BIND);
  bool v1 = false;

  if (file_read_all("/proc/self/cgroup", 0, &info, NULL, err) < 0)
    return -1;
  for (char *l = info; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
    if (!str_has_prefix(l, "0::"))
      v1 = true;

  dfd = linux_path_open_in_root(rootfd, m->destination, true, false, err);
  if (dfd < 0)
    return error_wrap(err, "mount cgroup on %s", m->destination);
  proc_fd_path(path, dfd);
  if (!v1) {
    /* Without a cgroup namespace of its own a fresh mount would show the
     * host's whole tree: bind the container's cgroup instead (as runc). */
    const char *own = str_has_prefix(info, "0::") ? info + 3 : "/";
    if (own[0] == '/' && own[1] != '\0' && own[1] != '\n') {
      char host[PATH_MAX];
      snprintf(host, sizeof(host), "/sys/fs/cgroup%.*s", (int)strcspn(own, "\n"), own);
      if (mount(host, path, NULL, MS_BIND | MS_REC, NULL) == 0) {
        cleanup_close int top = -1;
        if (!(flags & MS_RDONLY))
          return 0;
        top = linux_path_open_in_root(rootfd, m->destination, false, false, err);
        if (top < 0 || mount_attr_apply(top, MS_RDONLY | (base & MS_ATTR_FLAGS), true,
                                        m->destination, err) < 0)
          return -1;
        return 0;
      }
      /* ENOENT: cgroup2 is not mounted at /sys/fs/cgroup here */
      if (errno != ENOENT)
        return error_set(err, errno, "bind %s on %s", host, m->destination);
    }
    if (mount("cgroup2", path, "cgroup2", base | (flags & MS_RDONLY), NULL) < 0)
      return error_set(err, errno, "mount cgroup2 on %s", m->destination);
    return 0;
  }
  if (mount("tmpfs", path, "tmpfs", base, "mode=755") < 0)
    return error_set(err, errno, "mount tmpfs on %s", m->destination);
  close(dfd);
  dfd = linux_path_open_in_root(rootfd, m->destination, false, false, err);
  if (dfd < 0)
    return error_wrap(err, "mount cgroup on %s", m->destination);

  /* the kernel lists the hierarchies newest first; mount them in the
   * host's (and runc's) order */
  char *lines[64];
  size_t n_lines = 0;
  for (char *line = info; line && *line && n_lines < 64;) {
    char *nl = strchr(line, '\n');
    lines[n_lines++] = line;
    if (nl)
      *nl = '\0';
    line = nl ? nl + 1 : NULL;
  }
  while (n_lines > 0) {
    char *line = lines[--n_lines];
    char *ctrls = strchr(line, ':'), *end, *name, *own;
    cleanup_close int sub = -1;
    char subpath[PROC_FD_PATH_LEN], host[PATH_MAX];
    int r;

    if (ctrls == NULL || (end = strchr(ctrls + 1, ':')) == NULL || end == ctrls + 1)
      continue;
    ctrls++;
    *end = '\0';
    own = end + 1;
    name = str_has_prefix(ctrls, "name=") ? ctrls + 5 : ctrls;
    if (*name == '\0' || strchr(name, '/') || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
      continue;
    if (mkdirat(dfd, name, 0755) < 0 && errno != EEXIST)
      return error_set(err, errno, "mkdir %s/%s", m->destination, name);
    sub = openat(dfd, name, O_PATH | O_NOFOLLOW | O_DIRECTORY | O_CLOEXEC);
    if (sub < 0)
      return error_set(err, errno, "open %s/%s", m->destination, name);
    proc_fd_path(subpath, sub);
    /* In the host's cgroup namespace a fresh mount shows the hierarchy's
     * root: bind the container's own directory instead, as runc does.  In
     * a new cgroup namespace ("/") the fresh mount is rooted at the
     * container's cgroup already; so it is when the host has the hierarchy
     * mounted elsewhere (ENOENT). */
    bool bind = strcmp(own, "/") != 0;
    r = -1;
    if (bind) {
      snprintf(host, sizeof(host), "/sys/fs/cgroup/%s%s", name, own);
      r = mount(host, subpath, NULL, MS_BIND | MS_REC, NULL);
      if (r < 0 && errno == ENOENT)
        bind = false;
    }
    if (!bind) {
      r = mount("cgroup", subpath, "cgroup", base | (flags & MS_RDONLY), ctrls);
      if (r < 0 && errno == EPERM) {
        /* a user namespace may not mount v1 hierarchies */
        snprintf(host, sizeof(host), "/sys/fs/cgroup/%s", name);
        r = mount(host, subpath, NULL, MS_BIND | MS_REC, NULL);
        bind = true;
      }
    }
    if (r == 0 && bind && (flags & MS_RDONLY)) {
      cleanup_close int top = openat(dfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
      if (top < 0 ||
          mount_attr_apply(top, MS_RDONLY | (base & MS_ATTR_FLAGS), true, m->destination, err) < 0)
        return -1;
    }
    if (r < 0)
      return error_set(err, errno, "mount cgroup on %s/%s", m->destination, name);
  }
  /* the tmpfs itself stays writable (only the hierarchies are read-only),
   * as under runc */
  return 0;
}

/* linux.mountLabel on the file systems that take an SELinux context=
 * (not binds, proc, sysfs or cgroup, which keep their own labels). */
static bool mount_takes_label(const char *type) {
  static const char *const t[] = {"tmpfs", "devpts", "mqueue", "shm", "ramfs"};
  for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
    if (strcmp(type, t[i]) == 0)
      return true;
  return false;
}

/* "/proc", "proc/", "//sys" ... */
static bool dest_is(const char *dest, const char *name) {
  size_t len;
  while (*dest == '/')
    dest++;
  len = strlen(dest);
  while (len > 0 && dest[len - 1] == '/')
    len--;
  return len == strlen(name) && strncmp(dest, name, len) == 0;
}

/* CVE-2019-19921 class: proc and sysfs (and whatever goes on /proc or
 * /sys) only on an ordinary directory of the rootfs, never through a
 * symlink the image (or a container sharing a volume) placed there, and
 * never on a file.  Returns an O_PATH fd of the directory, made when
 * missing. */
static int mount_plain_dir_open(int rootfd, const struct spec_mount *m, const char *what,
                                pk_error **err) {
  cleanup_free char *parent = strdup(m->destination);
  cleanup_close int pfd = -1;
  char *slash, *base;
  struct stat st;
  int fd;

  if (parent == NULL)
    return error_set(err, ENOMEM, "mount %s", m->destination);
  for (size_t n = strlen(parent); n > 1 && parent[n - 1] == '/'; n--)
    parent[n - 1] = '\0';
  slash = strrchr(parent, '/');
  base = slash ? slash + 1 : parent;
  if (*base == '\0' || strcmp(base, ".") == 0 || strcmp(base, "..") == 0)
    return error_set_code(err, EINVAL, "mount %s on %s: expected a directory below /", what,
                          m->destination);
  if (slash)
    *slash = '\0';
  pfd = linux_path_open_in_root(rootfd, slash && parent[0] ? parent : "/", true, false, err);
  if (pfd < 0)
    return error_wrap(err, "mount %s on %s", what, m->destination);
  if (fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0) {
    if (errno != ENOENT || (mkdirat(pfd, base, 0755) < 0 && errno != EEXIST))
      return error_set(err, errno, "mount %s on %s", what, m->destination);
    if (fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0)
      return error_set(err, errno, "mount %s on %s", what, m->destination);
  }
  if (!S_ISDIR(st.st_mode))
    return error_set_code(err, ENOTDIR,
                          "mount %s on %s: must be mounted on an ordinary directory, but %s in "
                          "the rootfs is a %s",
                          what, m->destination, m->destination,
                          S_ISLNK(st.st_mode) ? "symlink" : "file, not a directory");
  fd = openat(pfd, base, O_PATH | O_NOFOLLOW | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return error_set(err, errno, "mount %s on %s", what, m->destination);
  return fd;
}

static int mount_one(int rootfd, const struct spec_mount *m, const char *label, pk_error **err) {
  const char *type = m->type ? m->type : "";
  const char *src = m->source ? m->source : "none";
  unsigned long flags = m->flags;
  cleanup_close int fd = -1;
  char path[PROC_FD_PATH_LEN];
  bool bind = m->bind || (flags & MS_BIND) || strcmp(type, "bind") == 0;

  if (!bind && strcmp(type, "cgroup") == 0)
    return mount_cgroup(rootfd, m, flags, err);

  if ((!bind && (strcmp(type, "proc") == 0 || strcmp(type, "sysfs") == 0)) ||
      dest_is(m->destination, "proc") || dest_is(m->destination, "sys")) {
    fd = mount_plain_dir_open(rootfd, m, bind ? src : type, err);
    if (fd < 0)
      return -1;
  } else {
    fd = linux_path_open_in_root(rootfd, m->destination, true, bind && source_is_file(src), err);
    if (fd < 0)
      return error_wrap(err, "mount %s on %s", src, m->destination);
  }
  proc_fd_path(path, fd);
  if (bind) {
    if (mount(src, path, NULL, MS_BIND | (flags & MS_REC), NULL) < 0)
      return error_set(err, errno, "mount %s on %s", src, m->destination);
  } else {
    cleanup_free char *data = NULL;
    if (label && *label && mount_takes_label(type) &&
        asprintf(&data, "%s%scontext=\"%s\"", m->data ? m->data : "",
                 m->data && *m->data ? "," : "", label) < 0)
      return error_set(err, ENOMEM, "mount %s", m->destination);
    if (mount(src, path, type, flags & ~(MS_PROPAGATION | MS_BIND | MS_REC),
              data ? data : m->data) < 0) {
      /* ENODEV: the kernel has no such filesystem type (not built or loaded) */
      if (errno == ENODEV)
        return error_set(err, errno,
                         "mount %s on %s: filesystem type \"%s\" not supported by the kernel", src,
                         m->destination, type);
      return error_set(err, errno, "mount %s on %s", src, m->destination);
    }
  }
  if (!bind && m->propagation == 0)
    return 0;
  /* the fd names the covered directory: open the new mount on top of it */
  close(fd);
  fd = linux_path_open_in_root(rootfd, m->destination, false, false, err);
  if (fd < 0)
    return error_wrap(err, "mount %s on %s", src, m->destination);
  if (bind) {
    unsigned long attrs = flags & MS_ATTR_FLAGS;
    if (m->recursive_ro)
      attrs |= MS_RDONLY;
    if (mount_attr_apply(fd, attrs, m->recursive_ro, m->destination, err) < 0)
      return -1;
  }
  return mount_propagation_set(fd, m->propagation, m->destination, err);
}

/* ---- /dev ---- */

static const struct {
  const char *name;
  unsigned major, minor;
} dev_defaults[] = {
    {"null", 1, 3},   {"zero", 1, 5},    {"full", 1, 7},
    {"random", 1, 8}, {"urandom", 1, 9}, {"tty", 5, 0},
};

static const struct {
  const char *name, *target;
} dev_links[] = {
    {"fd", "/proc/self/fd"},       {"stdin", "/proc/self/fd/0"}, {"stdout", "/proc/self/fd/1"},
    {"stderr", "/proc/self/fd/2"}, {"ptmx", "pts/ptmx"},
};

static int dev_setup(int rootfd, pk_error **err) {
  cleanup_close int devfd = linux_path_open_in_root(rootfd, "/dev", true, false, err);
  bool use_bind = false;

  if (devfd < 0)
    return error_wrap(err, "/dev");
  for (size_t i = 0; i < sizeof(dev_defaults) / sizeof(dev_defaults[0]); i++) {
    const char *name = dev_defaults[i].name;
    if (!use_bind) {
      if (mknodat(devfd, name, S_IFCHR | 0666,
                  makedev(dev_defaults[i].major, dev_defaults[i].minor)) == 0 ||
          errno == EEXIST)
        continue;
      if (errno != EPERM)
        return error_set(err, errno, "mknod /dev/%s", name);
      /* no mknod (user namespace): bind the host's nodes instead */
      use_bind = true;
    }
    {
      char host[64], path[PROC_FD_PATH_LEN];
      cleanup_close int fd = -1;
      int t = openat(devfd, name, O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0666);
      if (t < 0)
        return error_set(err, errno, "create /dev/%s", name);
      close(t);
      fd = openat(devfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
      if (fd < 0)
        return error_set(err, errno, "open /dev/%s", name);
      snprintf(host, sizeof(host), "/dev/%s", name);
      proc_fd_path(path, fd);
      if (mount(host, path, NULL, MS_BIND, NULL) < 0)
        return error_set(err, errno, "bind %s", host);
    }
  }
  for (size_t i = 0; i < sizeof(dev_links) / sizeof(dev_links[0]); i++) {
    if (symlinkat(dev_links[i].target, devfd, dev_links[i].name) < 0 && errno != EEXIST)
      return error_set(err, errno, "symlink /dev/%s", dev_links[i].name);
  }
  if (access("/proc/kcore", F_OK) == 0 && symlinkat("/proc/kcore", devfd, "core") < 0 &&
      errno != EEXIST)
    return error_set(err, errno, "symlink /dev/core");
  return 0;
}

static unsigned long root_propagation(const struct spec *s, pk_error **err) {
  const char *p = s->rootfs_propagation;
  if (p == NULL || *p == '\0' || strcmp(p, "rprivate") == 0)
    return MS_PRIVATE | MS_REC;
  if (strcmp(p, "private") == 0)
    return MS_PRIVATE;
  if (strcmp(p, "rslave") == 0)
    return MS_SLAVE | MS_REC;
  if (strcmp(p, "slave") == 0)
    return MS_SLAVE;
  if (strcmp(p, "rshared") == 0)
    return MS_SHARED | MS_REC;
  if (strcmp(p, "shared") == 0)
    return MS_SHARED;
  if (strcmp(p, "runbindable") == 0)
    return MS_UNBINDABLE | MS_REC;
  if (strcmp(p, "unbindable") == 0)
    return MS_UNBINDABLE;
  error_set(err, EINVAL, "linux.rootfsPropagation: unknown value \"%s\"", p);
  return 0;
}

int linux_rootfs_prepare(const struct spec *s, const char *rootfs, int *rootfd_out,
                         pk_error **err) {
  unsigned long prop = root_propagation(s, err);
  cleanup_close int rootfd = -1;
  bool dev_bound = false;

  if (prop == 0)
    return -1;
  /* Private first, so nothing below leaks to the host's mount table; a
   * shared rootfsPropagation is applied again on the rootfs at the end. */
  if (mount(NULL, "/", NULL, (prop & MS_SHARED) ? (MS_SLAVE | MS_REC) : prop, NULL) < 0)
    return error_set(err, errno, "make / %s",
                     s->rootfs_propagation ? s->rootfs_propagation : "rprivate");
  /* pivot_root needs the new root to be a mount point */
  if (mount(rootfs, rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
    return error_set(err, errno, "bind rootfs %s", rootfs);
  rootfd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0)
    return error_set(err, errno, "open rootfs %s", rootfs);
  for (size_t i = 0; i < s->n_mounts; i++) {
    const struct spec_mount *m = &s->mounts[i];
    if (mount_one(rootfd, m, s->mount_label, err) < 0)
      return -1;
    if (strcmp(m->destination, "/dev") == 0)
      dev_bound = m->bind || (m->flags & MS_BIND) || (m->type && strcmp(m->type, "bind") == 0);
  }
  /* a bind-mounted /dev is the caller's own: runc leaves it alone too */
  if (!dev_bound && dev_setup(rootfd, err) < 0)
    return -1;
  if (s->devices && linux_devices_create(rootfd, s->devices, err) < 0)
    return -1;
  if (prop & MS_SHARED) {
    if (mount(NULL, rootfs, NULL, prop, NULL) < 0)
      return error_set(err, errno, "make rootfs %s", s->rootfs_propagation);
  }
  *rootfd_out = take_fd(&rootfd);
  return 0;
}

int linux_cwd_create(int rootfd, const char *cwd, pk_error **err) {
  int fd = linux_path_open_in_root(rootfd, cwd, true, false, err);
  if (fd < 0 && (*err)->errnum == ELOOP) {
    /* /proc/self/fd/N names one of podrun's fds (CVE-2024-21626) */
    error_free(err);
    return error_set_code(err, ELOOP,
                          "process.cwd: %s is outside the container (it resolves through a "
                          "/proc magic link, or a symlink loop)",
                          cwd);
  }
  if (fd < 0)
    return error_wrap(err, "process.cwd");
  close(fd);
  return 0;
}

int linux_root_pivot(const char *rootfs, bool no_pivot, pk_error **err) {
  if (no_pivot) {
    if (chdir(rootfs) < 0)
      return error_set(err, errno, "chdir %s", rootfs);
    if (mount(rootfs, "/", NULL, MS_MOVE, NULL) < 0)
      return error_set(err, errno, "move %s to /", rootfs);
    if (chroot(".") < 0)
      return error_set(err, errno, "chroot %s", rootfs);
  } else {
    cleanup_close int oldroot = open("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
    cleanup_close int newroot = open(rootfs, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
    if (oldroot < 0 || newroot < 0)
      return error_set(err, errno, "open %s", oldroot < 0 ? "/" : rootfs);
    if (fchdir(newroot) < 0)
      return error_set(err, errno, "chdir %s", rootfs);
    /* pivot_root(".", ".") stacks the old root on top of the new one, so
     * no directory for it is needed inside the rootfs */
    if (syscall(SYS_pivot_root, ".", ".") < 0)
      return error_set(err, errno, "pivot_root %s", rootfs);
    if (fchdir(oldroot) < 0)
      return error_set(err, errno, "chdir old root");
    /* slave first: detaching must not propagate the unmounts to the host */
    if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
      return error_set(err, errno, "make old root rslave");
    if (umount2(".", MNT_DETACH) < 0)
      return error_set(err, errno, "detach old root");
  }
  if (chdir("/") < 0)
    return error_set(err, errno, "chdir /");
  return 0;
}

static int sysctl_write(const struct spec_sysctl *sc, pk_error **err) {
  char path[512];
  cleanup_close int fd = -1;
  int n = snprintf(path, sizeof(path), "/proc/sys/%s", sc->key);
  if (n < 0 || (size_t)n >= sizeof(path) || strstr(sc->key, ".."))
    return error_set(err, EINVAL, "linux.sysctl: invalid key \"%s\"", sc->key);
  for (char *p = path + strlen("/proc/sys/"); *p; p++)
    if (*p == '.')
      *p = '/';
  fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0)
    return error_set(err, errno, "linux.sysctl: %s", sc->key);
  if (write_all(fd, sc->value, strlen(sc->value)) < 0)
    return error_set(err, errno, "linux.sysctl: %s = %s", sc->key, sc->value);
  return 0;
}

/* After the pivot: `path` resolved under the container's root, symlinks
 * kept inside it and /proc magic links refused (CVE-2021-30465 class).
 * 0 with *fd -1 when it does not exist. */
static int path_open_in_container(const char *path, const char *what, int *fd, pk_error **err) {
  cleanup_close int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  struct open_how how = {.flags = O_PATH | O_CLOEXEC,
                         .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS};
  *fd = -1;
  if (root < 0)
    return error_set(err, errno, "%s: open /", what);
  *fd = (int)syscall(SYS_openat2, root, path, &how, sizeof(how));
  if (*fd < 0 && (errno == ENOSYS || errno == EAGAIN || errno == EXDEV)) {
    /* no openat2: the walk of linux_path_open_in_root(), which splices
     * link texts under the root, magic ones included */
    pk_error *e2 = NULL;
    *fd = linux_path_open_in_root(root, path, false, false, &e2);
    if (*fd < 0) {
      int e = e2 ? e2->errnum : EINVAL;
      error_free(&e2);
      errno = e;
    }
  }
  if (*fd >= 0 || errno == ENOENT)
    return 0;
  return error_set(err, errno, "%s: %s", what, path);
}

static int path_mask(int nullfd, const char *p, pk_error **err) {
  cleanup_close int fd = -1;
  char path[PROC_FD_PATH_LEN], src[PROC_FD_PATH_LEN];
  struct stat st;

  if (path_open_in_container(p, "linux.maskedPaths", &fd, err) < 0)
    return -1;
  if (fd < 0)
    return 0;
  proc_fd_path(path, fd);
  proc_fd_path(src, nullfd);
  if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
    if (mount("tmpfs", path, "tmpfs", MS_RDONLY, NULL) < 0)
      return error_set(err, errno, "linux.maskedPaths: %s", p);
    return 0;
  }
  if (mount(src, path, NULL, MS_BIND, NULL) < 0)
    return error_set(err, errno, "linux.maskedPaths: %s", p);
  return 0;
}

static int path_readonly(const char *p, pk_error **err) {
  cleanup_close int fd = -1;
  char path[PROC_FD_PATH_LEN];

  if (path_open_in_container(p, "linux.readonlyPaths", &fd, err) < 0)
    return -1;
  if (fd < 0)
    return 0;
  proc_fd_path(path, fd);
  if (mount(path, path, NULL, MS_BIND | MS_REC, NULL) < 0)
    return error_set(err, errno, "linux.readonlyPaths: bind %s", p);
  /* the fd names the covered inode: the new mount is on top of it */
  close(take_fd(&fd));
  if (path_open_in_container(p, "linux.readonlyPaths", &fd, err) < 0)
    return -1;
  if (fd < 0)
    return error_set(err, ENOENT, "linux.readonlyPaths: %s", p);
  return mount_attr_apply(fd, MS_RDONLY, true, p, err);
}

/* The source of every mask: the container's /dev/null, which must really
 * be the null device (a rootfs without a /dev tmpfs could hold a file
 * there, whose content the masked paths would then show). */
static int null_open(pk_error **err) {
  int fd;
  struct stat st;
  if (path_open_in_container("/dev/null", "linux.maskedPaths", &fd, err) < 0)
    return -1;
  if (fd < 0)
    return error_set(err, ENOENT, "linux.maskedPaths: /dev/null");
  if (fstat(fd, &st) < 0 || !S_ISCHR(st.st_mode) || st.st_rdev != makedev(1, 3)) {
    close(fd);
    return error_set_code(err, EINVAL,
                          "linux.maskedPaths: /dev/null in the container is not the null device");
  }
  return fd;
}

int linux_rootfs_finalize(const struct spec *s, pk_error **err) {
  /* sysctl first: readonlyPaths usually holds /proc/sys */
  for (size_t i = 0; i < s->n_sysctl; i++)
    if (sysctl_write(&s->sysctl[i], err) < 0)
      return -1;
  /* readonly before masked, in runc's order, so mount tables compare */
  for (char **p = s->readonly_paths; p && *p; p++)
    if (path_readonly(*p, err) < 0)
      return -1;
  if (s->masked_paths && s->masked_paths[0]) {
    cleanup_close int nullfd = null_open(err);
    if (nullfd < 0)
      return -1;
    for (char **p = s->masked_paths; p && *p; p++)
      if (path_mask(nullfd, *p, err) < 0)
        return -1;
  }
  if (s->root_readonly) {
    cleanup_close int fd = open("/", O_PATH | O_CLOEXEC);
    if (fd < 0 || mount_attr_apply(fd, MS_RDONLY, false, "/", err) < 0)
      return error_wrap(err, "root.readonly");
  }
  return 0;
}

int linux_hostname_set(const struct spec *s, pk_error **err) {
  if (s->hostname && sethostname(s->hostname, strlen(s->hostname)) < 0)
    return error_set(err, errno, "hostname %s", s->hostname);
  if (s->domainname && setdomainname(s->domainname, strlen(s->domainname)) < 0)
    return error_set(err, errno, "domainname %s", s->domainname);
  return 0;
}

int linux_loopback_up(pk_error **err) {
  struct ifreq ifr = {0};
  cleanup_close int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return error_set(err, errno, "loopback: socket");
  strcpy(ifr.ifr_name, "lo");
  if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
    return error_set(err, errno, "loopback: get flags of lo");
  if (ifr.ifr_flags & IFF_UP)
    return 0;
  ifr.ifr_flags |= IFF_UP;
  if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
    return error_set(err, errno, "loopback: set lo up");
  return 0;
}

static int dev_json_int(json_t *o, const char *key, long long dflt, long long max, long long *v,
                        size_t i, pk_error **err) {
  json_t *f = json_object_get(o, key);
  if (f == NULL || json_is_null(f)) {
    *v = dflt;
    return 0;
  }
  /* mknod and chown would truncate a bigger value to some other number */
  if (!json_is_integer(f) || json_integer_value(f) < 0 || json_integer_value(f) > max)
    return error_set(err, 0, "linux.devices[%zu].%s: expected an integer between 0 and %lld", i,
                     key, max);
  *v = json_integer_value(f);
  return 0;
}

int linux_devices_create(int rootfd, json_t *devices, pk_error **err) {
  size_t i;
  json_t *d;
  if (devices == NULL || json_is_null(devices))
    return 0;
  if (!json_is_array(devices))
    return error_set(err, 0, "linux.devices: expected an array");
  json_array_foreach(devices, i, d) {
    const char *path = json_string_value(json_object_get(d, "path"));
    const char *type = json_string_value(json_object_get(d, "type"));
    long long major, minor, mode, uid, gid;
    mode_t fmt;
    cleanup_free char *dir = NULL;
    cleanup_close int dfd = -1;
    const char *base;

    if (path == NULL || path[0] != '/')
      return error_set(err, 0, "linux.devices[%zu].path: expected an absolute path", i);
    if (strstr(path, "/../"))
      return error_set(err, 0, "linux.devices[%zu].path: \"%s\": \"..\" is not allowed", i, path);
    if (type == NULL)
      return error_set(err, 0, "linux.devices[%zu].type: required (c, b, u or p)", i);
    switch (type[0]) {
    case 'c':
    case 'u':
      fmt = S_IFCHR;
      break;
    case 'b':
      fmt = S_IFBLK;
      break;
    case 'p':
      fmt = S_IFIFO;
      break;
    default:
      return error_set(err, 0, "linux.devices[%zu].type: unknown type \"%s\"", i, type);
    }
    /* the kernel's dev_t: 12 bits of major, 20 of minor */
    if (dev_json_int(d, "major", 0, 4095, &major, i, err) < 0 ||
        dev_json_int(d, "minor", 0, 1048575, &minor, i, err) < 0 ||
        dev_json_int(d, "fileMode", 0666, 07777, &mode, i, err) < 0 ||
        dev_json_int(d, "uid", 0, 4294967294LL, &uid, i, err) < 0 ||
        dev_json_int(d, "gid", 0, 4294967294LL, &gid, i, err) < 0)
      return -1;
    dir = strdup(path);
    if (dir == NULL)
      return error_set(err, ENOMEM, "linux.devices");
    *strrchr(dir, '/') = '\0';
    base = strrchr(path, '/') + 1;
    if (*base == '\0' || strcmp(base, "..") == 0 || strcmp(base, ".") == 0)
      return error_set(err, 0, "linux.devices[%zu].path: \"%s\" names no file", i, path);
    dfd = linux_path_open_in_root(rootfd, *dir ? dir : "/", true, false, err);
    if (dfd < 0)
      return error_wrap(err, "linux.devices[%zu] %s", i, path);
    {
      /* the O_PATH fd cannot be used with mknodat: reopen it */
      char p[PROC_FD_PATH_LEN];
      int real;
      proc_fd_path(p, dfd);
      real = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (real < 0)
        return error_set(err, errno, "linux.devices: open %s", *dir ? dir : "/");
      close(dfd);
      dfd = real;
    }
    unlinkat(dfd, base, 0);
    if (mknodat(dfd, base, fmt | (mode_t)(mode & 07777),
                fmt == S_IFIFO ? 0 : makedev((unsigned)major, (unsigned)minor)) == 0) {
      if (fchownat(dfd, base, (uid_t)uid, (gid_t)gid, AT_SYMLINK_NOFOLLOW) < 0)
        return error_set(err, errno, "linux.devices: chown %s", path);
      continue;
    }
    if (errno != EPERM)
      return error_set(err, errno, "linux.devices: mknod %s", path);
    {
      /* no mknod in a user namespace: the host's node, bind-mounted */
      char p[PROC_FD_PATH_LEN];
      cleanup_close int f = -1;
      int t = openat(dfd, base, O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0666);
      if (t < 0)
        return error_set(err, errno, "linux.devices: create %s", path);
      close(t);
      f = openat(dfd, base, O_PATH | O_NOFOLLOW | O_CLOEXEC);
      if (f < 0)
        return error_set(err, errno, "linux.devices: open %s", path);
      proc_fd_path(p, f);
      if (mount(path, p, NULL, MS_BIND, NULL) < 0)
        return error_set(err, errno, "linux.devices: bind host %s", path);
    }
  }
  return 0;
}
