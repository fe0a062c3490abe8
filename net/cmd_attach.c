/* SPDX-License-Identifier: MIT
 * podnet attach / detach */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "attach.h"
#include "cidr.h"
#include "cliutil.h"
#include "commands.h"
#include "log.h"

static int pid_parse(const char *s, pid_t *out, pk_error **err) {
  char *end;
  long v;
  errno = 0;
  v = strtol(s, &end, 10);
  if (*s == '\0' || *end != '\0' || errno || v <= 0 || v > 4194304)
    return error_set_code(err, EINVAL, "invalid --pid \"%s\": expected a process ID", s);
  *out = (pid_t)v;
  return 0;
}

/* --netns/--netns-path/--pid: exactly one unless allow_none. */
static int ns_selectors(const char *cmd, const struct netns_ref *r, bool allow_none) {
  int n = !!r->name + !!r->path + !!r->pid;
  if (n > 1)
    return cli_usage(cmd, "give only one of --netns, --netns-path, --pid");
  if (n == 0 && !allow_none)
    return cli_usage(cmd, "one of --netns NAME, --netns-path PATH or --pid PID is required");
  return 0;
}

int cmd_attach(struct podnet_ctx *ctx, int argc, char **argv) {
  static const struct option opts[] = {
      {"bridge", required_argument, NULL, 'b'},     {"netns", required_argument, NULL, 'n'},
      {"netns-path", required_argument, NULL, 'N'}, {"pid", required_argument, NULL, 'p'},
      {"ifname", required_argument, NULL, 'i'},     {"ip", required_argument, NULL, 'a'},
      {"mac", required_argument, NULL, 'M'},        {"mtu", required_argument, NULL, 'm'},
      {"id", required_argument, NULL, 'I'},         {"json", no_argument, NULL, 'j'},
      {"publish", required_argument, NULL, 'P'},    {NULL, 0, NULL, 0}};
  struct attach_opts o = {.ip_len = -1};
  struct nft_forward fws[PUBLISH_MAX];
  size_t nfw = 0;
  struct lease l;
  pk_error *err = NULL;
  int c, rc;

  while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
    switch (c) {
    case 'b':
      o.bridge = optarg;
      break;
    case 'n':
      o.ns.name = optarg;
      break;
    case 'N':
      o.ns.path = optarg;
      break;
    case 'p':
      if (pid_parse(optarg, &o.ns.pid, &err) < 0)
        return cli_fail(&err);
      break;
    case 'i':
      o.ifname = optarg;
      break;
    case 'a':
      if (strchr(optarg, '/')) {
        struct cidr cd;
        if (cidr_parse(optarg, "--ip", &cd, &err) < 0)
          return cli_fail(&err);
        o.ip = cd.addr;
        o.ip_len = cd.len;
      } else if (ip_parse(optarg, "--ip", &o.ip, &err) < 0) {
        return cli_fail(&err);
      }
      o.has_ip = true;
      break;
    case 'M':
      if (mac_parse(optarg, o.mac, &err) < 0)
        return cli_fail(&err);
      o.has_mac = true;
      break;
    case 'm':
      if (mtu_parse(optarg, &o.mtu, &err) < 0)
        return cli_fail(&err);
      break;
    case 'I':
      o.id = optarg;
      break;
    case 'j':
      ctx->json = true;
      break;
    case 'P':
      if (publish_list_parse(optarg, fws, PUBLISH_MAX, &nfw, &err) < 0)
        return cli_fail(&err);
      break;
    default:
      return cli_bad_option("attach", c, argv);
    }
  }
  if (optind != argc)
    return cli_usage("attach", "unexpected argument \"%s\"", argv[optind]);
  if (o.bridge == NULL)
    return cli_usage("attach", "--bridge BR is required");
  if ((rc = ns_selectors("attach", &o.ns, false)) != 0)
    return rc;
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  if (podnet_attach_publish(ctx, &o, fws, nfw, &l, &err) < 0)
    return cli_fail(&err);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  log_debug("attach %s: %.3f ms in-process", l.id,
            (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
  if (ctx->json) {
    cli_json_print(lease_json(&l));
  } else {
    char ip[INET_ADDRSTRLEN];
    puts(ip_str(l.ip, ip));
  }
  return 0;
}

int cmd_detach(struct podnet_ctx *ctx, int argc, char **argv) {
  static const struct option opts[] = {{"bridge", required_argument, NULL, 'b'},
                                       {"netns", required_argument, NULL, 'n'},
                                       {"netns-path", required_argument, NULL, 'N'},
                                       {"pid", required_argument, NULL, 'p'},
                                       {"id", required_argument, NULL, 'I'},
                                       {"ifname", required_argument, NULL, 'i'},
                                       {"json", no_argument, NULL, 'j'},
                                       {NULL, 0, NULL, 0}};
  struct netns_ref ref = {0};
  const char *id = NULL, *bridge = NULL;
  char found[ID_MAX_LEN + 1];
  pk_error *err = NULL;
  int c, rc;

  while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
    switch (c) {
    case 'b':
      bridge = optarg;
      break;
    case 'n':
      ref.name = optarg;
      break;
    case 'N':
      ref.path = optarg;
      break;
    case 'p':
      if (pid_parse(optarg, &ref.pid, &err) < 0)
        return cli_fail(&err);
      break;
    case 'I':
      id = optarg;
      break;
    case 'i':
    case 'j':
      break; /* accepted for symmetry with attach */
    default:
      return cli_bad_option("detach", c, argv);
    }
  }
  if (optind != argc)
    return cli_usage("detach", "unexpected argument \"%s\"", argv[optind]);
  if ((rc = ns_selectors("detach", &ref, id != NULL)) != 0)
    return rc;
  if (id && (ref.name || ref.path || ref.pid))
    return cli_usage("detach", "give either --id or a netns selector, not both");
  if (id == NULL) {
    if (podnet_lease_find(ctx, &ref, bridge, found, sizeof(found), &err) < 0)
      return cli_fail(&err);
    id = found;
  }
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  if (podnet_detach_id(ctx, id, true, &err) < 0)
    return cli_fail(&err);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  log_debug("detach %s: %.3f ms in-process", id,
            (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
  return 0;
}
