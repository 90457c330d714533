/*
 * bt_translate.c - block translation by byte-level re-emission (see
 * bt_translate.h). Zydis decodes; instructions are re-emitted from their
 * own bytes, so every encoding detail the copy list allows (operand size,
 * REX, LOCK, immediates) is kept exactly.
 *
 * Host encodings used below (all leave RFLAGS alone):
 *   65 67 ...           GS segment + 32-bit address size on a memory operand
 *   48 8D 64 24 d8      lea d8(%rsp), %rsp
 *   48 A3 imm64         movabs %rax, moffs64
 *   48 B8 imm64         movabs $imm64, %rax
 *   FF 25 0 imm64       jmp *[rip+0] with the address right after it
 */
#include "bt/bt_translate.h"

#include <string.h>
#include <Zydis/Zydis.h>

#include "bt/bt_window.h"
#include "machine/guest_mem.h"
#include "machine/x86_state.h"

#define PAGE 4096ull
#define BLOCK_CODE_MAX 4096	/* bound on one block's host code */
#define BLOCK_META_MAX (sizeof(struct bt_block) + \
			(BT_BLOCK_MAX_INSN + 1) * sizeof(struct bt_insn_map) + \
			4 * sizeof(struct bt_exit_rec) + 64)

enum insn_kind {
	K_MONITOR,	/* not translated: ends the block with a monitor exit */
	K_COPY,		/* copied verbatim */
	K_MEM,		/* copied with GS + addr32 (and RIP-relative fixed) */
	K_LEA_RIP,	/* lea rel(%rip) -> mov $abs */
	K_PUSH_REG, K_PUSH_IMM, K_POP_REG, K_LEAVE,
	K_JMP, K_JCC, K_CALL, K_RET, K_JMP_IND, K_CALL_IND,
};

struct xl {
	struct bt_cache *c;
	const struct bt_xlate_env *env;
	struct bt_block *b;
	uint8_t *p;		/* emission point */
	ZydisDecoder dec;
	struct bt_insn_map map[BT_BLOCK_MAX_INSN + 1];
	uint32_t nmap;
};

static void b1(struct xl *x, uint8_t v)
{
	*x->p++ = v;
}

static void bn(struct xl *x, const void *src, size_t n)
{
	memcpy(x->p, src, n);
	x->p += n;
}

static void b4(struct xl *x, uint32_t v)
{
	bn(x, &v, 4);
}

static void b8(struct xl *x, uint64_t v)
{
	bn(x, &v, 8);
}

static void lea_rsp(struct xl *x, int32_t d)
{
	if (d >= -128 && d <= 127) {
		static const uint8_t op[] = { 0x48, 0x8d, 0x64, 0x24 };
		bn(x, op, 4);
		b1(x, (uint8_t)d);
	} else {
		static const uint8_t op[] = { 0x48, 0x8d, 0xa4, 0x24 };
		bn(x, op, 4);
		b4(x, (uint32_t)d);
	}
}

static void movabs_store_rax(struct xl *x, const void *addr)
{
	b1(x, 0x48);
	b1(x, 0xa3);
	b8(x, (uint64_t)(uintptr_t)addr);
}

static void movabs_rax(struct xl *x, uint64_t v)
{
	b1(x, 0x48);
	b1(x, 0xb8);
	b8(x, v);
}

static struct bt_exit_rec *rec_new(struct xl *x, enum bt_exit_kind kind,
				   uint64_t target, uint32_t ninsn)
{
	struct bt_exit_rec *r = bt_cache_meta_alloc(x->c, sizeof(*r));

	/* room was checked before translating (BLOCK_META_MAX) */
	r->kind = kind;
	r->target = target;
	r->ninsn = ninsn;
	r->block = x->b;
	return r;
}

/* RAX = rec; store it; RAX = ctx; jump to the common exit. */
static void stub_tail(struct xl *x, struct bt_exit_rec *r)
{
	struct bt_ctx *ctx = x->env->ctx;

	movabs_rax(x, (uint64_t)(uintptr_t)r);
	movabs_store_rax(x, &ctx->exit_rec);
	movabs_rax(x, (uint64_t)(uintptr_t)ctx);
	b1(x, 0xff);
	b1(x, 0x25);
	b4(x, 0);
	b8(x, (uint64_t)(uintptr_t)bt_exit_common);
}

/* A complete exit stub: guest RAX saved first. */
static void stub_exit(struct xl *x, struct bt_exit_rec *r)
{
	movabs_store_rax(x, &x->env->ctx->gpr[X86_RAX]);
	stub_tail(x, r);
}

