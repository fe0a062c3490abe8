/* SPDX-License-Identifier: MIT
 * libpod: pods of containers sharing the namespaces of a pause container.
 * State under ctx->state_dir (default /run/pod):
 *   NAME/pod.json                  the pod: share set, bridge, IP, ports
 *   NAME/ns/{net,ipc,uts,pid}      bind mounts pinning the pause's namespaces
 *   NAME/pause/                    the pause's bundle (rootfs with /pause) and
 *                                  its container record
 *   NAME/containers/C/             a member: config.json (private copy),
 *                                  container.json, pid, log, exit.json
 * plus /var/run/netns/NAME for the netns, a podnet lease and forwards with
 * id NAME.  Runtime container IDs: NAME for the pause, NAME.C for members. */
#ifndef POD_H
#define POD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "error.h"
#include "podnet.h"

#define POD_DEFAULT_STATE_DIR "/run/pod"
#define POD_DEFAULT_RUNTIME_ROOT "/run/pod/runtime"
#define POD_DEFAULT_BRIDGE "pod0"
#define POD_DEFAULT_SUBNET "10.88.0.0/16"
#define POD_DEFAULT_NAME "default"

struct pod_ctx {
  const char *state_dir;    /* --state-dir, $POD_STATE_DIR */
  const char *runtime;      /* --runtime, $POD_RUNTIME; NULL = podrun */
  const char *runtime_root; /* --runtime-root, $POD_RUNTIME_ROOT */
  struct podnet_ctx net;    /* $PODNET_STATE_DIR, $PODNET_NFT_TABLE */
  char runtime_buf[4096];
};

/* Fills the defaults and resolves the runtime to an absolute path (podrun
 * next to the running binary, else in PATH). */
int pod_ctx_init(struct pod_ctx *ctx, pk_error **err);

struct pod_create_opts {
  const char *name; /* NULL = "default" */
  const char *bridge, *subnet, *ip, *share, *hostname;
  char *const *publish; /* "[IP:]HOSTPORT[-LAST]:CTRPORT[/tcp|udp]" */
  size_t n_publish;
};
int pod_create(const struct pod_ctx *ctx, const struct pod_create_opts *o, pk_error **err);

/* Each bundle's basename names the container. */
int pod_add_bundles(const struct pod_ctx *ctx, const char *pod, char *const *bundles, size_t n,
                    pk_error **err);

struct pod_gen_opts {
  const char *name, *rootfs, *cwd;
  char *const *env;
  size_t n_env;
  char *const *args;
  size_t n_args;
};
int pod_add_generated(const struct pod_ctx *ctx, const char *pod, const struct pod_gen_opts *o,
                      pk_error **err);

int pod_ps(const struct pod_ctx *ctx, const char *pod, bool json, FILE *out, pk_error **err);
int pod_inspect(const struct pod_ctx *ctx, const char *pod, FILE *out, pk_error **err);
int pod_logs(const struct pod_ctx *ctx, const char *pod, const char *container, bool follow,
             FILE *out, pk_error **err);
/* Replaces the process with `RUNTIME exec` on success. */
int pod_exec(const struct pod_ctx *ctx, const char *pod, const char *container, bool tty,
             char *const *argv, pk_error **err);
int pod_stop(const struct pod_ctx *ctx, const char *pod, int grace_secs, pk_error **err);
int pod_rm(const struct pod_ctx *ctx, const char *pod, bool force, pk_error **err);
/* dir NULL: the units go to `out`, each after a "# NAME" line. */
int pod_generate_systemd(const struct pod_ctx *ctx, const char *pod, const char *dir, FILE *out,
                         pk_error **err);

/* "[IP:]HOSTPORT[-LAST]:CTRPORT[/tcp|udp]" (exposed for tests). */
struct nft_forward;
int pod_publish_parse(const char *s, struct nft_forward *fw, pk_error **err);

#endif
