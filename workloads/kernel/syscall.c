/*
 * syscall.c - the system-call table and the calls themselves.
 *
 * User pointers go through uaccess.h: checked against the process's page
 * tables (lazy and copy-on-write pages faulted in), so a bad pointer is
 * an -VMB_EFAULT result, never a kernel fault.
 */
#include "apic.h"
#include "console.h"
#include "exec.h"
#include "gdt.h"
#include "kalloc.h"
#include "memlayout.h"
#include "proc.h"
#include "syscall.h"
#include "uaccess.h"
#include "vmb.h"
#include "vmb_syscall.h"
#include "x86.h"

#define MMAP_RESERVE_PAGES 256	/* page tables, kernel stacks' users */

struct vmb_params syscall_params;

extern char syscall_entry[];

void syscall_init(void)
{
	wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SCE);
	wrmsr(MSR_STAR, ((uint64_t)SEL_UCODE32 << 48) | ((uint64_t)SEL_KCODE << 32));
	wrmsr(MSR_LSTAR, (uint64_t)syscall_entry);
	/* Clear IF, TF, DF, NT, AC on entry. */
	wrmsr(MSR_FMASK, 0x200 | 0x100 | 0x400 | 0x4000 | 0x40000);
}

typedef long (*sys_fn)(uint64_t a0, uint64_t a1, uint64_t a2);

static long sys_null(uint64_t a0, uint64_t a1, uint64_t a2)
{
	(void)a0, (void)a1, (void)a2;
	return 0;
}

static long sys_write(uint64_t buf, uint64_t len, uint64_t a2)
{
	(void)a2;
	int err = uaccess_check(buf, len, 0);
	if (err)
		return err;
	vmb_port_write((const char *)buf, len);
	return (long)len;
}

static long sys_exit(uint64_t status, uint64_t a1, uint64_t a2)
{
	(void)a1, (void)a2;
	proc_exit((int)status);
}

static long sys_fork(uint64_t a0, uint64_t a1, uint64_t a2)
{
	(void)a0, (void)a1, (void)a2;
	return proc_fork();
}

/* exec(name, argv): copy everything into the kernel, then replace. */
static long sys_exec(uint64_t uname, uint64_t uargv, uint64_t a2)
{
	char name[32], strs[EXEC_ARGBYTES];
	const char *argv[EXEC_MAXARGS + 1];
	uint64_t used = 0, u;
	int n = 0, err;

	(void)a2;
	if ((err = copyin_str(name, uname, sizeof(name))))
		return err;
	for (; uargv; n++) {
		if ((err = copyin(&u, uargv + 8 * (uint64_t)n, sizeof(u))))
			return err;
		if (!u)
			break;
		if (n == EXEC_MAXARGS)
			return -VMB_EINVAL;
		if ((err = copyin_str(strs + used, u, sizeof(strs) - used)))
			return err;
		argv[n] = strs + used;
		used += vmb_strlen(argv[n]) + 1;
	}
	argv[n] = NULL;
	return exec_image(proc_current(), name, argv);
}

/* wait(pid, status): a bad (status) fails before a child is collected. */
static long sys_wait(uint64_t pid, uint64_t ustatus, uint64_t a2)
{
	int status = 0, err;

	(void)a2;
	if (ustatus && (err = uaccess_check(ustatus, sizeof(int), 1)))
		return err;
	int r = proc_wait((int)pid, &status);
	if (r > 0 && ustatus && (err = copyout(ustatus, &status, sizeof(int))))
		return err;
	return r;
}

static long sys_getpid(uint64_t a0, uint64_t a1, uint64_t a2)
{
	(void)a0, (void)a1, (void)a2;
	return proc_current()->pid;
}

static long sys_yield(uint64_t a0, uint64_t a1, uint64_t a2)
{
	(void)a0, (void)a1, (void)a2;
	proc_yield();
	return 0;
}

/* mmap(len): a bump allocator over the mmap area; munmap of the top
 * mapping gives its address range back. */
static long sys_mmap(uint64_t len, uint64_t a1, uint64_t a2)
{
	struct proc *p = proc_current();

	(void)a1, (void)a2;
	len = PGROUNDUP(len);
	if (!len || len > USER_STACK_TOP - USER_STACK_MAX - p->mmap_next)
		return -VMB_ENOMEM;
	/* Demand paging overcommits; refuse what could never be backed. */
	if (len / PGSIZE + MMAP_RESERVE_PAGES > kalloc_free_pages())
		return -VMB_ENOMEM;
	uint64_t va = p->mmap_next;
	int err = uvm_reserve(p->pml4, va, len, VMB_PROT_READ | VMB_PROT_WRITE);
	if (err) {
		uvm_unmap(p->pml4, va, len);
		return err;
	}
	p->mmap_next += len;
	return (long)va;
}

static long sys_munmap(uint64_t va, uint64_t len, uint64_t a2)
{
	struct proc *p = proc_current();

	(void)a2;
	len = PGROUNDUP(len);
	if (va < USER_MMAP_BASE || va >= p->mmap_next ||
	    len > p->mmap_next - va)	/* only the mmap area, never the stack */
		return -VMB_EINVAL;
	int err = uvm_unmap(p->pml4, va, len);
	if (!err && va + len == p->mmap_next)
		p->mmap_next = va;
	return err;
}

static long sys_mprotect(uint64_t va, uint64_t len, uint64_t prot)
{
	return uvm_protect(proc_current()->pml4, va, PGROUNDUP(len), (int)prot);
}

/* ROI: a BEGIN with id 0 allocates the next id; anything else is passed on. */
static long sys_roi(uint64_t value, uint64_t a1, uint64_t a2)
{
	(void)a1, (void)a2;
	if (VMB_ROI_EVENT(value) == VMB_ROI_BEGIN && VMB_ROI_ID(value) == 0)
		return roi_begin();
	roi_write((uint32_t)value);
	return 0;
}

static long sys_params(uint64_t up, uint64_t a1, uint64_t a2)
{
	(void)a1, (void)a2;
	return copyout(up, &syscall_params, sizeof(syscall_params));
}

static long sys_time(uint64_t a0, uint64_t a1, uint64_t a2)
{
	(void)a0, (void)a1, (void)a2;
	return (long)timer_ticks;
}

static const sys_fn syscalls[VMB_SYS_NR] = {
	[VMB_SYS_NULL] = sys_null,
	[VMB_SYS_WRITE] = sys_write,
	[VMB_SYS_EXIT] = sys_exit,
	[VMB_SYS_FORK] = sys_fork,
	[VMB_SYS_EXEC] = sys_exec,
	[VMB_SYS_WAIT] = sys_wait,
	[VMB_SYS_GETPID] = sys_getpid,
	[VMB_SYS_YIELD] = sys_yield,
	[VMB_SYS_MMAP] = sys_mmap,
	[VMB_SYS_MUNMAP] = sys_munmap,
	[VMB_SYS_MPROTECT] = sys_mprotect,
	[VMB_SYS_ROI] = sys_roi,
	[VMB_SYS_PARAMS] = sys_params,
	[VMB_SYS_TIME] = sys_time,
};

void syscall_dispatch(struct trapframe *tf)
{
	uint64_t nr = tf->rax;

	if (nr < VMB_SYS_NR && syscalls[nr])
		tf->rax = (uint64_t)syscalls[nr](tf->rdi, tf->rsi, tf->rdx);
	else
		tf->rax = (uint64_t)-VMB_ENOSYS;
}
