/* SPDX-License-Identifier: MIT */
#include "cmd_exec.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "error.h"
#include "exec.h"
#include "log.h"

enum exec_opt {
  X_TTY = 1,
  X_DETACH,
  X_NO_NEW_PRIVS,
  X_IGNORE_PAUSED,
  X_HELP,
  X_CONSOLE_SOCKET,
  X_CWD,
  X_ENV,
  X_USER,
  X_GIDS,
  X_PROCESS,
  X_PID_FILE,
  X_PROCESS_LABEL,
  X_APPARMOR,
  X_CAP,
  X_PRESERVE_FDS,
  X_CGROUP,
};

static const struct {
  const char *name;
  char short_name;
  bool has_arg;
  enum exec_opt id;
} exec_opts_table[] = {
    {"tty", 't', false, X_TTY},
    {"detach", 'd', false, X_DETACH},
    {"no-new-privs", 0, false, X_NO_NEW_PRIVS},
    {"ignore-paused", 0, false, X_IGNORE_PAUSED},
    {"help", 'h', false, X_HELP},
    {"console-socket", 0, true, X_CONSOLE_SOCKET},
    {"cwd", 0, true, X_CWD},
    {"env", 'e', true, X_ENV},
    {"user", 'u', true, X_USER},
    {"additional-gids", 'g', true, X_GIDS},
    {"process", 'p', true, X_PROCESS},
    {"pid-file", 0, true, X_PID_FILE},
    {"process-label", 0, true, X_PROCESS_LABEL},
    {"apparmor", 0, true, X_APPARMOR},
    {"cap", 'c', true, X_CAP},
    {"preserve-fds", 0, true, X_PRESERVE_FDS},
    {"cgroup", 0, true, X_CGROUP},
};
#define N_EXEC_OPTS (sizeof(exec_opts_table) / sizeof(exec_opts_table[0]))

struct exec_cli {
  struct exec_opts o;
  char **env, **caps;
  gid_t *gids;
  size_t n_gids;
};

static int id_number(const char *s, unsigned long *out) {
  char *end;
  if (*s < '0' || *s > '9')
    return -1;
  errno = 0;
  *out = strtoul(s, &end, 10);
  return errno || *end || *out > 0xfffffffeUL ? -1 : 0;
}

static int bool_parse(const char *v, bool *out) {
  if (v == NULL || strcmp(v, "true") == 0 || strcmp(v, "1") == 0)
    *out = true;
  else if (strcmp(v, "false") == 0 || strcmp(v, "0") == 0)
    *out = false;
  else
    return -1;
  return 0;
}

