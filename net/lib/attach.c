/* SPDX-License-Identifier: MIT */
#include "attach.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cidr.h"
#include "cleanup.h"
#include "ipam.h"
#include "netlink.h"
#include "nft.h"
#include "util.h"

static int ifname_check(const char *name, pk_error **err) {
  size_t n = strlen(name);
  if (n == 0 || n >= IF_NAMESIZE || strpbrk(name, "/: \t\n") || !strcmp(name, ".") ||
      !strcmp(name, ".."))
    return error_set_code(err, EINVAL,
                          "invalid interface name \"%s\": expected 1..15 characters, no '/', "
                          "':' or spaces",
                          name);
  return 0;
}

static int ip_forward_enable(pk_error **err) {
  int fd = open("/proc/sys/net/ipv4/ip_forward", O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return error_set(err, errno, "open /proc/sys/net/ipv4/ip_forward");
  if (write_all(fd, "1\n", 2) < 0) {
    int e = errno;
    close(fd);
    return error_set(err, e, "enable net.ipv4.ip_forward");
  }
  close(fd);
  return 0;
}

int podnet_bridge_add(const struct podnet_ctx *ctx, const struct bridge_opts *o,
                      struct bridge_rec *out, pk_error **err) {
  cleanup_nlsock struct nl_sock *sk = NULL;
  struct bridge_rec b = {0};
  char sub[32], gw[INET_ADDRSTRLEN], route[128], pending[PATH_MAX];
  cleanup_close int pfd = -1;
  pk_error *e = NULL;
  int rc;

  if (bridge_name_check(o->name, err) < 0)
    return -1;
  snprintf(b.name, sizeof(b.name), "%s", o->name);
  b.net = cidr_network(o->net, o->len);
  b.len = o->len;
  b.mtu = o->mtu;
  b.masquerade = o->masquerade;
  cidr_str(b.net, b.len, sub);
  if (o->len > 30 || o->len < 8)
    return error_set_code(err, EINVAL, "invalid subnet %s: prefix length must be 8..30", sub);
  b.gw = o->has_gw ? o->gw : cidr_host(b.net, b.len, 1);
  ip_str(b.gw, gw);
  if (!cidr_contains(b.net, b.len, b.gw) || b.gw.s_addr == b.net.s_addr ||
      b.gw.s_addr == cidr_broadcast(b.net, b.len).s_addr)
    return error_set_code(err, EINVAL, "invalid gateway %s: not a host address of subnet %s", gw,
                          sub);

  if (bridge_rec_read(ctx, b.name, out, &e) == 0)
    return error_set_code(err, EEXIST, "bridge %s already exists (subnet %s)", b.name,
                          cidr_str(out->net, out->len, route));
  error_free(&e);
  if (nlsock_open(&sk, err) < 0)
    return -1;
  rc = nl_link_index(sk, b.name, err);
  if (rc < 0)
    return -1;
  if (rc > 0)
    return error_set_code(err, EEXIST, "a link named %s already exists", b.name);
  rc = nl_route_overlap_find(sk, b.net, b.len, route, sizeof(route), err);
  if (rc < 0)
    return -1;
  if (rc > 0)
    return error_set_code(err, EEXIST, "subnet %s overlaps the existing route %s", sub, route);

  /* bridges/NAME.pending, flocked until the record is written, exists
   * before the link: gc undoes what an add killed in between made. */
  snprintf(pending, sizeof(pending), "%s/bridges", ctx->state_dir);
  if (mkdir_p(pending, 0755, err) < 0)
    return -1;
  snprintf(pending, sizeof(pending), "%s/bridges/%s.pending", ctx->state_dir, b.name);
  pfd = open(pending, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (pfd < 0) {
    if (errno == EEXIST)
      return error_set_code(err, EEXIST,
                            "bridge %s is being added (or its add was killed: podnet gc)", b.name);
    return error_set(err, errno, "create %s", pending);
  }
  while (flock(pfd, LOCK_EX) < 0 && errno == EINTR)
    ;
  if (nl_bridge_create(sk, b.name, b.mtu, b.gw, b.len, err) < 0)
    goto undo_pending;
  if (ip_forward_enable(err) < 0)
    goto undo_link;
  if (b.masquerade && nft_masquerade_add(ctx, b.name, b.net, b.len, err) < 0)
    goto undo_link;
  if (bridge_rec_write(ctx, &b, err) < 0)
    goto undo_masq;
  unlink(pending);
  *out = b;
  return 0;

undo_masq:
  if (b.masquerade) {
    nft_masquerade_del(ctx, b.name, &e);
    error_free(&e);
  }
undo_link:
  nl_link_del(sk, b.name, true, NULL);
undo_pending:
  unlink(pending);
  return -1;
}

/* The bridges of adds killed before their record (bridges/NAME.pending
 * that no add holds a flock on): link, masquerade and addresses go. */
static int gc_pending_bridges(const struct podnet_ctx *ctx, pk_error **err) {
  char dir[PATH_MAX], name[IF_NAMESIZE + 8];
  cleanup_closedir DIR *d = NULL;
  struct dirent *e;
  struct bridge_rec b;
  int rc = 0;

  snprintf(dir, sizeof(dir), "%s/bridges", ctx->state_dir);
  d = opendir(dir);
  while (d && (e = readdir(d)) != NULL) {
    size_t l = strlen(e->d_name);
    pk_error *e2 = NULL;
    if (l <= 8 || l - 8 >= IF_NAMESIZE || strcmp(e->d_name + l - 8, ".pending") != 0)
      continue;
    cleanup_close int fd = openat(dirfd(d), e->d_name, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) < 0)
      continue;
    snprintf(name, sizeof(name), "%.*s", (int)(l - 8), e->d_name);
    /* killed after the record was written: the bridge is complete */
    if (bridge_rec_read(ctx, name, &b, &e2) < 0) {
      cleanup_nlsock struct nl_sock *sk = NULL;
      error_free(&e2);
      if (nft_masquerade_del(ctx, name, &e2) < 0 || nlsock_open(&sk, &e2) < 0 ||
          nl_link_del(sk, name, true, &e2) < 0 || ipam_bridge_remove(ctx, name, &e2) < 0) {
        if (rc == 0 && err)
          *err = e2;
        else
          error_free(&e2);
        rc = -1;
        continue;
      }
    }
    unlinkat(dirfd(d), e->d_name, 0);
  }
  return rc;
}

int podnet_bridge_del(const struct podnet_ctx *ctx, const char *name, pk_error **err) {
  cleanup_nlsock struct nl_sock *sk = NULL;
  struct bridge_rec b;
  struct lease *ls = NULL;
  size_t n = 0, users = 0;

  if (bridge_rec_read(ctx, name, &b, err) < 0)
    return -1;
  if (lease_list(ctx, &ls, &n, err) < 0)
    return -1;
  for (size_t i = 0; i < n; i++)
    users += strcmp(ls[i].bridge, name) == 0;
  free(ls);
  if (users)
    return error_set_code(err, EBUSY, "bridge %s still has %zu attachment%s (detach first)", name,
                          users, users == 1 ? "" : "s");
  if (b.masquerade && nft_masquerade_del(ctx, name, err) < 0)
    return -1;
  if (nlsock_open(&sk, err) < 0 || nl_link_del(sk, name, true, err) < 0)
    return -1;
  if (ipam_bridge_remove(ctx, name, err) < 0)
    return -1;
  return bridge_rec_remove(ctx, name, err);
}

void podnet_host_veth_name(const char *id, unsigned salt, char buf[16]) {
  uint32_t h = 2166136261u; /* FNV-1a */
  for (const unsigned char *p = (const unsigned char *)id; *p; p++)
    h = (h ^ *p) * 16777619u;
  for (; salt; salt >>= 8)
    h = (h ^ (salt & 0xff)) * 16777619u;
  snprintf(buf, 16, "vp%08x", h);
}

/* The id an attachment gets when --id is not given. */
static void default_id(const struct netns_ref *ref, ino_t ino, char *buf, size_t len) {
  if (ref->name)
    snprintf(buf, len, "%s", ref->name);
  else if (ref->pid)
    snprintf(buf, len, "pid%d", (int)ref->pid);
  else
    snprintf(buf, len, "ns%llu", (unsigned long long)ino);
}

static bool lease_matches(const struct lease *l, const char *bridge, dev_t dev, ino_t ino,
                          const char *want) {
  if (bridge && strcmp(l->bridge, bridge) != 0)
    return false;
  return (ino && l->ns_ino == (unsigned long long)ino && l->ns_dev == (unsigned long long)dev) ||
         strcmp(l->netns, want) == 0;
}

int podnet_attach(const struct podnet_ctx *ctx, const struct attach_opts *o, struct lease *out,
                  pk_error **err) {
  cleanup_nlsock struct nl_sock *sk = NULL;
  cleanup_nlsock struct nl_sock *nssk = NULL;
  cleanup_close int nsfd = -1;
  struct bridge_rec b;
  struct lease l;
  char desc[PATH_MAX + 64];
  dev_t dev;
  ino_t ino;
  pk_error *e = NULL;
  int bidx;

  memset(&l, 0, sizeof(l));
  if (bridge_rec_read(ctx, o->bridge, &b, err) < 0)
    return -1;
  snprintf(l.ifname, sizeof(l.ifname), "%s", o->ifname ? o->ifname : "eth0");
  if (ifname_check(o->ifname ? o->ifname : "eth0", err) < 0)
    return -1;
  if (netns_ref_open(&o->ns, &nsfd, &dev, &ino, desc, sizeof(desc), err) < 0)
    return -1;
  {
    /* The host's own netns (a --pid of a host process): the "container"
     * side would be configured on the host, default route included. */
    struct stat self;
    if (stat("/proc/self/ns/net", &self) == 0 && self.st_dev == dev && self.st_ino == ino)
      return error_set_code(err, EINVAL,
                            "%s is the host's own (podnet's): expected a container's network "
                            "namespace",
                            desc);
  }
  l.ns_dev = dev;
  l.ns_ino = ino;
  if (o->ns.name) {
    snprintf(l.netns, sizeof(l.netns), "%s", o->ns.name);
    snprintf(l.netns_path, sizeof(l.netns_path), "%s/%s", NETNS_RUN_DIR, o->ns.name);
  } else if (o->ns.path) {
    snprintf(l.netns, sizeof(l.netns), "%s", o->ns.path);
    snprintf(l.netns_path, sizeof(l.netns_path), "%s", o->ns.path);
  } else {
    snprintf(l.netns, sizeof(l.netns), "/proc/%d/ns/net", (int)o->ns.pid);
    l.pid = o->ns.pid;
    l.pid_start = proc_start_time(o->ns.pid);
  }
  if (o->id)
    snprintf(l.id, sizeof(l.id), "%s", o->id);
  else
    default_id(&o->ns, ino, l.id, sizeof(l.id));
  if (id_validate(l.id, "attachment ID", err) < 0)
    return -1;
  snprintf(l.bridge, sizeof(l.bridge), "%s", b.name);
  l.len = b.len;
  l.gw = b.gw;
  l.mtu = o->mtu ? o->mtu : b.mtu;
  if (o->has_mac) {
    memcpy(l.mac, o->mac, 6);
  } else {
    /* Our own locally administered unicast MAC, so the lease is complete
     * before the link exists and needs no read-back. */
    if (getrandom(l.mac, 6, 0) != 6)
      return error_set(err, errno, "random MAC");
    l.mac[0] = (l.mac[0] & 0xfe) | 0x02;
  }

  if (o->has_ip && o->ip_len >= 0 && o->ip_len != b.len)
    return error_set_code(
        err, EINVAL, "invalid --ip: prefix length /%d does not match the subnet /%d of bridge %s",
        o->ip_len, b.len, b.name);
  if (nlsock_open(&sk, err) < 0)
    return -1;
  bidx = nl_link_index(sk, b.name, err);
  if (bidx < 0)
    return -1;
  if (bidx == 0)
    return error_set_code(err, ENODEV,
                          "bridge %s does not exist in the kernel (podnet gc, or "
                          "bridge del and add again)",
                          b.name);

  /* The id's own name may still be held by the veth of a detach whose
   * deletion is finishing in the background: take the next one. */
  for (unsigned salt = 0;; salt++) {
    int rc;
    podnet_host_veth_name(l.id, salt, l.host_veth);
    rc = nl_link_index(sk, l.host_veth, err);
    if (rc < 0)
      return -1;
    if (rc == 0)
      break;
    if (salt == 15)
      return error_set_code(err, EEXIST, "attach %s: host veth names %s... are all taken", l.id,
                            l.host_veth);
  }
  if (lease_claim(ctx, l.id, err) < 0)
    return -1;
  if (ipam_reserve(ctx, &b, o->has_ip ? &o->ip : NULL, l.id, &l.ip, err) < 0)
    goto undo_claim;
  /* The record exists before any kernel object, so gc finds whatever a
   * crash in the middle leaves. */
  if (lease_write(ctx, &l, err) < 0)
    goto undo_ip;
  if (nl_veth_create(sk, l.host_veth, l.ifname, nsfd, bidx, l.mtu, l.mac, err) < 0)
    goto undo_ip;
  /* With br_netfilter, a container reaching its own forward through the
   * host's address gets its DNATed packet back on the port it came in by:
   * the bridge only sends it there in hairpin mode. */
  if (nl_brport_hairpin_set(sk, l.host_veth, err) < 0)
    goto undo_veth;
  if (nlsock_open_in(nsfd, &nssk, err) < 0 ||
      nl_netns_configure(nssk, l.ifname, l.ip, l.len, l.gw, NULL, err) < 0)
    goto undo_veth;
  *out = l;
  return 0;

undo_veth:
  nl_link_del(sk, l.host_veth, true, NULL);
undo_ip:
  ipam_release(ctx, b.name, l.ip, l.id, &e);
  error_free(&e);
undo_claim:
  lease_remove(ctx, l.id, &e);
  error_free(&e);
  return error_wrap(err, "attach %s to %s", l.id, b.name);
}

/* The netns a lease was made for, if that very netns still exists. */
static int lease_netns_open(const struct lease *l) {
  char path[PATH_MAX];
  struct stat st;
  int fd;

  if (l->pid > 0) {
    if (proc_start_time(l->pid) != l->pid_start)
      return -1;
    snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)l->pid);
  } else if (l->netns_path[0]) {
    snprintf(path, sizeof(path), "%s", l->netns_path);
  } else {
    return -1;
  }
  fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return -1;
  if (fstat(fd, &st) < 0 || (unsigned long long)st.st_ino != l->ns_ino ||
      (unsigned long long)st.st_dev != l->ns_dev) {
    close(fd);
    return -1;
  }
  return fd;
}

