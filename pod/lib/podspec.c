/* SPDX-License-Identifier: MIT */
#include "podspec.h"

#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"

static const struct {
  int bit;
  const char *proc, *oci;
} ns_types[POD_NS_COUNT] = {
    {POD_NS_NET, "net", "network"},
    {POD_NS_IPC, "ipc", "ipc"},
    {POD_NS_UTS, "uts", "uts"},
    {POD_NS_PID, "pid", "pid"},
};

int pod_ns_bit(size_t i) {
  return ns_types[i].bit;
}
const char *pod_ns_proc_name(size_t i) {
  return ns_types[i].proc;
}
const char *pod_ns_oci_name(size_t i) {
  return ns_types[i].oci;
}

static void pod_json_putp(json_t **j) {
  if (*j)
    json_decref(*j);
}
#define cleanup_json __attribute__((cleanup(pod_json_putp)))

int pod_share_parse(const char *s, int *mask, pk_error **err) {
  cleanup_free char *copy = strdup(s);
  char *save = NULL;
  int m = 0;

  if (!copy)
    return error_set(err, ENOMEM, "--share");
  for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
    size_t i;
    for (i = 0; i < POD_NS_COUNT; i++)
      if (strcmp(tok, ns_types[i].proc) == 0 || strcmp(tok, ns_types[i].oci) == 0)
        break;
    if (i == POD_NS_COUNT)
      return error_set_code(err, EINVAL,
                            "--share: unknown namespace \"%s\" (expected net, ipc, uts, pid)", tok);
    m |= ns_types[i].bit;
  }
  *mask = m;
  return 0;
}

const char *pod_share_str(int mask, char *buf, size_t len) {
  size_t off = 0;
  buf[0] = 0;
  for (size_t i = 0; i < POD_NS_COUNT; i++)
    if ((mask & ns_types[i].bit) && off < len)
      off += snprintf(buf + off, len - off, "%s%s", off ? "," : "", ns_types[i].proc);
  return buf;
}

static int json_dump_out(json_t *j, char **out, pk_error **err) {
  *out = json_dumps(j, JSON_INDENT(2));
  if (!*out)
    return error_set(err, ENOMEM, "encode config.json");
  return 0;
}

static json_t *mount_new(const char *dst, const char *type, const char *src, const char *opts) {
  json_t *m = json_pack("{s:s, s:s, s:s}", "destination", dst, "type", type, "source", src);
  if (opts) {
    json_t *a = json_array();
    cleanup_free char *copy = strdup(opts);
    char *save = NULL;
    for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save))
      json_array_append_new(a, json_string(t));
    json_object_set_new(m, "options", a);
  }
  return m;
}

int pod_spec_pause(int share, const char *hostname, char **out, pk_error **err) {
  cleanup_json json_t *cfg = NULL;
  json_t *ns = json_array(), *mounts = json_array();

  for (size_t i = 0; i < POD_NS_COUNT; i++)
    if (share & ns_types[i].bit)
      json_array_append_new(ns, json_pack("{s:s}", "type", ns_types[i].oci));
  json_array_append_new(ns, json_pack("{s:s}", "type", "mount"));
  json_array_append_new(mounts, mount_new("/proc", "proc", "proc", NULL));
  json_array_append_new(
      mounts, mount_new("/dev", "tmpfs", "tmpfs", "nosuid,strictatime,mode=755,size=65536k"));
  /* No capabilities at all: the pause only waits for signals. */
  cfg = json_pack("{s:s, s:{s:b, s:{s:i, s:i}, s:[s], s:[s], s:s, s:b}, s:{s:s, s:b}, s:o, "
                  "s:{s:o}}",
                  "ociVersion", "1.0.2", "process", "terminal", 0, "user", "uid", 0, "gid", 0,
                  "args", "/pause", "env", "PATH=/", "cwd", "/", "noNewPrivileges", 1, "root",
                  "path", "rootfs", "readonly", 1, "mounts", mounts, "linux", "namespaces", ns);
  if (!cfg)
    return error_set(err, ENOMEM, "pause config.json");
  if ((share & POD_NS_UTS) && hostname)
    json_object_set_new(cfg, "hostname", json_string(hostname));
  return json_dump_out(cfg, out, err);
}

static json_t *caps_default(void) {
  const char *caps[] = {"CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"};
  const char *sets[] = {"bounding", "effective", "permitted", "ambient"};
  json_t *c = json_object();
  for (size_t s = 0; s < 4; s++) {
    json_t *a = json_array();
    for (size_t i = 0; i < 3; i++)
      json_array_append_new(a, json_string(caps[i]));
    json_object_set_new(c, sets[s], a);
  }
  return c;
}

static bool utf8_valid(const char *s) {
  json_t *j = json_string(s);
  json_decref(j);
  return j != NULL;
}

