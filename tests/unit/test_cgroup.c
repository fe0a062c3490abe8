/* Real cgroups (run as root): everything lives under /is<pid>-test* in every
 * hierarchy and is removed at exit, also after a failed CHECK or a signal. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

#include "cgroup.h"
#include "unit.h"
#include "util.h"

static char top[64]; /* "/is<pid>-test" */
static char mounts[24][256];
static int n_mounts, v2_mount = -1;

static void mounts_load(void) {
  FILE *f = fopen("/proc/self/mountinfo", "r");
  char line[1024];
  while (f && fgets(line, sizeof(line), f) && n_mounts < 24) {
    char mnt[256], *sep = strstr(line, " - ");
    if (sep && (strncmp(sep, " - cgroup ", 10) == 0 || strncmp(sep, " - cgroup2 ", 11) == 0) &&
        sscanf(line, "%*s %*s %*s %*s %255s", mnt) == 1) {
      if (strncmp(sep, " - cgroup2 ", 11) == 0)
        v2_mount = n_mounts;
      snprintf(mounts[n_mounts++], sizeof(mounts[0]), "%s", mnt);
    }
  }
  if (f)
    fclose(f);
}

static void kill_and_rmdir(const char *path) {
  char sub[1024];
  DIR *d = opendir(path);
  if (d == NULL)
    return;
  struct dirent *e;
  while ((e = readdir(d)) != NULL)
    if (e->d_type == DT_DIR && strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
      snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name);
      kill_and_rmdir(sub);
    }
  closedir(d);
  snprintf(sub, sizeof(sub), "%s/cgroup.procs", path);
  for (int i = 0; i < 200 && rmdir(path) < 0 && errno == EBUSY; i++) {
    FILE *f = fopen(sub, "r");
    int pid;
    while (f && fscanf(f, "%d", &pid) == 1)
      kill(pid, SIGKILL);
    if (f)
      fclose(f);
    usleep(10000);
  }
}

/* The cgroup2 root's subtree_control before the tests: controllers the
 * tests enable there (hugetlb on a hybrid host) are disabled again. */
static char v2_root_ctl[256];

static void v2_root_restore(void) {
  char p[512], now[256] = "";
  if (v2_mount < 0)
    return;
  snprintf(p, sizeof(p), "%s/cgroup.subtree_control", mounts[v2_mount]);
  FILE *f = fopen(p, "r");
  if (f == NULL)
    return;
  if (fgets(now, sizeof(now), f) == NULL)
    now[0] = 0;
  fclose(f);
  for (char *save = NULL, *t = strtok_r(now, " \n", &save); t; t = strtok_r(NULL, " \n", &save)) {
    char word[64];
    snprintf(word, sizeof(word), " %s ", t);
    if (strstr(v2_root_ctl, word))
      continue;
    f = fopen(p, "w");
    if (f) {
      fprintf(f, "-%s", t);
      fclose(f);
    }
  }
}

/* Every test directory in every hierarchy: top, top-fail, top-rel, ... */
static void cleanup_all(void) {
  for (int i = 0; i < n_mounts; i++) {
    DIR *d = opendir(mounts[i]);
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL)
      if (str_has_prefix(e->d_name, top + 1)) {
        char p[8192];
        snprintf(p, sizeof(p), "%s/%s", mounts[i], e->d_name);
        kill_and_rmdir(p);
      }
    if (d)
      closedir(d);
  }
  v2_root_restore();
}

static void on_signal(int sig) {
  cleanup_all();
  signal(sig, SIG_DFL);
  raise(sig);
}

__attribute__((constructor(200))) static void setup(void) {
  snprintf(top, sizeof(top), "/is%d-test", (int)getpid());
  mounts_load();
  if (v2_mount >= 0) {
    char p[512], buf[200] = "";
    snprintf(p, sizeof(p), "%s/cgroup.subtree_control", mounts[v2_mount]);
    FILE *f = fopen(p, "r");
    if (f && fgets(buf, sizeof(buf), f))
      buf[strcspn(buf, "\n")] = 0;
    if (f)
      fclose(f);
    snprintf(v2_root_ctl, sizeof(v2_root_ctl), " %s ", buf);
  }
  /* Orphaned grandchildren come back to us to be reaped. */
  prctl(PR_SET_CHILD_SUBREAPER, 1);
  atexit(cleanup_all);
  signal(SIGINT, on_signal);
  signal(SIGTERM, on_signal);
  signal(SIGABRT, on_signal);
  signal(SIGSEGV, on_signal);
}