int podnet_detach_id(const struct podnet_ctx *ctx, const char *id, bool async_del, pk_error **err) {
  cleanup_nlsock struct nl_sock *sk = NULL;
  struct lease l;
  int ifindex;

  if (lease_read(ctx, id, &l, err) < 0)
    return -1;
  /* Forwards first: a failure leaves the lease, so detach or gc can retry. */
  if (nft_forward_del_by_id(ctx, id, NULL, err) < 0)
    return error_wrap(err, "detach %s", id);
  if (nlsock_open(&sk, err) < 0)
    return error_wrap(err, "detach %s", id);
  ifindex = nl_link_index(sk, l.host_veth, err);
  if (ifindex < 0)
    return error_wrap(err, "detach %s", id);
  if (ifindex > 0 && async_del) {
    /* Deleting the veth costs 15-40 ms in the kernel; what must be over
     * before the address and the names can be used again is only that the
     * old netns stops using them.  So: take its end down and rename it now
     * (inside the netns, away from the bridge, that is cheap), delete the
     * veth in the background.  Without the netns the veth goes with it. */
    cleanup_close int nsfd = lease_netns_open(&l);
    cleanup_nlsock struct nl_sock *nssk = NULL;
    if (nsfd >= 0 && (nlsock_open_in(nsfd, &nssk, err) < 0 ||
                      nl_link_retire(nssk, l.ifname, l.ip, l.len, err) < 0)) {
      error_free(err);
      async_del = false;
    }
  }
  if (ifindex > 0 && !async_del && nl_link_del(sk, l.host_veth, true, err) < 0)
    return error_wrap(err, "detach %s", id);
  if (ipam_release(ctx, l.bridge, l.ip, l.id, err) < 0 || lease_remove(ctx, id, err) < 0) {
    nl_background(async_del ? ifindex : 0, nft_sock_take_fd());
    return error_wrap(err, "detach %s", id);
  }
  /* One grandchild deletes the veth and makes the netfilter socket's
   * final release (its wait for the forward deletion's RCU grace period);
   * the forwards are gone already: their transaction was acked. */
  nl_background(async_del ? ifindex : 0, nft_sock_take_fd());
  return 0;
}

