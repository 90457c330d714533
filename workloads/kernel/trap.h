/*
 * trap.h - interrupts, exceptions and the trap frame.
 *
 * Every entry into the kernel from ring 3 (exception, interrupt, int 0x80
 * or the syscall instruction) leaves one struct trapframe at the top of
 * the process's kernel stack, in the layout below, and leaves through it.
 */
#ifndef KERNEL_TRAP_H
#define KERNEL_TRAP_H

#include <stdint.h>

#define T_DE 0
#define T_UD 6
#define T_DF 8
#define T_GP 13
#define T_PF 14
#define T_TIMER 32
#define T_SYSCALL 0x80
#define T_SPURIOUS 0xFF
#define T_SYSCALL_INSN 0x100	/* pseudo-vector: entered via `syscall` */

struct trapframe {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error;	/* error is 0 when the CPU pushes none */
	uint64_t rip, cs, rflags, rsp, ss; /* pushed by the CPU */
};

/* Fill the IDT (all 256 vectors) and load it. */
void idt_init(void);

/* C entry of every interrupt and exception (from trapasm.S). */
void trap(struct trapframe *tf);

/*
 * Expected exceptions (kernel-mode benches): while set, an exception
 * (vector) at CPL0 with RIP == (rip) resumes at (resume) instead of being
 * fatal, and is counted. trap_fixup_clear() disarms it and returns the
 * count.
 */
void trap_fixup_set(unsigned vector, uint64_t rip, uint64_t resume);
uint64_t trap_fixup_clear(void);

/* Timer interrupts since boot (the periodic and the timer bench's one-shot). */
extern volatile uint64_t timer_ticks;

/* Print the fault event and a register dump, then exit. */
_Noreturn void trap_fatal(const struct trapframe *tf);

#endif
