/*
 * test_bt_badguest.c - bad guests cannot escape, and bt agrees with the
 * interpreter on what they see: one tiny kernel (assembled into this
 * binary, written out as an ELF64 file) sets up its own GDT, TSS, IDT
 * (every exception vector records its frame, CR2 and the GPRs in a result
 * area, then writes the exit port) and page tables with user pages of
 * every kind, then runs one scenario, at CPL0 or CPL3: an address outside
 * the layout (kernel half from user mode, non-canonical, between the
 * halves, above 2 GiB, a host pointer), a jump into data, code writing
 * itself, and every exception the guest can raise (#DE, #BP, #UD, #DF,
 * #SS, #GP, #PF read/write/fetch/user/reserved-bit, #AC) plus a triple
 * fault. Each scenario runs on interp and on bt under both shadow
 * policies through engine.h: the run's end (reason, status, RIP, GPRs,
 * RFLAGS, CR2) and the result area must be identical, and interp's must
 * be the architectural answer the table names. A host canary whose
 * address the guest stores through must stay intact.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "engine.h"
#include "support/elf_build.h"
#include "support/scenario_kernel.h"
#include "vmb_abi.h"

/*
 * Guest layout. The kernel runs at VMB_KERNEL_VBASE + 0x100000 (this blob)
 * on the boot tables' kernel half, copied into its own PML4 (entry 511).
 * User half, one page table at 0x400000:
 *   0x400000 ucode   user R X    the CPL3 snippets
 *   0x401000 udata   user RW NX
 *   0x402000 ustack  user RW NX  (RSP starts at 0x403000)
 *   0x403000 udata   supervisor RW (same frame as 0x401000)
 *   0x404000 udata   user, reserved bit 51 set
 *   0x405000 -       not present
 *   0x406000 urwx    user RWX    the self-modifying snippet
 *   0x407000 udata2  user R X    text: "jump into data"
 * Selectors: 0x08/0x10 kernel code/data, 0x1b/0x23 user code/data, 0x28
 * TSS (RSP0 = kstack, IST1 = iststack for #DF and #SS). CR0.AM is set.
 *
 * res (8-byte words): 0 vector, 1 error, 2 RIP, 3 CS, 4 RFLAGS, 5 RSP,
 * 6 SS, 7 CR2, 8..23 RAX..R15 at the handler, 24 a scenario's value.
 * Exit status: 0x40 + vector, 0xc0 for INT 0x80, 1 for a kernel scenario
 * that ends without a fault.
 */

/*
 * What is known not to hold, and what else runs (docs/bt.md "Tests"; each
 * known deviation is printed when it runs; the bits combine):
 *   OK  interp gives the architectural result, bt exactly interp's;
 *   KI  interp deviates from the architecture (the status column is the
 *       architectural answer, not checked); bt must still match interp
 *       (no scenario needs it today);
 *   LO  an address outside bt's window layout (user below 2 GiB, kernel
 *       in the top 2 GiB; non-canonical ones included): bt must give
 *       interp's result exactly (its layout checks send the instruction
 *       to the monitor); with layout=trust it aliases the address to its
 *       low 32 bits, which must stay contained (guest exit, canary
 *       intact), whatever the guest then sees (printed when it differs).
 */
enum { OK = 0, KI = 1, LO = 2 };	/* may be combined */

/*
 * The scenarios, in the order of the guest's table: X(entry, label,
 * status, error, cr2, known). entry K runs (label) at CPL0; U goes to CPL3
 * at the user snippet (label); UN does so with CR0.AM clear; UR runs the
 * snippet (label) of the RWX page. status is the exit status interp must
 * give (0x40 + vector, 0xc0 for INT 0x80, 1 for a kernel scenario without
 * a fault, TRIPLE for a triple fault); error and CR2 the recorded ones
 * (ANY: not checked against a constant).
 */
