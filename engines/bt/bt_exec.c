/*
 * bt_exec.c - dispatcher and precise faults for translated code
 * (bt_exec.h).
 *
 * The fault handler runs in signal context: it may only look at the cache
 * tables (never modified while guest code runs), do shadow fills, and
 * rewrite the interrupted context so that bt_enter() returns as if an exit
 * stub had been taken (bt_exit_resume_host with RDI = ctx).
 */
#include "bt/bt_exec.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "bt/bt_fault.h"
#include "bt/bt_gs.h"
#include "bt/bt_translate.h"
#include "bt/bt_window.h"
#include "machine/guest_mem.h"
#include "machine/x86_state.h"

/* The vCPU whose code is running, for the escape hook (one at a time). */
static struct bt_vcpu *running;

/* ucontext register index of each guest GPR (x86_gpr order). */
static const int greg_of[16] = {
	REG_RAX, REG_RCX, REG_RDX, REG_RBX, REG_RSP, REG_RBP, REG_RSI, REG_RDI,
	REG_R8, REG_R9, REG_R10, REG_R11, REG_R12, REG_R13, REG_R14, REG_R15,
};

/* Guest instruction for host (pc) in (b): the last map entry at or
 * before it. */
static const struct bt_insn_map *map_find(const struct bt_block *b,
					  uintptr_t pc)
{
	uint32_t off = (uint32_t)(pc - (uintptr_t)b->code);
	const struct bt_insn_map *m = NULL;

	for (uint32_t i = 0; i < b->nmap && b->map[i].host_off <= off; i++)
		m = &b->map[i];
	return m;
}

/*
 * Take over a fault at host (uc) in translated code: copy the guest state
 * of the faulting guest instruction into the ctx and make bt_enter()
 * return. Returns false when (uc) is not in translated code.
 */
static bool take_over(struct bt_vcpu *v, ucontext_t *uc)
{
	greg_t *g = uc->uc_mcontext.gregs;
	struct bt_block *b = bt_cache_block_at(&v->cache, (uintptr_t)g[REG_RIP]);
	const struct bt_insn_map *m = b ? map_find(b, (uintptr_t)g[REG_RIP])
					: NULL;

	if (!m)
		return false;
	for (int r = 0; r < 16; r++)
		if (r != X86_RAX || !(m->flags & BT_MAP_RAX_IN_CTX))
			v->ctx.gpr[r] = (uint64_t)g[greg_of[r]];
	v->ctx.rflags = (uint64_t)g[REG_EFL];
	v->fault_stop.rip = b->rip + m->guest_off;
	v->fault_rec.kind = BT_EXIT_FAULT;
	v->fault_rec.ninsn = (uint32_t)(m - b->map);
	v->fault_rec.block = b;
	v->ctx.exit_rec = (uint64_t)(uintptr_t)&v->fault_rec;
	v->cnt.faults_in_code++;
	g[REG_RDI] = (greg_t)(uintptr_t)&v->ctx;
	g[REG_RIP] = (greg_t)(uintptr_t)bt_exit_resume_host;
	return true;
}

static void stop_exception(struct bt_stop *s, uint8_t vector, bool has_error,
			   uint32_t error, uint64_t cr2)
{
	s->kind = BT_STOP_EXCEPTION;
	s->vector = vector;
	s->has_error = has_error;
	s->error = error;
	s->cr2 = cr2;
}

static enum bt_fault_action window_fault(void *opaque, struct bt_fault *f)
{
	struct bt_vcpu *v = opaque;
	enum bt_space space = f->w == &v->sh->win[BT_SPACE_USER]
				      ? BT_SPACE_USER : BT_SPACE_KERNEL;
	struct bt_shadow_fill fill;
	struct bt_stop *s = &v->fault_stop;
	enum bt_shadow_result r;

	r = bt_shadow_fault(v->sh, space, f->off, f->write, &fill);
	if (r == BT_SHADOW_FILLED)
		return BT_FAULT_RESUME;
	memset(s, 0, sizeof(*s));
	switch (r) {
	case BT_SHADOW_GUEST_PF:
		stop_exception(s, X86_VEC_PF, true, fill.pf_error, fill.gva);
		break;
	case BT_SHADOW_MMIO:
		s->kind = BT_STOP_MMIO;
		s->gpa = fill.gpa;
		s->cr2 = fill.gva;
		break;
	default:
		s->kind = BT_STOP_ERROR;
		snprintf(s->message, sizeof(s->message),
			 "bt: %s fault at window offset 0x%llx (%s)",
			 r == BT_SHADOW_OUTSIDE ? "out-of-window" : "unfillable",
			 (unsigned long long)f->off, f->w->name);
		break;
	}
	return take_over(v, f->uc) ? BT_FAULT_REDIRECTED : BT_FAULT_UNHANDLED;
}

/* Faults outside the windows: #DE from a divide, or a host fault no
 * window explains (internal error if it is in translated code). */
static enum bt_fault_action escape_fault(void *opaque, struct bt_fault *f)
{
	struct bt_vcpu *v = running;
	struct bt_stop *s;

	(void)opaque;
	if (!v)
		return BT_FAULT_UNHANDLED;
	s = &v->fault_stop;
	memset(s, 0, sizeof(*s));
	if (f->signo == SIGFPE) {
		stop_exception(s, X86_VEC_DE, false, 0, 0);
	} else {
		s->kind = BT_STOP_ERROR;
		snprintf(s->message, sizeof(s->message),
			 "bt: host fault (signal %d) at host address 0x%llx "
			 "outside every window, in translated code",
			 f->signo, (unsigned long long)f->addr);
	}
	return take_over(v, f->uc) ? BT_FAULT_REDIRECTED : BT_FAULT_UNHANDLED;
}

