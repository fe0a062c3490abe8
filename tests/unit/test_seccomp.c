/* seccomp filters installed in forked children; the cache lives in a private
 * directory /run/is<pid>-seccomp removed at exit. */
#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>

#include "seccomp_filter.h"
#include "unit.h"
#include "util.h"

static char cache_dir[64];

static void cleanup_dir(void) {
  char cmd[128];
  if (cache_dir[0] && str_has_prefix(cache_dir, "/run/is")) {
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", cache_dir);
    if (system(cmd) != 0)
      fprintf(stderr, "could not remove %s\n", cache_dir);
  }
}

static void on_signal(int sig) {
  cleanup_dir();
  signal(sig, SIG_DFL);
  raise(sig);
}

__attribute__((constructor(200))) static void setup(void) {
  snprintf(cache_dir, sizeof(cache_dir), "/run/is%d-seccomp", (int)getpid());
  atexit(cleanup_dir);
  signal(SIGINT, on_signal);
  signal(SIGTERM, on_signal);
}

static json_t *J(const char *text) {
  json_error_t je;
  json_t *j = json_loads(text, 0, &je);
  if (j == NULL)
    printf("# bad test json: %s at %d\n", je.text, je.column);
  return j;
}

static double ms_since(struct timespec t0) {
  struct timespec t1;
  clock_gettime(CLOCK_MONOTONIC, &t1);
  return (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6;
}

static int seccomp_mode(void) {
  char *text = NULL;
  size_t len;
  pk_error *err = NULL;
  int mode = -1;
  if (file_read_all("/proc/self/status", 0, &text, &len, &err) == 0) {
    char *p = strstr(text, "\nSeccomp:\t");
    if (p)
      mode = atoi(p + 10);
  }
  free(text);
  error_free(&err);
  return mode;
}

/* In a child: CHECKs there count into the exit status. */
#define CHILD_CHECK(c)                                                                             \
  do {                                                                                             \
    if (!(c)) {                                                                                    \
      printf("# child %s:%d: CHECK(%s) failed (errno %d)\n", __FILE__, __LINE__, #c, errno);       \
      fails++;                                                                                     \
    }                                                                                              \
  } while (0)

static long sc6(long nr, long a0, long a1, long a2, long a3, long a4, long a5) {
  errno = 0;
  return syscall(nr, a0, a1, a2, a3, a4, a5);
}

static const char *profile_ops =
    "{\"defaultAction\":\"SCMP_ACT_ALLOW\","
    "\"architectures\":[\"SCMP_ARCH_X86_64\",\"SCMP_ARCH_X86\",\"SCMP_ARCH_AARCH64\"],"
    "\"flags\":[\"SECCOMP_FILTER_FLAG_LOG\",\"SECCOMP_FILTER_FLAG_SPEC_ALLOW\"],"
    "\"syscalls\":["
    "{\"names\":[\"mkdir\",\"mkdirat\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":38},"
    "{\"names\":[\"rmdir\",\"no_such_syscall_at_all\"],\"action\":\"SCMP_ACT_ERRNO\"},"
    "{\"names\":[\"getppid\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":10,"
    " \"args\":[{\"index\":0,\"value\":42,\"op\":\"SCMP_CMP_EQ\"}]},"
    "{\"names\":[\"getuid\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":11,"
    " \"args\":[{\"index\":1,\"value\":7,\"op\":\"SCMP_CMP_NE\"}]},"
    "{\"names\":[\"getgid\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":12,"
    " \"args\":[{\"index\":2,\"value\":5,\"op\":\"SCMP_CMP_LT\"}]},"
    "{\"names\":[\"geteuid\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":13,"
    " \"args\":[{\"index\":3,\"value\":5,\"op\":\"SCMP_CMP_LE\"}]},"
    "{\"names\":[\"getegid\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":14,"
    " \"args\":[{\"index\":4,\"value\":100,\"op\":\"SCMP_CMP_GE\"}]},"
    "{\"names\":[\"gettid\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":15,"
    " \"args\":[{\"index\":5,\"value\":100,\"op\":\"SCMP_CMP_GT\"}]},"
    "{\"names\":[\"getpgrp\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":16,"
    " \"args\":[{\"index\":0,\"value\":240,\"valueTwo\":48,\"op\":\"SCMP_CMP_MASKED_EQ\"}]},"
    "{\"names\":[\"getsid\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":17,"
    " \"args\":[{\"index\":0,\"value\":1,\"op\":\"SCMP_CMP_EQ\"},"
    "          {\"index\":0,\"value\":2,\"op\":\"SCMP_CMP_EQ\"}]},"
    "{\"names\":[\"getpriority\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":18,"
    " \"args\":[{\"index\":0,\"value\":1,\"op\":\"SCMP_CMP_EQ\"},"
    "          {\"index\":1,\"value\":2,\"op\":\"SCMP_CMP_EQ\"}]}"
    "]}";

TEST(install_errno_and_all_ops) {
  pk_error *err = NULL;
  struct seccomp_filter_prog *prog = NULL;
  json_t *j = J(profile_ops);
  struct seccomp_filter_opts opts = {.cache_dir = ""};
  CHECK(seccomp_filter_prepare(j, &opts, &prog, &err) == 0);
  if (prog == NULL) {
    printf("# %s\n", err ? err->msg : "?");
    error_free(&err);
    json_decref(j);
    return;
  }
  CHECK(prog->n_insns > 0 && !prog->notify && !prog->from_cache);
  CHECK(prog->flags == (SECCOMP_FILTER_FLAG_LOG | SECCOMP_FILTER_FLAG_SPEC_ALLOW));
  char dir[128];
  snprintf(dir, sizeof(dir), "/tmp/is%d-mkdir", (int)getpid());
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    int fails = 0, lfd;
    pk_error *e = NULL;
    CHILD_CHECK(seccomp_mode() == 0);
    if (seccomp_filter_install(prog, &lfd, &e) < 0) {
      printf("# child: %s\n", e->msg);
      _exit(100);
    }
    CHILD_CHECK(lfd == -1);
    CHILD_CHECK(seccomp_mode() == 2);
    CHILD_CHECK(mkdir(dir, 0700) < 0 && errno == 38);
    CHILD_CHECK(syscall(SYS_mkdirat, AT_FDCWD, dir, 0700) < 0 && errno == 38);
    CHILD_CHECK(rmdir("/tmp") < 0 && errno == EPERM);
    /* EQ */
    CHILD_CHECK(sc6(SYS_getppid, 42, 0, 0, 0, 0, 0) < 0 && errno == 10);
    CHILD_CHECK(sc6(SYS_getppid, 41, 0, 0, 0, 0, 0) == getppid());
    /* NE */
    CHILD_CHECK(sc6(SYS_getuid, 0, 8, 0, 0, 0, 0) < 0 && errno == 11);
    CHILD_CHECK(sc6(SYS_getuid, 0, 7, 0, 0, 0, 0) == 0);
    /* LT */
    CHILD_CHECK(sc6(SYS_getgid, 0, 0, 4, 0, 0, 0) < 0 && errno == 12);
    CHILD_CHECK(sc6(SYS_getgid, 0, 0, 5, 0, 0, 0) == 0);
    /* LE */
    CHILD_CHECK(sc6(SYS_geteuid, 0, 0, 0, 5, 0, 0) < 0 && errno == 13);
    CHILD_CHECK(sc6(SYS_geteuid, 0, 0, 0, 6, 0, 0) == 0);
    /* GE */
    CHILD_CHECK(sc6(SYS_getegid, 0, 0, 0, 0, 100, 0) < 0 && errno == 14);
    CHILD_CHECK(sc6(SYS_getegid, 0, 0, 0, 0, 99, 0) == 0);
    /* GT */
    CHILD_CHECK(sc6(SYS_gettid, 0, 0, 0, 0, 0, 101) < 0 && errno == 15);
    CHILD_CHECK(sc6(SYS_gettid, 0, 0, 0, 0, 0, 100) == getpid());
    /* MASKED_EQ: (arg & 0xf0) == 0x30 */
    CHILD_CHECK(sc6(SYS_getpgrp, 0x3f, 0, 0, 0, 0, 0) < 0 && errno == 16);
    CHILD_CHECK(sc6(SYS_getpgrp, 0x4f, 0, 0, 0, 0, 0) == getpgrp());
    /* two conditions on one argument: either matches */
    CHILD_CHECK(sc6(SYS_getsid, 1, 0, 0, 0, 0, 0) < 0 && errno == 17);
    CHILD_CHECK(sc6(SYS_getsid, 2, 0, 0, 0, 0, 0) < 0 && errno == 17);
    CHILD_CHECK(sc6(SYS_getsid, 0, 0, 0, 0, 0, 0) == getsid(0));
    /* conditions on distinct arguments: both must match */
    CHILD_CHECK(sc6(SYS_getpriority, 1, 2, 0, 0, 0, 0) < 0 && errno == 18);
    CHILD_CHECK(sc6(SYS_getpriority, 1, 0, 0, 0, 0, 0) >= 0);
    CHILD_CHECK(sc6(SYS_getpriority, 0, 2, 0, 0, 0, 0) >= 0 || errno != 18);
    CHILD_CHECK(getpid() > 0 && access("/", F_OK) == 0);
    fflush(stdout);
    _exit(fails);
  }
  int status = 0;
  CHECK(waitpid(pid, &status, 0) == pid);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  rmdir(dir);
  seccomp_filter_free(prog);
  json_decref(j);
}

