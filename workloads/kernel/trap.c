/*
 * trap.c - the IDT and the C side of every kernel entry.
 *
 * Dispatch: the timer and spurious vectors, int 0x80 and the syscall
 * instruction go to their handlers; a page fault first goes to the
 * virtual-memory code (demand zero, copy on write); an exception a
 * kernel-mode bench asked for resumes through the fixup; an interrupt
 * that came with no vector is ignored with a console note; anything else is
 * fatal: one `fault` result line, a register dump, and exit status
 * VMB_EXIT_EXCEPTION + vector (VMB_EXIT_PANIC for stray interrupts).
 */
#include "apic.h"
#include "console.h"
#include "gdt.h"
#include "proc.h"
#include "pvm.h"
#include "syscall.h"
#include "trap.h"
#include "vm.h"
#include "vmb.h"
#include "x86.h"

struct idt_gate {
	uint16_t off_lo, sel;
	uint8_t ist, type_attr;
	uint16_t off_mid;
	uint32_t off_hi, zero;
} __attribute__((packed));

static struct idt_gate idt[256];
extern char trap_vectors[];	/* 256 stubs of 16 bytes (trapasm.S) */

volatile uint64_t timer_ticks;

static struct {
	unsigned vector;
	uint64_t rip, resume, hits;
	int armed;
} fixup;

static void idt_gate_set(unsigned v, unsigned dpl, unsigned ist)
{
	uint64_t off = (uint64_t)(trap_vectors + 16 * v);

	idt[v] = (struct idt_gate){
		.off_lo = (uint16_t)off,
		.sel = SEL_KCODE,
		.ist = (uint8_t)ist,
		.type_attr = (uint8_t)(0x8E | dpl << 5), /* present, int gate */
		.off_mid = (uint16_t)(off >> 16),
		.off_hi = (uint32_t)(off >> 32),
	};
}

void idt_init(void)
{
	for (unsigned v = 0; v < 256; v++)
		idt_gate_set(v, 0, 0);
	idt_gate_set(T_DF, 0, IST_DOUBLE_FAULT);
	idt_gate_set(T_SYSCALL, 3, 0);	/* int 0x80 allowed from ring 3 */

	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) p = {sizeof(idt) - 1, (uint64_t)idt};
	__asm__ volatile("lidt %0" ::"m"(p));
}

void trap_fixup_set(unsigned vector, uint64_t rip, uint64_t resume)
{
	fixup.vector = vector;
	fixup.rip = rip;
	fixup.resume = resume;
	fixup.hits = 0;
	fixup.armed = 1;
}

uint64_t trap_fixup_clear(void)
{
	fixup.armed = 0;
	return fixup.hits;
}

static int fixup_apply(struct trapframe *tf)
{
	if (!fixup.armed || (tf->cs & 3) || tf->vector != fixup.vector ||
	    tf->rip != fixup.rip)
		return 0;
	tf->rip = fixup.resume;
	fixup.hits++;
	return 1;
}

static const char *const exception_names[32] = {
	"#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM",
	"#DF", "CSO", "#TS", "#NP", "#SS", "#GP", "#PF", "#15",
	"#MF", "#AC", "#MC", "#XM", "#VE", "#CP", "#22", "#23",
	"#24", "#25", "#26", "#27", "#HV", "#VC", "#SX", "#31",
};

_Noreturn void trap_fatal(const struct trapframe *tf)
{
	uint64_t v = tf->vector, cr2 = rcr2();
	const char *name = v < 32 ? exception_names[v] : "interrupt";

	vmb_printf("@vmb {\"ev\":\"fault\",\"vector\":%lu,\"name\":\"%s\","
		   "\"error\":\"0x%lx\",\"rip\":\"0x%lx\",\"cr2\":\"0x%lx\","
		   "\"cpl\":%lu}\n",
		   v, name, tf->error, tf->rip, cr2, tf->cs & 3);
	vmb_printf("fault: %s (vector %lu) error 0x%lx in %s, pid %d\n", name,
		   v, tf->error, (tf->cs & 3) ? "user mode" : "kernel mode",
		   proc_current() ? proc_current()->pid : -1);
	vmb_printf("  rip %016lx  cs %04lx  rflags %016lx\n", tf->rip, tf->cs,
		   tf->rflags);
	vmb_printf("  rsp %016lx  ss %04lx  cr2 %016lx  cr3 %016lx\n", tf->rsp,
		   tf->ss, cr2, rcr3());
	vmb_printf("  rax %016lx  rbx %016lx  rcx %016lx  rdx %016lx\n",
		   tf->rax, tf->rbx, tf->rcx, tf->rdx);
	vmb_printf("  rsi %016lx  rdi %016lx  rbp %016lx  r8  %016lx\n",
		   tf->rsi, tf->rdi, tf->rbp, tf->r8);
	vmb_printf("  r9  %016lx  r10 %016lx  r11 %016lx  r12 %016lx\n",
		   tf->r9, tf->r10, tf->r11, tf->r12);
	vmb_printf("  r13 %016lx  r14 %016lx  r15 %016lx\n", tf->r13, tf->r14,
		   tf->r15);
	kexit(v < 32 ? VMB_EXIT_EXCEPTION + (int)v : VMB_EXIT_PANIC);
}

/*
 * No page left for a user page (demand zero or copy on write): kill the
 * process rather than the machine. Its kernel stack is abandoned, which is
 * safe even mid-system-call since the kernel holds no locks.
 */
static void oom_kill(uint64_t va)
{
	struct proc *p = proc_current();

	if (p->pid == 0)
		panic("kernel task out of memory at", va);
	vmb_printf("pid %d (%s): out of memory at 0x%lx, killed\n", p->pid,
		   p->name, va);
	vmb_report_error(syscall_params.bench, "out of memory: process killed");
	proc_exit(PROC_STATUS_KILLED);
}

/*
 * An external interrupt that arrived with no vector (an ExtINT request the
 * 8259 withdrew before the CPU acknowledged it). QEMU delivers it as #GP
 * whose error code names an IDT entry beyond the table; no CPU fault can
 * do that, since our IDT holds all 256 vectors. Like any spurious
 * interrupt it is ignored (the instruction runs again); the console note
 * lets tests insist there were none.
 */
static int stray_interrupt(const struct trapframe *tf)
{
	if (tf->vector != T_GP || !(tf->error & 2) || (tf->error >> 3) < 256)
		return 0;
	vmb_printf("trap: interrupt with no vector at rip 0x%lx (error 0x%lx),"
		   " ignored\n", tf->rip, tf->error);
	return 1;
}

void trap(struct trapframe *tf)
{
	switch (tf->vector) {
	case T_SYSCALL:
	case T_SYSCALL_INSN:
		syscall_dispatch(tf);
		return;
	case T_TIMER:
		timer_ticks++;
		apic_eoi();
		if (tf->cs & 3)		/* preempt user code only */
			proc_yield();
		return;
	case T_SPURIOUS:
		return;
	case T_PF:
		switch (vm_fault(rcr2(), tf->error)) {
		case 0:
			return;
		case VM_FAULT_OOM:
			oom_kill(rcr2());
		}
		break;
	}
	if (fixup_apply(tf) || pvm_trap_fixup(tf) || stray_interrupt(tf))
		return;
	trap_fatal(tf);
}
