/* SPDX-License-Identifier: MIT
 * The pod operations: create, add, ps, inspect, logs, exec, stop, rm. */
#include "pod.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <jansson.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "attach.h"
#include "cidr.h"
#include "cleanup.h"
#include "netns.h"
#include "nft.h"
#include "podmon.h"
#include "podns.h"
#include "podspec.h"
#include "records.h"
#include "util.h"

#define MAX_PUBLISH 64
#define RUNTIME_ID_MAX (2 * ID_MAX_LEN + 2)

static void json_putp(json_t **j) {
  if (*j)
    json_decref(*j);
}
#define cleanup_json __attribute__((cleanup(json_putp)))

/* ---- small helpers ---- */

/* snprintf without the compiler's truncation guesses: paths are bounded by
 * pod_ctx_init (state dir < 1024) and id_validate (names <= 128). */
static int fmt_buf(char *buf, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fmt_buf(char *buf, size_t len, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf, len, fmt, ap);
  va_end(ap);
  return n;
}

static int path_join(char *buf, size_t len, const char *a, const char *b) {
  int n = fmt_buf(buf, len, "%s/%s", a, b);
  return n < 0 || (size_t)n >= len ? -1 : 0;
}

static int json_file_write(const char *path, json_t *j, pk_error **err) {
  cleanup_free char *s = json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS);
  if (!s)
    return error_set(err, ENOMEM, "encode %s", path);
  return file_write_atomic(path, s, strlen(s), 0644, err);
}

static json_t *json_file_read(const char *path, pk_error **err) {
  json_error_t jerr;
  json_t *j = json_load_file(path, 0, &jerr);
  if (!j) {
    if (access(path, F_OK) < 0)
      error_set(err, errno, "%s", path);
    else
      error_set_code(err, EINVAL, "%s: %s", path, jerr.text);
  }
  return j;
}

static const char *jstr(json_t *o, const char *key) {
  const char *s = json_string_value(json_object_get(o, key));
  return s ? s : "";
}

static long long jint(json_t *o, const char *key) {
  return json_integer_value(json_object_get(o, key));
}

static int rm_rf_one(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
  (void)st;
  (void)ftw;
  if (flag == FTW_DP || flag == FTW_D)
    return rmdir(path) < 0 && errno != ENOENT ? -1 : 0;
  return unlink(path) < 0 && errno != ENOENT ? -1 : 0;
}

/* FTW_MOUNT: never descends into a mount, so a namespace pin that is still
 * mounted makes this fail instead of reaching into another file system. */
static int rm_rf(const char *path, pk_error **err) {
  if (access(path, F_OK) < 0 && errno == ENOENT)
    return 0;
  if (nftw(path, rm_rf_one, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT) < 0)
    return error_set(err, errno, "remove %s", path);
  return 0;
}

static int file_copy(const char *src, const char *dst, mode_t mode, pk_error **err) {
  cleanup_close int in = open(src, O_RDONLY | O_CLOEXEC);
  cleanup_close int out = -1;
  char buf[65536];
  ssize_t n;

  if (in < 0)
    return error_set(err, errno, "open %s", src);
  out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (out < 0)
    return error_set(err, errno, "create %s", dst);
  while ((n = read(in, buf, sizeof(buf))) != 0) {
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return error_set(err, errno, "read %s", src);
    }
    if (write_all(out, buf, (size_t)n) < 0)
      return error_set(err, errno, "write %s", dst);
  }
  return 0;
}

static void sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
    ;
}

