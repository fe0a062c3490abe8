/* config.json parser: the seeds' configs, a full-coverage config, derived
 * mount flags, the exact error message of each kind of invalid config, the
 * default config round trip and a replay of the fuzz corpus. */
#include <dirent.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

#include "cleanup.h"
#include "spec.h"
#include "unit.h"
#include "util.h"

static const char *top_dir(void) {
  return unit_top_dir("tests/unit/data/spec");
}

static char *fixture_path(const char *name) {
  char *p = NULL;
  if (asprintf(&p, "%s/tests/unit/data/spec/%s", top_dir(), name) < 0)
    abort();
  return p;
}

static struct spec *parse_fixture(const char *name, int *unit_failed) {
  cleanup_free char *path = fixture_path(name), *text = NULL;
  cleanup_error pk_error *err = NULL;
  struct spec *s = NULL;
  size_t len;

  if (file_read_all(path, 0, &text, &len, &err) < 0) {
    printf("# %s\n", err->msg);
    *unit_failed = 1;
    return NULL;
  }
  if (spec_parse(text, len, &s, &err) < 0) {
    printf("# %s: %s\n", name, err->msg);
    *unit_failed = 1;
    return NULL;
  }
  return s;
}

static size_t strv_len(char **v) {
  size_t n = 0;
  while (v && v[n])
    n++;
  return n;
}

#define CAP(n) (UINT64_C(1) << (n))
/* CAP_AUDIT_WRITE, CAP_KILL, CAP_NET_BIND_SERVICE */
#define DEFAULT_CAPS (CAP(29) | CAP(5) | CAP(10))

static void check_runc_default_mounts(struct spec *s, int *unit_failed, size_t first) {
  struct spec_mount *m = s->mounts + first;
  CHECK(s->n_mounts >= first + 7);
  CHECK_STREQ(m[0].destination, "/proc");
  CHECK_STREQ(m[0].type, "proc");
  CHECK_STREQ(m[0].source, "proc");
  CHECK(m[0].options != NULL && m[0].options[0] == NULL);
  CHECK(m[0].flags == 0 && m[0].data == NULL && !m[0].bind);
  CHECK_STREQ(m[1].destination, "/dev");
  CHECK(m[1].flags == (MS_NOSUID | MS_STRICTATIME));
  CHECK_STREQ(m[1].data, "mode=755,size=65536k");
  CHECK_STREQ(m[2].type, "devpts");
  CHECK(m[2].flags == (MS_NOSUID | MS_NOEXEC));
  CHECK_STREQ(m[2].data, "newinstance,ptmxmode=0666,mode=0620,gid=5");
  CHECK(m[3].flags == (MS_NOSUID | MS_NOEXEC | MS_NODEV));
  CHECK_STREQ(m[3].data, "mode=1777,size=65536k");
  CHECK_STREQ(m[4].type, "mqueue");
  CHECK(m[4].flags == (MS_NOSUID | MS_NOEXEC | MS_NODEV) && m[4].data == NULL);
  CHECK_STREQ(m[5].destination, "/sys");
  CHECK(m[5].flags == (MS_NOSUID | MS_NOEXEC | MS_NODEV | MS_RDONLY));
  CHECK_STREQ(m[6].destination, "/sys/fs/cgroup");
  CHECK(m[6].flags == (MS_NOSUID | MS_NOEXEC | MS_NODEV | MS_RELATIME | MS_RDONLY));
  for (size_t i = 0; i < 7; i++)
    CHECK(m[i].propagation == 0 && m[i].clear_flags == 0 && !m[i].recursive_ro);
}

TEST(runc_default_config_parses) {
  cleanup_spec struct spec *s = parse_fixture("runc_default.json", unit_failed);
  if (!s)
    return;
  CHECK_STREQ(s->oci_version, "1.0.2-dev");
  CHECK(s->has_process && s->process.terminal);
  CHECK(strv_len(s->process.args) == 1);
  CHECK_STREQ(s->process.args[0], "sh");
  CHECK(strv_len(s->process.env) == 2);
  CHECK_STREQ(s->process.env[1], "TERM=xterm");
  CHECK_STREQ(s->process.cwd, "/");
  CHECK(s->process.user.uid == 0 && s->process.user.gid == 0);
  CHECK(s->process.user.n_additional_gids == 0 && !s->process.user.has_umask);
  CHECK(s->process.caps.present);
  CHECK(s->process.caps.bounding == DEFAULT_CAPS);
  CHECK(s->process.caps.effective == DEFAULT_CAPS);
  CHECK(s->process.caps.permitted == DEFAULT_CAPS);
  CHECK(s->process.caps.ambient == DEFAULT_CAPS);
  CHECK(s->process.caps.inheritable == 0);
  CHECK(s->process.n_rlimits == 1);
  CHECK(s->process.rlimits[0].resource == RLIMIT_NOFILE);
  CHECK(s->process.rlimits[0].soft == 1024 && s->process.rlimits[0].hard == 1024);
  CHECK(s->process.no_new_privileges);
  CHECK(!s->process.has_oom_score_adj);
  CHECK(s->process.apparmor_profile == NULL && s->process.selinux_label == NULL);
  CHECK_STREQ(s->root_path, "rootfs");
  CHECK(s->root_readonly);
  CHECK_STREQ(s->hostname, "runc");
  CHECK(s->domainname == NULL);
  CHECK(s->n_mounts == 7);
  check_runc_default_mounts(s, unit_failed, 0);
  for (int t = 0; t < SPEC_NS_COUNT; t++) {
    bool want = t <= SPEC_NS_MOUNT;
    CHECK(s->ns[t].present == want);
    CHECK(s->ns[t].path == NULL);
  }
  CHECK(strv_len(s->masked_paths) == 10);
  CHECK_STREQ(s->masked_paths[0], "/proc/acpi");
  CHECK(strv_len(s->readonly_paths) == 5);
  CHECK_STREQ(s->readonly_paths[4], "/proc/sysrq-trigger");
  CHECK(json_is_object(s->resources));
  CHECK(json_is_array(json_object_get(s->resources, "devices")));
  CHECK(s->devices == NULL && s->seccomp == NULL && s->annotations == NULL);
  CHECK(s->rootfs_propagation == NULL && s->rootfs_propagation_flags == 0);
  CHECK(s->n_uid_mappings == 0 && s->n_gid_mappings == 0 && s->n_sysctl == 0);
  for (int k = 0; k < SPEC_HOOK_COUNT; k++)
    CHECK(s->hooks[k].n == 0);
}

