/* SPDX-License-Identifier: MIT
 * Address leases of a bridge's subnet: one file per address,
 * STATE/ipam/BRIDGE/A.B.C.D holding the owner ID, created with O_EXCL so an
 * address can never be handed out twice.  Automatic allocation also holds
 * an flock on STATE/ipam/BRIDGE/.lock and resumes after the last address it
 * gave (kept in .lock), so concurrent attaches neither collide nor rescan the whole
 * subnet. */
#ifndef PODNET_IPAM_H
#define PODNET_IPAM_H

#include <netinet/in.h>

#include "records.h"

/* want: NULL = the next free address; else exactly that one ("address X is
 * outside the subnet S of bridge B", "address X is already leased to ID"). */
int ipam_reserve(const struct podnet_ctx *ctx, const struct bridge_rec *b,
                 const struct in_addr *want, const char *id, struct in_addr *out, pk_error **err);
/* Frees addr if `id` holds it (an address re-leased to someone else stays). */
int ipam_release(const struct podnet_ctx *ctx, const char *bridge, struct in_addr addr,
                 const char *id, pk_error **err);
/* Removes the bridge's whole ipam dir (bridge del). */
int ipam_bridge_remove(const struct podnet_ctx *ctx, const char *bridge, pk_error **err);

#endif
