/*
 * bt_fast.c - sensitive instructions in the dispatcher (bt_fast.h), as
 * the interpreter's op_syscall / op_sysret / deliver_one / op_iretq /
 * op_invlpg / cr_write do them.
 */
#include "bt/bt_fast.h"

#include "bt/bt_gmem.h"
#include "interp/seg.h"
#include "machine/x86_state.h"

_Static_assert(BT_FAST_NR <= sizeof(((struct bt_exec_counters *)0)->fast) /
			     sizeof(uint64_t),
	       "bt_exec_counters.fast too small");

const char *const bt_fast_kind_names[BT_FAST_NR] = {
	[BT_FAST_NONE] = "none", [BT_FAST_SYSCALL] = "syscall",
	[BT_FAST_SYSRETQ] = "sysretq", [BT_FAST_INVLPG] = "invlpg",
	[BT_FAST_INT] = "int", [BT_FAST_IRETQ] = "iretq",
	[BT_FAST_MOV_CR3] = "mov_cr3", [BT_FAST_EXCEPTION] = "exception",
};

/* Flags SYSRET loads from R11 (the interpreter's mask). */
#define SYSRET_FLAGS 0x3c7fd7ull
/* Flags IRETQ loads at any privilege (interp/stack.h stack_load_rflags):
 * CF PF AF ZF SF TF DF OF NT AC ID. */
#define IRET_FLAGS 0x244dd5ull
#define RFLAGS_VM (1ull << 17)

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

static bool canonical(uint64_t va)
{
	return (uint64_t)((int64_t)(va << 16) >> 16) == va;
}

/* ---- guest memory as the interpreter's mem_read_as / mem_write_as ------ */

/* (len) bytes at (va) as a supervisor (cpl 0) or user (3) access; false
 * when the interpreter would fault (non-canonical, #PF) or it is not RAM. */
static bool gread(struct bt_vcpu *v, unsigned cpl, uint64_t va, void *buf,
		  size_t len)
{
	struct bt_gmem_mode m = { .cpl = cpl };
	uint64_t pa;
	uint32_t pe;

	return canonical(va) && canonical(va + len - 1) &&
	       bt_gmem_read(v, m, va, buf, len, &pa, &pe) == BT_GMEM_OK;
}

/* Write (len) bytes ending at (end), as a stack push sequence does: the
 * highest page first (the interpreter pushes downwards). */
static bool gpush(struct bt_vcpu *v, unsigned cpl, uint64_t end,
		  const uint8_t *buf, size_t len)
{
	struct bt_gmem_mode m = { .cpl = cpl };
	uint64_t va = end - len, split = (end - 1) & ~0xfffull, pa;
	uint32_t pe;

	if (!canonical(va) || !canonical(end - 1))
		return false;
	if (split > va) {	/* the frame crosses a page: its top part */
		if (bt_gmem_write(v, m, split, buf + (split - va),
				  (size_t)(end - split), &pa, &pe) !=
		    BT_GMEM_OK)
			return false;
		len = (size_t)(split - va);
	}
	return bt_gmem_write(v, m, va, buf, len, &pa, &pe) == BT_GMEM_OK;
}

/* seg_desc_read: the GDT entry of (sel). */
static bool desc_read(struct bt_vcpu *v, uint16_t sel, uint64_t *d)
{
	if ((sel & 4) || (uint32_t)(sel | 7) > v->st.gdtr.limit)
		return false;			/* #GP(sel) */
	return gread(v, 0, v->st.gdtr.base + (sel & ~7u), d, 8);
}

/* x86_segment_from_desc(), remembered for the last descriptors decoded
 * (a pure function of its inputs: the GDT entry is still read every
 * time). */
static void desc_decode(struct x86_segment *s, uint16_t sel, uint64_t d)
{
	static __thread struct {
		uint64_t desc;
		uint16_t sel;
		bool valid;
		struct x86_segment seg;
	} memo[8];
	unsigned k = (sel >> 3) & 7;

	if (!memo[k].valid || memo[k].desc != d || memo[k].sel != sel) {
		x86_segment_from_desc(&memo[k].seg, sel, d);
		memo[k].desc = d;
		memo[k].sel = sel;
		memo[k].valid = true;
	}
	*s = memo[k].seg;
}

/* seg_code_read: a present 64-bit code segment for (sel). */
static bool code_read(struct bt_vcpu *v, uint16_t sel, struct x86_segment *s)
{
	uint64_t d;

	if ((sel & 0xfffc) == 0 || !desc_read(v, sel, &d))
		return false;
	desc_decode(s, sel, d);
	return s->s && (s->type & 8) && s->l && !s->db && s->present;
}

