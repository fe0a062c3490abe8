/* SPDX-License-Identifier: MIT
 * config.json parser.  One jansson parse, then one walk over the fields
 * podrun uses.  Strings are borrowed from the jansson tree; the few arrays
 * we build (argv, options, mounts, ...) come from a per-spec arena so that
 * parsing costs a handful of allocations and freeing is one loop. */
#include "spec.h"

#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "util.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

/* ---- arena ---------------------------------------------------------- */

struct arena_block {
  struct arena_block *next;
  size_t used, cap;
  max_align_t mem[];
};

#define ARENA_BLOCK 4096

/* Zeroed memory that lives until spec_free(). */
static void *arena_alloc(struct spec *s, size_t size) {
  struct arena_block *b = s->arena;
  void *p;

  size = (size + 15) & ~(size_t)15;
  if (size == 0)
    size = 16;
  if (b == NULL || b->cap - b->used < size) {
    size_t cap = ARENA_BLOCK - sizeof(*b);
    struct arena_block *nb;
    if (size > cap / 4) {
      /* A big array gets a block of its own, kept behind the current one
       * so the current block's free space is not abandoned. */
      nb = calloc(1, sizeof(*nb) + size);
      if (nb == NULL)
        return NULL;
      nb->cap = nb->used = size;
      if (b) {
        nb->next = b->next;
        b->next = nb;
      } else
        s->arena = nb;
      return nb->mem;
    }
    nb = calloc(1, sizeof(*nb) + cap);
    if (nb == NULL)
      return NULL;
    nb->cap = cap;
    nb->next = b;
    s->arena = b = nb;
  }
  p = (char *)b->mem + b->used;
  b->used += size;
  return p;
}

static void *arena_array(struct spec *s, size_t n, size_t elem) {
  if (n > ((size_t)1 << 40) / (elem ? elem : 1))
    return NULL;
  return arena_alloc(s, n * elem);
}

/* ---- JSON paths for error messages ---------------------------------- */

/* A path is a chain of stack nodes built while descending; it is rendered
 * only when an error is reported, so the success path never formats. */
struct jpath {
  const struct jpath *up;
  const char *key; /* NULL: an array index */
  size_t idx;
  bool quoted; /* map keys that may hold dots: sysctl["net.ipv4.x"] */
};

#define AT(up_, key_) (&(const struct jpath){(up_), (key_), 0, false})
#define AT_Q(up_, key_) (&(const struct jpath){(up_), (key_), 0, true})
#define AT_I(up_, i_) (&(const struct jpath){(up_), NULL, (i_), false})

static size_t path_render(const struct jpath *p, char *buf, size_t size) {
  size_t n = 0;
  int r;

  if (p == NULL)
    return 0;
  n = path_render(p->up, buf, size);
  if (n >= size)
    return n;
  if (p->key == NULL)
    r = snprintf(buf + n, size - n, "[%zu]", p->idx);
  else if (p->quoted)
    r = snprintf(buf + n, size - n, "[\"%s\"]", p->key);
  else
    r = snprintf(buf + n, size - n, "%s%s", p->up ? "." : "", p->key);
  return r < 0 ? n : n + (size_t)r;
}

struct parser {
  struct spec *s;
  pk_error **err;
};

__attribute__((format(printf, 3, 4))) static int fail(struct parser *p, const struct jpath *at,
                                                      const char *fmt, ...) {
  char path[512];
  cleanup_free char *what = NULL;
  va_list ap;

  path[0] = '\0';
  path_render(at, path, sizeof(path));
  va_start(ap, fmt);
  if (vasprintf(&what, fmt, ap) < 0)
    what = NULL;
  va_end(ap);
  return error_set_code(p->err, EINVAL, "%s: %s", path, what ? what : fmt);
}

static int fail_oom(struct parser *p) {
  return error_set(p->err, ENOMEM, "parse config.json");
}

/* JSON null counts as absent, as it does for runc's Go decoder. */
static json_t *get(json_t *obj, const char *key) {
  json_t *v = json_object_get(obj, key);
  return json_is_null(v) ? NULL : v;
}

/* ---- typed accessors: each reports "<path>: expected ..." ------------ */

static int want_object(struct parser *p, json_t *v, const struct jpath *at) {
  if (!json_is_object(v))
    return fail(p, at, "expected an object");
  return 0;
}

static int want_string(struct parser *p, json_t *v, const struct jpath *at, char **out) {
  if (!json_is_string(v))
    return fail(p, at, "expected a string");
  *out = (char *)json_string_value(v);
  return 0;
}

static int want_abs_path(struct parser *p, json_t *v, const struct jpath *at, char **out) {
  if (!json_is_string(v) || json_string_value(v)[0] != '/')
    return fail(p, at, "expected an absolute path");
  *out = (char *)json_string_value(v);
  return 0;
}

static int want_bool(struct parser *p, json_t *v, const struct jpath *at, bool *out) {
  if (!json_is_boolean(v))
    return fail(p, at, "expected a boolean");
  *out = json_is_true(v);
  return 0;
}

static int want_int(struct parser *p, json_t *v, const struct jpath *at, long long min,
                    long long max, long long *out) {
  long long x = 0;
  if (!json_is_integer(v))
    goto bad;
  x = json_integer_value(v);
  if (x < min || x > max)
    goto bad;
  *out = x;
  return 0;
bad:
  return fail(p, at, "expected an integer between %lld and %lld", min, max);
}

static int want_id32(struct parser *p, json_t *v, const struct jpath *at, uint32_t *out) {
  long long x = 0;
  if (want_int(p, v, at, 0, UINT32_MAX, &x) < 0)
    return -1;
  *out = (uint32_t)x;
  return 0;
}

/* uid/gid: (uid_t)-1 means "no change" to the kernel, so it is excluded. */
static int want_uid(struct parser *p, json_t *v, const struct jpath *at, uint32_t *out) {
  long long x = 0;
  if (want_int(p, v, at, 0, (long long)UINT32_MAX - 1, &x) < 0)
    return -1;
  *out = (uint32_t)x;
  return 0;
}

/* Values above INT64_MAX only get here after fix_big_uints(), which clamps
 * them to INT64_MAX; for a resource limit that is infinity. */
static int want_rlim(struct parser *p, json_t *v, const struct jpath *at, uint64_t *out) {
  if (!json_is_integer(v) || json_integer_value(v) < 0)
    return fail(p, at, "expected a non-negative integer");
  *out = json_integer_value(v) == INT64_MAX ? UINT64_MAX : (uint64_t)json_integer_value(v);
  return 0;
}

/* NULL-terminated array of borrowed strings. */
static int want_strv(struct parser *p, json_t *v, const struct jpath *at, char ***out) {
  size_t n, i;
  char **list;
  json_t *e;

  if (!json_is_array(v))
    return fail(p, at, "expected an array of strings");
  n = json_array_size(v);
  list = arena_array(p->s, n + 1, sizeof(char *));
  if (list == NULL)
    return fail_oom(p);
  json_array_foreach(v, i, e) {
    if (!json_is_string(e))
      return fail(p, AT_I(at, i), "expected a string");
    list[i] = (char *)json_string_value(e);
  }
  *out = list;
  return 0;
}

