/*
 * engine.h - the interface every virtualization engine implements.
 *
 * An engine runs the guest machine (engines/machine/) with one technique:
 * interp (interpretation), bt (binary translation + shadow paging), kvm
 * (hardware assistance through /dev/kvm). The harness sees engines only
 * through this header and the table in engines/registry.c; it never
 * includes an engine's private headers.
 *
 * Life cycle:
 *   engine_find("interp")              -> ops, or NULL
 *   engine_probe(ops, why)             -> usable here? if not, why
 *   engine_create(ops, &cfg, &e, err)  -> machine built, guest loaded
 *   engine_run(e, &exit)               -> until guest exit or a limit
 *   engine_counters(e, &c)             -> totals; e->roi[] per marker
 *   engine_destroy(e)
 *
 * Errors are returned, never fatal. A guest that faults, triple-faults or
 * executes something unsupported is a *result* (struct run_exit), not a
 * host error: engine_run() returns 0 and describes it.
 */
#ifndef VMB_ENGINE_H
#define VMB_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "machine/machine.h"

/* A named engine-specific counter (tlb_miss, kvm's "exits", ...). */
#define ENGINE_STAT_NAME_MAX 48
#define ENGINE_MAX_STATS 192

struct engine_stat {
	char name[ENGINE_STAT_NAME_MAX];
	uint64_t value;
};

struct engine_counters {
	struct trap_counters traps;
	uint64_t instructions;	/* guest instructions retired */
	bool instructions_valid; /* false where the engine cannot count them */
	uint64_t tsc;		/* host TSC when the snapshot was taken */
	unsigned nstats;
	struct engine_stat stats[ENGINE_MAX_STATS];
};

/* Counters captured at one region-of-interest marker write. */
struct engine_roi_snapshot {
	uint32_t value;		/* VMB_ROI_VALUE(id, event) written by the guest */
	struct engine_counters counters;
};

enum run_exit_reason {
	RUN_EXIT_GUEST,		/* guest wrote the exit port: see status */
	RUN_EXIT_TRIPLE_FAULT,	/* shutdown: rip/regs show the last state */
	RUN_EXIT_GUEST_FAULT,	/* fault the engine could not deliver */
	RUN_EXIT_UNSUPPORTED_INSN, /* valid but unimplemented instruction */
	RUN_EXIT_UNSUPPORTED_ON_BACKEND, /* e.g. VMCALL on KVM/PVM */
	RUN_EXIT_HALTED,	/* HLT with interrupts disabled: never wakes */
	RUN_EXIT_INSN_LIMIT,
	RUN_EXIT_TIME_LIMIT,
	RUN_EXIT_INTERNAL_ERROR, /* engine/host failure (message says which) */
};

struct run_exit {
	enum run_exit_reason reason;
	uint32_t status;	/* RUN_EXIT_GUEST: value written to the port */
	uint64_t rip;		/* guest RIP where the run stopped */
	uint64_t fault_addr;	/* CR2-like address, when relevant */
	char message[512];	/* human-readable cause, names RIP/bytes */
	struct x86_state regs;	/* guest state at the stop (best effort) */
	bool regs_valid;
};

/* What the caller asks for. Engine-specific options are "key=value,...". */
struct vm_config {
	struct machine_config machine;
	uint64_t insn_limit;	/* 0 = unlimited (engines that count them) */
	double time_limit_s;	/* wall time, 0 = unlimited */
	const char *options;	/* e.g. "shadow=trace", "host-pages=2m" */
	console_sink_fn console_sink; /* live console stream, may be NULL */
	void *console_opaque;
	/* Called at every ROI marker right after the engine's counters are
	 * in (snap), on the vCPU's thread; it may add named stats to
	 * snap->counters (the harness adds its per-thread host counters as
	 * "host.*"). May be NULL. */
	void (*roi_observer)(void *opaque, struct engine_roi_snapshot *snap);
	void *roi_observer_opaque;
};

struct engine;

struct engine_ops {
	const char *name;	/* "interp", "bt", "kvm" */
	const char *technique;	/* one line for `vmbench list` */