TEST(seed000_app_bind_mount) {
  cleanup_spec struct spec *s = parse_fixture("seed000_app.json", unit_failed);
  if (!s)
    return;
  CHECK(!s->process.terminal);
  CHECK(!s->root_readonly);
  CHECK(strv_len(s->process.args) == 1);
  CHECK_STREQ(s->process.args[0], "/app/main");
  CHECK(s->n_mounts == 8);
  struct spec_mount *m = &s->mounts[0];
  CHECK_STREQ(m->destination, "/app");
  CHECK_STREQ(m->type, "bind");
  CHECK_STREQ(m->source, "/root/app");
  CHECK(m->bind);
  CHECK(m->flags == (MS_BIND | MS_REC));
  CHECK(m->clear_flags == MS_RDONLY);
  CHECK(m->data == NULL && m->propagation == 0);
  check_runc_default_mounts(s, unit_failed, 1);
}

TEST(seed000_shared_namespaces) {
  cleanup_spec struct spec *s = parse_fixture("seed000_shared.json", unit_failed);
  if (!s)
    return;
  CHECK(strv_len(s->process.args) == 3);
  CHECK_STREQ(s->process.args[2], "8081");
  CHECK_STREQ(s->ns[SPEC_NS_NET].path, "/var/run/netns/mycontainer");
  CHECK_STREQ(s->ns[SPEC_NS_PID].path, "/proc/36817/ns/pid");
  CHECK_STREQ(s->ns[SPEC_NS_IPC].path, "/proc/36817/ns/ipc");
  CHECK(s->ns[SPEC_NS_UTS].present && s->ns[SPEC_NS_UTS].path == NULL);
  CHECK(s->ns[SPEC_NS_MOUNT].present && s->ns[SPEC_NS_MOUNT].path == NULL);
  CHECK(!s->ns[SPEC_NS_USER].present);
}

TEST(seed000_pause) {
  cleanup_spec struct spec *s = parse_fixture("seed000_pause.json", unit_failed);
  if (!s)
    return;
  CHECK_STREQ(s->process.args[0], "/pause");
  CHECK(!s->process.terminal && s->root_readonly);
}

TEST(seed001_npd_config) {
  cleanup_spec struct spec *s = parse_fixture("seed001_npd.json", unit_failed);
  if (!s)
    return;
  CHECK_STREQ(s->oci_version, "1.0.0");
  CHECK(strv_len(s->process.args) == 3);
  CHECK_STREQ(s->process.args[1], "--v=3");
  CHECK(s->process.caps.inheritable == DEFAULT_CAPS);
  CHECK(s->process.caps.ambient == DEFAULT_CAPS);
  CHECK(s->n_mounts == 8);
  struct spec_mount *m = &s->mounts[0];
  /* a bind mount given by its options alone */
  CHECK(m->type == NULL);
  CHECK(m->bind);
  CHECK(m->flags == MS_BIND);
  CHECK_STREQ(m->destination, "/var/run/secrets/kubernetes.io/serviceaccount");
  check_runc_default_mounts(s, unit_failed, 1);
  CHECK(strv_len(s->masked_paths) == 7);
  CHECK(strv_len(s->readonly_paths) == 6);
  CHECK_STREQ(s->readonly_paths[0], "/proc/asound");
}

TEST(seed003_tmpfs_data_netns_hooks) {
  cleanup_spec struct spec *s = parse_fixture("seed003_runc_netns.json", unit_failed);
  if (!s)
    return;
  CHECK_STREQ(s->oci_version, "1.0.0-rc1");
  CHECK(!s->root_readonly);
  CHECK(s->n_mounts == 9);
  struct spec_mount *t = &s->mounts[7], *d = &s->mounts[8];
  CHECK_STREQ(t->destination, "/tmp");
  CHECK(t->flags == (MS_NOSUID | MS_STRICTATIME) && !t->bind);
  CHECK_STREQ(t->data, "mode=755,size=65536k");
  CHECK_STREQ(d->destination, "/data");
  CHECK_STREQ(d->source, "/volumes/testing");
  CHECK(d->bind && d->flags == (MS_BIND | MS_REC) && d->clear_flags == MS_RDONLY);
  CHECK_STREQ(s->ns[SPEC_NS_NET].path, "/var/run/netns/runc");
  CHECK(s->hooks[SPEC_HOOK_PRESTART].n == 1);
  CHECK_STREQ(s->hooks[SPEC_HOOK_PRESTART].list[0].path, "/path/to/script");
  CHECK(s->hooks[SPEC_HOOK_PRESTART].list[0].args == NULL);
  CHECK(!s->hooks[SPEC_HOOK_PRESTART].list[0].has_timeout);
  CHECK(s->hooks[SPEC_HOOK_POSTSTART].n == 1);
  CHECK(s->hooks[SPEC_HOOK_POSTSTART].list[0].has_timeout);
  CHECK(s->hooks[SPEC_HOOK_POSTSTART].list[0].timeout == 5);
  CHECK(s->hooks[SPEC_HOOK_POSTSTOP].n == 1);
  CHECK(strv_len(s->hooks[SPEC_HOOK_POSTSTOP].list[0].args) == 2);
  CHECK_STREQ(s->hooks[SPEC_HOOK_POSTSTOP].list[0].args[1], "-f");
  CHECK(s->hooks[SPEC_HOOK_POSTSTOP].list[0].env == NULL);
  CHECK(s->hooks[SPEC_HOOK_CREATE_RUNTIME].n == 0);
}

