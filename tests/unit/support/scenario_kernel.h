/*
 * scenario_kernel.h - the bring-up code the bt scenario kernels share
 * (test_bt_badguest.c, test_bt_loops.c, test_bt_kpath.c), as string
 * pieces to splice into their top-level __asm__ (string literals
 * concatenate). Each piece names the symbols it expects the including
 * kernel to define; what differs between the kernels (extra IST stacks,
 * more gates, page tables of their own, the lines that stop bt from
 * seeing a loop) stays in each test, between the pieces.
 *
 * The kernels run at VMB_KERNEL_VBASE + 0x100000 with R15 =
 * 0xffffffff80000000 (so "sym - R15" is a physical address). Selectors:
 * 0x08/0x10 kernel code/data, 0x1b/0x23 user code/data, 0x28 TSS.
 */
#ifndef VMB_TEST_SCENARIO_KERNEL_H
#define VMB_TEST_SCENARIO_KERNEL_H

/* The vectors whose exceptions push an error code: 8, 10-14, 17, 21, 29,
 * 30. */
#define SK_ERRVEC_MASK "0x60227d00"

/* gate_set: IDT (rdi), vector ecx, handler rax, attr r8, IST r9 */
#define SK_GATE_SET                                                           \
	"gate_set:\n"                                                         \
	"	mov %rax, %rdx\n and $0xffff, %edx\n or $0x80000, %rdx\n"     \
	"	mov %r9, %r10\n shl $32, %r10\n or %r10, %rdx\n"              \
	"	mov %r8, %r10\n shl $40, %r10\n or %r10, %rdx\n"              \
	"	mov %rax, %r10\n shr $16, %r10\n and $0xffff, %r10d\n"        \
	"	shl $48, %r10\n or %r10, %rdx\n"                              \
	"	mov %ecx, %r10d\n shl $4, %r10d\n mov %rdx, (%rdi,%r10)\n"    \
	"	mov %rax, %rdx\n shr $32, %rdx\n mov %rdx, 8(%rdi,%r10)\n"    \
	"	ret\n"

/*
 * kmain's start: R15 and the kernel stack (kstack_top), the GDT (gdt: 64
 * bytes) with the TSS (tss: 128 bytes) descriptor, TSS.RSP0 = kstack_top.
 * Leaves RDI = gdt, RAX = tss for the kernel's IST lines (IST1 at
 * 36(%rax), IST2 at 44(%rax)), then SK_GDT_LOAD.
 */
#define SK_KMAIN_GDT                                                          \
	"kmain:\n"                                                            \
	"	movabs $0xffffffff80000000, %r15\n"                           \
	"	lea kstack_top(%rip), %rsp\n"                                 \
	"	lea gdt(%rip), %rdi\n"                                        \
	"	movq $0, (%rdi)\n"                                            \
	"	movabs $0x00af9a000000ffff, %rax\n mov %rax, 8(%rdi)\n"       \
	"	movabs $0x00cf92000000ffff, %rax\n mov %rax, 16(%rdi)\n"      \
	"	movabs $0x00affa000000ffff, %rax\n mov %rax, 24(%rdi)\n"      \
	"	movabs $0x00cff2000000ffff, %rax\n mov %rax, 32(%rdi)\n"      \
	"	lea tss(%rip), %rax\n"                                        \
	"	mov %rax, %rcx\n and $0xffffff, %ecx\n shl $16, %rcx\n"       \
	"	or $0x67, %rcx\n"                                             \
	"	movabs $0x0000890000000000, %rdx\n or %rdx, %rcx\n"           \
	"	mov %rax, %rdx\n shr $24, %rdx\n and $0xff, %edx\n"           \
	"	shl $56, %rdx\n"                                              \
	"	or %rdx, %rcx\n mov %rcx, 40(%rdi)\n"                         \
	"	mov %rax, %rdx\n shr $32, %rdx\n mov %rdx, 48(%rdi)\n"        \
	"	lea kstack_top(%rip), %rdx\n mov %rdx, 4(%rax)\n"