/* Number of hierarchies where PATH (under the mount) exists. */
static int dirs_present(const char *path) {
  int n = 0;
  for (int i = 0; i < n_mounts; i++) {
    char p[8192];
    struct stat st;
    snprintf(p, sizeof(p), "%s%s", mounts[i], path);
    if (stat(p, &st) == 0)
      n++;
  }
  return n;
}

/* First existing MOUNT/PATH/FILE among the given files, read and trimmed. */
static char *cg_file(const char *path, const char *file) {
  static char buf[256];
  for (int i = 0; i < n_mounts; i++) {
    char p[8192];
    snprintf(p, sizeof(p), "%s%s/%s", mounts[i], path, file);
    FILE *f = fopen(p, "r");
    if (f == NULL)
      continue;
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = 0;
    while (n && buf[n - 1] == '\n')
      buf[--n] = 0;
    return buf;
  }
  return NULL;
}

static json_t *J(const char *text) {
  json_error_t je;
  json_t *j = json_loads(text, 0, &je);
  if (j == NULL)
    fprintf(stderr, "bad test json: %s\n", je.text);
  return j;
}

/* A child that bumps a shared counter every millisecond; with go >= 0 it
 * first waits for a byte on go (sent once it is in its cgroup) and forks one
 * sleeping grandchild. */
static volatile unsigned long *counter;
static pid_t spawn(int go) {
  if (counter == NULL)
    counter = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  fflush(stdout);
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    char c;
    if (go >= 0 && read(go, &c, 1) == 1 && fork() == 0)
      for (;;)
        pause();
    for (;;) {
      (*counter)++;
      usleep(1000);
    }
  }
  return pid;
}

static int wait_killed(pid_t pid) {
  int status = 0;
  if (waitpid(pid, &status, 0) != pid)
    return -1;
  return WIFSIGNALED(status) ? WTERMSIG(status) : -2;
}

static bool proc_cgroup_all(pid_t pid, const char *want) {
  char p[64], line[1024];
  snprintf(p, sizeof(p), "/proc/%d/cgroup", (int)pid);
  FILE *f = fopen(p, "r");
  int lines = 0, ok = 0;
  while (f && fgets(line, sizeof(line), f)) {
    line[strcspn(line, "\n")] = 0;
    char *path = strchr(strchr(line, ':') + 1, ':') + 1;
    lines++;
    if (strcmp(path, want) == 0)
      ok++;
    else
      printf("# %s: %s\n", p, line);
  }
  if (f)
    fclose(f);
  return lines > 0 && ok == lines;
}

TEST(mode_detected) {
  enum cgroup_mode m;
  pk_error *err = NULL;
  CHECK(cgroup_mode_get(&m, &err) == 0);
  printf("# cgroup mode: %s\n", m == CGROUP_MODE_V1 ? "v1" : m == CGROUP_MODE_V2 ? "v2" : "hybrid");
  error_free(&err);
}

