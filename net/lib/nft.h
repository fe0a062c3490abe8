/* SPDX-License-Identifier: MIT
 * podnet's nftables state: one table of its own (family ip, name
 * ctx->nft_table) holding NAT chains whose rules look ports up in maps, so
 * the per-packet path and the cost of adding a forward do not depend on how
 * many forwards exist.  Every change is one batch transaction; the table is
 * created on first use and removed when nothing is left in it.  Never touches
 * other tables and never flushes the ruleset. */
#ifndef PODNET_NFT_H
#define PODNET_NFT_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

#include "error.h"
#include "podnet.h"

struct nft_forward {
  int proto;               /* IPPROTO_TCP or IPPROTO_UDP */
  struct in_addr host_ip;  /* INADDR_ANY (0) = every host address */
  uint16_t host_port_first, host_port_last; /* equal for a single port */
  struct in_addr to_ip;
  uint16_t to_port; /* first container port; ranges map 1:1 */
  char id[129];     /* owner (container ID), "" if none */
};

/* Adds the DNAT for external (prerouting), local (output: 127.0.0.1 and the
 * host's addresses, with route_localnet and masquerade of 127/8 sources) and
 * hairpin (containers reaching their own forward) traffic, all in one batch.
 * A host port (range) already forwarded for that proto/host_ip fails with
 * "host port 9999/tcp is already forwarded" and changes nothing. */
int nft_forward_add(const struct podnet_ctx *ctx, const struct nft_forward *fw, pk_error **err);
/* Removes the forward with that proto/host_ip/host port (first port). */
int nft_forward_del(const struct podnet_ctx *ctx, const struct nft_forward *fw, pk_error **err);
/* Removes every forward whose id matches; *n_removed may be NULL. */
int nft_forward_del_by_id(const struct podnet_ctx *ctx, const char *id, int *n_removed,
                          pk_error **err);
/* All forwards (caller frees *out). */
int nft_forward_list(const struct podnet_ctx *ctx, struct nft_forward **out, size_t *n,
                     pk_error **err);

/* Masquerade traffic from subnet (not to the subnet itself) leaving through
 * any interface other than `bridge`; idempotent. */
int nft_masquerade_add(const struct podnet_ctx *ctx, const char *bridge, struct in_addr net,
                       int prefix_len, pk_error **err);
int nft_masquerade_del(const struct podnet_ctx *ctx, const char *bridge, pk_error **err);

/* Parse "P" or "P1-P2" (1..65535, P1<=P2) and "tcp"/"udp"; errors name the
 * argument. */
int nft_port_range_parse(const char *s, uint16_t *first, uint16_t *last, pk_error **err);
int nft_proto_parse(const char *s, int *proto, pk_error **err);

#endif
