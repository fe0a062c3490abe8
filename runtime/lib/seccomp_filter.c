/* SPDX-License-Identifier: MIT */
#include "seccomp_filter.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include "cleanup.h"
#include "util.h"

#define SP "linux.seccomp"

/* Bump when the cache file layout or the compilation changes. */
#define CACHE_MAGIC "PKSCMP2"

struct cache_header {
  char magic[8];
  uint32_t flags;
  uint32_t notify;
  uint64_t text_len;
  uint64_t bpf_len;
};

void seccomp_filter_free(struct seccomp_filter_prog *p) {
  if (p == NULL)
    return;
  free(p->insns);
  free(p->listener_path);
  free(p->listener_metadata);
  free(p);
}

/* ---- names ---- */

static int action_parse(const char *name, json_t *errno_ret, const char *path, uint32_t *act,
                        pk_error **err) {
  uint32_t e = EPERM;
  if (errno_ret && !json_is_null(errno_ret)) {
    if (!json_is_integer(errno_ret) || json_integer_value(errno_ret) < 0 ||
        json_integer_value(errno_ret) > 0xffff)
      return error_set(err, 0, "%s: expected an errno number 0..65535", path);
    e = (uint32_t)json_integer_value(errno_ret);
  }
  static const struct {
    const char *name;
    uint32_t act;
  } plain[] = {
      {"SCMP_ACT_KILL", SCMP_ACT_KILL},
      {"SCMP_ACT_KILL_THREAD", SCMP_ACT_KILL_THREAD},
      {"SCMP_ACT_KILL_PROCESS", SCMP_ACT_KILL_PROCESS},
      {"SCMP_ACT_TRAP", SCMP_ACT_TRAP},
      {"SCMP_ACT_ALLOW", SCMP_ACT_ALLOW},
      {"SCMP_ACT_LOG", SCMP_ACT_LOG},
      {"SCMP_ACT_NOTIFY", SCMP_ACT_NOTIFY},
  };
  for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++)
    if (strcmp(name, plain[i].name) == 0) {
      *act = plain[i].act;
      return 0;
    }
  if (strcmp(name, "SCMP_ACT_ERRNO") == 0) {
    *act = SCMP_ACT_ERRNO(e);
    return 0;
  }
  if (strcmp(name, "SCMP_ACT_TRACE") == 0) {
    *act = SCMP_ACT_TRACE(e);
    return 0;
  }
  return -2;
}

