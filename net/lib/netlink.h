/* SPDX-License-Identifier: MIT
 * Links, addresses and routes over rtnetlink (libnl-route-3).  A command
 * opens one socket per network namespace it touches and passes it to every
 * call; libnl's negative NLE_* codes are turned into errno + a message that
 * names the object. */
#ifndef PODNET_NETLINK_H
#define PODNET_NETLINK_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

#include "error.h"

struct nl_sock;

/* A connected NETLINK_ROUTE socket in the calling thread's netns. */
int nlsock_open(struct nl_sock **out, pk_error **err);
/* The same, but in the netns behind nsfd: the thread enters it, opens the
 * socket (which stays bound to that netns) and comes back. */
int nlsock_open_in(int nsfd, struct nl_sock **out, pk_error **err);
void nlsock_close(struct nl_sock **sk);
#define cleanup_nlsock __attribute__((cleanup(nlsock_close)))

/* ifindex of `name`, 0 when there is no such link, <0 on other errors. */
int nl_link_index(struct nl_sock *sk, const char *name, pk_error **err);
/* kind ("bridge", "veth", "" for none) of link `name` into buf. */
int nl_link_kind(struct nl_sock *sk, const char *name, char *buf, size_t len, pk_error **err);
/* Delete link `name`; a missing link is fine when missing_ok. */
int nl_link_del(struct nl_sock *sk, const char *name, bool missing_ok, pk_error **err);

/* Take link `name` out of use at once: its address addr/len removed (0 =
 * none), down (a veth peer loses carrier) and renamed to a throw-away name,
 * so that `name` is free again.  1 when done, 0 when there is no such
 * link. */
int nl_link_retire(struct nl_sock *sk, const char *name, struct in_addr addr, int len,
                   pk_error **err);
/* Work the caller need not wait for, done by a grandchild process
 * (reparented to init, so nobody waits for it and no zombie stays):
 * deleting link ifindex (> 0; unregistering a netdev blocks in the kernel
 * for 15-40 ms) and the final release of hold_fd (>= 0; e.g.
 * nft_sock_take_fd()'s socket, whose release waits for an RCU grace
 * period).  Takes hold_fd: the caller's copy is closed before this
 * returns, and the grandchild keeps its own until then.  Without a process
 * to spare it does the work itself. */
void nl_background(int ifindex, int hold_fd);
/* nl_background(ifindex, -1) */
void nl_link_del_index_async(int ifindex);

/* Hairpin mode (IFLA_BRPORT_MODE) on bridge port `name`: the bridge may
 * send a frame back out of the port it came in by.  A container reaching
 * its own published port through the host's address needs it when
 * br_netfilter is loaded: the DNATed packet returns to the same port. */
int nl_brport_hairpin_set(struct nl_sock *sk, const char *name, pk_error **err);

/* Bridge `name` with mtu (0 = default) and the address gw/len, up. */
int nl_bridge_create(struct nl_sock *sk, const char *name, unsigned mtu, struct in_addr gw, int len,
                     pk_error **err);

/* The first route of the main table (other than a default route) whose
 * destination overlaps net/len, described as "10.1.0.0/16 dev eth0" in buf;
 * 1 when found, 0 when none. */
int nl_route_overlap_find(struct nl_sock *sk, struct in_addr net, int len, char *buf, size_t buflen,
                          pk_error **err);

/* One RTM_NEWLINK: a veth whose host end `host` is enslaved to master_index
 * and up, and whose peer is created directly in the netns nsfd as `peer`,
 * up, with mac (NULL = random) and mtu (0 = default) on both ends. */
int nl_veth_create(struct nl_sock *sk, const char *host, const char *peer, int nsfd,
                   int master_index, unsigned mtu, const uint8_t *mac, pk_error **err);

/* Inside the container's netns (nssk): lo up, addr/len on ifname, default
 * route via gw; the peer's MAC is read back into mac_out. */
int nl_netns_configure(struct nl_sock *nssk, const char *ifname, struct in_addr addr, int len,
                       struct in_addr gw, uint8_t mac_out[6], pk_error **err);

#endif
