/* SPDX-License-Identifier: MIT
 * Context shared by every podnet operation.  Tests point state_dir and
 * nft_table at private names so that parallel suites never collide. */
#ifndef PODNET_H
#define PODNET_H

#include <stdbool.h>

#define PODNET_DEFAULT_STATE_DIR "/run/podnet"
#define PODNET_DEFAULT_NFT_TABLE "podnet"

struct podnet_ctx {
  const char *state_dir; /* --state-dir, $PODNET_STATE_DIR, default above */
  const char *nft_table; /* $PODNET_NFT_TABLE, default "podnet" (family ip) */
  bool json;             /* --json output */
};

#endif
