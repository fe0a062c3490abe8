/* SPDX-License-Identifier: MIT */
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"

int id_validate(const char *id, const char *what, pk_error **err) {
  size_t len;

  if (id == NULL || *id == '\0')
    return error_set(err, 0, "invalid %s \"\": must not be empty", what);
  len = strlen(id);
  if (len > ID_MAX_LEN)
    return error_set(err, 0, "invalid %s: %zu characters long, at most %d allowed", what, len,
                     ID_MAX_LEN);
  if (strcmp(id, ".") == 0 || strcmp(id, "..") == 0)
    return error_set(err, 0, "invalid %s \"%s\": must not be \".\" or \"..\"", what, id);
  /* every CLI would read such a name as an option (`netns add --help`) */
  if (id[0] == '-')
    return error_set(err, 0, "invalid %s \"%s\": must not begin with '-'", what, id);
  for (const char *p = id; *p; p++) {
    char c = *p;
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
        c == '-' || c == '.' || c == '+')
      continue;
    return error_set(err, 0,
                     "invalid %s \"%s\": character '%c' not allowed "
                     "(expected letters, digits, '_', '-', '.', '+')",
                     what, id, c);
  }
  return 0;
}

int mkdir_p(const char *path, mode_t mode, pk_error **err) {
  cleanup_free char *copy = strdup(path);
  if (copy == NULL)
    return error_set(err, ENOMEM, "mkdir %s", path);
  for (char *p = copy + 1;; p++) {
    if (*p == '/' || *p == '\0') {
      char saved = *p;
      *p = '\0';
      if (mkdir(copy, mode) < 0 && errno != EEXIST)
        return error_set(err, errno, "mkdir %s", copy);
      *p = saved;
      if (saved == '\0')
        break;
    }
  }
  return 0;
}

int write_all(int fd, const void *buf, size_t len) {
  const char *p = buf;
  while (len > 0) {
    ssize_t n = write(fd, p, len);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return -1;
    }
    p += n;
    len -= (size_t)n;
  }
  return 0;
}

int file_write_atomic(const char *path, const void *data, size_t len, mode_t mode, pk_error **err) {
  cleanup_free char *tmp = NULL;
  cleanup_close int fd = -1;

  if (asprintf(&tmp, "%s.tmp.%d", path, (int)getpid()) < 0)
    return error_set(err, ENOMEM, "write %s", path);
  fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0)
    return error_set(err, errno, "create %s", tmp);
  if (write_all(fd, data, len) < 0) {
    int e = errno;
    unlink(tmp);
    return error_set(err, e, "write %s", tmp);
  }
  if (rename(tmp, path) < 0) {
    int e = errno;
    unlink(tmp);
    return error_set(err, e, "rename %s to %s", tmp, path);
  }
  return 0;
}

int file_read_all(const char *path, size_t max, char **out, size_t *lenp, pk_error **err) {
  cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
  cleanup_free char *buf = NULL;
  size_t len = 0, cap = 0;

  if (max == 0)
    max = 16 << 20;
  if (fd < 0)
    return error_set(err, errno, "open %s", path);
  for (;;) {
    ssize_t n;
    if (cap - len < 4096) {
      char *nb;
      cap = cap ? cap * 2 : 8192;
      nb = realloc(buf, cap + 1);
      if (nb == NULL)
        return error_set(err, ENOMEM, "read %s", path);
      buf = nb;
    }
    n = read(fd, buf + len, cap - len);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return error_set(err, errno, "read %s", path);
    }
    if (n == 0)
      break;
    len += (size_t)n;
    if (len > max)
      return error_set(err, EFBIG, "read %s: larger than %zu bytes", path, max);
  }
  if (buf == NULL && (buf = malloc(1)) == NULL)
    return error_set(err, ENOMEM, "read %s", path);
  buf[len] = '\0';
  *out = take_ptr(buf);
  if (lenp)
    *lenp = len;
  return 0;
}

/* Fields after the comm are parsed from the last ')' since comm may itself
 * contain spaces and parentheses. */
