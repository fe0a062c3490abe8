/* libFuzzer target for pod's config writer (pod/lib/podspec.c): the
 * rewrite of a member bundle's config.json (whatever the user hands to
 * `pod add BUNDLE`), the config `pod add --name -- CMD` generates from its
 * command line, and the --share list.  The first byte picks the function
 * (byte % 3, so '0'..'2' in a readable corpus file):
 *   '0' rewrite: the second byte's low 4 bits are the shared namespaces
 *       (net 1, ipc 2, uts 4, pid 8), the rest is config.json;
 *   '1' generate: the rest is NUL-separated fields, "a..." an argument,
 *       "e..." an -e entry, "c..." the -w directory;
 *   '2' share: the rest is the --share argument.
 * Besides "no crash, no leak, no UB" an accepted input must come out as
 * podspec.h promises: the pod's namespaces joined by path, the others as
 * they were, root.path absolute, a second rewrite changing nothing, and a
 * generated config that podrun's own parser accepts, holding the command
 * exactly.  tests/unit/test_fuzz_replay.c includes this file with
 * PODKIT_FUZZ_REPLAY defined to replay the corpus through the same checks. */
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "podspec.h"
#include "spec.h"

#ifndef MUST
#define MUST(c)                                                                                    \
  do {                                                                                             \
    if (!(c))                                                                                      \
      abort();                                                                                     \
  } while (0)
#endif

#define PODSPEC_NS_DIR "/run/pod/fuzz/ns"

/* A bundle directory with a rootfs, so that "rootfs" resolves: in
 * $PODKIT_FUZZ_TMP (tests/fuzz/run.sh's scratch directory, removed with
 * it however the fuzzer ends), else made once per process and removed at
 * exit. */
static char podspec_bundle[PATH_MAX];
static char podspec_rootfs[PATH_MAX + 8];

static void podspec_bundle_remove(void) {
  rmdir(podspec_rootfs);
  rmdir(podspec_bundle);
}

static const char *podspec_bundle_dir(void) {
  const char *tmp = getenv("PODKIT_FUZZ_TMP");

  if (podspec_bundle[0] != '\0')
    return podspec_bundle;
  if (tmp && *tmp) {
    snprintf(podspec_bundle, sizeof(podspec_bundle), "%s/bundle", tmp);
    MUST(mkdir(podspec_bundle, 0755) == 0 || errno == EEXIST);
  } else {
    snprintf(podspec_bundle, sizeof(podspec_bundle), "%s", "/tmp/podkit-podspec-bundle.XXXXXX");
    MUST(mkdtemp(podspec_bundle) != NULL);
    atexit(podspec_bundle_remove);
  }
  snprintf(podspec_rootfs, sizeof(podspec_rootfs), "%s/rootfs", podspec_bundle);
  MUST(mkdir(podspec_rootfs, 0755) == 0 || errno == EEXIST);
  return podspec_bundle;
}

static void podspec_failed(int rc, char *out, pk_error **err) {
  MUST(rc < 0 && out == NULL);
  MUST(*err && (*err)->msg && (*err)->msg[0]);
  error_free(err);
}

static const char *ns_path_of(json_t *e) {
  return json_string_value(json_object_get(e, "path"));
}

/* The namespace entries of `cfg` (NULL when it has none). */
static json_t *namespaces_of(json_t *cfg) {
  return json_object_get(json_object_get(cfg, "linux"), "namespaces");
}

