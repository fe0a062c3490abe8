/* libFuzzer target for podnet's argument parsers, which also read the
 * podnet.ip / podnet.publish annotations of an untrusted config.json.  The
 * first byte picks the parser (byte % 8, so '0'..'7' in a readable corpus
 * file), the rest is the argument.  Besides "no crash, no leak, no UB" an
 * accepted value must be in range and must survive a format/parse round
 * trip.  tests/unit/test_fuzz_replay.c includes this file with
 * PODKIT_FUZZ_REPLAY defined to replay the corpus through the same checks. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "attach.h"
#include "cidr.h"
#include "nft.h"

#ifndef MUST
#define MUST(c)                                                                                    \
  do {                                                                                             \
    if (!(c))                                                                                      \
      abort();                                                                                     \
  } while (0)
#endif

enum {
  NA_CIDR,
  NA_IP,
  NA_MAC,
  NA_MTU,
  NA_PORT_RANGE,
  NA_PROTO,
  NA_ADDR_PORT,
  NA_PUBLISH,
  NA_COUNT
};

/* A parser fails with -1 and a message, never a bare error code. */
static void check_failed(int rc, pk_error **err) {
  MUST(rc < 0);
  MUST(*err && (*err)->msg && (*err)->msg[0]);
  error_free(err);
}

static void check_cidr(const char *s) {
  pk_error *err = NULL;
  struct cidr c, back;
  char buf[32];
  int rc = cidr_parse(s, "subnet", &c, &err);
  if (rc < 0) {
    check_failed(rc, &err);
    return;
  }
  MUST(rc == 0 && err == NULL && c.len >= 0 && c.len <= 32);
  MUST(cidr_parse(cidr_str(c.addr, c.len, buf), "subnet", &back, &err) == 0);
  MUST(back.addr.s_addr == c.addr.s_addr && back.len == c.len);
  /* the helpers the IPAM builds on stay consistent for any prefix */
  MUST(cidr_contains(cidr_network(c.addr, c.len), c.len, c.addr));
  MUST(cidr_contains(cidr_network(c.addr, c.len), c.len, cidr_broadcast(c.addr, c.len)));
}

static void check_ip(const char *s) {
  pk_error *err = NULL;
  struct in_addr a, back;
  char buf[INET_ADDRSTRLEN];
  int rc = ip_parse(s, "--ip", &a, &err);
  if (rc < 0) {
    check_failed(rc, &err);
    return;
  }
  MUST(rc == 0 && err == NULL);
  MUST(ip_parse(ip_str(a, buf), "--ip", &back, &err) == 0 && back.s_addr == a.s_addr);
  /* the two IPv4 parsers must agree on what an address is */
  MUST(nft_ipv4_parse(s, "--to", &back, &err) == 0 && back.s_addr == a.s_addr);
}

static void check_mac(const char *s) {
  pk_error *err = NULL;
  uint8_t mac[6], back[6];
  char buf[18];
  int rc = mac_parse(s, mac, &err);
  if (rc < 0) {
    check_failed(rc, &err);
    return;
  }
  MUST(rc == 0 && err == NULL && !(mac[0] & 1));
  MUST(mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5]);
  MUST(mac_parse(mac_str(mac, buf), back, &err) == 0 && memcmp(mac, back, 6) == 0);
}

static void check_mtu(const char *s) {
  pk_error *err = NULL;
  unsigned mtu = 0;
  int rc = mtu_parse(s, &mtu, &err);
  if (rc < 0) {
    check_failed(rc, &err);
    return;
  }
  MUST(rc == 0 && err == NULL && mtu >= 68 && mtu <= 65535);
}

static void check_port_range(const char *s) {
  pk_error *err = NULL;
  uint16_t first = 0, last = 0;
  int rc = nft_port_range_parse(s, &first, &last, &err);
  if (rc < 0) {
    check_failed(rc, &err);
    return;
  }
  MUST(rc == 0 && err == NULL && first >= 1 && first <= last);
}

static void check_proto(const char *s) {
  pk_error *err = NULL;
  int proto = -1;
  int rc = nft_proto_parse(s, &proto, &err);
  if (rc < 0) {
    check_failed(rc, &err);
    return;
  }
  MUST(rc == 0 && err == NULL && (proto == IPPROTO_TCP || proto == IPPROTO_UDP));
}

static void check_addr_port(const char *s) {
  pk_error *err = NULL;
  struct in_addr a;
  uint16_t port = 0;
  int rc = nft_addr_port_parse(s, "--to", &a, &port, &err);
  if (rc < 0) {
    check_failed(rc, &err);
    return;
  }
  MUST(rc == 0 && err == NULL && port >= 1);
}

static void check_publish(const char *s) {
  pk_error *err = NULL;
  struct nft_forward fws[PUBLISH_MAX];
  size_t n = 0;
  int rc = publish_list_parse(s, fws, PUBLISH_MAX, &n, &err);
  MUST(n <= PUBLISH_MAX);
  if (rc < 0) {
    check_failed(rc, &err);
    return;
  }
  MUST(rc == 0 && err == NULL);
  for (size_t i = 0; i < n; i++) {
    const struct nft_forward *f = &fws[i];
    MUST(f->proto == IPPROTO_TCP || f->proto == IPPROTO_UDP);
    MUST(f->host_port_first >= 1 && f->host_port_first <= f->host_port_last);
    MUST(f->to_port >= 1 && f->id[0] == '\0');
  }
}

static int fuzz_net_args_one(const uint8_t *data, size_t size) {
  char *s;

  if (size == 0)
    return 0;
  /* the parsers take C strings: an embedded NUL just ends the argument */
  s = strndup((const char *)data + 1, size - 1);
  if (s == NULL)
    return 0;
  switch (data[0] % NA_COUNT) {
  case NA_CIDR:
    check_cidr(s);
    break;
  case NA_IP:
    check_ip(s);
    break;
  case NA_MAC:
    check_mac(s);
    break;
  case NA_MTU:
    check_mtu(s);
    break;
  case NA_PORT_RANGE:
    check_port_range(s);
    break;
  case NA_PROTO:
    check_proto(s);
    break;
  case NA_ADDR_PORT:
    check_addr_port(s);
    break;
  case NA_PUBLISH:
    check_publish(s);
    break;
  }
  free(s);
  return 0;
}

#ifndef PODKIT_FUZZ_REPLAY
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  return fuzz_net_args_one(data, size);
}
#endif