static int op_parse(const char *name, enum scmp_compare *op) {
  static const struct {
    const char *name;
    enum scmp_compare op;
  } ops[] = {
      {"SCMP_CMP_NE", SCMP_CMP_NE},
      {"SCMP_CMP_LT", SCMP_CMP_LT},
      {"SCMP_CMP_LE", SCMP_CMP_LE},
      {"SCMP_CMP_EQ", SCMP_CMP_EQ},
      {"SCMP_CMP_GE", SCMP_CMP_GE},
      {"SCMP_CMP_GT", SCMP_CMP_GT},
      {"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ},
  };
  for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
    if (strcmp(name, ops[i].name) == 0) {
      *op = ops[i].op;
      return 0;
    }
  return -1;
}

/* "SCMP_ARCH_X86_64" -> libseccomp's "x86_64" -> token; 0 if unknown. */
static uint32_t arch_parse(const char *name) {
  char low[32];
  size_t i;
  if (!str_has_prefix(name, "SCMP_ARCH_") || strlen(name + 10) >= sizeof(low))
    return 0;
  for (i = 0; name[10 + i]; i++)
    low[i] = (char)tolower((unsigned char)name[10 + i]);
  low[i] = '\0';
  return seccomp_arch_resolve_name(low);
}

static int flag_parse(const char *name, unsigned *flag) {
  static const struct {
    const char *name;
    unsigned flag;
  } flags[] = {
      {"SECCOMP_FILTER_FLAG_TSYNC", SECCOMP_FILTER_FLAG_TSYNC},
      {"SECCOMP_FILTER_FLAG_LOG", SECCOMP_FILTER_FLAG_LOG},
      {"SECCOMP_FILTER_FLAG_SPEC_ALLOW", SECCOMP_FILTER_FLAG_SPEC_ALLOW},
#ifdef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
      {"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV},
#endif
  };
  for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++)
    if (strcmp(name, flags[i].name) == 0) {
      *flag = flags[i].flag;
      return 0;
    }
  return -1;
}

/* Fields install and send_listener need; cheap enough to read on cache hits. */
static int prog_fields(json_t *sc, struct seccomp_filter_prog *p, pk_error **err) {
  const char *lp = NULL, *md = NULL;
  json_t *flags, *f;
  size_t i;
  if (json_field_string(sc, "listenerPath", &lp, SP, err) < 0 ||
      json_field_string(sc, "listenerMetadata", &md, SP, err) < 0 ||
      json_field_array(sc, "flags", &flags, SP, err) < 0)
    return -1;
  if ((lp && (p->listener_path = strdup(lp)) == NULL) ||
      (md && (p->listener_metadata = strdup(md)) == NULL))
    return error_set(err, ENOMEM, SP);
  p->flags = 0;
  json_array_foreach(flags, i, f) {
    unsigned flag;
    if (!json_is_string(f))
      return error_set(err, 0, SP ".flags[%zu]: expected a string", i);
    if (flag_parse(json_string_value(f), &flag) < 0)
      return error_set(err, 0, SP ".flags[%zu]: unknown flag \"%s\"", i, json_string_value(f));
    p->flags |= flag;
  }
  return 0;
}

/* ---- compile ---- */

static int add_rule(scmp_filter_ctx ctx, uint32_t act, int nr, const char *name,
                    struct scmp_arg_cmp *cmp, unsigned n, const char *path, pk_error **err) {
  int rc = seccomp_rule_add_array(ctx, act, nr, n, cmp);
  /* A name that resolves only to a pseudo number has no syscall on the
   * compiled architectures: nothing to filter. */
  if (rc < 0 && nr < 0)
    return 0;
  if (rc < 0)
    return error_set(err, -rc, "%s: add rule for %s", path, name);
  return 0;
}

static int compile_syscall(scmp_filter_ctx ctx, json_t *sc, size_t idx, uint32_t def_act,
                           bool *notify, pk_error **err) {
  char path[64];
  const char *action = NULL;
  json_t *names, *args, *n;
  size_t i;
  uint32_t act;
  struct scmp_arg_cmp cmp[6];
  unsigned ncmp = 0;
  bool same_index = false;
  json_t *argv[64];

  snprintf(path, sizeof(path), SP ".syscalls[%zu]", idx);
  if (!json_is_object(sc))
    return error_set(err, 0, "%s: expected an object", path);
  if (json_field_array(sc, "names", &names, path, err) < 0 ||
      json_field_string(sc, "action", &action, path, err) < 0 ||
      json_field_array(sc, "args", &args, path, err) < 0)
    return -1;
  if (names == NULL || json_array_size(names) == 0)
    return error_set(err, 0, "%s.names: expected a non-empty array of strings", path);
  if (action == NULL)
    return error_set(err, 0, "%s.action: expected a string", path);
  char epath[96];
  snprintf(epath, sizeof(epath), "%s.errnoRet", path);
  int r = action_parse(action, json_object_get(sc, "errnoRet"), epath, &act, err);
  if (r == -2)
    return error_set(err, 0, "%s.action: unknown action \"%s\"", path, action);
  if (r < 0)
    return -1;
  if (act == SCMP_ACT_NOTIFY)
    *notify = true;
  size_t nargs = json_array_size(args);
  if (nargs > sizeof(argv) / sizeof(argv[0]))
    return error_set(err, 0, "%s.args: at most 64 conditions", path);
  unsigned seen = 0;
  json_array_foreach(args, i, n) {
    char apath[96];
    const char *opname = NULL;
    enum scmp_compare op;
    snprintf(apath, sizeof(apath), "%s.args[%zu]", path, i);
    if (!json_is_object(n))
      return error_set(err, 0, "%s: expected an object", apath);
    json_t *jidx = json_object_get(n, "index"), *jv = json_object_get(n, "value"),
           *jv2 = json_object_get(n, "valueTwo");
    if (!json_is_integer(jidx))
      return error_set(err, 0, "%s.index: expected an integer", apath);
    if (json_integer_value(jidx) < 0 || json_integer_value(jidx) > 5)
      return error_set(err, 0, "%s.index: expected 0..5, got %" JSON_INTEGER_FORMAT, apath,
                       json_integer_value(jidx));
    if (!json_is_integer(jv) || json_integer_value(jv) < 0)
      return error_set(err, 0, "%s.value: expected a non-negative integer", apath);
    if (jv2 && !json_is_null(jv2) && (!json_is_integer(jv2) || json_integer_value(jv2) < 0))
      return error_set(err, 0, "%s.valueTwo: expected a non-negative integer", apath);
    if (json_field_string(n, "op", &opname, apath, err) < 0)
      return -1;
    if (opname == NULL)
      return error_set(err, 0, "%s.op: expected a string", apath);
    if (op_parse(opname, &op) < 0)
      return error_set(err, 0, "%s.op: unknown operator \"%s\"", apath, opname);
    unsigned ai = (unsigned)json_integer_value(jidx);
    if (seen & (1u << ai))
      same_index = true;
    seen |= 1u << ai;
    argv[i] = n;
    if (ncmp < 6)
      cmp[ncmp++] = (struct scmp_arg_cmp){ai, op, (scmp_datum_t)json_integer_value(jv),
                                          jv2 ? (scmp_datum_t)json_integer_value(jv2) : 0};
  }
  /* Same action as the default: the rule changes nothing (and libseccomp
   * refuses it). */
  if (act == def_act)
    return 0;
  json_array_foreach(names, i, n) {
    if (!json_is_string(n))
      return error_set(err, 0, "%s.names[%zu]: expected a string", path, i);
    const char *name = json_string_value(n);
    int nr = seccomp_syscall_resolve_name(name);
    if (nr == __NR_SCMP_ERROR)
      continue; /* unknown to libseccomp: skipped, as runc does */
    if (!same_index) {
      /* Conditions on distinct arguments: all must match (AND). */
      if (add_rule(ctx, act, nr, name, ncmp ? cmp : NULL, ncmp, path, err) < 0)
        return -1;
    } else {
      /* Several conditions on one argument cannot be ANDed by libseccomp:
       * like runc, each becomes its own rule (OR). */
      for (unsigned c = 0; c < ncmp; c++)
        if (add_rule(ctx, act, nr, name, &cmp[c], 1, path, err) < 0)
          return -1;
    }
  }
  return 0;
}

static int compile(json_t *sc, bool all_arches, struct seccomp_filter_prog *p, pk_error **err) {
  const char *def = NULL;
  json_t *arches, *syscalls, *e;
  size_t i;
  uint32_t def_act;

  if (json_field_string(sc, "defaultAction", &def, SP, err) < 0)
    return -1;
  if (def == NULL)
    return error_set(err, 0, SP ".defaultAction: expected a string");
  int r = action_parse(def, json_object_get(sc, "defaultErrnoRet"), SP ".defaultErrnoRet", &def_act,
                       err);
  if (r == -2)
    return error_set(err, 0, SP ".defaultAction: unknown action \"%s\"", def);
  if (r < 0)
    return -1;
  if (def_act == SCMP_ACT_NOTIFY)
    return error_set(err, 0, SP ".defaultAction: SCMP_ACT_NOTIFY cannot be the default action");
  if (json_field_array(sc, "architectures", &arches, SP, err) < 0 ||
      json_field_array(sc, "syscalls", &syscalls, SP, err) < 0)
    return -1;

  scmp_filter_ctx ctx = seccomp_init(def_act);
  if (ctx == NULL)
    return error_set(err, ENOMEM, SP ": seccomp_init");
  int rc = 0;
  bool dropped = false;
  uint32_t native = seccomp_arch_native();
  json_array_foreach(arches, i, e) {
    uint32_t a = json_is_string(e) ? arch_parse(json_string_value(e)) : 0;
    if (!json_is_string(e)) {
      rc = error_set(err, 0, SP ".architectures[%zu]: expected a string", i);
      goto out;
    }
    if (a == 0) {
      rc = error_set(err, 0, SP ".architectures[%zu]: unknown architecture \"%s\"", i,
                     json_string_value(e));
      goto out;
    }
    if (a == native)
      continue;
    if (!all_arches) {
      dropped = true;
      continue;
    }
    r = seccomp_arch_add(ctx, a);
    if (r < 0 && r != -EEXIST) {
      rc = error_set(err, -r, SP ".architectures[%zu]: add %s", i, json_string_value(e));
      goto out;
    }
  }
  /* A syscall of a listed ABI we did not compile must not pass unfiltered:
   * kill the whole process rather than one thread. */
  if (dropped && seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS) < 0) {
    rc = error_set(err, EINVAL, SP ": set the bad-architecture action");
    goto out;
  }
  /* A binary tree over syscall numbers instead of a linear list: slower to
   * compile (the cache pays that once), faster on every syscall the
   * container makes. */
  if (json_array_size(syscalls) > 0 && seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2) < 0) {
    rc = error_set(err, EINVAL, SP ": set the filter optimization level");
    goto out;
  }
  json_array_foreach(syscalls, i, e) {
    if ((rc = compile_syscall(ctx, e, i, def_act, &p->notify, err)) < 0)
      goto out;
  }

  int fd = memfd_create("seccomp-bpf", MFD_CLOEXEC);
  if (fd < 0) {
    rc = error_set(err, errno, SP ": memfd_create");
    goto out;
  }
  r = seccomp_export_bpf(ctx, fd);
  off_t size = lseek(fd, 0, SEEK_END);
  if (r < 0 || size <= 0 || size % sizeof(struct sock_filter) != 0) {
    close(fd);
    rc = error_set(err, r < 0 ? -r : EIO, SP ": export the BPF program");
    goto out;
  }
  p->insns = malloc((size_t)size);
  if (p->insns == NULL || pread(fd, p->insns, (size_t)size, 0) != size) {
    close(fd);
    rc = error_set(err, p->insns ? errno : ENOMEM, SP ": read the BPF program");
    goto out;
  }
  close(fd);
  p->n_insns = (size_t)size / sizeof(struct sock_filter);
