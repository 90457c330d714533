/* exec.c - the run loop (see exec.h). */
#include "interp/exec.h"

#include <stdio.h>
#include <time.h>
#include <x86intrin.h>

#include "interp/flags.h"
#include "interp/intr.h"
#include "interp/mem.h"
#include "interp/thread.h"
#include "machine/snapshot.h"

#define POLL_INSNS 2048	/* host TSC is read every this many instructions */
/* Instructions a chain may run linking blocks before it returns to the
 * loop: bounds the recursion where the compiler makes no tail calls
 * (sanitizer builds). */
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define VMB_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(VMB_ASAN)
#define LINK_MAX 256u
#else
#define LINK_MAX POLL_INSNS
#endif

void exec_reset(struct cpu *c, const struct x86_state *boot)
{
	c->s = *boot;
	c->lf.op = LF_NONE;
	c->sti_shadow = false;
	c->halted = false;
	c->irq_check = true;
	tlb_flush(&c->tlb, false);
}

void exec_restore(struct cpu *c, const struct snapshot_cpu *in)
{
	exec_reset(c, &in->s);
	c->apic = in->apic;
	c->halted = in->halted;
	c->sti_shadow = in->sti_shadow;
	icache_flush(c);
	c->prev = NULL;
}

static void sleep_ticks(const struct cpu *c, uint64_t ticks)
{
	uint64_t ns = ticks * 1000000ull / (c->apic.tsc_khz ? c->apic.tsc_khz : 1);
	struct timespec ts = { (time_t)(ns / 1000000000ull),
			       (long)(ns % 1000000000ull) };

	nanosleep(&ts, NULL);
}

/* HLT: sleep to the next timer event. OP_OK to continue, OP_STOP. */
static int halt_wait(struct cpu *c, uint64_t deadline)
{
	uint64_t now = __rdtsc(), next;

	if (!(c->s.rflags & X86_RFLAGS_IF))
		return cpu_stop(c, RUN_EXIT_HALTED,
				"HLT with interrupts disabled at RIP %#llx: "
				"the vCPU never wakes",
				(unsigned long long)c->s.rip);
	x2apic_update(&c->apic, now);
	c->irq_check = true;
	if (x2apic_pending_vector(&c->apic) >= 0)
		return OP_OK;
	next = x2apic_next_event(&c->apic);
	if (!next)
		return cpu_stop(c, RUN_EXIT_HALTED,
				"HLT with no timer armed at RIP %#llx: the "
				"vCPU never wakes", (unsigned long long)c->s.rip);
	if (deadline && next > deadline)
		next = deadline;
	if (next > now)
		sleep_ticks(c, next - now);
	return OP_OK;
}

static int poll_events(struct cpu *c, uint64_t deadline)
{
	uint64_t now = __rdtsc();

	if (deadline && now >= deadline)
		return cpu_stop(c, RUN_EXIT_TIME_LIMIT,
				"wall-time limit reached at RIP %#llx",
				(unsigned long long)c->s.rip);
	x2apic_update(&c->apic, now);
	c->irq_check = true;
	return OP_OK;
}

static int check_interrupt(struct cpu *c)
{
	int v;

	if (!c->irq_check || !(c->s.rflags & X86_RFLAGS_IF) || c->sti_shadow)
		return OP_OK;
	v = x2apic_pending_vector(&c->apic);
	if (v < 0) {
		c->irq_check = false;
		return OP_OK;
	}
	x2apic_ack(&c->apic, v);
	return intr_inject(c, (unsigned)v);
}

/*
 * The block at c->s.rip: first the successor cache of the block that ran
 * before (c->prev, valid only while no icache flush happened), else the
 * icache. A straddling block is never cached (its tail needs a check).
 */
static inline __attribute__((always_inline)) int
block_find(struct cpu *c, struct block **out)
{
	struct block *p = c->prev;
	uint64_t key = c->s.rip | mem_user(c);
	unsigned slot;
	int rc;

	if (p && c->prev_gen == c->ic.generation) {
		for (unsigned k = 0; k < 2; k++)
			if (p->succ_key[k] == key &&
			    p->succ_epoch[k] == c->tlb.epoch) {
				*out = p->succ[k];
				return OP_OK;
			}
	}
	if ((rc = icache_lookup(c, out)))
		return rc;
	if (p && c->prev_gen == c->ic.generation && (*out)->gpa_tail == 1) {
		slot = p->succ_key[0] != ~0ull;
		p->succ_key[slot] = key;
		p->succ_epoch[slot] = c->tlb.epoch;
		p->succ[slot] = *out;
	}
	return OP_OK;
}

/*
 * Run one block, or a chain that may link on to more blocks until
 * c->icount reaches (link_end) (thread.h; 0: no linking); returns OP_* of
 * the instruction that ended it.
 */