static int proc_stat_fields(pid_t pid, char *state, unsigned long long *start) {
  char path[64], buf[1024];
  ssize_t n;
  char *p;
  cleanup_close int fd = -1;

  snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
  fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return -1;
  n = read(fd, buf, sizeof(buf) - 1);
  if (n <= 0)
    return -1;
  buf[n] = '\0';
  p = strrchr(buf, ')');
  if (p == NULL || p[1] != ' ')
    return -1;
  p += 2;
  *state = *p;
  /* p is at field 3 (state); start time is field 22 */
  for (int field = 3; field < 22; field++) {
    p = strchr(p, ' ');
    if (p == NULL)
      return -1;
    p++;
  }
  *start = strtoull(p, NULL, 10);
  return 0;
}

unsigned long long proc_start_time(pid_t pid) {
  char st;
  unsigned long long start;
  if (pid <= 0 || proc_stat_fields(pid, &st, &start) < 0)
    return 0;
  return start;
}

char proc_state(pid_t pid) {
  char st;
  unsigned long long start;
  if (pid <= 0 || proc_stat_fields(pid, &st, &start) < 0)
    return 0;
  return st;
}

void time_rfc3339(char *buf, size_t len) {
  struct timespec ts;
  struct tm tm;
  char base[32];
  clock_gettime(CLOCK_REALTIME, &ts);
  gmtime_r(&ts.tv_sec, &tm);
  strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf(buf, len, "%s.%09ldZ", base, ts.tv_nsec);
}

bool str_has_prefix(const char *s, const char *prefix) {
  return strncmp(s, prefix, strlen(prefix)) == 0;
}

int proc_pidfd_open(pid_t pid) {
  return (int)syscall(SYS_pidfd_open, pid, 0);
}

/* Fetches obj[key] and checks its type; 1 with *v set when present, 0 when
 * absent or null, <0 with err set when it is another type. */
static int json_field_typed(json_t *obj, const char *key, json_type type, const char *what,
                            json_t **v, const char *path, pk_error **err) {
  *v = json_object_get(obj, key);
  if (*v == NULL || json_is_null(*v))
    return 0;
  if (json_typeof(*v) != type)
    return error_set(err, 0, "%s.%s: expected %s", path, key, what);
  return 1;
}

int json_field_array(json_t *obj, const char *key, json_t **out, const char *path, pk_error **err) {
  json_t *v;
  int r = json_field_typed(obj, key, JSON_ARRAY, "an array", &v, path, err);
  *out = r > 0 ? v : NULL;
  return r < 0 ? -1 : 0;
}

int json_field_object(json_t *obj, const char *key, json_t **out, const char *path,
                      pk_error **err) {
  json_t *v;
  int r = json_field_typed(obj, key, JSON_OBJECT, "an object", &v, path, err);
  *out = r > 0 ? v : NULL;
  return r < 0 ? -1 : 0;
}

int json_field_string(json_t *obj, const char *key, const char **out, const char *path,
                      pk_error **err) {
  json_t *v;
  int r = json_field_typed(obj, key, JSON_STRING, "a string", &v, path, err);
  if (r > 0)
    *out = json_string_value(v);
  return r < 0 ? -1 : 0;
}

ssize_t sock_send_fd(int sock, const struct iovec *iov, int iovcnt, int fd) {
  union {
    char buf[CMSG_SPACE(sizeof(int))];
    struct cmsghdr align; /* CMSG_DATA must be aligned for a cmsghdr */
  } u;
  struct msghdr m = {.msg_iov = (struct iovec *)iov, .msg_iovlen = (size_t)iovcnt};
  ssize_t n;

  if (fd >= 0) {
    struct cmsghdr *cm;
    memset(&u, 0, sizeof(u));
    m.msg_control = u.buf;
    m.msg_controllen = sizeof(u.buf);
    cm = CMSG_FIRSTHDR(&m);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(cm), &fd, sizeof(int));
  }
  do
    n = sendmsg(sock, &m, MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
  return n;
}
