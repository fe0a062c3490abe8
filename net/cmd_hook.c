/* SPDX-License-Identifier: MIT
 * podnet hook: an OCI hook.  createRuntime/prestart (status creating or
 * created) attaches the container's netns (from its pid) and adds its
 * published ports; poststop (status stopped) detaches it by container ID.
 * Settings come from the hook's args, else from the annotations
 * podnet.bridge, podnet.ip and podnet.publish ("9999:8000/tcp,..."). */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "attach.h"
#include "cidr.h"
#include "cleanup.h"
#include "cliutil.h"
#include "commands.h"
#include "hookstate.h"
#include "nft.h"

static int read_stdin(char **out, size_t *len, pk_error **err) {
  size_t cap = 4096, n = 0;
  char *buf = malloc(cap);
  for (;;) {
    if (buf == NULL)
      return error_set(err, ENOMEM, "read stdin");
    if (n + 1 >= cap) {
      char *nb = cap > (16u << 20) ? NULL : realloc(buf, cap *= 2);
      if (nb == NULL) {
        free(buf);
        return error_set_code(err, EFBIG, "stdin is not OCI state: larger than 16 MiB");
      }
      buf = nb;
    }
    ssize_t r = read(STDIN_FILENO, buf + n, cap - n - 1);
    if (r < 0 && errno == EINTR)
      continue;
    if (r < 0) {
      free(buf);
      return error_set(err, errno, "read stdin");
    }
    if (r == 0)
      break;
    n += (size_t)r;
  }
  buf[n] = '\0';
  *out = buf;
  *len = n;
  return 0;
}

int cmd_hook(struct podnet_ctx *ctx, int argc, char **argv) {
  static const struct option opts[] = {
      {"bridge", required_argument, NULL, 'b'},  {"ip", required_argument, NULL, 'a'},
      {"publish", required_argument, NULL, 'P'}, {"ifname", required_argument, NULL, 'i'},
      {"mtu", required_argument, NULL, 'm'},     {NULL, 0, NULL, 0}};
  struct nft_forward fws[PUBLISH_MAX];
  size_t nfw = 0;
  const char *bridge = NULL, *ip = NULL, *ifname = NULL;
  unsigned mtu = 0;
  cleanup_free char *buf = NULL;
  size_t len = 0;
  struct hook_state st;
  pk_error *err = NULL;
  int c, rc = 1;

  while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
    switch (c) {
    case 'b':
      bridge = optarg;
      break;
    case 'a':
      ip = optarg;
      break;
    case 'P':
      if (publish_list_parse(optarg, fws, PUBLISH_MAX, &nfw, &err) < 0)
        return cli_fail(&err);
      break;
    case 'i':
      ifname = optarg;
      break;
    case 'm':
      if (mtu_parse(optarg, &mtu, &err) < 0)
        return cli_fail(&err);
      break;
    default:
      return cli_bad_option("hook", c, argv);
    }
  }
  if (optind != argc)
    return cli_usage("hook", "unexpected argument \"%s\"", argv[optind]);
  if (read_stdin(&buf, &len, &err) < 0 || hook_state_parse(buf, len, &st, &err) < 0)
    return cli_fail(&err);

  if (strcmp(st.status, "stopped") == 0) {
    /* poststop runs however the container ended, maybe after a failed
     * attach: nothing attached is not an error. */
    if (podnet_detach_id(ctx, st.id, true, &err) < 0 && err->errnum != ENOENT)
      goto out;
    error_free(&err);
    rc = 0;
    goto out;
  }
  if (strcmp(st.status, "creating") != 0 && strcmp(st.status, "created") != 0) {
    error_set_code(&err, EINVAL,
                   "container %s has status \"%s\": use podnet hook as createRuntime, prestart "
                   "or poststop hook",
                   st.id, st.status);
    goto out;
  }
  if (bridge == NULL)
    bridge = st.bridge;
  if (ip == NULL)
    ip = st.ip;
  if (nfw == 0 && st.publish && publish_list_parse(st.publish, fws, PUBLISH_MAX, &nfw, &err) < 0)
    goto out;
  if (bridge == NULL || *bridge == '\0') {
    error_set_code(&err, EINVAL,
                   "container %s: no bridge (pass --bridge BR or set the podnet.bridge "
                   "annotation)",
                   st.id);
    goto out;
  }
  {
    struct attach_opts o = {
        .bridge = bridge, .ifname = ifname, .mtu = mtu, .id = st.id, .ip_len = -1};
    struct lease l;
    o.ns.pid = st.pid;
    if (ip && *ip) {
      struct cidr cd;
      if (strchr(ip, '/') ? cidr_parse(ip, "podnet.ip", &cd, &err) < 0
                          : ip_parse(ip, "podnet.ip", &cd.addr, &err) < 0)
        goto out;
      o.has_ip = true;
      o.ip = cd.addr;
      o.ip_len = strchr(ip, '/') ? cd.len : -1;
    }
    /* Listed as both createRuntime and prestart hook, it runs twice for
     * one container: the second run finds its own lease and is done. */
    if (lease_read(ctx, st.id, &l, &err) == 0 && l.pid == st.pid &&
        l.pid_start == proc_start_time(st.pid)) {
      rc = 0;
      goto out;
    }
    error_free(&err);
    if (podnet_attach_publish(ctx, &o, fws, nfw, &l, &err) < 0)
      goto out;
  }
  rc = 0;
out:
  hook_state_free(&st);
  if (rc)
    return cli_fail(&err);
  return 0;
}
