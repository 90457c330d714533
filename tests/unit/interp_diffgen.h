/*
 * interp_diffgen.h - random integer instruction sequences for the
 * differential test (test_interp_diff.c): ALU, shifts/rotates, MUL/DIV,
 * bit ops, CMOVcc/SETcc, moves and sign extension over registers of a
 * fixed pool and a 256-byte scratch buffer addressed as [r15 + disp].
 * Encoded with the Zydis encoder so the bytes are whatever an assembler
 * would emit. RDI, RSP, RBP and R15 are never written by generated code.
 */
#ifndef VMB_TEST_INTERP_DIFFGEN_H
#define VMB_TEST_INTERP_DIFFGEN_H

#include <stdint.h>
#include <string.h>

#include <Zydis/Zydis.h>

#define DG_MAXI 6
#define DG_SCRATCH 256
#define DG_CODE_MAX (DG_MAXI * 2 * 15 + 1)

struct dg_case {
	uint8_t code[DG_CODE_MAX];
	unsigned len, nins;
	uint16_t off[DG_MAXI * 2 + 1];	/* start of each instruction */
	uint64_t gpr[16];
	uint64_t flags;
	uint8_t mem[DG_SCRATCH];
};

static uint64_t dg_state = 0x9e3779b97f4a7c15ull;

static inline uint64_t dg_rand(void)
{
	dg_state ^= dg_state << 13;
	dg_state ^= dg_state >> 7;
	dg_state ^= dg_state << 17;
	return dg_state;
}

static inline unsigned dg_below(unsigned n)
{
	return (unsigned)(dg_rand() % n);
}

static inline uint64_t dg_value(void)
{
	unsigned k = dg_below(64);

	switch (dg_below(8)) {
	case 0: return 0;
	case 1: return dg_below(70);
	case 2: return -(uint64_t)dg_below(70);
	case 3: return 1ull << k;
	case 4: return (1ull << k) - 1;
	case 5: return ~0ull >> k;
	case 6: return (uint64_t)(int64_t)(int32_t)dg_rand();
	default: return dg_rand();
	}
}

/* The register pool, as GPR numbers. */
static const unsigned dg_pool[] = { 0, 1, 2, 3, 6, 8, 9, 10, 11, 12, 13, 14 };
#define DG_NPOOL (sizeof(dg_pool) / sizeof(dg_pool[0]))

static inline ZydisRegister dg_zreg(unsigned gpr, unsigned size)
{
	static const ZydisRegister base8[16] = {
		ZYDIS_REGISTER_AL, ZYDIS_REGISTER_CL, ZYDIS_REGISTER_DL,
		ZYDIS_REGISTER_BL, ZYDIS_REGISTER_SPL, ZYDIS_REGISTER_BPL,
		ZYDIS_REGISTER_SIL, ZYDIS_REGISTER_DIL, ZYDIS_REGISTER_R8B,
		ZYDIS_REGISTER_R9B, ZYDIS_REGISTER_R10B, ZYDIS_REGISTER_R11B,
		ZYDIS_REGISTER_R12B, ZYDIS_REGISTER_R13B, ZYDIS_REGISTER_R14B,
		ZYDIS_REGISTER_R15B,
	};
	switch (size) {
	case 1: return base8[gpr];
	case 2: return (ZydisRegister)(ZYDIS_REGISTER_AX + gpr);
	case 4: return (ZydisRegister)(ZYDIS_REGISTER_EAX + gpr);
	default: return (ZydisRegister)(ZYDIS_REGISTER_RAX + gpr);
	}
}

static inline void dg_op_reg(ZydisEncoderOperand *o, unsigned size)
{
	o->type = ZYDIS_OPERAND_TYPE_REGISTER;
	o->reg.value = dg_zreg(dg_pool[dg_below(DG_NPOOL)], size);
}

static inline void dg_op_fixreg(ZydisEncoderOperand *o, ZydisRegister r)
{
	o->type = ZYDIS_OPERAND_TYPE_REGISTER;
	o->reg.value = r;
}

