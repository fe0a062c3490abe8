/* SPDX-License-Identifier: MIT
 * podnet's port forwards and masquerade in one nftables table of its own,
 * spoken over nfnetlink with libmnl + libnftnl.
 *
 * Layout of table ip <ctx->nft_table>:
 *
 *   map fwd_any      inet_proto . inet_service : ipv4_addr . inet_service
 *   map fwd_ip       ipv4_addr . inet_proto . inet_service : ipv4_addr . inet_service
 *   set hairpin      ifname . ifname
 *   map masq_bridges ifname : verdict (jump masq-BRIDGE)
 *
 *   chain prerouting (nat, prerouting, dstnat) and
 *   chain output     (nat, output, dstnat):
 *     dnat ip to ip daddr . meta l4proto . th dport map @fwd_ip
 *     fib daddr type local dnat ip to meta l4proto . th dport map @fwd_any
 *   chain forward    (filter, forward, 0):
 *     ct state new ct status dnat iifname . oifname @hairpin meta mark |= 0x2000
 *     ct state new iifname vmap @masq_bridges
 *   chain masq-BRIDGE:
 *     ip saddr NET/LEN oifname != BRIDGE meta mark |= 0x2000
 *   chain postrouting (nat, postrouting, srcnat):
 *     ct status dnat ip saddr 127.0.0.0/8 masquerade   (host -> 127.0.0.1:P)
 *     meta mark & 0x2000 == 0x2000 masquerade
 *
 * Every rule is a hash lookup, so a new connection costs the same with one
 * forward or ten thousand, and adding a forward is one batch of map elements.
 * A port range is expanded into one element per port (hash maps, no
 * interval lookups on the packet path).  Each element carries a comment
 * "ports=FIRST-LAST[ id=ID]" so list/del can rebuild the forward and its
 * owner without state files.  Callers serialize on a lock file in the state
 * dir so that "table is empty -> delete it" cannot race with an add. */
#include "nft.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <libmnl/libmnl.h>
#include <libnftnl/batch.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <libnftnl/udata.h>

#include "cleanup.h"
#include "util.h"

/* nftables' set userdata (NFTNL_UDATA_SET_KEYBYTEORDER value) */
#define BYTEORDER_HOST_ENDIAN 1

#define SET_FWD "fwd_any"
#define SET_FWD_IP "fwd_ip"
#define SET_HAIRPIN "hairpin"
#define SET_MASQ "masq_bridges"
#define MASQ_CHAIN_PREFIX "masq-"

/* nftables' userspace datatype numbers (src/datatype.h), so that `nft list`
 * prints the maps with their real types; concatenations shift by 6 bits. */
#define DT_IPADDR 7
#define DT_INET_PROTO 12
#define DT_INET_SERVICE 13
#define DT_IFNAME 41
#define DT_CONCAT2(a, b) (((a) << 6) | (b))
#define DT_CONCAT3(a, b, c) (((((a) << 6) | (b)) << 6) | (c))

/* include/uapi/linux/netfilter_ipv4.h, which clashes with <netinet/in.h> */
#define PRIO_NAT_DST (-100)
#define PRIO_NAT_SRC 100
#define PRIO_FILTER 0

/* The packet mark bit meaning "masquerade me", set in the forward hook and
 * acted on in postrouting: the bit CNI's portmap and netavark use for the
 * same purpose, so that sharing a host with them changes nothing. */
#define MASQ_MARK 0x2000u

#define FWD_KEY_LEN 8     /* proto(1+3 pad) . port(2+2 pad) */
#define FWD_IP_KEY_LEN 12 /* addr(4) . proto(4) . port(4) */
#define FWD_DATA_LEN 8    /* addr(4) . port(2+2 pad) */

/* Elements per NEWSETELEM message: a 65535-port range stays a few hundred
 * messages, each well inside one batch page. */
#define ELEMS_PER_MSG 256
#define BATCH_PAGE (256 * 1024)
#define BATCH_OVERRUN (256 * 1024)

static const char *proto_name(int proto) {
  return proto == IPPROTO_UDP ? "udp" : proto == IPPROTO_TCP ? "tcp" : "?";
}

/* ---------- parsers ---------- */

static int port_parse_one(const char *s, size_t len, uint16_t *out) {
  unsigned long v = 0;
  if (len == 0 || len > 5)
    return -1;
  for (size_t i = 0; i < len; i++) {
    if (s[i] < '0' || s[i] > '9')
      return -1;
    v = v * 10 + (unsigned long)(s[i] - '0');
  }
  if (v < 1 || v > 65535)
    return -1;
  *out = (uint16_t)v;
  return 0;
}

int nft_port_range_parse(const char *s, uint16_t *first, uint16_t *last, pk_error **err) {
  const char *dash;
  uint16_t a, b;

  if (s == NULL)
    s = "";
  dash = strchr(s, '-');
  if (dash == NULL) {
    if (port_parse_one(s, strlen(s), &a) < 0)
      return error_set_code(err, EINVAL, "invalid port \"%s\" (expected 1-65535 or P1-P2)", s);
    *first = *last = a;
    return 0;
  }
  if (port_parse_one(s, (size_t)(dash - s), &a) < 0 ||
      port_parse_one(dash + 1, strlen(dash + 1), &b) < 0)
    return error_set_code(err, EINVAL, "invalid port \"%s\" (expected 1-65535 or P1-P2)", s);
  if (a > b)
    return error_set_code(err, EINVAL,
                          "invalid port range \"%s\": the first port is above the last", s);
  *first = a;
  *last = b;
  return 0;
}

int nft_proto_parse(const char *s, int *proto, pk_error **err) {
  if (s && strcmp(s, "tcp") == 0)
    *proto = IPPROTO_TCP;
  else if (s && strcmp(s, "udp") == 0)
    *proto = IPPROTO_UDP;
  else
    return error_set_code(err, EINVAL, "invalid protocol \"%s\" (expected tcp or udp)", s ? s : "");
  return 0;
}

int nft_ipv4_parse(const char *s, const char *what, struct in_addr *out, pk_error **err) {
  /* inet_pton alone accepts nothing but dotted quads, which is what we want:
   * "10.1" or "0x0a000001" are typos here, not addresses. */
  if (s == NULL || inet_pton(AF_INET, s, out) != 1)
    return error_set_code(err, EINVAL, "%s: invalid IPv4 address \"%s\"", what, s ? s : "");
  return 0;
}

int nft_addr_port_parse(const char *s, const char *what, struct in_addr *ip, uint16_t *port,
                        pk_error **err) {
  const char *colon = s ? strrchr(s, ':') : NULL;
  char host[INET_ADDRSTRLEN];
  size_t hlen;

  if (colon == NULL)
    return error_set_code(err, EINVAL, "%s: invalid address \"%s\" (expected IP:PORT)", what,
                          s ? s : "");
  hlen = (size_t)(colon - s);
  if (hlen == 0 || hlen >= sizeof(host))
    return error_set_code(err, EINVAL, "%s: invalid address \"%s\" (expected IP:PORT)", what, s);
  memcpy(host, s, hlen);
  host[hlen] = '\0';
  if (inet_pton(AF_INET, host, ip) != 1)
    return error_set_code(err, EINVAL, "%s: invalid IPv4 address \"%s\" in \"%s\"", what, host, s);
  if (port_parse_one(colon + 1, strlen(colon + 1), port) < 0)
    return error_set_code(err, EINVAL, "%s: invalid port \"%s\" in \"%s\" (expected 1-65535)", what,
                          colon + 1, s);
  return 0;
}

const char *nft_forward_host_str(const struct nft_forward *fw, char *buf, size_t len) {
  char ip[INET_ADDRSTRLEN];
  inet_ntop(AF_INET, &fw->host_ip, ip, sizeof(ip));
  if (fw->host_port_first == fw->host_port_last)
    snprintf(buf, len, "%s:%u/%s", ip, fw->host_port_first, proto_name(fw->proto));
  else
    snprintf(buf, len, "%s:%u-%u/%s", ip, fw->host_port_first, fw->host_port_last,
             proto_name(fw->proto));
  return buf;
}

void *nft_forward_json(const struct nft_forward *fw) {
  char hip[INET_ADDRSTRLEN], tip[INET_ADDRSTRLEN];
  unsigned span = (unsigned)(fw->host_port_last - fw->host_port_first);
  inet_ntop(AF_INET, &fw->host_ip, hip, sizeof(hip));
  inet_ntop(AF_INET, &fw->to_ip, tip, sizeof(tip));
  return json_pack("{s:s, s:i, s:i, s:s, s:s, s:i, s:i, s:s}", "host_ip", hip, "host_port",
                   (int)fw->host_port_first, "host_port_last", (int)fw->host_port_last, "proto",
                   proto_name(fw->proto), "to_ip", tip, "to_port", (int)fw->to_port, "to_port_last",
                   (int)(fw->to_port + span), "id", fw->id);
}

/* ---------- checks shared by the entry points ---------- */

static int table_name_check(const struct podnet_ctx *ctx, pk_error **err) {
  const char *t = ctx->nft_table;
  size_t len = t ? strlen(t) : 0;
  if (len == 0 || len > 64)
    return error_set_code(err, EINVAL, "invalid nft table name \"%s\" (1-64 characters)",
                          t ? t : "");
  for (size_t i = 0; i < len; i++) {
    char c = t[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
          c == '-'))
      return error_set_code(
          err, EINVAL, "invalid nft table name \"%s\" (expected letters, digits, '_', '-')", t);
  }
  return 0;
}

static int forward_check(const struct nft_forward *fw, pk_error **err) {
  char buf[64];
  if (fw->proto != IPPROTO_TCP && fw->proto != IPPROTO_UDP)
    return error_set_code(err, EINVAL, "invalid protocol %d (expected tcp or udp)", fw->proto);
  if (fw->host_port_first == 0 || fw->host_port_last < fw->host_port_first)
    return error_set_code(err, EINVAL, "invalid host port range %u-%u", fw->host_port_first,
                          fw->host_port_last);
  if (fw->to_port == 0 ||
      (unsigned)fw->to_port + (fw->host_port_last - fw->host_port_first) > 65535)
    return error_set_code(err, EINVAL,
                          "forward %s: destination port %u plus the range size exceeds 65535",
                          nft_forward_host_str(fw, buf, sizeof(buf)), fw->to_port);
  if (fw->to_ip.s_addr == INADDR_ANY)
    return error_set_code(err, EINVAL, "forward destination 0.0.0.0 is not an address");
  if (fw->id[0] && id_validate(fw->id, "forward id", err) < 0)
    return -1;
  return 0;
}

