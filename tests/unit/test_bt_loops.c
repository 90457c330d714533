/*
 * test_bt_loops.c - layout checks hoisted out of counted self-loops
 * (bt_loop.h) stay exact: the tiny kernel of test_bt_badguest.c (own GDT,
 * TSS, IDT recording every exception's frame, CR2 and GPRs; user pages
 * of every kind) runs one loop scenario at CPL0 or CPL3 -- loops whose
 * induction runs off the layout after some iterations (below the kernel
 * half, onto an address whose low 32 bits alias a mapped page), whose
 * trip count is 0, huge or not a multiple of the step, whose bound
 * changes in the body, with a non-canonical base, and loops that fault
 * in the middle of a hoisted body or finish with a checksum -- on interp
 * and on bt under both shadow policies: the run's end and the recorded
 * state must be identical, interp's the architectural answer, and a host
 * canary intact. Scenarios marked H must have been hoisted (bt's
 * bt_loops_hoisted counter), F must have failed their pre-header check
 * (bt_loop_checks_failed) and so ran the checked body.
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
 * OK: bt must give interp's result; H: and the loop was hoisted (at
 * least one pre-header made); F: and a pre-header check failed (the loop
 * ran with every check); N: and no loop was hoisted. Every scenario must be the architectural answer
 * in interp (status, error code, CR2; ANY: not checked).
 */
enum { OK = 0, H = 1, F = 2, N = 4 };	/* may be combined */

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
	X(K, k_down_base, E(14), 0, 0xffffffff7ffffff8, F)                    \
	X(K, k_down_idx, E(14), 0, 0xffffffff7ffffff8, F)                     \
	X(K, k_huge_n, E(14), 0, 0xffffffff7ffffff8, F)                       \
	X(K, k_zero_n, E(14), 0, 0xffffffff7ffffff8, F)                       \
	X(K, k_not_multiple, E(14), 0, 0xffffffff7ffffffc, F)                 \
	X(K, k_bound_moves, E(14), 0, 0xffffffff7ffffff8, N)                  \
	X(K, k_top, ANYS, ANY, ANY, H)                                        \
	X(K, k_mid_fault, E(14), 9, 0x404000, H)                              \
	X(K, k_sum, 1, ANY, ANY, H)                                           \
	X(K, k_sum_lea_imm, 1, ANY, ANY, H)                                   \
	X(K, k_store_after, 1, ANY, ANY, H)                                   \
	X(U, u_above2g, E(14), 4, 0x80000000, H)                               \
	X(U, u_noncanon, E(13), 0, ANY, F)                                    \
	X(U, u_far_base, 0xc0, 0, ANY, H)                                     \
	X(U, u_mid_fault, E(14), 5, 0x403000, H)                              \
	X(U, u_zero_n, E(14), 5, 0x403000, H)                                 \
	X(U, u_dec_zero, 0xc0, 0, ANY, H)                                     \
	X(U, u_up_2g, E(14), 4, 0x80000000, H)                                \
	X(U, u_down_0, E(14), 4, 0x10, H)                                     \
	X(U, u_bounded, 0xc0, 0, ANY, H)                                      \
	X(U, u_bounded_2g, E(14), 4, 0x80000008, F)                           \
	X(U, u_affine, 0xc0, 0, ANY, H)                                       \
	X(U, u_affine_2g, E(14), 4, 0x80000000, H)                            \
	X(U, u_straddle, E(14), 4, 0x80000000, H)                             \
	X(U, u_near, E(14), 4, 0x8ffffff0, OK)
#define ANYS 0xfffffffeu	/* any status: only bt == interp is checked */

#define K_ROW(l) "	.long " #l " - stable, 0\n"
#define U_ROW(l) "	.long go_user - stable, " #l " - ucode\n"
#define UR_ROW(l) "	.long go_user - stable, " #l " - urwx + 0x6000\n"
#define UN_ROW(l) "	.long go_user_noam - stable, " #l " - ucode\n"
#define ASM_ROW(entry, l, st, err, cr2, known) entry##_ROW(l)

extern const uint8_t g_loop_begin[], g_loop_end[], g_loop_scenario[],
	g_loop_res[], g_loop_udata[];

