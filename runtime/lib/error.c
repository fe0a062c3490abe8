/* SPDX-License-Identifier: MIT */
#include "error.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *error_fallback = "out of memory while formatting an error";

int error_setv(pk_error **err, int errnum, const char *fmt, va_list ap) {
  pk_error *e;
  char *body = NULL, *msg = NULL;

  if (err == NULL)
    return -1;
  if (*err != NULL)
    error_free(err);
  e = calloc(1, sizeof(*e));
  if (e == NULL)
    abort();
  e->errnum = errnum;
  if (vasprintf(&body, fmt, ap) < 0)
    body = NULL;
  if (body && errnum != 0) {
    if (asprintf(&msg, "%s: %s", body, strerror(errnum)) < 0)
      msg = NULL;
    free(body);
  } else
    msg = body;
  e->msg = msg ? msg : error_fallback;
  *err = e;
  return -1;
}

int error_set(pk_error **err, int errnum, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  error_setv(err, errnum, fmt, ap);
  va_end(ap);
  return -1;
}

int error_set_code(pk_error **err, int errnum, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  error_setv(err, 0, fmt, ap);
  va_end(ap);
  if (err && *err)
    (*err)->errnum = errnum;
  return -1;
}

int error_wrap(pk_error **err, const char *fmt, ...) {
  va_list ap;
  char *ctx = NULL, *msg = NULL;

  if (err == NULL || *err == NULL)
    return -1;
  va_start(ap, fmt);
  if (vasprintf(&ctx, fmt, ap) < 0)
    ctx = NULL;
  va_end(ap);
  if (ctx && asprintf(&msg, "%s: %s", ctx, (*err)->msg) >= 0) {
    if ((*err)->msg != error_fallback)
      free((*err)->msg);
    (*err)->msg = msg;
  }
  free(ctx);
  return -1;
}

void error_free(pk_error **err) {
  if (err == NULL || *err == NULL)
    return;
  if ((*err)->msg != error_fallback)
    free((*err)->msg);
  free(*err);
  *err = NULL;
}