/* ---------- lock ---------- */

/* An exclusive flock on STATE_DIR/nft-TABLE.lock for the whole operation:
 * without it, "the last forward is gone, delete the table" could delete the
 * element another podnet is adding at the same moment. */
static int lock_take(const struct podnet_ctx *ctx, int *fd_out, pk_error **err) {
  cleanup_free char *path = NULL;
  const char *dir = ctx->state_dir ? ctx->state_dir : PODNET_DEFAULT_STATE_DIR;
  int fd;

  if (mkdir_p(dir, 0755, err) < 0)
    return error_wrap(err, "state dir");
  if (asprintf(&path, "%s/nft-%s.lock", dir, ctx->nft_table) < 0)
    return error_set(err, ENOMEM, "lock path");
  fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0)
    return error_set(err, errno, "open %s", path);
  while (flock(fd, LOCK_EX) < 0) {
    if (errno != EINTR) {
      int e = errno;
      close(fd);
      return error_set(err, e, "lock %s", path);
    }
  }
  *fd_out = fd;
  return 0;
}

/* ---------- netlink socket ---------- */

static void mnl_closep(struct mnl_socket **nl) {
  if (*nl)
    mnl_socket_close(*nl);
}
#define cleanup_mnl __attribute__((cleanup(mnl_closep)))

static uint32_t seq_next(void) {
  static uint32_t seq;
  if (seq == 0)
    seq = (uint32_t)time(NULL) << 8;
  return ++seq;
}

/* One netfilter socket per process, shared by every call and closed only by
 * nft_sock_take_fd() or exit: releasing a netfilter socket makes the kernel
 * flush the deferred cleanup of every committed transaction (an RCU grace
 * period, 5-16 ms) even though the transaction took effect when it was
 * acked.  Sharing it means one such wait at most, and that one can be
 * handed to another process. */
static struct mnl_socket *nfnl_shared;
/* A transaction committed through it left cleanup that its release waits
 * for. */
static bool nfnl_deferred;

/* Whatever an earlier call left unread (acks after an error, the rest of a
 * dump it stopped early) must not be taken for this call's answers.
 * Reading a dump in progress makes the kernel produce its next part, so
 * this ends with the socket idle. */
static void nfnl_drain(struct mnl_socket *nl) {
  char buf[MNL_SOCKET_BUFFER_SIZE];
  for (;;) {
    ssize_t n = recv(mnl_socket_get_fd(nl), buf, sizeof(buf), MSG_DONTWAIT);
    if (n <= 0 && !(n < 0 && errno == EINTR))
      return;
  }
}

static int nfnl_open(struct mnl_socket **out, pk_error **err) {
  struct mnl_socket *nl;
  int one = 1;
  struct timeval tv = {.tv_sec = 30};

  if (nfnl_shared) {
    nfnl_drain(nfnl_shared);
    *out = nfnl_shared;
    return 0;
  }
  nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
  if (nl == NULL)
    return error_set(err, errno, "open netfilter netlink socket");
  if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
    int e = errno;
    mnl_socket_close(nl);
    return error_set(err, e, "bind netfilter netlink socket");
  }
  /* Acks without a copy of the request keep a big batch's answers small. */
  mnl_socket_setsockopt(nl, NETLINK_CAP_ACK, &one, sizeof(one));
  mnl_socket_setsockopt(nl, NETLINK_EXT_ACK, &one, sizeof(one));
  /* A kernel that never answers must not hang a hook forever. */
  setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  nfnl_shared = nl;
  *out = nl;
  return 0;
}

int nft_sock_take_fd(void) {
  int fd;
  if (nfnl_shared == NULL)
    return -1;
  if (!nfnl_deferred) { /* releasing it costs nothing */
    mnl_socket_close(nfnl_shared);
    nfnl_shared = NULL;
    return -1;
  }
  nfnl_deferred = false;
  /* libmnl closes the fd it frees: a dup keeps the socket alive */
  fd = fcntl(mnl_socket_get_fd(nfnl_shared), F_DUPFD_CLOEXEC, 3);
  mnl_socket_close(nfnl_shared);
  nfnl_shared = NULL;
  return fd;
}

/* ---------- batches ---------- */

enum msg_kind {
  MK_SKELETON, /* table, chains, sets, rules of a first use */
  MK_TABLE,
  MK_FWD_ELEM, /* the forward's own map elements */
  MK_OTHER,
};

struct batch {
  struct nftnl_batch *b;
  uint32_t *seqs;
  enum msg_kind *kinds;
  size_t n, cap;
  uint32_t set_id; /* NFTA_SET_ID of sets created in this batch */
  bool defers;     /* holds a message whose commit leaves deferred cleanup */
};

static void batch_free(struct batch *bt) {
  if (bt->b)
    nftnl_batch_free(bt->b);
  free(bt->seqs);
  free(bt->kinds);
  memset(bt, 0, sizeof(*bt));
}
#define cleanup_batch __attribute__((cleanup(batch_free)))

static int batch_init(struct batch *bt, pk_error **err) {
  memset(bt, 0, sizeof(*bt));
  bt->b = nftnl_batch_alloc(BATCH_PAGE, BATCH_OVERRUN);
  if (bt->b == NULL)
    return error_set(err, ENOMEM, "nft batch");
  nftnl_batch_begin(nftnl_batch_buffer(bt->b), seq_next());
  nftnl_batch_update(bt->b);
  return 0;
}

/* Starts a message in the batch; every one asks for an ack that
 * batch_commit checks. */
static struct nlmsghdr *batch_msg(struct batch *bt, uint16_t type, uint16_t flags,
                                  enum msg_kind kind) {
  uint32_t seq = seq_next();
  if (bt->n == bt->cap) {
    size_t cap = bt->cap ? bt->cap * 2 : 16;
    uint32_t *s = realloc(bt->seqs, cap * sizeof(*s));
    if (s == NULL)
      return NULL;
    bt->seqs = s;
    enum msg_kind *k = realloc(bt->kinds, cap * sizeof(*k));
    if (k == NULL)
      return NULL;
    bt->kinds = k;
    bt->cap = cap;
  }
  /* The kernel frees what a commit replaced or deleted only after an RCU
   * grace period, in a work item the socket's release waits for; an added
   * set element leaves nothing behind. */
  if (type != NFT_MSG_NEWSETELEM)
    bt->defers = true;
  bt->seqs[bt->n] = seq;
  bt->kinds[bt->n] = kind;
  bt->n++;
  return nftnl_nlmsg_build_hdr(nftnl_batch_buffer(bt->b), type, NFPROTO_IPV4, flags | NLM_F_ACK,
                               seq);
}

struct commit_result {
  int error;          /* first (lowest seq) errno, 0 = success */
  enum msg_kind kind; /* what that message was */
  char extack[256];
};

static int batch_commit(struct mnl_socket *nl, struct batch *bt, struct commit_result *res,
                        pk_error **err) {
  cleanup_free struct iovec *iov = NULL;
  struct sockaddr_nl snl = {.nl_family = AF_NETLINK};
  struct msghdr msg = {0};
  size_t total = 0, acks = 0;
  uint32_t err_seq = UINT32_MAX;
  int iovlen, fd = mnl_socket_get_fd(nl);
  char buf[MNL_SOCKET_BUFFER_SIZE];

  memset(res, 0, sizeof(*res));
  nftnl_batch_end(nftnl_batch_buffer(bt->b), seq_next());
  nftnl_batch_update(bt->b);

  iovlen = nftnl_batch_iovec_len(bt->b);
  iov = calloc((size_t)iovlen, sizeof(*iov));
  if (iov == NULL)
    return error_set(err, ENOMEM, "nft batch");
  nftnl_batch_iovec(bt->b, iov, (uint32_t)iovlen);
  for (int i = 0; i < iovlen; i++)
    total += iov[i].iov_len;
  /* A netlink message larger than the send buffer is refused (EMSGSIZE);
   * grow it for big port ranges (root may exceed wmem_max). */
  if (total > 128 * 1024) {
    int sz = (int)(total + 4096);
    setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sz, sizeof(sz));
  }
  /* Each ack is its own skb (~1 KiB of truesize): room for all of them. */
  if (bt->n > 64) {
    int sz = (int)(bt->n * 2048 + 65536);
    setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz));
  }
  msg.msg_name = &snl;
  msg.msg_namelen = sizeof(snl);
  msg.msg_iov = iov;
  msg.msg_iovlen = (size_t)iovlen;
  if (sendmsg(fd, &msg, 0) < 0)
    return error_set(err, errno, "send nftables batch");

  /* nfnetlink handles the batch synchronously inside sendmsg, so every
   * answer is queued by now; after an error some acks may be missing, hence
   * the non-blocking reads once one was seen. */
  while (acks < bt->n) {
    ssize_t n = recv(fd, buf, sizeof(buf), res->error ? MSG_DONTWAIT : 0);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      if (res->error && (errno == EAGAIN || errno == EWOULDBLOCK))
        break;
      return error_set(err, errno, "read nftables acks");
    }
    int len = (int)n;
    for (struct nlmsghdr *nlh = (struct nlmsghdr *)buf; mnl_nlmsg_ok(nlh, len);
         nlh = mnl_nlmsg_next(nlh, &len)) {
      if (nlh->nlmsg_type != NLMSG_ERROR)
        continue;
      const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
      acks++;
      if (e->error == 0 || nlh->nlmsg_seq >= err_seq)
        continue;
      err_seq = nlh->nlmsg_seq;
      res->error = -e->error;
      res->kind = MK_OTHER;
      for (size_t i = 0; i < bt->n; i++)
        if (bt->seqs[i] == nlh->nlmsg_seq)
          res->kind = bt->kinds[i];
      res->extack[0] = '\0';
      if (nlh->nlmsg_flags & NLM_F_ACK_TLVS) {
        size_t off = sizeof(*e); /* NETLINK_CAP_ACK: no request copy */
        const struct nlattr *a;
        mnl_attr_for_each(a, nlh, off) {
          if (mnl_attr_get_type(a) == NLMSGERR_ATTR_MSG)
            snprintf(res->extack, sizeof(res->extack), " (%s)", mnl_attr_get_str(a));
        }
      }
    }
  }
  if (!res->error && acks < bt->n)
    return error_set(err, EPROTO, "nftables batch: %zu of %zu messages acknowledged", acks, bt->n);
  if (!res->error && bt->defers)
    nfnl_deferred = true;
  return 0;
}

