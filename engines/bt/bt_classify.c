/*
 * bt_classify.c - the copy list and the per-instruction translation kind
 * (bt_classify.h).
 */
#include "bt/bt_classify.h"

static bool mnemonic_copyable(ZydisMnemonic m)
{
	switch (m) {
	case ZYDIS_MNEMONIC_ADD: case ZYDIS_MNEMONIC_ADC:
	case ZYDIS_MNEMONIC_SUB: case ZYDIS_MNEMONIC_SBB:
	case ZYDIS_MNEMONIC_AND: case ZYDIS_MNEMONIC_OR:
	case ZYDIS_MNEMONIC_XOR: case ZYDIS_MNEMONIC_CMP:
	case ZYDIS_MNEMONIC_TEST: case ZYDIS_MNEMONIC_INC:
	case ZYDIS_MNEMONIC_DEC: case ZYDIS_MNEMONIC_NEG:
	case ZYDIS_MNEMONIC_NOT: case ZYDIS_MNEMONIC_SHL:
	case ZYDIS_MNEMONIC_SHR: case ZYDIS_MNEMONIC_SAR:
	case ZYDIS_MNEMONIC_ROL: case ZYDIS_MNEMONIC_ROR:
	case ZYDIS_MNEMONIC_RCL: case ZYDIS_MNEMONIC_RCR:
	case ZYDIS_MNEMONIC_SHLD: case ZYDIS_MNEMONIC_SHRD:
	case ZYDIS_MNEMONIC_IMUL: case ZYDIS_MNEMONIC_MUL:
	case ZYDIS_MNEMONIC_DIV: case ZYDIS_MNEMONIC_IDIV:
	case ZYDIS_MNEMONIC_MOV: case ZYDIS_MNEMONIC_MOVZX:
	case ZYDIS_MNEMONIC_MOVSX: case ZYDIS_MNEMONIC_MOVSXD:
	case ZYDIS_MNEMONIC_XCHG: case ZYDIS_MNEMONIC_CMPXCHG:
	case ZYDIS_MNEMONIC_XADD: case ZYDIS_MNEMONIC_BSWAP:
	case ZYDIS_MNEMONIC_BT: case ZYDIS_MNEMONIC_BTS:
	case ZYDIS_MNEMONIC_BTR: case ZYDIS_MNEMONIC_BTC:
	case ZYDIS_MNEMONIC_BSF: case ZYDIS_MNEMONIC_BSR:
	case ZYDIS_MNEMONIC_CBW: case ZYDIS_MNEMONIC_CWDE:
	case ZYDIS_MNEMONIC_CDQE: case ZYDIS_MNEMONIC_CWD:
	case ZYDIS_MNEMONIC_CDQ: case ZYDIS_MNEMONIC_CQO:
	case ZYDIS_MNEMONIC_CLC: case ZYDIS_MNEMONIC_STC:
	case ZYDIS_MNEMONIC_CMC: case ZYDIS_MNEMONIC_CLD:
	case ZYDIS_MNEMONIC_STD: case ZYDIS_MNEMONIC_LAHF:
	case ZYDIS_MNEMONIC_SAHF: case ZYDIS_MNEMONIC_PAUSE:
	case ZYDIS_MNEMONIC_LFENCE: case ZYDIS_MNEMONIC_MFENCE:
	case ZYDIS_MNEMONIC_SFENCE: case ZYDIS_MNEMONIC_NOP:
	case ZYDIS_MNEMONIC_ENDBR64: case ZYDIS_MNEMONIC_LEA:
	case ZYDIS_MNEMONIC_SETB: case ZYDIS_MNEMONIC_SETBE:
	case ZYDIS_MNEMONIC_SETL: case ZYDIS_MNEMONIC_SETLE:
	case ZYDIS_MNEMONIC_SETNB: case ZYDIS_MNEMONIC_SETNBE:
	case ZYDIS_MNEMONIC_SETNL: case ZYDIS_MNEMONIC_SETNLE:
	case ZYDIS_MNEMONIC_SETNO: case ZYDIS_MNEMONIC_SETNP:
	case ZYDIS_MNEMONIC_SETNS: case ZYDIS_MNEMONIC_SETNZ:
	case ZYDIS_MNEMONIC_SETO: case ZYDIS_MNEMONIC_SETP:
	case ZYDIS_MNEMONIC_SETS: case ZYDIS_MNEMONIC_SETZ:
	case ZYDIS_MNEMONIC_CMOVB: case ZYDIS_MNEMONIC_CMOVBE:
	case ZYDIS_MNEMONIC_CMOVL: case ZYDIS_MNEMONIC_CMOVLE:
	case ZYDIS_MNEMONIC_CMOVNB: case ZYDIS_MNEMONIC_CMOVNBE:
	case ZYDIS_MNEMONIC_CMOVNL: case ZYDIS_MNEMONIC_CMOVNLE:
	case ZYDIS_MNEMONIC_CMOVNO: case ZYDIS_MNEMONIC_CMOVNP:
	case ZYDIS_MNEMONIC_CMOVNS: case ZYDIS_MNEMONIC_CMOVNZ:
	case ZYDIS_MNEMONIC_CMOVO: case ZYDIS_MNEMONIC_CMOVP:
	case ZYDIS_MNEMONIC_CMOVS: case ZYDIS_MNEMONIC_CMOVZ:
		return true;
	default:
		return false;
	}
}

