/*
 * cpu.h - the interpreter's private vCPU: architectural state, lazy flags,
 * the decoded-instruction format and the handler calling convention.
 *
 * Every handler has the type op_fn: it runs one decoded instruction (i)
 * on (c) with c->s.rip still pointing at the instruction and c->next_rip
 * at the one after it. It returns OP_OK (the loop commits next_rip and
 * counts the instruction), OP_FAULT (an exception was raised with
 * cpu_fault(); nothing was committed, the loop delivers it precisely) or
 * OP_STOP (the run must end: c->exit says why).
 *
 * Arithmetic flags are lazy: the last flag-setting operation leaves its
 * operands and result in c->lf and flags_get() derives CF/PF/AF/ZF/SF/OF
 * from them on demand. While c->lf.op == LF_NONE the six flags are the
 * ones in c->s.rflags.
 */
#ifndef VMB_INTERP_CPU_H
#define VMB_INTERP_CPU_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "engine.h"
#include "machine/x2apic.h"

struct cpu;
struct insn;

enum op_result { OP_OK = 0, OP_FAULT = 1, OP_STOP = 2 };

typedef int (*op_fn)(struct cpu *c, const struct insn *i);

/* Operand kinds of a decoded instruction. */
enum { OPK_NONE, OPK_REG, OPK_MEM, OPK_IMM, OPK_SREG, OPK_CR };

/* Register numbers: 0-15 the GPRs, 16-19 AH, CH, DH, BH. */
#define GPR_HIGH8 16
#define GPR_NONE 0xff
#define GPR_RIP 0xfe

struct opnd {
	uint8_t kind;
	uint8_t size;		/* bytes */
	uint8_t reg;
};

/* insn.flags */
#define IF_REP 0x01		/* REP / REPE */
#define IF_REPNE 0x02
#define IF_END 0x04		/* ends its block (control transfer, system) */
/* The memory operand is [base + index * scale + disp] with 64-bit
 * addressing and no segment override; base and index are read at byte
 * offsets ea_base/ea_idx of struct cpu (a GPR, next_rip for RIP-relative,
 * or ea_zero for an absent one), so op_ea() needs no branch. */
#define IF_EA_FAST 0x08

struct insn {
	op_fn fn;		/* threaded entry (thread.h) */
	op_fn exec;		/* the handler proper */
	uint8_t len;
	uint8_t osz;		/* operand size, bytes */
	uint8_t asz;		/* address size, bytes (4 or 8) */
	uint8_t flags;
	uint8_t cc;		/* condition code of Jcc/SETcc/CMOVcc */
	uint8_t nops;		/* visible operands */
	struct opnd o[3];
	uint8_t mbase, midx, mscale, mseg; /* memory operand; seg 0/FS/GS */
	uint16_t mnemonic;	/* ZydisMnemonic, for messages */
	uint16_t ea_base, ea_idx; /* IF_EA_FAST: offsets in struct cpu */
	/* Threaded twins (thread.h) address a RIP-relative operand from the
	 * block's first byte (cpu.blk_rip) instead of next_rip: ea_tbase and
	 * tdisp are ea_base and disp with that change (equal otherwise). */
	uint16_t ea_tbase;
	int16_t off;		/* offset of the first byte from the block's
				 * (negative after a JMP back, icache.c) */
	uint8_t idx;		/* index in the block (the sentinel's: n) */
	int64_t disp;
	uint64_t imm;		/* immediate, sign-extended; rel offset of branches */
	union {
		uint64_t imm2;	/* second immediate (ENTER: no memory operand) */
		int64_t tdisp;	/* IF_EA_FAST: see ea_tbase */
	};
};

/* Lazy flag operations. */
enum {
	LF_NONE, LF_ADD, LF_ADC, LF_SUB, LF_SBB, LF_LOGIC, LF_INC, LF_DEC,
	LF_SHL, LF_SHR, LF_SAR,	/* b = count (1..63), a = operand */
	LF_MUL,			/* cin = CF = OF (significant high half) */
};

struct lazy_flags {
	uint64_t res, a, b;	/* masked to size */
	union {
		struct {
			uint8_t op, size, cin, pad;
		};
		uint32_t opsz;	/* all four in one store (flags_set) */
	};
};

#define FLAGS_ARITH                                                          \
	(X86_RFLAGS_CF | X86_RFLAGS_PF | X86_RFLAGS_AF | X86_RFLAGS_ZF |     \
	 X86_RFLAGS_SF | X86_RFLAGS_OF)

/* Pending exception raised by a handler or the memory layer. */
struct pending_exc {
	uint8_t vector;
	bool has_error;
	bool soft;		/* INT n/INT3: return address is next_rip */
	/* #GP(0) of a non-canonical address (va): ssfault.h may make it
	 * #SS(0) */
	bool nc;
	uint32_t error;
	uint64_t va;
};

#include "interp/tlb.h"
#include "interp/icache.h"

struct interp_stats {
	uint64_t tlb_hit, tlb_miss, walk_refs, blocks_decoded, icache_flushes;
	uint64_t insns_decoded;
};