static void expect_error(const char *profile, const char *msg) {
  int unit_failed_local = 0, *unit_failed = &unit_failed_local;
  pk_error *err = NULL;
  struct seccomp_filter_prog *prog = NULL;
  json_t *j = J(profile);
  struct seccomp_filter_opts opts = {.cache_dir = ""};
  CHECK(j && seccomp_filter_prepare(j, &opts, &prog, &err) < 0);
  CHECK(prog == NULL);
  CHECK_STREQ(err ? err->msg : NULL, msg);
  error_free(&err);
  json_decref(j);
  if (unit_failed_local)
    printf("# ^ for %s\n", profile);
}

TEST(errors_name_json_paths) {
  expect_error(
      "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],"
      "\"action\":\"SCMP_ACT_ERRNO\"},{\"names\":[\"write\"],\"action\":\"SCMP_ACT_FOO\"}]}",
      "linux.seccomp.syscalls[1].action: unknown action \"SCMP_ACT_FOO\"");
  expect_error("{\"defaultAction\":\"SCMP_ACT_NOPE\"}",
               "linux.seccomp.defaultAction: unknown action \"SCMP_ACT_NOPE\"");
  expect_error("{}", "linux.seccomp.defaultAction: expected a string");
  expect_error("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"architectures\":[\"SCMP_ARCH_X86_64\","
               "\"SCMP_ARCH_Z80\"]}",
               "linux.seccomp.architectures[1]: unknown architecture \"SCMP_ARCH_Z80\"");
  expect_error("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],"
               "\"action\":\"SCMP_ACT_ERRNO\",\"args\":[{\"index\":0,\"value\":1,"
               "\"op\":\"SCMP_CMP_ABOUT\"}]}]}",
               "linux.seccomp.syscalls[0].args[0].op: unknown operator \"SCMP_CMP_ABOUT\"");
  expect_error("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],"
               "\"action\":\"SCMP_ACT_ERRNO\",\"args\":[{\"index\":6,\"value\":1,"
               "\"op\":\"SCMP_CMP_EQ\"}]}]}",
               "linux.seccomp.syscalls[0].args[0].index: expected 0..5, got 6");
  expect_error("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"flags\":[\"SECCOMP_FILTER_FLAG_FAST\"]}",
               "linux.seccomp.flags[0]: unknown flag \"SECCOMP_FILTER_FLAG_FAST\"");
  expect_error("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],"
               "\"action\":\"SCMP_ACT_NOTIFY\"}]}",
               "linux.seccomp.listenerPath: required when an action is SCMP_ACT_NOTIFY");
  expect_error("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[],"
               "\"action\":\"SCMP_ACT_ERRNO\"}]}",
               "linux.seccomp.syscalls[0].names: expected a non-empty array of strings");
  expect_error("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrnoRet\":\"x\"}",
               "linux.seccomp.defaultErrnoRet: expected an errno number 0..65535");
  pk_error *err = NULL;
  struct seccomp_filter_prog *prog = (void *)1;
  CHECK(seccomp_filter_prepare(NULL, NULL, &prog, &err) == 0 && prog == NULL);
}