static inline void dg_op_mem(ZydisEncoderOperand *o, unsigned size)
{
	o->type = ZYDIS_OPERAND_TYPE_MEMORY;
	/* [r15 + disp] or the same address as [r15*1 + disp] (no base,
	 * an index: the interpreter's indexed address forms) */
	o->mem.base = ZYDIS_REGISTER_R15;
	o->mem.index = ZYDIS_REGISTER_NONE;
	o->mem.scale = 0;
	if (dg_below(3) == 0) {
		o->mem.base = ZYDIS_REGISTER_NONE;
		o->mem.index = ZYDIS_REGISTER_R15;
		o->mem.scale = 1;
	}
	o->mem.displacement = dg_below(DG_SCRATCH - size + 1);
	o->mem.size = (ZyanU16)size;
}

static inline void dg_op_rm(ZydisEncoderOperand *o, unsigned size)
{
	if (dg_below(3) == 0)
		dg_op_mem(o, size);
	else
		dg_op_reg(o, size);
}

static inline void dg_op_imm(ZydisEncoderOperand *o, uint64_t v)
{
	o->type = ZYDIS_OPERAND_TYPE_IMMEDIATE;
	o->imm.u = v;
}

static inline unsigned dg_size(unsigned from)	/* from: 1, 2 or 4 */
{
	static const unsigned s[] = { 1, 2, 4, 8 };
	unsigned lo = from == 1 ? 0 : from == 2 ? 1 : 2;

	return s[lo + dg_below(4 - lo)];
}

static const ZydisMnemonic dg_alu2[] = {
	ZYDIS_MNEMONIC_ADD, ZYDIS_MNEMONIC_OR, ZYDIS_MNEMONIC_ADC,
	ZYDIS_MNEMONIC_SBB, ZYDIS_MNEMONIC_AND, ZYDIS_MNEMONIC_SUB,
	ZYDIS_MNEMONIC_XOR, ZYDIS_MNEMONIC_CMP, ZYDIS_MNEMONIC_TEST,
	ZYDIS_MNEMONIC_MOV, ZYDIS_MNEMONIC_XCHG, ZYDIS_MNEMONIC_XADD,
	ZYDIS_MNEMONIC_CMPXCHG,
};
static const ZydisMnemonic dg_alu1[] = {
	ZYDIS_MNEMONIC_INC, ZYDIS_MNEMONIC_DEC, ZYDIS_MNEMONIC_NEG,
	ZYDIS_MNEMONIC_NOT, ZYDIS_MNEMONIC_MUL, ZYDIS_MNEMONIC_IMUL,
	ZYDIS_MNEMONIC_DIV, ZYDIS_MNEMONIC_IDIV,
};
static const ZydisMnemonic dg_shift[] = {
	ZYDIS_MNEMONIC_SHL, ZYDIS_MNEMONIC_SHR, ZYDIS_MNEMONIC_SAR,
	ZYDIS_MNEMONIC_ROL, ZYDIS_MNEMONIC_ROR, ZYDIS_MNEMONIC_RCL,
	ZYDIS_MNEMONIC_RCR,
};
static const ZydisMnemonic dg_bit[] = {
	ZYDIS_MNEMONIC_BT, ZYDIS_MNEMONIC_BTS, ZYDIS_MNEMONIC_BTR,
	ZYDIS_MNEMONIC_BTC,
};
static const ZydisMnemonic dg_scan[] = {
	ZYDIS_MNEMONIC_BSF, ZYDIS_MNEMONIC_BSR, ZYDIS_MNEMONIC_TZCNT,
	ZYDIS_MNEMONIC_LZCNT, ZYDIS_MNEMONIC_POPCNT,
	ZYDIS_MNEMONIC_CMOVO, ZYDIS_MNEMONIC_CMOVB, ZYDIS_MNEMONIC_CMOVZ,
	ZYDIS_MNEMONIC_CMOVBE, ZYDIS_MNEMONIC_CMOVS, ZYDIS_MNEMONIC_CMOVP,
	ZYDIS_MNEMONIC_CMOVL, ZYDIS_MNEMONIC_CMOVLE, ZYDIS_MNEMONIC_CMOVNLE,
	ZYDIS_MNEMONIC_IMUL,
};
static const ZydisMnemonic dg_set[] = {
	ZYDIS_MNEMONIC_SETO, ZYDIS_MNEMONIC_SETNO, ZYDIS_MNEMONIC_SETB,
	ZYDIS_MNEMONIC_SETNB, ZYDIS_MNEMONIC_SETZ, ZYDIS_MNEMONIC_SETNZ,
	ZYDIS_MNEMONIC_SETBE, ZYDIS_MNEMONIC_SETNBE, ZYDIS_MNEMONIC_SETS,
	ZYDIS_MNEMONIC_SETNS, ZYDIS_MNEMONIC_SETP, ZYDIS_MNEMONIC_SETNP,
	ZYDIS_MNEMONIC_SETL, ZYDIS_MNEMONIC_SETNL, ZYDIS_MNEMONIC_SETLE,
	ZYDIS_MNEMONIC_SETNLE,
};
static const ZydisMnemonic dg_none[] = {
	ZYDIS_MNEMONIC_CBW, ZYDIS_MNEMONIC_CWDE, ZYDIS_MNEMONIC_CDQE,
	ZYDIS_MNEMONIC_CWD, ZYDIS_MNEMONIC_CDQ, ZYDIS_MNEMONIC_CQO,
	ZYDIS_MNEMONIC_CLC, ZYDIS_MNEMONIC_STC, ZYDIS_MNEMONIC_CMC,
	ZYDIS_MNEMONIC_LAHF, ZYDIS_MNEMONIC_SAHF,
};
#define DG_N(a) (sizeof(a) / sizeof(a[0]))

