/* SPDX-License-Identifier: MIT
 * pod: the CLI.  One command table, option parsing only; the work is in
 * libpod (pod/lib/pod.h). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "error.h"
#include "log.h"
#include "pod.h"

struct cmd {
  const char *name;
  int (*fn)(struct pod_ctx *ctx, int argc, char **argv, pk_error **err);
  const char *usage;
};

static int usage_error(pk_error **err, const char *usage) {
  return error_set_code(err, EINVAL, "usage: pod %s", usage);
}

/* getopt_long over argv of one command; argv[0] is the command name. */
#define OPTS_BEGIN(shortopts, longopts)                                                            \
  optind = 0;                                                                                      \
  opterr = 0;                                                                                      \
  for (int c_; (c_ = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1;) {                 \
    switch (c_)
#define OPTS_END(usage) }

static int bad_option(pk_error **err, char **argv, const char *usage) {
  const char *o = argv[optind - 1];
  if (optopt && optopt < 256)
    return error_set_code(err, EINVAL, "invalid option -%c (usage: pod %s)", optopt, usage);
  return error_set_code(err, EINVAL, "invalid option %s (usage: pod %s)", o, usage);
}

static const char create_usage[] =
    "create [NAME] [--bridge BR] [--subnet CIDR] [--ip ADDR] "
    "[-p [IP:]HOSTPORT:CTRPORT[/tcp|udp]]... [--share net,ipc,uts,pid] [--hostname H]";

static int cmd_create(struct pod_ctx *ctx, int argc, char **argv, pk_error **err) {
  static const struct option lo[] = {
      {"bridge", 1, 0, 'b'}, {"subnet", 1, 0, 's'},   {"ip", 1, 0, 'i'}, {"publish", 1, 0, 'p'},
      {"share", 1, 0, 'S'},  {"hostname", 1, 0, 'H'}, {0, 0, 0, 0}};
  struct pod_create_opts o = {0};
  cleanup_free char **pub = calloc((size_t)argc + 1, sizeof(char *));
  size_t npub = 0;

  if (!pub)
    return error_set(err, ENOMEM, "create");
  /* no '+': getopt permutes, so options may come before or after NAME */
  OPTS_BEGIN("b:s:i:p:S:H:", lo) {
  case 'b':
    o.bridge = optarg;
    break;
  case 's':
    o.subnet = optarg;
    break;
  case 'i':
    o.ip = optarg;
    break;
  case 'p':
    pub[npub++] = optarg;
    break;
  case 'S':
    o.share = optarg;
    break;
  case 'H':
    o.hostname = optarg;
    break;
  default:
    return bad_option(err, argv, create_usage);
  }
  OPTS_END(create_usage)
  if (optind < argc)
    o.name = argv[optind++];
  if (optind < argc)
    return usage_error(err, create_usage);
  o.publish = pub;
  o.n_publish = npub;
  return pod_create(ctx, &o, err);
}

static const char add_usage[] =
    "add [--pod NAME] BUNDLE... | add [--pod NAME] --name N --rootfs DIR [-e K=V]... [-w DIR] "
    "-- CMD ARGS...";

static int cmd_add(struct pod_ctx *ctx, int argc, char **argv, pk_error **err) {
  static const struct option lo[] = {{"pod", 1, 0, 'P'},     {"name", 1, 0, 'n'},
                                     {"rootfs", 1, 0, 'r'},  {"env", 1, 0, 'e'},
                                     {"workdir", 1, 0, 'w'}, {0, 0, 0, 0}};
  const char *pod = POD_DEFAULT_NAME;
  struct pod_gen_opts g = {0};
  cleanup_free char **env = calloc((size_t)argc + 1, sizeof(char *));
  bool dashdash;

  if (!env)
    return error_set(err, ENOMEM, "add");
  OPTS_BEGIN("P:n:r:e:w:", lo) {
  case 'P':
    pod = optarg;
    break;
  case 'n':
    g.name = optarg;
    break;
  case 'r':
    g.rootfs = optarg;
    break;
  case 'e':
    env[g.n_env++] = optarg;
    break;
  case 'w':
    g.cwd = optarg;
    break;
  default:
    return bad_option(err, argv, add_usage);
  }
  OPTS_END(add_usage)
  dashdash = optind > 1 && strcmp(argv[optind - 1], "--") == 0;
  if (g.name || g.rootfs) {
    if (!dashdash || optind >= argc)
      return error_set_code(err, EINVAL, "add --name: no command given (expected -- CMD ARGS...)");
    g.env = env;
    g.args = argv + optind;
    g.n_args = (size_t)(argc - optind);
    return pod_add_generated(ctx, pod, &g, err);
  }
  if (g.n_env || g.cwd)
    return error_set_code(err, EINVAL, "add: -e and -w go with --name and --rootfs");
  if (optind >= argc)
    return usage_error(err, add_usage);
  return pod_add_bundles(ctx, pod, argv + optind, (size_t)(argc - optind), err);
}

static const char ps_usage[] = "ps [NAME] [--json]";

static int cmd_ps(struct pod_ctx *ctx, int argc, char **argv, pk_error **err) {
  static const struct option lo[] = {{"json", 0, 0, 'j'}, {0, 0, 0, 0}};
  bool json = false;
  OPTS_BEGIN("j", lo) {
  case 'j':
    json = true;
    break;
  default:
    return bad_option(err, argv, ps_usage);
  }
  OPTS_END(ps_usage)
  if (argc - optind > 1)
    return usage_error(err, ps_usage);
  return pod_ps(ctx, optind < argc ? argv[optind] : NULL, json, stdout, err);
}

static const char logs_usage[] = "logs [--pod NAME] CONTAINER [-f]";

static int cmd_logs(struct pod_ctx *ctx, int argc, char **argv, pk_error **err) {
  static const struct option lo[] = {{"pod", 1, 0, 'P'}, {"follow", 0, 0, 'f'}, {0, 0, 0, 0}};
  const char *pod = POD_DEFAULT_NAME;
  bool follow = false;
  OPTS_BEGIN("P:f", lo) {
  case 'P':
    pod = optarg;
    break;
  case 'f':
    follow = true;
    break;
  default:
    return bad_option(err, argv, logs_usage);
  }
  OPTS_END(logs_usage)
  if (argc - optind != 1)
    return usage_error(err, logs_usage);
  return pod_logs(ctx, pod, argv[optind], follow, stdout, err);
}

static const char exec_usage[] = "exec [--pod NAME] CONTAINER [-t] -- CMD ARGS...";

static int cmd_exec(struct pod_ctx *ctx, int argc, char **argv, pk_error **err) {
  static const struct option lo[] = {{"pod", 1, 0, 'P'}, {"tty", 0, 0, 't'}, {0, 0, 0, 0}};
  const char *pod = POD_DEFAULT_NAME;
  bool tty = false;
  OPTS_BEGIN("P:t", lo) {
  case 'P':
    pod = optarg;
    break;
  case 't':
    tty = true;
    break;
  default:
    return bad_option(err, argv, exec_usage);
  }
  OPTS_END(exec_usage)
  if (argc - optind < 2)
    return usage_error(err, exec_usage);
  return pod_exec(ctx, pod, argv[optind], tty, argv + optind + 1, err);
}

static const char stop_usage[] = "stop NAME [-t SECS]";

static int cmd_stop(struct pod_ctx *ctx, int argc, char **argv, pk_error **err) {
  static const struct option lo[] = {{"time", 1, 0, 't'}, {0, 0, 0, 0}};
  long secs = 10;
  char *end;
  OPTS_BEGIN("t:", lo) {
  case 't':
    errno = 0;
    secs = strtol(optarg, &end, 10);
    if (errno || *end || end == optarg || secs < 0 || secs > 86400)
      return error_set_code(err, EINVAL, "-t %s: expected seconds (0-86400)", optarg);
    break;
  default:
    return bad_option(err, argv, stop_usage);
  }
  OPTS_END(stop_usage)
  if (argc - optind != 1)
    return usage_error(err, stop_usage);
  return pod_stop(ctx, argv[optind], (int)secs, err);
}

static const char rm_usage[] = "rm [-f] NAME...";

static int cmd_rm(struct pod_ctx *ctx, int argc, char **argv, pk_error **err) {
  static const struct option lo[] = {{"force", 0, 0, 'f'}, {0, 0, 0, 0}};
  bool force = false;
  OPTS_BEGIN("f", lo) {
  case 'f':
    force = true;
    break;
  default:
    return bad_option(err, argv, rm_usage);
  }
  OPTS_END(rm_usage)
  if (optind >= argc)
    return usage_error(err, rm_usage);
  for (int i = optind; i < argc; i++)
    if (pod_rm(ctx, argv[i], force, err) < 0)
      return -1;
  return 0;
}

static int cmd_inspect(struct pod_ctx *ctx, int argc, char **argv, pk_error **err) {
  if (argc != 2 || argv[1][0] == '-')
    return usage_error(err, "inspect NAME");
  return pod_inspect(ctx, argv[1], stdout, err);
}

static const char gen_usage[] = "generate systemd NAME [--files] [--dest DIR]";

static int cmd_generate(struct pod_ctx *ctx, int argc, char **argv, pk_error **err) {
  static const struct option lo[] = {{"files", 0, 0, 'f'}, {"dest", 1, 0, 'd'}, {0, 0, 0, 0}};
  const char *dir = NULL;
  OPTS_BEGIN("fd:", lo) {
  case 'f':
    if (!dir)
      dir = ".";
    break;
  case 'd':
    dir = optarg;
    break;
  default:
    return bad_option(err, argv, gen_usage);
  }
  OPTS_END(gen_usage)
  if (argc - optind != 2 || strcmp(argv[optind], "systemd") != 0)
    return usage_error(err, gen_usage);
  return pod_generate_systemd(ctx, argv[optind + 1], dir, stdout, err);
}

static const struct cmd cmds[] = {
    {"create", cmd_create, create_usage},
    {"add", cmd_add, add_usage},
    {"ps", cmd_ps, ps_usage},
    {"logs", cmd_logs, logs_usage},
    {"exec", cmd_exec, exec_usage},
    {"stop", cmd_stop, stop_usage},
    {"rm", cmd_rm, rm_usage},
    {"inspect", cmd_inspect, "inspect NAME"},
    {"generate", cmd_generate, gen_usage},
};

static void usage(FILE *f) {
  fprintf(f, "usage: pod [--state-dir DIR] [--runtime PATH] [--runtime-root DIR] COMMAND ...\n");
  for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
    fprintf(f, "  pod %s\n", cmds[i].usage);
}

int main(int argc, char **argv) {
  static const struct option lo[] = {{"state-dir", 1, 0, 's'},    {"runtime", 1, 0, 'r'},
                                     {"runtime-root", 1, 0, 'R'}, {"help", 0, 0, 'h'},
                                     {"version", 0, 0, 'v'},      {0, 0, 0, 0}};
  struct pod_ctx ctx = {0};
  pk_error *err = NULL;
  const struct cmd *cmd = NULL;
  int c;

  log_init("pod", NULL, LOG_FORMAT_TEXT, false, NULL);
  opterr = 0;
  while ((c = getopt_long(argc, argv, "+h", lo, NULL)) != -1) {
    switch (c) {
    case 's':
      ctx.state_dir = optarg;
      break;
    case 'r':
      ctx.runtime = optarg;
      break;
    case 'R':
      ctx.runtime_root = optarg;
      break;
    case 'h':
      usage(stdout);
      return 0;
    case 'v':
      printf("pod " PODKIT_VERSION "\n");
      return 0;
    default:
      fprintf(stderr, "pod: invalid option %s\n", argv[optind - 1]);
      usage(stderr);
      return 2;
    }
  }
  if (optind >= argc) {
    usage(stderr);
    return 2;
  }
  for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
    if (strcmp(cmds[i].name, argv[optind]) == 0)
      cmd = &cmds[i];
  if (!cmd) {
    fprintf(stderr, "pod: unknown command \"%s\"\n", argv[optind]);
    usage(stderr);
    return 2;
  }
  /* `pod CMD --help` anywhere before a `--` is a request for CMD's usage */
  for (int i = optind + 1; i < argc && strcmp(argv[i], "--") != 0; i++)
    if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
      printf("usage: pod %s\n", cmd->usage);
      return 0;
    }
  if (pod_ctx_init(&ctx, &err) < 0 || cmd->fn(&ctx, argc - optind, argv + optind, &err) < 0) {
    log_report_error(&err);
    return 1;
  }
  return 0;
}
