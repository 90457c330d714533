/*
 * bt_loop.c - counted self-loops and the layout checks hoisted out of
 * them (bt_loop.h).
 */
#include "bt/bt_loop.h"

#include <string.h>

#define RCX 1
#define RSP 4

static int gpr64(ZydisRegister r)
{
	ZydisRegister g;

	if (r == ZYDIS_REGISTER_NONE)
		return -1;
	g = ZydisRegisterGetLargestEnclosing(ZYDIS_MACHINE_MODE_LONG_64, r);
	if (ZydisRegisterGetClass(g) != ZYDIS_REGCLASS_GPR64)
		return -1;
	return ZydisRegisterGetId(g);
}

/* A full 64-bit general register operand: its id, else -1. */
static int reg64(const ZydisDecodedOperand *o)
{
	if (o->type != ZYDIS_OPERAND_TYPE_REGISTER ||
	    ZydisRegisterGetClass(o->reg.value) != ZYDIS_REGCLASS_GPR64)
		return -1;
	return ZydisRegisterGetId(o->reg.value);
}

static int64_t imm_of(const ZydisDecodedOperand *o)
{
	return o->imm.is_signed ? o->imm.value.s : (int64_t)o->imm.value.u;
}

void bt_loop_insn_describe(const ZydisDecodedInstruction *in,
			   const ZydisDecodedOperand *ops, uint64_t rip,
			   uint64_t block_rip, struct bt_loop_insn *li)
{
	int d = in->operand_count_visible ? reg64(&ops[0]) : -1;
	bool w64 = in->operand_width == 64;

	memset(li, 0, sizeof(*li));
	li->upd_reg = li->cmp_a = li->cmp_b = BT_LOOP_NOREG;
	li->base = li->index = BT_LOOP_NOREG;
	for (unsigned i = 0; i < in->operand_count; i++) {
		int g;

		if (ops[i].type != ZYDIS_OPERAND_TYPE_REGISTER ||
		    !(ops[i].actions & ZYDIS_OPERAND_ACTION_MASK_WRITE))
			continue;
		if ((g = gpr64(ops[i].reg.value)) >= 0)
			li->writes |= (uint16_t)(1u << g);
	}
	switch (in->mnemonic) {
	case ZYDIS_MNEMONIC_ADD:
	case ZYDIS_MNEMONIC_SUB:
		if (w64 && d >= 0 && in->operand_count_visible == 2 &&
		    ops[1].type == ZYDIS_OPERAND_TYPE_IMMEDIATE) {
			li->upd_reg = (uint8_t)d;
			li->upd_flags = true;
			li->step = in->mnemonic == ZYDIS_MNEMONIC_ADD
					   ? imm_of(&ops[1]) : -imm_of(&ops[1]);
		}
		break;
	case ZYDIS_MNEMONIC_INC:
	case ZYDIS_MNEMONIC_DEC:
		if (w64 && d >= 0) {
			li->upd_reg = (uint8_t)d;
			li->upd_flags = true;
			li->step = in->mnemonic == ZYDIS_MNEMONIC_INC ? 1 : -1;
		}
		break;
	case ZYDIS_MNEMONIC_LEA:
		if (w64 && d >= 0 && in->address_width == 64 &&
		    ops[1].type == ZYDIS_OPERAND_TYPE_MEMORY &&
		    gpr64(ops[1].mem.base) == d &&
		    ops[1].mem.index == ZYDIS_REGISTER_NONE &&
		    ops[1].mem.segment != ZYDIS_REGISTER_FS &&
		    ops[1].mem.segment != ZYDIS_REGISTER_GS) {
			li->upd_reg = (uint8_t)d;
			li->step = ops[1].mem.disp.has_displacement
					   ? ops[1].mem.disp.value : 0;
		}
		break;
	case ZYDIS_MNEMONIC_CMP:
		if (!w64 || d < 0 || in->operand_count_visible != 2)
			break;
		if (reg64(&ops[1]) >= 0) {
			li->cmp = true;
			li->cmp_a = (uint8_t)d;
			li->cmp_b = (uint8_t)reg64(&ops[1]);
		} else if (ops[1].type == ZYDIS_OPERAND_TYPE_IMMEDIATE) {
			li->cmp = true;
			li->cmp_a = (uint8_t)d;
			li->cmp_imm = imm_of(&ops[1]);
		}
		break;
	default:
		break;
	}
	if (in->meta.category == ZYDIS_CATEGORY_COND_BR) {
		ZyanU64 t;

		li->jcc_self = in->operand_count_visible == 1 &&
			       ops[0].type == ZYDIS_OPERAND_TYPE_IMMEDIATE &&
			       ZYAN_SUCCESS(ZydisCalcAbsoluteAddress(
				       in, &ops[0], rip, &t)) &&
			       t == block_rip;
		li->jne_self = li->jcc_self &&
			       in->mnemonic == ZYDIS_MNEMONIC_JNZ;
	}
}

