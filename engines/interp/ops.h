/*
 * ops.h - every instruction handler (struct insn.fn), grouped by the file
 * that implements it. Names follow the SDM mnemonic; the decoder's table
 * (table.c) maps Zydis mnemonics onto them. Calling convention: cpu.h.
 */
#ifndef VMB_INTERP_OPS_H
#define VMB_INTERP_OPS_H

#include "interp/cpu.h"

#define OP(name) int name(struct cpu *c, const struct insn *i)

/* alu.c */
OP(op_add); OP(op_or); OP(op_adc); OP(op_sbb); OP(op_and); OP(op_sub);
OP(op_xor); OP(op_cmp); OP(op_test); OP(op_inc); OP(op_dec); OP(op_neg);
OP(op_not);
/* mov.c */
OP(op_mov); OP(op_movzx); OP(op_movsx); OP(op_lea); OP(op_xchg);
OP(op_cmpxchg); OP(op_xadd); OP(op_cmovcc); OP(op_setcc); OP(op_cbw);
OP(op_cwde); OP(op_cdqe); OP(op_cwd); OP(op_cdq); OP(op_cqo); OP(op_bswap);
OP(op_nop); OP(op_movbe);
/* shift.c */
OP(op_shl); OP(op_shr); OP(op_sar); OP(op_rol); OP(op_ror); OP(op_rcl);
OP(op_rcr); OP(op_shld); OP(op_shrd);
/* muldiv.c */
OP(op_mul); OP(op_imul); OP(op_div); OP(op_idiv);
/* bit.c */
OP(op_bt); OP(op_bts); OP(op_btr); OP(op_btc); OP(op_bsf); OP(op_bsr);
OP(op_tzcnt); OP(op_lzcnt); OP(op_popcnt);
/* string.c */
OP(op_movs); OP(op_stos); OP(op_lods); OP(op_cmps); OP(op_scas);
/* control.c */
OP(op_push); OP(op_pop); OP(op_call); OP(op_ret); OP(op_jmp); OP(op_jcc);
OP(op_leave); OP(op_enter); OP(op_pushfq); OP(op_popfq); OP(op_jrcxz);
OP(op_loop); OP(op_loope); OP(op_loopne);
/* flagops.c */
OP(op_clc); OP(op_stc); OP(op_cmc); OP(op_cld); OP(op_std); OP(op_lahf);
OP(op_sahf);
/* system.c */
OP(op_mov_cr); OP(op_mov_sreg); OP(op_lgdt); OP(op_lidt); OP(op_ltr);
OP(op_sgdt); OP(op_sidt); OP(op_cli); OP(op_sti); OP(op_hlt);
OP(op_invlpg); OP(op_swapgs); OP(op_rdfsbase); OP(op_rdgsbase);
OP(op_wrfsbase); OP(op_wrgsbase); OP(op_clts); OP(op_wbinvd);
/* sysio.c */
OP(op_in); OP(op_out); OP(op_rdmsr); OP(op_wrmsr); OP(op_cpuid);
OP(op_rdtsc); OP(op_rdtscp); OP(op_vmcall);
/* One PIO access of (size) bytes at (port) after the I/O permission check
 * (#GP(0) when CPL > IOPL and the TSS bitmap denies it), counted as a PIO
 * trap; OP_OK or OP_FAULT. */
int sysio_port(struct cpu *c, unsigned port, uint8_t *data, unsigned size,
	       bool write);
/* intr.c */
OP(op_int); OP(op_int3); OP(op_iretq); OP(op_retf); OP(op_syscall); OP(op_sysret);
/* legacy.c */
OP(op_cmpxchg8b); OP(op_xlat); OP(op_smsw); OP(op_lmsw); OP(op_sldt);
OP(op_str); OP(op_clac); OP(op_stac);
/* far.c */
OP(op_jmpf); OP(op_callf);
/* string.c: INS/OUTS through the I/O bus */
OP(op_ins); OP(op_outs);
/* misc (cpu.c) */
OP(op_invalid); OP(op_unsupported);

#undef OP

#endif /* VMB_INTERP_OPS_H */
