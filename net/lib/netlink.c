/* SPDX-License-Identifier: MIT */
#include "netlink.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/route.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cidr.h"
#include "cleanup.h"
#include "util.h"

/* libnl folds errno into its own codes; unfold them so callers can test
 * errno (EEXIST, ENODEV) and messages read like the kernel's. */
static int nle_errno(int nle) {
  switch (nle < 0 ? -nle : nle) {
  case NLE_EXIST:
    return EEXIST;
  case NLE_OBJ_NOTFOUND:
    return ENOENT;
  case NLE_NODEV:
    return ENODEV;
  case NLE_PERM:
    return EPERM;
  case NLE_NOACCESS:
    return EACCES;
  case NLE_BUSY:
    return EBUSY;
  case NLE_RANGE:
    return ERANGE;
  case NLE_NOMEM:
    return ENOMEM;
  case NLE_OPNOTSUPP:
    return EOPNOTSUPP;
  case NLE_AGAIN:
    return EAGAIN;
  case NLE_INTR:
    return EINTR;
  case NLE_NOADDR:
    return EADDRNOTAVAIL;
  default:
    return EINVAL;
  }
}

static int nl_fail(pk_error **err, int nle, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int nl_fail(pk_error **err, int nle, const char *fmt, ...) {
  char what[256];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(what, sizeof(what), fmt, ap);
  va_end(ap);
  int e = nle_errno(nle);
  /* strerror reads better than libnl's texts ("Object exists"). */
  return error_set(err, e, "%s", what);
}

static void link_putp(struct rtnl_link **l) {
  if (*l)
    rtnl_link_put(*l);
}
static void addr_putp(struct nl_addr **a) {
  if (*a)
    nl_addr_put(*a);
}
static void rtaddr_putp(struct rtnl_addr **a) {
  if (*a)
    rtnl_addr_put(*a);
}
static void route_putp(struct rtnl_route **r) {
  if (*r)
    rtnl_route_put(*r);
}
static void cache_freep(struct nl_cache **c) {
  if (*c)
    nl_cache_free(*c);
}
#define cleanup_link __attribute__((cleanup(link_putp)))
#define cleanup_nladdr __attribute__((cleanup(addr_putp)))
#define cleanup_rtaddr __attribute__((cleanup(rtaddr_putp)))
#define cleanup_route __attribute__((cleanup(route_putp)))
#define cleanup_cache __attribute__((cleanup(cache_freep)))

int nlsock_open(struct nl_sock **out, pk_error **err) {
  struct nl_sock *sk = nl_socket_alloc();
  int rc;
  if (sk == NULL)
    return error_set(err, ENOMEM, "netlink socket");
  rc = nl_connect(sk, NETLINK_ROUTE);
  if (rc < 0) {
    nl_socket_free(sk);
    return nl_fail(err, rc, "netlink socket");
  }
  *out = sk;
  return 0;
}

int nlsock_open_in(int nsfd, struct nl_sock **out, pk_error **err) {
  cleanup_close int orig = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  int rc;

  if (orig < 0)
    return error_set(err, errno, "open /proc/thread-self/ns/net");
  if (setns(nsfd, CLONE_NEWNET) < 0)
    return error_set(err, errno, "enter the network namespace");
  rc = nlsock_open(out, err);
  /* Coming back can only fail if the kernel lost our own netns; nothing
   * after this would be safe in the wrong netns, so treat it as fatal. */
  if (setns(orig, CLONE_NEWNET) < 0) {
    if (rc == 0)
      nlsock_close(out);
    error_free(err);
    return error_set(err, errno, "return to the original network namespace");
  }
  return rc;
}

void nlsock_close(struct nl_sock **sk) {
  if (*sk) {
    nl_socket_free(*sk);
    *sk = NULL;
  }
}

static int link_get(struct nl_sock *sk, const char *name, struct rtnl_link **out, pk_error **err) {
  int rc = rtnl_link_get_kernel(sk, 0, name, out);
  if (rc == -NLE_NODEV || rc == -NLE_OBJ_NOTFOUND) {
    *out = NULL;
    return 0;
  }
  if (rc < 0)
    return nl_fail(err, rc, "get link %s", name);
  return 1;
}

int nl_link_index(struct nl_sock *sk, const char *name, pk_error **err) {
  cleanup_link struct rtnl_link *l = NULL;
  int rc = link_get(sk, name, &l, err);
  if (rc <= 0)
    return rc;
  return rtnl_link_get_ifindex(l);
}

int nl_link_kind(struct nl_sock *sk, const char *name, char *buf, size_t len, pk_error **err) {
  cleanup_link struct rtnl_link *l = NULL;
  int rc = link_get(sk, name, &l, err);
  if (rc < 0)
    return rc;
  if (rc == 0)
    return error_set_code(err, ENODEV, "link %s does not exist", name);
  const char *t = rtnl_link_get_type(l);
  snprintf(buf, len, "%s", t ? t : "");
  return 0;
}

int nl_link_del(struct nl_sock *sk, const char *name, bool missing_ok, pk_error **err) {
  cleanup_link struct rtnl_link *l = rtnl_link_alloc();
  int rc;
  if (l == NULL)
    return error_set(err, ENOMEM, "delete link %s", name);
  rtnl_link_set_name(l, name);
  rc = rtnl_link_delete(sk, l);
  if (rc == -NLE_NODEV || rc == -NLE_OBJ_NOTFOUND) {
    if (missing_ok)
      return 0;
    return error_set_code(err, ENODEV, "link %s does not exist", name);
  }
  if (rc < 0)
    return nl_fail(err, rc, "delete link %s", name);
  return 0;
}

int nl_link_retire(struct nl_sock *sk, const char *name, struct in_addr addr, int len,
                   pk_error **err) {
  cleanup_link struct rtnl_link *l = NULL;
  cleanup_link struct rtnl_link *down = rtnl_link_alloc();
  cleanup_link struct rtnl_link *ren = rtnl_link_alloc();
  cleanup_rtaddr struct rtnl_addr *ra = rtnl_addr_alloc();
  cleanup_nladdr struct nl_addr *local = nl_addr_build(AF_INET, &addr, 4);
  char tmp[IF_NAMESIZE], buf[32];
  uint32_t r;
  int rc;

  if (down == NULL || ren == NULL || ra == NULL || local == NULL)
    return error_set(err, ENOMEM, "retire link %s", name);
  rc = link_get(sk, name, &l, err);
  if (rc <= 0)
    return rc;
  /* A link that is down keeps its IPv4 address: remove it, so that the
   * address is nobody's once detach returns. */
  if (addr.s_addr) {
    nl_addr_set_prefixlen(local, len);
    rtnl_addr_set_ifindex(ra, rtnl_link_get_ifindex(l));
    rtnl_addr_set_family(ra, AF_INET);
    rtnl_addr_set_local(ra, local);
    rc = rtnl_addr_delete(sk, ra, 0);
    if (rc < 0 && rc != -NLE_NOADDR && rc != -NLE_OBJ_NOTFOUND && rc != -NLE_NODEV)
      return nl_fail(err, rc, "remove address %s from %s", cidr_str(addr, len, buf), name);
  }
  rtnl_link_unset_flags(down, IFF_UP);
  rc = rtnl_link_change(sk, l, down, 0);
  if (rc == -NLE_NODEV || rc == -NLE_OBJ_NOTFOUND)
    return 0;
  if (rc < 0)
    return nl_fail(err, rc, "set link %s down", name);
  /* only a link that is down can be renamed */
  if (getrandom(&r, sizeof(r), 0) != sizeof(r))
    r = (uint32_t)getpid() ^ (uint32_t)rtnl_link_get_ifindex(l);
  snprintf(tmp, sizeof(tmp), "vz%08x", r);
  rtnl_link_set_name(ren, tmp);
  rc = rtnl_link_change(sk, l, ren, 0);
  if (rc == -NLE_NODEV || rc == -NLE_OBJ_NOTFOUND)
    return 0;
  if (rc < 0)
    return nl_fail(err, rc, "rename link %s to %s", name, tmp);
  return 1;
}

static void link_del_index(int ifindex) {
  struct nl_sock *sk = NULL;
  struct rtnl_link *l;
  if (nlsock_open(&sk, NULL) < 0)
    return;
  l = rtnl_link_alloc();
  if (l) {
    rtnl_link_set_ifindex(l, ifindex);
    rtnl_link_delete(sk, l);
    rtnl_link_put(l);
  }
  nlsock_close(&sk);
}

static void fds_close_except(int a, int b) {
  int lo = a < b ? a : b, hi = a < b ? b : a;
  if (lo < 3) /* -1 (none) or a std stream: only hi matters */
    lo = hi;
  if (lo < 3) {
    close_range(3, ~0U, 0);
    return;
  }
  close_range(3, (unsigned)lo - 1, 0);
  if (hi > lo + 1)
    close_range((unsigned)lo + 1, (unsigned)hi - 1, 0);
  close_range((unsigned)hi + 1, ~0U, 0);
}

/* The grandchild: holds hold_fd until the caller has dropped its copy (EOF
 * on pr), so that its own exit makes the socket's final release. */
static __attribute__((noreturn)) void background_run(int ifindex, int hold_fd, int pr) {
  int fd = open("/dev/null", O_RDWR | O_CLOEXEC);
  char c;
  /* Nobody waits for this process: it must not keep the caller's stdout
   * pipe, a lock or a test harness's fd open. */
  if (fd >= 0) {
    dup2(fd, 0);
    dup2(fd, 1);
    dup2(fd, 2);
  }
  fds_close_except(hold_fd, pr);
  if (ifindex > 0)
    link_del_index(ifindex);
  if (pr >= 0)
    while (read(pr, &c, 1) < 0 && errno == EINTR)
      ;
  if (hold_fd >= 0) {
    /* The release of a netfilter socket holds nftables' commit mutex while
     * it waits for the pending cleanup of every recent deletion (an RCU
     * grace period): meanwhile every other nftables commit on the host
     * waits.  Releasing on a common 100 ms tick makes the holders of a
     * burst (a loop of detaches) pay that wait once together instead of
     * once each, between the commits of the commands that follow. */
    struct timespec t;
    if (clock_gettime(CLOCK_MONOTONIC, &t) == 0) {
      t.tv_nsec = (t.tv_nsec / 100000000 + 1) * 100000000L;
      if (t.tv_nsec >= 1000000000L) {
        t.tv_sec++;
        t.tv_nsec -= 1000000000L;
      }
      while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &t, NULL) == EINTR)
        ;
    }
  }
  _exit(0);
}

