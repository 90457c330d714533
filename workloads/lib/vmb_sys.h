/*
 * vmb_sys.h - system calls for guest user programs (CPL3).
 *
 * Each wrapper executes `syscall` with the Linux x86-64 register
 * convention and the numbers of vmb_syscall.h (vmb_sys_null_int80 uses
 * `int $0x80` instead). Results are the kernel's: >= 0 on success,
 * -VMB_E* on failure, except where noted.
 *
 * The wrappers are C99 inline definitions, so that a micro workload
 * measures the system call and not a function call around it; sys_user.c
 * emits the out-of-line copies (for assembly callers such as crt0, and for
 * calls gcc chooses not to inline). In the native host build
 * (VMB_NATIVE defined), the same names are ordinary functions implemented
 * with the host's system calls by workloads/native/sys_native.c, so the
 * macro workloads run unchanged as host processes.
 */
#ifndef VMB_SYS_H
#define VMB_SYS_H

#include <stddef.h>
#include <stdint.h>

#include "vmb_bench.h"
#include "vmb_syscall.h"

#ifdef VMB_NATIVE

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

#else /* guest user program */

inline long vmb_syscall0(long nr)
{
	long ret;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(nr)
			 : "rcx", "r11", "memory");
	return ret;
}

inline long vmb_syscall1(long nr, long a0)
{
	long ret;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(nr), "D"(a0)
			 : "rcx", "r11", "memory");
	return ret;
}

inline long vmb_syscall2(long nr, long a0, long a1)
{
	long ret;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(nr), "D"(a0), "S"(a1)
			 : "rcx", "r11", "memory");
	return ret;
}

inline long vmb_syscall3(long nr, long a0, long a1, long a2)
{
	long ret;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(nr), "D"(a0), "S"(a1), "d"(a2)
			 : "rcx", "r11", "memory");
	return ret;
}

/* The null system call: enters and leaves the kernel, returns 0. */
inline long vmb_sys_null(void)
{
	return vmb_syscall0(VMB_SYS_NULL);
}

/* The same call through the legacy `int $0x80` gate. */
inline long vmb_sys_null_int80(void)
{
	long ret;

	__asm__ volatile("int $0x80"
			 : "=a"(ret)
			 : "a"((long)VMB_SYS_NULL)
			 : "rcx", "r11", "memory");
	return ret;
}

/* Write (len) bytes to the debug console. Returns len or -VMB_E*. */
inline long vmb_sys_write(const void *buf, size_t len)
{
	return vmb_syscall2(VMB_SYS_WRITE, (long)buf, (long)len);
}

/* End this process with (status); a waiting parent receives it. */
inline _Noreturn void vmb_sys_exit(int status)
{
	vmb_syscall1(VMB_SYS_EXIT, status);
	__builtin_unreachable();
}

/* Returns the child's pid in the parent, 0 in the child, or -VMB_E*. */
inline long vmb_sys_fork(void)
{
	return vmb_syscall0(VMB_SYS_FORK);
}

/* Replace this process with the embedded program (name). Returns only on
 * failure (-VMB_ENOENT when there is no such program). */
inline long vmb_sys_exec(const char *name, const char *const *argv)
{
	return vmb_syscall2(VMB_SYS_EXEC, (long)name, (long)argv);
}

/* Wait for child (pid), or any child when pid is -1; its exit status goes
 * to (*status) when status is not NULL. Returns the pid, or -VMB_ECHILD. */
inline long vmb_sys_wait(long pid, int *status)
{
	return vmb_syscall2(VMB_SYS_WAIT, pid, (long)status);
}

inline long vmb_sys_getpid(void)
{
	return vmb_syscall0(VMB_SYS_GETPID);
}

inline long vmb_sys_yield(void)
{
	return vmb_syscall0(VMB_SYS_YIELD);
}

/* Map (len) bytes (rounded up to pages) of demand-zero memory, readable and
 * writable. Returns the address, or NULL when the kernel refused. */
inline void *vmb_sys_mmap(size_t len)
{
	long ret = vmb_syscall1(VMB_SYS_MMAP, (long)len);

	if (ret < 0 && ret > -4096)
		return NULL;
	return (void *)ret;
}

inline long vmb_sys_munmap(void *addr, size_t len)
{
	return vmb_syscall2(VMB_SYS_MUNMAP, (long)addr, (long)len);
}

/* Set the protection of [addr, addr + len) to (prot), VMB_PROT_* bits. */
inline long vmb_sys_mprotect(void *addr, size_t len, int prot)
{
	return vmb_syscall3(VMB_SYS_MPROTECT, (long)addr, (long)len, prot);
}

/* Have the kernel write (value), a VMB_ROI_VALUE(), to the ROI port. For
 * VMB_ROI_BEGIN with id 0 the kernel allocates the id and returns it. */
inline long vmb_sys_roi(uint32_t value)
{
	return vmb_syscall1(VMB_SYS_ROI, (long)value);
}

/* Copy this run's parameters into (*p). Returns 0. */
inline long vmb_sys_params(struct vmb_params *p)
{
	return vmb_syscall1(VMB_SYS_PARAMS, (long)p);
}

/* Timer ticks since boot. */
inline long vmb_sys_time(void)
{
	return vmb_syscall0(VMB_SYS_TIME);
}

#endif /* VMB_NATIVE */

#endif /* VMB_SYS_H */
