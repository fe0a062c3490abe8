/* SPDX-License-Identifier: MIT
 * podnet's nftables layer against the real kernel: every test works in a
 * private table "nfu<pid>" (state dir under /tmp) and checks what the
 * kernel holds with `nft`, then that the table is gone once the last
 * forward/masquerade is. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "cleanup.h"
#include "netlink.h"
#include "nft.h"
#include "unit.h"
#include "util.h"

static char table[32], state_dir[64];
static struct podnet_ctx ctx;

__attribute__((constructor(101))) static void setup(void) {
  snprintf(table, sizeof(table), "nfu%d", (int)getpid());
  snprintf(state_dir, sizeof(state_dir), "/tmp/nfu%d.state", (int)getpid());
  ctx.state_dir = state_dir;
  ctx.nft_table = table;
}

/* Whatever happens, no table and no state dir stay behind. */
__attribute__((destructor)) static void teardown(void) {
  char cmd[256];
  snprintf(cmd, sizeof(cmd), "nft delete table ip %s 2>/dev/null; rm -rf %s", table, state_dir);
  if (system(cmd) < 0)
    perror("cleanup");
}

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...) {
  char cmd[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(cmd, sizeof(cmd), fmt, ap);
  va_end(ap);
  int r = system(cmd);
  return WIFEXITED(r) ? WEXITSTATUS(r) : -1;
}

static bool table_exists(void) {
  return sh("nft list table ip %s >/dev/null 2>&1", table) == 0;
}

/* The kernel holds an element with that key and that data (as `nft`
 * prints them; the comment sits between the two). */
static bool nft_has(const char *set, const char *key, const char *data) {
  return sh("nft list map ip %s %s 2>/dev/null | grep -F -- '%s' | grep -qF -- '%s'", table, set,
            key, data) == 0;
}

static struct nft_forward fwd(int proto, const char *host_ip, int first, int last, const char *to,
                              int to_port, const char *id) {
  struct nft_forward f = {.proto = proto,
                          .host_port_first = (uint16_t)first,
                          .host_port_last = (uint16_t)last,
                          .to_port = (uint16_t)to_port};
  inet_pton(AF_INET, host_ip ? host_ip : "0.0.0.0", &f.host_ip);
  inet_pton(AF_INET, to, &f.to_ip);
  snprintf(f.id, sizeof(f.id), "%s", id ? id : "");
  return f;
}

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

TEST(port_range_parse) {
  uint16_t a, b;
  cleanup_error pk_error *err = NULL;
  CHECK(nft_port_range_parse("8080", &a, &b, &err) == 0 && a == 8080 && b == 8080);
  CHECK(nft_port_range_parse("1-65535", &a, &b, &err) == 0 && a == 1 && b == 65535);
  const char *bad[] = {"0", "65536", "", "-1", "1-", "a", "80x", "9-8", "1--2", "123456"};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    cleanup_error pk_error *e = NULL;
    CHECK(nft_port_range_parse(bad[i], &a, &b, &e) < 0);
    CHECK(e && e->errnum == EINVAL && strstr(e->msg, bad[i]));
  }
  cleanup_error pk_error *e = NULL;
  nft_port_range_parse("0", &a, &b, &e);
  CHECK_STREQ(e ? e->msg : NULL, "invalid port \"0\" (expected 1-65535 or P1-P2)");
}

TEST(proto_parse) {
  int p;
  cleanup_error pk_error *err = NULL;
  CHECK(nft_proto_parse("tcp", &p, &err) == 0 && p == IPPROTO_TCP);
  CHECK(nft_proto_parse("udp", &p, &err) == 0 && p == IPPROTO_UDP);
  CHECK(nft_proto_parse("sctp", &p, &err) < 0);
  CHECK_STREQ(err ? err->msg : NULL, "invalid protocol \"sctp\" (expected tcp or udp)");
}

