/*
 * vmb_syscall.h - the guest kernel's system-call ABI for its user programs.
 *
 * Entry: `syscall` (RCX/R11 clobbered) or `int 0x80`, both with the Linux
 * x86-64 register convention: RAX = number, arguments in RDI, RSI, RDX,
 * R10, R8, R9, result in RAX (negative = -VMB_E*). The two entries reach
 * the same table, so the null-syscall workloads compare the entry paths
 * only.
 */
#ifndef VMB_SYSCALL_H
#define VMB_SYSCALL_H

enum vmb_sysno {
	VMB_SYS_NULL = 0,	/* () -> 0: the null system call */
	VMB_SYS_WRITE = 1,	/* (buf, len) -> len: to the debug console */
	VMB_SYS_EXIT = 2,	/* (status) -> does not return */
	VMB_SYS_FORK = 3,	/* () -> child pid / 0 in the child */
	VMB_SYS_EXEC = 4,	/* (name, argv) -> replaces the image */
	VMB_SYS_WAIT = 5,	/* (pid or -1, &status) -> pid */
	VMB_SYS_GETPID = 6,	/* () -> pid */
	VMB_SYS_YIELD = 7,	/* () -> 0: give up the CPU */
	VMB_SYS_MMAP = 8,	/* (len) -> addr: demand-zero anonymous pages */
	VMB_SYS_MUNMAP = 9,	/* (addr, len) -> 0 */
	VMB_SYS_MPROTECT = 10,	/* (addr, len, prot) -> 0 */
	VMB_SYS_ROI = 11,	/* (value) -> 0: writes VMB_PORT_ROI */
	VMB_SYS_PARAMS = 12,	/* (struct vmb_params *) -> 0: this run's params */
	VMB_SYS_TIME = 13,	/* () -> timer ticks since boot */
	VMB_SYS_NR
};

#define VMB_PROT_READ 1
#define VMB_PROT_WRITE 2
#define VMB_PROT_EXEC 4

#define VMB_EINVAL 22
#define VMB_ENOMEM 12
#define VMB_ENOSYS 38
#define VMB_ECHILD 10
#define VMB_EFAULT 14
#define VMB_ENOENT 2

#endif /* VMB_SYSCALL_H */
