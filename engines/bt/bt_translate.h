/*
 * bt_translate.h - guest x86-64 block -> host x86-64 code.
 *
 * Integer instructions are copied; an explicit memory operand gets a GS
 * prefix (the window) and a 32-bit address-size prefix, so its address is
 * the low 32 bits of the guest's and cannot leave the window;
 * RIP-relative operands become absolute addresses (SIB with no base, no
 * index). PUSH/POP/CALL/RET/LEAVE are rewritten into window accesses with
 * the guest RSP in the host RSP, store (or load) first and RSP update last,
 * so a fault leaves the guest state of the instruction's start. Direct
 * branches end the block with exit stubs to their targets; RET and
 * indirect JMP/CALL end it with an indirect exit (target in ctx->target).
 * Any instruction not on the copy list (privileged, sensitive, string,
 * FS/GS-relative, SSE, ...) ends the block with a monitor exit at its RIP,
 * so nothing unknown ever runs natively. A block also ends at the end of
 * its guest page and after BT_BLOCK_MAX_INSN instructions. Unless
 * env->no_loops, a conditional branch that does not go back to the
 * block's start is a side exit (the block goes on with the fall-through;
 * the taken path's stub takes back the instructions not retired, psubq of
 * BT_CACHE_UNCOUNT + 16(n - k)) and a direct JMP within the page is
 * followed (the block goes on at its target).
 *
 * Self-loops whose layout checks can be made once per entry (bt_loop.h)
 * become three blocks: the checked body (as above), the body without
 * those checks, and a pre-header -- the block inserted under (rip) --
 * that checks and goes to one of them (bt_cache_insert_hidden for the
 * two bodies).
 *
 * Layout checks (unless env->layout_trust): the window offset is only
 * the low 32 bits of a guest address, so before each explicit memory
 * access whose address is not known at translation, the full 64-bit
 * address of its last byte is checked to lie in the layout ([-2^31,
 * 2^31) as a signed number), without touching the flags (RCX parked in
 * XMM15: LEA, NOT, BSWAP, MOV r32, JRCXZ); implicit stack accesses check
 * a range around RSP once and rely on it while RSP only moves by the
 * block's own pushes and pops. A failed check leaves the block before
 * the instruction with a monitor exit (cause BT_MON_LAYOUT, the
 * instructions before it counted), so the monitor executes it with full
 * 64-bit semantics (#GP for a non-canonical address, the guest's own
 * page tables otherwise). Constant addresses (RIP-relative, absolute)
 * are checked here: an instruction whose constant address is outside
 * the layout goes to the monitor. At CPL3 (the user window maps nothing
 * at or above 2^31, bt_exec_fault.c) an access within 2^30 bytes of one
 * the block already made through the same registers needs no check.
 *
 * The block's prologue adds its instruction count (block->ninsn) to the
 * count in XMM14 (bt_ctx.h, bt_cache.h): a block that is left through
 * any of its exits retired all of them; one that stops in the middle
 * (a fault at instruction k, map index k) retired k.
 */
#ifndef VMB_BT_TRANSLATE_H
#define VMB_BT_TRANSLATE_H

#include <stdbool.h>
#include <stdint.h>

#include "bt/bt_cache.h"
#include "bt/bt_ctx.h"
#include "machine/page_walk.h"

struct guest_mem;
struct bt_mmio_set;

#define BT_BLOCK_MAX_INSN 64

struct bt_xlate_env {
	struct guest_mem *mem;
	struct walk_ctx wctx;	/* paging state; cpl = the block's */
	struct bt_ctx *ctx;	/* embedded in exit stubs */
	unsigned max_insn;	/* 0 = BT_BLOCK_MAX_INSN */
	const void *ibl;	/* indirect-branch lookup to jump to, or NULL
				 * for a plain indirect exit */
	bool native_rdtsc;	/* RDTSC runs natively (guest TSC offset 0
				 * and CR4.TSD clear): no monitor exit */
	bool no_loops;		/* no direct jump back to the block's own
				 * start: every iteration exits (exact
				 * instruction limits) */
	bool layout_trust;	/* no layout checks: addresses outside the
				 * layout alias (see below) */
	const struct bt_mmio_set *mmio; /* instructions that go to the
				 * monitor (cause BT_MON_MMIO), or NULL */
};

enum bt_xlate_status {
	BT_XLATE_OK,
	BT_XLATE_FETCH_FAULT,	/* #PF on the first instruction's bytes */
	BT_XLATE_FULL,		/* cache full: flush and retry */
};

/*
 * Translate the block at guest (rip), whose first byte is at guest-physical
 * (gpa), for env->wctx.cpl. On BT_XLATE_OK *out is the new block (already
 * inserted in (c)). On BT_XLATE_FETCH_FAULT, (*cr2, *pf_error) describe the
 * #PF the guest takes (an instruction crossing into an unmapped page).
 */
enum bt_xlate_status bt_translate(struct bt_cache *c,
				  const struct bt_xlate_env *env, uint64_t rip,
				  uint64_t gpa, struct bt_block **out,
				  uint64_t *cr2, uint32_t *pf_error);

#endif /* VMB_BT_TRANSLATE_H */