/* No I/O bitmap; load the GDT (RDI) and the TSS. */
#define SK_GDT_LOAD                                                           \
	"	movw $104, 102(%rax)\n"                                       \
	"	sub $16, %rsp\n movw $55, (%rsp)\n mov %rdi, 2(%rsp)\n"       \
	"	lgdt (%rsp)\n"                                                \
	"	add $16, %rsp\n"                                              \
	"	mov $0x28, %ax\n ltr %ax\n"

/*
 * The loop body that points vectors 0-31 of the IDT (RDI = idt) at the
 * 16-byte stubs of SK_EXC_STUBS as DPL0 interrupt gates, IST1 for vector
 * 8 and vector (ist_vec, a string). Comes after "xor %ecx, %ecx".
 */
#define SK_IDT_EXC_GATES(ist_vec)                                             \
	"1:	lea stubs(%rip), %rax\n mov %ecx, %edx\n shl $4, %edx\n"       \
	"	add %rdx, %rax\n"                                             \
	"	mov $0x8e, %r8d\n xor %r9d, %r9d\n"                           \
	"	cmp $8, %ecx\n jne 2f\n mov $1, %r9d\n"                       \
	"2:	cmp $" ist_vec ", %ecx\n jne 3f\n mov $1, %r9d\n"             \
	"3:	call gate_set\n inc %ecx\n cmp $32, %ecx\n jb 1b\n"

/* Load the IDT at RDI (256 gates). */
#define SK_IDT_LOAD                                                           \
	"	sub $16, %rsp\n movw $0xfff, (%rsp)\n mov %rdi, 2(%rsp)\n"    \
	"	lidt (%rsp)\n"                                                \
	"	add $16, %rsp\n"

/*
 * The user half of badguest's layout: pml4 (kernel half copied from the
 * boot tables) -> pdpt -> pd (entry 2) -> pt at 0x400000:
 *   0x400000 ucode user R X, 0x401000 udata user RW NX, 0x402000 ustack
 *   user RW NX, 0x403000 udata supervisor RW, 0x404000 udata user with
 *   reserved bit 51, 0x405000 not present, 0x406000 urwx user RWX,
 *   0x407000 udata2 user R X.
 * Does not load CR3 (SK_CR3_LOAD_AM does).
 */
#define SK_USER_PAGES_MAP                                                     \
	"	mov %cr3, %rax\n and $~0xfff, %rax\n add %r15, %rax\n"        \
	"	mov 4088(%rax), %rdx\n lea pml4(%rip), %rdi\n"                \
	"	mov %rdx, 4088(%rdi)\n"                                       \
	"	lea pdpt(%rip), %rax\n sub %r15, %rax\n or $7, %rax\n"        \
	"	mov %rax, (%rdi)\n"                                           \
	"	lea pdpt(%rip), %rdi\n lea pd(%rip), %rax\n sub %r15, %rax\n" \
	"	or $7, %rax\n"                                                \
	"	mov %rax, (%rdi)\n"                                           \
	"	lea pd(%rip), %rdi\n lea pt(%rip), %rax\n sub %r15, %rax\n"   \
	"	or $7, %rax\n"                                                \
	"	mov %rax, 16(%rdi)\n"                                         \
	"	lea pt(%rip), %rdi\n"                                         \
	"	lea ucode(%rip), %rax\n sub %r15, %rax\n or $5, %rax\n"       \
	"	mov %rax, 0(%rdi)\n"                                          \
	"	movabs $0x8000000000000007, %rdx\n"                           \
	"	lea udata(%rip), %rax\n sub %r15, %rax\n or %rdx, %rax\n"     \
	"	mov %rax, 8(%rdi)\n"                                          \
	"	lea ustack(%rip), %rax\n sub %r15, %rax\n or %rdx, %rax\n"    \
	"	mov %rax, 16(%rdi)\n"                                         \
	"	lea udata(%rip), %rax\n sub %r15, %rax\n or $3, %rax\n"       \
	"	mov %rax, 24(%rdi)\n"                                         \
	"	movabs $0x0008000000000005, %rdx\n"                           \
	"	lea udata(%rip), %rax\n sub %r15, %rax\n or %rdx, %rax\n"     \
	"	mov %rax, 32(%rdi)\n"                                         \
	"	lea urwx(%rip), %rax\n sub %r15, %rax\n or $7, %rax\n"        \
	"	mov %rax, 48(%rdi)\n"                                         \
	"	lea udata2(%rip), %rax\n sub %r15, %rax\n or $5, %rax\n"      \
	"	mov %rax, 56(%rdi)\n"