TEST(full_config_every_field) {
  cleanup_spec struct spec *s = parse_fixture("full.json", unit_failed);
  if (!s)
    return;
  struct spec_process *p = &s->process;
  CHECK(p->console_height == 24 && p->console_width == 80);
  CHECK(p->user.uid == 1000 && p->user.gid == 1001);
  CHECK(p->user.has_umask && p->user.umask == 022);
  CHECK(p->user.n_additional_gids == 3);
  CHECK(p->user.additional_gids[0] == 5 && p->user.additional_gids[2] == 4294967294u);
  CHECK(strv_len(p->env) == 3);
  CHECK_STREQ(p->env[1], "EMPTY=");
  CHECK_STREQ(p->cwd, "/work");
  CHECK(p->caps.bounding == (CAP(0) | CAP(21) | CAP(40)));
  CHECK(p->caps.effective == CAP(39));
  CHECK(p->caps.permitted == (CAP(38) | CAP(13)));
  CHECK(p->caps.inheritable == 0 && p->caps.ambient == 0);
  CHECK(p->n_rlimits == 3);
  CHECK(p->rlimits[0].resource == RLIMIT_NOFILE && p->rlimits[0].hard == 4096);
  /* 2^64-1 is what Go writes for "unlimited" */
  CHECK(p->rlimits[1].resource == RLIMIT_CORE);
  CHECK(p->rlimits[1].soft == UINT64_MAX && p->rlimits[1].hard == UINT64_MAX);
  CHECK(p->rlimits[2].resource == RLIMIT_NPROC && p->rlimits[2].soft == 0);
  CHECK(p->rlimits[2].hard == 9223372036854775806ull);
  CHECK(!p->no_new_privileges);
  CHECK(p->has_oom_score_adj && p->oom_score_adj == -999);
  CHECK_STREQ(p->apparmor_profile, "podrun-default");
  CHECK_STREQ(p->selinux_label, "system_u:system_r:container_t:s0");
  CHECK_STREQ(s->root_path, "/var/lib/podrun/rootfs");
  CHECK(!s->root_readonly);
  CHECK_STREQ(s->domainname, "example.org");
  CHECK(json_object_size(s->annotations) == 2);
  CHECK_STREQ(json_string_value(json_object_get(s->annotations, "org.example.key")), "value");

  CHECK(s->n_mounts == 5);
  struct spec_mount *m = s->mounts;
  CHECK(m[0].bind && m[0].flags == (MS_BIND | MS_RDONLY | MS_NOSUID));
  CHECK(m[0].propagation == (MS_PRIVATE | MS_REC));
  CHECK(m[0].recursive_ro && m[0].rec_attr_set == MOUNT_ATTR_RDONLY);
  /* later options override earlier ones, as with mount(8) */
  CHECK(m[1].type == NULL && m[1].bind);
  CHECK(m[1].flags == (MS_BIND | MS_REC) && m[1].clear_flags == MS_RDONLY);
  CHECK(m[1].propagation == MS_SHARED);
  CHECK(m[1].data == NULL && !m[1].recursive_ro);
  CHECK(!m[2].bind);
  CHECK(m[2].flags == (MS_SYNCHRONOUS | MS_DIRSYNC | MS_MANDLOCK | MS_NOSYMFOLLOW | MS_NODIRATIME));
  CHECK(m[2].clear_flags == (MS_NODEV | MS_NOATIME));
  CHECK_STREQ(m[2].data, "mode=1777,size=10m,uid=5");
  CHECK_STREQ(m[3].type, "none");
  CHECK(m[3].source == NULL && m[3].options && m[3].options[0] == NULL);
  CHECK(m[4].flags == (MS_BIND | MS_REMOUNT) && m[4].propagation == MS_UNBINDABLE);
  CHECK(m[4].rec_attr_set == (MOUNT_ATTR_NOEXEC | MOUNT_ATTR_NOATIME));
  CHECK(m[4].rec_attr_clr == (MOUNT_ATTR__ATIME | MOUNT_ATTR_RDONLY));
  CHECK(!m[4].recursive_ro);

  CHECK(s->hooks[SPEC_HOOK_PRESTART].n == 1);
  CHECK(s->hooks[SPEC_HOOK_CREATE_RUNTIME].n == 2);
  CHECK_STREQ(s->hooks[SPEC_HOOK_CREATE_RUNTIME].list[0].args[1], "--x");
  CHECK_STREQ(s->hooks[SPEC_HOOK_CREATE_RUNTIME].list[1].env[0], "A=1");
  CHECK(s->hooks[SPEC_HOOK_CREATE_CONTAINER].list[0].timeout == 30);
  CHECK_STREQ(s->hooks[SPEC_HOOK_START_CONTAINER].list[0].path, "/usr/bin/sc");
  CHECK(s->hooks[SPEC_HOOK_POSTSTART].n == 0);
  CHECK(s->hooks[SPEC_HOOK_POSTSTOP].list[0].timeout == 1);

  CHECK(s->ns[SPEC_NS_USER].present && s->ns[SPEC_NS_CGROUP].present);
  CHECK(s->ns[SPEC_NS_TIME].present && !s->ns[SPEC_NS_PID].present);
  CHECK_STREQ(s->ns[SPEC_NS_UTS].path, "/proc/1/ns/uts");
  CHECK(s->ns[SPEC_NS_MOUNT].present && s->ns[SPEC_NS_MOUNT].path == NULL);
  CHECK(s->n_uid_mappings == 1 && s->uid_mappings[0].host_id == 100000);
  CHECK(s->uid_mappings[0].size == 65536);
  CHECK(s->n_gid_mappings == 2 && s->gid_mappings[1].host_id == 4294967295u);
  CHECK(s->n_sysctl == 2);
  CHECK_STREQ(s->sysctl[0].key, "net.ipv4.ip_forward");
  CHECK_STREQ(s->sysctl[0].value, "1");
  CHECK_STREQ(s->sysctl[1].key, "kernel.msgmax");
  CHECK_STREQ(s->rootfs_propagation, "rslave");
  CHECK(s->rootfs_propagation_flags == (MS_SLAVE | MS_REC));
  CHECK_STREQ(s->cgroups_path, "/podrun/full");
  CHECK_STREQ(s->mount_label, "system_u:object_r:container_file_t:s0");
  CHECK(json_is_object(s->resources) && json_is_array(s->devices) && json_is_object(s->seccomp));
  CHECK(s->masked_paths && s->masked_paths[0] == NULL);
  CHECK(strv_len(s->readonly_paths) == 1);
}

