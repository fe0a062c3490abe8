/* SPDX-License-Identifier: MIT
 * __attribute__((cleanup)) helpers so that every early return is leak-free.
 * Hand ownership out of a scope with take_ptr()/take_fd(). */
#ifndef PODKIT_CLEANUP_H
#define PODKIT_CLEANUP_H

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static inline void cleanup_freep(void *p) {
  void **pp = (void **)p;
  free(*pp);
}
static inline void cleanup_closep(int *fd) {
  if (*fd >= 0) {
    int saved = errno;
    close(*fd);
    errno = saved;
  }
}
static inline void cleanup_fclosep(FILE **f) {
  if (*f)
    fclose(*f);
}
static inline void cleanup_closedirp(DIR **d) {
  if (*d)
    closedir(*d);
}
/* NULL-terminated array of strings */
static inline void cleanup_strvp(char ***v) {
  if (*v) {
    for (char **s = *v; *s; s++)
      free(*s);
    free(*v);
  }
}

#define cleanup_free __attribute__((cleanup(cleanup_freep)))
#define cleanup_close __attribute__((cleanup(cleanup_closep)))
#define cleanup_fclose __attribute__((cleanup(cleanup_fclosep)))
#define cleanup_closedir __attribute__((cleanup(cleanup_closedirp)))
#define cleanup_strv __attribute__((cleanup(cleanup_strvp)))

static inline void *take_ptr_impl(void **p) {
  void *v = *p;
  *p = NULL;
  return v;
}
#define take_ptr(p) take_ptr_impl((void **)&(p))
static inline int take_fd(int *fd) {
  int v = *fd;
  *fd = -1;
  return v;
}

#endif
