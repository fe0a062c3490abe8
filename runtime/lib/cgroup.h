/* SPDX-License-Identifier: MIT
 * Container cgroups on cgroup v1, v2 and hybrid hosts (v1 controllers plus a
 * controller-less cgroup2 at /sys/fs/cgroup/unified, which crun refuses).
 *
 * The layout is detected once per process: statfs of /sys/fs/cgroup and its
 * hierarchy directories as named in /proc/self/cgroup, falling back to
 * /proc/self/mountinfo (slow with many mounts) for anything unusual.  A
 * container's cgroup is one directory per hierarchy: every mounted v1
 * hierarchy (name=systemd included) and the cgroup2 one.  All file access
 * goes through openat() on per-hierarchy directory fds; nothing is exec'd.
 *
 * cgroupsPath:
 *   "/a/b"          absolute, the same in every hierarchy
 *   "a/b"           relative to the caller's own cgroup in each hierarchy
 *                   (as runc does)
 *   "" or NULL      "/podrun/<id>"
 *   "slice:pre:nm"  the systemd driver form: an error (systemd's D-Bus API
 *                   is not implemented; when systemd is not PID 1 the error
 *                   says that systemd must run)
 *
 * resources is linux.resources from config.json (borrowed).  Supported:
 * memory {limit, reservation, swap, swappiness, disableOOMKiller}, cpu
 * {shares, quota, period, burst, realtimeRuntime, realtimePeriod, cpus, mems,
 * idle}, pids.limit, blockIO {weight, throttle*Device}, hugepageLimits,
 * unified, devices.  v2 specifics: shares become cpu.weight with runc's
 * formula, swap becomes memory.swap.max = swap - limit, disableOOMKiller and
 * swappiness have no v2 file and are ignored, devices become an eBPF
 * program attached to the cgroup2 directory (replacing the previous one on
 * update).  The caller adds the allow rules for linux.devices and the
 * default devices to resources.devices, as runc does; this module applies
 * exactly the list it gets.  Errors in resources name their JSON path
 * ("linux.resources.memory.limit: expected an integer").
 *
 * The persisted form (cgroup_path()) is what state.json keeps: the resolved
 * absolute path, followed by ";HIER=PATH" overrides for hierarchies where a
 * relative cgroupsPath resolved elsewhere.  cgroup_open() takes it back. */
#ifndef PODKIT_CGROUP_H
#define PODKIT_CGROUP_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"

enum cgroup_mode {
  CGROUP_MODE_V1,     /* v1 hierarchies only */
  CGROUP_MODE_V2,     /* /sys/fs/cgroup is cgroup2 */
  CGROUP_MODE_HYBRID, /* v1 controllers plus a cgroup2 hierarchy */
};

struct cgroup;

/* Host layout, detected on first use and cached. */
int cgroup_mode_get(enum cgroup_mode *mode, pk_error **err);

/* Make the container's cgroup in every hierarchy, apply resources (may be
 * NULL) and move pid (0: none) into it.  On failure nothing is left behind:
 * the directories this call made are removed again. */
int cgroup_create(const char *cgroups_path, const char *id, json_t *resources, pid_t pid,
                  struct cgroup **out, pk_error **err);

/* cgroup_create() in two halves, for a caller that overlaps the slow part
 * (mkdir in every v1 hierarchy, the resource files) with the container's
 * own set-up: _start validates resources, resolves the path and makes only
 * the cgroup2 directory (so that clone3 can start the child in it with
 * CLONE_INTO_CGROUP, see cgroup_v2_fd); _finish makes the rest and applies
 * resources (a reference is kept until then).  On a _finish failure what both made is
 * removed again; cgroup_path() is valid after _start. */
int cgroup_create_start(const char *cgroups_path, const char *id, json_t *resources,
                        struct cgroup **out, pk_error **err);
/* cgroup_create_start() in two steps, for a caller that records the path
 * (cgroup_path(), valid after _prepare) before anything exists: _prepare
 * validates and resolves and makes nothing; _make_start makes the cgroup2
 * directory, and on failure removes what it made. */
int cgroup_prepare(const char *cgroups_path, const char *id, json_t *resources, struct cgroup **out,
                   pk_error **err);
int cgroup_make_start(struct cgroup *cg, pk_error **err);
int cgroup_create_finish(struct cgroup *cg, pk_error **err);

/* Re-open a cgroup from its persisted form (see cgroup_path()). */
int cgroup_open(const char *persisted, struct cgroup **out, pk_error **err);