/* ---------- expressions ---------- */

static int rule_add(struct nftnl_rule *r, struct nftnl_expr *e) {
  if (e == NULL)
    return -1;
  nftnl_rule_add_expr(r, e);
  return 0;
}

static struct nftnl_expr *e_meta(uint32_t key, uint32_t dreg) {
  struct nftnl_expr *e = nftnl_expr_alloc("meta");
  if (e) {
    nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
    nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, dreg);
  }
  return e;
}

static struct nftnl_expr *e_payload(uint32_t base, uint32_t off, uint32_t len, uint32_t dreg) {
  struct nftnl_expr *e = nftnl_expr_alloc("payload");
  if (e) {
    nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, base);
    nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, off);
    nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, len);
    nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, dreg);
  }
  return e;
}

static struct nftnl_expr *e_cmp(uint32_t sreg, uint32_t op, const void *data, uint32_t len) {
  struct nftnl_expr *e = nftnl_expr_alloc("cmp");
  if (e) {
    nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, sreg);
    nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, op);
    nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, data, len);
  }
  return e;
}

/* reg = (reg & mask) ^ xor */
static struct nftnl_expr *e_bitwise(uint32_t reg, const void *mask, const void * xor,
                                    uint32_t len) {
  struct nftnl_expr *e = nftnl_expr_alloc("bitwise");
  if (e) {
    nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_SREG, reg);
    nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_DREG, reg);
    nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_LEN, len);
    nftnl_expr_set(e, NFTNL_EXPR_BITWISE_MASK, mask, len);
    nftnl_expr_set(e, NFTNL_EXPR_BITWISE_XOR, xor, len);
  }
  return e;
}

static struct nftnl_expr *e_mask(uint32_t reg, const void *mask, uint32_t len) {
  static const uint8_t zero[16];
  return e_bitwise(reg, mask, zero, len);
}

static struct nftnl_expr *e_meta_set(uint32_t key, uint32_t sreg) {
  struct nftnl_expr *e = nftnl_expr_alloc("meta");
  if (e) {
    nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
    nftnl_expr_set_u32(e, NFTNL_EXPR_META_SREG, sreg);
  }
  return e;
}

/* meta mark set meta mark | MASQ_MARK */
static int add_mark_masq(struct nftnl_rule *r, uint32_t reg) {
  uint32_t mask = ~(uint32_t)MASQ_MARK, xor = MASQ_MARK;
  if (rule_add(r, e_meta(NFT_META_MARK, reg)) < 0 ||
      rule_add(r, e_bitwise(reg, &mask, &xor, 4)) < 0 ||
      rule_add(r, e_meta_set(NFT_META_MARK, reg)) < 0)
    return -1;
  return 0;
}

static struct nftnl_expr *e_lookup(const char *set, uint32_t set_id, uint32_t sreg, int32_t dreg) {
  struct nftnl_expr *e = nftnl_expr_alloc("lookup");
  if (e) {
    nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET, set);
    if (set_id)
      nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SET_ID, set_id);
    nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SREG, sreg);
    if (dreg >= 0)
      nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_DREG, (uint32_t)dreg);
  }
  return e;
}

static struct nftnl_expr *e_dnat(uint32_t addr_reg, uint32_t port_reg) {
  struct nftnl_expr *e = nftnl_expr_alloc("nat");
  if (e) {
    nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_TYPE, NFT_NAT_DNAT);
    nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_FAMILY, NFPROTO_IPV4);
    nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_ADDR_MIN, addr_reg);
    nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_PROTO_MIN, port_reg);
  }
  return e;
}

static struct nftnl_expr *e_masq(void) {
  return nftnl_expr_alloc("masq");
}

static struct nftnl_expr *e_fib_daddr_type(uint32_t dreg) {
  struct nftnl_expr *e = nftnl_expr_alloc("fib");
  if (e) {
    nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_FLAGS, NFTA_FIB_F_DADDR);
    nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_RESULT, NFT_FIB_RESULT_ADDRTYPE);
    nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_DREG, dreg);
  }
  return e;
}

static struct nftnl_expr *e_ct(uint32_t key, uint32_t dreg) {
  struct nftnl_expr *e = nftnl_expr_alloc("ct");
  if (e) {
    nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, key);
    nftnl_expr_set_u32(e, NFTNL_EXPR_CT_DREG, dreg);
  }
  return e;
}

/* (ct KEY & bits) != 0, e.g. ct status dnat, ct state new */
static int add_ct_bits(struct nftnl_rule *r, uint32_t key, uint32_t bits, uint32_t reg) {
  uint32_t zero = 0;
  if (rule_add(r, e_ct(key, reg)) < 0 || rule_add(r, e_mask(reg, &bits, 4)) < 0 ||
      rule_add(r, e_cmp(reg, NFT_CMP_NEQ, &zero, 4)) < 0)
    return -1;
  return 0;
}

static int add_ct_status_dnat(struct nftnl_rule *r, uint32_t reg) {
  return add_ct_bits(r, NFT_CT_STATUS, IPS_DST_NAT, reg);
}

/* ---------- skeleton ---------- */

static void rule_freep(struct nftnl_rule **r) {
  if (*r)
    nftnl_rule_free(*r);
}
#define cleanup_rule __attribute__((cleanup(rule_freep)))
static void set_freep(struct nftnl_set **s) {
  if (*s)
    nftnl_set_free(*s);
}
#define cleanup_set __attribute__((cleanup(set_freep)))
static void chain_freep(struct nftnl_chain **c) {
  if (*c)
    nftnl_chain_free(*c);
}
#define cleanup_chain __attribute__((cleanup(chain_freep)))
static void table_freep(struct nftnl_table **t) {
  if (*t)
    nftnl_table_free(*t);
}
#define cleanup_table __attribute__((cleanup(table_freep)))

static int put_rule(struct batch *bt, struct nftnl_rule *r, enum msg_kind kind) {
  struct nlmsghdr *nlh = batch_msg(bt, NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND, kind);
  if (nlh == NULL)
    return -1;
  nftnl_rule_nlmsg_build_payload(nlh, r);
  nftnl_batch_update(bt->b);
  return 0;
}

static struct nftnl_rule *rule_new(const char *table, const char *chain) {
  struct nftnl_rule *r = nftnl_rule_alloc();
  if (r) {
    nftnl_rule_set_str(r, NFTNL_RULE_TABLE, table);
    nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, chain);
    nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, NFPROTO_IPV4);
  }
  return r;
}

static int put_chain(struct batch *bt, const char *table, const char *name, const char *type,
                     int hook, int prio, enum msg_kind kind) {
  cleanup_chain struct nftnl_chain *c = nftnl_chain_alloc();
  struct nlmsghdr *nlh;
  if (c == NULL)
    return -1;
  nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, table);
  nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, name);
  if (type) {
    nftnl_chain_set_str(c, NFTNL_CHAIN_TYPE, type);
    nftnl_chain_set_u32(c, NFTNL_CHAIN_HOOKNUM, (uint32_t)hook);
    nftnl_chain_set_s32(c, NFTNL_CHAIN_PRIO, prio);
    nftnl_chain_set_u32(c, NFTNL_CHAIN_POLICY, NF_ACCEPT);
  }
  nlh = batch_msg(bt, NFT_MSG_NEWCHAIN, NLM_F_CREATE, kind);
  if (nlh == NULL)
    return -1;
  nftnl_chain_nlmsg_build_payload(nlh, c);
  nftnl_batch_update(bt->b);
  return 0;
}

static void udata_freep(struct nftnl_udata_buf **u) {
  if (*u)
    nftnl_udata_buf_free(*u);
}

static int put_set(struct batch *bt, const char *table, const char *name, uint32_t id,
                   uint32_t flags, uint32_t ktype, uint32_t klen, uint32_t dtype, uint32_t dlen) {
  cleanup_set struct nftnl_set *s = nftnl_set_alloc();
  struct nlmsghdr *nlh;
  if (s == NULL)
    return -1;
  nftnl_set_set_str(s, NFTNL_SET_TABLE, table);
  nftnl_set_set_str(s, NFTNL_SET_NAME, name);
  nftnl_set_set_u32(s, NFTNL_SET_FAMILY, NFPROTO_IPV4);
  nftnl_set_set_u32(s, NFTNL_SET_ID, id);
  nftnl_set_set_u32(s, NFTNL_SET_FLAGS, flags);
  nftnl_set_set_u32(s, NFTNL_SET_KEY_TYPE, ktype);
  nftnl_set_set_u32(s, NFTNL_SET_KEY_LEN, klen);
  if (ktype == DT_IFNAME) {
    /* Without this `nft list` reads the name as a host-order integer and
     * prints it reversed (as ""). */
    __attribute__((cleanup(udata_freep))) struct nftnl_udata_buf *ud = nftnl_udata_buf_alloc(64);
    if (ud == NULL || !nftnl_udata_put_u32(ud, NFTNL_UDATA_SET_KEYBYTEORDER, BYTEORDER_HOST_ENDIAN))
      return -1;
    nftnl_set_set_data(s, NFTNL_SET_USERDATA, nftnl_udata_buf_data(ud), nftnl_udata_buf_len(ud));
  }
  if (flags & NFT_SET_MAP) {
    nftnl_set_set_u32(s, NFTNL_SET_DATA_TYPE, dtype);
    nftnl_set_set_u32(s, NFTNL_SET_DATA_LEN, dlen);
  }
  nlh = batch_msg(bt, NFT_MSG_NEWSET, NLM_F_CREATE, MK_SKELETON);
  if (nlh == NULL)
    return -1;
  nftnl_set_nlmsg_build_payload(nlh, s);
  nftnl_batch_update(bt->b);
  return 0;
}

/* dnat for both hooks: the host-ip map first (exact address wins), then the
 * any-address map for destinations that are one of the host's own. */
