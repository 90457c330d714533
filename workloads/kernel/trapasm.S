/*
 * trapasm.S - interrupt vectors, the common trap path, the syscall
 * instruction's entry, and the return paths to ring 3.
 *
 * Invariant: interrupts are off whenever the kernel runs (interrupt gates
 * clear IF, SFMASK clears it on syscall); the kernel enables them only in
 * a bench that measures interrupts (micro/timer.c). Ring 3 always runs
 * with IF=1, so the timer preempts it.
 */
#include "asm_offsets.h"


	.text
	.globl trap_vectors
	.p2align 4
trap_vectors:			/* 256 stubs, each 16 bytes, vector v at +16v */
	.set v, 0
	.rept 256
	.p2align 4
	/* The CPU pushes an error code for these vectors only. */
	.if v == 8 || (v >= 10 && v <= 14) || v == 17 || v == 21 || v == 29 || v == 30
	.else
	pushq	$0
	.endif
	pushq	$v
	jmp	alltraps
	.set v, v + 1
	.endr

#define PUSH_GPRS \
	pushq %rax; pushq %rbx; pushq %rcx; pushq %rdx; pushq %rsi; \
	pushq %rdi; pushq %rbp; pushq %r8; pushq %r9; pushq %r10; \
	pushq %r11; pushq %r12; pushq %r13; pushq %r14; pushq %r15
#define POP_GPRS \
	popq %r15; popq %r14; popq %r13; popq %r12; popq %r11; \
	popq %r10; popq %r9; popq %r8; popq %rbp; popq %rdi; \
	popq %rsi; popq %rdx; popq %rcx; popq %rbx; popq %rax

alltraps:
	cld
	PUSH_GPRS
	movq	%rsp, %rdi
	call	trap
	.globl trapret
trapret:
	POP_GPRS
	addq	$16, %rsp		/* vector, error */
	iretq

/*
 * syscall: RCX = user RIP, R11 = user RFLAGS, RSP still the user's.
 * One CPU and IF=0, so a global scratch slot for the user RSP is safe.
 */
	.globl syscall_entry
syscall_entry:
	movq	%rsp, syscall_user_rsp(%rip)
	movq	cpu_kstack_top(%rip), %rsp
	pushq	$SEL_UDATA_ASM
	pushq	syscall_user_rsp(%rip)
	pushq	%r11
	pushq	$SEL_UCODE_ASM
	pushq	%rcx
	pushq	$0
	pushq	$0x100			/* T_SYSCALL_INSN */
	cld
	PUSH_GPRS
	movq	%rsp, %rdi
	call	trap
	POP_GPRS
	addq	$16, %rsp
	popq	%rcx			/* RIP */
	addq	$8, %rsp		/* CS */
	popq	%r11			/* RFLAGS */
	popq	%rsp			/* user RSP; SS comes from STAR */
	sysretq

/*
 * swtch(uint64_t *save_rsp, uint64_t new_rsp): save the callee-saved
 * registers on this stack, store RSP in *save_rsp, continue on new_rsp.
 */
	.globl swtch
swtch:
	pushq	%rbp
	pushq	%rbx
	pushq	%r12
	pushq	%r13
	pushq	%r14
	pushq	%r15
	movq	%rsp, (%rdi)
	movq	%rsi, %rsp
	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%rbx
	popq	%rbp
	ret

	.bss
	.p2align 3
syscall_user_rsp:
	.quad	0
