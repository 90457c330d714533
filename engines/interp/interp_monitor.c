/* interp_monitor.c - the interpreter as a monitor (interp_monitor.h). */
#include "interp/interp_monitor.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <x86intrin.h>

#include "interp/cpu.h"
#include "interp/exec.h"
#include "interp/flags.h"
#include "interp/intr.h"
#include "interp/mem.h"
#include "interp/operand.h"
#include "machine/snapshot.h"

struct interp_monitor {
	struct cpu c;		/* first: the write hook finds us from it */
	struct interp_monitor_hooks h;
	struct run_exit scratch; /* c.exit between calls */
	/* MOV to CR3 done by the caller since the last call: the TLB is
	 * flushed when the monitor next uses it (a full flush costs more
	 * than most monitor calls); keep_global while every one kept them */
	bool tlb_stale, tlb_keep_global;
};

static void mon_write(struct cpu *c, uint64_t gpa, unsigned len)
{
	struct interp_monitor *mon = (struct interp_monitor *)c;

	if (mon->h.write)
		mon->h.write(mon->h.opaque, gpa, len);
}

struct interp_monitor *interp_monitor_create(struct engine *e,
					     const struct interp_monitor_hooks *h)
{
	struct interp_monitor *mon = calloc(1, sizeof(*mon));

	if (!mon || icache_init(&mon->c.ic, e->m->mem.size)) {
		free(mon);
		return NULL;
	}
	mon->h = *h;
	mon->c.m = e->m;
	mon->c.e = e;
	mon->c.exit = &mon->scratch;
	mon->c.write_hook = mon_write;
	x2apic_init(&mon->c.apic, e->m->tsc_khz);
	cpu_features_load(&mon->c);
	exec_reset(&mon->c, &e->m->boot_state);
	return mon;
}

void interp_monitor_destroy(struct interp_monitor *mon)
{
	if (!mon)
		return;
	icache_free(&mon->c.ic);
	free(mon);
}

/* Take the caller's state; the lazy flags start from its RFLAGS. */
static void state_in(struct interp_monitor *mon, const struct x86_state *s,
		     struct run_exit *x)
{
	if (mon->tlb_stale) {
		mem_paging_changed(&mon->c, mon->tlb_keep_global);
		mon->tlb_stale = false;
	}
	x86_state_copy(&mon->c.s, s);
	mon->c.lf.op = LF_NONE;
	mon->c.exit = x;
}

static int state_out(struct interp_monitor *mon, struct x86_state *s,
		     int rc)
{
	flags_get(&mon->c);
	mon->c.lf.op = LF_NONE;
	x86_state_copy(s, &mon->c.s);
	mon->c.exit = &mon->scratch;
	if (mon->c.m->exit_requested)
		rc = OP_STOP;
	return rc == OP_STOP ? IMON_STOP : IMON_OK;
}

/* Report what the caller must follow: TLB flushes. */
static void after_insn(struct interp_monitor *mon, const struct insn *i,
		       uint64_t ea)
{
	if (i->mnemonic == ZYDIS_MNEMONIC_INVLPG) {
		if (mon->h.invlpg)
			mon->h.invlpg(mon->h.opaque, ea);
	} else if (i->o[0].kind == OPK_CR && i->o[0].reg == 3) {
		if (mon->h.cr3_write)
			mon->h.cr3_write(mon->h.opaque, mon->c.s.cr3);
	}
}