TEST(addr_port_parse) {
  struct in_addr ip;
  uint16_t port;
  char buf[INET_ADDRSTRLEN];
  cleanup_error pk_error *err = NULL;
  CHECK(nft_addr_port_parse("10.214.0.2:8000", "--to", &ip, &port, &err) == 0);
  CHECK_STREQ(inet_ntop(AF_INET, &ip, buf, sizeof(buf)), "10.214.0.2");
  CHECK(port == 8000);
  const char *bad[] = {"10.214.0.2",   "10.214.0.2:",      ":80",          "10.214.0:80",
                       "10.214.0.2:0", "10.214.0.2:70000", "300.1.1.1:80", "x:80"};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    cleanup_error pk_error *e = NULL;
    CHECK(nft_addr_port_parse(bad[i], "--to", &ip, &port, &e) < 0);
    CHECK(e && str_has_prefix(e->msg, "--to: "));
  }
  cleanup_error pk_error *e = NULL;
  CHECK(nft_ipv4_parse("1.2.3", "--host-ip", &ip, &e) < 0);
  CHECK_STREQ(e ? e->msg : NULL, "--host-ip: invalid IPv4 address \"1.2.3\"");
}

TEST(forward_add_list_del) {
  cleanup_error pk_error *err = NULL;
  struct nft_forward f = fwd(IPPROTO_TCP, NULL, 19999, 19999, "10.214.0.2", 8000, "web1");
  CHECK(!table_exists());
  CHECK(nft_forward_add(&ctx, &f, &err) == 0);
  if (err)
    printf("# %s\n", err->msg);
  CHECK(table_exists());
  /* The kernel holds the element and the rules that use the maps. */
  CHECK(nft_has("fwd_any", "tcp . 19999 ", ": 10.214.0.2 . 8000"));
  CHECK(sh("nft list chain ip %s prerouting | grep -q 'fib daddr type local'", table) == 0);
  CHECK(sh("nft list chain ip %s output | grep -q 'dnat'", table) == 0);
  CHECK(sh("nft list chain ip %s postrouting | grep -q 'masquerade'", table) == 0);

  struct nft_forward *v = NULL;
  size_t n = 0;
  CHECK(nft_forward_list(&ctx, &v, &n, &err) == 0);
  CHECK(n == 1);
  if (n == 1) {
    CHECK(v[0].proto == IPPROTO_TCP && v[0].host_port_first == 19999 &&
          v[0].host_port_last == 19999 && v[0].to_port == 8000 &&
          v[0].to_ip.s_addr == f.to_ip.s_addr && v[0].host_ip.s_addr == 0);
    CHECK_STREQ(v[0].id, "web1");
  }
  free(v);

  /* Same port again: refused, and nothing changes. */
  struct nft_forward dup = fwd(IPPROTO_TCP, NULL, 19999, 19999, "10.214.0.9", 9000, "other");
  CHECK(nft_forward_add(&ctx, &dup, &err) < 0);
  CHECK_STREQ(err ? err->msg : NULL, "host port 19999/tcp is already forwarded");
  CHECK(err && err->errnum == EEXIST);
  error_free(&err);
  CHECK(nft_has("fwd_any", "tcp . 19999 ", ": 10.214.0.2 . 8000"));
  CHECK(!nft_has("fwd_any", "", "10.214.0.9"));

  /* Same port, udp: a different forward. */
  struct nft_forward u = fwd(IPPROTO_UDP, NULL, 19999, 19999, "10.214.0.2", 5353, NULL);
  CHECK(nft_forward_add(&ctx, &u, &err) == 0);
  CHECK(nft_has("fwd_any", "udp . 19999 ", ": 10.214.0.2 . 5353"));

  CHECK(nft_forward_del(&ctx, &f, &err) == 0);
  CHECK(!nft_has("fwd_any", "tcp . 19999 ", ""));
  CHECK(nft_forward_del(&ctx, &f, &err) < 0);
  CHECK_STREQ(err ? err->msg : NULL, "host port 19999/tcp is not forwarded");
  error_free(&err);
  CHECK(table_exists()); /* the udp one is left */
  CHECK(nft_forward_del(&ctx, &u, &err) == 0);
  CHECK(!table_exists());
  if (err)
    printf("# %s\n", err->msg);
}

