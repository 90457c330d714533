/*
 * uaccess.h - system calls' access to user memory.
 *
 * A pointer a process passes to a system call is checked against the
 * process's own page tables before the kernel touches it (uvm_access):
 * below USER_TOP, mapped for the user, writable for a write. Lazy and
 * copy-on-write pages are faulted in as the user's own access would. A
 * bad pointer is an -VMB_EFAULT result, never a kernel fault. Must run
 * in the calling process's address space (any system call does).
 *
 * Each returns 0 or a negative VMB_E* code: -VMB_EFAULT for a bad
 * pointer, -VMB_ENOMEM when no page is left to fault one in.
 */
#ifndef KERNEL_UACCESS_H
#define KERNEL_UACCESS_H

#include <stdint.h>

/* Check [u, u + len) for a read, or a write when (write). */
int uaccess_check(uint64_t u, uint64_t len, int write);

/* Copy (len) bytes from user address (usrc) to kernel (dst). */
int copyin(void *dst, uint64_t usrc, uint64_t len);

/* Copy (len) bytes from kernel (src) to user address (udst). */
int copyout(uint64_t udst, const void *src, uint64_t len);

/* Copy the NUL-terminated user string at (usrc) into (dst) of (n)
 * bytes; -VMB_EINVAL if it does not fit. */
int copyin_str(char *dst, uint64_t usrc, uint64_t n);

#endif
