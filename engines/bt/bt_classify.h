/*
 * bt_classify.h - which guest instructions may run natively, and how.
 *
 * The copy list is a whitelist: integer instructions whose operands are
 * general registers, immediates and explicit memory operands (with no
 * FS/GS override, no guest address-size prefix, a ModRM form) are copied
 * (memory operands get the window prefixes); PUSH/POP/CALL/RET/LEAVE and
 * direct/indirect branches are rewritten; everything else -- privileged
 * and sensitive instructions, string instructions, implicit memory
 * operands, SSE/VEX/EVEX, far transfers, BTx mem,reg -- is BT_INSN_MONITOR, so
 * nothing unknown ever runs on the host.
 */
#ifndef VMB_BT_CLASSIFY_H
#define VMB_BT_CLASSIFY_H

#include <stdbool.h>
#include <stdint.h>
#include <Zydis/Zydis.h>

enum bt_insn_kind {
	BT_INSN_MONITOR,	/* not translated: the block ends before it */
	BT_INSN_COPY,		/* copied verbatim */
	BT_INSN_MEM,		/* copied with GS + addr32 (RIP-relative fixed) */
	BT_INSN_LEA_RIP,	/* lea rel(%rip) -> mov $abs */
	BT_INSN_PUSH_REG,	/* rewritten stack accesses */
	BT_INSN_PUSH_IMM,
	BT_INSN_POP_REG,
	BT_INSN_LEAVE,
	BT_INSN_JMP,		/* block ends: direct branches */
	BT_INSN_JCC,
	BT_INSN_CALL,
	BT_INSN_RET,		/* block ends: indirect branches */
	BT_INSN_JMP_IND,
	BT_INSN_CALL_IND,
	BT_INSN_PUSH_MEM,	/* push r/m64: through RAX, parked in ctx */
	BT_INSN_MOV_FROM_CR,	/* mov %cr0/2/3/4, r64: a load of the
				 * mirror (CPL0 only: the translator's call) */
};

/* Why an instruction goes to the monitor (counted per monitor exit). */
enum bt_mon_cause {
	BT_MON_PIO, BT_MON_CPUID, BT_MON_MSR, BT_MON_CR, BT_MON_SREG,
	BT_MON_INVLPG, BT_MON_HLT, BT_MON_IF, BT_MON_IRET, BT_MON_SYSCALL,
	BT_MON_SYSRET, BT_MON_INT, BT_MON_STRING, BT_MON_DESC, BT_MON_VMCALL,
	BT_MON_TSC, BT_MON_SEGMENT_BASE, BT_MON_OTHER,
	BT_MON_LAYOUT,	/* an address outside the window layout (bt_translate.h) */
	BT_MON_ALIGN,	/* alignment checking on (CPL3, CR0.AM, RFLAGS.AC):
			 * translated code does none, the monitor runs all */
	BT_MON_MMIO,	/* an instruction that touched MMIO (bt_mmio.h) */
	BT_MON_NR
};

/*
 * How to translate the decoded instruction (in) with operands (ops),
 * which ends at guest address (next).
 */
enum bt_insn_kind bt_insn_classify(const ZydisDecodedInstruction *in,
				   const ZydisDecodedOperand *ops,
				   uint64_t next);

/* The cause class of a monitor instruction (in), for the counters. */
enum bt_mon_cause bt_insn_mon_cause(const ZydisDecodedInstruction *in);

/* Counter name suffix of (cause): "pio", "cpuid", ... */
const char *bt_mon_cause_name(enum bt_mon_cause cause);

/* Does (in) have a RIP-relative ModRM memory operand? */
bool bt_insn_riprel(const ZydisDecodedInstruction *in);

#endif /* VMB_BT_CLASSIFY_H */