static int want_abs_pathv(struct parser *p, json_t *v, const struct jpath *at, char ***out) {
  if (!json_is_array(v))
    return fail(p, at, "expected an array of absolute paths");
  if (want_strv(p, v, at, out) < 0)
    return -1;
  for (size_t i = 0; (*out)[i]; i++)
    if ((*out)[i][0] != '/')
      return fail(p, AT_I(at, i), "expected an absolute path");
  return 0;
}

/* ---- name tables ------------------------------------------------------ */

static const char *const ns_names[SPEC_NS_COUNT] = {
    [SPEC_NS_PID] = "pid",       [SPEC_NS_NET] = "network", [SPEC_NS_IPC] = "ipc",
    [SPEC_NS_UTS] = "uts",       [SPEC_NS_MOUNT] = "mount", [SPEC_NS_USER] = "user",
    [SPEC_NS_CGROUP] = "cgroup", [SPEC_NS_TIME] = "time",
};

static const int ns_flags[SPEC_NS_COUNT] = {
    [SPEC_NS_PID] = CLONE_NEWPID,       [SPEC_NS_NET] = CLONE_NEWNET,
    [SPEC_NS_IPC] = CLONE_NEWIPC,       [SPEC_NS_UTS] = CLONE_NEWUTS,
    [SPEC_NS_MOUNT] = CLONE_NEWNS,      [SPEC_NS_USER] = CLONE_NEWUSER,
    [SPEC_NS_CGROUP] = CLONE_NEWCGROUP, [SPEC_NS_TIME] = CLONE_NEWTIME,
};

const char *spec_ns_name(enum spec_ns_type t) {
  return (unsigned)t < SPEC_NS_COUNT ? ns_names[t] : NULL;
}

int spec_ns_clone_flag(enum spec_ns_type t) {
  return (unsigned)t < SPEC_NS_COUNT ? ns_flags[t] : 0;
}

static const char *const hook_names[SPEC_HOOK_COUNT] = {
    [SPEC_HOOK_PRESTART] = "prestart",
    [SPEC_HOOK_CREATE_RUNTIME] = "createRuntime",
    [SPEC_HOOK_CREATE_CONTAINER] = "createContainer",
    [SPEC_HOOK_START_CONTAINER] = "startContainer",
    [SPEC_HOOK_POSTSTART] = "poststart",
    [SPEC_HOOK_POSTSTOP] = "poststop",
};

const char *spec_hook_kind_name(enum spec_hook_kind k) {
  return (unsigned)k < SPEC_HOOK_COUNT ? hook_names[k] : NULL;
}

/* Indexed by capability number (linux/capability.h), without "CAP_". */
static const char *const cap_names[] = {
    "CHOWN",
    "DAC_OVERRIDE",
    "DAC_READ_SEARCH",
    "FOWNER",
    "FSETID",
    "KILL",
    "SETGID",
    "SETUID",
    "SETPCAP",
    "LINUX_IMMUTABLE",
    "NET_BIND_SERVICE",
    "NET_BROADCAST",
    "NET_ADMIN",
    "NET_RAW",
    "IPC_LOCK",
    "IPC_OWNER",
    "SYS_MODULE",
    "SYS_RAWIO",
    "SYS_CHROOT",
    "SYS_PTRACE",
    "SYS_PACCT",
    "SYS_ADMIN",
    "SYS_BOOT",
    "SYS_NICE",
    "SYS_RESOURCE",
    "SYS_TIME",
    "SYS_TTY_CONFIG",
    "MKNOD",
    "LEASE",
    "AUDIT_WRITE",
    "AUDIT_CONTROL",
    "SETFCAP",
    "MAC_OVERRIDE",
    "MAC_ADMIN",
    "SYSLOG",
    "WAKE_ALARM",
    "BLOCK_SUSPEND",
    "AUDIT_READ",
    "PERFMON",
    "BPF",
    "CHECKPOINT_RESTORE",
};

int spec_cap_from_name(const char *name) {
  if (name == NULL || strncmp(name, "CAP_", 4) != 0)
    return -1;
  name += 4;
  for (size_t i = 0; i < sizeof(cap_names) / sizeof(cap_names[0]); i++)
    if (name[0] == cap_names[i][0] && strcmp(name, cap_names[i]) == 0)
      return (int)i;
  return -1;
}

static const struct {
  const char *name; /* without "RLIMIT_" */
  int resource;
} rlimit_names[] = {
    {"CPU", RLIMIT_CPU},           {"FSIZE", RLIMIT_FSIZE},
    {"DATA", RLIMIT_DATA},         {"STACK", RLIMIT_STACK},
    {"CORE", RLIMIT_CORE},         {"RSS", RLIMIT_RSS},
    {"NPROC", RLIMIT_NPROC},       {"NOFILE", RLIMIT_NOFILE},
    {"MEMLOCK", RLIMIT_MEMLOCK},   {"AS", RLIMIT_AS},
    {"LOCKS", RLIMIT_LOCKS},       {"SIGPENDING", RLIMIT_SIGPENDING},
    {"MSGQUEUE", RLIMIT_MSGQUEUE}, {"NICE", RLIMIT_NICE},
    {"RTPRIO", RLIMIT_RTPRIO},     {"RTTIME", RLIMIT_RTTIME},
};

int spec_rlimit_from_name(const char *name) {
  if (name == NULL || strncmp(name, "RLIMIT_", 7) != 0)
    return -1;
  name += 7;
  for (size_t i = 0; i < sizeof(rlimit_names) / sizeof(rlimit_names[0]); i++)
    if (strcmp(name, rlimit_names[i].name) == 0)
      return rlimit_names[i].resource;
  return -1;
}

/* ---- process ---------------------------------------------------------- */

static int parse_user(struct parser *p, json_t *v, const struct jpath *at) {
  struct spec_user *u = &p->s->process.user;
  json_t *f;
  long long x = 0;

  if (want_object(p, v, at) < 0)
    return -1;
  if ((f = get(v, "uid")) && want_uid(p, f, AT(at, "uid"), &u->uid) < 0)
    return -1;
  if ((f = get(v, "gid")) && want_uid(p, f, AT(at, "gid"), &u->gid) < 0)
    return -1;
  if ((f = get(v, "umask"))) {
    if (!json_is_integer(f) || json_integer_value(f) < 0 || json_integer_value(f) > 0777)
      return fail(p, AT(at, "umask"), "expected a mode between 0 and 0777");
    x = json_integer_value(f);
    u->has_umask = true;
    u->umask = (mode_t)x;
  }
  if ((f = get(v, "additionalGids"))) {
    const struct jpath *ga = AT(at, "additionalGids");
    size_t i;
    json_t *e;
    if (!json_is_array(f))
      return fail(p, ga, "expected an array of integers");
    u->n_additional_gids = json_array_size(f);
    u->additional_gids = arena_array(p->s, u->n_additional_gids, sizeof(gid_t));
    if (u->additional_gids == NULL)
      return fail_oom(p);
    json_array_foreach(f, i, e) {
      uint32_t g;
      if (want_uid(p, e, AT_I(ga, i), &g) < 0)
        return -1;
      u->additional_gids[i] = g;
    }
  }
  return 0;
}

