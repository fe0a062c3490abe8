/* SPDX-License-Identifier: MIT
 * A tiny TAP unit-test harness: TEST(name) { CHECK(...); } and nothing else.
 * Each test binary prints TAP ("ok N - name") that tests/run.sh counts. */
#ifndef PODKIT_UNIT_H
#define PODKIT_UNIT_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The source tree's top, for tests that read data files: $PODKIT_TOP (set by
 * tests/run.sh), else the tree this header was compiled from (__FILE__ is
 * relative to the top when make builds), else three levels above the binary
 * (build/tests/test_x).  `probe` is a directory relative to the top that
 * must exist for the __FILE__ guess to be taken. */
static inline const char *unit_top_dir(const char *probe) {
  static char top[4096];
  const char *env = getenv("PODKIT_TOP"), *f = __FILE__, *end;
  char exe[4096], p[8300];
  struct stat st;
  ssize_t n;

  if (top[0])
    return top;
  if (env && *env) {
    snprintf(top, sizeof(top), "%s", env);
    return top;
  }
  end = strstr(f, "tests/unit/unit.h");
  if (end)
    snprintf(top, sizeof(top), "%.*s", end == f ? 1 : (int)(end - f - 1), end == f ? "." : f);
  snprintf(p, sizeof(p), "%s/%s", top, probe);
  if (top[0] && stat(p, &st) == 0 && S_ISDIR(st.st_mode))
    return top;
  n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
  if (n > 0) {
    exe[n] = '\0';
    for (int up = 0; up < 3; up++) {
      char *slash = strrchr(exe, '/');
      if (slash)
        *slash = '\0';
    }
    snprintf(top, sizeof(top), "%s", exe);
  }
  return top;
}

struct unit_test {
  const char *name;
  void (*fn)(int *failed);
  struct unit_test *next;
};
extern struct unit_test *unit_tests;
struct unit_test *unit_tests;

#define TEST(n)                                                                                    \
  static void test_##n(int *unit_failed);                                                          \
  __attribute__((constructor)) static void register_##n(void) {                                    \
    static struct unit_test t = {#n, test_##n, NULL};                                              \
    struct unit_test **p = &unit_tests;                                                            \
    while (*p)                                                                                     \
      p = &(*p)->next;                                                                             \
    *p = &t;                                                                                       \
  }                                                                                                \
  static void test_##n(int *unit_failed)

#define CHECK(c)                                                                                   \
  do {                                                                                             \
    if (!(c)) {                                                                                    \
      printf("# %s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #c);                               \
      *unit_failed = 1;                                                                            \
    }                                                                                              \
  } while (0)

#define CHECK_STREQ(a, b)                                                                          \
  do {                                                                                             \
    const char *unit_a = (a), *unit_b = (b);                                                       \
    if (unit_a == NULL || unit_b == NULL || strcmp(unit_a, unit_b) != 0) {                         \
      printf("# %s:%d: expected \"%s\"\n#   got      \"%s\"\n", __FILE__, __LINE__,                \
             unit_b ? unit_b : "(null)", unit_a ? unit_a : "(null)");                              \
      *unit_failed = 1;                                                                            \
    }                                                                                              \
  } while (0)

int main(void) {
  int n = 0, bad = 0;
  for (struct unit_test *t = unit_tests; t; t = t->next)
    n++;
  printf("1..%d\n", n);
  n = 0;
  for (struct unit_test *t = unit_tests; t; t = t->next) {
    int failed = 0;
    t->fn(&failed);
    printf("%sok %d - %s\n", failed ? "not " : "", ++n, t->name);
    bad += failed;
    fflush(stdout);
  }
  return bad ? 1 : 0;
}

#endif
