/* SPDX-License-Identifier: MIT
 * A tiny TAP unit-test harness: TEST(name) { CHECK(...); } and nothing else.
 * Each test binary prints TAP ("ok N - name") that tests/run.sh counts. */
#ifndef PODKIT_UNIT_H
#define PODKIT_UNIT_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct unit_test {
  const char *name;
  void (*fn)(int *failed);
  struct unit_test *next;
};
extern struct unit_test *unit_tests;
struct unit_test *unit_tests;

#define TEST(n)                                                                \
  static void test_##n(int *unit_failed);                                      \
  __attribute__((constructor)) static void register_##n(void) {               \
    static struct unit_test t = {#n, test_##n, NULL};                         \
    struct unit_test **p = &unit_tests;                                        \
    while (*p)                                                                 \
      p = &(*p)->next;                                                         \
    *p = &t;                                                                   \
  }                                                                            \
  static void test_##n(int *unit_failed)

#define CHECK(c)                                                               \
  do {                                                                         \
    if (!(c)) {                                                                \
      printf("# %s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #c);           \
      *unit_failed = 1;                                                        \
    }                                                                          \
  } while (0)

#define CHECK_STREQ(a, b)                                                      \
  do {                                                                         \
    const char *unit_a = (a), *unit_b = (b);                                   \
    if (unit_a == NULL || unit_b == NULL || strcmp(unit_a, unit_b) != 0) {     \
      printf("# %s:%d: expected \"%s\"\n#   got      \"%s\"\n", __FILE__,       \
             __LINE__, unit_b ? unit_b : "(null)", unit_a ? unit_a : "(null)"); \
      *unit_failed = 1;                                                        \
    }                                                                          \
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