TEST(forward_range_and_host_ip) {
  cleanup_error pk_error *err = NULL;
  struct nft_forward r = fwd(IPPROTO_TCP, NULL, 20000, 20009, "10.214.0.3", 9000, "rng");
  struct nft_forward h = fwd(IPPROTO_TCP, "127.0.0.2", 20000, 20000, "10.214.0.4", 80, "hip");
  CHECK(nft_forward_add(&ctx, &r, &err) == 0);
  CHECK(nft_has("fwd_any", "tcp . 20000 ", ": 10.214.0.3 . 9000"));
  CHECK(nft_has("fwd_any", "tcp . 20009 ", ": 10.214.0.3 . 9009"));
  /* Same port on one address is not the any-address forward. */
  CHECK(nft_forward_add(&ctx, &h, &err) == 0);
  CHECK(nft_has("fwd_ip", "127.0.0.2 . tcp . 20000 ", ": 10.214.0.4 . 80"));
  /* Overlapping range: all or nothing. */
  struct nft_forward o = fwd(IPPROTO_TCP, NULL, 20005, 20015, "10.214.0.5", 1000, NULL);
  CHECK(nft_forward_add(&ctx, &o, &err) < 0);
  CHECK(err && err->errnum == EEXIST);
  error_free(&err);
  CHECK(!nft_has("fwd_any", "tcp . 20015 ", ""));

  struct nft_forward *v = NULL;
  size_t n = 0;
  CHECK(nft_forward_list(&ctx, &v, &n, &err) == 0 && n == 2);
  if (n == 2) {
    CHECK(v[0].host_ip.s_addr == 0 && v[0].host_port_first == 20000 &&
          v[0].host_port_last == 20009 && v[0].to_port == 9000);
    CHECK_STREQ(v[0].id, "rng");
    CHECK(v[1].host_ip.s_addr == h.host_ip.s_addr && v[1].to_port == 80);
    CHECK_STREQ(v[1].id, "hip");
  }
  free(v);

  /* A port inside the range does not name it. */
  struct nft_forward mid = fwd(IPPROTO_TCP, NULL, 20005, 20005, "0.0.0.0", 0, NULL);
  CHECK(nft_forward_del(&ctx, &mid, &err) < 0);
  CHECK(err && strstr(err->msg, "20000-20009"));
  error_free(&err);
  int removed = -1;
  CHECK(nft_forward_del_by_id(&ctx, "rng", &removed, &err) == 0 && removed == 1);
  CHECK(!nft_has("fwd_any", "tcp . 200", ""));
  CHECK(nft_forward_del_by_id(&ctx, "rng", &removed, &err) == 0 && removed == 0);
  CHECK(table_exists());
  CHECK(nft_forward_del_by_id(&ctx, "hip", &removed, &err) == 0 && removed == 1);
  CHECK(!table_exists());
}

TEST(forward_invalid) {
  cleanup_error pk_error *err = NULL;
  struct nft_forward f = fwd(IPPROTO_TCP, NULL, 65530, 65535, "10.214.0.2", 65531, NULL);
  CHECK(nft_forward_add(&ctx, &f, &err) < 0); /* 65531 + 5 > 65535 */
  error_free(&err);
  f = fwd(IPPROTO_TCP, NULL, 80, 80, "10.214.0.2", 80, "bad/id");
  CHECK(nft_forward_add(&ctx, &f, &err) < 0);
  error_free(&err);
  f = fwd(IPPROTO_ICMP, NULL, 80, 80, "10.214.0.2", 80, NULL);
  CHECK(nft_forward_add(&ctx, &f, &err) < 0);
  CHECK(!table_exists());
}

