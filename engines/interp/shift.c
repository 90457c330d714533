/*
 * shift.c - SHL/SHR/SAR/ROL/ROR/RCL/RCR/SHLD/SHRD with exact flags.
 *
 * A masked count of 0 changes nothing (not even flags). OF is defined for
 * a count of 1 only; for larger counts we compute it with the count-1
 * formula, which is what recent Intel cores do for SHL/SHR. AF after a
 * shift is undefined; we clear it.
 */
#include "interp/flags.h"
#include "interp/operand.h"
#include "interp/ops.h"

#define F_CF X86_RFLAGS_CF
#define F_OF X86_RFLAGS_OF
#define SZP (X86_RFLAGS_SF | X86_RFLAGS_ZF | X86_RFLAGS_PF | X86_RFLAGS_AF)

/* Count operand: CL or imm8 (operand 1), or 1 for the D0/D1 forms. */
static unsigned shift_count(struct cpu *c, const struct insn *i)
{
	unsigned n = i->nops > 1 ? 1 : 9;
	uint64_t v = 1;

	if (n == 1)
		v = i->o[1].kind == OPK_IMM ? i->imm : c->s.gpr[X86_RCX];
	return (unsigned)(v & (i->o[0].size == 8 ? 63 : 31));
}

static int load(struct cpu *c, const struct insn *i, uint64_t *va,
		uint64_t *a)
{
	if (i->o[0].kind == OPK_MEM) {
		*va = op_ea(c, i);
		return mem_read(c, *va, i->o[0].size, a);
	}
	*a = reg_get(c, i->o[0].reg, i->o[0].size);
	return OP_OK;
}

static int store(struct cpu *c, const struct insn *i, uint64_t va,
		 uint64_t v)
{
	if (i->o[0].kind == OPK_MEM)
		return mem_write(c, va, i->o[0].size, v);
	reg_set(c, i->o[0].reg, i->o[0].size, v);
	return OP_OK;
}

static inline uint64_t msb(uint64_t v, unsigned sz)
{
	return (v >> (sz * 8 - 1)) & 1;
}

enum { S_SHL, S_SHR, S_SAR, S_ROL, S_ROR, S_RCL, S_RCR };

/* Shift (a) by (n) (1..63) of kind (k); returns result, sets *f flags. */
static uint64_t shift_calc(struct cpu *c, unsigned k, unsigned sz,
			   uint64_t a, unsigned n, uint64_t *f,
			   uint64_t *fmask)
{
	unsigned bits = sz * 8;
	uint64_t m = size_mask(sz), r, cf;

	*fmask = F_CF | F_OF | SZP;
	switch (k) {
	case S_SHL:
		r = n >= 64 ? 0 : (a << n) & m;
		cf = n > bits ? 0 : (a >> (bits - n)) & 1;
		*f = flags_szp(r, sz) | (cf ? F_CF : 0) |
		     ((msb(r, sz) ^ cf) ? F_OF : 0);
		return r;
	case S_SHR:
		r = n >= 64 ? 0 : a >> n;
		cf = n > bits ? 0 : (a >> (n - 1)) & 1;
		*f = flags_szp(r, sz) | (cf ? F_CF : 0) |
		     (n == 1 && msb(a, sz) ? F_OF : 0);
		return r;
	case S_SAR: {
		int64_t s = sext(a, sz);
		r = (uint64_t)(s >> (n > 63 ? 63 : n)) & m;
		cf = (uint64_t)(s >> (n - 1 > 63 ? 63 : n - 1)) & 1;
		*f = flags_szp(r, sz) | (cf ? F_CF : 0);
		return r;
	}
	default:
		break;
	}
	*fmask = F_CF | F_OF;
	if (k == S_ROL || k == S_ROR) {
		unsigned s = n % bits;
		r = s == 0 ? a
		  : k == S_ROL ? ((a << s) | (a >> (bits - s))) & m
			       : ((a >> s) | (a << (bits - s))) & m;
		if (k == S_ROL) {
			cf = r & 1;
			*f = (cf ? F_CF : 0) | ((msb(r, sz) ^ cf) ? F_OF : 0);
		} else {
			cf = msb(r, sz);
			*f = (cf ? F_CF : 0) |
			     ((cf ^ msb(r << 1, sz)) ? F_OF : 0);
		}
		return r;
	}
	/* RCL/RCR rotate through CF: bits+1 positions */
	cf = flags_cf(c);
	n %= bits + 1;
	r = a;
	for (unsigned t = 0; t < n; t++) {
		uint64_t out;
		if (k == S_RCL) {
			out = msb(r, sz);
			r = ((r << 1) | cf) & m;
		} else {
			out = r & 1;
			r = (r >> 1) | (cf << (bits - 1));
		}
		cf = out;
	}
	if (k == S_RCL)
		*f = (cf ? F_CF : 0) | ((msb(r, sz) ^ cf) ? F_OF : 0);
	else
		*f = (cf ? F_CF : 0) |
		     ((msb(r, sz) ^ msb(r << 1, sz)) ? F_OF : 0);
	return r;
}

