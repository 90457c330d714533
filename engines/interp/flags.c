/* flags.c - lazy flag evaluation (see flags.h). */
#include "interp/flags.h"

uint64_t flags_szp(uint64_t res, unsigned size)
{
	uint64_t f = 0;

	res &= size_mask(size);
	if (res == 0)
		f |= X86_RFLAGS_ZF;
	if ((res >> (size * 8 - 1)) & 1)
		f |= X86_RFLAGS_SF;
	if (!__builtin_parity((unsigned)(res & 0xff)))
		f |= X86_RFLAGS_PF;
	return f;
}

static bool lf_carry(const struct lazy_flags *l, uint64_t m)
{
	uint64_t a = l->a & m, b = l->b & m, r = l->res & m;

	switch (l->op) {
	case LF_ADD: return r < a;
	case LF_ADC: return l->cin ? r <= a : r < a;
	case LF_SUB: return a < b;
	case LF_SBB: return l->cin ? a <= b : a < b;
	case LF_INC: case LF_DEC: case LF_MUL: return l->cin;
	case LF_SHL:
		return l->b > (uint64_t)l->size * 8 ? 0
		     : (a >> (l->size * 8 - l->b)) & 1;
	case LF_SHR:
		return l->b > (uint64_t)l->size * 8 ? 0 : (a >> (l->b - 1)) & 1;
	case LF_SAR:
		return (uint64_t)(sext(a, l->size) >> (l->b - 1 > 63 ? 63 : l->b - 1)) & 1;
	default: return false;
	}
}

bool flags_cf(struct cpu *c)
{
	if (c->lf.op == LF_NONE)
		return c->s.rflags & X86_RFLAGS_CF;
	return lf_carry(&c->lf, size_mask(c->lf.size));
}

static uint64_t lf_eval(const struct lazy_flags *l)
{
	unsigned top = l->size * 8 - 1;
	uint64_t m = size_mask(l->size), f = flags_szp(l->res, l->size);
	uint64_t a = l->a, b = l->b, r = l->res;

	if (lf_carry(l, m))
		f |= X86_RFLAGS_CF;
	switch (l->op) {
	case LF_ADD: case LF_ADC: case LF_INC:
		if ((((a ^ r) & (b ^ r)) >> top) & 1)
			f |= X86_RFLAGS_OF;
		break;
	case LF_SUB: case LF_SBB: case LF_DEC:
		if ((((a ^ b) & (a ^ r)) >> top) & 1)
			f |= X86_RFLAGS_OF;
		break;
	case LF_SHL:
		if (((r >> top) & 1) ^ ((f & X86_RFLAGS_CF) != 0))
			f |= X86_RFLAGS_OF;
		return f;	/* AF: undefined, cleared */
	case LF_SHR:
		if (b == 1 && ((a >> top) & 1))
			f |= X86_RFLAGS_OF;
		return f;
	case LF_SAR:
		return f;
	case LF_MUL:
		if (l->cin)
			f |= X86_RFLAGS_OF;
		return f & ~X86_RFLAGS_AF;
	default:
		break;
	}
	if (l->op != LF_LOGIC && ((a ^ b ^ r) & 0x10))
		f |= X86_RFLAGS_AF;
	return f;
}

uint64_t flags_get(struct cpu *c)
{
	if (c->lf.op != LF_NONE) {
		c->s.rflags = (c->s.rflags & ~FLAGS_ARITH) | lf_eval(&c->lf);
		c->lf.op = LF_NONE;
	}
	return c->s.rflags;
}

/* Fast paths for the common compare-and-branch pairs. */
static int cond_sub(const struct lazy_flags *l, unsigned cc)
{
	uint64_t m = size_mask(l->size);
	uint64_t a = l->a & m, b = l->b & m;
	int64_t sa = sext(a, l->size), sb = sext(b, l->size);

	switch (cc) {
	case 2: return a < b;		/* B */
	case 3: return a >= b;		/* AE */
	case 4: return a == b;		/* E */
	case 5: return a != b;		/* NE */
	case 6: return a <= b;		/* BE */
	case 7: return a > b;		/* A */
	case 12: return sa < sb;	/* L */
	case 13: return sa >= sb;	/* GE */
	case 14: return sa <= sb;	/* LE */
	case 15: return sa > sb;	/* G */
	default: return -1;
	}
}

bool flags_cond_slow(struct cpu *c, unsigned cc)
{
	uint64_t f;
	bool r;

	if (c->lf.op == LF_SUB) {
		int v = cond_sub(&c->lf, cc);
		if (v >= 0)
			return v;
	} else if (c->lf.op == LF_LOGIC && (cc == 4 || cc == 5)) {
		return ((c->lf.res & size_mask(c->lf.size)) == 0) == (cc == 4);
	}
	f = flags_get(c);
	switch (cc >> 1) {
	case 0: r = f & X86_RFLAGS_OF; break;
	case 1: r = f & X86_RFLAGS_CF; break;
	case 2: r = f & X86_RFLAGS_ZF; break;
	case 3: r = f & (X86_RFLAGS_CF | X86_RFLAGS_ZF); break;
	case 4: r = f & X86_RFLAGS_SF; break;
	case 5: r = f & X86_RFLAGS_PF; break;
	case 6: r = !(f & X86_RFLAGS_SF) != !(f & X86_RFLAGS_OF); break;
	default:
		r = (f & X86_RFLAGS_ZF) ||
		    (!(f & X86_RFLAGS_SF) != !(f & X86_RFLAGS_OF));
		break;
	}
	return (cc & 1) ? !r : r;
}
