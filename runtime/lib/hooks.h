/* SPDX-License-Identifier: MIT
 * OCI hooks: each hook is run with the state JSON on stdin, its args and env
 * as given, and killed when its timeout passes.  The first failing hook stops
 * the list and is reported as
 * "createRuntime hook /usr/bin/x: exited with status 1". */
#ifndef PODKIT_HOOKS_H
#define PODKIT_HOOKS_H

#include "error.h"
#include "spec.h"

int hooks_run(const struct spec *s, enum spec_hook_kind kind, const char *state_json,
              pk_error **err);

/* poststop hooks: every hook runs even when an earlier one failed; failures
 * are only warned about, as the spec asks. */
void hooks_run_all_warn(const struct spec *s, enum spec_hook_kind kind, const char *state_json);

#endif
