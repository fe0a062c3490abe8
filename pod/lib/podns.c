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

int pod_netns_pin(pid_t pid, const char *name, pk_error **err) {
  /* podnet's: the same shared NETNS_RUN_DIR that `ip netns` uses */
  return netns_attach(name, pid, err);
}

int pod_ns_unpin(const char *path, pk_error **err) {
  /* MNT_DETACH: a member still starting may hold the mount busy. */
  if (umount2(path, MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT)
    return error_set(err, errno, "unmount %s", path);
  if (unlink(path) < 0 && errno != ENOENT)
    return error_set(err, errno, "remove %s", path);
  return 0;
}