#define SCENARIOS(X)                                                          \
	X(K, k_de, E(0), 0, ANY, OK)                                          \
	X(K, k_de_ovf, E(0), 0, ANY, OK)                                      \
	X(K, k_ud, E(6), 0, ANY, OK)                                          \
	X(K, k_into, E(6), 0, ANY, OK)                                        \
	X(K, k_int3, E(3), 0, ANY, OK)                                        \
	X(K, k_gp_nc, E(13), 0, ANY, LO)                                      \
	X(K, k_gp_wrmsr, E(13), 0, ANY, OK)                                   \
	X(K, k_ss_nc, E(12), 0, ANY, LO)                                      \
	X(K, k_pf_np, E(14), 0, 0x405000, OK)                                 \
	X(K, k_pf_ro, E(14), 3, 0x400000, OK)                                 \
	X(K, k_pf_rsvd, E(14), 9, 0x404000, OK)                               \
	X(K, k_pf_nx, E(14), 0x11, 0x401000, OK)                              \
	X(K, k_between, E(14), 0, 0x100400000, LO)                            \
	X(K, k_between_w, E(14), 2, 0x100401000, LO)                          \
	X(K, k_above2g, E(14), 0, 0x80400000, LO)                             \
	X(K, k_high, E(14), 0, 0xffff800000400000, LO)                        \
	X(K, k_hostptr, E(14), 2, ANY, LO)                                    \
	X(K, k_jmp_nc, E(13), 0, ANY, OK)                                     \
	X(K, k_jmp_data, ANYS, ANY, ANY, OK)                                  \
	X(K, k_smc, 1, ANY, ANY, OK)                                          \
	X(K, k_ac, 1, ANY, ANY, OK)                                           \
	X(K, k_stack_pf, E(8), 0, 0x405008, OK)                               \
	X(K, k_df, E(8), 0, 0x405000, OK)                                     \
	X(K, k_triple, TRIPLE, ANY, ANY, OK)                                  \
	X(K, k_rep_pf, E(14), 3, 0x407000, OK)                                \
	X(U, u_de, E(0), 0, ANY, OK)                                          \
	X(U, u_ud, E(6), 0, ANY, OK)                                          \
	X(U, u_int3, E(13), 0x1a, ANY, OK)                                    \
	X(U, u_int80, 0xc0, 0, ANY, OK)                                       \
	X(U, u_gp_cli, E(13), 0, ANY, OK)                                     \
	X(U, u_gp_out, E(13), 0, ANY, OK)                                     \
	X(U, u_gp_hlt, E(13), 0, ANY, OK)                                     \
	X(U, u_gp_rdmsr, E(13), 0, ANY, OK)                                   \
	X(U, u_gp_cr3, E(13), 0, ANY, OK)                                     \
	X(U, u_gp_nc, E(13), 0, ANY, LO)                                      \
	X(U, u_gp_lodsb_nc, E(13), 0, ANY, OK)                                \
	X(U, u_ss_nc, E(12), 0, ANY, LO)                                      \
	X(U, u_syscall, E(6), 0, ANY, OK)                                     \
	X(U, u_pf_kread, E(14), 5, 0xffffffff80100000, OK)                    \
	X(U, u_pf_kwrite, E(14), 7, 0xffffffff80100000, OK)                   \
	X(U, u_pf_kexec, E(14), 0x15, 0xffffffff80100000, OK)                 \
	X(U, u_pf_np, E(14), 4, 0x405000, OK)                                 \
	X(U, u_pf_ro, E(14), 7, 0x400000, OK)                                 \
	X(U, u_pf_nx, E(14), 0x15, 0x401000, OK)                              \
	X(U, u_pf_rsvd, E(14), 0xd, 0x404000, OK)                             \
	X(U, u_pf_sup, E(14), 5, 0x403000, OK)                                \
	X(U, u_between, E(14), 4, 0x100400000, LO)                            \
	X(U, u_between_w, E(14), 6, 0x100401000, LO)                          \
	X(U, u_above2g, E(14), 4, 0x80400000, LO)                             \
	X(U, u_high, E(14), 4, 0xffff800000400000, LO)                        \
	X(U, u_hostptr, E(14), 6, ANY, LO)                                    \
	X(U, u_jmp_nc, E(13), 0, ANY, OK)                                     \
	X(U, u_jmp_data, ANYS, ANY, ANY, OK)                                  \
	X(U, u_ret_kernel, E(14), 0x15, 0xffffffff80100000, OK)               \
	X(U, u_push_np, E(14), 6, 0x405008, OK)                               \
	X(U, u_call_np, E(14), 6, 0x405008, OK)                               \
	X(U, u_bt_far, E(14), 4, ANY, OK)                                     \
	X(U, u_fs_null, E(14), 4, 0, OK)                                      \
	X(U, u_addr32, E(14), 4, 0x405000, OK)                                \
	X(U, u_rep_pf, E(14), 7, 0x407000, OK)                                \
	X(U, u_popf, 0xc0, 0, ANY, OK)                                        \
	X(U, u_ac, E(17), 0, ANY, OK)                                         \
	X(UN, u_ac, 0xc0, 0, ANY, OK)                                         \
	X(U, u_smc_ro, E(14), 7, ANY, OK)                                     \
	X(UR, u_smc, 0xc0, 0, ANY, OK)

