/* SPDX-License-Identifier: MIT
 * CVE-2019-5736: a process of the container must never get hold of the
 * host's podrun binary through /proc/PID/exe and write to it once podrun has
 * exited.  podrun never re-execs, so the container's init (and an exec'd
 * process) is a clone of podrun right up to its final execve, and a
 * `#!/proc/self/exe` entrypoint would make that execve run the host's
 * podrun again, as a container process.
 *
 * Two measures, both cheap (one extra execve of a ~250-byte program):
 *  - from the moment its capabilities drop to the container's, the
 *    runtime-side process is not dumpable (sealed_nondumpable()): other
 *    container processes can then neither open its /proc/PID/exe nor
 *    ptrace it, unless they hold CAP_SYS_PTRACE over the host's user
 *    namespace (and with that they could hijack it whatever its exe is);
 *  - the final execve goes through a tiny stub held in a sealed memfd
 *    (sealed_execve()): the stub's process image replaces podrun's, so at
 *    the moment the user's program is exec'd /proc/self/exe is the sealed
 *    stub, and a `#!/proc/self/exe` script runs the stub, which refuses
 *    (it needs a path and an argv[0]).  The stub is built here, at run
 *    time, from a few instructions assembled into podrun: no file on disk.
 * See docs/security.md. */
#ifndef PODKIT_SEALED_H
#define PODKIT_SEALED_H

#include "error.h"

/* A close-on-exec fd of a sealed (no write, grow, shrink, or further seals)
 * memfd holding the exec stub, at or above fd `min`.  Made before the
 * clone/fork, so the child needs no syscall that a seccomp filter might
 * block.  ENOTSUP on architectures without a stub. */
int sealed_stub_create(int min, pk_error **err);

/* execve(path, argv, envp) by way of the stub in stub_fd (execveat, or
 * /proc/self/fd/N where a seccomp profile refuses execveat).  Returns only
 * on failure, with errno set. */
int sealed_execve(int stub_fd, const char *path, char *const argv[], char *const envp[]);

/* PR_SET_DUMPABLE 0: /proc/PID/{exe,fd,mem,...} of this process are closed
 * to the container's processes until the next execve.  Called again after
 * every credential change, which may reset it (fs.suid_dumpable). */
int sealed_nondumpable(pk_error **err);

#endif
