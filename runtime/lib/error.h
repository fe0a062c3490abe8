/* SPDX-License-Identifier: MIT
 * The one error convention of podkit: a function that can fail returns a
 * negative value and fills *err with errno and a message; each caller on the
 * way up adds its context with error_wrap(), so the final line reads
 * "create web1: mount proc on /proc: Permission denied". */
#ifndef PODKIT_ERROR_H
#define PODKIT_ERROR_H

#include <stdarg.h>

typedef struct pk_error {
  int errnum; /* errno of the root cause, 0 when there is none */
  char *msg;  /* full message, context first */
} pk_error;

/* Set *err (replacing nothing: *err must be NULL) and return -1.  When errnum
 * is non-zero, ": strerror(errnum)" is appended. */
int error_set(pk_error **err, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int error_setv(pk_error **err, int errnum, const char *fmt, va_list ap);

/* Like error_set, but records errnum without appending strerror: for
 * messages that already say it ("container web1 does not exist"). */
int error_set_code(pk_error **err, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prefix the existing message with "context: " and return -1. */
int error_wrap(pk_error **err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

void error_free(pk_error **err);

/* For __attribute__((cleanup)) on a pk_error *. */
static inline void error_freep(pk_error **err) {
  error_free(err);
}
#define cleanup_error __attribute__((cleanup(error_freep)))

#endif
