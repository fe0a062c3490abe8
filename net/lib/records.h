/* SPDX-License-Identifier: MIT
 * What podnet owns, recorded under the state dir (ctx->state_dir):
 *   bridges/NAME.json   a bridge made by `bridge add` (subnet for IPAM)
 *   leases/ID.json      an attachment: address, veth, netns identity
 *   ipam/BRIDGE/...     the address reservations (see ipam.h)
 * Records are written with file_write_atomic, so readers never see half. */
#ifndef PODNET_RECORDS_H
#define PODNET_RECORDS_H

#include <limits.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"
#include "podnet.h"
#include "util.h"

struct bridge_rec {
  char name[IF_NAMESIZE];
  struct in_addr net; /* network address */
  int len;
  struct in_addr gw;
  unsigned mtu; /* 0 = kernel default */
  bool masquerade;
};

struct lease {
  char id[ID_MAX_LEN + 1];
  char bridge[IF_NAMESIZE];
  char ifname[IF_NAMESIZE];
  char host_veth[IF_NAMESIZE];
  struct in_addr ip;
  int len;
  struct in_addr gw;
  uint8_t mac[6];
  char netns[PATH_MAX];      /* name, path or /proc/PID/ns/net as given */
  char netns_path[PATH_MAX]; /* file whose inode identifies the netns, "" for --pid */
  unsigned long long ns_dev, ns_ino;
  pid_t pid; /* --pid / hook: the process whose life bounds the lease */
  unsigned long long pid_start;
  unsigned mtu;
};

/* Bridge names: valid Linux link names (1..15 chars, no '/', ':' or space). */
int bridge_name_check(const char *name, pk_error **err);

int bridge_rec_read(const struct podnet_ctx *ctx, const char *name, struct bridge_rec *out,
                    pk_error **err); /* ENOENT: "bridge NAME does not exist" */
int bridge_rec_write(const struct podnet_ctx *ctx, const struct bridge_rec *rec, pk_error **err);
int bridge_rec_remove(const struct podnet_ctx *ctx, const char *name, pk_error **err);
/* All records, sorted by name (caller frees *out). */
int bridge_rec_list(const struct podnet_ctx *ctx, struct bridge_rec **out, size_t *n,
                    pk_error **err);

/* Claim `id` by creating its lease file exclusively (EEXIST: "ID is
 * already attached"); the full record follows with lease_write. */
int lease_claim(const struct podnet_ctx *ctx, const char *id, pk_error **err);
/* The mode of a claim flocked by its attach (see lease_claim). */
#define LEASE_CLAIM_MODE 0600
int lease_write(const struct podnet_ctx *ctx, const struct lease *l, pk_error **err);
int lease_read(const struct podnet_ctx *ctx, const char *id, struct lease *out, pk_error **err);
int lease_remove(const struct podnet_ctx *ctx, const char *id, pk_error **err);
/* All complete leases (claims without a record yet are skipped). */
int lease_list(const struct podnet_ctx *ctx, struct lease **out, size_t *n, pk_error **err);

/* JSON views shared by the CLI (json_t *, caller decrefs). */
void *bridge_rec_json(const struct bridge_rec *b);
void *lease_json(const struct lease *l);

#endif