static int parse_caps(struct parser *p, json_t *v, const struct jpath *at) {
  struct spec_caps *c = &p->s->process.caps;
  static const struct {
    const char *key;
    size_t off;
  } sets[] = {
      {"bounding", offsetof(struct spec_caps, bounding)},
      {"effective", offsetof(struct spec_caps, effective)},
      {"inheritable", offsetof(struct spec_caps, inheritable)},
      {"permitted", offsetof(struct spec_caps, permitted)},
      {"ambient", offsetof(struct spec_caps, ambient)},
  };

  if (want_object(p, v, at) < 0)
    return -1;
  c->present = true;
  for (size_t k = 0; k < sizeof(sets) / sizeof(sets[0]); k++) {
    const struct jpath *sa = AT(at, sets[k].key);
    uint64_t *mask = (uint64_t *)((char *)c + sets[k].off);
    json_t *f = get(v, sets[k].key), *e;
    size_t i;
    if (f == NULL)
      continue;
    if (!json_is_array(f))
      return fail(p, sa, "expected an array of strings");
    json_array_foreach(f, i, e) {
      int cap;
      if (!json_is_string(e))
        return fail(p, AT_I(sa, i), "expected a string");
      cap = spec_cap_from_name(json_string_value(e));
      if (cap < 0)
        return fail(p, AT_I(sa, i), "unknown capability \"%s\"", json_string_value(e));
      *mask |= UINT64_C(1) << cap;
    }
  }
  return 0;
}

static int parse_rlimits(struct parser *p, json_t *v, const struct jpath *at) {
  struct spec_process *pr = &p->s->process;
  uint32_t seen = 0;
  size_t i;
  json_t *e;

  if (!json_is_array(v))
    return fail(p, at, "expected an array of objects");
  pr->n_rlimits = json_array_size(v);
  pr->rlimits = arena_array(p->s, pr->n_rlimits, sizeof(*pr->rlimits));
  if (pr->rlimits == NULL)
    return fail_oom(p);
  json_array_foreach(v, i, e) {
    const struct jpath *ea = AT_I(at, i);
    struct spec_rlimit *r = &pr->rlimits[i];
    char *type = NULL;
    json_t *f;

    if (want_object(p, e, ea) < 0)
      return -1;
    if (!(f = get(e, "type")))
      return fail(p, AT(ea, "type"), "required");
    if (want_string(p, f, AT(ea, "type"), &type) < 0)
      return -1;
    r->resource = spec_rlimit_from_name(type);
    if (r->resource < 0)
      return fail(p, AT(ea, "type"), "unknown rlimit \"%s\"", type);
    if (r->resource < 32) {
      if (seen & (UINT32_C(1) << r->resource))
        return fail(p, AT(ea, "type"), "duplicate rlimit \"%s\"", type);
      seen |= UINT32_C(1) << r->resource;
    }
    if (!(f = get(e, "soft")))
      return fail(p, AT(ea, "soft"), "required");
    if (want_rlim(p, f, AT(ea, "soft"), &r->soft) < 0)
      return -1;
    if (!(f = get(e, "hard")))
      return fail(p, AT(ea, "hard"), "required");
    if (want_rlim(p, f, AT(ea, "hard"), &r->hard) < 0)
      return -1;
    if (r->soft > r->hard)
      return fail(p, ea, "soft limit %llu is above hard limit %llu", (unsigned long long)r->soft,
                  (unsigned long long)r->hard);
  }
  return 0;
}

static int parse_process(struct parser *p, json_t *v) {
  const struct jpath *at = AT(NULL, "process");
  struct spec_process *pr = &p->s->process;
  json_t *f;

  if (want_object(p, v, at) < 0)
    return -1;
  p->s->has_process = true;
  if ((f = get(v, "terminal")) && want_bool(p, f, AT(at, "terminal"), &pr->terminal) < 0)
    return -1;
  if ((f = get(v, "consoleSize"))) {
    const struct jpath *ca = AT(at, "consoleSize");
    json_t *h, *w;
    long long x = 0;
    if (want_object(p, f, ca) < 0)
      return -1;
    if (!(h = get(f, "height")))
      return fail(p, AT(ca, "height"), "required");
    if (want_int(p, h, AT(ca, "height"), 0, UINT16_MAX, &x) < 0)
      return -1;
    pr->console_height = (unsigned)x;
    if (!(w = get(f, "width")))
      return fail(p, AT(ca, "width"), "required");
    if (want_int(p, w, AT(ca, "width"), 0, UINT16_MAX, &x) < 0)
      return -1;
    pr->console_width = (unsigned)x;
  }
  if ((f = get(v, "user")) && parse_user(p, f, AT(at, "user")) < 0)
    return -1;

  if (!(f = get(v, "args")))
    return fail(p, AT(at, "args"), "required");
  if (want_strv(p, f, AT(at, "args"), &pr->args) < 0)
    return -1;
  if (pr->args[0] == NULL)
    return fail(p, AT(at, "args"), "expected a non-empty array of strings");
  if (pr->args[0][0] == '\0')
    return fail(p, AT_I(AT(at, "args"), 0), "expected a non-empty string");

  if ((f = get(v, "env"))) {
    const struct jpath *ea = AT(at, "env");
    if (want_strv(p, f, ea, &pr->env) < 0)
      return -1;
    for (size_t i = 0; pr->env[i]; i++) {
      const char *eq = strchr(pr->env[i], '=');
      if (eq == NULL || eq == pr->env[i])
        return fail(p, AT_I(ea, i), "expected \"KEY=VALUE\", got \"%s\"", pr->env[i]);
    }
  } else {
    pr->env = arena_array(p->s, 1, sizeof(char *));
    if (pr->env == NULL)
      return fail_oom(p);
  }

  if (!(f = get(v, "cwd")))
    return fail(p, AT(at, "cwd"), "required");
  if (want_abs_path(p, f, AT(at, "cwd"), &pr->cwd) < 0)
    return -1;

  if ((f = get(v, "capabilities")) && parse_caps(p, f, AT(at, "capabilities")) < 0)
    return -1;
  if ((f = get(v, "rlimits")) && parse_rlimits(p, f, AT(at, "rlimits")) < 0)
    return -1;
  if ((f = get(v, "noNewPrivileges")) &&
      want_bool(p, f, AT(at, "noNewPrivileges"), &pr->no_new_privileges) < 0)
    return -1;
  if ((f = get(v, "oomScoreAdj"))) {
    long long x = 0;
    if (want_int(p, f, AT(at, "oomScoreAdj"), -1000, 1000, &x) < 0)
      return -1;
    pr->has_oom_score_adj = true;
    pr->oom_score_adj = (int)x;
  }
  if ((f = get(v, "apparmorProfile")) &&
      want_string(p, f, AT(at, "apparmorProfile"), &pr->apparmor_profile) < 0)
    return -1;
  if ((f = get(v, "selinuxLabel")) &&
      want_string(p, f, AT(at, "selinuxLabel"), &pr->selinux_label) < 0)
    return -1;
  return 0;
}