void nl_background(int ifindex, int hold_fd) {
  int p[2] = {-1, -1};
  pid_t pid;

  if (ifindex <= 0 && hold_fd < 0)
    return;
  if (hold_fd >= 0 && pipe2(p, O_CLOEXEC) < 0)
    p[0] = p[1] = -1;
  pid = fork();
  if (pid < 0) { /* no process to spare: pay the waits ourselves */
    if (ifindex > 0)
      link_del_index(ifindex);
  } else if (pid == 0) {
    /* The grandchild is reparented to init, so nobody waits for it. */
    pid_t g = fork();
    if (g == 0) {
      if (p[1] >= 0)
        close(p[1]);
      background_run(ifindex, hold_fd, p[0]);
    }
    if (g < 0 && ifindex > 0) /* the caller waits for us: no holding here */
      link_del_index(ifindex);
    _exit(0);
  } else {
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
      ;
  }
  /* Not the last reference while the grandchild holds one. */
  if (hold_fd >= 0)
    close(hold_fd);
  if (p[1] >= 0)
    close(p[1]);
  if (p[0] >= 0)
    close(p[0]);
}

void nl_link_del_index_async(int ifindex) {
  nl_background(ifindex, -1);
}

int nl_brport_hairpin_set(struct nl_sock *sk, const char *name, pk_error **err) {
  struct ifinfomsg ifi = {.ifi_family = AF_BRIDGE};
  struct nl_msg *msg;
  struct nlattr *pi;
  int rc, idx;

  /* sysfs first: it needs no ifindex.  Asking the kernel for the new
   * link's ifindex (RTM_GETLINK) would make it process the link's pending
   * carrier event right here (linkwatch_sync_dev), and for a port without
   * carrier IPv6 then walks the host's whole IPv6 routing table, which holds
   * routes per veth: a cost growing with the number of containers that the
   * linkwatch worker otherwise pays later, off our path. */
  {
    char path[64 + IF_NAMESIZE];
    int fd;
    snprintf(path, sizeof(path), "/sys/class/net/%s/brport/hairpin_mode", name);
    fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd >= 0) {
      rc = write_all(fd, "1\n", 2);
      int e = errno;
      close(fd);
      if (rc == 0)
        return 0;
      return error_set(err, e, "set hairpin mode on bridge port %s (%s)", name, path);
    }
    /* no sysfs of this netns mounted: netlink */
  }
  idx = nl_link_index(sk, name, err);
  if (idx < 0)
    return -1;
  if (idx == 0)
    return error_set_code(err, ENODEV, "set hairpin mode on %s: no such link", name);
  /* The bridge's own RTM_SETLINK (AF_BRIDGE, nested IFLA_PROTINFO), as
   * `bridge link set dev NAME hairpin on` sends it.  Not the slave data of
   * an RTM_NEWLINK (`ip link set NAME type bridge_slave hairpin on`): that
   * path also raises NETDEV_CHANGE, with the IPv6 walk above. */
  ifi.ifi_index = idx;
  msg = nlmsg_alloc_simple(RTM_SETLINK, 0);
  if (msg == NULL)
    return error_set(err, ENOMEM, "set hairpin mode on %s", name);
  if (nlmsg_append(msg, &ifi, sizeof(ifi), NLMSG_ALIGNTO) < 0 ||
      (pi = nla_nest_start(msg, IFLA_PROTINFO | NLA_F_NESTED)) == NULL ||
      nla_put_u8(msg, IFLA_BRPORT_MODE, 1) < 0) {
    nlmsg_free(msg);
    return error_set(err, ENOMEM, "set hairpin mode on %s", name);
  }
  nla_nest_end(msg, pi);
  rc = nl_send_sync(sk, msg); /* frees msg */
  if (rc < 0)
    return nl_fail(err, rc, "set hairpin mode on bridge port %s", name);
  return 0;
}

