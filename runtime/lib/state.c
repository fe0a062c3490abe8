/* SPDX-License-Identifier: MIT */
#include "state.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "util.h"

#define STATE_FILE "state.json"
#define STATE_FIFO "exec.fifo"

const char *container_status_name(enum container_status s) {
  switch (s) {
  case STATUS_CREATING:
    return "creating";
  case STATUS_CREATED:
    return "created";
  case STATUS_RUNNING:
    return "running";
  case STATUS_PAUSED:
    return "paused";
  case STATUS_STOPPED:
    return "stopped";
  }
  return "unknown";
}

char *state_dir_path(const char *root, const char *id) {
  char *p = NULL;
  if (asprintf(&p, "%s/%s", root, id) < 0)
    return NULL;
  return p;
}

char *state_fifo_path(const char *root, const char *id) {
  char *p = NULL;
  if (asprintf(&p, "%s/%s/" STATE_FIFO, root, id) < 0)
    return NULL;
  return p;
}

/* The lock is a flock on the directory itself: it needs no extra file, and
 * it dies with the process that holds it, so a crashed podrun never leaves a
 * container locked. */
static int state_dir_flock(const char *dir, const char *id, int *lock_fd, pk_error **err) {
  cleanup_close int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT)
      return error_set_code(err, ENOENT, "container %s does not exist", id);
    return error_set(err, errno, "open %s", dir);
  }
  while (flock(fd, LOCK_EX) < 0) {
    if (errno != EINTR)
      return error_set(err, errno, "lock %s", dir);
  }
  *lock_fd = take_fd(&fd);
  return 0;
}

int state_dir_create(const char *root, const char *id, int *lock_fd, pk_error **err) {
  cleanup_free char *dir = state_dir_path(root, id);
  if (dir == NULL)
    return error_set(err, ENOMEM, "state dir");
  if (mkdir(dir, 0711) < 0) {
    if (errno == ENOENT) {
      if (mkdir_p(root, 0711, err) < 0)
        return error_wrap(err, "state root");
      if (mkdir(dir, 0711) == 0)
        goto made;
    }
    if (errno == EEXIST)
      return error_set_code(err, EEXIST, "container %s already exists", id);
    return error_set(err, errno, "mkdir %s", dir);
  }
made:
  if (state_dir_flock(dir, id, lock_fd, err) < 0) {
    rmdir(dir);
    return -1;
  }
  return 0;
}

int state_dir_lock(const char *root, const char *id, int *lock_fd, pk_error **err) {
  cleanup_free char *dir = state_dir_path(root, id);
  cleanup_free char *file = NULL;
  if (dir == NULL)
    return error_set(err, ENOMEM, "state dir");
  if (state_dir_flock(dir, id, lock_fd, err) < 0)
    return -1;
  /* A delete may have removed the directory while we waited for the lock. */
  if (asprintf(&file, "%s/" STATE_FILE, dir) < 0 || access(file, F_OK) < 0) {
    close(*lock_fd);
    *lock_fd = -1;
    return error_set_code(err, ENOENT, "container %s does not exist", id);
  }
  return 0;
}

int state_dir_remove(const char *root, const char *id, pk_error **err) {
  cleanup_free char *dir = state_dir_path(root, id);
  cleanup_closedir DIR *d = NULL;
  struct dirent *de;
  int dfd;

  if (dir == NULL)
    return error_set(err, ENOMEM, "state dir");
  d = opendir(dir);
  if (d == NULL) {
    if (errno == ENOENT)
      return 0;
    return error_set(err, errno, "open %s", dir);
  }
  dfd = dirfd(d);
  /* The state dir is flat: state.json, exec.fifo and files of the
   * subsystems; nothing nests. */
  while ((de = readdir(d)) != NULL) {
    if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
      continue;
    if (unlinkat(dfd, de->d_name, 0) < 0 && errno != ENOENT) {
      if (errno == EISDIR && unlinkat(dfd, de->d_name, AT_REMOVEDIR) == 0)
        continue;
      return error_set(err, errno, "remove %s/%s", dir, de->d_name);
    }
  }
  if (rmdir(dir) < 0 && errno != ENOENT)
    return error_set(err, errno, "remove %s", dir);
  return 0;
}

json_t *state_to_json(const struct state *st, enum container_status status) {
  json_t *o = json_object();
  if (o == NULL)
    return NULL;
  json_object_set_new(o, "ociVersion", json_string(STATE_OCI_VERSION));
  json_object_set_new(o, "id", json_string(st->id));
  json_object_set_new(o, "status", json_string(container_status_name(status)));
  /* the OCI spec says pid is absent once the process is gone */
  if (status != STATUS_STOPPED)
    json_object_set_new(o, "pid", json_integer(st->pid));
  else
    json_object_set_new(o, "pid", json_integer(0));
  json_object_set_new(o, "bundle", json_string(st->bundle ? st->bundle : ""));
  json_object_set_new(o, "rootfs", json_string(st->rootfs ? st->rootfs : ""));
  json_object_set_new(o, "created", json_string(st->created ? st->created : ""));
  json_object_set_new(o, "owner", json_string(""));
  if (st->annotations && json_object_size(st->annotations) > 0)
    json_object_set(o, "annotations", st->annotations);
  return o;
}