static int put_dnat_rules(struct batch *bt, const char *table, const char *chain, uint32_t id_fwd,
                          uint32_t id_fwd_ip) {
  uint32_t local = RTN_LOCAL;
  {
    cleanup_rule struct nftnl_rule *r = rule_new(table, chain);
    if (r == NULL || rule_add(r, e_payload(NFT_PAYLOAD_NETWORK_HEADER, 16, 4, NFT_REG32_00)) < 0 ||
        rule_add(r, e_meta(NFT_META_L4PROTO, NFT_REG32_01)) < 0 ||
        rule_add(r, e_payload(NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, NFT_REG32_02)) < 0 ||
        rule_add(r, e_lookup(SET_FWD_IP, id_fwd_ip, NFT_REG32_00, NFT_REG32_00)) < 0 ||
        rule_add(r, e_dnat(NFT_REG32_00, NFT_REG32_01)) < 0 || put_rule(bt, r, MK_SKELETON) < 0)
      return -1;
  }
  {
    /* The map lookup comes before the fib lookup: packets to ports nobody
     * forwards leave after one hash probe. */
    cleanup_rule struct nftnl_rule *r = rule_new(table, chain);
    if (r == NULL || rule_add(r, e_meta(NFT_META_L4PROTO, NFT_REG32_00)) < 0 ||
        rule_add(r, e_payload(NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, NFT_REG32_01)) < 0 ||
        rule_add(r, e_lookup(SET_FWD, id_fwd, NFT_REG32_00, NFT_REG32_00)) < 0 ||
        rule_add(r, e_fib_daddr_type(NFT_REG32_02)) < 0 ||
        rule_add(r, e_cmp(NFT_REG32_02, NFT_CMP_EQ, &local, 4)) < 0 ||
        rule_add(r, e_dnat(NFT_REG32_00, NFT_REG32_01)) < 0 || put_rule(bt, r, MK_SKELETON) < 0)
      return -1;
  }
  return 0;
}

static int put_skeleton(struct batch *bt, const char *table, pk_error **err) {
  cleanup_table struct nftnl_table *t = nftnl_table_alloc();
  struct nlmsghdr *nlh;
  uint32_t id = seq_next(), id_fwd = id, id_fwd_ip = id + 1, id_hairpin = id + 2, id_masq = id + 3;

  if (t == NULL)
    return error_set(err, ENOMEM, "nft table");
  nftnl_table_set_str(t, NFTNL_TABLE_NAME, table);
  nftnl_table_set_u32(t, NFTNL_TABLE_FAMILY, NFPROTO_IPV4);
  /* NLM_F_EXCL: if the table appeared meanwhile (or is someone else's), fail
   * instead of appending a second copy of the rules. */
  nlh = batch_msg(bt, NFT_MSG_NEWTABLE, NLM_F_CREATE | NLM_F_EXCL, MK_TABLE);
  if (nlh == NULL)
    return error_set(err, ENOMEM, "nft batch");
  nftnl_table_nlmsg_build_payload(nlh, t);
  nftnl_batch_update(bt->b);

  if (put_set(bt, table, SET_FWD, id_fwd, NFT_SET_MAP, DT_CONCAT2(DT_INET_PROTO, DT_INET_SERVICE),
              FWD_KEY_LEN, DT_CONCAT2(DT_IPADDR, DT_INET_SERVICE), FWD_DATA_LEN) < 0 ||
      put_set(bt, table, SET_FWD_IP, id_fwd_ip, NFT_SET_MAP,
              DT_CONCAT3(DT_IPADDR, DT_INET_PROTO, DT_INET_SERVICE), FWD_IP_KEY_LEN,
              DT_CONCAT2(DT_IPADDR, DT_INET_SERVICE), FWD_DATA_LEN) < 0 ||
      put_set(bt, table, SET_HAIRPIN, id_hairpin, 0, DT_CONCAT2(DT_IFNAME, DT_IFNAME), 2 * IFNAMSIZ,
              0, 0) < 0 ||
      put_set(bt, table, SET_MASQ, id_masq, NFT_SET_MAP, DT_IFNAME, IFNAMSIZ, NFT_DATA_VERDICT, 0) <
          0)
    return error_set(err, ENOMEM, "nft batch");

  if (put_chain(bt, table, "prerouting", "nat", NF_INET_PRE_ROUTING, PRIO_NAT_DST, MK_SKELETON) <
          0 ||
      put_chain(bt, table, "output", "nat", NF_INET_LOCAL_OUT, PRIO_NAT_DST, MK_SKELETON) < 0 ||
      put_chain(bt, table, "forward", "filter", NF_INET_FORWARD, PRIO_FILTER, MK_SKELETON) < 0 ||
      put_chain(bt, table, "postrouting", "nat", NF_INET_POST_ROUTING, PRIO_NAT_SRC, MK_SKELETON) <
          0 ||
      put_dnat_rules(bt, table, "prerouting", id_fwd, id_fwd_ip) < 0 ||
      put_dnat_rules(bt, table, "output", id_fwd, id_fwd_ip) < 0)
    return error_set(err, ENOMEM, "nft batch");

  /* Postrouting does not know the input interface (the kernel passes none
   * there), so the "which bridge did it come from" decisions are made in
   * the forward hook, which sees both, and handed on as a mark bit. */
  {
    /* Hairpin: a container reaching a forward that leads back onto its own
     * bridge would get the answer straight from the peer (or from itself),
     * not from the address it connected to; masquerade makes the reply come
     * back through the host. */
    cleanup_rule struct nftnl_rule *r = rule_new(table, "forward");
    if (r == NULL || add_ct_bits(r, NFT_CT_STATE, NF_CT_STATE_BIT(IP_CT_NEW), NFT_REG32_00) < 0 ||
        add_ct_status_dnat(r, NFT_REG32_00) < 0 ||
        rule_add(r, e_meta(NFT_META_IIFNAME, NFT_REG_1)) < 0 ||
        rule_add(r, e_meta(NFT_META_OIFNAME, NFT_REG_2)) < 0 ||
        rule_add(r, e_lookup(SET_HAIRPIN, id_hairpin, NFT_REG_1, -1)) < 0 ||
        add_mark_masq(r, NFT_REG32_00) < 0 || put_rule(bt, r, MK_SKELETON) < 0)
      return error_set(err, ENOMEM, "nft batch");
  }
  {
    /* Bridges with masquerade: jump to their chain, which checks the
     * subnet and that the packet leaves through another interface. */
    cleanup_rule struct nftnl_rule *r = rule_new(table, "forward");
    if (r == NULL || add_ct_bits(r, NFT_CT_STATE, NF_CT_STATE_BIT(IP_CT_NEW), NFT_REG32_00) < 0 ||
        rule_add(r, e_meta(NFT_META_IIFNAME, NFT_REG_1)) < 0 ||
        rule_add(r, e_lookup(SET_MASQ, id_masq, NFT_REG_1, NFT_REG_VERDICT)) < 0 ||
        put_rule(bt, r, MK_SKELETON) < 0)
      return error_set(err, ENOMEM, "nft batch");
  }
  {
    /* The host talking to 127.0.0.1:P: after DNAT the source is still
     * 127.0.0.1, which the container could not answer. */
    uint8_t lo_mask[4] = {255, 0, 0, 0}, lo_net[4] = {127, 0, 0, 0};
    cleanup_rule struct nftnl_rule *r = rule_new(table, "postrouting");
    if (r == NULL || add_ct_status_dnat(r, NFT_REG32_00) < 0 ||
        rule_add(r, e_payload(NFT_PAYLOAD_NETWORK_HEADER, 12, 4, NFT_REG32_01)) < 0 ||
        rule_add(r, e_mask(NFT_REG32_01, lo_mask, 4)) < 0 ||
        rule_add(r, e_cmp(NFT_REG32_01, NFT_CMP_EQ, lo_net, 4)) < 0 || rule_add(r, e_masq()) < 0 ||
        put_rule(bt, r, MK_SKELETON) < 0)
      return error_set(err, ENOMEM, "nft batch");
  }
  {
    uint32_t bit = MASQ_MARK;
    cleanup_rule struct nftnl_rule *r = rule_new(table, "postrouting");
    if (r == NULL || rule_add(r, e_meta(NFT_META_MARK, NFT_REG32_00)) < 0 ||
        rule_add(r, e_mask(NFT_REG32_00, &bit, 4)) < 0 ||
        rule_add(r, e_cmp(NFT_REG32_00, NFT_CMP_EQ, &bit, 4)) < 0 || rule_add(r, e_masq()) < 0 ||
        put_rule(bt, r, MK_SKELETON) < 0)
      return error_set(err, ENOMEM, "nft batch");
  }
  return 0;
}

/* ---------- elements ---------- */

static void fwd_key(const struct nft_forward *fw, uint16_t port, uint8_t *key, uint32_t *klen) {
  uint16_t p = htons(port);
  if (fw->host_ip.s_addr == INADDR_ANY) {
    memset(key, 0, FWD_KEY_LEN);
    key[0] = (uint8_t)fw->proto;
    memcpy(key + 4, &p, 2);
    *klen = FWD_KEY_LEN;
  } else {
    memset(key, 0, FWD_IP_KEY_LEN);
    memcpy(key, &fw->host_ip, 4);
    key[4] = (uint8_t)fw->proto;
    memcpy(key + 8, &p, 2);
    *klen = FWD_IP_KEY_LEN;
  }
}

static const char *fwd_set(const struct nft_forward *fw) {
  return fw->host_ip.s_addr == INADDR_ANY ? SET_FWD : SET_FWD_IP;
}

struct elem_msg {
  struct nftnl_set *s;
  size_t n;
};

static int elem_msg_flush(struct batch *bt, struct elem_msg *m, uint16_t type, uint16_t flags,
                          pk_error **err) {
  struct nlmsghdr *nlh;
  if (m->s == NULL)
    return 0;
  nlh = batch_msg(bt, type, flags, MK_FWD_ELEM);
  if (nlh == NULL)
    return error_set(err, ENOMEM, "nft batch");
  nftnl_set_elems_nlmsg_build_payload(nlh, m->s);
  nftnl_batch_update(bt->b);
  nftnl_set_free(m->s);
  m->s = NULL;
  m->n = 0;
  return 0;
}

/* NEW/DELSETELEM messages for every port of the forwards, packed
 * ELEMS_PER_MSG to a message (removing 1000 forwards is a handful of
 * messages, not 1000 acks). */
