/* SPDX-License-Identifier: MIT */
#include "records.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cidr.h"
#include "cleanup.h"

static void rec_json_decrefp(json_t **j) {
  if (*j)
    json_decref(*j);
}
#define cleanup_json __attribute__((cleanup(rec_json_decrefp)))

int bridge_name_check(const char *name, pk_error **err) {
  size_t n = name ? strlen(name) : 0;
  if (n == 0 || n >= IF_NAMESIZE)
    return error_set_code(err, EINVAL, "invalid bridge name \"%s\": expected 1..%d characters",
                          name ? name : "", IF_NAMESIZE - 1);
  if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0 || strpbrk(name, "/: \t\n"))
    return error_set_code(err, EINVAL,
                          "invalid bridge name \"%s\": no '/', ':', spaces, \".\" or \"..\"", name);
  return 0;
}

static int state_path(const struct podnet_ctx *ctx, char *buf, size_t len, const char *sub,
                      const char *name, const char *suffix) {
  int n = snprintf(buf, len, "%s/%s%s%s%s", ctx->state_dir, sub, name ? "/" : "", name ? name : "",
                   suffix);
  return n < 0 || (size_t)n >= len ? -1 : 0;
}

static int json_write(const char *path, json_t *j, pk_error **err) {
  cleanup_free char *s = json_dumps(j, JSON_INDENT(1) | JSON_SORT_KEYS);
  if (s == NULL)
    return error_set(err, ENOMEM, "encode %s", path);
  return file_write_atomic(path, s, strlen(s), 0644, err);
}

static int json_read(const char *path, json_t **out, pk_error **err) {
  cleanup_free char *buf = NULL;
  size_t len;
  json_error_t je;
  if (file_read_all(path, 1 << 20, &buf, &len, err) < 0)
    return -1;
  *out = json_loadb(buf, len, 0, &je);
  if (*out == NULL)
    return error_set_code(err, EINVAL, "%s: invalid JSON: %s", path, je.text);
  return 0;
}

static const char *jstr(json_t *o, const char *k) {
  const char *s = json_string_value(json_object_get(o, k));
  return s ? s : "";
}

static void copy(char *dst, size_t len, const char *src) {
  snprintf(dst, len, "%s", src);
}

/* ---- bridges ---- */

void *bridge_rec_json(const struct bridge_rec *b) {
  char sub[32], gw[INET_ADDRSTRLEN];
  return json_pack("{s:s, s:s, s:s, s:i, s:b}", "name", b->name, "subnet",
                   cidr_str(b->net, b->len, sub), "gateway", ip_str(b->gw, gw), "mtu", (int)b->mtu,
                   "masquerade", b->masquerade);
}

static int bridge_rec_from_json(json_t *j, struct bridge_rec *b, const char *path, pk_error **err) {
  struct cidr c;
  memset(b, 0, sizeof(*b));
  copy(b->name, sizeof(b->name), jstr(j, "name"));
  if (cidr_parse(jstr(j, "subnet"), "subnet", &c, err) < 0 ||
      ip_parse(jstr(j, "gateway"), "gateway", &b->gw, err) < 0)
    return error_wrap(err, "%s", path);
  b->net = c.addr;
  b->len = c.len;
  b->mtu = (unsigned)json_integer_value(json_object_get(j, "mtu"));
  b->masquerade = json_is_true(json_object_get(j, "masquerade"));
  return 0;
}

int bridge_rec_read(const struct podnet_ctx *ctx, const char *name, struct bridge_rec *out,
                    pk_error **err) {
  char path[PATH_MAX];
  cleanup_json json_t *j = NULL;

  if (bridge_name_check(name, err) < 0)
    return -1;
  if (state_path(ctx, path, sizeof(path), "bridges", name, ".json") < 0)
    return error_set_code(err, ENAMETOOLONG, "state dir path too long");
  if (access(path, F_OK) < 0 && errno == ENOENT)
    return error_set_code(err, ENOENT, "bridge %s does not exist (not made by podnet bridge add)",
                          name);
  if (json_read(path, &j, err) < 0)
    return -1;
  return bridge_rec_from_json(j, out, path, err);
}

int bridge_rec_write(const struct podnet_ctx *ctx, const struct bridge_rec *rec, pk_error **err) {
  char path[PATH_MAX];
  cleanup_json json_t *j = bridge_rec_json(rec);
  if (state_path(ctx, path, sizeof(path), "bridges", NULL, "") < 0)
    return error_set_code(err, ENAMETOOLONG, "state dir path too long");
  if (mkdir_p(path, 0755, err) < 0)
    return -1;
  state_path(ctx, path, sizeof(path), "bridges", rec->name, ".json");
  return json_write(path, j, err);
}

int bridge_rec_remove(const struct podnet_ctx *ctx, const char *name, pk_error **err) {
  char path[PATH_MAX];
  if (state_path(ctx, path, sizeof(path), "bridges", name, ".json") < 0)
    return error_set_code(err, ENAMETOOLONG, "state dir path too long");
  if (unlink(path) < 0 && errno != ENOENT)
    return error_set(err, errno, "remove %s", path);
  return 0;
}