TEST(default_json_round_trip) {
  cleanup_free char *text = spec_default_json();
  cleanup_free char *path = fixture_path("runc_default.json");
  cleanup_spec struct spec *s = NULL;
  pk_error *err = NULL;
  CHECK(text != NULL);
  if (!text)
    return;
  CHECK(spec_parse(text, strlen(text), &s, &err) == 0);
  CHECK(err == NULL);
  if (!s)
    return;
  CHECK_STREQ(s->hostname, "podrun");
  CHECK_STREQ(s->oci_version, "1.0.2-dev");
  CHECK(s->process.terminal && s->root_readonly);
  check_runc_default_mounts(s, unit_failed, 0);
  /* the same document as `runc spec`, hostname aside */
  json_t *ours = json_loads(text, 0, NULL), *runc = json_load_file(path, 0, NULL);
  CHECK(ours && runc);
  if (ours && runc) {
    json_object_set_new(runc, "hostname", json_string("podrun"));
    CHECK(json_equal(ours, runc));
  }
  json_decref(ours);
  json_decref(runc);
  /* byte for byte what `runc spec` wrote, hostname aside */
  cleanup_free char *runc_text = NULL;
  pk_error *rerr = NULL;
  CHECK(file_read_all(path, 0, &runc_text, NULL, &rerr) == 0);
  error_free(&rerr);
  char *h = runc_text ? strstr(runc_text, "\"hostname\": \"runc\"") : NULL;
  CHECK(h != NULL);
  if (h) {
    cleanup_free char *expect = NULL;
    CHECK(asprintf(&expect, "%.*s\"hostname\": \"podrun\"%s", (int)(h - runc_text), runc_text,
                   h + strlen("\"hostname\": \"runc\"")) > 0);
    CHECK_STREQ(text, expect);
  }
  /* runc pretty-prints with tabs */
  CHECK(strstr(text, "\n\t\"process\": {\n\t\t\"terminal\": true,") != NULL);
}

TEST(name_tables) {
  CHECK(spec_cap_from_name("CAP_CHOWN") == 0);
  CHECK(spec_cap_from_name("CAP_KILL") == 5);
  CHECK(spec_cap_from_name("CAP_SYS_ADMIN") == 21);
  CHECK(spec_cap_from_name("CAP_AUDIT_WRITE") == 29);
  CHECK(spec_cap_from_name("CAP_BPF") == 39);
  CHECK(spec_cap_from_name("CAP_CHECKPOINT_RESTORE") == 40);
  CHECK(spec_cap_from_name("KILL") == -1);
  CHECK(spec_cap_from_name("CAP_") == -1);
  CHECK(spec_cap_from_name("cap_kill") == -1);
  CHECK(spec_cap_from_name(NULL) == -1);
  CHECK(spec_rlimit_from_name("RLIMIT_NOFILE") == RLIMIT_NOFILE);
  CHECK(spec_rlimit_from_name("RLIMIT_CPU") == RLIMIT_CPU);
  CHECK(spec_rlimit_from_name("RLIMIT_RTTIME") == RLIMIT_RTTIME);
  CHECK(spec_rlimit_from_name("RLIMIT_AS") == RLIMIT_AS);
  CHECK(spec_rlimit_from_name("NOFILE") == -1);
  CHECK(spec_rlimit_from_name("RLIMIT_") == -1);
  CHECK_STREQ(spec_ns_name(SPEC_NS_NET), "network");
  CHECK_STREQ(spec_ns_name(SPEC_NS_MOUNT), "mount");
  CHECK_STREQ(spec_ns_name(SPEC_NS_TIME), "time");
  CHECK(spec_ns_name(SPEC_NS_COUNT) == NULL);
  CHECK(spec_ns_clone_flag(SPEC_NS_NET) == CLONE_NEWNET);
  CHECK(spec_ns_clone_flag(SPEC_NS_MOUNT) == CLONE_NEWNS);
  CHECK(spec_ns_clone_flag(SPEC_NS_USER) == CLONE_NEWUSER);
  CHECK(spec_ns_clone_flag(SPEC_NS_CGROUP) == CLONE_NEWCGROUP);
  CHECK(spec_ns_clone_flag(SPEC_NS_TIME) == 0x80);
  CHECK_STREQ(spec_hook_kind_name(SPEC_HOOK_PRESTART), "prestart");
  CHECK_STREQ(spec_hook_kind_name(SPEC_HOOK_CREATE_RUNTIME), "createRuntime");
  CHECK_STREQ(spec_hook_kind_name(SPEC_HOOK_CREATE_CONTAINER), "createContainer");
  CHECK_STREQ(spec_hook_kind_name(SPEC_HOOK_START_CONTAINER), "startContainer");
  CHECK_STREQ(spec_hook_kind_name(SPEC_HOOK_POSTSTART), "poststart");
  CHECK_STREQ(spec_hook_kind_name(SPEC_HOOK_POSTSTOP), "poststop");
}

