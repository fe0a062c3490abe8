/* SPDX-License-Identifier: MIT
 * Logging for the CLIs.  Errors always go to stderr as one line
 * "<prog>: <msg>"; with --log FILE they also go to FILE, as text or as the
 * {"level","msg","time"} JSON lines podman and containerd read. */
#ifndef PODKIT_LOG_H
#define PODKIT_LOG_H

#include <stdbool.h>

#include "error.h"

enum log_format { LOG_FORMAT_TEXT, LOG_FORMAT_JSON };

/* prog: "podrun"; path: NULL for none; debug: also log debug lines. */
int log_init(const char *prog, const char *path, enum log_format format, bool debug,
             pk_error **err);
void log_close(void);

void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
bool log_debug_enabled(void);

/* Print err as "<prog>: <msg>" (and to the log file), then free it. */
void log_report_error(pk_error **err);

#endif