static int names_in(const char *dir, const char *suffix, char ***out, size_t *n, pk_error **err) {
  cleanup_closedir DIR *d = opendir(dir);
  struct dirent *e;
  size_t cap = 0, sl = strlen(suffix);
  char **v = NULL;

  *out = NULL;
  *n = 0;
  if (d == NULL)
    return errno == ENOENT ? 0 : error_set(err, errno, "open %s", dir);
  while ((e = readdir(d)) != NULL) {
    size_t l = strlen(e->d_name);
    if (e->d_name[0] == '.' || l <= sl || strcmp(e->d_name + l - sl, suffix) != 0)
      continue;
    if (*n == cap) {
      cap = cap ? cap * 2 : 16;
      char **nv = realloc(v, cap * sizeof(char *));
      if (nv == NULL)
        goto oom;
      v = nv;
    }
    v[*n] = strndup(e->d_name, l - sl);
    if (v[*n] == NULL)
      goto oom;
    (*n)++;
  }
  *out = v;
  return 0;
oom:
  for (size_t i = 0; i < *n; i++)
    free(v[i]);
  free(v);
  *n = 0;
  return error_set(err, ENOMEM, "list %s", dir);
}

static int strcmpp(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The records in SUB/ (NAME.json), sorted by name, read by `read` into an
 * array of `size`-byte records; unreadable ones are skipped. */
typedef int (*rec_read_fn)(const struct podnet_ctx *, const char *, void *, pk_error **);
static int rec_list(const struct podnet_ctx *ctx, const char *sub, size_t size, rec_read_fn read,
                    void **out, size_t *n, pk_error **err) {
  char dir[PATH_MAX];
  char **names = NULL;
  size_t nn = 0, k = 0;
  char *v;

  state_path(ctx, dir, sizeof(dir), sub, NULL, "");
  if (names_in(dir, ".json", &names, &nn, err) < 0)
    return -1;
  if (nn > 1)
    qsort(names, nn, sizeof(char *), strcmpp);
  v = calloc(nn + 1, size);
  for (size_t i = 0; i < nn; i++) {
    pk_error *e = NULL;
    if (v && read(ctx, names[i], v + k * size, &e) == 0)
      k++;
    error_free(&e);
    free(names[i]);
  }
  free(names);
  if (v == NULL)
    return error_set(err, ENOMEM, "list %s", sub);
  *out = v;
  *n = k;
  return 0;
}

static int bridge_rec_read_any(const struct podnet_ctx *ctx, const char *name, void *rec,
                               pk_error **err) {
  return bridge_rec_read(ctx, name, rec, err);
}

int bridge_rec_list(const struct podnet_ctx *ctx, struct bridge_rec **out, size_t *n,
                    pk_error **err) {
  void *v = NULL;
  if (rec_list(ctx, "bridges", sizeof(**out), bridge_rec_read_any, &v, n, err) < 0)
    return -1;
  *out = v;
  return 0;
}

/* ---- leases ---- */

static int lease_path(const struct podnet_ctx *ctx, const char *id, char *buf, size_t len,
                      pk_error **err) {
  if (id_validate(id, "attachment ID", err) < 0)
    return -1;
  if (state_path(ctx, buf, len, "leases", id, ".json") < 0)
    return error_set_code(err, ENAMETOOLONG, "state dir path too long");
  return 0;
}

/* The attach that made a claim holds a flock on it until its record is
 * written or the claim removed, so gc tells the claim of an attach killed
 * in between by the lock being free (a claim's mode, LEASE_CLAIM_MODE, says
 * it was made so; older claims can only be judged by their age).  The claim is flocked before it is
 * linked into place: no one sees it unlocked while its attach lives.  One
 * claim per process at a time (an attach is one at a time). */
static int claim_fd = -1;
static char claim_id[ID_MAX_LEN + 1];

static void claim_release(const char *id) {
  if (claim_fd >= 0 && strcmp(claim_id, id) == 0) {
    close(claim_fd);
    claim_fd = -1;
  }
}

int lease_claim(const struct podnet_ctx *ctx, const char *id, pk_error **err) {
  char path[PATH_MAX], tmp[PATH_MAX + 32];
  int fd, rc, e;
  if (state_path(ctx, path, sizeof(path), "leases", NULL, "") < 0)
    return error_set_code(err, ENAMETOOLONG, "state dir path too long");
  if (mkdir_p(path, 0755, err) < 0)
    return -1;
  if (lease_path(ctx, id, path, sizeof(path), err) < 0)
    return -1;
  /* NAME.json.claim.PID: gc removes it once PID is gone */
  snprintf(tmp, sizeof(tmp), "%s.claim.%d", path, (int)getpid());
  fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, LEASE_CLAIM_MODE);
  if (fd < 0)
    return error_set(err, errno, "create %s", tmp);
  while ((rc = flock(fd, LOCK_EX)) < 0 && errno == EINTR)
    ;
  if (rc == 0)
    rc = link(tmp, path);
  e = errno;
  unlink(tmp);
  if (rc < 0) {
    close(fd);
    if (e == EEXIST)
      return error_set_code(err, EEXIST, "%s is already attached (detach it first)", id);
    return error_set(err, e, "create %s", path);
  }
  if (claim_fd >= 0)
    close(claim_fd);
  claim_fd = fd;
  snprintf(claim_id, sizeof(claim_id), "%s", id);
  return 0;
}