/* Run up to (max) instructions of the block at RIP; OP_* of the last. */
static int run_some(struct interp_monitor *mon, unsigned max)
{
	struct cpu *c = &mon->c;
	struct block *b;
	const struct insn *i;
	int rc = icache_lookup(c, &b);

	if (rc)
		return rc;
	if (mon->h.code) {
		mon->h.code(mon->h.opaque, b->gpa & ~0xfffull);
		if (b->gpa_tail != 1)
			mon->h.code(mon->h.opaque, b->gpa_tail);
	}
	c->blk_end = b->n < max ? b->n : max;
	i = b->insn;
	for (unsigned k = 0; k < c->blk_end; k++, i++) {
		uint64_t ea = 0;

		c->next_rip = c->s.rip + i->len;
		if (i->mnemonic == ZYDIS_MNEMONIC_INVLPG)
			ea = op_ea(c, i);
		/* exec, not fn: fn is the threaded entry, which would run on
		 * to the rest of the block without the per-instruction hooks. */
		if ((rc = i->exec(c, i)) != 0)
			return rc;
		c->s.rip = c->next_rip;
		c->icount++;	/* a REP that yielded took it back */
		after_insn(mon, i, ea);
	}
	return OP_OK;
}

static int step(struct interp_monitor *mon, struct x86_state *s,
		unsigned max_insns, bool shadow_ext, uint64_t *ninsns,
		struct run_exit *x)
{
	struct cpu *c = &mon->c;
	uint64_t start = c->icount;
	int rc;

	state_in(mon, s, x);
	c->sti_shadow = false;
	rc = run_some(mon, max_insns ? max_insns : 1);
	if (rc == OP_OK && shadow_ext && c->sti_shadow && !c->halted &&
	    !c->m->exit_requested)
		rc = run_some(mon, 1);
	c->sti_shadow = false;
	if (rc == OP_FAULT)
		rc = intr_deliver_pending(c);
	*ninsns = c->icount - start;
	return state_out(mon, s, rc);
}

int interp_monitor_step(struct interp_monitor *mon, struct x86_state *s,
			unsigned max_insns, uint64_t *ninsns,
			struct run_exit *x)
{
	return step(mon, s, max_insns, true, ninsns, x);
}

int interp_monitor_step_exact(struct interp_monitor *mon,
			      struct x86_state *s, unsigned max_insns,
			      uint64_t *ninsns, struct run_exit *x)
{
	return step(mon, s, max_insns, false, ninsns, x);
}

uint64_t interp_monitor_insns(const struct interp_monitor *mon)
{
	return mon->c.icount;
}

int interp_monitor_deliver(struct interp_monitor *mon, struct x86_state *s,
			   unsigned vector, bool has_error, uint32_t error,
			   uint64_t cr2, struct run_exit *x)
{
	struct cpu *c = &mon->c;
	struct trap_counters before = c->traps;
	int rc;

	state_in(mon, s, x);
	if (vector == X86_VEC_PF)
		c->s.cr2 = cr2;
	c->exc = (struct pending_exc){ .vector = (uint8_t)vector,
				       .has_error = has_error,
				       .error = error };
	c->next_rip = c->s.rip;
	rc = intr_deliver_pending(c);
	/* the caller counts the exceptions it raised itself */
	c->traps.count[TRAP_GUEST_EXCEPTION] =
		before.count[TRAP_GUEST_EXCEPTION];
	memcpy(c->traps.exception_by_vector, before.exception_by_vector,
	       sizeof(before.exception_by_vector));
	return state_out(mon, s, rc);
}

int interp_monitor_irq(struct interp_monitor *mon, struct x86_state *s,
		       uint64_t now, bool *injected, struct run_exit *x)
{
	struct cpu *c = &mon->c;
	int v, rc;

	*injected = false;
	x2apic_update(&c->apic, now);
	if (!(s->rflags & X86_RFLAGS_IF))
		return IMON_OK;
	v = x2apic_pending_vector(&c->apic);
	if (v < 0)
		return IMON_OK;
	state_in(mon, s, x);
	x2apic_ack(&c->apic, v);
	rc = intr_inject(c, (unsigned)v);
	*injected = rc == OP_OK;
	return state_out(mon, s, rc);
}

bool interp_monitor_halted(const struct interp_monitor *mon)
{
	return mon->c.halted;
}

int interp_monitor_halt_wait(struct interp_monitor *mon,
			     const struct x86_state *s, uint64_t deadline,
			     struct run_exit *x)
{
	struct cpu *c = &mon->c;
	uint64_t now = __rdtsc(), next, ns;
	struct timespec ts;

