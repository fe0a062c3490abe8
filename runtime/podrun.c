/* SPDX-License-Identifier: MIT
 * podrun: an OCI runtime with runc's command line.  This file only parses
 * options; the work is done in runtime/lib (container.c). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd_exec.h"
#include "container.h"
#include "error.h"
#include "log.h"
#include "state.h"
#include "util.h"

enum opt_id {
  O_ROOT = 1,
  O_LOG,
  O_LOG_FORMAT,
  O_DEBUG,
  O_VERSION,
  O_HELP,
  O_IGNORED_BOOL,
  O_IGNORED_VALUE,
  O_BUNDLE,
  O_PID_FILE,
  O_CONSOLE_SOCKET,
  O_NO_PIVOT,
  O_PRESERVE_FDS,
  O_DETACH,
  O_KEEP,
  O_QUIET,
  O_FORMAT,
  O_ALL,
  O_FORCE,
  O_SYSTEMD_CGROUP,
  O_RESOURCES,
  O_MEMORY,
  O_MEMORY_SWAP,
  O_MEMORY_RESERVATION,
  O_CPU_QUOTA,
  O_CPU_PERIOD,
  O_CPU_SHARES,
  O_CPUSET_CPUS,
  O_CPUSET_MEMS,
  O_PIDS_LIMIT,
  O_BLKIO_WEIGHT,
  O_CPU_RT_PERIOD,
  O_CPU_RT_RUNTIME,
  O_INTEL_RDT,
  O_STATS,
  O_INTERVAL,
};

struct opt {
  const char *name;
  char short_name;
  bool has_arg;
  enum opt_id id;
};

struct cli {
  const char *root, *log, *log_format;
  bool debug;
  struct container_opts co;
  bool quiet, all, force;
  const char *format;
  bool stats;
  const char *interval;
  const char *resources_file;
  json_t *res; /* update: the flags as linux.resources */
  const char *pos[4];
  int n_pos;
};

static const struct opt global_opts[] = {
    {"root", 0, true, O_ROOT},
    {"log", 0, true, O_LOG},
    {"log-format", 0, true, O_LOG_FORMAT},
    {"debug", 0, false, O_DEBUG},
    {"version", 'v', false, O_VERSION},
    {"help", 'h', false, O_HELP},
    /* runc's, accepted so that callers passing them keep working */
    {"systemd-cgroup", 0, false, O_SYSTEMD_CGROUP},
    {"criu", 0, true, O_IGNORED_VALUE},
    {"rootless", 0, true, O_IGNORED_VALUE},
    {NULL, 0, false, 0},
};

#define OPT_BUNDLE                                                                                 \
  { "bundle", 'b', true, O_BUNDLE }
#define OPT_CREATE                                                                                 \
  OPT_BUNDLE, {"pid-file", 0, true, O_PID_FILE}, {"console-socket", 0, true, O_CONSOLE_SOCKET},    \
      {"no-pivot", 0, false, O_NO_PIVOT}, {"preserve-fds", 0, true, O_PRESERVE_FDS},               \
      {"no-new-keyring", 0, false, O_IGNORED_BOOL}, {                                              \
    "help", 'h', false, O_HELP                                                                     \
  }

static const struct opt spec_opts[] = {OPT_BUNDLE,
                                       {"rootless", 0, false, O_IGNORED_BOOL},
                                       {"help", 'h', false, O_HELP},
                                       {NULL, 0, false, 0}};
static const struct opt create_opts[] = {OPT_CREATE, {NULL, 0, false, 0}};
/* podrun never makes itself a subreaper, so --no-subreaper is what it
 * does anyway */
static const struct opt run_opts[] = {OPT_CREATE,
                                      {"detach", 'd', false, O_DETACH},
                                      {"keep", 0, false, O_KEEP},
                                      {"no-subreaper", 0, false, O_IGNORED_BOOL},
                                      {NULL, 0, false, 0}};
