/* SPDX-License-Identifier: MIT
 * IPv4 addresses, CIDR prefixes, MAC addresses and MTUs as podnet's
 * arguments spell them.  Every parser names the argument in its error. */
#ifndef PODNET_CIDR_H
#define PODNET_CIDR_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

#include "error.h"

struct cidr {
  struct in_addr addr; /* as written (may have host bits) */
  int len;             /* 0..32 */
};

/* "A.B.C.D" */
int ip_parse(const char *s, const char *what, struct in_addr *out, pk_error **err);
/* "A.B.C.D/LEN" */
int cidr_parse(const char *s, const char *what, struct cidr *out, pk_error **err);
/* "aa:bb:cc:dd:ee:ff", unicast only */
int mac_parse(const char *s, uint8_t mac[6], pk_error **err);
/* 68..65535 (the IPv4 minimum and the largest a link takes) */
int mtu_parse(const char *s, unsigned *out, pk_error **err);

uint32_t cidr_mask(int len); /* host order */
struct in_addr cidr_network(struct in_addr a, int len);
struct in_addr cidr_broadcast(struct in_addr a, int len);
bool cidr_contains(struct in_addr net, int len, struct in_addr a);
bool cidr_overlap(struct in_addr a, int alen, struct in_addr b, int blen);
/* The address `n` hosts after the network address (n=1: first host). */
struct in_addr cidr_host(struct in_addr net, int len, uint32_t n);

/* Formatting into a caller's buffer (at least INET_ADDRSTRLEN / 19 / 18). */
const char *ip_str(struct in_addr a, char *buf);
const char *cidr_str(struct in_addr a, int len, char *buf);
const char *mac_str(const uint8_t mac[6], char *buf);

#endif