/* Indirect exit: guest RAX already in ctx, RAX holds the guest target. */
static void stub_indirect(struct xl *x, struct bt_exit_rec *r)
{
	movabs_store_rax(x, &x->env->ctx->target);
	stub_tail(x, r);
}

/* ---- classification ------------------------------------------------------ */

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

static bool is_riprel(const ZydisDecodedInstruction *in)
{
	return (in->attributes & ZYDIS_ATTRIB_HAS_MODRM) &&
	       in->raw.modrm.mod == 0 && in->raw.modrm.rm == 5;
}

static bool fits_simm32(uint64_t v)
{
	return (uint64_t)(int64_t)(int32_t)v == v;
}

static enum insn_kind classify(const ZydisDecodedInstruction *in,
			       const ZydisDecodedOperand *ops, uint64_t next)
{
	unsigned nmem;
	uint8_t op = in->opcode;
	bool legacy_map = in->opcode_map == ZYDIS_OPCODE_MAP_DEFAULT;

	if (!prefixes_plain(in))
		return K_MONITOR;
	if (mnemonic_jcc(in->mnemonic))
		return K_JCC;
	switch (in->mnemonic) {
	case ZYDIS_MNEMONIC_JMP:
		if (in->meta.branch_type == ZYDIS_BRANCH_TYPE_FAR)
			return K_MONITOR;
		return (in->attributes & ZYDIS_ATTRIB_IS_RELATIVE) ? K_JMP
								   : K_JMP_IND;
	case ZYDIS_MNEMONIC_CALL:
		if (in->meta.branch_type == ZYDIS_BRANCH_TYPE_FAR ||
		    !fits_simm32(next))
			return K_MONITOR;
		return (in->attributes & ZYDIS_ATTRIB_IS_RELATIVE) ? K_CALL
								   : K_CALL_IND;
	case ZYDIS_MNEMONIC_RET:
		return legacy_map && (op == 0xc3 || op == 0xc2) ? K_RET
								: K_MONITOR;
	case ZYDIS_MNEMONIC_PUSH:
		if (in->operand_width != 64 || !legacy_map)
			return K_MONITOR;
		if (op >= 0x50 && op <= 0x57)
			return K_PUSH_REG;
		return op == 0x6a || op == 0x68 ? K_PUSH_IMM : K_MONITOR;
	case ZYDIS_MNEMONIC_POP:
		return in->operand_width == 64 && legacy_map && op >= 0x58 &&
		       op <= 0x5f ? K_POP_REG : K_MONITOR;
	case ZYDIS_MNEMONIC_LEAVE:
		return in->operand_width == 64 ? K_LEAVE : K_MONITOR;
	default:
		break;
	}
	if (!mnemonic_copyable(in->mnemonic) ||
	    !operands_plain(in, ops, &nmem))
		return K_MONITOR;
	if (in->mnemonic == ZYDIS_MNEMONIC_LEA) {
		if (!is_riprel(in))
			return K_COPY;
		return in->operand_width >= 32 ? K_LEA_RIP : K_MONITOR;
	}
	if (in->mnemonic == ZYDIS_MNEMONIC_NOP)
		return K_COPY; /* a NOP's memory operand is never accessed */
	if (!nmem)
		return K_COPY;
	if (!(in->attributes & ZYDIS_ATTRIB_HAS_MODRM))
		return K_MONITOR; /* moffs forms: 64-bit absolute address */
	/* BTx mem, reg addresses up to 2^60 bytes past the operand */
	if ((in->mnemonic == ZYDIS_MNEMONIC_BT ||
	     in->mnemonic == ZYDIS_MNEMONIC_BTS ||
	     in->mnemonic == ZYDIS_MNEMONIC_BTR ||
	     in->mnemonic == ZYDIS_MNEMONIC_BTC) &&
	    ops[1].type == ZYDIS_OPERAND_TYPE_REGISTER)
		return K_MONITOR;
	if (is_riprel(in) && !fits_simm32(next))
		return K_MONITOR;
	return K_MEM;
}

/* ---- emission -------------------------------------------------------------- */

static bool prefix_segment(uint8_t v)
{
	return v == 0x26 || v == 0x2e || v == 0x36 || v == 0x3e;
}

/* End of the ModRM/SIB/displacement bytes. */
static unsigned addr_end(const ZydisDecodedInstruction *in)
{
	if (in->raw.disp.size)
		return in->raw.disp.offset + in->raw.disp.size / 8u;
	if (in->attributes & ZYDIS_ATTRIB_HAS_SIB)
		return in->raw.sib.offset + 1u;
	return in->raw.modrm.offset + 1u;
}