	/* Required. 0 if usable here; else -1 and (why) says what is missing. */
	int (*probe)(char *why, size_t whylen);
	/* Required. Set up engine state for (e->m); fill e->priv. On failure
	 * it frees what it made itself: destroy is not called then. */
	int (*create)(struct engine *e, const struct vm_config *cfg, char *err,
		      size_t errlen);
	/* Required. Run until exit or limit; 0 with (exit) filled, -1 on a
	 * host-side failure (exit->message says why). */
	int (*run)(struct engine *e, struct run_exit *exit);
	/* Required. Current totals. */
	void (*counters)(struct engine *e, struct engine_counters *out);
	/* Optional: describe the backend/options in one line (kvm: "PVM"). */
	void (*describe)(struct engine *e, char *buf, size_t buflen);
	/*
	 * Optional: the whole VM state as a malloc'd blob (the format of
	 * machine/snapshot.h, shared by the engines that have these), and
	 * back. Only between runs (or before the first). restore makes the
	 * engine continue from the blob's state as if it had just been
	 * stopped there: whatever it derived from the old state (decoded or
	 * translated code, TLBs, shadow page tables) is dropped. 0, or -1
	 * with (err) set; a refused blob leaves the engine as it was.
	 */
	int (*snapshot)(struct engine *e, void **blob, size_t *len, char *err,
			size_t errlen);
	int (*restore)(struct engine *e, const void *blob, size_t len,
		       char *err, size_t errlen);
	/* Required. Free e->priv (the machine is freed by engine_destroy). */
	void (*destroy)(struct engine *e);
	/*
	 * Optional: the guest's precise architectural state into (out): RIP
	 * of the instruction being executed, RFLAGS with the arithmetic flags
	 * materialised, CR2, everything the guest can read. Valid while a
	 * device callback of the run runs (the ROI hook: the marker's OUT is
	 * the instruction, not yet retired) and between runs. 0, or -1 when
	 * the engine cannot give it at this point; NULL where an engine has
	 * none (kvm). Used by the cross-engine state check at ROI markers
	 * (docs/bt.md "Tests").
	 */
	int (*state_get)(struct engine *e, struct x86_state *out);
};

#define ENGINE_MAX_ROI 4096

struct engine {
	const struct engine_ops *ops;
	struct machine *m;
	void *priv;
	struct vm_config cfg;
	/* Snapshots taken at ROI markers, in order; roi_dropped counts the
	 * markers past ENGINE_MAX_ROI (reported, never silently lost). */
	struct engine_roi_snapshot *roi;
	unsigned nroi;
	uint64_t roi_dropped;
};

/* All engines, in display order, NULL-terminated (engines/registry.c). */
extern const struct engine_ops *const engine_table[];

/* The engine called (name), or NULL. */
const struct engine_ops *engine_find(const char *name);

/* Ask (ops) whether it can run here. 0 = yes; -1 = no, (why) explains. */
int engine_probe(const struct engine_ops *ops, char *why, size_t whylen);

/*
 * Build the machine from (cfg) (RAM, devices, kernel, boot state) and the
 * engine on top of it. Returns 0 and *out, or -1 with (err) naming the
 * cause; nothing is leaked on failure. The strings in (cfg) are copied.
 * The machine's ROI hook is set to snapshot engine_counters() into
 * e->roi[], and the console sink to cfg->console_sink.
 */
int engine_create(const struct engine_ops *ops, const struct vm_config *cfg,
		  struct engine **out, char *err, size_t errlen);

/* Run the guest. See struct engine_ops.run. */
int engine_run(struct engine *e, struct run_exit *exit);

/* Current counters (never fails; unknown values are flagged invalid). */
void engine_counters(struct engine *e, struct engine_counters *out);

/* Stat (name) in (c), or NULL. */
const struct engine_stat *engine_stat_find(const struct engine_counters *c,
					   const char *name);

/* Append a named stat. When the table fills up its last slot becomes
 * "stats_dropped", counting every stat that did not fit. engine_counters()
 * appends the machine's "io_unassigned_reads"/"io_unassigned_writes". */
void engine_stat_add(struct engine_counters *c, const char *name,
		     uint64_t value);

/* engine_ops.snapshot/restore, or -1 with (err) saying that the engine
 * has none. */
int engine_snapshot(struct engine *e, void **blob, size_t *len, char *err,
		    size_t errlen);
int engine_restore(struct engine *e, const void *blob, size_t len, char *err,
		   size_t errlen);

/* Destroy (e) and its machine. (e) may be NULL. */
void engine_destroy(struct engine *e);

/* Stable name of (reason), e.g. "triple_fault", "guest_exit". */
const char *run_exit_reason_name(enum run_exit_reason reason);

/*
 * Parse "key=value,key2=value2" (opts) and find (key): copies its value to
 * (val) and returns 1, returns 0 when absent, -1 when the value does not
 * fit in (vallen). A bare "key" has the value "". Engines use it for
 * options.
 */
int engine_option(const char *opts, const char *key, char *val, size_t vallen);

#endif /* VMB_ENGINE_H */
