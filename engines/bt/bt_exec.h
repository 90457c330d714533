/*
 * bt_exec.h - running translated guest code until something needs the
 * monitor: the dispatcher, and the fault handling that makes faults in
 * translated code precise.
 *
 * A bt_vcpu owns the guest registers (ctx), RIP and CPL, the translation
 * cache, and uses a shadow (bt_shadow.h) for its windows. bt_exec_run()
 * looks up or translates the block at RIP, enters it with the GS base of
 * the CPL's window and follows exits until one needs a decision it cannot
 * make: an instruction for the monitor, a guest exception (#PF from a
 * shadow fault or from fetching code, #DE from a divide), an MMIO access,
 * an instruction whose address (or a RIP) leaves the window layout
 * (BT_STOP_MONITOR with cause BT_MON_LAYOUT, see bt_translate.h),
 * alignment checking being on (CPL3 with CR0.AM and RFLAGS.AC set:
 * BT_STOP_MONITOR with cause BT_MON_ALIGN before any block runs, since
 * translated code checks no alignment and the monitor raises #AC), or a
 * limit. Guest state is then exactly that of the start of the guest
 * instruction named by stop->rip (for a fault: that instruction did not
 * run; for a monitor stop: it has not run yet).
 *
 * Host faults in translated code that neither the shadow nor the guest
 * explains stop the run with BT_STOP_ERROR and a message naming the host
 * address and guest RIP; faults outside translated code are passed on
 * (they are host bugs, and must crash loudly).
 */
#ifndef VMB_BT_EXEC_H
#define VMB_BT_EXEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bt/bt_cache.h"
#include "bt/bt_ctx.h"
#include "bt/bt_mmio.h"
#include "bt/bt_shadow.h"
#include "machine/x86_state.h"

enum bt_stop_kind {
	BT_STOP_MONITOR,	/* instruction at rip needs the monitor */
	BT_STOP_EXCEPTION,	/* deliver (vector, error, cr2) at rip */
	BT_STOP_MMIO,		/* instruction at rip touches device gpa */
	BT_STOP_LIMIT,		/* block budget or icount_stop reached (rip =
				 * next block) */
	BT_STOP_KICK,		/* bt_vcpu_kick() was called: rip = next block */
	BT_STOP_ERROR,		/* internal error: message */
	BT_STOP_CODE_WRITE,	/* internal (never returned): SMC at rip */
	BT_STOP_PT_WRITE,	/* internal (never returned): traced PT write */
};

struct bt_stop {
	enum bt_stop_kind kind;
	uint64_t rip;
	uint8_t vector;
	bool has_error;
	uint32_t error;
	uint64_t cr2;
	uint64_t gpa;
	uint8_t cause;		/* MONITOR: enum bt_mon_cause (bt_classify.h) */
	char message[256];
};

struct bt_exec_counters {
	uint64_t blocks_run, translations, monitor_exits;
	uint64_t branch_exits, indirect_exits, faults_in_code;
	uint64_t chained, kicks;
	uint64_t code_writes, blocks_invalidated, steps, pt_writes;
	uint64_t ibl_misses, ibl_fills, ibl_resets;
	uint64_t chained_cross, unchained;
	uint64_t ret_fills;	/* RET-site caches filled */
	uint64_t exceptions[32];	/* EXCEPTION stops by vector */
	uint64_t mmio_stops;
	uint64_t fast[8];	/* by enum bt_fast_kind (bt_fast.h) */
};

#define BT_FETCH_TLB 64
#define BT_GMEM_TLB 32

