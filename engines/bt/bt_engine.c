/*
 * bt_engine.c - struct engine_ops for bt (bt_engine.h): the loop between
 * translated execution and the monitor.
 */
#include "bt/bt_engine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <x86intrin.h>

#include "bt/bt_classify.h"
#include "bt/bt_counters.h"
#include "bt/bt_exec.h"
#include "bt/bt_fast.h"
#include "bt/bt_gs.h"
#include "bt/bt_timer.h"
#include "interp/interp_monitor.h"
#include "machine/snapshot.h"

#define BT_CODE_BYTES (64u << 20)
#define MON_STEP_MAX 1		/* the sensitive instruction alone (+ an STI shadow) */
#define MON_STEP_NEAR 64	/* per step while a timer event is near */
#define MON_STEP_ALIGN 64	/* per step while the guest checks alignment */
#define NEAR_NS 20000		/* "near": about the host timer's latency */

struct bt_engine {
	struct engine *e;
	struct bt_shadow sh;
	struct bt_vcpu v;
	struct bt_timer timer;
	struct interp_monitor *mon;
	bool in_monitor;
	int hook_failed;	/* a shadow operation in a hook failed */
	uint64_t armed_ns;	/* deadline the timer holds, 0 = none */
	uint64_t armed_tsc;	/* the TSC deadline it was armed for */
	uint64_t mon_steps, mon_delivers, irqs;
	uint64_t mon_by_kind[2];	/* [0] MONITOR stops, [1] MMIO: a signal
					 * (BT_STOP_MMIO) or an exit for an
					 * instruction known to touch it */
	uint64_t mon_by_cause[BT_MON_NR]; /* MONITOR stops by instruction */
	uint64_t mon_near;	/* steps run because a timer event was near
				 * (or to an exact limit's last instructions) */
	uint64_t near_tsc;	/* "near": closer than this many TSC ticks */
};

/* ---- hooks: keeping the translator, the shadows and the monitor coherent */

static void protect_if_code(struct bt_engine *b, uint64_t page)
{
	if (interp_monitor_has_code(b->mon, page) &&
	    !bt_shadow_is_code(&b->sh, page) &&
	    bt_shadow_code_protect(&b->sh, page))
		b->hook_failed = 1;
}

/* The monitor wrote guest RAM: drop translations and traced shadows. */
static void hook_write(void *opaque, uint64_t gpa, unsigned len)
{
	struct bt_engine *b = opaque;
	uint64_t page = gpa & ~0xfffull;

	for (uint64_t p = page; p < gpa + len; p += 4096) {
		if (b->sh.policy == BT_SHADOW_TRACE && b->sh.pt_use[p >> 12] &&
		    bt_shadow_pt_write(&b->sh, p))
			b->hook_failed = 1;
	}
	bt_vcpu_note_write(&b->v, gpa, len);
	/* the page may still hold the monitor's code (other chunks): keep
	 * translated writes to it visible */
	for (uint64_t p = page; p < gpa + len; p += 4096)
		protect_if_code(b, p);
}

/* The monitor decoded code on (gpa): translated writes must trap. */
static void hook_code(void *opaque, uint64_t gpa)
{
	struct bt_engine *b = opaque;

	if (!bt_shadow_is_code(&b->sh, gpa) &&
	    bt_shadow_code_protect(&b->sh, gpa))
		b->hook_failed = 1;
}

static void hook_invlpg(void *opaque, uint64_t gva)
{
	struct bt_engine *b = opaque;

	if (bt_shadow_invlpg(&b->sh, gva))
		b->hook_failed = 1;
}

static void hook_cr3(void *opaque, uint64_t cr3)
{
	struct bt_engine *b = opaque;

	if (bt_vcpu_cr3_write(&b->v, cr3))
		b->hook_failed = 1;
}

/* The dispatcher executed INVLPG (gva) itself. */
static int hook_fast_invlpg(void *opaque, uint64_t gva)
{
	struct bt_engine *b = opaque;

	interp_monitor_invlpg(b->mon, gva);
	return bt_shadow_invlpg(&b->sh, gva);
}

/* The dispatcher executed MOV to CR3 itself (it then switches the
 * shadow). */
static void hook_fast_cr3(void *opaque, uint64_t cr3)
{
	struct bt_engine *b = opaque;

	interp_monitor_cr3_write(b->mon, cr3,
				 (b->v.st.cr4 & X86_CR4_PGE) != 0);
}

