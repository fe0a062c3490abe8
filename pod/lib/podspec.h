/* SPDX-License-Identifier: MIT
 * The OCI configs pod writes: the pause container's, a generated member's,
 * and a member bundle's config rewritten to join the pod's namespaces. */
#ifndef POD_SPEC_H
#define POD_SPEC_H

#include <stddef.h>

#include "error.h"

/* Namespace types a pod can share with its members. */
enum {
  POD_NS_NET = 1 << 0,
  POD_NS_IPC = 1 << 1,
  POD_NS_UTS = 1 << 2,
  POD_NS_PID = 1 << 3,
};
#define POD_NS_ALL (POD_NS_NET | POD_NS_IPC | POD_NS_UTS | POD_NS_PID)
#define POD_NS_COUNT 4

/* i-th type: its /proc/PID/ns/ name ("net") and its OCI name ("network"). */
int pod_ns_bit(size_t i);
const char *pod_ns_proc_name(size_t i);
const char *pod_ns_oci_name(size_t i);

/* "net,ipc,uts,pid" (any subset, any order, "" = none) into a mask. */
int pod_share_parse(const char *s, int *mask, pk_error **err);
/* The mask back as "net,ipc,uts,pid" into buf (32 bytes is enough). */
const char *pod_share_str(int mask, char *buf, size_t len);

/* config.json of the pause container: args ["/pause"], rootfs "rootfs",
 * new namespaces of `share` plus mount; hostname set when uts is shared.
 * Caller frees *out. */
int pod_spec_pause(int share, const char *hostname, char **out, pk_error **err);

/* A member's config from scratch (runc spec's defaults, terminal false).
 * env: "K=V" entries added after PATH; cwd NULL = "/". Caller frees. */
int pod_spec_generate(const char *rootfs, char *const *env, size_t n_env, const char *cwd,
                      char *const *args, size_t n_args, char **out, pk_error **err);

/* Rewrite the JSON config `in` of a bundle at `bundle_dir` so it joins the
 * pod: namespaces of `share` get path ns_dir/<proc name> (added when
 * missing), others stay as they are; root.path becomes absolute; terminal is
 * forced false (members run detached); hostname/domainname go away when uts
 * is joined (a runtime refuses them without a new uts namespace).  Caller
 * frees *out. */
int pod_spec_rewrite(const char *in, const char *bundle_dir, int share, const char *ns_dir,
                     char **out, pk_error **err);

#endif
