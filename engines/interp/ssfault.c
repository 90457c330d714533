/* ssfault.c - #SS or #GP for a non-canonical address (see ssfault.h). */
#include "interp/ssfault.h"

#include <Zydis/Zydis.h>

#include "interp/mem.h"

/* Value of a 64-bit-mode address register, or 0 for none. */
static uint64_t addr_reg(const struct cpu *c, ZydisRegister r,
			 uint64_t next_rip)
{
	ZydisRegister big;

	if (r == ZYDIS_REGISTER_NONE)
		return 0;
	if (r == ZYDIS_REGISTER_RIP || r == ZYDIS_REGISTER_EIP)
		return next_rip;
	big = ZydisRegisterGetLargestEnclosing(ZYDIS_MACHINE_MODE_LONG_64, r);
	if (big >= ZYDIS_REGISTER_RAX && big <= ZYDIS_REGISTER_R15)
		return c->s.gpr[big - ZYDIS_REGISTER_RAX];
	return 0;
}

/* Linear address of memory operand (o); false when it has no fixed one. */
static bool operand_linear(const struct cpu *c, const ZydisDecodedInstruction *z,
			   const ZydisDecodedOperand *o, uint64_t next_rip,
			   uint64_t *la)
{
	uint64_t a = (uint64_t)o->mem.disp.value;

	if (o->mem.type != ZYDIS_MEMOP_TYPE_MEM)
		return false;
	a += addr_reg(c, o->mem.base, next_rip);
	a += addr_reg(c, o->mem.index, next_rip) * (o->mem.scale ? o->mem.scale : 1);
	if (z->address_width == 32)
		a = (uint32_t)a;
	if (o->mem.segment == ZYDIS_REGISTER_FS)
		a += c->s.seg[X86_FS].base;
	else if (o->mem.segment == ZYDIS_REGISTER_GS)
		a += c->s.seg[X86_GS].base;
	*la = a;
	return true;
}

void ssfault_classify(struct cpu *c)
{
	ZydisDecoder d;
	ZydisDecodedInstruction z;
	ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
	struct pending_exc saved = c->exc;
	uint64_t cr2 = c->s.cr2;
	uint8_t buf[15];
	size_t n = 15;
	bool stack = false, other_hit = false;

	if (c->exc.vector != X86_VEC_GP || !c->exc.nc)
		return;
	/* the bytes at RIP were fetched a moment ago; a shorter read at a
	 * page end keeps what is there */
	while (n && mem_read_bytes(c, c->s.rip, buf, n, TLB_X,
				   mem_user(c)) != OP_OK)
		n--;
	c->exc = saved;
	c->s.cr2 = cr2;
	ZydisDecoderInit(&d, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
	if (!n || !ZYAN_SUCCESS(ZydisDecoderDecodeFull(&d, buf, n, &z, ops)))
		return;
	for (unsigned k = 0; k < z.operand_count; k++) {
		const ZydisDecodedOperand *o = &ops[k];
		uint64_t la;

		if (o->type != ZYDIS_OPERAND_TYPE_MEMORY ||
		    o->mem.type != ZYDIS_MEMOP_TYPE_MEM)
			continue;
		if (o->mem.segment == ZYDIS_REGISTER_SS) {
			stack = true;
			continue;
		}
		/* a DS/ES/FS/GS reference: is the faulting byte its own? */
		if (operand_linear(c, &z, o, c->s.rip + z.length, &la) &&
		    saved.va - la < (o->size >= 8 ? o->size / 8u : 1u))
			other_hit = true;
	}
	if (stack && !other_hit)
		c->exc.vector = X86_VEC_SS;
}