TEST(create_limits_freeze_pids_destroy) {
  pk_error *err = NULL;
  struct cgroup *cg = NULL;
  char path[128];
  snprintf(path, sizeof(path), "%s/c1", top);
  json_t *res = J("{\"cpu\":{\"shares\":512,\"quota\":50000,\"period\":100000,"
                  "\"cpus\":\"0\",\"mems\":\"0\"},"
                  "\"memory\":{\"limit\":67108864,\"reservation\":33554432,\"swap\":134217728},"
                  "\"pids\":{\"limit\":50},\"blockIO\":{\"weight\":300},"
                  "\"hugepageLimits\":[{\"pageSize\":\"2MB\",\"limit\":4194304}],"
                  "\"unified\":{\"cgroup.max.descendants\":\"7\"},"
                  "\"devices\":[{\"allow\":false,\"access\":\"rwm\"},"
                  "{\"allow\":true,\"type\":\"c\",\"major\":1,\"minor\":3,\"access\":\"rwm\"}]}");
  int go[2];
  CHECK(pipe(go) == 0);
  pid_t child = spawn(go[0]);
  close(go[0]);
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  int rc = cgroup_create(path, "c1", res, child, &cg, &err);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  printf("# cgroup_create: %.3f ms for %d hierarchies\n",
         (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6, n_mounts);
  CHECK(rc == 0);
  if (rc < 0) {
    printf("# %s\n", err->msg);
    error_free(&err);
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
    json_decref(res);
    return;
  }
  CHECK_STREQ(cgroup_path(cg), path);
  CHECK(dirs_present(path) == n_mounts);
  CHECK(proc_cgroup_all(child, path));
  CHECK(write(go[1], "g", 1) == 1);
  close(go[1]);

  char *v = cg_file(path, "memory.limit_in_bytes");
  CHECK_STREQ(v ? v : cg_file(path, "memory.max"), "67108864");
  CHECK_STREQ(cg_file(path, "pids.max"), "50");
  v = cg_file(path, "cpu.cfs_quota_us");
  CHECK_STREQ(v ? v : cg_file(path, "cpu.max"), v ? "50000" : "50000 100000");
  if (cg_file(path, "devices.list"))
    CHECK_STREQ(cg_file(path, "devices.list"), "c 1:3 rwm");
  if (cg_file(path, "memory.memsw.limit_in_bytes"))
    CHECK_STREQ(cg_file(path, "memory.memsw.limit_in_bytes"), "134217728");
  else if (cg_file(path, "memory.swap.max"))
    CHECK_STREQ(cg_file(path, "memory.swap.max"), "67108864");
  CHECK_STREQ(cg_file(path, "cpuset.cpus"), "0");
  v = cg_file(path, "hugetlb.2MB.limit_in_bytes");
  CHECK_STREQ(v ? v : cg_file(path, "hugetlb.2MB.max"), "4194304");
  if (v2_mount >= 0)
    CHECK_STREQ(cg_file(path, "cgroup.max.descendants"), "7");

  /* pids: the child and its grandchild */
  pid_t *pids = NULL;
  size_t n = 0;
  for (int i = 0; i < 500 && n < 2; i++) {
    free(pids);
    pids = NULL;
    CHECK(cgroup_pids(cg, &pids, &n, &err) == 0);
    if (n < 2)
      usleep(10000);
  }
  CHECK(n == 2);
  CHECK(n >= 1 && (pids[0] == child || pids[1] == child));
  free(pids);

  struct cgroup_stats st;
  CHECK(cgroup_stats(cg, &st, &err) == 0);
  CHECK(st.has_memory && st.memory_limit == 67108864);
  CHECK(st.has_pids && st.pids_current == 2 && st.pids_limit == 50);
  CHECK(st.has_cpu);

  /* freeze: the counter stops; thaw: it moves again */
  bool frozen = true;
  CHECK(cgroup_is_frozen(cg, &frozen, &err) == 0 && !frozen);
  CHECK(cgroup_freeze(cg, &err) == 0);
  CHECK(cgroup_is_frozen(cg, &frozen, &err) == 0 && frozen);
  v = cg_file(path, "freezer.state");
  if (v)
    CHECK_STREQ(v, "FROZEN");
  unsigned long c0 = *counter;
  usleep(100000);
  CHECK(*counter == c0);
  printf("# frozen child state: %c\n", proc_state(child));
  CHECK(cgroup_thaw(cg, &err) == 0);
  CHECK(cgroup_is_frozen(cg, &frozen, &err) == 0 && !frozen);
  for (int i = 0; i < 1000 && *counter == c0; i++)
    usleep(10000);
  CHECK(*counter != c0);

  /* update */
  json_t *up = J("{\"pids\":{\"limit\":20},\"memory\":{\"limit\":134217728}}");
  CHECK(cgroup_update(cg, up, &err) == 0);
  CHECK_STREQ(cg_file(path, "pids.max"), "20");
  v = cg_file(path, "memory.limit_in_bytes");
  CHECK_STREQ(v ? v : cg_file(path, "memory.max"), "134217728");
  json_decref(up);

  /* reopen from the persisted form, destroy with the processes alive */
  struct cgroup *cg2 = NULL;
  CHECK(cgroup_open(cgroup_path(cg), &cg2, &err) == 0);
  if (cg2) {
    CHECK_STREQ(cgroup_path(cg2), path);
    CHECK(cgroup_destroy(cg2, &err) == 0);
    if (err)
      printf("# %s\n", err->msg);
    cgroup_free(cg2);
  }
  CHECK(wait_killed(child) == SIGKILL);
  for (int i = 0; i < 1000 && waitpid(-1, NULL, WNOHANG) >= 0; i++) /* the grandchild */
    usleep(10000);
  CHECK(dirs_present(path) == 0);
  /* destroying again is fine */
  CHECK(cgroup_destroy(cg, &err) == 0);
  cgroup_free(cg);
  error_free(&err);
  json_decref(res);
}

static void expect_error(const char *cgpath, const char *res_json, pid_t pid, const char *msg) {
  int unit_failed_local = 0, *unit_failed = &unit_failed_local;
  pk_error *err = NULL;
  struct cgroup *cg = NULL;
  json_t *res = res_json ? J(res_json) : NULL;
  CHECK(cgroup_create(cgpath, "x", res, pid, &cg, &err) < 0);
  CHECK(cg == NULL);
  if (err && strstr(err->msg, msg) == NULL) {
    printf("# expected \"%s\"\n#   in     \"%s\"\n", msg, err->msg);
    unit_failed_local = 1;
  }
  CHECK(err != NULL);
  error_free(&err);
  json_decref(res);
  if (unit_failed_local)
    printf("# ^ for %s %s\n", cgpath, res_json ? res_json : "");
}

TEST(resource_errors_name_json_paths) {
  char path[128];
  snprintf(path, sizeof(path), "%s-err/e1", top);
  struct {
    const char *json, *msg;
  } cases[] = {
      {"{\"memory\":{\"limit\":\"64m\"}}", "linux.resources.memory.limit: expected an integer"},
      {"{\"memory\":{\"limit\":-5}}",
       "linux.resources.memory.limit: expected an integer >= -1, got -5"},
      {"{\"cpu\":{\"cpus\":5}}", "linux.resources.cpu.cpus: expected a string"},
      {"{\"cpu\":[]}", "linux.resources.cpu: expected an object"},
      {"{\"pids\":{\"limit\":1.5}}", "linux.resources.pids.limit: expected an integer"},
      {"{\"devices\":[{\"allow\":\"yes\"}]}",
       "linux.resources.devices[0].allow: expected a boolean"},
      {"{\"devices\":[{\"allow\":true,\"type\":\"q\"}]}",
       "linux.resources.devices[0].type: expected \"a\", \"c\" or \"b\", got \"q\""},
      {"{\"devices\":[{\"allow\":true,\"access\":\"rwx\"}]}",
       "linux.resources.devices[0].access: expected letters of \"rwm\", got \"rwx\""},
      {"{\"hugepageLimits\":[{\"pageSize\":\"2XB\",\"limit\":1}]}",
       "linux.resources.hugepageLimits[0].pageSize: expected a size like \"2MB\", got \"2XB\""},
      {"{\"blockIO\":{\"weight\":5}}", "linux.resources.blockIO.weight: expected 10..1000, got 5"},
      {"{\"unified\":{\"memory.max\":5}}", "linux.resources.unified.memory.max: expected a string"},
      {"{\"unified\":{\"../x\":\"1\"}}",
       "linux.resources.unified: invalid key \"../x\" (expected CONTROLLER.FILE)"},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
    expect_error(path, cases[i].json, 0, cases[i].msg);
  CHECK(dirs_present(path) == 0);
}

TEST(path_errors) {
  char path[128];
  snprintf(path, sizeof(path), "%s-err/../etc", top);
  expect_error(path, NULL, 0, "\"..\" is not allowed");
  expect_error("/", NULL, 0, "must not be the root cgroup");
  struct stat st;
  if (stat("/run/systemd/system", &st) < 0)
    expect_error("system.slice:is:x", NULL, 0,
                 "cgroupsPath \"system.slice:is:x\": systemd cgroup driver needs systemd running");
}

/* Failures after directories were made leave nothing in any hierarchy, the
 * new parents included. */
TEST(failure_removes_everything) {
  enum cgroup_mode m;
  pk_error *err = NULL;
  char path[128], parent[128];
  CHECK(cgroup_mode_get(&m, &err) == 0);
  snprintf(parent, sizeof(parent), "%s-fail", top);
  snprintf(path, sizeof(path), "%s-fail/a/b", top);

  expect_error(path, "{\"cpu\":{\"cpus\":\"4096\"}}", 0, "cpuset.cpus");
  CHECK(dirs_present(parent) == 0);
  /* a pid that does not exist: every directory is made, the join fails */
  expect_error(path, "{\"pids\":{\"limit\":10}}", 0x3ffffff0, "move pid");
  CHECK(dirs_present(parent) == 0);
  if (m == CGROUP_MODE_HYBRID) {
    expect_error(path, "{\"unified\":{\"memory.max\":\"1000000\"}}", 0,
                 "linux.resources.unified.memory.max: controller memory is not on cgroup v2 on "
                 "this host");
    CHECK(dirs_present(parent) == 0);
  }
  /* with a live pid to move in: it stays where it was */
  pid_t child = spawn(-1);
  expect_error(path, "{\"hugepageLimits\":[{\"pageSize\":\"3MB\",\"limit\":0}]}", child,
               "hugepageLimits[0]");
  CHECK(dirs_present(parent) == 0);
  kill(child, SIGKILL);
  waitpid(child, NULL, 0);
  error_free(&err);
}

/* Relative paths resolve under the caller's own cgroup in each hierarchy and
 * survive a round trip through the persisted form. */
TEST(relative_path_per_hierarchy) {
  char base[128], memonly[128], want[512];
  snprintf(base, sizeof(base), "%s-rel/base", top);
  snprintf(memonly, sizeof(memonly), "%s-rel/memonly", top);
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    int failed = 0, *unit_failed = &failed;
    pk_error *err = NULL;
    struct cgroup *b = NULL, *m = NULL, *r = NULL;
    CHECK(cgroup_create(base, "b", NULL, getpid(), &b, &err) == 0);
    CHECK(cgroup_create(memonly, "m", NULL, 0, &m, &err) == 0);
    if (err)
      printf("# %s\n", err->msg);
    char p[512];
    snprintf(p, sizeof(p), "/sys/fs/cgroup/memory%s/cgroup.procs", memonly);
    bool has_mem = access(p, F_OK) == 0;
    if (has_mem) {
      FILE *f = fopen(p, "w");
      CHECK(f && fprintf(f, "%d", (int)getpid()) > 0 && fclose(f) == 0);
    }
    CHECK(cgroup_create("rel/x", "x", NULL, 0, &r, &err) == 0);
    if (r) {
      if (has_mem)
        snprintf(want, sizeof(want), "%s/rel/x;memory=%s/rel/x", base, memonly);
      else
        snprintf(want, sizeof(want), "%s/rel/x", base);
      CHECK_STREQ(cgroup_path(r), want);
      struct cgroup *r2 = NULL;
      CHECK(cgroup_open(cgroup_path(r), &r2, &err) == 0);
      if (r2) {
        CHECK_STREQ(cgroup_path(r2), want);
        CHECK(cgroup_destroy(r2, &err) == 0);
        cgroup_free(r2);
      }
      snprintf(p, sizeof(p), "%s/rel", memonly);
      CHECK(dirs_present(p) == (has_mem ? 1 : 0)); /* only the leaf is removed */
      cgroup_free(r);
    }
    fflush(stdout);
    _exit(failed);
  }
  int status;
  CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* A child that waits for a byte on go, then opens devices and exits with
 * the number of unexpected results. */
static pid_t spawn_dev_checker(int go, bool phase2) {
  fflush(stdout);
  pid_t pid = fork();
  if (pid != 0)
    return pid;
  char c;
  int fails = 0;
  if (read(go, &c, 1) != 1)
    _exit(99);
  struct {
    const char *dev;
    int flags;
    int want; /* 0 or the errno */
  } p1[] = {{"/dev/null", O_RDWR, 0},         {"/dev/zero", O_RDONLY, EPERM},
            {"/dev/full", O_RDONLY, 0},       {"/dev/full", O_WRONLY, EPERM},
            {"/dev/random", O_RDONLY, 0},     {"/dev/random", O_WRONLY, EPERM},
            {"/dev/urandom", O_RDONLY, EPERM}},
    p2[] = {{"/dev/zero", O_RDONLY, 0}, {"/dev/full", O_WRONLY, 0}, {"/dev/null", O_RDWR, 0}};
  size_t n = phase2 ? sizeof(p2) / sizeof(p2[0]) : sizeof(p1) / sizeof(p1[0]);
  for (size_t i = 0; i < n; i++) {
    const char *dev = phase2 ? p2[i].dev : p1[i].dev;
    int flags = phase2 ? p2[i].flags : p1[i].flags, want = phase2 ? p2[i].want : p1[i].want;
    int fd = open(dev, flags);
    int got = fd >= 0 ? 0 : errno;
    if (fd >= 0)
      close(fd);
    if (got != want) {
      printf("# open %s flags %d: got errno %d, want %d\n", dev, flags, got, want);
      fails++;
    }
  }
  fflush(stdout);
  _exit(fails);
}

/* The cgroup v2 device filter, tested on the cgroup2 hierarchy of whatever
 * host this is (on a hybrid host it works next to the v1 controller). */
TEST(devices_ebpf_filter_on_cgroup2) {
  if (v2_mount < 0) {
    printf("# skipped: no cgroup2 hierarchy\n");
    return;
  }
  pk_error *err = NULL;
  struct cgroup *cg = NULL;
  char path[128], dir[512];
  snprintf(path, sizeof(path), "%s/bpf", top);
  snprintf(dir, sizeof(dir), "%s%s", mounts[v2_mount], path);
  int go[2], go2[2];
  CHECK(pipe(go) == 0 && pipe(go2) == 0);
  pid_t c1 = spawn_dev_checker(go[0], false);
  CHECK(cgroup_create(path, "bpf", NULL, c1, &cg, &err) == 0);
  if (cg == NULL) {
    printf("# %s\n", err->msg);
    error_free(&err);
    kill(c1, SIGKILL);
    waitpid(c1, NULL, 0);
    return;
  }
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  CHECK(fd >= 0);
  json_t *rules = J("[{\"allow\":false,\"access\":\"rwm\"},"
                    "{\"allow\":true,\"type\":\"c\",\"major\":1,\"minor\":3,\"access\":\"rwm\"},"
                    "{\"allow\":true,\"type\":\"c\",\"major\":1,\"minor\":7,\"access\":\"r\"},"
                    "{\"allow\":true,\"type\":\"c\",\"major\":1,\"minor\":8,\"access\":\"rwm\"},"
                    "{\"allow\":false,\"type\":\"c\",\"major\":1,\"minor\":8,\"access\":\"w\"}]");
  CHECK(cgroup_devices_bpf_attach(fd, rules, &err) == 0);
  if (err)
    printf("# %s\n", err->msg);
  error_free(&err);
  CHECK(write(go[1], "g", 1) == 1);
  int status = 0;
  CHECK(waitpid(c1, &status, 0) == c1 && WIFEXITED(status) && WEXITSTATUS(status) == 0);

  /* update: allow everything again; the first program must be gone */
  json_t *all = J("[{\"allow\":true,\"access\":\"rwm\"}]");
  CHECK(cgroup_devices_bpf_attach(fd, all, &err) == 0);
  pid_t c2 = spawn_dev_checker(go2[0], true);
  CHECK(cgroup_enter(cg, c2, &err) == 0);
  CHECK(write(go2[1], "g", 1) == 1);
  CHECK(waitpid(c2, &status, 0) == c2 && WIFEXITED(status) && WEXITSTATUS(status) == 0);

  /* a bad rule names its path */
  json_t *bad = J("[{\"allow\":true,\"type\":\"x\"}]");
  CHECK(cgroup_devices_bpf_attach(fd, bad, &err) < 0);
  CHECK_STREQ(err ? err->msg : NULL,
              "linux.resources.devices[0].type: expected \"a\", \"c\" or \"b\", got \"x\"");
  error_free(&err);
  json_decref(bad);
  json_decref(all);
  json_decref(rules);
  close(fd);
  for (int i = 0; i < 2; i++) {
    close(go[i]);
    close(go2[i]);
  }
  CHECK(cgroup_destroy(cg, &err) == 0);
  cgroup_free(cg);
  CHECK(dirs_present(path) == 0);
}

/* The cheap joins: the process moves itself (v1 tasks with "0"), or is
 * cloned straight into the cgroup2 directory. */
TEST(enter_self_and_clone_into_cgroup) {
  pk_error *err = NULL;
  struct cgroup *cg = NULL;
  char path[128];
  snprintf(path, sizeof(path), "%s/self", top);
  CHECK(cgroup_create(path, "self", NULL, 0, &cg, &err) == 0);
  if (cg == NULL) {
    printf("# %s\n", err->msg);
    error_free(&err);
    return;
  }
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int rc = cgroup_enter_self(cg, false, &err);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    printf("# cgroup_enter_self: %.3f ms\n",
           (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6);
    if (rc < 0)
      printf("# %s\n", err->msg);
    fflush(stdout);
    _exit(rc == 0 && proc_cgroup_all(getpid(), path) ? 0 : 1);
  }
  int status = 0;
  CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);

  int fd = cgroup_v2_fd(cg, &err);
  if (fd >= 0) {
    struct clone_args args = {
        .flags = CLONE_INTO_CGROUP, .exit_signal = SIGCHLD, .cgroup = (__u64)fd};
    fflush(stdout);
    pid = (pid_t)syscall(SYS_clone3, &args, sizeof(args));
    if (pid == 0) {
      /* already in the v2 directory, before joining anything else */
      char line[512] = "";
      FILE *f = fopen("/proc/self/cgroup", "r");
      bool v2_in = false;
      while (f && fgets(line, sizeof(line), f))
        if (str_has_prefix(line, "0::") && strstr(line, path))
          v2_in = true;
      if (f)
        fclose(f);
      int rc = cgroup_enter_self(cg, true, &err);
      _exit(v2_in && rc == 0 && proc_cgroup_all(getpid(), path) ? 0 : 1);
    }
    if (pid < 0)
      printf("# clone3 CLONE_INTO_CGROUP: %s (skipped)\n", strerror(errno));
    else
      CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);
    close(fd);
  }
  error_free(&err);
  CHECK(cgroup_destroy(cg, &err) == 0);
  cgroup_free(cg);
  CHECK(dirs_present(path) == 0);
}

