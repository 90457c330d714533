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
 *   66 4C 0F 6E/7E F9   movq %rcx,%xmm15 / movq %xmm15,%rcx (layout checks)
 *   48 F7 D1, 48 0F C9  not %rcx, bswap %rcx
 *   67 E3 rel8          jecxz
 */
#include "bt/bt_translate.h"

#include <string.h>
#include <Zydis/Zydis.h>

#include "bt/bt_classify.h"
#include "bt/bt_fast.h"
#include "bt/bt_loop.h"
#include "bt/bt_mmio.h"
#include "bt/bt_window.h"
#include "machine/guest_mem.h"
#include "machine/x86_state.h"

#define PAGE 4096ull
#define BLOCK_CODE_MAX 8192	/* bound on one block's host code */
#define INSN_CODE_MAX 512	/* bound on one guest instruction's */
#define BLOCK_META_MAX (sizeof(struct bt_block) + \
			(BT_BLOCK_MAX_INSN + 1) * sizeof(struct bt_insn_map) + \
			(BT_BLOCK_MAX_INSN + 4) * sizeof(struct bt_exit_rec) + 64)

struct xl {
	struct bt_cache *c;
	const struct bt_xlate_env *env;
	struct bt_block *b;
	uint8_t *p;		/* emission point */
	ZydisDecoder dec;
	struct bt_insn_map map[BT_BLOCK_MAX_INSN + 1];
	uint32_t nmap;
	/* layout checks: RSP was checked to have [rsp - STK_LO, rsp +
	 * STK_HI) in the layout when it was rsp_d bytes above its value
	 * now (rsp_ok), RSP moving only by this block's pushes and pops */
	bool rsp_ok;
	int64_t rsp_d;
	/* registers whose value is known to be at most rmax[r] (zero-
	 * extending loads of bytes and words, AND with a mask, small
	 * immediates): an address made of them and a displacement is
	 * checked at translation */
	uint16_t rknown;
	uint64_t rmax[16];
	/* out-of-line exits of the checks, emitted after the block */
	struct ool {
		uint64_t rip;
		uint32_t ninsn;
		unsigned njmp;
		uint8_t *jmp[4];	/* rel32 fields jumping to it */
	} ool[BT_BLOCK_MAX_INSN];
	uint32_t nool;
	/* register facts for the loop analysis (bt_loop.h) */
	struct bt_loop_track track;
	/* CPL3: addresses this pass has accessed (so they were in the user
	 * half, else the access faulted and the block was left), in terms
	 * of the facts' registers, unchanged since (see prove_covers) */
	struct proven {
		uint8_t base, index, scale;
		int64_t disp;
		uint64_t wide;
	} proven[16];
	unsigned nproven;
	/* side exits: conditional branches the block goes on past */
	struct side {
		uint64_t target;
		uint32_t ninsn;		/* retired when it is taken */
		uint8_t *rel;		/* its rel32 field */
	} side[BT_BLOCK_MAX_INSN];
	uint32_t nside;
};

#define STK_LO 1024	/* bytes below RSP a stack check covers */
#define STK_HI 512	/* and above */
#define NOREG 0xff

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

/* rip-relative disp32 from the end of a 4-byte field at (x->p) to (to). */
static void rel32_to(struct xl *x, const void *to)
{
	b4(x, (uint32_t)(int32_t)((const uint8_t *)to - (x->p + 4)));
}

