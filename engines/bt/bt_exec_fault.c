/*
 * bt_exec_fault.c - host faults in translated code become precise guest
 * stops (bt_exec_fault.h).
 *
 * Everything here runs in signal context: it may only look at the cache
 * tables (never modified while guest code runs), do shadow fills, and
 * rewrite the interrupted context so that bt_enter() returns as if an exit
 * stub had been taken (bt_exit_resume_host with RDI = ctx).
 */
#include "bt/bt_exec_fault.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "bt/bt_classify.h"
#include "bt/bt_window.h"

struct bt_vcpu *bt_exec_running;

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

static struct bt_block *code_block_at(struct bt_vcpu *v, uintptr_t pc)
{
	struct bt_block *b = bt_cache_block_at(&v->cache, pc);

	return b ? b : bt_cache_block_at(&v->step, pc);
}

/*
 * Take over a fault at host (uc) in translated code: copy the guest state
 * of the faulting guest instruction into the ctx and make bt_enter()
 * return. Returns false when (uc) is not in translated code.
 */
static bool take_over(struct bt_vcpu *v, ucontext_t *uc)
{
	greg_t *g = uc->uc_mcontext.gregs;
	struct bt_block *b = code_block_at(v, (uintptr_t)g[REG_RIP]);
	const struct bt_insn_map *m = b ? map_find(b, (uintptr_t)g[REG_RIP])
					: NULL;

	if (!m)
		return false;
	for (int r = 0; r < 16; r++)
		if (r != X86_RAX || !(m->flags & BT_MAP_RAX_IN_CTX))
			v->ctx.gpr[r] = (uint64_t)g[greg_of[r]];
	if (m->flags & BT_MAP_RCX_IN_XMM15)	/* a layout check's spill */
		memcpy(&v->ctx.gpr[X86_RCX],
		       uc->uc_mcontext.fpregs->_xmm[15].element, 8);
	v->ctx.rflags = (uint64_t)g[REG_EFL];
	v->fault_stop.rip = b->rip + m->guest_off;
	v->fault_rec.kind = BT_EXIT_FAULT;
	v->fault_rec.ninsn = (uint32_t)(m - b->map);
	/* the prologue counted the whole block; this one did not retire */
	v->fault_uncount = b->ninsn - v->fault_rec.ninsn;
	v->fault_rec.block = b;
	v->ctx.exit_rec = (uint64_t)(uintptr_t)&v->fault_rec;
	v->cnt.faults_in_code++;
	g[REG_RDI] = (greg_t)(uintptr_t)&v->ctx;
	g[REG_RIP] = (greg_t)(uintptr_t)bt_exit_resume_host;
	return true;
}

void bt_stop_exception(struct bt_stop *s, uint8_t vector, bool has_error,
			   uint32_t error, uint64_t cr2)
{
	s->kind = BT_STOP_EXCEPTION;
	s->vector = vector;
	s->has_error = has_error;
	s->error = error;
	s->cr2 = cr2;
}

enum bt_fault_action bt_exec_window_fault(void *opaque, struct bt_fault *f)
{
	struct bt_vcpu *v = opaque;
	struct bt_shadow_fill fill;
	struct bt_stop *s = &v->fault_stop;
	enum bt_shadow_result r = BT_SHADOW_ERROR;
	enum bt_space space;
	unsigned as;