static bool mnemonic_jcc(ZydisMnemonic m)
{
	switch (m) {
	case ZYDIS_MNEMONIC_JB: case ZYDIS_MNEMONIC_JBE:
	case ZYDIS_MNEMONIC_JL: case ZYDIS_MNEMONIC_JLE:
	case ZYDIS_MNEMONIC_JNB: case ZYDIS_MNEMONIC_JNBE:
	case ZYDIS_MNEMONIC_JNL: case ZYDIS_MNEMONIC_JNLE:
	case ZYDIS_MNEMONIC_JNO: case ZYDIS_MNEMONIC_JNP:
	case ZYDIS_MNEMONIC_JNS: case ZYDIS_MNEMONIC_JNZ:
	case ZYDIS_MNEMONIC_JO: case ZYDIS_MNEMONIC_JP:
	case ZYDIS_MNEMONIC_JS: case ZYDIS_MNEMONIC_JZ:
		return true;
	default:
		return false;
	}
}

/* Only general registers (and the implicit flags/RIP) may be named. */
static bool operands_plain(const ZydisDecodedInstruction *in,
			   const ZydisDecodedOperand *ops, unsigned *nmem)
{
	*nmem = 0;
	for (unsigned i = 0; i < in->operand_count; i++) {
		const ZydisDecodedOperand *o = &ops[i];

		if (o->type == ZYDIS_OPERAND_TYPE_REGISTER) {
			switch (ZydisRegisterGetClass(o->reg.value)) {
			case ZYDIS_REGCLASS_GPR8: case ZYDIS_REGCLASS_GPR16:
			case ZYDIS_REGCLASS_GPR32: case ZYDIS_REGCLASS_GPR64:
			case ZYDIS_REGCLASS_FLAGS: case ZYDIS_REGCLASS_IP:
				break;
			default:
				return false;
			}
		} else if (o->type == ZYDIS_OPERAND_TYPE_MEMORY &&
			   o->mem.type == ZYDIS_MEMOP_TYPE_MEM) {
			if (o->visibility == ZYDIS_OPERAND_VISIBILITY_HIDDEN)
				return false; /* implicit memory: not copyable */
			(*nmem)++;
		} else if (o->type == ZYDIS_OPERAND_TYPE_POINTER) {
			return false;
		}
	}
	return true;
}

