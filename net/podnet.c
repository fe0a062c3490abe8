/* SPDX-License-Identifier: MIT
 * podnet: bridges, veth pairs, named netns and port forwards.
 *   podnet [--state-dir DIR] [--json] [--debug] COMMAND ...
 * Global options come before the command; the command parses the rest. */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "error.h"
#include "log.h"
#include "netlink.h"
#include "nft.h"

static const char usage_text[] =
    "usage: podnet [--state-dir DIR] [--json] [--debug] COMMAND [ARGS]\n"
    "\n"
    "commands:\n"
    "  bridge add NAME --subnet CIDR [--gateway IP] [--mtu N] [--no-masquerade]\n"
    "  bridge del NAME | bridge list\n"
    "  netns add NAME | netns attach NAME PID | netns del NAME | netns list\n"
    "  attach --bridge BR (--netns NAME | --netns-path PATH | --pid PID)\n"
    "         [--ifname eth0] [--ip ADDR[/LEN]] [--mac MAC] [--mtu N] [--id ID]\n"
    "         [--publish [IP:]P[-P2]:PORT[/PROTO]]...  (attach and forward in one step)\n"
    "  detach (--id ID | --netns NAME | --netns-path PATH | --pid PID) [--bridge BR]\n"
    "  forward add --host-port P[-P2] --to IP:PORT [--proto tcp|udp] [--host-ip IP] [--id ID]\n"
    "  forward del ... | forward list\n"
    "  hook [--bridge BR] [--ip ADDR] [--publish [IP:]P[-P2]:PORT[/PROTO]]...  (OCI hook, state "
    "on stdin)\n"
    "  gc | status\n"
    "\n"
    "global options:\n"
    "  --state-dir DIR  records of bridges and leases ($PODNET_STATE_DIR, "
    "default " PODNET_DEFAULT_STATE_DIR ")\n"
    "  --json           machine-readable output\n"
    "  --debug          debug log on stderr\n"
    "environment: PODNET_NFT_TABLE names podnet's nftables table (default " PODNET_DEFAULT_NFT_TABLE
    ")\n";

struct command {
  const char *name;
  int (*fn)(struct podnet_ctx *, int, char **);
};

static const struct command commands[] = {
    {"bridge", cmd_bridge},   {"netns", cmd_netns}, {"attach", cmd_attach}, {"detach", cmd_detach},
    {"forward", cmd_forward}, {"hook", cmd_hook},   {"gc", cmd_gc},         {"status", cmd_status},
};

int main(int argc, char **argv) {
  static const struct option opts[] = {
      {"state-dir", required_argument, NULL, 's'}, {"json", no_argument, NULL, 'j'},
      {"debug", no_argument, NULL, 'd'},           {"help", no_argument, NULL, 'h'},
      {"version", no_argument, NULL, 'V'},         {NULL, 0, NULL, 0}};
  struct podnet_ctx ctx = {0};
  const char *env;
  bool debug = false;
  int c;

  /* jansson seeds its hash from /dev/urandom on first use, one more file
   * opened per command; podnet's JSON (its own records, an OCI state) is
   * small and trusted, so hash flooding is no concern. */
  json_object_seed(1);
  ctx.state_dir = (env = getenv("PODNET_STATE_DIR")) && *env ? env : PODNET_DEFAULT_STATE_DIR;
  ctx.nft_table = (env = getenv("PODNET_NFT_TABLE")) && *env ? env : PODNET_DEFAULT_NFT_TABLE;
  log_init("podnet", NULL, LOG_FORMAT_TEXT, false, NULL);
  opterr = 0;
  while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
    switch (c) {
    case 's':
      ctx.state_dir = optarg;
      break;
    case 'j':
      ctx.json = true;
      break;
    case 'd':
      debug = true;
      break;
    case 'h':
      fputs(usage_text, stdout);
      return 0;
    case 'V':
      printf("podnet version %s\n", PODKIT_VERSION);
      return 0;
    default: {
      pk_error *err = NULL;
      error_set_code(&err, 0, "unknown global option %s (try --help)", argv[optind - 1]);
      log_report_error(&err);
      return 2;
    }
    }
  }
  if (optind >= argc) {
    fputs(usage_text, stderr);
    return 2;
  }
  /* The hook's errors read "podnet hook: ...", which is what a runtime's
   * log shows next to the hook's path. */
  log_init(strcmp(argv[optind], "hook") == 0 ? "podnet hook" : "podnet", NULL, LOG_FORMAT_TEXT,
           debug, NULL);
  if (ctx.state_dir[0] != '/') {
    pk_error *err = NULL;
    error_set_code(&err, 0, "invalid --state-dir \"%s\": must be an absolute path", ctx.state_dir);
    log_report_error(&err);
    return 2;
  }
  /* `podnet CMD ... --help` before any `--` asks for the usage, never for
   * an object named "--help" */
  for (int i = optind + 1; i < argc && strcmp(argv[i], "--") != 0; i++)
    if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
      fputs(usage_text, stdout);
      return 0;
    }
  for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
    if (strcmp(commands[i].name, argv[optind]) == 0) {
      int idx = optind;
      optind = 0; /* glibc: 0 also resets getopt's internal state */
      opterr = 0;
      int rc;
      rc = commands[i].fn(&ctx, argc - idx, argv + idx);
      /* A command that deleted forwards leaves the netfilter socket's
       * release (an RCU grace period) to a grandchild. */
      nl_background(0, nft_sock_take_fd());
      return rc;
    }
  }
  pk_error *err = NULL;
  error_set_code(&err, 0, "unknown command \"%s\" (try --help)", argv[optind]);
  log_report_error(&err);
  return 2;
}