static void check_rewrite(const char *in, int share) {
  pk_error *err = NULL;
  char *out = NULL, *again = NULL;
  const char *bundle = podspec_bundle_dir();
  json_t *before, *after, *ns, *e;
  size_t k;
  int rc;

  rc = pod_spec_rewrite(in, bundle, share, PODSPEC_NS_DIR, &out, &err);
  if (rc < 0) {
    podspec_failed(rc, out, &err);
    return;
  }
  MUST(rc == 0 && err == NULL && out != NULL);
  before = json_loads(in, 0, NULL);
  after = json_loads(out, 0, NULL);
  MUST(json_is_object(before) && json_is_object(after));

  /* root.path: absolute, and the rootfs itself when it was "rootfs" */
  const char *root = json_string_value(json_object_get(json_object_get(after, "root"), "path"));
  MUST(root && root[0] == '/');
  const char *root_in = json_string_value(json_object_get(json_object_get(before, "root"), "path"));
  MUST(root_in);
  if (root_in[0] == '/')
    MUST(strcmp(root, root_in) == 0);
  if (root_in[0] != '/') {
    /* the directory the relative path names, however long it is */
    char *joined = NULL, *real;
    MUST(asprintf(&joined, "%s/%s", bundle, root_in) > 0);
    real = realpath(joined, NULL);
    MUST(real && strcmp(root, real) == 0);
    free(real);
    free(joined);
  }

  /* members run detached; a joined uts namespace takes no hostname */
  if (json_is_object(json_object_get(after, "process")))
    MUST(json_is_false(json_object_get(json_object_get(after, "process"), "terminal")));
  if (share & POD_NS_UTS)
    MUST(!json_object_get(after, "hostname") && !json_object_get(after, "domainname"));
  else {
    json_t *hb = json_object_get(before, "hostname"), *ha = json_object_get(after, "hostname");
    MUST((!hb && !ha) || json_equal(hb, ha));
  }

  /* relative bind sources now name the same place, from the bundle */
  json_t *mb = json_object_get(before, "mounts"), *ma = json_object_get(after, "mounts");
  MUST(json_array_size(mb) == json_array_size(ma));
  json_array_foreach(ma, k, e) {
    const char *sb = json_string_value(json_object_get(json_array_get(mb, k), "source"));
    const char *sa = json_string_value(json_object_get(e, "source"));
    const char *type = json_string_value(json_object_get(e, "type"));
    bool bind = type && strcmp(type, "bind") == 0;
    size_t oi;
    json_t *o;
    json_array_foreach(json_object_get(e, "options"), oi, o) {
      const char *os = json_string_value(o);
      bind |= os && (strcmp(os, "bind") == 0 || strcmp(os, "rbind") == 0);
    }
    MUST(!sb == !sa);
    if (sa && sa[0] != '/')
      MUST(!bind && strcmp(sa, sb) == 0);
    if (sa && sb && sb[0] != '/' && strcmp(sa, sb) != 0) {
      size_t bl = strlen(bundle);
      MUST(strncmp(sa, bundle, bl) == 0 && sa[bl] == '/' && strcmp(sa + bl + 1, sb) == 0);
    }
  }

  /* every shared type joined by path; the others untouched, in order */
  ns = namespaces_of(after);
  MUST(json_is_array(ns));
  json_t *ns_in = namespaces_of(before);
  MUST(json_array_size(ns) >= json_array_size(ns_in));
  json_array_foreach(ns_in, k, e) {
    const char *type = json_string_value(json_object_get(e, "type"));
    bool shared = false;
    for (size_t i = 0; type && i < POD_NS_COUNT; i++)
      shared |= (share & pod_ns_bit(i)) && strcmp(type, pod_ns_oci_name(i)) == 0;
    if (!shared)
      MUST(json_equal(e, json_array_get(ns, k)));
  }
  for (size_t i = 0; i < POD_NS_COUNT; i++) {
    char want[PATH_MAX];
    int found = 0;
    snprintf(want, sizeof(want), "%s/%s", PODSPEC_NS_DIR, pod_ns_proc_name(i));
    json_array_foreach(ns, k, e) {
      const char *type = json_string_value(json_object_get(e, "type"));
      MUST(type);
      if (strcmp(type, pod_ns_oci_name(i)) != 0)
        continue;
      if (share & pod_ns_bit(i)) {
        MUST(ns_path_of(e) && strcmp(ns_path_of(e), want) == 0);
        found++;
      }
    }
    MUST(!(share & pod_ns_bit(i)) || found >= 1);
  }
  json_array_foreach(ns, k, e) {
    if (k >= json_array_size(ns_in)) {
      /* an added entry is a shared type the bundle left out */
      const char *type = json_string_value(json_object_get(e, "type"));
      size_t i;
      for (i = 0; i < POD_NS_COUNT; i++)
        if (strcmp(type, pod_ns_oci_name(i)) == 0)
          break;
      MUST(i < POD_NS_COUNT && (share & pod_ns_bit(i)));
    }
  }

  /* a config that already joins the pod is left as it is */
  MUST(pod_spec_rewrite(out, bundle, share, PODSPEC_NS_DIR, &again, &err) == 0);
  MUST(strcmp(out, again) == 0);

  /* what podrun accepted before, it accepts after */
  struct spec *s = NULL;
  if (spec_parse(in, strlen(in), &s, &err) == 0) {
    spec_free(s);
    s = NULL;
    if (spec_parse(out, strlen(out), &s, &err) < 0) {
#ifdef PODKIT_FUZZ_REPLAY
      printf("# rewritten config rejected: %s\n", err->msg);
#endif
      MUST(0);
    }
    spec_free(s);
  } else {
    error_free(&err);
  }
  json_decref(before);
  json_decref(after);
  free(again);
  free(out);
}

