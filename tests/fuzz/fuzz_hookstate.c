/* libFuzzer target for the OCI state a hook reads on stdin: whatever the
 * runtime (or anyone who can start the hook) writes there.  Besides "no
 * crash, no leak, no UB" it checks what hookstate.h promises of an accepted
 * state.  tests/unit/test_fuzz_replay.c includes this file with
 * PODKIT_FUZZ_REPLAY defined to replay the corpus through the same checks. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hookstate.h"

#ifndef MUST
#define MUST(c)                                                                                    \
  do {                                                                                             \
    if (!(c))                                                                                      \
      abort();                                                                                     \
  } while (0)
#endif

static int fuzz_hookstate_one(const uint8_t *data, size_t size) {
  struct hook_state s;
  pk_error *err = NULL;

  if (hook_state_parse((const char *)data, size, &s, &err) < 0) {
    MUST(err && err->msg);
    MUST(err->errnum == ENOMEM || strncmp(err->msg, "stdin is not OCI state: ", 24) == 0);
    /* a failed parse leaves nothing to free */
    MUST(!s.oci_version && !s.id && !s.status && !s.bundle && !s.bridge && !s.ip && !s.publish);
    error_free(&err);
    return 0;
  }
  MUST(err == NULL);
  MUST(s.oci_version && s.oci_version[0] && s.id && s.id[0]);
  MUST(s.status && s.status[0] && s.bundle && s.bundle[0]);
  /* the ID names state files and nft elements: no path separators */
  MUST(strchr(s.id, '/') == NULL && strcmp(s.id, ".") != 0 && strcmp(s.id, "..") != 0);
  MUST(s.pid >= 0 && (s.pid > 0 || strcmp(s.status, "stopped") == 0));
  if (s.bridge)
    (void)strlen(s.bridge);
  if (s.ip)
    (void)strlen(s.ip);
  if (s.publish)
    (void)strlen(s.publish);
  hook_state_free(&s);
  MUST(s.id == NULL && s.publish == NULL);
  return 0;
}

#ifndef PODKIT_FUZZ_REPLAY
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  return fuzz_hookstate_one(data, size);
}
#endif