static int shift(struct cpu *c, const struct insn *i, unsigned k)
{
	unsigned n = shift_count(c, i), sz = i->o[0].size;
	uint64_t va = 0, a, r, f, fm;
	int rc;

	if ((rc = load(c, i, &va, &a)))
		return rc;
	if (n == 0)	/* a 32-bit register still zero-extends */
		return i->o[0].kind == OPK_MEM ? OP_OK : store(c, i, va, a);
	if (k <= S_SAR) {	/* lazy flags: flags.c derives them */
		r = k == S_SHL ? (a << n) & size_mask(sz)
		  : k == S_SHR ? a >> n
			       : (uint64_t)(sext(a, sz) >> n) & size_mask(sz);
		if ((rc = store(c, i, va, r)))
			return rc;
		flags_set(c, LF_SHL + k, sz, a, n, r);
		return OP_OK;
	}
	r = shift_calc(c, k, sz, a, n, &f, &fm);
	if ((rc = store(c, i, va, r)))
		return rc;
	flags_put(c, fm, f);
	return OP_OK;
}

int op_shl(struct cpu *c, const struct insn *i) { return shift(c, i, S_SHL); }
int op_shr(struct cpu *c, const struct insn *i) { return shift(c, i, S_SHR); }
int op_sar(struct cpu *c, const struct insn *i) { return shift(c, i, S_SAR); }
int op_rol(struct cpu *c, const struct insn *i) { return shift(c, i, S_ROL); }
int op_ror(struct cpu *c, const struct insn *i) { return shift(c, i, S_ROR); }
int op_rcl(struct cpu *c, const struct insn *i) { return shift(c, i, S_RCL); }
int op_rcr(struct cpu *c, const struct insn *i) { return shift(c, i, S_RCR); }

/* SHLD/SHRD dst, src, count: count operand 2 (imm8 or CL). */
static int shiftd(struct cpu *c, const struct insn *i, bool left)
{
	unsigned sz = i->o[0].size, bits = sz * 8, n;
	uint64_t va = 0, a, b, r, cf, m = size_mask(sz);
	int rc;

	n = (unsigned)((i->o[2].kind == OPK_IMM ? i->imm : c->s.gpr[X86_RCX]) &
		       (sz == 8 ? 63 : 31));
	if ((rc = load(c, i, &va, &a)))
		return rc;
	b = reg_get(c, i->o[1].reg, sz);
	if (n == 0)
		return i->o[0].kind == OPK_MEM ? OP_OK : store(c, i, va, a);
	if (left) {
		unsigned __int128 w = ((unsigned __int128)a << bits) | b;
		r = (uint64_t)(w << (n % (2 * bits)) >> bits) & m;
		cf = n > bits ? 0 : (a >> (bits - n)) & 1;
	} else {
		unsigned __int128 w = ((unsigned __int128)b << bits) | a;
		r = (uint64_t)(w >> n) & m;
		cf = n > bits ? 0 : (a >> (n - 1)) & 1;
	}
	if ((rc = store(c, i, va, r)))
		return rc;
	flags_put(c, F_CF | F_OF | SZP,
		  flags_szp(r, sz) | (cf ? F_CF : 0) |
			  ((msb(r, sz) ^ msb(a, sz)) ? F_OF : 0));
	return OP_OK;
}

int op_shld(struct cpu *c, const struct insn *i) { return shiftd(c, i, true); }
int op_shrd(struct cpu *c, const struct insn *i) { return shiftd(c, i, false); }
