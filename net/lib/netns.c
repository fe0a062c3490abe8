/* SPDX-License-Identifier: MIT */
#include "netns.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "cleanup.h"
#include "util.h"

#ifndef NSFS_MAGIC
#define NSFS_MAGIC 0x6e736673
#endif

/* Make NETNS_RUN_DIR a shared mount point, as `ip netns add` does, so that
 * unmounting a netns file in one mount namespace unmounts it everywhere and
 * the netns can be freed.  No lock: making a mount shared is idempotent, and
 * when two processes both bind the dir onto itself the second bind stacks
 * harmlessly on the first. */
static int netns_run_dir_prepare(pk_error **err) {
  bool bound = false;

  if (mkdir_p(NETNS_RUN_DIR, 0755, err) < 0)
    return -1;
  while (mount("", NETNS_RUN_DIR, "none", MS_SHARED | MS_REC, NULL) < 0) {
    /* EINVAL: not a mount point yet; bind it onto itself once and retry */
    if (errno != EINVAL || bound)
      return error_set(err, errno, "make %s a shared mount point", NETNS_RUN_DIR);
    if (mount(NETNS_RUN_DIR, NETNS_RUN_DIR, "none", MS_BIND | MS_REC, NULL) < 0)
      return error_set(err, errno, "bind %s onto itself", NETNS_RUN_DIR);
    bound = true;
  }
  return 0;
}

static int netns_name_check(const char *name, pk_error **err) {
  if (id_validate(name, "netns name", err) < 0)
    return -1;
  return 0;
}

struct netns_thread_arg {
  const char *path;
  int errnum;
  const char *step;
};

/* unshare(CLONE_NEWNET) affects only the calling thread, so a short-lived
 * thread creates the netns and the process itself never leaves its own. */
static void *netns_thread(void *p) {
  struct netns_thread_arg *a = p;
  if (unshare(CLONE_NEWNET) < 0) {
    a->errnum = errno;
    a->step = "unshare the network namespace";
    return NULL;
  }
  if (mount("/proc/thread-self/ns/net", a->path, "none", MS_BIND, NULL) < 0) {
    a->errnum = errno;
    a->step = "bind mount the new netns";
  }
  return NULL;
}

int netns_add(const char *name, pk_error **err) {
  char path[sizeof(NETNS_RUN_DIR) + 130];
  struct netns_thread_arg a = {path, 0, NULL};
  pthread_t th;
  int fd, rc;

  if (netns_name_check(name, err) < 0)
    return -1;
  if (netns_run_dir_prepare(err) < 0)
    return -1;
  snprintf(path, sizeof(path), "%s/%s", NETNS_RUN_DIR, name);
  fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
  if (fd < 0) {
    if (errno == EEXIST)
      return error_set_code(err, EEXIST, "network namespace %s already exists", name);
    return error_set(err, errno, "create %s", path);
  }
  close(fd);
  rc = pthread_create(&th, NULL, netns_thread, &a);
  if (rc != 0) {
    unlink(path);
    return error_set(err, rc, "create network namespace %s: start thread", name);
  }
  pthread_join(th, NULL);
  if (a.errnum) {
    umount2(path, MNT_DETACH);
    unlink(path);
    return error_set(err, a.errnum, "create network namespace %s: %s", name, a.step);
  }
  return 0;
}

int netns_attach(const char *name, pid_t pid, pk_error **err) {
  char path[sizeof(NETNS_RUN_DIR) + 130], src[64];
  int fd;

  if (netns_name_check(name, err) < 0)
    return -1;
  if (pid <= 0)
    return error_set_code(err, EINVAL, "attach network namespace %s: invalid pid %d", name,
                          (int)pid);
  if (netns_run_dir_prepare(err) < 0)
    return -1;
  snprintf(path, sizeof(path), "%s/%s", NETNS_RUN_DIR, name);
  snprintf(src, sizeof(src), "/proc/%d/ns/net", (int)pid);
  fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
  if (fd < 0) {
    if (errno == EEXIST)
      return error_set_code(err, EEXIST, "network namespace %s already exists", name);
    return error_set(err, errno, "create %s", path);
  }
  close(fd);
  if (mount(src, path, "none", MS_BIND, NULL) < 0) {
    int e = errno;
    unlink(path);
    if (e == ENOENT)
      return error_set_code(err, ESRCH, "attach network namespace %s: process %d does not exist",
                            name, (int)pid);
    return error_set(err, e, "attach network namespace %s: bind %s on %s", name, src, path);
  }
  return 0;
}

