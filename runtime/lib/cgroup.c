/* SPDX-License-Identifier: MIT */
#include "cgroup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/bpf.h>
#include <linux/magic.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "util.h"

enum ctrl {
  C_CPU,
  C_CPUACCT,
  C_CPUSET,
  C_MEMORY,
  C_DEVICES,
  C_FREEZER,
  C_BLKIO,
  C_PIDS,
  C_HUGETLB,
  C_IO,
  C_MISC,
  C_RDMA,
  C_NET_CLS,
  C_NET_PRIO,
  C_PERF_EVENT,
  C_COUNT
};

static const char *const ctrl_names[C_COUNT] = {
    "cpu",     "cpuacct", "cpuset", "memory", "devices", "freezer",  "blkio",     "pids",
    "hugetlb", "io",      "misc",   "rdma",   "net_cls", "net_prio", "perf_event"};

#define BIT(c) (1u << (c))

struct hier {
  char *mnt;      /* mount point */
  char *key;      /* basename of mnt: the name used in the persisted form */
  char *mnt_root; /* root of the mount inside the hierarchy, usually "/" */
  char *v1_name;  /* "systemd" for name=systemd, else NULL */
  unsigned ctrls; /* v1: the hierarchy's controllers; v2: root cgroup.controllers */
  bool v2;
};

static struct {
  bool done;
  enum cgroup_mode mode;
  struct hier h[24];
  int n;
} layout;

struct cg_dir {
  const struct hier *h;
  char *path;  /* inside the hierarchy, "/podrun/id" */
  char *full;  /* mnt + path */
  int dfd;     /* O_PATH, opened lazily */
  int created; /* trailing path components this process made */
};

struct cgroup {
  char *persisted;
  int n;
  struct cg_dir d[24];
  bool pending_set; /* cgroup_create_finish() still to run */
  json_t *pending;  /* its resources (owned reference, may be NULL) */
  unsigned need;    /* v2 controllers the resources need */
};

/* ---- layout detection ---- */

static unsigned ctrl_mask_of(const char *list, char **v1_name) {
  unsigned mask = 0;
  char buf[512];
  snprintf(buf, sizeof(buf), "%s", list);
  for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
    if (str_has_prefix(tok, "name=")) {
      if (v1_name && *v1_name == NULL)
        *v1_name = strdup(tok + 5);
      continue;
    }
    for (int c = 0; c < C_COUNT; c++)
      if (strcmp(tok, ctrl_names[c]) == 0)
        mask |= BIT(c);
  }
  return mask;
}

static unsigned v2_ctrl_mask(const char *text) {
  unsigned mask = 0;
  char buf[512];
  snprintf(buf, sizeof(buf), "%s", text);
  for (char *save = NULL, *tok = strtok_r(buf, " \n", &save); tok;
       tok = strtok_r(NULL, " \n", &save))
    for (int c = 0; c < C_COUNT; c++)
      if (strcmp(tok, ctrl_names[c]) == 0)
        mask |= BIT(c);
  return mask;
}