#include "support/scenario_table.h"

extern const uint8_t g_bad_begin[], g_bad_end[], g_bad_scenario[],
	g_bad_res[], g_bad_udata[];

__asm__(
".pushsection .rodata\n"
".p2align 12\n"
"g_bad_begin:\n"
"	jmp kmain\n"
".p2align 3\n"
"g_bad_scenario: .quad 0\n"
"g_bad_res: .fill 32, 8, 0\n"

SK_GATE_SET

SK_KMAIN_GDT
"	lea iststack_top(%rip), %rdx\n mov %rdx, 36(%rax)\n"
SK_GDT_LOAD
/* IDT: vectors 0-31 interrupt gates DPL0 (IST1 for 8 and 12), 0x80 DPL3 */
"	lea idt(%rip), %rdi\n"
"	xor %ecx, %ecx\n"
SK_IDT_EXC_GATES("12")
"	lea stub80(%rip), %rax\n mov $0x80, %ecx\n mov $0xee, %r8d\n"
"	xor %r9d, %r9d\n call gate_set\n"
SK_IDT_LOAD
/* page tables */
SK_USER_PAGES_MAP
SK_CR3_LOAD_AM
SK_DISPATCH_USER_KEXIT("g_bad_scenario", "g_bad_res")

/* ---- kernel scenarios ---- */
"k_de:	xor %ecx, %ecx\n mov $7, %eax\n div %ecx\n jmp kexit\n"
"k_de_ovf: mov $0x80000000, %eax\n cltd\n mov $-1, %ecx\n idiv %ecx\n"
"	jmp kexit\n"
"k_ud:	ud2\n jmp kexit\n"
"k_into: .byte 0xce\n jmp kexit\n"
"k_int3: int3\n jmp kexit\n"
"k_gp_nc: movabs $0x0000800000000000, %rax\n mov (%rax), %rax\n jmp kexit\n"
"k_gp_wrmsr: mov $0x12345678, %ecx\n wrmsr\n jmp kexit\n"
"k_ss_nc: movabs $0x0000800000000010, %rsp\n push %rax\n jmp kexit\n"
"k_pf_np: mov $0x405000, %eax\n mov (%rax), %rax\n jmp kexit\n"
"k_pf_ro: movq $1, 0x400000\n jmp kexit\n"
"k_pf_rsvd: mov $0x404000, %eax\n mov (%rax), %rax\n jmp kexit\n"
"k_pf_nx: mov $0x401000, %eax\n call *%rax\n jmp kexit\n"
"k_between: movabs $0x100400000, %rax\n mov (%rax), %rax\n jmp kexit\n"
"k_between_w: movabs $0x100401000, %rax\n movq $0x5a, (%rax)\n jmp kexit\n"
"k_above2g: mov $0x80400000, %eax\n mov (%rax), %rax\n jmp kexit\n"
"k_high: movabs $0xffff800000400000, %rax\n mov (%rax), %rax\n jmp kexit\n"
"k_hostptr: mov g_bad_udata+8(%rip), %rax\n movq $0x5a, (%rax)\n jmp kexit\n"
"k_jmp_nc: movabs $0x0000800000000000, %rax\n jmp *%rax\n"
"k_jmp_data: lea udata2(%rip), %rax\n jmp *%rax\n"
"k_smc:	xor %ebx, %ebx\n call k_smc_f\n"
"	movl $0x22, k_smc_imm(%rip)\n call k_smc_f\n mov %ebx, %eax\n"
"	jmp kexit\n"
"k_smc_f: .byte 0xb8\n k_smc_imm: .long 0x11\n add %eax, %ebx\n ret\n"
"k_ac:	pushf\n orl $0x40000, (%rsp)\n popf\n"
"	lea g_bad_res+1(%rip), %rax\n"
"	mov (%rax), %rax\n pushf\n pop %rax\n jmp kexit\n"
"k_stack_pf: mov $0x405010, %esp\n push %rax\n jmp kexit\n"
"k_df:	lea idt(%rip), %rdi\n andb $0x7f, 14*16+5(%rdi)\n"
"	mov $0x405000, %eax\n mov (%rax), %rax\n"
"k_triple: sub $16, %rsp\n movw $0, (%rsp)\n movq $0, 2(%rsp)\n lidt (%rsp)\n"
"	ud2\n"
"k_rep_pf: mov $0x406ff0, %edi\n mov $0x40, %ecx\n mov $0x61, %al\n"
"	rep stosb\n"

SK_EXC_STUBS
SK_RECORD_GPRS("g_bad_res")
SK_RECORD_FRAME

/* scenario table, then the user snippets (CPL3, at 0x400000 + offset) */
SCENARIO_STABLE_UCODE
"u_de:	xor %ecx, %ecx\n mov $7, %eax\n div %ecx\n int $0x80\n"
"u_ud:	ud2\n int $0x80\n"
"u_int3: int3\n int $0x80\n"
"u_int80: mov $42, %eax\n int $0x80\n"
"u_gp_cli: cli\n int $0x80\n"
"u_gp_out: mov $0xf4, %dx\n out %eax, %dx\n int $0x80\n"
"u_gp_hlt: hlt\n int $0x80\n"
"u_gp_rdmsr: mov $0x10, %ecx\n rdmsr\n int $0x80\n"
"u_gp_cr3: mov %cr3, %rax\n int $0x80\n"
"u_gp_nc: movabs $0x0000800000000000, %rax\n mov (%rax), %rax\n int $0x80\n"
"u_gp_lodsb_nc: movabs $0x0000800000000000, %rsi\n lodsb\n int $0x80\n"
"u_ss_nc: movabs $0x0000800000000010, %rsp\n push %rax\n int $0x80\n"
"u_syscall: syscall\n int $0x80\n"
"u_pf_kread: movabs $0xffffffff80100000, %rax\n mov (%rax), %rax\n int $0x80\n"
"u_pf_kwrite: movabs $0xffffffff80100000, %rax\n movq $1, (%rax)\n int $0x80\n"
"u_pf_kexec: movabs $0xffffffff80100000, %rax\n jmp *%rax\n"
"u_pf_np: mov $0x405000, %eax\n mov (%rax), %rax\n int $0x80\n"
"u_pf_ro: movq $1, 0x400000\n int $0x80\n"
"u_pf_nx: mov $0x401000, %eax\n jmp *%rax\n"
"u_pf_rsvd: mov $0x404000, %eax\n mov (%rax), %rax\n int $0x80\n"
"u_pf_sup: mov $0x403000, %eax\n mov (%rax), %rax\n int $0x80\n"
"u_between: movabs $0x100400000, %rax\n mov (%rax), %rax\n int $0x80\n"
"u_between_w: movabs $0x100401000, %rax\n movq $0x5a, (%rax)\n int $0x80\n"
"u_above2g: mov $0x80400000, %eax\n mov (%rax), %rax\n int $0x80\n"
"u_high: movabs $0xffff800000400000, %rax\n mov (%rax), %rax\n int $0x80\n"
"u_hostptr: mov $0x401008, %eax\n mov (%rax), %rax\n movq $0x5a, (%rax)\n"
"	int $0x80\n"
"u_jmp_nc: movabs $0x0000800000000000, %rax\n jmp *%rax\n"
"u_jmp_data: mov $0x407000, %eax\n jmp *%rax\n"
"u_ret_kernel: movabs $0xffffffff80100000, %rax\n push %rax\n ret\n"
"u_push_np: mov $0x405010, %esp\n push %rax\n int $0x80\n"
"u_call_np: mov $0x405010, %esp\n call u_call_np\n int $0x80\n"
"u_bt_far: mov $0x401000, %eax\n mov $0x7fffffff, %ecx\n bt %rcx, (%rax)\n"
"	int $0x80\n"
"u_fs_null: mov %fs:0, %rax\n int $0x80\n"
"u_addr32: mov $0x405000, %eax\n addr32 mov (%eax), %ebx\n int $0x80\n"
"u_rep_pf: mov $0x406ff0, %edi\n mov $0x40, %ecx\n mov $0x61, %al\n"
"	rep stosb\n"
"u_popf: pushf\n orl $0x3200, (%rsp)\n popf\n pushf\n pop %rbx\n int $0x80\n"
"u_ac:	pushf\n orl $0x40000, (%rsp)\n popf\n mov $0x401001, %eax\n"
"	mov (%rax), %rax\n int $0x80\n"
"u_smc_ro: movb $0x90, u_smc_ro + 0x400000 - ucode\n int $0x80\n"
SK_USER_DATA("g_bad_udata")
SK_TABLES_KSTACK
".fill 4096, 1, 0\n"
"iststack_top:\n"
"g_bad_end:\n"
".popsection\n");

