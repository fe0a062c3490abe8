/* SPDX-License-Identifier: MIT
 * The operations behind `podnet bridge|attach|detach|gc`, as a library so
 * that `pod` runs them in-process.  Each undoes what it made, in reverse
 * order, when a later step fails: no half veth, lease or rule stays. */
#ifndef PODNET_ATTACH_H
#define PODNET_ATTACH_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

#include "error.h"
#include "netns.h"
#include "nft.h"
#include "podnet.h"
#include "records.h"

struct bridge_opts {
  const char *name;
  struct in_addr net; /* any address inside the subnet */
  int len;
  bool has_gw;
  struct in_addr gw; /* default: first host */
  unsigned mtu;      /* 0 = default */
  bool masquerade;
};
int podnet_bridge_add(const struct podnet_ctx *ctx, const struct bridge_opts *o,
                      struct bridge_rec *out, pk_error **err);
/* Refuses while attachments exist on it. */
int podnet_bridge_del(const struct podnet_ctx *ctx, const char *name, pk_error **err);

struct attach_opts {
  const char *bridge;
  struct netns_ref ns;
  const char *ifname; /* NULL = eth0 */
  bool has_ip;
  struct in_addr ip; /* prefix length is the bridge's */
  int ip_len;        /* as written in --ip A/LEN, -1 = not written */
  bool has_mac;
  uint8_t mac[6];
  unsigned mtu;   /* 0 = the bridge's */
  const char *id; /* NULL: netns name, "pid<PID>" or "ns<inode>" */
};
int podnet_attach(const struct podnet_ctx *ctx, const struct attach_opts *o, struct lease *out,
                  pk_error **err);

/* "[HOSTIP:]P[-P2]:PORT[/tcp|udp]" items, comma-separated, appended to
 * fws (at most max in all; *n counts them).  The same syntax for `podnet
 * attach --publish`, the hook's --publish and the podnet.publish
 * annotation. */
#define PUBLISH_MAX 64
int publish_list_parse(const char *list, struct nft_forward *fws, size_t max, size_t *n,
                       pk_error **err);

/* podnet_attach, then the forwards (to_ip and id filled from the lease):
 * one process does both, and a forward that fails undoes the attach. */
int podnet_attach_publish(const struct podnet_ctx *ctx, const struct attach_opts *o,
                          struct nft_forward *fws, size_t nfw, struct lease *out, pk_error **err);

/* Removes the forwards of that id, the veth, the address and the lease.
 * With async_del the address is taken off the container's interface before
 * this returns and the veth's deletion (15-40 ms inside the kernel) finishes
 * in a grandchild process; without, the veth is gone on return. */
int podnet_detach_id(const struct podnet_ctx *ctx, const char *id, bool async_del, pk_error **err);
/* The lease whose netns is `ref` (and bridge, if not NULL): its id. */
int podnet_lease_find(const struct podnet_ctx *ctx, const struct netns_ref *ref, const char *bridge,
                      char *id, size_t idlen, pk_error **err);

/* true when the netns/process a lease was made for is still there. */
bool podnet_lease_alive(const struct lease *l);
/* Detaches every lease that is not alive; ids go to *removed (caller frees
 * the strv), their count to *n. */
int podnet_gc(const struct podnet_ctx *ctx, char ***removed, size_t *n, pk_error **err);

/* "vp" + 8 hex digits of a hash of id (and salt, 0 = none): <= 15 chars. */
void podnet_host_veth_name(const char *id, unsigned salt, char buf[16]);

#endif
