/* libFuzzer target for podrun's command-line parsing: the option parsers
 * of runtime/podrun.c and runtime/cmd_exec.c (included here, their main
 * renamed, so that the static parsers are the CLI's own and nothing runs),
 * and the signal names of `podrun kill`.  The first byte picks (byte % 4,
 * so '0'..'3' in a readable corpus file):
 *   '0' container_signal_parse on the rest;
 *   '1' the size/number parser of `podrun update`, bytes units when the
 *       second byte is odd;
 *   '2' a command's options: the second byte picks the command (% the
 *       number of commands), the rest is NUL-separated arguments;
 *   '3' exec's options, the rest NUL-separated arguments.
 * Besides "no crash, no leak, no UB" a refusal is a message and an
 * accepted value is in range.  tests/unit/test_fuzz_replay.c includes this
 * file with PODKIT_FUZZ_REPLAY defined to replay the corpus. */
#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define main podrun_cli_main
#include "../../runtime/cmd_exec.c"
#include "../../runtime/podrun.c"
#undef main

#ifndef MUST
#define MUST(c)                                                                                    \
  do {                                                                                             \
    if (!(c))                                                                                      \
      abort();                                                                                     \
  } while (0)
#endif

#define PA_MAX_ARGS 32

static void pa_failed(pk_error **err) {
  MUST(*err && (*err)->msg && (*err)->msg[0]);
  error_free(err);
}

static void check_signal(const char *s) {
  pk_error *err = NULL;
  int sig = 0, again = 0;

  if (container_signal_parse(s, &sig, &err) < 0) {
    pa_failed(&err);
    return;
  }
  MUST(err == NULL && sig >= 1 && sig < NSIG);
  /* names are case-insensitive, with or without SIG */
  if (strncasecmp(s, "SIG", 3) == 0) {
    MUST(container_signal_parse(s + 3, &again, &err) == 0 && again == sig);
  }
}

static void check_num(const char *s, bool bytes) {
  long long n = 0;
  char *end;

  if (num_parse(s, bytes, &n) < 0)
    return;
  errno = 0;
  long long plain = strtoll(s, &end, 10);
  MUST(end != s && errno == 0);
  if (*end == '\0')
    MUST(n == plain);
  else
    MUST(bytes && plain >= 0 && n >= plain && n <= (1LL << 62));
}

/* argv from NUL-separated fields; argv[0] is the command's name */
static int split_args(char *copy, size_t size, const char *name, char **argv) {
  int argc = 0;
  argv[argc++] = (char *)name;
  for (char *f = copy; f < copy + size && argc < PA_MAX_ARGS; f += strlen(f) + 1)
    argv[argc++] = f;
  argv[argc] = NULL;
  return argc;
}

static void check_res(json_t *res) {
  const char *g, *k;
  json_t *gv, *v;
  if (res == NULL)
    return;
  MUST(json_is_object(res));
  json_object_foreach(res, g, gv) {
    MUST(g && json_is_object(gv));
    json_object_foreach(gv, k, v) MUST(k && (json_is_integer(v) || json_is_string(v)));
  }
}

static void check_command(const struct command *cmd, int argc, char **argv) {
  struct cli c = {.root = STATE_DEFAULT_ROOT};
  pk_error *err = NULL;

  /* the loop of podrun's main, up to where a command would run */
  for (int i = 1; i < argc; i++) {
    if (argv[i][0] != '-' || !argv[i][1] || strcmp(argv[i], "--") == 0)
      continue;
    int r = opt_parse_one(&c, cmd->opts, argc, argv, &i, cmd->name, &err);
    if (r < 0) {
      pa_failed(&err);
      break;
    }
    MUST(err == NULL && (r == 0 || r == 1) && i < argc);
    if (r == 1)
      break;
  }
  MUST(c.co.preserve_fds >= 0 && c.co.preserve_fds <= 65536);
  MUST(!c.log_format || strcmp(c.log_format, "text") == 0 || strcmp(c.log_format, "json") == 0);
  check_res(c.res);
  json_decref(c.res);
}

static void check_exec(int argc, char **argv) {
  struct exec_cli x = {.o = {.root = STATE_DEFAULT_ROOT}};
  pk_error *err = NULL;

  x.env = calloc((size_t)argc + 1, sizeof(char *));
  x.caps = calloc((size_t)argc + 1, sizeof(char *));
  MUST(x.env && x.caps);
  x.o.env = x.env;
  x.o.caps = x.caps;
  /* the loop of cmd_exec, up to the container ID */
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--") == 0 || argv[i][0] != '-' || argv[i][1] == '\0')
      break;
    int r = opt_parse(&x, argc, argv, &i, &err);
    if (r < 0) {
      pa_failed(&err);
      break;
    }
    MUST(err == NULL && (r == 0 || r == 1) && i < argc);
    if (r == 1)
      break;
  }
  MUST(x.o.n_env <= (size_t)argc && x.o.n_caps <= (size_t)argc);
  for (size_t i = 0; i < x.o.n_env; i++)
    MUST(strchr(x.env[i], '=') && x.env[i][0] != '=');
  MUST(!x.o.has_gid || x.o.has_uid);
  MUST(!x.o.has_uid || x.o.uid != (uid_t)-1);
  MUST(x.n_gids == 0 || x.gids);
  for (size_t i = 0; i < x.n_gids; i++)
    MUST(x.gids[i] != (gid_t)-1);
  MUST(x.o.preserve_fds >= 0 && x.o.preserve_fds <= 65536);
  free(x.env);
  free(x.caps);
  free(x.gids);
}

static int fuzz_podrun_args_one(const uint8_t *data, size_t size) {
  char *argv[PA_MAX_ARGS + 1];
  char *copy;
  int argc, saved = -1, devnull;

  if (size == 0)
    return 0;
  copy = malloc(size + 1);
  if (copy == NULL)
    return 0;
  memcpy(copy, data + 1, size - 1);
  copy[size - 1] = '\0';
  /* --help and --version print: not into the fuzzer's (or TAP) output */
  fflush(stdout);
  devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
  if (devnull >= 0) {
    saved = dup(STDOUT_FILENO);
    dup2(devnull, STDOUT_FILENO);
    close(devnull);
  }
  switch (data[0] % 4) {
  case 0:
    check_signal(copy);
    break;
  case 1:
    if (size >= 2)
      check_num(copy + 1, data[1] & 1);
    break;
  case 2:
    if (size >= 2) {
      size_t n_cmds = sizeof(commands) / sizeof(commands[0]) - 1;
      const struct command *cmd = &commands[data[1] % n_cmds];
      argc = split_args(copy + 1, size - 2, cmd->name, argv);
      if (cmd->run)
        check_command(cmd, argc, argv);
      else
        check_exec(argc, argv);
    }
    break;
  case 3:
    argc = split_args(copy, size - 1, "exec", argv);
    check_exec(argc, argv);
    break;
  }
  fflush(stdout);
  if (saved >= 0) {
    dup2(saved, STDOUT_FILENO);
    close(saved);
  }
  free(copy);
  return 0;
}

#ifndef PODKIT_FUZZ_REPLAY
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  return fuzz_podrun_args_one(data, size);
}
#endif