/* The default config with the value at `path` ("mounts[2].destination")
 * replaced by the JSON text `value`, or removed when value is NULL. */
static char *default_with(const char *path, const char *value) {
  cleanup_free char *text = spec_default_json(), *copy = strdup(path);
  json_t *doc = json_loads(text, 0, NULL), *node = doc, *parent = NULL;
  const char *key = NULL;
  long idx = -1;
  char *out;

  if (!doc || !copy)
    abort();
  for (char *tok = strtok(copy, "."); tok; tok = strtok(NULL, ".")) {
    char *br = strchr(tok, '[');
    if (br)
      *br = '\0';
    parent = node;
    key = tok;
    idx = -1;
    node = json_object_get(parent, key);
    while (br) {
      parent = node;
      idx = strtol(br + 1, NULL, 10);
      node = json_array_get(parent, (size_t)idx);
      br = strchr(br + 1, '[');
    }
  }
  if (value) {
    json_error_t jerr;
    json_t *v = json_loads(value, JSON_DECODE_ANY, &jerr);
    if (!v) {
      printf("# bad test value %s: %s\n", value, jerr.text);
      abort();
    }
    if (idx >= 0)
      json_array_set_new(parent, (size_t)idx, v);
    else
      json_object_set_new(parent, key, v);
  } else if (idx >= 0)
    json_array_remove(parent, (size_t)idx);
  else
    json_object_del(parent, key);
  out = json_dumps(doc, JSON_COMPACT);
  json_decref(doc);
  return out;
}

static void check_rejects_text(int *unit_failed, const char *text, const char *want) {
  struct spec *s = NULL;
  pk_error *err = NULL;
  int r = spec_parse(text, strlen(text), &s, &err);
  CHECK(r < 0);
  CHECK(s == NULL);
  CHECK_STREQ(err ? err->msg : NULL, want);
  if (s)
    spec_free(s);
  error_free(&err);
}

static void check_rejects(int *unit_failed, const char *path, const char *value, const char *want) {
  cleanup_free char *text = default_with(path, value);
  check_rejects_text(unit_failed, text, want);
}

TEST(rejects_bad_version_and_top_level) {
  check_rejects(unit_failed, "ociVersion", NULL, "ociVersion: required");
  check_rejects(unit_failed, "ociVersion", "1", "ociVersion: expected a string");
  check_rejects(unit_failed, "ociVersion", "\"2.0.0\"",
                "ociVersion: unsupported version \"2.0.0\" (expected 1.x)");
  check_rejects(unit_failed, "ociVersion", "\"10.1\"",
                "ociVersion: unsupported version \"10.1\" (expected 1.x)");
  check_rejects(unit_failed, "ociVersion", "\"01.0\"",
                "ociVersion: unsupported version \"01.0\" (expected 1.x)");
  check_rejects(unit_failed, "ociVersion", "\"1..0\"",
                "ociVersion: unsupported version \"1..0\" (expected 1.x)");
  check_rejects(unit_failed, "ociVersion", "\"\"",
                "ociVersion: unsupported version \"\" (expected 1.x)");
  check_rejects_text(unit_failed, "[1, 2]", "config.json: expected a JSON object");
  check_rejects_text(unit_failed, "{\n  \"ociVersion\": \"1.0.2\",\n  oops\n}",
                     "config.json: invalid JSON at line 3 column 6: string or '}' expected "
                     "near 'oops'");
  check_rejects_text(unit_failed, "",
                     "config.json: invalid JSON at line 1 column 0: "
                     "'[' or '{' expected near end of file");
  check_rejects_text(unit_failed, "{\"ociVersion\": \"1.0\", \"x\": 99999999999999999999999}",
                     "config.json: invalid JSON at line 1 column 50: too big integer");
}

