/*
 * hypercall - cost of `vmcall` at CPL0 with an unknown number (VMB_HC_NOP),
 * which every vmbench engine answers with RAX = -1000 (KVM_ENOSYS).
 *
 * Without a hypervisor (QEMU TCG) vmcall raises #UD. A first probe tells
 * which: with #UD the bench measures the #UD round trip instead (metric
 * "vmcall_ud", a console note says so) and still succeeds, because the
 * run is valid, just not a hypercall. Any other RAX is an error. The
 * checksum is the number of vmcalls executed, whatever happened to them.
 *
 * On a KVM/PVM host vmcall never completes (the host re-emulates it
 * forever), so with the PVM assistance on the bench does not execute it:
 * it prints an `error` line "unsupported on this backend: ..." and no
 * result or checksum, and ends with status 0 (the run is not a failure).
 */
#include "pvm.h"
#include "trap.h"
#include "vmb.h"

extern char hc_insn[], hc_resume[];

/* One vmcall; on #UD the fixup resumes at hc_resume with RAX unchanged. */
__attribute__((noinline, noclone)) static uint64_t vmcall_once(void)
{
	uint64_t rax = VMB_HC_NOP;

	__asm__ volatile(".globl hc_insn, hc_resume\n"
			 "hc_insn: vmcall\n"
			 "hc_resume:"
			 : "+a"(rax)
			 :
			 : "rbx", "rcx", "rdx", "rsi", "memory");
	return rax;
}

static int hypercall_run(const struct vmb_params *p)
{
	uint64_t n = p->iters;

	if (pvm_assist_enabled()) {
		vmb_report_error("hypercall", "unsupported on this backend: "
				 "vmcall never completes under KVM/PVM");
		return 0;
	}
	trap_fixup_set(T_UD, (uint64_t)hc_insn, (uint64_t)hc_resume);
	uint64_t rax = vmcall_once();
	int ud = trap_fixup_clear() != 0;
	if (!ud && rax != VMB_HC_ENOSYS) {
		char msg[64];
		vmb_snprintf(msg, sizeof(msg), "vmcall returned 0x%lx", rax);
		vmb_report_error("hypercall", msg);
		return 1;
	}
	if (ud)
		vmb_printf("hypercall: vmcall raised #UD (no hypervisor); "
			   "measuring the #UD round trip instead\n");

	trap_fixup_set(T_UD, (uint64_t)hc_insn, (uint64_t)hc_resume);
	uint32_t roi = vmb_port_roi_begin();
	uint64_t t0 = vmb_rdtsc();
	for (uint64_t i = 0; i < n; i++)
		vmcall_once();
	uint64_t t1 = vmb_rdtsc();
	vmb_port_roi_end(roi);
	trap_fixup_clear();
	vmb_report_result("hypercall", roi, ud ? "vmcall_ud" : "vmcall", n,
			  t1 - t0);
	vmb_report_checksum("hypercall", vmb_hash64_u64(VMB_HASH64_INIT, n));
	return 0;
}

const struct vmb_bench bench_hypercall = {
	.name = "hypercall", .suite = "micro", .mode = VMB_MODE_KERNEL,
	.default_iters = 100000, .run = hypercall_run,
};