static long long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* An executable `name` next to the running binary, else in PATH. */
static int exe_find(const char *name, char *out, size_t len) {
  char self[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
  if (n > 0) {
    self[n] = 0;
    char *slash = strrchr(self, '/');
    if (slash) {
      *slash = 0;
      fmt_buf(out, len, "%s/%s", self, name);
      if (access(out, X_OK) == 0)
        return 0;
    }
  }
  const char *path = getenv("PATH");
  cleanup_free char *copy = strdup(path ? path : "/usr/local/bin:/usr/bin:/bin");
  char *save = NULL;
  for (char *d = strtok_r(copy, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
    fmt_buf(out, len, "%s/%s", d, name);
    if (access(out, X_OK) == 0)
      return 0;
  }
  return -1;
}

int pod_ctx_init(struct pod_ctx *ctx, pk_error **err) {
  const char *e;
  if (!ctx->state_dir)
    ctx->state_dir = (e = getenv("POD_STATE_DIR")) && *e ? e : POD_DEFAULT_STATE_DIR;
  if (!ctx->runtime_root)
    ctx->runtime_root = (e = getenv("POD_RUNTIME_ROOT")) && *e ? e : NULL;
  if (!ctx->runtime_root) {
    /* Beside the pods, so a private --state-dir also gets a private
     * runtime root. */
    static char root[PATH_MAX];
    fmt_buf(root, sizeof(root), "%s/runtime", ctx->state_dir);
    ctx->runtime_root = root;
  }
  if (!ctx->net.state_dir)
    ctx->net.state_dir = (e = getenv("PODNET_STATE_DIR")) && *e ? e : PODNET_DEFAULT_STATE_DIR;
  if (!ctx->net.nft_table)
    ctx->net.nft_table = (e = getenv("PODNET_NFT_TABLE")) && *e ? e : PODNET_DEFAULT_NFT_TABLE;
  if (!ctx->runtime)
    ctx->runtime = (e = getenv("POD_RUNTIME")) && *e ? e : NULL;
  if (!ctx->runtime) {
    /* not found: commands that start nothing (ps, logs, rm) still work,
     * and a start says "exec podrun: No such file or directory" */
    if (exe_find("podrun", ctx->runtime_buf, sizeof(ctx->runtime_buf)) < 0)
      fmt_buf(ctx->runtime_buf, sizeof(ctx->runtime_buf), "podrun");
  } else if (!strchr(ctx->runtime, '/')) {
    if (exe_find(ctx->runtime, ctx->runtime_buf, sizeof(ctx->runtime_buf)) < 0)
      return error_set_code(err, ENOENT, "--runtime %s: not found in PATH", ctx->runtime);
  } else {
    if (!realpath(ctx->runtime, ctx->runtime_buf))
      return error_set(err, errno, "--runtime %s", ctx->runtime);
    if (access(ctx->runtime_buf, X_OK) < 0)
      return error_set(err, errno, "--runtime %s", ctx->runtime);
  }
  ctx->runtime = ctx->runtime_buf;
  /* absolute: monitors run from / and systemd units from anywhere */
  static char state_abs[PATH_MAX], root_abs[PATH_MAX];
  char cwd[PATH_MAX];
  if ((ctx->state_dir[0] != '/' || ctx->runtime_root[0] != '/') && !getcwd(cwd, sizeof(cwd)))
    return error_set(err, errno, "getcwd");
  if (ctx->state_dir[0] != '/') {
    fmt_buf(state_abs, sizeof(state_abs), "%s/%s", cwd, ctx->state_dir);
    ctx->state_dir = state_abs;
  }
  if (ctx->runtime_root[0] != '/') {
    fmt_buf(root_abs, sizeof(root_abs), "%s/%s", cwd, ctx->runtime_root);
    ctx->runtime_root = root_abs;
  }
  if (strlen(ctx->state_dir) >= 1024 || strlen(ctx->runtime_root) >= 1024 ||
      strlen(ctx->net.state_dir) >= 1024)
    return error_set_code(err, ENAMETOOLONG, "--state-dir, --runtime-root: at most 1023 bytes");
  return 0;
}

static int pod_name_check(const char *name, pk_error **err) {
  if (id_validate(name, "pod name", err) < 0)
    return -1;
  if (strcmp(name, "runtime") == 0)
    return error_set_code(err, EINVAL, "pod name \"runtime\" is reserved (the runtime's root)");
  return 0;
}

/* ---- records ---- */

struct ctr {
  char name[ID_MAX_LEN + 1];
  char id[RUNTIME_ID_MAX];
  char dir[PATH_MAX];
  pid_t pid, monitor;
  unsigned long long pid_start, monitor_start;
  long long started;
  char runtime[PATH_MAX], runtime_root[PATH_MAX];
  bool has_rec;
};

enum ctr_state { CTR_RUNNING, CTR_STOPPING, CTR_EXITED, CTR_GONE };

static enum ctr_state ctr_status(const struct ctr *c, struct pod_exit *ex) {
  pk_error *e = NULL;
  struct pod_exit dummy;
  if (!ex)
    ex = &dummy;
  memset(ex, 0, sizeof(*ex));
  int rc = pod_exit_read(c->dir, ex, &e);
  error_free(&e);
  if (rc == 0)
    return CTR_EXITED;
  if (c->has_rec && pod_pid_alive(c->pid, c->pid_start))
    return CTR_RUNNING;
  if (c->has_rec && pod_pid_alive(c->monitor, c->monitor_start))
    return CTR_STOPPING;
  return CTR_GONE;
}

static bool ctr_active(const struct ctr *c) {
  enum ctr_state s = ctr_status(c, NULL);
  return s == CTR_RUNNING || s == CTR_STOPPING;
}

static const char *ctr_status_str(const struct ctr *c, char *buf, size_t len) {
  struct pod_exit ex;
  switch (ctr_status(c, &ex)) {
  case CTR_RUNNING:
    return "running";
  case CTR_STOPPING:
    return "stopping";
  case CTR_EXITED:
    return pod_exit_str(&ex, buf, len);
  default:
    return c->has_rec ? "gone (status unknown)" : "created";
  }
}

static int ctr_load(const char *dir, const char *name, struct ctr *c, pk_error **err) {
  char path[PATH_MAX];
  cleanup_json json_t *j = NULL;

  memset(c, 0, sizeof(*c));
  fmt_buf(c->name, sizeof(c->name), "%s", name);
  fmt_buf(c->dir, sizeof(c->dir), "%s", dir);
  if (path_join(path, sizeof(path), dir, "container.json") < 0)
    return error_set_code(err, ENAMETOOLONG, "%s: path too long", dir);
  if (access(path, F_OK) < 0)
    return 0; /* still being created, or its start failed */
  j = json_file_read(path, err);
  if (!j)
    return -1;
  c->has_rec = true;
  fmt_buf(c->id, sizeof(c->id), "%s", jstr(j, "id"));
  fmt_buf(c->runtime, sizeof(c->runtime), "%s", jstr(j, "runtime"));
  fmt_buf(c->runtime_root, sizeof(c->runtime_root), "%s", jstr(j, "runtime_root"));
  c->pid = (pid_t)jint(j, "pid");
  c->pid_start = (unsigned long long)jint(j, "pid_start");
  c->monitor = (pid_t)jint(j, "monitor");
  c->monitor_start = (unsigned long long)jint(j, "monitor_start");
  c->started = jint(j, "started");
  return 0;
}

struct pod {
  char name[ID_MAX_LEN + 1];
  char dir[PATH_MAX];
  json_t *rec;
  int share;
  struct ctr pause;
  struct ctr *members;
  size_t n_members;
};

static void pod_free(struct pod *p) {
  if (p->rec)
    json_decref(p->rec);
  free(p->members);
  memset(p, 0, sizeof(*p));
}
#define cleanup_pod __attribute__((cleanup(pod_free)))

static int strcmpp(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* members: also load every member's record (`pod add` needs only the
 * pause's, and stays O(1) in the pod's size). */
static int pod_load_ex(const struct pod_ctx *ctx, const char *name, struct pod *p, bool members,
                       pk_error **err) {
  char path[PATH_MAX], cdir[PATH_MAX];
  cleanup_closedir DIR *d = NULL;
  struct dirent *de;
  char **names = NULL;
  size_t n = 0, cap = 0;
  int rc = -1;

  memset(p, 0, sizeof(*p));
  if (pod_name_check(name, err) < 0)
    return -1;
  fmt_buf(p->name, sizeof(p->name), "%s", name);
  fmt_buf(p->dir, sizeof(p->dir), "%s/%s", ctx->state_dir, name);
  fmt_buf(path, sizeof(path), "%s/pod.json", p->dir);
  if (access(path, F_OK) < 0)
    return error_set_code(err, ENOENT, "pod %s does not exist", name);
  p->rec = json_file_read(path, err);
  if (!p->rec)
    return -1;
  if (pod_share_parse(jstr(p->rec, "share"), &p->share, err) < 0)
    return error_wrap(err, "%s", path);
  fmt_buf(cdir, sizeof(cdir), "%s/pause", p->dir);
  if (ctr_load(cdir, "pause", &p->pause, err) < 0)
    return -1;
  if (!members)
    return 0;
  fmt_buf(cdir, sizeof(cdir), "%s/containers", p->dir);
  d = opendir(cdir);
  if (!d)
    return errno == ENOENT ? 0 : error_set(err, errno, "open %s", cdir);
  while ((de = readdir(d))) {
    if (de->d_name[0] == '.')
      continue;
    if (n == cap) {
      cap = cap ? cap * 2 : 16;
      char **nn = realloc(names, cap * sizeof(*names));
      if (!nn)
        goto out;
      names = nn;
    }
    names[n++] = strdup(de->d_name);
  }
  if (n)
    qsort(names, n, sizeof(*names), strcmpp);
  p->members = calloc(n ? n : 1, sizeof(*p->members));
  if (!p->members) {
    error_set(err, ENOMEM, "load pod %s", name);
    goto out;
  }
  for (size_t i = 0; i < n; i++) {
    char dir[PATH_MAX];
    fmt_buf(dir, sizeof(dir), "%s/%s", cdir, names[i]);
    if (ctr_load(dir, names[i], &p->members[p->n_members], err) < 0)
      goto out;
    p->n_members++;
  }
  rc = 0;
out:
  for (size_t i = 0; i < n; i++)
    free(names[i]);
  free(names);
  return rc;
}

static int pod_load(const struct pod_ctx *ctx, const char *name, struct pod *p, pk_error **err) {
  return pod_load_ex(ctx, name, p, true, err);
}

static int ctr_record_write(const struct pod_ctx *ctx, const struct ctr *c, json_t *extra,
                            pk_error **err) {
  char path[PATH_MAX], buf[32];
  cleanup_json json_t *j =
      json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:s, s:s}", "name", c->name, "id", c->id,
                "pid", (json_int_t)c->pid, "pid_start", (json_int_t)c->pid_start, "monitor",
                (json_int_t)c->monitor, "monitor_start", (json_int_t)c->monitor_start, "started",
                (json_int_t)c->started, "runtime", ctx->runtime, "runtime_root", ctx->runtime_root);
  if (!j)
    return error_set(err, ENOMEM, "container record");
  if (extra)
    json_object_update(j, extra);
  fmt_buf(path, sizeof(path), "%s/monitor.pid", c->dir);
  int n = fmt_buf(buf, sizeof(buf), "%d\n", (int)c->monitor);
  if (file_write_atomic(path, buf, (size_t)n, 0644, err) < 0)
    return -1;
  fmt_buf(path, sizeof(path), "%s/container.json", c->dir);
  return json_file_write(path, j, err);
}

/* ---- starting and stopping containers ---- */

static int ctr_start(const struct pod_ctx *ctx, struct ctr *c, const char *bundle, json_t *extra,
                     pk_error **err) {
  struct pod_run r = {.runtime = ctx->runtime,
                      .runtime_root = ctx->runtime_root,
                      .bundle = bundle,
                      .id = c->id,
                      .dir = c->dir};
  if (mkdir_p(ctx->runtime_root, 0700, err) < 0)
    return -1;
  if (pod_monitor_start(&r, &c->monitor, &c->pid, err) < 0)
    return -1;
  c->monitor_start = proc_start_time(c->monitor);
  c->pid_start = proc_start_time(c->pid);
  c->started = (long long)time(NULL);
  fmt_buf(c->runtime, sizeof(c->runtime), "%s", ctx->runtime);
  fmt_buf(c->runtime_root, sizeof(c->runtime_root), "%s", ctx->runtime_root);
  c->has_rec = true;
  if (ctr_record_write(ctx, c, extra, err) < 0) {
    kill(c->pid, SIGKILL);
    /* our child: it records that exit in c->dir and deletes the runtime's
     * container; the caller's undo removes c->dir only after that */
    while (waitpid(c->monitor, NULL, 0) < 0 && errno == EINTR)
      ;
    return -1;
  }
  return 0;
}

