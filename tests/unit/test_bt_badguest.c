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
/* The vectors whose exceptions push an error code: 8, 10-14, 17, 21, 29,
 * 30. */
#define ERRVEC_MASK "0x60227d00"

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
#define TRIPLE 0xffffffffu
#define ANY (~0ull)
#define E(v) (0x40u + (v))
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
#define ANYS 0xfffffffeu	/* any status: only bt == interp is checked */

#define K_ROW(l) "	.long " #l " - stable, 0\n"
#define U_ROW(l) "	.long go_user - stable, " #l " - ucode\n"
#define UR_ROW(l) "	.long go_user - stable, " #l " - urwx + 0x6000\n"
#define UN_ROW(l) "	.long go_user_noam - stable, " #l " - ucode\n"
#define ASM_ROW(entry, l, st, err, cr2, known) entry##_ROW(l)

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

/* gate_set: IDT (rdi), vector ecx, handler rax, attr r8, IST r9 */
"gate_set:\n"
"	mov %rax, %rdx\n and $0xffff, %edx\n or $0x80000, %rdx\n"
"	mov %r9, %r10\n shl $32, %r10\n or %r10, %rdx\n"
"	mov %r8, %r10\n shl $40, %r10\n or %r10, %rdx\n"
"	mov %rax, %r10\n shr $16, %r10\n and $0xffff, %r10d\n"
"	shl $48, %r10\n or %r10, %rdx\n"
"	mov %ecx, %r10d\n shl $4, %r10d\n mov %rdx, (%rdi,%r10)\n"
"	mov %rax, %rdx\n shr $32, %rdx\n mov %rdx, 8(%rdi,%r10)\n"
"	ret\n"