int pod_spec_generate(const char *rootfs, char *const *env, size_t n_env, const char *cwd,
                      char *const *args, size_t n_args, char **out, pk_error **err) {
  cleanup_json json_t *cfg = NULL;
  json_t *jenv, *jargs, *mounts, *ns;
  char abs[PATH_MAX];

  if (n_args == 0)
    return error_set_code(err, EINVAL, "no command given (expected -- CMD ARGS...)");
  if (args[0][0] == '\0')
    return error_set_code(err, EINVAL, "-- \"\": expected a command name");
  /* what podrun would refuse at create, after the pod had made the member's
   * state: refused here with the option's name */
  for (size_t i = 0; i < n_env; i++)
    if (!strchr(env[i], '=') || env[i][0] == '=')
      return error_set_code(err, EINVAL, "-e %s: expected K=V", env[i]);
  if (cwd && cwd[0] != '/')
    return error_set_code(err, EINVAL, "-w %s: expected an absolute path", cwd);
  if (!realpath(rootfs, abs))
    return error_set(err, errno, "--rootfs %s", rootfs);
  /* config.json strings are UTF-8: jansson refuses anything else, and an
   * argument it refused would silently drop out of the command */
  for (size_t i = 0; i < n_args; i++)
    if (!utf8_valid(args[i]))
      return error_set_code(err, EINVAL, "command argument %zu: not valid UTF-8", i);
  for (size_t i = 0; i < n_env; i++)
    if (!utf8_valid(env[i]))
      return error_set_code(err, EINVAL, "-e (entry %zu): not valid UTF-8", i + 1);
  if (cwd && !utf8_valid(cwd))
    return error_set_code(err, EINVAL, "-w: not valid UTF-8");
  if (!utf8_valid(abs))
    return error_set_code(err, EINVAL, "--rootfs %s: not valid UTF-8", rootfs);
  jenv = json_array();
  jargs = json_array();
  mounts = json_array();
  ns = json_array();
  json_array_append_new(
      jenv, json_string("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"));
  for (size_t i = 0; i < n_env; i++)
    json_array_append_new(jenv, json_string(env[i]));
  for (size_t i = 0; i < n_args; i++)
    json_array_append_new(jargs, json_string(args[i]));
  json_array_append_new(mounts, mount_new("/proc", "proc", "proc", NULL));
  json_array_append_new(
      mounts, mount_new("/dev", "tmpfs", "tmpfs", "nosuid,strictatime,mode=755,size=65536k"));
  json_array_append_new(mounts,
                        mount_new("/dev/pts", "devpts", "devpts",
                                  "nosuid,noexec,newinstance,ptmxmode=0666,mode=0620,gid=5"));
  json_array_append_new(
      mounts, mount_new("/dev/shm", "tmpfs", "shm", "nosuid,noexec,nodev,mode=1777,size=65536k"));
  json_array_append_new(mounts, mount_new("/sys", "sysfs", "sysfs", "nosuid,noexec,nodev,ro"));
  for (size_t i = 0; i < POD_NS_COUNT; i++)
    json_array_append_new(ns, json_pack("{s:s}", "type", ns_types[i].oci));
  json_array_append_new(ns, json_pack("{s:s}", "type", "mount"));
  cfg = json_pack(
      "{s:s, s:{s:b, s:{s:i, s:i}, s:o, s:o, s:s, s:o, s:b}, s:{s:s, s:b}, s:o, "
      "s:{s:o, s:[s,s,s,s,s,s,s], s:[s,s,s,s,s,s]}}",
      "ociVersion", "1.0.2", "process", "terminal", 0, "user", "uid", 0, "gid", 0, "args", jargs,
      "env", jenv, "cwd", cwd ? cwd : "/", "capabilities", caps_default(), "noNewPrivileges", 1,
      "root", "path", abs, "readonly", 0, "mounts", mounts, "linux", "namespaces", ns,
      "maskedPaths", "/proc/kcore", "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
      "/proc/sched_debug", "/sys/firmware", "/proc/scsi", "readonlyPaths", "/proc/asound",
      "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger");
  if (!cfg)
    return error_set(err, ENOMEM, "generate config.json");
  return json_dump_out(cfg, out, err);
}

