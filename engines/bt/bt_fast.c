/*
 * bt_fast.c - SYSCALL and SYSRETQ in the dispatcher (bt_fast.h), as the
 * interpreter's op_syscall / op_sysret do them.
 */
#include "bt/bt_fast.h"

#include "interp/seg.h"
#include "machine/x86_state.h"

/* Flags SYSRET loads from R11 (the interpreter's mask). */
#define SYSRET_FLAGS 0x3c7fd7ull

static uint64_t flags_full(const struct bt_vcpu *v)
{
	return (v->st.rflags & ~BT_HOST_FLAGS) |
	       (v->ctx.rflags & BT_HOST_FLAGS) | X86_RFLAGS_FIXED;
}

static void flags_put(struct bt_vcpu *v, uint64_t f)
{
	v->st.rflags = f;
	v->ctx.rflags = (f & BT_HOST_FLAGS) | X86_RFLAGS_FIXED;
}

static bool syscall_run(struct bt_vcpu *v, uint64_t next)
{
	uint16_t sel = (uint16_t)(v->st.star >> 32);
	uint64_t f = flags_full(v), nf;

	if (!(v->st.efer & X86_EFER_SCE))
		return false;			/* #UD */
	nf = (f & ~(v->st.sfmask | X86_RFLAGS_RF)) | X86_RFLAGS_FIXED;
	if ((nf & X86_RFLAGS_IF) && v->irq_pending)
		return false;
	v->ctx.gpr[X86_RCX] = next;
	v->ctx.gpr[X86_R11] = f & ~X86_RFLAGS_RF;
	flags_put(v, nf);
	seg_flat_code(&v->st.seg[X86_CS], sel & 0xfffc, 0);
	seg_flat_data(&v->st.seg[X86_SS], (uint16_t)(sel + 8), 0);
	v->rip = v->st.lstar;
	v->cpl = 0;
	return true;
}

static bool sysret_run(struct bt_vcpu *v)
{
	uint16_t sel = (uint16_t)(v->st.star >> 48);
	uint64_t rcx = v->ctx.gpr[X86_RCX];
	uint64_t nf = (v->ctx.gpr[X86_R11] & SYSRET_FLAGS) | X86_RFLAGS_FIXED;

	if (!(v->st.efer & X86_EFER_SCE) || x86_cpl(&v->st) != 0 ||
	    (uint64_t)((int64_t)(rcx << 16) >> 16) != rcx)
		return false;			/* #UD, #GP */
	if ((nf & X86_RFLAGS_IF) && v->irq_pending)
		return false;
	flags_put(v, nf);
	seg_flat_code(&v->st.seg[X86_CS], (uint16_t)((sel + 16) | 3), 3);
	seg_flat_data(&v->st.seg[X86_SS], (uint16_t)((sel + 8) | 3), 3);
	v->rip = rcx;
	v->cpl = 3;
	return true;
}

/* INVLPG at CPL0: the shadow and the monitor's TLB forget the page. */
static bool invlpg_run(struct bt_vcpu *v, const struct bt_fast_mem *m,
		       uint64_t next)
{
	uint64_t ea = (uint64_t)m->disp;

	if (x86_cpl(&v->st) != 0 || !v->invlpg_hook)
		return false;			/* #GP */
	if (m->base != BT_FAST_NOREG)
		ea += v->ctx.gpr[m->base];
	if (m->index != BT_FAST_NOREG)
		ea += v->ctx.gpr[m->index] * m->scale;
	if (v->invlpg_hook(v->hook_opaque, ea))
		v->fast_failed = true;
	v->rip = next;
	return true;
}

bool bt_fast_run(struct bt_vcpu *v, enum bt_fast_kind kind, unsigned len,
		 const struct bt_fast_mem *mem)
{
	bool ok;

	if (v->icount_stop && v->ctx.icount + 1 > v->icount_stop)
		return false;
	/* single-stepping is the monitor's (and not in the guest's use) */
	if ((v->st.rflags & X86_RFLAGS_TF) ||
	    (kind == BT_FAST_SYSRETQ && (v->ctx.gpr[X86_R11] & X86_RFLAGS_TF)))
		return false;
	switch (kind) {
	case BT_FAST_SYSCALL: ok = syscall_run(v, v->rip + len); break;
	case BT_FAST_SYSRETQ: ok = sysret_run(v); break;
	case BT_FAST_INVLPG: ok = invlpg_run(v, mem, v->rip + len); break;
	default: return false;
	}
	if (ok) {
		v->ctx.icount++;
		v->cnt.fast[kind]++;
	}
	return ok;
}