"kmain:\n"
"	movabs $0xffffffff80000000, %r15\n"
"	lea kstack_top(%rip), %rsp\n"
/* GDT */
"	lea gdt(%rip), %rdi\n"
"	movq $0, (%rdi)\n"
"	movabs $0x00af9a000000ffff, %rax\n mov %rax, 8(%rdi)\n"
"	movabs $0x00cf92000000ffff, %rax\n mov %rax, 16(%rdi)\n"
"	movabs $0x00affa000000ffff, %rax\n mov %rax, 24(%rdi)\n"
"	movabs $0x00cff2000000ffff, %rax\n mov %rax, 32(%rdi)\n"
"	lea tss(%rip), %rax\n"
"	mov %rax, %rcx\n and $0xffffff, %ecx\n shl $16, %rcx\n"
"	or $0x67, %rcx\n"
"	movabs $0x0000890000000000, %rdx\n or %rdx, %rcx\n"
"	mov %rax, %rdx\n shr $24, %rdx\n and $0xff, %edx\n shl $56, %rdx\n"
"	or %rdx, %rcx\n mov %rcx, 40(%rdi)\n"
"	mov %rax, %rdx\n shr $32, %rdx\n mov %rdx, 48(%rdi)\n"
"	lea kstack_top(%rip), %rdx\n mov %rdx, 4(%rax)\n"
"	lea iststack_top(%rip), %rdx\n mov %rdx, 36(%rax)\n"
"	movw $104, 102(%rax)\n"
"	sub $16, %rsp\n movw $55, (%rsp)\n mov %rdi, 2(%rsp)\n lgdt (%rsp)\n"
"	add $16, %rsp\n"
"	mov $0x28, %ax\n ltr %ax\n"
/* IDT: vectors 0-31 interrupt gates DPL0 (IST1 for 8 and 12), 0x80 DPL3 */
"	lea idt(%rip), %rdi\n"
"	xor %ecx, %ecx\n"
"1:	lea stubs(%rip), %rax\n mov %ecx, %edx\n shl $4, %edx\n"
"	add %rdx, %rax\n"
"	mov $0x8e, %r8d\n xor %r9d, %r9d\n"
"	cmp $8, %ecx\n jne 2f\n mov $1, %r9d\n"
"2:	cmp $12, %ecx\n jne 3f\n mov $1, %r9d\n"
"3:	call gate_set\n inc %ecx\n cmp $32, %ecx\n jb 1b\n"
"	lea stub80(%rip), %rax\n mov $0x80, %ecx\n mov $0xee, %r8d\n"
"	xor %r9d, %r9d\n call gate_set\n"
"	sub $16, %rsp\n movw $0xfff, (%rsp)\n mov %rdi, 2(%rsp)\n"
"	lidt (%rsp)\n"
"	add $16, %rsp\n"
/* page tables */
"	mov %cr3, %rax\n and $~0xfff, %rax\n add %r15, %rax\n"
"	mov 4088(%rax), %rdx\n lea pml4(%rip), %rdi\n mov %rdx, 4088(%rdi)\n"
"	lea pdpt(%rip), %rax\n sub %r15, %rax\n or $7, %rax\n"
"	mov %rax, (%rdi)\n"
"	lea pdpt(%rip), %rdi\n lea pd(%rip), %rax\n sub %r15, %rax\n"
"	or $7, %rax\n"
"	mov %rax, (%rdi)\n"
"	lea pd(%rip), %rdi\n lea pt(%rip), %rax\n sub %r15, %rax\n"
"	or $7, %rax\n"
"	mov %rax, 16(%rdi)\n"
"	lea pt(%rip), %rdi\n"
"	lea ucode(%rip), %rax\n sub %r15, %rax\n or $5, %rax\n"
"	mov %rax, 0(%rdi)\n"
"	movabs $0x8000000000000007, %rdx\n"
"	lea udata(%rip), %rax\n sub %r15, %rax\n or %rdx, %rax\n"
"	mov %rax, 8(%rdi)\n"
"	lea ustack(%rip), %rax\n sub %r15, %rax\n or %rdx, %rax\n"
"	mov %rax, 16(%rdi)\n"
"	lea udata(%rip), %rax\n sub %r15, %rax\n or $3, %rax\n"
"	mov %rax, 24(%rdi)\n"
"	movabs $0x0008000000000005, %rdx\n"
"	lea udata(%rip), %rax\n sub %r15, %rax\n or %rdx, %rax\n"
"	mov %rax, 32(%rdi)\n"
"	lea urwx(%rip), %rax\n sub %r15, %rax\n or $7, %rax\n"
"	mov %rax, 48(%rdi)\n"
"	lea udata2(%rip), %rax\n sub %r15, %rax\n or $5, %rax\n"
"	mov %rax, 56(%rdi)\n"
"	lea pml4(%rip), %rax\n sub %r15, %rax\n mov %rax, %cr3\n"
"	mov %cr0, %rax\n or $0x40000, %eax\n mov %rax, %cr0\n"
/* dispatch: stable[scenario] = {kernel entry - stable, user offset} */
"	mov g_bad_scenario(%rip), %rcx\n"
"	lea stable(%rip), %rax\n"
"	movslq (%rax,%rcx,8), %rdx\n add %rax, %rdx\n"
"	movslq 4(%rax,%rcx,8), %rbx\n"
"	xor %eax, %eax\n xor %ecx, %ecx\n xor %esi, %esi\n xor %edi, %edi\n"
"	xor %ebp, %ebp\n xor %r8d, %r8d\n xor %r9d, %r9d\n xor %r10d, %r10d\n"
"	xor %r11d, %r11d\n xor %r12d, %r12d\n xor %r13d, %r13d\n"
"	xor %r14d, %r14d\n xor %r15d, %r15d\n"
"	jmp *%rdx\n"

/* to CPL3 at 0x400000 + rbx, RSP 0x403000, RFLAGS 0x2 */
"go_user:\n"
"	lea 0x400000(%rbx), %rcx\n"
"	pushq $0x23\n pushq $0x403000\n pushq $2\n pushq $0x1b\n push %rcx\n"
"	xor %ecx, %ecx\n xor %edx, %edx\n xor %ebx, %ebx\n"
"	iretq\n"
"go_user_noam:\n"
"	mov %cr0, %rax\n and $~0x40000, %eax\n mov %rax, %cr0\n"
"	xor %eax, %eax\n"
"	jmp go_user\n"
/* a kernel scenario that ends without a fault: value in RAX */
"kexit:\n"
"	mov %rax, g_bad_res+192(%rip)\n"
"	mov $1, %eax\n mov $0xf4, %dx\n out %eax, %dx\n"
"9:	jmp 9b\n"

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