__asm__(
".pushsection .rodata\n"
".p2align 12\n"
"g_loop_begin:\n"
"	jmp kmain\n"
".p2align 3\n"
"g_loop_scenario: .quad 0\n"
"g_loop_res: .fill 32, 8, 0\n"

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
"	lea 1f(%rip), %r11\n jmp *%r11\n"
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
/* 0x7ffff000 (the last user page below 2 GiB): udata again, user RW */
"	lea pdpt(%rip), %rdi\n lea pd2(%rip), %rax\n sub %r15, %rax\n"
"	or $7, %rax\n mov %rax, 8(%rdi)\n"
"	lea pd2(%rip), %rdi\n lea pt2(%rip), %rax\n sub %r15, %rax\n"
"	or $7, %rax\n mov %rax, 4088(%rdi)\n"
"	lea pt2(%rip), %rdi\n movabs $0x8000000000000007, %rdx\n"
"	lea udata(%rip), %rax\n sub %r15, %rax\n or %rdx, %rax\n"
"	mov %rax, 4088(%rdi)\n"
"	lea pml4(%rip), %rax\n sub %r15, %rax\n mov %rax, %cr3\n"
"	mov %cr0, %rax\n or $0x40000, %eax\n mov %rax, %cr0\n"
/* dispatch: stable[scenario] = {kernel entry - stable, user offset} */
"	mov g_loop_scenario(%rip), %rcx\n"
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
"	mov %rax, g_loop_res+192(%rip)\n"
"	mov $1, %eax\n mov $0xf4, %dx\n out %eax, %dx\n"
"9:	jmp 9b\n"

/* ---- kernel scenarios ---- */
/* moving base down from K + 0x40 by 8, bound far below: leaves the
 * kernel half after 9 iterations (K - 8 is not mapped; its low 32 bits
 * are a user address) */
"k_down_base: movabs $0xffffffff80000000 + 0x40, %rsi\n movabs $0xffffffff80000000 - 0x1000, %rdx\n"
"	xor %ebx, %ebx\n"
"	lea 1f(%rip), %r11\n jmp *%r11\n"
"1:	add (%rsi), %rbx\n sub $8, %rsi\n cmp %rsi, %rdx\n jne 1b\n"
"	mov %rbx, %rax\n jmp kexit\n"
/* invariant base K, index 8 down to -8: out after 9 iterations */
"k_down_idx: movabs $0xffffffff80000000, %rsi\n mov $8, %eax\n mov $-8, %r8\n"
"	xor %ebx, %ebx\n"
"	lea 1f(%rip), %r11\n jmp *%r11\n"
"1:	add (%rsi,%rax,8), %rbx\n dec %rax\n cmp %r8, %rax\n jne 1b\n"
"	mov %rbx, %rax\n jmp kexit\n"
/* step -1 from 0 to bound 1: 2^64 - 1 iterations; the first and last
 * addresses (K and K + 16) are inside, the second is not */
"k_huge_n: movabs $0xffffffff80000000, %rsi\n xor %eax, %eax\n mov $1, %r8d\n"
"	lea 1f(%rip), %r11\n jmp *%r11\n"
"1:	mov (%rsi,%rax,8), %rdx\n sub $1, %rax\n cmp %rax, %r8\n jne 1b\n"
"	jmp kexit\n"
/* bound == idx at entry: 2^64 iterations, down from K + 24 */
"k_zero_n: movabs $0xffffffff80000000 + 24, %rsi\n mov %rsi, %rdx\n"
"	lea 1f(%rip), %r11\n jmp *%r11\n"
"1:	mov (%rsi), %rcx\n lea -8(%rsi), %rsi\n cmp %rsi, %rdx\n jne 1b\n"
"	jmp kexit\n"
/* the distance to the bound is no multiple of the step: never equal */
"k_not_multiple: movabs $0xffffffff80000000 + 0x44, %rsi\n movabs $0xffffffff80000000, %rdx\n"
"	lea 1f(%rip), %r11\n jmp *%r11\n"
"1:	mov (%rsi), %ecx\n sub $8, %rsi\n cmp %rdx, %rsi\n jne 1b\n"
"	jmp kexit\n"
/* the bound moves with the index: never ends, runs below K */
"k_bound_moves: movabs $0xffffffff80000000, %rsi\n mov $4, %eax\n xor %r8d, %r8d\n"
"	lea 1f(%rip), %r11\n jmp *%r11\n"
"1:	mov (%rsi,%rax,8), %rdx\n sub $1, %r8\n sub $1, %rax\n"
"	cmp %rax, %r8\n jne 1b\n"
"	jmp kexit\n"
/* up over the top of the address space into the user half */
"k_top:	mov $-32, %rsi\n mov $64, %edx\n xor %ebx, %ebx\n"
"	lea 1f(%rip), %r11\n jmp *%r11\n"
"1:	add (%rsi), %rbx\n add $8, %rsi\n cmp %rsi, %rdx\n jne 1b\n"
"	mov %rbx, %rax\n jmp kexit\n"
/* all inside: hoisted; the user page with a reserved bit faults */
"k_mid_fault: mov $0x401000, %esi\n xor %eax, %eax\n mov $0x1000, %r8d\n"
"	mov $0x77, %ebx\n"
"	lea 1f(%rip), %r11\n jmp *%r11\n"
"1:	add (%rsi,%rax,8), %rbx\n add $1, %rax\n cmp %rax, %r8\n jne 1b\n"
"	jmp kexit\n"
/* a finished loop: its sum */
"k_sum:	lea udata2(%rip), %rsi\n xor %eax, %eax\n mov $4, %r8d\n"
"	xor %ebx, %ebx\n"
"	lea 1f(%rip), %r11\n jmp *%r11\n"
"1:	add (%rsi,%rax,8), %rbx\n imul $3, %rbx\n inc %rax\n"
"	cmp %rax, %r8\n jne 1b\n"
"	mov %rbx, %rax\n jmp kexit\n"
/* lea update, immediate bound, two accesses after the update */
"k_sum_lea_imm: lea udata2(%rip), %rsi\n mov $-1, %rax\n xor %ebx, %ebx\n"
"	lea 1f(%rip), %r11\n jmp *%r11\n"
"1:	lea 1(%rax), %rax\n add (%rsi,%rax,8), %rbx\n"
"	xor 8(%rsi,%rax,4), %rbx\n cmp $2, %rax\n jne 1b\n"
"	mov %rbx, %rax\n jmp kexit\n"
/* a store before and a load after the update, moving base */
"k_store_after: lea kbuf(%rip), %rdi\n lea 64(%rdi), %rdx\n mov $5, %ecx\n"
"	lea 1f(%rip), %r11\n jmp *%r11\n"
"1:	mov %rcx, (%rdi)\n add $8, %rdi\n add -8(%rdi), %rcx\n"
"	cmp %rdx, %rdi\n jne 1b\n"
"	lea kbuf(%rip), %rdi\n mov 56(%rdi), %rax\n add %rcx, %rax\n"
"	jmp kexit\n"
"kbuf: .fill 64, 1, 0\n"

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
"	mov %rax, g_loop_res+64(%rip)\n lea g_loop_res(%rip), %rax\n"
"	mov %rcx, 72(%rax)\n mov %rdx, 80(%rax)\n mov %rbx, 88(%rax)\n"
"	mov %rbp, 104(%rax)\n mov %rsi, 112(%rax)\n mov %rdi, 120(%rax)\n"
"	mov %r8, 128(%rax)\n mov %r9, 136(%rax)\n mov %r10, 144(%rax)\n"
"	mov %r11, 152(%rax)\n mov %r12, 160(%rax)\n mov %r13, 168(%rax)\n"
"	mov %r14, 176(%rax)\n mov %r15, 184(%rax)\n"
"	xor %ecx, %ecx\n"
"	lea 1f(%rip), %r11\n jmp *%r11\n"
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
/* counted, up from 0x7fffff00 (mapped) past 2 GiB: #PF at 0x80000000 */
"u_above2g: mov $0x7fffff00, %esi\n xor %eax, %eax\n mov $0x40, %r8d\n"
"	lea 1f(%rip), %r11\n jmp *%r11\n"
"1:	mov (%rsi,%rax,8), %rdx\n add $1, %rax\n cmp %rax, %r8\n jne 1b\n"
"	int $0x80\n"
"u_noncanon: movabs $0x0000800000000000, %rsi\n xor %eax, %eax\n"
"	mov $4, %r8d\n"
"	lea 1f(%rip), %r11\n jmp *%r11\n"
"1:	mov (%rsi,%rax,8), %rdx\n add $1, %rax\n cmp %rax, %r8\n jne 1b\n"
"	int $0x80\n"
/* base 4 GiB, a negative index that brings it back onto udata */
"u_far_base: movabs $0x100000000, %rsi\n"
"	mov $(0x401000 - 0x100000000) / 8, %rax\n"
"	lea 4(%rax), %r8\n xor %ebx, %ebx\n"
"	lea 1f(%rip), %r11\n jmp *%r11\n"
"1:	add (%rsi,%rax,8), %rbx\n add $1, %rax\n cmp %rax, %r8\n jne 1b\n"
"	mov %rbx, %rax\n int $0x80\n"
/* hoisted, faults at the supervisor page 0x403000 (after udata, ustack) */
"u_mid_fault: mov $0x401000, %esi\n xor %eax, %eax\n mov $0x800, %r8d\n"
"	mov $0x55, %ebx\n"
"	lea 1f(%rip), %r11\n jmp *%r11\n"
"1:	xor (%rsi,%rax,8), %rbx\n add $1, %rax\n cmp %r8, %rax\n jne 1b\n"
"	int $0x80\n"
/* trip count 0: runs until the supervisor page faults */
"u_zero_n: mov $0x401000, %esi\n mov $7, %eax\n mov $7, %r8d\n"
"	lea 1f(%rip), %r11\n jmp *%r11\n"
"1:	mov (%rsi,%rax,8), %rdx\n add $1, %rax\n cmp %rax, %r8\n jne 1b\n"
"	int $0x80\n"
/* a data-dependent loop (a guard plan at CPL3) up from the last page
 * below 2 GiB: the first access past it is 0x80000000, whose window
 * offset is the kernel half's */
"u_up_2g: mov $0x7ffff000, %esi\n"
"	lea 1f(%rip), %r11\n jmp *%r11\n"
"1:	mov (%rsi), %rdx\n add $8, %rsi\n cmp $-1, %rdx\n jne 1b\n"
"	int $0x80\n"
/* and down from udata through 0 into the kernel half (the low pages
 * are not mapped: #PF at the first one, whatever bt hoisted) */
"u_down_0: mov $0x10, %esi\n"
"	lea 1f(%rip), %r11\n jmp *%r11\n"
"1:	mov (%rsi), %rdx\n sub $8, %rsi\n cmp $-1, %rdx\n jne 1b\n"
"	int $0x80\n"
/* a bounded index (a byte just loaded) off an invariant base: the
 * range [base, base + 255] is checked once; near 2 GiB it is not in the
 * layout (the checked body runs: the byte 0x88 of udata reaches
 * 0x80000008) */
"u_bounded: mov $0x401000, %edi\n"
"u_bounded_go: mov $0x401000, %esi\n lea 16(%rsi), %r8\n xor %ebx, %ebx\n"
"	lea 1f(%rip), %r11\n jmp *%r11\n"
"1:	movzbl (%rsi), %eax\n movzbl (%rdi,%rax,1), %edx\n add %rdx, %rbx\n"
"	add $1, %rsi\n cmp %rsi, %r8\n jne 1b\n"
"	mov %rbx, %rax\n int $0x80\n"
"u_bounded_2g: mov $0x7fffff80, %edi\n jmp u_bounded_go\n"
/* the address through a register the loop computes with LEA from an
 * invariant base and the induction register */
"u_affine: mov $0x401000, %edi\n"
"u_affine_go: xor %r9d, %r9d\n xor %ebx, %ebx\n"
"	lea 1f(%rip), %r11\n jmp *%r11\n"
"1:	lea (%rdi,%r9,1), %rsi\n movzbl (%rsi), %edx\n add %rdx, %rbx\n"
"	add $1, %r9\n cmp $16, %r9\n jne 1b\n"
"	mov %rbx, %rax\n int $0x80\n"
"u_affine_2g: mov $0x7ffffff8, %edi\n jmp u_affine_go\n"
/* the first access starts inside (the only byte the pre-header checks)
 * and ends past 2 GiB */
"u_straddle: mov $0x7ffffffc, %esi\n"
"	lea 1f(%rip), %r11\n jmp *%r11\n"
"1:	mov (%rsi), %rdx\n add $8, %rsi\n cmp $-1, %rdx\n jne 1b\n"
"	int $0x80\n"
/* no loop: an access 256 MiB past one just made through the same
 * register needs no check at CPL3 (it is in the user half or faults
 * into the monitor): here past 2 GiB */
"u_near: mov $0x7ffffff0, %esi\n mov (%rsi), %rax\n"
"	mov 0x10000000(%rsi), %rbx\n int $0x80\n"
/* counting down to zero, flags from the update */
"u_dec_zero: mov $0x401000, %esi\n mov $3, %edx\n xor %ebx, %ebx\n"
"	lea 1f(%rip), %r11\n jmp *%r11\n"
"1:	add -8(%rsi,%rdx,8), %rbx\n sub $1, %rdx\n jne 1b\n"
"	mov %rbx, %rax\n int $0x80\n"
/* user data; the host puts a host pointer at 0x401008 before the run */
".p2align 12\n"
"g_loop_udata:\n"
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
"pd2: .fill 4096, 1, 0\n"
"pt2: .fill 4096, 1, 0\n"
"idt: .fill 4096, 1, 0\n"
"gdt: .fill 64, 1, 0\n"
"tss: .fill 128, 1, 0\n"
".p2align 12\n"
".fill 8192, 1, 0\n"
"kstack_top:\n"
".fill 4096, 1, 0\n"
"iststack_top:\n"
"g_loop_end:\n"
".popsection\n");

