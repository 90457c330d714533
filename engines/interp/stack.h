/*
 * stack.h - stack pushes and RFLAGS loads shared by control transfer,
 * interrupt delivery and IRET.
 */
#ifndef VMB_INTERP_STACK_H
#define VMB_INTERP_STACK_H

#include "interp/flags.h"
#include "interp/mem.h"

/* Push (v) of (size) bytes; RSP changes only if the write succeeded. */
static inline int stack_push(struct cpu *c, unsigned size, uint64_t v)
{
	uint64_t rsp = c->s.gpr[X86_RSP] - size;
	int rc = mem_write(c, rsp, size, v);

	if (!rc)
		c->s.gpr[X86_RSP] = rsp;
	return rc;
}

/*
 * Load RFLAGS from (v) as POPF/IRET do at the current privilege: IOPL
 * changes only at CPL0, IF only when CPL <= IOPL; VM/RF stay clear;
 * (width) masks a 16-bit POPF.
 */
static inline void stack_load_rflags(struct cpu *c, uint64_t v,
				     uint64_t width)
{
	uint64_t mask = 0x244dd5ull;	/* CF PF AF ZF SF TF DF OF NT AC ID */
	unsigned cpl = x86_cpl(&c->s);
	unsigned iopl = (unsigned)(c->s.rflags >> 12) & 3;

	if (cpl == 0)
		mask |= X86_RFLAGS_IOPL;
	if (cpl <= iopl)
		mask |= X86_RFLAGS_IF;
	mask &= width;
	flags_get(c);
	c->s.rflags = (c->s.rflags & ~mask) | (v & mask) | X86_RFLAGS_FIXED;
	c->irq_check = true;
}

#endif /* VMB_INTERP_STACK_H */
