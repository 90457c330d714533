/*
 * bt_ctx.h - the guest CPU state as translated code sees it, and the
 * entry/exit between C and translated code (bt_entry.S).
 *
 * While translated code runs, guest GPRs are in the host GPRs (guest RSP
 * in the host RSP: every implicit stack access is rewritten, and signals
 * run on the alternate stack), and the guest's arithmetic flags and DF are
 * in the host RFLAGS. Everything else (RIP, IF, control registers) lives in
 * C. bt_enter() saves the host's callee-saved registers and stack pointer
 * in the context, loads the guest registers and jumps to the code; an exit
 * stub stores the guest registers back, records which exit was taken in
 * (exit_rec), and returns from bt_enter(). The instruction count rides in
 * XMM14 the same way (icount).
 *
 * The layout is fixed: bt_entry.S and emitted code use the offsets below.
 */
#ifndef VMB_BT_CTX_H
#define VMB_BT_CTX_H

#include <stddef.h>
#include <stdint.h>

/* Guest flags kept in the host RFLAGS while translated code runs. */
#define BT_HOST_FLAGS 0xcd5ull	/* CF PF AF ZF SF DF OF */

struct bt_ctx {
	uint64_t gpr[16];	/* x86_gpr order */
	uint64_t rflags;	/* on exit: host RFLAGS (use BT_HOST_FLAGS) */
	uint64_t host_rsp;	/* bt_enter's stack, for the way back */
	uint64_t exit_rec;	/* struct bt_exit_rec * of the exit taken */
	uint64_t target;	/* guest target of an indirect branch */
	uint64_t entry;		/* host code bt_enter jumps to */
	/* Guest instructions retired by translated code. While it runs the
	 * count is in the low lane of the host XMM14 (guest code never uses
	 * XMM registers): every block prologue adds its instruction count
	 * there (see BT_BLOCK_PROLOGUE), bt_enter loads it, every way out
	 * stores it back. A stop inside a block counted too many: the
	 * dispatcher takes the ones not retired back off. */
	uint64_t icount;
};

#define BT_CTX_GPR 0
#define BT_CTX_RFLAGS 128
#define BT_CTX_HOST_RSP 136
#define BT_CTX_EXIT_REC 144
#define BT_CTX_TARGET 152
#define BT_CTX_ENTRY 160
#define BT_CTX_ICOUNT 168

_Static_assert(offsetof(struct bt_ctx, rflags) == BT_CTX_RFLAGS, "ctx");
_Static_assert(offsetof(struct bt_ctx, host_rsp) == BT_CTX_HOST_RSP, "ctx");
_Static_assert(offsetof(struct bt_ctx, exit_rec) == BT_CTX_EXIT_REC, "ctx");
_Static_assert(offsetof(struct bt_ctx, target) == BT_CTX_TARGET, "ctx");
_Static_assert(offsetof(struct bt_ctx, entry) == BT_CTX_ENTRY, "ctx");
_Static_assert(offsetof(struct bt_ctx, icount) == BT_CTX_ICOUNT, "ctx");

/*
 * Run translated code at ctx->entry with the guest registers of (ctx)
 * until an exit stub returns here; the guest registers, flags and
 * exit_rec are then in (ctx). The GS base must already point at the
 * window for the guest's privilege level.
 */
void bt_enter(struct bt_ctx *ctx);

/* Common tail of every exit stub: RAX = ctx, guest RAX already saved. */
extern const char bt_exit_common[];

/*
 * Where the fault handler sends a context it has taken over (guest state
 * already copied to ctx): with RDI = ctx it returns from bt_enter().
 */
extern const char bt_exit_resume_host[];

/*
 * Indirect-branch lookup (bt_entry.S): per privilege level, a
 * direct-mapped table from guest RIP to block code, consulted by every
 * indirect exit before it leaves translated code. The globals are the
 * running vCPU's (set before entering guest code).
 */
#define BT_IBL_ENTRIES 4096	/* indexed by rip & (BT_IBL_ENTRIES - 1) */

struct bt_ibl_entry {
	uint64_t rip;		/* ~0 when empty */
	uint64_t code;		/* block entry, or bt_ibl_empty<lvl> */
};

extern const char bt_ibl_lookup0[], bt_ibl_lookup3[];
extern const char bt_ibl_empty0[], bt_ibl_empty3[];
extern struct bt_ibl_entry *bt_ibl_table0, *bt_ibl_table3;
extern struct bt_ctx *bt_ibl_ctx;
extern uint64_t bt_ibl_hits;	/* lookups that found their block */

#endif /* VMB_BT_CTX_H */