static const struct opt none_opts[] = {{"help", 'h', false, O_HELP}, {NULL, 0, false, 0}};
static const struct opt list_opts[] = {{"quiet", 'q', false, O_QUIET},
                                       {"format", 'f', true, O_FORMAT},
                                       {"help", 'h', false, O_HELP},
                                       {NULL, 0, false, 0}};
static const struct opt kill_opts[] = {
    {"all", 'a', false, O_ALL}, {"help", 'h', false, O_HELP}, {NULL, 0, false, 0}};
static const struct opt ps_opts[] = {
    {"format", 'f', true, O_FORMAT}, {"help", 'h', false, O_HELP}, {NULL, 0, false, 0}};
static const struct opt update_opts[] = {{"resources", 'r', true, O_RESOURCES},
                                         {"memory", 'm', true, O_MEMORY},
                                         {"memory-swap", 0, true, O_MEMORY_SWAP},
                                         {"memory-reservation", 0, true, O_MEMORY_RESERVATION},
                                         {"cpu-quota", 0, true, O_CPU_QUOTA},
                                         {"cpu-period", 0, true, O_CPU_PERIOD},
                                         {"cpu-share", 0, true, O_CPU_SHARES},
                                         {"cpu-shares", 0, true, O_CPU_SHARES},
                                         {"cpuset-cpus", 0, true, O_CPUSET_CPUS},
                                         {"cpuset-mems", 0, true, O_CPUSET_MEMS},
                                         {"pids-limit", 0, true, O_PIDS_LIMIT},
                                         {"blkio-weight", 0, true, O_BLKIO_WEIGHT},
                                         {"cpu-rt-period", 0, true, O_CPU_RT_PERIOD},
                                         {"cpu-rt-runtime", 0, true, O_CPU_RT_RUNTIME},
                                         {"l3-cache-schema", 0, true, O_INTEL_RDT},
                                         {"mem-bw-schema", 0, true, O_INTEL_RDT},
                                         {"help", 'h', false, O_HELP},
                                         {NULL, 0, false, 0}};
static const struct opt events_opts[] = {{"stats", 0, false, O_STATS},
                                         {"interval", 0, true, O_INTERVAL},
                                         {"help", 'h', false, O_HELP},
                                         {NULL, 0, false, 0}};
static const struct opt delete_opts[] = {
    {"force", 'f', false, O_FORCE}, {"help", 'h', false, O_HELP}, {NULL, 0, false, 0}};

struct command {
  const char *name;
  const struct opt *opts;
  int min_pos, max_pos;
  int (*run)(struct cli *c, pk_error **err);
  const char *usage;
};

static int cmd_spec(struct cli *c, pk_error **err) {
  return container_spec_write(c->co.bundle, err);
}

static int cmd_create(struct cli *c, pk_error **err) {
  c->co.id = c->pos[0];
  return container_create(&c->co, err);
}

static int cmd_start(struct cli *c, pk_error **err) {
  return container_start(c->root, c->pos[0], err);
}

static int run_exit_code;

static int cmd_run(struct cli *c, pk_error **err) {
  c->co.id = c->pos[0];
  return container_run(&c->co, &run_exit_code, err);
}

static int cmd_state(struct cli *c, pk_error **err) {
  return container_state_print(c->root, c->pos[0], err);
}

static int cmd_list(struct cli *c, pk_error **err) {
  enum container_list_format f = CONTAINER_LIST_TABLE;
  if (c->format && strcmp(c->format, "json") == 0)
    f = CONTAINER_LIST_JSON;
  else if (c->format && strcmp(c->format, "table") != 0)
    return error_set(err, 0, "list: invalid format \"%s\" (expected table or json)", c->format);
  return container_list_print(c->root, f, c->quiet, err);
}

static int cmd_kill(struct cli *c, pk_error **err) {
  int sig = 15;
  if (c->n_pos > 1 && container_signal_parse(c->pos[1], &sig, err) < 0)
    return error_wrap(err, "kill %s", c->pos[0]);
  return container_kill(c->root, c->pos[0], sig, c->all, err);
}

static int cmd_delete(struct cli *c, pk_error **err) {
  return container_delete(c->root, c->pos[0], c->force, err);
}