static int put_fwd_elems(struct batch *bt, const char *table, const struct nft_forward *v,
                         size_t nfw, uint16_t type, uint16_t flags, pk_error **err) {
  for (int any = 1; any >= 0; any--) {
    struct elem_msg m = {0};
    for (size_t i = 0; i < nfw; i++) {
      const struct nft_forward *fw = &v[i];
      __attribute__((cleanup(udata_freep))) struct nftnl_udata_buf *ud = NULL;
      unsigned first = fw->host_port_first, last = fw->host_port_last;

      if ((fw->host_ip.s_addr == INADDR_ANY) != any)
        continue;
      if (type == NFT_MSG_NEWSETELEM) {
        char comment[200];
        snprintf(comment, sizeof(comment), "ports=%u-%u%s%s", first, last, fw->id[0] ? " id=" : "",
                 fw->id);
        ud = nftnl_udata_buf_alloc(NFT_USERDATA_MAXLEN);
        if (ud == NULL || !nftnl_udata_put_strz(ud, NFTNL_UDATA_SET_ELEM_COMMENT, comment))
          goto nomem;
      }
      for (unsigned p = first; p <= last; p++) {
        struct nftnl_set_elem *e;
        uint8_t key[FWD_IP_KEY_LEN], data[FWD_DATA_LEN] = {0};
        uint32_t klen;
        uint16_t to = htons((uint16_t)(fw->to_port + (p - first)));

        if (m.s == NULL) {
          m.s = nftnl_set_alloc();
          if (m.s == NULL)
            goto nomem;
          nftnl_set_set_str(m.s, NFTNL_SET_TABLE, table);
          nftnl_set_set_str(m.s, NFTNL_SET_NAME, fwd_set(fw));
        }
        e = nftnl_set_elem_alloc();
        if (e == NULL)
          goto nomem;
        fwd_key(fw, (uint16_t)p, key, &klen);
        nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, key, klen);
        if (type == NFT_MSG_NEWSETELEM) {
          memcpy(data, &fw->to_ip, 4);
          memcpy(data + 4, &to, 2);
          nftnl_set_elem_set(e, NFTNL_SET_ELEM_DATA, data, FWD_DATA_LEN);
          nftnl_set_elem_set(e, NFTNL_SET_ELEM_USERDATA, nftnl_udata_buf_data(ud),
                             nftnl_udata_buf_len(ud));
        }
        nftnl_set_elem_add(m.s, e);
        if (++m.n == ELEMS_PER_MSG && elem_msg_flush(bt, &m, type, flags, err) < 0)
          goto fail;
      }
    }
    if (elem_msg_flush(bt, &m, type, flags, err) < 0)
      goto fail;
    continue;
  nomem:
    error_set(err, ENOMEM, "nft elements");
  fail:
    if (m.s)
      nftnl_set_free(m.s);
    return -1;
  }
  return 0;
}

static void ifname_pad(const char *name, uint8_t out[IFNAMSIZ]) {
  memset(out, 0, IFNAMSIZ);
  strncpy((char *)out, name, IFNAMSIZ - 1);
}

/* hairpin element DEV . DEV; without NLM_F_EXCL an existing one is fine. */
static int put_hairpin_elem(struct batch *bt, const char *table, const char *dev, pk_error **err) {
  cleanup_set struct nftnl_set *s = nftnl_set_alloc();
  struct nftnl_set_elem *e = nftnl_set_elem_alloc();
  uint8_t key[2 * IFNAMSIZ];
  struct nlmsghdr *nlh;

  if (s == NULL || e == NULL) {
    if (e)
      nftnl_set_elem_free(e);
    return error_set(err, ENOMEM, "nft elements");
  }
  nftnl_set_set_str(s, NFTNL_SET_TABLE, table);
  nftnl_set_set_str(s, NFTNL_SET_NAME, SET_HAIRPIN);
  ifname_pad(dev, key);
  ifname_pad(dev, key + IFNAMSIZ);
  nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, key, sizeof(key));
  nftnl_set_elem_add(s, e);
  nlh = batch_msg(bt, NFT_MSG_NEWSETELEM, NLM_F_CREATE, MK_OTHER);
  if (nlh == NULL)
    return error_set(err, ENOMEM, "nft batch");
  nftnl_set_elems_nlmsg_build_payload(nlh, s);
  nftnl_batch_update(bt->b);
  return 0;
}

/* ---------- reading elements ---------- */

struct elem_cb_data {
  int (*fn)(struct nftnl_set_elem *e, void *arg);
  void *arg;
  int stop; /* fn returned > 0 */
};

static int elem_msg_cb(const struct nlmsghdr *nlh, void *data) {
  struct elem_cb_data *d = data;
  cleanup_set struct nftnl_set *s = nftnl_set_alloc();
  struct nftnl_set_elems_iter *it;
  struct nftnl_set_elem *e;

  if (s == NULL)
    return MNL_CB_ERROR;
  if (nftnl_set_elems_nlmsg_parse(nlh, s) < 0)
    return MNL_CB_ERROR;
  it = nftnl_set_elems_iter_create(s);
  if (it == NULL)
    return MNL_CB_ERROR;
  for (e = nftnl_set_elems_iter_next(it); e; e = nftnl_set_elems_iter_next(it)) {
    int r = d->fn(e, d->arg);
    if (r < 0) {
      nftnl_set_elems_iter_destroy(it);
      return MNL_CB_ERROR;
    }
    if (r > 0) {
      d->stop = 1;
      nftnl_set_elems_iter_destroy(it);
      return MNL_CB_STOP;
    }
  }
  nftnl_set_elems_iter_destroy(it);
  return MNL_CB_OK;
}

/* GETSETELEM: a dump of the whole set (key == NULL) or one element.  fn
 * returning > 0 ends the dump early (the next nfnl_open drains the rest).
 * A missing table/set/element is 1. */
static int elems_get(const char *table, const char *set, const uint8_t *key, uint32_t klen,
                     int (*fn)(struct nftnl_set_elem *, void *), void *arg, pk_error **err) {
  struct mnl_socket *nl = NULL;
  cleanup_set struct nftnl_set *s = nftnl_set_alloc();
  char buf[65536];
  struct elem_cb_data d = {fn, arg, 0};
  struct nlmsghdr *nlh;
  uint32_t seq = seq_next(), portid;
  int ret;

  if (s == NULL)
    return error_set(err, ENOMEM, "nft elements");
  if (nfnl_open(&nl, err) < 0)
    return -1;
  portid = mnl_socket_get_portid(nl);
  nftnl_set_set_str(s, NFTNL_SET_TABLE, table);
  nftnl_set_set_str(s, NFTNL_SET_NAME, set);
  if (key) {
    struct nftnl_set_elem *e = nftnl_set_elem_alloc();
    if (e == NULL)
      return error_set(err, ENOMEM, "nft elements");
    nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, key, klen);
    nftnl_set_elem_add(s, e);
  }
  nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETSETELEM, NFPROTO_IPV4, key ? NLM_F_ACK : NLM_F_DUMP,
                              seq);
  nftnl_set_elems_nlmsg_build_payload(nlh, s);
  if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
    return error_set(err, errno, "nft get elements of %s", set);
  for (;;) {
    ssize_t n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return error_set(err, errno, "nft read elements of %s", set);
    }
    ret = mnl_cb_run(buf, (size_t)n, seq, portid, elem_msg_cb, &d);
    if (ret < 0) {
      if (errno == ENOENT)
        return 1;
      return error_set(err, errno, "nft elements of set %s in table ip %s", set, table);
    }
    if (ret == MNL_CB_STOP)
      return 0;
  }
}

struct parsed_elem {
  struct nft_forward fw; /* host_port_first..last = the comment's range */
  uint16_t port;         /* this element's host port */
  bool has_comment;
};

static int comment_cb(const struct nftnl_udata *attr, void *data) {
  const char **out = data;
  if (nftnl_udata_type(attr) == NFTNL_UDATA_SET_ELEM_COMMENT && nftnl_udata_len(attr) > 0) {
    const char *s = nftnl_udata_get(attr);
    if (s[nftnl_udata_len(attr) - 1] == '\0')
      *out = s;
  }
  return 0;
}

/* any = element of the fwd map, else of fwd_ip. */
static int elem_parse(struct nftnl_set_elem *e, bool any, struct parsed_elem *pe) {
  uint32_t klen = 0, dlen = 0, ulen = 0;
  const uint8_t *key = nftnl_set_elem_get(e, NFTNL_SET_ELEM_KEY, &klen);
  const uint8_t *data = nftnl_set_elem_get(e, NFTNL_SET_ELEM_DATA, &dlen);
  const void *ud = nftnl_set_elem_get(e, NFTNL_SET_ELEM_USERDATA, &ulen);
  const char *comment = NULL;
  uint16_t p;

  memset(pe, 0, sizeof(*pe));
  if (key == NULL || data == NULL || dlen != FWD_DATA_LEN ||
      klen != (any ? FWD_KEY_LEN : FWD_IP_KEY_LEN))
    return -1;
  if (any) {
    pe->fw.proto = key[0];
    memcpy(&p, key + 4, 2);
  } else {
    memcpy(&pe->fw.host_ip, key, 4);
    pe->fw.proto = key[4];
    memcpy(&p, key + 8, 2);
  }
  pe->port = ntohs(p);
  memcpy(&pe->fw.to_ip, data, 4);
  memcpy(&p, data + 4, 2);
  pe->fw.to_port = ntohs(p);
  pe->fw.host_port_first = pe->fw.host_port_last = pe->port;
  if (ud && ulen)
    nftnl_udata_parse(ud, ulen, comment_cb, &comment);
  if (comment) {
    unsigned a, b;
    int n = 0;
    if (sscanf(comment, "ports=%u-%u%n", &a, &b, &n) == 2 && a <= pe->port && pe->port <= b &&
        b <= 65535) {
      pe->has_comment = true;
      pe->fw.host_port_first = (uint16_t)a;
      pe->fw.host_port_last = (uint16_t)b;
      /* the element's own target minus its offset is the range's */
      pe->fw.to_port = (uint16_t)(pe->fw.to_port - (pe->port - a));
      if (strncmp(comment + n, " id=", 4) == 0)
        snprintf(pe->fw.id, sizeof(pe->fw.id), "%s", comment + n + 4);
    }
  }
  return 0;
}

struct collect {
  bool any;
  struct parsed_elem *v;
  size_t n, cap;
  const char *id; /* only these (NULL = all) */
  bool firsts_only;
};

static int collect_cb(struct nftnl_set_elem *e, void *arg) {
  struct collect *c = arg;
  struct parsed_elem pe;
  if (elem_parse(e, c->any, &pe) < 0)
    return 0; /* not one of ours: ignore rather than fail the listing */
  if (c->id && strcmp(pe.fw.id, c->id) != 0)
    return 0;
  if (c->firsts_only && pe.port != pe.fw.host_port_first)
    return 0;
  if (c->n == c->cap) {
    size_t cap = c->cap ? c->cap * 2 : 64;
    struct parsed_elem *v = realloc(c->v, cap * sizeof(*v));
    if (v == NULL)
      return -1;
    c->v = v;
    c->cap = cap;
  }
  c->v[c->n++] = pe;
  return 0;
}