static int addr_add(struct nl_sock *sk, int ifindex, const char *ifname, struct in_addr a, int len,
                    pk_error **err) {
  cleanup_rtaddr struct rtnl_addr *ra = rtnl_addr_alloc();
  cleanup_nladdr struct nl_addr *local = nl_addr_build(AF_INET, &a, 4);
  char buf[32];
  int rc;

  if (ra == NULL || local == NULL)
    return error_set(err, ENOMEM, "add address");
  nl_addr_set_prefixlen(local, len);
  rtnl_addr_set_ifindex(ra, ifindex);
  rtnl_addr_set_family(ra, AF_INET);
  rtnl_addr_set_local(ra, local);
  if (len < 31) {
    struct in_addr b = cidr_broadcast(a, len);
    cleanup_nladdr struct nl_addr *bc = nl_addr_build(AF_INET, &b, 4);
    if (bc)
      rtnl_addr_set_broadcast(ra, bc);
  }
  rc = rtnl_addr_add(sk, ra, NLM_F_CREATE | NLM_F_EXCL);
  if (rc < 0)
    return nl_fail(err, rc, "add address %s to %s", cidr_str(a, len, buf), ifname);
  return 0;
}

int nl_bridge_create(struct nl_sock *sk, const char *name, unsigned mtu, struct in_addr gw, int len,
                     pk_error **err) {
  cleanup_link struct rtnl_link *l = rtnl_link_alloc();
  int rc, idx;

  if (l == NULL)
    return error_set(err, ENOMEM, "create bridge %s", name);
  rtnl_link_set_name(l, name);
  rc = rtnl_link_set_type(l, "bridge");
  if (rc < 0)
    return nl_fail(err, rc, "create bridge %s", name);
  if (mtu)
    rtnl_link_set_mtu(l, mtu);
  rtnl_link_set_flags(l, IFF_UP);
  rc = rtnl_link_add(sk, l, NLM_F_CREATE | NLM_F_EXCL);
  if (rc == -NLE_EXIST)
    return error_set_code(err, EEXIST, "create bridge %s: a link of that name already exists",
                          name);
  if (rc < 0)
    return nl_fail(err, rc, "create bridge %s", name);
  idx = nl_link_index(sk, name, err);
  if (idx <= 0) {
    if (idx == 0)
      error_set_code(err, ENODEV, "bridge %s vanished after its creation", name);
    nl_link_del(sk, name, true, NULL);
    return -1;
  }
  if (addr_add(sk, idx, name, gw, len, err) < 0) {
    nl_link_del(sk, name, true, NULL);
    return -1;
  }
  return 0;
}

