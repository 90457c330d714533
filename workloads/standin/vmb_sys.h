/* vmb_sys.h - TEMPORARY stand-in for the SDK's user syscall wrappers. */
#ifndef VMB_SYS_H
#define VMB_SYS_H

#include <stddef.h>
#include <stdint.h>

#include "vmb_bench.h"
#include "vmb_syscall.h"

long vmb_sys_null(void);
long vmb_sys_null_int80(void);
long vmb_sys_write(const void *buf, size_t len);
_Noreturn void vmb_sys_exit(int status);
long vmb_sys_fork(void);
long vmb_sys_exec(const char *name, const char *const *argv);
long vmb_sys_wait(long pid, int *status);
long vmb_sys_getpid(void);
long vmb_sys_yield(void);
void *vmb_sys_mmap(size_t len);
long vmb_sys_munmap(void *addr, size_t len);
long vmb_sys_mprotect(void *addr, size_t len, int prot);
long vmb_sys_roi(uint32_t value);
long vmb_sys_params(struct vmb_params *p);
long vmb_sys_time(void);

#endif