int podnet_lease_find(const struct podnet_ctx *ctx, const struct netns_ref *ref, const char *bridge,
                      char *id, size_t idlen, pk_error **err) {
  struct lease *ls = NULL;
  size_t n = 0;
  char desc[PATH_MAX + 64], want[PATH_MAX];
  cleanup_close int fd = -1;
  dev_t dev = 0;
  ino_t ino = 0;
  pk_error *e = NULL;
  int found = -1;

  /* The netns may be gone already (detach after `ip netns del`): then match
   * the name or path it was attached by. */
  if (netns_ref_open(ref, &fd, &dev, &ino, desc, sizeof(desc), &e) < 0)
    ino = 0;
  error_free(&e);
  if (ref->name)
    snprintf(want, sizeof(want), "%s", ref->name);
  else if (ref->path)
    snprintf(want, sizeof(want), "%s", ref->path);
  else
    snprintf(want, sizeof(want), "/proc/%d/ns/net", (int)ref->pid);
  /* Most attachments carry the default id: one file read instead of
   * reading every lease. */
  if (ino || !ref->path) {
    struct lease l;
    char guess[ID_MAX_LEN + 1];
    default_id(ref, ino, guess, sizeof(guess));
    if (lease_read(ctx, guess, &l, &e) == 0 && lease_matches(&l, bridge, dev, ino, want)) {
      snprintf(id, idlen, "%s", l.id);
      return 0;
    }
    error_free(&e);
  }
  if (lease_list(ctx, &ls, &n, err) < 0)
    return -1;
  for (size_t i = 0; i < n && found < 0; i++)
    if (lease_matches(&ls[i], bridge, dev, ino, want))
      found = (int)i;
  if (found >= 0)
    snprintf(id, idlen, "%s", ls[found].id);
  free(ls);
  if (found < 0)
    return error_set_code(err, ENOENT, "nothing is attached to network namespace %s%s%s", want,
                          bridge ? " on bridge " : "", bridge ? bridge : "");
  return 0;
}

