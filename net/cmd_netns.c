/* SPDX-License-Identifier: MIT
 * podnet netns add|attach|del|list: iproute2's named netns convention. */
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "cliutil.h"
#include "commands.h"
#include "netns.h"

int cmd_netns(struct podnet_ctx *ctx, int argc, char **argv) {
  pk_error *err = NULL;

  if (argc < 2)
    return cli_usage("netns", "expected add, attach, del or list");
  if (strcmp(argv[1], "add") == 0 || strcmp(argv[1], "del") == 0 ||
      strcmp(argv[1], "delete") == 0) {
    if (argc != 3)
      return cli_usage("netns", "%s expects one NAME", argv[1]);
    if ((argv[1][0] == 'a' ? netns_add(argv[2], &err) : netns_del(argv[2], &err)) < 0)
      return cli_fail(&err);
    return 0;
  }
  if (strcmp(argv[1], "attach") == 0) {
    char *end;
    long pid;
    if (argc != 4)
      return cli_usage("netns attach", "expects NAME PID");
    errno = 0;
    pid = strtol(argv[3], &end, 10);
    if (errno || end == argv[3] || *end || pid <= 0 || pid > INT_MAX)
      return cli_usage("netns attach", "invalid PID \"%s\": expected a process ID", argv[3]);
    if (netns_attach(argv[2], (pid_t)pid, &err) < 0)
      return cli_fail(&err);
    return 0;
  }
  if (strcmp(argv[1], "list") == 0 || strcmp(argv[1], "ls") == 0) {
    cleanup_strv char **names = NULL;
    for (int i = 2; i < argc; i++) {
      if (strcmp(argv[i], "--json") == 0)
        ctx->json = true;
      else
        return cli_usage("netns list", "unexpected argument \"%s\"", argv[i]);
    }
    if (netns_list(&names, &err) < 0)
      return cli_fail(&err);
    if (ctx->json) {
      json_t *arr = json_array();
      for (char **p = names; *p; p++)
        json_array_append_new(arr, json_pack("{s:s}", "name", *p));
      cli_json_print(arr);
    } else {
      for (char **p = names; *p; p++)
        puts(*p);
    }
    return 0;
  }
  return cli_usage("netns", "unknown subcommand \"%s\" (expected add, attach, del or list)",
                   argv[1]);
}
