/*
 * bt_entry.S - switching between C and translated code (see bt_ctx.h).
 * Offsets are BT_CTX_* from bt_ctx.h. The guest owns every GPR and the
 * stack pointer while its code runs, so the jump into it goes through a
 * global slot (one vCPU runs per process at a time).
 */
	.text

/* void bt_enter(struct bt_ctx *ctx) */
	.globl bt_enter
	.type bt_enter, @function
bt_enter:
	push %rbp
	push %rbx
	push %r12
	push %r13
	push %r14
	push %r15
	mov %rsp, 136(%rdi)
	mov 160(%rdi), %rax
	mov %rax, bt_entry_slot(%rip)
	movq 168(%rdi), %xmm14		/* the instruction count */
	/* guest flags: only CF PF AF ZF SF DF OF are ever set here */
	pushq 128(%rdi)
	popfq
	mov 0(%rdi), %rax
	mov 8(%rdi), %rcx
	mov 16(%rdi), %rdx
	mov 24(%rdi), %rbx
	mov 32(%rdi), %rsp
	mov 40(%rdi), %rbp
	mov 48(%rdi), %rsi
	mov 64(%rdi), %r8
	mov 72(%rdi), %r9
	mov 80(%rdi), %r10
	mov 88(%rdi), %r11
	mov 96(%rdi), %r12
	mov 104(%rdi), %r13
	mov 112(%rdi), %r14
	mov 120(%rdi), %r15
	mov 56(%rdi), %rdi
	jmp *bt_entry_slot(%rip)
	.size bt_enter, .-bt_enter

/* Exit stubs jump here with RAX = ctx, guest RAX and exit_rec stored. */
	.globl bt_exit_common
	.type bt_exit_common, @function
bt_exit_common:
	mov %rcx, 8(%rax)
	mov %rdx, 16(%rax)
	mov %rbx, 24(%rax)
	mov %rsp, 32(%rax)
	movq %xmm14, 168(%rax)
	mov %rbp, 40(%rax)
	mov %rsi, 48(%rax)
	mov %rdi, 56(%rax)
	mov %r8, 64(%rax)
	mov %r9, 72(%rax)
	mov %r10, 80(%rax)
	mov %r11, 88(%rax)
	mov %r12, 96(%rax)
	mov %r13, 104(%rax)
	mov %r14, 112(%rax)
	mov %r15, 120(%rax)
	mov 136(%rax), %rsp
	pushfq
	popq 128(%rax)
	cld
	jmp 1f
	.size bt_exit_common, .-bt_exit_common

/* The fault handler resumes here with RDI = ctx (guest state saved). */
	.globl bt_exit_resume_host
	.type bt_exit_resume_host, @function
bt_exit_resume_host:
	mov 136(%rdi), %rsp
	movq %xmm14, 168(%rdi)	/* as interrupted: sigreturn restored it */
	cld
1:	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %rbx
	pop %rbp
	ret
	.size bt_exit_resume_host, .-bt_exit_resume_host

/*
 * Indirect-branch lookup (one copy per privilege level). Entered from an
 * indirect exit with RAX = guest target and guest RAX in ctx->gpr[0].
 * The table (struct bt_ibl_entry[BT_IBL_ENTRIES], see bt_ibl.h) is
 * direct-mapped on the target's low bits. Guest flags are parked with
 * LAHF/SETO and put back with ADD $0x7f,%al (OF) + SAHF, and RCX in a
 * slot, so a hit jumps to the block with every guest register intact;
 * a miss leaves through bt_exit_common with ctx->target set and exit_rec
 * = the level's miss record. Empty entries point at the miss tail.
 */
	.macro IBL lvl
	.text
	.globl bt_ibl_lookup\lvl
	.type bt_ibl_lookup\lvl, @function
bt_ibl_lookup\lvl:
	mov %rcx, bt_ibl_rcx(%rip)
	mov %rax, bt_ibl_target(%rip)
	lahf
	seto %al
	mov %ax, bt_ibl_flags(%rip)
	mov bt_ibl_target(%rip), %rax
	mov %eax, %ecx
	and $0xfff, %ecx
	shl $4, %ecx
	add bt_ibl_table\lvl(%rip), %rcx
	cmp (%rcx), %rax
	jne 1f
	incq bt_ibl_hits(%rip)
	mov 8(%rcx), %rcx
	mov %rcx, bt_ibl_jump(%rip)
	mov bt_ibl_flags(%rip), %ax
	add $0x7f, %al
	sahf
	mov bt_ibl_rcx(%rip), %rcx
	mov bt_ibl_ctx(%rip), %rax
	mov (%rax), %rax
	jmp *bt_ibl_jump(%rip)
1:	mov bt_ibl_flags(%rip), %ax
	add $0x7f, %al
	sahf
	jmp 2f
	/* an empty entry "hits" here with the guest state restored */
	.globl bt_ibl_empty\lvl
bt_ibl_empty\lvl:
	mov %rcx, bt_ibl_rcx(%rip)
2:	mov bt_ibl_ctx(%rip), %rax
	mov bt_ibl_target(%rip), %rcx
	mov %rcx, 152(%rax)
	lea bt_ibl_miss\lvl(%rip), %rcx
	mov %rcx, 144(%rax)
	mov bt_ibl_rcx(%rip), %rcx
	jmp bt_exit_common
	.size bt_ibl_lookup\lvl, .-bt_ibl_lookup\lvl

	.data
	.balign 8
	.globl bt_ibl_table\lvl
bt_ibl_table\lvl:
	.quad 0
	.globl bt_ibl_miss\lvl
bt_ibl_miss\lvl:		/* struct bt_exit_rec, filled by C */
	.skip 128
	.endm

	IBL 0
	IBL 3


	.data
	.balign 8
bt_entry_slot:
	.quad 0
	.globl bt_ibl_ctx
bt_ibl_ctx:
	.quad 0
bt_ibl_rcx:
	.quad 0
	.globl bt_ibl_target
bt_ibl_target:
	.quad 0
bt_ibl_jump:
	.quad 0
bt_ibl_flags:
	.quad 0
	.globl bt_ibl_hits
bt_ibl_hits:
	.quad 0

	.section .note.GNU-stack,"",@progbits