out:
  seccomp_release(ctx);
  return rc;
}

/* ---- cache ---- */

static uint64_t fnv1a(uint64_t h, const void *data, size_t len) {
  const unsigned char *s = data;
  for (size_t i = 0; i < len; i++) {
    h ^= s[i];
    h *= 0x100000001b3ULL;
  }
  return h;
}

static char *cache_file_path(const char *dir, const char *text, size_t len, bool all_arches) {
  const struct scmp_version *v = seccomp_version();
  char salt[96];
  char *path;
  snprintf(salt, sizeof(salt), "%s|%u.%u.%u|%u|%d", CACHE_MAGIC, v ? v->major : 0, v ? v->minor : 0,
           v ? v->micro : 0, seccomp_arch_native(), all_arches);
  uint64_t h = fnv1a(0xcbf29ce484222325ULL, salt, strlen(salt) + 1);
  h = fnv1a(h, text, len);
  if (asprintf(&path, "%s/%016" PRIx64 ".bpf", dir, h) < 0)
    return NULL;
  return path;
}

/* A cache entry is used only when it is ours, not writable by others, and
 * holds exactly this profile's text; anything else is a miss. */
static bool cache_load(const char *path, const char *text, size_t len,
                       struct seccomp_filter_prog *p) {
  cleanup_close int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  struct stat st;
  struct cache_header h;
  if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
      (st.st_mode & 022) || (size_t)st.st_size < sizeof(h))
    return false;
  if (pread(fd, &h, sizeof(h), 0) != (ssize_t)sizeof(h) || memcmp(h.magic, CACHE_MAGIC, 8) != 0 ||
      h.text_len != len || h.bpf_len == 0 || h.bpf_len % sizeof(struct sock_filter) != 0 ||
      h.bpf_len > (1u << 20) || (uint64_t)st.st_size != sizeof(h) + h.text_len + h.bpf_len)
    return false;
  cleanup_free char *buf = malloc(len + h.bpf_len);
  if (buf == NULL || pread(fd, buf, len + h.bpf_len, sizeof(h)) != (ssize_t)(len + h.bpf_len) ||
      memcmp(buf, text, len) != 0)
    return false;
  p->insns = malloc(h.bpf_len);
  if (p->insns == NULL)
    return false;
  memcpy(p->insns, buf + len, h.bpf_len);
  p->n_insns = h.bpf_len / sizeof(struct sock_filter);
  p->notify = h.notify != 0;
  p->from_cache = true;
  return true;
}