/* ISA extensions the machine's CPUID advertises (cpu_features_load()). An
 * encoding whose extension is not advertised behaves as on a CPU without
 * it: TZCNT/LZCNT run as BSF/BSR (the REP prefix is ignored), POPCNT and
 * MOVBE raise #UD, CR4 bits of absent features raise #GP. */
struct cpu_features {
	bool bmi1, lzcnt, popcnt, movbe, fsgsbase, smep, smap;
};

struct cpu {
	struct x86_state s;
	struct cpu_features feat;
	uint64_t next_rip;
	uint64_t ea_zero;	/* always 0: the absent base/index of IF_EA_FAST */
	/* Threaded chains (thread.h), set when a chain starts: RIP of the
	 * running block's first byte (a 16-bit offset away, for
	 * insn.ea_tbase), the privilege and its read TLB (write entries
	 * follow at + TLB_KIND_STRIDE; TLB_ACHECK's when alignment checking is on), and the instruction count from which
	 * the chain no longer links to another block. */
	uint64_t blk_rip;
	struct tlb_entry *tlb_cur;
	unsigned user;
	uint64_t link_end;
	struct lazy_flags lf;
	struct machine *m;
	struct engine *e;
	struct tlb tlb;
	struct icache ic;
	struct x2apic apic;

	struct pending_exc exc;
	unsigned deliver_depth;	/* nested delivery: #DF, then triple fault */
	bool sti_shadow;	/* interrupts blocked for one instruction */
	/* Set when an interrupt may have become deliverable (timer update,
	 * APIC write, IF set); the run loop asks the APIC only then. */
	bool irq_check;
	bool halted;
	/* Set to 0 to end the current block after this instruction (code
	 * write, device stop); the run loop resets it per block. */
	unsigned blk_end;

	struct block *prev;	/* block that just ran (chaining), or NULL */
	uint64_t prev_gen;	/* icache generation when prev was found */

	struct run_exit *exit;	/* where OP_STOP reasons are written */
	uint64_t icount;	/* guest instructions retired */
	struct trap_counters traps;
	struct interp_stats st;
	/* Set by interp_monitor.c only: every RAM write is reported here
	 * (and write TLB entries are never filled, so none bypasses it). */
	void (*write_hook)(struct cpu *c, uint64_t gpa, unsigned len);
};

/* ---- registers ---------------------------------------------------------- */

/* The 64-bit field at byte offset (off) of (c) (insn.ea_base/ea_idx). */
static inline uint64_t cpu_u64_at(const struct cpu *c, unsigned off)
{
	uint64_t v;

	memcpy(&v, (const char *)c + off, 8);
	return v;
}

static inline uint64_t size_mask(unsigned size)
{
	return size >= 8 ? ~0ull : (1ull << (size * 8)) - 1;
}

static inline uint64_t reg_get(const struct cpu *c, unsigned r, unsigned size)
{
	if (r >= GPR_HIGH8)
		return (c->s.gpr[r - GPR_HIGH8] >> 8) & 0xff;
	return c->s.gpr[r] & size_mask(size);
}

/* Write (v) to register (r) with x86 rules: 32-bit writes zero-extend,
 * 8/16-bit writes merge. */
static inline void reg_set(struct cpu *c, unsigned r, unsigned size,
			   uint64_t v)
{
	uint64_t *p;

	if (r >= GPR_HIGH8) {
		p = &c->s.gpr[r - GPR_HIGH8];
		*p = (*p & ~0xff00ull) | ((v & 0xff) << 8);
		return;
	}
	p = &c->s.gpr[r];
	switch (size) {
	case 1: *p = (*p & ~0xffull) | (v & 0xff); break;
	case 2: *p = (*p & ~0xffffull) | (v & 0xffff); break;
	case 4: *p = (uint32_t)v; break;
	default: *p = v; break;
	}
}

static inline int64_t sext(uint64_t v, unsigned size)
{
	unsigned sh = 64 - size * 8;
	return (int64_t)(v << sh) >> sh;
}

/* ---- faults --------------------------------------------------------------*/

/* Raise exception (vector) without / with an error code; returns OP_FAULT
 * so handlers can `return cpu_fault(c, X86_VEC_UD);`. */
int cpu_fault(struct cpu *c, unsigned vector);
int cpu_fault_err(struct cpu *c, unsigned vector, uint32_t error);

/* Stop the run with (reason) and a printf-style message; returns OP_STOP. */
int cpu_stop(struct cpu *c, enum run_exit_reason reason, const char *fmt,
	     ...) __attribute__((format(printf, 3, 4)));

/* Fill c->feat from the machine's CPUID table. */
void cpu_features_load(struct cpu *c);

/* Guest TSC: host TSC + the guest offset. */
uint64_t cpu_tsc(const struct cpu *c);

/* Unsupported instruction (i): stops the run naming mnemonic and bytes. */
int cpu_unsupported(struct cpu *c, const struct insn *i);

#endif /* VMB_INTERP_CPU_H */