static int cmd_ps(struct cli *c, pk_error **err) {
  bool json = false;
  if (c->format && strcmp(c->format, "json") == 0)
    json = true;
  else if (c->format && strcmp(c->format, "table") != 0)
    return error_set(err, 0, "ps: invalid format \"%s\" (expected table or json)", c->format);
  return container_ps(c->root, c->pos[0], json, err);
}

static int cmd_pause(struct cli *c, pk_error **err) {
  return container_pause(c->root, c->pos[0], err);
}

static int cmd_resume(struct cli *c, pk_error **err) {
  return container_resume(c->root, c->pos[0], err);
}

static int cmd_update(struct cli *c, pk_error **err) {
  json_t *res = c->res;
  int r;
  if (c->resources_file) {
    json_error_t je;
    json_t *f = strcmp(c->resources_file, "-") == 0 ? json_loadf(stdin, 0, &je)
                                                    : json_load_file(c->resources_file, 0, &je);
    if (f == NULL)
      return error_set(err, 0, "update: --resources %s: %s", c->resources_file, je.text);
    if (res) {
      /* flags win over the file, as in runc */
      const char *k;
      json_t *v;
      json_object_foreach(res, k, v) {
        json_t *dst = json_object_get(f, k);
        if (json_is_object(dst))
          json_object_update(dst, v);
        else
          json_object_set(f, k, v);
      }
      json_decref(res);
    }
    res = f;
  }
  if (res == NULL)
    return error_set(err, 0, "update: nothing to update (see podrun update --help)");
  c->res = NULL;
  r = container_update(c->root, c->pos[0], res, err);
  json_decref(res);
  return r;
}

static int cmd_events(struct cli *c, pk_error **err) {
  long ms = 5000;
  if (c->interval) {
    /* Go durations as runc takes them: "5s", "500ms", "1m" */
    char *end;
    double v = strtod(c->interval, &end);
    if (end == c->interval || v <= 0)
      return error_set(err, 0, "events: invalid --interval \"%s\"", c->interval);
    if (strcmp(end, "ms") == 0)
      ms = (long)v;
    else if (strcmp(end, "s") == 0 || *end == '\0')
      ms = (long)(v * 1000);
    else if (strcmp(end, "m") == 0)
      ms = (long)(v * 60000);
    else
      return error_set(err, 0, "events: invalid --interval \"%s\"", c->interval);
    if (ms < 1)
      ms = 1;
  }
  return container_events(c->root, c->pos[0], c->stats, ms, err);
}

static int cmd_features(struct cli *c, pk_error **err) {
  return container_features_print(err);
}

static const struct command commands[] = {
    {"spec", spec_opts, 0, 0, cmd_spec, "spec [--bundle DIR]"},
    {"create", create_opts, 1, 1, cmd_create,
     "create [-b DIR] [--pid-file F] [--console-socket S] [--no-pivot] [--preserve-fds N] ID"},
    {"start", none_opts, 1, 1, cmd_start, "start ID"},
    {"run", run_opts, 1, 1, cmd_run,
     "run [-b DIR] [-d] [--pid-file F] [--console-socket S] [--keep] [--no-pivot] [--no-subreaper] "
     "[--preserve-fds N] ID"},
    {"state", none_opts, 1, 1, cmd_state, "state ID"},
    {"list", list_opts, 0, 0, cmd_list, "list [-q] [--format table|json]"},
    {"kill", kill_opts, 1, 2, cmd_kill, "kill [-a] ID [SIGNAL]"},
    {"delete", delete_opts, 1, 1, cmd_delete, "delete [-f] ID"},
    {"ps", ps_opts, 1, 1, cmd_ps, "ps [--format table|json] ID"},
    {"pause", none_opts, 1, 1, cmd_pause, "pause ID"},
    {"resume", none_opts, 1, 1, cmd_resume, "resume ID"},
    {"update", update_opts, 1, 1, cmd_update,
     "update [--resources FILE|-] [--memory N] [--memory-swap N] [--memory-reservation N] "
     "[--cpu-quota N] [--cpu-period N] [--cpu-shares N] [--cpuset-cpus S] [--cpuset-mems S] "
     "[--pids-limit N] [--blkio-weight N] [--cpu-rt-period N] [--cpu-rt-runtime N] ID"},
    {"events", events_opts, 1, 1, cmd_events, "events [--stats] [--interval D] ID"},
    {"features", none_opts, 0, 0, cmd_features, "features"},
    {"exec", NULL, 0, 0, NULL, CMD_EXEC_USAGE},
    {NULL, NULL, 0, 0, NULL, NULL},
};