TEST(masquerade) {
  cleanup_error pk_error *err = NULL;
  struct in_addr net;
  char br[16];
  snprintf(br, sizeof(br), "nfb%d", (int)getpid() % 100000);
  inet_pton(AF_INET, "10.214.0.7", &net);
  CHECK(nft_masquerade_add(&ctx, br, net, 24, &err) == 0);
  if (err)
    printf("# %s\n", err->msg);
  CHECK(nft_masquerade_add(&ctx, br, net, 24, &err) == 0); /* idempotent */
  CHECK(sh("nft list chain ip %s masq-%s | grep -c 'meta mark set' | grep -qx 1", table, br) == 0);
  CHECK(sh("nft list chain ip %s masq-%s | grep -q '10.214.0.0/24'", table, br) == 0);
  CHECK(nft_has("masq_bridges", br, "jump masq-"));
  CHECK(sh("nft list set ip %s hairpin | grep -qF '\"%s\" . \"%s\"'", table, br, br) == 0);
  CHECK(nft_masquerade_del(&ctx, br, &err) == 0);
  CHECK(!table_exists());
  CHECK(nft_masquerade_del(&ctx, br, &err) == 0); /* nothing left: fine */
  if (err)
    printf("# %s\n", err->msg);
}

/* Real traffic: a netns behind a bridge reaches a server on another link
 * that has no route back to the bridge's subnet only while the bridge is
 * masqueraded. */
TEST(masquerade_traffic) {
  cleanup_error pk_error *err = NULL;
  int id = (int)getpid() % 100000, x = (int)getpid() % 250 + 1;
  char br[16], in[16], out[16];
  struct in_addr net;
  snprintf(br, sizeof(br), "nfq%dbr", id);
  snprintf(in, sizeof(in), "nfq%di", id);
  snprintf(out, sizeof(out), "nfq%do", id);
  CHECK(sh("set -e; echo 1 >/proc/sys/net/ipv4/ip_forward;"
           "ip link add %s type bridge; ip addr add 10.215.%d.1/24 dev %s; ip link set %s up;"
           "ip netns add %s; ip link add %sv type veth peer name eth0 netns %s;"
           "ip link set %sv master %s up; ip -n %s addr add 10.215.%d.2/24 dev eth0;"
           "ip -n %s link set eth0 up; ip -n %s route add default via 10.215.%d.1;"
           "ip netns add %s; ip link add %sv type veth peer name eth0 netns %s;"
           "ip addr add 10.216.%d.1/24 dev %sv; ip link set %sv up;"
           "ip -n %s addr add 10.216.%d.2/24 dev eth0; ip -n %s link set eth0 up;"
           "ip -n %s link set lo up; mkdir -p %s/www; echo masq-ok >%s/www/index.html;"
           "ip netns exec %s /bin/busybox httpd -p 8000 -h %s/www",
           br, x, br, br, in, in, in, in, br, in, x, in, in, x, out, out, out, x, out, out, out, x,
           out, out, state_dir, state_dir, out, state_dir) == 0);
  /* The server has no route to 10.215.x.0/24: unanswerable unmasqueraded. */
  CHECK(sh("ip netns exec %s curl -s --max-time 2 http://10.216.%d.2:8000/ >/dev/null", in, x) !=
        0);
  inet_pton(AF_INET, "10.215.0.0", &net);
  net.s_addr |= htonl((uint32_t)x << 8);
  CHECK(nft_masquerade_add(&ctx, br, net, 24, &err) == 0);
  if (err)
    printf("# %s\n", err->msg);
  int ok = 0;
  for (int i = 0; i < 5 && !ok; i++)
    ok = sh("ip netns exec %s curl -s --max-time 3 http://10.216.%d.2:8000/ | grep -q masq-ok", in,
            x) == 0;
  CHECK(ok);
  /* Traffic inside the subnet keeps its source address. */
  CHECK(sh("nft list chain ip %s masq-%s | grep -q 'oifname != \"%s\"'", table, br, br) == 0);
  CHECK(nft_masquerade_del(&ctx, br, &err) == 0);
  CHECK(!table_exists());
  CHECK(sh("ip netns exec %s curl -s --max-time 2 http://10.216.%d.2:8000/ >/dev/null", in, x) !=
        0);
  sh("for p in $(ip netns pids %s); do kill -9 $p; done; ip netns del %s; ip netns del %s;"
     "ip link del %s; ip link del %sv 2>/dev/null; ip link del %sv 2>/dev/null; true",
     out, out, in, br, in, out);
  CHECK(sh("ip link show %s >/dev/null 2>&1", br) != 0);
}