static int nonempty_cb(struct nftnl_set_elem *e, void *arg) {
  *(bool *)arg = true;
  return 1;
}

/* ---------- routes and sysctls ---------- */

static bool is_bridge(const char *dev) {
  char path[64];
  snprintf(path, sizeof(path), "/sys/class/net/%s/bridge", dev);
  return access(path, F_OK) == 0;
}

/* The bridge the kernel routes `to` through when it is directly connected
 * to one (a container's): it gets route_localnet and a hairpin entry.  ""
 * otherwise: a forward to a host on the LAN must not open route_localnet on
 * the uplink. */
static int route_dev(struct in_addr to, char dev[IFNAMSIZ], pk_error **err) {
  cleanup_mnl struct mnl_socket *nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
  char buf[MNL_SOCKET_BUFFER_SIZE];
  struct nlmsghdr *nlh;
  struct rtmsg *rtm;
  uint32_t seq = seq_next();
  ssize_t n;
  int len;

  dev[0] = '\0';
  if (nl == NULL || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0)
    return error_set(err, errno, "open rtnetlink socket");
  nlh = mnl_nlmsg_put_header(buf);
  nlh->nlmsg_type = RTM_GETROUTE;
  nlh->nlmsg_flags = NLM_F_REQUEST;
  nlh->nlmsg_seq = seq;
  rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
  rtm->rtm_family = AF_INET;
  rtm->rtm_dst_len = 32;
  mnl_attr_put(nlh, RTA_DST, 4, &to);
  if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
    return error_set(err, errno, "route lookup");
  n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
  if (n < 0)
    return error_set(err, errno, "route lookup");
  len = (int)n;
  for (nlh = (struct nlmsghdr *)buf; mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
    const struct nlattr *a;
    uint32_t oif = 0;
    bool gw = false;
    if (nlh->nlmsg_type != RTM_NEWROUTE)
      continue; /* an error: unreachable, so no bridge to prepare */
    rtm = mnl_nlmsg_get_payload(nlh);
    mnl_attr_for_each(a, nlh, sizeof(*rtm)) {
      if (mnl_attr_get_type(a) == RTA_OIF)
        oif = mnl_attr_get_u32(a);
      else if (mnl_attr_get_type(a) == RTA_GATEWAY)
        gw = true;
    }
    if (rtm->rtm_type == RTN_UNICAST && !gw && oif && if_indextoname(oif, dev) && is_bridge(dev))
      return 0;
    dev[0] = '\0';
    return 0;
  }
  return 0;
}

/* route_localnet lets a packet whose source is 127.0.0.1 (the host talking
 * to 127.0.0.1:P, DNATed) be routed out of `dev`; only the container's
 * bridge gets it, never every interface. */
static int route_localnet_enable(const char *dev, pk_error **err) {
  char path[128], c = '0';
  cleanup_close int fd = -1;

  snprintf(path, sizeof(path), "/proc/sys/net/ipv4/conf/%s/route_localnet", dev);
  fd = open(path, O_RDWR | O_CLOEXEC);
  if (fd < 0)
    return errno == ENOENT ? 0 : error_set(err, errno, "open %s", path);
  if (read(fd, &c, 1) == 1 && c == '1')
    return 0;
  if (pwrite(fd, "1\n", 2, 0) != 2)
    return error_set(err, errno, "write %s", path);
  return 0;
}

/* ---------- table lifecycle ---------- */

/* Commit a batch; when the table is missing (first use, ENOENT), build it
 * with `fill` once more behind a skeleton. */
static int commit_with_skeleton(const struct podnet_ctx *ctx,
                                int (*fill)(struct batch *, const void *, pk_error **),
                                const void *arg, struct commit_result *res, pk_error **err) {
  struct mnl_socket *nl = NULL;

  if (nfnl_open(&nl, err) < 0)
    return -1;
  for (int attempt = 0; attempt < 2; attempt++) {
    cleanup_batch struct batch bt;
    if (batch_init(&bt, err) < 0)
      return -1;
    if (attempt == 1 && put_skeleton(&bt, ctx->nft_table, err) < 0)
      return -1;
    if (fill(&bt, arg, err) < 0)
      return -1;
    if (batch_commit(nl, &bt, res, err) < 0)
      return -1;
    if (attempt == 0 && res->error == ENOENT)
      continue;
    if (res->error == EEXIST && res->kind == MK_TABLE)
      return error_set_code(err, EEXIST,
                            "nft table ip %s exists but lacks podnet's maps; "
                            "is it someone else's? (nft delete table ip %s)",
                            ctx->nft_table, ctx->nft_table);
    return 0;
  }
  return 0;
}

static int table_delete_if_empty(const struct podnet_ctx *ctx, pk_error **err) {
  static const char *const sets[] = {SET_FWD, SET_FWD_IP, SET_MASQ};
  struct mnl_socket *nl = NULL;
  cleanup_table struct nftnl_table *t = NULL;
  cleanup_batch struct batch bt = {0};
  struct commit_result res;
  struct nlmsghdr *nlh;

  for (size_t i = 0; i < sizeof(sets) / sizeof(sets[0]); i++) {
    bool nonempty = false;
    int r = elems_get(ctx->nft_table, sets[i], NULL, 0, nonempty_cb, &nonempty, err);
    if (r < 0)
      return -1;
    if (r == 1 && i == 0)
      return 0; /* no table (or not ours): nothing to delete */
    if (nonempty)
      return 0;
  }
  t = nftnl_table_alloc();
  if (t == NULL)
    return error_set(err, ENOMEM, "nft table");
  nftnl_table_set_str(t, NFTNL_TABLE_NAME, ctx->nft_table);
  if (nfnl_open(&nl, err) < 0 || batch_init(&bt, err) < 0)
    return -1;
  nlh = batch_msg(&bt, NFT_MSG_DELTABLE, 0, MK_TABLE);
  if (nlh == NULL)
    return error_set(err, ENOMEM, "nft batch");
  nftnl_table_nlmsg_build_payload(nlh, t);
  nftnl_batch_update(bt.b);
  if (batch_commit(nl, &bt, &res, err) < 0)
    return -1;
  if (res.error && res.error != ENOENT)
    return error_set(err, res.error, "delete nft table ip %s%s", ctx->nft_table, res.extack);
  return 0;
}

/* ---------- owner index ---------- */

/* STATE_DIR/forwards/ID lists the forwards of owner ID, one
 * "PROTO HOST_IP FIRST LAST" a line, so that a detach finds its forwards
 * without dumping every forward on the host.  The kernel's element comments
 * stay the truth: list and the full scan read those. */
static char *index_path(const struct podnet_ctx *ctx, const char *id) {
  char *p = NULL;
  const char *dir = ctx->state_dir ? ctx->state_dir : PODNET_DEFAULT_STATE_DIR;
  if (asprintf(&p, "%s/forwards/%s", dir, id) < 0)
    return NULL;
  return p;
}

/* The index's forwards of id (*n = 0 when it has none). */
static int index_read(const struct podnet_ctx *ctx, const char *id, struct nft_forward **out,
                      size_t *n, pk_error **err) {
  cleanup_free char *path = index_path(ctx, id), *buf = NULL;
  struct nft_forward *v = NULL;
  size_t len = 0, cap = 0;
  char *save = NULL;

  *out = NULL;
  *n = 0;
  if (path == NULL)
    return error_set(err, ENOMEM, "forward index");
  if (access(path, F_OK) < 0)
    return 0;
  if (file_read_all(path, 1 << 20, &buf, &len, err) < 0)
    return -1;
  for (char *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
    char proto[8], ip[INET_ADDRSTRLEN];
    unsigned a, b;
    struct nft_forward fw = {0};
    if (sscanf(line, "%7s %15s %u %u", proto, ip, &a, &b) != 4 || a < 1 || a > b || b > 65535 ||
        inet_pton(AF_INET, ip, &fw.host_ip) != 1 || nft_proto_parse(proto, &fw.proto, NULL) < 0)
      continue; /* a damaged line: the full scan still finds it */
    fw.host_port_first = (uint16_t)a;
    fw.host_port_last = (uint16_t)b;
    snprintf(fw.id, sizeof(fw.id), "%s", id);
    if (*n == cap) {
      cap = cap ? cap * 2 : 8;
      struct nft_forward *nv = realloc(v, cap * sizeof(*nv));
      if (nv == NULL) {
        free(v);
        return error_set(err, ENOMEM, "forward index");
      }
      v = nv;
    }
    v[(*n)++] = fw;
  }
  *out = v;
  return 0;
}

static bool same_forward(const struct nft_forward *a, const struct nft_forward *b) {
  return a->proto == b->proto && a->host_ip.s_addr == b->host_ip.s_addr &&
         a->host_port_first == b->host_port_first;
}

/* One line more in id's index: O_APPEND, so the 1000th forward of an owner
 * costs what the first did (the caller holds the lock; a torn line from a
 * crash is skipped by index_read). */
static int index_append(const struct podnet_ctx *ctx, const struct nft_forward *fw,
                        pk_error **err) {
  cleanup_free char *path = index_path(ctx, fw->id), *dir = NULL;
  cleanup_close int fd = -1;
  char line[64], ip[INET_ADDRSTRLEN];
  struct stat st;
  int len;

  if (path == NULL || (dir = strdup(path)) == NULL)
    return error_set(err, ENOMEM, "forward index");
  *strrchr(dir, '/') = '\0';
  fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0 && errno == ENOENT) {
    if (mkdir_p(dir, 0755, err) < 0)
      return -1;
    fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  }
  if (fd < 0)
    return error_set(err, errno, "open %s", path);
  if (fstat(fd, &st) < 0)
    return error_set(err, errno, "stat %s", path);
  inet_ntop(AF_INET, &fw->host_ip, ip, sizeof(ip));
  len = snprintf(line, sizeof(line), "%s %s %u %u\n", proto_name(fw->proto), ip,
                 fw->host_port_first, fw->host_port_last);
  if (write_all(fd, line, (size_t)len) < 0) {
    int e = errno;
    /* the caller takes the forward back: so goes its line (and an index
     * this call made), or a later detach would look for it */
    if (st.st_size == 0)
      unlink(path);
    else
      (void)!ftruncate(fd, st.st_size);
    return error_set(err, e, "write %s", path);
  }
  return 0;
}

/* Rewrite id's index as its old content plus `add` (may be NULL) minus
 * `drop` (may be NULL); an empty index is removed. */