static inline __attribute__((always_inline)) int
run_block(struct cpu *c, uint64_t limit, uint64_t link_end)
{
	const struct insn *i;
	struct block *b;
	uint64_t rip;
	unsigned n, k;
	int rc = block_find(c, &b);

	c->prev = NULL;
	c->link_end = link_end;
	if (rc)
		return rc;
	c->prev_gen = c->ic.generation;
	n = b->n < limit ? b->n : (unsigned)limit;
	c->blk_end = n;
	i = b->insn;
	rip = c->s.rip;
	if (__builtin_expect(n == b->n, 1)) {	/* the whole block: a chain */
		c->blk_rip = rip;
		c->user = mem_user(c);
		c->tlb_cur = &c->tlb.e[TLB_R][mem_duser(c)][0];
		return i->fn(c, i);	/* sets c->prev at a normal end */
	}
	/* RIP in a local, the count added once: a handler sees c->s.rip
	 * current, and only returns change them. */
	for (k = 0; k < c->blk_end; k++, i++) {
		c->next_rip = rip + i->len;
		if (__builtin_expect((rc = i->exec(c, i)) != 0, 0)) {
			c->icount += k;
			return rc;
		}
		c->s.rip = rip = c->next_rip;
	}
	c->icount += k;
	if (b->gpa_tail == 1)
		c->prev = b;
	return OP_OK;
}

/* Nothing for the outer loop to do between two blocks? */
static bool quiet(const struct cpu *c)
{
	return !c->m->exit_requested && !c->halted && !c->sti_shadow &&
	       !(c->irq_check && (c->s.rflags & X86_RFLAGS_IF));
}

/*
 * Run chained blocks while nothing needs the outer loop: about (*budget)
 * instructions (the poll interval; a block counts at least one) and at
 * most up to (icount_end) (0 = no limit). Returns OP_* of the last block.
 */
static int run_blocks(struct cpu *c, uint64_t limit, uint64_t icount_end,
		      unsigned *budget)
{
	uint64_t start, used;
	int rc;

	do {
		if (icount_end) {
			if (c->icount >= icount_end)
				return OP_OK;
			if (icount_end - c->icount < limit)
				limit = icount_end - c->icount;
		}
		start = c->icount;
		/* with a limit, blocks end exactly at it: no linking */
		rc = run_block(c, limit, icount_end ? 0 : start +
				 (*budget < LINK_MAX ? *budget : LINK_MAX));
		used = c->icount - start;
		*budget -= used >= *budget ? *budget : used ? (unsigned)used : 1;
		if (rc)
			return rc;
	} while (*budget && quiet(c));
	return OP_OK;
}

static int step(struct cpu *c, uint64_t insn_limit, uint64_t deadline,
		unsigned *poll)
{
	uint64_t limit = ICACHE_BLOCK_MAX;
	bool shadow = c->sti_shadow;
	int rc;

	if (c->m->exit_requested)
		return OP_STOP;
	if (*poll == 0) {
		*poll = POLL_INSNS;
		if ((rc = poll_events(c, deadline)))
			return rc;
	}
	if (c->halted) {
		if ((rc = halt_wait(c, deadline)))
			return rc;
		if ((rc = poll_events(c, deadline)))
			return rc;
	}
	if ((rc = check_interrupt(c)))
		return rc;
	if (c->halted)
		return OP_OK;
	if (insn_limit && c->icount >= insn_limit)
		return cpu_stop(c, RUN_EXIT_INSN_LIMIT,
				"instruction limit %llu reached",
				(unsigned long long)insn_limit);
	if (shadow) {
		limit = 1;
		--*poll;
		rc = run_block(c, limit, 0);
		c->sti_shadow = false;
	} else {
		rc = run_blocks(c, limit, insn_limit, poll);
	}
	if (rc == OP_FAULT)
		rc = intr_deliver_pending(c);
	return rc;
}

int exec_step(struct cpu *c, struct run_exit *x)
{
	c->exit = x;
	return run_block(c, 1, 0);
}

int exec_run(struct cpu *c, struct run_exit *x, uint64_t insn_limit,
	     uint64_t deadline_tsc)
{
	unsigned poll = POLL_INSNS;
	int rc;

	c->exit = x;
	do
		rc = step(c, insn_limit, deadline_tsc, &poll);
	while (rc == OP_OK);
	if (c->m->exit_requested) {
		x->reason = RUN_EXIT_GUEST;
		x->status = c->m->exit_status;
		x->rip = c->s.rip;
		snprintf(x->message, sizeof(x->message),
			 "guest exited with status %u", c->m->exit_status);
	}
	flags_get(c);
	x->regs = c->s;
	x->regs_valid = true;
	x->fault_addr = c->s.cr2;
	return 0;
}