static json_t *load_default_profile(void) {
  const char *top = getenv("PODKIT_TOP");
  char path[512];
  snprintf(path, sizeof(path), "%s/examples/seccomp-default.json", top ? top : ".");
  json_error_t je;
  json_t *j = json_load_file(path, 0, &je);
  if (j == NULL)
    printf("# %s: %s\n", path, je.text);
  return j;
}

/* The first prepare compiles and stores, the second only reads the file and
 * gets the very same program; a tampered entry is recompiled. */
TEST(cache_hit_same_program) {
  pk_error *err = NULL;
  struct seccomp_filter_prog *p1 = NULL, *p2 = NULL, *p3 = NULL, *p4 = NULL, *p5 = NULL;
  json_t *j = load_default_profile();
  CHECK(j != NULL);
  if (j == NULL)
    return;
  struct seccomp_filter_opts opts = {.cache_dir = cache_dir};
  struct seccomp_filter_opts all = {.cache_dir = cache_dir, .all_arches = true};
  struct seccomp_filter_opts none = {.cache_dir = ""};
  struct timespec t0;
  double t_all, t_native, t_miss, t_hit;

  clock_gettime(CLOCK_MONOTONIC, &t0);
  CHECK(seccomp_filter_prepare(j, &none, &p5, &err) == 0);
  t_native = ms_since(t0);
  clock_gettime(CLOCK_MONOTONIC, &t0);
  CHECK(seccomp_filter_prepare(j, &opts, &p1, &err) == 0);
  t_miss = ms_since(t0);
  clock_gettime(CLOCK_MONOTONIC, &t0);
  CHECK(seccomp_filter_prepare(j, &opts, &p2, &err) == 0);
  t_hit = ms_since(t0);
  clock_gettime(CLOCK_MONOTONIC, &t0);
  CHECK(seccomp_filter_prepare(j, &all, &p3, &err) == 0);
  t_all = ms_since(t0);
  if (err)
    printf("# %s\n", err->msg);
  printf("# default profile: native compile %.2f ms, 3 arches %.2f ms, "
         "cache miss+store %.2f ms, cache hit %.3f ms\n",
         t_native, t_all, t_miss, t_hit);
  if (p1 && p2 && p3 && p5) {
    printf("# BPF: %zu insns native, %zu with all arches\n", p1->n_insns, p3->n_insns);
    CHECK(!p1->from_cache && p2->from_cache && !p3->from_cache && !p5->from_cache);
    CHECK(p1->n_insns == p2->n_insns &&
          memcmp(p1->insns, p2->insns, p1->n_insns * sizeof(struct sock_filter)) == 0);
    CHECK(p1->n_insns == p5->n_insns &&
          memcmp(p1->insns, p5->insns, p1->n_insns * sizeof(struct sock_filter)) == 0);
    CHECK(p3->n_insns > p1->n_insns);
  }

  /* tamper with the stored profile text: a miss, recompiled, same program */
  char cmd[256];
  snprintf(cmd, sizeof(cmd),
           "for f in %s/*.bpf; do printf X | dd of=$f bs=1 seek=40 conv=notrunc 2>/dev/null; done",
           cache_dir);
  CHECK(system(cmd) == 0);
  CHECK(seccomp_filter_prepare(j, &opts, &p4, &err) == 0);
  if (p4 && p1) {
    CHECK(!p4->from_cache);
    CHECK(p1->n_insns == p4->n_insns &&
          memcmp(p1->insns, p4->insns, p1->n_insns * sizeof(struct sock_filter)) == 0);
  }
  /* a profile differing in one errno is another entry */
  json_object_set_new(j, "defaultErrnoRet", json_integer(38));
  struct seccomp_filter_prog *p6 = NULL;
  CHECK(seccomp_filter_prepare(j, &opts, &p6, &err) == 0);
  CHECK(p6 && !p6->from_cache);
  if (p6 && p1)
    CHECK(p6->n_insns != p1->n_insns ||
          memcmp(p1->insns, p6->insns, p1->n_insns * sizeof(struct sock_filter)) != 0);
  seccomp_filter_free(p1);
  seccomp_filter_free(p2);
  seccomp_filter_free(p3);
  seccomp_filter_free(p4);
  seccomp_filter_free(p5);
  seccomp_filter_free(p6);
  error_free(&err);
  json_decref(j);
}

