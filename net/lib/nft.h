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
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "podnet.h"

struct nft_forward {
  int proto;                                /* IPPROTO_TCP or IPPROTO_UDP */
  struct in_addr host_ip;                   /* INADDR_ANY (0) = every host address */
  uint16_t host_port_first, host_port_last; /* equal for a single port */
  struct in_addr to_ip;
  uint16_t to_port; /* first container port; ranges map 1:1 */
  char id[129];     /* owner (container ID), "" if none */
};

/* Adds the DNAT for external (prerouting), local (output: 127.0.0.1 and the
 * host's addresses, with route_localnet and masquerade of 127/8 sources) and
 * hairpin (containers reaching their own forward) traffic, all in one batch
 * of map elements.  When `to_ip` sits on a directly connected bridge, that
 * bridge gets route_localnet=1 and a hairpin entry.  With br_netfilter
 * loaded, a container reaching ITS OWN forward also needs its bridge port in
 * hairpin mode (IFLA_BRPORT_MODE, attach's job): DNAT back onto the same
 * bridge is then bridged, not routed.  A host port (range) already
 * forwarded for that proto/host_ip fails with EEXIST "host port 9999/tcp is
 * already forwarded" and changes nothing.  With fw->id set, the forward is
 * also recorded in STATE_DIR/forwards/ID. */
int nft_forward_add(const struct podnet_ctx *ctx, const struct nft_forward *fw, pk_error **err);
/* Removes the forward with that proto/host_ip/host port: its first port or
 * its exact range (ENOENT "host port 9999/tcp is not forwarded"). */
int nft_forward_del(const struct podnet_ctx *ctx, const struct nft_forward *fw, pk_error **err);
/* Removes every forward whose id matches; *n_removed may be NULL.  Finds
 * them through the index STATE_DIR/forwards/ID (no index: nothing to do, in
 * O(1), the common detach), so forwards made with another state dir are not
 * seen; nft_forward_del_by_id_scan reads every forward's comment instead
 * (O(forwards), for the CLI and gc). */
int nft_forward_del_by_id(const struct podnet_ctx *ctx, const char *id, int *n_removed,
                          pk_error **err);
int nft_forward_del_by_id_scan(const struct podnet_ctx *ctx, const char *id, int *n_removed,
                               pk_error **err);
/* All forwards (caller frees *out). */
int nft_forward_list(const struct podnet_ctx *ctx, struct nft_forward **out, size_t *n,
                     pk_error **err);

/* Masquerade traffic from subnet coming in on `bridge` and leaving through
 * any other interface; idempotent (re-adding replaces the subnet).  Deleting
 * a bridge that has none is fine.  The table goes when the last forward and
 * masquerade are gone. */
int nft_masquerade_add(const struct podnet_ctx *ctx, const char *bridge, struct in_addr net,
                       int prefix_len, pk_error **err);
int nft_masquerade_del(const struct podnet_ctx *ctx, const char *bridge, pk_error **err);

/* Every call above shares one netfilter socket that stays open: releasing
 * one waits in the kernel for the deferred cleanup of committed
 * transactions (an RCU grace period, 5-16 ms), although their effect is
 * complete once acked.  This hands the socket over: its fd (the library
 * forgets it; close it, or pass it to nl_background() so that another
 * process pays the wait), or -1 when none is open or when closing it costs
 * nothing (only elements were added: then it is closed here).  Without it
 * the socket closes at exit. */
int nft_sock_take_fd(void);

/* Parse "P" or "P1-P2" (1..65535, P1<=P2) and "tcp"/"udp" (EINVAL). */
int nft_port_range_parse(const char *s, uint16_t *first, uint16_t *last, pk_error **err);
int nft_proto_parse(const char *s, int *proto, pk_error **err);
/* The messages of the two above do not name the argument (the CLI and the
 * hook's "podnet.publish" spell it differently): callers error_wrap() it,
 * e.g. "--host-port: invalid port "0" (expected 1-65535 or P1-P2)". */

/* "A.B.C.D" and "A.B.C.D:PORT"; `what` ("--to", "--host-ip") starts the
 * error message. */
int nft_ipv4_parse(const char *s, const char *what, struct in_addr *out, pk_error **err);
int nft_addr_port_parse(const char *s, const char *what, struct in_addr *ip, uint16_t *port,
                        pk_error **err);

/* {"host_ip","host_port","host_port_last","proto","to_ip","to_port",
 * "to_port_last","id"} as a new json_t * (void * keeps jansson out of this
 * header); podnet forward list --json and status print it. */
void *nft_forward_json(const struct nft_forward *fw);

/* "0.0.0.0:8000-8010/tcp" into buf (64 bytes is enough). */
const char *nft_forward_host_str(const struct nft_forward *fw, char *buf, size_t len);

#endif