/* Fill (r) with one random instruction request. */
static inline void dg_request(ZydisEncoderRequest *r)
{
	ZydisEncoderOperand *o = r->operands;
	unsigned size = dg_size(1);

	memset(r, 0, sizeof(*r));
	r->machine_mode = ZYDIS_MACHINE_MODE_LONG_64;
	switch (dg_below(11)) {
	case 0: case 1: case 2:
		r->mnemonic = dg_alu2[dg_below(DG_N(dg_alu2))];
		r->operand_count = 2;
		if (dg_below(2) && r->mnemonic != ZYDIS_MNEMONIC_XCHG &&
		    r->mnemonic != ZYDIS_MNEMONIC_XADD &&
		    r->mnemonic != ZYDIS_MNEMONIC_CMPXCHG) {
			dg_op_rm(&o[0], size);
			dg_op_imm(&o[1], size == 1 ? dg_value() & 0xff
						   : (uint64_t)(int64_t)(int32_t)dg_value());
		} else if (dg_below(2) || r->mnemonic == ZYDIS_MNEMONIC_XADD ||
			   r->mnemonic == ZYDIS_MNEMONIC_CMPXCHG) {
			dg_op_rm(&o[0], size);
			dg_op_reg(&o[1], size);
		} else {
			dg_op_reg(&o[0], size);
			dg_op_rm(&o[1], size);
		}
		break;
	case 3:
		r->mnemonic = dg_alu1[dg_below(DG_N(dg_alu1))];
		r->operand_count = 1;
		dg_op_rm(&o[0], size);
		break;
	case 4: case 5:
		r->mnemonic = dg_shift[dg_below(DG_N(dg_shift))];
		r->operand_count = 2;
		dg_op_rm(&o[0], size);
		if (dg_below(2))
			dg_op_fixreg(&o[1], ZYDIS_REGISTER_CL);
		else
			dg_op_imm(&o[1], dg_below(4) ? dg_below(3) : dg_below(70));
		break;
	case 6:
		r->mnemonic = dg_below(2) ? ZYDIS_MNEMONIC_SHLD : ZYDIS_MNEMONIC_SHRD;
		size = dg_below(2) ? 4 : 8;
		r->operand_count = 3;
		dg_op_rm(&o[0], size);
		dg_op_reg(&o[1], size);
		if (dg_below(2))
			dg_op_fixreg(&o[2], ZYDIS_REGISTER_CL);
		else
			dg_op_imm(&o[2], dg_below(64));
		break;
	case 7:
		r->mnemonic = dg_bit[dg_below(DG_N(dg_bit))];
		size = dg_size(2);
		r->operand_count = 2;
		if (dg_below(2)) {
			dg_op_rm(&o[0], size);
			dg_op_imm(&o[1], dg_below(256));
		} else {
			dg_op_reg(&o[0], size);
			dg_op_reg(&o[1], size);
		}
		break;
	case 8:
		r->mnemonic = dg_scan[dg_below(DG_N(dg_scan))];
		size = dg_size(2);
		r->operand_count = 2;
		dg_op_reg(&o[0], size);
		dg_op_rm(&o[1], size);
		if (r->mnemonic == ZYDIS_MNEMONIC_IMUL && dg_below(2)) {
			r->operand_count = 3;
			dg_op_imm(&o[2], (uint64_t)(int64_t)(int32_t)dg_value());
		}
		break;
	case 9:
		if (dg_below(2)) {
			r->mnemonic = dg_set[dg_below(DG_N(dg_set))];
			r->operand_count = 1;
			dg_op_rm(&o[0], 1);
			break;
		}
		r->mnemonic = dg_below(2) ? ZYDIS_MNEMONIC_MOVZX
					  : ZYDIS_MNEMONIC_MOVSX;
		r->operand_count = 2;
		{
			unsigned src = dg_below(2) ? 1 : 2;
			dg_op_reg(&o[0], src == 1 ? dg_size(2) : dg_size(4));
			dg_op_rm(&o[1], src);
		}
		if (dg_below(4) == 0) {
			r->mnemonic = ZYDIS_MNEMONIC_MOVSXD;
			dg_op_reg(&o[0], 8);
			dg_op_rm(&o[1], 4);
		}
		break;
	default:
		if (dg_below(4) == 0) {	/* LEA: every addressing form */
			static const uint8_t sc[] = { 1, 2, 4, 8 };
			r->mnemonic = ZYDIS_MNEMONIC_LEA;
			r->operand_count = 2;
			dg_op_reg(&o[0], dg_size(2));
			o[1].type = ZYDIS_OPERAND_TYPE_MEMORY;
			o[1].mem.size = 8;
			if (dg_below(4))
				o[1].mem.base = dg_zreg(dg_pool[dg_below(DG_NPOOL)], 8);
			if (dg_below(2)) {
				o[1].mem.index = dg_zreg(dg_pool[dg_below(DG_NPOOL)], 8);
				o[1].mem.scale = sc[dg_below(4)];
			}
			o[1].mem.displacement = (int32_t)dg_value();
			break;
		}
		if (dg_below(3) == 0) {
			r->mnemonic = ZYDIS_MNEMONIC_BSWAP;
			r->operand_count = 1;
			dg_op_reg(&o[0], dg_below(2) ? 4 : 8);
			break;
		}
		r->mnemonic = dg_none[dg_below(DG_N(dg_none))];
		break;
	}
}

/* Generate case (c) with 1..DG_MAXI instructions and random inputs. */
static inline void dg_case_make(struct dg_case *c)
{
	unsigned want = 1 + dg_below(DG_MAXI);

	memset(c, 0, sizeof(*c));
	for (unsigned k = 0; k < 16; k++)
		c->gpr[k] = dg_value();
	c->flags = dg_rand() & 0x8d5;	/* CF PF AF ZF SF OF */
	for (unsigned k = 0; k < DG_SCRATCH; k++)
		c->mem[k] = (uint8_t)dg_rand();
	while (c->nins < want) {
		ZydisEncoderRequest r;
		ZyanUSize n = 15;

		dg_request(&r);
		if (!ZYAN_SUCCESS(ZydisEncoderEncodeInstruction(
			    &r, c->code + c->len, &n)))
			continue;
		c->off[c->nins++] = (uint16_t)c->len;
		c->len += (unsigned)n;
	}
	c->off[c->nins] = (uint16_t)c->len;
	c->code[c->len] = 0xc3;	/* ret (native trampoline) */
}

#endif /* VMB_TEST_INTERP_DIFFGEN_H */
