/* SPDX-License-Identifier: MIT */
#include <arpa/inet.h>
#include <errno.h>

#include "cidr.h"
#include "unit.h"

static struct in_addr A(const char *s) {
  struct in_addr a;
  inet_pton(AF_INET, s, &a);
  return a;
}

TEST(cidr_parse_ok) {
  struct cidr c;
  pk_error *err = NULL;
  char buf[32];
  CHECK(cidr_parse("10.1.2.3/24", "--subnet", &c, &err) == 0);
  CHECK(c.len == 24);
  CHECK_STREQ(cidr_str(cidr_network(c.addr, c.len), c.len, buf), "10.1.2.0/24");
  CHECK(cidr_parse("0.0.0.0/0", "x", &c, &err) == 0 && c.len == 0);
}

TEST(cidr_parse_errors) {
  struct cidr c;
  pk_error *err = NULL;
  CHECK(cidr_parse("10.1.2.0", "--subnet", &c, &err) < 0);
  CHECK_STREQ(err->msg, "invalid --subnet \"10.1.2.0\": expected A.B.C.D/LEN");
  error_free(&err);
  CHECK(cidr_parse("10.1.2.0/", "--subnet", &c, &err) < 0);
  CHECK_STREQ(err->msg, "invalid --subnet \"10.1.2.0/\": prefix length must be 0..32");
  error_free(&err);
  CHECK(cidr_parse("10.1.2.0/24x", "--subnet", &c, &err) < 0);
  error_free(&err);
  CHECK(cidr_parse("10.1.256.0/24", "--subnet", &c, &err) < 0);
  CHECK_STREQ(err->msg,
              "invalid --subnet \"10.1.256.0/24\": \"10.1.256.0\" is not an IPv4 address");
  CHECK(err->errnum == EINVAL);
  error_free(&err);
}

TEST(ip_parse_strict) {
  struct in_addr a;
  pk_error *err = NULL;
  CHECK(ip_parse("192.168.0.1", "--ip", &a, &err) == 0);
  CHECK(ip_parse("10.1", "--ip", &a, &err) < 0);
  CHECK_STREQ(err->msg, "invalid --ip \"10.1\": expected an IPv4 address A.B.C.D");
  error_free(&err);
  CHECK(ip_parse("0x0a.1.1.1", "--ip", &a, &err) < 0);
  error_free(&err);
}

TEST(mac_parse_cases) {
  uint8_t m[6];
  char buf[18];
  pk_error *err = NULL;
  CHECK(mac_parse("02:AA:bb:0c:dd:0e", m, &err) == 0);
  CHECK_STREQ(mac_str(m, buf), "02:aa:bb:0c:dd:0e");
  CHECK(mac_parse("02-aa-bb-0c-dd-0e", m, &err) < 0);
  error_free(&err);
  CHECK(mac_parse("03:aa:bb:0c:dd:0e", m, &err) < 0);
  CHECK_STREQ(err->msg, "invalid MAC \"03:aa:bb:0c:dd:0e\": a multicast address (odd first byte)");
  error_free(&err);
  CHECK(mac_parse("00:00:00:00:00:00", m, &err) < 0);
  error_free(&err);
  CHECK(mac_parse("02:aa:bb:0c:dd:0e:ff", m, &err) < 0);
  error_free(&err);
}

TEST(mtu_parse_cases) {
  unsigned v;
  pk_error *err = NULL;
  CHECK(mtu_parse("1500", &v, &err) == 0 && v == 1500);
  CHECK(mtu_parse("68", &v, &err) == 0);
  CHECK(mtu_parse("67", &v, &err) < 0);
  error_free(&err);
  CHECK(mtu_parse("-1500", &v, &err) < 0);
  error_free(&err);
  CHECK(mtu_parse("65536", &v, &err) < 0);
  CHECK_STREQ(err->msg, "invalid MTU \"65536\": expected a number 68..65535");
  error_free(&err);
}

TEST(cidr_math) {
  char buf[INET_ADDRSTRLEN];
  CHECK(cidr_overlap(A("10.1.0.0"), 16, A("10.1.5.0"), 24));
  CHECK(cidr_overlap(A("10.1.5.0"), 24, A("10.1.0.0"), 16));
  CHECK(!cidr_overlap(A("10.1.0.0"), 24, A("10.1.1.0"), 24));
  CHECK(cidr_contains(A("10.1.0.0"), 24, A("10.1.0.255")));
  CHECK(!cidr_contains(A("10.1.0.0"), 24, A("10.1.1.0")));
  CHECK_STREQ(ip_str(cidr_broadcast(A("10.1.0.7"), 24), buf), "10.1.0.255");
  CHECK_STREQ(ip_str(cidr_host(A("10.1.0.0"), 24, 1), buf), "10.1.0.1");
  CHECK_STREQ(ip_str(cidr_host(A("10.1.0.99"), 30, 2), buf), "10.1.0.98");
  CHECK(cidr_mask(0) == 0 && cidr_mask(32) == 0xffffffffu && cidr_mask(24) == 0xffffff00u);
}