static bool prefixes_plain(const ZydisDecodedInstruction *in)
{
	if (in->encoding != ZYDIS_INSTRUCTION_ENCODING_LEGACY)
		return false;
	if (in->attributes & (ZYDIS_ATTRIB_HAS_ADDRESSSIZE |
			      ZYDIS_ATTRIB_HAS_SEGMENT_FS |
			      ZYDIS_ATTRIB_HAS_SEGMENT_GS))
		return false;
	/* a REX not right before the opcode is ignored by the CPU; dropping
	 * prefixes around it would revive it */
	if ((in->attributes & ZYDIS_ATTRIB_HAS_REX) &&
	    in->raw.rex.offset + 1u != in->raw.prefix_count)
		return false;
	return true;
}

bool bt_insn_riprel(const ZydisDecodedInstruction *in)
{
	return (in->attributes & ZYDIS_ATTRIB_HAS_MODRM) &&
	       in->raw.modrm.mod == 0 && in->raw.modrm.rm == 5;
}

static bool fits_simm32(uint64_t v)
{
	return (uint64_t)(int64_t)(int32_t)v == v;
}

enum bt_insn_kind bt_insn_classify(const ZydisDecodedInstruction *in,
				   const ZydisDecodedOperand *ops, uint64_t next)
{
	unsigned nmem;
	uint8_t op = in->opcode;
	bool legacy_map = in->opcode_map == ZYDIS_OPCODE_MAP_DEFAULT;

	if (!prefixes_plain(in))
		return BT_INSN_MONITOR;
	if (mnemonic_jcc(in->mnemonic))
		return BT_INSN_JCC;
	switch (in->mnemonic) {
	case ZYDIS_MNEMONIC_JMP:
		if (in->meta.branch_type == ZYDIS_BRANCH_TYPE_FAR)
			return BT_INSN_MONITOR;
		return (in->attributes & ZYDIS_ATTRIB_IS_RELATIVE) ? BT_INSN_JMP
								   : BT_INSN_JMP_IND;
	case ZYDIS_MNEMONIC_CALL:
		if (in->meta.branch_type == ZYDIS_BRANCH_TYPE_FAR ||
		    !fits_simm32(next))
			return BT_INSN_MONITOR;
		return (in->attributes & ZYDIS_ATTRIB_IS_RELATIVE) ? BT_INSN_CALL
								   : BT_INSN_CALL_IND;
	case ZYDIS_MNEMONIC_RET:
		return legacy_map && (op == 0xc3 || op == 0xc2) ? BT_INSN_RET
								: BT_INSN_MONITOR;
	case ZYDIS_MNEMONIC_PUSH:
		if (in->operand_width != 64 || !legacy_map)
			return BT_INSN_MONITOR;
		if (op >= 0x50 && op <= 0x57)
			return BT_INSN_PUSH_REG;
		if (op == 0xff)	/* FF /6: only the r/m operand is explicit */
			return bt_insn_riprel(in) && !fits_simm32(next)
				       ? BT_INSN_MONITOR : BT_INSN_PUSH_MEM;
		return op == 0x6a || op == 0x68 ? BT_INSN_PUSH_IMM : BT_INSN_MONITOR;
	case ZYDIS_MNEMONIC_POP:
		return in->operand_width == 64 && legacy_map && op >= 0x58 &&
		       op <= 0x5f ? BT_INSN_POP_REG : BT_INSN_MONITOR;
	case ZYDIS_MNEMONIC_LEAVE:
		return in->operand_width == 64 ? BT_INSN_LEAVE : BT_INSN_MONITOR;
	case ZYDIS_MNEMONIC_MOV:
		/* 0F 20 /r with no prefix but REX (LOCK would name CR8) */
		if (in->opcode_map == ZYDIS_OPCODE_MAP_0F && op == 0x20 &&
		    in->raw.prefix_count ==
			    ((in->attributes & ZYDIS_ATTRIB_HAS_REX) ? 1u : 0u) &&
		    ops[1].type == ZYDIS_OPERAND_TYPE_REGISTER &&
		    (ops[1].reg.value == ZYDIS_REGISTER_CR0 ||
		     ops[1].reg.value == ZYDIS_REGISTER_CR2 ||
		     ops[1].reg.value == ZYDIS_REGISTER_CR3 ||
		     ops[1].reg.value == ZYDIS_REGISTER_CR4))
			return BT_INSN_MOV_FROM_CR;
		break;
	default:
		break;
	}
	if (!mnemonic_copyable(in->mnemonic) ||
	    !operands_plain(in, ops, &nmem))
		return BT_INSN_MONITOR;
	if (in->mnemonic == ZYDIS_MNEMONIC_LEA) {
		if (!bt_insn_riprel(in))
			return BT_INSN_COPY;
		return in->operand_width >= 32 ? BT_INSN_LEA_RIP : BT_INSN_MONITOR;
	}
	if (in->mnemonic == ZYDIS_MNEMONIC_NOP)
		return BT_INSN_COPY; /* a NOP's memory operand is never accessed */
	if (!nmem)
		return BT_INSN_COPY;
	if (!(in->attributes & ZYDIS_ATTRIB_HAS_MODRM))
		return BT_INSN_MONITOR; /* moffs forms: 64-bit absolute address */
	/* BTx mem, reg addresses up to 2^60 bytes past the operand */
	if ((in->mnemonic == ZYDIS_MNEMONIC_BT ||
	     in->mnemonic == ZYDIS_MNEMONIC_BTS ||
	     in->mnemonic == ZYDIS_MNEMONIC_BTR ||
	     in->mnemonic == ZYDIS_MNEMONIC_BTC) &&
	    ops[1].type == ZYDIS_OPERAND_TYPE_REGISTER)
		return BT_INSN_MONITOR;
	if (bt_insn_riprel(in) && !fits_simm32(next))
		return BT_INSN_MONITOR;
	return BT_INSN_MEM;
}