int pod_spec_rewrite(const char *in, const char *bundle_dir, int share, const char *ns_dir,
                     char **out, pk_error **err) {
  cleanup_json json_t *cfg = NULL;
  json_error_t jerr;
  json_t *root, *path, *proc, *linux_, *ns;
  int seen = 0;

  cfg = json_loads(in, 0, &jerr);
  if (!cfg || !json_is_object(cfg))
    return error_set_code(err, EINVAL, "%s/config.json: invalid JSON at line %d: %s", bundle_dir,
                          jerr.line, cfg ? "not an object" : jerr.text);
  root = json_object_get(cfg, "root");
  path = root ? json_object_get(root, "path") : NULL;
  if (!json_is_string(path))
    return error_set_code(err, EINVAL, "%s/config.json: root.path: expected a string", bundle_dir);
  /* a path cut short by a buffer, or a string jansson refuses (not UTF-8),
   * would leave the rootfs or a bind source meaning something else */
  if (json_string_value(path)[0] != '/') {
    char joined[PATH_MAX * 2], abs[PATH_MAX];
    if ((size_t)snprintf(joined, sizeof(joined), "%s/%s", bundle_dir, json_string_value(path)) >=
        sizeof(joined))
      return error_set_code(err, ENAMETOOLONG, "%s/config.json: root.path: path too long",
                            bundle_dir);
    if (!realpath(joined, abs))
      return error_set(err, errno, "%s/config.json: root.path %s", bundle_dir,
                       json_string_value(path));
    if (json_object_set_new(root, "path", json_string(abs)) < 0)
      return error_set_code(err, EINVAL, "%s/config.json: root.path %s: not valid UTF-8",
                            bundle_dir, abs);
  }
  /* relative bind sources are relative to the bundle, which is no longer
   * where the runtime will look */
  json_t *mounts = json_object_get(cfg, "mounts"), *m;
  size_t mi;
  json_array_foreach(mounts, mi, m) {
    const char *src = json_string_value(json_object_get(m, "source"));
    const char *type = json_string_value(json_object_get(m, "type"));
    bool bind = type && strcmp(type, "bind") == 0;
    json_t *o;
    size_t oi;
    json_array_foreach(json_object_get(m, "options"), oi, o) {
      const char *os = json_string_value(o);
      bind |= os && (strcmp(os, "bind") == 0 || strcmp(os, "rbind") == 0);
    }
    if (bind && src && src[0] != '/') {
      char abs[PATH_MAX * 2];
      if ((size_t)snprintf(abs, sizeof(abs), "%s/%s", bundle_dir, src) >= sizeof(abs))
        return error_set_code(err, ENAMETOOLONG,
                              "%s/config.json: mounts[%zu].source: path too long", bundle_dir, mi);
      if (json_object_set_new(m, "source", json_string(abs)) < 0)
        return error_set_code(err, EINVAL, "%s/config.json: mounts[%zu].source: not valid UTF-8",
                              bundle_dir, mi);
    }
  }
  proc = json_object_get(cfg, "process");
  if (json_is_object(proc))
    json_object_set_new(proc, "terminal", json_false());
  if (share & POD_NS_UTS) {
    json_object_del(cfg, "hostname");
    json_object_del(cfg, "domainname");
  }
  linux_ = json_object_get(cfg, "linux");
  if (!linux_) {
    linux_ = json_object();
    json_object_set_new(cfg, "linux", linux_);
  }
  if (!json_is_object(linux_))
    return error_set_code(err, EINVAL, "%s/config.json: linux: expected an object", bundle_dir);
  ns = json_object_get(linux_, "namespaces");
  if (!ns) {
    ns = json_array();
    json_object_set_new(linux_, "namespaces", ns);
  }
  if (!json_is_array(ns))
    return error_set_code(err, EINVAL, "%s/config.json: linux.namespaces: expected an array",
                          bundle_dir);
  for (size_t k = 0; k < json_array_size(ns); k++) {
    json_t *e = json_array_get(ns, k);
    const char *type = json_string_value(json_object_get(e, "type"));
    if (!type)
      return error_set_code(err, EINVAL,
                            "%s/config.json: linux.namespaces[%zu].type: expected a string",
                            bundle_dir, k);
    for (size_t i = 0; i < POD_NS_COUNT; i++) {
      if (!(share & ns_types[i].bit) || strcmp(type, ns_types[i].oci) != 0)
        continue;
      char p[PATH_MAX];
      snprintf(p, sizeof(p), "%s/%s", ns_dir, ns_types[i].proc);
      json_object_set_new(e, "path", json_string(p));
      seen |= ns_types[i].bit;
    }
  }
  /* A shared type the bundle left out (host namespace) still joins the pod:
   * that is what being a member means. */
  for (size_t i = 0; i < POD_NS_COUNT; i++) {
    if (!(share & ns_types[i].bit) || (seen & ns_types[i].bit))
      continue;
    char p[PATH_MAX];
    snprintf(p, sizeof(p), "%s/%s", ns_dir, ns_types[i].proc);
    json_array_append_new(ns, json_pack("{s:s, s:s}", "type", ns_types[i].oci, "path", p));
  }
  return json_dump_out(cfg, out, err);
}
