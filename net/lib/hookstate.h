/* SPDX-License-Identifier: MIT
 * The OCI state a runtime writes on a hook's stdin
 * ({"ociVersion","id","status","pid","bundle","annotations"}). */
#ifndef PODNET_HOOKSTATE_H
#define PODNET_HOOKSTATE_H

#include <stddef.h>
#include <sys/types.h>

#include "error.h"

struct hook_state {
  char *oci_version, *id, *status, *bundle;
  pid_t pid; /* 0 when absent (poststop may omit it) */
  /* annotations we read; NULL when absent */
  char *bridge, *ip, *publish;
};

/* Errors read "stdin is not OCI state: <why>". */
int hook_state_parse(const char *buf, size_t len, struct hook_state *out, pk_error **err);
void hook_state_free(struct hook_state *s);

#endif