static ssize_t read_at(int dfd, const char *file, char *buf, size_t size) {
  int fd = openat(dfd, file, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return -errno;
  ssize_t n;
  do
    n = read(fd, buf, size - 1);
  while (n < 0 && errno == EINTR);
  int e = errno;
  close(fd);
  if (n < 0)
    return -e;
  buf[n] = '\0';
  return n;
}

static int write_at(int dfd, const char *file, const char *val) {
  int fd = openat(dfd, file, O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return -errno;
  ssize_t n;
  size_t len = strlen(val);
  do
    n = write(fd, val, len);
  while (n < 0 && errno == EINTR);
  int e = errno;
  close(fd);
  if (n < 0)
    return -e;
  return (size_t)n == len ? 0 : -EIO;
}

static void hier_add(const char *mnt, const char *root, unsigned mask, char *v1_name, bool v2) {
  struct hier *h = &layout.h[layout.n++];
  const char *base = strrchr(mnt, '/');
  h->mnt = strdup(mnt);
  h->key = strdup(base && base[1] ? base + 1 : "cgroup");
  h->mnt_root = strdup(root);
  h->v1_name = v1_name;
  h->ctrls = mask;
  h->v2 = v2;
  if (h->mnt == NULL || h->key == NULL || h->mnt_root == NULL)
    abort();
  if (v2) {
    char buf[512];
    int dfd = open(mnt, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0 && read_at(dfd, "cgroup.controllers", buf, sizeof(buf)) >= 0)
      h->ctrls = v2_ctrl_mask(buf);
    if (dfd >= 0)
      close(dfd);
  }
}

static void layout_reset(void) {
  for (int i = 0; i < layout.n; i++) {
    free(layout.h[i].mnt);
    free(layout.h[i].key);
    free(layout.h[i].mnt_root);
    free(layout.h[i].v1_name);
  }
  layout.n = 0;
}

static bool fs_is(const char *path, long magic) {
  struct statfs sfs;
  return statfs(path, &sfs) == 0 && (long)sfs.f_type == magic;
}

/* The usual layout without reading mountinfo, which costs milliseconds on a
 * host with hundreds of mounts: /sys/fs/cgroup is cgroup2, or a tmpfs with
 * one directory per v1 hierarchy named as in /proc/self/cgroup ("cpu,cpuacct",
 * "systemd" for name=systemd) and cgroup2 at "unified".  false: something
 * else, ask mountinfo. */
static bool layout_detect_fast(void) {
  char buf[4096], mnt[PATH_MAX];
  if (fs_is("/sys/fs/cgroup", CGROUP2_SUPER_MAGIC)) {
    hier_add("/sys/fs/cgroup", "/", 0, NULL, true);
    layout.mode = CGROUP_MODE_V2;
    return true;
  }
  if (!fs_is("/sys/fs/cgroup", TMPFS_MAGIC))
    return false;
  int fd = open("/proc/self/cgroup", O_RDONLY | O_CLOEXEC);
  ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
  if (fd >= 0)
    close(fd);
  if (n <= 0 || n == (ssize_t)sizeof(buf) - 1)
    return false;
  buf[n] = '\0';
  bool v1 = false, v2 = false;
  for (char *save = NULL, *line = strtok_r(buf, "\n", &save); line;
       line = strtok_r(NULL, "\n", &save)) {
    char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
    if (c2 == NULL || layout.n >= (int)(sizeof(layout.h) / sizeof(layout.h[0])) - 1)
      goto slow;
    *c2 = '\0';
    const char *ctrls = c1 + 1;
    if (*ctrls == '\0') {
      if (fs_is("/sys/fs/cgroup/unified", CGROUP2_SUPER_MAGIC)) {
        hier_add("/sys/fs/cgroup/unified", "/", 0, NULL, true);
        v2 = true;
      }
      continue;
    }
    char *name = NULL;
    unsigned mask = ctrl_mask_of(ctrls, &name);
    bool named = str_has_prefix(ctrls, "name=");
    if ((named && strchr(ctrls, ',')) || (!named && name)) {
      free(name);
      goto slow;
    }
    snprintf(mnt, sizeof(mnt), "/sys/fs/cgroup/%s", named ? ctrls + 5 : ctrls);
    if (!fs_is(mnt, CGROUP_SUPER_MAGIC)) {
      free(name);
      goto slow;
    }
    hier_add(mnt, "/", mask, name, false);
    v1 = true;
  }
  if (!v1 && !v2)
    goto slow;
  layout.mode = !v1 ? CGROUP_MODE_V2 : v2 ? CGROUP_MODE_HYBRID : CGROUP_MODE_V1;
  return true;
slow:
  layout_reset();
  return false;
}

static int layout_detect(pk_error **err) {
  cleanup_free char *text = NULL;
  size_t len;
  bool any_v1 = false, any_v2 = false;

  if (layout.done)
    return 0;
  if (layout_detect_fast()) {
    layout.done = true;
    return 0;
  }
  if (file_read_all("/proc/self/mountinfo", 0, &text, &len, err) < 0)
    return error_wrap(err, "detect cgroup layout");
  for (char *save = NULL, *line = strtok_r(text, "\n", &save); line;
       line = strtok_r(NULL, "\n", &save)) {
    char *sep = strstr(line, " - ");
    if (sep == NULL)
      continue;
    *sep = '\0';
    char fstype[32], source[64], superopts[512];
    if (sscanf(sep + 3, "%31s %63s %511s", fstype, source, superopts) != 3)
      continue;
    bool v2 = strcmp(fstype, "cgroup2") == 0;
    if (!v2 && strcmp(fstype, "cgroup") != 0)
      continue;
    char root[PATH_MAX], mnt[PATH_MAX];
    if (sscanf(line, "%*s %*s %*s %4095s %4095s", root, mnt) != 2)
      continue;
    char *v1_name = NULL;
    unsigned mask = v2 ? 0 : ctrl_mask_of(superopts, &v1_name);
    bool dup = false;
    /* The same hierarchy bind-mounted twice: keep the first. */
    for (int i = 0; i < layout.n; i++) {
      struct hier *h = &layout.h[i];
      if (h->v2 == v2 && h->ctrls == mask &&
          ((h->v1_name == NULL && v1_name == NULL) ||
           (h->v1_name && v1_name && strcmp(h->v1_name, v1_name) == 0)))
        dup = true;
    }
    if (dup || (!v2 && mask == 0 && v1_name == NULL) ||
        layout.n == (int)(sizeof(layout.h) / sizeof(layout.h[0]))) {
      free(v1_name);
      continue;
    }
    hier_add(mnt, root, mask, v1_name, v2);
    if (v2)
      any_v2 = true;
    else
      any_v1 = true;
  }
  if (!any_v1 && !any_v2)
    return error_set(err, 0, "detect cgroup layout: no cgroup file system is mounted");
  layout.mode = !any_v1 ? CGROUP_MODE_V2 : any_v2 ? CGROUP_MODE_HYBRID : CGROUP_MODE_V1;
  layout.done = true;
  return 0;
}

int cgroup_mode_get(enum cgroup_mode *mode, pk_error **err) {
  if (layout_detect(err) < 0)
    return -1;
  *mode = layout.mode;
  return 0;
}

/* ---- paths ---- */

/* Normalise an absolute cgroup path: collapse "//" and ".", refuse "..". */
static int path_normalize(const char *in, char **out, const char *what, pk_error **err) {
  size_t len = strlen(in);
  char *res = malloc(len + 2);
  size_t o = 0;
  if (res == NULL)
    return error_set(err, ENOMEM, "%s", what);
  for (const char *p = in; *p;) {
    while (*p == '/')
      p++;
    const char *e = strchrnul(p, '/');
    size_t n = (size_t)(e - p);
    if (n == 0)
      break;
    if (n == 1 && p[0] == '.') {
      p = e;
      continue;
    }
    if (n == 2 && p[0] == '.' && p[1] == '.') {
      free(res);
      return error_set(err, 0, "%s \"%s\": \"..\" is not allowed", what, in);
    }
    res[o++] = '/';
    memcpy(res + o, p, n);
    o += n;
    p = e;
  }
  if (o == 0)
    res[o++] = '/';
  res[o] = '\0';
  *out = res;
  return 0;
}

/* The caller's own cgroup in h, relative to the mount, from /proc/self/cgroup. */
static char *own_cgroup(const struct hier *h, const char *proc_cgroup) {
  cleanup_free char *copy = strdup(proc_cgroup);
  if (copy == NULL)
    return NULL;
  for (char *save = NULL, *line = strtok_r(copy, "\n", &save); line;
       line = strtok_r(NULL, "\n", &save)) {
    char *c1 = strchr(line, ':');
    char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
    if (c2 == NULL)
      continue;
    *c1 = '\0';
    *c2 = '\0';
    const char *ctrls = c1 + 1, *path = c2 + 1;
    bool match;
    if (h->v2)
      match = strcmp(line, "0") == 0 && *ctrls == '\0';
    else {
      char *name = NULL;
      unsigned mask = ctrl_mask_of(ctrls, &name);
      match = *ctrls && mask == h->ctrls &&
              ((name == NULL && h->v1_name == NULL) ||
               (name && h->v1_name && strcmp(name, h->v1_name) == 0));
      free(name);
    }
    if (!match)
      continue;
    size_t rl = strlen(h->mnt_root);
    if (strcmp(h->mnt_root, "/") != 0 && strncmp(path, h->mnt_root, rl) == 0 &&
        (path[rl] == '/' || path[rl] == '\0'))
      path += rl;
    return strdup(*path ? path : "/");
  }
  return strdup("/");
}

static void cgroup_init_dirs(struct cgroup *cg) {
  cg->n = layout.n;
  for (int i = 0; i < cg->n; i++) {
    cg->d[i].h = &layout.h[i];
    cg->d[i].dfd = -1;
  }
}

static int dir_set_path(struct cg_dir *d, char *path) {
  d->path = path;
  if (asprintf(&d->full, "%s%s", d->h->mnt, path) < 0) {
    d->full = NULL;
    return -1;
  }
  return 0;
}

static int cgroup_persisted_build(struct cgroup *cg) {
  /* The base is the v2 path when there is one, which is also where a
   * relative path is least likely to differ. */
  int base = 0;
  for (int i = 0; i < cg->n; i++)
    if (cg->d[i].h->v2)
      base = i;
  size_t len = strlen(cg->d[base].path) + 1;
  for (int i = 0; i < cg->n; i++)
    if (strcmp(cg->d[i].path, cg->d[base].path) != 0)
      len += strlen(cg->d[i].h->key) + strlen(cg->d[i].path) + 2;
  char *s = malloc(len);
  if (s == NULL)
    return -1;
  char *p = stpcpy(s, cg->d[base].path);
  for (int i = 0; i < cg->n; i++)
    if (strcmp(cg->d[i].path, cg->d[base].path) != 0)
      p += sprintf(p, ";%s=%s", cg->d[i].h->key, cg->d[i].path);
  cg->persisted = s;
  return 0;
}

static bool systemd_running(void) {
  struct stat st;
  return stat("/run/systemd/system", &st) == 0 && S_ISDIR(st.st_mode);
}

static int cgroup_resolve(struct cgroup *cg, const char *cgroups_path, const char *id,
                          pk_error **err) {
  cleanup_free char *def = NULL, *proc = NULL;
  const char *in = cgroups_path;

  if (in == NULL || *in == '\0') {
    if (id == NULL || *id == '\0' || strchr(id, '/'))
      return error_set(err, 0, "cgroupsPath: empty and no valid container ID for the default");
    if (asprintf(&def, "/podrun/%s", id) < 0)
      return error_set(err, ENOMEM, "cgroupsPath");
    in = def;
  }
  if (strchr(in, ':')) {
    if (!systemd_running())
      return error_set_code(err, ENOTSUP,
                            "cgroupsPath \"%s\": systemd cgroup driver needs systemd running", in);
    return error_set_code(err, ENOTSUP,
                          "cgroupsPath \"%s\": the systemd cgroup driver is not supported, "
                          "use a cgroupfs path",
                          in);
  }
  if (strchr(in, '\n'))
    return error_set(err, 0, "cgroupsPath: must not contain a newline");
  if (*in != '/') {
    size_t len;
    if (file_read_all("/proc/self/cgroup", 0, &proc, &len, err) < 0)
      return error_wrap(err, "cgroupsPath \"%s\"", in);
  }
  for (int i = 0; i < cg->n; i++) {
    cleanup_free char *joined = NULL, *own = NULL;
    char *path = NULL;
    if (*in == '/') {
      if (path_normalize(in, &path, "cgroupsPath", err) < 0)
        return -1;
    } else {
      pk_error *e = NULL;
      own = own_cgroup(cg->d[i].h, proc);
      if (own == NULL || asprintf(&joined, "%s/%s", own, in) < 0)
        return error_set(err, ENOMEM, "cgroupsPath");
      /* the error names the path as the config has it, not as joined */
      if (path_normalize(joined, &path, "cgroupsPath", &e) < 0) {
        int en = e ? e->errnum : 0;
        error_free(&e);
        if (en == ENOMEM)
          return error_set(err, ENOMEM, "cgroupsPath");
        return error_set(err, 0, "cgroupsPath \"%s\": \"..\" is not allowed", in);
      }
    }
    if (dir_set_path(&cg->d[i], path) < 0)
      return error_set(err, ENOMEM, "cgroupsPath");
    if (strcmp(path, "/") == 0)
      return error_set(err, 0, "cgroupsPath \"%s\": must not be the root cgroup", in);
  }
  if (cgroup_persisted_build(cg) < 0)
    return error_set(err, ENOMEM, "cgroupsPath");
  return 0;
}

const char *cgroup_path(const struct cgroup *cg) {
  return cg->persisted;
}

void cgroup_free(struct cgroup *cg) {
  if (cg == NULL)
    return;
  for (int i = 0; i < cg->n; i++) {
    if (cg->d[i].dfd >= 0)
      close(cg->d[i].dfd);
    free(cg->d[i].path);
    free(cg->d[i].full);
  }
  json_decref(cg->pending);
  free(cg->persisted);
  free(cg);
}

int cgroup_open(const char *persisted, struct cgroup **out, pk_error **err) {
  cleanup_cgroup struct cgroup *cg = NULL;
  cleanup_free char *copy = NULL;

  if (layout_detect(err) < 0)
    return -1;
  if (persisted == NULL || *persisted != '/')
    return error_set(err, 0, "cgroup path \"%s\": expected an absolute path",
                     persisted ? persisted : "");
  cg = calloc(1, sizeof(*cg));
  copy = strdup(persisted);
  if (cg == NULL || copy == NULL)
    return error_set(err, ENOMEM, "open cgroup %s", persisted);
  cgroup_init_dirs(cg);
  char *save = NULL, *base = strtok_r(copy, ";", &save);
  for (int i = 0; i < cg->n; i++) {
    char *path = NULL;
    if (path_normalize(base, &path, "cgroup path", err) < 0)
      return -1;
    cg->d[i].path = path;
  }
  for (char *ov = strtok_r(NULL, ";", &save); ov; ov = strtok_r(NULL, ";", &save)) {
    char *eq = strchr(ov, '=');
    if (eq == NULL || eq[1] != '/')
      return error_set(err, 0, "cgroup path \"%s\": bad override \"%s\"", persisted, ov);
    *eq = '\0';
    for (int i = 0; i < cg->n; i++)
      if (strcmp(cg->d[i].h->key, ov) == 0) {
        free(cg->d[i].path);
        cg->d[i].path = NULL;
        if (path_normalize(eq + 1, &cg->d[i].path, "cgroup path", err) < 0)
          return -1;
      }
  }
  for (int i = 0; i < cg->n; i++) {
    char *p = cg->d[i].path;
    cg->d[i].path = NULL;
    if (strcmp(p, "/") == 0) {
      free(p);
      return error_set(err, 0, "cgroup path \"%s\": must not be the root cgroup", persisted);
    }
    if (dir_set_path(&cg->d[i], p) < 0)
      return error_set(err, ENOMEM, "open cgroup %s", persisted);
  }
  if (cgroup_persisted_build(cg) < 0)
    return error_set(err, ENOMEM, "open cgroup %s", persisted);
  *out = take_ptr(cg);
  return 0;
}

/* ---- file access ---- */

static int dir_fd(struct cg_dir *d, pk_error **err) {
  if (d->dfd >= 0)
    return d->dfd;
  d->dfd = open(d->full, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (d->dfd < 0)
    return error_set(err, errno, "open cgroup %s", d->full);
  return d->dfd;
}

static int cg_write(struct cg_dir *d, const char *file, const char *val, pk_error **err) {
  int dfd = dir_fd(d, err);
  if (dfd < 0)
    return -1;
  int r = write_at(dfd, file, val);
  if (r < 0)
    return error_set(err, -r, "write \"%s\" to %s/%s", val, d->full, file);
  return 0;
}

static __attribute__((format(printf, 4, 5))) int cg_writef(struct cg_dir *d, const char *file,
                                                           pk_error **err, const char *fmt, ...) {
  char buf[256];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof(buf), fmt, ap);
  va_end(ap);
  return cg_write(d, file, buf, err);
}

static int cg_read(struct cg_dir *d, const char *file, char *buf, size_t size, pk_error **err) {
  int dfd = dir_fd(d, err);
  if (dfd < 0)
    return -1;
  ssize_t r = read_at(dfd, file, buf, size);
  if (r < 0)
    return error_set(err, (int)-r, "read %s/%s", d->full, file);
  return 0;
}

static struct cg_dir *dir_v1(struct cgroup *cg, enum ctrl c) {
  for (int i = 0; i < cg->n; i++)
    if (!cg->d[i].h->v2 && (cg->d[i].h->ctrls & BIT(c)))
      return &cg->d[i];
  return NULL;
}

static struct cg_dir *dir_v2(struct cgroup *cg) {
  for (int i = 0; i < cg->n; i++)
    if (cg->d[i].h->v2)
      return &cg->d[i];
  return NULL;
}

/* Where controller c lives: v1 when the host has it there, else v2 when the
 * cgroup2 root offers it (ctrl_v2 < 0: any v2 hierarchy will do). */
static struct cg_dir *dir_for(struct cgroup *cg, int ctrl_v1, int ctrl_v2, bool *v2) {
  struct cg_dir *d = ctrl_v1 >= 0 ? dir_v1(cg, (enum ctrl)ctrl_v1) : NULL;
  if (d) {
    *v2 = false;
    return d;
  }
  d = dir_v2(cg);
  if (d && (ctrl_v2 < 0 || (d->h->ctrls & BIT(ctrl_v2)))) {
    *v2 = true;
    return d;
  }
  return NULL;
}

/* ---- resources: parse ---- */

struct opt {
  bool set;
  int64_t v;
};

struct throttle {
  const char *file_v1, *key_v2;
  int64_t major, minor;
  uint64_t rate;
};

struct huge {
  char size[16];
  uint64_t limit;
};

struct devrule {
  bool allow;
  char type;
  int64_t major, minor; /* -1: any */
  char access[4];
};

struct res {
  struct opt mem_limit, mem_reservation, mem_swap, mem_swappiness, mem_oom;
  struct opt shares, quota, period, burst, rt_runtime, rt_period, idle;
  const char *cpus, *mems;
  struct opt pids_limit;
  struct opt blkio_weight;
  struct throttle *thr;
  size_t n_thr;
  struct huge *huge;
  size_t n_huge;
  json_t *unified;
  struct devrule *dev;
  size_t n_dev;
};

static void res_free(struct res *r) {
  free(r->thr);
  free(r->huge);
  free(r->dev);
}

#define RP "linux.resources"

static int get_int(json_t *obj, const char *key, struct opt *o, int64_t min, const char *path,
                   pk_error **err) {
  json_t *v = json_object_get(obj, key);
  if (v == NULL || json_is_null(v))
    return 0;
  if (!json_is_integer(v))
    return error_set(err, 0, "%s.%s: expected an integer", path, key);
  o->v = json_integer_value(v);
  if (o->v < min)
    return error_set(err, 0, "%s.%s: expected an integer >= %" PRId64 ", got %" PRId64, path, key,
                     min, o->v);
  o->set = true;
  return 0;
}

static int parse_devices(json_t *arr, struct res *r, pk_error **err) {
  size_t i;
  json_t *e;
  r->dev = calloc(json_array_size(arr) + 1, sizeof(*r->dev));
  if (r->dev == NULL)
    return error_set(err, ENOMEM, RP ".devices");
  json_array_foreach(arr, i, e) {
    char path[64];
    struct devrule *d = &r->dev[r->n_dev++];
    snprintf(path, sizeof(path), RP ".devices[%zu]", i);
    if (!json_is_object(e))
      return error_set(err, 0, "%s: expected an object", path);
    json_t *allow = json_object_get(e, "allow");
    if (!json_is_boolean(allow))
      return error_set(err, 0, "%s.allow: expected a boolean", path);
    d->allow = json_is_true(allow);
    const char *type = "a", *access = "rwm";
    if (json_field_string(e, "type", &type, path, err) < 0 ||
        json_field_string(e, "access", &access, path, err) < 0)
      return -1;
    if (strlen(type) != 1 || !strchr("acbu", type[0]))
      return error_set(err, 0, "%s.type: expected \"a\", \"c\" or \"b\", got \"%s\"", path, type);
    d->type = type[0] == 'u' ? 'c' : type[0];
    if (*access == '\0' || strlen(access) > 3 || strspn(access, "rwm") != strlen(access))
      return error_set(err, 0, "%s.access: expected letters of \"rwm\", got \"%s\"", path, access);
    snprintf(d->access, sizeof(d->access), "%s", access);
    struct opt maj = {0}, min = {0};
    if (get_int(e, "major", &maj, -1, path, err) < 0 ||
        get_int(e, "minor", &min, -1, path, err) < 0)
      return -1;
    d->major = maj.set ? maj.v : -1;
    d->minor = min.set ? min.v : -1;
  }
  return 0;
}

static int parse_throttle(json_t *blkio, struct res *r, pk_error **err) {
  static const struct {
    const char *key, *file_v1, *key_v2;
  } kinds[] = {
      {"throttleReadBpsDevice", "blkio.throttle.read_bps_device", "rbps"},
      {"throttleWriteBpsDevice", "blkio.throttle.write_bps_device", "wbps"},
      {"throttleReadIOPSDevice", "blkio.throttle.read_iops_device", "riops"},
      {"throttleWriteIOPSDevice", "blkio.throttle.write_iops_device", "wiops"},
  };
  size_t total = 0;
  for (size_t k = 0; k < 4; k++) {
    json_t *a;
    if (json_field_array(blkio, kinds[k].key, &a, RP ".blockIO", err) < 0)
      return -1;
    total += json_array_size(a);
  }
  r->thr = calloc(total + 1, sizeof(*r->thr));
  if (r->thr == NULL)
    return error_set(err, ENOMEM, RP ".blockIO");
  for (size_t k = 0; k < 4; k++) {
    json_t *a = json_object_get(blkio, kinds[k].key), *e;
    size_t i;
    json_array_foreach(a, i, e) {
      char path[96];
      struct opt maj = {0}, min = {0}, rate = {0};
      snprintf(path, sizeof(path), RP ".blockIO.%s[%zu]", kinds[k].key, i);
      if (!json_is_object(e))
        return error_set(err, 0, "%s: expected an object", path);
      if (get_int(e, "major", &maj, 0, path, err) < 0 ||
          get_int(e, "minor", &min, 0, path, err) < 0 ||
          get_int(e, "rate", &rate, 0, path, err) < 0)
        return -1;
      if (!maj.set || !min.set || !rate.set)
        return error_set(err, 0, "%s: expected major, minor and rate", path);
      r->thr[r->n_thr++] =
          (struct throttle){kinds[k].file_v1, kinds[k].key_v2, maj.v, min.v, (uint64_t)rate.v};
    }
  }
  return 0;
}

static int parse_hugepages(json_t *arr, struct res *r, pk_error **err) {
  size_t i;
  json_t *e;
  r->huge = calloc(json_array_size(arr) + 1, sizeof(*r->huge));
  if (r->huge == NULL)
    return error_set(err, ENOMEM, RP ".hugepageLimits");
  json_array_foreach(arr, i, e) {
    char path[64];
    const char *size = NULL;
    struct opt limit = {0};
    snprintf(path, sizeof(path), RP ".hugepageLimits[%zu]", i);
    if (!json_is_object(e))
      return error_set(err, 0, "%s: expected an object", path);
    if (json_field_string(e, "pageSize", &size, path, err) < 0 ||
        get_int(e, "limit", &limit, 0, path, err) < 0)
      return -1;
    size_t digits = size ? strspn(size, "0123456789") : 0;
    if (size == NULL || digits == 0 || strlen(size) >= sizeof(r->huge[0].size) ||
        (strcmp(size + digits, "KB") != 0 && strcmp(size + digits, "MB") != 0 &&
         strcmp(size + digits, "GB") != 0))
      return error_set(err, 0, "%s.pageSize: expected a size like \"2MB\", got \"%s\"", path,
                       size ? size : "");
    if (!limit.set)
      return error_set(err, 0, "%s.limit: expected an integer", path);
    snprintf(r->huge[r->n_huge].size, sizeof(r->huge[0].size), "%s", size);
    r->huge[r->n_huge++].limit = (uint64_t)limit.v;
  }
  return 0;
}

static int res_parse(json_t *j, struct res *r, pk_error **err) {
  json_t *mem, *cpu, *pids, *blkio, *arr;

  memset(r, 0, sizeof(*r));
  if (j == NULL || json_is_null(j))
    return 0;
  if (!json_is_object(j))
    return error_set(err, 0, RP ": expected an object");
  if (json_field_object(j, "memory", &mem, RP, err) < 0 ||
      json_field_object(j, "cpu", &cpu, RP, err) < 0 ||
      json_field_object(j, "pids", &pids, RP, err) < 0 ||
      json_field_object(j, "blockIO", &blkio, RP, err) < 0)
    return -1;
  if (mem) {
    json_t *oom = json_object_get(mem, "disableOOMKiller");
    if (get_int(mem, "limit", &r->mem_limit, -1, RP ".memory", err) < 0 ||
        get_int(mem, "reservation", &r->mem_reservation, -1, RP ".memory", err) < 0 ||
        get_int(mem, "swap", &r->mem_swap, -1, RP ".memory", err) < 0 ||
        get_int(mem, "swappiness", &r->mem_swappiness, 0, RP ".memory", err) < 0)
      return -1;
    if (r->mem_swappiness.set && r->mem_swappiness.v > 100)
      return error_set(err, 0, RP ".memory.swappiness: expected 0..100, got %" PRId64,
                       r->mem_swappiness.v);
    if (oom && !json_is_null(oom)) {
      if (!json_is_boolean(oom))
        return error_set(err, 0, RP ".memory.disableOOMKiller: expected a boolean");
      r->mem_oom = (struct opt){true, json_is_true(oom)};
    }
  }
  if (cpu) {
    if (get_int(cpu, "shares", &r->shares, 0, RP ".cpu", err) < 0 ||
        get_int(cpu, "quota", &r->quota, -1, RP ".cpu", err) < 0 ||
        get_int(cpu, "period", &r->period, 0, RP ".cpu", err) < 0 ||
        get_int(cpu, "burst", &r->burst, 0, RP ".cpu", err) < 0 ||
        get_int(cpu, "realtimeRuntime", &r->rt_runtime, -1, RP ".cpu", err) < 0 ||
        get_int(cpu, "realtimePeriod", &r->rt_period, 0, RP ".cpu", err) < 0 ||
        get_int(cpu, "idle", &r->idle, INT64_MIN, RP ".cpu", err) < 0 ||
        json_field_string(cpu, "cpus", &r->cpus, RP ".cpu", err) < 0 ||
        json_field_string(cpu, "mems", &r->mems, RP ".cpu", err) < 0)
      return -1;
    if (r->idle.set && r->idle.v != 0 && r->idle.v != 1)
      return error_set(err, 0, RP ".cpu.idle: expected 0 or 1, got %" PRId64, r->idle.v);
    if (r->cpus && *r->cpus == '\0')
      r->cpus = NULL;
    if (r->mems && *r->mems == '\0')
      r->mems = NULL;
  }
  if (pids && get_int(pids, "limit", &r->pids_limit, INT64_MIN, RP ".pids", err) < 0)
    return -1;
  if (blkio) {
    if (get_int(blkio, "weight", &r->blkio_weight, 0, RP ".blockIO", err) < 0)
      return -1;
    if (r->blkio_weight.set && r->blkio_weight.v != 0 &&
        (r->blkio_weight.v < 10 || r->blkio_weight.v > 1000))
      return error_set(err, 0, RP ".blockIO.weight: expected 10..1000, got %" PRId64,
                       r->blkio_weight.v);
    if (parse_throttle(blkio, r, err) < 0)
      return -1;
  }
  if (json_field_array(j, "hugepageLimits", &arr, RP, err) < 0)
    return -1;
  if (arr && parse_hugepages(arr, r, err) < 0)
    return -1;
  if (json_field_array(j, "devices", &arr, RP, err) < 0)
    return -1;
  if (arr && parse_devices(arr, r, err) < 0)
    return -1;
  /* No net_cls/net_prio/rdma support: refused rather than ignored, so that a
   * limit the config asks for is never silently missing */
  {
    static const char *const unsupported[] = {"network", "rdma"};
    for (size_t k = 0; k < 2; k++) {
      json_t *u = json_object_get(j, unsupported[k]);
      if (u && !json_is_null(u) && !(json_is_object(u) && json_object_size(u) == 0))
        return error_set(err, 0, RP ".%s: not supported (podrun sets no %s cgroup limits)",
                         unsupported[k], k == 0 ? "net_cls/net_prio" : "rdma");
    }
  }
  if (json_field_object(j, "unified", &r->unified, RP, err) < 0)
    return -1;
  if (r->unified) {
    const char *k;
    json_t *v;
    json_object_foreach(r->unified, k, v) {
      if (!json_is_string(v))
        return error_set(err, 0, RP ".unified.%s: expected a string", k);
      const char *dot = strchr(k, '.');
      if (strchr(k, '/') || dot == NULL || dot == k || dot[1] == '\0')
        return error_set(err, 0, RP ".unified: invalid key \"%s\" (expected CONTROLLER.FILE)", k);
    }
  }
  return 0;
}

/* The v2 controllers the resources need enabled down to the leaf. */
static unsigned res_v2_needs(struct cgroup *cg, const struct res *r) {
  unsigned need = 0;
  bool v2;
#define NEED(cond, c1, c2)                                                                         \
  if ((cond) && dir_for(cg, c1, c2, &v2) && v2)                                                    \
    need |= BIT(c2);
  NEED(r->mem_limit.set || r->mem_reservation.set || r->mem_swap.set, C_MEMORY, C_MEMORY);
  NEED(r->shares.set || r->quota.set || r->period.set || r->burst.set || r->idle.set, C_CPU, C_CPU);
  NEED(r->cpus || r->mems, C_CPUSET, C_CPUSET);
  NEED(r->pids_limit.set, C_PIDS, C_PIDS);
  NEED(r->blkio_weight.set || r->n_thr, C_BLKIO, C_IO);
  NEED(r->n_huge, C_HUGETLB, C_HUGETLB);
#undef NEED
  if (r->unified) {
    const char *k;
    json_t *v;
    json_object_foreach(r->unified, k, v) {
      for (int c = 0; c < C_COUNT; c++)
        if (strncmp(k, ctrl_names[c], strlen(ctrl_names[c])) == 0 &&
            k[strlen(ctrl_names[c])] == '.')
          need |= BIT(c);
    }
  }
  return need;
}

/* ---- resources: apply ---- */

static const char *i64_or_max(int64_t v, char *buf, size_t size) {
  if (v < 0)
    return "max";
  snprintf(buf, size, "%" PRId64, v);
  return buf;
}

static int apply_memory(struct cgroup *cg, const struct res *r, pk_error **err) {
  bool v2;
  char b1[32], b2[32];
  if (!r->mem_limit.set && !r->mem_reservation.set && !r->mem_swap.set && !r->mem_swappiness.set &&
      !r->mem_oom.set)
    return 0;
  struct cg_dir *d = dir_for(cg, C_MEMORY, C_MEMORY, &v2);
  if (d == NULL)
    return error_set(err, 0, RP ".memory: the host has no memory cgroup controller");
  if (v2) {
    if (r->mem_reservation.set &&
        cg_write(d, "memory.low", i64_or_max(r->mem_reservation.v, b1, sizeof(b1)), err) < 0)
      return -1;
    if (r->mem_swap.set) {
      int64_t lim = r->mem_limit.set ? r->mem_limit.v : -1, sw = r->mem_swap.v, v;
      if (lim == -1 && sw == 0)
        v = -1;
      else if (sw == -1 || sw == 0)
        v = sw;
      else if (lim <= 0)
        return error_set(err, 0, RP ".memory.swap: a swap limit needs a memory limit");
      else if (sw < lim)
        return error_set(err, 0, RP ".memory.swap: must be >= memory.limit (%" PRId64 ")", lim);
      else
        v = sw - lim;
      if (cg_write(d, "memory.swap.max", i64_or_max(v, b1, sizeof(b1)), err) < 0)
        return -1;
    }
    if (r->mem_limit.set &&
        cg_write(d, "memory.max", i64_or_max(r->mem_limit.v, b1, sizeof(b1)), err) < 0)
      return -1;
    return 0;
  }
  if (r->mem_reservation.set &&
      cg_writef(d, "memory.soft_limit_in_bytes", err, "%" PRId64, r->mem_reservation.v) < 0)
    return -1;
  if (r->mem_limit.set || r->mem_swap.set) {
    snprintf(b1, sizeof(b1), "%" PRId64, r->mem_limit.v);
    snprintf(b2, sizeof(b2), "%" PRId64, r->mem_swap.v);
    /* memory.memsw.limit_in_bytes must stay >= memory.limit_in_bytes at every
     * step, so which file goes first depends on the values already there. */
    if (r->mem_limit.set && r->mem_swap.set) {
      int dfd = dir_fd(d, err);
      if (dfd < 0)
        return -1;
      if (write_at(dfd, "memory.limit_in_bytes", b1) < 0) {
        if (cg_write(d, "memory.memsw.limit_in_bytes", b2, err) < 0 ||
            cg_write(d, "memory.limit_in_bytes", b1, err) < 0)
          return -1;
      } else if (cg_write(d, "memory.memsw.limit_in_bytes", b2, err) < 0)
        return -1;
    } else if (r->mem_limit.set) {
      if (cg_write(d, "memory.limit_in_bytes", b1, err) < 0)
        return -1;
    } else if (cg_write(d, "memory.memsw.limit_in_bytes", b2, err) < 0)
      return -1;
  }
  if (r->mem_swappiness.set &&
      cg_writef(d, "memory.swappiness", err, "%" PRId64, r->mem_swappiness.v) < 0)
    return -1;
  if (r->mem_oom.set && cg_write(d, "memory.oom_control", r->mem_oom.v ? "1" : "0", err) < 0)
    return -1;
  return 0;
}

static int apply_cpu(struct cgroup *cg, const struct res *r, pk_error **err) {
  bool v2;
  char b[64];
  if (r->shares.set || r->quota.set || r->period.set || r->burst.set || r->idle.set ||
      r->rt_runtime.set || r->rt_period.set) {
    struct cg_dir *d = dir_for(cg, C_CPU, C_CPU, &v2);
    if (d == NULL)
      return error_set(err, 0, RP ".cpu: the host has no cpu cgroup controller");
    if (v2) {
      if (r->rt_runtime.set || r->rt_period.set)
        return error_set(err, 0, RP ".cpu.realtimeRuntime: not supported on cgroup v2");
      /* runc's conversion of shares [2, 262144] to weight [1, 10000]. */
      if (r->shares.set && r->shares.v != 0) {
        int64_t s = r->shares.v < 2 ? 2 : r->shares.v > 262144 ? 262144 : r->shares.v;
        if (cg_writef(d, "cpu.weight", err, "%" PRId64, 1 + ((s - 2) * 9999) / 262142) < 0)
          return -1;
      }
      if (r->quota.set || r->period.set) {
        char q[32] = "max";
        int64_t period = r->period.set && r->period.v ? r->period.v : 100000;
        if (r->quota.set && r->quota.v > 0)
          snprintf(q, sizeof(q), "%" PRId64, r->quota.v);
        else if (!r->quota.set && cg_read(d, "cpu.max", b, sizeof(b), err) == 0)
          sscanf(b, "%31s", q); /* only the period changes */
        error_free(err);
        if (cg_writef(d, "cpu.max", err, "%s %" PRId64, q, period) < 0)
          return -1;
      }
      if (r->burst.set && cg_writef(d, "cpu.max.burst", err, "%" PRId64, r->burst.v) < 0)
        return -1;
    } else {
      if (r->shares.set && r->shares.v != 0 &&
          cg_writef(d, "cpu.shares", err, "%" PRId64, r->shares.v) < 0)
        return -1;
      /* The period first: the kernel checks quota/period against the parent. */
      if (r->period.set && r->period.v != 0 &&
          cg_writef(d, "cpu.cfs_period_us", err, "%" PRId64, r->period.v) < 0)
        return -1;
      if (r->quota.set && r->quota.v != 0 &&
          cg_writef(d, "cpu.cfs_quota_us", err, "%" PRId64, r->quota.v) < 0)
        return -1;
      if (r->burst.set && cg_writef(d, "cpu.cfs_burst_us", err, "%" PRId64, r->burst.v) < 0)
        return -1;
      if (r->rt_period.set && r->rt_period.v != 0 &&
          cg_writef(d, "cpu.rt_period_us", err, "%" PRId64, r->rt_period.v) < 0)
        return -1;
      if (r->rt_runtime.set && r->rt_runtime.v != 0 &&
          cg_writef(d, "cpu.rt_runtime_us", err, "%" PRId64, r->rt_runtime.v) < 0)
        return -1;
    }
    if (r->idle.set && cg_writef(d, "cpu.idle", err, "%" PRId64, r->idle.v) < 0)
      return -1;
  }
  if (r->cpus || r->mems) {
    struct cg_dir *d = dir_for(cg, C_CPUSET, C_CPUSET, &v2);
    if (d == NULL)
      return error_set(err, 0, RP ".cpu.cpus: the host has no cpuset cgroup controller");
    if (r->mems && cg_write(d, "cpuset.mems", r->mems, err) < 0)
      return -1;
    if (r->cpus && cg_write(d, "cpuset.cpus", r->cpus, err) < 0)
      return -1;
  }
  return 0;
}

static int apply_pids_blkio_huge(struct cgroup *cg, const struct res *r, pk_error **err) {
  bool v2;
  char b[32];
  if (r->pids_limit.set && r->pids_limit.v != 0) {
    struct cg_dir *d = dir_for(cg, C_PIDS, C_PIDS, &v2);
    if (d == NULL)
      return error_set(err, 0, RP ".pids: the host has no pids cgroup controller");
    if (cg_write(d, "pids.max", i64_or_max(r->pids_limit.v, b, sizeof(b)), err) < 0)
      return -1;
  }
  if ((r->blkio_weight.set && r->blkio_weight.v != 0) || r->n_thr) {
    struct cg_dir *d = dir_for(cg, C_BLKIO, C_IO, &v2);
    if (d == NULL)
      return error_set(err, 0, RP ".blockIO: the host has no blkio/io cgroup controller");
    if (r->blkio_weight.set && r->blkio_weight.v != 0) {
      int64_t w = r->blkio_weight.v;
      int dfd = dir_fd(d, err);
      if (dfd < 0)
        return -1;
      snprintf(b, sizeof(b), "%" PRId64, w);
      /* The CFQ file is gone from current kernels; BFQ takes the same range
       * and io.weight wants [1, 10000]. */
      int rc = write_at(dfd, v2 ? "io.bfq.weight" : "blkio.weight", b);
      if (rc == -ENOENT && v2)
        rc = cg_writef(d, "io.weight", err, "%" PRId64, 1 + (w - 10) * 9999 / 990);
      else if (rc == -ENOENT)
        rc = cg_write(d, "blkio.bfq.weight", b, err);
      else if (rc < 0)
        rc = error_set(err, -rc, "write \"%s\" to %s/%s", b, d->full,
                       v2 ? "io.bfq.weight" : "blkio.weight");
      if (rc < 0)
        return -1;
    }
    for (size_t i = 0; i < r->n_thr; i++) {
      const struct throttle *t = &r->thr[i];
      int rc = v2 ? cg_writef(d, "io.max", err, "%" PRId64 ":%" PRId64 " %s=%" PRIu64, t->major,
                              t->minor, t->key_v2, t->rate)
                  : cg_writef(d, t->file_v1, err, "%" PRId64 ":%" PRId64 " %" PRIu64, t->major,
                              t->minor, t->rate);
      if (rc < 0)
        return -1;
    }
  }
  for (size_t i = 0; i < r->n_huge; i++) {
    char file[64];
    struct cg_dir *d = dir_for(cg, C_HUGETLB, C_HUGETLB, &v2);
    if (d == NULL)
      return error_set(err, 0, RP ".hugepageLimits: the host has no hugetlb cgroup controller");
    snprintf(file, sizeof(file), v2 ? "hugetlb.%s.max" : "hugetlb.%s.limit_in_bytes",
             r->huge[i].size);
    if (cg_writef(d, file, err, "%" PRIu64, r->huge[i].limit) < 0) {
      /* no such file: the kernel has no huge pages of that size */
      if (*err && (*err)->errnum == ENOENT) {
        error_free(err);
        return error_set_code(
            err, ENOENT,
            RP ".hugepageLimits[%zu].pageSize: no %s huge pages on this host (no %s/%s)", i,
            r->huge[i].size, d->full, file);
      }
      return error_wrap(err, RP ".hugepageLimits[%zu]", i);
    }
  }
  return 0;
}

/* ---- cgroup v2 device filter (eBPF) ---- */

#define INSN(code, dst, src, off, imm) ((struct bpf_insn){(code), (dst), (src), (off), (imm)})

/* The program sees struct bpf_cgroup_dev_ctx {access_type = access << 16 |
 * type, major, minor} and returns 1 to allow.  Rules are tested last first
 * and the first that matches decides, which is the OCI "later rules win"
 * order; a wildcard rule ("a", any numbers, rwm) only sets the default and
 * makes everything before it moot. */
static int devices_bpf_build(const struct devrule *r, size_t n, struct bpf_insn **out,
                             size_t *n_out) {
  size_t start = 0;
  int def = 1; /* no wildcard rule: the kernel's own default, allow */
  for (size_t i = 0; i < n; i++)
    if (r[i].type == 'a' && r[i].major < 0 && r[i].minor < 0 && strcmp(r[i].access, "rwm") == 0) {
      def = r[i].allow;
      start = i + 1;
    }
  struct bpf_insn *p = calloc(6 + (n - start) * 8 + 2, sizeof(*p));
  size_t k = 0;
  /* The jump offsets read k: store only once the instruction is built. */
#define EMIT(insn)                                                                                 \
  do {                                                                                             \
    struct bpf_insn insn_ = (insn);                                                                \
    p[k++] = insn_;                                                                                \
  } while (0)
  if (p == NULL)
    return -1;
  EMIT(INSN(BPF_LDX | BPF_MEM | BPF_W, BPF_REG_2, BPF_REG_1, 0, 0));
  EMIT(INSN(BPF_ALU | BPF_AND | BPF_K, BPF_REG_2, 0, 0, 0xffff)); /* type */
  EMIT(INSN(BPF_LDX | BPF_MEM | BPF_W, BPF_REG_3, BPF_REG_1, 0, 0));
  EMIT(INSN(BPF_ALU | BPF_RSH | BPF_K, BPF_REG_3, 0, 0, 16)); /* access */
  EMIT(INSN(BPF_LDX | BPF_MEM | BPF_W, BPF_REG_4, BPF_REG_1, 4, 0));
  EMIT(INSN(BPF_LDX | BPF_MEM | BPF_W, BPF_REG_5, BPF_REG_1, 8, 0));
  for (size_t i = n; i-- > start;) {
    const struct devrule *d = &r[i];
    int acc = 0;
    for (const char *a = d->access; *a; a++)
      acc |= *a == 'r' ? BPF_DEVCG_ACC_READ : *a == 'w' ? BPF_DEVCG_ACC_WRITE : BPF_DEVCG_ACC_MKNOD;
    bool all_acc = acc == (BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE | BPF_DEVCG_ACC_MKNOD);
    size_t len = (d->type != 'a') + (all_acc ? 0 : 3) + (d->major >= 0) + (d->minor >= 0) + 2;
    size_t end = k + len; /* a failed test jumps to the next block */
#define NEXT ((short)(end - (k + 1)))
    if (d->type != 'a')
      EMIT(INSN(BPF_JMP | BPF_JNE | BPF_K, BPF_REG_2, 0, NEXT,
                d->type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR));
    if (!all_acc) {
      /* An allow rule must cover every requested access; a deny rule
       * matches when it covers any of them. */
      EMIT(INSN(BPF_ALU | BPF_MOV | BPF_X, BPF_REG_1, BPF_REG_3, 0, 0));
      EMIT(INSN(BPF_ALU | BPF_AND | BPF_K, BPF_REG_1, 0, 0, d->allow ? ~acc & 7 : acc));
      EMIT(INSN(BPF_JMP | (d->allow ? BPF_JNE : BPF_JEQ) | BPF_K, BPF_REG_1, 0, NEXT, 0));
    }
    if (d->major >= 0)
      EMIT(INSN(BPF_JMP | BPF_JNE | BPF_K, BPF_REG_4, 0, NEXT, (int)d->major));
    if (d->minor >= 0)
      EMIT(INSN(BPF_JMP | BPF_JNE | BPF_K, BPF_REG_5, 0, NEXT, (int)d->minor));
#undef NEXT
    EMIT(INSN(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, d->allow ? 1 : 0));
    EMIT(INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0));
  }
  EMIT(INSN(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, def));
  EMIT(INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0));
#undef EMIT
  *out = p;
  *n_out = k;
  return 0;
}