/* ---- the register facts (bt_loop.h struct bt_loop_track) ------------- */

#define FACT_MAX (1ll << 40)	/* bounds beyond this are not followed */

/* A linear expression: up to two registers with coefficients, + [lo, hi]. */
struct expr {
	unsigned n;
	uint8_t reg[2];
	int64_t coef[2];
	int64_t lo, hi;
	bool ok;
};

static void expr_term(struct expr *e, uint8_t reg, int64_t coef)
{
	if (reg == BT_LOOP_NOREG || coef == 0)
		return;
	for (unsigned i = 0; i < e->n; i++) {
		if (e->reg[i] == reg) {
			e->coef[i] += coef;
			return;
		}
	}
	if (e->n == 2) {
		e->ok = false;
		return;
	}
	e->reg[e->n] = reg;
	e->coef[e->n++] = coef;
}

static void expr_range(struct expr *e, int64_t lo, int64_t hi)
{
	e->lo += lo;
	e->hi += hi;
	if (e->lo < -FACT_MAX || e->hi > FACT_MAX || e->lo > e->hi)
		e->ok = false;
}

/* Add (coef) times register (r), through what is known of it. */
static void expr_reg(struct expr *e, const struct bt_loop_track *t,
		     uint8_t r, int64_t coef)
{
	const struct bt_loop_fact *f;

	if (r == BT_LOOP_NOREG)
		return;
	f = &t->r[r];
	if (!f->valid) {
		expr_term(e, r, coef);
		return;
	}
	if (coef <= 0 || coef > 8) {
		e->ok = false;
		return;
	}
	expr_term(e, f->base, coef);
	expr_term(e, f->index, coef * f->scale);
	expr_range(e, coef * f->lo, coef * f->hi);
}

/* (e) as base + index*scale + [lo, hi]: false when it has no such form. */
static bool expr_fact(const struct expr *e, struct bt_loop_fact *f)
{
	int b = -1, ix = -1;

	if (!e->ok)
		return false;
	for (unsigned i = 0; i < e->n; i++) {
		if (e->coef[i] == 0)
			continue;
		if (e->coef[i] == 1 && b < 0)
			b = (int)i;
		else if (ix < 0 && (e->coef[i] == 1 || e->coef[i] == 2 ||
				    e->coef[i] == 4 || e->coef[i] == 8))
			ix = (int)i;
		else
			return false;
	}
	*f = (struct bt_loop_fact){
		.valid = true,
		.base = b < 0 ? BT_LOOP_NOREG : e->reg[b],
		.index = ix < 0 ? BT_LOOP_NOREG : e->reg[ix],
		.scale = ix < 0 ? 0 : (uint8_t)e->coef[ix],
		.lo = e->lo, .hi = e->hi };
	return true;
}

void bt_loop_track_init(struct bt_loop_track *t)
{
	memset(t, 0, sizeof(*t));
}