/* Switch to pml4 and set CR0.AM. */
#define SK_CR3_LOAD_AM                                                        \
	"	lea pml4(%rip), %rax\n sub %r15, %rax\n mov %rax, %cr3\n"     \
	"	mov %cr0, %rax\n or $0x40000, %eax\n mov %rax, %cr0\n"

/*
 * Dispatch on the scenario number at (sym): stable[n] = {kernel entry -
 * stable, user offset}; jumps there with RBX = the user offset and every
 * other GPR but RSP zero. Then go_user (to CPL3 at 0x400000 + RBX, RSP
 * 0x403000, RFLAGS 0x2), go_user_noam (the same with CR0.AM clear) and
 * kexit (a kernel scenario that ends without a fault: RAX into result
 * word 24 of (res), exit status 1).
 */
#define SK_DISPATCH_USER_KEXIT(sym, res)                                      \
	"	mov " sym "(%rip), %rcx\n"                                    \
	"	lea stable(%rip), %rax\n"                                     \
	"	movslq (%rax,%rcx,8), %rdx\n add %rax, %rdx\n"                \
	"	movslq 4(%rax,%rcx,8), %rbx\n"                                \
	"	xor %eax, %eax\n xor %ecx, %ecx\n xor %esi, %esi\n"           \
	"	xor %edi, %edi\n"                                             \
	"	xor %ebp, %ebp\n xor %r8d, %r8d\n xor %r9d, %r9d\n"           \
	"	xor %r10d, %r10d\n"                                           \
	"	xor %r11d, %r11d\n xor %r12d, %r12d\n xor %r13d, %r13d\n"     \
	"	xor %r14d, %r14d\n xor %r15d, %r15d\n"                        \
	"	jmp *%rdx\n"                                                  \
	"go_user:\n"                                                          \
	"	lea 0x400000(%rbx), %rcx\n"                                   \
	"	pushq $0x23\n pushq $0x403000\n pushq $2\n pushq $0x1b\n"     \
	"	push %rcx\n"                                                  \
	"	xor %ecx, %ecx\n xor %edx, %edx\n xor %ebx, %ebx\n"           \
	"	iretq\n"                                                      \
	"go_user_noam:\n"                                                     \
	"	mov %cr0, %rax\n and $~0x40000, %eax\n mov %rax, %cr0\n"      \
	"	xor %eax, %eax\n"                                             \
	"	jmp go_user\n"                                                \
	"kexit:\n"                                                            \
	"	mov %rax, " res "+192(%rip)\n"                                \
	"	mov $1, %eax\n mov $0xf4, %dx\n out %eax, %dx\n"              \
	"9:	jmp 9b\n"

/* The exception stubs for vectors 0-31, 16 bytes apart, each pushing
 * (a zero error code where the CPU pushes none and) the vector, then
 * jumping to the kernel's "common". */
#define SK_EXC_STUBS                                                          \
	".p2align 4\n"                                                        \
	"stubs:\n"                                                            \
	".set v, 0\n"                                                         \
	".rept 32\n"                                                          \
	".p2align 4\n"                                                        \
	".if (" SK_ERRVEC_MASK " >> v) & 1\n"                                 \
	"	pushq $v\n"                                                   \
	".else\n"                                                             \
	"	pushq $0\n pushq $v\n"                                        \
	".endif\n"                                                            \
	"	jmp common\n"                                                 \
	".set v, v + 1\n"                                                     \
	".endr\n"

