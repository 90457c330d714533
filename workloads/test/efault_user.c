/*
 * efault_user - guest test: every system call that takes a user pointer
 * (write, exec, wait, params) must answer a bad one with -VMB_EFAULT and
 * go on, not fault the kernel. Bad means: unmapped, at or above the user
 * top, a kernel address, a range running off its mapping, or read-only
 * memory for a call that writes. Good pointers to demand-zero and
 * copy-on-write pages must work as a user access would (the page is
 * faulted in; a COW page is copied). Exits 0 when every check passed,
 * else 1 after an `error` line naming the first failed check.
 */
#include "vmb.h"
#include "vmb_sys.h"
#include "vmb_syscall.h"

#define PAGE 4096
#define UNMAPPED 0x10ull			/* page 0 is never mapped */
#define USER_TOP_ADDR 0x80000000ull		/* memlayout.h USER_TOP */
#define KERNEL_ADDR 0xFFFFFFFF80100000ull	/* the kernel image */
#define TEXT_ADDR 0x400000ull			/* read-only program text */

static const char *failed;	/* first failed check */
static struct vmb_params cow_params;	/* .bss: COW after fork */

static void expect(int ok, const char *what)
{
	if (!ok && !failed)
		failed = what;
}

static void *ptr(uint64_t a)
{
	return (void *)(uintptr_t)a;
}

static void check_write(uint8_t *ro, uint8_t *edge)
{
	expect(vmb_sys_write(ptr(UNMAPPED), 4) == -VMB_EFAULT, "write unmapped");
	expect(vmb_sys_write(ptr(USER_TOP_ADDR), 4) == -VMB_EFAULT,
	       "write at user top");
	expect(vmb_sys_write(ptr(USER_TOP_ADDR - 2), 4) == -VMB_EFAULT,
	       "write across user top");
	expect(vmb_sys_write(ptr(KERNEL_ADDR), 4) == -VMB_EFAULT,
	       "write kernel address");
	/* Runs off the end of the last mapping into unmapped space. */
	expect(vmb_sys_write(edge, 2 * PAGE) == -VMB_EFAULT,
	       "write past a mapping");
	expect(vmb_sys_write(ptr(~0ull - 2), 8) == -VMB_EFAULT,
	       "write wrapping around");
	/* Reading read-only memory is fine. */
	ro[0] = '\n';
	expect(vmb_sys_mprotect(ro, PAGE, VMB_PROT_READ) == 0, "mprotect");
	expect(vmb_sys_write(ro, 1) == 1, "write from read-only page");
	expect(vmb_sys_write(ptr(UNMAPPED), 0) == 0, "write of 0 bytes");
}

static void check_exec(uint8_t *lazy)
{
	const char *argv_bad[] = {"child", ptr(UNMAPPED), NULL};

	expect(vmb_sys_exec(ptr(UNMAPPED), NULL) == -VMB_EFAULT,
	       "exec name unmapped");
	expect(vmb_sys_exec(ptr(KERNEL_ADDR), NULL) == -VMB_EFAULT,
	       "exec name kernel address");
	expect(vmb_sys_exec(ptr(USER_TOP_ADDR - 1), NULL) == -VMB_EFAULT,
	       "exec name just below user top (unmapped)");
	expect(vmb_sys_exec("child", ptr(UNMAPPED)) == -VMB_EFAULT,
	       "exec argv unmapped");
	expect(vmb_sys_exec("child", argv_bad) == -VMB_EFAULT,
	       "exec argv[1] unmapped");
	/* A name in a demand-zero page reads as "": no such program. */
	expect(vmb_sys_exec((const char *)lazy, NULL) == -VMB_ENOENT,
	       "exec name in a demand-zero page");
}

static void check_wait(uint8_t *ro, uint8_t *lazy)
{
	expect(vmb_sys_wait(-1, ptr(UNMAPPED)) == -VMB_EFAULT,
	       "wait status unmapped");
	expect(vmb_sys_wait(-1, (int *)ro) == -VMB_EFAULT,
	       "wait status read-only");
	expect(vmb_sys_wait(-1, ptr(KERNEL_ADDR)) == -VMB_EFAULT,
	       "wait status kernel address");

	/* A bad status pointer must not collect the child. */
	long pid = vmb_sys_fork();
	if (pid == 0)
		vmb_sys_exit(7);
	expect(pid > 0, "fork");
	expect(vmb_sys_wait(pid, ptr(UNMAPPED)) == -VMB_EFAULT,
	       "wait with a child, status unmapped");
	int *st = (int *)(void *)(lazy + PAGE);	/* demand-zero page */
	expect(vmb_sys_wait(pid, st) == pid && *st == 7,
	       "wait status in a demand-zero page");
}

static void check_params(uint8_t *lazy)
{
	struct vmb_params ref;

	expect(vmb_sys_params(&ref) == 0, "params into the stack");
	expect(vmb_sys_params(ptr(UNMAPPED)) == -VMB_EFAULT,
	       "params unmapped");
	expect(vmb_sys_params(ptr(TEXT_ADDR)) == -VMB_EFAULT,
	       "params into program text");
	expect(vmb_sys_params(ptr(KERNEL_ADDR)) == -VMB_EFAULT,
	       "params kernel address");
	expect(vmb_sys_params(ptr(USER_TOP_ADDR - 8)) == -VMB_EFAULT,
	       "params across user top");
	/* Demand-zero, straddling two fresh pages. */
	struct vmb_params *q = (void *)(lazy + 3 * PAGE - 16);
	expect(vmb_sys_params(q) == 0 && q->iters == ref.iters &&
	       !vmb_strcmp(q->bench, ref.bench),
	       "params into demand-zero pages");

	/* Copy on write: the child's write must not show in the parent. */
	cow_params.iters = 12345;
	long pid = vmb_sys_fork();
	if (pid == 0)
		vmb_sys_exit(vmb_sys_params(&cow_params) == 0 &&
			     cow_params.iters == ref.iters ? 0 : 1);
	int st = -1;
	expect(pid > 0 && vmb_sys_wait(pid, &st) == pid && st == 0,
	       "params into a copy-on-write page (child)");
	expect(cow_params.iters == 12345,
	       "params into a copy-on-write page (parent unchanged)");
}

static int efault_user_run(const struct vmb_params *p)
{
	/* Pages of (lazy): 0 exec name, 1 wait status, 2-3 params. */
	uint8_t *ro = vmb_sys_mmap(PAGE);
	uint8_t *lazy = vmb_sys_mmap(4 * PAGE);
	uint8_t *edge = vmb_sys_mmap(PAGE);	/* last: unmapped above */

	(void)p;
	if (!ro || !lazy || !edge) {
		vmb_report_error("efault_user", "mmap failed");
		return 1;
	}
	check_write(ro, edge);
	check_exec(lazy);
	check_wait(ro, lazy);
	check_params(lazy);
	if (failed) {
		vmb_report_error("efault_user", failed);
		return 1;
	}
	return 0;
}

const struct vmb_bench bench_efault_user = {
	.name = "efault_user", .suite = "test", .mode = VMB_MODE_USER,
	.default_iters = 1, .run = efault_user_run,
};