void bt_loop_track_step(struct bt_loop_track *t,
			const ZydisDecodedInstruction *in,
			const ZydisDecodedOperand *ops,
			const struct bt_loop_insn *li)
{
	const ZydisDecodedOperand *d = &ops[0], *src = &ops[1];
	struct expr e = { .ok = true };
	struct bt_loop_fact nf = { 0 };
	int dst = in->operand_count_visible >= 1 ? reg64(d) : -1;
	bool have = false;

	if (dst < 0 && in->operand_count_visible >= 1 &&
	    d->type == ZYDIS_OPERAND_TYPE_REGISTER &&
	    ZydisRegisterGetClass(d->reg.value) == ZYDIS_REGCLASS_GPR32)
		dst = gpr64(d->reg.value);	/* zero-extends */
	if (dst >= 0 && in->operand_count_visible == 2) {
		bool w64 = d->size == 64;

		switch (in->mnemonic) {
		case ZYDIS_MNEMONIC_MOVZX:
			expr_range(&e, 0, src->size == 8 ? 0xff : 0xffff);
			have = src->size <= 16;
			break;
		case ZYDIS_MNEMONIC_MOV:
			if (src->type == ZYDIS_OPERAND_TYPE_IMMEDIATE) {
				int64_t v = imm_of(src);

				if (!w64)
					v = (int64_t)(uint32_t)v;
				expr_range(&e, v, v);
				have = true;
			} else if (reg64(src) >= 0 && w64) {
				expr_reg(&e, t, (uint8_t)reg64(src), 1);
				have = true;
			} else if (src->type == ZYDIS_OPERAND_TYPE_REGISTER &&
				   !w64) {
				int s = gpr64(src->reg.value);
				const struct bt_loop_fact *f = &t->r[s];

				/* a 32-bit copy of a small value */
				if (s >= 0 && f->valid &&
				    f->base == BT_LOOP_NOREG &&
				    f->index == BT_LOOP_NOREG && f->lo >= 0 &&
				    f->hi <= 0xffffffffll) {
					expr_range(&e, f->lo, f->hi);
					have = true;
				}
			}
			break;
		case ZYDIS_MNEMONIC_AND:
			if (src->type == ZYDIS_OPERAND_TYPE_IMMEDIATE) {
				int64_t v = imm_of(src);

				if (!w64)
					v = (int64_t)(uint32_t)v;
				if (v >= 0) {
					expr_range(&e, 0, v);
					have = true;
				}
			}
			break;
		case ZYDIS_MNEMONIC_XOR:
			if (src->type == ZYDIS_OPERAND_TYPE_REGISTER &&
			    src->reg.value == d->reg.value)
				have = true;	/* [0, 0] */
			break;
		case ZYDIS_MNEMONIC_LEA:
			if (w64 && in->address_width == 64 &&
			    src->mem.base != ZYDIS_REGISTER_RIP &&
			    src->mem.segment != ZYDIS_REGISTER_FS &&
			    src->mem.segment != ZYDIS_REGISTER_GS) {
				int b = gpr64(src->mem.base);
				int ix = gpr64(src->mem.index);
				int64_t disp = src->mem.disp.has_displacement
						       ? src->mem.disp.value : 0;

				if (b >= 0)
					expr_reg(&e, t, (uint8_t)b, 1);
				if (ix >= 0)
					expr_reg(&e, t, (uint8_t)ix,
						 src->mem.scale);
				expr_range(&e, disp, disp);
				have = true;
			}
			break;
		case ZYDIS_MNEMONIC_ADD:
		case ZYDIS_MNEMONIC_SUB:
			/* only from what is known of the destination */
			if (!w64 || !t->r[dst].valid)
				break;
			expr_reg(&e, t, (uint8_t)dst, 1);
			if (src->type == ZYDIS_OPERAND_TYPE_IMMEDIATE) {
				int64_t v = imm_of(src);

				if (in->mnemonic == ZYDIS_MNEMONIC_SUB)
					v = -v;
				expr_range(&e, v, v);
				have = true;
			} else if (reg64(src) >= 0 &&
				   in->mnemonic == ZYDIS_MNEMONIC_ADD) {
				expr_reg(&e, t, (uint8_t)reg64(src), 1);
				have = true;
			}
			break;
		default:
			break;
		}
		have = have && expr_fact(&e, &nf);
		/* a fact about dst may not name dst (its old value) */
		if (have && (nf.base == dst || nf.index == dst))
			have = false;
	}
	for (unsigned r = 0; r < 16; r++) {
		struct bt_loop_fact *f = &t->r[r];

		if ((li->writes >> r & 1) ||
		    (f->base != BT_LOOP_NOREG && (li->writes >> f->base & 1)) ||
		    (f->index != BT_LOOP_NOREG && (li->writes >> f->index & 1)))
			f->valid = false;
	}
	if (have && (li->writes == (uint16_t)(1u << dst)))
		t->r[dst] = nf;
}

void bt_loop_track_addr(const struct bt_loop_track *t, struct bt_loop_insn *li)
{
	struct expr e = { .ok = true };
	struct bt_loop_fact f;

	if (!li->checked)
		return;
	expr_reg(&e, t, li->base, 1);
	expr_reg(&e, t, li->index, li->index == BT_LOOP_NOREG ? 0 : li->scale);
	if (!expr_fact(&e, &f) || f.hi - f.lo > (1ll << 20))
		return;
	li->base = f.base;
	li->index = f.index;
	li->scale = f.scale;
	li->disp += f.lo;
	li->wide = (uint64_t)(f.hi - f.lo);
}