/* ---- the host side ------------------------------------------------------ */

static const struct scenario_kernel kernel = {
	.begin = g_bad_begin,
	.end = g_bad_end,
	.scenario = g_bad_scenario,
	.res = g_bad_res,
	.hostptr = g_bad_udata + 8,
};

/* An LO scenario on bt with layout=trust: contained, ended by the guest,
 * whatever it saw. */
static void outcome_check_contained(const struct scenario *s,
				    const char *opts,
				    const struct scenario_outcome *ref,
				    const struct scenario_outcome *o)
{
	if (o->reason != RUN_EXIT_GUEST)
		fail_msg("%s: bt %s stopped with %s at RIP %#llx: %s", s->name,
			 opts, run_exit_reason_name(o->reason),
			 (unsigned long long)o->rip, o->message);
	if (o->status != ref->status || memcmp(o->res, ref->res,
					       sizeof(o->res)))
		print_message("[  DIFFERS ] %s: bt %s (contained): vector "
			      "%#llx error %#llx CR2 "
			      "%#llx RIP %#llx (interp: %#llx %#llx %#llx "
			      "%#llx)\n", s->name, opts,
			      (unsigned long long)o->res[0],
			      (unsigned long long)o->res[1],
			      (unsigned long long)o->res[7],
			      (unsigned long long)o->res[2],
			      (unsigned long long)ref->res[0],
			      (unsigned long long)ref->res[1],
			      (unsigned long long)ref->res[7],
			      (unsigned long long)ref->res[2]);
}