static void cache_store(const char *dir, const char *path, const char *text, size_t len,
                        const struct seccomp_filter_prog *p) {
  pk_error *err = NULL;
  size_t bpf_len = p->n_insns * sizeof(struct sock_filter);
  struct cache_header h = {CACHE_MAGIC, p->flags, p->notify, len, bpf_len};
  cleanup_free char *buf = malloc(sizeof(h) + len + bpf_len);
  if (buf == NULL)
    return;
  memcpy(buf, &h, sizeof(h));
  memcpy(buf + sizeof(h), text, len);
  memcpy(buf + sizeof(h) + len, p->insns, bpf_len);
  /* A cache is an optimisation: failing to write one is not an error. */
  if (mkdir_p(dir, 0700, &err) == 0)
    file_write_atomic(path, buf, sizeof(h) + len + bpf_len, 0600, &err);
  error_free(&err);
}

int seccomp_filter_prepare(json_t *seccomp, const struct seccomp_filter_opts *opts,
                           struct seccomp_filter_prog **out, pk_error **err) {
  cleanup_free char *text = NULL, *path = NULL;
  const char *dir = opts && opts->cache_dir ? opts->cache_dir : SECCOMP_FILTER_CACHE_DIR;
  bool all = opts && opts->all_arches;
  struct seccomp_filter_prog *p;

  *out = NULL;
  if (seccomp == NULL || json_is_null(seccomp))
    return 0;
  if (!json_is_object(seccomp))
    return error_set(err, 0, SP ": expected an object");
  p = calloc(1, sizeof(*p));
  if (p == NULL)
    return error_set(err, ENOMEM, SP);
  if (prog_fields(seccomp, p, err) < 0)
    goto fail;
  if (*dir) {
    text = json_dumps(seccomp, JSON_COMPACT | JSON_SORT_KEYS);
    if (text)
      path = cache_file_path(dir, text, strlen(text), all);
    if (path && cache_load(path, text, strlen(text), p)) {
      *out = p;
      return 0;
    }
  }
  if (compile(seccomp, all, p, err) < 0)
    goto fail;
  if (p->notify && p->listener_path == NULL) {
    error_set(err, 0, SP ".listenerPath: required when an action is SCMP_ACT_NOTIFY");
    goto fail;
  }
  if (path)
    cache_store(dir, path, text, strlen(text), p);
  *out = p;
  return 0;
fail:
  seccomp_filter_free(p);
  return -1;
}

