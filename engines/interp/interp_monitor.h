/*
 * interp_monitor.h - the interpreter as another engine's monitor.
 *
 * An engine that runs most guest code some other way (bt) hands the
 * guest state to the monitor for what it does not do itself: privileged
 * and sensitive instructions, string instructions, MMIO, exception and
 * interrupt delivery through the guest IDT, IRETQ, SYSCALL/SYSRET. The
 * monitor runs them with the interpreter's own handlers (exact semantics,
 * the same code as the interp engine) on its private struct cpu, and
 * gives the state back. It owns the vCPU's x2APIC.
 *
 * Coherence with the caller goes through hooks, called synchronously:
 *   write     every guest RAM write the monitor makes (the interpreter's
 *             write-TLB is disabled, so none bypasses it; page-walk A/D
 *             updates excepted);
 *   code      the RAM page (gpa) holds code the monitor decoded: a write
 *             to it by the caller's code must reach
 *             interp_monitor_code_written();
 *   invlpg    INVLPG (gva) ran;  cr3_write  MOV to CR3 ran (same value
 *             too: a TLB flush).
 * CR0/CR4/EFER changes are visible in the state handed back.
 *
 * Every call returns IMON_OK (the state was handed back: run on) or
 * IMON_STOP (the run must end: (x) says why, the state is handed back
 * too). The machine's exit port sets m->exit_requested and returns
 * IMON_STOP with x->reason left at 0: the caller reports the guest exit.
 */
#ifndef VMB_INTERP_MONITOR_H
#define VMB_INTERP_MONITOR_H

#include <stdbool.h>
#include <stdint.h>

#include "engine.h"

struct interp_monitor;
struct snapshot_cpu;

struct interp_monitor_hooks {
	void *opaque;
	void (*write)(void *opaque, uint64_t gpa, unsigned len);
	void (*code)(void *opaque, uint64_t gpa);
	void (*invlpg)(void *opaque, uint64_t gva);
	void (*cr3_write)(void *opaque, uint64_t cr3);
};

enum { IMON_OK = 0, IMON_STOP = 2 };

/* A monitor for (e)'s machine. NULL when out of memory. */
struct interp_monitor *interp_monitor_create(struct engine *e,
					     const struct interp_monitor_hooks *h);
void interp_monitor_destroy(struct interp_monitor *mon);

/*
 * Execute guest instructions from (s) up to the end of the decoded block
 * at s->rip, at most (max_insns) (>= 1), delivering any exception they
 * raise through the guest IDT (after a delivery the step ends). An STI
 * shadow is honoured by running one more instruction. (*ninsns) gets the
 * number retired (a REP instruction that yields before it completes
 * retires nothing).
 */
int interp_monitor_step(struct interp_monitor *mon, struct x86_state *s,
			unsigned max_insns, uint64_t *ninsns,
			struct run_exit *x);

/* Like interp_monitor_step(), but never more than (max_insns): an STI
 * shadow left by the last one is dropped (for an exact instruction limit,
 * where the run ends there). */
int interp_monitor_step_exact(struct interp_monitor *mon,
			      struct x86_state *s, unsigned max_insns,
			      uint64_t *ninsns, struct run_exit *x);

/* Guest instructions the monitor has retired so far (a REP that yields
 * retires nothing; exactly as the interp engine counts). Current during a
 * monitor call too (from a port handler: the instruction running is not
 * counted yet). */
uint64_t interp_monitor_insns(const struct interp_monitor *mon);

/* Deliver exception (vector) (error when has_error; CR2 = cr2 for #PF),
 * raised by the instruction at s->rip, through the guest IDT. */
int interp_monitor_deliver(struct interp_monitor *mon, struct x86_state *s,
			   unsigned vector, bool has_error, uint32_t error,
			   uint64_t cr2, struct run_exit *x);

/*
 * Update the x2APIC to host TSC (now) and, when an interrupt is pending
 * and deliverable (IF set, no STI shadow), inject it. (*injected) says
 * whether one was.
 */
int interp_monitor_irq(struct interp_monitor *mon, struct x86_state *s,
		       uint64_t now, bool *injected, struct run_exit *x);

/* The vCPU executed HLT and no interrupt has woken it yet. */
bool interp_monitor_halted(const struct interp_monitor *mon);

/*
 * Halted: sleep until the next timer event (no later than host TSC
 * (deadline), 0 = none). IMON_STOP (RUN_EXIT_HALTED) when nothing can
 * ever wake the vCPU.
 */
int interp_monitor_halt_wait(struct interp_monitor *mon,
			     const struct x86_state *s, uint64_t deadline,
			     struct run_exit *x);

/* The caller executed INVLPG (gva) itself: drop the monitor's TLB entry
 * for it and count it, as the interpreter's INVLPG does (no hook). */
void interp_monitor_invlpg(struct interp_monitor *mon, uint64_t gva);

/* The caller executed MOV to CR3 (cr3, bit 63 already dropped) itself:
 * count it and flush the monitor's TLB (global entries kept when
 * (keep_global), i.e. CR4.PGE), as the interpreter's MOV to CR3 does (no
 * hook). The flush is done when the monitor next runs (only it uses its
 * TLB), once for any number of these. */
void interp_monitor_cr3_write(struct interp_monitor *mon, uint64_t cr3,
			      bool keep_global);

/* Is an interrupt pending at the x2APIC (as of its last update),
 * deliverable or not? */
bool interp_monitor_irq_pending(const struct interp_monitor *mon);

/* Host TSC of the x2APIC's next timer event, 0 = none armed. */
uint64_t interp_monitor_next_event(const struct interp_monitor *mon);

/* Guest RAM page (gpa) was written by someone else (translated code):
 * drop decoded code of it. Not while a monitor call runs. */
void interp_monitor_code_written(struct interp_monitor *mon, uint64_t gpa);

/* Does the monitor hold decoded code of RAM page (gpa)? */
bool interp_monitor_has_code(const struct interp_monitor *mon, uint64_t gpa);

/* The state of the instruction a monitor call is executing now, flags
 * materialised (for a device callback, e.g. the ROI hook, during
 * interp_monitor_step()). */
void interp_monitor_state_get(struct interp_monitor *mon,
			      struct x86_state *out);

/* The monitor's half of a snapshot (machine/snapshot.h): the x2APIC,
 * whether the vCPU is halted or in an STI shadow. The caller fills in
 * the architectural state. */
void interp_monitor_snapshot(const struct interp_monitor *mon,
			     struct snapshot_cpu *out);

/* Take that half back from a restored snapshot; decoded code and the
 * TLB are dropped (RAM and page tables are the snapshot's now). */
void interp_monitor_restore(struct interp_monitor *mon,
			    const struct snapshot_cpu *in);

/* Add the monitor's trap counters to (out->traps) and its stats
 * ("mon_insns", "mon_blocks_decoded", "mon_icache_flushes",
 * "timer_fires") to out. */
void interp_monitor_counters(const struct interp_monitor *mon,
			     struct engine_counters *out);

#endif /* VMB_INTERP_MONITOR_H */