bool podnet_lease_alive(const struct lease *l) {
  dev_t dev;
  ino_t ino;
  if (l->pid > 0) {
    unsigned long long st = proc_start_time(l->pid);
    return st != 0 && st == l->pid_start;
  }
  if (l->netns_path[0]) {
    if (!netns_path_ino(l->netns_path, &dev, &ino))
      return false;
    return (unsigned long long)ino == l->ns_ino && (unsigned long long)dev == l->ns_dev;
  }
  return true; /* nothing to judge by: keep it */
}

/* A claim without the lock of lease_claim (made by an older podnet): older
 * than this, its attach died before writing the record. */
#define CLAIM_STALE_SECONDS 60

/* An fd of the claim NAME, flocked, if that is an empty file nobody else
 * holds a flock on (its attach is gone), else -1.  The lock is kept while
 * gc removes it; the inode check catches a record renamed over it. */
static int claim_stale_open(int dirfd, const char *name) {
  struct stat a, b;
  int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return -1;
  if (flock(fd, LOCK_EX | LOCK_NB) < 0 || fstat(fd, &a) < 0 || a.st_size != 0 ||
      ((a.st_mode & 07777) != LEASE_CLAIM_MODE && time(NULL) - a.st_mtime < CLAIM_STALE_SECONDS) ||
      fstatat(dirfd, name, &b, 0) < 0 || a.st_ino != b.st_ino) {
    close(fd);
    return -1;
  }
  return fd;
}