static int index_update(const struct podnet_ctx *ctx, const char *id, const struct nft_forward *add,
                        const struct nft_forward *drop, pk_error **err) {
  cleanup_free char *path = index_path(ctx, id), *dir = NULL, *out = NULL;
  cleanup_free struct nft_forward *v = NULL;
  size_t n = 0, len = 0;
  FILE *f;

  if (path == NULL)
    return error_set(err, ENOMEM, "forward index");
  if (index_read(ctx, id, &v, &n, err) < 0)
    return -1;
  f = open_memstream(&out, &len);
  if (f == NULL)
    return error_set(err, errno, "forward index");
  for (size_t i = 0; i < n + (add != NULL); i++) {
    const struct nft_forward *fw = i < n ? &v[i] : add;
    char ip[INET_ADDRSTRLEN];
    if ((drop && same_forward(fw, drop)) || (i < n && add && same_forward(fw, add)))
      continue;
    inet_ntop(AF_INET, &fw->host_ip, ip, sizeof(ip));
    fprintf(f, "%s %s %u %u\n", proto_name(fw->proto), ip, fw->host_port_first, fw->host_port_last);
  }
  if (fclose(f) != 0)
    return error_set(err, ENOMEM, "forward index");
  if (len == 0) {
    if (unlink(path) < 0 && errno != ENOENT)
      return error_set(err, errno, "remove %s", path);
    return 0;
  }
  dir = strdup(path);
  if (dir == NULL)
    return error_set(err, ENOMEM, "forward index");
  *strrchr(dir, '/') = '\0';
  if (mkdir_p(dir, 0755, err) < 0 || file_write_atomic(path, out, len, 0644, err) < 0)
    return -1;
  return 0;
}

/* ---------- forwards ---------- */

static int fwd_del_commit(const struct podnet_ctx *ctx, const struct nft_forward *v, size_t n,
                          pk_error **err);

struct fwd_add_arg {
  const struct podnet_ctx *ctx;
  const struct nft_forward *fw;
  const char *dev;
};

static int fill_fwd_add(struct batch *bt, const void *p, pk_error **err) {
  const struct fwd_add_arg *a = p;
  if (put_fwd_elems(bt, a->ctx->nft_table, a->fw, 1, NFT_MSG_NEWSETELEM, NLM_F_CREATE | NLM_F_EXCL,
                    err) < 0)
    return -1;
  if (a->dev[0] && put_hairpin_elem(bt, a->ctx->nft_table, a->dev, err) < 0)
    return -1;
  return 0;
}

int nft_forward_add(const struct podnet_ctx *ctx, const struct nft_forward *fw, pk_error **err) {
  cleanup_close int lock = -1;
  struct commit_result res;
  char dev[IFNAMSIZ], what[64];
  struct fwd_add_arg arg = {ctx, fw, dev};
  bool indexed = false;

  if (table_name_check(ctx, err) < 0 || forward_check(fw, err) < 0)
    return -1;
  if (route_dev(fw->to_ip, dev, err) < 0)
    return -1;
  /* Before the batch, so that a failure leaves no forward behind; a
   * route_localnet left on our bridge by a refused forward is harmless. */
  if (dev[0] && route_localnet_enable(dev, err) < 0)
    return -1;
  if (lock_take(ctx, &lock, err) < 0)
    return -1;
  /* The index line goes first: a podnet killed after the commit leaves a
   * forward that detach and gc find by it; a line without its forward only
   * costs them a scan (their batch delete gets ENOENT). */
  if (fw->id[0]) {
    cleanup_free struct nft_forward *v = NULL;
    size_t n = 0;
    if (index_read(ctx, fw->id, &v, &n, err) < 0)
      return error_wrap(err, "forward %s", nft_forward_host_str(fw, what, sizeof(what)));
    for (size_t i = 0; i < n && !indexed; i++)
      indexed = same_forward(&v[i], fw);
    if (!indexed && index_append(ctx, fw, err) < 0)
      return error_wrap(err, "forward %s", nft_forward_host_str(fw, what, sizeof(what)));
  }
  if (commit_with_skeleton(ctx, fill_fwd_add, &arg, &res, err) < 0)
    error_wrap(err, "forward %s", nft_forward_host_str(fw, what, sizeof(what)));
  else if (res.error == EEXIST && res.kind == MK_FWD_ELEM &&
           fw->host_port_first == fw->host_port_last)
    error_set_code(err, EEXIST, "host port %u/%s is already forwarded", fw->host_port_first,
                   proto_name(fw->proto));
  else if (res.error == EEXIST && res.kind == MK_FWD_ELEM)
    error_set_code(err, EEXIST, "host ports %u-%u/%s: one of them is already forwarded",
                   fw->host_port_first, fw->host_port_last, proto_name(fw->proto));
  else if (res.error)
    error_set(err, res.error, "add forward %s to nft table ip %s%s",
              nft_forward_host_str(fw, what, sizeof(what)), ctx->nft_table, res.extack);
  else
    return 0;
  /* no index entry without its forward */
  if (fw->id[0] && !indexed) {
    pk_error *e2 = NULL;
    if (index_update(ctx, fw->id, NULL, fw, &e2) < 0)
      error_free(&e2);
  }
  return -1;
}

struct fwd_del_arg {
  const struct podnet_ctx *ctx;
  const struct nft_forward *v;
  size_t n;
};

static int fill_fwd_del(struct batch *bt, const void *p, pk_error **err) {
  const struct fwd_del_arg *a = p;
  return put_fwd_elems(bt, a->ctx->nft_table, a->v, a->n, NFT_MSG_DELSETELEM, 0, err);
}

static int fwd_del_commit(const struct podnet_ctx *ctx, const struct nft_forward *v, size_t n,
                          pk_error **err) {
  struct mnl_socket *nl = NULL;
  cleanup_batch struct batch bt = {0};
  struct fwd_del_arg arg = {ctx, v, n};
  struct commit_result res;

  if (n == 0)
    return 0;
  if (nfnl_open(&nl, err) < 0 || batch_init(&bt, err) < 0 || fill_fwd_del(&bt, &arg, err) < 0)
    return -1;
  if (batch_commit(nl, &bt, &res, err) < 0)
    return -1;
  if (res.error)
    return error_set(err, res.error, "delete forwards from nft table ip %s%s", ctx->nft_table,
                     res.extack);
  return 0;
}

struct one_elem {
  bool any, found;
  struct parsed_elem pe;
};

static int one_cb(struct nftnl_set_elem *e, void *arg) {
  struct one_elem *o = arg;
  if (elem_parse(e, o->any, &o->pe) == 0)
    o->found = true;
  return 0;
}

int nft_forward_del(const struct podnet_ctx *ctx, const struct nft_forward *fw, pk_error **err) {
  cleanup_close int lock = -1;
  uint8_t key[FWD_IP_KEY_LEN];
  uint32_t klen;
  struct one_elem o = {.any = fw->host_ip.s_addr == INADDR_ANY};
  char what[64];
  int r;

  if (table_name_check(ctx, err) < 0)
    return -1;
  if (fw->proto != IPPROTO_TCP && fw->proto != IPPROTO_UDP)
    return error_set_code(err, EINVAL, "invalid protocol %d (expected tcp or udp)", fw->proto);
  if (lock_take(ctx, &lock, err) < 0)
    return -1;
  fwd_key(fw, fw->host_port_first, key, &klen);
  r = elems_get(ctx->nft_table, fwd_set(fw), key, klen, one_cb, &o, err);
  if (r < 0)
    return -1;
  if (r == 1 || !o.found) {
    if (fw->host_ip.s_addr == INADDR_ANY)
      return error_set_code(err, ENOENT, "host port %u/%s is not forwarded", fw->host_port_first,
                            proto_name(fw->proto));
    return error_set_code(err, ENOENT, "host port %s is not forwarded",
                          nft_forward_host_str(fw, what, sizeof(what)));
  }
  /* A forward is removed whole: name it by its first port or its range. */
  if (o.pe.fw.host_port_first != fw->host_port_first ||
      (fw->host_port_last != fw->host_port_first && fw->host_port_last != o.pe.fw.host_port_last))
    return error_set_code(err, EINVAL,
                          "host port %s is part of the forward of ports %u-%u; delete that "
                          "one with --host-port %u-%u",
                          nft_forward_host_str(fw, what, sizeof(what)), o.pe.fw.host_port_first,
                          o.pe.fw.host_port_last, o.pe.fw.host_port_first, o.pe.fw.host_port_last);
  if (fwd_del_commit(ctx, &o.pe.fw, 1, err) < 0)
    return -1;
  if (o.pe.fw.id[0] && id_validate(o.pe.fw.id, "forward id", NULL) == 0 &&
      index_update(ctx, o.pe.fw.id, NULL, &o.pe.fw, err) < 0)
    return -1;
  return table_delete_if_empty(ctx, err);
}

static int forwards_collect(const struct podnet_ctx *ctx, const char *id, bool firsts_only,
                            struct collect *all, pk_error **err) {
  memset(all, 0, sizeof(*all));
  for (int any = 1; any >= 0; any--) {
    struct collect c = {.any = any,
                        .v = all->v,
                        .n = all->n,
                        .cap = all->cap,
                        .id = id,
                        .firsts_only = firsts_only};
    int r = elems_get(ctx->nft_table, any ? SET_FWD : SET_FWD_IP, NULL, 0, collect_cb, &c, err);
    all->v = c.v;
    all->n = c.n;
    all->cap = c.cap;
    if (r < 0) {
      free(all->v);
      all->v = NULL;
      return -1;
    }
  }
  return 0;
}

/* Every forward whose element comment names id: a dump of both maps. */
/* The forwards of id (NULL: all) in both maps, as a plain array. */
static int forwards_get(const struct podnet_ctx *ctx, const char *id, struct nft_forward **out,
                        size_t *n, pk_error **err) {
  struct collect c;
  struct nft_forward *v;

  if (forwards_collect(ctx, id, true, &c, err) < 0)
    return -1;
  v = calloc(c.n ? c.n : 1, sizeof(*v));
  if (v == NULL) {
    free(c.v);
    return error_set(err, ENOMEM, "forwards");
  }
  for (size_t i = 0; i < c.n; i++)
    v[i] = c.v[i].fw;
  free(c.v);
  *out = v;
  *n = c.n;
  return 0;
}

static int del_by_id_scan(const struct podnet_ctx *ctx, const char *id, size_t *n_removed,
                          pk_error **err) {
  cleanup_free struct nft_forward *v = NULL;

  if (forwards_get(ctx, id, &v, n_removed, err) < 0)
    return -1;
  return fwd_del_commit(ctx, v, *n_removed, err);
}