/* ---- mounts ----------------------------------------------------------- */

enum mopt_kind {
  MOPT_SET,   /* flags |= f, clear_flags &= ~f */
  MOPT_CLEAR, /* flags &= ~f, clear_flags |= f */
  MOPT_PROPAGATION,
  MOPT_BIND,
  MOPT_REC_SET, /* recursive mount_setattr attribute */
  MOPT_REC_CLEAR,
  MOPT_REC_ATIME, /* one of the MOUNT_ATTR__ATIME values */
  MOPT_IGNORE,    /* handled elsewhere or by other runtimes' extensions */
};

/* The option words runc and crun turn into mount flags; every other word is
 * filesystem data ("mode=755", "size=65536k"). */
static const struct mopt {
  const char *name;
  enum mopt_kind kind;
  unsigned long flag;
} mount_opts[] = {
    {"ro", MOPT_SET, MS_RDONLY},
    {"rw", MOPT_CLEAR, MS_RDONLY},
    {"nosuid", MOPT_SET, MS_NOSUID},
    {"suid", MOPT_CLEAR, MS_NOSUID},
    {"nodev", MOPT_SET, MS_NODEV},
    {"dev", MOPT_CLEAR, MS_NODEV},
    {"noexec", MOPT_SET, MS_NOEXEC},
    {"exec", MOPT_CLEAR, MS_NOEXEC},
    {"sync", MOPT_SET, MS_SYNCHRONOUS},
    {"async", MOPT_CLEAR, MS_SYNCHRONOUS},
    {"dirsync", MOPT_SET, MS_DIRSYNC},
    {"remount", MOPT_SET, MS_REMOUNT},
    {"mand", MOPT_SET, MS_MANDLOCK},
    {"nomand", MOPT_CLEAR, MS_MANDLOCK},
    {"atime", MOPT_CLEAR, MS_NOATIME},
    {"noatime", MOPT_SET, MS_NOATIME},
    {"diratime", MOPT_CLEAR, MS_NODIRATIME},
    {"nodiratime", MOPT_SET, MS_NODIRATIME},
    {"relatime", MOPT_SET, MS_RELATIME},
    {"norelatime", MOPT_CLEAR, MS_RELATIME},
    {"strictatime", MOPT_SET, MS_STRICTATIME},
    {"nostrictatime", MOPT_CLEAR, MS_STRICTATIME},
    {"nosymfollow", MOPT_SET, MS_NOSYMFOLLOW},
    {"symfollow", MOPT_CLEAR, MS_NOSYMFOLLOW},
    {"bind", MOPT_BIND, MS_BIND},
    {"rbind", MOPT_BIND, MS_BIND | MS_REC},
    {"private", MOPT_PROPAGATION, MS_PRIVATE},
    {"rprivate", MOPT_PROPAGATION, MS_PRIVATE | MS_REC},
    {"shared", MOPT_PROPAGATION, MS_SHARED},
    {"rshared", MOPT_PROPAGATION, MS_SHARED | MS_REC},
    {"slave", MOPT_PROPAGATION, MS_SLAVE},
    {"rslave", MOPT_PROPAGATION, MS_SLAVE | MS_REC},
    {"unbindable", MOPT_PROPAGATION, MS_UNBINDABLE},
    {"runbindable", MOPT_PROPAGATION, MS_UNBINDABLE | MS_REC},
    {"rro", MOPT_REC_SET, MOUNT_ATTR_RDONLY},
    {"rrw", MOPT_REC_CLEAR, MOUNT_ATTR_RDONLY},
    {"rnosuid", MOPT_REC_SET, MOUNT_ATTR_NOSUID},
    {"rsuid", MOPT_REC_CLEAR, MOUNT_ATTR_NOSUID},
    {"rnodev", MOPT_REC_SET, MOUNT_ATTR_NODEV},
    {"rdev", MOPT_REC_CLEAR, MOUNT_ATTR_NODEV},
    {"rnoexec", MOPT_REC_SET, MOUNT_ATTR_NOEXEC},
    {"rexec", MOPT_REC_CLEAR, MOUNT_ATTR_NOEXEC},
    {"rnodiratime", MOPT_REC_SET, MOUNT_ATTR_NODIRATIME},
    {"rdiratime", MOPT_REC_CLEAR, MOUNT_ATTR_NODIRATIME},
    {"rnosymfollow", MOPT_REC_SET, MOUNT_ATTR_NOSYMFOLLOW},
    {"rsymfollow", MOPT_REC_CLEAR, MOUNT_ATTR_NOSYMFOLLOW},
    {"rrelatime", MOPT_REC_ATIME, MOUNT_ATTR_RELATIME},
    {"rnoatime", MOPT_REC_ATIME, MOUNT_ATTR_NOATIME},
    {"rstrictatime", MOPT_REC_ATIME, MOUNT_ATTR_STRICTATIME},
    /* runc's tmpfs copy-up and idmapped mounts are not implemented; they
     * must not reach mount(2) as data either, where they would fail. */
    {"tmpcopyup", MOPT_IGNORE, 0},
    {"idmap", MOPT_IGNORE, 0},
    {"ridmap", MOPT_IGNORE, 0},
    {"defaults", MOPT_IGNORE, 0},
};

static const struct mopt *mount_opt_find(const char *name) {
  for (size_t i = 0; i < sizeof(mount_opts) / sizeof(mount_opts[0]); i++)
    if (name[0] == mount_opts[i].name[0] && strcmp(name, mount_opts[i].name) == 0)
      return &mount_opts[i];
  return NULL;
}