static void usage(FILE *f) {
  fprintf(f, "usage: podrun [--root DIR] [--log FILE] [--log-format text|json] [--debug] "
             "COMMAND [OPTIONS] ARGS\n\ncommands:\n");
  for (const struct command *c = commands; c->name; c++)
    fprintf(f, "  %s\n", c->usage);
  fprintf(f, "\nglobal options:\n"
             "  --root DIR             state directory (default " STATE_DEFAULT_ROOT ")\n"
             "  --log FILE             also log to FILE\n"
             "  --log-format text|json format of --log\n"
             "  --debug                debug output\n"
             "  --version, --help\n");
}

static int bool_value(const char *v, bool *out) {
  if (v == NULL || strcmp(v, "true") == 0 || strcmp(v, "1") == 0) {
    *out = true;
    return 0;
  }
  if (strcmp(v, "false") == 0 || strcmp(v, "0") == 0) {
    *out = false;
    return 0;
  }
  return -1;
}

/* "1024", "-1", and for byte sizes "64m", "1g", "512k" (runc's units). */
static int num_parse(const char *v, bool bytes, long long *out) {
  char *end;
  long long n;
  errno = 0;
  n = strtoll(v, &end, 10);
  if (end == v || errno)
    return -1;
  if (bytes && *end && n >= 0) {
    long long mul;
    switch (*end | 0x20) {
    case 'b':
      mul = 1;
      break;
    case 'k':
      mul = 1LL << 10;
      break;
    case 'm':
      mul = 1LL << 20;
      break;
    case 'g':
      mul = 1LL << 30;
      break;
    case 't':
      mul = 1LL << 40;
      break;
    default:
      return -1;
    }
    end++;
    if ((*end | 0x20) == 'b' && mul > 1)
      end++;
    if (n > (1LL << 62) / mul)
      return -1;
    n *= mul;
  }
  if (*end)
    return -1;
  *out = n;
  return 0;
}

/* c->res[group][key] = v (stolen) */
static int res_set(struct cli *c, const char *group, const char *key, json_t *v, pk_error **err) {
  json_t *g;
  if (v == NULL)
    return error_set(err, ENOMEM, "update");
  if (c->res == NULL)
    c->res = json_object();
  g = json_object_get(c->res, group);
  if (g == NULL) {
    g = json_object();
    json_object_set_new(c->res, group, g);
  }
  json_object_set_new(g, key, v);
  return 0;
}