static bool ctr_done(const struct ctr *c) {
  return !pod_pid_alive(c->pid, c->pid_start) && !pod_pid_alive(c->monitor, c->monitor_start);
}

/* TERM (or KILL when grace_ms is 0), then KILL what is left after grace_ms;
 * returns once their monitors have recorded the exits and gone. */
static void ctrs_stop(struct ctr **cs, size_t n, long grace_ms) {
  long long deadline;
  bool left;

  for (size_t i = 0; i < n; i++)
    if (cs[i]->has_rec && pod_pid_alive(cs[i]->pid, cs[i]->pid_start))
      kill(cs[i]->pid, grace_ms > 0 ? SIGTERM : SIGKILL);
  for (int phase = 0; phase < 2; phase++) {
    deadline = now_ms() + (phase == 0 ? grace_ms : 15000);
    do {
      left = false;
      for (size_t i = 0; i < n; i++) {
        /* our own children (monitors started by this invocation) */
        while (waitpid(-1, NULL, WNOHANG) > 0)
          ;
        if (cs[i]->has_rec && !ctr_done(cs[i]))
          left = true;
      }
      if (left)
        sleep_ms(10);
    } while (left && now_ms() < deadline);
    if (!left)
      return;
    for (size_t i = 0; i < n; i++)
      if (cs[i]->has_rec && pod_pid_alive(cs[i]->pid, cs[i]->pid_start))
        kill(cs[i]->pid, SIGKILL);
  }
}

/* A container without a record may have a monitor still starting it: its
 * pod create or add was killed, and the monitor, finding no one to tell the
 * pid, stops and deletes the container itself (monitor_main).  Waits until
 * that monitor is gone, or the record is there after all (a live add). */
static void ctr_monitor_settle(struct ctr *c) {
  char path[PATH_MAX], exe[PATH_MAX], self[PATH_MAX];
  cleanup_free char *buf = NULL;
  pk_error *e = NULL;
  ssize_t n;

  if (c->has_rec || path_join(path, sizeof(path), c->dir, "monitor.pid") < 0 ||
      file_read_all(path, 64, &buf, NULL, &e) < 0) {
    error_free(&e);
    return;
  }
  pid_t pid = (pid_t)atoi(buf);
  unsigned long long start = proc_start_time(pid);
  /* a monitor is a fork of pod: not a process that took a recycled pid */
  fmt_buf(path, sizeof(path), "/proc/%d/exe", (int)pid);
  if (pid <= 0 || (n = readlink(path, exe, sizeof(exe) - 1)) < 0)
    return;
  exe[n] = '\0';
  if ((n = readlink("/proc/self/exe", self, sizeof(self) - 1)) < 0)
    return;
  self[n] = '\0';
  if (strcmp(exe, self) != 0)
    return;
  for (long long deadline = now_ms() + 15000; pod_pid_alive(pid, start) && now_ms() < deadline;) {
    path_join(path, sizeof(path), c->dir, "container.json");
    if (access(path, F_OK) == 0) {
      if (ctr_load(c->dir, c->name, c, &e) < 0)
        error_free(&e);
      return;
    }
    sleep_ms(10);
  }
}

/* For a container whose monitor is gone without cleaning up (killed): the
 * runtime's own record. */
static void ctr_runtime_delete(const struct ctr *c) {
  char st[PATH_MAX * 2];
  if (!c->runtime[0])
    return;
  fmt_buf(st, sizeof(st), "%s/%s", c->runtime_root, c->id);
  if (access(st, F_OK) < 0)
    return;
  pid_t pid = fork();
  if (pid == 0) {
    int fd = open("/dev/null", O_RDWR);
    if (fd >= 0) {
      dup2(fd, 1);
      dup2(fd, 2);
    }
    execl(c->runtime, c->runtime, "--root", c->runtime_root, "delete", "-f", c->id, (char *)NULL);
    _exit(127);
  }
  while (pid > 0 && waitpid(pid, NULL, 0) < 0 && errno == EINTR)
    ;
}

/* ---- create ---- */

int pod_publish_parse(const char *s, struct nft_forward *fw, pk_error **err) {
  cleanup_free char *copy = strdup(s);
  char *proto, *parts[3];
  int n = 0;
  uint16_t cfirst, clast;

  if (!copy)
    return error_set(err, ENOMEM, "--publish");
  memset(fw, 0, sizeof(*fw));
  fw->proto = IPPROTO_TCP;
  proto = strchr(copy, '/');
  if (proto) {
    *proto++ = 0;
    if (nft_proto_parse(proto, &fw->proto, err) < 0)
      return error_wrap(err, "--publish %s", s);
  }
  for (char *p = copy, *c;; p = c + 1) {
    if (n == 3) {
      n = 0; /* a fourth field */
      break;
    }
    parts[n++] = p;
    c = strchr(p, ':');
    if (!c)
      break;
    *c = 0;
  }
  if (n < 2)
    return error_set_code(err, EINVAL, "--publish %s: expected [IP:]HOSTPORT:CTRPORT[/tcp|udp]", s);
  if (n == 3) {
    if (nft_ipv4_parse(parts[0], "--publish", &fw->host_ip, err) < 0)
      return -1;
    parts[0] = parts[1];
    parts[1] = parts[2];
  }
  if (nft_port_range_parse(parts[0], &fw->host_port_first, &fw->host_port_last, err) < 0 ||
      nft_port_range_parse(parts[1], &cfirst, &clast, err) < 0)
    return error_wrap(err, "--publish %s", s);
  if (clast - cfirst != fw->host_port_last - fw->host_port_first && clast != cfirst)
    return error_set_code(err, EINVAL, "--publish %s: port ranges differ in size", s);
  fw->to_port = cfirst;
  return 0;
}

static void publish_str(const struct nft_forward *fw, char *buf, size_t len) {
  char ip[INET_ADDRSTRLEN], ports[16];
  if (fw->host_port_last != fw->host_port_first)
    fmt_buf(ports, sizeof(ports), "%u-%u", fw->host_port_first, fw->host_port_last);
  else
    fmt_buf(ports, sizeof(ports), "%u", fw->host_port_first);
  inet_ntop(AF_INET, &fw->host_ip, ip, sizeof(ip));
  fmt_buf(buf, len, "%s:%s->%u/%s", ip, ports, fw->to_port,
          fw->proto == IPPROTO_UDP ? "udp" : "tcp");
}

static int pause_find(char *out, size_t len, pk_error **err) {
  const char *e = getenv("POD_PAUSE");
  if (e && *e) {
    fmt_buf(out, len, "%s", e);
    if (access(out, X_OK) < 0)
      return error_set(err, errno, "POD_PAUSE %s", e);
    return 0;
  }
  if (exe_find("pod-pause", out, len) == 0)
    return 0;
  fmt_buf(out, len, "/usr/local/libexec/podkit/pod-pause");
  if (access(out, X_OK) == 0)
    return 0;
  return error_set_code(err, ENOENT, "pod-pause not found next to pod nor in PATH (set POD_PAUSE)");
}

