/*
 * bt_loop.h - layout checks hoisted out of counted self-loops.
 *
 * A self-loop is a block that ends with a JNE back to its own start. It
 * is *counted* when the flags of that JNE come from `cmp idx, bound`
 * (either order; bound a register or an immediate) or from the update
 * itself (bound 0), where idx is written in the block exactly once, by
 * `add/sub $imm`, `inc`, `dec` or `lea imm(idx), idx` (64-bit, a step s
 * of +-2^j, j <= 16), and bound is not written in the block. Then,
 * entering with idx = I0, the loop runs at most n iterations, n the
 * least k >= 1 with I0 + k*s = bound (mod 2^64): idx takes the values
 * I0, I0 + s, ..., bound - s before the update and I0 + s, ..., bound
 * after it, whatever n is.
 *
 * An explicit memory access of the block whose layout check is one point
 * (base + index*scale + disp, bt_translate.c) and whose registers other
 * than idx are not written in the block (nor RCX, the check's scratch)
 * visits an arithmetic sequence of addresses; when 1 <= n <= 2^32, the
 * sequence's first and last accesses (both ends of each access) in the
 * layout imply every access in between is, with no 64-bit wrap (the step
 * of an address is at most 2^20 bytes). bt_loop_plan_make() lists those
 * points; the translator checks them, and n's range, once per entry into
 * the loop (a pre-header) and drops the per-access checks from the body.
 * A failed pre-header check runs the loop with every check (exact).
 */
#ifndef VMB_BT_LOOP_H
#define VMB_BT_LOOP_H

#include <stdbool.h>
#include <stdint.h>
#include <Zydis/Zydis.h>

#define BT_LOOP_NOREG 0xff
#define BT_LOOP_POINTS_MAX 32
#define BT_LOOP_INSN_MAX 64

/* One guest instruction of a block, as the loop analysis sees it. */
struct bt_loop_insn {
	uint16_t writes;	/* GPRs written, any width, hidden ones too */
	/* idx += step: 64-bit add/sub $imm, inc, dec, lea d(idx),idx */
	uint8_t upd_reg;	/* BT_LOOP_NOREG: not an update */
	bool upd_flags;		/* ZF from the result (not LEA) */
	int64_t step;
	/* cmp a, b (64-bit registers), or cmp a, $imm (b BT_LOOP_NOREG) */
	bool cmp;
	uint8_t cmp_a, cmp_b;
	int64_t cmp_imm;
	bool jne_self;		/* JNE to the block's start */
	bool jcc_self;		/* any Jcc to the block's start */
	/* set by the translator: its layout check is the one point
	 * base + index*scale + disp .. + len - 1 */
	bool checked;
	uint8_t base, index, scale;
	int64_t disp;
	uint32_t len;
	/* the address may be up to (wide) bytes above base + index*scale +
	 * disp (bt_loop_track_addr: a bounded term of it) */
	uint64_t wide;
};

/*
 * What is known of each register along one pass through a block, for the
 * analysis: value = base + index*scale + [lo, hi] (base, index absent as
 * BT_LOOP_NOREG), with base and index unchanged since. Zero-extending
 * loads, AND with a mask, immediates, register moves, LEA and ADD/SUB of
 * such values are followed; everything else forgets what it writes.
 */
struct bt_loop_fact {
	bool valid;
	uint8_t base, index, scale;
	int64_t lo, hi;
};
struct bt_loop_track {
	struct bt_loop_fact r[16];
};

/* A point the pre-header checks: base + index*scale + off in the layout
 * (registers BT_LOOP_NOREG when absent). */
struct bt_loop_point {
	uint8_t base, index, scale;
	int64_t off;
};

struct bt_loop_plan {
	bool counted;		/* a counted loop (else a guard plan) */
	uint8_t idx;		/* the induction register (counted) */
	int64_t step;		/* +-2^shift */
	unsigned shift;
	uint8_t bound;		/* a register, or BT_LOOP_NOREG: bound_imm */
	int64_t bound_imm;
	uint64_t hoisted;	/* bit k: instruction k needs no check */
	unsigned nhoisted;
	unsigned npoints;
	struct bt_loop_point pt[BT_LOOP_POINTS_MAX];
};

/* Describe decoded guest instruction (in, ops) at (rip) of the block
 * starting at (block_rip) into (li); the check fields are left clear. */
void bt_loop_insn_describe(const ZydisDecodedInstruction *in,
			   const ZydisDecodedOperand *ops, uint64_t rip,
			   uint64_t block_rip, struct bt_loop_insn *li);

/* Forget everything (the start of a block). */
void bt_loop_track_init(struct bt_loop_track *t);

/* Follow decoded instruction (in, ops), described in (li). */
void bt_loop_track_step(struct bt_loop_track *t,
			const ZydisDecodedInstruction *in,
			const ZydisDecodedOperand *ops,
			const struct bt_loop_insn *li);

/* Rewrite the checked address of (li) (its base, index, scale, disp, as
 * the instruction names them) in terms of the registers they were
 * computed from in this pass, with the bounded rest in li->wide. */
void bt_loop_track_addr(const struct bt_loop_track *t, struct bt_loop_insn *li);

/* Is the block (li[0..n)) a counted self-loop with at least one access
 * whose check can be hoisted? Then (p) is the plan (p->counted). */
bool bt_loop_plan_make(const struct bt_loop_insn *li, unsigned n,
		       struct bt_loop_plan *p);

/*
 * The guard plan, for CPL3 code only, where the user window never maps
 * an offset at or above 2^31 (bt_exec_fault.c sends every access there
 * to the monitor): any self-loop (a Jcc to its start, whatever decides
 * it) whose accesses use registers that are loop-invariant or written
 * once, by a constant step (|step| <= 2^16), moves each address by at
 * most 2^20 bytes per iteration. An address sequence that starts in the
 * layout cannot then reach an address outside it whose low 32 bits
 * alias the user half without first touching an offset in [2^31, 2^32)
 * (going up from below 2^31, or down from 0): that access faults, the
 * monitor carries it out exactly, and the loop is left. So checking that
 * the first byte of each access's first iteration is in the layout, once
 * per entry, suffices, whatever the trip count (an access that starts
 * inside and ends past 2^31, or starts just below 0, touches an offset
 * in [2^31, 2^32 + 8) too). The bounded part of an address (li->wide, at
 * most 2^20) widens the checked range. Returns whether (p) hoists at
 * least one check.
 */
bool bt_loop_plan_guard(const struct bt_loop_insn *li, unsigned n,
			struct bt_loop_plan *p);

#endif /* VMB_BT_LOOP_H */
