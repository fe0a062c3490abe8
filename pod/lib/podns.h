/* SPDX-License-Identifier: MIT
 * Pinning a pod's namespaces: a bind mount of /proc/PID/ns/X keeps the
 * namespace alive and gives members a path to join, independent of the
 * pause's pid. */
#ifndef POD_NS_H
#define POD_NS_H

#include <sys/types.h>

#include "error.h"

/* Bind-mount /proc/PID/ns/NSNAME on `path` (created, must not exist). */
int pod_ns_pin(pid_t pid, const char *nsname, const char *path, pk_error **err);
/* The netns of PID as /var/run/netns/NAME, iproute2's convention (the dir is
 * made a shared mount point as `ip netns add` does). */
int pod_netns_pin(pid_t pid, const char *name, pk_error **err);
/* Unmount and remove; a missing path is not an error. */
int pod_ns_unpin(const char *path, pk_error **err);

#endif
