/* SPDX-License-Identifier: MIT
 * podnet's command table entries.  Each returns the process exit status.
 * net/podnet.c parses the global options and dispatches. */
#ifndef PODNET_COMMANDS_H
#define PODNET_COMMANDS_H

#include "podnet.h"

int cmd_bridge(struct podnet_ctx *ctx, int argc, char **argv);
int cmd_netns(struct podnet_ctx *ctx, int argc, char **argv);
int cmd_attach(struct podnet_ctx *ctx, int argc, char **argv);
int cmd_detach(struct podnet_ctx *ctx, int argc, char **argv);
int cmd_forward(struct podnet_ctx *ctx, int argc, char **argv); /* net/cmd_forward.c */
int cmd_hook(struct podnet_ctx *ctx, int argc, char **argv);
int cmd_gc(struct podnet_ctx *ctx, int argc, char **argv);
int cmd_status(struct podnet_ctx *ctx, int argc, char **argv);

#endif