void *lease_json(const struct lease *l) {
  char ip[INET_ADDRSTRLEN], gw[INET_ADDRSTRLEN], cidr[32], mac[18];
  json_t *j =
      json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:s, s:s, s:s}", "id", l->id, "bridge",
                l->bridge, "ifname", l->ifname, "host_veth", l->host_veth, "ip",
                cidr_str(l->ip, l->len, cidr), "address", ip_str(l->ip, ip), "prefix_len", l->len,
                "gateway", ip_str(l->gw, gw), "mac", mac_str(l->mac, mac), "netns", l->netns);
  if (j == NULL)
    return NULL;
  json_object_set_new(j, "netns_path", json_string(l->netns_path));
  json_object_set_new(j, "netns_dev", json_integer((json_int_t)l->ns_dev));
  json_object_set_new(j, "netns_inode", json_integer((json_int_t)l->ns_ino));
  json_object_set_new(j, "pid", json_integer(l->pid));
  json_object_set_new(j, "pid_start", json_integer((json_int_t)l->pid_start));
  json_object_set_new(j, "mtu", json_integer(l->mtu));
  return j;
}

int lease_write(const struct podnet_ctx *ctx, const struct lease *l, pk_error **err) {
  char path[PATH_MAX];
  cleanup_json json_t *j = lease_json(l);
  if (j == NULL)
    return error_set(err, ENOMEM, "encode lease %s", l->id);
  if (lease_path(ctx, l->id, path, sizeof(path), err) < 0)
    return -1;
  if (json_write(path, j, err) < 0)
    return -1;
  claim_release(l->id);
  return 0;
}

int lease_read(const struct podnet_ctx *ctx, const char *id, struct lease *l, pk_error **err) {
  char path[PATH_MAX];
  cleanup_json json_t *j = NULL;
  struct cidr c;
  uint8_t mac[6] = {0};
  struct stat st;

  if (lease_path(ctx, id, path, sizeof(path), err) < 0)
    return -1;
  if (stat(path, &st) < 0) {
    if (errno == ENOENT)
      return error_set_code(err, ENOENT, "%s is not attached", id);
    return error_set(err, errno, "stat %s", path);
  }
  if (st.st_size == 0)
    return error_set_code(err, EAGAIN, "%s is being attached", id);
  if (json_read(path, &j, err) < 0)
    return -1;
  memset(l, 0, sizeof(*l));
  copy(l->id, sizeof(l->id), jstr(j, "id"));
  copy(l->bridge, sizeof(l->bridge), jstr(j, "bridge"));
  copy(l->ifname, sizeof(l->ifname), jstr(j, "ifname"));
  copy(l->host_veth, sizeof(l->host_veth), jstr(j, "host_veth"));
  copy(l->netns, sizeof(l->netns), jstr(j, "netns"));
  copy(l->netns_path, sizeof(l->netns_path), jstr(j, "netns_path"));
  if (cidr_parse(jstr(j, "ip"), "ip", &c, err) < 0 ||
      ip_parse(jstr(j, "gateway"), "gateway", &l->gw, err) < 0)
    return error_wrap(err, "%s", path);
  l->ip = c.addr;
  l->len = c.len;
  pk_error *e = NULL;
  if (mac_parse(jstr(j, "mac"), mac, &e) == 0)
    memcpy(l->mac, mac, 6);
  error_free(&e);
  l->ns_dev = (unsigned long long)json_integer_value(json_object_get(j, "netns_dev"));
  l->ns_ino = (unsigned long long)json_integer_value(json_object_get(j, "netns_inode"));
  l->pid = (pid_t)json_integer_value(json_object_get(j, "pid"));
  l->pid_start = (unsigned long long)json_integer_value(json_object_get(j, "pid_start"));
  l->mtu = (unsigned)json_integer_value(json_object_get(j, "mtu"));
  return 0;
}

int lease_remove(const struct podnet_ctx *ctx, const char *id, pk_error **err) {
  char path[PATH_MAX];
  if (lease_path(ctx, id, path, sizeof(path), err) < 0)
    return -1;
  if (unlink(path) < 0 && errno != ENOENT)
    return error_set(err, errno, "remove %s", path);
  claim_release(id);
  return 0;
}

static int lease_read_any(const struct podnet_ctx *ctx, const char *id, void *rec, pk_error **err) {
  return lease_read(ctx, id, rec, err);
}

int lease_list(const struct podnet_ctx *ctx, struct lease **out, size_t *n, pk_error **err) {
  void *v = NULL;
  if (rec_list(ctx, "leases", sizeof(**out), lease_read_any, &v, n, err) < 0)
    return -1;
  *out = v;
  return 0;
}
