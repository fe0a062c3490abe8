/* SPDX-License-Identifier: MIT */
#include "sealed.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"
#include "util.h"

#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif
#ifndef F_SEAL_EXEC
#define F_SEAL_EXEC 0x0020
#endif

#if defined(__x86_64__)
/* The stub: execve(argv[1], &argv[2], envp), or exit 127 with
 * "podrun: exec PATH failed".  It wants at least three arguments (its own
 * name, the path, the program's argv[0]), so a `#!/proc/self/exe` script,
 * which gives it two, ends at once instead of exec'ing itself in a loop.
 * Position-independent and self-contained: the bytes between the labels
 * are copied behind an ELF header made in stub_image_build(). */
__asm__(".pushsection .rodata.pk_stub,\"a\"\n"
        ".hidden pk_stub_code_begin\n"
        ".hidden pk_stub_code_end\n"
        "pk_stub_code_begin:\n"
        "  mov (%rsp), %rcx\n"
        "  cmp $3, %rcx\n"
        "  jb 1f\n"
        "  lea 8(%rsp), %rsi\n"
        "  lea 8(%rsi,%rcx,8), %rdx\n"
        "  mov 8(%rsi), %rdi\n"
        "  add $16, %rsi\n"
        "  mov %rdi, %r12\n"
        "  mov $59, %eax\n" /* execve */
        "  syscall\n"
        "  mov %r12, %r13\n"
        "2:cmpb $0, (%r13)\n"
        "  je 3f\n"
        "  inc %r13\n"
        "  jmp 2b\n"
        "3:sub %r12, %r13\n"
        "  mov $1, %eax\n" /* write(2, ...) */
        "  mov $2, %edi\n"
        "  lea pk_stub_m1(%rip), %rsi\n"
        "  mov $(pk_stub_m2 - pk_stub_m1), %edx\n"
        "  syscall\n"
        "  mov $1, %eax\n"
        "  mov $2, %edi\n"
        "  mov %r12, %rsi\n"
        "  mov %r13, %rdx\n"
        "  syscall\n"
        "  mov $1, %eax\n"
        "  mov $2, %edi\n"
        "  lea pk_stub_m2(%rip), %rsi\n"
        "  mov $(pk_stub_code_end - pk_stub_m2), %edx\n"
        "  syscall\n"
        "1:mov $231, %eax\n" /* exit_group(127) */
        "  mov $127, %edi\n"
        "  syscall\n"
        "  hlt\n"
        "pk_stub_m1: .ascii \"podrun: exec \"\n"
        "pk_stub_m2: .ascii \" failed\\n\"\n"
        "pk_stub_code_end:\n"
        ".popsection\n");
extern const unsigned char pk_stub_code_begin[], pk_stub_code_end[];
#define STUB_MACHINE EM_X86_64
#endif

#ifdef STUB_MACHINE
/* ELF header, a PT_LOAD of the whole file (read + exec) and a
 * non-executable stack, then the code; loaded wherever the kernel puts an
 * ET_DYN without interpreter. */
static size_t stub_image_build(unsigned char *buf, size_t size) {
  size_t code_len = (size_t)(pk_stub_code_end - pk_stub_code_begin);
  size_t hdr = sizeof(Elf64_Ehdr) + 2 * sizeof(Elf64_Phdr);
  Elf64_Ehdr eh;
  Elf64_Phdr ph[2];

  if (hdr + code_len > size)
    return 0;
  memset(&eh, 0, sizeof(eh));
  memset(ph, 0, sizeof(ph));
  memcpy(eh.e_ident, ELFMAG, SELFMAG);
  eh.e_ident[EI_CLASS] = ELFCLASS64;
  eh.e_ident[EI_DATA] = ELFDATA2LSB;
  eh.e_ident[EI_VERSION] = EV_CURRENT;
  eh.e_ident[EI_OSABI] = ELFOSABI_SYSV;
  eh.e_type = ET_DYN;
  eh.e_machine = STUB_MACHINE;
  eh.e_version = EV_CURRENT;
  eh.e_entry = hdr;
  eh.e_phoff = sizeof(Elf64_Ehdr);
  eh.e_ehsize = sizeof(Elf64_Ehdr);
  eh.e_phentsize = sizeof(Elf64_Phdr);
  eh.e_phnum = 2;
  ph[0].p_type = PT_LOAD;
  ph[0].p_flags = PF_R | PF_X;
  ph[0].p_offset = 0;
  ph[0].p_vaddr = ph[0].p_paddr = 0;
  ph[0].p_filesz = ph[0].p_memsz = hdr + code_len;
  ph[0].p_align = 0x1000;
  ph[1].p_type = PT_GNU_STACK;
  ph[1].p_flags = PF_R | PF_W;
  memcpy(buf, &eh, sizeof(eh));
  memcpy(buf + sizeof(eh), ph, sizeof(ph));
  memcpy(buf + hdr, pk_stub_code_begin, code_len);
  return hdr + code_len;
}
#endif

int sealed_stub_create(int min, pk_error **err) {
#ifdef STUB_MACHINE
  unsigned char img[1024];
  size_t len = stub_image_build(img, sizeof(img));
  cleanup_close int fd = -1;
  int moved;

  if (len == 0)
    return error_set(err, E2BIG, "exec stub: image too large");
  /* MFD_EXEC: kernels with vm.memfd_noexec want the intent said */
  fd = memfd_create("podrun-exec-stub", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);
  if (fd < 0 && errno == EINVAL)
    fd = memfd_create("podrun-exec-stub", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (fd < 0)
    return error_set(err, errno, "exec stub: memfd_create");
  if (write_all(fd, img, len) < 0)
    return error_set(err, errno, "exec stub: write");
  /* read + exec only; F_SEAL_EXEC (Linux 6.3) then forbids chmod */
  if (fchmod(fd, 0555) < 0)
    return error_set(err, errno, "exec stub: chmod");
  (void)fcntl(fd, F_ADD_SEALS, F_SEAL_EXEC);
  if (fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) < 0)
    return error_set(err, errno, "exec stub: seal");
  if (fd >= min)
    return take_fd(&fd);
  moved = fcntl(fd, F_DUPFD_CLOEXEC, min);
  if (moved < 0)
    return error_set(err, errno, "exec stub: move fd");
  return moved;
#else
  (void)min;
  return error_set_code(err, ENOTSUP,
                        "exec stub: not available on this architecture (CVE-2019-5736 "
                        "defence, see docs/security.md)");
#endif
}

int sealed_execve(int stub_fd, const char *path, char *const argv[], char *const envp[]) {
  size_t n = 0;
  char **av;
  char self[40];
  int e;

  while (argv[n])
    n++;
  av = calloc(n + 3, sizeof(*av));
  if (av == NULL)
    return -1;
  av[0] = (char *)"podrun-exec";
  av[1] = (char *)path;
  memcpy(av + 2, argv, n * sizeof(*av));
  syscall(SYS_execveat, stub_fd, "", av, envp, AT_EMPTY_PATH);
  e = errno;
  /* a seccomp profile may allow execve but not execveat */
  snprintf(self, sizeof(self), "/proc/self/fd/%d", stub_fd);
  execve(self, av, envp);
  if (errno == ENOENT)
    errno = e;
  free(av);
  return -1;
}

int sealed_nondumpable(pk_error **err) {
  if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
    return error_set(err, errno, "prctl(PR_SET_DUMPABLE, 0)");
  return 0;
}