static int pause_bundle_write(const char *dir, const char *pause_bin, int share,
                              const char *hostname, pk_error **err) {
  char path[PATH_MAX];
  cleanup_free char *cfg = NULL;
  const char *subdirs[] = {"rootfs", "rootfs/proc", "rootfs/dev"};

  for (size_t i = 0; i < 3; i++) {
    fmt_buf(path, sizeof(path), "%s/%s", dir, subdirs[i]);
    if (mkdir(path, 0755) < 0)
      return error_set(err, errno, "mkdir %s", path);
  }
  fmt_buf(path, sizeof(path), "%s/rootfs/pause", dir);
  if (file_copy(pause_bin, path, 0755, err) < 0)
    return -1;
  if (pod_spec_pause(share, hostname, &cfg, err) < 0)
    return -1;
  fmt_buf(path, sizeof(path), "%s/config.json", dir);
  return file_write_atomic(path, cfg, strlen(cfg), 0644, err);
}

/* A bridge another `pod create` is making right now: its link exists before
 * its record does, so wait (2 s at most) for the record. */
static int bridge_rec_wait(const struct podnet_ctx *net, const char *name, struct bridge_rec *br,
                           pk_error **err) {
  for (int i = 0;; i++) {
    if (bridge_rec_read(net, name, br, err) == 0)
      return 0;
    if (i == 200 || (*err)->errnum != ENOENT)
      return -1;
    error_free(err);
    sleep_ms(10);
  }
}

int pod_create(const struct pod_ctx *ctx, const struct pod_create_opts *o, pk_error **err) {
  const char *name = o->name ? o->name : POD_DEFAULT_NAME;
  const char *bridge = o->bridge ? o->bridge : POD_DEFAULT_BRIDGE;
  const char *hostname = o->hostname ? o->hostname : name;
  struct nft_forward fws[MAX_PUBLISH];
  struct cidr subnet;
  struct in_addr ip = {0};
  struct bridge_rec br;
  struct lease lease;
  char pause_bin[PATH_MAX], dir[PATH_MAX], path[PATH_MAX], buf[128];
  struct ctr pause;
  cleanup_json json_t *rec = NULL;
  json_t *ports;
  pk_error *e = NULL, *e2 = NULL;
  int share = POD_NS_ALL;
  bool made_bridge = false, attached = false, netns_pinned = false;
  int pinned = 0;

  /* Everything is parsed and checked before anything is made. */
  if (pod_name_check(name, err) < 0)
    return -1;
  if (o->share && pod_share_parse(o->share, &share, err) < 0)
    return -1;
  if (o->n_publish > MAX_PUBLISH)
    return error_set_code(err, EINVAL, "--publish: at most %d", MAX_PUBLISH);
  for (size_t i = 0; i < o->n_publish; i++)
    if (pod_publish_parse(o->publish[i], &fws[i], err) < 0)
      return -1;
  if (o->n_publish && !(share & POD_NS_NET))
    return error_set_code(err, EINVAL, "--publish needs the network namespace in --share");
  if (cidr_parse(o->subnet ? o->subnet : POD_DEFAULT_SUBNET, "--subnet", &subnet, err) < 0)
    return -1;
  if (o->ip && ip_parse(o->ip, "--ip", &ip, err) < 0)
    return -1;
  if (bridge_name_check(bridge, err) < 0)
    return error_wrap(err, "--bridge");
  if (o->hostname && (!*o->hostname || strlen(o->hostname) > 64))
    return error_set_code(err, EINVAL, "--hostname: expected 1..64 characters");
  if (pause_find(pause_bin, sizeof(pause_bin), err) < 0)
    return -1;

  if (mkdir_p(ctx->state_dir, 0711, err) < 0)
    return -1;
  fmt_buf(dir, sizeof(dir), "%s/%s", ctx->state_dir, name);
  if (mkdir(dir, 0711) < 0) {
    if (errno == EEXIST)
      return error_set_code(err, EEXIST, "pod %s already exists", name);
    return error_set(err, errno, "mkdir %s", dir);
  }
  char share_s[32];
  rec = json_pack("{s:s, s:I, s:s, s:s, s:s, s:s, s:s}", "name", name, "created",
                  (json_int_t)time(NULL), "share", pod_share_str(share, share_s, sizeof(share_s)),
                  "hostname", (share & POD_NS_UTS) ? hostname : "", "runtime", ctx->runtime,
                  "runtime_root", ctx->runtime_root, "podnet_state_dir", ctx->net.state_dir);
  json_object_set_new(rec, "nft_table", json_string(ctx->net.nft_table));
  fmt_buf(path, sizeof(path), "%s/pod.json", dir);
  if (json_file_write(path, rec, err) < 0)
    goto undo_dir;
  const char *subs[] = {"pause", "ns", "containers"};
  for (size_t i = 0; i < 3; i++) {
    fmt_buf(path, sizeof(path), "%s/%s", dir, subs[i]);
    if (mkdir(path, 0711) < 0) {
      error_set(err, errno, "mkdir %s", path);
      goto undo_dir;
    }
  }
  fmt_buf(path, sizeof(path), "%s/pause", dir);
  if (pause_bundle_write(path, pause_bin, share, hostname, err) < 0)
    goto undo_dir;

  memset(&pause, 0, sizeof(pause));
  fmt_buf(pause.name, sizeof(pause.name), "pause");
  fmt_buf(pause.id, sizeof(pause.id), "%s", name);
  fmt_buf(pause.dir, sizeof(pause.dir), "%s/pause", dir);
  if (ctr_start(ctx, &pause, pause.dir, NULL, err) < 0) {
    error_wrap(err, "start pause container");
    goto undo_dir;
  }

  for (size_t i = 0; i < POD_NS_COUNT; i++) {
    if (!(share & pod_ns_bit(i)))
      continue;
    fmt_buf(path, sizeof(path), "%s/ns/%s", dir, pod_ns_proc_name(i));
    if (pod_ns_pin(pause.pid, pod_ns_proc_name(i), path, err) < 0)
      goto undo_pins;
    pinned |= pod_ns_bit(i);
  }
  if (share & POD_NS_NET) {
    if (pod_netns_pin(pause.pid, name, err) < 0)
      goto undo_pins;
    netns_pinned = true;

    if (bridge_rec_read(&ctx->net, bridge, &br, &e) < 0) {
      int code = e->errnum;
      error_free(&e);
      if (code != ENOENT) {
        error_set_code(err, code, "bridge %s: unreadable record", bridge);
        goto undo_pins;
      }
      /* podnet's own default: members reach beyond the host */
      struct bridge_opts bo = {
          .name = bridge, .net = subnet.addr, .len = subnet.len, .masquerade = true};
      if (podnet_bridge_add(&ctx->net, &bo, &br, &e) == 0) {
        made_bridge = true;
      } else if (e->errnum == EEXIST && bridge_rec_wait(&ctx->net, bridge, &br, &e2) == 0) {
        /* another pod made it meanwhile: share it */
        error_free(&e);
      } else {
        error_free(&e2);
        *err = e;
        e = NULL;
        goto undo_pins;
      }
    } else if (o->subnet && (br.net.s_addr != cidr_network(subnet.addr, subnet.len).s_addr ||
                             br.len != subnet.len)) {
      char have[32];
      error_set_code(err, EINVAL, "--subnet %s: bridge %s exists with subnet %s", o->subnet, bridge,
                     cidr_str(br.net, br.len, have));
      goto undo_pins;
    }
    struct attach_opts ao = {.bridge = bridge,
                             .ns = {.name = name},
                             .has_ip = o->ip != NULL,
                             .ip = ip,
                             .ip_len = -1,
                             .id = name};
    if (podnet_attach(&ctx->net, &ao, &lease, err) < 0)
      goto undo_bridge;
    attached = true;
    for (size_t i = 0; i < o->n_publish; i++) {
      fws[i].to_ip = lease.ip;
      fmt_buf(fws[i].id, sizeof(fws[i].id), "%s", name);
      if (nft_forward_add(&ctx->net, &fws[i], err) < 0) {
        error_wrap(err, "--publish %s", o->publish[i]);
        goto undo_attach;
      }
    }
    json_object_set_new(rec, "bridge", json_string(bridge));
    json_object_set_new(rec, "ip", json_string(ip_str(lease.ip, buf)));
    json_object_set_new(rec, "subnet", json_string(cidr_str(br.net, br.len, buf)));
    json_object_set_new(rec, "gateway", json_string(ip_str(br.gw, buf)));
    json_object_set_new(rec, "bridge_created", json_boolean(made_bridge));
  }
  ports = json_array();
  for (size_t i = 0; i < o->n_publish; i++) {
    publish_str(&fws[i], buf, sizeof(buf));
    json_array_append_new(ports, json_string(buf));
  }
  json_object_set_new(rec, "ports", ports);
  /* for `generate systemd`: the create command again */
  json_t *pub = json_array();
  for (size_t i = 0; i < o->n_publish; i++)
    json_array_append_new(pub, json_string(o->publish[i]));
  json_object_set_new(rec, "publish", pub);
  if (o->ip)
    json_object_set_new(rec, "requested_ip", json_string(o->ip));
  fmt_buf(path, sizeof(path), "%s/pod.json", dir);
  if (json_file_write(path, rec, err) < 0)
    goto undo_attach;
  return 0;

undo_attach:
  if (attached && podnet_detach_id(&ctx->net, name, false, &e) < 0)
    error_free(&e);
undo_bridge:
  /* A bridge made for this pod goes with it; one shared with others is
   * never made here. */
  if (made_bridge && podnet_bridge_del(&ctx->net, bridge, &e) < 0)
    error_free(&e);
undo_pins:
  if (netns_pinned) {
    fmt_buf(path, sizeof(path), "%s/%s", NETNS_RUN_DIR, name);
    if (pod_ns_unpin(path, &e) < 0)
      error_free(&e);
  }
  for (size_t i = 0; i < POD_NS_COUNT; i++) {
    if (!(pinned & pod_ns_bit(i)))
      continue;
    fmt_buf(path, sizeof(path), "%s/ns/%s", dir, pod_ns_proc_name(i));
    if (pod_ns_unpin(path, &e) < 0)
      error_free(&e);
  }
  {
    struct ctr *one = &pause;
    ctrs_stop(&one, 1, 0);
    ctr_runtime_delete(&pause);
  }
undo_dir:
  if (rm_rf(dir, &e) < 0)
    error_free(&e);
  return error_wrap(err, "create pod %s", name);
}