	c->exit = x;
	c->s.rip = s->rip;
	if (!(s->rflags & X86_RFLAGS_IF))
		return cpu_stop(c, RUN_EXIT_HALTED,
				"HLT with interrupts disabled at RIP %#llx: "
				"the vCPU never wakes",
				(unsigned long long)s->rip) ? IMON_STOP : IMON_OK;
	x2apic_update(&c->apic, now);
	if (x2apic_pending_vector(&c->apic) >= 0)
		return IMON_OK;
	next = x2apic_next_event(&c->apic);
	if (!next)
		return cpu_stop(c, RUN_EXIT_HALTED,
				"HLT with no timer armed at RIP %#llx: the "
				"vCPU never wakes",
				(unsigned long long)s->rip) ? IMON_STOP : IMON_OK;
	if (deadline && next > deadline)
		next = deadline;
	if (next > now) {
		ns = (next - now) * 1000000ull /
		     (c->apic.tsc_khz ? c->apic.tsc_khz : 1);
		ts.tv_sec = (time_t)(ns / 1000000000ull);
		ts.tv_nsec = (long)(ns % 1000000000ull);
		nanosleep(&ts, NULL);
	}
	return IMON_OK;
}

void interp_monitor_invlpg(struct interp_monitor *mon, uint64_t gva)
{
	mon->c.traps.count[TRAP_INVLPG]++;
	tlb_flush_page(&mon->c.tlb, gva);
}

void interp_monitor_cr3_write(struct interp_monitor *mon, uint64_t cr3,
			      bool keep_global)
{
	mon->c.traps.count[TRAP_CR_ACCESS]++;
	mon->c.s.cr3 = cr3;
	mon->tlb_keep_global = mon->tlb_stale ? mon->tlb_keep_global &&
						 keep_global
					       : keep_global;
	mon->tlb_stale = true;
}

bool interp_monitor_irq_pending(const struct interp_monitor *mon)
{
	return x2apic_pending_vector(&mon->c.apic) >= 0;
}

uint64_t interp_monitor_next_event(const struct interp_monitor *mon)
{
	return x2apic_next_event(&mon->c.apic);
}

bool interp_monitor_has_code(const struct interp_monitor *mon, uint64_t gpa)
{
	return (gpa >> 12) < mon->c.ic.npages &&
	       mon->c.ic.code_page[gpa >> 12] != 0;
}

void interp_monitor_code_written(struct interp_monitor *mon, uint64_t gpa)
{
	if (interp_monitor_has_code(mon, gpa)) {
		icache_flush(&mon->c);
		mon->c.traps.count[TRAP_CODE_INVALIDATE]++;
	}
}

void interp_monitor_counters(const struct interp_monitor *mon,
			     struct engine_counters *out)
{
	const struct cpu *c = &mon->c;

	for (unsigned k = 0; k < TRAP_NR; k++)
		out->traps.count[k] += c->traps.count[k];
	for (unsigned k = 0; k < TRAP_VECTORS; k++)
		out->traps.exception_by_vector[k] +=
			c->traps.exception_by_vector[k];
	engine_stat_add(out, "mon_insns", c->icount);
	engine_stat_add(out, "mon_blocks_decoded", c->st.blocks_decoded);
	engine_stat_add(out, "mon_icache_flushes", c->st.icache_flushes);
	engine_stat_add(out, "timer_fires", c->apic.timer_fires);
}

void interp_monitor_state_get(struct interp_monitor *mon,
			      struct x86_state *out)
{
	flags_get(&mon->c);
	*out = mon->c.s;
}

void interp_monitor_snapshot(const struct interp_monitor *mon,
			     struct snapshot_cpu *out)
{
	out->apic = mon->c.apic;
	out->halted = mon->c.halted;
	out->sti_shadow = mon->c.sti_shadow;
}

void interp_monitor_restore(struct interp_monitor *mon,
			    const struct snapshot_cpu *in)
{
	exec_restore(&mon->c, in);
}
