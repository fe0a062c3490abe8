/* SPDX-License-Identifier: MIT
 * The sealed exec stub of sealed.c (CVE-2019-5736): sealed, runs the
 * program it is given with its argv and environment, leaves that program
 * with the stub (not this binary) as the exe it was exec'd from, and ends
 * with 127 when used as a #! interpreter. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sealed.h"
#include "unit.h"

/* Run argv through the stub in a child; its stdout and stderr into out. */
static int stub_run(int fd, const char *path, char *const argv[], char *out, size_t size) {
  int p[2], st = -1;
  ssize_t n, len = 0;
  pid_t pid;
  char *const envp[] = {"SEALED_TEST=yes", NULL};

  if (pipe(p) < 0)
    return -1;
  pid = fork();
  if (pid == 0) {
    dup2(p[1], 1);
    dup2(p[1], 2);
    close(p[0]);
    sealed_execve(fd, path, argv, envp);
    _exit(99);
  }
  close(p[1]);
  while ((n = read(p[0], out + len, size - 1 - (size_t)len)) > 0)
    len += n;
  out[len > 0 ? len : 0] = '\0';
  close(p[0]);
  waitpid(pid, &st, 0);
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

TEST(stub_is_sealed) {
  pk_error *err = NULL;
  int fd = sealed_stub_create(20, &err);
  CHECK(fd >= 20);
  if (fd < 0) {
    error_free(&err);
    return;
  }
  CHECK((fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0);
  {
    int seals = fcntl(fd, F_GET_SEALS);
    CHECK(seals >= 0);
    CHECK((seals & (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)) ==
          (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE));
  }
  /* a write through a fresh open of it fails */
  {
    char self[64];
    int w;
    snprintf(self, sizeof(self), "/proc/self/fd/%d", fd);
    w = open(self, O_WRONLY | O_CLOEXEC);
    CHECK(w < 0 || write(w, "x", 1) < 0);
    if (w >= 0)
      close(w);
  }
  close(fd);
}

TEST(stub_execs_with_argv_and_env) {
  pk_error *err = NULL;
  int fd = sealed_stub_create(3, &err);
  char out[4096];
  char *const argv[] = {"sh", "-c", "echo \"$0 $1 $SEALED_TEST\"", "zero", "one", NULL};
  CHECK(fd >= 0);
  if (fd < 0) {
    error_free(&err);
    return;
  }
  CHECK(stub_run(fd, "/bin/sh", argv, out, sizeof(out)) == 0);
  CHECK_STREQ(out, "zero one yes\n");
  close(fd);
}

TEST(stub_refuses_to_be_an_interpreter) {
  pk_error *err = NULL;
  int fd = sealed_stub_create(3, &err);
  char out[256], dir[] = "/tmp/pkt-sealed-XXXXXX", script[PATH_MAX];
  char *const argv[] = {script, NULL};
  FILE *f;
  CHECK(fd >= 0);
  CHECK(mkdtemp(dir) != NULL);
  snprintf(script, sizeof(script), "%s/entry", dir);
  f = fopen(script, "w");
  CHECK(f != NULL);
  if (f == NULL || fd < 0) {
    error_free(&err);
    return;
  }
  /* the interpreter resolves to the stub, which gets two arguments */
  fputs("#!/proc/self/exe\n", f);
  fclose(f);
  chmod(script, 0755);
  CHECK(stub_run(fd, script, argv, out, sizeof(out)) == 127);
  CHECK_STREQ(out, "");
  unlink(script);
  rmdir(dir);
  close(fd);
}

TEST(stub_reports_a_failed_exec) {
  pk_error *err = NULL;
  int fd = sealed_stub_create(3, &err);
  char out[128];
  char *const argv[] = {"nope", NULL};
  CHECK(fd >= 0);
  if (fd < 0) {
    error_free(&err);
    return;
  }
  CHECK(stub_run(fd, "/nonexistent/pkt-sealed", argv, out, sizeof(out)) == 127);
  CHECK_STREQ(out, "podrun: exec /nonexistent/pkt-sealed failed\n");
  close(fd);
}