/* The example profile works for a real program and blocks what it should. */
TEST(default_profile_in_child) {
  pk_error *err = NULL;
  struct seccomp_filter_prog *prog = NULL;
  json_t *j = load_default_profile();
  struct seccomp_filter_opts opts = {.cache_dir = cache_dir};
  CHECK(j && seccomp_filter_prepare(j, &opts, &prog, &err) == 0);
  json_decref(j);
  if (prog == NULL) {
    error_free(&err);
    return;
  }
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    int fails = 0, lfd;
    pk_error *e = NULL;
    if (seccomp_filter_install(prog, &lfd, &e) < 0) {
      printf("# child: %s\n", e->msg);
      _exit(100);
    }
    CHILD_CHECK(seccomp_mode() == 2);
    CHILD_CHECK(mount("none", "/mnt", "tmpfs", 0, NULL) < 0 && errno == EPERM);
    CHILD_CHECK(unshare(CLONE_NEWNS) < 0 && errno == EPERM);
    CHILD_CHECK(syscall(SYS_clone3, NULL, 0) < 0 && errno == ENOSYS);
    CHILD_CHECK(socket(40 /* AF_VSOCK */, SOCK_STREAM, 0) < 0 && errno == EPERM);
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    CHILD_CHECK(s >= 0);
    /* fork + exec of a real binary */
    int st = system("exec /bin/true");
    CHILD_CHECK(st == 0);
    fflush(stdout);
    _exit(fails);
  }
  int status = 0;
  CHECK(waitpid(pid, &status, 0) == pid);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  seccomp_filter_free(prog);
}

