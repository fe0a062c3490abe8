/* hooks_run with hand-built specs: order, stdin, args/env, failure and
 * timeout messages. */
#include "cleanup.h"
#include "hooks.h"
#include "unit.h"
#include "util.h"

/* spec_hook_kind_name lives in spec.c; hooks.c only needs the name. */

static struct spec *spec_with_hooks(enum spec_hook_kind kind, struct spec_hook *list, size_t n) {
  struct spec *s = calloc(1, sizeof(*s));
  s->hooks[kind].list = list;
  s->hooks[kind].n = n;
  return s;
}

TEST(hook_gets_state_on_stdin_args_and_env) {
  char out[] = "/tmp/pkhook.XXXXXX";
  int fd = mkstemp(out);
  close(fd);
  cleanup_free char *script = NULL;
  CHECK(asprintf(&script, "cat > %s; echo \" $0 $1 $FOO\" >> %s", out, out) > 0);
  char *args[] = {"sh", "-c", script, "sh", "arg1", NULL};
  char *env[] = {"FOO=bar", NULL};
  struct spec_hook h = {.path = "/bin/sh", .args = args, .env = env};
  struct spec *s = spec_with_hooks(SPEC_HOOK_CREATE_RUNTIME, &h, 1);
  pk_error *err = NULL;
  CHECK(hooks_run(s, SPEC_HOOK_CREATE_RUNTIME, "{\"id\":\"x\"}", &err) == 0);
  CHECK(err == NULL);
  char *text = NULL;
  CHECK(file_read_all(out, 0, &text, NULL, &err) == 0);
  CHECK_STREQ(text, "{\"id\":\"x\"} sh arg1 bar\n");
  free(text);
  unlink(out);
  free(s);
}

TEST(hook_failure_names_kind_path_and_status) {
  char *args[] = {"sh", "-c", "exit 4", NULL};
  struct spec_hook h[2] = {{.path = "/bin/sh", .args = args}, {.path = "/bin/true"}};
  struct spec *s = spec_with_hooks(SPEC_HOOK_PRESTART, h, 2);
  pk_error *err = NULL;
  CHECK(hooks_run(s, SPEC_HOOK_PRESTART, "{}", &err) < 0);
  CHECK_STREQ(err ? err->msg : NULL, "prestart hook /bin/sh: exited with status 4");
  error_free(&err);
  free(s);
}

TEST(hook_missing_binary_fails) {
  struct spec_hook h = {.path = "/nonexistent/hook"};
  struct spec *s = spec_with_hooks(SPEC_HOOK_POSTSTART, &h, 1);
  pk_error *err = NULL;
  CHECK(hooks_run(s, SPEC_HOOK_POSTSTART, "{}", &err) < 0);
  CHECK_STREQ(err ? err->msg : NULL, "poststart hook /nonexistent/hook: exited with status 127");
  error_free(&err);
  free(s);
}

TEST(hook_timeout_kills) {
  char *args[] = {"sh", "-c", "sleep 30", NULL};
  struct spec_hook h = {.path = "/bin/sh", .args = args, .has_timeout = true, .timeout = 1};
  struct spec *s = spec_with_hooks(SPEC_HOOK_CREATE_CONTAINER, &h, 1);
  pk_error *err = NULL;
  CHECK(hooks_run(s, SPEC_HOOK_CREATE_CONTAINER, "{}", &err) < 0);
  CHECK_STREQ(err ? err->msg : NULL, "createContainer hook /bin/sh: timed out after 1 s");
  error_free(&err);
  free(s);
}

TEST(hook_that_ignores_stdin_is_fine) {
  /* a big state and a hook that never reads it: no SIGPIPE, no hang */
  char *big = malloc(1 << 20);
  memset(big, 'x', (1 << 20) - 1);
  big[(1 << 20) - 1] = 0;
  struct spec_hook h = {.path = "/bin/true"};
  struct spec *s = spec_with_hooks(SPEC_HOOK_POSTSTOP, &h, 1);
  pk_error *err = NULL;
  CHECK(hooks_run(s, SPEC_HOOK_POSTSTOP, big, &err) == 0);
  free(big);
  free(s);
}
