/*
 * test_bt_kpath.c - the kernel paths bt's dispatcher carries out itself
 * (bt_fast.h: INT n, IRETQ, MOV to CR3) agree with the interpreter, and
 * every case it leaves to the monitor does too.
 *
 * One tiny kernel (assembled into this binary, written out as an ELF64
 * file) sets up its own GDT, TSS (RSP0, IST1 for #PF and #DF, IST2), IDT
 * and page tables with a user half (and a second address space), then
 * runs one scenario: INT n at CPL0 through interrupt, trap and IST gates
 * and from CPL3 through a DPL3 gate (with a frame crossing a page),
 * IRETQ to CPL3 and within CPL3, MOV to CR3 between two address spaces
 * (bit 63 set too), and the fallbacks: a gate DPL below CPL (#GP), a gate
 * not present (#NP), IRETQ to a non-canonical RIP (#GP), a #PF while
 * pushing the frame (not present at once, and after half the frame on the
 * page above), IRETQ setting IF with a timer interrupt pending (delivered
 * right after it). Each runs on interp and on bt under both shadow policies
 * through engine.h: the run's end (reason, status), the whole final
 * architectural state (GPRs, RIP, RFLAGS, every segment cache, CRs, MSRs)
 * and all of guest RAM (frames, partial frames, page-table A/D bits) must
 * be identical; bt's counters must show the fast path taken (bt_fast_*)
 * or the monitor (bt_monitor_steps_*) as the table says.
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
#include "machine/machine.h"
#include "support/elf_build.h"
#include "support/scenario_kernel.h"
#include "support/scenario_run.h"
#include "vmb_abi.h"

/*
 * Guest layout. The kernel runs at VMB_KERNEL_VBASE + 0x100000 on the
 * boot tables' kernel half, copied into its own PML4s (entry 511).
 * User half, one page table at 0x400000 (pt; ptb for the second space):
 *   0x400000 ucode   user R X
 *   0x401000 udata   user RW NX (ptb: udatb)
 *   0x402000 ustack  user RW NX (RSP starts at 0x403000)
 *   0x405000 -       not present
 *   0x406000 kpage   supervisor RW NX
 * Selectors: 0x08/0x10 kernel code/data, 0x1b/0x23 user code/data, 0x28
 * TSS (RSP0 = kstack_top unless a scenario changes it, IST1 = ist1_top,
 * IST2 = ist2_top).
 * Gates: 0-31 interrupt gates DPL0 (IST1 for 8 and 14) to stubs that
 * record and exit with status 0x40 + vector; 0x80 DPL3 interrupt gate
 * (INC R12; IRETQ); 0x81 DPL0 interrupt gate (INC R13; IRETQ); 0x82 DPL0
 * trap gate (PUSHF; POP R14; IRETQ); 0x83 DPL0 IST2 (MOV RSP, R11;
 * IRETQ); 0x84 DPL3: exit with status 0xc0; 0x85 not present.
 * A kernel scenario ends with exit status 1.
 */

/* X(entry, label, rsp0, status, fast_int, fast_iret, fast_cr3, mon_int,
 * mon_iret, fast_exc, mon_exc): entry K runs (label) at CPL0, U goes to
 * CPL3 at the user snippet (label) with TSS.RSP0 = (rsp0): 0 kstack_top,
 * 1 kstack_top - 4080 (every frame crosses into the page below), 2
 * 0x405010 (not present), 3 0x406010 (two words on kpage, then not
 * present), 4 0x407010 (not present, kpage below: nothing written); the
 * exit status; and the least each bt counter must show (bt_fast_int,
 * _iretq, _mov_cr3; bt_monitor_steps_int, _iret; bt_fast_exception,
 * bt_monitor_exception_deliveries). */