/* Adding the 1000th forward costs what the first did: one batch of map
 * elements, no rule per forward; removing one container's forwards among
 * 1000 (a detach) goes through the index, not a dump. */
TEST(thousand_forwards) {
  cleanup_error pk_error *err = NULL;
  double t_first = 0, t_last = 0, t_early = 0;
  int ok = 1;
  for (int i = 0; i < 1000 && ok; i++) {
    char id[16];
    snprintf(id, sizeof(id), "c%d", i);
    struct nft_forward f = fwd(IPPROTO_TCP, NULL, 30000 + i, 30000 + i, "10.214.1.2", 8000, id);
    double t0 = now_ms();
    ok = nft_forward_add(&ctx, &f, &err) == 0;
    double dt = now_ms() - t0;
    if (i == 0)
      t_first = dt;
    else if (i < 10)
      t_early += dt / 9;
    if (i == 999)
      t_last = dt;
  }
  CHECK(ok);
  if (err)
    printf("# %s\n", err->msg);
  printf("# nft_forward_add: 1st %.3f ms (creates the table), 2nd-10th mean %.3f ms, 1000th "
         "%.3f ms\n",
         t_first, t_early, t_last);
  struct nft_forward *v = NULL;
  size_t n = 0;
  double t0 = now_ms();
  CHECK(nft_forward_list(&ctx, &v, &n, &err) == 0 && n == 1000);
  double t_list = now_ms() - t0;
  free(v);
  int removed = 0;
  t0 = now_ms();
  CHECK(nft_forward_del_by_id(&ctx, "c500", &removed, &err) == 0 && removed == 1);
  double t_del = now_ms() - t0;
  t0 = now_ms();
  CHECK(nft_forward_del_by_id(&ctx, "nobody", &removed, &err) == 0 && removed == 0);
  double t_none = now_ms() - t0;
  printf("# list 1000: %.3f ms; del_by_id of 1 among 1000: %.3f ms, of an id without "
         "forwards: %.3f ms\n",
         t_list, t_del, t_none);
  CHECK(!nft_has("fwd_any", "tcp . 30500 ", ""));
  CHECK(nft_has("fwd_any", "tcp . 30501 ", ": 10.214.1.2 . 8000"));
  CHECK(sh("nft delete table ip %s", table) == 0);
  CHECK(sh("rm -rf %s/forwards", state_dir) == 0);
}