int bt_vcpu_create(struct bt_vcpu *v, struct bt_shadow *sh,
		   size_t code_bytes, char *err, size_t errlen)
{
	memset(v, 0, sizeof(*v));
	v->sh = sh;
	v->mem = sh->mem;
	v->ctx.rflags = X86_RFLAGS_FIXED;
	if (bt_cache_create(&v->cache, code_bytes, err, errlen))
		return -1;
	if (bt_fault_install(err, errlen)) {
		bt_cache_destroy(&v->cache);
		return -1;
	}
	for (int s = 0; s < BT_SPACE_NR; s++) {
		if (bt_fault_window_add(&sh->win[s], window_fault, v)) {
			snprintf(err, errlen, "bt: fault registry full");
			bt_vcpu_destroy(v);
			return -1;
		}
	}
	bt_fault_escape_set(escape_fault, NULL);
	return 0;
}

void bt_vcpu_destroy(struct bt_vcpu *v)
{
	if (!v->cache.code)
		return;
	for (int s = 0; s < BT_SPACE_NR; s++)
		bt_fault_window_remove(&v->sh->win[s]);
	bt_fault_escape_set(NULL, NULL);
	bt_fault_uninstall();
	bt_cache_destroy(&v->cache);
}

/* Find or make the block at v->rip; false with (stop) set when the guest
 * takes a fetch fault or the RIP is outside the layout. */
static bool block_get(struct bt_vcpu *v, struct bt_block **out,
		      struct bt_stop *stop)
{
	struct bt_xlate_env env = { .mem = v->mem, .wctx = v->sh->ctx,
				    .ctx = &v->ctx };
	struct walk_result res;
	uint32_t pf_error;
	uint64_t cr2;

	env.wctx.cpl = v->cpl;
	if (!bt_window_gva_ok(v->rip)) {
		stop->kind = BT_STOP_ERROR;
		snprintf(stop->message, sizeof(stop->message),
			 "bt: guest RIP 0x%llx is outside the supported layout "
			 "(user below 2 GiB, kernel in the top 2 GiB)",
			 (unsigned long long)v->rip);
		return false;
	}
	if (page_walk(v->mem, &env.wctx, v->rip, WALK_EXEC, &res, &pf_error)) {
		stop_exception(stop, X86_VEC_PF, true, pf_error, v->rip);
		return false;
	}
	if (!guest_mem_contains(v->mem, res.gpa, 1)) {
		stop->kind = BT_STOP_ERROR;
		snprintf(stop->message, sizeof(stop->message),
			 "bt: guest RIP 0x%llx executes device memory at gpa "
			 "0x%llx", (unsigned long long)v->rip,
			 (unsigned long long)res.gpa);
		return false;
	}
	*out = bt_cache_lookup(&v->cache, v->rip, res.gpa, v->cpl);
	if (*out)
		return true;
	for (int tries = 0; tries < 2; tries++) {
		switch (bt_translate(&v->cache, &env, v->rip, res.gpa, out,
				     &cr2, &pf_error)) {
		case BT_XLATE_OK:
			v->cnt.translations++;
			return true;
		case BT_XLATE_FETCH_FAULT:
			stop_exception(stop, X86_VEC_PF, true, pf_error, cr2);
			return false;
		case BT_XLATE_FULL:
			bt_cache_flush(&v->cache);
			break;
		}
	}
	stop->kind = BT_STOP_ERROR;
	snprintf(stop->message, sizeof(stop->message),
		 "bt: code cache too small for one block");
	return false;
}

void bt_exec_run(struct bt_vcpu *v, uint64_t max_blocks, struct bt_stop *stop)
{
	uint64_t old_gs = bt_gs_get();

	memset(stop, 0, sizeof(*stop));
	for (uint64_t n = 0;; n++) {
		struct bt_block *b;
		struct bt_exit_rec *rec;

		if (max_blocks && n == max_blocks) {
			stop->kind = BT_STOP_LIMIT;
			break;
		}
		if (!block_get(v, &b, stop))
			break;
		if (b->monitor_only) {
			stop->kind = BT_STOP_MONITOR;
			v->cnt.monitor_exits++;
			break;
		}
		v->ctx.rflags = (v->ctx.rflags & BT_HOST_FLAGS) |
				X86_RFLAGS_FIXED;
		v->ctx.entry = (uint64_t)(uintptr_t)b->code;
		bt_gs_set(bt_shadow_gs_base(v->sh, v->cpl == 3 ? BT_SPACE_USER
							       : BT_SPACE_KERNEL));
		running = v;
		bt_enter(&v->ctx);
		running = NULL;
		v->cnt.blocks_run++;
		rec = (struct bt_exit_rec *)(uintptr_t)v->ctx.exit_rec;
		v->cnt.insns += rec->ninsn;
		if (rec->kind == BT_EXIT_FAULT) {
			*stop = v->fault_stop;
			v->rip = stop->rip;
			break;
		}
		if (rec->kind == BT_EXIT_INDIRECT) {
			v->cnt.indirect_exits++;
			v->rip = v->ctx.target;
			continue;
		}
		v->rip = rec->target;
		if (rec->kind == BT_EXIT_MONITOR) {
			stop->kind = BT_STOP_MONITOR;
			v->cnt.monitor_exits++;
			break;
		}
		v->cnt.branch_exits++;
	}
	bt_gs_set(old_gs);
	stop->rip = v->rip;
}