static int mount_options_apply(struct parser *p, struct spec_mount *m) {
  size_t n_data = 0, data_len = 0;
  char *first_data = NULL;

  for (char **o = m->options; *o; o++) {
    const struct mopt *mo = mount_opt_find(*o);
    if (mo == NULL) {
      if (**o == '\0')
        continue;
      if (n_data++ == 0)
        first_data = *o;
      data_len += strlen(*o) + 1;
      continue;
    }
    switch (mo->kind) {
    case MOPT_SET:
      m->flags |= mo->flag;
      m->clear_flags &= ~mo->flag;
      break;
    case MOPT_CLEAR:
      m->flags &= ~mo->flag;
      m->clear_flags |= mo->flag;
      break;
    case MOPT_PROPAGATION:
      m->propagation = mo->flag;
      break;
    case MOPT_BIND:
      m->bind = true;
      m->flags |= mo->flag;
      break;
    case MOPT_REC_SET:
      m->rec_attr_set |= mo->flag;
      m->rec_attr_clr &= ~(uint64_t)mo->flag;
      break;
    case MOPT_REC_CLEAR:
      m->rec_attr_set &= ~(uint64_t)mo->flag;
      m->rec_attr_clr |= mo->flag;
      break;
    case MOPT_REC_ATIME:
      m->rec_attr_set = (m->rec_attr_set & ~(uint64_t)MOUNT_ATTR__ATIME) | mo->flag;
      m->rec_attr_clr |= MOUNT_ATTR__ATIME;
      break;
    case MOPT_IGNORE:
      break;
    }
  }
  m->recursive_ro = (m->rec_attr_set & MOUNT_ATTR_RDONLY) != 0;

  /* One data word (the common case) is borrowed as is. */
  if (n_data == 1)
    m->data = first_data;
  else if (n_data > 1) {
    char *d = arena_alloc(p->s, data_len), *w = d;
    if (d == NULL)
      return fail_oom(p);
    for (char **o = m->options; *o; o++) {
      size_t l;
      if (**o == '\0' || mount_opt_find(*o))
        continue;
      if (w != d)
        *w++ = ',';
      l = strlen(*o);
      memcpy(w, *o, l);
      w += l;
    }
    *w = '\0';
    m->data = d;
  }
  return 0;
}

static int parse_mounts(struct parser *p, json_t *v) {
  const struct jpath *at = AT(NULL, "mounts");
  struct spec *s = p->s;
  size_t i;
  json_t *e;

  if (!json_is_array(v))
    return fail(p, at, "expected an array of objects");
  s->n_mounts = json_array_size(v);
  s->mounts = arena_array(s, s->n_mounts, sizeof(*s->mounts));
  if (s->mounts == NULL)
    return fail_oom(p);
  json_array_foreach(v, i, e) {
    const struct jpath *ma = AT_I(at, i);
    struct spec_mount *m = &s->mounts[i];
    json_t *f;

    if (want_object(p, e, ma) < 0)
      return -1;
    if (!(f = get(e, "destination")))
      return fail(p, AT(ma, "destination"), "required");
    if (want_abs_path(p, f, AT(ma, "destination"), &m->destination) < 0)
      return -1;
    if ((f = get(e, "type")) && want_string(p, f, AT(ma, "type"), &m->type) < 0)
      return -1;
    if ((f = get(e, "source")) && want_string(p, f, AT(ma, "source"), &m->source) < 0)
      return -1;
    if ((f = get(e, "options"))) {
      if (want_strv(p, f, AT(ma, "options"), &m->options) < 0)
        return -1;
    } else if ((m->options = arena_array(s, 1, sizeof(char *))) == NULL)
      return fail_oom(p);
    if (m->type && strcmp(m->type, "bind") == 0) {
      m->bind = true;
      m->flags |= MS_BIND;
    }
    if (mount_options_apply(p, m) < 0)
      return -1;
  }
  return 0;
}

/* ---- linux ------------------------------------------------------------ */

static int parse_namespaces(struct parser *p, json_t *v, const struct jpath *at) {
  size_t i;
  json_t *e;

  if (!json_is_array(v))
    return fail(p, at, "expected an array of objects");
  json_array_foreach(v, i, e) {
    const struct jpath *ea = AT_I(at, i);
    struct spec_namespace *ns;
    char *type = NULL, *path = NULL;
    json_t *f;
    int t;

    if (want_object(p, e, ea) < 0)
      return -1;
    if (!(f = get(e, "type")))
      return fail(p, AT(ea, "type"), "required");
    if (want_string(p, f, AT(ea, "type"), &type) < 0)
      return -1;
    for (t = 0; t < SPEC_NS_COUNT; t++)
      if (strcmp(type, ns_names[t]) == 0)
        break;
    if (t == SPEC_NS_COUNT)
      return fail(p, AT(ea, "type"),
                  "unknown namespace type \"%s\" "
                  "(expected pid, network, ipc, uts, mount, user, cgroup, time)",
                  type);
    ns = &p->s->ns[t];
    if (ns->present)
      return fail(p, AT(ea, "type"), "duplicate namespace \"%s\"", type);
    if ((f = get(e, "path"))) {
      /* "" is what Go writes for "no path": a new namespace */
      if (json_is_string(f) && json_string_value(f)[0] == '\0')
        path = NULL;
      else if (want_abs_path(p, f, AT(ea, "path"), &path) < 0)
        return -1;
    }
    ns->present = true;
    ns->path = path;
  }
  return 0;
}

static int parse_id_mappings(struct parser *p, json_t *v, const struct jpath *at,
                             struct spec_id_mapping **out, size_t *n_out) {
  struct spec_id_mapping *list;
  size_t i;
  json_t *e;

  if (!json_is_array(v))
    return fail(p, at, "expected an array of objects");
  list = arena_array(p->s, json_array_size(v), sizeof(*list));
  if (list == NULL)
    return fail_oom(p);
  json_array_foreach(v, i, e) {
    const struct jpath *ea = AT_I(at, i);
    static const char *const keys[] = {"containerID", "hostID", "size"};
    uint32_t *vals[] = {&list[i].container_id, &list[i].host_id, &list[i].size};
    if (want_object(p, e, ea) < 0)
      return -1;
    for (size_t k = 0; k < 3; k++) {
      json_t *f = get(e, keys[k]);
      if (f == NULL)
        return fail(p, AT(ea, keys[k]), "required");
      if (want_id32(p, f, AT(ea, keys[k]), vals[k]) < 0)
        return -1;
    }
  }
  *out = list;
  *n_out = json_array_size(v);
  return 0;
}

static const struct {
  const char *name;
  unsigned long flags;
} propagations[] = {
    {"private", MS_PRIVATE},       {"rprivate", MS_PRIVATE | MS_REC},
    {"shared", MS_SHARED},         {"rshared", MS_SHARED | MS_REC},
    {"slave", MS_SLAVE},           {"rslave", MS_SLAVE | MS_REC},
    {"unbindable", MS_UNBINDABLE}, {"runbindable", MS_UNBINDABLE | MS_REC},
};