static void check_generate(const uint8_t *data, size_t size) {
  char *args[64], *env[64], *cwd = NULL, *out = NULL;
  size_t n_args = 0, n_env = 0;
  pk_error *err = NULL;
  char *copy = malloc(size + 1);
  int rc;

  if (copy == NULL)
    return;
  memcpy(copy, data, size);
  copy[size] = '\0';
  for (char *f = copy; f < copy + size; f += strlen(f) + 1) {
    if (f[0] == 'a' && n_args < 64)
      args[n_args++] = f + 1;
    else if (f[0] == 'e' && n_env < 64)
      env[n_env++] = f + 1;
    else if (f[0] == 'c')
      cwd = f + 1;
  }
  rc = pod_spec_generate(podspec_bundle_dir(), env, n_env, cwd, args, n_args, &out, &err);
  if (rc < 0) {
    podspec_failed(rc, out, &err);
    free(copy);
    return;
  }
  MUST(rc == 0 && err == NULL && out);

  /* podrun takes it, and runs exactly the command given */
  struct spec *s = NULL;
  if (spec_parse(out, strlen(out), &s, &err) < 0) {
#ifdef PODKIT_FUZZ_REPLAY
    printf("# generated config rejected: %s\n", err->msg);
#endif
    MUST(0);
  }
  size_t i;
  for (i = 0; s->process.args[i]; i++)
    MUST(i < n_args && strcmp(s->process.args[i], args[i]) == 0);
  MUST(i == n_args);
  MUST(s->process.env[0] && strncmp(s->process.env[0], "PATH=", 5) == 0);
  for (i = 0; s->process.env[i + 1]; i++)
    MUST(i < n_env && strcmp(s->process.env[i + 1], env[i]) == 0);
  MUST(i == n_env);
  MUST(strcmp(s->process.cwd, cwd ? cwd : "/") == 0);
  MUST(!s->process.terminal);
  spec_free(s);
  free(out);
  free(copy);
}

static void check_share(const char *in) {
  pk_error *err = NULL;
  char buf[32];
  int mask = -1, back = -1;
  int rc = pod_share_parse(in, &mask, &err);

  if (rc < 0) {
    MUST(err && err->msg && err->msg[0]);
    error_free(&err);
    return;
  }
  MUST(rc == 0 && err == NULL && (mask & ~POD_NS_ALL) == 0);
  MUST(pod_share_parse(pod_share_str(mask, buf, sizeof(buf)), &back, &err) == 0 && back == mask);
}

static int fuzz_podspec_one(const uint8_t *data, size_t size) {
  char *s;

  if (size == 0)
    return 0;
  switch (data[0] % 3) {
  case 0:
    if (size < 2)
      return 0;
    /* the functions take C strings: an embedded NUL ends the text */
    s = strndup((const char *)data + 2, size - 2);
    if (s) {
      check_rewrite(s, data[1] & POD_NS_ALL);
      free(s);
    }
    break;
  case 1:
    check_generate(data + 1, size - 1);
    break;
  case 2:
    s = strndup((const char *)data + 1, size - 1);
    if (s) {
      check_share(s);
      free(s);
    }
    break;
  }
  return 0;
}

#ifndef PODKIT_FUZZ_REPLAY
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  return fuzz_podspec_one(data, size);
}
#endif