static long bpf_call(int cmd, union bpf_attr *attr) {
  return syscall(SYS_bpf, cmd, attr, sizeof(*attr));
}

/* Attach the program for rules to the cgroup2 directory, then detach the
 * ones attached before (an update), so the new rules replace the old. */
static int devices_bpf_attach(int dir_fd, const struct devrule *rules, size_t n, const char *what,
                              pk_error **err) {
  cleanup_free struct bpf_insn *insns = NULL;
  size_t n_insns;
  union bpf_attr a;
  uint32_t old[64], n_old = 0;
  char log[1024] = "";

  if (devices_bpf_build(rules, n, &insns, &n_insns) < 0)
    return error_set(err, ENOMEM, "%s: device filter", what);
  memset(&a, 0, sizeof(a));
  a.query.target_fd = (uint32_t)dir_fd;
  a.query.attach_type = BPF_CGROUP_DEVICE;
  a.query.prog_ids = (uint64_t)(uintptr_t)old;
  a.query.prog_cnt = 64;
  if (bpf_call(BPF_PROG_QUERY, &a) == 0)
    n_old = a.query.prog_cnt;

  /* Without a log first: a verbose log that does not fit fails the load. */
  int prog = -1;
  for (int with_log = 0; prog < 0 && with_log < 2; with_log++) {
    memset(&a, 0, sizeof(a));
    a.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
    a.insns = (uint64_t)(uintptr_t)insns;
    a.insn_cnt = (uint32_t)n_insns;
    a.license = (uint64_t)(uintptr_t) "MIT";
    if (with_log) {
      a.log_buf = (uint64_t)(uintptr_t)log;
      a.log_size = sizeof(log);
      a.log_level = 1;
    }
    prog = (int)bpf_call(BPF_PROG_LOAD, &a);
    if (prog < 0 && (with_log || errno == EPERM))
      return error_set(err, errno, "%s: load the eBPF device filter%s%.200s", what,
                       *log ? ": " : "", log);
  }
  memset(&a, 0, sizeof(a));
  a.target_fd = (uint32_t)dir_fd;
  a.attach_bpf_fd = (uint32_t)prog;
  a.attach_type = BPF_CGROUP_DEVICE;
  a.attach_flags = BPF_F_ALLOW_MULTI;
  int rc = (int)bpf_call(BPF_PROG_ATTACH, &a);
  int e = errno;
  close(prog);
  if (rc < 0)
    return error_set(err, e, "%s: attach the eBPF device filter", what);
  for (uint32_t i = 0; i < n_old && i < 64; i++) {
    memset(&a, 0, sizeof(a));
    a.prog_id = old[i];
    int ofd = (int)bpf_call(BPF_PROG_GET_FD_BY_ID, &a);
    if (ofd < 0)
      continue;
    memset(&a, 0, sizeof(a));
    a.target_fd = (uint32_t)dir_fd;
    a.attach_bpf_fd = (uint32_t)ofd;
    a.attach_type = BPF_CGROUP_DEVICE;
    bpf_call(BPF_PROG_DETACH, &a);
    close(ofd);
  }
  return 0;
}

