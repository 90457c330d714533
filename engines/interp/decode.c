/* decode.c - Zydis -> struct insn (see decode.h). */
#include "interp/decode.h"

#include <string.h>

#include "interp/ops.h"
#include "interp/thread.h"

void decode_init(ZydisDecoder *d)
{
	ZydisDecoderInit(d, ZYDIS_MACHINE_MODE_LONG_64,
			 ZYDIS_STACK_WIDTH_64);
}

const char *decode_mnemonic_name(unsigned mnemonic)
{
	const char *s = ZydisMnemonicGetString((ZydisMnemonic)mnemonic);
	return s ? s : "?";
}

/* GPR number of a Zydis register, GPR_HIGH8+n for AH..BH, or -1. */
static int gpr_index(ZydisRegister r)
{
	if (r >= ZYDIS_REGISTER_AL && r <= ZYDIS_REGISTER_R15B) {
		int k = r - ZYDIS_REGISTER_AL;
		if (k < 4)
			return k;
		if (k < 8)
			return GPR_HIGH8 + k - 4;
		return k - 4;	/* SPL..DIL, R8B..R15B */
	}
	if (r >= ZYDIS_REGISTER_AX && r <= ZYDIS_REGISTER_R15W)
		return r - ZYDIS_REGISTER_AX;
	if (r >= ZYDIS_REGISTER_EAX && r <= ZYDIS_REGISTER_R15D)
		return r - ZYDIS_REGISTER_EAX;
	if (r >= ZYDIS_REGISTER_RAX && r <= ZYDIS_REGISTER_R15)
		return r - ZYDIS_REGISTER_RAX;
	return -1;
}

static int reg_operand(struct opnd *o, ZydisRegister r)
{
	int g = gpr_index(r);

	if (g >= 0) {
		o->kind = OPK_REG;
		o->reg = (uint8_t)g;
		return 0;
	}
	if (r >= ZYDIS_REGISTER_ES && r <= ZYDIS_REGISTER_GS) {
		o->kind = OPK_SREG;
		o->reg = (uint8_t)(r - ZYDIS_REGISTER_ES);
		return 0;
	}
	if (r >= ZYDIS_REGISTER_CR0 && r <= ZYDIS_REGISTER_CR15) {
		o->kind = OPK_CR;
		o->reg = (uint8_t)(r - ZYDIS_REGISTER_CR0);
		return 0;
	}
	return -1;
}

static int mem_operand(struct insn *in, struct opnd *o,
		       const ZydisDecodedOperand *z)
{
	const ZydisDecodedOperandMem *m = &z->mem;
	int b = -1, x = -1;

	if (m->type != ZYDIS_MEMOP_TYPE_MEM && m->type != ZYDIS_MEMOP_TYPE_AGEN)
		return -1;
	if (m->base == ZYDIS_REGISTER_RIP || m->base == ZYDIS_REGISTER_EIP)
		in->mbase = GPR_RIP;
	else if (m->base == ZYDIS_REGISTER_NONE)
		in->mbase = GPR_NONE;
	else if ((b = gpr_index(m->base)) < 0 || b >= GPR_HIGH8)
		return -1;
	else
		in->mbase = (uint8_t)b;
	if (m->index == ZYDIS_REGISTER_NONE)
		in->midx = GPR_NONE;
	else if ((x = gpr_index(m->index)) < 0 || x >= GPR_HIGH8)
		return -1;
	else
		in->midx = (uint8_t)x;
	in->mscale = m->scale == 8 ? 3 : m->scale == 4 ? 2 : m->scale == 2;
	in->mseg = m->segment == ZYDIS_REGISTER_FS ? X86_FS
		 : m->segment == ZYDIS_REGISTER_GS ? X86_GS : GPR_NONE;
	in->disp = m->disp.value;
	o->kind = OPK_MEM;
	return 0;
}

static int convert_operands(struct insn *in, const ZydisDecodedInstruction *z,
			    const ZydisDecodedOperand *ops)
{
	unsigned nimm = 0;

	in->nops = z->operand_count_visible > 3 ? 3 : z->operand_count_visible;
	for (unsigned k = 0; k < in->nops; k++) {
		const ZydisDecodedOperand *op = &ops[k];
		struct opnd *o = &in->o[k];

		o->size = (uint8_t)(op->size / 8);
		switch (op->type) {
		case ZYDIS_OPERAND_TYPE_REGISTER:
			if (reg_operand(o, op->reg.value))
				return -1;
			break;
		case ZYDIS_OPERAND_TYPE_MEMORY:
			if (mem_operand(in, o, op))
				return -1;
			break;
		case ZYDIS_OPERAND_TYPE_IMMEDIATE:
			o->kind = OPK_IMM;
			/* imm8/imm32 are sign-extended to the destination */
			if (k > 0 && in->o[0].kind != OPK_IMM &&
			    in->o[0].size > o->size)
				o->size = in->o[0].size;
			if (nimm++ == 0)
				in->imm = op->imm.value.u;
			else
				in->imm2 = op->imm.value.u;
			break;
		default:
			return -1;
		}
	}
	return 0;
}