struct overlap_ctx {
  struct in_addr net;
  int len;
  struct nl_sock *sk;
  char *buf;
  size_t buflen;
  int found;
};

static void route_check(struct nl_object *obj, void *arg) {
  struct overlap_ctx *c = arg;
  struct rtnl_route *r = (struct rtnl_route *)obj;
  struct nl_addr *dst = rtnl_route_get_dst(r);
  struct in_addr d;
  char nbuf[32], ifname[IF_NAMESIZE] = "";
  int plen;

  if (c->found || dst == NULL || rtnl_route_get_table(r) != RT_TABLE_MAIN ||
      rtnl_route_get_family(r) != AF_INET)
    return;
  plen = nl_addr_get_prefixlen(dst);
  if (plen == 0 || nl_addr_get_len(dst) != 4)
    return; /* the default route overlaps everything: not a conflict */
  memcpy(&d, nl_addr_get_binary_addr(dst), 4);
  if (!cidr_overlap(d, plen, c->net, c->len))
    return;
  if (rtnl_route_get_nnexthops(r) > 0) {
    struct rtnl_nexthop *nh = rtnl_route_nexthop_n(r, 0);
    if (nh)
      if_indextoname(rtnl_route_nh_get_ifindex(nh), ifname);
  }
  snprintf(c->buf, c->buflen, "%s%s%s", cidr_str(d, plen, nbuf), ifname[0] ? " dev " : "", ifname);
  c->found = 1;
}

