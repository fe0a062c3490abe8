/* SPDX-License-Identifier: MIT */
#include "cidr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int ip_parse(const char *s, const char *what, struct in_addr *out, pk_error **err) {
  /* inet_pton alone takes exactly four dotted decimals, which is what we want
   * (inet_aton would take "10.1" and hex). */
  if (s == NULL || inet_pton(AF_INET, s, out) != 1)
    return error_set_code(err, EINVAL, "invalid %s \"%s\": expected an IPv4 address A.B.C.D", what,
                          s ? s : "");
  return 0;
}

int cidr_parse(const char *s, const char *what, struct cidr *out, pk_error **err) {
  const char *slash = s ? strchr(s, '/') : NULL;
  char addr[INET_ADDRSTRLEN];
  char *end;
  long len;

  if (slash == NULL || (size_t)(slash - s) >= sizeof(addr))
    return error_set_code(err, EINVAL, "invalid %s \"%s\": expected A.B.C.D/LEN", what, s ? s : "");
  memcpy(addr, s, slash - s);
  addr[slash - s] = '\0';
  if (inet_pton(AF_INET, addr, &out->addr) != 1)
    return error_set_code(err, EINVAL, "invalid %s \"%s\": \"%s\" is not an IPv4 address", what, s,
                          addr);
  errno = 0;
  len = strtol(slash + 1, &end, 10);
  if (slash[1] == '\0' || *end != '\0' || errno || len < 0 || len > 32)
    return error_set_code(err, EINVAL, "invalid %s \"%s\": prefix length must be 0..32", what, s);
  out->len = (int)len;
  return 0;
}

int mac_parse(const char *s, uint8_t mac[6], pk_error **err) {
  unsigned v[6];
  char tail;

  if (s == NULL || strlen(s) != 17 ||
      sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &tail) != 6)
    return error_set_code(err, EINVAL, "invalid MAC \"%s\": expected aa:bb:cc:dd:ee:ff",
                          s ? s : "");
  for (int i = 0; i < 6; i++) {
    if (i > 0 && s[i * 3 - 1] != ':')
      return error_set_code(err, EINVAL, "invalid MAC \"%s\": expected aa:bb:cc:dd:ee:ff", s);
    mac[i] = (uint8_t)v[i];
  }
  if (mac[0] & 1)
    return error_set_code(err, EINVAL, "invalid MAC \"%s\": a multicast address (odd first byte)",
                          s);
  if (!(mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5]))
    return error_set_code(err, EINVAL, "invalid MAC \"%s\": all zeros", s);
  return 0;
}

int mtu_parse(const char *s, unsigned *out, pk_error **err) {
  char *end;
  unsigned long v;

  errno = 0;
  v = s && *s ? strtoul(s, &end, 10) : 0;
  if (s == NULL || *s == '\0' || *s == '-' || *end != '\0' || errno || v < 68 || v > 65535)
    return error_set_code(err, EINVAL, "invalid MTU \"%s\": expected a number 68..65535",
                          s ? s : "");
  *out = (unsigned)v;
  return 0;
}

uint32_t cidr_mask(int len) {
  return len <= 0 ? 0 : len >= 32 ? 0xffffffffu : ~((1u << (32 - len)) - 1);
}

struct in_addr cidr_network(struct in_addr a, int len) {
  struct in_addr r = {htonl(ntohl(a.s_addr) & cidr_mask(len))};
  return r;
}

struct in_addr cidr_broadcast(struct in_addr a, int len) {
  struct in_addr r = {htonl(ntohl(a.s_addr) | ~cidr_mask(len))};
  return r;
}

bool cidr_contains(struct in_addr net, int len, struct in_addr a) {
  return ((ntohl(net.s_addr) ^ ntohl(a.s_addr)) & cidr_mask(len)) == 0;
}

bool cidr_overlap(struct in_addr a, int alen, struct in_addr b, int blen) {
  int len = alen < blen ? alen : blen;
  return cidr_contains(a, len, b);
}

struct in_addr cidr_host(struct in_addr net, int len, uint32_t n) {
  struct in_addr r = {htonl((ntohl(net.s_addr) & cidr_mask(len)) + n)};
  return r;
}

const char *ip_str(struct in_addr a, char *buf) {
  return inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN);
}

const char *cidr_str(struct in_addr a, int len, char *buf) {
  char ip[INET_ADDRSTRLEN];
  sprintf(buf, "%s/%d", ip_str(a, ip), len);
  return buf;
}

const char *mac_str(const uint8_t m[6], char *buf) {
  sprintf(buf, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
  return buf;
}