#if defined(__x86_64__)
static long int80_getpid(void) {
  long ret;
  __asm__ volatile("int $0x80" : "=a"(ret) : "a"(20L) : "memory");
  return ret;
}

/* Listed but not compiled ABIs fail closed: an i386 syscall kills. */
TEST(foreign_arch_killed_when_not_compiled) {
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0)
    _exit(int80_getpid() == getpid() ? 0 : 1);
  int status = 0;
  waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    printf("# ok - skipped: no ia32 emulation in this kernel\n");
    return;
  }
  json_t *j = J("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"architectures\":[\"SCMP_ARCH_X86_64\","
                "\"SCMP_ARCH_X86\"],\"syscalls\":[{\"names\":[\"mkdir\"],\"action\":"
                "\"SCMP_ACT_ERRNO\"}]}");
  for (int all = 0; all < 2; all++) {
    pk_error *err = NULL;
    struct seccomp_filter_prog *prog = NULL;
    struct seccomp_filter_opts opts = {.cache_dir = "", .all_arches = all};
    CHECK(seccomp_filter_prepare(j, &opts, &prog, &err) == 0);
    if (prog == NULL)
      continue;
    fflush(stdout);
    pid = fork();
    if (pid == 0) {
      int lfd;
      if (seccomp_filter_install(prog, &lfd, &err) < 0)
        _exit(100);
      _exit(int80_getpid() == getpid() ? 0 : 1);
    }
    waitpid(pid, &status, 0);
    if (all)
      CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    else
      CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS);
    seccomp_filter_free(prog);
  }
  json_decref(j);
}
#endif

/* SCMP_ACT_NOTIFY: the listener gets the fd and the state, and answers the
 * child's syscall. */