/* exception stubs, 16 bytes apart */
".p2align 4\n"
"stubs:\n"
".set v, 0\n"
".rept 32\n"
".p2align 4\n"
".if (" ERRVEC_MASK " >> v) & 1\n"
"	pushq $v\n"
".else\n"
"	pushq $0\n pushq $v\n"
".endif\n"
"	jmp common\n"
".set v, v + 1\n"
".endr\n"
"stub80: pushq $0\n pushq $0x80\n jmp common\n"
"common:\n"
"	mov %rax, g_bad_res+64(%rip)\n lea g_bad_res(%rip), %rax\n"
"	mov %rcx, 72(%rax)\n mov %rdx, 80(%rax)\n mov %rbx, 88(%rax)\n"
"	mov %rbp, 104(%rax)\n mov %rsi, 112(%rax)\n mov %rdi, 120(%rax)\n"
"	mov %r8, 128(%rax)\n mov %r9, 136(%rax)\n mov %r10, 144(%rax)\n"
"	mov %r11, 152(%rax)\n mov %r12, 160(%rax)\n mov %r13, 168(%rax)\n"
"	mov %r14, 176(%rax)\n mov %r15, 184(%rax)\n"
"	xor %ecx, %ecx\n"
"1:	mov (%rsp,%rcx,8), %rdx\n mov %rdx, (%rax,%rcx,8)\n inc %ecx\n"
"	cmp $7, %ecx\n jb 1b\n"
"	mov %cr2, %rdx\n mov %rdx, 56(%rax)\n"
"	mov (%rax), %eax\n add $0x40, %eax\n mov $0xf4, %dx\n out %eax, %dx\n"
"2:	jmp 2b\n"

/* scenario table: {kernel entry - stable, user snippet - ucode} */
".p2align 3\n"
"stable:\n"
SCENARIOS(ASM_ROW)

/* ---- user snippets (CPL3, at 0x400000 + offset) ---- */
".p2align 12\n"
"ucode:\n"
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
/* user data; the host puts a host pointer at 0x401008 before the run */
".p2align 12\n"
"g_bad_udata:\n"
"udata: .quad 0x1122334455667788\n .quad 0\n .fill 4080, 1, 0\n"
".p2align 12\n"
"ustack: .fill 4096, 1, 0\n"
/* the self-modifying user snippet, at 0x406000 */
".p2align 12\n"
"urwx:\n"
"u_smc:	xor %ebx, %ebx\n call u_smc_f\n"
"	movl $0x22, u_smc_imm(%rip)\n call u_smc_f\n mov %ebx, %eax\n"
"	int $0x80\n"
"u_smc_f: .byte 0xb8\n u_smc_imm: .long 0x11\n add %eax, %ebx\n ret\n"
".p2align 12\n"
"udata2: .quad 0x1122334455667788, 0x8877665544332211\n"
"	.quad 0x0123456789abcdef, 0xfedcba9876543210\n"
"	.fill 4064, 1, 0xcc\n"
".p2align 12\n"
"pml4: .fill 4096, 1, 0\n"
"pdpt: .fill 4096, 1, 0\n"
"pd: .fill 4096, 1, 0\n"
"pt: .fill 4096, 1, 0\n"
"idt: .fill 4096, 1, 0\n"
"gdt: .fill 64, 1, 0\n"
"tss: .fill 128, 1, 0\n"
".p2align 12\n"
".fill 8192, 1, 0\n"
"kstack_top:\n"
".fill 4096, 1, 0\n"
"iststack_top:\n"
"g_bad_end:\n"
".popsection\n");

/* ---- the host side ------------------------------------------------------ */

#define PHYS_OF(sym) (VMB_PHYS_KERNEL + (uint64_t)((sym) - g_bad_begin))
#define RES_WORDS 25
#define RFLAGS_DEFINED 0x3f7fd7ull	/* bit 1 and every defined flag */

struct scenario {
	const char *name;
	uint32_t status;	/* TRIPLE, ANYS or the exit status */
	uint64_t error, cr2;	/* ANY: not checked */
	unsigned id;
	unsigned known;
};

enum {
#define ENUM_ROW(entry, l, st, err, cr2, known) SC_##entry##_##l,
	SCENARIOS(ENUM_ROW)
	NSCENARIOS
};