#define SCENARIOS(X)                                                          \
	X(K, k_int_gates, 0, 1, 5, 5, 0, 0, 0, 0, 0)                          \
	X(K, k_cr3, 0, 1, 0, 0, 4, 0, 0, 0, 0)                                \
	X(K, k_int_np, 0, 0x4b, 0, 0, 0, 1, 0, 0, 0)                          \
	X(K, k_iret_nc, 0, 0x4d, 0, 0, 0, 0, 1, 0, 0)                         \
	X(K, k_iret_irq, 0, 0xc1, 0, 0, 0, 0, 1, 0, 0)                        \
	X(K, k_pf, 0, 0x4e, 0, 0, 0, 0, 0, 1, 0)                              \
	X(K, k_de_pf, 0, 0x4e, 0, 0, 0, 0, 0, 0, 1)                           \
	X(U, u_int80, 0, 0xc0, 4, 4, 0, 0, 0, 0, 0)                           \
	X(U, u_iret_same, 0, 0xc0, 1, 2, 0, 0, 0, 0, 0)                       \
	X(U, u_int_dpl, 0, 0x4d, 0, 1, 0, 1, 0, 0, 0)                         \
	X(U, u_int_cross, 1, 0xc0, 3, 3, 0, 0, 0, 0, 0)                       \
	X(U, u_int_pf, 2, 0x4e, 0, 1, 0, 1, 0, 0, 0)                          \
	X(U, u_int_cross_pf, 3, 0x4e, 0, 1, 0, 1, 0, 0, 0)                    \
	X(U, u_int_cross_pf_hi, 4, 0x4e, 0, 1, 0, 1, 0, 0, 0)                 \
	X(U, u_de, 0, 0x40, 0, 1, 0, 0, 0, 1, 0)                              \
	X(U, u_de_cross, 1, 0x40, 0, 1, 0, 0, 0, 1, 0)

#define K_ROW(l, r) "	.long " #l " - stable, 0, 0, 0\n"
#define U_ROW(l, r) "	.long go_user - stable, " #l " - ucode, " #r ", 0\n"
#define ASM_ROW(entry, l, r, st, fi, fr, fc, mi, mr, fe, me) entry##_ROW(l, r)

extern const uint8_t g_kp_begin[], g_kp_end[], g_kp_scenario[];