/* Is (s) +-2^j with j <= 16? Then *j. */
static bool step_ok(int64_t s, unsigned *j)
{
	uint64_t a = s < 0 ? (uint64_t)-s : (uint64_t)s;

	if (s == 0 || a > (1u << 16) || (a & (a - 1)))
		return false;
	*j = (unsigned)__builtin_ctzll(a);
	return true;
}

/* Does a point's offset fit the check's LEA (bt_translate.c emit_point:
 * off + 2^31 or off + 2^31 - 2^32 a disp32)? */
static bool off_ok(int64_t off)
{
	return off >= -(1ll << 32) + (1 << 21) &&
	       off <= (1ll << 32) - 1 - (1 << 21);
}

/* The plan's induction (idx, bound, update u) from the block's end. */
static bool induction_find(const struct bt_loop_insn *li, unsigned n,
			   struct bt_loop_plan *p, unsigned *u)
{
	const struct bt_loop_insn *c = &li[n - 2];
	uint16_t others = 0;
	uint8_t cand[2];
	unsigned ncand = 0;

	if (c->cmp) {
		cand[ncand++] = c->cmp_a;
		if (c->cmp_b != BT_LOOP_NOREG)
			cand[ncand++] = c->cmp_b;
	} else if (c->upd_reg != BT_LOOP_NOREG && c->upd_flags) {
		cand[ncand++] = c->upd_reg;	/* ZF: idx == 0 */
	} else {
		return false;
	}
	for (unsigned ci = 0; ci < ncand; ci++) {
		uint8_t r = cand[ci];
		unsigned nupd = 0, at = 0;

		for (unsigned k = 0; k < n; k++) {
			if (!(li[k].writes >> r & 1))
				continue;
			nupd++;
			at = k;
		}
		if (nupd != 1 || li[at].upd_reg != r ||
		    li[at].writes != (uint16_t)(1u << r))
			continue;
		p->idx = r;
		p->step = li[at].step;
		*u = at;
		if (!c->cmp) {
			p->bound = BT_LOOP_NOREG;
			p->bound_imm = 0;
		} else if (c->cmp_b == BT_LOOP_NOREG) {
			p->bound = BT_LOOP_NOREG;
			p->bound_imm = c->cmp_imm;
		} else {
			p->bound = ci == 0 ? c->cmp_b : c->cmp_a;
		}
		break;
	}
	if (ncand == 0 || p->idx == BT_LOOP_NOREG)
		return false;
	for (unsigned k = 0; k < n; k++)
		others |= li[k].writes;
	if (!step_ok(p->step, &p->shift) || p->idx == RCX || p->idx == RSP)
		return false;
	if (p->bound != BT_LOOP_NOREG &&
	    (p->bound == RCX || p->bound == RSP || p->bound == p->idx ||
	     (others >> p->bound & 1)))
		return false;
	/* the pre-header computes bound - idx + 1 (or its negation) as a
	 * disp32 with an immediate bound */
	if (p->bound == BT_LOOP_NOREG &&
	    (p->bound_imm < -(1ll << 31) + 2 || p->bound_imm > (1ll << 31) - 2))
		return false;
	return true;
}

static bool point_add(struct bt_loop_plan *p, uint8_t base, uint8_t index,
		      uint8_t scale, int64_t off)
{
	if (p->npoints == BT_LOOP_POINTS_MAX || !off_ok(off))
		return false;
	p->pt[p->npoints++] = (struct bt_loop_point){
		.base = base, .index = index, .scale = scale, .off = off };
	return true;
}

/* Replace idx by the bound in an address (base, index, off). */
static void bound_subst(const struct bt_loop_plan *p, uint8_t *base,
			uint8_t *index, uint8_t scale, int64_t *off)
{
	if (*base == p->idx) {
		*base = p->bound;
		if (p->bound == BT_LOOP_NOREG)
			*off += p->bound_imm;
	}
	if (*index == p->idx) {
		*index = p->bound;
		if (p->bound == BT_LOOP_NOREG)
			*off += p->bound_imm * scale;
	}
}

