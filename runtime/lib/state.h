/* SPDX-License-Identifier: MIT
 * Container state under ROOT/ID/: state.json (written atomically), the exec
 * FIFO that `start` opens, and a per-container lock (flock on the directory)
 * so that commands on one ID are serialized while different IDs never wait
 * for each other.  Status is computed live from the pid and its start time. */
#ifndef PODKIT_STATE_H
#define PODKIT_STATE_H

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

#include "error.h"

#define STATE_DEFAULT_ROOT "/run/podrun"
#define STATE_OCI_VERSION "1.0.2"

enum container_status {
  STATUS_CREATING, /* state dir exists, create not finished */
  STATUS_CREATED,
  STATUS_RUNNING,
  STATUS_PAUSED,
  STATUS_STOPPED,
};

struct state {
  char *id;
  pid_t pid;                     /* host pid of the container's init */
  unsigned long long start_time; /* of pid, see proc_start_time() */
  char *bundle;                  /* absolute */
  char *rootfs;                  /* absolute */
  char *created;                 /* RFC 3339 */
  uid_t owner;
  json_t *annotations; /* owned object, may be NULL */
  char *cgroup_path;   /* for cgroup.c; NULL when none */
  json_t *extra;       /* owned object for subsystem data, may be NULL */
};

const char *container_status_name(enum container_status s);

/* ROOT/ID, caller frees */
char *state_dir_path(const char *root, const char *id);

/* Make ROOT/ID exclusively and lock it.  Fails with "container ID already
 * exists" (errnum EEXIST) when another create got there first. */
int state_dir_create(const char *root, const char *id, int *lock_fd, pk_error **err);
/* Lock an existing ROOT/ID; "container ID does not exist" (ENOENT) if not. */
int state_dir_lock(const char *root, const char *id, int *lock_fd, pk_error **err);
/* Remove ROOT/ID and everything in it. */
int state_dir_remove(const char *root, const char *id, pk_error **err);

int state_write(const char *root, const struct state *st, pk_error **err);
/* "container ID does not exist" (ENOENT) when there is no state.json. */
int state_read(const char *root, const char *id, struct state **out, pk_error **err);
void state_free(struct state *st);

/* Live status: stopped when the pid is gone, a zombie, or has another start
 * time; created while the exec FIFO exists; paused when frozen (the caller
 * passes that in since it comes from cgroup.c); otherwise running. */
enum container_status state_status(const char *root, const struct state *st, bool frozen);

/* The OCI state document (ociVersion, id, status, pid, bundle, annotations)
 * plus runc's extras (rootfs, created, owner). */
json_t *state_to_json(const struct state *st, enum container_status status);

/* Container IDs under ROOT (sorted, NULL-terminated; empty when ROOT does not
 * exist). */
int state_list_ids(const char *root, char ***ids, pk_error **err);

/* ROOT/ID/exec.fifo */
char *state_fifo_path(const char *root, const char *id);

static inline void state_freep(struct state **s) {
  if (*s)
    state_free(*s);
}
#define cleanup_state __attribute__((cleanup(state_freep)))

#endif