/* The index is a shortcut, the element comments are the truth. */
TEST(owner_index) {
  cleanup_error pk_error *err = NULL;
  struct nft_forward a = fwd(IPPROTO_TCP, NULL, 21000, 21000, "10.214.2.2", 80, "own1");
  struct nft_forward b = fwd(IPPROTO_UDP, "127.0.0.3", 21001, 21003, "10.214.2.2", 53, "own1");
  int removed = -1;
  CHECK(nft_forward_add(&ctx, &a, &err) == 0 && nft_forward_add(&ctx, &b, &err) == 0);
  CHECK(sh("grep -qx 'tcp 0.0.0.0 21000 21000' %s/forwards/own1", state_dir) == 0);
  CHECK(sh("grep -qx 'udp 127.0.0.3 21001 21003' %s/forwards/own1", state_dir) == 0);
  /* del by port drops its line */
  CHECK(nft_forward_del(&ctx, &a, &err) == 0);
  CHECK(sh("grep -q tcp %s/forwards/own1", state_dir) != 0);
  CHECK(nft_forward_add(&ctx, &a, &err) == 0);
  CHECK(nft_forward_del_by_id(&ctx, "own1", &removed, &err) == 0 && removed == 2);
  CHECK(sh("test -e %s/forwards/own1", state_dir) != 0);
  CHECK(!table_exists());

  /* stale index: an element removed behind podnet's back */
  CHECK(nft_forward_add(&ctx, &a, &err) == 0 && nft_forward_add(&ctx, &b, &err) == 0);
  CHECK(sh("nft delete element ip %s fwd_any '{ tcp . 21000 }'", table) == 0);
  CHECK(nft_forward_del_by_id(&ctx, "own1", &removed, &err) == 0 && removed == 1);
  CHECK(!table_exists());

  /* no index (another state dir made it): only the scan finds it */
  CHECK(nft_forward_add(&ctx, &a, &err) == 0);
  CHECK(sh("rm %s/forwards/own1", state_dir) == 0);
  CHECK(nft_forward_del_by_id(&ctx, "own1", &removed, &err) == 0 && removed == 0);
  CHECK(table_exists());
  CHECK(nft_forward_del_by_id_scan(&ctx, "own1", &removed, &err) == 0 && removed == 1);
  CHECK(!table_exists());
  if (err)
    printf("# %s\n", err->msg);
}

/* One shared netfilter socket: an id without forwards opens none; adding
 * leaves nothing whose release waits (the socket is closed, not handed
 * over); a deletion does, and the fd handed over is a working socket.  A
 * dump stopped early (table_delete_if_empty) does not disturb the next
 * call on the same socket. */
TEST(shared_socket) {
  cleanup_error pk_error *err = NULL;
  struct nft_forward a = fwd(IPPROTO_TCP, NULL, 22000, 22000, "10.214.3.2", 80, "sock1");
  struct nft_forward b = fwd(IPPROTO_TCP, NULL, 22001, 22001, "10.214.3.2", 81, "sock2");
  int removed = -1, fd;

  fd = nft_sock_take_fd(); /* what earlier tests left */
  if (fd >= 0)
    close(fd);
  CHECK(nft_sock_take_fd() == -1);
  CHECK(nft_forward_del_by_id(&ctx, "nobody", &removed, &err) == 0 && removed == 0);
  CHECK(nft_sock_take_fd() == -1); /* no socket was opened */

  /* the first forward creates the table (chains, rules: conservatively a
   * deferred cleanup); a further one only adds elements */
  CHECK(nft_forward_add(&ctx, &b, &err) == 0);
  fd = nft_sock_take_fd();
  if (fd >= 0)
    close(fd);
  CHECK(nft_forward_add(&ctx, &a, &err) == 0);
  CHECK(nft_sock_take_fd() == -1); /* only an element added: closed here */

  /* the table stays (b is left): its emptiness check stops a dump early */
  CHECK(nft_forward_del_by_id(&ctx, "sock1", &removed, &err) == 0 && removed == 1);
  CHECK(!nft_has("fwd_any", "tcp . 22000 ", ""));
  /* the same socket still answers correctly after the stopped dump */
  struct nft_forward *v = NULL;
  size_t n = 0;
  CHECK(nft_forward_list(&ctx, &v, &n, &err) == 0 && n == 1 && v[0].host_port_first == 22001);
  free(v);
  fd = nft_sock_take_fd();
  CHECK(fd >= 3);
  CHECK(fcntl(fd, F_GETFD) >= 0);
  nl_background(0, fd);
  CHECK(fcntl(fd, F_GETFD) < 0); /* handed over */
  CHECK(nft_sock_take_fd() == -1);
  /* a new socket for the next call */
  CHECK(nft_forward_del_by_id(&ctx, "sock2", &removed, &err) == 0 && removed == 1);
  CHECK(!table_exists());
  if (err)
    printf("# %s\n", err->msg);
}