/* seg_tss_read: 8 bytes at TSS offset (off). */
static bool tss_read(struct bt_vcpu *v, unsigned off, uint64_t *val)
{
	const struct x86_segment *tr = &v->st.tr;

	if (tr->unusable || !tr->present || off + 7 > tr->limit)
		return false;			/* #TS */
	return gread(v, 0, tr->base + off, val, 8);
}

/* ---- the instructions --------------------------------------------------- */

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
	    !canonical(rcx) || (nf & X86_RFLAGS_TF))
		return false;			/* #UD, #GP, single-step */
	if ((nf & X86_RFLAGS_IF) && v->irq_pending)
		return false;
	flags_put(v, nf);
	seg_flat_code(&v->st.seg[X86_CS], (uint16_t)((sel + 16) | 3), 3);
	seg_flat_data(&v->st.seg[X86_SS], (uint16_t)((sel + 8) | 3), 3);
	v->rip = rcx;
	v->cpl = 3;
	return true;
}

/*
 * deliver_one for a software interrupt (soft: INT n, D_SOFT, returning to
 * (ret) after it) or an exception (D_EXC, returning to the faulting
 * instruction, with (err) pushed when has_err): the gate, the target code
 * segment, the stack (TSS.RSPn on a privilege change, TSS.ISTn when the
 * gate names one), the frame, then CS/SS/RSP/RFLAGS/RIP.
 */
static bool deliver(struct bt_vcpu *v, unsigned vec, bool soft, bool has_err,
		    uint32_t err, uint64_t ret)
{
	unsigned cpl = x86_cpl(&v->st), newcpl, ist, n = has_err ? 6 : 5;
	uint64_t gate[2], lo, rsp, off, frame[6], f = flags_full(v), nf;
	struct x86_segment cs;

	if (vec * 16 + 15 > v->st.idtr.limit ||
	    !gread(v, 0, v->st.idtr.base + vec * 16, gate, 16))
		return false;			/* #GP, #PF */
	lo = gate[0];
	if (((lo >> 40) & 0xe) != 0xe || ((lo >> 44) & 1) ||
	    (soft && ((lo >> 45) & 3) < cpl) || !((lo >> 47) & 1))
		return false;			/* #GP, #NP */
	if (!code_read(v, (uint16_t)(lo >> 16), &cs))
		return false;
	newcpl = (cs.type & 4) ? cpl : cs.dpl;	/* conforming keeps CPL */
	if (newcpl > cpl)
		return false;
	ist = (unsigned)(lo >> 32) & 7;
	off = (lo & 0xffff) | ((lo >> 32) & 0xffff0000ull) | (gate[1] << 32);
	rsp = v->ctx.gpr[X86_RSP];
	if (ist) {
		if (!tss_read(v, 36 + (ist - 1) * 8, &rsp))
			return false;
	} else if (newcpl < cpl) {
		if (!tss_read(v, 4 + newcpl * 8, &rsp))
			return false;
	}
	rsp &= ~0xfull;
	nf = f & ~(X86_RFLAGS_TF | X86_RFLAGS_NT | X86_RFLAGS_RF | RFLAGS_VM);
	if (((lo >> 40) & 0xf) == 0xe)		/* interrupt gate */
		nf &= ~X86_RFLAGS_IF;
	if ((soft && (nf & X86_RFLAGS_IF) && v->irq_pending) ||
	    !canonical(off))
		return false;
	/* the frame in memory order (lowest address first) */
	if (has_err)
		frame[0] = err;
	frame[n - 5] = ret;
	frame[n - 4] = v->st.seg[X86_CS].selector;
	frame[n - 3] = f;
	frame[n - 2] = v->ctx.gpr[X86_RSP];
	frame[n - 1] = v->st.seg[X86_SS].selector;
	if (!gpush(v, newcpl == 3 ? 3 : 0, rsp, (const uint8_t *)frame, n * 8))
		return false;			/* #PF, #SS */
	cs.selector = (uint16_t)((cs.selector & ~3) | newcpl);
	cs.dpl = (uint8_t)newcpl;
	v->st.seg[X86_CS] = cs;
	if (newcpl != cpl)
		seg_null(&v->st.seg[X86_SS], (uint16_t)newcpl);
	v->ctx.gpr[X86_RSP] = rsp - n * 8;
	flags_put(v, nf);
	v->rip = off;
	v->cpl = newcpl;
	return true;
}

/* INT n: vectors 0-31 go to the monitor, which counts them as
 * exceptions. */
static bool int_run(struct bt_vcpu *v, unsigned vec, uint64_t next)
{
	return vec >= 32 && deliver(v, vec, true, false, 0, next);
}

/* IRETQ (op_iretq): pop RIP, CS, RFLAGS, RSP, SS; back to the same or an
 * outer privilege. */