struct bt_vcpu {
	struct bt_ctx ctx;	/* stable address: emitted code points here */
	uint64_t rip;
	unsigned cpl;		/* CS.DPL: 3 = the user window, else the kernel
				 * one; blocks are keyed by it (CPL0 blocks
				 * may hold privileged reads) */
	/* The rest of the architectural state (segments, control registers,
	 * MSRs, RFLAGS bits other than BT_HOST_FLAGS); its gpr[], rip and
	 * arithmetic flags are stale: use bt_vcpu_state_get(). */
	struct x86_state st;
	struct bt_shadow *sh;
	struct guest_mem *mem;
	struct bt_cache cache;
	struct bt_cache step;	/* one-instruction blocks after an SMC stop */
	bool step_next;
	struct bt_exec_counters cnt;
	struct bt_ibl_entry *ibl[2]; /* lookup tables: [0] CPL0, [1] CPL3 */
	bool ibl_dirty[2];
	uint16_t *ibl_used[2];	/* indices filled since the last reset */
	uint32_t nibl_used[2];	/* > BT_IBL_ENTRIES / 8: reset them all */
	/* Code pages fetched from, direct-mapped on the page number: guest
	 * page (rip_page | cpl) -> gpa, each valid while the shadow's
	 * generation is its gen (TLB entries: CR3 writes, INVLPG, traced PT
	 * writes and flushes end them). */
	struct bt_fetch_tlb {
		uint64_t key, gpa, gen;
	} fetch[BT_FETCH_TLB];
	/* bt_gmem's translations (bt_gmem.c): guest page (tag: page | access
	 * kind) -> RAM, each valid while the shadow's generation is its gen,
	 * like the fetch TLB above. */
	struct bt_gmem_tlb {
		uint64_t tag, gpa, gen;
		uint8_t *host;
	} gmem_tlb[BT_GMEM_TLB];
	/* Instructions that touched MMIO: translated as monitor exits
	 * (bt_mmio.h). Emptied with the cache; a written code page loses
	 * its entries. */
	struct bt_mmio_set mmio;
	uint64_t ibl_gen;	/* sh->gen the tables were filled under */
	struct bt_exit_rec **xchain; /* cross-page chains, undone together */
	uint32_t nxchain;
	struct bt_ret_site **rsite; /* filled RET-site caches, reset together */
	uint32_t nrsite;
	volatile int kicked;
	/* An interrupt is pending at the APIC (set by the caller before each
	 * run): an instruction done without the monitor that sets IF must
	 * leave it to the monitor, so the caller delivers it. */
	bool irq_pending;
	/* Called after the translations of RAM page (gpa) were dropped
	 * because it was written (the monitor's decoded code may be on it
	 * too); NULL = none. */
	void (*code_drop_hook)(void *opaque, uint64_t gpa);
	void *code_drop_opaque;
	/* INVLPG (gva) done by the dispatcher (bt_fast.h): the caller drops
	 * the page from the shadow and its monitor's TLB; non-zero when the
	 * shadow failed (host mmap), which stops the run. NULL: INVLPG
	 * always goes to the monitor. */
	int (*invlpg_hook)(void *opaque, uint64_t gva);
	/* MOV to CR3 (cr3) done by the dispatcher: the caller's monitor
	 * counts it and flushes its TLB (the dispatcher then calls
	 * bt_vcpu_cr3_write). NULL: MOV to CR3 always goes to the monitor. */
	void (*cr3_hook)(void *opaque, uint64_t cr3);
	void *hook_opaque;
	bool fast_failed;

	/* Exact instruction limits: when non-zero, nothing is chained
	 * (every block comes back to the dispatcher) and a block that would
	 * take ctx.icount past icount_stop is not entered: BT_STOP_LIMIT. */
	uint64_t icount_stop;
	bool exact;		/* set before the first run: no chaining, no
				 * lookup tables, no RET caches, no loops */
	bool layout_trust;	/* set before the first run: no layout
				 * checks (bt_translate.h), addresses
				 * outside the layout alias */

	/* filled by the fault handler when it takes over */
	struct bt_exit_rec fault_rec;
	struct bt_stop fault_stop;
	uint32_t fault_uncount;	/* counted by the prologue, not retired */
};

/*
 * Set up (v) over (sh) (which must outlive it) with a code cache of
 * (code_bytes), install the fault handler and register the windows.
 * Registers start zeroed. Call it on the thread that will run the vCPU:
 * the alternate signal stack is that thread's. Returns 0, or -1 with (err).
 */
int bt_vcpu_create(struct bt_vcpu *v, struct bt_shadow *sh,
		   size_t code_bytes, char *err, size_t errlen);

/* Unregister and free what bt_vcpu_create() made. */
void bt_vcpu_destroy(struct bt_vcpu *v);

/* Guest RFLAGS bits kept in ctx (arithmetic + DF); others are the
 * caller's. */
static inline uint64_t bt_vcpu_flags(const struct bt_vcpu *v)
{
	return v->ctx.rflags & BT_HOST_FLAGS;
}