TEST(rejects_bad_process) {
  check_rejects(unit_failed, "process", NULL, "process: required");
  check_rejects(unit_failed, "process", "[]", "process: expected an object");
  check_rejects(unit_failed, "process.args", NULL, "process.args: required");
  check_rejects(unit_failed, "process.args", "\"sh\"",
                "process.args: expected an array of strings");
  check_rejects(unit_failed, "process.args", "[]",
                "process.args: expected a non-empty array of strings");
  check_rejects(unit_failed, "process.args", "[\"sh\", 1]", "process.args[1]: expected a string");
  check_rejects(unit_failed, "process.args", "[\"\"]",
                "process.args[0]: expected a non-empty string");
  check_rejects(unit_failed, "process.cwd", NULL, "process.cwd: required");
  check_rejects(unit_failed, "process.cwd", "\"work\"", "process.cwd: expected an absolute path");
  check_rejects(unit_failed, "process.env", "[\"PATH=/bin\", \"FOO\"]",
                "process.env[1]: expected \"KEY=VALUE\", got \"FOO\"");
  check_rejects(unit_failed, "process.env", "[\"=x\"]",
                "process.env[0]: expected \"KEY=VALUE\", got \"=x\"");
  check_rejects(unit_failed, "process.env", "{}", "process.env: expected an array of strings");
  check_rejects(unit_failed, "process.terminal", "\"yes\"", "process.terminal: expected a boolean");
  check_rejects(unit_failed, "process.consoleSize", "{\"height\": 10}",
                "process.consoleSize.width: required");
  check_rejects(unit_failed, "process.consoleSize", "{\"height\": -1, \"width\": 80}",
                "process.consoleSize.height: expected an integer between 0 and 65535");
  check_rejects(unit_failed, "process.noNewPrivileges", "1",
                "process.noNewPrivileges: expected a boolean");
  check_rejects(unit_failed, "process.oomScoreAdj", "1001",
                "process.oomScoreAdj: expected an integer between -1000 and 1000");
  check_rejects(unit_failed, "process.oomScoreAdj", "1.5",
                "process.oomScoreAdj: expected an integer between -1000 and 1000");
  check_rejects(unit_failed, "process.apparmorProfile", "false",
                "process.apparmorProfile: expected a string");
  check_rejects(unit_failed, "process.selinuxLabel", "{}",
                "process.selinuxLabel: expected a string");
}

TEST(rejects_bad_user) {
  check_rejects(unit_failed, "process.user", "0", "process.user: expected an object");
  check_rejects(unit_failed, "process.user.uid", "-1",
                "process.user.uid: expected an integer between 0 and 4294967294");
  check_rejects(unit_failed, "process.user.uid", "4294967295",
                "process.user.uid: expected an integer between 0 and 4294967294");
  check_rejects(unit_failed, "process.user.gid", "\"0\"",
                "process.user.gid: expected an integer between 0 and 4294967294");
  check_rejects(unit_failed, "process.user.additionalGids", "[1, 4294967295]",
                "process.user.additionalGids[1]: expected an integer between 0 and 4294967294");
  check_rejects(unit_failed, "process.user.additionalGids", "5",
                "process.user.additionalGids: expected an array of integers");
  check_rejects(unit_failed, "process.user.umask", "1000",
                "process.user.umask: expected a mode between 0 and 0777");
}

TEST(rejects_bad_caps_and_rlimits) {
  check_rejects(unit_failed, "process.capabilities.bounding[1]", "\"CAP_FOO\"",
                "process.capabilities.bounding[1]: unknown capability \"CAP_FOO\"");
  check_rejects(unit_failed, "process.capabilities.ambient[0]", "\"kill\"",
                "process.capabilities.ambient[0]: unknown capability \"kill\"");
  check_rejects(unit_failed, "process.capabilities.effective", "\"CAP_KILL\"",
                "process.capabilities.effective: expected an array of strings");
  check_rejects(unit_failed, "process.capabilities.permitted[2]", "7",
                "process.capabilities.permitted[2]: expected a string");
  check_rejects(unit_failed, "process.capabilities", "[\"CAP_KILL\"]",
                "process.capabilities: expected an object");
  check_rejects(unit_failed, "process.rlimits", "{}",
                "process.rlimits: expected an array of objects");
  check_rejects(unit_failed, "process.rlimits[0].type", "\"RLIMIT_FOO\"",
                "process.rlimits[0].type: unknown rlimit \"RLIMIT_FOO\"");
  check_rejects(unit_failed, "process.rlimits[0].type", NULL, "process.rlimits[0].type: required");
  check_rejects(unit_failed, "process.rlimits[0].soft", "2048",
                "process.rlimits[0]: soft limit 2048 is above hard limit 1024");
  check_rejects(unit_failed, "process.rlimits[0].hard", "-1",
                "process.rlimits[0].hard: expected a non-negative integer");
  check_rejects(unit_failed, "process.rlimits[0].soft", NULL, "process.rlimits[0].soft: required");
  check_rejects(unit_failed, "process.rlimits",
                "[{\"type\": \"RLIMIT_NOFILE\", \"soft\": 1, \"hard\": 2},"
                " {\"type\": \"RLIMIT_NOFILE\", \"soft\": 1, \"hard\": 2}]",
                "process.rlimits[1].type: duplicate rlimit \"RLIMIT_NOFILE\"");
}

TEST(rejects_bad_root_and_names) {
  check_rejects(unit_failed, "root", NULL, "root: required");
  check_rejects(unit_failed, "root", "\"rootfs\"", "root: expected an object");
  check_rejects(unit_failed, "root.path", NULL, "root.path: required");
  check_rejects(unit_failed, "root.path", "5", "root.path: expected a string");
  check_rejects(unit_failed, "root.path", "\"\"", "root.path: expected a non-empty string");
  check_rejects(unit_failed, "root.readonly", "\"true\"", "root.readonly: expected a boolean");
  check_rejects(unit_failed, "hostname", "7", "hostname: expected a string");
  check_rejects(unit_failed, "domainname", "[]", "domainname: expected a string");
  check_rejects(unit_failed, "annotations", "{\"a\": \"b\", \"c.d\": 1}",
                "annotations[\"c.d\"]: expected a string");
  check_rejects(unit_failed, "annotations", "[]", "annotations: expected an object of strings");
}

