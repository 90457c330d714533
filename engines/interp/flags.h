/*
 * flags.h - lazy arithmetic flags.
 *
 * A flag-setting ALU operation records (op, size, a, b, res, carry-in) with
 * flags_set_*(); flags_get() turns that record into the six arithmetic
 * RFLAGS bits only when something reads them (Jcc, SETcc, PUSHF, an
 * exception frame, ...). Operations with irregular flags (shifts, MUL,
 * BT, ...) call flags_put() with explicit values instead.
 *
 * Architecturally undefined flags (docs/interp.md lists them) follow what
 * Intel hardware is observed to do where that is cheap: logic ops clear
 * AF, MUL/IMUL set SF/ZF/PF from the low result and clear AF.
 */
#ifndef VMB_INTERP_FLAGS_H
#define VMB_INTERP_FLAGS_H

#include "interp/cpu.h"

static inline void flags_set(struct cpu *c, unsigned op, unsigned size,
			     uint64_t a, uint64_t b, uint64_t res)
{
	c->lf.opsz = op | size << 8;	/* cin = 0: set it after, if used */
	if (op != LF_LOGIC) {	/* logic flags come from res alone */
		c->lf.a = a;
		c->lf.b = b;
	}
	c->lf.res = res;
}

/* Materialize the lazy record into c->s.rflags; returns rflags. */
uint64_t flags_get(struct cpu *c);

/* CF alone (cheaper than flags_get for ADC/SBB/INC/DEC). */
bool flags_cf(struct cpu *c);

/* Replace the bits of (mask) in RFLAGS with (val) after materializing. */
static inline void flags_put(struct cpu *c, uint64_t mask, uint64_t val)
{
	uint64_t f = flags_get(c);

	c->s.rflags = (f & ~mask) | (val & mask);
}

/* Set ZF/SF/PF from (res) of (size) bytes; returns those bits. */
uint64_t flags_szp(uint64_t res, unsigned size);

/* Evaluate condition code (cc) (0-15, the Jcc encoding order). */
bool flags_cond_slow(struct cpu *c, unsigned cc);

/* Condition (cc) after a compare of a with b (masked to sz bytes) when it
 * is a plain unsigned/signed comparison: 1 or 0, else -1 (O, S, P and
 * their negations need the flags themselves). */
static inline int flags_cond_sub(unsigned cc, uint64_t a, uint64_t b,
				 unsigned sz)
{
	int64_t sa = sext(a, sz), sb = sext(b, sz);

	switch (cc) {
	case 2: return a < b;
	case 3: return a >= b;
	case 4: return a == b;
	case 5: return a != b;
	case 6: return a <= b;
	case 7: return a > b;
	case 12: return sa < sb;
	case 13: return sa >= sb;
	case 14: return sa <= sb;
	case 15: return sa > sb;
	default: return -1;
	}
}

/* Condition (cc) straight from the lazy record when that is cheap
 * (compare-then-branch, Z after any operation): 1 or 0, else -1 and
 * flags_cond_slow() decides. */
static inline int flags_cond_try(const struct cpu *c, unsigned cc)
{
	const struct lazy_flags *l = &c->lf;

	if (l->op == LF_SUB)	/* CMP then Jcc: a and b are masked */
		return flags_cond_sub(cc, l->a, l->b, l->size);
	if (l->op != LF_NONE && (cc == 4 || cc == 5))
		return (l->res == 0) == (cc == 4);	/* res is masked */
	return -1;
}

static inline bool flags_cond(struct cpu *c, unsigned cc)
{
	int t = flags_cond_try(c, cc);

	return t >= 0 ? t : flags_cond_slow(c, cc);
}

#endif /* VMB_INTERP_FLAGS_H */