/* ---- add ---- */

static int pod_pause_check(const struct pod *p, pk_error **err) {
  char buf[64];
  if (ctr_status(&p->pause, NULL) == CTR_RUNNING)
    return 0;
  return error_set_code(err, ESRCH,
                        "pod %s: its pause container is not running (%s): pod rm %s, then "
                        "create it again",
                        p->name, ctr_status_str(&p->pause, buf, sizeof(buf)), p->name);
}

/* Prepares containers/NAME: a running container of that name is an error,
 * an exited one is replaced (so a restarting unit can add it again). */
static int member_dir_make(const struct pod *p, const char *cname, char *dir, size_t len,
                           pk_error **err) {
  char trash[PATH_MAX];
  struct ctr old;

  if (id_validate(cname, "container name", err) < 0)
    return -1;
  fmt_buf(dir, len, "%s/containers/%s", p->dir, cname);
  if (mkdir(dir, 0711) == 0)
    return 0;
  if (errno != EEXIST)
    return error_set(err, errno, "mkdir %s", dir);
  /* No record yet: another `pod add` is starting it right now. */
  if (ctr_load(dir, cname, &old, err) < 0)
    return -1;
  if (!old.has_rec || ctr_active(&old))
    return error_set_code(err, EEXIST, "container %s already exists in pod %s", cname, p->name);
  ctr_runtime_delete(&old);
  /* rename first: of two adds replacing the same exited container, exactly
   * one moves it away, and neither removes the other's new directory */
  fmt_buf(trash, sizeof(trash), "%s/containers/.old.%s.%d", p->dir, cname, (int)getpid());
  if (rename(dir, trash) < 0)
    return error_set_code(err, EEXIST, "container %s already exists in pod %s", cname, p->name);
  if (rm_rf(trash, err) < 0)
    return -1;
  if (mkdir(dir, 0711) < 0)
    return errno == EEXIST ? error_set_code(err, EEXIST, "container %s already exists in pod %s",
                                            cname, p->name)
                           : error_set(err, errno, "mkdir %s", dir);
  return 0;
}

static int member_start(const struct pod_ctx *ctx, const struct pod *p, const char *cname,
                        const char *cfg_in, const char *bundle_dir, json_t *extra, struct ctr *out,
                        pk_error **err) {
  char dir[PATH_MAX], path[PATH_MAX], nsdir[PATH_MAX];
  cleanup_free char *cfg = NULL;
  pk_error *e = NULL;

  if (strlen(p->name) + 1 + strlen(cname) >= RUNTIME_ID_MAX)
    return error_set_code(err, ENAMETOOLONG, "container name %s: too long", cname);
  if (member_dir_make(p, cname, dir, sizeof(dir), err) < 0)
    return -1;
  fmt_buf(nsdir, sizeof(nsdir), "%s/ns", p->dir);
  if (pod_spec_rewrite(cfg_in, bundle_dir, p->share, nsdir, &cfg, err) < 0)
    goto undo;
  fmt_buf(path, sizeof(path), "%s/config.json", dir);
  if (file_write_atomic(path, cfg, strlen(cfg), 0644, err) < 0)
    goto undo;
  memset(out, 0, sizeof(*out));
  fmt_buf(out->name, sizeof(out->name), "%s", cname);
  fmt_buf(out->id, sizeof(out->id), "%s.%s", p->name, cname);
  fmt_buf(out->dir, sizeof(out->dir), "%s", dir);
  if (ctr_start(ctx, out, dir, extra, err) < 0)
    goto undo;
  return 0;
undo:
  if (rm_rf(dir, &e) < 0)
    error_free(&e);
  /* A `pod rm -f` meanwhile removed the pod (and with it the container's
   * log, where the runtime's reason was): that is the cause to report. */
  fmt_buf(path, sizeof(path), "%s/pod.json", p->dir);
  if (access(path, F_OK) < 0 && errno == ENOENT)
    error_wrap(err, "pod %s was removed while %s was being added", p->name, cname);
  return error_wrap(err, "add %s to pod %s", cname, p->name);
}

int pod_add_bundles(const struct pod_ctx *ctx, const char *pod, char *const *bundles, size_t n,
                    pk_error **err) {
  cleanup_pod struct pod p;
  cleanup_free struct ctr *started = calloc(n ? n : 1, sizeof(*started));
  size_t k;
  pk_error *e = NULL;

  if (!started)
    return error_set(err, ENOMEM, "add");
  if (pod_load_ex(ctx, pod, &p, false, err) < 0)
    return -1;
  if (pod_pause_check(&p, err) < 0)
    return -1;
  for (k = 0; k < n; k++) {
    char abs[PATH_MAX], cfgpath[PATH_MAX + 16];
    cleanup_free char *cfg = NULL;
    if (!realpath(bundles[k], abs)) {
      error_set(err, errno, "bundle %s", bundles[k]);
      goto undo;
    }
    fmt_buf(cfgpath, sizeof(cfgpath), "%s/config.json", abs);
    if (file_read_all(cfgpath, 0, &cfg, NULL, err) < 0)
      goto undo;
    const char *base = strrchr(abs, '/');
    base = base && base[1] ? base + 1 : abs;
    cleanup_json json_t *extra = json_pack("{s:s}", "bundle", abs);
    if (member_start(ctx, &p, base, cfg, abs, extra, &started[k], err) < 0)
      goto undo;
  }
  return 0;
undo:
  /* all or nothing: the ones this call started go again */
  for (size_t i = 0; i < k; i++) {
    struct ctr *one = &started[i];
    ctrs_stop(&one, 1, 0);
    ctr_runtime_delete(one);
    if (rm_rf(one->dir, &e) < 0)
      error_free(&e);
  }
  return -1;
}

