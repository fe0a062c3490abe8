/* SPDX-License-Identifier: MIT */
#include "hookstate.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define NOT_STATE "stdin is not OCI state"

static int str_field(json_t *root, const char *key, char **out, pk_error **err) {
  json_t *v = json_object_get(root, key);
  if (v == NULL)
    return error_set_code(err, EINVAL, NOT_STATE ": missing \"%s\"", key);
  if (!json_is_string(v) || json_string_length(v) == 0)
    return error_set_code(err, EINVAL, NOT_STATE ": \"%s\" must be a non-empty string", key);
  *out = strdup(json_string_value(v));
  if (*out == NULL)
    return error_set(err, ENOMEM, "hook state");
  return 0;
}

static char *annotation(json_t *ann, const char *key) {
  const char *s = json_string_value(json_object_get(ann, key));
  return s ? strdup(s) : NULL;
}

int hook_state_parse(const char *buf, size_t len, struct hook_state *s, pk_error **err) {
  json_error_t je;
  json_t *root, *pid, *ann;
  int rc = -1;

  memset(s, 0, sizeof(*s));
  if (len == 0)
    return error_set_code(err, EINVAL, NOT_STATE ": it is empty");
  root = json_loadb(buf, len, 0, &je);
  if (root == NULL)
    return error_set_code(err, EINVAL, NOT_STATE ": invalid JSON at line %d: %s", je.line, je.text);
  if (!json_is_object(root)) {
    error_set_code(err, EINVAL, NOT_STATE ": not a JSON object");
    goto out;
  }
  if (str_field(root, "ociVersion", &s->oci_version, err) < 0 ||
      str_field(root, "id", &s->id, err) < 0 || str_field(root, "status", &s->status, err) < 0 ||
      str_field(root, "bundle", &s->bundle, err) < 0)
    goto out;
  if (id_validate(s->id, "container ID", err) < 0) {
    error_wrap(err, NOT_STATE);
    goto out;
  }
  pid = json_object_get(root, "pid");
  if (pid && !json_is_null(pid)) {
    if (!json_is_integer(pid) || json_integer_value(pid) < 0 || json_integer_value(pid) > 4194304) {
      error_set_code(err, EINVAL, NOT_STATE ": \"pid\" must be a process ID");
      goto out;
    }
    s->pid = (pid_t)json_integer_value(pid);
  }
  if (s->pid == 0 && strcmp(s->status, "stopped") != 0) {
    error_set_code(err, EINVAL, NOT_STATE ": missing \"pid\" (status %s)", s->status);
    goto out;
  }
  ann = json_object_get(root, "annotations");
  if (ann && !json_is_object(ann)) {
    error_set_code(err, EINVAL, NOT_STATE ": \"annotations\" must be an object");
    goto out;
  }
  if (ann) {
    s->bridge = annotation(ann, "podnet.bridge");
    s->ip = annotation(ann, "podnet.ip");
    s->publish = annotation(ann, "podnet.publish");
  }
  rc = 0;
out:
  json_decref(root);
  if (rc < 0)
    hook_state_free(s);
  return rc;
}

void hook_state_free(struct hook_state *s) {
  free(s->oci_version);
  free(s->id);
  free(s->status);
  free(s->bundle);
  free(s->bridge);
  free(s->ip);
  free(s->publish);
  memset(s, 0, sizeof(*s));
}
