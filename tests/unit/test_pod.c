/* SPDX-License-Identifier: MIT
 * libpod's pure parts: --share and --publish parsing, the pause config, the
 * rewrite of a member's config, exit status records. */
#include <jansson.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "nft.h"
#include "pod.h"
#include "podmon.h"
#include "podspec.h"
#include "unit.h"
#include "util.h"

TEST(share_parse_sets) {
  pk_error *err = NULL;
  int m = -1;
  char buf[32];
  CHECK(pod_share_parse("net,ipc,uts,pid", &m, &err) == 0);
  CHECK(m == POD_NS_ALL);
  CHECK(pod_share_parse("pid,network", &m, &err) == 0);
  CHECK(m == (POD_NS_PID | POD_NS_NET));
  CHECK_STREQ(pod_share_str(m, buf, sizeof(buf)), "net,pid");
  CHECK(pod_share_parse("", &m, &err) == 0);
  CHECK(m == 0);
  CHECK(err == NULL);
  CHECK(pod_share_parse("net,mnt", &m, &err) < 0);
  CHECK_STREQ(err ? err->msg : NULL,
              "--share: unknown namespace \"mnt\" (expected net, ipc, uts, pid)");
  error_free(&err);
}

TEST(publish_parse_forms) {
  pk_error *err = NULL;
  struct nft_forward fw;
  CHECK(pod_publish_parse("9999:8000", &fw, &err) == 0);
  CHECK(fw.proto == IPPROTO_TCP && fw.host_port_first == 9999 && fw.host_port_last == 9999 &&
        fw.to_port == 8000 && fw.host_ip.s_addr == 0);
  CHECK(pod_publish_parse("127.0.0.1:53:5353/udp", &fw, &err) == 0);
  CHECK(fw.proto == IPPROTO_UDP && fw.host_port_first == 53 && fw.to_port == 5353 &&
        fw.host_ip.s_addr == htonl(0x7f000001));
  CHECK(pod_publish_parse("8000-8010:9000", &fw, &err) == 0);
  CHECK(fw.host_port_first == 8000 && fw.host_port_last == 8010 && fw.to_port == 9000);
  CHECK(err == NULL);
  const char *bad[] = {"9999", "0:80", "9999:80/sctp", "a:b", "1.2.3.4:5:6:7", "80-90:1-2"};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    CHECK(pod_publish_parse(bad[i], &fw, &err) < 0);
    CHECK(err != NULL && strstr(err->msg, "--publish") != NULL);
    error_free(&err);
  }
}

static json_t *ns_of(json_t *cfg, const char *type) {
  json_t *ns = json_object_get(json_object_get(cfg, "linux"), "namespaces"), *e;
  size_t i;
  json_array_foreach(ns, i, e) if (strcmp(json_string_value(json_object_get(e, "type")), type) ==
                                   0) return e;
  return NULL;
}

TEST(pause_spec_shares_only_the_set) {
  pk_error *err = NULL;
  char *s = NULL;
  CHECK(pod_spec_pause(POD_NS_NET | POD_NS_UTS, "h1", &s, &err) == 0);
  json_t *cfg = json_loads(s ? s : "", 0, NULL);
  CHECK(cfg != NULL);
  CHECK(ns_of(cfg, "network") && ns_of(cfg, "uts") && ns_of(cfg, "mount"));
  CHECK(!ns_of(cfg, "pid") && !ns_of(cfg, "ipc"));
  CHECK_STREQ(json_string_value(json_object_get(cfg, "hostname")), "h1");
  json_t *proc = json_object_get(cfg, "process");
  CHECK(json_is_false(json_object_get(proc, "terminal")));
  CHECK_STREQ(json_string_value(json_array_get(json_object_get(proc, "args"), 0)), "/pause");
  json_decref(cfg);
  free(s);
  /* no uts: no hostname (a runtime refuses it without a new uts ns) */
  CHECK(pod_spec_pause(POD_NS_NET, "h1", &s, &err) == 0);
  cfg = json_loads(s ? s : "", 0, NULL);
  CHECK(cfg && !json_object_get(cfg, "hostname"));
  json_decref(cfg);
  free(s);
}