/* ---- the host side ------------------------------------------------------ */

#define PHYS_OF(sym) (VMB_PHYS_KERNEL + (uint64_t)((sym) - g_loop_begin))
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
	uint64_t hoisted, failed;	/* bt's loop counters */
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
	assert_int_equal(test_elf_flat_kernel_file(g_loop_begin,
						   (size_t)(g_loop_end -
							    g_loop_begin),
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
	p = guest_mem_ptr(&e->m->mem, PHYS_OF(g_loop_scenario), 8);
	assert_non_null(p);
	memcpy(p, &sc, 8);
	p = guest_mem_ptr(&e->m->mem, PHYS_OF(g_loop_udata) + 8, 8);
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
	p = guest_mem_ptr(&e->m->mem, PHYS_OF(g_loop_res), sizeof(o->res));
	assert_non_null(p);
	memcpy(o->res, p, sizeof(o->res));
	{
		struct engine_counters c;
		const struct engine_stat *st;

		engine_counters(e, &c);
		st = engine_stat_find(&c, "bt_loops_hoisted");
		o->hoisted = st ? st->value : 0;
		st = engine_stat_find(&c, "bt_loop_checks_failed");
		o->failed = st ? st->value : 0;
	}
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
	outcome_check_expected(s, &ref);
	for (unsigned k = 0; k < 2; k++) {
		if (!scenario_run("bt", policies[k], s->id, &o, why,
				  sizeof(why))) {
			print_message("[  SKIPPED ] bt unusable: %s\n", why);
			skip();
		}
		outcome_compare(s, policies[k], &ref, &o);
		if ((s->known & H) && o.hoisted == 0)
			fail_msg("%s: bt %s hoisted no loop", s->name,
				 policies[k]);
		if ((s->known & N) && o.hoisted != 0)
			fail_msg("%s: bt %s hoisted %llu loops", s->name,
				 policies[k], (unsigned long long)o.hoisted);
		if ((s->known & F) && o.failed == 0)
			fail_msg("%s: bt %s: no pre-header check failed",
				 s->name, policies[k]);
		if (!(s->known & F) && o.failed != 0)
			fail_msg("%s: bt %s: %llu pre-header checks failed",
				 s->name, policies[k],
				 (unsigned long long)o.failed);
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