static struct scenario scenarios[NSCENARIOS] = {
#define TABLE_ROW(entry, l, st, err, cr2, known)                              \
	{#entry "_" #l, st, err, cr2, SC_##entry##_##l, known},
	SCENARIOS(TABLE_ROW)
};

/* What one run ended with. */
struct outcome {
	enum run_exit_reason reason;
	uint32_t status;
	uint64_t rip;
	uint64_t res[RES_WORDS];
	struct x86_state regs;
	char message[512];
};

static volatile uint64_t host_canary[64];

/* Run scenario (id) on (engine, options); false when the engine is not
 * usable here (*why says why). */
static bool scenario_run(const char *engine, const char *options, unsigned id,
			 struct outcome *o, char *why, size_t whylen)
{
	const struct engine_ops *ops = engine_find(engine);
	uint64_t hostptr = (uint64_t)(uintptr_t)&host_canary[32];
	struct vm_config cfg;
	struct run_exit x;
	struct engine *e;
	char path[64], err[512];
	void *p;

	if (!ops || engine_probe(ops, why, whylen) < 0)
		return false;
	assert_int_equal(test_elf_flat_kernel_file(g_bad_begin,
						   (size_t)(g_bad_end -
							    g_bad_begin),
						   path, sizeof(path)), 0);
	memset(&cfg, 0, sizeof(cfg));
	cfg.machine.ram_bytes = MACHINE_RAM_MIN;
	cfg.machine.kernel_path = path;
	cfg.options = options;
	cfg.time_limit_s = 10;
	if (engine_create(ops, &cfg, &e, err, sizeof(err)) < 0)
		fail_msg("%s: engine_create: %s", engine, err);
	unlink(path);
	uint64_t sc = id;
	p = guest_mem_ptr(&e->m->mem, PHYS_OF(g_bad_scenario), 8);
	assert_non_null(p);
	memcpy(p, &sc, 8);
	p = guest_mem_ptr(&e->m->mem, PHYS_OF(g_bad_udata) + 8, 8);
	assert_non_null(p);
	memcpy(p, &hostptr, 8);
	for (unsigned i = 0; i < 64; i++)
		host_canary[i] = 0x5eedull * i;
	assert_int_equal(engine_run(e, &x), 0);
	for (unsigned i = 0; i < 64; i++)
		assert_true(host_canary[i] == 0x5eedull * i);
	memset(o, 0, sizeof(*o));
	o->reason = x.reason;
	o->status = x.status;
	o->rip = x.rip;
	o->regs = x.regs;
	snprintf(o->message, sizeof(o->message), "%s", x.message);
	p = guest_mem_ptr(&e->m->mem, PHYS_OF(g_bad_res), sizeof(o->res));
	assert_non_null(p);
	memcpy(o->res, p, sizeof(o->res));
	engine_destroy(e);
	return true;
}

static const char *const res_name[RES_WORDS] = {
	"vector", "error", "rip", "cs", "rflags", "rsp", "ss", "cr2",
	"rax", "rcx", "rdx", "rbx", "rsp(unused)", "rbp", "rsi", "rdi",
	"r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15", "value",
};

/* interp's outcome must be the architectural one the table names. */
static void outcome_check_expected(const struct scenario *s,
				   const struct outcome *o)
{
	if (s->status == TRIPLE) {
		assert_int_equal(o->reason, RUN_EXIT_TRIPLE_FAULT);
		return;
	}
	if (o->reason != RUN_EXIT_GUEST)
		fail_msg("%s: interp stopped with %s at RIP %#llx: %s", s->name,
			 run_exit_reason_name(o->reason),
			 (unsigned long long)o->rip, o->message);
	if (s->status != ANYS && o->status != s->status)
		fail_msg("%s: interp exit status %#x, want %#x (RIP %#llx)",
			 s->name, o->status, s->status,
			 (unsigned long long)o->res[2]);
	if (s->error != ANY)
		assert_int_equal(o->res[1], s->error);
	if (s->cr2 != ANY)
		assert_int_equal(o->res[7], s->cr2);
}

/* bt must end exactly as interp did. */
static void outcome_compare(const struct scenario *s, const char *opts,
			    const struct outcome *ref, const struct outcome *o)
{
	if (o->reason != ref->reason || o->status != ref->status)
		fail_msg("%s: bt %s ended with %s status %#x (RIP %#llx: %s), "
			 "interp with %s status %#x", s->name, opts,
			 run_exit_reason_name(o->reason), o->status,
			 (unsigned long long)o->rip, o->message,
			 run_exit_reason_name(ref->reason), ref->status);
	if (o->reason == RUN_EXIT_TRIPLE_FAULT)
		return;	/* the state after a shutdown is best effort */
	for (unsigned i = 0; i < RES_WORDS; i++)
		if (o->res[i] != ref->res[i])
			fail_msg("%s: bt %s recorded %s %#llx, interp %#llx",
				 s->name, opts, res_name[i],
				 (unsigned long long)o->res[i],
				 (unsigned long long)ref->res[i]);
	if (o->rip != ref->rip)
		fail_msg("%s: bt %s exit RIP %#llx, interp %#llx", s->name,
			 opts, (unsigned long long)o->rip,
			 (unsigned long long)ref->rip);
	for (unsigned g = 0; g < X86_NGPR; g++)
		if (o->regs.gpr[g] != ref->regs.gpr[g])
			fail_msg("%s: bt %s exit GPR %u %#llx, interp %#llx",
				 s->name, opts, g,
				 (unsigned long long)o->regs.gpr[g],
				 (unsigned long long)ref->regs.gpr[g]);
	assert_int_equal(o->regs.cr2, ref->regs.cr2);
	assert_int_equal(o->regs.rflags & RFLAGS_DEFINED,
			 ref->regs.rflags & RFLAGS_DEFINED);
}

/* VMB_BADGUEST_DUMP=1: one line per engine, for a look at every case. */
static void outcome_dump(const char *name, const char *who,
			 const struct outcome *o)
{
	printf("%-16s %-13s %-14s st %#5x vec %#4llx err %#5llx rip %#llx "
	       "cr2 %#llx %s\n", name, who, run_exit_reason_name(o->reason),
	       o->status, (unsigned long long)o->res[0],
	       (unsigned long long)o->res[1], (unsigned long long)o->res[2],
	       (unsigned long long)o->res[7],
	       o->reason == RUN_EXIT_GUEST ? "" : o->message);
}

/* An LO scenario on bt with layout=trust: contained, ended by the guest,
 * whatever it saw. */
static void outcome_check_contained(const struct scenario *s,
				    const char *opts, const struct outcome *ref,
				    const struct outcome *o)
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
	struct outcome ref, o;
	char why[256] = "";