int state_write(const char *root, const struct state *st, pk_error **err) {
  cleanup_free char *path = NULL;
  cleanup_free char *text = NULL;
  json_t *o = json_object();

  if (o == NULL)
    return error_set(err, ENOMEM, "state of %s", st->id);
  json_object_set_new(o, "id", json_string(st->id));
  json_object_set_new(o, "pid", json_integer(st->pid));
  json_object_set_new(o, "start_time", json_integer((json_int_t)st->start_time));
  json_object_set_new(o, "bundle", json_string(st->bundle ? st->bundle : ""));
  json_object_set_new(o, "rootfs", json_string(st->rootfs ? st->rootfs : ""));
  json_object_set_new(o, "created", json_string(st->created ? st->created : ""));
  json_object_set_new(o, "owner", json_integer(st->owner));
  if (st->annotations)
    json_object_set(o, "annotations", st->annotations);
  if (st->cgroup_path)
    json_object_set_new(o, "cgroup_path", json_string(st->cgroup_path));
  if (st->extra)
    json_object_set(o, "extra", st->extra);
  text = json_dumps(o, JSON_COMPACT);
  json_decref(o);
  if (text == NULL)
    return error_set(err, ENOMEM, "state of %s", st->id);
  if (asprintf(&path, "%s/%s/" STATE_FILE, root, st->id) < 0)
    return error_set(err, ENOMEM, "state of %s", st->id);
  return file_write_atomic(path, text, strlen(text), 0600, err);
}

static char *json_strdup_field(json_t *o, const char *key) {
  const char *s = json_string_value(json_object_get(o, key));
  return s ? strdup(s) : NULL;
}

void state_free(struct state *st) {
  if (st == NULL)
    return;
  free(st->id);
  free(st->bundle);
  free(st->rootfs);
  free(st->created);
  free(st->cgroup_path);
  json_decref(st->annotations);
  json_decref(st->extra);
  free(st);
}

int state_read(const char *root, const char *id, struct state **out, pk_error **err) {
  cleanup_free char *path = NULL;
  cleanup_free char *text = NULL;
  size_t len = 0;
  json_error_t jerr;
  json_t *o, *v;
  struct state *st;

  if (asprintf(&path, "%s/%s/" STATE_FILE, root, id) < 0)
    return error_set(err, ENOMEM, "state of %s", id);
  if (file_read_all(path, 1 << 20, &text, &len, err) < 0) {
    if (err && *err && (*err)->errnum == ENOENT) {
      error_free(err);
      return error_set_code(err, ENOENT, "container %s does not exist", id);
    }
    return -1;
  }
  o = json_loadb(text, len, 0, &jerr);
  if (o == NULL || !json_is_object(o)) {
    json_decref(o);
    return error_set(err, EINVAL, "%s: corrupt state file: %s", path,
                     o ? "not an object" : jerr.text);
  }
  st = calloc(1, sizeof(*st));
  if (st == NULL) {
    json_decref(o);
    return error_set(err, ENOMEM, "state of %s", id);
  }
  st->id = strdup(id);
  st->pid = (pid_t)json_integer_value(json_object_get(o, "pid"));
  st->start_time = (unsigned long long)json_integer_value(json_object_get(o, "start_time"));
  st->bundle = json_strdup_field(o, "bundle");
  st->rootfs = json_strdup_field(o, "rootfs");
  st->created = json_strdup_field(o, "created");
  st->owner = (uid_t)json_integer_value(json_object_get(o, "owner"));
  st->cgroup_path = json_strdup_field(o, "cgroup_path");
  if ((v = json_object_get(o, "annotations")) && json_is_object(v))
    st->annotations = json_incref(v);
  if ((v = json_object_get(o, "extra")) && json_is_object(v))
    st->extra = json_incref(v);
  json_decref(o);
  *out = st;
  return 0;
}

enum container_status state_status(const char *root, const struct state *st, bool frozen) {
  cleanup_free char *fifo = NULL;
  char pstate;

  if (st->pid <= 0)
    return STATUS_CREATING;
  if (proc_start_time(st->pid) != st->start_time)
    return STATUS_STOPPED;
  pstate = proc_state(st->pid);
  if (pstate == 0 || pstate == 'Z' || pstate == 'X')
    return STATUS_STOPPED;
  if (frozen)
    return STATUS_PAUSED;
  fifo = state_fifo_path(root, st->id);
  if (fifo && access(fifo, F_OK) == 0)
    return STATUS_CREATED;
  return STATUS_RUNNING;
}

static int strcmp_p(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

int state_list_ids(const char *root, char ***ids, pk_error **err) {
  cleanup_closedir DIR *d = opendir(root);
  cleanup_strv char **v = NULL;
  size_t n = 0, cap = 0;
  struct dirent *de;

  if (d == NULL && errno != ENOENT)
    return error_set(err, errno, "open %s", root);
  while (d && (de = readdir(d)) != NULL) {
    if (de->d_name[0] == '.' || (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN))
      continue;
    if (id_validate(de->d_name, "id", NULL) < 0)
      continue;
    if (n + 1 >= cap) {
      char **nv;
      cap = cap ? cap * 2 : 16;
      nv = realloc(v, cap * sizeof(*v));
      if (nv == NULL)
        return error_set(err, ENOMEM, "list %s", root);
      v = nv;
    }
    v[n] = strdup(de->d_name);
    if (v[n] == NULL)
      return error_set(err, ENOMEM, "list %s", root);
    v[++n] = NULL;
  }
  if (v == NULL) {
    v = calloc(1, sizeof(*v));
    if (v == NULL)
      return error_set(err, ENOMEM, "list %s", root);
  }
  qsort(v, n, sizeof(*v), strcmp_p);
  *ids = take_ptr(v);
  return 0;
}