/* Sets one option; returns 1 when the program should exit 0 (help/version). */
static int opt_apply(struct cli *c, const struct opt *o, const char *v, const char *what,
                     pk_error **err) {
  bool b = true;
  if (!o->has_arg && bool_value(v, &b) < 0)
    return error_set(err, 0, "%s: invalid boolean value \"%s\" for --%s", what, v, o->name);
  switch (o->id) {
  case O_ROOT:
    c->root = v;
    break;
  case O_LOG:
    c->log = v;
    break;
  case O_LOG_FORMAT:
    if (strcmp(v, "text") != 0 && strcmp(v, "json") != 0)
      return error_set(err, 0, "invalid --log-format \"%s\" (expected text or json)", v);
    c->log_format = v;
    break;
  case O_DEBUG:
    c->debug = b;
    break;
  case O_VERSION:
    printf("podrun version " PODKIT_VERSION "\nspec: " STATE_OCI_VERSION "\n");
    return 1;
  case O_HELP:
    usage(stdout);
    return 1;
  case O_IGNORED_BOOL:
  case O_IGNORED_VALUE:
    break;
  case O_BUNDLE:
    c->co.bundle = v;
    break;
  case O_PID_FILE:
    c->co.pid_file = v;
    break;
  case O_CONSOLE_SOCKET:
    c->co.console_socket = v;
    break;
  case O_NO_PIVOT:
    c->co.no_pivot = b;
    break;
  case O_PRESERVE_FDS: {
    char *end;
    long n = strtol(v, &end, 10);
    if (*v == '\0' || *end != '\0' || n < 0 || n > 65536)
      return error_set(err, 0, "%s: invalid --preserve-fds \"%s\"", what, v);
    c->co.preserve_fds = (int)n;
    break;
  }
  case O_DETACH:
    c->co.detach = b;
    break;
  case O_KEEP:
    c->co.keep = b;
    break;
  case O_QUIET:
    c->quiet = b;
    break;
  case O_FORMAT:
    c->format = v;
    break;
  case O_ALL:
    c->all = b;
    break;
  case O_FORCE:
    c->force = b;
    break;
  case O_SYSTEMD_CGROUP:
    c->co.systemd_cgroup = b;
    break;
  case O_RESOURCES:
    c->resources_file = v;
    break;
  case O_STATS:
    c->stats = b;
    break;
  case O_INTERVAL:
    c->interval = v;
    break;
  case O_INTEL_RDT:
    return error_set(err, 0, "%s: --%s: Intel RDT (linux.intelRdt) is not supported by podrun",
                     what, o->name);
  case O_CPUSET_CPUS:
  case O_CPUSET_MEMS:
    return res_set(c, "cpu", o->id == O_CPUSET_CPUS ? "cpus" : "mems", json_string(v), err);
  case O_MEMORY:
  case O_MEMORY_SWAP:
  case O_MEMORY_RESERVATION:
  case O_CPU_QUOTA:
  case O_CPU_PERIOD:
  case O_CPU_SHARES:
  case O_BLKIO_WEIGHT:
  case O_CPU_RT_PERIOD:
  case O_CPU_RT_RUNTIME:
  case O_PIDS_LIMIT: {
    long long n;
    bool bytes = o->id == O_MEMORY || o->id == O_MEMORY_SWAP || o->id == O_MEMORY_RESERVATION;
    if (num_parse(v, bytes, &n) < 0)
      return error_set(err, 0, "%s: invalid --%s \"%s\"", what, o->name, v);
    switch (o->id) {
    case O_MEMORY:
      return res_set(c, "memory", "limit", json_integer(n), err);
    case O_MEMORY_SWAP:
      return res_set(c, "memory", "swap", json_integer(n), err);
    case O_MEMORY_RESERVATION:
      return res_set(c, "memory", "reservation", json_integer(n), err);
    case O_CPU_QUOTA:
      return res_set(c, "cpu", "quota", json_integer(n), err);
    case O_CPU_PERIOD:
      return res_set(c, "cpu", "period", json_integer(n), err);
    case O_CPU_SHARES:
      return res_set(c, "cpu", "shares", json_integer(n), err);
    case O_BLKIO_WEIGHT:
      return res_set(c, "blockIO", "weight", json_integer(n), err);
    case O_CPU_RT_PERIOD:
      return res_set(c, "cpu", "realtimePeriod", json_integer(n), err);
    case O_CPU_RT_RUNTIME:
      return res_set(c, "cpu", "realtimeRuntime", json_integer(n), err);
    default:
      return res_set(c, "pids", "limit", json_integer(n), err);
    }
  }
  }
  return 0;
}