/* What a podnet killed in the middle of writing a file leaves:
 * NAME.tmp.PID (file_write_atomic) and NAME.claim.PID (lease_claim), kept
 * while PID lives. */
static void gc_stale_tmp(const struct podnet_ctx *ctx, const char *sub) {
  char dir[PATH_MAX];
  cleanup_closedir DIR *d = NULL;
  struct dirent *e;

  snprintf(dir, sizeof(dir), "%s/%s", ctx->state_dir, sub);
  d = opendir(dir);
  while (d && (e = readdir(d)) != NULL) {
    const char *t = strstr(e->d_name, ".tmp.");
    const char *c = strstr(e->d_name, ".claim.");
    const char *num = t ? t + 5 : c ? c + 7 : NULL;
    char *end;
    long pid;
    if (num == NULL || *num == '\0')
      continue;
    pid = strtol(num, &end, 10);
    if (*end == '\0' && pid > 0 && kill((pid_t)pid, 0) < 0 && errno == ESRCH)
      unlinkat(dirfd(d), e->d_name, 0);
  }
}

/* Removes the claims (empty lease files) of attaches that died before
 * writing their record, and the addresses reserved under their id: a live
 * attach holds a flock on its claim (lease_claim). */
static void gc_stale_claims(const struct podnet_ctx *ctx) {
  char dir[PATH_MAX], path[PATH_MAX * 2];
  cleanup_closedir DIR *d = NULL;
  struct dirent *e;

  snprintf(dir, sizeof(dir), "%s/leases", ctx->state_dir);
  d = opendir(dir);
  if (d == NULL)
    return;
  while ((e = readdir(d)) != NULL) {
    struct stat st;
    size_t l = strlen(e->d_name);
    if (e->d_name[0] == '.' || l <= 5 || strcmp(e->d_name + l - 5, ".json") != 0)
      continue;
    if (fstatat(dirfd(d), e->d_name, &st, 0) < 0 || st.st_size != 0)
      continue;
    cleanup_close int lock = claim_stale_open(dirfd(d), e->d_name);
    if (lock < 0)
      continue;
    char id[ID_MAX_LEN + 1];
    snprintf(id, sizeof(id), "%.*s", (int)(l - 5), e->d_name);
    snprintf(path, sizeof(path), "%s/ipam", ctx->state_dir);
    cleanup_closedir DIR *bd = opendir(path);
    struct dirent *be;
    while (bd && (be = readdir(bd)) != NULL) {
      if (be->d_name[0] == '.')
        continue;
      snprintf(path, sizeof(path), "%s/ipam/%s", ctx->state_dir, be->d_name);
      cleanup_closedir DIR *ad = opendir(path);
      struct dirent *ae;
      while (ad && (ae = readdir(ad)) != NULL) {
        struct in_addr a;
        pk_error *err = NULL;
        if (inet_pton(AF_INET, ae->d_name, &a) == 1)
          ipam_release(ctx, be->d_name, a, id, &err);
        error_free(&err);
      }
    }
    unlinkat(dirfd(d), e->d_name, 0);
  }
}

