#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "cleanup.h"
#include "state.h"
#include "unit.h"
#include "util.h"

static char *tmp_root(void) {
  char tmpl[] = "/tmp/pkstate.XXXXXX";
  char *d = mkdtemp(tmpl);
  return d ? strdup(d) : NULL;
}

static void rm_root(const char *root) {
  char cmd[256];
  snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
  if (system(cmd) != 0)
    printf("# cleanup of %s failed\n", root);
}

TEST(state_create_is_exclusive) {
  cleanup_free char *root = tmp_root();
  pk_error *err = NULL;
  int fd1 = -1, fd2 = -1;
  CHECK(state_dir_create(root, "c1", &fd1, &err) == 0);
  CHECK(state_dir_create(root, "c1", &fd2, &err) < 0);
  CHECK_STREQ(err ? err->msg : NULL, "container c1 already exists");
  CHECK(err && err->errnum == EEXIST);
  error_free(&err);
  close(fd1);
  rm_root(root);
}

TEST(state_missing_does_not_exist) {
  cleanup_free char *root = tmp_root();
  pk_error *err = NULL;
  struct state *st = NULL;
  int fd = -1;
  CHECK(state_read(root, "nope", &st, &err) < 0);
  CHECK_STREQ(err ? err->msg : NULL, "container nope does not exist");
  error_free(&err);
  CHECK(state_dir_lock(root, "nope", &fd, &err) < 0);
  CHECK_STREQ(err ? err->msg : NULL, "container nope does not exist");
  error_free(&err);
  rm_root(root);
}

TEST(state_roundtrip_and_live_status) {
  cleanup_free char *root = tmp_root();
  pk_error *err = NULL;
  int fd = -1;
  pid_t child = fork();
  if (child == 0) {
    pause();
    _exit(0);
  }
  CHECK(state_dir_create(root, "c2", &fd, &err) == 0);
  struct state st = {.id = "c2",
                     .pid = child,
                     .start_time = proc_start_time(child),
                     .bundle = "/b",
                     .rootfs = "/b/rootfs",
                     .created = "2026-01-01T00:00:00Z"};
  st.annotations = json_pack("{s:s}", "k", "v");
  CHECK(state_write(root, &st, &err) == 0);
  json_decref(st.annotations);
  struct state *rd = NULL;
  CHECK(state_read(root, "c2", &rd, &err) == 0);
  CHECK(rd && rd->pid == child && rd->start_time == st.start_time);
  CHECK_STREQ(rd ? rd->bundle : NULL, "/b");
  CHECK(rd && rd->annotations && json_object_get(rd->annotations, "k"));
  CHECK(state_status(root, rd, false) == STATUS_RUNNING);
  /* a created container has its exec fifo */
  cleanup_free char *fifo = state_fifo_path(root, "c2");
  CHECK(mkfifo(fifo, 0600) == 0);
  CHECK(state_status(root, rd, false) == STATUS_CREATED);
  unlink(fifo);
  /* a recycled pid (other start time) is not the container */
  rd->start_time += 1;
  CHECK(state_status(root, rd, false) == STATUS_STOPPED);
  rd->start_time -= 1;
  kill(child, SIGKILL);
  /* a zombie is stopped too */
  for (int i = 0; i < 1000 && proc_state(child) != 'Z'; i++)
    usleep(1000);
  CHECK(state_status(root, rd, false) == STATUS_STOPPED);
  waitpid(child, NULL, 0);
  CHECK(state_status(root, rd, false) == STATUS_STOPPED);
  json_t *j = state_to_json(rd, STATUS_STOPPED);
  CHECK_STREQ(json_string_value(json_object_get(j, "status")), "stopped");
  json_decref(j);
  state_free(rd);
  close(fd);
  char **ids = NULL;
  CHECK(state_list_ids(root, &ids, &err) == 0);
  CHECK(ids && ids[0] && strcmp(ids[0], "c2") == 0 && ids[1] == NULL);
  cleanup_strvp(&ids);
  CHECK(state_dir_remove(root, "c2", &err) == 0);
  CHECK(state_list_ids(root, &ids, &err) == 0);
  CHECK(ids && ids[0] == NULL);
  cleanup_strvp(&ids);
  rm_root(root);
}

TEST(state_list_of_missing_root_is_empty) {
  char **ids = NULL;
  pk_error *err = NULL;
  CHECK(state_list_ids("/nonexistent/podrun-root", &ids, &err) == 0);
  CHECK(ids && ids[0] == NULL);
  cleanup_strvp(&ids);
}