int nl_route_overlap_find(struct nl_sock *sk, struct in_addr net, int len, char *buf, size_t buflen,
                          pk_error **err) {
  cleanup_cache struct nl_cache *cache = NULL;
  struct overlap_ctx c = {net, len, sk, buf, buflen, 0};
  int rc = rtnl_route_alloc_cache(sk, AF_INET, 0, &cache);
  if (rc < 0)
    return nl_fail(err, rc, "list routes");
  nl_cache_foreach(cache, route_check, &c);
  return c.found;
}

int nl_veth_create(struct nl_sock *sk, const char *host, const char *peer, int nsfd,
                   int master_index, unsigned mtu, const uint8_t *mac, pk_error **err) {
  cleanup_link struct rtnl_link *l = rtnl_link_veth_alloc();
  struct rtnl_link *p;
  int rc;

  if (l == NULL)
    return error_set(err, ENOMEM, "create veth %s", host);
  p = rtnl_link_veth_get_peer(l);
  rtnl_link_set_name(l, host);
  rtnl_link_set_master(l, master_index);
  rtnl_link_set_flags(l, IFF_UP);
  rtnl_link_set_name(p, peer);
  /* The peer is born inside the target netns: moving it there afterwards
   * costs a netdev unregister/register cycle (15-21 ms here). */
  rtnl_link_set_ns_fd(p, nsfd);
  /* Not IFF_UP on the peer here: veth_open() of a half-registered pair
   * fails with ENOTCONN; the peer comes up in nl_netns_configure. */
  if (mtu) {
    rtnl_link_set_mtu(l, mtu);
    rtnl_link_set_mtu(p, mtu);
  }
  if (mac) {
    cleanup_nladdr struct nl_addr *a = nl_addr_build(AF_LLC, mac, 6);
    if (a == NULL)
      return error_set(err, ENOMEM, "create veth %s", host);
    rtnl_link_set_addr(p, a);
  }
  rc = rtnl_link_add(sk, l, NLM_F_CREATE | NLM_F_EXCL);
  rtnl_link_put(p);
  if (rc == -NLE_EXIST)
    return error_set_code(err, EEXIST,
                          "create veth %s (peer %s): %s exists on the host or %s in the "
                          "network namespace",
                          host, peer, host, peer);
  if (rc < 0)
    return nl_fail(err, rc, "create veth %s (peer %s)", host, peer);
  return 0;
}