int podnet_gc(const struct podnet_ctx *ctx, char ***removed, size_t *n, pk_error **err) {
  struct lease *ls = NULL;
  size_t nl = 0, k = 0;
  char **ids;
  int rc = 0;

  gc_stale_tmp(ctx, "leases");
  gc_stale_tmp(ctx, "bridges");
  {
    char dir[PATH_MAX], sub[NAME_MAX + 8];
    snprintf(dir, sizeof(dir), "%s/ipam", ctx->state_dir);
    cleanup_closedir DIR *d = opendir(dir);
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
      if (e->d_name[0] == '.')
        continue;
      snprintf(sub, sizeof(sub), "ipam/%s", e->d_name);
      gc_stale_tmp(ctx, sub);
    }
  }
  gc_stale_claims(ctx);
  if (gc_pending_bridges(ctx, err) < 0)
    rc = -1;
  if (lease_list(ctx, &ls, &nl, rc < 0 ? NULL : err) < 0)
    return -1;
  ids = calloc(nl + 1, sizeof(char *));
  if (ids == NULL) {
    free(ls);
    return error_set(err, ENOMEM, "gc");
  }
  for (size_t i = 0; i < nl; i++) {
    if (podnet_lease_alive(&ls[i]))
      continue;
    if (podnet_detach_id(ctx, ls[i].id, true, rc < 0 ? NULL : err) < 0) {
      rc = -1;
      continue;
    }
    ids[k++] = strdup(ls[i].id);
  }
  free(ls);
  *removed = ids;
  *n = k;
  return rc;
}

