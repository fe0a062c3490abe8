/* SPDX-License-Identifier: MIT
 * Fault-injection shim for the build-fault test build (never in build/).
 *
 * Linked into podrun, podnet and pod with GNU ld's --wrap (podrun is fully
 * static, so LD_PRELOAD cannot reach it): every call of a wrapped function
 * from podkit's objects and the static archives (libnl, jansson) lands in
 * __wrap_X here, which counts it and either fails it or calls __real_X.
 *
 * Kinds of calls (one counter each):
 *   mount    mount(2), mount_setattr(2)       (umount2 is cleanup: never failed)
 *   clone    syscall(SYS_clone3 / SYS_clone), fork()
 *   setns    setns(2)
 *   netlink  sendmsg/sendto on a NETLINK_ROUTE socket (every libnl request)
 *   nft      mnl_socket_sendto() (every nftables batch / request)
 *   write    write(2), pwrite(2) to regular files (state and records, cgroup,
 *            proc and sys knobs).  Not pipes, FIFOs and sockets: ENOSPC cannot
 *            happen there, and their one real failure (EPIPE: the peer is
 *            gone) is a crash of the peer, not something to fake under a
 *            living one.
 *
 * Environment (nothing happens without PODKIT_FAULT_FILE):
 *   PODKIT_FAULT_FILE   a file of >= 4096 zero bytes made by the caller; it
 *                       is mapped MAP_SHARED at start-up, so the counters are
 *                       ONE set for the whole process tree of an operation:
 *                       podrun's clone'd container init (mapping inherited),
 *                       pod's fork'd monitor and the podrun it execs (env
 *                       inherited, the file mapped again by path).  So the
 *                       K-th call is the K-th in the order the calls happen
 *                       across all processes of the operation (atomic
 *                       increments).  Processes exec'd from the container's
 *                       config (hooks, the container's program) get the
 *                       config's environment, not ours: not counted.
 *   PODKIT_FAULT        KIND:K[:ERRNO]  fail the K-th call of KIND with ERRNO
 *                       (default per kind, below) and return -1.
 *   PODKIT_FAULT_TRACE  append one line per counted call:
 *                       "PID EXE KIND N OFFSET [FAIL]" (OFFSET: caller
 *                       address minus __executable_start, for addr2line).
 * The caller sets the "disarmed" word once the operation has returned, so a
 * long-lived process of it (pod's monitor) counts and fails nothing later.
 */
#include <dlfcn.h>
#include <errno.h>
#include <execinfo.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

enum { K_MOUNT, K_CLONE, K_SETNS, K_NETLINK, K_NFT, K_WRITE, K_N };
static const char *const kind_names[K_N] = {"mount", "clone", "setns", "netlink", "nft", "write"};
/* realistic errnos: out of memory / processes / buffers / space.  netlink:
 * ENOMEM, which libnl carries through (it maps ENOBUFS to NLE_NOMEM too). */
static const int kind_errno[K_N] = {ENOMEM, EAGAIN, ENOMEM, ENOMEM, ENOBUFS, ENOSPC};

#define FAULT_MAGIC 0x4b464b50u
/* The layout the script reads with od (little-endian int32 words). */
struct fault_shared {
  uint32_t magic;         /* 0 */
  uint32_t disarmed;      /* 1: set by the caller after the operation */
  uint32_t hits;          /* 2: failures injected */
  uint32_t hit_pid;       /* 3 */
  uint32_t counts[K_N];   /* 4..9 */
  uint32_t pad[6];        /* 10..15 */
  uint64_t hit_offset;    /* words 16-17: caller - __executable_start */
  char hit_exe[256];      /* byte 72: the binary that failed it */
  char pad2[184];         /* to byte 512 */
  uint64_t hit_frames[8]; /* byte 512: its callers, as hit_offset (0: none) */
};

extern char __executable_start;
static struct fault_shared *fs;
static int fail_kind = -1, fail_errno;
static uint32_t fail_k;
static int trace_fd = -1;

/* The real functions.  mnl_socket_sendto is weak: podrun has no libmnl. */
int __real_mount(const char *, const char *, const char *, unsigned long, const void *);
struct mount_attr;
int __real_mount_setattr(int, const char *, unsigned int, struct mount_attr *, size_t);
long __real_syscall(long, ...);
pid_t __real_fork(void);
int __real_setns(int, int);
ssize_t __real_sendmsg(int, const struct msghdr *, int);
ssize_t __real_sendto(int, const void *, size_t, int, const struct sockaddr *, socklen_t);
struct mnl_socket;
ssize_t __real_mnl_socket_sendto(const struct mnl_socket *, const void *, size_t)
    __attribute__((weak));
ssize_t __real_write(int, const void *, size_t);
ssize_t __real_pwrite(int, const void *, size_t, off_t);