/* Plan the points of access (a), at index k (after the update u or not). */
static bool access_plan(struct bt_loop_plan *p, const struct bt_loop_insn *a,
			bool after, uint16_t written)
{
	unsigned save = p->npoints;
	int64_t c = 0, first, last;
	uint8_t b2 = a->base, i2 = a->index;
	int64_t off_last;

	if (a->base == RCX || a->index == RCX || a->wide > (1u << 20))
		return false;
	if (a->base != BT_LOOP_NOREG && a->base != p->idx &&
	    (written >> a->base & 1))
		return false;
	if (a->index != BT_LOOP_NOREG && a->index != p->idx &&
	    (written >> a->index & 1))
		return false;
	if (a->base == p->idx)
		c += 1;
	if (a->index == p->idx)
		c += a->scale;
	if (c == 0)	/* loop-invariant address: both ends once */
		return (point_add(p, a->base, a->index, a->scale, a->disp) &&
			point_add(p, a->base, a->index, a->scale,
				  a->disp + (int64_t)a->wide + a->len - 1)) ||
		       (p->npoints = save, false);
	/* idx at the access: I0 (+ s) first, bound - s (or bound) last */
	first = a->disp + (after ? c * p->step : 0);
	off_last = a->disp - (after ? 0 : c * p->step);
	bound_subst(p, &b2, &i2, a->scale, &off_last);
	last = off_last;
	if (c * p->step > 0) {
		if (point_add(p, a->base, a->index, a->scale, first) &&
		    point_add(p, b2, i2, a->scale,
			      last + (int64_t)a->wide + a->len - 1))
			return true;
	} else if (point_add(p, b2, i2, a->scale, last) &&
		   point_add(p, a->base, a->index, a->scale,
			     first + (int64_t)a->wide + a->len - 1)) {
		return true;
	}
	p->npoints = save;
	return false;
}

bool bt_loop_plan_make(const struct bt_loop_insn *li, unsigned n,
		       struct bt_loop_plan *p)
{
	uint16_t written = 0;
	unsigned u = 0;

	memset(p, 0, sizeof(*p));
	p->idx = p->bound = BT_LOOP_NOREG;
	if (n < 2 || n > BT_LOOP_INSN_MAX || !li[n - 1].jne_self ||
	    !induction_find(li, n, p, &u))
		return false;
	for (unsigned k = 0; k < n; k++)
		written |= li[k].writes;
	for (unsigned k = 0; k < n; k++) {
		if (!li[k].checked || !access_plan(p, &li[k], k > u, written))
			continue;
		p->hoisted |= 1ull << k;
		p->nhoisted++;
	}
	p->counted = true;
	return p->nhoisted > 0;
}

bool bt_loop_plan_guard(const struct bt_loop_insn *li, unsigned n,
			struct bt_loop_plan *p)
{
	uint16_t written = 0, ind = 0;
	int64_t step[16] = { 0 };
	unsigned at[16] = { 0 };

	memset(p, 0, sizeof(*p));
	p->idx = p->bound = BT_LOOP_NOREG;
	if (n < 2 || n > BT_LOOP_INSN_MAX || !li[n - 1].jcc_self)
		return false;
	for (unsigned k = 0; k < n; k++) {
		uint16_t w = li[k].writes;

		/* a second write makes it variant */
		ind &= (uint16_t)~(w & written);
		if (li[k].upd_reg != BT_LOOP_NOREG &&
		    w == (uint16_t)(1u << li[k].upd_reg) &&
		    !(written & w) && li[k].step >= -(1 << 16) &&
		    li[k].step <= (1 << 16)) {
			ind |= w;
			step[li[k].upd_reg] = li[k].step;
			at[li[k].upd_reg] = k;
		}
		written |= w;
	}
	for (unsigned k = 0; k < n; k++) {
		const struct bt_loop_insn *a = &li[k];
		uint8_t r[2] = { a->base, a->index };
		int64_t c[2] = { 1, a->scale }, off = a->disp;
		int64_t wide = (int64_t)a->wide;
		unsigned save = p->npoints;
		bool ok = a->checked && a->wide <= (1u << 20);

		for (unsigned i = 0; i < 2 && ok; i++) {
			if (r[i] == BT_LOOP_NOREG)
				continue;
			if (r[i] == RCX) {
				ok = false;
			} else if (!(written >> r[i] & 1)) {
				continue;	/* invariant */
			} else if (ind >> r[i] & 1) {
				if (at[r[i]] < k)
					off += c[i] * step[r[i]];
			} else {
				ok = false;
			}
		}
		if (!ok)
			continue;
		/* the first byte of the first access in the layout: a
		 * straddling access touches the fault zone too; with a
		 * bounded part, both ends of where it may be */
		if (!point_add(p, r[0], r[1], a->scale, off) ||
		    (wide && !point_add(p, r[0], r[1], a->scale,
					off + wide))) {
			p->npoints = save;
			continue;
		}
		p->hoisted |= 1ull << k;
		p->nhoisted++;
	}
	return p->nhoisted > 0;
}
