/* SPDX-License-Identifier: MIT
 * The kernel side of a container's set-up: namespaces, the rootfs and its
 * mounts, /dev, pivot_root, sysctl, masked and read-only paths, hostname.
 * Everything except linux_id_maps_write() runs in the container's init
 * process before it execs; paths of the container are always resolved under
 * the rootfs so a symlink in the image can never send a mount outside it. */
#ifndef PODKIT_LINUX_H
#define PODKIT_LINUX_H

#include <stdbool.h>
#include <sys/types.h>

#include "error.h"
#include "spec.h"

/* setns(2) type for a namespace kind (CLONE_NEWNET, ...). */
int linux_ns_type(enum spec_ns_type t);

/* Open linux.namespaces[t].path (O_RDONLY|O_CLOEXEC); the error names the
 * namespace and path. */
int linux_ns_open(const struct spec *s, enum spec_ns_type t, pk_error **err);

/* setns(fd) for namespace kind t. */
int linux_ns_join(int fd, enum spec_ns_type t, const char *path, pk_error **err);

/* Written by the parent once the child exists: uid_map and gid_map of a new
 * user namespace. */
int linux_id_maps_write(pid_t pid, const struct spec *s, pk_error **err);

/* Open (and create, when missing) `path` under the directory `rootfd`: the
 * walk never leaves rootfd, symlinks included.  Missing components become
 * directories; the last one a file when `last_is_file`.  Returns an O_PATH fd. */
int linux_path_open_in_root(int rootfd, const char *path, bool create, bool last_is_file,
                            pk_error **err);

/* Root propagation, the rootfs bind-mounted onto itself, every mount of the
 * spec, the default /dev nodes and links.  `rootfs` is absolute; relative
 * bind sources are taken relative to the cwd (the bundle).  *rootfd_out gets
 * an O_PATH fd of the rootfs. */
int linux_rootfs_prepare(const struct spec *s, const char *rootfs, int *rootfd_out, pk_error **err);

/* Make process.cwd exist inside the rootfs (runc does the same). */
int linux_cwd_create(int rootfd, const char *cwd, pk_error **err);

/* pivot_root into rootfs and detach the old root, or MS_MOVE + chroot. */
int linux_root_pivot(const char *rootfs, bool no_pivot, pk_error **err);

/* After the pivot: sysctl, maskedPaths, readonlyPaths, readonly root. */
int linux_rootfs_finalize(const struct spec *s, pk_error **err);

/* Bring lo up in a new network namespace (the kernel then gives it
 * 127.0.0.1 and ::1), as runc does. */
int linux_loopback_up(pk_error **err);

/* linux.devices: each node made (mknod) at its path under rootfd with its
 * fileMode, uid and gid, or the host's node bind-mounted where mknod is
 * not allowed (a user namespace). */
int linux_devices_create(int rootfd, json_t *devices, pk_error **err);

/* hostname/domainname in the (new) uts namespace. */
int linux_hostname_set(const struct spec *s, pk_error **err);

#endif
