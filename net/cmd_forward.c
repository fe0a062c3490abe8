/* SPDX-License-Identifier: MIT
 * podnet forward add|del|list: port forwards (DNAT) in podnet's nftables
 * table; see net/lib/nft.h for what the kernel gets. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "cliutil.h"
#include "commands.h"
#include "nft.h"
#include "util.h"

struct fw_opts {
  const char *host_port, *to, *proto, *host_ip, *id;
};

static int fw_getopt(const char *cmd, struct podnet_ctx *ctx, int argc, char **argv,
                     struct fw_opts *o) {
  static const struct option opts[] = {{"host-port", required_argument, NULL, 'p'},
                                       {"to", required_argument, NULL, 't'},
                                       {"proto", required_argument, NULL, 'P'},
                                       {"host-ip", required_argument, NULL, 'H'},
                                       {"id", required_argument, NULL, 'i'},
                                       {"json", no_argument, NULL, 'j'},
                                       {NULL, 0, NULL, 0}};
  int c;

  memset(o, 0, sizeof(*o));
  optind = 0;
  opterr = 0;
  while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
    switch (c) {
    case 'p':
      o->host_port = optarg;
      break;
    case 't':
      o->to = optarg;
      break;
    case 'P':
      o->proto = optarg;
      break;
    case 'H':
      o->host_ip = optarg;
      break;
    case 'i':
      o->id = optarg;
      break;
    case 'j':
      ctx->json = true;
      break;
    default:
      return cli_bad_option(cmd, c, argv);
    }
  }
  if (optind != argc)
    return cli_usage(cmd, "unexpected argument \"%s\"", argv[optind]);
  return 0;
}

/* --host-port, --proto and --host-ip into fw; errors name the option. */
static int fw_host_parse(const struct fw_opts *o, struct nft_forward *fw, pk_error **err) {
  if (nft_port_range_parse(o->host_port, &fw->host_port_first, &fw->host_port_last, err) < 0)
    return error_wrap(err, "--host-port");
  fw->proto = IPPROTO_TCP;
  if (o->proto && nft_proto_parse(o->proto, &fw->proto, err) < 0)
    return error_wrap(err, "--proto");
  if (o->host_ip && nft_ipv4_parse(o->host_ip, "--host-ip", &fw->host_ip, err) < 0)
    return -1;
  return 0;
}

static int forward_add(struct podnet_ctx *ctx, int argc, char **argv) {
  struct nft_forward fw = {0};
  struct fw_opts o;
  pk_error *err = NULL;
  int r = fw_getopt("forward add", ctx, argc, argv, &o);

  if (r)
    return r;
  if (o.host_port == NULL)
    return cli_usage("forward add", "--host-port P[-P2] is required");
  if (o.to == NULL)
    return cli_usage("forward add", "--to IP:PORT is required");
  if (fw_host_parse(&o, &fw, &err) < 0 ||
      nft_addr_port_parse(o.to, "--to", &fw.to_ip, &fw.to_port, &err) < 0)
    return cli_fail(&err);
  if (o.id) {
    if (id_validate(o.id, "--id", &err) < 0)
      return cli_fail(&err);
    snprintf(fw.id, sizeof(fw.id), "%s", o.id);
  }
  if (nft_forward_add(ctx, &fw, &err) < 0)
    return cli_fail(&err);
  if (ctx->json)
    cli_json_print(nft_forward_json(&fw));
  return 0;
}

static int forward_del(struct podnet_ctx *ctx, int argc, char **argv) {
  struct nft_forward fw = {0};
  struct fw_opts o;
  pk_error *err = NULL;
  int r = fw_getopt("forward del", ctx, argc, argv, &o);

  if (r)
    return r;
  if (o.to)
    return cli_usage("forward del", "--to does not select a forward (use --host-port or --id)");
  if (o.id) {
    int n = 0;
    if (o.host_port || o.proto || o.host_ip)
      return cli_usage("forward del", "--id cannot be combined with --host-port/--proto/--host-ip");
    if (id_validate(o.id, "--id", &err) < 0 || nft_forward_del_by_id_scan(ctx, o.id, &n, &err) < 0)
      return cli_fail(&err);
    if (n == 0) {
      error_set_code(&err, ENOENT, "no forward has id \"%s\"", o.id);
      return cli_fail(&err);
    }
    return 0;
  }
  if (o.host_port == NULL)
    return cli_usage("forward del", "expected --host-port P[-P2] or --id ID");
  if (fw_host_parse(&o, &fw, &err) < 0 || nft_forward_del(ctx, &fw, &err) < 0)
    return cli_fail(&err);
  return 0;
}

static int forward_list(struct podnet_ctx *ctx, int argc, char **argv) {
  cleanup_free struct nft_forward *v = NULL;
  size_t n = 0;
  pk_error *err = NULL;

  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--json") == 0)
      ctx->json = true;
    else
      return cli_usage("forward list", "unexpected argument \"%s\"", argv[i]);
  }
  if (nft_forward_list(ctx, &v, &n, &err) < 0)
    return cli_fail(&err);
  if (ctx->json) {
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++)
      json_array_append_new(arr, nft_forward_json(&v[i]));
    cli_json_print(arr);
    return 0;
  }
  printf("%-15s %-11s %-5s %-27s %s\n", "HOST_IP", "HOST_PORT", "PROTO", "TO", "ID");
  for (size_t i = 0; i < n; i++) {
    char hip[INET_ADDRSTRLEN], tip[INET_ADDRSTRLEN], hp[16], to[48];
    unsigned span = (unsigned)(v[i].host_port_last - v[i].host_port_first);
    inet_ntop(AF_INET, &v[i].host_ip, hip, sizeof(hip));
    inet_ntop(AF_INET, &v[i].to_ip, tip, sizeof(tip));
    if (span) {
      snprintf(hp, sizeof(hp), "%u-%u", v[i].host_port_first, v[i].host_port_last);
      snprintf(to, sizeof(to), "%s:%u-%u", tip, v[i].to_port, v[i].to_port + span);
    } else {
      snprintf(hp, sizeof(hp), "%u", v[i].host_port_first);
      snprintf(to, sizeof(to), "%s:%u", tip, v[i].to_port);
    }
    printf("%-15s %-11s %-5s %-27s %s\n", hip, hp, v[i].proto == IPPROTO_UDP ? "udp" : "tcp", to,
           v[i].id[0] ? v[i].id : "-");
  }
  return 0;
}

int cmd_forward(struct podnet_ctx *ctx, int argc, char **argv) {
  if (argc < 2)
    return cli_usage("forward", "expected add, del or list");
  if (strcmp(argv[1], "add") == 0)
    return forward_add(ctx, argc - 1, argv + 1);
  if (strcmp(argv[1], "del") == 0 || strcmp(argv[1], "delete") == 0)
    return forward_del(ctx, argc - 1, argv + 1);
  if (strcmp(argv[1], "list") == 0 || strcmp(argv[1], "ls") == 0)
    return forward_list(ctx, argc - 1, argv + 1);
  return cli_usage("forward", "unknown subcommand \"%s\" (expected add, del or list)", argv[1]);
}