static int del_by_id(const struct podnet_ctx *ctx, const char *id, int *n_removed, bool full,
                     pk_error **err) {
  cleanup_close int lock = -1;
  cleanup_free struct nft_forward *v = NULL;
  cleanup_free char *path = NULL;
  size_t n = 0;

  if (n_removed)
    *n_removed = 0;
  if (table_name_check(ctx, err) < 0 || id_validate(id, "forward id", err) < 0)
    return -1;
  path = index_path(ctx, id);
  if (path == NULL)
    return error_set(err, ENOMEM, "forward index");
  if (!full && access(path, F_OK) < 0)
    return 0; /* the common detach: a container without forwards */
  if (lock_take(ctx, &lock, err) < 0 || index_read(ctx, id, &v, &n, err) < 0)
    return -1;
  if (full || n == 0) {
    if (del_by_id_scan(ctx, id, &n, err) < 0)
      return error_wrap(err, "forwards of %s", id);
  } else {
    struct mnl_socket *nl = NULL;
    cleanup_batch struct batch bt = {0};
    struct fwd_del_arg arg = {ctx, v, n};
    struct commit_result res;
    if (nfnl_open(&nl, err) < 0 || batch_init(&bt, err) < 0 || fill_fwd_del(&bt, &arg, err) < 0 ||
        batch_commit(nl, &bt, &res, err) < 0)
      return error_wrap(err, "forwards of %s", id);
    /* The index and the kernel disagree (someone deleted an element or
     * the table): trust the kernel's comments instead. */
    if (res.error == ENOENT) {
      if (del_by_id_scan(ctx, id, &n, err) < 0)
        return error_wrap(err, "forwards of %s", id);
    } else if (res.error) {
      return error_set(err, res.error, "delete forwards of %s from nft table ip %s%s", id,
                       ctx->nft_table, res.extack);
    }
  }
  if (unlink(path) < 0 && errno != ENOENT)
    return error_set(err, errno, "remove %s", path);
  if (n_removed)
    *n_removed = (int)n;
  return table_delete_if_empty(ctx, err);
}

int nft_forward_del_by_id(const struct podnet_ctx *ctx, const char *id, int *n_removed,
                          pk_error **err) {
  return del_by_id(ctx, id, n_removed, false, err);
}

int nft_forward_del_by_id_scan(const struct podnet_ctx *ctx, const char *id, int *n_removed,
                               pk_error **err) {
  return del_by_id(ctx, id, n_removed, true, err);
}

static int fw_cmp(const void *a, const void *b) {
  const struct nft_forward *x = a, *y = b;
  if (x->proto != y->proto)
    return x->proto - y->proto;
  if (x->host_port_first != y->host_port_first)
    return (int)x->host_port_first - (int)y->host_port_first;
  uint32_t ix = ntohl(x->host_ip.s_addr), iy = ntohl(y->host_ip.s_addr);
  return ix < iy ? -1 : ix > iy;
}

int nft_forward_list(const struct podnet_ctx *ctx, struct nft_forward **out, size_t *n,
                     pk_error **err) {
  *out = NULL;
  *n = 0;
  if (table_name_check(ctx, err) < 0 || forwards_get(ctx, NULL, out, n, err) < 0)
    return -1;
  if (*n > 1) /* qsort's base must not be NULL, even for 0 elements */
    qsort(*out, *n, sizeof(**out), fw_cmp);
  return 0;
}

/* ---------- masquerade ---------- */

struct masq_arg {
  const struct podnet_ctx *ctx;
  const char *bridge;
  struct in_addr net;
  int len;
  bool del;
};

static int put_masq_elem(struct batch *bt, const struct masq_arg *a, const char *chain,
                         pk_error **err) {
  cleanup_set struct nftnl_set *s = nftnl_set_alloc();
  struct nftnl_set_elem *e = nftnl_set_elem_alloc();
  uint8_t key[IFNAMSIZ];
  struct nlmsghdr *nlh;

  if (s == NULL || e == NULL) {
    if (e)
      nftnl_set_elem_free(e);
    return error_set(err, ENOMEM, "nft elements");
  }
  nftnl_set_set_str(s, NFTNL_SET_TABLE, a->ctx->nft_table);
  nftnl_set_set_str(s, NFTNL_SET_NAME, SET_MASQ);
  ifname_pad(a->bridge, key);
  nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, key, sizeof(key));
  if (!a->del) {
    nftnl_set_elem_set_u32(e, NFTNL_SET_ELEM_VERDICT, NFT_JUMP);
    nftnl_set_elem_set_str(e, NFTNL_SET_ELEM_CHAIN, chain);
  }
  nftnl_set_elem_add(s, e);
  nlh = batch_msg(bt, a->del ? NFT_MSG_DELSETELEM : NFT_MSG_NEWSETELEM, a->del ? 0 : NLM_F_CREATE,
                  MK_OTHER);
  if (nlh == NULL)
    return error_set(err, ENOMEM, "nft batch");
  nftnl_set_elems_nlmsg_build_payload(nlh, s);
  nftnl_batch_update(bt->b);
  return 0;
}

static int put_chain_flush(struct batch *bt, const char *table, const char *chain) {
  cleanup_rule struct nftnl_rule *r = rule_new(table, chain);
  struct nlmsghdr *nlh;
  if (r == NULL)
    return -1;
  nlh = batch_msg(bt, NFT_MSG_DELRULE, 0, MK_OTHER);
  if (nlh == NULL)
    return -1;
  nftnl_rule_nlmsg_build_payload(nlh, r);
  nftnl_batch_update(bt->b);
  return 0;
}

static int fill_masq(struct batch *bt, const void *p, pk_error **err) {
  const struct masq_arg *a = p;
  const char *table = a->ctx->nft_table;
  char chain[64];

  snprintf(chain, sizeof(chain), MASQ_CHAIN_PREFIX "%s", a->bridge);
  if (a->del) {
    cleanup_chain struct nftnl_chain *c = nftnl_chain_alloc();
    struct nlmsghdr *nlh;
    /* the element first: it holds a reference on the chain */
    if (c == NULL || put_masq_elem(bt, a, chain, err) < 0 || put_chain_flush(bt, table, chain) < 0)
      return error_set(err, ENOMEM, "nft batch");
    nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, table);
    nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, chain);
    nlh = batch_msg(bt, NFT_MSG_DELCHAIN, 0, MK_OTHER);
    if (nlh == NULL)
      return error_set(err, ENOMEM, "nft batch");
    nftnl_chain_nlmsg_build_payload(nlh, c);
    nftnl_batch_update(bt->b);
    return 0;
  }

  uint32_t mask = htonl(a->len ? ~0u << (32 - a->len) : 0);
  uint32_t net = a->net.s_addr & mask;
  uint8_t br[IFNAMSIZ];
  cleanup_rule struct nftnl_rule *r = rule_new(table, chain);
  ifname_pad(a->bridge, br);
  /* Re-adding replaces the chain's one rule: idempotent, and a changed
   * subnet takes effect. */
  if (put_chain(bt, table, chain, NULL, 0, 0, MK_OTHER) < 0 ||
      put_chain_flush(bt, table, chain) < 0 || r == NULL ||
      rule_add(r, e_payload(NFT_PAYLOAD_NETWORK_HEADER, 12, 4, NFT_REG32_00)) < 0 ||
      rule_add(r, e_mask(NFT_REG32_00, &mask, 4)) < 0 ||
      rule_add(r, e_cmp(NFT_REG32_00, NFT_CMP_EQ, &net, 4)) < 0 ||
      rule_add(r, e_meta(NFT_META_OIFNAME, NFT_REG_2)) < 0 ||
      rule_add(r, e_cmp(NFT_REG_2, NFT_CMP_NEQ, br, IFNAMSIZ)) < 0 ||
      add_mark_masq(r, NFT_REG32_00) < 0 || put_rule(bt, r, MK_OTHER) < 0)
    return error_set(err, ENOMEM, "nft batch");
  if (put_masq_elem(bt, a, chain, err) < 0 || put_hairpin_elem(bt, table, a->bridge, err) < 0)
    return -1;
  return 0;
}

static int ifname_check(const char *name, pk_error **err) {
  size_t len = name ? strlen(name) : 0;
  if (len == 0 || len >= IFNAMSIZ || strchr(name, '/') || strchr(name, ' '))
    return error_set_code(err, EINVAL, "invalid bridge name \"%s\"", name ? name : "");
  return 0;
}

int nft_masquerade_add(const struct podnet_ctx *ctx, const char *bridge, struct in_addr net,
                       int prefix_len, pk_error **err) {
  cleanup_close int lock = -1;
  struct masq_arg a = {ctx, bridge, net, prefix_len, false};
  struct commit_result res;

  if (table_name_check(ctx, err) < 0 || ifname_check(bridge, err) < 0)
    return -1;
  if (prefix_len < 0 || prefix_len > 32)
    return error_set_code(err, EINVAL, "invalid prefix length %d", prefix_len);
  if (lock_take(ctx, &lock, err) < 0)
    return -1;
  if (commit_with_skeleton(ctx, fill_masq, &a, &res, err) < 0)
    return error_wrap(err, "masquerade for %s", bridge);
  if (res.error)
    return error_set(err, res.error, "masquerade for %s in nft table ip %s%s", bridge,
                     ctx->nft_table, res.extack);
  return 0;
}

int nft_masquerade_del(const struct podnet_ctx *ctx, const char *bridge, pk_error **err) {
  cleanup_close int lock = -1;
  struct mnl_socket *nl = NULL;
  cleanup_batch struct batch bt = {0};
  struct masq_arg a = {ctx, bridge, {0}, 0, true};
  struct commit_result res;

  if (table_name_check(ctx, err) < 0 || ifname_check(bridge, err) < 0)
    return -1;
  if (lock_take(ctx, &lock, err) < 0)
    return -1;
  if (nfnl_open(&nl, err) < 0 || batch_init(&bt, err) < 0 || fill_masq(&bt, &a, err) < 0)
    return -1;
  if (batch_commit(nl, &bt, &res, err) < 0)
    return -1;
  /* ENOENT: no table, or this bridge never had masquerade: nothing to undo */
  if (res.error && res.error != ENOENT)
    return error_set(err, res.error, "remove masquerade for %s from nft table ip %s%s", bridge,
                     ctx->nft_table, res.extack);
  return table_delete_if_empty(ctx, err);
}
