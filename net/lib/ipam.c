/* SPDX-License-Identifier: MIT */
#include "ipam.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "cidr.h"
#include "cleanup.h"

static int ipam_dir(const struct podnet_ctx *ctx, const char *bridge, char *buf, size_t len,
                    pk_error **err) {
  int n = snprintf(buf, len, "%s/ipam/%s", ctx->state_dir, bridge);
  if (n < 0 || (size_t)n >= len)
    return error_set_code(err, ENAMETOOLONG, "state dir path too long");
  return 0;
}

/* 1 = reserved, 0 = taken (owner in `owner`), <0 = error.  The address
 * file is a hard link of `tmp`, which already holds the owner's id: an
 * address is never reserved without its owner, wherever a podnet is killed
 * (a left OWNER.tmp.PID is gc's). */
static int ipam_try(int dirfd, const char *dir, const char *tmp, struct in_addr a, char *owner,
                    size_t olen, pk_error **err) {
  char name[INET_ADDRSTRLEN];
  ip_str(a, name);
  if (linkat(dirfd, tmp, dirfd, name, 0) == 0)
    return 1;
  if (errno != EEXIST)
    return error_set(err, errno, "create %s/%s", dir, name);
  if (owner) {
    cleanup_close int rfd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
    ssize_t n = rfd >= 0 ? read(rfd, owner, olen - 1) : -1;
    owner[n > 0 ? n : 0] = '\0';
  }
  return 0;
}

static int reserve_in(const struct bridge_rec *b, const struct in_addr *want, int dfd,
                      const char *dir, const char *tmp, struct in_addr *out, pk_error **err) {
  char sub[32], ip[INET_ADDRSTRLEN], owner[ID_MAX_LEN + 1];
  cleanup_close int lfd = -1;
  uint32_t hosts, start = 0;
  int rc;

  cidr_str(b->net, b->len, sub);

  if (want) {
    ip_str(*want, ip);
    if (!cidr_contains(b->net, b->len, *want))
      return error_set_code(err, EINVAL, "address %s is outside the subnet %s of bridge %s", ip,
                            sub, b->name);
    if (want->s_addr == cidr_network(b->net, b->len).s_addr ||
        want->s_addr == cidr_broadcast(b->net, b->len).s_addr)
      return error_set_code(err, EINVAL,
                            "address %s is the network or broadcast address of subnet %s", ip, sub);
    if (want->s_addr == b->gw.s_addr)
      return error_set_code(err, EADDRINUSE, "address %s is the gateway of bridge %s", ip, b->name);
    rc = ipam_try(dfd, dir, tmp, *want, owner, sizeof(owner), err);
    if (rc < 0)
      return -1;
    if (rc == 0)
      return error_set_code(err, EADDRINUSE, "address %s is already leased to %s", ip, owner);
    *out = *want;
    return 0;
  }

  /* The flock orders allocators so that the hint moves forward monotonically;
   * the exclusive link alone would already keep addresses unique. */
  lfd = openat(dfd, ".lock", O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lfd < 0)
    return error_set(err, errno, "open %s/.lock", dir);
  while (flock(lfd, LOCK_EX) < 0)
    if (errno != EINTR)
      return error_set(err, errno, "lock %s/.lock", dir);
  /* The lock file also holds the hint: the last address handed out. */
  {
    char buf[32] = "";
    struct in_addr last;
    ssize_t n = pread(lfd, buf, sizeof(buf) - 1, 0);
    buf[n > 0 ? n : 0] = '\0';
    if (n > 0 && inet_pton(AF_INET, buf, &last) == 1 && cidr_contains(b->net, b->len, last))
      start = ntohl(last.s_addr) - ntohl(cidr_network(b->net, b->len).s_addr);
  }
  hosts = b->len >= 31 ? 0 : (1u << (32 - b->len)) - 2;
  for (uint32_t i = 0; i < hosts; i++) {
    uint32_t n = (start + i) % hosts + 1; /* 1..hosts */
    struct in_addr a = cidr_host(b->net, b->len, n);
    if (a.s_addr == b->gw.s_addr)
      continue;
    rc = ipam_try(dfd, dir, tmp, a, NULL, 0, err);
    if (rc < 0)
      return -1;
    if (rc == 1) {
      /* only a hint: a short or failed write just costs a longer scan */
      size_t l = strlen(ip_str(a, ip));
      if (pwrite(lfd, ip, l, 0) == (ssize_t)l)
        (void)!ftruncate(lfd, (off_t)l);
      *out = a;
      return 0;
    }
  }
  return error_set_code(err, ENOSPC, "no free address left in subnet %s of bridge %s", sub,
                        b->name);
}

int ipam_reserve(const struct podnet_ctx *ctx, const struct bridge_rec *b,
                 const struct in_addr *want, const char *id, struct in_addr *out, pk_error **err) {
  char dir[PATH_MAX], tmp[64];
  cleanup_close int dfd = -1;
  int fd, rc;

  if (ipam_dir(ctx, b->name, dir, sizeof(dir), err) < 0 || mkdir_p(dir, 0755, err) < 0)
    return -1;
  dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0)
    return error_set(err, errno, "open %s", dir);
  snprintf(tmp, sizeof(tmp), "owner.tmp.%d", (int)getpid());
  fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    return error_set(err, errno, "create %s/%s", dir, tmp);
  rc = write_all(fd, id, strlen(id));
  close(fd);
  if (rc < 0)
    rc = error_set(err, errno, "write %s/%s", dir, tmp);
  else
    rc = reserve_in(b, want, dfd, dir, tmp, out, err);
  unlinkat(dfd, tmp, 0);
  return rc;
}

int ipam_release(const struct podnet_ctx *ctx, const char *bridge, struct in_addr addr,
                 const char *id, pk_error **err) {
  char dir[PATH_MAX], path[PATH_MAX + INET_ADDRSTRLEN + 2], ip[INET_ADDRSTRLEN],
      owner[ID_MAX_LEN + 2];
  cleanup_close int fd = -1;
  ssize_t n;

  if (ipam_dir(ctx, bridge, dir, sizeof(dir), err) < 0)
    return -1;
  snprintf(path, sizeof(path), "%s/%s", dir, ip_str(addr, ip));
  fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return errno == ENOENT ? 0 : error_set(err, errno, "open %s", path);
  n = read(fd, owner, sizeof(owner) - 1);
  owner[n > 0 ? n : 0] = '\0';
  if (strcmp(owner, id) != 0)
    return 0;
  if (unlink(path) < 0 && errno != ENOENT)
    return error_set(err, errno, "remove %s", path);
  return 0;
}

int ipam_bridge_remove(const struct podnet_ctx *ctx, const char *bridge, pk_error **err) {
  char dir[PATH_MAX];
  cleanup_closedir DIR *d = NULL;
  struct dirent *e;

  if (ipam_dir(ctx, bridge, dir, sizeof(dir), err) < 0)
    return -1;
  d = opendir(dir);
  if (d == NULL)
    return errno == ENOENT ? 0 : error_set(err, errno, "open %s", dir);
  while ((e = readdir(d)) != NULL)
    if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
      unlinkat(dirfd(d), e->d_name, 0);
  if (rmdir(dir) < 0 && errno != ENOENT)
    return error_set(err, errno, "remove %s", dir);
  return 0;
}
