#include "unit.h"
#include "util.h"

TEST(id_validate_accepts_plain) {
  pk_error *err = NULL;
  CHECK(id_validate("web1", "container ID", &err) == 0);
  CHECK(id_validate("a.b-c_d+e", "container ID", &err) == 0);
  CHECK(err == NULL);
}

TEST(id_validate_rejects) {
  const char *bad[] = {"", "..", ".", "a/b", "../x", "a b", "x\n", "--help", "-x"};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    pk_error *err = NULL;
    CHECK(id_validate(bad[i], "container ID", &err) < 0);
    CHECK(err != NULL && strstr(err->msg, "invalid container ID") != NULL);
    error_free(&err);
  }
  char longid[1025];
  memset(longid, 'a', 1024);
  longid[1024] = 0;
  pk_error *err = NULL;
  CHECK(id_validate(longid, "container ID", &err) < 0);
  CHECK_STREQ(err ? err->msg : NULL,
              "invalid container ID: 1024 characters long, at most 128 allowed");
  error_free(&err);
}

TEST(error_wrap_prefixes) {
  pk_error *err = NULL;
  error_set(&err, 13, "mount proc on /proc");
  error_wrap(&err, "create %s", "web1");
  CHECK_STREQ(err->msg, "create web1: mount proc on /proc: Permission denied");
  error_free(&err);
  CHECK(err == NULL);
}

TEST(proc_start_time_of_self) {
  CHECK(proc_start_time(getpid()) > 0);
  CHECK(proc_state(getpid()) == 'R');
  CHECK(proc_start_time(0) == 0);
}