static int parse_linux(struct parser *p, json_t *v) {
  const struct jpath *at = AT(NULL, "linux");
  struct spec *s = p->s;
  json_t *f;

  if (want_object(p, v, at) < 0)
    return -1;
  if ((f = get(v, "namespaces")) && parse_namespaces(p, f, AT(at, "namespaces")) < 0)
    return -1;
  if ((f = get(v, "uidMappings")) &&
      parse_id_mappings(p, f, AT(at, "uidMappings"), &s->uid_mappings, &s->n_uid_mappings) < 0)
    return -1;
  if ((f = get(v, "gidMappings")) &&
      parse_id_mappings(p, f, AT(at, "gidMappings"), &s->gid_mappings, &s->n_gid_mappings) < 0)
    return -1;
  if ((f = get(v, "maskedPaths")) &&
      want_abs_pathv(p, f, AT(at, "maskedPaths"), &s->masked_paths) < 0)
    return -1;
  if ((f = get(v, "readonlyPaths")) &&
      want_abs_pathv(p, f, AT(at, "readonlyPaths"), &s->readonly_paths) < 0)
    return -1;
  if ((f = get(v, "sysctl"))) {
    const struct jpath *sa = AT(at, "sysctl");
    const char *key;
    json_t *val;
    size_t i = 0;
    if (!json_is_object(f))
      return fail(p, sa, "expected an object of strings");
    s->sysctl = arena_array(s, json_object_size(f), sizeof(*s->sysctl));
    if (s->sysctl == NULL)
      return fail_oom(p);
    json_object_foreach(f, key, val) {
      if (!json_is_string(val))
        return fail(p, AT_Q(sa, key), "expected a string");
      s->sysctl[i].key = (char *)key;
      s->sysctl[i].value = (char *)json_string_value(val);
      i++;
    }
    s->n_sysctl = i;
  }
  if ((f = get(v, "rootfsPropagation"))) {
    const struct jpath *ra = AT(at, "rootfsPropagation");
    size_t k;
    if (want_string(p, f, ra, &s->rootfs_propagation) < 0)
      return -1;
    for (k = 0; k < sizeof(propagations) / sizeof(propagations[0]); k++)
      if (strcmp(s->rootfs_propagation, propagations[k].name) == 0)
        break;
    if (k == sizeof(propagations) / sizeof(propagations[0]))
      return fail(p, ra,
                  "unknown value \"%s\" (expected private, rprivate, shared, rshared, slave, "
                  "rslave, unbindable, runbindable)",
                  s->rootfs_propagation);
    s->rootfs_propagation_flags = propagations[k].flags;
  }
  if ((f = get(v, "cgroupsPath")) && want_string(p, f, AT(at, "cgroupsPath"), &s->cgroups_path) < 0)
    return -1;
  if ((f = get(v, "mountLabel")) && want_string(p, f, AT(at, "mountLabel"), &s->mount_label) < 0)
    return -1;
  if ((f = get(v, "resources"))) {
    if (want_object(p, f, AT(at, "resources")) < 0)
      return -1;
    s->resources = f;
  }
  if ((f = get(v, "devices"))) {
    if (!json_is_array(f))
      return fail(p, AT(at, "devices"), "expected an array of objects");
    s->devices = f;
  }
  if ((f = get(v, "seccomp"))) {
    if (want_object(p, f, AT(at, "seccomp")) < 0)
      return -1;
    s->seccomp = f;
  }
  return 0;
}

/* ---- hooks ------------------------------------------------------------ */

static int parse_hooks(struct parser *p, json_t *v) {
  const struct jpath *at = AT(NULL, "hooks");

  if (want_object(p, v, at) < 0)
    return -1;
  for (int k = 0; k < SPEC_HOOK_COUNT; k++) {
    const struct jpath *ka = AT(at, hook_names[k]);
    struct spec_hooks *hs = &p->s->hooks[k];
    json_t *list = get(v, hook_names[k]), *e;
    size_t i;

    if (list == NULL)
      continue;
    if (!json_is_array(list))
      return fail(p, ka, "expected an array of objects");
    hs->list = arena_array(p->s, json_array_size(list), sizeof(*hs->list));
    if (hs->list == NULL)
      return fail_oom(p);
    json_array_foreach(list, i, e) {
      const struct jpath *ea = AT_I(ka, i);
      struct spec_hook *h = &hs->list[i];
      json_t *f;

      if (want_object(p, e, ea) < 0)
        return -1;
      if (!(f = get(e, "path")))
        return fail(p, AT(ea, "path"), "required");
      if (want_abs_path(p, f, AT(ea, "path"), &h->path) < 0)
        return -1;
      if ((f = get(e, "args")) && want_strv(p, f, AT(ea, "args"), &h->args) < 0)
        return -1;
      if ((f = get(e, "env")) && want_strv(p, f, AT(ea, "env"), &h->env) < 0)
        return -1;
      if ((f = get(e, "timeout"))) {
        if (!json_is_integer(f) || json_integer_value(f) <= 0 || json_integer_value(f) > INT_MAX)
          return fail(p, AT(ea, "timeout"), "expected a positive integer");
        h->has_timeout = true;
        h->timeout = (int)json_integer_value(f);
      }
    }
    hs->n = json_array_size(list);
  }
  return 0;
}

/* ---- document --------------------------------------------------------- */

/* Major version 1, as "1", "1.0.2-dev" or "1.1.0-rc.1"; no leading zeros. */
static int check_version(struct parser *p, const char *v) {
  if (v[0] != '1' || (v[1] != '\0' && (v[1] != '.' || v[2] < '0' || v[2] > '9')))
    return fail(p, AT(NULL, "ociVersion"), "unsupported version \"%s\" (expected 1.x)", v);
  return 0;
}

static int parse_document(struct parser *p, json_t *root) {
  struct spec *s = p->s;
  json_t *f;

  if (!json_is_object(root))
    return error_set_code(p->err, EINVAL, "config.json: expected a JSON object");

  if (!(f = get(root, "ociVersion")))
    return fail(p, AT(NULL, "ociVersion"), "required");
  if (want_string(p, f, AT(NULL, "ociVersion"), &s->oci_version) < 0 ||
      check_version(p, s->oci_version) < 0)
    return -1;

  if (!(f = get(root, "root")))
    return fail(p, AT(NULL, "root"), "required");
  if (want_object(p, f, AT(NULL, "root")) < 0)
    return -1;
  {
    const struct jpath *ra = AT(NULL, "root");
    json_t *rp = get(f, "path"), *ro = get(f, "readonly");
    if (rp == NULL)
      return fail(p, AT(ra, "path"), "required");
    if (want_string(p, rp, AT(ra, "path"), &s->root_path) < 0)
      return -1;
    if (s->root_path[0] == '\0')
      return fail(p, AT(ra, "path"), "expected a non-empty string");
    if (ro && want_bool(p, ro, AT(ra, "readonly"), &s->root_readonly) < 0)
      return -1;
  }

  if (!(f = get(root, "process")))
    return fail(p, AT(NULL, "process"), "required");
  if (parse_process(p, f) < 0)
    return -1;

  if ((f = get(root, "hostname")) && want_string(p, f, AT(NULL, "hostname"), &s->hostname) < 0)
    return -1;
  if ((f = get(root, "domainname")) &&
      want_string(p, f, AT(NULL, "domainname"), &s->domainname) < 0)
    return -1;
  /* sethostname/setdomainname say only EINVAL, late, in the child */
  if (s->hostname && strlen(s->hostname) > HOST_NAME_MAX)
    return fail(p, AT(NULL, "hostname"), "expected at most %d characters, got %zu", HOST_NAME_MAX,
                strlen(s->hostname));
  if (s->domainname && strlen(s->domainname) > HOST_NAME_MAX)
    return fail(p, AT(NULL, "domainname"), "expected at most %d characters, got %zu", HOST_NAME_MAX,
                strlen(s->domainname));
  if ((f = get(root, "mounts")) && parse_mounts(p, f) < 0)
    return -1;
  if ((f = get(root, "hooks")) && parse_hooks(p, f) < 0)
    return -1;
  if ((f = get(root, "annotations"))) {
    const struct jpath *aa = AT(NULL, "annotations");
    const char *key;
    json_t *val;
    if (!json_is_object(f))
      return fail(p, aa, "expected an object of strings");
    json_object_foreach(f, key, val) {
      if (!json_is_string(val))
        return fail(p, AT_Q(aa, key), "expected a string");
    }
    s->annotations = f;
  }
  if ((f = get(root, "linux")) && parse_linux(p, f) < 0)
    return -1;
  return 0;
}