/* Guest absolute address of a RIP-relative operand, as a disp32. */
static uint32_t riprel_abs(const ZydisDecodedInstruction *in, uint64_t next)
{
	return (uint32_t)(next + (uint64_t)in->raw.disp.value);
}

/* Copy (ib) with GS + addr32 in front; RIP-relative -> [disp32]. */
static void emit_mem(struct xl *x, const uint8_t *ib,
		     const ZydisDecodedInstruction *in, uint64_t next)
{
	unsigned pc = in->raw.prefix_count, mo = in->raw.modrm.offset;
	bool rip = is_riprel(in);

	b1(x, 0x65);
	b1(x, 0x67);
	for (unsigned i = 0; i < pc; i++) {
		uint8_t v = ib[i];

		if (prefix_segment(v))
			continue;
		if (rip && (in->attributes & ZYDIS_ATTRIB_HAS_REX) &&
		    i == in->raw.rex.offset)
			v &= (uint8_t)~0x03; /* X, B: no index, no base */
		b1(x, v);
	}
	bn(x, ib + pc, mo - pc);
	if (!rip) {
		bn(x, ib + mo, in->length - mo);
		return;
	}
	b1(x, (uint8_t)((ib[mo] & 0x38) | 0x04));
	b1(x, 0x25);
	b4(x, riprel_abs(in, next));
	bn(x, ib + addr_end(in), in->length - addr_end(in));
}

static void emit_copy(struct xl *x, const uint8_t *ib,
		      const ZydisDecodedInstruction *in)
{
	unsigned pc = in->raw.prefix_count;

	for (unsigned i = 0; i < pc; i++)
		if (!prefix_segment(ib[i]))
			b1(x, ib[i]);
	bn(x, ib + pc, in->length - pc);
}

/* lea rel(%rip), %reg -> mov $abs, %reg (32- or 64-bit). */
static void emit_lea_rip(struct xl *x, const uint8_t *ib,
			 const ZydisDecodedInstruction *in, uint64_t next)
{
	uint64_t abs = next + (uint64_t)in->raw.disp.value;
	unsigned reg = in->raw.modrm.reg;
	bool r = (in->attributes & ZYDIS_ATTRIB_HAS_REX) && in->raw.rex.R;

	(void)ib;
	if (in->operand_width == 64) {
		b1(x, 0x48 | (r ? 0x01 : 0));
		b1(x, (uint8_t)(0xb8 + reg));
		b8(x, abs);
	} else {
		if (r)
			b1(x, 0x41);
		b1(x, (uint8_t)(0xb8 + reg));
		b4(x, (uint32_t)abs);
	}
}

/* mov r/m64 (the branch operand) -> %rax. */
static void emit_load_target(struct xl *x, const uint8_t *ib,
			     const ZydisDecodedInstruction *in, uint64_t next)
{
	unsigned mo = in->raw.modrm.offset;
	uint8_t modrm = ib[mo], rex = 0x48;
	bool mem = in->raw.modrm.mod != 3;

	if (in->attributes & ZYDIS_ATTRIB_HAS_REX)
		rex |= ib[in->raw.rex.offset] & 0x03;
	if (mem) {
		b1(x, 0x65);
		b1(x, 0x67);
	}
	if (is_riprel(in)) {
		b1(x, 0x48);
		b1(x, 0x8b);
		b1(x, 0x04);
		b1(x, 0x25);
		b4(x, riprel_abs(in, next));
		return;
	}
	b1(x, rex);
	b1(x, 0x8b);
	b1(x, (uint8_t)(modrm & ~0x38));
	bn(x, ib + mo + 1, addr_end(in) - (mo + 1u));
}

/* 65 67 48 C7 44 24 F8 imm32: movq $imm, %gs:-8(%esp) */
static void emit_push_imm(struct xl *x, uint32_t imm)
{
	static const uint8_t op[] = { 0x65, 0x67, 0x48, 0xc7, 0x44, 0x24, 0xf8 };

	bn(x, op, sizeof(op));
	b4(x, imm);
	lea_rsp(x, -8);
}

static void emit_push_reg(struct xl *x, const ZydisDecodedInstruction *in)
{
	unsigned reg = in->opcode & 7;
	bool rb = (in->attributes & ZYDIS_ATTRIB_HAS_REX) && in->raw.rex.B;

	b1(x, 0x65);
	b1(x, 0x67);
	b1(x, 0x48 | (rb ? 0x04 : 0)); /* REX.R selects r8-r15 */
	b1(x, 0x89);
	b1(x, (uint8_t)(0x44 | (reg << 3)));
	b1(x, 0x24);
	b1(x, 0xf8);
	lea_rsp(x, -8);
}