TEST(rewrite_joins_shared_keeps_others) {
  char dir[] = "/tmp/test_pod.XXXXXX", rootfs[128], abs[256];
  CHECK(mkdtemp(dir) != NULL);
  snprintf(rootfs, sizeof(rootfs), "%s/rootfs", dir);
  CHECK(mkdir(rootfs, 0755) == 0);
  const char *in = "{\"process\":{\"terminal\":true,\"args\":[\"sh\"]},\"hostname\":\"x\","
                   "\"mounts\":[{\"destination\":\"/app\",\"type\":\"bind\",\"source\":\"app\"},"
                   "{\"destination\":\"/proc\",\"type\":\"proc\",\"source\":\"proc\"}],"
                   "\"root\":{\"path\":\"rootfs\"},\"linux\":{\"namespaces\":["
                   "{\"type\":\"pid\"},{\"type\":\"network\"},{\"type\":\"mount\"},"
                   "{\"type\":\"uts\"}]}}";
  pk_error *err = NULL;
  char *out = NULL;
  CHECK(pod_spec_rewrite(in, dir, POD_NS_NET | POD_NS_UTS | POD_NS_IPC, "/run/pod/p/ns", &out,
                         &err) == 0);
  CHECK(err == NULL);
  json_t *cfg = json_loads(out ? out : "", 0, NULL);
  CHECK(cfg != NULL);
  CHECK_STREQ(json_string_value(json_object_get(ns_of(cfg, "network"), "path")),
              "/run/pod/p/ns/net");
  CHECK_STREQ(json_string_value(json_object_get(ns_of(cfg, "uts"), "path")), "/run/pod/p/ns/uts");
  /* ipc was missing: added, joined */
  CHECK_STREQ(json_string_value(json_object_get(ns_of(cfg, "ipc"), "path")), "/run/pod/p/ns/ipc");
  /* pid not shared: stays new */
  CHECK(ns_of(cfg, "pid") && !json_object_get(ns_of(cfg, "pid"), "path"));
  CHECK(!json_object_get(ns_of(cfg, "mount"), "path"));
  CHECK(!json_object_get(cfg, "hostname"));
  json_t *mounts = json_object_get(cfg, "mounts");
  char app[160];
  snprintf(app, sizeof(app), "%s/app", dir);
  CHECK_STREQ(json_string_value(json_object_get(json_array_get(mounts, 0), "source")), app);
  CHECK_STREQ(json_string_value(json_object_get(json_array_get(mounts, 1), "source")), "proc");
  CHECK(json_is_false(json_object_get(json_object_get(cfg, "process"), "terminal")));
  CHECK(realpath(rootfs, abs) != NULL);
  CHECK_STREQ(json_string_value(json_object_get(json_object_get(cfg, "root"), "path")), abs);
  json_decref(cfg);
  free(out);
  out = NULL;

  CHECK(pod_spec_rewrite("{\"root\":{}}", dir, POD_NS_NET, "/x", &out, &err) < 0);
  CHECK(err && strstr(err->msg, "root.path: expected a string"));
  error_free(&err);
  CHECK(pod_spec_rewrite("{nope", dir, POD_NS_NET, "/x", &out, &err) < 0);
  CHECK(err && strstr(err->msg, "invalid JSON"));
  error_free(&err);
  rmdir(rootfs);
  rmdir(dir);
}

TEST(generate_needs_command_and_rootfs) {
  pk_error *err = NULL;
  char *out = NULL;
  char *args[] = {"httpd", "-f"}, *env[] = {"A=1"}, *badenv[] = {"A"};
  CHECK(pod_spec_generate("/", env, 1, "/www", args, 2, &out, &err) == 0);
  json_t *cfg = json_loads(out ? out : "", 0, NULL);
  json_t *proc = json_object_get(cfg, "process");
  CHECK_STREQ(json_string_value(json_object_get(proc, "cwd")), "/www");
  CHECK_STREQ(json_string_value(json_array_get(json_object_get(proc, "env"), 1)), "A=1");
  CHECK_STREQ(json_string_value(json_array_get(json_object_get(proc, "args"), 1)), "-f");
  json_decref(cfg);
  free(out);
  CHECK(pod_spec_generate("/", NULL, 0, NULL, args, 0, &out, &err) < 0);
  error_free(&err);
  CHECK(pod_spec_generate("/", badenv, 1, NULL, args, 1, &out, &err) < 0);
  CHECK(err && strstr(err->msg, "-e A: expected K=V"));
  error_free(&err);
  CHECK(pod_spec_generate("/nonexistent-pd", NULL, 0, NULL, args, 1, &out, &err) < 0);
  CHECK(err && strstr(err->msg, "--rootfs /nonexistent-pd"));
  error_free(&err);
}

TEST(exit_records_round_trip) {
  char dir[] = "/tmp/test_pod.XXXXXX", buf[64], path[128];
  pk_error *err = NULL;
  struct pod_exit ex;
  CHECK(mkdtemp(dir) != NULL);
  CHECK(pod_exit_read(dir, &ex, &err) == 1);
  CHECK(pod_exit_write(dir, 7 << 8, false, &err) == 0);
  CHECK(pod_exit_read(dir, &ex, &err) == 0);
  CHECK_STREQ(pod_exit_str(&ex, buf, sizeof(buf)), "exited 7");
  CHECK(pod_exit_write(dir, SIGKILL, false, &err) == 0);
  CHECK(pod_exit_read(dir, &ex, &err) == 0);
  CHECK(WIFSIGNALED(SIGKILL));
  CHECK_STREQ(pod_exit_str(&ex, buf, sizeof(buf)), "killed by SIGKILL");
  CHECK(pod_exit_write(dir, 0, true, &err) == 0);
  CHECK(pod_exit_read(dir, &ex, &err) == 0);
  CHECK_STREQ(pod_exit_str(&ex, buf, sizeof(buf)), "exited (status unknown)");
  CHECK(err == NULL);
  snprintf(path, sizeof(path), "%s/exit.json", dir);
  unlink(path);
  rmdir(dir);
}

TEST(pid_alive_checks_start_time) {
  CHECK(pod_pid_alive(getpid(), 0));
  CHECK(pod_pid_alive(getpid(), proc_start_time(getpid())));
  CHECK(!pod_pid_alive(getpid(), proc_start_time(getpid()) + 1));
  CHECK(!pod_pid_alive(0, 0));
}
