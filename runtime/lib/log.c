/* SPDX-License-Identifier: MIT */
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

static const char *log_prog = "podkit";
static int log_fd = -1;
static enum log_format log_fmt = LOG_FORMAT_TEXT;
static bool log_dbg = false;

int log_init(const char *prog, const char *path, enum log_format format, bool debug,
             pk_error **err) {
  log_prog = prog;
  log_fmt = format;
  log_dbg = debug;
  if (path && *path) {
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
      return error_set(err, errno, "open log file %s", path);
    log_fd = fd;
  }
  return 0;
}

void log_close(void) {
  if (log_fd >= 0)
    close(log_fd);
  log_fd = -1;
}

bool log_debug_enabled(void) {
  return log_dbg;
}

static void log_file_write(const char *level, const char *msg) {
  char ts[64];
  if (log_fd < 0)
    return;
  time_rfc3339(ts, sizeof(ts));
  if (log_fmt == LOG_FORMAT_JSON) {
    json_t *o = json_pack("{s:s,s:s,s:s}", "level", level, "msg", msg, "time", ts);
    char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
    if (s) {
      size_t n = strlen(s);
      s[n] = '\n';
      write_all(log_fd, s, n + 1);
      s[n] = '\0';
    }
    free(s);
    json_decref(o);
  } else {
    char *line = NULL;
    int n = asprintf(&line, "%s %s %s: %s\n", ts, level, log_prog, msg);
    if (n > 0)
      write_all(log_fd, line, (size_t)n);
    free(line);
  }
}

static void log_vemit(const char *level, bool to_stderr, const char *fmt, va_list ap) {
  char *msg = NULL;
  int saved = errno;
  if (vasprintf(&msg, fmt, ap) < 0) {
    errno = saved;
    return;
  }
  if (to_stderr)
    fprintf(stderr, "%s: %s\n", log_prog, msg);
  log_file_write(level, msg);
  free(msg);
  errno = saved;
}

void log_error(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  log_vemit("error", true, fmt, ap);
  va_end(ap);
}

void log_warn(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  log_vemit("warning", true, fmt, ap);
  va_end(ap);
}

void log_debug(const char *fmt, ...) {
  va_list ap;
  if (!log_dbg)
    return;
  va_start(ap, fmt);
  /* debug goes to the log file when there is one, else to stderr */
  log_vemit("debug", log_fd < 0, fmt, ap);
  va_end(ap);
}

void log_report_error(pk_error **err) {
  if (err == NULL || *err == NULL)
    return;
  log_error("%s", (*err)->msg);
  error_free(err);
}