/* Translated code (or the monitor) wrote a page with translations. */
static void hook_code_drop(void *opaque, uint64_t gpa)
{
	struct bt_engine *b = opaque;

	if (!b->in_monitor)
		interp_monitor_code_written(b->mon, gpa);
}

/* ---- engine ops ---------------------------------------------------------- */

static int bt_probe(char *why, size_t whylen)
{
#if defined(__x86_64__) && defined(__linux__)
	(void)why;
	(void)whylen;
	return 0;	/* windows, signals and a GS base: any x86-64 Linux */
#else
	snprintf(why, whylen, "bt needs an x86-64 Linux host");
	return -1;
#endif
}

static void bt_engine_free(struct bt_engine *b)
{
	bt_timer_stop(&b->timer);
	bt_vcpu_destroy(&b->v);
	bt_shadow_destroy(&b->sh);
	interp_monitor_destroy(b->mon);
	free(b);
}

static void bt_destroy(struct engine *e)
{
	if (e->priv)
		bt_engine_free(e->priv);
	e->priv = NULL;
}

static int bt_create(struct engine *e, const struct vm_config *cfg,
		     char *err, size_t errlen)
{
	const struct x86_state *boot = &e->m->boot_state;
	struct walk_ctx w = { .cr0 = boot->cr0, .cr3 = boot->cr3,
			      .cr4 = boot->cr4, .efer = boot->efer };
	enum bt_shadow_policy pol = BT_SHADOW_VTLB;
	struct interp_monitor_hooks h = {
		.write = hook_write, .code = hook_code,
		.invlpg = hook_invlpg, .cr3_write = hook_cr3,
	};
	struct bt_engine *b;
	char val[32];
	int rc = engine_option(cfg->options, "shadow", val, sizeof(val));

	if (rc < 0 || (rc == 1 && bt_shadow_policy_parse(val, &pol))) {
		snprintf(err, errlen, "bt: option shadow=%s: expected vtlb or "
			 "trace", rc < 0 ? "(too long)" : val);
		return -1;
	}
	bool trust = false;

	rc = engine_option(cfg->options, "layout", val, sizeof(val));
	if (rc < 0 || (rc == 1 && strcmp(val, "check") &&
		       !(trust = !strcmp(val, "trust")))) {
		snprintf(err, errlen, "bt: option layout=%s: expected check or "
			 "trust", rc < 0 ? "(too long)" : val);
		return -1;
	}
	b = calloc(1, sizeof(*b));
	if (!b) {
		snprintf(err, errlen, "bt: out of memory");
		return -1;
	}
	b->e = e;
	b->near_tsc = (uint64_t)NEAR_NS * (e->m->tsc_khz ? e->m->tsc_khz
							 : 1000000) / 1000000;
	h.opaque = b;
	b->mon = interp_monitor_create(e, &h);
	if (!b->mon) {
		free(b);
		snprintf(err, errlen, "bt: out of memory for the monitor");
		return -1;
	}
	if (bt_shadow_create(&b->sh, &e->m->mem, pol, &w, err, errlen)) {
		interp_monitor_destroy(b->mon);
		free(b);
		return -1;
	}
	if (bt_vcpu_create(&b->v, &b->sh, BT_CODE_BYTES, err, errlen)) {
		bt_shadow_destroy(&b->sh);
		interp_monitor_destroy(b->mon);
		free(b);
		return -1;
	}
	/* an exact limit needs every block back in the dispatcher */
	b->v.exact = cfg->insn_limit != 0;
	b->v.layout_trust = trust;
	b->v.invlpg_hook = hook_fast_invlpg;
	b->v.cr3_hook = hook_fast_cr3;
	b->v.hook_opaque = b;
	b->v.code_drop_hook = hook_code_drop;
	b->v.code_drop_opaque = b;
	if (bt_vcpu_state_set(&b->v, boot)) {
		snprintf(err, errlen, "bt: mapping the boot state's shadows "
			 "failed");
		bt_engine_free(b);
		return -1;
	}
	if (bt_timer_start(&b->timer, &b->v, err, errlen)) {
		bt_engine_free(b);
		return -1;
	}
	e->priv = b;
	return 0;
}

/* Host CLOCK_MONOTONIC ns at host TSC (tsc), from now. */
static uint64_t tsc_to_ns(const struct bt_engine *b, uint64_t tsc)
{
	uint64_t now = __rdtsc(), khz = b->e->m->tsc_khz ? b->e->m->tsc_khz : 1;
	uint64_t ns = bt_timer_now_ns();

	return tsc <= now ? ns + 1 : ns + (tsc - now) * 1000000ull / khz;
}