__asm__(
".pushsection .rodata\n"
".p2align 12\n"
"g_kp_begin:\n"
"	jmp kmain\n"
".p2align 3\n"
"g_kp_scenario: .quad 0\n"

SK_GATE_SET

SK_KMAIN_GDT
"	lea ist1_top(%rip), %rdx\n mov %rdx, 36(%rax)\n"
"	lea ist2_top(%rip), %rdx\n mov %rdx, 44(%rax)\n"
SK_GDT_LOAD
/* IDT */
"	lea idt(%rip), %rdi\n"
"	xor %ecx, %ecx\n"
SK_IDT_EXC_GATES("14")
"	xor %r9d, %r9d\n"
"	lea h80(%rip), %rax\n mov $0x80, %ecx\n mov $0xee, %r8d\n"
"	call gate_set\n"
"	lea h81(%rip), %rax\n mov $0x81, %ecx\n mov $0x8e, %r8d\n"
"	call gate_set\n"
"	lea h82(%rip), %rax\n mov $0x82, %ecx\n mov $0x8f, %r8d\n"
"	call gate_set\n"
"	lea h83(%rip), %rax\n mov $0x83, %ecx\n mov $0x8e, %r8d\n"
"	mov $2, %r9d\n call gate_set\n xor %r9d, %r9d\n"
"	lea h84(%rip), %rax\n mov $0x84, %ecx\n mov $0xee, %r8d\n"
"	call gate_set\n"
"	lea h81(%rip), %rax\n mov $0x85, %ecx\n mov $0x0e, %r8d\n"
"	call gate_set\n"
"	lea h40(%rip), %rax\n mov $0x40, %ecx\n mov $0x8e, %r8d\n"
"	call gate_set\n"
SK_IDT_LOAD
/* page tables: pml4 -> pdpt -> pd -> pt, pml4b -> ... -> ptb */
"	mov %cr3, %rax\n and $~0xfff, %rax\n add %r15, %rax\n"
"	mov 4088(%rax), %rdx\n"
"	lea pml4(%rip), %rdi\n mov %rdx, 4088(%rdi)\n"
"	lea pml4b(%rip), %rdi\n mov %rdx, 4088(%rdi)\n"
"	lea pml4(%rip), %rdi\n lea pdpt(%rip), %rsi\n call link\n"
"	lea pdpt(%rip), %rdi\n lea pd(%rip), %rsi\n call link\n"
"	lea pd+16(%rip), %rdi\n lea pt(%rip), %rsi\n call link\n"
"	lea pml4b(%rip), %rdi\n lea pdptb(%rip), %rsi\n call link\n"
"	lea pdptb(%rip), %rdi\n lea pdb(%rip), %rsi\n call link\n"
"	lea pdb+16(%rip), %rdi\n lea ptb(%rip), %rsi\n call link\n"
"	lea pt(%rip), %rdi\n call user_ptes\n"
"	lea udata(%rip), %rax\n sub %r15, %rax\n or %rdx, %rax\n"
"	mov %rax, 8(%rdi)\n"
"	lea ptb(%rip), %rdi\n call user_ptes\n"
"	lea udatb(%rip), %rax\n sub %r15, %rax\n or %rdx, %rax\n"
"	mov %rax, 8(%rdi)\n"
"	lea pml4(%rip), %rax\n sub %r15, %rax\n mov %rax, %cr3\n"
/* dispatch: stable[scenario] = {kernel entry - stable, user offset} */
"	mov g_kp_scenario(%rip), %rcx\n shl $4, %rcx\n"
"	lea stable(%rip), %rax\n"
"	movslq (%rax,%rcx), %rdx\n add %rax, %rdx\n"
"	movslq 4(%rax,%rcx), %rbx\n"
"	movslq 8(%rax,%rcx), %r8\n"
"	xor %eax, %eax\n xor %ecx, %ecx\n xor %esi, %esi\n xor %edi, %edi\n"
"	xor %ebp, %ebp\n xor %r9d, %r9d\n xor %r10d, %r10d\n"
"	xor %r11d, %r11d\n xor %r12d, %r12d\n xor %r13d, %r13d\n"
"	xor %r14d, %r14d\n"
"	jmp *%rdx\n"

/* link: table entry (rdi) -> table (rsi), user RW present */
"link:\n"
"	mov %rsi, %rax\n sub %r15, %rax\n or $7, %rax\n mov %rax, (%rdi)\n"
"	ret\n"
/* user_ptes: the common entries of page table (rdi); rdx = NX|user RW */
"user_ptes:\n"
"	lea ucode(%rip), %rax\n sub %r15, %rax\n or $5, %rax\n"
"	mov %rax, 0(%rdi)\n"
"	movabs $0x8000000000000007, %rdx\n"
"	lea ustack(%rip), %rax\n sub %r15, %rax\n or %rdx, %rax\n"
"	mov %rax, 16(%rdi)\n"
"	movabs $0x8000000000000003, %rax\n"
"	lea kpage(%rip), %rsi\n sub %r15, %rsi\n or %rsi, %rax\n"
"	mov %rax, 48(%rdi)\n"
"	ret\n"

/* to CPL3 at 0x400000 + rbx, RSP 0x403000, RFLAGS 0x202 */
"go_user:\n"
"	lea kstack_top(%rip), %rax\n"
"	cmp $1, %r8d\n jne 1f\n sub $4080, %rax\n"
"1:	cmp $2, %r8d\n jne 2f\n mov $0x405010, %eax\n"
"2:	cmp $3, %r8d\n jne 4f\n mov $0x406010, %eax\n"
"4:	cmp $4, %r8d\n jne 3f\n mov $0x407010, %eax\n"
"3:	lea tss(%rip), %rdx\n mov %rax, 4(%rdx)\n xor %r8d, %r8d\n"
"	lea 0x400000(%rbx), %rcx\n"
"	pushq $0x23\n pushq $0x403000\n pushq $0x202\n pushq $0x1b\n"
"	push %rcx\n"
"	xor %eax, %eax\n xor %ecx, %ecx\n xor %edx, %edx\n xor %ebx, %ebx\n"
"	iretq\n"
"kexit:\n"
"	mov $1, %eax\n mov $0xf4, %dx\n out %eax, %dx\n"
"9:	jmp 9b\n"

/* ---- kernel scenarios ---- */
/* interrupt gate 3x with RSP misaligned, trap gate with IF set, IST */
"k_int_gates:\n"
"	sub $8, %rsp\n"
"	int $0x81\n int $0x81\n int $0x81\n"
"	add $8, %rsp\n sti\n nop\n"
"	int $0x82\n"
"	cli\n int $0x83\n"
"	mov %rsp, %rax\n jmp kexit\n"
/* two address spaces, bit 63 (no-flush) set on the way back; LODSQ
 * (run by bt's monitor) reads through each: the monitor's TLB must
 * follow the dispatcher's CR3 writes */
"k_cr3:\n"
"	mov %cr3, %rbx\n"
"	lea pml4b(%rip), %rcx\n sub %r15, %rcx\n"
"	mov 0x401000, %rax\n"
"	mov $0x401000, %esi\n lodsq\n mov %rax, %r9\n"
"	mov 0x401000, %rax\n"
"	mov %rcx, %cr3\n add 0x401000, %rax\n"
"	mov $0x401000, %esi\n mov %rax, %rdi\n lodsq\n add %rax, %r9\n"
"	mov %rdi, %rax\n"
"	movabs $0x8000000000000000, %rdx\n or %rbx, %rdx\n"
"	mov %rdx, %cr3\n add 0x401000, %rax\n"
"	mov %rcx, %r8\n mov %r8, %cr3\n movq $0x77, 0x401008\n"
"	mov %rbx, %cr3\n add 0x401008, %rax\n"
"	mov %cr3, %rsi\n jmp kexit\n"
"k_int_np: mov $5, %eax\n int $0x85\n jmp kexit\n"
"k_iret_nc:\n"
"	mov %rsp, %rax\n pushq $0x10\n push %rax\n pushq $2\n pushq $0x08\n"
"	movabs $0x0000800000000000, %rax\n push %rax\n iretq\n"

/* #PF (IST1) from CPL0; #DE whose frame faults (RSP not present): #PF */
"k_pf: mov $0x405000, %eax\n mov (%rax), %rax\n jmp kexit\n"
"k_de_pf: mov $0x405010, %esp\n xor %ecx, %ecx\n mov $7, %eax\n div %ecx\n"
"	jmp kexit\n"
/* the x2APIC timer fires (one-shot, 1 us) while IF is clear; IRETQ
 * sets IF: the interrupt comes before the instruction at 1 (h40 records
 * the interrupted RIP in R10), as interp delivers it */
"k_iret_irq:\n"
"	mov $0x1b, %ecx\n rdmsr\n or $0xc00, %eax\n wrmsr\n"
"	xor %edx, %edx\n"
"	mov $0x80f, %ecx\n mov $0x1ff, %eax\n wrmsr\n"
"	mov $0x83e, %ecx\n mov $0xb, %eax\n wrmsr\n"
"	mov $0x832, %ecx\n mov $0x40, %eax\n wrmsr\n"
"	mov $0x838, %ecx\n mov $1000, %eax\n wrmsr\n"
"	mov $2000000, %ecx\n"
"2:	dec %ecx\n jnz 2b\n"
"	mov %rsp, %rax\n pushq $0x10\n push %rax\n pushq $0x202\n"
"	pushq $0x08\n lea 1f(%rip), %rax\n push %rax\n iretq\n"
"1:	xor %eax, %eax\n cpuid\n"
"3:	jmp 3b\n"

/* handlers */
"h40: mov (%rsp), %r10\n mov $0xc1, %eax\n mov $0xf4, %dx\n out %eax, %dx\n"
"4:	jmp 4b\n"
"h80: inc %r12\n iretq\n"
"h81: inc %r13\n iretq\n"
"h82: pushf\n pop %r14\n iretq\n"
"h83: mov %rsp, %r11\n iretq\n"
"h84: mov $0xc0, %eax\n mov $0xf4, %dx\n out %eax, %dx\n"
"1:	jmp 1b\n"

SK_EXC_STUBS
"common:\n"
"	mov %cr2, %rbp\n"
"	pop %rax\n add $0x40, %eax\n mov $0xf4, %dx\n out %eax, %dx\n"
"2:	jmp 2b\n"

/* scenario table: {kernel entry - stable, user snippet - ucode} */
".p2align 4\n"
"stable:\n"
SCENARIOS(ASM_ROW)

/* ---- user snippets (CPL3, at 0x400000 + offset) ---- */
".p2align 12\n"
"ucode:\n"
"u_int80: mov $42, %eax\n int $0x80\n int $0x80\n int $0x80\n"
"	mov %rsp, %rbx\n int $0x84\n"
"u_iret_same:\n"
"	mov %rsp, %rax\n pushq $0x23\n push %rax\n pushq $0x202\n"
"	pushq $0x1b\n lea 1f(%rip), %rax\n push %rax\n iretq\n"
"1:	mov %rsp, %rbx\n int $0x84\n"
"u_int_dpl: int $0x81\n int $0x84\n"
"u_int_cross: int $0x80\n int $0x80\n int $0x84\n"
"u_int_pf: int $0x80\n int $0x84\n"
"u_int_cross_pf: int $0x80\n int $0x84\n"
"u_int_cross_pf_hi: int $0x80\n int $0x84\n"
"u_de: xor %ecx, %ecx\n mov $7, %eax\n div %ecx\n int $0x84\n"
"u_de_cross: xor %ecx, %ecx\n mov $7, %eax\n div %ecx\n int $0x84\n"
".p2align 12\n"
"udata: .quad 0x1111, 0x2222\n .fill 4080, 1, 0\n"
".p2align 12\n"
"udatb: .quad 0x30000, 0x40000\n .fill 4080, 1, 0\n"
".p2align 12\n"
"ustack: .fill 4096, 1, 0\n"
".p2align 12\n"
"kpage: .fill 4096, 1, 0\n"
".p2align 12\n"
"pml4: .fill 4096, 1, 0\n"
"pdpt: .fill 4096, 1, 0\n"
"pd: .fill 4096, 1, 0\n"
"pt: .fill 4096, 1, 0\n"
"pml4b: .fill 4096, 1, 0\n"
"pdptb: .fill 4096, 1, 0\n"
"pdb: .fill 4096, 1, 0\n"
"ptb: .fill 4096, 1, 0\n"
SK_TABLES_KSTACK
".fill 4096, 1, 0\n"
"ist1_top:\n"
".fill 4096, 1, 0\n"
"ist2_top:\n"
".fill 4096, 1, 0\n"
"g_kp_end:\n"
".popsection\n");