int pod_add_generated(const struct pod_ctx *ctx, const char *pod, const struct pod_gen_opts *o,
                      pk_error **err) {
  cleanup_pod struct pod p;
  cleanup_free char *cfg = NULL;
  cleanup_json json_t *extra = NULL;
  struct ctr c;
  char abs[PATH_MAX];

  if (!o->name)
    return error_set_code(err, EINVAL, "--name: required with --rootfs");
  if (!o->rootfs)
    return error_set_code(err, EINVAL, "--rootfs: required with --name");
  if (id_validate(o->name, "--name", err) < 0)
    return -1;
  if (pod_load_ex(ctx, pod, &p, false, err) < 0)
    return -1;
  if (pod_pause_check(&p, err) < 0)
    return -1;
  if (pod_spec_generate(o->rootfs, o->env, o->n_env, o->cwd, o->args, o->n_args, &cfg, err) < 0)
    return -1;
  if (!realpath(o->rootfs, abs))
    return error_set(err, errno, "--rootfs %s", o->rootfs);
  json_t *env = json_array(), *args = json_array();
  for (size_t i = 0; i < o->n_env; i++)
    json_array_append_new(env, json_string(o->env[i]));
  for (size_t i = 0; i < o->n_args; i++)
    json_array_append_new(args, json_string(o->args[i]));
  extra = json_pack("{s:{s:s, s:o, s:o, s:s}}", "generated", "rootfs", abs, "env", env, "args",
                    args, "cwd", o->cwd ? o->cwd : "");
  return member_start(ctx, &p, o->name, cfg, abs, extra, &c, err);
}

/* ---- ps / inspect ---- */

static void uptime_str(const struct ctr *c, char *buf, size_t len) {
  if (ctr_status(c, NULL) != CTR_RUNNING) {
    fmt_buf(buf, len, "-");
    return;
  }
  long long s = (long long)time(NULL) - c->started;
  if (s < 0)
    s = 0;
  if (s < 120)
    fmt_buf(buf, len, "%llds", s);
  else if (s < 7200)
    fmt_buf(buf, len, "%lldm", s / 60);
  else if (s < 172800)
    fmt_buf(buf, len, "%lldh", s / 3600);
  else
    fmt_buf(buf, len, "%lldd", s / 86400);
}

static json_t *ctr_json(const struct ctr *c) {
  char st[64];
  struct pod_exit ex;
  enum ctr_state s = ctr_status(c, &ex);
  json_t *j = json_pack("{s:s, s:s, s:s}", "name", c->name, "id", c->id, "status",
                        ctr_status_str(c, st, sizeof(st)));
  json_object_set_new(j, "running", json_boolean(s == CTR_RUNNING));
  if (s == CTR_RUNNING || s == CTR_STOPPING) {
    json_object_set_new(j, "pid", json_integer(c->pid));
    json_object_set_new(j, "uptime", json_integer((json_int_t)time(NULL) - c->started));
  }
  if (s == CTR_EXITED && !ex.unknown)
    json_object_set_new(j, ex.signaled ? "signal" : "exit_code", json_integer(ex.code));
  json_object_set_new(j, "started", json_integer(c->started));
  json_object_set_new(j, "monitor", json_integer(c->monitor));
  char log[PATH_MAX];
  fmt_buf(log, sizeof(log), "%s/log", c->dir);
  json_object_set_new(j, "log", json_string(log));
  return j;
}

static json_t *pod_json(const struct pod *p, bool full) {
  json_t *j = json_pack("{s:s, s:s}", "name", p->name, "status",
                        ctr_status(&p->pause, NULL) == CTR_RUNNING ? "running" : "stopped");
  json_t *ms = json_array();
  const char *keys[] = {"ip", "bridge", "subnet", "gateway", "share", "hostname", "runtime"};
  for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
    if (json_object_get(p->rec, keys[i]))
      json_object_set(j, keys[i], json_object_get(p->rec, keys[i]));
  json_object_set(j, "ports", json_object_get(p->rec, "ports"));
  json_object_set_new(j, "created", json_integer(jint(p->rec, "created")));
  json_object_set_new(j, "pause", ctr_json(&p->pause));
  for (size_t i = 0; i < p->n_members; i++) {
    json_t *c = ctr_json(&p->members[i]);
    if (full) {
      char path[PATH_MAX];
      fmt_buf(path, sizeof(path), "%s/container.json", p->members[i].dir);
      json_t *rec = json_load_file(path, 0, NULL);
      if (rec) {
        const char *ks[] = {"bundle", "generated", "runtime", "runtime_root"};
        for (size_t k = 0; k < 4; k++)
          if (json_object_get(rec, ks[k]))
            json_object_set(c, ks[k], json_object_get(rec, ks[k]));
        json_decref(rec);
      }
    }
    json_array_append_new(ms, c);
  }
  json_object_set_new(j, "containers", ms);
  if (full) {
    char path[PATH_MAX];
    json_object_set_new(j, "state_dir", json_string(p->dir));
    if (p->share & POD_NS_NET) {
      fmt_buf(path, sizeof(path), "%s/%s", NETNS_RUN_DIR, p->name);
      json_object_set_new(j, "netns", json_string(path));
    }
    json_t *ns = json_object();
    for (size_t i = 0; i < POD_NS_COUNT; i++)
      if (p->share & pod_ns_bit(i)) {
        fmt_buf(path, sizeof(path), "%s/ns/%s", p->dir, pod_ns_proc_name(i));
        json_object_set_new(ns, pod_ns_proc_name(i), json_string(path));
      }
    json_object_set_new(j, "namespaces", ns);
    json_object_set(j, "runtime_root", json_object_get(p->rec, "runtime_root"));
  }
  return j;
}

static int pod_names(const struct pod_ctx *ctx, char ***out, size_t *n, pk_error **err) {
  cleanup_closedir DIR *d = opendir(ctx->state_dir);
  struct dirent *de;
  char **v = NULL;
  size_t cap = 0;

  *n = 0;
  *out = NULL;
  if (!d)
    return errno == ENOENT ? 0 : error_set(err, errno, "open %s", ctx->state_dir);
  while ((de = readdir(d))) {
    char path[PATH_MAX];
    if (de->d_name[0] == '.')
      continue;
    fmt_buf(path, sizeof(path), "%s/%s/pod.json", ctx->state_dir, de->d_name);
    if (access(path, F_OK) < 0)
      continue;
    if (*n + 1 >= cap) {
      cap = cap ? cap * 2 : 16;
      char **nv = realloc(v, cap * sizeof(*v));
      if (!nv) {
        for (size_t i = 0; i < *n; i++)
          free(v[i]);
        free(v);
        return error_set(err, ENOMEM, "list pods");
      }
      v = nv;
    }
    v[(*n)++] = strdup(de->d_name);
    v[*n] = NULL;
  }
  if (*n)
    qsort(v, *n, sizeof(*v), strcmpp);
  *out = v;
  return 0;
}

static void ps_line(FILE *out, const char *pod, const struct ctr *c, const char *ip,
                    const char *ports) {
  char st[64], up[16], pid[16];
  bool run = ctr_status(c, NULL) == CTR_RUNNING;
  fmt_buf(pid, sizeof(pid), run ? "%d" : "-", (int)c->pid);
  uptime_str(c, up, sizeof(up));
  fprintf(out, "%-16s %-14s %-22s %-8s %-7s %-15s %s\n", pod, c->name,
          ctr_status_str(c, st, sizeof(st)), pid, up, ip, ports);
}