/* Arm the kick for the next timer event or the wall-time limit. */
static void timer_rearm(struct bt_engine *b, uint64_t deadline_tsc)
{
	uint64_t next = interp_monitor_next_event(b->mon), ns;

	if (deadline_tsc && (!next || deadline_tsc < next))
		next = deadline_tsc;
	if (!next) {
		if (b->armed_ns)
			bt_timer_arm(&b->timer, 0);
		b->armed_ns = 0;
		return;
	}
	/* the same deadline as armed: nothing to do, no clock read */
	if (b->armed_ns && next == b->armed_tsc)
		return;
	ns = tsc_to_ns(b, next);
	/* re-arming costs a syscall: only when the deadline moved */
	if (b->armed_ns && ns + 20000 > b->armed_ns && ns < b->armed_ns + 20000) {
		b->armed_tsc = next;
		return;
	}
	bt_timer_arm(&b->timer, ns);
	b->armed_ns = ns;
	b->armed_tsc = next;
}

/* Guest instructions retired: translated + monitor, exact. */
static uint64_t insns_total(const struct bt_engine *b)
{
	return b->v.ctx.icount + interp_monitor_insns(b->mon);
}

static int stop_internal(struct bt_engine *b, struct run_exit *x,
			 const char *what)
{
	x->reason = RUN_EXIT_INTERNAL_ERROR;
	x->rip = b->v.rip;
	snprintf(x->message, sizeof(x->message), "bt: %s at RIP %#llx", what,
		 (unsigned long long)b->v.rip);
	return IMON_STOP;
}

/* After a monitor call: hand the state to the vCPU. */
static int state_back(struct bt_engine *b, const struct x86_state *st,
		      struct run_exit *x)
{
	bool tsc_changed = st->tsc_offset != b->v.st.tsc_offset ||
			   ((st->cr4 ^ b->v.st.cr4) & X86_CR4_TSD);

	if (bt_vcpu_state_set(&b->v, st) || b->hook_failed)
		return stop_internal(b, x, "a shadow update failed (host mmap)");
	if (tsc_changed)
		bt_vcpu_flush_code(&b->v);
	return IMON_OK;
}

/* One monitor call for (stop). IMON_OK or IMON_STOP. */
static int monitor(struct bt_engine *b, const struct bt_stop *stop,
		   unsigned max, struct run_exit *x)
{
	struct x86_state st;
	uint64_t n = 0;
	int rc;

	/* an exact limit reached: nothing more runs, not even a delivery
	 * (the loop stops with RIP at the instruction) */
	if (b->e->cfg.insn_limit && insns_total(b) >= b->e->cfg.insn_limit)
		return IMON_OK;
	bt_vcpu_state_get(&b->v, &st);
	b->in_monitor = true;
	if (stop->kind == BT_STOP_EXCEPTION) {
		b->mon_delivers++;
		rc = interp_monitor_deliver(b->mon, &st, stop->vector,
					    stop->has_error, stop->error,
					    stop->cr2, x);
	} else {
		uint64_t limit = b->e->cfg.insn_limit, done = insns_total(b);

		b->mon_steps++;
		if (stop->kind == BT_STOP_LIMIT)	/* near timer, limit tail */
			b->mon_near++;
		else
			b->mon_by_kind[stop->kind == BT_STOP_MMIO ||
				       (stop->kind == BT_STOP_MONITOR &&
					stop->cause == BT_MON_MMIO)]++;
		if (stop->kind == BT_STOP_MONITOR && stop->cause < BT_MON_NR)
			b->mon_by_cause[stop->cause]++;
		/* an exact limit: not one more (an STI shadow could add one) */
		if (limit && limit - done <= max + 1u)
			rc = interp_monitor_step_exact(b->mon, &st,
					limit - done < max ? (unsigned)(limit - done)
							   : max, &n, x);
		else
			rc = interp_monitor_step(b->mon, &st, max, &n, x);
	}
	b->in_monitor = false;
	if (state_back(b, &st, x))
		return IMON_STOP;
	return rc;
}

/*
 * Is a timer interrupt due within NEAR_NS, deliverable (IF set)? The host
 * timer's signal comes tens of microseconds late on a loaded host, and
 * translated code (a guest spinning for the interrupt) only stops at the
 * kick; the monitor instead checks for the event between steps of
 * MON_STEP_NEAR instructions, so the interrupt comes at its time.
 */
static bool timer_near(struct bt_engine *b, uint64_t now)
{
	uint64_t next;

	if (!(b->v.st.rflags & X86_RFLAGS_IF))
		return false;
	next = interp_monitor_next_event(b->mon);
	if (!next)
		return false;
	return next > now && next - now < b->near_tsc;
}