static op_fn special_form(const struct insn *in, op_fn fn)
{
	if (in->mnemonic != ZYDIS_MNEMONIC_MOV)
		return fn;
	for (unsigned k = 0; k < in->nops; k++) {
		if (in->o[k].kind == OPK_CR)
			return op_mov_cr;
		if (in->o[k].kind == OPK_SREG)
			return op_mov_sreg;
	}
	return fn;
}

/* Where op_ea() reads register (r) of a memory operand (IF_EA_FAST). */
static uint16_t ea_offset(unsigned r)
{
	if (r == GPR_RIP)
		return offsetof(struct cpu, next_rip);
	if (r == GPR_NONE)
		return offsetof(struct cpu, ea_zero);
	return offsetof(struct cpu, s.gpr) + r * 8;
}

void decode_place(struct insn *in, int off, unsigned idx)
{
	bool mem = false;

	in->off = (int16_t)off;
	in->idx = (uint8_t)idx;
	for (unsigned k = 0; k < in->nops; k++)
		mem |= in->o[k].kind == OPK_MEM;
	if (!(in->flags & IF_EA_FAST) || !mem)
		return;		/* imm2 (ENTER) shares tdisp's place */
	in->ea_tbase = in->ea_base;
	in->tdisp = in->disp;
	if (in->mbase == GPR_RIP) {
		in->ea_tbase = offsetof(struct cpu, blk_rip);
		in->tdisp = in->disp + (int64_t)(off + in->len);
	}
}

int decode_insn(const ZydisDecoder *d, const uint8_t *buf, size_t len,
		struct insn *out)
{
	ZydisDecodedInstruction z;
	ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
	ZyanStatus st;
	op_fn fn;

	memset(out, 0, sizeof(*out));
	out->mbase = out->midx = out->mseg = GPR_NONE;
	st = ZydisDecoderDecodeFull(d, buf, len, &z, ops);
	if (st == ZYDIS_STATUS_NO_MORE_DATA && len < 15)
		return DECODE_NEED_MORE;
	if (!ZYAN_SUCCESS(st)) {
		out->exec = op_invalid;
		out->fn = thread_generic;
		out->len = 1;
		out->flags = IF_END;
		return 0;
	}
	out->len = z.length;
	out->mnemonic = (uint16_t)z.mnemonic;
	out->osz = z.operand_width / 8;
	out->asz = z.address_width / 8;
	out->cc = z.opcode & 0xf;
	if (z.attributes & (ZYDIS_ATTRIB_HAS_REP | ZYDIS_ATTRIB_HAS_REPE))
		out->flags |= IF_REP;
	if (z.attributes & ZYDIS_ATTRIB_HAS_REPNE)
		out->flags |= IF_REPNE;
	fn = decode_handler(z.mnemonic);
	if (!fn || convert_operands(out, &z, ops)) {
		out->exec = op_unsupported;
		out->fn = thread_generic;
		out->flags |= IF_END;
		return 0;
	}
	if (z.meta.branch_type == ZYDIS_BRANCH_TYPE_FAR)
		fn = z.mnemonic == ZYDIS_MNEMONIC_RET	 ? op_retf
		     : z.mnemonic == ZYDIS_MNEMONIC_JMP	 ? op_jmpf
		     : z.mnemonic == ZYDIS_MNEMONIC_CALL ? op_callf
							 : op_unsupported;
	if (out->mseg == GPR_NONE && out->asz == 8 && out->midx != GPR_RIP &&
	    (out->mbase < 16 || out->mbase == GPR_NONE ||
	     out->mbase == GPR_RIP) &&
	    (out->midx < 16 || out->midx == GPR_NONE)) {
		out->flags |= IF_EA_FAST;
		out->ea_base = ea_offset(out->mbase);
		out->ea_idx = ea_offset(out->midx);
	}
	out->exec = special_form(out, fn);
	if (decode_ends_block(z.mnemonic) || out->exec != fn)
		out->flags |= IF_END;
	decode_specialize(out);
	if (out->exec == op_jcc)
		out->exec = decode_jcc_handler(out->cc);
	out->fn = thread_entry(out);
	return 0;
}