/* The persisted form, owned by cg. */
const char *cgroup_path(const struct cgroup *cg);

/* Move pid into the cgroup in every hierarchy (exec joins this way).
 * Writing another process's pid takes the kernel's global threadgroup lock,
 * which waits for an RCU grace period (milliseconds); the two calls below
 * avoid that on the container start path. */
int cgroup_enter(struct cgroup *cg, pid_t pid, pk_error **err);

/* For the container process itself, single-threaded, before it changes its
 * root (the directory fds were opened by cgroup_create/cgroup_open, so it
 * may already be in new namespaces): writes "0" to the v1 `tasks` files,
 * which moves the caller without the global lock, and to cgroup.procs on v2
 * unless v2_done (the process was cloned into it with CLONE_INTO_CGROUP,
 * see cgroup_v2_fd).  Create with pid 0, then call this in the child. */
int cgroup_enter_self(struct cgroup *cg, bool v2_done, pk_error **err);

/* A new O_RDONLY directory fd of the cgroup2 directory for clone3's
 * CLONE_INTO_CGROUP (caller closes); -1 with ENOENT when the host has no
 * cgroup2 hierarchy. */
int cgroup_v2_fd(struct cgroup *cg, pk_error **err);

/* Apply resources again (podrun update); only the given fields change. */
int cgroup_update(struct cgroup *cg, json_t *resources, pk_error **err);

/* Freeze (v1 freezer.state, v2 cgroup.freeze) and wait until every process
 * is frozen; thaw undoes it. */
int cgroup_freeze(struct cgroup *cg, pk_error **err);
int cgroup_thaw(struct cgroup *cg, pk_error **err);
int cgroup_is_frozen(struct cgroup *cg, bool *frozen, pk_error **err);

/* Host pids in the cgroup and its descendants, sorted; caller frees. */
int cgroup_pids(struct cgroup *cg, pid_t **pids, size_t *n, pk_error **err);

/* Send sig to every process in the cgroup (and descendants).  SIGKILL on v2
 * uses cgroup.kill; otherwise the cgroup is frozen around the signalling so
 * that no process can fork away. */
int cgroup_kill(struct cgroup *cg, int sig, pk_error **err);

/* Counters for `events --stats`; a has_* flag is false when the host has no
 * such file (e.g. no memory controller). */
struct cgroup_stats {
  bool has_cpu, has_memory, has_pids;
  uint64_t cpu_usage_ns;     /* total CPU time */
  uint64_t memory_usage;     /* bytes */
  uint64_t memory_limit;     /* bytes, UINT64_MAX when unlimited */
  uint64_t memory_max_usage; /* v1 max_usage_in_bytes / v2 memory.peak, 0 if none */
  uint64_t oom_kill;         /* OOM kills so far */
  uint64_t pids_current;
  uint64_t pids_limit; /* UINT64_MAX when unlimited */
};
int cgroup_stats(struct cgroup *cg, struct cgroup_stats *st, pk_error **err);

/* Kill what is left (SIGKILL), then remove the directories in every
 * hierarchy (descendants first), retrying EBUSY while the killed processes
 * exit.  A missing directory is not an error.  cg stays valid: free it with
 * cgroup_free(). */
int cgroup_destroy(struct cgroup *cg, pk_error **err);

void cgroup_free(struct cgroup *cg);

/* linux.resources as runc applies it: a copy of resources (may be NULL)
 * whose devices list is the config's rules followed by allow rules for the
 * default devices (mknod of any device, null, zero, full, random, urandom,
 * tty, console, ptmx, pts/N, net/tun) and for every linux.devices entry, so
 * that these stay usable whatever the config denies.  NULL on a bad
 * linux.devices entry (err names it) or when out of memory. */
json_t *cgroup_resources_with_devices(json_t *resources, json_t *linux_devices, pk_error **err);

/* The cgroup v2 device filter alone (cgroup_create uses it on v2 hosts):
 * build the eBPF program for devices (a linux.resources.devices array) and
 * attach it to the cgroup2 directory dir_fd (O_RDONLY), detaching the
 * programs attached there before. */
int cgroup_devices_bpf_attach(int dir_fd, json_t *devices, pk_error **err);

static inline void cgroup_freep(struct cgroup **cg) {
  if (*cg)
    cgroup_free(*cg);
}
#define cleanup_cgroup __attribute__((cleanup(cgroup_freep)))

#endif