static int publish_parse(const char *spec, struct nft_forward *fw, pk_error **err) {
  char buf[128], *proto, *parts[3];
  int n = 0;
  uint16_t last;

  memset(fw, 0, sizeof(*fw));
  fw->proto = IPPROTO_TCP;
  if (snprintf(buf, sizeof(buf), "%s", spec) >= (int)sizeof(buf))
    return error_set_code(err, EINVAL, "invalid publish \"%s\": too long", spec);
  proto = strchr(buf, '/');
  if (proto) {
    *proto++ = '\0';
    if (nft_proto_parse(proto, &fw->proto, err) < 0)
      return error_wrap(err, "invalid publish \"%s\"", spec);
  }
  for (char *s = buf, *tok; n < 3 && (tok = strsep(&s, ":")) != NULL;)
    parts[n++] = tok;
  if (n < 2 || (n == 3 && strchr(parts[2], ':')))
    return error_set_code(err, EINVAL,
                          "invalid publish \"%s\": expected [HOSTIP:]HOSTPORT[-LAST]:PORT[/PROTO]",
                          spec);
  if (n == 3 && ip_parse(parts[0], "publish host IP", &fw->host_ip, err) < 0)
    return error_wrap(err, "invalid publish \"%s\"", spec);
  if (nft_port_range_parse(parts[n - 2], &fw->host_port_first, &fw->host_port_last, err) < 0 ||
      nft_port_range_parse(parts[n - 1], &fw->to_port, &last, err) < 0)
    return error_wrap(err, "invalid publish \"%s\"", spec);
  /* ranges map 1:1, so a container range must be as long as the host's */
  if (last != fw->to_port && last - fw->to_port != fw->host_port_last - fw->host_port_first)
    return error_set_code(err, EINVAL,
                          "invalid publish \"%s\": container port range %u-%u is not as long "
                          "as host port range %u-%u",
                          spec, fw->to_port, last, fw->host_port_first, fw->host_port_last);
  return 0;
}

int publish_list_parse(const char *list, struct nft_forward *fws, size_t max, size_t *n,
                       pk_error **err) {
  cleanup_free char *copy = strdup(list);
  if (copy == NULL)
    return error_set(err, ENOMEM, "publish");
  for (char *s = copy, *tok; (tok = strsep(&s, ",")) != NULL;) {
    if (*tok == '\0')
      continue;
    if (*n >= max)
      return error_set_code(err, E2BIG, "more than %zu published ports", max);
    if (publish_parse(tok, &fws[*n], err) < 0)
      return -1;
    (*n)++;
  }
  return 0;
}

int podnet_attach_publish(const struct podnet_ctx *ctx, const struct attach_opts *o,
                          struct nft_forward *fws, size_t nfw, struct lease *out, pk_error **err) {
  if (podnet_attach(ctx, o, out, err) < 0)
    return -1;
  for (size_t i = 0; i < nfw; i++) {
    fws[i].to_ip = out->ip;
    snprintf(fws[i].id, sizeof(fws[i].id), "%s", out->id);
    if (nft_forward_add(ctx, &fws[i], err) < 0) {
      pk_error *e = NULL;
      /* detach removes the forwards already added for this id, too */
      podnet_detach_id(ctx, out->id, false, &e);
      error_free(&e);
      return error_wrap(err, "container %s", out->id);
    }
  }
  return 0;
}