json_t *cgroup_resources_with_devices(json_t *resources, json_t *linux_devices, pk_error **err) {
  static const struct {
    char type;
    int major, minor;
    const char *access;
  } defaults[] = {
      {'c', -1, -1, "m"}, {'b', -1, -1, "m"},    {'c', 1, 3, "rwm"}, {'c', 1, 8, "rwm"},
      {'c', 1, 7, "rwm"}, {'c', 5, 0, "rwm"},    {'c', 1, 5, "rwm"}, {'c', 1, 9, "rwm"},
      {'c', 5, 1, "rwm"}, {'c', 136, -1, "rwm"}, {'c', 5, 2, "rwm"}, {'c', 10, 200, "rwm"},
  };
  json_t *res = resources && json_is_object(resources) ? json_copy(resources) : json_object();
  json_t *old = res ? json_object_get(res, "devices") : NULL;
  json_t *list = json_is_array(old) ? json_copy(old) : json_array();
  if (res == NULL || list == NULL || json_object_set_new(res, "devices", list) < 0) {
    json_decref(res);
    error_set(err, ENOMEM, RP ".devices");
    return NULL;
  }
  for (size_t i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i++) {
    json_t *r = json_pack("{s:b, s:s%, s:s}", "allow", 1, "type", &defaults[i].type, (size_t)1,
                          "access", defaults[i].access);
    if (r && defaults[i].major >= 0)
      json_object_set_new(r, "major", json_integer(defaults[i].major));
    if (r && defaults[i].minor >= 0)
      json_object_set_new(r, "minor", json_integer(defaults[i].minor));
    if (r == NULL || json_array_append_new(list, r) < 0)
      goto nomem;
  }
  size_t i;
  json_t *d;
  json_array_foreach(linux_devices, i, d) {
    json_t *type = json_object_get(d, "type"), *maj = json_object_get(d, "major"),
           *min = json_object_get(d, "minor");
    const char *t = json_string_value(type);
    if (t == NULL || strlen(t) != 1 || !strchr("cbup", t[0])) {
      json_decref(res);
      error_set(err, 0, "linux.devices[%zu].type: expected \"c\", \"b\", \"u\" or \"p\"", i);
      return NULL;
    }
    if (t[0] == 'p') /* a FIFO is not a device the cgroup controls */
      continue;
    if (!json_is_integer(maj) || !json_is_integer(min)) {
      json_decref(res);
      error_set(err, 0, "linux.devices[%zu]: expected integer major and minor", i);
      return NULL;
    }
    /* the kernel's dev_t: 12 bits of major, 20 of minor; checked here, before
     * the cgroup rule, so that the error names the field that is wrong */
    bool maj_bad = json_integer_value(maj) < 0 || json_integer_value(maj) > 4095;
    if (maj_bad || json_integer_value(min) < 0 || json_integer_value(min) > 1048575) {
      json_decref(res);
      error_set(err, 0, "linux.devices[%zu].%s: expected an integer between 0 and %d", i,
                maj_bad ? "major" : "minor", maj_bad ? 4095 : 1048575);
      return NULL;
    }
    json_t *r = json_pack("{s:b, s:s, s:O, s:O, s:s}", "allow", 1, "type", t[0] == 'b' ? "b" : "c",
                          "major", maj, "minor", min, "access", "rwm");
    if (r == NULL || json_array_append_new(list, r) < 0)
      goto nomem;
  }
  return res;
nomem:
  json_decref(res);
  error_set(err, ENOMEM, RP ".devices");
  return NULL;
}