int pod_ps(const struct pod_ctx *ctx, const char *pod, bool json, FILE *out, pk_error **err) {
  cleanup_strv char **names = NULL;
  size_t n = 0;
  json_t *all = json_array();

  if (pod) {
    names = calloc(2, sizeof(*names));
    if (!names || !(names[0] = strdup(pod)))
      return error_set(err, ENOMEM, "ps");
    n = 1;
  } else if (pod_names(ctx, &names, &n, err) < 0) {
    json_decref(all);
    return -1;
  }
  if (pod) {
    /* a missing pod is an error before any output */
    cleanup_pod struct pod p;
    if (pod_load(ctx, pod, &p, err) < 0) {
      json_decref(all);
      return -1;
    }
  }
  if (!json)
    fprintf(out, "%-16s %-14s %-22s %-8s %-7s %-15s %s\n", "POD", "CONTAINER", "STATUS", "PID",
            "UPTIME", "IP", "PORTS");
  for (size_t i = 0; i < n; i++) {
    cleanup_pod struct pod p;
    if (pod_load(ctx, names[i], &p, err) < 0) {
      if (!pod && (*err)->errnum == ENOENT) {
        /* removed while we listed */
        error_free(err);
        continue;
      }
      json_decref(all);
      return -1;
    }
    if (json) {
      json_array_append_new(all, pod_json(&p, false));
      continue;
    }
    char ports[512] = "";
    size_t off = 0;
    json_t *v;
    size_t k;
    json_array_foreach(json_object_get(p.rec, "ports"), k, v) {
      off += (size_t)fmt_buf(ports + off, sizeof(ports) - off, "%s%s", k ? "," : "",
                             json_string_value(v));
      if (off >= sizeof(ports))
        break;
    }
    const char *ip = jstr(p.rec, "ip");
    ps_line(out, p.name, &p.pause, *ip ? ip : "-", ports);
    for (size_t m = 0; m < p.n_members; m++)
      ps_line(out, p.name, &p.members[m], *ip ? ip : "-", "");
  }
  if (json) {
    char *s = json_dumps(all, JSON_INDENT(2));
    fprintf(out, "%s\n", s ? s : "[]");
    free(s);
  }
  json_decref(all);
  return 0;
}

int pod_inspect(const struct pod_ctx *ctx, const char *pod, FILE *out, pk_error **err) {
  cleanup_pod struct pod p;
  if (pod_load(ctx, pod, &p, err) < 0)
    return -1;
  json_t *j = pod_json(&p, true);
  char *s = json_dumps(j, JSON_INDENT(2));
  fprintf(out, "%s\n", s ? s : "{}");
  free(s);
  json_decref(j);
  return 0;
}

/* ---- logs / exec ---- */

static int member_find(const struct pod *p, const char *cname, const struct ctr **c,
                       pk_error **err) {
  if (strcmp(cname, "pause") == 0) {
    bool member = false;
    for (size_t i = 0; i < p->n_members; i++)
      member |= strcmp(p->members[i].name, cname) == 0;
    if (!member) {
      *c = &p->pause;
      return 0;
    }
  }
  for (size_t i = 0; i < p->n_members; i++)
    if (strcmp(p->members[i].name, cname) == 0) {
      *c = &p->members[i];
      return 0;
    }
  return error_set_code(err, ENOENT, "container %s does not exist in pod %s", cname, p->name);
}

int pod_logs(const struct pod_ctx *ctx, const char *pod, const char *container, bool follow,
             FILE *out, pk_error **err) {
  cleanup_pod struct pod p;
  const struct ctr *c;
  char path[PATH_MAX], buf[65536];
  cleanup_close int fd = -1;
  ssize_t n;

  if (pod_load(ctx, pod, &p, err) < 0 || member_find(&p, container, &c, err) < 0)
    return -1;
  fmt_buf(path, sizeof(path), "%s/log", c->dir);
  fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return errno == ENOENT ? 0 : error_set(err, errno, "open %s", path);
  fflush(out);
  for (;;) {
    n = read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return error_set(err, errno, "read %s", path);
    if (n > 0) {
      if (write_all(fileno(out), buf, (size_t)n) < 0)
        return error_set(err, errno, "write logs");
      continue;
    }
    if (!follow)
      return 0;
    /* EOF: done once the container is gone and the last bytes are read */
    if (!ctr_active(c)) {
      while ((n = read(fd, buf, sizeof(buf))) > 0)
        if (write_all(fileno(out), buf, (size_t)n) < 0)
          return error_set(err, errno, "write logs");
      return 0;
    }
    sleep_ms(100);
  }
}

int pod_exec(const struct pod_ctx *ctx, const char *pod, const char *container, bool tty,
             char *const *argv, pk_error **err) {
  cleanup_pod struct pod p;
  const struct ctr *c;
  size_t n = 0;

  if (pod_load(ctx, pod, &p, err) < 0 || member_find(&p, container, &c, err) < 0)
    return -1;
  if (!argv || !argv[0])
    return error_set_code(err, EINVAL, "exec: no command given (expected -- CMD ARGS...)");
  if (ctr_status(c, NULL) != CTR_RUNNING)
    return error_set_code(err, ESRCH, "container %s of pod %s is not running", container, pod);
  while (argv[n])
    n++;
  char **av = calloc(n + 8, sizeof(*av));
  if (!av)
    return error_set(err, ENOMEM, "exec");
  size_t k = 0;
  av[k++] = (char *)c->runtime;
  av[k++] = "--root";
  av[k++] = (char *)c->runtime_root;
  av[k++] = "exec";
  if (tty)
    av[k++] = "-t";
  av[k++] = (char *)c->id;
  for (size_t i = 0; i < n; i++)
    av[k++] = argv[i];
  fflush(NULL);
  execv(c->runtime, av);
  int e = errno;
  free(av);
  return error_set(err, e, "exec %s", c->runtime);
}

/* ---- stop / rm ---- */

static int pod_stop_loaded(struct pod *p, long grace_ms) {
  struct ctr **cs = calloc(p->n_members + 1, sizeof(*cs));
  if (!cs)
    return -1;
  for (size_t i = 0; i < p->n_members; i++)
    cs[i] = &p->members[i];
  /* members first: they may still want the network to say goodbye */
  ctrs_stop(cs, p->n_members, grace_ms);
  cs[0] = &p->pause;
  ctrs_stop(cs, 1, grace_ms);
  free(cs);
  return 0;
}

int pod_stop(const struct pod_ctx *ctx, const char *pod, int grace_secs, pk_error **err) {
  cleanup_pod struct pod p;
  if (pod_load(ctx, pod, &p, err) < 0)
    return -1;
  if (pod_stop_loaded(&p, (long)grace_secs * 1000) < 0)
    return error_set(err, ENOMEM, "stop pod %s", pod);
  return 0;
}