	if (!scenario_run("interp", NULL, s->id, &ref, why, sizeof(why)))
		fail_msg("interp unusable: %s", why);
	if (getenv("VMB_BADGUEST_DUMP")) {
		outcome_dump(s->name, "interp", &ref);
		for (unsigned k = 0; k < 2; k++)
			if (scenario_run("bt", policies[k], s->id, &o, why,
					 sizeof(why)))
				outcome_dump(s->name, policies[k], &o);
	}
	if (s->known & KI)
		print_message("[   KNOWN  ] %s: interp gives status %#x, the "
			      "architecture %#x\n", s->name, ref.status,
			      s->status);
	else
		outcome_check_expected(s, &ref);
	/* the code each self-modifying snippet runs twice: 0x11, then 0x22 */
	if (s->id == SC_K_k_smc)
		assert_int_equal(ref.res[24], 0x33);
	if (s->id == SC_UR_u_smc)
		assert_int_equal(ref.res[8], 0x33);
	for (unsigned k = 0; k < 2; k++) {
		if (!scenario_run("bt", policies[k], s->id, &o, why,
				  sizeof(why))) {
			print_message("[  SKIPPED ] bt unusable: %s\n", why);
			skip();
		}
		outcome_compare(s, policies[k], &ref, &o);
	}
	if (s->known & LO) {
		const char *trust = "shadow=vtlb,layout=trust";

		if (!scenario_run("bt", trust, s->id, &o, why, sizeof(why)))
			fail_msg("bt %s unusable: %s", trust, why);
		outcome_check_contained(s, trust, &ref, &o);
	}
}

int main(void)
{
	struct CMUnitTest tests[NSCENARIOS];

	for (unsigned i = 0; i < NSCENARIOS; i++) {
		memset(&tests[i], 0, sizeof(tests[i]));
		tests[i].name = scenarios[i].name;
		tests[i].test_func = scenario_test;
		tests[i].initial_state = &scenarios[i];
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