int nl_netns_configure(struct nl_sock *nssk, const char *ifname, struct in_addr addr, int len,
                       struct in_addr gw, uint8_t mac_out[6], pk_error **err) {
  cleanup_link struct rtnl_link *lo = rtnl_link_alloc();
  cleanup_link struct rtnl_link *peer = NULL;
  cleanup_route struct rtnl_route *rt = rtnl_route_alloc();
  struct rtnl_nexthop *nh;
  struct in_addr any = {0};
  int rc, idx;

  if (lo == NULL || rt == NULL)
    return error_set(err, ENOMEM, "configure %s", ifname);
  rc = link_get(nssk, ifname, &peer, err);
  if (rc < 0)
    return rc;
  if (rc == 0)
    return error_set_code(err, ENODEV, "%s did not appear in the network namespace", ifname);
  idx = rtnl_link_get_ifindex(peer);
  if (mac_out) {
    struct nl_addr *a = rtnl_link_get_addr(peer);
    if (a && nl_addr_get_len(a) == 6)
      memcpy(mac_out, nl_addr_get_binary_addr(a), 6);
  }

  /* lo is ifindex 1 in every netns. */
  {
    cleanup_link struct rtnl_link *lo_orig = rtnl_link_alloc();
    cleanup_link struct rtnl_link *up = rtnl_link_alloc();
    if (lo_orig == NULL || up == NULL)
      return error_set(err, ENOMEM, "configure %s", ifname);
    rtnl_link_set_ifindex(lo_orig, 1);
    rtnl_link_set_flags(lo, IFF_UP);
    rc = rtnl_link_change(nssk, lo_orig, lo, 0);
    if (rc < 0)
      return nl_fail(err, rc, "set lo up");
    rtnl_link_set_flags(up, IFF_UP);
    rc = rtnl_link_change(nssk, peer, up, 0);
    if (rc < 0)
      return nl_fail(err, rc, "set %s up", ifname);
  }
  if (addr_add(nssk, idx, ifname, addr, len, err) < 0)
    return -1;

  {
    cleanup_nladdr struct nl_addr *dst = nl_addr_build(AF_INET, &any, 4);
    cleanup_nladdr struct nl_addr *gwa = nl_addr_build(AF_INET, &gw, 4);
    char gbuf[INET_ADDRSTRLEN];
    if (dst == NULL || gwa == NULL)
      return error_set(err, ENOMEM, "add default route");
    nl_addr_set_prefixlen(dst, 0);
    rtnl_route_set_family(rt, AF_INET);
    rtnl_route_set_table(rt, RT_TABLE_MAIN);
    rtnl_route_set_protocol(rt, RTPROT_BOOT);
    rtnl_route_set_scope(rt, RT_SCOPE_UNIVERSE);
    rtnl_route_set_type(rt, RTN_UNICAST);
    rtnl_route_set_dst(rt, dst);
    nh = rtnl_route_nh_alloc();
    if (nh == NULL)
      return error_set(err, ENOMEM, "add default route");
    rtnl_route_nh_set_ifindex(nh, idx);
    rtnl_route_nh_set_gateway(nh, gwa);
    rtnl_route_add_nexthop(rt, nh);
    rc = rtnl_route_add(nssk, rt, NLM_F_CREATE | NLM_F_EXCL);
    if (rc < 0)
      return nl_fail(err, rc, "add default route via %s dev %s", ip_str(gw, gbuf), ifname);
  }
  return 0;
}