/* Go's decoder takes uint64 values up to 2^64-1 (rlimits of "unlimited"),
 * jansson stops at INT64_MAX.  Only after jansson has refused the text, a
 * copy gets every such literal replaced by INT64_MAX, padded with spaces so
 * that line and column numbers of later errors stay right. */
static char *fix_big_uints(const char *text, size_t len) {
  static const char max[] = "9223372036854775807";
  char *t = malloc(len + 1);
  bool changed = false;

  if (t == NULL)
    return NULL;
  memcpy(t, text, len);
  t[len] = '\0';
  for (size_t i = 0; i < len;) {
    char c = t[i];
    if (c == '"') {
      for (i++; i < len && t[i] != '"'; i++)
        if (t[i] == '\\')
          i++;
      i++;
    } else if (c == '-' || (c >= '0' && c <= '9')) {
      size_t start = i, digits;
      bool neg = c == '-';
      if (neg)
        i++;
      while (i < len && t[i] >= '0' && t[i] <= '9')
        i++;
      digits = i - start - neg;
      if (i < len && (t[i] == '.' || t[i] == 'e' || t[i] == 'E')) {
        while (i < len && strchr("0123456789.eE+-", t[i]))
          i++;
        continue;
      }
      if (!neg && t[start] != '0' &&
          (digits > 19 || (digits == 19 && memcmp(t + start, max, 19) > 0)) &&
          (digits < 20 || (digits == 20 && memcmp(t + start, "18446744073709551615", 20) <= 0))) {
        memcpy(t + start, max, 19);
        memset(t + start + 19, ' ', digits - 19);
        changed = true;
      }
    } else
      i++;
  }
  if (!changed) {
    free(t);
    return NULL;
  }
  return t;
}

static void json_seed_once(void) {
  static bool seeded;
  /* jansson otherwise opens /dev/urandom for its hash seed on the first
   * object it builds: three syscalls on every podrun start, for protection
   * against hash flooding that a local config file does not need. */
  if (!seeded) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    json_object_seed(((size_t)ts.tv_nsec ^ ((size_t)getpid() << 16)) | 1);
    seeded = true;
  }
}

static int spec_parse_named(const char *text, size_t len, const char *name, struct spec **out,
                            pk_error **err) {
  struct spec *s;
  json_error_t jerr;
  json_t *root;
  struct parser p = {.err = err};

  json_seed_once();
  root = json_loadb(text, len, 0, &jerr);
  if (root == NULL && json_error_code(&jerr) == json_error_numeric_overflow) {
    cleanup_free char *fixed = fix_big_uints(text, len);
    if (fixed)
      root = json_loadb(fixed, len, 0, &jerr);
  }
  if (root == NULL)
    return error_set_code(err, EINVAL, "%s: invalid JSON at line %d column %d: %s", name, jerr.line,
                          jerr.column, jerr.text);
  s = calloc(1, sizeof(*s));
  if (s == NULL) {
    json_decref(root);
    return error_set(err, ENOMEM, "parse %s", name);
  }
  s->root_json = root;
  p.s = s;
  if (parse_document(&p, root) < 0) {
    spec_free(s);
    return -1;
  }
  *out = s;
  return 0;
}

int spec_parse(const char *text, size_t len, struct spec **out, pk_error **err) {
  return spec_parse_named(text, len, "config.json", out, err);
}

int spec_load(const char *bundle_dir, struct spec **out, pk_error **err) {
  cleanup_free char *path = NULL, *text = NULL;
  size_t len;

  if (asprintf(&path, "%s/config.json", bundle_dir) < 0)
    return error_set(err, ENOMEM, "load config.json");
  if (file_read_all(path, 0, &text, &len, err) < 0)
    return -1;
  if (spec_parse_named(text, len, path, out, err) < 0) {
    /* syntax errors already start with the file name */
    if (err && *err && strncmp((*err)->msg, path, strlen(path)) != 0)
      error_wrap(err, "%s", path);
    return -1;
  }
  return 0;
}

void spec_free(struct spec *s) {
  struct arena_block *b, *next;

  if (s == NULL)
    return;
  for (b = s->arena; b; b = next) {
    next = b->next;
    free(b);
  }
  json_decref(s->root_json);
  free(s);
}