int cgroup_devices_bpf_attach(int dir_fd, json_t *devices, pk_error **err) {
  json_t *res = json_pack("{s:O}", "devices", devices);
  struct res r = {0};
  int rc = res ? res_parse(res, &r, err) : error_set(err, ENOMEM, RP ".devices");
  if (rc == 0)
    rc = devices_bpf_attach(dir_fd, r.dev, r.n_dev, RP ".devices", err);
  if (res)
    res_free(&r);
  json_decref(res);
  return rc;
}

static int apply_devices(struct cgroup *cg, const struct res *r, pk_error **err) {
  if (r->n_dev == 0)
    return 0;
  struct cg_dir *d = dir_v1(cg, C_DEVICES);
  if (d == NULL) {
    /* cgroup v2 has no devices files: an eBPF program does the job.  It
     * needs a readable directory fd, not an O_PATH one. */
    d = dir_v2(cg);
    if (d == NULL)
      return error_set(err, 0, RP ".devices: the host has no devices cgroup controller");
    cleanup_close int fd = open(d->full, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
      return error_set(err, errno, "open cgroup %s", d->full);
    return devices_bpf_attach(fd, r->dev, r->n_dev, RP ".devices", err);
  }
  /* One open per file for the whole list: every write(2) is one rule, and
   * a container start writes a dozen of them. */
  int fds[2] = {-1, -1}, rc = 0;
  int dfd = dir_fd(d, err);
  if (dfd < 0)
    return -1;
  for (size_t i = 0; i < r->n_dev && rc == 0; i++) {
    const struct devrule *dv = &r->dev[i];
    const char *file = dv->allow ? "devices.allow" : "devices.deny";
    int *fd = &fds[dv->allow ? 1 : 0];
    char maj[24] = "*", min[24] = "*", rule[2][80];
    int n_rules = 1;
    if (dv->major >= 0)
      snprintf(maj, sizeof(maj), "%" PRId64, dv->major);
    if (dv->minor >= 0)
      snprintf(min, sizeof(min), "%" PRId64, dv->minor);
    if (dv->type == 'a' && dv->major < 0 && dv->minor < 0 && strcmp(dv->access, "rwm") == 0)
      snprintf(rule[0], sizeof(rule[0]), "a");
    else if (dv->type == 'a') { /* v1 reads "a" as everything: spell it out */
      snprintf(rule[0], sizeof(rule[0]), "c %s:%s %s", maj, min, dv->access);
      snprintf(rule[1], sizeof(rule[1]), "b %s:%s %s", maj, min, dv->access);
      n_rules = 2;
    } else
      snprintf(rule[0], sizeof(rule[0]), "%c %s:%s %s", dv->type, maj, min, dv->access);
    if (*fd < 0) {
      *fd = openat(dfd, file, O_WRONLY | O_CLOEXEC);
      if (*fd < 0) {
        rc = error_set(err, errno, "open %s/%s", d->full, file);
        break;
      }
    }
    for (int k = 0; k < n_rules && rc == 0; k++) {
      ssize_t w;
      size_t len = strlen(rule[k]);
      do
        w = write(*fd, rule[k], len);
      while (w < 0 && errno == EINTR);
      if (w != (ssize_t)len)
        rc = error_set(err, w < 0 ? errno : EIO, "write \"%s\" to %s/%s", rule[k], d->full, file);
    }
    if (rc < 0)
      error_wrap(err, RP ".devices[%zu]", i);
  }
  for (int k = 0; k < 2; k++)
    if (fds[k] >= 0)
      close(fds[k]);
  return rc;
}

static int apply_unified(struct cgroup *cg, const struct res *r, pk_error **err) {
  const char *k;
  json_t *v;
  if (r->unified == NULL)
    return 0;
  struct cg_dir *d = dir_v2(cg);
  json_object_foreach(r->unified, k, v) {
    if (d == NULL)
      return error_set(err, 0, RP ".unified.%s: the host has no cgroup v2 hierarchy", k);
    if (!str_has_prefix(k, "cgroup.")) {
      int c;
      for (c = 0; c < C_COUNT; c++)
        if (strncmp(k, ctrl_names[c], strlen(ctrl_names[c])) == 0 &&
            k[strlen(ctrl_names[c])] == '.')
          break;
      if (c == C_COUNT || !(d->h->ctrls & BIT(c))) {
        int len = (int)(strchr(k, '.') - k);
        return error_set(err, 0, RP ".unified.%s: controller %.*s is not on cgroup v2 on this host",
                         k, len, k);
      }
    }
    if (cg_write(d, k, json_string_value(v), err) < 0)
      return error_wrap(err, RP ".unified.%s", k);
  }
  return 0;
}

static int res_apply(struct cgroup *cg, const struct res *r, pk_error **err) {
  if (apply_cpu(cg, r, err) < 0 || apply_memory(cg, r, err) < 0 ||
      apply_pids_blkio_huge(cg, r, err) < 0 || apply_devices(cg, r, err) < 0 ||
      apply_unified(cg, r, err) < 0)
    return -1;
  return 0;
}

/* ---- create / destroy ---- */

/* A new v1 cpuset starts with empty cpus and mems, which refuses tasks: copy
 * the parent's. */
static int cpuset_copy_parent(const char *dir, pk_error **err) {
  cleanup_free char *parent = strdup(dir);
  char buf[1024];
  if (parent == NULL)
    return error_set(err, ENOMEM, "cpuset %s", dir);
  *strrchr(parent, '/') = '\0';
  cleanup_close int pfd = open(parent, O_PATH | O_DIRECTORY | O_CLOEXEC);
  cleanup_close int dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (pfd < 0 || dfd < 0)
    return error_set(err, errno, "open cpuset %s", dir);
  static const char *const files[] = {"cpuset.cpus", "cpuset.mems"};
  bool filled = false;
  for (int i = 0; i < 2; i++) {
    ssize_t n = read_at(pfd, files[i], buf, sizeof(buf));
    if (n < 0)
      return error_set(err, (int)-n, "read %s/%s", parent, files[i]);
    buf[strcspn(buf, "\n")] = '\0'; /* the kernel takes it without; errors quote it */
    if (*buf == '\0' && !filled) {
      /* An empty parent is one a parallel create (same parent) has just
       * made and not filled yet: copying its emptiness would make join fail
       * with ENOSPC.  Fill it from its own parent, with the values its maker
       * writes too, then read it again. */
      if (cpuset_copy_parent(parent, err) < 0)
        return -1;
      filled = true;
      i--;
      continue;
    }
    int r = write_at(dfd, files[i], buf);
    if (r < 0)
      return error_set(err, -r, "write \"%s\" to %s/%s", buf, dir, files[i]);
  }
  return 0;
}

static int dir_make(struct cg_dir *d, unsigned v2_need, pk_error **err) {
  const struct hier *h = d->h;
  cleanup_free char *p = strdup(d->full);
  size_t mlen = strlen(h->mnt);
  bool simple = !(h->v2 && v2_need) && !(!h->v2 && (h->ctrls & BIT(C_CPUSET)));

  if (p == NULL)
    return error_set(err, ENOMEM, "mkdir %s", d->full);
  if (simple && mkdir(p, 0755) == 0) {
    d->created = 1;
  } else if (simple && errno == EEXIST) {
    d->created = 0;
  } else {
    /* Component by component from the mount point down: needed for parents
     * that do not exist yet, for cpuset, and for v2 subtree_control. */
    char ctl[256] = "";
    if (h->v2)
      for (int c = 0; c < C_COUNT; c++)
        if (v2_need & h->ctrls & BIT(c))
          snprintf(ctl + strlen(ctl), sizeof(ctl) - strlen(ctl), "%s+%s", *ctl ? " " : "",
                   ctrl_names[c]);
    d->created = 0;
    for (char *s = p + mlen;;) {
      char *next = strchr(s + 1, '/');
      if (*ctl) {
        /* Enable in the parent what the child needs.  Failure is left to the
         * resource write that needs it, which names the file. */
        char saved = *s;
        *s = '\0';
        int pfd = open(*p ? p : "/", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (pfd >= 0) {
          write_at(pfd, "cgroup.subtree_control", ctl);
          close(pfd);
        }
        *s = saved;
      }
      if (next)
        *next = '\0';
      if (mkdir(p, 0755) == 0) {
        d->created++;
        if (!h->v2 && (h->ctrls & BIT(C_CPUSET)) && cpuset_copy_parent(p, err) < 0)
          goto fail_below;
      } else if (errno != EEXIST) {
        error_set(err, errno, "mkdir %s", p);
        d->created++; /* not made: its rmdir gives ENOENT, as below */
        goto fail_below;
      } else if (d->created)
        return error_set(err, EEXIST, "mkdir %s", p);
      if (next == NULL)
        break;
      *next = '/';
      s = next;
      continue;
    fail_below:
      /* dir_unmake counts from the leaf up: count the components below
       * this one too (never made), so that it reaches those we made */
      if (next) {
        *next = '/';
        for (char *q = next; q; q = strchr(q + 1, '/'))
          d->created++;
      }
      return -1;
    }
  }
  if (dir_fd(d, err) < 0)
    return -1;
  return 0;
}

/* Remove the directories this process made, deepest first. */
static void dir_unmake(struct cg_dir *d) {
  if (d->dfd >= 0) {
    close(d->dfd);
    d->dfd = -1;
  }
  if (d->full == NULL || d->created == 0)
    return;
  cleanup_free char *p = strdup(d->full);
  if (p == NULL)
    return;
  for (int i = 0; i < d->created; i++) {
    if (rmdir(p) < 0 && errno != ENOENT)
      break;
    *strrchr(p, '/') = '\0';
  }
  d->created = 0;
}

static int dir_enter(struct cg_dir *d, pid_t pid, pk_error **err) {
  char b[24];
  snprintf(b, sizeof(b), "%d", (int)pid);
  if (cg_write(d, "cgroup.procs", b, err) < 0)
    return error_wrap(err, "move pid %d into cgroup", (int)pid);
  return 0;
}

/* Put pid back where it was (the nearest directory we did not make) so that
 * the directories can go. */
static void dir_leave(struct cg_dir *d, pid_t pid) {
  cleanup_free char *p = strdup(d->full);
  if (p == NULL)
    return;
  for (int i = 0; i < d->created; i++)
    *strrchr(p, '/') = '\0';
  char b[24];
  snprintf(b, sizeof(b), "%d", (int)pid);
  int fd = open(*p ? p : "/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    write_at(fd, "cgroup.procs", b);
    close(fd);
  }
}

int cgroup_prepare(const char *cgroups_path, const char *id, json_t *resources, struct cgroup **out,
                   pk_error **err) {
  cleanup_cgroup struct cgroup *cg = NULL;
  struct res r;

  if (layout_detect(err) < 0)
    return -1;
  /* parsed here too, so that a bad value fails before anything is made */
  if (res_parse(resources, &r, err) < 0) {
    res_free(&r);
    return -1;
  }
  cg = calloc(1, sizeof(*cg));
  if (cg == NULL) {
    res_free(&r);
    return error_set(err, ENOMEM, "create cgroup");
  }
  cgroup_init_dirs(cg);
  if (cgroup_resolve(cg, cgroups_path, id, err) < 0) {
    res_free(&r);
    if (cg->persisted)
      error_wrap(err, "cgroup %s", cg->persisted);
    return -1;
  }
  cg->need = res_v2_needs(cg, &r);
  if (layout.mode == CGROUP_MODE_V2) /* as runc: every controller, for stats too */
    cg->need = ~0u;
  res_free(&r);
  cg->pending = resources ? json_incref(resources) : NULL;
  cg->pending_set = true;
  *out = take_ptr(cg);
  return 0;
}

int cgroup_make_start(struct cgroup *cg, pk_error **err) {
  for (int i = 0; i < cg->n; i++)
    if (cg->d[i].h->v2 && dir_make(&cg->d[i], cg->need, err) < 0) {
      for (int k = cg->n - 1; k >= 0; k--)
        dir_unmake(&cg->d[k]);
      return error_wrap(err, "cgroup %s", cg->persisted);
    }
  return 0;
}

int cgroup_create_start(const char *cgroups_path, const char *id, json_t *resources,
                        struct cgroup **out, pk_error **err) {
  cleanup_cgroup struct cgroup *cg = NULL;

  if (cgroup_prepare(cgroups_path, id, resources, &cg, err) < 0 || cgroup_make_start(cg, err) < 0)
    return -1;
  *out = take_ptr(cg);
  return 0;
}

int cgroup_create_finish(struct cgroup *cg, pk_error **err) {
  struct res r;
  if (!cg->pending_set)
    return 0;
  cg->pending_set = false;
  if (res_parse(cg->pending, &r, err) < 0)
    goto fail;
  for (int i = 0; i < cg->n; i++)
    if (!cg->d[i].h->v2 && dir_make(&cg->d[i], cg->need, err) < 0)
      goto fail;
  if (res_apply(cg, &r, err) < 0)
    goto fail;
  res_free(&r);
  json_decref(cg->pending);
  cg->pending = NULL;
  return 0;

fail:
  /* what this call and cgroup_create_start made; a failed directory may
   * be half made too */
  for (int i = cg->n - 1; i >= 0; i--)
    dir_unmake(&cg->d[i]);
  res_free(&r);
  json_decref(cg->pending);
  cg->pending = NULL;
  if (cg->persisted)
    error_wrap(err, "cgroup %s", cg->persisted);
  return -1;
}

int cgroup_create(const char *cgroups_path, const char *id, json_t *resources, pid_t pid,
                  struct cgroup **out, pk_error **err) {
  cleanup_cgroup struct cgroup *cg = NULL;
  int entered;

  if (cgroup_create_start(cgroups_path, id, resources, &cg, err) < 0 ||
      cgroup_create_finish(cg, err) < 0)
    return -1;
  if (pid > 0)
    for (entered = 0; entered < cg->n; entered++)
      if (dir_enter(&cg->d[entered], pid, err) < 0) {
        for (int i = 0; i < entered; i++)
          dir_leave(&cg->d[i], pid);
        for (int i = cg->n - 1; i >= 0; i--)
          dir_unmake(&cg->d[i]);
        return error_wrap(err, "cgroup %s", cg->persisted);
      }
  *out = take_ptr(cg);
  return 0;
}

int cgroup_enter(struct cgroup *cg, pid_t pid, pk_error **err) {
  for (int i = 0; i < cg->n; i++)
    if (dir_enter(&cg->d[i], pid, err) < 0)
      return -1;
  return 0;
}

int cgroup_enter_self(struct cgroup *cg, bool v2_done, pk_error **err) {
  for (int i = 0; i < cg->n; i++) {
    struct cg_dir *d = &cg->d[i];
    if (d->h->v2 && v2_done)
      continue;
    if (cg_write(d, d->h->v2 ? "cgroup.procs" : "tasks", "0", err) < 0)
      return error_wrap(err, "join cgroup");
  }
  return 0;
}

int cgroup_v2_fd(struct cgroup *cg, pk_error **err) {
  struct cg_dir *d = dir_v2(cg);
  if (d == NULL)
    return error_set_code(err, ENOENT, "the host has no cgroup v2 hierarchy");
  int fd = open(d->full, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return error_set(err, errno, "open cgroup %s", d->full);
  return fd;
}

int cgroup_update(struct cgroup *cg, json_t *resources, pk_error **err) {
  struct res r;
  int rc = res_parse(resources, &r, err);
  if (rc == 0)
    rc = res_apply(cg, &r, err);
  res_free(&r);
  return rc;
}

/* ---- freezer ---- */

static void sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
    ;
}

static long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static struct cg_dir *freezer_dir(struct cgroup *cg, bool *v2) {
  struct cg_dir *d = dir_v1(cg, C_FREEZER);
  *v2 = d == NULL;
  return d ? d : dir_v2(cg); /* cgroup.freeze is core on v2, no controller */
}

static int frozen_now(struct cg_dir *d, bool v2, bool *frozen, pk_error **err) {
  char buf[512];
  if (cg_read(d, v2 ? "cgroup.events" : "freezer.state", buf, sizeof(buf), err) < 0)
    return -1;
  *frozen = v2 ? strstr(buf, "frozen 1") != NULL : str_has_prefix(buf, "FROZEN");
  return 0;
}

static int freeze_set(struct cgroup *cg, bool freeze, pk_error **err) {
  bool v2, frozen;
  struct cg_dir *d = freezer_dir(cg, &v2);
  if (d == NULL)
    return error_set_code(err, ENOTSUP, "the host has no cgroup freezer");
  const char *file = v2 ? "cgroup.freeze" : "freezer.state";
  const char *val = v2 ? (freeze ? "1" : "0") : (freeze ? "FROZEN" : "THAWED");
  long deadline = now_ms() + 10000, delay = 1;
  for (;;) {
    /* v1 may stay FREEZING when a task races with the freeze: writing FROZEN
     * again retries it. */
    if (cg_write(d, file, val, err) < 0 || frozen_now(d, v2, &frozen, err) < 0)
      return -1;
    if (frozen == freeze)
      return 0;
    if (now_ms() > deadline) {
      if (freeze)
        cg_write(d, file, v2 ? "0" : "THAWED", err);
      error_free(err);
      return error_set_code(err, ETIMEDOUT, "%s cgroup %s: timed out", freeze ? "freeze" : "thaw",
                            d->full);
    }
    sleep_ms(delay);
    if (delay < 50)
      delay *= 2;
  }
}

int cgroup_freeze(struct cgroup *cg, pk_error **err) {
  return freeze_set(cg, true, err);
}
int cgroup_thaw(struct cgroup *cg, pk_error **err) {
  return freeze_set(cg, false, err);
}

int cgroup_is_frozen(struct cgroup *cg, bool *frozen, pk_error **err) {
  bool v2;
  struct cg_dir *d = freezer_dir(cg, &v2);
  *frozen = false;
  if (d == NULL)
    return 0;
  return frozen_now(d, v2, frozen, err);
}

/* ---- pids, kill ---- */

struct pidv {
  pid_t *v;
  size_t n, cap;
};

static int pidv_add(struct pidv *pv, pid_t pid) {
  for (size_t i = 0; i < pv->n; i++)
    if (pv->v[i] == pid)
      return 0;
  if (pv->n == pv->cap) {
    size_t cap = pv->cap ? pv->cap * 2 : 16;
    pid_t *v = realloc(pv->v, cap * sizeof(*v));
    if (v == NULL)
      return -1;
    pv->v = v;
    pv->cap = cap;
  }
  pv->v[pv->n++] = pid;
  return 0;
}

/* cgroup.procs of dir and of every descendant. */
static int pids_walk(int dfd, const char *name, struct pidv *pv, int depth) {
  int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return errno == ENOENT ? 0 : -errno;
  int pfd = openat(fd, "cgroup.procs", O_RDONLY | O_CLOEXEC);
  if (pfd >= 0) {
    FILE *f = fdopen(pfd, "r");
    int pid;
    if (f == NULL) {
      close(pfd);
      close(fd);
      return -ENOMEM;
    }
    while (fscanf(f, "%d", &pid) == 1)
      if (pidv_add(pv, pid) < 0) {
        fclose(f);
        close(fd);
        return -ENOMEM;
      }
    fclose(f);
  }
  DIR *dir = fdopendir(fd);
  if (dir == NULL) {
    close(fd);
    return -errno;
  }
  struct dirent *e;
  int rc = 0;
  while (rc == 0 && (e = readdir(dir)) != NULL)
    if (e->d_type == DT_DIR && strcmp(e->d_name, ".") && strcmp(e->d_name, "..") && depth < 64)
      rc = pids_walk(dirfd(dir), e->d_name, pv, depth + 1);
  closedir(dir);
  return rc;
}

static int pid_cmp(const void *a, const void *b) {
  pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;
  return (x > y) - (x < y);
}

/* Which hierarchy lists the container's processes: v2 (every process is
 * there on v2 and hybrid), else the freezer, pids or any v1 one. */
static struct cg_dir *procs_dir(struct cgroup *cg) {
  struct cg_dir *d = dir_v2(cg);
  if (d == NULL)
    d = dir_v1(cg, C_FREEZER);
  if (d == NULL)
    d = dir_v1(cg, C_PIDS);
  return d ? d : &cg->d[0];
}

static int collect_pids(struct cgroup *cg, bool all, struct pidv *pv, pk_error **err) {
  for (int i = 0; i < cg->n; i++) {
    struct cg_dir *d = all ? &cg->d[i] : procs_dir(cg);
    int rc = pids_walk(AT_FDCWD, d->full, pv, 0);
    if (rc < 0)
      return error_set(err, -rc, "list processes of cgroup %s", d->full);
    if (!all)
      break;
  }
  return 0;
}

int cgroup_pids(struct cgroup *cg, pid_t **pids, size_t *n, pk_error **err) {
  struct pidv pv = {0};
  if (collect_pids(cg, false, &pv, err) < 0) {
    free(pv.v);
    return -1;
  }
  if (pv.n)
    qsort(pv.v, pv.n, sizeof(pid_t), pid_cmp);
  *pids = pv.v;
  *n = pv.n;
  return 0;
}

int cgroup_kill(struct cgroup *cg, int sig, pk_error **err) {
  struct cg_dir *v2d = dir_v2(cg);
  if (sig == SIGKILL && v2d) {
    /* cgroup.kill (5.14) is atomic against forks; on a hybrid host the
     * container's processes are in the cgroup2 directory too. */
    int dfd = open(v2d->full, O_PATH | O_DIRECTORY | O_CLOEXEC);
    int rc = dfd < 0 ? -errno : write_at(dfd, "cgroup.kill", "1");
    if (dfd >= 0)
      close(dfd);
    if (rc == 0 && layout.mode == CGROUP_MODE_V2)
      return 0;
  }
  bool v2;
  bool frozen = freezer_dir(cg, &v2) && freeze_set(cg, true, err) == 0;
  error_free(err);
  struct pidv pv = {0};
  int rc = collect_pids(cg, true, &pv, err);
  for (size_t i = 0; rc == 0 && i < pv.n; i++)
    if (kill(pv.v[i], sig) < 0 && errno != ESRCH)
      rc = error_set(err, errno, "kill %d", (int)pv.v[i]);
  free(pv.v);
  if (frozen) {
    pk_error *e2 = NULL;
    freeze_set(cg, false, &e2);
    error_free(&e2);
  }
  return rc;
}

/* rmdir path after removing its descendant cgroups. */
static int rmdir_tree(const char *path, int depth) {
  if (rmdir(path) == 0 || errno == ENOENT)
    return 0;
  if (errno != EBUSY && errno != ENOTEMPTY)
    return -errno;
  int saved = -errno;
  DIR *dir = opendir(path);
  if (dir == NULL)
    return errno == ENOENT ? 0 : -errno;
  struct dirent *e;
  bool children = false;
  while ((e = readdir(dir)) != NULL) {
    if (e->d_type != DT_DIR || !strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") || depth > 64)
      continue;
    char *sub;
    if (asprintf(&sub, "%s/%s", path, e->d_name) < 0)
      continue;
    rmdir_tree(sub, depth + 1);
    free(sub);
    children = true;
  }
  closedir(dir);
  if (!children)
    return saved;
  if (rmdir(path) == 0 || errno == ENOENT)
    return 0;
  return -errno;
}

int cgroup_destroy(struct cgroup *cg, pk_error **err) {
  long deadline = now_ms() + 10000, delay = 1;
  bool killed = false;
  for (int round = 0;; round++) {
    int busy = -1, rc = 0;
    for (int i = 0; i < cg->n; i++) {
      struct cg_dir *d = &cg->d[i];
      if (d->dfd >= 0) {
        close(d->dfd);
        d->dfd = -1;
      }
      rc = rmdir_tree(d->full, 0);
      if (rc == -EBUSY || rc == -ENOTEMPTY)
        busy = i;
      else if (rc < 0)
        return error_set(err, -rc, "remove cgroup %s", d->full);
    }
    if (busy < 0) {
      /* and the parents this process made (a failed create): dir_unmake
       * stops at the first one still in use */
      for (int i = cg->n - 1; i >= 0; i--)
        dir_unmake(&cg->d[i]);
      return 0;
    }
    if (now_ms() > deadline)
      return error_set(err, EBUSY, "remove cgroup %s", cg->d[busy].full);
    /* Processes are left: kill them, again every few rounds in case one
     * escaped the first signal by being in the middle of a fork. */
    if (!killed || round % 8 == 0) {
      if (cgroup_kill(cg, SIGKILL, err) < 0)
        error_free(err);
      killed = true;
    }
    sleep_ms(delay);
    if (delay < 64)
      delay *= 2;
  }
}

/* ---- stats ---- */

static bool read_u64(struct cg_dir *d, const char *file, uint64_t *v) {
  char buf[64];
  pk_error *e = NULL;
  if (d == NULL || cg_read(d, file, buf, sizeof(buf), &e) < 0) {
    error_free(&e);
    return false;
  }
  if (str_has_prefix(buf, "max")) {
    *v = UINT64_MAX;
    return true;
  }
  return sscanf(buf, "%" SCNu64, v) == 1;
}

static bool read_key(struct cg_dir *d, const char *file, const char *key, uint64_t *v) {
  char buf[4096];
  pk_error *e = NULL;
  if (d == NULL || cg_read(d, file, buf, sizeof(buf), &e) < 0) {
    error_free(&e);
    return false;
  }
  size_t kl = strlen(key);
  for (char *p = buf; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
    if (strncmp(p, key, kl) == 0 && p[kl] == ' ')
      return sscanf(p + kl + 1, "%" SCNu64, v) == 1;
  return false;
}

int cgroup_stats(struct cgroup *cg, struct cgroup_stats *st, pk_error **err) {
  bool v2;
  struct cg_dir *d;
  memset(st, 0, sizeof(*st));
  if ((d = dir_v1(cg, C_CPUACCT)) != NULL)
    st->has_cpu = read_u64(d, "cpuacct.usage", &st->cpu_usage_ns);
  else if ((d = dir_v2(cg)) != NULL && read_key(d, "cpu.stat", "usage_usec", &st->cpu_usage_ns)) {
    st->cpu_usage_ns *= 1000;
    st->has_cpu = true;
  }
  if ((d = dir_for(cg, C_MEMORY, C_MEMORY, &v2)) != NULL) {
    st->has_memory =
        read_u64(d, v2 ? "memory.current" : "memory.usage_in_bytes", &st->memory_usage);
    read_u64(d, v2 ? "memory.max" : "memory.limit_in_bytes", &st->memory_limit);
    /* v1 reports "unlimited" as the page-counter maximum. */
    if (!v2 && st->memory_limit >= (UINT64_C(1) << 62))
      st->memory_limit = UINT64_MAX;
    read_u64(d, v2 ? "memory.peak" : "memory.max_usage_in_bytes", &st->memory_max_usage);
    read_key(d, v2 ? "memory.events" : "memory.oom_control", "oom_kill", &st->oom_kill);
  }
  if ((d = dir_for(cg, C_PIDS, C_PIDS, &v2)) != NULL) {
    st->has_pids = read_u64(d, "pids.current", &st->pids_current);
    if (!read_u64(d, "pids.max", &st->pids_limit))
      st->pids_limit = UINT64_MAX;
  }
  (void)err;
  return 0;
}