static int interrupts(struct bt_engine *b, uint64_t now, struct run_exit *x)
{
	struct x86_state st;
	bool inj;
	int rc;

	if (!(b->v.st.rflags & X86_RFLAGS_IF))	/* the APIC's timer only */
		return interp_monitor_irq(b->mon, &b->v.st, now, &inj, x);
	bt_vcpu_state_get(&b->v, &st);
	b->in_monitor = true;
	rc = interp_monitor_irq(b->mon, &st, now, &inj, x);
	b->in_monitor = false;
	if (!inj && rc == IMON_OK)
		return IMON_OK;
	b->irqs += inj;
	if (state_back(b, &st, x))
		return IMON_STOP;
	return rc;
}

static int bt_run(struct engine *e, struct run_exit *x)
{
	struct bt_engine *b = e->priv;
	uint64_t deadline = 0, limit = e->cfg.insn_limit;
	struct bt_stop stop;
	int rc = IMON_OK;

	memset(x, 0, sizeof(*x));
	if (e->cfg.time_limit_s > 0)
		deadline = __rdtsc() + (uint64_t)(e->cfg.time_limit_s *
						  (double)e->m->tsc_khz * 1e3);
	while (rc == IMON_OK) {
		/* one TSC read per round: RDTSC is slow in this VM */
		uint64_t now = __rdtsc();

		if (e->m->exit_requested)
			break;
		if (deadline && now >= deadline) {
			x->reason = RUN_EXIT_TIME_LIMIT;
			snprintf(x->message, sizeof(x->message),
				 "wall-time limit reached at RIP %#llx",
				 (unsigned long long)b->v.rip);
			break;
		}
		if (limit && insns_total(b) >= limit) {
			x->reason = RUN_EXIT_INSN_LIMIT;
			snprintf(x->message, sizeof(x->message),
				 "instruction limit %llu reached",
				 (unsigned long long)limit);
			break;
		}
		if ((rc = interrupts(b, now, x)))
			break;
		if (interp_monitor_halted(b->mon)) {
			struct x86_state st;

			bt_vcpu_state_get(&b->v, &st);
			rc = interp_monitor_halt_wait(b->mon, &st, deadline, x);
			continue;
		}
		if (timer_near(b, now)) {
			/* the kick would come late: interpret up to the
			 * event, checking for it between steps */
			stop.kind = BT_STOP_LIMIT;
			rc = monitor(b, &stop, MON_STEP_NEAR, x);
			continue;
		}
		timer_rearm(b, deadline);
		if (limit)	/* translated blocks that fit whole */
			b->v.icount_stop = b->v.ctx.icount +
					   (limit - insns_total(b));
		b->v.irq_pending = interp_monitor_irq_pending(b->mon);
		bt_exec_run(&b->v, 0, &stop);
		switch (stop.kind) {
		case BT_STOP_KICK:
			b->armed_ns = 0;	/* it fired */
			break;
		case BT_STOP_LIMIT:
			/* the next block would pass the limit: the monitor
			 * runs the rest one instruction at a time */
			rc = monitor(b, &stop, MON_STEP_MAX, x);
			break;
		case BT_STOP_MONITOR:
			/* alignment checking: the monitor runs the guest
			 * (a block at a time) until it is off */
			rc = monitor(b, &stop, stop.cause == BT_MON_ALIGN
					       ? MON_STEP_ALIGN : MON_STEP_MAX, x);
			break;
		case BT_STOP_EXCEPTION:
			/* through the guest IDT without the monitor when
			 * nothing faults (an exact limit reached: the monitor
			 * delivers nothing) */
			if ((!limit || insns_total(b) < limit) &&
			    bt_fast_exception(&b->v, &stop))
				break;
			rc = monitor(b, &stop, MON_STEP_MAX, x);
			break;
		case BT_STOP_MMIO:	/* alone: the next one may be translated */
			rc = monitor(b, &stop, 1, x);
			break;
		default:
			x->reason = RUN_EXIT_INTERNAL_ERROR;
			snprintf(x->message, sizeof(x->message), "%s",
				 stop.message[0] ? stop.message
						 : "bt: unexpected stop");
			rc = IMON_STOP;
			break;
		}
	}
	bt_timer_arm(&b->timer, 0);
	b->armed_ns = 0;
	if (e->m->exit_requested) {
		x->reason = RUN_EXIT_GUEST;
		x->status = e->m->exit_status;
		snprintf(x->message, sizeof(x->message),
			 "guest exited with status %u", e->m->exit_status);
	}
	bt_vcpu_state_get(&b->v, &x->regs);
	x->regs_valid = true;
	x->rip = x->regs.rip;
	x->fault_addr = x->regs.cr2;
	return 0;
}