/* ---- install ---- */

static const char *flag_name(unsigned f) {
  switch (f) {
  case SECCOMP_FILTER_FLAG_TSYNC:
    return "SECCOMP_FILTER_FLAG_TSYNC";
  case SECCOMP_FILTER_FLAG_LOG:
    return "SECCOMP_FILTER_FLAG_LOG";
  case SECCOMP_FILTER_FLAG_SPEC_ALLOW:
    return "SECCOMP_FILTER_FLAG_SPEC_ALLOW";
  case SECCOMP_FILTER_FLAG_NEW_LISTENER:
    return "SECCOMP_FILTER_FLAG_NEW_LISTENER";
  default:
    return "flag";
  }
}

int seccomp_filter_install(const struct seccomp_filter_prog *prog, int *listener_fd,
                           pk_error **err) {
  struct sock_fprog fprog = {(unsigned short)prog->n_insns, prog->insns};
  unsigned flags = prog->flags;

  *listener_fd = -1;
  if (prog->n_insns == 0 || prog->n_insns > BPF_MAXINSNS)
    return error_set(err, EINVAL, "install seccomp filter: %zu instructions", prog->n_insns);
  if (prog->notify) {
    flags |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
#ifdef SECCOMP_FILTER_FLAG_TSYNC_ESRCH
    /* TSYNC alone returns a thread id where the listener fd would go. */
    if (flags & SECCOMP_FILTER_FLAG_TSYNC)
      flags |= SECCOMP_FILTER_FLAG_TSYNC_ESRCH;
#endif
  }
  long rc = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &fprog);
  if (rc < 0) {
    int e = errno;
    if (e == EINVAL && flags) {
      /* Which flag does this kernel not know?  An unknown flag is EINVAL
       * even with a NULL program, a known one gets as far as EFAULT. */
      for (unsigned f = 1; f && f <= flags; f <<= 1)
        if ((flags & f) && syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, f, NULL) < 0 &&
            errno == EINVAL)
          return error_set_code(err, EINVAL,
                                "install seccomp filter: %s is not supported by "
                                "this kernel",
                                flag_name(f));
    }
    if (e == EACCES)
      return error_set(err, e, "install seccomp filter (needs no_new_privs or CAP_SYS_ADMIN)");
    return error_set(err, e, "install seccomp filter");
  }
  if (prog->notify)
    *listener_fd = (int)rc;
  return 0;
}