/*
 * stub80 (INT 0x80 as vector 0x80) and the start of "common": the GPRs
 * into result words 8..23 of (res) (RSP's word left alone), RAX = res,
 * ECX = 0; then the kernel's lines, then SK_RECORD_FRAME.
 */
#define SK_RECORD_GPRS(res)                                                   \
	"stub80: pushq $0\n pushq $0x80\n jmp common\n"                       \
	"common:\n"                                                           \
	"	mov %rax, " res "+64(%rip)\n lea " res "(%rip), %rax\n"       \
	"	mov %rcx, 72(%rax)\n mov %rdx, 80(%rax)\n"                  \
	"	mov %rbx, 88(%rax)\n"                                        \
	"	mov %rbp, 104(%rax)\n mov %rsi, 112(%rax)\n"                  \
	"	mov %rdi, 120(%rax)\n"                                        \
	"	mov %r8, 128(%rax)\n mov %r9, 136(%rax)\n"                  \
	"	mov %r10, 144(%rax)\n"                                       \
	"	mov %r11, 152(%rax)\n mov %r12, 160(%rax)\n"                  \
	"	mov %r13, 168(%rax)\n"                                        \
	"	mov %r14, 176(%rax)\n mov %r15, 184(%rax)\n"                  \
	"	xor %ecx, %ecx\n"

/* The rest of "common": vector, error, RIP, CS, RFLAGS, RSP, SS into
 * words 0..6, CR2 into word 7, exit with status 0x40 + vector. */
#define SK_RECORD_FRAME                                                       \
	"1:	mov (%rsp,%rcx,8), %rdx\n mov %rdx, (%rax,%rcx,8)\n"           \
	"	inc %ecx\n"                                                   \
	"	cmp $7, %ecx\n jb 1b\n"                                       \
	"	mov %cr2, %rdx\n mov %rdx, 56(%rax)\n"                        \
	"	mov (%rax), %eax\n add $0x40, %eax\n mov $0xf4, %dx\n"        \
	"	out %eax, %dx\n"                                              \
	"2:	jmp 2b\n"

/* The user data pages of badguest's layout; (udata_sym) labels udata
 * (the host puts a host pointer at its word 1 before the run). */
#define SK_USER_DATA(udata_sym)                                               \
	".p2align 12\n"                                                       \
	udata_sym ":\n"                                                       \
	"udata: .quad 0x1122334455667788\n .quad 0\n .fill 4080, 1, 0\n"      \
	".p2align 12\n"                                                       \
	"ustack: .fill 4096, 1, 0\n"                                          \
	/* the self-modifying user snippet, at 0x406000 */                    \
	".p2align 12\n"                                                       \
	"urwx:\n"                                                             \
	"u_smc:	xor %ebx, %ebx\n call u_smc_f\n"                              \
	"	movl $0x22, u_smc_imm(%rip)\n call u_smc_f\n mov %ebx, %eax\n" \
	"	int $0x80\n"                                                  \
	"u_smc_f: .byte 0xb8\n u_smc_imm: .long 0x11\n add %eax, %ebx\n"     \
	"	ret\n"                                                        \
	".p2align 12\n"                                                       \
	"udata2: .quad 0x1122334455667788, 0x8877665544332211\n"              \
	"	.quad 0x0123456789abcdef, 0xfedcba9876543210\n"               \
	"	.fill 4064, 1, 0xcc\n"                                        \
	".p2align 12\n"                                                       \
	"pml4: .fill 4096, 1, 0\n"                                            \
	"pdpt: .fill 4096, 1, 0\n"                                            \
	"pd: .fill 4096, 1, 0\n"                                              \
	"pt: .fill 4096, 1, 0\n"

/* The descriptor tables and the kernel stack (8 KiB below kstack_top,
 * page-aligned); the kernel's IST stacks follow. */
#define SK_TABLES_KSTACK                                                      \
	"idt: .fill 4096, 1, 0\n"                                             \
	"gdt: .fill 64, 1, 0\n"                                               \
	"tss: .fill 128, 1, 0\n"                                              \
	".p2align 12\n"                                                       \
	".fill 8192, 1, 0\n"                                                  \
	"kstack_top:\n"

#endif