static void emit_pop_reg(struct xl *x, const ZydisDecodedInstruction *in)
{
	unsigned reg = in->opcode & 7;
	bool rb = (in->attributes & ZYDIS_ATTRIB_HAS_REX) && in->raw.rex.B;

	b1(x, 0x65);
	b1(x, 0x67);
	b1(x, 0x48 | (rb ? 0x04 : 0));
	b1(x, 0x8b);
	b1(x, (uint8_t)(0x04 | (reg << 3)));
	b1(x, 0x24);
	if (reg != X86_RSP || rb)
		lea_rsp(x, 8);	/* pop %rsp loads RSP and stops there */
}

/* mov %gs:(%ebp),%rsp; xchg %rsp,%rbp; lea 8(%rsp),%rsp */
static void emit_leave(struct xl *x)
{
	static const uint8_t op[] = { 0x65, 0x67, 0x48, 0x8b, 0x65, 0x00,
				      0x48, 0x87, 0xe5 };

	bn(x, op, sizeof(op));
	lea_rsp(x, 8);
}

/* mov %gs:(%esp),%rax (guest RAX already saved); lea 8+n(%rsp),%rsp */
static void emit_ret(struct xl *x, const ZydisDecodedInstruction *in)
{
	static const uint8_t op[] = { 0x65, 0x67, 0x48, 0x8b, 0x04, 0x24 };
	int32_t n = in->opcode == 0xc2 ? (int32_t)in->raw.imm[0].value.u : 0;

	movabs_store_rax(x, &x->env->ctx->gpr[X86_RAX]);
	bn(x, op, sizeof(op));
	lea_rsp(x, 8 + n);
}

/* ---- the block loop ---------------------------------------------------------- */

/* Up to 15 bytes of guest code at (rip), whose page is at (page_gpa).
 * Returns how many were readable; (*xfault) says whether the next page
 * could not be fetched (its #PF in *cr2, *pf_error). */
static unsigned fetch(struct xl *x, uint64_t rip, uint64_t page_gpa,
		      uint8_t *buf, bool *xfault, uint64_t *cr2,
		      uint32_t *pf_error)
{
	unsigned off = (unsigned)(rip & (PAGE - 1));
	unsigned n = (unsigned)(PAGE - off) < 15 ? (unsigned)(PAGE - off) : 15;
	struct walk_result res;

	*xfault = false;
	memcpy(buf, x->env->mem->host + page_gpa + off, n);
	if (n == 15)
		return n;
	if (page_walk(x->env->mem, &x->env->wctx, rip + n, WALK_EXEC, &res,
		      pf_error) ||
	    !guest_mem_contains(x->env->mem, res.gpa, 15 - n)) {
		*xfault = true;
		*cr2 = rip + n;
		return n;
	}
	memcpy(buf + n, x->env->mem->host + res.gpa, 15 - n);
	return 15;
}

static void map_add(struct xl *x, uint64_t rip, uint32_t flags)
{
	struct bt_insn_map *m = &x->map[x->nmap++];

	m->host_off = (uint32_t)(x->p - x->b->code);
	m->guest_off = (uint32_t)(rip - x->b->rip);
	m->flags = flags;
}

static bool branch_target(const ZydisDecodedInstruction *in,
			  const ZydisDecodedOperand *ops, uint64_t rip,
			  uint64_t *target)
{
	ZyanU64 t;

	if (ZYAN_FAILED(ZydisCalcAbsoluteAddress(in, &ops[0], rip, &t)))
		return false;
	*target = t;
	return true;
}