__attribute__((constructor)) static void fault_init(void) {
  const char *f = getenv("PODKIT_FAULT_FILE"), *spec = getenv("PODKIT_FAULT"),
             *tr = getenv("PODKIT_FAULT_TRACE");
  int fd;
  void *p;

  if (f == NULL || *f == '\0')
    return;
  fd = open(f, O_RDWR | O_CLOEXEC);
  if (fd < 0)
    return;
  p = mmap(NULL, sizeof(struct fault_shared), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  close(fd);
  if (p == MAP_FAILED)
    return;
  fs = p;
  __atomic_store_n(&fs->magic, FAULT_MAGIC, __ATOMIC_RELAXED);
  if (spec && *spec) {
    char name[16];
    unsigned k = 0;
    int e = 0, n = sscanf(spec, "%15[a-z]:%u:%d", name, &k, &e);
    for (int i = 0; n >= 2 && i < K_N; i++)
      if (strcmp(name, kind_names[i]) == 0) {
        fail_kind = i;
        fail_k = k;
        fail_errno = n == 3 && e > 0 ? e : kind_errno[i];
      }
  }
  if (tr && *tr)
    trace_fd = open(tr, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
}

/* Count one call of kind; true: fail it (errno set). */
__attribute__((noinline)) static bool fault_hit(int kind, void *caller) {
  uint32_t n;
  bool fail;
  uintptr_t off = (uintptr_t)caller - (uintptr_t)&__executable_start;

  if (fs == NULL || __atomic_load_n(&fs->disarmed, __ATOMIC_RELAXED))
    return false;
  n = __atomic_add_fetch(&fs->counts[kind], 1, __ATOMIC_SEQ_CST);
  fail = kind == fail_kind && n == fail_k;
  if (fail) {
    ssize_t l;
    __atomic_add_fetch(&fs->hits, 1, __ATOMIC_SEQ_CST);
    fs->hit_pid = (uint32_t)getpid();
    fs->hit_offset = off;
    l = readlink("/proc/self/exe", fs->hit_exe, sizeof(fs->hit_exe) - 1);
    fs->hit_exe[l > 0 ? l : 0] = '\0';
    /* who called: tolerated-by-design failures are told apart by it */
    void *bt[10];
    int n = backtrace(bt, 10);
    for (int i = 0; i < 8; i++)
      fs->hit_frames[i] = i + 3 < n ? (uintptr_t)bt[i + 3] - (uintptr_t)&__executable_start : 0;
  }
  if (trace_fd >= 0) {
    char line[400], exe[256];
    ssize_t l = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    exe[l > 0 ? l : 0] = '\0';
    int len = snprintf(line, sizeof(line), "%d %s %s %u %#lx%s\n", (int)getpid(), exe,
                       kind_names[kind], n, (unsigned long)off, fail ? " FAIL" : "");
    if (len > 0)
      __real_write(trace_fd, line, (size_t)len < sizeof(line) ? (size_t)len : sizeof(line) - 1);
  }
  if (fail)
    errno = fail_errno;
  return fail;
}

#define CALLER __builtin_extract_return_addr(__builtin_return_address(0))

int __wrap_mount(const char *src, const char *dst, const char *type, unsigned long flags,
                 const void *data) {
  if (fault_hit(K_MOUNT, CALLER))
    return -1;
  return __real_mount(src, dst, type, flags, data);
}

int __wrap_mount_setattr(int fd, const char *path, unsigned int flags, struct mount_attr *attr,
                         size_t size) {
  if (fault_hit(K_MOUNT, CALLER))
    return -1;
  return __real_mount_setattr(fd, path, flags, attr, size);
}

/* syscall(2) is variadic: forward six longs, as the kernel takes. */
long __wrap_syscall(long nr, ...) {
  va_list ap;
  long a[6];
  va_start(ap, nr);
  for (int i = 0; i < 6; i++)
    a[i] = va_arg(ap, long);
  va_end(ap);
  if ((nr == SYS_clone3 || nr == SYS_clone) && fault_hit(K_CLONE, CALLER))
    return -1;
  return __real_syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
}

pid_t __wrap_fork(void) {
  if (fault_hit(K_CLONE, CALLER))
    return -1;
  return __real_fork();
}

int __wrap_setns(int fd, int type) {
  if (fault_hit(K_SETNS, CALLER))
    return -1;
  return __real_setns(fd, type);
}

static bool is_rtnetlink(int fd) {
  int v = 0;
  socklen_t l = sizeof(v);
  if (fs == NULL || getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &v, &l) < 0 || v != AF_NETLINK)
    return false;
  l = sizeof(v);
  return getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &v, &l) == 0 && v == NETLINK_ROUTE;
}

ssize_t __wrap_sendmsg(int fd, const struct msghdr *m, int flags) {
  if (is_rtnetlink(fd) && fault_hit(K_NETLINK, CALLER))
    return -1;
  return __real_sendmsg(fd, m, flags);
}

ssize_t __wrap_sendto(int fd, const void *buf, size_t len, int flags, const struct sockaddr *to,
                      socklen_t tolen) {
  if (is_rtnetlink(fd) && fault_hit(K_NETLINK, CALLER))
    return -1;
  return __real_sendto(fd, buf, len, flags, to, tolen);
}

ssize_t __wrap_mnl_socket_sendto(const struct mnl_socket *nl, const void *buf, size_t len) {
  if (fault_hit(K_NFT, CALLER))
    return -1;
  return __real_mnl_socket_sendto(nl, buf, len);
}

static bool is_regular(int fd) {
  struct stat st;
  return fs && fd > 2 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
}

ssize_t __wrap_write(int fd, const void *buf, size_t len) {
  if (is_regular(fd) && fault_hit(K_WRITE, CALLER))
    return -1;
  return __real_write(fd, buf, len);
}

ssize_t __wrap_pwrite(int fd, const void *buf, size_t len, off_t off) {
  if (is_regular(fd) && fault_hit(K_WRITE, CALLER))
    return -1;
  return __real_pwrite(fd, buf, len, off);
}
