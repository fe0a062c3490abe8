/* SPDX-License-Identifier: MIT
 * linux.seccomp: compiled with libseccomp in the runtime parent (before
 * clone), installed with seccomp(2) in the child as the very last step
 * before execve.
 *
 * Compiling a ~300-syscall profile costs milliseconds, so the BPF program is
 * cached on disk keyed by the profile's canonical JSON text (sorted keys,
 * compact): a second container with the same profile only reads a file.  The
 * cache file holds that text and is used only when it matches byte for byte,
 * and only when it is owned by us and not writable by others.
 *
 * Only the native architecture is compiled unless opts->all_arches: the
 * other listed ABIs (x86 and x32 on x86_64) then hit the bad-architecture
 * action, which kills the process (fail closed, like an architecture the
 * profile does not list).  Unknown syscall names are skipped (as runc does);
 * an unknown action, architecture, flag or operator is an error naming its
 * JSON path ("linux.seccomp.syscalls[3].action: unknown action ...").
 *
 * Capabilities: seccomp(2) needs no_new_privs or CAP_SYS_ADMIN in the
 * calling thread; a caller that drops capabilities without setting
 * no_new_privs must install while it still has CAP_SYS_ADMIN. */
#ifndef PODKIT_SECCOMP_FILTER_H
#define PODKIT_SECCOMP_FILTER_H

#include <jansson.h>
#include <linux/filter.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "error.h"

#define SECCOMP_FILTER_CACHE_DIR "/run/podrun/seccomp-cache"
/* podrun keeps its cache under the state root: ROOT/.seccomp-cache (a dot
 * name, so never taken for a container ID). */
#define SECCOMP_FILTER_CACHE_SUBDIR ".seccomp-cache"

struct seccomp_filter_opts {
  const char *cache_dir; /* NULL: SECCOMP_FILTER_CACHE_DIR; "" disables the cache */
  bool all_arches;       /* also compile the non-native listed architectures */
};

struct seccomp_filter_prog {
  struct sock_filter *insns;
  size_t n_insns;
  unsigned int flags;      /* SECCOMP_FILTER_FLAG_* for seccomp(2) */
  bool notify;             /* some rule is SCMP_ACT_NOTIFY: install returns a listener */
  char *listener_path;     /* linux.seccomp.listenerPath, NULL if none */
  char *listener_metadata; /* linux.seccomp.listenerMetadata, NULL if none */
  bool from_cache;         /* loaded from the cache, libseccomp not used */
};

/* seccomp is linux.seccomp (borrowed); NULL or JSON null gives *out NULL and
 * success.  opts may be NULL for the defaults. */
int seccomp_filter_prepare(json_t *seccomp, const struct seccomp_filter_opts *opts,
                           struct seccomp_filter_prog **out, pk_error **err);

/* In the container process, last thing before execve.  *listener_fd gets the
 * notification fd when prog->notify, else -1. */
int seccomp_filter_install(const struct seccomp_filter_prog *prog, int *listener_fd,
                           pk_error **err);

/* Hand the listener fd to prog->listener_path (a unix stream socket) with
 * SCM_RIGHTS, together with the OCI ContainerProcessState JSON: ociVersion,
 * fds ["seccompFd"], pid, metadata and state (the container's state JSON,
 * borrowed). */
int seccomp_filter_send_listener(const struct seccomp_filter_prog *prog, int listener_fd, pid_t pid,
                                 json_t *state, pk_error **err);

void seccomp_filter_free(struct seccomp_filter_prog *prog);

static inline void seccomp_filter_freep(struct seccomp_filter_prog **p) {
  if (*p)
    seccomp_filter_free(*p);
}
#define cleanup_seccomp_filter __attribute__((cleanup(seccomp_filter_freep)))

#endif