int pod_rm(const struct pod_ctx *ctx, const char *pod, bool force, pk_error **err) {
  cleanup_pod struct pod p;
  char path[PATH_MAX];
  struct lease l;
  pk_error *e = NULL;
  bool active = false;

  if (pod_load(ctx, pod, &p, err) < 0) {
    /* A create killed before it wrote pod.json leaves only the directory
     * (nothing was started yet): -f removes it. */
    fmt_buf(path, sizeof(path), "%s/%s/pod.json", ctx->state_dir, pod);
    if (!force || (*err)->errnum != ENOENT || p.dir[0] == '\0' || access(p.dir, F_OK) < 0 ||
        access(path, F_OK) == 0)
      return -1;
    error_free(err);
    if (rm_rf(p.dir, err) < 0)
      return error_wrap(err, "rm pod %s", pod);
    return 0;
  }
  /* A container whose record was never written (its pod create or add was
   * killed after the monitor started it) is still the runtime's: deleted
   * by the id and runtime it was started with. */
  for (size_t i = 0; i <= p.n_members; i++) {
    struct ctr *c = i < p.n_members ? &p.members[i] : &p.pause;
    ctr_monitor_settle(c);
    if (c->has_rec)
      continue;
    if (i < p.n_members)
      fmt_buf(c->id, sizeof(c->id), "%s.%s", pod, c->name);
    else
      fmt_buf(c->id, sizeof(c->id), "%s", pod);
    fmt_buf(c->runtime, sizeof(c->runtime), "%s", jstr(p.rec, "runtime"));
    fmt_buf(c->runtime_root, sizeof(c->runtime_root), "%s", jstr(p.rec, "runtime_root"));
  }
  active = ctr_active(&p.pause);
  for (size_t i = 0; i < p.n_members; i++)
    active |= ctr_active(&p.members[i]);
  if (active && !force)
    return error_set_code(err, EBUSY, "pod %s is running (pod stop %s first, or pod rm -f %s)", pod,
                          pod, pod);
  if (pod_stop_loaded(&p, 0) < 0)
    return error_set(err, ENOMEM, "rm pod %s", pod);
  for (size_t i = 0; i < p.n_members; i++)
    ctr_runtime_delete(&p.members[i]);
  ctr_runtime_delete(&p.pause);

  if (p.share & POD_NS_NET) {
    if (lease_read(&ctx->net, pod, &l, &e) == 0) {
      if (podnet_detach_id(&ctx->net, pod, false, err) < 0)
        return error_wrap(err, "rm pod %s", pod);
    } else {
      error_free(&e);
      if (nft_forward_del_by_id(&ctx->net, pod, NULL, &e) < 0)
        error_free(&e);
    }
    fmt_buf(path, sizeof(path), "%s/%s", NETNS_RUN_DIR, pod);
    if (pod_ns_unpin(path, err) < 0)
      return error_wrap(err, "rm pod %s", pod);
  }
  for (size_t i = 0; i < POD_NS_COUNT; i++) {
    fmt_buf(path, sizeof(path), "%s/ns/%s", p.dir, pod_ns_proc_name(i));
    if (pod_ns_unpin(path, err) < 0)
      return error_wrap(err, "rm pod %s", pod);
  }
  if (rm_rf(p.dir, err) < 0)
    return error_wrap(err, "rm pod %s", pod);
  /* the last pod takes the (then empty) shared dirs with it */
  rmdir(ctx->runtime_root);
  rmdir(ctx->state_dir);
  return 0;
}

/* ---- generate systemd ---- */

/* One word of ExecStart: quoted, with systemd's specifiers and variables
 * escaped. */
static void unit_word(FILE *f, const char *s) {
  fputc(' ', f);
  fputc('"', f);
  for (; *s; s++) {
    if (*s == '"' || *s == '\\')
      fputc('\\', f);
    if (*s == '%')
      fputc('%', f);
    if (*s == '$')
      fputc('$', f);
    fputc(*s, f);
  }
  fputc('"', f);
}

static void unit_env(FILE *f, const struct pod_ctx *ctx) {
  fprintf(f, "Environment=\"POD_STATE_DIR=%s\" \"POD_RUNTIME_ROOT=%s\"\n", ctx->state_dir,
          ctx->runtime_root);
  fprintf(f, "Environment=\"PODNET_STATE_DIR=%s\" \"PODNET_NFT_TABLE=%s\"\n", ctx->net.state_dir,
          ctx->net.nft_table);
}

int pod_generate_systemd(const struct pod_ctx *ctx, const char *pod, const char *dir, FILE *out,
                         pk_error **err) {
  cleanup_pod struct pod p;
  char self[PATH_MAX], path[PATH_MAX];
  ssize_t sn;
  size_t k;
  json_t *v;

  if (pod_load(ctx, pod, &p, err) < 0)
    return -1;
  sn = readlink("/proc/self/exe", self, sizeof(self) - 1);
  if (sn < 0)
    return error_set(err, errno, "readlink /proc/self/exe");
  self[sn] = 0;

  for (size_t u = 0; u <= p.n_members; u++) {
    const struct ctr *c = u ? &p.members[u - 1] : NULL;
    cleanup_fclose FILE *f = NULL;
    char unit[PATH_MAX];
    if (c)
      fmt_buf(unit, sizeof(unit), "pod-%s-%s.service", p.name, c->name);
    else
      fmt_buf(unit, sizeof(unit), "pod-%s.service", p.name);
    if (dir) {
      fmt_buf(path, sizeof(path), "%s/%s", dir, unit);
      f = fopen(path, "we");
      if (!f)
        return error_set(err, errno, "create %s", path);
    } else {
      fprintf(out, "%s# %s\n", u ? "\n" : "", unit);
    }
    FILE *w = f ? f : out;
    fprintf(w, "# generated by pod generate systemd %s\n[Unit]\n", p.name);
    if (!c) {
      fprintf(w, "Description=pod %s (pause container, network, ports)\n", p.name);
      fprintf(w, "Wants=network-online.target\nAfter=network-online.target\n");
      for (size_t m = 0; m < p.n_members; m++)
        fprintf(w, "Wants=pod-%s-%s.service\n", p.name, p.members[m].name);
    } else {
      fprintf(w, "Description=container %s of pod %s\n", c->name, p.name);
      fprintf(w, "BindsTo=pod-%s.service\nAfter=pod-%s.service\n", p.name, p.name);
    }
    fprintf(w, "\n[Service]\nType=forking\n");
    unit_env(w, ctx);
    if (!c) {
      fprintf(w, "ExecStartPre=-\"%s\" rm -f \"%s\"\n", self, p.name);
      fprintf(w, "ExecStart=\"%s\" --runtime \"%s\" create \"%s\"", self, jstr(p.rec, "runtime"),
              p.name);
      if (p.share & POD_NS_NET) {
        fprintf(w, " --bridge");
        unit_word(w, jstr(p.rec, "bridge"));
        fprintf(w, " --subnet");
        unit_word(w, jstr(p.rec, "subnet"));
        if (json_object_get(p.rec, "requested_ip")) {
          fprintf(w, " --ip");
          unit_word(w, jstr(p.rec, "requested_ip"));
        }
      }
      json_array_foreach(json_object_get(p.rec, "publish"), k, v) {
        fprintf(w, " -p");
        unit_word(w, json_string_value(v));
      }
      fprintf(w, " --share");
      unit_word(w, jstr(p.rec, "share"));
      if (*jstr(p.rec, "hostname")) {
        fprintf(w, " --hostname");
        unit_word(w, jstr(p.rec, "hostname"));
      }
      fprintf(w, "\nExecStop=\"%s\" stop \"%s\" -t 10\n", self, p.name);
      fprintf(w, "ExecStopPost=-\"%s\" rm -f \"%s\"\n", self, p.name);
      fprintf(w, "PIDFile=%s/pause/monitor.pid\n", p.dir);
    } else {
      char recp[PATH_MAX];
      fmt_buf(recp, sizeof(recp), "%s/container.json", c->dir);
      cleanup_json json_t *rec = json_load_file(recp, 0, NULL);
      json_t *gen = rec ? json_object_get(rec, "generated") : NULL;
      fprintf(w, "ExecStart=\"%s\" --runtime \"%s\" add --pod \"%s\"", self,
              c->runtime[0] ? c->runtime : ctx->runtime, p.name);
      if (gen) {
        fprintf(w, " --name");
        unit_word(w, c->name);
        fprintf(w, " --rootfs");
        unit_word(w, jstr(gen, "rootfs"));
        if (*jstr(gen, "cwd")) {
          fprintf(w, " -w");
          unit_word(w, jstr(gen, "cwd"));
        }
        json_array_foreach(json_object_get(gen, "env"), k, v) {
          fprintf(w, " -e");
          unit_word(w, json_string_value(v));
        }
        fprintf(w, " --");
        json_array_foreach(json_object_get(gen, "args"), k, v) unit_word(w, json_string_value(v));
      } else {
        unit_word(w, rec ? jstr(rec, "bundle") : "");
      }
      fprintf(w, "\nPIDFile=%s/monitor.pid\n", c->dir);
      /* the monitor passes TERM on to the container and records its exit */
      fprintf(w, "KillMode=process\n");
    }
    fprintf(w, "Restart=always\nRestartSec=5\nTimeoutStopSec=30\n\n[Install]\n"
               "WantedBy=multi-user.target\n");
    if (f) {
      if (fflush(f) != 0)
        return error_set(err, errno, "write %s", path);
      fprintf(out, "%s\n", path);
    }
  }
  return 0;
}
