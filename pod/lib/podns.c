/* SPDX-License-Identifier: MIT */
#include "podns.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "netns.h"
#include "util.h"

int pod_ns_pin(pid_t pid, const char *nsname, const char *path, pk_error **err) {
  char src[64];
  int fd;

  snprintf(src, sizeof(src), "/proc/%d/ns/%s", (int)pid, nsname);
  fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444);
  if (fd < 0)
    return error_set(err, errno, "create %s", path);
  close(fd);
  if (mount(src, path, "none", MS_BIND, NULL) < 0) {
    int e = errno;
    unlink(path);
    return error_set(err, e, "bind %s on %s", src, path);
  }
  return 0;
}

/* Same as `ip netns add`: netns mounts made under a shared NETNS_RUN_DIR
 * propagate to mount namespaces created later, and unmounting one here
 * unmounts it everywhere, so the netns can be freed.  (podnet's own helper
 * is static in net/lib/netns.c.) */
static int netns_dir_share(pk_error **err) {
  if (mkdir_p(NETNS_RUN_DIR, 0755, err) < 0)
    return -1;
  for (int tries = 0;; tries++) {
    if (mount("", NETNS_RUN_DIR, "none", MS_SHARED | MS_REC, NULL) == 0)
      return 0;
    if (errno != EINVAL || tries)
      return error_set(err, errno, "make %s a shared mount point", NETNS_RUN_DIR);
    if (mount(NETNS_RUN_DIR, NETNS_RUN_DIR, "none", MS_BIND | MS_REC, NULL) < 0)
      return error_set(err, errno, "bind %s on itself", NETNS_RUN_DIR);
  }
}

int pod_netns_pin(pid_t pid, const char *name, pk_error **err) {
  char path[4096];

  if (netns_dir_share(err) < 0)
    return -1;
  snprintf(path, sizeof(path), "%s/%s", NETNS_RUN_DIR, name);
  if (access(path, F_OK) == 0)
    return error_set_code(err, EEXIST, "network namespace %s already exists", name);
  return pod_ns_pin(pid, "net", path, err);
}

int pod_ns_unpin(const char *path, pk_error **err) {
  /* MNT_DETACH: a member still starting may hold the mount busy. */
  if (umount2(path, MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT)
    return error_set(err, errno, "unmount %s", path);
  if (unlink(path) < 0 && errno != ENOENT)
    return error_set(err, errno, "remove %s", path);
  return 0;
}