TEST(rejects_bad_mounts) {
  check_rejects(unit_failed, "mounts", "{}", "mounts: expected an array of objects");
  check_rejects(unit_failed, "mounts[3]", "\"x\"", "mounts[3]: expected an object");
  check_rejects(unit_failed, "mounts[2].destination", "\"dev/pts\"",
                "mounts[2].destination: expected an absolute path");
  check_rejects(unit_failed, "mounts[0].destination", NULL, "mounts[0].destination: required");
  check_rejects(unit_failed, "mounts[0].destination", "[]",
                "mounts[0].destination: expected an absolute path");
  check_rejects(unit_failed, "mounts[1].options", "\"nosuid\"",
                "mounts[1].options: expected an array of strings");
  check_rejects(unit_failed, "mounts[1].options[2]", "null",
                "mounts[1].options[2]: expected a string");
  check_rejects(unit_failed, "mounts[4].type", "1", "mounts[4].type: expected a string");
  check_rejects(unit_failed, "mounts[5].source", "true", "mounts[5].source: expected a string");
}

TEST(rejects_bad_linux) {
  check_rejects(unit_failed, "linux", "[]", "linux: expected an object");
  check_rejects(unit_failed, "linux.namespaces[1].type", "\"foo\"",
                "linux.namespaces[1].type: unknown namespace type \"foo\" (expected pid, "
                "network, ipc, uts, mount, user, cgroup, time)");
  check_rejects(unit_failed, "linux.namespaces[4]", "{\"type\": \"pid\"}",
                "linux.namespaces[4].type: duplicate namespace \"pid\"");
  check_rejects(unit_failed, "linux.namespaces[0].type", NULL,
                "linux.namespaces[0].type: required");
  check_rejects(unit_failed, "linux.namespaces[1]",
                "{\"type\": \"network\", \"path\": \"run/netns/x\"}",
                "linux.namespaces[1].path: expected an absolute path");
  check_rejects(unit_failed, "linux.namespaces", "{}",
                "linux.namespaces: expected an array of objects");
  check_rejects(unit_failed, "linux.maskedPaths[2]", "\"proc/kcore\"",
                "linux.maskedPaths[2]: expected an absolute path");
  check_rejects(unit_failed, "linux.readonlyPaths", "\"/proc\"",
                "linux.readonlyPaths: expected an array of absolute paths");
  check_rejects(unit_failed, "linux.sysctl", "{\"net.ipv4.ip_forward\": 1}",
                "linux.sysctl[\"net.ipv4.ip_forward\"]: expected a string");
  check_rejects(unit_failed, "linux.rootfsPropagation", "\"bogus\"",
                "linux.rootfsPropagation: unknown value \"bogus\" (expected private, rprivate, "
                "shared, rshared, slave, rslave, unbindable, runbindable)");
  check_rejects(unit_failed, "linux.uidMappings", "[{\"containerID\": 0, \"hostID\": 1000}]",
                "linux.uidMappings[0].size: required");
  check_rejects(unit_failed, "linux.gidMappings",
                "[{\"containerID\": 0, \"hostID\": -5, \"size\": 1}]",
                "linux.gidMappings[0].hostID: expected an integer between 0 and 4294967295");
  check_rejects(unit_failed, "linux.resources", "[]", "linux.resources: expected an object");
  check_rejects(unit_failed, "linux.devices", "{}", "linux.devices: expected an array of objects");
  check_rejects(unit_failed, "linux.seccomp", "\"unconfined\"",
                "linux.seccomp: expected an object");
  check_rejects(unit_failed, "linux.cgroupsPath", "1", "linux.cgroupsPath: expected a string");
}

TEST(rejects_bad_hooks) {
  check_rejects(unit_failed, "hooks", "[]", "hooks: expected an object");
  check_rejects(unit_failed, "hooks", "{\"prestart\": [{\"path\": \"relative\"}]}",
                "hooks.prestart[0].path: expected an absolute path");
  check_rejects(unit_failed, "hooks", "{\"startContainer\": [{\"args\": [\"x\"]}]}",
                "hooks.startContainer[0].path: required");
  check_rejects(unit_failed, "hooks",
                "{\"poststop\": [{\"path\": \"/bin/true\"}, {\"path\": \"/bin/true\", "
                "\"timeout\": 0}]}",
                "hooks.poststop[1].timeout: expected a positive integer");
  check_rejects(unit_failed, "hooks", "{\"createRuntime\": {}}",
                "hooks.createRuntime: expected an array of objects");
  check_rejects(unit_failed, "hooks", "{\"createContainer\": [{\"path\": \"/x\", \"env\": 1}]}",
                "hooks.createContainer[0].env: expected an array of strings");
  check_rejects(unit_failed, "hooks", "{\"poststart\": [{\"path\": \"/x\", \"args\": [1]}]}",
                "hooks.poststart[0].args[0]: expected a string");
}

TEST(null_means_absent_and_unknown_fields_ignored) {
  cleanup_free char *t1 = default_with("hostname", "null");
  cleanup_free char *t2 = default_with("process.futureThing", "{\"a\": [1, {\"b\": null}]}");
  struct spec *s = NULL;
  pk_error *err = NULL;
  CHECK(spec_parse(t1, strlen(t1), &s, &err) == 0);
  CHECK(s && s->hostname == NULL);
  spec_free(s);
  s = NULL;
  CHECK(spec_parse(t2, strlen(t2), &s, &err) == 0);
  CHECK(err == NULL);
  spec_free(s);
}

static char *write_bundle(const char *content) {
  char tmpl[] = "/tmp/sp-spec.XXXXXX";
  char *dir = mkdtemp(tmpl) ? strdup(tmpl) : NULL;
  cleanup_free char *path = NULL;
  pk_error *err = NULL;
  if (!dir || asprintf(&path, "%s/config.json", dir) < 0)
    abort();
  if (content && file_write_atomic(path, content, strlen(content), 0644, &err) < 0)
    abort();
  return dir;
}

