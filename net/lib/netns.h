/* SPDX-License-Identifier: MIT
 * Named network namespaces with iproute2's convention: /var/run/netns is a
 * shared mount point and /var/run/netns/NAME a bind mount of a netns, so
 * `ip netns exec` and podnet see the same namespaces. */
#ifndef PODNET_NETNS_H
#define PODNET_NETNS_H

#include <stdbool.h>
#include <sys/types.h>

#include "error.h"

#define NETNS_RUN_DIR "/var/run/netns"

int netns_add(const char *name, pk_error **err);
/* The netns of process pid as NAME, like `ip netns attach NAME PID`: a bind
 * mount of /proc/PID/ns/net on /var/run/netns/NAME, the dir made a shared
 * mount point first as netns_add does.  EEXIST "network namespace NAME
 * already exists", ESRCH when there is no such process. */
int netns_attach(const char *name, pid_t pid, pk_error **err);
/* Unmounts and removes; a missing name is an error. */
int netns_del(const char *name, pk_error **err);
/* Names in NETNS_RUN_DIR, sorted, NULL-terminated (caller frees). */
int netns_list(char ***out, pk_error **err);

/* Where the selectors of attach/detach point: exactly one of name, path,
 * pid.  Opens the netns (O_RDONLY) and fills its inode/device, so a lease
 * can tell later whether that same netns still exists.  Errors say "network
 * namespace NAME does not exist". */
struct netns_ref {
  const char *name; /* --netns */
  const char *path; /* --netns-path */
  pid_t pid;        /* --pid, 0 = none */
};
int netns_ref_open(const struct netns_ref *ref, int *fd, dev_t *dev, ino_t *ino, char *desc,
                   size_t desclen, pk_error **err);
/* Inode of a netns file, 0 when it does not exist or is not a netns. */
int netns_path_ino(const char *path, dev_t *dev, ino_t *ino);

#endif
