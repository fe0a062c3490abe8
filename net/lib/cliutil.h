/* SPDX-License-Identifier: MIT
 * What every podnet command does the same way: report an error as one line
 * and pick an exit status (1 = failed, 2 = bad usage), print JSON. */
#ifndef PODNET_CLIUTIL_H
#define PODNET_CLIUTIL_H

#include "error.h"

/* Prints err ("podnet: <msg>") and returns 1. */
int cli_fail(pk_error **err);
/* Prints "podnet: <cmd>: <msg>" and returns 2. */
int cli_usage(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* getopt's '?' / ':' for argv[optind-1] of command cmd; returns 2. */
int cli_bad_option(const char *cmd, int c, char **argv);
/* Prints a json_t (void * to keep jansson out of the header), decrefs it. */
void cli_json_print(void *json);

#endif