int netns_del(const char *name, pk_error **err) {
  char path[sizeof(NETNS_RUN_DIR) + 130];

  if (netns_name_check(name, err) < 0)
    return -1;
  snprintf(path, sizeof(path), "%s/%s", NETNS_RUN_DIR, name);
  if (access(path, F_OK) < 0) {
    if (errno == ENOENT)
      return error_set_code(err, ENOENT, "network namespace %s does not exist", name);
    return error_set(err, errno, "delete network namespace %s", name);
  }
  /* MNT_DETACH: a process still inside keeps the netns alive, the name goes
   * now (what `ip netns del` does). */
  if (umount2(path, MNT_DETACH) < 0 && errno != EINVAL)
    return error_set(err, errno, "unmount %s", path);
  if (unlink(path) < 0)
    return error_set(err, errno, "remove %s", path);
  return 0;
}

static int strcmpp(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

int netns_list(char ***out, pk_error **err) {
  cleanup_closedir DIR *d = opendir(NETNS_RUN_DIR);
  cleanup_strv char **v = NULL;
  size_t n = 0, cap = 0;
  struct dirent *e;

  v = calloc(1, sizeof(char *));
  if (v == NULL)
    return error_set(err, ENOMEM, "list network namespaces");
  if (d == NULL) {
    if (errno == ENOENT) {
      *out = take_ptr(v);
      return 0;
    }
    return error_set(err, errno, "open %s", NETNS_RUN_DIR);
  }
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.')
      continue;
    if (n + 1 >= cap) {
      cap = cap ? cap * 2 : 16;
      char **nv = realloc(v, (cap + 1) * sizeof(char *));
      if (nv == NULL)
        return error_set(err, ENOMEM, "list network namespaces");
      v = nv;
    }
    v[n] = strdup(e->d_name);
    if (v[n] == NULL)
      return error_set(err, ENOMEM, "list network namespaces");
    v[++n] = NULL;
  }
  if (n > 1)
    qsort(v, n, sizeof(char *), strcmpp);
  *out = take_ptr(v);
  return 0;
}

int netns_path_ino(const char *path, dev_t *dev, ino_t *ino) {
  struct statfs sfs;
  struct stat st;
  if (statfs(path, &sfs) < 0 || (unsigned long)sfs.f_type != (unsigned long)NSFS_MAGIC ||
      stat(path, &st) < 0)
    return 0;
  *dev = st.st_dev;
  *ino = st.st_ino;
  return 1;
}

int netns_ref_open(const struct netns_ref *ref, int *fdp, dev_t *dev, ino_t *ino, char *desc,
                   size_t desclen, pk_error **err) {
  char path[PATH_MAX];
  struct statfs sfs;
  struct stat st;
  cleanup_close int fd = -1;

  if (ref->name) {
    if (netns_name_check(ref->name, err) < 0)
      return -1;
    snprintf(path, sizeof(path), "%s/%s", NETNS_RUN_DIR, ref->name);
    snprintf(desc, desclen, "network namespace %s", ref->name);
  } else if (ref->path) {
    snprintf(path, sizeof(path), "%s", ref->path);
    snprintf(desc, desclen, "network namespace %s", ref->path);
  } else {
    snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)ref->pid);
    snprintf(desc, desclen, "network namespace of pid %d", (int)ref->pid);
  }
  fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT)
      return error_set_code(err, ENOENT, "%s does not exist", desc);
    return error_set(err, errno, "open %s", desc);
  }
  /* A name left in /var/run/netns without its mount (after a crash) is a
   * plain empty file: not a netns. */
  if (fstatfs(fd, &sfs) < 0 || (unsigned long)sfs.f_type != (unsigned long)NSFS_MAGIC)
    return error_set_code(err, EINVAL, "%s does not exist (%s is not a netns file)", desc, path);
  if (fstat(fd, &st) < 0)
    return error_set(err, errno, "stat %s", path);
  *dev = st.st_dev;
  *ino = st.st_ino;
  *fdp = take_fd(&fd);
  return 0;
}
