/*
 * roi_state.h - guest-visible state at every region-of-interest marker,
 * recorded on any engine that implements engine_ops.state_get, and the
 * comparison of two such recordings (bt against interp).
 *
 * A recorder wraps the machine's ROI hook (after engine_create(), before
 * engine_run()): at each marker it keeps the engine's counters snapshot as
 * before, then takes the precise guest state (the marker's OUT not yet
 * retired) and the contents of the guest memory the workload owns.
 *
 * What is compared (roi_state_compare), strictly:
 *   - RIP (the marker's OUT), RFLAGS (every architecturally defined bit),
 *     CS/SS selectors, CR0, CR2, CR3, CR4, EFER, FS/GS base,
 *     KERNEL_GS_BASE, and the user RSP the kernel saved at the system
 *     call that wrote the marker (user-mode workloads);
 *   - RSP, RAX, RDX (the marker code sets them: value and port) and the
 *     callee-saved RBX, RBP, R12-R15;
 *   - every present user page (VA < 2 GiB) of the address space in CR3,
 *     by virtual address: its R/W and NX rights and its contents, except
 *     the dead part of the user stack below the user RSP;
 *   - the live kernel stack [RSP, top): all of it when the kernel was not
 *     entered from CPL3 (kernel-mode workloads: their frames and spills);
 *     else the trap frame at its top (the user's registers at the system
 *     call) less the slots of dead caller-saved registers.
 * What is excluded, and why (docs/bt.md "Tests"):
 *   - a compared register, or an aligned 64-bit word of a user page or
 *     the kernel stack, that holds a host TSC reading on both sides -- the
 *     64-bit value or its high or low 32-bit half, within each run's own
 *     window (from the marker before the previous one to this one):
 *     RDTSC reads the host TSC on every engine, and workloads keep t0/t1
 *     live across their region and into the next marker;
 *   - the caller-saved RCX, RSI, RDI, R8-R11: the marker is written by a
 *     kernel function (roi_begin/roi_write) that does not set them, so by
 *     the calling convention they are dead there and hold leftovers of
 *     earlier code (e.g. the end pointer of a TSC-derived number just
 *     formatted, whose length varies with timing);
 *   - the user stack below the user RSP (dead: the text of earlier result
 *     lines, with their cycle counts);
 *   - the kernel frames below a trap frame from CPL3: their padding slots
 *     keep whatever ran at that depth before, e.g. a timer interrupt;
 *   - all other kernel memory (page tables with their A/D bits, the dead
 *     part of kernel stacks, the tick counter, process table, allocator):
 *     its contents and layout depend on when timer interrupts arrived;
 *     user pages are compared by VA, not by physical page, for the same
 *     reason;
 *   - with ROI_CMP_SCHED (workloads with several processes that the timer
 *     preempts: fork, exec, context switches), CR2 and the kernel stack:
 *     which process took the last page fault, and what the scheduler left
 *     on the stack, depend on the preemption points.
 * A perturbation knob (roi_recorder.perturb) alters one recorded value
 * so that tests can prove the comparison reports it.
 */
#ifndef VMB_TEST_ROI_STATE_H
#define VMB_TEST_ROI_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine.h"

/* One user page at a marker. */
struct roi_page {
	uint64_t va;
	uint64_t rights;	/* ROI_PAGE_W | ROI_PAGE_NX */
	uint64_t hash;		/* of the compared bytes: fast equality */
	uint32_t lo, hi;	/* compared byte range [lo, hi) of the page */
	uint8_t *bytes;		/* copy of the page (4096) */
};

#define ROI_PAGE_W 1u
#define ROI_PAGE_NX 2u

/* The state at one marker. */
struct roi_state {
	uint32_t value;		/* VMB_ROI_VALUE(id, event) */
	/* Host TSC when the marker before the previous one was written (the
	 * recorder was attached, for the first two) and at this marker: the
	 * window of the TSC readings this state may still hold. */
	uint64_t tsc_lo, tsc_hi;
	struct x86_state regs;
	uint64_t user_rsp;	/* 0 when unknown */
	uint8_t *kstack;	/* live kernel stack [RSP, top), or NULL */
	uint32_t kstack_len;
	bool kstack_from_user;	/* its top frame was pushed from CPL3 */
	struct roi_page *pages;	/* sorted by va */
	unsigned npages;
};

/* What to alter in the recording, for tests of the comparison. */
enum roi_perturb_kind {
	ROI_PERTURB_NONE,
	ROI_PERTURB_GPR,	/* gpr (index) ^= 1 */
	ROI_PERTURB_RFLAGS,	/* CF toggled */
	ROI_PERTURB_MEM,	/* first byte of the (index)th user page ^= 1 */
	/* the byte (index) bytes below the top of the live kernel stack ^= 1 */
	ROI_PERTURB_KSTACK,
};

struct roi_perturb {
	enum roi_perturb_kind kind;
	unsigned marker;	/* at the (marker)th marker, from 0 */
	unsigned index;
};

struct roi_recorder {
	struct engine *e;
	roi_hook_fn prev;
	void *prev_opaque;
	uint64_t tsc_start;
	/* Kernel VA of the 8-byte slot where the guest kernel keeps the user
	 * RSP during a system call (the guest's `syscall_user_rsp`), 0 when
	 * not known: then the whole user stack is compared. */
	uint64_t user_rsp_slot;
	/* Kernel VA of the 8-byte slot holding the top of the current kernel
	 * stack (the guest's `cpu_kstack_top`), 0 when not known: then the
	 * kernel stack is not compared. (kstack_top_boot) is the top used
	 * while the slot still holds 0 (the boot stack, before the first
	 * process switch). */
	uint64_t kstack_top_slot, kstack_top_boot;
	/* The trap frame at the top of the kernel stack: its size in 8-byte
	 * words, the index of its CS slot (word i ends 8 * i bytes below the
	 * top), and the words not compared when CS says CPL3 (bit i). When
	 * the kernel was entered from CPL3 only the frame is compared; with
	 * (kstack_frame_words) 0 the whole live stack always is. */
	unsigned kstack_frame_words, kstack_cs_word;
	uint64_t kstack_dead_top;
	struct roi_perturb perturb;
	struct roi_state *st;
	unsigned n, cap;
	char err[256];		/* first recording failure, "" if none */
};

/*
 * Start recording on (e), made with engine_create() and not yet run.
 * (user_rsp_slot) as in struct roi_recorder. Returns 0, or -1 when the
 * engine has no state_get (err says so).
 */
int roi_recorder_attach(struct roi_recorder *r, struct engine *e,
			uint64_t user_rsp_slot, char *err, size_t errlen);

/* Free what (r) recorded; the engine is not touched. */
void roi_recorder_free(struct roi_recorder *r);

#define ROI_CMP_SCHED 1u	/* see above: CR2 is not compared */

/*
 * Compare recording (b) against the reference (a), marker by marker, with
 * (flags) ROI_CMP_*.
 * Returns 0 when they agree; else 1 and (msg) names the first difference:
 * marker index and value, then the register (both values) or the user
 * page (VA, and the first differing byte offset with both bytes), or a
 * marker count mismatch. (na) and (nb) name the two sides in the message.
 */
int roi_state_compare(const struct roi_recorder *a, const char *na,
		      const struct roi_recorder *b, const char *nb,
		      unsigned flags, char *msg, size_t msglen);

#endif /* VMB_TEST_ROI_STATE_H */