int seccomp_filter_send_listener(const struct seccomp_filter_prog *prog, int listener_fd, pid_t pid,
                                 json_t *state, pk_error **err) {
  const char *lp = prog->listener_path;
  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  cleanup_close int sock = -1;
  cleanup_free char *text = NULL;

  if (lp == NULL)
    return error_set(err, 0, SP ".listenerPath: not set");
  if (strlen(lp) >= sizeof(sa.sun_path))
    return error_set(err, ENAMETOOLONG, SP ".listenerPath %s", lp);
  strcpy(sa.sun_path, lp);
  json_t *j = json_pack("{s:s, s:[s], s:I, s:s, s:O?}", "ociVersion", "1.0.2", "fds", "seccompFd",
                        "pid", (json_int_t)pid, "metadata",
                        prog->listener_metadata ? prog->listener_metadata : "", "state", state);
  if (j == NULL)
    return error_set(err, ENOMEM, "seccomp listener state");
  text = json_dumps(j, JSON_COMPACT);
  json_decref(j);
  if (text == NULL)
    return error_set(err, ENOMEM, "seccomp listener state");

  sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (sock < 0)
    return error_set(err, errno, "seccomp listener socket");
  if (connect(sock, (struct sockaddr *)&sa, sizeof(sa)) < 0)
    return error_set(err, errno, "connect to seccomp listener %s", lp);
  struct iovec iov = {text, strlen(text)};
  ssize_t n = sock_send_fd(sock, &iov, 1, listener_fd);
  if (n < 0)
    return error_set(err, errno, "send the seccomp listener fd to %s", lp);
  /* The fd went with the first byte; the rest of a long state follows. */
  if ((size_t)n < iov.iov_len && write_all(sock, text + n, iov.iov_len - (size_t)n) < 0)
    return error_set(err, errno, "send the seccomp listener state to %s", lp);
  return 0;
}