static void scenario_test(void **state)
{
	const struct scenario *s = *state;
	static const char *const policies[] = {"shadow=vtlb", "shadow=trace"};
	struct scenario_outcome ref, o;
	char why[256] = "";

	if (!scenario_kernel_run(&kernel, "interp", NULL,
				 s->id, &ref, NULL, why, sizeof(why)))
		fail_msg("interp unusable: %s", why);
	/* VMB_BADGUEST_DUMP=1: one line per engine, for a look at every case */
	if (getenv("VMB_BADGUEST_DUMP")) {
		scenario_outcome_dump(s->name, "interp", &ref);
		for (unsigned k = 0; k < 2; k++)
			if (scenario_kernel_run(&kernel, "bt", policies[k],
						s->id, &o, NULL, why,
						sizeof(why)))
				scenario_outcome_dump(s->name, policies[k], &o);
	}
	if (s->known & KI)
		print_message("[   KNOWN  ] %s: interp gives status %#x, the "
			      "architecture %#x\n", s->name, ref.status,
			      s->status);
	else
		scenario_outcome_check_expected(s->name, s->status, s->error,
						s->cr2, &ref);
	/* the code each self-modifying snippet runs twice: 0x11, then 0x22 */
	if (s->id == SC_K_k_smc)
		assert_int_equal(ref.res[24], 0x33);
	if (s->id == SC_UR_u_smc)
		assert_int_equal(ref.res[8], 0x33);
	for (unsigned k = 0; k < 2; k++) {
		if (!scenario_kernel_run(&kernel, "bt", policies[k],
					 s->id, &o, NULL, why, sizeof(why))) {
			print_message("[  SKIPPED ] bt unusable: %s\n", why);
			skip();
		}
		scenario_outcome_compare(s->name, policies[k], &ref, &o);
	}
	if (s->known & LO) {
		const char *trust = "shadow=vtlb,layout=trust";

		if (!scenario_kernel_run(&kernel, "bt", trust,
					 s->id, &o, NULL, why, sizeof(why)))
			fail_msg("bt %s unusable: %s", trust, why);
		outcome_check_contained(s, trust, &ref, &o);
	}
}

int main(void)
{
	return scenario_group_run(scenario_test, scenarios,
				  sizeof(scenarios[0]), NSCENARIOS);
}