/* ---- the host side ------------------------------------------------------ */

struct scenario {
	const char *name;	/* first: see scenario_group_run() */
	uint32_t status;
	uint64_t fast_int, fast_iret, fast_cr3, mon_int, mon_iret;
	uint64_t fast_exc, mon_exc;
	unsigned id;
};

enum {
#define ENUM_ROW(entry, l, r, st, fi, fr, fc, mi, mr, fe, me) SC_##l,
	SCENARIOS(ENUM_ROW)
	NSCENARIOS
};

static struct scenario scenarios[NSCENARIOS] = {
#define TABLE_ROW(entry, l, r, st, fi, fr, fc, mi, mr, fe, me)                \
	{#l, st, fi, fr, fc, mi, mr, fe, me, SC_##l},
	SCENARIOS(TABLE_ROW)
};

/* One run: its end, then bt's counters and all of guest RAM. */
struct outcome {
	struct scenario_outcome run;
	uint8_t *ram;
	size_t ram_size;
	struct engine_counters cnt;
};

static uint64_t stat_of(const struct engine_counters *c, const char *name)
{
	const struct engine_stat *s = engine_stat_find(c, name);

	return s ? s->value : 0;
}

static void outcome_read(struct engine *e, void *arg)
{
	struct outcome *o = arg;
	void *p;

	engine_counters(e, &o->cnt);
	o->ram_size = e->m->mem.size;
	o->ram = malloc(o->ram_size);
	assert_non_null(o->ram);
	p = guest_mem_ptr(&e->m->mem, 0, o->ram_size);
	assert_non_null(p);
	memcpy(o->ram, p, o->ram_size);
}

static const struct scenario_kernel kernel = {
	.begin = g_kp_begin,
	.end = g_kp_end,
	.scenario = g_kp_scenario,
	.inspect = outcome_read,
};

static bool scenario_run(const char *engine, const char *options, unsigned id,
			 struct outcome *o, char *why, size_t whylen)
{
	memset(o, 0, sizeof(*o));
	return scenario_kernel_run(&kernel, engine, options, id, &o->run, o,
				   why, whylen);
}

static void outcome_free(struct outcome *o)
{
	free(o->ram);
	o->ram = NULL;
}

static bool seg_equal(const struct x86_segment *a, const struct x86_segment *b)
{
	return a->selector == b->selector && a->base == b->base &&
	       a->limit == b->limit && a->type == b->type && a->s == b->s &&
	       a->dpl == b->dpl && a->present == b->present &&
	       a->avl == b->avl && a->l == b->l && a->db == b->db &&
	       a->g == b->g && a->unusable == b->unusable;
}

#define CMP(field)                                                            \
	do {                                                                  \
		if (a->field != b->field)                                     \
			fail_msg("%s: %s: " #field " %#llx, interp %#llx",    \
				 name, who, (unsigned long long)b->field,     \
				 (unsigned long long)a->field);               \
	} while (0)

/* The whole architectural state of (b) must be (a)'s. */
static void state_compare(const char *name, const char *who,
			  const struct x86_state *a, const struct x86_state *b)
{
	for (unsigned g = 0; g < X86_NGPR; g++)
		if (a->gpr[g] != b->gpr[g])
			fail_msg("%s: %s: GPR %u %#llx, interp %#llx", name,
				 who, g, (unsigned long long)b->gpr[g],
				 (unsigned long long)a->gpr[g]);
	CMP(rip);
	CMP(rflags);
	for (unsigned s = 0; s < X86_NSREG; s++)
		if (!seg_equal(&a->seg[s], &b->seg[s]))
			fail_msg("%s: %s: segment %u selector %#x dpl %u "
				 "unusable %u, interp %#x %u %u", name, who, s,
				 b->seg[s].selector, b->seg[s].dpl,
				 b->seg[s].unusable, a->seg[s].selector,
				 a->seg[s].dpl, a->seg[s].unusable);
	if (!seg_equal(&a->tr, &b->tr) || !seg_equal(&a->ldtr, &b->ldtr))
		fail_msg("%s: %s: TR/LDTR differ", name, who);
	CMP(gdtr.base);
	CMP(gdtr.limit);
	CMP(idtr.base);
	CMP(idtr.limit);
	CMP(cr0);
	CMP(cr2);
	CMP(cr3);
	CMP(cr4);
	CMP(cr8);
	CMP(efer);
	CMP(star);
	CMP(lstar);
	CMP(sfmask);
	CMP(kernel_gs_base);
}

static void ram_compare(const char *name, const char *who,
			const struct outcome *a, const struct outcome *b)
{
	assert_int_equal(a->ram_size, b->ram_size);
	for (size_t off = 0; off < a->ram_size; off += 4096) {
		if (!memcmp(a->ram + off, b->ram + off, 4096))
			continue;
		for (size_t k = 0; k < 4096; k++)
			if (a->ram[off + k] != b->ram[off + k])
				fail_msg("%s: %s: RAM at %#zx: %#x, interp "
					 "%#x", name, who, off + k,
					 b->ram[off + k], a->ram[off + k]);
	}
}

static void counters_check(const struct scenario *s, const char *who,
			   const struct outcome *o)
{
	const struct {
		const char *stat;
		uint64_t min;
	} want[] = {
		{ "bt_fast_int", s->fast_int },
		{ "bt_fast_iretq", s->fast_iret },
		{ "bt_fast_mov_cr3", s->fast_cr3 },
		{ "bt_monitor_steps_int", s->mon_int },
		{ "bt_monitor_steps_iret", s->mon_iret },
		{ "bt_fast_exception", s->fast_exc },
		{ "bt_monitor_exception_deliveries", s->mon_exc },
	};

	for (size_t k = 0; k < sizeof(want) / sizeof(want[0]); k++)
		if (stat_of(&o->cnt, want[k].stat) < want[k].min)
			fail_msg("%s: %s: %s = %llu, want at least %llu",
				 s->name, who, want[k].stat,
				 (unsigned long long)stat_of(&o->cnt,
							     want[k].stat),
				 (unsigned long long)want[k].min);
}

static void scenario_test(void **state)
{
	const struct scenario *s = *state;
	static const char *const policies[] = {"shadow=vtlb", "shadow=trace"};
	struct outcome ref, o;
	char why[256] = "";

	if (!scenario_run("interp", NULL, s->id, &ref, why, sizeof(why)))
		fail_msg("interp unusable: %s", why);
	if (ref.run.reason != RUN_EXIT_GUEST || ref.run.status != s->status)
		fail_msg("%s: interp ended with %s status %#x (%s), want "
			 "status %#x", s->name,
			 run_exit_reason_name(ref.run.reason), ref.run.status,
			 ref.run.message, s->status);
	for (unsigned k = 0; k < 2; k++) {
		if (!scenario_run("bt", policies[k], s->id, &o, why,
				  sizeof(why))) {
			outcome_free(&ref);
			print_message("[  SKIPPED ] bt unusable: %s\n", why);
			skip();
		}
		if (o.run.reason != ref.run.reason ||
		    o.run.status != ref.run.status)
			fail_msg("%s: bt %s ended with %s status %#x (%s), "
				 "interp with status %#x", s->name,
				 policies[k], run_exit_reason_name(o.run.reason),
				 o.run.status, o.run.message, ref.run.status);
		state_compare(s->name, policies[k], &ref.run.regs,
			      &o.run.regs);
		ram_compare(s->name, policies[k], &ref, &o);
		counters_check(s, policies[k], &o);
		outcome_free(&o);
	}
	outcome_free(&ref);
}

int main(void)
{
	return scenario_group_run(scenario_test, scenarios,
				  sizeof(scenarios[0]), NSCENARIOS);
}