static void bt_counters(struct engine *e, struct engine_counters *out)
{
	struct bt_engine *b = e->priv;

	memset(out, 0, sizeof(*out));
	out->tsc = __rdtsc();
	if (!b)
		return;
	bt_counters_add(&b->v, out);
	/* the monitor counts each MMIO access it carries out itself */
	out->traps.count[TRAP_MMIO] -= b->v.cnt.mmio_stops;
	interp_monitor_counters(b->mon, out);
	out->instructions = insns_total(b);
	out->instructions_valid = true;
	engine_stat_add(out, "bt_monitor_steps", b->mon_steps);
	engine_stat_add(out, "bt_monitor_steps_insn", b->mon_by_kind[0]);
	engine_stat_add(out, "bt_monitor_steps_mmio", b->mon_by_kind[1]);
	engine_stat_add(out, "bt_monitor_steps_near_timer", b->mon_near);
	engine_stat_add(out, "bt_monitor_exception_deliveries",
			b->mon_delivers);
	engine_stat_add(out, "bt_interrupts_injected", b->irqs);
	for (unsigned k = 0; k < BT_MON_NR; k++) {
		char name[ENGINE_STAT_NAME_MAX];

		if (k == BT_MON_MMIO)	/* in bt_monitor_steps_mmio above */
			continue;
		snprintf(name, sizeof(name), "bt_monitor_steps_%s",
			 bt_mon_cause_name(k));
		engine_stat_add(out, name, b->mon_by_cause[k]);
	}
	engine_stat_add(out, "bt_timer_kicks", b->timer.fires);
}

/* engine_ops.state_get: in a monitor call (the ROI marker's OUT) the
 * monitor holds the precise state, else the vCPU does. */
static int bt_state_get(struct engine *e, struct x86_state *out)
{
	struct bt_engine *b = e->priv;

	if (b->in_monitor)
		interp_monitor_state_get(b->mon, out);
	else
		bt_vcpu_state_get(&b->v, out);
	return 0;
}

/* engine_ops.snapshot: between runs the vCPU holds the state, the
 * monitor the APIC. */
static int bt_snapshot(struct engine *e, void **blob, size_t *len, char *err,
		       size_t errlen)
{
	struct bt_engine *b = e->priv;
	struct snapshot_cpu sc;

	interp_monitor_snapshot(b->mon, &sc);
	bt_vcpu_state_get(&b->v, &sc.s);
	return snapshot_save(e->m, &sc, __rdtsc(), blob, len, err, errlen);
}

/*
 * engine_ops.restore: RAM and page tables are the snapshot's, so every
 * translation and every shadow mapping goes (tracing with them), then the
 * state is set as after a monitor call.
 */
static int bt_restore(struct engine *e, const void *blob, size_t len,
		      char *err, size_t errlen)
{
	struct bt_engine *b = e->priv;
	struct snapshot_cpu sc;

	if (snapshot_load(e->m, blob, len, __rdtsc(), &sc, err, errlen))
		return -1;
	bt_vcpu_flush_code(&b->v);
	interp_monitor_restore(b->mon, &sc);
	if (bt_shadow_flush(&b->sh) || bt_vcpu_state_set(&b->v, &sc.s) ||
	    bt_vcpu_cr3_write(&b->v, sc.s.cr3)) {
		snprintf(err, errlen, "bt: dropping the shadows for the "
			 "restored state failed (host mmap)");
		return -1;
	}
	return 0;
}

static void bt_describe(struct engine *e, char *buf, size_t buflen)
{
	struct bt_engine *b = e->priv;

	snprintf(buf, buflen, "shadow=%s, layout=%s, GS base by %s, interp "
		 "as monitor", b ? bt_shadow_policy_name(b->sh.policy) : "?",
		 b && b->v.layout_trust ? "trust" : "check",
		 bt_gs_method_name(bt_gs_method_get()));
}

const struct engine_ops bt_engine_ops = {
	.name = "bt",
	.technique = "binary translation with shadow paging (user space)",
	.probe = bt_probe,
	.create = bt_create,
	.run = bt_run,
	.counters = bt_counters,
	.describe = bt_describe,
	.destroy = bt_destroy,
	.state_get = bt_state_get,
	.snapshot = bt_snapshot,
	.restore = bt_restore,
};