enum bt_xlate_status bt_translate(struct bt_cache *c,
				  const struct bt_xlate_env *env, uint64_t rip,
				  uint64_t gpa, struct bt_block **out,
				  uint64_t *cr2, uint32_t *pf_error)
{
	struct xl x = { .c = c, .env = env };
	uint64_t page_gpa = gpa & ~(PAGE - 1), cur = rip;
	uint32_t n = 0;
	bool done = false;

	if (bt_cache_code_room(c) < BLOCK_CODE_MAX ||
	    c->meta_cap - c->meta_used < BLOCK_META_MAX ||
	    c->norder >= c->order_cap)
		return BT_XLATE_FULL;
	ZydisDecoderInit(&x.dec, ZYDIS_MACHINE_MODE_LONG_64,
			 ZYDIS_STACK_WIDTH_64);
	x.b = bt_cache_meta_alloc(c, sizeof(*x.b));
	x.b->rip = rip;
	x.b->gpa = gpa;
	x.b->cpl = env->wctx.cpl;
	x.b->code = x.p = bt_cache_code_ptr(c);

	while (!done) {
		uint8_t ib[15];
		ZydisDecodedInstruction in;
		ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
		bool xfault;
		unsigned avail = fetch(&x, cur, page_gpa, ib, &xfault, cr2,
				       pf_error);
		enum insn_kind k = K_MONITOR;
		uint64_t next = cur, target = 0;

		if (ZYAN_SUCCESS(ZydisDecoderDecodeFull(&x.dec, ib, avail, &in,
							ops))) {
			next = cur + in.length;
			k = classify(&in, ops, next);
			xfault = false;
		}
		if (xfault && n == 0)
			return BT_XLATE_FETCH_FAULT;
		if ((k == K_JMP || k == K_JCC || k == K_CALL) &&
		    !branch_target(&in, ops, cur, &target))
			k = K_MONITOR;
		if (k == K_MONITOR) {
			if (n == 0) {
				x.b->monitor_only = true;
				x.b->monitor_rip = cur;
			}
			stub_exit(&x, rec_new(&x, BT_EXIT_MONITOR, cur, n));
			break;
		}
		map_add(&x, cur, (k == K_RET || k == K_JMP_IND ||
				  k == K_CALL_IND) ? BT_MAP_RAX_IN_CTX : 0);
		n++;
		switch (k) {
		case K_COPY: emit_copy(&x, ib, &in); break;
		case K_MEM: emit_mem(&x, ib, &in, next); break;
		case K_LEA_RIP: emit_lea_rip(&x, ib, &in, next); break;
		case K_PUSH_REG: emit_push_reg(&x, &in); break;
		case K_PUSH_IMM:
			emit_push_imm(&x, (uint32_t)in.raw.imm[0].value.s);
			break;
		case K_POP_REG: emit_pop_reg(&x, &in); break;
		case K_LEAVE: emit_leave(&x); break;
		case K_JMP:
			stub_exit(&x, rec_new(&x, BT_EXIT_BRANCH, target, n));
			done = true;
			break;
		case K_CALL:
			emit_push_imm(&x, (uint32_t)next);
			stub_exit(&x, rec_new(&x, BT_EXIT_BRANCH, target, n));
			done = true;
			break;
		case K_JCC: {
			uint8_t *rel;

			b1(&x, 0x0f);
			b1(&x, (uint8_t)(0x80 | (in.opcode & 0x0f)));
			rel = x.p;
			b4(&x, 0);
			stub_exit(&x, rec_new(&x, BT_EXIT_BRANCH, next, n));
			{
				int32_t d = (int32_t)(x.p - (rel + 4));
				memcpy(rel, &d, 4);
			}
			stub_exit(&x, rec_new(&x, BT_EXIT_BRANCH, target, n));
			done = true;
			break;
		}
		case K_RET:
			emit_ret(&x, &in);
			stub_indirect(&x, rec_new(&x, BT_EXIT_INDIRECT, 0, n));
			done = true;
			break;
		case K_JMP_IND:
		case K_CALL_IND:
			movabs_store_rax(&x, &env->ctx->gpr[X86_RAX]);
			emit_load_target(&x, ib, &in, next);
			if (k == K_CALL_IND)
				emit_push_imm(&x, (uint32_t)next);
			stub_indirect(&x, rec_new(&x, BT_EXIT_INDIRECT, 0, n));
			done = true;
			break;
		default:
			break;
		}
		cur = next;
		if (!done && (n == BT_BLOCK_MAX_INSN ||
			      (cur & ~(PAGE - 1)) != (rip & ~(PAGE - 1)))) {
			stub_exit(&x, rec_new(&x, BT_EXIT_BRANCH, cur, n));
			done = true;
		}
	}
	x.b->ninsn = n;
	x.b->code_len = (uint32_t)(x.p - x.b->code);
	x.b->nmap = x.nmap;
	x.b->map = bt_cache_meta_alloc(c, x.nmap * sizeof(*x.b->map) + 1);
	memcpy(x.b->map, x.map, x.nmap * sizeof(*x.b->map));
	bt_cache_code_commit(c, x.b->code_len);
	bt_cache_insert(c, x.b);
	*out = x.b;
	return BT_XLATE_OK;
}
