/* TEMPORARY stand-in: user syscall wrappers and the user port layer. */
#include "vmb.h"
#include "vmb_sys.h"

static long sys6(long n, long a, long b, long c)
{
	long r;
	__asm__ volatile("syscall"
			 : "=a"(r)
			 : "a"(n), "D"(a), "S"(b), "d"(c)
			 : "rcx", "r11", "memory");
	return r;
}

long vmb_sys_null(void) { return sys6(VMB_SYS_NULL, 0, 0, 0); }
long vmb_sys_null_int80(void)
{
	long r;
	__asm__ volatile("int $0x80" : "=a"(r) : "a"((long)VMB_SYS_NULL) : "memory");
	return r;
}
long vmb_sys_write(const void *buf, size_t len) { return sys6(VMB_SYS_WRITE, (long)buf, (long)len, 0); }
_Noreturn void vmb_sys_exit(int status)
{
	sys6(VMB_SYS_EXIT, status, 0, 0);
	for (;;)
		;
}
long vmb_sys_fork(void) { return sys6(VMB_SYS_FORK, 0, 0, 0); }
long vmb_sys_exec(const char *name, const char *const *argv) { return sys6(VMB_SYS_EXEC, (long)name, (long)argv, 0); }
long vmb_sys_wait(long pid, int *status) { return sys6(VMB_SYS_WAIT, pid, (long)status, 0); }
long vmb_sys_getpid(void) { return sys6(VMB_SYS_GETPID, 0, 0, 0); }
long vmb_sys_yield(void) { return sys6(VMB_SYS_YIELD, 0, 0, 0); }
void *vmb_sys_mmap(size_t len) { return (void *)sys6(VMB_SYS_MMAP, (long)len, 0, 0); }
long vmb_sys_munmap(void *addr, size_t len) { return sys6(VMB_SYS_MUNMAP, (long)addr, (long)len, 0); }
long vmb_sys_mprotect(void *addr, size_t len, int prot) { return sys6(VMB_SYS_MPROTECT, (long)addr, (long)len, prot); }
long vmb_sys_roi(uint32_t value) { return sys6(VMB_SYS_ROI, value, 0, 0); }
long vmb_sys_params(struct vmb_params *p) { return sys6(VMB_SYS_PARAMS, (long)p, 0, 0); }
long vmb_sys_time(void) { return sys6(VMB_SYS_TIME, 0, 0, 0); }

void vmb_port_write(const char *buf, size_t len) { vmb_sys_write(buf, len); }
uint32_t vmb_port_roi_begin(void) { return (uint32_t)vmb_sys_roi(VMB_ROI_VALUE(0, VMB_ROI_BEGIN)); }
void vmb_port_roi_end(uint32_t id) { vmb_sys_roi(VMB_ROI_VALUE(id, VMB_ROI_END)); }
