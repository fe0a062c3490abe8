/* SPDX-License-Identifier: MIT
 * podnet gc: detach what lost its netns or container (crash, kill -9,
 * `ip netns del`).  podnet status: what podnet owns now. */
#include <arpa/inet.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attach.h"
#include "cidr.h"
#include "cleanup.h"
#include "cliutil.h"
#include "commands.h"
#include "nft.h"

static int json_flag(struct podnet_ctx *ctx, const char *cmd, int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--json") == 0)
      ctx->json = true;
    else
      return cli_usage(cmd, "unexpected argument \"%s\"", argv[i]);
  }
  return 0;
}

int cmd_gc(struct podnet_ctx *ctx, int argc, char **argv) {
  cleanup_strv char **ids = NULL;
  size_t n = 0;
  pk_error *err = NULL;
  int rc;

  if ((rc = json_flag(ctx, "gc", argc, argv)) != 0)
    return rc;
  rc = podnet_gc(ctx, &ids, &n, &err);
  if (ctx->json) {
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++)
      json_array_append_new(arr, json_string(ids[i]));
    cli_json_print(json_pack("{s:o}", "removed", arr));
  } else {
    for (size_t i = 0; i < n; i++)
      printf("removed %s\n", ids[i]);
  }
  if (rc < 0)
    return cli_fail(&err);
  return 0;
}

int cmd_status(struct podnet_ctx *ctx, int argc, char **argv) {
  struct bridge_rec *bv = NULL;
  struct lease *lv = NULL;
  struct nft_forward *fv = NULL;
  size_t nb = 0, nl = 0, nf = 0;
  pk_error *err = NULL;
  int rc;

  if ((rc = json_flag(ctx, "status", argc, argv)) != 0)
    return rc;
  if (bridge_rec_list(ctx, &bv, &nb, &err) < 0 || lease_list(ctx, &lv, &nl, &err) < 0 ||
      nft_forward_list(ctx, &fv, &nf, &err) < 0) {
    free(bv);
    free(lv);
    return cli_fail(&err);
  }
  if (ctx->json) {
    json_t *jb = json_array(), *jl = json_array(), *jf = json_array();
    for (size_t i = 0; i < nb; i++)
      json_array_append_new(jb, bridge_rec_json(&bv[i]));
    for (size_t i = 0; i < nl; i++) {
      json_t *j = lease_json(&lv[i]);
      json_object_set_new(j, "alive", json_boolean(podnet_lease_alive(&lv[i])));
      json_array_append_new(jl, j);
    }
    for (size_t i = 0; i < nf; i++)
      json_array_append_new(jf, nft_forward_json(&fv[i]));
    cli_json_print(json_pack("{s:o, s:o, s:o}", "bridges", jb, "leases", jl, "forwards", jf));
  } else {
    char a[64], b[INET_ADDRSTRLEN];
    printf("bridges:\n");
    for (size_t i = 0; i < nb; i++)
      printf("  %s %s gateway %s%s\n", bv[i].name, cidr_str(bv[i].net, bv[i].len, a),
             ip_str(bv[i].gw, b), bv[i].masquerade ? " masquerade" : "");
    printf("leases:\n");
    for (size_t i = 0; i < nl; i++)
      printf("  %s %s on %s (%s in %s)%s\n", lv[i].id, cidr_str(lv[i].ip, lv[i].len, a),
             lv[i].bridge, lv[i].host_veth, lv[i].netns,
             podnet_lease_alive(&lv[i]) ? "" : " gone: podnet gc removes it");
    printf("forwards:\n");
    for (size_t i = 0; i < nf; i++)
      printf("  %s -> %s:%u %s\n", nft_forward_host_str(&fv[i], a, sizeof(a)),
             ip_str(fv[i].to_ip, b), fv[i].to_port, fv[i].id);
  }
  free(bv);
  free(lv);
  free(fv);
  return 0;
}