static int opt_set(struct exec_cli *x, size_t k, const char *v, pk_error **err) {
  struct exec_opts *o = &x->o;
  const char *name = exec_opts_table[k].name;
  bool b = true;

  if (!exec_opts_table[k].has_arg && bool_parse(v, &b) < 0)
    return error_set(err, 0, "exec: invalid boolean value \"%s\" for --%s", v, name);
  switch (exec_opts_table[k].id) {
  case X_TTY:
    o->tty = b;
    o->tty_set = true;
    break;
  case X_DETACH:
    o->detach = b;
    break;
  case X_NO_NEW_PRIVS:
    o->no_new_privs = b;
    o->no_new_privs_set = true;
    break;
  case X_IGNORE_PAUSED:
    o->ignore_paused = b;
    break;
  case X_HELP:
    printf("usage: podrun " CMD_EXEC_USAGE "\n");
    return 1;
  case X_CONSOLE_SOCKET:
    o->console_socket = v;
    break;
  case X_CWD:
    o->cwd = v;
    break;
  case X_ENV:
    if (strchr(v, '=') == NULL || v[0] == '=')
      return error_set(err, 0, "exec: invalid --env \"%s\" (expected KEY=VALUE)", v);
    x->env[o->n_env++] = (char *)v;
    break;
  case X_USER: {
    cleanup_free char *u = strdup(v);
    char *colon;
    unsigned long n;
    if (u == NULL)
      return error_set(err, ENOMEM, "exec");
    colon = strchr(u, ':');
    if (colon)
      *colon = '\0';
    if (id_number(u, &n) < 0)
      return error_set(err, 0, "exec: invalid --user \"%s\" (expected UID[:GID], numeric)", v);
    o->uid = (uid_t)n;
    o->has_uid = true;
    if (colon) {
      if (id_number(colon + 1, &n) < 0)
        return error_set(err, 0, "exec: invalid --user \"%s\" (expected UID[:GID], numeric)", v);
      o->gid = (gid_t)n;
      o->has_gid = true;
    }
    break;
  }
  case X_GIDS: {
    /* repeated, or comma-separated */
    cleanup_free char *list = strdup(v);
    char *save = NULL;
    if (list == NULL)
      return error_set(err, ENOMEM, "exec");
    if (*list == '\0')
      return error_set(err, 0, "exec: invalid --additional-gids \"\"");
    for (char *t = strtok_r(list, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
      unsigned long n;
      gid_t *g;
      if (id_number(t, &n) < 0)
        return error_set(err, 0, "exec: invalid --additional-gids \"%s\"", t);
      g = realloc(x->gids, (x->n_gids + 1) * sizeof(*g));
      if (g == NULL)
        return error_set(err, ENOMEM, "exec");
      x->gids = g;
      x->gids[x->n_gids++] = (gid_t)n;
    }
    break;
  }
  case X_PROCESS:
    o->process_file = v;
    break;
  case X_PID_FILE:
    o->pid_file = v;
    break;
  case X_PROCESS_LABEL:
    o->process_label = v;
    break;
  case X_APPARMOR:
    o->apparmor = v;
    break;
  case X_CAP:
    x->caps[o->n_caps++] = (char *)v;
    break;
  case X_PRESERVE_FDS: {
    char *end;
    long n = strtol(v, &end, 10);
    if (*v == '\0' || *end != '\0' || n < 0 || n > 65536)
      return error_set(err, 0, "exec: invalid --preserve-fds \"%s\"", v);
    o->preserve_fds = (int)n;
    break;
  }
  case X_CGROUP:
    return error_set(err, 0, "exec: --cgroup (a sub-cgroup) is not supported");
  }
  return 0;
}

/* One option at argv[*i] (maybe taking argv[*i+1]); 1 for --help. */
static int opt_parse(struct exec_cli *x, int argc, char **argv, int *i, pk_error **err) {
  const char *arg = argv[*i];
  const char *value = NULL;
  size_t k = N_EXEC_OPTS;

  if (arg[1] == '-') {
    const char *name = arg + 2;
    const char *eq = strchr(name, '=');
    size_t len = eq ? (size_t)(eq - name) : strlen(name);
    for (size_t j = 0; j < N_EXEC_OPTS; j++)
      if (strlen(exec_opts_table[j].name) == len &&
          strncmp(exec_opts_table[j].name, name, len) == 0)
        k = j;
    if (eq)
      value = eq + 1;
  } else {
    for (size_t j = 0; j < N_EXEC_OPTS; j++)
      if (exec_opts_table[j].short_name == arg[1])
        k = j;
    if (k < N_EXEC_OPTS && arg[2] != '\0') {
      if (exec_opts_table[k].has_arg)
        value = arg[2] == '=' ? arg + 3 : arg + 2;
      else {
        /* -td: a run of boolean short options */
        for (const char *c = arg + 1; *c; c++) {
          size_t m = N_EXEC_OPTS;
          for (size_t j = 0; j < N_EXEC_OPTS; j++)
            if (exec_opts_table[j].short_name == *c && !exec_opts_table[j].has_arg)
              m = j;
          if (m == N_EXEC_OPTS)
            return error_set(err, 0, "exec: unknown option %s", arg);
          int r = opt_set(x, m, NULL, err);
          if (r != 0)
            return r;
        }
        return 0;
      }
    }
  }
  if (k == N_EXEC_OPTS)
    return error_set(err, 0, "exec: unknown option %s", arg);
  if (exec_opts_table[k].has_arg && value == NULL) {
    if (*i + 1 >= argc)
      return error_set(err, 0, "exec: option %s needs a value", arg);
    value = argv[++*i];
  }
  return opt_set(x, k, value, err);
}

int cmd_exec(const char *root, int argc, char **argv) {
  struct exec_cli x = {.o = {.root = root}};
  cleanup_error pk_error *err = NULL;
  int i, r, code = 255;

  x.env = calloc((size_t)argc + 1, sizeof(char *));
  x.caps = calloc((size_t)argc + 1, sizeof(char *));
  if (x.env == NULL || x.caps == NULL) {
    error_set(&err, ENOMEM, "exec");
    goto fail;
  }
  x.o.env = x.env;
  x.o.caps = x.caps;
  /* options up to the container ID; after it, the command's own */
  for (i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--") == 0) {
      i++;
      break;
    }
    if (argv[i][0] != '-' || argv[i][1] == '\0')
      break;
    r = opt_parse(&x, argc, argv, &i, &err);
    if (r < 0)
      goto fail;
    if (r > 0) {
      code = 0;
      goto done;
    }
  }
  if (i >= argc) {
    error_set(&err, 0, "exec: missing container ID (usage: podrun " CMD_EXEC_USAGE ")");
    goto fail;
  }
  x.o.id = argv[i++];
  if (i < argc && strcmp(argv[i], "--") == 0)
    i++;
  if (x.o.process_file) {
    if (i < argc) {
      error_set(&err, 0, "exec %s: a command and --process are mutually exclusive", x.o.id);
      goto fail;
    }
  } else {
    if (i >= argc) {
      error_set(&err, 0, "exec %s: a command is required (or --process FILE)", x.o.id);
      goto fail;
    }
    x.o.args = argv + i;
  }
  x.o.additional_gids = x.gids;
  x.o.n_additional_gids = x.n_gids;
  if (container_exec(&x.o, &code, &err) < 0) {
    error_wrap(&err, "exec %s", x.o.id);
    goto fail;
  }
  goto done;

fail:
  code = 255;
  log_report_error(&err);
done:
  fflush(stdout);
  free(x.env);
  free(x.caps);
  free(x.gids);
  return code;
}
