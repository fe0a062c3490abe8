/* SPDX-License-Identifier: MIT
 * Small file-system and string helpers shared by podrun, podnet and pod. */
#ifndef PODKIT_UTIL_H
#define PODKIT_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "error.h"

#define ID_MAX_LEN 128

/* Container, pod, bridge-owner and lease IDs: 1..ID_MAX_LEN chars of
 * [A-Za-z0-9_.+-], not "." or "..", never a '/'. `what` names the argument in
 * the error ("container ID"). */
int id_validate(const char *id, const char *what, pk_error **err);

/* mkdir -p with `mode` for the directories it creates. */
int mkdir_p(const char *path, mode_t mode, pk_error **err);

/* Write `len` bytes to `path` through a temporary file in the same directory
 * and rename(2), so readers never see a partial file. */
int file_write_atomic(const char *path, const void *data, size_t len, mode_t mode, pk_error **err);

/* Read a whole file (at most `max` bytes, 0 = 16 MiB) into a NUL-terminated
 * buffer. */
int file_read_all(const char *path, size_t max, char **out, size_t *len, pk_error **err);

/* Write a whole buffer to fd, retrying on EINTR and short writes. */
int write_all(int fd, const void *buf, size_t len);

/* Start time of `pid` in clock ticks since boot (field 22 of
 * /proc/PID/stat), 0 when the process does not exist.  Paired with a pid it
 * names a process unambiguously: a recycled pid has another start time. */
unsigned long long proc_start_time(pid_t pid);

/* Process state letter from /proc/PID/stat ('R', 'S', 'Z', ...), 0 if gone. */
char proc_state(pid_t pid);

/* RFC 3339 UTC timestamp with nanoseconds, as runc writes "created". */
void time_rfc3339(char *buf, size_t len);

bool str_has_prefix(const char *s, const char *prefix);

/* pidfd_open(2) for `pid` with no flags: a fd that polls readable when the
 * process exits; <0 with errno set (ESRCH: gone, ENOSYS: kernel < 5.3). */
int proc_pidfd_open(pid_t pid);

/* Typed optional members of a JSON object (jansson's json_t; declared here
 * so util.h needs no jansson include).  An absent or null member is not an
 * error; a member of another type is, named "PATH.KEY: expected ...". */
struct json_t;

/* *out = the array, NULL when absent. */
int json_field_array(struct json_t *obj, const char *key, struct json_t **out, const char *path,
                     pk_error **err);

/* *out = the object, NULL when absent. */
int json_field_object(struct json_t *obj, const char *key, struct json_t **out, const char *path,
                      pk_error **err);

/* *out = the string (owned by obj); *out is left as it was when absent, so
 * the caller's initial value is the default. */
int json_field_string(struct json_t *obj, const char *key, const char **out, const char *path,
                      pk_error **err);

/* sendmsg(2) of iov with fd (when >= 0) attached as SCM_RIGHTS, retrying
 * EINTR and never raising SIGPIPE.  Returns the bytes sent, or -1 with
 * errno. */
struct iovec;
ssize_t sock_send_fd(int sock, const struct iovec *iov, int iovcnt, int fd);

#endif