/* ---- pure cgroup v2, simulated: a private mount namespace where
 * /sys/fs/cgroup is the cgroup2 hierarchy and nothing else, so the module
 * sees a v2 host (with whatever controllers v2 has here). ---- */

#define V2_CHECK(c)                                                                                \
  do {                                                                                             \
    if (!(c)) {                                                                                    \
      printf("# v2 child %s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #c);                      \
      fails++;                                                                                     \
    }                                                                                              \
  } while (0)

static int v2_checks(const char *top_v2) {
  int fails = 0;
  pk_error *err = NULL;
  enum cgroup_mode m;
  struct cgroup *cg = NULL;
  char path[128], p[512];
  V2_CHECK(cgroup_mode_get(&m, &err) == 0 && m == CGROUP_MODE_V2);
  snprintf(path, sizeof(path), "%s/c", top_v2);
  snprintf(p, sizeof(p), "/sys/fs/cgroup%s", path);

  /* a controller v2 does not have here is a clear error, nothing left */
  json_t *bad = J("{\"cpu\":{\"quota\":1000}}");
  V2_CHECK(cgroup_create(path, "c", bad, 0, &cg, &err) < 0);
  V2_CHECK(err && strstr(err->msg, "linux.resources.cpu: the host has no cpu cgroup controller"));
  if (err)
    printf("# v2: %s\n", err->msg);
  error_free(&err);
  V2_CHECK(access(p, F_OK) < 0);
  json_decref(bad);

  int go[2];
  V2_CHECK(pipe(go) == 0);
  pid_t child = spawn_dev_checker(go[0], false);
  json_t *res = J("{\"devices\":[{\"allow\":false,\"access\":\"rwm\"},"
                  "{\"allow\":true,\"type\":\"c\",\"major\":1,\"minor\":3,\"access\":\"rwm\"},"
                  "{\"allow\":true,\"type\":\"c\",\"major\":1,\"minor\":7,\"access\":\"r\"},"
                  "{\"allow\":true,\"type\":\"c\",\"major\":1,\"minor\":8,\"access\":\"rwm\"},"
                  "{\"allow\":false,\"type\":\"c\",\"major\":1,\"minor\":8,\"access\":\"w\"}],"
                  "\"unified\":{\"cgroup.max.depth\":\"3\"}}");
  V2_CHECK(cgroup_create(path, "c", res, child, &cg, &err) == 0);
  json_decref(res);
  if (cg == NULL) {
    printf("# v2: %s\n", err->msg);
    kill(child, SIGKILL);
    return fails + 1;
  }
  V2_CHECK(strcmp(cgroup_path(cg), path) == 0);
  char want[256], line[512];
  snprintf(want, sizeof(want), "0::%s\n", path);
  snprintf(p, sizeof(p), "/proc/%d/cgroup", (int)child);
  bool in_v2 = false;
  FILE *pf = fopen(p, "r");
  while (pf && fgets(line, sizeof(line), pf))
    in_v2 |= strcmp(line, want) == 0;
  if (pf)
    fclose(pf);
  V2_CHECK(in_v2);
  snprintf(p, sizeof(p), "/sys/fs/cgroup%s/cgroup.max.depth", path);
  char buf[64] = "";
  FILE *f = fopen(p, "r");
  V2_CHECK(f && fgets(buf, sizeof(buf), f) && strcmp(buf, "3\n") == 0);
  if (f)
    fclose(f);
  /* the eBPF device filter from cgroup_create */
  V2_CHECK(write(go[1], "g", 1) == 1);
  int status = 0;
  V2_CHECK(waitpid(child, &status, 0) == child && WIFEXITED(status) && WEXITSTATUS(status) == 0);

  /* freeze/thaw through cgroup.freeze, pids, kill through cgroup.kill */
  pid_t c2 = spawn(-1);
  V2_CHECK(cgroup_enter(cg, c2, &err) == 0);
  bool frozen = true;
  V2_CHECK(cgroup_freeze(cg, &err) == 0 && cgroup_is_frozen(cg, &frozen, &err) == 0 && frozen);
  unsigned long c0 = *counter;
  usleep(100000);
  V2_CHECK(*counter == c0);
  V2_CHECK(cgroup_thaw(cg, &err) == 0 && cgroup_is_frozen(cg, &frozen, &err) == 0 && !frozen);
  for (int i = 0; i < 1000 && *counter == c0; i++)
    usleep(10000);
  V2_CHECK(*counter != c0);
  pid_t *pids = NULL;
  size_t n = 0;
  V2_CHECK(cgroup_pids(cg, &pids, &n, &err) == 0 && n == 1 && pids[0] == c2);
  free(pids);
  struct cgroup_stats st;
  V2_CHECK(cgroup_stats(cg, &st, &err) == 0 && st.has_cpu);
  V2_CHECK(cgroup_destroy(cg, &err) == 0);
  if (err)
    printf("# v2: %s\n", err->msg);
  V2_CHECK(wait_killed(c2) == SIGKILL);
  snprintf(p, sizeof(p), "/sys/fs/cgroup%s", path);
  V2_CHECK(access(p, F_OK) < 0);
  cgroup_free(cg);
  error_free(&err);
  fflush(stdout);
  return fails;
}

__attribute__((constructor(150))) static void v2_child_mode(void) {
  const char *t = getenv("IS_V2_TOP");
  if (t == NULL)
    return;
  _exit(v2_checks(t));
}

TEST(pure_v2_in_private_mount_namespace) {
  if (v2_mount < 0) {
    printf("# skipped: no cgroup2 hierarchy\n");
    return;
  }
  char t[128];
  snprintf(t, sizeof(t), "%s-v2", top);
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
        umount2("/sys/fs/cgroup", MNT_DETACH) < 0 ||
        mount("cgroup2", "/sys/fs/cgroup", "cgroup2", 0, NULL) < 0) {
      printf("# v2 namespace set-up: %s\n", strerror(errno));
      fflush(stdout);
      _exit(100);
    }
    setenv("IS_V2_TOP", t, 1);
    execl("/proc/self/exe", "test_cgroup", (char *)NULL);
    _exit(101);
  }
  int status = 0;
  CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);
  strcat(t, "/c");
  CHECK(dirs_present(t) == 0);
}