static const char *const cause_names[BT_MON_NR] = {
	[BT_MON_PIO] = "pio", [BT_MON_CPUID] = "cpuid", [BT_MON_MSR] = "msr",
	[BT_MON_CR] = "cr", [BT_MON_SREG] = "sreg", [BT_MON_INVLPG] = "invlpg",
	[BT_MON_HLT] = "hlt", [BT_MON_IF] = "cli_sti_pushf_popf",
	[BT_MON_IRET] = "iret", [BT_MON_SYSCALL] = "syscall",
	[BT_MON_SYSRET] = "sysret", [BT_MON_INT] = "int",
	[BT_MON_STRING] = "string", [BT_MON_DESC] = "descriptor_tables",
	[BT_MON_VMCALL] = "vmcall", [BT_MON_TSC] = "rdtsc",
	[BT_MON_SEGMENT_BASE] = "fs_gs_operand", [BT_MON_OTHER] = "other",
	[BT_MON_LAYOUT] = "layout", [BT_MON_ALIGN] = "alignment_check",
	[BT_MON_MMIO] = "mmio",
};

const char *bt_mon_cause_name(enum bt_mon_cause cause)
{
	return cause < BT_MON_NR ? cause_names[cause] : "other";
}

enum bt_mon_cause bt_insn_mon_cause(const ZydisDecodedInstruction *in)
{
	if (in->attributes & (ZYDIS_ATTRIB_HAS_SEGMENT_FS |
			      ZYDIS_ATTRIB_HAS_SEGMENT_GS))
		return BT_MON_SEGMENT_BASE;
	switch (in->mnemonic) {
	case ZYDIS_MNEMONIC_IN: case ZYDIS_MNEMONIC_OUT:
	case ZYDIS_MNEMONIC_INSB: case ZYDIS_MNEMONIC_INSW:
	case ZYDIS_MNEMONIC_INSD: case ZYDIS_MNEMONIC_OUTSB:
	case ZYDIS_MNEMONIC_OUTSW: case ZYDIS_MNEMONIC_OUTSD:
		return BT_MON_PIO;
	case ZYDIS_MNEMONIC_CPUID: return BT_MON_CPUID;
	case ZYDIS_MNEMONIC_RDMSR: case ZYDIS_MNEMONIC_WRMSR:
		return BT_MON_MSR;
	case ZYDIS_MNEMONIC_INVLPG: return BT_MON_INVLPG;
	case ZYDIS_MNEMONIC_HLT: return BT_MON_HLT;
	case ZYDIS_MNEMONIC_CLI: case ZYDIS_MNEMONIC_STI:
	case ZYDIS_MNEMONIC_PUSHFQ: case ZYDIS_MNEMONIC_POPFQ:
	case ZYDIS_MNEMONIC_PUSHF: case ZYDIS_MNEMONIC_POPF:
		return BT_MON_IF;
	case ZYDIS_MNEMONIC_IRETQ: case ZYDIS_MNEMONIC_IRETD:
	case ZYDIS_MNEMONIC_IRET:
		return BT_MON_IRET;
	case ZYDIS_MNEMONIC_SYSCALL: return BT_MON_SYSCALL;
	case ZYDIS_MNEMONIC_SYSRET: return BT_MON_SYSRET;
	case ZYDIS_MNEMONIC_INT: case ZYDIS_MNEMONIC_INT3:
	case ZYDIS_MNEMONIC_INT1: case ZYDIS_MNEMONIC_INTO:
	case ZYDIS_MNEMONIC_UD2:
		return BT_MON_INT;
	case ZYDIS_MNEMONIC_MOVSB: case ZYDIS_MNEMONIC_MOVSW:
	case ZYDIS_MNEMONIC_MOVSD: case ZYDIS_MNEMONIC_MOVSQ:
	case ZYDIS_MNEMONIC_STOSB: case ZYDIS_MNEMONIC_STOSW:
	case ZYDIS_MNEMONIC_STOSD: case ZYDIS_MNEMONIC_STOSQ:
	case ZYDIS_MNEMONIC_LODSB: case ZYDIS_MNEMONIC_LODSW:
	case ZYDIS_MNEMONIC_LODSD: case ZYDIS_MNEMONIC_LODSQ:
	case ZYDIS_MNEMONIC_CMPSB: case ZYDIS_MNEMONIC_CMPSW:
	case ZYDIS_MNEMONIC_CMPSD: case ZYDIS_MNEMONIC_CMPSQ:
	case ZYDIS_MNEMONIC_SCASB: case ZYDIS_MNEMONIC_SCASW:
	case ZYDIS_MNEMONIC_SCASD: case ZYDIS_MNEMONIC_SCASQ:
		return BT_MON_STRING;
	case ZYDIS_MNEMONIC_LGDT: case ZYDIS_MNEMONIC_LIDT:
	case ZYDIS_MNEMONIC_LTR: case ZYDIS_MNEMONIC_LLDT:
	case ZYDIS_MNEMONIC_SGDT: case ZYDIS_MNEMONIC_SIDT:
	case ZYDIS_MNEMONIC_STR: case ZYDIS_MNEMONIC_SLDT:
		return BT_MON_DESC;
	case ZYDIS_MNEMONIC_VMCALL: case ZYDIS_MNEMONIC_VMMCALL:
		return BT_MON_VMCALL;
	case ZYDIS_MNEMONIC_RDTSC: case ZYDIS_MNEMONIC_RDTSCP:
		return BT_MON_TSC;
	case ZYDIS_MNEMONIC_MOV:
		if (in->opcode_map == ZYDIS_OPCODE_MAP_0F &&
		    (in->opcode == 0x20 || in->opcode == 0x22))
			return BT_MON_CR;
		if (in->opcode_map == ZYDIS_OPCODE_MAP_DEFAULT &&
		    (in->opcode == 0x8c || in->opcode == 0x8e))
			return BT_MON_SREG;
		return BT_MON_OTHER;
	default:
		return BT_MON_OTHER;
	}
}