/*
 * The complete guest state (out): registers from the context, RIP, the
 * flags merged from the context (arithmetic, DF) and st (the others).
 */
void bt_vcpu_state_get(const struct bt_vcpu *v, struct x86_state *out);

/*
 * Make (in) the guest state, as the monitor does after carrying out an
 * instruction: registers, RIP and flags go to the context, the rest to st,
 * the CPL follows CS.DPL (1 and 2 run as 0), and a changed CR3 / CR0 /
 * CR4 / EFER is passed
 * to the shadow (bt_shadow_cr3_write / _control_write). A CR3 write of
 * the same value (a TLB flush) must use bt_vcpu_cr3_write(). Returns 0, or
 * -1 when the shadow could not follow (host mmap failure).
 */
int bt_vcpu_state_set(struct bt_vcpu *v, const struct x86_state *in);

/* MOV to CR3 (cr3), same value or not. Returns 0 or -1. */
int bt_vcpu_cr3_write(struct bt_vcpu *v, uint64_t cr3);

/* CR2 = (cr2) (a #PF delivered without the monitor). */
void bt_vcpu_cr2_write(struct bt_vcpu *v, uint64_t cr2);

/*
 * Guest RAM [gpa, gpa+len) was written by someone other than translated
 * code (the monitor, a device): drop translations of those pages.
 */
void bt_vcpu_note_write(struct bt_vcpu *v, uint64_t gpa, uint64_t len);

/* Drop every translation (the guest's TSC offset or CR4.TSD changed:
 * translations depend on them). */
void bt_vcpu_flush_code(struct bt_vcpu *v);

/*
 * Make the running (or next) bt_exec_run() of (v) stop with BT_STOP_KICK
 * at the next block boundary. Async-signal-safe and callable from another
 * thread (a timer): one mprotect().
 */
void bt_vcpu_kick(struct bt_vcpu *v);

/*
 * Run from v->rip at v->cpl for at most (max_blocks) dispatches
 * (0 = unlimited; chained blocks do not come back to the dispatcher, so
 * only a kick stops a chained loop).
 * Direct branches are chained: the exit stub is patched into a jump to
 * the target block. A same-page chain stays valid as long as the source
 * block is entered at all (its page is re-translated through the guest
 * tables at every dispatch). A cross-page chain assumes the target page's
 * translation, so all of them are undone whenever guest translations may
 * have changed (the shadow's generation: CR3, INVLPG, PT writes) or
 * blocks were dropped.
 *
 * Indirect branches (RET, JMP/CALL through a register or memory) first
 * try a per-level lookup table from guest RIP to block (bt_ctx.h); a miss
 * comes back here and fills the entry. Each RET site also has its own
 * one-entry cache, filled with its first target (struct bt_ret_site),
 * checked inline before the table. Tables and site caches are emptied
 * whenever blocks or guest translations may have changed.
 *
 * RDTSC runs natively while the guest's TSC offset is 0 and CR4.TSD is
 * clear (the machine spec: guest TSC = host TSC + offset); a change of
 * either must flush the cache (the monitor's job) since translations
 * depend on it.
 *
 * Self-modifying code: translating a block write-protects its RAM
 * page(s). A guest store to such a page stops translated code at the
 * store; the page's blocks are dropped, and the store runs alone from a
 * one-instruction block that protects nothing, so it cannot fault on its
 * own page again; translation then resumes normally (and re-protects).
 *
 * MMIO: the first access to a device page by an instruction is a host
 * fault (BT_STOP_MMIO, counted in cnt.mmio_stops); the instruction is
 * recorded in v->mmio and its page's blocks dropped, so it is translated
 * as a monitor exit (BT_STOP_MONITOR, cause BT_MON_MMIO) from then on.
 *
 * Guest instructions are counted exactly in v->ctx.icount (bt_ctx.h):
 * each block adds its count on entry; a stop inside a block takes back
 * the instructions that did not retire.
 * Returns with (stop) filled and v->rip = stop->rip. The host GS base is
 * left at the last window used (host code does not use GS).
 */
void bt_exec_run(struct bt_vcpu *v, uint64_t max_blocks, struct bt_stop *stop);

#endif /* VMB_BT_EXEC_H */