static bool iret_run(struct bt_vcpu *v)
{
	unsigned cpl = x86_cpl(&v->st), rpl;
	unsigned iopl = (unsigned)(v->st.rflags >> 12) & 3;
	uint64_t f[5], mask = IRET_FLAGS, nf;
	struct x86_segment cs, ss;

	if (v->st.rflags & (X86_RFLAGS_NT | RFLAGS_VM))
		return false;			/* unusual: the monitor's */
	if (!gread(v, cpl == 3 ? 3 : 0, v->ctx.gpr[X86_RSP], f, sizeof(f)))
		return false;
	rpl = f[1] & 3;
	if (rpl < cpl || !code_read(v, (uint16_t)f[1], &cs))
		return false;			/* #GP, #NP */
	if ((f[4] & 0xfffc) == 0) {
		if (rpl == 3)
			return false;		/* #GP(0) */
		seg_null(&ss, (uint16_t)f[4]);
	} else {
		uint64_t d;

		if (!desc_read(v, (uint16_t)f[4], &d))
			return false;
		desc_decode(&ss, (uint16_t)f[4], d);
		if (!ss.present)
			return false;		/* #SS */
	}
	if (cpl == 0)
		mask |= X86_RFLAGS_IOPL;
	if (cpl <= iopl)
		mask |= X86_RFLAGS_IF;
	nf = (flags_full(v) & ~mask) | (f[2] & mask) | X86_RFLAGS_FIXED;
	/* single-stepping, NT, or a return the next fetch faults on: the
	 * monitor's; an interrupt it unmasks: delivered after it there */
	if ((nf & (X86_RFLAGS_TF | X86_RFLAGS_NT)) || !canonical(f[0]) ||
	    ((nf & X86_RFLAGS_IF) && v->irq_pending))
		return false;
	flags_put(v, nf);
	cs.dpl = (uint8_t)rpl;
	v->st.seg[X86_CS] = cs;
	v->st.seg[X86_SS] = ss;
	v->ctx.gpr[X86_RSP] = f[3];
	v->rip = f[0];
	v->cpl = rpl;
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

/* MOV to CR3 at CPL0 (cr_write): bit 63 (no-flush, which needs PCIDE,
 * never set here) is dropped; the monitor counts it and flushes its TLB
 * (keeping global pages with CR4.PGE), the shadow switches or flushes. */
static bool cr3_run(struct bt_vcpu *v, unsigned reg, uint64_t next)
{
	uint64_t cr3;

	if (x86_cpl(&v->st) != 0 || !v->cr3_hook || reg >= X86_NGPR)
		return false;			/* #GP */
	cr3 = v->ctx.gpr[reg] & ~(1ull << 63);
	v->cr3_hook(v->hook_opaque, cr3);
	if (bt_vcpu_cr3_write(v, cr3))
		v->fast_failed = true;
	v->rip = next;
	return true;
}

bool bt_fast_exception(struct bt_vcpu *v, const struct bt_stop *stop)
{
	if (stop->kind != BT_STOP_EXCEPTION || stop->vector >= 32 ||
	    (v->st.rflags & X86_RFLAGS_TF) ||
	    !deliver(v, stop->vector, false, stop->has_error, stop->error,
		     v->rip))
		return false;
	if (stop->vector == X86_VEC_PF)
		bt_vcpu_cr2_write(v, stop->cr2);
	v->cnt.fast[BT_FAST_EXCEPTION]++;
	return true;
}

bool bt_fast_run(struct bt_vcpu *v, enum bt_fast_kind kind, unsigned len,
		 const struct bt_fast_mem *mem)
{
	bool ok;

	if (v->icount_stop && v->ctx.icount + 1 > v->icount_stop)
		return false;
	/* single-stepping is the monitor's (and not in the guest's use) */
	if (v->st.rflags & X86_RFLAGS_TF)
		return false;
	switch (kind) {
	case BT_FAST_SYSCALL: ok = syscall_run(v, v->rip + len); break;
	case BT_FAST_SYSRETQ: ok = sysret_run(v); break;
	case BT_FAST_INVLPG: ok = invlpg_run(v, mem, v->rip + len); break;
	case BT_FAST_INT:
		ok = int_run(v, (unsigned)mem->disp & 0xff, v->rip + len);
		break;
	case BT_FAST_IRETQ: ok = iret_run(v); break;
	case BT_FAST_MOV_CR3: ok = cr3_run(v, mem->base, v->rip + len); break;
	default: return false;
	}
	if (ok) {
		/* INT n raises an event: not retired (the interpreter's
		 * count) */
		v->ctx.icount += kind != BT_FAST_INT;
		v->cnt.fast[kind]++;
	}
	return ok;
}
