/* SPDX-License-Identifier: MIT
 * The OCI runtime config (config.json) as podrun uses it.  spec_parse()
 * validates types and required fields and reports the JSON path of the first
 * problem ("process.args: expected an array of strings").  Unknown fields are
 * ignored.  Subtrees that belong to later subsystems (seccomp, resources,
 * devices) are kept as borrowed json_t references and parsed by their owner
 * module, which reports paths the same way.
 *
 * Ownership: every string and array in a parsed spec lives as long as the
 * spec and is released by spec_free() alone.  Strings mostly point straight
 * into root_json (no copies on the create path), so treat them as read-only
 * and copy what must outlive the spec. */
#ifndef PODKIT_SPEC_H
#define PODKIT_SPEC_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"

struct spec_rlimit {
  int resource; /* RLIMIT_* */
  uint64_t soft, hard;
};

struct spec_user {
  uid_t uid;
  gid_t gid;
  gid_t *additional_gids;
  size_t n_additional_gids;
  bool has_umask;
  mode_t umask;
};

/* Capability sets as bitmasks (bit N = capability N). */
struct spec_caps {
  bool present; /* "capabilities" given at all */
  uint64_t bounding, effective, permitted, inheritable, ambient;
};

struct spec_process {
  bool terminal;
  unsigned console_height, console_width;
  struct spec_user user;
  char **args; /* NULL-terminated, at least one */
  char **env;  /* NULL-terminated, may be empty */
  char *cwd;   /* absolute */
  struct spec_caps caps;
  struct spec_rlimit *rlimits;
  size_t n_rlimits;
  bool no_new_privileges;
  bool has_oom_score_adj;
  int oom_score_adj;
  char *apparmor_profile; /* NULL when unset */
  char *selinux_label;
};

struct spec_mount {
  char *destination; /* absolute path inside the container */
  char *type;        /* "bind", "proc", "tmpfs", ...; NULL for bind-by-options */
  char *source;
  char **options; /* raw option strings, NULL-terminated */
  /* derived from options: */
  unsigned long flags;       /* MS_* applied at mount time */
  unsigned long clear_flags; /* MS_* explicitly cleared (rw, suid, ...) */
  unsigned long propagation; /* MS_SHARED|MS_PRIVATE|... | MS_REC, 0 if none */
  bool bind;                 /* bind or rbind */
  bool recursive_ro;         /* "rro": MOUNT_ATTR_RDONLY with AT_RECURSIVE */
  char *data;                /* remaining fs-specific options joined by ',' */
  /* "rro", "rnosuid", "rnoatime", ...: attr_set/attr_clr of a struct
   * mount_attr for mount_setattr(AT_RECURSIVE); 0 when none given. */
  uint64_t rec_attr_set, rec_attr_clr;
};

enum spec_ns_type {
  SPEC_NS_PID,
  SPEC_NS_NET,
  SPEC_NS_IPC,
  SPEC_NS_UTS,
  SPEC_NS_MOUNT,
  SPEC_NS_USER,
  SPEC_NS_CGROUP,
  SPEC_NS_TIME,
  SPEC_NS_COUNT
};

struct spec_namespace {
  bool present; /* listed in linux.namespaces */
  char *path;   /* NULL: new namespace; else join this one */
};

struct spec_id_mapping {
  uint32_t container_id, host_id, size;
};

struct spec_hook {
  char *path;
  char **args; /* NULL-terminated, may be NULL */
  char **env;  /* NULL-terminated, may be NULL */
  bool has_timeout;
  int timeout; /* seconds, > 0 */
};

enum spec_hook_kind {
  SPEC_HOOK_PRESTART,
  SPEC_HOOK_CREATE_RUNTIME,
  SPEC_HOOK_CREATE_CONTAINER,
  SPEC_HOOK_START_CONTAINER,
  SPEC_HOOK_POSTSTART,
  SPEC_HOOK_POSTSTOP,
  SPEC_HOOK_COUNT
};

struct spec_hooks {
  struct spec_hook *list;
  size_t n;
};

struct spec_sysctl {
  char *key, *value;
};

struct spec {
  json_t *root_json; /* owned: the whole document */
  char *oci_version;
  struct spec_process process; /* process.args required unless noted */
  bool has_process;
  char *root_path; /* as written; relative to the bundle */
  bool root_readonly;
  char *hostname, *domainname;
  struct spec_mount *mounts;
  size_t n_mounts;
  struct spec_hooks hooks[SPEC_HOOK_COUNT];
  json_t *annotations; /* borrowed object or NULL */

  /* linux */
  struct spec_namespace ns[SPEC_NS_COUNT];
  struct spec_id_mapping *uid_mappings, *gid_mappings;
  size_t n_uid_mappings, n_gid_mappings;
  char **masked_paths, **readonly_paths; /* NULL-terminated, may be NULL */
  struct spec_sysctl *sysctl;
  size_t n_sysctl;
  char *rootfs_propagation; /* NULL, "private", "rprivate", "slave", ... */
  char *cgroups_path;
  char *mount_label;
  json_t *resources; /* borrowed linux.resources or NULL */
  json_t *devices;   /* borrowed linux.devices or NULL */
  json_t *seccomp;   /* borrowed linux.seccomp or NULL */

  /* linux.rootfsPropagation as MS_* flags (MS_PRIVATE|MS_REC, ...), 0 if
   * unset. */
  unsigned long rootfs_propagation_flags;
  void *arena; /* private to spec.c: the blocks the arrays live in */
};

/* Parse a config.json document.  On success *out owns everything. */
int spec_parse(const char *text, size_t len, struct spec **out, pk_error **err);
/* Read and parse DIR/config.json; the error names the file. */
int spec_load(const char *bundle_dir, struct spec **out, pk_error **err);
void spec_free(struct spec *s);

/* The default config runc's `spec` writes (terminal true, sh, standard
 * mounts, masked and readonly paths, default caps, RLIMIT_NOFILE 1024),
 * as pretty JSON text; caller frees. */
char *spec_default_json(void);

const char *spec_ns_name(enum spec_ns_type t);          /* "network" */
int spec_ns_clone_flag(enum spec_ns_type t);            /* CLONE_NEWNET */
const char *spec_hook_kind_name(enum spec_hook_kind k); /* "createRuntime" */

/* Capability name ("CAP_KILL") to number, -1 if unknown. */
int spec_cap_from_name(const char *name);
/* "RLIMIT_NOFILE" to RLIMIT_NOFILE, -1 if unknown. */
int spec_rlimit_from_name(const char *name);

static inline void spec_freep(struct spec **s) {
  if (*s)
    spec_free(*s);
}
#define cleanup_spec __attribute__((cleanup(spec_freep)))

#endif
