/* SPDX-License-Identifier: MIT
 * podnet bridge add|del|list */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attach.h"
#include "cidr.h"
#include "cliutil.h"
#include "commands.h"
#include "netlink.h"

static int bridge_add(struct podnet_ctx *ctx, int argc, char **argv) {
  static const struct option opts[] = {
      {"subnet", required_argument, NULL, 's'}, {"gateway", required_argument, NULL, 'g'},
      {"mtu", required_argument, NULL, 'm'},    {"no-masquerade", no_argument, NULL, 'n'},
      {"json", no_argument, NULL, 'j'},         {NULL, 0, NULL, 0}};
  struct bridge_opts o = {.masquerade = true};
  struct bridge_rec rec;
  const char *subnet = NULL;
  pk_error *err = NULL;
  int c;

  while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
    switch (c) {
    case 's':
      subnet = optarg;
      break;
    case 'g':
      if (ip_parse(optarg, "--gateway", &o.gw, &err) < 0)
        return cli_fail(&err);
      o.has_gw = true;
      break;
    case 'm':
      if (mtu_parse(optarg, &o.mtu, &err) < 0)
        return cli_fail(&err);
      break;
    case 'n':
      o.masquerade = false;
      break;
    case 'j':
      ctx->json = true;
      break;
    default:
      return cli_bad_option("bridge add", c, argv);
    }
  }
  if (optind + 1 != argc)
    return cli_usage("bridge add", "expected one bridge NAME");
  o.name = argv[optind];
  if (subnet == NULL)
    return cli_usage("bridge add", "--subnet CIDR is required");
  {
    struct cidr cd;
    if (cidr_parse(subnet, "--subnet", &cd, &err) < 0)
      return cli_fail(&err);
    o.net = cd.addr;
    o.len = cd.len;
  }
  if (podnet_bridge_add(ctx, &o, &rec, &err) < 0)
    return cli_fail(&err);
  if (ctx->json)
    cli_json_print(bridge_rec_json(&rec));
  return 0;
}

static int bridge_del(struct podnet_ctx *ctx, int argc, char **argv) {
  pk_error *err = NULL;
  if (argc != 2)
    return cli_usage("bridge del", "expected one bridge NAME");
  if (podnet_bridge_del(ctx, argv[1], &err) < 0)
    return cli_fail(&err);
  return 0;
}

static int bridge_list(struct podnet_ctx *ctx, int argc, char **argv) {
  cleanup_nlsock struct nl_sock *sk = NULL;
  struct bridge_rec *v = NULL;
  struct lease *ls = NULL;
  size_t n = 0, nl = 0;
  pk_error *err = NULL;

  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--json") == 0)
      ctx->json = true;
    else
      return cli_usage("bridge list", "unexpected argument \"%s\"", argv[i]);
  }
  if (bridge_rec_list(ctx, &v, &n, &err) < 0 || lease_list(ctx, &ls, &nl, &err) < 0 ||
      nlsock_open(&sk, &err) < 0) {
    free(v);
    return cli_fail(&err);
  }
  json_t *arr = ctx->json ? json_array() : NULL;
  if (!ctx->json)
    printf("%-15s %-18s %-15s %-5s %-10s %-7s %s\n", "NAME", "SUBNET", "GATEWAY", "MTU",
           "MASQUERADE", "STATE", "ATTACHED");
  for (size_t i = 0; i < n; i++) {
    size_t users = 0;
    int idx = nl_link_index(sk, v[i].name, NULL);
    const char *state = idx > 0 ? "present" : "missing";
    char sub[32], gw[INET_ADDRSTRLEN];
    for (size_t k = 0; k < nl; k++)
      users += strcmp(ls[k].bridge, v[i].name) == 0;
    if (arr) {
      json_t *j = bridge_rec_json(&v[i]);
      json_object_set_new(j, "state", json_string(state));
      json_object_set_new(j, "attachments", json_integer((json_int_t)users));
      json_array_append_new(arr, j);
    } else {
      printf("%-15s %-18s %-15s %-5u %-10s %-7s %zu\n", v[i].name,
             cidr_str(v[i].net, v[i].len, sub), ip_str(v[i].gw, gw), v[i].mtu,
             v[i].masquerade ? "yes" : "no", state, users);
    }
  }
  if (arr)
    cli_json_print(arr);
  free(v);
  free(ls);
  return 0;
}

int cmd_bridge(struct podnet_ctx *ctx, int argc, char **argv) {
  if (argc < 2)
    return cli_usage("bridge", "expected add, del or list");
  if (strcmp(argv[1], "add") == 0)
    return bridge_add(ctx, argc - 1, argv + 1);
  if (strcmp(argv[1], "del") == 0 || strcmp(argv[1], "delete") == 0)
    return bridge_del(ctx, argc - 1, argv + 1);
  if (strcmp(argv[1], "list") == 0 || strcmp(argv[1], "ls") == 0)
    return bridge_list(ctx, argc - 1, argv + 1);
  return cli_usage("bridge", "unknown subcommand \"%s\" (expected add, del or list)", argv[1]);
}
