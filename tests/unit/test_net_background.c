/* SPDX-License-Identifier: MIT
 * nl_background: the final release of a handed-over fd happens in another
 * process, after the caller's copy is gone; netns_attach's argument checks;
 * nft_sock_take_fd without a socket. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "netlink.h"
#include "netns.h"
#include "nft.h"
#include "unit.h"

TEST(background_holds_fd_until_caller_dropped_it) {
  int p[2];
  char c;
  struct pollfd pf;

  CHECK(pipe2(p, O_CLOEXEC) == 0);
  nl_background(0, p[1]);
  /* the caller's copy is closed on return... */
  CHECK(fcntl(p[1], F_GETFD) < 0 && errno == EBADF);
  /* ...and the write end's last holder (the grandchild) lets go soon:
   * EOF, not a hang (generous bound for a loaded machine) */
  pf.fd = p[0];
  pf.events = POLLIN;
  CHECK(poll(&pf, 1, 30000) == 1);
  CHECK(read(p[0], &c, 1) == 0);
  close(p[0]);
}

TEST(background_nothing_to_do) {
  /* no fork, no fd touched */
  nl_background(0, -1);
  CHECK(nft_sock_take_fd() == -1);
}

TEST(netns_attach_checks_arguments) {
  pk_error *err = NULL;
  CHECK(netns_attach("a/b", 1, &err) < 0);
  CHECK(err != NULL && strstr(err->msg, "invalid netns name \"a/b\"") == err->msg);
  error_free(&err);
  CHECK(netns_attach("npx", 0, &err) < 0);
  CHECK_STREQ(err->msg, "attach network namespace npx: invalid pid 0");
  error_free(&err);
}
