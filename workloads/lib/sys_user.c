/*
 * sys_user.c - the out-of-line copies of vmb_sys.h's inline wrappers.
 *
 * C99 inline: the header's definitions are used where gcc inlines them;
 * these extern declarations make this file emit the one external
 * definition of each, for calls from assembly (crt0) and calls gcc does
 * not inline.
 */
#include "vmb_sys.h"

extern long vmb_syscall0(long nr);
extern long vmb_syscall1(long nr, long a0);
extern long vmb_syscall2(long nr, long a0, long a1);
extern long vmb_syscall3(long nr, long a0, long a1, long a2);
extern long vmb_sys_null(void);
extern long vmb_sys_null_int80(void);
extern long vmb_sys_write(const void *buf, size_t len);
extern _Noreturn void vmb_sys_exit(int status);
extern long vmb_sys_fork(void);
extern long vmb_sys_exec(const char *name, const char *const *argv);
extern long vmb_sys_wait(long pid, int *status);
extern long vmb_sys_getpid(void);
extern long vmb_sys_yield(void);
extern void *vmb_sys_mmap(size_t len);
extern long vmb_sys_munmap(void *addr, size_t len);
extern long vmb_sys_mprotect(void *addr, size_t len, int prot);
extern long vmb_sys_roi(uint32_t value);
extern long vmb_sys_params(struct vmb_params *p);
extern long vmb_sys_time(void);