/* Parses argv[*i] and maybe argv[*i+1].  Returns 1 for help/version. */
static int opt_parse_one(struct cli *c, const struct opt *opts, int argc, char **argv, int *i,
                         const char *what, pk_error **err) {
  const char *arg = argv[*i];
  const struct opt *o = NULL;
  const char *value = NULL;

  if (arg[1] == '-') {
    const char *name = arg + 2;
    const char *eq = strchr(name, '=');
    size_t len = eq ? (size_t)(eq - name) : strlen(name);
    for (const struct opt *p = opts; p->name; p++)
      if (strlen(p->name) == len && strncmp(p->name, name, len) == 0)
        o = p;
    if (eq)
      value = eq + 1;
  } else if (arg[1] && arg[2] == '\0') {
    for (const struct opt *p = opts; p->name; p++)
      if (p->short_name == arg[1])
        o = p;
  } else if (arg[1]) {
    /* -b=DIR and -bDIR */
    for (const struct opt *p = opts; p->name; p++)
      if (p->short_name == arg[1] && p->has_arg)
        o = p;
    if (o)
      value = arg[2] == '=' ? arg + 3 : arg + 2;
  }
  if (o == NULL)
    return error_set(err, 0, "%s: unknown option %s", what, arg);
  if (o->has_arg && value == NULL) {
    if (*i + 1 >= argc)
      return error_set(err, 0, "%s: option %s needs a value", what, arg);
    value = argv[++*i];
  }
  return opt_apply(c, o, value, what, err);
}

int main(int argc, char **argv) {
  struct cli c = {.root = STATE_DEFAULT_ROOT};
  cleanup_error pk_error *err = NULL;
  const struct command *cmd = NULL;
  int i = 1, r;

  log_init("podrun", NULL, LOG_FORMAT_TEXT, false, NULL);
  for (; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
    if (strcmp(argv[i], "--") == 0) {
      i++;
      break;
    }
    r = opt_parse_one(&c, global_opts, argc, argv, &i, "podrun", &err);
    if (r < 0)
      goto fail;
    if (r > 0)
      return 0;
  }
  if (c.log || c.debug || (c.log_format && strcmp(c.log_format, "json") == 0)) {
    enum log_format lf =
        c.log_format && strcmp(c.log_format, "json") == 0 ? LOG_FORMAT_JSON : LOG_FORMAT_TEXT;
    if (log_init("podrun", c.log, lf, c.debug, &err) < 0)
      goto fail;
  }
  if (i >= argc) {
    usage(stderr);
    return 1;
  }
  for (const struct command *p = commands; p->name; p++)
    if (strcmp(p->name, argv[i]) == 0)
      cmd = p;
  if (cmd == NULL) {
    error_set(&err, 0, "unknown command \"%s\" (see podrun --help)", argv[i]);
    goto fail;
  }
  if (cmd->run == NULL) {
    /* exec parses its own arguments: the command's options follow the ID */
    r = cmd_exec(c.root, argc - i, argv + i);
    fflush(stdout);
    log_close();
    return r;
  }
  c.co.root = c.root;
  /* options and positional arguments in any order; "--" ends options */
  for (i++; i < argc; i++) {
    if (argv[i][0] == '-' && argv[i][1] && strcmp(argv[i], "--") != 0) {
      r = opt_parse_one(&c, cmd->opts, argc, argv, &i, cmd->name, &err);
      if (r < 0)
        goto fail;
      if (r > 0)
        return 0;
      continue;
    }
    if (strcmp(argv[i], "--") == 0) {
      for (i++; i < argc; i++) {
        if (c.n_pos >= cmd->max_pos)
          break;
        c.pos[c.n_pos++] = argv[i];
      }
      if (i < argc) {
        error_set(&err, 0, "%s: too many arguments (usage: podrun %s)", cmd->name, cmd->usage);
        goto fail;
      }
      break;
    }
    if (c.n_pos >= cmd->max_pos) {
      error_set(&err, 0, "%s: too many arguments (usage: podrun %s)", cmd->name, cmd->usage);
      goto fail;
    }
    c.pos[c.n_pos++] = argv[i];
  }
  if (c.n_pos < cmd->min_pos) {
    /* an ID given as "" still counts; a missing one is a usage error */
    error_set(&err, 0, "%s: missing container ID (usage: podrun %s)", cmd->name, cmd->usage);
    goto fail;
  }
  if (cmd->run(&c, &err) < 0)
    goto fail;
  fflush(stdout);
  log_close();
  return strcmp(cmd->name, "run") == 0 ? run_exit_code : 0;

fail:
  log_report_error(&err);
  log_close();
  return 1;
}