/* What `runc spec` (1.1) writes, hostname aside. */
static const char default_json[] =
    "{\n"
    "\t\"ociVersion\": \"1.0.2-dev\",\n"
    "\t\"process\": {\n"
    "\t\t\"terminal\": true,\n"
    "\t\t\"user\": {\n"
    "\t\t\t\"uid\": 0,\n"
    "\t\t\t\"gid\": 0\n"
    "\t\t},\n"
    "\t\t\"args\": [\n"
    "\t\t\t\"sh\"\n"
    "\t\t],\n"
    "\t\t\"env\": [\n"
    "\t\t\t\"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\",\n"
    "\t\t\t\"TERM=xterm\"\n"
    "\t\t],\n"
    "\t\t\"cwd\": \"/\",\n"
    "\t\t\"capabilities\": {\n"
    "\t\t\t\"bounding\": [\n"
    "\t\t\t\t\"CAP_AUDIT_WRITE\",\n"
    "\t\t\t\t\"CAP_KILL\",\n"
    "\t\t\t\t\"CAP_NET_BIND_SERVICE\"\n"
    "\t\t\t],\n"
    "\t\t\t\"effective\": [\n"
    "\t\t\t\t\"CAP_AUDIT_WRITE\",\n"
    "\t\t\t\t\"CAP_KILL\",\n"
    "\t\t\t\t\"CAP_NET_BIND_SERVICE\"\n"
    "\t\t\t],\n"
    "\t\t\t\"permitted\": [\n"
    "\t\t\t\t\"CAP_AUDIT_WRITE\",\n"
    "\t\t\t\t\"CAP_KILL\",\n"
    "\t\t\t\t\"CAP_NET_BIND_SERVICE\"\n"
    "\t\t\t],\n"
    "\t\t\t\"ambient\": [\n"
    "\t\t\t\t\"CAP_AUDIT_WRITE\",\n"
    "\t\t\t\t\"CAP_KILL\",\n"
    "\t\t\t\t\"CAP_NET_BIND_SERVICE\"\n"
    "\t\t\t]\n"
    "\t\t},\n"
    "\t\t\"rlimits\": [\n"
    "\t\t\t{\n"
    "\t\t\t\t\"type\": \"RLIMIT_NOFILE\",\n"
    "\t\t\t\t\"hard\": 1024,\n"
    "\t\t\t\t\"soft\": 1024\n"
    "\t\t\t}\n"
    "\t\t],\n"
    "\t\t\"noNewPrivileges\": true\n"
    "\t},\n"
    "\t\"root\": {\n"
    "\t\t\"path\": \"rootfs\",\n"
    "\t\t\"readonly\": true\n"
    "\t},\n"
    "\t\"hostname\": \"podrun\",\n"
    "\t\"mounts\": [\n"
    "\t\t{\n"
    "\t\t\t\"destination\": \"/proc\",\n"
    "\t\t\t\"type\": \"proc\",\n"
    "\t\t\t\"source\": \"proc\"\n"
    "\t\t},\n"
    "\t\t{\n"
    "\t\t\t\"destination\": \"/dev\",\n"
    "\t\t\t\"type\": \"tmpfs\",\n"
    "\t\t\t\"source\": \"tmpfs\",\n"
    "\t\t\t\"options\": [\n"
    "\t\t\t\t\"nosuid\",\n"
    "\t\t\t\t\"strictatime\",\n"
    "\t\t\t\t\"mode=755\",\n"
    "\t\t\t\t\"size=65536k\"\n"
    "\t\t\t]\n"
    "\t\t},\n"
    "\t\t{\n"
    "\t\t\t\"destination\": \"/dev/pts\",\n"
    "\t\t\t\"type\": \"devpts\",\n"
    "\t\t\t\"source\": \"devpts\",\n"
    "\t\t\t\"options\": [\n"
    "\t\t\t\t\"nosuid\",\n"
    "\t\t\t\t\"noexec\",\n"
    "\t\t\t\t\"newinstance\",\n"
    "\t\t\t\t\"ptmxmode=0666\",\n"
    "\t\t\t\t\"mode=0620\",\n"
    "\t\t\t\t\"gid=5\"\n"
    "\t\t\t]\n"
    "\t\t},\n"
    "\t\t{\n"
    "\t\t\t\"destination\": \"/dev/shm\",\n"
    "\t\t\t\"type\": \"tmpfs\",\n"
    "\t\t\t\"source\": \"shm\",\n"
    "\t\t\t\"options\": [\n"
    "\t\t\t\t\"nosuid\",\n"
    "\t\t\t\t\"noexec\",\n"
    "\t\t\t\t\"nodev\",\n"
    "\t\t\t\t\"mode=1777\",\n"
    "\t\t\t\t\"size=65536k\"\n"
    "\t\t\t]\n"
    "\t\t},\n"
    "\t\t{\n"
    "\t\t\t\"destination\": \"/dev/mqueue\",\n"
    "\t\t\t\"type\": \"mqueue\",\n"
    "\t\t\t\"source\": \"mqueue\",\n"
    "\t\t\t\"options\": [\n"
    "\t\t\t\t\"nosuid\",\n"
    "\t\t\t\t\"noexec\",\n"
    "\t\t\t\t\"nodev\"\n"
    "\t\t\t]\n"
    "\t\t},\n"
    "\t\t{\n"
    "\t\t\t\"destination\": \"/sys\",\n"
    "\t\t\t\"type\": \"sysfs\",\n"
    "\t\t\t\"source\": \"sysfs\",\n"
    "\t\t\t\"options\": [\n"
    "\t\t\t\t\"nosuid\",\n"
    "\t\t\t\t\"noexec\",\n"
    "\t\t\t\t\"nodev\",\n"
    "\t\t\t\t\"ro\"\n"
    "\t\t\t]\n"
    "\t\t},\n"
    "\t\t{\n"
    "\t\t\t\"destination\": \"/sys/fs/cgroup\",\n"
    "\t\t\t\"type\": \"cgroup\",\n"
    "\t\t\t\"source\": \"cgroup\",\n"
    "\t\t\t\"options\": [\n"
    "\t\t\t\t\"nosuid\",\n"
    "\t\t\t\t\"noexec\",\n"
    "\t\t\t\t\"nodev\",\n"
    "\t\t\t\t\"relatime\",\n"
    "\t\t\t\t\"ro\"\n"
    "\t\t\t]\n"
    "\t\t}\n"
    "\t],\n"
    "\t\"linux\": {\n"
    "\t\t\"resources\": {\n"
    "\t\t\t\"devices\": [\n"
    "\t\t\t\t{\n"
    "\t\t\t\t\t\"allow\": false,\n"
    "\t\t\t\t\t\"access\": \"rwm\"\n"
    "\t\t\t\t}\n"
    "\t\t\t]\n"
    "\t\t},\n"
    "\t\t\"namespaces\": [\n"
    "\t\t\t{\n"
    "\t\t\t\t\"type\": \"pid\"\n"
    "\t\t\t},\n"
    "\t\t\t{\n"
    "\t\t\t\t\"type\": \"network\"\n"
    "\t\t\t},\n"
    "\t\t\t{\n"
    "\t\t\t\t\"type\": \"ipc\"\n"
    "\t\t\t},\n"
    "\t\t\t{\n"
    "\t\t\t\t\"type\": \"uts\"\n"
    "\t\t\t},\n"
    "\t\t\t{\n"
    "\t\t\t\t\"type\": \"mount\"\n"
    "\t\t\t}\n"
    "\t\t],\n"
    "\t\t\"maskedPaths\": [\n"
    "\t\t\t\"/proc/acpi\",\n"
    "\t\t\t\"/proc/asound\",\n"
    "\t\t\t\"/proc/kcore\",\n"
    "\t\t\t\"/proc/keys\",\n"
    "\t\t\t\"/proc/latency_stats\",\n"
    "\t\t\t\"/proc/timer_list\",\n"
    "\t\t\t\"/proc/timer_stats\",\n"
    "\t\t\t\"/proc/sched_debug\",\n"
    "\t\t\t\"/sys/firmware\",\n"
    "\t\t\t\"/proc/scsi\"\n"
    "\t\t],\n"
    "\t\t\"readonlyPaths\": [\n"
    "\t\t\t\"/proc/bus\",\n"
    "\t\t\t\"/proc/fs\",\n"
    "\t\t\t\"/proc/irq\",\n"
    "\t\t\t\"/proc/sys\",\n"
    "\t\t\t\"/proc/sysrq-trigger\"\n"
    "\t\t]\n"
    "\t}\n"
    "}";

char *spec_default_json(void) {
  return strdup(default_json);
}