TEST(notify_listener_gets_fd_and_state) {
  pk_error *err = NULL;
  char sock_path[100], profile[512];
  CHECK(mkdir_p(cache_dir, 0700, &err) == 0);
  snprintf(sock_path, sizeof(sock_path), "%s/listener.sock", cache_dir);
  snprintf(profile, sizeof(profile),
           "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"listenerPath\":\"%s\","
           "\"listenerMetadata\":\"meta-is\",\"syscalls\":[{\"names\":[\"getppid\"],"
           "\"action\":\"SCMP_ACT_NOTIFY\"}]}",
           sock_path);
  json_t *j = J(profile);
  struct seccomp_filter_prog *prog = NULL;
  struct seccomp_filter_opts opts = {.cache_dir = cache_dir};
  CHECK(seccomp_filter_prepare(j, &opts, &prog, &err) == 0);
  json_decref(j);
  if (prog == NULL) {
    printf("# %s\n", err ? err->msg : "?");
    error_free(&err);
    return;
  }
  CHECK(prog->notify);
  CHECK_STREQ(prog->listener_path, sock_path);

  int ls = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock_path);
  unlink(sock_path);
  CHECK(bind(ls, (struct sockaddr *)&sa, sizeof(sa)) == 0 && listen(ls, 1) == 0);

  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    int lfd = -1;
    pk_error *e = NULL;
    if (seccomp_filter_install(prog, &lfd, &e) < 0 || lfd < 0) {
      printf("# child: %s\n", e ? e->msg : "no listener fd");
      _exit(100);
    }
    json_t *state = json_pack("{s:s,s:s}", "id", "is-notify", "status", "creating");
    if (seccomp_filter_send_listener(prog, lfd, getpid(), state, &e) < 0) {
      printf("# child: %s\n", e->msg);
      _exit(101);
    }
    close(lfd);
    _exit(syscall(SYS_getppid) == 4242 ? 0 : 1);
  }
  struct pollfd pfd = {ls, POLLIN, 0};
  CHECK(poll(&pfd, 1, 30000) == 1);
  int conn = accept(ls, NULL, NULL);
  CHECK(conn >= 0);
  char buf[4096];
  union {
    char b[CMSG_SPACE(sizeof(int))];
    struct cmsghdr align;
  } u;
  struct iovec iov = {buf, sizeof(buf) - 1};
  struct msghdr msg = {
      .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.b, .msg_controllen = sizeof(u.b)};
  ssize_t n = conn >= 0 ? recvmsg(conn, &msg, MSG_CMSG_CLOEXEC) : -1;
  CHECK(n > 0);
  int nfd = -1;
  struct cmsghdr *c = n > 0 ? CMSG_FIRSTHDR(&msg) : NULL;
  if (c && c->cmsg_type == SCM_RIGHTS)
    memcpy(&nfd, CMSG_DATA(c), sizeof(int));
  CHECK(nfd >= 0);
  if (n > 0) {
    buf[n] = 0;
    json_t *st = J(buf);
    CHECK(st != NULL);
    CHECK_STREQ(json_string_value(json_object_get(st, "metadata")), "meta-is");
    CHECK_STREQ(json_string_value(json_array_get(json_object_get(st, "fds"), 0)), "seccompFd");
    CHECK(json_integer_value(json_object_get(st, "pid")) == pid);
    CHECK_STREQ(json_string_value(json_object_get(json_object_get(st, "state"), "id")),
                "is-notify");
    json_decref(st);
  }
  if (nfd >= 0) {
    struct pollfd nf = {nfd, POLLIN, 0};
    CHECK(poll(&nf, 1, 30000) == 1);
    struct seccomp_notif req;
    memset(&req, 0, sizeof(req));
    CHECK(ioctl(nfd, SECCOMP_IOCTL_NOTIF_RECV, &req) == 0);
    CHECK(req.pid == (unsigned)pid && req.data.nr == SYS_getppid);
    struct seccomp_notif_resp resp = {.id = req.id, .val = 4242, .error = 0, .flags = 0};
    CHECK(ioctl(nfd, SECCOMP_IOCTL_NOTIF_SEND, &resp) == 0);
    close(nfd);
  }
  int status = 0;
  if (nfd < 0)
    kill(pid, SIGKILL);
  CHECK(waitpid(pid, &status, 0) == pid);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  if (conn >= 0)
    close(conn);
  close(ls);
  seccomp_filter_free(prog);
}