static void remove_bundle(char *dir) {
  cleanup_free char *path = NULL;
  if (asprintf(&path, "%s/config.json", dir) > 0)
    unlink(path);
  rmdir(dir);
  free(dir);
}

TEST(spec_load_names_the_file) {
  cleanup_free char *def = spec_default_json();
  cleanup_free char *bad = default_with("process.args", "\"sh\"");
  char *dir;
  cleanup_free char *want = NULL;
  struct spec *s = NULL;
  pk_error *err = NULL;

  CHECK(spec_load("/nonexistent-sp", &s, &err) < 0);
  CHECK_STREQ(err ? err->msg : NULL, "open /nonexistent-sp/config.json: No such file or directory");
  CHECK(err && err->errnum == ENOENT);
  error_free(&err);

  dir = write_bundle(def);
  CHECK(spec_load(dir, &s, &err) == 0);
  CHECK(s && s->process.args && strcmp(s->process.args[0], "sh") == 0);
  spec_free(s);
  s = NULL;
  remove_bundle(dir);

  dir = write_bundle(bad);
  CHECK(spec_load(dir, &s, &err) < 0);
  CHECK(asprintf(&want, "%s/config.json: process.args: expected an array of strings", dir) > 0);
  CHECK_STREQ(err ? err->msg : NULL, want);
  error_free(&err);
  remove_bundle(dir);

  dir = write_bundle("{\"ociVersion\": ");
  CHECK(spec_load(dir, &s, &err) < 0);
  free(want);
  CHECK(asprintf(&want,
                 "%s/config.json: invalid JSON at line 1 column 15: unexpected token near end "
                 "of file",
                 dir) > 0);
  CHECK_STREQ(err ? err->msg : NULL, want);
  error_free(&err);
  remove_bundle(dir);
}

/* Go writes 2^64-1 for an unlimited rlimit; jansson stops at 2^63-1.  The
 * rewrite that fixes this must keep later error positions right. */
TEST(big_unsigned_integers) {
  const char *ok = "{\"ociVersion\": \"1.0\", \"root\": {\"path\": \"r\"}, \"process\": {\"args\": "
                   "[\"x\"], \"cwd\": \"/\", \"rlimits\": [{\"type\": \"RLIMIT_CORE\", \"soft\": "
                   "18446744073709551615, \"hard\": 18446744073709551615}]},"
                   " \"s\": \"18446744073709551615\", \"n\": -1}";
  struct spec *s = NULL;
  pk_error *err = NULL;
  CHECK(spec_parse(ok, strlen(ok), &s, &err) == 0);
  CHECK(err == NULL);
  CHECK(s && s->process.n_rlimits == 1 && s->process.rlimits[0].soft == UINT64_MAX);
  CHECK(s &&
        strcmp(json_string_value(json_object_get(s->root_json, "s")), "18446744073709551615") == 0);
  spec_free(s);
  check_rejects_text(unit_failed, "{\"a\": 18446744073709551615,\n \"b\": 18446744073709551616}",
                     "config.json: invalid JSON at line 2 column 26: too big integer near "
                     "'18446744073709551616'");
  check_rejects_text(unit_failed, "{\"a\": 18446744073709551615,\n \"b\": x}",
                     "config.json: invalid JSON at line 2 column 7: invalid token near 'x'");
}

TEST(parse_is_fast) {
  cleanup_free char *text = spec_default_json();
  size_t len = strlen(text);
  struct timespec a, b;
  const int n = 2000;
  clock_gettime(CLOCK_MONOTONIC, &a);
  for (int i = 0; i < n; i++) {
    struct spec *s = NULL;
    pk_error *err = NULL;
    if (spec_parse(text, len, &s, &err) < 0) {
      CHECK(0);
      error_free(&err);
      break;
    }
    spec_free(s);
  }
  clock_gettime(CLOCK_MONOTONIC, &b);
  double us = ((double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec)) / 1e3 / n;
  printf("# spec_parse of the default config: %.1f us\n", us);
  /* ~20 us here; the bound only catches an accidental quadratic walk */
  CHECK(us < 2000);
}

/* Every input the fuzzer ever kept, crashes included, must parse or fail
 * cleanly. */
TEST(fuzz_corpus_replays) {
  cleanup_free char *dir = NULL;
  cleanup_closedir DIR *d = NULL;
  struct dirent *de;
  int n = 0;

  if (asprintf(&dir, "%s/tests/fuzz/corpus/spec", top_dir()) < 0)
    abort();
  d = opendir(dir);
  CHECK(d != NULL);
  if (!d)
    return;
  while ((de = readdir(d))) {
    cleanup_free char *path = NULL, *text = NULL;
    struct spec *s = NULL;
    pk_error *err = NULL;
    size_t len;
    if (de->d_name[0] == '.')
      continue;
    if (asprintf(&path, "%s/%s", dir, de->d_name) < 0)
      abort();
    if (file_read_all(path, 0, &text, &len, &err) < 0) {
      CHECK(0);
      error_free(&err);
      continue;
    }
    if (spec_parse(text, len, &s, &err) == 0) {
      CHECK(s && s->process.args && s->process.args[0] && s->process.cwd[0] == '/');
      spec_free(s);
    } else {
      CHECK(err && err->msg && err->msg[0]);
      error_free(&err);
    }
    n++;
  }
  printf("# replayed %d corpus files\n", n);
  CHECK(n >= 5);
}
