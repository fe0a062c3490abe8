/* SPDX-License-Identifier: MIT */
#include "attach.h"
#include "hookstate.h"
#include "unit.h"

static int parse(const char *s, struct hook_state *st, pk_error **err) {
  return hook_state_parse(s, strlen(s), st, err);
}

TEST(hookstate_full) {
  struct hook_state st;
  pk_error *err = NULL;
  CHECK(parse("{\"ociVersion\":\"1.0.2\",\"id\":\"web1\",\"status\":\"creating\",\"pid\":42,"
              "\"bundle\":\"/b\",\"annotations\":{\"podnet.bridge\":\"br0\",\"podnet.ip\":"
              "\"10.1.0.5\",\"podnet.publish\":\"9999:8000/tcp,53:53/udp\",\"other\":\"x\"}}",
              &st, &err) == 0);
  CHECK_STREQ(st.id, "web1");
  CHECK_STREQ(st.status, "creating");
  CHECK(st.pid == 42);
  CHECK_STREQ(st.bridge, "br0");
  CHECK_STREQ(st.ip, "10.1.0.5");
  CHECK_STREQ(st.publish, "9999:8000/tcp,53:53/udp");
  hook_state_free(&st);
}

TEST(hookstate_stopped_without_pid) {
  struct hook_state st;
  pk_error *err = NULL;
  CHECK(parse("{\"ociVersion\":\"1.0.2\",\"id\":\"web1\",\"status\":\"stopped\",\"bundle\":\"/b\"}",
              &st, &err) == 0);
  CHECK(st.pid == 0);
  CHECK(st.bridge == NULL);
  hook_state_free(&st);
}

TEST(hookstate_errors) {
  struct hook_state st;
  pk_error *err = NULL;
  CHECK(parse("", &st, &err) < 0);
  CHECK_STREQ(err->msg, "stdin is not OCI state: it is empty");
  error_free(&err);
  CHECK(parse("{\"ociVersion\":\"1\",\"id\":\"x\",\"status\":\"creating\",\"pid\":-1,\"bundle\":"
              "\"/b\"}",
              &st, &err) < 0);
  CHECK_STREQ(err->msg, "stdin is not OCI state: \"pid\" must be a process ID");
  error_free(&err);
  CHECK(parse("{\"ociVersion\":\"\",\"id\":\"x\",\"status\":\"creating\",\"pid\":1,\"bundle\":"
              "\"/b\"}",
              &st, &err) < 0);
  CHECK_STREQ(err->msg, "stdin is not OCI state: \"ociVersion\" must be a non-empty string");
  error_free(&err);
  CHECK(parse("{\"ociVersion\":\"1\",\"id\":\"x\",\"status\":\"creating\",\"pid\":1,\"bundle\":"
              "\"/b\",\"annotations\":[]}",
              &st, &err) < 0);
  CHECK_STREQ(err->msg, "stdin is not OCI state: \"annotations\" must be an object");
  error_free(&err);
}

TEST(host_veth_name) {
  char a[16], b[16];
  podnet_host_veth_name("web1", 0, a);
  podnet_host_veth_name("web2", 0, b);
  CHECK(strlen(a) == 10 && strncmp(a, "vp", 2) == 0);
  CHECK(strcmp(a, b) != 0);
  podnet_host_veth_name("web1", 0, b);
  CHECK_STREQ(a, b);
  podnet_host_veth_name("web1", 1, b);
  CHECK(strcmp(a, b) != 0 && strlen(b) == 10);
}