/* Patch the rel32 field at (field) to reach (to). */
static void rel32_to_at(uint8_t *field, const void *to)
{
	int32_t d = (int32_t)((const uint8_t *)to - (field + 4));

	memcpy(field, &d, 4);
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
	r->stub = x->p;	/* every caller emits the stub right after */
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

/* Indirect exit: guest RAX already in ctx, RAX holds the guest target.
 * With a lookup routine, go there (it exits itself on a miss). */
static void stub_indirect(struct xl *x, struct bt_exit_rec *r)
{
	if (x->env->ibl) {
		b1(x, 0xff);
		b1(x, 0x25);
		b4(x, 0);
		b8(x, (uint64_t)(uintptr_t)x->env->ibl);
		return;
	}
	movabs_store_rax(x, &x->env->ctx->target);
	stub_tail(x, r);
}


/* ---- layout checks (bt_translate.h) ------------------------------------ */

/* One point of a check: base + index * scale + off (regs 0-15, NOREG). */
struct chk {
	uint8_t base, index, scale;
	int64_t off;
};

static bool layout_ok(uint64_t a)
{
	return (uint64_t)(int64_t)(int32_t)a == a;
}

/* Is [a, a + len) inside one half of the layout (no wrap, no gap)? */
static bool layout_range_ok(uint64_t a, uint64_t len)
{
	return layout_ok(a) && layout_ok(a + len - 1) &&
	       (a >> 63) == ((a + len - 1) >> 63);
}

/* lea d(base,index,scale),%rcx (64-bit; registers NOREG when absent). */
static void lea_rcx(struct xl *x, uint8_t base, uint8_t index, uint8_t scale,
		    int32_t d)
{
	unsigned idx = index == NOREG ? 4u : (index & 7u);
	unsigned ss = scale == 8 ? 3 : scale == 4 ? 2 : scale == 2;

	b1(x, (uint8_t)(0x48 | (index != NOREG && index >= 8 ? 2 : 0) |
			(base != NOREG && base >= 8 ? 1 : 0)));
	b1(x, 0x8d);
	if (base == NOREG) {
		b1(x, 0x0c);
		b1(x, (uint8_t)((ss << 6) | (idx << 3) | 5));
	} else {
		b1(x, 0x8c);
		b1(x, (uint8_t)((ss << 6) | (idx << 3) | (base & 7u)));
	}
	b4(x, (uint32_t)d);
}

/*
 * ECX = 0 iff the point (c) is in the layout, flags untouched:
 * lea D(base,index,scale),%rcx with D = off + 2^31 makes every layout
 * address [0, 2^32); when D does not fit a disp32, D - 2^32 is used and
 * the result is in [-2^32, 0), which NOT brings back; BSWAP brings the
 * high half into ECX (byte-reversed: zero stays zero).
 */
static void emit_point(struct xl *x, const struct chk *c)
{
	int64_t d = c->off + 0x80000000ll;
	bool neg = d > INT32_MAX;

	if (neg)
		d -= 0x100000000ll;
	lea_rcx(x, c->base, c->index, c->scale, (int32_t)d);
	if (neg)
		b1(x, 0x48), b1(x, 0xf7), b1(x, 0xd1);	/* not %rcx */
	b1(x, 0x48), b1(x, 0x0f), b1(x, 0xc9);		/* bswap %rcx */
}

static const uint8_t xmm15_spill[] = { 0x66, 0x4c, 0x0f, 0x6e, 0xf9 };
static const uint8_t xmm15_fill[] = { 0x66, 0x4c, 0x0f, 0x7e, 0xf9 };

/*
 * Check the (nc) points (c) before guest instruction (rip), (ninsn)
 * retired before it: each point is followed by JECXZ over a JMP to the
 * instruction's out-of-line exit (emitted after the block, ool_emit:
 * RCX back, monitor exit), so the path taken costs no taken branch but
 * the JECXZ. Guest RCX is restored after the checks unless (rcx_dead):
 * the instruction overwrites RCX without reading it (its map entry then
 * says RCX_IN_XMM15, for a fault on the access).
 */
static void emit_checks(struct xl *x, const struct chk *c, unsigned nc,
			uint64_t rip, uint32_t ninsn, bool rcx_dead)
{
	struct ool *o = &x->ool[x->nool];

	if (!nc)
		return;
	x->nool++;
	o->rip = rip;
	o->ninsn = ninsn;
	o->njmp = 0;
	bn(x, xmm15_spill, sizeof(xmm15_spill));	/* movq %rcx,%xmm15 */
	for (unsigned i = 0; i < nc; i++) {
		emit_point(x, &c[i]);
		b1(x, 0x67), b1(x, 0xe3), b1(x, 5);	/* jecxz +5 */
		b1(x, 0xe9);				/* jmp ool */
		o->jmp[o->njmp++] = x->p;
		b4(x, 0);
	}
	if (rcx_dead)
		x->map[x->nmap - 1].flags |= BT_MAP_RCX_IN_XMM15;
	else
		bn(x, xmm15_fill, sizeof(xmm15_fill));
}

/* The side exits of a block of (n) instructions: the prologue counted
 * all n, so each takes back those after its branch (psubq of the
 * constant {n - k, 0} at BT_CACHE_UNCOUNT, RIP-relative: no flags, and
 * never the kick page) before its exit stub. */
static void side_emit(struct xl *x, uint32_t n)
{
	for (uint32_t k = 0; k < x->nside; k++) {
		struct side *sd = &x->side[k];

		rel32_to_at(sd->rel, x->p);
		b1(x, 0x66), b1(x, 0x44), b1(x, 0x0f), b1(x, 0xfb), b1(x, 0x35);
		rel32_to(x, x->c->data + BT_CACHE_UNCOUNT +
				    16 * (n - sd->ninsn));
		stub_exit(x, rec_new(x, BT_EXIT_BRANCH, sd->target,
				     sd->ninsn));
	}
	x->nside = 0;
}

/* The out-of-line exits of the block's checks. */
static void ool_emit(struct xl *x)
{
	for (uint32_t k = 0; k < x->nool; k++) {
		struct ool *o = &x->ool[k];
		struct bt_exit_rec *r;

		for (unsigned j = 0; j < o->njmp; j++)
			rel32_to_at(o->jmp[j], x->p);
		bn(x, xmm15_fill, sizeof(xmm15_fill));
		r = rec_new(x, BT_EXIT_MONITOR, o->rip, o->ninsn);
		r->cause = BT_MON_LAYOUT;
		r->fast = BT_FAST_NONE;
		r->fast_len = 0;
		memset(&r->mem, 0, sizeof(r->mem));
		r->site = NULL;
		r->chained = false;
		stub_exit(x, r);
	}
	x->nool = 0;
}

static bool reg_is_rcx(ZydisRegister r)
{
	return r == ZYDIS_REGISTER_RCX || r == ZYDIS_REGISTER_ECX ||
	       r == ZYDIS_REGISTER_CX || r == ZYDIS_REGISTER_CL ||
	       r == ZYDIS_REGISTER_CH;
}

/* Does (in) overwrite all of RCX without reading it? */
static bool rcx_overwritten(const ZydisDecodedInstruction *in,
			    const ZydisDecodedOperand *ops)
{
	bool full = false;

	for (unsigned i = 0; i < in->operand_count; i++) {
		const ZydisDecodedOperand *o = &ops[i];

		if (o->type == ZYDIS_OPERAND_TYPE_MEMORY &&
		    (reg_is_rcx(o->mem.base) || reg_is_rcx(o->mem.index)))
			return false;
		if (o->type != ZYDIS_OPERAND_TYPE_REGISTER ||
		    !reg_is_rcx(o->reg.value))
			continue;
		if (o->actions != ZYDIS_OPERAND_ACTION_WRITE)
			return false;
		if (o->reg.value == ZYDIS_REGISTER_RCX ||
		    o->reg.value == ZYDIS_REGISTER_ECX)
			full = true;
		else
			return false;
	}
	return full;
}

static uint8_t reg_id(ZydisRegister r)
{
	if (r == ZYDIS_REGISTER_NONE)
		return NOREG;
	return (uint8_t)ZydisRegisterGetId(r);
}

/* Is [rsp + a, rsp + b) (RSP now) inside the checked stack range? */
static bool stack_covered(const struct xl *x, int64_t a, int64_t b)
{
	return x->rsp_ok && x->rsp_d + a >= -STK_LO && x->rsp_d + b <= STK_HI;
}

/* Points checking [rsp - STK_LO, rsp + STK_HI) into (c); the block relies
 * on it from here. */
static unsigned stack_points(struct xl *x, struct chk *c)
{
	c[0] = (struct chk){ .base = X86_RSP, .index = NOREG, .off = -STK_LO };
	c[1] = (struct chk){ .base = X86_RSP, .index = NOREG,
			     .off = STK_HI - 1 };
	x->rsp_ok = true;
	x->rsp_d = 0;
	return 2;
}

/* The explicit memory operand of (in), or NULL. */
static const ZydisDecodedOperand *mem_operand(const ZydisDecodedInstruction *in,
					      const ZydisDecodedOperand *ops)
{
	for (unsigned i = 0; i < in->operand_count; i++)
		if (ops[i].type == ZYDIS_OPERAND_TYPE_MEMORY &&
		    ops[i].mem.type == ZYDIS_MEMOP_TYPE_MEM &&
		    ops[i].visibility != ZYDIS_OPERAND_VISIBILITY_HIDDEN)
			return &ops[i];
	return NULL;
}

/*
 * The points to check for operand (o) (len bytes) into (c); a constant
 * address outside the layout sets *bad (the instruction goes to the
 * monitor).
 */
static unsigned operand_points(struct xl *x, const ZydisDecodedOperand *o,
			       uint64_t next, unsigned len, struct chk *c,
			       bool *bad)
{
	int64_t disp = o->mem.disp.has_displacement ? o->mem.disp.value : 0;
	uint8_t base = reg_id(o->mem.base), index = reg_id(o->mem.index);

	if (len == 0)
		len = 8;
	if (o->mem.base == ZYDIS_REGISTER_RIP || (base == NOREG &&
						  index == NOREG)) {
		uint64_t a = (uint64_t)disp;

		if (o->mem.base == ZYDIS_REGISTER_RIP)
			a += next;
		if (!layout_range_ok(a, len))
			*bad = true;
		return 0;
	}
	if ((base == NOREG || (x->rknown >> base & 1)) &&
	    (index == NOREG || (x->rknown >> index & 1))) {
		uint64_t max = (base == NOREG ? 0 : x->rmax[base]) +
			       (index == NOREG ? 0 : x->rmax[index] *
						      o->mem.scale);

		if (layout_range_ok((uint64_t)disp, max + len))
			return 0;
	}
	/* RSP inside its checked range plus a bounded index */
	if (base == X86_RSP && index != NOREG && (x->rknown >> index & 1) &&
	    x->rmax[index] < 4096 &&
	    stack_covered(x, disp, disp + (int64_t)(x->rmax[index] *
						     o->mem.scale) + len))
		return 0;
	if (base == X86_RSP && index == NOREG) {
		if (stack_covered(x, disp, disp + len))
			return 0;
		if (disp >= -STK_LO / 2 && disp + len <= STK_HI / 2)
			return stack_points(x, c);
	}
	c[0] = (struct chk){ .base = base, .index = index,
			     .scale = index == NOREG ? 0 : o->mem.scale,
			     .off = disp + (int64_t)len - 1 };
	return 1;
}

/* Does (in) write RSP other than as a rewritten push or pop? */
static bool writes_rsp(const ZydisDecodedInstruction *in,
		       const ZydisDecodedOperand *ops)
{
	for (unsigned i = 0; i < in->operand_count; i++) {
		ZydisRegister r = ops[i].reg.value;

		if (ops[i].type == ZYDIS_OPERAND_TYPE_REGISTER &&
		    (ops[i].actions & ZYDIS_OPERAND_ACTION_MASK_WRITE) &&
		    (r == ZYDIS_REGISTER_RSP || r == ZYDIS_REGISTER_ESP ||
		     r == ZYDIS_REGISTER_SP || r == ZYDIS_REGISTER_SPL))
			return true;
	}
	return false;
}


/* The layout checks guest instruction (in) of kind (k) needs before it
 * (bt_translate.h), into (c); *bad when a constant address is outside. */
static unsigned plan_checks(struct xl *x, enum bt_insn_kind k,
			    const ZydisDecodedInstruction *in,
			    const ZydisDecodedOperand *ops, uint64_t next,
			    struct chk *c, bool *bad)
{
	const ZydisDecodedOperand *o = mem_operand(in, ops);
	int64_t sa = 0, sb = 0;	/* stack bytes touched, relative to RSP */
	unsigned nc = 0;

	switch (k) {
	case BT_INSN_MEM:
		return o ? operand_points(x, o, next, o->size / 8u, c, bad) : 0;
	case BT_INSN_PUSH_MEM:	/* FF /6 may name a register too */
		if (o)
			nc = operand_points(x, o, next, 8, c, bad);
		sa = -8;
		break;
	case BT_INSN_JMP_IND:
	case BT_INSN_CALL_IND:
		if (o)
			nc = operand_points(x, o, next, 8, c, bad);
		if (k == BT_INSN_JMP_IND)
			return nc;
		sa = -8;
		break;
	case BT_INSN_PUSH_REG:
	case BT_INSN_PUSH_IMM:
	case BT_INSN_CALL:
		sa = -8;
		break;
	case BT_INSN_POP_REG:
	case BT_INSN_RET:
		sb = 8;
		break;
	case BT_INSN_LEAVE:	/* loads [rbp]; RSP is not used */
		c[0] = (struct chk){ .base = X86_RBP, .index = NOREG, .off = 7 };
		return 1;
	default:
		return 0;
	}
	if (!stack_covered(x, sa, sb))
		nc += stack_points(x, c + nc);
	return nc;
}


/* Follow the bounds of registers after (in) (see struct xl rmax). */
static void bounds_track(struct xl *x, const ZydisDecodedInstruction *in,
			 const ZydisDecodedOperand *ops)
{
	const ZydisDecodedOperand *d = &ops[0], *src = &ops[1];
	uint64_t max = 0;
	bool known = false;
	int r = -1;

	for (unsigned i = 0; i < in->operand_count; i++) {
		ZydisRegister g;

		if (ops[i].type != ZYDIS_OPERAND_TYPE_REGISTER ||
		    !(ops[i].actions & ZYDIS_OPERAND_ACTION_MASK_WRITE))
			continue;
		g = ZydisRegisterGetLargestEnclosing(ZYDIS_MACHINE_MODE_LONG_64,
						     ops[i].reg.value);
		if (ZydisRegisterGetClass(g) == ZYDIS_REGCLASS_GPR64)
			x->rknown &= (uint16_t)~(1u << ZydisRegisterGetId(g));
	}
	if (in->operand_count_visible < 2 ||
	    d->type != ZYDIS_OPERAND_TYPE_REGISTER ||
	    (ZydisRegisterGetClass(d->reg.value) != ZYDIS_REGCLASS_GPR32 &&
	     ZydisRegisterGetClass(d->reg.value) != ZYDIS_REGCLASS_GPR64))
		return;
	r = ZydisRegisterGetId(ZydisRegisterGetLargestEnclosing(
		ZYDIS_MACHINE_MODE_LONG_64, d->reg.value));
	switch (in->mnemonic) {
	case ZYDIS_MNEMONIC_MOVZX:
		known = src->size <= 16;
		max = src->size == 8 ? 0xff : 0xffff;
		break;
	case ZYDIS_MNEMONIC_AND:
	case ZYDIS_MNEMONIC_MOV:
		if (src->type != ZYDIS_OPERAND_TYPE_IMMEDIATE)
			break;
		max = (uint64_t)src->imm.value.s;
		if (d->size == 32)
			max &= 0xffffffffull;
		known = max < (1ull << 32);
		break;
	case ZYDIS_MNEMONIC_XOR:
		known = src->type == ZYDIS_OPERAND_TYPE_REGISTER &&
			src->reg.value == d->reg.value;
		break;
	default:
		break;
	}
	if (known) {
		x->rknown |= (uint16_t)(1u << r);
		x->rmax[r] = max;
	}
}

/* Follow RSP after (in) for the stack checks of the rest of the block. */
static void stack_track(struct xl *x, enum bt_insn_kind k,
			const ZydisDecodedInstruction *in,
			const ZydisDecodedOperand *ops)
{
	switch (k) {
	case BT_INSN_PUSH_REG:
	case BT_INSN_PUSH_IMM:
	case BT_INSN_PUSH_MEM:
		x->rsp_d -= 8;
		return;
	case BT_INSN_POP_REG:
		if ((in->opcode & 7) == X86_RSP &&
		    !((in->attributes & ZYDIS_ATTRIB_HAS_REX) && in->raw.rex.B))
			x->rsp_ok = false;
		x->rsp_d += 8;
		return;
	case BT_INSN_LEAVE:
		x->rsp_ok = false;
		return;
	default:
		break;
	}
	if (!writes_rsp(in, ops))
		return;
	/* add/sub $imm,%rsp and lea d(%rsp),%rsp move the range along */
	if (k == BT_INSN_COPY && in->operand_width == 64 &&
	    ops[0].type == ZYDIS_OPERAND_TYPE_REGISTER &&
	    ops[0].reg.value == ZYDIS_REGISTER_RSP) {
		if ((in->mnemonic == ZYDIS_MNEMONIC_ADD ||
		     in->mnemonic == ZYDIS_MNEMONIC_SUB) &&
		    ops[1].type == ZYDIS_OPERAND_TYPE_IMMEDIATE) {
			int64_t d = ops[1].imm.value.s;

			x->rsp_d += in->mnemonic == ZYDIS_MNEMONIC_ADD ? d : -d;
			return;
		}
		if (in->mnemonic == ZYDIS_MNEMONIC_LEA &&
		    ops[1].mem.base == ZYDIS_REGISTER_RSP &&
		    ops[1].mem.index == ZYDIS_REGISTER_NONE) {
			x->rsp_d += ops[1].mem.disp.has_displacement
					    ? ops[1].mem.disp.value : 0;
			return;
		}
	}
	x->rsp_ok = false;
}

/* ---- emission ---------------------------------------------------------- */

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
	bool rip = bt_insn_riprel(in);

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
	if (bt_insn_riprel(in)) {
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

/* push r/m64: movabs %rax,ctx.rax; mov r/m64,%rax; mov %rax,%gs:-8(%esp);
 * lea -8(%rsp),%rsp; movabs ctx.rax,%rax. The operand's address uses the
 * RSP before the push, as the CPU does; guest RAX is in ctx until the
 * end (BT_MAP_RAX_IN_CTX), so a fault on the load or the store is
 * precise. */
static void emit_push_mem(struct xl *x, const uint8_t *ib,
			  const ZydisDecodedInstruction *in, uint64_t next)
{
	static const uint8_t st[] = { 0x65, 0x67, 0x48, 0x89, 0x44, 0x24, 0xf8 };
	uint64_t rax = (uint64_t)(uintptr_t)&x->env->ctx->gpr[X86_RAX];

	movabs_store_rax(x, &x->env->ctx->gpr[X86_RAX]);
	emit_load_target(x, ib, in, next);
	bn(x, st, sizeof(st));
	lea_rsp(x, -8);
	b1(x, 0x48);	/* movabs moffs64, %rax */
	b1(x, 0xa1);
	b8(x, rax);
}

/* mov %crN, %r64 -> mov mirror(%rip), %r64 (the cache's data page). */
static void emit_mov_from_cr(struct xl *x, const ZydisDecodedInstruction *in,
			     const ZydisDecodedOperand *ops)
{
	unsigned n = (unsigned)(ops[1].reg.value - ZYDIS_REGISTER_CR0);
	unsigned r = in->raw.modrm.rm;
	bool rb = (in->attributes & ZYDIS_ATTRIB_HAS_REX) && in->raw.rex.B;

	b1(x, 0x48 | (rb ? 0x04 : 0));	/* REX.W, REX.R = the GPR's bit 3 */
	b1(x, 0x8b);
	b1(x, (uint8_t)(0x05 | (r << 3)));
	rel32_to(x, x->c->data + BT_CACHE_CR_OFF(n));
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


/*
 * RET with its inline site cache (bt_cache.h, struct bt_ret_site). Only
 * the load of the target can fault, before anything is changed.
 */
static void emit_ret_cached(struct xl *x, const ZydisDecodedInstruction *in,
			    struct bt_exit_rec *fill_rec)
{
	static const uint8_t load_rcx[] = { 0x65, 0x67, 0x48, 0x8b, 0x0c, 0x24 };
	int32_t n = in->opcode == 0xc2 ? (int32_t)in->raw.imm[0].value.u : 0;
	/* the site data goes after the code (at most 96 bytes), 8-aligned */
	struct bt_ret_site *site = (struct bt_ret_site *)
		(((uintptr_t)x->p + 96 + 7) & ~(uintptr_t)7);
	_Static_assert(7 + 6 + 8 + 7 + 2 + 7 + 26 + 12 + 21 <= 96, "RET site size");
	uint8_t *jrcxz, *slot = x->c->data + BT_CACHE_SLOT_RCX;

	b1(x, 0x48), b1(x, 0x89), b1(x, 0x0d), rel32_to(x, slot);
	bn(x, load_rcx, sizeof(load_rcx));
	lea_rsp(x, 8 + n);
	b1(x, 0x48), b1(x, 0x8d), b1(x, 0x89);		/* lea d1(%rcx),%rcx */
	site->d1 = x->p;
	b4(x, 0);
	b1(x, 0xe3);					/* jrcxz hit */
	jrcxz = x->p;
	b1(x, 0);
	b1(x, 0x48), b1(x, 0x8d), b1(x, 0x89);		/* lea d2(%rcx),%rcx */
	site->d2 = x->p;
	b4(x, 0);
	/* miss: RCX = target */
	movabs_store_rax(x, &x->env->ctx->gpr[X86_RAX]);
	b1(x, 0x48), b1(x, 0x89), b1(x, 0xc8);		/* mov %rcx,%rax */
	b1(x, 0x48), b1(x, 0x8b), b1(x, 0x0d), rel32_to(x, slot);
	b1(x, 0xff), b1(x, 0x25), rel32_to(x, &site->miss);
	*jrcxz = (uint8_t)(x->p - (jrcxz + 1));
	/* hit */
	b1(x, 0x48), b1(x, 0x8b), b1(x, 0x0d), rel32_to(x, slot);
	b1(x, 0xe9);
	site->host = x->p;
	b4(x, 0);
	/* hit with an empty cache: the target was 0 */
	site->hitmiss = x->p;
	movabs_store_rax(x, &x->env->ctx->gpr[X86_RAX]);
	b1(x, 0xb8), b4(x, 0);				/* mov $0,%eax */
	b1(x, 0xff), b1(x, 0x25), rel32_to(x, &site->miss);
	{
		int32_t rel = (int32_t)(site->hitmiss - (site->host + 4));

		memcpy(site->host, &rel, 4);
	}
	while (x->p < (uint8_t *)site)
		b1(x, 0xcc);	/* never executed */
	x->p = (uint8_t *)(site + 1);
	site->miss = site->fill = (uint64_t)(uintptr_t)x->p;
	fill_rec->site = site;
	fill_rec->stub = x->p;
	movabs_store_rax(x, &x->env->ctx->target);
	stub_tail(x, fill_rec);
}

/* Which monitor instructions the dispatcher does itself (bt_fast.h):
 * exactly these encodings. */
/* GPR number of 64-bit register (r), BT_FAST_NOREG for none, -1 for
 * anything else. */
static int fast_reg(ZydisRegister r)
{
	if (r == ZYDIS_REGISTER_NONE)
		return BT_FAST_NOREG;
	if (ZydisRegisterGetClass(r) != ZYDIS_REGCLASS_GPR64)
		return -1;
	return ZydisRegisterGetId(r);
}

/* INVLPG m with a plain 64-bit address (no prefix but REX): its operand
 * into (m). */
static bool fast_invlpg(const ZydisDecodedInstruction *in,
			const ZydisDecodedOperand *ops, uint64_t next,
			struct bt_fast_mem *m)
{
	const ZydisDecodedOperand *o = &ops[0];
	int base, index;

	if (in->mnemonic != ZYDIS_MNEMONIC_INVLPG ||
	    in->raw.prefix_count !=
		    ((in->attributes & ZYDIS_ATTRIB_HAS_REX) ? 1u : 0u) ||
	    o->type != ZYDIS_OPERAND_TYPE_MEMORY)
		return false;
	m->disp = o->mem.disp.has_displacement ? o->mem.disp.value : 0;
	if (o->mem.base == ZYDIS_REGISTER_RIP) {
		m->disp += (int64_t)next;
		base = BT_FAST_NOREG;
	} else if ((base = fast_reg(o->mem.base)) < 0) {
		return false;
	}
	if ((index = fast_reg(o->mem.index)) < 0)
		return false;
	m->base = (uint8_t)base;
	m->index = (uint8_t)index;
	m->scale = index == BT_FAST_NOREG ? 0 : o->mem.scale;
	return true;
}

/* MOV CR3, r64 (0F 22 /3, no prefix but REX): the register into
 * (m->base). */
static bool fast_mov_cr3(const ZydisDecodedInstruction *in,
			 const ZydisDecodedOperand *ops, struct bt_fast_mem *m)
{
	int reg;

	if (in->mnemonic != ZYDIS_MNEMONIC_MOV ||
	    in->raw.prefix_count !=
		    ((in->attributes & ZYDIS_ATTRIB_HAS_REX) ? 1u : 0u) ||
	    ops[0].type != ZYDIS_OPERAND_TYPE_REGISTER ||
	    ops[0].reg.value != ZYDIS_REGISTER_CR3 ||
	    ops[1].type != ZYDIS_OPERAND_TYPE_REGISTER ||
	    (reg = fast_reg(ops[1].reg.value)) < 0 || reg == BT_FAST_NOREG)
		return false;
	m->base = (uint8_t)reg;
	m->index = BT_FAST_NOREG;
	return true;
}

/* The encodings without operands to record; INT n's vector into
 * (m->disp). */
static uint8_t fast_kind(const ZydisDecodedInstruction *in, const uint8_t *ib,
			 struct bt_fast_mem *m)
{
	if (in->mnemonic == ZYDIS_MNEMONIC_SYSCALL && in->length == 2 &&
	    ib[0] == 0x0f && ib[1] == 0x05)
		return BT_FAST_SYSCALL;
	if (in->mnemonic == ZYDIS_MNEMONIC_SYSRET && in->length == 3 &&
	    ib[0] == 0x48 && ib[1] == 0x0f && ib[2] == 0x07)
		return BT_FAST_SYSRETQ;
	if (in->mnemonic == ZYDIS_MNEMONIC_INT && in->length == 2 &&
	    ib[0] == 0xcd) {
		m->disp = ib[1];
		return BT_FAST_INT;
	}
	if (in->mnemonic == ZYDIS_MNEMONIC_IRETQ && in->length == 2 &&
	    ib[0] == 0x48 && ib[1] == 0xcf)
		return BT_FAST_IRETQ;
	return BT_FAST_NONE;
}

/* ---- accesses near an earlier one (CPL3) ------------------------------- */

#define PROVEN_MARGIN (1ll << 30)

/* The address of memory operand (o) through the register facts; false
 * for a RIP-relative or absolute one. */
static bool access_of(const struct xl *x, const ZydisDecodedOperand *o,
		      struct bt_loop_insn *a)
{
	memset(a, 0, sizeof(*a));
	if (o->mem.base == ZYDIS_REGISTER_RIP)
		return false;
	a->checked = true;
	a->base = reg_id(o->mem.base);
	a->index = reg_id(o->mem.index);
	a->scale = a->index == NOREG ? 0 : o->mem.scale;
	a->len = o->size / 8u ? o->size / 8u : 8u;
	a->disp = o->mem.disp.has_displacement ? o->mem.disp.value : 0;
	if (a->base == NOREG && a->index == NOREG)
		return false;
	bt_loop_track_addr(&x->track, a);
	return true;
}

/*
 * At CPL3 an access that was carried out in translated code was in the
 * user half: the user window maps nothing at or above 2^31, so one in
 * the kernel half, between the halves' low 32 bits or across the window's
 * end faulted and left the block (bt_exec_fault.c). An access within
 * 2^30 bytes of it, through the same registers unchanged since, is then
 * in the user half or in that fault zone: it needs no check.
 */
static bool prove_covers(const struct xl *x, const struct bt_loop_insn *a)
{
	if (a->base == NOREG && a->index == NOREG)
		return false;
	for (unsigned i = 0; i < x->nproven; i++) {
		const struct proven *p = &x->proven[i];
		int64_t d = a->disp - p->disp;

		if (p->base == a->base && p->index == a->index &&
		    (a->index == NOREG || p->scale == a->scale) &&
		    (d < 0 ? -d : d) + (int64_t)(a->wide + p->wide) <=
			    PROVEN_MARGIN)
			return true;
	}
	return false;
}

/* After an access (a) was made: remember it; forget those whose
 * registers (writes) changes. */
static void prove_track(struct xl *x, const struct bt_loop_insn *a,
			uint16_t writes)
{
	unsigned j = 0;

	for (unsigned i = 0; i < x->nproven; i++) {
		const struct proven *p = &x->proven[i];

		if ((p->base != NOREG && (writes >> p->base & 1)) ||
		    (p->index != NOREG && (writes >> p->index & 1)))
			continue;
		x->proven[j++] = *p;
	}
	x->nproven = j;
	if (!a || (a->base == NOREG && a->index == NOREG) ||
	    a->wide > PROVEN_MARGIN || x->nproven == 16 ||
	    (a->base != NOREG && (writes >> a->base & 1)) ||
	    (a->index != NOREG && (writes >> a->index & 1)))
		return;
	x->proven[x->nproven++] = (struct proven){
		.base = a->base, .index = a->index, .scale = a->scale,
		.disp = a->disp, .wide = a->wide };
}

/* ---- the block loop ---------------------------------------------------- */

/* Up to 15 bytes of guest code at (rip), whose page is at (page_gpa).
 * Returns how many were readable; (*xfault) says whether the next page
 * could not be fetched (its #PF in *cr2, *pf_error). */
static unsigned fetch(struct xl *x, uint64_t rip, uint64_t page_gpa,
		      uint8_t *buf, bool *xfault, uint64_t *cr2,
		      uint32_t *pf_error, uint64_t *next_gpa)
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
	*next_gpa = res.gpa;
	return 15;
}

static void map_add(struct xl *x, uint64_t rip, uint32_t flags)
{
	struct bt_insn_map *m = &x->map[x->nmap++];

	m->host_off = (uint32_t)(x->p - x->b->code);
	m->guest_off = (int32_t)(int64_t)(rip - x->b->rip);
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

/*
 * Translate the block at (rip) into the cache without inserting it: the
 * instructions whose bit is set in (hoisted) get no layout check (a loop
 * pre-header made it); with (li), each translated instruction is
 * described there for the loop analysis.
 */
static enum bt_xlate_status xlate(struct bt_cache *c,
				  const struct bt_xlate_env *env, uint64_t rip,
				  uint64_t gpa, uint64_t hoisted,
				  struct bt_loop_insn *li, struct bt_block **out,
				  uint64_t *cr2, uint32_t *pf_error)
{
	struct xl x = { .c = c, .env = env };
	uint64_t page_gpa = gpa & ~(PAGE - 1), cur = rip;
	uint32_t n = 0, max = env->max_insn ? env->max_insn : BT_BLOCK_MAX_INSN;
	bool done = false, loops = max > 1 && !env->no_loops;
	uint8_t *count;

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
	x.b->gpa2 = BT_NO_PAGE;
	x.b->code = x.p = bt_cache_code_ptr(c);
	/* paddq kick+16n(%rip), %xmm14: count and kick check (bt_cache.h);
	 * n is known at the end */
	b1(&x, 0x66), b1(&x, 0x44), b1(&x, 0x0f), b1(&x, 0xd4), b1(&x, 0x35);
	count = x.p;
	b4(&x, 0);

	while (!done) {
		uint8_t ib[15];
		ZydisDecodedInstruction in;
		ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
		bool xfault;
		uint64_t next_gpa = BT_NO_PAGE;
		unsigned avail = fetch(&x, cur, page_gpa, ib, &xfault, cr2,
				       pf_error, &next_gpa);
		enum bt_insn_kind k = BT_INSN_MONITOR;
		uint64_t next = cur, target = 0;
		struct chk chk[4];
		unsigned nchk;
		struct bt_loop_insn acc, cur_li;
		bool acc_ok;
		bool layout_bad = false, mmio = false;

		if (ZYAN_SUCCESS(ZydisDecoderDecodeFull(&x.dec, ib, avail, &in,
							ops))) {
			next = cur + in.length;
			k = bt_insn_classify(&in, ops, next);
			/* CR reads are privileged: translated at CPL0 only */
			if (k == BT_INSN_MOV_FROM_CR && env->wctx.cpl != 0)
				k = BT_INSN_MONITOR;
			/* it touched MMIO before: an exit, not a signal */
			mmio = bt_mmio_has(env->mmio, page_gpa | (cur & (PAGE - 1)),
					   env->wctx.cpl);
			if (mmio)
				k = BT_INSN_MONITOR;
			/* guest TSC = host TSC: RDTSC may run as it is */
			if (k == BT_INSN_MONITOR && env->native_rdtsc &&
			    in.mnemonic == ZYDIS_MNEMONIC_RDTSC &&
			    in.encoding == ZYDIS_INSTRUCTION_ENCODING_LEGACY &&
			    in.raw.prefix_count == 0)
				k = BT_INSN_COPY;
			xfault = false;
		}
		if (xfault && n == 0)
			return BT_XLATE_FETCH_FAULT;
		if ((k == BT_INSN_JMP || k == BT_INSN_JCC || k == BT_INSN_CALL) &&
		    !branch_target(&in, ops, cur, &target))
			k = BT_INSN_MONITOR;
		nchk = 0;
		if (k != BT_INSN_MONITOR && !env->layout_trust) {
			bool bad = false;

			nchk = plan_checks(&x, k, &in, ops, next, chk, &bad);
			if (bad) {
				k = BT_INSN_MONITOR;
				layout_bad = true;
			}
			if (hoisted >> n & 1)
				nchk = 0;
		}
		/* at CPL3 every access made is in the user half: the
		 * next one near it needs no check (prove_covers) */
		acc_ok = false;
		if (k == BT_INSN_MEM && env->wctx.cpl == 3 &&
		    !env->layout_trust) {
			const ZydisDecodedOperand *o = mem_operand(&in, ops);

			acc_ok = o && access_of(&x, o, &acc);
			if (acc_ok && nchk == 1 && prove_covers(&x, &acc)) {
				nchk = 0;
				c->st.checks_elided++;
			}
		}
		if (k == BT_INSN_MONITOR) {
			/* decoded (next moved on) or not (OTHER) */
			uint8_t cause = mmio ? BT_MON_MMIO
				      : layout_bad ? BT_MON_LAYOUT
				      : next != cur
					? (uint8_t)bt_insn_mon_cause(&in)
					: BT_MON_OTHER;
			struct bt_exit_rec *r;

			struct bt_fast_mem mem = { 0 };
			uint8_t fast = next != cur ? fast_kind(&in, ib, &mem)
						   : BT_FAST_NONE;

			if (next != cur && env->wctx.cpl == 0 &&
			    fast_invlpg(&in, ops, next, &mem))
				fast = BT_FAST_INVLPG;
			if (next != cur && env->wctx.cpl == 0 &&
			    fast_mov_cr3(&in, ops, &mem))
				fast = BT_FAST_MOV_CR3;

			if (n == 0) {
				x.b->monitor_only = true;
				x.b->monitor_rip = cur;
				x.b->monitor_cause = cause;
				x.b->fast = fast;
				x.b->fast_len = (uint8_t)(next - cur);
				x.b->mem = mem;
			}
			r = rec_new(&x, BT_EXIT_MONITOR, cur, n);
			r->cause = cause;
			r->fast = fast;
			r->fast_len = (uint8_t)(next - cur);
			r->mem = mem;
			stub_exit(&x, r);
			break;
		}
		/* bytes from the next page: writes there must drop us too */
		if ((cur & (PAGE - 1)) + in.length > PAGE)
			x.b->gpa2 = next_gpa & ~(PAGE - 1);
		map_add(&x, cur, ((k == BT_INSN_RET && !env->ibl) ||
				  k == BT_INSN_JMP_IND || k == BT_INSN_CALL_IND ||
				  k == BT_INSN_PUSH_MEM)
					 ? BT_MAP_RAX_IN_CTX : 0);
		if (li) {
			const ZydisDecodedOperand *o = mem_operand(&in, ops);
			struct bt_loop_insn *d = &li[n];

			bt_loop_insn_describe(&in, ops, cur, rip, d);
			if (k == BT_INSN_MEM && nchk == 1 && o) {
				d->checked = true;
				d->len = o->size / 8u ? o->size / 8u : 8u;
				d->base = chk[0].base;
				d->index = chk[0].index;
				d->scale = chk[0].scale;
				d->disp = chk[0].off - (int64_t)d->len + 1;
				bt_loop_track_addr(&x.track, d);
			}
		}
		n++;
		emit_checks(&x, chk, nchk, cur, n - 1,
			    k == BT_INSN_MEM && rcx_overwritten(&in, ops));
		switch (k) {
		case BT_INSN_COPY: emit_copy(&x, ib, &in); break;
		case BT_INSN_MEM: emit_mem(&x, ib, &in, next); break;
		case BT_INSN_LEA_RIP: emit_lea_rip(&x, ib, &in, next); break;
		case BT_INSN_PUSH_REG: emit_push_reg(&x, &in); break;
		case BT_INSN_PUSH_IMM:
			emit_push_imm(&x, (uint32_t)in.raw.imm[0].value.s);
			break;
		case BT_INSN_POP_REG: emit_pop_reg(&x, &in); break;
		case BT_INSN_LEAVE: emit_leave(&x); break;
		case BT_INSN_PUSH_MEM: emit_push_mem(&x, ib, &in, next); break;
		case BT_INSN_MOV_FROM_CR: emit_mov_from_cr(&x, &in, ops); break;
		case BT_INSN_JMP:
			if (loops && target != rip &&
			    (target & ~(PAGE - 1)) == (rip & ~(PAGE - 1))) {
				/* go on at the target, in the same block */
				next = target;
				break;
			}
			if (target == rip && loops) {
				/* a loop on itself: straight back to the
				 * prologue (kicks still stop it there) */
				b1(&x, 0xe9);
				rel32_to(&x, x.b->code);
			} else {
				stub_exit(&x, rec_new(&x, BT_EXIT_BRANCH,
						      target, n));
			}
			done = true;
			break;
		case BT_INSN_CALL:
			emit_push_imm(&x, (uint32_t)next);
			stub_exit(&x, rec_new(&x, BT_EXIT_BRANCH, target, n));
			done = true;
			break;
		case BT_INSN_JCC: {
			uint8_t *rel;

			b1(&x, 0x0f);
			b1(&x, (uint8_t)(0x80 | (in.opcode & 0x0f)));
			rel = x.p;
			if (target == rip && loops) {
				/* a loop on itself: one taken branch per
				 * iteration, to the prologue */
				rel32_to(&x, x.b->code);
				stub_exit(&x, rec_new(&x, BT_EXIT_BRANCH, next, n));
				done = true;
				break;
			}
			b4(&x, 0);
			if (loops) {
				/* a side exit (side_emit); the block goes on
				 * with the fall-through */
				x.side[x.nside++] = (struct side){
					.target = target, .ninsn = n,
					.rel = rel };
				break;
			}
			stub_exit(&x, rec_new(&x, BT_EXIT_BRANCH, next, n));
			{
				int32_t d = (int32_t)(x.p - (rel + 4));
				memcpy(rel, &d, 4);
			}
			stub_exit(&x, rec_new(&x, BT_EXIT_BRANCH, target, n));
			done = true;
			break;
		}
		case BT_INSN_RET:
			if (env->ibl) {
				emit_ret_cached(&x, &in,
						rec_new(&x, BT_EXIT_RET_FILL, 0, n));
			} else {
				emit_ret(&x, &in);
				stub_indirect(&x, rec_new(&x, BT_EXIT_INDIRECT,
							  0, n));
			}
			done = true;
			break;
		case BT_INSN_JMP_IND:
		case BT_INSN_CALL_IND:
			movabs_store_rax(&x, &env->ctx->gpr[X86_RAX]);
			emit_load_target(&x, ib, &in, next);
			if (k == BT_INSN_CALL_IND)
				emit_push_imm(&x, (uint32_t)next);
			stub_indirect(&x, rec_new(&x, BT_EXIT_INDIRECT, 0, n));
			done = true;
			break;
		default:
			break;
		}
		if (!env->layout_trust) {
			stack_track(&x, k, &in, ops);
			bounds_track(&x, &in, ops);
		}
		if (!env->layout_trust) {
			if (!li)
				bt_loop_insn_describe(&in, ops, cur, rip, &cur_li);
			prove_track(&x, acc_ok ? &acc : NULL,
				    (li ? &li[n - 1] : &cur_li)->writes);
			bt_loop_track_step(&x.track, &in, ops,
					   li ? &li[n - 1] : &cur_li);
		}
		cur = next;
		if (!done && (n == max ||
			      (x.p - x.b->code) +
					      64 * (long)(x.nool + x.nside) >
				      BLOCK_CODE_MAX - INSN_CODE_MAX ||
			      (cur & ~(PAGE - 1)) != (rip & ~(PAGE - 1)))) {
			stub_exit(&x, rec_new(&x, BT_EXIT_BRANCH, cur, n));
			done = true;
		}
	}
	ool_emit(&x);
	side_emit(&x, n);
	x.b->ninsn = n;
	{
		uint8_t *end = x.p;

		_Static_assert(BT_BLOCK_MAX_INSN < BT_CACHE_COUNTS, "counts");
		_Static_assert(BT_BLOCK_MAX_INSN <= BT_CACHE_UNCOUNTS_MAX,
			       "uncounts");
		x.p = count;
		rel32_to(&x, c->data + BT_CACHE_KICK + 16 * n);
		x.p = end;
	}
	x.b->code_len = (uint32_t)(x.p - x.b->code);
	x.b->nmap = x.nmap;
	x.b->map = bt_cache_meta_alloc(c, x.nmap * sizeof(*x.b->map) + 1);
	memcpy(x.b->map, x.map, x.nmap * sizeof(*x.b->map));
	bt_cache_code_commit(c, x.b->code_len);
	*out = x.b;
	return BT_XLATE_OK;
}

/* ---- counted self-loops (bt_loop.h) ------------------------------------ */

#define PRE_CODE_MAX (64 + BT_LOOP_POINTS_MAX * 24 + 128)

static const uint8_t xmm13_spill[] = { 0x66, 0x4c, 0x0f, 0x6e, 0xe8 };
static const uint8_t xmm13_fill[] = { 0x66, 0x4c, 0x0f, 0x7e, 0xe8 };

/* mov %r64(reg), %rcx */
static void mov_to_rcx(struct xl *x, uint8_t reg)
{
	b1(x, (uint8_t)(0x48 | (reg >= 8 ? 4 : 0)));
	b1(x, 0x89);
	b1(x, (uint8_t)(0xc0 | ((reg & 7u) << 3) | 1));
}

/* jcc/jmp rel32 whose field is patched later: returns the field */
static uint8_t *jump_open(struct xl *x, uint8_t cc)
{
	if (cc == 0xe9) {
		b1(x, 0xe9);
	} else {
		b1(x, 0x0f);
		b1(x, cc);
	}
	x->p += 4;
	return x->p - 4;
}

/*
 * The pre-header block (p) of a counted self-loop: with guest RCX parked
 * in XMM15, every point of the plan is checked like a per-access check
 * (flags untouched); then RCX = bound - idx (its negation for a negative
 * step), guest RAX parked in XMM13 and the flags in AX (LAHF/SETO) while
 * the trip count n is checked: divisible by the step, 1 <= n <= 2^32.
 * Everything passes: flags, RAX and RCX back, on to (u), the body
 * without the hoisted checks; else the same restores, a count of the
 * failure in the data page (flag-free) and on to (chk), the body with
 * every check. A guard plan (CPL3, bt_loop_plan_guard) checks only the
 * points: no flags, no trip count. (p) counts no instruction: (u) and
 * (chk) do. Without
 * (u) (it could not be made) (p) just goes to (chk).
 */
static void preheader_emit(struct bt_cache *c, struct bt_block *p,
			   const struct bt_loop_plan *pl,
			   const struct bt_block *u, const struct bt_block *chk)
{
	struct xl x = { .c = c };
	uint8_t *fail1[BT_LOOP_POINTS_MAX], *fail2[2], *fails;
	unsigned n1 = 0, n2 = 0;

	x.b = p;
	p->code = x.p = bt_cache_code_ptr(c);
	/* paddq kick+0(%rip), %xmm14: the kick check, nothing counted */
	b1(&x, 0x66), b1(&x, 0x44), b1(&x, 0x0f), b1(&x, 0xd4), b1(&x, 0x35);
	rel32_to(&x, c->data + BT_CACHE_KICK);
	if (!u) {
		b1(&x, 0xe9);
		rel32_to(&x, chk->code);
		goto out;
	}
	bn(&x, xmm15_spill, sizeof(xmm15_spill));
	for (unsigned i = 0; i < pl->npoints; i++) {
		const struct bt_loop_point *q = &pl->pt[i];
		struct chk k = { .base = q->base, .index = q->index,
				 .scale = q->scale, .off = q->off };

		emit_point(&x, &k);
		b1(&x, 0x67), b1(&x, 0xe3), b1(&x, 5);	/* jecxz +5 */
		fail1[n1++] = jump_open(&x, 0xe9);
	}
	if (!pl->counted) {	/* a guard plan: the points are all */
		bn(&x, xmm15_fill, sizeof(xmm15_fill));
		b1(&x, 0xe9);
		rel32_to(&x, u->code);
		goto fail;
	}
	/* RCX = bound - idx (step > 0) or idx - bound, flag-free */
	if (pl->bound != NOREG) {
		mov_to_rcx(&x, pl->step > 0 ? pl->idx : pl->bound);
		b1(&x, 0x48), b1(&x, 0xf7), b1(&x, 0xd1);	/* not %rcx */
		lea_rcx(&x, X86_RCX, pl->step > 0 ? pl->bound : pl->idx, 1, 1);
	} else if (pl->step > 0) {
		mov_to_rcx(&x, pl->idx);
		b1(&x, 0x48), b1(&x, 0xf7), b1(&x, 0xd1);
		lea_rcx(&x, X86_RCX, NOREG, 0, (int32_t)(pl->bound_imm + 1));
	} else {
		mov_to_rcx(&x, pl->idx);
		lea_rcx(&x, X86_RCX, NOREG, 0, (int32_t)-pl->bound_imm);
	}
	bn(&x, xmm13_spill, sizeof(xmm13_spill));	/* movq %rax,%xmm13 */
	b1(&x, 0x9f), b1(&x, 0x0f), b1(&x, 0x90), b1(&x, 0xc0); /* lahf; seto %al */
	if (pl->shift) {		/* test $(2^j - 1), %ecx; jnz */
		b1(&x, 0xf7), b1(&x, 0xc1);
		b4(&x, (1u << pl->shift) - 1);
		fail2[n2++] = jump_open(&x, 0x85);
	}
	b1(&x, 0x48), b1(&x, 0x81), b1(&x, 0xe9);	/* sub $2^j, %rcx */
	b4(&x, 1u << pl->shift);
	b1(&x, 0x48), b1(&x, 0xc1), b1(&x, 0xe9);	/* shr $(32+j), %rcx */
	b1(&x, (uint8_t)(32 + pl->shift));
	fail2[n2++] = jump_open(&x, 0x85);		/* jnz */
	b1(&x, 0x04), b1(&x, 0x7f), b1(&x, 0x9e);	/* add $0x7f,%al; sahf */
	bn(&x, xmm13_fill, sizeof(xmm13_fill));
	bn(&x, xmm15_fill, sizeof(xmm15_fill));
	b1(&x, 0xe9);
	rel32_to(&x, u->code);
	for (unsigned i = 0; i < n2; i++)
		rel32_to_at(fail2[i], x.p);
	b1(&x, 0x04), b1(&x, 0x7f), b1(&x, 0x9e);
	bn(&x, xmm13_fill, sizeof(xmm13_fill));
fail:
	for (unsigned i = 0; i < n1; i++)
		rel32_to_at(fail1[i], x.p);
	fails = c->data + BT_CACHE_LOOP_FAILS;
	b1(&x, 0x48), b1(&x, 0x8b), b1(&x, 0x0d), rel32_to(&x, fails);
	b1(&x, 0x48), b1(&x, 0x8d), b1(&x, 0x49), b1(&x, 0x01); /* lea 1(%rcx) */
	b1(&x, 0x48), b1(&x, 0x89), b1(&x, 0x0d), rel32_to(&x, fails);
	bn(&x, xmm15_fill, sizeof(xmm15_fill));
	b1(&x, 0xe9);
	rel32_to(&x, chk->code);
out:
	p->code_len = (uint32_t)(x.p - p->code);
	bt_cache_code_commit(c, p->code_len);
}

enum bt_xlate_status bt_translate(struct bt_cache *c,
				  const struct bt_xlate_env *env, uint64_t rip,
				  uint64_t gpa, struct bt_block **out,
				  uint64_t *cr2, uint32_t *pf_error)
{
	struct bt_loop_insn li[BT_BLOCK_MAX_INSN];
	struct bt_loop_plan plan;
	struct bt_block *chk, *u, *p;
	bool loops = !env->layout_trust && !env->no_loops &&
		     (env->max_insn == 0 || env->max_insn > 1);
	enum bt_xlate_status st = xlate(c, env, rip, gpa, 0, loops ? li : NULL,
					&chk, cr2, pf_error);

	if (st != BT_XLATE_OK)
		return st;
	if (!loops || chk->monitor_only ||
	    !(env->wctx.cpl == 3 ? bt_loop_plan_guard(li, chk->ninsn, &plan)
				 : bt_loop_plan_make(li, chk->ninsn, &plan)) ||
	    bt_cache_code_room(c) < BLOCK_CODE_MAX + PRE_CODE_MAX ||
	    c->meta_cap - c->meta_used < BLOCK_META_MAX + 2 * sizeof(*p) ||
	    c->norder + 3 > c->order_cap) {
		bt_cache_insert(c, chk);
		*out = chk;
		return BT_XLATE_OK;
	}
	/* the checked body, the unchecked one, then the pre-header: code
	 * addresses ascend as bt_cache_block_at() wants */
	bt_cache_insert_hidden(c, chk);
	if (xlate(c, env, rip, gpa, plan.hoisted, NULL, &u, cr2, pf_error) !=
	    BT_XLATE_OK) {
		u = NULL;	/* cannot happen (same bytes, room checked) */
	} else {
		bt_cache_insert_hidden(c, u);
		if (u->ninsn != chk->ninsn)
			u = NULL;	/* nor this: then no loop */
	}
	p = bt_cache_meta_alloc(c, sizeof(*p));
	*p = (struct bt_block){ .rip = rip, .gpa = gpa, .cpl = env->wctx.cpl,
				.gpa2 = chk->gpa2 };
	preheader_emit(c, p, &plan, u, chk);
	if (u) {
		c->st.loops_hoisted++;
		c->st.loop_checks_hoisted += plan.nhoisted;
	}
	bt_cache_insert(c, p);
	*out = p;
	return BT_XLATE_OK;
}
