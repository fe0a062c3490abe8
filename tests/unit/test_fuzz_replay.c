/* Replays every input the podnet, pod and podrun-CLI fuzz targets ever kept
 * (tests/fuzz/corpus/{hookstate,net_args,podspec,podrun_args}, crash
 * regressions included)
 * through the targets' own checks, so `make check` (and its ASan build)
 * guards them without clang or libFuzzer.  A broken promise aborts, naming
 * the input first. */
#include <dirent.h>
#include <sys/stat.h>

#include "cleanup.h"
#include "unit.h"
#include "util.h"

static const char *replay_input = "";

#define MUST(c)                                                                                    \
  do {                                                                                             \
    if (!(c)) {                                                                                    \
      printf("# %s: MUST(%s) failed at %s:%d\n", replay_input, #c, __FILE__, __LINE__);            \
      fflush(stdout);                                                                              \
      abort();                                                                                     \
    }                                                                                              \
  } while (0)

#define PODKIT_FUZZ_REPLAY
#include "../fuzz/fuzz_hookstate.c"
#include "../fuzz/fuzz_net_args.c"
#include "../fuzz/fuzz_podrun_args.c"
#include "../fuzz/fuzz_podspec.c"

static const char *top_dir(void) {
  return unit_top_dir("tests/fuzz/corpus/hookstate");
}

static char *corpus_file(const char *corpus, const char *name, size_t *len) {
  cleanup_free char *path = NULL;
  char *text = NULL;
  pk_error *err = NULL;

  if (asprintf(&path, "%s/tests/fuzz/corpus/%s/%s", top_dir(), corpus, name) < 0)
    abort();
  if (file_read_all(path, 0, &text, len, &err) < 0) {
    printf("# %s\n", err->msg);
    error_free(&err);
    return NULL;
  }
  return text;
}

/* Returns the number of files replayed, -1 if the directory is missing. */
static int corpus_replay(const char *corpus, int (*one)(const uint8_t *, size_t),
                         int *unit_failed) {
  cleanup_free char *dir = NULL;
  cleanup_closedir DIR *d = NULL;
  struct dirent *de;
  int n = 0;

  if (asprintf(&dir, "%s/tests/fuzz/corpus/%s", top_dir(), corpus) < 0)
    abort();
  d = opendir(dir);
  if (d == NULL) {
    printf("# cannot open %s\n", dir);
    return -1;
  }
  while ((de = readdir(d))) {
    cleanup_free char *text = NULL;
    size_t len = 0;
    if (de->d_name[0] == '.')
      continue;
    text = corpus_file(corpus, de->d_name, &len);
    CHECK(text != NULL);
    if (text == NULL)
      continue;
    replay_input = de->d_name;
    one((const uint8_t *)text, len);
    n++;
  }
  replay_input = "";
  printf("# replayed %d %s corpus files\n", n, corpus);
  return n;
}

TEST(hookstate_corpus_replays) {
  CHECK(corpus_replay("hookstate", fuzz_hookstate_one, unit_failed) >= 10);
}

TEST(net_args_corpus_replays) {
  CHECK(corpus_replay("net_args", fuzz_net_args_one, unit_failed) >= 10);
}

TEST(podspec_corpus_replays) {
  CHECK(corpus_replay("podspec", fuzz_podspec_one, unit_failed) >= 30);
}

TEST(podrun_args_corpus_replays) {
  CHECK(corpus_replay("podrun_args", fuzz_podrun_args_one, unit_failed) >= 40);
}

/* The crash regressions still reach the code they crashed, and are now
 * refused with a message instead of dropping an argument or overflowing. */
TEST(podspec_regressions_refused) {
  static const char *const refused[] = {"generate_arg_not_utf8",        "generate_env_not_utf8",
                                        "generate_env_empty_key",       "generate_empty_arg0",
                                        "generate_relative_cwd",        "rewrite_bind_source_long",
                                        "rewrite_root_path_long_dotdot"};
  static const char *const accepted[] = {"generate_basic", "rewrite_runc_spec_all",
                                         "rewrite_bind_sources", "rewrite_net_uts_user"};
  for (size_t i = 0; i < sizeof(refused) / sizeof(*refused) + sizeof(accepted) / sizeof(*accepted);
       i++) {
    bool want_ok = i >= sizeof(refused) / sizeof(*refused);
    const char *name = want_ok ? accepted[i - sizeof(refused) / sizeof(*refused)] : refused[i];
    cleanup_free char *text = NULL, *out = NULL;
    cleanup_error pk_error *err = NULL;
    size_t len = 0;
    int rc;
    text = corpus_file("podspec", name, &len);
    CHECK(text != NULL && len >= 2);
    if (text == NULL || len < 2)
      continue;
    if (text[0] == '0') {
      rc = pod_spec_rewrite(text + 2, podspec_bundle_dir(), text[1] & POD_NS_ALL, PODSPEC_NS_DIR,
                            &out, &err);
    } else {
      char *args[8], *env[8], *cwd = NULL;
      size_t na = 0, ne = 0;
      for (char *f = text + 1; f < text + len; f += strlen(f) + 1) {
        if (f[0] == 'a' && na < 8)
          args[na++] = f + 1;
        else if (f[0] == 'e' && ne < 8)
          env[ne++] = f + 1;
        else if (f[0] == 'c')
          cwd = f + 1;
      }
      rc = pod_spec_generate(podspec_bundle_dir(), env, ne, cwd, args, na, &out, &err);
    }
    if ((rc == 0) != want_ok)
      printf("# %s: %s\n", name, err ? err->msg : "accepted");
    CHECK((rc == 0) == want_ok);
  }
}

TEST(podrun_signal_rt_offsets) {
  cleanup_error pk_error *err = NULL;
  int sig = 0;
  CHECK(container_signal_parse("RTMIN+3", &sig, &err) == 0 && sig == SIGRTMIN + 3);
  CHECK(container_signal_parse("SIGRTMAX-1", &sig, &err) == 0 && sig == SIGRTMAX - 1);
  CHECK(container_signal_parse("RTMIN+9223372036854775807", &sig, &err) < 0);
  CHECK(err && strstr(err->msg, "invalid signal"));
}

/* The seeds still say what their names say: a corpus of inputs that all
 * fail at the first byte would replay cleanly and cover nothing. */
TEST(hookstate_seeds_parse_as_named) {
  static const char *const good[] = {"running", "created", "stopped_no_pid", "stopped_null_pid"};
  static const char *const bad[] = {"running_no_pid", "bad_id",       "pid_huge",   "pid_negative",
                                    "ann_not_object", "empty_id",     "not_object", "truncated",
                                    "empty",          "nul_in_string"};
  for (size_t i = 0; i < sizeof(good) / sizeof(*good) + sizeof(bad) / sizeof(*bad); i++) {
    bool want_ok = i < sizeof(good) / sizeof(*good);
    const char *name = want_ok ? good[i] : bad[i - sizeof(good) / sizeof(*good)];
    cleanup_free char *text = NULL;
    cleanup_error pk_error *err = NULL;
    struct hook_state s;
    size_t len = 0;
    int rc;
    text = corpus_file("hookstate", name, &len);
    CHECK(text != NULL);
    if (text == NULL)
      continue;
    rc = hook_state_parse(text, len, &s, &err);
    if ((rc == 0) != want_ok)
      printf("# %s: %s\n", name, err ? err->msg : "accepted");
    CHECK((rc == 0) == want_ok);
    if (rc == 0)
      hook_state_free(&s);
  }
}

TEST(hookstate_seed_annotations) {
  size_t len = 0;
  cleanup_free char *text = corpus_file("hookstate", "running", &len);
  cleanup_error pk_error *err = NULL;
  struct hook_state s;

  CHECK(text != NULL);
  if (text == NULL)
    return;
  CHECK(hook_state_parse(text, len, &s, &err) == 0);
  if (err)
    return;
  CHECK(s.pid == 4242);
  CHECK_STREQ(s.id, "web1");
  CHECK_STREQ(s.bridge, "pk0");
  CHECK_STREQ(s.ip, "10.88.0.5");
  CHECK_STREQ(s.publish, "8080:80");
  hook_state_free(&s);
}

TEST(net_args_seed_publish) {
  size_t len = 0, n = 0;
  cleanup_free char *text = corpus_file("net_args", "publish_ok", &len);
  cleanup_error pk_error *err = NULL;
  struct nft_forward fws[PUBLISH_MAX];

  CHECK(text != NULL && len > 1 && text[0] % NA_COUNT == NA_PUBLISH);
  if (text == NULL || len < 1)
    return;
  CHECK(publish_list_parse(text + 1, fws, PUBLISH_MAX, &n, &err) == 0);
  CHECK(n == 3);
  if (n != 3)
    return;
  CHECK(fws[0].host_port_first == 8080 && fws[0].to_port == 80 && fws[0].proto == IPPROTO_TCP);
  CHECK(fws[1].host_ip.s_addr == htonl(INADDR_LOOPBACK) && fws[1].host_port_first == 8443);
  CHECK(fws[2].to_port == 53 && fws[2].proto == IPPROTO_UDP);
}