TEST(resources_with_default_devices) {
  pk_error *err = NULL;
  json_t *res = J("{\"pids\":{\"limit\":9},\"devices\":[{\"allow\":false,\"access\":\"rwm\"}]}");
  json_t *devs = J("[{\"path\":\"/dev/fuse\",\"type\":\"c\",\"major\":10,\"minor\":229},"
                   "{\"path\":\"/dev/p\",\"type\":\"p\"}]");
  json_t *out = cgroup_resources_with_devices(res, devs, &err);
  CHECK(out != NULL);
  json_t *list = json_object_get(out, "devices");
  CHECK(json_array_size(list) == 1 + 12 + 1);
  CHECK(json_is_false(json_object_get(json_array_get(list, 0), "allow")));
  json_t *last = json_array_get(list, json_array_size(list) - 1);
  CHECK(json_integer_value(json_object_get(last, "major")) == 10 &&
        json_integer_value(json_object_get(last, "minor")) == 229);
  CHECK(json_integer_value(json_object_get(json_object_get(out, "pids"), "limit")) == 9);
  /* the input is untouched */
  CHECK(json_array_size(json_object_get(res, "devices")) == 1);

  /* applied on this host: /dev/null allowed, /dev/fuse too, others denied */
  struct cgroup *cg = NULL;
  char path[128];
  snprintf(path, sizeof(path), "%s/defdev", top);
  CHECK(cgroup_create(path, "d", out, 0, &cg, &err) == 0);
  if (err)
    printf("# %s\n", err->msg);
  char *v = cg_file(path, "devices.list");
  if (v) {
    CHECK(strstr(v, "c 1:3 rwm") && strstr(v, "c 10:229 rwm") && strstr(v, "c 136:* rwm") &&
          strstr(v, "b *:* m"));
    CHECK(strstr(v, "a *:* rwm") == NULL);
  }
  if (cg) {
    CHECK(cgroup_destroy(cg, &err) == 0);
    cgroup_free(cg);
  }
  json_t *bad = J("[{\"path\":\"/dev/x\",\"type\":\"z\",\"major\":1,\"minor\":1}]");
  CHECK(cgroup_resources_with_devices(NULL, bad, &err) == NULL);
  CHECK_STREQ(err ? err->msg : NULL,
              "linux.devices[0].type: expected \"c\", \"b\", \"u\" or \"p\"");
  error_free(&err);
  json_decref(bad);
  json_decref(out);
  json_decref(devs);
  json_decref(res);
}
