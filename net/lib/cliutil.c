/* SPDX-License-Identifier: MIT */
#include "cliutil.h"

#include <getopt.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "log.h"

int cli_fail(pk_error **err) {
  log_report_error(err);
  return 1;
}

int cli_usage(const char *cmd, const char *fmt, ...) {
  pk_error *err = NULL;
  va_list ap;
  va_start(ap, fmt);
  error_setv(&err, 0, fmt, ap);
  va_end(ap);
  error_wrap(&err, "%s", cmd);
  log_report_error(&err);
  return 2;
}

int cli_bad_option(const char *cmd, int c, char **argv) {
  const char *opt = argv[optind - 1];
  if (c == ':')
    return cli_usage(cmd, "option %s needs a value", opt);
  if (optopt)
    return cli_usage(cmd, "unknown option -%c (try podnet --help)", optopt);
  return cli_usage(cmd, "unknown option %s (try podnet --help)", opt);
}

void cli_json_print(void *json) {
  json_t *j = json;
  char *s = j ? json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
  if (s) {
    puts(s);
    free(s);
  }
  json_decref(j);
}