	/* only the current space's windows are ever under the GS base */
	if (bt_shadow_window_find(v->sh, f->w, &as, &space) &&
	    &v->sh->as[as] == v->sh->cur) {
		/* the user window maps nothing at or above 2^31 (the kernel
		 * half, or past the user half): the monitor carries such an
		 * access out, so loops hoisted under a guard plan
		 * (bt_loop.h) stop there exactly */
		if (space == BT_SPACE_USER && f->off >= 0x80000000ull &&
		    !v->layout_trust)
			r = BT_SHADOW_OUTSIDE;
		else
			r = bt_shadow_fault(v->sh, space, f->off, f->write,
					    &fill);
	}
	if (r == BT_SHADOW_FILLED)
		return BT_FAULT_RESUME;
	if (r == BT_SHADOW_PT_WRITE) {
		/* trace: a plain store to a traced page table is carried out
		 * here and skipped; the table stays traced */
		struct bt_fault_store st;

		if (bt_fault_store_decode(f, &st) && st.off == f->off &&
		    (st.off & 4095) + st.size <= 4096 &&
		    !bt_shadow_pt_store(v->sh, fill.gpa, st.value, st.size)) {
			v->cnt.pt_writes++;
			f->uc->uc_mcontext.gregs[REG_RIP] += st.len;
			/* a write flood untraced the table: the rest of the
			 * burst follows at once, so map it writable now
			 * rather than at the next store's fault */
			if (!bt_shadow_is_traced(v->sh, fill.gpa) &&
			    bt_shadow_fault(v->sh, space, f->off, true, &fill) ==
				    BT_SHADOW_FILLED)
				v->sh->cnt.pt_flood_fills++;
			return BT_FAULT_RESUME;
		}
	}
	memset(s, 0, sizeof(*s));
	switch (r) {
	case BT_SHADOW_GUEST_PF:
		bt_stop_exception(s, X86_VEC_PF, true, fill.pf_error, fill.gva);
		break;
	case BT_SHADOW_CODE_WRITE:
		s->kind = BT_STOP_CODE_WRITE;
		s->gpa = fill.gpa;
		break;
	case BT_SHADOW_PT_WRITE:
		s->kind = BT_STOP_PT_WRITE;
		s->gpa = fill.gpa;
		break;
	case BT_SHADOW_MMIO:
		s->kind = BT_STOP_MMIO;
		s->gpa = fill.gpa;
		s->cr2 = fill.gva;
		break;
	case BT_SHADOW_OUTSIDE:
		/* past the window's 4 GiB (an access that wraps the top
		 * of the address space), or the user window's upper half:
		 * the monitor runs it exactly */
		s->kind = BT_STOP_MONITOR;
		s->cause = BT_MON_LAYOUT;
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

/* The kick page faulted in a block prologue: stop before the block. */
static bool take_over_kick(struct bt_vcpu *v, ucontext_t *uc)
{
	greg_t *g = uc->uc_mcontext.gregs;
	struct bt_block *b = code_block_at(v, (uintptr_t)g[REG_RIP]);

	if (!b || (uintptr_t)g[REG_RIP] - (uintptr_t)b->code >= BT_BLOCK_PROLOGUE)
		return false;
	for (int r = 0; r < 16; r++)
		v->ctx.gpr[r] = (uint64_t)g[greg_of[r]];
	v->ctx.rflags = (uint64_t)g[REG_EFL];
	memset(&v->fault_stop, 0, sizeof(v->fault_stop));
	v->fault_stop.kind = BT_STOP_KICK;
	v->fault_stop.rip = b->rip;
	v->fault_rec.kind = BT_EXIT_FAULT;
	v->fault_rec.ninsn = 0;
	v->fault_uncount = 0;	/* the prologue's load faulted: no count */
	v->fault_rec.block = b;
	v->ctx.exit_rec = (uint64_t)(uintptr_t)&v->fault_rec;
	g[REG_RDI] = (greg_t)(uintptr_t)&v->ctx;
	g[REG_RIP] = (greg_t)(uintptr_t)bt_exit_resume_host;
	return true;
}

/* Faults outside the windows: #DE from a divide, #UD from an instruction
 * the host refuses, or a host fault no window explains (internal error if
 * it is in translated code). */
enum bt_fault_action bt_exec_escape_fault(void *opaque, struct bt_fault *f)
{
	struct bt_vcpu *v = bt_exec_running;
	struct bt_stop *s;

	(void)opaque;
	if (!v)
		return BT_FAULT_UNHANDLED;
	if (f->signo == SIGSEGV &&
	    (f->addr - (uintptr_t)(v->cache.data + BT_CACHE_KICK) < 4096 ||
	     f->addr - (uintptr_t)(v->step.data + BT_CACHE_KICK) < 4096))
		return take_over_kick(v, f->uc) ? BT_FAULT_REDIRECTED
						: BT_FAULT_UNHANDLED;
	s = &v->fault_stop;
	memset(s, 0, sizeof(*s));
	if (f->signo == SIGFPE) {
		bt_stop_exception(s, X86_VEC_DE, false, 0, 0);
	} else if (f->signo == SIGILL) {
		bt_stop_exception(s, X86_VEC_UD, false, 0, 0);
	} else {
		s->kind = BT_STOP_ERROR;
		snprintf(s->message, sizeof(s->message),
			 "bt: host fault (signal %d) at host address 0x%llx "
			 "outside every window, in translated code",
			 f->signo, (unsigned long long)f->addr);
	}
	return take_over(v, f->uc) ? BT_FAULT_REDIRECTED : BT_FAULT_UNHANDLED;
}

